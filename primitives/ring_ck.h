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
 * processes.  `slots` must be a power of two >= 4; the ring holds
 * slots - 1 values.
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

_Static_assert(sizeof(void *) == sizeof(uint64_t), "ring_ck stores 64-bit values in pointers");

struct ring_ck {
	ck_ring_t ring;
};

static inline void ring_ck_init(struct ring_ck *r, unsigned slots)
{
	ck_ring_init(&r->ring, slots);
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
	ok = ck_ring_enqueue_spsc(&r->ring, buf, (void *)(uintptr_t)v);
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
	bool ok;

	ring_ck__put_begin(r);
	ok = ck_ring_enqueue_mpmc(&r->ring, buf, (void *)(uintptr_t)v);
	RING_CK__IGNORE_END();
	return ok;
}

static inline bool ring_ck_get_mpmc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t *v)
{
	void *p;
	bool ok;

	RING_CK__IGNORE_BEGIN();
	ok = ck_ring_dequeue_mpmc(&r->ring, buf, &p);
	ring_ck__get_end(r, ok);
	if (ok)
		*v = (uint64_t)(uintptr_t)p;
	return ok;
}

#endif
