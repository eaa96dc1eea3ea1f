/*
 * primitives/procpool.c - the process pool (see procpool.h).
 *
 * Who touches what.  The lanes (shared memory): a worker consumes its
 * task ring and produces its answer ring; in the parent, whoever holds
 * the pool's lock (the submitter, or the result thread refilling)
 * produces task rings, and the result thread alone consumes answer
 * rings.  Each ring thus has one producer and one consumer at a time,
 * as ck's spsc rings want.  The workers' table and the backlog live in
 * the parent under the pool's lock; forking, reaping and the socket
 * ends are the result thread's alone.
 *
 * Sleeping and waking.  Each sleeper has a bell in shared memory: it
 * sets its bell, looks at its ring once more, and sleeps only if it is
 * still empty; a waker puts on the ring first and then takes the bell
 * with an exchange, waking only when it was set.  Both the bell's store
 * and the exchange are locked instructions on x86-64 (full barriers,
 * which ck's ring operations, plain stores and loads there, are not), so
 * either the sleeper sees the new entry or the waker sees the bell: no
 * wake-up is lost, and none is made while the other side is awake.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "primitives/atomic.h"
#include "primitives/futex.h"
#include "primitives/procpool.h"
#include "primitives/ring_ck.h"
#include "primitives/sync.h"

enum { PROCPOOL__RUN, PROCPOOL__JOIN, PROCPOOL__TERMINATE };

/*
 * Tasks in flight per worker at most.  A worker rings the parent at
 * BATCH answers and runs what is left on its ring while the parent
 * refills it: the parent, on a shared machine, may wait a few hundred
 * microseconds for a processor, and 240 tasks of a few microseconds
 * outlast that.  A multiple of 64: a lane's slots in use are the bits
 * of a few 64-bit words.
 */
#define PROCPOOL__DEPTH		256
#define PROCPOOL__WORDS		(PROCPOOL__DEPTH / 64)
/* ck's ring holds one less than its slots: ring_ck_slots(DEPTH). */
#define PROCPOOL__RING_SLOTS	512
/*
 * The most answers a worker lets wait before it rings a sleeping parent:
 * one wake-up (a system call, and on a VM an interrupt to an idle
 * processor: some microseconds) spread over 64 tasks.  It rings sooner
 * once its answers waiting are as many as the tasks left on its ring,
 * so that half of what it was handed is still to run while the parent
 * refills it, and an answer waits for at most about half the work a
 * worker is handed ahead (PROCPOOL__AHEAD_NS): a millisecond.  With 16
 * the wake-ups cost a 10 us task 1.2 us at one worker on the 2-core VM;
 * with 64, 0.4-0.55 us (2026-12-07).
 */
#define PROCPOOL__BATCH		64
/*
 * How long the parent sleeps at first while tasks are in flight: a
 * worker that does not ring (it has fewer than BATCH answers and more
 * tasks to run) is looked at this often, so that a callback is not held
 * behind a long task; doubled each time there was nothing, up to
 * BACKSTOP_MAX_MS, so that a task that runs for minutes costs a few
 * wake-ups a second.
 */
#define PROCPOOL__BACKSTOP_MS		1
#define PROCPOOL__BACKSTOP_MAX_MS	64
/*
 * How much work, in time, a worker is handed ahead: tasks on its ring
 * are its alone, so a worker slowed down (another program took its
 * processor) would finish a round late while the others sat idle; the
 * backlog, which every worker draws from, evens that out.  So a worker
 * gets up to 2 ms of work: DEPTH tasks of a few microseconds, 200 of
 * 10 us, but only two of a millisecond (one to run, one ready behind
 * it).  Its task length is
 * measured from its answers: the time between two looks of the parent
 * while it had tasks, over the answers read.
 */
#define PROCPOOL__AHEAD_NS	2000000.0
#define PROCPOOL__MIN_AHEAD	2

