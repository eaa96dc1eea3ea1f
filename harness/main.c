/*
 * harness/main.c - `contend`: dispatch to list, env, run, sweep, plot.
 *
 * Exit status: 0 success; 1 some configuration failed (the rest are
 * written); 2 bad input (one line on stderr, nothing written);
 * 130 interrupted (what completed is written).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/clock.h"
#include "harness/compare.h"
#include "harness/engine.h"
#include "harness/envinfo.h"
#include "harness/plot.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/topo.h"

#define EXIT_BAD_INPUT 2
#define EXIT_INTERRUPTED 130

static void usage(FILE *f)
{
	fprintf(f, "usage: contend COMMAND [options]\n\n"
		   "  list [--long]            benchmarks, one a line\n"
		   "  env                      topology, placements, clock, counters that work here\n"
		   "  run BENCH... [options]   run benchmarks (globs like 'ctx.*') and write CSV\n"
		   "  sweep [--preset quick|full|PLANFILE] [--out DIR]   a whole sweep into a run folder\n"
		   "  plot DIR                 render every chart of a run folder (PNG and SVG)\n"
		   "  compare BASE NEW [--threshold PCT]   regression table; exit 1 on a significant regression\n\n"
		   "'contend COMMAND --help' shows a command's options.\n");
}

static int bad_input(const char *msg)
{
	fprintf(stderr, "contend: %s\n", msg);
	return EXIT_BAD_INPUT;
}

static void make_run_id(char *buf, size_t len)
{
	char host[64];
	time_t now = time(NULL);
	struct tm tm;

	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	localtime_r(&now, &tm);
	snprintf(buf, len, "%04d%02d%02d-%02d%02d%02d-%.24s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host);
}

static unsigned long long pick_seed(const struct cli_args *a)
{
	return a->seed_given ? a->seed
			     : ((unsigned long long)time(NULL) << 20) ^ (unsigned long long)getpid();
}

/* ---- list ---------------------------------------------------------------- */

static int cmd_list(const struct cli_args *a)
{
	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if (d->hidden)
			continue;
		printf("%-24s %s\n", d->name, d->summary);
		if (!a->lng)
			continue;
		printf("    modes: %s%s%s   tasks: ", d->modes & BENCH_MODE_THREAD ? "thread" : "",
		       d->modes == (BENCH_MODE_THREAD | BENCH_MODE_PROCESS) ? "," : "",
		       d->modes & BENCH_MODE_PROCESS ? "process" : "");
		if (d->tasks)
			printf("%d (fixed)", d->tasks);
		else
			printf("--threads");
		printf("   placements: %s\n", d->placements ? d->placements : "none");
		for (int k = 0; d->params && d->params[k].name; k++)
			printf("    --param %s=%s   %s\n", d->params[k].name, d->params[k].def,
			       d->params[k].help);
		printf("    metrics:");
		for (const struct bench_metric *m = d->metrics; m->name; m++)
			printf(" %s (%s)", m->name, m->unit);
		printf("\n");
	}
	return 0;
}

/* ---- env ----------------------------------------------------------------- */

static int cmd_env(void)
{
	static const char *const policies[] = {
		"compact", "scatter", "same-core", "cross-core", "none",
	};
	struct envinfo e;
	struct ctr_set set;
	char why[CTR_MAX][96], err[300], tree[8192];

	envinfo_collect(&e, "-", 0);
	printf("machine\n");
	for (int i = 0; i < e.n; i++)
		if (strcmp(e.key[i], "run_id") && strcmp(e.key[i], "seed"))
			printf("  %-22s %s\n", e.key[i], e.value[i]);

	topo_describe(tree, sizeof(tree));
	printf("\ntopology (hwloc)\n");
	for (char *line = strtok(tree, "\n"); line; line = strtok(NULL, "\n"))
		printf("  %s\n", line);

	printf("\nplacement of 2 tasks (OS processor ids)\n");
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct topo_placement p;
		int cpus[2];

		topo_placement_parse(policies[i], &p, err, sizeof(err));
		if (topo_place(&p, 2, cpus, err, sizeof(err)) < 0)
			printf("  %-12s impossible here: %s\n", policies[i], err);
		else if (cpus[0] < 0)
			printf("  %-12s unbound (the scheduler decides)\n", policies[i]);
		else
			printf("  %-12s %d %d\n", policies[i], cpus[0], cpus[1]);
	}

	const struct clk_info *ci = clk_get_info();
	printf("\nclock\n  source %s: %s\n  read overhead %.1f ns, resolution %.2f ns\n",
	       ci->source, ci->note, ci->read_ns, ci->resolution_ns);

	if (ctr_parse(CTR_DEFAULT, &set, err, sizeof(err)) < 0)
		return bad_input(err);
	int ok = ctr_probe(&set, why);
	printf("\ncounters (libpfm4 + perf_event_open, kernel time included): %d of %d work here\n",
	       ok, set.n);
	for (int i = 0; i < set.n; i++)
		printf("  %-18s %s\n", set.name[i], why[i][0] ? why[i] : "ok");
	return 0;
}

