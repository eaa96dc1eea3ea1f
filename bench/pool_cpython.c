/*
 * bench/pool_cpython.c - the pools and the shared data on the machine's
 * real CPython, as reference rows beside bench/pool.c and bench/shm.c.
 *
 * The system python3 ($CONTEND_PYTHON, else /usr/bin/python3, else
 * python3 on the PATH) runs as a child for the configuration, fed one
 * command a round on its standard input; the harness times the round
 * around the command and its answer, as gil.cpython.* does.  Task 0
 * drives it; W is the configuration's task count (the `threads` column,
 * as in pool.*), the other tasks stand by.  No python3 that imports
 * multiprocessing and concurrent.futures: skipped, with the reason.
 *
 *   pool.cpython.thread  concurrent.futures.ThreadPoolExecutor(W): submit
 *                        `iters` tasks, a done-callback each, wait for all
 *   pool.cpython.async   multiprocessing.Pool(W): apply_async with a
 *                        callback, `iters` tasks, wait for every callback
 *   shm.cpython.array    W processes each adding 1 to Array('q')[0]
 *                        `iters` times under get_lock()
 *   shm.cpython.manager  W processes each setting its key of a
 *                        Manager().dict() `iters` times
 *
 * A task is task_us of its thread's CPU time spinning on thread_time_ns
 * (task=work: as pool.*'s tasks, whatever the interpreter's speed, under
 * the GIL for threads, and not ended early by a wait for a processor
 * when W is over the processors) or time.sleep(task_us).  Python
 * measures one task alone (the median of a few, by the same clock) once,
 * so that speedup, efficiency and overhead_per_task are those of pool.*,
 * by the same formulas.  The shm rows include starting and
 * joining the W processes every round (multiprocessing shares an Array
 * only with processes started after it exists).
 *
 * check(): Python answered every round; every task ran and was called
 * back once with its own result (it counts them and says so); the
 * Array's element holds every add, and every process's key its last
 * value.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/pool.h"
#include "harness/bench.h"

#define POOL_PY_FIGURES(VALUE, HIST)						\
	VALUE(POOL_PY_SPEEDUP, .name = "speedup", .unit = "ratio",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN, .higher_is_better = 1)	\
	VALUE(POOL_PY_EFFICIENCY, .name = "efficiency", .unit = "ratio",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN, .higher_is_better = 1)	\
	VALUE(POOL_PY_OVERHEAD, .name = "overhead_per_task", .unit = "ns",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(POOL_PY, POOL_PY_FIGURES);

static const char pool_py_script[] =
	"import sys, time, threading\n"
	"import multiprocessing as mp\n"
	"from concurrent.futures import ThreadPoolExecutor, wait\n"
	"def spin(us):\n"
	"    end = time.thread_time_ns() + us * 1000\n"
	"    while time.thread_time_ns() < end:\n"
	"        pass\n"
	"def task(i, us, sleep):\n"
	"    if sleep:\n"
	"        time.sleep(us / 1e6)\n"
	"    else:\n"
	"        spin(us)\n"
	"    return i + 100\n"
	"def add(arr, n):\n"
	"    for _ in range(n):\n"
	"        with arr.get_lock():\n"
	"            arr[0] += 1\n"
	"def put(d, key, n, base):\n"
	"    for k in range(n):\n"
	"        d[key] = base + k + 1\n"
	"if __name__ == '__main__':\n"
	"    mp.set_start_method('fork')\n"
	"    kind, w, us, sleep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == 'sleep'\n"
	"    total = 0\n"
	"    if kind == 'thread':\n"
	"        ex = ThreadPoolExecutor(max_workers=w)\n"
	"    elif kind == 'async':\n"
	"        pool = mp.Pool(w)\n"
	"    elif kind == 'array':\n"
	"        arr = mp.Array('q', 4)\n"
	"    else:\n"
	"        mgr = mp.Manager()\n"
	"        d = mgr.dict()\n"
	"    for line in sys.stdin:\n"
	"        cmd, n = line.split()\n"
	"        n = int(n)\n"
	"        good = 0\n"
	"        if cmd == 'args':\n"
	"            good = [w, us, int(sleep)][n]\n"
	"        elif cmd == 'alone':\n"
	"            ts = []\n"
	"            clock = time.perf_counter_ns if sleep else time.thread_time_ns\n"
	"            for _ in range(n):\n"
	"                t0 = clock()\n"
	"                task(0, us, sleep)\n"
	"                ts.append(clock() - t0)\n"
	"            good = sorted(ts)[n // 2]\n"
	"        elif kind == 'thread':\n"
	"            lock = threading.Lock()\n"
	"            seen = [0, 0]\n"
	"            done = threading.Event()\n"
	"            def cb(f, i):\n"
	"                with lock:\n"
	"                    seen[1] += f.result() == i + 100\n"
	"                    seen[0] += 1\n"
	"                    if seen[0] == n:\n"
	"                        done.set()\n"
	"            for i in range(n):\n"
	"                f = ex.submit(task, i, us, sleep)\n"
	"                f.add_done_callback(lambda f, i=i: cb(f, i))\n"
	"            done.wait()\n"
	"            good = seen[1]\n"
	"        elif kind == 'async':\n"
	"            seen = [0]\n"
	"            done = threading.Event()\n"
	"            def cb(r):\n"
	"                seen[0] += 1\n"
	"                if seen[0] == n:\n"
	"                    done.set()\n"
	"            rs = [pool.apply_async(task, (i, us, sleep), callback=cb) for i in range(n)]\n"
	"            done.wait()\n"
	"            good = sum(1 for i, r in enumerate(rs) if r.get() == i + 100)\n"
	"        elif kind == 'array':\n"
	"            ps = [mp.Process(target=add, args=(arr, n)) for _ in range(w)]\n"
	"            for p in ps: p.start()\n"
	"            for p in ps: p.join()\n"
	"            good = arr[0] - total if all(p.exitcode == 0 for p in ps) else -1\n"
	"            total = arr[0]\n"
	"        else:\n"
	"            ps = [mp.Process(target=put, args=(d, k, n, total)) for k in range(w)]\n"
	"            for p in ps: p.start()\n"
	"            for p in ps: p.join()\n"
	"            total += n\n"
	"            good = n * sum(1 for k in range(w) if d.get(k) == total)\n"
	"        print('ok', cmd, good, flush=True)\n"
	"    if kind == 'async':\n"
	"        pool.close()\n"
	"        pool.join()\n"
	"    elif kind == 'manager':\n"
	"        mgr.shutdown()\n";

enum { POOL_PY_THREAD, POOL_PY_ASYNC, POOL_PY_ARRAY, POOL_PY_MANAGER };
static const char *const pool_py_kind[] = { "thread", "async", "array", "manager" };

static char pool_py_why[512];

static int pool_py_setup(struct bench_state *st, int kind)
{
	struct pool_py_shared *s = bench_shared_alloc(st, sizeof(*s));
	char w[16], us[24];
	char *argv[] = { NULL, "-c", (char *)pool_py_script, (char *)pool_py_kind[kind], w, us,
			 "work", NULL };
	long long alone;
	int r;

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->py.in = -1;
	s->kind = kind;
	s->workers = st->ntasks;
	if (kind <= POOL_PY_ASYNC) {
		s->task_us = bench_param_int(st, "task_us");
		s->sleep = strcmp(bench_param_str(st, "task"), "sleep") == 0;
		argv[6] = s->sleep ? "sleep" : "work";
	}
	s->par = s->sleep || st->ncpus > s->workers ? s->workers : st->ncpus;
	if (!(s->python = cpython_find("multiprocessing, concurrent.futures", pool_py_why,
				       sizeof(pool_py_why))))
		return bench_skip(st, pool_py_why);
	argv[0] = (char *)s->python;
	snprintf(w, sizeof(w), "%d", s->workers);
	snprintf(us, sizeof(us), "%lld", s->task_us);
	if ((r = cpython_start(&s->py, argv, -1)) < 0)
		return r;
	/* What Python took from its command line: every parameter the row
	 * names must reach it (check() says so otherwise). */
	const long long want[] = { s->workers, s->task_us, s->sleep };

	for (uint64_t i = 0; i < 3; i++) {
		long long got;

		if (cpython_ask_count(&s->py, "args", i, &got) < 0) {
			cpython_stop(&s->py);
			return -EIO;
		}
		s->args_off |= got != want[i];
	}
	if (kind <= POOL_PY_ASYNC) {
		uint64_t n = s->task_us > 0 ? (uint64_t)(20000 / s->task_us) : 51;

		n = n < 5 ? 5 : n > 51 ? 51 : n;
		if (cpython_ask_count(&s->py, "alone", n, &alone) < 0 || alone <= 0) {
			cpython_stop(&s->py);
			return -EIO;
		}
		s->alone_ns = (double)alone;
	}
	return 0;
}

