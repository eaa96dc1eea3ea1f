/*
 * harness/plot.c - pivot results for gnuplot and run it.  Reads only
 * the CSV; knows nothing of how the numbers were made.
 */
#define _GNU_SOURCE		/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/csv.h"
#include "harness/plot.h"

#ifndef CONTEND_SOURCE_DIR
#define CONTEND_SOURCE_DIR "."
#endif

#define PLOT_MAX 64

struct plot_spec {
	char metric[64], series[32], group[32];
};

/* The results columns a chart needs, looked up by name. */
static const char *const plot_need[] = {
	"bench", "mode", "placement", "threads", "params", "metric", "median",
	"ci95_lo", "ci95_hi",
};

struct plot_cols {
	int bench, mode, placement, threads, params, metric, median, lo, hi;
};

static int plot_find_cols(const struct csv_table *t, struct plot_cols *c, const char **missing)
{
	int *dst[] = { &c->bench, &c->mode, &c->placement, &c->threads, &c->params,
		       &c->metric, &c->median, &c->lo, &c->hi };

	for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++)
		if ((*dst[i] = csv_table_col(t, plot_need[i])) < 0) {
			*missing = plot_need[i];
			return -EINVAL;
		}
	return 0;
}

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

static int plot_read_spec(const char *script, struct plot_spec *s)
{
	FILE *f = fopen(script, "r");
	char line[512];
	int found = 0;

	if (!f)
		return -errno;
	snprintf(s->series, sizeof(s->series), "bench");
	snprintf(s->group, sizeof(s->group), "placement");
	for (int i = 0; i < 10 && fgets(line, sizeof(line), f); i++) {
		char *p = strstr(line, "# contend:"), *save = NULL;
		if (!p)
			continue;
		for (char *t = strtok_r(p + 10, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
			if (strncmp(t, "metric=", 7) == 0)
				found = snprintf(s->metric, sizeof(s->metric), "%s", t + 7) > 0;
			else if (strncmp(t, "series=", 7) == 0)
				snprintf(s->series, sizeof(s->series), "%s", t + 7);
			else if (strncmp(t, "group=", 6) == 0)
				snprintf(s->group, sizeof(s->group), "%s", t + 6);
		}
	}
	fclose(f);
	return found ? 0 : -EINVAL;
}

/* Indices 0..n-1 ordered by name, so that a chart does not depend on
 * the randomised run order. */
static void plot_sorted(char names[][160], int n, int *order)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(names[order[j - 1]], names[order[j]]) > 0; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

static int plot_index(char names[][160], int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	if (*n == PLOT_MAX)
		return -1;
	snprintf(names[*n], 160, "%s", name);
	return (*n)++;
}

/* Does column c take more than one value for one benchmark of this
 * family?  (A column that differs only between benchmarks, like a fixed
 * task count, is a property of the series and needs no label.) */
static int plot_varies(const struct csv_table *t, int c, const char *family, int bench,
		       const char *metric, int mcol)
{
	size_t flen = strlen(family);

	for (size_t r = 0; r < t->nrows; r++) {
		char **a = t->rows[r];
		if (strncmp(a[bench], family, flen) || a[bench][flen] != '.' || strcmp(a[mcol], metric))
			continue;
		for (size_t q = r + 1; q < t->nrows; q++) {
			char **b = t->rows[q];
			if (!strcmp(b[bench], a[bench]) && !strcmp(b[mcol], metric) && strcmp(b[c], a[c]))
				return 1;
		}
	}
	return 0;
}

/* Write DIR/<family>.dat (temporary file and rename, as every file
 * contend writes); returns the number of series (0: nothing to plot), or
 * -errno. */
static int plot_pivot(const struct csv_table *t, const struct plot_cols *c, const char *family,
		      const struct plot_spec *s, const char *datpath)
{
	static char groups[PLOT_MAX][160], series[PLOT_MAX][160];
	static double med[PLOT_MAX][PLOT_MAX], lo[PLOT_MAX][PLOT_MAX], hi[PLOT_MAX][PLOT_MAX];
	int ng = 0, ns = 0, dropped = 0, gorder[PLOT_MAX], sorder[PLOT_MAX];
	size_t flen = strlen(family);
	int gcol = strcmp(s->group, "threads") == 0 ? c->threads : c->placement;
	/* Whatever else varies goes into the group label, so that no two
	 * rows land in one bar. */
	int vary_mode = plot_varies(t, c->mode, family, c->bench, s->metric, c->metric) &&
			strcmp(s->series, "bench");
	int vary_params = plot_varies(t, c->params, family, c->bench, s->metric, c->metric);
	int vary_threads = gcol != c->threads &&
			   plot_varies(t, c->threads, family, c->bench, s->metric, c->metric);
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	struct csv_writer *w;
	int ret;

	for (int g = 0; g < PLOT_MAX; g++)
		for (int k = 0; k < PLOT_MAX; k++)
			med[g][k] = lo[g][k] = hi[g][k] = NAN;
	for (size_t r = 0; r < t->nrows; r++) {
		char **row = t->rows[r], label[160];
		int g, k;

		if (strncmp(row[c->bench], family, flen) || row[c->bench][flen] != '.' ||
		    strcmp(row[c->metric], s->metric))
			continue;
		snprintf(label, sizeof(label), "%s%s%s%s%s%s%s", row[gcol],
			 vary_threads ? " x" : "", vary_threads ? row[c->threads] : "",
			 vary_mode ? " " : "", vary_mode ? row[c->mode] : "",
			 vary_params ? " " : "", vary_params ? row[c->params] : "");
		g = plot_index(groups, &ng, label);
		k = plot_index(series, &ns, row[c->bench]);
		if (g < 0 || k < 0)
			continue;
		med[g][k] = strtod(row[c->median], NULL);
		lo[g][k] = strtod(row[c->lo], NULL);
		hi[g][k] = strtod(row[c->hi], NULL);
		if (!(med[g][k] > 0)) {	/* a log axis cannot show it */
			med[g][k] = lo[g][k] = hi[g][k] = NAN;
			dropped++;
		}
	}
	if (dropped)
		fprintf(stderr, "contend: notice: %s: %d values <= 0 (net of a noisy baseline) "
			"left out of the log-scale chart; they are in results.csv\n", family, dropped);
	if (ns == 0)
		return 0;
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	plot_sorted(groups, ng, gorder);
	plot_sorted(series, ns, sorder);
	fprintf(f, "group");
	for (int i = 0; i < ns; i++) {
		const char *n = series[sorder[i]];
		fprintf(f, "\t%s\t%s_lo\t%s_hi", n, n, n);
	}
	fprintf(f, "\n");
	for (int gi = 0; gi < ng; gi++) {
		int g = gorder[gi];
		fprintf(f, "\"%s\"", groups[g]);
		for (int ki = 0; ki < ns; ki++)
			for (int v = 0, k = sorder[ki]; v < 3; v++) {
				double x = v == 0 ? med[g][k] : v == 1 ? lo[g][k] : hi[g][k];
				/* gnuplot's "missing" marker is the literal NaN. */
				fprintf(f, isnan(x) ? "\tNaN" : "\t%.6g", x);
			}
		fprintf(f, "\n");
	}
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	w = csv_open(datpath);
	if (!w) {
		ret = -errno;
		free(text);
		return ret;
	}
	csv_write_raw(w, text, len);
	free(text);
	ret = csv_commit(w);
	return ret < 0 ? ret : ns;
}

/* Text from the CSV goes into a gnuplot command line: keep only
 * characters that cannot end its quoted string or start a command. */
static void plot_safe(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 1 < len; src++) {
		char c = *src;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || strchr("._:+-= ", c);
		dst[o++] = ok ? c : '_';
	}
	dst[o] = '\0';
}

