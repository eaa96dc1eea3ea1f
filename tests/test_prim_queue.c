/*
 * tests/test_prim_queue.c - queue.Queue/LifoQueue/PriorityQueue rules,
 * one thread at a time where possible: order, Full/Empty, time-outs,
 * task_done/join, unbounded growth.  The contention tests are in
 * test_prim_queue_stress.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "primitives/queue.h"
#include "tests/check.h"

static int64_t qt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void qt_sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* A pointer to a temporary item, for put. */
#define QT_ITEM(p, v) (&(struct queue_item){ .priority = (p), .value = (v) })

/* A queue_init() queue in malloc'd memory (queue_destroy() is not for it). */
static struct queue *qt_init(enum queue_kind kind, size_t maxsize)
{
	struct queue *q = malloc(queue_bytes(maxsize));

	cr_assert_not_null(q);
	cr_assert_eq(queue_init(q, kind, maxsize, 0), 0);
	return q;
}

Test(queue, init_rejects_bad_arguments, .timeout = 10)
{
	struct queue *q = malloc(queue_bytes(4));
	struct queue *qc = NULL;

	cr_assert_not_null(q);
	/* Caller memory is sized once, so it needs a bound. */
	cr_assert_eq(queue_init(q, QUEUE_FIFO, 0, 0), -EINVAL);
	cr_assert_eq(queue_init(q, QUEUE_FIFO, 0, 1), -EINVAL);
	cr_assert_eq(queue_init(q, (enum queue_kind)7, 4, 0), -EINVAL);
	cr_assert_eq(queue_create(&qc, (enum queue_kind)7, 4), -EINVAL);
	cr_assert_eq(queue_init(q, QUEUE_PRIORITY, 4, 0), 0);
	cr_assert_eq(queue_maxsize(q), 4);
	free(q);
}

Test(queue, fifo_order_with_wraparound, .timeout = 10)
{
	struct queue *q = qt_init(QUEUE_FIFO, 7);
	struct queue_item it;
	uint64_t next_in = 0, next_out = 0;

	/* Uneven put/get bursts walk the ring round its end many times. */
	for (int round = 0; round < 50; round++) {
		int puts = 1 + round % 7, gets = 1 + (round * 3) % 7;

		for (int i = 0; i < puts && !queue_full(q); i++) {
			cr_assert_eq(queue_put(q, QT_ITEM(0, next_in), 0), 0);
			next_in++;
		}
		for (int i = 0; i < gets && !queue_empty(q); i++) {
			cr_assert_eq(queue_get(q, &it, 0), 0);
			cr_assert_eq(it.value, next_out);
			next_out++;
		}
		cr_assert_eq(queue_qsize(q), next_in - next_out);
	}
	while (queue_get_nowait(q, &it) == 0) {
		cr_assert_eq(it.value, next_out);
		next_out++;
	}
	cr_assert_eq(next_out, next_in);
	free(q);
}

Test(queue, lifo_order, .timeout = 10)
{
	struct queue *q = qt_init(QUEUE_LIFO, 100);
	struct queue_item it;

	for (uint64_t v = 0; v < 100; v++)
		cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, v)), 0);
	for (uint64_t v = 100; v-- > 50;) {
		cr_assert_eq(queue_get_nowait(q, &it), 0);
		cr_assert_eq(it.value, v);
	}
	/* Newer items go on top of the older ones left. */
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 1000)), 0);
	cr_assert_eq(queue_get_nowait(q, &it), 0);
	cr_assert_eq(it.value, 1000);
	for (uint64_t v = 50; v-- > 0;) {
		cr_assert_eq(queue_get_nowait(q, &it), 0);
		cr_assert_eq(it.value, v);
	}
	cr_assert_eq(queue_get_nowait(q, &it), QUEUE_EMPTY);
	free(q);
}

Test(queue, priority_smallest_first, .timeout = 10)
{
	enum { N = 500 };
	struct queue *q = qt_init(QUEUE_PRIORITY, N);
	struct queue_item it;
	int64_t last = INT64_MIN;
	unsigned seed = 12345;

	for (int i = 0; i < N; i++) {
		int64_t p = (int64_t)(rand_r(&seed) % 2000) - 1000;

		cr_assert_eq(queue_put_nowait(q, QT_ITEM(p, (uint64_t)i)), 0);
	}
	for (int i = 0; i < N; i++) {
		cr_assert_eq(queue_get_nowait(q, &it), 0);
		cr_assert_geq(it.priority, last);
		last = it.priority;
	}
	cr_assert(queue_empty(q));
	free(q);
}

/*
 * Equal priorities come out in insertion order, also when gets are
 * interleaved with puts (the heap is reshaped between them).  value holds
 * (priority, insertion number) so each get can be checked.
 */
Test(queue, priority_stable_among_equals, .timeout = 10)
{
	enum { N = 3000, LEVELS = 5 };
	struct queue *q = qt_init(QUEUE_PRIORITY, N);
	struct queue_item it;
	uint64_t put_no[LEVELS] = { 0 }, got_no[LEVELS] = { 0 };
	unsigned seed = 777;
	int in_queue = 0;

	for (int i = 0; i < N; i++) {
		int64_t p = rand_r(&seed) % LEVELS;

		cr_assert_eq(queue_put_nowait(q, QT_ITEM(p, put_no[p])), 0);
		put_no[p]++;
		in_queue++;
		if (rand_r(&seed) % 3 == 0) {
			int64_t smallest = LEVELS;

			for (int l = 0; l < LEVELS; l++)
				if (got_no[l] < put_no[l]) {
					smallest = l;
					break;
				}
			cr_assert_eq(queue_get_nowait(q, &it), 0);
			in_queue--;
			cr_assert_eq(it.priority, smallest);
			cr_assert_eq(it.value, got_no[it.priority]);
			got_no[it.priority]++;
		}
	}
	for (; in_queue > 0; in_queue--) {
		cr_assert_eq(queue_get_nowait(q, &it), 0);
		cr_assert_eq(it.value, got_no[it.priority]);
		got_no[it.priority]++;
	}
	for (int l = 0; l < LEVELS; l++)
		cr_assert_eq(got_no[l], put_no[l]);
	free(q);
}

Test(queue, nowait_full_and_empty_codes, .timeout = 10)
{
	struct queue *q = qt_init(QUEUE_FIFO, 2);
	struct queue_item it = { 0, 0 };

	cr_assert_neq(QUEUE_FULL, QUEUE_EMPTY);
	cr_assert_neq(QUEUE_FULL, -ETIMEDOUT);
	cr_assert_neq(QUEUE_EMPTY, -ETIMEDOUT);
	cr_assert(QUEUE_FULL < 0 && QUEUE_EMPTY < 0);

	cr_assert(queue_empty(q));
	cr_assert_not(queue_full(q));
	cr_assert_eq(queue_get_nowait(q, &it), QUEUE_EMPTY);
	cr_assert_eq(queue_get(q, &it, 0), QUEUE_EMPTY);
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 1)), 0);
	cr_assert_eq(queue_put(q, QT_ITEM(0, 2), 0), 0);
	cr_assert(queue_full(q));
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 3)), QUEUE_FULL);
	cr_assert_eq(queue_put(q, QT_ITEM(0, 3), 0), QUEUE_FULL);
	/* A failed put changes nothing. */
	cr_assert_eq(queue_qsize(q), 2);
	cr_assert_eq(queue_get_nowait(q, &it), 0);
	cr_assert_eq(it.value, 1);
	cr_assert_eq(queue_get_nowait(q, &it), 0);
	cr_assert_eq(it.value, 2);
	cr_assert_eq(queue_get_nowait(q, &it), QUEUE_EMPTY);
	/* A failed get leaves *out alone. */
	cr_assert_eq(it.value, 2);
	free(q);
}

