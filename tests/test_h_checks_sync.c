/*
 * tests/test_h_checks_sync.c - every guard of the sync.* check()s
 * (bench/sync_cond.c, sync_sem.c, sync_event.c, sync_timer.c) refuses
 * the state it guards against, alone (tests/test_h_checks.c says why;
 * sync.event's own is in tests/test_h_sync.c).
 *
 * The right states count every task: each waiter, consumer or admitted
 * task holds the round's count, so a check that read one task's for all,
 * or skipped the first or the last, refuses a wrong state here that it
 * would pass.  No thread runs: the states are written, not made.
 */
#include <stdint.h>
#include <string.h>

#include "bench/sync.h"
#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_checks.h"

/* ---- sync.cond: every waiter released once a cycle ---- */

Test(checks, sync_cond_refuses_each_wrong_count, .timeout = 30)
{
	static const char *const notify[] = { "one", "all" };
	static const struct {
		const char *what;
		long d_cycles;
		int errors, unconfirmed, waiter;
		long d_wakes;
		int waiting, overlong;
	} c[] = {
		{ "right", 0, 0, 0, 0, 0, 0, 0 },
		{ "a cycle missing", -1, 0, 0, 0, 0, 0, 0 },
		{ "a cycle too many", 1, 0, 0, 0, 0, 0, 0 },
		{ "a wait not released", 0, 1, 0, 0, 0, 0, 0 },
		{ "a notify never found its waiters asleep", 0, 0, 1, 0, 0, 0, 0 },
		{ "waiter 1 a release short", 0, 0, 0, 1, -1, 0, 0 },
		{ "waiter 1 a release over", 0, 0, 0, 1, 1, 0, 0 },
		{ "the last waiter a release short", 0, 0, 0, 2, -1, 0, 0 },
		{ "the last waiter a release over", 0, 0, 0, 2, 1, 0, 0 },
		{ "a waiter left inside wait()", 0, 0, 0, 0, 0, 1, 0 },
		{ "a cycle's releases longer than the cycle", 0, 0, 0, 0, 0, 0, 1 },
	};

	for (size_t n = 0; n < sizeof(notify) / sizeof(notify[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct sync_bench_cond_shared *s;

			checks_setup("sync.cond", 3, (const char *const[]){ "notify", notify[n], NULL },
				     &st);
			s = st.priv;
			s->cycles = CHECKS_RUN + (uint64_t)c[k].d_cycles;
			s->errors = (uint64_t)c[k].errors;
			s->unconfirmed = (uint64_t)c[k].unconfirmed;
			for (int i = 1; i < st.ntasks; i++)
				s->wakes[i] = CHECKS_RUN + (i == c[k].waiter ? (uint64_t)c[k].d_wakes : 0);
			s->cond.waiting = (uint32_t)c[k].waiting;
			s->overlong = (uint64_t)c[k].overlong;
			checks_expect(&st, 0, k == 0, c[k].what);
			checks_teardown(&st);
		}
}

/* ---- sync.cond.wait_for: every consumer saw every bump ---- */

Test(checks, sync_cond_wait_for_refuses_each_wrong_count, .timeout = 30)
{
	static const struct {
		const char *what;
		long d_counter;
		int errors, empty, consumer;
		long d_seen;
	} c[] = {
		{ "right", 0, 0, 0, 0, 0 },
		{ "a bump missing", -1, 0, 0, 0, 0 },
		{ "a bump too many", 1, 0, 0, 0, 0 },
		{ "a failed wait_for()", 0, 1, 0, 0, 0 },
		{ "a wait_for() back with nothing new", 0, 0, 1, 0, 0 },
		{ "consumer 1 a bump behind", 0, 0, 0, 1, -1 },
		{ "consumer 1 past the counter", 0, 0, 0, 1, 1 },
		{ "the last consumer a bump behind", 0, 0, 0, 2, -1 },
		{ "the last consumer past the counter", 0, 0, 0, 2, 1 },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct bench_state st;
		struct sync_bench_cond_wf_shared *s;

		checks_setup("sync.cond.wait_for", 3, NULL, &st);
		s = st.priv;
		s->counter = CHECKS_RUN + (uint64_t)c[k].d_counter;
		s->errors = (uint64_t)c[k].errors;
		s->empty = (uint64_t)c[k].empty;
		for (int i = 1; i < st.ntasks; i++)
			s->seen[i] = CHECKS_RUN + (i == c[k].consumer ? (uint64_t)c[k].d_seen : 0);
		checks_expect(&st, 0, k == 0, c[k].what);
		checks_teardown(&st);
	}
}

/* ---- sync.sem, sync.sem.scene: never more inside than permits, every
 * permit back, every task admitted once an iteration ---- */

Test(checks, sync_sem_refuses_each_wrong_count, .timeout = 30)
{
	static const struct {
		const char *name;
		int ntasks;
	} w[] = { { "sync.sem", 3 }, { "sync.sem.scene", 20 } };
	static const struct {
		const char *what, *permits;
		int max_ever;	/* the most inside; 0 or less: permits + 1 + max_ever */
		int errors, short_rounds, inside, d_value, task;
		long d_ops;
		int right;
	} c[] = {
		{ "right", "5", 3, 0, 0, 0, 0, 0, 0, 1 },
		{ "right, the door full", "5", -1, 0, 0, 0, 0, 0, 0, 1 },
		{ "right, permits=1", "1", 1, 0, 0, 0, 0, 0, 0, 1 },
		{ "one more inside than permits", "5", 0, 0, 0, 0, 0, 0, 0, 0 },
		/* what passes at permits=5 is refused at permits=1 */
		{ "two inside at permits=1", "1", 2, 0, 0, 0, 0, 0, 0, 0 },
		{ "a failed acquire", "5", 3, 1, 0, 0, 0, 0, 0, 0 },
		{ "a round shorter than its holds", "5", 3, 0, 1, 0, 0, 0, 0, 0 },
		{ "a task left inside", "5", 3, 0, 0, 1, 0, 0, 0, 0 },
		{ "a permit not given back", "5", 3, 0, 0, 0, -1, 0, 0, 0 },
		{ "a permit more than the bound", "5", 3, 0, 0, 0, 1, 0, 0, 0 },
		{ "task 0 an admission short", "5", 3, 0, 0, 0, 0, 0, -1, 0 },
		{ "task 0 an admission over", "5", 3, 0, 0, 0, 0, 0, 1, 0 },
		{ "the last task an admission short", "5", 3, 0, 0, 0, 0, -1, -1, 0 },
		{ "the last task an admission over", "5", 3, 0, 0, 0, 0, -1, 1, 0 },
	};

	for (size_t n = 0; n < sizeof(w) / sizeof(w[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct sync_bench_sem *s;
			int task;

			checks_setup(w[n].name, w[n].ntasks,
				     (const char *const[]){ "permits", c[k].permits, NULL }, &st);
			s = st.priv;
			task = c[k].task < 0 ? st.ntasks - 1 : c[k].task;
			s->max_ever = (uint32_t)(c[k].max_ever > 0 ? c[k].max_ever
						 : (int)s->permits + 1 + c[k].max_ever);
			s->errors = (uint64_t)c[k].errors;
			s->short_rounds = (uint64_t)c[k].short_rounds;
			s->inside = (uint32_t)c[k].inside;
			if (c[k].d_value)
				cr_assert_eq(sync_sem_init(&s->sem, s->permits + (uint32_t)c[k].d_value,
							   0), 0);
			for (int i = 0; i < st.ntasks; i++)
				s->ops[i] = CHECKS_RUN + (i == task ? (uint64_t)c[k].d_ops : 0);
			checks_expect(&st, 0, c[k].right, c[k].what);
			checks_teardown(&st);
		}
}

/* ---- sync.event.idle: a set and a clear a cycle, the event's own
 * count of sets agreeing ---- */

Test(checks, sync_event_idle_refuses_each_wrong_count, .timeout = 30)
{
	static const struct {
		const char *what;
		long d_cycles, d_sets;
		int left_set;
	} c[] = {
		{ "right", 0, 0, 0 },
		{ "a cycle missing", -1, 0, 0 },
		{ "a cycle too many", 1, 0, 0 },
		{ "a set missing", 0, -1, 0 },
		{ "a set too many", 0, 1, 0 },
		{ "the event left set", 0, 0, 1 },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct bench_state st;
		struct sync_bench_event_idle *s;

		checks_setup("sync.event.idle", 1, NULL, &st);
		s = st.priv;
		s->cycles = CHECKS_RUN + (uint64_t)c[k].d_cycles;
		/* bits 2-31 count the sets, bit 0 is the flag */
		s->ev.state = (uint32_t)(CHECKS_RUN + c[k].d_sets) << 2 | (uint32_t)c[k].left_set;
		checks_expect(&st, 0, k == 0, c[k].what);
		checks_teardown(&st);
	}
}

/* ---- sync.timer, sync.timer.cancel: a timer started an operation; each
 * fired once (cancelled: never), none early, none failed ---- */

Test(checks, sync_timer_refuses_each_wrong_count, .timeout = 30)
{
	static const struct {
		const char *name, *what;
		long d_ops, d_calls;
		int early, errors, right;
	} c[] = {
		{ "sync.timer", "right", 0, 0, 0, 0, 1 },
		{ "sync.timer", "a timer not counted, its fire counted", -1, 0, 0, 0, 0 },
		{ "sync.timer", "a timer counted that never started", 1, 0, 0, 0, 0 },
		{ "sync.timer", "a timer that never fired", 0, -1, 0, 0, 0 },
		{ "sync.timer", "a timer that fired twice", 0, 1, 0, 0, 0 },
		{ "sync.timer", "a timer fired early", 0, 0, 1, 0, 0 },
		{ "sync.timer", "a failed start", 0, 0, 0, 1, 0 },
		{ "sync.timer.cancel", "right", 0, 0, 0, 0, 1 },
		{ "sync.timer.cancel", "a timer missing", -1, 0, 0, 0, 0 },
		{ "sync.timer.cancel", "a timer too many", 1, 0, 0, 0, 0 },
		{ "sync.timer.cancel", "a cancelled timer's function ran", 0, 1, 0, 0, 0 },
		{ "sync.timer.cancel", "a cancel too late", 0, 0, 0, 1, 0 },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct bench_state st;
		struct sync_bench_timer *s;

		checks_setup(c[k].name, 1, NULL, &st);
		s = st.priv;
		s->ops = CHECKS_RUN + (uint64_t)c[k].d_ops;
		/* sync.timer's function runs once a timer, the cancelled ones' never */
		s->calls = (strcmp(c[k].name, "sync.timer") ? 0 : CHECKS_RUN) + (uint64_t)c[k].d_calls;
		s->early = (uint64_t)c[k].early;
		s->errors = (uint64_t)c[k].errors;
		checks_expect(&st, 0, c[k].right, c[k].what);
		checks_teardown(&st);
	}
}
