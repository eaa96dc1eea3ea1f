/*
 * harness/history.c - a results history per machine, its timelines and
 * the persistent shifts in it (history.h).  Reads and writes only CSV;
 * the charts are plots/history.gp's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cmd.h"
#include "harness/csv.h"
#include "harness/history.h"
#include "harness/outfile.h"
#include "harness/plot_gnuplot.h"
#include "harness/stats.h"

#ifndef CONTEND_SOURCE_DIR
#define CONTEND_SOURCE_DIR "."
#endif

/* ---- change points --------------------------------------------------------- */

/* The median of x[0..n) (n >= 1) with tmp as room for a copy. */
static double history_median(const double *x, size_t n, double *tmp)
{
	memcpy(tmp, x, n * sizeof(*x));
	return stats_median(tmp, n);
}

/* The Laplace cost of segment x[s..t), in scales. */
static double history_cost(const double *x, size_t s, size_t t, double scale, double *tmp)
{
	double med = history_median(x + s, t - s, tmp), c = 0;

	for (size_t i = s; i < t; i++)
		c += fabs(x[i] - med);
	return c / scale;
}

int history_changepoints(const double *x, size_t n, size_t min_seg, double scale,
			 double penalty, size_t *cps, size_t max)
{
	double *f = NULL, *tmp = NULL;
	size_t *last = NULL, *cand = NULL, ncand = 0;
	int ret = -ENOMEM, k = 0;

	if (!min_seg || (n && !(scale > 0)))
		return -EINVAL;
	if (n < 2 * min_seg)
		return 0;	/* no room for two segments */
	f = malloc(sizeof(*f) * (n + 1));
	tmp = malloc(sizeof(*tmp) * n);
	last = malloc(sizeof(*last) * (n + 1));
	cand = malloc(sizeof(*cand) * (n + 1));
	if (!f || !tmp || !last || !cand)
		goto out;
	/* f[t]: the least cost of x[0..t) cut into segments of min_seg or
	 * more, each change point paying the penalty (so f[0] = -penalty
	 * makes the first segment free). */
	f[0] = -penalty;
	cand[ncand++] = 0;
	for (size_t t = 1; t <= n; t++) {
		double best = INFINITY;
		size_t arg = 0, keep = 0;

		f[t] = INFINITY;
		for (size_t i = 0; i < ncand; i++) {
			size_t tau = cand[i];

			if (t - tau < min_seg)
				continue;
			double v = f[tau] + history_cost(x, tau, t, scale, tmp) + penalty;

			if (v < best) {
				best = v;
				arg = tau;
			}
		}
		f[t] = best;
		last[t] = arg;
		/* PELT's pruning: a start whose cost already exceeds the
		 * optimum here cannot be optimal later (splitting a segment
		 * never costs more than keeping it whole). */
		for (size_t i = 0; i < ncand; i++) {
			size_t tau = cand[i];

			if (t - tau >= min_seg && isfinite(best) &&
			    f[tau] + history_cost(x, tau, t, scale, tmp) > best)
				continue;
			cand[keep++] = tau;
		}
		ncand = keep;
		if (isfinite(f[t]))
			cand[ncand++] = t;
	}
	/* Walk back from n (cand is free again): the starts of the
	 * segments after the first, then in ascending order. */
	size_t ns = 0;
	for (size_t t = n; t > 0; t = last[t])
		if (last[t] > 0)
			cand[ns++] = last[t];
	for (size_t i = 0; i < ns && (size_t)k < max; i++)
		cps[k++] = cand[ns - 1 - i];
	ret = k;
out:
	free(f);
	free(tmp);
	free(last);
	free(cand);
	return ret;
}

double history_scale(const double *x, size_t n, double half_ci)
{
	double s = 0;

	if (n >= 2) {
		double d[n - 1], tmp[n - 1];

		for (size_t i = 1; i < n; i++)
			d[i - 1] = fabs(x[i] - x[i - 1]);
		/* For a normal series |x_i - x_i-1| has median 0.6745 sqrt 2 sigma. */
		s = history_median(d, n - 1, tmp) / (0.6745 * sqrt(2));
	}
	return fmax(s, half_ci / 1.96);
}

