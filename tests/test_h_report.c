/*
 * tests/test_h_report.c - DIR/index.html, the page `contend plot DIR`
 * writes (harness/plot_page.c): well formed, naming every chart drawn
 * with its caption and its rows, the lesson's verdicts at the top, the
 * machine's topology picture or why there is none; and, opened in
 * Debian's headless chromium, every picture loads.  The run folder is
 * tests/fixtures/lesson/holds.csv drawn with the real chart scripts.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/counters.h"
#include "harness/lesson.h"
#include "harness/outfile.h"
#include "harness/csv.h"
#include "harness/measure.h"
#include "harness/plot_page.h"
#include "harness/report.h"
#include "harness/report_warn.h"
#include "harness/runner.h"
#include "tests/check.h"
#include "tests/h_util.h"

/* The source tree: the first folder above the contend binary that holds
 * tests/fixtures/lesson. */
static void report_source(char *path, size_t len)
{
	char dir[PATH_MAX], probe[PATH_MAX + 64];

	cr_assert(realpath(cli_bin(), dir), "no contend binary at %s", cli_bin());
	for (int up = 0; up < 6; up++) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			break;
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%.3800s/tests/fixtures/lesson", dir);
		if (access(probe, R_OK) == 0) {
			snprintf(path, len, "%s", dir);
			return;
		}
	}
	cr_assert_fail("no source tree above %s", cli_bin());
}

/* A run folder dir/run of holds.csv, its env.csv naming `host` (NULL:
 * no env.csv). */
static void report_folder(const char *dir, const char *host, char *run, size_t len)
{
	char src[PATH_MAX], path[PATH_MAX + 64], env[512];
	char *rows;

	report_source(src, sizeof(src));
	snprintf(run, len, "%s/run", dir);
	cr_assert_eq(mkdir(run, 0755), 0);
	snprintf(path, sizeof(path), "%.3800s/tests/fixtures/lesson/holds.csv", src);
	rows = cli_read_file(path);
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_write_str(path, rows);
	free(rows);
	if (!host)
		return;
	snprintf(env, sizeof(env), "key,value\nrun_id,r1\nhost,%s\ncpu_model,Test CPU\npus,2\n"
		 "clock_source,tsc\nclock_note,calibrated\nclock_read_ns,17\n"
		 "clock_resolution_ns,13\nclock_pair_ns,19\n", host);
	snprintf(path, sizeof(path), "%s/env.csv", run);
	cli_write_str(path, env);
}

static const char *report_host(void)
{
	static char host[256];

	gethostname(host, sizeof(host) - 1);
	return host;
}

/* Occurrences of needle in s. */
static int page_count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The charts contend plot said it drew: its .png lines on stdout. */
static int report_charts(const char *out, char names[][64], int max)
{
	int n = 0;

	for (const char *p = out; *p && n < max;) {
		size_t l = strcspn(p, "\n");

		if (l > 4 && !strncmp(p + l - 4, ".png", 4)) {
			const char *b = p + l;

			while (b > p && b[-1] != '/')
				b--;
			snprintf(names[n++], 64, "%.*s", (int)(p + l - 4 - b), b);
		}
		p += l + (p[l] == '\n');
	}
	return n;
}

