/*
 * harness/plot_page.h - DIR/index.html, the report `contend plot DIR`
 * writes beside the charts: one self-contained page (inline CSS, images
 * as files of DIR named relatively, nothing fetched from a network).
 *
 * It shows, in order: the lesson checked on this run (harness/lesson.h:
 * a verdict per claim, with the figures or the rows it needed); the
 * machine (hwloc's topology picture, DIR/topology.png drawn by lstopo
 * when `contend plot` runs on the host that made the run, or why there
 * is none; the clock; which counters counted and why not); then each
 * chart drawn, its caption (the `# caption:` lines of its script, which
 * say what the chart shows and how to read it) and the results rows it
 * was drawn from, as a table.  A small inline script counts the
 * pictures that did not load and says so at the foot of the page (the
 * chromium test reads it).
 */
#ifndef CONTEND_PLOT_PAGE_H
#define CONTEND_PLOT_PAGE_H

#include <stdio.h>

#include "harness/csv.h"
#include "harness/plot_spec.h"

/* One chart drawn: DIR/<name>.png and .svg exist. */
struct plot_page_chart {
	const char *name;		/* "lock-fairness" */
	const char *script;		/* its plots/<name>.gp */
	const char *family;		/* "lock" */
	const struct plot_spec *spec;
};

/* Can DIR/index.html and DIR/topology.png be written (checked as
 * outfile_open() checks, nothing kept)?  0, or -1 after one line. */
int plot_page_check(const char *dir);

/*
 * Write DIR/index.html (and DIR/topology.png) for results t of run
 * folder dir, with the n charts c that were drawn, each file whole or
 * not at all; the lesson's verdicts also go to `say`, a line each and
 * a summary.  0, or -1 after saying what could not be written.
 */
int plot_page_write(const char *dir, const struct csv_table *t, const struct plot_page_chart *c,
		    int n, FILE *say);

/* The caption of a chart script: its `# caption:` lines joined by
 * spaces, into buf; 0, or -1 (buf "") when it has none or is unreadable. */
int plot_page_caption(const char *script, char *buf, size_t len);

#endif
