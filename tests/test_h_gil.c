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
#include "primitives/gil.h"
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
	cli_expect_every_bench(&t, "gil.");
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

/* ---- every parameter reaches its workload -------------------------------- */

/*
 * Each probe runs its benchmarks with one value or two of a parameter
 * and asserts what the workload must show for that value and a workload
 * that ignored it would not: an exact count (the lock's takes in the
 * latency rounds, from --histograms; a round's operations, from
 * --samples), a bound that holds however slow the machine (a wait the
 * mechanism makes at least an interval long), or check()'s refusal (the
 * run exits 0 only when it passes).  Rounds of one iteration (or the
 * workload's min_iters) where a count depends on them: --min-time far
 * below one iteration's time leaves calibration at its least.
 */
#define GIL_PROBE_REPS 2
#define GIL_PROBE_STR_(x) #x
#define GIL_PROBE_STR(x) GIL_PROBE_STR_(x)

static struct cli_run gil_probe_cli;

/* What the probes read of one run. */
struct gil_probe {
	struct csv_table t;	/* the results */
	struct csv_table h;	/* --histograms, when asked for */
	struct csv_table s;	/* --samples, when asked for */
	int has_h, has_s;
};

/* `contend run bench... opts... --reps 2 --counters none` (the caller
 * gives --min-time), with the histograms and samples when asked. */
static void gil_probe_run(struct gil_probe *p, char *const bench[], const char *const opts[],
			  int hists, int samples)
{
	char dir[64], hpath[128], spath[128];
	const char *all[48];
	int n = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(hpath, sizeof(hpath), "%s/h.csv", dir);
	snprintf(spath, sizeof(spath), "%s/s.csv", dir);
	for (int i = 0; opts[i]; i++) {
		cr_assert_lt(n, 36, "too many options for one probe");
		all[n++] = opts[i];
	}
	all[n++] = "--reps";
	all[n++] = GIL_PROBE_STR(GIL_PROBE_REPS);
	all[n++] = "--counters";
	all[n++] = "none";
	if (hists) {
		all[n++] = "--histograms";
		all[n++] = hpath;
	}
	if (samples) {
		all[n++] = "--samples";
		all[n++] = spath;
	}
	all[n] = NULL;
	memset(p, 0, sizeof(*p));
	cli_run_benches(&gil_probe_cli, &p->t, NULL, bench, all);
	if ((p->has_h = hists))
		cli_read_csv(hpath, &p->h);
	if ((p->has_s = samples))
		cli_read_csv(spath, &p->s);
	cli_rmdir(dir);
}

static void gil_probe_free(struct gil_probe *p)
{
	csv_table_free(&p->t);
	if (p->has_h)
		csv_table_free(&p->h);
	if (p->has_s)
		csv_table_free(&p->s);
}

static const char *gil_probe_cell(const struct csv_table *t, size_t i, const char *col)
{
	return t->rows[i][cli_col(t, col)];
}

/* The value of `key` in a params cell ("gil=new;n=3000"). */
static const char *gil_probe_param(const char *params, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = params; p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL)
		if (strncmp(p, key, len) == 0 && p[len] == '=')
			return p + len + 1;
	cr_assert_fail("no %s in %s", key, params);
	return NULL;
}

static double gil_probe_int(const char *params, const char *key)
{
	return strtod(gil_probe_param(params, key), NULL);
}

static int gil_probe_is(const char *params, const char *key, const char *value)
{
	const char *v = gil_probe_param(params, key);
	size_t len = strlen(value);

	return strncmp(v, value, len) == 0 && (v[len] == ';' || v[len] == '\0');
}

/* Row i of t and row k of u are of one configuration. */
static int gil_probe_same(const struct csv_table *t, size_t i, const struct csv_table *u, size_t k)
{
	static const char *const key[] = { "bench", "mode", "placement", "threads", "params" };

	for (size_t c = 0; c < sizeof(key) / sizeof(key[0]); c++)
		if (strcmp(gil_probe_cell(t, i, key[c]), gil_probe_cell(u, k, key[c])))
			return 0;
	return 1;
}

/* Column `col` of row i's configuration's `metric` row; NaN when it has
 * none (a figure nobody reported, a distribution that recorded nothing). */
static double gil_probe_figure(const struct gil_probe *p, size_t i, const char *metric,
			       const char *col)
{
	for (size_t k = 0; k < p->t.nrows; k++)
		if (!strcmp(gil_probe_cell(&p->t, k, "metric"), metric) &&
		    gil_probe_same(&p->t, i, &p->t, k))
			return strtod(gil_probe_cell(&p->t, k, col), NULL);
	return NAN;
}

/* The values distribution `metric` recorded in row i's configuration,
 * all latency rounds together (from the histograms). */
static double gil_probe_count(const struct gil_probe *p, size_t i, const char *metric)
{
	double n = 0;

	for (size_t k = 0; k < p->h.nrows; k++)
		if (!strcmp(gil_probe_cell(&p->h, k, "metric"), metric) &&
		    gil_probe_same(&p->t, i, &p->h, k))
			n += strtod(gil_probe_cell(&p->h, k, "count"), NULL);
	return n;
}

/* Call expect(p, i) on every row of metric `anchor` (one a
 * configuration) of each benchmark of bench[]; fails when one has none.
 * Returns the rows. */
static int gil_probe_each(const struct gil_probe *p, char *const bench[], const char *anchor,
			  void (*expect)(const struct gil_probe *p, size_t i))
{
	int all = 0;

	for (int b = 0; bench[b]; b++) {
		int seen = 0;

		for (size_t i = 0; i < p->t.nrows; i++)
			if (!strcmp(gil_probe_cell(&p->t, i, "bench"), bench[b]) &&
			    !strcmp(gil_probe_cell(&p->t, i, "metric"), anchor)) {
				expect(p, i);
				seen++;
			}
		cr_assert_gt(seen, 0, "%s: no %s row", bench[b], anchor);
		all += seen;
	}
	return all;
}

