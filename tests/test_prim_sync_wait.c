/*
 * tests/test_prim_sync_wait.c - Event, Condition and Timer from
 * primitives/sync.h: set releases every waiter (even when clear() follows at
 * once), notify(n) releases exactly n of m provably waiting threads and
 * never a later arrival, operations without the lock fail with -EPERM, an
 * RLock's depth survives a wait, both objects work between processes, a
 * waiter may free an event as soon as its wait returns, and a Timer fires
 * exactly once unless a cancel that reports success stopped it.
 *
 * Worker threads and child processes never call cr_assert; they report
 * through counters and exit codes that the test's main thread asserts on.
 *
 * A wake-up a test expects is proven, not waited out: each waiter raises
 * its own flag when its call returns, and the test asserts that every
 * flag is up, and every return value right, within CHECK_WAKE_NS of the
 * call that must wake them.  The waiters themselves wait for ever, or for
 * NEVER_NS, far longer than that deadline: a lost wake-up must not be
 * covered up by a time-out that returns the right value anyway (a timed
 * Event.wait that ends after a set() it slept through still returns 0).
 * Stress runs are watched for progress (CHECK_STALL_NS) instead of waited
 * for.  Every forked child dies with the test (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE		/* SCHED_IDLE, CPU_SET */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "primitives/arch/cpu.h"
#include "primitives/sync.h"
#include "tests/check.h"
#include "tests/prim_leak.h"
#include "tests/prim_util.h"
#include "tests/sync_free_race.h"

#define WAITERS 6
#define NOTIFY_N 2
#define PROCS 3
#define TIMEOUT_NS 20000000	/* 20 ms: long enough to sleep, short for a test */
/* A timed wait meant never to expire: four times CHECK_WAKE_NS, so the
 * test's deadline always comes first. */
#define NEVER_NS (4 * CHECK_WAKE_NS)
#define SETTLE_NS 50000000	/* 50 ms: lets a wrongly woken waiter show itself */
#define BUFFER_ITEMS 10000
#define CHURN_THREADS 4
#define CHURN_WAITS 2000
#define TIMER_RACE_ROUNDS 3000	/* cancels racing expiry */
/* Spread of the delay before such a cancel, in pauses: from well before
 * the timer thread's fire decision to well after it. */
#define TIMER_RACE_SPINS 2048

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	while (nanosleep(&ts, &ts))
		;
}

/* Assert that all n flags go up within CHECK_WAKE_NS. */
#define ASSERT_ALL_WOKEN(flags, n, what)				\
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, flags_up((flags), (n)) == (n)), \
		  "%s released %d of %d waiters within %lld s: a lost "	\
		  "wake-up", (what), flags_up((flags), (n)), (n),	\
		  CHECK_WAKE_NS / 1000000000)

/* ------------------------------------------------------------------ */
/* Event                                                               */

Test(sync_event, flag_and_timeouts, .timeout = 60)
{
	struct sync_event e;
	int64_t t0;

	cr_assert_eq(sync_event_init(&e, 0), 0);
	cr_assert_not(sync_event_is_set(&e));
	cr_assert_eq(sync_event_wait(&e, 0), -ETIMEDOUT);
	t0 = now_ns();
	cr_assert_eq(sync_event_wait(&e, TIMEOUT_NS), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	sync_event_set(&e);
	sync_event_set(&e);		/* idempotent */
	cr_assert(sync_event_is_set(&e));
	cr_assert_eq(sync_event_wait(&e, 0), 0);
	cr_assert_eq(sync_event_wait(&e, -1), 0);
	sync_event_clear(&e);
	cr_assert_not(sync_event_is_set(&e));
	cr_assert_eq(sync_event_wait(&e, 0), -ETIMEDOUT);
	cr_assert_eq(sync_event_destroy(&e), 0);
}

struct event_crowd {
	struct sync_event e;
	int rc[WAITERS];
	uint32_t done[WAITERS];		/* raised once rc[] is written */
	int32_t tid[WAITERS];		/* each waiter's kernel id, once known */
	uint32_t next;
	int idle_cpu;			/* >= 0: waiters run there, SCHED_IDLE */
};

static void *event_waiter(void *p)
{
	struct event_crowd *c = p;
	/* Relaxed: just hands each thread its own slot. */
	uint32_t me = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);

	if (c->idle_cpu >= 0) {
		struct sched_param sp = { .sched_priority = 0 };

		pin_to(c->idle_cpu);
		pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	}
	/* Relaxed: read only to look the thread up in /proc. */
	__atomic_store_n(&c->tid[me], my_tid(), __ATOMIC_RELAXED);
	/* Half wait for ever, half with a time-out, for both paths. */
	c->rc[me] = sync_event_wait(&c->e, me % 2 ? NEVER_NS : -1);
	flag_raise(&c->done[me]);
	return NULL;
}

static bool event_crowd_asleep(struct event_crowd *c)
{
	for (int i = 0; i < WAITERS; i++) {
		pid_t tid = __atomic_load_n(&c->tid[i], __ATOMIC_RELAXED);

		if (!tid || !thread_asleep(tid))
			return false;
	}
	return true;
}

