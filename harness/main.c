/*
 * harness/main.c - `contend`: one table of commands, and the small
 * commands (list, env, run, plot, compare); sweep has sweep.c.  cmd.h
 * says the exit statuses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/ab.h"
#include "harness/cli.h"
#include "harness/clock.h"
#include "harness/cmd.h"
#include "harness/compare.h"
#include "harness/engine.h"
#include "harness/envinfo.h"
#include "harness/history.h"
#include "harness/merge.h"
#include "harness/outset.h"
#include "harness/plot.h"
#include "harness/report.h"
#include "harness/report_json.h"
#include "harness/report_warn.h"
#include "harness/runner.h"
#include "harness/topo.h"

/* ---- list, env ------------------------------------------------------------ */

static int cmd_list(const struct cli_args *a)
{
	if (a->npos)
		return cmd_bad_input("list takes no arguments");
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
		if (d->baseline && d->baseline_note)
			printf("    net of: %s\n", d->baseline_note);
	}
	return 0;
}

static int cmd_env(const struct cli_args *a)
{
	static const char *const policies[] = {
		"compact", "scatter", "same-core", "cross-core", "none",
	};
	struct envinfo e;
	struct ctr_set set;
	char why[CTR_MAX][CTR_NAME_MAX * 2], err[300], tree[8192];

	if (a->npos)
		return cmd_bad_input("env takes no arguments");
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
		static struct topo_placement p;
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
	printf("\nclock\n  source %s: %s\n  read overhead %.1f ns, resolution %.2f ns, "
	       "two back-to-back reads %llu ns (median)\n",
	       ci->source, ci->note, ci->read_ns, ci->resolution_ns,
	       (unsigned long long)ci->pair_ns);

	if (ctr_parse(CTR_DEFAULT, &set, err, sizeof(err)) < 0)
		return cmd_bad_input("%s", err);
	int ok = ctr_probe(&set, why);
	printf("\ncounters (libpfm4 + perf_event_open, kernel time included): %d of %d work here\n",
	       ok, set.n);
	for (int i = 0; i < set.n; i++)
		printf("  %-18s %s\n", set.name[i], why[i][0] ? why[i] : "ok");
	return 0;
}

/* ---- run ------------------------------------------------------------------ */

static int cmd_run(const struct cli_args *a)
{
	static struct report r;
	static struct envinfo e;
	struct engine_defaults d = { 0 };
	struct engine_plan *plan = NULL;
	struct outset o = { .n = 0 };
	char err[600], what[PATH_MAX + 16];
	const char *out = a->out ? a->out : "-";
	unsigned long long seed = cmd_seed(a);
	int ret, status, iout, isamples = -1, ihist = -1;
	int json = a->format && !strcmp(a->format, "json");

	if (ctr_parse(a->counters ? a->counters : CTR_DEFAULT, &r.ctrs, err, sizeof(err)) < 0)
		return cmd_bad_input("%s", err);
	if ((ret = engine_plan(a, &d, &plan, err, sizeof(err))) < 0) {
		status = ret == -EINVAL ? cmd_bad_input("%s", err) : 1;
		goto out;
	}
	if (a->samples && outset_same_destination(out, a->samples)) {
		status = cmd_bad_input("--out and --samples name the same file (%s); give two "
				       "names", a->samples);
		goto out;
	}
	/* Every destination is checked, and its temporary file made, before
	 * the first configuration runs. */
	snprintf(what, sizeof(what), "--out %s", out);
	iout = outset_open(&o, out, what, err, sizeof(err));
	if (iout >= 0 && a->samples) {
		snprintf(what, sizeof(what), "--samples %s", a->samples);
		isamples = outset_open(&o, a->samples, what, err, sizeof(err));
	}
	if (a->histograms && (outset_same_destination(out, a->histograms) ||
			      (a->samples && outset_same_destination(a->samples, a->histograms)))) {
		status = cmd_bad_input("--histograms %s names the same file as --out or --samples; "
				       "give each its own name", a->histograms);
		goto out;
	}
	if (iout >= 0 && (!a->samples || isamples >= 0) && a->histograms) {
		snprintf(what, sizeof(what), "--histograms %s", a->histograms);
		ihist = outset_open(&o, a->histograms, what, err, sizeof(err));
	}
	if (iout < 0 || (a->samples && isamples < 0) || (a->histograms && ihist < 0)) {
		status = cmd_bad_input("%s", err);
		goto out;
	}
	cmd_run_id(r.run_id, sizeof(r.run_id));
	envinfo_collect(&e, r.run_id, seed);	/* the machine before we load it */
	ret = engine_exec(plan, &r, seed);
	report_warn(&r, a->verbose, NULL);
	status = cmd_finish_status(ret, &r);
	if (json && report_json(&r, &e, o.f[iout]) < 0) {
		/* Out of memory building the document: write nothing rather
		 * than an empty file. */
		fprintf(stderr, "contend: out of memory writing the JSON; no result file written\n");
		status = 1;
		goto out;
	}
	if (!json)
		report_csv(&r, NULL, o.w[iout]);
	if (isamples >= 0)
		report_samples(&r, NULL, o.w[isamples]);
	if (ihist >= 0)
		report_histograms(&r, NULL, o.w[ihist]);
	if (outset_commit_all(&o))
		status = 1;
out:
	/* After a commit the set is empty and this drops nothing. */
	outset_abort_all(&o);
	engine_plan_free(plan);
	report_free(&r);
	return status;
}