static const char *gil_probe_params(const struct gil_probe *p, size_t i)
{
	return gil_probe_cell(&p->t, i, "params");
}

static double gil_probe_tasks(const struct gil_probe *p, size_t i)
{
	return strtod(gil_probe_cell(&p->t, i, "threads"), NULL);
}

/* The lock's takes in the latency rounds of row i: each round takes it
 * `own` times of its own accord and ticks `ticks` times under old, whose
 * ticker lets go and takes again once in check_ticks + 1 ticks: so a
 * round adds floor or ceil of ticks / (check_ticks + 1) takes (where in
 * the cycle it starts decides which). */
static void gil_probe_takes_old(const struct gil_probe *p, size_t i, double own, double ticks)
{
	double per = ticks / (gil_probe_int(gil_probe_params(p, i), "check_ticks") + 1);
	double lo = GIL_PROBE_REPS * (own + floor(per)), hi = GIL_PROBE_REPS * (own + ceil(per));
	double got = gil_probe_count(p, i, "gil_wait");

	cr_assert(got >= lo && got <= hi, "%s %s: %g takes in %d latency rounds, not %g to %g",
		  gil_probe_cell(&p->t, i, "bench"), gil_probe_params(p, i), got, GIL_PROBE_REPS,
		  lo, hi);
}

/* Exactly `own` takes a latency round (no ticker, no drop request). */
static void gil_probe_takes(const struct gil_probe *p, size_t i, double own)
{
	double got = gil_probe_count(p, i, "gil_wait");

	cr_assert_eq(got, GIL_PROBE_REPS * own, "%s %s: %g takes in %d latency rounds, not %g",
		     gil_probe_cell(&p->t, i, "bench"), gil_probe_params(p, i), got,
		     GIL_PROBE_REPS, GIL_PROBE_REPS * own);
}

/* Which of the policies a probe saw rows of, a bit each. */
static unsigned gil_probe_policies;
#define GIL_PROBE_ALL_POLICIES ((1u << GIL_POLICY_COUNT) - 1)

static enum gil_policy gil_probe_policy(const char *params)
{
	const char *v = gil_probe_param(params, "gil");
	enum gil_policy policy;
	char name[32];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(v, ";"), v);
	cr_assert_eq(gil_policy_parse(name, &policy), 0, "no policy in %s", params);
	gil_probe_policies |= 1u << policy;
	return policy;
}

/* countdown_rounds(1, n): its bytecodes that tick under old (CMP, SUB,
 * ADD, a backward JUMP): 3 an iteration, 5 around them. */
static double gil_probe_countdown_ticks(const char *params)
{
	return 3 * gil_probe_int(params, "n") + 5;
}

/*
 * gil, gil.cpu and gil.cores: 2 threads, one countdown each a round, a
 * switch interval of 10 s that no round comes near: under new and
 * io_priority (no I/O here: the same lock) nobody asks the holder to
 * drop, so each thread takes the lock once a round; under old the ticker
 * adds its releases (3 ticks an iteration); under none there is no lock
 * to take and nothing hands over.
 */
static void gil_probe_policy_cpu_row(const struct gil_probe *p, size_t i)
{
	const char *params = gil_probe_params(p, i);
	double tasks = gil_probe_tasks(p, i);

	switch (gil_probe_policy(params)) {
	case GIL_NONE:
		gil_probe_takes(p, i, 0);
		cr_assert_eq(gil_probe_figure(p, i, "handovers_per_sec", "max"), 0.0, "%s", params);
		break;
	case GIL_OLD:
		gil_probe_takes_old(p, i, tasks, tasks * gil_probe_countdown_ticks(params));
		break;
	default:
		gil_probe_takes(p, i, tasks);
	}
	cr_assert_eq(gil_probe_figure(p, i, "drop_requests_per_sec", "max"), 0.0,
		     "%s: a drop request with a 10-s interval or none", params);
}

static void gil_probe_policy_cpu(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "2", "--mode", "thread",
			"--param", "gil=new,old,none,io_priority", "--param",
			"interval_us=10000000", "--param", "check_ticks=100", "--param", "n=3000",
			"--min-time", "0.000001", NULL }, 1, 0);
	gil_probe_policies = 0;
	gil_probe_each(&p, bench, "time_vs_sequential", gil_probe_policy_cpu_row);
	cr_assert_eq(gil_probe_policies, GIL_PROBE_ALL_POLICIES, "not every policy ran");
	gil_probe_free(&p);
}

/* gil.io's program, one wait a run: the bytecodes that tick under old,
 * 3 an iteration of work and 6 around them. */
static double gil_probe_io_ticks(const char *params)
{
	return 3 * gil_probe_int(params, "work") + 6;
}

/*
 * gil, gil.io: 2 threads, one wait and some work each a round, a 10-s
 * interval.  A thread takes the lock to start and again back from its
 * wait: under new exactly twice a round, as the one back second waits
 * for the other's work to end (no interval runs out); old adds its
 * ticker's; none takes none.  Under io_priority the one back second asks
 * at once and cuts the other's work short, which takes the lock again:
 * more.  That needs the two back within one work's time of each other,
 * so there the waits are 20 ms (the threads begin them together) and
 * the work 3000000 iterations (tens of milliseconds): it fails only if
 * one thread started over 20 ms late in both latency rounds.
 */
