/*
 * tests/test_h_gil.c - the gil.* family end to end: every workload runs
 * under every lock policy, as threads and (where it has them) as
 * processes, passes its own check (the run exits 0 only then: every
 * bytecode and every round trip accounted for) and gives every metric a
 * row.  What must hold whatever the timing: with no lock there is no
 * hand-over, no drop request, no lock wait; a process has its lock to
 * itself; no CPU-bound thread means no CPU-bound throughput.  Tiny
 * settings: this proves the work, it does not measure it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_util.h"

static void gil_run(const char *mode, struct csv_table *t)
{
	static struct cli_run r;
	char dir[64], out[128];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	/* Every workload but gil.interval, which takes only the locks that
	 * have an interval to sweep (quick_runs_every_benchmark runs it). */
	CLI(&r, "run", "gil.c*", "gil.native", "gil.io", "--mode", (char *)mode, "--threads",
	    "1,2", "--param", "gil=new,old,none,io_priority", "--param", "interval_us=200",
	    "--param", "cpu=0,1",
	    "--param", "n=2000", "--reps", "2", "--min-time", "0.002", "--counters", "none",
	    "--out", out);
	cr_assert_eq(r.status, 0, "gil.* --mode %s: stderr: %s", mode, r.err);
	cli_read_csv(out, t);
	cli_rmdir(dir);
}

static double gil_value(const struct csv_table *t, size_t r)
{
	return strtod(t->rows[r][cli_col(t, "median")], NULL);
}

/* Every metric of every gil.* workload that runs in `mode` has a row;
 * finite but for the lock's own rows under gil=none (no lock, nothing
 * to time). */
static void gil_expect_rows(const struct csv_table *t, enum bench_mode mode)
{
	int cb = cli_col(t, "bench"), cm = cli_col(t, "metric"), cp = cli_col(t, "params");
	int seen = 0;

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if (strncmp(d->name, "gil.", 4) || !(d->modes & mode) || d->hidden ||
		    !strcmp(d->name, "gil.interval"))	/* not in gil_run: see there */
			continue;
		seen++;
		for (const struct bench_metric *m = d->metrics; m->name; m++) {
			int found = 0;

			for (size_t r = 0; r < t->nrows; r++) {
				int lockless = strstr(t->rows[r][cp], "gil=none") != NULL;

				if (strcmp(t->rows[r][cb], d->name) || strcmp(t->rows[r][cm], m->name))
					continue;
				found = 1;
				if (!(lockless && strncmp(m->name, "gil_", 4) == 0))
					cr_assert(isfinite(gil_value(t, r)), "%s %s (%s): median %s",
						  d->name, m->name, t->rows[r][cp],
						  t->rows[r][cli_col(t, "median")]);
			}
			cr_assert(found, "%s: no %s row", d->name, m->name);
		}
	}
	cr_assert_gt(seen, 0, "no gil.* workload in the registry");
}

/* The figures that follow from the mechanism, not from the clock. */
static void gil_expect_mechanism(const struct csv_table *t, int process)
{
	int cb = cli_col(t, "bench"), cm = cli_col(t, "metric"), cp = cli_col(t, "params");

	for (size_t r = 0; r < t->nrows; r++) {
		const char *b = t->rows[r][cb], *m = t->rows[r][cm], *p = t->rows[r][cp];
		int lockless = strstr(p, "gil=none") != NULL;

		if (strcmp(b, "gil.cpu") == 0 && (lockless || process) &&
		    (!strcmp(m, "handovers_per_sec") || !strcmp(m, "drop_requests_per_sec")))
			cr_assert_eq(gil_value(t, r), 0.0, "%s %s (%s): a hand-over with %s", b, m, p,
				     lockless ? "no lock" : "one interpreter per lock");
		if (strcmp(b, "gil.convoy") == 0 && strstr(p, "cpu=0") &&
		    !strcmp(m, "cpu_bytecodes_per_sec"))
			cr_assert_eq(gil_value(t, r), 0.0, "CPU-bound bytecodes with no CPU thread");
		if (strcmp(b, "gil.convoy") == 0 && strstr(p, "cpu=1") &&
		    !strcmp(m, "cpu_bytecodes_per_sec"))
			cr_assert_gt(gil_value(t, r), 0.0, "the CPU-bound thread ran nothing");
		/* One CPU-bound thread has all of their bytecodes; none, no share. */
		if (strcmp(b, "gil.convoy") == 0 && !strncmp(m, "cpu_share_", 10)) {
			cr_assert(!strstr(p, "cpu=0"), "%s (%s): a share with no CPU thread", m, p);
			if (strstr(p, "cpu=1"))
				cr_assert_float_eq(gil_value(t, r), 1.0, 1e-9, "%s (%s)", m, p);
		}
	}
}

Test(gil, every_workload_as_threads, .timeout = 300)
{
	struct csv_table t;

	gil_run("thread", &t);
	gil_expect_rows(&t, BENCH_MODE_THREAD);
	gil_expect_mechanism(&t, 0);
	csv_table_free(&t);
}

Test(gil, every_workload_as_processes, .timeout = 300)
{
	struct csv_table t;

	gil_run("process", &t);
	gil_expect_rows(&t, BENCH_MODE_PROCESS);
	gil_expect_mechanism(&t, 1);
	csv_table_free(&t);
}

/* A program a workload builds must pass the interpreter's verifier:
 * the workloads abort on one that does not, so a run is the test. */
Test(gil, quick_runs_every_benchmark, .timeout = 300)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "gil.*", "--quick", "--reps", "2", "--min-time", "0.002", "--param",
	    "interval_us=200", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];
		int found = 0;

		if (strncmp(d->name, "gil.", 4) || d->hidden)
			continue;
		for (size_t k = 0; k < t.nrows && !found; k++)
			found = strcmp(t.rows[k][cli_col(&t, "bench")], d->name) == 0;
		cr_assert(found, "%s: no row in a quick run", d->name);
	}
	csv_table_free(&t);
	cli_rmdir(dir);
}
