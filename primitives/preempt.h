/*
 * primitives/preempt.h - preemption points: where the primitives' tests
 * make rare interleavings common.
 *
 * A lock-free protocol is a few atomic steps, and its bugs live between
 * them: a hand-off lost because a flag was written after the node was
 * linked, a timer that checks its state and then sets it.  On a real
 * machine another task runs inside such a window once in millions of
 * tries, so a stress test that merely loops almost never sees it.
 * PRIM_TEST_PREEMPT() marks one such place.  In a normal build it is
 * nothing at all: build/contend and every benchmark measure the
 * primitives exactly as written.  Compiled with -DPRIM_PREEMPT (the copy
 * of the primitives library the prim tests link, see the Makefile), each
 * point draws from a per-thread pseudo-random generator and now and then
 * yields the CPU or spins a short random while, so that other tasks run
 * inside the window as a matter of course.
 *
 * Where the points go: between the steps of every protocol whose
 * correctness depends on what others may do in between (MCS and CLH link
 * and flag, Timer fire against cancel, Event set against wait and clear,
 * Condition notify against timeout, Semaphore release against acquire,
 * Lock release against a sleeper), and at the window a protocol exists to
 * close (after a wait word is read and before the futex sleeps on it).  A
 * point may sit anywhere a task can be preempted anyway; it must never
 * touch the object it sits in, so it is also allowed after the last access
 * of a release that lets the object be freed.
 *
 * Every atomic operation of primitives/ and every futex call is a point
 * as well (prim_preempt_atomic(), through primitives/atomic.h), so that a
 * window between any two atomics is widened, not only the marked ones.
 *
 * How often: a marked point yields on 4 draws in 64 and spins 1-512
 * cpu_relax() steps on 8; an atomic's point yields on 1 and spins on 2
 * (there are several per operation, and one in every turn of a spin-wait).
 * The draws are uniform 6-bit numbers from the thread's generator.
 *
 * Replaying a failure: every choice derives from one 64-bit seed, taken
 * from the environment variable PRIM_PREEMPT_SEED (decimal) or, when that
 * is unset, from the system's random source.  Each thread's generator is
 * seeded from it, the order in which threads first reach a point, and the
 * position of the process in its fork tree, so the same seed gives every
 * thread the same stream of choices.  The schedule itself stays the
 * kernel's, so a replay makes a failure likely again, not certain.  The
 * prim tests choose the seed before any test runs and print it beside
 * every failure.
 */
#ifndef CONTEND_PREEMPT_H
#define CONTEND_PREEMPT_H

#include <stdint.h>

/* The environment variable that fixes the seed. */
#define PRIM_PREEMPT_SEED_ENV "PRIM_PREEMPT_SEED"

#ifdef PRIM_PREEMPT
/*
 * One preemption point: usually nothing, sometimes sched_yield(),
 * sometimes a spin of a few hundred cpu_relax() steps.  Thread-safe,
 * async-signal-unsafe (it may initialise on first use), touches only
 * thread-local state and, once per process, the environment.
 */
void prim_preempt_point(void);
/* The seed this process's points derive from (reads it on first use). */
uint64_t prim_preempt_seed(void);
/* How many points in the calling thread yielded or spun so far: lets a
 * test prove that the library it runs against has its points in. */
uint64_t prim_preempt_taken(void);
/*
 * The point every atomic operation of primitives/ passes first
 * (primitives/atomic.h), and how many of them the calling thread passed
 * so far, taken or not.
 */
void prim_preempt_atomic(void);
uint64_t prim_preempt_atomics(void);
/*
 * Thin every point of the process out: each acts (yields or spins) one
 * time in 2^shift of those it would (0: all, the default).  For a long
 * stress run, a million items, whose length is what gives a rare
 * interleaving its chance: at full rate the points make each operation
 * ten or more times slower, so a million would not fit a test's time.
 */
void prim_preempt_thin(unsigned shift);
#define PRIM_TEST_PREEMPT() prim_preempt_point()
#else
#define PRIM_TEST_PREEMPT() ((void)0)
#endif

#endif