double history_penalty(size_t n)
{
	return 3 * log((double)(n > 2 ? n : 2));
}

/* ---- the history file ------------------------------------------------------ */

static const char *const history_columns[] = {
	"revision", "date", "run_id", "bench", "mode", "placement", "threads", "params",
	"metric", "unit", "median", "ci95_lo", "ci95_hi", NULL,
};
enum { H_REV, H_DATE, H_RUN, H_BENCH, H_MODE, H_PLACE, H_THREADS, H_PARAMS, H_METRIC,
       H_UNIT, H_MEDIAN, H_LO, H_HI, H_NCOLS };
/* The key of a series: bench .. metric. */
#define H_KEY_FIRST H_BENCH
#define H_KEY_LAST H_METRIC

static int history_read(const char *path, struct csv_table *t, int quiet_missing)
{
	size_t line = 0;
	int ret = csv_read(path, t, &line);

	if (ret == -ENOENT && quiet_missing)
		return ret;
	if (ret < 0)
		return cmd_bad_input("history: cannot read %s%s%zu: %s", path, line ? ":" : "",
				     line, csv_read_strerror(ret)), -EINVAL;
	return 0;
}

static int history_is_file(const struct csv_table *t)
{
	if (t->ncols != H_NCOLS)
		return 0;
	for (int c = 0; c < H_NCOLS; c++)
		if (strcmp(t->header[c], history_columns[c]))
			return 0;
	return 1;
}

/* A value of RUNDIR/env.csv, or def. */
static void history_env(const struct csv_table *e, const char *key, const char *def, char *buf,
			size_t len)
{
	int k = csv_table_col(e, "key"), v = csv_table_col(e, "value");

	snprintf(buf, len, "%s", def);
	for (size_t r = 0; k >= 0 && v >= 0 && r < e->nrows; r++)
		if (!strcmp(e->rows[r][k], key))
			snprintf(buf, len, "%s", e->rows[r][v]);
}

