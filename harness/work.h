/*
 * harness/work.h - the calibration behind bench_work_loops() (bench.h):
 * how many iterations of bench_work() take a nanosecond here.
 *
 * Measured once per run, in the contend process before any runner is
 * forked (envinfo_collect asks for it, and records it in env.csv), so
 * that every configuration of a run does the same work for the same
 * cs_ns; a runner started without it calibrates for itself.
 */
#ifndef CONTEND_WORK_H
#define CONTEND_WORK_H

/* One timed try: `loops` iterations took wall_ns of the harness clock
 * and cpu_ns of the thread's CPU time. */
struct work_try {
	double loops, wall_ns, cpu_ns;
};

struct work_calibration {
	double loops_per_ns;
	/* Over the tries kept: the upper over the lower quartile of their
	 * rates, minus 1 (0.01: they agree within 1 %). */
	double spread;
	int tries, kept;	/* made, and found undisturbed */
};

/*
 * The rate of n tries: the median of loops / wall_ns over the tries
 * that held their processor throughout (CPU time at least 95 % of wall
 * time: a preempted try only looks slower), or, when fewer than 3 did,
 * the median of loops / cpu_ns over all of them (the rate while on the
 * processor; their wall time holds the other tasks' turns too, which on
 * a loaded machine made the rate several times too low).  Fills c; 0,
 * or -1 when no try has a time.
 */
int work_estimate(const struct work_try *tries, int n, struct work_calibration *c);

/* Calibrate now if this process has not yet; the result stays. */
const struct work_calibration *work_calibrate(void);

/* Use this rate from now on (a test that needs a wrong one). */
void work_set_rate(double loops_per_ns);

#endif
