/*
 * tests/test_h_lock.c - the lock.* family end to end, through the
 * contend binary: every lock of the registry runs and gives a finite
 * figure for every metric, in threads and in processes; both policies of
 * contend's spinners run; a lock that cannot be process-shared (mcs, a
 * zoo lock whose init refuses shared memory) is reported skipped with its
 * reason, not failed and not a zero; every lock of the zoo is
 * benchmarked.  Tiny settings: these prove the family works,
 * bench/lock.c's check() proves the work was done.  Which locks are
 * which comes from the zoo's list, primitives/lock_list.h.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/clock.h"
#include "harness/hist.h"
#include "harness/team.h"
#include "harness/work.h"
#include "primitives/lock.h"
#include "tests/check.h"
#include "tests/h_util.h"

/* What the tests below need of each line of primitives/lock_list.h. */
struct lock_test_listed {
	const char *bench;	/* "lock.<name>" */
	unsigned fifo;		/* LOCK_FIFO or 0 */
	const char *wait;	/* "sleep", "adaptive", "spin" or "axis" */
	bool unshareable;	/* the shared column says private */
};

#define LOCK_TEST_UNSHAREABLE_shared	false
#define LOCK_TEST_UNSHAREABLE_private	true

static const struct lock_test_listed lock_test_list[] = {
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo_, wait_, shared_, \
		     summary)							\
	{ .bench = "lock." #v, .fifo = fifo_, .wait = #wait_,			\
	  .unshareable = LOCK_TEST_UNSHAREABLE_##shared_ },
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
};

#define LOCK_TEST_NLISTED (sizeof(lock_test_list) / sizeof(lock_test_list[0]))

/*
 * A FIFO lock that never yields (wait spin: Concurrency Kit's): with as
 * many tasks as processors it needs the processors to itself, or the
 * next in line is preempted and the others spin out their time slices (a
 * round can then take minutes).  Tests run beside other tests, so those
 * run at 1 task here; their mutual exclusion under contention is
 * tests/test_prim_lock.c's.
 */
static bool lock_test_fifo_spinner(const struct lock_test_listed *l)
{
	return l->fifo && strcmp(l->wait, "spin") == 0;
}

/* The FIFO spinners that run in processes: the unshareable ones skip there anyway. */
static bool lock_test_shareable_fifo_spinner(const struct lock_test_listed *l)
{
	return lock_test_fifo_spinner(l) && !l->unshareable;
}

/* No rows in processes: skipped, or not run (the FIFO spinners). */
static bool lock_test_no_process_rows(const struct lock_test_listed *l)
{
	return l->unshareable || lock_test_fifo_spinner(l);
}

/*
 * The benchmarks of the listed locks that `in` picks, as the set
 * lock_test_rows and lock_test_run look names up in:
 * " lock.a lock.b ", each name between spaces.
 */
static void lock_test_set(char *buf, size_t size, bool (*in)(const struct lock_test_listed *))
{
	size_t len = (size_t)snprintf(buf, size, " ");

	for (size_t i = 0; i < LOCK_TEST_NLISTED; i++) {
		if (!in(&lock_test_list[i]))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s ", lock_test_list[i].bench);
		cr_assert_lt(len, size, "the set of locks does not fit %zu bytes", size);
	}
}

/*
 * Every row of `csv` is finite, and every lock.* benchmark of the
 * registry has rows at each of the `nthreads` task counts, except those
 * named in `absent` (a space-separated list, or NULL).
 */
static void lock_test_rows(const char *csv, const char *const threads[], int nthreads,
			   const char *absent)
{
	struct csv_table t;
	int c_bench, c_thr, c_med, c_metric;

	cli_read_csv(csv, &t);
	c_bench = cli_col(&t, "bench");
	c_thr = cli_col(&t, "threads");
	c_med = cli_col(&t, "median");
	c_metric = cli_col(&t, "metric");
	cr_assert_gt(t.nrows, 0);
	for (size_t i = 0; i < t.nrows; i++) {
		double v = strtod(t.rows[i][c_med], NULL);

		cr_assert(isfinite(v), "%s %s threads=%s: median %s", t.rows[i][c_bench],
			  t.rows[i][c_metric], t.rows[i][c_thr], t.rows[i][c_med]);
	}
	for (int b = 0; bench_registry[b]; b++) {
		const char *name = bench_registry[b]->name;
		char word[64];

		if (strncmp(name, "lock.", 5) != 0)
			continue;
		snprintf(word, sizeof(word), " %s ", name);
		for (int k = 0; k < nthreads; k++) {
			int seen = 0;

			for (size_t i = 0; i < t.nrows && !seen; i++)
				seen = strcmp(t.rows[i][c_bench], name) == 0 &&
				       strcmp(t.rows[i][c_thr], threads[k]) == 0;
			if (absent && strstr(absent, word))
				cr_assert(!seen, "%s should have no rows here", name);
			else
				cr_assert(seen, "%s has no rows at %s tasks", name, threads[k]);
		}
	}
	csv_table_free(&t);
}

/* `contend run` of every lock.* benchmark but those in `except`, with
 * the options that follow.  Two tasks on a machine the other tests load:
 * a FIFO hand-off to a waiter off its processor can make a round
 * collapse (lock.clh, lock.ticket, 2026-12-06), which the harness skips,
 * saying so; such a run is made once more.  A lock that cannot run at
 * all collapses, or fails, both times. */
