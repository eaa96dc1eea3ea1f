/*
 * harness/engine.c - configuration expansion and the run loop.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/clock.h"
#include "harness/engine.h"
#include "harness/runner.h"

#define ENGINE_MAX_JOBS 4096
#define ENGINE_MAX_NOTES 32

struct engine_job {
	const struct bench_desc *desc;
	enum bench_mode mode;
	struct topo_placement place;
	int ntasks;
	const char *values[CLI_MAX_PARAM];	/* parallel to desc->params */
	char params[256];
	int cpus[PARSE_LIST_MAX];
};

struct engine_plan {
	struct engine_job *jobs;
	int njobs;
	int reps;
	double min_time, budget;
	char notes[ENGINE_MAX_NOTES][300];
	int nnotes;
	char err[400];
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

static void engine_note(struct engine_plan *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nnotes == ENGINE_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(p->notes[p->nnotes++], sizeof(p->notes[0]), fmt, ap);
	va_end(ap);
}

static int engine_fail(struct engine_plan *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
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

/* A value for an integer parameter: whole, in range. */
static int engine_check_value(struct engine_plan *p, const struct bench_desc *d,
			      const struct bench_param *bp, const char *v)
{
	char *end;
	long long x;

	if (bp->min >= bp->max)
		return 0;	/* free text */
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < bp->min || x > bp->max)
		return engine_fail(p, "--param %s=%s: %s takes a whole number in %lld..%lld",
				   bp->name, v, d->name, bp->min, bp->max);
	return 0;
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

/* Every combination of parameter values for one (bench, mode, placement,
 * tasks): an odometer over the value lists. */
static int engine_add_params(struct engine_plan *p, const struct cli_args *a,
			     const struct engine_job *base)
{
	const struct bench_desc *d = base->desc;
	int np = engine_nparams(d), idx[CLI_MAX_PARAM] = { 0 };

	for (;;) {
		struct engine_job *j;
		size_t off = 0;
		int k;

		if (p->njobs == ENGINE_MAX_JOBS)
			return engine_fail(p, "more than %d configurations; narrow the lists",
					   ENGINE_MAX_JOBS);
		j = &p->jobs[p->njobs++];
		*j = *base;
		j->params[0] = '\0';
		for (k = 0; k < np; k++) {
			const struct cli_param *u = engine_user_param(a, d->params[k].name);
			int n;

			j->values[k] = u ? u->values[idx[k]] : d->params[k].def;
			if (engine_check_value(p, d, &d->params[k], j->values[k]) < 0)
				return -EINVAL;
			n = snprintf(j->params + off, sizeof(j->params) - off, "%s%s=%s",
				     k ? ";" : "", d->params[k].name, j->values[k]);
			/* A cut key would merge two configurations in the CSV. */
			if (n < 0 || (size_t)n >= sizeof(j->params) - off)
				return engine_fail(p, "%s: parameter values too long (at most %zu "
						   "characters in all)", d->name, sizeof(j->params) - 1);
			off += (size_t)n;
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

static int engine_expand_bench(struct engine_plan *p, const struct cli_args *a,
			       const struct bench_desc *d, const struct topo_placement *places,
			       int nplace, const int *threads, size_t nthreads)
{
	static const enum bench_mode modes[] = { BENCH_MODE_THREAD, BENCH_MODE_PROCESS };

	for (size_t m = 0; m < 2; m++) {
		if (!(d->modes & modes[m]) || (a->mode && a->mode != modes[m]))
			continue;
		for (int pl = 0; pl < nplace; pl++) {
			for (size_t t = 0; t < (d->tasks ? 1 : nthreads); t++) {
				struct engine_job base = {
					.desc = d, .mode = modes[m], .place = places[pl],
					.ntasks = d->tasks ? d->tasks : threads[t],
				};
				char why[300];

				if (topo_place(&base.place, base.ntasks, base.cpus, why,
					       sizeof(why)) < 0) {
					if (a->nplace)	/* asked for: an error */
						return engine_fail(p, "%s: %s", d->name, why);
					engine_note(p, "%s: skipped on this machine: %s", d->name, why);
					continue;
				}
				if (engine_add_params(p, a, &base) < 0)
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

/* Calibration, warm-up and every repetition (and its baseline), with a
 * wide margin for spawning, slow machines and sanitizers. */
static double engine_budget(double timeout, int reps, double min_time)
{
	double need = (reps + 6) * 2 * min_time;

	if (timeout > 0)
		return timeout;
	return need * 10 > 60 ? need * 10 : 60;
}

static int engine_threads(const struct cli_args *a, int *threads, size_t *n)
{
	struct topo_summary s;
	char err[300];

	topo_summarize(&s);
	*n = 0;
	if (a->threads && strcmp(a->threads, "max") == 0) {
		threads[(*n)++] = (int)s.pus;		/* every PU we may use */
		return 0;
	}
	if (a->threads)		/* already checked by the option parser */
		return parse_int_list(a->threads, 1, PARSE_LIST_MAX, threads, n, err, sizeof(err));
	for (unsigned t = 1; t <= s.pus; t *= 2)
		threads[(*n)++] = (int)t;
	if (threads[*n - 1] != (int)s.pus)
		threads[(*n)++] = (int)s.pus;
	return 0;
}

static int engine_select_all(struct engine_plan *p, const struct cli_args *a,
			     const struct bench_desc **sel)
{
	int nsel = 0;

	if (a->npos == 0)
		return engine_fail(p, "run: name at least one benchmark or pattern "
				   "(see 'contend list')");
	for (int i = 0; i < a->npos; i++) {
		const struct bench_desc *found[CLI_MAX_BENCH];
		int n = engine_select(a->pos[i], found, CLI_MAX_BENCH, p->err, sizeof(p->err));

		if (n < 0)
			return -EINVAL;
		for (int k = 0; k < n; k++) {
			int dup = 0;
			for (int j = 0; j < nsel; j++)
				dup |= sel[j] == found[k];
			if (!dup && nsel < CLI_MAX_BENCH)
				sel[nsel++] = found[k];
		}
	}
	/* A --param nobody declares is a typo, not a no-op. */
	for (int q = 0; q < a->nparam; q++) {
		int known = 0;
		for (int i = 0; i < nsel; i++)
			for (int k = 0; k < engine_nparams(sel[i]); k++)
				known |= strcmp(sel[i]->params[k].name, a->param[q].key) == 0;
		if (!known)
			return engine_fail(p, "--param %s: no selected benchmark has this parameter "
					   "(see 'contend list --long')", a->param[q].key);
	}
	if (a->mode) {
		int any = 0;
		for (int i = 0; i < nsel; i++)
			any |= (sel[i]->modes & a->mode) != 0;
		if (!any)
			return engine_fail(p, "--mode %s: none of the selected benchmarks runs that way",
					   a->mode == BENCH_MODE_THREAD ? "thread" : "process");
	}
	return nsel;
}

int engine_plan(const struct cli_args *a, const struct engine_defaults *d,
		struct engine_plan **out, char *err, size_t errlen)
{
	struct engine_plan *p = calloc(1, sizeof(*p));
	const struct bench_desc *sel[CLI_MAX_BENCH];
	struct topo_placement defaults[CLI_MAX_PLACE];
	int threads[PARSE_LIST_MAX], nsel, quick = a->quick || d->quick, ret = -EINVAL;
	size_t nthreads = 0;

	*out = NULL;
	if (!p || !(p->jobs = calloc(ENGINE_MAX_JOBS, sizeof(*p->jobs)))) {
		free(p);
		return -ENOMEM;
	}
	p->reps = a->reps ? a->reps : d->reps ? d->reps : quick ? 5 : 10;
	p->min_time = a->min_time > 0 ? a->min_time : d->min_time > 0 ? d->min_time :
		      quick ? 0.02 : 0.1;
	p->budget = engine_budget(a->timeout > 0 ? a->timeout : d->timeout, p->reps, p->min_time);
	if ((nsel = engine_select_all(p, a, sel)) < 0 || engine_threads(a, threads, &nthreads) < 0)
		goto out;
	for (int i = 0; i < nsel; i++) {
		const struct topo_placement *places = a->place;
		int nplace = a->nplace;

		if (!nplace) {
			nplace = engine_default_places(sel[i], defaults);
			places = defaults;
		}
		if (sel[i]->tasks && a->threads)
			engine_note(p, "%s runs a fixed %d tasks; --threads does not apply to it",
				    sel[i]->name, sel[i]->tasks);
		if (engine_expand_bench(p, a, sel[i], places, nplace, threads, nthreads) < 0)
			goto out;
	}
	if (p->njobs == 0) {
		engine_fail(p, "nothing to run: every configuration was skipped (%s)",
			    p->nnotes ? p->notes[0] : "no placement fits");
		goto out;
	}
	*out = p;
	return 0;
out:
	snprintf(err, errlen, "%s", p->err);
	engine_plan_free(p);
	return ret;
}

void engine_plan_free(struct engine_plan *p)
{
	if (!p)
		return;
	free(p->jobs);
	free(p);
}

int engine_exec(struct engine_plan *p, struct report *r, unsigned long long seed)
{
	unsigned long long s = seed ? seed : 0x9e3779b97f4a7c15ULL;
	int ret = 0;

	for (int i = 0; i < p->nnotes; i++)
		fprintf(stderr, "contend: notice: %s\n", p->notes[i]);
	/* Randomised order, so that drift (thermal, a neighbour's load)
	 * does not line up with one benchmark. */
	for (int i = p->njobs - 1; i > 0; i--) {
		int k = (int)(engine_rand(&s) % (unsigned long long)(i + 1));
		struct engine_job t = p->jobs[i];
		p->jobs[i] = p->jobs[k];
		p->jobs[k] = t;
	}
	for (int i = 0; i < p->njobs && !runner_interrupted; i++) {
		struct engine_job *j = &p->jobs[i];
		struct runner_config cfg = {
			.desc = j->desc, .mode = j->mode, .ntasks = j->ntasks, .cpus = j->cpus,
			.param_values = j->values, .min_time_s = p->min_time, .reps = p->reps,
			.budget_s = p->budget, .ctrs = &r->ctrs,
		};
		struct report_entry e = {
			.desc = j->desc, .mode = j->mode, .ntasks = j->ntasks, .reps_asked = p->reps,
		};
		uint64_t t0 = clk_mono_ns();
		double took_s;

		snprintf(e.placement, sizeof(e.placement), "%s", j->place.name);
		snprintf(e.params, sizeof(e.params), "%s", j->params);
		fprintf(stderr, "contend: [%d/%d] %s %s %s tasks=%d %s ... ", i + 1, p->njobs,
			j->desc->name, report_mode_name(j->mode), j->place.name, j->ntasks,
			j->params);
		fflush(stderr);
		ret = runner_run(&cfg, &e.res);
		took_s = (double)(clk_mono_ns() - t0) * 1e-9;
		if (ret < 0) {
			fprintf(stderr, "\ncontend: %s: cannot start the runner: %s\n",
				j->desc->name, strerror(-ret));
			return ret;
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
			return -ENOMEM;
		}
	}
	return runner_interrupted ? 1 : 0;
}
