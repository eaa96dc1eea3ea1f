/*
 * bench/pool.c - pool.*: what a pool costs and buys, per task.
 *
 * One submitter (task 0) hands `iters` tasks a round to a pool of W
 * workers, W being the configuration's task count (the `threads` column:
 * 1, 2, the processors, twice the processors); the harness's other tasks
 * stand by (they return at once), so that W follows --threads and the
 * over-subscribed count like every family's.  A task is task_us of
 * calibrated work (task=work) or a sleep of task_us (task=sleep, I/O-like).
 * At most POOL_BENCH_SLOTS tasks are in flight, and a round ends when
 * every one of its tasks is called back.  The submitter runs ahead; when
 * it must wait (the slots all in flight: until half are back; the
 * round's end: until none is) a callback wakes it once, at that count,
 * never a wake a task: a wake costs the waker a system call (microseconds
 * on a VM, where it interrupts an idle processor), which the overhead
 * figure would charge to the pool.
 *
 *   pool.thread          the lesson's callback pool (primitives/pool.h)
 *   pool.token           the lesson's token pool: a new thread per task
 *   pool.thread_per_task a thread per task, joined W tasks later
 *   pool.process.async   the process pool's apply_async, callback in this
 *                        process (primitives/procpool.h)
 *   pool.process.apply   its apply: the submitter waits for each result,
 *                        so one task runs at a time whatever W is (as in
 *                        Python: apply is the synchronous call)
 *
 * A task of work is task_us of its thread's CPU time in the calibrated
 * loop (pool_bench_work: the loop's speed moves); of sleep, a nanosleep.
 *
 * Rows: tasks_per_sec; speedup = iters x alone_ns / round time, alone_ns
 * being one task's own time: the median of a few tasks run inline in
 * setup (a sleep's overshoot included); i.e. the speedup over the
 * same tasks run one after another with no pool; efficiency = speedup / P, P the tasks that
 * can run at once: min(W, processors) for work, W for sleeps (a sleeping
 * task needs no processor); overhead_per_task = round time x P / iters -
 * alone_ns, the time a task costs beyond its own work; threads_per_task
 * (thread variants: threads made in the round over its tasks, 0 once the
 * callback pool has its workers, 1 for the others); failed_share (with
 * fail_every: the round's tasks reported failed, over its tasks); start_* (latency
 * rounds: submit -> the task's first instruction, every task).
 *
 * check(): every task submitted ran exactly once and was called back
 * exactly once, after it ran (each slot walks submitted -> ran -> done,
 * by compare-and-swap), exactly the tasks meant to fail (fail_every)
 * were reported failed, tasks of work took no less time than
 * min(W, processors) processors need for their CPU time, and in a
 * latency round no task was called back sooner after its start stamp
 * than its own work or sleep lasts (less 5 % for the clocks).
 *
 * pool.scene.*: the lesson's programs, an iteration each: the callback
 * pool with 5 workers running 30 tasks, then close (every task runs and
 * is called back) or terminate (the queue is dropped: run + dropped =
 * 30, every task that ran called back; terminate comes once all 5 workers
 * are inside a task, so at least 5 run and those finish); Pool(5) with 10 apply_async
 * tasks returning i + 100 to a callback that runs in this process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/pool.h"
#include "harness/clock.h"
#include "harness/stats.h"
#include "primitives/futex.h"
#include "primitives/pool.h"
#include "primitives/procpool.h"

#define POOL_BENCH_FIGURES(VALUE, HIST)						\
	VALUE(POOL_BENCH_SPEEDUP, .name = "speedup", .unit = "ratio",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN, .higher_is_better = 1)	\
	VALUE(POOL_BENCH_EFFICIENCY, .name = "efficiency", .unit = "ratio",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN, .higher_is_better = 1)	\
	VALUE(POOL_BENCH_OVERHEAD, .name = "overhead_per_task", .unit = "ns",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(POOL_BENCH_THREADS, .name = "threads_per_task", .unit = "ratio",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(POOL_BENCH_FAILED, .name = "failed_share", .unit = "ratio",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	HIST(POOL_BENCH_START, "start")
BENCH_FIGURES(POOL_BENCH, POOL_BENCH_FIGURES);

/* The configuration's state, for the task functions (which a process
 * pool's workers, forked from this process, find here too). */
