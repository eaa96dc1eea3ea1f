/*
 * primitives/lock_tas.h - the test-and-set family: "tas" (atomic exchange
 * in a loop) and "ttas" (test-and-test-and-set with randomised exponential
 * back-off).
 *
 * One word of state, no queue, no fairness: whoever's exchange lands first
 * after a release wins.  TAS shows what a lock costs when every waiter
 * writes the line on every spin; TTAS shows how much of that read-only
 * spinning and back-off win back.  Both work across processes (a lock-free
 * atomic in MAP_SHARED memory is address-free), so `shared` is accepted
 * and needs nothing; max_tasks is ignored.
 */
#ifndef CONTEND_LOCK_TAS_H
#define CONTEND_LOCK_TAS_H

#include <stdatomic.h>
#include <stdint.h>

#include "primitives/lock_common.h"

struct lock_tas {
	atomic_uint held;		/* 0 free, 1 taken */
} CPU_ALIGNED;

struct lock_ttas {
	atomic_uint held;		/* 0 free, 1 taken */
} CPU_ALIGNED;

/*
 * TTAS back-off bounds, in cpu_relax() steps.  The first retry waits up to
 * 8 steps (roughly one cache-line hand-over on current cores, so a lone
 * collision costs little); each further failure doubles the bound up to
 * 512 steps (a few microseconds): beyond that a waiter would sit idle long
 * after the lock came free, since critical sections measured here are
 * short.
 */
#define LOCK_TTAS_BACKOFF_MIN	8u
#define LOCK_TTAS_BACKOFF_MAX	512u

static inline int lock_tas_init(struct lock_tas *lock, int shared,
				int max_tasks)
{
	(void)shared;
	(void)max_tasks;
	/* Relaxed: init happens before the lock is handed to other tasks. */
	prim_atomic_store_n(&lock->held, 0, memory_order_relaxed);
	return 0;
}

static inline void lock_tas_acquire(struct lock_tas *lock, void *node)
{
	unsigned spins = 0;

	(void)node;
	/*
	 * Acquire: the exchange that returns 0 takes the lock, and the
	 * critical section must not be reordered before it.  A failed
	 * exchange needs no ordering; using acquire for both is free on x86
	 * and keeps the loop one instruction.
	 */
	while (prim_atomic_exchange_n(&lock->held, 1, memory_order_acquire))
		lock_relax(&spins);
}

static inline void lock_tas_release(struct lock_tas *lock, void *node)
{
	(void)node;
	/* Release: the critical section's writes become visible first. */
	prim_atomic_store_n(&lock->held, 0, memory_order_release);
}

static inline void lock_tas_destroy(struct lock_tas *lock)
{
	(void)lock;
}

static inline int lock_ttas_init(struct lock_ttas *lock, int shared,
				 int max_tasks)
{
	(void)shared;
	(void)max_tasks;
	/* Relaxed: init happens before the lock is handed to other tasks. */
	prim_atomic_store_n(&lock->held, 0, memory_order_relaxed);
	return 0;
}

static inline void lock_ttas_acquire(struct lock_ttas *lock, void *node)
{
	unsigned spins = 0, bound = LOCK_TTAS_BACKOFF_MIN;
	uint32_t rnd = 0;		/* back-off generator, seeded on first use */

	(void)node;
	for (;;) {
		/*
		 * Test: wait with plain reads, so waiters share the line
		 * instead of stealing it from the holder.  Relaxed: the
		 * value is only a hint; the exchange below decides.
		 */
		while (prim_atomic_load_n(&lock->held, memory_order_relaxed))
			lock_relax(&spins);
		/* Seen free: another waiter may take it before our swap. */
		PRIM_TEST_PREEMPT();
		/* Acquire on success, as in lock_tas_acquire. */
		if (!prim_atomic_exchange_n(&lock->held, 1,
					    memory_order_acquire))
			return;
		/*
		 * Lost a race.  Back-off delays are random in [1, bound] so
		 * that waiters that collided do not retry in lock-step.  The
		 * generator (xorshift32) is seeded, only once a collision
		 * happens, from the tick counter and this frame's address:
		 * forked processes share addresses, threads share ticks.
		 * "| 1" avoids xorshift's one forbidden state, zero.
		 */
		if (!rnd)
			rnd = (uint32_t)(cpu_ticks() ^ (uintptr_t)&bound) | 1;
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		for (uint32_t n = rnd % bound + 1; n; n--)
			lock_relax(&spins);
		if (bound < LOCK_TTAS_BACKOFF_MAX)
			bound <<= 1;
	}
}

static inline void lock_ttas_release(struct lock_ttas *lock, void *node)
{
	(void)node;
	/* Release: the critical section's writes become visible first. */
	prim_atomic_store_n(&lock->held, 0, memory_order_release);
}

static inline void lock_ttas_destroy(struct lock_ttas *lock)
{
	(void)lock;
}

#endif
