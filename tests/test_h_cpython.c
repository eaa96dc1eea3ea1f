/*
 * tests/test_h_cpython.c - the real-Python rows' interpreter dies with
 * contend (bench/cpython.c): contend killed with SIGKILL while python3
 * is deep in a round's work leaves no python3 running.  This process
 * makes itself the subreaper of what contend started, so that whatever
 * contend's death orphans comes back to it to be reaped (or, when the
 * bug is back, killed, so that the test leaves nothing behind either).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/h_util.h"

/* How long the test waits for what must happen at once; a bound on a
 * hang, not a timing: the work it waits out takes hours. */
#define CPY_DEADLINE_MS 30000
/* python3's CPU time, in clock ticks, that says it is in the round's
 * countdown (its start-up takes a tenth of this here). */
#define CPY_BUSY_TICKS 30

static void cpy_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* /proc/<pid>/stat's parent and CPU ticks (user + system); -1 if gone. */
static int cpy_stat(pid_t pid, pid_t *ppid, unsigned long *ticks)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	int fd, ppid_i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* After the command's closing parenthesis: state, ppid, ... */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid_i, &ut,
		   &st) != 3)
		return -1;
	*ppid = ppid_i;
	*ticks = ut + st;
	return 0;
}

/* Whether pid's second word on its command line is "-c" (an
 * interpreter given a script; contend's own processes say "run"). */
static int cpy_is_script(pid_t pid)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strlen(buf) + 3 < (size_t)n && strcmp(buf + strlen(buf) + 1, "-c") == 0;
}

/* A descendant of top running a script, with at least CPY_BUSY_TICKS
 * of CPU time; 0 if none yet. */
static pid_t cpy_busy_python(pid_t top)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	cr_assert_not_null(d);
	while (!found && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name), up = pid, pp;
		unsigned long ticks, t;

		if (pid <= 0 || cpy_stat(pid, &pp, &ticks) < 0 || ticks < CPY_BUSY_TICKS ||
		    !cpy_is_script(pid))
			continue;
		for (int depth = 0; depth < 4 && up > 1; depth++) {
			if (cpy_stat(up, &pp, &t) < 0)
				break;
			if (pp == top) {
				found = pid;
				break;
			}
			up = pp;
		}
	}
	closedir(d);
	return found;
}

/* Start contend with argv, its output thrown away; it dies with us. */
static pid_t cpy_start_contend(char *const argv[])
{
	pid_t me = getpid(), pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(127);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(cli_bin(), argv);
		_exit(127);
	}
	return pid;
}

/*
 * Run `row` with a countdown that takes hours, wait until python3 is in
 * it, SIGKILL contend: the interpreter must die too (by SIGKILL, its
 * parent-death signal), not count on as an orphan.
 */
static void cpy_killed_contend_leaves_no_python(const char *row)
{
	char *argv[] = { (char *)cli_bin(), "run", (char *)row, "--threads", "1", "--param",
			 "n=1000000000000", "--reps", "1", "--counters", "none", "--timeout",
			 "600", NULL };
	pid_t contend, py = 0, got;
	int status = 0, py_status = -1;

	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	contend = cpy_start_contend(argv);
	for (int ms = 0; !py && ms < CPY_DEADLINE_MS; ms += 20) {
		if (waitpid(contend, &status, WNOHANG) == contend) {
			cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				  "%s: contend failed before python3 was busy (status %#x)", row,
				  status);
			cr_skip_test("%s: contend ended without running python3 (none here?)", row);
		}
		if (!(py = cpy_busy_python(contend)))
			cpy_sleep_ms(20);
	}
	cr_assert_neq(py, 0, "%s: no python3 child of contend got busy", row);
	cr_assert_eq(kill(contend, SIGKILL), 0);
	cr_assert_eq(waitpid(contend, &status, 0), contend);
	/* Reap what comes back to us (the runner, python3) until python3
	 * is among it, or the deadline says it lives on. */
	for (int ms = 0; py_status < 0 && ms < CPY_DEADLINE_MS;) {
		while ((got = waitpid(-1, &status, WNOHANG)) > 0)
			if (got == py)
				py_status = status;
		if (py_status < 0) {
			cpy_sleep_ms(20);
			ms += 20;
		}
	}
	if (py_status < 0) {
		kill(py, SIGKILL);
		while (waitpid(-1, NULL, 0) > 0)
			;
	}
	/* The TSan build's runner runs every test in this one process. */
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	cr_assert_geq(py_status, 0, "%s: python3 (pid %d) outlived a contend killed with SIGKILL",
		      row, (int)py);
	cr_assert(WIFSIGNALED(py_status) && WTERMSIG(py_status) == SIGKILL,
		  "%s: python3 ended, but not by its parent-death signal (status %#x)", row,
		  py_status);
}