_Static_assert(PROCPOOL__DEPTH % 64 == 0, "a lane's slots are the bits of whole words");
_Static_assert(PROCPOOL__RING_SLOTS > PROCPOOL__DEPTH &&
	       (PROCPOOL__RING_SLOTS & (PROCPOOL__RING_SLOTS - 1)) == 0,
	       "ck's ring: a power of two above the entries it holds");
_Static_assert(PROCPOOL__BATCH < PROCPOOL__DEPTH, "a batch must fit in the ring");

/* A task's slot: the parent writes fn and arg before it puts the slot's
 * number on the task ring, the worker result and failed before it puts
 * the number on the answer ring (ck's put orders the stores before it). */
struct procpool__slot {
	uint64_t fn, arg;
	uint64_t result, failed;
};

/* One worker's part of the shared memory. */
struct procpool__lane {
	struct ring_ck todo;		/* slot numbers, parent -> worker */
	struct ring_ck done;		/* slot numbers, worker -> parent */
	/* Set by the worker before it sleeps; a line of its own, as the
	 * submitter exchanges it on every task. */
	uint32_t bell __attribute__((aligned(64)));
	uint32_t quit;			/* join: exit once the task ring is empty */
	ck_ring_buffer_t todo_buf[PROCPOOL__RING_SLOTS] __attribute__((aligned(64)));
	ck_ring_buffer_t done_buf[PROCPOOL__RING_SLOTS];
	struct procpool__slot slot[PROCPOOL__DEPTH];
};

struct procpool__shared {
	/* Set by the result thread before it sleeps in poll(). */
	uint32_t parent_bell;
	struct procpool__lane lane[] __attribute__((aligned(64)));
};

/* A task waiting in the parent for a free slot. */
struct procpool__task {
	STAILQ_ENTRY(procpool__task) next;
	procpool_fn fn;
	uint64_t arg;
	procpool_callback cb;
	void *cb_arg;
};

/* A callback to make: a slot's owner, then its outcome. */
struct procpool__call {
	procpool_callback cb;
	void *cb_arg;
	int ok;
	uint64_t result;
};

struct procpool__worker {
	pid_t pid;		/* 0: none (a replacement could not be forked) */
	int fd;			/* the parent's end of its socket pair */
	int live;		/* takes tasks: forked, and not yet seen dead */
	/* Slots in use (a task given and not called back): a bit each. */
	uint64_t busy[PROCPOOL__WORDS];
	unsigned inflight;	/* how many */
	unsigned ahead;		/* the most slots it may use (PROCPOOL__AHEAD_NS) */
	double task_ns;		/* its tasks' length, measured; 0: not yet */
	uint64_t busy_since_ns;	/* the last look while it had tasks; 0: idle then */
	struct procpool__call call[PROCPOOL__DEPTH];	/* each slot's callback */
};

STAILQ_HEAD(procpool__backlog, procpool__task);

struct procpool {
	struct procpool__shared *sh;	/* MAP_SHARED, mapped before any fork */
	size_t sh_bytes;
	struct sync_lock lock;		/* guards what is below but the constants */
	struct procpool__backlog backlog;	/* when no slot is free, in order */
	struct sync_event started;	/* the workers are forked (or failed) */
	pthread_t thread;		/* the result thread */
	int evfd;			/* rung by the workers, submitters and owner */
	unsigned nworkers;
	unsigned live;			/* workers that take tasks */
	struct procpool__worker *w;
	struct procpool__call *calls;	/* the result thread's batch: DEPTH per worker */
	/* The result thread sleeps with no backstop (nothing was in
	 * flight): a worker given a second task, which may answer its first
	 * without ringing, must ring it. */
	int idle_sleep;
	int start_err;
	int closed;			/* close (or terminate) called */
	int stop;			/* PROCPOOL__JOIN or PROCPOOL__TERMINATE */
	int joined;			/* the result thread is joined */
	uint64_t replaced;		/* workers forked again after a death */
	uint64_t dropped;		/* tasks terminate dropped */
};

