/*
 * primitives/hub.c - the hub of primitives/hub.h: a ready queue drained
 * by a greenlet that consults libev only when it must.
 *
 * Every wait is one pattern: register what will wake the waiter (append
 * it to the ready queue, start an ev_timer or an ev_io, link it into a
 * task's joiners), park (switch to the hub), and on resumption undo
 * whatever registration is left.  A waiter can be woken by several
 * things (a join's task finishing and its timer firing in one loop
 * iteration); the first wake counts and the later ones are ignored, so it
 * is queued once.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ev.h>

#include "primitives/hub.h"

/* The hub's own stack: ev_run, epoll and the callbacks, nothing deep. */
#define HUB_LOOP_STACK (128 * 1024)

/*
 * Stacks of finished tasks kept for the next spawns (mmap mode), so that
 * a spawn after a free costs no mmap, mprotect and munmap.  Each keeps
 * the pages its task touched (a few KiB): 32 bound what an idle hub
 * holds to a few hundred KiB.
 */
#define HUB_STACK_CACHE 32

/* A parked greenlet's bookkeeping (in its task, or on its stack). */
struct hub_wait {
	struct greenlet *g;
	struct hub_task *task;		/* the task it is, or NULL */
	struct hub_wait *rnext;		/* ready queue */
	struct hub_wait *jprev, *jnext;	/* joiners of `joining` */
	struct hub_task *joining;	/* whose joiners it is in, or NULL */
	intptr_t value;			/* what its park returns */
	bool woken;			/* queued since it last parked */
	ev_timer timer;
	ev_io io;
};

struct hub_task {
	struct hub_wait w;
	struct greenlet g;
	struct hub *hub;
	void *(*fn)(void *);
	void *arg;
	void *value;
	bool done;
	struct hub_wait *joiners;	/* oldest first, doubly linked */
	struct hub_wait *joiners_tail;
	struct hub_task *prev, *next;	/* every task of the hub */
};

struct hub {
	struct greenlet g;		/* runs hub_main */
	struct ev_loop *loop;
	struct hub_wait *ready_head, *ready_tail;
	struct hub_task *tasks;		/* not yet freed */
	struct greenlet_shstack *sh;	/* tasks' shared stack, or NULL */
	enum greenlet_stack mode;
	size_t stack_size;
	void *stacks[HUB_STACK_CACHE];	/* mmap mode: freed tasks' stacks */
	unsigned nstacks;
	unsigned active;		/* our watchers that are active */
	unsigned since_poll;		/* resumptions since the last poll */
	struct hub_stats stats;
};

static __thread struct hub *hub_tls;

struct hub *hub_current(void)
{
	return hub_tls;
}

/* ---- the ready queue ---- */

static void hub_wake(struct hub *h, struct hub_wait *w, intptr_t value)
{
	if (w->woken)
		return;
	w->woken = true;
	w->value = value;
	w->rnext = NULL;
	if (h->ready_tail)
		h->ready_tail->rnext = w;
	else
		h->ready_head = w;
	h->ready_tail = w;
}

/* The next ready greenlet, taken off the queue and counted (queue not empty). */
static struct hub_wait *hub_pop(struct hub *h)
{
	struct hub_wait *w = h->ready_head;

	h->ready_head = w->rnext;
	if (!h->ready_head)
		h->ready_tail = NULL;
	h->since_poll++;
	h->stats.resumed++;
	return w;
}

/* Whether the loop must be polled before the next greenlet runs. */
static bool hub_poll_due(const struct hub *h)
{
	return !h->ready_head || (h->active && h->since_poll >= HUB_POLL_EVERY);
}

/*
 * Park the caller until something wakes it; returns what woke it.  When
 * the next ready greenlet may run without a poll first, switch to it
 * directly: the hub would do nothing but pass control on, and skipping it
 * halves the switches of a sleep(0) or a wake-up.
 */
static intptr_t hub_park(struct hub *h)
{
	if (!hub_poll_due(h)) {
		struct hub_wait *next = hub_pop(h);

		return (intptr_t)greenlet_switch(next->g, (void *)next->value);
	}
	return (intptr_t)greenlet_switch(&h->g, NULL);
}

