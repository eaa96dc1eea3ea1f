/*
 * bench/spawn.h - what the spawn.* workloads share (bench/spawn.c: threads
 * and processes; bench/spawn_coro.c: greenlets and hub tasks): the
 * memory figures of a live-units round, fed by name.
 */
#ifndef CONTEND_BENCH_SPAWN_H
#define CONTEND_BENCH_SPAWN_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/bench.h"
#include "primitives/greenlet.h"

/* What spawn.*.live reports of a round (harness/bench.h, BENCH_FIGURES). */
#define SPAWN_FIGURES(VALUE, HIST)						\
	VALUE(SPAWN_CHARGED_PER_UNIT, .name = "charged_per_unit", .unit = "bytes",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(SPAWN_KMEM_PER_UNIT, .name = "kmem_per_unit", .unit = "bytes",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(SPAWN_RESIDENT_PER_UNIT, .name = "resident_per_unit", .unit = "bytes", \
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(SPAWN, SPAWN_FIGURES);

/* Units left to the rest of the machine (other users' processes, the
 * harness's own) when deciding whether n fits: a run must not take the
 * last pids of a shared host. */
#define SPAWN_ROOM_MARGIN 2000

#define SPAWN_PARAM_N(quick_)							\
	{ .name = "n", .def = "1000,10000", .quick = quick_, .min = 1, .max = 1000000,	\
	  .help = "units held alive at once" }

/* The growth from a to b over n units, reported (resident: b's rss, or
 * its pss where the units are processes). */
static inline void spawn_report_mem(struct bench_task *t, const struct bench_mem *a,
				    const struct bench_mem *b, long n, int pss)
{
	if (a->charged >= 0 && b->charged >= 0) {
		bench_report(t, SPAWN_CHARGED_PER_UNIT, (double)(b->charged - a->charged) / n);
		bench_report(t, SPAWN_KMEM_PER_UNIT, (double)(b->kmem - a->kmem) / n);
	}
	if (!pss && a->rss >= 0 && b->rss >= 0)
		bench_report(t, SPAWN_RESIDENT_PER_UNIT, (double)(b->rss - a->rss) / n);
	else if (pss && a->pss >= 0 && b->pss >= 0)
		bench_report(t, SPAWN_RESIDENT_PER_UNIT, (double)(b->pss - a->pss) / n);
}

/* The workloads' shared states, here so that a test can give check()
 * each wrong state in turn (tests/test_h_checks.c). */
enum spawn_carrier { SPAWN_THREAD, SPAWN_FORK, SPAWN_POSIX_SPAWN };

struct spawn_shared {
	enum spawn_carrier carrier;
	long n;			/* live: units held at once; 0: create + finish */
	uint32_t release;	/* live: the units may finish (futex word) */
	uint64_t ran;		/* units that ran (threads, forked children: atomic) */
	uint64_t finished;	/* units waited for, finished as they should */
	uint64_t errors;	/* creations or waits that failed */
	uint64_t run_iters;	/* iterations run() was given */
	/* The runner's own (tasks are its threads): */
	pthread_t *threads;
	pid_t *pids;
	int up[2];		/* posix_spawn live: each held program's "up" byte */
	int hold[2];		/* posix_spawn live: their stdin; closed to let go */
};

struct spawn_coro_shared {
	long n;			/* live: coroutines held at once; 0: cost */
	enum greenlet_stack mode;
	uint64_t ran;		/* bodies entered */
	uint64_t finished;	/* bodies that returned their argument, seen so */
	uint64_t errors;
	uint64_t run_iters;
	uint64_t hub_spawned, hub_finished;	/* the hub's counters, at the end */
};

#endif
