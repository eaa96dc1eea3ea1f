/*
 * bench/shm.c - shm.*: sharing data between processes, what each way
 * costs per operation (primitives/shm.h).
 *
 *   shm.array.locked    every task adds to element 0 of one Array('q')
 *                       under its lock (get_lock(), then get and set):
 *                       the lesson's fix for lost updates
 *   shm.array.unlocked  the same adds without the lock: whatever the
 *                       tasks lose between their get and their set is lost
 *   shm.manager         every task sets its own key of a Manager().dict()
 *                       over its own connection: one round trip to the
 *                       server process per operation
 *
 * As processes by default (the lesson's case; threads too), 1 .. 2 x the
 * processors.  Rows: ops_per_sec (all tasks), ns_per_op, and for the
 * arrays lost_updates, the share of a round's adds that did not reach
 * the element (read by the round's last task to finish, from the
 * element and the adds every task made): exactly 0 under the lock.
 *
 * The lesson's scenes: shm.scene.array, two processes each adding 100 to
 * temp[0] of Array('q', [11, 22, 33, 44]) (the lesson's 'i' would wrap
 * in a second at these rates), once an iteration, with the
 * lock (lock=yes: the element ends at 11 + 100 x the adds, exactly) and
 * without (lock=no: lost_updates says how many did not count);
 * shm.scene.manager, ten processes each writing dic[i] = 100 + i.
 *
 * check(): each task did one operation per iteration; a locked array
 * holds every add and an unlocked one no more than was added; the
 * dictionary holds, for every task's key, the value of its last set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/pool.h"
#include "primitives/shm.h"

enum { SHM_BENCH_LOCKED, SHM_BENCH_UNLOCKED, SHM_BENCH_MANAGER, SHM_BENCH_SCENE_ARRAY,
       SHM_BENCH_SCENE_MANAGER };

#define SHM_BENCH_FIGURES(VALUE, HIST)						\
	VALUE(SHM_BENCH_LOST, .name = "lost_updates", .unit = "ratio",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(SHM_BENCH, SHM_BENCH_FIGURES);

/* Per-round bookkeeping for lost_updates, beside the counts of pool.h's
 * struct (kept there for the checks test). */
struct shm_bench_round {
	uint64_t arrived;	/* tasks done with a run() call, all rounds */
	uint64_t adds;		/* adds made, all tasks and rounds */
	uint64_t lost_before;	/* lost up to the last round */
};

static struct shm_bench_round *shm_bench_round(struct shm_bench_shared *s, int ntasks)
{
	return (struct shm_bench_round *)&s->ops[ntasks];
}

static int shm_bench_setup(struct bench_state *st, int which)
{
	struct shm_bench_shared *s;
	int err = 0;

	s = bench_shared_alloc(st, sizeof(*s) + sizeof(uint64_t) * (size_t)st->ntasks +
			       sizeof(struct shm_bench_round));
	if (!s)
		return -ENOMEM;
	s->which = which;
	st->priv = s;
	if (which == SHM_BENCH_MANAGER || which == SHM_BENCH_SCENE_MANAGER)
		return shm_manager_start(&s->mgr);
	/* 'q', not the lesson's 'i': an int32 element adding 100 at tens
	 * of millions of adds a second wraps within a second's run. */
	err = shm_array_create(&s->arr, 'q', 4);
	if (err < 0)
		return err;
	s->add = 1;
	if (which == SHM_BENCH_SCENE_ARRAY) {
		/* Array([11, 22, 33, 44]), each process adds 100. */
		static const int64_t init[] = { 11, 22, 33, 44 };

		for (size_t i = 0; i < 4; i++)
			shm_array_raw_set(s->arr, i, init[i]);
		s->add = 100;
		if (strcmp(bench_param_str(st, "lock"), "no") == 0)
			s->which = SHM_BENCH_UNLOCKED;
		else
			s->which = SHM_BENCH_LOCKED;
	}
	s->initial = shm_array_raw_get(s->arr, 0);
	return 0;
}

