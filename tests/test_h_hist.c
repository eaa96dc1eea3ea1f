/*
 * tests/test_h_hist.c - harness/hist against distributions worked out by
 * hand, and the latency, reported-value and share rows of a run against
 * a workload whose figures are known (bench/selftest.c: selftest.record).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hist.h"
#include "tests/check.h"
#include "tests/h_util.h"

static struct hist h;

Test(h_hist, buckets_tile_the_range, .timeout = 30)
{
	/* Every bucket starts where the last ended, and each is at most
	 * 1/128 of its smallest value wide above the exact range. */
	cr_assert_eq(hist_bucket_lo(0), 0);
	for (int b = 1; b < HIST_BUCKETS; b++) {
		uint64_t lo = hist_bucket_lo(b), prev_hi = hist_bucket_hi(b - 1);

		cr_assert_eq(lo, prev_hi + 1, "bucket %d starts at %llu, %d ended at %llu", b,
			     (unsigned long long)lo, b - 1, (unsigned long long)prev_hi);
		if (b < HIST_BUCKETS - 1 && lo >= 256)
			cr_assert_leq((double)(hist_bucket_hi(b) - lo + 1) / (double)lo, 1.0 / 128);
		cr_assert_eq(hist_bucket(lo), b);
		if (b < HIST_BUCKETS - 1)
			cr_assert_eq(hist_bucket(hist_bucket_hi(b)), b);
	}
	cr_assert_eq(hist_bucket(UINT64_MAX), HIST_BUCKETS - 1);
}

Test(h_hist, exact_below_256, .timeout = 30)
{
	/* 1 .. 200: nearest rank ceil(q n).  p50: the 100th value, 100;
	 * p99: ceil(198) = 198; p999: ceil(199.8) = 200; max 200. */
	hist_clear(&h);
	for (uint64_t v = 1; v <= 200; v++)
		hist_record(&h, v);
	cr_assert_eq(h.count, 200);
	cr_assert_eq(h.min, 1);
	cr_assert_float_eq(h.sum, 20100.0, 1e-9);	/* 200 * 201 / 2 */
	cr_assert_float_eq(hist_quantile(&h, 0.5), 100.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.99), 198.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.999), 200.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 1.0), 200.0, 1e-9);
}

Test(h_hist, within_one_bucket_above, .timeout = 30)
{
	/* 99 values of 1000 and one of 1,000,000: p50 and p99 are 1000's
	 * bucket, [1000, 1003] (2^9 <= 1000 < 2^10: 4 ns wide), reported as
	 * its top, 1003 (0.3 % high); p999 is the ceil(99.9) = 100th value,
	 * the big one, whose bucket top is clipped to the exact maximum. */
	hist_clear(&h);
	for (int i = 0; i < 99; i++)
		hist_record(&h, 1000);
	hist_record(&h, 1000000);
	cr_assert_float_eq(hist_quantile(&h, 0.5), 1003.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.99), 1003.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.999), 1000000.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 1.0), 1000000.0, 1e-9);
	/* Every quantile of a spread within 0.8 % of the exact one. */
	hist_clear(&h);
	for (uint64_t v = 1000; v < 101000; v++)
		hist_record(&h, v);
	for (double q = 0.01; q < 1; q += 0.01) {
		double exact = 1000 + ceil(q * 100000) - 1, got = hist_quantile(&h, q);

		cr_assert(got >= exact && got <= exact * (1 + 1.0 / 128), "q %.2f: %g vs %g", q,
			  got, exact);
	}
}

/*
 * The edges of the layout.  The first bucket holds exactly 0; 255 is the
 * last exact one and 256 opens the first octave, [256, 257].  The last
 * octave runs from 2^47 in steps of 2^40, and its top step is the last
 * bucket, open-ended from 2^48 - 2^40: a value past 2^48 lands there
 * and reads as the exact maximum.
 */
