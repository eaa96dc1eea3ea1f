/*
 * tests/test_prim_procpool.c - the process pool (primitives/procpool.h):
 * apply, apply_async with its callback in the parent, map; every task
 * runs exactly once (counted by the workers in shared memory) and is
 * called back once with its outcome; a task that crashes, is killed or
 * exits takes its worker with it, is reported failed, and the pool goes on
 * with a new worker; join runs the queue to the end, terminate drops it;
 * no process, thread or descriptor is left after either.  The shared
 * rings under stress: many submitters and submitting callbacks, workers
 * killed in the middle of their rings, close and terminate with full
 * rings and a backlog, wake-ups each way thousands of times, an answer
 * behind a task that never ends; and no worker holds the program's
 * descriptors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "primitives/preempt.h"
#include "primitives/procpool.h"
#include "tests/check.h"
#include "tests/prim_leak.h"

#define PP_TASKS 600

/* In MAP_SHARED memory: the workers count what they ran. */
struct pp_shared {
	uint32_t ran[PP_TASKS];
	uint32_t started;
};

static struct pp_shared *pp_sh;

/* Parent side only (callbacks run on the pool's thread). */
static uint32_t pp_called[PP_TASKS];
static uint32_t pp_bad;

static void pp_setup(void)
{
	pp_sh = mmap(NULL, sizeof(*pp_sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	cr_assert_neq(pp_sh, MAP_FAILED);
}

/* Task i: result 3 i, fails when i % 5 == 0. */
static int pp_task(uint64_t i, uint64_t *result)
{
	__atomic_add_fetch(&pp_sh->ran[i], 1, __ATOMIC_RELAXED);
	*result = 3 * i;
	return i % 5 == 0;
}

/* Dies in three ways: a signal it sends itself, abort, exit. */
static int pp_task_dies(uint64_t i, uint64_t *result)
{
	__atomic_add_fetch(&pp_sh->ran[i], 1, __ATOMIC_RELAXED);
	if (i == 3)
		kill(getpid(), SIGKILL);
	if (i == 7)
		abort();
	if (i == 11)
		_exit(9);
	*result = 3 * i;
	return 0;
}

/* Never returns until killed. */
static int pp_task_hangs(uint64_t i, uint64_t *result)
{
	(void)i;
	(void)result;
	__atomic_add_fetch(&pp_sh->started, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
	return 0;
}

static void pp_cb(void *arg, int ok, uint64_t result)
{
	uint64_t i = (uintptr_t)arg;

	if (ok != (i % 5 != 0) || result != 3 * i)
		__atomic_add_fetch(&pp_bad, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pp_called[i], 1, __ATOMIC_RELEASE);
}

static int pp_dies_ok[PP_TASKS];

static void pp_cb_dies(void *arg, int ok, uint64_t result)
{
	uint64_t i = (uintptr_t)arg;

	pp_dies_ok[i] = ok;
	if (ok && result != 3 * i)
		__atomic_add_fetch(&pp_bad, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pp_called[i], 1, __ATOMIC_RELEASE);
}

Test(procpool, apply_async_runs_every_task_once_and_calls_back_in_the_parent, .timeout = 60)
{
	struct leak_snap before;
	struct procpool *p;

	pp_setup();
	leak_snap(&before);
	cr_assert_eq(procpool_create(&p, 3), 0);
	for (uint64_t i = 0; i < PP_TASKS; i++)
		cr_assert_eq(procpool_apply_async(p, pp_task, i, pp_cb, (void *)(uintptr_t)i), 0);
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_apply_async(p, pp_task, 0, pp_cb, NULL), -EPIPE);
	cr_assert_eq(procpool_join(p), 0);
	for (int i = 0; i < PP_TASKS; i++) {
		cr_assert_eq(pp_sh->ran[i], 1, "task %d ran %u times", i, pp_sh->ran[i]);
		cr_assert_eq(__atomic_load_n(&pp_called[i], __ATOMIC_ACQUIRE), 1,
			     "task %d called back %u times", i, pp_called[i]);
	}
	cr_assert_eq(pp_bad, 0, "%u callbacks saw a wrong outcome", pp_bad);
	cr_assert_eq(procpool_replaced(p), 0);
	cr_assert_eq(procpool_join(p), -EPIPE);
	procpool_destroy(p);
	leak_expect_none(&before, "a joined process pool");
}

Test(procpool, apply_and_map_return_results, .timeout = 60)
{
	uint64_t args[40], results[40], r = 0;
	int oks[40];
	struct procpool *p;

	pp_setup();
	cr_assert_eq(procpool_create(&p, 2), 0);
	cr_assert_eq(procpool_apply(p, pp_task, 4, &r), 0);
	cr_assert_eq(r, 12);
	cr_assert_eq(procpool_apply(p, pp_task, 5, &r), PROCPOOL_FAILED);
	cr_assert_eq(r, 15);
	for (int i = 0; i < 40; i++)
		args[i] = 100 + (uint64_t)i;
	cr_assert_eq(procpool_map(p, pp_task, args, 40, results, oks), 8);
	for (int i = 0; i < 40; i++) {
		cr_assert_eq(results[i], 3 * args[i]);
		cr_assert_eq(oks[i], args[i] % 5 != 0);
		cr_assert_eq(pp_sh->ran[100 + i], 1);
	}
	cr_assert_eq(procpool_map(p, pp_task, args, 0, NULL, NULL), 0);
	cr_assert_eq(procpool_join(p), -EINVAL, "join before close");
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_apply(p, pp_task, 4, &r), -EPIPE);
	cr_assert_eq(procpool_map(p, pp_task, args, 3, NULL, NULL), -EPIPE);
	cr_assert_eq(procpool_join(p), 0);
	procpool_destroy(p);
	cr_assert_eq(procpool_create(&p, 0), -EINVAL);
}

/* Three tasks kill their workers; each is reported failed, its worker
 * replaced, and every other task of the batch runs and succeeds. */
Test(procpool, a_task_that_kills_its_worker_is_reported_and_the_worker_replaced,
     .timeout = 60)
{
	struct leak_snap before;
	struct procpool *p;

	pp_setup();
	leak_snap(&before);
	cr_assert_eq(procpool_create(&p, 2), 0);
	for (uint64_t i = 0; i < 60; i++)
		cr_assert_eq(procpool_apply_async(p, pp_task_dies, i, pp_cb_dies,
						  (void *)(uintptr_t)i), 0);
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_join(p), 0);
	for (int i = 0; i < 60; i++) {
		int dies = i == 3 || i == 7 || i == 11;

		cr_assert_eq(pp_sh->ran[i], 1, "task %d ran %u times", i, pp_sh->ran[i]);
		cr_assert_eq(pp_called[i], 1, "task %d called back %u times", i, pp_called[i]);
		cr_assert_eq(pp_dies_ok[i], !dies, "task %d: ok %d", i, pp_dies_ok[i]);
	}
	cr_assert_eq(pp_bad, 0);
	cr_assert_eq(procpool_replaced(p), 3);
	procpool_destroy(p);
	leak_expect_none(&before, "a process pool whose workers died");
}

