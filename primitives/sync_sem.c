/*
 * primitives/sync_sem.c - BoundedSemaphore over one futex word holding the
 * number of permits times two, and in bit 0 "a waiter may be asleep".
 *
 * Acquire takes a permit with a CAS and sleeps only while no permit is
 * left, after setting the sleeper bit with a CAS and on exactly the word it
 * wrote.  Release adds a permit with a CAS and wakes one sleeper iff the
 * word it replaced had the bit: the decision comes from its own RMW, so
 * after that CAS release touches nothing of the semaphore but the
 * futex_wake() syscall, which the kernel accepts on a stale address.  A
 * waiter may therefore free the semaphore as soon as its acquire returned,
 * as POSIX allows for sem_t.
 *
 * Release leaves the bit set: several sleepers may need one wake-up each.
 * The last waiter to leave acquire clears it (so an uncontended release
 * makes no system call), using `waiters`, the count of callers inside
 * acquire's slow path, which only waiters touch:
 *
 *   - a leaver that sees itself alone clears the bit, then retires from
 *     `waiters` with a CAS 1 -> 0.  Success means nobody else was inside
 *     acquire at that moment, so nobody sleeps on the bit; a later waiter
 *     synchronises with that CAS, finds the bit clear and sets it itself.
 *   - if the CAS fails, someone entered meanwhile and may have gone to
 *     sleep on the bit just cleared, and a release in between may have
 *     skipped its wake-up: the leaver sets the bit again, wakes one sleeper
 *     per permit then available (later releases see the bit), and retries.
 *
 * The bit can outlive the waiters only when a waiter enters and leaves
 * entirely inside that window; it then costs later releases a needless
 * wake-up until the next waiter leaves, never a lost one.
 */
#include <errno.h>
#include <stdint.h>

#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/preempt.h"
#include "primitives/sync.h"

#define SYNC_SEM_SLEEPERS 1u
/* One permit in the word: the bits above the sleeper bit. */
#define SYNC_SEM_PERMIT 2u

int sync_sem_init(struct sync_sem *s, uint32_t value, int shared)
{
	/* Python's value is an int; INT32_MAX is also the most that fits
	 * the word beside the sleeper bit. */
	if (value > INT32_MAX)
		return -EINVAL;
	s->state = value * SYNC_SEM_PERMIT;
	s->initial = value;
	s->waiters = 0;
	s->shared = !!shared;
	return 0;
}

int sync_sem_destroy(struct sync_sem *s)
{
	/* Relaxed: a report on an object the caller says is idle. */
	return prim_atomic_load_n(&s->waiters, __ATOMIC_RELAXED) ? -EBUSY : 0;
}

