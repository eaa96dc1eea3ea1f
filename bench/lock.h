/*
 * bench/lock.h - the lock.* driver: shared state, the proof of work, and
 * the timed loop as a macro, so that bench/lock.c can build it once per
 * lock of primitives/lock_list.h (and bench/lock_spin.c once more per
 * spinner, with LOCK_SPIN_YIELD_AFTER 0).  The lock's own static inline
 * acquire and release sit in the loop: no indirect call per operation.
 *
 * A file that wants another LOCK_SPIN_YIELD_AFTER must define it before
 * it includes this header (or any lock header): the define is read once,
 * where primitives/lock_common.h is first included, behind its guard.
 */
#ifndef CONTEND_BENCH_LOCK_H
#define CONTEND_BENCH_LOCK_H

#include <errno.h>
#include <stdint.h>

#include "harness/bench.h"
#include "primitives/arch/cpu.h"
#include "primitives/lock.h"

/* One task's tally over all rounds, a cache line of its own. */
struct lock_bench_count {
	uint64_t acquired;	/* acquisitions (iterations) */
	uint32_t rounds;	/* run() calls so far: this round's number */
	/* The shortest cs work, ncs work and clock pair this task timed
	 * (latency rounds, outside the lock; lock_bench_check), 0 before
	 * any. */
	uint64_t cs_min_ns, ncs_min_ns, tare_min_ns;
} CPU_ALIGNED;

/*
 * Everything a lock.* configuration shares, in bench_shared_alloc memory
 * (so forked tasks see it too): the lock object and the nodes each sit in
 * their own allocation, cache-line aligned as lock.h asks.
 */
struct lock_bench {
	void *lock;
	char *nodes;		/* ntasks nodes of node_size bytes, or NULL */
	size_t node_size;
	const struct lock_ops *ops;	/* setup and teardown only, never timed */
	/* The driver of the chosen policy (yield or spin build): called once
	 * per run(), not per operation. */
	uint64_t (*run)(struct bench_task *t, uint64_t iters);
	uint64_t cs_loops, ncs_loops;	/* bench_work() inside / outside */
	uint64_t cs_ns, ncs_ns;		/* what cs_loops, ncs_loops should last */
	uint64_t sample;		/* latency rounds: time every k-th acquire */
	/* bench_clock_pair_ns() at setup: taken off every timed acquire. */
	uint64_t clock_pair_ns;
	uint64_t levels;		/* operations per iteration (py_rlock: depth) */
	/* Incremented inside the lock only, with a plain load and store: a
	 * lost update, i.e. two holders at once, leaves it short. */
	uint64_t protected_count CPU_ALIGNED;
	/* The number of the round whose first task to finish its `iters`
	 * said stop: read by every task each iteration, written once per
	 * round, so the line stays shared and the load hits the cache. */
	uint32_t stop CPU_ALIGNED;
	struct lock_bench_count task[];
};

/* The node of task `id`, or NULL for a lock without nodes. */
static inline void *lock_bench_node(const struct lock_bench *s, int id)
{
	return s->node_size ? s->nodes + (size_t)id * s->node_size : NULL;
}

/*
 * One timed acquire, t0 before it and t1 as it returned, net of the
 * clock pair (what t1 - t0 reads around nothing).  A sample below the
 * pair's median is an acquire shorter than the clock's own jitter (one
 * step of a 10 ns clock, say): it reads 0.  Every quantile of the rows
 * is then exactly the same quantile of t1 - t0 less pair_ns, or 0 where
 * that quantile is within the pair: not resolved by this clock
 * (clock_resolution_ns in env.csv says its step).
 */
static inline uint64_t lock_bench_acquire_ns(uint64_t t0, uint64_t t1, uint64_t pair_ns)
{
	return t1 - t0 > pair_ns ? t1 - t0 - pair_ns : 0;
}

/* The driver's one figure besides its operations (harness/bench.h,
 * BENCH_FIGURES): the timed acquires; bench/lock.c's tables hold its
 * rows. */
#define LOCK_BENCH_FIGURES(VALUE, HIST)						\
	HIST(LOCK_BENCH_HIST_ACQUIRE, "acquire")
BENCH_FIGURES(LOCK_BENCH, LOCK_BENCH_FIGURES);

/* Iterations between two looks at the stop word: often enough that a
 * task leaves a round at most a few acquisitions late, seldom enough
 * that the look costs nothing beside a nanosecond lock.  A power of two,
 * so that i % it is a mask. */
