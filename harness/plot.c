/*
 * harness/plot.c - `contend plot DIR`: load and check a run folder,
 * find the chart scripts of its families, and draw each chart.  Reads
 * only the CSV; knows nothing of how the numbers were made.
 *
 * A chart is a script plots/<family>.gp or plots/<family>-<what>.gp.
 * Its `# contend:` line says which rows it wants and how they are laid
 * out (see harness/plot.h; plot_spec.c reads it); plot_pivot.c selects
 * the rows and pivots them into DIR/<script>.dat, and gnuplot is handed
 * the labels, so that a script only draws.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/csv.h"
#include "harness/outfile.h"
#include "harness/parse.h"
#include "harness/plot.h"
#include "harness/plot_gnuplot.h"
#include "harness/plot_page.h"
#include "harness/plot_pivot.h"
#include "harness/plot_spec.h"
#include "harness/runner.h"

#ifndef CONTEND_SOURCE_DIR
#define CONTEND_SOURCE_DIR "."
#endif

static int plot_isdir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the gnuplot scripts are: $CONTEND_PLOTS_DIR, the source tree the
 * binary was built from, or ../plots beside the binary. */
static void plot_scripts_dir(char *buf, size_t len)
{
	const char *env = getenv("CONTEND_PLOTS_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && plot_isdir(env)) {
		snprintf(buf, len, "%s", env);
		return;
	}
	snprintf(buf, len, "%s/plots", CONTEND_SOURCE_DIR);
	if (plot_isdir(buf))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(buf, len, "%.4000s/../plots", exe);
		return;
	}
	snprintf(buf, len, "plots");
}

/* Append host to the machine line of a merged dataset: "hosts a, b". */
static void plot_merged_host(char *machine, size_t len, const char *host)
{
	char safe[64];
	size_t off = strlen(machine);

	plot_safe(safe, sizeof(safe), host);
	snprintf(machine + off, len - off, "%s%s", off ? ", " : "hosts ", safe);
}

/* Processor count and model from the run folder's env.csv, if any; a
 * merged dataset's (merge.h) names its hosts, and its processor count
 * only when every host has the same. */
static void plot_env(const char *dir, struct plot_vars *pv)
{
	char path[PATH_MAX + 16];
	struct csv_table e;
	size_t line;
	int k, v, host;

	pv->ncpus = 0;
	pv->machine[0] = '\0';
	snprintf(path, sizeof(path), "%.*s/env.csv", PATH_MAX - 16, dir);
	if (csv_read(path, &e, &line) < 0)
		return;
	k = csv_table_col(&e, "key");
	v = csv_table_col(&e, "value");
	host = csv_table_col(&e, "host");
	for (size_t r = 0; k >= 0 && v >= 0 && r < e.nrows; r++) {
		if (!strcmp(e.rows[r][k], "pus"))
			pv->ncpus = host >= 0 && pv->ncpus && pv->ncpus != atoi(e.rows[r][v])
					    ? -1 : atoi(e.rows[r][v]);
		else if (host < 0 && !strcmp(e.rows[r][k], "cpu_model"))
			plot_safe(pv->machine, sizeof(pv->machine), e.rows[r][v]);
		else if (host >= 0 && !strcmp(e.rows[r][k], "host"))
			plot_merged_host(pv->machine, sizeof(pv->machine), e.rows[r][host]);
	}
	if (pv->ncpus < 0)
		pv->ncpus = 0;	/* hosts of different sizes: no one count to mark */
	csv_table_free(&e);
}

/* What drawing one chart came to. */
enum plot_outcome {
	PLOT_STOPPED = -3,	/* a stop signal: said by the caller */
	PLOT_NO_GNUPLOT = -2,	/* said by the caller */
	PLOT_FAILED = -1,	/* said */
	PLOT_NOTHING = 0,	/* nothing to draw: a notice says why */
	PLOT_DRAWN = 1,
};

/*
 * One chart: script (its spec in s) over the run folder's table t (or
 * its histograms for a CDF), to DIR/<name>.{dat,png,svg}.
 */
