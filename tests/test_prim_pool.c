/*
 * tests/test_prim_pool.c - the callback thread pool and the token pool
 * (primitives/pool.h): every task runs exactly once and its callback sees
 * it, with its outcome (success and failure); close runs the queue to the
 * end, terminate drops it; workers are made on demand, never more than
 * the maximum, and reused; no thread or descriptor outlives a pool.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

#include "primitives/pool.h"
#include "primitives/preempt.h"
#include "tests/check.h"
#include "tests/prim_leak.h"

#define POOL_TEST_TASKS 2000

/* What the tasks and callbacks of one test count. */
struct pool_test {
	uint32_t ran[POOL_TEST_TASKS];
	uint32_t called[POOL_TEST_TASKS];
	uint32_t bad_outcome;		/* a callback saw the wrong ok or result */
	uint32_t running, most_running;	/* tasks inside fn at once */
	uint32_t started;
	struct sync_event gate;		/* tasks that wait wait for this */
	int wait_gate;
};

struct pool_test_arg {
	struct pool_test *t;
	unsigned i;
};

static struct pool_test_arg pool_test_args[POOL_TEST_TASKS];

/* Task i fails when i % 7 == 0; either way its result is 2 i. */
static int pool_test_task(void *arg, uint64_t *result)
{
	struct pool_test_arg *a = arg;
	struct pool_test *t = a->t;
	uint32_t in = __atomic_add_fetch(&t->running, 1, __ATOMIC_ACQ_REL);

	for (uint32_t m = __atomic_load_n(&t->most_running, __ATOMIC_RELAXED);
	     m < in && !__atomic_compare_exchange_n(&t->most_running, &m, in, 1, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);)
		;
	__atomic_add_fetch(&t->ran[a->i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->started, 1, __ATOMIC_RELEASE);
	if (t->wait_gate)
		sync_event_wait(&t->gate, -1);
	__atomic_sub_fetch(&t->running, 1, __ATOMIC_ACQ_REL);
	*result = 2ull * a->i;
	return a->i % 7 == 0;
}

static void pool_test_cb(void *arg, int ok, uint64_t result)
{
	struct pool_test_arg *a = arg;

	if (ok != (a->i % 7 != 0) || result != 2ull * a->i)
		__atomic_add_fetch(&a->t->bad_outcome, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&a->t->called[a->i], 1, __ATOMIC_RELEASE);
}

static struct pool_test *pool_test_new(int wait_gate)
{
	struct pool_test *t = calloc(1, sizeof(*t));

	cr_assert_not_null(t);
	sync_event_init(&t->gate, 0);
	t->wait_gate = wait_gate;
	for (unsigned i = 0; i < POOL_TEST_TASKS; i++)
		pool_test_args[i] = (struct pool_test_arg){ .t = t, .i = i };
	return t;
}

/* Tasks [0, n) ran once and were called back once; [n, N) never. */
static void pool_test_expect_once(struct pool_test *t, unsigned n)
{
	for (unsigned i = 0; i < POOL_TEST_TASKS; i++) {
		unsigned want = i < n;

		cr_assert_eq(__atomic_load_n(&t->ran[i], __ATOMIC_ACQUIRE), want,
			     "task %u ran %u times", i, t->ran[i]);
		cr_assert_eq(__atomic_load_n(&t->called[i], __ATOMIC_ACQUIRE), want,
			     "task %u called back %u times", i, t->called[i]);
	}
	cr_assert_eq(t->bad_outcome, 0, "%u callbacks saw a wrong outcome", t->bad_outcome);
}

Test(pool, every_task_runs_once_and_is_called_back, .timeout = 60)
{
	for (size_t maxsize = 0; maxsize <= 8; maxsize += 8) {
		struct pool_test *t = pool_test_new(0);
		struct pool_thread *p;
		struct leak_snap before;

		leak_snap(&before);
		cr_assert_eq(pool_thread_create(&p, 4, maxsize), 0);
		for (unsigned i = 0; i < POOL_TEST_TASKS; i++)
			cr_assert_eq(pool_thread_run(p, pool_test_task, &pool_test_args[i],
						     pool_test_cb, &pool_test_args[i]), 0);
		cr_assert_eq(pool_thread_close(p), 0);
		pool_test_expect_once(t, POOL_TEST_TASKS);
		cr_assert_leq(pool_thread_created(p), 4);
		cr_assert_geq(pool_thread_created(p), 1);
		cr_assert_leq(t->most_running, 4, "%u tasks ran at once in a pool of 4",
			      t->most_running);
		cr_assert_eq(pool_thread_run(p, pool_test_task, &pool_test_args[0], NULL, NULL),
			     -EPIPE);
		cr_assert_eq(pool_thread_close(p), -EPIPE);
		pool_thread_destroy(p);
		leak_expect_none(&before, "a closed thread pool");
		free(t);
	}
}

/* The lesson's scene: 5 workers, 30 tasks, close: all 30 run, in a queue
 * bounded below the task count (run waits for room). */
Test(pool, close_runs_the_queue_to_the_end, .timeout = 60)
{
	struct pool_test *t = pool_test_new(1);
	struct pool_thread *p;

	cr_assert_eq(pool_thread_create(&p, 5, 0), 0);
	for (unsigned i = 0; i < 30; i++)
		cr_assert_eq(pool_thread_run(p, pool_test_task, &pool_test_args[i], pool_test_cb,
					     &pool_test_args[i]), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, __atomic_load_n(&t->started, __ATOMIC_ACQUIRE) == 5));
	sync_event_set(&t->gate);
	cr_assert_eq(pool_thread_close(p), 0);
	pool_test_expect_once(t, 30);
	cr_assert_eq(pool_thread_created(p), 5);
	pool_thread_destroy(p);
	free(t);
}

