/*
 * tests/test_h_plan.c - what the planner generates and how a row's noise
 * is judged: no configuration of a sweep's own choosing is skipped by
 * construction (one task for a queue, a FIFO spinner over-subscribed),
 * one the user asks for is said skipped with its reason, and the noise
 * rule weighs a median's interval against the figure's own scale.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/engine.h"
#include "harness/report_warn.h"
#include "harness/topo.h"
#include "tests/check.h"

/* Plan `run ARGS...`; the plan, which the caller frees. */
static struct engine_plan *plan_of(int argc, char **argv)
{
	static struct cli_args a;
	struct engine_defaults d = { 0 };
	struct engine_plan *p = NULL;
	char err[600];

	cr_assert_eq(topo_init(), 0);
	memset(&a, 0, sizeof(a));
	cr_assert_eq(cli_parse(CLI_RUN, argc, argv, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(engine_plan(&a, &d, &p, err, sizeof(err)), 0, "%s", err);
	cli_args_free(&a);
	return p;
}

/* How many of p's configurations are skipped before they run; the first
 * one's key in what. */
static int plan_skipped(const struct engine_plan *p, char *what, size_t len)
{
	int n = 0;

	for (int i = 0; i < engine_plan_size(p); i++)
		if (engine_job_skip(p, i) && n++ == 0) {
			engine_job_key(p, i, what, len);
			snprintf(what + strlen(what), len - strlen(what), ": %s",
				 engine_job_skip(p, i));
		}
	return n;
}

/* The quick sweep's plan and the lock family over every policy and
 * twice the processors: nothing skipped by construction.  On one
 * processor a queue has no task count of its own choosing that fits, and
 * says so instead of vanishing. */
Test(plan, defaults_are_never_unfit, .timeout = 60)
{
	char *quick[] = { "*", "--quick" };
	char *locks[] = { "lock.ticket", "lock.mcs", "lock.clh", "--param", "policy=yield,spin" };
	char *all[] = { "*" };
	char *const *cases[] = { quick, locks, all };
	int argc[] = { 2, 5, 1 };
	struct topo_summary s;
	char what[700];

	cr_assert_eq(topo_init(), 0);
	topo_summarize(&s);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct engine_plan *p = plan_of(argc[c], (char **)cases[c]);
		int n = plan_skipped(p, what, sizeof(what));

		if (s.pus >= 2)
			cr_assert_eq(n, 0, "case %zu: %d of %d configurations skipped, e.g. %s", c, n,
				     engine_plan_size(p), what);
		engine_plan_free(p);
	}
}

/* A shape the user asked for stays in the plan, skipped with the
 * workload's reason, so that the user learns why. */
Test(plan, asked_for_unfit_is_skipped_with_reason, .timeout = 60)
{
	char *queue[] = { "queue.fifo", "--threads", "1,2", "--mode", "thread", "--quick" };
	char *cond[] = { "sync.cond", "--threads", "1", "--mode", "thread", "--quick" };
	struct engine_plan *p;
	char what[700];

	p = plan_of(6, queue);
	cr_assert_eq(plan_skipped(p, what, sizeof(what)), 2, "%s", what);	/* two loads */
	cr_assert(strstr(what, "queue.fifo thread none 1 ") && strstr(what, "a producer and a "
		  "consumer"), "%s", what);
	cr_assert_eq(engine_plan_size(p), 4);
	engine_plan_free(p);
	p = plan_of(6, cond);
	cr_assert_eq(plan_skipped(p, what, sizeof(what)), engine_plan_size(p));
	cr_assert(strstr(what, "needs a waiter"), "%s", what);
	engine_plan_free(p);
}

/* The noise rule, by known answers. */
Test(plan, noise_is_the_interval_against_the_figure_scale, .timeout = 30)
{
	const struct bench_metric cost = { .name = "op", .unit = "ns", .kind = BENCH_NS_PER_OP };
	const struct bench_metric share = { .name = "share_min", .unit = "ratio",
					    .kind = BENCH_SHARE_MIN };
	const struct bench_metric rshare = { .name = "cpu_share_min", .unit = "ratio",
					     .kind = BENCH_REPORTED,
					     .combine = BENCH_COMBINE_SHARE_MIN };
	const struct bench_metric p50 = { .name = "wait_p50", .unit = "ns", .kind = BENCH_LATENCY,
					  .stat = BENCH_LAT_P50 };
	const struct bench_metric p99 = { .name = "wait_p99", .unit = "ns", .kind = BENCH_LATENCY,
					  .stat = BENCH_LAT_P99 };
	double w = -1;

	/* 100 ns, interval 96..104: +-4 % of the median, quiet */
	struct stats_summary s = { .n = 5, .median = 100, .ci95_lo = 96, .ci95_hi = 104 };
	cr_assert_eq(report_noisy(&cost, &s, &w), 0);
	/* 94..106: +-6 %, noisy, and the width is said */
	s.ci95_lo = 94;
	s.ci95_hi = 106;
	cr_assert_eq(report_noisy(&cost, &s, &w), 1);
	cr_assert_float_eq(w, 0.06, 1e-12);
	cr_assert_eq(report_noisy(&p50, &s, &w), 1);
	/* a tail is never noise: the p50 row carries its distribution's */
	cr_assert_eq(report_noisy(&p99, &s, &w), 0);
	/* a share of 0.02 ranging 0.01..0.05: 100 % of itself, but +-2 % of a
	 * fair share, which is its scale */
	struct stats_summary sh = { .n = 5, .median = 0.02, .ci95_lo = 0.01, .ci95_hi = 0.05 };
	cr_assert_eq(report_noisy(&share, &sh, &w), 0);
	cr_assert_float_eq(w, 0.02, 1e-12);
	cr_assert_eq(report_noisy(&rshare, &sh, &w), 0);
	cr_assert_eq(report_noisy(&cost, &sh, &w), 1);
	/* 0.2..0.9: +-35 % of a fair share, noisy */
	sh.ci95_lo = 0.2;
	sh.ci95_hi = 0.9;
	cr_assert_eq(report_noisy(&share, &sh, &w), 1);
	/* a zero median is the not-resolved warning's, not this one's */
	struct stats_summary z = { .n = 5, .median = 0, .ci95_lo = -1, .ci95_hi = 1 };
	cr_assert_eq(report_noisy(&cost, &z, &w), 0);
}