Test(report, the_page_is_well_formed_and_names_every_chart, .timeout = 120)
{
	static const char *const tags[] = { "html", "head", "body", "table", "tr", "td", "th",
					    "details", "summary", "figure", "figcaption", "h1",
					    "h2", "h3", "p", "a", "style", "script", "code", "div" };
	static struct cli_run r;
	static char names[64][64];
	char dir[64], run[128], path[256];
	char *page;
	int n;

	cli_tmpdir(dir, sizeof(dir));
	report_folder(dir, report_host(), run, sizeof(run));
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	n = report_charts(r.out, names, 64);
	cr_assert_geq(n, 5, "few charts drawn: %s", r.out);
	snprintf(path, sizeof(path), "%s/index.html", run);
	cr_assert(strstr(r.out, path), "index.html not announced: %s", r.out);
	page = cli_read_file(path);
	cr_assert(!strncmp(page, "<!DOCTYPE html>\n", 16));
	cr_assert(strstr(page, "</html>\n") && !strstr(strstr(page, "</html>\n") + 8, "<"));
	for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
		char open1[32], open2[32], close[32];

		snprintf(open1, sizeof(open1), "<%s>", tags[k]);
		snprintf(open2, sizeof(open2), "<%s ", tags[k]);
		snprintf(close, sizeof(close), "</%s>", tags[k]);
		cr_assert_eq(page_count(page, open1) + page_count(page, open2),
			     page_count(page, close), "<%s> opened and closed unevenly", tags[k]);
	}
	/* Text is escaped: every '<' opens a tag, a comment or the doctype
	 * (the figures hold "<=", the claims may hold anything). */
	for (const char *q = strchr(page, '<'); q; q = strchr(q + 1, '<'))
		cr_assert(strchr("abcdefghijklmnopqrstuvwxyz/!", q[1]), "unescaped '<' at: %.40s", q);
	/* Self-contained: nothing is fetched. */
	cr_assert(!strstr(page, "http:") && !strstr(page, "https:") && !strstr(page, "//cdn"));
	cr_assert_eq(page_count(page, "<h2 id=\"chart-"), n, "%d charts drawn", n);
	for (int i = 0; i < n; i++) {
		char img[160], id[160];

		snprintf(img, sizeof(img), "<img src=\"%.60s.png\"", names[i]);
		snprintf(id, sizeof(id), "<h2 id=\"chart-%.60s\">", names[i]);
		cr_assert(strstr(page, img) && strstr(page, id), "chart %s not on the page",
			  names[i]);
	}
	cr_assert(!strstr(page, "(no caption"), "a chart without its caption");
	cr_assert(strstr(page, "rows of results.csv it was drawn from"));
	/* The verdicts come first, one row per rule, as the rules said. */
	cr_assert(strstr(page, "id=\"lesson\"") < strstr(page, "id=\"machine\"") &&
		  strstr(page, "id=\"machine\"") < strstr(page, "<h2 id=\"chart-"));
	for (int i = 0; i < lesson_nrules; i++) {
		char row[128];

		snprintf(row, sizeof(row), "<tr id=\"claim-%s\" class=\"holds\">", lesson_rules[i].id);
		cr_assert(strstr(page, row), "%s missing or not holding", lesson_rules[i].id);
	}
	cr_assert(strstr(r.err, "10 of 10 claims hold here"), "%s", r.err);
	cr_assert(strstr(page, "<p>tsc: calibrated. One reading costs 17 ns, its step is 13 ns, "
			       "two back-to-back readings are 19 ns apart (what a latency sample is "
			       "net of).</p>"), "the clock's figures are not on the page");
	cr_assert(strstr(page, "<td>context-switches</td>"), "the counters are not on the page");
	cli_expect_no_temp(run);
	free(page);
	cli_rmdir(dir);
}

/* Where the run came from another machine, or from nowhere known, lstopo
 * would draw the wrong one: the page says why there is no picture. */
Test(report, no_topology_picture_says_why, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], run[128], path[256];
	char *page;

	for (int k = 0; k < 2; k++) {
		cli_tmpdir(dir, sizeof(dir));
		report_folder(dir, k ? NULL : "another-host", run, sizeof(run));
		CLI(&r, "plot", run);
		cr_assert_eq(r.status, 0, "%s", r.err);
		snprintf(path, sizeof(path), "%s/index.html", run);
		page = cli_read_file(path);
		cr_assert(strstr(page, "id=\"topology-absent\""), "case %d", k);
		cr_assert(!strstr(page, "src=\"topology.png\""), "case %d", k);
		cr_assert(strstr(page, k ? "no env.csv" : "another-host"), "case %d", k);
		snprintf(path, sizeof(path), "%s/topology.png", run);
		cr_assert_neq(access(path, F_OK), 0, "case %d: a picture of the wrong machine", k);
		free(page);
		cli_rmdir(dir);
	}
}

