/*
 * tests/test_h_cli.c - the contend command as users run it: every bad
 * input (and every output that cannot be written) ends in one line on
 * stderr and exit status 2 before any work; outputs are never half
 * written and nothing that is not a regular file is replaced; the
 * watchdog, a crash, a failed check, a failed fork cost one
 * configuration, not the run; a skipped configuration is not a failure;
 * SIGINT, SIGTERM and SIGHUP keep what completed; run folders belong to
 * one sweep; the progress line's clock and time left have known answers
 * (on a clock the test sets back).  Timings are never asserted.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pty.h>
#include <hwloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/clock.h"
#include "harness/cmd.h"
#include "harness/csv.h"
#include "harness/envinfo.h"
#include "harness/measure.h"
#include "harness/progress.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/topo.h"
#include "tests/check.h"
#include "tests/h_util.h"

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
	{ { "run", "ctx.*", "--counters", "cycles,,instructions" }, "empty" },
	{ { "run", "ctx.*", "--counters", "cs,context-switches" }, "twice" },
	{ { "run", "ctx.*", "--placement", "sideways" }, "sideways" },
	{ { "run", "ctx.*", "--placement", "cpus:0,,1" }, "empty" },
	{ { "run", "ctx.*", "--placement", "," }, "empty" },
	{ { "run", "ctx.*", "--placement", "same-core,same-core" }, "twice" },
	{ { "run", "ctx.*", "--reps", "0" }, "--reps" },
	{ { "run", "ctx.*", "--reps", "ten" }, "--reps" },
	{ { "run", "ctx.*", "--mode", "both" }, "--mode" },
	{ { "run", "ctx.*", "--min-time", "-1" }, "--min-time" },
	{ { "run", "ctx.*", "--param", "nosuch=1" }, "nosuch" },
	{ { "run", "ctx.*", "--param", "ws_kb=abc" }, "ws_kb=abc" },
	{ { "run", "ctx.*", "--param", "ws_kb=-1" }, "ws_kb=-1" },
	{ { "run", "ctx.*", "--param", "ws_kb=0,0" }, "twice" },
	{ { "run", "ctx.*", "--param", "ws_kb=8,08" }, "same value" },
	{ { "run", "ctx.*", "--param", "ws_kb=1," }, "empty" },
	/* a choice is one of the words whole: not a prefix of one, nor one
	 * and more (blind13-10) */
	{ { "run", "sync.sem", "--param", "hold=sl" }, "hold=sl" },
	{ { "run", "sync.sem", "--param", "hold=sleeps" }, "hold=sleeps" },
	{ { "run", "sync.sem", "--param", "hold=" }, "hold" },
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
	{ { "sweep", "--preset", "/tmp" }, "folder" },
	{ { "sweep", "--resume", "/nonexistent/run" }, "plan.txt" },
	{ { "plot", "/nonexistent/run" }, "results.csv" },
	{ { "compare", "/nonexistent/a", "/nonexistent/b" }, "/nonexistent/a" },
	{ { "compare", "/nonexistent/a" }, "two runs" },
	{ { "compare", "a", "b", "--threshold", "-3" }, "--threshold" },
	/* Outputs that cannot be written, refused before any work. */
	{ { "run", "ctx.coro.asm", "--out", "/nonexistent/dir/r.csv" }, "no such folder" },
	{ { "run", "ctx.coro.asm", "--out", "/tmp" }, "folder" },
	{ { "run", "ctx.coro.asm", "--out", "" }, "empty name" },
	{ { "run", "ctx.coro.asm", "--out", "/proc/contend.csv" }, "--out" },
	{ { "run", "ctx.coro.asm", "--samples", "/nonexistent/s.csv" }, "--samples" },
	{ { "run", "ctx.coro.asm", "--out", "/tmp/x.csv", "--samples", "/tmp/../tmp/x.csv" },
	  "same file" },
	{ { "sweep", "--out", "/nonexistent/dir/run" }, "--out" },
};

/*
 * A run id is the local time it was made, YYYYMMDD-HHMMSS, then the
 * host's short name: read back as a time, it falls between the clock
 * read before and after it (January is 01, the first day 01).
 */
Test(cli, a_run_id_names_the_local_time_and_host, .timeout = 10)
{
	char id[128], host[64], want[96];
	time_t t0 = time(NULL), t1, at;
	struct tm tm = { 0 };
	const char *rest;

	cmd_run_id(id, sizeof(id));
	t1 = time(NULL);
	rest = strptime(id, "%Y%m%d-%H%M%S-", &tm);
	cr_assert_not_null(rest, "run id %s is not YYYYMMDD-HHMMSS-host", id);
	tm.tm_isdst = -1;
	at = mktime(&tm);
	cr_assert(at >= t0 && at <= t1, "run id %s reads %lld s away from when it was made", id,
		  (long long)(at < t0 ? t0 - at : at - t1));
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	snprintf(want, sizeof(want), "%.24s", host);
	cr_assert_str_eq(rest, want, "run id %s: host", id);
}

Test(cli, bad_input_exit_2_one_line, .timeout = 120)
{
	static struct cli_run r;

	for (size_t i = 0; i < sizeof(cli_bad) / sizeof(cli_bad[0]); i++) {
		char *argv[10] = { (char *)cli_bin() };

		for (int k = 0; k < 8 && cli_bad[i].argv[k]; k++)
			argv[k + 1] = (char *)cli_bad[i].argv[k];
		cli_exec_how(&r, NULL, argv);
		cli_expect_bad(&r, cli_bad[i].needle);
	}
}

/* Every option that takes a number, as each command's --help lists it
 * (metavar N, SEC, PCT or A), refuses a sign, trailing junk and an empty
 * value in one line that names it: a new numeric option is checked the
 * day it is listed.  strtoull, for one, takes "-1" as 2^64 - 1. */
Test(cli, every_numeric_option_refuses_malformed_values, .timeout = 120)
{
	static const char *const cmds[] = { "run", "sweep", "compare" };
	static const char *const bad[] = { "-1", "-0", "3x", "" };
	static struct cli_run r, h;
	int checked = 0;

	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		CLI(&h, (char *)cmds[c], "--help");
		cr_assert_eq(h.status, 0, "%s --help: %s", cmds[c], h.err);
		for (const char *p = h.out; (p = strstr(p, "  --")); p++) {
			char name[32], meta[8];
			char opt[40];

			if (sscanf(p + 2, "%31s %7s", name, meta) != 2 ||
			    (strcmp(meta, "N") && strcmp(meta, "SEC") && strcmp(meta, "PCT") &&
			     strcmp(meta, "A")))
				continue;
			snprintf(opt, sizeof(opt), "%s", name);
			for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
				if (!strcmp(cmds[c], "compare"))
					CLI(&r, "compare", "a", "b", opt, (char *)bad[b]);
				else if (!strcmp(cmds[c], "sweep"))
					CLI(&r, "sweep", opt, (char *)bad[b]);
				else
					CLI(&r, "run", "selftest.spin", opt, (char *)bad[b]);
				cli_expect_bad(&r, opt);
				checked++;
			}
		}
	}
	/* --reps, --min-time, --timeout and --seed for run and sweep;
	 * --threshold and --alpha for compare. */
	cr_assert_geq(checked, 10 * 4, "only %d option values checked: has --help's "
		      "layout changed?", checked);
}

/* Messages that used to say the wrong thing. */
Test(cli, messages_say_what_is_wrong, .timeout = 60)
{
	static struct cli_run r;
	static char list[12000];
	size_t off = snprintf(list, sizeof(list), "cpus:");

	for (int i = 0; i < 2000; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%d", i ? "," : "", i);
	CLI(&r, "run", "ctx.thread.futex", "--placement", list);
	cli_expect_bad(&r, "too long");
	cr_assert(strstr(r.err, "expected a policy") == NULL, "%s", r.err);
	CLI(&r, "run", "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "DESIGN.md") == NULL, "--help cites a file users do not have");
	CLI(&r, "run", "selftest.hang", "--quick", "--timeout", "1", "--counters", "none");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "time budget of 1 s"), "%s", r.err);
}

/* Output paths that need a place made for them. */
Test(cli, bad_outputs_refused_before_work, .timeout = 60)
{
	static struct cli_run r;
	static struct cli_how closed = { .close_stdout = 1 };
	char dir[64], path[512], name[300];

	cli_tmpdir(dir, sizeof(dir));
	/* no room for the temporary sibling */
	memset(name, 'n', 250);
	name[250] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CLI(&r, "run", "ctx.coro.asm", "--out", path);
	cli_expect_bad(&r, "too long");
	/* the same file twice, one of them existing */
	snprintf(path, sizeof(path), "%s/same.csv", dir);
	cli_write_str(path, "x\n");
	char other[600];
	snprintf(other, sizeof(other), "%s/../%s/same.csv", dir, strrchr(dir, '/') + 1);
	CLI(&r, "run", "ctx.coro.asm", "--out", path, "--samples", other);
	cli_expect_bad(&r, "same file");
	/* stdout closed: results could go nowhere */
	CLI_HOW(&r, &closed, "run", "ctx.coro.asm", "--quick");
	cli_expect_bad(&r, "standard output is closed");
	/* a run folder is never reused by accident */
	snprintf(path, sizeof(path), "%s/run", dir);
	mkdir(path, 0777);
	CLI(&r, "sweep", "--out", path);
	cli_expect_bad(&r, "exists already");
	cr_assert_eq(cli_count_files(path), 0, "the refused folder was written to");
	/* a read-only place (root mounts one; otherwise /proc stands in) */
	snprintf(path, sizeof(path), "%s/ro", dir);
	mkdir(path, 0777);
	int ro = mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=64k") == 0;
	snprintf(path, sizeof(path), "%s/ro/r.csv", dir);
	CLI(&r, "run", "ctx.coro.asm", "--out", ro ? path : "/proc/contend.csv");
	cli_expect_bad(&r, "--out");
	if (ro) {
		snprintf(path, sizeof(path), "%s/ro", dir);
		umount(path);
	}
	cli_expect_no_temp(dir);
	cli_rmdir(dir);
}

