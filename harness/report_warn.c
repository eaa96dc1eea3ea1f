/*
 * harness/report_warn.c - the warnings of a run: which rows are noisy,
 * unresolved, without a value or from too few repetitions; said on
 * stderr (each, or a summary) and kept in warnings.csv.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report.h"
#include "harness/report_warn.h"
#include "harness/stats.h"

#define REPORT_MIN_REPS 5
/* How many of the noisiest rows the summary names. */
#define REPORT_WORST 3

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

/* The fairness figures: 1 is a fair share, 0 a task that never got in. */
static int report_is_share(const struct bench_metric *m)
{
	switch (m->kind) {
	case BENCH_FAIRNESS:
	case BENCH_SHARE_MIN:
	case BENCH_SHARE_MAX:
		return 1;
	case BENCH_REPORTED:
		return m->combine == BENCH_COMBINE_SHARE_MIN || m->combine == BENCH_COMBINE_SHARE_MAX;
	default:
		return 0;
	}
}

int report_noisy(const struct bench_metric *m, const struct stats_summary *s, double *width)
{
	double scale = report_is_share(m) ? 1 : fabs(s->median);
	double half = (s->ci95_hi - s->ci95_lo) / 2;

	if (m->kind == BENCH_LATENCY && m->stat >= BENCH_LAT_P99)
		return 0;
	if (!(scale > 0) || !isfinite(half))
		return 0;	/* a zero median: the not-resolved warning's case */
	*width = half / scale;
	return *width > REPORT_NOISE_WARN;
}

const struct bench_metric *report_inverse_of(const struct bench_metric *metrics,
					     const struct bench_metric *m)
{
	if (m->kind != BENCH_OPS_PER_SEC)
		return NULL;
	for (const struct bench_metric *c = metrics; c->name; c++)
		if (c->kind == BENCH_NS_PER_OP && c->per_iter == m->per_iter)
			return c;
	return NULL;
}

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
			if (report_noisy(m, &s, &x.value) && !report_inverse_of(e->desc->metrics, m)) {
				x.kind = RW_NOISY;
				snprintf(x.text, sizeof(x.text), "%s: median %.4g %s, its %.1f %% "
					 "interval %.4g..%.4g reaches %.1f %% of %s (more than %.0f %%): "
					 "noisy; try more --reps or --min-time, or a quieter machine",
					 where, s.median, m->unit, 100 * stats_median_ci_coverage(s.n),
					 s.ci95_lo, s.ci95_hi, 100 * x.value, report_is_share(m) ?
					 "a fair share" : "the median", 100 * REPORT_NOISE_WARN);
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
	/* Configurations measured, and per counter those it failed in and
	 * the first of them: a counter lost in a few (descriptors run out at
	 * ptc.io's largest c) is not one this machine cannot count. */
	size_t configs = 0, ctr_lost[CTR_MAX] = { 0 };
	const char *ctr_first[CTR_MAX] = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];

		if (e->res.status != RUNNER_OK)
			continue;
		configs++;
		for (const struct bench_metric *m = e->desc->metrics; m->name; m++)
			rows++;
		for (int c = 0; c < r->ctrs.n; c++) {
			if (e->res.ctr_ok[c])
				continue;
			if (!ctr_lost[c]++)
				ctr_first[c] = e->desc->name;
			if (!ctr_err[c])
				ctr_err[c] = e->res.ctr_err[c] ? e->res.ctr_err[c] : EIO;
		}
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
		if (ctr_lost[c] < configs)
			fprintf(stderr, "contend: notice: %s %s could not be counted in %zu of %zu "
				"configurations, %s first (%s); %s left empty there\n",
				k > 1 ? "counters" : "counter", names, ctr_lost[c], configs,
				ctr_first[c], why, k > 1 ? "their cells are" : "its cells are");
		else
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
		fprintf(stderr, "contend: warning: %zu warnings on %zu rows: %zu noisy (the median's "
			"interval wider than ±5 %% of its scale), "
			"%zu net costs not distinguishable from zero, %zu with no finite value, "
			"%zu configurations with fewer than %d repetitions%s; details %s\n",
			n, rows, count[RW_NOISY],
			count[RW_ZERO], count[RW_NO_VALUE], count[RW_FEW_REPS], REPORT_MIN_REPS,
			worst, details ? details : "with --verbose");
	}
	free(list);
	return n;
}
