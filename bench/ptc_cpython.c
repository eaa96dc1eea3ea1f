/*
 * bench/ptc_cpython.c - the lesson in its own language: reference rows
 * from the machine's real Python beside the spawn.* and ptc.* rows of
 * our runtime (bench/spawn*.c, bench/ptc_*.c).
 *
 * As gil.cpython.* (bench/gil_cpython.c): the system python3
 * ($CONTEND_PYTHON, else /usr/bin/python3, else python3 on the PATH)
 * runs as a child of the configuration's task, started in task_init
 * (its start-up, imports, threads, processes and connections outside
 * the figure), then fed one command a round on its standard input; the
 * harness times the round around the command and its answer.  Each
 * answer says how many of the round's operations Python saw come out
 * right, and check() holds the sum to the iterations.  A python3 that
 * lacks a module a row needs (greenlet, gevent): that row is skipped,
 * with the reason.
 *
 * spawn.cpython.greenlet    greenlet(f), switch in, f returns, the
 *                           greenlet is dead: create_finish
 * spawn.cpython.gevent      gevent.spawn(f) + join: create_finish
 * spawn.cpython.switch      a greenlet and its parent switching to each
 *                           other: ns per one-way switch
 * spawn.cpython.sleep0      two gevent greenlets each looping on
 *                           gevent.sleep(0): ns per sleep(0)
 * spawn.hub.sleep0          the same two on our hub (hub_sleep(0)), for
 *                           the ratio from one run's CSV
 *
 * ptc.cpython.cpu.{thread,process}: one job (countdown(n) loop
 * iterations) split over W units, W the configuration's task count as in
 * ptc.cpu.* (task 0 drives Python, the others stand by): a
 * ThreadPoolExecutor(W) or a multiprocessing Pool(W) (fork) map over the
 * shares, against the baseline, the whole job in Python's main thread.
 * Speedup and efficiency come from each repetition's pair, as there.
 *
 * ptc.cpython.io.{thread,process,asyncio,gevent}: C units, each holding
 * one loopback TCP connection to the ptc.io.* server (bench/ptc_server.c,
 * started by setup, stopped by teardown) and making request -> answer
 * (PTC_MSG bytes, its own sequence number) in a loop: Python threads
 * (blocking sockets), processes (multiprocessing, fork, a Pipe each),
 * asyncio tasks on one loop, or gevent greenlets (gevent.socket).  A
 * round gives every unit the same quota (iterations / C, rounded up):
 * requests_per_sec beside ideal_per_sec = C / latency.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/cpython.h"
#include "bench/ptc.h"
#include "harness/bench.h"
#include "primitives/hub.h"

/* Descriptors and units left to the rest of the machine (as ptc.io.*). */
#define PY_REF_FD_MARGIN 64
#define PY_REF_ROOM_MARGIN 2000

#define PY_REF_FIGURES(VALUE, HIST)						\
	VALUE(PY_REF_IDEAL, .name = "ideal_per_sec", .unit = "ops/s",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_SUM, .higher_is_better = 1)
BENCH_FIGURES(PY_REF, PY_REF_FIGURES);

/*
 * The Python side.  argv: kind, then its numbers.  It sets itself up,
 * then answers one command a line, "<cmd> <n>", with "ok <cmd> <good>":
 * `hello` (set up), `run n` (n iterations of its kind), `base n` (the
 * cpu kinds' baseline).  Threads and processes it starts are daemons, so
 * that at end of file on stdin (contend done, or killed) it exits.
 */
