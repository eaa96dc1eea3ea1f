/*
 * harness/report.c - statistics and output.  Only harness/ writes CSV
 * and JSON, and within harness/ only this file writes results.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report.h"
#include "harness/stats.h"

const char *const report_columns[] = {
	"run_id", "bench", "mode", "placement", "threads", "params", "metric", "unit",
	"reps", "median", "mean", "stddev", "cv", "min", "max", "p90", "p99",
	"ci95_lo", "ci95_hi", "cpus", NULL,
};

/* cv above this earns a warning: 5 %, the level at which hyperfine and
 * most CI tools stop trusting a comparison. */
#define REPORT_CV_WARN 0.05
#define REPORT_MIN_REPS 5
/* How many of the noisiest rows the summary names. */
#define REPORT_WORST 3

int report_add(struct report *r, const struct report_entry *entry)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct report_entry *e = realloc(r->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		r->e = e;
		r->cap = cap;
	}
	r->e[r->n++] = *entry;
	return 0;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		runner_result_free(&r->e[i].res);
	free(r->e);
	r->e = NULL;
	r->n = r->cap = 0;
}

const char *report_mode_name(enum bench_mode m)
{
	return m == BENCH_MODE_PROCESS ? "process" : "thread";
}

size_t report_count(const struct report *r, enum runner_status s)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->e[i].res.status == s;
	return n;
}

size_t report_values(const struct report_entry *e, const struct bench_metric *m, double *out)
{
	const struct runner_result *res = &e->res;

	if (m->kind == BENCH_LATENCY) {
		/* One value per latency round, from its merged histogram. */
		for (int i = 0; i < res->lat_rounds; i++)
			out[i] = m->slot < res->nhists
				 ? res->lat[((size_t)i * res->nhists + m->slot) * BENCH_LAT_NSTATS +
					    m->stat] : NAN;
		return (size_t)res->lat_rounds;
	}
	for (int i = 0; i < res->reps; i++) {
		double events = res->ops[i] * m->per_iter;

		switch (m->kind) {
		case BENCH_NS_PER_OP:
			out[i] = res->run_ns[i] / events;
			break;
		case BENCH_NS_NET_PER_OP:
			out[i] = res->base_ns ? (res->run_ns[i] - res->base_ns[i]) / events : NAN;
			break;
		case BENCH_OPS_PER_SEC:
			out[i] = events / (res->run_ns[i] * 1e-9);
			break;
		case BENCH_FAIRNESS:
			out[i] = res->jain[i];
			break;
		case BENCH_SHARE_MIN:
			out[i] = res->share_min ? res->share_min[i] : NAN;
			break;
		case BENCH_SHARE_MAX:
			out[i] = res->share_max ? res->share_max[i] : NAN;
			break;
		case BENCH_REPORTED:
			out[i] = m->slot < res->nvalues ? res->value[(size_t)i * res->nvalues + m->slot]
							: NAN;
			break;
		case BENCH_RATIO_TO_BASELINE:
			out[i] = res->base_ns ? res->run_ns[i] / res->base_ns[i] : NAN;
			break;
		case BENCH_RATIO_TO_BASELINE_CPU:
			out[i] = res->base_cpu_ns ? res->cpu_ns[i] / res->base_cpu_ns[i] : NAN;
			break;
		case BENCH_LATENCY:
			break;	/* above */
		}
	}
	return (size_t)res->reps;
}

/* CPU nanoseconds per event of metric m in repetition i: net of the
 * baseline's for a net metric, as the time is. */
static double report_cpu_per_event(const struct report_entry *e, const struct bench_metric *m,
				   int i)
{
	const struct runner_result *res = &e->res;
	double events = res->ops[i] * m->per_iter;

	if (m->kind == BENCH_NS_NET_PER_OP)
		return res->base_cpu_ns ? (res->cpu_ns[i] - res->base_cpu_ns[i]) / events : NAN;
	return res->cpu_ns[i] / events;
}

