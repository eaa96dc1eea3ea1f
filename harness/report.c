/*
 * harness/report.c - statistics and output.  Only harness/ writes CSV
 * and JSON, and within harness/ only this file writes results.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/csv.h"
#include "harness/report.h"
#include "harness/stats.h"

const char *const report_columns[] = {
	"run_id", "bench", "mode", "placement", "threads", "params", "metric", "unit",
	"reps", "median", "mean", "stddev", "cv", "min", "max", "p90", "p99",
	"ci95_lo", "ci95_hi", "cpus", NULL,
};

/* cv above this earns a warning: 5 %, the level at which hyperfine and
 * most CI tools stop trusting a comparison. */
#define REPORT_CV_WARN 0.05
#define REPORT_MIN_REPS 5

int report_add(struct report *r, const struct report_entry *entry)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct report_entry *e = realloc(r->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		r->e = e;
		r->cap = cap;
	}
	r->e[r->n++] = *entry;
	return 0;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		runner_result_free(&r->e[i].res);
	free(r->e);
	r->e = NULL;
	r->n = r->cap = 0;
}

const char *report_mode_name(enum bench_mode m)
{
	return m == BENCH_MODE_PROCESS ? "process" : "thread";
}

size_t report_failures(const struct report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->e[i].res.status != RUNNER_OK;
	return n;
}

/* One value per repetition of metric m; returns how many. */
static size_t report_values(const struct report_entry *e, const struct bench_metric *m,
			    double *out)
{
	const struct runner_result *res = &e->res;

	for (int i = 0; i < res->reps; i++) {
		double events = res->ops[i] * m->per_iter;

		switch (m->kind) {
		case BENCH_NS_PER_OP:
			out[i] = res->run_ns[i] / events;
			break;
		case BENCH_NS_NET_PER_OP:
			out[i] = res->base_ns ? (res->run_ns[i] - res->base_ns[i]) / events : NAN;
			break;
		case BENCH_OPS_PER_SEC:
			out[i] = events / (res->run_ns[i] * 1e-9);
			break;
		case BENCH_FAIRNESS:
			out[i] = res->jain[i];
			break;
		}
	}
	return (size_t)res->reps;
}

/* Median over the counted rounds of counter c per event of metric m
 * (per one-way switch for `switch`, per roundtrip for `roundtrip`); NaN
 * if unmeasured. */
static double report_counter_per_op(const struct report *r, const struct report_entry *e,
				    const struct bench_metric *m, int c)
{
	const struct runner_result *res = &e->res;
	double v[res->ctr_rounds > 0 ? res->ctr_rounds : 1];
	struct stats_summary s;

	if (!res->ctr_ok[c])
		return NAN;
	for (int i = 0; i < res->ctr_rounds; i++)
		v[i] = res->ctr[(size_t)i * r->ctrs.n + c] / (res->ctr_ops[i] * m->per_iter);
	if (stats_summarize(v, (size_t)res->ctr_rounds, &s) < 0)
		return NAN;
	return s.median;
}

static void report_cpus(const struct report_entry *e, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < e->ntasks && off < len; i++) {
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup |= e->res.cpus_seen[j] == e->res.cpus_seen[i];
		if (!dup)
			off += snprintf(buf + off, len - off, "%s%d", off ? " " : "",
					e->res.cpus_seen[i]);
	}
}

static void report_key_fields(struct csv_writer *w, const struct report *r,
			      const struct report_entry *e)
{
	csv_field_str(w, r->run_id);
	csv_field_str(w, e->desc->name);
	csv_field_str(w, report_mode_name(e->mode));
	csv_field_str(w, e->placement);
	csv_field_int(w, e->ntasks);
	csv_field_str(w, e->params);
}

int report_write_csv(const struct report *r, const char *path)
{
	struct csv_writer *w = csv_open(path);

	if (!w)
		return -errno;
	for (int i = 0; report_columns[i]; i++)
		csv_field_str(w, report_columns[i]);
	for (int c = 0; c < r->ctrs.n; c++)
		csv_field_str(w, r->ctrs.column[c]);
	csv_row_end(w);

	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		double v[e->res.reps > 0 ? e->res.reps : 1];
		char cpus[512];

		if (e->res.status != RUNNER_OK)
			continue;
		report_cpus(e, cpus, sizeof(cpus));
		for (const struct bench_metric *m = e->desc->metrics; m->name; m++) {
			struct stats_summary s;
			size_t n = report_values(e, m, v);

			if (stats_summarize(v, n, &s) < 0)
				continue;	/* nothing measured: no row, never a zero */
			report_key_fields(w, r, e);
			csv_field_str(w, m->name);
			csv_field_str(w, m->unit);
			csv_field_int(w, (long long)s.n);
			csv_field_double(w, s.median);
			csv_field_double(w, s.mean);
			csv_field_double(w, s.stddev);
			csv_field_double(w, s.cv);
			csv_field_double(w, s.min);
			csv_field_double(w, s.max);
			csv_field_double(w, s.p90);
			csv_field_double(w, s.p99);
			csv_field_double(w, s.ci95_lo);
			csv_field_double(w, s.ci95_hi);
			csv_field_str(w, cpus);
			for (int c = 0; c < r->ctrs.n; c++)
				csv_field_double(w, report_counter_per_op(r, e, m, c));
			csv_row_end(w);
		}
	}
	return csv_commit(w);
}