/* ---- run ----------------------------------------------------------------- */

static int write_or_complain(int ret, const char *what)
{
	if (ret < 0)
		fprintf(stderr, "contend: cannot write %s: %s\n", what, strerror(-ret));
	return ret;
}

/* engine_exec's outcome as an exit status; a runner that could not start
 * (-errno) is a failure, but what completed before it is still written. */
static int finish_status(int engine_ret, const struct report *r)
{
	if (engine_ret < 0)
		return 1;
	if (engine_ret == 1) {
		fprintf(stderr, "contend: interrupted; %zu completed configurations written\n",
			r->n);
		return EXIT_INTERRUPTED;
	}
	if (report_failures(r)) {
		fprintf(stderr, "contend: %zu configurations failed (reasons above)\n",
			report_failures(r));
		return 1;
	}
	return 0;
}

static int cmd_run(const struct cli_args *a)
{
	static struct report r;
	static struct envinfo e;
	struct engine_defaults d = { 0 };
	struct engine_plan *plan;
	char err[400];
	const char *out = a->out ? a->out : "-";
	unsigned long long seed = pick_seed(a);
	int ret, status;

	if (ctr_parse(a->counters ? a->counters : CTR_DEFAULT, &r.ctrs, err, sizeof(err)) < 0)
		return bad_input(err);
	if ((ret = engine_plan(a, &d, &plan, err, sizeof(err))) < 0)
		return ret == -EINVAL ? bad_input(err) : 1;
	make_run_id(r.run_id, sizeof(r.run_id));
	envinfo_collect(&e, r.run_id, seed);	/* the machine before we load it */
	ret = engine_exec(plan, &r, seed);
	engine_plan_free(plan);
	report_warn(&r);
	status = finish_status(ret, &r);
	if (a->format && strcmp(a->format, "json") == 0) {
		if (write_or_complain(report_write_json(&r, &e, out), out) < 0)
			status = 1;
	} else if (write_or_complain(report_write_csv(&r, out), out) < 0) {
		status = 1;
	}
	if (a->samples && write_or_complain(report_write_samples(&r, a->samples), a->samples) < 0)
		status = 1;
	report_free(&r);
	return status;
}

/* ---- sweep --------------------------------------------------------------- */

#define SWEEP_MAX_LINES 64
#define SWEEP_MAX_ARGS 64

struct sweep_line {
	char text[1024];
	char *argv[SWEEP_MAX_ARGS];
	int argc;
	int lineno;
};

/* Split on blanks; single quotes group (as a shell would for 'ctx.*'). */
static int sweep_split(struct sweep_line *l)
{
	char *p = l->text;

	l->argc = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return 0;
		if (l->argc == SWEEP_MAX_ARGS)
			return -EINVAL;
		if (*p == '\'') {
			char *end = strchr(p + 1, '\'');
			if (!end)
				return -EINVAL;
			*end = '\0';
			l->argv[l->argc++] = p + 1;
			p = end + 1;
		} else {
			l->argv[l->argc++] = p;
			p += strcspn(p, " \t");
			if (*p)
				*p++ = '\0';
		}
	}
}

