/*
 * harness/ab.c - `contend ab BASE_BIN NEW_BIN [run options]`: two builds
 * measured interleaved on one machine, then compared.
 *
 * A shared machine drifts by several per cent over minutes (a neighbour
 * starts, the clock throttles), so a baseline measured earlier is a weak
 * reference.  Here both builds measure each configuration within seconds
 * of each other: configuration by configuration (in an order shuffled by
 * the seed), and inside a configuration repetition block by repetition
 * block in ABBA order (A B B A A B ...), so that a drift that is linear
 * over a block pair cancels.  Each block is one `run` of one build for
 * one configuration; the blocks of a build are then pooled into a run
 * folder of its own (DIR/base, DIR/new: results.csv recomputed from the
 * pooled repetitions, samples.csv every repetition) and compare.c
 * decides, with its threshold and its U test on the pooled samples.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/ab.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/compare.h"
#include "harness/csv.h"
#include "harness/engine.h"
#include "harness/export_bmf.h"
#include "harness/outfile.h"
#include "harness/runner.h"
#include "harness/stats.h"

extern char **environ;

#define AB_BLOCK_DEFAULT 5
/* Four blocks of five a side: a 30 % change is far beyond the U test's
 * reach (p ~ 1e-7), a 5 % one needs the pooling (README: ab). */
#define AB_REPS_DEFAULT 20
#define AB_MAX_ARGS 96

enum { AB_BASE, AB_NEW, AB_SIDES };
static const char *const ab_side_name[AB_SIDES] = { "base", "new" };

struct ab {
	const char *bin[AB_SIDES];
	char dir[PATH_MAX - 128], blocks[PATH_MAX - 96];
	char run_id[64];
	int reps, block, nblocks;
	double threshold, alpha;
	struct cli_args a;
	struct engine_plan *plan;
	int *order, njobs;
};

static void ab_usage(FILE *f)
{
	fprintf(f, "usage: contend ab BASE_BIN NEW_BIN BENCH... [run options] [--block N] "
		"[--threshold PCT] [--alpha A]\n\n"
		"run two builds of contend interleaved on this machine, configuration by "
		"configuration and\nblock by block of repetitions in ABBA order, then compare "
		"them (exit 1 on a significant\nregression)\n\noptions of ab:\n"
		"  --out DIR                    the two run folders DIR/base and DIR/new (a "
		"folder that does\n                               not exist yet; default "
		"results/ab-<run-id>)\n"
		"  --reps N                     repetitions of each build per configuration "
		"(default %d)\n"
		"  --block N                    repetitions per block (default %d)\n"
		"  --threshold PCT              smallest change that counts (default 5)\n"
		"  --alpha A                    significance level of the U test (default 0.01)\n"
		"and run's --threads, --mode, --placement, --param, --min-time, --timeout, "
		"--counters,\n--quick, --seed, --verbose (contend run --help).\n",
		AB_REPS_DEFAULT, AB_BLOCK_DEFAULT);
}

/* A positive whole number of at most max, or -1. */
static int ab_count(const char *s, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return *s && !*end && !errno && v > 0 && v <= max ? (int)v : -1;
}

/*
 * Is path a contend?  A regular executable file whose `--help` starts
 * with contend's usage line (run with stdin, stderr closed to it).
 * 0, or -EINVAL with the reason in why.
 */
static int ab_check_bin(const char *path, char *why, size_t len)
{
	struct stat st;
	char cmd[PATH_MAX + 64], head[32] = "";
	FILE *p;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
		snprintf(why, len, "%s is not an executable file%s%s", path, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -EINVAL;
	}
	if (strchr(path, '\'')) {
		snprintf(why, len, "%s: a binary's path may not hold a quote", path);
		return -EINVAL;
	}
	snprintf(cmd, sizeof(cmd), "'%s' --help </dev/null 2>/dev/null", path);
	if ((p = popen(cmd, "r"))) {
		size_t n = fread(head, 1, sizeof(head) - 1, p);

		head[n] = '\0';
		while (fgetc(p) != EOF)
			;
		pclose(p);
	}
	if (strncmp(head, "usage: contend ", 15)) {
		snprintf(why, len, "%s is not a contend binary (its --help does not say "
			 "\"usage: contend\")", path);
		return -EINVAL;
	}
	return 0;
}

