/*
 * tests/test_prim_sync_lock.c - Lock, RLock and BoundedSemaphore from
 * primitives/sync.h: every error return, time-outs that never come early,
 * the contention invariants (exact totals, admission never above the
 * bound) between threads and between forked processes in MAP_SHARED memory,
 * and that a waiter may free a semaphore as soon as its acquire returned.
 *
 * Worker threads and child processes never call cr_assert (Criterion's
 * assertions belong to the test's main thread); they report through
 * counters and exit codes that the main thread asserts on.
 *
 * A wake-up is proven by the woken thread's own flag and return value
 * within CHECK_WAKE_NS, never by a long time-out that a lost wake-up
 * would also end; contention runs are watched for progress, so a lost
 * wake-up or a deadlock fails in seconds; every forked child dies with
 * the test (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE		/* CPU_SET */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "primitives/arch/cpu.h"
#include "primitives/sync.h"
#include "tests/check.h"
#include "tests/prim_util.h"
#include "tests/sync_free_race.h"

#define LOCK_THREADS 4
#define LOCK_ITERS 100000
#define LOCK_PROCS 3
#define SEM_BOUND 5
#define SEM_THREADS 20
#define SEM_PROCS 8
#define SEM_ITERS 2000
#define TIMEOUT_NS 20000000	/* 20 ms: long enough to sleep, short for a test */
/* A timed wait meant never to expire: four times CHECK_WAKE_NS, so the
 * test's deadline always comes first. */
#define NEVER_NS (4 * CHECK_WAKE_NS)
#define CHURN_THREADS 8
#define CHURN_BOUND 2
#define CHURN_ITERS 3000
#define ENTRANT_ROUNDS 10000	/* stagings of an entrant beside the last leaver */

/*
 * What a contention run reports as it goes: `*progress` counts work done
 * (atomically, by the workers), up to `target`.  The test thread waits
 * while it moves and fails the run once it stands still for
 * CHECK_STALL_NS: a lost wake-up or a deadlock then fails in seconds.
 * NULL: nothing to watch.
 */
struct run_watch {
	const uint64_t *progress;
	uint64_t target;
};

static void run_watch_wait(const struct run_watch *w)
{
	uint64_t got;

	if (!w)
		return;
	got = CHECK_PROGRESS(__atomic_load_n(w->progress, __ATOMIC_RELAXED),
			     w->target, CHECK_STALL_NS);
	cr_assert_geq(got, w->target, "no progress for %lld s at %llu of %llu: "
		      "a lost wake-up or a deadlock",
		      CHECK_STALL_NS / 1000000000, (unsigned long long)got,
		      (unsigned long long)w->target);
}

/* Fork n children running fn(arg, i), watch them, and assert that every
 * child exited 0. */
static void run_procs(int n, int (*fn)(void *arg, int i), void *arg,
		      const struct run_watch *watch)
{
	pid_t pids[16];

	cr_assert_leq(n, 16);
	fork_procs(pids, n, fn, arg);
	run_watch_wait(watch);
	reap_procs(pids, n);
}

