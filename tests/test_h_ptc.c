/*
 * tests/test_h_ptc.c - the spawn.* and ptc.* families end to end: every
 * benchmark runs under --quick and passes its own check() (the run exits
 * 0 only then), every metric has a row; the loopback server shuts down
 * clean (no process, descriptor or connection left); a C or an n the
 * machine cannot hold is skipped naming its limit; every parameter
 * reaches its workload; a ptc.cpu round counts its jobs, not its units'
 * shares (a job's CPU time is the same at W = 5 as at W = 1); a live
 * process holds at least a page of its own.  What is asserted follows
 * from the mechanism (a server never answers early, a stack of its own
 * costs a page), never from how fast this machine is.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/ptc.h"
#include "harness/bench.h"
#include "harness/team.h"
#include "tests/check.h"
#include "tests/h_checks.h"
#include "tests/h_util.h"

static const char *ptc_cell(const struct csv_table *t, size_t r, const char *col)
{
	return t->rows[r][cli_col(t, col)];
}

static double ptc_num(const struct csv_table *t, size_t r, const char *col)
{
	return strtod(ptc_cell(t, r, col), NULL);
}

/* Row of (bench, metric) whose params hold `params` (NULL: any), or -1. */
static long ptc_row(const struct csv_table *t, const char *b, const char *m, const char *params)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(ptc_cell(t, r, "bench"), b) && !strcmp(ptc_cell(t, r, "metric"), m) &&
		    (!params || strstr(ptc_cell(t, r, "params"), params)))
			return (long)r;
	return -1;
}

/* Every new benchmark under --quick, tiny: each passes its check() and
 * gives every metric it always has a row. */
Test(ptc, quick_runs_every_benchmark, .timeout = 300)
{
	static struct cli_run r;
	char dir[64], out[128];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	CLI(&r, "run", "spawn.*", "ptc.*", "--quick", "--reps", "2", "--min-time", "0.002",
	    "--threads", "1,3", "--param", "n=20", "--param", "c=3",
	    "--param", "job_us=200", "--counters", "none", "--out", out);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cli_read_csv(out, &t);
	for (int i = 0; bench_registry[i]; i++) {
		const struct bench_desc *d = bench_registry[i];

		if ((strncmp(d->name, "spawn.", 6) && strncmp(d->name, "ptc.", 4)) || d->hidden)
			continue;
		for (const struct bench_metric *m = d->metrics; m->name; m++) {
			long k = ptc_row(&t, d->name, m->name, NULL);

			/* The gil lock's own rows need a wait to time: W = 1
			 * has none; so they may be missing, nothing else. */
			if (!strncmp(m->name, "gil_", 4))
				continue;
			cr_assert_geq(k, 0, "%s: no %s row in a quick run", d->name, m->name);
			cr_assert(isfinite(ptc_num(&t, (size_t)k, "median")), "%s %s: median %s",
				  d->name, m->name, ptc_cell(&t, (size_t)k, "median"));
		}
	}
	/* Efficiency is the speedup over the units, repetition by
	 * repetition: so the medians too, one over the other. */
	for (size_t r = 0; r < t.nrows; r++) {
		long k;

		if (strcmp(ptc_cell(&t, r, "metric"), "efficiency"))
			continue;
		for (k = 0; k < (long)t.nrows; k++)
			if (!strcmp(ptc_cell(&t, (size_t)k, "metric"), "speedup") &&
			    !strcmp(ptc_cell(&t, (size_t)k, "bench"), ptc_cell(&t, r, "bench")) &&
			    !strcmp(ptc_cell(&t, (size_t)k, "threads"), ptc_cell(&t, r, "threads")))
				break;
		cr_assert_lt(k, (long)t.nrows, "%s: efficiency without speedup",
			     ptc_cell(&t, r, "bench"));
		cr_assert_float_eq(ptc_num(&t, r, "median") * ptc_num(&t, r, "threads"),
				   ptc_num(&t, (size_t)k, "median"),
				   1e-6 * ptc_num(&t, (size_t)k, "median"), "%s W=%s: efficiency %s, "
				   "speedup %s", ptc_cell(&t, r, "bench"), ptc_cell(&t, r, "threads"),
				   ptc_cell(&t, r, "median"), ptc_cell(&t, (size_t)k, "median"));
	}
	csv_table_free(&t);
	cli_rmdir(dir);
}

