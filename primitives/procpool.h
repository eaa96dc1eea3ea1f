/*
 * primitives/procpool.h - a process pool: multiprocessing.Pool in C.
 *
 * `workers` processes are forked when the pool is made and live until
 * join or terminate.  A task is fn(arg, &result), run in a worker: fn is
 * a function of the program (a fork child has the same code at the same
 * addresses, so the pointer crosses as it is) and arg a 64-bit value
 * (a number, or an index into memory the caller shares with the
 * workers).  It returns 0 for success and anything else for failure.
 *
 * How tasks and results cross: a Unix-domain SOCK_SEQPACKET socket pair
 * per worker, one 16-byte message each way per task, one task in flight
 * per worker.  Not shared memory, because a socket is what tells the
 * parent that a worker died: its end reads end-of-file the moment the
 * worker's last descriptor closes, whatever killed it, so the task it
 * held is reported failed and the worker replaced without any time-out
 * or polling of pids; a send to a dead worker fails with EPIPE instead of
 * raising SIGPIPE (MSG_NOSIGNAL); and sequenced packets keep each message
 * whole.  Shared memory with futexes would hand a task over faster but
 * leave a crashed worker's task pending until some watchdog noticed, and
 * the lesson's point is a pool that goes on.  Arguments and results are
 * copied by value, as Python pickles them.
 *
 * The parent side is one thread of the pool, the result thread (Python's
 * _handle_results and _handle_tasks in one): it waits in poll() on the
 * workers' sockets and an eventfd that submitters ring, hands queued
 * tasks (primitives/queue.h, unbounded FIFO) to idle workers, reads
 * results, and runs each task's callback: cb(cb_arg, ok, result) in the
 * parent, on that thread, once per task.  ok is 0 when fn failed or its
 * worker died (crashed, killed, exited) before answering; the dead worker
 * is reaped and a new one forked in its place.  The workers are forked by
 * that thread and die with it (PR_SET_PDEATHSIG), so a parent killed in
 * the middle leaves no worker behind either.  A worker closes every
 * descriptor it inherited but its socket and 0-2, so no worker holds
 * another's socket open (which would hide that one's death).
 *
 *   apply        run one task and wait for it; 0 (ok), PROCPOOL_FAILED, -errno
 *   apply_async  queue one task; its callback says how it ended
 *   map          apply over an array, in parallel, waiting for all
 *   close        no more tasks; join then finishes those queued
 *   join         after close: wait for every queued task, stop and reap
 *                every worker
 *   terminate    kill every worker now (SIGKILL) and reap it; queued and
 *                running tasks are dropped (no callback); returns how many
 *
 * Submitting and close/join/terminate come from the pool's owner (one
 * thread at a time); a callback may submit.  A task that never returns
 * keeps join waiting (as Python's does); terminate never waits on a task.
 * Return codes: 0 or -errno (-EINVAL, -ENOMEM, -EPIPE after close,
 * -EAGAIN when no process could be forked at creation).
 */
#ifndef CONTEND_PROCPOOL_H
#define CONTEND_PROCPOOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "primitives/queue.h"
#include "primitives/sync.h"

/* apply()'s result when the task failed or its worker died. */
#define PROCPOOL_FAILED	1

/* Runs in a worker process: 0 for success, *result either way. */
typedef int (*procpool_fn)(uint64_t arg, uint64_t *result);
/* Runs in the parent, on the pool's result thread. */
typedef void (*procpool_callback)(void *cb_arg, int ok, uint64_t result);

struct procpool__worker {
	pid_t pid;		/* 0: none (a replacement could not be forked) */
	int fd;			/* the parent's end of its socket pair */
	struct procpool__task *task;	/* in flight, or NULL */
};

/* Fields are private. */
struct procpool {
	struct queue *q;		/* values: struct procpool__task * */
	struct sync_lock lock;		/* guards what is below and the pids */
	struct sync_event started;	/* the workers are forked (or failed) */
	pthread_t thread;		/* the result thread */
	int evfd;			/* rung by submitters and the owner */
	unsigned nworkers;
	struct procpool__worker *w;
	int start_err;
	int closed;			/* close (or terminate) called */
	int stop;			/* PROCPOOL__JOIN or PROCPOOL__TERMINATE */
	int joined;			/* the result thread is joined */
	uint64_t replaced;		/* workers forked again after a death */
	uint64_t dropped;		/* tasks terminate dropped */
};

/* Fork `workers` (>= 1) processes.  0, -EINVAL, -ENOMEM, -EAGAIN or
 * another -errno of fork/socketpair/eventfd. */
int procpool_create(struct procpool **pp, unsigned workers);

/* Queue fn(arg); cb (may be NULL) gets its outcome.  0, -EINVAL,
 * -ENOMEM, -EPIPE. */
int procpool_apply_async(struct procpool *p, procpool_fn fn, uint64_t arg,
			 procpool_callback cb, void *cb_arg);

/* Run fn(arg) and wait: 0 (ok, *result set), PROCPOOL_FAILED, or -errno. */
int procpool_apply(struct procpool *p, procpool_fn fn, uint64_t arg, uint64_t *result);

/* fn over args[0 .. n), results in results[] and ok flags in oks[] (each
 * may be NULL); waits for all.  Returns how many failed, or -errno before
 * any was queued. */
long procpool_map(struct procpool *p, procpool_fn fn, const uint64_t *args, size_t n,
		  uint64_t *results, int *oks);

/* No more tasks.  0, or -EPIPE if already closed. */
int procpool_close(struct procpool *p);

/* After close: run every queued task, then stop and reap every worker.
 * 0, -EINVAL (not closed) or -EPIPE (already joined or terminated). */
int procpool_join(struct procpool *p);

/* Kill and reap every worker now; returns the tasks dropped (queued or
 * running), 0 if already joined or terminated. */
size_t procpool_terminate(struct procpool *p);

/* Workers forked again after one died, so far. */
uint64_t procpool_replaced(struct procpool *p);

/* The workers' pids now (0 for a slot without one), into pids[0 .. n). */
void procpool_pids(struct procpool *p, pid_t *pids, unsigned n);

/* Terminate if neither join nor terminate ran, then free. */
void procpool_destroy(struct procpool *p);

#endif