/* Start WAITERS waiters and return once all sleep in the kernel. */
static void event_crowd_start(struct event_crowd *c, pthread_t *th)
{
	/* Every slot is cleared before any waiter starts: a waiter takes
	 * the next free slot, which need not be its creation's index. */
	for (int i = 0; i < WAITERS; i++) {
		c->rc[i] = 1;
		c->done[i] = 0;
		c->tid[i] = 0;
	}
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, event_waiter, c), 0);
	while (__atomic_load_n(&c->e.waiters, __ATOMIC_RELAXED) != WAITERS)
		sched_yield();
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, event_crowd_asleep(c)),
		  "the waiters never went to sleep");
	cr_assert_eq(sync_event_destroy(&c->e), -EBUSY);
}

/* After the set(): every waiter back soon, each with 0. */
static void event_crowd_finish(struct event_crowd *c, pthread_t *th)
{
	ASSERT_ALL_WOKEN(c->done, WAITERS, "set()");
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(c->rc[i], 0, "waiter %d: %d", i, c->rc[i]);
	for (int i = 0; i < WAITERS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(sync_event_destroy(&c->e), 0);
}

Test(sync_event, set_releases_all, .timeout = 60)
{
	struct event_crowd c = { .next = 0, .idle_cpu = -1 };
	pthread_t th[WAITERS];

	sync_event_init(&c.e, 0);
	event_crowd_start(&c, th);
	sync_event_set(&c.e);
	event_crowd_finish(&c, th);
}

/*
 * clear() right after set(), before any released waiter has looked at
 * the word: the waiters must still return 0.  To make "before" certain,
 * the waiters share this thread's CPU at SCHED_IDLE, which never preempts
 * a normal thread, so none of them runs until this one has cleared and
 * goes to wait itself.
 */
Test(sync_event, set_then_clear_still_releases_all, .timeout = 60)
{
	struct event_crowd c = { .next = 0 };
	pthread_t th[WAITERS];
	int cpu = sched_getcpu();

	c.idle_cpu = cpu < 0 ? 0 : cpu;
	pin_to(c.idle_cpu);
	sync_event_init(&c.e, 0);
	event_crowd_start(&c, th);
	sync_event_set(&c.e);
	sync_event_clear(&c.e);		/* before any waiter can run */
	event_crowd_finish(&c, th);
	cr_assert_not(sync_event_is_set(&c.e));
}

/*
 * clear() on an event that is already clear, with waiters asleep on it:
 * Python's clear() of a clear Event does nothing, so the next set() must
 * still wake them all.  A clear() that dropped the word's sleeper bit
 * would leave them asleep for ever (set() wakes only when it sees it).
 */
Test(sync_event, clear_of_a_clear_event_keeps_its_sleepers, .timeout = 60)
{
	struct event_crowd c = { .next = 0, .idle_cpu = -1 };
	pthread_t th[WAITERS];

	sync_event_init(&c.e, 0);
	event_crowd_start(&c, th);
	sync_event_clear(&c.e);
	sync_event_clear(&c.e);
	sync_event_set(&c.e);
	event_crowd_finish(&c, th);
}

struct event_pair {
	struct sync_event go, back;
	uint32_t done[PROCS];		/* raised by child i once go came */
};

static int event_proc(void *p, int i)
{
	struct event_pair *ep = p;

	if (sync_event_wait(&ep->go, -1))
		return 1;
	flag_raise(&ep->done[i]);
	sync_event_set(&ep->back);
	return 0;
}

Test(sync_event, between_processes, .timeout = 60)
{
	struct event_pair *ep = shm_alloc(sizeof(*ep));
	pid_t pids[PROCS];

	sync_event_init(&ep->go, 1);
	sync_event_init(&ep->back, 1);
	fork_procs(pids, PROCS, event_proc, ep);
	while (__atomic_load_n(&ep->go.waiters, __ATOMIC_RELAXED) != PROCS)
		sched_yield();
	sync_event_set(&ep->go);	/* parent -> every child */
	/* child -> parent: a timed wait that returns 0 saw the set. */
	cr_assert_eq(sync_event_wait(&ep->back, CHECK_WAKE_NS), 0);
	ASSERT_ALL_WOKEN(ep->done, PROCS, "set() in another process");
	reap_procs(pids, PROCS);
	munmap(ep, sizeof(*ep));
}

/*
 * Waiters keep coming back while a setter alternates set() and clear(),
 * each wait after the flag went down again: set() drops the sleeper bit
 * each time, and waiters race to set it again on a word that keeps
 * changing.  A lost wake-up leaves a waiter asleep through every later
 * set(): the waits stop coming back, which the setter notices within
 * CHECK_STALL_NS; every wait must return 0.
 */
struct event_churn {
	struct sync_event e;
	uint32_t running;		/* waiters still looping */
	uint32_t failed;		/* waits that did not return 0 */
	uint64_t returned;		/* waits that came back */
};

static void *event_churn_waiter(void *p)
{
	struct event_churn *ec = p;

	for (int i = 0; i < CHURN_WAITS; i++) {
		if (sync_event_wait(&ec->e, -1))
			/* Relaxed: read after the join. */
			__atomic_fetch_add(&ec->failed, 1, __ATOMIC_RELAXED);
		/* Relaxed: a count the setter watches. */
		__atomic_fetch_add(&ec->returned, 1, __ATOMIC_RELAXED);
		/* Make the next wait need a new set(). */
		while (sync_event_is_set(&ec->e))
			sched_yield();
	}
	/* Relaxed: the setter only needs to see it eventually. */
	__atomic_fetch_sub(&ec->running, 1, __ATOMIC_RELAXED);
	return NULL;
}

Test(sync_event, set_clear_churn_loses_no_waiter, .timeout = 60)
{
	struct event_churn ec = { .running = CHURN_THREADS, .failed = 0 };
	pthread_t th[CHURN_THREADS];
	struct check_stall watch;
	uint64_t sets = 0;

	sync_event_init(&ec.e, 0);
	for (int i = 0; i < CHURN_THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, event_churn_waiter,
					    &ec), 0);
	check_stall_init(&watch, 0);
	while (__atomic_load_n(&ec.running, __ATOMIC_RELAXED)) {
		uint64_t back = __atomic_load_n(&ec.returned, __ATOMIC_RELAXED);

		cr_assert_not(check_stalled(&watch, back, CHECK_STALL_NS),
			      "no wait came back for %lld s at %llu of %d, "
			      "through %llu sets: a lost wake-up",
			      CHECK_STALL_NS / 1000000000,
			      (unsigned long long)back,
			      CHURN_THREADS * CHURN_WAITS,
			      (unsigned long long)sets);
		sync_event_set(&ec.e);
		sets++;
		sched_yield();
		sync_event_clear(&ec.e);
		sched_yield();
	}
	for (int i = 0; i < CHURN_THREADS; i++)
		pthread_join(th[i], NULL);
	cr_log_info("sync_event: %d waits over %llu sets",
		    CHURN_THREADS * CHURN_WAITS, (unsigned long long)sets);
	cr_assert_eq(ec.failed, 0);
	cr_assert_eq(sync_event_destroy(&ec.e), 0);
}

