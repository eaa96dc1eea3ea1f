/*
 * harness/outset.c - a command's outputs as one set: checked before any
 * work, committed together.  See outset.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/outset.h"

/* Why a destination cannot be written, as a person would put it. */
static const char *outset_why(int err)
{
	switch (err) {
	case ENOENT:
		return "no such folder (or a link to nothing)";
	case EISDIR:
		return "it is a folder; name a file";
	case ENAMETOOLONG:
		return "the name is too long (contend first writes .NAME.tmp.XXXXXX beside it)";
	case EBADF:
		return "standard output is closed";
	case ENOTSUP:
		return "it is a socket or block device, not a file";
	case EINVAL:
		return "an empty name";
	default:
		return strerror(err);
	}
}

/* Open a destination; its index, or -1 with the one-line reason in err. */
int outset_open(struct outset *o, const char *path, const char *what, char *err,
		size_t errlen)
{
	struct outfile *f = outfile_open(path);
	struct csv_writer *w = f ? csv_writer_new(f) : NULL;

	if (!w) {
		int e = errno;

		outfile_abort(f);
		snprintf(err, errlen, "%s: cannot write there: %s", what, outset_why(e));
		return -1;
	}
	o->f[o->n] = f;
	o->w[o->n] = w;
	snprintf(o->what[o->n], sizeof(o->what[0]), "%s", what);
	o->stale[o->n][0] = '\0';
	return o->n++;
}

void outset_abort_all(struct outset *o)
{
	for (int i = 0; i < o->n; i++)
		if (o->f[i]) {
			outfile_abort(o->f[i]);
			csv_writer_free(o->w[i]);
		}
	o->n = 0;
}

/* An output with nothing to say (no failures): not written, and an old
 * one of a resumed run removed when the others are published. */
void outset_drop(struct outset *o, int i)
{
	outfile_abort(o->f[i]);
	csv_writer_free(o->w[i]);
	o->f[i] = NULL;
	o->w[i] = NULL;
}

/* Every file or none: finish all, and publish only if all finished.
 * 0, or 1 after saying what could not be written. */
int outset_commit_all(struct outset *o)
{
	int bad = -1, ret = 0;

	for (int i = 0; i < o->n && bad < 0; i++)
		if (o->f[i] && (ret = outfile_finish(o->f[i])) < 0)
			bad = i;
	if (bad >= 0) {
		fprintf(stderr, "contend: cannot write %s: %s; no result file was written\n",
			o->what[bad], strerror(-ret));
		outset_abort_all(o);
		return 1;
	}
	for (int i = 0; i < o->n; i++) {
		if (!o->f[i]) {
			if (o->stale[i][0])
				unlink(o->stale[i]);
			continue;
		}
		csv_writer_free(o->w[i]);
		if ((ret = outfile_publish(o->f[i])) < 0) {
			fprintf(stderr, "contend: cannot write %s: %s\n", o->what[i], strerror(-ret));
			bad = i;
		}
	}
	o->n = 0;
	return bad >= 0;
}

/* Do two destinations name one file?  Before either exists, by folder
 * and name; after, by inode. */
int outset_same_destination(const char *a, const char *b)
{
	struct stat sa, sb;
	char da[PATH_MAX], db[PATH_MAX], ca[PATH_MAX], cb[PATH_MAX];
	char *ra, *rb;
	int same;

	if (strcmp(a, b) == 0)
		return 1;
	if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
		return 0;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	snprintf(ca, sizeof(ca), "%s", a);
	snprintf(cb, sizeof(cb), "%s", b);
	ra = realpath(dirname(ca), da);
	rb = realpath(dirname(cb), db);
	snprintf(ca, sizeof(ca), "%s", a);
	snprintf(cb, sizeof(cb), "%s", b);
	same = ra && rb && strcmp(da, db) == 0 && strcmp(basename(ca), basename(cb)) == 0;
	return same;
}