static struct procpool__lane *procpool_lane(struct procpool *p, struct procpool__worker *w)
{
	return &p->sh->lane[w - p->w];
}

static unsigned procpool_inflight(const struct procpool__worker *w)
{
	return w->inflight;
}

static int procpool_slot_used(const struct procpool__worker *w, uint64_t k)
{
	return k < PROCPOOL__DEPTH && (w->busy[k / 64] >> (k % 64) & 1);
}

static void procpool_slot_take(struct procpool__worker *w, uint64_t k)
{
	w->busy[k / 64] |= 1ULL << (k % 64);
	w->inflight++;
}

static void procpool_slot_give(struct procpool__worker *w, uint64_t k)
{
	w->busy[k / 64] &= ~(1ULL << (k % 64));
	w->inflight--;
}

/* The first slot free (first == 0) or in use (first == 1), or DEPTH. */
static unsigned procpool_slot_first(const struct procpool__worker *w, int used)
{
	for (unsigned i = 0; i < PROCPOOL__WORDS; i++) {
		uint64_t bits = used ? w->busy[i] : ~w->busy[i];

		if (bits)
			return i * 64 + (unsigned)__builtin_ctzll(bits);
	}
	return PROCPOOL__DEPTH;
}

/* ---- the worker process ---- */

/* Ring the parent if it sleeps (see the file's comment). */
static void procpool_wake_parent(struct procpool__shared *sh, int evfd)
{
	uint64_t one = 1;

	if (prim_atomic_exchange_n(&sh->parent_bell, 0, __ATOMIC_SEQ_CST))
		(void)!write(evfd, &one, sizeof(one));
}

static _Noreturn void procpool_worker_main(struct procpool__shared *sh, struct procpool__lane *l,
					   int evfd)
{
	uint64_t k;

	for (;;) {
		if (ring_ck_get_spsc(&l->todo, l->todo_buf, &k)) {
			struct procpool__slot *s = &l->slot[k];
			uint64_t result = 0;

			s->failed = ((procpool_fn)(uintptr_t)s->fn)(s->arg, &result) != 0;
			s->result = result;
			/* Never full: the slots are fewer than its room. */
			ring_ck_put_spsc(&l->done, l->done_buf, k);
			/* A batch of answers, or as many answers as tasks
			 * left, nothing left included (the parent may be
			 * waiting for this one, or have tasks for this
			 * ring). */
			unsigned answers = ck_ring_size(&l->done.ring);

			if (answers >= PROCPOOL__BATCH || ck_ring_size(&l->todo.ring) <= answers)
				procpool_wake_parent(sh, evfd);
			continue;
		}
		if (prim_atomic_load_n(&l->quit, __ATOMIC_ACQUIRE))
			_exit(0);
		/* The bell, then one more look: a full barrier between. */
		prim_atomic_store_n(&l->bell, 1, __ATOMIC_SEQ_CST);
		if (ck_ring_size(&l->todo.ring) || prim_atomic_load_n(&l->quit, __ATOMIC_ACQUIRE)) {
			prim_atomic_store_n(&l->bell, 0, __ATOMIC_RELAXED);
			continue;
		}
		futex_wait(&l->bell, 1, NULL, 1);
	}
}

/* Wake worker l if it sleeps: after a put on its ring, or quit. */
static void procpool_wake_worker(struct procpool__lane *l)
{
	if (prim_atomic_exchange_n(&l->bell, 0, __ATOMIC_SEQ_CST))
		futex_wake(&l->bell, 1, 1);
}

/* Close every descriptor above 2 but a and b (a < b). */
static void procpool_close_others(int a, int b)
{
	if (a > 3)
		close_range(3, (unsigned)a - 1, 0);
	if (b > a + 1)
		close_range((unsigned)a + 1, (unsigned)b - 1, 0);
	close_range((unsigned)b + 1, ~0U, 0);
}

