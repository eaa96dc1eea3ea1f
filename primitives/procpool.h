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
 * How tasks and results cross: shared memory, mapped (MAP_SHARED,
 * anonymous) before the first fork.  Each worker has a lane there: 256
 * task slots (fn, arg in; result, failed out), a ring of slot numbers
 * from the parent to the worker and one back (Concurrency Kit's
 * single-producer single-consumer ck_ring, through primitives/ring_ck.h),
 * so up to 256 tasks are in flight per worker and neither side makes a
 * system call while the other is awake: a worker takes its next task
 * from its ring the moment it finishes one.  A side that finds its ring
 * empty sleeps, and the other wakes it only then: a worker on a futex in
 * its lane, the parent in poll() on an eventfd the workers ring.  A
 * worker rings the parent only when 64 answers wait, or as many as the
 * tasks left on its ring (a batch of callbacks per wake-up, half its
 * work still to run while the parent refills it), so a callback may come a little
 * after its task ended (while the worker runs later tasks of its ring,
 * the parent also looks every few milliseconds).  A task is handed to
 * the worker with the fewest in flight, up to about 2 ms of work ahead
 * (measured from its answers: 200 tasks of 10 us, two of 1 ms, so that
 * a worker slowed down holds little that others could have run); past
 * that it waits in the parent, in order, for the next free slot.  Arguments and results
 * are copied by value, as Python pickles them.
 *
 * Why not a socket per task, as before: a task that crossed a socket pair
 * paid two system calls, two wake-ups and a context switch each way, and
 * left the worker idle while its answer went round (78 us a task on the
 * development VM, against 17 us for CPython's Pool); over shared rings
 * the hand-over costs a few cache misses.
 *
 * A worker's death is still told by a Unix-domain socket pair per worker,
 * which carries nothing: the parent's end reads end-of-file the moment the
 * worker's last descriptor closes, whatever killed it, without any
 * time-out or polling of pids.  The parent then reaps it, reads the
 * answers it left in its ring (those tasks ended and are called back),
 * takes back the tasks it never took (they run on another worker), and
 * reports failed the one task it held: it runs one at a time, so every
 * task it was given but neither answered nor left in its ring is that
 * one.  The lane is emptied and a new worker forked in its place.
 *
 * The parent side is one thread of the pool, the result thread (Python's
 * _handle_results): it reads the answers, runs each task's callback:
 * cb(cb_arg, ok, result) in the parent, on that thread, once per task,
 * hands waiting tasks to freed slots, and replaces dead workers.  The
 * submitter puts a task on a worker's ring itself when a slot is free.
 * ok is 0 when fn failed or its worker died (crashed, killed, exited)
 * before answering.  The workers are forked by the result thread and die
 * with it (PR_SET_PDEATHSIG), so a parent killed in the middle leaves no
 * worker behind either.  A worker closes every descriptor it inherited
 * but its socket, the eventfd and 0-2, so no worker holds another's
 * socket open (which would hide that one's death).
 *
 *   apply        run one task and wait for it; 0 (ok), PROCPOOL_FAILED, -errno
 *   apply_async  queue one task; its callback says how it ended
 *   map          apply over an array, in parallel, waiting for all
 *   close        no more tasks; join then finishes those queued
 *   join         after close: wait for every queued task, stop and reap
 *                every worker
 *   terminate    kill every worker now (SIGKILL) and reap it; queued and
 *                running tasks are dropped (no callback), tasks that had
 *                ended are called back; returns how many were dropped
 *
 * apply_async, apply and map may come from any thread at once, and a
 * callback may call apply_async (not apply or map: they would wait for
 * the thread that runs the callbacks); close, join and terminate come
 * from the pool's owner, one thread at a time.  A task that never returns
 * keeps join waiting (as Python's does); terminate never waits on a task.
 * Return codes: 0 or -errno (-EINVAL, -ENOMEM, -EPIPE after close,
 * -EAGAIN when no process could be forked at creation).
 */
#ifndef CONTEND_PROCPOOL_H
#define CONTEND_PROCPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* apply()'s result when the task failed or its worker died. */
#define PROCPOOL_FAILED	1

/* Runs in a worker process: 0 for success, *result either way. */
typedef int (*procpool_fn)(uint64_t arg, uint64_t *result);
/* Runs in the parent, on the pool's result thread. */
typedef void (*procpool_callback)(void *cb_arg, int ok, uint64_t result);

struct procpool;

/* Fork `workers` (>= 1) processes.  0, -EINVAL, -ENOMEM, -EAGAIN or
 * another -errno of mmap/fork/socketpair/eventfd. */
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
