/*
 * bench/gil.h - what the gil.* workloads share: the lock's parameters,
 * one global lock per process (the tasks' threads share it; each forked
 * task makes its own, as each CPython process has its own), one
 * interpreter per task, and the lock's wait and hold times into the
 * harness's histograms in latency rounds.
 *
 * The interpreter and the lock are primitives/gil.h; nothing here times
 * anything on its own clock.
 */
#ifndef CONTEND_BENCH_GIL_H
#define CONTEND_BENCH_GIL_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "primitives/gil.h"

/* The lock's figures (harness/bench.h, BENCH_FIGURES), recorded by the
 * hooks below in every gil.* workload that has the lock: its wait
 * (asking to having it) and its hold.  A workload's own figures come
 * after them (BENCH_FIGURES_AFTER(..., GIL_BENCH)), its table holds
 * their rows with BENCH_FIGURE_ROWS(GIL_BENCH_FIGURES). */
#define GIL_BENCH_FIGURES(VALUE, HIST)						\
	HIST(GIL_BENCH_HIST_WAIT, "gil_wait")					\
	HIST(GIL_BENCH_HIST_HOLD, "gil_hold")
BENCH_FIGURES(GIL_BENCH, GIL_BENCH_FIGURES);

/* The lock's parameters, first in every gil.* table (check_ticks where
 * old is offered: no other lock ticks). */
#define GIL_BENCH_PARAM_POLICY(def_, quick_)					\
	{ .name = "gil", .def = def_, .quick = quick_,				\
	  .choices = "new|old|none|io_priority",				\
	  .help = "new: CPython >= 3.2 (interval, drop request, forced switch); "	\
		  "old: release and retake when the process-wide ticker runs out; none: no lock, " \
		  "atomic reference counts; io_priority: new, and a thread back "	\
		  "from I/O goes first" }
#define GIL_BENCH_PARAM_INTERVAL(def_, quick_)					\
	{ .name = "interval_us", .def = def_, .quick = quick_,			\
	  .help = "switch interval (sys.setswitchinterval), new and io_priority", \
	  .min = 1, .max = 10000000 }
#define GIL_BENCH_PARAM_TICKS							\
	{ .name = "check_ticks", .def = "100",					\
	  .help = "the ticker's reset value (sys.setcheckinterval), old: it lets go once in " \
		  "check_ticks + 1 ticks, and as in CPython 2.7 arithmetic, compares, calls " \
		  "and back-edges tick (countdown: 3 an iteration)",		\
	  .min = 1, .max = 1000000000 }

/* Per process: the shared lock (thread mode: made in setup, in the
 * bench's shared state; process mode: each task's own, in its local). */
struct gil_bench_task {
	struct gil *own;	/* process mode: this task's lock */
	struct gil_vm *vm;
	uint64_t rounds;	/* run() calls so far */
};

/* The task whose run() is recording now, on this thread: the hooks
 * read the clock only then, so measured rounds pay a thread-local load
 * per take and release, not two clock reads. */
static __thread struct bench_task *gil_bench_timing;

static inline uint64_t gil_bench_now(void)
{
	return gil_bench_timing ? bench_now_ns() : 0;
}

static inline void gil_bench_on_wait(void *ctx, uint64_t ns)
{
	if (gil_bench_timing == ctx)
		bench_record_ns(ctx, GIL_BENCH_HIST_WAIT, ns);
}

static inline void gil_bench_on_hold(void *ctx, uint64_t ns)
{
	if (gil_bench_timing == ctx)
		bench_record_ns(ctx, GIL_BENCH_HIST_HOLD, ns);
}

/* The configuration's lock as the parameters say. */
static inline int gil_bench_config(const struct bench_state *st, struct gil_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (gil_policy_parse(bench_param_str(st, "gil"), &cfg->policy) < 0)
		return -EINVAL;		/* the harness checked the choices */
	cfg->interval_us = (uint32_t)bench_param_int(st, "interval_us");
	/* Only old has a ticker: a workload that offers no old (gil.interval)
	 * declares no check_ticks, which could not reach it. */
	cfg->check_ticks = cfg->policy == GIL_OLD ? (uint32_t)bench_param_int(st, "check_ticks")
						  : 0;
	return 0;
}

/* setup(), thread mode: the one lock every task's interpreter shares
 * (*out NULL in process mode, where task_init makes one per task). */
static inline int gil_bench_shared_lock(const struct bench_state *st, struct gil **out)
{
	struct gil_config cfg;
	int r;

	*out = NULL;
	if (st->mode != BENCH_MODE_THREAD)
		return 0;
	if ((r = gil_bench_config(st, &cfg)) < 0)
		return r;
	return gil_create(out, &cfg);
}