/* A worker killed from outside while idle: replaced, the pool goes on. */
Test(procpool, a_worker_killed_while_idle_is_replaced, .timeout = 60)
{
	struct procpool *p;
	pid_t pids[2];
	uint64_t r;

	pp_setup();
	cr_assert_eq(procpool_create(&p, 2), 0);
	procpool_pids(p, pids, 2);
	cr_assert(pids[0] > 0 && pids[1] > 0);
	cr_assert_eq(kill(pids[0], SIGKILL), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, procpool_replaced(p) == 1));
	for (uint64_t i = 1; i < 20; i++) {
		cr_assert_eq(procpool_apply(p, pp_task, 5 * i + 1, &r), 0);
		cr_assert_eq(r, 3 * (5 * i + 1));
	}
	procpool_pids(p, pids, 2);
	cr_assert(pids[0] > 0 && pids[1] > 0);
	procpool_destroy(p);
}

/* Two workers stuck in tasks that never return, eight more queued:
 * terminate kills both, drops all ten, and leaves nothing. */
Test(procpool, terminate_kills_the_workers_and_drops_the_queue, .timeout = 60)
{
	struct leak_snap before;
	struct procpool *p;

	pp_setup();
	leak_snap(&before);
	cr_assert_eq(procpool_create(&p, 2), 0);
	for (uint64_t i = 0; i < 10; i++)
		cr_assert_eq(procpool_apply_async(p, pp_task_hangs, i, pp_cb, (void *)(uintptr_t)i),
			     0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       __atomic_load_n(&pp_sh->started, __ATOMIC_ACQUIRE) == 2));
	cr_assert_eq(procpool_terminate(p), 10);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(pp_called[i], 0, "a dropped task %d was called back", i);
	cr_assert_eq(pp_sh->started, 2);
	cr_assert_eq(procpool_terminate(p), 0);
	procpool_destroy(p);
	leak_expect_none(&before, "a terminated process pool");
}