/* Take ab's own arguments out of argv (BASE_BIN NEW_BIN first, then
 * --block, --threshold anywhere); the rest, for cli_parse, into rest. */
static int ab_args(struct ab *ab, int argc, char **argv, char **rest, int *nrest)
{
	char why[PATH_MAX + 128];
	int npos = 0;

	*nrest = 0;
	ab->block = AB_BLOCK_DEFAULT;
	ab->threshold = 5.0;
	ab->alpha = 0.01;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--alpha")) {
			char *end;

			if (i + 1 == argc)
				return cmd_bad_input("ab: --alpha needs a value");
			ab->alpha = strtod(argv[++i], &end);
			if (end == argv[i] || *end || !(ab->alpha > 0 && ab->alpha < 1))
				return cmd_bad_input("ab: --alpha '%s': expected a probability such "
						     "as 0.01", argv[i]);
			continue;
		}
		if (!strcmp(argv[i], "--block") || !strcmp(argv[i], "--threshold")) {
			char *end;

			if (i + 1 == argc)
				return cmd_bad_input("ab: %s needs a value", argv[i]);
			if (argv[i][2] == 'b') {
				if ((ab->block = ab_count(argv[++i], 1000)) < 2)
					return cmd_bad_input("ab: --block '%s': expected 2 to 1000 "
							     "repetitions", argv[i]);
				continue;
			}
			ab->threshold = strtod(argv[++i], &end);
			if (*end == '%')
				end++;
			if (end == argv[i] || *end || !(ab->threshold >= 0 && ab->threshold < 1e6))
				return cmd_bad_input("ab: --threshold '%s': expected a percentage "
						     "such as 5", argv[i]);
			continue;
		}
		if (i == npos && npos < AB_SIDES && argv[i][0] != '-') {
			ab->bin[npos++] = argv[i];
			continue;
		}
		if (*nrest == CLI_MAX_POS + 64)
			return cmd_bad_input("ab: too many arguments");
		rest[(*nrest)++] = argv[i];
	}
	if (npos < AB_SIDES)
		return cmd_bad_input("ab takes two builds first: contend ab BASE_BIN NEW_BIN "
				     "BENCH... [run options]");
	for (int s = 0; s < AB_SIDES; s++)
		if (ab_check_bin(ab->bin[s], why, sizeof(why)) < 0)
			return cmd_bad_input("ab: %s", why);
	return 0;
}

/* The options that mean something else, or nothing, to ab. */
static int ab_refuse(const struct cli_args *a)
{
	const char *opt = a->format ? "--format" : a->samples ? "--samples"
			  : a->histograms ? "--histograms" : NULL;

	if (opt)
		return cmd_bad_input("ab: %s is not an option of ab (it writes DIR/base and "
				     "DIR/new; see contend ab --help)", opt);
	return 0;
}

/*
 * Run one block: `BIN run` of configuration `key` into
 * blocks/<side>-<job>-<block>.{csv,smp.csv}; its stderr into a .log
 * beside them.  The run's exit status, or -errno when it did not start.
 */
