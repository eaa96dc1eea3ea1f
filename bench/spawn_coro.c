/*
 * bench/spawn_coro.c - what a coroutine costs to start and to keep, beside
 * bench/spawn.c's threads and processes: a greenlet (primitives/greenlet.h)
 * and a hub task (primitives/hub.h, gevent's spawn + join).
 *
 * spawn.greenlet: create a greenlet, switch to it, it returns its
 * argument to its parent, destroy it.  spawn.hub: hub_spawn a task,
 * hub_join it, free it.  stack=mmap gives each coroutine a stack of its
 * own (mmap'd, a guard page below); stack=shared puts them all on one
 * stack whose occupant's frames are copied to the heap when another
 * needs it (greenlet's and libaco's way).
 *
 * spawn.greenlet.live, spawn.hub.live: n coroutines alive at once, each
 * parked in the middle of its function (a greenlet switched back to its
 * parent; a hub task waiting for a pipe to become readable), memory read
 * while they all are, as bench/spawn.c's .live rows (the task's thread
 * RSS for resident).  Then they are let go and finish.
 *
 * check(): every coroutine ran, returned its argument to whoever waited
 * for it, and was freed; the hub's own counters agree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/spawn.h"
#include "primitives/hub.h"

/* A coroutine's stack (mmap mode) and the shared stack: as the hub's
 * default, room for the few frames a body and libc take. */
#define SPAWN_CORO_STACK HUB_STACK_DEFAULT


/* The task's own: the shared stack, the hub, the live units. */
struct spawn_coro_local {
	struct greenlet_shstack *sh;
	struct hub *hub;
	struct greenlet **g;
	struct hub_task **task;
	int wake[2];		/* hub.live: the pipe the tasks wait on */
};

static int spawn_coro_setup(struct bench_state *st, int live)
{
	struct spawn_coro_shared *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->mode = strcmp(bench_param_str(st, "stack"), "shared") == 0 ? GREENLET_STACK_SHARED
									: GREENLET_STACK_MMAP;
	if (s->mode == GREENLET_STACK_SHARED && !GREENLET_SHARED_OK)
		return bench_skip(st, "stack=shared is compiled out of sanitizer builds");
	if (!live)
		return 0;
	s->n = (long)bench_param_int(st, "n");
	return bench_mem_open(st);
}

static int spawn_coro_task_init(struct bench_task *t, int hub)
{
	struct spawn_coro_shared *s = t->st->priv;
	struct spawn_coro_local *l = calloc(1, sizeof(*l));
	struct hub_attr attr = { .mode = s->mode, .stack_size = SPAWN_CORO_STACK };
	long n = s->n ? s->n : 1;

	if (!l)
		return -ENOMEM;
	t->local = l;
	l->wake[0] = l->wake[1] = -1;
	if (!(l->g = calloc((size_t)n, sizeof(*l->g))) ||
	    !(l->task = calloc((size_t)n, sizeof(*l->task))))
		return -ENOMEM;
	if (hub) {
		if (!(l->hub = hub_new(&attr)))
			return -errno;
		return pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) < 0 ? -errno : 0;
	}
	if (s->mode == GREENLET_STACK_SHARED && !(l->sh = greenlet_shstack_new(SPAWN_CORO_STACK)))
		return -errno;
	return 0;
}

static int spawn_coro_task_init_greenlet(struct bench_task *t)
{
	return spawn_coro_task_init(t, 0);
}

static int spawn_coro_task_init_hub(struct bench_task *t)
{
	return spawn_coro_task_init(t, 1);
}

static void spawn_coro_task_fini(struct bench_task *t)
{
	struct spawn_coro_local *l = t->local;
	struct hub_stats hs;

	if (!l)
		return;
	if (l->hub) {
		struct spawn_coro_shared *s = t->st->priv;

		hub_get_stats(&hs);
		s->hub_spawned = hs.spawned;
		s->hub_finished = hs.finished;
		hub_destroy(l->hub);
	}
	if (l->sh)
		greenlet_shstack_free(l->sh);
	for (int i = 0; i < 2; i++)
		if (l->wake[i] >= 0)
			close(l->wake[i]);
	free(l->g);
	free(l->task);
	free(l);
	t->local = NULL;
}

/* A greenlet's body: count in, (live) park in the parent, return the
 * argument. */
static void *spawn_coro_greenlet_body(void *arg)
{
	struct spawn_coro_shared *s = arg;

	s->ran++;
	if (s->n)
		greenlet_switch(greenlet_parent(greenlet_current()), NULL);
	return arg;
}