static void lock_test_run(struct cli_run *r, const char *except, const char *const opts[])
{
	char *argv[64];
	int n = 0;

	argv[n++] = (char *)cli_bin();
	argv[n++] = "run";
	for (int b = 0; bench_registry[b] && n < 40; b++) {
		const char *name = bench_registry[b]->name;
		char word[64];

		snprintf(word, sizeof(word), " %s ", name);
		if (strncmp(name, "lock.", 5) == 0 && !(except && strstr(except, word)))
			argv[n++] = (char *)name;
	}
	for (int i = 0; opts[i] && n < 63; i++)
		argv[n++] = (char *)opts[i];
	argv[n] = NULL;
	cli_exec_settled(r, NULL, argv);
}

Test(lock, every_lock_runs_in_threads, .timeout = 120)
{
	static struct cli_run r;
	static const char *const one[] = { "1" }, *const two[] = { "2" };
	char dir[64], out[128], fifo_spin[512];

	lock_test_set(fifo_spin, sizeof(fifo_spin), lock_test_fifo_spinner);
	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	/* Placement none: runs wherever the machine has room for 2 tasks. */
	CLI(&r, "run", "lock.*", "--quick", "--reps", "2", "--min-time", "0.002", "--threads",
	    "1", "--mode", "thread", "--placement", "none", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_null(strstr(r.err, "skipped:"), "stderr: %s", r.err);
	lock_test_rows(out, one, 1, NULL);
	lock_test_run(&r, fifo_spin,
		      (const char *const[]){ "--quick", "--reps", "2", "--min-time", "0.002",
					     "--threads", "2", "--mode", "thread", "--placement",
					     "none", "--counters", "none", "--out", out, NULL });
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_null(strstr(r.err, "skipped:"), "stderr: %s", r.err);
	lock_test_rows(out, two, 1, fifo_spin);
	cli_rmdir(dir);
}

/* policy=spin is the second build (bench/lock_spin.c): it runs, and says so. */
Test(lock, spinners_run_as_pure_spinners, .timeout = 120)
{
	static struct cli_run r;
	struct csv_table t;
	int c_params, c_bench, seen = 0;

	/* 1 task: a FIFO spinner that never yields needs the processors to
	 * itself to run contended (see lock_test_fifo_spinner).  Through
	 * cli_run_benches: check() times the 100 ns of work, which a slow
	 * second of this machine can double. */
	cli_run_benches(&r, &t, NULL, (char *const[]){ "lock.tas", "lock.ticket", "lock.mcs", NULL },
			(const char *const[]){ "--param", "policy=yield,spin", "--param", "cs_ns=100",
					       "--reps", "2", "--min-time", "0.002", "--threads",
					       "1", "--mode", "thread", "--placement", "none",
					       "--counters", "none", NULL });
	c_params = cli_col(&t, "params");
	c_bench = cli_col(&t, "bench");
	for (size_t i = 0; i < t.nrows; i++)
		seen += strcmp(t.rows[i][c_bench], "lock.mcs") == 0 &&
			strstr(t.rows[i][c_params], "policy=spin") != NULL;
	cr_assert_gt(seen, 0, "no policy=spin row of lock.mcs");
	csv_table_free(&t);
}

/* A fixed policy is a choice of one: another is refused before anything runs. */
Test(lock, fixed_policy_refuses_another, .timeout = 30)
{
	static struct cli_run r;

	CLI(&r, "run", "lock.mutex", "--param", "policy=spin", "--threads", "1");
	cli_expect_bad(&r, "policy");
}

/*
 * In processes the lock lives in shared memory: the queue locks that
 * link their nodes by address refuse (init -ENOTSUP) and are reported
 * skipped with the reason; every other lock runs.
 */
Test(lock, unshareable_locks_skip_in_processes, .timeout = 120)
{
	static struct cli_run r;
	static const char *const threads[] = { "2" };
	char dir[64], out[128], line[128], fifo_spin[512], absent[512];

	lock_test_set(fifo_spin, sizeof(fifo_spin), lock_test_shareable_fifo_spinner);
	lock_test_set(absent, sizeof(absent), lock_test_no_process_rows);
	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	lock_test_run(&r, fifo_spin,
		      (const char *const[]){ "--quick", "--reps", "2", "--min-time", "0.002",
					     "--threads", "2", "--mode", "process", "--placement",
					     "none", "--counters", "none", "--out", out, NULL });
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	for (size_t i = 0; i < LOCK_TEST_NLISTED; i++) {
		const char *name = lock_test_list[i].bench, *at;

		if (!lock_test_list[i].unshareable)
			continue;
		snprintf(line, sizeof(line), "] %s process ", name);
		at = strstr(r.err, line);
		cr_assert_not_null(at, "%s not reported; stderr: %s", name, r.err);
		at = strstr(at, " ... ");
		cr_assert_not_null(at);
		cr_assert_eq(strncmp(at, " ... skipped: not process-shareable", 35), 0,
			     "%s: %.120s", name, at);
	}
	lock_test_rows(out, threads, 1, absent);
	cli_rmdir(dir);
}

/*
 * The latency timing of the driver (bench/lock.h), on a clock and a lock
 * of known cost: the test's clock moves LOCK_TEST_READ_NS per reading,
 * its lock's acquire LOCK_TEST_ACQUIRE_NS, so a timed acquire is exactly
 * LOCK_TEST_ACQUIRE_NS once the clock pair (two readings back to back,
 * LOCK_TEST_READ_NS apart) is taken off; and the lock says what happened
 * while it was held.  Its work moves the clock too, LOCK_TEST_LOOP_NS a
 * loop, so that an acquire timed across the critical section's work (or
 * the section outside) reads more.  The driver is the real one, built
 * here over these stand-ins for the harness's clock, histogram and work.
 */
enum { LOCK_TEST_READ_NS = 7, LOCK_TEST_ACQUIRE_NS = 1000, LOCK_TEST_ITERS = 40,
       LOCK_TEST_LOOP_NS = 100000 };

struct lock_test_fake {
	int held;
};

static struct {
	uint64_t clock;		/* ns */
	int held;		/* the fake lock is held */
	int reads, reads_held, records, records_held;
	uint64_t work_held, work_free;	/* loops of work inside and outside the lock */
	uint64_t recorded[LOCK_TEST_ITERS];
} lock_test;

static uint64_t lock_test_now_ns(void)
{
	lock_test.reads++;
	lock_test.reads_held += lock_test.held;
	lock_test.clock += LOCK_TEST_READ_NS;
	return lock_test.clock;
}

static void lock_test_record_ns(struct bench_task *t, int slot, uint64_t ns)
{
	(void)t;
	cr_assert_eq(slot, 0);
	lock_test.records_held += lock_test.held;
	if (lock_test.records < LOCK_TEST_ITERS)
		lock_test.recorded[lock_test.records] = ns;
	lock_test.records++;
}

static void lock_test_work(uint64_t loops)
{
	*(lock_test.held ? &lock_test.work_held : &lock_test.work_free) += loops;
	lock_test.clock += loops * LOCK_TEST_LOOP_NS;
}

static int lock_test_recording(const struct bench_task *t)
{
	(void)t;
	return 1;
}

static inline void lock_test_fake_acquire(struct lock_test_fake *l, void *node)
{
	(void)node;
	cr_assert(!l->held, "the fake lock was taken twice");
	l->held = lock_test.held = 1;
	lock_test.clock += LOCK_TEST_ACQUIRE_NS;
}

static inline void lock_test_fake_release(struct lock_test_fake *l, void *node)
{
	(void)node;
	l->held = lock_test.held = 0;
}

#include "bench/lock.h"

#define bench_now_ns lock_test_now_ns
#define bench_record_ns lock_test_record_ns
#define bench_recording lock_test_recording
#define bench_work lock_test_work
static LOCK_BENCH_RUN(lock_test_fake_run, lock_test_fake, struct lock_test_fake)
#undef bench_now_ns
#undef bench_record_ns
#undef bench_recording
#undef bench_work

Test(lock, acquire_latency_is_net_of_the_clock_and_recorded_after_release, .timeout = 30)
{
	struct lock_test_fake fake = { 0 };
	struct lock_bench *s = aligned_alloc(CPU_CACHELINE, sizeof(*s) + sizeof(s->task[0]));
	struct bench_state st = { .ntasks = 1 };
	struct bench_task t = { .st = &st, .id = 0 };
	uint64_t a, b;

	cr_assert_not_null(s);
	memset(s, 0, sizeof(*s) + sizeof(s->task[0]));
	s->lock = &fake;
	s->sample = 1;
	s->levels = 1;
	s->cs_loops = 3;	/* 300 us of the fake clock inside, 100 outside */
	s->ncs_loops = 1;
	/* The pair as the harness measures it: two readings back to back. */
	a = lock_test_now_ns();
	b = lock_test_now_ns();
	s->clock_pair_ns = b - a;
	st.priv = s;
	memset(&lock_test, 0, sizeof(lock_test));
	cr_assert_eq(lock_test_fake_run(&t, LOCK_TEST_ITERS), LOCK_TEST_ITERS);
	cr_assert_eq(s->protected_count, LOCK_TEST_ITERS);
	cr_assert_eq(lock_test.records, LOCK_TEST_ITERS, "sample=1 times every acquire");
	for (int i = 0; i < LOCK_TEST_ITERS; i++)
		cr_assert_eq(lock_test.recorded[i], LOCK_TEST_ACQUIRE_NS,
			     "acquire %d recorded %llu ns, the acquire took %d (the clock pair %llu)",
			     i, (unsigned long long)lock_test.recorded[i], LOCK_TEST_ACQUIRE_NS,
			     (unsigned long long)s->clock_pair_ns);
	cr_assert_eq(lock_test.records_held, 0, "%d histogram records inside the lock",
		     lock_test.records_held);
	cr_assert_eq(lock_test.work_held, 3 * LOCK_TEST_ITERS, "loops of cs work");
	cr_assert_eq(lock_test.work_free, 1 * LOCK_TEST_ITERS, "loops of ncs work");
	/* The one reading that must be there: the instant acquire returned. */
	cr_assert_eq(lock_test.reads_held, LOCK_TEST_ITERS, "%d clock readings inside the lock "
		     "for %d timed acquires", lock_test.reads_held, LOCK_TEST_ITERS);
	free(s);
}

/* What the driver takes off is what the harness measured: setup copies
 * bench_clock_pair_ns() (clk_init's median pair, env.csv's clock_pair_ns). */
Test(lock, setup_takes_the_measured_clock_pair, .timeout = 30)
{
	static const char *const values[] = { "0", "0", "1", "yield" };
	const struct bench_desc *d = NULL;
	struct bench_state st = { .mode = BENCH_MODE_THREAD, .ntasks = 1, .ncpus = 1,
				  .param_values = values };
	struct lock_bench *s;

	for (int i = 0; bench_registry[i]; i++)
		if (strcmp(bench_registry[i]->name, "lock.tas") == 0)
			d = bench_registry[i];
	cr_assert_not_null(d);
	for (int i = 0; i < 4; i++)
		cr_assert_not_null(d->params[i].name, "lock.tas has %d parameters, not 4", i);
	cr_assert_null(d->params[4].name, "lock.tas has more than 4 parameters");
	cr_assert_str_eq(d->params[2].name, "sample");
	st.desc = d;
	clk_init();
	cr_assert_eq(bench_clock_pair_ns(), clk_get_info()->pair_ns);
	cr_assert_eq(d->setup(&st), 0);
	s = st.priv;
	cr_assert_eq(s->clock_pair_ns, bench_clock_pair_ns());
	d->teardown(&st);
	bench_shared_free_all(&st);
}

/* The registered benchmark called `name`, NULL if none; fails on two. */
static const struct bench_desc *lock_test_registered(const char *name)
{
	const struct bench_desc *d = NULL;

	for (int i = 0; bench_registry[i]; i++)
		if (strcmp(bench_registry[i]->name, name) == 0) {
			cr_assert_null(d, "%s is registered twice", name);
			d = bench_registry[i];
		}
	return d;
}

/*
 * Every lock of the zoo is benchmarked: bench_registry holds lock.<name>
 * for each lock_zoo entry, and its setup drives that very lock (the ops
 * it keeps are the zoo's); and every lock.* benchmark is a lock of the
 * zoo or one of Python's two.  bench/list.h takes the lock lines from
 * primitives/lock_list.h, so a lock that is not benchmarked is a list.h
 * or bench/lock.c that stopped doing so.
 */
Test(lock, every_zoo_lock_is_benchmarked, .timeout = 30)
{
	int nlock = 0, nzoo = 0;

	clk_init();
	for (const struct lock_ops *const *z = lock_zoo; *z; z++, nzoo++) {
		char name[64], values[8][32];
		const char *value[8];
		const struct bench_desc *d;
		struct bench_state st = { .mode = BENCH_MODE_THREAD, .ntasks = 1, .ncpus = 1,
					  .param_values = value };
		const struct lock_bench *s;
		int n;

		snprintf(name, sizeof(name), "lock.%s", (*z)->name);
		d = lock_test_registered(name);
		cr_assert_not_null(d, "%s of the zoo is not benchmarked: no %s in bench_registry",
				   (*z)->name, name);
		/* Each parameter at its default's first value. */
		for (n = 0; d->params[n].name; n++) {
			cr_assert_lt(n, 8, "%s: more parameters than the test has room for", name);
			snprintf(values[n], sizeof(values[n]), "%.*s",
				 (int)strcspn(d->params[n].def, ","), d->params[n].def);
			value[n] = values[n];
		}
		st.desc = d;
		cr_assert_eq(d->setup(&st), 0, "%s: setup failed", name);
		s = st.priv;
		cr_assert_eq(s->ops, *z, "%s drives lock %s, not %s", name, s->ops->name,
			     (*z)->name);
		d->teardown(&st);
		bench_shared_free_all(&st);
	}
	for (int i = 0; bench_registry[i]; i++) {
		const char *name = bench_registry[i]->name;

		if (strncmp(name, "lock.", 5) != 0)
			continue;
		nlock++;
		cr_assert(lock_find(name + 5) || strcmp(name, "lock.py_lock") == 0 ||
			  strcmp(name, "lock.py_rlock") == 0,
			  "%s is neither a lock of the zoo nor Python's", name);
	}
	cr_assert_eq(nlock, nzoo + 2, "%d lock.* benchmarks for %d locks of the zoo and "
		     "Python's two", nlock, nzoo);
}

/* ---- every parameter reaches the workload -------------------------------- */

/*
 * The setup of benchmark `d` in one task, as threads, each parameter at
 * its default's first value but those `set` names (pairs of name and
 * value, NULL-terminated): the state in *st (priv is the struct
 * lock_bench).  vals must outlive it.
 */
static void lock_probe_setup_n(const struct bench_desc *d, struct bench_state *st,
			       char vals[][32], const char **val, const char *const set[],
			       int ntasks)
{
	int n;

	memset(st, 0, sizeof(*st));
	for (n = 0; d->params[n].name; n++) {
		cr_assert_lt(n, 8, "%s: more parameters than the probe has room for", d->name);
		snprintf(vals[n], 32, "%.*s", (int)strcspn(d->params[n].def, ","),
			 d->params[n].def);
		for (int k = 0; set[k]; k += 2)
			if (strcmp(d->params[n].name, set[k]) == 0)
				snprintf(vals[n], 32, "%s", set[k + 1]);
		val[n] = vals[n];
	}
	st->desc = d;
	st->mode = BENCH_MODE_THREAD;
	st->ntasks = ntasks;
	st->ncpus = 1;
	st->param_values = val;
	clk_init();
	cr_assert_eq(d->setup(st), 0, "%s %s=%s: setup failed", d->name, set[0], set[1]);
}

static void lock_probe_setup(const struct bench_desc *d, struct bench_state *st,
			     char vals[][32], const char **val, const char *const set[])
{
	lock_probe_setup_n(d, st, vals, val, set, 1);
}

/* One latency round of `iters` in the one task of *st: how many acquires
 * it timed, and what run() returned in *ops. */
static uint64_t lock_probe_round(struct bench_state *st, uint64_t iters, uint64_t *ops)
{
	static struct hist h;
	struct bench_rec rec = { .recording = 1, .nhist = 1, .hist = &h };
	struct bench_task t = { .st = st, .id = 0, .rec = &rec };

	hist_clear(&h);
	*ops = st->desc->run(&t, iters);
	return h.count;
}

/* ThreadSanitizer's runtime takes futexes of its own inside the tasks
 * (a few per thousand acquisitions, seen under make test-san): there
 * the policy probe counts sched_yield only, and the plain build checks
 * that spin and yield make no futex call. */
#if defined(__SANITIZE_THREAD__)
#define LOCK_PROBE_OWN_FUTEXES 1
#else
#define LOCK_PROBE_OWN_FUTEXES 0
#endif

/* The benchmark of the registry named `name`. */
static const struct bench_desc *lock_probe_desc(const char *name)
{
	const struct bench_desc *d = lock_test_registered(name);

	cr_assert_not_null(d, "%s is not registered", name);
	return d;
}

/*
 * cs_ns and ncs_ns: every lock runs with the work in one section and
 * none in the other; check() times both sections' work against their
 * parameters (bench/lock.c), so the run fails if either parameter did
 * not reach its section (the ncs from cs_ns, blind-17, the round's ncs
 * work then 2 us where ncs_ns says 0), and an operation holds at least
 * a third of the work (the check's own slack), where without it it is tens of
 * nanoseconds.
 */
static void lock_probe_sections(char *const bench[], const char *cs, const char *ncs)
{
	static struct cli_run r;
	char pcs[32], pncs[32];
	struct csv_table t;
	int c_bench, c_metric, c_med;
	double least = (atof(cs) + atof(ncs)) / 3;

	snprintf(pcs, sizeof(pcs), "cs_ns=%s", cs);
	snprintf(pncs, sizeof(pncs), "ncs_ns=%s", ncs);
	cli_run_benches(&r, &t, NULL, bench,
			(const char *const[]){ "--param", pcs, "--param", pncs, "--threads", "1",
					       "--mode", "thread", "--placement", "none", "--reps",
					       "2", "--min-time", "0.002", "--counters", "none",
					       NULL });
	cr_assert_null(strstr(r.err, "skipped:"), "stderr: %s", r.err);
	c_bench = cli_col(&t, "bench");
	c_metric = cli_col(&t, "metric");
	c_med = cli_col(&t, "median");
	for (int b = 0; bench[b]; b++) {
		int seen = 0;

		for (size_t i = 0; i < t.nrows; i++) {
			if (strcmp(t.rows[i][c_bench], bench[b]) ||
			    (strcmp(t.rows[i][c_metric], "acquire_release") &&
			     strcmp(t.rows[i][c_metric], "per_level")))
				continue;
			seen++;
			cr_assert_geq(strtod(t.rows[i][c_med], NULL), least,
				      "%s %s %s: %s ns an operation, with %g ns of work in each",
				      bench[b], pcs, pncs, t.rows[i][c_med], 2 * least);
		}
		cr_assert_gt(seen, 0, "%s: no time per operation", bench[b]);
	}
	csv_table_free(&t);
}

static void lock_probe_cs_ns(char *const bench[], int n)
{
	(void)n;
	lock_probe_sections(bench, "2000", "0");
}

static void lock_probe_ncs_ns(char *const bench[], int n)
{
	(void)n;
	lock_probe_sections(bench, "0", "2000");
}

/* sample: a latency round of 100 acquires in one task times exactly
 * ceil(100 / sample) of them, the first and every sample-th after. */
static void lock_probe_sample(char *const bench[], int n)
{
	static const struct { const char *k; uint64_t timed; } v[] = {
		{ "1", 100 }, { "7", 15 }, { "100", 1 },
	};

	for (int b = 0; b < n; b++) {
		const struct bench_desc *d = lock_probe_desc(bench[b]);

		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			char vals[8][32];
			const char *val[8];
			struct bench_state st;
			uint64_t ops, timed;

			lock_probe_setup(d, &st, vals, val,
					 (const char *const[]){ "sample", v[k].k, NULL });
			timed = lock_probe_round(&st, 100, &ops);
			cr_assert_eq(timed, v[k].timed, "%s sample=%s: %llu of 100 acquires timed, "
				     "not %llu", bench[b], v[k].k, (unsigned long long)timed,
				     (unsigned long long)v[k].timed);
			d->teardown(&st);
			bench_shared_free_all(&st);
		}
	}
}

