/*
 * tests/check.h - what every test file includes instead of Criterion.
 *
 * Normally this is Criterion itself.  Criterion cannot start under
 * ThreadSanitizer (its inheritable arena is mapped where TSan keeps its
 * shadow memory: Snaipe/Criterion#274), so the TSan build defines
 * CONTEND_TEST_SHIM and gets a small stand-in with the same spelling for
 * the subset of Criterion that contend's tests use:
 *
 *   Test(suite, name, .timeout = SEC)       (other options are ignored)
 *   cr_assert(cond, ...)  cr_assert_not(cond, ...)
 *   cr_assert_eq/neq/lt/leq/gt/geq(a, b, ...)
 *   cr_assert_null(p, ...)  cr_assert_not_null(p, ...)
 *   cr_assert_str_eq(a, b, ...)  cr_assert_str_empty(s, ...)
 *   cr_assert_float_eq(a, b, eps, ...)
 *   cr_assert_fail(...)  cr_skip_test(...)
 *   cr_expect*  (same as cr_assert*, fatal in the shim)
 *   cr_log_info(...)
 *
 * Each test runs in its own forked process, in a process group of its
 * own, as Criterion runs it in a worker: the runner enforces the test's
 * timeout, names the test on every failure, and kills the whole group when
 * the test ends, so that nothing a test started outlives it.
 *
 * Both builds also get what a concurrency test waits with (below): a
 * deadline for a wake-up that must happen, and a watch on a stress run's
 * progress, so that a lost wake-up or a deadlock is a named failure in
 * seconds rather than a time-out, or worse a pass, much later.
 */
#ifndef CONTEND_TESTS_CHECK_H
#define CONTEND_TESTS_CHECK_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * CHECK_WAKE_NS: how long a wake-up that must happen may take before the
 * test calls it lost.  CHECK_STALL_NS: how long a stress run may make no
 * progress at all before the test calls it deadlocked.  Real wake-ups and
 * hand-overs take micro- to milliseconds, also under sanitizers and
 * preemption points on a loaded 2-core machine: 5 s is no performance
 * threshold, only far beyond that noise, and short beside every test's
 * own time-out, which then stays the last guard.
 */
#define CHECK_WAKE_NS	(5LL * 1000000000)
#define CHECK_STALL_NS	(5LL * 1000000000)

static inline int64_t check_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * One step of a polling wait: yield for the first few hundred steps, so a
 * condition that comes true at once is seen at once, then sleep 100 us a
 * step, so a long wait leaves the CPUs to the tasks under test.
 */
static inline void check_backoff(unsigned *tries)
{
	const struct timespec pause = { 0, 100000 };

	if (++*tries < 256)
		sched_yield();
	else
		nanosleep(&pause, NULL);
}

/* Whether `cond` (re-evaluated) came true within timeout_ns. */
#define CHECK_WITHIN(timeout_ns, cond) ({				\
	int64_t check_dl_ = check_now_ns() + (timeout_ns);		\
	unsigned check_tries_ = 0;					\
	bool check_ok_;							\
	while (!(check_ok_ = (cond)) && check_now_ns() < check_dl_)	\
		check_backoff(&check_tries_);				\
	check_ok_;							\
})

/*
 * A watch on a count that must keep moving: check_stalled() is true once
 * the count has stood still for stall_ns.  Start it with check_stall_init
 * at the count's current value.
 */
struct check_stall {
	uint64_t last;
	int64_t since_ns;
};

static inline void check_stall_init(struct check_stall *s, uint64_t now)
{
	s->last = now;
	s->since_ns = check_now_ns();
}

static inline bool check_stalled(struct check_stall *s, uint64_t now,
				 int64_t stall_ns)
{
	int64_t t = check_now_ns();

	if (now != s->last) {
		s->last = now;
		s->since_ns = t;
		return false;
	}
	return t - s->since_ns >= stall_ns;
}

/*
 * Wait while `count` (re-evaluated) moves towards `target`; the value it
 * has at the end, below target only if it stood still for stall_ns.
 */
#define CHECK_PROGRESS(count, target, stall_ns) ({			\
	struct check_stall check_st_;					\
	unsigned check_tries_ = 0;					\
	uint64_t check_v_ = (count);					\
									\
	check_stall_init(&check_st_, check_v_);				\
	while (check_v_ < (uint64_t)(target) &&				\
	       !check_stalled(&check_st_, check_v_, (stall_ns))) {	\
		check_backoff(&check_tries_);				\
		check_v_ = (count);					\
	}								\
	check_v_;							\
})

