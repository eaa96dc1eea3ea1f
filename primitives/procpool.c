/*
 * primitives/procpool.c - the process pool (see procpool.h).
 *
 * Everything that touches a worker happens on the result thread: it forks
 * them, hands them tasks, reads their answers, notices their deaths,
 * replaces them, and at the end stops and reaps them.  The owner's calls
 * only queue tasks, set `stop` and ring the eventfd, so the workers'
 * table needs no lock but for the pids that procpool_pids() reads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "primitives/procpool.h"

enum { PROCPOOL__RUN, PROCPOOL__JOIN, PROCPOOL__TERMINATE };

struct procpool__task {
	procpool_fn fn;
	uint64_t arg;
	procpool_callback cb;
	void *cb_arg;
};

/* One message each way: a task (fn, arg) or an answer (failed, result). */
struct procpool__msg {
	uint64_t a, b;
};

/* ---- the worker process ---- */

static _Noreturn void procpool_worker_main(int fd)
{
	struct procpool__msg m;
	uint64_t result;
	ssize_t n;

	for (;;) {
		n = recv(fd, &m, sizeof(m), 0);
		if (n == 0)
			_exit(0);		/* the pool closed our socket: stop */
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m))
			_exit(1);
		result = 0;
		m.a = ((procpool_fn)(uintptr_t)m.a)(m.b, &result) != 0;
		m.b = result;
		if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
			_exit(1);
	}
}

/* Close every descriptor above 2 but `keep`. */
static void procpool_close_others(int keep)
{
	if (keep > 3)
		close_range(3, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0U, 0);
}

/* Fork a worker into w.  0 or -errno. */
static int procpool_spawn(struct procpool *p, struct procpool__worker *w)
{
	pid_t parent = getpid(), pid;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);	/* the result thread ended before the line above */
		procpool_close_others(sv[1]);
		procpool_worker_main(sv[1]);
	}
	close(sv[1]);
	sync_lock_acquire(&p->lock);
	w->pid = pid;
	sync_lock_release(&p->lock);
	w->fd = sv[0];
	w->task = NULL;
	return 0;
}

/* Reap a worker whose socket is closed or that was killed. */
static void procpool_reap(struct procpool *p, struct procpool__worker *w)
{
	close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
	sync_lock_acquire(&p->lock);
	w->pid = 0;
	sync_lock_release(&p->lock);
}

static void procpool_finish(struct procpool__task *k, int ok, uint64_t result)
{
	if (k->cb)
		k->cb(k->cb_arg, ok, result);
	free(k);
}

/* A worker died (end-of-file, or a send that failed): its task failed,
 * and another takes its place (none if fork fails now: the others go on,
 * and with none left, tasks wait for a later try). */
static void procpool_lost(struct procpool *p, struct procpool__worker *w)
{
	struct procpool__task *k = w->task;

	w->task = NULL;
	procpool_reap(p, w);
	if (k)
		procpool_finish(k, 0, 0);
	if (procpool_spawn(p, w) == 0) {
		sync_lock_acquire(&p->lock);
		p->replaced++;
		sync_lock_release(&p->lock);
	}
}

static void procpool_ring(struct procpool *p);

/* Give idle workers queued tasks. */
static void procpool_dispatch(struct procpool *p)
{
	struct queue_item it;

	for (unsigned i = 0; i < p->nworkers; i++) {
		struct procpool__worker *w = &p->w[i];
		struct procpool__msg m;

		if (!w->pid) {
			if (procpool_spawn(p, w) != 0)
				continue;
			sync_lock_acquire(&p->lock);
			p->replaced++;
			sync_lock_release(&p->lock);
		}
		if (w->task || queue_get_nowait(p->q, &it) != 0)
			continue;
		w->task = (struct procpool__task *)(uintptr_t)it.value;
		m.a = (uintptr_t)w->task->fn;
		m.b = w->task->arg;
		if (send(w->fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m)) {
			/* The worker died idle (its end-of-file not read
			 * yet): the task never reached it, so it waits for
			 * the next worker instead of failing. */
			it.value = (uintptr_t)w->task;
			w->task = NULL;
			if (queue_put(p->q, &it, -1) < 0)
				procpool_finish((struct procpool__task *)(uintptr_t)it.value, 0, 0);
			procpool_lost(p, w);
			procpool_ring(p);	/* so that the loop comes back for it */
		}
	}
}

/* Read worker w's answer, or learn that it died. */
static void procpool_answer(struct procpool *p, struct procpool__worker *w)
{
	struct procpool__task *k;
	struct procpool__msg m;
	ssize_t n;

	do
		n = recv(w->fd, &m, sizeof(m), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n != (ssize_t)sizeof(m) || !w->task) {
		procpool_lost(p, w);
		return;
	}
	k = w->task;
	w->task = NULL;
	procpool_finish(k, m.a == 0, m.b);
}