/* An empty lane for a new worker (none runs on it now). */
static void procpool_lane_reset(struct procpool__lane *l)
{
	ring_ck_init(&l->todo, PROCPOOL__DEPTH);
	ring_ck_init(&l->done, PROCPOOL__DEPTH);
	l->bell = 0;
	l->quit = 0;
}

/* Fork a worker for w's empty lane.  0 or -errno. */
static int procpool_spawn(struct procpool *p, struct procpool__worker *w)
{
	struct procpool__lane *l = procpool_lane(p, w);
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
		procpool_close_others(sv[1] < p->evfd ? sv[1] : p->evfd,
				      sv[1] < p->evfd ? p->evfd : sv[1]);
		procpool_worker_main(p->sh, l, p->evfd);
	}
	close(sv[1]);
	sync_lock_acquire(&p->lock);
	w->pid = pid;
	w->fd = sv[0];
	w->live = 1;
	memset(w->busy, 0, sizeof(w->busy));
	w->inflight = 0;
	w->ahead = PROCPOOL__DEPTH;
	w->task_ns = 0;
	w->busy_since_ns = 0;
	p->live++;
	sync_lock_release(&p->lock);
	return 0;
}

/* Reap a worker that died or was killed or told to quit. */
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

/* Stop giving w tasks.  Under the lock. */
static void procpool_retire(struct procpool *p, struct procpool__worker *w)
{
	if (w->live) {
		w->live = 0;
		p->live--;
	}
}

/* Free slot k of w and say what to call back.  Under the lock. */
static struct procpool__call procpool_release(struct procpool__worker *w, uint64_t k, int ok,
					      uint64_t result)
{
	struct procpool__call c = w->call[k];

	procpool_slot_give(w, k);
	c.ok = ok;
	c.result = result;
	return c;
}

/* Move w's answers into calls[]; returns how many.  Under the lock. */
static size_t procpool_take_answers(struct procpool *p, struct procpool__worker *w,
				    struct procpool__call *calls)
{
	struct procpool__lane *l = procpool_lane(p, w);
	size_t n = 0;
	uint64_t k;

	while (ring_ck_get_spsc(&l->done, l->done_buf, &k)) {
		if (!procpool_slot_used(w, k))
			abort();	/* a worker answered a slot it was not given */
		calls[n++] = procpool_release(w, k, !l->slot[k].failed, l->slot[k].result);
	}
	return n;
}

static void procpool_run_calls(const struct procpool__call *calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (calls[i].cb)
			calls[i].cb(calls[i].cb_arg, calls[i].ok, calls[i].result);
}

/* The live worker with the most free slots, NULL if none has one.
 * Under the lock. */
static struct procpool__worker *procpool_pick(struct procpool *p)
{
	struct procpool__worker *best = NULL;

	for (unsigned i = 0; i < p->nworkers; i++) {
		struct procpool__worker *w = &p->w[i];

		if (w->live && procpool_inflight(w) < w->ahead &&
		    (!best || procpool_inflight(w) < procpool_inflight(best)))
			best = w;
	}
	return best;
}

/* Give w (which has a free slot) a task, and wake it if it sleeps.
 * Under the lock. */
static void procpool_post(struct procpool *p, struct procpool__worker *w, procpool_fn fn,
			  uint64_t arg, procpool_callback cb, void *cb_arg)
{
	struct procpool__lane *l = procpool_lane(p, w);
	unsigned k = procpool_slot_first(w, 0);

	l->slot[k].fn = (uintptr_t)fn;
	l->slot[k].arg = arg;
	w->call[k] = (struct procpool__call){ .cb = cb, .cb_arg = cb_arg };
	procpool_slot_take(w, k);
	if (!ring_ck_put_spsc(&l->todo, l->todo_buf, k))
		abort();	/* a free slot is room on the ring */
	procpool_wake_worker(l);
}