/* Destroyed without close or join: terminated, nothing left. */
Test(procpool, destroy_leaves_nothing, .timeout = 60)
{
	struct leak_snap before;
	struct procpool *p;

	pp_setup();
	leak_snap(&before);
	cr_assert_eq(procpool_create(&p, 4), 0);
	for (uint64_t i = 0; i < 100; i++)
		cr_assert_eq(procpool_apply_async(p, pp_task, i, NULL, NULL), 0);
	procpool_destroy(p);
	leak_expect_none(&before, "a destroyed process pool");
}

/* ---- the shared rings under stress ---- */

#define PP_STRESS_TASKS	12000

/* In MAP_SHARED memory: what the workers ran. */
struct pp_stress {
	uint32_t ran[PP_STRESS_TASKS];
	uint32_t spin_ns;		/* each task's length */
};

static struct pp_stress *pp_st;
/* Parent side: each task's callbacks, and how they saw it end. */
static uint32_t pp_st_called[PP_STRESS_TASKS];
static uint32_t pp_st_ok[PP_STRESS_TASKS];
static uint32_t pp_st_wrong;

static void pp_stress_setup(uint32_t spin_ns)
{
	pp_st = mmap(NULL, sizeof(*pp_st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	cr_assert_neq(pp_st, MAP_FAILED);
	pp_st->spin_ns = spin_ns;
}

static void pp_spin(uint32_t ns)
{
	int64_t end = check_now_ns() + ns;

	while (ns && check_now_ns() < end)
		;
}

/* Task i: counts itself, spins, answers i * 7 + 1. */
static int pp_st_task(uint64_t i, uint64_t *result)
{
	__atomic_add_fetch(&pp_st->ran[i], 1, __ATOMIC_RELAXED);
	pp_spin(pp_st->spin_ns);
	*result = i * 7 + 1;
	return 0;
}

static void pp_st_cb(void *arg, int ok, uint64_t result)
{
	uint64_t i = (uintptr_t)arg;

	if (ok && result != i * 7 + 1)
		__atomic_add_fetch(&pp_st_wrong, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pp_st_ok[i], (uint32_t)ok, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pp_st_called[i], 1, __ATOMIC_RELEASE);
}

/* Every task i < n ran once and was called back once, ok. */
static void pp_st_expect_all(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		cr_assert_eq(pp_st->ran[i], 1, "task %lu ran %u times", (unsigned long)i,
			     pp_st->ran[i]);
		cr_assert_eq(pp_st_called[i], 1, "task %lu called back %u times",
			     (unsigned long)i, pp_st_called[i]);
		cr_assert_eq(pp_st_ok[i], 1, "task %lu reported failed", (unsigned long)i);
	}
	cr_assert_eq(pp_st_wrong, 0, "%u callbacks got another task's result", pp_st_wrong);
}

/* The callbacks submit too: task i < PP_CHAIN submits i + PP_CHAIN_BASE. */
#define PP_CHAIN	2000
#define PP_CHAIN_BASE	10000

static struct procpool *pp_chain_pool;
static uint32_t pp_chain_sent, pp_chain_errors;

static void pp_chain_cb(void *arg, int ok, uint64_t result)
{
	uint64_t i = (uintptr_t)arg;

	pp_st_cb(arg, ok, result);
	if (i >= PP_CHAIN)
		return;
	if (procpool_apply_async(pp_chain_pool, pp_st_task, i + PP_CHAIN_BASE, pp_st_cb,
				 (void *)(uintptr_t)(i + PP_CHAIN_BASE)) != 0)
		__atomic_add_fetch(&pp_chain_errors, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pp_chain_sent, 1, __ATOMIC_RELEASE);
}

struct pp_submitter {
	struct procpool *p;
	uint64_t first, n;
	int errors;
};

static void *pp_submit_thread(void *arg)
{
	struct pp_submitter *s = arg;

	for (uint64_t i = s->first; i < s->first + s->n; i++)
		if (procpool_apply_async(s->p, pp_st_task, i, pp_chain_cb, (void *)(uintptr_t)i) != 0)
			s->errors++;
	return NULL;
}

/*
 * Many producers and consumers: three threads submit 3,000 tasks each
 * while the callbacks of the first 2,000 submit one more each (so the
 * result thread produces too), to five workers: far more than their
 * rings hold, so tasks wait in the backlog and go out as slots free.
 * Every one runs exactly once and is called back once with its result.
 */
Test(procpool, every_task_once_under_many_producers_and_workers, .timeout = 120)
{
	struct pp_submitter sub[3];
	struct leak_snap before;
	pthread_t th[3];

	pp_stress_setup(0);
	leak_snap(&before);
	cr_assert_eq(procpool_create(&pp_chain_pool, 5), 0);
	for (int t = 0; t < 3; t++) {
		sub[t] = (struct pp_submitter){ .p = pp_chain_pool, .first = 3000 * (uint64_t)t,
						.n = 3000 };
		cr_assert_eq(pthread_create(&th[t], NULL, pp_submit_thread, &sub[t]), 0);
	}
	for (int t = 0; t < 3; t++) {
		pthread_join(th[t], NULL);
		cr_assert_eq(sub[t].errors, 0);
	}
	/* The chain's links are submitted by callbacks: all of them before
	 * close refuses more. */
	cr_assert_eq(CHECK_PROGRESS(__atomic_load_n(&pp_chain_sent, __ATOMIC_ACQUIRE), PP_CHAIN,
				    CHECK_STALL_NS), PP_CHAIN, "the callbacks' submissions stalled");
	cr_assert_eq(procpool_close(pp_chain_pool), 0);
	cr_assert_eq(procpool_join(pp_chain_pool), 0);
	cr_assert_eq(pp_chain_errors, 0);
	pp_st_expect_all(9000);
	for (uint64_t i = 9000; i < PP_CHAIN_BASE; i++)
		cr_assert_eq(pp_st->ran[i] + pp_st_called[i], 0);
	for (uint64_t i = PP_CHAIN_BASE; i < PP_CHAIN_BASE + PP_CHAIN; i++) {
		cr_assert_eq(pp_st->ran[i], 1, "chained task %lu ran %u times", (unsigned long)i,
			     pp_st->ran[i]);
		cr_assert_eq(pp_st_called[i], 1);
		cr_assert_eq(pp_st_ok[i], 1);
	}
	cr_assert_eq(procpool_replaced(pp_chain_pool), 0);
	procpool_destroy(pp_chain_pool);
	leak_expect_none(&before, "a process pool after 11,000 tasks");
}

/*
 * Workers killed from outside in the middle of their rings: 3,000 tasks
 * of 50 us on three workers, and a worker SIGKILLed every few
 * milliseconds, ten times.  Each task is called back exactly once; one
 * called back ok ran exactly once (a task its dead worker never took is
 * run by another, not twice); one reported failed is the one its worker
 * held, so it ran at most once, and there are at most as many as kills.
 */
Test(procpool, a_worker_killed_mid_batch_loses_and_repeats_nothing, .timeout = 120)
{
	enum { N = 3000, KILLS = 10 };
	const struct timespec gap = { 0, 3000000 };
	struct leak_snap before;
	struct procpool *p;
	unsigned failed = 0;
	int kills = 0;

	pp_stress_setup(50000);
	leak_snap(&before);
	cr_assert_eq(procpool_create(&p, 3), 0);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(procpool_apply_async(p, pp_st_task, i, pp_st_cb, (void *)(uintptr_t)i),
			     0);
	for (int k = 0; k < KILLS; k++) {
		pid_t pids[3];

		nanosleep(&gap, NULL);
		procpool_pids(p, pids, 3);
		cr_assert_gt(pids[k % 3], 0);
		cr_assert_eq(kill(pids[k % 3], SIGKILL), 0);
		kills++;
		/* Reaped (so the next kill is another process's). */
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, ({
			pid_t now[3];

			procpool_pids(p, now, 3);
			now[k % 3] != pids[k % 3];
		})), "killed worker %d was never reaped", (int)pids[k % 3]);
	}
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_join(p), 0);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(pp_st_called[i], 1, "task %d called back %u times", i,
			     pp_st_called[i]);
		if (pp_st_ok[i])
			cr_assert_eq(pp_st->ran[i], 1, "task %d reported ok ran %u times", i,
				     pp_st->ran[i]);
		else
			cr_assert_leq(pp_st->ran[i], 1, "failed task %d ran %u times", i,
				      pp_st->ran[i]);
		failed += !pp_st_ok[i];
	}
	cr_assert_eq(pp_st_wrong, 0);
	cr_assert_leq(failed, (unsigned)kills, "%u tasks failed for %d kills", failed, kills);
	cr_assert_eq(procpool_replaced(p), (uint64_t)kills);
	procpool_destroy(p);
	leak_expect_none(&before, "a process pool whose workers were killed mid-batch");
}

