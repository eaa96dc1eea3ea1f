/*
 * tests/test_h_cli.c - the contend command as users run it: every bad
 * input ends in one line on stderr and exit status 2 with nothing
 * written; a smoke run of every ctx benchmark gives finite, positive
 * rows in DESIGN.md's columns; JSON follows Google Benchmark's schema;
 * the watchdog, a crash and a failed check cost one configuration, not
 * the run; Ctrl-C keeps what completed.  Timings are never asserted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/csv.h"
#include "harness/report.h"
#include "tests/check.h"

struct cli_run {
	int status;		/* exit status, or 128 + signal */
	char out[1 << 16], err[1 << 16];
};

static const char *cli_bin(void)
{
	const char *b = getenv("CONTEND_BIN");

	return b && *b ? b : "build/contend";
}

static void cli_slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	unlink(path);
}

/* Run contend with argv (NULL-terminated); if sigint_after_ms > 0, send
 * SIGINT that long after the start. */
static void cli_exec(struct cli_run *r, int sigint_after_ms, char *const argv[])
{
	char outp[] = "/tmp/contend-test-out.XXXXXX", errp[] = "/tmp/contend-test-err.XXXXXX";
	int fo = mkstemp(outp), fe = mkstemp(errp), st;
	pid_t pid;

	cr_assert(fo >= 0 && fe >= 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execv(cli_bin(), argv);
		_exit(127);
	}
	if (sigint_after_ms > 0) {
		struct timespec ts = { sigint_after_ms / 1000, (sigint_after_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGINT);
	}
	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	close(fo);
	close(fe);
	cli_slurp(outp, r->out, sizeof(r->out));
	cli_slurp(errp, r->err, sizeof(r->err));
	cr_assert_neq(r->status, 127, "cannot run %s (set CONTEND_BIN)", cli_bin());
}

#define CLI(r, ...) cli_exec((r), 0, (char *const[]){ (char *)cli_bin(), __VA_ARGS__, NULL })

static int cli_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Exit 2, exactly one line on stderr naming the problem, nothing on stdout. */
static void cli_expect_bad(struct cli_run *r, const char *needle)
{
	cr_assert_eq(r->status, 2, "status %d, stderr: %s", r->status, r->err);
	cr_assert_eq(cli_lines(r->err), 1, "stderr should be one line: %s", r->err);
	cr_assert(strncmp(r->err, "contend: ", 9) == 0, "%s", r->err);
	cr_assert(strstr(r->err, needle) != NULL, "'%s' not in: %s", needle, r->err);
	cr_assert_str_eq(r->out, "");
}

/* Every bad input, and a word its one line must contain. */
static const struct {
	const char *argv[8];
	const char *needle;
} cli_bad[] = {
	{ { "run", "nosuch.bench" }, "nosuch.bench" },
	{ { "run", "ctx.*", "--threads", "0" }, "--threads" },
	{ { "run", "ctx.*", "--threads", "1,,2" }, "--threads" },
	{ { "run", "ctx.*", "--threads", "many" }, "--threads" },
	{ { "run", "ctx.*", "--counters", "no_such_event_anywhere" }, "no_such_event_anywhere" },
	{ { "run", "ctx.*", "--placement", "sideways" }, "sideways" },
	{ { "run", "ctx.*", "--reps", "0" }, "--reps" },
	{ { "run", "ctx.*", "--reps", "ten" }, "--reps" },
	{ { "run", "ctx.*", "--mode", "both" }, "--mode" },
	{ { "run", "ctx.*", "--min-time", "-1" }, "--min-time" },
	{ { "run", "ctx.*", "--param", "nosuch=1" }, "nosuch" },
	{ { "run", "ctx.*", "--param", "ws_kb=abc" }, "ws_kb=abc" },
	{ { "run", "ctx.*", "--param", "ws_kb=-1" }, "ws_kb=-1" },
	{ { "run", "ctx.*", "--bogus" }, "--bogus" },
	{ { "run", "ctx.*", "--format", "xml" }, "--format" },
	{ { "run" }, "benchmark" },
	{ { "frobnicate" }, "frobnicate" },
	{ { NULL }, "no command" },
	/* Impossible placements: a list shorter than the tasks, a
	 * processor that does not exist. */
	{ { "run", "ctx.thread.futex", "--placement", "cpus:0" }, "cpus:0" },
	{ { "run", "ctx.thread.futex", "--placement", "cpus:60000,60001" }, "not available" },
	{ { "sweep", "--preset", "/nonexistent/plan" }, "/nonexistent/plan" },
	{ { "plot", "/nonexistent/run" }, "results.csv" },
	{ { "compare", "/nonexistent/a", "/nonexistent/b" }, "/nonexistent/a" },
	{ { "compare", "/nonexistent/a" }, "two runs" },
	{ { "compare", "a", "b", "--threshold", "-3" }, "--threshold" },
};

Test(cli, bad_input_exit_2_one_line, .timeout = 60)
{
	static struct cli_run r;

	for (size_t i = 0; i < sizeof(cli_bad) / sizeof(cli_bad[0]); i++) {
		char *argv[10] = { (char *)cli_bin() };

		for (int k = 0; k < 8 && cli_bad[i].argv[k]; k++)
			argv[k + 1] = (char *)cli_bad[i].argv[k];
		cli_exec(&r, 0, argv);
		cli_expect_bad(&r, cli_bad[i].needle);
	}
}

static char *cli_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/contend-test-XXXXXX");
	cr_assert_not_null(mkdtemp(buf));
	return buf;
}