/* Hand waiting tasks to free slots, in order.  Under the lock. */
static void procpool_refill(struct procpool *p)
{
	struct procpool__worker *w;
	struct procpool__task *t;

	while ((t = STAILQ_FIRST(&p->backlog)) && (w = procpool_pick(p))) {
		STAILQ_REMOVE_HEAD(&p->backlog, next);
		procpool_post(p, w, t->fn, t->arg, t->cb, t->cb_arg);
		free(t);
	}
}

static uint64_t procpool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* After a look at w that read `answers` at now_ns: its task length, and
 * so how far ahead it is handed work.  Under the lock. */
static void procpool_measure(struct procpool__worker *w, size_t answers, uint64_t now_ns)
{
	if (answers && w->busy_since_ns && now_ns > w->busy_since_ns) {
		double per = (double)(now_ns - w->busy_since_ns) / (double)answers;
		double ahead;

		/* A moving average: one slow look (a preempted worker)
		 * moves it a quarter of the way. */
		w->task_ns = w->task_ns > 0 ? 0.75 * w->task_ns + 0.25 * per : per;
		ahead = PROCPOOL__AHEAD_NS / w->task_ns;
		w->ahead = ahead >= PROCPOOL__DEPTH ? PROCPOOL__DEPTH :
			   ahead <= PROCPOOL__MIN_AHEAD ? PROCPOOL__MIN_AHEAD : (unsigned)ahead;
	}
	w->busy_since_ns = w->inflight ? now_ns : 0;
}

/* Read every answer, refill, then call back.  Returns the answers. */
static size_t procpool_collect(struct procpool *p)
{
	uint64_t now_ns = procpool_now_ns();
	size_t n = 0;

	sync_lock_acquire(&p->lock);
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].live) {
			size_t got = procpool_take_answers(p, &p->w[i], p->calls + n);

			procpool_measure(&p->w[i], got, now_ns);
			n += got;
		}
	procpool_refill(p);
	sync_lock_release(&p->lock);
	procpool_run_calls(p->calls, n);
	return n;
}

/* Fork a worker into each slot that has none.  1 if one was forked. */
static int procpool_respawn(struct procpool *p)
{
	int any = 0;

	for (unsigned i = 0; i < p->nworkers; i++) {
		struct procpool__worker *w = &p->w[i];

		if (w->pid || procpool_spawn(p, w) != 0)
			continue;
		sync_lock_acquire(&p->lock);
		p->replaced++;
		sync_lock_release(&p->lock);
		any = 1;
	}
	return any;
}

/*
 * Worker w died (its socket read end-of-file): reap it; call back what
 * it answered; put back what it never took, to wait for a slot; report
 * failed what is left, the one task it was running; then empty its lane
 * for the next worker (procpool_respawn forks it).
 */
static void procpool_lost(struct procpool *p, struct procpool__worker *w)
{
	struct procpool__lane *l = procpool_lane(p, w);
	size_t n;
	uint64_t k;

	sync_lock_acquire(&p->lock);
	procpool_retire(p, w);
	sync_lock_release(&p->lock);
	procpool_reap(p, w);
	/* Dead and reaped: nothing else touches its lane now. */
	sync_lock_acquire(&p->lock);
	n = procpool_take_answers(p, w, p->calls);
	while (ring_ck_get_spsc(&l->todo, l->todo_buf, &k)) {
		struct procpool__task *t = malloc(sizeof(*t));

		if (!t) {
			p->calls[n++] = procpool_release(w, k, 0, 0);
			continue;
		}
		*t = (struct procpool__task){ .fn = (procpool_fn)(uintptr_t)l->slot[k].fn,
					      .arg = l->slot[k].arg, .cb = w->call[k].cb,
					      .cb_arg = w->call[k].cb_arg };
		STAILQ_INSERT_TAIL(&p->backlog, t, next);
		procpool_slot_give(w, k);
	}
	while (w->inflight)
		p->calls[n++] = procpool_release(w, procpool_slot_first(w, 1), 0, 0);
	procpool_lane_reset(l);
	procpool_refill(p);
	sync_lock_release(&p->lock);
	procpool_run_calls(p->calls, n);
}

