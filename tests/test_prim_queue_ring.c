/*
 * tests/test_prim_queue_ring.c - Concurrency Kit's rings behind
 * primitives/ring_ck.h hold exactly the capacity they were made with
 * (ck's own ring of 2^k slots holds 2^k - 1): filled until a put fails,
 * one thread and several racing producers, and an exactly-once hand-over
 * through the smallest rings under contention; and a million tagged
 * items through each kind (spsc one producer and one consumer, mpmc
 * many of each), every item received exactly once, spsc in order.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "primitives/ring_ck.h"
#include "tests/check.h"

/* Capacities at and around ck's powers of two. */
static const unsigned rt_caps[] = { 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 1023, 1024, 1025 };
#define RT_NCAPS (sizeof(rt_caps) / sizeof(rt_caps[0]))

struct rt_ring {
	struct ring_ck r;
	ck_ring_buffer_t *buf;
};

static void rt_make(struct rt_ring *t, unsigned capacity)
{
	cr_assert_geq(ring_ck_slots(capacity), capacity + 1, "ck holds one less than its slots");
	t->buf = calloc(ring_ck_slots(capacity), sizeof(*t->buf));
	cr_assert_not_null(t->buf);
	ring_ck_init(&t->r, capacity);
}

static bool rt_put(struct rt_ring *t, int mpmc, uint64_t v)
{
	return mpmc ? ring_ck_put_mpmc(&t->r, t->buf, v) : ring_ck_put_spsc(&t->r, t->buf, v);
}

static bool rt_get(struct rt_ring *t, int mpmc, uint64_t *v)
{
	return mpmc ? ring_ck_get_mpmc(&t->r, t->buf, v) : ring_ck_get_spsc(&t->r, t->buf, v);
}

/* Put until full: exactly `capacity` items, in order out; after one get
 * exactly one more fits.  Each lap starts one place further round the
 * ring, so the fill crosses ck's end of the buffer. */
static void rt_fill(int mpmc)
{
	for (size_t i = 0; i < RT_NCAPS; i++) {
		unsigned cap = rt_caps[i];
		struct rt_ring t;
		uint64_t in = 0, out = 0, v;

		rt_make(&t, cap);
		for (int lap = 0; lap < 3; lap++) {
			unsigned held = 0, drained = 0;

			/* Bounded by ck's own size, so that a wrong count is told. */
			while (held < ring_ck_slots(cap) && rt_put(&t, mpmc, in)) {
				in++;
				held++;
			}
			cr_assert_eq(held, cap, "capacity %u (%s, lap %d): held %u items", cap,
				     mpmc ? "mpmc" : "spsc", lap, held);
			cr_assert(rt_get(&t, mpmc, &v));
			cr_assert_eq(v, out++);
			cr_assert(rt_put(&t, mpmc, in++), "capacity %u: no room after a get", cap);
			cr_assert_not(rt_put(&t, mpmc, in), "capacity %u: room for one too many", cap);
			while (rt_get(&t, mpmc, &v)) {
				cr_assert_eq(v, out++);
				drained++;
			}
			cr_assert_eq(drained, cap);
			cr_assert(rt_put(&t, mpmc, in++));
			cr_assert(rt_get(&t, mpmc, &v));
			cr_assert_eq(v, out++);
		}
		cr_assert_eq(out, in);
		free(t.buf);
	}
}

Test(ring_ck, spsc_holds_its_stated_capacity, .timeout = 10)
{
	rt_fill(0);
}

Test(ring_ck, mpmc_holds_its_stated_capacity, .timeout = 10)
{
	rt_fill(1);
}

/* Producers that race to fill an empty mpmc ring, each until a put
 * fails, put exactly `capacity` items between them: each saw room, so
 * the bound must be taken, not only looked at. */
enum { RT_RACERS = 4, RT_RACE_ROUNDS = 2000 };

struct rt_race {
	struct rt_ring t;
	pthread_barrier_t go, done;
	unsigned put[RT_RACERS];
	int stop;
};

struct rt_racer_arg {
	struct rt_race *x;
	int id;
};

static void *rt_race_main(void *arg)
{
	struct rt_racer_arg *a = arg;
	struct rt_race *x = a->x;

	for (;;) {
		pthread_barrier_wait(&x->go);
		if (__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE))
			return NULL;
		x->put[a->id] = 0;
		while (ring_ck_put_mpmc(&x->t.r, x->t.buf, (uint64_t)a->id))
			x->put[a->id]++;
		pthread_barrier_wait(&x->done);
	}
}

