/*
 * tests/test_h_history.c - `contend history`: the change-point method on
 * synthetic series whose answer is known (a step is found at its first
 * point, also with only HISTORY_MIN_SEGMENT points on one side;
 * stationary noise and single spikes are quiet; the noise scale is the
 * median neighbours' difference, even counts included), and the command:
 * append runs to a machine's history, check it, draw its timelines.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/history.h"
#include "tests/check.h"
#include "tests/h_util.h"

/* A normal deviate from a fixed-seed xorshift (Box-Muller), so that
 * every series is the same on every run. */
static double hx_normal(unsigned long long *s)
{
	double u[2];

	for (int i = 0; i < 2; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		u[i] = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
	}
	return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

/* 100 +- sigma noise, plus `step` from index `at` on (at >= n: none). */
static void hx_series(double *x, size_t n, double sigma, size_t at, double step,
		      unsigned long long seed)
{
	for (size_t i = 0; i < n; i++)
		x[i] = 100 + sigma * hx_normal(&seed) + (i >= at ? step : 0);
}

static int hx_cps(const double *x, size_t n, size_t *cps)
{
	double s = history_scale(x, n, 0);
	int k = history_changepoints(x, n, HISTORY_MIN_SEGMENT, s, history_penalty(n), cps, 16);

	cr_assert_geq(k, 0);
	return k;
}

Test(history, a_step_is_found_at_its_first_point, .timeout = 30)
{
	double x[40];
	size_t cps[16];

	/* Steps of 6 to 13 noise sigmas with 6 or more points on each side,
	 * up and down: found exactly where they start.  (Smaller steps and
	 * shorter sides are found less often: the README gives the rates.) */
	for (unsigned long long seed = 1; seed <= 20; seed++)
		for (size_t at = 6; at <= 34; at += 4) {
			double step = (seed % 2 ? 1 : -1) * (6 + (double)(seed % 8));
			int k;

			hx_series(x, 40, 1, at, step, seed * 7919);
			k = hx_cps(x, 40, cps);
			cr_assert_eq(k, 1, "seed %llu step %g at %zu: %d change points", seed, step,
				     at, k);
			cr_assert_eq(cps[0], at, "seed %llu step %g at %zu: found at %zu", seed,
				     step, at, cps[0]);
		}
	/* Two steps, both found. */
	hx_series(x, 40, 1, 12, 6, 99);
	for (size_t i = 26; i < 40; i++)
		x[i] += 8;
	cr_assert_eq(hx_cps(x, 40, cps), 2);
	cr_assert_eq(cps[0], 12);
	cr_assert_eq(cps[1], 26);
}

Test(history, stationary_noise_is_quiet, .timeout = 60)
{
	double x[60];
	size_t cps[16];
	int loud = 0;

	/* 200 series of 10 to 60 points: not one false shift. */
	for (unsigned long long seed = 1; seed <= 200; seed++) {
		size_t n = 10 + (size_t)(seed % 51);

		hx_series(x, n, 1 + (double)(seed % 5), n, 0, seed * 104729);
		loud += hx_cps(x, n, cps) != 0;
	}
	cr_assert_eq(loud, 0, "%d of 200 stationary series had a shift", loud);
}

Test(history, single_spikes_are_quiet, .timeout = 30)
{
	double x[40];
	size_t cps[16];

	/* One spike of 5 to 1000 sigmas anywhere, up or down, or two far
	 * apart: a spike is not a persistent shift. */
	for (unsigned long long seed = 1; seed <= 40; seed++) {
		size_t at = (size_t)(seed % 40), at2 = (at + 17) % 40;
		double h = (seed % 2 ? 1 : -1) * (5 + (double)(seed * seed % 1000));

		hx_series(x, 40, 1, 40, 0, seed * 15485863);
		x[at] += h;
		cr_assert_eq(hx_cps(x, 40, cps), 0, "seed %llu: a spike of %g at %zu", seed, h,
			     at);
		x[at2] -= h;
		cr_assert_eq(hx_cps(x, 40, cps), 0, "seed %llu: spikes at %zu and %zu", seed,
			     at, at2);
	}
}

Test(history, edge_cases, .timeout = 10)
{
	double x[8] = { 5, 5, 5, 5, 5, 5, 5, 5 };
	size_t cps[4];

	/* Too short for two segments of 3; a constant series has no noise
	 * to judge by and no shift. */
	cr_assert_eq(history_changepoints(x, 5, 3, 1, 10, cps, 4), 0);
	cr_assert_gt(history_scale(x, 8, 0.5), 0);
	cr_assert_eq(history_scale(x, 8, 0), 0);
	cr_assert_eq(history_changepoints(x, 8, 3, 0, 10, cps, 4), -EINVAL);
	cr_assert_eq(history_changepoints(x, 8, 0, 1, 10, cps, 4), -EINVAL);
	/* A clean step with no noise at all: the intervals set the scale. */
	double y[8] = { 5, 5, 5, 5, 9, 9, 9, 9 };
	cr_assert_eq(history_changepoints(y, 8, 3, history_scale(y, 8, 0.1), history_penalty(8),
					  cps, 4), 1);
	cr_assert_eq(cps[0], 4);
}

/* The noise scale, a known answer: the median of the neighbours'
 * differences over 0.6745 sqrt 2, the mean of the middle two where their
 * count is even (n odd: 2, then 4 differences). */
Test(history, scale_is_the_median_difference, .timeout = 10)
{
	const double k = 0.6745 * sqrt(2);
	double x3[] = { 0, 1, 4 }, x5[] = { 10, 11, 13, 16, 26 };

	/* |differences| 1, 3: median 2. */
	cr_assert_float_eq(history_scale(x3, 3, 0), 2 / k, 1e-12, "%g",
			   history_scale(x3, 3, 0) * k);
	/* 1, 2, 3, 10: median 2.5. */
	cr_assert_float_eq(history_scale(x5, 5, 0), 2.5 / k, 1e-12, "%g",
			   history_scale(x5, 5, 0) * k);
	/* An odd count: 1, 2, 3: median 2. */
	cr_assert_float_eq(history_scale(x5, 4, 0), 2 / k, 1e-12);
}

/* A segment of exactly min_seg points is a segment: a step with
 * HISTORY_MIN_SEGMENT points on one side is found, at the start or at
 * the end of a series. */
Test(history, a_segment_of_exactly_min_seg_points_counts, .timeout = 10)
{
	double y[6] = { 5, 5, 5, 9, 9, 9 }, x[40];
	size_t cps[4];

	cr_assert_eq(history_changepoints(y, 6, HISTORY_MIN_SEGMENT, history_scale(y, 6, 0.1),
					  history_penalty(6), cps, 4), 1);
	cr_assert_eq(cps[0], 3);
	/* 13 noise sigmas, 3 points after the step or 3 before it. */
	for (unsigned long long seed = 1; seed <= 10; seed++) {
		hx_series(x, 40, 1, 40 - HISTORY_MIN_SEGMENT, 13, seed * 7919);
		cr_assert_eq(hx_cps(x, 40, cps), 1, "seed %llu: the last 3 points' step", seed);
		cr_assert_eq(cps[0], 40 - HISTORY_MIN_SEGMENT);
		hx_series(x, 40, 1, HISTORY_MIN_SEGMENT, -13, seed * 7919);
		cr_assert_eq(hx_cps(x, 40, cps), 1, "seed %llu: the first 3 points' step", seed);
		cr_assert_eq(cps[0], HISTORY_MIN_SEGMENT);
	}
}

/* ---- the command ------------------------------------------------------------ */

/* dir/run<i>: a run folder of one configuration, its median m, revision
 * rev<i>, host "hx". */
static void hx_run(const char *dir, int i, double m)
{
	char path[256], text[1024];

	snprintf(path, sizeof(path), "%s/run%02d", dir, i);
	cr_assert_eq(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/run%02d/results.csv", dir, i);
	snprintf(text, sizeof(text),
		 "run_id,bench,mode,placement,threads,params,metric,unit,reps,median,mean,"
		 "stddev,cv,min,max,p90,p99,ci95_lo,ci95_hi,cpus\n"
		 "id%02d,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,10,%.6g,%.6g,1,"
		 "0.01,1,1,1,1,%.6g,%.6g,0\n", i, m, m, m - 0.5, m + 0.5);
	cli_write_str(path, text);
	snprintf(path, sizeof(path), "%s/run%02d/env.csv", dir, i);
	snprintf(text, sizeof(text), "key,value\nhost,hx\ngit_revision,rev%02d\ndate,d%02d\n", i,
		 i);
	cli_write_str(path, text);
}

Test(history, append_check_plot, .timeout = 120)
{
	char dir[64], hist[128], file[160], run[160], plots[160], png[400];
	unsigned long long seed = 42;
	struct cli_run r;
	struct stat st;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(hist, sizeof(hist), "%s/hist", dir);
	snprintf(file, sizeof(file), "%s/hx.csv", hist);
	snprintf(plots, sizeof(plots), "%s/plots", dir);
	cr_assert_eq(mkdir(hist, 0777), 0);
	cr_assert_eq(mkdir(plots, 0777), 0);
	double med[21];

	/* 20 runs; from the 13th (rev13) on, 8 % slower. */
	for (int i = 1; i <= 20; i++) {
		med[i] = 100 + hx_normal(&seed) + (i >= 13 ? 8 : 0);
		hx_run(dir, i, med[i]);
		snprintf(run, sizeof(run), "%s/run%02d", dir, i);
		CLI(&r, "history", "append", hist, run);
		cr_assert_eq(r.status, 0, "%s", r.err);
		if (i == 12) {
			/* Before the step: nothing to report. */
			CLI(&r, "history", "check", file);
			cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
		}
	}
	/* The history holds each run once, in order, with its revision,
	 * date, run id and figures. */
	{
		struct csv_table t;
		char want[64];

		cli_read_csv(file, &t);
		cr_assert_eq(t.nrows, 20);
		for (size_t i = 0; i < 20; i++) {
			snprintf(want, sizeof(want), "rev%02zu", i + 1);
			cr_assert_str_eq(t.rows[i][cli_col(&t, "revision")], want);
			snprintf(want, sizeof(want), "d%02zu", i + 1);
			cr_assert_str_eq(t.rows[i][cli_col(&t, "date")], want);
			snprintf(want, sizeof(want), "id%02zu", i + 1);
			cr_assert_str_eq(t.rows[i][cli_col(&t, "run_id")], want);
			cr_assert_str_eq(t.rows[i][cli_col(&t, "bench")], "ctx.thread.futex");
			cr_assert_str_eq(t.rows[i][cli_col(&t, "metric")], "roundtrip");
			snprintf(want, sizeof(want), "%.6g", med[i + 1]);
			cr_assert_str_eq(t.rows[i][cli_col(&t, "median")], want);
			snprintf(want, sizeof(want), "%.6g", med[i + 1] - 0.5);
			cr_assert_str_eq(t.rows[i][cli_col(&t, "ci95_lo")], want);
			snprintf(want, sizeof(want), "%.6g", med[i + 1] + 0.5);
			cr_assert_str_eq(t.rows[i][cli_col(&t, "ci95_hi")], want);
		}
		csv_table_free(&t);
	}
	CLI(&r, "history", "check", file);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "| ctx.thread.futex | thread | same-core | 2 | ws_kb=0 | "
				"roundtrip | rev13 |"), "%s", r.out);
	cr_assert(strstr(r.err, "1 series, 1 persistent shifts"), "%s", r.err);
	/* The change is relative to the level before the shift: a step of
	 * 8 on 100 reads about +8 %, and is (after - before) / before. */
	{
		const char *row = strstr(r.out, "| rev13 |");
		double before, after, change;

		cr_assert(row && sscanf(row, "| rev13 | %lf | %lf | %lf%% |", &before, &after,
					&change) == 3, "%s", r.out);
		cr_assert(change > 6 && change < 10, "a step of 8 on 100 reads %+.1f %%", change);
		cr_assert_float_eq(change, (after - before) / before * 100, 0.15,
				   "%g -> %g reads %+.1f %%", before, after, change);
	}
	/* The same run twice is refused, and the history is unchanged. */
	snprintf(run, sizeof(run), "%s/run05", dir);
	CLI(&r, "history", "append", hist, run);
	cli_expect_bad(&r, "already");
	/* Bad input. */
	CLI(&r, "history", "append", hist, dir);
	cli_expect_bad(&r, "cannot read");
	CLI(&r, "history", "check", run);
	cli_expect_bad(&r, "cannot read");
	CLI(&r, "history", "frobnicate");
	cli_expect_bad(&r, "expected");
	CLI(&r, "history", "plot", file, "/nonexistent/dir");
	cli_expect_bad(&r, "not a folder");

	if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
		CLI(&r, "history", "plot", file, plots);
		cr_assert_eq(r.status, 0, "%s", r.err);
		snprintf(png, sizeof(png), "%s/timeline-ctx.thread.futex-thread-same-core-2-"
			 "ws_kb_0-roundtrip.png", plots);
		cr_assert_eq(stat(png, &st), 0, "no %s: %s", png, r.err);
		cr_assert_gt(st.st_size, 1000);
		/* The chart's data: a point per run, in order, its median
		 * between its interval's ends, its revision beside it. */
		snprintf(png, sizeof(png), "%s/timeline-ctx.thread.futex-thread-same-core-2-"
			 "ws_kb_0-roundtrip.dat", plots);
		FILE *f = fopen(png, "r");
		char line[256], want[256];
		int n = 0;

		cr_assert_not_null(f, "no %s", png);
		while (fgets(line, sizeof(line), f)) {
			cr_assert_lt(n, 20, "more points than runs: %s", line);
			snprintf(want, sizeof(want), "%d\t%.6g\t%.6g\t%.6g\trev%02d\n", n,
				 med[n + 1], med[n + 1] - 0.5, med[n + 1] + 0.5, n + 1);
			cr_assert_str_eq(line, want);
			n++;
		}
		fclose(f);
		cr_assert_eq(n, 20);
		cli_expect_no_temp(plots);
	}
	cli_rmdir(dir);
}

