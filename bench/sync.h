/*
 * bench/sync.h - what the sync.* workloads share: the hand-shakes that
 * line their tasks up between measured wake-ups, built on bare futexes
 * and atomics so that they never use the object under test.
 *
 * A wake-up benchmark times one release of sleeping waiters at a time.
 * Between two releases the releaser waits for its waiters to be back
 * inside the object (sync_bench_spin_until on the object's own count),
 * and then for every one of them to be really asleep
 * (sync_bench_await_asleep): the object's count rises before a waiter
 * sleeps, and a release that finds a waiter still on its way in times
 * no wake-up at all (audited: runs of one configuration read 1.1 or
 * 3.0 us, with 0.01 or 4 switches a cycle).  The waiters, once released,
 * wait at a gate until the releaser opens the next cycle
 * (sync_bench_gate_await): so each cycle wakes every waiter exactly once
 * and none can run ahead into the next.
 */
#ifndef CONTEND_BENCH_SYNC_H
#define CONTEND_BENCH_SYNC_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness/bench.h"
#include "primitives/arch/cpu.h"
#include "primitives/futex.h"
#include "primitives/sync.h"

/* sync.timer's and sync.timer.cancel's state (bench/sync_timer.c;
 * in this header so that the tests can hand check() a wrong count). */
struct sync_bench_timer {
	struct sync_event fired;	/* set by the timer's function */
	int64_t delay_ns;
	uint64_t fire_ns;	/* the clock when the function ran */
	uint64_t calls;		/* the function's runs */
	uint64_t early;		/* fired before their delay had passed */
	uint64_t ops;		/* timers started */
	uint64_t errors;	/* start / wait / join / cancel failures */
};

/*
 * sync.event's shared state (bench/sync_event.c), here so that a test
 * can write a state wrong in one count and ask check() about it
 * (tests/test_h_sync.c).
 */
struct sync_bench_event_shared {
	struct sync_event ev;
	uint64_t stamp_ns;	/* set by task 0 just before set(), when recording */
	uint32_t arrived;	/* waiters back from wait(), over all cycles (mod 2^32) */
	uint32_t open;		/* gate: the cycle the waiters may wait for */
	uint64_t cycles;	/* sets by task 0 */
	uint64_t errors;	/* waits that did not return 0 */
	uint64_t unconfirmed;	/* cycles whose waiters were never seen asleep */
	int miscount;		/* selftest.event_miscount: one sleeper short at a round's first set */
	uint32_t *tid;		/* per task: its thread id, for the setter's watch */
	uint64_t wakes[];	/* per task: waits that returned */
};

/*
 * The other sync.* workloads' shared states, here for the same reason:
 * sync.cond's and sync.cond.wait_for's (bench/sync_cond.c), sync.sem's
 * (bench/sync_sem.c) and sync.event.idle's (bench/sync_event.c); a test
 * writes one wrong and asks check() (tests/test_h_checks_sync.c).
 */
struct sync_bench_cond_shared {
	struct sync_lock lock;	/* the condition finds it by offset: same mapping */
	struct sync_cond cond;
	int all;		/* notify=all */
	uint64_t stamp_ns;	/* written under the lock before a notify */
	uint32_t released;	/* waiters back from wait(), all cycles (mod 2^32) */
	uint32_t open;		/* gate: the cycle the waiters may wait in */
	uint64_t cycles;	/* cycles by task 0 */
	uint64_t errors;	/* waits not released, notifies releasing the wrong count */
	uint64_t unconfirmed;	/* notifies whose waiters were never seen asleep */
	/* Latency rounds: this cycle's releases, summed (notify=one) or
	 * their longest (all), by the waiters under the lock; and the
	 * cycles whose releases did not fit in them (check()). */
	uint64_t cycle_release_ns;
	uint64_t overlong;
	uint32_t *tid;		/* per task: its thread id, for the notifier's watch */
	uint64_t wakes[];	/* per task */
};

struct sync_bench_cond_wf_shared {
	struct sync_lock lock;
	struct sync_cond cond;
	uint64_t counter;	/* bumps, under the lock */
	uint64_t errors;	/* wait_for() failures */
	uint64_t empty;		/* wait_for() returns with nothing new: pred lied */
	uint64_t seen[];	/* per consumer: the counter it saw last */
};

