/*
 * harness/engine.c - configuration expansion and the run loop.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/clock.h"
#include "harness/engine.h"
#include "harness/runner.h"

#define ENGINE_MAX_JOBS 4096

struct engine_job {
	const struct bench_desc *desc;
	enum bench_mode mode;
	const struct topo_placement *place;
	int ntasks;
	const char *values[CLI_MAX_PARAM];	/* parallel to desc->params */
	char params[256];
	int cpus[PARSE_LIST_MAX];
};

int engine_select(const char *pattern, const struct bench_desc **out, int max,
		  char *err, size_t errlen)
{
	int n = 0;

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];
		int hit = d->hidden ? strcmp(pattern, d->name) == 0
				    : fnmatch(pattern, d->name, 0) == 0;
		if (hit && n < max)
			out[n++] = d;
	}
	if (n == 0) {
		snprintf(err, errlen, "no benchmark matches '%s' (see 'contend list'; "
			 "globs like 'ctx.*' work)", pattern);
		return -EINVAL;
	}
	return n;
}

static int engine_nparams(const struct bench_desc *d)
{
	int n = 0;

	while (d->params && d->params[n].name)
		n++;
	return n;
}

static const struct cli_param *engine_user_param(const struct cli_args *a, const char *key)
{
	for (int i = 0; i < a->nparam; i++)
		if (strcmp(a->param[i].key, key) == 0)
			return &a->param[i];
	return NULL;
}

/* xorshift64*: a small, well-mixed generator for the shuffle; the seed
 * is recorded in env.csv so an order can be replayed. */
static unsigned long long engine_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

struct engine_expand {
	struct engine_job *jobs;
	int njobs;
	int explicit_place;
	char err[400];
};

/* Every combination of parameter values for one (bench, mode, placement,
 * tasks): an odometer over the value lists. */
static int engine_add_params(struct engine_expand *x, const struct cli_args *a,
			     const struct engine_job *base)
{
	const struct bench_desc *d = base->desc;
	int np = engine_nparams(d), idx[CLI_MAX_PARAM] = { 0 };

	for (;;) {
		struct engine_job *j;
		size_t off = 0;
		int k;

		if (x->njobs == ENGINE_MAX_JOBS) {
			snprintf(x->err, sizeof(x->err), "more than %d configurations; narrow "
				 "the lists", ENGINE_MAX_JOBS);
			return -EINVAL;
		}
		j = &x->jobs[x->njobs++];
		*j = *base;
		j->params[0] = '\0';
		for (k = 0; k < np; k++) {
			const struct cli_param *u = engine_user_param(a, d->params[k].name);
			j->values[k] = u ? u->values[idx[k]] : d->params[k].def;
			off += (size_t)snprintf(j->params + off, sizeof(j->params) - off, "%s%s=%s",
						k ? ";" : "", d->params[k].name, j->values[k]);
		}
		/* Advance the odometer. */
		for (k = 0; k < np; k++) {
			const struct cli_param *u = engine_user_param(a, d->params[k].name);
			if (u && ++idx[k] < u->nvalues)
				break;
			idx[k] = 0;
		}
		if (k == np)
			return 0;
	}
}

static int engine_expand_bench(struct engine_expand *x, const struct cli_args *a,
			       const struct bench_desc *d, const struct topo_placement *places,
			       int nplace, const int *threads, size_t nthreads)
{
	static const enum bench_mode modes[] = { BENCH_MODE_THREAD, BENCH_MODE_PROCESS };

	for (size_t m = 0; m < 2; m++) {
		if (!(d->modes & modes[m]) || (a->mode && a->mode != modes[m]))
			continue;
		for (int p = 0; p < nplace; p++) {
			for (size_t t = 0; t < (d->tasks ? 1 : nthreads); t++) {
				struct engine_job base = {
					.desc = d, .mode = modes[m], .place = &places[p],
					.ntasks = d->tasks ? d->tasks : threads[t],
				};
				char why[300];

				if (topo_place(base.place, base.ntasks, base.cpus, why,
					       sizeof(why)) < 0) {
					if (x->explicit_place) {
						snprintf(x->err, sizeof(x->err), "%s: %s", d->name, why);
						return -EINVAL;
					}
					fprintf(stderr, "contend: notice: %s: skipped on this machine: %s\n",
						d->name, why);
					continue;
				}
				if (engine_add_params(x, a, &base) < 0)
					return -EINVAL;
			}
		}
	}
	return 0;
}

