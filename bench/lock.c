/*
 * bench/lock.c - lock.<variant>: every lock of the zoo
 * (primitives/lock_list.h), plus Python's Lock and RLock
 * (primitives/sync.h), under the same contention: each task loops
 *
 *     acquire; cs_ns of work; bump the protected count; release; ncs_ns of work
 *
 * on one lock shared by all tasks.  With one task, acquire_release is the
 * uncontended cost of a lock and an unlock (plus the loop around them: a
 * few cycles and one load of the round's stop flag); with more it is the
 * time per acquisition over all tasks, i.e. the hand-over.  fairness (Jain) and share_min/max say how
 * evenly the lock served the tasks; acquire_p50..max, the wait inside
 * acquire, timed in the latency rounds around every `sample`-th acquire,
 * net of two back-to-back clock readings (bench_clock_pair_ns(), env.csv's
 * clock_pair_ns), which would otherwise be most of an uncontended one.
 *
 * The driver (bench/lock.h) is built per variant with the lock's static
 * inline functions in the loop.  contend's own spinners are built twice:
 * policy=yield (the zoo's default, sched_yield() every
 * LOCK_SPIN_YIELD_AFTER pauses) here, policy=spin (never yields) in
 * bench/lock_spin.c; every other lock has one fixed policy so that its
 * rows still say how it waits (the wait column of lock_list.h).  Tasks
 * run up to twice the processors by default: where sleeping and spinning
 * waits part ways; the tasks are left to the scheduler (placement none)
 * by default, since no placement that pins can put two tasks on every
 * processor, and --placement compact pins the counts that fit.  --quick
 * runs thread mode only, cs_ns=0.
 *
 * Process mode puts the lock in shared memory; a lock whose init refuses
 * that (the queue locks that link nodes by address: mcs, clh, ck_mcs,
 * ck_clh, ck_hclh) is reported skipped, with the reason.
 *
 * py_rlock: `depth` nested acquires, then as many releases, per
 * iteration.  Its operation is one level (one acquire and its release),
 * so its throughput is levels per second and its time metric is named
 * per_level, not acquire_release; at depth 1 the two are the same thing.
 * Its acquire latency times all `depth` acquires of a sampled iteration.
 *
 * A round ends when the first task is through its iterations; the others
 * stop where they are (bench/lock.h says why), so the tasks' counts are
 * how the lock shared itself out.  check(): no task did more than it was
 * asked, some task finished every round, and the count bumped inside the
 * lock equals the acquisitions of all tasks: a lost update means two
 * tasks held the lock at once; the cs and the ncs work, each timed
 * outside the lock in the latency rounds, last about cs_ns and ncs_ns
 * (so that each parameter is seen to reach its section); py_rlock's
 * RLock was taken `depth` levels per acquisition.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lock.h"
#include "primitives/sync.h"

/* ---- parameters and metrics --------------------------------------------- */

#define LOCK_BENCH_PARAMS_COMMON						\
	{ .name = "cs_ns", .def = "0,100,1000", .quick = "0",			\
	  .help = "ns of work inside the lock (calibrated loop, not a sleep)",	\
	  .min = 0, .max = 1000000000 },					\
	{ .name = "ncs_ns", .def = "0", .quick = "0",				\
	  .help = "ns of work between release and the next acquire",		\
	  .min = 0, .max = 1000000000 },					\
	{ .name = "sample", .def = "64",					\
	  .help = "latency rounds: time every k-th acquire",			\
	  .min = 1, .max = 1000000 }

#define LOCK_BENCH_POLICY_FIXED(p, what)					\
	{ .name = "policy", .def = p, .choices = p,				\
	  .help = "how this lock waits (fixed): " what }

