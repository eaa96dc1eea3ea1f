/*
 * bench/sync_cond.c - Condition.notify(): how long a released waiter
 * takes to run, and what a wait_for() loop sustains.
 *
 * sync.cond: task 0 notifies, tasks 1..N-1 wait (Condition.wait under
 * the lock).  One cycle releases every waiter once: with notify=all one
 * notify_all(); with notify=one, N-1 notify(1) in turn, each after the
 * waiter released by the one before has run, so each release is timed
 * alone.  A first-principles bound on every latency round: what one
 * cycle's releases recorded (their sum with notify=one, whose releases
 * follow one another; the longest with notify=all) fits in the cycle,
 * from its first stamp to the notifier seeing every waiter back, read
 * once a cycle by the notifier (1 us a release allowed for clocks of
 * different processors); check() fails the run otherwise.  The notifier first waits until every waiter is inside wait()
 * (the condition's own count) and really asleep on its word
 * (bench/sync.h), stamps the clock under the lock and
 * notifies; a released waiter, back from wait() with the lock, records
 * how long after the stamp it runs (release_*: the notify, the
 * notifier's unlock and the waiter's wake-up and re-lock;
 * waiters_per_notify: 1 or N-1, which of the two ran).  Released
 * waiters then sleep at a gate until the cycle ends (bench/sync.h), so
 * none can take a notify meant for another.
 *
 * sync.cond.wait_for: task 0 bumps a counter under the lock and
 * notify_all()s, without waiting for anyone; tasks 1..N-1 wait_for()
 * the counter to pass what they saw last.  bump: the producer's rate
 * with consumers on the lock; bumps_per_wake: how many bumps a
 * consumer's wake-up covers on average (1 when it keeps up).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bench/sync.h"

/* sync.cond's figures besides its cycles (harness/bench.h, BENCH_FIGURES):
 * notify to each released waiter running, timed by the waiter; and how
 * many waiters each notify call released, from the notifier's count of
 * its calls and the waiters' count of their releases: 1 with notify=one,
 * N-1 with notify=all, a known answer that says which the row ran; and
 * the fewest waiters the kernel counted asleep on the condition's word
 * at the first notify of any cycle of the round, N-1 either way: the
 * release rows time wake-ups of sleepers, not waiters on their way in. */
