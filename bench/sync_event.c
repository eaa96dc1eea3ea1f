/*
 * bench/sync_event.c - Event.set() waking every waiter: what a
 * threading.Event / multiprocessing.Event broadcast costs.
 *
 * sync.event: task 0 sets, tasks 1..N-1 wait.  One cycle: the setter
 * waits until every waiter is inside wait() (the event's own count),
 * then until every one is really asleep on the event's word
 * (bench/sync.h: the kernel's count of its sleepers, and each waiter
 * off the run queue), stamps the clock, sets; each waiter, back from wait(),
 * records how long after the stamp it runs (wake_*); once all are back
 * the setter clears and opens the gate to the next cycle, at which the
 * waiters sleep meanwhile (bench/sync.h), so that no waiter can pass
 * through a set meant for the cycle before.  `cycle` is the whole of it,
 * hand-shakes included; the wake rows are the set -> waiter figure.
 *
 * sync.event.idle: set() then clear() with nobody waiting, the floor
 * under every cycle above.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/sync.h"

/* sync.event's figures besides its cycles (harness/bench.h, BENCH_FIGURES):
 * set to each waiter running, timed by the waiter; and the fewest
 * waiters the kernel counted asleep on the event's word at any set of
 * the round, a known answer (N-1) that proves the wake rows time
 * wake-ups of sleepers: a setter that sets before its waiters sleep
 * times a flag check and reads fewer. */
#define SYNC_BENCH_EVENT_FIGURES(VALUE, HIST)					\
	HIST(SYNC_BENCH_EVENT_HIST_WAKE, "wake")				\
	VALUE(SYNC_BENCH_EVENT_ASLEEP_AT_SET, .name = "asleep_at_set",		\
	      .unit = "tasks", .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(SYNC_BENCH_EVENT, SYNC_BENCH_EVENT_FIGURES);

/* struct sync_bench_event_shared: bench/sync.h, where tests can fill it. */

/* The planner's test (bench_desc.unfit): nobody to wake alone. */
static const char *sync_bench_event_unfit(const struct bench_state *st)
{
	return st->ntasks < 2 ? "sync.event needs a waiter besides the setter "
				"(sync.event.idle is set/clear alone)" : NULL;
}

static int sync_bench_event_setup_as(struct bench_state *st, int miscount)
{
	struct sync_bench_event_shared *s;

	if (st->ntasks < 2)
		return bench_skip(st, sync_bench_event_unfit(st));
	s = bench_shared_alloc(st, sizeof(*s) + sizeof(uint64_t) * (size_t)st->ntasks);
	if (!s)
		return -ENOMEM;
	s->tid = bench_shared_alloc(st, sizeof(uint32_t) * (size_t)st->ntasks);
	if (!s->tid)
		return -ENOMEM;
	sync_event_init(&s->ev, sync_bench_shared(st));
	s->miscount = miscount;
	st->priv = s;
	return 0;
}

static int sync_bench_event_setup(struct bench_state *st)
{
	return sync_bench_event_setup_as(st, 0);
}

/* A self-test of the fewest-asleep figure: the first set of each round
 * counts one sleeper short, so the round's fewest, and the row, is N-2
 * where a real round's is N-1; a figure that kept the most, or the
 * last, would read N-1. */
static int sync_bench_event_miscount_setup(struct bench_state *st)
{
	return sync_bench_event_setup_as(st, 1);
}

/* Waiters say who they are; the setter checks it can watch them. */
static int sync_bench_event_task_init(struct bench_task *t)
{
	struct sync_bench_event_shared *s = t->st->priv;

	return sync_bench_watch_task_init(t, s->tid);
}

static void sync_bench_event_setter(struct bench_task *t, struct sync_bench_event_shared *s,
				    uint64_t iters, int rec, int shared)
{
	uint32_t nwait = (uint32_t)t->st->ntasks - 1;
	uint64_t k = s->cycles, unconfirmed = 0;
	int fewest = (int)nwait, asleep;

	/* Opened here, not in task_init: every waiter's id is out now. */
	if (!t->local)
		t->local = sync_bench_watch_open(s->tid, (int)nwait);
	for (uint64_t i = 0; i < iters; i++, k++) {
		/* Every waiter counted inside wait(), and asleep: the set
		 * wakes sleepers, not tasks on their way in. */
		sync_bench_spin_until(&s->ev.waiters, nwait);
		/* After one failure, no more 2 s waits: the run fails. */
		if (!t->local || s->unconfirmed || unconfirmed ||
		    sync_bench_await_asleep(t->local, &s->ev.state, (int)nwait, shared) < 0)
			unconfirmed++;
		/* The kernel's count again, apart from the confirmation and
		 * before the stamp (untimed): only we wake this word, so all
		 * nwait still sleep; asleep_at_set says so, or says not. */
		asleep = sync_bench_futex_sleepers(&s->ev.state, shared) - (s->miscount && i == 0);
		if (asleep < fewest)
			fewest = asleep;
		if (rec)
			s->stamp_ns = bench_now_ns();
		sync_event_set(&s->ev);		/* publishes stamp_ns */
		sync_bench_spin_until(&s->arrived, (uint32_t)(nwait * (k + 1)));
		sync_event_clear(&s->ev);
		sync_bench_gate_open(&s->open, (uint32_t)(k + 1), shared);
	}
	s->cycles = k;
	s->unconfirmed += unconfirmed;
	if (iters)
		bench_report(t, SYNC_BENCH_EVENT_ASLEEP_AT_SET, (double)fewest);
}

static void sync_bench_event_waiter(struct bench_task *t, struct sync_bench_event_shared *s,
				    uint64_t iters, int rec, int shared)
{
	uint64_t w = s->wakes[t->id], errors = 0;

	for (uint64_t i = 0; i < iters; i++) {
		sync_bench_gate_await(&s->open, (uint32_t)w, shared);
		if (sync_event_wait(&s->ev, -1) != 0)
			errors++;
		if (rec)
			bench_record_ns(t, SYNC_BENCH_EVENT_HIST_WAKE,
					sync_bench_since(s->stamp_ns));
		w++;
		/* Release: our read of stamp_ns happens before the setter,
		 * seeing the count, writes the next one. */
		__atomic_fetch_add(&s->arrived, 1, __ATOMIC_RELEASE);
	}
	s->wakes[t->id] = w;
	if (errors)
		__atomic_fetch_add(&s->errors, errors, __ATOMIC_RELAXED);
}

static uint64_t sync_bench_event_run(struct bench_task *t, uint64_t iters)
{
	struct sync_bench_event_shared *s = t->st->priv;
	int rec = bench_recording(t), shared = sync_bench_shared(t->st);

	if (t->id == 0) {
		sync_bench_event_setter(t, s, iters, rec, shared);
		return iters;
	}
	sync_bench_event_waiter(t, s, iters, rec, shared);
	return 0;
}

static const char *sync_bench_event_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	struct sync_bench_event_shared *s = st->priv;

	(void)base_iters;
	if (s->cycles != run_iters)
		return "the setter did not set the event every cycle";
	if (s->errors)
		return "a waiter's wait returned without the event set";
	if (s->unconfirmed)
		return "a set found a waiter not asleep on the event after 2 s (a kernel "
		       "whose /proc/<tid>/wchan shows no sleeper, or a bug)";
	for (int i = 1; i < st->ntasks; i++)
		if (s->wakes[i] != run_iters)
			return "a waiter did not wake once per set";
	if (sync_event_is_set(&s->ev))
		return "the event was left set";
	return NULL;
}

