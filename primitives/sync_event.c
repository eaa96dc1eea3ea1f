/*
 * primitives/sync_event.c - Event over one futex word: bit 0 is the flag,
 * bit 1 says "a waiter may be asleep", bits 2-31 count the times set()
 * raised the flag (a generation, modulo 2^30).
 *
 * A waiter that finds the flag clear sets the sleeper bit with a CAS and
 * sleeps on exactly the word it wrote.  set() raises the flag, bumps the
 * generation and drops the sleeper bit in one CAS, and wakes everybody iff
 * the word it replaced had the sleeper bit: the decision comes from its own
 * RMW, so after that CAS set() touches nothing of the event but the
 * futex_wake() syscall, which the kernel accepts on a stale address (a
 * released waiter may already have freed the event; at worst a new object
 * at that address sees a spurious wake-up).  Dropping the bit is safe:
 * every sleeper is woken, and any waiter not asleep yet finds the word
 * changed (its CAS or the kernel's compare fails) and looks again.
 *
 * clear() drops only bit 0, so once a set() happened the generation differs
 * from the one a waiter saw: a waiter released by set() returns true even
 * when clear() ran before it woke (Python's guarantee).  Only a waiter kept
 * off the CPU through exactly a multiple of 2^30 set/clear pairs between
 * two looks at the word could take the generation for unchanged.
 */
#include <errno.h>
#include <limits.h>

#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/preempt.h"
#include "primitives/sync.h"

#define SYNC_EVENT_FLAG 1u
#define SYNC_EVENT_SLEEPERS 2u
/* The generation's unit: the bits above flag and sleeper bit. */
#define SYNC_EVENT_GEN 4u
#define SYNC_EVENT_GEN_MASK (~(SYNC_EVENT_GEN - 1))

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
	return prim_atomic_load_n(&e->waiters, __ATOMIC_RELAXED) ? -EBUSY : 0;
}

void sync_event_set(struct sync_event *e)
{
	/* Relaxed: the CAS below re-reads the word. */
	uint32_t s = prim_atomic_load_n(&e->state, __ATOMIC_RELAXED);
	uint32_t shared = e->shared;	/* read while the event surely lives */

	do {
		/* Raised already: that set() woke every sleeper, and no
		 * one sleeps on a word with the flag up. */
		if (s & SYNC_EVENT_FLAG)
			return;
		/* A waiter's CAS or a clear() may land between our look
		 * and our CAS, which then fails and looks again. */
		PRIM_TEST_PREEMPT();
		/* Release: whoever sees the new word (acquire) sees the
		 * setter's writes.  No Dekker pair any more: the sleeper
		 * bit and the flag live in this one word, so this CAS and
		 * a waiter's are ordered by the word's modification order. */
	} while (!prim_atomic_compare_exchange_n(&e->state, &s,
			((s & ~SYNC_EVENT_SLEEPERS) + SYNC_EVENT_GEN) | SYNC_EVENT_FLAG,
			true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	/* From here on the event may be gone: only `s`, `shared` and the
	 * address are used.  A waiter not asleep yet may see the flag,
	 * return and free the event before the wake-up below. */
	PRIM_TEST_PREEMPT();
	if (s & SYNC_EVENT_SLEEPERS)
		futex_wake(&e->state, INT_MAX, shared);
}

void sync_event_clear(struct sync_event *e)
{
	/* Relaxed: clearing publishes nothing; waiters rely only on set's
	 * release, which this RMW cannot undo (it continues set's release
	 * sequence, and the generation stays). */
	prim_atomic_fetch_and(&e->state, ~SYNC_EVENT_FLAG, __ATOMIC_RELAXED);
}

bool sync_event_is_set(const struct sync_event *e)
{
	/* Acquire: seeing the flag means seeing what the setter wrote. */
	return prim_atomic_load_n(&e->state, __ATOMIC_ACQUIRE) &
	       SYNC_EVENT_FLAG;
}

/* Whether `cur` shows a set() since the clear word `seen` was read. */
static bool sync_event_was_set(uint32_t cur, uint32_t seen)
{
	return (cur & SYNC_EVENT_FLAG) ||
	       ((cur ^ seen) & SYNC_EVENT_GEN_MASK);
}

int sync_event_wait(struct sync_event *e, int64_t timeout_ns)
{
	struct timespec buf;
	const struct timespec *abs;
	uint32_t seen, cur;
	int ret;

	/* Acquire: as is_set. */
	seen = prim_atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	if (seen & SYNC_EVENT_FLAG)
		return 0;
	if (timeout_ns == 0)
		return -ETIMEDOUT;
	abs = sync__deadline(timeout_ns, &buf);
	/* Relaxed: only destroy() reads it, as a report. */
	prim_atomic_fetch_add(&e->waiters, 1, __ATOMIC_RELAXED);
	/* A set() and a clear() may both pass between the two looks. */
	PRIM_TEST_PREEMPT();
	/* Acquire (here and below): a word showing a set() must also show
	 * the setter's writes. */
	cur = prim_atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	for (;;) {
		if (sync_event_was_set(cur, seen)) {
			ret = 0;
			break;
		}
		/* Announce a sleeper in the word itself.  A failed CAS
		 * reloads `cur` (acquire on failure too). */
		if (!(cur & SYNC_EVENT_SLEEPERS) &&
		    !prim_atomic_compare_exchange_n(&e->state, &cur,
						    cur | SYNC_EVENT_SLEEPERS,
						    true, __ATOMIC_ACQUIRE,
						    __ATOMIC_ACQUIRE))
			continue;
		cur |= SYNC_EVENT_SLEEPERS;
		/* The window the sleeper bit closes: a set() between our
		 * CAS and the sleep. */
		PRIM_TEST_PREEMPT();
		/* The kernel compares with the word holding our bit: a set()
		 * after our CAS either changed the word (-EAGAIN) or will
		 * see the bit and wake us. */
		if (futex_wait_until(&e->state, cur, abs, e->shared) == -ETIMEDOUT) {
			cur = prim_atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
			ret = sync_event_was_set(cur, seen) ? 0 : -ETIMEDOUT;
			break;
		}
		/* Woken: a clear() may come before we look (the generation
		 * must still tell that a set() happened). */
		PRIM_TEST_PREEMPT();
		cur = prim_atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	}
	/* Relaxed: as the increment.  The waiter's own object is alive
	 * until it returns. */
	prim_atomic_fetch_sub(&e->waiters, 1, __ATOMIC_RELAXED);
	return ret;
}
