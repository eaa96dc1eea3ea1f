/*
 * primitives/ring_ck.h - Concurrency Kit's bounded rings (ck_ring) as
 * contend's lock-free queue peers, behind the prefix ring_ck_: one
 * producer and one consumer (spsc), or many of each (mpmc).
 *
 * A ring holds 64-bit values (stored in ck's pointer-sized slots, so
 * 64-bit targets only) and never blocks: enqueue fails when full,
 * dequeue when empty; callers wait as they see fit.  The ring header and
 * its buffer hold no pointers to each other (ck passes the buffer on
 * every call), so both may live in MAP_SHARED memory used by forked
 * processes.
 *
 * A ring holds exactly the `capacity` it was made with: ck's ring of
 * 2^k slots holds 2^k - 1 values (and needs 2^k >= 4), so ring_ck puts a
 * bound of its own in front of it, on the smallest ck ring that holds
 * `capacity`: the buffer has ring_ck_slots(capacity) entries.  spsc
 * checks the ring's fill, which only its one producer raises; mpmc takes
 * a slot of the bound (a counting semaphore) before ck's enqueue and
 * gives it back after ck's dequeue, since several producers that each
 * see room could otherwise overfill it together.
 *
 * Under ThreadSanitizer: ck orders a slot's plain store and its plain
 * load with ck_pr fences (inline assembly TSan cannot see), inside ck's
 * own calls.  So the accesses made inside ck's calls are not checked; a
 * put releases the ring's address before it publishes, and a get that
 * got a value acquires it: the edge from what the producer wrote before
 * its put to what the consumer reads after its get.  Only the ring's
 * inside is taken on trust; what callers do around the calls stays
 * checked.
 */
#ifndef CONTEND_RING_CK_H
#define CONTEND_RING_CK_H

#include <ck_ring.h>
#include <stdbool.h>
#include <stdint.h>

#include "primitives/lock_common.h"	/* LOCK_TSAN_* */
#include "primitives/preempt.h"

_Static_assert(sizeof(void *) == sizeof(uint64_t), "ring_ck stores 64-bit values in pointers");

struct ring_ck {
	ck_ring_t ring;
	unsigned capacity;	/* the most values it holds */
	/* mpmc: values put or being put and not yet got; producers and
	 * consumers both write it, so it has a cache line of its own. */
	unsigned used __attribute__((aligned(64)));
};

/* Entries of ck_ring_buffer_t the buffer of a ring of `capacity` needs:
 * the smallest power of two >= 4 above capacity. */
static inline unsigned ring_ck_slots(unsigned capacity)
{
	unsigned slots = 4;

	while (slots < capacity + 1)
		slots *= 2;
	return slots;
}

/* capacity >= 1, at most 2^31 - 1. */
static inline void ring_ck_init(struct ring_ck *r, unsigned capacity)
{
	ck_ring_init(&r->ring, ring_ck_slots(capacity));
	r->capacity = capacity;
	r->used = 0;
}

#ifdef LOCK_TSAN
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define RING_CK__IGNORE_BEGIN() \
	(LOCK_TSAN_IGNORE_READS_BEGIN(), AnnotateIgnoreWritesBegin(__FILE__, __LINE__))
#define RING_CK__IGNORE_END() \
	(AnnotateIgnoreWritesEnd(__FILE__, __LINE__), LOCK_TSAN_IGNORE_READS_END())
#else
#define RING_CK__IGNORE_BEGIN()	((void)0)
#define RING_CK__IGNORE_END()	((void)0)
#endif

/* Before a put: what the caller wrote is released with the value. */
static inline void ring_ck__put_begin(struct ring_ck *r)
{
	LOCK_TSAN_RELEASING(r);
	RING_CK__IGNORE_BEGIN();
}

static inline void ring_ck__get_end(struct ring_ck *r, bool ok)
{
	RING_CK__IGNORE_END();
	if (ok)
		LOCK_TSAN_ACQUIRED(r);
}

static inline bool ring_ck_put_spsc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t v)
{
	bool ok;

	ring_ck__put_begin(r);
	/* Only this producer raises the fill: room seen stays room. */
	ok = ck_ring_size(&r->ring) < r->capacity &&
	     ck_ring_enqueue_spsc(&r->ring, buf, (void *)(uintptr_t)v);
	RING_CK__IGNORE_END();
	return ok;
}

static inline bool ring_ck_get_spsc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t *v)
{
	void *p;
	bool ok;

	RING_CK__IGNORE_BEGIN();
	ok = ck_ring_dequeue_spsc(&r->ring, buf, &p);
	ring_ck__get_end(r, ok);
	if (ok)
		*v = (uint64_t)(uintptr_t)p;
	return ok;
}

static inline bool ring_ck_put_mpmc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t v)
{
	unsigned n = __atomic_load_n(&r->used, __ATOMIC_RELAXED);
	bool ok;

	/* Between the look and the take another producer may take the last
	 * room: the take must be the CAS that checks. */
	PRIM_TEST_PREEMPT();
	/* Acquire: pairs with a consumer's release of the slot, so that ck
	 * sees the dequeue that made the room. */
	do {
		if (n >= r->capacity)
			return false;
	} while (!__atomic_compare_exchange_n(&r->used, &n, n + 1, true, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	ring_ck__put_begin(r);
	ok = ck_ring_enqueue_mpmc(&r->ring, buf, (void *)(uintptr_t)v);
	RING_CK__IGNORE_END();
	if (!ok)	/* the bound leaves ck room: cannot happen, but stay exact */
		__atomic_fetch_sub(&r->used, 1, __ATOMIC_RELAXED);
	return ok;
}

static inline bool ring_ck_get_mpmc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t *v)
{
	void *p;
	bool ok;

	RING_CK__IGNORE_BEGIN();
	ok = ck_ring_dequeue_mpmc(&r->ring, buf, &p);
	ring_ck__get_end(r, ok);
	if (ok) {
		*v = (uint64_t)(uintptr_t)p;
		/* Release: ck's dequeue happens before the room is reused. */
		__atomic_fetch_sub(&r->used, 1, __ATOMIC_RELEASE);
	}
	return ok;
}

#endif
