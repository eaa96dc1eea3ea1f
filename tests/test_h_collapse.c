/*
 * tests/test_h_collapse.c - a round that collapses (harness/measure.h,
 * MEASURE_COLLAPSE_*) is ended at its limit and its configuration
 * skipped, naming the limit and the rate it fell to, instead of running
 * to its budget and failing; a healthy round of the same workload is
 * measured as before.  The workload is the hidden selftest.collapse:
 * selftest.spin's known cost until run() round `at`, then an operation
 * that sleeps 10 ms, so that a round calibrated to 10 ms would last
 * minutes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/clock.h"
#include "harness/team.h"
#include "tests/check.h"
#include "tests/h_util.h"

/* Collapsing after calibration (round 9 is the warm-up or a
 * repetition, depending on how calibration went), in both modes: both
 * configurations skipped with the reason, none failed, no row; the
 * budget (30 s) was not what ended it.  A sweep files them in
 * skipped.csv. */
Test(collapse, a_collapsing_round_is_ended_and_skipped, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], out[128], plan[128], run[128], path[192];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "selftest.collapse", "--param", "at=9", "--threads", "2", "--reps", "6",
	    "--min-time", "0.01", "--timeout", "30", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "a collapse is not a failure: %s", r.err);
	cr_assert(strstr(r.err, "2 configurations skipped"), "%s", r.err);
	cr_assert_null(strstr(r.err, "budget"), "%s", r.err);
	for (const char *p = r.err; (p = strstr(p, "skipped: collapsed while ")); p++)
		cr_assert(strstr(p, "was still running at its limit of 1 s and was ended early, at "),
			  "%s", r.err);
	cr_assert(strstr(r.err, "thread none tasks=2") && strstr(r.err, "process none tasks=2"),
		  "%s", r.err);
	cli_read_csv(out, &t);
	cr_assert_eq(t.nrows, 0, "a collapsed configuration wrote rows");
	csv_table_free(&t);

	/* Four tasks on one processor: the reason names the likely why. */
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	cli_write_str(plan, "'selftest.collapse' --param at=9 --threads 4 --placement same-core "
			    "--mode thread --reps 6 --min-time 0.01 --timeout 30\n");
	snprintf(run, sizeof(run), "%s/run", dir);
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/skipped.csv", run);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 1);
	cr_assert(strstr(t.rows[0][cli_col(&t, "reason")], "4 tasks on 1 processors: hand-offs "
							  "wait for tasks off theirs"),
		  "%s", t.rows[0][cli_col(&t, "reason")]);
	csv_table_free(&t);
	snprintf(path, sizeof(path), "%s/failures.csv", run);
	cr_assert(access(path, F_OK) != 0, "a collapse was filed as a failure");
	cli_rmdir(dir);
}

/* Without a collapse the workload is selftest.spin: measured, every
 * operation at least its known cost (over the tasks that spin side by
 * side); the limit changes nothing. */
Test(collapse, a_healthy_round_is_measured, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;
	int seen = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "selftest.collapse", "--param", "k_ns=200000", "--threads", "1,2", "--reps",
	    "5", "--min-time", "0.01", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.err, "collapsed"), "%s", r.err);
	cli_read_csv(out, &t);
	for (size_t i = 0; i < t.nrows; i++) {
		if (strcmp(t.rows[i][cli_col(&t, "metric")], "op"))
			continue;
		seen++;
		/* T tasks spin side by side at best: a round's time over all
		 * their operations is at least k_ns / T. */
		cr_assert_geq(strtod(t.rows[i][cli_col(&t, "min")], NULL),
			      200000.0 / atoi(t.rows[i][cli_col(&t, "threads")]),
			      "an operation took less than its known cost");
	}
	cr_assert_eq(seen, 4, "%s", r.err);	/* 1 and 2 tasks, threads and processes */
	csv_table_free(&t);
	cli_rmdir(dir);
}

/* An operation longer than the round aimed at (0.3 s against 1 ms) is
 * a slow round, not a collapse: the limit is never under
 * MEASURE_COLLAPSE_MIN_S (1 s), whatever --min-time says. */
Test(collapse, a_slow_operation_is_no_collapse, .timeout = 120)
{
	static struct cli_run r;

	CLI(&r, "run", "selftest.collapse", "--param", "k_ns=300000000", "--threads", "1",
	    "--mode", "thread", "--reps", "3", "--min-time", "0.001", "--timeout", "60",
	    "--counters", "none", "--out", "/dev/null");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.err, "collapsed"), "%s", r.err);
	cr_assert_null(strstr(r.err, "skipped"), "%s", r.err);
}

/*
 * end_round(st, n) ends run() round n, and only that one: every workload
 * that has it, set up in this process as one thread, does a round, is
 * told to end round 2, and leaves round 2 before its first iteration;
 * round 3 is whole again.  Every lock of the zoo has it (a FIFO spinner
 * is what collapses).
 */
Test(collapse, end_round_ends_that_round_of_every_workload, .timeout = 120)
{
	int nlock = 0, nend = 0;

	clk_init();
	for (int b = 0; bench_registry[b]; b++) {
		const struct bench_desc *d = bench_registry[b];
		static char vals[8][32];
		static const char *val[8];
		struct bench_state st;
		struct bench_rec rec;
		struct bench_task t = { .st = &st, .id = 0, .rec = &rec };
		uint64_t one;

		nlock += strncmp(d->name, "lock.", 5) == 0;
		if (!strncmp(d->name, "lock.", 5))
			cr_assert_not_null(d->end_round, "%s has no end_round: a collapse of it "
				  "would run to its budget", d->name);
		if (!d->end_round)
			continue;
		nend++;
		memset(&st, 0, sizeof(st));
		memset(&rec, 0, sizeof(rec));
		for (int n = 0; d->params && d->params[n].name; n++) {
			cr_assert_lt(n, 8, "%s: too many parameters", d->name);
			snprintf(vals[n], sizeof(vals[n]), "%.*s",
				 (int)strcspn(d->params[n].def, ","), d->params[n].def);
			val[n] = vals[n];
		}
		st.desc = d;
		st.mode = BENCH_MODE_THREAD;
		st.ntasks = 1;
		st.ncpus = 1;
		st.param_values = val;
		cr_assert_eq(d->setup(&st), 0, "%s: setup failed", d->name);
		cr_assert(!d->task_init || d->task_init(&t) == 0, "%s: task_init failed", d->name);
		one = d->run(&t, 100);
		cr_assert_gt(one, 0, "%s: round 1 did nothing", d->name);
		d->end_round(&st, 2);
		cr_assert_eq(d->run(&t, 1000000000), 0, "%s: round 2 was not ended", d->name);
		cr_assert_eq(d->run(&t, 100), one, "%s: round 3 was ended too", d->name);
		if (d->task_fini)
			d->task_fini(&t);
		if (d->teardown)
			d->teardown(&st);
		bench_shared_free_all(&st);
	}
	cr_assert_gt(nlock, 10);
	cr_assert_gt(nend, nlock);	/* the locks and selftest.collapse */
}