static int sweep_plan(const char *preset, struct sweep_line *lines, int *n, char *err,
		      size_t errlen)
{
	FILE *f;
	char buf[1024];
	int lineno = 0;

	*n = 0;
	if (strcmp(preset, "quick") == 0 || strcmp(preset, "full") == 0) {
		snprintf(lines[0].text, sizeof(lines[0].text), "'*'%s",
			 strcmp(preset, "quick") == 0 ? " --quick" : "");
		lines[0].lineno = 0;
		*n = 1;
		return sweep_split(&lines[0]);
	}
	f = fopen(preset, "r");
	if (!f) {
		snprintf(err, errlen, "--preset %s: not quick or full, and not a readable plan "
			 "file (%s)", preset, strerror(errno));
		return -EINVAL;
	}
	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		buf[strcspn(buf, "\r\n")] = '\0';
		if (*n == SWEEP_MAX_LINES) {
			snprintf(err, errlen, "%s: more than %d lines", preset, SWEEP_MAX_LINES);
			fclose(f);
			return -EINVAL;
		}
		snprintf(lines[*n].text, sizeof(lines[*n].text), "%s", buf);
		lines[*n].lineno = lineno;
		if (sweep_split(&lines[*n]) < 0) {
			snprintf(err, errlen, "%s:%d: unbalanced quote or too many words", preset,
				 lineno);
			fclose(f);
			return -EINVAL;
		}
		if (lines[*n].argc)
			(*n)++;
	}
	fclose(f);
	if (*n == 0) {
		snprintf(err, errlen, "%s: the plan has no lines (each line holds 'run' arguments, "
			 "e.g. 'ctx.*' --quick)", preset);
		return -EINVAL;
	}
	return 0;
}

/* results/latest -> this run, replaced atomically. */
static void sweep_link_latest(const char *dir)
{
	char parent[PATH_MAX], tmp[PATH_MAX + 16], link[PATH_MAX + 8];
	const char *base = strrchr(dir, '/');

	snprintf(parent, sizeof(parent), "%.*s", base ? (int)(base - dir) : 1, base ? dir : ".");
	snprintf(tmp, sizeof(tmp), "%s/.latest.tmp", parent);
	snprintf(link, sizeof(link), "%s/latest", parent);
	unlink(tmp);
	if (symlink(base ? base + 1 : dir, tmp) == 0 && rename(tmp, link) < 0)
		unlink(tmp);
}