static int pool_py_setup_thread(struct bench_state *st)
{
	return pool_py_setup(st, POOL_PY_THREAD);
}

static int pool_py_setup_async(struct bench_state *st)
{
	return pool_py_setup(st, POOL_PY_ASYNC);
}

static int pool_py_setup_array(struct bench_state *st)
{
	return pool_py_setup(st, POOL_PY_ARRAY);
}

static int pool_py_setup_manager(struct bench_state *st)
{
	return pool_py_setup(st, POOL_PY_MANAGER);
}

static uint64_t pool_py_run(struct bench_task *t, uint64_t iters)
{
	struct pool_py_shared *s = t->st->priv;
	long long good = -1;
	uint64_t t0, span;

	/* The pool kinds answer for the tasks called back right, the shm
	 * kinds for the operations that left their mark: the adds the
	 * element gained, n for each process whose key holds its last
	 * value.  Each of the W processes made `iters`. */
	uint64_t ops = s->kind <= POOL_PY_ASYNC ? iters : iters * (uint64_t)s->workers;

	if (t->id != 0)
		return 0;
	t0 = bench_now_ns();
	if (cpython_ask_count(&s->py, "run", iters, &good) < 0 || good != (long long)ops)
		s->errors++;
	else
		s->answered += (uint64_t)good;
	span = bench_now_ns() - t0;
	if (s->kind <= POOL_PY_ASYNC && iters && span) {
		double speedup = (double)iters * s->alone_ns / (double)span;

		bench_report(t, POOL_PY_SPEEDUP, speedup);
		bench_report(t, POOL_PY_EFFICIENCY, speedup / s->par);
		bench_report(t, POOL_PY_OVERHEAD,
			     (double)span * s->par / (double)iters - s->alone_ns);
	}
	s->returned += ops;
	return ops;
}