/* The descriptors this process has open. */
static int ptc_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the DIR's own */
}

static int ptc_refused(int port)
{
	int fd = ptc_connect(port);

	if (fd >= 0)
		close(fd);
	return fd == -ECONNREFUSED;
}

/*
 * The server answers with the request's bytes, after its latency; once
 * its clients have closed, stop() reaps it, clean: no child, no
 * descriptor, and nothing listening on its port.  A client that keeps
 * its connection makes the stop unclean (said so), and still nothing is
 * left behind.
 */
Test(ptc, server_shuts_down_clean, .timeout = 60)
{
	struct ptc_server srv;
	int before = ptc_open_fds(), fd[5], port;
	uint64_t t0;

	cr_assert_eq(ptc_server_start(&srv, 20000, 16), 0);
	cr_assert_gt(srv.port, 0);
	for (int i = 0; i < 5; i++) {
		fd[i] = ptc_connect(srv.port);
		cr_assert_geq(fd[i], 0, "connect: %s", strerror(-fd[i]));
	}
	t0 = bench_now_ns();
	for (int i = 0; i < 5; i++)
		cr_assert_eq(ptc_roundtrip(fd[i], 0x1234u + (uint64_t)i), 0);
	/* Five answers, one after another, each at least 20 ms late. */
	cr_assert_geq(bench_now_ns() - t0, 5 * 20000000ull * 99 / 100, "an answer came early");
	for (int i = 0; i < 5; i++)
		close(fd[i]);
	port = srv.port;
	cr_assert_eq(ptc_server_stop(&srv), 0, "the server did not end clean");
	cr_assert_eq(srv.pid, 0);
	cr_assert(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a child is left");
	cr_assert_eq(ptc_open_fds(), before, "a descriptor is left");
	cr_assert(ptc_refused(port), "something still listens on %d", port);

	/* A connection its client never closes: unclean, and yet gone. */
	cr_assert_eq(ptc_server_start(&srv, 1000, 16), 0);
	fd[0] = ptc_connect(srv.port);
	cr_assert_geq(fd[0], 0);
	cr_assert_eq(ptc_roundtrip(fd[0], 7), 0);	/* so the server holds it */
	cr_assert_eq(ptc_server_stop(&srv), -1, "a connection left open went unsaid");
	cr_assert(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a child is left");
	close(fd[0]);
	cr_assert_eq(ptc_open_fds(), before, "a descriptor is left");
}

/*
 * Refuse socket(2) with EACCES in this process and its children from
 * now on (a seccomp filter of five instructions), so that a server child
 * cannot make its listening socket.  0, or -1 where seccomp is absent.
 */
static int ptc_forbid_sockets(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -1 : 0;
}

/*
 * A server that cannot listen says so: start() returns -EPROTO at once
 * (the port pipe's end of file), reaps the child and leaves no
 * descriptor.  A parent that kept the pipe's write end open would wait
 * for ever: the test's timeout.
 */
Test(ptc, a_server_that_cannot_listen_is_an_error, .timeout = 30)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ptc_server srv;
		int before;

		/* A start() that waits for ever must not outlive the test. */
		alarm(10);
		if (ptc_forbid_sockets() < 0)
			_exit(77);
		before = ptc_open_fds();
		if (ptc_server_start(&srv, 1000, 16) != -EPROTO)
			_exit(1);
		if (waitpid(-1, NULL, WNOHANG) >= 0 || errno != ECHILD)
			_exit(2);
		_exit(ptc_open_fds() == before ? 0 : 3);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		cr_skip_test("no seccomp filter here to make the server fail");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "start() of a server that cannot listen: %s",
		  !WIFEXITED(status) ? "it never returned" : WEXITSTATUS(status) == 1 ? "not -EPROTO" :
		  WEXITSTATUS(status) == 2 ? "a child left" : "a descriptor left");
}

