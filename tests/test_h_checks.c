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
#include "tests/h_checks.h"
#include "tests/h_util.h"

/* ---- ctx.coro.*: the body runs once per roundtrip, run and baseline, and
 * both sides dirty their ws_kb working sets once a roundtrip ---- */

static void checks_coro_right(struct ctx_coro_shared *s, int ws_kb)
{
	s->run_iters = CHECKS_RUN;
	s->solo = CHECKS_BASE;
	s->entries = CHECKS_RUN + CHECKS_BASE;
	s->lines = 2 * (CHECKS_RUN + CHECKS_BASE) * (uint64_t)ws_kb * 1024 / 64;
}

Test(checks, ctx_coro_refuses_each_wrong_count, .timeout = 30)
{
	static const char *const names[] = { "ctx.coro.asm", "ctx.coro.ucontext" };
	static const struct {
		const char *what;
		long d_run, d_solo, d_entries, d_lines;
		int ws_kb;
	} c[] = {
		{ "right", 0, 0, 0, 0, 0 },
		{ "right, 1 KiB a side", 0, 0, 0, 0, 1 },
		{ "run() given fewer", -1, 0, 0, 0, 0 },
		{ "baseline() given fewer", 0, -1, 0, 0, 0 },
		{ "a body entry missing", 0, 0, -1, 0, 0 },
		{ "a body entry too many", 0, 0, 1, 0, 0 },
		/* as if the baseline's entries were not counted: the run's
		 * alone, which a check of `entries >= run` would pass */
		{ "the baseline's entries missing", 0, 0, -CHECKS_BASE, 0, 0 },
		{ "a cache line not dirtied", 0, 0, 0, -1, 1 },
		/* ws_kb=1 that did not reach the working sets: none dirtied */
		{ "no working set", 0, 0, 0, -2 * (CHECKS_RUN + CHECKS_BASE) * 16, 1 },
		/* one side's working set alone (the body's, say) */
		{ "one side's working set", 0, 0, 0, -(CHECKS_RUN + CHECKS_BASE) * 16, 1 },
		{ "a working set where ws_kb=0", 0, 0, 0, 16, 0 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct ctx_coro_shared *s;

			checks_setup(names[n], 1,
				     c[k].ws_kb ? (const char *const[]){ "ws_kb", "1", NULL } : NULL,
				     &st);
			s = st.priv;
			checks_coro_right(s, c[k].ws_kb);
			s->run_iters += (uint64_t)c[k].d_run;
			s->solo += (uint64_t)c[k].d_solo;
			s->entries += (uint64_t)c[k].d_entries;
			s->lines += (uint64_t)c[k].d_lines;
			checks_expect(&st, CHECKS_BASE, c[k].d_run == 0 && c[k].d_solo == 0 &&
				      c[k].d_entries == 0 && c[k].d_lines == 0, c[k].what);
			checks_teardown(&st);
		}
}

/* ---- ctx.thread.*, ctx.process.*: on one processor each side is
 * switched out at least once an exchange ---- */

Test(checks, ctx_tally_refuses_a_side_that_never_left_one_processor, .timeout = 30)
{
	static const struct {
		const char *what;
		int ncpus;
		uint64_t switched0, switched1;
		int right;
	} c[] = {
		{ "once an exchange each", 1, CHECKS_RUN, CHECKS_RUN, 1 },
		{ "9 in 10 (a round's edges)", 1, CHECKS_RUN * 9 / 10, CHECKS_RUN * 9 / 10, 1 },
		{ "task 0 too few", 1, CHECKS_RUN * 8 / 10, CHECKS_RUN, 0 },
		{ "task 1 never", 1, CHECKS_RUN, 0, 0 },
		/* two processors: a side may spin through without leaving */
		{ "none, on two processors", 2, 0, 0, 1 },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct bench_state st;
		struct ctx_tally t = { .echoes = CHECKS_RUN, .solo = { CHECKS_BASE, CHECKS_BASE },
				       .switched = { c[k].switched0, c[k].switched1 } };
		const char *why;

		checks_setup("ctx.thread.pipe", 2, NULL, &st);
		st.ncpus = c[k].ncpus;
		why = ctx_tally_check(&t, &st, 2, CHECKS_RUN, CHECKS_BASE);
		cr_assert(c[k].right ? why == NULL : why != NULL, "%s: %s", c[k].what,
			  why ? why : "passed");
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
	s->heard = s->echoed * 64;	/* msg_bytes' default */
	s->windows_off = 0;
}

Test(checks, gil_convoy_refuses_each_wrong_count, .timeout = 30)
{
	static const char *const names[] = { "gil.convoy", "gil.interval" };
	static const struct {
		const char *what;
		long d_trips, d_echoed;
		int errors, windows_off;
		long d_heard;
	} c[] = {
		{ "right", 0, 0, 0, 0, 0 },
		{ "a trip missing", -1, 0, 0, 0, 0 },
		{ "a trip too many", 1, 0, 0, 0, 0 },
		{ "an answer missing", 0, -1, 0, 0, -64 },
		{ "an answer too many", 0, 1, 0, 0, 64 },
		/* the start-up trips' answers not counted: what a check of
		 * `echoed >= trips` would pass */
		{ "the start-up answers missing", 0, -3, 0, 0, -192 },
		{ "a failed send", 0, 0, 1, 0, 0 },
		{ "a window off its trips", 0, 0, 0, 1, 0 },
		{ "a request a byte short of msg_bytes", 0, 0, 0, 0, -1 },
		/* every request of the default size, the row's msg_bytes
		 * another: what a check against the client's own size passes */
		{ "requests of another size than msg_bytes", 0, 0, 0, 0, -(CHECKS_RUN + 3) * 63 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct gil_convoy_shared *s;

			checks_setup(names[n], 3, NULL, &st);
			s = st.priv;
			checks_convoy_right(s, 3);	/* three rounds' start-up trips */
			s->trips += (uint64_t)c[k].d_trips;
			s->echoed += (uint64_t)c[k].d_echoed;
			s->errors = (uint64_t)c[k].errors;
			s->windows_off = (uint64_t)c[k].windows_off;
			s->heard += (uint64_t)c[k].d_heard;
			checks_expect(&st, 0, k == 0, c[k].what);
			checks_teardown(&st);
		}
}

/* The row says io_priority, the threads' lock runs new: what a workload
 * that ignored gil would leave, and no count of a round shows it. */
Test(checks, gil_convoy_refuses_another_lock_policy, .timeout = 30)
{
	static const char *const names[] = { "gil.convoy", "gil.interval" };
	static const char *const over[] = { "gil", "io_priority", NULL };

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (int wrong = 0; wrong < 2; wrong++) {
			struct bench_state st;
			struct gil_convoy_shared *s;

			checks_setup(names[n], 3, over, &st);
			s = st.priv;
			checks_convoy_right(s, 3);
			if (wrong) {
				cr_assert_eq(gil_destroy(s->gil), 0);
				cr_assert_eq(gil_create(&s->gil, &(struct gil_config){
							.policy = GIL_NEW }), 0);
			}
			checks_expect(&st, 0, !wrong, "a lock of policy new for gil=io_priority");
			checks_teardown(&st);
		}
}

/* ---- setup() and teardown() give back what setup took ---- */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Entries of a /proc folder (. and .. aside). */
static int checks_proc_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Processes whose parent is this one, zombies included. */
static int checks_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && atoi(p + 4) == getpid())	/* ") S ppid" */
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Every registered workload that sets up here as threads (two tasks, or
 * its own count; each parameter at its default's first value) leaves,
 * once torn down, as many descriptors, threads and child processes as
 * there were before: a pipe, socket, server, interpreter or thread that
 * teardown forgot stays behind in the runner through every later
 * configuration of a sweep.  Three times over, so that a workload that
 * keeps one thing on purpose (a cache made once) is not mistaken for one
 * that leaks each time.
 */
Test(checks, teardown_gives_back_what_setup_took, .timeout = 120)
{
	int tried = 0;

	clk_init();
	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];
		static char vals[8][32];
		const char *val[8];
		int fds[4] = { 0 }, tasks[4] = { 0 }, kids[4] = { 0 };

		if (d->hidden || !(d->modes & BENCH_MODE_THREAD) || !d->setup)
			continue;
		for (int n = 0; d->params && d->params[n].name; n++) {
			cr_assert_lt(n, 8, "%s: too many parameters", d->name);
			snprintf(vals[n], sizeof(vals[n]), "%.*s",
				 (int)strcspn(d->params[n].def, ","), d->params[n].def);
			val[n] = vals[n];
		}
		for (int round = 0; round < 4; round++) {
			struct bench_state st = { .desc = d, .mode = BENCH_MODE_THREAD,
						  .ntasks = d->tasks ? d->tasks : 2, .ncpus = 2,
						  .param_values = val };
			int r;

			fds[round] = checks_proc_count("/proc/self/fd");
			tasks[round] = checks_proc_count("/proc/self/task");
			kids[round] = checks_children();
			if (round == 3 || (d->unfit && d->unfit(&st)))
				break;
			r = d->setup(&st);
			if (r == 0 && d->teardown)
				d->teardown(&st);
			bench_shared_free_all(&st);
			if (r == -ENOTSUP || r < 0)
				break;
			tried += round == 0;
		}
		/* What the first round kept may be kept once; the later rounds
		 * give back all they took. */
		if (fds[3] || tasks[3] || kids[3]) {
			cr_assert_eq(fds[3], fds[1], "%s: %d descriptors left open a setup",
				     d->name, (fds[3] - fds[1]) / 2);
			cr_assert_eq(tasks[3], tasks[1], "%s: threads left running",
				     d->name);
			cr_assert_eq(kids[3], kids[1], "%s: child processes left behind",
				     d->name);
		}
	}
	cr_assert_gt(tried, 40, "only %d workloads set up here", tried);
}
