/*
 * primitives/sync.h - Python's threading toolbox in C: Lock, RLock,
 * BoundedSemaphore, Event, Condition and Timer, with the semantics a
 * Python user expects, so that what contend measures is what they use.
 *
 * Every object is a plain fixed-size struct that the caller allocates and
 * initialises, and every object sleeps through futexes (primitives/futex.h),
 * never through pthread mutexes or condition variables.  An object
 * initialised with `shared` nonzero holds no pointer to process-private
 * memory and may live in MAP_SHARED memory, where it works between forked
 * processes exactly as multiprocessing's twins do; with `shared` zero the
 * futex calls use FUTEX_PRIVATE_FLAG, which is cheaper but confines the
 * object to the threads of one process.  Timer is the exception: a Python
 * Timer is a thread, and so is this one (thread-only, no `shared`).
 *
 * Conventions shared by every function below:
 *
 *   - timeouts are nanoseconds in an int64_t: negative waits for ever, 0
 *     polls (never sleeps), positive is turned on entry into an absolute
 *     CLOCK_MONOTONIC deadline, so spurious wake-ups and EINTR neither
 *     stretch nor shorten it, and a call never gives up before the
 *     timeout has elapsed;
 *   - results are 0 on success or a negative errno: -ETIMEDOUT (a timed
 *     call ran out of time, including a timeout of 0), -EAGAIN (only from
 *     the *_try functions: would have had to block), -EPERM (Python's
 *     RuntimeError: releasing what one does not hold, waiting or
 *     notifying without the lock), -EINVAL (Python's ValueError, or a bad
 *     argument), -EBUSY (destroying an object in use), -EOVERFLOW (an
 *     RLock's depth would pass UINT32_MAX: Python's OverflowError);
 *   - "owner" identities are kernel thread ids (gettid()), unique across
 *     the whole system, so ownership works across threads and processes
 *     alike.
 *
 * Objects must not be copied or moved once initialised (a Condition finds
 * its lock by its distance from the Condition itself).
 */
#ifndef CONTEND_SYNC_H
#define CONTEND_SYNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Thread identity                                                     */

/*
 * The calling thread's kernel thread id (gettid()), never 0.  Cached per
 * thread after the first call; the cache is refreshed in the child after
 * fork() (a pthread_atfork handler), so a forked process never inherits
 * its parent's id.  Children made by raw clone() or vfork() bypass that
 * handler and must not use these objects before exec.
 */
uint32_t sync_thread_id(void);

/* ------------------------------------------------------------------ */
/* Lock: threading.Lock / multiprocessing.Lock                        */

struct sync_lock {
	uint32_t state;		/* futex word: free, locked, locked with sleepers */
	uint32_t owner;		/* tid of the last acquirer, 0 when free */
	uint32_t shared;	/* nonzero: futexes without FUTEX_PRIVATE_FLAG */
};

/* Initialise an unlocked lock.  Returns 0. */
int sync_lock_init(struct sync_lock *l, int shared);
/* Returns 0, or -EBUSY if the lock is held. */
int sync_lock_destroy(struct sync_lock *l);
/* Block until acquired.  Returns 0.  Not reentrant: a second acquire by the
 * holder deadlocks, as in Python. */
int sync_lock_acquire(struct sync_lock *l);
/* Acquire without blocking.  Returns 0, or -EAGAIN if held. */
int sync_lock_try(struct sync_lock *l);
/* Acquire, giving up after timeout_ns.  Returns 0 or -ETIMEDOUT. */
int sync_lock_acquire_timeout(struct sync_lock *l, int64_t timeout_ns);
/*
 * Release.  As in Python, any thread may release a held Lock (it is not
 * owned, only recorded: the recorded owner serves Condition's check).
 * Returns 0, or -EPERM if the lock was not held (RuntimeError).
 */
int sync_lock_release(struct sync_lock *l);
/* Whether the lock is held by anyone right now (Lock.locked()). */
bool sync_lock_locked(const struct sync_lock *l);

/* ------------------------------------------------------------------ */
/* RLock: threading.RLock / multiprocessing.RLock                     */

struct sync_rlock {
	struct sync_lock lock;	/* lock.owner is the owning tid */
	uint32_t count;		/* recursion depth, touched only by the owner */
};

/* Initialise an unowned rlock.  Returns 0. */
int sync_rlock_init(struct sync_rlock *r, int shared);
/* Returns 0, or -EBUSY if the rlock is owned. */
int sync_rlock_destroy(struct sync_rlock *r);
/* Acquire, or re-enter if the caller already owns it.  Returns 0, or
 * -EOVERFLOW if the recursion depth would pass UINT32_MAX. */
int sync_rlock_acquire(struct sync_rlock *r);
/* As acquire without blocking.  Returns 0, -EAGAIN or -EOVERFLOW. */
int sync_rlock_try(struct sync_rlock *r);
/* As acquire with a timeout.  Returns 0, -ETIMEDOUT or -EOVERFLOW. */
int sync_rlock_acquire_timeout(struct sync_rlock *r, int64_t timeout_ns);
/* Leave one level; the last level frees it.  Returns 0, or -EPERM if the
 * caller does not own it (RuntimeError). */