/*
 * A fetch that fails still closes its socket: gevent's three fetches
 * against a server that has gone (connections refused), both ways, count
 * their errors and leave no descriptor behind.
 */
Test(ptc, failed_fetches_leave_no_descriptor, .timeout = 60)
{
	static const char *const ways[] = { "sequential", "joinall" };

	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		struct bench_rec rec = { 0 };
		struct bench_state st;
		struct bench_task t = { .st = &st, .id = 0, .rec = &rec };
		struct ptc_fetch_shared *s;
		int before;

		checks_setup("ptc.scene.fetch3", 1, (const char *const[]){ "way", ways[w], NULL },
			     &st);
		s = st.priv;
		cr_assert_eq(ptc_server_stop(&s->srv), 0);	/* its port now refuses */
		cr_assert_eq(st.desc->task_init(&t), 0);
		before = ptc_open_fds();
		cr_assert_eq(st.desc->run(&t, 4), 4);
		cr_assert_eq(ptc_open_fds(), before, "%s: a failed fetch kept its socket", ways[w]);
		cr_assert_eq(s->fetched, 0);
		cr_assert_eq(s->errors, 3 * 4, "%s: %llu errors", ways[w],
			     (unsigned long long)s->errors);
		st.desc->task_fini(&t);
		checks_teardown(&st);
	}
}

/* A C (an n) the machine cannot hold is skipped, naming the limit; the
 * run still succeeds, and nothing is shrunk to fit. */
Test(ptc, units_beyond_the_limits_are_skipped_naming_them, .timeout = 120)
{
	static struct cli_run r;

	CLI(&r, "run", "ptc.io.thread", "ptc.io.coro", "--param", "c=1000000", "--quick",
	    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "skipped: c=1000000 connections do not fit: RLIMIT_NOFILE"),
		  "%s", r.err);
	cr_assert(!strstr(r.out, "c=1000000"), "a row for what was skipped: %s", r.out);
	CLI(&r, "run", "spawn.fork.live", "spawn.thread.live", "--param", "n=1000000", "--quick",
	    "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "skipped: n=1000000 units do not fit: kernel.pid_max") ||
		  strstr(r.err, "skipped: n=1000000 units do not fit: RLIMIT_NPROC") ||
		  strstr(r.err, "skipped: n=1000000 units do not fit: kernel.threads-max"),
		  "%s", r.err);
	cr_assert(!strstr(r.out, "n=1000000"), "a row for what was skipped: %s", r.out);
}

/* ---- every parameter reaches its workload -------------------------------- */

static const char *const ptc_probe_opts_tail[] = { "--reps", "2", "--min-time", "0.002", NULL };

/* Run bench with the options given and the tail above, with samples. */
static void ptc_probe_run(char *const bench[], const char *const *opts, struct csv_table *res,
			  struct csv_table *smp)
{
	static struct cli_run r;
	char dir[64], out[128], samples[128], *argv[64];
	int n = 0;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	snprintf(samples, sizeof(samples), "%s/s.csv", dir);
	argv[n++] = (char *)cli_bin();
	argv[n++] = "run";
	for (int i = 0; bench[i]; i++)
		argv[n++] = bench[i];
	for (int i = 0; opts[i]; i++)
		argv[n++] = (char *)opts[i];
	for (int i = 0; ptc_probe_opts_tail[i]; i++)
		argv[n++] = (char *)ptc_probe_opts_tail[i];
	argv[n++] = "--out";
	argv[n++] = out;
	argv[n++] = "--samples";
	argv[n++] = samples;
	argv[n] = NULL;
	cli_exec_how(&r, NULL, argv);
	cr_assert_eq(r.status, 0, "%s ...: %s", bench[0], r.err);
	cli_read_csv(out, res);
	if (smp)
		cli_read_csv(samples, smp);
	cli_rmdir(dir);
}

