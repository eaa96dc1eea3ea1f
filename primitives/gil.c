/*
 * primitives/gil.c - the global interpreter lock: CPython's >= 3.2 GIL
 * (take_gil/drop_gil of Python/ceval_gil.c: timed waits, drop requests,
 * forced switching), CPython 2's semaphore with its release-and-retake,
 * no lock at all, and the I/O-priority fix for the convoy effect.
 *
 * The mechanism, not the code, follows CPython; where this one differs
 * it says so.  The drop request is a bit in the holder's own eval
 * breaker, as in CPython 3.12 (older versions kept one per interpreter;
 * only the holder ever reads it, so the two behave the same).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "primitives/gil_impl.h"
#include "primitives/preempt.h"

static const char *const gil_policy_names[GIL_POLICY_COUNT] = {
	[GIL_NEW] = "new",
	[GIL_OLD] = "old",
	[GIL_NONE] = "none",
	[GIL_IO_PRIORITY] = "io_priority",
};

const char *gil_policy_name(enum gil_policy p)
{
	return (unsigned)p < GIL_POLICY_COUNT ? gil_policy_names[p] : NULL;
}

int gil_policy_parse(const char *name, enum gil_policy *out)
{
	for (int i = 0; i < GIL_POLICY_COUNT; i++) {
		if (strcmp(name, gil_policy_names[i]) == 0) {
			*out = (enum gil_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* A pthread call inside the lock cannot fail unless the gil is corrupt
 * or misused: that is a bug, so abort rather than run unlocked. */
static void gil_must(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "contend: gil: %s: %s\n", what, strerror(rc));
		abort();
	}
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */

int gil_create(struct gil **out, const struct gil_config *cfg)
{
	pthread_condattr_t ca;
	struct gil *g;
	int rc, made = 0;

	if ((unsigned)cfg->policy >= GIL_POLICY_COUNT ||
	    (cfg->flags & ~(GIL_FLAG_CHECK | GIL_FLAG_SHARED_OBJECTS)))
		return -EINVAL;
	g = aligned_alloc(CPU_CACHELINE, (sizeof(*g) + CPU_CACHELINE - 1) /
			  CPU_CACHELINE * CPU_CACHELINE);
	if (!g)
		return -ENOMEM;
	memset(g, 0, sizeof(*g));
	g->policy = cfg->policy;
	g->flags = cfg->flags;
	g->interval_us = cfg->interval_us ? cfg->interval_us : GIL_INTERVAL_US_DEFAULT;
	g->check_ticks = cfg->check_ticks ? cfg->check_ticks : GIL_CHECK_TICKS_DEFAULT;

	/* Every object is made whatever the policy: one cleanup path. */
	rc = pthread_condattr_init(&ca);
	if (rc)
		goto out;
	/* CPython waits on the monotonic clock too: a wall-clock step must
	 * not stretch or cut a switch interval. */
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc && !(rc = pthread_mutex_init(&g->mutex, NULL)) && ++made &&
	    !(rc = pthread_cond_init(&g->cond, &ca)) && ++made &&
	    !(rc = pthread_cond_init(&g->prio_cond, &ca)) && ++made &&
	    !(rc = pthread_mutex_init(&g->switch_mutex, NULL)) && ++made &&
	    !(rc = pthread_cond_init(&g->switch_cond, NULL)) && ++made) {
		/* One permit: the lock starts free. */
		if (sem_init(&g->sem, 0, 1) == 0)
			made++;
		else
			rc = errno;
	}
	pthread_condattr_destroy(&ca);
	if (rc)
		goto out;
	*out = g;
	return 0;
out:
	if (made >= 5)
		pthread_cond_destroy(&g->switch_cond);
	if (made >= 4)
		pthread_mutex_destroy(&g->switch_mutex);
	if (made >= 3)
		pthread_cond_destroy(&g->prio_cond);
	if (made >= 2)
		pthread_cond_destroy(&g->cond);
	if (made >= 1)
		pthread_mutex_destroy(&g->mutex);
	free(g);
	return -rc;
}

