/*
 * tests/test_h_pool.c - the pool.* and shm.* families end to end: a
 * quick run of every benchmark passes its own check (the run exits 0
 * only then) and gives every metric it declares a finite row; the
 * lesson's scenes reach their outcomes (terminate drops at most 25 of 30, no pool
 * makes more than 5 workers, the locked Array loses nothing); the
 * callback pool makes at most W workers in all its rounds; every
 * parameter reaches its workload; each guard of each check() refuses
 * a state wrong in one count; lost_updates reads a known loss as its
 * share of all the round's adds, and its tally is ordered by the
 * workload itself (threads taking turns, for the TSan leg).  Tiny
 * settings: this proves the work, it does not measure it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/pool.h"
#include "harness/bench.h"
#include "harness/clock.h"
#include "harness/team.h"
#include "primitives/shm.h"
#include "tests/check.h"
#include "tests/h_checks.h"
#include "tests/h_util.h"

static const char *pool_cell(const struct csv_table *t, size_t r, const char *col)
{
	return t->rows[r][cli_col(t, col)];
}

/* The rows of bench b, metric m: calls fn on each; returns how many. */
static int pool_rows(const struct csv_table *t, const char *b, const char *m,
		     void (*fn)(const struct csv_table *t, size_t r))
{
	int n = 0;

	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(pool_cell(t, r, "bench"), b) && !strcmp(pool_cell(t, r, "metric"), m)) {
			if (fn)
				fn(t, r);
			n++;
		}
	return n;
}

static void pool_expect_all_rows(const struct csv_table *t)
{
	int seen = 0;

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if (strncmp(d->name, "pool.", 5) && strncmp(d->name, "shm.", 4))
			continue;
		seen++;
		for (const struct bench_metric *m = d->metrics; m->name; m++) {
			int found = 0;

			/* Reported only where they apply. */
			if (!strcmp(m->name, "failed_share") ||
			    (!strcmp(m->name, "threads_per_task") && !strncmp(d->name, "pool.process", 12)) ||
			    (!strcmp(m->name, "dropped") && strcmp(d->name, "pool.scene.close") &&
			     strcmp(d->name, "pool.scene.terminate")) ||
			    (!strcmp(m->name, "workers_created") && !strcmp(d->name, "pool.scene.apply_async")) ||
			    (!strcmp(m->name, "lost_updates") && strstr(d->name, "manager")))
				continue;
			for (size_t r = 0; r < t->nrows; r++) {
				if (strcmp(pool_cell(t, r, "bench"), d->name) ||
				    strcmp(pool_cell(t, r, "metric"), m->name))
					continue;
				found = 1;
				cr_assert(isfinite(strtod(pool_cell(t, r, "median"), NULL)),
					  "%s %s: median %s", d->name, m->name, pool_cell(t, r, "median"));
			}
			cr_assert(found, "%s: no %s row", d->name, m->name);
		}
	}
	cr_assert_geq(seen, 13);
}

/* Terminate comes once all 5 workers are in a task: at most 25 of the
 * 30 are left to drop (exactly 25 unless a task ended before the fifth
 * started, which short tasks do). */
static void pool_expect_dropped_25(const struct csv_table *t, size_t r)
{
	cr_assert_leq(strtod(pool_cell(t, r, "max"), NULL), 25.0);
	cr_assert_geq(strtod(pool_cell(t, r, "min"), NULL), 0.0);
}

static void pool_expect_at_most_5(const struct csv_table *t, size_t r)
{
	cr_assert_leq(strtod(pool_cell(t, r, "max"), NULL), 5.0);
	cr_assert_geq(strtod(pool_cell(t, r, "min"), NULL), 1.0);
}

static void pool_expect_none_lost(const struct csv_table *t, size_t r)
{
	if (strstr(pool_cell(t, r, "params"), "lock=no"))
		return;
	cr_assert_float_eq(strtod(pool_cell(t, r, "max"), NULL), 0, 1e-12, "%s %s lost updates",
			   pool_cell(t, r, "bench"), pool_cell(t, r, "params"));
}

/*
 * The callback pool keeps its workers: over every recorded round of a
 * configuration it makes at most W of them, however the rounds fall
 * (how many of the W the warm-up made depends on the load, so a round
 * may still make one: the sum, not each round, is the known answer).
 * samples.csv gives each round's threads_per_task and tasks.
 */
