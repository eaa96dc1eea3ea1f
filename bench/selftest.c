/*
 * bench/selftest.c - workloads for the harness's own tests.  Most
 * misbehave on purpose, so the tests can prove the harness survives
 * them: one never finishes (the watchdog must kill it and the run go
 * on), one crashes, one fails its own check.  One has a known cost
 * (selftest.spin: every operation lasts k_ns of the harness clock), so
 * the tests can hold the figures the harness reports against it.
 * Hidden: not listed and never matched by a glob, only by name.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/bench.h"

static const struct bench_metric selftest_metrics[] = {
	{ .name = "op", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

/* ---- selftest.spin: a known cost ------------------------------------------ */

static const struct bench_metric selftest_spin_metrics[] = {
	{ .name = "op", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = "rate", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1, .higher_is_better = 1 },
	{ .name = NULL },
};

static const struct bench_param selftest_spin_params[] = {
	{ .name = "k_ns", .def = "5000000",
	  .help = "nanoseconds of the harness clock each operation lasts", .min = 1,
	  .max = 1000000000 },
	{ .name = NULL },
};

struct selftest_spin {
	uint64_t k_ns;
	uint64_t ops[64];	/* per task, for check: the tasks really spun */
};

static int selftest_spin_setup(struct bench_state *st)
{
	struct selftest_spin *s;

	if (st->ntasks > 64)
		return bench_skip(st, "selftest.spin counts at most 64 tasks");
	s = bench_shared_alloc(st, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->k_ns = (uint64_t)bench_param_int(st, "k_ns");
	/* A build with an injected slowdown, for the tests and power
	 * measurement of `contend ab` (scripts/ab-power): every operation
	 * lasts this many per cent longer.  Only this hidden workload reads
	 * it; no real benchmark is ever slowed. */
	const char *slow = getenv("CONTEND_SELFTEST_SLOWDOWN_PCT");
	if (slow) {
		char *end;
		double pct = strtod(slow, &end);

		if (end == slow || *end || !(pct > -100 && pct <= 1000))
			return -EINVAL;
		s->k_ns = (uint64_t)((double)s->k_ns * (1 + pct / 100) + 0.5);
	}
	st->priv = s;
	return 0;
}

/* Each operation ends once the harness clock has moved k_ns past its
 * start: the round's time per operation is at least k_ns, exactly, on
 * any machine; only overheads and preemption add to it. */
static uint64_t selftest_spin_run(struct bench_task *t, uint64_t iters)
{
	struct selftest_spin *s = t->st->priv;

	for (uint64_t i = 0; i < iters; i++) {
		uint64_t t0 = bench_now_ns();

		while (bench_now_ns() - t0 < s->k_ns)
			;
	}
	s->ops[t->id] += iters;
	return iters;
}

static const char *selftest_spin_check(struct bench_state *st, uint64_t run_iters,
				       uint64_t base_iters)
{
	const struct selftest_spin *s = st->priv;

	(void)base_iters;
	for (int i = 0; i < st->ntasks; i++)
		if (s->ops[i] != run_iters)
			return "a task did not spin every operation";
	return NULL;
}

const struct bench_desc bench_selftest_spin = {
	.name = "selftest.spin", .summary = "every operation lasts k_ns of the harness clock",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 0,
	.placements = "none", .hidden = 1, .params = selftest_spin_params,
	.metrics = selftest_spin_metrics, .setup = selftest_spin_setup,
	.run = selftest_spin_run, .check = selftest_spin_check,
};

/* ---- selftest.nap: wall time without CPU time ---------------------------- */

/* Each operation sleeps k_ns: the task's CPU time is a small part of
 * the round's, which is what tells CPU time from wall time. */
static uint64_t selftest_nap_run(struct bench_task *t, uint64_t iters)
{
	struct selftest_spin *s = t->st->priv;
	struct timespec ts = { (time_t)(s->k_ns / 1000000000u), (long)(s->k_ns % 1000000000u) };

	for (uint64_t i = 0; i < iters; i++)
		while (nanosleep(&ts, NULL) < 0)
			;
	s->ops[t->id] += iters;
	return iters;
}

static const struct bench_param selftest_nap_params[] = {
	{ .name = "k_ns", .def = "1000000", .help = "nanoseconds each operation sleeps", .min = 1,
	  .max = 1000000000 },
	{ .name = NULL },
};

const struct bench_desc bench_selftest_nap = {
	.name = "selftest.nap", .summary = "every operation sleeps k_ns",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 1,
	.placements = "none", .hidden = 1, .params = selftest_nap_params,
	.metrics = selftest_spin_metrics, .setup = selftest_spin_setup,
	.run = selftest_nap_run, .check = selftest_spin_check,
};

/* ---- selftest.collapse: a round that stretches without end --------------- */

/*
 * Every operation spins k_ns of the harness clock, as selftest.spin's;
 * from the `at`-th run() round on (0: never), each sleeps `slow_ns`
 * instead, so that a round calibrated to --min-time would last thousands
 * of times as long: a collapse, as a FIFO spinner's whose next in line is
 * off its processor.  The loop polls a stop word before each operation,
 * which end_round sets: the harness must end the round at its limit and
 * skip the configuration, naming the limit, instead of waiting for the
 * budget.  Below `at` it is selftest.spin, whose figures are known.
 */
static const struct bench_param selftest_collapse_params[] = {
	{ .name = "k_ns", .def = "1000", .help = "nanoseconds of the clock a healthy operation lasts",
	  .min = 1, .max = 1000000000 },
	{ .name = "at", .def = "0", .help = "the run() round from which operations sleep (0: never)",
	  .min = 0, .max = 1000000 },
	{ .name = "slow_ns", .def = "10000000", .help = "nanoseconds a collapsed operation sleeps",
	  .min = 1, .max = 1000000000 },
	{ .name = NULL },
};

struct selftest_collapse {
	uint64_t k_ns, slow_ns;
	uint32_t at;
	uint32_t stop;		/* end_round's: the round to leave */
	uint64_t ops[64];
	uint32_t rounds[64];	/* per task: run() calls so far */
};

static int selftest_collapse_setup(struct bench_state *st)
{
	struct selftest_collapse *s;

	if (st->ntasks > 64)
		return bench_skip(st, "selftest.collapse counts at most 64 tasks");
	if (!(s = bench_shared_alloc(st, sizeof(*s))))
		return -ENOMEM;
	s->k_ns = (uint64_t)bench_param_int(st, "k_ns");
	s->slow_ns = (uint64_t)bench_param_int(st, "slow_ns");
	s->at = (uint32_t)bench_param_int(st, "at");
	st->priv = s;
	return 0;
}

static uint64_t selftest_collapse_run(struct bench_task *t, uint64_t iters)
{
	struct selftest_collapse *s = t->st->priv;
	const uint32_t round = ++s->rounds[t->id];
	const int slow = s->at && round >= s->at;
	uint64_t i;

	for (i = 0; i < iters; i++) {
		/* Relaxed: the word only ends the loop (bench/lock.h's way). */
		if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED) == round)
			break;
		if (slow) {
			struct timespec ts = { (time_t)(s->slow_ns / 1000000000),
					       (long)(s->slow_ns % 1000000000) };

			nanosleep(&ts, NULL);
		} else {
			uint64_t t0 = bench_now_ns();

			while (bench_now_ns() - t0 < s->k_ns)
				;
		}
	}
	s->ops[t->id] += i;
	return i;
}

