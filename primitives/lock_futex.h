/*
 * primitives/lock_futex.h - "futex": the three-state futex mutex of Ulrich
 * Drepper's "Futexes Are Tricky" (the corrected "mutex2").
 *
 * The word is 0 (free), 1 (taken, nobody sleeps) or 2 (taken, sleepers
 * possible).  An uncontended lock/unlock pair is one compare-and-swap and
 * one atomic decrement with no system call; only when a waiter may sleep
 * does the word go to 2, and only then does release pay for FUTEX_WAKE.
 * No spinning before sleeping: this is the pure sleeping lock, against
 * which glibc's adaptive mutex and the spinlocks compare.
 *
 * Works across processes (`shared` drops FUTEX_PRIVATE_FLAG so the kernel
 * keys waiters on the physical page); max_tasks is ignored.
 */
#ifndef CONTEND_LOCK_FUTEX_H
#define CONTEND_LOCK_FUTEX_H

#include <stdint.h>
#include <stdlib.h>

#include "primitives/arch/cpu.h"
#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/preempt.h"

/*
 * The word is a plain uint32_t accessed only through the atomics of
 * primitives/atomic.h, because futex(2) takes a uint32_t * and an _Atomic
 * object would need a cast to be passed there.
 */
struct lock_futex {
	uint32_t word;			/* 0 free, 1 locked, 2 locked + waiters */
	int shared;			/* futex flavour chosen at init */
} CPU_ALIGNED;

static inline int lock_futex_init(struct lock_futex *lock, int shared,
				  int max_tasks)
{
	(void)max_tasks;
	lock->shared = !!shared;
	/* Relaxed: init happens before the lock is handed to other tasks. */
	prim_atomic_store_n(&lock->word, 0, __ATOMIC_RELAXED);
	return 0;
}

static inline void lock_futex_acquire(struct lock_futex *lock, void *node)
{
	uint32_t c = 0;

	(void)node;
	/*
	 * Fast path 0 -> 1.  Acquire on success: the critical section stays
	 * after it.  Relaxed on failure: c is then only the state we react
	 * to; the exchange below is what takes the lock.
	 */
	if (prim_atomic_compare_exchange_n(&lock->word, &c, 1, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	/* The holder may release before we announce ourselves. */
	PRIM_TEST_PREEMPT();
	/*
	 * Contended: announce a sleeper by setting 2 and sleep while it stays
	 * 2.  Whoever takes the lock here takes it in state 2, not 1: we
	 * cannot know whether other sleepers remain, so the release must
	 * assume so (at worst one needless FUTEX_WAKE).  Acquire: the
	 * exchange that returns 0 takes the lock.
	 */
	if (c != 2)
		c = prim_atomic_exchange_n(&lock->word, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		/*
		 * Returns at once (-EAGAIN) if the word is no longer 2, and
		 * may wake spuriously or by a signal (-EINTR): every return
		 * simply retries, so the result needs no inspection.
		 */
		futex_wait(&lock->word, 2, NULL, lock->shared);
		c = prim_atomic_exchange_n(&lock->word, 2, __ATOMIC_ACQUIRE);
	}
}

static inline void lock_futex_release(struct lock_futex *lock, void *node)
{
	/* Read before the word is freed: the next owner may then free the
	 * lock, and only the wake (which the kernel allows on a stale
	 * address) may follow. */
	int shared = lock->shared;

	(void)node;
	/*
	 * Release: the critical section is visible to the next owner.  The
	 * old value 1 means nobody can be asleep: done without a syscall.
	 */
	if (prim_atomic_fetch_sub(&lock->word, 1, __ATOMIC_RELEASE) == 1)
		return;
	/* The word says 1 here: a newcomer's CAS fails and it sleeps. */
	PRIM_TEST_PREEMPT();
	/*
	 * It was 2: free the word and wake one sleeper.  This store must be
	 * a release of its own: a plain store by the same thread does not
	 * extend the release sequence of the fetch_sub above, and a task
	 * that takes the lock by reading this 0 must see our writes.
	 */
	prim_atomic_store_n(&lock->word, 0, __ATOMIC_RELEASE);
	/* Errors ignored, as glibc does: EFAULT only means the lock is gone
	 * already, which its next owner was entitled to do. */
	(void)futex_wake(&lock->word, 1, shared);
}

static inline void lock_futex_destroy(struct lock_futex *lock)
{
	(void)lock;
}

#endif
