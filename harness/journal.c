/*
 * harness/journal.c - a sweep's tables appended to as each configuration
 * completes.  See journal.h.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/journal.h"
#include "harness/outset.h"
#include "harness/report_warn.h"

static const char *const journal_name[JOURNAL_NFILES] = {
	"results.csv", "samples.csv", "histograms.csv", "warnings.csv",
};

/* Write file k of r (and before's rows) into w. */
static void journal_write(int k, const struct report *r, const struct resume_before *b,
			  struct csv_writer *w)
{
	switch (k) {
	case JOURNAL_RESULTS:
		report_csv(r, b && b->res.header ? &b->res : NULL, w);
		break;
	case JOURNAL_SAMPLES:
		report_samples(r, b && b->smp.header ? &b->smp : NULL, w);
		break;
	case JOURNAL_HISTOGRAMS:
		report_histograms(r, b && b->hist.header ? &b->hist : NULL, w);
		break;
	case JOURNAL_WARNINGS:
		report_warnings_csv(r, b && b->warn.header ? &b->warn : NULL, w);
		break;
	}
}

int journal_start(struct journal *j, const char *dir, const struct report *r,
		  const struct resume_before *b, char *err, size_t errlen)
{
	struct outset o = { .n = 0 };
	char path[4200];
	int e;

	memset(j, 0, sizeof(*j));
	for (int k = 0; k < JOURNAL_NFILES; k++) {
		snprintf(path, sizeof(path), "%.4000s/%s", dir, journal_name[k]);
		if (outset_open(&o, path, path, err, errlen) < 0) {
			outset_abort_all(&o);
			return -EIO;
		}
		journal_write(k, r, b, o.w[k]);
	}
	if (outset_commit_all(&o)) {
		snprintf(err, errlen, "%.300s: cannot keep the run folder's tables current "
			 "(see above)", dir);
		return -EIO;
	}
	for (int k = 0; k < JOURNAL_NFILES; k++) {
		snprintf(path, sizeof(path), "%.4000s/%s", dir, journal_name[k]);
		if (!(j->f[k] = outfile_open_append(path)) || !(j->w[k] = csv_writer_new(j->f[k]))) {
			e = errno;
			snprintf(err, errlen, "%.300s: cannot append to it: %s", path, strerror(e));
			journal_close(j);
			return -e;
		}
	}
	return 0;
}

int journal_add(void *ctx, const struct report *r)
{
	struct journal *j = ctx;
	struct report one = *r;

	if (!r->n)
		return 0;
	one.e = &r->e[r->n - 1];
	one.n = 1;
	one.rows_only = 1;
	/* Results first: a configuration cut off after them but before its
	 * samples is one resume.c runs again. */
	for (int k = 0; k < JOURNAL_NFILES; k++) {
		int e;

		journal_write(k, &one, NULL, j->w[k]);
		if ((e = outfile_write(j->f[k], "", 0)) < 0) {
			fprintf(stderr, "\ncontend: cannot append to the run folder's %s: %s\n",
				journal_name[k], strerror(-e));
			return e;
		}
	}
	return 0;
}

void journal_close(struct journal *j)
{
	for (int k = 0; k < JOURNAL_NFILES; k++) {
		csv_writer_free(j->w[k]);
		if (j->f[k])
			outfile_commit(j->f[k]);
		j->w[k] = NULL;
		j->f[k] = NULL;
	}
}

void journal_clean(const char *dir, const char *const *names, int n)
{
	char pattern[4200];

	for (int i = 0; i < n; i++) {
		glob_t g;

		/* outfile.c's temporary name: .<base>.tmp.XXXXXX */
		snprintf(pattern, sizeof(pattern), "%.4000s/.%s.tmp.??????", dir, names[i]);
		if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++)
			unlink(g.gl_pathv[k]);
		globfree(&g);
	}
}
