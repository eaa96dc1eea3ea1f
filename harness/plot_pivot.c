/*
 * harness/plot_pivot.c - the pivot: from the rows of results.csv (or
 * histograms.csv) that a chart's spec selects, its series, groups or
 * panels with their labels, and the data file gnuplot reads.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/plot_pivot.h"

/* Value of dimension `dim` in row r: a key column, "bench" without its
 * family, "stat" (the metric's last word: p50 of wake_p50), or the
 * value of parameter `dim` ("" if the row has none).  May use buf. */
static const char *plot_dim(char **row, const struct plot_cols *c, const char *dim, char *buf,
			    size_t len)
{
	const char *p, *q;
	size_t dl = strlen(dim);

	if (!strcmp(dim, "bench"))
		return (p = strchr(row[c->bench], '.')) ? p + 1 : row[c->bench];
	if (!strcmp(dim, "mode"))
		return row[c->mode];
	if (!strcmp(dim, "placement"))
		return row[c->placement];
	if (!strcmp(dim, "threads"))
		return row[c->threads];
	if (!strcmp(dim, "metric"))
		return row[c->metric];
	if (!strcmp(dim, "host"))
		return c->host >= 0 ? row[c->host] : "";
	if (!strcmp(dim, "stat"))
		return (p = strrchr(row[c->metric], '_')) ? p + 1 : row[c->metric];
	for (p = row[c->params]; *p; p = *q ? q + 1 : q) {
		q = p + strcspn(p, ";");
		if ((size_t)(q - p) > dl && p[dl] == '=' && strncmp(p, dim, dl) == 0) {
			snprintf(buf, len, "%.*s", (int)(q - p - dl - 1), p + dl + 1);
			return buf;
		}
	}
	return "";
}

/* Benchmarks one chart tells apart (their figures per benchmark). */
#define PLOT_BENCHES (PLOT_MAX * 2)

/* The index of benchmark `name` among the *n seen so far, added if new;
 * -1 once PLOT_BENCHES are known. */
static int plot_bench_slot(const char **names, int *n, const char *name)
{
	for (int b = 0; b < *n; b++)
		if (strcmp(names[b], name) == 0)
			return b;
	if (*n == PLOT_BENCHES)
		return -1;
	names[*n] = name;
	return (*n)++;
}

/*
 * Mark in keep[] the rows of table t the chart draws: of the family, a
 * metric the script names, every `where` held (dim:value, or dim:!value
 * for all but that value).  A `where` of max or min
 * keeps, per benchmark, the rows with that dimension's largest or
 * smallest value (the task count that over-subscribes most, whatever
 * the machine), applied in the order written.  Returns the rows kept.
 */
size_t plot_select(const struct csv_table *t, const struct plot_cols *c, const char *family,
		   const struct plot_spec *s, char *keep)
{
	size_t flen = strlen(family), n = 0;
	char buf[PLOT_LABEL];

	for (size_t r = 0; r < t->nrows; r++) {
		char **row = t->rows[r];

		keep[r] = !strncmp(row[c->bench], family, flen) && row[c->bench][flen] == '.' &&
			  plot_metric_matches(s->metric, row[c->metric]);
		if (keep[r] && s->chart == PLOT_LINES) {	/* a place on the x axis */
			const char *xs = plot_dim(row, c, s->x, buf, sizeof(buf));
			char *end;

			strtod(xs, &end);
			keep[r] = end != xs;
		}
		for (int w = 0; keep[r] && w < s->nwhere; w++) {
			const char *want = s->where[w].value;
			int not = want[0] == '!';

			if (!plot_is_extreme(want))
				keep[r] = not ^ !strcmp(plot_dim(row, c, s->where[w].dim, buf,
								 sizeof(buf)), want + not);
		}
	}
	for (int w = 0; w < s->nwhere; w++) {
		const char *benches[PLOT_BENCHES];
		double ext[PLOT_BENCHES];
		int nb = 0, max = !strcmp(s->where[w].value, "max");

		if (!plot_is_extreme(s->where[w].value))
			continue;
		for (int pass = 0; pass < 2; pass++)
			for (size_t r = 0; r < t->nrows; r++) {
				char **row = t->rows[r];
				double v;
				int known = nb, b;

				if (!keep[r])
					continue;
				v = strtod(plot_dim(row, c, s->where[w].dim, buf, sizeof(buf)), NULL);
				b = plot_bench_slot(benches, &nb, row[c->bench]);
				if (b < 0 || pass == 1)
					keep[r] = b >= 0 && b < known && v == ext[b];
				else if (b == known || (max ? v > ext[b] : v < ext[b]))
					ext[b] = v;
			}
	}
	for (size_t r = 0; r < t->nrows; r++)
		n += keep[r];
	return n;
}