/* The hub's greenlet: never returns (hub_destroy drops it). */
static void *hub_main(void *arg)
{
	/* The first park passes no value; the hub is the thread's. */
	struct hub *h = hub_tls;

	(void)arg;
	for (;;) {
		struct hub_wait *w;

		if (hub_poll_due(h)) {
			h->since_poll = 0;
			if (h->ready_head && h->active) {
				h->stats.polls++;
				ev_run(h->loop, EVRUN_NOWAIT);
			}
			/* A wake-up without events (or an event for a
			 * watcher stopped since) leaves the queue empty. */
			while (!h->ready_head && h->active) {
				h->stats.polls++;
				ev_run(h->loop, EVRUN_ONCE);
			}
			if (!h->ready_head) {
				greenlet_switch(h->g.parent, (void *)(intptr_t)-EDEADLK);
				continue;
			}
		}
		w = hub_pop(h);
		greenlet_switch(w->g, (void *)w->value);
	}
	return NULL;	/* not reached */
}

/* ---- watchers ---- */

static struct hub_wait *hub_wait_of_timer(ev_timer *t)
{
	return (struct hub_wait *)((char *)t - offsetof(struct hub_wait, timer));
}

static struct hub_wait *hub_wait_of_io(ev_io *io)
{
	return (struct hub_wait *)((char *)io - offsetof(struct hub_wait, io));
}

static void hub_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct hub *h = ev_userdata(loop);

	(void)revents;
	h->active--;	/* a timer without repeat is stopped once it fires */
	hub_wake(h, hub_wait_of_timer(t), -ETIMEDOUT);
}

static void hub_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct hub *h = ev_userdata(loop);

	/* Level-triggered: stop it, or it fires every poll until the
	 * waiter runs. */
	ev_io_stop(loop, io);
	h->active--;
	hub_wake(h, hub_wait_of_io(io), revents);
}

static void hub_timer_start(struct hub *h, struct hub_wait *w, double after_s)
{
	/* The loop's clock is as old as its last poll, which a busy queue
	 * may have put off: measure from now. */
	ev_now_update(h->loop);
	ev_timer_set(&w->timer, after_s, 0.);
	ev_timer_start(h->loop, &w->timer);
	h->active++;
}

static void hub_unwatch(struct hub *h, struct hub_wait *w)
{
	if (ev_is_active(&w->timer)) {
		ev_timer_stop(h->loop, &w->timer);
		h->active--;
	}
	if (ev_is_active(&w->io)) {
		ev_io_stop(h->loop, &w->io);
		h->active--;
	}
}

static void hub_wait_init(struct hub_wait *w, struct greenlet *g,
			  struct hub_task *task)
{
	memset(w, 0, sizeof(*w));
	w->g = g;
	w->task = task;
	ev_init(&w->timer, hub_timer_cb);
	ev_init(&w->io, hub_io_cb);
}

/*
 * The calling greenlet's wait record: its task's, or `local` (on its
 * stack) made ready for use.  -EPERM in the hub, -ESRCH without one.
 */
static int hub_self(struct hub **hp, struct hub_wait **wp,
		    struct hub_wait *local)
{
	struct hub *h = hub_tls;
	struct greenlet *cur;
	struct hub_task *t;

	if (!h)
		return -ESRCH;
	cur = greenlet_current();
	if (cur == &h->g)
		return -EPERM;
	t = greenlet_data(cur);
	if (t && cur->parent == &h->g && &t->g == cur && t->hub == h) {
		*wp = &t->w;
	} else {
		hub_wait_init(local, cur, NULL);
		*wp = local;
	}
	(*wp)->woken = false;
	*hp = h;
	return 0;
}

/* ---- tasks ---- */

static void hub_joiner_unlink(struct hub_wait *w)
{
	struct hub_task *t = w->joining;

	if (!t)
		return;
	if (w->jprev)
		w->jprev->jnext = w->jnext;
	else
		t->joiners = w->jnext;
	if (w->jnext)
		w->jnext->jprev = w->jprev;
	else
		t->joiners_tail = w->jprev;
	w->jprev = w->jnext = NULL;
	w->joining = NULL;
}

static void *hub_task_main(void *arg)
{
	struct hub_task *t = arg;
	struct hub *h = t->hub;

	t->value = t->fn(t->arg);
	t->done = true;
	h->stats.finished++;
	while (t->joiners) {
		struct hub_wait *w = t->joiners;

		hub_joiner_unlink(w);
		hub_wake(h, w, 0);
	}
	return NULL;	/* to the parent, the hub */
}

struct hub_task *hub_spawn(void *(*fn)(void *arg), void *arg)
{
	struct hub *h = hub_tls;
	struct hub_task *t;
	int err;