Test(cli, unreadable_csv_for_plot, .timeout = 30)
{
	static struct cli_run r;
	char dir[64], path[128];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	cli_write_str(path, "bench,metric\n\"unterminated,x\n");
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
	CLI(&r, "list", "--long");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "net of:"), "the baseline of a net metric is not named");
	CLI(&r, "env");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "topology") && strstr(r.out, "clock") && strstr(r.out, "counters"));
	cr_assert(strstr(r.out, "syscalls"));
	CLI(&r, "run", "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "--placement") && strstr(r.out, "--counters"));
	CLI(&r, "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "sweep") && strstr(r.out, "compare"));
}

/* Output to a full device must fail, not report success. */
Test(cli, full_stdout_fails, .timeout = 60)
{
	static struct cli_run r;
	static struct cli_how full = { .stdout_full = 1 };

	CLI_HOW(&r, &full, "list");
	cr_assert_eq(r.status, 1, "list to /dev/full: %d", r.status);
	cr_assert(strstr(r.err, "No space"), "%s", r.err);
	CLI_HOW(&r, &full, "env");
	cr_assert_eq(r.status, 1);
	CLI_HOW(&r, &full, "run", "--help");
	cr_assert_eq(r.status, 1);
	CLI_HOW(&r, &full, "--help");
	cr_assert_eq(r.status, 1);
}

/* Character devices, FIFOs and links are written through, never
 * replaced by a regular file. */
Test(cli, outputs_that_are_not_regular_files, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], fifo[128], got[128], link[128], real[128];
	struct stat st;
	struct csv_table t;
	pid_t reader;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(got, sizeof(got), "%s/got.csv", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	reader = fork();
	cr_assert_geq(reader, 0);
	if (reader == 0) {	/* cat fifo > got, gone with the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int in = open(fifo, O_RDONLY), out = open(got, O_WRONLY | O_CREAT, 0600);
		char buf[4096];
		ssize_t n;

		while ((n = read(in, buf, sizeof(buf))) > 0)
			(void)!write(out, buf, (size_t)n);
		_exit(0);
	}
	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000", "--threads", "1", "--mode",
	    "thread", "--quick", "--counters", "none", "--out", fifo);
	cr_assert_eq(r.status, 0, "%s", r.err);
	waitpid(reader, NULL, 0);
	cr_assert_eq(lstat(fifo, &st), 0);
	cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced");
	cli_read_csv(got, &t);
	cr_assert_eq(t.nrows, 2, "the reader got %zu rows", t.nrows);
	csv_table_free(&t);

	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000", "--threads", "1", "--mode",
	    "thread", "--quick", "--counters", "none", "--out", "/dev/null");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(lstat("/dev/null", &st), 0);
	cr_assert(S_ISCHR(st.st_mode), "/dev/null was replaced");

	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000", "--threads", "1", "--mode",
	    "thread", "--quick", "--counters", "none", "--out", "/dev/stdout");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "selftest.spin"), "/dev/stdout got nothing");
	cr_assert_eq(lstat("/dev/stdout", &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "/dev/stdout was replaced");

	snprintf(real, sizeof(real), "%s/real.csv", dir);
	snprintf(link, sizeof(link), "%s/link.csv", dir);
	cli_write_str(real, "old\n");
	cr_assert_eq(symlink("real.csv", link), 0);
	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000", "--threads", "1", "--mode",
	    "thread", "--quick", "--counters", "none", "--out", link);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link was replaced");
	cli_read_csv(real, &t);
	cr_assert_eq(t.nrows, 2);
	csv_table_free(&t);
	cli_expect_no_temp(dir);
	cli_rmdir(dir);
}

Test(cli, failures_cost_one_configuration, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	/* --timeout 5: the hang's budget, and room enough for the healthy
	 * ctx.coro.asm under TSan on a loaded machine. */
	CLI(&r, "run", "selftest.hang", "selftest.crash", "selftest.lie", "selftest.setup",
	    "selftest.idle", "ctx.coro.asm", "--quick", "--timeout", "5", "--counters", "none",
	    "--out", out);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "time budget"), "%s", r.err);
	cr_assert(strstr(r.err, "Aborted"), "%s", r.err);
	cr_assert(strstr(r.err, "check failed"), "%s", r.err);
	cr_assert(strstr(r.err, "setup failed"), "%s", r.err);
	cr_assert(strstr(r.err, "does not seem to do its iterations"), "%s", r.err);
	cli_read_csv(out, &t);
	cr_assert_eq(t.nrows, 2, "the healthy benchmark's rows must survive");
	csv_table_free(&t);
	cli_rmdir(dir);
}

/*
 * Every process a configuration starts is gone when it ends, the runner
 * the watchdog killed included: after each configuration the parent
 * checks it has no child left (runner_child_left) and says "contend:
 * BUG" if it has, which no run may say (tests/h_util.c).  Runners that
 * time out, in both modes, then configurations that run: none may find
 * a runner of an earlier one, defunct or alive.
 */
Test(cli, no_runner_outlives_its_configuration, .timeout = 120)
{
	static struct cli_run r;
	int hangs = 0, spins = 0;

	/* The budget is 1 s for all: on a loaded machine a spin may
	 * overrun it too, which is fine; a runner left behind is not. */
	CLI(&r, "run", "selftest.hang", "selftest.spin", "--param", "k_ns=100000", "--quick",
	    "--timeout", "1", "--counters", "none", "--seed", "1");
	cr_assert_eq(r.status, 1, "%s", r.err);
	for (const char *l = r.err; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *eol = strchr(l, '\n'), *at;

		if (!eol)
			break;
		if (strncmp(l, "contend: [", 10))
			continue;	/* only a configuration's own line */
		if ((at = strstr(l, "selftest.hang ")) && at < eol) {
			hangs++;
			at = strstr(l, "FAILED after");
			cr_assert(at && at < eol && strstr(at, "exceeded its time budget") &&
				  strstr(at, "exceeded its time budget") < eol, "%.*s", (int)(eol - l), l);
		} else if ((at = strstr(l, "selftest.spin ")) && at < eol) {
			spins++;
			at = strstr(l, " ... ");
			cr_assert(at && at < eol &&
				  (!strncmp(at, " ... ok", 7) ||
				   !strncmp(at, " ... FAILED after", 17)), "%.*s", (int)(eol - l), l);
			cr_assert(!strstr(at, "harness bug") || strstr(at, "harness bug") > eol,
				  "%.*s", (int)(eol - l), l);
		}
	}
	cr_assert_eq(hangs, 2, "both modes' hangs: %s", r.err);
	cr_assert_eq(spins, 4, "every configuration after them ran: %s", r.err);
	cr_assert_null(strstr(r.err, "harness bug"), "%s", r.err);
}

/*
 * And inside the runner: what a workload starts and never stops (a
 * thread, a child still running, one that exited and was never waited
 * for, a grandchild its parent abandoned, an open pipe, a shared mapping)
 * fails its configuration with what was left, in both modes, and the
 * run goes on.
 */
Test(cli, what_a_workload_starts_is_gone_when_it_ends, .timeout = 120)
{
	static const struct {
		const char *what, *reason;
		int thread;	/* a thread left: not looked for under TSan */
	} left[] = {
		{ "thread", "left 1 thread running after teardown", 1 },
		{ "threads", "left 100 threads running after teardown", 1 },
		{ "skipped", "after starting a thread, and the workload left 1 thread running after "
			     "setup gave up", 1 },
		{ "child", "still running) after teardown", 0 },
		{ "zombie", "never waited for) after teardown", 0 },
		{ "orphan", "still running) after teardown", 0 },
		{ "fd", "left 2 file descriptors open after teardown", 0 },
		{ "mapping", "left 1 shared mapping mapped after teardown", 0 },
	};
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "selftest.leak", "selftest.spin", "--param",
	    "what=thread,threads,skipped,child,zombie,orphan,fd,mapping",
	    "--param", "k_ns=100000", "--quick", "--timeout", "30", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 1, "%s", r.err);
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		static const char *const modes[] = { "thread", "process" };

		for (int m = 0; m < 2; m++) {
			char head[128];
			const char *at;

			if (!MEASURE_CHECKS_THREADS && left[i].thread)
				continue;	/* not checked under TSan */

			snprintf(head, sizeof(head), "selftest.leak %s none tasks=1 what=%s ... ",
				 modes[m], left[i].what);
			at = strstr(r.err, head);
			cr_assert_not_null(at, "no line for %s: %s", head, r.err);
			at += strlen(head);
			cr_assert_eq(strncmp(at, "FAILED", 6), 0, "%s: %.200s", head, at);
			cr_assert(strstr(at, left[i].reason) &&
				  strstr(at, left[i].reason) < strchr(at, '\n'),
				  "%s: not '%s': %.200s", head, left[i].reason, at);
		}
	}
	cli_read_csv(out, &t);
	cr_assert_gt(t.nrows, 0, "selftest.spin ran after them: %s", r.err);
	for (size_t i = 0; i < t.nrows; i++)
		cr_assert(!strcmp(t.rows[i][cli_col(&t, "bench")], "selftest.spin") ||
			  (!MEASURE_CHECKS_THREADS &&
			   (!strcmp(t.rows[i][cli_col(&t, "params")], "what=thread") ||
			    !strcmp(t.rows[i][cli_col(&t, "params")], "what=threads"))),
			  "%s %s has rows", t.rows[i][cli_col(&t, "bench")],
			  t.rows[i][cli_col(&t, "params")]);
	csv_table_free(&t);
	cli_rmdir(dir);
}

/* The check itself: nothing when there is no child; an exited child
 * nobody waited for, by pid, and left for its parent to reap; a running
 * one, by pid. */
Test(cli, child_left_check_sees_defunct_and_running, .timeout = 30)
{
	siginfo_t si;
	int defunct = -1;
	pid_t pid;

	cr_assert_eq(runner_child_left(&defunct), 0, "a child before any");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	/* WNOWAIT: until it is a zombie, without reaping it */
	cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	cr_assert_eq(runner_child_left(&defunct), pid);
	cr_assert_eq(defunct, 1);
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), pid, "the check reaped it");
	cr_assert_eq(runner_child_left(&defunct), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	cr_assert_eq(runner_child_left(&defunct), pid);
	cr_assert_eq(defunct, 0);
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_eq(runner_child_left(&defunct), 0);
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

/*
 * failures.csv names each failed configuration once, by its key, with
 * why and at which stage; the rows of what did not fail are kept in
 * results.csv.  A resumed sweep runs the failure again (it has no rows)
 * and files it once, not beside its first failure.
 */
Test(cli, failures_csv_names_each_failed_configuration_once, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], path[160];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "selftest.crash --quick --mode thread --threads 1\n"
			    "selftest.spin --param k_ns=1000 --threads 1 --mode thread --quick\n");
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0)
			CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none");
		else
			CLI(&r, "sweep", "--resume", run);
		cr_assert_eq(r.status, 1, "a failure is exit 1: %s", r.err);
		if (pass == 1)
			cr_assert(strstr(r.err, "[1/1]"), "only the failure runs again: %s", r.err);
		snprintf(path, sizeof(path), "%s/failures.csv", run);
		cli_read_csv(path, &t);
		cr_assert_eq(t.nrows, 1, "pass %d: %zu failures filed", pass, t.nrows);
		cr_assert_str_eq(t.rows[0][cli_col(&t, "bench")], "selftest.crash");
		cr_assert_str_eq(t.rows[0][cli_col(&t, "mode")], "thread");
		cr_assert_str_eq(t.rows[0][cli_col(&t, "threads")], "1");
		cr_assert_str_eq(t.rows[0][cli_col(&t, "status")], "failed");
		cr_assert(strstr(t.rows[0][cli_col(&t, "reason")], "Aborted"), "%s",
			  t.rows[0][cli_col(&t, "reason")]);
		csv_table_free(&t);
		snprintf(path, sizeof(path), "%s/results.csv", run);
		cli_read_csv(path, &t);
		cr_assert_gt(t.nrows, 0);
		for (size_t i = 0; i < t.nrows; i++)
			cr_assert_str_eq(t.rows[i][cli_col(&t, "bench")], "selftest.spin");
		csv_table_free(&t);
	}
	cli_expect_no_temp(run);
	cli_rmdir(dir);
}

/* A configuration that cannot run here is skipped with its reason, is
 * written down, and does not fail the run. */
