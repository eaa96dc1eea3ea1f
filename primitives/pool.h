/*
 * primitives/pool.h - the lesson's two thread pools.
 *
 * pool_thread: the lesson's better pool.  A task queue (primitives/queue.h,
 * FIFO, bounded or not) and at most max_workers threads, made on demand:
 * run() starts a new worker only when more tasks are queued than workers
 * are waiting for one and fewer than max_workers exist; a worker that
 * finishes a task takes the next, so threads are reused.  Every task
 * ends with its callback, called on the worker right after the task:
 * cb(cb_arg, ok, result), ok 1 when fn returned 0, ok 0 when it returned
 * anything else (the C face of a task that raised; the pool goes on).
 *
 *   close      no more run(); the workers finish every queued task, then
 *              stop; returns once every worker has been joined.
 *   terminate  no more run(); the queue is dropped (those tasks never run
 *              and get no callback); the workers stop after the task each
 *              is running; returns the number of tasks dropped, once every
 *              worker has been joined.
 *
 * pool_token: the lesson's first pool.  A queue of max tokens; run() takes
 * a token (waiting while none is left), starts a new thread for the task,
 * and that thread hands the token back when the task and its callback are
 * done.  A thread per task, never reused: the baseline that shows what
 * reuse buys.  run() joins the thread that last held the token it took, so
 * at most max task threads exist at once and none is left unjoined.
 *
 * Threads only: task, argument and callback are pointers of one process.
 * run(), close() and terminate() come from the pool's owner, one at a
 * time (not from a task or a callback); tasks and callbacks run on the
 * pool's threads.  Return codes are 0 or a negative errno: -EINVAL (a bad
 * argument), -ENOMEM, -EAGAIN (no thread could be made and none exists to
 * run the task: the task is not queued), -EPIPE (run() after close or
 * terminate).  After close or terminate no thread of the pool is left;
 * destroy frees the memory (terminating first if neither was called).
 */
#ifndef CONTEND_POOL_H
#define CONTEND_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "primitives/queue.h"
#include "primitives/sync.h"

/* A task: 0 for success, anything else for failure; *result for both. */
typedef int (*pool_fn)(void *arg, uint64_t *result);
/* Its callback: ok 1 or 0, and the result fn left (0 if it left none). */
typedef void (*pool_callback)(void *cb_arg, int ok, uint64_t result);

/* ------------------------------------------------------------------ */
/* The callback pool                                                    */

/* Fields are private. */
struct pool_thread {
	struct queue *q;		/* values: struct pool__task *, 0 = stop */
	struct sync_lock lock;		/* guards the counts and state below */
	unsigned max_workers;
	unsigned created;		/* threads made, all still joinable */
	unsigned waiting;		/* workers waiting for a task (or starting) */
	size_t queued;			/* tasks put and not yet taken */
	int closed;			/* close or terminate called */
	pthread_t *threads;		/* [max_workers] */
};

/*
 * Make a pool of at most max_workers (>= 1) threads; none is started yet.
 * maxsize: the task queue's bound (run() waits while it is full), 0 for
 * unbounded.  0, -EINVAL or -ENOMEM.
 */
int pool_thread_create(struct pool_thread **pp, unsigned max_workers, size_t maxsize);

/* Queue fn(arg); cb (may be NULL) gets its outcome.  0, -EPIPE, -ENOMEM,
 * -EAGAIN. */
int pool_thread_run(struct pool_thread *p, pool_fn fn, void *arg, pool_callback cb,
		    void *cb_arg);

/* Finish the queue, stop and join every worker.  0, or -EPIPE if already
 * closed or terminated. */
int pool_thread_close(struct pool_thread *p);

/* Drop the queue, stop every worker after its running task and join it.
 * Returns the tasks dropped (0 if already closed). */
size_t pool_thread_terminate(struct pool_thread *p);

/* Threads made so far / workers waiting for a task now (a snapshot). */
unsigned pool_thread_created(struct pool_thread *p);
unsigned pool_thread_idle(struct pool_thread *p);

/* Terminate if still open, then free. */
void pool_thread_destroy(struct pool_thread *p);

/* ------------------------------------------------------------------ */
/* The token pool                                                       */

struct pool_token {
	struct queue *tokens;		/* values: token index + 1 */
	unsigned max;
	int closed;
	uint64_t created;		/* threads made so far (owner only) */
	pthread_t *threads;		/* [max]: the thread that last held token i */
	uint8_t *live;			/* [max]: threads[i] is still to be joined */
};

/* A pool of max (>= 1) tokens.  0, -EINVAL or -ENOMEM. */
int pool_token_create(struct pool_token **pp, unsigned max);

/* Take a token (waiting for one), start a thread that runs fn(arg), calls
 * cb and hands the token back.  0, -EPIPE, -ENOMEM, -EAGAIN (the token is
 * handed back). */
int pool_token_run(struct pool_token *p, pool_fn fn, void *arg, pool_callback cb,
		   void *cb_arg);

/* Wait for every token to come back and join every thread.  0 or -EPIPE. */
int pool_token_close(struct pool_token *p);

/* Threads made so far. */
uint64_t pool_token_created(const struct pool_token *p);

/* Close if still open, then free. */
void pool_token_destroy(struct pool_token *p);

#endif
