/*
 * primitives/lock.h - the lock zoo: every mutual-exclusion lock contend
 * measures, behind one operation set, so that one throughput driver, one
 * latency driver and one validation test serve them all.
 *
 *   C library   mutex, mutex_adaptive, spin, rwlock (writer), sem   lock_pthread.h
 *   spinning    tas, ttas                                          lock_tas.h
 *               ticket                                             lock_ticket.h
 *               mcs                                                lock_mcs.h
 *               clh                                                lock_clh.h
 *   sleeping    futex (Drepper's three-state mutex)                lock_futex.h
 *   peers       ck_fas, ck_cas, ck_dec, ck_ticket, ck_mcs,         lock_ck.h
 *               ck_clh, ck_anderson, ck_hclh (Concurrency Kit)
 *
 * The list itself, in zoo order, is primitives/lock_list.h: an X-macro
 * that also includes the headers above, and from which the externs
 * below, the operation tables, lock_zoo[], the per-variant tests and the
 * lock.* benchmarks all come.
 *
 * Two ways in:
 *
 *   - struct lock_ops, found by name in lock_zoo[] / lock_find(): one
 *     indirect call per operation, for drivers that serve every lock.
 *   - per-variant static inline functions, lock_<name>_init / _acquire /
 *     _release / _destroy (and _node_init where nodes need it), declared in
 *     the headers above with the same arity for every variant, so a
 *     benchmark can be compiled once per variant where an indirect call
 *     would swamp a nanosecond operation.  The ops tables only wrap them.
 *
 * Which to use by default: "mutex".  It sleeps instead of burning CPUs
 * when tasks outnumber them, works across processes, and is what code
 * that does not choose gets; every other entry is here to be compared
 * with it.
 *
 * Memory rules for callers: the lock object is `size` bytes aligned to
 * CPU_CACHELINE (sizes are whole cache lines); with shared = 1 it lives in
 * MAP_SHARED memory mapped before the fork, so it has the same address in
 * every process.  Queue locks take a per-acquirer node of `node_size`
 * bytes, also aligned to CPU_CACHELINE; each concurrent acquirer needs its
 * own, passed unchanged to acquire and the matching release.  Where
 * node_init is not NULL, call it once on every node before the node's
 * first acquire, and keep all nodes and locks used together allocated
 * until all are done (CLH-style locks swap nodes; see lock_clh.h).
 */
#ifndef CONTEND_LOCK_H
#define CONTEND_LOCK_H

#include <stddef.h>

/* The variants' own headers come with primitives/lock_list.h, below. */
#include "primitives/lock_common.h"

/* What a lock does while it waits: lock_ops.flags. */
#define LOCK_FIFO	0x1u	/* waiters queue and are served in turn, so a
				   preempted waiter holds up all behind it */
#define LOCK_SLEEPS	0x2u	/* a waiter may block in the kernel */
#define LOCK_YIELDS	0x4u	/* a spinner calls sched_yield() now and then
				   (LOCK_SPIN_YIELD_AFTER, lock_common.h) */
/* contend's own spinners yield only when built with a non-zero threshold. */
#define LOCK_SPINNER_FLAGS	(LOCK_SPIN_YIELD_AFTER ? LOCK_YIELDS : 0u)

/* The flags that lock_list.h's wait column implies, by its token.  A
 * token not here stops the build at LOCK__WAIT_FLAGS_<token>. */
#define LOCK__WAIT_FLAGS_sleep		LOCK_SLEEPS
#define LOCK__WAIT_FLAGS_adaptive	LOCK_SLEEPS
#define LOCK__WAIT_FLAGS_spin		0u
#define LOCK__WAIT_FLAGS_axis		LOCK_SPINNER_FLAGS

struct lock_ops {
	const char *name;	/* unique in lock_zoo: "mutex", "mcs", "ck_fas" */
	const char *summary;	/* one line for `contend list` */
	size_t size;		/* bytes of the lock object, a whole number of
				   cache lines; the caller allocates it
				   aligned to CPU_CACHELINE */
	size_t node_size;	/* bytes of a per-acquirer node (aligned to
				   CPU_CACHELINE), 0 if the lock needs none */
	unsigned flags;		/* LOCK_FIFO | LOCK_SLEEPS | LOCK_YIELDS */
	/*
	 * Prepare the object.  shared: it lives in MAP_SHARED memory and is
	 * used from several forked processes.  max_tasks: the most tasks
	 * that may ever contend at once (sizes e.g. Anderson's array).
	 * Returns 0; -ENOTSUP when the variant cannot be process-shared;
	 * another -errno (-EINVAL, -ERANGE, -ENOMEM, ...) on failure.
	 */
	int (*init)(void *lock, int shared, int max_tasks);
	/* NULL, or: make a node ready for its first acquire (see above). */
	void (*node_init)(void *node);
	/* node: this acquirer's node (node_size bytes) or NULL if size 0. */
	void (*acquire)(void *lock, void *node);
	void (*release)(void *lock, void *node);
	/* Undo init; the lock must be free and no task may use it again. */
	void (*destroy)(void *lock);
};

/* Every lock, in a stable order, NULL-terminated. */
extern const struct lock_ops *const lock_zoo[];

/* The zoo entry called `name`, or NULL if there is none. */
const struct lock_ops *lock_find(const char *name);

/* lock_<name>_ops for every variant of the list. */
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary) \
	extern const struct lock_ops lock_##v##_ops;
#include "primitives/lock_list.h"
#undef LOCK_VARIANT

/*
 * For primitives/lock.c, which builds the tables from the list: defines
 * `const struct lock_ops lock_<v>_ops` by wrapping the per-variant inline
 * functions lock_<v>_init/acquire/release/destroy (and, with node_init 1,
 * lock_<v>_node_init) in void-pointer adapters: calling them through a
 * cast function pointer would be undefined behaviour.  The arguments are
 * lock_list.h's columns.
 */
#define LOCK_OPS_DEFINE(v, lock_type, node_bytes, node_init_, fifo_,	\
			wait_, shared_, summary_)			\
	LOCK__NODE_ADAPTER_##node_init_(v)				\
	static int lock_##v##_op_init(void *lock, int shared, int max_tasks) \
	{								\
		return lock_##v##_init(lock, shared, max_tasks);	\
	}								\
	static void lock_##v##_op_acquire(void *lock, void *node)	\
	{								\
		lock_##v##_acquire(lock, node);				\
	}								\
	static void lock_##v##_op_release(void *lock, void *node)	\
	{								\
		lock_##v##_release(lock, node);				\
	}								\
	static void lock_##v##_op_destroy(void *lock)			\
	{								\
		lock_##v##_destroy(lock);				\
	}								\
	const struct lock_ops lock_##v##_ops = {			\
		.name = #v,						\
		.summary = summary_,					\
		.size = sizeof(lock_type),				\
		.node_size = node_bytes,				\
		.flags = fifo_ | LOCK__WAIT_FLAGS_##wait_,		\
		.init = lock_##v##_op_init,				\
		.node_init = LOCK__NODE_INIT_##node_init_(v),		\
		.acquire = lock_##v##_op_acquire,			\
		.release = lock_##v##_op_release,			\
		.destroy = lock_##v##_op_destroy,			\
	};

/* LOCK_OPS_DEFINE's node_init column, 0 or 1, picks one of each pair. */
#define LOCK__NODE_ADAPTER_0(v)
#define LOCK__NODE_ADAPTER_1(v)						\
	static void lock_##v##_op_node_init(void *node)			\
	{								\
		lock_##v##_node_init(node);				\
	}
#define LOCK__NODE_INIT_0(v)	NULL
#define LOCK__NODE_INIT_1(v)	lock_##v##_op_node_init

#endif