static int shm_bench_setup_locked(struct bench_state *st)
{
	return shm_bench_setup(st, SHM_BENCH_LOCKED);
}

static int shm_bench_setup_unlocked(struct bench_state *st)
{
	return shm_bench_setup(st, SHM_BENCH_UNLOCKED);
}

static int shm_bench_setup_manager(struct bench_state *st)
{
	return shm_bench_setup(st, SHM_BENCH_MANAGER);
}

static int shm_bench_setup_scene_array(struct bench_state *st)
{
	return shm_bench_setup(st, SHM_BENCH_SCENE_ARRAY);
}

static int shm_bench_setup_scene_manager(struct bench_state *st)
{
	return shm_bench_setup(st, SHM_BENCH_SCENE_MANAGER);
}

/* A manager's client: one connection per task, made in the task. */
static int shm_bench_task_init(struct bench_task *t)
{
	struct shm_bench_shared *s = t->st->priv;

	if (!s->mgr)
		return 0;
	return shm_dict_connect(s->mgr, (struct shm_dict **)&t->local);
}

static void shm_bench_task_fini(struct bench_task *t)
{
	shm_dict_close(t->local);
	t->local = NULL;
}

/* The last task of a round to finish reads what the round lost. */
static void shm_bench_tally(struct bench_task *t, struct shm_bench_shared *s, uint64_t iters)
{
	struct shm_bench_round *r = shm_bench_round(s, t->st->ntasks);
	uint64_t arrived, adds, got, lost;

	__atomic_add_fetch(&r->adds, iters, __ATOMIC_RELAXED);
	arrived = __atomic_add_fetch(&r->arrived, 1, __ATOMIC_ACQ_REL);
	if (arrived % (uint64_t)t->st->ntasks)
		return;
	adds = __atomic_load_n(&r->adds, __ATOMIC_RELAXED);
	got = (uint64_t)((shm_array_get(s->arr, 0) - s->initial) / s->add);
	lost = got < adds ? adds - got : 0;
	if (iters)
		bench_report(t, SHM_BENCH_LOST, (double)(lost - r->lost_before) /
			     (double)(iters * (uint64_t)t->st->ntasks));
	if (lost - r->lost_before > s->lost_max)
		s->lost_max = lost - r->lost_before;
	r->lost_before = lost;
}

static uint64_t shm_bench_run_array(struct bench_task *t, uint64_t iters)
{
	struct shm_bench_shared *s = t->st->priv;
	struct sync_lock *lock = shm_array_get_lock(s->arr);

	if (s->which == SHM_BENCH_LOCKED) {
		for (uint64_t i = 0; i < iters; i++) {
			sync_lock_acquire(lock);
			shm_array_raw_set(s->arr, 0, shm_array_raw_get(s->arr, 0) + s->add);
			sync_lock_release(lock);
		}
	} else {
		for (uint64_t i = 0; i < iters; i++)
			shm_array_raw_set(s->arr, 0, shm_array_raw_get(s->arr, 0) + s->add);
	}
	s->ops[t->id] += iters;
	shm_bench_tally(t, s, iters);
	return iters;
}

static uint64_t shm_bench_run_manager(struct bench_task *t, uint64_t iters)
{
	struct shm_bench_shared *s = t->st->priv;
	uint64_t done = s->ops[t->id];

	for (uint64_t i = 0; i < iters; i++) {
		int64_t v = s->which == SHM_BENCH_SCENE_MANAGER ? 100 + t->id : (int64_t)++done;

		if (shm_dict_set(t->local, t->id, v) != 0)
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
	}
	s->ops[t->id] += iters;
	return iters;
}

