/*
 * harness/plot.h - `contend plot DIR`: turn a run folder's results.csv
 * into charts.  For every benchmark family present that has a script
 * plots/<family>.gp, the rows of the metric the script names are pivoted
 * into DIR/<family>.dat (groups x series, median and 95 % CI) and gnuplot
 * renders DIR/<family>.png and DIR/<family>.svg.
 *
 * A script says what it wants in its first lines:
 *   # contend: metric=switch series=bench group=placement
 */
#ifndef CONTEND_PLOT_H
#define CONTEND_PLOT_H

/* Returns the process exit status: 0, 1 (gnuplot failed), 2 (bad input:
 * unreadable or malformed CSV, no gnuplot). */
int plot_render(const char *dir);

#endif
