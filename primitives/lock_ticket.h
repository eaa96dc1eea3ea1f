/*
 * primitives/lock_ticket.h - "ticket": the FIFO spinlock of a bakery
 * queue.  A waiter draws the next ticket with one fetch-and-add and spins
 * until the "now serving" counter shows it; release bumps "now serving".
 *
 * Fair (strict arrival order) and one atomic per acquisition, but every
 * waiter spins on the same line, so each release invalidates all of them
 * (the cost MCS and CLH avoid).  Both counters share one line on purpose:
 * an acquirer touches both anyway.  Works across processes; max_tasks is
 * ignored (the counters wrap harmlessly: only equality is compared, and
 * fewer than 2^32 tasks can wait at once).
 */
#ifndef CONTEND_LOCK_TICKET_H
#define CONTEND_LOCK_TICKET_H

#include <stdatomic.h>

#include "primitives/lock_common.h"

struct lock_ticket {
	atomic_uint next;		/* next ticket to hand out */
	atomic_uint owner;		/* ticket now allowed in */
} CPU_ALIGNED;

static inline int lock_ticket_init(struct lock_ticket *lock, int shared,
				   int max_tasks)
{
	(void)shared;
	(void)max_tasks;
	/* Relaxed: init happens before the lock is handed to other tasks. */
	prim_atomic_store_n(&lock->next, 0, memory_order_relaxed);
	prim_atomic_store_n(&lock->owner, 0, memory_order_relaxed);
	return 0;
}

static inline void lock_ticket_acquire(struct lock_ticket *lock, void *node)
{
	unsigned spins = 0, me;

	(void)node;
	/*
	 * Relaxed: drawing a ticket orders nothing by itself; the lock is
	 * taken by the acquire load below that sees owner == me, which pairs
	 * with the release store of the previous holder.
	 */
	me = prim_atomic_fetch_add(&lock->next, 1, memory_order_relaxed);
	/* Holding a ticket: our turn may come and go by before we look. */
	PRIM_TEST_PREEMPT();
	while (prim_atomic_load_n(&lock->owner, memory_order_acquire) != me)
		lock_relax(&spins);
}

static inline void lock_ticket_release(struct lock_ticket *lock, void *node)
{
	unsigned me;

	(void)node;
	/* Relaxed read: only the holder ever writes owner, and we hold it. */
	me = prim_atomic_load_n(&lock->owner, memory_order_relaxed);
	/* New tickets are drawn while we hand over. */
	PRIM_TEST_PREEMPT();
	/* Release: the critical section is visible before the next ticket. */
	prim_atomic_store_n(&lock->owner, me + 1, memory_order_release);
}

static inline void lock_ticket_destroy(struct lock_ticket *lock)
{
	(void)lock;
}

#endif