int gil_destroy(struct gil *g)
{
	/* Acquire: pairs with gil_vm_destroy's release, so that the last
	 * interpreter's use of the gil happens before the frees below. */
	if (prim_atomic_load_n(&g->vms, __ATOMIC_ACQUIRE) != 0)
		return -EBUSY;
	sem_destroy(&g->sem);
	pthread_cond_destroy(&g->switch_cond);
	pthread_mutex_destroy(&g->switch_mutex);
	pthread_cond_destroy(&g->prio_cond);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->mutex);
	free(g);
	return 0;
}

enum gil_policy gil_policy_of(const struct gil *g)
{
	return g->policy;
}

void gil_set_interval_us(struct gil *g, uint32_t us)
{
	/* Relaxed: the next wait uses whichever value it sees. */
	prim_atomic_store_n(&g->interval_us, us ? us : 1, __ATOMIC_RELAXED);
}

uint32_t gil_interval_us(const struct gil *g)
{
	return prim_atomic_load_n(&g->interval_us, __ATOMIC_RELAXED);
}

uint32_t gil_owner(const struct gil *g)
{
	return prim_atomic_load_n(&g->owner, __ATOMIC_RELAXED);
}

void gil_stats_get(const struct gil *g, struct gil_stats *out)
{
	/* Relaxed throughout: counters for a report, each one untorn. */
	out->switches = prim_atomic_load_n(&g->switch_number, __ATOMIC_RELAXED);
	out->drop_requests = prim_atomic_load_n(&g->drop_requests, __ATOMIC_RELAXED);
	out->forced_drops = prim_atomic_load_n(&g->forced_drops, __ATOMIC_RELAXED);
	out->takes = prim_atomic_load_n(&g->takes, __ATOMIC_RELAXED);
	out->checks = prim_atomic_load_n(&g->checks, __ATOMIC_RELAXED);
	out->violations = prim_atomic_load_n(&g->violations, __ATOMIC_RELAXED);
	out->running = prim_atomic_load_n(&g->running, __ATOMIC_RELAXED);
	out->max_running = prim_atomic_load_n(&g->max_running, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* GIL_FLAG_CHECK                                                      */

static void gil_violation(struct gil *g)
{
	/* Relaxed: a tally the test reads after joining every thread. */
	prim_atomic_fetch_add(&g->violations, 1, __ATOMIC_RELAXED);
}

/* vm enters bytecode: with a lock, nobody else may be inside. */
static void gil_check_enter(struct gil_vm *vm)
{
	struct gil *g = vm->gil;
	uint32_t prev, now, max;

	if (!(g->flags & GIL_FLAG_CHECK))
		return;
	/* Relaxed: the count is itself the thing under test; a lock that
	 * excludes orders these RMWs, one that fails shows up in `prev`. */
	prev = prim_atomic_fetch_add(&g->running, 1, __ATOMIC_RELAXED);
	if (g->policy != GIL_NONE && prev != 0)
		gil_violation(g);
	now = prev + 1;
	max = prim_atomic_load_n(&g->max_running, __ATOMIC_RELAXED);
	while (now > max &&
	       !prim_atomic_compare_exchange_n(&g->max_running, &max, now, true,
					       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void gil_check_leave(struct gil_vm *vm)
{
	if (vm->gil->flags & GIL_FLAG_CHECK)
		prim_atomic_fetch_sub(&vm->gil->running, 1, __ATOMIC_RELAXED);
}

void gil__check(struct gil_vm *vm)
{
	struct gil *g = vm->gil;

	prim_atomic_fetch_add(&g->checks, 1, __ATOMIC_RELAXED);
	if (g->policy == GIL_NONE)
		return;
	if (prim_atomic_load_n(&g->owner, __ATOMIC_RELAXED) != vm->id ||
	    prim_atomic_load_n(&g->running, __ATOMIC_RELAXED) != 1)
		gil_violation(g);
}

/* ------------------------------------------------------------------ */
/* GIL_NEW and GIL_IO_PRIORITY: mutex, conditions, drop requests       */

static uint64_t gil_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* GIL_FLAG_CHECK, with mutex held: a waiter that timed out asks for a
 * drop only when the lock has not changed hands for a whole interval of
 * `us` (its wait began after the last hand-over and the clock the wait
 * timed out on has passed its deadline since). */
static void gil_check_request(struct gil *g, uint32_t us)
{
	if ((g->flags & GIL_FLAG_CHECK) && gil_clock_ns() - g->switch_ns < (uint64_t)us * 1000u)
		gil_violation(g);
}

/* Ask the holder to drop at its next back-edge.  Called with mutex held
 * and the lock locked, so holder is set and stays until we unlock. */
static void gil_request_drop(struct gil *g)
{
	/* Relaxed: the holder only needs to see the bit eventually; what it
	 * does about it goes through mutex again. */
	prim_atomic_fetch_or(&g->holder->breaker, GIL__BREAK_DROP, __ATOMIC_RELAXED);
	prim_atomic_store_n(&g->drop_requests, g->drop_requests + 1, __ATOMIC_RELAXED);
}

/* pthread_cond_timedwait for `us` microseconds from now; true if it
 * timed out. */
static bool gil_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, uint32_t us)
{
	struct timespec dl;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += us / 1000000;
	dl.tv_nsec += (long)(us % 1000000) * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	rc = pthread_cond_timedwait(c, m, &dl);
	if (rc != 0 && rc != ETIMEDOUT)
		gil_must(rc, "pthread_cond_timedwait");
	return rc == ETIMEDOUT;
}

static void gil_take_cond(struct gil *g, struct gil_vm *vm, bool prio)
{
	bool counted = false;

	gil_must(pthread_mutex_lock(&g->mutex), "lock");
	if (prio && g->locked) {
		/* The fix: no interval's grace for the holder. */
		g->prio_waiters++;
		counted = true;
		gil_request_drop(g);
	}
	/* An ordinary waiter also stands back while a returner from I/O
	 * waits, so that a released lock goes to the returner. */
	while (g->locked || (!prio && g->prio_waiters)) {
		uint64_t saved = g->switch_number;
		uint32_t us = gil_interval_us(g);
		bool timed_out = gil_timed_wait(prio ? &g->prio_cond : &g->cond, &g->mutex, us);

		/* A whole interval without a hand-over: the holder has had
		 * its turn.  (Not when merely standing back for a returner:
		 * then the lock may be free.) */
		if (timed_out && g->locked && g->switch_number == saved) {
			gil_check_request(g, us);
			gil_request_drop(g);
		}
	}
	if (counted)
		g->prio_waiters--;

	/* last_holder changes under switch_mutex too: a forced dropper
	 * tests it under switch_mutex, then sleeps on switch_cond. */
	gil_must(pthread_mutex_lock(&g->switch_mutex), "lock switch");
	g->locked = 1;
	g->holder = vm;
	prim_atomic_store_n(&g->owner, vm->id, __ATOMIC_RELAXED);
	if (g->last_holder != vm) {
		g->last_holder = vm;
		prim_atomic_store_n(&g->switch_number, g->switch_number + 1, __ATOMIC_RELAXED);
		if (g->flags & GIL_FLAG_CHECK)
			g->switch_ns = gil_clock_ns();
	}
	/* Broadcast, not CPython's signal: cheap (droppers are rare), and
	 * it leaves no doubt that a dropper still asleep from an earlier
	 * hand-over wakes too. */
	gil_must(pthread_cond_broadcast(&g->switch_cond), "broadcast switch");
	gil_must(pthread_mutex_unlock(&g->switch_mutex), "unlock switch");
	/* CPython clears a stale drop request here.  None can be left: a
	 * request is only ever set on the holder, which consumes it at its
	 * next drop (gil_drop_cond). */
	gil_must(pthread_mutex_unlock(&g->mutex), "unlock");
}

static void gil_drop_cond(struct gil *g, struct gil_vm *vm)
{
	gil_must(pthread_mutex_lock(&g->mutex), "lock");
	g->locked = 0;
	g->holder = NULL;
	/* One waiter is enough: whoever wakes can take the lock.  Returners
	 * from I/O first (IO_PRIORITY; prio_waiters is 0 otherwise). */
	gil_must(pthread_cond_signal(g->prio_waiters ? &g->prio_cond : &g->cond),
		 "signal");
	gil_must(pthread_mutex_unlock(&g->mutex), "unlock");
	/* The window FORCE_SWITCHING is about: a waiter is waking, and we
	 * could race it back to the lock. */
	PRIM_TEST_PREEMPT();

	/* Only this thread clears its DROP bit, and a waiter set it while
	 * we held the lock, so the bit read here is the request of a
	 * waiter that is still waiting: it will take the lock. */
	if (prim_atomic_load_n(&vm->breaker, __ATOMIC_RELAXED) & GIL__BREAK_DROP) {
		gil__bump(&vm->forced_drops);
		/* Relaxed RMW: droppers of different threads may overlap. */
		prim_atomic_fetch_add(&g->forced_drops, 1, __ATOMIC_RELAXED);
		gil_must(pthread_mutex_lock(&g->switch_mutex), "lock switch");
		prim_atomic_fetch_and(&vm->breaker, ~GIL__BREAK_DROP, __ATOMIC_RELAXED);
		/* A loop, where CPython waits once: a spurious wake-up must
		 * not let the dropper back in before the hand-over. */
		while (g->last_holder == vm)
			gil_must(pthread_cond_wait(&g->switch_cond, &g->switch_mutex),
				 "wait switch");
		gil_must(pthread_mutex_unlock(&g->switch_mutex), "unlock switch");
	}
}

/* ------------------------------------------------------------------ */
/* GIL_OLD: one semaphore                                              */

static void gil_take_sem(struct gil *g, struct gil_vm *vm)
{
	while (sem_wait(&g->sem) != 0) {
		if (errno != EINTR)
			gil_must(errno, "sem_wait");
	}
	/* The semaphore excludes: last_holder and the counters below are
	 * touched by the holder only, ordered by sem_post/sem_wait. */
	prim_atomic_store_n(&g->owner, vm->id, __ATOMIC_RELAXED);
	if (g->last_holder != vm) {
		g->last_holder = vm;
		prim_atomic_store_n(&g->switch_number, g->switch_number + 1, __ATOMIC_RELAXED);
	}
}

static void gil_drop_sem(struct gil *g)
{
	if (sem_post(&g->sem) != 0)
		gil_must(errno, "sem_post");
}

/* ------------------------------------------------------------------ */
/* What the interpreter calls                                          */

void gil__take(struct gil_vm *vm, bool after_io)
{
	struct gil *g = vm->gil;
	uint64_t t0 = 0, t1;

	if (g->policy == GIL_NONE) {
		gil_check_enter(vm);
		gil__set_state(vm, GIL_VM_RUNNING);
		return;
	}
	gil__set_state(vm, GIL_VM_WAITING);
	if (vm->timed)
		t0 = vm->hooks.now_ns();
	if (g->policy == GIL_OLD)
		gil_take_sem(g, vm);
	else
		gil_take_cond(g, vm, after_io && g->policy == GIL_IO_PRIORITY);
	/* Holder-only writes from here to the drop. */
	prim_atomic_store_n(&g->takes, g->takes + 1, __ATOMIC_RELAXED);
	gil__bump(&vm->takes);
	if (vm->timed) {
		t1 = vm->hooks.now_ns();
		vm->hold_start_ns = t1;
		if (vm->hooks.on_wait)
			vm->hooks.on_wait(vm->hooks.ctx, t1 - t0);
	}
	gil_check_enter(vm);
	gil__set_state(vm, GIL_VM_RUNNING);
}

void gil__drop(struct gil_vm *vm)
{
	struct gil *g = vm->gil;

	gil_check_leave(vm);
	if (g->policy == GIL_NONE)
		return;
	if (vm->timed && vm->hooks.on_hold)
		vm->hooks.on_hold(vm->hooks.ctx, vm->hooks.now_ns() - vm->hold_start_ns);
	/* Cleared before the release: once released, the word is the next
	 * holder's to set. */
	prim_atomic_store_n(&g->owner, 0, __ATOMIC_RELAXED);
	if (g->policy == GIL_OLD)
		gil_drop_sem(g);
	else
		gil_drop_cond(g, vm);
}

void gil__yield(struct gil_vm *vm)
{
	struct gil *g = vm->gil;
	uint64_t before = prim_atomic_load_n(&g->switch_number, __ATOMIC_RELAXED);

	gil__drop(vm);
	gil__take(vm, false);
	/* Forced switching: another thread took the lock in between (one
	 * switch) and we took it from that thread (another). */
	if ((g->flags & GIL_FLAG_CHECK) && g->policy != GIL_OLD &&
	    prim_atomic_load_n(&g->switch_number, __ATOMIC_RELAXED) < before + 2)
		gil_violation(g);
}