/* ---- plot, compare -------------------------------------------------------- */

static int cmd_plot(const struct cli_args *a)
{
	if (a->npos != 1)
		return cmd_bad_input("plot takes one run folder, e.g. contend plot results/latest");
	return plot_render(a->pos[0]);
}

static int cmd_compare(const struct cli_args *a)
{
	if (a->npos != 2)
		return cmd_bad_input("compare takes two runs: contend compare BASE NEW");
	return compare_runs_at(a->pos[0], a->pos[1], a->threshold > 0 ? a->threshold : 5.0,
			       a->alpha > 0 ? a->alpha : 0.01);
}

/* ---- main ----------------------------------------------------------------- */

static const struct command {
	const char *name;
	enum cli_cmd cmd;
	const char *usage, *what;
	int (*fn)(const struct cli_args *a);
	int needs_machine;	/* topology and clock */
} commands[] = {
	{ "list", CLI_LIST, "contend list [--long]", "list the benchmarks, one a line", cmd_list, 0 },
	{ "env", CLI_ENV, "contend env",
	  "show topology, placements, clock and the counters that work here", cmd_env, 1 },
	{ "run", CLI_RUN, "contend run BENCH... [options]",
	  "run benchmarks (globs like 'ctx.*' allowed) and write CSV", cmd_run, 1 },
	{ "sweep", CLI_SWEEP, "contend sweep [--preset quick|full|PLANFILE] [--out DIR | --resume DIR]",
	  "run a whole sweep into a run folder of its own (results.csv, samples.csv, env.csv, "
	  "plan.txt)", cmd_sweep, 1 },
	{ "plot", CLI_PLOT, "contend plot DIR", "render every chart of a run folder with gnuplot",
	  cmd_plot, 0 },
	{ "compare", CLI_COMPARE, "contend compare BASE NEW [--threshold PCT] [--alpha A]",
	  "regression table of two runs (folders or results files); exit 1 on a significant "
	  "regression", cmd_compare, 0 },
	{ "ab", CLI_RUN, "contend ab BASE_BIN NEW_BIN BENCH... [run options] [--block N] "
	  "[--threshold PCT] [--alpha A]",
	  "two builds run interleaved on this machine, then compared; exit 1 on a significant "
	  "regression", NULL, 1 },
	{ "history", CLI_RUN, "contend history append HISTDIR RUNDIR | check FILE | plot FILE DIR",
	  "a results history per machine: append a run, find persistent shifts, draw "
	  "timelines", NULL, 0 },
	{ "merge", CLI_RUN, "contend merge DIR... --out DIR",
	  "join run folders of several hosts into one dataset (host a column)", NULL, 0 },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: contend COMMAND [options]\n\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-26s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n'contend COMMAND --help' shows a command's usage and options.\n");
}

static void command_names(char *buf, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < NCOMMANDS; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", commands[i].name,
					i + 2 == NCOMMANDS ? " or " : i + 1 < NCOMMANDS ? ", " : "");
}

/* What went to stdout must have arrived: a full disk is a failure. */
static int stdout_status(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "contend: cannot write to standard output: %s\n", strerror(errno));
		return status ? status : 1;
	}
	return status;
}

int main(int argc, char **argv)
{
	static struct cli_args a;
	const struct command *c = NULL;
	char err[600], names[200];
	int ret;

	command_names(names, sizeof(names));
	if (argc < 2)
		return cmd_bad_input("no command given (expected %s; see contend --help)", names);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return stdout_status(0);
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			c = &commands[i];
	if (!c)
		return cmd_bad_input("unknown command '%s' (expected %s)", argv[1], names);
	if (!c->fn) {
		/* A command that parses its own arguments (ab.h). */
		if (c->needs_machine) {
			if ((ret = topo_init()) < 0)
				return cmd_bad_input("hwloc cannot read this machine's topology: "
						     "%s", strerror(-ret));
			clk_init();
		}
		runner_install_signals();
		int (*own)(int, char **) = !strcmp(c->name, "ab")      ? cmd_ab
					   : !strcmp(c->name, "merge") ? cmd_merge
								       : cmd_history;

		return stdout_status(own(argc - 2, argv + 2));
	}
	if (cli_parse(c->cmd, argc - 2, argv + 2, &a, err, sizeof(err)) < 0)
		return cmd_bad_input("%s", err);
	if (a.help) {
		cli_help(c->cmd, c->usage, c->what, stdout);
		return stdout_status(0);
	}
	if (c->needs_machine) {
		if ((ret = topo_init()) < 0)
			return cmd_bad_input("hwloc cannot read this machine's topology: %s",
					 strerror(-ret));
		clk_init();
	}
	runner_install_signals();
	ret = c->fn(&a);
	cli_args_free(&a);
	return stdout_status(ret);
}