static int history_append(const char *hdir, const char *rundir)
{
	static const char *const need[] = {
		"run_id", "bench", "mode", "placement", "threads", "params", "metric", "unit",
		"median", "ci95_lo", "ci95_hi",
	};
	struct csv_table res = { 0 }, env = { 0 }, old = { 0 };
	char path[PATH_MAX], host[128], rev[128], date[128], file[PATH_MAX + 200];
	int col[11], status = 2, have_old;
	struct outfile *f = NULL;
	struct csv_writer *w = NULL;
	struct stat st;

	if (stat(hdir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cmd_bad_input("history append: %s is not a folder (make it first)", hdir);
	snprintf(path, sizeof(path), "%.4000s/results.csv", rundir);
	if (history_read(path, &res, 0) < 0)
		return 2;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if ((col[i] = csv_table_col(&res, need[i])) < 0) {
			status = cmd_bad_input("history append: %s: no '%s' column: not a contend "
					       "results file", path, need[i]);
			goto out;
		}
	if (!res.nrows) {
		status = cmd_bad_input("history append: %s holds no result", path);
		goto out;
	}
	/* The machine and the revision from env.csv (a sweep's run folder);
	 * without it, this machine's name and an unknown revision. */
	snprintf(path, sizeof(path), "%.4000s/env.csv", rundir);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (access(path, F_OK) == 0) {
		if (history_read(path, &env, 0) < 0)
			goto out;
		history_env(&env, "host", host, host, sizeof(host));
	}
	history_env(&env, "git_revision", "unknown", rev, sizeof(rev));
	history_env(&env, "date", "", date, sizeof(date));
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
	if (!host[0] || host[0] == '.')
		snprintf(host, sizeof(host), "unknown-host");
	snprintf(file, sizeof(file), "%.4000s/%s.csv", hdir, host);
	have_old = history_read(file, &old, 1) == 0;
	if (!have_old && access(file, F_OK) == 0)
		goto out;	/* said by history_read */
	if (have_old && !history_is_file(&old)) {
		status = cmd_bad_input("history append: %s is not a contend history (its header "
				       "differs)", file);
		goto out;
	}
	for (size_t r = 0; have_old && r < old.nrows; r++)
		if (!strcmp(old.rows[r][H_RUN], res.rows[0][col[0]])) {
			status = cmd_bad_input("history append: run %s is in %s already",
					       res.rows[0][col[0]], file);
			goto out;
		}
	if (!(f = outfile_open(file)) || !(w = csv_writer_new(f))) {
		status = cmd_bad_input("history append: cannot write %s: %s", file,
				       strerror(errno));
		goto out;
	}
	for (int c = 0; c < H_NCOLS; c++)
		csv_field_str(w, history_columns[c]);
	csv_row_end(w);
	for (size_t r = 0; have_old && r < old.nrows; r++) {
		for (int c = 0; c < H_NCOLS; c++)
			csv_field_str(w, old.rows[r][c]);
		csv_row_end(w);
	}
	for (size_t r = 0; r < res.nrows; r++) {
		csv_field_str(w, rev);
		csv_field_str(w, date);
		for (int i = 0; i < 11; i++)
			csv_field_str(w, res.rows[r][col[i]]);
		csv_row_end(w);
	}
	csv_writer_free(w);
	w = NULL;
	if (outfile_commit(f) < 0) {
		fprintf(stderr, "contend: history append: cannot write %s\n", file);
		status = 1;
	} else {
		fprintf(stderr, "contend: history: %zu rows of %s (revision %s) appended to %s\n",
			res.nrows, res.rows[0][col[0]], rev, file);
		status = 0;
	}
	f = NULL;
out:
	if (w)
		csv_writer_free(w);
	if (f)
		outfile_abort(f);
	csv_table_free(&res);
	csv_table_free(&env);
	csv_table_free(&old);
	return status;
}

/* ---- series ----------------------------------------------------------------- */

struct history_series {
	size_t *rows;		/* into the table, in append order */
	size_t n;
};

static const struct csv_table *history_sort_table;

static int history_cmp_row(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	for (int c = H_KEY_FIRST; c <= H_KEY_LAST; c++) {
		int d = strcmp(history_sort_table->rows[x][c], history_sort_table->rows[y][c]);

		if (d)
			return d;
	}
	return (x > y) - (x < y);
}

static int history_same_key(const struct csv_table *t, size_t x, size_t y)
{
	for (int c = H_KEY_FIRST; c <= H_KEY_LAST; c++)
		if (strcmp(t->rows[x][c], t->rows[y][c]))
			return 0;
	return 1;
}

/* Load FILE; its rows sorted by series, each series in append order. */
static int history_load(const char *path, struct csv_table *t, size_t **order)
{
	if (history_read(path, t, 0) < 0)
		return -EINVAL;
	if (!history_is_file(t)) {
		cmd_bad_input("history: %s is not a contend history (written by history append)",
			      path);
		return -EINVAL;
	}
	for (size_t r = 0; r < t->nrows; r++)
		for (int c = H_MEDIAN; c <= H_HI; c++) {
			char *end;
			double v = strtod(t->rows[r][c], &end);

			if (!t->rows[r][c][0] || *end || !isfinite(v)) {
				cmd_bad_input("history: %s:%zu: %s '%s' is not a finite number",
					      path, t->line[r], history_columns[c], t->rows[r][c]);
				return -EINVAL;
			}
		}
	*order = malloc(sizeof(**order) * (t->nrows + 1));
	if (!*order)
		return -ENOMEM;
	for (size_t r = 0; r < t->nrows; r++)
		(*order)[r] = r;
	history_sort_table = t;
	qsort(*order, t->nrows, sizeof(**order), history_cmp_row);
	return 0;
}

/* The shifts of one series into cps; how many. */
static int history_series_cps(const struct csv_table *t, const size_t *rows, size_t n,
			      double *x, size_t *cps, size_t max)
{
	double hw[n], tmp[n];

	for (size_t i = 0; i < n; i++) {
		x[i] = strtod(t->rows[rows[i]][H_MEDIAN], NULL);
		hw[i] = (strtod(t->rows[rows[i]][H_HI], NULL) -
			 strtod(t->rows[rows[i]][H_LO], NULL)) / 2;
	}
	double scale = history_scale(x, n, n ? history_median(hw, n, tmp) : 0);

	if (!(scale > 0))
		return 0;	/* every point the same, to the last digit */
	return history_changepoints(x, n, HISTORY_MIN_SEGMENT, scale, history_penalty(n), cps,
				    max);
}

static int history_check(const char *path)
{
	struct csv_table t = { 0 };
	size_t *order = NULL;
	int shifts = 0, series = 0, ret;

	if ((ret = history_load(path, &t, &order)) < 0) {
		csv_table_free(&t);
		return ret == -EINVAL ? 2 : 1;
	}
	printf("| bench | mode | placement | threads | params | metric | first revision after "
	       "the shift | before | after | change |\n|---|---|---|--:|---|---|---|--:|--:|--:|\n");
	for (size_t i = 0; i < t.nrows;) {
		size_t j = i;

		while (j < t.nrows && history_same_key(&t, order[i], order[j]))
			j++;
		size_t n = j - i, cps[64];
		double x[n], tmp[n];
		int k = history_series_cps(&t, order + i, n, x, cps, 64);

		series++;
		for (int c = 0; c < k; c++) {
			size_t s0 = c ? cps[c - 1] : 0, s1 = cps[c], e1 = c + 1 < k ? cps[c + 1] : n;
			double before = history_median(x + s0, s1 - s0, tmp);
			double after = history_median(x + s1, e1 - s1, tmp);
			char **row = t.rows[order[i + s1]];

			for (int col = H_KEY_FIRST; col <= H_KEY_LAST; col++)
				printf("| %s ", row[col]);
			printf("| %s | %.4g | %.4g | %+.1f%% |\n", row[H_REV], before, after,
			       before ? (after - before) / fabs(before) * 100 : 0);
			shifts++;
		}
		i = j;
	}
	fprintf(stderr, "contend: history: %d series, %d persistent shifts (PELT, Laplace cost, "
		"segments of %d or more, penalty 3 ln n)\n", series, shifts, HISTORY_MIN_SEGMENT);
	free(order);
	csv_table_free(&t);
	return shifts ? 1 : 0;
}

/* ---- timelines ------------------------------------------------------------- */

static void history_script(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	const char *env = getenv("CONTEND_PLOTS");

	if (env && *env) {
		snprintf(buf, len, "%s/history.gp", env);
		return;
	}
	snprintf(buf, len, "%s/plots/history.gp", CONTEND_SOURCE_DIR);
	if (access(buf, R_OK) == 0)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(buf, len, "%.4000s/../plots/history.gp", exe);
	}
}

static int history_plot(const char *path, const char *dir)
{
	struct csv_table t = { 0 };
	size_t *order = NULL;
	char script[PATH_MAX], dat[PATH_MAX], png[PATH_MAX], tmp_png[PATH_MAX + 8];
	char cmd[6 * PATH_MAX + 2000];
	struct stat st;
	int ret, drawn = 0, status = 0;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cmd_bad_input("history plot: %s is not a folder (make it first)", dir);
	if (strpbrk(dir, "'\"\\$`"))
		return cmd_bad_input("history plot: %s: a quote or '$' in the folder's name",
				     dir);
	history_script(script, sizeof(script));
	if (access(script, R_OK) < 0)
		return cmd_bad_input("history plot: no chart script %s", script);
	if ((ret = history_load(path, &t, &order)) < 0) {
		csv_table_free(&t);
		return ret == -EINVAL ? 2 : 1;
	}
	for (size_t i = 0; i < t.nrows && !status;) {
		size_t j = i;

		while (j < t.nrows && history_same_key(&t, order[i], order[j]))
			j++;
		size_t n = j - i, cps[64];
		double x[n];
		int k = history_series_cps(&t, order + i, n, x, cps, 64);
		char **first = t.rows[order[i]], name[400], title[600], safe[600], changes[700] = "";
		size_t off = 0;
		FILE *f;

		/* The file's name: the key with anything odd made '_'. */
		snprintf(name, sizeof(name), "%s-%s-%s-%s-%s-%s", first[H_BENCH], first[H_MODE],
			 first[H_PLACE], first[H_THREADS], first[H_PARAMS], first[H_METRIC]);
		for (char *p = name; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
				*p = '_';
		snprintf(dat, sizeof(dat), "%.3000s/timeline-%s.dat", dir, name);
		snprintf(png, sizeof(png), "%.3000s/timeline-%s.png", dir, name);
		snprintf(tmp_png, sizeof(tmp_png), "%s.tmp", png);
		if (!(f = fopen(dat, "w"))) {
			fprintf(stderr, "contend: history plot: cannot write %s: %s\n", dat,
				strerror(errno));
			status = 1;
			break;
		}
		for (size_t p = 0; p < n; p++) {
			char **row = t.rows[order[i + p]], rev[64];

			plot_safe(rev, sizeof(rev), row[H_REV]);
			fprintf(f, "%zu\t%s\t%s\t%s\t%.12s\n", p, row[H_MEDIAN], row[H_LO],
				row[H_HI], rev);
		}
		fclose(f);
		for (int c = 0; c < k && off + 32 < sizeof(changes); c++)
			off += (size_t)snprintf(changes + off, sizeof(changes) - off, "%s%zu",
						c ? " " : "", cps[c]);
		snprintf(title, sizeof(title), "%s %s %s threads=%s %s: %s (%s)", first[H_BENCH],
			 first[H_MODE], first[H_PLACE], first[H_THREADS], first[H_PARAMS],
			 first[H_METRIC], first[H_UNIT]);
		plot_safe(safe, sizeof(safe), title);
		snprintf(cmd, sizeof(cmd), "gnuplot -e \"datafile='%s'; title='%s'; changes='%s'\" "
			 "'%s' > '%s' 2>/dev/null && mv -f '%s' '%s'", dat, safe, changes, script,
			 tmp_png, tmp_png, png);
		if (system(cmd) != 0) {
			unlink(tmp_png);
			fprintf(stderr, "contend: history plot: gnuplot could not draw %s\n", png);
			status = 1;
		} else {
			drawn++;
		}
		i = j;
	}
	if (!status)
		fprintf(stderr, "contend: history: %d timelines in %s\n", drawn, dir);
	free(order);
	csv_table_free(&t);
	return status;
}

int cmd_history(int argc, char **argv)
{
	static const char usage[] =
		"usage: contend history append HISTDIR RUNDIR | check FILE | plot FILE DIR\n\n"
		"  append HISTDIR RUNDIR   add RUNDIR's results (results.csv; its env.csv names "
		"the host and\n                          git revision) to HISTDIR/<host>.csv\n"
		"  check FILE              the persistent shifts of every series (markdown on "
		"stdout);\n                          exit 1 when there is one\n"
		"  plot FILE DIR           a timeline per series into DIR "
		"(timeline-<series>.png)\n";

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
	if (argc == 3 && !strcmp(argv[0], "append"))
		return history_append(argv[1], argv[2]);
	if (argc == 2 && !strcmp(argv[0], "check"))
		return history_check(argv[1]);
	if (argc == 3 && !strcmp(argv[0], "plot"))
		return history_plot(argv[1], argv[2]);
	return cmd_bad_input("history: expected 'append HISTDIR RUNDIR', 'check FILE' or "
			     "'plot FILE DIR' (see contend history --help)");
}