Test(queue, get_timeout_not_early, .timeout = 10)
{
	struct queue *q = qt_init(QUEUE_FIFO, 1);
	struct queue_item it;
	const int64_t timeout = 50 * 1000000;	/* 50 ms */

	for (int i = 0; i < 3; i++) {
		int64_t t0 = qt_now_ns();

		cr_assert_eq(queue_get(q, &it, timeout), -ETIMEDOUT);
		cr_assert_geq(qt_now_ns() - t0, timeout);
	}
	free(q);
}

Test(queue, put_timeout_not_early, .timeout = 10)
{
	struct queue *q = qt_init(QUEUE_LIFO, 1);
	struct queue_item it;
	const int64_t timeout = 30 * 1000000;	/* 30 ms */
	int64_t t0;

	cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 9)), 0);
	t0 = qt_now_ns();
	cr_assert_eq(queue_put(q, QT_ITEM(0, 10), timeout), -ETIMEDOUT);
	cr_assert_geq(qt_now_ns() - t0, timeout);
	cr_assert_eq(queue_qsize(q), 1);
	cr_assert_eq(queue_get_nowait(q, &it), 0);
	cr_assert_eq(it.value, 9);
	free(q);
}

Test(queue, join_timeout_not_early, .timeout = 10)
{
	struct queue *q = qt_init(QUEUE_FIFO, 1);
	const int64_t timeout = 30 * 1000000;	/* 30 ms */
	int64_t t0;

	cr_assert_eq(queue_join(q, 0), 0);	/* nothing put: done at once */
	cr_assert_eq(queue_join(q, timeout), 0);
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 1)), 0);
	cr_assert_eq(queue_join(q, 0), -ETIMEDOUT);
	t0 = qt_now_ns();
	cr_assert_eq(queue_join(q, timeout), -ETIMEDOUT);
	cr_assert_geq(qt_now_ns() - t0, timeout);
	free(q);
}

/*
 * A call that must block, on its own thread: `get` or put one item with
 * `timeout_ns`, then raise `done`.  The test proves the wake-up by that
 * flag and the call's result within CHECK_WAKE_NS of the put or get that
 * must wake it; the blocked call's own time-out (if any) is far longer.
 */
struct qt_blocked {
	struct queue *q;
	int get;		/* 1: get one item; 0: put `item` */
	int64_t timeout_ns;
	struct queue_item item;	/* put: what to put; get: what came */
	int rc;
	uint32_t done;		/* raised once rc and item are written */
};

static void *qt_blocked_main(void *arg)
{
	struct qt_blocked *b = arg;

	if (b->get)
		b->rc = queue_get(b->q, &b->item, b->timeout_ns);
	else
		b->rc = queue_put(b->q, &b->item, b->timeout_ns);
	/* Release: rc and item before the flag. */
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Start the blocked call and return once it sleeps in its condition: a
 * look at the queue's own not_empty / not_full (white-box, so that the
 * wake-up that follows is a real one, not a call that never had to wait).
 */
static void qt_block(pthread_t *t, struct qt_blocked *b)
{
	struct sync_cond *c = b->get ? &b->q->not_empty : &b->q->not_full;

	b->done = 0;
	b->rc = 1;
	cr_assert_eq(pthread_create(t, NULL, qt_blocked_main, b), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, sync_cond_waiting(c) == 1),
		  "the %s never blocked", b->get ? "get" : "put");
}

static void qt_expect_woken(pthread_t t, struct qt_blocked *b)
{
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       __atomic_load_n(&b->done, __ATOMIC_ACQUIRE)),
		  "the blocked %s was not woken", b->get ? "get" : "put");
	cr_assert_eq(b->rc, 0);
	pthread_join(t, NULL);
}

