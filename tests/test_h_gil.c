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

/* The samples.csv rows of bench b's metric m: their `ops` (the round's
 * iterations) each equal to want; returns how many rows there were. */
static int gil_rounds_of(const struct csv_table *t, const char *b, const char *m, double want)
{
	int cb = cli_col(t, "bench"), cm = cli_col(t, "metric"), co = cli_col(t, "ops");
	int rows = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		if (strcmp(t->rows[r][cb], b) || strcmp(t->rows[r][cm], m))
			continue;
		rows++;
		cr_assert_eq(strtod(t->rows[r][co], NULL), want, "%s: a round of %s trips, not %g",
			     b, t->rows[r][co], want);
	}
	return rows;
}

/* The rtt samples bench b's histograms hold, all latency rounds. */
static double gil_rtt_count(const struct csv_table *h, const char *b)
{
	int cb = cli_col(h, "bench"), cm = cli_col(h, "metric"), cc = cli_col(h, "count");
	double n = 0;

	for (size_t r = 0; r < h->nrows; r++)
		if (!strcmp(h->rows[r][cb], b) && !strcmp(h->rows[r][cm], "rtt"))
			n += strtod(h->rows[r][cc], NULL);
	return n;
}

static const struct bench_desc *gil_desc(const char *name)
{
	for (int i = 0; bench_registry[i]; i++)
		if (!strcmp(bench_registry[i]->name, name))
			return bench_registry[i];
	cr_assert_fail("%s: not in the registry", name);
	return NULL;
}

/*
 * Issue 15, item 8: a convoy round holds a count of trips, not only a
 * length, and its start-up trip is neither timed nor counted.  With a
 * round length far below one trip, every round holds exactly the
 * bench's min_iters trips (it held 1 before: the start-up trip alone),
 * and the histograms hold exactly that many a latency round (one more
 * a round if the start-up trip were timed).
 */
Test(gil, convoy_rounds_hold_their_trips_without_the_start, .timeout = 300)
{
	static const char *const benches[] = { "gil.convoy", "gil.interval", "gil.cpython.convoy" };
	static struct cli_run r;
	char dir[64], out[128], samples[128], hists[128];
	struct csv_table s, h;
	const int reps = 2;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(samples, sizeof(samples), "%s/s.csv", dir);
	snprintf(hists, sizeof(hists), "%s/h.csv", dir);
	/* A round of 20 trips at a 1 ms interval that a loaded machine
	 * stretched past the round's limit is made once more. */
	CLI_SETTLED(&r, "run", "gil.convoy", "gil.interval", "gil.cpython.convoy", "--mode",
		    "thread", "--param", "gil=new", "--param", "cpu=1", "--param",
		    "interval_us=1000", "--reps", "2", "--min-time", "0.000001", "--counters",
		    "none", "--out", out, "--samples", samples, "--histograms", hists);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(samples, &s);
	cli_read_csv(hists, &h);
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench_desc *d = gil_desc(benches[i]);
		int rows;

		cr_assert_gt(d->min_iters, 1, "%s: no minimum count of trips", d->name);
		rows = gil_rounds_of(&s, d->name, "requests_per_sec", (double)d->min_iters);
		if (!rows && !strcmp(d->name, "gil.cpython.convoy"))
			continue;	/* no python3 here: skipped, with the reason */
		cr_assert_eq(rows, reps, "%s: %d rounds in samples.csv", d->name, rows);
		cr_assert_eq(gil_rtt_count(&h, d->name), (double)(reps * d->min_iters),
			     "%s: %g round trips timed in %d latency rounds of %llu", d->name,
			     gil_rtt_count(&h, d->name), reps, (unsigned long long)d->min_iters);
	}
	csv_table_free(&s);
	csv_table_free(&h);
	cli_rmdir(dir);
}

/*
 * Issue 15, item 9: gil.cpython.convoy's requests_per_sec is the
 * client's, first request to last answer, as gil.convoy's: not the
 * round's, which adds the `start` and `stop` commands.  Here python3
 * starts a thread half a second late and joins it two seconds late (a
 * sitecustomize on PYTHONPATH), so a span that takes in either command
 * is over two seconds for its 20 trips (under 10/s), while the trips
 * themselves at a 100 us interval take milliseconds, and not over a
 * second even on a loaded machine (a trip waits on a few wake-ups, each
 * a scheduler slice at worst).
 */