/*
 * depth: an iteration of py_rlock is `depth` levels, each an operation
 * (run() returns them), and check() holds the levels the RLock was
 * really taken to (bench/lock.c) to depth per acquisition.
 */
static void lock_probe_depth(char *const bench[], int n)
{
	static const char *const depth[] = { "1", "5", "64" };

	for (int b = 0; b < n; b++) {
		const struct bench_desc *d = lock_probe_desc(bench[b]);

		for (size_t k = 0; k < sizeof(depth) / sizeof(depth[0]); k++) {
			char vals[8][32];
			const char *val[8], *why;
			struct bench_state st;
			uint64_t ops;

			lock_probe_setup(d, &st, vals, val,
					 (const char *const[]){ "depth", depth[k], NULL });
			lock_probe_round(&st, 100, &ops);
			cr_assert_eq(ops, 100 * strtoull(depth[k], NULL, 10),
				     "%s depth=%s: 100 iterations made %llu operations", bench[b],
				     depth[k], (unsigned long long)ops);
			why = d->check(&st, 100, 0);
			cr_assert_null(why, "%s depth=%s: %s", bench[b], depth[k], why);
			d->teardown(&st);
			bench_shared_free_all(&st);
		}
	}
}

/* The never-yielding build of each spinner (bench/lock_spin.c), by name:
 * NULL for a lock with one fixed policy. */
