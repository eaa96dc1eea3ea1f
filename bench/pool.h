/*
 * bench/pool.h - the pool.* and shm.* workloads' shared states, here so
 * that a test can write a state wrong in one count and ask check() about
 * it (tests/test_h_checks.c).
 */
#ifndef CONTEND_BENCH_POOL_H
#define CONTEND_BENCH_POOL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "bench/cpython.h"
#include "harness/bench.h"
#include "primitives/sync.h"

/* Tasks in flight at most, and the ring of their slots. */
#define POOL_BENCH_SLOTS 4096

enum pool_bench_kind {
	POOL_BENCH_THREAD,	/* the callback pool */
	POOL_BENCH_TOKEN,	/* the token pool */
	POOL_BENCH_SPAWN,	/* a thread per task, W at most at once */
	POOL_BENCH_APPLY,	/* the process pool, apply: one task at a time */
	POOL_BENCH_ASYNC,	/* the process pool, apply_async with a callback */
};

/* One task's life: submitted, ran (in the worker), called back. */
enum { POOL_SLOT_FREE, POOL_SLOT_SUBMITTED, POOL_SLOT_RAN, POOL_SLOT_DONE };

struct pool_bench_slot {
	uint64_t submit_ns, start_ns;	/* latency rounds only */
	uint32_t state;
};

struct pool_bench_shared {
	int kind;
	int sleep;			/* task=sleep */
	int workers;
	int par;			/* what can run at once: W, or min(W, cpus) for work */
	double task_ns;			/* task=work: the CPU time a task spends */
	uint64_t chunk;			/* task=work: loops between CPU clock reads */
	struct timespec nap;		/* task=sleep */
	double alone_ns;		/* one task's own time, alone (median) */
	int most_at_once;		/* min(W, processors this process may use) */
	uint64_t span_ns;		/* every round's time, summed (check()) */
	uint64_t fail_every;		/* task i fails when i % fail_every == 0 */
	uint64_t next_seq;		/* task 0's next task number */
	void *pool;			/* the runner's pool object */
	pthread_t *spawned;		/* POOL_BENCH_SPAWN: [workers] */
	uint8_t *spawned_live;
	/* Tasks in flight, POOL_BENCH_SLOTS at most: the submitter counts
	 * one in, a callback one out.  The submitter sleeps on room_bell
	 * until at most wait_for are in flight, and a callback wakes it
	 * once, when the count reaches that (bench/pool.c). */
	uint32_t in_flight;
	uint32_t wait_for;
	uint32_t room_bell;
	int recording;			/* this round stamps submit and start */
	/* The counts check() holds to. */
	uint64_t submitted;		/* by task 0 */
	uint64_t ran;			/* by the tasks (workers), atomic */
	uint64_t called_ok, called_fail;	/* by the callbacks, atomic */
	uint64_t bad;			/* a slot not in the state its step expects */
	/* A task's own time at least (its CPU time, or its sleep), less 5 %
	 * for the clocks: a stamped task is called back no sooner than this
	 * after its start stamp (check()). */
	uint64_t least_ns;
	uint64_t early;			/* callbacks sooner than that, atomic */
	uint64_t threads_made;		/* threads the token and spawn variants made */
	struct pool_bench_slot slots[POOL_BENCH_SLOTS];
};

/* The pool.scene.* workloads: one iteration is the lesson's program. */
struct pool_scene_shared {
	int which;			/* close, terminate, apply_async */
	int workers, ntasks;		/* 5 and 30, or 5 and 10 */
	struct timespec nap;		/* each task sleeps this */
	uint64_t scenes;		/* iterations run */
	uint64_t ran, called, dropped;	/* tasks over all scenes */
	uint64_t called_ok;		/* callbacks with ok and the right result */
	uint64_t in_parent;		/* apply_async: callbacks run in the parent */
	uint64_t in_worker;		/* apply_async: tasks run in another process */
	uint64_t too_many_workers;	/* a scene whose pool made more than `workers` */
	uint64_t errors;		/* a call that failed */
	int parent;			/* pid of the runner */
	/* terminate: the scene's tasks started so far, and the event its
	 * `workers`-th start sets, so that terminate comes while they run. */
	uint32_t started_now;
	struct sync_event all_running;
};

/* shm.*: the shared array's and the manager's counts. */
struct shm_bench_shared {
	int which;			/* locked, unlocked, manager, scene.array, scene.manager */
	struct shm_array *arr;
	struct shm_manager *mgr;
	int64_t initial;		/* a[0] at start */
	int64_t add;			/* what each operation adds to a[0] */
	uint64_t errors;
	uint64_t lost_max;		/* unlocked: the most updates a round lost */
	uint64_t ops[];			/* per task: operations it completed */
};

/* pool.cpython.*, shm.cpython.* (bench/pool_cpython.c): the Python child
 * and what it answered. */
struct pool_py_shared {
	const char *python;
	int kind, workers, par;
	long long task_us;
	int sleep;
	double alone_ns;
	struct cpython py;
	uint64_t answered;	/* tasks (or shm operations) Python answered for as asked */
	uint64_t returned;	/* the operations run() gave the harness */
	uint64_t errors;
	/* What Python says it was started with differs from the row's
	 * workers, task or task_us (check()). */
	int args_off;
};

#endif
