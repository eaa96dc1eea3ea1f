/*
 * harness/compare.h - `contend compare BASE NEW`: join two runs on
 * (bench, mode, placement, threads, params, metric) and call a change a
 * regression only when it is both large (beyond --threshold, 5 % by
 * default) and significant (Mann-Whitney U on the raw repetitions,
 * p < 0.01; without samples, non-overlapping 95 % intervals of the
 * median).  Which direction is worse comes from the metric (registry),
 * else from its unit (ns: lower is better; ops/s: higher).  A
 * configuration of BASE with no row in NEW (it failed, or was dropped)
 * counts as a regression too.
 */
#ifndef CONTEND_COMPARE_H
#define CONTEND_COMPARE_H

/* BASE and NEW are run folders (results.csv, samples.csv) or results
 * files.  Returns the exit status: 0 no significant regression, 1 at
 * least one, 2 bad input (one line on stderr). */
int compare_runs(const char *base, const char *new_, double threshold_pct);
/* The same with the U test's significance level alpha (0 < alpha < 1;
 * compare_runs uses 0.01). */
int compare_runs_at(const char *base, const char *new_, double threshold_pct, double alpha);

#endif
