/*
 * harness/report_json.h - a run as Google Benchmark's JSON.
 */
#ifndef CONTEND_REPORT_JSON_H
#define CONTEND_REPORT_JSON_H

#include "harness/outfile.h"
#include "harness/envinfo.h"
#include "harness/report.h"

/* Google Benchmark's schema: one iteration entry per repetition, then
 * the aggregates, into f.  0 or -ENOMEM (nothing written). */
int report_json(const struct report *r, const struct envinfo *env, struct outfile *f);

#endif
