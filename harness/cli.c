/*
 * harness/cli.c - option table, parser and help.  Strict: an unknown
 * option, a missing value or a malformed one is an error naming what
 * would have been right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"

enum cli_opt_id {
	OPT_THREADS, OPT_MODE, OPT_PLACEMENT, OPT_REPS, OPT_MIN_TIME, OPT_TIMEOUT,
	OPT_PARAM, OPT_COUNTERS, OPT_OUT, OPT_FORMAT, OPT_SAMPLES, OPT_HISTOGRAMS, OPT_QUICK,
	OPT_FULL, OPT_SEED,
	OPT_PRESET, OPT_RESUME, OPT_LONG, OPT_THRESHOLD, OPT_ALPHA, OPT_VERBOSE, OPT_HELP,
};

static const struct cli_opt {
	enum cli_opt_id id;
	const char *name, *arg;
	unsigned cmds;
	const char *help;
} cli_opts[] = {
	{ OPT_THREADS, "threads", "LIST", CLI_RUN,
	  "task counts, e.g. 1,2,4 or 1-8 or max (benchmarks with a fixed count keep theirs)" },
	{ OPT_MODE, "mode", "thread|process", CLI_RUN,
	  "run tasks as threads or as processes (default: every mode a benchmark has)" },
	{ OPT_PLACEMENT, "placement", "LIST", CLI_RUN,
	  "compact, scatter, same-core, cross-core, none or cpus:0,2 (comma list; "
	  "default: each benchmark's own)" },
	{ OPT_REPS, "reps", "N", CLI_RUN | CLI_SWEEP,
	  "measured repetitions per configuration (default 10; --quick 5)" },
	{ OPT_MIN_TIME, "min-time", "SEC", CLI_RUN | CLI_SWEEP,
	  "length of one repetition (default 0.1; --quick 0.02)" },
	{ OPT_TIMEOUT, "timeout", "SEC", CLI_RUN | CLI_SWEEP,
	  "watchdog budget per configuration (default: scaled to reps and min-time)" },
	{ OPT_PARAM, "param", "KEY=V[,V...]", CLI_RUN,
	  "set a workload parameter; a list sweeps it (repeatable)" },
	{ OPT_COUNTERS, "counters", "LIST", CLI_RUN | CLI_SWEEP,
	  "libpfm4 event names, tracepoints (syscalls:sys_enter_futex), syscalls, or none "
	  "(default: cycles, instructions, cache and branch misses, context switches, "
	  "migrations, page faults, system calls)" },
	{ OPT_OUT, "out", "FILE|DIR", CLI_RUN | CLI_SWEEP,
	  "run: results file (default stdout); sweep: run folder (default results/<run-id>)" },
	{ OPT_FORMAT, "format", "csv|json", CLI_RUN,
	  "csv (the columns README.md describes) or json (Google Benchmark's schema)" },
	{ OPT_SAMPLES, "samples", "FILE", CLI_RUN,
	  "also write every repetition's raw value here" },
	{ OPT_HISTOGRAMS, "histograms", "FILE", CLI_RUN,
	  "also write the latency histograms (one row per bucket) to FILE" },
	{ OPT_QUICK, "quick", NULL, CLI_RUN | CLI_SWEEP,
	  "fewer and shorter repetitions: a smoke run" },
	{ OPT_FULL, "full", NULL, CLI_RUN | CLI_SWEEP,
	  "every task count up to twice the processors, placed compact and scatter where "
	  "they fit (none beyond); fixed-count workloads keep their own placements" },
	{ OPT_SEED, "seed", "N", CLI_RUN | CLI_SWEEP,
	  "seed of the randomised configuration order (default: from the clock)" },
	{ OPT_PRESET, "preset", "quick|full|PLANFILE", CLI_SWEEP,
	  "what to sweep: quick, full, or a file of 'run' argument lines" },
	{ OPT_RESUME, "resume", "DIR", CLI_SWEEP,
	  "finish the sweep in run folder DIR: run only what it has no results for "
	  "(its plan is kept in DIR/plan.txt)" },
	{ OPT_LONG, "long", NULL, CLI_LIST,
	  "also show modes, task counts, placements, parameters and metrics" },
	{ OPT_THRESHOLD, "threshold", "PCT", CLI_COMPARE,
	  "smallest change that counts, in percent (default 5)" },
	{ OPT_ALPHA, "alpha", "A", CLI_COMPARE,
	  "significance level of the U test (default 0.01)" },
	{ OPT_VERBOSE, "verbose", NULL, CLI_RUN | CLI_SWEEP,
	  "print every warning, not only the summary" },
	{ OPT_HELP, "help", NULL, CLI_LIST | CLI_ENV | CLI_RUN | CLI_SWEEP | CLI_PLOT | CLI_COMPARE,
	  "this help" },
};

#define CLI_NOPTS (sizeof(cli_opts) / sizeof(cli_opts[0]))

void cli_help(enum cli_cmd cmd, const char *usage, const char *what, FILE *f)
{
	fprintf(f, "usage: %s\n\n%s\n", usage, what);
	fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < CLI_NOPTS; i++) {
		char left[64];

		if (!(cli_opts[i].cmds & cmd))
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", cli_opts[i].name,
			 cli_opts[i].arg ? " " : "", cli_opts[i].arg ? cli_opts[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, cli_opts[i].help);
	}
}

/* Add one policy to a->place, refusing one that places tasks like one
 * already there. */