/*
 * close with the rings full and a backlog: join runs every task to the
 * end.  2 workers, 400 tasks of 100 us (over three times their rings).
 */
Test(procpool, close_runs_everything_in_the_rings_and_the_backlog, .timeout = 60)
{
	struct procpool *p;

	pp_stress_setup(100000);
	cr_assert_eq(procpool_create(&p, 2), 0);
	for (uint64_t i = 0; i < 400; i++)
		cr_assert_eq(procpool_apply_async(p, pp_st_task, i, pp_st_cb, (void *)(uintptr_t)i),
			     0);
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_join(p), 0);
	pp_st_expect_all(400);
	procpool_destroy(p);
}

/* Tasks from PP_HANG_FROM on never return. */
#define PP_HANG_FROM	500

static int pp_st_task_or_hang(uint64_t i, uint64_t *result)
{
	if (i < PP_HANG_FROM)
		return pp_st_task(i, result);
	__atomic_add_fetch(&pp_st->ran[i], 1, __ATOMIC_RELAXED);
	for (;;)
		pause();
	return 0;
}

/*
 * terminate with the rings full and a backlog: 1,000 tasks on two
 * workers, the last 500 never return.  Each ring runs in order, so each
 * worker runs all of its first 500 and sticks in its first hanging one;
 * then terminate: the first 500 are called back (those whose answers
 * were still in the rings too), the other 500 dropped, two of them
 * started, none called back.
 */
