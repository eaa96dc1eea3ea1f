/*
 * primitives/lock_list.h - the lock zoo's one list: every variant once, in
 * zoo order, as an X-macro, with the header that defines it.
 *
 * Everything that differs per lock comes from these lines: the externs
 * and the operation tables (primitives/lock.h, lock.c), the zoo array,
 * the per-variant tests and the unshareable set they expect
 * (tests/test_prim_lock.c, tests/test_h_lock.c), the lock.* benchmarks,
 * their policy and their registration (bench/lock.h, lock.c, lock_spin.c,
 * list.h).  So a new lock is one header with
 * lock_<name>_init/acquire/release/destroy (and _node_init) and one line
 * here, plus the #include of its header above its line if it has a new
 * one.  To use the list, include primitives/lock.h, define
 *
 *   LOCK_VARIANT(name, lock_type, node_bytes, node_init, fifo, wait,
 *                shared, summary)
 *
 * include this file (it has no include guard: it is meant to be expanded
 * many times; the headers it includes have theirs, and lock.h expands it
 * first at file scope) and #undef LOCK_VARIANT.  The columns:
 *
 *   name        the zoo's name; also the infix of lock_<name>_*,
 *               lock_<name>_ops and the benchmark lock.<name>
 *   lock_type   the lock object (sizeof is the ops' size)
 *   node_bytes  size of the per-acquirer node, 0 when none
 *   node_init   0 or 1 (a plain token: it is pasted): 1 when nodes need
 *               lock_<name>_node_init() before their first acquire
 *   fifo        LOCK_FIFO when waiters are served in turn, else 0
 *   wait        how a waiter waits, a plain token (pasted): sleep (blocks
 *               in the kernel), adaptive (spins a bounded while, then
 *               blocks), spin (never yields nor blocks), axis (contend's
 *               own spinners: sched_yield() after LOCK_SPIN_YIELD_AFTER
 *               pauses, a build option, so benchmarked twice, policy
 *               yield and spin).  It gives the ops' LOCK_SLEEPS and
 *               LOCK_YIELDS (lock.h) and the benchmark's `policy`.
 *   shared      shared: init accepts shared = 1 (several processes, the
 *               lock in MAP_SHARED memory); private: init refuses it with
 *               -ENOTSUP (the queue links nodes by process-private
 *               address).  The init decides; the tests hold it to this.
 *   summary     one line for `contend list`
 */
#ifndef CONTEND_LOCK_H
#error "include primitives/lock.h before primitives/lock_list.h"
#endif
#ifndef LOCK_VARIANT
#error "define LOCK_VARIANT(name, lock_type, node_bytes, node_init, fifo, wait, shared, summary)"
#endif

/* The C library's locks. */
#include "primitives/lock_pthread.h"
LOCK_VARIANT(mutex, struct lock_mutex, 0, 0, 0, sleep, shared,
	     "pthread mutex (NORMAL): sleeps on a futex when taken")
LOCK_VARIANT(mutex_adaptive, struct lock_mutex, 0, 0, 0, adaptive, shared,
	     "pthread mutex (ADAPTIVE_NP): spins a bounded while, then sleeps")
LOCK_VARIANT(spin, struct lock_spin, 0, 0, 0, spin, shared,
	     "pthread spinlock: spins on reads, never sleeps or yields")

/* contend's own spinners. */
#include "primitives/lock_tas.h"
#include "primitives/lock_ticket.h"
#include "primitives/lock_mcs.h"
#include "primitives/lock_clh.h"
LOCK_VARIANT(tas, struct lock_tas, 0, 0, 0, axis, shared,
	     "test-and-set: atomic exchange until it returns free")
LOCK_VARIANT(ttas, struct lock_ttas, 0, 0, 0, axis, shared,
	     "test-and-test-and-set: spin on reads, random exponential back-off")
LOCK_VARIANT(ticket, struct lock_ticket, 0, 0, LOCK_FIFO, axis, shared,
	     "ticket lock: FIFO, every waiter spins on one shared line")
LOCK_VARIANT(mcs, struct lock_mcs, sizeof(struct lock_mcs_node), 0,
	     LOCK_FIFO, axis, private,
	     "MCS queue lock: FIFO, each waiter spins on its own node")
LOCK_VARIANT(clh, struct lock_clh, sizeof(struct lock_clh_node), 1,
	     LOCK_FIFO, axis, private,
	     "CLH queue lock: FIFO, each waiter spins on its predecessor's node")

/* Sleeping locks. */
#include "primitives/lock_futex.h"
LOCK_VARIANT(futex, struct lock_futex, 0, 0, 0, sleep, shared,
	     "futex mutex, three states (Drepper): no spinning, sleeps at once")
LOCK_VARIANT(rwlock, struct lock_rwlock, 0, 0, 0, sleep, shared,
	     "pthread rwlock taken for writing only")
LOCK_VARIANT(sem, struct lock_sem, 0, 0, 0, sleep, shared,
	     "POSIX semaphore of value 1: sem_wait to lock, sem_post to unlock")

/* Concurrency Kit's spinlocks as peers; they never yield. */
#include "primitives/lock_ck.h"
LOCK_VARIANT(ck_fas, struct lock_ck_fas, 0, 0, 0, spin, shared,
	     "Concurrency Kit fas: fetch-and-store spinlock")
LOCK_VARIANT(ck_cas, struct lock_ck_cas, 0, 0, 0, spin, shared,
	     "Concurrency Kit cas: compare-and-swap spinlock")
LOCK_VARIANT(ck_dec, struct lock_ck_dec, 0, 0, 0, spin, shared,
	     "Concurrency Kit dec: decrement spinlock")
LOCK_VARIANT(ck_ticket, struct lock_ck_ticket, 0, 0, LOCK_FIFO, spin, shared,
	     "Concurrency Kit ticket: FIFO, one packed word")
LOCK_VARIANT(ck_mcs, struct lock_ck_mcs, sizeof(struct lock_ck_mcs_node), 0,
	     LOCK_FIFO, spin, private,
	     "Concurrency Kit MCS queue lock")
LOCK_VARIANT(ck_clh, struct lock_ck_clh, sizeof(struct lock_ck_clh_node), 1,
	     LOCK_FIFO, spin, private,
	     "Concurrency Kit CLH queue lock")
LOCK_VARIANT(ck_anderson, struct lock_ck_anderson,
	     sizeof(struct lock_ck_anderson_node), 0, LOCK_FIFO, spin, shared,
	     "Concurrency Kit Anderson array lock: one flag per waiter")
LOCK_VARIANT(ck_hclh, struct lock_ck_hclh, sizeof(struct lock_ck_hclh_node), 1,
	     LOCK_FIFO, spin, private,
	     "Concurrency Kit hierarchical CLH, one cluster: CLH plus a splice")