Test(cli, skipped_is_not_failed, .timeout = 120)
{
	static struct cli_run r;
	static struct cli_how one_cpu = { .one_cpu = 1 };
	char dir[64], plan[128], run[128], path[160];
	struct csv_table t;

	CLI(&r, "run", "selftest.skip", "selftest.spin", "--param", "k_ns=1000", "--threads", "1",
	    "--quick", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "skipped: selftest.skip never runs anywhere"), "%s", r.err);

	/* A default placement the machine lacks (one processor: no
	 * cross-core) is skipped; the one that fits runs. */
	CLI_HOW(&r, &one_cpu, "run", "ctx.thread.futex", "--quick", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "skipped: placement cross-core"), "%s", r.err);
	cr_assert(strstr(r.out, "same-core"), "%s", r.out);

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "selftest.skip --quick\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/skipped.csv", run);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 2, "one row per mode");
	cr_assert_str_eq(t.rows[0][cli_col(&t, "status")], "skipped");
	cr_assert_str_eq(t.rows[0][cli_col(&t, "reason")], "selftest.skip never runs anywhere");
	csv_table_free(&t);
	snprintf(path, sizeof(path), "%s/failures.csv", run);
	cr_assert_neq(access(path, F_OK), 0, "nothing failed, yet failures.csv exists");
	cli_rmdir(dir);
}

/* Out of processes: the runner cannot be forked.  That configuration
 * fails and the next one is still tried.  (Needs a cgroup v1 pids
 * controller, as on these machines, and root.) */
Test(cli, failed_fork_is_one_failed_configuration, .timeout = 120)
{
	static struct cli_run r;
	char cg[128], path[160];
	struct cli_how how = { 0 };
	FILE *f;

	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/pids/contend-test-%d", (int)getpid());
	if (mkdir(cg, 0755) < 0) {
		cr_log_warn("no pids cgroup here (%s): a failed fork cannot be provoked",
			    strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/pids.max", cg);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "1\n");	/* contend itself and nothing more */
	cr_assert_eq(fclose(f), 0);
	how.cgroup = cg;
	CLI_HOW(&r, &how, "run", "selftest.spin", "--param", "k_ns=1000,2000", "--threads", "1",
		"--mode", "thread", "--quick", "--counters", "none");
	rmdir(cg);
	cr_assert_eq(r.status, 1, "%s", r.err);
	const char *first = strstr(r.err, "cannot start its runner process");
	cr_assert_not_null(first, "%s", r.err);
	cr_assert(strstr(first + 1, "cannot start its runner process"),
		  "the second configuration was not tried: %s", r.err);
	cr_assert(strstr(r.err, "2 configurations failed"), "%s", r.err);
}

Test(cli, bad_plan_line_runs_nothing, .timeout = 60)
{
	static struct cli_run r;
	static const struct { const char *text; const char *needle; } plans[] = {
		{ "'ctx.coro.*' --quick\nnosuch.* --quick\n", "plan line 2" },
		{ "'ctx.coro.*' --quick --seed 7\n", "--seed" },
		{ "'ctx.coro.*' --help\n", "--help" },
		{ "ctx.coro.asm --quick\n# again\nctx.coro.asm --quick\n", "plan lines 1 and 3 both run" },
		{ "ctx.coro.asm --placement same-core,same-core\n", "twice" },
		{ "ctx.coro.asm --quick\n\n", NULL },	/* the good one, for contrast */
	};
	char dir[64], plan[128], run[128];
	struct stat st;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	for (size_t i = 0; i + 1 < sizeof(plans) / sizeof(plans[0]); i++) {
		cli_write_str(plan, plans[i].text);
		CLI(&r, "sweep", "--preset", plan, "--out", run);
		cli_expect_bad(&r, plans[i].needle);
		cr_assert_neq(stat(run, &st), 0, "a bad plan must not start a run folder");
	}
	/* A line longer than any buffer, and a NUL byte: refused, not split. */
	static char longline[6000];
	memset(longline, ' ', sizeof(longline) - 2);
	memcpy(longline, "ctx.coro.asm", 12);
	longline[sizeof(longline) - 2] = '\n';
	cli_write_file(plan, longline, sizeof(longline) - 1);
	CLI(&r, "sweep", "--preset", plan, "--out", run);
	cli_expect_bad(&r, "longer than");
	cli_write_file(plan, "ctx.coro.asm\0 --quick\n", 22);
	CLI(&r, "sweep", "--preset", plan, "--out", run);
	cli_expect_bad(&r, "NUL");
	cr_assert_neq(stat(run, &st), 0);
	cli_rmdir(dir);
}

static int cli_signal_at(const char *marker, int sig, char *const argv[]);
/* What the last cli_signal_at's contend wrote on stderr (its last 64 KiB). */
static char cli_signal_err[1 << 16];

/* Whatever a signal interrupts, what completed is kept, whole. */
static void cli_stopped_by(int sig)
{
	char dir[64], out[128], want[128];
	struct csv_table t;
	int st;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	/* Four fast configurations complete; the slow one (1 s an
	 * operation, 8 s at least) is signalled as it starts, inside its
	 * first round (a signal at a fixed time was early for the fast
	 * four under TSan on a loaded machine).  Seed 3 shuffles the first
	 * value of the list to the end. */
	st = cli_signal_at("k_ns=1000000000 ...", sig, (char *const[]){
		(char *)cli_bin(), "run", "selftest.spin", "--param",
		"k_ns=1000000000,1000,2000,3000,4000",
		"--threads", "1", "--mode", "thread", "--reps", "5", "--min-time", "0.02",
		"--counters", "none", "--seed", "3", "--out", out, NULL });
	cr_assert_eq(st, 128 + sig, "status %d", st);
	snprintf(want, sizeof(want), "contend: stopped by %s; 4 completed configurations written\n",
		 strsignal(sig));
	cr_assert(strstr(cli_signal_err, want), "want %s%s", want, cli_signal_err);
	cli_expect_no_temp(dir);
	cli_read_csv(out, &t);
	/* the four fast ones, two rows each, and nothing of the fifth */
	cr_assert_eq(t.nrows, 8, "%zu rows kept", t.nrows);
	csv_table_free(&t);
	cli_rmdir(dir);
}

Test(cli, sigint_keeps_completed_results, .timeout = 120)
{
	cli_stopped_by(SIGINT);
}

Test(cli, sigterm_keeps_completed_results, .timeout = 120)
{
	cli_stopped_by(SIGTERM);
}

Test(cli, sighup_keeps_completed_results, .timeout = 120)
{
	cli_stopped_by(SIGHUP);
}

Test(cli, sweep_plan_and_plot, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], png[160];
	struct stat st;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "# two lines, one comment\n'ctx.coro.*' --quick\nctx.thread.futex "
		       "--quick --placement same-core\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, run));
	cli_expect_no_temp(run);
	static const char *const files[] = { "results.csv", "samples.csv", "env.csv", "plan.txt" };
	for (int i = 0; i < 4; i++) {
		snprintf(png, sizeof(png), "%s/%s", run, files[i]);
		cr_assert_eq(stat(png, &st), 0, "%s missing", png);
	}
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cli_expect_no_temp(run);
	snprintf(png, sizeof(png), "%s/ctx.png", run);
	cr_assert_eq(stat(png, &st), 0);
	cr_assert_gt(st.st_size, 1000);
	char *img = cli_read_file(png);

	cr_assert_eq(memcmp(img, "\x89PNG\r\n\x1a\n", 8), 0, "ctx.png is not a PNG");
	free(img);
	snprintf(png, sizeof(png), "%s/ctx.svg", run);
	cr_assert_eq(stat(png, &st), 0);
	img = cli_read_file(png);
	cr_assert(strstr(img, "<svg"), "ctx.svg is not an SVG");
	free(img);
	cli_rmdir(dir);
}

/* Value of key in an env.csv read into t ("" and a failed test if none). */
static const char *cli_env_value(const struct csv_table *t, const char *key)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (strcmp(t->rows[i][0], key) == 0)
			return t->rows[i][1];
	cr_assert(0, "env.csv has no %s", key);
	return "";
}

/* The first line of path, or "unknown" as env.csv says of a file it
 * cannot read. */
static void cli_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "unknown");
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* "key : value" of /proc/cpuinfo's first block; "unknown" if none. */
static void cli_cpuinfo(const char *key, char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	static char line[8192];

	snprintf(buf, len, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (line[0] == '\n')
			break;
		if (c && strncmp(line, key, strlen(key)) == 0 &&
		    strspn(line + strlen(key), " \t") == (size_t)(c - line) - strlen(key)) {
			c += 1 + (c[1] == ' ');
			c[strcspn(c, "\n")] = '\0';
			snprintf(buf, len, "%s", c);
			break;
		}
	}
	if (f)
		fclose(f);
}

/*
 * env.csv's facts, each read again here from where it comes from: the
 * host, the kernel and the processor's name from uname and /proc; the
 * topology counted through hwloc; the date between the clock read
 * before and after the sweep; the seed given; the files behind the
 * settings that move numbers; the run id every row carries.
 */
Test(cli, env_csv_holds_this_machines_facts, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], path[192], want[512], host[256];
	struct csv_table env, res;
	struct utsname u;
	hwloc_topology_t topo;
	struct tm tm;
	time_t before, after, date;
	unsigned cores, pus;
	double load[3];
	const char *v;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "selftest.spin --quick --reps 1\n");
	before = time(NULL);
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none", "--seed", "4242");
	after = time(NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/env.csv", run);
	cli_read_csv(path, &env);
	cr_assert_str_eq(env.header[0], "key");
	cr_assert_str_eq(env.header[1], "value");
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_read_csv(path, &res);
	cr_assert_gt(res.nrows, 0);
	for (size_t i = 0; i < res.nrows; i++)
		cr_assert_str_eq(res.rows[i][cli_col(&res, "run_id")], cli_env_value(&env, "run_id"));

	cr_assert_str_eq(cli_env_value(&env, "seed"), "4242");
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	cr_assert_str_eq(cli_env_value(&env, "host"), host);
	cr_assert_eq(uname(&u), 0);
	snprintf(want, sizeof(want), "%s %s", u.sysname, u.release);
	cr_assert_str_eq(cli_env_value(&env, "kernel"), want);
	cr_assert_str_eq(cli_env_value(&env, "arch"), u.machine);

	v = cli_env_value(&env, "date");
	memset(&tm, 0, sizeof(tm));
	cr_assert(strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm), "date %s", v);
	date = timegm(&tm);
	cr_assert(date >= before && date <= after, "date %s is not between %lld and %lld", v,
		  (long long)before, (long long)after);

	cr_assert_eq(hwloc_topology_init(&topo), 0);
	cr_assert_eq(hwloc_topology_load(topo), 0);
	pus = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	cores = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	if (cores == 0)
		cores = pus;
	cr_assert_eq(strtoul(cli_env_value(&env, "pus"), NULL, 10), pus);
	cr_assert_eq(strtoul(cli_env_value(&env, "cores"), NULL, 10), cores);
	cr_assert_eq(strtoul(cli_env_value(&env, "smt_per_core"), NULL, 10),
		     (pus + cores - 1) / cores);
	cr_assert_eq(strtoul(cli_env_value(&env, "packages"), NULL, 10),
		     (unsigned long)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE));
	cr_assert_eq(strtoul(cli_env_value(&env, "numa_nodes"), NULL, 10),
		     (unsigned long)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE));
	hwloc_topology_destroy(topo);

	cli_first_line("/proc/sys/kernel/randomize_va_space", want, sizeof(want));
	cr_assert_str_eq(cli_env_value(&env, "aslr"), want);
	cli_first_line("/proc/sys/kernel/perf_event_paranoid", want, sizeof(want));
	cr_assert_str_eq(cli_env_value(&env, "perf_event_paranoid"), want);
	cli_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", want,
		       sizeof(want));
	cr_assert_str_eq(cli_env_value(&env, "governor"), want);
	cli_first_line("/sys/devices/system/cpu/smt/control", want, sizeof(want));
	cr_assert_str_eq(cli_env_value(&env, "smt_control"), want);

	/* The processor's name, and whether it says it runs under a
	 * hypervisor, as /proc/cpuinfo's first block says. */
	cli_cpuinfo("model name", want, sizeof(want));
	if (strcmp(want, "unknown") != 0)
		cr_assert_str_eq(cli_env_value(&env, "cpu_model"), want);
	cli_cpuinfo("flags", want, sizeof(want));
	if (strcmp(want, "unknown") != 0)
		cr_assert_eq(strncmp(cli_env_value(&env, "virtualization"), "yes", 3) == 0,
			     strstr(want, " hypervisor") != NULL, "virtualization %s",
			     cli_env_value(&env, "virtualization"));

	/* Three load averages, none negative. */
	v = cli_env_value(&env, "load_avg");
	cr_assert_eq(sscanf(v, "%lf %lf %lf", &load[0], &load[1], &load[2]), 3, "load %s", v);
	for (int i = 0; i < 3; i++)
		cr_assert_geq(load[i], 0, "load %s", v);
	/* The clock's figures are measured: a read costs something, and a
	 * pair of reads more than nothing. */
	cr_assert_gt(strtod(cli_env_value(&env, "clock_read_ns"), NULL), 0);
	cr_assert_gt(strtod(cli_env_value(&env, "work_loops_per_ns"), NULL), 0);
	csv_table_free(&env);
	csv_table_free(&res);
	cli_rmdir(dir);
}