static const struct bench_param lock_bench_params_axis[] = {
	LOCK_BENCH_PARAMS_COMMON,
	{ .name = "policy", .def = "yield,spin", .quick = "yield", .choices = "yield|spin",
	  .help = "yield: sched_yield() every LOCK_SPIN_YIELD_AFTER pauses; spin: never" },
	{ .name = NULL },
};
static const struct bench_param lock_bench_params_sleep[] = {
	LOCK_BENCH_PARAMS_COMMON,
	LOCK_BENCH_POLICY_FIXED("sleep", "blocks in the kernel"),
	{ .name = NULL },
};
static const struct bench_param lock_bench_params_adaptive[] = {
	LOCK_BENCH_PARAMS_COMMON,
	LOCK_BENCH_POLICY_FIXED("adaptive", "spins a bounded while, then blocks"),
	{ .name = NULL },
};
static const struct bench_param lock_bench_params_spin[] = {
	LOCK_BENCH_PARAMS_COMMON,
	LOCK_BENCH_POLICY_FIXED("spin", "spins, never yields nor blocks"),
	{ .name = NULL },
};
static const struct bench_param lock_bench_params_py_rlock[] = {
	LOCK_BENCH_PARAMS_COMMON,
	LOCK_BENCH_POLICY_FIXED("sleep", "blocks in the kernel"),
	{ .name = "depth", .def = "1", .help = "nesting levels per iteration",
	  .min = 1, .max = 64 },
	{ .name = NULL },
};

#define LOCK_BENCH_METRICS(per_op)						\
	{ .name = "throughput", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC,	\
	  .per_iter = 1, .higher_is_better = 1 },				\
	{ .name = per_op, .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 }, \
	{ .name = "jain", .unit = "ratio", .kind = BENCH_FAIRNESS, .per_iter = 1, \
	  .higher_is_better = 1 },						\
	{ .name = "share_min", .unit = "ratio", .kind = BENCH_SHARE_MIN,	\
	  .per_iter = 1, .higher_is_better = 1 },				\
	{ .name = "share_max", .unit = "ratio", .kind = BENCH_SHARE_MAX,	\
	  .per_iter = 1 },							\
	BENCH_FIGURE_ROWS(LOCK_BENCH_FIGURES)					\
	{ .name = NULL }

static const struct bench_metric lock_bench_metrics[] = {
	LOCK_BENCH_METRICS("acquire_release")
};
static const struct bench_metric lock_bench_metrics_py_rlock[] = {
	LOCK_BENCH_METRICS("per_level")
};

/* ---- setup, run, check, teardown: one of each for every lock ------------- */

/*
 * The shared state of lock `ops` for this configuration, the lock
 * initialised (shared in process mode) and every node ready; `run` and
 * `spin_run` are its yield and never-yield drivers (spin_run NULL: the
 * lock has one policy).  -ENOMEM, -ENOTSUP (skipped: the lock cannot be
 * process-shared) or the lock's init error.
 */
/*
 * A FIFO lock hands over to one waiter, its next in line; when that
 * waiter is off the processor and the others spin without ever
 * yielding, nothing moves until the scheduler happens to run it.
 * Measured here (ck_ticket, 4 threads on 2 processors), not one round
 * of one iteration each finished in 120 s: a livelock, not a figure.
 * (Non-FIFO spinners still progress: any running waiter may take the
 * lock.)  The reason, or NULL; the planner's test (bench_desc.unfit)
 * through each lock's own.
 */
/* Why a lock whose queue links nodes by address is not run as processes. */
#define LOCK_BENCH_UNSHAREABLE "not process-shareable: its init refuses shared memory " \
			       "(its queue links nodes by process-private address)"

static const char *lock_bench_livelocks(const struct bench_state *st, const struct lock_ops *ops)
{
	int spin = strcmp(bench_param_str(st, "policy"), "spin") == 0;
	int never_yields = !(ops->flags & LOCK_SLEEPS) && (spin || !(ops->flags & LOCK_YIELDS));

	if ((ops->flags & LOCK_FIFO) && never_yields && st->ntasks > st->ncpus)
		return "a FIFO spinner that never yields livelocks with more tasks than processors "
		       "(the next in line is off the processor while the others spin); "
		       "policy=yield or fewer tasks measure it";
	return NULL;
}