Test(procpool, terminate_drops_what_the_rings_and_the_backlog_hold, .timeout = 60)
{
	enum { N = 1000 };
	struct leak_snap before;
	unsigned started = 0;
	struct procpool *p;

	pp_stress_setup(20000);
	leak_snap(&before);
	cr_assert_eq(procpool_create(&p, 2), 0);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(procpool_apply_async(p, pp_st_task_or_hang, i, pp_st_cb,
						  (void *)(uintptr_t)i), 0);
	cr_assert_eq(CHECK_PROGRESS(({
		uint64_t in = 0;

		for (int i = PP_HANG_FROM; i < N; i++)
			in += __atomic_load_n(&pp_st->ran[i], __ATOMIC_RELAXED);
		in;
	}), 2, CHECK_STALL_NS), 2, "the workers never reached the hanging tasks");
	cr_assert_eq(procpool_terminate(p), N - PP_HANG_FROM);
	pp_st_expect_all(PP_HANG_FROM);
	for (int i = PP_HANG_FROM; i < N; i++) {
		cr_assert_eq(pp_st_called[i], 0, "dropped task %d was called back", i);
		started += pp_st->ran[i];
	}
	cr_assert_eq(started, 2);
	cr_assert_eq(procpool_apply_async(p, pp_st_task, 0, pp_st_cb, NULL), -EPIPE);
	procpool_destroy(p);
	leak_expect_none(&before, "a process pool terminated with full rings");
}

