/*
 * harness/history.h - `contend history`: a results history per machine,
 * timelines, and persistent shifts found by change-point detection.
 *
 *   contend history append HISTDIR RUNDIR   RUNDIR's results onto
 *                                          HISTDIR/<host>.csv
 *   contend history check FILE              the shifts of every series,
 *                                          exit 1 when there is one
 *   contend history plot FILE DIR           a timeline PNG per series
 *
 * A series is one (bench, mode, placement, threads, params, metric) in
 * the order its runs were appended; its points are the runs' medians.
 */
#ifndef CONTEND_HISTORY_H
#define CONTEND_HISTORY_H

#include <stddef.h>

/* A persistent shift must last this many points on each side: one
 * spike can then never be a segment of its own (see below). */
#define HISTORY_MIN_SEGMENT 3

/*
 * Change points of x[0..n) by PELT (Killick, Fearnhead and Eckley 2012):
 * the segmentation minimising the sum over segments of
 *     sum |x_i - median(segment)| / scale
 * plus `penalty` per change point, every segment at least min_seg long;
 * exact, with PELT's pruning (valid since splitting a segment never
 * raises this cost).  The absolute deviation from the segment's median
 * is the cost of a Laplace model: an outlier in a segment of 3 or more
 * moves neither its median nor the cost of keeping it there, so single
 * spikes are never worth a change point, while a step of a few scales
 * held over min_seg points is.  scale is the noise's (history_scale()).
 * The first index of each new segment goes into cps (ascending, at most
 * max); returns how many there are, or -ENOMEM / -EINVAL (n > 0 with
 * scale <= 0, min_seg 0).
 */
int history_changepoints(const double *x, size_t n, size_t min_seg, double scale,
			 double penalty, size_t *cps, size_t max);

/*
 * The noise scale of a series, robustly: the median absolute
 * difference between neighbours over 0.6745 sqrt 2 (a normal series'
 * sigma; a step or spike changes only one or two differences), and at
 * least half_ci, the typical half-width of a point's own 95 % interval
 * over 1.96 (so that a series that happens to sit still is not judged
 * against zero noise).  Positive whenever some x or half_ci is nonzero.
 */
double history_scale(const double *x, size_t n, double half_ci);

/* The penalty history check uses for a series of n points: 3 ln n
 * scales (BIC's order, more conservative by half). */
double history_penalty(size_t n);

/* argv: the arguments after "history".  Exit status as above; 2 for bad
 * input. */
int cmd_history(int argc, char **argv);

#endif