#define LOCK_PROBE_SPIN_axis(v)		lock_bench_##v##_spin_run
#define LOCK_PROBE_SPIN_sleep(v)	NULL
#define LOCK_PROBE_SPIN_adaptive(v)	NULL
#define LOCK_PROBE_SPIN_spin(v)		NULL

static const struct {
	const char *bench;
	uint64_t (*spin_run)(struct bench_task *, uint64_t);
} lock_probe_spin_builds[] = {
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, summary) \
	{ "lock." #v, LOCK_PROBE_SPIN_##wait(v) },
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
};

/*
 * policy, the choice: a spinner's setup drives its never-yielding build
 * with policy=spin and the yielding one with policy=yield, exactly.
 */
static void lock_probe_policy_build(const char *bench)
{
	const struct bench_desc *d = lock_probe_desc(bench);
	uint64_t (*spin_run)(struct bench_task *, uint64_t) = NULL;
	static const char *const policy[] = { "yield", "spin" };

	for (size_t i = 0; i < sizeof(lock_probe_spin_builds) / sizeof(lock_probe_spin_builds[0]);
	     i++)
		if (strcmp(lock_probe_spin_builds[i].bench, bench) == 0)
			spin_run = lock_probe_spin_builds[i].spin_run;
	cr_assert_not_null(spin_run, "%s offers policy=spin but has no spin build", bench);
	for (int k = 0; k < 2; k++) {
		char vals[8][32];
		const char *val[8];
		struct bench_state st;
		const struct lock_bench *s;

		lock_probe_setup(d, &st, vals, val,
				 (const char *const[]){ "policy", policy[k], NULL });
		s = st.priv;
		cr_assert_eq(s->run == spin_run, k == 1, "%s policy=%s drives the %s build", bench,
			     policy[k], s->run == spin_run ? "never-yielding" : "yielding");
		d->teardown(&st);
		bench_shared_free_all(&st);
	}
}