/* Blocking forever (negative) and within a time-out both see the item. */
Test(queue, blocking_get_and_put_wake_up, .timeout = 20)
{
	static const int64_t timeouts[] = { -1, 4 * CHECK_WAKE_NS };
	struct queue *q = qt_init(QUEUE_FIFO, 1);
	struct queue_item it;
	pthread_t t;

	for (size_t k = 0; k < sizeof(timeouts) / sizeof(timeouts[0]); k++) {
		/* Empty queue: a get sleeps until a put. */
		struct qt_blocked b = { .q = q, .get = 1,
					.timeout_ns = timeouts[k] };

		qt_block(&t, &b);
		cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 42)), 0);
		qt_expect_woken(t, &b);
		cr_assert_eq(b.item.value, 42);

		/* Full queue: a put sleeps until a get makes room. */
		cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 1)), 0);
		b = (struct qt_blocked){ .q = q, .get = 0,
					 .timeout_ns = timeouts[k],
					 .item = { 0, 2 + k } };
		qt_block(&t, &b);
		cr_assert_eq(queue_get_nowait(q, &it), 0);
		cr_assert_eq(it.value, 1);
		qt_expect_woken(t, &b);
		cr_assert_eq(queue_get_nowait(q, &it), 0);
		cr_assert_eq(it.value, 2 + k);
	}
	free(q);
}

static void qt_on_signal(int sig)
{
	(void)sig;
}

struct qt_pester {
	pthread_t target;
	int stop;
};

static void *qt_pester_main(void *arg)
{
	struct qt_pester *p = arg;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		pthread_kill(p->target, SIGUSR1);
		qt_sleep_ns(1000000);
	}
	return NULL;
}

/*
 * Signals without SA_RESTART make futex waits return EINTR: the wait
 * must go on to its deadline, neither failing nor ending early.
 */
Test(queue, timeout_survives_signals, .timeout = 20)
{
	struct queue *q = qt_init(QUEUE_FIFO, 1);
	struct sigaction sa = { .sa_handler = qt_on_signal };
	struct qt_pester p = { pthread_self(), 0 };
	const int64_t timeout = 60 * 1000000;	/* 60 ms: ~60 signals */
	struct queue_item it;
	pthread_t t;
	int64_t t0;

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	cr_assert_eq(pthread_create(&t, NULL, qt_pester_main, &p), 0);
	t0 = qt_now_ns();
	cr_assert_eq(queue_get(q, &it, timeout), -ETIMEDOUT);
	cr_assert_geq(qt_now_ns() - t0, timeout);
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 5)), 0);
	t0 = qt_now_ns();
	cr_assert_eq(queue_put(q, QT_ITEM(0, 6), timeout), -ETIMEDOUT);
	cr_assert_geq(qt_now_ns() - t0, timeout);
	__atomic_store_n(&p.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	free(q);
}

Test(queue, task_done_over_call_is_einval, .timeout = 10)
{
	struct queue *q = qt_init(QUEUE_PRIORITY, 4);
	struct queue_item it;

	cr_assert_eq(queue_task_done(q), -EINVAL);
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(2, 0)), 0);
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(1, 0)), 0);
	cr_assert_eq(queue_join(q, 0), -ETIMEDOUT);
	cr_assert_eq(queue_get_nowait(q, &it), 0);
	cr_assert_eq(queue_task_done(q), 0);
	cr_assert_eq(queue_join(q, 0), -ETIMEDOUT);
	/* task_done counts puts, not gets: Python allows this too. */
	cr_assert_eq(queue_task_done(q), 0);
	cr_assert_eq(queue_join(q, 0), 0);
	cr_assert_eq(queue_task_done(q), -EINVAL);
	/* The failed call left the count at 0, not below it. */
	cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, 0)), 0);
	cr_assert_eq(queue_join(q, 0), -ETIMEDOUT);
	cr_assert_eq(queue_task_done(q), 0);
	cr_assert_eq(queue_join(q, 0), 0);
	cr_assert_eq(queue_task_done(q), -EINVAL);
	free(q);
}

/* maxsize 0: never full, put_nowait always succeeds, order kept. */
/* About 3 s alone; under TSan, with a preemption point at every atomic,
 * 18 s on a 2-core machine at load 22: hence the usual guard, not 20 s. */
