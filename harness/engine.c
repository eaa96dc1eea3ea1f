/*
 * harness/engine.c - configuration expansion and the run loop.
 */
#define _GNU_SOURCE		/* cpu_set_t, sched_getaffinity */
#include <errno.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/clock.h"
#include "harness/engine.h"
#include "harness/runner.h"

/* A plan line beyond this is a typo in a list, not a sweep. */
#define ENGINE_MAX_JOBS 4096
#define ENGINE_MAX_NOTES 32

struct engine_job {
	const struct bench_desc *desc;
	enum bench_mode mode;
	int place;				/* index into the plan's places */
	int ntasks;
	const char *values[CLI_MAX_PARAM];	/* parallel to desc->params */
	char params[256];
	int *cpus;				/* [ntasks] */
	char *skip;				/* why it cannot run here, or NULL */
	int dropped;				/* done already: not run */
};

struct engine_plan {
	struct engine_job *jobs;
	int njobs, cap;
	struct topo_placement *places;		/* every placement any job uses */
	int nplaces;
	char **strings;				/* canonical values, owned */
	int nstrings;
	int reps, quick, full;
	unsigned pus;				/* processors this process may use */
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
	vsnprintf(p->notes[p->nnotes], sizeof(p->notes[0]), fmt, ap);
	va_end(ap);
	/* Said once, however many benchmarks it concerns. */
	for (int i = 0; i < p->nnotes; i++)
		if (strcmp(p->notes[i], p->notes[p->nnotes]) == 0)
			return;
	p->nnotes++;
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

/* Keep a string for the plan's lifetime; NULL without memory. */
static const char *engine_keep(struct engine_plan *p, const char *s)
{
	char **n = realloc(p->strings, sizeof(*n) * (size_t)(p->nstrings + 1));

	if (!n)
		return NULL;
	p->strings = n;
	if (!(n[p->nstrings] = strdup(s)))
		return NULL;
	return n[p->nstrings++];
}

/* Whether v is one of the '|'-separated words of `choices`. */
static int engine_is_choice(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *c = choices; *c;) {
		const char *end = strchr(c, '|');
		size_t len = end ? (size_t)(end - c) : strlen(c);

		if (len == n && strncmp(c, v, n) == 0)
			return 1;
		if (!end)
			break;
		c = end + 1;
	}
	return 0;
}

/*
 * A value of parameter bp as the run will use it: an integer parameter's
 * value whole, in range and in canonical form (the same parser reads it
 * in the workload, so "010" is 10 in the CSV and in the run alike); free
 * text as given.  NULL with p->err set.
 */
static const char *engine_value(struct engine_plan *p, const struct bench_desc *d,
				const struct bench_param *bp, const char *v)
{
	char why[200], canon[32];
	long long x;

	if (bp->min >= bp->max) {	/* free text */
		if (bp->choices && !engine_is_choice(bp->choices, v)) {
			engine_fail(p, "--param %s=%s: %s takes one of %s (%s)", bp->name, v,
				    d->name, bp->choices, bp->help);
			return NULL;
		}
		return v;
	}
	if (parse_ll(v, bp->min, bp->max, &x, why, sizeof(why)) < 0) {
		engine_fail(p, "--param %s=%s: %s takes a whole number in %lld..%lld (%s)",
			    bp->name, v, d->name, bp->min, bp->max, why);
		return NULL;
	}
	snprintf(canon, sizeof(canon), "%lld", x);
	return strcmp(canon, v) ? engine_keep(p, canon) : v;
}

/* The user's values of every declared parameter, canonical, with no two
 * alike ("8,08" are one value twice).  0 or -EINVAL/-ENOMEM. */
