/*
 * tests/h_util.c - the helpers of tests/h_util.h (no tests of its own).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/stats.h"
#include "tests/check.h"
#include "tests/h_util.h"

const char *cli_bin(void)
{
	const char *b = getenv("CONTEND_BIN");

	return b && *b ? b : "build/contend";
}

static void cli_slurp(int fd, char *buf, size_t len)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* A temporary file already unlinked: nothing to clean up. */
static int cli_anon_file(void)
{
	char p[] = "/tmp/contend-test-io.XXXXXX";
	int fd = mkstemp(p);

	cr_assert_geq(fd, 0);
	unlink(p);
	return fd;
}

void cli_exec_how(struct cli_run *r, const struct cli_how *how, char *const argv[])
{
	static const struct cli_how none;
	char bin[4096];
	int fo = cli_anon_file(), fe = cli_anon_file(), st;
	pid_t pid, parent = getpid();

	if (!how)
		how = &none;
	/* The binary by absolute path, since the child may change folder. */
	if (!realpath(cli_bin(), bin))
		snprintf(bin, sizeof(bin), "%s", cli_bin());
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(fo, 1);
		dup2(fe, 2);
		if (how->close_stdout)
			close(1);
		if (how->stdout_full) {
			int full = open("/dev/full", O_WRONLY);
			dup2(full, 1);
		}
		if (how->cwd && chdir(how->cwd) < 0)
			_exit(126);
		if (how->cgroup) {
			char path[512];
			FILE *f;

			snprintf(path, sizeof(path), "%s/cgroup.procs", how->cgroup);
			f = fopen(path, "w");
			if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
				_exit(126);
		}
		if (how->one_cpu) {
			cpu_set_t s;

			CPU_ZERO(&s);
			CPU_SET(sched_getcpu(), &s);
			sched_setaffinity(0, sizeof(s), &s);
		}
		execv(bin, argv);
		_exit(127);
	}
	if (how->sig) {
		/* The signal goes at after_ms unless the child has ended by
		 * then: a bound on a hang, not a wait every run pays. */
		const struct timespec tick = { 0, 5 * 1000000L };
		struct timespec t0, t;
		pid_t w;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		while ((w = waitpid(pid, &st, WNOHANG)) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >=
			    how->after_ms)
				break;
			nanosleep(&tick, NULL);
		}
		cr_assert_geq(w, 0, "waitpid: %s", strerror(errno));
		if (w == 0)
			kill(pid, how->sig);
		else
			goto reaped;
	}
	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR);
reaped:
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cli_slurp(fo, r->out, sizeof(r->out));
	cli_slurp(fe, r->err, sizeof(r->err));
	cr_assert_neq(r->status, 127, "cannot run %s (set CONTEND_BIN)", cli_bin());
	cr_assert_neq(r->status, 126, "could not prepare the child: %s", strerror(errno));
	/* What the product says of a broken invariant of its own (a runner
	 * left unreaped, say): no run of any test may say it. */
	cr_assert_null(strstr(r->err, "contend: BUG"), "%s", r->err);
}

int cli_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void cli_expect_bad(const struct cli_run *r, const char *needle)
{
	cr_assert_eq(r->status, 2, "status %d, stderr: %s", r->status, r->err);
	cr_assert_eq(cli_lines(r->err), 1, "stderr should be one line: %s", r->err);
	cr_assert(strncmp(r->err, "contend: ", 9) == 0, "%s", r->err);
	cr_assert(strstr(r->err, needle) != NULL, "'%s' not in: %s", needle, r->err);
	cr_assert_str_eq(r->out, "");
}

char *cli_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/contend-test-XXXXXX");
	cr_assert_not_null(mkdtemp(buf));
	return buf;
}

void cli_rmdir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void cli_walk_no_temp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char sub[1024];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		cr_assert(strstr(e->d_name, ".tmp") == NULL, "temporary file left: %s/%s", dir,
			  e->d_name);
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			cli_walk_no_temp(sub);
	}
	closedir(d);
}

void cli_expect_no_temp(const char *dir)
{
	cli_walk_no_temp(dir);
}

int cli_count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

void cli_write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

void cli_write_str(const char *path, const char *text)
{
	cli_write_file(path, text, strlen(text));
}

/* A statistic of row i, or NAN where the cell is empty or not a number. */
static double cli_stat(const struct csv_table *t, size_t i, int c)
{
	char *end;
	double v = strtod(t->rows[i][c], &end);

	return end == t->rows[i][c] || *end ? NAN : v;
}

/*
 * The statistics of every row of a results file any test reads, in the
 * order their definitions put them: min <= ci95_lo <= median <= ci95_hi
 * <= max and median <= p90 <= p99 <= max.  A column written under
 * another's name, or a statistic of the wrong values, breaks it.
 */
