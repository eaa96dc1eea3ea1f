/*
 * harness/sweep.c - `contend sweep`: a plan of `run` lines (a preset or
 * a plan file) run into a run folder of its own, every file of which is
 * published together; --resume finishes a sweep that was cut short.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/engine.h"
#include "harness/envinfo.h"
#include "harness/journal.h"
#include "harness/outfile.h"
#include "harness/outset.h"
#include "harness/report.h"
#include "harness/report_warn.h"
#include "harness/resume.h"
#include "harness/runner.h"

#define SWEEP_MAX_LINES 256
#define SWEEP_MAX_ARGS 64
/* A longer plan line is almost surely a file that is not a plan. */
#define SWEEP_LINE_MAX 4096
/* 4 MiB: every plan line at its longest, with room for comments. */
#define SWEEP_PLAN_MAX (4 << 20)

struct sweep_line {
	char *text;		/* the line as written */
	char *words;		/* its split copy, which argv points into */
	char *argv[SWEEP_MAX_ARGS];
	int argc;
	int lineno;
};

/* Split on blanks; single quotes group (as a shell would for 'ctx.*'). */
static int sweep_split(struct sweep_line *l)
{
	char *p = l->words;

	l->argc = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return 0;
		if (l->argc == SWEEP_MAX_ARGS)
			return -E2BIG;
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

static void sweep_lines_free(struct sweep_line *lines, int n)
{
	for (int i = 0; i < n; i++) {
		free(lines[i].text);
		free(lines[i].words);
	}
}

/* Add one plan line; 1 if it holds arguments, 0 for a blank or comment,
 * -1 with err set. */
static int sweep_add(struct sweep_line *l, const char *text, int lineno, const char *src,
		     char *err, size_t errlen)
{
	int r;

	l->text = strdup(text);
	l->words = strdup(text);
	l->lineno = lineno;
	if (!l->text || !l->words) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((r = sweep_split(l)) < 0) {
		snprintf(err, errlen, "%s:%d: %s", src, lineno, r == -E2BIG ?
			 "more than 64 words on one line" : "unbalanced quote");
		return -1;
	}
	return l->argc > 0;
}

/*
 * A plan file for reading, or NULL with errno: a regular file only,
 * opened without waiting (a FIFO would block in open() for ever), else
 * ENOTSUP; larger than SWEEP_PLAN_MAX, EFBIG (the line limits below
 * then bound what one getline() can take).
 */
static FILE *sweep_plan_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), e;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, st) < 0)
		e = errno;
	else if (!S_ISREG(st->st_mode))
		e = ENOTSUP;
	else if (st->st_size > SWEEP_PLAN_MAX)
		e = EFBIG;
	else if ((f = fdopen(fd, "r")))
		return f;
	else
		e = errno;
	close(fd);
	errno = e;
	return NULL;
}

/*
 * The plan: a preset (quick, full) or a plan file, one line of `run`
 * arguments per configuration group.  Every line is read whole: one
 * too long for the buffer, a NUL byte or too many lines is an error.
 * *counters gets a "# counters: LIST" comment's list (plan.txt records
 * the sweep's), or NULL.
 */
/*
 * The presets, one plan line each, so that every family (a new one too)
 * is in them and their configurations run in one shuffled order.  Each
 * carries its repetition length and a budget per configuration that the
 * sweep's own --min-time or --timeout replaces: a configuration of the
 * quick sweep lasts a second or two and of the full one a few seconds,
 * so a FIFO spinning lock whose handovers wait for a preempted waiter (a
 * convoy on a loaded machine, which can stretch a round from 20 ms to
 * minutes) fails with the budget named instead of holding the sweep.
 */
#define SWEEP_QUICK_TIMEOUT_S 20
#define SWEEP_FULL_MIN_TIME_S 0.05
#define SWEEP_FULL_TIMEOUT_S 30

static void sweep_preset_line(const char *preset, const struct cli_args *a, char *buf,
			      size_t len)
{
	int quick = strcmp(preset, "quick") == 0;
	double min_time = a->min_time > 0 ? a->min_time : quick ? 0 : SWEEP_FULL_MIN_TIME_S;
	double timeout = a->timeout > 0 ? a->timeout :
			 quick ? SWEEP_QUICK_TIMEOUT_S : SWEEP_FULL_TIMEOUT_S;
	int off = snprintf(buf, len, "'*' %s", quick ? "--quick" : "--full");

	if (min_time > 0)
		off += snprintf(buf + off, len - (size_t)off, " --min-time %g", min_time);
	snprintf(buf + off, len - (size_t)off, " --timeout %g", timeout);
}

