/*
 * bench/sync.h - what the sync.* workloads share: the hand-shakes that
 * line their tasks up between measured wake-ups, built on bare futexes
 * and atomics so that they never use the object under test.
 *
 * A wake-up benchmark times one release of sleeping waiters at a time.
 * Between two releases the releaser waits for its waiters to be back
 * inside the object (sync_bench_spin_until on the object's own count of
 * sleepers), and the waiters, once released, wait at a gate until the
 * releaser opens the next cycle (sync_bench_gate_await): so each cycle
 * wakes every waiter exactly once and none can run ahead into the next.
 */
#ifndef CONTEND_BENCH_SYNC_H
#define CONTEND_BENCH_SYNC_H

#include <limits.h>
#include <sched.h>
#include <stdint.h>

#include "harness/bench.h"
#include "primitives/arch/cpu.h"
#include "primitives/futex.h"
#include "primitives/sync.h"

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

/* now - stamp, or 0 where the two processors' clocks disagree by more
 * than the interval (the calibrated clock is synchronised, not exact). */
static inline uint64_t sync_bench_since(uint64_t stamp)
{
	uint64_t now = bench_now_ns();

	return now > stamp ? now - stamp : 0;
}

#endif