static const char py_ref_script[] =
	"import sys, struct\n"
	"kind = sys.argv[1]\n"
	"args = [int(x) for x in sys.argv[2:]]\n"
	"def countdown(n):\n"
	"    k = 0\n"
	"    while k < n:\n"
	"        k += 1\n"
	"    return k\n"
	"def body(x):\n"
	"    return x\n"
	"if kind in ('greenlet', 'switch'):\n"
	"    from greenlet import greenlet, getcurrent\n"
	"if kind in ('gevent', 'sleep0', 'io_gevent'):\n"
	"    import gevent, gevent.socket\n"
	"def run_greenlet(n):\n"
	"    good = 0\n"
	"    for i in range(n):\n"
	"        g = greenlet(body)\n"
	"        good += g.switch(i) == i and g.dead\n"
	"    return good\n"
	"def run_switch(n):\n"
	"    main = getcurrent()\n"
	"    def loop(x):\n"
	"        while True:\n"
	"            x = main.switch(x + 1)\n"
	"    g = greenlet(loop)\n"
	"    x = 0\n"
	"    for _ in range(n):\n"
	"        x = g.switch(x)\n"
	"    return x\n"
	"def run_gevent(n):\n"
	"    good = 0\n"
	"    for i in range(n):\n"
	"        g = gevent.spawn(body, i)\n"
	"        g.join()\n"
	"        good += g.value == i\n"
	"    return good\n"
	"def sleeper(k, seen):\n"
	"    for _ in range(k):\n"
	"        gevent.sleep(0)\n"
	"        seen[0] += 1\n"
	"def run_sleep0(n):\n"
	"    seen = [0]\n"
	"    gs = [gevent.spawn(sleeper, n - n // 2, seen), gevent.spawn(sleeper, n // 2, seen)]\n"
	"    gevent.joinall(gs)\n"
	"    return seen[0]\n"
	"def shares(job, w):\n"
	"    return [job // w + (i < job % w) for i in range(w)]\n"
	"if kind == 'cpu_thread':\n"
	"    from concurrent.futures import ThreadPoolExecutor\n"
	"    w, job = args\n"
	"    pool = ThreadPoolExecutor(max_workers=w)\n"
	"    list(pool.map(countdown, [0] * w))\n"
	"elif kind == 'cpu_process':\n"
	"    import multiprocessing as mp\n"
	"    w, job = args\n"
	"    pool = mp.get_context('fork').Pool(w)\n"
	"    pool.map(countdown, [0] * w, chunksize=1)\n"
	"def run_cpu(n):\n"
	"    good = 0\n"
	"    for _ in range(n):\n"
	"        if kind == 'cpu_thread':\n"
	"            good += sum(pool.map(countdown, shares(job, w))) == job\n"
	"        else:\n"
	"            good += sum(pool.map(countdown, shares(job, w), chunksize=1)) == job\n"
	"    return good\n"
	"def base_cpu(n):\n"
	"    return sum(countdown(job) == job for _ in range(n))\n"
	"def trips(s, unit, q, recv):\n"
	"    good = 0\n"
	"    for i in range(q):\n"
	"        msg = struct.pack('<Q', (unit << 40) + i)\n"
	"        s.sendall(msg)\n"
	"        got = b''\n"
	"        while len(got) < len(msg):\n"
	"            b = recv(len(msg) - len(got))\n"
	"            if not b:\n"
	"                return good\n"
	"            got += b\n"
	"        good += got == msg\n"
	"    return good\n"
	"def connect(port):\n"
	"    import socket\n"
	"    s = socket.create_connection(('127.0.0.1', port))\n"
	"    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n"
	"    return s\n"
	"if kind.startswith('io_'):\n"
	"    port, c = args\n"
	"if kind == 'io_thread':\n"
	"    import threading, queue\n"
	"    done = queue.SimpleQueue()\n"
	"    def unit(i, s, inbox):\n"
	"        while True:\n"
	"            done.put(trips(s, i, inbox.get(), s.recv))\n"
	"    inboxes = []\n"
	"    for i in range(c):\n"
	"        inboxes.append(queue.SimpleQueue())\n"
	"        threading.Thread(target=unit, args=(i, connect(port), inboxes[i]), daemon=True).start()\n"
	"elif kind == 'io_process':\n"
	"    import multiprocessing as mp\n"
	"    ctx = mp.get_context('fork')\n"
	"    def unit(i, conn, mine):\n"
	"        for a in conns + [mine]:\n"
	"            a.close()\n"
	"        s = connect(port)\n"
	"        conn.send(0)\n"
	"        while True:\n"
	"            try:\n"
	"                q = conn.recv()\n"
	"            except EOFError:\n"
	"                return\n"
	"            conn.send(trips(s, i, q, s.recv))\n"
	"    conns = []\n"
	"    for i in range(c):\n"
	"        a, b = ctx.Pipe()\n"
	"        ctx.Process(target=unit, args=(i, b, a), daemon=True).start()\n"
	"        b.close()\n"
	"        conns.append(a)\n"
	"    for a in conns:\n"
	"        a.recv()\n"
	"elif kind == 'io_asyncio':\n"
	"    import asyncio, socket\n"
	"    loop = asyncio.new_event_loop()\n"
	"    async def open_all():\n"
	"        out = []\n"
	"        for i in range(c):\n"
	"            r, w = await asyncio.open_connection('127.0.0.1', port)\n"
	"            w.get_extra_info('socket').setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n"
	"            out.append((r, w))\n"
	"        return out\n"
	"    streams = loop.run_until_complete(open_all())\n"
	"    async def aunit(i, q):\n"
	"        r, w = streams[i]\n"
	"        good = 0\n"
	"        for k in range(q):\n"
	"            msg = struct.pack('<Q', (i << 40) + k)\n"
	"            w.write(msg)\n"
	"            try:\n"
	"                got = await r.readexactly(len(msg))\n"
	"            except asyncio.IncompleteReadError:\n"
	"                return good\n"
	"            good += got == msg\n"
	"        return good\n"
	"    async def around(q):\n"
	"        return sum(await asyncio.gather(*[aunit(i, q) for i in range(c)]))\n"
	"elif kind == 'io_gevent':\n"
	"    def gconnect(port):\n"
	"        s = gevent.socket.create_connection(('127.0.0.1', port))\n"
	"        s.setsockopt(gevent.socket.IPPROTO_TCP, gevent.socket.TCP_NODELAY, 1)\n"
	"        return s\n"
	"    socks = [gconnect(port) for _ in range(c)]\n"
	"def run_io(q):\n"
	"    if kind == 'io_thread':\n"
	"        for box in inboxes:\n"
	"            box.put(q)\n"
	"        return sum(done.get() for _ in range(c))\n"
	"    if kind == 'io_process':\n"
	"        for a in conns:\n"
	"            a.send(q)\n"
	"        return sum(a.recv() for a in conns)\n"
	"    if kind == 'io_asyncio':\n"
	"        return loop.run_until_complete(around(q))\n"
	"    gs = [gevent.spawn(trips, s, i, q, s.recv) for i, s in enumerate(socks)]\n"
	"    gevent.joinall(gs)\n"
	"    return sum(g.value or 0 for g in gs)\n"
	"runs = {'greenlet': run_greenlet, 'switch': run_switch, 'gevent': run_gevent,\n"
	"        'sleep0': run_sleep0}\n"
	"run = runs.get(kind, run_cpu if kind.startswith('cpu_') else run_io)\n"
	"for line in sys.stdin:\n"
	"    cmd, n = line.split()\n"
	"    n = int(n)\n"
	"    good = 0\n"
	"    if cmd == 'run':\n"
	"        good = run(n)\n"
	"    elif cmd == 'base':\n"
	"        good = base_cpu(n)\n"
	"    print('ok', cmd, good, flush=True)\n"
	"if kind == 'io_asyncio':\n"
	"    for r, w in streams:\n"
	"        w.close()\n"
	"    loop.close()\n"
	"elif kind == 'io_process':\n"
	"    for a in conns:\n"
	"        a.close()\n"
	"    for p in mp.active_children():\n"
	"        p.join()\n"
	"elif kind.startswith('cpu_'):\n"
	"    pool.terminate() if kind == 'cpu_process' else pool.shutdown()\n";

