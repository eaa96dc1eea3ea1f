/*
 * harness/report_warn.h - a run's warnings: noisy rows, net costs not
 * distinguishable from zero, too few repetitions, metrics without a
 * finite value.
 */
#ifndef CONTEND_REPORT_WARN_H
#define CONTEND_REPORT_WARN_H

#include <stddef.h>

#include "harness/csv.h"
#include "harness/report.h"

/* warnings.csv; `before` as for report_csv. */
void report_warnings_csv(const struct report *r, const struct csv_table *before,
			 struct csv_writer *w);

/*
 * On stderr: a notice for each counter that could not be counted, and
 * the warnings: one line each with `verbose`, else a summary naming the
 * worst few and `details` (where the full list is, e.g.
 * "run-folder/warnings.csv"; NULL: "--verbose").  Returns how many
 * warnings there are.
 */
size_t report_warn(const struct report *r, int verbose, const char *details);

#endif