static int engine_values(struct engine_plan *p, const struct cli_args *a,
			 const struct bench_desc *d, const char *vals[][CLI_MAX_VALUES],
			 int *nvals)
{
	for (int k = 0; k < engine_nparams(d); k++) {
		const struct bench_param *bp = &d->params[k];
		const struct cli_param *u = engine_user_param(a, bp->name);

		const char *list = p->quick && bp->quick ? bp->quick : bp->def;
		char **defs = NULL;
		size_t ndefs = 0;
		char why[300];

		/* A workload's own default may be a list: split it as a
		 * user's --param would be (a bad one is a bug in it). */
		if (!u) {
			int r = parse_split(list, ',', bp->name, &defs, &ndefs, why, sizeof(why));

			if (r == -ENOMEM)
				return r;
			if (r < 0 || ndefs > CLI_MAX_VALUES) {
				fprintf(stderr, "contend: %s: bad default for %s: %s\n", d->name,
					bp->name, r < 0 ? why : "too many values");
				abort();	/* a bug in the workload's descriptor */
			}
		}
		nvals[k] = u ? u->nvalues : (int)ndefs;
		for (int i = 0; i < nvals[k]; i++) {
			const char *raw = u ? u->values[i] : defs[i];
			const char *v = engine_value(p, d, bp, raw);

			/* Kept for the plan's life: the split copy goes below. */
			if (v == raw && !u)
				v = engine_keep(p, raw);
			if (!v) {
				parse_split_free(defs, ndefs);
				return p->err[0] ? -EINVAL : -ENOMEM;
			}
			for (int j = 0; j < i; j++)
				if (strcmp(vals[k][j], v) == 0) {
					parse_split_free(defs, ndefs);
					return engine_fail(p, "--param %s: %s and %s are the same "
							   "value", bp->name, u ? u->values[j] : v,
							   raw);
				}
			vals[k][i] = v;
		}
		parse_split_free(defs, ndefs);
	}
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

static struct engine_job *engine_new_job(struct engine_plan *p)
{
	if (p->njobs == ENGINE_MAX_JOBS) {
		engine_fail(p, "more than %d configurations in one plan line; narrow the lists",
			    ENGINE_MAX_JOBS);
		return NULL;
	}
	if (p->njobs == p->cap) {
		int cap = p->cap ? p->cap * 2 : 64;
		struct engine_job *j = realloc(p->jobs, sizeof(*j) * (size_t)cap);

		if (!j)
			return NULL;
		p->jobs = j;
		p->cap = cap;
	}
	memset(&p->jobs[p->njobs], 0, sizeof(p->jobs[0]));
	return &p->jobs[p->njobs++];
}

/* The distinct processors a job's tasks may run on, as the runner will
 * count them (measure.c): what the process may use when any task is left
 * unpinned. */
static int engine_ncpus(const int *cpus, int ntasks)
{
	cpu_set_t set;
	int n = 0;

	CPU_ZERO(&set);
	for (int i = 0; i < ntasks; i++) {
		if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) {
			if (sched_getaffinity(0, sizeof(set), &set) < 0)
				return ntasks;
			return CPU_COUNT(&set);
		}
		if (!CPU_ISSET(cpus[i], &set)) {
			CPU_SET(cpus[i], &set);
			n++;
		}
	}
	return n;
}

/* Why job j cannot measure anything by construction, or NULL. */
static const char *engine_unfit(const struct engine_job *j)
{
	struct bench_state st = {
		.desc = j->desc, .mode = j->mode, .ntasks = j->ntasks,
		.ncpus = engine_ncpus(j->cpus, j->ntasks), .param_values = j->values,
	};

	return j->desc->unfit ? j->desc->unfit(&st) : NULL;
}

/*
 * Every combination of parameter values for one (bench, mode, placement,
 * tasks): an odometer over the value lists.  A combination unfit by
 * construction is skipped with its reason where `asked` (the user named
 * the task counts), else left out and counted in *omitted.
 */
static int engine_add_params(struct engine_plan *p, const struct engine_job *base,
			     const char *vals[][CLI_MAX_VALUES], const int *nvals,
			     const char *skip, int asked, int *omitted)
{
	const struct bench_desc *d = base->desc;
	int np = engine_nparams(d), idx[CLI_MAX_PARAM] = { 0 };

	for (;;) {
		struct engine_job *j = engine_new_job(p);
		size_t off = 0;
		int k;

		if (!j)
			return p->err[0] ? -EINVAL : -ENOMEM;
		*j = *base;
		j->cpus = malloc(sizeof(int) * (size_t)base->ntasks);
		j->skip = skip ? strdup(skip) : NULL;
		if (!j->cpus || (skip && !j->skip))
			return -ENOMEM;
		memcpy(j->cpus, base->cpus, sizeof(int) * (size_t)base->ntasks);
		for (k = 0; k < np; k++) {
			int n;

			j->values[k] = vals[k][idx[k]];
			n = snprintf(j->params + off, sizeof(j->params) - off, "%s%s=%s",
				     k ? ";" : "", d->params[k].name, j->values[k]);
			/* A cut key would merge two configurations in the CSV. */
			if (n < 0 || (size_t)n >= sizeof(j->params) - off)
				return engine_fail(p, "%s: parameter values too long (at most %zu "
						   "characters in all)", d->name, sizeof(j->params) - 1);
			off += (size_t)n;
		}
		const char *why = skip ? NULL : engine_unfit(j);
		if (why && !asked) {
			free(j->cpus);
			free(j->skip);
			p->njobs--;
			(*omitted)++;
		} else if (why && !(j->skip = strdup(why))) {
			return -ENOMEM;
		}
		/* Advance the odometer. */
		for (k = 0; k < np; k++) {
			if (++idx[k] < nvals[k])
				break;
			idx[k] = 0;
		}
		if (k == np)
			return 0;
	}
}