static int lock_bench_setup(struct bench_state *st, const struct lock_ops *ops,
			    uint64_t (*run)(struct bench_task *, uint64_t),
			    uint64_t (*spin_run)(struct bench_task *, uint64_t))
{
	int shared = st->mode == BENCH_MODE_PROCESS, err;
	size_t n = (size_t)st->ntasks;
	struct lock_bench *s = bench_shared_alloc(st, sizeof(*s) + n * sizeof(s->task[0]));

	if (!s || !(s->lock = bench_shared_alloc(st, ops->size)))
		return -ENOMEM;
	s->node_size = ops->node_size;
	if (s->node_size && !(s->nodes = bench_shared_alloc(st, n * s->node_size)))
		return -ENOMEM;
	s->ops = ops;
	int spin = strcmp(bench_param_str(st, "policy"), "spin") == 0;
	const char *why = lock_bench_livelocks(st, ops);

	if (why)
		return bench_skip(st, why);
	s->run = spin_run && spin ? spin_run : run;
	s->cs_ns = (uint64_t)bench_param_int(st, "cs_ns");
	s->cs_loops = bench_work_loops((double)s->cs_ns);
	s->ncs_ns = (uint64_t)bench_param_int(st, "ncs_ns");
	s->ncs_loops = bench_work_loops((double)s->ncs_ns);
	s->sample = (uint64_t)bench_param_int(st, "sample");
	s->clock_pair_ns = bench_clock_pair_ns();
	s->levels = 1;
	err = ops->init(s->lock, shared, st->ntasks);
	if (err == -ENOTSUP && shared)
		return bench_skip(st, LOCK_BENCH_UNSHAREABLE);
	if (err)
		return err;
	for (size_t i = 0; ops->node_init && i < n; i++)
		ops->node_init(lock_bench_node(s, (int)i));
	st->priv = s;
	return 0;
}

/* Timings of each section's work per latency round: the shortest of
 * them is the work's own length (preemption only ever adds). */
#define LOCK_BENCH_CS_PROBES 8

/* The shortest of *min_ns and ns, where 0 is none yet; a timing that
 * reads 0 is kept as 1, so that it still says "timed". */
static void lock_bench_keep_min(uint64_t *min_ns, uint64_t ns)
{
	ns = ns ? ns : 1;
	if (!*min_ns || ns < *min_ns)
		*min_ns = ns;
}

/*
 * How long cs_loops and ncs_loops of work and a bare clock pair take on
 * this task's processor, the shortest seen kept: check() holds each
 * difference against cs_ns and ncs_ns.  Latency rounds only, outside
 * the lock, so no timed round carries it.
 */
static void lock_bench_probe_work(const struct lock_bench *s, struct lock_bench_count *me)
{
	for (int k = 0; k < LOCK_BENCH_CS_PROBES; k++) {
		uint64_t t0 = bench_now_ns(), t1 = bench_now_ns();
		uint64_t t2, t3;

		lock_bench_keep_min(&me->tare_min_ns, t1 - t0);
		t2 = bench_now_ns();
		bench_work(s->cs_loops);
		t3 = bench_now_ns();
		lock_bench_keep_min(&me->cs_min_ns, t3 - t2);
		t2 = bench_now_ns();
		bench_work(s->ncs_loops);
		t3 = bench_now_ns();
		lock_bench_keep_min(&me->ncs_min_ns, t3 - t2);
	}
}

/* The policy's driver, chosen at setup: one indirect call per round. */
static uint64_t lock_bench_run(struct bench_task *t, uint64_t iters)
{
	struct lock_bench *s = t->st->priv;

	if (bench_recording(t))
		lock_bench_probe_work(s, &s->task[t->id]);
	return s->run(t, iters);
}

/*
 * Below this a clock pair's jitter is the size of the work itself, and
 * the loop count a handful: a section this short is only held to lasting
 * at most LOCK_BENCH_WORK_SLACK times this, i.e. to being short.
 */
#define LOCK_BENCH_CS_CHECKED_NS 50
/*
 * How far a section's work may stray from its parameter, either way.  A
 * wrong calibration or a parameter in the wrong section is off by
 * multiples (17 x in the audit's run, the whole section when crossed);
 * the machine alone moves the loop too: on the 2-core VM of 2026-12-06
 * one processor ran it at 1.9 to 3.8 loops a nanosecond from one few
 * seconds to the next, idle (a busy SMT sibling or a frequency limit on
 * the host), so a rate measured once was 2.0-2.6 x off for whole
 * configurations of correct runs.  Three, not two.
 */