static void gil_probe_policy_io_row(const struct gil_probe *p, size_t i)
{
	const char *params = gil_probe_params(p, i);
	double tasks = gil_probe_tasks(p, i);

	switch (gil_probe_policy(params)) {
	case GIL_NONE:
		gil_probe_takes(p, i, 0);
		break;
	case GIL_OLD:
		gil_probe_takes_old(p, i, 2 * tasks, tasks * gil_probe_io_ticks(params));
		break;
	case GIL_NEW:
		gil_probe_takes(p, i, 2 * tasks);
		break;
	default:
		cr_assert_gt(gil_probe_count(p, i, "gil_wait"), GIL_PROBE_REPS * 2 * tasks,
			     "%s: no thread back from its wait cut the other's work short", params);
	}
}

static void gil_probe_policy_io(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_policies = 0;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "2", "--mode", "thread",
			"--param", "gil=new,old,none", "--param", "interval_us=10000000",
			"--param", "check_ticks=100", "--param", "io_us=1", "--param",
			"work=300000", "--min-time", "0.000001", NULL }, 1, 0);
	gil_probe_each(&p, bench, "waits_per_sec", gil_probe_policy_io_row);
	gil_probe_free(&p);
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "2", "--mode", "thread",
			"--param", "gil=io_priority", "--param", "interval_us=10000000",
			"--param", "io_us=20000", "--param", "work=3000000", "--min-time",
			"0.000001", NULL }, 1, 0);
	gil_probe_each(&p, bench, "waits_per_sec", gil_probe_policy_io_row);
	cr_assert_eq(gil_probe_policies, GIL_PROBE_ALL_POLICIES, "not every policy ran");
	gil_probe_free(&p);
}

/* The trips of a convoy round: the workload's least (rounds are held to
 * it here) and the untimed start-up trip. */
static double gil_probe_trips(const struct gil_probe *p, size_t i)
{
	return (double)gil_desc(gil_probe_cell(&p->t, i, "bench"))->min_iters + 1;
}

/*
 * gil, gil.convoy: the echo alone (cpu=0), check_ticks=1.  It takes the
 * lock to start and back from each recv and each send: 1 + 2 a trip,
 * under new and io_priority alike (nobody else wants it); under old its
 * ticker lets go every other tick of its 6 a trip and 2 more; none none.
 * (The lock's policy against io_priority's, which no count of a round
 * tells from new, check() reads back: the run exits 0 only then.)
 */
static void gil_probe_policy_convoy_row(const struct gil_probe *p, size_t i)
{
	const char *params = gil_probe_params(p, i);
	double trips = gil_probe_trips(p, i);

	switch (gil_probe_policy(params)) {
	case GIL_NONE:
		gil_probe_takes(p, i, 0);
		cr_assert_eq(gil_probe_figure(p, i, "handovers_per_sec", "max"), 0.0, "%s", params);
		break;
	case GIL_OLD:
		gil_probe_takes_old(p, i, 1 + 2 * trips, 2 + 6 * trips);
		break;
	default:
		gil_probe_takes(p, i, 1 + 2 * trips);
	}
}

static void gil_probe_policy_convoy(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--mode", "thread", "--param",
			"gil=new,old,none,io_priority", "--param", "interval_us=200", "--param",
			"check_ticks=1", "--param", "cpu=0", "--min-time", "0.000001", NULL },
		      1, 0);
	gil_probe_policies = 0;
	gil_probe_each(&p, bench, "requests_per_sec", gil_probe_policy_convoy_row);
	cr_assert_eq(gil_probe_policies, GIL_PROBE_ALL_POLICIES, "not every policy ran");
	gil_probe_free(&p);
}

/*
 * Beside a CPU-bound thread, under new, every round waits out an
 * interval: the client sends nothing before both interpreters have
 * begun, and the CPU-bound one never lets go of its own accord, so
 * whichever began second (the echo at its start, or the echo back from
 * the start-up trip's recv, the other holding it since) waits a whole
 * interval for the lock, and the holder has held it that long when it
 * is asked to drop.  In every latency round: gil_wait_max and
 * gil_hold_max at least the interval.
 */
static double gil_probe_interval_ns;

static void gil_probe_interval_convoy_row(const struct gil_probe *p, size_t i)
{
	static const char *const metric[] = { "gil_wait_max", "gil_hold_max" };
	const char *params = gil_probe_params(p, i);

	if (!gil_probe_is(params, "gil", "new"))
		return;
	for (int m = 0; m < 2; m++) {
		double least = gil_probe_figure(p, i, metric[m], "min");

		cr_assert_geq(least, gil_probe_interval_ns, "%s %s: a latency round's %s of %g ns "
			      "beside a CPU-bound thread, under an interval of %g ns",
			      gil_probe_cell(&p->t, i, "bench"), params, metric[m], least,
			      gil_probe_interval_ns);
	}
}

static void gil_probe_interval_convoy(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_interval_ns = 50e6;
	/* gil.interval has its one CPU-bound thread, gil.convoy is given one
	 * (gil.interval has no cpu: its first --param is the default) */
	gil_probe_run(&p, bench, (const char *const[]){ "--mode", "thread", "--param",
			strcmp(bench[0], "gil.convoy") ? "msg_bytes=64" : "cpu=1", "--param",
			"gil=new", "--param", "interval_us=50000", "--min-time", "0.000001", NULL },
		      0, 0);
	gil_probe_each(&p, bench, "requests_per_sec", gil_probe_interval_convoy_row);
	gil_probe_free(&p);
}

/*
 * gil, gil.interval (new or io_priority): check() holds the threads'
 * lock to the row's policy, so the run exits 0 only when each row ran
 * under its own (io_priority differs from new only in when a thread
 * back from I/O asks, which no count of a round shows); new's rows also
 * keep the interval's bound above.
 */
