/*
 * tests/test_h_checks_gil.c - every guard of gil.cpu's, gil.cores',
 * gil.native's and gil.io's check() (bench/gil_cpu.c, gil_io.c) refuses
 * the state it guards against, alone (tests/test_h_checks.c says why;
 * gil.convoy's is there).
 *
 * The interpreters' counts cover run() and the baseline: the right
 * state holds the bytecodes (and for gil.io the waits) of both, each
 * task with its own number of runs (3 and 5), so a check that forgot
 * the baseline, read one task's runs for all or skipped a task refuses
 * a state here that it would pass.  The baseline, each task alone, was
 * counted in once at a time (most 1).  The bytecodes follow n (gil.cpu)
 * and work (gil.io): the right state at two values of each, and the
 * bytecodes of one where the other was asked.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bench/gil.h"
#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_checks.h"

/* The runs (rounds) each of two tasks took part in. */
static const uint64_t checks_gil_runs[2] = { 3, 5 };

enum checks_gil_wrong {
	CG_RIGHT,
	CG_ERRORS,	/* an interpreter run failed */
	CG_MOST,	/* the baseline's most inside at once is d */
	CG_MOST_NO_BASE,	/* that, in a run with no baseline */
	CG_NO_BASE,	/* the right state for a run with no baseline */
	CG_INSNS,	/* task `task`'s bytecodes, d more */
	CG_WAITS,	/* task `task`'s waits, d more (gil.io) */
	CG_RUNS,	/* task `task`'s runs, d more, its bytecodes as they were */
	CG_RUN_ONLY,	/* task `task`'s counts of run() alone, the baseline's missing */
	CG_OTHER_N,	/* the bytecodes of the other n (gil.cpu) or work (gil.io) */
};

/* The two values of n and of work the cases are given (the default,
 * and a small one), so that a check that kept one fixed refuses one. */
static const char *const checks_gil_n[2] = { "1000", "100000" };
static const char *const checks_gil_work[2] = { "10", "100" };

static const struct {
	const char *what;
	enum checks_gil_wrong how;
	int task;	/* -1: the last */
	long d;
	int right;
	int big;	/* n and work at their defaults, not the small values */
} checks_gil_cases[] = {
	{ "right", CG_RIGHT, 0, 0, 1, 0 },
	{ "right, n and work at their defaults", CG_RIGHT, 0, 0, 1, 1 },
	{ "right, no baseline", CG_NO_BASE, 0, 0, 1, 0 },
	{ "two in the baseline at once, none asked", CG_MOST_NO_BASE, 0, 2, 0, 0 },
	{ "a failed run", CG_ERRORS, 0, 0, 0, 0 },
	{ "two tasks in the baseline at once", CG_MOST, 0, 2, 0, 0 },
	{ "a baseline that never counted itself in", CG_MOST, 0, 0, 0, 0 },
	{ "task 0 a bytecode short", CG_INSNS, 0, -1, 0, 0 },
	{ "task 0 a bytecode over", CG_INSNS, 0, 1, 0, 0 },
	{ "the last task a bytecode short", CG_INSNS, -1, -1, 0, 0 },
	{ "the last task a bytecode over", CG_INSNS, -1, 1, 0, 0 },
	{ "the last task a run more than its bytecodes", CG_RUNS, -1, 1, 0, 0 },
	{ "the last task a run fewer than its bytecodes", CG_RUNS, -1, -1, 0, 0 },
	{ "the last task's baseline missing", CG_RUN_ONLY, -1, 0, 0, 0 },
	{ "the bytecodes of the default where the small was asked", CG_OTHER_N, 0, 0, 0, 0 },
	{ "the bytecodes of the small where the default was asked", CG_OTHER_N, 0, 0, 0, 1 },
	{ "task 0 a wait short", CG_WAITS, 0, -1, 0, 0 },
	{ "the last task a wait short", CG_WAITS, -1, -1, 0, 0 },
	{ "the last task a wait over", CG_WAITS, -1, 1, 0, 0 },
};

/* ---- gil.cpu, gil.cores: countdown(n), iters times a run ---- */

/* Task i's bytecodes for `iters` countdowns of n over its runs: each
 * run adds its entry and exit, 6 (bench/gil_cpu.c). */
static uint64_t checks_gil_cpu_insns(uint64_t iters, uint64_t n, uint64_t runs)
{
	return gil_bench_countdown_insns(iters, n) - 6 + 6 * runs;
}

