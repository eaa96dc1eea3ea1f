/*
 * bench/spawn.c - what a unit of concurrency costs to start and to keep:
 * a thread (pthread_create + pthread_join), a process (fork + waitpid,
 * the child _exit(0)s), a process running another program (posix_spawn
 * + waitpid of bench/helpers/spawn_nop.c, built -static).
 *
 * spawn.<carrier>: one task creates a unit and waits for it to finish,
 * `iters` times a round; create_finish is the time of one such pair.
 * Every unit proves it ran (a thread or a forked child counts itself in
 * shared memory, the program exits 0), and every wait proves the unit
 * finished as it should (join's value, the exit status).
 *
 * spawn.<carrier>.live: memory per live unit.  Each iteration starts n
 * units that all stay alive, waits until every one has said it is up
 * (they have run, so their stacks and copied pages exist), reads the
 * memory the kernel charges to the configuration's cgroup (bench_mem_*:
 * kernel stacks and page tables included) and the resident memory, lets
 * them all go and waits for them.  The growth over n is the figure:
 * charged_per_unit, kmem_per_unit (the kernel's part of it) and
 * resident_per_unit (threads: the runner's RSS; processes: the PSS of
 * the runner and its children, so that pages they still share
 * copy-on-write count once).  An n the machine cannot hold (pid_max,
 * threads-max, RLIMIT_NPROC, vm.max_map_count) is skipped, naming it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/spawn.h"
#include "primitives/futex.h"

#ifndef SPAWN_NOP_PATH
#define SPAWN_NOP_PATH "build/contend-spawn-nop"
#endif



static char spawn_why[256];	/* a skip reason outlives the call */

static void spawn_unit(struct spawn_shared *s)
{
	/* Relaxed: a count that the creator reads after join or waitpid,
	 * which order it. */
	__atomic_fetch_add(&s->ran, 1, __ATOMIC_RELAXED);
	if (!s->n)
		return;
	/* Acquire: the creator's release store ends the hold. */
	while (!__atomic_load_n(&s->release, __ATOMIC_ACQUIRE))
		futex_wait(&s->release, 0, NULL, 1);
}

static void *spawn_thread_body(void *p)
{
	spawn_unit(p);
	return p;
}

static int spawn_setup(struct bench_state *st, enum spawn_carrier carrier, int live)
{
	struct spawn_shared *s = bench_shared_alloc(st, sizeof(*s));
	const char *limit;
	long room;

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->carrier = carrier;
	s->up[0] = s->up[1] = s->hold[0] = s->hold[1] = -1;
	if (carrier == SPAWN_POSIX_SPAWN && access(SPAWN_NOP_PATH, X_OK) < 0)
		return bench_skip(st, "the program to spawn, " SPAWN_NOP_PATH ", is not built "
				  "(make builds it)");
	if (!live)
		return (s->threads = calloc(1, sizeof(*s->threads))) &&
		       (s->pids = calloc(1, sizeof(*s->pids))) ? 0 : -ENOMEM;
	s->n = (long)bench_param_int(st, "n");
	room = carrier == SPAWN_THREAD ? bench_room_threads(&limit) : bench_room_processes(&limit);
	if (s->n > room - SPAWN_ROOM_MARGIN) {
		snprintf(spawn_why, sizeof(spawn_why), "n=%ld units do not fit: %s leaves room for "
			 "%ld more, less %d kept for the rest of the machine", s->n, limit, room,
			 SPAWN_ROOM_MARGIN);
		return bench_skip(st, spawn_why);
	}
	if (!(s->threads = calloc((size_t)s->n, sizeof(*s->threads))) ||
	    !(s->pids = calloc((size_t)s->n, sizeof(*s->pids))))
		return -ENOMEM;
	if (carrier == SPAWN_POSIX_SPAWN &&
	    (pipe2(s->up, O_CLOEXEC) < 0 || pipe2(s->hold, O_CLOEXEC) < 0))
		return -errno;
	return bench_mem_open(st);
}

