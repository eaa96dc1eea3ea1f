/*
 * primitives/shm.c - the shared Array and the dictionary manager (see
 * shm.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ev.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "primitives/atomic.h"
#include "primitives/shm.h"

/* ---- Array ---- */

static size_t shm_array_elem(uint32_t typecode)
{
	return typecode == 'i' ? sizeof(int32_t) : typecode == 'q' ? sizeof(int64_t) : 0;
}

int shm_array_create(struct shm_array **ap, char typecode, size_t n)
{
	size_t elem = shm_array_elem((uint32_t)typecode), bytes;
	struct shm_array *a;

	if (!elem || n == 0 || n > (SIZE_MAX - sizeof(*a)) / elem)
		return -EINVAL;
	bytes = sizeof(*a) + n * elem;
	a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return -ENOMEM;
	sync_lock_init(&a->lock, 1);
	a->typecode = (uint32_t)typecode;
	a->n = n;
	a->bytes = bytes;
	*ap = a;
	return 0;
}

void shm_array_destroy(struct shm_array *a)
{
	if (a)
		munmap(a, a->bytes);
}

size_t shm_array_len(const struct shm_array *a)
{
	return a->n;
}

struct sync_lock *shm_array_get_lock(struct shm_array *a)
{
	return &a->lock;
}

/* Relaxed: Array(lock=False) promises whole values and nothing else;
 * the locked accessors get their order from the lock. */
int64_t shm_array_raw_get(const struct shm_array *a, size_t i)
{
	if (i >= a->n)
		abort();
	if (a->typecode == 'i')
		return prim_atomic_load_n((const int32_t *)a->data + i, __ATOMIC_RELAXED);
	return prim_atomic_load_n((const int64_t *)a->data + i, __ATOMIC_RELAXED);
}

void shm_array_raw_set(struct shm_array *a, size_t i, int64_t v)
{
	if (i >= a->n)
		abort();
	if (a->typecode == 'i')
		prim_atomic_store_n((int32_t *)a->data + i, (int32_t)v, __ATOMIC_RELAXED);
	else
		prim_atomic_store_n((int64_t *)a->data + i, v, __ATOMIC_RELAXED);
}

int64_t shm_array_get(struct shm_array *a, size_t i)
{
	int64_t v;

	sync_lock_acquire(&a->lock);
	v = shm_array_raw_get(a, i);
	sync_lock_release(&a->lock);
	return v;
}

void shm_array_set(struct shm_array *a, size_t i, int64_t v)
{
	sync_lock_acquire(&a->lock);
	shm_array_raw_set(a, i, v);
	sync_lock_release(&a->lock);
}

/* ---- the manager's protocol ---- */

enum { SHM__GET = 1, SHM__SET, SHM__UPDATE, SHM__KEYS };

/* Pairs per update message, keys per keys message: a few KiB each,
 * well inside a socket's buffer. */
#define SHM__PAIRS_MAX	256
#define SHM__KEYS_MAX	512

struct shm__req {
	uint32_t op;
	uint32_t count;		/* SHM__UPDATE: pairs that follow */
	int64_t key, value;
	struct shm_dict_pair pairs[];
};

struct shm__ans {
	int64_t status;		/* 0 or -errno */
	int64_t value;		/* SHM__GET */
	uint64_t count;		/* SHM__KEYS: keys that follow, in messages */
};

#define SHM__REQ_MAX	(sizeof(struct shm__req) + SHM__PAIRS_MAX * sizeof(struct shm_dict_pair))

/* ---- the server process ---- */

struct shm__entry {
	int64_t key, value;
};

struct shm__conn {
	ev_io w;		/* first: the watcher is the connection */
	struct shm__server *s;
	struct shm__conn *next, *prev;
};

struct shm__server {
	struct ev_loop *loop;
	void *root;		/* tsearch tree of struct shm__entry */
	size_t count;
	ev_io listen_w, ctl_w;
	struct shm__conn conns;	/* list head */
	int64_t *keys;		/* SHM__KEYS's scratch, `count` long */
	size_t nkeys;
};

