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
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "primitives/lock_mcs.h"
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

/*
 * Thinned to one in 2^4, the same work takes about a sixteenth of the
 * points it took at full rate: some (a long run's windows still widen),
 * and at most a quarter (the thinning is in force); 0 restores the rate.
 */
Test(prim_preempt, thinning_takes_fewer_points, .timeout = 30)
{
	struct sync_event e;
	uint64_t full, thin, again, t0;

	sync_event_init(&e, 0);
	for (int pass = 0; pass < 3; pass++) {
		prim_preempt_thin(pass == 1 ? 4 : 0);
		t0 = prim_preempt_taken();
		for (int i = 0; i < 20000; i++) {
			sync_event_set(&e);
			sync_event_clear(&e);
		}
		t0 = prim_preempt_taken() - t0;
		if (pass == 0)
			full = t0;
		else if (pass == 1)
			thin = t0;
		else
			again = t0;
	}
	cr_assert_gt(full, 400, "%llu points taken at full rate", (unsigned long long)full);
	cr_assert_gt(thin, 0, "no point taken when thinned");
	cr_assert_lt(thin * 4, full, "thinned %llu, full %llu", (unsigned long long)thin,
		     (unsigned long long)full);
	cr_assert_gt(again * 2, full, "full rate again: %llu against %llu",
		     (unsigned long long)again, (unsigned long long)full);
}

/* Every process of the run uses the seed the runner announced. */
Test(prim_preempt, seed_comes_from_the_runner, .timeout = 10)
{
	/* The library's reading first: it refuses a bad seed itself. */
	uint64_t got = prim_preempt_seed(), want;
	const char *s = getenv(PRIM_PREEMPT_SEED_ENV);
	char *end;

	cr_assert(s && *s, "the runner exported no %s", PRIM_PREEMPT_SEED_ENV);
	errno = 0;
	want = strtoull(s, &end, 10);
	cr_assert(!errno && !*end, "%s=%s", PRIM_PREEMPT_SEED_ENV, s);
	cr_assert_eq(got, want);
}

/*
 * Every atomic of the library is a point (primitives/atomic.h): an MCS
 * acquire of a free lock is three atomics (two stores, the exchange that
 * finds no predecessor) and its release two (the load of next and the
 * CAS that empties the queue), so one round passes exactly five.
 */
Test(prim_preempt, every_atomic_is_a_point, .timeout = 10)
{
	static struct lock_mcs lock;
	static struct lock_mcs_node node;
	uint64_t before;

	cr_assert_eq(lock_mcs_init(&lock, 0, 1), 0);
	before = prim_preempt_atomics();
	lock_mcs_acquire(&lock, &node);
	lock_mcs_release(&lock, &node);
	cr_assert_eq(prim_preempt_atomics() - before, 5,
		     "an MCS round passed %" PRIu64 " atomic points, not 5",
		     prim_preempt_atomics() - before);
}

/* Whether text[i] starts an identifier (is not in the middle of one). */
static int preempt_test_word_start(const char *text, size_t i)
{
	char c = i ? text[i - 1] : ' ';

	return !(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		 (c >= 'A' && c <= 'Z'));
}

/*
 * The first atomic in `text` that bypasses primitives/atomic.h (a GCC
 * __atomic builtin or a C11 atomic_*() function, outside comments and
 * strings), or NULL.
 */
static const char *preempt_test_bare_atomic(char *text)
{
	/* Blank out comments and literals, keeping the rest in place. */
	for (char *c = text; *c; c++) {
		if (c[0] == '/' && c[1] == '*') {
			char *e = strstr(c + 2, "*/");
			char *end = e ? e + 2 : c + strlen(c);

			memset(c, ' ', (size_t)(end - c));
			c = end - 1;
		} else if (c[0] == '/' && c[1] == '/') {
			while (*c && *c != '\n')
				*c++ = ' ';
			c--;
		} else if (*c == '"' || *c == '\'') {
			char q = *c;

			for (c++; *c && *c != q; c++)
				if (*c == '\\' && c[1])
					*c++ = ' ';
			if (!*c)
				break;
		}
	}
	for (size_t i = 0; text[i]; i++) {
		size_t j = i;

		if (!preempt_test_word_start(text, i))
			continue;
		if (!strncmp(text + i, "__atomic_", 9))
			return text + i;
		if (strncmp(text + i, "atomic_", 7))
			continue;
		/* A C11 call (atomic_load_explicit(...)), not a type. */
		while (!preempt_test_word_start(text, ++j))
			;
		/* text[j - 1] is the first character after the name. */
		while (text[j - 1] == ' ' || text[j - 1] == '\t')
			j++;
		if (text[j - 1] == '(')
			return text + i;
	}
	return NULL;
}

