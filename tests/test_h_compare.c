/*
 * tests/test_h_compare.c - `contend compare`, the CI gate, case by case
 * on runs made up for the purpose: a regression must be both beyond the
 * threshold and significant; without samples the intervals decide; the
 * direction comes from the metric; a configuration that disappears
 * fails; bad data and a comparison of nothing are exit 2, never a pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/compare.h"
#include "harness/report.h"
#include "tests/check.h"
#include "tests/h_util.h"

/* One configuration of a made-up run: its median and interval in
 * results.csv, and n samples spread evenly over centre +- spread / 2. */
struct fx_row {
	const char *bench, *metric, *unit;
	double median, lo, hi;
	int n;
	double centre, spread;
};

static char fx_dir[64];

static void fx_start(void)
{
	snprintf(fx_dir, sizeof(fx_dir), "/tmp/contend-compare-XXXXXX");
	cr_assert_not_null(mkdtemp(fx_dir));
}

static void fx_end(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_dir);
	cr_assert_eq(system(cmd), 0);
}

/* A run folder fx_dir/name; samples.csv only for rows with n > 0. */
static void fx_run(const char *name, const struct fx_row *rows, int nrows, const char *version)
{
	char path[256];
	FILE *f;
	int any_samples = 0;

	snprintf(path, sizeof(path), "%s/%s", fx_dir, name);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/%s/results.csv", fx_dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; report_columns[i]; i++)
		fprintf(f, "%s%s", i ? "," : "", report_columns[i]);
	fputc('\n', f);
	for (int r = 0; r < nrows; r++) {
		const struct fx_row *x = &rows[r];

		fprintf(f, "r,%s,thread,same-core,2,ws_kb=0,%s,%s,10,%.17g,%.17g,1,0.01,%.17g,%.17g,"
			"%.17g,%.17g,%.17g,%.17g,0\n", x->bench, x->metric, x->unit, x->median,
			x->median, x->lo, x->hi, x->hi, x->hi, x->lo, x->hi);
		any_samples |= x->n > 0;
	}
	fclose(f);
	if (!any_samples)
		return;
	snprintf(path, sizeof(path), "%s/%s/samples.csv", fx_dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "run_id,bench,mode,placement,threads,params,metric,unit,rep,value,ops,"
		"bench_version\n");
	for (int r = 0; r < nrows; r++)
		for (int i = 0; i < rows[r].n; i++)
			fprintf(f, "r,%s,thread,same-core,2,ws_kb=0,%s,%s,%d,%.17g,1000,%s\n",
				rows[r].bench, rows[r].metric, rows[r].unit, i + 1,
				rows[r].centre - rows[r].spread / 2 +
					rows[r].spread * i / (rows[r].n > 1 ? rows[r].n - 1 : 1),
				version);
	fclose(f);
}

/* A file in a run folder, written as given. */
static void fx_file(const char *name, const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx_dir, name);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/%s/%s", fx_dir, name, file);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* compare's exit status for fx_dir/x against fx_dir/y (a folder, or a
 * file in it when given with a '/'), its table kept off the test log. */
static int fx_compare(const char *x, const char *y)
{
	char a[256], b[256];
	int ret;

	snprintf(a, sizeof(a), "%s/%s", fx_dir, x);
	snprintf(b, sizeof(b), "%s/%s", fx_dir, y);
	fflush(stdout);
	FILE *saved = freopen("/dev/null", "w", stdout);
	cr_assert_not_null(saved);
	ret = compare_runs(a, b, 5.0);
	fflush(stdout);
	return ret;
}

#define FX_NS(med, spread) \
	{ "ctx.thread.futex", "roundtrip", "ns", med, med - 1, med + 1, 10, med, spread }

Test(compare, slowdown_is_a_regression, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 4) }, slow[] = { FX_NS(150, 4) };

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("slow", slow, 1, "aaaa");
	cr_assert_eq(fx_compare("base", "slow"), 1);
	cr_assert_eq(fx_compare("slow", "base"), 0, "a speed-up is not a regression");
	fx_end();
}