int sync_rlock_release(struct sync_rlock *r);
/* Whether the calling thread owns the rlock (RLock._is_owned()). */
bool sync_rlock_is_owned(const struct sync_rlock *r);

/* ------------------------------------------------------------------ */
/* BoundedSemaphore: threading / multiprocessing.BoundedSemaphore     */

struct sync_sem {
	uint32_t state;		/* futex word: permits << 1 | "a waiter may sleep" */
	uint32_t waiters;	/* callers inside acquire's blocking path */
	uint32_t initial;	/* the bound release may not pass */
	uint32_t shared;
};

/* Initialise with `value` permits (0 .. INT32_MAX).  Returns 0, or -EINVAL
 * if value is out of range. */
int sync_sem_init(struct sync_sem *s, uint32_t value, int shared);
/* Returns 0, or -EBUSY if a caller is waiting. */
int sync_sem_destroy(struct sync_sem *s);
/* Take a permit, blocking while none is left.  Returns 0. */
int sync_sem_acquire(struct sync_sem *s);
/* Take a permit without blocking.  Returns 0, or -EAGAIN if none. */
int sync_sem_try(struct sync_sem *s);
/* Take a permit, giving up after timeout_ns.  Returns 0 or -ETIMEDOUT. */
int sync_sem_acquire_timeout(struct sync_sem *s, int64_t timeout_ns);
/* Give a permit back.  Returns 0, or -EINVAL if that would raise the value
 * above the initial one (ValueError).  Once the permit is published release
 * reads nothing of the semaphore, so a thread whose acquire returned may
 * destroy and free it at once (as POSIX allows for sem_t). */
int sync_sem_release(struct sync_sem *s);
/* Permits available right now (a snapshot). */
uint32_t sync_sem_value(const struct sync_sem *s);

/* ------------------------------------------------------------------ */
/* Event: threading.Event / multiprocessing.Event                      */

struct sync_event {
	uint32_t state;		/* futex word: bit 0 the flag, bit 1 "a waiter may
				 * sleep", bits 2-31 count sets (mod 2^30) */
	uint32_t waiters;	/* callers inside wait's sleep loop */
	uint32_t shared;
};

/* Initialise with the flag clear.  Returns 0. */
int sync_event_init(struct sync_event *e, int shared);
/* Returns 0, or -EBUSY if a caller is waiting. */
int sync_event_destroy(struct sync_event *e);
/* Set the flag and release every waiter.  Writes before set() are visible
 * to whoever sees the flag set.  Once the flag is published set() reads
 * nothing of the event, so a thread whose wait returned may destroy and
 * free it at once. */
void sync_event_set(struct sync_event *e);
/* Clear the flag. */
void sync_event_clear(struct sync_event *e);
/* Whether the flag is set. */
bool sync_event_is_set(const struct sync_event *e);
/*
 * Wait until the flag is set.  Returns 0 if the flag was set (Python's
 * True) -- including when a set() released this waiter and a clear() ran
 * before it woke up -- or -ETIMEDOUT (False).
 */
int sync_event_wait(struct sync_event *e, int64_t timeout_ns);

/* ------------------------------------------------------------------ */
/* Condition: threading.Condition / multiprocessing.Condition          */

/*
 * A Condition works over a sync_lock or a sync_rlock chosen at init (Python's
 * default Condition() uses an RLock: allocate one and use
 * sync_cond_init_rlock).  Several conditions may share one lock, as
 * queue.Queue's three do.  The condition records the lock's distance from
 * itself, not its address: when shared, condition and lock must sit in the
 * same mapping (at any address), and the condition is shared iff its lock is.
 *
 * notify(n) releases at most n of the waiters present at the call, and
 * never a thread that started waiting later; a released waiter returns 0,
 * any other wait returns only on its timeout.  Waiters carry tickets: a
 * notify marks every ticket issued so far eligible and grants min(n, waiting
 * and not yet granted) permits, which only eligible waiters may take.
 */
struct sync_cond {
	uint64_t lock_off;	/* (uintptr_t)lock - (uintptr_t)this */
	uint64_t tickets;	/* next wait ticket */
	uint64_t horizon;	/* tickets below this were present at a notify */
	uint32_t seq;		/* futex word: bumped by every notify that grants
				 * or finds grants outstanding */
	uint32_t waiting;	/* waiters inside wait() */
	uint32_t grants;	/* permits granted and not yet taken */
	uint32_t kind;		/* sync_lock or sync_rlock underneath */
	uint32_t shared;	/* copied from the lock */
};

/* Initialise over a sync_lock / a sync_rlock.  Returns 0. */
int sync_cond_init(struct sync_cond *c, struct sync_lock *lock);
int sync_cond_init_rlock(struct sync_cond *c, struct sync_rlock *rlock);
/* Returns 0, or -EBUSY if a caller is waiting. */
int sync_cond_destroy(struct sync_cond *c);
/*
 * With the lock held: release it (fully, for an RLock at any depth), sleep
 * until notified or timeout_ns passes, take the lock back (at the same
 * depth) and return.  Returns 0 when notified, -ETIMEDOUT when not, -EPERM
 * if the caller does not hold the lock (the lock is then left alone).
 */