/* Median over the counted rounds of counter c per event of metric m
 * (per one-way switch for `switch`, per roundtrip for `roundtrip`), net
 * of the baseline's count on a net metric; NaN if unmeasured. */
static double report_counter_per_op(const struct report *r, const struct report_entry *e,
				    const struct bench_metric *m, int c)
{
	const struct runner_result *res = &e->res;
	int n = r->ctrs.n, net = m->kind == BENCH_NS_NET_PER_OP;
	double v[res->ctr_rounds > 0 ? res->ctr_rounds : 1];
	struct stats_summary s;

	if (!res->ctr_ok[c] || (net && !res->ctr_base))
		return NAN;
	for (int k = 0; k < res->ctr_rounds; k++) {
		double count = res->ctr_run[(size_t)k * n + c];

		if (net)
			count -= res->ctr_base[(size_t)k * n + c];
		v[k] = count / (res->ctr_ops[k] * m->per_iter);
	}
	if (stats_summarize(v, (size_t)res->ctr_rounds, &s) < 0)
		return NAN;
	return s.median;
}

static void report_cpus(const struct report_entry *e, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < e->ntasks && off < len; i++) {
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup |= e->res.cpus_seen[j] == e->res.cpus_seen[i];
		if (!dup)
			off += snprintf(buf + off, len - off, "%s%d", off ? " " : "",
					e->res.cpus_seen[i]);
	}
}

static void report_key_fields(struct csv_writer *w, const struct report *r,
			      const struct report_entry *e)
{
	csv_field_str(w, r->run_id);
	csv_field_str(w, e->desc->name);
	csv_field_str(w, report_mode_name(e->mode));
	csv_field_str(w, e->placement);
	csv_field_int(w, e->ntasks);
	csv_field_str(w, e->params);
}

static const char *const report_sample_columns[] = {
	"run_id", "bench", "mode", "placement", "threads", "params", "metric",
	"unit", "rep", "value", "ops", "events", "round_ns", "baseline_ns", "cpu_ns",
	"bench_version", "baseline_cpu_ns", "baseline_first", "load_avg_1min", "steal_ns",
	"involuntary_switches", NULL,
};

static const char *const report_hist_columns[] = {
	"run_id", "bench", "mode", "placement", "threads", "params", "metric",
	"bucket_lo_ns", "bucket_hi_ns", "count", NULL,
};

static const char *const report_warn_columns[] = {
	"run_id", "bench", "mode", "placement", "threads", "params", "metric",
	"warning", "value", "detail", NULL,
};

/* Column c of results.csv (the fixed ones, then a counter each), of
 * samples.csv, histograms.csv or warnings.csv (REPORT_FILE_*); NULL past
 * the end. */
static const char *report_column(const struct report *r, enum report_file file, size_t c)
{
	size_t fixed = 0;
	const char *const *cols = file == REPORT_FILE_HISTOGRAMS ? report_hist_columns
				  : file == REPORT_FILE_WARNINGS ? report_warn_columns
				  : file == REPORT_FILE_SAMPLES ? report_sample_columns : report_columns;

	while (cols[fixed])
		fixed++;
	if (c < fixed)
		return cols[c];
	if (file == REPORT_FILE_RESULTS && c - fixed < (size_t)r->ctrs.n)
		return r->ctrs.column[c - fixed];
	return NULL;
}

static void report_header(const struct report *r, enum report_file file,
			  const struct csv_table *before, struct csv_writer *w)
{
	const char *col;

	for (size_t c = 0; (col = report_column(r, file, c)); c++)
		csv_field_str(w, col);
	csv_row_end(w);
	for (size_t i = 0; before && i < before->nrows; i++) {
		for (size_t c = 0; c < before->ncols; c++)
			csv_field_str(w, before->rows[i][c]);
		csv_row_end(w);
	}
}

int report_same_header(const struct report *r, const struct csv_table *t, enum report_file file)
{
	size_t c = 0;
	const char *col;

	for (; (col = report_column(r, file, c)); c++)
		if (c >= t->ncols || strcmp(t->header[c], col))
			return -1;
	return c == t->ncols ? 0 : -1;
}

