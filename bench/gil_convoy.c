/*
 * bench/gil_convoy.c - an I/O-bound "Python" thread beside CPU-bound
 * ones: the convoy effect.
 *
 * Task 0 is the outside world, a plain C client (no interpreter, no
 * lock): it sends a request over a socketpair and waits for the answer,
 * `iters` times a round, timing each round trip (rtt_*).  Task 1 is an
 * interpreter running an echo responder whose recv and send are
 * blocking built-ins: each releases the global lock around its system
 * call and must take it back after.  Tasks 2 .. 1+cpu are interpreters
 * running a CPU-bound loop (while running(): i += 1) until the client is
 * done; the client begins once they have all begun.  Under `new` a
 * thread back from recv waits an interval before it may ask the
 * CPU-bound holder to drop, and again after send: a round trip of about
 * two intervals (10.4 ms at 5 ms, as CPython 3.11's 10.35-10.49 ms).
 * The first trip of a round finds the CPU-bound threads just started
 * and costs one interval, in CPython too: the client makes it before
 * its `iters` trips, untimed and uncounted, and every round holds at
 * least GIL_CONVOY_MIN_TRIPS trips, so that a round's median is the
 * steady state's, not a start's.  In process mode each task is a
 * process with its own lock, so the CPU work cannot hold the echo back.
 *
 * gil.convoy: cpu = 0, 1, 2, 4 CPU-bound threads (the task count is
 * fixed at 6: slots past 1+cpu stay idle, so that the rows compare);
 * gil.interval: 1 CPU-bound thread, the switch interval from 10 us to
 * 100 ms: I/O round trips against CPU-bound throughput.
 *
 * check(): the lock (thread mode) has the row's policy, the client
 * made every round trip (and one start-up trip a round), the echo got
 * msg_bytes with each request (counted where they
 * arrive) and answered each with the bytes it got, no system call
 * failed, and each round's timed window (requests_per_sec's) held
 * exactly its counted trips: the echo counts the requests it receives,
 * and where the window opens it has had every request up to the
 * start-up trip's, where it closes the window's trips more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/gil.h"

/*
 * What the tasks feed besides their operations (harness/bench.h,
 * BENCH_FIGURES), numbered after the lock's wait and hold, whose rows
 * follow these in the table.
 */
#define GIL_CONVOY_FIGURES(VALUE, HIST)						\
	/* The client's own clock from its first request to its last	\
	 * answer: a round's span would add the interpreters' way in (a	\
	 * whole interval, once a round, for the echo's first take). */	\
	VALUE(GIL_CONVOY_REQUESTS_PER_SEC, .name = "requests_per_sec", .unit = "ops/s",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_SUM, .higher_is_better = 1)	\
	HIST(GIL_CONVOY_HIST_RTT, "rtt")					\
	VALUE(GIL_CONVOY_CPU_BYTECODES_PER_SEC, .name = "cpu_bytecodes_per_sec",	\
	      .unit = "ops/s", .per_iter = 1, .combine = BENCH_COMBINE_SUM,	\
	      .higher_is_better = 1)						\
	VALUE(GIL_CONVOY_HANDOVERS_PER_SEC, .name = "handovers_per_sec", .unit = "1/s",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MAX)			\
	/* With no CPU-bound thread (cpu=0) nobody reports these: no row. */	\
	VALUE(GIL_CONVOY_CPU_SHARE_MIN, .name = "cpu_share_min", .unit = "ratio",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_SHARE_MIN,		\
	      .higher_is_better = 1)						\
	VALUE(GIL_CONVOY_CPU_SHARE_MAX, .name = "cpu_share_max", .unit = "ratio",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_SHARE_MAX)
BENCH_FIGURES_AFTER(GIL_CONVOY, GIL_CONVOY_FIGURES, GIL_BENCH);

#define GIL_CONVOY_MAX_CPU 4
/* Trips a round holds at least (bench_desc.min_iters): enough for a
 * median of the steady state.  At 5 ms a round of them lasts 0.2 s. */
#define GIL_CONVOY_MIN_TRIPS 20
/* gil.interval's: at 100 ms a trip lasts 0.2 s, and the ~26 rounds of
 * a configuration must fit the harness's 60-s budget. */
#define GIL_INTERVAL_MIN_TRIPS 5

/* running(addr, round): 1 while the client's done word is below round.
 * A plain built-in (the lock held), as a Python function call is. */