/*
 * CHECK_SANITIZED: 1 in the ThreadSanitizer and ASan builds (the
 * compilers say so by these macros; nothing in the Makefile needs to),
 * where every access and atomic costs many times what it costs plain.
 * CHECK_STRESS_ITEMS(n): the item count of a long exactly-once stress
 * run, n in the plain build and n / 50 under a sanitizer, so that those
 * legs stay fast: they look for races and memory errors, which show in
 * far fewer items, while the plain leg's long run is the one that gives
 * a rare lost or doubled item the time to happen.
 */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CHECK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CHECK_SANITIZED 1
#endif
#endif
#ifndef CHECK_SANITIZED
#define CHECK_SANITIZED 0
#endif
#define CHECK_STRESS_ITEMS(n) (CHECK_SANITIZED ? (n) / 50 : (n))

#ifndef CONTEND_TEST_SHIM
#include <criterion/criterion.h>
#include <criterion/logging.h>
#else

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_test {
	const char *suite, *name;
	void (*fn)(void);
	unsigned timeout;
	struct check_test *next;
};
struct check_opts { unsigned timeout; int disabled; const char *description; };

void check_register(struct check_test *t);
/*
 * Hooks a test binary may define (weak: the runner goes without).  In the
 * runner: check_hook_start() once before the first test (e.g. to choose a
 * seed and export it to the tests through the environment), and
 * check_hook_failed(test) after each failed test, "suite/name", to say how
 * to replay it.
 */
void check_hook_start(void) __attribute__((weak));
void check_hook_failed(const char *test) __attribute__((weak));
void check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
void check_skip(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define Test(suite, name, ...)						\
	static void suite##_##name##_impl(void);			\
	static struct check_test suite##_##name##_desc;			\
	__attribute__((constructor)) static void suite##_##name##_reg(void) \
	{								\
		struct check_opts o = { __VA_ARGS__ };	\
		suite##_##name##_desc = (struct check_test){ #suite, #name, \
			suite##_##name##_impl, o.timeout, NULL };	\
		if (!o.disabled)					\
			check_register(&suite##_##name##_desc);		\
	}								\
	static void suite##_##name##_impl(void)

/* The message, when there is one, is a string literal and its arguments,
 * as with Criterion; the literal is glued to the blank that separates it
 * from the expression. */
#define cr_assert(c, ...) \
	do { if (!(c)) check_fail(__FILE__, __LINE__, #c, " " __VA_ARGS__); } while (0)
#define cr_assert_fail(...) check_fail(__FILE__, __LINE__, "cr_assert_fail", " " __VA_ARGS__)
/* A skipped test ends its forked child with success and says why. */
#define cr_skip_test(...) check_skip(__FILE__, __LINE__, __VA_ARGS__)
#define cr_assert_not(c, ...) cr_assert(!(c), __VA_ARGS__)
#define cr_assert_eq(a, b, ...)  cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...)  cr_assert((a) < (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...)  cr_assert((a) > (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b), __VA_ARGS__)
#define cr_assert_null(p, ...)     cr_assert((p) == NULL, __VA_ARGS__)
#define cr_assert_not_null(p, ...) cr_assert((p) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_assert_str_empty(s, ...) cr_assert((s)[0] == '\0', __VA_ARGS__)
#define cr_assert_float_eq(a, b, e, ...) \
	cr_assert(((a) - (b)) <= (e) && ((b) - (a)) <= (e), __VA_ARGS__)
#define cr_expect cr_assert
#define cr_expect_not cr_assert_not
#define cr_expect_eq cr_assert_eq
#define cr_expect_neq cr_assert_neq
#define cr_expect_lt cr_assert_lt
#define cr_expect_leq cr_assert_leq
#define cr_expect_gt cr_assert_gt
#define cr_expect_geq cr_assert_geq
#define cr_expect_str_eq cr_assert_str_eq
#define cr_expect_float_eq cr_assert_float_eq
#define cr_log_info(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))
#define cr_log_warn cr_log_info

#endif

/*
 * A long exactly-once run's tally: seen[i] is how often item i of n was
 * seen (a byte each).  Every one exactly once, or the test fails naming
 * how many never came and how many came twice or more.
 */
static inline void check_each_once(const uint8_t *seen, uint64_t n, const char *what)
{
	uint64_t missing = 0, extra = 0;

	for (uint64_t i = 0; i < n; i++) {
		missing += seen[i] == 0;
		extra += seen[i] > 1;
	}
	cr_assert_eq(missing + extra, 0, "%llu of %llu never %s, %llu %s twice or more",
		     (unsigned long long)missing, (unsigned long long)n, what,
		     (unsigned long long)extra, what);
}

/* Part i of `parts` of n items: its first and its count, the last part
 * taking what the division leaves. */
static inline void check_share(uint64_t n, int parts, int i, uint64_t *first, uint64_t *count)
{
	uint64_t per = n / (uint64_t)parts;

	*first = per * (uint64_t)i;
	*count = i == parts - 1 ? n - *first : per;
}
#endif