static int cli_place_one(const char *text, struct cli_args *a, char *err, size_t errlen)
{
	struct topo_placement *p = &a->place[a->nplace];

	if (a->nplace == CLI_MAX_PLACE) {
		snprintf(err, errlen, "--placement: at most %d policies", CLI_MAX_PLACE);
		return -EINVAL;
	}
	if (topo_placement_parse(text, p, err, errlen) < 0)
		return -EINVAL;
	for (int i = 0; i < a->nplace; i++)
		if (topo_placement_same(&a->place[i], p)) {
			snprintf(err, errlen, "--placement: %s is given twice%s%s%s", p->name,
				 strcmp(a->place[i].name, p->name) ? " (as " : "",
				 strcmp(a->place[i].name, p->name) ? a->place[i].name : "",
				 strcmp(a->place[i].name, p->name) ? ")" : "");
			return -EINVAL;
		}
	a->nplace++;
	return 0;
}

/* Split a --placement list.  Commas separate policies, except inside a
 * cpus: list, which takes every following number or range.  No item may
 * be empty ("cpus:0,,1", ","). */
static int cli_placements(const char *text, struct cli_args *a, char *err, size_t errlen)
{
	char **items, cur[TOPO_NAME_MAX + 2] = "";
	size_t n;
	int r;

	if ((r = parse_split(text, ',', "--placement", &items, &n, err, errlen)) < 0)
		return r;
	for (size_t i = 0; i <= n && r == 0; i++) {
		const char *tok = i < n ? items[i] : NULL;

		if (tok && strncmp(cur, "cpus:", 5) == 0 && tok[strspn(tok, "0123456789-")] == '\0') {
			size_t l = strlen(cur);

			if (l + 1 + strlen(tok) >= TOPO_NAME_MAX) {
				snprintf(err, errlen, "--placement: the cpus: list is too long (at "
					 "most %d characters; ranges such as cpus:0-63 are shorter)",
					 TOPO_NAME_MAX - 1);
				r = -EINVAL;
				break;
			}
			snprintf(cur + l, sizeof(cur) - l, ",%s", tok);
			continue;
		}
		if (cur[0])
			r = cli_place_one(cur, a, err, errlen);
		if (tok)
			snprintf(cur, sizeof(cur), "%.*s", TOPO_NAME_MAX, tok);
	}
	parse_split_free(items, n);
	return r;
}