static enum plot_outcome plot_one(const char *dir, const char *name, const char *script,
				  const struct plot_spec *s, const struct csv_table *t,
				  const char *family, struct plot_vars *pv)
{
	static struct plot_axes ax;
	struct plot_cols c;
	struct plot_point *pts = NULL;
	const char *missing;
	char *keep, dat[PATH_MAX + 200], out[PATH_MAX + 200], *text = NULL;
	size_t len = 0;
	int dropped = 0, ret = 0;
	long n;
	FILE *f;
	struct outfile *w;

	if (plot_find_cols(t, s, s->chart == PLOT_CDF, &c, &missing) < 0) {
		/* The key columns were checked when the file was read: what
		 * is missing is the script's column=, a counter the run
		 * did not count (--counters none).  No data, no chart. */
		fprintf(stderr, "contend: notice: %s: the run has no '%s' column (a counter "
			"it did not count?); no chart\n", name, missing);
		return PLOT_NOTHING;
	}
	if (!(keep = calloc(t->nrows ? t->nrows : 1, 1)))
		return PLOT_FAILED;
	memset(&ax, 0, sizeof(ax));
	if (plot_select(t, &c, family, s, keep) == 0) {
		fprintf(stderr, "contend: notice: %s: no '%s' rows of %s to chart\n", name, s->metric,
			family);
		free(keep);
		return PLOT_NOTHING;
	}
	pv->unit[0] = '\0';
	for (size_t r = 0; c.unit >= 0 && r < t->nrows && !pv->unit[0]; r++)
		if (keep[r])
			plot_safe(pv->unit, sizeof(pv->unit), t->rows[r][c.unit]);
	n = plot_points(t, &c, keep, s, &ax, &pts, &dropped);
	free(keep);
	if (n < 0)
		return PLOT_FAILED;
	if (dropped)
		fprintf(stderr, "contend: notice: %s: %d values <= 0 left out of the log-scale "
			"chart; they are in the CSV\n", name, dropped);
	if (ax.full)
		fprintf(stderr, "contend: notice: %s: more than %d series or groups; the rest are "
			"left out (narrow the run, or the chart's where=)\n", name, PLOT_MAX);
	if (n == 0) {
		fprintf(stderr, "contend: notice: %s: nothing left to chart\n", name);
		free(pts);
		return PLOT_NOTHING;
	}
	snprintf(dat, sizeof(dat), "%.3800s/%.150s.dat", dir, name);
	if (!(f = open_memstream(&text, &len))) {
		free(pts);
		return PLOT_FAILED;
	}
	plot_write_dat(f, s, &ax, pts, n);
	free(pts);
	if (fclose(f) != 0 || !(w = outfile_open(dat))) {
		fprintf(stderr, "contend: cannot write %s: %s\n", dat, strerror(errno));
		free(text);
		return PLOT_FAILED;
	}
	outfile_write(w, text, len);
	free(text);
	if ((ret = outfile_commit(w)) < 0) {
		fprintf(stderr, "contend: cannot write %s: %s\n", dat, strerror(-ret));
		return PLOT_FAILED;
	}
	for (int k = 0; k < 2; k++) {
		static const char *const fmts[] = { "png", "svg" };

		snprintf(out, sizeof(out), "%.3800s/%.150s.%s", dir, name, fmts[k]);
		ret = plot_gnuplot(script, dat, fmts[k], out, &ax, pv);
		if (ret == PLOT_GP_MISSING)
			return PLOT_NO_GNUPLOT;
		if (ret == PLOT_GP_STOPPED)
			return PLOT_STOPPED;
		if (ret == PLOT_GP_FAILED)
			fprintf(stderr, "contend: gnuplot failed on %s (%s)\n", script, fmts[k]);
		else if (ret < 0)
			fprintf(stderr, "contend: cannot write %s: %s\n", out, strerror(-ret));
		else
			printf("%s\n", out);
		if (ret != 0)
			return PLOT_FAILED;
	}
	return PLOT_DRAWN;
}