/* Is word w in the comma list? */
static int plot_listed(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',')
		if (strcspn(p, ",") == n && strncmp(p, w, n) == 0)
			return 1;
	return 0;
}

/*
 * The dimensions that vary among the kept rows of one benchmark and that
 * the script did not lay out: they go into the labels, so that no two
 * configurations land on one bar or one line.  The benchmark itself is
 * first among them when more than one is kept and no axis shows it; the
 * script's label= dimensions are always among them.
 */
static int plot_extras(const struct csv_table *t, const struct plot_cols *c, const char *keep,
		       const struct plot_spec *s, char extras[][32])
{
	char dims[PLOT_MAX_DIMS][32], buf[PLOT_LABEL];
	int nd = 0, ne = 0, benches = 0;
	const char *bench0 = NULL;

	for (const char *const *k = (const char *const[]){ "mode", "placement", "threads",
							  "metric", NULL }; *k; k++)
		snprintf(dims[nd++], 32, "%s", *k);
	/* A merged dataset's hosts: a line (or bar) each, side by side. */
	if (c->host >= 0)
		snprintf(dims[nd++], 32, "host");
	for (size_t r = 0; r < t->nrows; r++) {
		const char *p = t->rows[r][c->params];

		if (!keep[r])
			continue;
		if (!bench0)
			bench0 = t->rows[r][c->bench];
		benches |= strcmp(bench0, t->rows[r][c->bench]) != 0;
		for (; *p; p += strcspn(p, ";"), p += *p == ';') {
			size_t n = strcspn(p, "=;");
			int d;

			for (d = 0; d < nd && (strlen(dims[d]) != n || strncmp(dims[d], p, n)); d++)
				;
			if (d == nd && nd < PLOT_MAX_DIMS && n < 32)
				snprintf(dims[nd++], 32, "%.*s", (int)n, p);
		}
	}
	if (benches && !plot_dim_used(s, "bench"))
		snprintf(extras[ne++], 32, "bench");
	for (int d = 0; d < nd; d++) {
		static char firsts[PLOT_BENCHES][PLOT_LABEL];
		const char *names[PLOT_BENCHES];
		int nb = 0, varies;

		if (plot_dim_used(s, dims[d]))
			continue;
		varies = plot_listed(s->label, dims[d]);
		/* Each benchmark's first kept value against its others. */
		for (size_t r = 0; r < t->nrows && !varies; r++) {
			const char *v;
			int known = nb, b;

			if (!keep[r] || (b = plot_bench_slot(names, &nb, t->rows[r][c->bench])) < 0)
				continue;
			v = plot_dim(t->rows[r], c, dims[d], buf, sizeof(buf));
			if (b == known)
				snprintf(firsts[b], sizeof(firsts[b]), "%s", v);
			else
				varies = strcmp(firsts[b], v) != 0;
		}
		if (varies && ne < PLOT_MAX_DIMS)
			snprintf(extras[ne++], 32, "%.31s", dims[d]);
	}
	return ne;
}

/* The label of row r on axis `dim`, followed by the extras: "tas
 * policy=spin", "event tasks=3 process". */
static void plot_label(char **row, const struct plot_cols *c, const char *dim, char extras[][32],
		       int ne, char *out, size_t len)
{
	char buf[PLOT_LABEL];
	const char *v;
	size_t off = 0;

	out[0] = '\0';
	/* The benchmark, when it is an extra, leads; then the axis's own
	 * value; then the rest; empty values (a parameter this benchmark
	 * does not have) are left out. */
	for (int e = 0; e < ne; e++)
		if (!strcmp(extras[e], "bench"))
			off += (size_t)snprintf(out + off, len - off, "%s",
						plot_dim(row, c, "bench", buf, sizeof(buf)));
	v = plot_dim(row, c, dim, buf, sizeof(buf));
	if (v[0] && off < len)
		off += (size_t)snprintf(out + off, len - off, "%s%s", off ? " " : "", v);
	for (int e = 0; e < ne && off < len; e++) {
		int key = strcmp(extras[e], "mode") && strcmp(extras[e], "placement") &&
			  strcmp(extras[e], "metric");

		if (!strcmp(extras[e], "bench"))
			continue;
		v = plot_dim(row, c, extras[e], buf, sizeof(buf));
		if (!v[0])
			continue;
		off += (size_t)snprintf(out + off, len - off, "%s%s%s%s", off ? " " : "",
					key ? (!strcmp(extras[e], "threads") ? "tasks" : extras[e]) : "",
					key ? "=" : "", v);
	}
}

/* Numbers in numeric order ("2" before "10"), also within a label ("a
 * tasks=2" before "a tasks=16"), the rest by name, so that a chart
 * depends neither on the randomised run order nor on digits. */
static int plot_cmp_label(const char *a, const char *b)
{
	const char *a0 = a, *b0 = b;
	char *ea, *eb;
	double x = strtod(a, &ea), y = strtod(b, &eb);

	if (ea != a && eb != b) {		/* both lead with a number, sign and all */
		if (x != y)
			return x < y ? -1 : 1;
		a = ea;
		b = eb;
	}
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			x = strtod(a, &ea);
			y = strtod(b, &eb);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	if (*a || *b)
		return *a ? 1 : -1;
	return strcmp(a0, b0);	/* equal as numbers ("2", "2.0"): still one order */
}

static void plot_sort(char names[][PLOT_LABEL], int n, int *order)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && plot_cmp_label(names[order[j - 1]], names[order[j]]) > 0; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

int plot_index(char names[][PLOT_LABEL], int *n, const char *name, int *full)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	if (*n == PLOT_MAX) {
		*full = 1;
		return -1;
	}
	snprintf(names[*n], PLOT_LABEL, "%s", name);
	return (*n)++;
}

/* rank[i]: the position of label i once sorted. */
static void plot_ranks(const int *order, int n, int *rank)
{
	for (int i = 0; i < n; i++)
		rank[order[i]] = i;
}

static int plot_rank_s[PLOT_MAX], plot_rank_g[PLOT_MAX];

static int plot_cmp_point(const void *a, const void *b)
{
	const struct plot_point *p = a, *q = b;

	if (plot_rank_g[p->g] != plot_rank_g[q->g])
		return plot_rank_g[p->g] - plot_rank_g[q->g];
	if (plot_rank_s[p->s] != plot_rank_s[q->s])
		return plot_rank_s[p->s] - plot_rank_s[q->s];
	return (p->x > q->x) - (p->x < q->x);
}

static void plot_members(struct plot_axes *ax, const struct plot_point *p, long n)
{
	size_t off = 0, len = sizeof(ax->members);

	ax->members[0] = '\0';
	for (int gi = 0; gi < ax->ng && off < len; gi++) {
		off += (size_t)snprintf(ax->members + off, len - off, "%s\"", gi ? " " : "");
		for (int si = 0, first = 1; si < ax->ns && off < len; si++) {
			int any = 0;

			for (long i = 0; i < n && !any; i++)
				any = p[i].g == ax->order_g[gi] && p[i].s == ax->order_s[si];
			if (any)
				off += (size_t)snprintf(ax->members + off, len - off, "%s%d",
							first ? "" : " ", si);
			first &= !any;
		}
		if (off < len)
			off += (size_t)snprintf(ax->members + off, len - off, "\"");
	}
}

/*
 * The chart's points, from the kept rows: series and group (bars) or
 * panel (lines, CDFs) labels into ax, values into pts (caller frees).
 * Returns the number of points, or -ENOMEM; *dropped counts values a
 * log axis cannot show.
 */
long plot_points(const struct csv_table *t, const struct plot_cols *c, const char *keep,
		 const struct plot_spec *s, struct plot_axes *ax, struct plot_point **pts,
		 int *dropped)
{
	char extras[PLOT_MAX_DIMS][32], label[PLOT_LABEL], buf[PLOT_LABEL];
	int ne = plot_extras(t, c, keep, s, extras);
	struct plot_point *p = calloc(t->nrows ? t->nrows : 1, sizeof(*p));
	long n = 0;

	if (!p)
		return -ENOMEM;
	for (size_t r = 0; r < t->nrows; r++) {
		char **row = t->rows[r];
		struct plot_point pt;
		char *end;

		if (!keep[r])
			continue;
		pt.v = row[c->v][0] ? strtod(row[c->v], NULL) : NAN;
		pt.lo = c->lo >= 0 && row[c->lo][0] ? strtod(row[c->lo], NULL) : pt.v;
		pt.hi = c->hi >= 0 && row[c->hi][0] ? strtod(row[c->hi], NULL) : pt.v;
		if (s->chart == PLOT_CDF) {
			pt.x = pt.v;	/* the bucket's upper edge, its count in lo */
			pt.v = pt.lo;
		} else if (s->chart == PLOT_LINES) {
			const char *xs = plot_dim(row, c, s->x, buf, sizeof(buf));

			pt.x = strtod(xs, &end);
			if (end == xs)
				continue;	/* not a number: no place on the x axis */
		} else {
			pt.x = 0;
		}
		if (!isfinite(pt.v))
			continue;	/* unmeasured: an empty cell, no point */
		if (s->chart != PLOT_CDF && !s->linear && !(pt.v > 0)) {
			(*dropped)++;
			continue;
		}
		if (s->chart == PLOT_BARS) {
			plot_label(row, c, s->series, NULL, 0, label, sizeof(label));
			pt.s = plot_index(ax->series, &ax->ns, label, &ax->full);
			plot_label(row, c, s->group, extras, ne, label, sizeof(label));
			pt.g = plot_index(ax->groups, &ax->ng, label, &ax->full);
		} else {
			plot_label(row, c, s->series, extras, ne, label, sizeof(label));
			pt.s = plot_index(ax->series, &ax->ns, label, &ax->full);
			snprintf(label, sizeof(label), "%s",
				 s->panel[0] ? plot_dim(row, c, s->panel, buf, sizeof(buf)) : "");
			pt.g = plot_index(ax->groups, &ax->ng, label, &ax->full);
		}
		if (pt.s < 0 || pt.g < 0)
			continue;
		p[n++] = pt;
	}
	plot_sort(ax->series, ax->ns, ax->order_s);
	plot_sort(ax->groups, ax->ng, ax->order_g);
	plot_ranks(ax->order_s, ax->ns, plot_rank_s);
	plot_ranks(ax->order_g, ax->ng, plot_rank_g);
	qsort(p, (size_t)n, sizeof(*p), plot_cmp_point);
	plot_members(ax, p, n);
	*pts = p;
	return n;
}

static void plot_num(FILE *f, double x)
{
	/* gnuplot's "missing" marker is the literal NaN. */
	fprintf(f, isfinite(x) ? "\t%.6g" : "\tNaN", x);
}

/*
 * The data file gnuplot reads, sorted as the labels are:
 *   bars:  a header, then one line per group: its label and median,
 *          low, high per series (the layout of a clustered histogram);
 *   lines: one block per (panel, series), panel-major, of x, median,
 *          low, high lines, blocks two blank lines apart (`index`);
 *   cdf:   the same blocks, of bucket upper edge (ns) and the fraction
 *          of samples at or below it.
 * An empty block holds one NaN line, so that block numbers stay
 * index = panel * nseries + series.
 */
void plot_write_dat(FILE *f, const struct plot_spec *s, const struct plot_axes *ax,
		    const struct plot_point *p, long n)
{
	if (s->chart == PLOT_BARS) {
		double med[PLOT_MAX][PLOT_MAX], lo[PLOT_MAX][PLOT_MAX], hi[PLOT_MAX][PLOT_MAX];

		for (int g = 0; g < PLOT_MAX; g++)
			for (int k = 0; k < PLOT_MAX; k++)
				med[g][k] = lo[g][k] = hi[g][k] = NAN;
		for (long i = 0; i < n; i++) {
			med[p[i].g][p[i].s] = p[i].v;
			lo[p[i].g][p[i].s] = p[i].lo;
			hi[p[i].g][p[i].s] = p[i].hi;
		}
		fprintf(f, "group");
		for (int i = 0; i < ax->ns; i++) {
			const char *nm = ax->series[ax->order_s[i]];

			fprintf(f, "\t%s\t%s_lo\t%s_hi", nm, nm, nm);
		}
		fprintf(f, "\n");
		for (int gi = 0; gi < ax->ng; gi++) {
			int g = ax->order_g[gi];

			fprintf(f, "\"%s\"", ax->groups[g]);
			for (int ki = 0; ki < ax->ns; ki++) {
				int k = ax->order_s[ki];

				plot_num(f, med[g][k]);
				plot_num(f, lo[g][k]);
				plot_num(f, hi[g][k]);
			}
			fprintf(f, "\n");
		}
		return;
	}
	for (int gi = 0; gi < ax->ng; gi++)
		for (int si = 0; si < ax->ns; si++) {
			int g = ax->order_g[gi], k = ax->order_s[si], any = 0;
			double total = 0, cum = 0;

			if (gi || si)
				fprintf(f, "\n\n");
			for (long i = 0; i < n; i++)
				if (p[i].g == g && p[i].s == k)
					total += p[i].v;
			for (long i = 0; i < n; i++) {
				if (p[i].g != g || p[i].s != k)
					continue;
				any = 1;
				fprintf(f, "%.6g", p[i].x);
				if (s->chart == PLOT_CDF) {
					cum += p[i].v;
					plot_num(f, total > 0 ? cum / total : NAN);
				} else {
					plot_num(f, p[i].v);
					plot_num(f, p[i].lo);
					plot_num(f, p[i].hi);
				}
				fprintf(f, "\n");
			}
			if (!any)
				fprintf(f, s->chart == PLOT_CDF ? "NaN\tNaN\n" : "NaN\tNaN\tNaN\tNaN\n");
		}
}

/* The columns of t a chart of kind s needs; -EINVAL naming the missing
 * one in *missing. */
int plot_find_cols(const struct csv_table *t, const struct plot_spec *s, int hist,
		   struct plot_cols *c, const char **missing)
{
	const char *names[] = { "bench", "mode", "placement", "threads", "params", "metric",
				hist ? "bucket_hi_ns" : s->column, hist ? "count" : NULL, NULL };
	int *dst[] = { &c->bench, &c->mode, &c->placement, &c->threads, &c->params, &c->metric,
		       &c->v, &c->lo };

	c->lo = c->hi = -1;
	for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++)
		if (names[i] && (*dst[i] = csv_table_col(t, names[i])) < 0) {
			*missing = names[i];
			return -EINVAL;
		}
	c->unit = csv_table_col(t, "unit");
	c->host = csv_table_col(t, "host");
	if (!hist && !strcmp(s->column, "median")) {
		c->lo = csv_table_col(t, "ci95_lo");
		c->hi = csv_table_col(t, "ci95_hi");
	}
	return 0;
}
