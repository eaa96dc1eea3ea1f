/*
 * harness/report_warn.h - a run's warnings: noisy rows, net costs not
 * distinguishable from zero, too few repetitions, metrics without a
 * finite value.
 */
#ifndef CONTEND_REPORT_WARN_H
#define CONTEND_REPORT_WARN_H

#include <stddef.h>

#include "harness/csv.h"
#include "harness/report.h"
#include "harness/stats.h"

/*
 * Is a row noisy, so that a reader should act (more --reps, a quieter
 * machine) before trusting it?  When the 95 % interval of its median
 * reaches further than REPORT_NOISE_WARN of the figure's own scale on
 * either side: the median itself for a cost, a rate or a ratio; 1, the
 * fair share, for the fairness figures (Jain's index, the shares), whose
 * value may sit near 0 where a relative spread means nothing.  A latency
 * tail (p99, p999, max) is a handful of rare events a round: that it
 * moves is what it is, and its distribution's p50 row carries the
 * judgement.  1 with *width set (the interval's half-width over the
 * scale), else 0.
 */
#define REPORT_NOISE_WARN 0.05
int report_noisy(const struct bench_metric *m, const struct stats_summary *s, double *width);

/*
 * The cost row (BENCH_NS_PER_OP, same events) in `metrics` of which rate
 * m (BENCH_OPS_PER_SEC) is the inverse, repetition by repetition, or
 * NULL: one measurement, so its noise is said once, on the cost row.
 */
const struct bench_metric *report_inverse_of(const struct bench_metric *metrics,
					     const struct bench_metric *m);

/* warnings.csv; `before` as for report_csv. */
void report_warnings_csv(const struct report *r, const struct csv_table *before,
			 struct csv_writer *w);

/*
 * On stderr: a notice for each counter that could not be counted, and
 * the warnings: one line each with `verbose`, else a summary naming the
 * worst few and `details` (where the full list is, e.g.
 * "run-folder/warnings.csv"; NULL: "--verbose").  Returns how many
 * warnings there are.
 */
size_t report_warn(const struct report *r, int verbose, const char *details);

#endif
