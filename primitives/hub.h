/*
 * primitives/hub.h - a gevent-style hub: coroutines (greenlets) that wait
 * for time and sockets by parking, and one libev loop per thread that
 * wakes them.
 *
 * A thread makes its hub with hub_new(); every other call here uses the
 * calling thread's hub.  The hub runs in a greenlet of its own (a stack
 * of its own), whose parent is the greenlet that made it, usually the
 * thread's root.  Tasks spawned with hub_spawn() are greenlets whose
 * parent is the hub; they start the next time the hub runs.  Any
 * greenlet of the thread except the hub may wait (hub_sleep, hub_join,
 * the socket calls): waiting parks it and switches to the hub, which
 * resumes it once what it waits for has happened.  So the thread's root
 * drives everything by waiting too (typically hub_joinall()).
 *
 * Scheduling.  The hub keeps a FIFO ready queue of parked greenlets that
 * may run and resumes them in order; hub_sleep(0) appends the caller and
 * parks it, so it runs again after every greenlet that was ready before
 * it (gevent's sleep(0)).  A greenlet that parks hands over straight to
 * the next ready one when no poll is due (one switch, not two through
 * the hub's greenlet); the hub's greenlet runs the loop.  libev (the thread's own ev_loop from
 * ev_loop_new, never the default loop) is consulted only while some
 * watcher of the hub is active: without blocking every HUB_POLL_EVERY
 * resumptions while the queue is not empty, so that timers and sockets
 * are not starved by a busy queue, and blocking once the queue is empty.
 * With no watcher active and an empty queue nothing can ever wake
 * anyone: the hub then resumes its parent, whose wait returns -EDEADLK.
 *
 * Where a parked greenlet's bookkeeping lives.  A task's (its ready-queue
 * link, its ev_timer and ev_io) is in the task, on the heap, so tasks may
 * use either stack mode (greenlet.h).  Another greenlet that waits keeps
 * it on its own stack, which must therefore stay put: the thread's root
 * or a GREENLET_STACK_MMAP greenlet, never a shared-mode one.
 *
 * Stacks: in GREENLET_STACK_MMAP mode the hub keeps the stacks of a few
 * freed tasks (up to 32) and gives them to the next spawns, so that a
 * spawn after a free makes no system call; hub_destroy unmaps them.
 *
 * Sockets: hub_accept/connect/recv/send expect non-blocking descriptors
 * (recv and send also pass MSG_DONTWAIT).  Each tries the system call;
 * on EAGAIN it parks on an ev_io until the descriptor is ready and tries
 * again.  Errors come back as -errno; a signal's EINTR is retried.
 *
 * Not thread-safe by design: a hub, its tasks and its greenlets belong to
 * one thread.  Several threads each run their own hub at the same time.
 */
#ifndef CONTEND_HUB_H
#define CONTEND_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "primitives/greenlet.h"

/* Resumptions between two non-blocking polls while the queue is busy. */
#define HUB_POLL_EVERY 64

/* The stack a task gets unless hub_attr says otherwise. */
#define HUB_STACK_DEFAULT (64 * 1024)

/* Readiness for hub_wait_fd(), libev's own bits. */
#define HUB_READ 0x01
#define HUB_WRITE 0x02

struct hub_attr {
	enum greenlet_stack mode;	/* tasks' stacks: own, or one shared */
	size_t stack_size;		/* bytes per task, or of the shared stack;
					 * 0: HUB_STACK_DEFAULT */
};

/* What the hub did, for a benchmark to check that the work happened. */
struct hub_stats {
	uint64_t resumed;	/* greenlets resumed from the ready queue */
	uint64_t polls;		/* ev_run calls */
	uint64_t spawned;	/* tasks spawned */
	uint64_t finished;	/* tasks whose fn returned */
};

struct hub;
struct hub_task;

/*
 * Make the calling thread's hub (attr NULL: mmap stacks of
 * HUB_STACK_DEFAULT).  Returns it, or NULL with errno: EBUSY (this thread
 * has one), EINVAL (a bad mode or a stack under 4 KiB), ENOMEM, or what
 * ev_loop_new (ENOMEM) or mmap said.
 */
struct hub *hub_new(const struct hub_attr *attr);

/*
 * Destroy the thread's hub: every task, finished or not (a parked task's
 * frames never run again), the loop and its descriptors, the stacks.
 * Call it from the greenlet that made the hub (or another that is not a
 * task): returns 0, or -EINVAL for another thread's hub, -EBUSY when
 * called from the hub or a task.
 */
int hub_destroy(struct hub *h);

/* The calling thread's hub, or NULL. */
struct hub *hub_current(void);

/*
 * Spawn a task that runs fn(arg) once the hub next runs.  Returns it, or
 * NULL with errno: ESRCH (no hub in this thread), EINVAL (no fn), ENOMEM,
 * or what mmap said for its stack.
 */
struct hub_task *hub_spawn(void *(*fn)(void *arg), void *arg);

/* Whether t's fn has returned, and what it returned (NULL before). */
bool hub_task_done(const struct hub_task *t);
void *hub_task_value(const struct hub_task *t);

/*
 * Free a finished task (hub_destroy frees the others).  Returns 0, or
 * -EBUSY while it has not finished.
 */
int hub_task_free(struct hub_task *t);

/*
 * Give back to the kernel the stacks the calling thread's hub keeps from
 * freed tasks for the next spawns (mmap mode; a no-op otherwise), as
 * malloc_trim() does for the heap: a count of memory per live task made
 * after it sees every task's stack.  Returns how many were unmapped.
 */
unsigned hub_trim(void);

/*
 * Wait until t has finished, at most timeout_s seconds (negative: no
 * limit; 0: only look).  Returns 0 once it has, -ETIMEDOUT, -EDEADLK
 * (nothing left that could finish it, or t is the caller), -ESRCH (no
 * hub), -EPERM (called from the hub itself).
 */
int hub_join(struct hub_task *t, double timeout_s);

/*
 * Wait until all n tasks have finished or timeout_s seconds (negative:
 * no limit) have passed; returns how many of them have finished (n when
 * all did), or a negative -errno as hub_join's for no hub or the hub.
 */
int hub_joinall(struct hub_task *const *tasks, size_t n, double timeout_s);

/*
 * Park for seconds (an ev_timer; 0: only let every greenlet ready now run
 * first).  Returns 0, or -EINVAL (negative or not a number), -ESRCH,
 * -EPERM as above.
 */
int hub_sleep(double seconds);

/*
 * Park until fd is ready for events (HUB_READ | HUB_WRITE).  Returns 0,
 * or -EINVAL (no event asked, a negative fd), -ESRCH, -EPERM, -EDEADLK.
 */
int hub_wait_fd(int fd, int events);

/*
 * The socket calls: as accept4 (the new socket non-blocking and
 * close-on-exec), connect, recv and send (MSG_NOSIGNAL: a closed peer is
 * -EPIPE, not a signal), parking while the socket is not ready.  Return
 * the descriptor, 0, or the byte count; -errno on error.
 */
int hub_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int hub_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
ssize_t hub_recv(int fd, void *buf, size_t len, int flags);
ssize_t hub_send(int fd, const void *buf, size_t len, int flags);

/* The thread's hub's counters (zero without a hub). */
void hub_get_stats(struct hub_stats *out);

#endif