static struct greenlet *spawn_coro_greenlet_new(struct spawn_coro_shared *s,
						struct spawn_coro_local *l)
{
	return greenlet_create(spawn_coro_greenlet_body, NULL, s->mode, SPAWN_CORO_STACK, l->sh);
}

static uint64_t spawn_coro_greenlet_run(struct bench_task *t, uint64_t iters)
{
	struct spawn_coro_shared *s = t->st->priv;
	struct spawn_coro_local *l = t->local;
	uint64_t errors = 0, finished = 0;

	for (uint64_t i = 0; i < iters; i++) {
		struct greenlet *g = spawn_coro_greenlet_new(s, l);

		if (!g) {
			errors++;
			continue;
		}
		finished += greenlet_switch(g, s) == s && greenlet_dead(g);
		greenlet_destroy(g);
	}
	s->finished += finished;
	s->errors += errors;
	s->run_iters += iters;
	return finished;
}

/* The one task's local, where its hub tasks' bodies find the pipe
 * (tasks = 1; they run in its thread). */
static struct spawn_coro_local *spawn_coro_hub_local;

/* A hub task's body: count in, (live) wait for the wake pipe, return
 * the argument. */
static void *spawn_coro_hub_body(void *arg)
{
	struct spawn_coro_shared *s = arg;

	s->ran++;
	if (s->n && hub_wait_fd(spawn_coro_hub_local->wake[0], HUB_READ) < 0)
		s->errors++;
	return arg;
}

static uint64_t spawn_coro_hub_run(struct bench_task *t, uint64_t iters)
{
	struct spawn_coro_shared *s = t->st->priv;
	uint64_t errors = 0, finished = 0;

	for (uint64_t i = 0; i < iters; i++) {
		struct hub_task *h = hub_spawn(spawn_coro_hub_body, s);

		if (!h || hub_join(h, -1) < 0) {
			errors++;
			continue;
		}
		finished += hub_task_value(h) == s;
		if (hub_task_free(h) < 0)
			errors++;
	}
	s->finished += finished;
	s->errors += errors;
	s->run_iters += iters;
	return finished;
}

/* A .live round, greenlets' or hub tasks': n made and parked, memory
 * read while they all are, then let go to finish. */
static uint64_t spawn_coro_live_run(struct bench_task *t, uint64_t iters, int hub)
{
	struct spawn_coro_shared *s = t->st->priv;
	struct spawn_coro_local *l = t->local;
	uint64_t errors = 0, finished = 0;
	struct bench_mem before, after;
	char b = 1;

	spawn_coro_hub_local = l;
	for (uint64_t it = 0; it < iters; it++) {
		uint64_t ran0 = s->ran;
		long made = 0;

		/* What the last iteration freed goes back to the kernel
		 * first, the heap's and the hub's cached stacks: else these
		 * units would reuse it, and grow nothing. */
		malloc_trim(0);
		if (hub)
			hub_trim();
		bench_mem_read(t->st, NULL, 0, &before);
		for (; made < s->n; made++) {
			if (hub ? !(l->task[made] = hub_spawn(spawn_coro_hub_body, s))
				: !(l->g[made] = spawn_coro_greenlet_new(s, l)))
				break;
			/* A greenlet runs to its park and switches back here. */
			if (!hub && greenlet_switch(l->g[made], s) != NULL)
				errors++;
		}
		errors += (uint64_t)(s->n - made);
		/* Every hub task ready before this runs to its wait first. */
		if (hub && (hub_sleep(0) < 0 || s->ran - ran0 != (uint64_t)made))
			errors++;
		bench_mem_read(t->st, NULL, 0, &after);
		if (made == s->n)
			spawn_report_mem(t, &before, &after, s->n, 0);
		if (hub && write(l->wake[1], &b, 1) != 1)
			errors++;
		if (hub && (hub_joinall(l->task, (size_t)made, -1) != made ||
			    read(l->wake[0], &b, 1) != 1))
			errors++;
		for (long i = 0; i < made; i++) {
			if (!hub) {
				finished += greenlet_switch(l->g[i], NULL) == s &&
					    greenlet_dead(l->g[i]);
				greenlet_destroy(l->g[i]);
				continue;
			}
			finished += hub_task_done(l->task[i]) && hub_task_value(l->task[i]) == s;
			if (hub_task_free(l->task[i]) < 0)
				errors++;
		}
	}
	s->finished += finished;
	s->errors += errors;
	s->run_iters += iters;
	return finished;
}