static int ab_block(const struct ab *ab, int side, int job, int blk, int reps)
{
	char key[700], *tok[5] = { 0 }, *save = NULL;
	char out[PATH_MAX], smp[PATH_MAX], log[PATH_MAX], sreps[16], sseed[32];
	char *argv[AB_MAX_ARGS];
	char pbuf[CLI_MAX_PARAM][300];
	int n = 0, np = 0, status, ret;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	engine_job_key(ab->plan, ab->order[job], key, sizeof(key));
	/* "bench mode placement tasks params": none of the first four holds
	 * a space, and params holds none (key=value;...). */
	tok[0] = strtok_r(key, " ", &save);
	for (int i = 1; i < 5; i++)
		tok[i] = strtok_r(NULL, " ", &save);
	snprintf(out, sizeof(out), "%s/%s-%d-%d.csv", ab->blocks, ab_side_name[side], job, blk);
	snprintf(smp, sizeof(smp), "%s/%s-%d-%d.smp.csv", ab->blocks, ab_side_name[side], job,
		 blk);
	snprintf(log, sizeof(log), "%s/%s-%d-%d.log", ab->blocks, ab_side_name[side], job, blk);
	snprintf(sreps, sizeof(sreps), "%d", reps);
	snprintf(sseed, sizeof(sseed), "%llu", ab->a.seed + (unsigned long long)blk);
	argv[n++] = (char *)ab->bin[side];
	argv[n++] = "run";
	argv[n++] = tok[0];
	argv[n++] = "--mode";
	argv[n++] = tok[1];
	argv[n++] = "--placement";
	argv[n++] = tok[2];
	if (!engine_job_fixed_tasks(ab->plan, ab->order[job])) {
		argv[n++] = "--threads";
		argv[n++] = tok[3];
	}
	for (char *kv = tok[4] ? strtok_r(tok[4], ";", &save) : NULL; kv && np < CLI_MAX_PARAM;
	     kv = strtok_r(NULL, ";", &save)) {
		snprintf(pbuf[np], sizeof(pbuf[np]), "%s", kv);
		argv[n++] = "--param";
		argv[n++] = pbuf[np++];
	}
	argv[n++] = "--reps";
	argv[n++] = sreps;
	argv[n++] = "--seed";
	argv[n++] = sseed;
	if (ab->a.quick)
		argv[n++] = "--quick";
	if (ab->a.counters) {
		argv[n++] = "--counters";
		argv[n++] = (char *)ab->a.counters;
	}
	char smin[32], stmo[32];
	if (ab->a.min_time > 0) {
		snprintf(smin, sizeof(smin), "%.17g", ab->a.min_time);
		argv[n++] = "--min-time";
		argv[n++] = smin;
	}
	if (ab->a.timeout > 0) {
		snprintf(stmo, sizeof(stmo), "%.17g", ab->a.timeout);
		argv[n++] = "--timeout";
		argv[n++] = stmo;
	}
	argv[n++] = "--out";
	argv[n++] = out;
	argv[n++] = "--samples";
	argv[n++] = smp;
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	ret = posix_spawn(&pid, ab->bin[side], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		return -ret;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last line of a block's log, for a message. */
static void ab_log_tail(const struct ab *ab, int side, int job, int blk, char *buf, size_t len)
{
	char path[PATH_MAX], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%d-%d.log", ab->blocks, ab_side_name[side], job, blk);
	buf[0] = '\0';
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			snprintf(buf, len, "%s", line);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* ---- pooling one build's blocks into a run folder ------------------------- */

/* The statistics columns a pooled row gets afresh, in results.csv. */
static const char *const ab_stat_cols[] = {
	"reps", "median", "mean", "stddev", "cv", "min", "max", "p90", "p99", "ci95_lo",
	"ci95_hi", NULL,
};

struct ab_pool {
	struct csv_table res[64], smp[64];	/* per block; ncols 0 when absent */
	int n;
};

static int ab_read_opt(const char *path, struct csv_table *t)
{
	size_t line = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	if (access(path, F_OK) < 0)
		return 0;	/* the block failed: it wrote nothing */
	if ((ret = csv_read(path, t, &line)) < 0)
		fprintf(stderr, "contend: ab: cannot read %s:%zu: %s\n", path, line,
			csv_read_strerror(ret));
	return ret;
}

/* Header of t equal to that of ref (both read)? */
static int ab_same_header(const struct csv_table *t, const struct csv_table *ref)
{
	if (t->ncols != ref->ncols)
		return 0;
	for (size_t c = 0; c < t->ncols; c++)
		if (strcmp(t->header[c], ref->header[c]))
			return 0;
	return 1;
}

/*
 * Write one configuration's pooled rows: every metric of any block's
 * results, its statistics recomputed from every block's samples of it
 * (the one definition, stats_summarize), its counters the mean over the
 * blocks weighted by their repetitions; every sample once, renumbered.
 * *hres / *hsmp: the header to use (the first block read), or NULL.
 */
static int ab_pool_write(const struct ab *ab, const struct ab_pool *p, struct csv_writer *wr,
			 struct csv_writer *ws, const struct csv_table **hres,
			 const struct csv_table **hsmp)
{
	for (int b = 0; b < p->n; b++) {
		if (!p->res[b].ncols)
			continue;
		if (!*hres) {
			*hres = &p->res[b];
			for (size_t c = 0; c < p->res[b].ncols; c++)
				csv_field_str(wr, p->res[b].header[c]);
			csv_row_end(wr);
		} else if (!ab_same_header(&p->res[b], *hres)) {
			fprintf(stderr, "contend: ab: one build wrote results with two sets of "
				"columns\n");
			return -EINVAL;
		}
		if (p->smp[b].ncols && !*hsmp) {
			*hsmp = &p->smp[b];
			for (size_t c = 0; c < p->smp[b].ncols; c++)
				csv_field_str(ws, p->smp[b].header[c]);
			csv_row_end(ws);
		} else if (p->smp[b].ncols && !ab_same_header(&p->smp[b], *hsmp)) {
			fprintf(stderr, "contend: ab: one build wrote samples with two sets of "
				"columns\n");
			return -EINVAL;
		}
	}
	if (!*hres)
		return 0;	/* every block of this configuration failed or skipped */
	const struct csv_table *hr = *hres, *hs = *hsmp;
	int rmetric = csv_table_col(hr, "metric"), rcpus = csv_table_col(hr, "cpus");
	int rreps = csv_table_col(hr, "reps");
	int smetric = hs ? csv_table_col(hs, "metric") : -1, svalue = hs ? csv_table_col(hs, "value")
									 : -1;
	int srep = hs ? csv_table_col(hs, "rep") : -1, srun = hs ? csv_table_col(hs, "run_id") : -1;
	int rrun = csv_table_col(hr, "run_id");

	if (rmetric < 0 || rcpus < 0 || rreps < 0 || rrun < 0 ||
	    (hs && (smetric < 0 || svalue < 0 || srep < 0 || srun < 0))) {
		fprintf(stderr, "contend: ab: a block's files lack contend's columns\n");
		return -EINVAL;
	}
	/* Each metric once, in the order of the first block that has it. */
	for (int b0 = 0; b0 < p->n; b0++)
		for (size_t r0 = 0; r0 < p->res[b0].nrows; r0++) {
			const char *metric = p->res[b0].rows[r0][rmetric];
			int seen = 0;
			size_t nv = 0, cap = 0;
			long long rep = 0;	/* every sample row, measured or not */
			double *v = NULL;

			for (int b = 0; b < b0 && !seen; b++)
				for (size_t r = 0; r < p->res[b].nrows && !seen; r++)
					seen = !strcmp(p->res[b].rows[r][rmetric], metric);
			if (seen)
				continue;
			/* The samples, renumbered as one run's. */
			for (int b = 0; b < p->n; b++)
				for (size_t r = 0; r < p->smp[b].nrows; r++) {
					char **row = p->smp[b].rows[r];
					char *end;
					double x;

					if (strcmp(row[smetric], metric))
						continue;
					for (size_t c = 0; c < p->smp[b].ncols; c++)
						if ((int)c == srun)
							csv_field_str(ws, ab->run_id);
						else if ((int)c == srep)
							csv_field_int(ws, rep + 1);
						else
							csv_field_str(ws, row[c]);
					csv_row_end(ws);
					rep++;
					x = strtod(row[svalue], &end);
					if (!row[svalue][0] || *end || !isfinite(x))
						continue;	/* unmeasured: results has no row */
					if (nv == cap) {
						double *g = realloc(v, sizeof(*v) * (cap = cap ? 2 * cap
											      : 64));
						if (!g) {
							free(v);
							return -ENOMEM;
						}
						v = g;
					}
					v[nv++] = x;
				}
			struct stats_summary s = { 0 };
			int have = nv && stats_summarize(v, nv, &s) == 0;
			double stat[] = { (double)s.n, s.median, s.mean, s.stddev, s.cv, s.min,
					  s.max, s.p90, s.p99, s.ci95_lo, s.ci95_hi };

			free(v);
			for (size_t c = 0; c < hr->ncols; c++) {
				const char *col = hr->header[c];
				int k = -1;

				for (int i = 0; ab_stat_cols[i]; i++)
					if (!strcmp(col, ab_stat_cols[i]))
						k = i;
				if ((int)c == rrun) {
					csv_field_str(wr, ab->run_id);
				} else if (k >= 0 && have) {
					if (k == 0)
						csv_field_int(wr, (long long)s.n);
					else
						csv_field_double(wr, stat[k]);
				} else if ((int)c > rcpus) {
					/* A counter per operation: each block's, by
					 * its repetitions. */
					double sum = 0, w = 0;

					for (int b = 0; b < p->n; b++)
						for (size_t r = 0; r < p->res[b].nrows; r++) {
							char **row = p->res[b].rows[r];
							char *e1, *e2;
							double x = strtod(row[c], &e1),
							       n = strtod(row[rreps], &e2);

							if (strcmp(row[rmetric], metric) ||
							    !row[c][0] || *e1 || *e2 ||
							    !isfinite(x) || !(n > 0))
								continue;
							sum += x * n;
							w += n;
						}
					if (w > 0)
						csv_field_double(wr, sum / w);
					else
						csv_field_empty(wr);
				} else {
					csv_field_str(wr, p->res[b0].rows[r0][c]);
				}
			}
			csv_row_end(wr);
		}
	return 0;
}

/* DIR/<side>/results.csv and samples.csv from the blocks. */
static int ab_pool_side(const struct ab *ab, int side)
{
	char path[PATH_MAX];
	struct outfile *fr = NULL, *fs = NULL;
	struct csv_writer *wr = NULL, *ws = NULL;
	const struct csv_table *hres = NULL, *hsmp = NULL;
	int ret = -ENOMEM;

	snprintf(path, sizeof(path), "%s/%s/results.csv", ab->dir, ab_side_name[side]);
	fr = outfile_open(path);
	snprintf(path, sizeof(path), "%s/%s/samples.csv", ab->dir, ab_side_name[side]);
	fs = outfile_open(path);
	if (!fr || !fs || !(wr = csv_writer_new(fr)) || !(ws = csv_writer_new(fs))) {
		fprintf(stderr, "contend: ab: cannot write %s: %s\n", path, strerror(errno));
		ret = -EIO;
		goto out;
	}
	/* The header's tables must outlive the configurations they came
	 * from: keep every block of every configuration until the end. */
	static struct ab_pool *all;
	all = calloc((size_t)ab->njobs, sizeof(*all));
	if (!all)
		goto out;
	for (int j = 0; j < ab->njobs; j++) {
		all[j].n = ab->nblocks;
		for (int b = 0; b < ab->nblocks; b++) {
			snprintf(path, sizeof(path), "%s/%s-%d-%d.csv", ab->blocks,
				 ab_side_name[side], j, b);
			if ((ret = ab_read_opt(path, &all[j].res[b])) < 0)
				goto out;
			snprintf(path, sizeof(path), "%s/%s-%d-%d.smp.csv", ab->blocks,
				 ab_side_name[side], j, b);
			if ((ret = ab_read_opt(path, &all[j].smp[b])) < 0)
				goto out;
		}
		if ((ret = ab_pool_write(ab, &all[j], wr, ws, &hres, &hsmp)) < 0)
			goto out;
	}
	csv_writer_free(wr);
	csv_writer_free(ws);
	wr = ws = NULL;
	ret = outfile_commit(fr);
	fr = NULL;
	if (ret == 0)
		ret = outfile_commit(fs);
	else
		outfile_abort(fs);
	fs = NULL;
	if (ret < 0)
		fprintf(stderr, "contend: ab: cannot write %s/%s: %s\n", ab->dir,
			ab_side_name[side], strerror(-ret));
out:
	if (wr)
		csv_writer_free(wr);
	if (ws)
		csv_writer_free(ws);
	if (fr)
		outfile_abort(fr);
	if (fs)
		outfile_abort(fs);
	for (int j = 0; all && j < ab->njobs; j++)
		for (int b = 0; b < all[j].n; b++) {
			csv_table_free(&all[j].res[b]);
			csv_table_free(&all[j].smp[b]);
		}
	free(all);
	all = NULL;
	return ret;
}

/* ---- the command ---------------------------------------------------------- */

static int ab_rmtree(const char *dir)
{
	char cmd[PATH_MAX + 32];

	if (strchr(dir, '\''))
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	return system(cmd);
}

int cmd_ab(int argc, char **argv)
{
	static struct ab ab;
	char *rest[CLI_MAX_POS + 64], err[600], path[PATH_MAX];
	struct engine_defaults d = { 0 };
	int nrest, ret, status = 2, failed = 0;

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			ab_usage(stdout);
			return 0;
		}
	memset(&ab, 0, sizeof(ab));
	if ((ret = ab_args(&ab, argc, argv, rest, &nrest)))
		return ret;
	if (cli_parse(CLI_RUN, nrest, rest, &ab.a, err, sizeof(err)) < 0)
		return cmd_bad_input("ab: %s", err);
	if ((ret = ab_refuse(&ab.a)))
		goto out_args;
	ab.reps = ab.a.reps ? ab.a.reps : ab.a.quick ? AB_REPS_DEFAULT / 2 : AB_REPS_DEFAULT;
	if (ab.reps < 2) {
		ret = cmd_bad_input("ab: --reps %d: a comparison needs 2 or more", ab.reps);
		goto out_args;
	}
	ab.nblocks = (ab.reps + ab.block - 1) / ab.block;
	if (ab.nblocks > 64) {
		ret = cmd_bad_input("ab: %d blocks of %d repetitions: at most 64 (give a larger "
				    "--block)", ab.nblocks, ab.block);
		goto out_args;
	}
	ab.a.seed = cmd_seed(&ab.a);
	if ((ret = engine_plan(&ab.a, &d, &ab.plan, err, sizeof(err))) < 0) {
		ret = ret == -EINVAL ? cmd_bad_input("ab: %s", err) : 1;
		goto out_args;
	}
	cmd_run_id(ab.run_id, sizeof(ab.run_id));
	if (ab.a.out && strlen(ab.a.out) >= sizeof(ab.dir)) {
		status = cmd_bad_input("ab: --out: a name of at most %zu characters",
				       sizeof(ab.dir) - 1);
		goto out_plan;
	}
	if (ab.a.out)
		snprintf(ab.dir, sizeof(ab.dir), "%s", ab.a.out);
	else
		snprintf(ab.dir, sizeof(ab.dir), "results/ab-%s", ab.run_id);
	if (mkdir(ab.dir, 0777) < 0) {
		status = cmd_bad_input("ab: cannot make the run folder %s: %s%s", ab.dir,
				       strerror(errno), errno == EEXIST ? " (give one that does not "
				       "exist yet)" : "");
		goto out_plan;
	}
	snprintf(ab.blocks, sizeof(ab.blocks), "%s/blocks", ab.dir);
	for (int s = 0; s < AB_SIDES; s++) {
		snprintf(path, sizeof(path), "%s/%s", ab.dir, ab_side_name[s]);
		mkdir(path, 0777);
	}
	if (mkdir(ab.blocks, 0777) < 0) {
		fprintf(stderr, "contend: ab: cannot make %s: %s\n", ab.blocks, strerror(errno));
		status = 1;
		goto out_plan;
	}

	/* Configurations in an order shuffled by the seed (xorshift64*). */
	ab.njobs = engine_plan_size(ab.plan);
	if (!(ab.order = malloc(sizeof(int) * (size_t)(ab.njobs + 1)))) {
		status = 1;
		goto out_plan;
	}
	unsigned long long x = ab.a.seed | 1;
	for (int i = 0; i < ab.njobs; i++)
		ab.order[i] = i;
	for (int i = ab.njobs - 1; i > 0; i--) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		int k = (int)((x * 2685821657736338717ull) % (unsigned long long)(i + 1));
		int t = ab.order[i];

		ab.order[i] = ab.order[k];
		ab.order[k] = t;
	}
	fprintf(stderr, "contend: ab: %d configurations x %d blocks of %d repetitions a build, "
		"into %s (seed %llu)\n", ab.njobs, ab.nblocks, ab.block, ab.dir, ab.a.seed);

	for (int j = 0; j < ab.njobs; j++) {
		char key[700];
		const char *skip = engine_job_skip(ab.plan, ab.order[j]);

		engine_job_key(ab.plan, ab.order[j], key, sizeof(key));
		if (skip) {
			fprintf(stderr, "contend: ab [%d/%d] %s: skipped: %s\n", j + 1, ab.njobs,
				key, skip);
			continue;
		}
		fprintf(stderr, "contend: ab [%d/%d] %s ...", j + 1, ab.njobs, key);
		for (int b = 0; b < ab.nblocks; b++) {
			int reps = b + 1 < ab.nblocks ? ab.block : ab.reps - b * ab.block;

			/* ABBA: even blocks base first, odd blocks new first. */
			for (int k = 0; k < AB_SIDES; k++) {
				int side = b % 2 ? AB_SIDES - 1 - k : k;
				char tail[512];

				ret = ab_block(&ab, side, j, b, reps);
				if (runner_interrupted || ret >= 128) {
					fprintf(stderr, "\ncontend: ab stopped by %s\n",
						strsignal(runner_interrupted ? runner_interrupted
									     : ret - 128));
					status = 128 + (runner_interrupted ? runner_interrupted
									   : SIGTERM);
					goto out_plan;
				}
				if (ret == 0)
					continue;
				ab_log_tail(&ab, side, j, b, tail, sizeof(tail));
				if (ret == 2 || ret < 0) {
					/* That build refused what the driver accepted
					 * (an option or parameter it does not know). */
					fprintf(stderr, "\ncontend: ab: %s refused %s: %s\n",
						ab.bin[side], key, ret < 0 ? strerror(-ret) : tail);
					status = 2;
					goto out_plan;
				}
				fprintf(stderr, " %s failed (%s)", ab_side_name[side], tail);
				failed++;
			}
			fprintf(stderr, " %d", b + 1);
		}
		fprintf(stderr, " done\n");
	}
	for (int s = 0; s < AB_SIDES; s++)
		if (ab_pool_side(&ab, s) < 0) {
			status = 1;
			goto out_plan;
		}
	if (!failed)
		ab_rmtree(ab.blocks);
	snprintf(path, sizeof(path), "%s/base", ab.dir);
	char newp[PATH_MAX];
	snprintf(newp, sizeof(newp), "%s/new", ab.dir);
	status = compare_runs_at(path, newp, ab.threshold, ab.alpha);
	/* The new build's figures for a tracker (docs/ci.md). */
	char res[PATH_MAX + 16], bmf[PATH_MAX];
	snprintf(res, sizeof(res), "%s/results.csv", newp);
	snprintf(bmf, sizeof(bmf), "%s/bmf.json", ab.dir);
	if (status != 2 && export_bmf(res, bmf) < 0)
		status = status ? status : 1;
	if (failed)
		fprintf(stderr, "contend: ab: %d blocks failed (their logs are in %s); a "
			"configuration either build lost is MISSING\n", failed, ab.blocks);
out_plan:
	free(ab.order);
	engine_plan_free(ab.plan);
	cli_args_free(&ab.a);
	return status;
out_args:
	cli_args_free(&ab.a);
	return ret;
}
