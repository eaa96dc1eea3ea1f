/*
 * bench/ptc_cpu.c - a fixed CPU job split over W units: the lesson's
 * "processes (or threads, where no interpreter lock holds them back) for
 * CPU-bound work".
 *
 * One job is job_us of calibrated work (bench_work) in C, or countdown(n)
 * bytecode loops in the simulated interpreter; W units (the harness's
 * tasks: --threads, by default 1, 2, ... the processors, twice them, and
 * 100) each do their share (job / W, the remainder to the first units)
 * per iteration.  ptc.cpu.thread and ptc.cpu.process run C; gil_thread
 * runs the bytecode in W threads under one global lock (gil=new, the
 * CPython >= 3.2 policy), gil_process in W processes with a lock each.
 *
 * Speedup over W = 1 is measured, not derived across rows: the baseline
 * runs each unit alone in turn on the same shares (BENCH_BASELINE_EACH),
 * which is the whole job done by one unit, and every repetition times
 * both, alternating which goes first (ABBA).  speedup = T_1 / T_W and
 * efficiency = speedup / W come from one repetition's two times; `job`
 * is T_W per job.
 *
 * ptc.cpu.coro: W hub tasks (primitives/hub.h) on one thread, each
 * yielding (sleep(0)) after its share of every job, as gevent's
 * greenlets would: the harness still starts W tasks, so that the rows
 * line up with the other carriers' on W, but only the first does the
 * work, in its coroutines; the others return at once.  Its baseline is
 * the whole job in that one thread.
 *
 * check(): every unit did its share of every job, in the run and in the
 * baseline, and no two units were ever in the baseline at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/gil.h"
#include "bench/ptc.h"
#include "primitives/hub.h"



/* The lock of the lesson's Python: CPython >= 3.2's, at its default
 * switch interval (gil.* sweeps the policies and the interval). */
static const struct gil_config ptc_cpu_gil_config = {
	.policy = GIL_NEW, .interval_us = GIL_INTERVAL_US_DEFAULT,
};

/* Unit `id`'s share of a job of `job` loops over `w` units. */
static uint64_t ptc_cpu_share(uint64_t job, int w, int id)
{
	return job / (uint64_t)w + ((uint64_t)id < job % (uint64_t)w);
}

static int ptc_cpu_setup(struct bench_state *st, enum ptc_cpu_carrier carrier)
{
	int gil_mode = carrier == PTC_CPU_GIL;
	struct ptc_cpu_shared *s = bench_shared_alloc(st, sizeof(*s) + sizeof(s->unit[0]) *
						      (size_t)st->ntasks);

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->gil_mode = gil_mode;
	s->coro = carrier == PTC_CPU_CORO;
	if (!gil_mode) {
		s->job = bench_work_loops((double)bench_param_int(st, "job_us") * 1e3);
		return s->job >= (uint64_t)st->ntasks ? 0
		       : bench_skip(st, "job_us is too short to give every unit a loop");
	}
	s->job = (uint64_t)bench_param_int(st, "n");
	if (s->job < (uint64_t)st->ntasks)
		return bench_skip(st, "n is smaller than the units: some would have no work");
	if (gil_code_verify(&gil_bench_countdown_code) < 0)
		abort();	/* the program is wrong: a bug */
	return st->mode == BENCH_MODE_THREAD ? gil_create(&s->gil, &ptc_cpu_gil_config) : 0;
}

static int ptc_cpu_setup_c(struct bench_state *st)
{
	return ptc_cpu_setup(st, PTC_CPU_C);
}

static int ptc_cpu_setup_gil(struct bench_state *st)
{
	return ptc_cpu_setup(st, PTC_CPU_GIL);
}

static int ptc_cpu_setup_coro(struct bench_state *st)
{
	return ptc_cpu_setup(st, PTC_CPU_CORO);
}

static int ptc_cpu_task_init(struct bench_task *t)
{
	struct ptc_cpu_shared *s = t->st->priv;

	struct gil *own = NULL;
	int r;

	if (s->coro && t->id == 0) {
		struct hub_attr attr = { .mode = GREENLET_STACK_MMAP };

		if (!(t->local = hub_new(&attr)))
			return -errno;
		return 0;
	}
	if (!s->gil_mode)
		return 0;
	/* gil_process: each process its own lock, as each CPython has. */
	if (!s->gil && (r = gil_create(&own, &ptc_cpu_gil_config)) < 0)
		return r;
	if ((r = gil_bench_task_init(t, s->gil ? s->gil : own)) < 0) {
		if (own)
			gil_destroy(own);
		return r;
	}
	((struct gil_bench_task *)t->local)->own = own;	/* task_fini destroys it */
	return 0;
}