/*
 * Two series in one history, one flat and one with two steps: each shift
 * is reported on its own series' row with its own revision, and its
 * before and after are the medians of the segments on either side of it
 * (100 -> 120 from r09, 120 -> 140 from r17), never the other series'.
 * Steps of 40 scales on a constant level: the change points are exact.
 */
Test(history, two_series_two_shifts, .timeout = 30)
{
	static struct cli_run r;
	char dir[64], file[128], text[8192];
	size_t off;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/history.csv", dir);
	off = (size_t)snprintf(text, sizeof(text), "revision,date,run_id,bench,mode,placement,"
			       "threads,params,metric,unit,median,ci95_lo,ci95_hi\n");
	for (int i = 1; i <= 24; i++) {
		int b = i < 9 ? 100 : i < 17 ? 120 : 140;

		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"r%02d,d%02d,id%02d,ctx.a,thread,none,1,k=1,m,ns,100,99.5,"
					"100.5\n"
					"r%02d,d%02d,id%02d,ctx.b,thread,none,1,k=1,m,ns,%d,%g,%g\n",
					i, i, i, i, i, i, b, b - 0.5, b + 0.5);
	}
	cli_write_str(file, text);
	CLI(&r, "history", "check", file);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "2 series, 2 persistent shifts"), "%s", r.err);
	cr_assert(strstr(r.out, "| ctx.b | thread | none | 1 | k=1 | m | r09 | 100 | 120 | +20.0% |"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "| ctx.b | thread | none | 1 | k=1 | m | r17 | 120 | 140 | +16.7% |"),
		  "%s", r.out);
	cr_assert_null(strstr(r.out, "| ctx.a |"), "a flat series shifted: %s", r.out);
	cli_rmdir(dir);
}

