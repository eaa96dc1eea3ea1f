/*
 * primitives/lock_ck.h - Concurrency Kit's spinlocks (<ck_spinlock.h>,
 * libck 0.7.1) as peers in the lock zoo: ck_fas, ck_cas, ck_dec,
 * ck_ticket, ck_mcs, ck_clh, ck_anderson and ck_hclh.
 *
 * These wrappers only adapt ck's calls to the zoo's arity; the algorithms
 * and their memory ordering are ck's own.  Unlike contend's spinlocks, ck's
 * never yield (see LOCK_SPIN_YIELD_AFTER): with more runnable tasks than
 * CPUs the FIFO ones (ticket, mcs, clh, anderson, hclh) convoy.
 *
 * Not wrapped from <ck_spinlock.h>: the *_lock_eb (exponential back-off)
 * and ticket *_lock_pb (proportional back-off) entry points, which are the
 * same locks with another waiting policy, and the trylock calls, which the
 * zoo's interface does not have.
 *
 * ThreadSanitizer cannot see ck_pr's inline assembly, so every acquire and
 * release is annotated with LOCK_TSAN_ACQUIRED / LOCK_TSAN_RELEASING, and
 * the CLH-style calls also with LOCK_TSAN_IGNORE_READS_BEGIN/END
 * (primitives/lock_common.h says why).
 *
 * Process-shared: the single-word locks (fas, cas, dec, ticket) and
 * Anderson's array (kept inside the lock object, so its internal pointer
 * is valid in every process forked after the mapping) work in MAP_SHARED
 * memory.  ck_mcs, ck_clh and ck_hclh link the acquirers' nodes, which may
 * live in private memory: their init returns -ENOTSUP for shared.
 */
#ifndef CONTEND_LOCK_CK_H
#define CONTEND_LOCK_CK_H

#include <errno.h>
#include <stddef.h>

#include <ck_spinlock.h>

#include "primitives/lock_common.h"

struct lock_ck_fas {
	ck_spinlock_fas_t l;
} CPU_ALIGNED;

struct lock_ck_cas {
	ck_spinlock_cas_t l;
} CPU_ALIGNED;

struct lock_ck_dec {
	ck_spinlock_dec_t l;
} CPU_ALIGNED;

struct lock_ck_ticket {
	ck_spinlock_ticket_t l;
} CPU_ALIGNED;

/* ck_mcs: the lock is ck's tail pointer; the node is ck's context. */
struct lock_ck_mcs {
	ck_spinlock_mcs_t tail;
} CPU_ALIGNED;

struct lock_ck_mcs_node {
	ck_spinlock_mcs_context_t ctx;
} CPU_ALIGNED;

/*
 * ck_clh: as in primitives/lock_clh.h, qnodes wander between tasks.  ck's
 * unlock takes a pointer to the caller's qnode pointer and rewrites it to
 * the predecessor's qnode, which is exactly the node's `mine` slot.  The
 * same rules apply: node_init once, keep passing the same node, and keep
 * all nodes and locks used together allocated until all are done.
 */
struct lock_ck_clh_qnode {
	ck_spinlock_clh_t q;
} CPU_ALIGNED;

struct lock_ck_clh {
	ck_spinlock_clh_t *tail;
	struct lock_ck_clh_qnode spare;	/* initial tail, "unowned" in ck */
} CPU_ALIGNED;

struct lock_ck_clh_node {
	ck_spinlock_clh_t *mine;	/* updated by ck_spinlock_clh_unlock */
	struct lock_ck_clh_qnode first;
} CPU_ALIGNED;

/*
 * ck_anderson: an array of flags, one per possible waiter, handed round in
 * order.  The array is sized by max_tasks (rounded up to a power of two so
 * ck can mask instead of dividing) and must cover every task that may wait
 * at once, or two tasks share a slot and mutual exclusion is lost.  ck packs
 * the flags 8 bytes apart, so neighbours share cache lines: that is ck's
 * layout, measured as is.
 */
/*
 * The most max_tasks init accepts: a task per hardware thread of a large
 * two-socket machine, for 2 KiB of lock object.
 */
#define LOCK_CK_ANDERSON_SLOTS	256

struct lock_ck_anderson {
	ck_spinlock_anderson_t l;
	ck_spinlock_anderson_thread_t slots[LOCK_CK_ANDERSON_SLOTS] CPU_ALIGNED;
} CPU_ALIGNED;

struct lock_ck_anderson_node {
	ck_spinlock_anderson_thread_t *slot;	/* set by lock, read by unlock */
} CPU_ALIGNED;

/*
 * ck_hclh: hierarchical CLH.  Waiters first queue in their cluster's local
 * queue; the head of a local queue splices the whole batch into the global
 * queue, so the lock tends to stay within a cluster.  Node rules as for
 * ck_clh.
 *
 * The zoo's entry (lock_ck_hclh_acquire) queues every task in cluster 0,
 * i.e. it is CLH plus ck's splice step, for two reasons.  The interface
 * carries no cluster.  And with several clusters ck takes a task's cluster
 * id from the qnode at its local queue's tail, which (as we read the code)
 * can already have been recycled into another cluster's queue by a global
 * successor; we could not rule out two owners then, nor test on a
 * multi-node machine.  lock_ck_hclh_acquire_in lets an experiment choose
 * clusters anyway; the tests only cover two clusters on two CPUs.
 */