static void ptc_cpu_task_fini(struct bench_task *t)
{
	struct ptc_cpu_shared *s = t->st->priv;

	if (s->gil_mode)
		gil_bench_task_fini(t);
	if (s->coro && t->local) {
		hub_destroy(t->local);
		t->local = NULL;
	}
}

/* This unit's share of iters jobs; the loops it did. */
static uint64_t ptc_cpu_work(struct bench_task *t, uint64_t iters)
{
	struct ptc_cpu_shared *s = t->st->priv;
	uint64_t share = ptc_cpu_share(s->job, t->st->ntasks, t->id);
	struct gil_bench_task *g = t->local;
	struct gil_vm_stats v0, v1;
	int64_t args[2] = { (int64_t)iters, (int64_t)share }, result = 0;

	if (!s->gil_mode) {
		for (uint64_t i = 0; i < iters; i++)
			bench_work(share);
		return iters * share;
	}
	gil_bench_begin(t);
	gil_vm_stats_get(g->vm, &v0);
	if (gil_vm_run(g->vm, &gil_bench_countdown_code, args, &result) != 0 ||
	    result != (int64_t)iters)
		__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	gil_vm_stats_get(g->vm, &v1);
	gil_bench_end();
	/* The interpreter's own count: the loops it really ran. */
	if (v1.instructions - v0.instructions != gil_bench_countdown_insns(iters, share))
		__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	return iters * share;
}

/* ptc.cpu.coro: one coroutine's life, unit `id` of the job. */
struct ptc_cpu_coro {
	struct ptc_cpu_shared *s;
	int w, id;
	uint64_t iters;
};

static void *ptc_cpu_coro_body(void *p)
{
	struct ptc_cpu_coro *c = p;
	uint64_t share = ptc_cpu_share(c->s->job, c->w, c->id);

	for (uint64_t i = 0; i < c->iters; i++) {
		bench_work(share);
		if (hub_sleep(0) < 0)	/* the others' turn */
			c->s->errors++;
	}
	c->s->unit[c->id].loops += c->iters * share;
	c->s->unit[c->id].run_iters += c->iters;
	return p;
}

/* Task 0: W coroutines share the job, one thread. */
static uint64_t ptc_cpu_coro_run(struct bench_task *t, uint64_t iters)
{
	struct ptc_cpu_shared *s = t->st->priv;
	int w = t->st->ntasks;
	struct ptc_cpu_coro *c = calloc((size_t)w, sizeof(*c));
	struct hub_task **h = calloc((size_t)w, sizeof(*h));
	int made = 0;

	if (!c || !h) {
		s->errors++;
		goto out;
	}
	for (; made < w; made++) {
		c[made] = (struct ptc_cpu_coro){ .s = s, .w = w, .id = made, .iters = iters };
		if (!(h[made] = hub_spawn(ptc_cpu_coro_body, &c[made])))
			break;
	}
	if (made < w || hub_joinall(h, (size_t)made, -1) != made)
		s->errors++;
	for (int i = 0; i < made; i++)
		if (hub_task_free(h[i]) < 0)
			s->errors++;
out:
	free(c);
	free(h);
	return iters;
}

/* Jobs are the operations: the first unit counts them, once. */
static uint64_t ptc_cpu_run(struct bench_task *t, uint64_t iters)
{
	struct ptc_cpu_shared *s = t->st->priv;

	if (s->coro)
		return t->id == 0 ? ptc_cpu_coro_run(t, iters) : 0;

	s->unit[t->id].loops += ptc_cpu_work(t, iters);
	s->unit[t->id].run_iters += iters;
	return t->id == 0 ? iters : 0;
}

/* The whole job by one unit: each unit's share, each alone in turn. */
static uint64_t ptc_cpu_baseline(struct bench_task *t, uint64_t iters)
{
	struct ptc_cpu_shared *s = t->st->priv;

	if (s->coro) {
		/* The whole job in task 0's thread; the units' shares. */
		if (t->id != 0)
			return 0;
		gil_bench_alone_enter(&s->alone);
		for (uint64_t i = 0; i < iters; i++)
			bench_work(s->job);
		gil_bench_alone_leave(&s->alone);
		for (int u = 0; u < t->st->ntasks; u++) {
			s->unit[u].loops += iters * ptc_cpu_share(s->job, t->st->ntasks, u);
			s->unit[u].base_iters += iters;
		}
		return iters;
	}
	gil_bench_alone_enter(&s->alone);
	s->unit[t->id].loops += ptc_cpu_work(t, iters);
	gil_bench_alone_leave(&s->alone);
	s->unit[t->id].base_iters += iters;
	return t->id == 0 ? iters : 0;
}

