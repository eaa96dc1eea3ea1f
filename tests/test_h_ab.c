/*
 * tests/test_h_ab.c - `contend ab`: bad input is one line and exit 2
 * before any work; two copies of one build are not told apart; a build
 * whose selftest.spin and selftest.nap last 30 % longer (CONTEND_SELFTEST_SLOWDOWN_PCT,
 * which only that hidden workload reads) is flagged; the pooled folders
 * hold every repetition of both builds once (--reps, not a multiple of
 * --block, included), with counters per operation.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/export_bmf.h"
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

/* Wrappers dir/a and dir/b (each PATH_MAX long) that log each call's
 * arguments, "A ..." or "B ...", to dir/calls.log (its path in log). */
static void ab_logging_pair(const char *dir, char *log, size_t len, char *a, char *b)
{
	char env[PATH_MAX];

	snprintf(log, len, "%s/calls.log", dir);
	snprintf(env, sizeof(env), "echo A \"$*\" >> '%s';", log);
	ab_wrapper(dir, "a", env, a, PATH_MAX);
	snprintf(env, sizeof(env), "echo B \"$*\" >> '%s';", log);
	ab_wrapper(dir, "b", env, b, PATH_MAX);
}

/*
 * A verdict on timings: exit `want` with `needle` in the table.  Under
 * ThreadSanitizer or ASan every call costs many times its plain cost
 * and a 1 ms sleep was measured anywhere from 1.4 to 2.7 ms, so there
 * the run must only finish with a verdict (0 or 1) and its table: those
 * legs look for races and memory errors; the plain leg checks the
 * verdict.
 */
static void ab_expect_verdict(const struct cli_run *r, int want, const char *needle)
{
	cr_assert(strstr(r->out, "| selftest.nap | thread | none | 1 | k_ns=1000000 | op |"),
		  "stdout: %s\nstderr: %s", r->out, r->err);
	if (CHECK_SANITIZED) {
		cr_assert(r->status == 0 || r->status == 1, "stdout: %s\nstderr: %s", r->out,
			  r->err);
		return;
	}
	cr_assert_eq(r->status, want, "stdout: %s\nstderr: %s", r->out, r->err);
	if (needle)
		cr_assert(strstr(r->out, needle), "%s", r->out);
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

static int ab_check_bmf(const char *path);

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
	ab_expect_verdict(&r, 0, NULL);
	if (!CHECK_SANITIZED)
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
	snprintf(path, sizeof(path), "%s/bmf.json", out);
	cr_assert_eq(ab_check_bmf(path), 2, "the new build's op and rate");
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
	ab_expect_verdict(&r, 1, "REGRESSION");
	cr_assert(strstr(r.err, "significant regressions"), "%s", r.err);
	/* A gate that counts only changes beyond 50 % lets it pass. */
	snprintf(out, sizeof(out), "%s/loose", dir);
	CLI(&r, "ab", a, b, AB_NAP, "--out", out, "--seed", "1", "--threshold", "50");
	ab_expect_verdict(&r, 0, NULL);
	cr_assert(strstr(r.err, "threshold 50.0 %"), "%s", r.err);
	/* The other way round it is an improvement, not a regression. */
	snprintf(out, sizeof(out), "%s/back", dir);
	CLI(&r, "ab", b, a, AB_NAP, "--out", out, "--seed", "2");
	ab_expect_verdict(&r, 0, "improved");
	cli_rmdir(dir);
}

/* A Bencher Metric Format document, checked with jansson: an object of
 * benchmarks, each an object of measures, each with a number "value"
 * inside its "lower_value" .. "upper_value" when those are given.
 * Returns how many measures it holds. */
static int ab_check_bmf(const char *path)
{
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e), *bench, *m;
	const char *name, *measure;
	int n = 0;

	cr_assert_not_null(doc, "%s:%d: %s", path, e.line, e.text);
	cr_assert(json_is_object(doc));
	json_object_foreach(doc, name, bench) {
		cr_assert(json_is_object(bench), "%s", name);
		json_object_foreach(bench, measure, m) {
			json_t *v = json_object_get(m, "value"), *lo = json_object_get(m, "lower_value"),
			       *hi = json_object_get(m, "upper_value");

			cr_assert(json_is_number(v), "%s %s", name, measure);
			if (lo)
				cr_assert_leq(json_number_value(lo), json_number_value(v));
			if (hi)
				cr_assert_geq(json_number_value(hi), json_number_value(v));
			/* No key but the three BMF knows. */
			const char *k;
			json_t *x;
			json_object_foreach(m, k, x)
				cr_assert(!strcmp(k, "value") || !strcmp(k, "lower_value") ||
					  !strcmp(k, "upper_value"), "%s", k);
			n++;
		}
	}
	json_decref(doc);
	return n;
}