static int cli_param(const char *text, struct cli_args *a, char *err, size_t errlen)
{
	const char *eq = strchr(text, '=');
	struct cli_param *p;
	char **vals;
	size_t n;
	int r;

	if (!eq || eq == text || eq[1] == '\0') {
		snprintf(err, errlen, "--param '%s': expected KEY=VALUE or KEY=V1,V2", text);
		return -EINVAL;
	}
	if ((size_t)(eq - text) >= sizeof(a->param[0].key)) {
		snprintf(err, errlen, "--param '%s': key too long", text);
		return -EINVAL;
	}
	for (int i = 0; i < a->nparam; i++)
		if (strncmp(a->param[i].key, text, (size_t)(eq - text)) == 0 &&
		    a->param[i].key[eq - text] == '\0') {
			snprintf(err, errlen, "--param %.*s is given twice (use one list)",
				 (int)(eq - text), text);
			return -EINVAL;
		}
	if (a->nparam == CLI_MAX_PARAM) {
		snprintf(err, errlen, "at most %d --param options", CLI_MAX_PARAM);
		return -EINVAL;
	}
	if ((r = parse_split(eq + 1, ',', "--param", &vals, &n, err, errlen)) < 0)
		return r;
	if (n > CLI_MAX_VALUES) {
		snprintf(err, errlen, "--param %.*s: at most %d values", (int)(eq - text), text,
			 CLI_MAX_VALUES);
		parse_split_free(vals, n);
		return -EINVAL;
	}
	p = &a->param[a->nparam++];	/* owns vals from here: cli_args_free */
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%.*s", (int)(eq - text), text);
	for (size_t i = 0; i < n; i++)
		p->values[p->nvalues++] = vals[i];
	free(vals);
	/* Equal spellings are caught here; equal numbers spelt differently
	 * ("8,08") once the engine knows the parameter is an integer. */
	for (int i = 0; i < p->nvalues; i++)
		for (int k = 0; k < i; k++)
			if (strcmp(p->values[i], p->values[k]) == 0) {
				snprintf(err, errlen, "--param %s: value %s is given twice", p->key,
					 p->values[i]);
				return -EINVAL;
			}
	return 0;
}