/*
 * Each of env.csv's clock fields carries the figure it names, as the
 * clock measured it in this process: the mean cost of a read, the
 * smallest step seen, the median pair; the seed as given.
 */
Test(cli, env_clock_fields_are_the_clocks_own_figures, .timeout = 60)
{
	static struct envinfo e;
	const struct clk_info *ci;
	char want[64];

	cr_assert_eq(topo_init(), 0);
	clk_init();
	ci = clk_get_info();
	envinfo_collect(&e, "id", 77);
	snprintf(want, sizeof(want), "%.2f", ci->read_ns);
	cr_assert_str_eq(envinfo_get(&e, "clock_read_ns"), want);
	snprintf(want, sizeof(want), "%.2f", ci->resolution_ns);
	cr_assert_str_eq(envinfo_get(&e, "clock_resolution_ns"), want);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)ci->pair_ns);
	cr_assert_str_eq(envinfo_get(&e, "clock_pair_ns"), want);
	cr_assert_str_eq(envinfo_get(&e, "clock_source"), ci->source);
	cr_assert_str_eq(envinfo_get(&e, "seed"), "77");
	cr_assert_str_eq(envinfo_get(&e, "run_id"), "id");
}

/* env.csv's topology on a machine hwloc makes up (HWLOC_SYNTHETIC), where
 * packages, NUMA nodes, cores and hardware threads all differ: 2, 2, 4
 * and 8, two threads a core. */
Test(cli, env_topology_fields_on_a_made_up_machine, .timeout = 60)
{
	static struct envinfo e;

	cr_assert_eq(setenv("HWLOC_SYNTHETIC", "pack:2 numa:1 core:2 pu:2", 1), 0);
	cr_assert_eq(topo_init(), 0);
	clk_init();
	envinfo_collect(&e, "id", 1);
	cr_assert_str_eq(envinfo_get(&e, "packages"), "2");
	cr_assert_str_eq(envinfo_get(&e, "numa_nodes"), "2");
	cr_assert_str_eq(envinfo_get(&e, "cores"), "4");
	cr_assert_str_eq(envinfo_get(&e, "pus"), "8");
	cr_assert_str_eq(envinfo_get(&e, "smt_per_core"), "2");
}

/* A seed given is the seed used and recorded, 0 as much as any other
 * (0 is a seed, not "none"); none given, each run draws its own. */
Test(cli, the_seed_given_is_the_seed_recorded, .timeout = 60)
{
	static const char *const seeds[] = { "0", "1", "18446744073709551615" };
	static struct cli_run r;
	static struct cli_args a;
	char err[200];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char *argv[] = { "selftest.spin", "--seed", (char *)seeds[i] };

		memset(&a, 0, sizeof(a));
		cr_assert_eq(cli_parse(CLI_RUN, 3, argv, &a, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(cmd_seed(&a), strtoull(seeds[i], NULL, 10), "--seed %s", seeds[i]);
		cli_args_free(&a);
	}
	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000", "--threads", "1", "--mode",
	    "thread", "--reps", "1", "--min-time", "0.001", "--seed", "0", "--format", "json",
	    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"seed\": \"0\""), "--seed 0 not recorded: %.2000s", r.out);
}

/* How many descriptors process pid holds now; -1 once it is gone. */
static int cli_open_files(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * A run gives back what each configuration took: over 60 configurations,
 * one runner each, contend's open descriptors stay a handful (watched
 * from outside while it runs; a descriptor kept per runner would pass
 * 60 by the end).
 */
Test(cli, each_configuration_gives_back_its_descriptors, .timeout = 120)
{
	char ks[512] = "k_ns=";
	int most = 0, status, zombie = 0;
	pid_t pid;

	for (int i = 1; i <= 30; i++)
		snprintf(ks + strlen(ks), sizeof(ks) - strlen(ks), "%s%d", i > 1 ? "," : "", 100 * i);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execl(cli_bin(), cli_bin(), "run", "selftest.spin", "--param", ks, "--threads",
		      "1,2", "--mode", "thread", "--reps", "1", "--min-time", "0.001",
		      "--counters", "none", (char *)NULL);
		_exit(127);
	}
	/* Until it has exited (its /proc entry stays until it is reaped). */
	while (!zombie) {
		int n = cli_open_files(pid);
		char path[64], state = 0;
		FILE *f;

		most = n > most ? n : most;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%*d %*s %c", &state) != 1)
				state = 'Z';
			fclose(f);
		}
		zombie = !f || state == 'Z';
		usleep(2000);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "contend run: status %d", status);
	cr_assert_gt(most, 2, "never saw contend's descriptors");
	cr_assert_lt(most, 30, "contend held %d descriptors at once over 60 configurations", most);
}

/* Two sweeps started in the same second: two run folders, nothing lost. */
Test(cli, concurrent_sweeps_own_their_folders, .timeout = 120)
{
	char dir[64], plan[128];
	int fds[2][2];
	pid_t pid[2];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	cli_write_str(plan, "selftest.spin --param k_ns=1000 --threads 1 --mode thread\n");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(pipe(fds[i]), 0);
		pid[i] = fork();
		cr_assert_geq(pid[i], 0);
		if (pid[i] == 0) {	/* both start at once, in the same folder */
			static struct cli_run r;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			static struct cli_how how;

			how.cwd = dir;
			CLI_HOW(&r, &how, "sweep", "--preset", plan, "--quick", "--counters", "none");
			(void)!write(fds[i][1], &r.status, sizeof(r.status));
			(void)!write(fds[i][1], r.out, strlen(r.out));
			_exit(0);
		}
		close(fds[i][1]);
	}
	char outs[2][512];
	for (int i = 0; i < 2; i++) {
		int status = -1;
		ssize_t n;

		cr_assert_eq(read(fds[i][0], &status, sizeof(status)), (ssize_t)sizeof(status));
		n = read(fds[i][0], outs[i], sizeof(outs[i]) - 1);
		outs[i][n > 0 ? n : 0] = '\0';
		outs[i][strcspn(outs[i], "\n")] = '\0';
		waitpid(pid[i], NULL, 0);
		cr_assert_eq(status, 0, "sweep %d failed", i);
	}
	cr_assert(strcmp(outs[0], outs[1]) != 0, "two sweeps shared run folder %s", outs[0]);
	for (int i = 0; i < 2; i++) {
		char path[2048];
		struct csv_table t;

		snprintf(path, sizeof(path), "%s/%s/results.csv", dir, outs[i]);
		cli_read_csv(path, &t);
		cr_assert_eq(t.nrows, 2, "%s lost its rows", outs[i]);
		/* the run id is the folder's name: unique too */
		cr_assert_str_eq(t.rows[0][cli_col(&t, "run_id")], strrchr(outs[i], '/') + 1);
		csv_table_free(&t);
	}
	/* results/latest names one of them, relative to results/ (a link
	 * that still leads there when the tree moves) */
	char link[160], to[512], path[1200];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/results/latest", dir);
	n = readlink(link, to, sizeof(to) - 1);
	cr_assert_gt(n, 0, "%s: %s", link, strerror(errno));
	to[n] = '\0';
	cr_assert(!strcmp(to, strrchr(outs[0], '/') + 1) || !strcmp(to, strrchr(outs[1], '/') + 1),
		  "results/latest -> %s, neither %s nor %s", to, outs[0], outs[1]);
	snprintf(path, sizeof(path), "%s/results.csv", link);
	cr_assert_eq(access(path, R_OK), 0, "%s: %s", path, strerror(errno));
	cli_rmdir(dir);
}

/* --resume runs only what the folder has no results for, and joins. */
Test(cli, resume_runs_what_is_missing, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], path[160];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "selftest.spin --param k_ns=1000 --threads 1 --mode thread\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--quick", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cli_write_str(plan, "selftest.spin --param k_ns=1000,2000 --threads 1 --mode thread\n");
	CLI(&r, "sweep", "--preset", plan, "--resume", run, "--quick", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "[1/1]"), "more than the missing configuration ran: %s", r.err);
	cr_assert(strstr(r.err, "k_ns=2000"), "%s", r.err);
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 4, "both configurations, each once");
	csv_table_free(&t);
	snprintf(path, sizeof(path), "%s/samples.csv", run);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 4 * 5, "every repetition of both, each once");
	csv_table_free(&t);
	/* Other counters cannot be joined to these rows. */
	CLI(&r, "sweep", "--preset", plan, "--resume", run, "--quick", "--counters",
	    "context-switches");
	cli_expect_bad(&r, "counters");
	cli_expect_no_temp(run);
	cli_rmdir(dir);
}

/* A full disk: the run fails (exit 1) and leaves no half-written file;
 * plot too. */
