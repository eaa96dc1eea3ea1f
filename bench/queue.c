/*
 * bench/queue.c - queue.<kind>: items moved from producer tasks to
 * consumer tasks through Python's queue family (primitives/queue.h:
 * Queue, LifoQueue, PriorityQueue, bounded and blocking, with task_done
 * and join), through collections.deque (primitives/deque.h, which never
 * blocks: both sides poll), and through Concurrency Kit's lock-free rings
 * (primitives/ring_ck.h, spsc and mpmc) as peers.
 *
 * Roles: the first half of the tasks produce, the rest consume (2 tasks
 * are 1 x 1, 4 are 2 x 2); queue.cooks is the lesson's scene, 3 cooks and
 * 10 customers over Queue(10).  In each round every producer makes
 * `iters` items; consumers take items until the round's total is
 * claimed (a shared ticket count), so every round ends with every item
 * consumed.  Producer 0 then join()s the queue kinds that have it: the
 * round includes task_done for every item.
 *
 * An item's value is (producer << 40 | its index).  Its payload (the
 * `payload` bytes copied in by the producer and out by the consumer) and,
 * in latency rounds, its enqueue time sit in a per-producer slab slot
 * indexed by the item's index (capacity + consumers + 2 slots; 4096 for
 * an unbounded queue).  Items leave out of order (a LIFO can keep its
 * first item to the end, a consumer can stall between get and copy), so
 * no count says a slot is free: each has a state word, which the
 * consumer clears once it has copied the slot out, and a producer that
 * laps the slab waits for it.
 * A ring holds exactly `capacity` items, as a Queue(capacity) does
 * (primitives/ring_ck.h bounds ck's power-of-two ring).
 * The latency is enqueue -> dequeue of every `sample`-th item.
 *
 * check(): for every producer, the consumers received exactly the items
 * it made, each once: the count, the sum and the sum of squares of the
 * indices all match (a lost or doubled item changes the count; a lost
 * one swapped for a doubled one changes the sums).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "primitives/arch/cpu.h"
#include "primitives/deque.h"
#include "primitives/queue.h"
#include "primitives/ring_ck.h"

enum qb_kind { QB_FIFO, QB_LIFO, QB_PRIORITY, QB_DEQUE, QB_SPSC, QB_MPMC };

#define QB_INDEX_BITS 40
#define QB_UNBOUNDED_IN_FLIGHT 4096
/* A slot: its state word (0 free, 1 holds an item), the stamp, the
 * payload. */
#define QB_SLOT_HEAD 16

/* What one consumer received from one producer. */
struct qb_cell {
	uint64_t count, sum, sumsq;
};

/* A producer's own counters, a cache line each. */
struct qb_producer {
	uint64_t made;			/* items made, all rounds */
} CPU_ALIGNED;

struct qb_consumer {
	uint64_t target;		/* claims this consumer may take up to, all rounds */
	uint64_t got;
	int lost_this_round;		/* selftest.queue_loss */
} CPU_ALIGNED;

struct qb_shared {
	enum qb_kind kind;
	int producers, consumers, lose;
	size_t capacity, payload, slot_bytes;
	uint64_t slab_len, sample;
	void *q;			/* struct queue, deque or ring_ck */
	ck_ring_buffer_t *ring_buf;
	unsigned char *slab;		/* [producers][slab_len][slot_bytes] */
	struct qb_producer *prod;
	struct qb_consumer *cons;
	struct qb_cell *cells;		/* [consumers][producers] */
	uint64_t claimed CPU_ALIGNED;	/* consumer tickets, all rounds */
};

static const struct bench_param qb_params[] = {
	{ .name = "capacity", .def = "1,16,1024,0", .quick = "16",
	  .help = "queue bound in items (0: unbounded, for the kinds that grow)",
	  .min = 0, .max = 1 << 20 },
	{ .name = "payload", .def = "8", .help = "bytes copied in and out with each item",
	  .min = 8, .max = 4096 },
	{ .name = "sample", .def = "1", .help = "latency rounds: time every k-th item",
	  .min = 1, .max = 1000000 },
	{ .name = NULL },
};

static const struct bench_param qb_cooks_params[] = {
	{ .name = "capacity", .def = "10", .help = "Queue(10), as in the lesson (0: unbounded)",
	  .min = 0, .max = 1 << 20 },
	{ .name = "payload", .def = "8", .help = "bytes copied in and out with each item",
	  .min = 8, .max = 4096 },
	{ .name = "sample", .def = "1", .help = "latency rounds: time every k-th item",
	  .min = 1, .max = 1000000 },
	{ .name = NULL },
};

