/*
 * harness/plot_gnuplot.h - run gnuplot on one chart script and keep
 * its image.
 */
#ifndef CONTEND_PLOT_GNUPLOT_H
#define CONTEND_PLOT_GNUPLOT_H

#include <stddef.h>

#include "harness/plot_pivot.h"

/* What gnuplot is told besides the data: see harness/plot.h. */
struct plot_vars {
	char subtitle[128], machine[160], unit[32];
	int ncpus;
};

/* What plot_gnuplot() says besides 0 (drawn) and -errno (the image
 * could not be written). */
enum plot_gp {
	PLOT_GP_MISSING = 1,	/* no gnuplot to run */
	PLOT_GP_FAILED,		/* it ran and failed, or drew nothing */
	PLOT_GP_STOPPED,	/* a stop signal came (runner_interrupted) */
};

/* Text from the CSV goes into a gnuplot command line: src with every
 * character that could end its quoted string or start a command made
 * '_', into dst. */
void plot_safe(char *dst, size_t len, const char *src);

/*
 * Run gnuplot on script for format fmt (png, svg) over the data file
 * dat, with ax's labels and pv; its image goes to out, published whole
 * or not at all.  0, an enum plot_gp, or -errno (out not written).
 */
int plot_gnuplot(const char *script, const char *dat, const char *fmt, const char *out,
		 const struct plot_axes *ax, const struct plot_vars *pv);

#endif
