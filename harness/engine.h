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
#include "harness/progress.h"
#include "harness/report.h"

/* Defaults that a sweep passes down to each of its plan lines. */
struct engine_defaults {
	int reps;
	double min_time, timeout;
	int quick, full;
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

/* Why configuration i is skipped before it runs (a placement this
 * machine lacks, a shape the user asked for that measures nothing), or
 * NULL; and whether its benchmark has a fixed task count (so --threads
 * does not select it). */
const char *engine_job_skip(const struct engine_plan *p, int i);
int engine_job_fixed_tasks(const struct engine_plan *p, int i);

/* Find two plans (or one plan twice) holding the same configuration:
 * 1 with *pa <= *pb and the key in what, else 0. */
int engine_find_duplicate(struct engine_plan *const *plans, int n, int *pa, int *pb,
			  char *what, size_t len);

/* Skip configuration i (already done, when resuming a sweep): it is
 * neither run nor reported. */
void engine_plan_drop(struct engine_plan *p, int i);

/* The configurations of the plan still to run (not dropped), and the
 * seconds they are expected to take: calibration, warm-up, repetitions,
 * latency rounds, `counted` counted rounds, each with its baseline.  An
 * estimate for progress_init, not a promise: the progress scales it by
 * how the configurations done so far compared with theirs. */
int engine_plan_todo(const struct engine_plan *p);
double engine_plan_expect_s(const struct engine_plan *p, int counted);

/* Called after each configuration's entry joined r (the last of r->e):
 * 0 to go on, or -errno to stop the run with that error. */
typedef int engine_after_fn(void *ctx, const struct report *r);

/*
 * Run a plan in an order shuffled by seed, appending to r, with a line
 * of progress per configuration in g (which a sweep shares among its
 * plans) and `after` (NULL: none) called after each.  0 when every
 * configuration was attempted (some may have failed), 1 when a signal
 * stopped the run (completed entries are kept), -ENOMEM or after's
 * error.
 */
int engine_exec_with(struct engine_plan *p, struct report *r, unsigned long long seed,
		     struct progress *g, engine_after_fn *after, void *ctx);
/* The same for a plan run alone, with its own progress. */
int engine_exec(struct engine_plan *p, struct report *r, unsigned long long seed);
void engine_plan_free(struct engine_plan *p);

/* Benchmarks matching a glob, in registry order; count, or -EINVAL with
 * err set for a pattern that matches nothing. */
int engine_select(const char *pattern, const struct bench_desc **out, int max,
		  char *err, size_t errlen);

#endif
