/*
 * harness/plot_spec.h - what a chart script asks for: its `# contend:`
 * line (the language harness/plot.h describes) as a struct.
 */
#ifndef CONTEND_PLOT_SPEC_H
#define CONTEND_PLOT_SPEC_H

#define PLOT_MAX_WHERE 8

enum plot_chart { PLOT_BARS, PLOT_LINES, PLOT_CDF };

struct plot_where {
	char dim[32], value[64];
};

struct plot_spec {
	enum plot_chart chart;
	char metric[128];	/* fnmatch patterns, '|' between */
	char series[32], group[32], x[32], panel[32], column[48];
	char label[128];	/* dimensions always named in the labels */
	struct plot_where where[PLOT_MAX_WHERE];
	int nwhere, linear;
};

/* The script's `# contend:` line, in its first ten lines; -EINVAL if it
 * has none or it does not parse, -errno if unreadable. */
int plot_read_spec(const char *script, struct plot_spec *s);
/* Does metric match one of the '|'-separated fnmatch patterns? */
int plot_metric_matches(const char *patterns, const char *metric);
/* Is a where= value "max" or "min" (per benchmark, not a literal)? */
int plot_is_extreme(const char *v);
/* Does the chart lay dimension dim out on an axis (series, group, x,
 * panel)?  If not, a value varying in it must go into the labels. */
int plot_dim_used(const struct plot_spec *s, const char *dim);

#endif