static struct pool_bench_shared *pool_bench_g;

/*
 * A task of work is task_ns of its thread's CPU time, spent in the
 * calibrated loop a chunk at a time: defined by CPU time, not by a loop
 * count, because the loop's speed moves by 2 x on a VM from one few
 * seconds to the next (bench/lock.c, LOCK_BENCH_WORK_SLACK), which made
 * a task of "10 us" last 5 to 20 and the process pool's efficiency read
 * 1.19 at one worker (2026-12-06).  A task kept off its processor still
 * does all of its work.
 */
static void pool_bench_work(const struct pool_bench_shared *s)
{
	double end;

	if (s->sleep) {
		nanosleep(&s->nap, NULL);	/* EINTR: a shorter task, no harm */
		return;
	}
	end = clk_thread_cpu_ns() + s->task_ns;
	do
		bench_work(s->chunk);
	while (clk_thread_cpu_ns() < end);
}

static void pool_bench_bad(struct pool_bench_shared *s)
{
	__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
}

/*
 * The submitter: until at most `most` tasks are in flight.  The bell,
 * then one more look (sequentially consistent, as the callback's count
 * and look): either this look sees the count that a callback made, or
 * that callback sees the bell.
 */
static void pool_bench_await_flight(struct pool_bench_shared *s, uint32_t most)
{
	while (__atomic_load_n(&s->in_flight, __ATOMIC_SEQ_CST) > most) {
		__atomic_store_n(&s->wait_for, most, __ATOMIC_RELAXED);
		__atomic_store_n(&s->room_bell, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->in_flight, __ATOMIC_SEQ_CST) > most)
			futex_wait(&s->room_bell, 1, NULL, 0);
		__atomic_store_n(&s->room_bell, 0, __ATOMIC_RELAXED);
	}
}

/* A callback (or a failed submit): one task fewer in flight; wakes the
 * submitter if it waits for this count. */
static void pool_bench_landed(struct pool_bench_shared *s)
{
	uint32_t n = __atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_SEQ_CST);

	/* The bell first: the level was stored before it was rung. */
	if (__atomic_load_n(&s->room_bell, __ATOMIC_SEQ_CST) &&
	    n <= __atomic_load_n(&s->wait_for, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&s->room_bell, 0, __ATOMIC_SEQ_CST))
		futex_wake(&s->room_bell, 1, 0);
}

