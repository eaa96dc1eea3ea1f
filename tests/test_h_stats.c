/*
 * tests/test_h_stats.c - harness/stats against vectors worked out by
 * hand; the arithmetic is in the comments beside each expectation.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "tests/check.h"
#include "harness/stats.h"

/* Expected values below are exact or given to 1e-9 relative or better. */
#define EPS 1e-9

Test(h_stats, five_values, .timeout = 30)
{
	const double x[] = { 3, 1, 5, 2, 4 };
	struct stats_summary s;

	cr_assert_eq(stats_summarize(x, 5, &s), 0);
	cr_assert_eq(s.n, 5);
	cr_assert_float_eq(s.median, 3.0, EPS);		/* middle of 1 2 3 4 5 */
	cr_assert_float_eq(s.mean, 3.0, EPS);		/* 15 / 5 */
	/* deviations -2 -1 0 1 2: squares sum to 10, / (5 - 1) = 2.5 */
	cr_assert_float_eq(s.stddev, sqrt(2.5), EPS);
	cr_assert_float_eq(s.cv, sqrt(2.5) / 3.0, EPS);	/* 0.527046276... */
	cr_assert_float_eq(s.min, 1.0, EPS);
	cr_assert_float_eq(s.max, 5.0, EPS);
	/* type 7: h = (5 - 1) * 0.9 = 3.6 -> x[3] + 0.6 (x[4] - x[3]) = 4 + 0.6 */
	cr_assert_float_eq(s.p90, 4.6, EPS);
	/* h = 4 * 0.99 = 3.96 -> 4 + 0.96 * 1 */
	cr_assert_float_eq(s.p99, 4.96, EPS);
	/* n < 6: even [x(1), x(5)] covers only 1 - 2 / 2^5 = 93.75 %, so
	 * the interval is [min, max] */
	cr_assert_float_eq(s.ci95_lo, 1.0, EPS);
	cr_assert_float_eq(s.ci95_hi, 5.0, EPS);
}

Test(h_stats, even_length, .timeout = 30)
{
	const double x[] = { 4, 1, 3, 2 };
	struct stats_summary s;

	cr_assert_eq(stats_summarize(x, 4, &s), 0);
	/* h = 3 * 0.5 = 1.5 -> x[1] + 0.5 (x[2] - x[1]) = 2 + 0.5 */
	cr_assert_float_eq(s.median, 2.5, EPS);
	cr_assert_float_eq(s.mean, 2.5, EPS);		/* 10 / 4 */
	/* deviations -1.5 -0.5 0.5 1.5: squares 2.25 + 0.25 + 0.25 + 2.25 = 5, / 3 */
	cr_assert_float_eq(s.stddev, sqrt(5.0 / 3.0), EPS);	/* 1.2909944... */
	cr_assert_float_eq(s.cv, sqrt(5.0 / 3.0) / 2.5, EPS);	/* 0.5163977... */
	/* h = 3 * 0.9 = 2.7 -> 3 + 0.7 * (4 - 3) */
	cr_assert_float_eq(s.p90, 3.7, EPS);
	/* h = 3 * 0.99 = 2.97 -> 3 + 0.97 */
	cr_assert_float_eq(s.p99, 3.97, EPS);
	cr_assert_float_eq(s.ci95_lo, 1.0, EPS);
	cr_assert_float_eq(s.ci95_hi, 4.0, EPS);
}

