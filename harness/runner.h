/*
 * harness/runner.h - run one benchmark configuration and bring back its
 * raw samples.
 *
 * Each configuration runs in a child process of its own (the "runner"),
 * in its own process group.  Inside it the workload's tasks are spawned
 * (threads or processes), pinned, released together through a start
 * gate, and driven through rounds (harness/team.h): calibration (the
 * iteration count grows until one round lasts about --min-time), one
 * warm-up round, then --reps measured rounds, each followed by the
 * workload's baseline round if it has one, then a few counted rounds with
 * the performance counters open, each also followed by its baseline
 * (kept apart so that counting never slows a timed round).  The parent
 * only waits: if the runner overruns its time budget or the user stops
 * the run (SIGINT, SIGTERM, SIGHUP), the whole process group is killed,
 * the configuration is recorded as failed (or interrupted) with the
 * reason, and the sweep goes on (or stops, keeping what it has).
 */
#ifndef CONTEND_RUNNER_H
#define CONTEND_RUNNER_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/bench.h"
#include "harness/counters.h"
#include "harness/hist.h"

/* Counted rounds after the timed ones: enough for a median. */
#define RUNNER_COUNT_ROUNDS 3

struct runner_config {
	const struct bench_desc *desc;
	enum bench_mode mode;
	int ntasks;
	const int *cpus;			/* ntasks OS ids, -1 = unbound */
	const char *const *param_values;	/* parallel to desc->params */
	double min_time_s;			/* target length of one round */
	int reps;
	double budget_s;			/* watchdog: whole configuration */
	const struct ctr_set *ctrs;
};

enum runner_status {
	RUNNER_OK,
	RUNNER_FAILED,		/* setup error, check failed, crash, overran budget */
	RUNNER_SKIPPED,		/* cannot run here (setup said -ENOTSUP): not a failure */
	RUNNER_INTERRUPTED,	/* stopped by a signal: not a result */
};

/*
 * The arrays of a result, the one list of them: the record the runner
 * child fills in shared memory and the copy the parent keeps are laid out
 * from it (measure_layout), and copied and freed in one piece.
 * X(type, name, count), count in: reps (measured rounds asked), nval
 * (BENCH_REPORTED values), nhist (histograms), nctr (counters), ntasks,
 * base (1 with a baseline, else 0: its arrays are then NULL, as is any
 * array of no elements).
 */
#define RUNNER_ARRAYS(X)							\
	/* [reps] per measured round: its time, the CPU time of its		\
	 * tasks (summed), the operations they reported, Jain's index		\
	 * over them; and its baseline's time and CPU time. */			\
	X(double, run_ns, reps)							\
	X(double, cpu_ns, reps)							\
	X(double, ops, reps)							\
	X(double, jain, reps)							\
	X(double, base_ns, base * reps)						\
	X(double, base_cpu_ns, base * reps)					\
	/* [reps]: the smallest / largest task's share of the operations. */	\
	X(double, share_min, reps)						\
	X(double, share_max, reps)						\
	/* [reps]: 1 when the baseline ran first (ABBA, for ratios to a		\
	 * baseline); the 1-minute load average at the repetition's		\
	 * start, the host's stolen time over it (all processors, ns) and	\
	 * the tasks' involuntary switches in its run round: what moves a	\
	 * figure between sittings, for compare to tell the machine from	\
	 * the code. */								\
	X(double, base_first, reps)						\
	X(double, load1, reps)							\
	X(double, steal_ns, reps)						\
	X(double, invol_switches, reps)						\
	/* BENCH_REPORTED values, NaN where none came. */			\
	X(double, value, reps * nval)						\
	/* Latency rounds (as many as measured ones, after them): per		\
	 * round and histogram, BENCH_LAT_NSTATS figures; and each		\
	 * histogram over every round. */					\
	X(double, lat, reps * nhist * BENCH_LAT_NSTATS)				\
	X(struct hist, hist, nhist)						\
	/* Counters come from separate counted rounds after the timed		\
	 * ones, so that perf events never slow down a timed round; each	\
	 * counted run round is followed by a counted baseline round.		\
	 * Operations of each, then per round and counter the count		\
	 * summed over tasks (NaN = unmeasured), and its baseline's. */		\
	X(double, ctr_ops, RUNNER_COUNT_ROUNDS)					\
	X(double, ctr_run, RUNNER_COUNT_ROUNDS * nctr)				\
	X(double, ctr_base, base * RUNNER_COUNT_ROUNDS * nctr)			\
	/* The processor each task ended on. */					\
	X(int, cpus_seen, ntasks)

struct runner_result {
	enum runner_status status;
	char reason[256];
	uint64_t iters;		/* iterations of the last measured round (rounds may shrink) */
	int reps;		/* measured rounds completed */
	int lat_rounds;		/* latency rounds completed */
	int ctr_rounds;		/* counted rounds completed */
	int nvalues, nhists;
	int ctr_ok[CTR_MAX];	/* 1 if the counter was measured in every task */
	int ctr_err[CTR_MAX];	/* errno of the failure otherwise */
	/* Each array of RUNNER_ARRAYS, all in the one block `arrays`. */
#define RUNNER_ARRAY_FIELD(type, name, count) type *name;
	RUNNER_ARRAYS(RUNNER_ARRAY_FIELD)
#undef RUNNER_ARRAY_FIELD
	void *arrays;
};

/* The signal that stopped the run (SIGINT, SIGTERM or SIGHUP), or 0; set
 * by the handler that runner_install_signals() installs. */
extern volatile sig_atomic_t runner_interrupted;
void runner_install_signals(void);

/* Run cfg; fills res (free with runner_result_free).  Returns 0 when the
 * configuration was attempted (see res->status: a runner that could not
 * even be forked is a failed configuration), -ENOMEM when the results
 * could not be kept. */
int runner_run(const struct runner_config *cfg, struct runner_result *res);
void runner_result_free(struct runner_result *res);

/*
 * Every process a configuration starts is gone when it ends: runner_run
 * checks after each that the calling process has no child left, and the
 * runner after teardown that the workload left none (harness/measure.c).
 * This is that check: 0 when it has none; else the pid of one, *defunct 1
 * for one that exited and was never waited for (left unreaped), 0 for
 * one still running (-1 when its pid cannot be read).  Reaps nothing.
 */
pid_t runner_child_left(int *defunct);

#endif