#define LOCK_BENCH_WORK_SLACK 3

/*
 * Whether one section's work (the critical one, or with `ncs` the
 * other; `what` names its parameter, want_ns its value) lasted about it:
 * each task's shortest timing, less its shortest clock pair, within a
 * LOCK_BENCH_WORK_SLACK-th and LOCK_BENCH_WORK_SLACK times want_ns; a
 * section under LOCK_BENCH_CS_CHECKED_NS, at most that slack times it.
 * The cs work too short (a calibration that came out low) lets more
 * acquisitions through than the lock could serialise (1e9 / cs_ns a
 * second); either too long makes every figure the work's, and work that
 * is not the length its parameter says (the other section's, say) makes
 * the row a configuration it does not name.
 */
static const char *lock_bench_check_work(const struct bench_state *st, const char *what,
					 uint64_t want_ns, int ncs)
{
	static char why[200];
	const struct lock_bench *s = st->priv;
	uint64_t best = UINT64_MAX;
	uint64_t most = LOCK_BENCH_WORK_SLACK * (want_ns < LOCK_BENCH_CS_CHECKED_NS ?
						 LOCK_BENCH_CS_CHECKED_NS : want_ns);

	for (int i = 0; i < st->ntasks; i++) {
		const struct lock_bench_count *c = &s->task[i];
		uint64_t min = ncs ? c->ncs_min_ns : c->cs_min_ns, net;

		if (!min)
			continue;	/* a task that saw no latency round */
		net = min > c->tare_min_ns ? min - c->tare_min_ns : 0;
		if (want_ns >= LOCK_BENCH_CS_CHECKED_NS && LOCK_BENCH_WORK_SLACK * net < want_ns) {
			snprintf(why, sizeof(why), "the %s work took %llu ns in task %d, not "
				 "about %s=%llu: the calibrated work is wrong, or not the %s",
				 ncs ? "non-critical section's" : "critical section's",
				 (unsigned long long)net, i, what, (unsigned long long)want_ns, what);
			return why;
		}
		best = net < best ? net : best;
	}
	if (best == UINT64_MAX)
		return "no task timed its sections' work (no latency round)";
	if (best > most) {
		snprintf(why, sizeof(why), "the %s work took at least %llu ns, not about "
			 "%s=%llu: the calibrated work is wrong, or not the %s",
			 ncs ? "non-critical section's" : "critical section's",
			 (unsigned long long)best, what, (unsigned long long)want_ns, what);
		return why;
	}
	return NULL;
}

/*
 * run_iters is the sum of the rounds' `iters`.  In every round one task
 * did all of them and none did more, so a task's acquisitions are at
 * most run_iters and all tasks' together at least that; and the count
 * bumped inside the lock must be their exact total.
 */
static const char *lock_bench_check(struct bench_state *st, uint64_t run_iters,
				    uint64_t base_iters)
{
	const struct lock_bench *s = st->priv;
	uint64_t total = 0;
	const char *why;

	(void)base_iters;
	for (int i = 0; i < st->ntasks; i++) {
		if (s->task[i].acquired > run_iters)
			return "a task acquired the lock more often than it was asked to";
		total += s->task[i].acquired;
	}
	if (total < run_iters)
		return "a round ended before any task completed its iterations";
	if (s->protected_count < total)
		return "the count bumped inside the lock is short of the tasks' total: "
		       "two tasks held the lock at once";
	if (s->protected_count > total)
		return "the lock saw more acquisitions than the tasks counted";
	why = lock_bench_check_work(st, "cs_ns", s->cs_ns, 0);
	return why ? why : lock_bench_check_work(st, "ncs_ns", s->ncs_ns, 1);
}

