/*
 * bench/sync_sem.c - BoundedSemaphore admission: N tasks through a door
 * that lets `permits` in at once, each holding its permit for hold_ns
 * of calibrated work (bench_work, not a sleep).
 *
 * (hold=work), or asleep for hold_ns (hold=sleep: a task that waits on
 * something else while it holds its permit, as the lesson's workers do).
 *
 * Every task counts itself in on entry and out before it releases (one
 * shared atomic), keeps the most it saw inside and publishes that per
 * round (max_inside): the semaphore's promise, measured.  It must never
 * pass `permits`, and check() fails the run if it ever did.
 *
 * With hold=sleep each hold lasts at least hold_ns (nanosleep's promise),
 * so a round of N admissions through P = min(permits, tasks) permits
 * spans at least N x hold_ns / P, from the first task's start to the
 * last one's end (two clock reads a task a round, none per admission):
 * a first-principles floor that a door letting more in, or a hold
 * shorter than asked, breaks.  check() fails the run if any round was
 * shorter (1 us allowed for clocks of different processors).
 *
 * sync.sem: --threads tasks, permits 5 unless told.  sync.sem.scene:
 * the lesson's picture, 20 tasks and 5 permits, each sleeping 100 us
 * inside, so that the door is full and 15 queue at it at any moment,
 * however few processors there are (work would fill it only as far as
 * there are processors to run the holders).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "bench/sync.h"

/* What each task reports of a round (harness/bench.h, BENCH_FIGURES): the
 * most tasks it saw inside at once, the largest over the tasks. */
#define SYNC_BENCH_SEM_FIGURES(VALUE, HIST)					\
	VALUE(SYNC_BENCH_SEM_MAX_INSIDE, .name = "max_inside", .unit = "tasks",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MAX)
BENCH_FIGURES(SYNC_BENCH_SEM, SYNC_BENCH_SEM_FIGURES);

static int sync_bench_sem_setup(struct bench_state *st)
{
	long long permits = bench_param_int(st, "permits"), hold_ns;	/* checked ranges */
	struct sync_bench_sem *s;

	s = bench_shared_alloc(st, sizeof(*s) + sizeof(uint64_t) * (size_t)st->ntasks);
	if (!s)
		return -ENOMEM;
	s->start_ns = bench_shared_alloc(st, sizeof(uint64_t) * (size_t)st->ntasks);
	s->end_ns = bench_shared_alloc(st, sizeof(uint64_t) * (size_t)st->ntasks);
	if (!s->start_ns || !s->end_ns)
		return -ENOMEM;
	s->permits = (uint32_t)permits;
	if (sync_sem_init(&s->sem, s->permits, sync_bench_shared(st)) < 0)
		return -EINVAL;
	hold_ns = bench_param_int(st, "hold_ns");
	s->hold_ns = (uint64_t)hold_ns;
	s->sleep = strcmp(bench_param_str(st, "hold"), "sleep") == 0;
	if (s->sleep) {
		s->hold_nap.tv_sec = hold_ns / 1000000000;
		s->hold_nap.tv_nsec = hold_ns % 1000000000;
	} else {
		s->hold_loops = bench_work_loops((double)hold_ns);
	}
	st->priv = s;
	return 0;
}

/*
 * hold=sleep, at a task's end of a round: the last task to finish holds
 * the round's span to its holds.  Every task wrote its start and end
 * before its add (acq_rel), so the last one sees them all.
 */
static void sync_bench_sem_round_end(struct bench_task *t, struct sync_bench_sem *s,
				     uint64_t iters)
{
	uint64_t first = UINT64_MAX, last = 0, n = iters * (uint64_t)t->st->ntasks;
	uint32_t doors = s->permits < (uint32_t)t->st->ntasks ? s->permits
							       : (uint32_t)t->st->ntasks;

	s->end_ns[t->id] = bench_now_ns();
	if (__atomic_add_fetch(&s->round_done, 1, __ATOMIC_ACQ_REL) != (uint32_t)t->st->ntasks)
		return;
	for (int i = 0; i < t->st->ntasks; i++) {
		if (s->start_ns[i] < first)
			first = s->start_ns[i];
		if (s->end_ns[i] > last)
			last = s->end_ns[i];
	}
	if ((double)(last - first) + 1000 < (double)n * (double)s->hold_ns / doors)
		s->short_rounds++;
	/* The next round starts after the harness's gate: no one adds now. */
	__atomic_store_n(&s->round_done, 0, __ATOMIC_RELAXED);
}

