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

/*
 * The system calls of one exchange are known in advance, and the
 * syscalls counter counts them (kernel time included, summed over both
 * tasks, per reported operation): a pipe or eventfd roundtrip is one
 * write and one read on each side, 4; a futex roundtrip one FUTEX_WAKE
 * on each side and a FUTEX_WAIT each at most once bar a spurious wake-up,
 * 2 to 4; swapcontext() sets the signal mask, one call a switch, so a
 * ucontext roundtrip is 2; the assembly switch makes none.  The switch
 * row is net of a baseline that makes the same calls, none blocking, so
 * its calls are none (ucontext: the one of its switch; its baseline does
 * not switch).  On one processor, each side leaves it once an exchange:
 * 2 context switches a roundtrip, 1 a switch.
 *
 * Catches a roundtrip counted on both sides (every figure halved), a
 * switch divided by the wrong number of switches, a baseline that makes
 * other calls than its run, and a variant that runs another mechanism.
 * The few calls of a round's own edges stay far inside the bounds.
 */
struct ctx_calls {
	const char *bench, *metric;
	double sys_lo, sys_hi;	/* syscalls_per_op */
	double cs_lo;		/* ctx_switches_per_op at least; < 0: none asked */
};

static const struct ctx_calls ctx_calls[] = {
	{ "ctx.thread.pipe", "roundtrip", 3.9, 4.3, 1.8 },
	{ "ctx.thread.pipe", "switch", -0.2, 0.2, 0.9 },
	{ "ctx.process.pipe", "roundtrip", 3.9, 4.3, 1.8 },
	{ "ctx.process.pipe", "switch", -0.2, 0.2, 0.9 },
	{ "ctx.thread.eventfd", "roundtrip", 3.9, 4.3, 1.8 },
	{ "ctx.thread.eventfd", "switch", -0.2, 0.2, 0.9 },
	{ "ctx.thread.futex", "roundtrip", 2.0, 4.5, 1.8 },
	{ "ctx.thread.futex", "switch", -0.2, 0.2, 0.9 },
	{ "ctx.process.futex", "roundtrip", 2.0, 4.5, 1.8 },
	{ "ctx.process.futex", "switch", -0.2, 0.2, 0.9 },
	{ "ctx.thread.cond", "roundtrip", 2.0, 8.0, 1.8 },
	{ "ctx.coro.ucontext", "roundtrip", 1.9, 2.3, -1 },
	{ "ctx.coro.ucontext", "switch", 0.9, 1.2, -1 },
	{ "ctx.coro.asm", "roundtrip", 0, 0.1, -1 },
	{ "ctx.coro.asm", "switch", -0.1, 0.1, -1 },
};

Test(ctx, each_exchange_makes_its_system_calls_and_switches, .timeout = 120)
{
	static struct cli_run r;
	struct csv_table t;
	int cb, cm, cs, cc;
	size_t n = sizeof(ctx_calls) / sizeof(ctx_calls[0]);

	cli_run_benches(&r, &t, NULL, (char *const[]){ "ctx.*", NULL },
			(const char *const[]){ "--placement", "same-core", "--reps", "3",
					       "--min-time", "0.01", "--counters",
					       "syscalls,context-switches", NULL });
	cb = cli_col(&t, "bench");
	cm = cli_col(&t, "metric");
	cs = cli_col(&t, "syscalls_per_op");
	cc = cli_col(&t, "ctx_switches_per_op");
	for (size_t k = 0; k < n; k++) {
		const struct ctx_calls *c = &ctx_calls[k];
		int seen = 0;

		for (size_t i = 0; i < t.nrows; i++) {
			const char *sys = t.rows[i][cs], *cs_v = t.rows[i][cc];

			if (strcmp(t.rows[i][cb], c->bench) || strcmp(t.rows[i][cm], c->metric))
				continue;
			seen++;
			if (!*sys)
				cr_skip_test("no syscalls counter here: %s", r.err);
			cr_assert(atof(sys) >= c->sys_lo && atof(sys) <= c->sys_hi,
				  "%s %s: %s system calls an operation, not in [%g, %g]", c->bench,
				  c->metric, sys, c->sys_lo, c->sys_hi);
			if (c->cs_lo >= 0 && *cs_v)
				cr_assert_geq(atof(cs_v), c->cs_lo,
					      "%s %s on one processor: %s context switches an "
					      "operation, fewer than %g", c->bench, c->metric,
					      cs_v, c->cs_lo);
		}
		cr_assert_eq(seen, 1, "%s: %d %s rows; stderr: %s", c->bench, seen, c->metric, r.err);
	}
	csv_table_free(&t);
}
