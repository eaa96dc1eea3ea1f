/*
 * harness/clock.h - the clock every measurement is read from.
 *
 * x86-64 with an invariant TSC (constant_tsc and nonstop_tsc): the TSC,
 * calibrated against CLOCK_MONOTONIC; aarch64: the generic timer's
 * virtual counter at its stated frequency; elsewhere, or when the TSC
 * cannot be trusted: clock_gettime(CLOCK_MONOTONIC).  clk_now() returns
 * ticks; convert differences with clk_ns().
 */
#ifndef CONTEND_CLOCK_H
#define CONTEND_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "primitives/arch/cpu.h"

struct clk_info {
	const char *source;	/* "tsc", "cntvct" or "clock_gettime" */
	double ticks_per_ns;
	double read_ns;		/* measured cost of one clk_now() */
	/* The median of two back-to-back readings in whole ns, as a workload
	 * gets them from bench_now_ns(): what any t1 - t0 it takes holds of
	 * the clock itself (bench_clock_pair_ns()). */
	uint64_t pair_ns;
	double resolution_ns;	/* smallest non-zero step seen */
	char note[160];		/* why a source was or was not used */
};

extern int clk_use_ticks;	/* internal: chosen by clk_init() */
extern double clk_ns_per_tick;

/* Choose and calibrate the clock (~30 ms).  Call once, before forking. */
void clk_init(void);
const struct clk_info *clk_get_info(void);

static inline uint64_t clk_now(void)
{
	if (clk_use_ticks)
		return cpu_ticks();
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double clk_ns(uint64_t ticks)
{
	return (double)ticks * clk_ns_per_tick;
}

/* Monotonic nanoseconds, for deadlines (not for measurements). */
uint64_t clk_mono_ns(void);

/* The calling thread's CPU time in ns (a forked task is one thread), or
 * NaN where the clock cannot be read. */
double clk_thread_cpu_ns(void);

#endif
