/*
 * harness/compare.c - the regression table.  Reads only CSV.
 *
 * Both runs' rows (and raw samples) are sorted by their key once and
 * joined in one merge pass, so a comparison costs O(n log n) however big
 * the runs.  Every number the verdict depends on is checked: a median,
 * an interval bound or a sample that is not a finite number is bad data
 * (exit 2, with the file and line), never read as 0.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/bench.h"
#include "harness/compare.h"
#include "harness/csv.h"
#include "harness/runner.h"
#include "harness/stats.h"

/* asv's bar for "significant": small enough that a sweep of a few
 * hundred rows rarely cries wolf by chance. */
#define COMPARE_P 0.01

enum { K_BENCH, K_MODE, K_PLACE, K_THREADS, K_PARAMS, K_METRIC, K_NKEY };
static const char *const compare_key[K_NKEY] = {
	"bench", "mode", "placement", "threads", "params", "metric",
};

/* One row of a table, with its joined key. */
struct compare_row {
	char *key;		/* the K_NKEY fields, '\x1f' between them */
	size_t row, count;	/* rows row .. row + count - 1 of the table */
	char *block;		/* in v[0] only: the keys' block */
};

struct compare_run {
	struct csv_table res, smp;
	int have_samples;
	int kcol[K_NKEY], unit, median, lo, hi;		/* in res */
	int skcol[K_NKEY], value, version;		/* in smp */
	struct compare_row *rows, *samples;		/* sorted by key */
	size_t nsamples;				/* groups in samples */
	double *med, *ci_lo, *ci_hi;			/* [res row] */
	double *val;					/* [smp row] */
	char path[PATH_MAX], spath[PATH_MAX];
};

static int compare_isdir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_cols(const struct csv_table *t, int *cols, const char *path)
{
	for (int k = 0; k < K_NKEY; k++)
		if ((cols[k] = csv_table_col(t, compare_key[k])) < 0) {
			fprintf(stderr, "contend: %s: no '%s' column: not a contend results file\n",
				path, compare_key[k]);
			return -EINVAL;
		}
	return 0;
}

/* A whole finite number, or -EINVAL after naming the file, line and
 * column. */
static int compare_number(const char *path, const struct csv_table *t, size_t r, int col,
			  double *out)
{
	const char *s = t->rows[r][col];
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (s[0] && !*end && !errno && isfinite(*out))
		return 0;
	fprintf(stderr, "contend: %s:%zu: %s '%s' is not a finite number\n", path, t->line[r],
		t->header[col], s);
	return -EINVAL;
}

static int compare_cmp_row(const void *a, const void *b)
{
	const struct compare_row *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Do rows r and q of t have the same key? */
static int compare_same_key(const struct csv_table *t, const int *cols, size_t r, size_t q)
{
	for (int k = K_NKEY - 1; k >= 0; k--)	/* the metric differs first */
		if (strcmp(t->rows[r][cols[k]], t->rows[q][cols[k]]))
			return 0;
	return 1;
}

/*
 * The rows of t sorted by key, the keys in one block (v[0].block, freed
 * with v).  With `group`, consecutive rows of one key (a configuration's
 * samples, as contend writes them) are one entry of `count` rows, so that
 * only the groups are sorted.  *n gets the number of entries.
 */
static struct compare_row *compare_index(const struct csv_table *t, const int *cols, int group,
					 size_t *n)
{
	struct compare_row *v = malloc(sizeof(*v) * (t->nrows ? t->nrows : 1));
	size_t total = 0, off = 0, k = 0;
	char *keys;

	if (!v)
		return NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		if (group && k && compare_same_key(t, cols, v[k - 1].row, r)) {
			v[k - 1].count++;
			continue;
		}
		v[k++] = (struct compare_row){ .row = r, .count = 1 };
		for (int c = 0; c < K_NKEY; c++)
			total += strlen(t->rows[r][cols[c]]) + 1;
	}
	if (!(keys = malloc(total ? total : 1))) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < k; i++) {
		v[i].key = keys + off;
		for (int c = 0; c < K_NKEY; c++) {
			const char *f = t->rows[v[i].row][cols[c]];
			size_t len = strlen(f);

			memcpy(keys + off, f, len);
			off += len;
			keys[off++] = c + 1 < K_NKEY ? '\x1f' : '\0';
		}
	}
	qsort(v, k, sizeof(*v), compare_cmp_row);
	/* The block's start, whichever entry sorted first, for the free. */
	if (k)
		v[0].block = keys;
	else
		free(keys);
	*n = k;
	return v;
}