/* Start unit i; 0 or -1 (counted as an error). */
static int spawn_start(struct spawn_shared *s, long i)
{
	char *hold_argv[] = { SPAWN_NOP_PATH, "hold", NULL };
	char *quick_argv[] = { SPAWN_NOP_PATH, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	switch (s->carrier) {
	case SPAWN_THREAD:
		return pthread_create(&s->threads[i], NULL, spawn_thread_body, s) == 0 ? 0 : -1;
	case SPAWN_FORK:
		pid = fork();
		if (pid == 0) {
			spawn_unit(s);
			_exit(0);
		}
		s->pids[s->n ? i : 0] = pid;
		return pid > 0 ? 0 : -1;
	case SPAWN_POSIX_SPAWN:
		if (!s->n)
			return posix_spawn(&s->pids[0], SPAWN_NOP_PATH, NULL, NULL, quick_argv,
					   NULL) == 0 ? 0 : -1;
		if (posix_spawn_file_actions_init(&fa) != 0)
			return -1;
		r = posix_spawn_file_actions_adddup2(&fa, s->hold[0], 0) ||
		    posix_spawn_file_actions_adddup2(&fa, s->up[1], 1) ||
		    posix_spawn(&s->pids[i], SPAWN_NOP_PATH, &fa, NULL, hold_argv, NULL);
		posix_spawn_file_actions_destroy(&fa);
		return r == 0 ? 0 : -1;
	}
	return -1;
}

/* Wait for unit i: 1 if it finished as it should. */
static int spawn_finish(struct spawn_shared *s, long i)
{
	void *ret = NULL;
	int status;
	pid_t pid = s->pids[s->n ? i : 0];

	if (s->carrier == SPAWN_THREAD)
		return pthread_join(s->threads[s->n ? i : 0], &ret) == 0 && ret == s;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* spawn.<carrier>: create and finish, one unit at a time. */
static uint64_t spawn_run(struct bench_task *t, uint64_t iters)
{
	struct spawn_shared *s = t->st->priv;
	uint64_t errors = 0, finished = 0;

	for (uint64_t i = 0; i < iters; i++) {
		if (spawn_start(s, 0) < 0) {
			errors++;
			continue;
		}
		finished += spawn_finish(s, 0);
	}
	if (s->carrier == SPAWN_POSIX_SPAWN)
		s->ran += finished;	/* the program's exit 0 is its word */
	s->finished += finished;
	s->errors += errors;
	s->run_iters += iters;
	return finished;
}

/* Until every started unit has said it is up: n in shared memory, or
 * n bytes on the up pipe (the spawned program).  0, or -1 on an error. */
static int spawn_wait_up(struct spawn_shared *s, uint64_t want, long started)
{
	struct timespec nap = { 0, 50000 };
	char buf[512];
	long got = 0;
	ssize_t r;

	if (s->carrier != SPAWN_POSIX_SPAWN) {
		while (__atomic_load_n(&s->ran, __ATOMIC_RELAXED) < want)
			nanosleep(&nap, NULL);
		return 0;
	}
	while (got < started) {
		r = read(s->up[0], buf, (size_t)(started - got) < sizeof(buf)
					? (size_t)(started - got) : sizeof(buf));
		if (r <= 0 && errno != EINTR)
			return -1;
		got += r > 0 ? r : 0;
	}
	s->ran += (uint64_t)got;
	return 0;
}

/* spawn.<carrier>.live: n units alive at once, iters times. */
static uint64_t spawn_live_run(struct bench_task *t, uint64_t iters)
{
	struct spawn_shared *s = t->st->priv;
	int procs = s->carrier != SPAWN_THREAD;
	uint64_t errors = 0, finished = 0;
	struct bench_mem before, after;

	for (uint64_t it = 0; it < iters; it++) {
		uint64_t ran0 = __atomic_load_n(&s->ran, __ATOMIC_RELAXED);
		long started = 0;

		__atomic_store_n(&s->release, 0, __ATOMIC_RELAXED);
		/* What the last iteration freed goes back to the kernel
		 * first: else these units would reuse it, and grow nothing. */
		malloc_trim(0);
		bench_mem_read(t->st, procs ? s->pids : NULL, 0, &before);
		for (long i = 0; i < s->n; i++, started++)
			if (spawn_start(s, i) < 0)
				break;
		errors += (uint64_t)(s->n - started);
		if (spawn_wait_up(s, ran0 + (uint64_t)started, started) < 0)
			errors++;
		bench_mem_read(t->st, procs ? s->pids : NULL, (int)started, &after);
		if (started == s->n)
			spawn_report_mem(t, &before, &after, s->n, procs);
		/* Release: each unit's acquire load sees it. */
		__atomic_store_n(&s->release, 1, __ATOMIC_RELEASE);
		futex_wake(&s->release, INT_MAX, 1);
		if (s->carrier == SPAWN_POSIX_SPAWN) {
			close(s->hold[1]);	/* end of file: they exit */
			s->hold[1] = -1;
		}
		for (long i = 0; i < started; i++)
			finished += spawn_finish(s, i);
		if (s->carrier == SPAWN_POSIX_SPAWN) {
			int fds[2];

			/* A fresh stdin for the next iteration's programs. */
			close(s->hold[0]);
			s->hold[0] = -1;
			if (pipe2(fds, O_CLOEXEC) < 0) {
				errors++;
				break;
			}
			s->hold[0] = fds[0];
			s->hold[1] = fds[1];
		}
	}
	s->finished += finished;
	s->errors += errors;
	s->run_iters += iters;
	return finished;
}

static const char *spawn_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct spawn_shared *s = st->priv;
	uint64_t units = run_iters * (uint64_t)(s->n ? s->n : 1);

	(void)base_iters;
	if (s->errors)
		return "a unit could not be started, or its wait failed";
	if (s->run_iters != run_iters)
		return "run() was not given every iteration it reports";
	if (s->ran != units)
		return "a unit did not run (or ran twice)";
	if (s->finished != units)
		return "a unit did not finish as it should (join value, exit status)";
	return NULL;
}

static void spawn_teardown(struct bench_state *st)
{
	struct spawn_shared *s = st->priv;

	if (!s)
		return;
	for (int i = 0; i < 2; i++) {
		if (s->up[i] >= 0)
			close(s->up[i]);
		if (s->hold[i] >= 0)
			close(s->hold[i]);
	}
	free(s->threads);
	free(s->pids);
}

static const struct bench_metric spawn_metrics[] = {
	{ .name = "create_finish", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

static const struct bench_metric spawn_live_metrics[] = {
	/* Start, hold and finish n units, and the two memory readings: per
	 * unit, for scale (the memory is the point). */
	{ .name = "live_cycle", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_FIGURE_ROWS(SPAWN_FIGURES)
	{ .name = NULL },
};

/* --quick holds 1,000 threads (10,000 take seconds a round) and 100
 * processes (each round forks them and reads each one's PSS). */
static const struct bench_param spawn_live_threads_params[] = {
	SPAWN_PARAM_N("1000"),
	{ .name = NULL },
};

static const struct bench_param spawn_live_procs_params[] = {
	SPAWN_PARAM_N("100"),
	{ .name = NULL },
};

#define SPAWN_DESC(id_, name_, carrier_, summary_)				\
	static int spawn_setup_##id_(struct bench_state *st)			\
	{									\
		return spawn_setup(st, carrier_, 0);				\
	}									\
	static int spawn_live_setup_##id_(struct bench_state *st)		\
	{									\
		return spawn_setup(st, carrier_, 1);				\
	}									\
	const struct bench_desc bench_spawn_##id_ = {				\
		.name = "spawn." name_, .summary = summary_ ": create and finish", \
		.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, \
		.placements = "none", .metrics = spawn_metrics,			\
		.setup = spawn_setup_##id_, .run = spawn_run,			\
		.check = spawn_check, .teardown = spawn_teardown,		\
	};									\
	const struct bench_desc bench_spawn_##id_##_live = {			\
		.name = "spawn." name_ ".live",					\
		.summary = summary_ ": memory per unit, n alive at once (cgroup and resident)", \
		.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, \
		.placements = "none", .metrics = spawn_live_metrics,		\
		.params = carrier_ == SPAWN_THREAD ? spawn_live_threads_params	\
						   : spawn_live_procs_params,	\
		.setup = spawn_live_setup_##id_, .run = spawn_live_run,	\
		.check = spawn_check, .teardown = spawn_teardown,		\
	}

SPAWN_DESC(thread, "thread", SPAWN_THREAD, "a thread (pthread_create + pthread_join)");
SPAWN_DESC(fork, "fork", SPAWN_FORK, "a process (fork + waitpid, the child _exits)");
SPAWN_DESC(posix_spawn, "posix_spawn", SPAWN_POSIX_SPAWN,
	   "a process running a tiny static program (posix_spawn + waitpid)");
