/*
 * tests/h_checks.h - asking a workload's check() about a state written
 * wrong in one count (tests/test_h_checks.c says why), for every family's
 * check tests: set the registered benchmark up, write its shared state,
 * ask, tear down.  The helpers (tests/h_checks.c) fail the calling test
 * on any surprise.
 */
#ifndef CONTEND_TESTS_H_CHECKS_H
#define CONTEND_TESTS_H_CHECKS_H

#include <stdint.h>

#include "harness/bench.h"

#define CHECKS_RUN	1000	/* the iterations the harness "gave" run() */
#define CHECKS_BASE	300	/* and baseline() */

/*
 * The registered benchmark `name`, set up as threads with ntasks tasks
 * on one processor, each parameter at the first value of its default
 * unless `over` (key, value, ..., NULL; or NULL) names it.  A setup that
 * says the configuration cannot run here (python3 missing) skips the
 * test, with its reason.
 */
void checks_setup(const char *name, int ntasks, const char *const *over, struct bench_state *st);
void checks_teardown(struct bench_state *st);

/* The row asks `value` for `key` now, after setup kept what it was
 * given: for a check() that holds the work to the parameters as asked
 * (a setup that ignored one would leave such a state). */
void checks_param_set(struct bench_state *st, const char *key, const char *value);

/* Ask check() about the state, as if run() was given CHECKS_RUN and
 * baseline() base_iters: it must pass when `right`, else refuse; `what`
 * names the case in the failure. */
void checks_expect(struct bench_state *st, uint64_t base_iters, int right, const char *what);

#endif