static size_t procpool_kill_all(struct procpool *p)
{
	struct queue_item it;
	size_t dropped = 0;

	for (unsigned i = 0; i < p->nworkers; i++) {
		struct procpool__worker *w = &p->w[i];

		if (!w->pid)
			continue;
		kill(w->pid, SIGKILL);
		procpool_reap(p, w);
		if (w->task) {
			free(w->task);
			w->task = NULL;
			dropped++;
		}
	}
	while (queue_get_nowait(p->q, &it) == 0) {
		free((struct procpool__task *)(uintptr_t)it.value);
		dropped++;
	}
	return dropped;
}

/* Whether nothing is queued or in flight. */
static int procpool_idle(struct procpool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].task)
			return 0;
	return queue_empty(p->q);
}

static void *procpool_main(void *arg)
{
	struct procpool *p = arg;
	struct pollfd *fds;
	uint64_t ring;
	int stop;

	fds = calloc(p->nworkers + 1, sizeof(*fds));
	p->start_err = fds ? 0 : -ENOMEM;
	for (unsigned i = 0; i < p->nworkers && !p->start_err; i++)
		p->start_err = procpool_spawn(p, &p->w[i]);
	if (p->start_err) {
		procpool_kill_all(p);
		free(fds);
		sync_event_set(&p->started);
		return NULL;
	}
	sync_event_set(&p->started);
	for (;;) {
		sync_lock_acquire(&p->lock);
		stop = p->stop;
		sync_lock_release(&p->lock);
		if (stop == PROCPOOL__TERMINATE) {
			size_t dropped = procpool_kill_all(p);

			sync_lock_acquire(&p->lock);
			p->dropped = dropped;
			sync_lock_release(&p->lock);
			break;
		}
		procpool_dispatch(p);
		if (stop == PROCPOOL__JOIN && procpool_idle(p)) {
			/* Closing its socket stops a worker. */
			for (unsigned i = 0; i < p->nworkers; i++)
				if (p->w[i].pid)
					procpool_reap(p, &p->w[i]);
			break;
		}
		fds[0] = (struct pollfd){ .fd = p->evfd, .events = POLLIN };
		for (unsigned i = 0; i < p->nworkers; i++)
			fds[i + 1] = (struct pollfd){ .fd = p->w[i].pid ? p->w[i].fd : -1,
						      .events = POLLIN };
		if (poll(fds, p->nworkers + 1, -1) < 0)
			continue;	/* EINTR */
		if (fds[0].revents & POLLIN)
			(void)!read(p->evfd, &ring, sizeof(ring));
		for (unsigned i = 0; i < p->nworkers; i++)
			if (fds[i + 1].revents && p->w[i].pid)
				procpool_answer(p, &p->w[i]);
	}
	free(fds);
	return NULL;
}

/* ---- the owner's side ---- */

static void procpool_ring(struct procpool *p)
{
	uint64_t one = 1;

	(void)!write(p->evfd, &one, sizeof(one));
}

