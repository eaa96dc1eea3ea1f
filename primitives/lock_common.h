/*
 * primitives/lock_common.h - what every hand-written lock of the zoo
 * shares: the spin-wait step, the ThreadSanitizer annotations, the
 * atomics (primitives/atomic.h) and the test build's preemption points
 * (primitives/preempt.h).
 *
 * Included by the per-variant headers (lock_tas.h, lock_mcs.h, ...);
 * users include primitives/lock.h or one per-variant header instead.
 */
#ifndef CONTEND_LOCK_COMMON_H
#define CONTEND_LOCK_COMMON_H

#include <sched.h>

#include "primitives/arch/cpu.h"
#include "primitives/atomic.h"
#include "primitives/preempt.h"

/*
 * After this many cpu_relax() steps in a row a waiter calls sched_yield().
 *
 * Why a spinlock yields at all: a spinning waiter cannot know whether the
 * task it waits for (the holder, or for FIFO locks the next in line) is
 * running.  When tasks outnumber CPUs - CI machines have 2 cores and run
 * several test binaries at once - a waiter that never yields burns its
 * whole time slice (milliseconds) waiting for a task that its own CPU is
 * keeping off the processor, and a FIFO lock then hands over about once a
 * time slice (the "convoy").  Yielding lets that task run.  It changes no
 * ordering decision of any algorithm: the waiter keeps its ticket or queue
 * position and simply re-checks after the yield.
 *
 * Why 128: a cpu_relax() (PAUSE) costs from about 3 ns (older Intel cores)
 * to about 40 ns (Skylake-X, Zen 3), so 128 of them take roughly 0.5-5 us:
 * longer than a cache-line hand-over between running cores (~0.1 us) and
 * than the short critical sections contend measures, so a waiter whose
 * predecessor is running rarely gets there; about as long as the context
 * switch that an oversubscribed FIFO lock needs at each hand-over, so the
 * convoy costs a few microseconds per hand-over rather than a time slice
 * (~3 ms).  When nothing else is runnable on the CPU, sched_yield()
 * returns at once, so a needless yield costs one system call per 128
 * spins.
 *
 * Build with -DLOCK_SPIN_YIELD_AFTER=0 to measure the algorithms as pure
 * spinners (the yield branch then compiles away).  Concurrency Kit's locks
 * never yield whatever this says.
 */
#ifndef LOCK_SPIN_YIELD_AFTER
#define LOCK_SPIN_YIELD_AFTER 128u
#endif

/*
 * One step of a spin-wait: a pause hint, and a sched_yield() once every
 * LOCK_SPIN_YIELD_AFTER steps.  *spins is the caller's step counter,
 * starting at 0 for each wait.
 */
static inline void lock_relax(unsigned *spins)
{
	cpu_relax();
#if LOCK_SPIN_YIELD_AFTER
	if (++*spins >= LOCK_SPIN_YIELD_AFTER) {
		*spins = 0;
		sched_yield();
	}
#else
	(void)spins;
#endif
}

/*
 * ThreadSanitizer understands C11 atomics and the pthread/semaphore calls,
 * so contend's own locks need no annotation.  It cannot see through
 * Concurrency Kit's ck_pr_* operations, which are inline assembly on
 * x86-64: without help it would report every access a ck lock protects as
 * a data race.  LOCK_TSAN_ACQUIRED(lock) after a ck lock is taken and
 * LOCK_TSAN_RELEASING(lock) just before it is given up tell TSan the
 * happens-before edge the lock really provides (release -> next acquire on
 * the same address), so the lock is still checked rather than excluded.
 */
#if defined(__SANITIZE_THREAD__)
#define LOCK_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LOCK_TSAN 1
#endif
#endif

/*
 * ck's CLH-style locks also read, with plain loads, queue elements that
 * other tasks filled with plain stores; the edge that orders them is a
 * ck_pr swap, invisible to TSan, and it sits inside ck's own lock/unlock,
 * where no annotation can reach.  LOCK_TSAN_IGNORE_READS_BEGIN/END around
 * those calls tell TSan to skip just the reads made inside them (the
 * runtime's AnnotateIgnoreReads* entry points, which have no header);
 * writes stay checked, and so does everything the lock protects.
 */
#ifdef LOCK_TSAN
#include <sanitizer/tsan_interface.h>
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define LOCK_TSAN_ACQUIRED(addr)	__tsan_acquire(addr)
#define LOCK_TSAN_RELEASING(addr)	__tsan_release(addr)
#define LOCK_TSAN_IGNORE_READS_BEGIN()	\
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define LOCK_TSAN_IGNORE_READS_END()	\
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define LOCK_TSAN_ACQUIRED(addr)	((void)(addr))
#define LOCK_TSAN_RELEASING(addr)	((void)(addr))
#define LOCK_TSAN_IGNORE_READS_BEGIN()	((void)0)
#define LOCK_TSAN_IGNORE_READS_END()	((void)0)
#endif

#endif
