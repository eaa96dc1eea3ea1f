/*
 * primitives/sync_lock.c - Lock and RLock over one futex word, and the
 * thread identity they record.
 *
 * The lock word follows Drepper's "Futexes Are Tricky" mutex: 0 free,
 * 1 held, 2 held and maybe someone asleep, so an uncontended acquire and
 * release are one atomic each and never enter the kernel.  There is no
 * spinning before sleeping: CPython's Lock (a POSIX semaphore on Linux)
 * does not spin either, and what we measure must be what Python users get.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/preempt.h"
#include "primitives/sync.h"

enum {
	SYNC_LOCK_FREE = 0,
	SYNC_LOCK_HELD = 1,
	SYNC_LOCK_SLEEPERS = 2,	/* held, and a waiter may be in the kernel */
};

/* 0 means "not looked up yet": the kernel never hands out tid 0. */
static __thread uint32_t sync_tid_cache;
static pthread_once_t sync_tid_once = PTHREAD_ONCE_INIT;

/* The child of fork() runs on a new tid; forget the parent's. */
static void sync_tid_forget(void)
{
	sync_tid_cache = 0;
}

static void sync_tid_register(void)
{
	pthread_atfork(NULL, NULL, sync_tid_forget);
}

uint32_t sync_thread_id(void)
{
	if (__builtin_expect(sync_tid_cache == 0, 0)) {
		pthread_once(&sync_tid_once, sync_tid_register);
		sync_tid_cache = (uint32_t)syscall(SYS_gettid);
	}
	return sync_tid_cache;
}

/* ------------------------------------------------------------------ */
/* Lock                                                                */

int sync_lock_init(struct sync_lock *l, int shared)
{
	l->state = SYNC_LOCK_FREE;
	l->owner = 0;
	l->shared = !!shared;
	return 0;
}

int sync_lock_destroy(struct sync_lock *l)
{
	/* Relaxed: a report on a lock the caller claims nobody uses. */
	return prim_atomic_load_n(&l->state, __ATOMIC_RELAXED) ? -EBUSY : 0;
}