static uint64_t spawn_coro_greenlet_live_run(struct bench_task *t, uint64_t iters)
{
	return spawn_coro_live_run(t, iters, 0);
}

static uint64_t spawn_coro_hub_live_run(struct bench_task *t, uint64_t iters)
{
	return spawn_coro_live_run(t, iters, 1);
}

static const char *spawn_coro_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	struct spawn_coro_shared *s = st->priv;
	uint64_t units = run_iters * (uint64_t)(s->n ? s->n : 1);

	(void)base_iters;
	if (s->errors)
		return "a coroutine could not be made, parked or joined";
	if (s->run_iters != run_iters)
		return "run() was not given every iteration it reports";
	if (s->ran != units)
		return "a coroutine did not run (or ran twice)";
	if (s->finished != units)
		return "a coroutine did not return its argument to whoever waited for it";
	return NULL;
}

/* The hub's own count of what it spawned and finished must agree. */
static const char *spawn_coro_hub_check(struct bench_state *st, uint64_t run_iters,
					uint64_t base_iters)
{
	struct spawn_coro_shared *s = st->priv;
	const char *why = spawn_coro_check(st, run_iters, base_iters);

	if (why)
		return why;
	if (s->hub_spawned != s->ran || s->hub_finished != s->ran)
		return "the hub's counters disagree with the tasks' (spawned, finished)";
	return NULL;
}

static int spawn_coro_setup_cost(struct bench_state *st)
{
	return spawn_coro_setup(st, 0);
}

static int spawn_coro_setup_live(struct bench_state *st)
{
	return spawn_coro_setup(st, 1);
}

#define SPAWN_CORO_PARAM_STACK							\
	{ .name = "stack", .def = "mmap,shared", .choices = "mmap|shared",	\
	  .help = "mmap: a stack of its own (guard page below); shared: one stack, "	\
		  "frames copied to the heap when parked" }

static const struct bench_param spawn_coro_params[] = {
	SPAWN_CORO_PARAM_STACK,
	{ .name = NULL },
};

/* --quick holds 1,000, as spawn.thread.live does (10,000 hub tasks on
 * one descriptor take seconds a round). */
static const struct bench_param spawn_coro_live_params[] = {
	SPAWN_CORO_PARAM_STACK,
	SPAWN_PARAM_N("1000"),
	{ .name = NULL },
};

static const struct bench_metric spawn_coro_metrics[] = {
	{ .name = "create_finish", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

static const struct bench_metric spawn_coro_live_metrics[] = {
	{ .name = "live_cycle", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_FIGURE_ROWS(SPAWN_FIGURES)
	{ .name = NULL },
};

#define SPAWN_CORO_DESC(var, ...)						\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, \
		.placements = "none", .task_fini = spawn_coro_task_fini,	\
		__VA_ARGS__							\
	}

SPAWN_CORO_DESC(bench_spawn_greenlet, .name = "spawn.greenlet",
		.summary = "a greenlet: create, switch in, it returns to its parent, destroy",
		.params = spawn_coro_params, .metrics = spawn_coro_metrics,
		.setup = spawn_coro_setup_cost, .task_init = spawn_coro_task_init_greenlet,
		.run = spawn_coro_greenlet_run, .check = spawn_coro_check);
SPAWN_CORO_DESC(bench_spawn_greenlet_live, .name = "spawn.greenlet.live",
		.summary = "a greenlet: memory per unit, n parked at once (cgroup and resident)",
		.params = spawn_coro_live_params, .metrics = spawn_coro_live_metrics,
		.setup = spawn_coro_setup_live, .task_init = spawn_coro_task_init_greenlet,
		.run = spawn_coro_greenlet_live_run, .check = spawn_coro_check);
SPAWN_CORO_DESC(bench_spawn_hub, .name = "spawn.hub",
		.summary = "a hub task (gevent's spawn + join): create and finish",
		.params = spawn_coro_params, .metrics = spawn_coro_metrics,
		.setup = spawn_coro_setup_cost, .task_init = spawn_coro_task_init_hub,
		.run = spawn_coro_hub_run, .check = spawn_coro_hub_check);
SPAWN_CORO_DESC(bench_spawn_hub_live, .name = "spawn.hub.live",
		.summary = "a hub task: memory per unit, n waiting on a descriptor at once",
		.params = spawn_coro_live_params, .metrics = spawn_coro_live_metrics,
		.setup = spawn_coro_setup_live, .task_init = spawn_coro_task_init_hub,
		.run = spawn_coro_hub_live_run, .check = spawn_coro_hub_check);
