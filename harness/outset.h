/*
 * harness/outset.h - the set of files one command writes (results,
 * samples, histograms, a run folder's every file): each destination is
 * opened, and so checked, before any work; at the end they are published
 * together, every file or none.
 */
#ifndef CONTEND_OUTSET_H
#define CONTEND_OUTSET_H

#include <limits.h>

#include "harness/csv.h"
#include "harness/outfile.h"

#define OUT_MAX 8

struct outset {
	struct outfile *f[OUT_MAX];		/* each destination: raw bytes (JSON, plan.txt) */
	struct csv_writer *w[OUT_MAX];		/* ... or CSV rows, written into f */
	char what[OUT_MAX][PATH_MAX + 32];	/* "--out FILE" or a path, for messages */
	char stale[OUT_MAX][PATH_MAX + 32];	/* an old file to remove if f is dropped */
	int n;
};

/* Open path as the set's next destination (`what` names it in
 * messages): its index, or -1 with one line saying why in err. */
int outset_open(struct outset *o, const char *path, const char *what, char *err,
		size_t errlen);
/* Drop every destination: nothing is written, old files stay. */
void outset_abort_all(struct outset *o);
/* Destination i has nothing to say: not written, and its stale file
 * (if set) removed when the others are published. */
void outset_drop(struct outset *o, int i);
/* Publish every file or none: 0, or 1 after saying on stderr what
 * could not be written. */
int outset_commit_all(struct outset *o);
/* Do two destinations name one file? */
int outset_same_destination(const char *a, const char *b);

#endif
