/*
 * bench/ptc_io.c - C concurrent units, each holding one loopback TCP
 * connection and doing request -> answer in a loop, against a server
 * that answers after an injected latency (bench/ptc.h): the lesson's
 * "threads (or processes) for I/O", and what each unit costs once there
 * are thousands.
 *
 * ptc.io.thread: C threads; ptc.io.process: C forked processes.  Setup
 * starts the server (its own process, outside the memory cgroup), opens
 * the configuration's memory cgroup (bench_mem_open), then the C units
 * (threads: the runner connects C sockets first and hands each thread
 * its own; a process connects its own), which wait.  A round gives every
 * unit the same quota of requests (iters / C, rounded up) and waits
 * until all are done: requests_per_sec beside ideal_per_sec = C /
 * latency, what the injected latency alone allows.  In latency rounds each unit times its
 * first PTC_IO_SAMPLES requests with the harness's clock into shared
 * memory, and the driver task records them (rtt_*).  Memory per unit is
 * the growth since before the units existed, read at each round's end
 * while they are all alive and connected: charged to the cgroup, its
 * kernel part, and resident (threads: RSS; processes: PSS of the runner
 * and the units).  Where the runner made the connections before any unit
 * existed (thread, coro), the charge is split in two: conn_per_unit, the
 * growth across the connecting alone (a socket each, the same for every
 * carrier), and carrier_per_unit, the rest (what a thread or a coroutine
 * adds to carry its connection).  The counters (context switches, system
 * calls per request) include the server's; they are empty where the
 * units are too many for the harness to count as helpers.
 *
 * ptc.io.coro: one thread's hub (primitives/hub.h) serves all C
 * connections: the harness's one task connects them in task_init
 * (hub_connect, non-blocking sockets), and each round spawns C hub tasks
 * that make their quota of requests with hub_send and hub_recv, parking
 * while their socket is not ready, joined with hub_joinall.  Its memory
 * is read once every task of the round has started and is parked in its
 * first answer's wait, all C alive; the counters count everything, as
 * the units are the task itself.
 *
 * A C that the machine cannot hold (descriptors after raising
 * RLIMIT_NOFILE to its hard limit, threads, processes) is skipped with
 * the limit named, never shrunk.
 *
 * check(): every request of every round was answered with its own bytes
 * by a unit that had it in its quota, and no unit failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "bench/ptc.h"
#include "harness/bench.h"
#include "primitives/futex.h"
#include "primitives/hub.h"

/* Requests a unit times per latency round: enough for p999 over the
 * units of C >= 1,000, few enough to keep C x samples small. */
#define PTC_IO_SAMPLES 16
/* Descriptors and units left to the rest of the machine. */
#define PTC_IO_MARGIN 64
#define PTC_IO_ROOM_MARGIN 2000


/* Every carrier's figures, then the split that only a runner which made
 * the connections itself can read (thread, coro). */