/* A folder where index.html goes is refused before any chart is drawn. */
Test(report, a_page_that_cannot_be_written_is_refused_first, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128], path[256];

	cli_tmpdir(dir, sizeof(dir));
	report_folder(dir, NULL, run, sizeof(run));
	snprintf(path, sizeof(path), "%s/index.html", run);
	cr_assert_eq(mkdir(path, 0755), 0);
	CLI(&r, "plot", run);
	cli_expect_bad(&r, "index.html");
	cr_assert_eq(cli_count_files(run), 2, "charts drawn before the refusal");
	cli_rmdir(dir);
}

/* One file per chart holds its facts: every chart script has a caption. */
Test(report, every_chart_script_has_a_caption, .timeout = 10)
{
	char src[PATH_MAX], plots[PATH_MAX + 16], path[PATH_MAX + 300], cap[4096];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	report_source(src, sizeof(src));
	snprintf(plots, sizeof(plots), "%.3800s/plots", src);
	cr_assert((dp = opendir(plots)));
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);
		char *text;

		if (l < 4 || strcmp(d->d_name + l - 3, ".gp"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", plots, d->d_name);
		text = cli_read_file(path);
		if (strstr(text, "# contend:")) {
			cr_assert_eq(plot_page_caption(path, cap, sizeof(cap)), 0, "%s has no caption",
				     d->d_name);
			cr_assert_gt(strlen(cap), 40, "%s: caption too short: %s", d->d_name, cap);
			n++;
		}
		free(text);
	}
	closedir(dp);
	cr_assert_gt(n, 10);
}

/* What chromium's command cmd prints (the document after its scripts
 * ran), into dom. */
static void report_dom(const char *cmd, char *dom, size_t cap)
{
	size_t len = 0, k;
	FILE *p = popen(cmd, "r");

	cr_assert(p, "cannot run chromium");
	while ((k = fread(dom + len, 1, cap - len - 1, p)) > 0)
		len += k;
	dom[len] = '\0';
	cr_assert_eq(pclose(p), 0, "chromium failed");
}

/*
 * The page in a browser: Debian's headless chromium loads it from the
 * file system and dumps the document after its script ran; the script
 * counted the pictures that did not load (naturalWidth 0).  Every chart
 * and the topology picture must have loaded.
 */
Test(report, every_picture_loads_in_chromium, .timeout = 240)
{
	static struct cli_run r;
	static char names[64][64];
	char dir[64], run[128], cmd[1024], want[128], path[256], *dom;
	size_t cap = 1 << 20;
	int n;

	if (system("command -v chromium > /dev/null 2>&1") != 0)
		cr_skip_test("no chromium here (scripts/install-deps --tests installs it)");
	if (system("command -v lstopo > /dev/null 2>&1") != 0)
		cr_skip_test("no lstopo here (Debian's hwloc package): no topology picture to check");
	cli_tmpdir(dir, sizeof(dir));
	report_folder(dir, report_host(), run, sizeof(run));
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	n = report_charts(r.out, names, 64);
	cr_assert_gt(n, 0);
	snprintf(cmd, sizeof(cmd), "timeout -k 5 200 chromium --headless --no-sandbox --disable-gpu "
		 "--user-data-dir=%s/profile --virtual-time-budget=10000 --dump-dom "
		 "file://%s/index.html 2>/dev/null", dir, run);
	dom = malloc(cap);
	cr_assert(dom);
	report_dom(cmd, dom, cap);
	cr_assert(strstr(dom, "id=\"topology\""), "no topology picture on the page");
	snprintf(want, sizeof(want), "data-pictures=\"%d\"", n + 1);
	cr_assert(strstr(dom, want), "expected %d pictures: %s", n + 1,
		  strstr(dom, "id=\"pictures\"") ? strstr(dom, "id=\"pictures\"") : "no count");
	cr_assert(strstr(dom, "data-broken=\"0\""), "pictures did not load: %s",
		  strstr(dom, "id=\"pictures\"") ? strstr(dom, "id=\"pictures\"") : "no count");
	/* ... and the count sees a picture that is not there. */
	snprintf(want, sizeof(want), "%.60s.png", names[0]);
	snprintf(path, sizeof(path), "%s/%s", run, want);
	cr_assert_eq(unlink(path), 0);
	report_dom(cmd, dom, cap);
	cr_assert(strstr(dom, "data-broken=\"1\""), "a missing %s not counted: %s", want,
		  strstr(dom, "id=\"pictures\"") ? strstr(dom, "id=\"pictures\"") : "no count");
	free(dom);
	cli_rmdir(dir);
}

