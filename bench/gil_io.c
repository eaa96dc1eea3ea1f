/*
 * bench/gil_io.c - "Python" threads that mostly wait on I/O: the
 * lesson's claim that threads help with I/O even under the global lock.
 *
 * Every task is an interpreter looping: a blocking built-in that waits
 * `io_us` with the lock released (time.sleep, or a socket read, does
 * exactly that in CPython), then `work` loop iterations of bytecode with
 * the lock held.  The waits overlap, the bytecode does not: with little
 * bytecode per wait, T threads get through T times the waits, and
 * time_vs_sequential (the baseline runs each task alone in turn) falls
 * as 1 / T until the lock's share of the time catches up.
 *
 * check(): every interpreter made every wait and ran exactly the
 * bytecodes its loops take, and no two tasks were ever in the baseline
 * at once (it is the sequential program).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "bench/gil.h"

/* io_wait(us): sleep with the lock released; returns 0. */
static int64_t gil_io_wait(struct gil_vm *vm, const int64_t *args)
{
	struct timespec ts = { .tv_sec = args[0] / 1000000, .tv_nsec = args[0] % 1000000 * 1000 };

	(void)vm;
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	return 0;
}

static const struct gil_builtin gil_io_builtins[] = {
	{ .name = "io_wait", .fn = gil_io_wait, .nargs = 1, .blocking = true },
};

/* Locals: n, us, work, k, j.
 *   k = 0
 *   while k < n:
 *       io_wait(us)
 *       j = work
 *       while j > 0: j -= 1
 *       k += 1
 *   return k                                                         */
static const struct gil_insn gil_io_insns[] = {
	/* 0 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_I(LOAD, 0), GIL_BENCH_I(CMP, GIL_CMP_LT),
	/* 3 */ GIL_BENCH_I(JUMP_IF_FALSE, 23),
	/* 4 */ GIL_BENCH_I(LOAD, 1), GIL_BENCH_CALL(0, 1), GIL_BENCH_I(POP, 0),
	/* 7 */ GIL_BENCH_I(LOAD, 2), GIL_BENCH_I(STORE, 4),
	/* 9 */ GIL_BENCH_I(LOAD, 4), GIL_BENCH_I(CONST, 0), GIL_BENCH_I(CMP, GIL_CMP_GT),
	/* 12 */ GIL_BENCH_I(JUMP_IF_FALSE, 18),
	/* 13 */ GIL_BENCH_I(LOAD, 4), GIL_BENCH_I(CONST, 1), GIL_BENCH_I(SUB, 0),
	/* 16 */ GIL_BENCH_I(STORE, 4), GIL_BENCH_I(JUMP, 9),
	/* 18 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_I(CONST, 1), GIL_BENCH_I(ADD, 0),
	/* 21 */ GIL_BENCH_I(STORE, 3), GIL_BENCH_I(JUMP, 0),
	/* 23 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_I(RETURN, 0),
};

static const int64_t gil_io_consts[] = { 0, 1 };

/* Bytecodes of one run of n waits with `work` iterations each. */
static uint64_t gil_io_insns_of(uint64_t n, uint64_t work)
{
	/* per wait: loop test 4 (0-3), the wait 3 (4-6), j = work 2 (7-8),
	 * the inner loop 9 an iteration (9-17) and its last test 4, k += 1
	 * and the jump 5 (18-22); then the last test 4 and the return 2 */
	return n * (4 + 3 + 2 + 9 * work + 4 + 5) + 4 + 2;
}

static int gil_io_setup(struct bench_state *st)
{
	struct gil_io_shared *s = bench_shared_alloc(st, sizeof(*s) +
						     3 * sizeof(uint64_t) * (size_t)st->ntasks);

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->io_us = bench_param_int(st, "io_us");
	s->work = bench_param_int(st, "work");
	s->code = (struct gil_code){
		.name = "mostly_io", .insns = gil_io_insns,
		.ninsns = sizeof(gil_io_insns) / sizeof(gil_io_insns[0]),
		.consts = gil_io_consts, .nconsts = 2, .builtins = gil_io_builtins,
		.nbuiltins = 1, .nargs = 3, .nlocals = 5,
	};
	if (gil_code_verify(&s->code) < 0)
		abort();	/* the program above is wrong: a bug */
	return gil_bench_shared_lock(st, &s->gil);
}

static int gil_io_task_init(struct bench_task *t)
{
	return gil_bench_task_init(t, ((struct gil_io_shared *)t->st->priv)->gil);
}

static uint64_t gil_io_run(struct bench_task *t, uint64_t iters)
{
	struct gil_io_shared *s = t->st->priv;
	struct gil_bench_task *g = t->local;
	int64_t args[3] = { (int64_t)iters, s->io_us, s->work }, result = 0;
	struct gil_vm_stats v0, v1;

	gil_bench_begin(t);
	gil_vm_stats_get(g->vm, &v0);
	if (gil_vm_run(g->vm, &s->code, args, &result) != 0 || result != (int64_t)iters)
		__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	else
		s->count[t->id] += iters;
	gil_vm_stats_get(g->vm, &v1);
	gil_bench_end();
	s->count[t->st->ntasks + t->id] += v1.instructions - v0.instructions;
	s->count[2 * t->st->ntasks + t->id]++;
	return iters;
}

/* The sequential program: the same loops, each task alone (the harness
 * runs them in turn), counted in and out to show it. */
static uint64_t gil_io_baseline(struct bench_task *t, uint64_t iters)
{
	struct gil_io_shared *s = t->st->priv;
	uint64_t ops;

	gil_bench_alone_enter(&s->alone);
	ops = gil_io_run(t, iters);
	gil_bench_alone_leave(&s->alone);
	return ops;
}

static const char *gil_io_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct gil_io_shared *s = st->priv;

	uint64_t n = run_iters + base_iters;

	if (s->errors)
		return "an interpreter run failed or returned another count";
	if (gil_bench_alone_check(&s->alone, base_iters))
		return gil_bench_alone_check(&s->alone, base_iters);
	for (int i = 0; i < st->ntasks; i++) {
		if (s->count[i] != n)
			return "an interpreter did not make every wait";
		/* Each run adds its entry and exit: 6 a run, not a wait. */
		if (s->count[st->ntasks + i] != gil_io_insns_of(n, (uint64_t)s->work) - 6 +
						 6 * s->count[2 * st->ntasks + i])
			return "an interpreter ran other bytecodes than its loops take";
	}
	return NULL;
}

