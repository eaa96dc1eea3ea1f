/*
 * harness/registry.c - every workload, from bench/list.h.  `list`,
 * pattern matching and dispatch all read bench_registry; and what every
 * descriptor must hold to (harness/registry.h).
 */
#include <stdio.h>
#include <string.h>

#include "harness/registry.h"

#define BENCH(name) extern const struct bench_desc bench_##name;
#include "bench/list.h"
#undef BENCH

const struct bench_desc *const bench_registry[] = {
#define BENCH(name) &bench_##name,
#include "bench/list.h"
#undef BENCH
	NULL,
};

/*
 * Every unit a metric may declare, the one list of them, each with
 * whether values of it add up over the tasks.  An amount does (events
 * per second of tasks that run side by side, a count of tasks or
 * rounds); a level does not (a ratio, a time per event: two tasks each
 * waiting 5 us per wake do not wait 10 us).  A new unit goes here, and
 * so must say which it is.
 */
static const struct {
	const char *unit;
	int adds;
} registry_units[] = {
	{ "ns",		0 },	/* a time per event, a latency */
	{ "ratio",	0 },	/* one figure over another, a share */
	{ "ops/s",	1 },
	{ "1/s",	1 },
	{ "tasks",	1 },
	{ "rounds",	1 },
	{ "processors",	1 },
	{ "bytes",	1 },	/* memory: units' bytes add up */
	{ "bytes/s",	1 },	/* data moved per second, as ops/s */
};

/* The unit a derived kind has whatever the workload says; NULL: the
 * workload's own (BENCH_REPORTED). */
static const char *registry_kind_unit(enum bench_metric_kind k)
{
	switch (k) {
	case BENCH_NS_PER_OP:
	case BENCH_NS_NET_PER_OP:
	case BENCH_LATENCY:
		return "ns";
	case BENCH_OPS_PER_SEC:
		return "ops/s";
	case BENCH_FAIRNESS:
	case BENCH_SHARE_MIN:
	case BENCH_SHARE_MAX:
	case BENCH_RATIO_TO_BASELINE:
	case BENCH_RATIO_TO_BASELINE_CPU:
	case BENCH_SPEEDUP_OVER_BASELINE:
	case BENCH_EFFICIENCY_OVER_BASELINE:
		return "ratio";
	case BENCH_REPORTED:
		return NULL;
	}
	return NULL;
}

const char *registry_desc_problem(const struct bench_desc *d, char *buf, size_t len)
{
	for (const struct bench_metric *m = d->metrics; m && m->name; m++) {
		const char *want = registry_kind_unit(m->kind);
		int known = -1;

		for (size_t i = 0; i < sizeof(registry_units) / sizeof(registry_units[0]); i++)
			if (m->unit && strcmp(m->unit, registry_units[i].unit) == 0)
				known = (int)i;
		if (known < 0) {
			snprintf(buf, len, "%s: metric %s: unit '%s' is not one the harness knows "
				 "(harness/registry.c: does it add up over tasks?)", d->name, m->name,
				 m->unit ? m->unit : "(none)");
			return buf;
		}
		if (want && strcmp(m->unit, want) != 0) {
			snprintf(buf, len, "%s: metric %s: unit '%s', but its kind is in %s",
				 d->name, m->name, m->unit, want);
			return buf;
		}
		if (m->kind == BENCH_REPORTED) {
			if (m->slot < 0 || m->slot >= BENCH_MAX_VALUES) {
				snprintf(buf, len, "%s: metric %s: value slot %d out of range",
					 d->name, m->name, m->slot);
				return buf;
			}
			if (m->combine == BENCH_COMBINE_SUM && !registry_units[known].adds) {
				snprintf(buf, len, "%s: metric %s: summed over the tasks, but its unit "
					 "'%s' is a level, not an amount (tasks each at 1 are at 1 "
					 "together): combine by mean or max", d->name, m->name,
					 m->unit);
				return buf;
			}
			/* A figure named for the most of something (the most
			 * tasks seen inside at once) is the most over the tasks
			 * too: a mean of the tasks' maxima hides the one that
			 * saw it. */
			if ((!strncmp(m->name, "max_", 4) || !strncmp(m->name, "most_", 5)) &&
			    m->combine != BENCH_COMBINE_MAX) {
				snprintf(buf, len, "%s: metric %s: named for a maximum, but not "
					 "combined over the tasks by max", d->name, m->name);
				return buf;
			}
			if ((m->combine == BENCH_COMBINE_SHARE_MIN ||
			     m->combine == BENCH_COMBINE_SHARE_MAX) && strcmp(m->unit, "ratio") != 0) {
				snprintf(buf, len, "%s: metric %s: a share over the mean, in '%s' "
					 "instead of ratio", d->name, m->name, m->unit);
				return buf;
			}
		}
		if (m->kind == BENCH_LATENCY && (m->slot < 0 || m->slot >= BENCH_MAX_HISTS ||
						 m->stat < 0 || m->stat >= BENCH_LAT_NSTATS)) {
			snprintf(buf, len, "%s: metric %s: histogram %d, figure %d out of range",
				 d->name, m->name, m->slot, m->stat);
			return buf;
		}
	}
	return NULL;
}
