/*
 * tests/test_h_ptc_py.c - the real Python's reference rows of the spawn
 * and ptc families (bench/ptc_cpython.c) end to end: each runs under
 * --quick and passes its own check() (Python answered every round, and
 * every unit, switch, sleep or request it reports came out right), with
 * every metric's row; a python3 without gevent and greenlet skips the
 * rows that need them, naming the module, and runs the others; no
 * python3 at all skips them all, naming it.  Nothing here holds a
 * timing to a threshold.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_util.h"

static const char *py_cell(const struct csv_table *t, size_t r, const char *col)
{
	return t->rows[r][cli_col(t, col)];
}

/* Rows of (bench, metric) with a finite median. */
static int py_rows(const struct csv_table *t, const char *b, const char *m)
{
	int n = 0;

	for (size_t r = 0; r < t->nrows; r++)
		n += !strcmp(py_cell(t, r, "bench"), b) && !strcmp(py_cell(t, r, "metric"), m) &&
		     isfinite(strtod(py_cell(t, r, "median"), NULL));
	return n;
}

static int py_is_ref(const char *name)
{
	return !strncmp(name, "spawn.cpython.", 14) || !strncmp(name, "ptc.cpython.", 12) ||
	       !strcmp(name, "spawn.hub.sleep0");
}

/* Every reference row, tiny: C = 3 (not a multiple of most iteration
 * counts, so the quotas round up), W = 1 and 2, a job of 3,001 loops
 * (not a multiple of W). */
static void py_run_all(struct cli_run *r, char *out)
{
	CLI_SETTLED(r, "run", "spawn.cpython.*", "spawn.hub.sleep0", "ptc.cpython.*", "--quick",
	    "--reps", "2", "--min-time", "0.002", "--threads", "1,2", "--param", "c=3",
	    "--param", "n=3001", "--timeout", "40", "--counters", "none", "--out", out);
}

Test(ptc_py, quick_runs_every_reference_row, .timeout = 240)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;
	int n = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	py_run_all(&r, out);	/* made again when a round collapsed */
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	/* python3-gevent is a run dependency (scripts/packages.txt): a
	 * skip here is a machine set up short, and says so. */
	cr_assert_null(strstr(r.err, "skipped"), "stderr: %s", r.err);
	cli_read_csv(out, &t);
	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if (!py_is_ref(d->name))
			continue;
		n++;
		for (const struct bench_metric *m = d->metrics; m->name; m++)
			cr_assert_geq(py_rows(&t, d->name, m->name),
				      !strncmp(d->name, "ptc.cpython.cpu.", 16) ? 2 : 1,
				      "%s: no %s row (one per W for the cpu rows)", d->name, m->name);
	}
	cr_assert_eq(n, 11, "the reference rows: 4 spawn.cpython, spawn.hub.sleep0, 2 cpu, 4 io");
	/* ideal_per_sec is C / latency: 3 / 1 ms. */
	for (size_t k = 0; k < t.nrows; k++)
		if (!strcmp(py_cell(&t, k, "metric"), "ideal_per_sec"))
			cr_assert_float_eq(strtod(py_cell(&t, k, "median"), NULL), 3000.0, 1e-6,
					   "%s", py_cell(&t, k, "bench"));
	csv_table_free(&t);
	cli_rmdir(dir);
}

/*
 * CONTEND_PYTHON naming a python3 whose gevent and greenlet fail to
 * import (modules of those names on its PYTHONPATH that raise, as a
 * python3 without python3-gevent does): the rows that need them are
 * skipped naming the module and the interpreter; the threading ones
 * still run.  Then a CONTEND_PYTHON that does not exist: all skipped.
 */
Test(ptc_py, a_missing_module_or_python_skips_with_the_reason, .timeout = 240)
{
	static const char *const need[] = { "spawn.cpython.greenlet", "spawn.cpython.switch",
					     "spawn.cpython.gevent", "spawn.cpython.sleep0",
					     "ptc.cpython.io.gevent" };
	static struct cli_run r;
	char dir[64], path[192], py[160], out[128], want[256];
	struct csv_table t;
	int n = 0;

	cli_tmpdir(dir, sizeof(dir));
	for (int i = 0; i < 2; i++) {
		const char *mod = i ? "greenlet" : "gevent";

		snprintf(path, sizeof(path), "%s/%s.py", dir, mod);
		snprintf(want, sizeof(want), "raise ModuleNotFoundError(\"No module named '%s'\")\n",
			 mod);
		cli_write_str(path, want);
	}
	snprintf(py, sizeof(py), "%s/nogevent", dir);
	snprintf(want, sizeof(want), "#!/bin/sh\nPYTHONPATH=%s exec /usr/bin/python3 \"$@\"\n",
		 dir);
	cli_write_str(py, want);
	cr_assert_eq(chmod(py, 0755), 0);
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	setenv("CONTEND_PYTHON", py, 1);
	CLI(&r, "run", "spawn.cpython.*", "ptc.cpython.io.gevent", "ptc.cpython.io.thread",
	    "--quick", "--reps", "2", "--min-time", "0.002", "--param", "c=3", "--timeout", "40",
	    "--counters", "none", "--out", out);
	unsetenv("CONTEND_PYTHON");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
		const char *line = strstr(r.err, need[k]), *end;

		cr_assert_not_null(line, "%s: not named: %s", need[k], r.err);
		end = strchr(line, '\n');
		snprintf(want, sizeof(want), "%.*s", end ? (int)(end - line) : (int)strlen(line),
			 line);
		cr_assert(strstr(want, "skipped: CONTEND_PYTHON=") && strstr(want, py) &&
			  strstr(want, "No module named"), "%s: %s", need[k], want);
		for (size_t j = 0; j < t.nrows; j++)
			cr_assert_neq(strcmp(py_cell(&t, j, "bench"), need[k]), 0,
				      "%s has a row, skipped", need[k]);
	}
	cr_assert_eq(py_rows(&t, "ptc.cpython.io.thread", "requests_per_sec"), 1,
		     "threading needs no gevent: it still runs; %s", r.err);
	csv_table_free(&t);

	setenv("CONTEND_PYTHON", "/nonexistent/python3", 1);
	CLI(&r, "run", "spawn.cpython.sleep0", "ptc.cpython.cpu.process", "--quick", "--reps", "1",
	    "--threads", "1", "--counters", "none", "--out", out);
	unsetenv("CONTEND_PYTHON");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "spawn.cpython.sleep0") && strstr(r.err, "ptc.cpython.cpu.process"),
		  "%s", r.err);
	for (const char *l = r.err; (l = strstr(l, "skipped: CONTEND_PYTHON=/nonexistent/python3: "
						     "cannot run it: No such file")); l++)
		n++;
	cr_assert_eq(n, 2, "each row skipped, naming the interpreter and why: %s", r.err);
	cli_rmdir(dir);
}