/* +20 % in the medians, but the samples overlap: noise, not a regression. */
Test(compare, large_but_not_significant_is_not, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 200) }, now[] = { FX_NS(120, 200) };

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("now", now, 1, "aaaa");
	cr_assert_eq(fx_compare("base", "now"), 0);
	fx_end();
}

/* +2 %, with samples far apart (p tiny): under the threshold, not one. */
Test(compare, significant_but_small_is_not, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 0.1) }, now[] = { FX_NS(102, 0.1) };

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("now", now, 1, "aaaa");
	cr_assert_eq(fx_compare("base", "now"), 0);
	fx_end();
}

/* No samples: the 95 % intervals of the medians decide. */
Test(compare, without_samples_intervals_decide, .timeout = 30)
{
	const struct fx_row base[] = {
		{ "ctx.thread.futex", "roundtrip", "ns", 100, 90, 110, 0, 0, 0 },
	};
	const struct fx_row overlap[] = {
		{ "ctx.thread.futex", "roundtrip", "ns", 120, 105, 135, 0, 0, 0 },
	};
	const struct fx_row apart[] = {
		{ "ctx.thread.futex", "roundtrip", "ns", 120, 115, 125, 0, 0, 0 },
	};

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("overlap", overlap, 1, "aaaa");
	fx_run("apart", apart, 1, "aaaa");
	cr_assert_eq(fx_compare("base", "overlap"), 0, "overlapping intervals: not significant");
	cr_assert_eq(fx_compare("base", "apart"), 1, "separate intervals: a regression");
	/* the same with results files rather than folders */
	cr_assert_eq(fx_compare("base/results.csv", "apart/results.csv"), 1);
	fx_end();
}

/* No samples, the other side: a rate 20 % lower (worse) whose interval
 * still reaches into the base's is not significant; each bound of the
 * new interval is held to the far bound of the base's. */
Test(compare, without_samples_a_drop_inside_the_base_interval_is_not, .timeout = 30)
{
	const struct fx_row base[] = {
		{ "selftest.spin", "rate", "ops/s", 100, 90, 110, 0, 0, 0 },
	};
	const struct fx_row overlap[] = {
		{ "selftest.spin", "rate", "ops/s", 80, 75, 100, 0, 0, 0 },
	};
	const struct fx_row apart[] = {
		{ "selftest.spin", "rate", "ops/s", 80, 75, 85, 0, 0, 0 },
	};

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("overlap", overlap, 1, "aaaa");
	fx_run("apart", apart, 1, "aaaa");
	cr_assert_eq(fx_compare("base", "overlap"), 0,
		     "a drop whose interval overlaps the base's: not significant");
	cr_assert_eq(fx_compare("base", "apart"), 1, "a drop with separate intervals: a regression");
	fx_end();
}

/* Throughput: lower is worse.  The direction comes from the metric
 * (registry) or, for a benchmark we do not know, from its unit. */
Test(compare, throughput_flips_direction, .timeout = 30)
{
	const struct fx_row base[] = {
		{ "selftest.spin", "rate", "ops/s", 1000, 999, 1001, 10, 1000, 2 },
		{ "some.other", "items", "ops/s", 1000, 999, 1001, 10, 1000, 2 },
	};
	const struct fx_row lower[] = {
		{ "selftest.spin", "rate", "ops/s", 800, 799, 801, 10, 800, 2 },
		{ "some.other", "items", "ops/s", 1000, 999, 1001, 10, 1000, 2 },
	};
	const struct fx_row other_lower[] = {
		{ "selftest.spin", "rate", "ops/s", 1000, 999, 1001, 10, 1000, 2 },
		{ "some.other", "items", "ops/s", 800, 799, 801, 10, 800, 2 },
	};
	const struct fx_row higher[] = {
		{ "selftest.spin", "rate", "ops/s", 1200, 1199, 1201, 10, 1200, 2 },
		{ "some.other", "items", "ops/s", 1200, 1199, 1201, 10, 1200, 2 },
	};

	fx_start();
	fx_run("base", base, 2, "aaaa");
	fx_run("lower", lower, 2, "aaaa");
	fx_run("other_lower", other_lower, 2, "aaaa");
	fx_run("higher", higher, 2, "aaaa");
	cr_assert_eq(fx_compare("base", "lower"), 1, "fewer ops/s is a regression");
	cr_assert_eq(fx_compare("base", "other_lower"), 1, "by unit, for an unknown benchmark");
	cr_assert_eq(fx_compare("base", "higher"), 0, "more ops/s is an improvement");
	fx_end();
}

