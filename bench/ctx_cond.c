/*
 * bench/ctx_cond.c - context switches through a pthread condition
 * variable: the token exchange of ctx.thread.futex written the way most
 * programs write it (mutex + condition + predicate), so the difference
 * between the two is what glibc's condition variable adds.
 *
 * The baseline takes the same locks and signals from one task, where no
 * one waits and nothing sleeps.
 */
#include <pthread.h>
#include <stdint.h>

#include "bench/ctx.h"

struct ctx_cond_shared {
	pthread_mutex_t lock;
	pthread_cond_t changed[2];	/* changed[i]: the token moved to task i */
	int turn;
	struct ctx_tally tally;
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
	return ctx_tally_round(&s->tally, (int)me, iters);
}

static uint64_t ctx_cond_baseline(struct bench_task *t, uint64_t iters)
{
	struct ctx_cond_shared *s = t->st->priv;
	struct ctx_local *l = t->local;

	for (uint64_t i = 0; i < iters; i++) {
		for (int side = 1; side >= 0; side--) {
			pthread_mutex_lock(&s->lock);
			s->turn = side;
			pthread_cond_signal(&s->changed[side]);
			pthread_mutex_unlock(&s->lock);
			ctx_ws_touch(side ? &l->ws_other : &l->ws);
		}
	}
	s->tally.solo += iters;
	return iters;
}

static const char *ctx_cond_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	const struct ctx_cond_shared *s = st->priv;

	return ctx_tally_check(&s->tally, run_iters, base_iters);
}

const struct bench_desc bench_ctx_thread_cond = {
	.name = "ctx.thread.cond",
	.summary = "two threads pass a token through a mutex and two condition variables",
	.version = BENCH_VERSION,
	.modes = BENCH_MODE_THREAD,
	.tasks = 2,
	.placements = "same-core,cross-core",
	.params = CTX_PARAMS,
	.metrics = CTX_METRICS,
	.setup = ctx_cond_setup,
	.task_init = ctx_local_init,
	.run = ctx_cond_run,
	.baseline = ctx_cond_baseline,
	.task_fini = ctx_local_fini,
	.check = ctx_cond_check,
	.teardown = ctx_cond_teardown,
};