static void run_threads(int n, void *(*fn)(void *), void *arg,
			const struct run_watch *watch)
{
	pthread_t th[SEM_THREADS];

	cr_assert_leq(n, SEM_THREADS);
	for (int i = 0; i < n; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, fn, arg), 0);
	run_watch_wait(watch);
	for (int i = 0; i < n; i++)
		cr_assert_eq(pthread_join(th[i], NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Lock                                                                */

Test(sync_lock, errors_and_try, .timeout = 60)
{
	struct sync_lock l;

	cr_assert_eq(sync_lock_init(&l, 0), 0);
	cr_assert_not(sync_lock_locked(&l));
	cr_assert_eq(sync_lock_release(&l), -EPERM);	/* RuntimeError */
	cr_assert_eq(sync_lock_try(&l), 0);
	cr_assert(sync_lock_locked(&l));
	cr_assert_eq(sync_lock_try(&l), -EAGAIN);
	cr_assert_eq(sync_lock_acquire_timeout(&l, 0), -ETIMEDOUT);
	cr_assert_eq(sync_lock_destroy(&l), -EBUSY);
	cr_assert_eq(sync_lock_release(&l), 0);
	cr_assert_eq(sync_lock_release(&l), -EPERM);
	cr_assert_eq(sync_lock_acquire_timeout(&l, 0), 0);
	cr_assert_eq(sync_lock_release(&l), 0);
	cr_assert_eq(sync_lock_acquire(&l), 0);
	cr_assert_eq(sync_lock_release(&l), 0);
	cr_assert_eq(sync_lock_destroy(&l), 0);
}

Test(sync_lock, timeout_not_early, .timeout = 60)
{
	struct sync_lock l;
	int64_t t0;

	sync_lock_init(&l, 0);
	cr_assert_eq(sync_lock_acquire(&l), 0);
	/* Not reentrant: the holder itself times out. */
	t0 = now_ns();
	cr_assert_eq(sync_lock_acquire_timeout(&l, TIMEOUT_NS), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	cr_assert(sync_lock_locked(&l));
	cr_assert_eq(sync_lock_release(&l), 0);
}

struct lock_handoff {
	struct sync_lock l;
	int rc;
	uint32_t done;		/* raised once rc is written */
};

static void *lock_release_other(void *p)
{
	struct lock_handoff *h = p;

	h->rc = sync_lock_release(&h->l);
	return NULL;
}

static void *lock_wait_timed(void *p)
{
	struct lock_handoff *h = p;

	/* Long enough never to expire: the holder's release must wake us. */
	h->rc = sync_lock_acquire_timeout(&h->l, NEVER_NS);
	if (h->rc == 0)
		sync_lock_release(&h->l);
	flag_raise(&h->done);
	return NULL;
}

Test(sync_lock, release_by_other_thread_and_wake, .timeout = 60)
{
	struct lock_handoff h = { .rc = -1 };
	pthread_t th;

	sync_lock_init(&h.l, 0);
	/* Python lets any thread release a Lock. */
	cr_assert_eq(sync_lock_acquire(&h.l), 0);
	cr_assert_eq(pthread_create(&th, NULL, lock_release_other, &h), 0);
	pthread_join(th, NULL);
	cr_assert_eq(h.rc, 0);
	cr_assert_not(sync_lock_locked(&h.l));

	/* A timed waiter is woken by release, not by its deadline. */
	cr_assert_eq(sync_lock_acquire(&h.l), 0);
	h.rc = -1;
	cr_assert_eq(pthread_create(&th, NULL, lock_wait_timed, &h), 0);
	while (__atomic_load_n(&h.l.state, __ATOMIC_RELAXED) != 2)
		sched_yield();	/* until the waiter has marked "sleepers" */
	cr_assert_eq(sync_lock_release(&h.l), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, flag_up(&h.done)),
		  "release() did not wake the sleeping acquirer");
	cr_assert_eq(h.rc, 0);
	pthread_join(th, NULL);
}

struct counted_lock {
	struct sync_lock l;
	struct sync_rlock r;
	uint64_t count;
	uint64_t progress;	/* atomic: sections done, for the watch */
};

static void counted_step(struct counted_lock *c)
{
	/* Relaxed: only watched. */
	__atomic_fetch_add(&c->progress, 1, __ATOMIC_RELAXED);
}

static void *lock_worker(void *p)
{
	struct counted_lock *c = p;

	for (int i = 0; i < LOCK_ITERS; i++) {
		sync_lock_acquire(&c->l);
		c->count++;
		sync_lock_release(&c->l);
		counted_step(c);
	}
	return NULL;
}

static void *lock_wait_forever(void *p)
{
	struct lock_handoff *h = p;

	/* A negative timeout is Python's acquire(timeout=-1): no limit. */
	h->rc = sync_lock_acquire_timeout(&h->l, -1);
	if (h->rc == 0)
		sync_lock_release(&h->l);
	flag_raise(&h->done);
	return NULL;
}

/* A negative timeout waits for the release, however long: it is not a
 * poll (timeout 0) that gives up at once on a held lock. */
Test(sync_lock, negative_timeout_waits_for_the_release, .timeout = 60)
{
	struct lock_handoff h = { .rc = -1 };
	pthread_t th;

	sync_lock_init(&h.l, 0);
	cr_assert_eq(sync_lock_acquire(&h.l), 0);
	cr_assert_eq(pthread_create(&th, NULL, lock_wait_forever, &h), 0);
	while (__atomic_load_n(&h.l.state, __ATOMIC_RELAXED) != 2 &&
	       !__atomic_load_n(&h.done, __ATOMIC_ACQUIRE))
		sched_yield();	/* until the waiter sleeps, or gives up */
	cr_assert_not(__atomic_load_n(&h.done, __ATOMIC_ACQUIRE),
		      "acquire(timeout=-1) of a held lock returned %d", h.rc);
	cr_assert_eq(sync_lock_release(&h.l), 0);
	pthread_join(th, NULL);
	cr_assert_eq(h.rc, 0);
	cr_assert_not(sync_lock_locked(&h.l));
	sync_lock_destroy(&h.l);
}

Test(sync_lock, contention_threads, .timeout = 60)
{
	struct counted_lock c = { .count = 0, .progress = 0 };
	struct run_watch w = { &c.progress, (uint64_t)LOCK_THREADS * LOCK_ITERS };

	sync_lock_init(&c.l, 0);
	run_threads(LOCK_THREADS, lock_worker, &c, &w);
	cr_assert_eq(c.count, (uint64_t)LOCK_THREADS * LOCK_ITERS);
	cr_assert_not(sync_lock_locked(&c.l));
}

static int lock_proc(void *p, int i)
{
	(void)i;
	lock_worker(p);
	return 0;
}

Test(sync_lock, contention_processes, .timeout = 60)
{
	struct counted_lock *c = shm_alloc(sizeof(*c));
	struct run_watch w = { &c->progress, (uint64_t)LOCK_PROCS * LOCK_ITERS };

	sync_lock_init(&c->l, 1);
	c->count = 0;
	c->progress = 0;
	run_procs(LOCK_PROCS, lock_proc, c, &w);
	cr_assert_eq(c->count, (uint64_t)LOCK_PROCS * LOCK_ITERS);
	cr_assert_not(sync_lock_locked(&c->l));
	munmap(c, sizeof(*c));
}

/* ------------------------------------------------------------------ */
/* RLock                                                               */

struct rlock_probe {
	struct sync_rlock r;
	int release_rc, try_rc, timed_rc, owned;
	int64_t waited_ns;
};

static void *rlock_foreign(void *p)
{
	struct rlock_probe *pr = p;
	int64_t t0;

	pr->owned = sync_rlock_is_owned(&pr->r);
	pr->release_rc = sync_rlock_release(&pr->r);
	pr->try_rc = sync_rlock_try(&pr->r);
	t0 = now_ns();
	pr->timed_rc = sync_rlock_acquire_timeout(&pr->r, TIMEOUT_NS);
	pr->waited_ns = now_ns() - t0;
	return NULL;
}

Test(sync_rlock, nesting_and_errors, .timeout = 60)
{
	struct rlock_probe pr = { .owned = -1 };
	pthread_t th;

	cr_assert_eq(sync_rlock_init(&pr.r, 0), 0);
	cr_assert_eq(sync_rlock_release(&pr.r), -EPERM);
	cr_assert_not(sync_rlock_is_owned(&pr.r));
	cr_assert_eq(sync_rlock_acquire(&pr.r), 0);
	cr_assert_eq(sync_rlock_try(&pr.r), 0);		/* reentry never blocks */
	cr_assert_eq(sync_rlock_acquire_timeout(&pr.r, 0), 0);
	cr_assert_eq(sync_rlock_acquire_timeout(&pr.r, TIMEOUT_NS), 0);
	cr_assert(sync_rlock_is_owned(&pr.r));
	cr_assert_eq(sync_rlock_destroy(&pr.r), -EBUSY);

	/* Another thread: not the owner, cannot release, cannot take it. */
	cr_assert_eq(pthread_create(&th, NULL, rlock_foreign, &pr), 0);
	pthread_join(th, NULL);
	cr_assert_eq(pr.owned, 0);
	cr_assert_eq(pr.release_rc, -EPERM);
	cr_assert_eq(pr.try_rc, -EAGAIN);
	cr_assert_eq(pr.timed_rc, -ETIMEDOUT);
	cr_assert_geq(pr.waited_ns, TIMEOUT_NS);

	for (int i = 0; i < 4; i++)
		cr_assert_eq(sync_rlock_release(&pr.r), 0);
	cr_assert_not(sync_rlock_is_owned(&pr.r));
	cr_assert_eq(sync_rlock_release(&pr.r), -EPERM);
	cr_assert_eq(sync_rlock_destroy(&pr.r), 0);
}

static void *rlock_worker(void *p)
{
	struct counted_lock *c = p;

	for (int i = 0; i < LOCK_ITERS; i++) {
		sync_rlock_acquire(&c->r);
		sync_rlock_acquire(&c->r);	/* nested */
		c->count++;
		sync_rlock_release(&c->r);
		c->count++;
		sync_rlock_release(&c->r);
		counted_step(c);
	}
	return NULL;
}

Test(sync_rlock, contention_threads, .timeout = 60)
{
	struct counted_lock c = { .count = 0, .progress = 0 };
	struct run_watch w = { &c.progress, (uint64_t)LOCK_THREADS * LOCK_ITERS };

	sync_rlock_init(&c.r, 0);
	run_threads(LOCK_THREADS, rlock_worker, &c, &w);
	cr_assert_eq(c.count, 2ULL * LOCK_THREADS * LOCK_ITERS);
	cr_assert_eq(sync_rlock_destroy(&c.r), 0);
}

static int rlock_proc(void *p, int i)
{
	(void)i;
	rlock_worker(p);
	return 0;
}

Test(sync_rlock, contention_processes, .timeout = 60)
{
	struct counted_lock *c = shm_alloc(sizeof(*c));
	struct run_watch w = { &c->progress, (uint64_t)LOCK_PROCS * LOCK_ITERS };

	sync_rlock_init(&c->r, 1);
	c->count = 0;
	c->progress = 0;
	run_procs(LOCK_PROCS, rlock_proc, c, &w);
	cr_assert_eq(c->count, 2ULL * LOCK_PROCS * LOCK_ITERS);
	cr_assert_eq(sync_rlock_destroy(&c->r), 0);
	munmap(c, sizeof(*c));
}

/* The child inherits the parent's memory, tid cache included: it must
 * still see itself as a stranger to the parent's rlock. */
static int rlock_stranger_proc(void *p, int i)
{
	struct sync_rlock *r = p;

	(void)i;
	if (sync_rlock_is_owned(r))
		return 1;
	if (sync_rlock_release(r) != -EPERM)
		return 2;
	if (sync_rlock_try(r) != -EAGAIN)
		return 3;
	if (sync_rlock_acquire_timeout(r, TIMEOUT_NS) != -ETIMEDOUT)
		return 4;
	return 0;
}

Test(sync_rlock, owner_across_processes, .timeout = 60)
{
	struct sync_rlock *r = shm_alloc(sizeof(*r));

	sync_rlock_init(r, 1);
	cr_assert_eq(sync_rlock_acquire(r), 0);
	cr_assert_eq(sync_rlock_acquire(r), 0);
	run_procs(2, rlock_stranger_proc, r, NULL);
	cr_assert(sync_rlock_is_owned(r));
	cr_assert_eq(sync_rlock_release(r), 0);
	cr_assert_eq(sync_rlock_release(r), 0);
	cr_assert_eq(sync_rlock_release(r), -EPERM);
	munmap(r, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* BoundedSemaphore                                                    */

Test(sync_sem, errors_and_bound, .timeout = 60)
{
	struct sync_sem s;
	int64_t t0;

	cr_assert_eq(sync_sem_init(&s, (uint32_t)INT32_MAX + 1, 0), -EINVAL);
	cr_assert_eq(sync_sem_init(&s, 0, 0), 0);
	cr_assert_eq(sync_sem_release(&s), -EINVAL);	/* bound 0 */
	cr_assert_eq(sync_sem_try(&s), -EAGAIN);

	cr_assert_eq(sync_sem_init(&s, 2, 0), 0);
	cr_assert_eq(sync_sem_release(&s), -EINVAL);	/* ValueError */
	cr_assert_eq(sync_sem_value(&s), 2);
	cr_assert_eq(sync_sem_try(&s), 0);
	cr_assert_eq(sync_sem_acquire(&s), 0);
	cr_assert_eq(sync_sem_value(&s), 0);
	cr_assert_eq(sync_sem_try(&s), -EAGAIN);
	cr_assert_eq(sync_sem_acquire_timeout(&s, 0), -ETIMEDOUT);
	t0 = now_ns();
	cr_assert_eq(sync_sem_acquire_timeout(&s, TIMEOUT_NS), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, TIMEOUT_NS);
	cr_assert_eq(sync_sem_release(&s), 0);
	cr_assert_eq(sync_sem_acquire_timeout(&s, TIMEOUT_NS), 0);
	cr_assert_eq(sync_sem_release(&s), 0);
	cr_assert_eq(sync_sem_release(&s), 0);
	cr_assert_eq(sync_sem_release(&s), -EINVAL);
	cr_assert_eq(sync_sem_value(&s), 2);
	cr_assert_eq(sync_sem_destroy(&s), 0);
}

struct sem_probe {
	struct sync_sem s;
	int rc;
	uint32_t done;		/* raised once rc is written */
};

static void *sem_wait_timed(void *p)
{
	struct sem_probe *sp = p;

	/* A permit that comes at its deadline is still taken: only a
	 * deadline beyond the test's own proves the release woke us. */
	sp->rc = sync_sem_acquire_timeout(&sp->s, NEVER_NS);
	flag_raise(&sp->done);
	return NULL;
}

Test(sync_sem, release_wakes_sleeper, .timeout = 60)
{
	struct sem_probe sp = { .rc = -1 };
	pthread_t th;

	sync_sem_init(&sp.s, 1, 0);
	cr_assert_eq(sync_sem_acquire(&sp.s), 0);
	cr_assert_eq(pthread_create(&th, NULL, sem_wait_timed, &sp), 0);
	while (__atomic_load_n(&sp.s.waiters, __ATOMIC_RELAXED) == 0)
		sched_yield();
	cr_assert_eq(sync_sem_destroy(&sp.s), -EBUSY);
	cr_assert_eq(sync_sem_release(&sp.s), 0);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, flag_up(&sp.done)),
		  "release() did not wake the sleeping acquirer");
	cr_assert_eq(sp.rc, 0);
	pthread_join(th, NULL);
	cr_assert_eq(sync_sem_value(&sp.s), 0);
}

/* The waiter frees the semaphore as soon as its acquire returned, while
 * release() may still run (tests/sync_free_race.h).  Bound 1, emptied at
 * once, so that release() is legal. */
static void sem_free_init(void *s, int shared)
{
	sync_sem_init(s, 1, shared);
	cr_assert_eq(sync_sem_try(s), 0);
}

static int sem_free_acquire(void *s)
{
	return sync_sem_acquire(s);
}

static int sem_free_try(void *s)
{
	return sync_sem_try(s);
}

static int sem_free_release(void *s)
{
	return sync_sem_release(s);
}

static int sem_free_destroy(void *s)
{
	return sync_sem_destroy(s);
}

Test(sync_sem, waiter_frees_after_acquire, .timeout = 60)
{
	static const struct free_race_ops sem = {
		.size = sizeof(struct sync_sem),
		.release_name = "release()",
		.init = sem_free_init,
		.wait = sem_free_acquire,
		.poll = sem_free_try,
		.poll_again = -EAGAIN,
		.release = sem_free_release,
		.destroy = sem_free_destroy,
	};

	free_race_run(&sem);
}

/*
 * The 5-permit, 20-thread scene.  It opens with a fill: each worker
 * takes its first permit and keeps it until `max_inside` has reached the
 * bound, so the first five in must all be inside at once (a semaphore
 * that admits fewer never gets there, and the workers report it after
 * CHECK_WAKE_NS); then every worker churns through its acquires.  The
 * witness must reach the bound and never pass it.
 */
struct admission {
	struct sync_sem s;
	uint32_t inside, max_inside;
	uint64_t entries;
	uint32_t short_fill;	/* workers that saw the fill never complete */
};

static void admission_enter(struct admission *a)
{
	uint32_t in, m;

	/* Relaxed: the counters are the test's own observations. */
	in = __atomic_add_fetch(&a->inside, 1, __ATOMIC_RELAXED);
	m = __atomic_load_n(&a->max_inside, __ATOMIC_RELAXED);
	while (in > m && !__atomic_compare_exchange_n(&a->max_inside, &m, in,
					true, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		;
	__atomic_add_fetch(&a->entries, 1, __ATOMIC_RELAXED);
}

static void admission_leave(struct admission *a)
{
	__atomic_sub_fetch(&a->inside, 1, __ATOMIC_RELAXED);
	sync_sem_release(&a->s);
}

static void admission_round(struct admission *a)
{
	/* The fill: hold the first permit until five were in at once, or
	 * until someone has given up on that (so a failure costs one wait). */
	sync_sem_acquire(&a->s);
	admission_enter(a);
	if (!CHECK_WITHIN(CHECK_WAKE_NS,
			  __atomic_load_n(&a->max_inside, __ATOMIC_RELAXED) >=
			  SEM_BOUND ||
			  __atomic_load_n(&a->short_fill, __ATOMIC_RELAXED)))
		__atomic_add_fetch(&a->short_fill, 1, __ATOMIC_RELAXED);
	admission_leave(a);
	for (int i = 1; i < SEM_ITERS; i++) {
		sync_sem_acquire(&a->s);
		admission_enter(a);
		if (i % 8 == 0)
			sched_yield();	/* linger inside, so others pile up */
		admission_leave(a);
	}
}

static void *admission_thread(void *p)
{
	admission_round(p);
	return NULL;
}

static int admission_proc(void *p, int i)
{
	(void)i;
	admission_round(p);
	return 0;
}

static void admission_check(struct admission *a, int workers)
{
	cr_log_info("sync_sem: max inside %u of %d", a->max_inside, SEM_BOUND);
	cr_assert_eq(a->short_fill, 0, "%u workers saw fewer than %d inside "
		     "at once", a->short_fill, SEM_BOUND);
	cr_assert_leq(a->max_inside, SEM_BOUND);
	cr_assert_eq(a->max_inside, SEM_BOUND);
	cr_assert_eq(a->inside, 0);
	cr_assert_eq(a->entries, (uint64_t)workers * SEM_ITERS);
	cr_assert_eq(sync_sem_value(&a->s), SEM_BOUND);
}

Test(sync_sem, admission_threads, .timeout = 60)
{
	struct admission a = { .inside = 0 };
	struct run_watch w = { &a.entries, (uint64_t)SEM_THREADS * SEM_ITERS };

	sync_sem_init(&a.s, SEM_BOUND, 0);
	run_threads(SEM_THREADS, admission_thread, &a, &w);
	admission_check(&a, SEM_THREADS);
}

Test(sync_sem, admission_processes, .timeout = 60)
{
	struct admission *a = shm_alloc(sizeof(*a));
	struct run_watch w = { &a->entries, (uint64_t)SEM_PROCS * SEM_ITERS };

	sync_sem_init(&a->s, SEM_BOUND, 1);
	a->inside = a->max_inside = 0;
	a->entries = 0;
	a->short_fill = 0;
	run_procs(SEM_PROCS, admission_proc, a, &w);
	admission_check(a, SEM_PROCS);
	munmap(a, sizeof(*a));
}

/*
 * A waiter entering acquire's slow path just as the last one leaves it:
 * the leaver clears the sleeper bit, the entrant may already sleep on it,
 * and a release in between skips its wake-up; the leaver must see the
 * entrant (its retire fails) and deliver that wake-up itself.  Each round
 * stages it: the bound 2 is taken, W1 sleeps in acquire, a release wakes
 * W1, W2 is started, and a second release follows after a varying while,
 * so that W1 leaves while W2 enters and a release lands in between; all
 * three share a CPU, so the preemption points decide who runs inside the
 * window (about one round in a thousand strands W2 when the re-wake is
 * missing).  Both must get their permit within CHECK_WAKE_NS: a stranded
 * W2 sleeps beside a free permit.
 */
struct sem_entrant {
	struct sync_sem s;
	int32_t tid[2];		/* kernel ids, once running */
	uint32_t done[2];	/* raised once acquire returned 0 */
	int cpu;
};

struct sem_entrant_arg {
	struct sem_entrant *se;
	int i;
};

static void *sem_entrant_main(void *p)
{
	struct sem_entrant_arg *a = p;
	struct sem_entrant *se = a->se;

	pin_to(se->cpu);
	/* Relaxed: only used to look the thread up in /proc. */
	__atomic_store_n(&se->tid[a->i], my_tid(), __ATOMIC_RELAXED);
	if (sync_sem_acquire(&se->s) == 0)
		flag_raise(&se->done[a->i]);
	return NULL;
}

Test(sync_sem, entrant_beside_last_leaver, .timeout = 60)
{
	struct sem_entrant se;
	struct sem_entrant_arg args[2] = { { &se, 0 }, { &se, 1 } };
	int cpu = sched_getcpu();

	se.cpu = cpu < 0 ? 0 : cpu;
	pin_to(se.cpu);
	for (int round = 0; round < ENTRANT_ROUNDS; round++) {
		pthread_t th[2];

		sync_sem_init(&se.s, 2, 0);
		cr_assert_eq(sync_sem_try(&se.s), 0);
		cr_assert_eq(sync_sem_try(&se.s), 0);
		for (int i = 0; i < 2; i++)
			se.tid[i] = se.done[i] = 0;
		cr_assert_eq(pthread_create(&th[0], NULL, sem_entrant_main,
					    &args[0]), 0);
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			__atomic_load_n(&se.tid[0], __ATOMIC_RELAXED) &&
			thread_asleep(__atomic_load_n(&se.tid[0],
						      __ATOMIC_RELAXED))),
			  "round %d: W1 never slept in acquire", round);
		/* W1's wake-up first, then W2 on its way in. */
		cr_assert_eq(sync_sem_release(&se.s), 0);
		cr_assert_eq(pthread_create(&th[1], NULL, sem_entrant_main,
					    &args[1]), 0);
		/* Let W1 and W2 run a varying while before the second. */
		for (int y = round % 6; y > 0; y--)
			sched_yield();
		for (int spin = round * 7919 % 1024; spin > 0; spin--)
			cpu_relax();
		cr_assert_eq(sync_sem_release(&se.s), 0);
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
				       flag_up(&se.done[0]) && flag_up(&se.done[1])),
			  "round %d: %s not woken beside a free permit", round,
			  flag_up(&se.done[0]) ? "W2" : "W1");
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		cr_assert_eq(sync_sem_value(&se.s), 0);
		cr_assert_eq(sync_sem_destroy(&se.s), 0);
	}
}