/*
 * No file of primitives/ bypasses the wrappers, so no atomic of a protocol
 * escapes the points.  Exempt: the wrappers themselves, the points' own
 * counters, and the Concurrency Kit adapters, whose atomics are ck's.
 */
Test(prim_preempt, no_atomic_bypasses_the_points, .timeout = 10)
{
	static const char *const exempt[] = {
		"atomic.h", "preempt.c", "lock_ck.h", "ring_ck.h",
	};
	const char *dir = CONTEND_SOURCE_DIR "/primitives";
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0;

	cr_assert(d, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name), len;
		char path[1024], *text;
		const char *bare;
		int skip = 0;
		FILE *f;

		if (n < 3 || (strcmp(de->d_name + n - 2, ".c") &&
			      strcmp(de->d_name + n - 2, ".h")))
			continue;
		for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++)
			skip |= !strcmp(de->d_name, exempt[i]);
		if (skip)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		cr_assert(f, "%s: %s", path, strerror(errno));
		text = calloc(1, 1 << 20);
		cr_assert(text);
		len = fread(text, 1, (1 << 20) - 1, f);
		fclose(f);
		cr_assert_lt(len, (size_t)(1 << 20) - 1, "%s: too long", path);
		bare = preempt_test_bare_atomic(text);
		cr_expect(!bare, "%s: a bare atomic, not a primitives/atomic.h "
			  "wrapper: %.40s", path, bare);
		free(text);
		files++;
	}
	closedir(d);
	cr_assert_gt(files, 10, "read only %d files of %s", files, dir);
}

/* This binary run again with PRIM_PREEMPT_SEED=seed, on the one test
 * seed_comes_from_the_runner: its exit status, its stderr in err. */
static int preempt_run_with_seed(const char *seed, char *err, size_t len)
{
	int fds[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		setenv(PRIM_PREEMPT_SEED_ENV, seed, 1);
		unsetenv("BXFI_MAP");	/* a runner of its own, not Criterion's worker */
#ifdef CONTEND_TEST_SHIM
		execl("/proc/self/exe", "prim-tests", "prim_preempt/seed_comes_from_the_runner",
		      (char *)NULL);
#else
		execl("/proc/self/exe", "prim-tests", "--filter",
		      "prim_preempt/seed_comes_from_the_runner", (char *)NULL);
#endif
		_exit(127);
	}
	close(fds[1]);
	while (got + 1 < len && (n = read(fds[0], err + got, len - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A seed that is not a decimal number below 2^64 (a sign, junk, one
 * past the largest) is a bad invocation: said, and the run fails; the
 * largest is a seed like any other. */
Test(prim_preempt, a_bad_seed_is_refused, .timeout = 60)
{
	static const char *const bad[] = { "-1", "12x", "18446744073709551616" };
	static char err[1 << 16];
	char want[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_neq(preempt_run_with_seed(bad[i], err, sizeof(err)), 0,
			      "seed %s accepted: %s", bad[i], err);
		snprintf(want, sizeof(want), "%s=%s is not a decimal number below 2^64",
			 PRIM_PREEMPT_SEED_ENV, bad[i]);
		cr_assert(strstr(err, want), "seed %s: %s", bad[i], err);
	}
	cr_assert_eq(preempt_run_with_seed("18446744073709551615", err, sizeof(err)), 0, "%s",
		     err);
}