/* A round still running at its limit (a FIFO spinner whose next in
 * line is off its processor, round after round): the stop word says the
 * round is over, as its first finisher would, and every task leaves
 * within LOCK_BENCH_STOP_EVERY acquisitions.  No load is added to the
 * loop. */
static void lock_bench_end_round(struct bench_state *st, uint32_t round)
{
	struct lock_bench *s = st->priv;

	__atomic_store_n(&s->stop, round, __ATOMIC_RELAXED);
}

static void lock_bench_teardown(struct bench_state *st)
{
	struct lock_bench *s = st->priv;

	s->ops->destroy(s->lock);
}

/* Lock v's descriptor: what every lock.* workload has, and the fields
 * given (summary, params, metrics, check), each by name. */
#define LOCK_BENCH_DESC(v, ...)							\
	const struct bench_desc bench_lock_##v = {				\
		.name = "lock." #v, .version = BENCH_VERSION,			\
		.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,		\
		.oversubscribe = 1, .placements = "none",			\
		.quick_modes = BENCH_MODE_THREAD,				\
		__VA_ARGS__,							\
		.setup = lock_bench_##v##_setup, .run = lock_bench_run,		\
		.teardown = lock_bench_teardown,				\
		.end_round = lock_bench_end_round,				\
	};

/* lock_list.h's shared column: can the lock live in shared memory? */
#define LOCK_BENCH_SHAREABLE_shared	1
#define LOCK_BENCH_SHAREABLE_private	0

/* The never-yield driver of lock v by its policy: only axis locks have one. */
#define LOCK_BENCH_SPIN_FN_axis(v)	lock_bench_##v##_spin_run
#define LOCK_BENCH_SPIN_FN_sleep(v)	NULL
#define LOCK_BENCH_SPIN_FN_adaptive(v)	NULL
#define LOCK_BENCH_SPIN_FN_spin(v)	NULL