static const char *shm_bench_check(struct bench_state *st, uint64_t run_iters,
				   uint64_t base_iters)
{
	struct shm_bench_shared *s = st->priv;
	uint64_t total = run_iters * (uint64_t)st->ntasks;
	const char *why = NULL;
	int64_t got, *keys;
	struct shm_dict *d;

	(void)base_iters;
	for (int i = 0; i < st->ntasks; i++)
		if (s->ops[i] != run_iters)
			return "a task did not make one operation per iteration";
	if (s->errors)
		return "a manager call failed";
	if (s->arr) {
		got = shm_array_raw_get(s->arr, 0) - s->initial;
		if (s->which == SHM_BENCH_LOCKED && got != (int64_t)total * s->add)
			return "the locked array lost an update";
		if (got > (int64_t)total * s->add || got < 0)
			return "the array holds more than was added to it";
		return NULL;
	}
	keys = calloc((size_t)st->ntasks, sizeof(*keys));
	if (!keys || shm_dict_connect(s->mgr, &d) != 0) {
		free(keys);
		return "cannot connect to the manager to check it";
	}
	if (shm_dict_keys(d, keys, (size_t)st->ntasks) != st->ntasks)
		why = "the dictionary does not hold one key per task";
	for (int i = 0; i < st->ntasks && !why; i++) {
		int64_t want = s->which == SHM_BENCH_SCENE_MANAGER ? 100 + i : (int64_t)run_iters;

		if (shm_dict_get(d, i, &got) != 0 || got != want)
			why = "a task's key does not hold its last value";
	}
	shm_dict_close(d);
	free(keys);
	return why;
}

static void shm_bench_teardown(struct bench_state *st)
{
	struct shm_bench_shared *s = st->priv;

	if (!s)
		return;
	if (s->mgr)
		shm_manager_stop(s->mgr);
	shm_array_destroy(s->arr);
	s->mgr = NULL;
	s->arr = NULL;
}

static const struct bench_metric shm_bench_metrics[] = {
	{ .name = "ops_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	{ .name = "ns_per_op", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_FIGURE_ROWS(SHM_BENCH_FIGURES)
	{ .name = NULL },
};

static const struct bench_param shm_scene_array_params[] = {
	{ .name = "lock", .def = "yes,no", .choices = "yes|no",
	  .help = "add under the Array's lock (get_lock()), or not" },
	{ .name = NULL },
};

#define SHM_BENCH_DESC(var, nm, sum, setup_fn, run_fn, ntasks, prm)		\
	const struct bench_desc bench_shm_##var = {				\
		.name = nm, .summary = sum, .version = BENCH_VERSION,		\
		.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,		\
		.quick_modes = BENCH_MODE_PROCESS, .tasks = ntasks,		\
		.oversubscribe = !(ntasks), .placements = "none",		\
		.params = prm, .metrics = shm_bench_metrics,			\
		.setup = setup_fn, .task_init = shm_bench_task_init,		\
		.run = run_fn, .task_fini = shm_bench_task_fini,		\
		.check = shm_bench_check, .teardown = shm_bench_teardown,	\
	}

SHM_BENCH_DESC(array_locked, "shm.array.locked",
	       "Array('q') element 0 += 1 under its process-shared lock",
	       shm_bench_setup_locked, shm_bench_run_array, 0, NULL);
SHM_BENCH_DESC(array_unlocked, "shm.array.unlocked",
	       "Array('q') element 0 += 1 without a lock: updates may be lost",
	       shm_bench_setup_unlocked, shm_bench_run_array, 0, NULL);
SHM_BENCH_DESC(manager, "shm.manager",
	       "Manager().dict(): each task sets its key, a round trip to the server",
	       shm_bench_setup_manager, shm_bench_run_manager, 0, NULL);
SHM_BENCH_DESC(scene_array, "shm.scene.array",
	       "2 processes add 100 to Array('q', [11, 22, 33, 44])[0], with and without the lock",
	       shm_bench_setup_scene_array, shm_bench_run_array, 2, shm_scene_array_params);
SHM_BENCH_DESC(scene_manager, "shm.scene.manager",
	       "10 processes write dic[i] = 100 + i to a Manager().dict()",
	       shm_bench_setup_scene_manager, shm_bench_run_manager, 10, NULL);
