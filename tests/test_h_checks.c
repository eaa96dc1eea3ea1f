/*
 * tests/test_h_checks.c - every guard of a workload's check() refuses
 * the state it guards against, alone.
 *
 * A check() proves that a round did what its figures claim: the counts
 * the workload kept agree with what the harness gave it.  A real run only
 * shows that check() passes a good state; a check() weakened to `>=`, or
 * one that forgets its baseline or a task, would pass it too.  So each
 * case here sets up the workload, writes a shared state that is right
 * but for one count, and asks check() about it: the right state passes,
 * each wrong one is refused.  The state is the workload's own struct,
 * declared in its family's header for this.
 */
#include <stdio.h>
#include <string.h>

#include "bench/ctx.h"
#include "bench/gil.h"
#include "harness/bench.h"
#include "harness/clock.h"
#include "harness/team.h"
#include "tests/check.h"
#include "tests/h_util.h"

#define CHECKS_RUN	1000	/* the iterations the harness "gave" run() */
#define CHECKS_BASE	300	/* and baseline() */

/* The registered benchmark `name`, set up as threads with ntasks tasks,
 * each parameter at the first value of its default. */
static void checks_setup(const char *name, int ntasks, struct bench_state *st)
{
	static char vals[8][32];
	static const char *val[8];
	const struct bench_desc *d = NULL;

	for (int i = 0; bench_registry[i]; i++)
		if (strcmp(bench_registry[i]->name, name) == 0)
			d = bench_registry[i];
	cr_assert_not_null(d, "%s is not registered", name);
	memset(st, 0, sizeof(*st));
	for (int n = 0; d->params && d->params[n].name; n++) {
		cr_assert_lt(n, 8, "%s: more parameters than the probe has room for", name);
		snprintf(vals[n], sizeof(vals[n]), "%.*s", (int)strcspn(d->params[n].def, ","),
			 d->params[n].def);
		val[n] = vals[n];
	}
	st->desc = d;
	st->mode = BENCH_MODE_THREAD;
	st->ntasks = ntasks;
	st->ncpus = 1;
	st->param_values = val;
	clk_init();
	cr_assert_eq(d->setup(st), 0, "%s: setup failed", name);
	cr_assert_not_null(st->priv, "%s: setup left no shared state", name);
}

static void checks_teardown(struct bench_state *st)
{
	if (st->desc->teardown)
		st->desc->teardown(st);
	bench_shared_free_all(st);
}

/* ---- ctx.coro.*: the body runs once per roundtrip, run and baseline ---- */

static void checks_coro_right(struct ctx_coro_shared *s)
{
	s->run_iters = CHECKS_RUN;
	s->solo = CHECKS_BASE;
	s->entries = CHECKS_RUN + CHECKS_BASE;
}

Test(checks, ctx_coro_refuses_each_wrong_count, .timeout = 30)
{
	static const char *const names[] = { "ctx.coro.asm", "ctx.coro.ucontext" };
	static const struct {
		const char *what;
		long d_run, d_solo, d_entries;
	} c[] = {
		{ "right", 0, 0, 0 },
		{ "run() given fewer", -1, 0, 0 },
		{ "baseline() given fewer", 0, -1, 0 },
		{ "a body entry missing", 0, 0, -1 },
		{ "a body entry too many", 0, 0, 1 },
		/* as if the baseline's entries were not counted: the run's
		 * alone, which a check of `entries >= run` would pass */
		{ "the baseline's entries missing", 0, 0, -CHECKS_BASE },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct ctx_coro_shared *s;
			const char *why;

			checks_setup(names[n], 1, &st);
			s = st.priv;
			checks_coro_right(s);
			s->run_iters += (uint64_t)c[k].d_run;
			s->solo += (uint64_t)c[k].d_solo;
			s->entries += (uint64_t)c[k].d_entries;
			why = st.desc->check(&st, CHECKS_RUN, CHECKS_BASE);
			if (k == 0)
				cr_assert_null(why, "%s: the right state refused: %s", names[n], why);
			else
				cr_assert_not_null(why, "%s: %s passed check()", names[n], c[k].what);
			checks_teardown(&st);
		}
}

/* ---- gil.convoy, gil.interval: a trip per iteration, an answer per trip --- */

static void checks_convoy_right(struct gil_convoy_shared *s, uint64_t startups)
{
	s->errors = 0;
	s->trips = CHECKS_RUN;
	s->startups = startups;
	s->echoed = CHECKS_RUN + startups;
	s->windows_off = 0;
}

Test(checks, gil_convoy_refuses_each_wrong_count, .timeout = 30)
{
	static const char *const names[] = { "gil.convoy", "gil.interval" };
	static const struct {
		const char *what;
		long d_trips, d_echoed;
		int errors, windows_off;
	} c[] = {
		{ "right", 0, 0, 0, 0 },
		{ "a trip missing", -1, 0, 0, 0 },
		{ "a trip too many", 1, 0, 0, 0 },
		{ "an answer missing", 0, -1, 0, 0 },
		{ "an answer too many", 0, 1, 0, 0 },
		/* the start-up trips' answers not counted: what a check of
		 * `echoed >= trips` would pass */
		{ "the start-up answers missing", 0, -3, 0, 0 },
		{ "a failed send", 0, 0, 1, 0 },
		{ "a window off its trips", 0, 0, 0, 1 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct gil_convoy_shared *s;
			const char *why;

			checks_setup(names[n], 3, &st);
			s = st.priv;
			checks_convoy_right(s, 3);	/* three rounds' start-up trips */
			s->trips += (uint64_t)c[k].d_trips;
			s->echoed += (uint64_t)c[k].d_echoed;
			s->errors = (uint64_t)c[k].errors;
			s->windows_off = (uint64_t)c[k].windows_off;
			why = st.desc->check(&st, CHECKS_RUN, 0);
			if (k == 0)
				cr_assert_null(why, "%s: the right state refused: %s", names[n], why);
			else
				cr_assert_not_null(why, "%s: %s passed check()", names[n], c[k].what);
			checks_teardown(&st);
		}
}