Test(ab, bmf_export_of_a_results_file, .timeout = 30)
{
	char dir[64], res[128], out[128];
	json_t *doc;
	json_error_t e;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(res, sizeof(res), "%s/results.csv", dir);
	snprintf(out, sizeof(out), "%s/bmf.json", dir);
	cli_write_str(res,
		      "run_id,bench,mode,placement,threads,params,metric,unit,reps,median,mean,"
		      "stddev,cv,min,max,p90,p99,ci95_lo,ci95_hi,cpus\n"
		      "r,ctx.thread.futex,thread,same-core,2,ws_kb=0;x=1,roundtrip,ns,10,100,101,1,"
		      "0.01,98,104,103,104,99,102,0\n"
		      "r,ctx.thread.futex,thread,same-core,2,ws_kb=0;x=1,switch,ns,10,40,40,1,"
		      "0.01,38,44,43,44,39,41.5,0\n"
		      "r,lock.mutex,process,\"cpus:0,1\",2,,rate,ops/s,10,5e6,5e6,1,0.01,4e6,6e6,"
		      "6e6,6e6,4.5e6,5.5e6,0 1\n");
	cr_assert_eq(export_bmf(res, out), 0);
	cr_assert_eq(ab_check_bmf(out), 3);
	doc = json_load_file(out, 0, &e);
	cr_assert_not_null(doc);
	json_t *m = json_object_get(json_object_get(doc, "ctx.thread.futex/mode:thread/"
						    "placement:same-core/threads:2/ws_kb:0/x:1"),
				    "switch (ns)");
	cr_assert_not_null(m, "names: %s", json_dumps(doc, 0));
	cr_assert_float_eq(json_number_value(json_object_get(m, "value")), 40, 1e-9);
	cr_assert_float_eq(json_number_value(json_object_get(m, "lower_value")), 39, 1e-9);
	cr_assert_float_eq(json_number_value(json_object_get(m, "upper_value")), 41.5, 1e-9);
	m = json_object_get(json_object_get(doc, "lock.mutex/mode:process/placement:cpus:0,1/"
					    "threads:2"), "rate (ops/s)");
	cr_assert_not_null(m);
	cr_assert_float_eq(json_number_value(json_object_get(m, "value")), 5e6, 1e-3);
	json_decref(doc);
	/* A row with no interval: its value alone; a row with no median
	 * (nothing measured): no entry. */
	cli_write_str(res,
		      "run_id,bench,mode,placement,threads,params,metric,unit,reps,median,mean,"
		      "stddev,cv,min,max,p90,p99,ci95_lo,ci95_hi,cpus\n"
		      "r,ctx.thread.futex,thread,same-core,2,ws_kb=0,roundtrip,ns,1,7,7,,,7,7,7,7,,,0\n"
		      "r,ctx.thread.futex,thread,same-core,2,ws_kb=0,switch,ns,0,,,,,,,,,,,0\n");
	cr_assert_eq(export_bmf(res, out), 0);
	doc = json_load_file(out, 0, &e);
	cr_assert_not_null(doc, "%s", e.text);
	json_t *k = json_object_get(doc, "ctx.thread.futex/mode:thread/placement:same-core/"
				    "threads:2/ws_kb:0");
	cr_assert_not_null(k, "names: %s", json_dumps(doc, 0));
	m = json_object_get(k, "roundtrip (ns)");
	cr_assert_not_null(m);
	cr_assert_float_eq(json_number_value(json_object_get(m, "value")), 7, 1e-9);
	cr_assert_null(json_object_get(m, "lower_value"));
	cr_assert_null(json_object_get(m, "upper_value"));
	cr_assert_null(json_object_get(k, "switch (ns)"), "a row with no median exported");
	json_decref(doc);
	/* Not a results file: an error naming it, nothing written. */
	cli_write_str(res, "a,b\n1,2\n");
	unlink(out);
	cr_assert_lt(export_bmf(res, out), 0);
	cr_assert_neq(access(out, F_OK), 0);
	cli_rmdir(dir);
}

