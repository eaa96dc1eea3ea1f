/*
 * primitives/lock_list.h - the lock zoo's one list: every variant once, in
 * zoo order, as an X-macro.
 *
 * The externs and the operation tables (primitives/lock.h, lock.c), the
 * zoo array, the per-variant tests, and any benchmark built once per
 * variant all come from these lines, so a new lock is one header with
 * lock_<name>_init/acquire/release/destroy (and _node_init) and one line
 * here.  To use it, include primitives/lock.h, define
 *
 *   LOCK_VARIANT(name, lock_type, node_bytes, node_init, flags, summary)
 *
 * include this file (it has no include guard: it is meant to be expanded
 * many times) and #undef LOCK_VARIANT.  The columns:
 *
 *   name        the zoo's name; also the infix of lock_<name>_* and
 *               lock_<name>_ops
 *   lock_type   the lock object (sizeof is the ops' size)
 *   node_bytes  size of the per-acquirer node, 0 when none
 *   node_init   0 or 1 (a plain token: it is pasted): 1 when nodes need
 *               lock_<name>_node_init() before their first acquire
 *   flags       LOCK_FIFO | LOCK_SLEEPS | LOCK_YIELDS, or 0
 *   summary     one line for `contend list`
 */
#ifndef CONTEND_LOCK_H
#error "include primitives/lock.h before primitives/lock_list.h"
#endif
#ifndef LOCK_VARIANT
#error "define LOCK_VARIANT(name, lock_type, node_bytes, node_init, flags, summary) first"
#endif

/* The C library's locks (lock_pthread.h). */
LOCK_VARIANT(mutex, struct lock_mutex, 0, 0, LOCK_SLEEPS,
	     "pthread mutex (NORMAL): sleeps on a futex when taken")
LOCK_VARIANT(mutex_adaptive, struct lock_mutex, 0, 0, LOCK_SLEEPS,
	     "pthread mutex (ADAPTIVE_NP): spins a bounded while, then sleeps")
LOCK_VARIANT(spin, struct lock_spin, 0, 0, 0,
	     "pthread spinlock: spins on reads, never sleeps or yields")

/* contend's own spinners (lock_tas.h, lock_ticket.h, lock_mcs.h, lock_clh.h). */
LOCK_VARIANT(tas, struct lock_tas, 0, 0, LOCK_SPINNER_FLAGS,
	     "test-and-set: atomic exchange until it returns free")
LOCK_VARIANT(ttas, struct lock_ttas, 0, 0, LOCK_SPINNER_FLAGS,
	     "test-and-test-and-set: spin on reads, random exponential back-off")
LOCK_VARIANT(ticket, struct lock_ticket, 0, 0, LOCK_FIFO | LOCK_SPINNER_FLAGS,
	     "ticket lock: FIFO, every waiter spins on one shared line")
LOCK_VARIANT(mcs, struct lock_mcs, sizeof(struct lock_mcs_node), 0,
	     LOCK_FIFO | LOCK_SPINNER_FLAGS,
	     "MCS queue lock: FIFO, each waiter spins on its own node")
LOCK_VARIANT(clh, struct lock_clh, sizeof(struct lock_clh_node), 1,
	     LOCK_FIFO | LOCK_SPINNER_FLAGS,
	     "CLH queue lock: FIFO, each waiter spins on its predecessor's node")

/* Sleeping locks (lock_futex.h, lock_pthread.h). */
LOCK_VARIANT(futex, struct lock_futex, 0, 0, LOCK_SLEEPS,
	     "futex mutex, three states (Drepper): no spinning, sleeps at once")
LOCK_VARIANT(rwlock, struct lock_rwlock, 0, 0, LOCK_SLEEPS,
	     "pthread rwlock taken for writing only")
LOCK_VARIANT(sem, struct lock_sem, 0, 0, LOCK_SLEEPS,
	     "POSIX semaphore of value 1: sem_wait to lock, sem_post to unlock")

/* Concurrency Kit's spinlocks as peers (lock_ck.h); they never yield. */
LOCK_VARIANT(ck_fas, struct lock_ck_fas, 0, 0, 0,
	     "Concurrency Kit fas: fetch-and-store spinlock")
LOCK_VARIANT(ck_cas, struct lock_ck_cas, 0, 0, 0,
	     "Concurrency Kit cas: compare-and-swap spinlock")
LOCK_VARIANT(ck_dec, struct lock_ck_dec, 0, 0, 0,
	     "Concurrency Kit dec: decrement spinlock")
LOCK_VARIANT(ck_ticket, struct lock_ck_ticket, 0, 0, LOCK_FIFO,
	     "Concurrency Kit ticket: FIFO, one packed word")
LOCK_VARIANT(ck_mcs, struct lock_ck_mcs, sizeof(struct lock_ck_mcs_node), 0,
	     LOCK_FIFO,
	     "Concurrency Kit MCS queue lock")
LOCK_VARIANT(ck_clh, struct lock_ck_clh, sizeof(struct lock_ck_clh_node), 1,
	     LOCK_FIFO,
	     "Concurrency Kit CLH queue lock")
LOCK_VARIANT(ck_anderson, struct lock_ck_anderson,
	     sizeof(struct lock_ck_anderson_node), 0, LOCK_FIFO,
	     "Concurrency Kit Anderson array lock: one flag per waiter")
LOCK_VARIANT(ck_hclh, struct lock_ck_hclh, sizeof(struct lock_ck_hclh_node), 1,
	     LOCK_FIFO,
	     "Concurrency Kit hierarchical CLH, one cluster: CLH plus a splice")