static void cli_rmdir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* No leftover temporary files: results are written and renamed. */
static void cli_expect_no_temp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		cr_assert(strstr(e->d_name, ".tmp") == NULL, "temporary file left: %s", e->d_name);
	closedir(d);
}

Test(cli, unreadable_csv_for_plot, .timeout = 30)
{
	static struct cli_run r;
	char dir[64], path[128];
	FILE *f;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("bench,metric\n\"unterminated,x\n", f);
	fclose(f);
	CLI(&r, "plot", dir);
	cli_expect_bad(&r, "malformed");
	cli_rmdir(dir);
}

Test(cli, list_and_env, .timeout = 60)
{
	static struct cli_run r;

	CLI(&r, "list");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "ctx.thread.futex") && strstr(r.out, "ctx.coro.asm"));
	cr_assert(strstr(r.out, "selftest") == NULL, "hidden workloads listed");
	CLI(&r, "env");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "topology") && strstr(r.out, "clock") && strstr(r.out, "counters"));
	CLI(&r, "run", "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "--placement") && strstr(r.out, "--counters"));
}

/* The smoke run: every ctx benchmark, quick, every row finite, the
 * columns in DESIGN.md's order, counters empty or measured, never 0 for
 * a hardware event. */
Test(cli, smoke_every_ctx_bench, .timeout = 300)
{
	static struct cli_run r;
	static const char *const benches[] = {
		"ctx.thread.futex", "ctx.thread.cond", "ctx.thread.pipe", "ctx.thread.eventfd",
		"ctx.process.pipe", "ctx.process.futex", "ctx.coro.asm", "ctx.coro.ucontext",
	};
	char dir[64], out[128], samples[128];
	struct csv_table t;
	size_t line;
	int c_bench, c_metric, c_median, c_place, c_cycles, c_cs;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(samples, sizeof(samples), "%s/s.csv", dir);
	CLI(&r, "run", "ctx.*", "--quick", "--out", out, "--samples", samples);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_expect_no_temp(dir);
	cr_assert_eq(csv_read(out, &t, &line), 0);
	for (int i = 0; report_columns[i]; i++)
		cr_assert_str_eq(t.header[i], report_columns[i], "column %d", i);
	c_bench = csv_table_col(&t, "bench");
	c_metric = csv_table_col(&t, "metric");
	c_median = csv_table_col(&t, "median");
	c_place = csv_table_col(&t, "placement");
	c_cycles = csv_table_col(&t, "cycles_per_op");
	c_cs = csv_table_col(&t, "ctx_switches_per_op");
	cr_assert(c_cycles > 0 && c_cs > 0);
	for (size_t b = 0; b < sizeof(benches) / sizeof(benches[0]); b++) {
		int roundtrips = 0, switches = 0;

		for (size_t i = 0; i < t.nrows; i++) {
			char **row = t.rows[i];
			double v = strtod(row[c_median], NULL);

			if (strcmp(row[c_bench], benches[b]))
				continue;
			cr_assert(isfinite(v), "%s %s not finite", row[c_bench], row[c_metric]);
			for (size_t c = 9; c < 19; c++)
				cr_assert(row[c][0] && isfinite(strtod(row[c], NULL)),
					  "%s: statistic %s empty", row[c_bench], t.header[c]);
			if (strcmp(row[c_metric], "roundtrip") == 0) {
				roundtrips++;
				cr_assert_gt(v, 0, "%s roundtrip %g", row[c_bench], v);
			} else {
				switches++;
				cr_assert_str_eq(row[c_metric], "switch");
			}
			/* Unmeasurable is empty, never zero. */
			cr_assert(row[c_cycles][0] == '\0' || strtod(row[c_cycles], NULL) > 0);
			/* Two kernel tasks on one processor must switch to exchange
			 * (where this machine lets us count switches at all). */
			if (strcmp(row[c_place], "same-core") == 0 && strstr(benches[b], "coro") == NULL &&
			    row[c_cs][0])
				cr_assert_gt(strtod(row[c_cs], NULL), 0.5, "%s", row[c_bench]);
		}
		cr_assert_gt(roundtrips, 0, "no roundtrip row for %s", benches[b]);
		cr_assert_eq(roundtrips, switches);
	}
	csv_table_free(&t);
	cr_assert_eq(csv_read(samples, &t, &line), 0);
	cr_assert_gt(t.nrows, 0);
	csv_table_free(&t);
	cli_rmdir(dir);
}