/* A workload's own placement list, parsed as --placement would be. */
static int engine_default_places(const struct bench_desc *d, struct topo_placement *out)
{
	static struct cli_args tmp;
	char spec[300], err[300];
	char *argv1[] = { spec };

	memset(&tmp, 0, sizeof(tmp));
	snprintf(spec, sizeof(spec), "--placement=%s", d->placements ? d->placements : "none");
	if (cli_parse(CLI_RUN, 1, argv1, &tmp, err, sizeof(err)) < 0) {
		fprintf(stderr, "contend: %s: bad default placement: %s\n", d->name, err);
		abort();	/* a bug in the workload's descriptor */
	}
	memcpy(out, tmp.place, sizeof(tmp.place[0]) * (size_t)tmp.nplace);
	return tmp.nplace;
}

static double engine_budget(const struct cli_args *a, int reps, double min_time)
{
	/* Calibration, warm-up and every repetition (and its baseline),
	 * with a wide margin for spawning, slow machines and sanitizers. */
	double need = (reps + 6) * 2 * min_time;

	if (a->timeout > 0)
		return a->timeout;
	return need * 10 > 60 ? need * 10 : 60;
}

int engine_run(const struct cli_args *a, const struct engine_defaults *d, struct report *r,
	       unsigned long long seed)
{
	static struct engine_expand x;
	const struct bench_desc *sel[CLI_MAX_BENCH];
	struct topo_placement defaults[CLI_MAX_BENCH][CLI_MAX_PLACE];
	int threads[PARSE_LIST_MAX], nsel = 0, quick = a->quick || d->quick;
	size_t nthreads = 0;
	char err[300];
	int reps = a->reps ? a->reps : d->reps ? d->reps : quick ? 5 : 10;
	double min_time = a->min_time > 0 ? a->min_time : d->min_time > 0 ? d->min_time :
			  quick ? 0.02 : 0.1;
	struct cli_args eff = *a;
	int fixed_noted = 0, ret = 0;

	if (eff.timeout <= 0)
		eff.timeout = d->timeout;
	if (a->npos == 0) {
		fprintf(stderr, "contend: run: name at least one benchmark or pattern "
			"(see 'contend list')\n");
		return -EINVAL;
	}
	for (int i = 0; i < a->npos; i++) {
		const struct bench_desc *found[CLI_MAX_BENCH];
		int n = engine_select(a->pos[i], found, CLI_MAX_BENCH, err, sizeof(err));

		if (n < 0) {
			fprintf(stderr, "contend: %s\n", err);
			return -EINVAL;
		}
		for (int k = 0; k < n; k++) {
			int dup = 0;
			for (int j = 0; j < nsel; j++)
				dup |= sel[j] == found[k];
			if (!dup && nsel < CLI_MAX_BENCH)
				sel[nsel++] = found[k];
		}
	}

	/* Task counts: "max" is every PU this process may use. */
	if (a->threads && strcmp(a->threads, "max") == 0) {
		struct topo_summary s;
		topo_summarize(&s);
		threads[0] = (int)s.pus;
		nthreads = 1;
	} else if (a->threads) {
		parse_int_list(a->threads, 1, PARSE_LIST_MAX, threads, &nthreads, err, sizeof(err));
	} else {
		struct topo_summary s;
		topo_summarize(&s);
		for (unsigned t = 1; t <= s.pus; t *= 2)
			threads[nthreads++] = (int)t;
		if (threads[nthreads - 1] != (int)s.pus)
			threads[nthreads++] = (int)s.pus;
	}

	/* A --param nobody declares is a typo, not a no-op. */
	for (int p = 0; p < a->nparam; p++) {
		int known = 0;
		for (int i = 0; i < nsel; i++)
			for (int k = 0; k < engine_nparams(sel[i]); k++)
				known |= strcmp(sel[i]->params[k].name, a->param[p].key) == 0;
		if (!known) {
			fprintf(stderr, "contend: --param %s: no selected benchmark has this "
				"parameter (see 'contend list --long')\n", a->param[p].key);
			return -EINVAL;
		}
	}
	if (a->mode) {
		int any = 0;
		for (int i = 0; i < nsel; i++)
			any |= (sel[i]->modes & a->mode) != 0;
		if (!any) {
			fprintf(stderr, "contend: --mode %s: none of the selected benchmarks runs "
				"that way\n", a->mode == BENCH_MODE_THREAD ? "thread" : "process");
			return -EINVAL;
		}
	}

	x.jobs = calloc(ENGINE_MAX_JOBS, sizeof(*x.jobs));
	if (!x.jobs)
		return -ENOMEM;
	x.njobs = 0;
	x.explicit_place = a->nplace > 0;
	for (int i = 0; i < nsel; i++) {
		const struct topo_placement *places = a->place;
		int nplace = a->nplace;

		if (!nplace) {
			nplace = engine_default_places(sel[i], defaults[i]);
			places = defaults[i];
		}
		if (sel[i]->tasks && a->threads && !fixed_noted++)
			fprintf(stderr, "contend: notice: %s runs a fixed %d tasks; --threads "
				"does not apply to it\n", sel[i]->name, sel[i]->tasks);
		if (engine_expand_bench(&x, a, sel[i], places, nplace, threads, nthreads) < 0) {
			fprintf(stderr, "contend: %s\n", x.err);
			free(x.jobs);
			return -EINVAL;
		}
	}
	if (x.njobs == 0) {
		fprintf(stderr, "contend: nothing to run: every configuration was skipped\n");
		free(x.jobs);
		return -EINVAL;
	}

	/* Randomised order, so that drift (thermal, a neighbour's load)
	 * does not line up with one benchmark. */
	unsigned long long s = seed ? seed : 0x9e3779b97f4a7c15ULL;
	for (int i = x.njobs - 1; i > 0; i--) {
		int k = (int)(engine_rand(&s) % (unsigned long long)(i + 1));
		struct engine_job t = x.jobs[i];
		x.jobs[i] = x.jobs[k];
		x.jobs[k] = t;
	}

	for (int i = 0; i < x.njobs && !runner_interrupted; i++) {
		struct engine_job *j = &x.jobs[i];
		struct runner_config cfg = {
			.desc = j->desc, .mode = j->mode, .ntasks = j->ntasks, .cpus = j->cpus,
			.param_values = j->values, .min_time_s = min_time, .reps = reps,
			.budget_s = engine_budget(&eff, reps, min_time), .ctrs = &r->ctrs,
		};
		struct report_entry e = {
			.desc = j->desc, .mode = j->mode, .ntasks = j->ntasks, .reps_asked = reps,
		};
		int rr;

		snprintf(e.placement, sizeof(e.placement), "%s", j->place->name);
		snprintf(e.params, sizeof(e.params), "%s", j->params);
		fprintf(stderr, "contend: [%d/%d] %s %s %s tasks=%d %s ... ", i + 1, x.njobs,
			j->desc->name, report_mode_name(j->mode), j->place->name, j->ntasks,
			j->params);
		fflush(stderr);
		uint64_t t0 = clk_mono_ns();
		rr = runner_run(&cfg, &e.res);
		double took_s = (double)(clk_mono_ns() - t0) * 1e-9;
		if (rr < 0) {
			fprintf(stderr, "\ncontend: %s: cannot start the runner: %s\n",
				j->desc->name, strerror(-rr));
			ret = rr;
			break;
		}
		if (e.res.status == RUNNER_INTERRUPTED) {
			fprintf(stderr, "interrupted\n");
			runner_result_free(&e.res);
			break;
		}
		if (e.res.status == RUNNER_OK)
			fprintf(stderr, "ok (%llu iterations x %d, %.1f s)\n",
				(unsigned long long)e.res.iters, e.res.reps, took_s);
		else
			fprintf(stderr, "FAILED after %.1f s: %s\n", took_s, e.res.reason);
		if (report_add(r, &e) < 0) {
			runner_result_free(&e.res);
			ret = -ENOMEM;
			break;
		}
	}
	free(x.jobs);
	if (ret < 0)
		return ret;
	return runner_interrupted ? 1 : 0;
}
