/*
 * harness/team.h - internal to the runner: the tasks of one
 * configuration and the rounds they run.
 *
 * A team is spawned once (threads or forked processes, each pinned where
 * the placement says and set up with task_init) and then driven round by
 * round: the runner asks some or all tasks to run `iters` iterations of
 * run() or baseline(), a start gate releases them together, and the
 * round's time, CPU time, operations and (in counted rounds) counter
 * deltas come back: the tasks' own, with every thread and process they
 * start, and those of the helpers the workload started before.  Everything the tasks and the runner share lives in
 * one MAP_SHARED mapping made before any fork, so the same code serves
 * threads and processes.
 */
#ifndef CONTEND_TEAM_H
#define CONTEND_TEAM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/bench.h"
#include "harness/counters.h"
#include "harness/hist.h"
#include "harness/runner.h"

/* What a task records and reports (bench_task.rec), in its team slot:
 * shared memory, so the runner reads it in both modes. */
struct bench_rec {
	int recording;			/* this round is a latency round */
	int nhist;
	struct hist *hist;		/* [nhist], this task's own */
	int reported[BENCH_MAX_VALUES];
	double value[BENCH_MAX_VALUES];
};

/* How many histograms / reported values a workload's metrics use. */
int bench_nhists(const struct bench_desc *d);
int bench_nvalues(const struct bench_desc *d);

enum team_phase { TEAM_RUN, TEAM_BASELINE, TEAM_STOP };

struct team_round {
	enum team_phase phase;
	int counting;		/* counters open and read around the work */
	/* A latency round: the tasks record, and their histograms are
	 * merged into merge[0 .. bench_nhists) (added to what is there). */
	int recording;
	struct hist *merge;
	int first, n;		/* tasks first .. first + n - 1 take part */
	uint64_t iters;
	/* A run() round of a workload with end_round (bench.h) that is
	 * still running this long after its start is ended early; 0: never. */
	double limit_ns;
};

struct team_result {
	double ns;		/* first start to last end over the tasks */
	double cpu_ns;		/* CPU time of the tasks that took part, summed */
	double ops;		/* operations they reported */
	double jain;		/* Jain's index over their operations */
	/* The smallest and largest task's operations over the fair share. */
	double share_min, share_max;
	/* BENCH_REPORTED values, combined over the tasks that reported;
	 * NaN where none did. */
	double value[BENCH_MAX_VALUES];
	double ctr[CTR_MAX];	/* counting: summed deltas, NaN = unmeasured */
	/* The tasks' involuntary context switches in the round (getrusage:
	 * the task threads themselves), summed; NaN where unknown. */
	double invol_switches;
};

enum team_status {
	TEAM_OK,
	TEAM_FAILED,		/* a task failed its setup, or died: see reason */
	TEAM_SKIPPED,		/* a task's setup said -ENOTSUP: see reason */
	TEAM_CUT,		/* ran past limit_ns and was ended early: out holds
				   what the tasks did until they left */
};

/* Helper threads counted at most; with more, counters are unmeasured. */
#define TEAM_MAX_HELPERS 256

struct team_shared;
struct team_arg;

struct team {
	const struct runner_config *cfg;
	struct bench_state *st;
	struct team_shared *sh;
	struct team_arg *args;
	pthread_t *threads;
	pid_t *pids;
	int spawned;
	uint32_t run_rounds;	/* run() rounds so far (end_round's number) */
	struct hist *hists;	/* [ntasks * nhist], shared */
	int nhist;
	/* Counted rounds: the threads the workload started before them
	 * (team.c, team_find_helpers) and their counters. */
	int helpers_open, nhelpers, helpers_overflow;
	pid_t helper_tid[TEAM_MAX_HELPERS];
	struct ctr_task *helper_ctrs;	/* [nhelpers] */
	struct ctr_sample *helper_c0;	/* [nhelpers]: read before the round */
	int helper_err[CTR_MAX];
};

/* MAP_SHARED anonymous memory, zeroed; NULL with errno on failure. */
void *team_map(size_t size);

/* Spawn cfg->ntasks tasks.  TEAM_OK, or TEAM_FAILED with reason set (the
 * tasks already spawned are then stopped by team_stop as usual). */
enum team_status team_start(struct team *tm, const struct runner_config *cfg,
			    struct bench_state *st, char *reason, size_t len);

/* One round; out is filled on TEAM_OK and TEAM_CUT.  On TEAM_FAILED or
 * TEAM_SKIPPED reason says which task and why. */
enum team_status team_round(struct team *tm, const struct team_round *rq,
			    struct team_result *out, char *reason, size_t len);

/* What the tasks saw: the processor each ended on, and for each counter
 * the errno of a failed open in any task (0 if every task opened it). */
void team_report(const struct team *tm, int *cpus_seen, int *ctr_err);

/* Stop and reap every task; after a failure (failed != 0) task processes
 * are killed first, since one may wait for ever for a partner. */
void team_stop(struct team *tm, int failed);

/* Free what bench_shared_alloc() handed out (harness/bench.c). */
void bench_shared_free_all(struct bench_state *st);

#endif
