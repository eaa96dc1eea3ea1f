/*
 * harness/report.h - from raw repetitions to what people read: the tidy
 * results CSV (one row per configuration and metric, in the columns
 * README.md describes), the raw samples, the histograms, and the failed
 * and skipped configurations; report_warn.h has the warnings and
 * report_json.h Google Benchmark's JSON.  The only place that turns
 * samples into statistics.
 *
 * Each writer puts one file's content into a writer the caller opened
 * (outset.h) before the run, so that a destination that cannot be
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
	/* The writers leave out the header row: rows appended to a file
	 * that has one (a sweep's journal). */
	int rows_only;
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

/* File contents, into w (errors surface when its outfile is committed).
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

/*
 * For the report's other writers (report_warn.c, report_json.c): the
 * six key fields of e's rows; a file's header (then `before`'s rows);
 * CPU nanoseconds per event of m in repetition i; the median of counter
 * c per event of m (NaN: not counted).
 */
void report_key_fields(struct csv_writer *w, const struct report *r,
		       const struct report_entry *e);
void report_header(const struct report *r, enum report_file file,
		   const struct csv_table *before, struct csv_writer *w);
double report_cpu_per_event(const struct report_entry *e, const struct bench_metric *m,
			    int i);
double report_counter_per_op(const struct report *r, const struct report_entry *e,
			     const struct bench_metric *m, int c);

#endif