static int64_t gil_convoy_running(struct gil_vm *vm, const int64_t *args)
{
	(void)vm;
	/* Relaxed: the word only ends the loop; nothing is read after it. */
	return __atomic_load_n((const uint32_t *)(uintptr_t)args[0], __ATOMIC_RELAXED) <
	       (uint32_t)args[1];
}

/* arrived(addr): count this interpreter in, from inside its program (so
 * holding the lock once already), for the client to wait for; the echo
 * also counts each request it has received with it (received). */
static int64_t gil_convoy_arrived(struct gil_vm *vm, const int64_t *args)
{
	(void)vm;
	/* Release, for the client's acquire loads of started, ready and
	 * received: it publishes the count alone (the client reads nothing
	 * else this interpreter wrote) and puts all this interpreter did to
	 * get here, its first take of the lock included, before the
	 * client's first request, as "arrived" claims. */
	__atomic_fetch_add((uint32_t *)(uintptr_t)args[0], 1, __ATOMIC_RELEASE);
	return 0;
}

/* The echo's tally of the bytes it received (its gil_convoy_shared's
 * heard), set on the echo's thread around its run: its recv has no
 * argument to carry it. */
static __thread uint64_t *gil_convoy_heard;

/* recv(fd): the interpreter's own, and the bytes it got added to the
 * echo's tally (only the echo's thread writes it). */
static int64_t gil_convoy_recv(struct gil_vm *vm, const int64_t *args)
{
	int64_t r = gil_builtin_recv.fn(vm, args);

	if (r > 0 && gil_convoy_heard)
		*gil_convoy_heard += (uint64_t)r;
	return r;
}

static const struct gil_builtin gil_convoy_spin_builtins[] = {
	{ .name = "running", .fn = gil_convoy_running, .nargs = 2, .blocking = false },
	{ .name = "arrived", .fn = gil_convoy_arrived, .nargs = 1, .blocking = false },
};

/* Locals: done, round, started, i.  arrived(started);
 * while running(done, round): i += 1; return i (9 bytecodes an
 * iteration). */