static const struct bench_metric sync_bench_event_metrics[] = {
	BENCH_FIGURE_ROWS(SYNC_BENCH_EVENT_FIGURES)
	{ .name = "cycle", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

/* sync.event and its self-test: one workload, the fields given (name,
 * summary, setup, and hidden or oversubscribe) named. */
#define SYNC_BENCH_EVENT_DESC(var, ...)						\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION,					\
		.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,		\
		.metrics = sync_bench_event_metrics,				\
		.unfit = sync_bench_event_unfit,				\
		.task_init = sync_bench_event_task_init,			\
		.run = sync_bench_event_run,					\
		.task_fini = sync_bench_watch_task_fini,			\
		.check = sync_bench_event_check, __VA_ARGS__			\
	}

SYNC_BENCH_EVENT_DESC(bench_sync_event, .name = "sync.event",
		      .summary = "Event.set() wakes N-1 sleeping waiters: set -> each waiter "
				 "running, per cycle",
		      .oversubscribe = 1, .setup = sync_bench_event_setup);
SYNC_BENCH_EVENT_DESC(bench_selftest_event_miscount, .name = "selftest.event_miscount",
		      .summary = "sync.event whose first set of a round counts one sleeper short",
		      .hidden = 1, .setup = sync_bench_event_miscount_setup);

/* ---- sync.event.idle ----------------------------------------------------- */

static int sync_bench_event_idle_setup(struct bench_state *st)
{
	struct sync_bench_event_idle *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	sync_event_init(&s->ev, sync_bench_shared(st));
	st->priv = s;
	return 0;
}

static uint64_t sync_bench_event_idle_run(struct bench_task *t, uint64_t iters)
{
	struct sync_bench_event_idle *s = t->st->priv;

	for (uint64_t i = 0; i < iters; i++) {
		sync_event_set(&s->ev);
		sync_event_clear(&s->ev);
	}
	s->cycles += iters;
	return iters;
}

static const char *sync_bench_event_idle_check(struct bench_state *st, uint64_t run_iters,
					 uint64_t base_iters)
{
	struct sync_bench_event_idle *s = st->priv;

	(void)base_iters;
	if (s->cycles != run_iters)
		return "the task did not set and clear every cycle";
	/* bits 2-31 of the word count sets (mod 2^30): the sets happened. */
	if ((s->ev.state >> 2) != (uint32_t)(run_iters & ((UINT32_C(1) << 30) - 1)))
		return "the event's count of sets does not match the cycles";
	if (sync_event_is_set(&s->ev))
		return "the event was left set";
	return NULL;
}

static const struct bench_metric sync_bench_event_idle_metrics[] = {
	{ .name = "set_clear", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

const struct bench_desc bench_sync_event_idle = {
	.name = "sync.event.idle",
	.summary = "Event.set() then clear() with nobody waiting: the floor under a wake-up",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.tasks = 1,
	.metrics = sync_bench_event_idle_metrics,
	.setup = sync_bench_event_idle_setup,
	.run = sync_bench_event_idle_run,
	.check = sync_bench_event_idle_check,
};