static void selftest_collapse_end_round(struct bench_state *st, uint32_t round)
{
	struct selftest_collapse *s = st->priv;

	__atomic_store_n(&s->stop, round, __ATOMIC_RELAXED);
}

static const char *selftest_collapse_check(struct bench_state *st, uint64_t run_iters,
					   uint64_t base_iters)
{
	const struct selftest_collapse *s = st->priv;

	(void)base_iters;
	for (int i = 0; i < st->ntasks; i++)
		if (s->ops[i] != run_iters)
			return "a task did not do every operation of every round";
	return NULL;
}

const struct bench_desc bench_selftest_collapse = {
	.name = "selftest.collapse", .summary = "rounds that stretch without end from round `at` on",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 0,
	.placements = "none", .hidden = 1, .params = selftest_collapse_params,
	.metrics = selftest_spin_metrics, .setup = selftest_collapse_setup,
	.run = selftest_collapse_run, .check = selftest_collapse_check,
	.end_round = selftest_collapse_end_round,
};

/* ---- selftest.helper: work done by threads the workload starts ---------- */

/*
 * Every operation's work is `calls` system calls (getppid) made by a
 * helper thread, not by the task: selftest.helper starts a thread per
 * operation and joins it, as a Timer does; selftest.helper.pool hands
 * each operation through a pipe to one thread started in task_init,
 * and waits for its answer: 1 write and 1 read each side, so exactly
 * calls + 4 system calls per operation.  syscalls_per_op must include
 * the helper's, as perf stat over the process does.
 */