Test(compare, changed_benchmark_still_reported, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 4) }, slow[] = { FX_NS(150, 4) };

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("changed", slow, 1, "bbbb");
	cr_assert_eq(fx_compare("base", "changed"), 1);
	fx_end();
}

Test(compare, missing_configuration_fails, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 4), { "ctx.thread.pipe", "roundtrip", "ns",
		100, 99, 101, 10, 100, 4 } };

	fx_start();
	fx_run("base", base, 2, "aaaa");
	fx_run("half", base, 1, "aaaa");
	cr_assert_eq(fx_compare("base", "half"), 1);
	cr_assert_eq(fx_compare("half", "base"), 0, "a new configuration is not a failure");
	fx_end();
}

/* Bad data is exit 2, never read as 0 and never a pass. */
Test(compare, bad_data_is_2, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 4) };
	static const char *const bad_median[] = { "nan", "inf", "-inf", "fast", "", "1e999" };
	char text[1024], head[512] = "";

	fx_start();
	fx_run("base", base, 1, "aaaa");
	for (int i = 0; report_columns[i]; i++)
		snprintf(head + strlen(head), sizeof(head) - strlen(head), "%s%s", i ? "," : "",
			 report_columns[i]);
	for (size_t i = 0; i < sizeof(bad_median) / sizeof(bad_median[0]); i++) {
		snprintf(text, sizeof(text), "%s\nr,ctx.thread.futex,thread,same-core,2,ws_kb=0,"
			 "roundtrip,ns,10,%s,1,1,0.01,1,1,1,1,99,101,0\n", head, bad_median[i]);
		fx_file("bad", "results.csv", text);
		cr_assert_eq(fx_compare("base", "bad"), 2, "median '%s' passed", bad_median[i]);
		cr_assert_eq(fx_compare("bad", "base"), 2, "median '%s' passed", bad_median[i]);
	}
	/* a configuration twice in one run */
	snprintf(text, sizeof(text), "%s\nr,ctx.thread.futex,thread,same-core,2,ws_kb=0,"
		 "roundtrip,ns,10,100,1,1,0.01,1,1,1,1,99,101,0\nr,ctx.thread.futex,thread,"
		 "same-core,2,ws_kb=0,roundtrip,ns,10,101,1,1,0.01,1,1,1,1,99,101,0\n", head);
	fx_file("bad", "results.csv", text);
	cr_assert_eq(fx_compare("base", "bad"), 2);
	/* good results, bad samples: NaN, text, malformed CSV */
	fx_run("badsmp", base, 1, "aaaa");
	static const char *const bad_samples[] = {
		"run_id,bench,mode,placement,threads,params,metric,unit,rep,value,ops,bench_version\n"
		"r,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,1,nan,1000,aaaa\n",
		"run_id,bench,mode,placement,threads,params,metric,unit,rep,value,ops,bench_version\n"
		"r,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,1,slow,1000,aaaa\n",
		"run_id,bench,mode,placement,threads,params,metric,unit,rep,value,ops,bench_version\n"
		"r,ctx.thread.futex,thread,\"same-core,2\n",
		"run_id,bench\nr,x\n",
	};
	for (size_t i = 0; i < sizeof(bad_samples) / sizeof(bad_samples[0]); i++) {
		fx_file("badsmp", "samples.csv", bad_samples[i]);
		cr_assert_eq(fx_compare("base", "badsmp"), 2, "samples %zu passed", i);
	}
	/* nothing in common: nothing compared is not a pass */
	const struct fx_row other[] = { { "ctx.thread.pipe", "roundtrip", "ns", 100, 99, 101, 10,
					  100, 4 } };
	fx_run("empty_base", other, 0, "aaaa");
	fx_run("other", other, 1, "aaaa");
	cr_assert_eq(fx_compare("empty_base", "other"), 2);
	cr_assert_eq(fx_compare("base", "nonexistent"), 2);
	cr_assert_eq(fx_compare("nonexistent", "base"), 2);
	fx_end();
}