static void gil_probe_policy_interval(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_interval_ns = 2e6;
	gil_probe_run(&p, bench, (const char *const[]){ "--param", "gil=new,io_priority",
			"--param", "interval_us=2000", "--min-time", "0.000001", NULL }, 0, 0);
	gil_probe_policies = 0;
	cr_assert_eq(gil_probe_each(&p, bench, "requests_per_sec", gil_probe_interval_convoy_row),
		     2);
	for (size_t i = 0; i < p.t.nrows; i++)
		gil_probe_policy(gil_probe_params(&p, i));
	cr_assert_eq(gil_probe_policies, (1u << GIL_NEW) | (1u << GIL_IO_PRIORITY),
		     "new and io_priority did not both run");
	gil_probe_free(&p);
}

/*
 * interval_us, gil.cpu and gil.cores: under new, 2 threads each running
 * countdown(2000000) (tens of milliseconds) with a 10-s interval: each
 * takes the lock once a round and nobody asks for a drop.  At the 5-ms
 * default the one waiting would ask several times a round.
 */
static void gil_probe_interval_cpu_row(const struct gil_probe *p, size_t i)
{
	gil_probe_takes(p, i, gil_probe_tasks(p, i));
	cr_assert_eq(gil_probe_figure(p, i, "drop_requests_per_sec", "max"), 0.0,
		     "%s: a drop request with a 10-s interval", gil_probe_params(p, i));
}

static void gil_probe_interval_cpu(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "2", "--mode", "thread",
			"--param", "gil=new", "--param", "interval_us=10000000", "--param",
			"n=2000000", "--min-time", "0.000001", NULL }, 1, 0);
	gil_probe_each(&p, bench, "time_vs_sequential", gil_probe_interval_cpu_row);
	gil_probe_free(&p);
}

/* interval_us, gil.io: as its gil probe's new rows, 2 takes a thread a
 * round with a 10-s interval, here after a wait and 10^6 iterations of
 * work (tens of milliseconds: at 5 ms the thread back second would cut
 * the other's work short). */
static void gil_probe_interval_io_row(const struct gil_probe *p, size_t i)
{
	gil_probe_takes(p, i, 2 * gil_probe_tasks(p, i));
}

static void gil_probe_interval_io(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "2", "--mode", "thread",
			"--param", "gil=new", "--param", "interval_us=10000000", "--param",
			"io_us=1", "--param", "work=1000000", "--min-time", "0.000001", NULL },
		      1, 0);
	gil_probe_each(&p, bench, "waits_per_sec", gil_probe_interval_io_row);
	gil_probe_free(&p);
}

/*
 * check_ticks: under old, the takes of the ticker's releases, at 10 (or
 * 1) and 1000, against the known ticks of each workload's program:
 * gil.cpu and gil.cores one countdown(10000) a task, gil.io one wait
 * and 10000 iterations, gil.convoy the echo alone.
 */
static void gil_probe_ticks_cpu_row(const struct gil_probe *p, size_t i)
{
	double tasks = gil_probe_tasks(p, i);

	gil_probe_takes_old(p, i, tasks, tasks * gil_probe_countdown_ticks(gil_probe_params(p, i)));
}

static void gil_probe_ticks_cpu(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "1", "--mode", "thread",
			"--param", "gil=old", "--param", "check_ticks=10,1000", "--param",
			"n=10000", "--min-time", "0.000001", NULL }, 1, 0);
	gil_probe_each(&p, bench, "time_vs_sequential", gil_probe_ticks_cpu_row);
	gil_probe_free(&p);
}

static void gil_probe_ticks_io_row(const struct gil_probe *p, size_t i)
{
	gil_probe_takes_old(p, i, 2, gil_probe_io_ticks(gil_probe_params(p, i)));
}

static void gil_probe_ticks_io(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "1", "--mode", "thread",
			"--param", "gil=old", "--param", "check_ticks=10,1000", "--param",
			"io_us=1", "--param", "work=10000", "--min-time", "0.000001", NULL }, 1, 0);
	cr_assert_eq(gil_probe_each(&p, bench, "waits_per_sec", gil_probe_ticks_io_row), 2);
	gil_probe_free(&p);
}

static void gil_probe_ticks_convoy_row(const struct gil_probe *p, size_t i)
{
	double trips = gil_probe_trips(p, i);

	gil_probe_takes_old(p, i, 1 + 2 * trips, 2 + 6 * trips);
}

static void gil_probe_ticks_convoy(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--mode", "thread", "--param", "gil=old",
			"--param", "check_ticks=1,1000", "--param", "cpu=0", "--min-time",
			"0.000001", NULL }, 1, 0);
	cr_assert_eq(gil_probe_each(&p, bench, "requests_per_sec", gil_probe_ticks_convoy_row), 2);
	gil_probe_free(&p);
}

/*
 * n, gil.cpu and gil.cores: a round of one iteration is one countdown(n)
 * a task, so its operations (loop iterations, samples.csv's ops) are
 * tasks x n, and check() holds every interpreter's bytecodes to n's.
 */
static void gil_probe_n_cpu(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "2", "--mode", "thread",
			"--param", "gil=new", "--param", "n=1,3001", "--min-time", "0.000001",
			NULL }, 0, 1);
	for (int b = 0; bench[b]; b++) {
		int rounds = 0;

		for (size_t i = 0; i < p.s.nrows; i++) {
			const char *params = gil_probe_cell(&p.s, i, "params");
			double tasks = strtod(gil_probe_cell(&p.s, i, "threads"), NULL);
			double ops = strtod(gil_probe_cell(&p.s, i, "ops"), NULL);

			if (strcmp(gil_probe_cell(&p.s, i, "bench"), bench[b]) ||
			    strcmp(gil_probe_cell(&p.s, i, "metric"), "loop_iterations_per_sec"))
				continue;
			rounds++;
			cr_assert_eq(ops, tasks * gil_probe_int(params, "n"), "%s %s: a round of %g "
				     "loop iterations", bench[b], params, ops);
		}
		/* two values of n, each placement's repetitions */
		cr_assert_geq(rounds, 2 * GIL_PROBE_REPS, "%s: %d rounds in samples.csv", bench[b],
			      rounds);
	}
	gil_probe_free(&p);
}