Test(ring_ck, mpmc_racing_producers_fill_exactly_the_capacity, .timeout = 60)
{
	static const unsigned caps[] = { 1, 3, 16 };
	static struct rt_race x;
	struct rt_racer_arg a[RT_RACERS];
	pthread_t th[RT_RACERS];

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		rt_make(&x.t, caps[c]);
		x.stop = 0;
		cr_assert_eq(pthread_barrier_init(&x.go, NULL, RT_RACERS + 1), 0);
		cr_assert_eq(pthread_barrier_init(&x.done, NULL, RT_RACERS + 1), 0);
		for (int i = 0; i < RT_RACERS; i++) {
			a[i] = (struct rt_racer_arg){ .x = &x, .id = i };
			cr_assert_eq(pthread_create(&th[i], NULL, rt_race_main, &a[i]), 0);
		}
		for (int round = 0; round < RT_RACE_ROUNDS; round++) {
			unsigned sum = 0, got = 0;
			uint64_t v;

			pthread_barrier_wait(&x.go);
			pthread_barrier_wait(&x.done);
			for (int i = 0; i < RT_RACERS; i++)
				sum += x.put[i];
			cr_assert_eq(sum, caps[c], "capacity %u, round %d: racing producers put %u",
				     caps[c], round, sum);
			while (ring_ck_get_mpmc(&x.t.r, x.t.buf, &v))
				got++;
			cr_assert_eq(got, sum);
		}
		__atomic_store_n(&x.stop, 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&x.go);
		for (int i = 0; i < RT_RACERS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&x.go);
		pthread_barrier_destroy(&x.done);
		free(x.t.buf);
	}
}

/* Items handed through rings of capacity 1 and 3 by two producers to
 * two consumers arrive exactly once, and the bound is all given back:
 * the drained ring takes `capacity` items again. */
enum { RT_ITEMS = 20000 };

struct rt_flow {
	struct rt_ring t;
	uint64_t taken;			/* consumers' claims */
	uint64_t seen[2 * RT_ITEMS];	/* per value: times received */
};

struct rt_flow_arg {
	struct rt_flow *f;
	int id;
};

static void *rt_producer(void *arg)
{
	struct rt_flow_arg *a = arg;

	for (uint64_t i = 0; i < RT_ITEMS; i++)
		while (!ring_ck_put_mpmc(&a->f->t.r, a->f->t.buf, (uint64_t)a->id * RT_ITEMS + i))
			sched_yield();
	return NULL;
}