/*
 * The wake-ups each way, thousands of times: every task given alone
 * finds its worker asleep (the ring ran dry after the last) and must
 * wake it, and the worker must wake the sleeping parent; bursts between
 * naps let both sides fall asleep with answers in flight.  Each task's
 * callback is awaited for CHECK_WAKE_NS, so a lost wake-up is named in
 * seconds rather than left to hang.
 */
Test(procpool, no_wake_up_is_lost_either_way, .timeout = 120)
{
	const struct timespec nap = { 0, 200000 };
	struct procpool *p;
	uint64_t next = 0;

	pp_stress_setup(0);
	cr_assert_eq(procpool_create(&p, 2), 0);
	for (int round = 0; round < 40; round++) {
		for (int k = 0; k < 50; k++, next++) {
			cr_assert_eq(procpool_apply_async(p, pp_st_task, next, pp_st_cb,
							  (void *)(uintptr_t)next), 0);
			cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
					       __atomic_load_n(&pp_st_called[next],
							       __ATOMIC_ACQUIRE) == 1),
				  "task %lu was never called back: a wake-up was lost",
				  (unsigned long)next);
		}
		for (int k = 0; k < 1 + round % 7; k++, next++)
			cr_assert_eq(procpool_apply_async(p, pp_st_task, next, pp_st_cb,
							  (void *)(uintptr_t)next), 0);
		nanosleep(&nap, NULL);
	}
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_join(p), 0);
	pp_st_expect_all(next);
	procpool_destroy(p);
}

/* Never returns until killed, after counting itself. */
static int pp_st_hang(uint64_t i, uint64_t *result)
{
	(void)result;
	__atomic_add_fetch(&pp_st->ran[i], 1, __ATOMIC_RELAXED);
	for (;;)
		pause();
	return 0;
}

/*
 * An answer is not held behind a long task: one worker runs a short
 * task, then one that never returns, from the same ring; the short
 * task's callback comes all the same (the worker does not ring the
 * parent for it: it still has a task to run, and fewer answers than a
 * batch; the parent, asleep with nothing in flight, is rung when the
 * worker gets its second task, and then looks by itself).
 */
Test(procpool, an_answer_is_not_held_behind_a_long_task, .timeout = 60)
{
	const struct timespec nap = { 0, 50000000 };
	struct procpool *p;

	/* 20 ms: the second task is on the ring long before the first ends. */
	pp_stress_setup(20000000);
	cr_assert_eq(procpool_create(&p, 1), 0);
	/* Time for the result thread to fall asleep with nothing in flight,
	 * so that the tasks below find it there (no timing is asserted: had
	 * it not slept yet, it would see them and keep looking). */
	nanosleep(&nap, NULL);
	cr_assert_eq(procpool_apply_async(p, pp_st_task, 0, pp_st_cb, (void *)0), 0);
	cr_assert_eq(procpool_apply_async(p, pp_st_hang, 1, pp_st_cb, (void *)1), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       __atomic_load_n(&pp_st_called[0], __ATOMIC_ACQUIRE) == 1),
		  "the short task's callback never came");
	cr_assert_eq(pp_st_ok[0], 1);
	/* The worker took the hanging task before the parent could see the
	 * first answer, but may not have counted itself in it yet. */
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       __atomic_load_n(&pp_st->ran[1], __ATOMIC_RELAXED) == 1),
		  "the hanging task never started");
	cr_assert_eq(procpool_terminate(p), 1);
	cr_assert_eq(pp_st_called[1], 0);
	procpool_destroy(p);
}

