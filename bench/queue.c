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
 * The latency is put -> get of every `sample`-th item of a latency
 * round, counted from the round's first (a round of fewer items times
 * its last), so that every latency round times something.
 *
 * `load` paces the latency rounds.  0: producers run flat out, as in the
 * measured rounds, so a bounded queue stays full and an item waits for
 * the `capacity` items ahead of it: capacity x ns_per_item.  L > 0: each
 * producer puts on a fixed schedule, L % of the median items per second
 * of this configuration's flat-out rounds (its items_per_sec row), shared
 * among the producers; open loop, as load generators do: an item
 * is stamped with the time it was due, not the time it went in, so a
 * producer that falls behind (a full queue, a stall) is charged for it
 * and no wait is left out (no coordinated omission).  That latency is
 * the hand-off at a stated load, and no faster: a paced round's items
 * over its span (first producer's start to last one's end, less each
 * producer's first item, which is due at its start) never exceed L % of
 * that rate, whatever the producers (check()).
 *
 * bytes_per_sec: the payload bytes of a measured round over its span,
 * from the first task's start to the last consumer's end (two clock
 * reads a task a round), which lies inside the harness's round: at least
 * payload x items_per_sec.
 *
 * check(): for every producer, the consumers received exactly the items
 * it made, each once: the count, the sum and the sum of squares of the
 * indices all match (a lost or doubled item changes the count; a lost
 * one swapped for a doubled one changes the sums); and the operations
 * run() returned, which the harness turns into items_per_sec, are
 * exactly those items (counted by the consumers, never by the
 * producers too).  Held to the parameters as asked: every latency round
 * was paced when `load` > 0 and none when 0; and the queue, filled once
 * the rounds are over, takes exactly `capacity` items and refuses the
 * next (unbounded: more than QB_UNBOUNDED_IN_FLIGHT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/queue.h"
#include "harness/bench.h"
#include "harness/stats.h"
#include "primitives/arch/cpu.h"
#include "primitives/deque.h"
#include "primitives/queue.h"
#include "primitives/ring_ck.h"

#define QB_INDEX_BITS 40
#define QB_UNBOUNDED_IN_FLIGHT 4096
/* A slot: its state word (0 free, 1 holds an item), the stamp, the
 * payload. */
#define QB_SLOT_HEAD 16

/* What the consumers feed besides their operations (harness/bench.h,
 * BENCH_FIGURES): the payload bytes a measured round copied out, per
 * second of its own span (the last consumer to finish reports it), and
 * each timed item's way through the queue. */
#define QB_FIGURES(VALUE, HIST)							\
	VALUE(QB_BYTES_PER_SEC, .name = "bytes_per_sec", .unit = "bytes/s",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MAX, .higher_is_better = 1)	\
	HIST(QB_HIST_LATENCY, "latency")
BENCH_FIGURES(QB, QB_FIGURES);

static const struct bench_param qb_params[] = {
	{ .name = "capacity", .def = "1,16,1024,0", .quick = "16",
	  .help = "queue bound in items (0: unbounded, for the kinds that grow)",
	  .min = 0, .max = 1 << 20 },
	{ .name = "payload", .def = "8", .help = "bytes copied in and out with each item",
	  .min = 8, .max = 4096 },
	{ .name = "sample", .def = "1", .help = "latency rounds: time every k-th item of a round "
	  "(a round of fewer items: its last)", .min = 1, .max = 1000000 },
	{ .name = "load", .def = "0,50", .help = "latency rounds: producers put at this % of the "
	  "flat-out items/s, latency from the time each item was due (0: flat out, queue full)",
	  .min = 0, .max = 100 },
	{ .name = NULL },
};

static const struct bench_param qb_cooks_params[] = {
	{ .name = "capacity", .def = "10", .help = "Queue(10), as in the lesson (0: unbounded)",
	  .min = 0, .max = 1 << 20 },
	{ .name = "payload", .def = "8", .help = "bytes copied in and out with each item",
	  .min = 8, .max = 4096 },
	{ .name = "sample", .def = "1", .help = "latency rounds: time every k-th item of a round "
	  "(a round of fewer items: its last)", .min = 1, .max = 1000000 },
	{ .name = "load", .def = "0", .help = "latency rounds: producers put at this % of the "
	  "flat-out items/s, latency from the time each item was due (0: flat out, queue full)",
	  .min = 0, .max = 100 },
	{ .name = NULL },
};

static const struct bench_metric qb_metrics[] = {
	{ .name = "items_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "ns_per_item", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_FIGURE_ROWS(QB_FIGURES)
	{ .name = NULL },
};

/* What cannot run by construction, said alike by the planner's test and
 * by setup. */
#define QB_WHY_TASKS "needs a producer and a consumer: 2 tasks or more"
#define QB_WHY_RING "a ring is bounded: capacity 0 (unbounded) does not apply"
#define QB_WHY_QUEUE "an unbounded queue grows with malloc: thread mode only"
#define QB_WHY_DEQUE "an unbounded deque grows with malloc: thread mode only"

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
				return bench_skip(st, QB_WHY_QUEUE);
			return queue_create((struct queue **)&s->q, qk, 0);
		}
		if (!(s->q = bench_shared_alloc(st, queue_bytes(s->capacity))))
			return -ENOMEM;
		return queue_init(s->q, qk, s->capacity, shared);
	case QB_DEQUE:
		if (s->capacity == 0) {
			if (shared)
				return bench_skip(st, QB_WHY_DEQUE);
			return deque_create((struct deque **)&s->q, 0);
		}
		if (!(s->q = bench_shared_alloc(st, deque_bytes(s->capacity))))
			return -ENOMEM;
		return deque_init(s->q, s->capacity, 0, shared);
	case QB_SPSC:
	case QB_MPMC:
		if (s->capacity == 0)
			return bench_skip(st, QB_WHY_RING);
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

/* The planner's test (bench_desc.unfit) for a queue of this kind: it
 * moves nothing without a producer and a consumer, a ring has no
 * unbounded form, and an unbounded queue lives in one process's heap. */
static const char *qb_unfit(const struct bench_state *st, enum qb_kind kind)
{
	int unbounded = bench_param_int(st, "capacity") == 0;

	if (st->ntasks < 2)
		return QB_WHY_TASKS;
	if (unbounded && (kind == QB_SPSC || kind == QB_MPMC))
		return QB_WHY_RING;
	if (unbounded && st->mode == BENCH_MODE_PROCESS)
		return kind == QB_DEQUE ? QB_WHY_DEQUE : QB_WHY_QUEUE;
	return NULL;
}

static int qb_setup(struct bench_state *st, enum qb_kind kind, int producers,
		    enum qb_selftest selftest)
{
	struct qb_shared *s = bench_shared_alloc(st, sizeof(*s));
	size_t np, nc;

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->kind = kind;
	s->selftest = selftest;
	s->producers = producers ? producers : st->ntasks / 2;
	s->consumers = st->ntasks - s->producers;
	if (s->producers < 1 || s->consumers < 1)
		return bench_skip(st, QB_WHY_TASKS);
	s->capacity = (size_t)bench_param_int(st, "capacity");
	s->payload = (size_t)bench_param_int(st, "payload");
	s->sample = (uint64_t)bench_param_int(st, "sample");
	s->load_pct = (uint64_t)bench_param_int(st, "load");
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

/*
 * The time between two puts of one producer in a paced latency round:
 * load_pct % of the median items/s of the flat-out rounds so far (the
 * figure the items_per_sec row gives), shared among the producers; the
 * calibration's first tiny rounds (under a quarter of the largest) left
 * out.  0: flat out.
 */
static double qb_flat_median(const struct qb_shared *s)
{
	uint64_t n = s->nflat < QB_FLAT_ROUNDS ? s->nflat : QB_FLAT_ROUNDS, most = 0;
	double rate[QB_FLAT_ROUNDS];
	size_t k = 0;

	if (!n)
		abort();	/* the harness runs flat-out rounds first: a bug */
	for (uint64_t i = 0; i < n; i++)
		if (s->flat_items[i] > most)
			most = s->flat_items[i];
	for (uint64_t i = 0; i < n; i++)
		if (s->flat_items[i] * 4 >= most)
			rate[k++] = s->flat_rate[i];
	return stats_median(rate, k);
}

static double qb_pace_ns(const struct qb_shared *s)
{
	if (!s->load_pct)
		return 0;
	return 1e9 * s->producers * 100 / (qb_flat_median(s) * (double)s->load_pct);
}

/*
 * The end of a producer's paced round: the last producer to finish holds
 * the round to its load.  Each producer's first item is due at its start
 * and each later one a pace after the one before, so the items after the
 * first ones, over the round's span, come at no more than load % of the
 * flat-out rate, computed here from its definition (1 % and a
 * microsecond allowed for arithmetic and clocks of different
 * processors).  Every producer wrote its times before its add
 * (acq_rel), so the last one sees them all.
 */
static void qb_paced_end(struct qb_shared *s, struct qb_producer *me, uint64_t iters)
{
	uint64_t first = UINT64_MAX, last = 0;
	double most;

	me->paced_end = bench_now_ns();
	if (__atomic_add_fetch(&s->paced_done, 1, __ATOMIC_ACQ_REL) != (uint64_t)s->producers)
		return;
	for (int p = 0; p < s->producers; p++) {
		first = s->prod[p].paced_t0 < first ? s->prod[p].paced_t0 : first;
		last = s->prod[p].paced_end > last ? s->prod[p].paced_end : last;
	}
	most = qb_flat_median(s) * (double)s->load_pct / 100 * 1.01;
	if (iters > 1 && (double)((iters - 1) * (uint64_t)s->producers) * 1e9 >
			 most * (double)(last - first + 1000))
		s->too_fast++;
	/* The next round starts after the harness's gate: no one adds now. */
	__atomic_store_n(&s->paced_done, 0, __ATOMIC_RELAXED);
}

/*
 * The end of a consumer's flat-out round: the last consumer to finish
 * keeps the round's items and items/s (a paced configuration's pace),
 * timed from the first task's start to now, and reports the payload
 * bytes they carried per second.  Every task wrote its start before its
 * first put or get, which reached this consumer through the queue or
 * through flat_done (acquire-release).  Two clock reads a task a round:
 * none per item, so the rate is the flat-out rate.  That span lies
 * inside the harness's round, so bytes_per_sec is at least payload x
 * items_per_sec, round by round.
 */
static void qb_flat_end(struct bench_task *t, struct qb_shared *s, uint64_t items)
{
	uint64_t end = bench_now_ns(), first = end;

	if (__atomic_add_fetch(&s->flat_done, 1, __ATOMIC_ACQ_REL) != (uint64_t)s->consumers)
		return;
	for (int p = 0; p < s->producers; p++)
		if (__atomic_load_n(&s->prod[p].start_ns, __ATOMIC_RELAXED) < first)
			first = __atomic_load_n(&s->prod[p].start_ns, __ATOMIC_RELAXED);
	for (int c = 0; c < s->consumers; c++)
		if (__atomic_load_n(&s->cons[c].start_ns, __ATOMIC_RELAXED) < first)
			first = __atomic_load_n(&s->cons[c].start_ns, __ATOMIC_RELAXED);
	s->flat_items[s->nflat % QB_FLAT_ROUNDS] = items;
	s->flat_rate[s->nflat % QB_FLAT_ROUNDS] = bench_per_sec((double)items, end - first + 1);
	bench_report(t, QB_BYTES_PER_SEC,
		     s->flat_rate[s->nflat % QB_FLAT_ROUNDS] * (double)s->payload);
	s->nflat++;
	/* The next round starts after the harness's gate: no one adds now. */
	__atomic_store_n(&s->flat_done, 0, __ATOMIC_RELAXED);
}

/*
 * Wait until the harness clock reads `due`, and return its last reading
 * (how late the wait ended shows in it): asleep while it is far (the
 * processor goes to the others when tasks outnumber processors), then on
 * the processor.  Never sched_yield(): on a busy machine a task that
 * yields queues behind every other one for a time slice, and an open
 * loop would charge that lateness to the queue.  QB_SLEEP_NS leaves the
 * timer slack (50 us) and a wake-up to spare.
 */
#define QB_SLEEP_NS 200000
static uint64_t qb_wait_until(uint64_t due)
{
	uint64_t now;

	while ((now = bench_now_ns()) < due)
		if (due - now > QB_SLEEP_NS) {
			uint64_t ns = due - now - QB_SLEEP_NS / 2;
			struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000),
					       .tv_nsec = (long)(ns % 1000000000) };

			nanosleep(&ts, NULL);	/* early on a signal: the loop looks again */
		} else {
			cpu_relax();
		}
	return now;
}

static uint64_t qb_produce(struct bench_task *t, struct qb_shared *s, uint64_t iters)
{
	struct qb_producer *me = &s->prod[t->id];
	int rec = bench_recording(t);
	double pace_ns = rec ? qb_pace_ns(s) : 0;
	uint64_t t0 = pace_ns > 0 ? bench_now_ns() : 0;
	unsigned char src[4096];

	if (!rec)
		__atomic_store_n(&me->start_ns, bench_now_ns(), __ATOMIC_RELAXED);
	if (rec) {
		me->lat_rounds++;
		me->paced_rounds += pace_ns > 0;
	}
	if (rec && s->selftest == QB_SPARSE && me->lat_rounds % 2 == 0)
		rec = 0;
	memset(src, t->id + 1, s->payload);
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t idx = me->made++;
		unsigned char *slot = qb_slot(s, (uint64_t)t->id, idx);
		uint64_t stamp = 0, due = 0, woke = 0;
		/* Every sample-th of the round, or the last of a short round. */
		int timed = rec && ((i + 1) % s->sample == 0 || (iters < s->sample && i + 1 == iters));

		uint64_t *state = (uint64_t *)slot;

		if (pace_ns > 0) {
			/* Open loop: the schedule does not wait for the queue. */
			due = t0 + (uint64_t)((double)i * pace_ns);
			woke = qb_wait_until(due);
		}

		/* Acquire: pairs with the consumer's release once it has
		 * copied the slot's last item out; then it is ours to write. */
		for (unsigned spins = 0; __atomic_load_n(state, __ATOMIC_ACQUIRE); )
			if (++spins % 128 == 0)
				sched_yield();	/* the holder may be off the processor */
			else
				cpu_relax();
		memcpy(slot + QB_SLOT_HEAD, src, s->payload);
		if (timed) {	/* never 0: 0 means "not timed" */
			stamp = (pace_ns > 0 ? due : bench_now_ns()) | 1;
			/* How late it woke for its due time: the clock read
			 * the wait already made, none more in the loop. */
			if (pace_ns > 0 && woke - due > me->most_late)
				me->most_late = woke - due;
		}
		memcpy(slot + 8, &stamp, 8);
		/* Relaxed: the queue's own lock or fences publish the slot with
		 * the item; only this producer reads the word as taken. */
		__atomic_store_n(state, 1, __ATOMIC_RELAXED);
		qb_put(s, (uint64_t)t->id << QB_INDEX_BITS | idx, idx);
	}
	/* Its last put waited for t0 + (iters - 1) pace: a round that ends
	 * sooner was not paced (check() says so). */
	if (pace_ns > 0 && bench_now_ns() - t0 < (uint64_t)((double)(iters - 1) * pace_ns))
		me->ahead = 1;
	if (pace_ns > 0) {
		me->paced_t0 = t0;
		qb_paced_end(s, me, iters);
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
	int flat = !rec;	/* a measured round: bytes_per_sec, and the pace */
	unsigned char dst[4096];
	uint64_t got = 0;

	if (flat)
		__atomic_store_n(&me->start_ns, bench_now_ns(), __ATOMIC_RELAXED);

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
		if (rec && stamp) {
			uint64_t ns = bench_now_ns() - (stamp & ~UINT64_C(1));

			bench_record_ns(t, QB_HIST_LATENCY, ns);
			if (ns > me->most_latency)
				me->most_latency = ns;
		}
		if (s->kind <= QB_PRIORITY && queue_task_done(s->q))
			abort();
		got++;
		if (s->selftest == QB_LOSE && !me->lost_this_round) {
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
	if (flat)
		qb_flat_end(t, s, iters * (uint64_t)s->producers);
	return got;
}

/* An item is one operation, counted once, by the consumer that got it:
 * a producer returns 0.  Every return passes through here, so check()
 * can hold the harness's count to the items received. */
static uint64_t qb_run(struct bench_task *t, uint64_t iters)
{
	struct qb_shared *s = t->st->priv;
	uint64_t ops = t->id < s->producers ? qb_produce(t, s, iters) : qb_consume(t, s, iters);

	/* Relaxed: check() reads it after the harness has ended the tasks. */
	__atomic_fetch_add(&s->ops, ops, __ATOMIC_RELAXED);
	return ops;
}

/*
 * How many items the queue takes before it refuses one, at most `most`;
 * it is emptied again (and each item task_done, so that join() holds).
 * For check(), once no task uses the queue.
 */
static uint64_t qb_held(struct qb_shared *s, uint64_t most)
{
	struct queue_item it = { 0 };
	uint64_t n = 0, v;

	switch (s->kind) {
	case QB_FIFO:
	case QB_LIFO:
	case QB_PRIORITY:
		while (n < most && queue_put_nowait(s->q, &it) == 0)
			n++;
		for (uint64_t i = 0; i < n; i++)
			if (queue_get_nowait(s->q, &it) || queue_task_done(s->q))
				abort();	/* it took n: a bug */
		return n;
	case QB_DEQUE:
		while (n < most && deque_append(s->q, n) == 0)
			n++;
		for (uint64_t i = 0; i < n; i++)
			if (deque_popleft(s->q, &v))
				abort();
		return n;
	case QB_SPSC:
	case QB_MPMC:
		while (n < most && (s->kind == QB_SPSC ? ring_ck_put_spsc(s->q, s->ring_buf, n)
				    : ring_ck_put_mpmc(s->q, s->ring_buf, n)))
			n++;
		for (uint64_t i = 0; i < n; i++)
			if (!(s->kind == QB_SPSC ? ring_ck_get_spsc(s->q, s->ring_buf, &v)
			      : ring_ck_get_mpmc(s->q, s->ring_buf, &v)))
				abort();
		return n;
	}
	return 0;
}

static const char *qb_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct qb_shared *s = st->priv;
	/* The parameters as asked, not as setup kept them: what the queue
	 * holds and how the latency rounds ran must follow the asking. */
	uint64_t capacity = (uint64_t)bench_param_int(st, "capacity");
	uint64_t most = (capacity ? capacity : QB_UNBOUNDED_IN_FLIGHT) + 1;
	int paced = bench_param_int(st, "load") > 0;

	(void)base_iters;
	for (int p = 0; p < s->producers; p++) {
		uint64_t n = s->prod[p].made, count = 0, sum = 0, sumsq = 0, want = 0, wantsq = 0;

		if (n != run_iters)
			return "a producer did not make the items it was asked for";
		if (s->prod[p].ahead)
			return "a paced latency round ended before its schedule: the load was not applied";
		if (s->too_fast)
			return "a paced latency round's items came faster than load % of the flat-out "
			       "items/s: the producers' shares of the load add up to more";
		if (s->prod[p].paced_rounds != (paced ? s->prod[p].lat_rounds : 0))
			return paced ? "a latency round was not paced: the load was not applied"
				     : "a latency round was paced with no load asked for";
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
	/* An item's latency runs from its due time, so it is at least how
	 * late it went in (coordinated omission is the mistake of timing
	 * from the put, which leaves a producer's delays out): the longest
	 * latency recorded is at least the most a timed item's producer
	 * woke late for it (it puts the item after that).
	 * A microsecond of slack: the two readings come from different
	 * processors, whose clocks (the TSC where the harness uses it) may
	 * disagree by a little on a machine of several sockets, and the
	 * stamp's low bit, set to tell a timed item, may add 1 ns.  A late
	 * put is a sleep's overshoot or a preemption: tens of microseconds
	 * and up. */
	{
		uint64_t late = 0, lat = 0;

		for (int p = 0; p < s->producers; p++)
			late = late > s->prod[p].most_late ? late : s->prod[p].most_late;
		for (int c = 0; c < s->consumers; c++)
			lat = lat > s->cons[c].most_latency ? lat : s->cons[c].most_latency;
		if (lat + 1000 < late)
			return "an item's latency was shorter than it went in late: latency must run "
			       "from the time it was due";
	}
	/* Every item made was received once (above), so the harness's
	 * operations must be those items, no more: a producer that counted
	 * its puts as well would double items_per_sec. */
	if (s->ops != run_iters * (uint64_t)s->producers)
		return "the operations run() reported are not the items received, once each";
	/* Every queue holds exactly its capacity, the rings included; an
	 * unbounded one (capacity 0) more than QB_UNBOUNDED_IN_FLIGHT, so
	 * more than any bounded default. */
	if (qb_held(s, most) != (capacity ? capacity : most))
		return "the queue does not hold the capacity asked for";
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

#define QB_SETUP(fn, kind, producers, selftest)				\
	static int fn(struct bench_state *st)					\
	{									\
		return qb_setup(st, kind, producers, selftest);			\
	}									\
	static const char *fn##_unfit(const struct bench_state *st)		\
	{									\
		return qb_unfit(st, kind);					\
	}
QB_SETUP(qb_setup_fifo, QB_FIFO, 0, QB_REAL)
QB_SETUP(qb_setup_lifo, QB_LIFO, 0, QB_REAL)
QB_SETUP(qb_setup_priority, QB_PRIORITY, 0, QB_REAL)
QB_SETUP(qb_setup_deque, QB_DEQUE, 0, QB_REAL)
QB_SETUP(qb_setup_spsc, QB_SPSC, 0, QB_REAL)
QB_SETUP(qb_setup_mpmc, QB_MPMC, 0, QB_REAL)
QB_SETUP(qb_setup_cooks, QB_FIFO, 3, QB_REAL)
QB_SETUP(qb_setup_loss, QB_FIFO, 0, QB_LOSE)
QB_SETUP(qb_setup_sparse, QB_FIFO, 0, QB_SPARSE)

/* Every queue.* workload: one driver, the queue picked by its setup.
 * Each names its name, summary, setup and params, and its tasks,
 * oversubscribe or hidden where they are not 0. */
#define QB_DESC(var, ...)							\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION,					\
		.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,		\
		.placements = "none", .metrics = qb_metrics,			\
		.run = qb_run, .check = qb_check, .teardown = qb_teardown,	\
		__VA_ARGS__							\
	}

QB_DESC(bench_queue_fifo, .name = "queue.fifo",
	.summary = "queue.Queue: bounded, blocking, task_done and join",
	.setup = qb_setup_fifo, .unfit = qb_setup_fifo_unfit,
	.oversubscribe = 1, .params = qb_params);
QB_DESC(bench_queue_lifo, .name = "queue.lifo",
	.summary = "queue.LifoQueue: last in, first out",
	.setup = qb_setup_lifo, .unfit = qb_setup_lifo_unfit,
	.oversubscribe = 1, .params = qb_params);
QB_DESC(bench_queue_priority, .name = "queue.priority",
	.summary = "queue.PriorityQueue: a binary heap over 1024 priorities",
	.setup = qb_setup_priority, .unfit = qb_setup_priority_unfit,
	.oversubscribe = 1, .params = qb_params);
QB_DESC(bench_queue_deque, .name = "queue.deque",
	.summary = "collections.deque: append / popleft under one lock, both sides poll",
	.setup = qb_setup_deque, .unfit = qb_setup_deque_unfit,
	.oversubscribe = 1, .params = qb_params);
QB_DESC(bench_queue_ck_spsc, .name = "queue.ck_spsc",
	.summary = "Concurrency Kit ring, one producer and one consumer: lock-free peer",
	.setup = qb_setup_spsc, .unfit = qb_setup_spsc_unfit, .tasks = 2, .params = qb_params);
QB_DESC(bench_queue_ck_mpmc, .name = "queue.ck_mpmc",
	.summary = "Concurrency Kit ring, many producers and consumers: lock-free peer",
	.setup = qb_setup_mpmc, .unfit = qb_setup_mpmc_unfit,
	.oversubscribe = 1, .params = qb_params);
QB_DESC(bench_queue_cooks, .name = "queue.cooks",
	.summary = "the lesson's scene: 3 cooks and 10 customers over Queue(10)",
	.setup = qb_setup_cooks, .unfit = qb_setup_cooks_unfit,
	.tasks = 13, .params = qb_cooks_params);
QB_DESC(bench_selftest_queue_loss, .name = "selftest.queue_loss",
	.summary = "a FIFO run whose consumers forget one item a round: check must fail",
	.setup = qb_setup_loss, .unfit = qb_setup_loss_unfit,
	.tasks = 2, .params = qb_params, .hidden = 1);
QB_DESC(bench_selftest_queue_sparse, .name = "selftest.queue_sparse",
	.summary = "a FIFO run that times items only in odd latency rounds: the report must "
		   "warn",
	.setup = qb_setup_sparse, .unfit = qb_setup_sparse_unfit,
	.tasks = 2, .params = qb_params, .hidden = 1);
