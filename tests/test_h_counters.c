/*
 * tests/test_h_counters.c - harness/counters: names, groups, and the
 * per-round scaling of multiplexed counts, on samples made up for it,
 * and a real count of system calls where this machine can count them,
 * the threads a workload starts included.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/counters.h"
#include "tests/check.h"
#include "tests/h_util.h"

Test(counters, names_and_groups, .timeout = 30)
{
	struct ctr_set s;
	char err[400];

	cr_assert_eq(ctr_parse("cycles,instructions,context-switches,syscalls", &s, err,
			       sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, 4);
	cr_assert_str_eq(s.column[2], "ctx_switches_per_op");
	cr_assert_str_eq(s.column[3], "syscalls_per_op");
	/* cycles and instructions are one group, led by cycles */
	cr_assert_eq(s.leader[0], 0);
	cr_assert_eq(s.leader[1], 0);
	cr_assert_eq(s.leader[2], 2);
	cr_assert(s.attr[0].read_format & PERF_FORMAT_GROUP);
	cr_assert_not(s.attr[2].read_format & PERF_FORMAT_GROUP);
	cr_assert_eq(s.kind[3], CTR_TRACEPOINT);
	/* the default set counts system calls */
	cr_assert(strstr(CTR_DEFAULT, "syscalls"));

	static const char *const bad[] = {
		"cycles,,instructions", ",", "cycles,", "cs,context-switches", "cycles,cycles",
		"no_such_counter_anywhere",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(ctr_parse(bad[i], &s, err, sizeof(err)), -EINVAL, "'%s' accepted",
			     bad[i]);
		cr_assert_neq(err[0], '\0');
	}
}

/* Each round is scaled by its own time on the PMU, not by totals. */
Test(counters, delta_scaled_per_round, .timeout = 30)
{
	struct ctr_set s;
	struct ctr_sample a = { 0 }, b = { 0 };
	double out[CTR_MAX];
	char err[400];

	cr_assert_eq(ctr_parse("context-switches,page-faults,cpu-migrations", &s, err,
			       sizeof(err)), 0, "%s", err);
	/* counter 0: ran half the round: 100 counted over 50 of 100 ns */
	a.value[0] = 1000, a.enabled[0] = 1000, a.running[0] = 1000, a.ok[0] = 1;
	b.value[0] = 1100, b.enabled[0] = 1100, b.running[0] = 1050, b.ok[0] = 1;
	/* counter 1: had not run yet at the first read; must still count */
	a.value[1] = 0, a.enabled[1] = 10, a.running[1] = 0, a.ok[1] = 1;
	b.value[1] = 40, b.enabled[1] = 110, b.running[1] = 100, b.ok[1] = 1;
	/* counter 2: never on the PMU during the round: unknown */
	a.value[2] = 5, a.enabled[2] = 10, a.running[2] = 10, a.ok[2] = 1;
	b.value[2] = 5, b.enabled[2] = 110, b.running[2] = 10, b.ok[2] = 1;
	ctr_delta(&s, &a, &b, out);
	cr_assert_float_eq(out[0], 200.0, 1e-9);	/* 100 * 100 / 50 */
	cr_assert_float_eq(out[1], 40.0, 1e-9);		/* 40 * 100 / 100 */
	cr_assert(isnan(out[2]));
	b.ok[0] = 0;					/* a failed read */
	ctr_delta(&s, &a, &b, out);
	cr_assert(isnan(out[0]));
	/* counter 1: never enabled during the round (a helper thread that
	 * slept through it): it counted nothing, 0, not unknown */
	b.ok[0] = 1;
	b.value[1] = a.value[1] = 7, b.enabled[1] = a.enabled[1] = 50;
	b.running[1] = a.running[1] = 50;
	ctr_delta(&s, &a, &b, out);
	cr_assert_float_eq(out[1], 0.0, 1e-12, "a counter never enabled reads %g", out[1]);
}

/* The default set's columns, each counter's own, in order. */
Test(counters, the_default_columns, .timeout = 30)
{
	static const char *const want[] = {
		"cycles_per_op", "instructions_per_op", "cache_misses_per_op", "branch_misses_per_op",
		"ctx_switches_per_op", "cpu_migrations_per_op", "page_faults_per_op",
		"syscalls_per_op",
	};
	struct ctr_set s;
	char err[400];

	cr_assert_eq(ctr_parse(CTR_DEFAULT, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < s.n; i++)
		cr_assert_str_eq(s.column[i], want[i], "counter %d (%s)", i, s.name[i]);
}

/* Where tracefs works: the count of system calls is exact. */
Test(counters, syscalls_counted_exactly, .timeout = 30)
{
	struct ctr_set s;
	struct ctr_task t;
	struct ctr_sample a, b;
	double out[CTR_MAX];
	char err[400];

	cr_assert_eq(ctr_parse("syscalls", &s, err, sizeof(err)), 0, "%s", err);
	ctr_task_open(&s, &t);
	if (t.fd[0] < 0) {
		cr_log_warn("syscalls cannot be counted here (%s): nothing to check",
			    ctr_why(&s, 0, t.err[0]));
		return;
	}
	ctr_task_read(&s, &t, &a);
	for (int i = 0; i < 1000; i++)
		syscall(SYS_getppid);
	ctr_task_read(&s, &t, &b);
	ctr_delta(&s, &a, &b, out);
	/* 1000 getppid and the second read itself */
	cr_assert_float_eq(out[0], 1001.0, 0.5, "%g", out[0]);
	ctr_task_close(&s, &t);
}

/*
 * The system calls of an operation made by a thread the workload
 * started count as the operation's: a thread per operation (inherited
 * counters) and one started in task_init (counters opened on the
 * helper).  Each helper makes `calls` getppid per operation; the pool's
 * hand-off adds exactly 4; a new thread adds its creation and exit (a
 * dozen calls here, 40 allowed).  Without the helpers' calls a task
 * counts a handful.
 */
Test(counters, helpers_threads_counted, .timeout = 240)
{
	static const struct { const char *bench; double lo, hi; } w[] = {
		{ "selftest.helper", 100, 140 },
		{ "selftest.helper.pool", 104, 105 },
	};
	static struct cli_run r;
	char dir[64], out[128];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
		struct csv_table t;
		int rows = 0;

		CLI(&r, "run", (char *)w[k].bench, "--threads", "1,2", "--param", "calls=100", "--quick",
		    "--counters", "syscalls,context-switches", "--out", out);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cli_read_csv(out, &t);
		for (size_t i = 0; i < t.nrows; i++) {
			const char *v = t.rows[i][cli_col(&t, "syscalls_per_op")];

			if (!v[0]) {
				cr_log_warn("syscalls cannot be counted here: nothing to check");
				csv_table_free(&t);
				cli_rmdir(dir);
				return;
			}
			cr_assert(atof(v) >= w[k].lo && atof(v) <= w[k].hi,
				  "%s %s tasks=%s: %s system calls per operation, not %g..%g",
				  w[k].bench, t.rows[i][cli_col(&t, "mode")],
				  t.rows[i][cli_col(&t, "threads")], v, w[k].lo, w[k].hi);
			rows++;
		}
		cr_assert_eq(rows, 4, "%s: %d rows (2 modes x 2 task counts)", w[k].bench, rows);
		csv_table_free(&t);
	}
	cli_rmdir(dir);
}