static void pool_expect_at_most_w_made(const struct csv_table *s)
{
	int seen = 0;

	for (size_t r = 0; r < s->nrows; r++) {
		double made = 0, w;

		if (strcmp(pool_cell(s, r, "bench"), "pool.thread") ||
		    strcmp(pool_cell(s, r, "metric"), "threads_per_task") ||
		    strcmp(pool_cell(s, r, "rep"), "1"))
			continue;
		w = strtod(pool_cell(s, r, "threads"), NULL);
		for (size_t q = 0; q < s->nrows; q++)
			if (!strcmp(pool_cell(s, q, "bench"), "pool.thread") &&
			    !strcmp(pool_cell(s, q, "metric"), "threads_per_task") &&
			    !strcmp(pool_cell(s, q, "threads"), pool_cell(s, r, "threads")) &&
			    !strcmp(pool_cell(s, q, "params"), pool_cell(s, r, "params")))
				made += strtod(pool_cell(s, q, "value"), NULL) *
					strtod(pool_cell(s, q, "ops"), NULL);
		cr_assert_leq(made, w + 1e-6, "pool.thread W=%g (%s): %g workers made in its rounds",
			      w, pool_cell(s, r, "params"), made);
		seen++;
	}
	cr_assert_eq(seen, 2);
}

static void pool_expect_one_thread_made(const struct csv_table *t, size_t r)
{
	cr_assert_float_eq(strtod(pool_cell(t, r, "min"), NULL), 1, 1e-12);
	cr_assert_float_eq(strtod(pool_cell(t, r, "max"), NULL), 1, 1e-12);
}

Test(pool, quick_runs_every_benchmark_and_the_scenes_reach_their_outcomes, .timeout = 300)
{
	static struct cli_run r;
	char dir[64], out[128], samples[128];
	struct csv_table t, st;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(samples, sizeof(samples), "%s/s.csv", dir);
	CLI(&r, "run", "pool.*", "shm.*", "--quick", "--threads", "1,3", "--reps", "2",
	    "--min-time", "0.002", "--param", "task_us=10", "--counters", "none", "--out", out,
	    "--samples", samples);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	cli_read_csv(samples, &st);
	pool_expect_at_most_w_made(&st);
	csv_table_free(&st);
	pool_expect_all_rows(&t);
	cr_assert_eq(pool_rows(&t, "pool.scene.terminate", "dropped", pool_expect_dropped_25), 1);
	cr_assert_eq(pool_rows(&t, "pool.scene.close", "workers_created", pool_expect_at_most_5), 1);
	cr_assert_eq(pool_rows(&t, "pool.scene.terminate", "workers_created",
			       pool_expect_at_most_5), 1);
	cr_assert_eq(pool_rows(&t, "shm.scene.array", "lost_updates", pool_expect_none_lost), 2);
	cr_assert_eq(pool_rows(&t, "shm.array.locked", "lost_updates", pool_expect_none_lost), 2);
	cr_assert_eq(pool_rows(&t, "pool.thread", "threads_per_task", NULL), 2);
	cr_assert_eq(pool_rows(&t, "pool.token", "threads_per_task", pool_expect_one_thread_made),
		     2);
	cr_assert_eq(pool_rows(&t, "pool.thread_per_task", "threads_per_task",
			       pool_expect_one_thread_made), 2);
	csv_table_free(&t);
	cli_rmdir(dir);
}

Test(pool, shm_runs_as_threads_too, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "shm.*", "--mode", "thread", "--threads", "2", "--reps", "2", "--min-time",
	    "0.002", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	cr_assert_eq(pool_rows(&t, "shm.array.locked", "lost_updates", pool_expect_none_lost), 1);
	cr_assert_eq(pool_rows(&t, "shm.manager", "ops_per_sec", NULL), 1);
	csv_table_free(&t);
	cli_rmdir(dir);
}

/* ---- every parameter reaches its workload ---- */

static const char *const pool_probe_tiny[] = { "--reps", "2", "--min-time", "0.002",
					       "--counters", "none" };

/* argv: the tiny options, then more (NULL-ended). */
static void pool_probe_run(struct csv_table *t, char *const bench[], const char *const more[])
{
	static struct cli_run r;
	const char *opts[32];
	int n = 0;

	for (size_t i = 0; i < sizeof(pool_probe_tiny) / sizeof(pool_probe_tiny[0]); i++)
		opts[n++] = pool_probe_tiny[i];
	while (*more)
		opts[n++] = *more++;
	opts[n] = NULL;
	cli_run_benches(&r, t, NULL, bench, opts);
}

/* task_us=20000 asleep: no scene is shorter than one task's sleep (the
 * close scene runs 6 in turn, terminate waits for 5 running ones). */
static void pool_probe_scene_row(const struct csv_table *t, size_t r)
{
	cr_assert_geq(strtod(pool_cell(t, r, "min"), NULL), 20e6, "%s: a scene of %s ns",
		      pool_cell(t, r, "bench"), pool_cell(t, r, "min"));
}

static void pool_probe_scene_task_us(char *const bench[], int n)
{
	struct csv_table t;

	pool_probe_run(&t, bench, (const char *const[]){ "--param", "task_us=20000", NULL });
	for (int i = 0; i < n; i++)
		cr_assert_eq(pool_rows(&t, bench[i], "scene", pool_probe_scene_row), 1);
	csv_table_free(&t);
}

/* task_us=5000, one worker: at most 200 tasks a second, asleep or at
 * work (a task of work is 5 ms of CPU time, whatever the loop's speed:
 * a bound with no calibration in it). */
static void pool_probe_task_us_row(const struct csv_table *t, size_t r)
{
	cr_assert_leq(strtod(pool_cell(t, r, "max"), NULL), 200.0, "%s: %s tasks/s of 5 ms",
		      pool_cell(t, r, "bench"), pool_cell(t, r, "max"));
}

static void pool_probe_task_us(char *const bench[], int n)
{
	struct csv_table t;

	pool_probe_run(&t, bench, (const char *const[]){ "--param", "task_us=5000", "--param",
							  "task=work,sleep", "--threads", "1", NULL });
	for (int i = 0; i < n; i++)
		cr_assert_eq(pool_rows(&t, bench[i], "tasks_per_sec", pool_probe_task_us_row), 2);
	csv_table_free(&t);
}

/*
 * task: 3 workers on the processors there are (2 here): a sleeping task
 * needs no processor, so all 3 count in its efficiency; work counts
 * min(3, processors).  speedup / efficiency is that count, exactly.
 */
static void pool_probe_task(char *const bench[], int n)
{
	struct csv_table t;
	int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);

	pool_probe_run(&t, bench, (const char *const[]){ "--param", "task=work,sleep", "--param",
							  "task_us=100", "--threads", "3", NULL });
	for (int i = 0; i < n; i++)
		for (size_t r = 0; r < t.nrows; r++) {
			const char *params = pool_cell(&t, r, "params");
			double want = strstr(params, "task=sleep") || cpus >= 3 ? 3 : cpus;
			double sp = NAN, ef = NAN;

			if (strcmp(pool_cell(&t, r, "bench"), bench[i]) ||
			    strcmp(pool_cell(&t, r, "metric"), "speedup"))
				continue;
			sp = strtod(pool_cell(&t, r, "median"), NULL);
			for (size_t k = 0; k < t.nrows; k++)
				if (!strcmp(pool_cell(&t, k, "bench"), bench[i]) &&
				    !strcmp(pool_cell(&t, k, "params"), params) &&
				    !strcmp(pool_cell(&t, k, "metric"), "efficiency"))
					ef = strtod(pool_cell(&t, k, "median"), NULL);
			cr_assert_float_eq(sp / ef, want, 1e-6, "%s %s: speedup %g over efficiency %g",
					   bench[i], params, sp, ef);
		}
	csv_table_free(&t);
}

/* fail_every=4: a quarter of every round's tasks (to one task) fail. */
static void pool_probe_fail_row(const struct csv_table *t, size_t r)
{
	cr_assert_float_eq(strtod(pool_cell(t, r, "median"), NULL), 0.25, 0.05, "%s: %s failed",
			   pool_cell(t, r, "bench"), pool_cell(t, r, "median"));
}

static void pool_probe_fail_every(char *const bench[], int n)
{
	struct csv_table t;

	pool_probe_run(&t, bench, (const char *const[]){ "--param", "fail_every=4", "--param",
							  "task_us=10", "--param", "task=work",
							  "--threads", "2", NULL });
	for (int i = 0; i < n; i++)
		cr_assert_eq(pool_rows(&t, bench[i], "failed_share", pool_probe_fail_row), 1);
	csv_table_free(&t);
}

/* lock=yes: nothing lost, ever (check() holds the element to every add;
 * lock=no is allowed to lose, and is only logged). */
static void pool_probe_lock_row(const struct csv_table *t, size_t r)
{
	if (strstr(pool_cell(t, r, "params"), "lock=no"))
		cr_log_info("shm.scene.array lock=no: up to %s of the adds lost",
			    pool_cell(t, r, "max"));
	else
		pool_expect_none_lost(t, r);
}

static void pool_probe_lock(char *const bench[], int n)
{
	struct csv_table t;

	pool_probe_run(&t, bench, (const char *const[]){ "--param", "lock=yes,no", "--mode",
							  "process", NULL });
	for (int i = 0; i < n; i++)
		cr_assert_eq(pool_rows(&t, bench[i], "lost_updates", pool_probe_lock_row), 2);
	csv_table_free(&t);
}

static const struct cli_param_probe pool_probes[] = {
	{ .bench = "pool.scene.*", .param = "task_us", .probe = pool_probe_scene_task_us },
	{ .bench = "pool.*", .param = "task_us", .probe = pool_probe_task_us },
	{ .bench = "pool.*", .param = "task", .probe = pool_probe_task },
	{ .bench = "pool.*", .param = "fail_every", .probe = pool_probe_fail_every },
};

static const struct cli_param_probe shm_probes[] = {
	{ .bench = "shm.scene.array", .param = "lock", .probe = pool_probe_lock },
};

Test(pool, every_parameter_reaches_its_workload, .timeout = 300)
{
	cr_assert_gt(cli_param_probes_run("pool.*", pool_probes,
					  sizeof(pool_probes) / sizeof(pool_probes[0])), 0);
	cr_assert_gt(cli_param_probes_run("shm.*", shm_probes,
					  sizeof(shm_probes) / sizeof(shm_probes[0])), 0);
}

/* ---- each guard of each check() ---- */

