/*
 * primitives/lock_clh.h - "clh": Craig, Landin and Hagersten's queue lock.
 *
 * The lock points at the newest queue element ("qnode").  An acquirer
 * marks its qnode busy, swaps it in as the tail and spins on its
 * predecessor's qnode until that is marked free; release marks its own
 * qnode free.  Like MCS every waiter spins on a line of its own, but the
 * release needs no successor link and no compare-and-swap.
 *
 * The twist is ownership: at release the qnode a task enqueued still has
 * a spinner (its successor), so the task cannot reuse it; instead it takes
 * over its predecessor's qnode, which nobody looks at any more.  qnodes
 * therefore wander between tasks and between the lock's own spare.  The
 * caller never sees this: its node (struct lock_clh_node, node_size bytes,
 * aligned to CPU_CACHELINE) holds a pointer slot to whichever qnode it owns
 * now, plus the qnode it starts with.  So:
 *
 *   - call lock_clh_node_init() (ops->node_init) once on a node before its
 *     first acquire;
 *   - keep passing the same node; it may serve any number of CLH locks,
 *     one acquisition at a time;
 *   - because qnodes wander, every node and every lock that were ever used
 *     together must stay allocated until all of them are done with.
 *
 * Not process-shared (init returns -ENOTSUP): the queue is made of pointers
 * to the acquirers' nodes, which the interface lets live in private memory.
 */
#ifndef CONTEND_LOCK_CLH_H
#define CONTEND_LOCK_CLH_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "primitives/lock_common.h"

/* One queue element, alone on its line because successors spin on it. */
struct lock_clh_qnode {
	atomic_uint busy;		/* 1 from enqueue until release */
} CPU_ALIGNED;

struct lock_clh_node {
	struct lock_clh_qnode *mine;	/* the qnode this task owns now */
	struct lock_clh_qnode *pred;	/* predecessor's, taken at release */
	struct lock_clh_qnode first;	/* the qnode this node starts with */
} CPU_ALIGNED;

struct lock_clh {
	struct lock_clh_qnode *_Atomic tail;	/* newest qnode in the queue */
	struct lock_clh_qnode spare;		/* initial tail, marked free */
} CPU_ALIGNED;

static inline int lock_clh_init(struct lock_clh *lock, int shared,
				int max_tasks)
{
	(void)max_tasks;
	if (shared)
		return -ENOTSUP;
	/* Relaxed: init happens before the lock is handed to other tasks. */
	prim_atomic_store_n(&lock->spare.busy, 0, memory_order_relaxed);
	prim_atomic_store_n(&lock->tail, &lock->spare, memory_order_relaxed);
	return 0;
}

static inline void lock_clh_node_init(struct lock_clh_node *node)
{
	node->mine = &node->first;
	node->pred = NULL;
	/* Relaxed: the node is private until its first acquire publishes it. */
	prim_atomic_store_n(&node->first.busy, 0, memory_order_relaxed);
}

static inline void lock_clh_acquire(struct lock_clh *lock,
				    struct lock_clh_node *node)
{
	struct lock_clh_qnode *q = node->mine, *pred;
	unsigned spins = 0;

	/* Relaxed: published to our successor by the exchange below. */
	prim_atomic_store_n(&q->busy, 1, memory_order_relaxed);
	PRIM_TEST_PREEMPT();
	/*
	 * Acq_rel: release makes busy == 1 visible to the acquirer that
	 * swaps in after us and then spins on q.  Acquire pairs with that
	 * same release in our predecessor's exchange: its busy == 1 is then
	 * visible to us, so we cannot read a stale 0 left over from the
	 * qnode's previous trip through the queue.
	 */
	pred = prim_atomic_exchange_n(&lock->tail, q, memory_order_acq_rel);
	/* In line: the predecessor may release before we first look. */
	PRIM_TEST_PREEMPT();
	/* Acquire: pairs with the predecessor's release in lock_clh_release. */
	while (prim_atomic_load_n(&pred->busy, memory_order_acquire))
		lock_relax(&spins);
	node->pred = pred;
}

static inline void lock_clh_release(struct lock_clh *lock,
				    struct lock_clh_node *node)
{
	(void)lock;
	/*
	 * Release: the critical section is visible to the successor spinning
	 * on our qnode.  From here on that qnode is the successor's to read,
	 * so we adopt the predecessor's, which nobody watches any more.
	 */
	prim_atomic_store_n(&node->mine->busy, 0, memory_order_release);
	/* The successor runs on while we still hold the old qnode pointer. */
	PRIM_TEST_PREEMPT();
	node->mine = node->pred;
}

static inline void lock_clh_destroy(struct lock_clh *lock)
{
	(void)lock;
}

#endif
