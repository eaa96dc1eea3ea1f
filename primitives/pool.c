/*
 * primitives/pool.c - the lesson's callback thread pool and its token
 * pool (see pool.h).
 *
 * The callback pool's bookkeeping (how many workers exist, how many wait
 * for a task, how many tasks are queued) sits under one sync Lock; the
 * tasks themselves travel through the queue, whose own lock and
 * conditions do the waiting.  A worker is told to stop by a task of value
 * 0, queued after everything else (close) or after the queue was emptied
 * (terminate), one per worker.
 */
#include <errno.h>
#include <stdlib.h>

#include "primitives/pool.h"

struct pool__task {
	pool_fn fn;
	void *arg;
	pool_callback cb;
	void *cb_arg;
};

/* Run one task and report it to its callback. */
static void pool__task_finish(pool_fn fn, void *arg, pool_callback cb, void *cb_arg)
{
	uint64_t result = 0;
	int ok = fn(arg, &result) == 0;

	if (cb)
		cb(cb_arg, ok, result);
}

/* ---- the callback pool ---- */

static void *pool_thread_main(void *arg)
{
	struct pool_thread *p = arg;
	struct queue_item it;

	for (;;) {
		queue_get(p->q, &it, -1);	/* waits for ever: always 0 */
		sync_lock_acquire(&p->lock);
		p->waiting--;
		if (it.value)
			p->queued--;
		sync_lock_release(&p->lock);
		if (!it.value)
			break;
		struct pool__task *k = (struct pool__task *)(uintptr_t)it.value;

		pool__task_finish(k->fn, k->arg, k->cb, k->cb_arg);
		free(k);
		sync_lock_acquire(&p->lock);
		p->waiting++;
		sync_lock_release(&p->lock);
	}
	return NULL;
}

