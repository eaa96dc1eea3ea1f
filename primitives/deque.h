/*
 * primitives/deque.h - Python's collections.deque of 64-bit values.
 *
 * append/appendleft/pop/popleft, each atomic under one Lock from
 * primitives/sync.h (futex-based, works in MAP_SHARED memory), never
 * blocking for data: like Python's deque, pop on an empty deque fails at
 * once.
 * With a maxlen, appending to a full deque drops the item at the other
 * end, as Python does.
 *
 * Two ways to make one, as for queues:
 *   deque_init()    in caller memory of deque_bytes(capacity) bytes,
 *                   private or `shared` (MAP_SHARED between forked
 *                   processes); the storage is sized once, so without a
 *                   maxlen an append to a deque holding `capacity` items
 *                   fails with -ENOSPC.
 *   deque_create()  malloc'd and thread-private; without a maxlen the
 *                   storage grows; deque_destroy() frees.
 *
 * maxlen 0 means none (Python's maxlen=None); Python's maxlen=0, a deque
 * that drops everything, is not offered.
 *
 * Return codes:
 *   0            done (append: nothing dropped)
 *   1            append/appendleft: done, and the item at the other end
 *                was dropped because the deque was at maxlen
 *   DEQUE_EMPTY  pop/popleft on an empty deque (IndexError)
 *   -ENOSPC      deque_init() storage full and no maxlen
 *   -ENOMEM      deque_create() storage could not grow (MemoryError)
 *   -EINVAL      bad arguments at init
 */
#ifndef CONTEND_DEQUE_H
#define CONTEND_DEQUE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "primitives/sync.h"

#define DEQUE_EMPTY	(-ENODATA)

/* Fields are private. */
struct deque {
	struct sync_lock mutex;
	uint32_t owned;		/* from deque_create(): deque_destroy() frees */
	size_t maxlen;		/* 0 = none */
	size_t capacity;	/* slots in the storage */
	size_t head;		/* ring index of the leftmost item */
	size_t count;
	uint64_t *grown;	/* deque_create() without maxlen; else NULL */
	uint64_t slots[];
};

/* Bytes deque_init() needs for storage of `capacity` items; 0 on overflow. */
size_t deque_bytes(size_t capacity);

/*
 * Make a deque in caller memory `d` of at least deque_bytes(capacity)
 * bytes; maxlen 0 (none) or 1..capacity.  Returns 0, or -EINVAL for
 * capacity 0 or maxlen > capacity.  Nothing to release but the memory.
 */
int deque_init(struct deque *d, size_t capacity, size_t maxlen, int shared);

/*
 * Allocate a thread-private deque (maxlen 0: none, the storage grows).
 * Returns 0 and sets *dp, or -ENOMEM.
 */
int deque_create(struct deque **dp, size_t maxlen);

/* Free a deque from deque_create(). */
void deque_destroy(struct deque *d);

/* Add v at the right (append) or left (appendleft) end: 0, 1, -ENOSPC, -ENOMEM. */
int deque_append(struct deque *d, uint64_t v);
int deque_appendleft(struct deque *d, uint64_t v);

/* Remove the right (pop) or left (popleft) item into *out: 0 or DEQUE_EMPTY. */
int deque_pop(struct deque *d, uint64_t *out);
int deque_popleft(struct deque *d, uint64_t *out);

/* len(d): a snapshot under the mutex. */
size_t deque_len(struct deque *d);

size_t deque_maxlen(const struct deque *d);

#endif