void report_csv(const struct report *r, const struct csv_table *before, struct csv_writer *w)
{
	report_header(r, REPORT_FILE_RESULTS, before, w);

	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		double v[e->res.reps > 0 ? e->res.reps : 1];
		char cpus[512];

		if (e->res.status != RUNNER_OK)
			continue;
		report_cpus(e, cpus, sizeof(cpus));
		for (const struct bench_metric *m = e->desc->metrics; m->name; m++) {
			struct stats_summary s;
			size_t n = report_values(e, m, v);

			if (stats_summarize(v, n, &s) < 0)
				continue;	/* nothing measured: no row, never a zero */
			report_key_fields(w, r, e);
			csv_field_str(w, m->name);
			csv_field_str(w, m->unit);
			csv_field_int(w, (long long)s.n);
			csv_field_double(w, s.median);
			csv_field_double(w, s.mean);
			csv_field_double(w, s.stddev);
			csv_field_double(w, s.cv);
			csv_field_double(w, s.min);
			csv_field_double(w, s.max);
			csv_field_double(w, s.p90);
			csv_field_double(w, s.p99);
			csv_field_double(w, s.ci95_lo);
			csv_field_double(w, s.ci95_hi);
			csv_field_str(w, cpus);
			for (int c = 0; c < r->ctrs.n; c++)
				csv_field_double(w, report_counter_per_op(r, e, m, c));
			csv_row_end(w);
		}
	}
}

/*
 * The columns after bench_version, for repetition k (a latency round
 * takes its timed repetition's): the baseline's CPU time, whether the
 * baseline ran first, and what the machine was doing (load, stolen
 * time, involuntary switches), so that compare can tell a machine that
 * changed from code that did.  NaN is an empty cell.
 */
static void report_sample_context(struct csv_writer *w, const struct runner_result *res,
				  const struct bench_metric *m, size_t k)
{
	(void)m;
	csv_field_double(w, res->base_cpu_ns ? res->base_cpu_ns[k] : NAN);
	if (res->base_ns && res->base_first)
		csv_field_int(w, res->base_first[k] != 0);
	else
		csv_field_empty(w);
	csv_field_double(w, res->load1 ? res->load1[k] : NAN);
	csv_field_double(w, res->steal_ns ? res->steal_ns[k] : NAN);
	csv_field_double(w, res->invol_switches ? res->invol_switches[k] : NAN);
}

void report_samples(const struct report *r, const struct csv_table *before,
		    struct csv_writer *w)
{
	/* The raw round times beside each value (report_sample_columns),
	 * so that anyone can recompute it: value = round_ns / events, or
	 * (round_ns - baseline_ns) / events for a net cost. */
	report_header(r, REPORT_FILE_SAMPLES, before, w);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		const struct runner_result *res = &e->res;
		double v[res->reps > 0 ? res->reps : 1];

		if (res->status != RUNNER_OK)
			continue;
		for (const struct bench_metric *m = e->desc->metrics; m->name; m++) {
			size_t n = report_values(e, m, v);

			for (size_t k = 0; k < n; k++) {
				report_key_fields(w, r, e);
				csv_field_str(w, m->name);
				csv_field_str(w, m->unit);
				csv_field_int(w, (long long)k + 1);
				csv_field_double(w, v[k]);
				csv_field_double(w, res->ops[k]);
				csv_field_double(w, res->ops[k] * m->per_iter);
				csv_field_double(w, res->run_ns[k]);
				csv_field_double(w, res->base_ns ? res->base_ns[k] : NAN);
				csv_field_double(w, res->cpu_ns[k]);
				csv_field_str(w, e->desc->version ? e->desc->version : "unknown");
				report_sample_context(w, res, m, k);
				csv_row_end(w);
			}
		}
	}
}

