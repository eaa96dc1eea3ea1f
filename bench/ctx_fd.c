/*
 * bench/ctx_fd.c - context switches through file descriptors: a token
 * passed back and forth over two pipes (or two eventfds), between two
 * threads or two processes.  Isolates the cost of a blocking read that
 * wakes the other side: the same exchange `perf bench sched pipe` and
 * lmbench's lat_ctx time.
 *
 * Task 0 writes to `ping` and blocks reading `pong`; task 1 echoes.  Each
 * side makes one write and one read per exchange, so its baseline, alone
 * on its own processor, makes one write and one read on a channel of its
 * own (task 0 ping, task 1 pong): the read finds the token it just wrote
 * and never blocks.
 */
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench/ctx.h"

enum ctx_fd_kind { CTX_FD_PIPE, CTX_FD_EVENTFD };

struct ctx_fd_channel {
	int rd, wr;
};

struct ctx_fd_shared {
	struct ctx_fd_channel ping, pong;
	struct ctx_tally tally;
};

static int ctx_fd_channel_open(struct ctx_fd_channel *c, enum ctx_fd_kind kind)
{
	int fds[2];

	if (kind == CTX_FD_EVENTFD) {
		c->rd = c->wr = eventfd(0, EFD_CLOEXEC);
		return c->rd < 0 ? -errno : 0;
	}
	if (pipe(fds) < 0)
		return -errno;
	c->rd = fds[0];
	c->wr = fds[1];
	return 0;
}

static void ctx_fd_channel_close(struct ctx_fd_channel *c)
{
	if (c->wr != c->rd)
		close(c->wr);
	close(c->rd);
}

static int ctx_fd_setup(struct bench_state *st, enum ctx_fd_kind kind)
{
	struct ctx_fd_shared *s = bench_shared_alloc(st, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	if ((r = ctx_fd_channel_open(&s->ping, kind)) < 0)
		return r;
	if ((r = ctx_fd_channel_open(&s->pong, kind)) < 0) {
		ctx_fd_channel_close(&s->ping);
		return r;
	}
	st->priv = s;
	return 0;
}

static int ctx_pipe_setup(struct bench_state *st)
{
	return ctx_fd_setup(st, CTX_FD_PIPE);
}

static int ctx_eventfd_setup(struct bench_state *st)
{
	return ctx_fd_setup(st, CTX_FD_EVENTFD);
}

static void ctx_fd_teardown(struct bench_state *st)
{
	struct ctx_fd_shared *s = st->priv;

	ctx_fd_channel_close(&s->ping);
	ctx_fd_channel_close(&s->pong);
}

/* An eventfd needs 8 bytes; a pipe moves the same 8-byte token so the two
 * variants differ only in the kernel object.  A short or failed transfer
 * is a broken benchmark, not a measurement: abort. */
static inline void ctx_fd_send(const struct ctx_fd_channel *c)
{
	uint64_t one = 1;

	if (write(c->wr, &one, sizeof(one)) != (ssize_t)sizeof(one))
		abort();
}

static inline void ctx_fd_recv(const struct ctx_fd_channel *c)
{
	uint64_t v;

	if (read(c->rd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		abort();
}

static uint64_t ctx_fd_run(struct bench_task *t, uint64_t iters)
{
	struct ctx_fd_shared *s = t->st->priv;
	struct ctx_local *l = t->local;
	uint64_t sw0 = ctx_switches();

	if (t->id == 0) {
		for (uint64_t i = 0; i < iters; i++) {
			ctx_fd_send(&s->ping);
			ctx_fd_recv(&s->pong);
			ctx_ws_touch(&l->ws);
		}
		return ctx_tally_round(&s->tally, 0, iters, &l->ws, sw0);
	}
	for (uint64_t i = 0; i < iters; i++) {
		ctx_fd_recv(&s->ping);
		ctx_ws_touch(&l->ws);
		ctx_fd_send(&s->pong);
	}
	return ctx_tally_round(&s->tally, t->id, iters, &l->ws, sw0);
}

static uint64_t ctx_fd_baseline(struct bench_task *t, uint64_t iters)
{
	struct ctx_fd_shared *s = t->st->priv;
	struct ctx_local *l = t->local;
	const struct ctx_fd_channel *c = t->id == 0 ? &s->ping : &s->pong;

	for (uint64_t i = 0; i < iters; i++) {
		ctx_fd_send(c);
		ctx_fd_recv(c);
		ctx_ws_touch(&l->ws);
	}
	return ctx_tally_solo(&s->tally, t->id, iters, &l->ws);
}

static const char *ctx_fd_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	const struct ctx_fd_shared *s = st->priv;

	return ctx_tally_check(&s->tally, st, 2, run_iters, base_iters);
}

/* The pipe and eventfd exchanges: one driver, the kernel baseline; the
 * fields given (name, summary, modes, setup) named. */
#define CTX_FD_DESC(var, ...)							\
	CTX_DESC(var, .tasks = 2, .placements = "same-core,cross-core",		\
		 .metrics = CTX_METRICS, .task_init = ctx_local_init, .run = ctx_fd_run,	\
		 .baseline = ctx_fd_baseline, .task_fini = ctx_local_fini,		\
		 .check = ctx_fd_check, .teardown = ctx_fd_teardown,			\
		 .baseline_how = BENCH_BASELINE_EACH, .baseline_note = CTX_KERNEL_BASELINE,	\
		 __VA_ARGS__)

CTX_FD_DESC(bench_ctx_thread_pipe, .name = "ctx.thread.pipe",
	    .summary = "two threads pass a token over a pair of pipes",
	    .modes = BENCH_MODE_THREAD, .setup = ctx_pipe_setup);
CTX_FD_DESC(bench_ctx_process_pipe, .name = "ctx.process.pipe",
	    .summary = "two processes pass a token over a pair of pipes (perf bench sched pipe)",
	    .modes = BENCH_MODE_PROCESS, .setup = ctx_pipe_setup);
CTX_FD_DESC(bench_ctx_thread_eventfd, .name = "ctx.thread.eventfd",
	    .summary = "two threads pass a token through a pair of eventfds",
	    .modes = BENCH_MODE_THREAD, .setup = ctx_eventfd_setup);
