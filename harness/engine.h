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
 * (ignored options) wait in the plan until it runs, so that bad input
 * prints nothing else.  A default placement this machine cannot honour
 * becomes a skipped configuration; one the user asked for is an error.
 */
int engine_plan(const struct cli_args *a, const struct engine_defaults *d,
		struct engine_plan **out, char *err, size_t errlen);

/* How many configurations the plan holds. */
int engine_plan_size(const struct engine_plan *p);

/* The key "bench mode placement tasks params" of configuration i, the
 * one results are joined on. */
void engine_job_key(const struct engine_plan *p, int i, char *buf, size_t len);

/* Why configuration i cannot run here (a default placement the machine
 * lacks), or NULL; and whether its benchmark has a fixed task count
 * (so --threads does not select it). */
const char *engine_job_skip(const struct engine_plan *p, int i);
int engine_job_fixed_tasks(const struct engine_plan *p, int i);
/* Find two plans (or one plan twice) holding the same configuration:
 * 1 with *pa <= *pb and the key in what, else 0. */
int engine_find_duplicate(struct engine_plan *const *plans, int n, int *pa, int *pb,
			  char *what, size_t len);

/* Skip configuration i (already done, when resuming a sweep): it is
 * neither run nor reported. */
void engine_plan_drop(struct engine_plan *p, int i);

/* Run a plan in an order shuffled by seed, appending to r.  0 when every
 * configuration was attempted (some may have failed), 1 when a signal
 * stopped the run (completed entries are kept), -ENOMEM. */
int engine_exec(struct engine_plan *p, struct report *r, unsigned long long seed);
void engine_plan_free(struct engine_plan *p);

/* Benchmarks matching a glob, in registry order; count, or -EINVAL with
 * err set for a pattern that matches nothing. */
int engine_select(const char *pattern, const struct bench_desc **out, int max,
		  char *err, size_t errlen);

#endif
