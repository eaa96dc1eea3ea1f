/*
 * tests/test_h_queue.c - the queue.* family end to end: every workload
 * runs as threads and as processes, passes its exactly-once check (the
 * run exits 0 only then), counts each item it moved exactly once (its
 * operations in samples.csv) and gives every metric a finite row; the
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

/*
 * items_per_sec counts each item once, by the consumer that got it: the
 * last measured round of every configuration that ran (its iterations
 * are the "ok (N iterations" of the progress line) moved N items per
 * producer, and its `ops` in samples.csv must be exactly that many
 * (the first half of the tasks produce; queue.cooks has 3 cooks).  A
 * count, not a time: a producer that counted its puts too doubles it.
 * Returns how many configurations ran.
 */
static int queue_expect_items(const char *err, const struct csv_table *smp, int reps)
{
	int cb = cli_col(smp, "bench"), cmo = cli_col(smp, "mode"), cth = cli_col(smp, "threads");
	int cp = cli_col(smp, "params"), cm = cli_col(smp, "metric"), crep = cli_col(smp, "rep");
	int co = cli_col(smp, "ops"), seen = 0;

	for (const char *l = err; (l = strstr(l, "contend: [")); l++) {
		char bench[64], mode[16], place[32], params[256];
		unsigned long long iters, want;
		int tasks, found = 0;

		if (sscanf(l, "contend: [%*d/%*d] %63s %15s %31s tasks=%d %255s ... ok (%llu "
			   "iterations", bench, mode, place, &tasks, params, &iters) != 6)
			continue;	/* skipped, or not a progress line */
		want = iters * (unsigned long long)(strcmp(bench, "queue.cooks") ? tasks / 2 : 3);
		for (size_t r = 0; r < smp->nrows; r++) {
			char **row = smp->rows[r];

			if (strcmp(row[cb], bench) || strcmp(row[cmo], mode) ||
			    atoi(row[cth]) != tasks || strcmp(row[cp], params) ||
			    strcmp(row[cm], "items_per_sec") || atoi(row[crep]) != reps)
				continue;
			found = 1;
			cr_assert_eq(strtoull(row[co], NULL, 10), want,
				     "%s %s tasks=%d %s: %s operations in a round of %llu items "
				     "(%llu iterations): an item counted twice, or not at all",
				     bench, mode, tasks, params, row[co], want, iters);
		}
		cr_assert(found, "%s %s tasks=%d %s: no items_per_sec sample of rep %d", bench,
			  mode, tasks, params, reps);
		seen++;
	}
	return seen;
}

/* Every queue.* workload at capacity in mode, 2 and 4 tasks; returns
 * how many configurations ran (the others were skipped). */
static int queue_run(const char *mode, const char *capacity, struct csv_table *t,
		     struct cli_run *r)
{
	char dir[64], out[128], samples[128], param[64];
	struct csv_table smp;
	int ran;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(samples, sizeof(samples), "%s/s.csv", dir);
	snprintf(param, sizeof(param), "capacity=%s", capacity);
	CLI(r, "run", "queue.*", "--mode", (char *)mode, "--threads", "2,4", "--param", param,
	    "--reps", "2", "--min-time", "0.002", "--counters", "none", "--out", out,
	    "--samples", samples);
	cr_assert_eq(r->status, 0, "queue.* --mode %s: stderr: %s", mode, r->err);
	cli_read_csv(out, t);
	cli_read_csv(samples, &smp);
	ran = queue_expect_items(r->err, &smp, 2);
	csv_table_free(&smp);
	cli_rmdir(dir);
	return ran;
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

	cr_assert_gt(queue_run("thread", "16", &t, &r), 0, "nothing ran: %s", r.err);
	queue_expect_rows(&t, NULL);
	csv_table_free(&t);
	cr_assert_gt(queue_run("process", "16", &t, &r), 0, "nothing ran: %s", r.err);
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

/* The latency_p50 median of bench at params, or NAN when there is no
 * such row. */
static double queue_p50(const struct csv_table *t, const char *bench, const char *params)
{
	int cb = cli_col(t, "bench"), cp = cli_col(t, "params"), cm = cli_col(t, "metric");

	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(t->rows[r][cb], bench) && !strcmp(t->rows[r][cp], params) &&
		    !strcmp(t->rows[r][cm], "latency_p50"))
			return strtod(t->rows[r][cli_col(t, "median")], NULL);
	return NAN;
}

/*
 * load=L paces the latency rounds at L % of the flat-out rate: each
 * producer's last put waits for its schedule, and check() fails a round
 * that ended sooner (10 %: a round run flat out is ten times too
 * short).  Flat-out and paced rows both come, each naming its load, as
 * threads and as processes (the rate is kept in shared memory).
 */