/* The waiter frees the event as soon as its wait returned, while set()
 * may still run (tests/sync_free_race.h).  A stale futex_wake() landing on
 * a later event at the same address is only a spurious wake-up. */
static void event_free_init(void *e, int shared)
{
	sync_event_init(e, shared);
}

static int event_free_wait(void *e)
{
	return sync_event_wait(e, -1);
}

static int event_free_poll(void *e)
{
	return sync_event_wait(e, 0);
}

static int event_free_set(void *e)
{
	sync_event_set(e);
	return 0;
}

static int event_free_destroy(void *e)
{
	return sync_event_destroy(e);
}

Test(sync_event, waiter_frees_after_wait, .timeout = 60)
{
	static const struct free_race_ops event = {
		.size = sizeof(struct sync_event),
		.release_name = "set()",
		.init = event_free_init,
		.wait = event_free_wait,
		.poll = event_free_poll,
		.poll_again = -ETIMEDOUT,
		.release = event_free_set,
		.destroy = event_free_destroy,
	};

	free_race_run(&event);
}

/* ------------------------------------------------------------------ */
/* Condition                                                           */

static int pred_true(void *arg)
{
	(void)arg;
	return 1;
}

static int pred_false(void *arg)
{
	(void)arg;
	return 0;
}

struct cond_stranger {
	struct sync_lock l;
	struct sync_rlock r;
	struct sync_cond cl, cr;
	int rc[8];
};

static void cond_expect_eperm(struct sync_cond *c, int *rc)
{
	rc[0] = sync_cond_wait(c, 0);
	rc[1] = sync_cond_wait_for(c, pred_true, NULL, 0);
	rc[2] = sync_cond_notify(c, 1);
	rc[3] = sync_cond_notify_all(c);
}

static void *cond_stranger_thread(void *p)
{
	struct cond_stranger *s = p;

	cond_expect_eperm(&s->cl, &s->rc[0]);
	cond_expect_eperm(&s->cr, &s->rc[4]);
	return NULL;
}

