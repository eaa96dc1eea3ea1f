/*
 * tests/test_prim_procpool.c - the process pool (primitives/procpool.h):
 * apply, apply_async with its callback in the parent, map; every task
 * runs exactly once (counted by the workers in shared memory) and is
 * called back once with its outcome; a task that crashes, is killed or
 * exits takes its worker with it, is reported failed, and the pool goes on
 * with a new worker; join runs the queue to the end, terminate drops it;
 * no process, thread or descriptor is left after either.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

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
