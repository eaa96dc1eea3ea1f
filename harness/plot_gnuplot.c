/*
 * harness/plot_gnuplot.c - the gnuplot process: one chart script run
 * for one format, told the labels on its command line, its image read
 * from its standard output into a file published whole, and stopped
 * with contend on a stop signal.
 */
#define _GNU_SOURCE		/* pipe2, ppoll */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/outfile.h"
#include "harness/plot_gnuplot.h"
#include "harness/runner.h"

/* Text from the CSV goes into a gnuplot command line: keep only
 * characters that cannot end its quoted string or start a command. */
void plot_safe(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 1 < len; src++) {
		char c = *src;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || strchr("._:+-=,()/% ", c);
		dst[o++] = ok ? c : '_';
	}
	dst[o] = '\0';
}

/* n labels in sorted order as one gnuplot string of quoted words, for
 * word(list, i). */
static void plot_words(char *dst, size_t len, char names[][PLOT_LABEL], const int *order, int n)
{
	size_t off = 0;

	dst[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		char safe[PLOT_LABEL];

		plot_safe(safe, sizeof(safe), names[order[i]]);
		off += (size_t)snprintf(dst + off, len - off, "%s\"%s\"", i ? " " : "", safe);
	}
}

/*
 * Run gnuplot on script for one format, its image on gnuplot's standard
 * output, and write that to out (temporary file and rename): a full disk
 * or a gnuplot that fails leaves no half-drawn chart.  A stop signal
 * (SIGINT, SIGTERM, SIGHUP: runner_install_signals) while it draws kills
 * it and leaves no image either.  0, an enum plot_gp, or -errno.
 */
int plot_gnuplot(const char *script, const char *dat, const char *fmt, const char *out,
		 const struct plot_axes *ax, const struct plot_vars *pv)
{
	static char expr[2 * PATH_MAX + 6 * PLOT_MAX * PLOT_LABEL + PLOT_MAX * PLOT_MAX * 4 + 1024];
	static char series[2 * PLOT_MAX * PLOT_LABEL], groups[2 * PLOT_MAX * PLOT_LABEL];
	char buf[65536];
	struct outfile *w;
	sigset_t stop, old;
	size_t total = 0;
	int fds[2], status, ret = 0;
	pid_t pid;

	plot_words(series, sizeof(series), (char (*)[PLOT_LABEL])ax->series, ax->order_s, ax->ns);
	plot_words(groups, sizeof(groups), (char (*)[PLOT_LABEL])ax->groups, ax->order_g, ax->ng);
	snprintf(expr, sizeof(expr),
		 "datafile='%s'; fmt='%s'; nseries=%d; ngroups=%d; npanels=%d; series='%s'; "
		 "groups='%s'; panels='%s'; members='%s'; subtitle='%s'; machine='%s'; unit='%s'; "
		 "ncpus=%d", dat, fmt, ax->ns, ax->ng, ax->ng, series, groups, groups, ax->members,
		 pv->subtitle, pv->machine, pv->unit, pv->ncpus);
	if (!(w = outfile_open(out)))
		return -errno;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ret = -errno;
		outfile_abort(w);
		return ret;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		outfile_abort(w);
		return ret;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execlp("gnuplot", "gnuplot", "-e", expr, script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* The stop signals are let in only inside ppoll(), so that one
	 * landing between the look at the flag and the wait is not lost
	 * until gnuplot happens to finish (it is told nothing: a SIGTERM
	 * is sent to contend alone). */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	while (!runner_interrupted) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (ppoll(&pfd, 1, NULL, &old) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		if (outfile_write(w, buf, (size_t)n) < 0)
			break;		/* the commit below reports it */
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[0]);
	if (runner_interrupted)
		kill(pid, SIGKILL);	/* a renderer: nothing of its own to save */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			outfile_abort(w);
			return -errno;
		}
	if (runner_interrupted) {
		outfile_abort(w);
		return PLOT_GP_STOPPED;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		outfile_abort(w);
		return PLOT_GP_MISSING;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total == 0) {
		outfile_abort(w);
		return PLOT_GP_FAILED;
	}
	return outfile_commit(w);
}
