/*
 * harness/plot_spec.c - the `# contend:` line of a chart script (the
 * language plot.h describes): read into a struct plot_spec, and the
 * questions the pivot asks of it.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "harness/plot_spec.h"

static int plot_parse_where(struct plot_spec *s, const char *list)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');

		if (!colon || colon == t || s->nwhere == PLOT_MAX_WHERE)
			return -EINVAL;
		*colon = '\0';
		snprintf(s->where[s->nwhere].dim, sizeof(s->where[0].dim), "%s", t);
		snprintf(s->where[s->nwhere].value, sizeof(s->where[0].value), "%s", colon + 1);
		s->nwhere++;
	}
	return 0;
}

/* The script's `# contend:` line, in its first ten lines; -EINVAL if it
 * has none or it does not parse, -errno if unreadable. */
int plot_read_spec(const char *script, struct plot_spec *s)
{
	FILE *f = fopen(script, "r");
	char line[512];
	int found = 0, bad = 0;

	if (!f)
		return -errno;
	memset(s, 0, sizeof(*s));
	snprintf(s->series, sizeof(s->series), "bench");
	snprintf(s->group, sizeof(s->group), "placement");
	snprintf(s->x, sizeof(s->x), "threads");
	snprintf(s->column, sizeof(s->column), "median");
	for (int i = 0; i < 10 && fgets(line, sizeof(line), f); i++) {
		char *p = strstr(line, "# contend:"), *save = NULL;

		if (!p)
			continue;
		for (char *t = strtok_r(p + 10, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
			char *eq = strchr(t, '=');
			const char *v = eq ? eq + 1 : "";
			size_t k = eq ? (size_t)(eq - t) : strlen(t);

#define PLOT_KEY(name) (k == sizeof(name) - 1 && strncmp(t, name, k) == 0)
			if (PLOT_KEY("metric"))
				found = snprintf(s->metric, sizeof(s->metric), "%s", v) > 0;
			else if (PLOT_KEY("chart"))
				s->chart = !strcmp(v, "lines") ? PLOT_LINES
					 : !strcmp(v, "cdf") ? PLOT_CDF
					 : !strcmp(v, "bars") ? PLOT_BARS : (bad = 1, PLOT_BARS);
			else if (PLOT_KEY("series"))
				snprintf(s->series, sizeof(s->series), "%s", v);
			else if (PLOT_KEY("group"))
				snprintf(s->group, sizeof(s->group), "%s", v);
			else if (PLOT_KEY("x"))
				snprintf(s->x, sizeof(s->x), "%s", v);
			else if (PLOT_KEY("panel"))
				snprintf(s->panel, sizeof(s->panel), "%s", v);
			else if (PLOT_KEY("label"))
				snprintf(s->label, sizeof(s->label), "%s", v);
			else if (PLOT_KEY("column"))
				snprintf(s->column, sizeof(s->column), "%s", v);
			else if (PLOT_KEY("where"))
				bad |= plot_parse_where(s, v) < 0;
			else if (PLOT_KEY("scale"))
				s->linear = strcmp(v, "linear") == 0;
			else
				bad = 1;
#undef PLOT_KEY
		}
	}
	fclose(f);
	return found && !bad ? 0 : -EINVAL;
}

int plot_metric_matches(const char *patterns, const char *metric)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", patterns);
	for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
		if (fnmatch(t, metric, 0) == 0)
			return 1;
	return 0;
}

int plot_is_extreme(const char *v)
{
	return !strcmp(v, "max") || !strcmp(v, "min");
}

int plot_dim_used(const struct plot_spec *s, const char *dim)
{
	if (!strcmp(dim, s->series) || (s->panel[0] && !strcmp(dim, s->panel)))
		return 1;
	if (s->chart == PLOT_BARS && !strcmp(dim, s->group))
		return 1;
	if (s->chart == PLOT_LINES && !strcmp(dim, s->x))
		return 1;
	if (!strcmp(dim, "stat") || !strcmp(dim, "metric"))
		return !strcmp(s->series, "stat") || !strcmp(s->series, "metric") ||
		       (s->chart == PLOT_BARS &&
			(!strcmp(s->group, "stat") || !strcmp(s->group, "metric"))) ||
		       !strcmp(s->panel, "stat") || !strcmp(s->panel, "metric");
	return 0;
}
