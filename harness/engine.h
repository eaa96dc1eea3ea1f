/*
 * harness/engine.h - from parsed options to results: select benchmarks,
 * expand configurations (mode x placement x tasks x parameters), check
 * that every placement can be honoured, shuffle, run each through the
 * runner with a progress line, and collect a report.
 */
#ifndef CONTEND_ENGINE_H
#define CONTEND_ENGINE_H

#include "harness/cli.h"
#include "harness/report.h"

/* Defaults that a sweep passes down to each of its plan lines. */
struct engine_defaults {
	int reps;
	double min_time, timeout;
	int quick;
};

/*
 * Expand and run what `a` asks (a->pos are benchmark patterns) and
 * append the outcome to r.  Returns 0 when everything ran (some
 * configurations may have failed: see report_failures), 1 if the user
 * interrupted (completed entries are kept), or -EINVAL after printing
 * one line for bad input (nothing has run then).
 */
int engine_run(const struct cli_args *a, const struct engine_defaults *d, struct report *r,
	       unsigned long long seed);

/* Benchmarks matching a glob, in registry order; count or -EINVAL with
 * err set for a pattern that matches nothing. */
int engine_select(const char *pattern, const struct bench_desc **out, int max,
		  char *err, size_t errlen);

#endif