void report_histograms(const struct report *r, const struct csv_table *before,
		       struct csv_writer *w)
{
	report_header(r, REPORT_FILE_HISTOGRAMS, before, w);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		const struct runner_result *res = &e->res;

		if (res->status != RUNNER_OK || res->lat_rounds == 0)
			continue;
		/* One distribution per histogram: named by its p50 row less
		 * the suffix ("acquire_p50" is "acquire"). */
		for (const struct bench_metric *m = e->desc->metrics; m->name; m++) {
			size_t len = strlen(m->name);
			const struct hist *h;

			if (m->kind != BENCH_LATENCY || m->stat != BENCH_LAT_P50 ||
			    m->slot >= res->nhists)
				continue;
			h = &res->hist[m->slot];
			if (len > 4 && strcmp(m->name + len - 4, "_p50") == 0)
				len -= 4;
			for (int b = 0; b < HIST_BUCKETS; b++) {
				char name[128];

				if (!h->bucket[b])
					continue;
				snprintf(name, sizeof(name), "%.*s", (int)len, m->name);
				report_key_fields(w, r, e);
				csv_field_str(w, name);
				csv_field_int(w, (long long)hist_bucket_lo(b));
				/* The last bucket is open-ended: its values end at
				 * the exact maximum. */
				csv_field_int(w, (long long)(b == HIST_BUCKETS - 1 ? h->max
							      : hist_bucket_hi(b)));
				csv_field_int(w, (long long)h->bucket[b]);
				csv_row_end(w);
			}
		}
	}
}

static const char *report_status_name(enum runner_status s)
{
	switch (s) {
	case RUNNER_OK:
		return "ok";
	case RUNNER_FAILED:
		return "failed";
	case RUNNER_SKIPPED:
		return "skipped";
	case RUNNER_INTERRUPTED:
		return "interrupted";
	}
	return "unknown";
}

void report_outcomes(const struct report *r, enum runner_status s, struct csv_writer *w)
{
	for (int i = 0; i < 6; i++)
		csv_field_str(w, report_columns[i]);
	csv_field_str(w, "status");
	csv_field_str(w, "reason");
	csv_row_end(w);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];

		if (e->res.status != s)
			continue;
		report_key_fields(w, r, e);
		csv_field_str(w, report_status_name(e->res.status));
		csv_field_str(w, e->res.reason);
		csv_row_end(w);
	}
}

/* ---- warnings ------------------------------------------------------------- */

enum report_warn_kind { RW_FEW_REPS, RW_NO_VALUE, RW_ZERO, RW_NOISY, RW_NKINDS };

static const char *const report_warn_kind_name[RW_NKINDS] = {
	"few_reps", "no_value", "not_resolved", "noisy",
};

struct report_warning {
	const struct report_entry *e;
	const struct bench_metric *m;	/* NULL for RW_FEW_REPS */
	enum report_warn_kind kind;
	double value;			/* cv, median or repetitions */
	char text[600];
};

/* "bench (mode, placement, params) metric" */
static void report_where(char *buf, size_t len, const struct report_entry *e,
			 const struct bench_metric *m)
{
	snprintf(buf, len, "%.60s (%s, %.60s%s%.120s)%s%.30s", e->desc->name, report_mode_name(e->mode),
		 e->placement, e->params[0] ? ", " : "", e->params, m ? " " : "", m ? m->name : "");
}

/* Every warning of the report, in entry order; *n gets the count.  NULL
 * with *n == 0 when there are none or memory ran out. */
static struct report_warning *report_warnings(const struct report *r, size_t *n)
{
	struct report_warning *w = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		double v[e->res.reps > 0 ? e->res.reps : 1];