/*
 * A history file is named for its machine, and the name is made safe:
 * a host with a space and a slash becomes one file name beside the
 * others (no folder made, nothing written outside), one that would be
 * hidden or climb a folder is "unknown-host".  Without env.csv, the
 * machine is this one and the revision unknown.
 */
Test(history, file_names_from_hosts, .timeout = 30)
{
	static const struct { const char *host, *file; } c[] = {
		{ "web 01/a", "web_01_a.csv" },
		{ "../up", "unknown-host.csv" },
		{ ".hidden", "unknown-host.csv" },
	};
	char dir[64], hist[128], run[160], path[512], me[256];
	struct csv_table t;
	struct cli_run r;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(hist, sizeof(hist), "%s/hist", dir);
	cr_assert_eq(mkdir(hist, 0777), 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		hx_run(dir, (int)i + 1, 100);
		snprintf(path, sizeof(path), "%s/run%02zu/env.csv", dir, i + 1);
		snprintf(run, sizeof(run), "key,value\nhost,%s\ngit_revision,r%zu\ndate,d\n",
			 c[i].host, i);
		cli_write_str(path, run);
		snprintf(run, sizeof(run), "%s/run%02zu", dir, i + 1);
		CLI(&r, "history", "append", hist, run);
		cr_assert_eq(r.status, 0, "%s: %s", c[i].host, r.err);
		snprintf(path, sizeof(path), "%s/%s", hist, c[i].file);
		cr_assert_eq(access(path, F_OK), 0, "%s: no %s", c[i].host, path);
	}
	cr_assert_eq(cli_count_files(hist), 2, "files made outside their names");
	cr_assert_eq(cli_count_files(dir), 4, "a file written beside the history folder");

	/* no env.csv: this machine, revision unknown */
	hx_run(dir, 9, 100);
	snprintf(path, sizeof(path), "%s/run09/env.csv", dir);
	cr_assert_eq(unlink(path), 0);
	snprintf(run, sizeof(run), "%s/run09", dir);
	CLI(&r, "history", "append", hist, run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	gethostname(me, sizeof(me) - 1);
	me[sizeof(me) - 1] = '\0';
	for (char *p = me; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
			*p = '_';
	snprintf(path, sizeof(path), "%s/%s.csv", hist, me);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 1);
	cr_assert_str_eq(t.rows[0][cli_col(&t, "revision")], "unknown");
	csv_table_free(&t);
	cli_rmdir(dir);
}