/* Twenty squares 1, 4, ..., 400, shuffled. */
Test(h_stats, twenty_values_interior_ci, .timeout = 30)
{
	const double x[20] = {
		49, 400, 1, 144, 256, 9, 361, 100, 16, 225,
		81, 324, 4, 196, 36, 289, 121, 64, 169, 25,
	};
	struct stats_summary s;

	cr_assert_eq(stats_summarize(x, 20, &s), 0);
	/* h = 19 * 0.5 = 9.5 -> (10^2 + 11^2) / 2 = (100 + 121) / 2 */
	cr_assert_float_eq(s.median, 110.5, EPS);
	/* sum i^2, i = 1..20 = 20 * 21 * 41 / 6 = 2870; / 20 */
	cr_assert_float_eq(s.mean, 143.5, EPS);
	/* sum i^4 = 20 * 21 * 41 * (3 * 400 + 3 * 20 - 1) / 30 = 722666;
	 * variance = (722666 - 20 * 143.5^2) / 19 = (722666 - 411845) / 19
	 * = 310821 / 19 = 16359 exactly */
	cr_assert_float_eq(s.stddev, sqrt(16359.0), 1e-9);	/* 127.9023064... */
	cr_assert_float_eq(s.cv, sqrt(16359.0) / 143.5, EPS);
	cr_assert_float_eq(s.min, 1.0, EPS);
	cr_assert_float_eq(s.max, 400.0, EPS);
	/* h = 19 * 0.9 = 17.1 -> x[17] = 18^2 = 324, x[18] = 361: 324 + 0.1 * 37 */
	cr_assert_float_eq(s.p90, 327.7, 1e-9);
	/* h = 19 * 0.99 = 18.81 -> 361 + 0.81 * (400 - 361) = 361 + 31.59 */
	cr_assert_float_eq(s.p99, 392.59, 1e-9);
	/* Binomial(20, 1/2): P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504)
	 * / 2^20 = 21700 / 1048576 = 0.0207, coverage 1 - 2 * 0.0207 = 95.86 %;
	 * P(B <= 6) adds 38760: 0.0577, coverage 88.5 %.  So j = 6, k = 15:
	 * x(6) = 6^2 and x(15) = 15^2 */
	cr_assert_float_eq(s.ci95_lo, 36.0, EPS);
	cr_assert_float_eq(s.ci95_hi, 225.0, EPS);
}

Test(h_stats, hundred_values_ci_ranks, .timeout = 30)
{
	double x[100];
	struct stats_summary s;

	/* 100, 99, ..., 1: the value is its own rank once sorted. */
	for (int i = 0; i < 100; i++)
		x[i] = 100 - i;
	cr_assert_eq(stats_summarize(x, 100, &s), 0);
	cr_assert_float_eq(s.median, 50.5, EPS);
	/* P(B <= 39) = 0.0176 (coverage 96.48 %), P(B <= 40) = 0.0284
	 * (94.3 %): j = 40, k = 61 */
	cr_assert_float_eq(s.ci95_lo, 40.0, EPS);
	cr_assert_float_eq(s.ci95_hi, 61.0, EPS);
	/* h = 99 * 0.99 = 98.01 -> 99 + 0.01 */
	cr_assert_float_eq(s.p99, 99.01, 1e-9);
}

/* n == 1: a spread from one sample would be made up, so NaN. */
Test(h_stats, one_value, .timeout = 30)
{
	const double x[] = { 7.25 };
	struct stats_summary s;

	cr_assert_eq(stats_summarize(x, 1, &s), 0);
	cr_assert_eq(s.n, 1);
	cr_assert_float_eq(s.median, 7.25, EPS);
	cr_assert_float_eq(s.mean, 7.25, EPS);
	cr_assert_float_eq(s.min, 7.25, EPS);
	cr_assert_float_eq(s.max, 7.25, EPS);
	cr_assert_float_eq(s.p90, 7.25, EPS);
	cr_assert_float_eq(s.p99, 7.25, EPS);
	cr_assert_float_eq(s.ci95_lo, 7.25, EPS);
	cr_assert_float_eq(s.ci95_hi, 7.25, EPS);
	cr_assert(isnan(s.stddev));
	cr_assert(isnan(s.cv));
}

Test(h_stats, constant_and_zero_mean, .timeout = 30)
{
	const double c[] = { 2, 2, 2 };
	const double z[] = { -1, 1 };
	struct stats_summary s;

	cr_assert_eq(stats_summarize(c, 3, &s), 0);
	cr_assert_eq(s.stddev, 0.0);
	cr_assert_eq(s.cv, 0.0);
	cr_assert_eq(s.p99, 2.0);

	cr_assert_eq(stats_summarize(z, 2, &s), 0);
	cr_assert_float_eq(s.mean, 0.0, EPS);
	cr_assert_float_eq(s.stddev, sqrt(2.0), EPS);	/* (1 + 1) / 1 */
	cr_assert(isnan(s.cv));				/* mean == 0 */
}