/*
 * Run gnuplot on script for one format, its image on gnuplot's standard
 * output, and write that to out (temporary file and rename): a full disk
 * or a gnuplot that fails leaves no half-drawn chart.  0, -ENOENT (no
 * gnuplot), or another -errno.
 */
static int plot_gnuplot(const char *script, const char *dat, const char *fmt, const char *out,
			int nseries, const char *csv_subtitle)
{
	char expr[PATH_MAX * 2], subtitle[128], buf[65536];
	struct csv_writer *w;
	size_t total = 0;
	int fds[2], status, ret = 0;
	pid_t pid;

	plot_safe(subtitle, sizeof(subtitle), csv_subtitle);
	snprintf(expr, sizeof(expr), "datafile='%s'; fmt='%s'; nseries=%d; subtitle='%s'",
		 dat, fmt, nseries, subtitle);
	if (!(w = csv_open(out)))
		return -errno;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ret = -errno;
		csv_abort(w);
		return ret;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		csv_abort(w);
		return ret;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execlp("gnuplot", "gnuplot", "-e", expr, script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		if (csv_write_raw(w, buf, (size_t)n) < 0)
			break;		/* the commit below reports it */
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			csv_abort(w);
			return -errno;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		csv_abort(w);
		return -ENOENT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total == 0) {
		csv_abort(w);
		return -EIO;
	}
	return csv_commit(w);
}

