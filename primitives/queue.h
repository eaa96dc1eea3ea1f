/*
 * primitives/queue.h - Python's queue.Queue, LifoQueue and PriorityQueue.
 *
 * One object, three kinds (as Python's three classes differ only in
 * _put/_get):
 *
 *   QUEUE_FIFO      queue.Queue          first in, first out
 *   QUEUE_LIFO      queue.LifoQueue      last in, first out
 *   QUEUE_PRIORITY  queue.PriorityQueue  smallest priority first; among
 *                                        equal priorities first in, first
 *                                        out (a binary heap on
 *                                        (priority, insertion sequence))
 *
 * Items are fixed-size (struct queue_item: a priority, ignored except by
 * QUEUE_PRIORITY, and a 64-bit value: a number, an index, a time stamp),
 * so that a queue can live entirely in one caller-allocated block and,
 * with `shared`, in MAP_SHARED memory used by forked processes (the
 * twins of multiprocessing.Queue/JoinableQueue).  Such a queue holds no
 * pointer: its storage follows the header, sized by queue_bytes().
 *
 * Two ways to make one:
 *   queue_init()    in caller memory of queue_bytes(maxsize) bytes; needs
 *                   maxsize >= 1 (the storage is sized once); private or
 *                   shared; nothing to release but the memory itself.
 *   queue_create()  malloc'd and thread-private; maxsize 0 means
 *                   unbounded (the storage grows); queue_destroy() frees.
 *
 * Blocking is Python's queue.py design on primitives/sync.h: one Lock
 * and three Conditions over it (not_empty, not_full, all_tasks_done),
 * notified with the lock held.  sync.h's objects sleep on futexes (no
 * pthread mutex/cond) and work in MAP_SHARED memory, which is what lets a
 * whole queue live in one shared block.
 *
 * Time-outs are int64_t nanoseconds: negative waits forever, 0 polls
 * (Python's block=False), positive waits at most that long, measured on
 * CLOCK_MONOTONIC against an absolute deadline, so spurious wake-ups and
 * signals (EINTR) neither end the wait early nor stretch it.
 *
 * Return codes, each the C face of what Python raises:
 *   0               done
 *   QUEUE_FULL      put with timeout 0 on a full queue     (queue.Full)
 *   QUEUE_EMPTY     get with timeout 0 on an empty queue   (queue.Empty)
 *   -ETIMEDOUT      put/get/join: a positive timeout ran out (Python
 *                   raises Full/Empty here; C tells the two cases apart)
 *   -EINVAL         task_done called more times than items were put
 *                   (ValueError), or a bad argument at init
 *   -ENOMEM         an unbounded queue could not grow (MemoryError)
 *
 * A queue must not be copied or moved once initialised (a sync Condition
 * finds its lock by their distance).  A process that dies while holding a
 * shared queue's mutex leaves it held (no robust-futex recovery), as with
 * every lock in primitives/.
 */
#ifndef CONTEND_QUEUE_H
#define CONTEND_QUEUE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "primitives/sync.h"

/* Distinct from each other and from -ETIMEDOUT, so a caller can tell. */
#define QUEUE_FULL	(-ENOSPC)
#define QUEUE_EMPTY	(-ENODATA)

enum queue_kind {
	QUEUE_FIFO,
	QUEUE_LIFO,
	QUEUE_PRIORITY,
};

struct queue_item {
	int64_t priority;	/* QUEUE_PRIORITY only: smaller comes out first */
	uint64_t value;
};

/* A stored item: the insertion sequence makes priority order stable. */
struct queue__slot {
	int64_t priority;
	uint64_t seq;
	uint64_t value;
};

/* Fields are private; read them through the functions below. */
struct queue {
	struct sync_lock mutex;	/* the conditions find it by offset: no moving */
	struct sync_cond not_empty, not_full, all_tasks_done;
	uint32_t kind;		/* enum queue_kind */
	uint32_t owned;		/* from queue_create(): queue_destroy() frees */
	size_t maxsize;		/* 0 = unbounded (queue_create() only) */
	size_t capacity;	/* slots in the storage */
	size_t head;		/* FIFO: ring index of the oldest item */
	size_t count;
	uint64_t next_seq;
	uint64_t unfinished;	/* put but not yet task_done'd */
	struct queue__slot *grown; /* unbounded only; NULL: storage is slots[] */
	struct queue__slot slots[];
};

/* Bytes queue_init() needs for maxsize (>= 1) items; 0 if that overflows. */
size_t queue_bytes(size_t maxsize);

/*
 * Make a queue in caller memory `q` of at least queue_bytes(maxsize)
 * bytes.  `shared` non-zero: the memory is MAP_SHARED and the queue is
 * used from several processes.  Returns 0, or -EINVAL for maxsize 0 or an
 * unknown kind.  No queue_destroy(): unmap or free the memory when no one
 * uses the queue any more.
 */
int queue_init(struct queue *q, enum queue_kind kind, size_t maxsize, int shared);

/*
 * Allocate a thread-private queue; maxsize 0 = unbounded.  Returns 0 and
 * sets *qp, or -EINVAL (unknown kind) or -ENOMEM.
 */
int queue_create(struct queue **qp, enum queue_kind kind, size_t maxsize);

/* Free a queue from queue_create() (no thread may still use it). */
void queue_destroy(struct queue *q);

/*
 * Put one item, waiting up to timeout_ns for a free slot if the queue is
 * full.  Returns 0, QUEUE_FULL (timeout 0), -ETIMEDOUT, or -ENOMEM.
 */
int queue_put(struct queue *q, const struct queue_item *item, int64_t timeout_ns);

/*
 * Take one item into *out, waiting up to timeout_ns for one if the queue
 * is empty.  Returns 0, QUEUE_EMPTY (timeout 0) or -ETIMEDOUT.
 */
int queue_get(struct queue *q, struct queue_item *out, int64_t timeout_ns);

/* Python's put_nowait()/get_nowait(): QUEUE_FULL / QUEUE_EMPTY at once. */
static inline int queue_put_nowait(struct queue *q, const struct queue_item *item)
{
	return queue_put(q, item, 0);
}

static inline int queue_get_nowait(struct queue *q, struct queue_item *out)
{
	return queue_get(q, out, 0);
}

/*
 * qsize(), empty(), full(): a snapshot taken under the mutex, stale as
 * soon as it returns (as in Python).  full() is false when unbounded.
 */
size_t queue_qsize(struct queue *q);
bool queue_empty(struct queue *q);
bool queue_full(struct queue *q);
size_t queue_maxsize(const struct queue *q);

/*
 * Mark one item taken by get() as processed.  Returns 0, or -EINVAL when
 * called more times than items were put (ValueError; the count is left
 * unchanged).  The call that brings the count of unfinished items to 0
 * wakes every join().
 */
int queue_task_done(struct queue *q);

/*
 * Wait until every item ever put has been task_done'd.  Returns 0, or
 * -ETIMEDOUT when timeout_ns (negative: forever, as Python's join())
 * runs out first; timeout 0 only tests.
 */
int queue_join(struct queue *q, int64_t timeout_ns);

#endif