Test(cli, full_disk_leaves_no_half_file, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], mnt[128], run[160], fill[160], plan[128], good[128], cmd[2048];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(mnt, sizeof(mnt), "%s/small", dir);
	mkdir(mnt, 0777);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k") < 0) {
		cr_log_warn("cannot mount a small tmpfs here (%s): full disk not checked",
			    strerror(errno));
		cli_rmdir(dir);
		return;
	}
	/* Leave one page: the folder fits, the results do not. */
	snprintf(fill, sizeof(fill), "%s/fill", mnt);
	snprintf(cmd, sizeof(cmd), "head -c 258048 /dev/zero > '%s' 2>/dev/null", fill);
	cr_assert_neq(system(cmd), -1);
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	cli_write_str(plan, "'ctx.coro.*' --quick\n");
	snprintf(run, sizeof(run), "%s/run", mnt);
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none");
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "No space"), "%s", r.err);
	cr_assert_eq(cli_count_files(run), 0, "files of a run that could not be written");

	/* plot: a good run copied into the full place */
	snprintf(good, sizeof(good), "%s/good", dir);
	CLI(&r, "sweep", "--preset", plan, "--out", good, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(cmd, sizeof(cmd), "rm -f '%s' && mkdir -p '%s/p' && cp '%s/results.csv' "
		 "'%s/p/' && head -c 249856 /dev/zero > '%s' 2>/dev/null; true", fill, mnt, good,
		 mnt, fill);
	cr_assert_eq(system(cmd), 0);
	snprintf(run, sizeof(run), "%s/p", mnt);
	CLI(&r, "plot", run);
	cr_assert_neq(r.status, 0, "plot on a full disk said all was well");
	cli_expect_no_temp(mnt);
	snprintf(cmd, sizeof(cmd), "test ! -e '%s/ctx.svg' && test ! -e '%s/ctx.png'", run, run);
	cr_assert_eq(system(cmd), 0, "a chart was left half drawn");
	umount(mnt);
	cli_rmdir(dir);
}

/* One summary line for the warnings; every line with --verbose and in
 * the run folder's warnings.csv. */
Test(cli, warnings_summarised, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], path[160];
	struct csv_table t;

	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000,2000", "--threads", "1", "--mode",
	    "thread", "--reps", "3", "--min-time", "0.02", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "2 configurations with fewer than 5 repetitions"), "%s", r.err);
	cr_assert(strstr(r.err, "only 3 repetitions") == NULL, "per-row lines without --verbose");
	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000,2000", "--threads", "1", "--mode",
	    "thread", "--reps", "3", "--min-time", "0.02", "--counters", "none", "--verbose");
	cr_assert(strstr(r.err, "only 3 repetitions"), "%s", r.err);

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	/* 3 repetitions warn; 5, what --quick gives, do not (the line is
	 * fewer than 5). */
	cli_write_str(plan, "selftest.spin --param k_ns=1000 --threads 1 --mode thread --reps 3\n"
			    "selftest.spin --param k_ns=3000 --threads 1 --mode thread --reps 5\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none", "--min-time", "0.02");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "warnings.csv"), "%s", r.err);
	snprintf(path, sizeof(path), "%s/warnings.csv", run);
	cli_read_csv(path, &t);
	int few = 0;
	for (size_t i = 0; i < t.nrows; i++)
		few += strcmp(t.rows[i][cli_col(&t, "warning")], "few_reps") == 0;
	cr_assert_eq(few, 1, "the configuration with 3 repetitions, not the one with 5");
	csv_table_free(&t);
	cli_rmdir(dir);
}

/*
 * Inputs that are not regular files: a FIFO (no writer: open() blocked
 * for ever) and /dev/zero (read without end) as --preset, as a resumed
 * folder's plan.txt, results.csv, samples.csv or histograms.csv, and as
 * compare's results or samples.  Each is one line and exit 2, at once;
 * each command is killed after 20 s, so a hang fails the case that hung.
 */
static void cli_expect_bad_soon(const char *needle, char *const argv[])
{
	static struct cli_run r;
	const struct cli_how how = { .sig = SIGKILL, .after_ms = 20000 };

	cli_exec_how(&r, &how, argv);
	cr_assert_neq(r.status, 128 + SIGKILL, "%s %s %s hung: %s", argv[1], argv[2], argv[3],
		      r.err);
	cli_expect_bad(&r, needle);
}
#define CLI_BAD_SOON(needle, ...) \
	cli_expect_bad_soon((needle), (char *const[]){ (char *)cli_bin(), __VA_ARGS__, NULL })

Test(cli, special_files_as_inputs, .timeout = 240)
{
	static struct cli_run r;
	static const char *const files[] = {
		"plan.txt", "results.csv", "samples.csv", "histograms.csv",
	};
	char dir[64], plan[128], fifo[128], run[128], copy[128], path[192], cmd[512];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	CLI_BAD_SOON("not a regular file", "sweep", "--preset", fifo, "--out", run);
	CLI_BAD_SOON("not a regular file", "sweep", "--preset", "/dev/zero", "--out", run);
	CLI_BAD_SOON("not a regular file", "sweep", "--preset", "/dev/null", "--out", run);
	CLI_BAD_SOON("not a regular file", "compare", fifo, fifo);
	CLI_BAD_SOON("not a regular file", "compare", "/dev/zero", "/dev/zero");

	/* A real run folder, then each of its inputs in turn a FIFO. */
	cli_write_str(plan, "selftest.spin --param k_ns=1000,2000 --threads 1 --mode thread\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--quick", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", copy, run, copy);
		cr_assert_eq(system(cmd), 0);
		snprintf(path, sizeof(path), "%s/%s", copy, files[i]);
		cr_assert_eq(unlink(path), 0, "%s: %s", path, strerror(errno));
		cr_assert_eq(mkfifo(path, 0600), 0);
		CLI_BAD_SOON("not a regular file", "sweep", "--resume", copy, "--counters", "none");
		if (i == 1 || i == 2)
			CLI_BAD_SOON("not a regular file", "compare", run, copy);
	}
	cli_rmdir(dir);
}

/*
 * Start `contend argv...` and send it sig as soon as its progress names
 * `marker` (a configuration that has just started): everything before it
 * has completed, nothing after it has.  Returns the exit status.
 */
static int cli_signal_at(const char *marker, int sig, char *const argv[])
{
	char bin[4096], buf[1 << 16];
	size_t len = 0;
	int fd[2], st, sent = 0;
	pid_t pid;

	cr_assert_not_null(realpath(cli_bin(), bin));
	cr_assert_eq(pipe(fd), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execv(bin, argv);
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		ssize_t n = read(fd[0], buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!sent && strstr(buf, marker)) {
			kill(pid, sig);
			sent = 1;
		}
		if (len == sizeof(buf) - 1)
			len = 0;	/* the marker is long past */
	}
	close(fd[0]);
	memcpy(cli_signal_err, buf, len + 1);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(sent, "'%s' never started: %s", marker, buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int cli_interrupt_at(const char *marker, char *const argv[])
{
	return cli_signal_at(marker, SIGINT, argv);
}

static int cli_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of a run folder's file as sorted "key|metric[|more]" lines,
 * where more is column `extra` (or nothing for NULL); only rows whose
 * column `only` is `value` when `only` is given; each line once with
 * `unique`. */
static char *cli_row_set(const char *dir, const char *file, const char *extra, const char *only,
			 const char *value, int unique, size_t *nrows)
{
	static const char *const key[] = {
		"bench", "mode", "placement", "threads", "params", "metric",
	};
	char path[256], **v;
	struct csv_table t;
	size_t n = 0, off = 0, total = 1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	cli_read_csv(path, &t);
	v = calloc(t.nrows + 1, sizeof(*v));
	cr_assert_not_null(v);
	for (size_t i = 0; i < t.nrows; i++) {
		char line[1024];
		size_t o = 0;

		if (only && strcmp(t.rows[i][cli_col(&t, only)], value))
			continue;
		for (int k = 0; k < 6; k++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%s|",
					      t.rows[i][cli_col(&t, key[k])]);
		if (extra)
			snprintf(line + o, sizeof(line) - o, "%s", t.rows[i][cli_col(&t, extra)]);
		v[n] = strdup(line);
		total += strlen(line) + 1;
		n++;
	}
	qsort(v, n, sizeof(*v), cli_cmp_str);
	char *s = malloc(total);
	cr_assert_not_null(s);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!unique || i == 0 || strcmp(v[i - 1], v[i]))
			off += (size_t)sprintf(s + off, "%s\n", v[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	csv_table_free(&t);
	*nrows = n;
	return s;
}

/* Every row of every file of dir has the run id of its env.csv. */
static void cli_one_run_id(const char *dir)
{
	static const char *const files[] = {
		"results.csv", "samples.csv", "histograms.csv", "warnings.csv",
	};
	char path[256], id[128] = "";
	struct csv_table t;

	snprintf(path, sizeof(path), "%s/env.csv", dir);
	cli_read_csv(path, &t);
	for (size_t i = 0; i < t.nrows; i++)
		if (strcmp(t.rows[i][0], "run_id") == 0)
			snprintf(id, sizeof(id), "%s", t.rows[i][1]);
	csv_table_free(&t);
	cr_assert(id[0], "%s has no run id", path);
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		cli_read_csv(path, &t);
		for (size_t i = 0; i < t.nrows; i++)
			cr_assert_str_eq(t.rows[i][cli_col(&t, "run_id")], id, "%s:%zu", path,
					 t.line[i]);
		csv_table_free(&t);
	}
}

/* Cut a file at a line boundary: its last `drop` lines go. */
static void cli_cut_lines(const char *path, int drop)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "head -n -%d '%s' > '%s.cut' && mv '%s.cut' '%s'", drop, path,
		 path, path, path);
	cr_assert_eq(system(cmd), 0);
}

/*
 * A resumed sweep equals a whole one.  A sweep interrupted when its last
 * configuration starts, its folder damaged as an audit did (results.csv
 * cut at a line boundary inside a configuration's rows, env.csv gone),
 * resumed: the same rows of results, samples and histograms as an
 * uninterrupted sweep of the same plan, each once; the warnings of both
 * parts (with 3 repetitions every configuration has its few_reps
 * warning, once); one run id in every file.  Before: warnings.csv held
 * the resumed part's only, the cut configuration counted as done (a row
 * short), and the resumed rows got a second run id.
 */