Test(checks, gil_cpu_refuses_each_wrong_count, .timeout = 30)
{
	static const char *const names[] = { "gil.cpu", "gil.cores" };

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(checks_gil_cases) / sizeof(checks_gil_cases[0]); k++) {
			enum checks_gil_wrong how = checks_gil_cases[k].how;
			long d = checks_gil_cases[k].d;
			uint64_t base = how == CG_NO_BASE || how == CG_MOST_NO_BASE ? 0 : CHECKS_BASE;
			int big = checks_gil_cases[k].big;
			struct gil_cpu_shared *s;
			struct bench_state st;
			int task;

			if (how == CG_WAITS)
				continue;	/* gil.io's */
			checks_setup(names[n], 2, (const char *const[]){ "n", checks_gil_n[big], NULL },
				     &st);
			s = st.priv;
			task = checks_gil_cases[k].task < 0 ? st.ntasks - 1 : checks_gil_cases[k].task;
			for (int i = 0; i < st.ntasks; i++) {
				uint64_t iters = CHECKS_RUN + base;

				if (how == CG_RUN_ONLY && i == task)
					iters = CHECKS_RUN;
				s->insns[st.ntasks + i] = checks_gil_runs[i];
				s->insns[i] = checks_gil_cpu_insns(
					iters, strtoull(checks_gil_n[how == CG_OTHER_N ? !big : big], NULL, 10),
					checks_gil_runs[i]);
			}
			s->alone.most = base ? 1 : 0;
			if (how == CG_ERRORS)
				s->errors = 1;
			if (how == CG_MOST || how == CG_MOST_NO_BASE)
				s->alone.most = (uint32_t)d;
			if (how == CG_INSNS)
				s->insns[task] += (uint64_t)d;
			if (how == CG_RUNS)
				s->insns[st.ntasks + task] += (uint64_t)d;
			checks_expect(&st, base, checks_gil_cases[k].right, checks_gil_cases[k].what);
			checks_teardown(&st);
		}
}

/* ---- gil.native: the C loop, a countdown an iteration ---- */

Test(checks, gil_native_refuses_each_wrong_count, .timeout = 30)
{
	static const long d[] = { 0, -1, 1 };

	for (size_t k = 0; k < sizeof(d) / sizeof(d[0]); k++) {
		struct gil_native_shared *s;
		struct bench_state st;

		checks_setup("gil.native", 1, NULL, &st);
		s = st.priv;
		s->loops = CHECKS_RUN + (uint64_t)d[k];
		checks_expect(&st, 0, d[k] == 0, d[k] < 0 ? "a countdown short" : "a countdown over");
		checks_teardown(&st);
	}
}

/* ---- gil.io: iters waits a run, each followed by `work` iterations ---- */

/* The bytecodes of n waits with `work` iterations after each, in one
 * run (bench/gil_io.c's program): 27 + 9 work a wait, 6 a run. */
static uint64_t checks_gil_io_insns(uint64_t n, uint64_t work, uint64_t runs)
{
	return n * (4 + 3 + 2 + 9 * work + 4 + 5) + 6 * runs;
}

Test(checks, gil_io_refuses_each_wrong_count, .timeout = 30)
{
	for (size_t k = 0; k < sizeof(checks_gil_cases) / sizeof(checks_gil_cases[0]); k++) {
		enum checks_gil_wrong how = checks_gil_cases[k].how;
		long d = checks_gil_cases[k].d;
		uint64_t base = how == CG_NO_BASE || how == CG_MOST_NO_BASE ? 0 : CHECKS_BASE;
		int big = checks_gil_cases[k].big;
		struct gil_io_shared *s;
		struct bench_state st;
		int nt, task;

		checks_setup("gil.io", 2, (const char *const[]){ "work", checks_gil_work[big], NULL },
			     &st);
		s = st.priv;
		nt = st.ntasks;
		task = checks_gil_cases[k].task < 0 ? nt - 1 : checks_gil_cases[k].task;
		for (int i = 0; i < nt; i++) {
			uint64_t iters = CHECKS_RUN + base;

			if (how == CG_RUN_ONLY && i == task)
				iters = CHECKS_RUN;
			s->count[i] = iters;
			s->count[nt + i] = checks_gil_io_insns(
				iters, strtoull(checks_gil_work[how == CG_OTHER_N ? !big : big], NULL, 10),
				checks_gil_runs[i]);
			s->count[2 * nt + i] = checks_gil_runs[i];
		}
		s->alone.most = base ? 1 : 0;
		if (how == CG_ERRORS)
			s->errors = 1;
		if (how == CG_MOST || how == CG_MOST_NO_BASE)
			s->alone.most = (uint32_t)d;
		if (how == CG_WAITS)
			s->count[task] += (uint64_t)d;
		if (how == CG_INSNS)
			s->count[nt + task] += (uint64_t)d;
		if (how == CG_RUNS)
			s->count[2 * nt + task] += (uint64_t)d;
		checks_expect(&st, base, checks_gil_cases[k].right, checks_gil_cases[k].what);
		checks_teardown(&st);
	}
}