/* n: each round holds a whole number of n units (7, then 11). */
static void ptc_probe_n_live(char *const bench[], int nb)
{
	static const char *const ns[] = { "7", "11" };

	for (int k = 0; k < 2; k++) {
		char p[16];
		struct csv_table res, smp;
		int rows = 0;

		snprintf(p, sizeof(p), "n=%s", ns[k]);
		ptc_probe_run(bench, (const char *const[]){ "--param", p, "--counters", "none",
							   NULL }, &res, &smp);
		for (size_t r = 0; r < smp.nrows; r++) {
			double ops = ptc_num(&smp, r, "ops");

			rows++;
			cr_assert(ops > 0 && fmod(ops, atoi(ns[k])) == 0, "%s %s: a round of %g units",
				  ptc_cell(&smp, r, "bench"), p, ops);
		}
		cr_assert_geq(rows, nb);
		csv_table_free(&res);
		csv_table_free(&smp);
	}
}

/* n of the bytecode carriers: fewer loops than units is refused. */
static void ptc_probe_n_gil(char *const bench[], int nb)
{
	static struct cli_run r;
	char *argv[16];
	int n = 0;

	argv[n++] = (char *)cli_bin();
	argv[n++] = "run";
	for (int i = 0; i < nb; i++)
		argv[n++] = bench[i];
	argv[n++] = "--param";
	argv[n++] = "n=3";
	argv[n++] = "--threads";
	argv[n++] = "4";
	argv[n++] = "--quick";
	argv[n++] = "--counters";
	argv[n++] = "none";
	argv[n] = NULL;
	cli_exec_how(&r, NULL, argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (int i = 0; i < nb; i++)
		cr_assert(strstr(r.err, "n is smaller than the units"), "%s: %s", bench[i], r.err);
}

/* stack of the live rows: a stack of its own costs at least a page per
 * parked coroutine; on one shared stack, a few hundred bytes. */
static void ptc_probe_stack_live(char *const bench[], int nb)
{
	struct csv_table res;

	(void)nb;
	ptc_probe_run(bench, (const char *const[]){ "--param", "n=200", "--param",
						   "stack=mmap,shared", "--counters", "none",
						   NULL }, &res, NULL);
	for (size_t r = 0; r < res.nrows; r++) {
		const char *p = ptc_cell(&res, r, "params");
		double v = ptc_num(&res, r, "min");

		if (strcmp(ptc_cell(&res, r, "metric"), "resident_per_unit"))
			continue;
		if (strstr(p, "stack=mmap"))
			cr_assert_geq(v, 4096, "%s %s: %g bytes a coroutine with a stack of its own",
				      ptc_cell(&res, r, "bench"), p, v);
		else
			cr_assert_lt(ptc_num(&res, r, "max"), 4096, "%s %s: a page or more a "
				     "coroutine on a shared stack", ptc_cell(&res, r, "bench"), p);
	}
	csv_table_free(&res);
}

/* stack of the create+finish rows: a greenlet's stack of its own is
 * mapped and unmapped each time (system calls); a shared one is not.  The
 * hub keeps the stacks of freed tasks for the next spawns, so its
 * create+finish makes no system call in either mode once warm: its stack
 * reaches it through the same hub_new() as spawn.hub.live's, which the
 * live probe tells apart by the memory a parked task holds. */
static void ptc_probe_stack(char *const bench[], int nb)
{
	struct csv_table res;
	int counted = 0;

	(void)nb;
	ptc_probe_run(bench, (const char *const[]){ "--param", "stack=mmap,shared", "--counters",
						   "syscalls", NULL }, &res, NULL);
	for (size_t r = 0; r < res.nrows; r++) {
		const char *p = ptc_cell(&res, r, "params"), *c = ptc_cell(&res, r, "syscalls_per_op");

		if (!c[0] || !strcmp(ptc_cell(&res, r, "bench"), "spawn.hub"))
			continue;
		counted = 1;
		if (strstr(p, "stack=mmap"))
			cr_assert_geq(strtod(c, NULL), 2, "%s %s: %s system calls a create",
				      ptc_cell(&res, r, "bench"), p, c);
		else
			cr_assert_lt(strtod(c, NULL), 1, "%s %s: %s system calls a create",
				     ptc_cell(&res, r, "bench"), p, c);
	}
	if (!counted)
		cr_log_warn("ptc: system calls cannot be counted here: stack not probed");
	csv_table_free(&res);
}

/* job_us: one unit's 20 ms job cannot take under a third of it (the
 * calibrated loop's slack on a machine whose speed moves: bench/lock.c,
 * LOCK_BENCH_WORK_SLACK); a job_us that did not reach it is 1 or 2 ms. */
static void ptc_probe_job_us(char *const bench[], int nb)
{
	struct csv_table res;

	(void)nb;
	ptc_probe_run(bench, (const char *const[]){ "--param", "job_us=20000", "--threads", "1",
						   "--counters", "none", NULL }, &res, NULL);
	for (size_t r = 0; r < res.nrows; r++)
		if (!strcmp(ptc_cell(&res, r, "metric"), "job"))
			cr_assert_geq(ptc_num(&res, r, "min"), 20e6 / 3, "%s: a 20 ms job in %s ns",
				      ptc_cell(&res, r, "bench"), ptc_cell(&res, r, "min"));
	csv_table_free(&res);
}

/* c: every round's requests are a whole number of c quotas, and the
 * ideal is c over the latency. */
static void ptc_probe_c(char *const bench[], int nb)
{
	struct csv_table res, smp;

	(void)nb;
	ptc_probe_run(bench, (const char *const[]){ "--param", "c=7", "--counters", "none", NULL },
		      &res, &smp);
	for (size_t r = 0; r < smp.nrows; r++)
		cr_assert(fmod(ptc_num(&smp, r, "ops"), 7) == 0, "%s c=7: a round of %s requests",
			  ptc_cell(&smp, r, "bench"), ptc_cell(&smp, r, "ops"));
	for (size_t r = 0; r < res.nrows; r++)
		if (!strcmp(ptc_cell(&res, r, "metric"), "ideal_per_sec"))
			cr_assert_float_eq(ptc_num(&res, r, "median"), 7000.0, 1e-6, "%s",
					   ptc_cell(&res, r, "bench"));
	csv_table_free(&res);
	csv_table_free(&smp);
}

/* latency_us: no answer comes before it; fetch3's sequential three take
 * three of it; the ideal is c over it. */
static void ptc_probe_latency_us(char *const bench[], int nb)
{
	struct csv_table res;

	(void)nb;
	ptc_probe_run(bench, (const char *const[]){ "--param", "latency_us=20000", "--param",
						   "c=2", "--param", "way=sequential", "--counters",
						   "none", NULL }, &res, NULL);
	for (size_t r = 0; r < res.nrows; r++) {
		const char *b = ptc_cell(&res, r, "bench"), *m = ptc_cell(&res, r, "metric");

		if (!strcmp(m, "rtt_p50"))
			cr_assert_geq(ptc_num(&res, r, "min"), 20e6 * 0.99, "%s: an answer in %s ns",
				      b, ptc_cell(&res, r, "min"));
		if (!strcmp(m, "ideal_per_sec"))
			cr_assert_float_eq(ptc_num(&res, r, "median"), 100.0, 1e-9, "%s", b);
		if (!strcmp(m, "three_fetches"))
			cr_assert_geq(ptc_num(&res, r, "min"), 60e6 * 0.99, "%s: three in %s ns", b,
				      ptc_cell(&res, r, "min"));
	}
	csv_table_free(&res);
}

/* way: joinall overlaps (its best round under 2 latencies: one stall
 * in a round of one scene can stretch that round past 3), sequential
 * never does (every round at least 3). */
static void ptc_probe_way(char *const bench[], int nb)
{
	struct csv_table res;

	(void)nb;
	ptc_probe_run(bench, (const char *const[]){ "--param", "way=joinall,sequential",
						   "--counters", "none", NULL }, &res, NULL);
	for (size_t r = 0; r < res.nrows; r++) {
		const char *p = ptc_cell(&res, r, "params");

		if (strcmp(ptc_cell(&res, r, "metric"), "vs_latency"))
			continue;
		if (strstr(p, "way=joinall"))
			cr_assert_lt(ptc_num(&res, r, "min"), 2, "%s: joinall took %s latencies", p,
				     ptc_cell(&res, r, "min"));
		else
			cr_assert_geq(ptc_num(&res, r, "min"), 2.97, "%s: sequential took %s", p,
				      ptc_cell(&res, r, "min"));
	}
	csv_table_free(&res);
}

static const struct cli_param_probe spawn_probes[] = {
	{ .bench = "spawn.*.live", .param = "n", .probe = ptc_probe_n_live },
	{ .bench = "spawn.*.live", .param = "stack", .probe = ptc_probe_stack_live },
	{ .bench = "spawn.*", .param = "stack", .probe = ptc_probe_stack },
};

/* stack of ptc.io.coro: a hub task with a stack of its own holds at
 * least a page while it waits for its answer; on a shared stack, less. */
static void ptc_probe_io_stack(char *const bench[], int nb)
{
	struct csv_table res;

	(void)nb;
	ptc_probe_run(bench, (const char *const[]){ "--param", "c=200", "--param",
						   "stack=mmap,shared", "--counters", "none",
						   NULL }, &res, NULL);
	for (size_t r = 0; r < res.nrows; r++) {
		const char *p = ptc_cell(&res, r, "params");

		if (strcmp(ptc_cell(&res, r, "metric"), "resident_per_unit"))
			continue;
		if (strstr(p, "stack=mmap"))
			cr_assert_geq(ptc_num(&res, r, "min"), 4096, "%s: %s bytes a unit", p,
				      ptc_cell(&res, r, "min"));
		else
			cr_assert_lt(ptc_num(&res, r, "max"), 4096, "%s: %s bytes a unit", p,
				     ptc_cell(&res, r, "max"));
	}
	csv_table_free(&res);
}

static const struct cli_param_probe ptc_probes[] = {
	{ .bench = "ptc.io.coro", .param = "stack", .probe = ptc_probe_io_stack },
	{ .bench = "ptc.cpu.gil_*", .param = "n", .probe = ptc_probe_n_gil },
	{ .bench = "ptc.cpu.*", .param = "job_us", .probe = ptc_probe_job_us },
	{ .bench = "ptc.io.*", .param = "c", .probe = ptc_probe_c },
	{ .bench = "ptc.cpython.cpu.*", .param = "n", .probe = ptc_probe_n_gil },
	{ .bench = "ptc.cpython.io.*", .param = "c", .probe = ptc_probe_c },
	{ .bench = "ptc.*", .param = "latency_us", .probe = ptc_probe_latency_us },
	{ .bench = "ptc.scene.*", .param = "way", .probe = ptc_probe_way },
};

/*
 * ptc.io's memory split: where the runner makes the connections (thread,
 * coro) the charge per unit is the connection's (read across the
 * connecting, before any unit) plus the carrier's, in every repetition,
 * so the medians add up; a socket costs kernel memory (some 3.7 KB: at
 * c = 1,000, 3.7 MB, far more than the cgroup's charge can move by
 * while other cgroups charge on the same processors, a batch of 256 KiB
 * each; at c = 100 it read 0 beside three other such runs); a thread
 * carries its connection on a kernel stack and a task of its own, far
 * more than a coroutine on a shared stack does.  A process connects its
 * own, and has no split.
 */
Test(ptc, the_connection_and_its_carrier_split_the_charge, .timeout = 300)
{
	static const char *const units[][2] = {
		{ "ptc.io.thread", "c=1000;latency_us=1000" },
		{ "ptc.io.coro", "c=1000;latency_us=1000;stack=mmap" },
		{ "ptc.io.coro", "c=1000;latency_us=1000;stack=shared" },
	};
	double carrier[3];
	struct csv_table res, proc;

	ptc_probe_run((char *const[]){ "ptc.io.thread", "ptc.io.coro", NULL },
		      (const char *const[]){ "--param", "c=1000", "--counters", "none", NULL },
		      &res, NULL);
	ptc_probe_run((char *const[]){ "ptc.io.process", NULL },
		      (const char *const[]){ "--param", "c=10", "--counters", "none", NULL },
		      &proc, NULL);
	for (size_t r = 0; r < proc.nrows; r++)
		cr_assert(strcmp(ptc_cell(&proc, r, "metric"), "conn_per_unit") &&
			  strcmp(ptc_cell(&proc, r, "metric"), "carrier_per_unit"),
			  "ptc.io.process has a %s row", ptc_cell(&proc, r, "metric"));
	csv_table_free(&proc);
	if (ptc_row(&res, "ptc.io.thread", "charged_per_unit", units[0][1]) < 0) {
		cr_log_warn("ptc: no memory cgroup here, the split is not checked");
		csv_table_free(&res);
		return;
	}
	for (int i = 0; i < 3; i++) {
		long ch = ptc_row(&res, units[i][0], "charged_per_unit", units[i][1]);
		long co = ptc_row(&res, units[i][0], "conn_per_unit", units[i][1]);
		long ca = ptc_row(&res, units[i][0], "carrier_per_unit", units[i][1]);
		double whole, conn;

		if (i == 2 && ch < 0 && co < 0 && ca < 0) {
			carrier[i] = NAN;	/* shared stacks compiled out (sanitizers) */
			continue;
		}
		cr_assert(ch >= 0 && co >= 0 && ca >= 0, "%s %s: charged, conn and carrier rows",
			  units[i][0], units[i][1]);
		whole = ptc_num(&res, (size_t)ch, "median");
		conn = ptc_num(&res, (size_t)co, "median");
		carrier[i] = ptc_num(&res, (size_t)ca, "median");
		cr_assert_float_eq(conn + carrier[i], whole, 1e-6 * fabs(whole) + 1e-3,
				   "%s %s: %g + %g is not the %g charged", units[i][0], units[i][1],
				   conn, carrier[i], whole);
		cr_assert_gt(conn, 0, "%s %s: the connections grew the charge by %g a unit",
			     units[i][0], units[i][1], conn);
	}
	if (!isnan(carrier[2]))
		cr_assert_gt(carrier[0], 4 * carrier[2], "a thread carries a connection for %g "
			     "bytes, a coroutine on a shared stack for %g", carrier[0], carrier[2]);
	csv_table_free(&res);
}

Test(ptc, every_spawn_parameter_reaches_its_workload, .timeout = 300)
{
	cr_assert_gt(cli_param_probes_run("spawn.*", spawn_probes,
					  sizeof(spawn_probes) / sizeof(spawn_probes[0])), 0);
}

Test(ptc, every_ptc_parameter_reaches_its_workload, .timeout = 300)
{
	cr_assert_gt(cli_param_probes_run("ptc.*", ptc_probes,
					  sizeof(ptc_probes) / sizeof(ptc_probes[0])), 0);
}

static int ptc_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * A round's operations are its jobs, whatever the units W: each job is
 * split over the W units, so its CPU time (the round's cpu_ns over its
 * ops) is the whole job's at W = 5 as at W = 1, about job_us for the C
 * carriers.  Were every unit to report the jobs, a round would count 5
 * times its jobs, and both `job` and a job's CPU time would read a fifth.
 * The bound is a third, on the least sample of each: what a job costs
 * cannot shrink because more units share it, and a stall only adds.
 */
Test(ptc, a_round_counts_its_jobs_whatever_the_units, .timeout = 300)
{
	enum { W_MAX = 5, PTC_SAMPLES_MAX = 64 };
	struct csv_table res, smp;
	int benches = 0;

	ptc_probe_run((char *const[]){ "ptc.cpu.*", NULL },
		      (const char *const[]){ "--threads", "1,5", "--param", "job_us=2000",
					     "--counters", "none", NULL }, &res, &smp);
	for (int i = 0; bench_registry[i]; i++) {
		const char *name = bench_registry[i]->name;
		double med[2], least[2], v[PTC_SAMPLES_MAX];

		if (strncmp(name, "ptc.cpu.", 8))
			continue;
		for (int k = 0; k < 2; k++) {
			size_t n = 0;

			for (size_t r = 0; r < smp.nrows; r++)
				if (!strcmp(ptc_cell(&smp, r, "bench"), name) &&
				    !strcmp(ptc_cell(&smp, r, "metric"), "job") &&
				    atoi(ptc_cell(&smp, r, "threads")) == (k ? W_MAX : 1)) {
					cr_assert_lt(n, (size_t)PTC_SAMPLES_MAX);
					v[n++] = ptc_num(&smp, r, "cpu_ns") /
						 ptc_num(&smp, r, "ops");
				}
			cr_assert_gt(n, 0, "%s W=%d: no sample", name, k ? W_MAX : 1);
			qsort(v, n, sizeof(v[0]), ptc_cmp_double);
			med[k] = v[n / 2];
			least[k] = v[0];
		}
		/* The least of each, and a third: a stalled machine (this
		 * VM's CPU time counts the host's stalls) only adds to a
		 * sample, and once made the W=1 median 3.6 ms for a 2 ms job,
		 * twice W=5's; gil_thread's least samples once stood at 0.44.
		 * A round counting every unit's jobs reads a fifth. */
		cr_assert_geq(least[1], least[0] / 3, "%s: a job's CPU time at least %g ns at "
			      "W=%d, %g ns at W=1: the round counted more operations than its "
			      "jobs", name, least[1], W_MAX, least[0]);
		if (!strstr(name, "gil"))
			for (int k = 0; k < 2; k++)
				cr_assert_geq(med[k], 2000e3 / 3, "%s W=%d: a 2 ms job in %g ns "
					      "of CPU", name, k ? W_MAX : 1, med[k]);
		benches++;
	}
	cr_assert_geq(benches, 5);
	csv_table_free(&res);
	csv_table_free(&smp);
}

/*
 * resident_per_unit of a live process: the PSS of the runner and its n
 * children, over n.  A child that has run has written its stack, so at
 * least that page is its own (copied on write after fork, or the exec'd
 * program's fresh stack): a page a unit is a floor far below the tens of
 * kilobytes a process holds (its page tables and copied data too), and
 * what a reading that left the children out (the runner's PSS alone,
 * which only shrinks as it shares its pages with them) cannot reach.
 */
Test(ptc, a_live_process_holds_at_least_a_page, .timeout = 300)
{
	struct csv_table res;
	int rows = 0;

	ptc_probe_run((char *const[]){ "spawn.fork.live", "spawn.posix_spawn.live", NULL },
		      (const char *const[]){ "--param", "n=1,20", "--counters", "none", NULL },
		      &res, NULL);
	for (size_t r = 0; r < res.nrows; r++) {
		if (strcmp(ptc_cell(&res, r, "metric"), "resident_per_unit"))
			continue;
		/* n=1: the one child is the whole figure, so a sum that
		 * missed a child (the first, the last) reads the runner's
		 * change alone. */
		cr_assert_geq(ptc_num(&res, r, "min"), 4096, "%s %s: %s bytes resident a live "
			      "process", ptc_cell(&res, r, "bench"), ptc_cell(&res, r, "params"),
			      ptc_cell(&res, r, "min"));
		rows++;
	}
	cr_assert_eq(rows, 4, "a resident_per_unit row for fork and for posix_spawn, n=1 and 20");
	csv_table_free(&res);
}
