/*
 * harness/compare.c - the regression table.  Reads only CSV.
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
#include "harness/stats.h"

/* asv's bar for "significant": small enough that a sweep of a few
 * hundred rows rarely cries wolf by chance. */
#define COMPARE_P 0.01

enum { K_BENCH, K_MODE, K_PLACE, K_THREADS, K_PARAMS, K_METRIC, K_NKEY };
static const char *const compare_key[K_NKEY] = {
	"bench", "mode", "placement", "threads", "params", "metric",
};

struct compare_run {
	struct csv_table res, smp;
	int have_samples;
	int kcol[K_NKEY], unit, median, lo, hi;	/* in res */
	int skcol[K_NKEY], value, version;	/* in smp */
	char path[PATH_MAX];
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

static int compare_load(const char *arg, struct compare_run *r)
{
	char spath[PATH_MAX + 16];
	size_t line = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	if (compare_isdir(arg)) {
		snprintf(r->path, sizeof(r->path), "%.4000s/results.csv", arg);
		snprintf(spath, sizeof(spath), "%.4000s/samples.csv", arg);
	} else {
		snprintf(r->path, sizeof(r->path), "%s", arg);
		spath[0] = '\0';
	}
	ret = csv_read(r->path, &r->res, &line);
	if (ret == -EINVAL) {
		fprintf(stderr, "contend: %s:%zu: malformed CSV\n", r->path, line);
		return ret;
	}
	if (ret < 0) {
		fprintf(stderr, "contend: cannot read %s: %s (give a run folder or a results "
			"file)\n", r->path, strerror(-ret));
		return ret;
	}
	if (compare_cols(&r->res, r->kcol, r->path) < 0)
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
	/* Samples are optional: without them the intervals decide. */
	if (spath[0] && csv_read(spath, &r->smp, &line) == 0) {
		r->value = csv_table_col(&r->smp, "value");
		r->version = csv_table_col(&r->smp, "bench_version");
		r->have_samples = r->value >= 0 && compare_cols(&r->smp, r->skcol, spath) == 0;
	}
	return 0;
}

static int compare_same_key(char **a, const int *acol, char **b, const int *bcol)
{
	for (int k = 0; k < K_NKEY; k++)
		if (strcmp(a[acol[k]], b[bcol[k]]))
			return 0;
	return 1;
}

/* The raw values of one key; returns how many (at most max). */
static size_t compare_samples(const struct compare_run *r, char **key, const int *kcol,
			      double *out, size_t max, const char **version)
{
	size_t n = 0;

	*version = NULL;
	if (!r->have_samples)
		return 0;
	for (size_t i = 0; i < r->smp.nrows && n < max; i++) {
		char **row = r->smp.rows[i];
		if (!compare_same_key(row, r->skcol, key, kcol))
			continue;
		out[n++] = strtod(row[r->value], NULL);
		if (r->version >= 0)
			*version = row[r->version];
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

static void compare_free(struct compare_run *r)
{
	csv_table_free(&r->res);
	csv_table_free(&r->smp);
}

int compare_runs(const char *base, const char *new_, double threshold_pct)
{
	static struct compare_run b, n;
	enum { MAXS = 4096 };
	static double sb[MAXS], sn[MAXS];
	int regressions = 0, improvements = 0, compared = 0, changed_bench = 0, few = 0;
	int missing = 0;

	if (compare_load(base, &b) < 0 || compare_load(new_, &n) < 0) {
		compare_free(&b);
		compare_free(&n);
		return 2;
	}
	printf("%-22s %-7s %-10s %3s %-14s %-9s %12s %12s %8s %8s  %s\n", "bench", "mode",
	       "placement", "thr", "params", "metric", "base", "new", "change", "p", "verdict");
	for (size_t i = 0; i < n.res.nrows; i++) {
		char **nr = n.res.rows[i], **br = NULL;
		const char *vb, *vn, *verdict = "same";
		double mb, mn, change, p = NAN, sign;
		size_t cb, cn;
		int worse, significant;

		for (size_t j = 0; j < b.res.nrows && !br; j++)
			if (compare_same_key(b.res.rows[j], b.kcol, nr, n.kcol))
				br = b.res.rows[j];
		if (!br)
			continue;	/* new configuration: nothing to compare */
		mb = strtod(br[b.median], NULL);
		mn = strtod(nr[n.median], NULL);
		if (!isfinite(mb) || !isfinite(mn) || mb == 0)
			continue;
		compared++;
		sign = compare_higher_is_better(nr[n.kcol[K_BENCH]], nr[n.kcol[K_METRIC]],
						nr[n.unit]) ? -1 : 1;
		change = (mn - mb) / fabs(mb) * 100;
		worse = sign * change > threshold_pct;
		cb = compare_samples(&b, nr, n.kcol, sb, MAXS, &vb);
		cn = compare_samples(&n, nr, n.kcol, sn, MAXS, &vn);
		if (cb >= 2 && cn >= 2) {
			p = stats_mann_whitney_p(sb, cb, sn, cn);
			significant = p < COMPARE_P;
			/* Below 7 a side, no outcome can reach p < 0.01. */
			few |= cb < 7 || cn < 7;
		} else {
			/* No raw samples: the medians' intervals must not overlap. */
			significant = strtod(nr[n.lo], NULL) > strtod(br[b.hi], NULL) ||
				      strtod(nr[n.hi], NULL) < strtod(br[b.lo], NULL);
		}
		if (fabs(change) > threshold_pct && significant) {
			verdict = worse ? "REGRESSION" : "improved";
			regressions += worse;
			improvements += !worse;
		} else if (fabs(change) > threshold_pct) {
			verdict = "noise";
		}
		if (vb && vn && strcmp(vb, vn)) {
			changed_bench++;
			verdict = worse && significant ? "REGRESSION (benchmark changed)" : verdict;
		}
		printf("%-22s %-7s %-10s %3s %-14s %-9s %12.4g %12.4g %+7.1f%% %8.2g  %s\n",
		       nr[n.kcol[K_BENCH]], nr[n.kcol[K_MODE]], nr[n.kcol[K_PLACE]],
		       nr[n.kcol[K_THREADS]], nr[n.kcol[K_PARAMS]], nr[n.kcol[K_METRIC]], mb, mn,
		       change, p, verdict);
	}
	/* A configuration that stopped producing rows (it now fails or was
	 * dropped) must not slip through a regression gate. */
	for (size_t j = 0; j < b.res.nrows; j++) {
		char **br = b.res.rows[j];
		int found = 0;

		for (size_t i = 0; i < n.res.nrows && !found; i++)
			found = compare_same_key(n.res.rows[i], n.kcol, br, b.kcol);
		if (found)
			continue;
		missing++;
		printf("%-22s %-7s %-10s %3s %-14s %-9s %12.4g %12s %8s %8s  %s\n",
		       br[b.kcol[K_BENCH]], br[b.kcol[K_MODE]], br[b.kcol[K_PLACE]],
		       br[b.kcol[K_THREADS]], br[b.kcol[K_PARAMS]], br[b.kcol[K_METRIC]],
		       strtod(br[b.median], NULL), "-", "", "", "MISSING in NEW");
	}
	fprintf(stderr, "contend: compared %d rows: %d significant regressions, %d improvements, "
		"%d missing "
		"(threshold %.1f %%, p < %.2f)%s\n", compared, regressions, improvements,
		missing, threshold_pct, COMPARE_P,
		changed_bench ? "; some benchmarks' sources changed between the runs" : "");
	if (compared == 0)
		fprintf(stderr, "contend: notice: the two runs share no configuration\n");
	if (few)
		fprintf(stderr, "contend: notice: some rows have fewer than 7 repetitions a side, too "
			"few for any change to be significant; use --reps 10 or more\n");
	compare_free(&b);
	compare_free(&n);
	return regressions || missing ? 1 : 0;
}
