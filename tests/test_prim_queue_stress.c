/*
 * tests/test_prim_queue_stress.c - the queue family's invariants under
 * contention: every item arrives exactly once, FIFO order holds per
 * producer as far as it can be observed, a bounded queue never holds more
 * than maxsize, join() means done; with threads and with forked
 * processes sharing a MAP_SHARED queue.
 *
 * Items carry a tag (producer << 32 | sequence number).  Worker threads
 * only count what they see; the test's own thread asserts afterwards.
 * It also watches the deliveries as they come: a put or get left asleep
 * by a lost wake-up stops them, and the run fails within CHECK_STALL_NS
 * instead of at its time-out.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "primitives/preempt.h"
#include "primitives/queue.h"
#include "tests/check.h"

#define QS_TAG(p, s)	(((uint64_t)(p) << 32) | (uint32_t)(s))
#define QS_PRODUCER(t)	((uint32_t)((t) >> 32))
#define QS_SEQ(t)	((uint32_t)(t))

enum { QS_MAX_PRODUCERS = 8, QS_MAX_CONSUMERS = 16 };

/*
 * One run's shared state.  Lives in private memory for threads and in
 * MAP_SHARED memory for processes; seen[] follows it (producers * items).
 */
struct qs_run {
	struct queue *q;	/* threads only; processes use qs_shared_queue() */
	enum queue_kind kind;
	int producers, consumers;
	uint32_t items;		/* per producer */
	uint64_t claims;	/* gets started; a consumer stops at producers * items */
	uint64_t order_errors;	/* a consumer saw one producer's items out of order */
	uint64_t size_errors;	/* qsize() over maxsize */
	uint64_t bad_rc;	/* a put/get/task_done that failed */
	uint64_t delivered;	/* gets that returned an item, for the watch */
	bool lean;		/* the long run: no qsize, task_done or join */
	uint32_t seen[];	/* deliveries per tag */
};

struct qs_worker {
	struct qs_run *run;
	struct queue *q;
	int id;
};

