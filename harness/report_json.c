/*
 * harness/report_json.c - a run as Google Benchmark's JSON (--format
 * json), so that its tools can read us: one iteration entry per
 * repetition, then the aggregates.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report.h"
#include "harness/report_json.h"
#include "harness/stats.h"

static json_t *report_json_context(const struct envinfo *env)
{
	json_t *ctx = json_object();
	double mhz = atof(envinfo_get(env, "cpu_mhz"));

	json_object_set_new(ctx, "date", json_string(envinfo_get(env, "date")));
	json_object_set_new(ctx, "host_name", json_string(envinfo_get(env, "host")));
	json_object_set_new(ctx, "executable", json_string("contend"));
	json_object_set_new(ctx, "num_cpus", json_integer(atoi(envinfo_get(env, "pus"))));
	if (mhz > 0)
		json_object_set_new(ctx, "mhz_per_cpu", json_integer((json_int_t)mhz));
	json_object_set_new(ctx, "cpu_scaling_enabled",
			    json_boolean(strcmp(envinfo_get(env, "governor"), "performance") != 0 &&
					 strcmp(envinfo_get(env, "governor"), "unknown") != 0));
	json_object_set_new(ctx, "library_build_type", json_string("release"));
	/* Everything else we know, under our own names. */
	for (int i = 0; i < env->n; i++)
		json_object_set_new(ctx, env->key[i], json_string(env->value[i]));
	return ctx;
}

/* "ctx.thread.futex/mode:thread/placement:same-core/threads:2/ws_kb:0/switch":
 * Google Benchmark's name/arg:value style. */
static void report_json_name(char *buf, size_t len, const struct report_entry *e,
			     const struct bench_metric *m)
{
	char params[256];

	snprintf(params, sizeof(params), "%s", e->params);
	for (char *p = params; *p; p++)
		*p = *p == ';' ? '/' : *p == '=' ? ':' : *p;
	snprintf(buf, len, "%.60s/mode:%s/placement:%.100s/threads:%d%s%.200s/%.30s", e->desc->name,
		 report_mode_name(e->mode), e->placement, e->ntasks, params[0] ? "/" : "",
		 params, m->name);
}

/* What a row is measured over, for Google Benchmark's "label". */
static const char *report_json_label(const struct report_entry *e, const struct bench_metric *m)
{
	return m->kind == BENCH_NS_NET_PER_OP && e->desc->baseline_note ? e->desc->baseline_note
									  : NULL;
}

struct report_json_run {
	const struct report *r;
	const struct report_entry *e;
	const struct bench_metric *m;
	const char *run_name;
	int family, instance;
	double counter[CTR_MAX];	/* per event, NaN = not counted */
};

/* The fields every entry of one (configuration, metric) shares. */
static json_t *report_json_common(const struct report_json_run *j, const char *name,
				  const char *run_type)
{
	json_t *b = json_object();
	const char *label = report_json_label(j->e, j->m);

	json_object_set_new(b, "name", json_string(name));
	json_object_set_new(b, "family_index", json_integer(j->family));
	json_object_set_new(b, "per_family_instance_index", json_integer(j->instance));
	json_object_set_new(b, "run_name", json_string(j->run_name));
	json_object_set_new(b, "run_type", json_string(run_type));
	json_object_set_new(b, "repetitions", json_integer(j->e->res.reps));
	json_object_set_new(b, "threads", json_integer(j->e->ntasks));
	if (label)
		json_object_set_new(b, "label", json_string(label));
	return b;
}

/* real_time / cpu_time of one repetition: the metric itself when it is a
 * time, else the time per event, with the metric as a user counter. */
static void report_json_times(json_t *b, const struct report_json_run *j, double real,
			      double cpu, double value)
{
	json_object_set_new(b, "real_time", json_real(real));
	if (isfinite(cpu))
		json_object_set_new(b, "cpu_time", json_real(cpu));
	json_object_set_new(b, "time_unit", json_string("ns"));
	if (strcmp(j->m->unit, "ns") != 0 && isfinite(value))
		json_object_set_new(b, j->m->name, json_real(value));
	for (int c = 0; c < j->r->ctrs.n; c++)
		if (isfinite(j->counter[c]))
			json_object_set_new(b, j->r->ctrs.column[c], json_real(j->counter[c]));
}