enum py_ref_kind {
	PY_GREENLET, PY_SWITCH, PY_GEVENT, PY_SLEEP0,
	PY_CPU_THREAD, PY_CPU_PROCESS,
	PY_IO_THREAD, PY_IO_PROCESS, PY_IO_ASYNCIO, PY_IO_GEVENT,
};

/* Each kind's name for the script, and what it must import. */
static const struct {
	const char *arg, *imports;
} py_ref_kinds[] = {
	[PY_GREENLET] = { "greenlet", "greenlet" },
	[PY_SWITCH] = { "switch", "greenlet" },
	[PY_GEVENT] = { "gevent", "gevent" },
	[PY_SLEEP0] = { "sleep0", "gevent" },
	[PY_CPU_THREAD] = { "cpu_thread", "concurrent.futures" },
	[PY_CPU_PROCESS] = { "cpu_process", "multiprocessing" },
	[PY_IO_THREAD] = { "io_thread", "threading, queue, socket" },
	[PY_IO_PROCESS] = { "io_process", "multiprocessing, socket" },
	[PY_IO_ASYNCIO] = { "io_asyncio", "asyncio" },
	[PY_IO_GEVENT] = { "io_gevent", "gevent" },
};

struct py_ref_shared {
	enum py_ref_kind kind;
	const char *python;
	long long w, job;	/* cpu: units, loops of one job */
	long c;			/* io: units */
	uint32_t latency_us;
	struct ptc_server srv;	/* io: the loopback server */
	uint64_t good;		/* operations Python saw come out right, run() */
	uint64_t base_good;	/* the same, baseline() */
	uint64_t issued;	/* io: requests the quotas asked for */
	uint64_t rounds, run_iters, errors;
};