/* Kill and reap every worker; call back the answers they left; drop the
 * rest and the backlog.  Returns the tasks dropped. */
static size_t procpool_kill_all(struct procpool *p)
{
	struct procpool__task *t;
	size_t dropped = 0, n = 0;

	sync_lock_acquire(&p->lock);
	for (unsigned i = 0; i < p->nworkers; i++)
		procpool_retire(p, &p->w[i]);
	sync_lock_release(&p->lock);
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].pid) {
			kill(p->w[i].pid, SIGKILL);
			procpool_reap(p, &p->w[i]);
		}
	sync_lock_acquire(&p->lock);
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct procpool__worker *w = &p->w[i];

		n += procpool_take_answers(p, w, p->calls + n);
		dropped += procpool_inflight(w);
		memset(w->busy, 0, sizeof(w->busy));
		w->inflight = 0;
		procpool_lane_reset(procpool_lane(p, w));
	}
	while ((t = STAILQ_FIRST(&p->backlog))) {
		STAILQ_REMOVE_HEAD(&p->backlog, next);
		free(t);
		dropped++;
	}
	sync_lock_release(&p->lock);
	procpool_run_calls(p->calls, n);
	return dropped;
}

/* Whether nothing is waiting or in flight.  Under the lock. */
static int procpool_idle_locked(struct procpool *p)
{
	int idle = STAILQ_EMPTY(&p->backlog);

	for (unsigned i = 0; i < p->nworkers; i++)
		idle &= !p->w[i].inflight;
	return idle;
}

static int procpool_idle(struct procpool *p)
{
	int idle;

	sync_lock_acquire(&p->lock);
	idle = procpool_idle_locked(p);
	sync_lock_release(&p->lock);
	return idle;
}

/* Whether a worker left an answer since the last look. */
static int procpool_answers_wait(struct procpool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].pid && ck_ring_size(&p->sh->lane[i].done.ring))
			return 1;
	return 0;
}

/* After join's last task: every worker exits (its ring is empty). */
static void procpool_quit_all(struct procpool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].pid) {
			prim_atomic_store_n(&p->sh->lane[i].quit, 1, __ATOMIC_RELEASE);
			procpool_wake_worker(&p->sh->lane[i]);
		}
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].pid)
			procpool_reap(p, &p->w[i]);
}

/* Sleep until a worker rings or dies, the owner rings, or the backstop
 * passes; handle deaths.  *backstop_ms: the backstop, doubled here when
 * it passed. */
static void procpool_sleep(struct procpool *p, struct pollfd *fds, int *backstop_ms)
{
	uint64_t ring;
	int timeout, rc;

	/* Idle, and said so in the same hold of the lock that a submitter
	 * takes to give a task: it sees the flag, or this sees its task. */
	sync_lock_acquire(&p->lock);
	p->idle_sleep = procpool_idle_locked(p);
	timeout = p->idle_sleep ? -1 : *backstop_ms;
	sync_lock_release(&p->lock);

	/* The bell, then one more look: a full barrier between.  With
	 * answers waiting it only looks at the sockets, so that a death is
	 * seen while the other workers keep it busy. */
	prim_atomic_store_n(&p->sh->parent_bell, 1, __ATOMIC_SEQ_CST);
	if (procpool_answers_wait(p))
		timeout = 0;
	fds[0] = (struct pollfd){ .fd = p->evfd, .events = POLLIN };
	for (unsigned i = 0; i < p->nworkers; i++)
		fds[i + 1] = (struct pollfd){ .fd = p->w[i].pid ? p->w[i].fd : -1,
					      .events = POLLIN };
	rc = poll(fds, p->nworkers + 1, timeout);
	prim_atomic_store_n(&p->sh->parent_bell, 0, __ATOMIC_RELAXED);
	sync_lock_acquire(&p->lock);
	p->idle_sleep = 0;
	sync_lock_release(&p->lock);
	if (rc == 0 && timeout > 0 && *backstop_ms < PROCPOOL__BACKSTOP_MAX_MS)
		*backstop_ms *= 2;
	if (rc <= 0)
		return;		/* the backstop, or EINTR */
	if (fds[0].revents & POLLIN)
		(void)!read(p->evfd, &ring, sizeof(ring));
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct procpool__worker *w = &p->w[i];
		char c;

		/* A worker never sends: anything readable is its end. */
		if (fds[i + 1].revents && w->pid &&
		    !(recv(w->fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN))
			procpool_lost(p, w);
	}
}