		if (e->res.status != RUNNER_OK)
			continue;
		for (const struct bench_metric *m = e->desc->metrics;; m++) {
			struct report_warning x = { .e = e, .m = m->name ? m : NULL };
			struct stats_summary s;
			char where[300];
			size_t nv;

			if (*n + 2 > cap) {
				size_t nc = cap ? cap * 2 : 32;
				struct report_warning *nw = realloc(w, nc * sizeof(*nw));
				if (!nw) {
					free(w);
					*n = 0;
					return NULL;
				}
				w = nw;
				cap = nc;
			}
			report_where(where, sizeof(where), e, x.m);
			if (!m->name) {
				if (e->res.reps < REPORT_MIN_REPS) {
					x.kind = RW_FEW_REPS;
					x.value = e->res.reps;
					snprintf(x.text, sizeof(x.text), "%s: only %d repetitions; "
						 "medians and intervals need %d or more", where,
						 e->res.reps, REPORT_MIN_REPS);
					w[(*n)++] = x;
				}
				break;
			}
			if (stats_summarize(v, (nv = report_values(e, m, v)), &s) < 0) {
				size_t nfin = 0;

				for (size_t k = 0; k < nv; k++)
					nfin += isfinite(v[k]) != 0;
				/* A distribution that recorded something in some
				 * latency rounds and nothing in others applies but
				 * was too sparsely timed to give a value per round:
				 * its row cannot be computed, so say so. */
				if (m->kind == BENCH_LATENCY && nfin > 0) {
					x.kind = RW_NO_VALUE;
					snprintf(x.text, sizeof(x.text), "%s: skipped, nothing was "
						 "recorded in %zu of %zu latency rounds (did a sample= "
						 "parameter time none of a round's operations?)", where,
						 nv - nfin, nv);
					w[(*n)++] = x;
					continue;
				}
				/* A reported value or a distribution is left out
				 * where it does not apply (a share of CPU-bound
				 * threads where there are none, the lock's hold times
				 * where there is no lock): no row, nothing to warn of.
				 * The family's tests check that every one of them has
				 * its rows where it does apply. */
				if (m->kind == BENCH_REPORTED || m->kind == BENCH_LATENCY)
					continue;
				/* The CSV has no row for it: say why, not nothing. */
				x.kind = RW_NO_VALUE;
				snprintf(x.text, sizeof(x.text), "%s: skipped, no finite value (did "
					 "the tasks report no operations?)", where);
				w[(*n)++] = x;
				continue;
			}
			/* A net cost is a small difference of two large times:
			 * when its interval reaches zero, it was not resolved. */
			if (m->kind == BENCH_NS_NET_PER_OP && !(s.ci95_lo > 0)) {
				x.kind = RW_ZERO;
				x.value = s.median;
				snprintf(x.text, sizeof(x.text), "%s: %.4g %s, net of the baseline, "
					 "is not distinguishable from zero (its %.1f %% interval "
					 "reaches %.4g); the gross row still holds", where, s.median,
					 m->unit, 100 * stats_median_ci_coverage(s.n), s.ci95_lo);
				w[(*n)++] = x;
			}
			/* A tail (p999, max) is one rare event a round: that
			 * it moves is what it is, not noise to fix. */
			if (fabs(s.cv) > REPORT_CV_WARN &&
			    !(m->kind == BENCH_LATENCY && m->stat >= BENCH_LAT_P999)) {
				x.kind = RW_NOISY;
				x.value = fabs(s.cv);
				snprintf(x.text, sizeof(x.text), "%s: cv %.1f %% > 5 %%: noisy; try "
					 "more --reps or --min-time", where, fabs(s.cv) * 100);
				w[(*n)++] = x;
			}
		}
	}
	return w;
}

void report_warnings_csv(const struct report *r, const struct csv_table *before,
			 struct csv_writer *w)
{
	size_t n;
	struct report_warning *list = report_warnings(r, &n);

	report_header(r, REPORT_FILE_WARNINGS, before, w);
	for (size_t i = 0; i < n; i++) {
		report_key_fields(w, r, list[i].e);
		csv_field_str(w, list[i].m ? list[i].m->name : "");
		csv_field_str(w, report_warn_kind_name[list[i].kind]);
		csv_field_double(w, list[i].value);
		csv_field_str(w, list[i].text);
		csv_row_end(w);
	}
	free(list);
}

