/*
 * bench/gil_cpu.c - CPU-bound "Python" threads under the global lock:
 * the lesson's claim that threads do not run bytecode in parallel.
 *
 * gil.cpu: every task is an interpreter running countdown(n) (while
 * n > 0: n -= 1), `iters` times a round, as one program (for each of
 * iters: countdown(n)): a Python thread holds on to the lock across its
 * calls, so the round is one run, not `iters` runs that each give the
 * lock back at their end (which would reset a waiter's interval at
 * every call and hide the hand-overs).  In thread mode the tasks are
 * threads of one process under one lock, in process mode processes each
 * with its own.  The baseline runs each task alone in turn, the same
 * work: the sequential program.  So time_vs_sequential is T_threads /
 * T_seq (thread mode) or T_processes / T_seq (process mode): about 1
 * under `new` (Beazley: 24.0 s against 23.5 s), more under `old` on
 * several cores, about 1 / tasks for processes and for `none`.
 *
 * gil.cores: the same 2 threads placed on one processor and on two,
 * where `old` turns from harmless into a fight for the lock.
 *
 * gil.native: the same countdown as a plain C loop, so that a reader
 * can see how much of a "Python" second is interpretation.
 *
 * check(): every task's interpreter executed exactly the bytecodes the
 * rounds asked for, every countdown returned 0, and no two tasks were
 * ever in the baseline at once (it is the sequential program).
 */
#include <errno.h>
#include <stdint.h>

#include "bench/gil.h"

/* What each interpreter reports of its lock in a round (harness/bench.h,
 * BENCH_FIGURES), per second of its own run: a mean over the tasks. */