/* Is file `d` a chart script of family `fam`: fam.gp or fam-<what>.gp?
 * Its name without .gp into name. */
static int plot_script_of(const char *d, const char *fam, char *name, size_t len)
{
	size_t fl = strlen(fam), dl = strlen(d);

	if (dl < 4 || strcmp(d + dl - 3, ".gp") || strncmp(d, fam, fl) ||
	    (d[fl] != '.' && d[fl] != '-') || (d[fl] == '.' && dl != fl + 3))
		return 0;
	snprintf(name, len, "%.*s", (int)(dl - 3), d);
	return 1;
}

/* A chart to draw: its script and spec, and the family it draws. */
struct plot_job {
	char name[PLOT_LABEL], script[PATH_MAX + 200];
	struct plot_spec spec;
	int family, drawn;
};

/*
 * Bad data in column `col` of t (read from path), as one line: every
 * value must be a finite number (whole and >= 0 with `count`), or
 * empty where the run measured nothing (unless `need`).  0, or -1
 * after saying FILE:LINE and what was wrong.
 */
static int plot_check_numbers(const struct csv_table *t, const char *path, int col, int count,
			      int need)
{
	for (size_t r = 0; col >= 0 && r < t->nrows; r++) {
		const char *v = t->rows[r][col];
		char *end, shown[200], where[PATH_MAX * 2];
		double x;

		if (!v[0] && !need)
			continue;
		errno = 0;
		x = strtod(v, &end);
		if (v[0] && !*end && !errno && isfinite(x) &&
		    (!count || (x >= 0 && x == floor(x) && v[strspn(v, "0123456789")] == '\0')))
			continue;
		parse_escape(v[0] ? v : "(empty)", shown, sizeof(shown));
		parse_escape(path, where, sizeof(where));
		fprintf(stderr, "contend: %s:%zu: %s '%s' is not %s\n", where, t->line[r],
			t->header[col], shown, count ? "a whole number >= 0 (the samples in a "
			"bucket)" : "a number (a measured value, or empty where none was measured)");
		return -1;
	}
	return 0;
}

/*
 * The destinations of one chart, checked as outfile_open() checks them
 * (a folder, a dangling link, no room for the temporary name, a
 * read-only place) and not kept.  0, or -1 after one line.
 */
static int plot_check_outputs(const char *dir, const char *name)
{
	static const char *const ext[] = { "dat", "png", "svg" };

	for (int k = 0; k < 3; k++) {
		char path[PATH_MAX + 200], shown[PATH_MAX * 2];
		struct outfile *w;
		int err;

		snprintf(path, sizeof(path), "%.3800s/%.150s.%s", dir, name, ext[k]);
		if ((w = outfile_open(path))) {
			outfile_abort(w);
			continue;
		}
		err = errno;
		if (err == ENOENT || err == EISDIR) {
			parse_escape(path, shown, sizeof(shown));
			fprintf(stderr, "contend: plot: %s is %s where the chart goes; remove it\n",
				shown, err == ENOENT ? "a link to nothing" : "a folder");
		} else {
			parse_escape(dir, shown, sizeof(shown));
			fprintf(stderr, "contend: plot: cannot write charts into %s: %s (make the run "
				"folder writable, or copy it somewhere that is)\n", shown,
				strerror(err));
		}
		return -1;
	}
	return 0;
}

/*
 * Read the run folder: results.csv (required) and histograms.csv (if
 * any), every value a chart may draw checked.  0, or -1 after one line.
 */