static void report_json_entry(json_t *list, struct report_json_run *j)
{
	const struct report_entry *e = j->e;
	const struct bench_metric *m = j->m;
	int reps = e->res.reps, is_time = strcmp(m->unit, "ns") == 0;
	double value[reps > 0 ? reps : 1], real[reps > 0 ? reps : 1], cpu[reps > 0 ? reps : 1];
	static const char *const aggs[] = { "mean", "median", "stddev", "cv" };
	struct stats_summary sv, sr, sc;
	int cpu_ok = 1;

	report_values(e, m, value);
	for (int i = 0; i < reps; i++) {
		double events = e->res.ops[i] * m->per_iter;

		real[i] = is_time ? value[i] : e->res.run_ns[i] / events;
		cpu[i] = report_cpu_per_event(e, m, i);
		cpu_ok &= isfinite(cpu[i]);
	}
	if (stats_summarize(value, (size_t)reps, &sv) < 0 ||
	    stats_summarize(real, (size_t)reps, &sr) < 0)
		return;		/* no finite value, no row: report_warnings says
				 * why, unless the value does not apply here */
	if (!cpu_ok || stats_summarize(cpu, (size_t)reps, &sc) < 0)
		sc = (struct stats_summary){ .mean = NAN, .median = NAN, .stddev = NAN, .cv = NAN };
	for (int c = 0; c < j->r->ctrs.n; c++)
		j->counter[c] = report_counter_per_op(j->r, e, m, c);

	for (int i = 0; i < reps; i++) {
		json_t *b = report_json_common(j, j->run_name, "iteration");

		json_object_set_new(b, "repetition_index", json_integer(i));
		/* Google Benchmark's iterations: how many times the measured
		 * thing happened in this repetition; times are per one. */
		json_object_set_new(b, "iterations",
				    json_integer((json_int_t)llround(e->res.ops[i] * m->per_iter)));
		report_json_times(b, j, real[i], cpu_ok ? cpu[i] : NAN, value[i]);
		json_array_append_new(list, b);
	}
	for (size_t a = 0; a < sizeof(aggs) / sizeof(aggs[0]); a++) {
		const double pick[3][4] = {
			{ sr.mean, sr.median, sr.stddev, sr.cv },
			{ sc.mean, sc.median, sc.stddev, sc.cv },
			{ sv.mean, sv.median, sv.stddev, sv.cv },
		};
		char name[600];
		json_t *b;

		snprintf(name, sizeof(name), "%s_%s", j->run_name, aggs[a]);
		b = report_json_common(j, name, "aggregate");
		json_object_set_new(b, "aggregate_name", json_string(aggs[a]));
		json_object_set_new(b, "aggregate_unit", json_string(a == 3 ? "percentage" : "time"));
		/* An aggregate is over repetitions, as Google Benchmark says. */
		json_object_set_new(b, "iterations", json_integer(reps));
		report_json_times(b, j, pick[0][a], pick[1][a], pick[2][a]);
		json_array_append_new(list, b);
	}
	j->instance++;
}

int report_json(const struct report *r, const struct envinfo *env, struct outfile *f)
{
	json_t *root = json_object(), *list = json_array();
	char *text;
	int family = 0;

	json_object_set_new(root, "context", report_json_context(env));
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		struct report_json_run j = { .r = r, .e = e };

		for (const struct bench_metric *m = e->desc->metrics; m->name; m++, family++) {
			char run_name[512];

			report_json_name(run_name, sizeof(run_name), e, m);
			j.m = m;
			j.run_name = run_name;
			j.family = family;
			if (e->res.status != RUNNER_OK) {
				json_t *b = json_object();
				int skipped = e->res.status == RUNNER_SKIPPED;

				json_object_set_new(b, "name", json_string(run_name));
				json_object_set_new(b, "run_name", json_string(run_name));
				json_object_set_new(b, "run_type", json_string("iteration"));
				json_object_set_new(b, skipped ? "skipped" : "error_occurred",
						    json_true());
				json_object_set_new(b, skipped ? "skip_message" : "error_message",
						    json_string(e->res.reason));
				json_array_append_new(list, b);
				continue;
			}
			report_json_entry(list, &j);
		}
	}
	json_object_set_new(root, "benchmarks", list);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	outfile_write(f, text, strlen(text));
	outfile_write(f, "\n", 1);
	free(text);
	return 0;
}