/*
 * A worker holds none of the program's descriptors: the write end of a
 * pipe the program closes reads end-of-file soon after, though the
 * pool's workers were forked while it was open (each closes what it
 * inherited as it starts; one that kept it would keep the reader
 * waiting, as a kept socket would hide a death).
 */
Test(procpool, a_worker_holds_none_of_the_programs_descriptors, .timeout = 60)
{
	struct procpool *p;
	int fds[2];
	char c;

	cr_assert_eq(pipe2(fds, O_NONBLOCK), 0);
	cr_assert_eq(procpool_create(&p, 2), 0);
	close(fds[1]);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, read(fds[0], &c, 1) == 0),
		  "a worker holds the pipe's write end");
	close(fds[0]);
	procpool_close(p);
	procpool_join(p);
	procpool_destroy(p);
}

/* Task 1 kills its worker; the others are pp_st_task. */
static int pp_st_task_or_die(uint64_t i, uint64_t *result)
{
	if (i == 1) {
		__atomic_add_fetch(&pp_st->ran[i], 1, __ATOMIC_RELAXED);
		kill(getpid(), SIGKILL);
	}
	return pp_st_task(i, result);
}

/*
 * What a worker answered before it died is called back as it ended: one
 * worker runs task 0 (20 ms, ok) with task 1 behind it on its ring, so
 * it does not ring the parent for task 0's answer; task 1 kills it.
 * Task 0 is called back ok with its result, task 1 failed, task 2 (after
 * it) runs on the new worker.
 */
Test(procpool, answers_a_worker_left_when_it_died_are_called_back, .timeout = 60)
{
	const struct timespec nap = { 0, 50000000 };
	struct procpool *p;

	pp_stress_setup(20000000);
	cr_assert_eq(procpool_create(&p, 1), 0);
	nanosleep(&nap, NULL);	/* as above: the result thread asleep first */
	for (uint64_t i = 0; i < 3; i++)
		cr_assert_eq(procpool_apply_async(p, pp_st_task_or_die, i, pp_st_cb,
						  (void *)(uintptr_t)i), 0);
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_join(p), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(pp_st->ran[i], 1, "task %d ran %u times", i, pp_st->ran[i]);
		cr_assert_eq(pp_st_called[i], 1, "task %d called back %u times", i,
			     pp_st_called[i]);
	}
	cr_assert_eq(pp_st_ok[0], 1, "task 0 ended well before its worker died");
	cr_assert_eq(pp_st_ok[1], 0, "task 1 killed its worker");
	cr_assert_eq(pp_st_ok[2], 1);
	cr_assert_eq(pp_st_wrong, 0);
	cr_assert_eq(procpool_replaced(p), 1);
	procpool_destroy(p);
}

/* Task 1 never returns; the others are pp_st_task. */
static int pp_st_task_or_hang1(uint64_t i, uint64_t *result)
{
	return i == 1 ? pp_st_hang(i, result) : pp_st_task(i, result);
}

/*
 * terminate calls back what ended, even if its answer still waits in a
 * ring: one worker runs task 0 (100 ms, ok) with task 1 (never returns)
 * behind it, so it does not ring for task 0's answer; terminate comes as
 * soon as task 1 has started.  Task 0 is called back ok, tasks 1 and 2
 * are dropped.
 */
Test(procpool, terminate_calls_back_the_answers_left_in_the_rings, .timeout = 60)
{
	const struct timespec nap = { 0, 50000000 };
	struct procpool *p;

	/* 100 ms: ends between the parent's looks (at 1, 3, 7 ... 63, 127
	 * ms: see PROCPOOL__BACKSTOP_MS), so that terminate, which follows
	 * at once, finds its answer still in the ring. */
	pp_stress_setup(100000000);
	cr_assert_eq(procpool_create(&p, 1), 0);
	nanosleep(&nap, NULL);	/* as above: the result thread asleep first */
	for (uint64_t i = 0; i < 3; i++)
		cr_assert_eq(procpool_apply_async(p, pp_st_task_or_hang1, i, pp_st_cb,
						  (void *)(uintptr_t)i), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, __atomic_load_n(&pp_st->ran[1], __ATOMIC_RELAXED)));
	cr_assert_eq(procpool_terminate(p), 2);
	cr_assert_eq(pp_st_called[0], 1, "task 0 ended, yet was not called back");
	cr_assert_eq(pp_st_ok[0], 1);
	cr_assert_eq(pp_st_called[1] + pp_st_called[2], 0);
	cr_assert_eq(pp_st_wrong, 0);
	procpool_destroy(p);
}