static const struct gil_insn gil_convoy_spin_insns[] = {
	/* 0 */ GIL_BENCH_I(LOAD, 2), GIL_BENCH_CALL(1, 1), GIL_BENCH_I(POP, 0),
	/* 3 */ GIL_BENCH_I(LOAD, 0), GIL_BENCH_I(LOAD, 1), GIL_BENCH_CALL(0, 2),
	/* 6 */ GIL_BENCH_I(JUMP_IF_FALSE, 12),
	/* 7 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_I(CONST, 1), GIL_BENCH_I(ADD, 0),
	/* 10 */ GIL_BENCH_I(STORE, 3), GIL_BENCH_I(JUMP, 3),
	/* 12 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_I(RETURN, 0),
};

/* Locals: fd, n, ready, received, k, m.  Built-ins: recv, send,
 * arrived.  arrived(ready); while k < n: m = recv(fd);
 * arrived(received); send(fd, m); k += 1; return k.  n is the round's
 * trips plus its start-up trip. */
static const struct gil_insn gil_convoy_echo_insns[] = {
	/* 0 */ GIL_BENCH_I(LOAD, 2), GIL_BENCH_CALL(2, 1), GIL_BENCH_I(POP, 0),
	/* 3 */ GIL_BENCH_I(LOAD, 4), GIL_BENCH_I(LOAD, 1), GIL_BENCH_I(CMP, GIL_CMP_LT),
	/* 6 */ GIL_BENCH_I(JUMP_IF_FALSE, 22),
	/* 7 */ GIL_BENCH_I(LOAD, 0), GIL_BENCH_CALL(0, 1), GIL_BENCH_I(STORE, 5),
	/* 10 */ GIL_BENCH_I(LOAD, 3), GIL_BENCH_CALL(2, 1), GIL_BENCH_I(POP, 0),
	/* 13 */ GIL_BENCH_I(LOAD, 0), GIL_BENCH_I(LOAD, 5), GIL_BENCH_CALL(1, 2),
	/* 16 */ GIL_BENCH_I(POP, 0),
	/* 17 */ GIL_BENCH_I(LOAD, 4), GIL_BENCH_I(CONST, 1), GIL_BENCH_I(ADD, 0),
	/* 20 */ GIL_BENCH_I(STORE, 4), GIL_BENCH_I(JUMP, 3),
	/* 22 */ GIL_BENCH_I(LOAD, 4), GIL_BENCH_I(RETURN, 0),
};

static const int64_t gil_convoy_consts[] = { 0, 1 };

static int gil_convoy_setup_cpu(struct bench_state *st, int cpu)
{
	struct gil_convoy_shared *s = bench_shared_alloc(st, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->sv[0] = s->sv[1] = -1;
	s->cpu = cpu;
	s->msg = (size_t)bench_param_int(st, "msg_bytes");
	s->sample = (uint64_t)bench_param_int(st, "sample");
	if (st->ntasks < 2 + cpu)
		return bench_skip(st, "needs a client, an echo and the CPU-bound threads");
	/* Message boundaries kept: one recv is one request. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->sv) < 0)
		return -errno;
	s->io[0] = gil_builtin_recv;
	s->io[0].fn = gil_convoy_recv;
	s->io[1] = gil_builtin_send;
	s->io[2] = gil_convoy_spin_builtins[1];	/* arrived */
	s->echo = (struct gil_code){
		.name = "echo_n", .insns = gil_convoy_echo_insns,
		.ninsns = sizeof(gil_convoy_echo_insns) / sizeof(gil_convoy_echo_insns[0]),
		.consts = gil_convoy_consts, .nconsts = 2, .builtins = s->io, .nbuiltins = 3,
		.nargs = 4, .nlocals = 6,
	};
	s->spin = (struct gil_code){
		.name = "spin_while_running", .insns = gil_convoy_spin_insns,
		.ninsns = sizeof(gil_convoy_spin_insns) / sizeof(gil_convoy_spin_insns[0]),
		.consts = gil_convoy_consts, .nconsts = 2, .builtins = gil_convoy_spin_builtins,
		.nbuiltins = 2, .nargs = 3, .nlocals = 4,
	};
	if (gil_code_verify(&s->echo) < 0 || gil_code_verify(&s->spin) < 0)
		abort();	/* the programs above are wrong: a bug */
	if ((r = gil_bench_shared_lock(st, &s->gil)) < 0)
		return r;
	return 0;
}

static int gil_convoy_setup(struct bench_state *st)
{
	return gil_convoy_setup_cpu(st, (int)bench_param_int(st, "cpu"));
}

static int gil_interval_setup(struct bench_state *st)
{
	return gil_convoy_setup_cpu(st, 1);
}

static int gil_convoy_task_init(struct bench_task *t)
{
	struct gil_convoy_shared *s = t->st->priv;

	if (t->id == 0 || t->id > 1 + s->cpu)
		return 0;	/* the client and idle slots run no interpreter */
	return gil_bench_task_init(t, s->gil);
}

/* Full-size transfers or a failure: SOCK_SEQPACKET moves whole
 * messages, and EINTR is retried. */
static int gil_convoy_xfer(int fd, void *buf, size_t n, int out)
{
	for (;;) {
		ssize_t r = out ? send(fd, buf, n, MSG_NOSIGNAL) : recv(fd, buf, n, 0);

		if (r >= 0)
			return (size_t)r == n ? 0 : -EIO;
		if (errno != EINTR)
			return -errno;
	}
}

/* An edge of the client's timed window: the requests the echo has
 * received so far, then the time.  Acquire: pairs with the echo's
 * release in arrived(), so that a request whose answer the client has
 * is in the count. */
static uint32_t gil_convoy_edge(struct gil_convoy_shared *s, uint64_t *ns)
{
	uint32_t heard = __atomic_load_n(&s->received, __ATOMIC_ACQUIRE);

	*ns = bench_now_ns();
	return heard;
}

static uint64_t gil_convoy_client(struct bench_task *t, struct gil_convoy_shared *s,
				  uint64_t iters)
{
	unsigned char buf[GIL_IO_BUF_BYTES];
	int rec = bench_recording(t);
	uint64_t errors = 0, i, t_first, t_last;
	uint32_t round, heard_first, heard_last;

	memset(buf, 'x', s->msg);
	/* Relaxed: only this task writes done.  Acquire: pairs with the
	 * release in arrived(), see there. */
	round = __atomic_load_n(&s->done, __ATOMIC_RELAXED) + 1;
	while (__atomic_load_n(&s->started, __ATOMIC_ACQUIRE) < (uint32_t)s->cpu * round ||
	       __atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) < round)
		sched_yield();
	/* The start-up trip: it waits out the CPU-bound threads' first hold
	 * (one interval, where the steady state pays two), so it is neither
	 * timed nor counted. */
	if (gil_convoy_xfer(s->sv[0], buf, s->msg, 1) < 0 ||
	    gil_convoy_xfer(s->sv[0], buf, s->msg, 0) < 0)
		errors++;
	else
		s->startups++;
	heard_first = gil_convoy_edge(s, &t_first);
	for (i = 0; !errors && i < iters; i++) {
		uint64_t t0 = rec && i % s->sample == 0 ? bench_now_ns() : 0;

		if (gil_convoy_xfer(s->sv[0], buf, s->msg, 1) < 0 ||
		    gil_convoy_xfer(s->sv[0], buf, s->msg, 0) < 0) {
			errors++;
			break;
		}
		if (t0)
			bench_record_ns(t, GIL_CONVOY_HIST_RTT, bench_now_ns() - t0);
	}
	heard_last = gil_convoy_edge(s, &t_last);
	/* The window opens once the echo has had every request before it,
	 * this round's start-up trip the last (it pays the interpreters'
	 * arrival and the echo's first take of the lock), and holds the i
	 * trips it counts: no more, no fewer.  Counts, not times. */
	if (!errors && (heard_first != (uint32_t)(s->trips + s->startups) ||
			heard_last - heard_first != (uint32_t)i))
		s->windows_off++;
	s->trips += i;
	if (errors)
		__atomic_fetch_add(&s->errors, errors, __ATOMIC_RELAXED);
	if (t_last > t_first)
		bench_report(t, GIL_CONVOY_REQUESTS_PER_SEC,
			     bench_per_sec((double)i, t_last - t_first));
	/* Release, but no load acquires it, so it publishes nothing: the
	 * CPU-bound loops read done relaxed in running() and read nothing
	 * after it, and the counts above reach check() through the
	 * harness's end of the round, which orders them. */
	__atomic_store_n(&s->done, round, __ATOMIC_RELEASE);
	return i;
}

static uint64_t gil_convoy_run(struct bench_task *t, uint64_t iters)
{
	struct gil_convoy_shared *s = t->st->priv;
	struct gil_bench_task *g = t->local;
	struct gil_vm_stats v0, v1;
	struct gil_stats g0, g1;
	int64_t args[4], result = 0;
	uint64_t t0, t1;

	if (t->id == 0)
		return gil_convoy_client(t, s, iters);
	if (!g)
		return 0;	/* an idle slot */
	gil_bench_begin(t);
	g->rounds++;
	gil_vm_stats_get(g->vm, &v0);
	gil_stats_get(gil_bench_lock(t), &g0);
	t0 = bench_now_ns();
	if (t->id == 1) {
		args[0] = s->sv[1];
		args[1] = (int64_t)iters + 1;	/* and the start-up trip */
		args[2] = (int64_t)(uintptr_t)&s->ready;
		args[3] = (int64_t)(uintptr_t)&s->received;
		gil_convoy_heard = &s->heard;
		if (gil_vm_run(g->vm, &s->echo, args, &result) != 0 || result != args[1])
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
		else
			s->echoed += (uint64_t)result;
		gil_convoy_heard = NULL;
	} else {
		args[0] = (int64_t)(uintptr_t)&s->done;
		args[1] = (int64_t)g->rounds;
		args[2] = (int64_t)(uintptr_t)&s->started;
		if (gil_vm_run(g->vm, &s->spin, args, &result) != 0)
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	t1 = bench_now_ns();
	gil_stats_get(gil_bench_lock(t), &g1);
	gil_vm_stats_get(g->vm, &v1);
	gil_bench_end();
	if (t1 > t0) {
		/* The echo says 0: with no CPU-bound thread the figure is 0,
		 * not missing. */
		double insns = (double)(v1.instructions - v0.instructions);

		bench_report(t, GIL_CONVOY_CPU_BYTECODES_PER_SEC,
			     t->id == 1 ? 0.0 : bench_per_sec(insns, t1 - t0));
		if (t->id == 1) {
			bench_report(t, GIL_CONVOY_HANDOVERS_PER_SEC,
				     bench_per_sec((double)(g1.switches - g0.switches), t1 - t0));
		} else {
			/* The CPU-bound threads' shares of the round's bytecodes:
			 * the least and the most served against a fair share. */
			bench_report(t, GIL_CONVOY_CPU_SHARE_MIN, insns);
			bench_report(t, GIL_CONVOY_CPU_SHARE_MAX, insns);
		}
	}
	return 0;
}

static const char *gil_convoy_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	struct gil_convoy_shared *s = st->priv;
	enum gil_policy policy;

	(void)base_iters;
	if (s->errors)
		return "a send, a recv or an interpreter run failed";
	/* Thread mode: the lock they all ran under has the row's policy.
	 * io_priority differs from new only in when a thread back from I/O
	 * asks for the lock, which no count of a round shows. */
	if (s->gil && (gil_policy_parse(bench_param_str(st, "gil"), &policy) < 0 ||
		       gil_policy_of(s->gil) != policy))
		return "the interpreters ran under another lock policy than the row's gil";
	if (s->trips != run_iters)
		return "the client did not make every round trip";
	if (s->echoed != run_iters + s->startups)
		return "the echo did not answer every request";
	/* The parameter, not s->msg: what the row says each request held. */
	if (s->heard != s->echoed * (uint64_t)bench_param_int(st, "msg_bytes"))
		return "the echo was not sent msg_bytes with every request";
	if (s->windows_off)
		return "the client's timed window did not hold exactly its counted trips (the "
		       "start-up trip in it, say): requests_per_sec is not their rate";
	return NULL;
}

static void gil_convoy_teardown(struct bench_state *st)
{
	struct gil_convoy_shared *s = st->priv;

	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		if (s->sv[i] >= 0)
			close(s->sv[i]);
	if (s->gil)
		gil_destroy(s->gil);
}

static const struct bench_metric gil_convoy_metrics[] = {
	BENCH_FIGURE_ROWS(GIL_CONVOY_FIGURES)
	BENCH_FIGURE_ROWS(GIL_BENCH_FIGURES)
	{ .name = NULL },
};

#define GIL_CONVOY_PARAMS_IO							\
	{ .name = "msg_bytes", .def = "64", .help = "bytes per request and answer", \
	  .min = 1, .max = GIL_IO_BUF_BYTES },					\
	{ .name = "sample", .def = "1", .help = "latency rounds: time every k-th round trip", \
	  .min = 1, .max = 1000000 }

static const struct bench_param gil_convoy_params[] = {
	GIL_BENCH_PARAM_POLICY("new,old,none,io_priority", "new,io_priority"),
	GIL_BENCH_PARAM_INTERVAL("5000", NULL),
	GIL_BENCH_PARAM_TICKS,
	{ .name = "cpu", .def = "0,1,2,4", .quick = "0,1",
	  .help = "CPU-bound threads beside the echo", .min = 0, .max = GIL_CONVOY_MAX_CPU },
	GIL_CONVOY_PARAMS_IO,
	{ .name = NULL },
};

const struct bench_desc bench_gil_convoy = {
	.name = "gil.convoy",
	.summary = "an echo thread's round trip beside 0-4 CPU-bound threads under one global "
		   "lock (threads) or beside CPU-bound processes",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.quick_modes = BENCH_MODE_THREAD,
	.tasks = 2 + GIL_CONVOY_MAX_CPU,
	.min_iters = GIL_CONVOY_MIN_TRIPS,
	.params = gil_convoy_params,
	.metrics = gil_convoy_metrics,
	.setup = gil_convoy_setup,
	.task_init = gil_convoy_task_init,
	.run = gil_convoy_run,
	.task_fini = gil_bench_task_fini,
	.check = gil_convoy_check,
	.teardown = gil_convoy_teardown,
};

static const struct bench_param gil_interval_params[] = {
	/* Only the locks with a switch interval: under old or none the
	 * interval swept would change nothing measured. */
	{ .name = "gil", .def = "new,io_priority", .quick = "new", .choices = "new|io_priority",
	  .help = "new or io_priority, the locks that have a switch interval to sweep; old "
		  "switches every check_ticks and none has no lock: see gil.convoy" },
	GIL_BENCH_PARAM_INTERVAL("10,100,1000,5000,10000,100000", "100,5000"),
	GIL_CONVOY_PARAMS_IO,
	{ .name = NULL },
};

const struct bench_desc bench_gil_interval = {
	.name = "gil.interval",
	.summary = "the switch interval's trade-off: an echo's round trips against one "
		   "CPU-bound thread's throughput, 10 us to 100 ms",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD,
	.tasks = 3,
	.min_iters = GIL_INTERVAL_MIN_TRIPS,
	.params = gil_interval_params,
	.metrics = gil_convoy_metrics,
	.setup = gil_interval_setup,
	.task_init = gil_convoy_task_init,
	.run = gil_convoy_run,
	.task_fini = gil_bench_task_fini,
	.check = gil_convoy_check,
	.teardown = gil_convoy_teardown,
};
