/*
 * bench/gil_cpython.c - the same scenes on the machine's real CPython,
 * so that a user can see on their own machine whether the simulation
 * (bench/gil_*.c) behaves like the interpreter it imitates.
 *
 * The system python3 ($CONTEND_PYTHON, else /usr/bin/python3, else
 * python3 on the PATH) runs as a child process for the configuration,
 * fed one command per round on its standard input; the round is timed
 * by the harness, around the command and its answer, like every other
 * round.  sys.setswitchinterval follows interval_us, as python3 reads
 * it back.  No python3 here: the configurations are skipped, with the
 * reason.
 *
 * gil.cpython.cpu: `threads` Python threads each running countdown(n)
 * `iters` times, against (the baseline) the same countdowns one after
 * another in one thread: T_threads / T_seq, as gil.cpu measures for the
 * simulation.
 *
 * gil.cpython.convoy: a Python thread echoing on a socketpair, beside
 * `cpu` Python threads looping until told to stop; this process is the
 * client and times each round trip, as gil.convoy does.  As there, a
 * round's first trip (it costs one switch interval where the steady
 * state costs two) is made untimed and uncounted, a round holds at
 * least GIL_PY_MIN_TRIPS trips, and requests_per_sec is the client's
 * own count over its own clock from the first timed request to the
 * last answer: the round's span would add the `start` and `stop`
 * commands (starting and joining the CPU-bound threads: 5.5 ms at
 * cpu=1, 33 ms at cpu=2 here).
 *
 * check(): Python answered every command, with the work it was given,
 * and its own sys.getswitchinterval() is interval_us, to the microsecond.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/cpython.h"
#include "harness/bench.h"

/* What gil.cpython.convoy's client feeds besides its operations
 * (harness/bench.h, BENCH_FIGURES). */
#define GIL_PY_FIGURES(VALUE, HIST)						\
	/* The client's clock, first request to last answer, as gil.convoy's. */	\
	VALUE(GIL_PY_REQUESTS_PER_SEC, .name = "requests_per_sec", .unit = "ops/s",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_SUM, .higher_is_better = 1)	\
	HIST(GIL_PY_HIST_RTT, "rtt")
BENCH_FIGURES(GIL_PY, GIL_PY_FIGURES);
/* As gil.convoy's GIL_CONVOY_MIN_TRIPS. */
#define GIL_PY_MIN_TRIPS 20

/* The Python side: one command a line, one answer a line.  The echo
 * thread serves fd 3 for as long as the process lives; CPU-bound threads
 * start with `start` and end with `stop`.  `interval` answers with the
 * switch interval CPython keeps, read back in microseconds, for check()
 * to hold to interval_us: CPython keeps whole microseconds, truncating
 * 1e6 x the seconds given (493 / 1e6 would keep 492), so it is given
 * half a microsecond more. */
static const char gil_py_script[] =
	"import os, socket, sys, threading\n"
	"def countdown(n):\n"
	"    while n > 0:\n"
	"        n -= 1\n"
	"def work(iters, n):\n"
	"    for _ in range(iters):\n"
	"        countdown(n)\n"
	"stop = False\n"
	"def spin():\n"
	"    i = 0\n"
	"    while not stop:\n"
	"        i += 1\n"
	"def echo(sock):\n"
	"    while True:\n"
	"        data = sock.recv(4096)\n"
	"        if not data:\n"
	"            return\n"
	"        sock.sendall(data)\n"
	"if len(sys.argv) > 1:\n"
	"    s = socket.socket(fileno=3)\n"
	"    threading.Thread(target=echo, args=(s,), daemon=True).start()\n"
	"spinners = []\n"
	"for line in sys.stdin:\n"
	"    cmd, *a = line.split()\n"
	"    a = [int(x) for x in a]\n"
	"    if cmd == 'interval':\n"
	"        sys.setswitchinterval((a[0] + 0.5) / 1e6)\n"
	"        a = [round(sys.getswitchinterval() * 1e6)]\n"
	"    elif cmd == 'threads':\n"
	"        ts = [threading.Thread(target=work, args=(a[1], a[2])) for _ in range(a[0])]\n"
	"        for t in ts: t.start()\n"
	"        for t in ts: t.join()\n"
	"    elif cmd == 'seq':\n"
	"        for _ in range(a[0]): work(a[1], a[2])\n"
	"    elif cmd == 'start':\n"
	"        stop = False\n"
	"        spinners = [threading.Thread(target=spin, daemon=True) for _ in range(a[0])]\n"
	"        for t in spinners: t.start()\n"
	"    elif cmd == 'stop':\n"
	"        stop = True\n"
	"        for t in spinners: t.join()\n"
	"    print('ok', cmd, *a, flush=True)\n";