/* Samples in any order: a configuration's repetitions need not be
 * consecutive in samples.csv. */
Test(compare, samples_in_any_order, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 4), { "ctx.thread.pipe", "roundtrip", "ns",
		100, 99, 101, 0, 0, 0 } };
	const struct fx_row slow[] = { FX_NS(150, 4), { "ctx.thread.pipe", "roundtrip", "ns",
		100, 99, 101, 0, 0, 0 } };
	char text[8192];
	size_t off;

	fx_start();
	fx_run("base", base, 2, "aaaa");
	fx_run("slow", slow, 2, "aaaa");
	/* base's samples, the two configurations' repetitions interleaved;
	 * the slow one's futex samples far apart from base's */
	for (int run = 0; run < 2; run++) {
		off = (size_t)snprintf(text, sizeof(text), "run_id,bench,mode,placement,threads,"
				       "params,metric,unit,rep,value,ops,bench_version\n");
		for (int i = 0; i < 10; i++)
			for (int b = 0; b < 2; b++)
				off += (size_t)snprintf(text + off, sizeof(text) - off,
					"r,%s,thread,same-core,2,ws_kb=0,roundtrip,ns,%d,%g,1000,aaaa\n",
					b ? "ctx.thread.pipe" : "ctx.thread.futex", i + 1,
					b ? 100.0 + i * 0.1 : (run ? 150.0 : 100.0) + i * 0.1);
		fx_file(run ? "slow" : "base", "samples.csv", text);
	}
	cr_assert_eq(fx_compare("base", "slow"), 1, "the futex slowdown was missed");
	cr_assert_eq(fx_compare("base", "base"), 0);
	fx_end();
}

/*
 * compare reads contend's own run folders.  A sweep of benchmarks whose
 * distributions record nothing in some configurations (the lock's wait
 * and hold times under gil=none, the CPU-bound threads' shares beside no
 * CPU-bound thread) keeps empty values in samples.csv for rows that
 * results.csv leaves out; compare exited 2 on every such folder.  Three
 * repetitions cannot reach p < 0.01, so a second run of the same sweep
 * is never a regression whatever the machine does: exit 0, every row
 * compared, none missing.
 */
Test(compare, reads_its_own_sweep, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[2][128], smp[160];
	struct csv_table t;
	int empty = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	cli_write_str(plan, "gil.cpu --param gil=none --threads 2 --mode thread --quick\n"
		       "gil.convoy --param gil=new --param cpu=0 --quick\n");
	for (int i = 0; i < 2; i++) {
		snprintf(run[i], sizeof(run[i]), "%s/run%d", dir, i);
		CLI(&r, "sweep", "--preset", plan, "--out", run[i], "--reps", "3", "--counters",
		    "none");
		cr_assert_eq(r.status, 0, "sweep %d: %s", i, r.err);
	}
	/* The case itself: unmeasured values are there, as empty fields. */
	snprintf(smp, sizeof(smp), "%s/samples.csv", run[0]);
	cli_read_csv(smp, &t);
	for (size_t i = 0; i < t.nrows; i++)
		empty += t.rows[i][cli_col(&t, "value")][0] == '\0';
	csv_table_free(&t);
	cr_assert_gt(empty, 0, "no unmeasured value in %s: the case is not tested", smp);

	CLI(&r, "compare", run[0], run[0]);
	cr_assert_eq(r.status, 0, "a run against itself: %s", r.err);
	cr_assert(strstr(r.err, "0 missing in NEW, 0 new"), "%s", r.err);
	CLI(&r, "compare", run[0], run[1]);
	cr_assert_eq(r.status, 0, "two runs of one sweep: %s", r.err);
	cr_assert(strstr(r.err, "0 missing in NEW, 0 new"), "%s", r.err);
	CLI(&r, "compare", run[1], run[0]);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cli_rmdir(dir);
}