Test(cli, resumed_sweep_equals_a_whole_one, .timeout = 300)
{
	static struct cli_run r;
	/* histograms: which distributions, since the buckets differ from
	 * run to run */
	static const struct { const char *file, *extra, *only, *value; int unique; } sets[] = {
		{ "results.csv", NULL, NULL, NULL, 0 },
		{ "samples.csv", "rep", NULL, NULL, 0 },
		{ "histograms.csv", NULL, NULL, NULL, 1 },
		{ "warnings.csv", "warning", "warning", "few_reps", 0 },
	};
	char dir[64], plan[128], whole[128], part[128], path[192];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(whole, sizeof(whole), "%s/whole", dir);
	snprintf(part, sizeof(part), "%s/part", dir);
	/* Empty distributions (gil=none), latency rows and histograms (the
	 * convoy), three short configurations, and a last one of about a
	 * second that the interruption catches. */
	cli_write_str(plan, "gil.cpu --param gil=none --threads 2 --mode thread\n"
		       "gil.convoy --param gil=none --param cpu=0,1\n"
		       "selftest.spin --param k_ns=1000,2000,3000 --threads 1 --mode thread\n"
		       "selftest.spin --param k_ns=100000000 --threads 1 --mode thread\n");
	CLI(&r, "sweep", "--preset", plan, "--out", whole, "--reps", "3", "--quick",
	    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	int st = cli_interrupt_at("k_ns=100000000 ...", (char *const[]){
		(char *)cli_bin(), "sweep", "--preset", plan, "--out", part, "--reps", "3",
		"--quick", "--counters", "none", NULL });
	cr_assert_eq(st, 128 + SIGINT, "the sweep was not interrupted (status %d)", st);

	/* The damage: the last configuration's last row, and env.csv. */
	snprintf(path, sizeof(path), "%s/results.csv", part);
	cli_cut_lines(path, 1);
	snprintf(path, sizeof(path), "%s/env.csv", part);
	cr_assert_eq(unlink(path), 0);

	CLI(&r, "sweep", "--resume", part);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "1 configuration with incomplete rows"), "%s", r.err);
	/* the cut configuration and the interrupted one, nothing else (the
	 * progress counts over the whole sweep, not per plan line) */
	cr_assert(strstr(r.err, "2 configurations, "), "%s", r.err);
	cr_assert(strstr(r.err, "[2/2] selftest.spin"), "%s", r.err);
	cr_assert(strstr(r.err, "k_ns=100000000"), "%s", r.err);
	/* Resuming the finished sweep runs nothing and loses nothing: its
	 * warnings.csv was deleted, since this part has no warnings. */
	CLI(&r, "sweep", "--resume", part);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "] selftest") == NULL, "%s", r.err);

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		size_t nw, np;
		char *w, *p;

		w = cli_row_set(whole, sets[i].file, sets[i].extra, sets[i].only, sets[i].value,
				sets[i].unique, &nw);
		p = cli_row_set(part, sets[i].file, sets[i].extra, sets[i].only, sets[i].value,
				sets[i].unique, &np);
		cr_assert_gt(nw, 0, "%s: no rows to compare", sets[i].file);
		cr_assert_str_eq(p, w, "%s of the resumed sweep differs from a whole one's",
				 sets[i].file);
		free(w);
		free(p);
	}
	cli_one_run_id(part);
	cli_expect_no_temp(part);
	/* A folder with rows of two runs cannot be continued as one. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "sed -i '2s/^[^,]*,/other-run,/' '%s/samples.csv'", part);
	cr_assert_eq(system(cmd), 0);
	CLI(&r, "sweep", "--resume", part);
	cli_expect_bad(&r, "the folder holds two runs");
	cli_rmdir(dir);
}

/*
 * A configuration whose samples.csv lost its last repetition's rows (a
 * cut at a line boundary) has fewer samples than the reps its results
 * row names: it is not done, and --resume runs it again, whole.
 */
Test(cli, resume_reruns_a_configuration_short_of_its_reps, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], cmd[512];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "selftest.spin --param k_ns=1000,2000 --threads 1 --mode thread\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--reps", "3", "--quick",
	    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* rep is samples.csv's ninth column; params the sixth */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && awk -F, '!($6 ~ /k_ns=2000/ && $9 == \"3\")' samples.csv > s.tmp && "
		 "test $(wc -l < s.tmp) -lt $(wc -l < samples.csv) && mv s.tmp samples.csv", run);
	cr_assert_eq(system(cmd), 0, "no third repetition of k_ns=2000 to cut");
	CLI(&r, "sweep", "--resume", run, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "1 configuration with incomplete rows (a file cut short?) runs "
				"again\n"), "%s", r.err);
	cr_assert(strstr(r.err, "[1/1] selftest.spin"), "%s", r.err);
	cr_assert(strstr(r.err, "k_ns=2000"), "%s", r.err);
	cr_assert_null(strstr(r.err, "k_ns=1000 "), "a whole configuration ran again: %s", r.err);
	/* and now it has its three repetitions again */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && test $(awk -F, '$6 ~ /k_ns=2000/ && $9 == \"3\"' samples.csv | wc -l) -gt 0",
		 run);
	cr_assert_eq(system(cmd), 0, "the rerun configuration has no third repetition");
	/* both cut: both run again, and the notice counts them */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && awk -F, '$9 != \"3\"' samples.csv > s.tmp && mv s.tmp samples.csv",
		 run);
	cr_assert_eq(system(cmd), 0);
	CLI(&r, "sweep", "--resume", run, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "2 configurations with incomplete rows (a file cut short?) run "
				"again\n"), "%s", r.err);
	cr_assert(strstr(r.err, "[2/2] selftest.spin"), "%s", r.err);
	cli_rmdir(dir);
}

/*
 * A latency distribution is part of what a configuration leaves: one
 * whose histograms.csv rows were lost runs again on --resume (and gets
 * them back), the other does not.
 */
Test(cli, resume_reruns_a_configuration_without_its_histograms, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], cmd[512];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "lock.mutex --param cs_ns=0,100 --threads 2 --mode thread "
			    "--placement none\n");
	CLI_SETTLED(&r, "sweep", "--preset", plan, "--out", run, "--reps", "3", "--quick",
		    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* params is histograms.csv's sixth column */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && awk -F, '!($6 ~ /^cs_ns=100;/)' histograms.csv > h.tmp && "
		 "test $(wc -l < h.tmp) -lt $(wc -l < histograms.csv) && mv h.tmp histograms.csv",
		 run);
	cr_assert_eq(system(cmd), 0, "no histogram rows of cs_ns=100 to cut");
	CLI_SETTLED(&r, "sweep", "--resume", run, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "1 configuration with incomplete rows"), "%s", r.err);
	cr_assert(strstr(r.err, "[1/1] lock.mutex"), "%s", r.err);
	cr_assert(strstr(r.err, " cs_ns=100;"), "%s", r.err);
	cr_assert_null(strstr(r.err, " cs_ns=0;"), "a whole configuration ran again: %s", r.err);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && test $(awk -F, '$6 ~ /^cs_ns=100;/' histograms.csv | wc -l) -gt 0", run);
	cr_assert_eq(system(cmd), 0, "the rerun configuration has no histogram rows");
	cli_rmdir(dir);
}

/*
 * A sweep killed outright (SIGKILL: no handler runs, nothing is
 * published at the end) in the middle of a configuration, then resumed:
 * the configurations that completed before the kill are on disk and do
 * not run again (their samples are byte for byte the ones written before
 * the kill), the one cut off runs once, no temporary file is left, and
 * the folder holds the same rows as an uninterrupted sweep of the plan.
 * The resumed sweep is killed the same way once more first.  Before the
 * journal, a killed sweep left only temporary files, and --resume
 * refused the folder (no plan.txt) or ran everything again.
 */
Test(cli, sweep_killed_outright_resumes_without_rerunning, .timeout = 300)
{
	static struct cli_run r;
	static const struct { const char *file, *extra, *only, *value; int unique; } sets[] = {
		{ "results.csv", NULL, NULL, NULL, 0 },
		{ "samples.csv", "rep", NULL, NULL, 0 },
		{ "histograms.csv", NULL, NULL, NULL, 1 },
		{ "warnings.csv", "warning", "warning", "few_reps", 0 },
	};
	char dir[64], plan[128], whole[128], part[128], cmd[1024];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(whole, sizeof(whole), "%s/whole", dir);
	snprintf(part, sizeof(part), "%s/part", dir);
	/* Latency rows and histograms (the convoy), short spins, and a last
	 * configuration of about a second that the kill lands in. */
	cli_write_str(plan, "gil.convoy --param gil=none --param cpu=0,1\n"
		       "selftest.spin --param k_ns=1000,2000,3000 --threads 1 --mode thread\n"
		       "selftest.spin --param k_ns=100000000 --threads 1 --mode thread\n");
	CLI(&r, "sweep", "--preset", plan, "--out", whole, "--reps", "3", "--quick",
	    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	int st = cli_signal_at("k_ns=100000000 ...", SIGKILL, (char *const[]){
		(char *)cli_bin(), "sweep", "--preset", plan, "--out", part, "--reps", "3",
		"--quick", "--counters", "none", NULL });
	cr_assert_eq(st, 128 + SIGKILL, "the sweep was not killed (status %d)", st);

	/* What the killed sweep completed, as it left it. */
	snprintf(cmd, sizeof(cmd), "grep -v 'k_ns=100000000' '%s/samples.csv' > '%s/done.csv' && "
		 "test $(grep -c selftest '%s/done.csv') -eq 18", part, dir, dir);
	cr_assert_eq(system(cmd), 0, "the completed spins' samples are not on disk");

	/* Killed again in the one configuration the resumed sweep runs: the
	 * earlier part's rows must still be on disk for the next resume. */
	st = cli_signal_at("k_ns=100000000 ...", SIGKILL, (char *const[]){
		(char *)cli_bin(), "sweep", "--resume", part, NULL });
	cr_assert_eq(st, 128 + SIGKILL, "the resumed sweep was not killed (status %d)", st);
	CLI(&r, "sweep", "--resume", part);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* the configuration the kill cut off, alone */
	cr_assert(strstr(r.err, "1 configuration, "), "%s", r.err);
	cr_assert(strstr(r.err, "[1/1] selftest.spin thread none tasks=1 k_ns=100000000 ... ok"),
		  "%s", r.err);
	snprintf(cmd, sizeof(cmd), "grep -v 'k_ns=100000000' '%s/samples.csv' | cmp -s - "
		 "'%s/done.csv'", part, dir);
	cr_assert_eq(system(cmd), 0, "a configuration that completed before the kill ran again");
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		size_t nw, np;
		char *w = cli_row_set(whole, sets[i].file, sets[i].extra, sets[i].only,
				      sets[i].value, sets[i].unique, &nw);
		char *p = cli_row_set(part, sets[i].file, sets[i].extra, sets[i].only,
				      sets[i].value, sets[i].unique, &np);

		cr_assert_gt(nw, 0, "%s: no rows to compare", sets[i].file);
		cr_assert_str_eq(p, w, "%s of the resumed sweep differs from a whole one's",
				 sets[i].file);
		free(w);
		free(p);
	}
	cli_one_run_id(part);
	cli_expect_no_temp(part);
	/* Both folders hold the same files. */
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = \"$(ls -A '%s')\"", whole, part);
	cr_assert_eq(system(cmd), 0, "the resumed folder's files differ from a whole sweep's");
	cli_rmdir(dir);
}

/*
 * Progress in a log (stderr a pipe): one plain line per configuration,
 * i of n in order, the time elapsed and left; the sweep says how many
 * configurations it will run and its estimate first, and the last line
 * has nothing left.  `run` of several configurations says the same.
 */