static int compare_read(const char *path, struct csv_table *t)
{
	size_t line = 0;
	int ret = csv_read(path, t, &line);

	if (ret == -EINVAL)
		fprintf(stderr, "contend: %s:%zu: malformed CSV\n", path, line);
	else if (ret < 0)
		fprintf(stderr, "contend: cannot read %s: %s (give a run folder or a results "
			"file)\n", path, csv_read_strerror(ret));
	return ret;
}

static int compare_load(const char *arg, struct compare_run *r)
{
	memset(r, 0, sizeof(*r));
	if (compare_isdir(arg)) {
		snprintf(r->path, sizeof(r->path), "%.4000s/results.csv", arg);
		snprintf(r->spath, sizeof(r->spath), "%.4000s/samples.csv", arg);
	} else {
		snprintf(r->path, sizeof(r->path), "%s", arg);
	}
	if (compare_read(r->path, &r->res) < 0 || compare_cols(&r->res, r->kcol, r->path) < 0)
		return -EINVAL;
	r->unit = csv_table_col(&r->res, "unit");
	r->median = csv_table_col(&r->res, "median");
	r->lo = csv_table_col(&r->res, "ci95_lo");
	r->hi = csv_table_col(&r->res, "ci95_hi");
	if (r->unit < 0 || r->median < 0 || r->lo < 0 || r->hi < 0) {
		fprintf(stderr, "contend: %s: no unit, median or ci95 columns: not a contend "
			"results file\n", r->path);
		return -EINVAL;
	}
	r->med = malloc(sizeof(double) * (r->res.nrows + 1));
	r->ci_lo = malloc(sizeof(double) * (r->res.nrows + 1));
	r->ci_hi = malloc(sizeof(double) * (r->res.nrows + 1));
	size_t nrows;
	if (!r->med || !r->ci_lo || !r->ci_hi ||
	    !(r->rows = compare_index(&r->res, r->kcol, 0, &nrows)))
		goto nomem;
	for (size_t i = 0; i < r->res.nrows; i++)
		if (compare_number(r->path, &r->res, i, r->median, &r->med[i]) < 0 ||
		    compare_number(r->path, &r->res, i, r->lo, &r->ci_lo[i]) < 0 ||
		    compare_number(r->path, &r->res, i, r->hi, &r->ci_hi[i]) < 0)
			return -EINVAL;
	for (size_t i = 1; i < r->res.nrows; i++)
		if (strcmp(r->rows[i - 1].key, r->rows[i].key) == 0) {
			fprintf(stderr, "contend: %s:%zu: the same configuration and metric as line "
				"%zu: one run holds each once\n", r->path,
				r->res.line[r->rows[i].row], r->res.line[r->rows[i - 1].row]);
			return -EINVAL;
		}

	/* Samples are optional (a results file alone): without them the
	 * intervals decide.  A samples file that is there must be good. */
	if (!r->spath[0] || access(r->spath, F_OK) < 0)
		return 0;
	if (compare_read(r->spath, &r->smp) < 0 || compare_cols(&r->smp, r->skcol, r->spath) < 0)
		return -EINVAL;
	r->value = csv_table_col(&r->smp, "value");
	r->version = csv_table_col(&r->smp, "bench_version");
	if (r->value < 0) {
		fprintf(stderr, "contend: %s: no 'value' column: not a contend samples file\n",
			r->spath);
		return -EINVAL;
	}
	if (!(r->val = malloc(sizeof(double) * (r->smp.nrows + 1))) ||
	    !(r->samples = compare_index(&r->smp, r->skcol, 1, &r->nsamples)))
		goto nomem;
	/* An empty value is one contend could not measure (a distribution
	 * that recorded nothing, such as the lock's hold times under
	 * gil=none): results.csv has no row for it, so it is never compared,
	 * but its file is contend's own and must be read.  Any other text
	 * that is not a number is bad data. */
	for (size_t i = 0; i < r->smp.nrows; i++)
		if (!r->smp.rows[i][r->value][0])
			r->val[i] = NAN;
		else if (compare_number(r->spath, &r->smp, i, r->value, &r->val[i]) < 0)
			return -EINVAL;
	r->have_samples = 1;
	return 0;
nomem:
	fprintf(stderr, "contend: out of memory reading %s\n", r->path);
	return -ENOMEM;
}