/*
 * policy, in the kernel: two tasks on one processor, each holding the
 * lock 20 us at a time, so a waiter that runs finds the lock held, and
 * counts of what each way of waiting can never do: yield never calls
 * futex, spin neither futex nor sched_yield (and a FIFO spinner is
 * skipped on one processor, where it would livelock: the never-yielding
 * path, seen), sleep and adaptive never sched_yield.  Only zeros are
 * asserted: whether a waiter ran while the lock was held, and so how
 * many it made of what it may make, is the scheduler's (measured here:
 * 0.01 to 0.9 sched_yield a yield acquisition, 0.008 to 0.02 futex a
 * sleep one, and 0 of either in some loaded runs).
 */
static void lock_probe_policy(char *const bench[], int n)
{
	static const struct cli_how one_cpu = { .one_cpu = 1 };
	static struct cli_run r;
	struct csv_table t;
	int c_bench, c_metric, c_params, c_yield, c_futex;

	cli_run_benches(&r, &t, &one_cpu, bench,
			(const char *const[]){ "--param", "cs_ns=20000", "--threads", "2",
					       "--mode", "thread", "--placement", "none", "--reps",
					       "2", "--min-time", "0.02", "--counters",
					       "syscalls:sys_enter_sched_yield,"
					       "syscalls:sys_enter_futex", NULL });
	c_bench = cli_col(&t, "bench");
	c_metric = cli_col(&t, "metric");
	c_params = cli_col(&t, "params");
	c_yield = cli_col(&t, "syscalls_sys_enter_sched_yield_per_op");
	c_futex = cli_col(&t, "syscalls_sys_enter_futex_per_op");
	for (int b = 0; b < n; b++) {
		const struct bench_desc *d = lock_probe_desc(bench[b]);
		const struct bench_param *p = d->params;
		const char *c;

		while (strcmp(p->name, "policy"))
			p++;
		if (strchr(p->choices, '|'))
			lock_probe_policy_build(bench[b]);
		for (c = p->choices; c && *c; c += strcspn(c, "|"), c += *c == '|') {
			char value[32], skip[160];
			int seen = 0;

			snprintf(value, sizeof(value), "policy=%.*s", (int)strcspn(c, "|"), c);
			for (size_t i = 0; i < t.nrows; i++) {
				const char *const *row = (const char *const *)t.rows[i];
				double yields, futexes;

				if (strcmp(row[c_bench], bench[b]) || strcmp(row[c_metric], "throughput") ||
				    !strstr(row[c_params], value))
					continue;
				seen++;
				if (!row[c_yield][0] || !row[c_futex][0]) {
					cr_log_warn("lock: system calls cannot be counted here: "
						    "policy not probed in the kernel");
					continue;
				}
				yields = strtod(row[c_yield], NULL);
				futexes = LOCK_PROBE_OWN_FUTEXES ? 0 : strtod(row[c_futex], NULL);
				if (strcmp(value, "policy=yield") == 0)
					cr_assert(futexes == 0, "%s %s: %g futex calls per acquisition",
						  bench[b], value, futexes);
				else if (strcmp(value, "policy=spin") == 0)
					cr_assert(yields == 0 && futexes == 0, "%s %s: %g sched_yield "
						  "and %g futex calls per acquisition", bench[b], value,
						  yields, futexes);
				else
					cr_assert(yields == 0, "%s %s: %g sched_yield calls per "
						  "acquisition", bench[b], value, yields);
			}
			snprintf(skip, sizeof(skip), "] %s thread none tasks=2 ", bench[b]);
			if (!seen && strcmp(value, "policy=spin") == 0) {
				const char *at = strstr(r.err, skip), *said;

				while (at && (!(said = strstr(at, " ... ")) ||
					      strncmp(said, " ... skipped: a FIFO spinner", 28)))
					at = strstr(at + 1, skip);
				cr_assert_not_null(at, "%s %s: neither rows nor skipped as a FIFO "
						   "spinner; stderr: %s", bench[b], value, r.err);
				continue;
			}
			cr_assert_eq(seen, 1, "%s %s: %d throughput rows", bench[b], value, seen);
		}
	}
	csv_table_free(&t);
}

