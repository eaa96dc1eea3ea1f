/*
 * harness/report.h - from raw repetitions to what people read: the tidy
 * results CSV (one row per configuration and metric, DESIGN.md's
 * columns), the raw samples, Google Benchmark's JSON, the failures, and
 * the warnings on stderr.  The only place that turns samples into
 * statistics.
 */
#ifndef CONTEND_REPORT_H
#define CONTEND_REPORT_H

#include <stddef.h>

#include "harness/bench.h"
#include "harness/counters.h"
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

/* Each writes atomically (temporary file, then rename); "-" = stdout.
 * 0 or -errno. */
int report_write_csv(const struct report *r, const char *path);
int report_write_samples(const struct report *r, const char *path);
int report_write_failures(const struct report *r, const char *path);
int report_write_json(const struct report *r, const struct envinfo *env, const char *path);

/* cv > 5 %, fewer than 5 repetitions, counters that could not be counted:
 * one line each on stderr. */
void report_warn(const struct report *r);

/* How many entries failed. */
size_t report_failures(const struct report *r);

#endif