#define LOCK_BENCH_STOP_EVERY 16

/*
 * The timed loop of lock <prefix> (functions <prefix>_acquire and
 * <prefix>_release, object lock_type), as function `fn`.  Each
 * iteration: acquire, cs work, bump the protected count, release, ncs
 * work.
 *
 * A round lasts until the first task has done its `iters`: it then says
 * stop, and the others leave within LOCK_BENCH_STOP_EVERY iterations
 * with what they got.
 * So the tasks' counts show how the lock shared itself out (fairness,
 * share_min/max); with every task made to finish its `iters`, they would
 * all read 1, and a starved task would end the round alone, unopposed.
 *
 * bench_recording() is asked once per call; only the recording loop
 * reads the clock, around every `sample`-th acquire: t0 before it and
 * t1 as it returns, the one reading the lock's holder makes (the instant
 * it got the lock cannot be taken after the release).  The difference,
 * less the clock pair's own cost (lock_bench_acquire_ns), goes into the
 * histogram after the release: nothing of the recording lengthens the
 * time the lock is held but that one reading.  Returns the operations:
 * acquisitions times s->levels.
 */
#define LOCK_BENCH_RUN(fn, prefix, lock_type)					\
	uint64_t fn(struct bench_task *t, uint64_t iters)			\
	{									\
		struct lock_bench *s = t->st->priv;				\
		struct lock_bench_count *me = &s->task[t->id];			\
		lock_type *lock = s->lock;					\
		void *node = lock_bench_node(s, t->id);				\
		const uint64_t cs = s->cs_loops, ncs = s->ncs_loops;		\
		const uint32_t round = ++me->rounds;				\
		uint64_t i;							\
										\
		/* Relaxed stop loads and store: the flag only ends the loop;	\
		 * the counts it leaves are read after the round, which the	\
		 * harness orders. */						\
		if (bench_recording(t)) {					\
			/* Count down, not i % k: no division per op. */	\
			uint64_t k = s->sample, left = 1;			\
										\
			for (i = 0; i < iters; i++) {				\
				if (i % LOCK_BENCH_STOP_EVERY == 0 &&		\
				    __atomic_load_n(&s->stop, __ATOMIC_RELAXED) == round) \
					break;					\
				if (--left == 0) {				\
					uint64_t t0 = bench_now_ns(), t1;	\
										\
					prefix##_acquire(lock, node);		\
					t1 = bench_now_ns();			\
					bench_work(cs);				\
					s->protected_count++;			\
					prefix##_release(lock, node);		\
					bench_record_ns(t, LOCK_BENCH_HIST_ACQUIRE, \
						lock_bench_acquire_ns(t0, t1,	\
							s->clock_pair_ns)); \
					left = k;				\
				} else {					\
					prefix##_acquire(lock, node);		\
					bench_work(cs);				\
					s->protected_count++;			\
					prefix##_release(lock, node);		\
				}						\
				bench_work(ncs);				\
			}							\
		} else {							\
			for (i = 0; i < iters;) {				\
				uint64_t end = iters - i > LOCK_BENCH_STOP_EVERY \
					       ? i + LOCK_BENCH_STOP_EVERY : iters; \
										\
				if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED) == round) \
					break;					\
				for (; i < end; i++) {				\
					prefix##_acquire(lock, node);		\
					bench_work(cs);				\
					s->protected_count++;			\
					prefix##_release(lock, node);		\
					bench_work(ncs);			\
				}						\
			}							\
		}								\
		if (i == iters)							\
			__atomic_store_n(&s->stop, round, __ATOMIC_RELAXED);	\
		me->acquired += i;						\
		return i * s->levels;						\
	}

/*
 * The never-yielding build of spinner v (bench/lock_spin.c), by its wait
 * column in primitives/lock_list.h: declared for axis locks only.  The
 * other locks have one fixed policy, the column's token (sleep, adaptive
 * or spin), so that their rows still say how they wait.
 */
#define LOCK_BENCH_SPIN_DECL_axis(v) \
	uint64_t lock_bench_##v##_spin_run(struct bench_task *t, uint64_t iters);
#define LOCK_BENCH_SPIN_DECL_sleep(v)
#define LOCK_BENCH_SPIN_DECL_adaptive(v)
#define LOCK_BENCH_SPIN_DECL_spin(v)

#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary) \
	LOCK_BENCH_SPIN_DECL_##wait(v)
#include "primitives/lock_list.h"
#undef LOCK_VARIANT

#endif