/*
 * n, gil.native: a round of one iteration is one countdown(n), so its
 * operations are n; and with n = 10^8 a countdown that stopped short of
 * n would claim more loop iterations a second than a processor can make
 * (each is a dependent decrement and a taken branch: not 100 a
 * nanosecond, however fast the machine).
 */
static void gil_probe_n_native(char *const bench[], int n)
{
	struct gil_probe p;
	int rows = 0;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--param", "n=100000000", "--min-time",
			"0.000001", NULL }, 0, 1);
	for (size_t i = 0; i < p.s.nrows; i++) {
		double ops = strtod(gil_probe_cell(&p.s, i, "ops"), NULL);
		double value = strtod(gil_probe_cell(&p.s, i, "value"), NULL);

		rows++;
		cr_assert_eq(ops, 1e8, "a round of %g loop iterations", ops);
		cr_assert_leq(value, 1e11, "%g loop iterations a second", value);
	}
	cr_assert_eq(rows, GIL_PROBE_REPS, "%d rounds in samples.csv", rows);
	gil_probe_free(&p);
}

/*
 * cpu, gil.convoy: 0 CPU-bound threads report no share and run no
 * bytecode; 1 has all of them (both shares exactly 1); between 2 the
 * least and the most served, over their mean, add up to exactly 2.
 */
static void gil_probe_cpu_convoy_row(const struct gil_probe *p, size_t i)
{
	const char *params = gil_probe_params(p, i);
	double cpu = gil_probe_int(params, "cpu");
	double least = gil_probe_figure(p, i, "cpu_share_min", "median");
	double most = gil_probe_figure(p, i, "cpu_share_max", "median");

	if (cpu == 0) {
		cr_assert(isnan(least) && isnan(most), "%s: a share with no CPU-bound thread",
			  params);
		cr_assert_eq(gil_probe_figure(p, i, "cpu_bytecodes_per_sec", "max"), 0.0,
			     "%s: CPU-bound bytecodes with no CPU-bound thread", params);
	} else if (cpu == 1) {
		cr_assert(least == 1.0 && most == 1.0, "%s: shares %g and %g of one thread", params,
			  least, most);
	} else {
		/* to the CSV's 9 significant digits */
		cr_assert_float_eq(least + most, 2.0, 1e-7, "%s: shares %.9g and %.9g of two "
				   "threads", params, least, most);
	}
}

static void gil_probe_cpu_convoy(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--mode", "thread", "--param", "gil=new",
			"--param", "interval_us=200", "--param", "cpu=0,1,2", "--min-time",
			"0.000001", NULL }, 0, 0);
	cr_assert_eq(gil_probe_each(&p, bench, "requests_per_sec", gil_probe_cpu_convoy_row), 3);
	gil_probe_free(&p);
}

/* msg_bytes, gil.convoy and gil.interval: check() holds the bytes the
 * echo received to msg_bytes a request (the run exits 0 only then), at
 * the smallest and the largest. */
static void gil_probe_msg_row(const struct gil_probe *p, size_t i)
{
	double msg = gil_probe_int(gil_probe_params(p, i), "msg_bytes");

	cr_assert(msg == 1 || msg == 4096, "%s", gil_probe_params(p, i));
}

static void gil_probe_msg(char *const bench[], int n)
{
	struct gil_probe p;

	gil_probe_run(&p, bench, (const char *const[]){ "--mode", "thread", "--param", "gil=new",
			"--param", "interval_us=200", "--param", "cpu=0", "--param",
			"msg_bytes=1,4096", "--min-time", "0.000001", NULL }, 0, 0);
	cr_assert_eq(gil_probe_each(&p, bench, "requests_per_sec", gil_probe_msg_row), 2 * n);
	gil_probe_free(&p);
}

/* sample: a latency round of the workload's least trips times the first
 * and every sample-th: ceil(trips / sample) round trips in the rtt
 * histogram a round. */
static void gil_probe_sample_row(const struct gil_probe *p, size_t i)
{
	double trips = (double)gil_desc(gil_probe_cell(&p->t, i, "bench"))->min_iters;
	double sample = gil_probe_int(gil_probe_params(p, i), "sample");
	double got = gil_probe_count(p, i, "rtt");

	cr_assert_eq(got, GIL_PROBE_REPS * ceil(trips / sample), "%s %s: %g round trips timed",
		     gil_probe_cell(&p->t, i, "bench"), gil_probe_params(p, i), got);
}

static void gil_probe_sample(char *const bench[], int n)
{
	struct gil_probe p;
	char *here[CLI_PROBE_MAX_BENCH + 1];
	int k = 0;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--mode", "thread", "--param", "gil=new",
			"--param", "interval_us=200", "--param", "cpu=0", "--param", "sample=1,7",
			"--min-time", "0.000001", NULL }, 1, 0);
	/* gil.cpython.convoy is skipped, with its reason, without python3 */
	for (int b = 0; bench[b]; b++) {
		int rows = 0;

		for (size_t i = 0; i < p.t.nrows; i++)
			rows += !strcmp(gil_probe_cell(&p.t, i, "bench"), bench[b]);
		if (rows || strncmp(bench[b], "gil.cpython.", 12) ||
		    !strstr(gil_probe_cli.err, "skipped:"))
			here[k++] = bench[b];
	}
	here[k] = NULL;
	if (k < n)
		cr_log_warn("gil: no python3 here: sample not probed in gil.cpython.convoy");
	cr_assert_eq(gil_probe_each(&p, here, "requests_per_sec", gil_probe_sample_row), 2 * k);
	gil_probe_free(&p);
}