/* Which build ran each block, from wrappers that log their calls:
 * ABBA, configuration after configuration, each in one piece. */
Test(ab, blocks_run_in_abba_order, .timeout = 240)
{
	char dir[64], out[128], a[PATH_MAX], b[PATH_MAX], log[128], line[512];
	char seq[64] = "", cfg[8][256];
	int n = 0, ncfg = 0;
	struct cli_run r;
	FILE *f;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_logging_pair(dir, log, sizeof(log), a, b);
	CLI(&r, "ab", a, b, "selftest.nap", "--param", "k_ns=100000,200000", "--mode", "thread",
	    "--min-time", "0.01", "--counters", "none", "--reps", "12", "--block", "3", "--out",
	    out);
	/* The order is the point here, not the verdict on two copies. */
	cr_assert(r.status == 0 || r.status == 1, "stdout: %s\nstderr: %s", r.out, r.err);
	f = fopen(log, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *k;

		if (!strstr(line, " run "))
			continue;	/* the --help probe */
		cr_assert_lt(n, 63);
		seq[n++] = line[0];
		cr_assert(strstr(line, "--reps 3 "), "%s", line);
		k = strstr(line, "k_ns=");
		cr_assert_not_null(k, "%s", line);
		if (n % 8 == 1)
			snprintf(cfg[ncfg++], sizeof(cfg[0]), "%.12s", k);
		else
			cr_assert_eq(strncmp(cfg[ncfg - 1], k, strlen(cfg[ncfg - 1])), 0,
				     "a configuration's blocks were split: %s", line);
	}
	fclose(f);
	seq[n] = '\0';
	/* 2 configurations x 4 blocks x 2 builds. */
	cr_assert_str_eq(seq, "ABBAABBAABBAABBA");
	cr_assert_eq(ncfg, 2);
	cr_assert(strcmp(cfg[0], cfg[1]) != 0);
	cli_rmdir(dir);
}

/* Each build's pooled repetitions of metric `op` (results and samples)
 * in run folder out: want of them, numbered 1 to want as one run's, the
 * run's one id on every row of both files, and each results row the
 * exact statistics of its pooled samples. */
static void ab_expect_pooled(const char *out, int want)
{
	char path[256];
	int reps = 0;

	for (int s = 0; s < 2; s++) {
		struct csv_table res, smp;
		int rep = 0;
		const char *id;

		snprintf(path, sizeof(path), "%s/%s/results.csv", out, s ? "new" : "base");
		cr_assert_eq(ab_rows(path, "op", &reps), 1);
		cr_assert_eq(reps, want, "%s pooled %d repetitions, not --reps %d", path, reps,
			     want);
		cli_read_csv(path, &res);
		snprintf(path, sizeof(path), "%s/%s/samples.csv", out, s ? "new" : "base");
		cr_assert_eq(ab_rows(path, "op", NULL), want, "%s", path);
		cli_read_csv(path, &smp);
		id = cli_field(&res, 0, "run_id");
		for (size_t r = 0; r < res.nrows; r++) {
			cr_assert_str_eq(cli_field(&res, r, "run_id"), id, "%s", path);
			cli_check_stats_row(&res, r, &smp);
		}
		for (size_t r = 0; r < smp.nrows; r++) {
			cr_assert_str_eq(cli_field(&smp, r, "run_id"), id, "%s", path);
			if (strcmp(cli_field(&smp, r, "metric"), "op") == 0)
				cr_assert_eq(atoi(cli_field(&smp, r, "rep")), ++rep,
					     "%s line %zu: rep %s", path, smp.line[r],
					     cli_field(&smp, r, "rep"));
		}
		csv_table_free(&res);
		csv_table_free(&smp);
	}
}

/* --reps not a multiple of --block: the last block runs the rest, so
 * that each build runs --reps repetitions, no more. */
Test(ab, the_last_block_runs_the_rest, .timeout = 240)
{
	char dir[64], out[128], a[PATH_MAX];
	struct cli_run r;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_wrapper(dir, "a", "", a, sizeof(a));
	CLI(&r, "ab", a, a, AB_NAP, "--reps", "7", "--block", "5", "--out", out, "--seed", "1");
	cr_assert(r.status == 0 || r.status == 1, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.err, "2 blocks of 5"), "%s", r.err);
	ab_expect_pooled(out, 7);
	cli_rmdir(dir);
}