struct pool_test_term {
	struct pool_thread *p;
	size_t dropped;
	uint32_t done;
};

static void *pool_test_terminator(void *arg)
{
	struct pool_test_term *x = arg;

	x->dropped = pool_thread_terminate(x->p);
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool pool_test_closed(struct pool_thread *p)
{
	int c;

	sync_lock_acquire(&p->lock);
	c = p->closed;
	sync_lock_release(&p->lock);
	return c;
}

/* 5 workers held in their first tasks, 25 queued: terminate drops the 25
 * (no run, no callback) and waits for the 5, which finish. */
Test(pool, terminate_drops_the_queue_and_finishes_the_running, .timeout = 60)
{
	struct pool_test *t = pool_test_new(1);
	struct pool_test_term x = { 0 };
	struct leak_snap before;
	pthread_t th;

	leak_snap(&before);
	cr_assert_eq(pool_thread_create(&x.p, 5, 0), 0);
	for (unsigned i = 0; i < 30; i++)
		cr_assert_eq(pool_thread_run(x.p, pool_test_task, &pool_test_args[i], pool_test_cb,
					     &pool_test_args[i]), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, __atomic_load_n(&t->started, __ATOMIC_ACQUIRE) == 5));
	/* The owner's call, made from another thread.  Once it has marked
	 * the pool closed, this one takes the pool's own lock, which
	 * terminate takes again after emptying the queue: then either the
	 * queue still empties (terminate waits for us right after) or it
	 * was emptied already (the queued count is 0).  Only then are the
	 * running tasks let go, so none of the 25 can be started. */
	cr_assert_eq(pthread_create(&th, NULL, pool_test_terminator, &x), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, pool_test_closed(x.p)));
	sync_lock_acquire(&x.p->lock);
	if (x.p->queued)
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, queue_qsize(x.p->q) == 0));
	sync_event_set(&t->gate);
	cr_assert_not(__atomic_load_n(&x.done, __ATOMIC_ACQUIRE),
		      "terminate returned while tasks were still running");
	sync_lock_release(&x.p->lock);
	pthread_join(th, NULL);
	cr_assert_eq(x.dropped, 25, "terminate dropped %zu of 25 queued tasks", x.dropped);
	for (unsigned i = 0; i < 30; i++)
		cr_assert_eq(t->ran[i], t->called[i], "task %u: ran %u, called back %u", i,
			     t->ran[i], t->called[i]);
	cr_assert_eq(t->started, 5, "%u tasks ran, not the 5 running at terminate", t->started);
	pool_thread_destroy(x.p);
	leak_expect_none(&before, "a terminated thread pool");
	free(t);
}

/* One task at a time: one worker, reused for all; then 10 at once held
 * inside: never more than the maximum of 3. */