/* Only a value contend could not measure may be empty, and results.csv
 * has no row for it: an empty sample of a row it holds is bad data. */
Test(compare, empty_sample_of_a_compared_row_is_bad, .timeout = 30)
{
	const struct fx_row base[] = { FX_NS(100, 4) };
	static const char head[] = "run_id,bench,mode,placement,threads,params,metric,unit,rep,"
				   "value,ops,bench_version\n";
	char text[1024];

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("other", base, 1, "aaaa");
	/* an unmeasured distribution beside the compared row: read */
	snprintf(text, sizeof(text), "%sr,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,"
		 "ns,1,100,1000,aaaa\nr,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,"
		 "2,101,1000,aaaa\nr,ctx.thread.futex,thread,same-core,2,ws_kb=0,hold_p50,ns,1,,"
		 "1000,aaaa\n", head);
	fx_file("other", "samples.csv", text);
	cr_assert_eq(fx_compare("base", "other"), 0);
	cr_assert_eq(fx_compare("other", "base"), 0);
	/* a hole in the compared row: not read as anything */
	snprintf(text, sizeof(text), "%sr,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,"
		 "ns,1,,1000,aaaa\nr,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,2,"
		 "101,1000,aaaa\n", head);
	fx_file("other", "samples.csv", text);
	cr_assert_eq(fx_compare("base", "other"), 2);
	cr_assert_eq(fx_compare("other", "base"), 2);
	fx_end();
}

