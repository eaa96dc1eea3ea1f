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
 */
#ifndef CONTEND_RING_CK_H
#define CONTEND_RING_CK_H

#include <ck_ring.h>
#include <stdbool.h>
#include <stdint.h>

_Static_assert(sizeof(void *) == sizeof(uint64_t), "ring_ck stores 64-bit values in pointers");

struct ring_ck {
	ck_ring_t ring;
};

static inline void ring_ck_init(struct ring_ck *r, unsigned slots)
{
	ck_ring_init(&r->ring, slots);
}

static inline bool ring_ck_put_spsc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t v)
{
	return ck_ring_enqueue_spsc(&r->ring, buf, (void *)(uintptr_t)v);
}

static inline bool ring_ck_get_spsc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t *v)
{
	void *p;

	if (!ck_ring_dequeue_spsc(&r->ring, buf, &p))
		return false;
	*v = (uint64_t)(uintptr_t)p;
	return true;
}

static inline bool ring_ck_put_mpmc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t v)
{
	return ck_ring_enqueue_mpmc(&r->ring, buf, (void *)(uintptr_t)v);
}

static inline bool ring_ck_get_mpmc(struct ring_ck *r, ck_ring_buffer_t *buf, uint64_t *v)
{
	void *p;

	if (!ck_ring_dequeue_mpmc(&r->ring, buf, &p))
		return false;
	*v = (uint64_t)(uintptr_t)p;
	return true;
}

#endif