/* io_us=20000: every wait sleeps 20 ms with the lock released (a sleep
 * is never short), so the 2 threads make at most 2 waits in 20 ms:
 * waits_per_sec at most 100, in every round. */
static void gil_probe_io_us_row(const struct gil_probe *p, size_t i)
{
	double most = gil_probe_tasks(p, i) * 1e6 / gil_probe_int(gil_probe_params(p, i), "io_us");
	double got = gil_probe_figure(p, i, "waits_per_sec", "max");

	cr_assert_leq(got, most, "%s: %g waits a second", gil_probe_params(p, i), got);
}

static void gil_probe_io_us(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "2", "--mode", "thread",
			"--param", "gil=new", "--param", "io_us=20000", "--param", "work=0",
			"--min-time", "0.000001", NULL }, 0, 0);
	gil_probe_each(&p, bench, "waits_per_sec", gil_probe_io_us_row);
	gil_probe_free(&p);
}

/* work: under old the ticker counts the work's 3 ticks an iteration, so
 * the takes of 0 and of 10000 iterations after a wait are known. */
static void gil_probe_work(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--threads", "1", "--mode", "thread",
			"--param", "gil=old", "--param", "check_ticks=100", "--param", "io_us=1",
			"--param", "work=0,10000", "--min-time", "0.000001", NULL }, 1, 0);
	cr_assert_eq(gil_probe_each(&p, bench, "waits_per_sec", gil_probe_ticks_io_row), 2);
	gil_probe_free(&p);
}

/* ---- gil.cpython.*: what python3 itself did ------------------------------ */

/*
 * A sitecustomize for python3 (on PYTHONPATH) that logs, a line each,
 * "PID start TARGET" for every thread started and "PID join" for every
 * join, "PID countdown N" for every call of countdown (a profile hook,
 * in every thread), and "PID recv BYTES" for every socket recv: what
 * the gil.cpython.* script really ran, seen from inside python3.
 */
static const char gil_probe_site[] =
	"import os, socket, sys, threading\n"
	"_fd = os.open(os.environ['CONTEND_GIL_PROBE_LOG'],\n"
	"              os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)\n"
	"def _log(s):\n"
	"    os.write(_fd, ('%d %s\\n' % (os.getpid(), s)).encode())\n"
	"_start, _join = threading.Thread.start, threading.Thread.join\n"
	"def start(self):\n"
	"    _log('start ' + getattr(self._target, '__name__', '?'))\n"
	"    _start(self)\n"
	"def join(self, *a):\n"
	"    _join(self, *a)\n"
	"    _log('join')\n"
	"threading.Thread.start, threading.Thread.join = start, join\n"
	"def _prof(frame, event, arg):\n"
	"    if event == 'call' and frame.f_code.co_name == 'countdown':\n"
	"        _log('countdown %d' % frame.f_locals['n'])\n"
	"sys.setprofile(_prof)\n"
	"threading.setprofile(_prof)\n"
	"_recv = socket.socket.recv\n"
	"def recv(self, *a):\n"
	"    d = _recv(self, *a)\n"
	"    _log('recv %d' % len(d))\n"
	"    return d\n"
	"socket.socket.recv = recv\n";

/* What one python3 process logged. */
struct gil_probe_py {
	long pid;
	int run;		/* `target` threads started since the last join */
	int groups;		/* runs of them that a join ended */
	long group;		/* their length: the same every time, else -1 */
	int values;		/* `event` lines with a value above 0 */
	long value;		/* that value: the same every time, else -1 */
};

#define GIL_PROBE_PY_MAX 8

static void gil_probe_py_same(long *kept, int *count, long v)
{
	*kept = (*count)++ == 0 || *kept == v ? v : -1;
}

/*
 * Run bench[] with opts under the logging python3, and read what each
 * python3 process logged of threads started with `target` and of lines
 * `event`.  Returns the processes that logged any, in py[]; 0 when the
 * configurations were skipped (no python3 here).
 */
static int gil_probe_python(char *const bench[], const char *const opts[], const char *target,
			    const char *event, struct gil_probe_py *py)
{
	const char *was = getenv("PYTHONPATH");
	char dir[64], path[128], line[256], saved[1024] = "";
	struct gil_probe p;
	int npy = 0;
	FILE *f;

	if (was)
		snprintf(saved, sizeof(saved), "%s", was);
	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sitecustomize.py", dir);
	cli_write_str(path, gil_probe_site);
	snprintf(path, sizeof(path), "%s/log", dir);
	cr_assert_eq(setenv("PYTHONPATH", dir, 1), 0);
	cr_assert_eq(setenv("CONTEND_GIL_PROBE_LOG", path, 1), 0);
	gil_probe_run(&p, bench, opts, 0, 0);
	if (was)
		setenv("PYTHONPATH", saved, 1);
	else
		unsetenv("PYTHONPATH");
	unsetenv("CONTEND_GIL_PROBE_LOG");
	memset(py, 0, GIL_PROBE_PY_MAX * sizeof(*py));
	if (strstr(gil_probe_cli.err, "skipped:")) {
		cr_log_warn("gil: no python3 here: %s not probed", bench[0]);
		gil_probe_free(&p);
		cli_rmdir(dir);
		return 0;
	}
	cr_assert_not_null(f = fopen(path, "r"), "python3 logged nothing: %s", path);
	while (fgets(line, sizeof(line), f)) {
		char word[32], arg[64] = "";
		long pid;
		int k;

		cr_assert_geq(sscanf(line, "%ld %31s %63s", &pid, word, arg), 2, "log: %s", line);
		for (k = 0; k < npy && py[k].pid != pid; k++)
			;
		if (k == npy) {
			cr_assert_lt(npy, GIL_PROBE_PY_MAX, "more python3 processes than expected");
			py[npy++].pid = pid;
		}
		if (!strcmp(word, "start") && !strcmp(arg, target)) {
			py[k].run++;
		} else if (!strcmp(word, "join") && py[k].run) {
			gil_probe_py_same(&py[k].group, &py[k].groups, py[k].run);
			py[k].run = 0;
		} else if (!strcmp(word, event) && atol(arg) > 0) {
			gil_probe_py_same(&py[k].value, &py[k].values, atol(arg));
		}
	}
	fclose(f);
	gil_probe_free(&p);
	cli_rmdir(dir);
	return npy;
}