/* The table compare prints for fx_dir/x against fx_dir/y, into buf. */
static int fx_compare_table(const char *x, const char *y, char *buf, size_t len)
{
	char a[256], b[256], out[300];
	int ret;
	FILE *f;
	size_t n;

	snprintf(a, sizeof(a), "%s/%s", fx_dir, x);
	snprintf(b, sizeof(b), "%s/%s", fx_dir, y);
	snprintf(out, sizeof(out), "%s/table.md", fx_dir);
	fflush(stdout);
	cr_assert_not_null(freopen(out, "w", stdout));
	ret = compare_runs(a, b, 5.0);
	fflush(stdout);
	cr_assert_not_null(freopen("/dev/null", "w", stdout));
	f = fopen(out, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return ret;
}

/* A markdown table (a header, its rule, a row per compared metric), a
 * geometric mean of the changes as costs, and the version mark. */
Test(compare, markdown_table_with_geometric_mean, .timeout = 30)
{
	/* Twice the cost in ns (+100 %) and half the ops/s (a cost of
	 * +100 % too): the geometric mean, as cost, is +100.0 %.  A net
	 * cost whose median is 0 has no ratio: compared, but left out of
	 * the mean (over 3 rows it would read +58.7 %). */
#define FX_NET0 { "ctx.thread.pipe", "net", "ns", 0, -1, 1, 10, 0, 4 }
	const struct fx_row base[] = {
		FX_NS(100, 4),
		{ "ctx.thread.pipe", "rate", "ops/s", 1000, 999, 1001, 10, 1000, 4 },
		FX_NET0,
	}, now[] = {
		FX_NS(200, 4),
		{ "ctx.thread.pipe", "rate", "ops/s", 500, 499, 501, 10, 500, 4 },
		FX_NET0,
	}, quick[] = {
		FX_NS(50, 4),
		{ "ctx.thread.pipe", "rate", "ops/s", 1000, 999, 1001, 10, 1000, 4 },
		FX_NET0,
	};
#undef FX_NET0
	static char t[1 << 14];

	fx_start();
	fx_run("base", base, 3, "aaaa");
	fx_run("now", now, 3, "aaaa");
	fx_run("quick", quick, 3, "aaaa");
	fx_run("changed", base, 3, "bbbb");
	cr_assert_eq(fx_compare_table("base", "now", t, sizeof(t)), 1);
	cr_assert_eq(strncmp(t, "| bench | mode |", 16), 0, "%s", t);
	cr_assert(strstr(t, "\n|---|"), "%s", t);
	cr_assert(strstr(t, "| ctx.thread.futex | thread | same-core | 2 | ws_kb=0 | roundtrip |"),
		  "%s", t);
	cr_assert(strstr(t, "| +100.0% |"), "%s", t);
	cr_assert(strstr(t, "| -50.0% |"), "%s", t);
	/* Whole rows: both medians, the change, the exact two-sided
	 * Mann-Whitney p of two samples of 10 apart (2 / C(20, 10)), and
	 * the verdict; the same samples twice give p = 1. */
	cr_assert(strstr(t, "| roundtrip | 100 | 200 | +100.0% | 1.1e-05 | REGRESSION |\n"), "%s",
		  t);
	cr_assert(strstr(t, "| rate | 1000 | 500 | -50.0% | 1.1e-05 | REGRESSION |\n"), "%s", t);
	cr_assert(strstr(t, "| net | 0 | 0 | +0.0% | 1 | same |\n"), "%s", t);
	cr_assert(strstr(t, "| geometric mean |"), "%s", t);
	cr_assert(strstr(t, "| +100.0% | | 2 rows, as cost: + is worse |"), "%s", t);
	cr_assert(strstr(t, "| ctx.thread.pipe | thread | same-core | 2 | ws_kb=0 | net |"), "%s", t);
	cr_assert_null(strstr(t, "benchmark changed"), "%s", t);
	/* Half the cost of one, the other the same: sqrt(0.5) - 1. */
	cr_assert_eq(fx_compare_table("base", "quick", t, sizeof(t)), 0);
	cr_assert(strstr(t, "| -29.3% | | 2 rows"), "%s", t);
	/* The same figures from another version of the benchmark: every
	 * row says so, and nothing else changed. */
	cr_assert_eq(fx_compare_table("base", "changed", t, sizeof(t)), 0);
	cr_assert(strstr(t, "| same (benchmark changed) |"), "%s", t);
	cr_assert(strstr(t, "| +0.0% | | 2 rows"), "%s", t);
	fx_end();
}

/* --alpha: two fully separated samples of 4 give p = 2 / 70 = 0.029, a
 * regression at alpha 0.05 and not at the default 0.01; the command
 * line takes it, and "5%" as a threshold. */
Test(compare, alpha_sets_the_significance_level, .timeout = 30)
{
	const struct fx_row base[] = { { "ctx.thread.futex", "roundtrip", "ns", 100, 99, 101, 4,
					 100, 2 } },
			    slow[] = { { "ctx.thread.futex", "roundtrip", "ns", 150, 149, 151, 4,
					 150, 2 } };
	char a[256], b[256];
	struct cli_run r;

	fx_start();
	fx_run("base", base, 1, "aaaa");
	fx_run("slow", slow, 1, "aaaa");
	snprintf(a, sizeof(a), "%s/base", fx_dir);
	snprintf(b, sizeof(b), "%s/slow", fx_dir);
	cr_assert_eq(fx_compare("base", "slow"), 0, "p = 0.029 passed alpha 0.01");
	CLI(&r, "compare", a, b, "--alpha", "0.05", "--threshold", "5%");
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "p < 0.05"), "%s", r.err);
	CLI(&r, "compare", a, b, "--alpha", "0.01");
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	CLI(&r, "compare", a, b, "--alpha", "1.5");
	cli_expect_bad(&r, "--alpha");
	fx_end();
}