Test(h_hist, first_and_last_buckets, .timeout = 30)
{
	const uint64_t top = UINT64_C(1) << 47, step = UINT64_C(1) << 40;

	cr_assert_eq(hist_bucket(0), 0);
	cr_assert_eq(hist_bucket(255), 255);
	cr_assert_eq(hist_bucket(256), 256);
	cr_assert_eq(hist_bucket_hi(256), 257);
	cr_assert_eq(hist_bucket(top), HIST_BUCKETS - 128);
	cr_assert_eq(hist_bucket_hi(HIST_BUCKETS - 128), top + step - 1);
	cr_assert_eq(hist_bucket((UINT64_C(1) << 48) - 1), HIST_BUCKETS - 1);
	cr_assert_eq(hist_bucket_lo(HIST_BUCKETS - 1), (UINT64_C(1) << 48) - step);
	cr_assert_eq(hist_bucket(UINT64_C(1) << 48), HIST_BUCKETS - 1);

	/* {0, 0, 0, 7}: ranks 1..3 are 0, the 4th 7. */
	hist_clear(&h);
	for (int i = 0; i < 3; i++)
		hist_record(&h, 0);
	hist_record(&h, 7);
	cr_assert_eq(h.min, 0);
	cr_assert_float_eq(hist_quantile(&h, 0.001), 0.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.75), 0.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.76), 7.0, 1e-9);

	/* {255, 256, 257, 1000}: 255 exact; 256 and 257 share [256, 257];
	 * 1000's bucket [1000, 1003] is clipped to the maximum. */
	hist_clear(&h);
	hist_record(&h, 255);
	hist_record(&h, 256);
	hist_record(&h, 257);
	hist_record(&h, 1000);
	cr_assert_float_eq(hist_quantile(&h, 0.25), 255.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.5), 257.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.75), 257.0, 1e-9);
	cr_assert_float_eq(hist_quantile(&h, 0.99), 1000.0, 1e-9);

	/* {2^47, 2^47, 2^48 + 5, 2^60}: the median is the top of 2^47's
	 * bucket; the 3rd value shares the last bucket with the 4th, and
	 * reads as the maximum, 2^60. */
	hist_clear(&h);
	hist_record(&h, top);
	hist_record(&h, top);
	hist_record(&h, (UINT64_C(1) << 48) + 5);
	hist_record(&h, UINT64_C(1) << 60);
	cr_assert_float_eq(hist_quantile(&h, 0.5), (double)(top + step - 1), 1.0);
	cr_assert_float_eq(hist_quantile(&h, 0.75), 0x1p60, 1.0);
	cr_assert_eq(h.bucket[HIST_BUCKETS - 1], 2);
	cr_assert_eq(h.max, UINT64_C(1) << 60);
}

Test(h_hist, merge_and_empty, .timeout = 30)
{
	static struct hist a, b;

	hist_clear(&a);
	hist_clear(&b);
	cr_assert(isnan(hist_quantile(&a, 0.5)), "an empty histogram has no median");
	hist_record(&a, 10);
	hist_record(&b, 30);
	hist_record(&b, 20);
	hist_add(&a, &b);
	cr_assert_eq(a.count, 3);
	cr_assert_eq(a.min, 10);
	cr_assert_eq(a.max, 30);
	cr_assert_float_eq(hist_quantile(&a, 0.5), 20.0, 1e-9);	/* 2nd of 10 20 30 */
}

/* The value of `metric` in results t, for `threads` tasks in `mode`. */
static double hist_row(const struct csv_table *t, const char *mode, const char *threads,
		       const char *metric)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(t->rows[r][cli_col(t, "metric")], metric) &&
		    !strcmp(t->rows[r][cli_col(t, "mode")], mode) &&
		    !strcmp(t->rows[r][cli_col(t, "threads")], threads))
			return strtod(t->rows[r][cli_col(t, "median")], NULL);
	cr_assert(0, "no %s row for %s tasks=%s", metric, mode, threads);
	return NAN;
}

/*
 * selftest.record: each operation records 100, 200, ..., 1000 and a
 * constant 5000, and each task reports id + 1.  However the rounds were
 * sized, the merged distributions read p50 501 (500's bucket [500,501]),
 * p99 and max 1000 and 5000 flat, first's max 900 (9000 only in the
 * first of 3 latency rounds: each round's histograms start empty), edge
 * (of each 1000: 990 zeros, 9 of 20, one 2^50: the first bucket and
 * the open-ended last) p99 0, p999 20, max 2^50; the most reported id
 * is the task
 * count, their sum n(n+1)/2, the least and the most against their
 * mean 1/2 and 3/2, and the mean over the tasks of even id alone 2
 * (the others report none), and none of the measured rounds has
 * first_round_only (calibration's first round alone reports it: a
 * report left over from it would read 6); task k does k + 1 shares of the work, so
 * of 3 tasks the least did 1 / 2 of a fair share, the most 3 / 2.  And
 * histograms.csv holds the merged buckets, which sum to the recordings.
 */
