/*
 * primitives/sync_cond.c - Condition over a sync Lock or RLock.
 *
 * All bookkeeping (tickets, horizon, grants, waiting) changes only with the
 * user's lock held -- wait() takes it back before looking, notify() needs
 * it -- so the lock orders it; only `seq`, the word sleepers wait on, and
 * `waiting`, which sync_cond_waiting() reads unlocked, are atomics.
 *
 * Exactness of notify(n).  A waiter takes ticket t.  notify() sets
 * horizon = tickets (every present waiter becomes eligible: t < horizon),
 * adds k = min(n, waiting - grants) grants, bumps seq and wakes k sleepers
 * while still holding the lock, so every thread in the kernel queue at that
 * moment is present and eligible.  A waiter back from its sleep (woken,
 * spurious, timed out, or having seen seq move before it slept) takes a
 * grant iff it is eligible and one is left; else it sleeps again, or
 * leaves with -ETIMEDOUT.  So at most k waiters return 0 per notify, a
 * later arrival can never take a grant meant for those present, and the
 * k woken sleepers plus every present waiter not asleep yet always outnumber
 * the grants left, so no grant is stranded while an eligible waiter sleeps.
 * Grants are not tied to particular waiters: which k of the present waiters
 * go first is the kernel's (FIFO) order and the race for the lock.
 *
 * `seq` is 32 bits.  A waiter preempted between reading `seen` and its
 * futex_wait through exactly a multiple of 2^32 granting notifies sleeps
 * on a word that looks unchanged.  A later granting notify bumps seq and
 * wakes sleepers again; and since the stranded waiter's grant keeps free =
 * waiting - grants low, a notify that can grant nothing (k == 0) while
 * grants are outstanding still bumps seq and wakes `grants` sleepers,
 * without touching the accounting, instead of returning early and leaving
 * that waiter asleep for good.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/preempt.h"
#include "primitives/sync.h"

enum {
	SYNC_COND_KIND_LOCK = 1,
	SYNC_COND_KIND_RLOCK = 2,
};

static struct sync_lock *sync_cond_lock(const struct sync_cond *c)
{
	return (struct sync_lock *)((uintptr_t)c + c->lock_off);
}

static void sync_cond_setup(struct sync_cond *c, struct sync_lock *lock,
			    uint32_t kind)
{
	/* Unsigned wrap-around makes this right whichever sits higher. */
	c->lock_off = (uint64_t)((uintptr_t)lock - (uintptr_t)c);
	c->tickets = 0;
	c->horizon = 0;
	c->seq = 0;
	c->waiting = 0;
	c->grants = 0;
	c->kind = kind;
	c->shared = lock->shared;
}

int sync_cond_init(struct sync_cond *c, struct sync_lock *lock)
{
	sync_cond_setup(c, lock, SYNC_COND_KIND_LOCK);
	return 0;
}

int sync_cond_init_rlock(struct sync_cond *c, struct sync_rlock *rlock)
{
	sync_cond_setup(c, &rlock->lock, SYNC_COND_KIND_RLOCK);
	return 0;
}

int sync_cond_destroy(struct sync_cond *c)
{
	/* Relaxed: a report on an object the caller says is idle. */
	return prim_atomic_load_n(&c->waiting, __ATOMIC_RELAXED) ? -EBUSY : 0;
}

/* Give the lock up entirely; returns what restore needs. */
static uint32_t sync_cond_unlock(struct sync_cond *c, struct sync_lock *l)
{
	if (c->kind == SYNC_COND_KIND_RLOCK)
		/* lock is the first member of its rlock. */
		return sync__rlock_release_save((struct sync_rlock *)l);
	sync_lock_release(l);
	return 0;
}

static void sync_cond_relock(struct sync_cond *c, struct sync_lock *l,
			     uint32_t depth)
{
	if (c->kind == SYNC_COND_KIND_RLOCK)
		sync__rlock_acquire_restore((struct sync_rlock *)l, depth);
	else
		sync__lock_acquire_until(l, NULL, 0);
}

/*
 * Relaxed accesses to `waiting`: it changes only under the lock; the
 * atomic is for sync_cond_waiting()'s unlocked snapshot.
 */
static void sync_cond_waiting_add(struct sync_cond *c, uint32_t d)
{
	uint32_t w = prim_atomic_load_n(&c->waiting, __ATOMIC_RELAXED);

	prim_atomic_store_n(&c->waiting, w + d, __ATOMIC_RELAXED);
}

