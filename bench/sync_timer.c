/*
 * bench/sync_timer.c - threading.Timer: how late it fires, and what
 * cancelling one costs.  Thread-only, as Timer is (primitives/sync.h).
 *
 * sync.timer: one task starts a Timer of delay_us and sleeps on an Event
 * that the timer's function sets, after stamping the clock on the timer
 * thread.  lateness_*: that stamp - (the clock before start() + delay):
 * the timer thread's creation, the kernel's timer slack and wake-up, all
 * that stands between a deadline and the function running.  A timer
 * that fires before its delay fails check().  Every
 * operation is recorded (they last a millisecond or more: one clock read
 * is nothing to them).  cycle: start, fire, join, the whole of one.
 *
 * sync.timer.cancel: start a timer that would fire in a minute, cancel it
 * at once, join its thread.  cancel_*: the cancel() call alone; cycle:
 * the three together (mostly the thread's creation and join).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/sync.h"

/* sync.timer's figure besides its cycles (harness/bench.h, BENCH_FIGURES):
 * how late the timer's function ran after its due time. */
#define SYNC_BENCH_TIMER_FIGURES(VALUE, HIST)					\
	HIST(SYNC_BENCH_TIMER_HIST_LATENESS, "lateness")
BENCH_FIGURES(SYNC_BENCH_TIMER, SYNC_BENCH_TIMER_FIGURES);

static int sync_bench_timer_setup(struct bench_state *st)
{
	struct sync_bench_timer *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	sync_event_init(&s->fired, 0);		/* thread-only: private */
	s->delay_ns = bench_param_int(st, "delay_us") * 1000;
	st->priv = s;
	return 0;
}

/* The timer's function, on the timer thread.  The event's set publishes
 * fire_ns and calls to the waiter. */
static void sync_bench_timer_fire(void *arg)
{
	struct sync_bench_timer *s = arg;

	s->fire_ns = bench_now_ns();
	s->calls++;
	sync_event_set(&s->fired);
}

static uint64_t sync_bench_timer_run(struct bench_task *t, uint64_t iters)
{
	struct sync_bench_timer *s = t->st->priv;
	uint64_t errors = 0;

	for (uint64_t i = 0; i < iters; i++) {
		struct sync_timer tm;
		uint64_t due;

		sync_event_clear(&s->fired);
		if (sync_timer_init(&tm, s->delay_ns, sync_bench_timer_fire, s) < 0)
			abort();	/* delay_us is checked non-negative: a bug */
		due = bench_now_ns() + (uint64_t)s->delay_ns;
		if (sync_timer_start(&tm) != 0) {
			errors++;
			continue;
		}
		if (sync_event_wait(&s->fired, -1) != 0)
			errors++;
		/* The deadline is taken in start(), after `due`, on
		 * CLOCK_MONOTONIC: the function cannot run before due but by
		 * the clocks' disagreement (bench_now_ns may count cycles),
		 * a microsecond or a thousandth of the delay.  Such a fire
		 * reads 0; an earlier one is counted and fails check(). */
		if (s->fire_ns + (uint64_t)(s->delay_ns / 1000 > 1000 ? s->delay_ns / 1000 : 1000) <
		    due)
			s->early++;
		bench_record_ns(t, SYNC_BENCH_TIMER_HIST_LATENESS,
				s->fire_ns > due ? s->fire_ns - due : 0);
		if (sync_timer_join(&tm, -1) != 0 || sync_timer_destroy(&tm) != 0)
			errors++;
	}
	s->ops += iters;
	s->errors += errors;
	return iters;
}

static const char *sync_bench_timer_check(struct bench_state *st, uint64_t run_iters,
					  uint64_t base_iters)
{
	struct sync_bench_timer *s = st->priv;

	(void)base_iters;
	if (s->errors)
		return "a timer failed to start, fire or join";
	if (s->ops != run_iters || s->calls != run_iters)
		return "a timer did not fire once per operation";
	if (s->early)
		return "a timer fired before its delay had passed";
	return NULL;
}

/* 1, 10, 100 ms.  Each operation lasts its delay and the harness calibrates
 * the count to --min-time, so rounds are one or a few timers long at the
 * longer delays; --quick keeps to 1 ms. */