#define PTC_IO_FIGURES_ALL(VALUE, HIST)						\
	VALUE(PTC_IO_IDEAL, .name = "ideal_per_sec", .unit = "ops/s",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_SUM, .higher_is_better = 1)	\
	VALUE(PTC_IO_CHARGED, .name = "charged_per_unit", .unit = "bytes",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(PTC_IO_KMEM, .name = "kmem_per_unit", .unit = "bytes",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(PTC_IO_RESIDENT, .name = "resident_per_unit", .unit = "bytes",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	HIST(PTC_IO_HIST_RTT, "rtt")
#define PTC_IO_FIGURES_SPLIT(VALUE, HIST)					\
	VALUE(PTC_IO_CONN, .name = "conn_per_unit", .unit = "bytes",		\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)			\
	VALUE(PTC_IO_CARRIER, .name = "carrier_per_unit", .unit = "bytes",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
#define PTC_IO_FIGURES(VALUE, HIST)						\
	PTC_IO_FIGURES_ALL(VALUE, HIST) PTC_IO_FIGURES_SPLIT(VALUE, HIST)
BENCH_FIGURES(PTC_IO, PTC_IO_FIGURES);


static char ptc_io_why[256];

/* One unit's life: its connection (a thread's, made by the runner; a
 * process connects its own), then rounds until told to stop. */
static void ptc_io_unit(struct ptc_io_shared *s, long id)
{
	uint32_t seen = 0, g;
	uint64_t seq = (uint64_t)id << 40, ok = 0, bad = 0;
	int fd = s->carrier == PTC_IO_THREAD ? s->fds[id] : ptc_connect(s->srv.port);

	if (fd < 0) {
		__atomic_fetch_add(&s->failed_up, 1, __ATOMIC_RELAXED);
		futex_wake(&s->failed_up, 1, 1);
		return;
	}
	__atomic_fetch_add(&s->up, 1, __ATOMIC_RELEASE);
	futex_wake(&s->up, 1, 1);
	for (;;) {
		uint64_t q, *lat = &s->lat[(size_t)id * PTC_IO_SAMPLES];
		int rec;

		/* Acquire: the round's quota and flags, set before gen. */
		while ((g = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE)) == seen)
			futex_wait(&s->gen, seen, NULL, 1);
		seen = g;
		if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
			break;
		q = s->quota;
		rec = (int)s->record;
		ok = bad = 0;
		for (uint64_t i = 0; i < q; i++) {
			uint64_t t0 = rec && i < PTC_IO_SAMPLES ? bench_now_ns() : 0;

			if (ptc_roundtrip(fd, seq++) == 0)
				ok++;
			else
				bad++;
			if (t0)
				lat[i] = bench_now_ns() - t0;
		}
		__atomic_fetch_add(&s->answered, ok, __ATOMIC_RELAXED);
		if (bad)
			__atomic_fetch_add(&s->errors, bad, __ATOMIC_RELAXED);
		/* Release: the counts and samples above, for the driver. */
		if (__atomic_sub_fetch(&s->pending, 1, __ATOMIC_RELEASE) == 0)
			futex_wake(&s->pending, 1, 1);
	}
	if (s->carrier == PTC_IO_PROCESS)
		close(fd);	/* a thread's is the runner's (ptc_io_close) */
}

/* The configuration's state, for the unit threads (one configuration
 * a runner). */
static struct ptc_io_shared *ptc_io_cur;

/* p: the unit's index. */
static void *ptc_io_thread_main(void *p)
{
	ptc_io_unit(ptc_io_cur, (long)(intptr_t)p);
	return NULL;
}

/* Close the connections the runner made (thread, coro). */
static void ptc_io_close(struct ptc_io_shared *s)
{
	for (long i = 0; s->fds && i < s->c; i++)
		if (s->fds[i] >= 0) {
			close(s->fds[i]);
			s->fds[i] = -1;
		}
}

/* Stop every unit that was started and wait for it; then the server.
 * Returns the server's word on its shutdown (ptc_server_stop). */
static int ptc_io_stop(struct ptc_io_shared *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
	futex_wake(&s->gen, INT_MAX, 1);
	for (long i = 0; i < s->started; i++) {
		if (s->carrier == PTC_IO_THREAD) {
			pthread_join(s->threads[i], NULL);
		} else {
			int st;

			while (waitpid(s->pids[i], &st, 0) < 0 && errno == EINTR)
				;
		}
	}
	s->started = 0;
	ptc_io_close(s);
	return ptc_server_stop(&s->srv);
}

/* Wait until every started unit is connected (or failed to). */
static int ptc_io_wait_up(struct ptc_io_shared *s)
{
	struct timespec nap = { 0, 200000 };

	while (__atomic_load_n(&s->up, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&s->failed_up, __ATOMIC_RELAXED) < (uint32_t)s->started)
		nanosleep(&nap, NULL);
	return s->failed_up ? -ECONNREFUSED : 0;
}

static int ptc_io_setup(struct bench_state *st, enum ptc_io_carrier carrier)
{
	long c = (long)bench_param_int(st, "c"), room;
	struct ptc_io_shared *s;
	struct rlimit rl;
	const char *limit;
	int ret;

	s = bench_shared_alloc(st, sizeof(*s) + sizeof(uint64_t) * PTC_IO_SAMPLES * (size_t)c);
	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->carrier = carrier;
	s->c = c;
	s->latency_us = (uint32_t)bench_param_int(st, "latency_us");
	/* Descriptors: the units' C (threads share the runner's table; a
	 * process holds its one, but the server holds C). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long long)rl.rlim_cur < c + PTC_IO_MARGIN) {
		snprintf(ptc_io_why, sizeof(ptc_io_why), "c=%ld connections do not fit: "
			 "RLIMIT_NOFILE's hard limit is %lld descriptors (server and client "
			 "each hold c)", c, (long long)rl.rlim_cur);
		return bench_skip(st, ptc_io_why);
	}
	room = carrier == PTC_IO_THREAD ? bench_room_threads(&limit)
	       : carrier == PTC_IO_PROCESS ? bench_room_processes(&limit) : LONG_MAX;
	if (c > room - PTC_IO_ROOM_MARGIN) {
		snprintf(ptc_io_why, sizeof(ptc_io_why), "c=%ld units do not fit: %s leaves room "
			 "for %ld more, less %d kept for the rest of the machine", c, limit, room,
			 PTC_IO_ROOM_MARGIN);
		return bench_skip(st, ptc_io_why);
	}
	if (!(s->threads = calloc((size_t)c, sizeof(*s->threads))) ||
	    !(s->pids = calloc((size_t)c, sizeof(*s->pids))) ||
	    !(s->fds = malloc(sizeof(*s->fds) * (size_t)c)))
		return -ENOMEM;
	for (long i = 0; i < c; i++)
		s->fds[i] = -1;
	if ((ret = ptc_server_start(&s->srv, s->latency_us, (int)(c < 4096 ? c + 64 : 4096))) < 0)
		return ret;
	if ((ret = bench_mem_open(st)) < 0)
		goto fail;
	bench_mem_read(st, carrier == PTC_IO_PROCESS ? s->pids : NULL, 0, &s->m0);
	ptc_io_cur = s;
	if (carrier == PTC_IO_CORO)
		return 0;	/* task_init connects, in the task's thread */
	/* Threads: the runner connects them all first, so that what the
	 * connections alone cost is read apart from the threads.  (Not for
	 * processes: a child forked after them would inherit a descriptor
	 * table of C entries, which is no process's own cost.) */
	if (carrier == PTC_IO_THREAD) {
		bench_mem_read(st, NULL, 0, &s->mc0);
		for (long i = 0; i < c; i++)
			if ((s->fds[i] = ptc_connect(s->srv.port)) < 0) {
				ret = s->fds[i];
				s->fds[i] = -1;
				goto fail;
			}
		bench_mem_read(st, NULL, 0, &s->mc1);
		s->conn_read = 1;
	}
	for (long i = 0; i < c; i++, s->started++) {
		if (carrier == PTC_IO_THREAD) {
			if (pthread_create(&s->threads[i], NULL, ptc_io_thread_main,
					   (void *)(intptr_t)i) != 0) {
				ret = -EAGAIN;
				goto fail;
			}
		} else {
			pid_t pid = fork();

			if (pid < 0) {
				ret = -errno;
				goto fail;
			}
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				ptc_io_unit(s, i);
				_exit(0);
			}
			s->pids[i] = pid;
		}
	}
	if ((ret = ptc_io_wait_up(s)) < 0)
		goto fail;
	return 0;
fail:
	ptc_io_stop(s);
	return ret;
}

static int ptc_io_setup_thread(struct bench_state *st)
{
	return ptc_io_setup(st, PTC_IO_THREAD);
}

static int ptc_io_setup_process(struct bench_state *st)
{
	return ptc_io_setup(st, PTC_IO_PROCESS);
}

static int ptc_io_setup_coro(struct bench_state *st)
{
	if (strcmp(bench_param_str(st, "stack"), "shared") == 0 && !GREENLET_SHARED_OK)
		return bench_skip(st, "stack=shared is compiled out of sanitizer builds");
	return ptc_io_setup(st, PTC_IO_CORO);
}

/* ptc.io.coro, in the task's thread: the hub and the C connections. */
static int ptc_io_coro_task_init(struct bench_task *t)
{
	struct ptc_io_shared *s = t->st->priv;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->srv.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct hub_attr attr = {
		.mode = strcmp(bench_param_str(t->st, "stack"), "shared") == 0
			? GREENLET_STACK_SHARED : GREENLET_STACK_MMAP,
	};
	int one = 1, r;

	if (!(s->hub = hub_new(&attr)))
		return -errno;
	bench_mem_read(t->st, NULL, 0, &s->mc0);
	for (long i = 0; i < s->c; i++) {
		s->fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->fds[i] < 0)
			return -errno;
		if ((r = hub_connect(s->fds[i], (struct sockaddr *)&a, sizeof(a))) < 0)
			return r;
		setsockopt(s->fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	bench_mem_read(t->st, NULL, 0, &s->mc1);
	s->conn_read = 1;
	return 0;
}

static void ptc_io_coro_task_fini(struct bench_task *t)
{
	struct ptc_io_shared *s = t->st->priv;

	ptc_io_close(s);
	if (s->hub)
		hub_destroy(s->hub);
	s->hub = NULL;
}

/* One hub task's round on connection `id` (its index, as the pointer). */
static void *ptc_io_coro_unit(void *p)
{
	struct ptc_io_shared *s = ptc_io_cur;
	long id = (long)(intptr_t)p;
	uint64_t *lat = &s->lat[(size_t)id * PTC_IO_SAMPLES], ok = 0, bad = 0;
	uint64_t seq = ((uint64_t)id << 40) + s->issued;
	int fd = s->fds[id];

	for (uint64_t i = 0; i < s->quota; i++, seq++) {
		uint64_t t0 = s->record && i < PTC_IO_SAMPLES ? bench_now_ns() : 0;
		char in[PTC_MSG];
		size_t got = 0;
		ssize_t n = hub_send(fd, &seq, PTC_MSG, 0);

		while (n == PTC_MSG && got < PTC_MSG) {
			ssize_t r = hub_recv(fd, in + got, PTC_MSG - got, 0);

			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got == PTC_MSG && memcmp(in, &seq, PTC_MSG) == 0)
			ok++;
		else
			bad++;
		if (t0)
			lat[i] = bench_now_ns() - t0;
	}
	s->answered += ok;
	s->errors += bad;
	return p;
}

/* Spawn the round's C tasks; once all are parked, read the memory they
 * hold; join them. */
static void ptc_io_coro_round(struct bench_task *t);

static void ptc_io_report_mem(struct bench_task *t)
{
	struct ptc_io_shared *s = t->st->priv;
	int procs = s->carrier == PTC_IO_PROCESS;
	struct bench_mem m;

	bench_mem_read(t->st, procs ? s->pids : NULL, procs ? (int)s->c : 0, &m);
	if (m.charged >= 0 && s->m0.charged >= 0) {
		int64_t conn = s->mc1.charged - s->mc0.charged;

		bench_report(t, PTC_IO_CHARGED, (double)(m.charged - s->m0.charged) / s->c);
		bench_report(t, PTC_IO_KMEM, (double)(m.kmem - s->m0.kmem) / s->c);
		if (s->conn_read) {
			bench_report(t, PTC_IO_CONN, (double)conn / s->c);
			bench_report(t, PTC_IO_CARRIER,
				     (double)(m.charged - s->m0.charged - conn) / s->c);
		}
	}
	if (!procs && m.rss >= 0 && s->m0.rss >= 0)
		bench_report(t, PTC_IO_RESIDENT, (double)(m.rss - s->m0.rss) / s->c);
	else if (procs && m.pss >= 0 && s->m0.pss >= 0)
		bench_report(t, PTC_IO_RESIDENT, (double)(m.pss - s->m0.pss) / s->c);
}

/* The driver: one round of quota requests in every unit. */
static uint64_t ptc_io_run(struct bench_task *t, uint64_t iters)
{
	struct ptc_io_shared *s = t->st->priv;
	uint64_t q = (iters + (uint64_t)s->c - 1) / (uint64_t)s->c;
	int rec = bench_recording(t);
	uint32_t p;

	s->quota = q;
	s->record = (uint32_t)rec;
	if (s->carrier == PTC_IO_CORO) {
		ptc_io_coro_round(t);
		goto done;
	}
	__atomic_store_n(&s->pending, (uint32_t)s->c, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
	futex_wake(&s->gen, INT_MAX, 1);
	while ((p = __atomic_load_n(&s->pending, __ATOMIC_ACQUIRE)) != 0)
		futex_wait(&s->pending, p, NULL, 1);
	ptc_io_report_mem(t);
done:
	/* First principles: the server answers latency_us after a request
	 * arrives (libev's clock brought up to date first), so no timed
	 * request comes back sooner, but by the clocks' disagreement (a
	 * microsecond, or a thousandth of the latency). */
	if (rec) {
		uint64_t want = (uint64_t)s->latency_us * 1000, slack = want / 1000;

		slack = slack > 1000 ? slack : 1000;
		for (long u = 0; u < s->c; u++)
			for (uint64_t i = 0; i < q && i < PTC_IO_SAMPLES; i++) {
				uint64_t ns = s->lat[(size_t)u * PTC_IO_SAMPLES + i];

				s->too_soon += ns + slack < want;
				bench_record_ns(t, PTC_IO_HIST_RTT, ns);
			}
	}
	bench_report(t, PTC_IO_IDEAL, (double)s->c * 1e6 / s->latency_us);
	s->issued += q * (uint64_t)s->c;
	s->run_iters += iters;
	s->rounds++;
	return q * (uint64_t)s->c;
}

static void ptc_io_coro_round(struct bench_task *t)
{
	struct ptc_io_shared *s = t->st->priv;
	struct hub_task **h = calloc((size_t)s->c, sizeof(*h));
	long made = 0;

	if (!h) {
		s->errors++;
		return;
	}
	for (; made < s->c; made++)
		if (!(h[made] = hub_spawn(ptc_io_coro_unit, (void *)(intptr_t)made)))
			break;
	if (made < s->c || hub_sleep(0) < 0)
		s->errors++;
	ptc_io_report_mem(t);
	if (hub_joinall(h, (size_t)made, -1) != made)
		s->errors++;
	for (long i = 0; i < made; i++)
		if (hub_task_free(h[i]) < 0)
			s->errors++;
	free(h);
}

static const char *ptc_io_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct ptc_io_shared *s = st->priv;

	(void)base_iters;
	if (s->errors)
		return "a request went unanswered, or came back with other bytes";
	if (s->run_iters != run_iters)
		return "run() was not given every iteration it reports";
	/* Each round's quota is its iterations over C, rounded up. */
	if (s->issued < run_iters || s->issued >= run_iters + s->rounds * (uint64_t)s->c)
		return "the rounds' quotas do not add up to the iterations";
	if (s->answered != s->issued)
		return "the units did not make every request of their quotas";
	if (s->too_soon)
		return "a response came back sooner than the server's injected latency_us";
	return NULL;
}

static void ptc_io_teardown(struct bench_state *st)
{
	struct ptc_io_shared *s = st->priv;

	if (!s)
		return;
	if (s->srv.pid)
		ptc_io_stop(s);
	free(s->threads);
	free(s->pids);
	free(s->fds);
}

#define PTC_IO_REQUESTS_ROW							\
	{ .name = "requests_per_sec", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1, \
	  .higher_is_better = 1 }

static const struct bench_metric ptc_io_metrics[] = {
	PTC_IO_REQUESTS_ROW,
	BENCH_FIGURE_ROWS(PTC_IO_FIGURES)
	{ .name = NULL },
};

/* A process connects its own: no split (ptc_io_setup). */
static const struct bench_metric ptc_io_process_metrics[] = {
	PTC_IO_REQUESTS_ROW,
	BENCH_FIGURE_ROWS(PTC_IO_FIGURES_ALL)
	{ .name = NULL },
};

/* C = 10,000 takes tens of seconds a carrier (10,000 processes to
 * start, or a round of 10,000 requests through one server): --quick
 * stops at 1,000. */
#define PTC_IO_PARAMS								\
	{ .name = "c", .def = "10,100,1000,10000", .quick = "10,100,1000", .min = 1, \
	  .max = 1000000, .help = "concurrent units, a connection each" },	\
	{ .name = "latency_us", .def = "1000", .min = 1, .max = 10000000,	\
	  .help = "the server's answer comes this long after the request" }

static const struct bench_param ptc_io_params[] = { PTC_IO_PARAMS, { .name = NULL } };

/* The hub's tasks: a stack each, or one shared (bench/spawn_coro.c). */
static const struct bench_param ptc_io_coro_params[] = {
	PTC_IO_PARAMS,
	{ .name = "stack", .def = "mmap,shared", .choices = "mmap|shared",
	  .help = "mmap: a stack of its own per hub task (guard page below); shared: one stack, "
		  "a parked task's frames copied to the heap" },
	{ .name = NULL },
};

#define PTC_IO_DESC(var, ...)							\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1,	\
		.placements = "none",						\
		.run = ptc_io_run, .check = ptc_io_check,			\
		.teardown = ptc_io_teardown, __VA_ARGS__			\
	}

PTC_IO_DESC(bench_ptc_io_thread, .name = "ptc.io.thread",
	    .summary = "C threads, a loopback connection each, request -> answer after the "
		       "server's latency",
	    .params = ptc_io_params, .setup = ptc_io_setup_thread, .metrics = ptc_io_metrics);
PTC_IO_DESC(bench_ptc_io_coro, .name = "ptc.io.coro",
	    .summary = "C hub coroutines of one thread, a loopback connection each, request -> "
		       "answer after the server's latency",
	    .params = ptc_io_coro_params, .setup = ptc_io_setup_coro, .metrics = ptc_io_metrics,
	    .task_init = ptc_io_coro_task_init, .task_fini = ptc_io_coro_task_fini);
PTC_IO_DESC(bench_ptc_io_process, .name = "ptc.io.process",
	    .summary = "C processes, a loopback connection each, request -> answer after the "
		       "server's latency",
	    .params = ptc_io_params, .setup = ptc_io_setup_process,
	    .metrics = ptc_io_process_metrics);