static void *procpool_main(void *arg)
{
	struct procpool *p = arg;
	int backstop_ms = PROCPOOL__BACKSTOP_MS;
	struct pollfd *fds;
	int stop;

	/* Before any fork, an atomic: in the test build it passes a
	 * preemption point, whose per-process state is made once, on first
	 * use; made here, it is whole in every child (one forked while
	 * another thread was making it would wait for it for ever). */
	prim_atomic_store_n(&p->sh->parent_bell, 0, __ATOMIC_RELAXED);
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
		/* Something happened: look again soon. */
		if (procpool_respawn(p))
			backstop_ms = PROCPOOL__BACKSTOP_MS;
		if (procpool_collect(p))
			backstop_ms = PROCPOOL__BACKSTOP_MS;
		if (stop == PROCPOOL__JOIN && procpool_idle(p)) {
			procpool_quit_all(p);
			break;
		}
		procpool_sleep(p, fds, &backstop_ms);
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
	p->sh = MAP_FAILED;
	STAILQ_INIT(&p->backlog);
	p->w = calloc(workers, sizeof(*p->w));
	p->calls = calloc((size_t)workers * PROCPOOL__DEPTH, sizeof(*p->calls));
	err = -ENOMEM;
	if (!p->w || !p->calls)
		goto err;
	p->sh_bytes = sizeof(*p->sh) + (size_t)workers * sizeof(p->sh->lane[0]);
	p->sh = mmap(NULL, p->sh_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->sh == MAP_FAILED) {
		err = -errno;
		goto err;
	}
	for (unsigned i = 0; i < workers; i++)
		procpool_lane_reset(&p->sh->lane[i]);
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
	if (p->sh != MAP_FAILED)
		munmap(p->sh, p->sh_bytes);
	free(p->calls);
	free(p->w);
	free(p);
	return err;
}

int procpool_apply_async(struct procpool *p, procpool_fn fn, uint64_t arg,
			 procpool_callback cb, void *cb_arg)
{
	struct procpool__worker *w;
	struct procpool__task *t;
	int ring;

	if (!fn)
		return -EINVAL;
	sync_lock_acquire(&p->lock);
	if (p->closed) {
		sync_lock_release(&p->lock);
		return -EPIPE;
	}
	/* A free slot, unless tasks wait before this one. */
	if (STAILQ_EMPTY(&p->backlog) && (w = procpool_pick(p))) {
		procpool_post(p, w, fn, arg, cb, cb_arg);
		/* A lone task's answer always rings (its ring runs dry); a
		 * second one's may not (see PROCPOOL__BATCH). */
		ring = p->idle_sleep && procpool_inflight(w) >= 2;
		if (ring)
			p->idle_sleep = 0;
		sync_lock_release(&p->lock);
		if (ring)
			procpool_ring(p);
		return 0;
	}
	t = malloc(sizeof(*t));
	if (!t) {
		sync_lock_release(&p->lock);
		return -ENOMEM;
	}
	*t = (struct procpool__task){ .fn = fn, .arg = arg, .cb = cb, .cb_arg = cb_arg };
	STAILQ_INSERT_TAIL(&p->backlog, t, next);
	/* With a worker alive, its answers bring the result thread round
	 * to the backlog; with none, only this can. */
	ring = p->live == 0;
	sync_lock_release(&p->lock);
	if (ring)
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
	munmap(p->sh, p->sh_bytes);
	free(p->calls);
	free(p->w);
	free(p);
}
