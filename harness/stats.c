/*
 * harness/stats.c - summaries, quantiles, fairness and a rank test over
 * repetition samples.  See stats.h for the contracts.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"

/* The interval of the median must cover it with at least this
 * probability; see stats_median_ci_ranks(). */
#define STATS_CI_LEVEL 0.95

static int stats_cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

double stats_quantile_sorted(const double *sorted, size_t n, double q)
{
	if (n == 0 || !sorted || !(q >= 0.0 && q <= 1.0))
		return NAN;

	double h = (double)(n - 1) * q;
	size_t lo = (size_t)h;		/* floor: h >= 0 */

	if (lo >= n - 1)
		return sorted[n - 1];
	double frac = h - (double)lo, a = sorted[lo], b = sorted[lo + 1];

	/* Equal neighbours give exactly that value, with no rounding. */
	return a == b ? a : a + frac * (b - a);
}

double stats_median(double *x, size_t n)
{
	if (n == 0 || !x)
		return NAN;
	qsort(x, n, sizeof(*x), stats_cmp_double);
	return stats_quantile_sorted(x, n, 0.5);
}

/* P(B = i) for B ~ Binomial(n, 1/2), through lgamma so that n in the
 * hundreds of thousands neither overflows nor loses the tail. */
static double stats_binom_half_pmf(size_t n, size_t i)
{
	double dn = (double)n, di = (double)i;

	return exp(lgamma(dn + 1) - lgamma(di + 1) - lgamma(dn - di + 1) - dn * M_LN2);
}

/*
 * The interval [x(j), x(n + 1 - j)] misses the true median when at
 * most j - 1 observations fall below it or at most j - 1 above it, each
 * with probability P(B <= j - 1): its coverage is 1 - 2 P(B <= j - 1).
 * Take the largest j that still covers STATS_CI_LEVEL; for n < 6 even
 * j = 1 does not, and [min, max] is the best there is.
 */
void stats_median_ci_ranks(size_t n, size_t *j, size_t *k)
{
	double cdf = 0.0;	/* P(B <= jj - 1) */
	size_t best = 1;

	for (size_t jj = 1; 2 * jj <= n + 1; jj++) {
		cdf += stats_binom_half_pmf(n, jj - 1);
		if (1.0 - 2.0 * cdf < STATS_CI_LEVEL)
			break;
		best = jj;
	}
	*j = best;
	*k = n + 1 - best;
}

double stats_median_ci_coverage(size_t n)
{
	size_t j, k;
	double cdf = 0.0;

	if (n == 0)
		return NAN;
	stats_median_ci_ranks(n, &j, &k);
	for (size_t i = 0; i < j; i++)
		cdf += stats_binom_half_pmf(n, i);
	return 1.0 - 2.0 * cdf;	/* n = 1: one point, coverage 0 */
}

int stats_summarize(const double *x, size_t n, struct stats_summary *out)
{
	if (!x || !out || n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	if (n > SIZE_MAX / sizeof(*x))
		return -ENOMEM;

	double *s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), stats_cmp_double);

	/* Two passes: the mean, then squared deviations from it, which
	 * keeps the variance accurate when the spread is tiny next to the
	 * mean (nanosecond samples around a large offset). */
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	double mean = sum / (double)n;
	double stddev = NAN;
	if (n > 1) {
		double ss = 0.0;
		for (size_t i = 0; i < n; i++)
			ss += (s[i] - mean) * (s[i] - mean);
		stddev = sqrt(ss / (double)(n - 1));
	}
	if (!isfinite(mean) || (n > 1 && !isfinite(stddev))) {
		free(s);
		return -ERANGE;
	}

	size_t j, k;
	stats_median_ci_ranks(n, &j, &k);

	*out = (struct stats_summary){
		.n = n,
		.median = stats_quantile_sorted(s, n, 0.5),
		.mean = mean,
		.stddev = stddev,
		.cv = mean == 0.0 ? NAN : stddev / mean,
		.min = s[0],
		.max = s[n - 1],
		.p90 = stats_quantile_sorted(s, n, 0.9),
		.p99 = stats_quantile_sorted(s, n, 0.99),
		.ci95_lo = s[j - 1],
		.ci95_hi = s[k - 1],
	};
	free(s);
	return 0;
}

double stats_jain_index(const double *x, size_t n)
{
	if (!x || n == 0)
		return NAN;

	double max = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || x[i] < 0.0)
			return NAN;
		if (x[i] > max)
			max = x[i];
	}
	if (max == 0.0)
		return NAN;

	double sum = 0.0, sumsq = 0.0;
	for (size_t i = 0; i < n; i++) {
		double v = x[i] / max;	/* in [0, 1]: no overflow below */

		sum += v;
		sumsq += v * v;
	}
	return sum * sum / ((double)n * sumsq);
}