	if (!h || !fn) {
		errno = h ? EINVAL : ESRCH;
		return NULL;
	}
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	if (h->mode == GREENLET_STACK_MMAP) {
		void *stack = h->nstacks ? h->stacks[--h->nstacks] :
			coro_stack_alloc(h->stack_size);

		if (!stack) {
			free(t);
			return NULL;
		}
		err = greenlet_init_on(&t->g, hub_task_main, &h->g, stack,
				       h->stack_size);
		if (err < 0)
			coro_stack_free(stack, h->stack_size);
	} else {
		err = greenlet_init(&t->g, hub_task_main, &h->g, h->mode,
				    h->stack_size, h->sh);
	}
	if (err < 0) {
		free(t);
		errno = -err;
		return NULL;
	}
	greenlet_set_data(&t->g, t);
	hub_wait_init(&t->w, &t->g, t);
	t->hub = h;
	t->fn = fn;
	t->arg = arg;
	t->value = NULL;
	t->done = false;
	t->joiners = NULL;
	t->joiners_tail = NULL;
	t->prev = NULL;
	t->next = h->tasks;
	if (h->tasks)
		h->tasks->prev = t;
	h->tasks = t;
	h->stats.spawned++;
	/* Its first resumption's value is its greenlet's argument. */
	hub_wake(h, &t->w, (intptr_t)t);
	return t;
}

bool hub_task_done(const struct hub_task *t)
{
	return t->done;
}

void *hub_task_value(const struct hub_task *t)
{
	return t->value;
}

static void hub_task_release(struct hub *h, struct hub_task *t)
{
	void *stack = t->g.stack;

	if (t->prev)
		t->prev->next = t->next;
	else
		h->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	greenlet_destroy(&t->g);
	if (h->mode == GREENLET_STACK_MMAP) {
		if (h->nstacks < HUB_STACK_CACHE)
			h->stacks[h->nstacks++] = stack;
		else
			coro_stack_free(stack, h->stack_size);
	}
	free(t);
}

int hub_task_free(struct hub_task *t)
{
	if (!t)
		return 0;
	if (!t->done)
		return -EBUSY;
	hub_task_release(t->hub, t);
	return 0;
}

unsigned hub_trim(void)
{
	struct hub *h = hub_tls;
	unsigned n = 0;

	for (; h && h->nstacks; n++)
		coro_stack_free(h->stacks[--h->nstacks], h->stack_size);
	return n;
}

int hub_join(struct hub_task *t, double timeout_s)
{
	struct hub_wait local, *w;
	struct hub *h;
	intptr_t v;
	int err = hub_self(&h, &w, &local);

	if (err < 0)
		return err;
	if (t->done)
		return 0;
	if (timeout_s == 0)
		return -ETIMEDOUT;
	if (w == &t->w)
		return -EDEADLK;
	/* Joiners wake in the order they came. */
	w->joining = t;
	w->jnext = NULL;
	w->jprev = t->joiners_tail;
	if (t->joiners_tail)
		t->joiners_tail->jnext = w;
	else
		t->joiners = w;
	t->joiners_tail = w;
	if (timeout_s > 0)
		hub_timer_start(h, w, timeout_s);
	v = hub_park(h);
	hub_unwatch(h, w);
	hub_joiner_unlink(w);
	if (t->done)
		return 0;
	return v < 0 ? (int)v : -ETIMEDOUT;
}

int hub_joinall(struct hub_task *const *tasks, size_t n, double timeout_s)
{
	double deadline = timeout_s >= 0 ? ev_time() + timeout_s : 0;
	size_t i, done = 0;

	if (!hub_tls)
		return -ESRCH;
	if (greenlet_current() == &hub_tls->g)
		return -EPERM;
	for (i = 0; i < n; i++) {
		double left = -1;
		int err;

		if (timeout_s >= 0) {
			left = deadline - ev_time();
			if (left <= 0)
				break;
		}
		err = hub_join(tasks[i], left);
		if (err == -EDEADLK || err == -ETIMEDOUT)
			break;
	}
	for (i = 0; i < n; i++)
		done += tasks[i]->done;
	return (int)done;
}

int hub_sleep(double seconds)
{
	struct hub_wait local, *w;
	struct hub *h;
	int err;

	if (!(seconds >= 0) || isinf(seconds))
		return -EINVAL;
	err = hub_self(&h, &w, &local);
	if (err < 0)
		return err;
	if (seconds == 0) {
		/* The hot path: no watcher to start or stop. */
		hub_wake(h, w, 0);
		hub_park(h);
		return 0;
	}
	hub_timer_start(h, w, seconds);
	hub_park(h);
	hub_unwatch(h, w);
	return 0;
}

