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
 *   cr_assert_str_eq(a, b, ...)  cr_assert_float_eq(a, b, eps, ...)
 *   cr_expect*  (same as cr_assert*, fatal in the shim)
 *   cr_log_info(...)
 *
 * Each test runs in its own forked process, in a process group of its
 * own, as Criterion runs it in a worker: the runner enforces the test's
 * timeout, names the test on every failure, and kills the whole group when
 * the test ends, so that nothing a test started outlives it.
 */
#ifndef CONTEND_TESTS_CHECK_H
#define CONTEND_TESTS_CHECK_H

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

#define cr_assert(c, ...) \
	do { if (!(c)) check_fail(__FILE__, __LINE__, #c, "%s", ""); } while (0)
#define cr_assert_not(c, ...) cr_assert(!(c))
#define cr_assert_eq(a, b, ...)  cr_assert((a) == (b))
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b))
#define cr_assert_lt(a, b, ...)  cr_assert((a) < (b))
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b))
#define cr_assert_gt(a, b, ...)  cr_assert((a) > (b))
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b))
#define cr_assert_null(p, ...)     cr_assert((p) == NULL)
#define cr_assert_not_null(p, ...) cr_assert((p) != NULL)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0)
#define cr_assert_float_eq(a, b, e, ...) \
	cr_assert(((a) - (b)) <= (e) && ((b) - (a)) <= (e))
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
#endif
