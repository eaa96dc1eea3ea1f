/*
 * bench/selftest.c - workloads that misbehave on purpose, so the tests
 * can prove the harness survives them: one never finishes (the watchdog
 * must kill it and the run go on), one crashes, one fails its own
 * check.  Hidden: not listed and never matched by a glob, only by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/bench.h"

static const struct bench_metric selftest_metrics[] = {
	{ "op", "ns", BENCH_NS_PER_OP, 1, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

static uint64_t selftest_hang_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	(void)iters;
	for (;;)
		pause();
	return 0;	/* not reached */
}

static uint64_t selftest_crash_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	(void)iters;
	abort();
	return 0;	/* not reached */
}

static uint64_t selftest_idle_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	return iters;	/* claims the work, does none: calibration must notice */
}

static uint64_t selftest_lie_run(struct bench_task *t, uint64_t iters)
{
	(void)t;
	for (uint64_t i = 0; i < iters; i++)
		__asm__ __volatile__("" ::: "memory");	/* time, but no trace */
	return iters;
}

static const char *selftest_lie_check(struct bench_state *st, uint64_t run_iters,
				      uint64_t base_iters)
{
	(void)st;
	(void)base_iters;
	return run_iters ? "no operation left a trace" : NULL;
}

/* Two-task workloads whose partner would wait for ever: one task fails
 * its setup, or dies mid-round.  The harness must report that, quickly. */
static int selftest_init_fail(struct bench_task *t)
{
	return t->id == 0 ? -ENOMEM : 0;
}

static uint64_t selftest_wait_or_die(struct bench_task *t, uint64_t iters)
{
	(void)iters;
	if (t->id == 1 && t->st->mode == BENCH_MODE_PROCESS)
		abort();
	for (;;)
		pause();
	return 0;	/* not reached */
}

static int selftest_setup_fail(struct bench_state *st)
{
	(void)st;
	return -ENOSYS;
}

#define SELFTEST_DESC(var, nm, sum, ...)					\
	const struct bench_desc var = {						\
		.name = nm, .summary = sum, .version = BENCH_VERSION,		\
		.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 1,	\
		.placements = "none", .hidden = 1,				\
		.metrics = selftest_metrics, __VA_ARGS__			\
	}

SELFTEST_DESC(bench_selftest_hang, "selftest.hang", "never returns", .run = selftest_hang_run);
SELFTEST_DESC(bench_selftest_crash, "selftest.crash", "aborts", .run = selftest_crash_run);
SELFTEST_DESC(bench_selftest_lie, "selftest.lie", "fails its own check", .run = selftest_lie_run,
	      .check = selftest_lie_check);
SELFTEST_DESC(bench_selftest_setup, "selftest.setup", "setup fails",
	      .run = selftest_lie_run, .setup = selftest_setup_fail);
SELFTEST_DESC(bench_selftest_idle, "selftest.idle", "does no work", .run = selftest_idle_run);
const struct bench_desc bench_selftest_partner = {
	.name = "selftest.partner", .summary = "task 0's setup fails; task 1 would wait for it",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS, .tasks = 2,
	.placements = "none", .hidden = 1, .metrics = selftest_metrics,
	.task_init = selftest_init_fail, .run = selftest_wait_or_die,
};
const struct bench_desc bench_selftest_orphan = {
	.name = "selftest.orphan", .summary = "task 1 dies; task 0 waits for it for ever",
	.version = BENCH_VERSION, .modes = BENCH_MODE_PROCESS, .tasks = 2,
	.placements = "none", .hidden = 1, .metrics = selftest_metrics,
	.run = selftest_wait_or_die,
};