Test(queue, paced_latency_rounds_keep_their_schedule, .timeout = 240)
{
	static const char *const benches[] = { "queue.fifo", "queue.ck_spsc", "queue.ck_mpmc" };
	static const char *const modes[] = { "thread", "process" };
	static struct cli_run r;

	for (int m = 0; m < 2; m++) {
		char dir[64], out[128];
		struct csv_table t;

		cli_tmpdir(dir, sizeof(dir));
		snprintf(out, sizeof(out), "%s/r.csv", dir);
		CLI(&r, "run", "queue.fifo", "queue.ck_spsc", "queue.ck_mpmc", "--mode",
		    (char *)modes[m], "--threads", "2", "--param", "capacity=1,16", "--param",
		    "load=0,10", "--reps", "2", "--min-time", "0.002", "--counters", "none", "--out",
		    out);
		cr_assert_eq(r.status, 0, "%s: stderr: %s", modes[m], r.err);
		cli_read_csv(out, &t);
		for (int b = 0; b < 3; b++)
			for (int c = 0; c < 2; c++)
				for (int l = 0; l < 2; l++) {
					char params[96];

					snprintf(params, sizeof(params), "capacity=%s;payload=8;sample=1;"
						 "load=%s", c ? "16" : "1", l ? "10" : "0");
					cr_assert(isfinite(queue_p50(&t, benches[b], params)),
						  "%s %s %s: no latency_p50 row", modes[m], benches[b],
						  params);
				}
		csv_table_free(&t);
		cli_rmdir(dir);
	}
}

/* A sample larger than a round's items still times each producer's last
 * item of every latency round: the rows are there. */
Test(queue, a_sample_larger_than_a_round_still_gives_latency_rows, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "queue.fifo", "--mode", "thread", "--threads", "2", "--param",
	    "capacity=16", "--param", "sample=1000000", "--param", "load=0", "--reps", "2",
	    "--min-time", "0.002", "--counters", "none", "--verbose", "--out", out);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	cr_assert(isfinite(queue_p50(&t, "queue.fifo", "capacity=16;payload=8;sample=1000000;load=0")),
		  "no latency_p50 row; stderr: %s", r.err);
	cr_assert_null(strstr(r.err, "nothing was recorded"), "stderr: %s", r.err);
	csv_table_free(&t);
	cli_rmdir(dir);
}

/* A distribution recorded in some latency rounds and not in others
 * cannot give a value per round: no row, and a warning that says why
 * (selftest.queue_sparse times items only in odd latency rounds). */
Test(queue, latency_rounds_that_recorded_nothing_are_a_warning, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "selftest.queue_sparse", "--param", "load=0", "--reps", "2", "--min-time",
	    "0.002", "--counters", "none", "--verbose", "--out", out);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	cr_assert(isnan(queue_p50(&t, "selftest.queue_sparse", "capacity=1;payload=8;sample=1;load=0")),
		  "a row from half the rounds");
	cr_assert(strstr(r.err, "latency_p50: skipped, nothing was recorded in 1 of 2 latency rounds"),
		  "stderr: %s", r.err);
	cr_assert(strstr(r.err, "latency_max: skipped, nothing was recorded in 1 of 2 latency rounds"),
		  "stderr: %s", r.err);
	csv_table_free(&t);
	cli_rmdir(dir);
}

/* ---- every parameter reaches the workload -------------------------------- */

/* `contend run BENCH...` with tiny rounds, two tasks (one producer, one
 * consumer; queue.cooks keeps its 13) and the options in more (a
 * NULL-ended list); exit 0, so every configuration passed its check(). */
static void queue_probe_run(struct csv_table *t, char *const bench[], const char *const more[])
{
	static const char *const tiny[] = { "--threads", "2", "--reps", "2", "--min-time",
					    "0.002", "--counters", "none" };
	static struct cli_run r;
	const char *opts[32];
	int n = 0;

	for (size_t i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++)
		opts[n++] = tiny[i];
	while (*more)
		opts[n++] = *more++;
	opts[n] = NULL;
	cli_run_benches(&r, t, NULL, bench, opts);
}

/* What row i says in column col. */
static const char *queue_cell(const struct csv_table *t, size_t i, const char *col)
{
	return t->rows[i][cli_col(t, col)];
}