/* One attempt to take a permit: true on success. */
static bool sync_sem_take(struct sync_sem *s)
{
	/* Relaxed: the CAS below re-reads the word anyway. */
	uint32_t v = prim_atomic_load_n(&s->state, __ATOMIC_RELAXED);

	while (v >= SYNC_SEM_PERMIT) {
		/* Another taker or a release may come between look and CAS. */
		PRIM_TEST_PREEMPT();
		/* Acquire: what the releaser wrote before giving the permit
		 * back is visible to the taker, as with a lock.  The sleeper
		 * bit is kept: other waiters may still sleep. */
		if (prim_atomic_compare_exchange_n(&s->state, &v,
						   v - SYNC_SEM_PERMIT, true,
						   __ATOMIC_ACQUIRE,
						   __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/* Leave acquire's slow path, clearing the sleeper bit if last (see the
 * file comment). */
static void sync_sem_leave(struct sync_sem *s)
{
	/* Relaxed: a guess; the CASes below check it. */
	uint32_t w = prim_atomic_load_n(&s->waiters, __ATOMIC_RELAXED);

	for (;;) {
		uint32_t v;

		/* A waiter may enter after our guess, and go to sleep on the
		 * bit we are about to clear. */
		PRIM_TEST_PREEMPT();
		if (w > 1) {
			/* Release: pairs with an entrant's acquire, as below. */
			if (prim_atomic_compare_exchange_n(&s->waiters, &w,
					w - 1, true, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
				return;
			continue;
		}
		/* Relaxed: ordered before the CAS below by its release. */
		prim_atomic_fetch_and(&s->state, ~SYNC_SEM_SLEEPERS,
				      __ATOMIC_RELAXED);
		/* The window the retry below exists for: a waiter entering
		 * and sleeping on the bit just cleared, a release skipping
		 * its wake-up. */
		PRIM_TEST_PREEMPT();
		/* Release: an entrant whose increment reads this 0 also
		 * sees the cleared bit, and so sets it before sleeping. */
		if (prim_atomic_compare_exchange_n(&s->waiters, &w, 0, false,
						   __ATOMIC_RELEASE,
						   __ATOMIC_RELAXED))
			return;
		/* Someone entered after our guess: undo the clear, and
		 * deliver the wake-ups a release may have skipped.
		 * Relaxed: the word's value is all we need. */
		v = prim_atomic_fetch_or(&s->state, SYNC_SEM_SLEEPERS,
					 __ATOMIC_RELAXED) / SYNC_SEM_PERMIT;
		if (v)	/* at most INT32_MAX: init's bound */
			futex_wake(&s->state, (int)v, s->shared);
	}
}

static int sync_sem_acquire_until(struct sync_sem *s,
				  const struct timespec *abs, int poll)
{
	uint32_t v;
	int r = 0, ret;

	if (sync_sem_take(s))
		return 0;
	if (poll)
		return -ETIMEDOUT;
	/* Acquire: pairs with the last leaver's release (see leave). */
	prim_atomic_fetch_add(&s->waiters, 1, __ATOMIC_ACQUIRE);
	for (;;) {
		if (sync_sem_take(s)) {
			ret = 0;
			break;
		}
		if (r == -ETIMEDOUT) {
			/* The take above was the last look: a permit that
			 * came with the deadline was still ours. */
			ret = -ETIMEDOUT;
			break;
		}
		/* Relaxed: the CAS and the kernel's compare check it. */
		v = prim_atomic_load_n(&s->state, __ATOMIC_RELAXED);
		if (v >= SYNC_SEM_PERMIT)
			continue;
		/* A release between this look and the CAS fails the CAS. */
		PRIM_TEST_PREEMPT();
		/* Announce a sleeper in the word itself; a release after
		 * this CAS sees the bit.  Relaxed: only the word's value
		 * matters here, the permit is taken with acquire. */
		if (!(v & SYNC_SEM_SLEEPERS) &&
		    !prim_atomic_compare_exchange_n(&s->state, &v,
						    v | SYNC_SEM_SLEEPERS,
						    false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			continue;
		/* No permit and the bit set: the word is exactly the bit.
		 * A release since then changed it (-EAGAIN) or will see the
		 * bit and wake one of us. */
		PRIM_TEST_PREEMPT();
		r = futex_wait_until(&s->state, SYNC_SEM_SLEEPERS, abs,
				     s->shared);
	}
	sync_sem_leave(s);
	return ret;
}

int sync_sem_acquire(struct sync_sem *s)
{
	return sync_sem_acquire_until(s, NULL, 0);
}

int sync_sem_try(struct sync_sem *s)
{
	return sync_sem_take(s) ? 0 : -EAGAIN;
}

int sync_sem_acquire_timeout(struct sync_sem *s, int64_t timeout_ns)
{
	struct timespec buf;

	if (timeout_ns == 0)
		return sync_sem_acquire_until(s, NULL, 1);
	return sync_sem_acquire_until(s, sync__deadline(timeout_ns, &buf), 0);
}

int sync_sem_release(struct sync_sem *s)
{
	/* Relaxed: the CAS below re-reads the word anyway. */
	uint32_t v = prim_atomic_load_n(&s->state, __ATOMIC_RELAXED);
	/* Read while the semaphore surely lives. */
	uint32_t shared = s->shared, initial = s->initial;

	do {
		if (v / SYNC_SEM_PERMIT >= initial)
			return -EINVAL;
		/* A waiter setting the sleeper bit fails our CAS. */
		PRIM_TEST_PREEMPT();
		/* Release: publishes the caller's writes to the taker.  No
		 * Dekker pair: the sleeper bit lives in this word, so this
		 * CAS and a waiter's are ordered by its modification order. */
	} while (!prim_atomic_compare_exchange_n(&s->state, &v,
						 v + SYNC_SEM_PERMIT, true,
						 __ATOMIC_RELEASE,
						 __ATOMIC_RELAXED));
	/* From here on the semaphore may be gone: only locals are used.
	 * A taker may get the permit, return and free it right here. */
	PRIM_TEST_PREEMPT();
	if (v & SYNC_SEM_SLEEPERS)
		futex_wake(&s->state, 1, shared);
	return 0;
}

uint32_t sync_sem_value(const struct sync_sem *s)
{
	/* Relaxed: a snapshot. */
	return prim_atomic_load_n(&s->state, __ATOMIC_RELAXED) /
	       SYNC_SEM_PERMIT;
}