#define GIL_CPU_FIGURES(VALUE, HIST)						\
	VALUE(GIL_CPU_HANDOVERS_PER_SEC, .name = "handovers_per_sec", .unit = "1/s",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(GIL_CPU_DROP_REQUESTS_PER_SEC, .name = "drop_requests_per_sec",	\
	      .unit = "1/s", .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES_AFTER(GIL_CPU, GIL_CPU_FIGURES, GIL_BENCH);

static int gil_cpu_setup(struct bench_state *st)
{
	struct gil_cpu_shared *s = bench_shared_alloc(st, sizeof(*s) +
						      2 * sizeof(uint64_t) * (size_t)st->ntasks);

	if (!s)
		return -ENOMEM;
	if (gil_code_verify(&gil_bench_countdown_code) < 0)
		abort();	/* the program above is wrong: a bug */
	s->n = bench_param_int(st, "n");
	st->priv = s;
	return gil_bench_shared_lock(st, &s->gil);
}

static int gil_cpu_task_init(struct bench_task *t)
{
	return gil_bench_task_init(t, ((struct gil_cpu_shared *)t->st->priv)->gil);
}

/* iters countdowns; reports the lock's hand-overs and drop requests per
 * second of this task's run.  Returns loop iterations. */
static uint64_t gil_cpu_run(struct bench_task *t, uint64_t iters)
{
	struct gil_cpu_shared *s = t->st->priv;
	struct gil_bench_task *g = t->local;
	struct gil_vm_stats v0, v1;
	struct gil_stats g0, g1;
	uint64_t t0, t1, errors = 0;
	int64_t args[2] = { (int64_t)iters, s->n }, result = 0;

	gil_bench_begin(t);
	gil_stats_get(gil_bench_lock(t), &g0);
	gil_vm_stats_get(g->vm, &v0);
	t0 = bench_now_ns();
	if (gil_vm_run(g->vm, &gil_bench_countdown_code, args, &result) != 0 || result != (int64_t)iters)
		errors++;
	t1 = bench_now_ns();
	gil_vm_stats_get(g->vm, &v1);
	gil_stats_get(gil_bench_lock(t), &g1);
	gil_bench_end();
	s->insns[t->id] += v1.instructions - v0.instructions;
	s->insns[t->st->ntasks + t->id]++;
	if (errors)
		__atomic_fetch_add(&s->errors, errors, __ATOMIC_RELAXED);
	if (t1 > t0) {
		bench_report(t, GIL_CPU_HANDOVERS_PER_SEC,
			     bench_per_sec((double)(g1.switches - g0.switches), t1 - t0));
		bench_report(t, GIL_CPU_DROP_REQUESTS_PER_SEC,
			     bench_per_sec((double)(g1.drop_requests - g0.drop_requests), t1 - t0));
	}
	return iters * (uint64_t)s->n;
}

/* The sequential program: the same countdowns, each task alone (the
 * harness runs them in turn), counted in and out to show it. */
static uint64_t gil_cpu_baseline(struct bench_task *t, uint64_t iters)
{
	struct gil_cpu_shared *s = t->st->priv;
	uint64_t ops;

	gil_bench_alone_enter(&s->alone);
	ops = gil_cpu_run(t, iters);
	gil_bench_alone_leave(&s->alone);
	return ops;
}

static const char *gil_cpu_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct gil_cpu_shared *s = st->priv;
	uint64_t n = run_iters + base_iters;

	if (s->errors)
		return "an interpreter run failed or did not count every countdown";
	if (gil_bench_alone_check(&s->alone, base_iters))
		return gil_bench_alone_check(&s->alone, base_iters);
	/* Each run adds its last test and return: 6 a run. */
	for (int i = 0; i < st->ntasks; i++)
		if (s->insns[i] != gil_bench_countdown_insns(n, (uint64_t)s->n) - 6 +
				   6 * s->insns[st->ntasks + i])
			return "an interpreter ran other bytecodes than its countdowns take";
	return NULL;
}

static void gil_cpu_teardown(struct bench_state *st)
{
	struct gil_cpu_shared *s = st->priv;

	if (s && s->gil)
		gil_destroy(s->gil);
}

static const struct bench_param gil_cpu_params[] = {
	GIL_BENCH_PARAM_POLICY("new,old,none,io_priority", "new,old,none"),
	GIL_BENCH_PARAM_INTERVAL("5000", NULL),
	GIL_BENCH_PARAM_TICKS,
	{ .name = "n", .def = "100000", .help = "countdown(n): loop iterations per call",
	  .min = 1, .max = 1000000000000LL },
	{ .name = NULL },
};

/* Loop iterations are the operations: 9 bytecodes each (the 15 of each
 * countdown's entry and exit are not counted in bytecodes_per_sec). */
static const struct bench_metric gil_cpu_metrics[] = {
	{ .name = "time_vs_sequential", .unit = "ratio", .kind = BENCH_RATIO_TO_BASELINE,
	  .per_iter = 1 },
	{ .name = "cpu_time_vs_sequential", .unit = "ratio", .kind = BENCH_RATIO_TO_BASELINE_CPU,
	  .per_iter = 1 },
	{ .name = "loop_iterations_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC,
	  .per_iter = 1, .higher_is_better = 1 },
	{ .name = "bytecodes_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC,
	  .per_iter = 9, .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(GIL_CPU_FIGURES)
	BENCH_FIGURE_ROWS(GIL_BENCH_FIGURES)
	{ .name = NULL },
};

/* gil.cpu and gil.cores: the same workload, other tasks and placements
 * (the fields given, each by name). */
#define GIL_CPU_DESC(var, ...)							\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION,					\
		.params = gil_cpu_params, .metrics = gil_cpu_metrics,		\
		.baseline_how = BENCH_BASELINE_EACH,				\
		.baseline_note = "each task alone, one after another: the sequential program", \
		.setup = gil_cpu_setup, .task_init = gil_cpu_task_init,		\
		.run = gil_cpu_run, .baseline = gil_cpu_baseline,		\
		.task_fini = gil_bench_task_fini, .check = gil_cpu_check,		\
		.teardown = gil_cpu_teardown, __VA_ARGS__			\
	}

GIL_CPU_DESC(bench_gil_cpu, .name = "gil.cpu",
	     .summary = "T CPU-bound interpreters under one global lock (threads) or one each "
			"(processes), against the same work run sequentially",
	     .modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS);

GIL_CPU_DESC(bench_gil_cores, .name = "gil.cores",
	     .summary = "2 CPU-bound threads under one global lock, on one processor and on two",
	     .modes = BENCH_MODE_THREAD, .tasks = 2, .placements = "same-core,cross-core");

/* ---- gil.native ---------------------------------------------------------- */

static int gil_native_setup(struct bench_state *st)
{
	struct gil_native_shared *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->n = bench_param_int(st, "n");
	st->priv = s;
	return 0;
}

static uint64_t gil_native_run(struct bench_task *t, uint64_t iters)
{
	struct gil_native_shared *s = t->st->priv;

	for (uint64_t i = 0; i < iters; i++) {
		int64_t k = s->n;

		/* The register is the variable: the compiler may not fold
		 * the loop away, nor keep more than C's own loop. */
		while (k > 0) {
			k -= 1;
			__asm__ __volatile__("" : "+r"(k));
		}
	}
	s->loops += iters;
	return iters * (uint64_t)s->n;
}

static const char *gil_native_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	struct gil_native_shared *s = st->priv;

	(void)base_iters;
	return s->loops == run_iters ? NULL : "the task did not run every countdown";
}

static const struct bench_param gil_native_params[] = {
	{ .name = "n", .def = "100000", .help = "countdown(n): loop iterations per call",
	  .min = 1, .max = 1000000000000LL },
	{ .name = NULL },
};

static const struct bench_metric gil_native_metrics[] = {
	{ .name = "loop_iterations_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC,
	  .per_iter = 1, .higher_is_better = 1 },
	{ .name = NULL },
};

const struct bench_desc bench_gil_native = {
	.name = "gil.native",
	.summary = "countdown(n) as a plain C loop: what the interpreter's loop costs without "
		   "interpretation",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD,
	.tasks = 1,
	.params = gil_native_params,
	.metrics = gil_native_metrics,
	.setup = gil_native_setup,
	.run = gil_native_run,
	.check = gil_native_check,
};
