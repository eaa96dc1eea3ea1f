/*
 * primitives/sync_sem.c - BoundedSemaphore over one futex word holding the
 * number of permits.
 *
 * Acquire takes a permit with a compare-and-swap and sleeps only while the
 * word is 0; release gives one back and wakes one sleeper.  A separate
 * count of sleepers lets release skip the system call when nobody waits;
 * the two sides order "announce, then look" with sequentially consistent
 * operations (a Dekker pair), so a release never misses a sleeper.
 */
#include <errno.h>
#include <stdint.h>

#include "primitives/futex.h"
#include "primitives/sync.h"

int sync_sem_init(struct sync_sem *s, uint32_t value, int shared)
{
	/* Python's value is an int; INT32_MAX keeps value+1 and the
	 * futex's signed view of the word out of trouble. */
	if (value > INT32_MAX)
		return -EINVAL;
	s->value = value;
	s->initial = value;
	s->waiters = 0;
	s->shared = !!shared;
	return 0;
}

int sync_sem_destroy(struct sync_sem *s)
{
	/* Relaxed: a report on an object the caller says is idle. */
	return __atomic_load_n(&s->waiters, __ATOMIC_RELAXED) ? -EBUSY : 0;
}

/* One attempt to take a permit: true on success. */
static bool sync_sem_take(struct sync_sem *s)
{
	/* Relaxed: the CAS below re-reads the word anyway. */
	uint32_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);

	while (v > 0) {
		/* Acquire: what the releaser wrote before giving the permit
		 * back is visible to the taker, as with a lock. */
		if (__atomic_compare_exchange_n(&s->value, &v, v - 1, true,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static int sync_sem_acquire_until(struct sync_sem *s,
				  const struct timespec *abs, int poll)
{
	for (;;) {
		int r;

		if (sync_sem_take(s))
			return 0;
		if (poll)
			return -ETIMEDOUT;
		/* Announce, then look (seq_cst both): either release sees
		 * us in `waiters`, or we see its permit here. */
		__atomic_fetch_add(&s->waiters, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->value, __ATOMIC_SEQ_CST) == 0)
			r = futex_wait_until(&s->value, 0, abs, s->shared);
		else
			r = 0;
		/* Relaxed: leaving early only costs release a needless wake. */
		__atomic_fetch_sub(&s->waiters, 1, __ATOMIC_RELAXED);
		if (r == -ETIMEDOUT)
			/* One last look: a permit that came with the
			 * deadline is still ours to take. */
			return sync_sem_take(s) ? 0 : -ETIMEDOUT;
	}
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
	uint32_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
	uint32_t shared = s->shared;	/* read while the semaphore surely lives */

	do {
		if (v >= s->initial)
			return -EINVAL;
		/* Seq_cst: publishes the caller's writes (release) and is
		 * the "announce" half of the Dekker pair with acquire. */
	} while (!__atomic_compare_exchange_n(&s->value, &v, v + 1, true,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	/* Seq_cst: the "look" half of the pair. */
	if (__atomic_load_n(&s->waiters, __ATOMIC_SEQ_CST))
		futex_wake(&s->value, 1, shared);
	return 0;
}

uint32_t sync_sem_value(const struct sync_sem *s)
{
	/* Relaxed: a snapshot. */
	return __atomic_load_n(&s->value, __ATOMIC_RELAXED);
}