static const struct bench_param selftest_helper_params[] = {
	{ .name = "calls", .def = "100", .help = "system calls the helper makes per operation",
	  .min = 1, .max = 1000000 },
	{ .name = NULL },
};

struct selftest_helper {
	long calls;
	uint64_t done;		/* helper calls made, all tasks (atomic) */
	uint64_t ops[64];	/* per task */
};

static int selftest_helper_setup(struct bench_state *st)
{
	struct selftest_helper *s;

	if (st->ntasks > 64)
		return bench_skip(st, "selftest.helper counts at most 64 tasks");
	if (!(s = bench_shared_alloc(st, sizeof(*s))))
		return -ENOMEM;
	s->calls = (long)bench_param_int(st, "calls");
	st->priv = s;
	return 0;
}

static void selftest_helper_calls(struct selftest_helper *s)
{
	for (long i = 0; i < s->calls; i++)
		syscall(SYS_getppid);
	__atomic_add_fetch(&s->done, (uint64_t)s->calls, __ATOMIC_RELAXED);
}

static void *selftest_helper_once(void *p)
{
	selftest_helper_calls(p);
	return NULL;
}

static uint64_t selftest_helper_run(struct bench_task *t, uint64_t iters)
{
	struct selftest_helper *s = t->st->priv;
	uint64_t i;

	for (i = 0; i < iters; i++) {
		pthread_t th;

		if (pthread_create(&th, NULL, selftest_helper_once, s) != 0)
			break;
		pthread_join(th, NULL);
	}
	s->ops[t->id] += i;
	return i;
}

static const char *selftest_helper_check(struct bench_state *st, uint64_t run_iters,
					 uint64_t base_iters)
{
	const struct selftest_helper *s = st->priv;

	(void)base_iters;
	for (int i = 0; i < st->ntasks; i++)
		if (s->ops[i] != run_iters)
			return "a task did not run every operation";
	if (s->done != run_iters * (uint64_t)st->ntasks * (uint64_t)s->calls)
		return "a helper did not make its system calls";
	return NULL;
}

/* The pool's helper: one per task, for the task's life. */
struct selftest_pool {
	int req[2], ans[2];	/* pipes: task -> helper, helper -> task */
	pthread_t thread;
	struct selftest_helper *s;
};