static int engine_add_place(struct engine_plan *p, const struct topo_placement *pl)
{
	for (int i = 0; i < p->nplaces; i++)
		if (topo_placement_same(&p->places[i], pl) && !strcmp(p->places[i].name, pl->name))
			return i;
	struct topo_placement *n = realloc(p->places, sizeof(*n) * (size_t)(p->nplaces + 1));
	if (!n)
		return -ENOMEM;
	p->places = n;
	n[p->nplaces] = *pl;
	return p->nplaces++;
}

/*
 * --full places a workload of any task count compact and scatter where
 * its tasks fit the processors, and leaves over-subscribed tasks (more
 * than processors: the scheduler's to place) unpinned: each task count
 * gets the policies that can honour it, none skipped by construction.
 */
#define ENGINE_FULL_PLACES "compact,scatter,none"

static int engine_place_applies(const struct engine_plan *p, const struct cli_args *a,
				const struct bench_desc *d, const struct topo_placement *pl,
				int ntasks)
{
	int over = ntasks > (int)p->pus;

	if (!p->full || d->tasks || a->nplace)
		return 1;
	return strcmp(pl->name, "none") == 0 ? over : !over;
}

/*
 * Does a default placement before places[pl] put ntasks tasks on exactly
 * the processors places[pl] would?  Then its configurations would be
 * that one's again (compact and scatter on one socket without SMT):
 * measured once.  Placements the user asked for are all run.
 */
static int engine_place_repeats(struct engine_plan *p, const struct cli_args *a,
				const struct bench_desc *d, const struct topo_placement *places,
				int pl, int ntasks)
{
	int mine[ntasks], theirs[ntasks];
	char why[300];

	if (a->nplace || topo_place(&places[pl], ntasks, mine, why, sizeof(why)) < 0 ||
	    mine[0] < 0)
		return 0;
	for (int k = 0; k < pl; k++) {
		if (!engine_place_applies(p, a, d, &places[k], ntasks) ||
		    topo_place(&places[k], ntasks, theirs, why, sizeof(why)) < 0)
			continue;
		if (memcmp(mine, theirs, sizeof(mine)) == 0) {
			engine_note(p, "placement %s puts %d task%s where %s does on this "
				    "machine: such configurations are measured once, as %s",
				    places[pl].name, ntasks, ntasks == 1 ? "" : "s", places[k].name,
				    places[k].name);
			return 1;
		}
	}
	return 0;
}

static int engine_expand_bench(struct engine_plan *p, const struct cli_args *a,
			       const struct bench_desc *d, const struct topo_placement *places,
			       int nplace, const int *threads, size_t nthreads)
{
	static const enum bench_mode modes[] = { BENCH_MODE_THREAD, BENCH_MODE_PROCESS };
	const char *vals[CLI_MAX_PARAM][CLI_MAX_VALUES];
	int nvals[CLI_MAX_PARAM], r, first = p->njobs, omitted = 0;
	/* Task counts the user named: an unfit one is said, not dropped. */
	int asked = a->threads != NULL;

	if ((r = engine_values(p, a, d, vals, nvals)) < 0)
		return r;
again:
	for (size_t m = 0; m < 2; m++) {
		if (!(d->modes & modes[m]) || (a->mode && a->mode != modes[m]))
			continue;
		/* A smoke run of a big family may keep to one mode. */
		if (p->quick && !a->mode && d->quick_modes && !(d->quick_modes & modes[m]))
			continue;
		for (int pl = 0; pl < nplace; pl++) {
			int idx = engine_add_place(p, &places[pl]);

			if (idx < 0)
				return idx;
			for (size_t t = 0; t < (d->tasks ? 1 : nthreads); t++) {
				int ntasks = d->tasks ? d->tasks : threads[t];
				int cpus[ntasks];

				if (!engine_place_applies(p, a, d, &places[pl], ntasks) ||
				    engine_place_repeats(p, a, d, places, pl, ntasks))
					continue;
				struct engine_job base = {
					.desc = d, .mode = modes[m], .place = idx, .ntasks = ntasks,
					.cpus = cpus,
				};
				char why[300];
				const char *skip = NULL;

				if (topo_place(&places[pl], ntasks, cpus, why, sizeof(why)) < 0) {
					if (a->nplace)	/* asked for: an error */
						return engine_fail(p, "%s: %s", d->name, why);
					/* A default the machine lacks: skipped, and
					 * said so in the run's records. */
					for (int i = 0; i < ntasks; i++)
						cpus[i] = -1;
					skip = why;
				}
				if ((r = engine_add_params(p, &base, vals, nvals, skip, asked,
							   &omitted)) < 0)
					return r;
			}
		}
	}
	/* Every default configuration unfit here (two tasks needed on one
	 * processor): keep them, skipped with the reason, rather than let
	 * the benchmark vanish without a word. */
	if (p->njobs == first && omitted && !asked) {
		asked = 1;
		goto again;
	}
	return 0;
}