struct gil_py_shared {
	const char *python;
	int sv[2];		/* convoy: client's end, Python's end; else -1 */
	int cpu, threads;
	int64_t n;
	size_t msg;
	uint64_t sample;
	uint64_t answered;	/* commands Python answered as asked */
	/* sys.getswitchinterval() in us, as python3 answered `interval`;
	 * -1 before it did. */
	long long interval_seen_us;
	uint64_t trips, startups, errors;
};

/* Why cpython_find() found none: the skip reason. */
static char gil_py_why[512];

static int gil_py_setup_common(struct bench_state *st, int convoy)
{
	struct gil_py_shared *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->sv[0] = s->sv[1] = -1;
	s->interval_seen_us = -1;
	if (!(s->python = cpython_find("socket, threading", gil_py_why, sizeof(gil_py_why))))
		return bench_skip(st, gil_py_why);
	if (convoy) {
		s->cpu = (int)bench_param_int(st, "cpu");
		s->msg = (size_t)bench_param_int(st, "msg_bytes");
		s->sample = (uint64_t)bench_param_int(st, "sample");
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->sv) < 0)
			return -errno;
	} else {
		s->threads = (int)bench_param_int(st, "threads");
		s->n = bench_param_int(st, "n");
	}
	return 0;
}

static int gil_py_setup_cpu(struct bench_state *st)
{
	return gil_py_setup_common(st, 0);
}

static int gil_py_setup_convoy(struct bench_state *st)
{
	return gil_py_setup_common(st, 1);
}

static int gil_py_cmd(struct cpython *py, const char *cmd)
{
	char answer[256];

	return cpython_ask(py, cmd, answer, sizeof(answer));
}

static int gil_py_task_init(struct bench_task *t)
{
	struct gil_py_shared *s = t->st->priv;
	char *argv[] = { (char *)s->python, "-c", (char *)gil_py_script,
			 s->sv[1] >= 0 ? "echo" : NULL, NULL };
	char cmd[64], answer[256];
	int r;

	if ((r = cpython_task_start(t, argv, s->sv[1])) < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "interval %lld", bench_param_int(t->st, "interval_us"));
	if ((r = cpython_ask(t->local, cmd, answer, sizeof(answer))) < 0 ||
	    sscanf(answer, "ok interval %lld", &s->interval_seen_us) != 1) {
		cpython_task_fini(t);
		return r < 0 ? r : -EIO;
	}
	return 0;
}

/* NULL if python3 ran with the switch interval the row names (its own
 * reading, in whole microseconds), else why not. */
static const char *gil_py_check_interval(const struct bench_state *st)
{
	const struct gil_py_shared *s = st->priv;

	if (s->interval_seen_us != bench_param_int(st, "interval_us"))
		return "python3's sys.getswitchinterval() is not interval_us: it ran with another "
		       "switch interval than the row says";
	return NULL;
}

static uint64_t gil_py_cpu_run_how(struct bench_task *t, uint64_t iters, const char *how)
{
	struct gil_py_shared *s = t->st->priv;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "%s %d %llu %lld", how, s->threads, (unsigned long long)iters,
		 (long long)s->n);
	if (gil_py_cmd(t->local, cmd) < 0)
		s->errors++;
	else
		s->answered += iters;
	return iters * (uint64_t)s->threads * (uint64_t)s->n;
}

static uint64_t gil_py_cpu_run(struct bench_task *t, uint64_t iters)
{
	return gil_py_cpu_run_how(t, iters, "threads");
}

static uint64_t gil_py_cpu_seq(struct bench_task *t, uint64_t iters)
{
	return gil_py_cpu_run_how(t, iters, "seq");
}

static const char *gil_py_cpu_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	struct gil_py_shared *s = st->priv;

	if (s->errors)
		return "python3 did not answer a command (it died, or said something else)";
	if (gil_py_check_interval(st))
		return gil_py_check_interval(st);
	return s->answered == run_iters + base_iters ? NULL
						      : "python3 did not run every countdown";
}

/* Full-size transfers: a stream socket may split them. */
static int gil_py_xfer(int fd, char *buf, size_t n, int out)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = out ? send(fd, buf + done, n - done, MSG_NOSIGNAL)
				: recv(fd, buf + done, n - done, 0);

		if (r > 0)
			done += (size_t)r;
		else if (r == 0 || errno != EINTR)
			return -EIO;
	}
	return 0;
}