/* task_init(): this task's interpreter, on `shared` or (process mode)
 * on a lock of its own.  Fills t->local. */
static inline int gil_bench_task_init(struct bench_task *t, struct gil *shared)
{
	struct gil_bench_task *g = calloc(1, sizeof(*g));
	struct gil_hooks hooks = {
		.now_ns = gil_bench_now, .on_wait = gil_bench_on_wait,
		.on_hold = gil_bench_on_hold, .ctx = t,
	};
	struct gil_config cfg;
	int r;

	if (!g)
		return -ENOMEM;
	if (!shared) {
		if ((r = gil_bench_config(t->st, &cfg)) < 0 || (r = gil_create(&g->own, &cfg)) < 0) {
			free(g);
			return r;
		}
		shared = g->own;
	}
	if ((r = gil_vm_create(&g->vm, shared, &hooks)) < 0) {
		if (g->own)
			gil_destroy(g->own);
		free(g);
		return r;
	}
	t->local = g;
	return 0;
}

static inline void gil_bench_task_fini(struct bench_task *t)
{
	struct gil_bench_task *g = t->local;

	if (!g)
		return;
	gil_vm_destroy(g->vm);
	if (g->own)
		gil_destroy(g->own);
	free(g);
	t->local = NULL;
}

/* Around the body of run(): time the lock in latency rounds only. */
static inline void gil_bench_begin(struct bench_task *t)
{
	gil_bench_timing = bench_recording(t) ? t : NULL;
}

static inline void gil_bench_end(void)
{
	gil_bench_timing = NULL;
}

/* The lock this task's interpreter runs under. */
static inline struct gil *gil_bench_lock(const struct bench_task *t)
{
	return gil_vm_gil(((const struct gil_bench_task *)t->local)->vm);
}

/*
 * time_vs_sequential holds the tasks' run against the sequential program:
 * a baseline that runs each task alone, one after another
 * (BENCH_BASELINE_EACH).  Such a baseline counts itself in and out here,
 * and check() holds the most tasks ever inside at once to 1: a baseline
 * run together (behind the gate, as run() is) fails its configuration
 * instead of reading ~1 for processes, whatever the timing.  In shared
 * memory (the tasks may be processes); relaxed: the read-modify-writes
 * of one word are totally ordered, and the count is all that is read.
 */
struct gil_bench_alone {
	uint32_t inside, most;
};