int sync_cond_wait(struct sync_cond *c, int64_t timeout_ns);
/*
 * With the lock held: wait until pred(arg) returns nonzero, evaluating it
 * first and after each wake-up, under the lock; timeout_ns bounds the
 * whole call.  Returns 0 once pred is true, -ETIMEDOUT if it is still false
 * at the deadline (after one last evaluation), -EPERM without the lock.
 */
int sync_cond_wait_for(struct sync_cond *c, int (*pred)(void *arg),
		       void *arg, int64_t timeout_ns);
/* With the lock held: release at most n waiters present now.  Returns how
 * many were released, or -EPERM without the lock. */
int sync_cond_notify(struct sync_cond *c, uint32_t n);
/* With the lock held: release every waiter present now.  Returns how many,
 * or -EPERM without the lock. */
int sync_cond_notify_all(struct sync_cond *c);
/* Waiters inside wait() not yet released (exact with the lock held). */
uint32_t sync_cond_waiting(const struct sync_cond *c);

/* ------------------------------------------------------------------ */
/* Timer: threading.Timer (thread-only)                                */

/*
 * fn(arg) runs once on the timer's own thread delay_ns after start(),
 * unless cancel() got there first.  Whether the call happens is decided by
 * one atomic transition of `state` (waiting -> fired by the timer thread,
 * or -> cancelled by cancel()), so exactly one side wins even when cancel
 * races with expiry: cancel() returns 1 only if fn will never be called,
 * 0 if fn has already been called or is being called.
 * start, join and destroy come from one thread at a time; cancel may come
 * from any thread, fn included.
 */
struct sync_timer {
	pthread_t thread;
	void (*fn)(void *arg);
	void *arg;
	int64_t delay_ns;
	struct timespec deadline;	/* CLOCK_MONOTONIC, set by start */
	uint32_t state;		/* futex word: idle, waiting, fired, cancelled */
	uint32_t done;		/* futex word: the thread has finished */
	uint32_t started;	/* a thread was created */
	uint32_t joined;	/* ... and joined */
	uint32_t tid;		/* the timer thread's id, once it runs */
};

/* Prepare a timer.  Returns 0, or -EINVAL if delay_ns < 0 or fn is NULL. */
int sync_timer_init(struct sync_timer *t, int64_t delay_ns,
		    void (*fn)(void *arg), void *arg);
/* Start the timer thread (it still starts, and ends at once, after an early
 * cancel, as in Python).  Returns 0, -EPERM if already started
 * (RuntimeError), or -EAGAIN/-errno if no thread could be created. */
int sync_timer_start(struct sync_timer *t);
/* Stop the timer if it has not fired.  Returns 1 if fn will never be called
 * (prevented by this call or an earlier cancel), 0 if it was too late. */
int sync_timer_cancel(struct sync_timer *t);
/* Wait for the timer thread to end (after fn returned, if it fired).
 * Returns 0, -ETIMEDOUT, -EPERM if the timer was never started, or
 * -EDEADLK when called from fn itself (Python's "cannot join current
 * thread"). */
int sync_timer_join(struct sync_timer *t, int64_t timeout_ns);
/* Cancel and join if needed.  Returns 0, or -EDEADLK from fn itself. */
int sync_timer_destroy(struct sync_timer *t);

/* ------------------------------------------------------------------ */
/* Internals shared by primitives/sync_*.c (and usable by other
 * primitives built over these, e.g. the queues); not part of Python's API. */

/*
 * Turn a relative timeout into an absolute CLOCK_MONOTONIC deadline in
 * *buf: returns buf, or NULL (no deadline) for a negative timeout.
 */
static inline struct timespec *sync__deadline(int64_t timeout_ns,
					      struct timespec *buf)
{
	if (timeout_ns < 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, buf);
	buf->tv_sec += timeout_ns / 1000000000;
	buf->tv_nsec += timeout_ns % 1000000000;
	if (buf->tv_nsec >= 1000000000) {
		buf->tv_nsec -= 1000000000;
		buf->tv_sec++;
	}
	return buf;
}

/* Acquire until the absolute deadline `abs` (NULL: for ever; with `poll`
 * set: do not sleep at all).  0 or -ETIMEDOUT. */
int sync__lock_acquire_until(struct sync_lock *l, const struct timespec *abs,
			     int poll);
/* Whether the calling thread is the recorded owner of l. */
bool sync__lock_is_mine(const struct sync_lock *l);
/* Release an owned rlock whatever its depth, returning the depth; and take
 * it back at that depth (Python's _release_save/_acquire_restore). */
uint32_t sync__rlock_release_save(struct sync_rlock *r);
void sync__rlock_acquire_restore(struct sync_rlock *r, uint32_t count);

#endif