/* Task `seq`: its result is seq; it fails when fail_every says so. */
static int pool_bench_task(uint64_t seq, uint64_t *result)
{
	struct pool_bench_shared *s = pool_bench_g;
	struct pool_bench_slot *sl = &s->slots[seq % POOL_BENCH_SLOTS];
	uint32_t want = POOL_SLOT_SUBMITTED;

	if (s->recording)
		sl->start_ns = bench_now_ns();
	/* Acq-rel: the submitter's stamp and state before, the
	 * callback's look after. */
	if (!__atomic_compare_exchange_n(&sl->state, &want, POOL_SLOT_RAN, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		pool_bench_bad(s);
	__atomic_add_fetch(&s->ran, 1, __ATOMIC_RELAXED);
	pool_bench_work(s);
	*result = seq;
	return s->fail_every && seq % s->fail_every == 0;
}

static int pool_bench_thread_task(void *arg, uint64_t *result)
{
	return pool_bench_task((uintptr_t)arg, result);
}

/* Every variant's callback, wherever it runs (a worker thread, the
 * process pool's result thread, the submitter after apply). */
static void pool_bench_done(void *arg, int ok, uint64_t result)
{
	struct pool_bench_shared *s = pool_bench_g;
	uint64_t seq = (uintptr_t)arg;
	struct pool_bench_slot *sl = &s->slots[seq % POOL_BENCH_SLOTS];
	uint32_t want = POOL_SLOT_RAN;

	if (result != seq || !__atomic_compare_exchange_n(&sl->state, &want, POOL_SLOT_DONE, 0,
							  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Counted, and the slot freed all the same, so that the
		 * submitter never waits for it. */
		pool_bench_bad(s);
		__atomic_store_n(&sl->state, POOL_SLOT_DONE, __ATOMIC_RELEASE);
	}
	/* Its start was stamped before the task's work (a latency round):
	 * the work lies between the stamp and now. */
	if (s->recording && bench_now_ns() - sl->start_ns < s->least_ns)
		__atomic_add_fetch(&s->early, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(ok ? &s->called_ok : &s->called_fail, 1, __ATOMIC_RELAXED);
	pool_bench_landed(s);
}

static void *pool_bench_spawned(void *arg)
{
	uint64_t result = 0;
	int rc = pool_bench_task((uintptr_t)arg, &result);

	pool_bench_done(arg, rc == 0, result);
	return NULL;
}

/* One task's own time: the median of a few run inline. */
static double pool_bench_alone(const struct pool_bench_shared *s, int64_t task_ns)
{
	enum { MOST = 51 };
	double t[MOST];
	uint64_t n = task_ns > 0 ? (uint64_t)(20000000 / task_ns) : MOST;

	n = n < 5 ? 5 : n > MOST ? MOST : n;
	for (uint64_t i = 0; i < n; i++) {
		/* Work by its thread's CPU time: setup may share its processor
		 * (the harness's other tasks, a pinned run), and on one
		 * processor with four tasks a millisecond of work took 2.9 ms
		 * of wall time alone, which read as an efficiency of 2.3. */
		double t0 = s->sleep ? (double)bench_now_ns() : clk_thread_cpu_ns();

		pool_bench_work(s);
		t[i] = (s->sleep ? (double)bench_now_ns() : clk_thread_cpu_ns()) - t0;
	}
	return stats_median(t, n);
}

static int pool_bench_setup(struct bench_state *st, int kind)
{
	long long task_us = bench_param_int(st, "task_us");
	struct pool_bench_shared *s;
	int err = 0;

	s = bench_shared_alloc(st, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->workers = st->ntasks;
	s->sleep = strcmp(bench_param_str(st, "task"), "sleep") == 0;
	s->par = s->sleep || st->ncpus > s->workers ? s->workers : st->ncpus;
	/* The most tasks of work that can run at once, whatever the
	 * placement: the pool's threads and processes inherit some subset
	 * of this (unpinned) thread's processors. */
	cpu_set_t may;
	int nmay = sched_getaffinity(0, sizeof(may), &may) == 0 ? CPU_COUNT(&may) : s->workers;
	s->most_at_once = nmay < s->workers ? nmay : s->workers;
	s->fail_every = (uint64_t)bench_param_int(st, "fail_every");
	s->least_ns = (uint64_t)((double)task_us * 1000 * 0.95);
	if (s->sleep) {
		s->nap.tv_sec = task_us / 1000000;
		s->nap.tv_nsec = task_us % 1000000 * 1000;
	} else {
		/* A tenth of the task, at most 1 us, between clock reads. */
		s->task_ns = (double)task_us * 1000;
		s->chunk = bench_work_loops(s->task_ns / 10 < 1000 ? s->task_ns / 10 : 1000);
	}
	/* Measured, either kind: the median of a few run inline, a sleep's
	 * overshoot included, work's last chunk and clock reads too. */
	s->alone_ns = pool_bench_alone(s, task_us * 1000);
	pool_bench_g = s;
	switch (kind) {
	case POOL_BENCH_THREAD:
		err = pool_thread_create((struct pool_thread **)&s->pool, (unsigned)s->workers, 0);
		break;
	case POOL_BENCH_TOKEN:
		err = pool_token_create((struct pool_token **)&s->pool, (unsigned)s->workers);
		break;
	case POOL_BENCH_SPAWN:
		s->spawned = calloc((size_t)s->workers, sizeof(*s->spawned));
		s->spawned_live = calloc((size_t)s->workers, 1);
		err = s->spawned && s->spawned_live ? 0 : -ENOMEM;
		break;
	default:
		err = procpool_create((struct procpool **)&s->pool, (unsigned)s->workers);
	}
	st->priv = s;
	return err;
}

static int pool_bench_setup_thread(struct bench_state *st)
{
	return pool_bench_setup(st, POOL_BENCH_THREAD);
}

static int pool_bench_setup_token(struct bench_state *st)
{
	return pool_bench_setup(st, POOL_BENCH_TOKEN);
}

static int pool_bench_setup_spawn(struct bench_state *st)
{
	return pool_bench_setup(st, POOL_BENCH_SPAWN);
}

static int pool_bench_setup_apply(struct bench_state *st)
{
	return pool_bench_setup(st, POOL_BENCH_APPLY);
}

static int pool_bench_setup_async(struct bench_state *st)
{
	return pool_bench_setup(st, POOL_BENCH_ASYNC);
}

/* Hand task seq to the pool; 0 or -errno (the task is then not in
 * flight: the caller gives its permit back). */
static int pool_bench_submit(struct pool_bench_shared *s, uint64_t seq, uint64_t k)
{
	void *arg = (void *)(uintptr_t)seq;
	uint64_t result = 0;
	int rc;

	switch (s->kind) {
	case POOL_BENCH_THREAD:
		return pool_thread_run(s->pool, pool_bench_thread_task, arg, pool_bench_done, arg);
	case POOL_BENCH_TOKEN:
		return pool_token_run(s->pool, pool_bench_thread_task, arg, pool_bench_done, arg);
	case POOL_BENCH_SPAWN: {
		size_t i = k % (uint64_t)s->workers;

		if (s->spawned_live[i])
			pthread_join(s->spawned[i], NULL);
		s->spawned_live[i] = 0;
		rc = pthread_create(&s->spawned[i], NULL, pool_bench_spawned, arg);
		if (rc)
			return -rc;
		s->spawned_live[i] = 1;
		s->threads_made++;
		return 0;
	}
	case POOL_BENCH_APPLY:
		rc = procpool_apply(s->pool, pool_bench_task, seq, &result);
		if (rc < 0)
			return rc;
		pool_bench_done(arg, rc == 0, result);
		return 0;
	default:
		return procpool_apply_async(s->pool, pool_bench_task, seq, pool_bench_done, arg);
	}
}

/* Threads the variant has made so far. */
static uint64_t pool_bench_threads(const struct pool_bench_shared *s)
{
	switch (s->kind) {
	case POOL_BENCH_THREAD:
		return pool_thread_created(s->pool);
	case POOL_BENCH_TOKEN:
		return pool_token_created(s->pool);
	default:
		return s->threads_made;
	}
}

static void pool_bench_record(struct bench_task *t, const struct pool_bench_slot *sl)
{
	bench_record_ns(t, POOL_BENCH_START, sl->start_ns > sl->submit_ns ?
			sl->start_ns - sl->submit_ns : 0);
}

static uint64_t pool_bench_run(struct bench_task *t, uint64_t iters)
{
	struct pool_bench_shared *s = t->st->priv;
	uint64_t base = s->next_seq, t0, t1, made0, span, failed0;
	int rec;

	if (t->id != 0)
		return 0;	/* the pool's workers are the pool's own */
	rec = bench_recording(t);
	s->recording = rec;
	made0 = pool_bench_threads(s);
	failed0 = __atomic_load_n(&s->called_fail, __ATOMIC_RELAXED);
	t0 = bench_now_ns();
	for (uint64_t k = 0; k < iters; k++) {
		uint64_t seq = base + k;
		struct pool_bench_slot *sl = &s->slots[seq % POOL_BENCH_SLOTS];
		uint32_t was;

		if (__atomic_load_n(&s->in_flight, __ATOMIC_RELAXED) >= POOL_BENCH_SLOTS)
			pool_bench_await_flight(s, POOL_BENCH_SLOTS / 2);
		__atomic_add_fetch(&s->in_flight, 1, __ATOMIC_SEQ_CST);
		/* The count bounds the tasks in flight, but it is any
		 * task's: the one that last had this slot, POOL_BENCH_SLOTS
		 * tasks ago, may still run on a worker kept off its
		 * processor while the others did all the rest (seen under
		 * load).  Rare, and short next to a round: wait for it. */
		while ((was = __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE)) != POOL_SLOT_FREE &&
		       was != POOL_SLOT_DONE)
			sched_yield();
		if (rec && k >= POOL_BENCH_SLOTS)
			pool_bench_record(t, sl);
		if (rec)
			sl->submit_ns = bench_now_ns();
		__atomic_store_n(&sl->state, POOL_SLOT_SUBMITTED, __ATOMIC_RELEASE);
		if (pool_bench_submit(s, seq, k) < 0) {
			pool_bench_bad(s);
			__atomic_store_n(&sl->state, POOL_SLOT_DONE, __ATOMIC_RELEASE);
			pool_bench_landed(s);
		}
	}
	/* None in flight: every task of the round called back. */
	pool_bench_await_flight(s, 0);
	if (s->kind == POOL_BENCH_SPAWN)
		for (int i = 0; i < s->workers; i++)
			if (s->spawned_live[i]) {
				pthread_join(s->spawned[i], NULL);
				s->spawned_live[i] = 0;
			}
	t1 = bench_now_ns();
	if (rec)
		for (uint64_t k = iters > POOL_BENCH_SLOTS ? iters - POOL_BENCH_SLOTS : 0; k < iters; k++)
			pool_bench_record(t, &s->slots[(base + k) % POOL_BENCH_SLOTS]);
	s->next_seq = base + iters;
	s->submitted += iters;
	span = t1 > t0 ? t1 - t0 : 1;
	s->span_ns += span;
	if (iters) {
		double speedup = (double)iters * s->alone_ns / (double)span;

		bench_report(t, POOL_BENCH_SPEEDUP, speedup);
		bench_report(t, POOL_BENCH_EFFICIENCY, speedup / s->par);
		bench_report(t, POOL_BENCH_OVERHEAD,
			     (double)span * s->par / (double)iters - s->alone_ns);
		if (s->fail_every)
			bench_report(t, POOL_BENCH_FAILED,
				     (double)(__atomic_load_n(&s->called_fail, __ATOMIC_RELAXED) -
					      failed0) / (double)iters);
		if (s->kind <= POOL_BENCH_SPAWN)
			bench_report(t, POOL_BENCH_THREADS,
				     (double)(pool_bench_threads(s) - made0) / (double)iters);
	}
	return iters;
}

static const char *pool_bench_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	const struct pool_bench_shared *s = st->priv;
	uint64_t want_fail = 0;

	(void)base_iters;
	if (s->fail_every && s->submitted)
		want_fail = (s->submitted - 1) / s->fail_every + 1;	/* tasks 0, k, 2k, ... */
	if (s->submitted != run_iters)
		return "the submitter did not hand the pool one task per iteration";
	if (s->ran != s->submitted)
		return "a task did not run exactly once";
	if (s->called_ok + s->called_fail != s->submitted)
		return "a task was not called back exactly once";
	if (s->called_fail != want_fail)
		return "the tasks reported failed are not those that failed";
	if (s->bad)
		return "a task ran or was called back out of turn (twice, or before it ran)";
	if (s->early)
		return "a task was called back sooner after its start stamp than its own work "
		       "takes: start_* was not stamped at the task's first instruction";
	/* First principles: a task of work is task_ns of CPU time, and no
	 * more than most_at_once of them run at once, so the rounds lasted
	 * at least submitted x task_ns / most_at_once (a thread's CPU clock
	 * never runs faster than the wall clock).  5 % for the clocks. */
	if (!s->sleep && s->span_ns &&
	    (double)s->submitted * s->task_ns > 1.05 * (double)s->span_ns * s->most_at_once)
		return "the tasks did more work than their processors could in the rounds' time: "
		       "a task of work ended before task_us of its CPU time";
	return NULL;
}

static void pool_bench_teardown(struct bench_state *st)
{
	struct pool_bench_shared *s = st->priv;

	if (!s)
		return;
	switch (s->kind) {
	case POOL_BENCH_THREAD:
		if (s->pool)
			pool_thread_close(s->pool);
		pool_thread_destroy(s->pool);
		break;
	case POOL_BENCH_TOKEN:
		pool_token_destroy(s->pool);
		break;
	case POOL_BENCH_SPAWN:
		free(s->spawned);
		free(s->spawned_live);
		break;
	default:
		if (s->pool) {
			procpool_close(s->pool);
			procpool_join(s->pool);
		}
		procpool_destroy(s->pool);
	}
	s->pool = NULL;
	pool_bench_g = NULL;
}

static const struct bench_metric pool_bench_metrics[] = {
	{ .name = "tasks_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(POOL_BENCH_FIGURES)
	{ .name = NULL },
};

static const struct bench_param pool_bench_params[] = {
	{ .name = "task_us", .def = "1,10,100,1000", .quick = "10,1000",
	  .help = "each task's length in microseconds", .min = 1, .max = 1000000 },
	{ .name = "task", .def = "work,sleep", .quick = "work", .choices = "work|sleep",
	  .help = "a task is calibrated CPU work, or a sleep (I/O-like)" },
	{ .name = "fail_every", .def = "0", .min = 0, .max = 1000000000,
	  .help = "tasks 0, k, 2k, ... fail (reported ok=0 to their callbacks); 0: none" },
	{ .name = NULL },
};

#define POOL_BENCH_DESC(var, nm, sum, setup_fn)					\
	const struct bench_desc bench_pool_##var = {				\
		.name = nm, .summary = sum, .version = BENCH_VERSION,		\
		.modes = BENCH_MODE_THREAD, .oversubscribe = 1,			\
		.placements = "none", .min_iters = 16,				\
		.params = pool_bench_params, .metrics = pool_bench_metrics,	\
		.setup = setup_fn, .run = pool_bench_run,			\
		.check = pool_bench_check, .teardown = pool_bench_teardown,	\
	}

POOL_BENCH_DESC(thread, "pool.thread",
		"the callback thread pool: W workers made on demand and reused",
		pool_bench_setup_thread);
POOL_BENCH_DESC(token, "pool.token",
		"the token pool: W tokens, a new thread per task",
		pool_bench_setup_token);
POOL_BENCH_DESC(thread_per_task, "pool.thread_per_task",
		"a thread created and joined per task, W at once",
		pool_bench_setup_spawn);
POOL_BENCH_DESC(process_apply, "pool.process.apply",
		"the process pool's apply: each task waited for (one at a time)",
		pool_bench_setup_apply);
POOL_BENCH_DESC(process_async, "pool.process.async",
		"the process pool's apply_async, callbacks in the parent",
		pool_bench_setup_async);

/* ---- the lesson's scenes ---- */

enum { POOL_SCENE_CLOSE, POOL_SCENE_TERMINATE, POOL_SCENE_ASYNC };

#define POOL_SCENE_FIGURES(VALUE, HIST)						\
	VALUE(POOL_SCENE_CREATED, .name = "workers_created", .unit = "tasks",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(POOL_SCENE_DROPPED, .name = "dropped", .unit = "tasks",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(POOL_SCENE, POOL_SCENE_FIGURES);

static struct pool_scene_shared *pool_scene_g;

static void pool_scene_count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* The lesson's action(i) / Foo(i): a sleep, then i + 100. */
static int pool_scene_ptask(uint64_t i, uint64_t *result)
{
	struct pool_scene_shared *s = pool_scene_g;

	pool_scene_count(&s->ran);
	if (s->which == POOL_SCENE_TERMINATE &&
	    __atomic_add_fetch(&s->started_now, 1, __ATOMIC_RELAXED) == (uint32_t)s->workers)
		sync_event_set(&s->all_running);
	if (getpid() != s->parent)
		pool_scene_count(&s->in_worker);
	nanosleep(&s->nap, NULL);
	*result = i + 100;
	return 0;
}

static int pool_scene_task(void *arg, uint64_t *result)
{
	return pool_scene_ptask((uintptr_t)arg, result);
}

/* The lesson's callback / Bar(arg). */
static void pool_scene_cb(void *arg, int ok, uint64_t result)
{
	struct pool_scene_shared *s = pool_scene_g;

	pool_scene_count(&s->called);
	if (ok && result == (uintptr_t)arg + 100)
		pool_scene_count(&s->called_ok);
	if (getpid() == s->parent)
		pool_scene_count(&s->in_parent);
}

static int pool_scene_setup(struct bench_state *st, int which)
{
	long long task_us = bench_param_int(st, "task_us");
	struct pool_scene_shared *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->which = which;
	s->workers = 5;
	s->ntasks = which == POOL_SCENE_ASYNC ? 10 : 30;
	s->nap.tv_sec = task_us / 1000000;
	s->nap.tv_nsec = task_us % 1000000 * 1000;
	s->parent = getpid();
	pool_scene_g = s;
	st->priv = s;
	return 0;
}

static int pool_scene_setup_close(struct bench_state *st)
{
	return pool_scene_setup(st, POOL_SCENE_CLOSE);
}

static int pool_scene_setup_terminate(struct bench_state *st)
{
	return pool_scene_setup(st, POOL_SCENE_TERMINATE);
}

static int pool_scene_setup_async(struct bench_state *st)
{
	return pool_scene_setup(st, POOL_SCENE_ASYNC);
}

/* ThreadPool(5), 30 runs with a callback, then close or terminate. */
static void pool_scene_threads(struct bench_task *t, struct pool_scene_shared *s)
{
	struct pool_thread *p;
	size_t dropped = 0;
	unsigned made;

	if (pool_thread_create(&p, (unsigned)s->workers, 0) < 0) {
		pool_scene_count(&s->errors);
		return;
	}
	s->started_now = 0;
	sync_event_init(&s->all_running, 0);
	for (int i = 0; i < s->ntasks; i++)
		if (pool_thread_run(p, pool_scene_task, (void *)(uintptr_t)i, pool_scene_cb,
				    (void *)(uintptr_t)i) < 0)
			pool_scene_count(&s->errors);
	if (s->which == POOL_SCENE_CLOSE) {
		if (pool_thread_close(p) < 0)
			pool_scene_count(&s->errors);
	} else {
		/* As the lesson's: terminate while the workers are busy
		 * (each has started a task, and sleeps in it). */
		sync_event_wait(&s->all_running, -1);
		dropped = pool_thread_terminate(p);
	}
	made = pool_thread_created(p);
	if (made > (unsigned)s->workers)
		pool_scene_count(&s->too_many_workers);
	pool_thread_destroy(p);
	s->dropped += dropped;
	bench_report(t, POOL_SCENE_CREATED, made);
	bench_report(t, POOL_SCENE_DROPPED, (double)dropped);
}

/* Pool(5), 10 apply_async(Foo, i, callback=Bar), close, join. */
static void pool_scene_processes(struct pool_scene_shared *s)
{
	struct procpool *p;

	if (procpool_create(&p, (unsigned)s->workers) < 0) {
		pool_scene_count(&s->errors);
		return;
	}
	for (int i = 0; i < s->ntasks; i++)
		if (procpool_apply_async(p, pool_scene_ptask, (uint64_t)i, pool_scene_cb,
					 (void *)(uintptr_t)i) < 0)
			pool_scene_count(&s->errors);
	if (procpool_close(p) < 0 || procpool_join(p) < 0)
		pool_scene_count(&s->errors);
	procpool_destroy(p);
}

static uint64_t pool_scene_run(struct bench_task *t, uint64_t iters)
{
	struct pool_scene_shared *s = t->st->priv;

	for (uint64_t i = 0; i < iters; i++) {
		if (s->which == POOL_SCENE_ASYNC)
			pool_scene_processes(s);
		else
			pool_scene_threads(t, s);
		s->scenes++;
	}
	return iters;
}

static const char *pool_scene_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	const struct pool_scene_shared *s = st->priv;
	uint64_t all = (uint64_t)s->ntasks * run_iters;

	(void)base_iters;
	if (s->scenes != run_iters)
		return "a scene did not run once per iteration";
	if (s->errors)
		return "a pool call failed";
	if (s->too_many_workers)
		return "a pool made more workers than its maximum";
	if (s->called != s->ran)
		return "a task that ran was not called back exactly once";
	if (s->called_ok != s->called)
		return "a callback did not get its task's i + 100";
	switch (s->which) {
	case POOL_SCENE_CLOSE:
		if (s->ran != all || s->dropped)
			return "close did not run every queued task";
		break;
	case POOL_SCENE_TERMINATE:
		if (s->ran + s->dropped != all)
			return "terminate's dropped tasks and those that ran are not all the tasks";
		if (s->ran < (uint64_t)s->workers * run_iters)
			return "terminate came before every worker had started a task";
		break;
	default:
		if (s->ran != all)
			return "Pool(5) did not run its 10 tasks";
		if (s->in_worker != all)
			return "a task ran in the parent, not in a worker process";
		if (s->in_parent != all)
			return "a callback did not run in the parent";
	}
	return NULL;
}

static void pool_scene_teardown(struct bench_state *st)
{
	(void)st;
	pool_scene_g = NULL;
}

static const struct bench_metric pool_scene_metrics[] = {
	{ .name = "scene", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_FIGURE_ROWS(POOL_SCENE_FIGURES)
	{ .name = NULL },
};

static const struct bench_param pool_scene_params[] = {
	{ .name = "task_us", .def = "1000", .min = 1, .max = 10000000,
	  .help = "how long each task sleeps, in microseconds (the lesson: seconds)" },
	{ .name = NULL },
};

#define POOL_SCENE_DESC(var, nm, sum, setup_fn)					\
	const struct bench_desc bench_pool_scene_##var = {			\
		.name = nm, .summary = sum, .version = BENCH_VERSION,		\
		.modes = BENCH_MODE_THREAD, .tasks = 1, .placements = "none",	\
		.params = pool_scene_params, .metrics = pool_scene_metrics,	\
		.setup = setup_fn, .run = pool_scene_run,			\
		.check = pool_scene_check, .teardown = pool_scene_teardown,	\
	}

POOL_SCENE_DESC(close, "pool.scene.close",
		"ThreadPool(5) runs 30 tasks with a callback, then close: all 30 run",
		pool_scene_setup_close);
POOL_SCENE_DESC(terminate, "pool.scene.terminate",
		"ThreadPool(5) gets 30 tasks, then terminate: the queue is dropped",
		pool_scene_setup_terminate);
POOL_SCENE_DESC(apply_async, "pool.scene.apply_async",
		"Pool(5) runs 10 apply_async tasks, callback in the parent, close, join",
		pool_scene_setup_async);