static int plot_load(const char *dir, struct csv_table *t, struct csv_table *h, int *have_hist)
{
	static const char *const hist_cols[] = { "bucket_hi_ns", "count" };
	struct plot_spec none = { .column = "median" };
	char path[PATH_MAX], shown[PATH_MAX * 2];
	const char *missing;
	struct plot_cols c;
	size_t line = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	parse_escape(path, shown, sizeof(shown));
	ret = csv_read(path, t, &line);
	if (ret == -EINVAL) {
		fprintf(stderr, "contend: %s:%zu: malformed CSV (expected contend's results "
			"columns)\n", shown, line);
		return -1;
	}
	if (ret < 0) {
		fprintf(stderr, "contend: cannot read %s: %s (give a run folder made by "
			"'contend sweep')\n", shown, strerror(-ret));
		return -1;
	}
	if (plot_find_cols(t, &none, 0, &c, &missing) < 0 ||
	    (missing = "ci95_lo", c.lo < 0) || (missing = "ci95_hi", c.hi < 0)) {
		fprintf(stderr, "contend: %s: no '%s' column: not a contend results file\n", shown,
			missing);
		goto bad_t;
	}
	if (plot_check_numbers(t, path, c.v, 0, 0) < 0 || plot_check_numbers(t, path, c.lo, 0, 0) < 0 ||
	    plot_check_numbers(t, path, c.hi, 0, 0) < 0)
		goto bad_t;

	snprintf(path, sizeof(path), "%s/histograms.csv", dir);
	parse_escape(path, shown, sizeof(shown));
	ret = csv_read(path, h, &line);
	*have_hist = ret == 0;
	if (ret == -ENOENT)
		return 0;	/* a run without distributions: its CDFs say so */
	if (ret == -EINVAL) {
		fprintf(stderr, "contend: %s:%zu: malformed CSV (expected contend's histogram "
			"columns: a damaged or cut file?)\n", shown, line);
		goto bad_t;
	}
	if (ret < 0) {
		fprintf(stderr, "contend: cannot read %s: %s\n", shown, strerror(-ret));
		goto bad_t;
	}
	if (plot_find_cols(h, &none, 1, &c, &missing) < 0) {
		fprintf(stderr, "contend: %s: no '%s' column: not a contend histograms file\n",
			shown, missing);
		goto bad_h;
	}
	for (int k = 0; k < 2; k++)
		if (plot_check_numbers(h, path, csv_table_col(h, hist_cols[k]), k == 1, 1) < 0)
			goto bad_h;
	return 0;
bad_h:
	csv_table_free(h);
	*have_hist = 0;
bad_t:
	csv_table_free(t);
	return -1;
}

/* DIR/index.html over the charts drawn.  0, or -1 after saying why. */
static int plot_page_jobs(const char *dir, const struct csv_table *t, const struct plot_job *jobs,
			  int njobs, char families[][PLOT_LABEL])
{
	struct plot_page_chart *c = calloc((size_t)njobs + 1, sizeof(*c));
	int n = 0, ret;

	for (int i = 0; c && i < njobs; i++)
		if (jobs[i].drawn)
			c[n++] = (struct plot_page_chart){ .name = jobs[i].name,
				.script = jobs[i].script, .family = families[jobs[i].family],
				.spec = &jobs[i].spec };
	ret = c ? plot_page_write(dir, t, c, n, stderr) : -1;
	free(c);
	return ret;
}