static void compare_free(struct compare_run *r)
{
	if (r->rows && r->res.nrows)
		free(r->rows[0].block);
	if (r->samples && r->nsamples)
		free(r->samples[0].block);
	free(r->rows);
	free(r->samples);
	free(r->med);
	free(r->ci_lo);
	free(r->ci_hi);
	free(r->val);
	csv_table_free(&r->res);
	csv_table_free(&r->smp);
	memset(r, 0, sizeof(*r));
}

/*
 * The samples of `key` into out (at most max); returns how many.
 * *cursor walks r->samples in key order along with the merge, so the
 * whole join reads each sample once.  *hole gets the line of an empty
 * value among them, or 0: a row results.csv holds was measured in every
 * repetition, so an empty sample of it is bad data.
 */
static size_t compare_samples(const struct compare_run *r, const char *key, size_t *cursor,
			      double *out, size_t max, const char **version, size_t *hole)
{
	size_t n = 0;

	*hole = 0;
	*version = NULL;
	if (!r->have_samples)
		return 0;
	while (*cursor < r->nsamples && strcmp(r->samples[*cursor].key, key) < 0)
		(*cursor)++;
	for (; *cursor < r->nsamples && strcmp(r->samples[*cursor].key, key) == 0; (*cursor)++) {
		const struct compare_row *g = &r->samples[*cursor];

		for (size_t row = g->row; row < g->row + g->count; row++) {
			if (isnan(r->val[row]) && !*hole)
				*hole = r->smp.line[row];
			if (n < max)
				out[n++] = r->val[row];
			if (r->version >= 0)
				*version = r->smp.rows[row][r->version];
		}
	}
	return n;
}

static int compare_higher_is_better(const char *bench, const char *metric, const char *unit)
{
	for (int i = 0; bench_registry[i]; i++)
		if (strcmp(bench_registry[i]->name, bench) == 0)
			for (const struct bench_metric *m = bench_registry[i]->metrics; m->name; m++)
				if (strcmp(m->name, metric) == 0)
					return m->higher_is_better;
	return strcmp(unit, "ops/s") == 0;
}

/* The change in percent of the base; a change from 0 is infinite. */
static double compare_change(double base, double now)
{
	if (base != 0)
		return (now - base) / fabs(base) * 100;
	return now == base ? 0 : now > base ? INFINITY : -INFINITY;
}

/* One field of the markdown table: a '|' in it would end the cell. */
static void compare_cell(const char *s)
{
	fputs("| ", stdout);
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
	putchar(' ');
}

static void compare_print_row(char **row, const int *kcol, const char *base, const char *now,
			      const char *change, const char *p, const char *verdict)
{
	for (int k = 0; k < K_NKEY; k++)
		compare_cell(row[kcol[k]]);
	compare_cell(base);
	compare_cell(now);
	compare_cell(change);
	compare_cell(p);
	compare_cell(verdict);
	printf("|\n");
}

int compare_runs(const char *base, const char *new_, double threshold_pct)
{
	return compare_runs_at(base, new_, threshold_pct, COMPARE_P);
}