static int shm__cmp(const void *a, const void *b)
{
	const struct shm__entry *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static int shm__store(struct shm__server *s, int64_t key, int64_t value)
{
	struct shm__entry probe = { .key = key }, *e, **found;

	found = tfind(&probe, &s->root, shm__cmp);
	if (found) {
		(*found)->value = value;
		return 0;
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = (struct shm__entry){ .key = key, .value = value };
	if (!tsearch(e, &s->root, shm__cmp)) {
		free(e);
		return -ENOMEM;
	}
	s->count++;
	return 0;
}

/* In order: an inner node between its subtrees, or a leaf. */
static void shm__collect(const void *node, VISIT v, void *arg)
{
	struct shm__server *s = arg;

	if (v == postorder || v == leaf)
		s->keys[s->nkeys++] = (*(struct shm__entry *const *)node)->key;
}

static void shm__conn_drop(struct shm__conn *c)
{
	ev_io_stop(c->s->loop, &c->w);
	close(c->w.fd);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
}

static int shm__send(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int shm__keys_answer(struct shm__server *s, int fd)
{
	struct shm__ans ans = { 0 };
	int64_t *keys = malloc((s->count ? s->count : 1) * sizeof(*keys));

	if (!keys) {
		ans.status = -ENOMEM;
		return shm__send(fd, &ans, sizeof(ans));
	}
	s->keys = keys;
	s->nkeys = 0;
	twalk_r(s->root, shm__collect, s);
	ans.count = s->nkeys;
	if (shm__send(fd, &ans, sizeof(ans)) < 0)
		goto fail;
	for (size_t at = 0; at < s->nkeys; at += SHM__KEYS_MAX) {
		size_t n = s->nkeys - at < SHM__KEYS_MAX ? s->nkeys - at : SHM__KEYS_MAX;

		if (shm__send(fd, keys + at, n * sizeof(*keys)) < 0)
			goto fail;
	}
	free(keys);
	return 0;
fail:
	free(keys);
	return -1;
}

static void shm__conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct shm__conn *c = (struct shm__conn *)w;
	struct shm__server *s = c->s;
	union {
		struct shm__req r;
		unsigned char bytes[SHM__REQ_MAX];
	} m;
	struct shm__ans ans = { 0 };
	struct shm__entry probe, **found;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(w->fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < (ssize_t)sizeof(m.r)) {		/* end of file, an error, or garbage */
		shm__conn_drop(c);
		return;
	}
	switch (m.r.op) {
	case SHM__GET:
		probe.key = m.r.key;
		found = tfind(&probe, &s->root, shm__cmp);
		if (found)
			ans.value = (*found)->value;
		else
			ans.status = -ENOENT;
		break;
	case SHM__SET:
		ans.status = shm__store(s, m.r.key, m.r.value);
		break;
	case SHM__UPDATE:
		if (m.r.count > SHM__PAIRS_MAX ||
		    (size_t)n != sizeof(m.r) + m.r.count * sizeof(struct shm_dict_pair)) {
			ans.status = -EINVAL;
			break;
		}
		for (uint32_t i = 0; i < m.r.count && !ans.status; i++)
			ans.status = shm__store(s, m.r.pairs[i].key, m.r.pairs[i].value);
		break;
	case SHM__KEYS:
		if (shm__keys_answer(s, w->fd) < 0)
			shm__conn_drop(c);
		return;
	default:
		ans.status = -EINVAL;
	}
	if (shm__send(w->fd, &ans, sizeof(ans)) < 0)
		shm__conn_drop(c);
}

static void shm__listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct shm__server *s = w->data;
	struct shm__conn *c;
	int fd;

	(void)revents;
	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->s = s;
	c->next = s->conns.next;
	c->prev = &s->conns;
	s->conns.next->prev = c;
	s->conns.next = c;
	ev_io_init(&c->w, shm__conn_cb, fd, EV_READ);
	ev_io_start(loop, &c->w);
}

/* The owner closed (or lost) its control socket: stop. */
static void shm__ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static _Noreturn void shm__serve(int lfd, int ctl)
{
	struct shm__server s = { 0 };

	s.conns.next = s.conns.prev = &s.conns;
	s.loop = ev_loop_new(EVFLAG_AUTO);
	if (!s.loop)
		_exit(1);
	ev_io_init(&s.listen_w, shm__listen_cb, lfd, EV_READ);
	s.listen_w.data = &s;
	ev_io_start(s.loop, &s.listen_w);
	ev_io_init(&s.ctl_w, shm__ctl_cb, ctl, EV_READ);
	ev_io_start(s.loop, &s.ctl_w);
	ev_run(s.loop, 0);
	while (s.conns.next != &s.conns)
		shm__conn_drop(s.conns.next);
	tdestroy(s.root, free);
	ev_loop_destroy(s.loop);
	_exit(0);
}

/* Close every descriptor above 2 but a and b. */
static void shm__close_except(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
}

int shm_manager_start(struct shm_manager **mp)
{
	static uint32_t serial;
	struct shm_manager *m;
	int lfd = -1, ctl[2] = { -1, -1 }, err;
	pid_t parent = getpid(), pid;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->addr.sun_family = AF_UNIX;
	/* Abstract: sun_path[0] is NUL, the name is the bytes after it. */
	snprintf(m->addr.sun_path + 1, sizeof(m->addr.sun_path) - 1, "contend-shm-%d-%u",
		 (int)parent, prim_atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	m->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				 strlen(m->addr.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&m->addr, m->addrlen) < 0 ||
	    listen(lfd, 128) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
		goto err;
	pid = fork();
	if (pid < 0)
		goto err;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(ctl[0]);
		shm__close_except(lfd, ctl[1]);
		shm__serve(lfd, ctl[1]);
	}
	close(lfd);
	close(ctl[1]);
	m->pid = pid;
	m->ctl = ctl[0];
	*mp = m;
	return 0;
err:
	err = -errno;
	if (lfd >= 0)
		close(lfd);
	if (ctl[0] >= 0) {
		close(ctl[0]);
		close(ctl[1]);
	}
	free(m);
	return err;
}

int shm_manager_stop(struct shm_manager *m)
{
	const struct timespec tick = { 0, 1000000 };
	int status, err = 0;
	pid_t got;

	close(m->ctl);
	/* The server stops at once unless it is stuck sending to a client
	 * that does not read: 5 s, then it is killed. */
	for (int i = 0; (got = waitpid(m->pid, &status, WNOHANG)) == 0; i++) {
		if (i == 5000)
			kill(m->pid, SIGKILL);
		nanosleep(&tick, NULL);
	}
	if (got < 0 && errno != EINTR)
		err = -ECHILD;
	else if (got < 0)
		while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
			;
	free(m);
	return err;
}

/* ---- the client ---- */

int shm_dict_connect(const struct shm_manager *m, struct shm_dict **dp)
{
	struct shm_dict *d = malloc(sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	d->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (d->fd < 0 || connect(d->fd, (const struct sockaddr *)&m->addr, m->addrlen) < 0) {
		err = -errno;
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return err;
	}
	*dp = d;
	return 0;
}

void shm_dict_close(struct shm_dict *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d);
}

static int shm__recv(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ECONNRESET : (size_t)n == len ? 0 : -EIO;
}

/* One request, its answer in *ans; 0, or -errno of the exchange. */
static int shm__call(struct shm_dict *d, const struct shm__req *req, size_t len,
		     struct shm__ans *ans)
{
	if (send(d->fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -errno;
	return shm__recv(d->fd, ans, sizeof(*ans));
}

int shm_dict_get(struct shm_dict *d, int64_t key, int64_t *value)
{
	struct shm__req req = { .op = SHM__GET, .key = key };
	struct shm__ans ans;
	int err = shm__call(d, &req, sizeof(req), &ans);

	if (err < 0)
		return err;
	if (ans.status == 0 && value)
		*value = ans.value;
	return (int)ans.status;
}

int shm_dict_set(struct shm_dict *d, int64_t key, int64_t value)
{
	struct shm__req req = { .op = SHM__SET, .key = key, .value = value };
	struct shm__ans ans;
	int err = shm__call(d, &req, sizeof(req), &ans);

	return err < 0 ? err : (int)ans.status;
}

int shm_dict_update(struct shm_dict *d, const struct shm_dict_pair *pairs, size_t n)
{
	union {
		struct shm__req r;
		unsigned char bytes[SHM__REQ_MAX];
	} m;
	struct shm__ans ans;

	if (n && !pairs)
		return -EINVAL;
	for (size_t at = 0; at < n || (at == 0 && n == 0); ) {
		uint32_t k = (uint32_t)(n - at < SHM__PAIRS_MAX ? n - at : SHM__PAIRS_MAX);
		int err;

		m.r = (struct shm__req){ .op = SHM__UPDATE, .count = k };
		memcpy(m.r.pairs, pairs + at, k * sizeof(*pairs));
		err = shm__call(d, &m.r, sizeof(m.r) + k * sizeof(*pairs), &ans);
		if (err < 0)
			return err;
		if (ans.status)
			return (int)ans.status;
		at += k;
		if (n == 0)
			break;
	}
	return 0;
}

long shm_dict_keys(struct shm_dict *d, int64_t *keys, size_t cap)
{
	struct shm__req req = { .op = SHM__KEYS };
	int64_t chunk[SHM__KEYS_MAX];
	struct shm__ans ans;
	int err = shm__call(d, &req, sizeof(req), &ans);

	if (err < 0)
		return err;
	if (ans.status)
		return (long)ans.status;
	for (uint64_t at = 0; at < ans.count; at += SHM__KEYS_MAX) {
		size_t k = ans.count - at < SHM__KEYS_MAX ? ans.count - at : SHM__KEYS_MAX;

		err = shm__recv(d->fd, chunk, k * sizeof(*chunk));
		if (err < 0)
			return err;
		for (size_t i = 0; i < k; i++)
			if (at + i < cap)
				keys[at + i] = chunk[i];
	}
	return (long)ans.count;
}