static const struct bench_param sync_bench_timer_params[] = {
	{ .name = "delay_us", .def = "1000,10000,100000", .quick = "1000",
	  .help = "the timer's delay, microseconds", .min = 0, .max = 10000000 },
	{ .name = NULL },
};

static const struct bench_metric sync_bench_timer_metrics[] = {
	BENCH_FIGURE_ROWS(SYNC_BENCH_TIMER_FIGURES)
	{ .name = "cycle", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

const struct bench_desc bench_sync_timer = {
	.name = "sync.timer",
	.summary = "Timer(delay) fires: how late its function runs after the deadline",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD,
	.tasks = 1,
	.params = sync_bench_timer_params,
	.metrics = sync_bench_timer_metrics,
	.setup = sync_bench_timer_setup,
	.run = sync_bench_timer_run,
	.check = sync_bench_timer_check,
};

/* ---- sync.timer.cancel --------------------------------------------------- */

/* A minute: never reached while the benchmark runs, so each cancel meets
 * a waiting timer (or one whose thread has not started waiting yet). */
#define SYNC_BENCH_TIMER_FAR_NS (60 * INT64_C(1000000000))

/* sync.timer.cancel's figure besides its cycles (harness/bench.h,
 * BENCH_FIGURES): one cancel of a waiting timer. */
#define SYNC_BENCH_TIMER_CANCEL_FIGURES(VALUE, HIST)				\
	HIST(SYNC_BENCH_TIMER_CANCEL_HIST_CANCEL, "cancel")
BENCH_FIGURES(SYNC_BENCH_TIMER_CANCEL, SYNC_BENCH_TIMER_CANCEL_FIGURES);

static uint64_t sync_bench_timer_cancel_run(struct bench_task *t, uint64_t iters)
{
	struct sync_bench_timer *s = t->st->priv;
	int rec = bench_recording(t);
	uint64_t errors = 0;

	for (uint64_t i = 0; i < iters; i++) {
		struct sync_timer tm;
		uint64_t t0 = 0;
		int won;

		if (sync_timer_init(&tm, SYNC_BENCH_TIMER_FAR_NS, sync_bench_timer_fire, s) < 0)
			abort();	/* constant arguments: a bug */
		if (sync_timer_start(&tm) != 0) {
			errors++;
			continue;
		}
		if (rec)
			t0 = bench_now_ns();
		won = sync_timer_cancel(&tm);
		if (rec)
			bench_record_ns(t, SYNC_BENCH_TIMER_CANCEL_HIST_CANCEL,
					sync_bench_since(t0));
		if (won != 1)
			errors++;
		if (sync_timer_join(&tm, -1) != 0 || sync_timer_destroy(&tm) != 0)
			errors++;
	}
	s->ops += iters;
	s->errors += errors;
	return iters;
}

static const char *sync_bench_timer_cancel_check(struct bench_state *st, uint64_t run_iters,
						 uint64_t base_iters)
{
	struct sync_bench_timer *s = st->priv;

	(void)base_iters;
	if (s->errors)
		return "a timer failed to start or join, or a cancel came too late";
	if (s->ops != run_iters)
		return "a timer was not started and cancelled once per operation";
	if (s->calls != 0)
		return "a cancelled timer's function ran";
	return NULL;
}

static const struct bench_metric sync_bench_timer_cancel_metrics[] = {
	BENCH_FIGURE_ROWS(SYNC_BENCH_TIMER_CANCEL_FIGURES)
	{ .name = "cycle", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

static int sync_bench_timer_cancel_setup(struct bench_state *st)
{
	struct sync_bench_timer *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	sync_event_init(&s->fired, 0);
	st->priv = s;
	return 0;
}

const struct bench_desc bench_sync_timer_cancel = {
	.name = "sync.timer.cancel",
	.summary = "start a Timer due in a minute and cancel() it: the cancel's cost",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD,
	.tasks = 1,
	.metrics = sync_bench_timer_cancel_metrics,
	.setup = sync_bench_timer_cancel_setup,
	.run = sync_bench_timer_cancel_run,
	.check = sync_bench_timer_cancel_check,
};
