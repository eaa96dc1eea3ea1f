/*
 * harness/resume.h - the earlier part of a resumed sweep: what of it
 * completed, its rows, and the run's id, so that a resumed sweep's
 * folder holds what one uninterrupted sweep's would.
 */
#ifndef CONTEND_RESUME_H
#define CONTEND_RESUME_H

#include <stddef.h>

#include "harness/csv.h"
#include "harness/report.h"

struct resume_before {
	/* The earlier rows of results.csv, samples.csv, histograms.csv and
	 * warnings.csv, of completed configurations only (an absent file:
	 * header NULL, no rows). */
	struct csv_table res, smp, hist, warn;
	int have_env;		/* env.csv is there (else the sweep writes it) */
	size_t cut;		/* configurations whose rows were incomplete */
};

/*
 * Read the run folder dir.  A configuration counts as completed only when
 * its rows are whole: for every metric of its benchmark, as many samples
 * as the other metrics of its kind (repetitions, or latency rounds), a
 * results row exactly where every sample has a value, with that many
 * repetitions, and a histogram for every distribution with a row.  The
 * rows of any other configuration (a file cut short, a line lost) are
 * dropped from every table, so that it runs again and appears once.
 * r->run_id becomes the folder's id (env.csv's, else the rows').
 *
 * 0; -EINVAL with one line in err for a folder that cannot be resumed
 * (a file unreadable or malformed, other columns than r's, rows of two
 * runs); -ENOMEM.
 */
int resume_load(const char *dir, struct report *r, struct resume_before *b, char *err,
		size_t errlen);
void resume_free(struct resume_before *b);

#endif