struct stats_mw_item {
	double v;
	int from_a;
};

static int stats_cmp_mw_item(const void *pa, const void *pb)
{
	const struct stats_mw_item *a = pa, *b = pb;

	return (a->v > b->v) - (a->v < b->v);
}

/*
 * Under the null hypothesis every arrangement of na a's among na + nb
 * ranks is equally likely; the number of them with U_a = u is the
 * coefficient of q^u in the Gaussian binomial
 *     [na + nb choose na]_q = prod_{i=1..na} (1 - q^(nb + i)) / (1 - q^i),
 * built factor by factor (after factor i the product is [nb + i choose i]_q,
 * a polynomial with non-negative integer coefficients).  Returns
 * P(U >= u) for an integer u, or NaN without memory.
 */
static double stats_mw_exact_sf(size_t na, size_t nb, size_t u)
{
	size_t deg = na * nb, cap = deg + na + nb + 1;
	int64_t *c = calloc(cap, sizeof(*c));
	double total = 0.0, tail = 0.0;

	if (!c)
		return NAN;
	c[0] = 1;
	for (size_t i = 1, top = 0; i <= na; i++) {
		size_t up = nb + i;

		/* times (1 - q^up), from the top so each term is used once */
		for (size_t d = top + up; d >= up; d--)
			c[d] -= c[d - up];
		top += up;
		/* divided by (1 - q^i): c[d] += c[d - i], upwards */
		for (size_t d = i; d <= top; d++)
			c[d] += c[d - i];
		top -= i;
	}
	for (size_t d = 0; d <= deg; d++) {
		total += (double)c[d];
		if (d >= u)
			tail += (double)c[d];
	}
	free(c);
	return tail / total;
}

double stats_mann_whitney_min_p(size_t na, size_t nb)
{
	if (na < 2 || nb < 2 || na > SIZE_MAX - nb)
		return NAN;
	double dn = (double)(na + nb), dna = (double)na, dnb = (double)nb;

	if (na + nb <= STATS_MW_EXACT_MAX) {
		double p = 2.0 * stats_mw_exact_sf(na, nb, na * nb);
		return p > 1.0 ? 1.0 : p;
	}
	double z = (dna * dnb / 2.0 - 0.5) / sqrt(dna * dnb / 12.0 * (dn + 1.0));
	return erfc(z / M_SQRT2);
}

double stats_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
	if (!a || !b || na < 2 || nb < 2 || na > SIZE_MAX - nb)
		return NAN;
	size_t n = na + nb;
	if (n > SIZE_MAX / sizeof(struct stats_mw_item))
		return NAN;

	struct stats_mw_item *all = malloc(n * sizeof(*all));
	if (!all)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double v = i < na ? a[i] : b[i - na];

		if (!isfinite(v)) {
			free(all);
			return NAN;
		}
		all[i] = (struct stats_mw_item){ .v = v, .from_a = i < na };
	}
	qsort(all, n, sizeof(*all), stats_cmp_mw_item);

	/* Mid-ranks: a tie group occupying 1-based ranks i+1 .. e gets
	 * (i + 1 + e) / 2 each; sum(t^3 - t) feeds the variance correction. */
	double rank_sum_a = 0.0, ties = 0.0;
	for (size_t i = 0; i < n;) {
		size_t e = i + 1;

		while (e < n && all[e].v == all[i].v)
			e++;
		double t = (double)(e - i), mid = ((double)(i + 1) + (double)e) / 2.0;
		for (size_t m = i; m < e; m++)
			if (all[m].from_a)
				rank_sum_a += mid;
		ties += t * t * t - t;
		i = e;
	}
	free(all);

	double dn = (double)n, dna = (double)na, dnb = (double)nb;
	double u_a = rank_sum_a - dna * (dna + 1.0) / 2.0;
	double mu = dna * dnb / 2.0;

	if (ties == 0.0 && n <= STATS_MW_EXACT_MAX) {
		/* Without ties U_a is a whole number; the larger of U_a and
		 * na nb - U_a is as far into either tail. */
		double far = u_a > dna * dnb - u_a ? u_a : dna * dnb - u_a;
		double p = 2.0 * stats_mw_exact_sf(na, nb, (size_t)llround(far));
		return p > 1.0 ? 1.0 : p;
	}
	double var = dna * dnb / 12.0 * ((dn + 1.0) - ties / (dn * (dn - 1.0)));

	if (!(var > 0.0))
		return 1.0;	/* one value everywhere: no evidence either way */
	/* 0.5: continuity correction for a discrete U (scipy's default). */
	double z = (fabs(u_a - mu) - 0.5) / sqrt(var);
	if (z <= 0.0)
		return 1.0;
	double p = erfc(z / M_SQRT2);	/* = 2 (1 - Phi(z)) */
	return p > 1.0 ? 1.0 : p;
}