int report_write_samples(const struct report *r, const char *path)
{
	static const char *const cols[] = {
		"run_id", "bench", "mode", "placement", "threads", "params", "metric",
		"unit", "rep", "value", "ops", "bench_version", NULL,
	};
	struct csv_writer *w = csv_open(path);

	if (!w)
		return -errno;
	for (int i = 0; cols[i]; i++)
		csv_field_str(w, cols[i]);
	csv_row_end(w);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		double v[e->res.reps > 0 ? e->res.reps : 1];

		for (const struct bench_metric *m = e->desc->metrics; m->name; m++) {
			size_t n = report_values(e, m, v);
			for (size_t k = 0; k < n; k++) {
				report_key_fields(w, r, e);
				csv_field_str(w, m->name);
				csv_field_str(w, m->unit);
				csv_field_int(w, (long long)k + 1);
				csv_field_double(w, v[k]);
				csv_field_double(w, e->res.ops[k]);
				csv_field_str(w, e->desc->version ? e->desc->version : "unknown");
				csv_row_end(w);
			}
		}
	}
	return csv_commit(w);
}

int report_write_failures(const struct report *r, const char *path)
{
	struct csv_writer *w = csv_open(path);

	if (!w)
		return -errno;
	for (int i = 0; i < 6; i++)
		csv_field_str(w, report_columns[i]);
	csv_field_str(w, "status");
	csv_field_str(w, "reason");
	csv_row_end(w);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];

		if (e->res.status == RUNNER_OK)
			continue;
		report_key_fields(w, r, e);
		csv_field_str(w, e->res.status == RUNNER_INTERRUPTED ? "interrupted" : "failed");
		csv_field_str(w, e->res.reason);
		csv_row_end(w);
	}
	return csv_commit(w);
}

/* ---- JSON: Google Benchmark's schema, so its tools can read us --------- */

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

static void report_json_name(char *buf, size_t len, const struct report_entry *e,
			     const struct bench_metric *m)
{
	snprintf(buf, len, "%s/mode:%s/placement:%s/threads:%d%s%s/%s", e->desc->name,
		 report_mode_name(e->mode), e->placement, e->ntasks, e->params[0] ? "/" : "",
		 e->params, m->name);
}

static json_t *report_json_aggregate(const char *run_name, const struct report_entry *e,
				     const struct bench_metric *m, const char *agg, double value,
				     int family, int instance)
{
	json_t *b = json_object();
	char name[600];
	int is_time = strcmp(m->unit, "ns") == 0;
	int is_cv = strcmp(agg, "cv") == 0;

	snprintf(name, sizeof(name), "%s_%s", run_name, agg);
	json_object_set_new(b, "name", json_string(name));
	json_object_set_new(b, "family_index", json_integer(family));
	json_object_set_new(b, "per_family_instance_index", json_integer(instance));
	json_object_set_new(b, "run_name", json_string(run_name));
	json_object_set_new(b, "run_type", json_string("aggregate"));
	json_object_set_new(b, "repetitions", json_integer(e->res.reps));
	json_object_set_new(b, "threads", json_integer(e->ntasks));
	json_object_set_new(b, "aggregate_name", json_string(agg));
	json_object_set_new(b, "aggregate_unit", json_string(is_cv ? "percentage" : "time"));
	json_object_set_new(b, "iterations", json_integer((json_int_t)e->res.iters));
	if (is_time || is_cv) {
		json_object_set_new(b, "real_time", json_real(value));
		json_object_set_new(b, "cpu_time", json_real(value));
		json_object_set_new(b, "time_unit", json_string("ns"));
	}
	if (!is_time) {
		/* Not a time: a user counter, as Google Benchmark reports them. */
		json_object_set_new(b, m->name, json_real(value));
		json_object_set_new(b, "unit", json_string(m->unit));
	}
	return b;
}