static const char *pool_py_check(struct bench_state *st, uint64_t run_iters,
				 uint64_t base_iters)
{
	const struct pool_py_shared *s = st->priv;

	(void)base_iters;
	if (s->args_off)
		return "Python was started with other workers, task or task_us than the row's";
	if (s->errors)
		return "Python did not run and call back every task as asked";
	if (s->answered != run_iters * (s->kind <= POOL_PY_ASYNC ? 1 : (uint64_t)s->workers))
		return "Python did not answer for every task, or every process's operations";
	/* The operations counted are the ones Python proved made. */
	if (s->returned != s->answered)
		return "run() returned other than the operations Python made";
	return NULL;
}

static void pool_py_teardown(struct bench_state *st)
{
	struct pool_py_shared *s = st->priv;

	if (s)
		cpython_stop(&s->py);	/* the script closes its pool, then exits */
}

static const struct bench_metric pool_py_pool_metrics[] = {
	{ .name = "tasks_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(POOL_PY_FIGURES)
	{ .name = NULL },
};

static const struct bench_metric pool_py_shm_metrics[] = {
	{ .name = "ops_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "ns_per_op", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

static const struct bench_param pool_py_params[] = {
	/* --quick: the short tasks only, where a pool's own cost shows;
	 * starting Python and its pool is most of a quick configuration. */
	{ .name = "task_us", .def = "1,10,100,1000", .quick = "10",
	  .help = "each task's length in microseconds", .min = 1, .max = 1000000 },
	{ .name = "task", .def = "work,sleep", .quick = "work", .choices = "work|sleep",
	  .help = "a task spins on the clock, or sleeps (I/O-like)" },
	{ .name = NULL },
};

#define POOL_PY_DESC(var, nm, sum, setup_fn, met, prm, quick)			\
	const struct bench_desc bench_##var = {					\
		.name = nm, .summary = sum, .version = BENCH_VERSION,		\
		.modes = BENCH_MODE_THREAD, .oversubscribe = 1,			\
		.placements = "none", .min_iters = quick,			\
		.params = prm, .metrics = met,					\
		.setup = setup_fn, .run = pool_py_run,				\
		.check = pool_py_check, .teardown = pool_py_teardown,		\
	}

POOL_PY_DESC(pool_cpython_thread, "pool.cpython.thread",
	     "CPython's ThreadPoolExecutor(W): submit with a done-callback, wait",
	     pool_py_setup_thread, pool_py_pool_metrics, pool_py_params, 16);
POOL_PY_DESC(pool_cpython_async, "pool.cpython.async",
	     "CPython's multiprocessing.Pool(W).apply_async with a callback",
	     pool_py_setup_async, pool_py_pool_metrics, pool_py_params, 16);
POOL_PY_DESC(shm_cpython_array, "shm.cpython.array",
	     "CPython: W processes add 1 to Array('q')[0] under get_lock()",
	     pool_py_setup_array, pool_py_shm_metrics, NULL, 100);
POOL_PY_DESC(shm_cpython_manager, "shm.cpython.manager",
	     "CPython: W processes set their key of a Manager().dict()",
	     pool_py_setup_manager, pool_py_shm_metrics, NULL, 100);
