/*
 * tests/test_h_sync.c - the sync.* family end to end: every workload runs
 * as threads and, where its object allows, as processes, passes its own
 * check (the run exits 0 only then) and gives every metric it declares
 * a finite row; the semaphore scene never has more tasks inside than it
 * has permits.  Tiny settings (2 repetitions of a few milliseconds):
 * this proves the work, it does not measure it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_util.h"

/* Run sync.* in one mode; the results table in *t. */
static void sync_run(const char *mode, struct csv_table *t)
{
	static struct cli_run r;
	char dir[64], out[128];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "sync.*", "--mode", (char *)mode, "--threads", "3", "--quick", "--reps", "2",
	    "--min-time", "0.002", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "sync.* --mode %s: stderr: %s", mode, r.err);
	cli_read_csv(out, t);
	cli_rmdir(dir);
}

/* Every metric of every sync.* workload that runs in `mode` has a row
 * with a finite median. */
static void sync_expect_rows(const struct csv_table *t, enum bench_mode mode)
{
	int cb = cli_col(t, "bench"), cm = cli_col(t, "metric"), cmed = cli_col(t, "median");
	int seen = 0;

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if (strncmp(d->name, "sync.", 5) || !(d->modes & mode))
			continue;
		seen++;
		for (const struct bench_metric *m = d->metrics; m->name; m++) {
			int found = 0;

			for (size_t r = 0; r < t->nrows; r++) {
				if (strcmp(t->rows[r][cb], d->name) || strcmp(t->rows[r][cm], m->name))
					continue;
				found = 1;
				cr_assert(isfinite(strtod(t->rows[r][cmed], NULL)),
					  "%s %s: median %s", d->name, m->name, t->rows[r][cmed]);
			}
			cr_assert(found, "%s: no %s row", d->name, m->name);
		}
	}
	cr_assert_gt(seen, 0, "no sync.* workload in the registry");
}

/* The scene's most tasks inside at once: at least one, never above 5. */
static void sync_expect_scene(const struct csv_table *t)
{
	int cb = cli_col(t, "bench"), cm = cli_col(t, "metric"), cmax = cli_col(t, "max");
	int cmed = cli_col(t, "median"), found = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		if (strcmp(t->rows[r][cb], "sync.sem.scene") || strcmp(t->rows[r][cm], "max_inside"))
			continue;
		found = 1;
		cr_assert_geq(strtod(t->rows[r][cmed], NULL), 1.0);
		cr_assert_leq(strtod(t->rows[r][cmax], NULL), 5.0, "%s tasks inside a semaphore of 5",
			      t->rows[r][cmax]);
	}
	cr_assert(found, "no sync.sem.scene max_inside row");
}

Test(sync, every_workload_as_threads, .timeout = 120)
{
	struct csv_table t;

	sync_run("thread", &t);
	sync_expect_rows(&t, BENCH_MODE_THREAD);
	sync_expect_scene(&t);
	csv_table_free(&t);
}

Test(sync, every_workload_as_processes, .timeout = 120)
{
	struct csv_table t;

	sync_run("process", &t);
	sync_expect_rows(&t, BENCH_MODE_PROCESS);
	sync_expect_scene(&t);
	csv_table_free(&t);
}
