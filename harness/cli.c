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
	OPT_PARAM, OPT_COUNTERS, OPT_OUT, OPT_FORMAT, OPT_SAMPLES, OPT_QUICK, OPT_SEED,
	OPT_PRESET, OPT_LONG, OPT_THRESHOLD, OPT_HELP,
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
	  "libpfm4 event names, or none (default: cycles, instructions, cache and branch "
	  "misses, context switches, migrations, page faults)" },
	{ OPT_OUT, "out", "FILE|DIR", CLI_RUN | CLI_SWEEP,
	  "run: results file (default stdout); sweep: run folder (default results/<run-id>)" },
	{ OPT_FORMAT, "format", "csv|json", CLI_RUN,
	  "csv (DESIGN.md's columns) or json (Google Benchmark's schema)" },
	{ OPT_SAMPLES, "samples", "FILE", CLI_RUN,
	  "also write every repetition's raw value here" },
	{ OPT_QUICK, "quick", NULL, CLI_RUN | CLI_SWEEP,
	  "fewer and shorter repetitions: a smoke run" },
	{ OPT_SEED, "seed", "N", CLI_RUN | CLI_SWEEP,
	  "seed of the randomised configuration order (default: from the clock)" },
	{ OPT_PRESET, "preset", "quick|full|PLANFILE", CLI_SWEEP,
	  "what to sweep: quick, full, or a file of 'run' argument lines" },
	{ OPT_LONG, "long", NULL, CLI_LIST,
	  "also show modes, task counts, placements, parameters and metrics" },
	{ OPT_THRESHOLD, "threshold", "PCT", CLI_COMPARE,
	  "smallest change that counts, in percent (default 5)" },
	{ OPT_HELP, "help", NULL, CLI_LIST | CLI_ENV | CLI_RUN | CLI_SWEEP | CLI_PLOT | CLI_COMPARE,
	  "this help" },
};

#define CLI_NOPTS (sizeof(cli_opts) / sizeof(cli_opts[0]))

static const struct {
	enum cli_cmd cmd;
	const char *usage, *what;
} cli_cmds[] = {
	{ CLI_LIST, "contend list [--long]", "list the benchmarks, one a line" },
	{ CLI_ENV, "contend env",
	  "show topology, placements, clock and the counters that work here" },
	{ CLI_RUN, "contend run BENCH... [options]",
	  "run benchmarks (globs like 'ctx.*' allowed) and write CSV" },
	{ CLI_SWEEP, "contend sweep [--preset quick|full|PLANFILE] [--out DIR] [options]",
	  "run a whole sweep into a run folder (results.csv, samples.csv, env.csv)" },
	{ CLI_PLOT, "contend plot DIR", "render every chart of a run folder with gnuplot" },
	{ CLI_COMPARE, "contend compare BASE NEW [--threshold PCT]",
	  "regression table of two runs (folders or results files); exit 1 on a significant "
	  "regression" },
};

void cli_help(enum cli_cmd cmd, FILE *f)
{
	for (size_t i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (cli_cmds[i].cmd == cmd)
			fprintf(f, "usage: %s\n\n%s\n", cli_cmds[i].usage, cli_cmds[i].what);
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

/* Split a --placement list.  Commas separate policies, except inside a
 * cpus: list, which takes every following number or range. */
static int cli_placements(const char *text, struct cli_args *a, char *err, size_t errlen)
{
	char buf[512], *save = NULL;
	char cur[TOPO_NAME_MAX] = "";

	if (strlen(text) >= sizeof(buf) || text[0] == '\0') {
		snprintf(err, errlen, "--placement: expected a policy such as cross-core");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, ",", &save);; tok = strtok_r(NULL, ",", &save)) {
		int continues_cpus = tok && strncmp(cur, "cpus:", 5) == 0 &&
				     tok[strspn(tok, "0123456789-")] == '\0' && tok[0];

		if (continues_cpus) {
			size_t l = strlen(cur);
			snprintf(cur + l, sizeof(cur) - l, ",%s", tok);
			continue;
		}
		if (cur[0]) {
			if (a->nplace == CLI_MAX_PLACE) {
				snprintf(err, errlen, "--placement: at most %d policies", CLI_MAX_PLACE);
				return -EINVAL;
			}
			if (topo_placement_parse(cur, &a->place[a->nplace], err, errlen) < 0)
				return -EINVAL;
			a->nplace++;
		}
		if (!tok)
			break;
		snprintf(cur, sizeof(cur), "%s", tok);
	}
	return 0;
}

static int cli_param(const char *text, struct cli_args *a, char *err, size_t errlen)
{
	const char *eq = strchr(text, '=');
	struct cli_param *p;
	char *vals, *save = NULL;

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
	p = &a->param[a->nparam];
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%.*s", (int)(eq - text), text);
	vals = strdup(eq + 1);
	if (!vals)
		return -ENOMEM;
	if (eq[1] == ',' || eq[strlen(eq) - 1] == ',' || strstr(eq, ",,")) {
		snprintf(err, errlen, "--param '%s': empty value in the list", text);
		free(vals);
		return -EINVAL;
	}
	a->nparam++;	/* owns vals from here: freed by cli_args_free */
	for (char *v = strtok_r(vals, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		if (p->nvalues == CLI_MAX_VALUES) {
			snprintf(err, errlen, "--param %s: at most %d values", p->key, CLI_MAX_VALUES);
			return -EINVAL;
		}
		p->values[p->nvalues++] = v;
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
	case OPT_THRESHOLD: {
		char *end;
		errno = 0;
		a->threshold = strtod(v, &end);
		if (errno || end == v || *end || !(a->threshold > 0 && a->threshold <= 1000)) {
			snprintf(err, errlen, "--threshold '%s': expected a percentage such as 5", v);
			return -EINVAL;
		}
		return 0;
	}
	case OPT_QUICK:
		a->quick = 1;
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
		if (cli_option(o, val, a, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	for (int i = 0; i < a->nparam; i++)
		if (a->param[i].nvalues)
			free(a->param[i].values[0]);
	a->nparam = 0;
}
