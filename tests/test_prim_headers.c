/*
 * tests/test_prim_headers.c - the inline helpers every primitive is built
 * on, each held to known answers of its own: futex.h's wrappers (the
 * return codes, wake counts with several sleepers, an absolute deadline),
 * atomic.h's wrappers (the old or the new value, each operand evaluated
 * once), sync.h's deadline arithmetic and lock_common.h's spin counter.
 * A slip in one of these shows in the primitives' tests only by chance
 * (a wrong return that no caller reads, a wake-up count that one waiter
 * cannot tell), so they get their own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "tests/check.h"
#include "tests/prim_util.h"
#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/lock_common.h"
#include "primitives/sync.h"

/* ---- futex.h ---- */

#define MS_NS (1000LL * 1000)

Test(prim_futex, wait_codes, .timeout = 10)
{
	uint32_t word = 1;
	struct timespec rel = { 0, 20 * MS_NS }, abs;
	int64_t t0;

	/* The kernel compares first: a changed word never sleeps. */
	cr_assert_eq(futex_wait(&word, 0, NULL, 0), -EAGAIN);
	cr_assert_eq(futex_wait_until(&word, 0, NULL, 0), -EAGAIN);
	cr_assert_eq(futex_wait(&word, 0, NULL, 1), -EAGAIN);

	/* `rel` is relative: 20 ms, and not less. */
	t0 = now_ns();
	cr_assert_eq(futex_wait(&word, 1, &rel, 0), -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, 20 * MS_NS);

	/* `abs` is absolute on CLOCK_MONOTONIC: one in the past times out
	 * at once (read as relative it would be days); one 20 ms ahead
	 * is not reached early. */
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_sec -= 1;
	cr_assert_eq(futex_wait_until(&word, 1, &abs, 0), -ETIMEDOUT);
	t0 = now_ns();
	cr_assert_eq(futex_wait_until(&word, 1, sync__deadline(20 * MS_NS, &abs), 1),
		     -ETIMEDOUT);
	cr_assert_geq(now_ns() - t0, 20 * MS_NS);

	/* Nobody asleep: a wake finds no one. */
	cr_assert_eq(futex_wake(&word, INT_MAX, 0), 0);
	cr_assert_eq(futex_wake(&word, 1, 1), 0);
}

#define FUTEX_SLEEPERS 3

struct futex_sleeper {
	uint32_t *word;
	int shared;
	pid_t tid;
	int rc;
	uint32_t back;		/* flag: futex_wait returned */
};

static void *futex_sleeper_main(void *arg)
{
	struct futex_sleeper *s = arg;

	__atomic_store_n(&s->tid, my_tid(), __ATOMIC_RELEASE);
	s->rc = futex_wait_until(s->word, 0, NULL, s->shared);
	flag_raise(&s->back);
	return NULL;
}

static int futex_sleepers_back(struct futex_sleeper *s)
{
	int n = 0;

	for (int i = 0; i < FUTEX_SLEEPERS; i++)
		n += flag_up(&s[i].back);
	return n;
}

/*
 * futex_wake(n) wakes at most n and says how many: one sleeper of three,
 * then the other two with INT_MAX.  The word stays 0, so a sleeper that
 * was not woken stays asleep, whatever the scheduler does.
 */
static void futex_wake_counts(int shared)
{
	static uint32_t word;
	struct futex_sleeper s[FUTEX_SLEEPERS] = { 0 };
	pthread_t th[FUTEX_SLEEPERS];
	int woken;

	word = 0;
	for (int i = 0; i < FUTEX_SLEEPERS; i++) {
		s[i].word = &word;
		s[i].shared = shared;
		cr_assert_eq(pthread_create(&th[i], NULL, futex_sleeper_main, &s[i]), 0);
	}
	for (int i = 0; i < FUTEX_SLEEPERS; i++)
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
				       __atomic_load_n(&s[i].tid, __ATOMIC_ACQUIRE) &&
				       thread_asleep(s[i].tid)),
			  "sleeper %d never went to sleep", i);

	woken = futex_wake(&word, 1, shared);
	cr_assert_eq(woken, 1, "futex_wake(1) woke %d", woken);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, futex_sleepers_back(s) == 1));
	woken = futex_wake(&word, INT_MAX, shared);
	cr_assert_eq(woken, FUTEX_SLEEPERS - 1, "futex_wake(INT_MAX) woke %d", woken);
	for (int i = 0; i < FUTEX_SLEEPERS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(s[i].rc, 0, "sleeper %d: a wake-up is 0, not %d", i, s[i].rc);
	}
}

Test(prim_futex, wake_counts_private, .timeout = 20)
{
	futex_wake_counts(0);
}

Test(prim_futex, wake_counts_shared, .timeout = 20)
{
	futex_wake_counts(1);
}

/* ---- atomic.h ---- */

/* Each wrapper returns what its builtin returns: the old value for
 * fetch_* and exchange, the new one for *_fetch. */
