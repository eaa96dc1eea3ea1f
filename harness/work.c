/*
 * harness/work.c - calibrated work: bench_work_loops() and the
 * calibration behind it (see work.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/bench.h"
#include "harness/clock.h"
#include "harness/stats.h"
#include "harness/work.h"

/* Tries wanted undisturbed, and made at most, per calibration. */
#define WORK_KEEP 9
#define WORK_MAX_TRIES 40
/* A try lasts about this much CPU time: long beside the clock's
 * granularity and a clock read, short beside a scheduler time slice. */
#define WORK_TRY_NS 1e6
/* Kept tries that disagree by more than this are measured again, at
 * most WORK_ATTEMPTS times; the calibration with the least spread wins,
 * among those with 3 undisturbed tries if any has them. */
#define WORK_SPREAD_OK 0.05
#define WORK_ATTEMPTS 3

static struct work_calibration work_cal;

int work_estimate(const struct work_try *tries, int n, struct work_calibration *c)
{
	double rate[n > 0 ? n : 1];
	int kept = 0, all = 0;

	memset(c, 0, sizeof(*c));
	c->tries = n;
	for (int i = 0; i < n; i++)
		kept += tries[i].wall_ns > 0 && tries[i].cpu_ns >= 0.95 * tries[i].wall_ns;
	all = kept < 3;
	kept = 0;
	for (int i = 0; i < n; i++) {
		if (!(tries[i].wall_ns > 0))
			continue;
		if (!all && tries[i].cpu_ns < 0.95 * tries[i].wall_ns)
			continue;
		if (all && tries[i].cpu_ns > 0)
			rate[kept++] = tries[i].loops / tries[i].cpu_ns;
		else
			rate[kept++] = tries[i].loops / tries[i].wall_ns;
	}
	if (kept == 0)
		return -1;
	c->kept = all ? 0 : kept;
	c->loops_per_ns = stats_median(rate, (size_t)kept);	/* sorts rate */
	c->spread = rate[(3 * (kept - 1)) / 4] / rate[(kept - 1) / 4] - 1;
	return 0;
}

static void work_time(uint64_t n, struct work_try *t)
{
	double c0 = clk_thread_cpu_ns();
	uint64_t t0 = clk_now();

	bench_work(n);
	t->wall_ns = clk_ns(clk_now() - t0);
	t->cpu_ns = clk_thread_cpu_ns() - c0;
	t->loops = (double)n;
}

/* One calibration: size a try by CPU time (a preemption cannot cut
 * it short), then time tries until WORK_KEEP held their processor. */
static void work_measure(struct work_calibration *c)
{
	struct work_try tries[WORK_MAX_TRIES], t;
	uint64_t n = 1 << 12;
	int made = 0, kept = 0;

	for (;;) {
		work_time(n, &t);
		if (!(t.cpu_ns < WORK_TRY_NS) || n >= (UINT64_C(1) << 40))
			break;
		n *= 2;
	}
	while (made < WORK_MAX_TRIES && kept < WORK_KEEP) {
		work_time(n, &tries[made]);
		kept += tries[made].cpu_ns >= 0.95 * tries[made].wall_ns;
		made++;
	}
	if (work_estimate(tries, made, c) < 0)
		c->loops_per_ns = 0;
}

const struct work_calibration *work_calibrate(void)
{
	if (work_cal.loops_per_ns > 0)
		return &work_cal;
	for (int k = 0; k < WORK_ATTEMPTS; k++) {
		struct work_calibration c;

		work_measure(&c);
		if (c.loops_per_ns > 0 &&
		    (work_cal.loops_per_ns == 0 || (c.kept >= 3 && work_cal.kept < 3) ||
		     ((c.kept >= 3) == (work_cal.kept >= 3) && c.spread < work_cal.spread)))
			work_cal = c;
		if (work_cal.loops_per_ns > 0 && work_cal.kept >= 3 &&
		    work_cal.spread <= WORK_SPREAD_OK)
			break;
	}
	return &work_cal;
}

void work_set_rate(double loops_per_ns)
{
	memset(&work_cal, 0, sizeof(work_cal));
	work_cal.loops_per_ns = loops_per_ns;
}

uint64_t bench_work_loops(double ns)
{
	if (!(ns > 0))
		return 0;
	return (uint64_t)llround(ns * work_calibrate()->loops_per_ns);
}