/* ---- the counters' notice ---- */

/* Add a measured configuration of `name` whose counters were counted
 * (err 0), failed with err, or were lost with no errno recorded (-1). */
static void report_test_add(struct report *r, const char *name, int err)
{
	const struct bench_desc *d = NULL;
	struct runner_config cfg = { .ntasks = 1, .reps = 1, .ctrs = &r->ctrs };
	struct report_entry e = { .ntasks = 1, .reps_asked = 1 };
	void *mem;

	for (int i = 0; bench_registry[i]; i++)
		if (!strcmp(bench_registry[i]->name, name))
			d = bench_registry[i];
	cr_assert_not_null(d, "%s is not registered", name);
	cfg.desc = e.desc = d;
	mem = calloc(1, measure_layout(&e.res, &cfg, NULL) + 1);
	cr_assert_not_null(mem);
	measure_layout(&e.res, &cfg, mem);
	e.res.status = RUNNER_OK;
	e.res.reps = 1;
	e.res.iters = 1;
	for (int c = 0; c < r->ctrs.n; c++) {	/* every counter alike */
		e.res.ctr_ok[c] = !err;
		e.res.ctr_err[c] = err > 0 ? err : 0;	/* -1: lost, no errno said why */
	}
	cr_assert_eq(report_add(r, &e), 0);
}