Test(prim_atomic, known_answers, .timeout = 10)
{
	uint32_t x = 5, e;
	uint64_t y = UINT64_C(1) << 40;

	cr_assert_eq(prim_atomic_fetch_add(&x, 3, __ATOMIC_RELAXED), 5);
	cr_assert_eq(x, 8);
	cr_assert_eq(prim_atomic_add_fetch(&x, 2, __ATOMIC_RELAXED), 10);
	cr_assert_eq(prim_atomic_fetch_sub(&x, 4, __ATOMIC_RELAXED), 10);
	cr_assert_eq(x, 6);
	cr_assert_eq(prim_atomic_sub_fetch(&x, 1, __ATOMIC_RELAXED), 5);
	cr_assert_eq(prim_atomic_fetch_and(&x, 4, __ATOMIC_RELAXED), 5);
	cr_assert_eq(x, 4);
	cr_assert_eq(prim_atomic_fetch_or(&x, 3, __ATOMIC_RELAXED), 4);
	cr_assert_eq(x, 7);
	cr_assert_eq(prim_atomic_exchange_n(&x, 9, __ATOMIC_RELAXED), 7);
	cr_assert_eq(prim_atomic_load_n(&x, __ATOMIC_ACQUIRE), 9);
	prim_atomic_store_n(&x, 11, __ATOMIC_RELEASE);
	cr_assert_eq(x, 11);

	/* A failed CAS leaves the word and reports what it found. */
	e = 10;
	cr_assert_not(prim_atomic_compare_exchange_n(&x, &e, 1, false,
						     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	cr_assert_eq(x, 11);
	cr_assert_eq(e, 11);
	cr_assert(prim_atomic_compare_exchange_n(&x, &e, 1, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	cr_assert_eq(x, 1);

	/* 64-bit words keep their high half. */
	cr_assert_eq(prim_atomic_add_fetch(&y, 1, __ATOMIC_RELAXED), (UINT64_C(1) << 40) + 1);
	cr_assert_eq(prim_atomic_fetch_sub(&y, 2, __ATOMIC_RELAXED), (UINT64_C(1) << 40) + 1);
	cr_assert_eq(y, (UINT64_C(1) << 40) - 1);
}

/* The preemption build's wrappers copy their operands first: each must
 * still be evaluated exactly once, as the builtin would. */
Test(prim_atomic, operands_evaluated_once, .timeout = 10)
{
	uint32_t a[4] = { 0 }, *p = a, v = 1, e = 0;

	prim_atomic_fetch_add(p++, v++, __ATOMIC_RELAXED);
	prim_atomic_store_n(p++, v++, __ATOMIC_RELAXED);
	(void)prim_atomic_load_n(p++, __ATOMIC_RELAXED);
	prim_atomic_compare_exchange_n(p++, &e, v++, false, __ATOMIC_RELAXED,
				       __ATOMIC_RELAXED);
	cr_assert_eq(p, a + 4);
	cr_assert_eq(v, 4);
	cr_assert_eq(a[0], 1);
	cr_assert_eq(a[1], 2);
	cr_assert_eq(a[2], 0);
	cr_assert_eq(a[3], 3);
}

/* ---- sync.h: sync__deadline ---- */

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* now + timeout, normalised (tv_nsec below a second), bracketed by two
 * readings of the clock taken around the call; negative: no deadline. */
Test(prim_sync, deadline_is_now_plus_timeout, .timeout = 10)
{
	static const int64_t timeouts[] = {
		0, 1, 999999999, 1000000000, 1500000000, 1999999999,
		3600LL * 1000000000 + 999999999,
	};
	struct timespec buf, before, after;

	cr_assert_null(sync__deadline(-1, &buf));
	cr_assert_null(sync__deadline(INT64_MIN, &buf));
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		const struct timespec *d;

		clock_gettime(CLOCK_MONOTONIC, &before);
		d = sync__deadline(timeouts[i], &buf);
		clock_gettime(CLOCK_MONOTONIC, &after);
		cr_assert_eq(d, &buf);
		cr_assert(d->tv_nsec >= 0 && d->tv_nsec < 1000000000,
			  "timeout %lld: tv_nsec %ld not normalised",
			  (long long)timeouts[i], d->tv_nsec);
		cr_assert_geq(ts_ns(d), ts_ns(&before) + timeouts[i],
			      "timeout %lld: the deadline is early", (long long)timeouts[i]);
		cr_assert_leq(ts_ns(d), ts_ns(&after) + timeouts[i],
			      "timeout %lld: the deadline is late", (long long)timeouts[i]);
	}
}

/* ---- lock_common.h: lock_relax ---- */

/* The step counter runs to LOCK_SPIN_YIELD_AFTER and starts again at 0
 * (the step that yields), so a long wait yields once per that many
 * steps, not at every step once past it. */
Test(prim_lock_common, relax_counts_and_restarts, .timeout = 10)
{
	unsigned spins = 0;

	if (!LOCK_SPIN_YIELD_AFTER)
		cr_skip_test("built as a pure spinner (LOCK_SPIN_YIELD_AFTER=0)");
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 1; i < LOCK_SPIN_YIELD_AFTER; i++) {
			lock_relax(&spins);
			cr_assert_eq(spins, i);
		}
		lock_relax(&spins);
		cr_assert_eq(spins, 0, "round %u: the yielding step restarts the count", round);
	}
}