/* A workload's own placement list (--full's for one of any task count),
 * parsed as --placement would be. */
static int engine_default_places(const struct engine_plan *p, const struct bench_desc *d,
				 struct topo_placement *out)
{
	static struct cli_args tmp;
	char spec[300], err[300];
	char *argv1[] = { spec };

	memset(&tmp, 0, sizeof(tmp));
	snprintf(spec, sizeof(spec), "--placement=%s", p->full && !d->tasks ? ENGINE_FULL_PLACES :
		 d->placements ? d->placements : "none");
	if (cli_parse(CLI_RUN, 1, argv1, &tmp, err, sizeof(err)) < 0) {
		fprintf(stderr, "contend: %s: bad default placement: %s\n", d->name, err);
		abort();	/* a bug in the workload's descriptor */
	}
	memcpy(out, tmp.place, sizeof(tmp.place[0]) * (size_t)tmp.nplace);
	return tmp.nplace;
}

/* Calibration, warm-up and every repetition (and its baseline, and its
 * latency round), with a wide margin for spawning, slow machines and
 * sanitizers. */
static double engine_budget(double timeout, int reps, double min_time)
{
	double need = (2 * reps + 6) * 2 * min_time;

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
		const char *how = a->mode == BENCH_MODE_THREAD ? "thread" : "process";
		char left[200] = "";
		int any = 0, out = 0;
		size_t off = 0;

		for (int i = 0; i < nsel; i++) {
			any |= (sel[i]->modes & a->mode) != 0;
			if (sel[i]->modes & a->mode)
				continue;
			/* Left out by --mode: said, never silently gone. */
			if (off < sizeof(left))
				off += (size_t)snprintf(left + off, sizeof(left) - off, "%s%s",
							out ? ", " : "", sel[i]->name);
			out++;
		}
		if (!any)
			return engine_fail(p, "--mode %s: none of the selected benchmarks runs that way",
					   how);
		if (out)
			engine_note(p, "--mode %s: %d selected benchmark%s no %s mode, left out: %s%s",
				    how, out, out == 1 ? " has" : "s have", how, left,
				    off >= sizeof(left) ? "..." : "");
	}
	return nsel;
}

