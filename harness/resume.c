/*
 * harness/resume.c - what the earlier part of a resumed sweep completed.
 *
 * A run folder's files are written together, but a folder can still be
 * damaged (a copy cut short, a file deleted), and a configuration whose
 * rows are incomplete must run again rather than count as done.  The
 * check needs no record of its own: the samples say how many values each
 * metric had, and report.c writes a results row exactly where all of
 * them are numbers, with their count as `reps`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/resume.h"

/* Every file of a run folder begins run_id, bench, mode, placement,
 * threads, params, metric (report.c's column lists). */
enum { RS_RUN_ID, RS_KEY0, RS_NKEY = 5, RS_METRIC = RS_KEY0 + RS_NKEY };

/* One configuration of results.csv, and what its rows add up to. */
struct resume_conf {
	char **row;			/* its first results row, for the key */
	const struct bench_desc *desc;
	size_t off;			/* its metrics' slots in the counts */
	int bad;
};

/* Per configuration and metric. */
struct resume_count {
	size_t samples, empty;		/* samples, and of them empty values */
	long long reps;			/* results row's reps; -1: no row */
	int hist;			/* histograms.csv has its distribution */
};

static int resume_cmp_key(char **a, char **b)
{
	for (int k = RS_KEY0; k < RS_KEY0 + RS_NKEY; k++) {
		int c = strcmp(a[k], b[k]);

		if (c)
			return c;
	}
	return 0;
}

static int resume_cmp_conf(const void *pa, const void *pb)
{
	const struct resume_conf *a = pa, *b = pb;

	return resume_cmp_key(a->row, b->row);
}

/* The configuration of a row, or NULL when results.csv has none. */
static struct resume_conf *resume_find(struct resume_conf *c, size_t n, char **row)
{
	struct resume_conf key = { .row = row };

	return bsearch(&key, c, n, sizeof(*c), resume_cmp_conf);
}

static const struct bench_desc *resume_desc(const char *name)
{
	for (int i = 0; bench_registry[i]; i++)
		if (strcmp(bench_registry[i]->name, name) == 0)
			return bench_registry[i];
	return NULL;
}

/* Index of the metric called name (or, for a histogram, of the p50 row
 * of the distribution called name) in d, or -1. */
static int resume_metric(const struct bench_desc *d, const char *name, int hist)
{
	for (int i = 0; d->metrics[i].name; i++) {
		const struct bench_metric *m = &d->metrics[i];
		size_t len = strlen(m->name);

		if (!hist) {
			if (strcmp(m->name, name) == 0)
				return i;
			continue;
		}
		if (m->kind != BENCH_LATENCY || m->stat != BENCH_LAT_P50)
			continue;
		/* report_histograms names a distribution by its p50 row less
		 * the suffix */
		if (len > 4 && strcmp(m->name + len - 4, "_p50") == 0)
			len -= 4;
		if (strlen(name) == len && strncmp(m->name, name, len) == 0)
			return i;
	}
	return -1;
}

/* Are the rows of c whole? */
static int resume_whole(const struct resume_conf *c, const struct resume_count *k)
{
	long long reps = -1, rounds = -1;

	if (c->bad || !c->desc)
		return 0;
	for (int i = 0; c->desc->metrics[i].name; i++) {
		const struct bench_metric *m = &c->desc->metrics[i];
		const struct resume_count *x = &k[c->off + (size_t)i];
		long long *same = m->kind == BENCH_LATENCY ? &rounds : &reps;
		int measured = x->samples > 0 && x->empty == 0;

		/* Every repeated metric has a value per repetition, every
		 * distribution one per latency round. */
		if (*same < 0)
			*same = (long long)x->samples;
		if ((long long)x->samples != *same)
			return 0;
		if (measured != (x->reps >= 0))
			return 0;
		if (measured && x->reps != (long long)x->samples)
			return 0;
		if (measured && m->kind == BENCH_LATENCY && m->stat == BENCH_LAT_P50 && !x->hist)
			return 0;
	}
	return reps != 0;
}

/* Keep only the rows of t whose configuration is whole. */
static void resume_keep_whole(struct csv_table *t, struct resume_conf *c, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->nrows; i++) {
		struct resume_conf *f = resume_find(c, n, t->rows[i]);

		if (!f || f->bad)
			continue;
		t->rows[kept] = t->rows[i];
		t->line[kept++] = t->line[i];
	}
	t->nrows = kept;
}

/* Mark every configuration of b->res whose rows are not whole (bad),
 * and drop those rows from every table.  0 or -ENOMEM. */