/* gil.cpython.*: the interpreter is started by the task's thread. */
Test(cpython, killed_contend_leaves_no_python_gil, .timeout = 120)
{
	cpy_killed_contend_leaves_no_python("gil.cpython.cpu");
}

/* ptc.cpython.*: by task 0, with a pool of Python threads in it. */
Test(cpython, killed_contend_leaves_no_python_ptc, .timeout = 120)
{
	cpy_killed_contend_leaves_no_python("ptc.cpython.cpu.thread");
}

/* ---- the interpreter's line protocol (bench/cpython.h), against a
 * stand-in that answers each command as told: every reference row's
 * count passes through cpython_ask_count ---- */

#include "bench/cpython.h"

/* Answers, per command's first word: the right answer, and each wrong
 * one that cpython_ask must refuse; fd3 writes to its descriptor 3. */
static const char cpy_fake_script[] =
	"while read c rest; do case $c in "
	"ping) echo \"ok ping\";; "
	"pingwith) echo \"ok pingwith and more\";; "
	"longer) echo \"ok longerword\";; "
	"other) echo \"ok ping\";; "
	"nook) echo \"fine nook\";; "
	"count) echo \"ok count $rest\";; "
	"twice) echo \"ok twice $rest $rest\";; "
	"none) echo \"ok none\";; "
	"word) echo \"ok word many\";; "
	"fd3) echo hello >&3; echo \"ok fd3\";; "
	"die) exit 0;; "
	"esac; done";

static int cpy_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * An answer is "ok <the command's first word>", then a space or the end
 * of its line: a different word, a word the command's is only the start
 * of, or no "ok" is -EIO.  A count is the one number after the word, the
 * number that "<cmd> <n>" asked about here; anything after it is -EIO.
 * Descriptor 3 reaches the child, and cpython_stop reaps it and closes
 * both ends (the open descriptors are as many as before the start).
 */
Test(cpython, the_line_protocol_holds_each_answer_to_its_command, .timeout = 30)
{
	char *const argv[] = { "/bin/sh", "-c", (char *)cpy_fake_script, NULL };
	struct cpython py;
	char ans[256], got[16] = { 0 };
	long long count = -1;
	int p3[2], before = cpy_open_fds();
	pid_t pid;

	cr_assert_eq(pipe2(p3, O_CLOEXEC), 0);
	cr_assert_eq(cpython_start(&py, argv, p3[1]), 0);
	close(p3[1]);
	pid = py.pid;
	cr_assert_gt(pid, 0);
	cr_assert_eq(cpython_ask(&py, "ping", ans, sizeof(ans)), 0);
	cr_assert_str_eq(ans, "ok ping\n");
	cr_assert_eq(cpython_ask(&py, "pingwith args", ans, sizeof(ans)), 0, "%s", ans);
	cr_assert_eq(cpython_ask(&py, "longer", ans, sizeof(ans)), -EIO, "ok longerword for longer");
	cr_assert_eq(cpython_ask(&py, "other", ans, sizeof(ans)), -EIO, "ok ping for other");
	cr_assert_eq(cpython_ask(&py, "nook", ans, sizeof(ans)), -EIO, "an answer without ok");
	cr_assert_eq(cpython_ask_count(&py, "count", 12345, &count), 0);
	cr_assert_eq(count, 12345, "count %lld for 12345", count);
	cr_assert_eq(cpython_ask_count(&py, "count", 0, &count), 0);
	cr_assert_eq(count, 0);
	cr_assert_eq(cpython_ask_count(&py, "twice", 7, &count), -EIO, "a count then more");
	cr_assert_eq(cpython_ask_count(&py, "none", 7, &count), -EIO, "no count");
	cr_assert_eq(cpython_ask_count(&py, "word", 7, &count), -EIO, "a word for a count");
	cr_assert_eq(cpython_ask(&py, "fd3", ans, sizeof(ans)), 0);
	cr_assert_eq(read(p3[0], got, sizeof(got) - 1), 6);
	cr_assert_str_eq(got, "hello\n", "descriptor 3 did not reach the child");
	close(p3[0]);
	/* A child that is gone: its answer is -EIO, not a hang or a count. */
	cr_assert_eq(cpython_ask(&py, "die", ans, sizeof(ans)), -EIO);
	cpython_stop(&py);
	cr_assert_eq(py.pid, 0);
	cr_assert_eq(py.in, -1);
	cr_assert_null(py.out);
	cr_assert(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD,
		  "cpython_stop left its child unreaped");
	cr_assert_eq(cpy_open_fds(), before, "cpython_start/stop left a descriptor open");
	cpython_stop(&py);	/* harmless twice */
}