Test(pool, check_refuses_each_wrong_count, .timeout = 60)
{
	static const char *const names[] = { "pool.thread", "pool.token", "pool.thread_per_task",
					     "pool.process.async", "pool.process.apply" };
	static const struct {
		const char *what;
		long d_sub, d_ran, d_ok, d_fail, bad;
		uint64_t fail_every;
		double span;	/* rounds' time over what the work needs; 0: none */
	} c[] = {
		{ "right", 0, 0, 0, 0, 0, 0, 0 },
		{ "right, with failures", 0, 0, -334, 334, 0, 3, 0 },
		{ "right, rounds as long as the work", 0, 0, 0, 0, 0, 0, 1.0 },
		{ "tasks of work shorter than their CPU time", 0, 0, 0, 0, 0, 0, 0.5 },
		{ "a task not submitted", -1, -1, -1, 0, 0, 0, 0 },
		{ "a task not run", 0, -1, 0, 0, 0, 0, 0 },
		{ "a task run twice", 0, 1, 0, 0, 0, 0, 0 },
		{ "a callback missing", 0, 0, -1, 0, 0, 0, 0 },
		{ "a callback twice", 0, 0, 1, 0, 0, 0, 0 },
		{ "a success reported failed", 0, 0, -1, 1, 0, 0, 0 },
		{ "a failure reported ok", 0, 0, -333, 333, 0, 3, 0 },
		{ "a slot out of turn", 0, 0, 0, 0, 1, 0, 0 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct pool_bench_shared *s;

			checks_setup(names[n], 1, NULL, &st);
			s = st.priv;
			s->submitted = CHECKS_RUN + c[k].d_sub;
			s->ran = CHECKS_RUN + c[k].d_ran;
			s->called_ok = CHECKS_RUN + c[k].d_ok;
			s->called_fail = (uint64_t)c[k].d_fail;
			s->bad = (uint64_t)c[k].bad;
			s->fail_every = c[k].fail_every;
			s->span_ns = (uint64_t)(c[k].span * CHECKS_RUN * s->task_ns / s->most_at_once);
			checks_expect(&st, 0, k < 3, c[k].what);
			checks_teardown(&st);
		}
}

Test(pool, scene_check_refuses_each_wrong_count, .timeout = 60)
{
	static const struct {
		const char *name, *what;
		long d_scenes, d_ran, d_called, d_ok, d_dropped, d_parent, d_worker;
		int errors, too_many;
		int right;
	} c[] = {
		{ "pool.scene.close", "right", 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ "pool.scene.close", "a scene missing", -1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		{ "pool.scene.close", "a task not run", 0, -1, -1, -1, 0, 0, 0, 0, 0, 0 },
		{ "pool.scene.close", "a task dropped", 0, -1, -1, -1, 1, 0, 0, 0, 0, 0 },
		{ "pool.scene.close", "a callback missing", 0, 0, -1, -1, 0, 0, 0, 0, 0, 0 },
		{ "pool.scene.close", "a wrong result", 0, 0, 0, -1, 0, 0, 0, 0, 0, 0 },
		{ "pool.scene.close", "a failed call", 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 },
		{ "pool.scene.close", "a sixth worker", 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 },
		{ "pool.scene.terminate", "right: 25 dropped a scene", 0, -25000, -25000, -25000,
		  25000, 0, 0, 0, 0, 1 },
		{ "pool.scene.terminate", "one more dropped", 0, -25000, -25000, -25000, 25001, 0, 0,
		  0, 0, 0 },
		{ "pool.scene.terminate", "fewer run than workers", 0, -26000, -26000, -26000, 26000,
		  0, 0, 0, 0, 0 },
		/* 6,000 of the 30,000 ran (more than 5 workers a scene) and
		 * 23,999 of the 24,000 others were dropped: one task neither */
		{ "pool.scene.terminate", "a task neither run nor dropped", 0, -24000, -24000, -24000,
		  23999, 0, 0, 0, 0, 0 },
		{ "pool.scene.apply_async", "right", 0, -20000, -20000, -20000, 0, 0, 0, 0, 0, 1 },
		{ "pool.scene.apply_async", "a callback not in the parent", 0, -20000, -20000,
		  -20000, 0, -1, 0, 0, 0, 0 },
		{ "pool.scene.apply_async", "a task in the parent", 0, -20000, -20000, -20000, 0, 0,
		  -1, 0, 0, 0 },
		{ "pool.scene.apply_async", "a task missing", 0, -20001, -20001, -20001, 0, -1, -1, 0,
		  0, 0 },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct bench_state st;
		struct pool_scene_shared *s;
		uint64_t all = 30 * CHECKS_RUN;

		checks_setup(c[k].name, 1, NULL, &st);
		s = st.priv;
		s->scenes = CHECKS_RUN + c[k].d_scenes;
		s->ran = all + c[k].d_ran;
		s->called = all + c[k].d_called;
		s->called_ok = all + c[k].d_ok;
		s->dropped = (uint64_t)c[k].d_dropped;
		s->in_parent = 10 * CHECKS_RUN + c[k].d_parent;
		s->in_worker = 10 * CHECKS_RUN + c[k].d_worker;
		s->errors = (uint64_t)c[k].errors;
		s->too_many_workers = (uint64_t)c[k].too_many;
		checks_expect(&st, 0, c[k].right, c[k].what);
		checks_teardown(&st);
	}
}

Test(pool, shm_check_refuses_each_wrong_count, .timeout = 60)
{
	static const struct {
		const char *name, *what;
		long d_ops0, d_value;
		int right;
	} c[] = {
		{ "shm.array.locked", "right", 0, 0, 1 },
		{ "shm.array.locked", "an update lost", 0, -1, 0 },
		{ "shm.array.locked", "an update too many", 0, 1, 0 },
		{ "shm.array.locked", "a task one short", -1, 0, 0 },
		{ "shm.array.unlocked", "right", 0, 0, 1 },
		{ "shm.array.unlocked", "right: updates lost", 0, -500, 1 },
		{ "shm.array.unlocked", "more than was added", 0, 1, 0 },
		{ "shm.array.unlocked", "a task one short", -1, 0, 0 },
		{ "shm.scene.array", "right (locked, adds of 100)", 0, 0, 1 },
		{ "shm.scene.array", "one add of 100 lost", 0, -100, 0 },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct bench_state st;
		struct shm_bench_shared *s;

		checks_setup(c[k].name, 2, NULL, &st);
		s = st.priv;
		s->ops[0] = CHECKS_RUN + c[k].d_ops0;
		s->ops[1] = CHECKS_RUN;
		shm_array_raw_set(s->arr, 0, s->initial + 2 * CHECKS_RUN * s->add + c[k].d_value);
		checks_expect(&st, 0, c[k].right, c[k].what);
		checks_teardown(&st);
	}
}

/* The CPython rows: a round Python did not answer as asked, one answer
 * short over the run, or operations returned to the harness that Python
 * did not make (one process's where W made them, blind19), or a Python
 * started with other workers, task or task_us than the row's (its setup
 * asks) is refused (skipped without python3).  Two tasks: W = 2 for the shm kinds. */
Test(pool, cpython_check_refuses_each_wrong_count, .timeout = 60)
{
	static const char *const names[] = { "pool.cpython.thread", "shm.cpython.array" };
	static const char *const over[] = { "task_us", "10", "task", "sleep", NULL };
	static const char *const what[] = { "right", "an answer short", "a wrong answer",
					    "returned one process's operations",
					    "Python started with other arguments than the row's" };

	for (size_t n = 0; n < 2; n++)
		for (int k = 0; k < 5; k++) {
			struct pool_py_shared *s;
			struct bench_state st;
			uint64_t ops = n ? 2 * CHECKS_RUN : CHECKS_RUN;

			checks_setup(names[n], 2, over, &st);
			s = st.priv;
			s->answered = ops - (k == 1);
			s->returned = k == 3 ? CHECKS_RUN / (n ? 1 : 2) : s->answered;
			s->errors = k == 2;
			/* setup() asked Python for its arguments: none differed */
			cr_assert_eq(s->args_off, 0, "%s: %s", names[n], what[0]);
			s->args_off = k == 4;
			checks_expect(&st, 0, k == 0, what[k]);
			checks_teardown(&st);
		}
}

/*
 * lost_updates, a known answer: the share of the round's adds, all
 * tasks', that the element lacks.  Two tasks' run() calls of 10 adds
 * each, as one round: before the last to arrive (which tallies), 4 adds
 * are taken back from the element, so the round lost 4 of 20 (0.2, not
 * 4 of one task's 10); the next round loses 2 more of its 20 (0.1: the
 * round's own, not the run's so far).
 */
Test(pool, shm_lost_updates_is_a_share_of_all_adds, .timeout = 30)
{
	static const struct { int64_t taken; double want; } round[] = { { 4, 0.2 }, { 2, 0.1 } };
	struct bench_state st;
	struct shm_bench_shared *s;

	checks_setup("shm.array.unlocked", 2, NULL, &st);
	s = st.priv;
	for (size_t k = 0; k < sizeof(round) / sizeof(round[0]); k++) {
		struct bench_rec rec[2] = { 0 };
		struct bench_task t[2] = { { .st = &st, .id = 0, .rec = &rec[0] },
					   { .st = &st, .id = 1, .rec = &rec[1] } };
		int slot = -1;

		cr_assert_eq(st.desc->run(&t[0], 10), 10);
		shm_array_raw_set(s->arr, 0,
				  shm_array_raw_get(s->arr, 0) - round[k].taken * s->add);
		cr_assert_eq(st.desc->run(&t[1], 10), 10);
		for (int i = 0; i < BENCH_MAX_VALUES; i++) {
			cr_assert_not(rec[0].reported[i], "round %zu: the first to arrive reported",
				      k + 1);
			if (rec[1].reported[i]) {
				cr_assert_eq(slot, -1, "round %zu: two values reported", k + 1);
				slot = i;
			}
		}
		cr_assert_geq(slot, 0, "round %zu: the last to arrive reported nothing", k + 1);
		cr_assert_float_eq(rec[1].value[slot], round[k].want, 1e-12,
				   "round %zu: %" PRId64 " of 20 adds lost read as %g", k + 1,
				   round[k].taken, rec[1].value[slot]);
	}
	checks_teardown(&st);
}

/*
 * The tally orders itself: the last task to arrive reads and writes the
 * round bookkeeping (lost_before, lost_max) that the previous round's
 * last task wrote, and only the arrival count's acquire-release orders
 * those after it.  The harness's start gate orders rounds too, so a run
 * cannot show a missing order; here two threads take turns through the
 * workload's run() with nothing between them but relaxed flags (which
 * order nothing, for ThreadSanitizer as for the C model): thread 1 is
 * last in round 1, thread 0 in round 2.  Without the workload's own
 * ordering the TSan leg reports the race on the tally; every leg checks
 * the turns' counts.  shm.array.unlocked: its adds take no lock, which
 * would order the threads too.
 */
struct pool_turns {
	struct bench_state *st;
	int step;		/* relaxed: whose turn, ordering nothing */
	uint64_t ops[2];
};

static void pool_turn_wait(const struct pool_turns *p, int step)
{
	while (__atomic_load_n(&p->step, __ATOMIC_RELAXED) != step)
		sched_yield();
}

/* Thread id's turns: steps 0, 3 for thread 0; 1, 2 for thread 1. */
static void pool_turns_take(struct pool_turns *p, int id)
{
	static const int turn[2][2] = { { 0, 3 }, { 1, 2 } };
	struct bench_rec rec = { 0 };
	struct bench_task t = { .st = p->st, .id = id, .rec = &rec };

	for (int k = 0; k < 2; k++) {
		pool_turn_wait(p, turn[id][k]);
		p->ops[id] += p->st->desc->run(&t, 10);
		__atomic_store_n(&p->step, turn[id][k] + 1, __ATOMIC_RELAXED);
	}
}

static void *pool_turns_thread(void *arg)
{
	pool_turns_take(arg, 1);
	return NULL;
}

Test(pool, shm_tally_orders_itself_after_the_last_round, .timeout = 60)
{
	struct bench_state st;
	struct pool_turns p = { 0 };
	pthread_t th;

	checks_setup("shm.array.unlocked", 2, NULL, &st);
	p.st = &st;
	cr_assert_eq(pthread_create(&th, NULL, pool_turns_thread, &p), 0);
	pool_turns_take(&p, 0);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(p.ops[0], 20);
	cr_assert_eq(p.ops[1], 20);
	/* One thread's adds at a time: none lost. */
	cr_assert_eq(((struct shm_bench_shared *)st.priv)->lost_max, 0);
	cr_assert_null(st.desc->check(&st, 20, 0), "two rounds of 10 adds a task, in turns");
	checks_teardown(&st);
}

/*
 * A task of work is task_us of its thread's CPU time, and one processor
 * gives out at most a second of CPU time a second: four workers pinned
 * to it finish at most 1 / task_us tasks a second, whatever the pool.
 * Tasks of 20 ms outlast the scheduler's slices, so a task that ended by
 * the wall clock would end after a quarter of its work, and four would
 * read as 4 / task_us.  (The efficiency row cannot show it: the alone
 * tries end by the same clock.)  The workload's check() holds the same
 * bound on every run and fails the configuration first.
 */
Test(pool, work_is_cpu_time_on_one_processor, .timeout = 180)
{
	static const struct cli_how one_cpu = { .one_cpu = 1 };
	static struct cli_run r;
	struct csv_table t;
	int rows = 0;

	cli_run_benches(&r, &t, &one_cpu, (char *const[]){ "pool.thread", NULL },
			(const char *const[]){ "--param", "task=work", "--param", "task_us=20000",
					       "--threads", "4", "--reps", "3", "--min-time", "0.05",
					       "--counters", "none", NULL });
	cr_assert_null(strstr(r.err, "failed"), "stderr: %s", r.err);
	for (size_t i = 0; i < t.nrows; i++) {
		if (strcmp(pool_cell(&t, i, "metric"), "tasks_per_sec"))
			continue;
		rows++;
		cr_assert_leq(strtod(pool_cell(&t, i, "max"), NULL) * 0.02, 1.05,
			      "4 workers on one processor, 20 ms tasks: %s tasks/s",
			      pool_cell(&t, i, "max"));
	}
	cr_assert_eq(rows, 1);
	csv_table_free(&t);
}

/*
 * overhead_per_task is a round's time x P / iters - alone_ns: with P
 * tasks of work at most running at once, each task_us of CPU time, a
 * round lasts at least iters x task_us / P, so the overhead is never
 * below minus alone_ns's own excess over task_us (its last chunk and
 * clock reads, about a microsecond).  Two workers on this machine's
 * processors: a formula that forgot P would read about -task_us / 2.
 */
Test(pool, overhead_is_never_below_a_tasks_own_work, .timeout = 180)
{
	static struct cli_run r;
	struct csv_table t;
	int rows = 0;

	cli_run_benches(&r, &t, &(struct cli_how){ 0 },
			(char *const[]){ "pool.thread", "pool.process.async", NULL },
			(const char *const[]){ "--param", "task=work", "--param", "task_us=1000",
					       "--threads", "2", "--reps", "3", "--min-time", "0.05",
					       "--counters", "none", NULL });
	for (size_t i = 0; i < t.nrows; i++) {
		if (strcmp(pool_cell(&t, i, "metric"), "overhead_per_task"))
			continue;
		rows++;
		cr_assert_geq(strtod(pool_cell(&t, i, "min"), NULL), -20000.0,
			      "%s: 2 workers, 1 ms tasks: overhead %s ns", pool_cell(&t, i, "bench"),
			      pool_cell(&t, i, "min"));
	}
	cr_assert_eq(rows, 2);
	csv_table_free(&t);
}

/*
 * speedup = iters x alone_ns / span and overhead_per_task = span x P /
 * iters - alone_ns come from one round's span and the one alone_ns the
 * configuration measured in setup, so every round gives back the same
 * alone_ns = overhead x speedup / (P - speedup), with P = speedup /
 * efficiency: a known answer that ties three figures together, exact up
 * to the samples' nine digits.  An overhead that took off the nominal
 * task length instead (0 for a sleep) gives one alone_ns a round.
 */
Test(pool, each_round_gives_back_the_same_alone_time, .timeout = 180)
{
	static const char *const m[3] = { "speedup", "efficiency", "overhead_per_task" };
	static struct cli_run r;
	char dir[64], out[128], samples[128];
	struct csv_table st;
	int checked = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(samples, sizeof(samples), "%s/s.csv", dir);
	CLI(&r, "run", "pool.thread", "pool.token", "pool.process.async", "--threads", "2",
	    "--param", "task=sleep,work", "--param", "task_us=200", "--reps", "4", "--min-time",
	    "0.01", "--counters", "none", "--out", out, "--samples", samples);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(samples, &st);

	/* One round per speedup row: its three figures, and alone_ns. */
	struct { size_t row; double v[3], alone, amp; } *rd = calloc(st.nrows, sizeof(*rd));
	size_t n = 0;

	cr_assert_not_null(rd);
	for (size_t i = 0; i < st.nrows; i++) {
		if (strcmp(pool_cell(&st, i, "metric"), m[0]))
			continue;
		rd[n].row = i;
		for (int j = 0; j < 3; j++) {
			rd[n].v[j] = NAN;
			for (size_t k = 0; k < st.nrows; k++)
				if (!strcmp(pool_cell(&st, k, "metric"), m[j]) &&
				    !strcmp(pool_cell(&st, k, "bench"), pool_cell(&st, i, "bench")) &&
				    !strcmp(pool_cell(&st, k, "params"), pool_cell(&st, i, "params")) &&
				    !strcmp(pool_cell(&st, k, "rep"), pool_cell(&st, i, "rep")))
					rd[n].v[j] = strtod(pool_cell(&st, k, "value"), NULL);
		}
		double sp = rd[n].v[0], p = sp / rd[n].v[1];

		cr_assert(!isnan(p) && !isnan(rd[n].v[2]), "%s %s rep %s: no efficiency or overhead "
			  "beside its speedup", pool_cell(&st, i, "bench"), pool_cell(&st, i, "params"),
			  pool_cell(&st, i, "rep"));
		/* The samples' nine digits, carried through p - speedup: their
		 * error grows as p / |p - speedup| (a round with no overhead
		 * at all has nothing to divide by). */
		rd[n].alone = p == sp ? NAN : rd[n].v[2] * sp / (p - sp);
		rd[n].amp = p / fabs(p - sp);
		n++;
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < a; b++) {
			size_t i = rd[a].row, k = rd[b].row;

			if (isnan(rd[a].alone) || isnan(rd[b].alone) ||
			    strcmp(pool_cell(&st, i, "bench"), pool_cell(&st, k, "bench")) ||
			    strcmp(pool_cell(&st, i, "params"), pool_cell(&st, k, "params")))
				continue;
			double tol = 1e-5 + 2e-8 * (rd[a].amp + rd[b].amp);

			cr_assert(fabs(rd[a].alone - rd[b].alone) <= tol * fabs(rd[b].alone),
				  "%s %s: rep %s gives alone_ns %.6g, rep %s %.6g: overhead_per_task "
				  "and speedup are not one round's figures over one alone_ns",
				  pool_cell(&st, i, "bench"), pool_cell(&st, i, "params"),
				  pool_cell(&st, i, "rep"), rd[a].alone, pool_cell(&st, k, "rep"),
				  rd[b].alone);
			checked++;
		}
	/* 3 benchmarks x 2 kinds of task, 6 pairs of 4 repetitions each,
	 * less any pair with a round of no overhead at all. */
	cr_assert_geq(checked, 30, "%d pairs of rounds checked", checked);
	free(rd);
	csv_table_free(&st);
	cli_rmdir(dir);
}