Test(h_hist, run_rows_are_the_known_figures, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], out[128], hist[128];
	struct csv_table t, hc;
	const char *modes[] = { "thread", "process" };

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(hist, sizeof(hist), "%s/h.csv", dir);
	CLI(&r, "run", "selftest.record", "--threads", "1,3", "--reps", "3", "--min-time",
	    "0.005", "--counters", "none", "--out", out, "--histograms", hist);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	for (int m = 0; m < 2; m++) {
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "spread_p50"), 501.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "spread_p99"), 1000.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "spread_max"), 1000.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "flat_p999"), 5000.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "top_id"), 3.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "id_sum"), 6.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "1", "id_sum"), 1.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "id_share_min"), 0.5, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "id_share_max"), 1.5, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "1", "id_share_max"), 1.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "share_min"), 0.5, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "share_max"), 1.5, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "1", "share_min"), 1.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "even_id_mean"), 2.0, 1e-9);
		/* 9000 in the first latency round alone: the median max 900 */
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "first_max"), 900.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "1", "first_max"), 900.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "1", "even_id_mean"), 1.0, 1e-9);
		for (size_t i = 0; i < t.nrows; i++)
			cr_assert(strcmp(t.rows[i][cli_col(&t, "metric")], "first_round_only"),
				  "a value reported in calibration's first round alone has a "
				  "row: %s tasks, %s", t.rows[i][cli_col(&t, "threads")],
				  t.rows[i][cli_col(&t, "median")]);
		/* of 1000: 990 x 0, 9 x 20, 1 x 2^50 (the first bucket, one
		 * between, the last; the CSV keeps 9 significant digits) */
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "edge_p50"), 0.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "edge_p99"), 0.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "edge_p999"), 20.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "1", "edge_p999"), 20.0, 1e-9);
		cr_assert_float_eq(hist_row(&t, modes[m], "3", "edge_max"), 0x1p50, 0x1p50 * 1e-8);
	}
	cli_read_csv(hist, &hc);
	{
		int c_lo = cli_col(&hc, "bucket_lo_ns"), c_hi = cli_col(&hc, "bucket_hi_ns");
		int c_n = cli_col(&hc, "count"), c_m = cli_col(&hc, "metric");
		size_t flat = 0, spread = 0, first = 0, edge = 0;
		double zeros = 0, twenties = 0, tops = 0;

		for (size_t i = 0; i < hc.nrows; i++) {
			long lo = strtol(hc.rows[i][c_lo], NULL, 10);
			long hi = strtol(hc.rows[i][c_hi], NULL, 10);

			cr_assert_leq(lo, hi);
			cr_assert_gt(strtol(hc.rows[i][c_n], NULL, 10), 0, "empty buckets are left out");
			if (!strcmp(hc.rows[i][c_m], "flat")) {
				flat++;
				cr_assert(lo <= 5000 && 5000 <= hi, "5000 in [%ld, %ld]", lo, hi);
			} else if (!strcmp(hc.rows[i][c_m], "edge")) {
				double n = strtod(hc.rows[i][c_n], NULL);

				edge++;
				/* [0, 0], [20, 20], and [2^48 - 2^40, 2^50]:
				 * the last bucket ends at the exact maximum */
				if (lo == 0) {
					cr_assert_eq(hi, 0);
					zeros += n;
				} else if (lo == 20) {
					cr_assert_eq(hi, 20);
					twenties += n;
				} else {
					cr_assert_eq(lo, (1L << 48) - (1L << 40));
					cr_assert_eq(hi, 1L << 50);
					tops += n;
				}
			} else if (!strcmp(hc.rows[i][c_m], "first")) {
				first++;
				cr_assert((lo <= 900 && 900 <= hi) || (lo <= 9000 && 9000 <= hi),
					  "900 or 9000 in [%ld, %ld]", lo, hi);
			} else {
				cr_assert_str_eq(hc.rows[i][c_m], "spread");
				spread++;
				cr_assert(lo >= 100 && lo <= 1000 && lo % 100 <= 4);
			}
		}
		cr_assert_eq(flat, 4, "one bucket per configuration: %zu", flat);
		cr_assert_eq(spread, 4 * 10, "ten buckets per configuration: %zu", spread);
		cr_assert_eq(first, 4 * 2, "two buckets per configuration: %zu", first);
		cr_assert_eq(edge, 4 * 3, "three buckets per configuration: %zu", edge);
		cr_assert_float_eq(zeros, 990 * tops, 1e-9, "990 zeros for each 2^50");
		cr_assert_float_eq(twenties, 9 * tops, 1e-9, "9 of 20 for each 2^50");
	}
	csv_table_free(&t);
	csv_table_free(&hc);
	cli_rmdir(dir);
}

/* --histograms is a file of its own: never the results file too. */
Test(h_hist, histograms_and_out_must_differ, .timeout = 30)
{
	static struct cli_run r;

	CLI(&r, "run", "selftest.record", "--out", "/tmp/contend-same.csv", "--histograms",
	    "/tmp/contend-same.csv");
	cli_expect_bad(&r, "--histograms");
}