static void *rt_consumer(void *arg)
{
	struct rt_flow *f = ((struct rt_flow_arg *)arg)->f;
	uint64_t v;

	while (__atomic_fetch_add(&f->taken, 1, __ATOMIC_RELAXED) < 2 * RT_ITEMS) {
		while (!ring_ck_get_mpmc(&f->t.r, f->t.buf, &v))
			sched_yield();
		cr_assert_lt(v, 2 * RT_ITEMS);
		__atomic_fetch_add(&f->seen[v], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

Test(ring_ck, mpmc_small_rings_hand_over_exactly_once, .timeout = 60)
{
	static const unsigned caps[] = { 1, 3 };

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		struct rt_flow *f = calloc(1, sizeof(*f));
		struct rt_flow_arg a[4];
		pthread_t th[4];
		unsigned held = 0;

		cr_assert_not_null(f);
		rt_make(&f->t, caps[c]);
		for (int i = 0; i < 4; i++) {
			a[i] = (struct rt_flow_arg){ .f = f, .id = i % 2 };
			cr_assert_eq(pthread_create(&th[i], NULL, i < 2 ? rt_producer : rt_consumer,
						    &a[i]), 0);
		}
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		for (uint64_t v = 0; v < 2 * RT_ITEMS; v++)
			cr_assert_eq(f->seen[v], 1, "capacity %u: value %llu received %llu times",
				     caps[c], (unsigned long long)v, (unsigned long long)f->seen[v]);
		while (held < ring_ck_slots(caps[c]) && ring_ck_put_mpmc(&f->t.r, f->t.buf, 0))
			held++;
		cr_assert_eq(held, caps[c], "capacity %u: the drained ring holds %u", caps[c], held);
		free(f->t.buf);
		free(f);
	}
}

/*
 * The long run: a million items (CHECK_STRESS_ITEMS: a fiftieth under
 * the sanitizers) through one ring, each tagged (producer + 1 << 32 |
 * sequence) and received exactly once: a lost, doubled or corrupted
 * item fails by its tag.  A lost item leaves the consumers waiting, so
 * the test's thread watches the deliveries and fails within
 * CHECK_STALL_NS when they stop.  With one producer and one consumer
 * the ring is FIFO, so spsc checks the order too.
 */
/* Producer p + 1 in the high half, so that every tag needs all 64 bits. */
#define RT_TAG(p, s)	((((uint64_t)(p) + 1) << 32) | (uint32_t)(s))
#define RT_PRODUCER(t)	(((t) >> 32) - 1)
#define RT_MILLION	CHECK_STRESS_ITEMS(1000000u)
enum { RT_MAX_SIDE = 4 };

struct rt_stress {
	struct rt_ring t;
	int mpmc, producers;
	uint32_t items;		/* per producer */
	uint64_t claims;	/* gets started, across consumers */
	uint64_t delivered;	/* gets done, for the watch */
	uint64_t bad;		/* a tag out of range, or spsc out of order */
	uint32_t finished;	/* workers returned */
	uint32_t *seen;		/* per tag: times received */
};

struct rt_stress_arg {
	struct rt_stress *x;
	int id;
};

static void *rt_stress_producer(void *arg)
{
	struct rt_stress_arg *a = arg;
	struct rt_stress *x = a->x;

	for (uint32_t s = 0; s < x->items; s++)
		while (!rt_put(&x->t, x->mpmc, RT_TAG(a->id, s)))
			sched_yield();
	__atomic_fetch_add(&x->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *rt_stress_consumer(void *arg)
{
	struct rt_stress *x = ((struct rt_stress_arg *)arg)->x;
	uint64_t total = (uint64_t)x->producers * x->items, next = 0, v;

	/* Relaxed: the claim only counts; the ring hands the items over. */
	while (__atomic_fetch_add(&x->claims, 1, __ATOMIC_RELAXED) < total) {
		while (!rt_get(&x->t, x->mpmc, &v))
			sched_yield();
		if (RT_PRODUCER(v) >= (uint64_t)x->producers || (uint32_t)v >= x->items ||
		    (!x->mpmc && v != RT_TAG(0, next++))) {
			__atomic_fetch_add(&x->bad, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&x->seen[RT_PRODUCER(v) * x->items + (uint32_t)v], 1,
					   __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&x->delivered, 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&x->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void rt_stress_run(int mpmc, unsigned capacity, int producers, int consumers)
{
	/* On the heap: a failed check ends the test while the workers may
	 * still run, and they must not be left writing to a dead frame. */
	struct rt_stress *xp = calloc(1, sizeof(*xp));
	struct rt_stress_arg *a = calloc(2 * RT_MAX_SIDE, sizeof(*a));
	pthread_t th[2 * RT_MAX_SIDE];
	uint64_t total, got, missing = 0, extra = 0;
	unsigned held = 0;

	cr_assert(xp && a);
	*xp = (struct rt_stress){
		.mpmc = mpmc, .producers = producers, .items = RT_MILLION / producers,
	};
	total = (uint64_t)producers * xp->items;
	cr_assert(producers <= RT_MAX_SIDE && consumers <= RT_MAX_SIDE);
	cr_assert(mpmc || (producers == 1 && consumers == 1), "spsc: one of each");
	cr_assert_geq(total, RT_MILLION - producers);
	rt_make(&xp->t, capacity);
	xp->seen = calloc(total, sizeof(*xp->seen));
	cr_assert_not_null(xp->seen);
	for (int i = 0; i < producers + consumers; i++) {
		a[i] = (struct rt_stress_arg){ .x = xp, .id = i < producers ? i : i - producers };
		cr_assert_eq(pthread_create(&th[i], NULL, i < producers ? rt_stress_producer
					    : rt_stress_consumer, &a[i]), 0);
	}
	got = CHECK_PROGRESS(__atomic_load_n(&xp->delivered, __ATOMIC_RELAXED), total,
			     CHECK_STALL_NS);
	cr_assert_geq(got, total, "%s, capacity %u: deliveries stopped at %llu of %llu: "
		      "an item lost", mpmc ? "mpmc" : "spsc", capacity,
		      (unsigned long long)got, (unsigned long long)total);
	/* Every item came, yet a producer may still wait for room that a
	 * broken bound never gives back: a failure, not a hang. */
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, __atomic_load_n(&xp->finished, __ATOMIC_ACQUIRE) ==
			       (uint32_t)(producers + consumers)),
		  "%s, capacity %u: every item delivered, but a producer is still "
		  "waiting for room", mpmc ? "mpmc" : "spsc", capacity);
	for (int i = 0; i < producers + consumers; i++)
		pthread_join(th[i], NULL);
	for (uint64_t i = 0; i < total; i++) {
		missing += xp->seen[i] == 0;
		extra += xp->seen[i] > 1;
	}
	cr_assert_eq(xp->bad, 0, "%s, capacity %u: %llu items out of range or order",
		     mpmc ? "mpmc" : "spsc", capacity, (unsigned long long)xp->bad);
	cr_assert_eq(missing, 0, "%s, capacity %u: %llu items never received",
		     mpmc ? "mpmc" : "spsc", capacity, (unsigned long long)missing);
	cr_assert_eq(extra, 0, "%s, capacity %u: %llu items received twice or more",
		     mpmc ? "mpmc" : "spsc", capacity, (unsigned long long)extra);
	/* Nothing left behind, and (mpmc) the whole bound given back. */
	while (held < ring_ck_slots(capacity) && rt_put(&xp->t, mpmc, 0))
		held++;
	cr_assert_eq(held, capacity, "the drained ring holds %u of %u", held, capacity);
	free(xp->seen);
	free(xp->t.buf);
	free(xp);
	free(a);
}

Test(ring_ck, spsc_million_items_exactly_once_in_order, .timeout = 120)
{
	rt_stress_run(0, 1000, 1, 1);
}

/* Room for producers to run ahead, so that two of them are often in a
 * put at once: ck's single-producer enqueue in the mpmc path (two
 * producers writing one slot) loses an item here within seconds, in a
 * ring of 16 only now and then. */
Test(ring_ck, mpmc_million_items_4p_4c_exactly_once, .timeout = 120)
{
	rt_stress_run(1, 1000, 4, 4);
}