Test(pool, workers_are_made_on_demand_up_to_the_maximum_and_reused, .timeout = 60)
{
	struct pool_test *t = pool_test_new(0);
	struct pool_thread *p;

	cr_assert_eq(pool_thread_create(&p, 3, 0), 0);
	cr_assert_eq(pool_thread_created(p), 0);
	for (unsigned i = 0; i < 100; i++) {
		cr_assert_eq(pool_thread_run(p, pool_test_task, &pool_test_args[i], pool_test_cb,
					     &pool_test_args[i]), 0);
		/* Called back first, then idle: the worker is back for the
		 * next (idle first could read it before it took this one). */
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
				       __atomic_load_n(&t->called[i], __ATOMIC_ACQUIRE) == 1 &&
				       pool_thread_idle(p) == 1),
			  "task %u: %u idle of %u, called back %u times", i, pool_thread_idle(p),
			  pool_thread_created(p), t->called[i]);
	}
	cr_assert_eq(pool_thread_created(p), 1, "%u workers for one task at a time",
		     pool_thread_created(p));
	t->wait_gate = 1;
	for (unsigned i = 100; i < 110; i++)
		cr_assert_eq(pool_thread_run(p, pool_test_task, &pool_test_args[i], pool_test_cb,
					     &pool_test_args[i]), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, __atomic_load_n(&t->started, __ATOMIC_ACQUIRE) == 103));
	cr_assert_eq(pool_thread_created(p), 3);
	cr_assert_eq(pool_thread_idle(p), 0);
	sync_event_set(&t->gate);
	cr_assert_eq(pool_thread_close(p), 0);
	pool_test_expect_once(t, 110);
	cr_assert_eq(pool_thread_created(p), 3);
	pool_thread_destroy(p);
	free(t);
}

/* A pool never used, and one destroyed without close: nothing left. */
Test(pool, destroy_without_close_leaves_nothing, .timeout = 30)
{
	struct pool_test *t = pool_test_new(0);
	struct leak_snap before;
	struct pool_thread *p;

	leak_snap(&before);
	cr_assert_eq(pool_thread_create(&p, 2, 0), 0);
	pool_thread_destroy(p);
	cr_assert_eq(pool_thread_create(&p, 2, 0), 0);
	for (unsigned i = 0; i < 50; i++)
		cr_assert_eq(pool_thread_run(p, pool_test_task, &pool_test_args[i], pool_test_cb,
					     &pool_test_args[i]), 0);
	pool_thread_destroy(p);
	for (unsigned i = 0; i < 50; i++)
		cr_assert_eq(t->ran[i], t->called[i]);
	leak_expect_none(&before, "a destroyed thread pool");
	cr_assert_eq(pool_thread_create(&p, 0, 0), -EINVAL);
	free(t);
}

/* ---- a million ---- */

#define POOL_MILLION	CHECK_STRESS_ITEMS(1000000u)
#define POOL_MILLION_SUBMITTERS 3

static uint8_t *pool_m_ran, *pool_m_called;
static uint32_t pool_m_wrong;

/* Task i fails when i % 7 == 0; either way its result is ~i. */
static int pool_m_task(void *arg, uint64_t *result)
{
	uintptr_t i = (uintptr_t)arg;

	__atomic_add_fetch(&pool_m_ran[i], 1, __ATOMIC_RELAXED);
	*result = ~(uint64_t)i;
	return i % 7 == 0;
}

static void pool_m_cb(void *arg, int ok, uint64_t result)
{
	uintptr_t i = (uintptr_t)arg;

	if (ok != (i % 7 != 0) || result != ~(uint64_t)i)
		__atomic_add_fetch(&pool_m_wrong, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pool_m_called[i], 1, __ATOMIC_RELAXED);
}

struct pool_m_submitter {
	struct pool_thread *p;
	uint64_t first, n;
	int errors;
};

static void *pool_m_submit(void *arg)
{
	struct pool_m_submitter *s = arg;

	for (uintptr_t i = (uintptr_t)s->first; i < s->first + s->n; i++)
		if (pool_thread_run(s->p, pool_m_task, (void *)i, pool_m_cb, (void *)i) != 0)
			s->errors++;
	return NULL;
}

/*
 * The long run (issue 17): a million tasks from three submitting threads
 * to four workers through a task queue of 64 (so submitters block on a
 * full queue and workers on an empty one all the time): each runs once
 * and is called back once, with its own outcome, a failure for every
 * seventh.  The preemption points are thinned to one in 16, as for the
 * queues' long runs (test_prim_queue_stress.c).
 */
