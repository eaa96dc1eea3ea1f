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

struct runner_result {
	enum runner_status status;
	char reason[256];
	uint64_t iters;		/* iterations of the last measured round (rounds may shrink) */
	int reps;		/* measured rounds completed */
	/* [reps] per measured round: its time, the CPU time of its tasks
	 * (summed), the operations they reported, Jain's index over them;
	 * and its baseline's time and CPU time (NULL without a baseline). */
	double *run_ns, *cpu_ns, *ops, *jain;
	double *base_ns, *base_cpu_ns;
	/* [reps]: the smallest / largest task's share of the operations. */
	double *share_min, *share_max;
	/* [reps]: 1 when the baseline ran first (ABBA, for ratios to a
	 * baseline); the 1-minute load average at the repetition's start,
	 * the host's stolen time over it (all processors, ns) and the
	 * tasks' involuntary switches in its run round: what moves a
	 * figure between sittings, for compare to tell the machine from
	 * the code. */
	double *base_first, *load1, *steal_ns, *invol_switches;
	/* [reps * nvalues]: BENCH_REPORTED values, NaN where none came. */
	double *value;
	int nvalues;
	/* Latency rounds (as many as measured ones, after them): per round
	 * and histogram, BENCH_LAT_NSTATS figures [lat_rounds * nhists *
	 * BENCH_LAT_NSTATS]; and each histogram over every round. */
	int lat_rounds, nhists;
	double *lat;
	struct hist *hist;	/* [nhists] */
	/* Counters come from separate counted rounds after the timed ones,
	 * so that perf events never slow down a timed round.  Each counted
	 * run round is followed by a counted baseline round. */
	int ctr_rounds;
	double *ctr_ops;	/* [ctr_rounds] operations in each counted round */
	double *ctr_run;	/* [ctr_rounds * nctr], summed over tasks; NaN = unmeasured */
	double *ctr_base;	/* the same for its baseline round; NULL without one */
	int ctr_ok[CTR_MAX];	/* 1 if the counter was measured in every task */
	int ctr_err[CTR_MAX];	/* errno of the failure otherwise */
	int *cpus_seen;		/* [ntasks] processor each task ended on */
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

#endif