int procpool_create(struct procpool **pp, unsigned workers)
{
	struct procpool *p;
	int err;

	if (workers == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->evfd = -1;
	p->w = calloc(workers, sizeof(*p->w));
	err = -ENOMEM;
	if (!p->w)
		goto err;
	err = queue_create(&p->q, QUEUE_FIFO, 0);
	if (err < 0)
		goto err;
	p->evfd = eventfd(0, EFD_CLOEXEC);
	if (p->evfd < 0) {
		err = -errno;
		goto err;
	}
	p->nworkers = workers;
	sync_lock_init(&p->lock, 0);
	sync_event_init(&p->started, 0);
	err = -pthread_create(&p->thread, NULL, procpool_main, p);
	if (err < 0)
		goto err;
	sync_event_wait(&p->started, -1);
	if (p->start_err < 0) {
		err = p->start_err;
		pthread_join(p->thread, NULL);
		goto err;
	}
	*pp = p;
	return 0;
err:
	if (p->evfd >= 0)
		close(p->evfd);
	if (p->q)
		queue_destroy(p->q);
	free(p->w);
	free(p);
	return err;
}

int procpool_apply_async(struct procpool *p, procpool_fn fn, uint64_t arg,
			 procpool_callback cb, void *cb_arg)
{
	struct queue_item it = { 0 };
	struct procpool__task *k;
	int err, closed;

	if (!fn)
		return -EINVAL;
	sync_lock_acquire(&p->lock);
	closed = p->closed;
	sync_lock_release(&p->lock);
	if (closed)
		return -EPIPE;
	k = malloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	*k = (struct procpool__task){ .fn = fn, .arg = arg, .cb = cb, .cb_arg = cb_arg };
	it.value = (uintptr_t)k;
	err = queue_put(p->q, &it, -1);
	if (err < 0) {
		free(k);
		return err;
	}
	procpool_ring(p);
	return 0;
}

struct procpool__wait {
	struct sync_event done;
	int ok;
	uint64_t result;
};

static void procpool_apply_done(void *arg, int ok, uint64_t result)
{
	struct procpool__wait *w = arg;

	w->ok = ok;
	w->result = result;
	sync_event_set(&w->done);
}

int procpool_apply(struct procpool *p, procpool_fn fn, uint64_t arg, uint64_t *result)
{
	struct procpool__wait w = { 0 };
	int err;

	sync_event_init(&w.done, 0);
	err = procpool_apply_async(p, fn, arg, procpool_apply_done, &w);
	if (err < 0)
		return err;
	sync_event_wait(&w.done, -1);
	if (result)
		*result = w.result;
	return w.ok ? 0 : PROCPOOL_FAILED;
}

struct procpool__map {
	struct sync_lock lock;		/* the owner's n against the callbacks */
	struct sync_event done;
	size_t n, finished, failed;	/* n: SIZE_MAX while still queueing */
	uint64_t *results;
	int *oks;
};

struct procpool__map_item {
	struct procpool__map *m;
	size_t i;
};

static void procpool_map_done(void *arg, int ok, uint64_t result)
{
	struct procpool__map_item *it = arg;
	struct procpool__map *m = it->m;

	if (m->results)
		m->results[it->i] = result;
	if (m->oks)
		m->oks[it->i] = ok;
	sync_lock_acquire(&m->lock);
	m->failed += !ok;
	if (++m->finished == m->n)
		sync_event_set(&m->done);
	sync_lock_release(&m->lock);
}

long procpool_map(struct procpool *p, procpool_fn fn, const uint64_t *args, size_t n,
		  uint64_t *results, int *oks)
{
	struct procpool__map m = { .n = SIZE_MAX, .results = results, .oks = oks };
	struct procpool__map_item *items;
	size_t queued;
	long failed;
	int err = 0;

	if (n == 0)
		return 0;
	items = calloc(n, sizeof(*items));
	if (!items)
		return -ENOMEM;
	sync_lock_init(&m.lock, 0);
	sync_event_init(&m.done, 0);
	for (queued = 0; queued < n; queued++) {
		items[queued] = (struct procpool__map_item){ .m = &m, .i = queued };
		err = procpool_apply_async(p, fn, args[queued], procpool_map_done, &items[queued]);
		if (err < 0)
			break;
	}
	if (queued == 0) {
		free(items);
		return err;
	}
	/* Now that the count is known, the last callback (or this, if they
	 * all ran already) ends the wait. */
	sync_lock_acquire(&m.lock);
	m.n = queued;
	if (m.finished == m.n)
		sync_event_set(&m.done);
	sync_lock_release(&m.lock);
	sync_event_wait(&m.done, -1);
	sync_lock_acquire(&m.lock);
	failed = (long)m.failed;
	sync_lock_release(&m.lock);
	for (size_t i = queued; i < n; i++)
		if (oks)
			oks[i] = 0;
	free(items);
	return failed + (long)(n - queued);
}

int procpool_close(struct procpool *p)
{
	int was;

	sync_lock_acquire(&p->lock);
	was = p->closed;
	p->closed = 1;
	sync_lock_release(&p->lock);
	return was ? -EPIPE : 0;
}

int procpool_join(struct procpool *p)
{
	sync_lock_acquire(&p->lock);
	if (!p->closed || p->joined) {
		int err = p->joined ? -EPIPE : -EINVAL;

		sync_lock_release(&p->lock);
		return err;
	}
	p->stop = PROCPOOL__JOIN;
	sync_lock_release(&p->lock);
	procpool_ring(p);
	pthread_join(p->thread, NULL);
	p->joined = 1;
	return 0;
}

size_t procpool_terminate(struct procpool *p)
{
	if (p->joined)
		return 0;
	sync_lock_acquire(&p->lock);
	p->closed = 1;
	p->stop = PROCPOOL__TERMINATE;
	sync_lock_release(&p->lock);
	procpool_ring(p);
	pthread_join(p->thread, NULL);
	p->joined = 1;
	return p->dropped;
}

uint64_t procpool_replaced(struct procpool *p)
{
	uint64_t n;

	sync_lock_acquire(&p->lock);
	n = p->replaced;
	sync_lock_release(&p->lock);
	return n;
}

void procpool_pids(struct procpool *p, pid_t *pids, unsigned n)
{
	sync_lock_acquire(&p->lock);
	for (unsigned i = 0; i < n; i++)
		pids[i] = i < p->nworkers ? p->w[i].pid : 0;
	sync_lock_release(&p->lock);
}

void procpool_destroy(struct procpool *p)
{
	if (!p)
		return;
	procpool_terminate(p);
	close(p->evfd);
	queue_destroy(p->q);
	free(p->w);
	free(p);
}
