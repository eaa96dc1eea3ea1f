/*
 * harness/progress.h - where a run of many configurations stands, on
 * stderr: configuration i of n, the time elapsed, and the time left.
 *
 * The time left is the expected cost of the configurations still to run
 * (engine.c's estimate from repetitions, --min-time and the rounds each
 * workload adds) scaled by how the configurations done so far compared
 * with their own estimate on this machine: an honest figure that learns,
 * not a count of configurations times an average.
 *
 * On a terminal one line is redrawn in place while a configuration runs
 * and only what needs a reader's eye (a failure, a skip, an interruption)
 * stays on the screen; anywhere else (a file, a pipe, a CI log) each
 * configuration gets one plain line:
 *
 *   contend: [3/40] lock.mcs thread none tasks=2 cs_ns=0 ... ok (5822 iterations x 5, 0.4 s); 0:12 elapsed, 2:31 left
 */
#ifndef CONTEND_PROGRESS_H
#define CONTEND_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress {
	int done, total;		/* configurations */
	double expect_done_s;		/* the estimate of those done */
	double expect_total_s;		/* ... and of all of them */
	uint64_t t0_ns;
	int tty;			/* stderr is a terminal: redraw in place */
	int width;			/* its columns */
	int drawn;			/* a line waits there to be redrawn */
	char what[512];			/* the configuration running */
};

/* Start counting: `total` configurations expected to take
 * `expect_total_s` seconds in all.  Looks at whether stderr is a
 * terminal (CONTEND_PROGRESS=plain forces the plain lines). */
void progress_init(struct progress *g, int total, double expect_total_s);

/* Configuration done + 1 begins; `what` names it. */
void progress_begin(struct progress *g, const char *what);

/*
 * It ended with `outcome` ("ok (...)", "skipped: why"); it was expected
 * to take expect_s.  `keep`: on a terminal the line stays (a failure or
 * a skip); otherwise the next configuration draws over it.
 */
void progress_end(struct progress *g, double expect_s, const char *outcome, int keep);

/* The run stopped or finished: a terminal's redrawn line is cleared. */
void progress_finish(struct progress *g);

/* Seconds since progress_init, and the estimate of those left. */
double progress_elapsed_s(const struct progress *g);
double progress_left_s(const struct progress *g);

/* "m:ss", or "h:mm:ss" from an hour on, into buf. */
void progress_clock(double s, char *buf, size_t len);

#endif
