/*
 * bench/ptc_scene.c - the lesson's coroutine scenes, as configurations
 * whose outcome check() holds to what the lesson shows.
 *
 * ptc.scene.greenlet_order: greenlet's own example.  test1 says 12 and
 * switches to test2, which says 56 and switches back; test1 says 34 and
 * switches to test2 again, which says 78 and ends.  The order must be
 * 12 56 34 78 in every iteration: a switch resumes where the other
 * greenlet left off, not at its start.
 *
 * ptc.scene.fetch3: gevent's three fetches against the loopback server
 * (bench/ptc.h), each a whole connection (connect, request, answer,
 * close) that waits latency_us for its answer.  way=joinall spawns the
 * three as hub tasks and joins them with hub_joinall: they wait at the
 * same time, so the whole takes about one fetch; way=sequential makes
 * them one after another in the same thread: three fetches' time.
 * check() holds most joinall iterations (all but a few a loaded host
 * stalled) under 3 x latency (only waits that overlap can be, as the
 * server never answers early) and every sequential one at or above it.  vs_latency is the iteration's time
 * over the latency: about 1 and about 3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/ptc.h"
#include "harness/bench.h"
#include "primitives/hub.h"

/* ---- ptc.scene.greenlet_order ------------------------------------------- */


/* One iteration's greenlets and what they said. */
struct ptc_order {
	struct greenlet *gr1, *gr2;
	int said[8], n;
};

static void *ptc_order_test1(void *p)
{
	struct ptc_order *o = p;

	if (o->n < 8)
		o->said[o->n++] = 12;
	greenlet_switch(o->gr2, o);
	if (o->n < 8)
		o->said[o->n++] = 34;
	greenlet_switch(o->gr2, o);
	return NULL;	/* never reached: test2 ends, and its parent is the root */
}

static void *ptc_order_test2(void *p)
{
	struct ptc_order *o = p;

	if (o->n < 8)
		o->said[o->n++] = 56;
	greenlet_switch(o->gr1, o);
	if (o->n < 8)
		o->said[o->n++] = 78;
	return NULL;
}

static int ptc_order_setup(struct bench_state *st)
{
	st->priv = bench_shared_alloc(st, sizeof(struct ptc_order_shared));
	return st->priv ? 0 : -ENOMEM;
}

static uint64_t ptc_order_run(struct bench_task *t, uint64_t iters)
{
	static const int want[4] = { 12, 56, 34, 78 };
	struct ptc_order_shared *s = t->st->priv;
	struct greenlet *root = greenlet_current();

	for (uint64_t i = 0; i < iters; i++) {
		struct ptc_order o = { .n = 0 };

		o.gr1 = greenlet_create(ptc_order_test1, root, GREENLET_STACK_MMAP,
					HUB_STACK_DEFAULT, NULL);
		o.gr2 = greenlet_create(ptc_order_test2, root, GREENLET_STACK_MMAP,
					HUB_STACK_DEFAULT, NULL);
		if (o.gr1 && o.gr2)
			greenlet_switch(o.gr1, &o);
		if (o.n == 4 && memcmp(o.said, want, sizeof(want)) == 0 && greenlet_dead(o.gr2) &&
		    !greenlet_dead(o.gr1))
			s->right++;
		else
			s->wrong++;
		/* test1 stays suspended in its last switch, as in the lesson:
		 * dropped with nothing of its own to free. */
		if (o.gr1)
			greenlet_destroy(o.gr1);
		if (o.gr2)
			greenlet_destroy(o.gr2);
	}
	return iters;
}

static const char *ptc_order_check(struct bench_state *st, uint64_t run_iters,
				   uint64_t base_iters)
{
	struct ptc_order_shared *s = st->priv;

	(void)base_iters;
	if (s->wrong)
		return "the greenlets did not say 12 56 34 78 (or test2 did not end, or test1 did)";
	if (s->right != run_iters)
		return "the scene did not run once per iteration";
	return NULL;
}

static const struct bench_metric ptc_order_metrics[] = {
	{ .name = "scene", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = NULL },
};

const struct bench_desc bench_ptc_scene_greenlet_order = {
	.name = "ptc.scene.greenlet_order",
	.summary = "the lesson's greenlet example: test1 and test2 switch, saying 12 56 34 78",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, .placements = "none",
	.metrics = ptc_order_metrics, .setup = ptc_order_setup, .run = ptc_order_run,
	.check = ptc_order_check,
};

/* ---- ptc.scene.fetch3 ---------------------------------------------------- */

#define PTC_FETCH_FIGURES(VALUE, HIST)						\
	VALUE(PTC_FETCH_VS_LATENCY, .name = "vs_latency", .unit = "ratio",	\
	      .per_iter = 1, .combine = BENCH_COMBINE_MEAN)
BENCH_FIGURES(PTC_FETCH, PTC_FETCH_FIGURES);

/* The harness's clock and libev's are calibrated apart: a sequential
 * iteration may read up to this fraction under 3 x latency. */
#define PTC_FETCH_CLOCK_SLACK 0.01