#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared,	\
		     summary_)							\
	static LOCK_BENCH_RUN(lock_bench_##v##_run, lock_##v, lock_type)	\
	static int lock_bench_##v##_setup(struct bench_state *st)		\
	{									\
		return lock_bench_setup(st, &lock_##v##_ops, lock_bench_##v##_run, \
					LOCK_BENCH_SPIN_FN_##wait(v));		\
	}									\
	static const char *lock_bench_##v##_unfit(const struct bench_state *st) \
	{									\
		if (st->mode == BENCH_MODE_PROCESS && !LOCK_BENCH_SHAREABLE_##shared) \
			return LOCK_BENCH_UNSHAREABLE;				\
		return lock_bench_livelocks(st, &lock_##v##_ops);		\
	}									\
	LOCK_BENCH_DESC(v, .summary = summary_,					\
			.params = lock_bench_params_##wait, .metrics = lock_bench_metrics, \
			.check = lock_bench_check, .unfit = lock_bench_##v##_unfit)
#include "primitives/lock_list.h"
#undef LOCK_VARIANT

/* ---- Python's Lock and RLock, as zoo-shaped locks ------------------------ */

/*
 * Wrapped to whole cache lines and to the zoo's arity, so the same driver
 * and the same setup serve them.  sync_* report only bugs here (releasing
 * a lock not held, an RLock deeper than UINT32_MAX): abort, never ignore.
 */
struct lock_bench_py_lock {
	struct sync_lock l;
} CPU_ALIGNED;

struct lock_bench_py_rlock {
	struct sync_rlock r;
	uint32_t depth;		/* set at setup, read-only after */
	/* Levels acquired, all tasks, bumped by the holder only: check()
	 * holds it to depth levels per acquisition, so that the depth a row
	 * names is the depth the lock was taken to. */
	uint64_t levels_taken;
} CPU_ALIGNED;

static inline void lock_bench_py_lock_acquire(struct lock_bench_py_lock *lock, void *node)
{
	(void)node;
	if (sync_lock_acquire(&lock->l))
		abort();
}

static inline void lock_bench_py_lock_release(struct lock_bench_py_lock *lock, void *node)
{
	(void)node;
	if (sync_lock_release(&lock->l))
		abort();
}

static inline void lock_bench_py_rlock_acquire(struct lock_bench_py_rlock *lock, void *node)
{
	(void)node;
	for (uint32_t d = 0; d < lock->depth; d++) {
		if (sync_rlock_acquire(&lock->r))
			abort();
		lock->levels_taken++;	/* held: the RLock orders it */
	}
}

static inline void lock_bench_py_rlock_release(struct lock_bench_py_rlock *lock, void *node)
{
	(void)node;
	for (uint32_t d = 0; d < lock->depth; d++)
		if (sync_rlock_release(&lock->r))
			abort();
}

static int lock_bench_py_lock_init(void *lock, int shared, int max_tasks)
{
	(void)max_tasks;
	return sync_lock_init(&((struct lock_bench_py_lock *)lock)->l, shared);
}

static int lock_bench_py_rlock_init(void *lock, int shared, int max_tasks)
{
	(void)max_tasks;
	return sync_rlock_init(&((struct lock_bench_py_rlock *)lock)->r, shared);
}

/* Errors ignored: -EBUSY only after a task died holding the lock, when
 * the round has failed already. */
static void lock_bench_py_lock_destroy(void *lock)
{
	(void)sync_lock_destroy(&((struct lock_bench_py_lock *)lock)->l);
}

static void lock_bench_py_rlock_destroy(void *lock)
{
	(void)sync_rlock_destroy(&((struct lock_bench_py_rlock *)lock)->r);
}

/* Setup and teardown only: the driver calls the inline functions above. */
static const struct lock_ops lock_bench_py_lock_ops = {
	.name = "py_lock", .size = sizeof(struct lock_bench_py_lock),
	.flags = LOCK_SLEEPS, .init = lock_bench_py_lock_init,
	.destroy = lock_bench_py_lock_destroy,
};
static const struct lock_ops lock_bench_py_rlock_ops = {
	.name = "py_rlock", .size = sizeof(struct lock_bench_py_rlock),
	.flags = LOCK_SLEEPS, .init = lock_bench_py_rlock_init,
	.destroy = lock_bench_py_rlock_destroy,
};

static LOCK_BENCH_RUN(lock_bench_py_lock_run, lock_bench_py_lock, struct lock_bench_py_lock)
static LOCK_BENCH_RUN(lock_bench_py_rlock_run, lock_bench_py_rlock, struct lock_bench_py_rlock)

static int lock_bench_py_lock_setup(struct bench_state *st)
{
	return lock_bench_setup(st, &lock_bench_py_lock_ops, lock_bench_py_lock_run, NULL);
}

static int lock_bench_py_rlock_setup(struct bench_state *st)
{
	int err = lock_bench_setup(st, &lock_bench_py_rlock_ops, lock_bench_py_rlock_run, NULL);
	struct lock_bench *s = st->priv;

	if (err)
		return err;
	/* 1 .. 64, checked by the harness. */
	s->levels = (uint64_t)bench_param_int(st, "depth");
	((struct lock_bench_py_rlock *)s->lock)->depth = (uint32_t)s->levels;
	return 0;
}

/* The driver's check, and the RLock taken `depth` levels per acquisition. */
static const char *lock_bench_py_rlock_check(struct bench_state *st, uint64_t run_iters,
					     uint64_t base_iters)
{
	const struct lock_bench *s = st->priv;
	const struct lock_bench_py_rlock *r = s->lock;
	const char *why = lock_bench_check(st, run_iters, base_iters);

	if (!why && r->levels_taken != s->protected_count * s->levels)
		why = "the RLock was not taken `depth` levels deep per acquisition "
		      "(its operations count levels that did not happen)";
	return why;
}

LOCK_BENCH_DESC(py_lock,
		.summary = "Python threading.Lock (primitives/sync.h): futex, sleeps when taken",
		.params = lock_bench_params_sleep, .metrics = lock_bench_metrics,
		.check = lock_bench_check)
LOCK_BENCH_DESC(py_rlock,
		.summary = "Python threading.RLock, `depth` nested levels per iteration",
		.params = lock_bench_params_py_rlock, .metrics = lock_bench_metrics_py_rlock,
		.check = lock_bench_py_rlock_check)