static inline void gil_bench_alone_enter(struct gil_bench_alone *a)
{
	uint32_t n = __atomic_add_fetch(&a->inside, 1, __ATOMIC_RELAXED);
	uint32_t m = __atomic_load_n(&a->most, __ATOMIC_RELAXED);

	while (n > m && !__atomic_compare_exchange_n(&a->most, &m, n, 1, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		;
}

static inline void gil_bench_alone_leave(struct gil_bench_alone *a)
{
	__atomic_sub_fetch(&a->inside, 1, __ATOMIC_RELAXED);
}

/* For check(): NULL if no two tasks were ever in the baseline at once
 * and, when it ran (base_iters), one was. */
static inline const char *gil_bench_alone_check(const struct gil_bench_alone *a,
						uint64_t base_iters)
{
	if (a->most > 1)
		return "the baseline ran tasks at once: time_vs_sequential is not against the "
		       "sequential program (each task alone, one after another)";
	if (base_iters && a->most != 1)
		return "the baseline never counted itself in";
	return NULL;
}

/* One instruction of a program built here (the programs of
 * primitives/gil.h are built the same way). */
#define GIL_BENCH_I(op_, a_)		{ .op = GIL_OP_##op_, .a = (a_) }
#define GIL_BENCH_CALL(fn_, nargs_)	{ .op = GIL_OP_CALL, .a = (fn_), .b = (nargs_) }

/*
 * countdown_rounds(iters, n): countdown(n), iters times, as one program
 * (gil.cpu, ptc.cpu.gil_*): a Python thread holds on to the lock across
 * its calls, so a round is one run.  Returns iters.
 */
/* Locals: iters, n, k, j.
 *   k = 0
 *   while k < iters:
 *       j = n
 *       while j > 0: j -= 1          (countdown's own 9-bytecode loop)
 *       k += 1
 *   return k                                                          */
static const struct gil_insn gil_bench_countdown_insns_[] = {
	/* 0 */ GIL_BENCH_I(LOAD, 2), GIL_BENCH_I(LOAD, 0), GIL_BENCH_I(CMP, GIL_CMP_LT),
	/* 3 */ GIL_BENCH_I(JUMP_IF_FALSE, 20),
	/* 4 */ GIL_BENCH_I(LOAD, 1), GIL_BENCH_I(STORE, 3),
	/* 6 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_I(CONST, 0), GIL_BENCH_I(CMP, GIL_CMP_GT),
	/* 9 */ GIL_BENCH_I(JUMP_IF_FALSE, 15),
	/* 10 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_I(CONST, 1), GIL_BENCH_I(SUB, 0),
	/* 13 */ GIL_BENCH_I(STORE, 3), GIL_BENCH_I(JUMP, 6),
	/* 15 */ GIL_BENCH_I(LOAD, 2), GIL_BENCH_I(CONST, 1), GIL_BENCH_I(ADD, 0),
	/* 18 */ GIL_BENCH_I(STORE, 2), GIL_BENCH_I(JUMP, 0),
	/* 20 */ GIL_BENCH_I(LOAD, 2), GIL_BENCH_I(RETURN, 0),
};

static const int64_t gil_bench_countdown_consts_[] = { 0, 1 };

static const struct gil_code gil_bench_countdown_code = {
	.name = "countdown_rounds", .insns = gil_bench_countdown_insns_,
	.ninsns = sizeof(gil_bench_countdown_insns_) / sizeof(gil_bench_countdown_insns_[0]),
	.consts = gil_bench_countdown_consts_, .nconsts = 2, .nargs = 2, .nlocals = 4,
};

/* Bytecodes of one run: per countdown, the outer test 4, j = n 2, the
 * inner loop 9 an iteration and its last test 4, k += 1 and the jump 5;
 * then the last outer test 4 and the return 2. */
static inline uint64_t gil_bench_countdown_insns(uint64_t iters, uint64_t n)
{
	return iters * (9 * n + 15) + 6;
}

/* gil.convoy's and gil.interval's shared state (bench/gil_convoy.c),
 * here so that a test can give check() each wrong state in turn. */
struct gil_convoy_shared {
	struct gil *gil;	/* thread mode; NULL in process mode */
	int sv[2];		/* client's end, echo's end (SOCK_SEQPACKET) */
	int cpu;		/* CPU-bound interpreters: tasks 2 .. 1+cpu */
	size_t msg;		/* bytes per request */
	uint64_t sample;
	/* The rounds the client has finished: the CPU-bound loops run
	 * while it is below theirs. */
	uint32_t done;
	/* Interpreters inside their program, all rounds: CPU-bound ones
	 * (started) and the echo (ready).  The client starts its round
	 * trips only once all of this round's are in, so that no round is
	 * measured half without them (a task the scheduler starts late
	 * would make a round look calm) and no round trip pays the echo's
	 * first take of the lock (a whole interval, once a round). */
	uint32_t started, ready;
	/* Requests the echo has received, all rounds: counted by the echo
	 * between its recv and its send, so an answer the client has is
	 * counted.  The client reads it where its timed window opens and
	 * closes: the window must hold exactly the trips it counts, and
	 * never the start-up trip. */
	uint32_t received;
	/* Bytes the echo received, all requests: counted by its recv where
	 * they arrive, for check() to hold to msg_bytes a request. */
	uint64_t heard;
	uint64_t trips, echoed, errors;
	uint64_t windows_off;	/* rounds whose window held other trips */
	uint64_t startups;	/* the rounds' start-up trips, not in trips */
	struct gil_code echo, spin;	/* the programs, built in setup */
	struct gil_builtin io[3];
};

/* gil.cpu's and gil.cores' (bench/gil_cpu.c), gil.native's (there too)
 * and gil.io's (bench/gil_io.c) shared states, here for the same reason
 * (tests/test_h_checks_gil.c). */
struct gil_cpu_shared {
	struct gil *gil;	/* thread mode; NULL in process mode */
	int64_t n;
	uint64_t errors;	/* runs that failed or did not return iters */
	struct gil_bench_alone alone;	/* the baseline: one task at a time */
	/* per task: bytecodes its interpreter ran; from ntasks on, runs */
	uint64_t insns[];
};

struct gil_native_shared {
	int64_t n;
	uint64_t loops;		/* countdowns run, all rounds */
};

struct gil_io_shared {
	struct gil *gil;	/* thread mode; NULL in process mode */
	int64_t io_us, work;
	uint64_t errors;
	struct gil_code code;
	struct gil_bench_alone alone;	/* the baseline: one task at a time */
	/* per task: waits made; from ntasks on, bytecodes run; from
	 * 2 ntasks on, runs (rounds it took part in) */
	uint64_t count[];
};

#endif