/* ---- a million ---- */

/* Tasks of the million run; a fiftieth under the sanitizers. */
#define PP_MILLION	CHECK_STRESS_ITEMS(1000000u)
#define PP_MILLION_SUBMITTERS 3

/* In MAP_SHARED memory: how often each task ran (in a worker). */
static uint8_t *pp_m_ran;
/* In the parent: how often each was called back, and with what. */
static uint8_t *pp_m_called;
static uint32_t pp_m_wrong;

static int pp_m_task(uint64_t i, uint64_t *result)
{
	__atomic_add_fetch(&pp_m_ran[i], 1, __ATOMIC_RELAXED);
	*result = ~i;
	return 0;
}

static void pp_m_cb(void *arg, int ok, uint64_t result)
{
	uint64_t i = (uintptr_t)arg;

	if (!ok || result != ~i)
		__atomic_add_fetch(&pp_m_wrong, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pp_m_called[i], 1, __ATOMIC_RELAXED);
}

static void *pp_m_submit(void *arg)
{
	struct pp_submitter *s = arg;

	for (uint64_t i = s->first; i < s->first + s->n; i++)
		if (procpool_apply_async(s->p, pp_m_task, i, pp_m_cb, (void *)(uintptr_t)i) != 0)
			s->errors++;
	return NULL;
}

/*
 * The long run (issue 17): a million empty tasks from three submitting
 * threads to four workers, through the shared rings and the backlog:
 * each runs exactly once, in a worker, and is called back exactly once
 * with its own result.  The preemption points are thinned to one in 16,
 * as for the queues' long runs (test_prim_queue_stress.c).
 */
Test(procpool, a_million_tasks_each_once, .timeout = 120)
{
	struct pp_submitter sub[PP_MILLION_SUBMITTERS];
	pthread_t th[PP_MILLION_SUBMITTERS];
	struct leak_snap before;
	struct procpool *p;

	prim_preempt_thin(4);
	pp_m_ran = mmap(NULL, PP_MILLION, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			0);
	cr_assert_neq(pp_m_ran, MAP_FAILED);
	pp_m_called = calloc(PP_MILLION, 1);
	cr_assert_not_null(pp_m_called);
	leak_snap(&before);
	cr_assert_eq(procpool_create(&p, 4), 0);
	for (int t = 0; t < PP_MILLION_SUBMITTERS; t++) {
		sub[t] = (struct pp_submitter){ .p = p };
		check_share(PP_MILLION, PP_MILLION_SUBMITTERS, t, &sub[t].first, &sub[t].n);
		cr_assert_eq(pthread_create(&th[t], NULL, pp_m_submit, &sub[t]), 0);
	}
	for (int t = 0; t < PP_MILLION_SUBMITTERS; t++) {
		pthread_join(th[t], NULL);
		cr_assert_eq(sub[t].errors, 0);
	}
	cr_assert_eq(procpool_close(p), 0);
	cr_assert_eq(procpool_join(p), 0);
	check_each_once(pp_m_ran, PP_MILLION, "ran");
	check_each_once(pp_m_called, PP_MILLION, "called back");
	cr_assert_eq(pp_m_wrong, 0, "%u callbacks failed or got another task's result",
		     pp_m_wrong);
	cr_assert_eq(procpool_replaced(p), 0);
	procpool_destroy(p);
	leak_expect_none(&before, "a process pool after a million tasks");
	munmap(pp_m_ran, PP_MILLION);
	free(pp_m_called);
}
