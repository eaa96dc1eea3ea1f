/*
 * harness/report.c - statistics and rows: every metric's values, and
 * the CSV files of a run (results, samples, histograms, outcomes).
 * Only harness/ writes CSV and JSON, and within harness/ only this file
 * and its two siblings write results: report_warn.c (the warnings) and
 * report_json.c (Google Benchmark's JSON).
 */
#include <errno.h>
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
		case BENCH_SPEEDUP_OVER_BASELINE:
			out[i] = res->base_ns ? res->base_ns[i] / res->run_ns[i] : NAN;
			break;
		case BENCH_EFFICIENCY_OVER_BASELINE:
			out[i] = res->base_ns ? res->base_ns[i] / (res->run_ns[i] * e->ntasks) : NAN;
			break;
		case BENCH_LATENCY:
			break;	/* above */
		}
	}
	return (size_t)res->reps;
}

/* CPU nanoseconds per event of metric m in repetition i: net of the
 * baseline's for a net metric, as the time is. */
double report_cpu_per_event(const struct report_entry *e, const struct bench_metric *m,
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
double report_counter_per_op(const struct report *r, const struct report_entry *e,
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

void report_key_fields(struct csv_writer *w, const struct report *r,
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

void report_header(const struct report *r, enum report_file file,
		   const struct csv_table *before, struct csv_writer *w)
{
	const char *col;

	for (size_t c = 0; !r->rows_only && (col = report_column(r, file, c)); c++)
		csv_field_str(w, col);
	if (!r->rows_only)
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