static const struct bench_metric qb_metrics[] = {
	{ .name = "items_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "ns_per_item", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_LATENCY_ROWS("latency", 0),
	{ .name = NULL },
};

/* The queue itself, in shared memory where it can be. */
static int qb_make_queue(struct bench_state *st, struct qb_shared *s)
{
	int shared = st->mode == BENCH_MODE_PROCESS;
	enum queue_kind qk = s->kind == QB_LIFO ? QUEUE_LIFO
			   : s->kind == QB_PRIORITY ? QUEUE_PRIORITY : QUEUE_FIFO;

	switch (s->kind) {
	case QB_FIFO:
	case QB_LIFO:
	case QB_PRIORITY:
		if (s->capacity == 0) {
			if (shared)
				return bench_skip(st, "an unbounded queue grows with malloc: "
						  "thread mode only");
			return queue_create((struct queue **)&s->q, qk, 0);
		}
		if (!(s->q = bench_shared_alloc(st, queue_bytes(s->capacity))))
			return -ENOMEM;
		return queue_init(s->q, qk, s->capacity, shared);
	case QB_DEQUE:
		if (s->capacity == 0) {
			if (shared)
				return bench_skip(st, "an unbounded deque grows with malloc: "
						  "thread mode only");
			return deque_create((struct deque **)&s->q, 0);
		}
		if (!(s->q = bench_shared_alloc(st, deque_bytes(s->capacity))))
			return -ENOMEM;
		return deque_init(s->q, s->capacity, 0, shared);
	case QB_SPSC:
	case QB_MPMC:
		if (s->capacity == 0)
			return bench_skip(st, "a ring is bounded: capacity 0 (unbounded) does not apply");
		if (s->kind == QB_SPSC && (s->producers != 1 || s->consumers != 1))
			return bench_skip(st, "a single-producer single-consumer ring takes 2 tasks");
		if (!(s->q = bench_shared_alloc(st, sizeof(struct ring_ck))) ||
		    !(s->ring_buf = bench_shared_alloc(st, sizeof(ck_ring_buffer_t) *
							    ring_ck_slots(s->capacity))))
			return -ENOMEM;
		ring_ck_init(s->q, s->capacity);
		return 0;
	}
	return -EINVAL;
}

static int qb_setup(struct bench_state *st, enum qb_kind kind, int producers, int lose)
{
	struct qb_shared *s = bench_shared_alloc(st, sizeof(*s));
	size_t np, nc;

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->kind = kind;
	s->lose = lose;
	s->producers = producers ? producers : st->ntasks / 2;
	s->consumers = st->ntasks - s->producers;
	if (s->producers < 1 || s->consumers < 1)
		return bench_skip(st, "needs a producer and a consumer: 2 tasks or more");
	s->capacity = (size_t)bench_param_int(st, "capacity");
	s->payload = (size_t)bench_param_int(st, "payload");
	s->sample = (uint64_t)bench_param_int(st, "sample");
	np = (size_t)s->producers;
	nc = (size_t)s->consumers;
	int r = qb_make_queue(st, s);
	if (r < 0)
		return r;
	s->slab_len = s->capacity ? s->capacity + nc + 2 : QB_UNBOUNDED_IN_FLIGHT;
	/* state, stamp, then payload */
	s->slot_bytes = (QB_SLOT_HEAD + s->payload + 7) / 8 * 8;
	s->slab = bench_shared_alloc(st, np * s->slab_len * s->slot_bytes);
	s->prod = bench_shared_alloc(st, np * sizeof(*s->prod));
	s->cons = bench_shared_alloc(st, nc * sizeof(*s->cons));
	s->cells = bench_shared_alloc(st, nc * np * sizeof(*s->cells));
	if (!s->slab || !s->prod || !s->cons || !s->cells)
		return -ENOMEM;
	return 0;
}

static void qb_put(struct qb_shared *s, uint64_t v, uint64_t idx)
{
	switch (s->kind) {
	case QB_FIFO:
	case QB_LIFO:
	case QB_PRIORITY: {
		/* Spread priorities over 1024 levels, so the heap has work. */
		struct queue_item it = {
			.priority = s->kind == QB_PRIORITY ? (int64_t)((idx * 2654435761u) & 1023) : 0,
			.value = v,
		};

		if (queue_put(s->q, &it, -1))
			abort();	/* cannot fail with no timeout */
		return;
	}
	case QB_DEQUE:
		while (deque_append(s->q, v) == -ENOSPC)
			sched_yield();	/* full: a deque never blocks */
		return;
	case QB_SPSC:
	case QB_MPMC:
		for (unsigned spins = 0; !(s->kind == QB_SPSC ? ring_ck_put_spsc(s->q, s->ring_buf, v)
					   : ring_ck_put_mpmc(s->q, s->ring_buf, v));)
			if (++spins % 128 == 0)
				sched_yield();	/* the consumer may be off the processor */
			else
				cpu_relax();
		return;
	}
}

static uint64_t qb_get(struct qb_shared *s)
{
	uint64_t v = 0;

	switch (s->kind) {
	case QB_FIFO:
	case QB_LIFO:
	case QB_PRIORITY: {
		struct queue_item it;

		if (queue_get(s->q, &it, -1))
			abort();
		return it.value;
	}
	case QB_DEQUE:
		while (deque_popleft(s->q, &v) == DEQUE_EMPTY)
			sched_yield();
		return v;
	case QB_SPSC:
	case QB_MPMC:
		for (unsigned spins = 0; !(s->kind == QB_SPSC ? ring_ck_get_spsc(s->q, s->ring_buf, &v)
					   : ring_ck_get_mpmc(s->q, s->ring_buf, &v));)
			if (++spins % 128 == 0)
				sched_yield();
			else
				cpu_relax();
		return v;
	}
	return v;
}

static unsigned char *qb_slot(const struct qb_shared *s, uint64_t p, uint64_t idx)
{
	return s->slab + ((size_t)p * s->slab_len + idx % s->slab_len) * s->slot_bytes;
}

static uint64_t qb_produce(struct bench_task *t, struct qb_shared *s, uint64_t iters)
{
	struct qb_producer *me = &s->prod[t->id];
	int rec = bench_recording(t);
	unsigned char src[4096];

	memset(src, t->id + 1, s->payload);
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t idx = me->made++;
		unsigned char *slot = qb_slot(s, (uint64_t)t->id, idx);
		uint64_t stamp = 0;

		uint64_t *state = (uint64_t *)slot;

		/* Acquire: pairs with the consumer's release once it has
		 * copied the slot's last item out; then it is ours to write. */
		for (unsigned spins = 0; __atomic_load_n(state, __ATOMIC_ACQUIRE); )
			if (++spins % 128 == 0)
				sched_yield();	/* the holder may be off the processor */
			else
				cpu_relax();
		memcpy(slot + QB_SLOT_HEAD, src, s->payload);
		if (rec && idx % s->sample == 0)
			stamp = bench_now_ns() | 1;	/* never 0: 0 means "not timed" */
		memcpy(slot + 8, &stamp, 8);
		/* Relaxed: the queue's own lock or fences publish the slot with
		 * the item; only this producer reads the word as taken. */
		__atomic_store_n(state, 1, __ATOMIC_RELAXED);
		qb_put(s, (uint64_t)t->id << QB_INDEX_BITS | idx, idx);
	}
	if (t->id == 0 && s->kind <= QB_PRIORITY && queue_join(s->q, -1))
		abort();
	return 0;
}

