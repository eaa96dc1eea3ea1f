/*
 * harness/journal.h - a sweep's run folder kept current while it runs:
 * each configuration's rows are appended to results.csv, samples.csv,
 * histograms.csv and warnings.csv as soon as it completes, so that a
 * sweep killed outright (SIGKILL, the out-of-memory killer, a lost
 * machine) leaves on disk everything it completed, and --resume runs
 * only the rest.  At the end the sweep publishes the whole files over the
 * journal as before.  A configuration caught halfway through its
 * appends has incomplete rows, which resume.c finds and runs again.
 */
#ifndef CONTEND_JOURNAL_H
#define CONTEND_JOURNAL_H

#include <stddef.h>

#include "harness/outfile.h"
#include "harness/report.h"
#include "harness/resume.h"

enum { JOURNAL_RESULTS, JOURNAL_SAMPLES, JOURNAL_HISTOGRAMS, JOURNAL_WARNINGS, JOURNAL_NFILES };

struct journal {
	struct outfile *f[JOURNAL_NFILES];
	struct csv_writer *w[JOURNAL_NFILES];
};

/*
 * Publish dir's four tables anew, each its header and the earlier part's
 * whole rows (b; NULL for a new sweep), dropping any incomplete rows a
 * killed sweep left, then open them for appending.  r holds no entries
 * yet.  0, or -errno with one line in err.
 */
int journal_start(struct journal *j, const char *dir, const struct report *r,
		  const struct resume_before *b, char *err, size_t errlen);

/* Append the rows of r's last entry to every table: an engine_after_fn
 * (ctx is the journal).  0, or -errno of a failed write. */
int journal_add(void *ctx, const struct report *r);

/* Close the tables (the sweep's final files replace them). */
void journal_close(struct journal *j);

/* Remove the temporary files (.NAME.tmp.XXXXXX) of the sweep's own file
 * names that a sweep killed before publishing left in dir. */
void journal_clean(const char *dir, const char *const *names, int n);

#endif