int pool_thread_create(struct pool_thread **pp, unsigned max_workers, size_t maxsize)
{
	struct pool_thread *p;
	int err;

	if (max_workers == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->threads = calloc(max_workers, sizeof(*p->threads));
	if (!p->threads) {
		err = -ENOMEM;
		goto err;
	}
	err = queue_create(&p->q, QUEUE_FIFO, maxsize);
	if (err < 0)
		goto err;
	sync_lock_init(&p->lock, 0);
	p->max_workers = max_workers;
	*pp = p;
	return 0;
err:
	free(p->threads);
	free(p);
	return err;
}

int pool_thread_run(struct pool_thread *p, pool_fn fn, void *arg, pool_callback cb,
		    void *cb_arg)
{
	struct queue_item it = { 0 };
	struct pool__task *k;
	int err;

	if (!fn)
		return -EINVAL;
	k = malloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	*k = (struct pool__task){ .fn = fn, .arg = arg, .cb = cb, .cb_arg = cb_arg };
	sync_lock_acquire(&p->lock);
	if (p->closed) {
		sync_lock_release(&p->lock);
		free(k);
		return -EPIPE;
	}
	p->queued++;
	/* More tasks than workers waiting for one: another worker, if the
	 * maximum allows.  It counts as waiting from now on, so the next
	 * task does not start a second one for the same gap. */
	if (p->queued > p->waiting && p->created < p->max_workers) {
		err = pthread_create(&p->threads[p->created], NULL, pool_thread_main, p);
		if (err == 0) {
			p->created++;
			p->waiting++;
		} else if (p->created == 0) {
			p->queued--;
			sync_lock_release(&p->lock);
			free(k);
			return -err;
		}
	}
	sync_lock_release(&p->lock);
	it.value = (uintptr_t)k;
	err = queue_put(p->q, &it, -1);
	if (err < 0) {
		sync_lock_acquire(&p->lock);
		p->queued--;
		sync_lock_release(&p->lock);
		free(k);
	}
	return err;
}

/* Queue one stop per worker and join them all. */
static void pool_thread_stop(struct pool_thread *p, unsigned n)
{
	const struct queue_item stop = { 0 };

	for (unsigned i = 0; i < n; i++)
		if (queue_put(p->q, &stop, -1) < 0)
			abort();	/* no memory for one item: nothing sane left */
	for (unsigned i = 0; i < n; i++)
		pthread_join(p->threads[i], NULL);
}

int pool_thread_close(struct pool_thread *p)
{
	unsigned n;

	sync_lock_acquire(&p->lock);
	if (p->closed) {
		sync_lock_release(&p->lock);
		return -EPIPE;
	}
	p->closed = 1;
	n = p->created;
	sync_lock_release(&p->lock);
	pool_thread_stop(p, n);
	return 0;
}

size_t pool_thread_terminate(struct pool_thread *p)
{
	struct queue_item it;
	size_t dropped = 0;
	unsigned n;

	sync_lock_acquire(&p->lock);
	if (p->closed) {
		sync_lock_release(&p->lock);
		return 0;
	}
	p->closed = 1;
	n = p->created;
	sync_lock_release(&p->lock);
	/* No stop is queued yet, and no run() can add to the queue: what
	 * is taken here is every task no worker has started. */
	while (queue_get_nowait(p->q, &it) == 0) {
		free((struct pool__task *)(uintptr_t)it.value);
		dropped++;
	}
	sync_lock_acquire(&p->lock);
	p->queued -= dropped;
	sync_lock_release(&p->lock);
	pool_thread_stop(p, n);
	return dropped;
}

unsigned pool_thread_created(struct pool_thread *p)
{
	unsigned n;

	sync_lock_acquire(&p->lock);
	n = p->created;
	sync_lock_release(&p->lock);
	return n;
}

unsigned pool_thread_idle(struct pool_thread *p)
{
	unsigned n;

	sync_lock_acquire(&p->lock);
	n = p->closed ? 0 : p->waiting;
	sync_lock_release(&p->lock);
	return n;
}

void pool_thread_destroy(struct pool_thread *p)
{
	if (!p)
		return;
	pool_thread_terminate(p);
	queue_destroy(p->q);
	free(p->threads);
	free(p);
}

/* ---- the token pool ---- */

struct pool__token_task {
	struct pool_token *p;
	unsigned token;
	pool_fn fn;
	void *arg;
	pool_callback cb;
	void *cb_arg;
};

static void *pool_token_main(void *arg)
{
	struct pool__token_task *k = arg;
	struct queue_item it = { .value = k->token + 1 };
	struct pool_token *p = k->p;

	pool__task_finish(k->fn, k->arg, k->cb, k->cb_arg);
	free(k);
	/* Bounded by max and holding at most max tokens: never full here. */
	queue_put(p->tokens, &it, -1);
	return NULL;
}

int pool_token_create(struct pool_token **pp, unsigned max)
{
	struct pool_token *p;
	int err = -ENOMEM;

	if (max == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->threads = calloc(max, sizeof(*p->threads));
	p->live = calloc(max, 1);
	if (!p->threads || !p->live)
		goto err;
	err = queue_create(&p->tokens, QUEUE_FIFO, max);
	if (err < 0)
		goto err;
	for (unsigned i = 0; i < max; i++) {
		struct queue_item it = { .value = i + 1 };

		queue_put(p->tokens, &it, -1);
	}
	p->max = max;
	*pp = p;
	return 0;
err:
	free(p->live);
	free(p->threads);
	free(p);
	return err;
}

int pool_token_run(struct pool_token *p, pool_fn fn, void *arg, pool_callback cb,
		   void *cb_arg)
{
	struct pool__token_task *k;
	struct queue_item it;
	unsigned i;
	int err;

	if (!fn)
		return -EINVAL;
	if (p->closed)
		return -EPIPE;
	k = malloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	queue_get(p->tokens, &it, -1);
	i = (unsigned)it.value - 1;
	/* The token is back, so its last thread is done with the pool:
	 * joining it costs at most its exit. */
	if (p->live[i]) {
		pthread_join(p->threads[i], NULL);
		p->live[i] = 0;
	}
	*k = (struct pool__token_task){ .p = p, .token = i, .fn = fn, .arg = arg, .cb = cb,
					.cb_arg = cb_arg };
	err = pthread_create(&p->threads[i], NULL, pool_token_main, k);
	if (err != 0) {
		free(k);
		queue_put(p->tokens, &it, -1);
		return -err;
	}
	p->live[i] = 1;
	p->created++;
	return 0;
}

int pool_token_close(struct pool_token *p)
{
	struct queue_item it;

	if (p->closed)
		return -EPIPE;
	p->closed = 1;
	/* Every token back: every task and callback done. */
	for (unsigned n = 0; n < p->max; n++)
		queue_get(p->tokens, &it, -1);
	for (unsigned i = 0; i < p->max; i++)
		if (p->live[i]) {
			pthread_join(p->threads[i], NULL);
			p->live[i] = 0;
		}
	return 0;
}

uint64_t pool_token_created(const struct pool_token *p)
{
	return p->created;
}

void pool_token_destroy(struct pool_token *p)
{
	if (!p)
		return;
	if (!p->closed)
		pool_token_close(p);
	queue_destroy(p->tokens);
	free(p->live);
	free(p->threads);
	free(p);
}