Test(sync_cond, without_lock_eperm, .timeout = 60)
{
	struct cond_stranger s;
	pthread_t th;

	sync_lock_init(&s.l, 0);
	sync_rlock_init(&s.r, 0);
	cr_assert_eq(sync_cond_init(&s.cl, &s.l), 0);
	cr_assert_eq(sync_cond_init_rlock(&s.cr, &s.r), 0);

	/* Nobody holds the locks. */
	cond_expect_eperm(&s.cl, &s.rc[0]);
	cond_expect_eperm(&s.cr, &s.rc[4]);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(s.rc[i], -EPERM, "op %d", i);

	/* Another thread holds them: still not ours. */
	cr_assert_eq(sync_lock_acquire(&s.l), 0);
	cr_assert_eq(sync_rlock_acquire(&s.r), 0);
	cr_assert_eq(pthread_create(&th, NULL, cond_stranger_thread, &s), 0);
	pthread_join(th, NULL);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(s.rc[i], -EPERM, "op %d", i);
	/* ... and the failed calls left them alone. */
	cr_assert(sync_lock_locked(&s.l));
	cr_assert(sync_rlock_is_owned(&s.r));

	/* Held by us: no waiters, nothing released. */
	cr_assert_eq(sync_cond_notify(&s.cl, 1), 0);
	cr_assert_eq(sync_cond_notify_all(&s.cr), 0);
	cr_assert_eq(sync_lock_release(&s.l), 0);
	cr_assert_eq(sync_rlock_release(&s.r), 0);
	cr_assert_eq(sync_cond_destroy(&s.cl), 0);
	cr_assert_eq(sync_cond_destroy(&s.cr), 0);
}

