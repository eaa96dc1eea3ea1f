/*
 * tests/check_shim.c - the runner behind tests/check.h's stand-in for
 * Criterion, linked only into the ThreadSanitizer build.  Every test runs
 * in a forked child that leads a process group of its own; the runner
 * enforces the test's timeout itself and, when the test ends for whatever
 * reason, kills what is left of the group, so a deadlocked test is a
 * named failure within its own limit and leaves no process behind.  The
 * summary line is the plain "N passed, N failed" that CI reads.
 */
#ifdef CONTEND_TEST_SHIM
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/check.h"

/* Criterion's default when a test sets none. */
#define CHECK_DEFAULT_TIMEOUT_S	120
/* How often the runner looks whether a test has ended: short beside any
 * test, long enough not to compete with it for the CPU. */
#define CHECK_POLL_NS		2000000

static struct check_test *check_head;

void check_register(struct check_test *t)
{
	t->next = check_head;
	check_head = t;
}

void check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: assertion failed: %s", file, line, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

void check_skip(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: skipped: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(0);
}

static double check_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait for the test child `pid` to end, for at most timeout_s seconds,
 * without reaping it: while it is a zombie its pid, and so its process
 * group's id, cannot be reused, so the group can still be killed safely.
 * Returns 1 when it ended, 0 when the time ran out.
 */
static int check_wait(pid_t pid, unsigned timeout_s)
{
	const struct timespec poll = { 0, CHECK_POLL_NS };
	double deadline = check_now_s() + timeout_s;

	for (;;) {
		siginfo_t si = { .si_pid = 0 };

		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
			if (si.si_pid == pid)
				return 1;
		} else if (errno != EINTR) {
			perror("waitid");
			exit(2);
		}
		if (check_now_s() >= deadline)
			return 0;
		nanosleep(&poll, NULL);
	}
}

/* Run one test in its own process group; returns 1 if it passed. */
static int check_run(struct check_test *t, const char *full)
{
	unsigned timeout = t->timeout ? t->timeout : CHECK_DEFAULT_TIMEOUT_S;
	int status, ended;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		/* Its own group, so that the runner can end all it starts. */
		setpgid(0, 0);
		t->fn();
		fflush(NULL);
		_exit(0);
	}
	/* Also here: the runner must not signal a group that is not yet. */
	setpgid(pid, pid);
	ended = check_wait(pid, timeout);
	/* Whatever happened, nothing the test started may stay behind. */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			exit(2);
		}
	if (!ended) {
		fprintf(stderr, "[FAIL] %s: timed out after %u s\n", full, timeout);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (WIFSIGNALED(status))
		fprintf(stderr, "[FAIL] %s: %s\n", full, strsignal(WTERMSIG(status)));
	else
		fprintf(stderr, "[FAIL] %s: exit %d\n", full, WEXITSTATUS(status));
	return 0;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;

	if (check_hook_start)
		check_hook_start();
	for (struct check_test *t = check_head; t; t = t->next) {
		/* A filter argument "suite/name" or "suite" runs a subset. */
		char full[256];

		snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
		if (argc > 1 && argv[1][0] != '-' && strncmp(full, argv[1], strlen(argv[1])))
			continue;
		if (check_run(t, full)) {
			passed++;
			continue;
		}
		failed++;
		if (check_hook_failed)
			check_hook_failed(full);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif
