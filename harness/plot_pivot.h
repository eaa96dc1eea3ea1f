/*
 * harness/plot_pivot.h - a chart's rows pivoted into series, groups
 * (bars) or panels (lines, CDFs), and the data file gnuplot reads.
 */
#ifndef CONTEND_PLOT_PIVOT_H
#define CONTEND_PLOT_PIVOT_H

#include <stddef.h>
#include <stdio.h>

#include "harness/csv.h"
#include "harness/plot_spec.h"

/* Series, groups or panels of one chart; benchmarks of one family. */
#define PLOT_MAX 64
#define PLOT_LABEL 160
/* Dimensions a row can vary in: the key columns and its parameters. */
#define PLOT_MAX_DIMS 24

/*
 * The columns a chart reads, by name: the key of a row, and its value
 * (median, ci95_lo, ci95_hi or the script's column in results.csv;
 * bucket_hi_ns and count in histograms.csv).
 */
struct plot_cols {
	int bench, mode, placement, threads, params, metric, unit;
	int host;		/* a merged dataset's (merge.h); -1 in one host's run */
	int v, lo, hi;
};

/* One point of the chart: which series, group (bars; panel for lines
 * and CDFs) and its values. */
struct plot_point {
	int s, g;
	double x, v, lo, hi;
};

/* The labels of one chart's series, groups and panels. */
struct plot_axes {
	char series[PLOT_MAX][PLOT_LABEL], groups[PLOT_MAX][PLOT_LABEL];
	int ns, ng, order_s[PLOT_MAX], order_g[PLOT_MAX], full;
	/* For each panel in order, the sorted series numbers that have
	 * points there, as gnuplot words: "0 1 4" "0 2". */
	char members[PLOT_MAX * PLOT_MAX * 4];
};

/* The columns of t a chart of kind s needs (histograms.csv's with
 * hist); -EINVAL naming the missing one in *missing. */
int plot_find_cols(const struct csv_table *t, const struct plot_spec *s, int hist,
		   struct plot_cols *c, const char **missing);
/* Mark in keep[] (t->nrows bytes) the rows of family that the chart
 * draws; returns how many. */
size_t plot_select(const struct csv_table *t, const struct plot_cols *c, const char *family,
		   const struct plot_spec *s, char *keep);
/* The kept rows as points, their labels into ax; points into *pts
 * (caller frees).  The count, or -ENOMEM; *dropped counts values a log
 * axis cannot show. */
long plot_points(const struct csv_table *t, const struct plot_cols *c, const char *keep,
		 const struct plot_spec *s, struct plot_axes *ax, struct plot_point **pts,
		 int *dropped);
/* The data file of the chart, sorted as its labels are. */
void plot_write_dat(FILE *f, const struct plot_spec *s, const struct plot_axes *ax,
		    const struct plot_point *p, long n);
/* The index of label name among names[0..*n), added if new; -1 (and
 * *full set) when PLOT_MAX are taken. */
int plot_index(char names[][PLOT_LABEL], int *n, const char *name, int *full);

#endif
