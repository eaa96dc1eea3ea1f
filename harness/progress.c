/*
 * harness/progress.c - configuration i of n, elapsed and left, on stderr:
 * redrawn in place on a terminal, one plain line each elsewhere.  See
 * progress.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/progress.h"

/* When the terminal does not say how wide it is. */
#define PROGRESS_WIDTH 80

void progress_init(struct progress *g, int total, double expect_total_s)
{
	const char *how = getenv("CONTEND_PROGRESS");
	struct winsize ws;

	memset(g, 0, sizeof(*g));
	g->total = total;
	g->expect_total_s = expect_total_s;
	g->t0_ns = clk_mono_ns();
	g->tty = isatty(STDERR_FILENO) && !(how && strcmp(how, "plain") == 0);
	g->width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col
									    : PROGRESS_WIDTH;
}

double progress_elapsed_s(const struct progress *g)
{
	return (double)(clk_mono_ns() - g->t0_ns) * 1e-9;
}

double progress_left_s(const struct progress *g)
{
	double rest = g->expect_total_s - g->expect_done_s, scale = 1;

	if (g->done >= g->total || rest <= 0)
		return 0;
	/* How this machine ran what is done, against the estimate: a
	 * loaded host or a slow workload stretches the rest alike. */
	if (g->expect_done_s > 0)
		scale = progress_elapsed_s(g) / g->expect_done_s;
	return rest * scale;
}

void progress_clock(double s, char *buf, size_t len)
{
	long long t = isfinite(s) && s > 0 ? llround(s) : 0;

	if (t >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lld:%02lld", t / 60, t % 60);
}

/* "0:12 elapsed, 2:31 left" */
static void progress_times(const struct progress *g, char *buf, size_t len)
{
	char el[32], left[32];

	progress_clock(progress_elapsed_s(g), el, sizeof(el));
	progress_clock(progress_left_s(g), left, sizeof(left));
	snprintf(buf, len, "%s elapsed, %s left", el, left);
}

void progress_begin(struct progress *g, const char *what)
{
	char times[80], line[1024];

	snprintf(g->what, sizeof(g->what), "%s", what);
	if (!g->tty) {
		fprintf(stderr, "contend: [%d/%d] %s ... ", g->done + 1, g->total, what);
		fflush(stderr);
		return;
	}
	progress_times(g, times, sizeof(times));
	snprintf(line, sizeof(line), "contend: [%d/%d %s] %s", g->done + 1, g->total, times,
		 what);
	/* One screen line: a wrapped one could not be drawn over with \r. */
	if ((int)strlen(line) >= g->width && g->width < (int)sizeof(line))
		line[g->width - 1] = '\0';
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	g->drawn = 1;
}

void progress_end(struct progress *g, double expect_s, const char *outcome, int keep)
{
	char times[80];

	g->done++;
	g->expect_done_s += expect_s;
	if (!g->tty) {
		progress_times(g, times, sizeof(times));
		fprintf(stderr, "%s; %s\n", outcome, times);
		return;
	}
	if (keep) {
		/* The line that stays names the configuration whole and
		 * what became of it, as the plain form does. */
		fprintf(stderr, "\r\033[Kcontend: [%d/%d] %s ... %s\n", g->done, g->total,
			g->what, outcome);
		g->drawn = 0;
	}
	fflush(stderr);
}

void progress_finish(struct progress *g)
{
	if (g->tty && g->drawn)
		fprintf(stderr, "\r\033[K");
	g->drawn = 0;
}