/* Noisiest first. */
static int report_cmp_cv(const void *pa, const void *pb)
{
	const struct report_warning *a = *(const struct report_warning *const *)pa;
	const struct report_warning *b = *(const struct report_warning *const *)pb;

	return (a->value < b->value) - (a->value > b->value);
}

size_t report_warn(const struct report *r, int verbose, const char *details)
{
	int ctr_noted[CTR_MAX] = { 0 };
	size_t n, count[RW_NKINDS] = { 0 }, rows = 0;
	struct report_warning *list = report_warnings(r, &n);

	int ctr_err[CTR_MAX] = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];

		if (e->res.status != RUNNER_OK)
			continue;
		for (const struct bench_metric *m = e->desc->metrics; m->name; m++)
			rows++;
		for (int c = 0; c < r->ctrs.n; c++)
			if (!e->res.ctr_ok[c] && !ctr_err[c])
				ctr_err[c] = e->res.ctr_err[c] ? e->res.ctr_err[c] : EIO;
	}
	/* One notice per reason, naming every counter it hides. */
	for (int c = 0; c < r->ctrs.n; c++) {
		char names[CTR_MAX * (CTR_NAME_MAX + 2)] = "";
		const char *why;
		int k = 0;

		if (!ctr_err[c] || ctr_noted[c])
			continue;
		why = ctr_why(&r->ctrs, c, ctr_err[c]);
		for (int d = c; d < r->ctrs.n; d++)
			if (ctr_err[d] && !ctr_noted[d] &&
			    strcmp(ctr_why(&r->ctrs, d, ctr_err[d]), why) == 0) {
				ctr_noted[d] = 1;
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 k++ ? ", " : "", r->ctrs.name[d]);
			}
		fprintf(stderr, "contend: notice: %s %s cannot be counted here (%s); %s left "
			"empty\n", k > 1 ? "counters" : "counter", names, why,
			k > 1 ? "their columns are" : "its column is");
	}
	for (size_t i = 0; i < n; i++) {
		count[list[i].kind]++;
		if (verbose)
			fprintf(stderr, "contend: warning: %s\n", list[i].text);
	}
	if (n && !verbose) {
		struct report_warning **sorted = malloc(n * sizeof(*sorted));
		size_t nn = 0;
		char worst[900] = "";

		for (size_t i = 0; sorted && i < n; i++)
			if (list[i].kind == RW_NOISY)
				sorted[nn++] = &list[i];
		if (sorted)
			qsort(sorted, nn, sizeof(*sorted), report_cmp_cv);
		for (size_t i = 0; i < nn && i < REPORT_WORST; i++) {
			char where[600];
			size_t off = strlen(worst);

			report_where(where, sizeof(where), sorted[i]->e, sorted[i]->m);
			snprintf(worst + off, sizeof(worst) - off, "%s%s %.0f %%",
				 i ? "; " : "; noisiest: ", where, sorted[i]->value * 100);
		}
		free(sorted);
		fprintf(stderr, "contend: warning: %zu warnings on %zu rows: %zu noisy (cv > 5 %%), "
			"%zu net costs not distinguishable from zero, %zu with no finite value, "
			"%zu configurations with fewer than %d repetitions%s; details %s\n",
			n, rows, count[RW_NOISY],
			count[RW_ZERO], count[RW_NO_VALUE], count[RW_FEW_REPS], REPORT_MIN_REPS,
			worst, details ? details : "with --verbose");
	}
	free(list);
	return n;
}

/* ---- JSON: Google Benchmark's schema, so its tools can read us --------- */