/* What report_warn() writes on stderr. */
static void report_test_notices(const struct report *r, char *buf, size_t len)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	cr_assert(f && saved >= 0);
	fflush(stderr);
	cr_assert_geq(dup2(fileno(f), 2), 0);
	report_warn(r, 0, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * A counter lost in some configurations (descriptors run out at
 * ptc.io's largest c) is said to be lost there, with how many and the
 * first; one lost in every configuration cannot be counted here.  The
 * quick sweep of 2026-12-06 said the latter of context switches when 20
 * of its 1,905 rows lacked them.
 */
Test(report, a_counter_lost_in_some_configurations_says_where, .timeout = 30)
{
	struct report r = { 0 };
	char err[200], out[4096];

	cr_assert_eq(ctr_parse("context-switches", &r.ctrs, err, sizeof(err)), 0, "%s", err);
	report_test_add(&r, "selftest.spin", 0);
	report_test_add(&r, "ptc.io.thread", EMFILE);
	report_test_add(&r, "selftest.spin", 0);
	report_test_notices(&r, out, sizeof(out));
	cr_assert(strstr(out, "counter context-switches could not be counted in 1 of 3 "
			      "configurations, ptc.io.thread first (Too many open files); its "
			      "cells are left empty there"), "%s", out);
	cr_assert_null(strstr(out, "cannot be counted here"), "%s", out);
	report_free(&r);

	/* Two lost, for two reasons: the first named, with its own. */
	memset(&r, 0, sizeof(r));
	cr_assert_eq(ctr_parse("context-switches", &r.ctrs, err, sizeof(err)), 0, "%s", err);
	report_test_add(&r, "selftest.spin", 0);
	report_test_add(&r, "ptc.io.thread", EMFILE);
	report_test_add(&r, "ptc.io.process", EACCES);
	report_test_add(&r, "selftest.spin", 0);
	report_test_notices(&r, out, sizeof(out));
	cr_assert(strstr(out, "could not be counted in 2 of 4 configurations, ptc.io.thread "
			      "first (Too many open files)"), "%s", out);
	report_free(&r);

	memset(&r, 0, sizeof(r));
	cr_assert_eq(ctr_parse("context-switches", &r.ctrs, err, sizeof(err)), 0, "%s", err);
	report_test_add(&r, "selftest.spin", ENOENT);
	report_test_add(&r, "selftest.spin", ENOENT);
	report_test_notices(&r, out, sizeof(out));
	cr_assert(strstr(out, "counter context-switches cannot be counted here ("), "%s", out);
	cr_assert(strstr(out, "its column is left empty"), "%s", out);
	report_free(&r);

	/* Lost with no errno recorded: still a notice, never a silent
	 * empty column. */
	memset(&r, 0, sizeof(r));
	cr_assert_eq(ctr_parse("context-switches", &r.ctrs, err, sizeof(err)), 0, "%s", err);
	report_test_add(&r, "selftest.spin", -1);
	report_test_add(&r, "selftest.spin", 0);
	report_test_notices(&r, out, sizeof(out));
	cr_assert(strstr(out, "counter context-switches could not be counted in 1 of 2 "
			      "configurations, selftest.spin first ("), "%s", out);
	report_free(&r);

	/* Two counters lost for one reason: one notice names both, once. */
	memset(&r, 0, sizeof(r));
	cr_assert_eq(ctr_parse("context-switches,cpu-migrations", &r.ctrs, err, sizeof(err)), 0,
		     "%s", err);
	report_test_add(&r, "selftest.spin", ENOENT);
	report_test_notices(&r, out, sizeof(out));
	cr_assert(strstr(out, "counters context-switches, cpu-migrations cannot be counted here ("),
		  "%s", out);
	{
		int notices = 0;

		for (const char *p = out; (p = strstr(p, "notice:")); p++)
			notices++;
		cr_assert_eq(notices, 1, "%s", out);
	}
	report_free(&r);
}

/* Add a measured configuration of `name` with params: reps
 * repetitions, each of 1000 operations; repetition i takes run(i, arg)
 * ns, and its baseline (where the workload has one) base(i, arg). */
static void report_test_entry(struct report *r, const char *name, const char *params, int reps,
			      double (*run)(int, double), double (*base)(int, double), double arg,
			      double ops)
{
	const struct bench_desc *d = NULL;
	struct runner_config cfg = { .ntasks = 1, .reps = reps, .ctrs = &r->ctrs };
	struct report_entry e = { .ntasks = 1, .reps_asked = reps };
	void *mem;

	for (int i = 0; bench_registry[i]; i++)
		if (!strcmp(bench_registry[i]->name, name))
			d = bench_registry[i];
	cr_assert_not_null(d, "%s", name);
	cfg.desc = e.desc = d;
	snprintf(e.placement, sizeof(e.placement), "none");
	snprintf(e.params, sizeof(e.params), "%s", params);
	mem = calloc(1, measure_layout(&e.res, &cfg, NULL) + 1);
	cr_assert_not_null(mem);
	measure_layout(&e.res, &cfg, mem);
	e.res.status = RUNNER_OK;
	e.res.reps = reps;
	e.res.iters = 1000;
	for (int i = 0; i < reps; i++) {
		e.res.run_ns[i] = e.res.cpu_ns[i] = run(i, arg);
		e.res.ops[i] = ops;
		if (d->baseline)
			e.res.base_ns[i] = e.res.base_cpu_ns[i] = base(i, arg);
	}
	cr_assert_eq(report_add(r, &e), 0);
}

/* 1 ms off by -spread, +spread, 0 in turn. */
static double report_test_swing(int i, double spread)
{
	return 1e6 * (1 + spread * (i % 3 == 0 ? -1 : i % 3 == 1 ? 1 : 0));
}

static double report_test_flat(int i, double ns)
{
	(void)i;
	return ns > 0 ? ns : 1e6;
}

/* Add a measured selftest.spin configuration of 9 repetitions, params
 * as given, each repetition's time 1 ms off by +-spread in turn. */
static void report_test_noisy(struct report *r, const char *params, double spread)
{
	report_test_entry(r, "selftest.spin", params, 9, report_test_swing, NULL, spread, 1000);
}

/*
 * The summary names the noisiest rows, noisiest first, and only the
 * worst three: four noisy configurations added in no order of their
 * noise (20, 60, 7 and 40 % off) and one quiet one.  Each is named once,
 * by its cost row (the rate is the same measurement inverted), with its
 * interval's half-width over the median: 9 repetitions' interval is
 * their 2nd to 8th, the two sides of the swing.  And the line's counts:
 * 4 warnings on 10 rows (5 configurations of 2 metrics).
 */
Test(report, the_noisiest_rows_come_first, .timeout = 30)
{
	struct report r = { 0 };
	char out[4096];

	report_test_noisy(&r, "k_ns=20", 0.2);
	report_test_noisy(&r, "k_ns=60", 0.6);
	report_test_noisy(&r, "k_ns=0", 0);
	report_test_noisy(&r, "k_ns=5", 0.07);
	report_test_noisy(&r, "k_ns=40", 0.4);
	report_test_notices(&r, out, sizeof(out));
	cr_assert_str_eq(out, "contend: warning: 4 warnings on 10 rows: 4 noisy (the median's "
			      "interval wider than ±5 % of its scale), 0 net costs not "
			      "distinguishable from zero, 0 with no finite value, 0 configurations "
			      "with fewer than 5 repetitions; noisiest: selftest.spin (thread, none, "
			      "k_ns=60) op 60 %; selftest.spin (thread, none, k_ns=40) op 40 %; "
			      "selftest.spin (thread, none, k_ns=20) op 20 %; details with "
			      "--verbose\n");
	report_free(&r);
}

/* A baseline 1 ms off by +-10 us in turn under a flat 1 ms. */
static double report_test_base_swing(int i, double unused)
{
	(void)unused;
	return 1e6 + (i % 3 == 0 ? 1e4 : i % 3 == 1 ? -1e4 : 0);
}

static double report_test_base_below(int i, double unused)
{
	(void)i;
	(void)unused;
	return 0.9e6;
}

/*
 * Each kind of warning, counted apart in the summary, and each row of
 * warnings.csv with its metric and value: two net costs whose interval
 * reaches zero (ctx.thread.cond's over_futex, its baseline as long as the
 * round give or take 10 us), one net cost clear of zero (no warning), a
 * cost with no finite value (no operations), three configurations of 3
 * repetitions.  With --verbose, one line each, the unresolved one exact.
 */
Test(report, each_kind_of_warning_is_counted_apart, .timeout = 30)
{
	struct report r = { 0 };
	char out[8192], dir[64], path[128];
	struct csv_table t;
	struct csv_writer *w;
	struct outfile *f;
	static const char *const want[][3] = {
		{ "over_futex", "not_resolved", "0" }, { "over_futex", "not_resolved", "0" },
		{ "op", "no_value", "0" },
		{ "", "few_reps", "3" }, { "", "few_reps", "3" }, { "", "few_reps", "3" },
	};

	report_test_entry(&r, "ctx.thread.cond", "ws_kb=0", 9, report_test_flat,
			  report_test_base_swing, 0, 1000);
	report_test_entry(&r, "ctx.thread.cond", "ws_kb=4", 9, report_test_flat,
			  report_test_base_swing, 0, 1000);
	report_test_entry(&r, "ctx.thread.cond", "ws_kb=8", 9, report_test_flat,
			  report_test_base_below, 0, 1000);
	report_test_entry(&r, "selftest.spin", "k_ns=1", 9, report_test_flat, NULL, 0, 0);
	for (int i = 0; i < 3; i++)
		report_test_entry(&r, "selftest.spin", "k_ns=2", 3, report_test_flat, NULL, 0,
				  1000);
	report_test_notices(&r, out, sizeof(out));
	cr_assert(strstr(out, "contend: warning: 6 warnings on "), "%s", out);
	cr_assert(strstr(out, " rows: 0 noisy (the median's interval wider than ±5 % of its "
			      "scale), 2 net costs not distinguishable from zero, 1 with no finite "
			      "value, 3 configurations with fewer than 5 repetitions; details with "
			      "--verbose\n"), "%s", out);

	/* --verbose: the line of the first, exact */
	FILE *tf = tmpfile();
	int saved = dup(2);
	size_t n;

	cr_assert(tf && saved >= 0);
	fflush(stderr);
	dup2(fileno(tf), 2);
	report_warn(&r, 1, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tf);
	n = fread(out, 1, sizeof(out) - 1, tf);
	out[n] = '\0';
	fclose(tf);
	cr_assert(strstr(out, "contend: warning: ctx.thread.cond (thread, none, ws_kb=0) "
			      "over_futex: 0 ns, net of the baseline, is not distinguishable from "
			      "zero (its 96.1 % interval reaches -5); the gross row still holds\n"),
		  "%s", out);
	cr_assert_null(strstr(out, "ws_kb=8) over_futex"), "a net cost clear of zero: %s", out);

	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/warnings.csv", dir);
	cr_assert_not_null(f = outfile_open(path), "%s", path);
	cr_assert_not_null(w = csv_writer_new(f));
	report_warnings_csv(&r, NULL, w);
	csv_writer_free(w);
	cr_assert_eq(outfile_commit(f), 0);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 6);
	for (size_t i = 0; i < t.nrows; i++) {
		cr_assert_str_eq(t.rows[i][cli_col(&t, "metric")], want[i][0], "row %zu", i);
		cr_assert_str_eq(t.rows[i][cli_col(&t, "warning")], want[i][1], "row %zu", i);
		cr_assert_float_eq(strtod(t.rows[i][cli_col(&t, "value")], NULL),
				   atof(want[i][2]), 1e-9, "row %zu: %s", i,
				   t.rows[i][cli_col(&t, "value")]);
	}
	csv_table_free(&t);
	cli_rmdir(dir);
	report_free(&r);
}

/*
 * A counter per event, a known answer without perf: the median over the
 * counted rounds of each round's count over its operations times the
 * metric's events per operation, net of the baseline's count on a net
 * figure.  ctx.thread.cond, 3 counted rounds of 1000 operations:
 * counter 0 counts 4000, 4200, 3800 (baseline 1000 each), counter 1
 * 30000, 36000, 33000 (baseline 10000).  roundtrip (1 event an
 * operation): 4.0 and 33; over_futex (2 switches, net): 1.5 and 11.5.
 * A counter not counted in every task is unknown, not 0.
 */
Test(report, counters_per_event_known_answers, .timeout = 30)
{
	static const double run0[] = { 4000, 4200, 3800 }, run1[] = { 30000, 36000, 33000 };
	struct report r = { 0 };
	struct runner_result *res;
	char err[200];

	cr_assert_eq(ctr_parse("context-switches,syscalls", &r.ctrs, err, sizeof(err)), 0, "%s",
		     err);
	report_test_entry(&r, "ctx.thread.cond", "ws_kb=0", 1, report_test_flat,
			  report_test_base_below, 0, 1000);
	res = &r.e[0].res;
	res->ctr_rounds = 3;
	res->ctr_ok[0] = res->ctr_ok[1] = 1;
	for (int k = 0; k < 3; k++) {
		res->ctr_ops[k] = 1000;
		res->ctr_run[k * 2 + 0] = run0[k];
		res->ctr_run[k * 2 + 1] = run1[k];
		res->ctr_base[k * 2 + 0] = 1000;
		res->ctr_base[k * 2 + 1] = 10000;
	}
	const struct bench_metric *rt = &r.e[0].desc->metrics[0], *net = &r.e[0].desc->metrics[1];

	cr_assert_str_eq(rt->name, "roundtrip");
	cr_assert_str_eq(net->name, "over_futex");
	cr_assert_float_eq(report_counter_per_op(&r, &r.e[0], rt, 0), 4.0, 1e-12);
	cr_assert_float_eq(report_counter_per_op(&r, &r.e[0], rt, 1), 33.0, 1e-12);
	cr_assert_float_eq(report_counter_per_op(&r, &r.e[0], net, 0), 1.5, 1e-12);
	cr_assert_float_eq(report_counter_per_op(&r, &r.e[0], net, 1), 11.5, 1e-12);
	res->ctr_ok[1] = 0;
	cr_assert(isnan(report_counter_per_op(&r, &r.e[0], rt, 1)));
	cr_assert(isnan(report_counter_per_op(&r, &r.e[0], net, 1)));
	report_free(&r);
}