Test(h_stats, rejects_bad_input, .timeout = 30)
{
	const double ok[] = { 1, 2, 3 };
	const double with_nan[] = { 1, NAN, 3 };
	const double with_inf[] = { 1, 2, INFINITY };
	const double with_ninf[] = { -INFINITY, 2, 3 };
	struct stats_summary s, before;

	memset(&s, 0x5a, sizeof(s));
	before = s;
	cr_assert_eq(stats_summarize(ok, 0, &s), -EINVAL);
	cr_assert_eq(stats_summarize(with_nan, 3, &s), -EINVAL);
	cr_assert_eq(stats_summarize(with_inf, 3, &s), -EINVAL);
	cr_assert_eq(stats_summarize(with_ninf, 3, &s), -EINVAL);
	cr_assert_eq(stats_summarize(NULL, 3, &s), -EINVAL);
	cr_assert_eq(stats_summarize(ok, 3, NULL), -EINVAL);
	/* Nothing made up: the output is untouched on error. */
	cr_assert_eq(memcmp(&s, &before, sizeof(s)), 0);
	/* Finite values whose mean overflows a double. */
	const double huge[] = { 1.5e308, 1.5e308 };
	cr_assert_eq(stats_summarize(huge, 2, &s), -ERANGE);
}

Test(h_stats, input_not_modified, .timeout = 30)
{
	double x[] = { 9, -3, 5, 5, 0.5, 12, -7 };
	double copy[7];
	struct stats_summary s;

	memcpy(copy, x, sizeof(x));
	cr_assert_eq(stats_summarize(x, 7, &s), 0);
	cr_assert_eq(memcmp(x, copy, sizeof(x)), 0);
	cr_assert_eq(s.min, -7.0);
	cr_assert_eq(s.max, 12.0);
	cr_assert_eq(s.median, 5.0);	/* -7 -3 0.5 [5] 5 9 12 */
}

Test(h_stats, quantile_edges, .timeout = 30)
{
	const double x[] = { 10, 20, 30, 40 };

	cr_assert_eq(stats_quantile_sorted(x, 4, 0.0), 10.0);
	cr_assert_eq(stats_quantile_sorted(x, 4, 1.0), 40.0);
	/* h = 3 * 0.25 = 0.75 -> 10 + 0.75 * 10 */
	cr_assert_float_eq(stats_quantile_sorted(x, 4, 0.25), 17.5, EPS);
	/* h = 3 / 3 = 1 exactly -> x[1] */
	cr_assert_float_eq(stats_quantile_sorted(x, 4, 1.0 / 3.0), 20.0, 1e-12);
	cr_assert_eq(stats_quantile_sorted(x, 1, 0.7), 10.0);
	cr_assert(isnan(stats_quantile_sorted(x, 0, 0.5)));
	cr_assert(isnan(stats_quantile_sorted(x, 4, -0.01)));
	cr_assert(isnan(stats_quantile_sorted(x, 4, 1.01)));
	cr_assert(isnan(stats_quantile_sorted(x, 4, NAN)));
}

/*
 * The one median every workload uses (the pool's task alone, the work
 * loop's calibration, the queue's pace, the lesson's lock ratio, the
 * history's segments): the middle of an unsorted odd count, the mean of
 * the two middle values of an even count, never the largest or the
 * smallest, and the array left sorted for the quartiles after it.
 */
Test(h_stats, median_of_unsorted_odd_and_even_counts, .timeout = 30)
{
	double odd[] = { 900, 100, 500, 300, 700 };	/* a late try first */
	double even[] = { 40, 10, 30, 20 };
	double skew[] = { 1, 1, 1, 1000, 1000000 };
	double one[] = { 7 };

	cr_assert_eq(stats_median(odd, 5), 500.0);
	for (int i = 1; i < 5; i++)
		cr_assert_leq(odd[i - 1], odd[i], "sorted in place");
	cr_assert_eq(stats_median(even, 4), 25.0, "the mean of 20 and 30, not either");
	cr_assert_eq(even[0], 10.0);
	cr_assert_eq(even[3], 40.0);
	cr_assert_eq(stats_median(skew, 5), 1.0, "one preempted try moves no median");
	cr_assert_eq(stats_median(skew, 4), 1.0);
	cr_assert_eq(stats_median(one, 1), 7.0);
	cr_assert_eq(stats_median((double[]){ 3, 1 }, 2), 2.0);
	cr_assert(isnan(stats_median(one, 0)));
	cr_assert(isnan(stats_median(NULL, 3)));
}