/* The distinct values `field` took over the processes that logged one,
 * as "a,b" in rising order: each process must keep one. */
static void gil_probe_py_seen(const struct gil_probe_py *py, int npy, int groups, char *out,
			      size_t len)
{
	long v[GIL_PROBE_PY_MAX];
	int n = 0;

	for (int k = 0; k < npy; k++) {
		long x = groups ? py[k].group : py[k].value;
		int count = groups ? py[k].groups : py[k].values;

		if (!count)
			continue;
		cr_assert_neq(x, -1, "python3 process %ld: %s changed within one configuration",
			      py[k].pid, groups ? "a command's thread count" : "the value logged");
		for (int i = 0; i <= n; i++)
			if (i == n || v[i] >= x) {
				if (i == n || v[i] != x) {
					memmove(&v[i + 1], &v[i], (size_t)(n - i) * sizeof(v[0]));
					v[i] = x;
					n++;
				}
				break;
			}
	}
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%ld", i ? "," : "", v[i]);
}

/* threads, gil.cpython.cpu: every `threads` command starts exactly that
 * many Python threads, and joins them: 1 in one configuration, 3 in the
 * other. */
static void gil_probe_threads_cpython(char *const bench[], int n)
{
	struct gil_probe_py py[GIL_PROBE_PY_MAX];
	char seen[128];
	int npy;

	(void)n;
	npy = gil_probe_python(bench, (const char *const[]){ "--param", "threads=1,3", "--param",
			       "n=1000", "--min-time", "0.000001", NULL }, "work", "countdown", py);
	if (!npy)
		return;
	gil_probe_py_seen(py, npy, 1, seen, sizeof(seen));
	cr_assert_str_eq(seen, "1,3", "threads=1,3: python3 started threads %s at a time", seen);
	/* and a round's operations are every thread's loops: a whole
	 * number of threads x n in each repetition */
	struct gil_probe p;
	int rows = 0;

	gil_probe_run(&p, bench, (const char *const[]){ "--param", "threads=3", "--param", "n=1000",
			       "--min-time", "0.000001", NULL }, 0, 1);
	for (size_t i = 0; i < p.s.nrows; i++) {
		double ops = strtod(gil_probe_cell(&p.s, i, "ops"), NULL);

		rows++;
		cr_assert(ops > 0 && fmod(ops, 3000) == 0, "threads=3 n=1000: a round of %g loop "
			  "iterations", ops);
	}
	cr_assert_gt(rows, 0, "no samples");
	gil_probe_free(&p);
}

/* n, gil.cpython.cpu: python3's countdown is called with n, every time. */
static void gil_probe_n_cpython(char *const bench[], int n)
{
	struct gil_probe_py py[GIL_PROBE_PY_MAX];
	char seen[128];
	int npy;

	(void)n;
	npy = gil_probe_python(bench, (const char *const[]){ "--param", "n=1000,3000", "--param",
			       "threads=2", "--min-time", "0.000001", NULL }, "work", "countdown",
			       py);
	if (!npy)
		return;
	gil_probe_py_seen(py, npy, 0, seen, sizeof(seen));
	cr_assert_str_eq(seen, "1000,3000", "n=1000,3000: python3 counted down from %s", seen);
}

/* cpu, gil.cpython.convoy: each round's `start` begins exactly cpu
 * spinning threads and `stop` joins them: none in one configuration
 * (whose python3 still serves the echo), 2 at a time in the other. */
static void gil_probe_cpu_cpython(char *const bench[], int n)
{
	struct gil_probe_py py[GIL_PROBE_PY_MAX];
	char seen[128];
	int npy, idle = 0;

	(void)n;
	npy = gil_probe_python(bench, (const char *const[]){ "--param", "cpu=0,2", "--param",
			       "interval_us=100", "--min-time", "0.000001", NULL }, "spin", "recv",
			       py);
	if (!npy)
		return;
	for (int k = 0; k < npy; k++)
		idle += py[k].values > 0 && py[k].groups == 0;
	gil_probe_py_seen(py, npy, 1, seen, sizeof(seen));
	cr_assert_str_eq(seen, "2", "cpu=2: python3 started spinning threads %s at a time", seen);
	cr_assert_eq(idle, 1, "cpu=0: %d python3 echoes without a spinning thread", idle);
}

/* msg_bytes, gil.cpython.convoy: python3's echo receives msg_bytes at a
 * time (small messages on a Unix stream socket arrive whole), 1 in one
 * configuration, 1000 in the other. */
static void gil_probe_msg_cpython(char *const bench[], int n)
{
	struct gil_probe_py py[GIL_PROBE_PY_MAX];
	char seen[128];
	int npy;

	(void)n;
	npy = gil_probe_python(bench, (const char *const[]){ "--param", "msg_bytes=1,1000",
			       "--param", "cpu=0", "--min-time", "0.000001", NULL }, "spin", "recv",
			       py);
	if (!npy)
		return;
	gil_probe_py_seen(py, npy, 0, seen, sizeof(seen));
	cr_assert_str_eq(seen, "1,1000", "msg_bytes=1,1000: python3's echo received %s bytes "
			 "at a time", seen);
}