/*
 * The summary line counts each outcome apart, and a configuration gone
 * from NEW is a row of its own: both ways round, so that two counts
 * swapped cannot pass (regressions against improvements, missing
 * against new).  --threshold is the change a regression must exceed:
 * +50.0 % exactly is not over 50, and is over 49.9.  With 4 samples a
 * side no change can reach p < 0.01 (the least p is 2/70), which the
 * notice says; at 0.05 it can.  A change from a median of 0 is +inf.
 */
Test(compare, the_summary_counts_each_outcome, .timeout = 60)
{
	const struct fx_row base[] = {
		FX_NS(100, 4),
		{ "ctx.thread.pipe", "roundtrip", "ns", 100, 99, 101, 10, 100, 4 },
		{ "ctx.thread.pipe", "rate", "ops/s", 1000, 999, 1001, 10, 1000, 4 },
	}, now[] = {
		FX_NS(200, 4),
		{ "ctx.thread.pipe", "rate", "ops/s", 500, 499, 501, 10, 500, 4 },
	}, four[] = { { "ctx.thread.futex", "roundtrip", "ns", 100, 99, 101, 4, 100, 2 } },
	   half[] = { { "ctx.thread.futex", "roundtrip", "ns", 150, 149, 151, 4, 150, 2 } },
	   zero[] = { { "ctx.thread.pipe", "net", "ns", 0, -1, 1, 10, 0, 4 } },
	   five[] = { { "ctx.thread.pipe", "net", "ns", 5, 4, 6, 10, 5, 0.1 } };
	char a[256], b[256], c[256];
	struct cli_run r;

	fx_start();
	fx_run("base", base, 3, "aaaa");
	fx_run("now", now, 2, "aaaa");
	snprintf(a, sizeof(a), "%s/base", fx_dir);
	snprintf(b, sizeof(b), "%s/now", fx_dir);
	CLI(&r, "compare", a, b);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "contend: compared 2 rows: 2 significant regressions, 0 "
				"improvements, 1 missing in NEW, 0 new (threshold 5.0 %, p < 0.01)"),
		  "%s", r.err);
	cr_assert(strstr(r.out, "| ctx.thread.pipe | thread | same-core | 2 | ws_kb=0 | roundtrip "
				"| 100 | - |  |  | MISSING in NEW |\n"), "%s", r.out);
	CLI(&r, "compare", b, a);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "contend: compared 2 rows: 0 significant regressions, 2 "
				"improvements, 0 missing in NEW, 1 new (threshold 5.0 %, p < 0.01)"),
		  "%s", r.err);

	fx_run("four", four, 1, "aaaa");
	fx_run("half", half, 1, "aaaa");
	snprintf(a, sizeof(a), "%s/four", fx_dir);
	snprintf(b, sizeof(b), "%s/half", fx_dir);
	CLI(&r, "compare", a, b, "--alpha", "0.05", "--threshold", "50");
	cr_assert_eq(r.status, 0, "+50.0 %% is not over 50: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "| roundtrip | 100 | 150 | +50.0% | 0.029 | same |\n"), "%s", r.out);
	cr_assert(strstr(r.err, "(threshold 50.0 %, p < 0.05)"), "%s", r.err);
	cr_assert_null(strstr(r.err, "too few repetitions"), "%s", r.err);
	CLI(&r, "compare", a, b, "--alpha", "0.05", "--threshold", "49.9");
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "| +50.0% | 0.029 | REGRESSION |\n"), "%s", r.out);
	CLI(&r, "compare", a, b);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "too few repetitions for any change to reach p < 0.01"), "%s",
		  r.err);

	fx_run("zero", zero, 1, "aaaa");
	fx_run("five", five, 1, "aaaa");
	snprintf(a, sizeof(a), "%s/zero", fx_dir);
	snprintf(c, sizeof(c), "%s/five", fx_dir);
	CLI(&r, "compare", a, c);
	cr_assert_eq(r.status, 1, "a cost up from 0: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "| net | 0 | 5 | +inf% | 1.1e-05 | REGRESSION |\n"), "%s", r.out);
	fx_end();
}
