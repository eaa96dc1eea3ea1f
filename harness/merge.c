/*
 * harness/merge.c - `contend merge`: run folders of several hosts into
 * one dataset (merge.h).  Reads every input whole and checks it before
 * the output folder is made; writes only CSV, through one outset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cmd.h"
#include "harness/csv.h"
#include "harness/merge.h"
#include "harness/outset.h"

/* The files of a run folder that merge joins; results.csv must be
 * there, the others join when some input has them. */
static const char *const merge_files[] = {
	"results.csv", "samples.csv", "histograms.csv", "warnings.csv", "failures.csv",
	"skipped.csv",
};
#define MERGE_NFILES (sizeof(merge_files) / sizeof(merge_files[0]))
#define MERGE_RESULTS 0

/* The columns that make results.csv a contend results file. */
static const char *const merge_need[] = {
	"run_id", "bench", "mode", "placement", "threads", "params", "metric", "median",
};

struct merge_run {
	const char *dir;
	char name[200];		/* the host env.csv names */
	char host[256];		/* its label in the dataset */
	struct csv_table t[MERGE_NFILES];
	int have[MERGE_NFILES];
	struct csv_table env;
};

/* Read DIR/name into *t: 0, 1 when it is absent and may be, or 2 after
 * one line. */
static int merge_read(const char *dir, const char *name, struct csv_table *t, int optional)
{
	char path[PATH_MAX + 32];
	size_t line = 0;
	int ret;

	snprintf(path, sizeof(path), "%.4000s/%s", dir, name);
	ret = csv_read(path, t, &line);
	if (ret == -ENOENT && optional)
		return 1;
	if (ret == -ENOENT)
		return cmd_bad_input("merge: %s is not a run folder of contend sweep (no %s)",
				     dir, name);
	if (ret == -EINVAL)
		return cmd_bad_input("merge: %s:%zu: malformed CSV", path, line);
	if (ret < 0)
		return cmd_bad_input("merge: cannot read %s: %s", path, csv_read_strerror(ret));
	return 0;
}

/* The host env.csv names, into r->host: 0, or 2 after one line. */
static int merge_host(struct merge_run *r)
{
	int k = csv_table_col(&r->env, "key"), v = csv_table_col(&r->env, "value");

	if (csv_table_col(&r->env, "host") >= 0)
		return cmd_bad_input("merge: %s is a merged dataset already (its env.csv has a "
				     "host column); merge the hosts' own run folders", r->dir);
	r->host[0] = '\0';
	for (size_t i = 0; k >= 0 && v >= 0 && i < r->env.nrows; i++)
		if (!strcmp(r->env.rows[i][k], "host"))
			snprintf(r->host, sizeof(r->host), "%s", r->env.rows[i][v]);
	if (!r->host[0])
		return cmd_bad_input("merge: %s/env.csv names no host (expected a 'host' key, as "
				     "contend sweep writes)", r->dir);
	if (strchr(r->host, ':') || strlen(r->host) >= sizeof(r->name))
		return cmd_bad_input("merge: %s/env.csv: '%.300s' is not a host name", r->dir,
				     r->host);
	snprintf(r->name, sizeof(r->name), "%s", r->host);
	return 0;
}