int plot_render(const char *dir)
{
	struct csv_table t;
	struct plot_cols c;
	const char *missing;
	char path[PATH_MAX], scripts[PATH_MAX], families[PLOT_MAX][160];
	int nfam = 0, drawn = 0, status = 0, ret;
	size_t line = 0;

	if (strchr(dir, '\'')) {
		fprintf(stderr, "contend: plot: folder names with a ' are not supported\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	ret = csv_read(path, &t, &line);
	if (ret == -EINVAL) {
		fprintf(stderr, "contend: %s:%zu: malformed CSV (expected contend's results "
			"columns)\n", path, line);
		return 2;
	}
	if (ret < 0) {
		fprintf(stderr, "contend: cannot read %s: %s (give a run folder made by "
			"'contend sweep')\n", path, strerror(-ret));
		return 2;
	}
	if (plot_find_cols(&t, &c, &missing) < 0) {
		fprintf(stderr, "contend: %s: no '%s' column: not a contend results file\n", path,
			missing);
		csv_table_free(&t);
		return 2;
	}
	for (size_t r = 0; r < t.nrows; r++) {
		char fam[160], safe[160];
		snprintf(fam, sizeof(fam), "%.*s", (int)strcspn(t.rows[r][c.bench], "."),
			 t.rows[r][c.bench]);
		plot_safe(safe, sizeof(safe), fam);
		/* A family name becomes a file name: it must be one word. */
		if (strcmp(safe, fam) == 0 && !strchr(fam, ' ') && fam[0])
			plot_index(families, &nfam, fam);
	}
	plot_scripts_dir(scripts, sizeof(scripts));
	for (int i = 0; i < nfam; i++) {
		char script[PATH_MAX + 200], dat[PATH_MAX + 200], out[PATH_MAX + 200];
		struct plot_spec s;
		int ns;

		snprintf(script, sizeof(script), "%.3800s/%.150s.gp", scripts, families[i]);
		if (access(script, R_OK) < 0) {
			fprintf(stderr, "contend: notice: no chart for family %s (no %s)\n",
				families[i], script);
			continue;
		}
		if (plot_read_spec(script, &s) < 0) {
			fprintf(stderr, "contend: %s: no '# contend: metric=...' line\n", script);
			status = 1;
			continue;
		}
		snprintf(dat, sizeof(dat), "%.3800s/%.150s.dat", dir, families[i]);
		ns = plot_pivot(&t, &c, families[i], &s, dat);
		if (ns <= 0) {
			if (ns < 0)
				fprintf(stderr, "contend: cannot write %s: %s\n", dat, strerror(-ns));
			else
				fprintf(stderr, "contend: notice: %s: no '%s' rows to chart\n",
					families[i], s.metric);
			if (ns < 0)
				status = 1;
			continue;
		}
		ret = 0;
		for (int f = 0; f < 2 && ret >= 0; f++) {
			static const char *const fmts[] = { "png", "svg" };

			snprintf(out, sizeof(out), "%.3800s/%.150s.%s", dir, families[i], fmts[f]);
			ret = plot_gnuplot(script, dat, fmts[f], out, ns, t.nrows ? t.rows[0][0] : "");
			if (ret == -ENOENT) {
				fprintf(stderr, "contend: gnuplot is not installed (scripts/install-deps "
					"installs gnuplot-nox)\n");
				csv_table_free(&t);
				return 2;
			}
			if (ret == -EIO)
				fprintf(stderr, "contend: gnuplot failed on %s (%s)\n", script, fmts[f]);
			else if (ret < 0)
				fprintf(stderr, "contend: cannot write %s: %s\n", out, strerror(-ret));
			else
				printf("%s\n", out);
		}
		if (ret < 0) {
			status = 1;
			continue;
		}
		drawn++;
	}
	csv_table_free(&t);
	if (!drawn && !status)
		fprintf(stderr, "contend: notice: nothing to chart in %s\n", path);
	return status;
}