#define SYNC_BENCH_COND_FIGURES(VALUE, HIST)					\
	HIST(SYNC_BENCH_COND_HIST_RELEASE, "release")				\
	VALUE(SYNC_BENCH_COND_WAITERS_PER_NOTIFY, .name = "waiters_per_notify",	\
	      .unit = "ratio", .per_iter = 1, .combine = BENCH_COMBINE_MEAN)	\
	VALUE(SYNC_BENCH_COND_ASLEEP_AT_NOTIFY, .name = "asleep_at_notify",	\
	      .unit = "tasks", .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(SYNC_BENCH_COND, SYNC_BENCH_COND_FIGURES);

/* The planner's test (bench_desc.unfit): nobody to notify alone. */
static const char *sync_bench_cond_unfit(const struct bench_state *st)
{
	return st->ntasks < 2 ? "sync.cond needs a waiter besides the notifier" : NULL;
}

static int sync_bench_cond_setup(struct bench_state *st)
{
	struct sync_bench_cond_shared *s;

	if (st->ntasks < 2)
		return bench_skip(st, sync_bench_cond_unfit(st));
	s = bench_shared_alloc(st, sizeof(*s) + sizeof(uint64_t) * (size_t)st->ntasks);
	if (!s)
		return -ENOMEM;
	s->tid = bench_shared_alloc(st, sizeof(uint32_t) * (size_t)st->ntasks);
	if (!s->tid)
		return -ENOMEM;
	sync_lock_init(&s->lock, sync_bench_shared(st));
	sync_cond_init(&s->cond, &s->lock);
	s->all = strcmp(bench_param_str(st, "notify"), "all") == 0;
	st->priv = s;
	return 0;
}

/* Waiters say who they are; the notifier checks it can watch them. */
static int sync_bench_cond_task_init(struct bench_task *t)
{
	struct sync_bench_cond_shared *s = t->st->priv;

	return sync_bench_watch_task_init(t, s->tid);
}

/* Stamp and notify (n waiters, or all of them) under the lock; counts an
 * error when the notify did not release exactly `want`. */
static uint64_t sync_bench_cond_notify(struct sync_bench_cond_shared *s, int rec, int all,
					   int want)
{
	int got;

	sync_lock_acquire(&s->lock);
	if (rec)
		s->stamp_ns = bench_now_ns();
	got = all ? sync_cond_notify_all(&s->cond) : sync_cond_notify(&s->cond, 1);
	sync_lock_release(&s->lock);
	return got != want;
}

static void sync_bench_cond_notifier(struct bench_task *t, struct sync_bench_cond_shared *s,
				     uint64_t iters, int rec, int shared)
{
	uint32_t nwait = (uint32_t)t->st->ntasks - 1, base;
	uint64_t k = s->cycles, errors = 0, unconfirmed = 0, calls = 0;
	int fewest = (int)nwait, asleep;
	uint32_t released0 = __atomic_load_n(&s->released, __ATOMIC_ACQUIRE);

	/* Opened here, not in task_init: every waiter's id is out now. */
	if (!t->local)
		t->local = sync_bench_watch_open(s->tid, (int)nwait);
	for (uint64_t i = 0; i < iters; i++, k++) {
		/* An unlocked look (what sync_cond_waiting reads): once it
		 * reads nwait only a notify can lower it, and only we notify.
		 * Then every one asleep on `seq`: a notify wakes sleepers. */
		sync_bench_spin_until(&s->cond.waiting, nwait);
		/* After one failure, no more 2 s waits: the run fails. */
		if (!t->local || s->unconfirmed || unconfirmed ||
		    sync_bench_await_asleep(t->local, &s->cond.seq, (int)nwait, shared) < 0)
			unconfirmed++;
		/* The kernel's count again, apart from the confirmation and
		 * before the stamp (untimed): only a notify wakes `seq`, so
		 * all nwait still sleep; asleep_at_notify says so, or not.
		 * (Later notify(1)s of a cycle find one fewer each, by
		 * design: the loop below waits for exactly that.) */
		asleep = sync_bench_futex_sleepers(&s->cond.seq, shared);
		if (asleep < fewest)
			fewest = asleep;
		base = (uint32_t)(nwait * k);
		uint64_t first = rec ? bench_now_ns() : 0;

		if (s->all) {
			errors += sync_bench_cond_notify(s, rec, 1, (int)nwait);
			calls++;
		} else {
			for (uint32_t j = 1; j <= nwait; j++) {
				/* Those not released yet slept through the
				 * notifies before (each woke one): still
				 * asleep, as the kernel's count says. */
				while (j > 1 && sync_bench_futex_sleepers(&s->cond.seq, shared) !=
						(int)(nwait - j + 1))
					sched_yield();
				errors += sync_bench_cond_notify(s, rec, 0, 1);
				calls++;
				/* That waiter has read the stamp: the next may go. */
				sync_bench_spin_until(&s->released, base + j);
			}
		}
		sync_bench_spin_until(&s->released, base + nwait);
		/* Every waiter added its release before its count, which we
		 * have seen: the cycle's figure is whole. */
		if (rec && s->cycle_release_ns > bench_now_ns() - first + 1000 * (uint64_t)nwait)
			s->overlong++;
		s->cycle_release_ns = 0;	/* before the gate: no waiter adds now */
		sync_bench_gate_open(&s->open, (uint32_t)(k + 1), shared);
	}
	s->cycles = k;
	s->unconfirmed += unconfirmed;
	if (errors)
		__atomic_fetch_add(&s->errors, errors, __ATOMIC_RELAXED);
	if (iters)
		bench_report(t, SYNC_BENCH_COND_ASLEEP_AT_NOTIFY, (double)fewest);
	/* Releases counted by the waiters themselves (mod 2^32, as the
	 * count runs), not what the notifies returned. */
	if (calls)
		bench_report(t, SYNC_BENCH_COND_WAITERS_PER_NOTIFY,
			     (double)(uint32_t)(__atomic_load_n(&s->released, __ATOMIC_ACQUIRE) -
						released0) / (double)calls);
}

static void sync_bench_cond_waiter(struct bench_task *t, struct sync_bench_cond_shared *s,
				     uint64_t iters, int rec, int shared)
{
	uint64_t w = s->wakes[t->id], errors = 0;

	for (uint64_t i = 0; i < iters; i++) {
		sync_bench_gate_await(&s->open, (uint32_t)w, shared);
		sync_lock_acquire(&s->lock);
		/* No timeout: only a notify returns it (sync.h), so no
		 * predicate is needed to tell a release from a spurious wake. */
		if (sync_cond_wait(&s->cond, -1) != 0)
			errors++;
		if (rec) {
			uint64_t ns = sync_bench_since(s->stamp_ns);

			bench_record_ns(t, SYNC_BENCH_COND_HIST_RELEASE, ns);
			/* Under the lock: one waiter at a time adds. */
			if (!s->all)
				s->cycle_release_ns += ns;
			else if (ns > s->cycle_release_ns)
				s->cycle_release_ns = ns;
		}
		/* Release: our read of the stamp happens before the next is
		 * written (the notifier sees this count first). */
		__atomic_fetch_add(&s->released, 1, __ATOMIC_RELEASE);
		sync_lock_release(&s->lock);
		w++;
	}
	s->wakes[t->id] = w;
	if (errors)
		__atomic_fetch_add(&s->errors, errors, __ATOMIC_RELAXED);
}

static uint64_t sync_bench_cond_run(struct bench_task *t, uint64_t iters)
{
	struct sync_bench_cond_shared *s = t->st->priv;
	int rec = bench_recording(t), shared = sync_bench_shared(t->st);

	if (t->id == 0) {
		sync_bench_cond_notifier(t, s, iters, rec, shared);
		return iters;
	}
	sync_bench_cond_waiter(t, s, iters, rec, shared);
	return 0;
}

static const char *sync_bench_cond_check(struct bench_state *st, uint64_t run_iters,
				   uint64_t base_iters)
{
	struct sync_bench_cond_shared *s = st->priv;

	(void)base_iters;
	if (s->cycles != run_iters)
		return "the notifier did not complete every cycle";
	if (s->errors)
		return "a notify released the wrong number of waiters, or a wait was not released";
	if (s->unconfirmed)
		return "a notify found a waiter not asleep on the condition after 2 s (a kernel "
		       "whose /proc/<tid>/wchan shows no sleeper, or a bug)";
	for (int i = 1; i < st->ntasks; i++)
		if (s->wakes[i] != run_iters)
			return "a waiter was not released once per cycle";
	if (sync_cond_waiting(&s->cond) != 0)
		return "a waiter was left inside wait()";
	if (s->overlong)
		return "a cycle's release latencies add up to more than the cycle lasted (a stamp "
		       "from an earlier notify, or a unit slip)";
	return NULL;
}

static const struct bench_param sync_bench_cond_params[] = {
	{ .name = "notify", .def = "one,all", .choices = "one|all",
	  .help = "one: N-1 notify(1) per cycle, each timed alone; all: one notify_all()" },
	{ .name = NULL },
};

static const struct bench_metric sync_bench_cond_metrics[] = {
	BENCH_FIGURE_ROWS(SYNC_BENCH_COND_FIGURES)
	{ .name = "cycle", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

const struct bench_desc bench_sync_cond = {
	.name = "sync.cond",
	.summary = "Condition.notify(1) / notify_all() to N-1 waiters: notify -> each released "
		   "waiter running",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.params = sync_bench_cond_params,
	.metrics = sync_bench_cond_metrics,
	.setup = sync_bench_cond_setup, .unfit = sync_bench_cond_unfit,
	.task_init = sync_bench_cond_task_init,
	.run = sync_bench_cond_run,
	.task_fini = sync_bench_watch_task_fini,
	.check = sync_bench_cond_check,
};

/* ---- sync.cond.wait_for -------------------------------------------------- */

/* What each consumer reports of a round (harness/bench.h, BENCH_FIGURES):
 * the bumps it saw over the wake-ups it took, a mean over consumers. */
#define SYNC_BENCH_COND_WF_FIGURES(VALUE, HIST)					\
	VALUE(SYNC_BENCH_COND_WF_BUMPS_PER_WAKE, .name = "bumps_per_wake",	\
	      .unit = "ratio", .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(SYNC_BENCH_COND_WF, SYNC_BENCH_COND_WF_FIGURES);

/* wait_for's predicate: has the counter moved past what we saw?  Runs
 * under the lock. */
struct sync_bench_cond_wf_look {
	const uint64_t *counter;
	uint64_t seen;
};

static int sync_bench_cond_wf_moved(void *arg)
{
	const struct sync_bench_cond_wf_look *l = arg;

	return *l->counter > l->seen;
}

/* The planner's test (bench_desc.unfit). */
static const char *sync_bench_cond_wf_unfit(const struct bench_state *st)
{
	return st->ntasks < 2 ? "sync.cond.wait_for needs a consumer besides the producer" : NULL;
}

static int sync_bench_cond_wf_setup(struct bench_state *st)
{
	struct sync_bench_cond_wf_shared *s;

	if (st->ntasks < 2)
		return bench_skip(st, sync_bench_cond_wf_unfit(st));
	s = bench_shared_alloc(st, sizeof(*s) + sizeof(uint64_t) * (size_t)st->ntasks);
	if (!s)
		return -ENOMEM;
	sync_lock_init(&s->lock, sync_bench_shared(st));
	sync_cond_init(&s->cond, &s->lock);
	st->priv = s;
	return 0;
}

static uint64_t sync_bench_cond_wf_run(struct bench_task *t, uint64_t iters)
{
	struct sync_bench_cond_wf_shared *s = t->st->priv;
	struct sync_bench_cond_wf_look look = { .counter = &s->counter, .seen = s->seen[t->id] };
	/* Every task runs `iters` per round, so the producer's bumps this
	 * round end where this consumer's target is. */
	uint64_t target = look.seen + iters, wakes = 0, errors = 0, empty = 0;

	if (t->id == 0) {
		for (uint64_t i = 0; i < iters; i++) {
			sync_lock_acquire(&s->lock);
			s->counter++;
			sync_cond_notify_all(&s->cond);
			sync_lock_release(&s->lock);
		}
		return iters;
	}
	while (look.seen < target) {
		sync_lock_acquire(&s->lock);
		if (sync_cond_wait_for(&s->cond, sync_bench_cond_wf_moved, &look, -1) != 0)
			errors++;
		if (s->counter == look.seen)
			empty++;
		look.seen = s->counter;
		sync_lock_release(&s->lock);
		wakes++;
	}
	bench_report(t, SYNC_BENCH_COND_WF_BUMPS_PER_WAKE, (double)iters / (double)wakes);
	s->seen[t->id] = look.seen;
	if (errors || empty) {
		__atomic_fetch_add(&s->errors, errors, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->empty, empty, __ATOMIC_RELAXED);
	}
	return 0;
}

static const char *sync_bench_cond_wf_check(struct bench_state *st, uint64_t run_iters,
				      uint64_t base_iters)
{
	struct sync_bench_cond_wf_shared *s = st->priv;

	(void)base_iters;
	if (s->counter != run_iters)
		return "the producer did not bump the counter every iteration";
	if (s->errors)
		return "a wait_for() failed";
	if (s->empty)
		return "a wait_for() returned with its predicate false (nothing new)";
	for (int i = 1; i < st->ntasks; i++)
		if (s->seen[i] != run_iters)
			return "a consumer did not see every bump";
	return NULL;
}

static const struct bench_metric sync_bench_cond_wf_metrics[] = {
	{ .name = "bump", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1,
	  .higher_is_better = 1 },
	BENCH_FIGURE_ROWS(SYNC_BENCH_COND_WF_FIGURES)
	{ .name = NULL },
};

const struct bench_desc bench_sync_cond_wait_for = {
	.name = "sync.cond.wait_for",
	.summary = "a producer bumps a counter and notify_all()s; consumers wait_for() it to move",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD | BENCH_MODE_PROCESS,
	.metrics = sync_bench_cond_wf_metrics,
	.setup = sync_bench_cond_wf_setup, .unfit = sync_bench_cond_wf_unfit,
	.run = sync_bench_cond_wf_run,
	.check = sync_bench_cond_wf_check,
};