static uint64_t sync_bench_sem_run(struct bench_task *t, uint64_t iters)
{
	struct sync_bench_sem *s = t->st->priv;
	uint32_t max = 0, seen;
	uint64_t errors = 0;

	if (s->sleep)
		s->start_ns[t->id] = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		if (sync_sem_acquire(&s->sem) != 0)
			errors++;
		/* Relaxed: a count, ordered by the semaphore itself (its
		 * acquire and release), which is what is under test. */
		seen = __atomic_add_fetch(&s->inside, 1, __ATOMIC_RELAXED);
		if (seen > max)
			max = seen;
		if (s->sleep)
			nanosleep(&s->hold_nap, NULL);	/* EINTR: a shorter hold, no harm */
		else
			bench_work(s->hold_loops);
		__atomic_sub_fetch(&s->inside, 1, __ATOMIC_RELAXED);
		if (sync_sem_release(&s->sem) != 0)
			errors++;
	}
	bench_report(t, SYNC_BENCH_SEM_MAX_INSIDE, max);
	for (uint32_t m = __atomic_load_n(&s->max_ever, __ATOMIC_RELAXED);
	     m < max && !__atomic_compare_exchange_n(&s->max_ever, &m, max, 1,
						     __ATOMIC_RELAXED, __ATOMIC_RELAXED);)
		;
	if (errors)
		__atomic_fetch_add(&s->errors, errors, __ATOMIC_RELAXED);
	s->ops[t->id] += iters;
	if (s->sleep)
		sync_bench_sem_round_end(t, s, iters);
	return iters;
}

static const char *sync_bench_sem_check(struct bench_state *st, uint64_t run_iters,
					uint64_t base_iters)
{
	struct sync_bench_sem *s = st->priv;

	(void)base_iters;
	if (s->max_ever > s->permits)
		return "more tasks were inside at once than the semaphore has permits";
	if (s->errors)
		return "an acquire or a release failed";
	if (s->short_rounds)
		return "a round was shorter than its holds allow through the permits (admissions x "
		       "hold_ns / permits): a hold was cut short, or more were inside at once";
	if (s->inside != 0 || sync_sem_value(&s->sem) != s->permits)
		return "the semaphore did not end with every permit back";
	for (int i = 0; i < st->ntasks; i++)
		if (s->ops[i] != run_iters)
			return "a task was not admitted once per iteration";
	return NULL;
}

static const struct bench_metric sync_bench_sem_metrics[] = {
	{ .name = "admit", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(SYNC_BENCH_SEM_FIGURES)
	{ .name = NULL },
};

static const struct bench_param sync_bench_sem_params[] = {
	{ .name = "permits", .def = "5", .help = "the semaphore's initial (and bound) value",
	  .min = 1, .max = 1000000 },
	{ .name = "hold_ns", .def = "0", .help = "how long each task holds its permit",
	  .min = 0, .max = 1000000000 },
	{ .name = "hold", .def = "work", .choices = "work|sleep",
	  .help = "how a task holds its permit: calibrated work, or asleep" },
	{ .name = NULL },
};

const struct bench_desc bench_sync_sem = {
	.name = "sync.sem",
	.summary = "BoundedSemaphore admission: acquire, hold_ns of work, release",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.oversubscribe = 1,
	.params = sync_bench_sem_params,
	.metrics = sync_bench_sem_metrics,
	.setup = sync_bench_sem_setup,
	.run = sync_bench_sem_run,
	.check = sync_bench_sem_check,
};

/* 100 us asleep: long next to a wake-up (a few us), so the door, not the
 * hand-over, sets the pace. */
static const struct bench_param sync_bench_sem_scene_params[] = {
	{ .name = "permits", .def = "5", .help = "the semaphore's initial (and bound) value",
	  .min = 1, .max = 1000000 },
	{ .name = "hold_ns", .def = "100000",
	  .help = "how long each task holds its permit", .min = 0, .max = 1000000000 },
	{ .name = "hold", .def = "sleep", .choices = "work|sleep",
	  .help = "how a task holds its permit: calibrated work, or asleep" },
	{ .name = NULL },
};

const struct bench_desc bench_sync_sem_scene = {
	.name = "sync.sem.scene",
	.summary = "20 tasks sleep inside a BoundedSemaphore(5): never more than 5 at once",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.tasks = 20,
	.params = sync_bench_sem_scene_params,
	.metrics = sync_bench_sem_metrics,
	.setup = sync_bench_sem_setup,
	.run = sync_bench_sem_run,
	.check = sync_bench_sem_check,
};