static int cli_option(const struct cli_opt *o, const char *v, struct cli_args *a,
		      char *err, size_t errlen)
{
	long n;
	char why[200];

	switch (o->id) {
	case OPT_THREADS: {
		int tmp[PARSE_LIST_MAX];
		size_t cnt;
		if (strcmp(v, "max") != 0 &&
		    parse_int_list(v, 1, PARSE_LIST_MAX, tmp, &cnt, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--threads %s", why);
			return -EINVAL;
		}
		a->threads = v;
		return 0;
	}
	case OPT_MODE:
		if (strcmp(v, "thread") == 0)
			a->mode = BENCH_MODE_THREAD;
		else if (strcmp(v, "process") == 0)
			a->mode = BENCH_MODE_PROCESS;
		else {
			snprintf(err, errlen, "--mode '%s': expected thread or process", v);
			return -EINVAL;
		}
		return 0;
	case OPT_PLACEMENT:
		return cli_placements(v, a, err, errlen);
	case OPT_REPS:
		if (parse_long(v, 1, 100000, &n, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--reps %s; expected a count such as 10", why);
			return -EINVAL;
		}
		a->reps = (int)n;
		return 0;
	case OPT_MIN_TIME:
	case OPT_TIMEOUT:
		if (parse_seconds(v, o->id == OPT_MIN_TIME ? &a->min_time : &a->timeout,
				  why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--%s %s", o->name, why);
			return -EINVAL;
		}
		return 0;
	case OPT_PARAM:
		return cli_param(v, a, err, errlen);
	case OPT_COUNTERS:
		a->counters = v;
		return 0;
	case OPT_OUT:
		a->out = v;
		return 0;
	case OPT_FORMAT:
		if (strcmp(v, "csv") && strcmp(v, "json")) {
			snprintf(err, errlen, "--format '%s': expected csv or json", v);
			return -EINVAL;
		}
		a->format = v;
		return 0;
	case OPT_HISTOGRAMS:
		a->histograms = v;
		return 0;
	case OPT_SAMPLES:
		a->samples = v;
		return 0;
	case OPT_SEED: {
		char *end;
		errno = 0;
		a->seed = strtoull(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-') {
			snprintf(err, errlen, "--seed '%s': expected a whole number", v);
			return -EINVAL;
		}
		a->seed_given = 1;
		return 0;
	}
	case OPT_PRESET:
		a->preset = v;
		return 0;
	case OPT_RESUME:
		a->resume = v;
		return 0;
	case OPT_VERBOSE:
		a->verbose = 1;
		return 0;
	case OPT_THRESHOLD: {
		char *end;
		errno = 0;
		a->threshold = strtod(v, &end);
		if (*end == '%' && end != v)
			end++;	/* "5%" as the issue spells it */
		if (errno || end == v || *end || !(a->threshold > 0 && a->threshold <= 1000)) {
			snprintf(err, errlen, "--threshold '%s': expected a percentage such as 5", v);
			return -EINVAL;
		}
		return 0;
	}
	case OPT_ALPHA: {
		char *end;
		errno = 0;
		a->alpha = strtod(v, &end);
		if (errno || end == v || *end || !(a->alpha > 0 && a->alpha < 1)) {
			snprintf(err, errlen, "--alpha '%s': expected a probability such as 0.01", v);
			return -EINVAL;
		}
		return 0;
	}
	case OPT_QUICK:
		a->quick = 1;
		return 0;
	case OPT_FULL:
		a->full = 1;
		return 0;
	case OPT_LONG:
		a->lng = 1;
		return 0;
	case OPT_HELP:
		a->help = 1;
		return 0;
	}
	return -EINVAL;
}

int cli_parse(enum cli_cmd cmd, int argc, char **argv, struct cli_args *a,
	      char *err, size_t errlen)
{
	/* The value each option was given, to refuse a second one: the
	 * last silently winning hides a typo in a long line.  --param is
	 * repeatable (one key each), and a flag given twice loses nothing. */
	const char *given[CLI_NOPTS] = { 0 };

	a->cmd = cmd;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *eq;
		const struct cli_opt *o = NULL;
		size_t len;

		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (arg[0] == '-' && arg[1] != '\0') {
				snprintf(err, errlen, "unknown option '%s' (see --help)", arg);
				return -EINVAL;
			}
			if (a->npos == CLI_MAX_POS) {
				snprintf(err, errlen, "too many arguments");
				return -EINVAL;
			}
			a->pos[a->npos++] = arg;
			continue;
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (size_t k = 0; k < CLI_NOPTS; k++)
			if (strlen(cli_opts[k].name) == len && strncmp(cli_opts[k].name, arg, len) == 0)
				o = &cli_opts[k];
		if (!o || !(o->cmds & cmd)) {
			snprintf(err, errlen, "unknown option '--%.*s' for this command (see --help)",
				 (int)len, arg);
			return -EINVAL;
		}
		if (o->arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				snprintf(err, errlen, "--%s needs a value: %s", o->name, o->arg);
				return -EINVAL;
			}
		} else if (eq) {
			snprintf(err, errlen, "--%s takes no value", o->name);
			return -EINVAL;
		}
		if (o->arg && o->id != OPT_PARAM && given[o - cli_opts]) {
			snprintf(err, errlen, "--%s is given twice ('%s', then '%s'); give it once%s",
				 o->name, given[o - cli_opts], val, o->id == OPT_THREADS ||
				 o->id == OPT_PLACEMENT ? ", as one list" : "");
			return -EINVAL;
		}
		given[o - cli_opts] = val;
		if (cli_option(o, val, a, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	for (int i = 0; i < a->nparam; i++)
		for (int k = 0; k < a->param[i].nvalues; k++)
			free(a->param[i].values[k]);
	a->nparam = 0;
}