int report_write_json(const struct report *r, const struct envinfo *env, const char *path)
{
	json_t *root = json_object(), *list = json_array();
	struct csv_writer *w;
	char *text;
	int family = 0, ret;

	json_object_set_new(root, "context", report_json_context(env));
	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		double v[e->res.reps > 0 ? e->res.reps : 1];
		int instance = 0;

		for (const struct bench_metric *m = e->desc->metrics; m->name; m++, family++) {
			struct stats_summary s;
			char run_name[512];

			report_json_name(run_name, sizeof(run_name), e, m);
			if (e->res.status != RUNNER_OK) {
				json_t *b = json_object();
				json_object_set_new(b, "name", json_string(run_name));
				json_object_set_new(b, "run_name", json_string(run_name));
				json_object_set_new(b, "run_type", json_string("iteration"));
				json_object_set_new(b, "error_occurred", json_true());
				json_object_set_new(b, "error_message", json_string(e->res.reason));
				json_array_append_new(list, b);
				continue;
			}
			if (stats_summarize(v, report_values(e, m, v), &s) < 0)
				continue;
			json_array_append_new(list, report_json_aggregate(run_name, e, m, "mean",
									  s.mean, family, instance));
			json_array_append_new(list, report_json_aggregate(run_name, e, m, "median",
									  s.median, family, instance));
			json_array_append_new(list, report_json_aggregate(run_name, e, m, "stddev",
									  s.stddev, family, instance));
			json_array_append_new(list, report_json_aggregate(run_name, e, m, "cv",
									  s.cv, family, instance));
			instance++;
		}
	}
	json_object_set_new(root, "benchmarks", list);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	/* The CSV writer's temp-and-rename also serves a JSON document: one
	 * field, never quoted because we write it raw below. */
	w = csv_open(path);
	if (!w) {
		ret = -errno;
		free(text);
		return ret;
	}
	ret = csv_write_raw(w, text, strlen(text)) < 0 ? -EIO : 0;
	free(text);
	if (ret) {
		csv_abort(w);
		return ret;
	}
	return csv_commit(w);
}

void report_warn(const struct report *r)
{
	int ctr_noted[CTR_MAX] = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		const struct report_entry *e = &r->e[i];
		double v[e->res.reps > 0 ? e->res.reps : 1];

		if (e->res.status != RUNNER_OK)
			continue;
		if (e->res.reps < REPORT_MIN_REPS)
			fprintf(stderr, "contend: warning: %s (%s, %s): only %d repetitions; "
				"medians and intervals need %d or more\n", e->desc->name,
				report_mode_name(e->mode), e->placement, e->res.reps,
				REPORT_MIN_REPS);
		for (const struct bench_metric *m = e->desc->metrics; m->name; m++) {
			struct stats_summary s;
			if (stats_summarize(v, report_values(e, m, v), &s) < 0) {
				/* The CSV has no row for it: say why, not nothing. */
				fprintf(stderr, "contend: warning: %s (%s, %s%s%s) %s: skipped, no "
					"finite value (did the tasks report no operations?)\n",
					e->desc->name, report_mode_name(e->mode), e->placement,
					e->params[0] ? ", " : "", e->params, m->name);
				continue;
			}
			/* A net cost is a small difference of two large times:
			 * when its interval reaches zero, it was not resolved. */
			if (m->kind == BENCH_NS_NET_PER_OP && !(s.ci95_lo > 0))
				fprintf(stderr, "contend: warning: %s (%s, %s%s%s) %s: %.4g %s, net "
					"of the baseline, is not distinguishable from zero (the "
					"baseline varies more); the roundtrip row still holds\n",
					e->desc->name, report_mode_name(e->mode), e->placement,
					e->params[0] ? ", " : "", e->params, m->name, s.median, m->unit);
			if (fabs(s.cv) > REPORT_CV_WARN)
				fprintf(stderr, "contend: warning: %s (%s, %s%s%s) %s: cv %.1f %% "
					"> 5 %%: noisy; try more --reps or --min-time\n",
					e->desc->name, report_mode_name(e->mode), e->placement,
					e->params[0] ? ", " : "", e->params, m->name, s.cv * 100);
		}
		for (int c = 0; c < r->ctrs.n; c++)
			if (!e->res.ctr_ok[c] && !ctr_noted[c]) {
				ctr_noted[c] = 1;
				fprintf(stderr, "contend: notice: counter '%s' cannot be counted here "
					"(%s); column %s is left empty\n", r->ctrs.name[c],
					ctr_why(e->res.ctr_err[c]), r->ctrs.column[c]);
			}
	}
}
