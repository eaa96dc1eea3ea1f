/*
 * bench/ctx_cond.c - context switches through a pthread condition
 * variable: the token exchange of ctx.thread.futex written the way most
 * programs write it (mutex + condition + predicate).
 *
 * Its net figure is not a switch: glibc's condition variable makes system
 * calls of its own (about six futex calls a roundtrip, and a second
 * sleep when the woken waiter finds the mutex still held), whose number
 * no baseline could reproduce without waiters.  So the baseline is the
 * bare futex exchange of ctx.thread.futex between the same two threads
 * on the same processors, and the metric `over_futex` is what the mutex
 * and condition variable add to one one-way hand-off:
 * (cond roundtrip - futex roundtrip) / 2.  Its counters are net of the
 * futex exchange too: the extra system calls and switches per hand-off.
 */
#include <pthread.h>
#include <stdint.h>

#include "bench/ctx.h"

struct ctx_cond_shared {
	pthread_mutex_t lock;
	pthread_cond_t changed[2];	/* changed[i]: the token moved to task i */
	int turn;
	uint32_t futex_turn;		/* the baseline's token */
	struct ctx_tally tally;
};

static const struct bench_metric ctx_cond_metrics[] = {
	{ .name = "roundtrip", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
	{ .name = "over_futex", .unit = "ns", .kind = BENCH_NS_NET_PER_OP, .per_iter = 2 },
	{ .name = NULL },
};

static int ctx_cond_setup(struct bench_state *st)
{
	struct ctx_cond_shared *s = bench_shared_alloc(st, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed[0], NULL);
	pthread_cond_init(&s->changed[1], NULL);
	st->priv = s;
	return 0;
}

static void ctx_cond_teardown(struct bench_state *st)
{
	struct ctx_cond_shared *s = st->priv;

	pthread_cond_destroy(&s->changed[0]);
	pthread_cond_destroy(&s->changed[1]);
	pthread_mutex_destroy(&s->lock);
}

static uint64_t ctx_cond_run(struct bench_task *t, uint64_t iters)
{
	struct ctx_cond_shared *s = t->st->priv;
	struct ctx_local *l = t->local;
	int me = t->id, other = 1 - me;
	uint64_t sw0 = ctx_switches();

	for (uint64_t i = 0; i < iters; i++) {
		pthread_mutex_lock(&s->lock);
		if (me == 0) {
			s->turn = other;
			pthread_cond_signal(&s->changed[other]);
		}
		while (s->turn != me)
			pthread_cond_wait(&s->changed[me], &s->lock);
		if (me == 1) {
			s->turn = other;
			pthread_cond_signal(&s->changed[other]);
		}
		pthread_mutex_unlock(&s->lock);
		ctx_ws_touch(&l->ws);
	}
	return ctx_tally_round(&s->tally, me, iters, &l->ws, sw0);
}

/* Both threads at once (BENCH_BASELINE_TOGETHER): the bare futex
 * exchange, with the same working sets. */
static uint64_t ctx_cond_baseline(struct bench_task *t, uint64_t iters)
{
	struct ctx_cond_shared *s = t->st->priv;
	struct ctx_local *l = t->local;

	ctx_futex_exchange(&s->futex_turn, t->id, iters, 0, &l->ws);
	return ctx_tally_solo(&s->tally, t->id, iters, &l->ws);
}

static const char *ctx_cond_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	const struct ctx_cond_shared *s = st->priv;

	if (s->turn != 0 || s->futex_turn != 0)
		return "a token did not end with task 0";
	return ctx_tally_check(&s->tally, st, 2, run_iters, base_iters);
}

CTX_DESC(bench_ctx_thread_cond, .name = "ctx.thread.cond",
	 .summary = "two threads pass a token through a mutex and two condition variables",
	 .modes = BENCH_MODE_THREAD, .tasks = 2, .placements = "same-core,cross-core",
	 .metrics = ctx_cond_metrics, .setup = ctx_cond_setup, .task_init = ctx_local_init,
	 .run = ctx_cond_run, .baseline = ctx_cond_baseline, .task_fini = ctx_local_fini,
	 .check = ctx_cond_check, .teardown = ctx_cond_teardown,
	 .baseline_how = BENCH_BASELINE_TOGETHER,
	 .baseline_note = "the bare futex exchange of ctx.thread.futex between the same two "
			  "threads");
