/*
 * harness/stats.h - the statistics behind every result row: a summary of
 * the repetitions of one configuration (median first: benchmark samples
 * are skewed by interference, so the median and a distribution-free
 * interval around it are what compare and the charts rely on), Jain's
 * fairness index over per-task shares, and a rank test that tells a real
 * regression from noise.
 *
 * Pure functions of their inputs: no global state, no allocation that
 * outlives a call, safe from any thread.
 */
#ifndef CONTEND_STATS_H
#define CONTEND_STATS_H

#include <stddef.h>

struct stats_summary {
	size_t n;
	double median, mean, stddev, cv, min, max, p90, p99, ci95_lo, ci95_hi;
};

/*
 * Summarise x[0..n).  x is not modified (a sorted copy is made).
 *
 *   mean, min, max   as usual.
 *   stddev           sample standard deviation (divisor n - 1).  With
 *                    n == 1 it is undefined and set to NaN (not 0: one
 *                    repetition says nothing about spread); cv likewise.
 *   cv               stddev / mean; NaN when mean == 0 (or stddev is
 *                    NaN).  Negative when the mean is negative.
 *   median, p90, p99 stats_quantile_sorted() at 0.5, 0.9, 0.99 (type 7).
 *   ci95_lo/hi       distribution-free 95 % confidence interval of the
 *                    median: the order statistics x(j) and x(n + 1 - j)
 *                    (1-based ranks in the sorted sample) for the largest
 *                    j whose exact coverage 1 - 2 P(B <= j - 1), with
 *                    B ~ Binomial(n, 1/2) the number of observations below
 *                    the true median, is at least 95 %.  At n = 10 that is
 *                    x(2) .. x(9), 97.85 %; at n = 20 x(6) .. x(15),
 *                    95.86 %.  For n < 6 no pair reaches 95 %; the
 *                    interval is then [min, max], which covers only
 *                    1 - 2^(1-n) (93.75 % at n = 5).  See
 *                    stats_median_ci_ranks() and stats_median_ci_coverage().
 *
 * Returns 0; -EINVAL when n == 0, x or out is NULL, or any x is NaN or
 * infinite; -ERANGE when the mean or standard deviation overflows a
 * double; -ENOMEM.  On error *out is left untouched: never a made-up value.
 */
int stats_summarize(const double *x, size_t n, struct stats_summary *out);

/*
 * The q-quantile of sorted[0..n) (ascending), by linear interpolation
 * between order statistics (Hyndman and Fan type 7, numpy's default):
 * h = (n - 1) q, result = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
 * with 0-based indices.  NaN when n == 0 or q is outside [0, 1] or NaN.
 */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/*
 * The median of x[0..n): x is sorted ascending in place (callers that go
 * on to read quartiles use it), and the result is the middle value, or
 * the mean of the two middle ones when n is even (stats_quantile_sorted
 * at 0.5).  NaN when n == 0 or x is NULL.  The one median every
 * workload and report uses, so that each need not carry its own.
 */
double stats_median(double *x, size_t n);

/*
 * Jain's fairness index (sum x)^2 / (n * sum x^2) of non-negative shares:
 * 1 when every task got the same, 1/n when one task got everything.
 * Computed on x / max(x) (the index is scale-free) so that huge counts
 * cannot overflow.  NaN when n == 0, when all x are 0, or when any x is
 * negative, NaN or infinite.
 */
double stats_jain_index(const double *x, size_t n);

/*
 * The 1-based ranks j <= k of the order statistics that bound the
 * median's 95 % interval for a sample of n >= 1 (see stats_summarize),
 * and the probability that they cover the true median.
 */
void stats_median_ci_ranks(size_t n, size_t *j, size_t *k);
double stats_median_ci_coverage(size_t n);

/*
 * Two-sided p-value of the Mann-Whitney U (Wilcoxon rank-sum) test that
 * a[0..na) and b[0..nb) come from the same distribution, against a shift
 * in either direction.
 *
 * Without ties and with na + nb <= STATS_MW_EXACT_MAX the p-value is
 * exact: p = 2 P(U >= max(U_a, na nb - U_a)) under the null hypothesis,
 * every one of the C(na + nb, na) arrangements equally likely (scipy's
 * method="exact"); two fully separated samples of 5 give 2 / 252 =
 * 0.0079.  Otherwise ties get mid-ranks and the normal approximation uses
 * the tie-corrected variance
 *     sigma^2 = na nb / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))
 * (N = na + nb, t = size of each tie group) and a continuity correction
 * of 0.5, as scipy.stats.mannwhitneyu(method="asymptotic") does:
 *     z = (|U_a - na nb / 2| - 0.5) / sigma,  p = erfc(z / sqrt 2) capped at 1.
 * Symmetric in a and b.  When every value in both samples is the same
 * (sigma == 0) nothing can tell them apart and the result is 1.
 *
 * NaN when na < 2 or nb < 2, when any value is NaN or infinite, or when
 * memory runs out.
 */
double stats_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* Up to this many values in all, a tie-free U test is computed exactly
 * (the counts stay exact in 64 bits: C(50, 25) < 2^47). */
#define STATS_MW_EXACT_MAX 50

/*
 * The smallest p-value stats_mann_whitney_p() can return for samples of
 * na and nb values without ties (two fully separated samples): what a
 * comparison with this many repetitions can resolve at best.  NaN when
 * na < 2 or nb < 2.
 */
double stats_mann_whitney_min_p(size_t na, size_t nb);

#endif
