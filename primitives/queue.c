/*
 * primitives/queue.c - Queue, LifoQueue and PriorityQueue (see queue.h).
 *
 * The storage is one array of slots used three ways: a ring (FIFO), a
 * stack (LIFO) or a binary min-heap on (priority, seq) (PRIORITY).  The
 * blocking logic is Python's queue.py line for line: one sync Lock, three
 * sync Conditions over it, notify with the lock held.
 */
#include <stdlib.h>

#include "primitives/preempt.h"
#include "primitives/queue.h"

/* First storage of an unbounded queue; doubled whenever it fills. */
#define QUEUE_GROWN_INITIAL 16

static struct queue__slot *queue_storage(struct queue *q)
{
	return q->grown ? q->grown : q->slots;
}

static bool queue_kind_valid(enum queue_kind kind)
{
	return kind == QUEUE_FIFO || kind == QUEUE_LIFO || kind == QUEUE_PRIORITY;
}

size_t queue_bytes(size_t maxsize)
{
	if (maxsize > (SIZE_MAX - sizeof(struct queue)) / sizeof(struct queue__slot))
		return 0;
	return sizeof(struct queue) + maxsize * sizeof(struct queue__slot);
}

static void queue_setup(struct queue *q, enum queue_kind kind, size_t maxsize,
			size_t capacity, int shared)
{
	/* Each condition takes `shared` from the lock it is built over. */
	sync_lock_init(&q->mutex, shared);
	sync_cond_init(&q->not_empty, &q->mutex);
	sync_cond_init(&q->not_full, &q->mutex);
	sync_cond_init(&q->all_tasks_done, &q->mutex);
	q->kind = kind;
	q->owned = 0;
	q->maxsize = maxsize;
	q->capacity = capacity;
	q->head = 0;
	q->count = 0;
	q->next_seq = 0;
	q->unfinished = 0;
	q->grown = NULL;
}

int queue_init(struct queue *q, enum queue_kind kind, size_t maxsize, int shared)
{
	if (maxsize == 0 || !queue_kind_valid(kind))
		return -EINVAL;
	queue_setup(q, kind, maxsize, maxsize, shared);
	return 0;
}

int queue_create(struct queue **qp, enum queue_kind kind, size_t maxsize)
{
	struct queue *q;

	if (!queue_kind_valid(kind))
		return -EINVAL;
	if (queue_bytes(maxsize) == 0)
		return -ENOMEM;
	q = malloc(queue_bytes(maxsize));
	if (!q)
		return -ENOMEM;
	queue_setup(q, kind, maxsize, maxsize, 0);
	if (maxsize == 0) {
		q->grown = malloc(QUEUE_GROWN_INITIAL * sizeof(*q->grown));
		if (!q->grown) {
			free(q);
			return -ENOMEM;
		}
		q->capacity = QUEUE_GROWN_INITIAL;
	}
	q->owned = 1;
	*qp = q;
	return 0;
}

void queue_destroy(struct queue *q)
{
	if (!q || !q->owned)
		return;
	free(q->grown);
	free(q);
}

/* Unbounded queue is out of room: double the storage, keeping order. */
static int queue_grow(struct queue *q)
{
	size_t cap = q->capacity;
	struct queue__slot *s;

	if (cap > SIZE_MAX / 2 / sizeof(*s))
		return -ENOMEM;
	s = malloc(2 * cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* Unwrap the ring (head is always 0 for LIFO and PRIORITY). */
	for (size_t i = 0; i < q->count; i++)
		s[i] = q->grown[(q->head + i) % cap];
	free(q->grown);
	q->grown = s;
	q->head = 0;
	q->capacity = 2 * cap;
	return 0;
}

static bool queue_slot_less(const struct queue__slot *a, const struct queue__slot *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return a->seq < b->seq;
}

static void queue_heap_push(struct queue__slot *h, size_t n, struct queue__slot s)
{
	size_t i = n;

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!queue_slot_less(&s, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = s;
}

/* Remove h[0] from a heap of n (>= 1) slots. */
static struct queue__slot queue_heap_pop(struct queue__slot *h, size_t n)
{
	struct queue__slot top = h[0], last = h[n - 1];
	size_t i = 0;

	n--;
	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= n)
			break;
		if (child + 1 < n && queue_slot_less(&h[child + 1], &h[child]))
			child++;
		if (!queue_slot_less(&h[child], &last))
			break;
		h[i] = h[child];
		i = child;
	}
	if (n > 0)
		h[i] = last;
	return top;
}