/* The row of bench, mode and params for metric, or -1. */
static long queue_row(const struct csv_table *t, const char *bench, const char *mode,
		      const char *params, const char *metric)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (!strcmp(queue_cell(t, i, "bench"), bench) &&
		    !strcmp(queue_cell(t, i, "mode"), mode) &&
		    !strcmp(queue_cell(t, i, "params"), params) &&
		    !strcmp(queue_cell(t, i, "metric"), metric))
			return (long)i;
	return -1;
}

/* Each row of metric for a benchmark of bench[], checked by `expect`;
 * fails when a benchmark has none.  Returns the rows seen. */
static int queue_probe_rows(const struct csv_table *t, char *const bench[], const char *metric,
			    void (*expect)(const struct csv_table *t, size_t i))
{
	int total = 0;

	for (int b = 0; bench[b]; b++) {
		int seen = 0;

		for (size_t i = 0; i < t->nrows; i++)
			if (!strcmp(queue_cell(t, i, "bench"), bench[b]) &&
			    !strcmp(queue_cell(t, i, "metric"), metric)) {
				expect(t, i);
				seen++;
			}
		cr_assert_gt(seen, 0, "%s: no %s row", bench[b], metric);
		total += seen;
	}
	return total;
}

/* A row: its configuration ran and passed its check(). */
static void queue_probe_ran(const struct csv_table *t, size_t i)
{
	(void)t;
	(void)i;
}

/*
 * capacity: once the rounds are over check() fills the queue, which must
 * take exactly the capacity asked for and refuse the next item (5: not a
 * power of two, where a ring's buffer has 8 slots), or, unbounded, more than
 * QB_UNBOUNDED_IN_FLIGHT; a setup that built any other queue fails the
 * run.  In shared memory too (processes), where capacity 0 is skipped, as
 * it is for a ring everywhere.
 */
static void queue_probe_capacity(char *const bench[], int n)
{
	static const char *const modes[] = { "thread", "process" };

	(void)n;
	for (int m = 0; m < 2; m++) {
		struct csv_table t;
		int rows;

		queue_probe_run(&t, bench, (const char *const[]){ "--param", "capacity=1,5,0",
								  "--param", "load=0", "--mode",
								  modes[m], NULL });
		rows = queue_probe_rows(&t, bench, "items_per_sec", queue_probe_ran);
		cr_assert_geq(rows, 2 * n, "%s: %d configurations ran", modes[m], rows);
		csv_table_free(&t);
	}
}

/*
 * payload: the consumers copy `payload` bytes out of every item, so the
 * bytes_per_sec they report, timed over a span inside the harness's
 * round, is at least payload x items_per_sec, round by round (so in its
 * min, median and max); 1e-6 for the clock's rounding.  At 4096 bytes a
 * workload that copied the default 8 reads 512 times short.  And its
 * median is less than twice that: the two spans differ by the harness's
 * start and stop (1.003 to 1.046 in six runs of these rounds of 2 ms on
 * the 2-core VM), where bytes counted by the slab slot (header and all)
 * would read 3x at payload 8.
 */
static void queue_probe_payload_row(const struct csv_table *t, size_t i)
{
	const char *params = queue_cell(t, i, "params");
	double payload = strtod(strstr(params, "payload=") + 8, NULL);
	long k = queue_row(t, queue_cell(t, i, "bench"), queue_cell(t, i, "mode"), params,
			   "items_per_sec");
	static const char *const col[] = { "min", "median", "max" };

	cr_assert_geq(k, 0, "%s %s: no items_per_sec row", queue_cell(t, i, "bench"), params);
	for (int c = 0; c < 3; c++) {
		double bytes = strtod(queue_cell(t, i, col[c]), NULL);
		double items = strtod(queue_cell(t, (size_t)k, col[c]), NULL);

		cr_assert_geq(bytes, payload * items * (1 - 1e-6),
			      "%s %s: %s bytes/s for %s items/s (%s)", queue_cell(t, i, "bench"),
			      params, queue_cell(t, i, col[c]), queue_cell(t, (size_t)k, col[c]),
			      col[c]);
	}
	double bytes = strtod(queue_cell(t, i, "median"), NULL);
	double items = strtod(queue_cell(t, (size_t)k, "median"), NULL);

	cr_assert_lt(bytes, 2 * payload * items, "%s %s: %g bytes/s for %g items/s: not the "
		     "payload's bytes", queue_cell(t, i, "bench"), params, bytes, items);
}

static void queue_probe_payload(char *const bench[], int n)
{
	struct csv_table t;

	queue_probe_run(&t, bench, (const char *const[]){ "--param", "payload=8,4096", "--param",
							  "capacity=16", "--param", "load=0",
							  "--mode", "thread", NULL });
	cr_assert_eq(queue_probe_rows(&t, bench, "bytes_per_sec", queue_probe_payload_row), 2 * n);
	csv_table_free(&t);
}

/*
 * A latency quantile of row i that must be the round's largest value:
 * equal to latency_max in every round, so in min, median and max too
 * (harness/hist.c: a quantile is its bucket's upper edge, at most the
 * maximum, so the quantile of a rank in the largest value's bucket is
 * that value).
 */
static void queue_probe_is_max(const struct csv_table *t, size_t i)
{
	static const char *const col[] = { "min", "median", "max" };
	const char *params = queue_cell(t, i, "params");
	long k = queue_row(t, queue_cell(t, i, "bench"), queue_cell(t, i, "mode"), params,
			   "latency_max");

	cr_assert_geq(k, 0, "%s %s: no latency_max row", queue_cell(t, i, "bench"), params);
	for (int c = 0; c < 3; c++)
		cr_assert_eq(strtod(queue_cell(t, i, col[c]), NULL),
			     strtod(queue_cell(t, (size_t)k, col[c]), NULL),
			     "%s %s: %s %s, latency_max %s", queue_cell(t, i, "bench"), params,
			     queue_cell(t, i, "metric"), queue_cell(t, i, col[c]),
			     queue_cell(t, (size_t)k, col[c]));
}

/*
 * sample: latency rounds time every sample-th item of a producer, or the
 * last of a round shorter than sample.  sample=1000000: one item a round
 * per producer, so latency_p50 is latency_max in every round; timing
 * every item instead (the default, sample=1) spreads hundreds of them.
 */
static void queue_probe_sample(char *const bench[], int n)
{
	struct csv_table t;

	queue_probe_run(&t, bench, (const char *const[]){ "--param", "sample=1000000", "--param",
							  "capacity=16", "--param", "load=0",
							  "--mode", "thread", NULL });
	cr_assert_eq(queue_probe_rows(&t, bench, "latency_p50", queue_probe_is_max), n);
	csv_table_free(&t);
}

/* sample, in the cooks scene: three producers, one item each a round,
 * and the 99th and 99.9th percentiles of three values are the largest
 * (rank 3 of 3); timing every item would time 3 x the round's
 * iterations (hundreds here), where the 99th is not the largest. */
static void queue_probe_sample_cooks(char *const bench[], int n)
{
	struct csv_table t;

	queue_probe_run(&t, bench, (const char *const[]){ "--param", "sample=1000000", "--param",
							  "load=0", "--mode", "thread", NULL });
	cr_assert_eq(queue_probe_rows(&t, bench, "latency_p99", queue_probe_is_max), n);
	cr_assert_eq(queue_probe_rows(&t, bench, "latency_p999", queue_probe_is_max), n);
	csv_table_free(&t);
}

/*
 * load: check() holds every latency round of a producer to the load asked
 * for: paced (and kept to its schedule, or refused as ahead of it) when
 * load > 0, flat out when 0; a workload that ran either load the other
 * way fails the run.  Both loads give latency rows, as threads and as
 * processes (the pace is kept in shared memory).
 */
static void queue_probe_load(char *const bench[], int n)
{
	static const char *const modes[] = { "thread", "process" };

	for (int m = 0; m < 2; m++) {
		struct csv_table t;

		queue_probe_run(&t, bench, (const char *const[]){ "--param", "load=0,10",
								  "--param", "capacity=16",
								  "--mode", modes[m], NULL });
		cr_assert_eq(queue_probe_rows(&t, bench, "latency_p50", queue_probe_ran), 2 * n,
			     "%s: a load without latency rows", modes[m]);
		csv_table_free(&t);
	}
}

static const struct cli_param_probe queue_probes[] = {
	{ .bench = "queue.*", .param = "capacity", .probe = queue_probe_capacity },
	{ .bench = "queue.*", .param = "payload", .probe = queue_probe_payload },
	{ .bench = "queue.cooks", .param = "sample", .probe = queue_probe_sample_cooks },
	{ .bench = "queue.*", .param = "sample", .probe = queue_probe_sample },
	{ .bench = "queue.*", .param = "load", .probe = queue_probe_load },
};

/*
 * Every parameter of every queue.* benchmark changes what the workload
 * does, by a count, a bound its figures must keep or its check()
 * (tests/h_util.h walks the registry: a new parameter without a probe
 * fails here).
 */
Test(queue, every_parameter_reaches_its_workload, .timeout = 240)
{
	int pairs = cli_param_probes_run("queue.*", queue_probes,
					 sizeof(queue_probes) / sizeof(queue_probes[0]));

	cr_assert_gt(pairs, 0);
}
