/*
 * tests/test_prim_preempt.c - the preemption points the prim tests run
 * under (primitives/preempt.h), and the runner hooks that make a failure
 * under them replayable.
 *
 * Before the first test the runner fixes one seed: PRIM_PREEMPT_SEED if
 * the caller set it, else a random one, exported so that every test
 * process inherits it (Criterion's workers and the TSan shim's children
 * both take the runner's environment).  After a failed or crashed test it
 * prints that seed and the command line that runs the test again with it.
 *
 * The tests here prove that the binary really runs against the library
 * built with points: a prim leg linked to the production library would
 * still pass every other test while exercising none of the windows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "primitives/preempt.h"
#include "primitives/sync.h"
#include "tests/check.h"

#ifndef CONTEND_TEST_SHIM
#include <criterion/hooks.h>
#endif

/* The seed the runner exported, for the failure notes. */
static char preempt_test_seed[24];
/* The binary, for the replay line. */
static char preempt_test_self[512] = "prim-tests";

/* In the runner, before any test: fix the seed and export it. */
static void preempt_test_choose_seed(void)
{
	const char *s = getenv(PRIM_PREEMPT_SEED_ENV);
	ssize_t n = readlink("/proc/self/exe", preempt_test_self,
			     sizeof(preempt_test_self) - 1);

	if (n > 0)
		preempt_test_self[n] = '\0';
	if (s && *s) {
		snprintf(preempt_test_seed, sizeof(preempt_test_seed), "%s", s);
	} else {
		uint64_t seed;

		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
			seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		snprintf(preempt_test_seed, sizeof(preempt_test_seed),
			 "%" PRIu64, seed);
		setenv(PRIM_PREEMPT_SEED_ENV, preempt_test_seed, 1);
	}
	fprintf(stderr, "prim-tests: preemption points seeded with %s=%s\n",
		PRIM_PREEMPT_SEED_ENV, preempt_test_seed);
}

/* In the runner, after a test failed: how to run it again. */
static void preempt_test_failed(const char *suite, const char *name,
				const char *filter_opt)
{
	fprintf(stderr, "prim-tests: %s/%s failed with %s=%s; replay: "
		"%s=%s %s %s%s/%s\n", suite, name, PRIM_PREEMPT_SEED_ENV,
		preempt_test_seed, PRIM_PREEMPT_SEED_ENV, preempt_test_seed,
		preempt_test_self, filter_opt, suite, name);
}

#ifdef CONTEND_TEST_SHIM
void check_hook_start(void)
{
	preempt_test_choose_seed();
}

void check_hook_failed(const char *test)
{
	const char *slash = strchr(test, '/');
	char suite[128];

	snprintf(suite, sizeof(suite), "%.*s",
		 slash ? (int)(slash - test) : (int)strlen(test), test);
	preempt_test_failed(suite, slash ? slash + 1 : "", "");
}
#else
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	preempt_test_choose_seed();
}

/* A crash is reported through TEST_CRASH only, every other end here. */
ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
	if (st->test_status == CR_STATUS_FAILED)
		preempt_test_failed(st->test->category, st->test->name,
				    "--filter ");
}

ReportHook(TEST_CRASH)(struct criterion_test_stats *st)
{
	preempt_test_failed(st->test->category, st->test->name, "--filter ");
}
#endif

/* The binary and its test objects were built for the points. */
Test(prim_preempt, built_with_points, .timeout = 10)
{
#ifndef PRIM_PREEMPT
	cr_assert(0, "prim tests compiled without -DPRIM_PREEMPT");
#endif
}

/*
 * The library's own code reaches its points: Event.set and clear run
 * through a few of them each, and about one point in eight spins or
 * yields, so 2000 rounds without one taken would mean the library was
 * built without them (or the draws are broken).
 */
Test(prim_preempt, library_takes_points, .timeout = 30)
{
	struct sync_event e;
	uint64_t before = prim_preempt_taken();

	sync_event_init(&e, 0);
	for (int i = 0; i < 2000; i++) {
		sync_event_set(&e);
		sync_event_clear(&e);
	}
	cr_assert_gt(prim_preempt_taken(), before,
		     "no preemption point of the library was taken");
	/* ... and not always: most draws do nothing. */
	cr_assert_lt(prim_preempt_taken() - before, 2000,
		     "every preemption point was taken");
}

/* Every process of the run uses the seed the runner announced. */
Test(prim_preempt, seed_comes_from_the_runner, .timeout = 10)
{
	const char *s = getenv(PRIM_PREEMPT_SEED_ENV);
	char *end;
	uint64_t want;

	cr_assert(s && *s, "the runner exported no %s", PRIM_PREEMPT_SEED_ENV);
	errno = 0;
	want = strtoull(s, &end, 10);
	cr_assert(!errno && !*end, "%s=%s", PRIM_PREEMPT_SEED_ENV, s);
	cr_assert_eq(prim_preempt_seed(), want);
}