/*
 * A pooled counter is per operation, as each block's is: the mean of
 * the blocks' weighted by their repetitions.  selftest.nap's operation
 * is one nanosleep: one system call (and a share of the round's few
 * calls of its own) and at least one context switch (the sleep), with
 * at most a couple more where other sessions preempt the 1 ms nap.  Two
 * blocks of 10: a sum divided by anything but the 20 repetitions is 10
 * times too large or 2 times too small, both outside these bounds.
 */
Test(ab, pooled_counters_are_per_operation, .timeout = 240)
{
	static const struct { const char *col; double lo, hi; } k[] = {
		{ "syscalls_per_op", 0.9, 1.5 },
		{ "ctx_switches_per_op", 0.9, 3 },
	};
	char dir[64], out[128], a[PATH_MAX], path[256];
	struct cli_run r;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_wrapper(dir, "a", "", a, sizeof(a));
	CLI(&r, "ab", a, a, "selftest.nap", "--param", "k_ns=1000000", "--mode", "thread",
	    "--min-time", "0.02", "--counters", "syscalls,context-switches", "--reps", "20",
	    "--block", "10", "--out", out, "--seed", "1");
	cr_assert(r.status == 0 || r.status == 1, "stdout: %s\nstderr: %s", r.out, r.err);
	ab_expect_pooled(out, 20);
	for (int s = 0; s < 2; s++) {
		struct csv_table t;
		int m, checked = 0;

		snprintf(path, sizeof(path), "%s/%s/results.csv", out, s ? "new" : "base");
		cli_read_csv(path, &t);
		m = cli_col(&t, "metric");
		for (size_t i = 0; i < t.nrows; i++) {
			if (strcmp(t.rows[i][m], "op"))
				continue;
			for (size_t j = 0; j < sizeof(k) / sizeof(k[0]); j++) {
				const char *v = t.rows[i][cli_col(&t, k[j].col)];

				if (!v[0]) {
					cr_log_warn("%s cannot be counted here: not checked",
						    k[j].col);
					continue;
				}
				cr_assert(atof(v) >= k[j].lo && atof(v) <= k[j].hi,
					  "%s: %s %s per operation, not %g..%g", path, v,
					  k[j].col, k[j].lo, k[j].hi);
				checked++;
			}
		}
		csv_table_free(&t);
		/* A context switch is a software event: always counted. */
		cr_assert_geq(checked, 1, "%s: no counter to check", path);
	}
	cli_rmdir(dir);
}

/*
 * Every run option reaches both builds, each block's command whole: the
 * configuration's mode, placement, task count and parameters, the
 * block's repetitions and seed (--seed plus the block), --quick,
 * --counters, --min-time and --timeout, and the block's own files.  Two
 * blocks of 2 per build and configuration.  --alpha is the U test's
 * level the comparison uses.
 */
Test(ab, every_run_option_reaches_both_builds, .timeout = 240)
{
	char dir[64], out[128], a[PATH_MAX], b[PATH_MAX], log[128], line[1024];
	char want[1024];
	int n = 0, tasks_seen[3] = { 0 };
	struct cli_run r;
	FILE *f;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_logging_pair(dir, log, sizeof(log), a, b);
	CLI(&r, "ab", a, b, "selftest.spin", "--param", "k_ns=1000", "--threads", "1,2", "--mode",
	    "thread", "--quick", "--timeout", "30", "--min-time", "0.01", "--counters", "none",
	    "--reps", "4", "--block", "2", "--seed", "7", "--alpha", "0.2", "--out", out);
	cr_assert(r.status == 0 || r.status == 1, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.err, "(threshold 5.0 %, p < 0.2)"), "%s", r.err);
	f = fopen(log, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char side = line[0];
		int tasks = 0, job = -1, blk = -1;
		char *at;

		if (!strstr(line, " run "))
			continue;	/* the --help probe */
		n++;
		at = strstr(line, "--threads ");
		cr_assert_not_null(at, "%s", line);
		tasks = atoi(at + 10);
		cr_assert(tasks == 1 || tasks == 2, "%s", line);
		at = strstr(line, "/blocks/");
		cr_assert_not_null(at, "%s", line);
		cr_assert_eq(sscanf(strchr(at, '-') + 1, "%d-%d", &job, &blk), 2, "%s", line);
		cr_assert(blk == 0 || blk == 1, "%s", line);
		tasks_seen[tasks]++;
		snprintf(want, sizeof(want),
			 "%c run selftest.spin --mode thread --placement none --threads %d --param "
			 "k_ns=1000 --reps 2 --seed %d --quick --counters none --min-time 0.01 "
			 "--timeout 30 --out %s/blocks/%s-%d-%d.csv --samples "
			 "%s/blocks/%s-%d-%d.smp.csv\n", side, tasks, 7 + blk, out,
			 side == 'A' ? "base" : "new", job, blk, out, side == 'A' ? "base" : "new",
			 job, blk);
		cr_assert_str_eq(line, want);
	}
	fclose(f);
	/* 2 configurations x 2 blocks x 2 builds */
	cr_assert_eq(n, 8);
	cr_assert_eq(tasks_seen[1], 4);
	cr_assert_eq(tasks_seen[2], 4);
	cli_rmdir(dir);
}