/*
 * Timed acquires that give up at random, beside untimed ones: waiters keep
 * entering and leaving acquire's blocking path, so the last leaver's
 * clearing of the sleeper bit keeps racing with new sleepers and with
 * releases.  A wake-up lost in that race would leave an untimed acquirer
 * asleep beside a free permit, and the run would stop making progress;
 * the bound must hold throughout and every permit must come back.
 */
struct sem_churn {
	struct sync_sem s;
	uint32_t inside, max_inside;
	uint64_t entries, gave_up;
	uint64_t tries;		/* acquires ended either way, for the watch */
	uint32_t next;
};

static void *sem_churn_thread(void *p)
{
	struct sem_churn *sc = p;
	/* Relaxed: just hands each thread its own number. */
	uint32_t me = __atomic_fetch_add(&sc->next, 1, __ATOMIC_RELAXED);
	unsigned seed = me + 1;

	for (int i = 0; i < CHURN_ITERS; i++) {
		/* Even threads block; odd ones wait 0 .. 50 us, short
		 * enough that many give up. */
		int64_t t = me % 2 ? rand_r(&seed) % 50000 : -1;
		uint32_t in, m;

		if (sync_sem_acquire_timeout(&sc->s, t)) {
			/* Relaxed: the test's own observations. */
			__atomic_add_fetch(&sc->gave_up, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&sc->tries, 1, __ATOMIC_RELAXED);
			continue;
		}
		in = __atomic_add_fetch(&sc->inside, 1, __ATOMIC_RELAXED);
		m = __atomic_load_n(&sc->max_inside, __ATOMIC_RELAXED);
		while (in > m && !__atomic_compare_exchange_n(&sc->max_inside, &m,
						in, true, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			;
		__atomic_add_fetch(&sc->entries, 1, __ATOMIC_RELAXED);
		sched_yield();	/* hold the permit a while, so others queue */
		__atomic_sub_fetch(&sc->inside, 1, __ATOMIC_RELAXED);
		sync_sem_release(&sc->s);
		__atomic_add_fetch(&sc->tries, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

Test(sync_sem, timeouts_strand_no_permit, .timeout = 60)
{
	struct sem_churn sc = { .inside = 0, .next = 0 };
	struct run_watch w = { &sc.tries, (uint64_t)CHURN_THREADS * CHURN_ITERS };

	sync_sem_init(&sc.s, CHURN_BOUND, 0);
	run_threads(CHURN_THREADS, sem_churn_thread, &sc, &w);
	cr_log_info("sync_sem: %llu of %d acquires gave up",
		    (unsigned long long)sc.gave_up, CHURN_THREADS * CHURN_ITERS);
	cr_assert_leq(sc.max_inside, CHURN_BOUND);
	cr_assert_eq(sc.entries + sc.gave_up, (uint64_t)CHURN_THREADS * CHURN_ITERS);
	cr_assert_eq(sync_sem_value(&sc.s), CHURN_BOUND);
	cr_assert_eq(sync_sem_destroy(&sc.s), 0);
}
