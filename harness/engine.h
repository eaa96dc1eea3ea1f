/*
 * harness/engine.h - from parsed options to results: select benchmarks,
 * expand configurations (mode x placement x tasks x parameters), check
 * that every placement can be honoured and every parameter is valid,
 * then shuffle and run each through the runner with a progress line.
 *
 * Planning and running are separate so that a sweep can check every
 * line of its plan before it runs the first.
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

struct engine_plan;

/*
 * Expand what `a` asks (a->pos are benchmark patterns).  0 with *out set,
 * -EINVAL with one sentence in err for bad input, -ENOMEM.  Notices
 * (skipped placements, ignored options) wait in the plan until it runs,
 * so that bad input prints nothing else.
 */
int engine_plan(const struct cli_args *a, const struct engine_defaults *d,
		struct engine_plan **out, char *err, size_t errlen);

/* Run a plan in an order shuffled by seed, appending to r.  0 when every
 * configuration was attempted (some may have failed: report_failures),
 * 1 when the user interrupted (completed entries are kept), -errno when
 * the runner could not be started. */
int engine_exec(struct engine_plan *p, struct report *r, unsigned long long seed);
void engine_plan_free(struct engine_plan *p);

/* Benchmarks matching a glob, in registry order; count, or -EINVAL with
 * err set for a pattern that matches nothing. */
int engine_select(const char *pattern, const struct bench_desc **out, int max,
		  char *err, size_t errlen);

#endif