/* interval_us, gil.cpython.*: check() holds python3's own
 * sys.getswitchinterval() to the row's interval_us, to the microsecond,
 * so the run exits 0 only when python3 ran with 1234 us, not the 5000
 * default. */
static void gil_probe_interval_cpython(char *const bench[], int n)
{
	struct gil_probe p;

	(void)n;
	gil_probe_run(&p, bench, (const char *const[]){ "--param", "interval_us=1234", "--param",
			"n=1000", "--param", "cpu=0", "--min-time", "0.000001", NULL }, 0, 0);
	for (int b = 0; bench[b]; b++) {
		int rows = 0;

		for (size_t i = 0; i < p.t.nrows; i++)
			rows += !strcmp(gil_probe_cell(&p.t, i, "bench"), bench[b]);
		if (!rows && strstr(gil_probe_cli.err, "skipped:"))
			cr_log_warn("gil: no python3 here: interval_us not probed in %s", bench[b]);
		else
			cr_assert_gt(rows, 0, "%s: no rows", bench[b]);
	}
	gil_probe_free(&p);
}

static const struct cli_param_probe gil_probes[] = {
	/* the real CPython's: what python3 ran, seen from inside it */
	{ .bench = "gil.cpython.*", .param = "interval_us", .probe = gil_probe_interval_cpython },
	{ .bench = "gil.cpython.*", .param = "threads", .probe = gil_probe_threads_cpython },
	{ .bench = "gil.cpython.*", .param = "n", .probe = gil_probe_n_cpython },
	{ .bench = "gil.cpython.*", .param = "cpu", .probe = gil_probe_cpu_cpython },
	{ .bench = "gil.cpython.*", .param = "msg_bytes", .probe = gil_probe_msg_cpython },
	/* the lock's */
	{ .bench = "gil.convoy", .param = "gil", .probe = gil_probe_policy_convoy },
	{ .bench = "gil.interval", .param = "gil", .probe = gil_probe_policy_interval },
	{ .bench = "gil.io", .param = "gil", .probe = gil_probe_policy_io },
	{ .bench = "gil.c*", .param = "gil", .probe = gil_probe_policy_cpu },
	{ .bench = "gil.convoy", .param = "interval_us", .probe = gil_probe_interval_convoy },
	{ .bench = "gil.interval", .param = "interval_us", .probe = gil_probe_interval_convoy },
	{ .bench = "gil.io", .param = "interval_us", .probe = gil_probe_interval_io },
	{ .bench = "gil.c*", .param = "interval_us", .probe = gil_probe_interval_cpu },
	{ .bench = "gil.convoy", .param = "check_ticks", .probe = gil_probe_ticks_convoy },
	{ .bench = "gil.io", .param = "check_ticks", .probe = gil_probe_ticks_io },
	{ .bench = "gil.c*", .param = "check_ticks", .probe = gil_probe_ticks_cpu },
	/* the workloads' own */
	{ .bench = "gil.native", .param = "n", .probe = gil_probe_n_native },
	{ .bench = "gil.c*", .param = "n", .probe = gil_probe_n_cpu },
	{ .bench = "gil.convoy", .param = "cpu", .probe = gil_probe_cpu_convoy },
	{ .bench = "gil.*", .param = "msg_bytes", .probe = gil_probe_msg },
	{ .bench = "gil.*", .param = "sample", .probe = gil_probe_sample },
	{ .bench = "gil.io", .param = "io_us", .probe = gil_probe_io_us },
	{ .bench = "gil.io", .param = "work", .probe = gil_probe_work },
};

/*
 * Every parameter of every gil.* benchmark changes what the workload
 * does, by a count, a bound or its check() (tests/h_util.h walks the
 * registry: a new parameter without a probe fails here).
 */
Test(gil, every_parameter_reaches_its_workload, .timeout = 300)
{
#if defined(__SANITIZE_THREAD__)
	/* 74 s in ThreadSanitizer's leg, whose tests run one at a time
	 * (14 s in the plain one), for what each parameter does, not for
	 * races: the plain and ASan legs run these probes. */
	(void)gil_probes;
	cr_log_warn("gil: parameter probes run in the plain and ASan legs, not under TSan");
#else
	int pairs = cli_param_probes_run("gil.*", gil_probes,
					 sizeof(gil_probes) / sizeof(gil_probes[0]));

	cr_assert_gt(pairs, 0);
#endif
}

/*
 * gil.cpu's handovers are the lock's own switches, not its drop
 * requests: under the old lock, which never asks, two CPU-bound threads
 * hand the lock over (every check_ticks) while the drop requests stay 0.
 */
Test(gil, handovers_are_the_locks_switches, .timeout = 120)
{
	static struct cli_run r;
	struct csv_table t;
	int seen = 0;

	cli_run_benches(&r, &t, NULL, (char *const[]){ "gil.cpu", NULL },
			(const char *const[]){ "--mode", "thread", "--threads", "2", "--param",
					       "gil=old", "--reps", "2", "--min-time", "0.02",
					       "--counters", "none", NULL });
	for (size_t i = 0; i < t.nrows; i++) {
		const char *m = t.rows[i][cli_col(&t, "metric")];
		double v = strtod(t.rows[i][cli_col(&t, "min")], NULL);

		if (strcmp(m, "handovers_per_sec") == 0) {
			cr_assert_gt(v, 0, "two threads under the old lock never handed it over");
			seen |= 1;
		} else if (strcmp(m, "drop_requests_per_sec") == 0) {
			cr_assert_eq(strtod(t.rows[i][cli_col(&t, "max")], NULL), 0,
				     "the old lock made drop requests");
			seen |= 2;
		}
	}
	cr_assert_eq(seen, 3, "handovers and drop requests rows");
	csv_table_free(&t);
}