Test(cli, json_google_benchmark_schema, .timeout = 120)
{
	static struct cli_run r;
	json_error_t jerr;
	json_t *root, *list, *b;
	size_t i;
	int aggregates = 0;

	CLI(&r, "run", "ctx.coro.asm", "--quick", "--format", "json", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	root = json_loads(r.out, 0, &jerr);
	cr_assert_not_null(root, "not JSON: %s", jerr.text);
	cr_assert(json_is_object(json_object_get(root, "context")));
	cr_assert(json_is_string(json_object_get(json_object_get(root, "context"), "host_name")));
	list = json_object_get(root, "benchmarks");
	cr_assert(json_is_array(list) && json_array_size(list) > 0);
	json_array_foreach(list, i, b) {
		cr_assert(json_is_string(json_object_get(b, "name")));
		cr_assert(json_is_string(json_object_get(b, "run_name")));
		if (strcmp(json_string_value(json_object_get(b, "run_type")), "aggregate") == 0) {
			aggregates++;
			cr_assert(json_is_number(json_object_get(b, "real_time")));
			cr_assert_str_eq(json_string_value(json_object_get(b, "time_unit")), "ns");
		}
	}
	cr_assert_gt(aggregates, 0);
	json_decref(root);
}

Test(cli, failures_cost_one_configuration, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;
	size_t line;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "selftest.hang", "selftest.crash", "selftest.lie", "selftest.setup",
	    "selftest.idle", "ctx.coro.asm", "--quick", "--timeout", "2", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "time budget"), "%s", r.err);
	cr_assert(strstr(r.err, "Aborted"), "%s", r.err);
	cr_assert(strstr(r.err, "check failed"), "%s", r.err);
	cr_assert(strstr(r.err, "setup failed"), "%s", r.err);
	cr_assert(strstr(r.err, "does not seem to do its iterations"), "%s", r.err);
	cr_assert_eq(csv_read(out, &t, &line), 0);
	cr_assert_eq(t.nrows, 2, "the healthy benchmark's rows must survive");
	csv_table_free(&t);
	cli_rmdir(dir);
}

/* A task that cannot start, or dies, must not leave its partner waiting
 * until the watchdog: the reason is reported well inside the budget. */
Test(cli, failed_partner_reported_not_timed_out, .timeout = 120)
{
	static struct cli_run r;

	CLI(&r, "run", "selftest.partner", "selftest.orphan", "--quick", "--timeout", "60",
	    "--counters", "none");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "task_init failed"), "%s", r.err);
	cr_assert(strstr(r.err, "died"), "%s", r.err);
	cr_assert(strstr(r.err, "time budget") == NULL, "%s", r.err);
}

Test(cli, bad_plan_line_runs_nothing, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128];
	struct stat st;
	FILE *f;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	f = fopen(plan, "w");
	cr_assert_not_null(f);
	fputs("'ctx.coro.*' --quick\nnosuch.* --quick\n", f);
	fclose(f);
	CLI(&r, "sweep", "--preset", plan, "--out", run);
	cli_expect_bad(&r, "plan line 2");
	cr_assert_neq(stat(run, &st), 0, "a bad plan must not start a run folder");
	cli_rmdir(dir);
}

Test(cli, interrupt_keeps_completed_results, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;
	size_t line;
	char *const argv[] = {
		(char *)cli_bin(), "run", "ctx.*", "--reps", "30", "--min-time", "0.05",
		"--counters", "none", "--out", out, NULL,
	};

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	cli_exec(&r, 4000, argv);
	cr_assert_eq(r.status, 130, "status %d: %s", r.status, r.err);
	cli_expect_no_temp(dir);
	/* Whatever finished is there, whole; nothing half-written. */
	cr_assert_eq(csv_read(out, &t, &line), 0, "results file missing or torn");
	cr_assert_eq(t.nrows % 2, 0);
	csv_table_free(&t);
	cli_rmdir(dir);
}

Test(cli, sweep_plan_and_plot, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], png[160];
	struct stat st;
	FILE *f;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	f = fopen(plan, "w");
	cr_assert_not_null(f);
	fputs("# two lines, one comment\n'ctx.coro.*' --quick\nctx.thread.futex --quick "
	      "--placement same-core\n", f);
	fclose(f);
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, run));
	cli_expect_no_temp(run);
	static const char *const files[] = { "results.csv", "samples.csv", "env.csv" };
	for (int i = 0; i < 3; i++) {
		snprintf(png, sizeof(png), "%s/%s", run, files[i]);
		cr_assert_eq(stat(png, &st), 0, "%s missing", png);
	}
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(png, sizeof(png), "%s/ctx.png", run);
	cr_assert_eq(stat(png, &st), 0);
	cr_assert_gt(st.st_size, 1000);
	snprintf(png, sizeof(png), "%s/ctx.svg", run);
	cr_assert_eq(stat(png, &st), 0);
	cli_rmdir(dir);
}