static const char *ptc_cpu_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct ptc_cpu_shared *s = st->priv;
	const char *why;

	if (s->errors)
		return "an interpreter run failed or ran other bytecodes than its share takes";
	if ((why = gil_bench_alone_check(&s->alone, base_iters)))
		return why;
	for (int i = 0; i < st->ntasks; i++) {
		const struct ptc_cpu_unit *u = &s->unit[i];

		if (u->run_iters != run_iters || u->base_iters != base_iters)
			return "a unit did not do every job it was given";
		if (u->loops != (run_iters + base_iters) * ptc_cpu_share(s->job, st->ntasks, i))
			return "a unit did not do its share of every job";
	}
	return NULL;
}

static void ptc_cpu_teardown(struct bench_state *st)
{
	struct ptc_cpu_shared *s = st->priv;

	if (s && s->gil)
		gil_destroy(s->gil);
}

static const struct bench_param ptc_cpu_params[] = {
	{ .name = "job_us", .def = "2000", .quick = "1000", .min = 1, .max = 100000000,
	  .help = "one job's calibrated work, in microseconds, split over the units" },
	{ .name = NULL },
};

static const struct bench_param ptc_cpu_gil_params[] = {
	{ .name = "n", .def = "40000", .quick = "20000", .min = 1, .max = 1000000000000LL,
	  .help = "one job: countdown(n) loop iterations, split over the units" },
	{ .name = NULL },
};

static const struct bench_metric ptc_cpu_metrics[] = {
	{ .name = "job", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = "speedup", .unit = "ratio", .kind = BENCH_SPEEDUP_OVER_BASELINE, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "efficiency", .unit = "ratio", .kind = BENCH_EFFICIENCY_OVER_BASELINE,
	  .per_iter = 1, .higher_is_better = 1 },
	{ .name = NULL },
};

static const struct bench_metric ptc_cpu_gil_metrics[] = {
	{ .name = "job", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = "speedup", .unit = "ratio", .kind = BENCH_SPEEDUP_OVER_BASELINE, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "efficiency", .unit = "ratio", .kind = BENCH_EFFICIENCY_OVER_BASELINE,
	  .per_iter = 1, .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(GIL_BENCH_FIGURES)
	{ .name = NULL },
};

/* 100 units on a few processors: no placement can pin them apart, and
 * none needs to (the point is how many there are, not where). */
#define PTC_CPU_DESC(var, ...)							\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION, .oversubscribe = 1, .tasks_also = 100,	\
		.placements = "none", .baseline_how = BENCH_BASELINE_EACH,	\
		.baseline_note = "each unit alone, one after another: the job on one unit", \
		.task_init = ptc_cpu_task_init, .run = ptc_cpu_run,		\
		.baseline = ptc_cpu_baseline, .task_fini = ptc_cpu_task_fini,	\
		.check = ptc_cpu_check, .teardown = ptc_cpu_teardown, __VA_ARGS__ \
	}

PTC_CPU_DESC(bench_ptc_cpu_thread, .name = "ptc.cpu.thread",
	     .summary = "a fixed C CPU job split over W threads: speedup over one",
	     .modes = BENCH_MODE_THREAD, .params = ptc_cpu_params, .metrics = ptc_cpu_metrics,
	     .setup = ptc_cpu_setup_c);
PTC_CPU_DESC(bench_ptc_cpu_process, .name = "ptc.cpu.process",
	     .summary = "a fixed C CPU job split over W processes: speedup over one",
	     .modes = BENCH_MODE_PROCESS, .params = ptc_cpu_params, .metrics = ptc_cpu_metrics,
	     .setup = ptc_cpu_setup_c);
PTC_CPU_DESC(bench_ptc_cpu_coro, .name = "ptc.cpu.coro",
	     .summary = "a fixed C CPU job split over W hub coroutines of one thread: "
			"speedup over one",
	     .modes = BENCH_MODE_THREAD, .params = ptc_cpu_params, .metrics = ptc_cpu_metrics,
	     .setup = ptc_cpu_setup_coro);
PTC_CPU_DESC(bench_ptc_cpu_gil_thread, .name = "ptc.cpu.gil_thread",
	     .summary = "a fixed bytecode job split over W interpreter threads under one global "
			"lock: speedup over one",
	     .modes = BENCH_MODE_THREAD, .params = ptc_cpu_gil_params,
	     .metrics = ptc_cpu_gil_metrics, .setup = ptc_cpu_setup_gil);
PTC_CPU_DESC(bench_ptc_cpu_gil_process, .name = "ptc.cpu.gil_process",
	     .summary = "a fixed bytecode job split over W interpreter processes, a lock each: "
			"speedup over one",
	     .modes = BENCH_MODE_PROCESS, .params = ptc_cpu_gil_params,
	     .metrics = ptc_cpu_gil_metrics, .setup = ptc_cpu_setup_gil);