Test(h_stats, jain_index, .timeout = 30)
{
	const double equal[] = { 5, 5, 5, 5 };
	const double one_all[] = { 0, 0, 9, 0 };
	const double mixed[] = { 1, 2, 3, 4 };
	const double pair[] = { 1, 3 };
	const double zeros[] = { 0, 0, 0 };
	const double neg[] = { 1, -1 };
	const double huge[] = { 1e300, 1e300, 1e300 };

	cr_assert_float_eq(stats_jain_index(equal, 4), 1.0, EPS);
	/* 9^2 / (4 * 81) = 1/4 = 1/n */
	cr_assert_float_eq(stats_jain_index(one_all, 4), 0.25, EPS);
	/* sum 10, sum of squares 1 + 4 + 9 + 16 = 30: 100 / (4 * 30) = 5/6 */
	cr_assert_float_eq(stats_jain_index(mixed, 4), 5.0 / 6.0, EPS);
	/* 4^2 / (2 * 10) = 0.8 */
	cr_assert_float_eq(stats_jain_index(pair, 2), 0.8, EPS);
	/* (3e300)^2 would overflow; the index is scale-free. */
	cr_assert_float_eq(stats_jain_index(huge, 3), 1.0, EPS);
	cr_assert(isnan(stats_jain_index(equal, 0)));
	cr_assert(isnan(stats_jain_index(zeros, 3)));
	cr_assert(isnan(stats_jain_index(neg, 2)));
}

Test(h_stats, mann_whitney_identical, .timeout = 30)
{
	const double a[] = { 1, 2, 3, 4, 5 };

	/* Every value tied in pairs: mid-ranks 1.5, 3.5, ..., 9.5 sum to
	 * 27.5 for a; U = 27.5 - 5 * 6 / 2 = 12.5 = 5 * 5 / 2: z <= 0, p = 1. */
	cr_assert_float_eq(stats_mann_whitney_p(a, 5, a, 5), 1.0, EPS);
	/* One value everywhere: sigma = 0, nothing to tell apart. */
	const double c[] = { 4, 4, 4 };
	cr_assert_float_eq(stats_mann_whitney_p(c, 3, c, 2), 1.0, EPS);
}

Test(h_stats, mann_whitney_separated, .timeout = 30)
{
	double a[10], b[10];

	for (int i = 0; i < 10; i++) {
		a[i] = 1 + i;		/* 1..10 */
		b[i] = 110 - i;		/* 101..110 */
	}
	/* No ties, 20 values: exact.  U_a = 0, the most extreme of the
	 * C(20, 10) = 184756 arrangements; two-sided p = 2 / 184756. */
	double p = stats_mann_whitney_p(a, 10, b, 10);
	cr_assert_float_eq(p, 2.0 / 184756.0, 1e-15);
	cr_assert_float_eq(stats_mann_whitney_p(b, 10, a, 10), p, 1e-15);
	/* The quick sweep's 5 repetitions a side can be significant:
	 * 2 / C(10, 5) = 2 / 252 = 0.0079 < 0.01 (the normal approximation
	 * said 0.012).  6 a side: 2 / 924. */
	cr_assert_float_eq(stats_mann_whitney_p(a, 5, b, 5), 2.0 / 252.0, 1e-15);
	cr_assert_float_eq(stats_mann_whitney_p(a, 6, b, 6), 2.0 / 924.0, 1e-15);
}

/* Larger or tied samples take the normal approximation. */
Test(h_stats, mann_whitney_asymptotic, .timeout = 30)
{
	double a[30], b[30];

	for (int i = 0; i < 30; i++) {
		a[i] = 1 + i;		/* 1..30 */
		b[i] = 130 - i;		/* 101..130 */
	}
	/* 60 values > STATS_MW_EXACT_MAX.  U = 0, mu = 450,
	 * sigma^2 = 900 / 12 * 61 = 4575, z = 449.5 / 67.6387463 = 6.6455992,
	 * p = erfc(z / sqrt 2) = 3.0198594e-11 */
	cr_assert_float_eq(stats_mann_whitney_p(a, 30, b, 30), 3.0198594e-11, 1e-17);
}

Test(h_stats, mann_whitney_exact_interleaved, .timeout = 30)
{
	const double a[] = { 1, 3, 5, 7, 9 }, b[] = { 2, 4, 6, 8, 10, 12 };

	/* R_a = 1 + 3 + 5 + 7 + 9 = 25, U_a = 25 - 15 = 10, na nb = 30: the
	 * far tail is U >= 20, reached by 99 of the C(11, 5) = 462
	 * arrangements (counted by enumeration): p = 2 * 99 / 462 = 0.4285714 */
	cr_assert_float_eq(stats_mann_whitney_p(a, 5, b, 6), 198.0 / 462.0, 1e-12);
}

