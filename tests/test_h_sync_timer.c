/*
 * tests/test_h_sync_timer.c - what sync.timer.cancel's cancel rows time,
 * on a clock of known cost.
 *
 * The workload's own run() (bench/sync_timer.c, built into this file
 * over stand-ins for the harness's clock and histogram) times a real
 * Timer's start, cancel and join, but the clock it reads is the test's:
 * each reading moves it TT_READ_NS, and starting a timer, cancelling it
 * and joining its thread move it TT_START_NS, TT_CANCEL_NS and TT_JOIN_NS.
 * So a cancel timed from after start() to after cancel() reads exactly
 * TT_CANCEL_NS + TT_READ_NS, and one that took in the thread's creation
 * or its join reads a million more.  This file must include the workload
 * before any header that declares the harness's clock.
 */
#include <stdint.h>

#define bench_now_ns tt_now_ns
#define bench_record_ns tt_record_ns
#define bench_recording tt_recording
#define sync_timer_start tt_timer_start
#define sync_timer_cancel tt_timer_cancel
#define sync_timer_join tt_timer_join
#define bench_sync_timer tt_desc_timer
#define bench_sync_timer_cancel tt_desc_timer_cancel
#include "bench/sync_timer.c"
#undef bench_now_ns
#undef bench_record_ns
#undef bench_recording
#undef sync_timer_start
#undef sync_timer_cancel
#undef sync_timer_join
#undef bench_sync_timer
#undef bench_sync_timer_cancel

#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

/* The real ones, whose names the macros above hid from the headers. */
int sync_timer_start(struct sync_timer *t);
int sync_timer_cancel(struct sync_timer *t);
int sync_timer_join(struct sync_timer *t, int64_t timeout_ns);

enum { TT_READ_NS = 7, TT_START_NS = 1000000, TT_CANCEL_NS = 1000, TT_JOIN_NS = 3000000,
       TT_ITERS = 20 };

static struct {
	uint64_t clock, recorded[TT_ITERS];
	int records;
} tt;

uint64_t tt_now_ns(void)
{
	tt.clock += TT_READ_NS;
	return tt.clock;
}

void tt_record_ns(struct bench_task *t, int slot, uint64_t ns)
{
	(void)t;
	cr_assert_eq(slot, SYNC_BENCH_TIMER_CANCEL_HIST_CANCEL);
	if (tt.records < TT_ITERS)
		tt.recorded[tt.records] = ns;
	tt.records++;
}

int tt_recording(const struct bench_task *t)
{
	(void)t;
	return 1;
}

int tt_timer_start(struct sync_timer *t)
{
	tt.clock += TT_START_NS;
	return sync_timer_start(t);
}

int tt_timer_cancel(struct sync_timer *t)
{
	tt.clock += TT_CANCEL_NS;
	return sync_timer_cancel(t);
}

int tt_timer_join(struct sync_timer *t, int64_t timeout_ns)
{
	tt.clock += TT_JOIN_NS;
	return sync_timer_join(t, timeout_ns);
}

Test(sync_timer, cancel_times_the_cancel_call_alone, .timeout = 60)
{
	struct sync_bench_timer *s = calloc(1, sizeof(*s));
	struct bench_state st = { .ntasks = 1 };
	struct bench_task t = { .st = &st, .id = 0 };

	cr_assert_not_null(s);
	sync_event_init(&s->fired, 0);
	st.priv = s;
	memset(&tt, 0, sizeof(tt));
	cr_assert_eq(sync_bench_timer_cancel_run(&t, TT_ITERS), TT_ITERS);
	cr_assert_null(sync_bench_timer_cancel_check(&st, TT_ITERS, 0),
		       "every timer started, cancelled in time and joined");
	cr_assert_eq(tt.records, TT_ITERS, "one cancel timed per operation");
	for (int i = 0; i < TT_ITERS; i++)
		cr_assert_eq(tt.recorded[i], TT_CANCEL_NS + TT_READ_NS,
			     "cancel %d recorded %llu ns; the cancel took %d, a clock reading %d "
			     "(start %d, join %d)", i, (unsigned long long)tt.recorded[i],
			     TT_CANCEL_NS, TT_READ_NS, TT_START_NS, TT_JOIN_NS);
	free(s);
}