Test(cli, progress_lines_in_a_log, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], want[64];
	const char *at;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	/* (a comment may end a line, as in a shell) */
	cli_write_str(plan, "selftest.spin --param k_ns=1000,2000 --threads 1 --mode thread "
		       "# two lengths\n"
		       "selftest.spin --param k_ns=3000 --threads 1,2 --mode thread\t#and two counts\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--reps", "3", "--quick",
	    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	at = strstr(r.err, "4 configurations, estimated ");
	cr_assert_not_null(at, "no estimate before the start: %s", r.err);
	for (int i = 1; i <= 4; i++) {
		snprintf(want, sizeof(want), "contend: [%d/4] selftest.spin", i);
		at = strstr(at, want);
		cr_assert_not_null(at, "no line '%s' after the one before: %s", want, r.err);
		const char *end = strchr(at, '\n');
		cr_assert_not_null(end);
		/* one line: no escape codes, and its times */
		cr_assert_null(memchr(at, '\033', (size_t)(end - at)), "%s", r.err);
		cr_assert_null(memchr(at, '\r', (size_t)(end - at)), "%s", r.err);
		const char *el = strstr(at, " ... ok (");
		cr_assert(el && el < end, "line %d has no outcome: %s", i, r.err);
		el = strstr(at, " elapsed, ");
		cr_assert(el && el < end, "line %d has no elapsed time: %s", i, r.err);
		if (i == 4)
			cr_assert_eq(strncmp(end - 9, "0:00 left", 9), 0, "time left at the end: %.*s",
				     (int)(end - at), at);
		else
			cr_assert_eq(strncmp(end - 5, " left", 5), 0, "%.*s", (int)(end - at), at);
	}
	cr_assert_not_null(strstr(r.err, "contend: sweep took "), "%s", r.err);

	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000,2000", "--threads", "1", "--mode",
	    "thread", "--reps", "3", "--quick", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "[1/2] selftest.spin"), "%s", r.err);
	at = strstr(r.err, "[2/2] selftest.spin");
	cr_assert_not_null(at, "%s", r.err);
	cr_assert_not_null(strstr(at, "elapsed, 0:00 left\n"), "%s", r.err);
	cli_rmdir(dir);
}

/* The progress line's clock: m:ss, then h:mm:ss with the minutes
 * within the hour. */
Test(cli, progress_clock_known_answers, .timeout = 10)
{
	static const struct { double s; const char *want; } c[] = {
		{ 0, "0:00" }, { 59.4, "0:59" }, { 59.6, "1:00" }, { 0.5, "0:01" },
		{ 3599.6, "1:00:00" }, { 61, "1:01" }, { 3599, "59:59" },
		{ 3600, "1:00:00" }, { 3725, "1:02:05" }, { 7199, "1:59:59" },
		{ 36000 + 59 * 60 + 1, "10:59:01" }, { -5, "0:00" }, { NAN, "0:00" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		progress_clock(c[i].s, buf, sizeof(buf));
		cr_assert_str_eq(buf, c[i].want, "%g s", c[i].s);
	}
}

/*
 * The time left, a known answer: the estimate of what is left, scaled
 * by how the configurations done ran against their own estimate.  Half
 * the estimate done (50 of 100 s) in 100 s on a machine twice as slow:
 * 100 s left, not 50; in 25 s on one twice as fast: 25 s.  The start is
 * set back by that much, so the few microseconds the call itself takes
 * are all the clock adds.
 */
Test(cli, progress_left_scales_by_how_this_machine_ran, .timeout = 10)
{
	static const struct { double elapsed_s, left_s; } c[] = {
		{ 100, 100 }, { 25, 25 }, { 50, 50 },
	};
	struct progress g;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		progress_init(&g, 10, 100);
		g.done = 5;
		g.expect_done_s = 50;
		g.t0_ns = clk_mono_ns() - (uint64_t)(c[i].elapsed_s * 1e9);
		cr_assert_float_eq(progress_left_s(&g), c[i].left_s, 0.01,
				   "%g s done in %g s: %g s left", g.expect_done_s, c[i].elapsed_s,
				   progress_left_s(&g));
	}
	/* Nothing done yet: the estimate as it is. */
	progress_init(&g, 10, 100);
	cr_assert_float_eq(progress_left_s(&g), 100, 1e-9);
}

/*
 * Progress on a terminal of 50 columns: each configuration's line is
 * drawn over the one before (\r, erase), cut to 49 columns so that it
 * never wraps; a configuration whose outcome must stay (a skip, a
 * failure) is written whole on a line of its own, with its place in the
 * sweep; and the last line drawn is erased at the end.  Nothing else
 * goes to the terminal, and no line break but the one kept.
 */
Test(cli, progress_redraws_one_line_on_a_terminal, .timeout = 30)
{
	static const char long_what[] = "lock.mutex thread none tasks=2 "
					"cs_ns=0;ncs_ns=0;sample=64;policy=sleep";
	struct winsize ws = { .ws_row = 24, .ws_col = 50 };
	struct termios raw;
	struct progress g;
	char out[4096], *at, *next;
	int master, slave, saved;
	ssize_t n;
	size_t len = 0;

	cr_assert_eq(openpty(&master, &slave, NULL, NULL, &ws), 0);
	cr_assert_eq(tcgetattr(slave, &raw), 0);
	cfmakeraw(&raw);		/* no \n to \r\n: the bytes as written */
	cr_assert_eq(tcsetattr(slave, TCSANOW, &raw), 0);
	unsetenv("CONTEND_PROGRESS");
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	cr_assert_geq(dup2(slave, STDERR_FILENO), 0);
	progress_init(&g, 3, 30);
	progress_begin(&g, long_what);
	progress_end(&g, 10, "ok (1 iterations x 2, 0.0 s)", 0);
	progress_begin(&g, "selftest.skip thread none tasks=1");
	progress_end(&g, 10, "skipped: never runs", 1);
	progress_begin(&g, "selftest.spin thread none tasks=1");
	progress_end(&g, 10, "ok", 0);
	progress_finish(&g);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(slave);
	cr_assert_eq(g.tty, 1);
	cr_assert_eq(g.width, 50);
	cr_assert_eq(fcntl(master, F_SETFL, O_NONBLOCK), 0);
	while (len + 1 < sizeof(out) && (n = read(master, out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(master);
	out[len] = '\0';

	/* the pieces between the \r\033[K that start each drawing */
	static const char *const want[] = {
		"contend: [1/3 0:00 elapsed, 0:30 left] lock.mutex",	/* cut at 49 */
		"contend: [2/3 0:00 elapsed, ",
		"contend: [2/3] selftest.skip thread none tasks=1 ... skipped: never runs\n",
		"contend: [3/3 0:00 elapsed, ",
		"",
	};
	at = out;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(strncmp(at, "\r\033[K", 4), 0, "drawing %zu: %s", i, at);
		at += 4;
		next = strstr(at, "\r\033[K");
		size_t piece = next ? (size_t)(next - at) : strlen(at);

		cr_assert_eq(strncmp(at, want[i], strlen(want[i])), 0, "drawing %zu: %.*s", i,
			     (int)piece, at);
		if (i == 0)
			cr_assert_eq(piece, 49, "cut to the terminal's width: %.*s", (int)piece, at);
		if (i == 1 || i == 3) {
			cr_assert_lt(piece, 50);
			cr_assert(memmem(at, piece, "] selftest.s", 12), "%.*s", (int)piece, at);
		}
		if (i == 2 || i == 4)
			cr_assert_eq(piece, strlen(want[i]), "%.*s", (int)piece, at);
		else
			cr_assert_null(memchr(at, '\n', piece), "a drawn line ends with no break");
		at += piece;
	}
	cr_assert_eq(*at, '\0', "more after the last erase: %s", at);
}

/* What an audit's probes found accepted or muddled: each is one line
 * naming the problem, exit 2, before any work. */
Test(cli, audit_probes_refused_in_one_line, .timeout = 120)
{
	static const struct {
		char *argv[10];
		const char *needle, *absent;
	} cases[] = {
		/* An option given twice: the last value used to win. */
		{ .argv = { "run", "selftest.spin", "--reps", "3", "--reps", "4" },
		  .needle = "--reps is given twice" },
		{ .argv = { "run", "selftest.spin", "--mode", "thread", "--mode", "process" },
		  .needle = "--mode is given twice" },
		{ .argv = { "compare", "a", "b", "--threshold", "3", "--threshold=5" },
		  .needle = "--threshold is given twice" },
		{ .argv = { "run", "selftest.spin", "--threads", "1", "--threads", "2" },
		  .needle = "--threads is given twice" },
		{ .argv = { "sweep", "--min-time", "0.1", "--min-time", "0.2" },
		  .needle = "--min-time is given twice" },
		/* An interval that old (or none) would ignore. */
		{ .argv = { "run", "gil.interval", "--param", "gil=old" }, .needle = "switch interval" },
		{ .argv = { "run", "gil.interval", "--param", "gil=new,none" },
		  .needle = "gil=none" },
		/* A budget nothing fits in: it failed every configuration,
		 * "while " and a blank where the stage goes. */
		{ .argv = { "run", "selftest.spin", "--timeout", "1e-9" },
		  .needle = "--timeout 1e-09: shorter than",
		  .absent = "while" },
		{ .argv = { "run", "selftest.spin", "--quick", "--timeout", "0.05" },
		  .needle = "--timeout 0.05" },
		/* Bytes a terminal hides or acts on, and a byte-order mark. */
		{ .argv = { "run", "lock.mu\x01tex\x1b[2J" }, .needle = "'lock.mu\\x01tex\\x1b[2J'" },
		{ .argv = { "run", "\xef\xbb\xbflock.mutex" }, .needle = "'\\xef\\xbb\\xbflock.mutex'" },
		{ .argv = { "run", "lock.\xff" }, .needle = "'lock.\\xff'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct cli_run r;

		cli_exec_how(&r, NULL, (char *const[]){ (char *)cli_bin(), cases[i].argv[0],
			     cases[i].argv[1], cases[i].argv[2], cases[i].argv[3],
			     cases[i].argv[4], cases[i].argv[5], cases[i].argv[6], NULL });
		cli_expect_bad(&r, cases[i].needle);
		if (cases[i].absent)
			cr_assert(!strstr(r.err, cases[i].absent), "%s", r.err);
		for (const char *c = r.err; *c; c++)
			cr_assert(*c == '\n' || (unsigned char)*c >= 0x20, "case %zu: a raw byte "
				  "0x%02x in: %s", i, (unsigned char)*c, r.err);
	}
}

/* --resume D where D/plan.txt is a folder: the message is about the run
 * folder, not --preset (which was not given). */
Test(cli, resume_with_a_folder_for_a_plan, .timeout = 30)
{
	static struct cli_run r;
	char dir[64], path[128];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/plan.txt", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	CLI(&r, "sweep", "--resume", dir);
	cli_expect_bad(&r, "plan.txt is a folder");
	cr_assert(!strstr(r.err, "--preset"), "%s", r.err);
	cli_rmdir(dir);
}

/* A plan line's own --reps and the sweep's: plan.txt keeps the line's
 * once (it had both, and --resume took the sweep's). */
Test(cli, plan_txt_gives_each_option_once, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], plan[128], run[128], path[160], text[1024];
	FILE *f;
	size_t n;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "selftest.spin --threads 1 --mode thread --reps 2 --param k_ns=1000\n");
	CLI(&r, "sweep", "--preset", plan, "--out", run, "--counters", "none", "--reps", "3",
	    "--min-time", "0.01", "--timeout", "30");
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/plan.txt", run);
	cr_assert_not_null(f = fopen(path, "r"));
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	/* every sweep option the line lacks, each whole, in order */
	cr_assert(strstr(text, "--reps 2 --param k_ns=1000 --min-time 0.01 --timeout 30\n"), "%s",
		  text);
	cr_assert(!strstr(text, "--reps 3"), "%s", text);
	/* and a resume reads it back */
	snprintf(path, sizeof(path), "%s/results.csv", run);
	unlink(path);
	CLI(&r, "sweep", "--resume", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cli_rmdir(dir);
}

/* compare of two runs with no configuration in common: exit 2 (README),
 * not 1 as if the code had regressed. */
Test(cli, compare_of_runs_sharing_nothing_is_exit_2, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], a[128], b[128];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(a, sizeof(a), "%s/a.csv", dir);
	snprintf(b, sizeof(b), "%s/b.csv", dir);
	CLI(&r, "run", "selftest.spin", "--param", "k_ns=1000", "--threads", "1", "--mode",
	    "thread", "--reps", "2", "--min-time", "0.01", "--counters", "none", "--out", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	CLI(&r, "run", "selftest.spin", "--param", "k_ns=2000", "--threads", "1", "--mode",
	    "thread", "--reps", "2", "--min-time", "0.01", "--counters", "none", "--out", b);
	cr_assert_eq(r.status, 0, "%s", r.err);
	CLI(&r, "compare", a, b);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "share no configuration"), "%s", r.err);
	cli_rmdir(dir);
}