struct sync_bench_sem {
	struct sync_sem sem;
	uint32_t permits;	/* as initialised: the bound check() holds to */
	uint64_t hold_ns;	/* as asked: the floor check() holds rounds to */
	uint64_t hold_loops;	/* bench_work() iterations of hold_ns */
	struct timespec hold_nap;	/* hold=sleep: hold_ns as a relative sleep */
	int sleep;		/* hold=sleep */
	uint32_t inside CPU_ALIGNED;	/* tasks between acquire and release */
	uint32_t max_ever;	/* the most any task saw inside, all rounds */
	uint64_t errors;	/* acquires that did not return 0, bad releases */
	/* hold=sleep: the tasks done with this round, and the rounds that
	 * spanned less than their holds allow (check()). */
	uint32_t round_done CPU_ALIGNED;
	uint64_t short_rounds;
	uint64_t *start_ns, *end_ns;	/* per task, this round */
	uint64_t ops[];		/* per task: admissions */
};

struct sync_bench_event_idle {
	struct sync_event ev;
	uint64_t cycles;
};

/* Whether the objects of this configuration live between processes:
 * shared futexes (no FUTEX_PRIVATE_FLAG) only where they must. */
static inline int sync_bench_shared(const struct bench_state *st)
{
	return st->mode == BENCH_MODE_PROCESS;
}

/*
 * Wait until *word == want, for the short waits of a releaser on its
 * waiters: spin first (the waiters are running, a few microseconds
 * away), then yield, so that with more tasks than processors the tasks
 * waited for get the processor.  1000 pauses: about the cost of one
 * futex round trip, after which sleeping would have been cheaper.
 * Acquire: pairs with the release (or the lock) that moved the word, so
 * what the waiters wrote before it is visible.
 */
static inline void sync_bench_spin_until(const uint32_t *word, uint32_t want)
{
	for (unsigned n = 0; __atomic_load_n(word, __ATOMIC_ACQUIRE) != want; n++) {
		if (n < 1000)
			cpu_relax();
		else
			sched_yield();
	}
}

/* Sleep until the gate word reads `want` (a cycle number, mod 2^32). */
static inline void sync_bench_gate_await(uint32_t *word, uint32_t want, int shared)
{
	uint32_t v;

	/* Acquire: pairs with the release in sync_bench_gate_open. */
	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != want)
		futex_wait(word, v, NULL, shared);
}

/* Open the gate to cycle `to` and wake everyone waiting at it.  Release:
 * what the opener did for the cycle (clearing the event) is visible to
 * whoever passes. */
static inline void sync_bench_gate_open(uint32_t *word, uint32_t to, int shared)
{
	__atomic_store_n(word, to, __ATOMIC_RELEASE);
	futex_wake(word, INT_MAX, shared);
}

/*
 * How many tasks sleep in the kernel on `word` now: a requeue of the
 * word's sleepers onto the word itself, which wakes none (nr_wake 0)
 * and moves none (a requeue within one hash bucket leaves the queue as
 * it is), and returns how many it requeued.  The compare is the kernel's
 * and only guards the call; a word that moved is read again.  -errno
 * where the kernel refuses.
 */
static inline int sync_bench_futex_sleepers(uint32_t *word, int shared)
{
	int op = FUTEX_CMP_REQUEUE | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	for (;;) {
		/* Relaxed: a value for the kernel's compare only. */
		uint32_t v = __atomic_load_n(word, __ATOMIC_RELAXED);
		long r = syscall(SYS_futex, word, op, 0, (void *)(uintptr_t)INT_MAX, word, v);

		if (r >= 0)
			return (int)r;
		if (errno != EAGAIN)
			return -errno;
	}
}

/*
 * The releaser's view of its waiters' scheduling state: one open
 * /proc/<tid>/wchan per waiter.  The kernel prints "0" there unless the
 * task is off the run queue, blocked (get_wchan() looks only at a task
 * that is neither running nor queued), so a name there is a waiter that
 * really slept, not one between its futex call and the switch.
 */
