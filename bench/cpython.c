/*
 * bench/cpython.c - finding, starting, talking to and stopping the
 * machine's python3 (bench/cpython.h).
 */
#define _GNU_SOURCE
#include "bench/cpython.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where the child parks its descriptors before putting them in place:
 * above 0-3, so that one dup2 cannot overwrite a source another needs. */
#define CPYTHON_FD_PARK 16

/*
 * fork + exec argv, the child's descriptor i taken from fds[i] (-1:
 * inherited for 0-2, none for 3).  The child asks for SIGKILL when the
 * thread that forked it dies, then checks that its parent is still the
 * process that forked it: one that died in between would never send it.
 * 0 with *pid, or -errno (exec's, read back through a close-on-exec
 * pipe, so that "no such file" is the caller's to say).
 */
static int cpython_spawn(char *const argv[], const int fds[4], pid_t *pid)
{
	pid_t parent = getpid(), p;
	int err[2], e = 0;
	ssize_t n;

	if (pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	p = fork();
	if (p < 0) {
		e = errno;
		close(err[0]);
		close(err[1]);
		return -e;
	}
	if (p == 0) {
		int park[4];

		/* Only async-signal-safe calls from here: the parent may
		 * have other threads, holding locks this copy never frees. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		for (int i = 0; i < 4; i++)
			park[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD_CLOEXEC, CPYTHON_FD_PARK) : -1;
		for (int i = 0; i < 4; i++)
			if (fds[i] >= 0 && (park[i] < 0 || dup2(park[i], i) < 0))
				goto fail;
		execvp(argv[0], argv);
fail:
		e = errno;
		(void)!write(err[1], &e, sizeof(e));
		_exit(127);
	}
	close(err[1]);
	while ((n = read(err[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(err[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		return -e;
	}
	*pid = p;
	return 0;
}

/*
 * Run `p -c 'import <imports>'`, its standard error caught (a broken
 * interpreter must not write into the progress line): 0 if it exits 0,
 * else -1 with why, its last line of complaint in it.
 */
static int cpython_try(const char *p, const char *imports, char *why, size_t len)
{
	char code[128], out[4096], last[160] = "";
	char *argv[] = { (char *)p, "-c", code, NULL };
	int fds[4] = { -1, -1, -1, -1 }, pipefd[2], status = -1, r;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	snprintf(code, sizeof(code), "import %s", imports);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return snprintf(why, len, "%s", strerror(errno)), -1;
	if ((fds[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		snprintf(why, len, "/dev/null: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	fds[0] = fds[1];
	fds[2] = pipefd[1];
	r = cpython_spawn(argv, fds, &pid);
	close(fds[1]);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		snprintf(why, len, "cannot run it: %s", strerror(-r));
		return -1;
	}
	while ((n = read(pipefd[0], out + got, sizeof(out) - 1 - got)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (got += (size_t)n) == sizeof(out) - 1)
			got = 0;	/* keep reading to the end; the tail says why */
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	out[got] = '\0';
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		if (line[strspn(line, " \t\r")])
			snprintf(last, sizeof(last), ": %s", line);
	for (char *c = last; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';	/* one line, no terminal controls */
	if (WIFSIGNALED(status))
		snprintf(why, len, "'%s' was killed by %s%s", code, strsignal(WTERMSIG(status)),
			 last);
	else
		snprintf(why, len, "'%s' exited with status %d%s", code, WEXITSTATUS(status), last);
	return -1;
}

const char *cpython_find(const char *imports, char *why, size_t len)
{
	static const char *const tries[] = { "/usr/bin/python3", "python3" };
	const char *env = getenv("CONTEND_PYTHON");
	char cause[300] = "";

	if (env && env[0]) {
		if (cpython_try(env, imports, cause, sizeof(cause)) == 0)
			return env;
		snprintf(why, len, "CONTEND_PYTHON=%.100s: %s (name a python3 that imports %s, "
			 "or unset it)", env, cause, imports);
		return NULL;
	}
	for (int i = 0; i < 2; i++)
		if (cpython_try(tries[i], imports, cause, sizeof(cause)) == 0)
			return tries[i];
	/* Debian packages the two third-party modules the rows use. */
	snprintf(why, len, "no python3 that imports %s (%s; install python3%s, or set "
		 "CONTEND_PYTHON)", imports, cause,
		 strstr(imports, "gevent") ? "-gevent" : strstr(imports, "greenlet") ? "-greenlet"
		 : "");
	return NULL;
}

int cpython_start(struct cpython *py, char *const argv[], int fd3)
{
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, fds[4], r;

	py->pid = 0;
	py->in = -1;
	py->out = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to) < 0 ||
	    pipe2(from, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	fds[0] = to[0];
	fds[1] = from[1];
	fds[2] = -1;
	fds[3] = fd3;
	if ((r = cpython_spawn(argv, fds, &py->pid)) < 0)
		goto out;
	close(to[0]);
	close(from[1]);
	py->in = to[1];
	to[0] = to[1] = from[1] = -1;
	if (!(py->out = fdopen(from[0], "r"))) {
		r = -errno;
		cpython_stop(py);
		goto out;
	}
	return 0;
out:
	for (int i = 0; i < 2; i++) {
		if (to[i] >= 0)
			close(to[i]);
		if (from[i] >= 0)
			close(from[i]);
	}
	return r;
}

int cpython_ask(struct cpython *py, const char *cmd, char *answer, size_t len)
{
	size_t word = strcspn(cmd, " ");
	int n = snprintf(answer, len, "%s\n", cmd);

	if (n < 0 || (size_t)n >= len)
		return -EIO;
	for (int off = 0; off < n;) {
		ssize_t w = send(py->in, answer + off, (size_t)(n - off), MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		off += (int)w;
	}
	if (!py->out || !fgets(answer, (int)len, py->out))
		return -EIO;
	if (strncmp(answer, "ok ", 3) != 0 || strncmp(answer + 3, cmd, word) != 0 ||
	    (answer[3 + word] != ' ' && answer[3 + word] != '\n'))
		return -EIO;
	return 0;
}

int cpython_ask_count(struct cpython *py, const char *cmd, uint64_t n, long long *count)
{
	char line[256], answer[256];
	size_t word = strlen(cmd);
	int at = 0;

	snprintf(line, sizeof(line), "%s %llu", cmd, (unsigned long long)n);
	if (cpython_ask(py, line, answer, sizeof(answer)) < 0 ||
	    sscanf(answer + 3 + word, "%lld%n", count, &at) != 1 || answer[3 + word + at] != '\n')
		return -EIO;
	return 0;
}

void cpython_stop(struct cpython *py)
{
	if (py->in >= 0)
		close(py->in);	/* end of input: the script's loop ends, it exits */
	py->in = -1;
	if (py->out)
		fclose(py->out);
	py->out = NULL;
	while (py->pid > 0 && waitpid(py->pid, NULL, 0) < 0 && errno == EINTR)
		;
	py->pid = 0;
}

int cpython_task_start(struct bench_task *t, char *const argv[], int fd3)
{
	struct cpython *py = calloc(1, sizeof(*py));
	int r;

	if (!py)
		return -ENOMEM;
	if ((r = cpython_start(py, argv, fd3)) < 0) {
		free(py);
		return r;
	}
	t->local = py;
	return 0;
}

void cpython_task_fini(struct bench_task *t)
{
	struct cpython *py = t->local;

	if (!py)
		return;
	/* End of file on its stdin ends the script's loop; it closes what
	 * it opened and exits (its threads and processes are daemons). */
	cpython_stop(py);
	free(py);
	t->local = NULL;
}
