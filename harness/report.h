/*
 * harness/report.h - from raw repetitions to what people read: the tidy
 * results CSV (one row per configuration and metric, in the columns
 * README.md describes), the raw samples, Google Benchmark's JSON, the
 * failed and skipped configurations, and the warnings.  The only place
 * that turns samples into statistics.
 *
 * Each writer puts one file's content into a writer the caller opened
 * (csv_open) before the run, so that a destination that cannot be
 * written is refused before any work, and commits it when every file is
 * ready, so that a run's files appear together or not at all.
 */
#ifndef CONTEND_REPORT_H
#define CONTEND_REPORT_H

#include <stddef.h>

#include "harness/bench.h"
#include "harness/counters.h"
#include "harness/csv.h"
#include "harness/envinfo.h"
#include "harness/runner.h"
#include "harness/topo.h"

struct report_entry {
	const struct bench_desc *desc;
	enum bench_mode mode;
	char placement[TOPO_NAME_MAX];
	int ntasks;
	char params[256];		/* "key=value;key=value" in declared order */
	int reps_asked;
	struct runner_result res;
};

struct report {
	char run_id[64];
	struct ctr_set ctrs;
	struct report_entry *e;
	size_t n, cap;
};

/* Append an entry (the report takes over entry->res).  0 or -ENOMEM. */
int report_add(struct report *r, const struct report_entry *entry);
void report_free(struct report *r);

const char *report_mode_name(enum bench_mode m);

/* The fixed leading columns of the results CSV, in order. */
extern const char *const report_columns[];

/* How many entries ended with status s. */
size_t report_count(const struct report *r, enum runner_status s);

/* One metric's value in every repetition of e, into out[0..e->res.reps);
 * returns how many.  The one definition of every metric kind. */
size_t report_values(const struct report_entry *e, const struct bench_metric *m, double *out);

/* File contents, into w (errors surface at csv_finish/csv_commit).
 * `before`: rows of an earlier part of the same run (a resumed sweep),
 * with this file's header, copied first as they are; NULL for none. */
void report_csv(const struct report *r, const struct csv_table *before, struct csv_writer *w);
void report_samples(const struct report *r, const struct csv_table *before,
		    struct csv_writer *w);
/*
 * histograms.csv: every latency distribution of every configuration, all
 * its latency rounds and tasks merged, one row per non-empty bucket
 * (bucket_lo_ns, bucket_hi_ns, count), so that a CDF can be drawn.
 */
void report_histograms(const struct report *r, const struct csv_table *before,
		       struct csv_writer *w);
/* Which file report_same_header checks. */
enum report_file {
	REPORT_FILE_RESULTS, REPORT_FILE_SAMPLES, REPORT_FILE_HISTOGRAMS, REPORT_FILE_WARNINGS,
};
/* The header the writer of `file` would write, for checking that an
 * earlier part of a run can be joined: 0 when t's matches. */
int report_same_header(const struct report *r, const struct csv_table *t, enum report_file file);
/* The configurations that ended with status s (failed, interrupted or
 * skipped), with the reason. */
void report_outcomes(const struct report *r, enum runner_status s, struct csv_writer *w);
/* warnings.csv; `before` as for report_csv. */
void report_warnings_csv(const struct report *r, const struct csv_table *before,
			 struct csv_writer *w);
/* Google Benchmark's schema: one iteration entry per repetition, then
 * the aggregates.  0 or -ENOMEM. */
int report_json(const struct report *r, const struct envinfo *env, struct csv_writer *w);

/*
 * On stderr: a notice for each counter that could not be counted, and
 * the warnings (noisy rows, net costs not distinguishable from zero, too
 * few repetitions, metrics without a finite value): one line each with
 * `verbose`, else a summary naming the worst few and `details` (where
 * the full list is, e.g. "run-folder/warnings.csv"; NULL: "--verbose").
 * Returns how many warnings there are.
 */
size_t report_warn(const struct report *r, int verbose, const char *details);

#endif