int engine_plan(const struct cli_args *a, const struct engine_defaults *d,
		struct engine_plan **out, char *err, size_t errlen)
{
	struct engine_plan *p = calloc(1, sizeof(*p));
	const struct bench_desc *sel[CLI_MAX_BENCH];
	static struct topo_placement defaults[CLI_MAX_PLACE];
	static int threads[PARSE_LIST_MAX];
	struct topo_summary s;
	int nsel, quick = a->quick || d->quick, ret = -EINVAL;
	size_t nthreads = 0;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->quick = quick;
	p->full = a->full || d->full;
	topo_summarize(&s);
	p->pus = s.pus;
	if (quick && p->full) {
		engine_fail(p, "--quick and --full ask for opposite sweeps; give one");
		goto out;
	}
	p->reps = a->reps ? a->reps : d->reps ? d->reps : quick ? 5 : 10;
	p->min_time = a->min_time > 0 ? a->min_time : d->min_time > 0 ? d->min_time :
		      quick ? 0.02 : 0.1;
	p->budget = engine_budget(a->timeout > 0 ? a->timeout : d->timeout, p->reps, p->min_time);
	if (p->budget < p->reps * p->min_time) {
		/* Not even the measured repetitions fit: it could only fail
		 * every configuration. */
		engine_fail(p, "--timeout %g: shorter than the %d repetitions of %g s it must "
			    "allow (%g s, before calibration and warm-up); give more, or leave it "
			    "out (default: %.2g s)", p->budget, p->reps, p->min_time,
			    p->reps * p->min_time, engine_budget(0, p->reps, p->min_time));
		goto out;
	}
	if ((nsel = engine_select_all(p, a, sel)) < 0 || engine_threads(a, threads, &nthreads) < 0)
		goto out;
	for (int i = 0; i < nsel; i++) {
		const struct topo_placement *places = a->place;
		int nplace = a->nplace;

		if (!nplace) {
			nplace = engine_default_places(p, sel[i], defaults);
			places = defaults;
		}
		if (sel[i]->tasks && a->threads)
			engine_note(p, "%s runs a fixed %d tasks; --threads does not apply to it",
				    sel[i]->name, sel[i]->tasks);
		if ((sel[i]->oversubscribe || sel[i]->tasks_also || p->full) && !a->threads &&
		    nthreads + 2 <= PARSE_LIST_MAX) {
			/* Twice the processors, where spinning and sleeping
			 * waits part ways; and many more than them; only for
			 * the workloads that ask. */
			int over[PARSE_LIST_MAX];
			size_t nover = nthreads;

			memcpy(over, threads, sizeof(int) * nthreads);
			if (sel[i]->oversubscribe || p->full)
				over[nover++] = 2 * threads[nthreads - 1];
			if (sel[i]->tasks_also > over[nover - 1])
				over[nover++] = sel[i]->tasks_also;
			ret = engine_expand_bench(p, a, sel[i], places, nplace, over, nover);
		} else {
			ret = engine_expand_bench(p, a, sel[i], places, nplace, threads, nthreads);
		}
		if (ret < 0)
			goto out;
	}
	ret = -EINVAL;
	if (p->njobs == 0) {
		engine_fail(p, "nothing to run (no configuration fits this machine)");
		goto out;
	}
	*out = p;
	return 0;
out:
	snprintf(err, errlen, "%s", p->err[0] ? p->err : strerror(-ret));
	engine_plan_free(p);
	return ret;
}

int engine_plan_size(const struct engine_plan *p)
{
	return p->njobs;
}

void engine_job_key(const struct engine_plan *p, int i, char *buf, size_t len)
{
	const struct engine_job *j = &p->jobs[i];

	snprintf(buf, len, "%s %s %s %d %s", j->desc->name, report_mode_name(j->mode),
		 p->places[j->place].name, j->ntasks, j->params);
}

const char *engine_job_skip(const struct engine_plan *p, int i)
{
	return p->jobs[i].skip;
}

int engine_job_fixed_tasks(const struct engine_plan *p, int i)
{
	return p->jobs[i].desc->tasks != 0;
}

struct engine_key {
	char text[600];
	int plan;
};

static int engine_cmp_key(const void *a, const void *b)
{
	const struct engine_key *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	return c ? c : (x->plan > y->plan) - (x->plan < y->plan);
}

int engine_find_duplicate(struct engine_plan *const *plans, int n, int *pa, int *pb,
			  char *what, size_t len)
{
	size_t total = 0, k = 0;
	struct engine_key *keys;
	int found = 0;

	for (int i = 0; i < n; i++)
		total += (size_t)plans[i]->njobs;
	keys = malloc(sizeof(*keys) * (total ? total : 1));
	if (!keys)
		return 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < plans[i]->njobs; j++) {
			engine_job_key(plans[i], j, keys[k].text, sizeof(keys[k].text));
			keys[k++].plan = i;
		}
	qsort(keys, total, sizeof(*keys), engine_cmp_key);
	for (size_t i = 1; i < total && !found; i++)
		if (strcmp(keys[i - 1].text, keys[i].text) == 0) {
			*pa = keys[i - 1].plan;
			*pb = keys[i].plan;
			snprintf(what, len, "%s", keys[i].text);
			found = 1;
		}
	free(keys);
	return found;
}

void engine_plan_drop(struct engine_plan *p, int i)
{
	p->jobs[i].dropped = 1;
}

void engine_plan_free(struct engine_plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->njobs; i++) {
		free(p->jobs[i].cpus);
		free(p->jobs[i].skip);
	}
	for (int i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->places);
	free(p->jobs);
	free(p);
}

/* Rounds of min_time a configuration runs, besides its repetitions:
 * calibration (the count doubles up to min_time: about two rounds' time
 * in all) and two warm-up rounds. */