static char py_ref_why[512];

static int py_ref_setup(struct bench_state *st, enum py_ref_kind kind)
{
	struct py_ref_shared *s = bench_shared_alloc(st, sizeof(*s));
	struct rlimit rl;
	const char *limit;
	long room;

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->kind = kind;
	if (kind == PY_CPU_THREAD || kind == PY_CPU_PROCESS) {
		s->w = st->ntasks;
		s->job = bench_param_int(st, "n");
		if (s->job < s->w)
			return bench_skip(st, "n is smaller than the units: some would have no work");
	}
	if (!(s->python = cpython_find(py_ref_kinds[kind].imports, py_ref_why, sizeof(py_ref_why))))
		return bench_skip(st, py_ref_why);
	if (kind < PY_IO_THREAD)
		return 0;
	s->c = (long)bench_param_int(st, "c");
	s->latency_us = (uint32_t)bench_param_int(st, "latency_us");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Python's side holds a connection per unit, and processes a pipe
	 * end each besides. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long long)rl.rlim_cur < s->c * (kind == PY_IO_PROCESS ? 2 : 1) + PY_REF_FD_MARGIN) {
		snprintf(py_ref_why, sizeof(py_ref_why), "c=%ld connections do not fit: "
			 "RLIMIT_NOFILE's hard limit is %lld descriptors", s->c,
			 (long long)rl.rlim_cur);
		return bench_skip(st, py_ref_why);
	}
	room = kind == PY_IO_THREAD ? bench_room_threads(&limit)
	       : kind == PY_IO_PROCESS ? bench_room_processes(&limit) : LONG_MAX;
	if (s->c > room - PY_REF_ROOM_MARGIN) {
		snprintf(py_ref_why, sizeof(py_ref_why), "c=%ld units do not fit: %s leaves room "
			 "for %ld more, less %d kept for the rest of the machine", s->c, limit,
			 room, PY_REF_ROOM_MARGIN);
		return bench_skip(st, py_ref_why);
	}
	return ptc_server_start(&s->srv, s->latency_us, (int)(s->c < 4096 ? s->c + 64 : 4096));
}

