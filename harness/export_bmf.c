/*
 * harness/export_bmf.c - results.csv as Bencher Metric Format JSON (see
 * export_bmf.h).  Reads only the CSV, so that what it publishes is what
 * compare and the charts read.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/csv.h"
#include "harness/export_bmf.h"
#include "harness/outfile.h"

enum { B_BENCH, B_MODE, B_PLACE, B_THREADS, B_PARAMS, B_METRIC, B_UNIT, B_MEDIAN, B_LO, B_HI,
       B_NCOLS };
static const char *const export_bmf_cols[B_NCOLS] = {
	"bench", "mode", "placement", "threads", "params", "metric", "unit", "median",
	"ci95_lo", "ci95_hi",
};

/* A finite number, or NaN. */
static double export_bmf_number(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	return s[0] && !*end && isfinite(v) ? v : NAN;
}

/* "bench/mode:M/placement:P/threads:N/key:value..." */
static void export_bmf_name(char *buf, size_t len, char **row, const int *col)
{
	size_t off = (size_t)snprintf(buf, len, "%s/mode:%s/placement:%s/threads:%s",
				      row[col[B_BENCH]], row[col[B_MODE]], row[col[B_PLACE]],
				      row[col[B_THREADS]]);
	const char *p = row[col[B_PARAMS]];

	if (*p && off + 1 < len)
		buf[off++] = '/';
	for (; *p && off + 1 < len; p++)
		buf[off++] = *p == ';' ? '/' : *p == '=' ? ':' : *p;
	buf[off < len ? off : len - 1] = '\0';
}

int export_bmf(const char *results, const char *out)
{
	struct csv_table t;
	size_t line = 0;
	int col[B_NCOLS], ret;
	json_t *doc = NULL;
	char *text = NULL;
	struct outfile *f = NULL;

	if ((ret = csv_read(results, &t, &line)) < 0) {
		fprintf(stderr, "contend: cannot read %s:%zu: %s\n", results, line,
			csv_read_strerror(ret));
		return ret;
	}
	for (int c = 0; c < B_NCOLS; c++)
		if ((col[c] = csv_table_col(&t, export_bmf_cols[c])) < 0) {
			fprintf(stderr, "contend: %s: no '%s' column: not a contend results file\n",
				results, export_bmf_cols[c]);
			ret = -EINVAL;
			goto out;
		}
	ret = -ENOMEM;
	if (!(doc = json_object()))
		goto nomem;
	for (size_t r = 0; r < t.nrows; r++) {
		char **row = t.rows[r], name[1024], measure[200];
		double v = export_bmf_number(row[col[B_MEDIAN]]);
		double lo = export_bmf_number(row[col[B_LO]]), hi = export_bmf_number(row[col[B_HI]]);
		json_t *bench, *m;

		if (isnan(v))
			continue;	/* nothing measured: no figure to publish */
		export_bmf_name(name, sizeof(name), row, col);
		snprintf(measure, sizeof(measure), "%s (%s)", row[col[B_METRIC]], row[col[B_UNIT]]);
		if (!(bench = json_object_get(doc, name))) {
			if (!(bench = json_object()) || json_object_set_new(doc, name, bench) < 0)
				goto nomem;
		}
		if (!(m = json_object()) || json_object_set_new(bench, measure, m) < 0)
			goto nomem;
		if (json_object_set_new(m, "value", json_real(v)) < 0)
			goto nomem;
		/* An interval that could not be computed is left out, never
		 * made up (BMF's bounds are optional). */
		if (!isnan(lo) && json_object_set_new(m, "lower_value", json_real(lo)) < 0)
			goto nomem;
		if (!isnan(hi) && json_object_set_new(m, "upper_value", json_real(hi)) < 0)
			goto nomem;
	}
	if (!(text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10))))
		goto nomem;
	if (!(f = outfile_open(out))) {
		ret = -errno;
		fprintf(stderr, "contend: cannot write %s: %s\n", out, strerror(errno));
		goto out;
	}
	outfile_write(f, text, strlen(text));
	outfile_write(f, "\n", 1);
	if ((ret = outfile_commit(f)) < 0)
		fprintf(stderr, "contend: cannot write %s: %s\n", out, strerror(-ret));
	goto out;
nomem:
	fprintf(stderr, "contend: out of memory writing %s\n", out);
out:
	free(text);
	json_decref(doc);
	csv_table_free(&t);
	return ret;
}
