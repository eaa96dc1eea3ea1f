/*
 * primitives/lock_mcs.h - "mcs": Mellor-Crummey and Scott's queue lock.
 *
 * The lock is a pointer to the last waiter's node.  An acquirer swaps its
 * own node in as the new tail, links itself behind the previous tail and
 * spins on a flag in its own node; release clears the successor's flag.
 * Each waiter spins on its own cache line, so a release touches one remote
 * line however many wait: the lock that scales where ticket does not.
 *
 * Node: every acquisition passes a struct lock_mcs_node (node_size bytes,
 * aligned to CPU_CACHELINE) that stays untouched from acquire to the
 * matching release; it needs no initialisation and may be reused at once
 * for another acquisition, of this or any other MCS lock.
 *
 * Not process-shared (init returns -ENOTSUP): the queue links point at the
 * acquirers' nodes, which the interface lets live in private memory.
 */
#ifndef CONTEND_LOCK_MCS_H
#define CONTEND_LOCK_MCS_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "primitives/lock_common.h"

struct lock_mcs_node {
	struct lock_mcs_node *_Atomic next;	/* successor, once it links in */
	atomic_uint waiting;			/* 1 until the predecessor hands over */
} CPU_ALIGNED;

struct lock_mcs {
	struct lock_mcs_node *_Atomic tail;	/* last in line; NULL when free */
} CPU_ALIGNED;

static inline int lock_mcs_init(struct lock_mcs *lock, int shared,
				int max_tasks)
{
	(void)max_tasks;
	if (shared)
		return -ENOTSUP;
	/* Relaxed: init happens before the lock is handed to other tasks. */
	prim_atomic_store_n(&lock->tail, NULL, memory_order_relaxed);
	return 0;
}

static inline void lock_mcs_acquire(struct lock_mcs *lock,
				    struct lock_mcs_node *node)
{
	struct lock_mcs_node *pred;
	unsigned spins = 0;

	/*
	 * Relaxed: these stores are published by the release half of the
	 * exchange below (for a successor, which writes node->next) and by
	 * the release store into pred->next (for the predecessor, which
	 * clears node->waiting); nobody can see the node before that.
	 */
	prim_atomic_store_n(&node->next, NULL, memory_order_relaxed);
	prim_atomic_store_n(&node->waiting, 1, memory_order_relaxed);
	PRIM_TEST_PREEMPT();
	/*
	 * Acq_rel: release publishes the initialised node to the acquirer
	 * that swaps in after us.  Acquire pairs with that same release in
	 * our predecessor's exchange, so our store into pred->next lands
	 * after its owner's initialising NULL; and, when the queue was empty,
	 * with the releasing CAS in lock_mcs_release, so the last holder's
	 * critical section is visible as we take the lock straight away.
	 */
	pred = prim_atomic_exchange_n(&lock->tail, node, memory_order_acq_rel);
	if (!pred)
		return;
	/* In line but not linked: a releasing predecessor waits for us. */
	PRIM_TEST_PREEMPT();
	/*
	 * Release: pred's owner must see node->waiting == 1 before it can
	 * find us and clear it.
	 */
	prim_atomic_store_n(&pred->next, node, memory_order_release);
	/* Linked: the predecessor may hand over before we look. */
	PRIM_TEST_PREEMPT();
	/* Acquire: pairs with the predecessor's release hand-over. */
	while (prim_atomic_load_n(&node->waiting, memory_order_acquire))
		lock_relax(&spins);
}

static inline void lock_mcs_release(struct lock_mcs *lock,
				    struct lock_mcs_node *node)
{
	struct lock_mcs_node *succ, *expected = node;
	unsigned spins = 0;

	/* Acquire: we are about to write into the successor's node. */
	succ = prim_atomic_load_n(&node->next, memory_order_acquire);
	/* A successor may swap itself in after we looked. */
	PRIM_TEST_PREEMPT();
	if (!succ) {
		/*
		 * No successor linked: if we are still the tail, empty the
		 * queue.  Release: the critical section is visible to the
		 * next acquirer, whose exchange reads this NULL.  Relaxed on
		 * failure: we learn only that someone swapped in behind us.
		 */
		if (prim_atomic_compare_exchange_n(&lock->tail, &expected,
				NULL, false, memory_order_release,
				memory_order_relaxed))
			return;
		/*
		 * A successor has swapped itself in but not yet linked:
		 * wait for the link (it is one store away, unless that task
		 * was preempted in between).  Acquire as above.
		 */
		while (!(succ = prim_atomic_load_n(&node->next,
						   memory_order_acquire)))
			lock_relax(&spins);
	}
	/* Release: hand the lock and the critical section's writes over. */
	prim_atomic_store_n(&succ->waiting, 0, memory_order_release);
}

static inline void lock_mcs_destroy(struct lock_mcs *lock)
{
	(void)lock;
}

#endif