/* One command and its answer's count in *good: 0, or -EIO. */
static int py_ref_cmd(struct cpython *py, const char *cmd, uint64_t n, uint64_t *good)
{
	long long g;

	if (cpython_ask_count(py, cmd, n, &g) < 0 || g < 0)
		return -EIO;
	*good = (uint64_t)g;
	return 0;
}

static int py_ref_task_init(struct bench_task *t)
{
	struct py_ref_shared *s = t->st->priv;
	char a1[32] = "", a2[32] = "";
	char *argv[] = { (char *)s->python, "-c", (char *)py_ref_script,
			 (char *)py_ref_kinds[s->kind].arg, a1, a2, NULL };
	uint64_t hello;
	int r;

	if (t->id != 0)
		return 0;	/* stands by: task 0 drives Python */
	if (s->kind == PY_CPU_THREAD || s->kind == PY_CPU_PROCESS) {
		snprintf(a1, sizeof(a1), "%lld", s->w);
		snprintf(a2, sizeof(a2), "%lld", s->job);
	} else if (s->kind >= PY_IO_THREAD) {
		snprintf(a1, sizeof(a1), "%d", s->srv.port);
		snprintf(a2, sizeof(a2), "%ld", s->c);
	} else {
		argv[4] = NULL;
	}
	if ((r = cpython_task_start(t, argv, -1)) < 0)
		return r;
	/* Set up (imports, pools, connections) before the first round. */
	if (py_ref_cmd(t->local, "hello", 0, &hello) < 0) {
		cpython_task_fini(t);
		return -EIO;
	}
	return 0;
}

/* spawn.cpython.*: `iters` units (or switches, or sleeps) in Python. */
static uint64_t py_ref_spawn_run(struct bench_task *t, uint64_t iters)
{
	struct py_ref_shared *s = t->st->priv;
	uint64_t good = 0;

	if (py_ref_cmd(t->local, "run", iters, &good) < 0)
		s->errors++;
	s->good += good;
	s->run_iters += iters;
	return iters;
}

static const char *py_ref_spawn_check(struct bench_state *st, uint64_t run_iters,
				      uint64_t base_iters)
{
	struct py_ref_shared *s = st->priv;

	(void)base_iters;
	if (s->errors)
		return "python3 did not answer a command (it died, or said something else)";
	if (s->run_iters != run_iters)
		return "run() was not given every iteration it reports";
	return s->good == run_iters ? NULL
	       : "Python did not see every unit finish with its value (or every switch, or sleep)";
}

/* ptc.cpython.cpu.*: task 0 has Python run `iters` jobs over W units, or
 * (baseline) in its main thread; the other tasks stand by. */
static uint64_t py_ref_cpu_how(struct bench_task *t, uint64_t iters, int base)
{
	struct py_ref_shared *s = t->st->priv;
	uint64_t good = 0;

	if (t->id != 0)
		return 0;
	if (py_ref_cmd(t->local, base ? "base" : "run", iters, &good) < 0)
		s->errors++;
	*(base ? &s->base_good : &s->good) += good;
	return iters;
}

static uint64_t py_ref_cpu_run(struct bench_task *t, uint64_t iters)
{
	return py_ref_cpu_how(t, iters, 0);
}

static uint64_t py_ref_cpu_base(struct bench_task *t, uint64_t iters)
{
	return py_ref_cpu_how(t, iters, 1);
}

static const char *py_ref_cpu_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	struct py_ref_shared *s = st->priv;

	if (s->errors)
		return "python3 did not answer a command (it died, or said something else)";
	if (s->good != run_iters)
		return "a job's shares did not add up to the whole job";
	return s->base_good == base_iters ? NULL : "a baseline job did not run whole";
}

