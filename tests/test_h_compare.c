/*
 * tests/test_h_compare.c - `contend compare` on runs made up for the
 * purpose: a clear slowdown is a regression (exit 1), a clear speed-up is
 * not, overlapping samples are noise, bad input is exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/compare.h"
#include "harness/report.h"
#include "tests/check.h"

/* A run folder whose ctx.thread.futex roundtrip repetitions are
 * centre-2 .. centre+2 ns, ten of them. */
static void compare_fake_run(const char *dir, double centre, const char *version)
{
	char path[256];
	FILE *f;

	mkdir(dir, 0777);
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; report_columns[i]; i++)
		fprintf(f, "%s%s", i ? "," : "", report_columns[i]);
	fprintf(f, "\nr,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,10,%g,%g,1.4,0.01,"
		"%g,%g,%g,%g,%g,%g,0\n", centre, centre, centre - 2, centre + 2, centre + 2,
		centre + 2, centre - 1, centre + 1);
	fclose(f);
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "run_id,bench,mode,placement,threads,params,metric,unit,rep,value,iters,"
		"bench_version\n");
	for (int i = 0; i < 10; i++)
		fprintf(f, "r,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,%d,%g,1000,%s\n",
			i + 1, centre - 2 + 0.4 * i, version);
	fclose(f);
}

static char compare_dir[64];

static void compare_setup(void)
{
	char a[128], b[128], c[128], d[128];

	snprintf(compare_dir, sizeof(compare_dir), "/tmp/contend-compare-XXXXXX");
	cr_assert_not_null(mkdtemp(compare_dir));
	snprintf(a, sizeof(a), "%s/base", compare_dir);
	snprintf(b, sizeof(b), "%s/slow", compare_dir);
	snprintf(c, sizeof(c), "%s/same", compare_dir);
	snprintf(d, sizeof(d), "%s/changed", compare_dir);
	compare_fake_run(a, 100, "aaaa");
	compare_fake_run(b, 150, "aaaa");
	compare_fake_run(c, 100.5, "aaaa");
	compare_fake_run(d, 150, "bbbb");
}

static int compare_quiet(const char *x, const char *y)
{
	char a[128], b[128];
	int ret;

	snprintf(a, sizeof(a), "%s/%s", compare_dir, x);
	snprintf(b, sizeof(b), "%s/%s", compare_dir, y);
	/* The table goes to stdout; keep the test log readable. */
	fflush(stdout);
	FILE *saved = freopen("/dev/null", "w", stdout);
	cr_assert_not_null(saved);
	ret = compare_runs(a, b, 5.0);
	fflush(stdout);
	return ret;
}

static void compare_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", compare_dir);
	cr_assert_eq(system(cmd), 0);
}

Test(compare, slowdown_is_a_regression, .timeout = 30)
{
	compare_setup();
	int r = compare_quiet("base", "slow");

	compare_teardown();
	cr_assert_eq(r, 1);
}

Test(compare, speedup_is_not, .timeout = 30)
{
	compare_setup();
	int r = compare_quiet("slow", "base");

	compare_teardown();
	cr_assert_eq(r, 0);
}

Test(compare, small_change_is_not, .timeout = 30)
{
	compare_setup();
	int r = compare_quiet("base", "same");

	compare_teardown();
	cr_assert_eq(r, 0);
}

Test(compare, changed_benchmark_still_reported, .timeout = 30)
{
	compare_setup();
	int r = compare_quiet("base", "changed");

	compare_teardown();
	cr_assert_eq(r, 1);
}

Test(compare, missing_configuration_fails, .timeout = 30)
{
	char path[160];
	FILE *f;

	compare_setup();
	snprintf(path, sizeof(path), "%s/empty", compare_dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/empty/results.csv", compare_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; report_columns[i]; i++)
		fprintf(f, "%s%s", i ? "," : "", report_columns[i]);
	fputc('\n', f);
	fclose(f);
	int r = compare_quiet("base", "empty");

	compare_teardown();
	cr_assert_eq(r, 1);
}

Test(compare, bad_input_is_2, .timeout = 30)
{
	compare_setup();
	cr_assert_eq(compare_quiet("base", "nonexistent"), 2);
	int r = compare_quiet("nonexistent", "base");

	compare_teardown();
	cr_assert_eq(r, 2);
}
