/*
 * tests/test_h_queue.c - the queue.* family end to end: every workload
 * runs as threads and as processes, passes its exactly-once check (the
 * run exits 0 only then) and gives every metric a finite row; the
 * kinds that grow run unbounded in thread mode and are skipped, with the
 * reason, in process mode; and a run that loses one item a round
 * (selftest.queue_loss) fails its check, saying so.  Tiny settings.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_util.h"

static void queue_run(const char *mode, const char *capacity, struct csv_table *t,
		      struct cli_run *r)
{
	char dir[64], out[128], param[64];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(param, sizeof(param), "capacity=%s", capacity);
	CLI(r, "run", "queue.*", "--mode", (char *)mode, "--threads", "2,4", "--param", param,
	    "--reps", "2", "--min-time", "0.002", "--counters", "none", "--out", out);
	cr_assert_eq(r->status, 0, "queue.* --mode %s: stderr: %s", mode, r->err);
	cli_read_csv(out, t);
	cli_rmdir(dir);
}

/* Every metric of every queue.* workload has a finite row (the cooks
 * scene ignores --param capacity: it has its own). */
static void queue_expect_rows(const struct csv_table *t, const char *skip_prefix)
{
	int cb = cli_col(t, "bench"), cm = cli_col(t, "metric"), cmed = cli_col(t, "median");

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if (strncmp(d->name, "queue.", 6) || d->hidden ||
		    (skip_prefix && !strncmp(d->name, skip_prefix, strlen(skip_prefix))))
			continue;
		for (const struct bench_metric *m = d->metrics; m->name; m++) {
			int found = 0;

			for (size_t r = 0; r < t->nrows; r++)
				if (!strcmp(t->rows[r][cb], d->name) && !strcmp(t->rows[r][cm], m->name)) {
					found = 1;
					cr_assert(isfinite(strtod(t->rows[r][cmed], NULL)), "%s %s",
						  d->name, m->name);
				}
			cr_assert(found, "%s: no %s row", d->name, m->name);
		}
	}
}

Test(queue, every_workload_as_threads_and_processes, .timeout = 240)
{
	static struct cli_run r;
	struct csv_table t;

	queue_run("thread", "16", &t, &r);
	queue_expect_rows(&t, NULL);
	csv_table_free(&t);
	queue_run("process", "16", &t, &r);
	queue_expect_rows(&t, NULL);
	csv_table_free(&t);
}

Test(queue, unbounded_runs_in_threads_and_skips_in_processes, .timeout = 240)
{
	static struct cli_run r;
	struct csv_table t;

	queue_run("thread", "0", &t, &r);
	queue_expect_rows(&t, "queue.ck_");	/* a ring is bounded: skipped */
	cr_assert(strstr(r.err, "a ring is bounded"), "stderr: %s", r.err);
	csv_table_free(&t);
	queue_run("process", "0", &t, &r);
	cr_assert(strstr(r.err, "thread mode only"), "stderr: %s", r.err);
	csv_table_free(&t);
}

Test(queue, a_lost_item_fails_the_check, .timeout = 60)
{
	static struct cli_run r;

	CLI(&r, "run", "selftest.queue_loss", "--reps", "2", "--min-time", "0.002", "--counters",
	    "none");
	cr_assert_eq(r.status, 1, "a lost item must fail the run: stderr: %s", r.err);
	cr_assert(strstr(r.err, "check failed: items were lost"), "stderr: %s", r.err);
}