/* Read and check one input: 0, or 2 after one line. */
static int merge_load(struct merge_run *r)
{
	struct stat st;
	int ret;

	if (stat(r->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cmd_bad_input("merge: %s is not a folder (give run folders made by "
				     "contend sweep)", r->dir);
	for (size_t f = 0; f < MERGE_NFILES; f++) {
		if ((ret = merge_read(r->dir, merge_files[f], &r->t[f], f != MERGE_RESULTS)) == 2)
			return 2;
		r->have[f] = ret == 0;
	}
	for (size_t i = 0; i < sizeof(merge_need) / sizeof(merge_need[0]); i++)
		if (csv_table_col(&r->t[MERGE_RESULTS], merge_need[i]) < 0)
			return cmd_bad_input("merge: %s/results.csv has no '%s' column: not a "
					     "contend results file", r->dir, merge_need[i]);
	for (size_t f = 0; f < MERGE_NFILES; f++)
		if (r->have[f] && csv_table_col(&r->t[f], "host") >= 0)
			return cmd_bad_input("merge: %s is a merged dataset already (%s has a host "
					     "column); merge the hosts' own run folders", r->dir,
					     merge_files[f]);
	if (merge_read(r->dir, "env.csv", &r->env, 0))
		return 2;
	return merge_host(r);
}

/* Do a and b have the same columns, in the same order?  If not, a
 * line saying where they part into why. */
static int merge_same_columns(const struct csv_table *a, const struct csv_table *b, char *why,
			      size_t len)
{
	size_t n = a->ncols < b->ncols ? a->ncols : b->ncols;

	for (size_t c = 0; c < n; c++)
		if (strcmp(a->header[c], b->header[c])) {
			snprintf(why, len, "column %zu is '%.100s' against '%.100s'", c + 1,
				 a->header[c], b->header[c]);
			return 0;
		}
	if (a->ncols != b->ncols) {
		snprintf(why, len, "%zu columns against %zu", a->ncols, b->ncols);
		return 0;
	}
	return 1;
}

/* Two runs of one host keep apart as host:1, host:2, ... (in the order
 * given): a host name has no ':' (merge_host), so no label can be
 * another's. */
static void merge_label_repeats(struct merge_run *runs, int n)
{
	for (int i = 0; i < n; i++) {
		int nth = 0, same = 0;

		for (int j = 0; j < n; j++) {
			same += !strcmp(runs[j].name, runs[i].name);
			nth += j <= i && !strcmp(runs[j].name, runs[i].name);
		}
		if (same < 2)
			continue;
		snprintf(runs[i].host, sizeof(runs[i].host), "%.200s:%d", runs[i].name, nth);
		if (nth == 1)
			fprintf(stderr, "contend: notice: merge: %d runs of host %s, kept apart as "
				"%.200s:1 ... %.200s:%d\n", same, runs[i].name, runs[i].name,
				runs[i].name, same);
	}
}

/* Every input against the first that has each file: 0, or 2 after one
 * line. */
static int merge_check(struct merge_run *runs, int n)
{
	char why[300];

	for (size_t f = 0; f < MERGE_NFILES; f++) {
		int first = -1;

		for (int i = 0; i < n; i++) {
			if (!runs[i].have[f])
				continue;
			if (first < 0) {
				first = i;
				continue;
			}
			if (!merge_same_columns(&runs[first].t[f], &runs[i].t[f], why, sizeof(why)))
				return cmd_bad_input("merge: %s/%s and %s/%s have different "
						     "columns (%s); merge runs of one contend "
						     "with the same --counters", runs[first].dir,
						     merge_files[f], runs[i].dir, merge_files[f],
						     why);
		}
	}
	return 0;
}

/* Take the output folder, which must not exist: 0, or 2 after one line. */
static int merge_take_folder(const char *out)
{
	if (mkdir(out, 0777) == 0)
		return 0;
	if (errno == EEXIST)
		return cmd_bad_input("merge: --out %s: exists already; give a new folder", out);
	return cmd_bad_input("merge: --out %s: cannot create the folder: %s", out,
			     strerror(errno));
}

/* Write file f of every input into w: the header with host after
 * run_id, then each input's rows with its host there. */
static void merge_write(struct csv_writer *w, const struct merge_run *runs, int n, size_t f,
			size_t *rows)
{
	const struct csv_table *h = NULL;
	int at;

	for (int i = 0; i < n && !h; i++)
		if (runs[i].have[f])
			h = &runs[i].t[f];
	at = csv_table_col(h, "run_id") + 1;	/* 0 when there is none */
	for (size_t c = 0; c <= h->ncols; c++)
		csv_field_str(w, c == (size_t)at ? "host" : h->header[c - (c > (size_t)at)]);
	csv_row_end(w);
	for (int i = 0; i < n; i++) {
		const struct csv_table *t = &runs[i].t[f];

		for (size_t r = 0; runs[i].have[f] && r < t->nrows; r++) {
			for (size_t c = 0; c <= t->ncols; c++)
				csv_field_str(w, c == (size_t)at ? runs[i].host
							 : t->rows[r][c - (c > (size_t)at)]);
			csv_row_end(w);
		}
		*rows += runs[i].have[f] ? t->nrows : 0;
	}
}

/* env.csv of the dataset: host,key,value. */
static void merge_write_env(struct csv_writer *w, const struct merge_run *runs, int n)
{
	csv_field_str(w, "host");
	csv_field_str(w, "key");
	csv_field_str(w, "value");
	csv_row_end(w);
	for (int i = 0; i < n; i++) {
		const struct csv_table *e = &runs[i].env;
		int k = csv_table_col(e, "key"), v = csv_table_col(e, "value");

		for (size_t r = 0; k >= 0 && v >= 0 && r < e->nrows; r++) {
			csv_field_str(w, runs[i].host);
			csv_field_str(w, e->rows[r][k]);
			csv_field_str(w, e->rows[r][v]);
			csv_row_end(w);
		}
	}
}

static int merge_usage(void)
{
	printf("usage: contend merge DIR... --out DIR\n\n"
	       "Join the run folders of several hosts (each made by contend sweep, one run a\n"
	       "host) into one dataset in a new folder: every CSV file with a host column\n"
	       "after run_id, env.csv as host,key,value.  'contend plot' on it draws a line\n"
	       "per host.\n\n"
	       "  --out DIR   the new folder (must not exist yet)\n"
	       "  --help      this text\n");
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	struct merge_run *runs = NULL;
	struct outset o = { .n = 0 };
	const char *out = NULL;
	int n = 0, status = 2, idx[MERGE_NFILES + 1], made = 0;
	size_t rows = 0;
	char err[PATH_MAX + 200];

	if (!(runs = calloc((size_t)(argc ? argc : 1), sizeof(*runs)))) {
		fprintf(stderr, "contend: merge: out of memory\n");
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			status = merge_usage();
			goto out;
		}
		if (!strcmp(argv[i], "--out")) {
			if (out) {
				status = cmd_bad_input("merge: --out given twice");
				goto out;
			}
			if (i + 1 == argc || !argv[i + 1][0]) {
				status = cmd_bad_input("merge: --out needs a folder name");
				goto out;
			}
			out = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			status = cmd_bad_input("merge: unknown option '%s' (expected DIR... --out "
					       "DIR)", argv[i]);
			goto out;
		} else {
			runs[n++].dir = argv[i];
		}
	}
	if (!n || !out) {
		status = cmd_bad_input("merge: give the run folders and --out: contend merge "
				       "DIR... --out DIR");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (merge_load(&runs[i]))
			goto out;
	merge_label_repeats(runs, n);
	if (merge_check(runs, n) || merge_take_folder(out))
		goto out;
	made = 1;
	/* Every destination opened before a row is written. */
	for (size_t f = 0; f <= MERGE_NFILES; f++) {
		const char *name = f < MERGE_NFILES ? merge_files[f] : "env.csv";
		char path[PATH_MAX + 32];
		int any = f == MERGE_NFILES;

		for (int i = 0; i < n && !any; i++)
			any = runs[i].have[f];
		idx[f] = -1;
		if (!any)
			continue;
		snprintf(path, sizeof(path), "%.4000s/%s", out, name);
		if ((idx[f] = outset_open(&o, path, path, err, sizeof(err))) < 0) {
			status = cmd_bad_input("merge: %s", err);
			goto out;
		}
	}
	for (size_t f = 0; f < MERGE_NFILES; f++) {
		size_t k = 0;

		if (idx[f] >= 0)
			merge_write(o.w[idx[f]], runs, n, f, f == MERGE_RESULTS ? &rows : &k);
	}
	merge_write_env(o.w[idx[MERGE_NFILES]], runs, n);
	if (outset_commit_all(&o)) {
		status = 1;
		goto out;
	}
	made = 0;
	fprintf(stderr, "contend: merged %d run%s (", n, n == 1 ? "" : "s");
	for (int i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", runs[i].host);
	fprintf(stderr, "): %zu result rows in %s\n", rows, out);
	printf("%s\n", out);
	status = 0;
out:
	outset_abort_all(&o);
	if (made)
		rmdir(out);
	for (int i = 0; i < n; i++) {
		for (size_t f = 0; f < MERGE_NFILES; f++)
			csv_table_free(&runs[i].t[f]);
		csv_table_free(&runs[i].env);
	}
	free(runs);
	return status;
}