static void *qs_producer_main(void *arg)
{
	struct qs_worker *w = arg;
	struct qs_run *r = w->run;

	for (uint32_t s = 0; s < r->items; s++) {
		/* PRIORITY: a few levels, so equal priorities are common. */
		struct queue_item it = { .priority = s % 4, .value = QS_TAG(w->id, s) };

		if (queue_put(w->q, &it, -1) != 0)
			__atomic_fetch_add(&r->bad_rc, 1, __ATOMIC_RELAXED);
		if (r->lean)
			continue;
		if (queue_qsize(w->q) > queue_maxsize(w->q) && queue_maxsize(w->q))
			__atomic_fetch_add(&r->size_errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Claim an item before taking it, so that consumers stop after exactly
 * producers * items gets without any sentinel (a sentinel would come out
 * first from a LIFO).
 */
static void *qs_consumer_main(void *arg)
{
	struct qs_worker *w = arg;
	struct qs_run *r = w->run;
	uint64_t total = (uint64_t)r->producers * r->items;
	int64_t last[QS_MAX_PRODUCERS];

	for (int p = 0; p < QS_MAX_PRODUCERS; p++)
		last[p] = -1;
	/* Relaxed: the claim only counts; the queue orders the items. */
	while (__atomic_fetch_add(&r->claims, 1, __ATOMIC_RELAXED) < total) {
		struct queue_item it;
		uint32_t p, s;

		if (queue_get(w->q, &it, -1) != 0) {
			__atomic_fetch_add(&r->bad_rc, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_fetch_add(&r->delivered, 1, __ATOMIC_RELAXED);
		if (!r->lean && queue_qsize(w->q) > queue_maxsize(w->q) && queue_maxsize(w->q))
			__atomic_fetch_add(&r->size_errors, 1, __ATOMIC_RELAXED);
		p = QS_PRODUCER(it.value);
		s = QS_SEQ(it.value);
		if (p >= (uint32_t)r->producers || s >= r->items) {
			__atomic_fetch_add(&r->bad_rc, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_fetch_add(&r->seen[(uint64_t)p * r->items + s], 1, __ATOMIC_RELAXED);
		if (r->kind == QUEUE_FIFO && (int64_t)s <= last[p])
			__atomic_fetch_add(&r->order_errors, 1, __ATOMIC_RELAXED);
		last[p] = s;
		if (!r->lean && queue_task_done(w->q) != 0)
			__atomic_fetch_add(&r->bad_rc, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static struct qs_run *qs_run_new(enum queue_kind kind, int producers, int consumers,
				 uint32_t items)
{
	size_t n = (size_t)producers * items;
	struct qs_run *r = calloc(1, sizeof(*r) + n * sizeof(r->seen[0]));

	cr_assert_not_null(r);
	cr_assert_leq(producers, QS_MAX_PRODUCERS);
	cr_assert_leq(consumers, QS_MAX_CONSUMERS);
	r->kind = kind;
	r->producers = producers;
	r->consumers = consumers;
	r->items = items;
	return r;
}

/* Tags not delivered yet (read while consumers may still run). */
static uint64_t qs_missing(struct qs_run *r)
{
	uint64_t n = (uint64_t)r->producers * r->items, missing = 0;

	for (uint64_t i = 0; i < n; i++)
		missing += __atomic_load_n(&r->seen[i], __ATOMIC_RELAXED) == 0;
	return missing;
}

/* Wait while items keep arriving, until all have; fail if they stop. */
static void qs_watch(struct qs_run *r)
{
	uint64_t total = (uint64_t)r->producers * r->items;
	uint64_t got = CHECK_PROGRESS(__atomic_load_n(&r->delivered,
						      __ATOMIC_RELAXED),
				      total, CHECK_STALL_NS);

	cr_assert_geq(got, total, "deliveries stopped for %lld s at %llu of "
		      "%llu: a lost wake-up or a deadlock",
		      CHECK_STALL_NS / 1000000000, (unsigned long long)got,
		      (unsigned long long)total);
}

/* Every tag seen exactly once, no error counted. */
static void qs_run_check(const struct qs_run *r)
{
	uint64_t n = (uint64_t)r->producers * r->items, missing = 0, extra = 0;

	for (uint64_t i = 0; i < n; i++) {
		missing += r->seen[i] == 0;
		extra += r->seen[i] > 1;
	}
	cr_assert_eq(missing, 0);
	cr_assert_eq(extra, 0);
	cr_assert_eq(r->bad_rc, 0);
	cr_assert_eq(r->order_errors, 0);
	cr_assert_eq(r->size_errors, 0);
}

/* Threads: producers and consumers on one queue, then join() unless
 * lean. */
static void qs_threads_run(enum queue_kind kind, size_t maxsize, int producers,
			   int consumers, uint32_t items, bool lean)
{
	struct qs_run *r = qs_run_new(kind, producers, consumers, items);
	/* On the heap: a failed check ends the test while the workers may
	 * still run, and they must not be left reading a dead frame. */
	struct qs_worker *pw = calloc(QS_MAX_PRODUCERS, sizeof(*pw));
	struct qs_worker *cw = calloc(QS_MAX_CONSUMERS, sizeof(*cw));
	pthread_t pt[QS_MAX_PRODUCERS], ct[QS_MAX_CONSUMERS];

	cr_assert(pw && cw);
	r->lean = lean;
	cr_assert_eq(queue_create(&r->q, kind, maxsize), 0);
	for (int i = 0; i < consumers; i++) {
		cw[i] = (struct qs_worker){ r, r->q, i };
		cr_assert_eq(pthread_create(&ct[i], NULL, qs_consumer_main, &cw[i]), 0);
	}
	for (int i = 0; i < producers; i++) {
		pw[i] = (struct qs_worker){ r, r->q, i };
		cr_assert_eq(pthread_create(&pt[i], NULL, qs_producer_main, &pw[i]), 0);
	}
	qs_watch(r);
	for (int i = 0; i < producers; i++)
		pthread_join(pt[i], NULL);
	if (lean)
		goto joined;
	/*
	 * Every item is put now: join returns once consumers task_done'd all,
	 * and each marks seen[] before its task_done, so none may be missing
	 * yet while consumer threads are still running.  All items came, so
	 * the last task_done is at most a few steps away.
	 */
	cr_assert_eq(queue_join(r->q, CHECK_WAKE_NS), 0);
	cr_assert_eq(qs_missing(r), 0);
joined:
	/* Every item came (qs_watch), so every consumer's claims are
	 * done: the joins cannot hang. */
	for (int i = 0; i < consumers; i++)
		pthread_join(ct[i], NULL);
	cr_assert(queue_empty(r->q));
	if (!lean)
		cr_assert_eq(queue_task_done(r->q), -EINVAL);
	qs_run_check(r);
	queue_destroy(r->q);
	free(pw);
	free(cw);
	free(r);
}

static void qs_threads(enum queue_kind kind, size_t maxsize, int producers,
		       int consumers, uint32_t items)
{
	qs_threads_run(kind, maxsize, producers, consumers, items, false);
}

/*
 * 4 producers x 10,000 tagged items, 2 consumers, FIFO: each arrives
 * exactly once, and each consumer sees each producer's items in order
 * (only per consumer: two consumers may finish their gets in either
 * order).
 */
Test(queue_stress, fifo_4p_2c_exactly_once_ordered_per_consumer, .timeout = 60)
{
	qs_threads(QUEUE_FIFO, 64, 4, 2, 10000);
}

/* The same unbounded: producers never block, consumers do. */
Test(queue_stress, fifo_unbounded_4p_2c_exactly_once, .timeout = 60)
{
	qs_threads(QUEUE_FIFO, 0, 4, 2, 10000);
}

/* One consumer: every producer's items arrive in that producer's order. */
Test(queue_stress, fifo_4p_1c_per_producer_order, .timeout = 60)
{
	qs_threads(QUEUE_FIFO, 16, 4, 1, 10000);
}

Test(queue_stress, lifo_3p_3c_exactly_once, .timeout = 60)
{
	qs_threads(QUEUE_LIFO, 8, 3, 3, 5000);
}

Test(queue_stress, priority_3p_3c_exactly_once, .timeout = 60)
{
	qs_threads(QUEUE_PRIORITY, 8, 3, 3, 5000);
}

/*
 * The 3-cooks / 10-customers scene: three producers, ten consumers, a
 * Queue(5).  Every dish is eaten exactly once, the counter never holds
 * more than 5, and join() returns only after the last dish is eaten.
 */
Test(queue_stress, three_cooks_ten_customers, .timeout = 60)
{
	qs_threads(QUEUE_FIFO, 5, 3, 10, 2000);
}

/*
 * The long runs: QS_LONG_ITEMS tagged items through each kind, 4
 * producers and 4 consumers on a Queue(256), each item received exactly
 * once (and FIFO's per consumer in each producer's order).  Lean: no
 * qsize, task_done or join per item (the runs above check those), so
 * that the time goes into put and get.
 *
 * A million: the prim tests link the primitives with their preemption
 * points (primitives/preempt.h), which yield or spin at every atomic of
 * the lock and conditions a put or get passes; at their full rate a
 * million items through one of these queues took 25-40 s of a loaded
 * 2-core machine.  Thinned to one in 2^QS_LONG_THIN (prim_preempt_thin)
 * they still widen a window every few operations, and a million takes
 * about 1.5 s; the short runs above keep the full rate.
 * CHECK_STRESS_ITEMS: a fiftieth under the sanitizers.
 */
#define QS_LONG_ITEMS	CHECK_STRESS_ITEMS(1000000u)
#define QS_LONG_THIN	4

Test(queue_stress, fifo_long_run_4p_4c_exactly_once, .timeout = 120)
{
	prim_preempt_thin(QS_LONG_THIN);
	qs_threads_run(QUEUE_FIFO, 256, 4, 4, QS_LONG_ITEMS / 4, true);
}

Test(queue_stress, lifo_long_run_4p_4c_exactly_once, .timeout = 120)
{
	prim_preempt_thin(QS_LONG_THIN);
	qs_threads_run(QUEUE_LIFO, 256, 4, 4, QS_LONG_ITEMS / 4, true);
}

Test(queue_stress, priority_long_run_4p_4c_exactly_once, .timeout = 120)
{
	prim_preempt_thin(QS_LONG_THIN);
	qs_threads_run(QUEUE_PRIORITY, 256, 4, 4, QS_LONG_ITEMS / 4, true);
}

/* ---- the same across processes, in MAP_SHARED memory ---- */

/* Layout of the shared block: the run, then the queue at a fixed offset. */
static size_t qs_shared_run_bytes(int producers, uint32_t items)
{
	size_t b = sizeof(struct qs_run) + (size_t)producers * items * sizeof(uint32_t);

	return (b + 63) & ~(size_t)63;	/* keep the queue 64-byte aligned */
}

static void qs_processes(enum queue_kind kind, size_t maxsize, int producers,
			 int consumers, uint32_t items)
{
	size_t run_bytes = qs_shared_run_bytes(producers, items);
	size_t bytes = run_bytes + queue_bytes(maxsize);
	char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct qs_run *r = (struct qs_run *)mem;
	struct queue *q = (struct queue *)(mem + run_bytes);
	pid_t pids[QS_MAX_PRODUCERS + QS_MAX_CONSUMERS], parent = getpid();
	int n = 0;

	cr_assert_neq(mem, MAP_FAILED);
	cr_assert_leq(producers, QS_MAX_PRODUCERS);
	cr_assert_leq(consumers, QS_MAX_CONSUMERS);
	r->kind = kind;
	r->producers = producers;
	r->consumers = consumers;
	r->items = items;
	cr_assert_eq(queue_init(q, kind, maxsize, 1), 0);

	for (int i = 0; i < consumers + producers; i++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			struct qs_worker w = { r, q, i < consumers ? i : i - consumers };

			/* Die with the test rather than stay blocked if it fails. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			if (i < consumers)
				qs_consumer_main(&w);
			else
				qs_producer_main(&w);
			_exit(0);
		}
		pids[n++] = pid;
	}
	qs_watch(r);
	/*
	 * Producers first (pids[consumers..]): once every item is put, join()
	 * returns when the consumer processes have task_done'd them all.
	 */
	for (int i = n; i-- > 0;) {
		int status;

		if (i == consumers - 1) {
			cr_assert_eq(queue_join(q, CHECK_WAKE_NS), 0);
			cr_assert_eq(qs_missing(r), 0);
		}
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	cr_assert(queue_empty(q));
	qs_run_check(r);
	munmap(mem, bytes);
}

/* 2 producer and 2 consumer processes through one shared FIFO. */
Test(queue_stress, fifo_shared_between_processes, .timeout = 60)
{
	qs_processes(QUEUE_FIFO, 16, 2, 2, 5000);
}

Test(queue_stress, priority_shared_between_processes, .timeout = 60)
{
	qs_processes(QUEUE_PRIORITY, 16, 2, 2, 3000);
}