static void *selftest_pool_main(void *p)
{
	struct selftest_pool *pl = p;
	char c;

	/* One operation per byte; end of file ends it. */
	while (read(pl->req[0], &c, 1) == 1) {
		selftest_helper_calls(pl->s);
		if (write(pl->ans[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static int selftest_pool_init(struct bench_task *t)
{
	struct selftest_pool *pl = calloc(1, sizeof(*pl));
	int r;

	if (!pl)
		return -ENOMEM;
	pl->s = t->st->priv;
	if (pipe(pl->req) < 0 || pipe(pl->ans) < 0) {
		free(pl);	/* a test workload: the fds of a half-made pair leak */
		return -errno;
	}
	if ((r = pthread_create(&pl->thread, NULL, selftest_pool_main, pl)) != 0) {
		for (int i = 0; i < 2; i++) {
			close(pl->req[i]);
			close(pl->ans[i]);
		}
		free(pl);
		return -r;
	}
	t->local = pl;
	return 0;
}

static uint64_t selftest_pool_run(struct bench_task *t, uint64_t iters)
{
	struct selftest_pool *pl = t->local;
	uint64_t i;
	char c = 'x';

	for (i = 0; i < iters; i++)
		if (write(pl->req[1], &c, 1) != 1 || read(pl->ans[0], &c, 1) != 1)
			break;
	pl->s->ops[t->id] += i;
	return i;
}

static void selftest_pool_fini(struct bench_task *t)
{
	struct selftest_pool *pl = t->local;

	close(pl->req[1]);
	pthread_join(pl->thread, NULL);
	close(pl->req[0]);
	close(pl->ans[0]);
	close(pl->ans[1]);
	free(pl);
}

static const struct bench_metric selftest_helper_metrics[] = {
	{ .name = "op", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

const struct bench_desc bench_selftest_helper = {
	.name = "selftest.helper", .summary = "each operation's system calls are a new thread's",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 0,
	.placements = "none", .hidden = 1, .params = selftest_helper_params,
	.metrics = selftest_helper_metrics, .setup = selftest_helper_setup,
	.run = selftest_helper_run, .check = selftest_helper_check,
};

const struct bench_desc bench_selftest_helper_pool = {
	.name = "selftest.helper.pool",
	.summary = "each operation's system calls are a helper's, started in task_init",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 0,
	.placements = "none", .hidden = 1, .params = selftest_helper_params,
	.metrics = selftest_helper_metrics, .setup = selftest_helper_setup,
	.task_init = selftest_pool_init, .run = selftest_pool_run,
	.task_fini = selftest_pool_fini, .check = selftest_helper_check,
};

/* ---- selftest.order: a ratio to a baseline, run in both orders ---------- */

/*
 * run() spins k_ns per operation (CPU time about its wall time),
 * baseline() sleeps k_ns (almost none): the CPU-time ratio is far above
 * the wall-time one.  run() reports whether the task's previous round
 * was a run too: with the order alternated (ABBA) some measured rounds
 * say 1; with the baseline always after the run, none would.
 */
#define SELFTEST_ORDER_FIGURES(VALUE, HIST)					\
	VALUE(SELFTEST_ORDER_AFTER_RUN, .name = "after_run", .unit = "rounds",	\
	      .combine = BENCH_COMBINE_MAX)
BENCH_FIGURES(SELFTEST_ORDER, SELFTEST_ORDER_FIGURES);

static const struct bench_metric selftest_order_metrics[] = {
	{ .name = "time_vs_baseline", .unit = "ratio", .kind = BENCH_RATIO_TO_BASELINE,
	  .per_iter = 1 },
	{ .name = "cpu_time_vs_baseline", .unit = "ratio", .kind = BENCH_RATIO_TO_BASELINE_CPU,
	  .per_iter = 1 },
	BENCH_FIGURE_ROWS(SELFTEST_ORDER_FIGURES)
	{ .name = NULL },
};

struct selftest_order {
	uint64_t k_ns;
	int last_was_run[64];	/* per task: its previous round */
};

static int selftest_order_setup(struct bench_state *st)
{
	struct selftest_order *s;

	if (st->ntasks > 64)
		return bench_skip(st, "selftest.order counts at most 64 tasks");
	if (!(s = bench_shared_alloc(st, sizeof(*s))))
		return -ENOMEM;
	s->k_ns = (uint64_t)bench_param_int(st, "k_ns");
	st->priv = s;
	return 0;
}

static uint64_t selftest_order_run(struct bench_task *t, uint64_t iters)
{
	struct selftest_order *s = t->st->priv;

	for (uint64_t i = 0; i < iters; i++) {
		uint64_t t0 = bench_now_ns();

		while (bench_now_ns() - t0 < s->k_ns)
			;
	}
	bench_report(t, SELFTEST_ORDER_AFTER_RUN, s->last_was_run[t->id]);
	s->last_was_run[t->id] = 1;
	return iters;
}

static uint64_t selftest_order_baseline(struct bench_task *t, uint64_t iters)
{
	struct selftest_order *s = t->st->priv;
	struct timespec ts = { (time_t)(s->k_ns / 1000000000u), (long)(s->k_ns % 1000000000u) };

	for (uint64_t i = 0; i < iters; i++)
		while (nanosleep(&ts, NULL) < 0)
			;
	s->last_was_run[t->id] = 0;
	return iters;
}

static const struct bench_param selftest_order_params[] = {
	{ .name = "k_ns", .def = "200000", .help = "nanoseconds each operation spins or sleeps",
	  .min = 1, .max = 1000000000 },
	{ .name = NULL },
};

const struct bench_desc bench_selftest_order = {
	.name = "selftest.order", .summary = "spins against a baseline that sleeps, in both orders",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 1,
	.placements = "none", .hidden = 1, .params = selftest_order_params,
	.metrics = selftest_order_metrics, .baseline_how = BENCH_BASELINE_EACH,
	.setup = selftest_order_setup, .run = selftest_order_run,
	.baseline = selftest_order_baseline,
};

/* ---- misbehaving workloads ------------------------------------------------- */

static uint64_t selftest_hang_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	(void)iters;
	for (;;)
		pause();
	return 0;	/* not reached */
}

static uint64_t selftest_crash_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	(void)iters;
	abort();
	return 0;	/* not reached */
}

static uint64_t selftest_idle_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	return iters;	/* claims the work, does none: calibration must notice */
}

static uint64_t selftest_lie_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	for (uint64_t i = 0; i < iters; i++)
		__asm__ __volatile__("" ::: "memory");	/* time, but no trace */
	return iters;
}

static const char *selftest_lie_check(struct bench_state *st, uint64_t run_iters,
				      uint64_t base_iters)
{
	(void)st;
	(void)base_iters;
	return run_iters ? "no operation left a trace" : NULL;
}

/* Two-task workloads whose partner would wait for ever: one task fails
 * its setup, or dies mid-round.  The harness must report that, quickly. */
static int selftest_init_fail(struct bench_task *t)
{
	return t->id == 0 ? -ENOMEM : 0;
}

static uint64_t selftest_wait_or_die(struct bench_task *t, uint64_t iters)
{
	(void)iters;
	if (t->id == 1 && t->st->mode == BENCH_MODE_PROCESS)
		abort();
	for (;;)
		pause();
	return 0;	/* not reached */
}

static int selftest_setup_fail(struct bench_state *st)
{
	(void)st;
	return -ENOSYS;
}

/* ---- selftest.record: known distributions and values ---------------------- */

/*
 * Each operation records the ten values 100, 200, ..., 1000 into
 * spread and 5000 into flat, so every latency round's merged
 * distribution is known exactly however many operations it had: p50 is
 * the 5n-th of 10n values, 500 (its bucket [500, 501] reads 501); p99
 * and max are 1000 (its bucket is clipped to the exact maximum); and a
 * constant 5000 (one bucket).  Into first it records 9000 in its first
 * latency round and 900 in every later one: each round's histograms
 * start empty, so of 3 latency rounds the maxima read 9000, 900 and 900
 * and the row (their median) 900; a histogram carried over from an
 * earlier round would read 9000 in all three.  Into edge it records,
 * per operation, 990 zeros (the first bucket), 9 of 20 and one 2^50
 * (the open-ended last bucket, from 2^48 - 2^40): p50 and p99 (the
 * 990th of 1000) read 0, p999 (the 999th) 20 and max 2^50, so no two of
 * the last three rows can stand in for each other.  Each task
 * reports its id + 1: combined by maximum it is the task count, by sum
 * n(n+1)/2, as the least and the most against their mean 1/2 and 3/2
 * for 3 tasks.  Task k does (k + 1) x iters operations, so with 3 tasks
 * (1, 2 and 3 shares of 6: a fair share is 2) share_min is 0.5 and
 * share_max 1.5.  Only the tasks of even id report even_id_mean, their
 * id + 1, combined by mean over those that reported: of 3 tasks (1 + 3)
 * / 2 = 2, not 4 / 3 as a mean over every task would read.  Every task
 * reports first_round_only in its first round alone, which is
 * calibration's, never a measured one: a round's reports start empty,
 * so the row is absent; one carried over would read n(n+1)/2.  And ncpus
 * is bench_state.ncpus as the tasks see it:
 * the distinct processors the placement pinned them to (1 for
 * same-core, however many tasks), or those the runner may use when they
 * are left unpinned.
 */
#define SELFTEST_RECORD_EDGE_TOP (UINT64_C(1) << 50)	/* past the last octave, 2^48 */
#define SELFTEST_RECORD_FIGURES(VALUE, HIST)					\
	HIST(SELFTEST_RECORD_HIST_SPREAD, "spread")				\
	HIST(SELFTEST_RECORD_HIST_FLAT, "flat")					\
	HIST(SELFTEST_RECORD_HIST_FIRST, "first")				\
	HIST(SELFTEST_RECORD_HIST_EDGE, "edge")					\
	VALUE(SELFTEST_RECORD_TOP_ID, .name = "top_id", .unit = "tasks",	\
	      .combine = BENCH_COMBINE_MAX)					\
	VALUE(SELFTEST_RECORD_ID_SUM, .name = "id_sum", .unit = "tasks",	\
	      .combine = BENCH_COMBINE_SUM)					\
	VALUE(SELFTEST_RECORD_ID_SHARE_MIN, .name = "id_share_min", .unit = "ratio", \
	      .combine = BENCH_COMBINE_SHARE_MIN)				\
	VALUE(SELFTEST_RECORD_ID_SHARE_MAX, .name = "id_share_max", .unit = "ratio", \
	      .combine = BENCH_COMBINE_SHARE_MAX)					\
	VALUE(SELFTEST_RECORD_NCPUS, .name = "ncpus", .unit = "processors",	\
	      .combine = BENCH_COMBINE_MAX)					\
	VALUE(SELFTEST_RECORD_EVEN_MEAN, .name = "even_id_mean", .unit = "tasks", \
	      .combine = BENCH_COMBINE_MEAN)					\
	VALUE(SELFTEST_RECORD_FIRST_ONLY, .name = "first_round_only", .unit = "tasks", \
	      .combine = BENCH_COMBINE_SUM)
BENCH_FIGURES(SELFTEST_RECORD, SELFTEST_RECORD_FIGURES);

static const struct bench_metric selftest_record_metrics[] = {
	{ .name = "op", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_FIGURE_ROWS(SELFTEST_RECORD_FIGURES)
	{ .name = "share_min", .unit = "ratio", .kind = BENCH_SHARE_MIN, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "share_max", .unit = "ratio", .kind = BENCH_SHARE_MAX, .per_iter = 1 },
	{ .name = NULL },
};

/* Each operation is 200 ns of calibrated work, so that the eleven
 * records a latency round adds to it stay a fraction of it: with an
 * empty operation a latency round (as many operations as a timed one)
 * took hundreds of times longer, past the time budget under TSan. */
struct selftest_record {
	uint64_t loops;
	uint32_t *rounds;	/* per task: its rounds so far */
	uint32_t rec_rounds[];	/* per task: its latency rounds so far */
};

static int selftest_record_setup(struct bench_state *st)
{
	struct selftest_record *s;

	s = bench_shared_alloc(st, sizeof(*s) + 2 * (size_t)st->ntasks * sizeof(s->rec_rounds[0]));
	if (!s)
		return -ENOMEM;
	s->rounds = s->rec_rounds + st->ntasks;
	s->loops = bench_work_loops(200);
	st->priv = s;
	return 0;
}

static uint64_t selftest_record_run(struct bench_task *t, uint64_t iters)
{
	struct selftest_record *s = t->st->priv;
	int rec = bench_recording(t);
	uint64_t n = iters * (uint64_t)(t->id + 1), first = 900;

	if (rec && s->rec_rounds[t->id]++ == 0)
		first = 9000;	/* this task's first latency round */
	for (uint64_t i = 0; i < n; i++) {
		if (rec) {
			for (uint64_t v = 100; v <= 1000; v += 100)
				bench_record_ns(t, SELFTEST_RECORD_HIST_SPREAD, v);
			bench_record_ns(t, SELFTEST_RECORD_HIST_FLAT, 5000);
			bench_record_ns(t, SELFTEST_RECORD_HIST_FIRST, first);
			/* Of 1000: 990 into the first bucket, 9 of 20, 1
			 * into the open-ended last. */
			for (int k = 0; k < 1000; k++)
				bench_record_ns(t, SELFTEST_RECORD_HIST_EDGE,
						k < 990 ? 0 : k < 999 ? 20 : SELFTEST_RECORD_EDGE_TOP);
		}
		bench_work(s->loops);
	}
	bench_report(t, SELFTEST_RECORD_TOP_ID, t->id + 1);
	bench_report(t, SELFTEST_RECORD_ID_SUM, t->id + 1);
	bench_report(t, SELFTEST_RECORD_ID_SHARE_MIN, t->id + 1);
	bench_report(t, SELFTEST_RECORD_ID_SHARE_MAX, t->id + 1);
	bench_report(t, SELFTEST_RECORD_NCPUS, t->st->ncpus);
	if (t->id % 2 == 0)	/* only some tasks report: the others are left out */
		bench_report(t, SELFTEST_RECORD_EVEN_MEAN, t->id + 1);
	if (s->rounds[t->id]++ == 0)	/* calibration's first round */
		bench_report(t, SELFTEST_RECORD_FIRST_ONLY, t->id + 1);
	return n;
}

/* A configuration that cannot run here: skipped, not failed. */
static int selftest_setup_skip(struct bench_state *st)
{
	return bench_skip(st, "selftest.skip never runs anywhere");
}

/* Starts what it never stops: a thread that sleeps for ever (or a
 * hundred, or one before it skips the configuration), a child process
 * nobody waits for (one that has exited, or one still running), a
 * grandchild its parent abandons, a pipe never closed, a shared mapping
 * never unmapped.
 * The runner must notice it after teardown and fail the configuration. */
static void *selftest_leak_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;	/* not reached */
}

static int selftest_leak_setup(struct bench_state *st)
{
	const char *what = bench_param_str(st, "what");
	pthread_t th;
	pid_t pid;

	if (strcmp(what, "thread") == 0)
		return -pthread_create(&th, NULL, selftest_leak_thread, NULL);
	if (strcmp(what, "skipped") == 0) {	/* an error path that undoes nothing */
		int err = pthread_create(&th, NULL, selftest_leak_thread, NULL);

		return err ? -err : bench_skip(st, "selftest.leak skips after starting a thread");
	}
	if (strcmp(what, "threads") == 0) {	/* more than measure.c keeps */
		for (int i = 0; i < 100; i++) {
			int err = pthread_create(&th, NULL, selftest_leak_thread, NULL);

			if (err)
				return -err;
		}
		return 0;
	}
	if (strcmp(what, "fd") == 0) {
		int fds[2];

		return pipe(fds) < 0 ? -errno : 0;
	}
	if (strcmp(what, "mapping") == 0)
		return mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			    0) == MAP_FAILED ? -errno : 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* gone with the runner */
		if (strcmp(what, "zombie") == 0)
			_exit(0);
		/* A child that starts one of its own and exits at once:
		 * the grandchild, abandoned, goes to the runner.  It is in
		 * the runner's process group, which the parent kills. */
		if (strcmp(what, "orphan") == 0 && (pid = fork()) != 0)
			_exit(pid < 0);
		for (;;)
			pause();
	}
	if (strcmp(what, "orphan") == 0) {
		int status;

		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return -errno;
	}
	return 0;
}

static const struct bench_param selftest_leak_params[] = {
	{ .name = "what", .def = "thread", .help = "what setup starts and never stops",
	  .choices = "thread|threads|skipped|child|zombie|orphan|fd|mapping" },
	{ .name = NULL },
};

/* A misbehaving workload: one task, hidden; the fields given (name,
 * summary, run and what misbehaves) named. */
#define SELFTEST_DESC(var, ...)							\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION,					\
		.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 1,	\
		.placements = "none", .hidden = 1,				\
		.metrics = selftest_metrics, __VA_ARGS__			\
	}