static int sync_cond_wait_until(struct sync_cond *c, const struct timespec *abs)
{
	struct sync_lock *l = sync_cond_lock(c);
	uint64_t ticket;
	uint32_t seen, depth;
	int r;

	if (!sync__lock_is_mine(l))
		return -EPERM;
	ticket = c->tickets++;
	sync_cond_waiting_add(c, 1);
	for (;;) {
		/* Relaxed: read under the lock, and notify bumps it under
		 * the lock, so a notify after our unlock changes the word
		 * the kernel compares against `seen`. */
		seen = prim_atomic_load_n(&c->seq, __ATOMIC_RELAXED);
		depth = sync_cond_unlock(c, l);
		/* The window `seen` closes: a notify between the unlock and
		 * the sleep. */
		PRIM_TEST_PREEMPT();
		r = futex_wait_until(&c->seq, seen, abs, c->shared);
		/* Notify against timeout: a notify may grant between our
		 * time-out and the relock, and the grant is then ours. */
		PRIM_TEST_PREEMPT();
		sync_cond_relock(c, l, depth);
		if (ticket < c->horizon && c->grants > 0) {
			c->grants--;
			sync_cond_waiting_add(c, (uint32_t)-1);
			return 0;
		}
		if (r == -ETIMEDOUT) {
			sync_cond_waiting_add(c, (uint32_t)-1);
			return -ETIMEDOUT;
		}
		/* Spurious, EINTR, or a notify that others answered: sleep
		 * again; a passed deadline times out at once. */
	}
}

int sync_cond_wait(struct sync_cond *c, int64_t timeout_ns)
{
	struct timespec buf;

	return sync_cond_wait_until(c, sync__deadline(timeout_ns, &buf));
}

int sync_cond_wait_for(struct sync_cond *c, int (*pred)(void *arg),
		       void *arg, int64_t timeout_ns)
{
	struct timespec buf;
	const struct timespec *abs = sync__deadline(timeout_ns, &buf);
	int r;

	if (!sync__lock_is_mine(sync_cond_lock(c)))
		return -EPERM;
	while (!pred(arg)) {
		r = sync_cond_wait_until(c, abs);
		if (r == -ETIMEDOUT)
			return pred(arg) ? 0 : -ETIMEDOUT;
		if (r)
			return r;
	}
	return 0;
}

static int sync_cond_release(struct sync_cond *c, uint32_t n, bool all)
{
	uint32_t free, k;

	if (!sync__lock_is_mine(sync_cond_lock(c)))
		return -EPERM;
	/* Relaxed: we hold the lock, under which `waiting` changes. */
	free = prim_atomic_load_n(&c->waiting, __ATOMIC_RELAXED) - c->grants;
	k = n < free ? n : free;
	if (k == 0 && c->grants == 0)
		return 0;
	if (k > 0) {
		c->horizon = c->tickets;
		c->grants += k;
	}
	/* Relaxed: the lock orders this against waiters' reads of `seen`;
	 * the futex compares the value, not an ordering. */
	prim_atomic_store_n(&c->seq,
			    prim_atomic_load_n(&c->seq, __ATOMIC_RELAXED) + 1,
			    __ATOMIC_RELAXED);
	/* Waiters between unlock and sleep now find `seq` moved. */
	PRIM_TEST_PREEMPT();
	/*
	 * Still under the lock: only present waiters can be in the queue.
	 * With k == 0, grants are outstanding: the bump and wake-up change no
	 * accounting, they rescue an eligible waiter that slept on a `seq`
	 * which wrapped back to its `seen` (see the file comment); whoever
	 * wakes without a grant to take sleeps again.
	 */
	futex_wake(&c->seq, k == 0 ? (int)c->grants : all ? INT_MAX : (int)k,
		   c->shared);
	return (int)k;
}

int sync_cond_notify(struct sync_cond *c, uint32_t n)
{
	/* Capped so that the count returned fits an int. */
	if (n > INT_MAX)
		n = INT_MAX;
	return sync_cond_release(c, n, false);
}

int sync_cond_notify_all(struct sync_cond *c)
{
	return sync_cond_release(c, INT_MAX, true);
}

uint32_t sync_cond_waiting(const struct sync_cond *c)
{
	/* Relaxed: a snapshot; exact when the caller holds the lock. */
	return prim_atomic_load_n(&c->waiting, __ATOMIC_RELAXED);
}