static const struct cli_param_probe lock_probes[] = {
	{ .bench = "lock.*", .param = "cs_ns", .probe = lock_probe_cs_ns },
	{ .bench = "lock.*", .param = "ncs_ns", .probe = lock_probe_ncs_ns },
	{ .bench = "lock.*", .param = "sample", .probe = lock_probe_sample },
	{ .bench = "lock.*", .param = "policy", .probe = lock_probe_policy },
	{ .bench = "lock.py_rlock", .param = "depth", .probe = lock_probe_depth },
};

/*
 * Every parameter of every lock.* benchmark changes what the workload
 * does, by a count or by its check() (tests/h_util.h walks the registry,
 * so a new parameter without a probe fails here).
 */
Test(lock, every_parameter_reaches_its_workload, .timeout = 240)
{
	int pairs = cli_param_probes_run("lock.*", lock_probes,
					 sizeof(lock_probes) / sizeof(lock_probes[0]));

	cr_assert_gt(pairs, 0);
}

/*
 * check() knows which section's work is which: lock.tas set up with
 * 2 us of work in one section and none in the other passes its check;
 * with its loop counts crossed, or with one section running the other's
 * loop count too (the ncs from cs_ns, blind-17), as when a parameter
 * does not reach its section, it fails, naming a parameter.
 */