struct sync_bench_watch {
	int n;
	int fd[];
};

/* Give up waiting for a sleeper after this long: a kernel whose wchan
 * says nothing would otherwise hang the run (check() then fails it). */
#define SYNC_BENCH_ASLEEP_NS 2000000000ull

/* Can this kernel tell a sleeper (task_init of the releaser)?  0, or
 * bench_skip's -ENOTSUP with the reason. */
static inline int sync_bench_watch_probe(struct bench_state *st)
{
	uint32_t word = 0;
	int fd = open("/proc/thread-self/wchan", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return bench_skip(st, "cannot confirm that waiters sleep: /proc/thread-self/wchan "
				  "cannot be read here");
	close(fd);
	if (sync_bench_futex_sleepers(&word, 0) != 0)
		return bench_skip(st, "cannot confirm that waiters sleep: the kernel refuses "
				  "to count a futex's sleepers (FUTEX_CMP_REQUEUE)");
	return 0;
}

/* Open the wchan of the n waiters tid[1..n] (task 0 is the releaser).
 * NULL when out of memory; a file that does not open reads as -1 and
 * never confirms. */
static inline struct sync_bench_watch *sync_bench_watch_open(const uint32_t *tid, int n)
{
	struct sync_bench_watch *w = malloc(sizeof(*w) + sizeof(int) * (size_t)n);
	char path[64];

	if (!w)
		return NULL;
	w->n = n;
	for (int i = 0; i < n; i++) {
		/* Acquire: the waiter published it in task_init, before the
		 * first round's gate. */
		snprintf(path, sizeof(path), "/proc/%u/wchan",
			 __atomic_load_n(&tid[i + 1], __ATOMIC_ACQUIRE));
		w->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
	return w;
}

static inline void sync_bench_watch_close(struct sync_bench_watch *w)
{
	for (int i = 0; w && i < w->n; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
	free(w);
}

/*
 * The watched workloads' task_init and task_fini: a task says who it
 * is (tid[id], read by the task that opens the watch); task 0 checks it
 * can watch; the watch a task opened goes with it.
 */
static inline int sync_bench_watch_task_init(struct bench_task *t, uint32_t *tid)
{
	__atomic_store_n(&tid[t->id], sync_thread_id(), __ATOMIC_RELEASE);
	return t->id == 0 ? sync_bench_watch_probe(t->st) : 0;
}

static inline void sync_bench_watch_task_fini(struct bench_task *t)
{
	sync_bench_watch_close(t->local);
	t->local = NULL;
}

/* Whether every watched waiter is off the run queue, blocked. */
static inline int sync_bench_all_blocked(const struct sync_bench_watch *w)
{
	char buf[64];

	for (int i = 0; i < w->n; i++) {
		ssize_t r = w->fd[i] < 0 ? -1 : pread(w->fd[i], buf, sizeof(buf), 0);

		if (r <= 0 || (r == 1 && buf[0] == '0'))
			return 0;
	}
	return 1;
}

/*
 * Wait until all `want` waiters sleep on `word` (the kernel's count of
 * its sleepers) and every watched waiter is off the processor (wchan).
 * Both: the count says they sleep on the object's word and not at some
 * other futex, wchan that the sleep is complete, so a release wakes a
 * task that must be switched back in.  0, or -ETIMEDOUT after
 * SYNC_BENCH_ASLEEP_NS without it.
 */
static inline int sync_bench_await_asleep(const struct sync_bench_watch *w, uint32_t *word,
					  int want, int shared)
{
	uint64_t start = bench_now_ns();

	while (sync_bench_futex_sleepers(word, shared) != want || !sync_bench_all_blocked(w)) {
		if (bench_now_ns() - start > SYNC_BENCH_ASLEEP_NS)
			return -ETIMEDOUT;
		/* A waiter on our processor needs it to get to sleep. */
		sched_yield();
	}
	return 0;
}

/* now - stamp, or 0 where the two processors' clocks disagree by more
 * than the interval (the calibrated clock is synchronised, not exact). */
static inline uint64_t sync_bench_since(uint64_t stamp)
{
	uint64_t now = bench_now_ns();

	return now > stamp ? now - stamp : 0;
}

#endif
