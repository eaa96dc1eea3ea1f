/*
 * bench/ctx_futex.c - context switches through a bare futex: the cheapest
 * way one Linux task can put itself to sleep and wake another.  Between
 * threads the futex is private; between processes the word sits in
 * shared memory and the kernel keys it by physical page.
 *
 * `turn` says who holds the token (0: task 0, 1: task 1).  The holder
 * passes it on (one FUTEX_WAKE) and waits until it comes back: one
 * FUTEX_WAIT when it has not come back yet, none when it already has
 * (across cores it often has), more after a spurious wake-up.  So each
 * side counts its waits, and its baseline, alone on its own processor,
 * makes exactly as many wakes and waits, on a word of its own where no
 * wait can block (the word never holds the value waited for: EAGAIN at
 * once).  What is left is the switch.
 */
#include <limits.h>
#include <stdint.h>

#include "bench/ctx.h"

struct ctx_futex_shared {
	uint32_t turn;
	struct ctx_tally tally;
	uint32_t solo_word[2];		/* each side's baseline futex (they take turns) */
};

static int ctx_futex_setup(struct bench_state *st)
{
	st->priv = bench_shared_alloc(st, sizeof(struct ctx_futex_shared));
	return st->priv ? 0 : -ENOMEM;
}

static uint64_t ctx_futex_run(struct bench_task *t, uint64_t iters)
{
	struct ctx_futex_shared *s = t->st->priv;
	struct ctx_local *l = t->local;
	int shared = t->st->mode == BENCH_MODE_PROCESS;	/* not FUTEX_PRIVATE_FLAG */
	uint64_t sw0 = ctx_switches();

	l->run_waits = ctx_futex_exchange(&s->turn, t->id, iters, shared, &l->ws);
	l->run_iters = iters;
	return ctx_tally_round(&s->tally, t->id, iters, &l->ws, sw0);
}

static uint64_t ctx_futex_baseline(struct bench_task *t, uint64_t iters)
{
	struct ctx_futex_shared *s = t->st->priv;
	struct ctx_local *l = t->local;
	uint32_t *word = &s->solo_word[t->id];
	int shared = t->st->mode == BENCH_MODE_PROCESS;
	/* The run's waits spread evenly over our iterations (it ran as many,
	 * since a baseline follows its run at the same count): `acc` carries
	 * the remainder, so the total is exact and nothing overflows. */
	uint64_t waits = l->run_waits, per = l->run_iters ? l->run_iters : 1, acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		ctx_futex_pass(word, 1, shared);
		for (acc += waits; acc >= per; acc -= per)
			futex_wait(word, 0, NULL, shared);	/* *word is 1: EAGAIN */
		ctx_ws_touch(&l->ws);
	}
	return ctx_tally_solo(&s->tally, t->id, iters, &l->ws);
}

static const char *ctx_futex_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct ctx_futex_shared *s = st->priv;

	if (s->turn != 0)
		return "the token did not end with task 0";
	return ctx_tally_check(&s->tally, st, 2, run_iters, base_iters);
}

/* Threads and processes: one driver, the kernel baseline; the fields
 * given (name, summary, modes) named. */
#define CTX_FUTEX_DESC(var, ...)						\
	CTX_DESC(var, .tasks = 2, .placements = "same-core,cross-core",		\
		 .metrics = CTX_METRICS, .setup = ctx_futex_setup,			\
		 .task_init = ctx_local_init, .run = ctx_futex_run,			\
		 .baseline = ctx_futex_baseline, .task_fini = ctx_local_fini,		\
		 .check = ctx_futex_check, .baseline_how = BENCH_BASELINE_EACH,		\
		 .baseline_note = CTX_KERNEL_BASELINE, __VA_ARGS__)

CTX_FUTEX_DESC(bench_ctx_thread_futex, .name = "ctx.thread.futex",
	       .summary = "two threads pass a token through a private futex",
	       .modes = BENCH_MODE_THREAD);
CTX_FUTEX_DESC(bench_ctx_process_futex, .name = "ctx.process.futex",
	       .summary = "two processes pass a token through a futex in shared memory",
	       .modes = BENCH_MODE_PROCESS);
