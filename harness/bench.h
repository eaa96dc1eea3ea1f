/*
 * harness/bench.h - the contract between a workload and the harness.
 *
 * A workload (bench/<family>_<what>.c) says *what* to do: it describes
 * its parameters, sets up shared state, and runs `iters` operations in
 * each task.  The harness decides where tasks run (placement), as what
 * (threads or processes), how often (calibration, warm-up, repetitions)
 * and how the result is measured (clock, counters, statistics, output).
 * Workloads never call hwloc, libpfm, clocks or printf; what they need
 * of the clock they get from bench_now_ns().
 *
 * Lifecycle of one configuration, all inside a runner process that the
 * harness can kill if the workload overruns its budget:
 *
 *   setup(st)                       once, before any task exists
 *   task_init(t)                    in every task, after it is pinned
 *   repeat: run(t, iters)           every task at once, behind a gate
 *           baseline(t, iters)      if the bench has one: see baseline_how
 *   task_fini(t)                    in every task
 *   check(st, run, baseline)        the work reported was really done
 *   teardown(st)
 *
 * A baseline round always follows a run() round at the same `iters`, in
 * the same tasks, so a baseline may match what that run did (the system
 * calls it made, say), kept in the task's own t->local.
 */
#ifndef CONTEND_BENCH_H
#define CONTEND_BENCH_H

#include <stddef.h>
#include <stdint.h>

enum bench_mode {
	BENCH_MODE_THREAD  = 1 << 0,	/* tasks are threads of one process */
	BENCH_MODE_PROCESS = 1 << 1,	/* tasks are forked processes */
};

/*
 * How a metric is derived from one repetition (see struct bench_metric).
 * "events" are the operations the tasks reported times per_iter.
 */
enum bench_metric_kind {
	BENCH_NS_PER_OP,	/* run time / events                     */
	BENCH_NS_NET_PER_OP,	/* (run - baseline time) / events         */
	BENCH_OPS_PER_SEC,	/* events / run time                      */
	BENCH_FAIRNESS,		/* Jain's index over per-task op counts   */
};

struct bench_metric {
	const char *name;	/* CSV `metric` column, e.g. "roundtrip"  */
	const char *unit;	/* "ns", "ops/s" or "ratio"              */
	enum bench_metric_kind kind;
	/* events = ops * per_iter: e.g. 2 one-way switches per roundtrip. */
	unsigned per_iter;
	int higher_is_better;
};

/* Who runs baseline() (bench_desc.baseline_how). */
enum bench_baseline_how {
	/* Each task alone, one after another, on its own processor; the
	 * baseline's time is the sum of theirs.  For exchanges whose sides
	 * run in turn: each side's own work, where it really runs. */
	BENCH_BASELINE_EACH,
	/* Every task at once, behind the gate, as run() is: a baseline that
	 * is itself an exchange (another mechanism's, say). */
	BENCH_BASELINE_TOGETHER,
};

struct bench_param {
	const char *name;
	const char *def;	/* default value, as text */
	const char *help;
	/* min < max: a whole decimal number in [min, max], checked before
	 * anything runs and recorded in canonical form ("010" is 10);
	 * otherwise free text. */
	long long min, max;
};

/* The Makefile defines CONTEND_SRC_HASH per bench/ file. */
#ifdef CONTEND_SRC_HASH
#define BENCH_VERSION CONTEND_SRC_HASH
#else
#define BENCH_VERSION "unknown"
#endif

/* Everything a workload sees of one configuration. */
struct bench_state {
	const struct bench_desc *desc;
	enum bench_mode mode;
	int ntasks;
	void *priv;		/* the workload's own shared state */
	/* internal to the harness */
	const char *const *param_values;	/* parallel to desc->params */
	struct bench_shm *shm_list;
	const char *skip_reason;		/* set by bench_skip() */
};

/* One task's view. */
struct bench_task {
	struct bench_state *st;
	int id;			/* 0 .. ntasks-1 */
	void *local;		/* task-private state from task_init */
};

struct bench_desc {
	const char *name;	/* family.variant[.detail] */
	const char *summary;	/* one line, for `contend list` */
	/* BENCH_VERSION: a hash of the workload's source file, so that
	 * compare can tell a changed benchmark from a changed machine. */
	const char *version;
	unsigned modes;		/* BENCH_MODE_* this workload supports */
	int tasks;		/* fixed task count, or 0: from --threads */
	const char *placements;	/* default policies, e.g. "same-core,cross-core" */
	int hidden;		/* harness self-tests: not listed, never matched by a glob */
	const struct bench_param *params;	/* NULL-name terminated, may be NULL */
	const struct bench_metric *metrics;	/* NULL-name terminated */
	enum bench_baseline_how baseline_how;
	/* What a BENCH_NS_NET_PER_OP metric is net of, in a few words, for
	 * `contend list --long` and the JSON label. */
	const char *baseline_note;

	/* -errno on failure; -ENOTSUP (see bench_skip) when this
	 * configuration cannot run here: it is then *skipped*, not failed. */
	int  (*setup)(struct bench_state *st);
	int  (*task_init)(struct bench_task *t);	/* -errno, as setup */
	/* The timed loop: do `iters` iterations; return how many operations
	 * this task completed.  The harness sums them over tasks, so a task
	 * that only serves another (the echo side of a ping-pong) returns 0. */
	uint64_t (*run)(struct bench_task *t, uint64_t iters);
	/* The same work without the mechanism under test (see
	 * baseline_how); NULL if the bench has no net metric. */
	uint64_t (*baseline)(struct bench_task *t, uint64_t iters);
	void (*task_fini)(struct bench_task *t);
	/* NULL if the shared state proves that run() did `run_iters`
	 * iterations in every task and baseline() `baseline_iters` in every
	 * task that runs it (each summed over rounds), else a reason saying
	 * what is missing. */
	const char *(*check)(struct bench_state *st, uint64_t run_iters,
			      uint64_t baseline_iters);
	void (*teardown)(struct bench_state *st);
};

/*
 * Shared memory for workload state: visible to every task in both modes
 * (MAP_SHARED, so forked tasks see the same bytes), zero-filled,
 * cache-line aligned, freed by the harness after teardown.  NULL on
 * failure.  Call from setup() only.
 */
void *bench_shared_alloc(struct bench_state *st, size_t size);

/* A parameter's value as text / as an integer (aborts on a key the bench
 * does not declare, or an integer parameter the harness did not check:
 * bugs in the workload). */
const char *bench_param_str(const struct bench_state *st, const char *key);
long long bench_param_int(const struct bench_state *st, const char *key);

/*
 * The harness's clock in nanoseconds: the same calibrated source that
 * times every round (not a private clock_gettime), for workloads that
 * time something inside a round.  Comparable across tasks and processes
 * of one run.
 */
uint64_t bench_now_ns(void);

/*
 * Say why this configuration cannot run here (a lock that cannot live in
 * shared memory, say) and return -ENOTSUP, for setup() or task_init() to
 * return: the configuration is reported as skipped with this reason.
 * `why` must outlive the call (a string literal).
 */
int bench_skip(struct bench_state *st, const char *why);

/* The registry: every workload has one line in bench/list.h. */
extern const struct bench_desc *const bench_registry[];

#endif