static void cli_check_stat_order(const char *path, const struct csv_table *t)
{
	static const char *const order[][2] = {
		{ "min", "ci95_lo" }, { "ci95_lo", "median" }, { "median", "ci95_hi" },
		{ "ci95_hi", "max" }, { "median", "p90" }, { "p90", "p99" }, { "p99", "max" },
	};

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		int a = csv_table_col(t, order[k][0]), b = csv_table_col(t, order[k][1]);

		if (a < 0 || b < 0)
			continue;
		for (size_t i = 0; i < t->nrows; i++) {
			double va = cli_stat(t, i, a), vb = cli_stat(t, i, b);

			cr_assert(!(va > vb), "%s row %zu: %s %s above %s %s", path, i + 1,
				  order[k][0], t->rows[i][a], order[k][1], t->rows[i][b]);
		}
	}
}

void cli_read_csv(const char *path, struct csv_table *t)
{
	size_t line = 0;
	int r = csv_read(path, t, &line);

	cr_assert_eq(r, 0, "%s: %s (line %zu)", path, strerror(-r), line);
	cli_check_stat_order(path, t);
}

int cli_col(const struct csv_table *t, const char *name)
{
	int c = csv_table_col(t, name);

	cr_assert_geq(c, 0, "no column %s", name);
	return c;
}

/* The probe of `d`'s parameter `param`, or NULL. */
static const struct cli_param_probe *cli_probe_of(const struct bench_desc *d, const char *param,
						  const struct cli_param_probe *probes, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (fnmatch(probes[k].bench, d->name, 0) == 0 && strcmp(probes[k].param, param) == 0)
			return &probes[k];
	return NULL;
}

int cli_param_probes_run(const char *family, const struct cli_param_probe *probes, size_t n)
{
	static const char *const listed[] = { CLI_PROBED_FAMILIES };
	int pairs = 0, known = 0;

	for (size_t k = 0; k < sizeof(listed) / sizeof(listed[0]); k++)
		known |= strcmp(listed[k], family) == 0;
	cr_assert(known, "family %s is not in CLI_PROBED_FAMILIES (tests/h_util.h)", family);

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if (fnmatch(family, d->name, 0) != 0)
			continue;
		for (const struct bench_param *p = d->params; p && p->name; p++) {
			cr_assert_not_null(cli_probe_of(d, p->name, probes, n),
					   "%s: parameter %s has no probe showing that it reaches "
					   "the workload", d->name, p->name);
			pairs++;
		}
	}
	for (size_t k = 0; k < n; k++) {
		char *bench[CLI_PROBE_MAX_BENCH + 1];
		int nb = 0;

		cr_assert_eq(fnmatch(family, probes[k].bench, 0), 0,
			     "probe %s %s is outside the family %s", probes[k].bench,
			     probes[k].param, family);
		for (int i = 0; bench_registry[i]; i++) {
			const struct bench_desc *d = bench_registry[i];

			if (fnmatch(family, d->name, 0) != 0 ||
			    cli_probe_of(d, probes[k].param, probes, n) != &probes[k])
				continue;
			cr_assert_lt(nb, CLI_PROBE_MAX_BENCH, "more than %d benchmarks for one probe",
				     CLI_PROBE_MAX_BENCH);
			for (const struct bench_param *p = d->params; p && p->name; p++)
				if (strcmp(p->name, probes[k].param) == 0)
					bench[nb++] = (char *)d->name;
		}
		cr_assert_gt(nb, 0, "probe %s %s: no benchmark of the registry has that "
			     "parameter (a stale probe)", probes[k].bench, probes[k].param);
		bench[nb] = NULL;
		probes[k].probe(bench, nb);
	}
	return pairs;
}

static void cli_rerun_if_collapsed(struct cli_run *r, const struct cli_how *how,
				   char *const argv[])
{
	/* Up to twice, a second apart: two tasks on a machine the other
	 * tests load can collapse a FIFO lock's round twice running (seen:
	 * lock.mutex, then lock.ticket, in one make test). */
	for (int again = 0; again < 2 && r->status == 0 && strstr(r->err, "skipped: collapsed");
	     again++) {
		fprintf(stderr, "%s ...: a round collapsed; running it again\n",
			argv[1] && argv[2] ? argv[2] : "contend");
		sleep(1);
		cli_exec_how(r, how, argv);
	}
}

void cli_exec_settled(struct cli_run *r, const struct cli_how *how, char *const argv[])
{
	cli_exec_how(r, how, argv);
	cli_rerun_if_collapsed(r, how, argv);
}