Test(queue, maxsize_zero_is_unbounded, .timeout = 60)
{
	enum { N = 20000 };
	static const enum queue_kind kinds[] = { QUEUE_FIFO, QUEUE_LIFO, QUEUE_PRIORITY };

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct queue *q = NULL;
		struct queue_item it;
		uint64_t out = 0;

		cr_assert_eq(queue_create(&q, kinds[k], 0), 0);
		cr_assert_eq(queue_maxsize(q), 0);
		/* Take a few first, so the FIFO ring is wrapped when it grows. */
		for (uint64_t v = 0; v < 10; v++)
			cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, v)), 0);
		for (int i = 0; i < 5; i++)
			cr_assert_eq(queue_get_nowait(q, &it), 0);
		for (uint64_t v = 10; v < N; v++) {
			/* PRIORITY: priority = -v, so it pops like the LIFO. */
			cr_assert_eq(queue_put_nowait(q, QT_ITEM(-(int64_t)v, v)), 0);
			cr_assert_not(queue_full(q));
		}
		cr_assert_eq(queue_qsize(q), N - 5);
		for (uint64_t i = 0; i < N - 5; i++) {
			cr_assert_eq(queue_get_nowait(q, &it), 0);
			if (kinds[k] == QUEUE_FIFO) {
				cr_assert_eq(it.value, i + 5);
			} else {
				/* LIFO: N-1 down to 10, then 4..0 (5..9 went first). */
				out = i < N - 10 ? N - 1 - i : 4 - (i - (N - 10));
				if (kinds[k] == QUEUE_PRIORITY && i >= N - 10)
					out = 5 + (i - (N - 10));	/* priority 0: FIFO */
				cr_assert_eq(it.value, out);
			}
		}
		cr_assert_eq(queue_get_nowait(q, &it), QUEUE_EMPTY);
		queue_destroy(q);
	}
}

struct qt_join {
	struct queue *q;
	int last_flag;		/* set by the worker just before its last task_done */
};

struct qt_joiner {
	struct qt_join *j;
	int rc;
	int flag_seen;		/* what this joiner read once join returned */
	uint32_t done;		/* raised once rc and flag_seen are written */
};

static void *qt_joiner_main(void *arg)
{
	struct qt_joiner *me = arg;

	me->rc = queue_join(me->j->q, -1);
	/* Acquire: pairs with the worker's release store of last_flag. */
	me->flag_seen = __atomic_load_n(&me->j->last_flag, __ATOMIC_ACQUIRE);
	/* Release: rc and flag_seen before the flag. */
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * join() returns exactly when every item put is done: never while one is
 * outstanding (each joiner must see the flag set before the last
 * task_done), and it does return then.
 */
Test(queue, join_returns_when_all_done, .timeout = 20)
{
	enum { N = 20, JOINERS = 3 };
	struct queue *q = qt_init(QUEUE_FIFO, N);
	struct qt_join j = { .q = q };
	struct qt_joiner w[JOINERS];
	pthread_t t[JOINERS];
	struct queue_item it;

	for (uint64_t v = 0; v < N; v++)
		cr_assert_eq(queue_put_nowait(q, QT_ITEM(0, v)), 0);
	for (int i = 0; i < JOINERS; i++) {
		w[i] = (struct qt_joiner){ .j = &j, .rc = 1, .done = 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, qt_joiner_main, &w[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		cr_assert_eq(queue_get_nowait(q, &it), 0);
		/* Give an ill-behaved join time to return too early. */
		qt_sleep_ns(1000000);
		if (i == N - 1)
			__atomic_store_n(&j.last_flag, 1, __ATOMIC_RELEASE);
		cr_assert_eq(queue_task_done(q), 0);
	}
	/* The last task_done must wake every joiner, soon. */
	for (int i = 0; i < JOINERS; i++) {
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
				__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE)),
			  "joiner %d was not woken by the last task_done", i);
		cr_assert_eq(w[i].rc, 0);
		cr_assert_eq(w[i].flag_seen, 1);
		pthread_join(t[i], NULL);
	}
	free(q);
}