static int sweep_plan(const char *preset, const struct cli_args *a, struct sweep_line *lines,
		      int *n, char **counters, char *err, size_t errlen)
{
	char line[200];

	struct stat st;
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, r;

	*n = 0;
	*counters = NULL;
	if (strcmp(preset, "quick") == 0 || strcmp(preset, "full") == 0) {
		sweep_preset_line(preset, a, line, sizeof(line));
		r = sweep_add(&lines[0], line, 0, preset, err, errlen);
		*n = r > 0;
		return r < 0 ? -EINVAL : 0;
	}
	if (stat(preset, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--preset %.300s: is a folder, not a plan file (quick, full, or a "
			 "file of 'run' argument lines)", preset);
		return -EINVAL;
	}
	f = sweep_plan_open(preset, &st);
	if (!f) {
		snprintf(err, errlen, "--preset %.300s: not quick or full, and not a readable plan "
			 "file (%s)", preset, errno == ENOTSUP ? "not a regular file: a FIFO, device "
			 "or socket is never read" : errno == EFBIG ? "larger than the 4 MiB a plan may be" :
			 strerror(errno));
		return -EINVAL;
	}
	r = 0;
	while (r == 0 && (len = getline(&buf, &cap, f)) >= 0) {
		lineno++;
		if (memchr(buf, '\0', (size_t)len)) {
			snprintf(err, errlen, "%.300s:%d: a NUL byte: not a plan file", preset, lineno);
			r = -EINVAL;
		} else if (len > SWEEP_LINE_MAX) {
			snprintf(err, errlen, "%.300s:%d: line longer than %d characters", preset, lineno,
				 SWEEP_LINE_MAX);
			r = -EINVAL;
		} else if (*n == SWEEP_MAX_LINES) {
			snprintf(err, errlen, "%.300s: more than %d plan lines", preset, SWEEP_MAX_LINES);
			r = -EINVAL;
		} else {
			buf[strcspn(buf, "\r\n")] = '\0';
			if (strncmp(buf, "# counters: ", 12) == 0 && !*counters)
				*counters = strdup(buf + 12);
			int got = sweep_add(&lines[*n], buf, lineno, preset, err, errlen);
			if (got < 0)
				r = -EINVAL;
			else if (got)
				(*n)++;
			else
				sweep_lines_free(&lines[*n], 1);
		}
	}
	if (r == 0 && ferror(f)) {
		snprintf(err, errlen, "%.300s: %s", preset, strerror(errno));
		r = -EINVAL;
	}
	free(buf);
	fclose(f);
	if (r == 0 && *n == 0) {
		snprintf(err, errlen, "%.300s: the plan has no lines (each line holds 'run' arguments, "
			 "e.g. 'ctx.*' --quick)", preset);
		r = -EINVAL;
	}
	return r;
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

/*
 * Take a run folder for this sweep alone.  Without --out: results/<id>,
 * and results/<id>-2, -3, ... when a sweep started in the same second
 * took it (ids stay unique and sortable by time); the id is the folder's
 * name.  With --out DIR: DIR, which must not exist yet.  0, or -1 with err.
 */
static int sweep_take_folder(const struct cli_args *a, char *run_id, size_t idlen, char *dir,
			     size_t dirlen, char *err, size_t errlen)
{
	char base[64];

	if (a->out) {
		snprintf(dir, dirlen, "%s", a->out);
		if (mkdir(dir, 0777) == 0)
			return 0;
		if (errno == EEXIST)
			snprintf(err, errlen, "--out %.300s: exists already; give a new folder, or "
				 "--resume %.300s to finish the sweep it holds", dir, dir);
		else
			snprintf(err, errlen, "--out %.300s: cannot create the run folder: %s", dir,
				 strerror(errno));
		return -1;
	}
	snprintf(base, sizeof(base), "%s", run_id);
	if (mkdir("results", 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create results/: %s", strerror(errno));
		return -1;
	}
	for (int k = 1; k < 1000; k++) {
		if (k > 1)
			snprintf(run_id, idlen, "%.48s-%d", base, k);
		snprintf(dir, dirlen, "results/%s", run_id);
		if (mkdir(dir, 0777) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	snprintf(err, errlen, "cannot create a run folder under results/: %s", strerror(errno));
	return -1;
}

/* Drop from the plans what the earlier part of the run completed. */
static void sweep_drop_done(struct engine_plan **plans, int n, const struct csv_table *res)
{
	int c[5];
	static const char *const key[] = { "bench", "mode", "placement", "threads", "params" };

	for (int k = 0; k < 5; k++)
		if ((c[k] = csv_table_col(res, key[k])) < 0)
			return;
	for (int p = 0; p < n; p++)
		for (int j = 0; j < engine_plan_size(plans[p]); j++) {
			char want[600], have[600];

			engine_job_key(plans[p], j, want, sizeof(want));
			for (size_t i = 0; i < res->nrows; i++) {
				char **row = res->rows[i];

				snprintf(have, sizeof(have), "%s %s %s %s %s", row[c[0]], row[c[1]],
					 row[c[2]], row[c[3]], row[c[4]]);
				if (strcmp(want, have) == 0) {
					engine_plan_drop(plans[p], j);
					break;
				}
			}
		}
}

/* plan.txt: the plan lines with the sweep's own options folded in, so
 * that --resume reruns exactly what was asked.  A line's own --reps (or
 * --min-time, --timeout, --quick) is what it ran with, and is not given
 * twice. */
static void sweep_plan_text(struct outfile *f, const struct sweep_line *lines,
			    const struct cli_args *la, int n, const struct cli_args *a,
			    const char *counters)
{
	static const char head[] = "# contend sweep plan: one line of 'run' arguments per "
				   "configuration group\n# counters: ";

	outfile_write(f, head, sizeof(head) - 1);
	outfile_write(f, counters, strlen(counters));
	outfile_write(f, "\n", 1);
	for (int i = 0; i < n; i++) {
		char extra[200] = "";
		int off = 0;

		if (a->reps && !la[i].reps)
			off += snprintf(extra + off, sizeof(extra) - (size_t)off, " --reps %d",
					a->reps);
		if (a->min_time > 0 && !(la[i].min_time > 0))
			off += snprintf(extra + off, sizeof(extra) - (size_t)off, " --min-time %.17g",
					a->min_time);
		if (a->timeout > 0 && !(la[i].timeout > 0))
			off += snprintf(extra + off, sizeof(extra) - (size_t)off, " --timeout %.17g",
					a->timeout);
		if (a->quick && !la[i].quick)
			off += snprintf(extra + off, sizeof(extra) - (size_t)off, " --quick");
		if (a->full && !la[i].full)
			snprintf(extra + off, sizeof(extra) - (size_t)off, " --full");
		outfile_write(f, lines[i].text, strlen(lines[i].text));
		outfile_write(f, extra, strlen(extra));
		outfile_write(f, "\n", 1);
	}
}

/*
 * plan.txt (want_plan) and env.csv (want_env) published before the first
 * configuration runs, so that a sweep killed outright can be resumed.
 * 0, or 1 after saying why not.
 */
static int sweep_publish_early(const char *dir, int want_plan, int want_env,
			       const struct sweep_line *lines, const struct cli_args *la, int n,
			       const struct cli_args *a, const char *counters,
			       const struct envinfo *e)
{
	struct outset o = { .n = 0 };
	char path[PATH_MAX + 32], err[700];
	int ip = -1, ie = -1;

	snprintf(path, sizeof(path), "%s/plan.txt", dir);
	if (want_plan && (ip = outset_open(&o, path, path, err, sizeof(err))) < 0)
		goto bad;
	snprintf(path, sizeof(path), "%s/env.csv", dir);
	if (want_env && (ie = outset_open(&o, path, path, err, sizeof(err))) < 0)
		goto bad;
	if (ip >= 0)
		sweep_plan_text(o.f[ip], lines, la, n, a, counters);
	if (ie >= 0)
		envinfo_csv(e, o.w[ie]);
	return outset_commit_all(&o);
bad:
	outset_abort_all(&o);
	fprintf(stderr, "contend: %s\n", err);
	return 1;
}

int cmd_sweep(const struct cli_args *a)
{
	static struct sweep_line lines[SWEEP_MAX_LINES];
	static struct report r;
	static struct cli_args la[SWEEP_MAX_LINES];
	static struct engine_plan *plans[SWEEP_MAX_LINES];
	static struct envinfo e;
	struct engine_defaults d = {
		.reps = a->reps, .min_time = a->min_time, .timeout = a->timeout, .quick = a->quick,
		.full = a->full,
	};
	struct resume_before before = { 0 };
	static struct journal jn;
	struct outset o = { .n = 0 };
	char err[700], dir[PATH_MAX], path[PATH_MAX + 32], planfile[PATH_MAX + 32];
	char *plan_counters = NULL, est[32];
	struct progress g;
	double expect_s = 0;
	int todo = 0;
	const char *preset = a->preset ? a->preset : "quick", *counters;
	unsigned long long seed = cmd_seed(a);
	int nlines = 0, ret = 0, status = CMD_EXIT_BAD_INPUT, ia, ib, made_dir = 0;
	enum { F_RESULTS, F_SAMPLES, F_HIST, F_ENV, F_PLAN, F_FAILED, F_SKIPPED, F_WARN, F_N };
	static const char *const fname[F_N] = {
		"results.csv", "samples.csv", "histograms.csv", "env.csv", "plan.txt",
		"failures.csv", "skipped.csv", "warnings.csv",
	};
	int idx[F_N];

	if (a->npos)
		return cmd_bad_input("sweep takes no benchmark names: put them in a plan file "
				 "(--preset PLANFILE)");
	if (a->resume && a->out)
		return cmd_bad_input("--resume DIR names the run folder; --out is not needed with it");
	if (a->resume) {
		snprintf(planfile, sizeof(planfile), "%s/plan.txt", a->resume);
		if (access(planfile, R_OK) < 0)
			return cmd_bad_input("--resume %s: not a run folder of contend sweep (no readable "
					 "plan.txt: %s)", a->resume, strerror(errno));
		struct stat st;

		if (stat(planfile, &st) == 0 && S_ISDIR(st.st_mode))
			return cmd_bad_input("--resume %s: its plan.txt is a folder, not the plan file "
					 "the sweep wrote there", a->resume);
		if (!a->preset)
			preset = planfile;
	}
	if (sweep_plan(preset, a, lines, &nlines, &plan_counters, err, sizeof(err)) < 0) {
		status = cmd_bad_input("%s", err);
		goto out;
	}
	counters = a->counters ? a->counters : plan_counters ? plan_counters : CTR_DEFAULT;
	if (ctr_parse(counters, &r.ctrs, err, sizeof(err)) < 0) {
		status = cmd_bad_input("%s", err);
		goto out;
	}
	/* Check every line before running any, so a typo on line 9 does not
	 * waste the eight before it. */
	for (int i = 0; i < nlines; i++) {
		char why[500];

		if (cli_parse(CLI_RUN, lines[i].argc, lines[i].argv, &la[i], why, sizeof(why)) < 0) {
			status = cmd_bad_input("plan line %d: %s", lines[i].lineno, why);
			goto out;
		}
		if (la[i].out || la[i].format || la[i].samples || la[i].counters ||
		    la[i].seed_given || la[i].help || la[i].verbose) {
			status = cmd_bad_input("plan line %d: --out, --format, --samples, --counters, "
					   "--seed, --verbose and --help belong to the sweep, not "
					   "to a line", lines[i].lineno);
			goto out;
		}
		if ((ret = engine_plan(&la[i], &d, &plans[i], why, sizeof(why))) < 0) {
			status = ret == -EINVAL ? cmd_bad_input("plan line %d: %s", lines[i].lineno, why) : 1;
			goto out;
		}
	}
	if (engine_find_duplicate(plans, nlines, &ia, &ib, err, sizeof(err))) {
		if (ia == ib)
			status = cmd_bad_input("plan line %d runs %s twice", lines[ia].lineno, err);
		else
			status = cmd_bad_input("plan lines %d and %d both run %s; each configuration "
					   "belongs to one line", lines[ia].lineno,
					   lines[ib].lineno, err);
		goto out;
	}

	cmd_run_id(r.run_id, sizeof(r.run_id));
	if (a->resume) {
		snprintf(dir, sizeof(dir), "%s", a->resume);
		if ((ret = resume_load(dir, &r, &before, err, sizeof(err))) < 0) {
			status = ret == -EINVAL ? cmd_bad_input("--resume %s: %s", dir, err) : 1;
			goto out;
		}
		if (before.cut)
			fprintf(stderr, "contend: notice: --resume %s: %zu configuration%s with "
				"incomplete rows (a file cut short?) run%s again\n", dir, before.cut,
				before.cut == 1 ? "" : "s", before.cut == 1 ? "s" : "");
		sweep_drop_done(plans, nlines, &before.res);
		/* A sweep killed outright left its unpublished files. */
		journal_clean(dir, fname, F_N);
	} else if (sweep_take_folder(a, r.run_id, sizeof(r.run_id), dir, sizeof(dir), err,
				     sizeof(err)) < 0) {
		status = cmd_bad_input("%s", err);
		goto out;
	} else {
		made_dir = 1;
	}
	/* Every file the run may write, opened now: a folder we cannot
	 * write to is refused before any work. */
	for (int f = 0; f < F_N; f++) {
		char what[PATH_MAX + 40];

		snprintf(path, sizeof(path), "%s/%s", dir, fname[f]);
		snprintf(what, sizeof(what), "%s", path);
		if ((idx[f] = outset_open(&o, path, what, err, sizeof(err))) < 0) {
			outset_abort_all(&o);
			if (made_dir)
				rmdir(dir);
			status = cmd_bad_input("%s", err);
			goto out;
		}
		snprintf(o.stale[idx[f]], sizeof(o.stale[0]), "%s", path);
	}
	/* A resumed run keeps the plan and the machine it started with;
	 * where env.csv was lost, the machine as the resume finds it. */
	if (a->resume) {
		outset_drop(&o, idx[F_PLAN]);
		o.stale[idx[F_PLAN]][0] = '\0';
		if (before.have_env) {
			outset_drop(&o, idx[F_ENV]);
			o.stale[idx[F_ENV]][0] = '\0';
		}
	}
	for (int i = 0; i < nlines; i++) {
		todo += engine_plan_todo(plans[i]);
		expect_s += engine_plan_expect_s(plans[i], r.ctrs.n > 0);
	}
	progress_clock(expect_s, est, sizeof(est));
	fprintf(stderr, "contend: sweep %s %s %s (%d plan line%s): %d configuration%s, "
		"estimated %s\n", r.run_id, a->resume ? "resumed in" : "into", dir, nlines,
		nlines == 1 ? "" : "s", todo, todo == 1 ? "" : "s", est);
	/* The machine as the sweep found it (load, frequency) before we
	 * loaded it ourselves. */
	envinfo_collect(&e, r.run_id, seed);
	err[0] = '\0';
	if (sweep_publish_early(dir, !a->resume, !a->resume || !before.have_env, lines, la,
				nlines, a, counters, &e) ||
	    journal_start(&jn, dir, &r, a->resume ? &before : NULL, err, sizeof(err)) < 0) {
		if (err[0])
			fprintf(stderr, "contend: %s\n", err);
		outset_abort_all(&o);
		status = 1;
		goto out;
	}
	progress_init(&g, todo, expect_s);
	ret = 0;
	for (int i = 0; i < nlines && ret == 0; i++)
		ret = engine_exec_with(plans[i], &r, seed + (unsigned long long)i, &g,
				       journal_add, &jn);
	progress_finish(&g);
	journal_close(&jn);
	progress_clock(progress_elapsed_s(&g), est, sizeof(est));
	fprintf(stderr, "contend: sweep took %s\n", est);

	snprintf(path, sizeof(path), "%s/warnings.csv", dir);
	size_t nwarn = report_warn(&r, a->verbose, path);
	status = cmd_finish_status(ret, &r);
	report_csv(&r, before.res.header ? &before.res : NULL, o.w[idx[F_RESULTS]]);
	report_samples(&r, before.smp.header ? &before.smp : NULL, o.w[idx[F_SAMPLES]]);
	report_histograms(&r, before.hist.header ? &before.hist : NULL, o.w[idx[F_HIST]]);
	if (o.w[idx[F_ENV]])
		envinfo_csv(&e, o.w[idx[F_ENV]]);
	if (o.f[idx[F_PLAN]])
		sweep_plan_text(o.f[idx[F_PLAN]], lines, la, nlines, a, counters);
	struct { int f; enum runner_status s; } outcome[] = {
		{ F_FAILED, RUNNER_FAILED }, { F_SKIPPED, RUNNER_SKIPPED },
	};
	for (size_t k = 0; k < 2; k++) {
		if (report_count(&r, outcome[k].s))
			report_outcomes(&r, outcome[k].s, o.w[idx[outcome[k].f]]);
		else
			outset_drop(&o, idx[outcome[k].f]);
	}
	/* The earlier part's warnings stay: a resumed sweep's warnings.csv
	 * is a whole sweep's. */
	if (nwarn || before.warn.nrows)
		report_warnings_csv(&r, before.warn.header ? &before.warn : NULL,
				    o.w[idx[F_WARN]]);
	else
		outset_drop(&o, idx[F_WARN]);
	if (outset_commit_all(&o))
		status = 1;
	else if (!a->out && !a->resume)
		sweep_link_latest(dir);
	printf("%s\n", dir);
out:
	for (int i = 0; i < nlines; i++) {
		engine_plan_free(plans[i]);
		plans[i] = NULL;
		cli_args_free(&la[i]);
	}
	sweep_lines_free(lines, nlines);
	free(plan_counters);
	resume_free(&before);
	report_free(&r);
	return status;
}