Test(sync_cond, timeouts_keep_lock_and_depth, .timeout = 60)
{
	struct sync_lock l;
	struct sync_rlock r;
	struct sync_cond cl, cr;
	int64_t t0;

	sync_lock_init(&l, 0);
	sync_rlock_init(&r, 0);
	sync_cond_init(&cl, &l);
	sync_cond_init_rlock(&cr, &r);

	cr_assert_eq(sync_lock_acquire(&l), 0);
	cr_assert_eq(sync_cond_wait(&cl, 0), -ETIMEDOUT);
	t0 = now_ns();
	cr_assert_eq(sync_cond_wait(&cl, TIMEOUT_NS), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	cr_assert_eq(sync_cond_wait_for(&cl, pred_true, NULL, 0), 0);
	t0 = now_ns();
	cr_assert_eq(sync_cond_wait_for(&cl, pred_false, NULL, TIMEOUT_NS),
		     -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	cr_assert_eq(sync_cond_waiting(&cl), 0);
	cr_assert_eq(sync_lock_release(&l), 0);	/* still held after waits */

	for (int i = 0; i < 3; i++)
		cr_assert_eq(sync_rlock_acquire(&r), 0);
	t0 = now_ns();
	cr_assert_eq(sync_cond_wait(&cr, TIMEOUT_NS), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(sync_rlock_release(&r), 0);	/* depth 3 restored */
	cr_assert_eq(sync_rlock_release(&r), -EPERM);
}

struct cond_crowd {
	struct sync_rlock r;
	struct sync_cond c;
	int rc[WAITERS];
	uint32_t done[WAITERS];	/* raised once rc[] is final */
	int woken;		/* under r */
	uint32_t next;
};

static void *cond_waiter(void *p)
{
	struct cond_crowd *cc = p;
	/* Relaxed: just hands each thread its own slot. */
	uint32_t me = __atomic_fetch_add(&cc->next, 1, __ATOMIC_RELAXED);
	int rc;

	sync_rlock_acquire(&cc->r);
	sync_rlock_acquire(&cc->r);	/* depth 2 across the wait */
	/* Half wait for ever, half with a time-out, for both paths. */
	rc = sync_cond_wait(&cc->c, me % 2 ? NEVER_NS : -1);
	if (rc == 0)
		cc->woken++;
	if (sync_rlock_release(&cc->r) || sync_rlock_release(&cc->r))
		rc = 99;	/* depth was not restored */
	cc->rc[me] = rc;
	flag_raise(&cc->done[me]);
	return NULL;
}

static uint32_t cond_locked_read(struct cond_crowd *cc, int *woken)
{
	uint32_t w;

	sync_rlock_acquire(&cc->r);
	w = sync_cond_waiting(&cc->c);
	if (woken)
		*woken = cc->woken;
	sync_rlock_release(&cc->r);
	return w;
}

static void cond_crowd_start(struct cond_crowd *cc, pthread_t *th)
{
	sync_rlock_init(&cc->r, 0);
	sync_cond_init_rlock(&cc->c, &cc->r);
	for (int i = 0; i < WAITERS; i++) {	/* all cleared first, as above */
		cc->rc[i] = 1;
		cc->done[i] = 0;
	}
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, cond_waiter, cc), 0);
	/* Counted under the lock, which each waiter gives up only inside
	 * wait(): all WAITERS provably wait. */
	while (cond_locked_read(cc, NULL) != WAITERS)
		sched_yield();
}

Test(sync_cond, notify_n_releases_exactly_n, .timeout = 60)
{
	struct cond_crowd cc = { .woken = 0, .next = 0 };
	pthread_t th[WAITERS];
	int woken, released = 0;
	int64_t t0;

	cond_crowd_start(&cc, th);
	sync_rlock_acquire(&cc.r);
	cr_assert_eq(sync_cond_notify(&cc.c, NOTIFY_N), NOTIFY_N);
	/* A later arrival (this thread) must not take a released slot: its
	 * wait can only time out, and does not come back early. */
	t0 = now_ns();
	cr_assert_eq(sync_cond_wait(&cc.c, TIMEOUT_NS), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	sync_rlock_release(&cc.r);

	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       flags_up(cc.done, WAITERS) >= NOTIFY_N),
		  "notify(%d) released %d waiters within %lld s: a lost "
		  "wake-up", NOTIFY_N, flags_up(cc.done, WAITERS),
		  CHECK_WAKE_NS / 1000000000);
	sleep_ns(SETTLE_NS);	/* room for a wrong extra wake-up to show */
	cr_assert_eq(cond_locked_read(&cc, &woken), WAITERS - NOTIFY_N);
	cr_assert_eq(woken, NOTIFY_N);
	cr_assert_eq(flags_up(cc.done, WAITERS), NOTIFY_N);
	for (int i = 0; i < WAITERS; i++)
		/* The released ones wrote theirs, before their flag. */
		released += __atomic_load_n(&cc.done[i], __ATOMIC_ACQUIRE) &&
			    cc.rc[i] == 0;
	cr_assert_eq(released, NOTIFY_N);

	/* More than are left: releases just the remaining ones. */
	sync_rlock_acquire(&cc.r);
	cr_assert_eq(sync_cond_notify(&cc.c, WAITERS), WAITERS - NOTIFY_N);
	sync_rlock_release(&cc.r);
	ASSERT_ALL_WOKEN(cc.done, WAITERS, "notify(n)");
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(cc.rc[i], 0, "waiter %d: %d", i, cc.rc[i]);
	for (int i = 0; i < WAITERS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(cc.woken, WAITERS);
	cr_assert_eq(sync_cond_destroy(&cc.c), 0);
}

Test(sync_cond, notify_all_releases_all, .timeout = 60)
{
	struct cond_crowd cc = { .woken = 0, .next = 0 };
	pthread_t th[WAITERS];

	cond_crowd_start(&cc, th);
	sync_rlock_acquire(&cc.r);
	cr_assert_eq(sync_cond_destroy(&cc.c), -EBUSY);
	cr_assert_eq(sync_cond_notify_all(&cc.c), WAITERS);
	cr_assert_eq(sync_cond_notify_all(&cc.c), 0);	/* all already released */
	sync_rlock_release(&cc.r);
	ASSERT_ALL_WOKEN(cc.done, WAITERS, "notify_all()");
	for (int i = 0; i < WAITERS; i++)
		cr_assert_eq(cc.rc[i], 0, "waiter %d: %d", i, cc.rc[i]);
	for (int i = 0; i < WAITERS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(cc.woken, WAITERS);
	cr_assert_eq(sync_cond_waiting(&cc.c), 0);
}

/*
 * Waiters time out at random while a notifier keeps notifying: every
 * release notify() reports must be taken by exactly one wait() returning 0
 * (none lost to a timed-out waiter, none invented), whatever the races.
 */
struct cond_churn {
	struct sync_lock l;
	struct sync_cond c;
	uint64_t granted, notified;	/* under l */
	uint32_t running;		/* waiters still looping */
};

static void *churn_waiter(void *p)
{
	struct cond_churn *ch = p;
	unsigned seed = (unsigned)(uintptr_t)&seed;

	for (int i = 0; i < CHURN_WAITS; i++) {
		/* 0 .. 50 us: short enough that many waits time out. */
		int64_t t = rand_r(&seed) % 50000;

		sync_lock_acquire(&ch->l);
		if (sync_cond_wait(&ch->c, t) == 0)
			ch->notified++;
		sync_lock_release(&ch->l);
	}
	/* Relaxed: the notifier only needs to see it eventually. */
	__atomic_fetch_sub(&ch->running, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *churn_notifier(void *p)
{
	struct cond_churn *ch = p;
	uint32_t n = 0;

	while (__atomic_load_n(&ch->running, __ATOMIC_RELAXED)) {
		int k;

		sync_lock_acquire(&ch->l);
		k = (n++ % 4 == 3) ? sync_cond_notify_all(&ch->c)
				   : sync_cond_notify(&ch->c, n % 3);
		if (k > 0)
			ch->granted += (uint64_t)k;
		sync_lock_release(&ch->l);
		sched_yield();
	}
	return NULL;
}

Test(sync_cond, notify_count_exact_under_timeouts, .timeout = 60)
{
	struct cond_churn ch = { .granted = 0, .notified = 0,
				 .running = CHURN_THREADS };
	pthread_t th[CHURN_THREADS], nt;

	sync_lock_init(&ch.l, 0);
	sync_cond_init(&ch.c, &ch.l);
	for (int i = 0; i < CHURN_THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, churn_waiter, &ch), 0);
	cr_assert_eq(pthread_create(&nt, NULL, churn_notifier, &ch), 0);
	for (int i = 0; i < CHURN_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_join(nt, NULL);
	cr_log_info("sync_cond: %llu of %d waits notified",
		    (unsigned long long)ch.notified, CHURN_THREADS * CHURN_WAITS);
	cr_assert_eq(ch.notified, ch.granted);
	/* ... and the count meant something: some notify found a waiter. */
	cr_assert_gt(ch.granted, 0);
	cr_assert_eq(sync_cond_waiting(&ch.c), 0);
	cr_assert_eq(ch.c.grants, 0);	/* no release left stranded */
}

/*
 * A one-slot buffer with two conditions over one Lock, as queue.Queue
 * builds not_empty and not_full over one mutex: every item arrives once.
 */
struct slot {
	struct sync_lock l;
	struct sync_cond not_empty, not_full;
	int full;
	uint64_t item, sum;
	uint64_t taken;		/* atomic copy of the count, for the watch */
};

static int slot_full(void *p)
{
	return ((struct slot *)p)->full;
}

static void *slot_producer(void *p)
{
	struct slot *s = p;

	for (uint64_t i = 1; i <= BUFFER_ITEMS; i++) {
		sync_lock_acquire(&s->l);
		while (s->full)
			sync_cond_wait(&s->not_full, -1);
		s->item = i;
		s->full = 1;
		sync_cond_notify(&s->not_empty, 1);
		sync_lock_release(&s->l);
	}
	return NULL;
}

static void *slot_consumer(void *p)
{
	struct slot *s = p;

	for (int i = 0; i < BUFFER_ITEMS; i++) {
		sync_lock_acquire(&s->l);
		sync_cond_wait_for(&s->not_empty, slot_full, s, -1);
		s->sum += s->item;
		s->full = 0;
		/* Relaxed: only watched. */
		__atomic_fetch_add(&s->taken, 1, __ATOMIC_RELAXED);
		sync_cond_notify(&s->not_full, 1);
		sync_lock_release(&s->l);
	}
	return NULL;
}

Test(sync_cond, two_conditions_one_lock, .timeout = 60)
{
	struct slot s = { .full = 0, .sum = 0, .taken = 0 };
	pthread_t prod, cons;
	uint64_t taken;

	sync_lock_init(&s.l, 0);
	sync_cond_init(&s.not_empty, &s.l);
	sync_cond_init(&s.not_full, &s.l);
	cr_assert_eq(pthread_create(&cons, NULL, slot_consumer, &s), 0);
	cr_assert_eq(pthread_create(&prod, NULL, slot_producer, &s), 0);
	taken = CHECK_PROGRESS(__atomic_load_n(&s.taken, __ATOMIC_RELAXED),
			       BUFFER_ITEMS, CHECK_STALL_NS);
	cr_assert_eq(taken, BUFFER_ITEMS, "the hand-over stopped at item %llu: "
		     "a lost wake-up", (unsigned long long)taken);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	cr_assert_eq(s.sum, (uint64_t)BUFFER_ITEMS * (BUFFER_ITEMS + 1) / 2);
	cr_assert_not(s.full);
}

struct cond_shared {
	struct sync_lock l;
	struct sync_cond c;
	int go, arrived;
	uint32_t done[PROCS];	/* raised by child i once its wait returned 0 */
};

static int cond_go(void *p)
{
	return ((struct cond_shared *)p)->go;
}

static int cond_proc(void *p, int i)
{
	struct cond_shared *cs = p;
	int rc;

	sync_lock_acquire(&cs->l);
	cs->arrived++;
	rc = sync_cond_wait_for(&cs->c, cond_go, cs, -1);
	sync_lock_release(&cs->l);
	if (rc)
		return 1;
	flag_raise(&cs->done[i]);
	return 0;
}

Test(sync_cond, between_processes, .timeout = 60)
{
	struct cond_shared *cs = shm_alloc(sizeof(*cs));
	pid_t pids[PROCS];
	uint32_t w;

	sync_lock_init(&cs->l, 1);
	sync_cond_init(&cs->c, &cs->l);
	cs->go = cs->arrived = 0;
	for (int i = 0; i < PROCS; i++)
		cs->done[i] = 0;
	fork_procs(pids, PROCS, cond_proc, cs);
	do {
		sched_yield();
		sync_lock_acquire(&cs->l);
		w = sync_cond_waiting(&cs->c);
		sync_lock_release(&cs->l);
	} while (w != PROCS);
	sync_lock_acquire(&cs->l);
	cs->go = 1;
	cr_assert_eq(sync_cond_notify_all(&cs->c), PROCS);
	sync_lock_release(&cs->l);
	ASSERT_ALL_WOKEN(cs->done, PROCS, "notify_all() in another process");
	reap_procs(pids, PROCS);
	cr_assert_eq(cs->arrived, PROCS);
	cr_assert_eq(sync_cond_waiting(&cs->c), 0);
	munmap(cs, sizeof(*cs));
}

/*
 * A waiter that comes after a notify never takes its grant, even while
 * the one it was meant for cannot run: here a child process, stopped
 * (SIGSTOP) between the notify and its turn, so that the parent's own
 * wait, which looks at once (timeout 0), finds the grant still there.
 * It must time out, and the child, let go, must return 0.  (A late
 * waiter's ticket is the horizon itself: an eligibility test of
 * ticket <= horizon, off by one, lets it steal the grant, blind5.)  The
 * child is cond_proc above, let go by `go` and the notify.
 */
Test(sync_cond, a_late_waiter_never_takes_a_present_ones_grant, .timeout = 60)
{
	struct cond_shared *cs = shm_alloc(sizeof(*cs));
	char path[64];
	pid_t pid;
	uint32_t w;

	sync_lock_init(&cs->l, 1);
	sync_cond_init(&cs->c, &cs->l);
	cs->go = cs->arrived = 0;
	cs->done[0] = 0;
	fork_procs(&pid, 1, cond_proc, cs);
	do {
		sched_yield();
		sync_lock_acquire(&cs->l);
		w = sync_cond_waiting(&cs->c);
		sync_lock_release(&cs->l);
	} while (w != 1);
	sync_lock_acquire(&cs->l);
	cs->go = 1;
	cr_assert_eq(sync_cond_notify(&cs->c, 1), 1);
	cr_assert_eq(kill(pid, SIGSTOP), 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, task_state(path) == 'T'), "the child never stopped");
	cr_assert_eq(sync_cond_wait(&cs->c, 0), -ETIMEDOUT,
		     "a waiter that came after notify took the grant of the one present");
	sync_lock_release(&cs->l);
	cr_assert_eq(kill(pid, SIGCONT), 0);
	ASSERT_ALL_WOKEN(cs->done, 1, "notify(1) after the child was let go");
	reap_procs(&pid, 1);
	cr_assert_eq(sync_cond_waiting(&cs->c), 0);
	munmap(cs, sizeof(*cs));
}

/* ------------------------------------------------------------------ */
/* Timer                                                               */

struct fire_count {
	struct sync_timer t;
	uint32_t fired;
	int self_cancel;
	int self_join;
};

static void timer_fn(void *p)
{
	struct fire_count *fc = p;

	/* Relaxed: join orders it before the test reads it. */
	__atomic_fetch_add(&fc->fired, 1, __ATOMIC_RELAXED);
	fc->self_cancel = sync_timer_cancel(&fc->t);	/* too late: 0 */
	fc->self_join = sync_timer_join(&fc->t, -1);	/* would never end */
}

/* Return once the timer's thread sleeps in its futex, before its deadline. */
static void timer_wait_asleep(struct sync_timer *t)
{
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       __atomic_load_n(&t->tid, __ATOMIC_RELAXED) &&
			       thread_asleep((pid_t)__atomic_load_n(&t->tid,
							__ATOMIC_RELAXED))),
		  "the timer thread never went to sleep");
}

struct timer_destroyer {
	struct sync_timer *t;
	int rc;
	uint32_t done;
};

static void *timer_destroyer_main(void *p)
{
	struct timer_destroyer *d = p;

	d->rc = sync_timer_destroy(d->t);
	flag_raise(&d->done);
	return NULL;
}

/* sync_timer_destroy() of a sleeping timer, which must end soon: its
 * cancel wakes the thread, and its join waits for it. */
static void timer_destroy_within(struct sync_timer *t)
{
	struct timer_destroyer d = { .t = t, .rc = 1, .done = 0 };
	pthread_t th;

	cr_assert_eq(pthread_create(&th, NULL, timer_destroyer_main, &d), 0);
	ASSERT_ALL_WOKEN(&d.done, 1, "destroy()'s cancel");
	cr_assert_eq(d.rc, 0);
	pthread_join(th, NULL);
}

Test(sync_timer, fires_exactly_once, .timeout = 60)
{
	struct fire_count fc = { .fired = 0, .self_cancel = -1, .self_join = 1 };

	cr_assert_eq(sync_timer_init(&fc.t, 1000000, timer_fn, &fc), 0);
	cr_assert_eq(sync_timer_join(&fc.t, -1), -EPERM);	/* not started */
	cr_assert_eq(sync_timer_start(&fc.t), 0);
	cr_assert_eq(sync_timer_start(&fc.t), -EPERM);		/* only once */
	/* It fires after 1 ms: the thread must be done well within. */
	cr_assert_eq(sync_timer_join(&fc.t, CHECK_WAKE_NS), 0);
	cr_assert_eq(fc.fired, 1);
	cr_assert_eq(fc.self_cancel, 0);
	cr_assert_eq(fc.self_join, -EDEADLK);
	cr_assert_eq(sync_timer_cancel(&fc.t), 0);		/* fired already */
	cr_assert_eq(sync_timer_join(&fc.t, -1), 0);		/* joins twice */
	cr_assert_eq(sync_timer_destroy(&fc.t), 0);
	cr_assert_eq(fc.fired, 1);
}

Test(sync_timer, errors_and_join_timeout, .timeout = 60)
{
	struct fire_count fc = { .fired = 0 };
	int64_t t0;

	cr_assert_eq(sync_timer_init(&fc.t, -1, timer_fn, &fc), -EINVAL);
	cr_assert_eq(sync_timer_init(&fc.t, 0, NULL, &fc), -EINVAL);
	/* An hour: only a cancel ends this timer within the test. */
	cr_assert_eq(sync_timer_init(&fc.t, 3600LL * 1000000000, timer_fn, &fc), 0);
	cr_assert_eq(sync_timer_start(&fc.t), 0);
	cr_assert_eq(sync_timer_join(&fc.t, 0), -ETIMEDOUT);
	t0 = now_ns();
	cr_assert_eq(sync_timer_join(&fc.t, TIMEOUT_NS), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	timer_wait_asleep(&fc.t);
	timer_destroy_within(&fc.t);	/* cancels and joins */
	cr_assert_eq(fc.fired, 0);
}
static void timer_never_called(void *arg)
{
	(void)arg;
	cr_assert_fail("a timer destroyed a minute early fired");
}

/* Eight timers due in a minute, started and destroyed at once. */
static void timer_destroy_round(void *arg)
{
	struct sync_timer tm[8];

	(void)arg;
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(sync_timer_init(&tm[i], 60 * 1000000000LL, timer_never_called, NULL),
			     0);
		cr_assert_eq(sync_timer_start(&tm[i]), 0);
	}
	for (int i = 0; i < 8; i++)
		cr_assert_eq(sync_timer_destroy(&tm[i]), 0);
}

/*
 * destroy() of a timer still pending cancels it and joins its thread:
 * nothing runs on, and no thread is left unjoined (an unjoined thread's
 * stack stays mapped, so eight of them a round grow the address space
 * by their stacks every round).
 */
Test(sync_timer, destroy_joins_a_pending_timers_thread, .timeout = 60)
{
	struct leak_snap before;

	leak_snap(&before);
	cr_assert(leak_vm_steady(timer_destroy_round, NULL, 8 * 1024),
		  "destroying pending timers grows the address space every round");
	leak_expect_none(&before, "destroyed pending timers");
}


Test(sync_timer, cancelled_never_fires, .timeout = 60)
{
	struct fire_count fc = { .fired = 0 };

	/* Asleep: the cancel wakes the thread long before its hour. */
	sync_timer_init(&fc.t, 3600LL * 1000000000, timer_fn, &fc);
	cr_assert_eq(sync_timer_start(&fc.t), 0);
	timer_wait_asleep(&fc.t);
	cr_assert_eq(sync_timer_cancel(&fc.t), 1);
	cr_assert_eq(sync_timer_cancel(&fc.t), 1);	/* still prevented */
	cr_assert_eq(sync_timer_join(&fc.t, CHECK_WAKE_NS), 0,
		     "cancel() did not wake the timer thread");
	cr_assert_eq(fc.fired, 0);

	/* Cancelled before start, with no delay at all: never fires. */
	sync_timer_init(&fc.t, 0, timer_fn, &fc);
	cr_assert_eq(sync_timer_cancel(&fc.t), 1);
	cr_assert_eq(sync_timer_start(&fc.t), 0);
	cr_assert_eq(sync_timer_join(&fc.t, CHECK_WAKE_NS), 0);
	cr_assert_eq(fc.fired, 0);
}

/*
 * Cancel against expiry, made to collide.  A timer with no delay decides
 * to fire as soon as its thread has started and found its deadline gone;
 * the cancel comes a varying few microseconds after the thread is seen
 * running (it records its id first), so rounds spread from cancels well
 * before that decision, through the decision itself (widened by the
 * preemption points around it), to cancels well after.  Whatever happens,
 * cancel's answer must match what fn did, and both answers must occur,
 * or the race was never run.
 */
Test(sync_timer, cancel_racing_expiry, .timeout = 60)
{
	int prevented = 0;

	for (int i = 0; i < TIMER_RACE_ROUNDS; i++) {
		struct fire_count fc = { .fired = 0 };
		int r;

		sync_timer_init(&fc.t, 0, timer_fn, &fc);
		cr_assert_eq(sync_timer_start(&fc.t), 0);
		/* Relaxed: only when to go, not what to read, rides on it. */
		while (!__atomic_load_n(&fc.t.tid, __ATOMIC_RELAXED))
			cpu_relax();
		for (int spin = i * 7919 % TIMER_RACE_SPINS; spin > 0; spin--)
			cpu_relax();
		r = sync_timer_cancel(&fc.t);
		cr_assert_eq(sync_timer_join(&fc.t, CHECK_WAKE_NS), 0);
		cr_assert_eq(fc.fired, r ? 0u : 1u, "round %d: cancel %d fired %u",
			     i, r, fc.fired);
		prevented += r;
	}
	cr_log_info("sync_timer: %d of %d racing cancels prevented the call",
		    prevented, TIMER_RACE_ROUNDS);
	cr_assert(prevented > 0 && prevented < TIMER_RACE_ROUNDS,
		  "%d of %d cancels prevented the call: the race was not run",
		  prevented, TIMER_RACE_ROUNDS);
}