int sync__lock_acquire_until(struct sync_lock *l, const struct timespec *abs,
			     int poll)
{
	uint32_t c = SYNC_LOCK_FREE;

	/* Acquire on success: the holder's critical section must see every
	 * write made before the previous release.  Relaxed on failure: we
	 * learn only the state, and act on it with another RMW below. */
	if (prim_atomic_compare_exchange_n(&l->state, &c, SYNC_LOCK_HELD, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		goto got;
	if (poll)
		return -ETIMEDOUT;
	/* The holder may release between the failed CAS and the exchange. */
	PRIM_TEST_PREEMPT();
	/* Mark the word "sleepers" before sleeping so the holder's release
	 * knows to wake; if the exchange finds it free we own it (acquire,
	 * as above), at the price of one possibly needless wake later. */
	if (c != SYNC_LOCK_SLEEPERS)
		c = prim_atomic_exchange_n(&l->state, SYNC_LOCK_SLEEPERS,
					   __ATOMIC_ACQUIRE);
	while (c != SYNC_LOCK_FREE) {
		int r = futex_wait_until(&l->state, SYNC_LOCK_SLEEPERS, abs,
					 l->shared);

		if (r == -ETIMEDOUT)
			return -ETIMEDOUT;
		/* Woken: a newcomer may take the lock before we retry. */
		PRIM_TEST_PREEMPT();
		/* Woken, spurious, EINTR or the word moved: try again. */
		c = prim_atomic_exchange_n(&l->state, SYNC_LOCK_SLEEPERS,
					   __ATOMIC_ACQUIRE);
	}
got:
	/* Relaxed: only this thread writes its own tid here while holding
	 * the lock, and only this thread compares the word with its tid;
	 * the state word's acquire/release orders it against other holders. */
	prim_atomic_store_n(&l->owner, sync_thread_id(), __ATOMIC_RELAXED);
	return 0;
}

int sync_lock_acquire(struct sync_lock *l)
{
	return sync__lock_acquire_until(l, NULL, 0);
}

int sync_lock_try(struct sync_lock *l)
{
	return sync__lock_acquire_until(l, NULL, 1) ? -EAGAIN : 0;
}

int sync_lock_acquire_timeout(struct sync_lock *l, int64_t timeout_ns)
{
	struct timespec buf;

	if (timeout_ns == 0)
		return sync__lock_acquire_until(l, NULL, 1);
	return sync__lock_acquire_until(l, sync__deadline(timeout_ns, &buf), 0);
}

int sync_lock_release(struct sync_lock *l)
{
	uint32_t c, shared;

	/* Relaxed: an early answer for the common misuse; the exchange
	 * below is what decides. */
	if (prim_atomic_load_n(&l->state, __ATOMIC_RELAXED) == SYNC_LOCK_FREE)
		return -EPERM;
	/* Clear the owner before the word goes free, so that the next
	 * holder's store cannot be overwritten by ours.  Relaxed: ordered
	 * before the release exchange, which publishes it. */
	prim_atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	/* Read before the exchange: once the word is free the next owner
	 * may free the lock, so only the wake (which the kernel allows on a
	 * stale address) may follow it. */
	shared = l->shared;
	/* A waiter may mark "sleepers" until the exchange. */
	PRIM_TEST_PREEMPT();
	/* Release: the critical section's writes happen before the next
	 * acquirer's acquire. */
	c = prim_atomic_exchange_n(&l->state, SYNC_LOCK_FREE, __ATOMIC_RELEASE);
	/* Free: a newcomer may take it, and free it, before the wake. */
	PRIM_TEST_PREEMPT();
	if (c == SYNC_LOCK_SLEEPERS)
		futex_wake(&l->state, 1, shared);
	/* Free already: a racing second release of the same lock. */
	return c == SYNC_LOCK_FREE ? -EPERM : 0;
}

bool sync_lock_locked(const struct sync_lock *l)
{
	/* Relaxed: a snapshot that may be stale as soon as it is read. */
	return prim_atomic_load_n(&l->state, __ATOMIC_RELAXED) !=
	       SYNC_LOCK_FREE;
}

bool sync__lock_is_mine(const struct sync_lock *l)
{
	/* Relaxed: the word can only equal our tid if we stored it while
	 * holding the lock; any other value means "not ours" either way. */
	return prim_atomic_load_n(&l->owner, __ATOMIC_RELAXED) ==
	       sync_thread_id();
}

/* ------------------------------------------------------------------ */
/* RLock                                                               */

int sync_rlock_init(struct sync_rlock *r, int shared)
{
	r->count = 0;
	return sync_lock_init(&r->lock, shared);
}

int sync_rlock_destroy(struct sync_rlock *r)
{
	return sync_lock_destroy(&r->lock);
}

static int sync_rlock_acquire_until(struct sync_rlock *r,
				    const struct timespec *abs, int poll)
{
	int ret;

	if (sync__lock_is_mine(&r->lock)) {
		/* count is only touched by the owner: a plain access. */
		if (r->count == UINT32_MAX)
			return -EOVERFLOW;
		r->count++;
		return 0;
	}
	ret = sync__lock_acquire_until(&r->lock, abs, poll);
	if (ret == 0)
		r->count = 1;
	return ret;
}

int sync_rlock_acquire(struct sync_rlock *r)
{
	return sync_rlock_acquire_until(r, NULL, 0);
}

int sync_rlock_try(struct sync_rlock *r)
{
	int ret = sync_rlock_acquire_until(r, NULL, 1);

	return ret == -ETIMEDOUT ? -EAGAIN : ret;
}

int sync_rlock_acquire_timeout(struct sync_rlock *r, int64_t timeout_ns)
{
	struct timespec buf;

	if (timeout_ns == 0)
		return sync_rlock_acquire_until(r, NULL, 1);
	return sync_rlock_acquire_until(r, sync__deadline(timeout_ns, &buf), 0);
}

int sync_rlock_release(struct sync_rlock *r)
{
	if (!sync__lock_is_mine(&r->lock))
		return -EPERM;
	if (--r->count == 0)
		sync_lock_release(&r->lock);
	return 0;
}

bool sync_rlock_is_owned(const struct sync_rlock *r)
{
	return sync__lock_is_mine(&r->lock);
}

uint32_t sync__rlock_release_save(struct sync_rlock *r)
{
	uint32_t count = r->count;

	r->count = 0;
	sync_lock_release(&r->lock);
	return count;
}

void sync__rlock_acquire_restore(struct sync_rlock *r, uint32_t count)
{
	sync__lock_acquire_until(&r->lock, NULL, 0);
	r->count = count;
}
