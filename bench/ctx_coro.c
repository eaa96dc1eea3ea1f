/*
 * bench/ctx_coro.c - user-space context switches: one thread moves
 * between its own stack and a coroutine's, with no kernel involved.
 * Isolates the switch mechanism itself: our assembly switch (callee-saved
 * registers and the stack pointer) against glibc's swapcontext (which
 * also saves the FPU environment and makes an rt_sigprocmask system call
 * every time).
 *
 * A roundtrip is main -> coroutine -> main.  The baseline does the same
 * work (the coroutine body's bookkeeping and ws_kb dirtying) through two
 * ordinary out-of-line calls instead of two switches, and makes no system
 * call: swapcontext's rt_sigprocmask is part of what its switch costs,
 * and the counters show it (one system call a switch).
 */
#include <stdint.h>

#include "bench/ctx.h"
#include "primitives/coro.h"

/* 64 KiB: the body is a few frames deep; sanitizer builds need more than
 * the 16 KiB a bare loop would. */
#define CTX_CORO_STACK (64 * 1024)

struct ctx_coro_local {
	struct coro_asm asm_main, asm_co;
	struct coro_uc uc_main, uc_co;
	void *stack;
	struct ctx_ws ws, ws_main;
	uint64_t entries;	/* times the coroutine body ran */
	uint64_t run_iters, solo;
	int use_asm;
};

static void ctx_coro_asm_body(void *arg)
{
	struct ctx_coro_local *l = arg;

	for (;;) {
		l->entries++;
		ctx_ws_touch(&l->ws);
		coro_asm_switch(&l->asm_co, &l->asm_main);
	}
}

static void ctx_coro_uc_body(void *arg)
{
	struct ctx_coro_local *l = arg;

	for (;;) {
		l->entries++;
		ctx_ws_touch(&l->ws);
		coro_uc_switch(&l->uc_co, &l->uc_main);
	}
}

static int ctx_coro_setup(struct bench_state *st)
{
	st->priv = bench_shared_alloc(st, sizeof(struct ctx_coro_shared));
	return st->priv ? 0 : -ENOMEM;
}

static int ctx_coro_task_init(struct bench_task *t, int use_asm)
{
	struct ctx_coro_local *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	t->local = l;
	if ((r = ctx_ws_init(&l->ws, t->st)) < 0 || (r = ctx_ws_init(&l->ws_main, t->st)) < 0)
		return r;
	l->stack = coro_stack_alloc(CTX_CORO_STACK);
	if (!l->stack)
		return -errno;
	l->use_asm = use_asm;
	if (use_asm)
		return coro_asm_make(&l->asm_co, l->stack, CTX_CORO_STACK, ctx_coro_asm_body, l);
	return coro_uc_make(&l->uc_co, l->stack, CTX_CORO_STACK, ctx_coro_uc_body, l);
}

static int ctx_coro_asm_init(struct bench_task *t)
{
	return ctx_coro_task_init(t, 1);
}

static int ctx_coro_uc_init(struct bench_task *t)
{
	return ctx_coro_task_init(t, 0);
}

static void ctx_coro_task_fini(struct bench_task *t)
{
	struct ctx_coro_local *l = t->local;
	struct ctx_coro_shared *s = t->st->priv;

	s->entries = l->entries;
	s->run_iters = l->run_iters;
	s->solo = l->solo;
	s->lines = l->ws.lines + l->ws_main.lines;
	if (l->use_asm)
		coro_asm_destroy(&l->asm_co);
	else
		coro_uc_destroy(&l->uc_co);
	coro_stack_free(l->stack, CTX_CORO_STACK);
	ctx_ws_free(&l->ws);
	ctx_ws_free(&l->ws_main);
	free(l);
}

static uint64_t ctx_coro_asm_run(struct bench_task *t, uint64_t iters)
{
	struct ctx_coro_local *l = t->local;

	for (uint64_t i = 0; i < iters; i++) {
		coro_asm_switch(&l->asm_main, &l->asm_co);
		ctx_ws_touch(&l->ws_main);
	}
	l->run_iters += iters;
	return iters;
}

static uint64_t ctx_coro_uc_run(struct bench_task *t, uint64_t iters)
{
	struct ctx_coro_local *l = t->local;

	for (uint64_t i = 0; i < iters; i++) {
		coro_uc_switch(&l->uc_main, &l->uc_co);
		ctx_ws_touch(&l->ws_main);
	}
	l->run_iters += iters;
	return iters;
}

/* The coroutine body's work as a plain call; noinline keeps it a real
 * call and return, the control transfer a switch replaces. */
static __attribute__((noinline)) void ctx_coro_step(struct ctx_coro_local *l)
{
	l->entries++;
	ctx_ws_touch(&l->ws);
	__asm__ __volatile__("" ::: "memory");
}

static __attribute__((noinline)) void ctx_coro_back(struct ctx_coro_local *l)
{
	(void)l;
	__asm__ __volatile__("" ::: "memory");
}

static uint64_t ctx_coro_baseline(struct bench_task *t, uint64_t iters)
{
	struct ctx_coro_local *l = t->local;

	for (uint64_t i = 0; i < iters; i++) {
		ctx_coro_step(l);
		ctx_coro_back(l);
		ctx_ws_touch(&l->ws_main);
	}
	l->solo += iters;
	return iters;
}

static const char *ctx_coro_check(struct bench_state *st, uint64_t run_iters, uint64_t base_iters)
{
	struct ctx_coro_shared *s = st->priv;

	if (s->run_iters != run_iters || s->solo != base_iters)
		return "the task did not run every iteration it was given";
	if (s->entries != run_iters + base_iters)
		return "the coroutine body did not run once per roundtrip";
	/* Body and main each dirty theirs once a roundtrip, run and baseline. */
	if (s->lines != 2 * (run_iters + base_iters) * ctx_ws_lines(st))
		return "a working set was not dirtied (ws_kb) once a roundtrip on each side";
	return NULL;
}

/* Both coroutine switches: one thread, the same baseline; the fields
 * given (name, summary, task_init, run) named. */
#define CTX_CORO_DESC(var, ...)							\
	CTX_DESC(var, .modes = BENCH_MODE_THREAD, .tasks = 1, .placements = "same-core",	\
		 .metrics = CTX_METRICS, .setup = ctx_coro_setup,			\
		 .baseline = ctx_coro_baseline, .task_fini = ctx_coro_task_fini,	\
		 .check = ctx_coro_check, .baseline_how = BENCH_BASELINE_EACH,		\
		 .baseline_note = "the coroutine body's work done through two plain calls", \
		 __VA_ARGS__)

CTX_CORO_DESC(bench_ctx_coro_asm, .name = "ctx.coro.asm",
	      .summary = "a thread switches to a coroutine and back with contend's own "
			 "assembly switch",
	      .task_init = ctx_coro_asm_init, .run = ctx_coro_asm_run);
CTX_CORO_DESC(bench_ctx_coro_ucontext, .name = "ctx.coro.ucontext",
	      .summary = "a thread switches to a coroutine and back with swapcontext",
	      .task_init = ctx_coro_uc_init, .run = ctx_coro_uc_run);