static int resume_check(struct resume_before *b)
{
	struct resume_conf *c = malloc(sizeof(*c) * (b->res.nrows + 1));
	struct resume_count *k = NULL;
	size_t n = 0, slots = 0;
	int reps_col = csv_table_col(&b->res, "reps"), value_col = csv_table_col(&b->smp, "value");

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < b->res.nrows; i++)
		c[n++] = (struct resume_conf){ .row = b->res.rows[i] };
	qsort(c, n, sizeof(*c), resume_cmp_conf);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || resume_cmp_key(c[u - 1].row, c[i].row))
			c[u++] = c[i];
	n = u;
	for (size_t i = 0; i < n; i++) {
		c[i].desc = resume_desc(c[i].row[RS_KEY0]);
		c[i].off = slots;
		for (int m = 0; c[i].desc && c[i].desc->metrics[m].name; m++)
			slots++;
	}
	if (!(k = calloc(slots + 1, sizeof(*k)))) {
		free(c);
		return -ENOMEM;
	}
	for (size_t s = 0; s < slots; s++)
		k[s].reps = -1;

	for (size_t i = 0; i < b->res.nrows; i++) {
		struct resume_conf *f = resume_find(c, n, b->res.rows[i]);
		int m = f->desc ? resume_metric(f->desc, b->res.rows[i][RS_METRIC], 0) : -1;
		char *end;

		if (m < 0 || k[f->off + (size_t)m].reps >= 0) {
			f->bad = 1;	/* a metric it does not have, or twice */
			continue;
		}
		k[f->off + (size_t)m].reps = strtoll(b->res.rows[i][reps_col], &end, 10);
		if (*end || k[f->off + (size_t)m].reps < 0)
			f->bad = 1;
	}
	for (size_t i = 0; i < b->smp.nrows; i++) {
		struct resume_conf *f = resume_find(c, n, b->smp.rows[i]);
		int m = f && f->desc ? resume_metric(f->desc, b->smp.rows[i][RS_METRIC], 0) : -1;

		if (!f)
			continue;	/* dropped with the table's other strays */
		if (m < 0) {
			f->bad = 1;
			continue;
		}
		k[f->off + (size_t)m].samples++;
		k[f->off + (size_t)m].empty += b->smp.rows[i][value_col][0] == '\0';
	}
	for (size_t i = 0; i < b->hist.nrows; i++) {
		struct resume_conf *f = resume_find(c, n, b->hist.rows[i]);
		int m = f && f->desc ? resume_metric(f->desc, b->hist.rows[i][RS_METRIC], 1) : -1;

		if (f && m < 0)
			f->bad = 1;
		else if (f)
			k[f->off + (size_t)m].hist = 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!resume_whole(&c[i], k)) {
			c[i].bad = 1;
			b->cut++;
		}
	/* The tables' rows still point into their text: sorting c did not
	 * move them, and keeping whole rows only moves pointers. */
	resume_keep_whole(&b->smp, c, n);
	resume_keep_whole(&b->hist, c, n);
	resume_keep_whole(&b->warn, c, n);
	resume_keep_whole(&b->res, c, n);
	free(k);
	free(c);
	return 0;
}

/* Every run id in dir's files must be one: a resumed sweep continues a
 * run, it does not start a second one inside the first's folder. */
static int resume_run_id(const char *dir, struct resume_before *b, const struct csv_table *env,
			 struct report *r, char *err, size_t errlen)
{
	const char *id = NULL, *where = NULL;
	const struct { const char *name; const struct csv_table *t; } files[] = {
		{ "results.csv", &b->res }, { "samples.csv", &b->smp },
		{ "histograms.csv", &b->hist }, { "warnings.csv", &b->warn },
	};

	for (size_t i = 0; i < env->nrows; i++)
		if (env->ncols == 2 && strcmp(env->rows[i][0], "run_id") == 0) {
			id = env->rows[i][1];
			where = "env.csv";
		}
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		for (size_t i = 0; i < files[f].t->nrows; i++) {
			const char *row_id = files[f].t->rows[i][RS_RUN_ID];

			if (!id) {
				id = row_id;
				where = files[f].name;
			} else if (strcmp(id, row_id)) {
				snprintf(err, errlen, "%.300s/%s:%zu: run id %.64s, where %s has "
					 "%.64s: the folder holds two runs", dir, files[f].name,
					 files[f].t->line[i], row_id, where, id);
				return -EINVAL;
			}
		}
	if (id)
		snprintf(r->run_id, sizeof(r->run_id), "%s", id);
	return 0;
}

int resume_load(const char *dir, struct report *r, struct resume_before *b, char *err,
		size_t errlen)
{
	char path[4200];
	struct csv_table env = { 0 };
	size_t line = 0;
	int ret;
	const struct { const char *name; struct csv_table *t; int file; } files[] = {
		{ "results.csv", &b->res, REPORT_FILE_RESULTS },
		{ "samples.csv", &b->smp, REPORT_FILE_SAMPLES },
		{ "histograms.csv", &b->hist, REPORT_FILE_HISTOGRAMS },
		{ "warnings.csv", &b->warn, REPORT_FILE_WARNINGS },
		{ "env.csv", &env, -1 },
	};

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%.4000s/%s", dir, files[i].name);
		ret = csv_read(path, files[i].t, &line);
		if (ret == -ENOENT)
			continue;	/* stopped before anything completed, or lost */
		if (ret == -EINVAL)
			snprintf(err, errlen, "%.300s:%zu: malformed CSV", path, line);
		else if (ret < 0)
			snprintf(err, errlen, "cannot read %.300s: %s", path, csv_read_strerror(ret));
		else if (files[i].file >= 0 && report_same_header(r, files[i].t, files[i].file) < 0)
			snprintf(err, errlen, "%.300s: other columns than this sweep writes (was it "
				 "run with other --counters?)", path);
		else
			continue;
		ret = ret == -ENOMEM ? ret : -EINVAL;
		goto out;
	}
	b->have_env = env.header != NULL;
	if ((ret = resume_run_id(dir, b, &env, r, err, errlen)) < 0)
		goto out;
	ret = resume_check(b);
out:
	csv_table_free(&env);
	if (ret < 0)
		resume_free(b);
	return ret;
}

void resume_free(struct resume_before *b)
{
	csv_table_free(&b->res);
	csv_table_free(&b->smp);
	csv_table_free(&b->hist);
	csv_table_free(&b->warn);
}
