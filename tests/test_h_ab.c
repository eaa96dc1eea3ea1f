/*
 * tests/test_h_ab.c - `contend ab`: bad input is one line and exit 2
 * before any work; two copies of one build are not told apart; a build
 * whose selftest.spin and selftest.nap last 30 % longer (CONTEND_SELFTEST_SLOWDOWN_PCT,
 * which only that hidden workload reads) is flagged; the pooled folders
 * hold every repetition of both builds once.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/h_util.h"

/* dir/name: an executable shell script that runs contend with env set. */
static void ab_wrapper(const char *dir, const char *name, const char *env, char *path,
		       size_t len)
{
	char bin[PATH_MAX], text[PATH_MAX + 200];

	cr_assert_not_null(realpath(cli_bin(), bin));
	snprintf(path, len, "%s/%s", dir, name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s exec '%s' \"$@\"\n", env, bin);
	cli_write_str(path, text);
	cr_assert_eq(chmod(path, 0755), 0);
}

/* One configuration of selftest.nap (each operation sleeps 1 ms), 4
 * blocks of 5 a build.  A sleep's length barely depends on the CPU
 * left to it, so a 30 % change stays far beyond the U test's reach even
 * on a machine other sessions load many times over (where spinning
 * operations spread by tens of per cent). */
#define AB_NAP "selftest.nap", "--param", "k_ns=1000000", "--mode", "thread", \
	"--min-time", "0.02", "--counters", "none"

Test(ab, bad_input_is_one_line_before_any_work, .timeout = 60)
{
	char dir[64], out[128], a[PATH_MAX], notexec[PATH_MAX];
	struct cli_run r;
	struct stat st;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_wrapper(dir, "a", "", a, sizeof(a));
	snprintf(notexec, sizeof(notexec), "%s/plain", dir);
	cli_write_str(notexec, "#!/bin/sh\n");

	CLI(&r, "ab", a, notexec, AB_NAP, "--out", out);
	cli_expect_bad(&r, "not an executable file");
	CLI(&r, "ab", a, "/bin/true", AB_NAP, "--out", out);
	cli_expect_bad(&r, "not a contend binary");
	CLI(&r, "ab", "/nonexistent/contend", a, AB_NAP, "--out", out);
	cli_expect_bad(&r, "not an executable file");
	CLI(&r, "ab", a, "--out", out, AB_NAP);
	cli_expect_bad(&r, "two builds first");
	CLI(&r, "ab", a, a, AB_NAP, "--out", out, "--bogus");
	cli_expect_bad(&r, "--bogus");
	CLI(&r, "ab", a, a, AB_NAP, "--out", out, "--samples", "x.csv");
	cli_expect_bad(&r, "--samples is not an option of ab");
	CLI(&r, "ab", a, a, AB_NAP, "--out", out, "--block", "1");
	cli_expect_bad(&r, "--block");
	CLI(&r, "ab", a, a, AB_NAP, "--out", out, "--threshold", "five");
	cli_expect_bad(&r, "--threshold");
	CLI(&r, "ab", a, a, "no.such.bench", "--out", out);
	cli_expect_bad(&r, "no.such.bench");
	cr_assert_neq(stat(out, &st), 0, "bad input made the run folder");
	cr_assert_eq(mkdir(out, 0777), 0);
	CLI(&r, "ab", a, a, AB_NAP, "--out", out);
	cli_expect_bad(&r, "does not exist yet");
	cli_rmdir(dir);
}

/* Rows of metric `metric` in a pooled file, and its reps (results). */
static int ab_rows(const char *path, const char *metric, int *reps)
{
	struct csv_table t;
	int n = 0, m, rc;

	cli_read_csv(path, &t);
	m = cli_col(&t, "metric");
	rc = csv_table_col(&t, "reps");
	for (size_t i = 0; i < t.nrows; i++)
		if (strcmp(t.rows[i][m], metric) == 0) {
			n++;
			if (reps && rc >= 0)
				*reps = atoi(t.rows[i][rc]);
		}
	csv_table_free(&t);
	return n;
}

Test(ab, two_copies_of_one_build_are_the_same, .timeout = 240)
{
	char dir[64], out[128], a[PATH_MAX], b[PATH_MAX], path[256];
	struct cli_run r;
	int reps = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_wrapper(dir, "a", "", a, sizeof(a));
	ab_wrapper(dir, "b", "", b, sizeof(b));
	CLI(&r, "ab", a, b, AB_NAP, "--out", out, "--seed", "1");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "| selftest.nap | thread | none | 1 | k_ns=1000000 | op |"),
		  "%s", r.out);
	cr_assert_null(strstr(r.out, "REGRESSION"), "%s", r.out);
	cr_assert_null(strstr(r.out, "benchmark changed"), "%s", r.out);
	cr_assert(strstr(r.err, "4 blocks of 5"), "%s", r.err);
	/* Every repetition of every block, once a build. */
	for (int s = 0; s < 2; s++) {
		snprintf(path, sizeof(path), "%s/%s/results.csv", out, s ? "new" : "base");
		cr_assert_eq(ab_rows(path, "op", &reps), 1);
		cr_assert_eq(reps, 20, "%s pooled %d repetitions", path, reps);
		snprintf(path, sizeof(path), "%s/%s/samples.csv", out, s ? "new" : "base");
		cr_assert_eq(ab_rows(path, "op", NULL), 20);
	}
	cli_expect_no_temp(out);
	snprintf(path, sizeof(path), "%s/blocks", out);
	cr_assert_neq(access(path, F_OK), 0, "the blocks were not cleared away");
	cli_rmdir(dir);
}

Test(ab, a_30_percent_slower_build_is_flagged, .timeout = 240)
{
	char dir[64], out[128], a[PATH_MAX], b[PATH_MAX];
	struct cli_run r;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_wrapper(dir, "a", "", a, sizeof(a));
	ab_wrapper(dir, "b", "CONTEND_SELFTEST_SLOWDOWN_PCT=30", b, sizeof(b));
	CLI(&r, "ab", a, b, AB_NAP, "--out", out, "--seed", "1");
	cr_assert_eq(r.status, 1, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "| op | "), "%s", r.out);
	cr_assert(strstr(r.out, "REGRESSION"), "%s", r.out);
	cr_assert(strstr(r.err, "significant regressions"), "%s", r.err);
	/* The other way round it is an improvement, not a regression. */
	snprintf(out, sizeof(out), "%s/back", dir);
	CLI(&r, "ab", b, a, AB_NAP, "--out", out, "--seed", "2");
	cr_assert_eq(r.status, 0, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.out, "improved"), "%s", r.out);
	cli_rmdir(dir);
}