Test(gil, cpython_convoy_times_trips_not_commands, .timeout = 300)
{
	static struct cli_run r;
	char dir[64], out[128], path[128];
	struct csv_table t;
	FILE *f;
	int found = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sitecustomize.py", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("import threading, time\n"
	      "_start, _join = threading.Thread.start, threading.Thread.join\n"
	      "def start(self):\n"
	      "    time.sleep(0.5)\n"
	      "    _start(self)\n"
	      "def join(self, *a):\n"
	      "    time.sleep(2.0)\n"
	      "    _join(self, *a)\n"
	      "threading.Thread.start, threading.Thread.join = start, join\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(setenv("PYTHONPATH", dir, 1), 0);
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "gil.cpython.convoy", "--param", "cpu=1", "--param", "interval_us=100",
	    "--reps", "2", "--min-time", "0.000001", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	for (size_t k = 0; k < t.nrows; k++) {
		if (strcmp(t.rows[k][cli_col(&t, "metric")], "requests_per_sec"))
			continue;
		found = 1;
		cr_assert_gt(gil_value(&t, k), 15.0,
			     "requests_per_sec %g: the round's span (start and stop, > 2 s) "
			     "instead of the trips'", gil_value(&t, k));
	}
	csv_table_free(&t);
	cli_rmdir(dir);
	if (!found)
		cr_skip_test("no python3 here (gil.cpython.convoy skipped)");
}

/* Run the gil.cpython.* workloads at two switch intervals (cpu=0: no
 * CPU-bound thread to wait out, so the convoy's rounds stay short);
 * python3 from $PYTHONPATH's point of view as the caller left it. */
static void gil_cpython_run(struct cli_run *r)
{
	CLI(r, "run", "gil.cpython.cpu", "gil.cpython.convoy", "--param", "interval_us=100,5000",
	    "--param", "n=1000", "--param", "cpu=0", "--reps", "2", "--min-time", "0.002",
	    "--counters", "none", "--out", "/dev/null");
}

/*
 * interval_us reaches CPython in microseconds: python3 answers the
 * `interval` command with its own sys.getswitchinterval(), and check()
 * holds it to the row's interval_us, to the microsecond (the run exits
 * 0 only then).  Two values, so that a constant answer cannot pass.
 */
Test(gil, cpython_runs_with_the_interval_the_row_names, .timeout = 300)
{
	static struct cli_run r;
	int ok = 0;

	gil_cpython_run(&r);
	if (strstr(r.err, "... skipped: "))
		cr_skip_test("no python3 here (gil.cpython.* skipped)");

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	for (const char *p = r.err; (p = strstr(p, "... ok (")); p++)
		ok++;
	cr_assert_eq(ok, 4, "two workloads at two intervals: %s", r.err);
}

/* And the check sees a python3 that keeps another interval: here a
 * sitecustomize on PYTHONPATH makes sys.setswitchinterval keep a
 * thousandth of what it is given (seconds taken for milliseconds). */
Test(gil, cpython_with_another_interval_fails_the_check, .timeout = 300)
{
	static struct cli_run r;
	char dir[64], path[128];
	FILE *f;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sitecustomize.py", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("import sys\n"
	      "_set = sys.setswitchinterval\n"
	      "sys.setswitchinterval = lambda s: _set(s / 1000)\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(setenv("PYTHONPATH", dir, 1), 0);
	gil_cpython_run(&r);
	cli_rmdir(dir);
	if (strstr(r.err, "... skipped: "))
		cr_skip_test("no python3 here (gil.cpython.* skipped)");
	cr_assert_eq(r.status, 1, "a switch interval 1000 x too short passed: stderr: %s", r.err);
	cr_assert(strstr(r.err, "check failed: python3's sys.getswitchinterval() is not "
			 "interval_us"), "stderr: %s", r.err);
	cr_assert_null(strstr(r.err, "... ok"), "a configuration passed: %s", r.err);
}

/*
 * A ratio to the sequential program (time_vs_sequential, T_threads /
 * T_seq) needs a baseline that is the sequential program: each task
 * alone, one after another (BENCH_BASELINE_EACH), as harness/bench.h
 * says of BENCH_RATIO_TO_BASELINE.  A baseline run together makes T_seq
 * the parallel time, so the ratio reads ~1 for processes, not 1 / T.
 * Every workload of the registry, hidden ones too, so that a new one
 * cannot get it wrong; gil.cpu and gil.io also count their baseline's
 * tasks in and out, and their check() fails a run where two were in at
 * once (every_workload_as_threads and _as_processes run them).
 */
Test(gil, a_ratio_to_sequential_has_a_sequential_baseline, .timeout = 10)
{
	int seen = 0;

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		for (const struct bench_metric *m = d->metrics; m->name; m++) {
			if (m->kind != BENCH_RATIO_TO_BASELINE &&
			    m->kind != BENCH_RATIO_TO_BASELINE_CPU)
				continue;
			seen++;
			cr_assert_not_null(d->baseline, "%s %s: a ratio to no baseline", d->name,
					   m->name);
			cr_assert_eq(d->baseline_how, BENCH_BASELINE_EACH, "%s %s: its baseline runs "
				     "the tasks together, not each alone in turn: not T_seq",
				     d->name, m->name);
		}
	}
	cr_assert_gt(seen, 0, "no ratio to a baseline in the registry");
}