/* ptc.cpython.io.*: one round, quota requests in every unit. */
static uint64_t py_ref_io_run(struct bench_task *t, uint64_t iters)
{
	struct py_ref_shared *s = t->st->priv;
	uint64_t q = (iters + (uint64_t)s->c - 1) / (uint64_t)s->c, good = 0;

	if (py_ref_cmd(t->local, "run", q, &good) < 0)
		s->errors++;
	bench_report(t, PY_REF_IDEAL, (double)s->c * 1e6 / s->latency_us);
	s->good += good;
	s->issued += q * (uint64_t)s->c;
	s->run_iters += iters;
	s->rounds++;
	return q * (uint64_t)s->c;
}

static const char *py_ref_io_check(struct bench_state *st, uint64_t run_iters,
				   uint64_t base_iters)
{
	struct py_ref_shared *s = st->priv;

	(void)base_iters;
	if (s->errors)
		return "python3 did not answer a command (it died, or said something else)";
	if (s->run_iters != run_iters)
		return "run() was not given every iteration it reports";
	if (s->issued < run_iters || s->issued >= run_iters + s->rounds * (uint64_t)s->c)
		return "the rounds' quotas do not add up to the iterations";
	return s->good == s->issued ? NULL
	       : "Python's units did not get every request of their quotas answered with its own "
		 "bytes";
}

static void py_ref_teardown(struct bench_state *st)
{
	struct py_ref_shared *s = st->priv;

	if (s && s->srv.pid && ptc_server_stop(&s->srv) < 0)
		fprintf(stderr, "contend: %s: the server saw connections left open\n",
			st->desc->name);
}

#define PY_REF_SETUP(name_, kind_)						\
	static int py_ref_setup_##name_(struct bench_state *st)		\
	{									\
		return py_ref_setup(st, kind_);				\
	}
PY_REF_SETUP(greenlet, PY_GREENLET)
PY_REF_SETUP(switch, PY_SWITCH)
PY_REF_SETUP(gevent, PY_GEVENT)
PY_REF_SETUP(sleep0, PY_SLEEP0)
PY_REF_SETUP(cpu_thread, PY_CPU_THREAD)
PY_REF_SETUP(cpu_process, PY_CPU_PROCESS)
PY_REF_SETUP(io_thread, PY_IO_THREAD)
PY_REF_SETUP(io_process, PY_IO_PROCESS)
PY_REF_SETUP(io_asyncio, PY_IO_ASYNCIO)
PY_REF_SETUP(io_gevent, PY_IO_GEVENT)

/* As spawn.greenlet's and spawn.hub's, so that the spawn chart puts the
 * Python bars beside ours. */