static void gil_io_teardown(struct bench_state *st)
{
	struct gil_io_shared *s = st->priv;

	if (s && s->gil)
		gil_destroy(s->gil);
}

static const struct bench_param gil_io_params[] = {
	GIL_BENCH_PARAM_POLICY("new,old,none,io_priority", "new"),
	GIL_BENCH_PARAM_INTERVAL("5000", NULL),
	GIL_BENCH_PARAM_TICKS,
	{ .name = "io_us", .def = "100", .help = "microseconds each wait takes, lock released",
	  .min = 1, .max = 10000000 },
	{ .name = "work", .def = "100", .help = "loop iterations of bytecode after each wait",
	  .min = 0, .max = 1000000000 },
	{ .name = NULL },
};

static const struct bench_metric gil_io_metrics[] = {
	{ .name = "time_vs_sequential", .unit = "ratio", .kind = BENCH_RATIO_TO_BASELINE,
	  .per_iter = 1 },
	{ .name = "waits_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(GIL_BENCH_FIGURES)
	{ .name = NULL },
};

const struct bench_desc bench_gil_io = {
	.name = "gil.io",
	.summary = "T interpreters that mostly wait on I/O with the lock released: they scale "
		   "with threads even under the lock",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.quick_modes = BENCH_MODE_THREAD,
	.oversubscribe = 1,
	.params = gil_io_params,
	.metrics = gil_io_metrics,
	.baseline_how = BENCH_BASELINE_EACH,
	.baseline_note = "each task alone, one after another: the sequential program",
	.setup = gil_io_setup,
	.task_init = gil_io_task_init,
	.run = gil_io_run,
	.baseline = gil_io_baseline,
	.task_fini = gil_bench_task_fini,
	.check = gil_io_check,
	.teardown = gil_io_teardown,
};