void cli_run_benches(struct cli_run *r, struct csv_table *t, const struct cli_how *how,
		     char *const bench[], const char *const opts[])
{
	char dir[64], out[128], *argv[CLI_PROBE_MAX_BENCH + 40];
	int n = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	argv[n++] = (char *)cli_bin();
	argv[n++] = "run";
	for (int i = 0; bench[i]; i++) {
		cr_assert_lt(n, CLI_PROBE_MAX_BENCH + 2, "too many benchmarks for one run");
		argv[n++] = bench[i];
	}
	for (int i = 0; opts[i]; i++) {
		cr_assert_lt(n, CLI_PROBE_MAX_BENCH + 37, "too many options for one run");
		argv[n++] = (char *)opts[i];
	}
	argv[n++] = "--out";
	argv[n++] = out;
	argv[n] = NULL;
	cli_exec_how(r, how, argv);
	/* A run whose calibration was made while the machine stalled (its
	 * every configuration then fails check() on the work's length), or
	 * some of whose configurations ran while it was slow (a busy SMT
	 * sibling halves a loop's speed for seconds: seen, 5 of 26 lock
	 * configurations at 2.1-2.6 times cs_ns, twice in a row), is made
	 * again after a pause, with a new calibration, up to twice: what
	 * the caller tests is the workload, not this machine's worst
	 * seconds.  A rate that is wrong every time still fails. */
	for (int again = 0; again < 2 && r->status != 0 &&
	     strstr(r->err, "the calibrated work is wrong"); again++) {
		fprintf(stderr, "%s ...: calibration disagreed with the run; running it again\n",
			argv[2]);
		sleep(2);
		cli_exec_how(r, how, argv);
	}
	cli_rerun_if_collapsed(r, how, argv);
	cr_assert_eq(r->status, 0, "%s ...: stderr: %s", argv[2], r->err);
	cli_read_csv(out, t);
	cli_rmdir(dir);
}

void cli_expect_every_bench(const struct csv_table *t, const char *prefix)
{
	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];
		int found = 0;

		if (strncmp(d->name, prefix, strlen(prefix)) || d->hidden)
			continue;
		for (size_t k = 0; k < t->nrows && !found; k++)
			found = strcmp(t->rows[k][cli_col(t, "bench")], d->name) == 0;
		cr_assert(found, "%s: no row in a run of %s*", d->name, prefix);
	}
}

/* Relative agreement of two numbers printed with 9 significant digits. */
int cli_close(double a, double b)
{
	return fabs(a - b) <= 1e-7 * fmax(fabs(a), fabs(b)) + 1e-12;
}

/* Field `col` of row r of t, by its column's name. */
const char *cli_field(const struct csv_table *t, size_t r, const char *col)
{
	return t->rows[r][cli_col(t, col)];
}

double cli_num(const struct csv_table *t, size_t r, const char *col)
{
	return strtod(cli_field(t, r, col), NULL);
}

/* "bench|mode|placement|threads|params|metric" of row r. */
void cli_row_key(const struct csv_table *t, size_t r, char *buf, size_t len)
{
	static const char *const k[] = { "bench", "mode", "placement", "threads", "params", "metric" };
	size_t off = 0;

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		off += (size_t)snprintf(buf + off, len - off, "%s|", cli_field(t, r, k[i]));
}

/* Column col of row r is `want`, one of its samples' statistics: an
 * empty cell where the statistic is undefined (a spread of one sample).
 * The samples are printed to 9 digits, each off by up to 1e-8 of the
 * largest: a spread moves by no more than that, which is a lot of a
 * small spread of large values (stddev, and cv = stddev / mean). */
void cli_check_stat(const struct csv_table *res, size_t r, const char *key,
			       const char *col, double want, double slack)
{
	const char *f = cli_field(res, r, col);

	if (!isfinite(want))
		cr_assert(!f[0], "%s: %s is %s, its samples give none", key, col, f);
	else
		cr_assert(f[0] && fabs(strtod(f, NULL) - want) <= slack + 1e-7 * fabs(want) + 1e-12,
			  "%s: %s is '%s', its samples give %.9g", key, col, f, want);
}

/* Row r of res: the exact statistics of its samples in smp. */
void cli_check_stats_row(const struct csv_table *res, size_t r, const struct csv_table *smp)
{
	char key[1024], skey[1024];
	double *v = malloc(sizeof(*v) * (smp->nrows ? smp->nrows : 1));
	size_t n = 0;
	struct stats_summary s;
	double big;

	cr_assert(v);
	cli_row_key(res, r, key, sizeof(key));
	for (size_t i = 0; i < smp->nrows; i++) {
		cli_row_key(smp, i, skey, sizeof(skey));
		if (strcmp(key, skey) == 0)
			v[n++] = cli_num(smp, i, "value");
	}
	cr_assert_eq((long)n, strtol(cli_field(res, r, "reps"), NULL, 10), "%s: samples", key);
	cr_assert_eq(stats_summarize(v, n, &s), 0);
	cr_assert(cli_close(cli_num(res, r, "median"), s.median),
		  "%s: median %s, samples give %.9g", key, cli_field(res, r, "median"), s.median);
	big = 2e-8 * fmax(fabs(s.min), fabs(s.max));
	cli_check_stat(res, r, key, "ci95_lo", s.ci95_lo, 0);
	cli_check_stat(res, r, key, "ci95_hi", s.ci95_hi, 0);
	cli_check_stat(res, r, key, "mean", s.mean, big);
	cli_check_stat(res, r, key, "stddev", s.stddev, big);
	cli_check_stat(res, r, key, "cv", s.cv, s.mean ? big / fabs(s.mean) : 0);
	cli_check_stat(res, r, key, "min", s.min, 0);
	cli_check_stat(res, r, key, "max", s.max, 0);
	cli_check_stat(res, r, key, "p90", s.p90, big);
	cli_check_stat(res, r, key, "p99", s.p99, big);
	free(v);
}

char *cli_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "%s", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}