Test(h_stats, mann_whitney_min_p, .timeout = 30)
{
	/* 2 / C(na + nb, na) without ties */
	cr_assert_float_eq(stats_mann_whitney_min_p(3, 3), 2.0 / 20.0, 1e-15);
	cr_assert_float_eq(stats_mann_whitney_min_p(4, 4), 2.0 / 70.0, 1e-15);
	cr_assert_float_eq(stats_mann_whitney_min_p(5, 5), 2.0 / 252.0, 1e-15);
	cr_assert_float_eq(stats_mann_whitney_min_p(4, 6), 2.0 / 210.0, 1e-15);
	cr_assert_float_eq(stats_mann_whitney_min_p(30, 30), 3.0198594e-11, 1e-17);
	cr_assert(isnan(stats_mann_whitney_min_p(1, 9)));
}

Test(h_stats, median_ci_ranks_and_coverage, .timeout = 30)
{
	static const struct { size_t n, j, k; double cov; } want[] = {
		/* 1 - 2 P(B <= j - 1), B ~ Binomial(n, 1/2) */
		{ 1, 1, 1, 0.0 },
		{ 2, 1, 2, 0.5 },			/* 1 - 2 / 4 */
		{ 5, 1, 5, 0.9375 },			/* 1 - 2 / 32 */
		{ 6, 1, 6, 62.0 / 64.0 },		/* 1 - 2 / 64 */
		{ 8, 1, 8, 254.0 / 256.0 },		/* j = 2 gives 1 - 18 / 256 = 93 % */
		{ 9, 2, 8, 1.0 - 20.0 / 512.0 },	/* P(B <= 1) = 10 / 512 */
		{ 10, 2, 9, 1.0 - 22.0 / 1024.0 },	/* 11 / 1024: 97.85 % */
		{ 20, 6, 15, 1.0 - 43400.0 / 1048576.0 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t j, k;

		stats_median_ci_ranks(want[i].n, &j, &k);
		cr_assert_eq(j, want[i].j, "n = %zu: j = %zu", want[i].n, j);
		cr_assert_eq(k, want[i].k, "n = %zu: k = %zu", want[i].n, k);
		cr_assert_float_eq(stats_median_ci_coverage(want[i].n), want[i].cov, 1e-12,
				   "n = %zu", want[i].n);
	}
	/* Every n from 6 on reaches 95 %, and never by more than one rank's
	 * worth: the next wider j would fall below it. */
	for (size_t n = 6; n <= 3000; n++)
		cr_assert_geq(stats_median_ci_coverage(n), 0.95, "n = %zu", n);
}

Test(h_stats, mann_whitney_small_by_hand, .timeout = 30)
{
	const double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };
	const double c[] = { 1, 2, 2, 4 }, d[] = { 2, 3, 5, 6 };

	/* No ties, exact: U = 0 is 1 of C(6, 3) = 20 arrangements, p = 2 / 20
	 * (the normal approximation said 0.0809) */
	cr_assert_float_eq(stats_mann_whitney_p(a, 3, b, 3), 0.1, 1e-15);
	/* Ties: sorted 1a 2a 2a 2b 3b 4a 5b 6b; the three 2s share ranks 2-4
	 * -> 3 each.  R_c = 1 + 3 + 3 + 6 = 13, U = 13 - 10 = 3, mu = 8;
	 * one tie group t = 3: sum(t^3 - t) = 24, N = 8:
	 * sigma^2 = 16 / 12 * (9 - 24 / 56) = 4/3 * 8.5714286 = 11.4285714,
	 * z = (5 - 0.5) / 3.3806170 = 1.3311180, p = 0.1831502 */
	cr_assert_float_eq(stats_mann_whitney_p(c, 4, d, 4), 0.1831502, 1e-7);
	cr_assert_float_eq(stats_mann_whitney_p(d, 4, c, 4), 0.1831502, 1e-7);
}

Test(h_stats, mann_whitney_too_small, .timeout = 30)
{
	const double a[] = { 1, 2, 3 }, n[] = { 1, NAN };

	cr_assert(isnan(stats_mann_whitney_p(a, 1, a, 3)));
	cr_assert(isnan(stats_mann_whitney_p(a, 3, a, 1)));
	cr_assert(isnan(stats_mann_whitney_p(a, 3, a, 0)));
	cr_assert(isnan(stats_mann_whitney_p(a, 3, n, 2)));
}
