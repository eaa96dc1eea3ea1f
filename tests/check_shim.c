/*
 * tests/check_shim.c - the runner behind tests/check.h's stand-in for
 * Criterion, linked only into the ThreadSanitizer build.  Every test
 * runs in a forked child with alarm(timeout); the summary line is the
 * plain "N passed, N failed" that CI reads.
 */
#ifdef CONTEND_TEST_SHIM
#include <stdarg.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check.h"

static struct check_test *check_head;

void check_register(struct check_test *t)
{
	t->next = check_head;
	check_head = t;
}

void check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: assertion failed: %s ", file, line, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;

	for (struct check_test *t = check_head; t; t = t->next) {
		/* A filter argument "suite/name" or "suite" runs a subset. */
		char full[256];
		snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
		if (argc > 1 && argv[1][0] != '-' && strncmp(full, argv[1], strlen(argv[1])))
			continue;
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			alarm(t->timeout ? t->timeout : 120);
			t->fn();
			fflush(NULL);
			_exit(0);
		}
		int status;
		while (waitpid(pid, &status, 0) < 0)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			continue;
		}
		failed++;
		if (WIFSIGNALED(status))
			fprintf(stderr, "[FAIL] %s: %s\n", full,
				WTERMSIG(status) == SIGALRM ? "timed out" : strsignal(WTERMSIG(status)));
		else
			fprintf(stderr, "[FAIL] %s: exit %d\n", full, WEXITSTATUS(status));
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif
