/*
 * primitives/deque.c - collections.deque (see deque.h): a ring of
 * uint64_t under one sync Lock.
 */
#include <stdlib.h>

#include "primitives/deque.h"

/* First storage of an unbounded deque; doubled whenever it fills. */
#define DEQUE_GROWN_INITIAL 16

static uint64_t *deque_storage(struct deque *d)
{
	return d->grown ? d->grown : d->slots;
}

size_t deque_bytes(size_t capacity)
{
	if (capacity > (SIZE_MAX - sizeof(struct deque)) / sizeof(uint64_t))
		return 0;
	return sizeof(struct deque) + capacity * sizeof(uint64_t);
}

static void deque_setup(struct deque *d, size_t capacity, size_t maxlen, int shared)
{
	sync_lock_init(&d->mutex, shared);
	d->owned = 0;
	d->maxlen = maxlen;
	d->capacity = capacity;
	d->head = 0;
	d->count = 0;
	d->grown = NULL;
}

int deque_init(struct deque *d, size_t capacity, size_t maxlen, int shared)
{
	if (capacity == 0 || maxlen > capacity)
		return -EINVAL;
	deque_setup(d, capacity, maxlen, shared);
	return 0;
}

int deque_create(struct deque **dp, size_t maxlen)
{
	struct deque *d;

	/* With a maxlen the storage is inline and exactly maxlen slots. */
	if (deque_bytes(maxlen) == 0)
		return -ENOMEM;
	d = malloc(deque_bytes(maxlen));
	if (!d)
		return -ENOMEM;
	deque_setup(d, maxlen, maxlen, 0);
	if (maxlen == 0) {
		d->grown = malloc(DEQUE_GROWN_INITIAL * sizeof(*d->grown));
		if (!d->grown) {
			free(d);
			return -ENOMEM;
		}
		d->capacity = DEQUE_GROWN_INITIAL;
	}
	d->owned = 1;
	*dp = d;
	return 0;
}

void deque_destroy(struct deque *d)
{
	if (!d || !d->owned)
		return;
	free(d->grown);
	free(d);
}

/* Double a growable deque's storage, unwrapping the ring. */
static int deque_grow(struct deque *d)
{
	size_t cap = d->capacity;
	uint64_t *s;

	if (cap > SIZE_MAX / 2 / sizeof(*s))
		return -ENOMEM;
	s = malloc(2 * cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < d->count; i++)
		s[i] = d->grown[(d->head + i) % cap];
	free(d->grown);
	d->grown = s;
	d->head = 0;
	d->capacity = 2 * cap;
	return 0;
}

/*
 * Make room for one more item, with the mutex held.  Returns 0 (room),
 * 1 (full at maxlen: the caller overwrites the item at the other end),
 * -ENOSPC or -ENOMEM.
 */
static int deque_room(struct deque *d)
{
	if (d->maxlen && d->count == d->maxlen)
		return 1;
	if (d->count < d->capacity)
		return 0;
	if (!d->grown)
		return -ENOSPC;
	return deque_grow(d);
}

int deque_append(struct deque *d, uint64_t v)
{
	uint64_t *st;
	int ret;

	sync_lock_acquire(&d->mutex);
	ret = deque_room(d);
	if (ret < 0)
		goto out;
	st = deque_storage(d);
	if (ret == 1) {
		/* Full at maxlen: drop the leftmost, then append. */
		d->head = (d->head + 1) % d->capacity;
		d->count--;
	}
	st[(d->head + d->count) % d->capacity] = v;
	d->count++;
out:
	sync_lock_release(&d->mutex);
	return ret;
}

int deque_appendleft(struct deque *d, uint64_t v)
{
	uint64_t *st;
	int ret;

	sync_lock_acquire(&d->mutex);
	ret = deque_room(d);
	if (ret < 0)
		goto out;
	st = deque_storage(d);
	if (ret == 1)
		d->count--;	/* full at maxlen: drop the rightmost, then prepend */
	d->head = (d->head + d->capacity - 1) % d->capacity;
	st[d->head] = v;
	d->count++;
out:
	sync_lock_release(&d->mutex);
	return ret;
}

int deque_pop(struct deque *d, uint64_t *out)
{
	int ret = 0;

	sync_lock_acquire(&d->mutex);
	if (d->count == 0) {
		ret = DEQUE_EMPTY;
	} else {
		d->count--;
		*out = deque_storage(d)[(d->head + d->count) % d->capacity];
	}
	sync_lock_release(&d->mutex);
	return ret;
}

int deque_popleft(struct deque *d, uint64_t *out)
{
	int ret = 0;

	sync_lock_acquire(&d->mutex);
	if (d->count == 0) {
		ret = DEQUE_EMPTY;
	} else {
		*out = deque_storage(d)[d->head];
		d->head = (d->head + 1) % d->capacity;
		d->count--;
	}
	sync_lock_release(&d->mutex);
	return ret;
}

size_t deque_len(struct deque *d)
{
	size_t n;

	sync_lock_acquire(&d->mutex);
	n = d->count;
	sync_lock_release(&d->mutex);
	return n;
}

size_t deque_maxlen(const struct deque *d)
{
	return d->maxlen;	/* fixed at init: no lock needed */
}