/* Python's _put(): called with the mutex held and room for one item. */
static void queue_store(struct queue *q, const struct queue_item *item)
{
	struct queue__slot *st = queue_storage(q);
	struct queue__slot s = {
		.priority = item->priority,
		.seq = q->next_seq++,
		.value = item->value,
	};

	switch (q->kind) {
	case QUEUE_FIFO:
		st[(q->head + q->count) % q->capacity] = s;
		break;
	case QUEUE_LIFO:
		st[q->count] = s;
		break;
	default:
		queue_heap_push(st, q->count, s);
		break;
	}
	q->count++;
}

/* Python's _get(): called with the mutex held and at least one item. */
static void queue_take(struct queue *q, struct queue_item *out)
{
	struct queue__slot *st = queue_storage(q);
	struct queue__slot s;

	switch (q->kind) {
	case QUEUE_FIFO:
		s = st[q->head];
		q->head = (q->head + 1) % q->capacity;
		break;
	case QUEUE_LIFO:
		s = st[q->count - 1];
		break;
	default:
		s = queue_heap_pop(st, q->count);
		break;
	}
	q->count--;
	out->priority = s.priority;
	out->value = s.value;
}

static bool queue_is_full(const struct queue *q)
{
	return q->maxsize > 0 && q->count >= q->maxsize;
}

/* Predicates for sync_cond_wait_for(), evaluated with the lock held. */
static int queue_has_room(void *arg)
{
	return !queue_is_full(arg);
}

static int queue_has_items(void *arg)
{
	return ((struct queue *)arg)->count > 0;
}

static int queue_all_done(void *arg)
{
	return ((struct queue *)arg)->unfinished == 0;
}

/*
 * With the lock held, wait up to timeout_ns until pred(q): 0, `busy` when
 * the timeout is 0 and pred is false, or -ETIMEDOUT.
 */
static int queue_wait(struct queue *q, struct sync_cond *c, int (*pred)(void *),
		      int64_t timeout_ns, int busy)
{
	if (pred(q))
		return 0;
	if (timeout_ns == 0)
		return busy;
	/* Cannot be -EPERM: every caller holds q->mutex. */
	return sync_cond_wait_for(c, pred, q, timeout_ns);
}

int queue_put(struct queue *q, const struct queue_item *item, int64_t timeout_ns)
{
	int ret;

	sync_lock_acquire(&q->mutex);
	ret = queue_wait(q, &q->not_full, queue_has_room, timeout_ns, QUEUE_FULL);
	if (ret)
		goto out;
	if (q->count == q->capacity) {
		/* Only an unbounded private queue gets here: grow it. */
		ret = queue_grow(q);
		if (ret)
			goto out;
	}
	queue_store(q, item);
	q->unfinished++;
	sync_cond_notify(&q->not_empty, 1);
	/* The getter just released must queue on the mutex we hold. */
	PRIM_TEST_PREEMPT();
out:
	sync_lock_release(&q->mutex);
	return ret;
}

int queue_get(struct queue *q, struct queue_item *out, int64_t timeout_ns)
{
	int ret;

	sync_lock_acquire(&q->mutex);
	ret = queue_wait(q, &q->not_empty, queue_has_items, timeout_ns, QUEUE_EMPTY);
	if (ret)
		goto out;
	queue_take(q, out);
	sync_cond_notify(&q->not_full, 1);
	/* The putter just released must queue on the mutex we hold. */
	PRIM_TEST_PREEMPT();
out:
	sync_lock_release(&q->mutex);
	return ret;
}

size_t queue_qsize(struct queue *q)
{
	size_t n;

	sync_lock_acquire(&q->mutex);
	n = q->count;
	sync_lock_release(&q->mutex);
	return n;
}

bool queue_empty(struct queue *q)
{
	return queue_qsize(q) == 0;
}

bool queue_full(struct queue *q)
{
	bool full;

	sync_lock_acquire(&q->mutex);
	full = queue_is_full(q);
	sync_lock_release(&q->mutex);
	return full;
}

size_t queue_maxsize(const struct queue *q)
{
	return q->maxsize;	/* fixed at init: no lock needed */
}

int queue_task_done(struct queue *q)
{
	int ret = 0;

	sync_lock_acquire(&q->mutex);
	if (q->unfinished == 0) {
		ret = -EINVAL;
		goto out;
	}
	if (--q->unfinished == 0)
		sync_cond_notify_all(&q->all_tasks_done);
out:
	sync_lock_release(&q->mutex);
	return ret;
}

int queue_join(struct queue *q, int64_t timeout_ns)
{
	int ret;

	sync_lock_acquire(&q->mutex);
	ret = queue_wait(q, &q->all_tasks_done, queue_all_done, timeout_ns, -ETIMEDOUT);
	sync_lock_release(&q->mutex);
	return ret;
}
