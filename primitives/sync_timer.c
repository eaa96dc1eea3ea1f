/*
 * primitives/sync_timer.c - Timer: a thread that waits up to its delay for
 * a cancel and otherwise calls fn(arg) once.
 *
 * Thread-only, like Python's Timer (a threading.Thread subclass): the
 * struct holds a pthread_t and a function pointer, so it never goes into
 * shared memory, and its futexes are private.
 *
 * The guarantee: `state` leaves WAITING exactly once, by a single atomic
 * compare-and-swap -- to FIRED by the timer thread after its deadline, or
 * to CANCELLED by cancel().  fn runs iff the timer thread's swap wins, so a
 * cancel racing with expiry either prevents the call (and returns 1) or
 * finds it decided (and returns 0); there is no outcome in between, and fn
 * runs at most once.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>

#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/preempt.h"
#include "primitives/sync.h"

enum {
	SYNC_TIMER_IDLE = 0,
	SYNC_TIMER_WAITING = 1,
	SYNC_TIMER_FIRED = 2,
	SYNC_TIMER_CANCELLED = 3,
};

int sync_timer_init(struct sync_timer *t, int64_t delay_ns,
		    void (*fn)(void *arg), void *arg)
{
	if (delay_ns < 0 || !fn)
		return -EINVAL;
	t->fn = fn;
	t->arg = arg;
	t->delay_ns = delay_ns;
	t->state = SYNC_TIMER_IDLE;
	t->done = 0;
	t->started = 0;
	t->joined = 0;
	t->tid = 0;
	return 0;
}

static void *sync_timer_main(void *p)
{
	struct sync_timer *t = p;
	uint32_t s;

	/* Relaxed: only this thread compares it with its own id. */
	prim_atomic_store_n(&t->tid, sync_thread_id(), __ATOMIC_RELAXED);
	/* Relaxed loads and swap: who wins is decided by the single order
	 * of RMWs on `state`; no data rides on it (fn, arg and the
	 * deadline were published by pthread_create). */
	while (prim_atomic_load_n(&t->state, __ATOMIC_RELAXED) ==
	       SYNC_TIMER_WAITING) {
		if (futex_wait_until(&t->state, SYNC_TIMER_WAITING,
				     &t->deadline, 0) != -ETIMEDOUT)
			continue;	/* cancelled, spurious or EINTR */
		/* Fire against cancel: a cancel() may land between the
		 * deadline and our swap; the swap alone decides. */
		PRIM_TEST_PREEMPT();
		s = SYNC_TIMER_WAITING;
		if (prim_atomic_compare_exchange_n(&t->state, &s,
						   SYNC_TIMER_FIRED, false,
						   __ATOMIC_RELAXED,
						   __ATOMIC_RELAXED))
			t->fn(t->arg);
		break;
	}
	/* Release: join's acquire then sees everything fn did. */
	prim_atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	futex_wake(&t->done, INT_MAX, 0);
	return NULL;
}

int sync_timer_start(struct sync_timer *t)
{
	uint32_t s = SYNC_TIMER_IDLE;
	int err;

	if (t->started)
		return -EPERM;
	sync__deadline(t->delay_ns, &t->deadline);
	/* Relaxed: atomicity alone settles a race with an early cancel;
	 * if cancel won, the thread starts and ends at once. */
	prim_atomic_compare_exchange_n(&t->state, &s, SYNC_TIMER_WAITING, false,
				       __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	/* An early cancel() from another thread may come in here. */
	PRIM_TEST_PREEMPT();
	err = pthread_create(&t->thread, NULL, sync_timer_main, t);
	if (err) {
		/* No thread: back to idle unless a cancel came meanwhile.
		 * Relaxed: as above. */
		s = SYNC_TIMER_WAITING;
		prim_atomic_compare_exchange_n(&t->state, &s, SYNC_TIMER_IDLE,
					       false, __ATOMIC_RELAXED,
					       __ATOMIC_RELAXED);
		return -err;
	}
	t->started = 1;
	return 0;
}

int sync_timer_cancel(struct sync_timer *t)
{
	/* Relaxed: as in sync_timer_main, the RMW order decides alone. */
	uint32_t s = prim_atomic_load_n(&t->state, __ATOMIC_RELAXED);

	for (;;) {
		if (s == SYNC_TIMER_CANCELLED)
			return 1;
		if (s == SYNC_TIMER_FIRED)
			return 0;
		/* The timer thread's swap may land between look and CAS. */
		PRIM_TEST_PREEMPT();
		if (prim_atomic_compare_exchange_n(&t->state, &s,
						   SYNC_TIMER_CANCELLED, false,
						   __ATOMIC_RELAXED,
						   __ATOMIC_RELAXED))
			break;
	}
	if (s == SYNC_TIMER_WAITING)
		futex_wake(&t->state, 1, 0);
	return 1;
}

/* Called from fn, on the timer's own thread?  Another thread may read
 * 0 or the timer thread's id, never its own. */
static int sync__timer_is_self(struct sync_timer *t)
{
	return prim_atomic_load_n(&t->tid, __ATOMIC_RELAXED) ==
	       sync_thread_id();
}

int sync_timer_join(struct sync_timer *t, int64_t timeout_ns)
{
	struct timespec buf;
	const struct timespec *abs;

	/* From fn itself: the thread cannot finish while we wait for it
	 * (Python: "cannot join current thread").  Checked first: the
	 * other fields belong to the thread that started the timer. */
	if (sync__timer_is_self(t))
		return -EDEADLK;
	if (!t->started)
		return -EPERM;
	if (t->joined)
		return 0;
	abs = sync__deadline(timeout_ns, &buf);
	/* Acquire: pairs with the thread's release of `done`. */
	while (!prim_atomic_load_n(&t->done, __ATOMIC_ACQUIRE)) {
		if (timeout_ns == 0 ||
		    futex_wait_until(&t->done, 0, abs, 0) == -ETIMEDOUT) {
			if (prim_atomic_load_n(&t->done, __ATOMIC_ACQUIRE))
				break;
			return -ETIMEDOUT;
		}
	}
	pthread_join(t->thread, NULL);
	t->joined = 1;
	return 0;
}

int sync_timer_destroy(struct sync_timer *t)
{
	if (sync__timer_is_self(t))
		return -EDEADLK;
	if (t->started && !t->joined) {
		sync_timer_cancel(t);
		sync_timer_join(t, -1);
	}
	return 0;
}