static int cmd_sweep(const struct cli_args *a)
{
	static struct sweep_line lines[SWEEP_MAX_LINES];
	static struct report r;
	static struct cli_args la[SWEEP_MAX_LINES];
	static struct engine_plan *plans[SWEEP_MAX_LINES];
	struct engine_defaults d = {
		.reps = a->reps, .min_time = a->min_time, .timeout = a->timeout, .quick = a->quick,
	};
	char err[400], dir[PATH_MAX], path[PATH_MAX + 32];
	unsigned long long seed = pick_seed(a);
	struct envinfo e;
	int nlines, ret = 0, status;

	if (a->npos)
		return bad_input("sweep takes no benchmark names: put them in a plan file "
				 "(--preset PLANFILE)");
	if (ctr_parse(a->counters ? a->counters : CTR_DEFAULT, &r.ctrs, err, sizeof(err)) < 0)
		return bad_input(err);
	if (sweep_plan(a->preset ? a->preset : "quick", lines, &nlines, err, sizeof(err)) < 0)
		return bad_input(err);
	/* Parse every line before running any, so a typo on line 9 does not
	 * waste the eight before it. */
	for (int i = 0; i < nlines; i++) {
		char why[300];
		if (cli_parse(CLI_RUN, lines[i].argc, lines[i].argv, &la[i], why, sizeof(why)) < 0) {
			snprintf(err, sizeof(err), "plan line %d: %s", lines[i].lineno, why);
			return bad_input(err);
		}
		if (la[i].out || la[i].format || la[i].samples || la[i].counters) {
			snprintf(err, sizeof(err), "plan line %d: --out, --format, --samples and "
				 "--counters belong to the sweep, not to a line", lines[i].lineno);
			return bad_input(err);
		}
		if (engine_plan(&la[i], &d, &plans[i], why, sizeof(why)) < 0) {
			snprintf(err, sizeof(err), "plan line %d: %s", lines[i].lineno, why);
			return bad_input(err);
		}
	}
	make_run_id(r.run_id, sizeof(r.run_id));
	if (a->out)
		snprintf(dir, sizeof(dir), "%s", a->out);
	else
		snprintf(dir, sizeof(dir), "results/%s", r.run_id);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		snprintf(err, sizeof(err), "cannot create run folder %.300s: %s", dir,
			 strerror(errno));
		return bad_input(err);
	}
	fprintf(stderr, "contend: sweep %s into %s (%d plan line%s)\n", r.run_id, dir, nlines,
		nlines == 1 ? "" : "s");
	/* The machine as the sweep found it (load, frequency) before we
	 * loaded it ourselves. */
	envinfo_collect(&e, r.run_id, seed);
	for (int i = 0; i < nlines && ret == 0; i++)
		ret = engine_exec(plans[i], &r, seed + (unsigned long long)i);
	for (int i = 0; i < nlines; i++)
		engine_plan_free(plans[i]);
	report_warn(&r);
	status = finish_status(ret, &r);
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (write_or_complain(report_write_csv(&r, path), path) < 0)
		status = 1;
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	if (write_or_complain(report_write_samples(&r, path), path) < 0)
		status = 1;
	snprintf(path, sizeof(path), "%s/env.csv", dir);
	if (write_or_complain(envinfo_write_csv(&e, path), path) < 0)
		status = 1;
	if (report_failures(&r)) {
		snprintf(path, sizeof(path), "%s/failures.csv", dir);
		if (write_or_complain(report_write_failures(&r, path), path) < 0)
			status = 1;
	}
	if (!a->out)
		sweep_link_latest(dir);
	printf("%s\n", dir);
	for (int i = 0; i < nlines; i++)
		cli_args_free(&la[i]);
	report_free(&r);
	return status;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct { const char *name; enum cli_cmd cmd; } cmds[] = {
		{ "list", CLI_LIST }, { "env", CLI_ENV }, { "run", CLI_RUN },
		{ "sweep", CLI_SWEEP }, { "plot", CLI_PLOT }, { "compare", CLI_COMPARE },
	};
	static struct cli_args a;
	char err[400];
	int ret, found = -1;

	if (argc < 2)
		return bad_input("no command given (expected list, env, run, sweep, plot or "
				 "compare; see contend --help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			found = (int)i;
	if (found < 0) {
		snprintf(err, sizeof(err), "unknown command '%s' (expected list, env, run, sweep, "
			 "plot or compare)", argv[1]);
		return bad_input(err);
	}
	if (cli_parse(cmds[found].cmd, argc - 2, argv + 2, &a, err, sizeof(err)) < 0)
		return bad_input(err);
	if (a.help) {
		cli_help(cmds[found].cmd, stdout);
		return 0;
	}
	if ((a.cmd == CLI_LIST || a.cmd == CLI_ENV) && a.npos)
		return bad_input("this command takes no arguments");
	if ((ret = topo_init()) < 0) {
		snprintf(err, sizeof(err), "hwloc cannot read this machine's topology: %s",
			 strerror(-ret));
		return bad_input(err);
	}
	clk_init();
	runner_install_signals();
	switch (a.cmd) {
	case CLI_LIST:
		ret = cmd_list(&a);
		break;
	case CLI_ENV:
		ret = cmd_env();
		break;
	case CLI_RUN:
		ret = cmd_run(&a);
		break;
	case CLI_SWEEP:
		ret = cmd_sweep(&a);
		break;
	case CLI_PLOT:
		if (a.npos != 1)
			return bad_input("plot takes one run folder, e.g. contend plot results/latest");
		ret = plot_render(a.pos[0]);
		break;
	case CLI_COMPARE:
		if (a.npos != 2)
			return bad_input("compare takes two runs: contend compare BASE NEW");
		ret = compare_runs(a.pos[0], a.pos[1], a.threshold > 0 ? a.threshold : 5.0);
		break;
	}
	cli_args_free(&a);
	return ret;
}
