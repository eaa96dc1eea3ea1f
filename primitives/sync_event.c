/*
 * primitives/sync_event.c - Event over one futex word: bit 0 is the flag,
 * bits 1-31 count the times set() raised it (a generation).
 *
 * A waiter sleeps on the exact word it saw with the flag clear.  Every
 * set() that raises the flag also bumps the generation, and clear() only
 * drops bit 0, so once a set() has happened the word can never return to
 * the value a waiter sleeps on: a waiter released by set() returns true
 * even when clear() ran before it woke (Python's guarantee).  Only a waiter
 * kept off the CPU through 2^31 set/clear pairs between its wake-up and its
 * next look at the word could mistake it for the old value.
 */
#include <errno.h>
#include <limits.h>

#include "primitives/futex.h"
#include "primitives/sync.h"

#define SYNC_EVENT_FLAG 1u
/* Raising the flag of a clear word g<<1 gives (g+1)<<1 | 1: add 3. */
#define SYNC_EVENT_RAISE 3u

int sync_event_init(struct sync_event *e, int shared)
{
	e->state = 0;
	e->waiters = 0;
	e->shared = !!shared;
	return 0;
}

int sync_event_destroy(struct sync_event *e)
{
	/* Relaxed: a report on an object the caller says is idle. */
	return __atomic_load_n(&e->waiters, __ATOMIC_RELAXED) ? -EBUSY : 0;
}

void sync_event_set(struct sync_event *e)
{
	/* Relaxed: the CAS below re-reads the word. */
	uint32_t s = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
	uint32_t shared = e->shared;	/* read while the event surely lives */

	do {
		if (s & SYNC_EVENT_FLAG)
			return;
		/* Seq_cst: release for the setter's writes, and the
		 * "announce" half of a Dekker pair with wait's waiters++. */
	} while (!__atomic_compare_exchange_n(&e->state, &s,
					      s + SYNC_EVENT_RAISE, true,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	/* Seq_cst: the "look" half; a waiter not counted here has yet to
	 * read the word and will find the flag. */
	if (__atomic_load_n(&e->waiters, __ATOMIC_SEQ_CST))
		futex_wake(&e->state, INT_MAX, shared);
}

void sync_event_clear(struct sync_event *e)
{
	/* Relaxed: clearing publishes nothing; waiters rely only on set's
	 * seq_cst raise, which this cannot undo (the generation stays). */
	__atomic_fetch_and(&e->state, ~SYNC_EVENT_FLAG, __ATOMIC_RELAXED);
}

bool sync_event_is_set(const struct sync_event *e)
{
	/* Acquire: seeing the flag means seeing what the setter wrote. */
	return __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) & SYNC_EVENT_FLAG;
}

int sync_event_wait(struct sync_event *e, int64_t timeout_ns)
{
	struct timespec buf;
	const struct timespec *abs;
	uint32_t s, cur;
	int ret;

	/* Acquire: as is_set. */
	s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	if (s & SYNC_EVENT_FLAG)
		return 0;
	if (timeout_ns == 0)
		return -ETIMEDOUT;
	abs = sync__deadline(timeout_ns, &buf);
	/* Seq_cst: "announce" before the "look" below (Dekker with set). */
	__atomic_fetch_add(&e->waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		/* Seq_cst: the "look"; acquire as is_set when it succeeds. */
		cur = __atomic_load_n(&e->state, __ATOMIC_SEQ_CST);
		if (cur != s) {	/* any change of a clear word is a set */
			ret = 0;
			break;
		}
		if (futex_wait_until(&e->state, s, abs, e->shared) == -ETIMEDOUT) {
			/* Acquire: as is_set. */
			cur = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
			ret = cur != s ? 0 : -ETIMEDOUT;
			break;
		}
	}
	/* Relaxed: a late decrement only costs set() a needless wake. */
	__atomic_fetch_sub(&e->waiters, 1, __ATOMIC_RELAXED);
	return ret;
}