int plot_render(const char *dir)
{
	static char families[PLOT_MAX][PLOT_LABEL];
	struct csv_table t, h;
	struct plot_vars pv;
	struct plot_job *jobs = NULL;
	char scripts[PATH_MAX], results[PATH_MAX + 16];
	int nfam = 0, njobs = 0, drawn = 0, status = 0, full = 0, have_hist = 0, bench;
	enum plot_outcome ret;

	if (strchr(dir, '\'')) {
		fprintf(stderr, "contend: plot: folder names with a ' are not supported\n");
		return 2;
	}
	if (plot_load(dir, &t, &h, &have_hist) < 0)
		return 2;
	snprintf(results, sizeof(results), "%s/results.csv", dir);
	bench = csv_table_col(&t, "bench");
	for (size_t r = 0; r < t.nrows; r++) {
		char fam[PLOT_LABEL], safe[PLOT_LABEL];

		snprintf(fam, sizeof(fam), "%.*s", (int)strcspn(t.rows[r][bench], "."),
			 t.rows[r][bench]);
		plot_safe(safe, sizeof(safe), fam);
		/* A family name becomes a file name: it must be one word. */
		if (strcmp(safe, fam) == 0 && !strpbrk(fam, " ()/,%=") && fam[0])
			plot_index(families, &nfam, fam, &full);
	}
	/* Every chart's script, its values and its destinations first:
	 * bad data or a folder that cannot take the charts is said once,
	 * before any chart is drawn. */
	plot_scripts_dir(scripts, sizeof(scripts));
	for (int i = 0; i < nfam && status != 2; i++) {
		struct dirent **ents = NULL;
		int nents = scandir(scripts, &ents, NULL, alphasort), found = 0;

		for (int k = 0; k < nents; k++) {
			struct plot_job *j, *more;
			char name[PLOT_LABEL];

			if (status == 2 || !plot_script_of(ents[k]->d_name, families[i], name,
							    sizeof(name)))
				continue;
			found = 1;
			if (!(more = realloc(jobs, sizeof(*jobs) * (size_t)(njobs + 1)))) {
				fprintf(stderr, "contend: plot: out of memory\n");
				status = 2;
				continue;
			}
			jobs = more;
			j = &jobs[njobs];
			snprintf(j->name, sizeof(j->name), "%s", name);
			snprintf(j->script, sizeof(j->script), "%.3800s/%.150s", scripts,
				 ents[k]->d_name);
			j->family = i;
			j->drawn = 0;
			if (plot_read_spec(j->script, &j->spec) < 0) {
				fprintf(stderr, "contend: %s: no valid '# contend: metric=...' line "
					"(see harness/plot.h)\n", j->script);
				status = 1;
				continue;
			}
			if (j->spec.chart != PLOT_CDF && strcmp(j->spec.column, "median") &&
			    plot_check_numbers(&t, results, csv_table_col(&t, j->spec.column),
					       0, 0) < 0)
				status = 2;
			else if (plot_check_outputs(dir, name) < 0)
				status = 2;
			else
				njobs++;
		}
		for (int k = 0; k < nents; k++)
			free(ents[k]);
		free(ents);
		if (!found)
			fprintf(stderr, "contend: notice: no chart for family %s (no %s/%s.gp)\n",
				families[i], scripts, families[i]);
	}
	if (status != 2 && plot_page_check(dir) < 0)
		status = 2;
	if (status == 2)
		goto out;
	plot_env(dir, &pv);
	snprintf(pv.subtitle, sizeof(pv.subtitle), "%s", "");
	if (t.nrows)
		plot_safe(pv.subtitle, sizeof(pv.subtitle), t.rows[0][0]);
	for (int i = 0; i < njobs; i++) {
		const struct plot_job *j = &jobs[i];

		if (runner_interrupted)
			break;
		if (j->spec.chart == PLOT_CDF && !have_hist) {
			fprintf(stderr, "contend: notice: %s: no histograms.csv in %s\n", j->name,
				dir);
			continue;
		}
		ret = plot_one(dir, j->name, j->script, &j->spec,
			       j->spec.chart == PLOT_CDF ? &h : &t, families[j->family], &pv);
		if (ret == PLOT_NO_GNUPLOT) {
			fprintf(stderr, "contend: gnuplot is not installed (scripts/install-deps "
				"installs gnuplot-nox)\n");
			status = 2;
			break;
		}
		if (ret == PLOT_STOPPED)
			break;
		if (ret == PLOT_FAILED)
			status = 1;
		else
			drawn += (jobs[i].drawn = ret);
	}
	if (runner_interrupted) {
		fprintf(stderr, "contend: plot stopped by %s; %d chart%s drawn\n",
			strsignal(runner_interrupted), drawn, drawn == 1 ? "" : "s");
		status = 128 + runner_interrupted;
	} else {
		if (!drawn && !status)
			fprintf(stderr, "contend: notice: nothing to chart in %s/results.csv\n", dir);
		if (plot_page_jobs(dir, &t, jobs, njobs, families) < 0)
			status = 1;
	}
out:
	free(jobs);
	csv_table_free(&t);
	if (have_hist)
		csv_table_free(&h);
	return status;
}
