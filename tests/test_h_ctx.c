/*
 * tests/test_h_ctx.c - every parameter of the ctx.* family reaches its
 * workload (tests/h_util.h: the registry is walked, so a new parameter
 * without a probe fails here).  Tiny settings: the probes prove the work,
 * they do not measure it.
 */
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_util.h"

/*
 * ws_kb: every side counts the cache lines it dirties, and check() holds
 * each to ws_kb x 1024 / 64 for every exchange, run and baseline (bench/
 * ctx.h); a workload that dirtied another working set, or none, fails
 * the run.  Both sizes give a roundtrip row in every placement.
 */
static void ctx_probe_ws_kb(char *const bench[], int n)
{
	static struct cli_run r;
	struct csv_table t;
	int cb, cm, cp;

	(void)n;
	cli_run_benches(&r, &t, NULL, bench,
			(const char *const[]){ "--param", "ws_kb=0,64", "--reps", "2",
					       "--min-time", "0.002", "--counters", "none", NULL });
	cb = cli_col(&t, "bench");
	cm = cli_col(&t, "metric");
	cp = cli_col(&t, "params");
	for (int b = 0; bench[b]; b++)
		for (int k = 0; k < 2; k++) {
			const char *ws = k ? "ws_kb=64" : "ws_kb=0";
			int seen = 0;

			for (size_t i = 0; i < t.nrows; i++)
				seen += !strcmp(t.rows[i][cb], bench[b]) &&
					!strcmp(t.rows[i][cm], "roundtrip") &&
					!strcmp(t.rows[i][cp], ws);
			cr_assert_gt(seen, 0, "%s %s: no roundtrip row; stderr: %s", bench[b], ws,
				     r.err);
		}
	csv_table_free(&t);
}

static const struct cli_param_probe ctx_probes[] = {
	{ .bench = "ctx.*", .param = "ws_kb", .probe = ctx_probe_ws_kb },
};

Test(ctx, every_parameter_reaches_its_workload, .timeout = 240)
{
	int pairs = cli_param_probes_run("ctx.*", ctx_probes,
					 sizeof(ctx_probes) / sizeof(ctx_probes[0]));

	cr_assert_gt(pairs, 0);
}