/* Benchmarks --mode leaves out are named in a notice, not gone without
 * a word. */
Test(cli, mode_names_what_it_leaves_out, .timeout = 120)
{
	static struct cli_run r;

	CLI(&r, "run", "ctx.thread.futex", "ctx.process.futex", "--mode", "process", "--reps",
	    "2", "--min-time", "0.01", "--counters", "none", "--placement", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "notice: --mode process: 1 selected benchmark has no process "
			 "mode, left out: ctx.thread.futex"), "%s", r.err);
}

/* CONTEND_PYTHON naming a missing, non-executable or broken file: the
 * configuration is skipped with the path and the cause, and nothing the
 * broken interpreter says lands in the progress line. */
Test(cli, a_bad_contend_python_is_named, .timeout = 120)
{
	char dir[64], noexec[128], broken[128];
	const char *paths[] = { "/nonexistent/python3", noexec, broken };
	const char *causes[] = { "No such file", "Permission denied",
				 "exited with status 3: Fatal Python error: init" };

	cli_tmpdir(dir, sizeof(dir));
	snprintf(noexec, sizeof(noexec), "%s/noexec", dir);
	snprintf(broken, sizeof(broken), "%s/broken", dir);
	cli_write_str(noexec, "#!/bin/sh\nexit 0\n");
	cli_write_str(broken, "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
			      "echo 'Fatal Python error: init' >&2\nexit 3\n");
	cr_assert_eq(chmod(noexec, 0644), 0);
	cr_assert_eq(chmod(broken, 0755), 0);
	for (int i = 0; i < 3; i++) {
		static struct cli_run r;

		setenv("CONTEND_PYTHON", paths[i], 1);
		CLI(&r, "run", "gil.cpython.cpu", "--quick", "--reps", "1", "--counters", "none");
		unsetenv("CONTEND_PYTHON");
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert(strstr(r.err, "skipped: CONTEND_PYTHON=") && strstr(r.err, paths[i]) &&
			  strstr(r.err, causes[i]), "%s", r.err);
		for (const char *l = r.err; *l; l = strchr(l, '\n') + 1) {
			cr_assert(strncmp(l, "contend: ", 9) == 0, "a line not contend's: %s", r.err);
			if (!strchr(l, '\n'))
				break;
		}
	}
	cli_rmdir(dir);
}

/*
 * Every benchmark a user can run belongs to a family whose test probes
 * each of its parameters (CLI_PROBED_FAMILIES): a new family without
 * probes fails here, not in a reader's results.
 */
Test(cli, every_family_probes_its_parameters, .timeout = 30)
{
	static const char *const families[] = { CLI_PROBED_FAMILIES };

	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];
		int probed = 0;

		if (d->hidden || !d->params || !d->params[0].name)
			continue;
		for (size_t k = 0; k < sizeof(families) / sizeof(families[0]); k++)
			probed |= fnmatch(families[k], d->name, 0) == 0;
		cr_assert(probed, "%s has parameters but its family has no probes "
			  "(CLI_PROBED_FAMILIES, tests/h_util.h)", d->name);
	}
}

/*
 * What list --long and env say of each thing, read back: a benchmark's
 * modes, task count and placements; how many counters work here, with a
 * line each that says so.  And what a failure names: the stage it
 * happened in, with its cause; a notice for an option that does not
 * apply.
 */
Test(cli, list_env_and_failures_say_what_they_are, .timeout = 120)
{
	static struct cli_run r;
	int work = 0, of = 0, ok = 0, lines = 0;
	const char *at;

	CLI(&r, "list", "--long");
	cr_assert_eq(r.status, 0, "%s", r.err);
	at = strstr(r.out, "\nctx.coro.asm ");
	cr_assert_not_null(at, "%s", r.out);
	at = strchr(at + 1, '\n');
	cr_assert_eq(strncmp(at, "\n    modes: thread   tasks: 1 (fixed)   placements: same-core\n",
			     62), 0, "%.200s", at);
	at = strstr(r.out, "\nlock.mutex ");
	cr_assert_not_null(at, "%s", r.out);
	at = strchr(at + 1, '\n');
	cr_assert_eq(strncmp(at, "\n    modes: thread,process   tasks: --threads   placements: "
				 "none\n", 65), 0, "%.200s", at);

	CLI(&r, "env");
	cr_assert_eq(r.status, 0, "%s", r.err);
	at = strstr(r.out, "counters (libpfm4 + perf_event_open, kernel time included): ");
	cr_assert_not_null(at, "%s", r.out);
	cr_assert_eq(sscanf(strchr(at, ':') + 2, "%d of %d work here", &work, &of), 2, "%.200s", at);
	cr_assert_eq(of, 8, "the default set: %.200s", at);
	for (at = strchr(at, '\n'); at && at[1] == ' ' && at[2] == ' '; at = strchr(at + 1, '\n')) {
		const char *end = strchr(at + 1, '\n');

		lines++;
		ok += end && end - at > 3 && !strncmp(end - 3, " ok", 3);
	}
	cr_assert_eq(lines, of, "a line per counter");
	cr_assert_eq(ok, work, "%d lines say ok, the count says %d", ok, work);

	CLI(&r, "run", "ctx.coro.asm", "--threads", "2", "--param", "ws_kb=0", "--reps", "1",
	    "--min-time", "0.001", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "contend: notice: ctx.coro.asm runs a fixed 1 tasks; --threads "
				"does not apply to it\n"), "%s", r.err);
	/* One task is placed alike by compact and scatter (the first
	 * processor): measured once, as the first of them, and said so. */
	CLI(&r, "run", "selftest.spin", "--full", "--threads", "1", "--mode", "thread", "--param",
	    "k_ns=1000", "--reps", "1", "--min-time", "0.001", "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "contend: notice: placement scatter puts 1 task where compact does "
				"on this machine: such configurations are measured once, as "
				"compact\n"), "%s", r.err);
	cr_assert(strstr(r.err, "[1/1] selftest.spin thread compact tasks=1 "), "%s", r.err);
	CLI(&r, "run", "selftest.crash", "--mode", "thread", "--quick", "--counters", "none");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "crashed with Aborted while calibrating;"), "%s", r.err);
	CLI(&r, "run", "selftest.hang", "--mode", "thread", "--quick", "--timeout", "1",
	    "--counters", "none");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "exceeded its time budget of 1 s while calibrating"), "%s", r.err);
	CLI(&r, "run", "selftest.setup", "--mode", "thread", "--quick", "--counters", "none");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "FAILED after "), "%s", r.err);
	cr_assert(strstr(r.err, ": setup failed: Function not implemented;"), "%s", r.err);
}

/*
 * A sweep's folder after a resume says only what is true then: resumed
 * with other --counters than it was swept with (other columns), it is
 * refused before any work and left byte for byte; resumed once the
 * configuration that failed is gone from its plan, failures.csv goes
 * too.  And a sweep given --out (or resumed) leaves results/latest
 * alone: that link is for sweeps into results/.
 */
Test(cli, a_resumed_folder_says_only_what_is_true, .timeout = 120)
{
	static struct cli_run r;
	struct cli_how here = { 0 };
	char dir[64], plan[128], run[128], path[192], cmd[512], *before, *after;
	struct stat sb;

	cli_tmpdir(dir, sizeof(dir));
	here.cwd = dir;
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	cli_write_str(plan, "selftest.crash --quick --mode thread --threads 1\n"
			    "selftest.spin --param k_ns=1000 --threads 1 --mode thread --quick\n");
	CLI_HOW(&r, &here, "sweep", "--preset", plan, "--out", run, "--counters", "none");
	cr_assert_eq(r.status, 1, "%s", r.err);
	snprintf(path, sizeof(path), "%s/failures.csv", run);
	cr_assert_eq(stat(path, &sb), 0, "no failures.csv: %s", r.err);

	snprintf(path, sizeof(path), "%s/results.csv", run);
	before = cli_read_file(path);
	CLI_HOW(&r, &here, "sweep", "--resume", run, "--counters", "context-switches");
	cli_expect_bad(&r, "other columns than this sweep writes");
	after = cli_read_file(path);
	cr_assert_str_eq(after, before, "results.csv changed by a refused resume");
	free(before);
	free(after);

	snprintf(cmd, sizeof(cmd), "sed -i '/selftest.crash/d' '%s/plan.txt'", run);
	cr_assert_eq(system(cmd), 0);
	CLI_HOW(&r, &here, "sweep", "--resume", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/failures.csv", run);
	cr_assert(stat(path, &sb) < 0 && errno == ENOENT, "failures.csv names a failure that is "
		  "no longer in the plan");
	snprintf(path, sizeof(path), "%s/results", dir);
	cr_assert(lstat(path, &sb) < 0 && errno == ENOENT, "results/ made beside a sweep with --out");
	cli_rmdir(dir);
}

/*
 * The quick and full presets as plan.txt writes them down (it is there
 * before the first configuration starts): each its own defaults of
 * --min-time and --timeout, or the sweep's own where it gives them.
 * Each sweep is stopped as its first configuration starts.
 */
Test(cli, the_presets_plan_lines, .timeout = 120)
{
	static const struct { const char *preset, *min_time, *want; } c[] = {
		{ "quick", NULL, "'*' --quick --timeout 20\n" },
		{ "quick", "0.2", "'*' --quick --min-time 0.2 --timeout 20\n" },
		{ "full", NULL, "'*' --full --min-time 0.05 --timeout 30\n" },
	};
	char dir[64], run[128], path[192];

	cli_tmpdir(dir, sizeof(dir));
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *text, *line;
		int st;

		snprintf(run, sizeof(run), "%s/run%zu", dir, i);
		if (c[i].min_time)
			st = cli_signal_at("[1/", SIGINT, (char *const[]){
				(char *)cli_bin(), "sweep", "--preset", (char *)c[i].preset, "--out", run,
				"--counters", "none", "--min-time", (char *)c[i].min_time, NULL });
		else
			st = cli_signal_at("[1/", SIGINT, (char *const[]){
				(char *)cli_bin(), "sweep", "--preset", (char *)c[i].preset, "--out", run,
				"--counters", "none", NULL });
		cr_assert_eq(st, 128 + SIGINT, "%s: status %d", c[i].preset, st);
		snprintf(path, sizeof(path), "%s/plan.txt", run);
		text = cli_read_file(path);
		line = strstr(text, "\n'*' ");
		cr_assert_not_null(line, "%s: %s", c[i].preset, text);
		cr_assert_str_eq(line + 1, c[i].want, "%s", c[i].preset);
		free(text);
	}
	cli_rmdir(dir);
}