Test(pool, a_million_tasks_each_once, .timeout = 120)
{
	struct pool_m_submitter sub[POOL_MILLION_SUBMITTERS];
	pthread_t th[POOL_MILLION_SUBMITTERS];
	struct leak_snap before;
	struct pool_thread *p;

	prim_preempt_thin(4);
	pool_m_ran = calloc(POOL_MILLION, 1);
	pool_m_called = calloc(POOL_MILLION, 1);
	cr_assert(pool_m_ran && pool_m_called);
	leak_snap(&before);
	cr_assert_eq(pool_thread_create(&p, 4, 64), 0);
	for (int t = 0; t < POOL_MILLION_SUBMITTERS; t++) {
		sub[t] = (struct pool_m_submitter){ .p = p };
		check_share(POOL_MILLION, POOL_MILLION_SUBMITTERS, t, &sub[t].first, &sub[t].n);
		cr_assert_eq(pthread_create(&th[t], NULL, pool_m_submit, &sub[t]), 0);
	}
	for (int t = 0; t < POOL_MILLION_SUBMITTERS; t++) {
		pthread_join(th[t], NULL);
		cr_assert_eq(sub[t].errors, 0);
	}
	cr_assert_eq(pool_thread_close(p), 0);
	check_each_once(pool_m_ran, POOL_MILLION, "ran");
	check_each_once(pool_m_called, POOL_MILLION, "called back");
	cr_assert_eq(pool_m_wrong, 0, "%u callbacks saw a wrong outcome", pool_m_wrong);
	cr_assert_leq(pool_thread_created(p), 4);
	pool_thread_destroy(p);
	leak_expect_none(&before, "a thread pool after a million tasks");
	free(pool_m_ran);
	free(pool_m_called);
}

/* The token pool: a thread per task, never more than max at once, every
 * task once with its callback; close waits for all and joins them. */
Test(pool, token_pool_runs_each_task_on_its_own_thread, .timeout = 60)
{
	struct pool_test *t = pool_test_new(0);
	struct leak_snap before;
	struct pool_token *p;

	leak_snap(&before);
	cr_assert_eq(pool_token_create(&p, 3), 0);
	for (unsigned i = 0; i < 300; i++)
		cr_assert_eq(pool_token_run(p, pool_test_task, &pool_test_args[i], pool_test_cb,
					    &pool_test_args[i]), 0);
	cr_assert_eq(pool_token_close(p), 0);
	pool_test_expect_once(t, 300);
	cr_assert_eq(pool_token_created(p), 300);
	cr_assert_leq(t->most_running, 3, "%u tasks at once with 3 tokens", t->most_running);
	cr_assert_eq(pool_token_run(p, pool_test_task, &pool_test_args[0], NULL, NULL), -EPIPE);
	pool_token_destroy(p);
	leak_expect_none(&before, "a closed token pool");
	cr_assert_eq(pool_token_create(&p, 0), -EINVAL);
	free(t);
}

/* All tokens out, held inside: the next run waits for one. */
static void *pool_test_token_runner(void *arg)
{
	struct pool_token *p = arg;

	pool_token_run(p, pool_test_task, &pool_test_args[2], pool_test_cb, &pool_test_args[2]);
	return NULL;
}

Test(pool, token_pool_run_waits_for_a_token, .timeout = 30)
{
	struct pool_test *t = pool_test_new(1);
	struct pool_token *p;
	pthread_t th;

	cr_assert_eq(pool_token_create(&p, 2), 0);
	for (unsigned i = 0; i < 2; i++)
		cr_assert_eq(pool_token_run(p, pool_test_task, &pool_test_args[i], pool_test_cb,
					    &pool_test_args[i]), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, __atomic_load_n(&t->started, __ATOMIC_ACQUIRE) == 2));
	cr_assert_eq(pthread_create(&th, NULL, pool_test_token_runner, p), 0);
	/* Give it time to wrongly start a third. */
	cr_assert_not(CHECK_WITHIN(200000000, __atomic_load_n(&t->started, __ATOMIC_ACQUIRE) > 2),
		      "a third task started with both tokens out");
	sync_event_set(&t->gate);
	pthread_join(th, NULL);
	cr_assert_eq(pool_token_close(p), 0);
	pool_test_expect_once(t, 3);
	pool_token_destroy(p);
	free(t);
}
