/*
 * harness/measure.h - internal to the runner: what the runner child does
 * with one configuration (set up, spawn the team, calibrate, warm up,
 * measure, count, check, tear down), and the record it fills for the
 * parent in shared memory.
 */
#ifndef CONTEND_MEASURE_H
#define CONTEND_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/hist.h"
#include "harness/runner.h"

/* Lives in a MAP_SHARED mapping that the parent made before the fork;
 * the arrays follow it (measure_arrays). */
struct measure_record {
	int status;		/* enum runner_status */
	char reason[256];
	char stage[64];		/* what the runner was doing, for the watchdog */
	uint64_t iters;
	int reps;		/* measured rounds completed */
	int ctr_rounds;
	int lat_rounds;		/* latency rounds completed */
	int ctr_err[CTR_MAX];
};

struct measure_arrays {
	double *run_ns, *cpu_ns, *ops, *jain, *base_ns, *base_cpu_ns;	/* [reps] */
	double *share_min, *share_max;		/* [reps] */
	/* [reps]: 1 when the baseline ran before the run (ABBA); what moves
	 * figures between sittings, per repetition: the 1-minute load
	 * average at its start, the machine's stolen time over it, and the
	 * tasks' involuntary context switches in its run round. */
	double *base_first, *load1, *steal_ns, *invol_switches;
	double *value;				/* [reps * nvalues] */
	double *lat;				/* [reps * nhists * BENCH_LAT_NSTATS] */
	struct hist *hist;			/* [nhists]: every latency round merged */
	double *ctr_ops;			/* [RUNNER_COUNT_ROUNDS] */
	double *ctr_run, *ctr_base;		/* [RUNNER_COUNT_ROUNDS * nctr] */
	int *cpus_seen;				/* [ntasks] */
};

size_t measure_record_size(const struct runner_config *cfg);
void measure_arrays(struct measure_record *r, const struct runner_config *cfg,
		    struct measure_arrays *a);

/* Everything the runner child does; the outcome is in r. */
void measure_config(const struct runner_config *cfg, struct measure_record *r);

#endif