/* One fetch: a connection of its own, a request, its answer, close. */
static void *ptc_fetch_one(void *p)
{
	struct ptc_fetch_shared *s = p;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->srv.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t seq = s->fetched;
	char in[PTC_MSG];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd >= 0 && hub_connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (hub_send(fd, &seq, PTC_MSG, 0) == PTC_MSG)
			while (got < PTC_MSG) {
				ssize_t r = hub_recv(fd, in + got, PTC_MSG - got, 0);

				if (r <= 0)
					break;
				got += (size_t)r;
			}
	}
	if (got == PTC_MSG && memcmp(in, &seq, PTC_MSG) == 0)
		s->fetched++;
	else
		s->errors++;
	if (fd >= 0)
		close(fd);
	return p;
}

static int ptc_fetch_setup(struct bench_state *st)
{
	struct ptc_fetch_shared *s = bench_shared_alloc(st, sizeof(*s));
	long long lat = bench_param_int(st, "latency_us");

	if (!s)
		return -ENOMEM;
	st->priv = s;
	s->latency_ns = (uint64_t)lat * 1000;
	s->joinall = strcmp(bench_param_str(st, "way"), "joinall") == 0;
	s->min_ns = UINT64_MAX;
	return ptc_server_start(&s->srv, (uint32_t)lat, 16);
}

static int ptc_fetch_task_init(struct bench_task *t)
{
	(void)t;
	return hub_new(NULL) ? 0 : -errno;
}

static void ptc_fetch_task_fini(struct bench_task *t)
{
	(void)t;
	if (hub_current())
		hub_destroy(hub_current());
}

static uint64_t ptc_fetch_run(struct bench_task *t, uint64_t iters)
{
	struct ptc_fetch_shared *s = t->st->priv;

	for (uint64_t i = 0; i < iters; i++) {
		uint64_t t0 = bench_now_ns(), ns;
		struct hub_task *h[3] = { NULL, NULL, NULL };

		if (s->joinall) {
			for (int k = 0; k < 3; k++)
				if (!(h[k] = hub_spawn(ptc_fetch_one, s)))
					s->errors++;
			if (hub_joinall(h, 3, -1) != 3)
				s->errors++;
			for (int k = 0; k < 3; k++)
				if (h[k] && hub_task_free(h[k]) < 0)
					s->errors++;
		} else {
			for (int k = 0; k < 3; k++)
				ptc_fetch_one(s);
		}
		ns = bench_now_ns() - t0;
		if (ns < s->min_ns)
			s->min_ns = ns;
		if ((double)ns >= 3.0 * (double)s->latency_ns)
			s->slow++;
		bench_report(t, PTC_FETCH_VS_LATENCY, (double)ns / (double)s->latency_ns);
	}
	s->iters += iters;
	return iters;
}

static const char *ptc_fetch_check(struct bench_state *st, uint64_t run_iters,
				   uint64_t base_iters)
{
	struct ptc_fetch_shared *s = st->priv;
	double three = 3.0 * (double)s->latency_ns;

	(void)base_iters;
	if (s->errors)
		return "a fetch failed or came back with other bytes";
	if (s->iters != run_iters || s->fetched != 3 * run_iters)
		return "not three fetches an iteration";
	/* Most, not every: a shared host may stall one round for longer
	 * than the 100 ms of room; fetches that do not overlap take three
	 * latencies every time. */
	if (s->joinall && 2 * s->slow >= s->iters)
		return "joinall's three fetches took three fetches' time: they did not overlap";
	if (!s->joinall && (double)s->min_ns < three * (1 - PTC_FETCH_CLOCK_SLACK))
		return "three sequential fetches took less than three latencies: they overlapped";
	return NULL;
}

static void ptc_fetch_teardown(struct bench_state *st)
{
	struct ptc_fetch_shared *s = st->priv;

	if (s)
		ptc_server_stop(&s->srv);
}

/* 50 ms: long beside a loaded machine's scheduling delays, so that
 * joinall's bound (3 x latency) has 100 ms of room. */
static const struct bench_param ptc_fetch_params[] = {
	{ .name = "way", .def = "joinall,sequential", .choices = "joinall|sequential",
	  .help = "joinall: three hub tasks joined together; sequential: one after another" },
	{ .name = "latency_us", .def = "50000", .min = 1000, .max = 10000000,
	  .help = "the server's answer comes this long after the request" },
	{ .name = NULL },
};

static const struct bench_metric ptc_fetch_metrics[] = {
	{ .name = "three_fetches", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	BENCH_FIGURE_ROWS(PTC_FETCH_FIGURES)
	{ .name = NULL },
};

const struct bench_desc bench_ptc_scene_fetch3 = {
	.name = "ptc.scene.fetch3",
	.summary = "gevent's three fetches: joined with joinall they overlap (one latency), "
		   "one after another they do not (three)",
	.version = BENCH_VERSION, .modes = BENCH_MODE_THREAD, .tasks = 1, .placements = "none",
	.params = ptc_fetch_params, .metrics = ptc_fetch_metrics,
	.setup = ptc_fetch_setup, .task_init = ptc_fetch_task_init, .run = ptc_fetch_run,
	.task_fini = ptc_fetch_task_fini, .check = ptc_fetch_check,
	.teardown = ptc_fetch_teardown,
};