int compare_runs_at(const char *base, const char *new_, double threshold_pct, double alpha)
{
	static struct compare_run b, n;
	enum { MAXS = 4096 };
	static double sb[MAXS], sn[MAXS];
	int regressions = 0, improvements = 0, compared = 0, changed_bench = 0, few = 0;
	int missing = 0, added = 0, status, geo_n = 0;
	double geo_log = 0;
	size_t i = 0, j = 0, cb_cur = 0, cn_cur = 0;

	if (compare_load(base, &b) < 0 || compare_load(new_, &n) < 0) {
		status = 2;
		goto out;
	}
	printf("| bench | mode | placement | threads | params | metric | base | new | change | p "
	       "| verdict |\n|---|---|---|--:|---|---|--:|--:|--:|--:|---|\n");
	/* One merge pass over both runs in key order. */
	while (i < b.res.nrows || j < n.res.nrows) {
		int c = i >= b.res.nrows ? 1 : j >= n.res.nrows ? -1
						  : strcmp(b.rows[i].key, n.rows[j].key);
		char vb_s[32], vn_s[32], ch_s[16], p_s[16], vd_s[64];

		if (runner_interrupted) {
			fprintf(stderr, "contend: compare stopped by %s\n",
				strsignal(runner_interrupted));
			status = 128 + runner_interrupted;
			goto out;
		}
		if (c < 0) {
			/* A configuration that stopped producing rows (it now
			 * fails or was dropped) must not slip through a
			 * regression gate. */
			size_t r = b.rows[i++].row;

			missing++;
			snprintf(vb_s, sizeof(vb_s), "%.4g", b.med[r]);
			compare_print_row(b.res.rows[r], b.kcol, vb_s, "-", "", "", "MISSING in NEW");
			continue;
		}
		if (c > 0) {
			added++;	/* new configuration: nothing to compare */
			j++;
			continue;
		}
		size_t rb = b.rows[i].row, rn = n.rows[j].row;
		char **nr = n.res.rows[rn];
		const char *key = n.rows[j].key, *vb, *vn, *verdict = "same";
		double mb = b.med[rb], mn = n.med[rn], change, p = NAN, sign;
		size_t cb, cn, hb, hn;
		int worse, significant, beyond;

		i++;
		j++;
		compared++;
		sign = compare_higher_is_better(nr[n.kcol[K_BENCH]], nr[n.kcol[K_METRIC]],
						nr[n.unit]) ? -1 : 1;
		change = compare_change(mb, mn);
		worse = sign * change > threshold_pct;
		beyond = fabs(change) > threshold_pct;
		cb = compare_samples(&b, key, &cb_cur, sb, MAXS, &vb, &hb);
		cn = compare_samples(&n, key, &cn_cur, sn, MAXS, &vn, &hn);
		if (hb || hn) {
			fprintf(stderr, "contend: %s:%zu: an empty value of %s, which results.csv "
				"holds as measured: not a contend samples file\n",
				hb ? b.spath : n.spath, hb ? hb : hn, nr[n.kcol[K_METRIC]]);
			status = 2;
			goto out;
		}
		if (cb >= 2 && cn >= 2) {
			p = stats_mann_whitney_p(sb, cb, sn, cn);
			significant = p < alpha;
			few |= !(stats_mann_whitney_min_p(cb, cn) < alpha);
		} else {
			/* No raw samples: the medians' intervals must not overlap. */
			significant = n.ci_lo[rn] > b.ci_hi[rb] || n.ci_hi[rn] < b.ci_lo[rb];
		}
		if (beyond && significant) {
			verdict = worse ? "REGRESSION" : "improved";
			regressions += worse;
			improvements += !worse;
		} else if (beyond) {
			verdict = "noise";
		}
		if (vb && vn && strcmp(vb, vn)) {
			/* The workload's own source differs (bench.h: version):
			 * the change may be the benchmark's, not the code's. */
			changed_bench++;
			snprintf(vd_s, sizeof(vd_s), "%s (benchmark changed)", verdict);
			verdict = vd_s;
		}
		if (mb > 0 && mn > 0) {
			/* In the direction of cost, so that speed-ups of one
			 * metric and slow-downs of another do not cancel by
			 * their units. */
			geo_log += sign > 0 ? log(mn / mb) : log(mb / mn);
			geo_n++;
		}
		snprintf(vb_s, sizeof(vb_s), "%.4g", mb);
		snprintf(vn_s, sizeof(vn_s), "%.4g", mn);
		snprintf(ch_s, sizeof(ch_s), "%+.1f%%", change);
		snprintf(p_s, sizeof(p_s), isnan(p) ? "-" : "%.2g", p);
		compare_print_row(nr, n.kcol, vb_s, vn_s, ch_s, p_s, verdict);
	}
	if (geo_n) {
		char ch_s[32], what[96];

		snprintf(ch_s, sizeof(ch_s), "%+.1f%%", (exp(geo_log / geo_n) - 1) * 100);
		snprintf(what, sizeof(what), "%d rows, as cost: + is worse", geo_n);
		printf("| geometric mean | | | | | | | | %s | | %s |\n", ch_s, what);
	}
	fprintf(stderr, "contend: compared %d rows: %d significant regressions, %d improvements, "
		"%d missing in NEW, %d new (threshold %.1f %%, p < %g)%s\n", compared, regressions,
		improvements, missing, added, threshold_pct, alpha,
		changed_bench ? "; some benchmarks' sources changed between the runs" : "");
	if (few)
		fprintf(stderr, "contend: notice: some rows have too few repetitions for any change "
			"to reach p < %g (two fully separated samples of 5 reach 0.008); use --reps "
			"10 or more\n", alpha);
	if (compared == 0) {
		/* Also when BASE's rows are all MISSING: no row was
		 * compared, so this is no verdict on the code (README). */
		fprintf(stderr, "contend: the two runs share no configuration: nothing was compared, "
			"which is not a pass\n");
		status = 2;
	} else {
		status = regressions || missing ? 1 : 0;
	}
out:
	compare_free(&b);
	compare_free(&n);
	return status;
}