enum lock_probe_wrong { LOCK_PROBE_RIGHT, LOCK_PROBE_CROSSED, LOCK_PROBE_NCS_AS_CS,
			LOCK_PROBE_CS_AS_NCS };

static const char *lock_probe_sections_check(const char *cs, const char *ncs,
					     enum lock_probe_wrong wrong)
{
	const struct bench_desc *d = lock_probe_desc("lock.tas");
	static char why[300];
	char vals[8][32];
	const char *val[8], *w;
	struct bench_state st;
	struct lock_bench *s;
	uint64_t ops, cs_loops;

	lock_probe_setup(d, &st, vals, val,
			 (const char *const[]){ "cs_ns", cs, "ncs_ns", ncs, NULL });
	s = st.priv;
	cs_loops = s->cs_loops;
	if (wrong == LOCK_PROBE_CROSSED || wrong == LOCK_PROBE_CS_AS_NCS)
		s->cs_loops = s->ncs_loops;
	if (wrong == LOCK_PROBE_CROSSED || wrong == LOCK_PROBE_NCS_AS_CS)
		s->ncs_loops = cs_loops;
	lock_probe_round(&st, 50, &ops);
	w = d->check(&st, 50, 0);
	snprintf(why, sizeof(why), "%s", w ? w : "");
	d->teardown(&st);
	bench_shared_free_all(&st);
	return why[0] ? why : NULL;
}

Test(lock, check_knows_each_sections_work, .timeout = 60)
{
	static const struct {
		const char *cs, *ncs;
		enum lock_probe_wrong wrong;
		const char *named;	/* in the reason, or NULL: passes */
	} c[] = {
		{ "2000", "0", LOCK_PROBE_RIGHT, NULL },
		{ "0", "2000", LOCK_PROBE_RIGHT, NULL },
		{ "2000", "0", LOCK_PROBE_CROSSED, "cs_ns" },
		{ "0", "2000", LOCK_PROBE_CROSSED, "cs_ns" },
		{ "2000", "0", LOCK_PROBE_NCS_AS_CS, "ncs_ns=0" },
		{ "0", "2000", LOCK_PROBE_CS_AS_NCS, "cs_ns=0" },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		const char *why = lock_probe_sections_check(c[k].cs, c[k].ncs, c[k].wrong);

		/* Work in its right section, measured again after a new
		 * calibration when a slow second of this machine stretched it
		 * past three times its parameter: up to three tries.  The wrong
		 * cases are off by the whole section and fail every time. */
		for (int again = 0; !c[k].named && why && again < 2; again++) {
			work_set_rate(0);
			why = lock_probe_sections_check(c[k].cs, c[k].ncs, c[k].wrong);
		}
		if (!c[k].named) {
			cr_assert_null(why, "cs_ns=%s ncs_ns=%s refused: %s", c[k].cs, c[k].ncs, why);
			continue;
		}
		cr_assert_not_null(why, "cs_ns=%s ncs_ns=%s, case %zu: work in the wrong section "
				   "passed", c[k].cs, c[k].ncs, k);
		cr_assert(strstr(why, c[k].named), "case %zu: %s", k, why);
	}
}