/*
 * A block that fails (the new build exits 1 on one configuration, a
 * line on stderr saying why): named with its log's last line, counted,
 * its logs kept; the configuration the new build lost is MISSING in NEW,
 * so the verdict is 1.  A build that refuses a configuration (exit 2:
 * an option it does not know) stops ab at once with exit 2, naming the
 * build, the configuration and its reason.
 */
Test(ab, a_failed_block_and_a_refusing_build, .timeout = 240)
{
	char dir[64], out[128], a[PATH_MAX], b[PATH_MAX], want[PATH_MAX + 256], blocks[192];
	struct cli_run r;
	struct stat sb;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_wrapper(dir, "a", "", a, sizeof(a));
	ab_wrapper(dir, "b", "case \"$*\" in run*k_ns=200000*) echo 'contend: it broke' >&2; "
			     "exit 1;; esac;", b, sizeof(b));
	CLI(&r, "ab", a, b, "selftest.nap", "--param", "k_ns=100000,200000", "--mode", "thread",
	    "--min-time", "0.01", "--counters", "none", "--reps", "4", "--block", "2", "--out",
	    out);
	cr_assert_eq(r.status, 1, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.err, " new failed (contend: it broke)"), "%s", r.err);
	snprintf(blocks, sizeof(blocks), "%s/blocks", out);
	snprintf(want, sizeof(want), "contend: ab: 2 blocks failed (their logs are in %s); a "
		 "configuration either build lost is MISSING\n", blocks);
	cr_assert(strstr(r.err, want), "want %s%s", want, r.err);
	cr_assert_eq(stat(blocks, &sb), 0, "the failed blocks' logs were removed");
	cr_assert(strstr(r.out, "| selftest.nap | thread | none | 1 | k_ns=200000 | op | "), "%s",
		  r.out);
	cr_assert(strstr(r.out, "MISSING in NEW |"), "%s", r.out);

	snprintf(out, sizeof(out), "%s/out2", dir);
	ab_wrapper(dir, "c", "case \"$*\" in run*) echo \"contend: --param k_ns: unknown\" >&2; "
			     "exit 2;; esac;", b, sizeof(b));
	CLI(&r, "ab", a, b, "selftest.nap", "--param", "k_ns=100000", "--mode", "thread",
	    "--min-time", "0.01", "--counters", "none", "--reps", "4", "--block", "2", "--out",
	    out);
	cr_assert_eq(r.status, 2, "stdout: %s\nstderr: %s", r.out, r.err);
	snprintf(want, sizeof(want), "contend: ab: %s refused selftest.nap thread none 1 "
		 "k_ns=100000: contend: --param k_ns: unknown\n", b);
	cr_assert(strstr(r.err, want), "want %s%s", want, r.err);
	cli_rmdir(dir);
}

/* --quick without --reps: half the default repetitions, 10 a build in
 * two blocks of 5, pooled as one run of 10. */
Test(ab, quick_runs_half_the_repetitions, .timeout = 240)
{
	char dir[64], out[128], a[PATH_MAX];
	struct cli_run r;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	ab_wrapper(dir, "a", "", a, sizeof(a));
	CLI(&r, "ab", a, a, AB_NAP, "--quick", "--out", out, "--seed", "1");
	cr_assert(r.status == 0 || r.status == 1, "stdout: %s\nstderr: %s", r.out, r.err);
	cr_assert(strstr(r.err, "contend: ab: 1 configurations x 2 blocks of 5 repetitions a "
				"build"), "%s", r.err);
	ab_expect_pooled(out, 10);
	cli_rmdir(dir);
}
