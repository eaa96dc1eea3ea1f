/*
 * primitives/gil_impl.h - what primitives/gil.c (the lock) and
 * primitives/gil_vm.c (the interpreter) share.  Not for bench/ or
 * tests/: they use primitives/gil.h.
 */
#ifndef CONTEND_GIL_IMPL_H
#define CONTEND_GIL_IMPL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "primitives/arch/cpu.h"
#include "primitives/atomic.h"
#include "primitives/gil.h"

/* Bits of an interpreter's eval breaker: any bit set sends the next
 * back-edge to the slow path. */
#define GIL__BREAK_DROP		0x1u	/* another thread asks for the lock */
#define GIL__BREAK_STOP		0x2u	/* gil_vm_stop */
#define GIL__BREAK_CHECK	0x4u	/* GIL_FLAG_CHECK: check every back-edge */

struct gil {
	enum gil_policy policy;
	uint32_t flags;
	uint32_t interval_us;	/* atomic: gil_set_interval_us may race a wait */
	uint32_t check_ticks;

	/* GIL_NEW, GIL_IO_PRIORITY: CPython's gil_runtime_state.  `mutex`
	 * guards locked, holder, prio_waiters and switch_number's writes;
	 * `switch_mutex` guards last_holder's writes and the forced-switch
	 * wait (last_holder is written holding both). */
	pthread_mutex_t mutex;
	pthread_cond_t cond;		/* lock released: for ordinary waiters */
	pthread_cond_t prio_cond;	/* lock released: for I/O returners */
	pthread_mutex_t switch_mutex;
	pthread_cond_t switch_cond;	/* another thread took the lock */
	int locked;
	uint32_t prio_waiters;		/* IO_PRIORITY: returners waiting */
	struct gil_vm *holder;
	struct gil_vm *last_holder;	/* also GIL_OLD, under the semaphore */

	/* GIL_OLD: CPython 2's interpreter_lock on Linux. */
	sem_t sem;

	/* Written by the holder only (mutual exclusion orders the writes),
	 * read by anyone: relaxed atomics, so a reader gets a torn-free
	 * value without taking the lock. */
	uint32_t owner CPU_ALIGNED;
	/* GIL_OLD: CPython 2.7's _Py_Ticker, one for the process (a gil),
	 * not one per thread: whoever holds the lock counts it down, and a
	 * thread that takes the lock goes on from where the last holder
	 * left it.  Starts at 0, as 2.7's does ("so that we hit a tick
	 * first thing"). */
	int64_t ticker;
	uint64_t switch_number;
	uint64_t drop_requests;		/* under mutex */
	uint64_t forced_drops;
	uint64_t takes;

	/* Written by every interpreter. */
	uint32_t next_id CPU_ALIGNED;	/* last id handed out */
	uint32_t vms;			/* interpreters alive */

	/* GIL_FLAG_CHECK bookkeeping. */
	uint32_t running CPU_ALIGNED;
	uint32_t max_running;
	uint64_t switch_ns;		/* CLOCK_MONOTONIC of the last hand-over;
					 * under mutex */
	uint64_t checks;
	uint64_t violations;

	/* GIL_FLAG_SHARED_OBJECTS: the reference count every interpreter
	 * charges, alone in its line so that only its own bouncing costs. */
	uint64_t shared_refcnt CPU_ALIGNED;
};

struct gil_vm {
	/* Hot: read at every back-edge, the stack and locals in every
	 * instruction.  The breaker is written by other threads, rarely
	 * (once a switch interval), so sharing the line costs one miss. */
	uint32_t breaker;	/* atomic: GIL__BREAK_* */
	uint32_t id;
	struct gil *gil;
	uint64_t *refcnt;	/* GIL_NONE's charge: &own_refcnt or the gil's */
	uint64_t own_refcnt;
	int64_t stack[GIL_STACK_MAX];
	int64_t locals[GIL_LOCALS_MAX];

	/* Lock bookkeeping of this interpreter's thread. */
	struct gil_hooks hooks;
	bool timed;		/* hooks.now_ns set */
	uint64_t hold_start_ns;
	uint32_t state;		/* atomic: enum gil_vm_state */
	/* Written by the interpreter's thread only, read by observers:
	 * relaxed atomic stores and loads. */
	uint64_t instructions;
	uint64_t takes;
	uint64_t forced_drops;
	uint64_t blocking_calls;

	unsigned char io_buf[GIL_IO_BUF_BYTES];
};

/* Take vm's gil for vm (after_io: coming back from a blocking built-in)
 * and mark vm running. */
void gil__take(struct gil_vm *vm, bool after_io);
/* Release vm's gil, honouring a pending drop request (forced switch). */
void gil__drop(struct gil_vm *vm);
/* The back-edge slow path for a drop request: drop, let another thread
 * have the lock, take it again. */
void gil__yield(struct gil_vm *vm);
/* GIL_FLAG_CHECK: one back-edge check of the holder's invariants. */
void gil__check(struct gil_vm *vm);

static inline void gil__set_state(struct gil_vm *vm, enum gil_vm_state s)
{
	/* Relaxed: a report for observers, ordering nothing. */
	prim_atomic_store_n(&vm->state, (uint32_t)s, __ATOMIC_RELAXED);
}

/* Add 1 to a counter that only the calling thread writes. */
static inline void gil__bump(uint64_t *c)
{
	/* Relaxed load and store, no RMW: there is one writer, and readers
	 * only need an untorn value. */
	prim_atomic_store_n(c, prim_atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

#endif
