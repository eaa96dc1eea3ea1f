/*
 * harness/export_bmf.h - a run's results as Bencher Metric Format JSON
 * (https://bencher.dev/docs/reference/bencher-metric-format/), the file a
 * CI job publishes to track figures over time:
 *
 *   { "<benchmark>": { "<measure>": { "value": median,
 *                                     "lower_value": ci95_lo,
 *                                     "upper_value": ci95_hi } } }
 *
 * <benchmark> is a configuration, "bench/mode:M/placement:P/threads:N"
 * then its parameters as "/key:value" (Google Benchmark's naming, as
 * --format json uses); <measure> is the metric's name with its unit,
 * "roundtrip (ns)".  The bounds are the median's distribution-free 95 %
 * interval (stats.h).
 */
#ifndef CONTEND_EXPORT_BMF_H
#define CONTEND_EXPORT_BMF_H

/* Read the results file `results` (results.csv of a run folder) and
 * write its BMF document to `out` (a path, written whole or not at
 * all).  0, or -errno after one line on stderr naming the file. */
int export_bmf(const char *results, const char *out);

#endif