static json_t *report_json_context(const struct envinfo *env)
{
	json_t *ctx = json_object();
	double mhz = atof(envinfo_get(env, "cpu_mhz"));

	json_object_set_new(ctx, "date", json_string(envinfo_get(env, "date")));
	json_object_set_new(ctx, "host_name", json_string(envinfo_get(env, "host")));
	json_object_set_new(ctx, "executable", json_string("contend"));
	json_object_set_new(ctx, "num_cpus", json_integer(atoi(envinfo_get(env, "pus"))));
	if (mhz > 0)
		json_object_set_new(ctx, "mhz_per_cpu", json_integer((json_int_t)mhz));
	json_object_set_new(ctx, "cpu_scaling_enabled",
			    json_boolean(strcmp(envinfo_get(env, "governor"), "performance") != 0 &&
					 strcmp(envinfo_get(env, "governor"), "unknown") != 0));
	json_object_set_new(ctx, "library_build_type", json_string("release"));
	/* Everything else we know, under our own names. */
	for (int i = 0; i < env->n; i++)
		json_object_set_new(ctx, env->key[i], json_string(env->value[i]));
	return ctx;
}

/* "ctx.thread.futex/mode:thread/placement:same-core/threads:2/ws_kb:0/switch":
 * Google Benchmark's name/arg:value style. */
static void report_json_name(char *buf, size_t len, const struct report_entry *e,
			     const struct bench_metric *m)
{
	char params[256];

	snprintf(params, sizeof(params), "%s", e->params);
	for (char *p = params; *p; p++)
		*p = *p == ';' ? '/' : *p == '=' ? ':' : *p;
	snprintf(buf, len, "%.60s/mode:%s/placement:%.100s/threads:%d%s%.200s/%.30s", e->desc->name,
		 report_mode_name(e->mode), e->placement, e->ntasks, params[0] ? "/" : "",
		 params, m->name);
}

/* What a row is measured over, for Google Benchmark's "label". */
static const char *report_json_label(const struct report_entry *e, const struct bench_metric *m)
{
	return m->kind == BENCH_NS_NET_PER_OP && e->desc->baseline_note ? e->desc->baseline_note
									  : NULL;
}

struct report_json_run {
	const struct report *r;
	const struct report_entry *e;
	const struct bench_metric *m;
	const char *run_name;
	int family, instance;
	double counter[CTR_MAX];	/* per event, NaN = not counted */
};

/* The fields every entry of one (configuration, metric) shares. */
static json_t *report_json_common(const struct report_json_run *j, const char *name,
				  const char *run_type)
{
	json_t *b = json_object();
	const char *label = report_json_label(j->e, j->m);

	json_object_set_new(b, "name", json_string(name));
	json_object_set_new(b, "family_index", json_integer(j->family));
	json_object_set_new(b, "per_family_instance_index", json_integer(j->instance));
	json_object_set_new(b, "run_name", json_string(j->run_name));
	json_object_set_new(b, "run_type", json_string(run_type));
	json_object_set_new(b, "repetitions", json_integer(j->e->res.reps));
	json_object_set_new(b, "threads", json_integer(j->e->ntasks));
	if (label)
		json_object_set_new(b, "label", json_string(label));
	return b;
}

/* real_time / cpu_time of one repetition: the metric itself when it is a
 * time, else the time per event, with the metric as a user counter. */
static void report_json_times(json_t *b, const struct report_json_run *j, double real,
			      double cpu, double value)
{
	json_object_set_new(b, "real_time", json_real(real));
	if (isfinite(cpu))
		json_object_set_new(b, "cpu_time", json_real(cpu));
	json_object_set_new(b, "time_unit", json_string("ns"));
	if (strcmp(j->m->unit, "ns") != 0 && isfinite(value))
		json_object_set_new(b, j->m->name, json_real(value));
	for (int c = 0; c < j->r->ctrs.n; c++)
		if (isfinite(j->counter[c]))
			json_object_set_new(b, j->r->ctrs.column[c], json_real(j->counter[c]));
}

