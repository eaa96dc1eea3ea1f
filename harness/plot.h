/*
 * harness/plot.h - `contend plot DIR`: turn a run folder's results.csv
 * (and histograms.csv) into charts.  Every script plots/<family>.gp or
 * plots/<family>-<what>.gp of a family present in the results draws one
 * chart: the rows it asks for are pivoted into DIR/<script>.dat and
 * gnuplot renders DIR/<script>.png and DIR/<script>.svg.  Then
 * DIR/index.html shows them with the lesson's verdicts (plot_page.h).
 *
 * A script says what it wants in one line among its first ten:
 *   # contend: chart=lines metric=throughput x=threads panel=cs_ns where=mode:thread
 * with
 *   chart=bars|lines|cdf  bars (default): groups x series, median and
 *                         95 % CI; lines: x against median per series,
 *                         a panel per value of `panel`; cdf: a
 *                         cumulative distribution per series, from
 *                         histograms.csv
 *   metric=P|P...         the metrics drawn (fnmatch patterns: *_p99)
 *   series= group= x= panel=   dimensions: bench (without its family),
 *                         mode, placement, threads, metric, stat (the
 *                         metric's last word: p50), host (a merged
 *                         dataset's: merge.h; each host is named in the
 *                         labels anyway), or a parameter name
 *   where=D:V,...         keep rows whose dimension D is V, is not V
 *                         (D:!V), or is each benchmark's largest or
 *                         smallest (D:max, D:min)
 *   label=D,...           dimensions always named in the labels (any
 *                         other that varies within a benchmark is named
 *                         anyway, so that no two configurations share
 *                         a bar or a line)
 *   column=C              a results column other than the median (a
 *                         counter: ctx_switches_per_op), drawn without CI
 *   scale=linear          keep values <= 0 (dropped, with a notice, for
 *                         the log axes most charts use)
 * gnuplot is given: datafile, fmt (png|svg), nseries, ngroups, npanels,
 * series, groups and panels (quoted words, for word()), members (per
 * panel, the series with points there), subtitle (the run id), machine
 * and ncpus (from env.csv; "" and 0 without it) and unit; it writes the
 * image to standard output.
 */
#ifndef CONTEND_PLOT_H
#define CONTEND_PLOT_H

/*
 * Returns the process exit status: 0, 1 (gnuplot failed, a bad chart
 * script), 2 (bad input, one line, before any chart is drawn: an
 * unreadable or malformed results.csv or histograms.csv, a value that
 * is not a number, a chart path that is a folder or a link to nothing,
 * a folder that cannot be written; and no gnuplot), or 128 + the signal
 * when SIGINT, SIGTERM or SIGHUP stopped it (the chart being drawn is
 * left out, whole charts before it stay).  A chart with no data (a
 * counter column of a run swept with --counters none) is a notice.
 */
int plot_render(const char *dir);

#endif