/*
 * Local queues for lock_ck_hclh_acquire_in: as many NUMA nodes as large
 * 4- and 8-socket machines have; each costs two cache lines of lock object.
 */
#define LOCK_CK_HCLH_CLUSTERS	8

struct lock_ck_hclh_tail {
	ck_spinlock_hclh_t *tail;
} CPU_ALIGNED;

struct lock_ck_hclh_qnode {
	ck_spinlock_hclh_t q;
} CPU_ALIGNED;

struct lock_ck_hclh {
	struct lock_ck_hclh_tail global;
	struct lock_ck_hclh_tail local[LOCK_CK_HCLH_CLUSTERS];
	struct lock_ck_hclh_qnode spare_global;
	struct lock_ck_hclh_qnode spare_local[LOCK_CK_HCLH_CLUSTERS];
} CPU_ALIGNED;

struct lock_ck_hclh_node {
	ck_spinlock_hclh_t *mine;	/* updated by ck_spinlock_hclh_unlock */
	struct lock_ck_hclh_qnode first;
} CPU_ALIGNED;

/* ck_fas: fetch-and-store (xchg) in a loop, spinning on reads between. */
static inline int lock_ck_fas_init(struct lock_ck_fas *lock, int shared,
				   int max_tasks)
{
	(void)shared;
	(void)max_tasks;
	ck_spinlock_fas_init(&lock->l);
	return 0;
}

static inline void lock_ck_fas_acquire(struct lock_ck_fas *lock, void *node)
{
	(void)node;
	ck_spinlock_fas_lock(&lock->l);
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_fas_release(struct lock_ck_fas *lock, void *node)
{
	(void)node;
	LOCK_TSAN_RELEASING(lock);
	ck_spinlock_fas_unlock(&lock->l);
}

static inline void lock_ck_fas_destroy(struct lock_ck_fas *lock)
{
	(void)lock;
}

/* ck_cas: compare-and-swap in a loop, spinning on reads between. */
static inline int lock_ck_cas_init(struct lock_ck_cas *lock, int shared,
				   int max_tasks)
{
	(void)shared;
	(void)max_tasks;
	ck_spinlock_cas_init(&lock->l);
	return 0;
}

static inline void lock_ck_cas_acquire(struct lock_ck_cas *lock, void *node)
{
	(void)node;
	ck_spinlock_cas_lock(&lock->l);
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_cas_release(struct lock_ck_cas *lock, void *node)
{
	(void)node;
	LOCK_TSAN_RELEASING(lock);
	ck_spinlock_cas_unlock(&lock->l);
}

static inline void lock_ck_cas_destroy(struct lock_ck_cas *lock)
{
	(void)lock;
}

/* ck_dec: a counter decremented to take the lock (as old Linux did). */
static inline int lock_ck_dec_init(struct lock_ck_dec *lock, int shared,
				   int max_tasks)
{
	(void)shared;
	(void)max_tasks;
	ck_spinlock_dec_init(&lock->l);
	return 0;
}

static inline void lock_ck_dec_acquire(struct lock_ck_dec *lock, void *node)
{
	(void)node;
	ck_spinlock_dec_lock(&lock->l);
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_dec_release(struct lock_ck_dec *lock, void *node)
{
	(void)node;
	LOCK_TSAN_RELEASING(lock);
	ck_spinlock_dec_unlock(&lock->l);
}

static inline void lock_ck_dec_destroy(struct lock_ck_dec *lock)
{
	(void)lock;
}

/* ck_ticket: ticket lock with both counters packed in one word. */
static inline int lock_ck_ticket_init(struct lock_ck_ticket *lock,
				      int shared, int max_tasks)
{
	(void)shared;
	(void)max_tasks;
	ck_spinlock_ticket_init(&lock->l);
	return 0;
}

static inline void lock_ck_ticket_acquire(struct lock_ck_ticket *lock,
					  void *node)
{
	(void)node;
	ck_spinlock_ticket_lock(&lock->l);
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_ticket_release(struct lock_ck_ticket *lock,
					  void *node)
{
	(void)node;
	LOCK_TSAN_RELEASING(lock);
	ck_spinlock_ticket_unlock(&lock->l);
}

static inline void lock_ck_ticket_destroy(struct lock_ck_ticket *lock)
{
	(void)lock;
}

/* ck_mcs: node as for primitives/lock_mcs.h (no init, reusable at once). */
static inline int lock_ck_mcs_init(struct lock_ck_mcs *lock, int shared,
				   int max_tasks)
{
	(void)max_tasks;
	if (shared)
		return -ENOTSUP;
	ck_spinlock_mcs_init(&lock->tail);
	return 0;
}

static inline void lock_ck_mcs_acquire(struct lock_ck_mcs *lock,
				       struct lock_ck_mcs_node *node)
{
	ck_spinlock_mcs_lock(&lock->tail, &node->ctx);
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_mcs_release(struct lock_ck_mcs *lock,
				       struct lock_ck_mcs_node *node)
{
	LOCK_TSAN_RELEASING(lock);
	ck_spinlock_mcs_unlock(&lock->tail, &node->ctx);
}

static inline void lock_ck_mcs_destroy(struct lock_ck_mcs *lock)
{
	(void)lock;
}

static inline int lock_ck_clh_init(struct lock_ck_clh *lock, int shared,
				   int max_tasks)
{
	(void)max_tasks;
	if (shared)
		return -ENOTSUP;
	ck_spinlock_clh_init(&lock->tail, &lock->spare.q);
	return 0;
}

static inline void lock_ck_clh_node_init(struct lock_ck_clh_node *node)
{
	node->mine = &node->first.q;
}

static inline void lock_ck_clh_acquire(struct lock_ck_clh *lock,
				       struct lock_ck_clh_node *node)
{
	LOCK_TSAN_IGNORE_READS_BEGIN();
	ck_spinlock_clh_lock(&lock->tail, node->mine);
	LOCK_TSAN_IGNORE_READS_END();
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_clh_release(struct lock_ck_clh *lock,
				       struct lock_ck_clh_node *node)
{
	LOCK_TSAN_RELEASING(lock);
	LOCK_TSAN_IGNORE_READS_BEGIN();
	ck_spinlock_clh_unlock(&node->mine);
	LOCK_TSAN_IGNORE_READS_END();
}

static inline void lock_ck_clh_destroy(struct lock_ck_clh *lock)
{
	(void)lock;
}

/* -EINVAL when max_tasks < 1, -ERANGE above LOCK_CK_ANDERSON_SLOTS. */
static inline int lock_ck_anderson_init(struct lock_ck_anderson *lock,
					int shared, int max_tasks)
{
	unsigned count = 1;

	(void)shared;
	if (max_tasks < 1)
		return -EINVAL;
	if (max_tasks > LOCK_CK_ANDERSON_SLOTS)
		return -ERANGE;
	while (count < (unsigned)max_tasks)
		count <<= 1;
	ck_spinlock_anderson_init(&lock->l, lock->slots, count);
	return 0;
}

static inline void lock_ck_anderson_acquire(struct lock_ck_anderson *lock,
					    struct lock_ck_anderson_node *node)
{
	ck_spinlock_anderson_lock(&lock->l, &node->slot);
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_anderson_release(struct lock_ck_anderson *lock,
					    struct lock_ck_anderson_node *node)
{
	LOCK_TSAN_RELEASING(lock);
	ck_spinlock_anderson_unlock(&lock->l, node->slot);
}

static inline void lock_ck_anderson_destroy(struct lock_ck_anderson *lock)
{
	(void)lock;
}

static inline int lock_ck_hclh_init(struct lock_ck_hclh *lock, int shared,
				    int max_tasks)
{
	(void)max_tasks;
	if (shared)
		return -ENOTSUP;
	/* ck marks the global queue's first element with cluster -1. */
	ck_spinlock_hclh_init(&lock->global.tail, &lock->spare_global.q, -1);
	for (int i = 0; i < LOCK_CK_HCLH_CLUSTERS; i++)
		ck_spinlock_hclh_init(&lock->local[i].tail,
				      &lock->spare_local[i].q, i);
	return 0;
}

static inline void lock_ck_hclh_node_init(struct lock_ck_hclh_node *node)
{
	node->mine = &node->first.q;
}

/* Queue in local queue `cluster` (0 <= cluster < LOCK_CK_HCLH_CLUSTERS). */
static inline void lock_ck_hclh_acquire_in(struct lock_ck_hclh *lock,
					   struct lock_ck_hclh_node *node,
					   int cluster)
{
	LOCK_TSAN_IGNORE_READS_BEGIN();
	ck_spinlock_hclh_lock(&lock->global.tail, &lock->local[cluster].tail,
			      node->mine);
	LOCK_TSAN_IGNORE_READS_END();
	LOCK_TSAN_ACQUIRED(lock);
}

static inline void lock_ck_hclh_acquire(struct lock_ck_hclh *lock,
					struct lock_ck_hclh_node *node)
{
	lock_ck_hclh_acquire_in(lock, node, 0);
}

static inline void lock_ck_hclh_release(struct lock_ck_hclh *lock,
					struct lock_ck_hclh_node *node)
{
	LOCK_TSAN_RELEASING(lock);
	LOCK_TSAN_IGNORE_READS_BEGIN();
	ck_spinlock_hclh_unlock(&node->mine);
	LOCK_TSAN_IGNORE_READS_END();
}

static inline void lock_ck_hclh_destroy(struct lock_ck_hclh *lock)
{
	(void)lock;
}

#endif