static void report_json_entry(json_t *list, struct report_json_run *j)
{
	const struct report_entry *e = j->e;
	const struct bench_metric *m = j->m;
	int reps = e->res.reps, is_time = strcmp(m->unit, "ns") == 0;
	double value[reps > 0 ? reps : 1], real[reps > 0 ? reps : 1], cpu[reps > 0 ? reps : 1];
	static const char *const aggs[] = { "mean", "median", "stddev", "cv" };
	struct stats_summary sv, sr, sc;
	int cpu_ok = 1;

	report_values(e, m, value);
	for (int i = 0; i < reps; i++) {
		double events = e->res.ops[i] * m->per_iter;

		real[i] = is_time ? value[i] : e->res.run_ns[i] / events;
		cpu[i] = report_cpu_per_event(e, m, i);
		cpu_ok &= isfinite(cpu[i]);
	}
	if (stats_summarize(value, (size_t)reps, &sv) < 0 ||
	    stats_summarize(real, (size_t)reps, &sr) < 0)
		return;		/* no finite value, no row: report_warnings says
				 * why, unless the value does not apply here */
	if (!cpu_ok || stats_summarize(cpu, (size_t)reps, &sc) < 0)
		sc = (struct stats_summary){ .mean = NAN, .median = NAN, .stddev = NAN, .cv = NAN };
	for (int c = 0; c < j->r->ctrs.n; c++)
		j->counter[c] = report_counter_per_op(j->r, e, m, c);

	for (int i = 0; i < reps; i++) {
		json_t *b = report_json_common(j, j->run_name, "iteration");

		json_object_set_new(b, "repetition_index", json_integer(i));
		/* Google Benchmark's iterations: how many times the measured
		 * thing happened in this repetition; times are per one. */
		json_object_set_new(b, "iterations",
				    json_integer((json_int_t)llround(e->res.ops[i] * m->per_iter)));
		report_json_times(b, j, real[i], cpu_ok ? cpu[i] : NAN, value[i]);
		json_array_append_new(list, b);
	}
	for (size_t a = 0; a < sizeof(aggs) / sizeof(aggs[0]); a++) {
		const double pick[3][4] = {
			{ sr.mean, sr.median, sr.stddev, sr.cv },
			{ sc.mean, sc.median, sc.stddev, sc.cv },
			{ sv.mean, sv.median, sv.stddev, sv.cv },
		};
		char name[600];
		json_t *b;

		snprintf(name, sizeof(name), "%s_%s", j->run_name, aggs[a]);
		b = report_json_common(j, name, "aggregate");
		json_object_set_new(b, "aggregate_name", json_string(aggs[a]));
		json_object_set_new(b, "aggregate_unit", json_string(a == 3 ? "percentage" : "time"));
		/* An aggregate is over repetitions, as Google Benchmark says. */
		json_object_set_new(b, "iterations", json_integer(reps));
		report_json_times(b, j, pick[0][a], pick[1][a], pick[2][a]);
		json_array_append_new(list, b);
	}
	j->instance++;
}

int report_json(const struct report *r, const struct envinfo *env, struct csv_writer *w)
{
	json_t *root = json_object(), *list = json_array();
	char *text;
	int family = 0;

	json_object_set_new(root, "context", report_json_context(env));
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		struct report_json_run j = { .r = r, .e = e };

		for (const struct bench_metric *m = e->desc->metrics; m->name; m++, family++) {
			char run_name[512];

			report_json_name(run_name, sizeof(run_name), e, m);
			j.m = m;
			j.run_name = run_name;
			j.family = family;
			if (e->res.status != RUNNER_OK) {
				json_t *b = json_object();
				int skipped = e->res.status == RUNNER_SKIPPED;

				json_object_set_new(b, "name", json_string(run_name));
				json_object_set_new(b, "run_name", json_string(run_name));
				json_object_set_new(b, "run_type", json_string("iteration"));
				json_object_set_new(b, skipped ? "skipped" : "error_occurred",
						    json_true());
				json_object_set_new(b, skipped ? "skip_message" : "error_message",
						    json_string(e->res.reason));
				json_array_append_new(list, b);
				continue;
			}
			report_json_entry(list, &j);
		}
	}
	json_object_set_new(root, "benchmarks", list);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	csv_write_raw(w, text, strlen(text));
	csv_write_raw(w, "\n", 1);
	free(text);
	return 0;
}