SELFTEST_DESC(bench_selftest_hang, .name = "selftest.hang", .summary = "never returns",
	      .run = selftest_hang_run);
SELFTEST_DESC(bench_selftest_crash, .name = "selftest.crash", .summary = "aborts",
	      .run = selftest_crash_run);
SELFTEST_DESC(bench_selftest_lie, .name = "selftest.lie", .summary = "fails its own check",
	      .run = selftest_lie_run, .check = selftest_lie_check);
SELFTEST_DESC(bench_selftest_setup, .name = "selftest.setup", .summary = "setup fails",
	      .run = selftest_lie_run, .setup = selftest_setup_fail);
SELFTEST_DESC(bench_selftest_idle, .name = "selftest.idle", .summary = "does no work",
	      .run = selftest_idle_run);
SELFTEST_DESC(bench_selftest_skip, .name = "selftest.skip",
	      .summary = "setup says it cannot run here",
	      .run = selftest_lie_run, .setup = selftest_setup_skip);
SELFTEST_DESC(bench_selftest_leak, .name = "selftest.leak",
	      .summary = "setup starts a thread or a process it never stops",
	      .params = selftest_leak_params, .run = selftest_lie_run,
	      .setup = selftest_leak_setup);
const struct bench_desc bench_selftest_record = {
	.name = "selftest.record", .summary = "records known latencies and reports known values",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.placements = "none", .hidden = 1, .metrics = selftest_record_metrics,
	.setup = selftest_record_setup, .run = selftest_record_run,
};
const struct bench_desc bench_selftest_partner = {
	.name = "selftest.partner", .summary = "task 0's setup fails; task 1 would wait for it",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 2,
	.placements = "none", .hidden = 1, .metrics = selftest_metrics,
	.task_init = selftest_init_fail, .run = selftest_wait_or_die,
};
const struct bench_desc bench_selftest_orphan = {
	.name = "selftest.orphan", .summary = "task 1 dies; task 0 waits for it for ever",
	.version = BENCH_VERSION, .modes = BENCH_MODE_PROCESS, .tasks = 2,
	.placements = "none", .hidden = 1, .metrics = selftest_metrics,
	.run = selftest_wait_or_die,
};