#define ENGINE_ROUNDS_BEFORE 4
/* A counted configuration adds three counted rounds. */
#define ENGINE_ROUNDS_COUNTED 3
/* Forking the runner and its tasks, setting up, checking, rounds that
 * overrun: the quick sweep on a loaded 2-core VM spent 0.3 s a
 * configuration beyond its rounds. */
#define ENGINE_OVERHEAD_S 0.3

/* What job j is expected to take, in seconds. */
static double engine_job_expect_s(const struct engine_plan *p, const struct engine_job *j,
				  int counted)
{
	int rounds = ENGINE_ROUNDS_BEFORE + p->reps, latency = 0;

	if (j->skip)
		return 0;
	for (const struct bench_metric *m = j->desc->metrics; m->name; m++)
		latency |= m->kind == BENCH_LATENCY;
	rounds += latency ? p->reps : 0;
	rounds += counted ? ENGINE_ROUNDS_COUNTED : 0;
	/* Each round is followed by its baseline round. */
	return rounds * p->min_time * (j->desc->baseline ? 2 : 1) + ENGINE_OVERHEAD_S;
}

int engine_plan_todo(const struct engine_plan *p)
{
	int n = 0;

	for (int i = 0; i < p->njobs; i++)
		n += !p->jobs[i].dropped;
	return n;
}

double engine_plan_expect_s(const struct engine_plan *p, int counted)
{
	double s = 0;

	for (int i = 0; i < p->njobs; i++)
		if (!p->jobs[i].dropped)
			s += engine_job_expect_s(p, &p->jobs[i], counted);
	return s;
}

int engine_exec(struct engine_plan *p, struct report *r, unsigned long long seed)
{
	struct progress g;
	int ret;

	progress_init(&g, engine_plan_todo(p), engine_plan_expect_s(p, r->ctrs.n > 0));
	ret = engine_exec_with(p, r, seed, &g, NULL, NULL);
	progress_finish(&g);
	return ret;
}

int engine_exec_with(struct engine_plan *p, struct report *r, unsigned long long seed,
		     struct progress *g, engine_after_fn *after, void *ctx)
{
	unsigned long long s = seed ? seed : 0x9e3779b97f4a7c15ULL;
	int ret;

	for (int i = 0; i < p->nnotes; i++) {
		progress_finish(g);
		fprintf(stderr, "contend: notice: %s\n", p->notes[i]);
	}
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
		char what[700], outcome[700];
		uint64_t t0 = clk_mono_ns();
		double took_s;

		if (j->dropped)
			continue;
		snprintf(e.placement, sizeof(e.placement), "%s", p->places[j->place].name);
		snprintf(e.params, sizeof(e.params), "%s", j->params);
		snprintf(what, sizeof(what), "%s %s %s tasks=%d %s", j->desc->name,
			 report_mode_name(j->mode), e.placement, j->ntasks, j->params);
		progress_begin(g, what);
		if (j->skip) {
			e.res.status = RUNNER_SKIPPED;
			snprintf(e.res.reason, sizeof(e.res.reason), "%s", j->skip);
		} else if (runner_run(&cfg, &e.res) < 0) {
			progress_finish(g);
			fprintf(stderr, "\ncontend: out of memory keeping the results\n");
			return -ENOMEM;
		}
		took_s = (double)(clk_mono_ns() - t0) * 1e-9;
		switch (e.res.status) {
		case RUNNER_INTERRUPTED:
			progress_end(g, 0, "interrupted", 1);
			runner_result_free(&e.res);
			return 1;
		case RUNNER_OK:
			snprintf(outcome, sizeof(outcome), "ok (%llu iterations x %d, %.1f s)",
				 (unsigned long long)e.res.iters, e.res.reps, took_s);
			break;
		case RUNNER_SKIPPED:
			snprintf(outcome, sizeof(outcome), "skipped: %s", e.res.reason);
			break;
		case RUNNER_FAILED:
			snprintf(outcome, sizeof(outcome), "FAILED after %.1f s: %s", took_s,
				 e.res.reason);
			break;
		}
		progress_end(g, engine_job_expect_s(p, j, r->ctrs.n > 0), outcome,
			     e.res.status != RUNNER_OK);
		if (report_add(r, &e) < 0) {
			runner_result_free(&e.res);
			return -ENOMEM;
		}
		if (after && (ret = after(ctx, r)) < 0)
			return ret;
	}
	return runner_interrupted ? 1 : 0;
}