static uint64_t qb_consume(struct bench_task *t, struct qb_shared *s, uint64_t iters)
{
	int c = t->id - s->producers;
	struct qb_consumer *me = &s->cons[c];
	int rec = bench_recording(t);
	unsigned char dst[4096];
	uint64_t got = 0;

	me->target += iters * (uint64_t)s->producers;
	me->lost_this_round = 0;
	/* A ticket per item: the round's items are claimed exactly once. */
	while (__atomic_fetch_add(&s->claimed, 1, __ATOMIC_RELAXED) < me->target) {
		uint64_t v = qb_get(s), p = v >> QB_INDEX_BITS;
		uint64_t idx = v & ((UINT64_C(1) << QB_INDEX_BITS) - 1), stamp;
		unsigned char *slot = qb_slot(s, p, idx);
		struct qb_cell *cell = &s->cells[(size_t)c * s->producers + p];

		memcpy(&stamp, slot + 8, 8);
		memcpy(dst, slot + QB_SLOT_HEAD, s->payload);
		__asm__ __volatile__("" : : "r"(dst) : "memory");	/* the copy is the point */
		/* Release: our copies of the slot happen before its reuse. */
		__atomic_store_n((uint64_t *)slot, 0, __ATOMIC_RELEASE);
		if (rec && stamp)
			bench_record_ns(t, 0, bench_now_ns() - (stamp & ~UINT64_C(1)));
		if (s->kind <= QB_PRIORITY && queue_task_done(s->q))
			abort();
		got++;
		if (s->lose && !me->lost_this_round) {
			me->lost_this_round = 1;	/* selftest: forget one a round */
			continue;
		}
		cell->count++;
		cell->sum += idx;
		cell->sumsq += idx * idx;
	}
	/* The ticket that failed was one too many: give it back, so that
	 * the count stays the number of items claimed. */
	__atomic_fetch_sub(&s->claimed, 1, __ATOMIC_RELAXED);
	me->got += got;
	return got;
}