static const struct bench_metric py_ref_create_metrics[] = {
	{ .name = "create_finish", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

/* An iteration is a round trip: two one-way switches. */
static const struct bench_metric py_ref_switch_metrics[] = {
	{ .name = "switch", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 2 },
	{ .name = NULL },
};

static const struct bench_metric py_ref_sleep0_metrics[] = {
	{ .name = "sleep0", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

#define PY_REF_SPAWN_DESC(var, ...)						\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, \
		.placements = "none", .task_init = py_ref_task_init,		\
		.run = py_ref_spawn_run, .task_fini = cpython_task_fini,		\
		.check = py_ref_spawn_check, __VA_ARGS__			\
	}

PY_REF_SPAWN_DESC(bench_spawn_cpython_greenlet, .name = "spawn.cpython.greenlet",
		  .summary = "the real Python's greenlet: create, switch in, it returns, dead",
		  .metrics = py_ref_create_metrics, .setup = py_ref_setup_greenlet);
PY_REF_SPAWN_DESC(bench_spawn_cpython_gevent, .name = "spawn.cpython.gevent",
		  .summary = "the real Python's gevent: spawn + join",
		  .metrics = py_ref_create_metrics, .setup = py_ref_setup_gevent);
PY_REF_SPAWN_DESC(bench_spawn_cpython_switch, .name = "spawn.cpython.switch",
		  .summary = "the real Python's greenlet: a switch to a greenlet and back, per "
			     "one-way switch",
		  .metrics = py_ref_switch_metrics, .setup = py_ref_setup_switch);
PY_REF_SPAWN_DESC(bench_spawn_cpython_sleep0, .name = "spawn.cpython.sleep0",
		  .summary = "the real Python's gevent: two greenlets looping on sleep(0), per "
			     "sleep(0)",
		  .metrics = py_ref_sleep0_metrics, .setup = py_ref_setup_sleep0);

/* spawn.hub.sleep0: the same scene on our hub, in the task's thread. */
struct py_ref_hub_local {
	struct hub *hub;
	uint64_t seen;
};

static int py_ref_hub_task_init(struct bench_task *t)
{
	struct py_ref_hub_local *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	t->local = l;
	return (l->hub = hub_new(NULL)) ? 0 : -errno;
}

static void py_ref_hub_task_fini(struct bench_task *t)
{
	struct py_ref_hub_local *l = t->local;

	if (!l)
		return;
	if (l->hub)
		hub_destroy(l->hub);
	free(l);
	t->local = NULL;
}

/* One sleeper: its count of sleep(0)s, the local's tally in arg's. */
struct py_ref_sleeper {
	uint64_t k;
	uint64_t *seen;
};

static void *py_ref_hub_sleeper(void *arg)
{
	struct py_ref_sleeper *z = arg;

	for (uint64_t i = 0; i < z->k; i++)
		if (hub_sleep(0) == 0)
			(*z->seen)++;
	return arg;
}

static int py_ref_hub_setup(struct bench_state *st)
{
	struct py_ref_shared *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	st->priv = s;
	return 0;
}

static uint64_t py_ref_hub_sleep0_run(struct bench_task *t, uint64_t iters)
{
	struct py_ref_shared *s = t->st->priv;
	struct py_ref_hub_local *l = t->local;
	struct py_ref_sleeper z[2] = { { iters - iters / 2, &l->seen }, { iters / 2, &l->seen } };
	struct hub_task *h[2];
	int made = 0;

	l->seen = 0;
	for (; made < 2; made++)
		if (!(h[made] = hub_spawn(py_ref_hub_sleeper, &z[made])))
			break;
	if (made < 2 || hub_joinall(h, (size_t)made, -1) != made)
		s->errors++;
	for (int i = 0; i < made; i++)
		if (hub_task_free(h[i]) < 0)
			s->errors++;
	s->good += l->seen;
	s->run_iters += iters;
	return iters;
}

static const char *py_ref_hub_sleep0_check(struct bench_state *st, uint64_t run_iters,
					   uint64_t base_iters)
{
	struct py_ref_shared *s = st->priv;

	(void)base_iters;
	if (s->errors)
		return "a hub task could not be spawned, joined or freed";
	if (s->run_iters != run_iters)
		return "run() was not given every iteration it reports";
	return s->good == run_iters ? NULL : "a sleep(0) did not come back";
}

const struct bench_desc bench_spawn_hub_sleep0 = {
	.name = "spawn.hub.sleep0",
	.summary = "a hub task: two looping on sleep(0), per sleep(0) (spawn.cpython.sleep0's "
		   "scene on our hub)",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, .placements = "none",
	.metrics = py_ref_sleep0_metrics,
	.setup = py_ref_hub_setup, .task_init = py_ref_hub_task_init,
	.run = py_ref_hub_sleep0_run, .task_fini = py_ref_hub_task_fini,
	.check = py_ref_hub_sleep0_check,
};

static const struct bench_param py_ref_cpu_params[] = {
	{ .name = "n", .def = "2000000", .quick = "400000", .min = 1, .max = 1000000000000LL,
	  .help = "one job: countdown(n) loop iterations in Python, split over the units" },
	{ .name = NULL },
};

/* As ptc.cpu.*'s. */
static const struct bench_metric py_ref_cpu_metrics[] = {
	{ .name = "job", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = "speedup", .unit = "ratio", .kind = BENCH_SPEEDUP_OVER_BASELINE, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "efficiency", .unit = "ratio", .kind = BENCH_EFFICIENCY_OVER_BASELINE,
	  .per_iter = 1, .higher_is_better = 1 },
	{ .name = NULL },
};

#define PY_REF_CPU_DESC(var, ...)						\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .oversubscribe = 1, \
		.placements = "none", .baseline_how = BENCH_BASELINE_EACH,	\
		.baseline_note = "the whole job in Python's main thread",	\
		.params = py_ref_cpu_params, .metrics = py_ref_cpu_metrics,	\
		.task_init = py_ref_task_init, .run = py_ref_cpu_run,		\
		.baseline = py_ref_cpu_base, .task_fini = cpython_task_fini,	\
		.check = py_ref_cpu_check, __VA_ARGS__				\
	}

PY_REF_CPU_DESC(bench_ptc_cpython_cpu_thread, .name = "ptc.cpython.cpu.thread",
		.summary = "the real Python: a countdown job split over W threads "
			   "(ThreadPoolExecutor): speedup over one",
		.setup = py_ref_setup_cpu_thread);
PY_REF_CPU_DESC(bench_ptc_cpython_cpu_process, .name = "ptc.cpython.cpu.process",
		.summary = "the real Python: a countdown job split over W processes "
			   "(multiprocessing.Pool): speedup over one",
		.setup = py_ref_setup_cpu_process);

#define PY_REF_IO_LATENCY							\
	{ .name = "latency_us", .def = "1000", .min = 1, .max = 10000000,	\
	  .help = "the server's answer comes this long after the request" }

static const struct bench_param py_ref_io_params[] = {
	{ .name = "c", .def = "10,100,1000", .min = 1, .max = 1000000,
	  .help = "concurrent units, a connection each" },
	PY_REF_IO_LATENCY,
	{ .name = NULL },
};

/* 1,000 Python processes take some 20 s to fork and connect here:
 * --quick stops at 100. */
static const struct bench_param py_ref_io_process_params[] = {
	{ .name = "c", .def = "10,100,1000", .quick = "10,100", .min = 1, .max = 1000000,
	  .help = "concurrent units, a connection each" },
	PY_REF_IO_LATENCY,
	{ .name = NULL },
};

/* As ptc.io.*'s, less what Python's units keep from us (their latencies
 * and memory are Python's own). */
static const struct bench_metric py_ref_io_metrics[] = {
	{ .name = "requests_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(PY_REF_FIGURES)
	{ .name = NULL },
};

#define PY_REF_IO_DESC(var, ...)						\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, \
		.placements = "none", .metrics = py_ref_io_metrics,		\
		.task_init = py_ref_task_init,					\
		.run = py_ref_io_run, .task_fini = cpython_task_fini,		\
		.check = py_ref_io_check, .teardown = py_ref_teardown, __VA_ARGS__ \
	}

PY_REF_IO_DESC(bench_ptc_cpython_io_thread, .name = "ptc.cpython.io.thread",
	       .summary = "the real Python: C threads, a loopback connection each, request -> "
			  "answer after the server's latency",
	       .params = py_ref_io_params, .setup = py_ref_setup_io_thread);
PY_REF_IO_DESC(bench_ptc_cpython_io_process, .name = "ptc.cpython.io.process",
	       .summary = "the real Python: C multiprocessing processes, a loopback connection "
			  "each",
	       .params = py_ref_io_process_params, .setup = py_ref_setup_io_process);
PY_REF_IO_DESC(bench_ptc_cpython_io_asyncio, .name = "ptc.cpython.io.asyncio",
	       .summary = "the real Python: C asyncio tasks on one loop, a loopback connection "
			  "each",
	       .params = py_ref_io_params, .setup = py_ref_setup_io_asyncio);
PY_REF_IO_DESC(bench_ptc_cpython_io_gevent, .name = "ptc.cpython.io.gevent",
	       .summary = "the real Python: C gevent greenlets, a loopback connection each",
	       .params = py_ref_io_params, .setup = py_ref_setup_io_gevent);