static uint64_t gil_py_convoy_run(struct bench_task *t, uint64_t iters)
{
	struct gil_py_shared *s = t->st->priv;
	int rec = bench_recording(t);
	char cmd[64], buf[4096];
	uint64_t i = 0, t_first, t_last;

	memset(buf, 'x', s->msg);
	snprintf(cmd, sizeof(cmd), "start %d", s->cpu);
	if (gil_py_cmd(t->local, cmd) < 0) {
		s->errors++;
		return 0;
	}
	/* The start-up trip, untimed and uncounted. */
	if (gil_py_xfer(s->sv[0], buf, s->msg, 1) < 0 ||
	    gil_py_xfer(s->sv[0], buf, s->msg, 0) < 0) {
		s->errors++;
		iters = 0;
	} else {
		s->startups++;
	}
	t_first = bench_now_ns();
	for (; i < iters; i++) {
		uint64_t t0 = rec && i % s->sample == 0 ? bench_now_ns() : 0;

		if (gil_py_xfer(s->sv[0], buf, s->msg, 1) < 0 ||
		    gil_py_xfer(s->sv[0], buf, s->msg, 0) < 0) {
			s->errors++;
			break;
		}
		if (t0)
			bench_record_ns(t, GIL_PY_HIST_RTT, bench_now_ns() - t0);
	}
	t_last = bench_now_ns();
	if (t_last > t_first)
		bench_report(t, GIL_PY_REQUESTS_PER_SEC,
			     bench_per_sec((double)i, t_last - t_first));
	if (gil_py_cmd(t->local, "stop") < 0)
		s->errors++;
	s->trips += i;
	return i;
}

static const char *gil_py_convoy_check(struct bench_state *st, uint64_t run_iters,
				       uint64_t base_iters)
{
	struct gil_py_shared *s = st->priv;

	(void)base_iters;
	if (s->errors)
		return "python3 did not answer a command or a request";
	if (gil_py_check_interval(st))
		return gil_py_check_interval(st);
	return s->trips == run_iters && s->startups > 0 ? NULL
		: "the client did not make every round trip";
}

static void gil_py_teardown(struct bench_state *st)
{
	struct gil_py_shared *s = st->priv;

	for (int i = 0; s && i < 2; i++)
		if (s->sv[i] >= 0)
			close(s->sv[i]);
}

#define GIL_PY_PARAM_INTERVAL							\
	{ .name = "interval_us", .def = "5000",					\
	  .help = "sys.setswitchinterval, in microseconds", .min = 1, .max = 10000000 }

static const struct bench_param gil_py_cpu_params[] = {
	GIL_PY_PARAM_INTERVAL,
	{ .name = "threads", .def = "2", .help = "Python threads, each running the countdowns",
	  .min = 1, .max = 64 },
	{ .name = "n", .def = "100000", .help = "countdown(n): loop iterations per call",
	  .min = 1, .max = 1000000000000LL },
	{ .name = NULL },
};

static const struct bench_metric gil_py_cpu_metrics[] = {
	{ .name = "time_vs_sequential", .unit = "ratio", .kind = BENCH_RATIO_TO_BASELINE,
	  .per_iter = 1 },
	{ .name = "loop_iterations_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC,
	  .per_iter = 1, .higher_is_better = 1 },
	{ .name = NULL },
};

const struct bench_desc bench_gil_cpython_cpu = {
	.name = "gil.cpython.cpu",
	.summary = "the real CPython: T threads each running countdown(n) against the same "
		   "work in one thread",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD,
	.tasks = 1,
	.params = gil_py_cpu_params,
	.metrics = gil_py_cpu_metrics,
	.baseline_how = BENCH_BASELINE_EACH,
	.baseline_note = "the same countdowns one after another in one Python thread",
	.setup = gil_py_setup_cpu,
	.task_init = gil_py_task_init,
	.run = gil_py_cpu_run,
	.baseline = gil_py_cpu_seq,
	.task_fini = cpython_task_fini,
	.check = gil_py_cpu_check,
	.teardown = gil_py_teardown,
};

static const struct bench_param gil_py_convoy_params[] = {
	GIL_PY_PARAM_INTERVAL,
	{ .name = "cpu", .def = "0,1,2", .quick = "0,1",
	  .help = "CPU-bound Python threads beside the echo", .min = 0, .max = 64 },
	{ .name = "msg_bytes", .def = "64", .help = "bytes per request and answer",
	  .min = 1, .max = 4096 },
	{ .name = "sample", .def = "1", .help = "latency rounds: time every k-th round trip",
	  .min = 1, .max = 1000000 },
	{ .name = NULL },
};

static const struct bench_metric gil_py_convoy_metrics[] = {
	BENCH_FIGURE_ROWS(GIL_PY_FIGURES)
	{ .name = NULL },
};

const struct bench_desc bench_gil_cpython_convoy = {
	.name = "gil.cpython.convoy",
	.summary = "the real CPython: an echo thread's round trip beside 0-2 CPU-bound threads",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD,
	.tasks = 1,
	.min_iters = GIL_PY_MIN_TRIPS,
	.params = gil_py_convoy_params,
	.metrics = gil_py_convoy_metrics,
	.setup = gil_py_setup_convoy,
	.task_init = gil_py_task_init,
	.run = gil_py_convoy_run,
	.task_fini = cpython_task_fini,
	.check = gil_py_convoy_check,
	.teardown = gil_py_teardown,
};