/*
 * The work check's bounds, as the README states them: a section's work,
 * net of the task's shortest clock pair, within a third and three times
 * its parameter; a section under 50 ns only at most three times 50 ns;
 * the upper bound on the shortest over the tasks (one task kept off its
 * processor through every timing is not the work's length).  The loop's
 * speed moves by 2x on a machine like ours from one few seconds to the
 * next, so 2.5x either way is a correct run and passes; 3.5x is a wrong
 * calibration or parameter and fails.  A clock pair of 5 us (a slow
 * clock) is taken off before the bounds; cs_ns=0 times a few ns of
 * nothing and passes.  Two tasks, one round of 50 iterations by the
 * first, then their shortest timings set to each case.
 */
Test(lock, work_check_allows_a_third_to_three_times, .timeout = 60)
{
	static const struct {
		const char *cs_ns;
		uint64_t net_ns[2], tare_ns;
		int passes;
	} c[] = {
		{ "2000", { 2000, 2000 }, 20, 1 }, { "2000", { 5000, 5000 }, 20, 1 },
		{ "2000", { 800, 800 }, 20, 1 }, { "2000", { 7000, 7000 }, 20, 0 },
		{ "2000", { 571, 2000 }, 20, 0 }, { "2000", { 2000, 571 }, 20, 0 },
		{ "2000", { 2000, 2000 }, 5000, 1 }, { "2000", { 7000, 7000 }, 5000, 0 },
		{ "2000", { 2000, 7000 }, 20, 1 }, { "2000", { 7000, 2000 }, 20, 1 },
		{ "0", { 100, 100 }, 20, 1 }, { "0", { 0, 0 }, 20, 1 }, { "0", { 200, 200 }, 20, 0 },
	};
	const struct bench_desc *d = lock_probe_desc("lock.tas");

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		char vals[8][32];
		const char *val[8], *why;
		struct bench_state st;
		struct lock_bench *s;
		uint64_t ops;

		lock_probe_setup_n(d, &st, vals, val,
				   (const char *const[]){ "cs_ns", c[k].cs_ns, "ncs_ns", "0", NULL },
				   2);
		s = st.priv;
		lock_probe_round(&st, 50, &ops);
		for (int i = 0; i < 2; i++) {
			s->task[i].tare_min_ns = c[k].tare_ns;
			s->task[i].cs_min_ns = c[k].net_ns[i] + c[k].tare_ns;
			s->task[i].ncs_min_ns = c[k].tare_ns;	/* ncs_ns=0: nothing */
		}
		why = d->check(&st, 50, 0);
		if (c[k].passes)
			cr_assert_null(why, "case %zu: cs_ns=%s, work of %llu and %llu ns (clock pair "
				       "%llu) refused: %s", k, c[k].cs_ns,
				       (unsigned long long)c[k].net_ns[0],
				       (unsigned long long)c[k].net_ns[1],
				       (unsigned long long)c[k].tare_ns, why);
		else
			cr_assert_not_null(why, "case %zu: cs_ns=%s, work of %llu and %llu ns (clock "
					   "pair %llu) passed", k, c[k].cs_ns,
					   (unsigned long long)c[k].net_ns[0],
					   (unsigned long long)c[k].net_ns[1],
					   (unsigned long long)c[k].tare_ns);
		d->teardown(&st);
		bench_shared_free_all(&st);
	}
}

/*
 * check()'s counts (bench/lock.c), each wrong alone: a task that
 * acquired more than its round's iterations, tasks that together fell
 * short of them, and a protected count one short of (two holders at
 * once) or one over the acquisitions the tasks counted.  The right
 * states count every task: a total split over both tasks passes, so a
 * check that read one task's count for all would refuse it.  One real
 * latency round first (task 0, 50 iterations), for the sections'
 * timings; then the counts written, the work's timings set to pass.
 */
Test(lock, check_refuses_each_wrong_count, .timeout = 60)
{
	static const char *const names[] = { "lock.tas", "lock.mutex", "lock.mcs", "lock.py_lock" };
	static const struct {
		const char *what;
		uint64_t acquired[2], protected_count;
		int right;
	} c[] = {
		{ "all by task 0", { 50, 0 }, 50, 1 },
		{ "split over both tasks", { 30, 20 }, 50, 1 },
		{ "task 1 finished, task 0 left early", { 40, 50 }, 90, 1 },
		{ "a task acquired more than asked", { 51, 0 }, 51, 0 },
		{ "the tasks fell short together", { 49, 0 }, 49, 0 },
		{ "split, and short together", { 30, 19 }, 49, 0 },
		{ "an update lost inside the lock", { 30, 20 }, 49, 0 },
		{ "an acquisition the tasks did not count", { 30, 20 }, 51, 0 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			const struct bench_desc *d = lock_probe_desc(names[n]);
			char vals[8][32];
			const char *val[8], *why;
			struct bench_state st;
			struct lock_bench *s;
			uint64_t ops;

			lock_probe_setup_n(d, &st, vals, val,
					   (const char *const[]){ "cs_ns", "0", "ncs_ns", "0", NULL },
					   2);
			s = st.priv;
			lock_probe_round(&st, 50, &ops);
			for (int i = 0; i < 2; i++) {
				s->task[i].acquired = c[k].acquired[i];
				s->task[i].tare_min_ns = 20;
				s->task[i].cs_min_ns = 30;
				s->task[i].ncs_min_ns = 20;
			}
			s->protected_count = c[k].protected_count;
			why = d->check(&st, 50, 0);
			if (c[k].right)
				cr_assert_null(why, "%s: %s refused: %s", names[n], c[k].what, why);
			else
				cr_assert_not_null(why, "%s: %s passed check()", names[n], c[k].what);
			d->teardown(&st);
			bench_shared_free_all(&st);
		}
}
