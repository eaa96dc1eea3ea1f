/*
 * bench/ctx_futex.c - context switches through a bare futex: the cheapest
 * way one Linux task can put itself to sleep and wake another.  Between
 * threads the futex is private; between processes the word sits in
 * shared memory and the kernel keys it by physical page.
 *
 * `turn` says who holds the token (0: task 0, 1: task 1).  The holder
 * passes it on, wakes the other and sleeps until it comes back.  The
 * baseline makes the same four system calls from one task: the wakes
 * find no sleeper and the waits return at once (the word has moved on).
 */
#include <limits.h>
#include <stdint.h>

#include "bench/ctx.h"
#include "primitives/futex.h"

struct ctx_futex_shared {
	uint32_t turn;
	struct ctx_tally tally;
};

static int ctx_futex_setup(struct bench_state *st)
{
	st->priv = bench_shared_alloc(st, sizeof(struct ctx_futex_shared));
	return st->priv ? 0 : -ENOMEM;
}

/* Hand the token to `to` and wake it.  Release: the other side must see
 * everything we did with the token before it sees the token. */
static inline void ctx_futex_pass(uint32_t *turn, uint32_t to, int shared)
{
	__atomic_store_n(turn, to, __ATOMIC_RELEASE);
	futex_wake(turn, 1, shared);
}

/* Sleep until the token is ours; acquire pairs with the release above. */
static inline void ctx_futex_await(uint32_t *turn, uint32_t mine, int shared)
{
	uint32_t v;

	while ((v = __atomic_load_n(turn, __ATOMIC_ACQUIRE)) != mine)
		futex_wait(turn, v, NULL, shared);
}

static uint64_t ctx_futex_run(struct bench_task *t, uint64_t iters)
{
	struct ctx_futex_shared *s = t->st->priv;
	struct ctx_local *l = t->local;
	uint32_t me = (uint32_t)t->id, other = 1 - me;
	int shared = t->st->mode == BENCH_MODE_PROCESS;	/* not FUTEX_PRIVATE_FLAG */

	for (uint64_t i = 0; i < iters; i++) {
		if (me == 0) {
			ctx_futex_pass(&s->turn, other, shared);
			ctx_futex_await(&s->turn, me, shared);
			ctx_ws_touch(&l->ws);
		} else {
			ctx_futex_await(&s->turn, me, shared);
			ctx_ws_touch(&l->ws);
			ctx_futex_pass(&s->turn, other, shared);
		}
	}
	return ctx_tally_round(&s->tally, (int)me, iters);
}

static uint64_t ctx_futex_baseline(struct bench_task *t, uint64_t iters)
{
	struct ctx_futex_shared *s = t->st->priv;
	struct ctx_local *l = t->local;
	int shared = t->st->mode == BENCH_MODE_PROCESS;

	for (uint64_t i = 0; i < iters; i++) {
		/* Same calls as one exchange; each wait sees a moved word
		 * (EAGAIN) instead of sleeping. */
		ctx_futex_pass(&s->turn, 1, shared);
		futex_wait(&s->turn, 0, NULL, shared);
		ctx_ws_touch(&l->ws_other);
		ctx_futex_pass(&s->turn, 0, shared);
		futex_wait(&s->turn, 1, NULL, shared);
		ctx_ws_touch(&l->ws);
	}
	s->tally.solo += iters;
	return iters;
}

static const char *ctx_futex_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct ctx_futex_shared *s = st->priv;

	if (s->turn != 0)
		return "the token did not end with task 0";
	return ctx_tally_check(&s->tally, run_iters, base_iters);
}

#define CTX_FUTEX_DESC(var, nm, sum, mode)					\
	const struct bench_desc var = {						\
		.name = nm, .summary = sum, .version = BENCH_VERSION,			\
		.modes = mode, .tasks = 2,					\
		.placements = "same-core,cross-core",				\
		.params = CTX_PARAMS, .metrics = CTX_METRICS,			\
		.setup = ctx_futex_setup, .task_init = ctx_local_init,	\
		.run = ctx_futex_run, .baseline = ctx_futex_baseline,		\
		.task_fini = ctx_local_fini, .check = ctx_futex_check,	\
	}

CTX_FUTEX_DESC(bench_ctx_thread_futex, "ctx.thread.futex",
	       "two threads pass a token through a private futex", BENCH_MODE_THREAD);
CTX_FUTEX_DESC(bench_ctx_process_futex, "ctx.process.futex",
	       "two processes pass a token through a futex in shared memory", BENCH_MODE_PROCESS);