int hub_wait_fd(int fd, int events)
{
	struct hub_wait local, *w;
	struct hub *h;
	intptr_t v;
	int err;

	if (fd < 0 || !(events & (HUB_READ | HUB_WRITE)) ||
	    (events & ~(HUB_READ | HUB_WRITE)))
		return -EINVAL;
	err = hub_self(&h, &w, &local);
	if (err < 0)
		return err;
	ev_io_set(&w->io, fd, events);
	ev_io_start(h->loop, &w->io);
	h->active++;
	v = hub_park(h);
	hub_unwatch(h, w);
	return v < 0 ? (int)v : 0;
}

/* ---- sockets ---- */

/*
 * A non-blocking call on fd failed with errno: 0 to make it again
 * (interrupted, or fd is now ready for `events`, this task having parked
 * until it was), else -errno (the call's own error, or the wait's).
 */
static int hub_retry(int fd, int events)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	return hub_wait_fd(fd, events);
}

int hub_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	int c, err;

	while ((c = accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		if ((err = hub_retry(fd, HUB_READ)) < 0)
			return err;
	return c;
}

int hub_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	int err;

	if (connect(fd, addr, addrlen) == 0)
		return 0;
	/* After EINTR a non-blocking connect goes on in the background,
	 * just as after EINPROGRESS. */
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	err = hub_wait_fd(fd, HUB_WRITE);
	if (err < 0)
		return err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

ssize_t hub_recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n;
	int err;

	while ((n = recv(fd, buf, len, flags | MSG_DONTWAIT)) < 0)
		if ((err = hub_retry(fd, HUB_READ)) < 0)
			return err;
	return n;
}

ssize_t hub_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n;
	int err;

	while ((n = send(fd, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL)) < 0)
		if ((err = hub_retry(fd, HUB_WRITE)) < 0)
			return err;
	return n;
}

/* ---- the hub itself ---- */

struct hub *hub_new(const struct hub_attr *attr)
{
	struct hub_attr a = { .mode = GREENLET_STACK_MMAP, .stack_size = 0 };
	struct hub *h;
	int err;

	if (hub_tls) {
		errno = EBUSY;
		return NULL;
	}
	if (attr)
		a = *attr;
	if (!a.stack_size)
		a.stack_size = HUB_STACK_DEFAULT;
	if ((a.mode != GREENLET_STACK_MMAP && a.mode != GREENLET_STACK_SHARED) ||
	    a.stack_size < 4096) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->mode = a.mode;
	h->stack_size = a.stack_size;
	if (a.mode == GREENLET_STACK_SHARED) {
		h->sh = greenlet_shstack_new(a.stack_size);
		if (!h->sh)
			goto fail;
	}
	/* No signal handling here: leave the thread's signal mask alone. */
	h->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
	if (!h->loop) {
		errno = ENOMEM;
		goto fail;
	}
	ev_set_userdata(h->loop, h);
	err = greenlet_init(&h->g, hub_main, NULL, GREENLET_STACK_MMAP,
			    HUB_LOOP_STACK, NULL);
	if (err < 0) {
		errno = -err;
		goto fail;
	}
	hub_tls = h;
	return h;
fail:
	err = errno;
	if (h->loop)
		ev_loop_destroy(h->loop);
	greenlet_shstack_free(h->sh);
	free(h);
	errno = err;
	return NULL;
}

int hub_destroy(struct hub *h)
{
	struct greenlet *cur;

	if (!h)
		return 0;
	if (h != hub_tls)
		return -EINVAL;
	cur = greenlet_current();
	if (cur == &h->g || (cur->parent == &h->g && greenlet_data(cur)))
		return -EBUSY;
	while (h->tasks) {
		hub_unwatch(h, &h->tasks->w);
		hub_task_release(h, h->tasks);
	}
	while (h->nstacks)
		coro_stack_free(h->stacks[--h->nstacks], h->stack_size);
	greenlet_destroy(&h->g);
	ev_loop_destroy(h->loop);
	greenlet_shstack_free(h->sh);
	hub_tls = NULL;
	free(h);
	return 0;
}

void hub_get_stats(struct hub_stats *out)
{
	if (hub_tls)
		*out = hub_tls->stats;
	else
		memset(out, 0, sizeof(*out));
}