static uint64_t qb_run(struct bench_task *t, uint64_t iters)
{
	struct qb_shared *s = t->st->priv;

	return t->id < s->producers ? qb_produce(t, s, iters) : qb_consume(t, s, iters);
}

static const char *qb_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct qb_shared *s = st->priv;

	(void)base_iters;
	for (int p = 0; p < s->producers; p++) {
		uint64_t n = s->prod[p].made, count = 0, sum = 0, sumsq = 0, want = 0, wantsq = 0;

		if (n != run_iters)
			return "a producer did not make the items it was asked for";
		for (uint64_t i = 0; i < n; i++) {
			want += i;
			wantsq += i * i;
		}
		for (int c = 0; c < s->consumers; c++) {
			const struct qb_cell *cell = &s->cells[(size_t)c * s->producers + p];

			count += cell->count;
			sum += cell->sum;
			sumsq += cell->sumsq;
		}
		if (count < n)
			return "items were lost: the consumers received fewer than a producer made";
		if (count > n)
			return "items were duplicated: the consumers received more than a producer made";
		if (sum != want || sumsq != wantsq)
			return "the items received are not the items made (one lost, another twice)";
	}
	return NULL;
}

static void qb_teardown(struct bench_state *st)
{
	struct qb_shared *s = st->priv;

	if (!s || !s->q || s->capacity)
		return;
	if (s->kind == QB_DEQUE)
		deque_destroy(s->q);
	else if (s->kind <= QB_PRIORITY)
		queue_destroy(s->q);
}

#define QB_SETUP(fn, kind, producers, lose)					\
	static int fn(struct bench_state *st)					\
	{									\
		return qb_setup(st, kind, producers, lose);			\
	}
QB_SETUP(qb_setup_fifo, QB_FIFO, 0, 0)
QB_SETUP(qb_setup_lifo, QB_LIFO, 0, 0)
QB_SETUP(qb_setup_priority, QB_PRIORITY, 0, 0)
QB_SETUP(qb_setup_deque, QB_DEQUE, 0, 0)
QB_SETUP(qb_setup_spsc, QB_SPSC, 0, 0)
QB_SETUP(qb_setup_mpmc, QB_MPMC, 0, 0)
QB_SETUP(qb_setup_cooks, QB_FIFO, 3, 0)
QB_SETUP(qb_setup_loss, QB_FIFO, 0, 1)

#define QB_DESC(var, nm, sum, setup_, tasks_, over_, params_, hidden_)		\
	const struct bench_desc var = {						\
		.name = nm, .summary = sum, .version = BENCH_VERSION,		\
		.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,		\
		.tasks = tasks_, .oversubscribe = over_, .hidden = hidden_,	\
		.placements = "none", .params = params_, .metrics = qb_metrics,	\
		.setup = setup_, .run = qb_run, .check = qb_check,		\
		.teardown = qb_teardown,					\
	}

QB_DESC(bench_queue_fifo, "queue.fifo", "queue.Queue: bounded, blocking, task_done and join",
	qb_setup_fifo, 0, 1, qb_params, 0);
QB_DESC(bench_queue_lifo, "queue.lifo", "queue.LifoQueue: last in, first out", qb_setup_lifo,
	0, 1, qb_params, 0);
QB_DESC(bench_queue_priority, "queue.priority",
	"queue.PriorityQueue: a binary heap over 1024 priorities", qb_setup_priority, 0, 1,
	qb_params, 0);
QB_DESC(bench_queue_deque, "queue.deque",
	"collections.deque: append / popleft under one lock, both sides poll", qb_setup_deque,
	0, 1, qb_params, 0);
QB_DESC(bench_queue_ck_spsc, "queue.ck_spsc",
	"Concurrency Kit ring, one producer and one consumer: lock-free peer", qb_setup_spsc,
	2, 0, qb_params, 0);
QB_DESC(bench_queue_ck_mpmc, "queue.ck_mpmc",
	"Concurrency Kit ring, many producers and consumers: lock-free peer", qb_setup_mpmc,
	0, 1, qb_params, 0);
QB_DESC(bench_queue_cooks, "queue.cooks",
	"the lesson's scene: 3 cooks and 10 customers over Queue(10)", qb_setup_cooks, 13, 0,
	qb_cooks_params, 0);
QB_DESC(bench_selftest_queue_loss, "selftest.queue_loss",
	"a FIFO run whose consumers forget one item a round: check must fail", qb_setup_loss,
	2, 0, qb_params, 1);
