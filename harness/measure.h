/*
 * harness/measure.h - internal to the runner: what the runner child does
 * with one configuration (set up, spawn the team, calibrate, warm up,
 * measure, count, check, tear down), and the record it fills for the
 * parent in shared memory.
 */
#ifndef CONTEND_MEASURE_H
#define CONTEND_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hist.h"
#include "harness/runner.h"

/* Lives in a MAP_SHARED mapping that the parent made before the fork;
 * the result's arrays follow it (measure_layout). */
struct measure_record {
	char stage[64];		/* what the runner was doing, for the watchdog */
	struct runner_result res;
};

/*
 * Point each array of res (RUNNER_ARRAYS) into `mem`, one after the
 * other, and set res->nvalues, res->nhists and res->arrays; with mem
 * NULL, only count.  Returns the bytes the arrays take.  mem must be
 * aligned for every type of the list: malloc's memory is, and so is the
 * end of a record in its mapping.
 */
size_t measure_layout(struct runner_result *res, const struct runner_config *cfg, void *mem);

/* The bytes of a record with its arrays. */
size_t measure_record_size(const struct runner_config *cfg);

/*
 * Whether the runner checks, after teardown, that the workload left no
 * thread running (it always checks for child processes).  Not under
 * ThreadSanitizer, which starts a thread of its own in the runner at
 * the first pthread_create, after the runner has noted its threads.
 */
#if defined(__SANITIZE_THREAD__)
#define MEASURE_CHECKS_THREADS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MEASURE_CHECKS_THREADS 0
#endif
#endif
#ifndef MEASURE_CHECKS_THREADS
#define MEASURE_CHECKS_THREADS 1
#endif

/*
 * A collapsing round (bench.h, end_round): a run() round still running
 * at MEASURE_COLLAPSE_FACTOR times the round length calibration aims at
 * (--min-time), and at least MEASURE_COLLAPSE_MIN_S, is ended early and
 * the configuration reported skipped, naming the limit and the rate the
 * round fell to.  A healthy round is never near it: calibration aims at
 * the target and a round four times too long already shrinks the next;
 * a collapse (each FIFO hand-off waiting a time slice for a task off its
 * processor) stretches a round thousands of times.  The limit keeps a
 * configuration well inside the sweep presets' budgets (20 s quick:
 * 2 s a round; 30 s full: 5 s).
 */
#define MEASURE_COLLAPSE_FACTOR 100
#define MEASURE_COLLAPSE_MIN_S 1.0

/* Everything the runner child does; the outcome is in r. */
void measure_config(const struct runner_config *cfg, struct measure_record *r);

#endif
