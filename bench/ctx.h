/*
 * bench/ctx.h - what every ctx.* workload shares: the ws_kb parameter,
 * the metrics, the cache-dirtying step between switches, the futex token
 * exchange, the proof of work and the one descriptor macro.
 *
 * roundtrip  one full exchange A -> B -> A, the figure `perf bench sched
 *            pipe` prints per operation;
 * switch     one one-way switch, net of the same work done without
 *            switching (the baseline), as lmbench's lat_ctx subtracts its
 *            pipe overhead: (roundtrip - baseline) / 2.  For an exchange
 *            between kernel tasks the baseline is each side alone on its
 *            own processor, making exactly the system calls it made in
 *            the run (same number, same kinds) where none can block, and
 *            dirtying its own working set.
 */
#ifndef CONTEND_BENCH_CTX_H
#define CONTEND_BENCH_CTX_H

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "harness/bench.h"
#include "primitives/futex.h"

#define CTX_PARAMS (const struct bench_param[]){ \
	{ .name = "ws_kb", .def = "0", \
	  .help = "KiB of memory each side dirties after every switch (lat_ctx -s)", \
	  .min = 0, .max = 1 << 20 }, \
	{ .name = NULL } }

#define CTX_METRICS (const struct bench_metric[]){ \
	{ .name = "roundtrip", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 }, \
	{ .name = "switch", .unit = "ns", .kind = BENCH_NS_NET_PER_OP, .per_iter = 2 }, \
	{ .name = NULL } }

/* What the switch of a kernel exchange is net of. */
#define CTX_KERNEL_BASELINE "each side alone on its processor, the same system calls, " \
	"none blocking, and the same working set"

/* One side's working set: dirtied a cache line at a time after each
 * switch, so that a bigger ws_kb shows what a switch costs once the
 * caches no longer hold the other side's data. */
struct ctx_ws {
	unsigned char *buf;
	size_t len;
	uint64_t lines;		/* cache lines dirtied so far: check() holds them to ws_kb */
};

static inline int ctx_ws_init(struct ctx_ws *ws, const struct bench_state *st)
{
	long long kb = bench_param_int(st, "ws_kb");	/* 0 .. 1 GiB, checked */

	ws->len = (size_t)kb * 1024;
	ws->buf = ws->len ? calloc(1, ws->len) : NULL;
	return ws->len && !ws->buf ? -ENOMEM : 0;
}

static inline void ctx_ws_touch(struct ctx_ws *ws)
{
	uint64_t n = 0;

	if (!ws->len)
		return;	/* ws_kb=0, the default: the switch alone, no store */
	/* 64: one store per cache line is enough to own it.  Counted in a
	 * local: a store through buf may alias ws->lines. */
	for (size_t i = 0; i < ws->len; i += 64, n++)
		ws->buf[i]++;
	ws->lines += n;
}

/* The cache lines one ctx_ws_touch() dirties at the ws_kb asked for:
 * what check() expects of every touch. */
static inline uint64_t ctx_ws_lines(const struct bench_state *st)
{
	return (uint64_t)bench_param_int(st, "ws_kb") * 1024 / 64;
}

static inline void ctx_ws_free(struct ctx_ws *ws)
{
	free(ws->buf);
	ws->buf = NULL;
}

/*
 * Task-private state of a two-task exchange: this side's working set
 * (touched only by this task, so on its own processor in the run and in
 * the baseline alike), and what the last run() round made of the system
 * calls whose number varies (futex waits), for the baseline to match.
 */
struct ctx_local {
	struct ctx_ws ws;
	uint64_t run_iters;	/* iterations of the last run() round */
	uint64_t run_waits;	/* futex waits it made */
};

static inline int ctx_local_init(struct bench_task *t)
{
	struct ctx_local *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	t->local = l;
	return ctx_ws_init(&l->ws, t->st);
}

static inline void ctx_local_fini(struct bench_task *t)
{
	struct ctx_local *l = t->local;

	ctx_ws_free(&l->ws);
	free(l);
}

/*
 * The proof that an exchange happened: the echo side publishes how many
 * tokens it returned, each task how many iterations of the baseline it
 * did and the cache lines its working set took; all must match what the
 * harness asked for and ws_kb.  Published once per round, not per
 * exchange, to keep the shared line quiet.
 */
struct ctx_tally {
	uint64_t echoes, solo[2], lines[2];
	uint64_t switched[2];	/* each side's context switches in run() */
};

/* The calling thread's context switches so far, voluntary (it waited)
 * and not (it was preempted); RUSAGE_THREAD is 1 on Linux, named only
 * under _GNU_SOURCE. */
static inline uint64_t ctx_switches(void)
{
	struct rusage ru;

	if (getrusage(1 /* RUSAGE_THREAD */, &ru) < 0)
		return 0;
	return (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
}

/* End of a run() round for task `id`, whose working set is ws, which
 * began when the task had been switched sw0 times (ctx_switches()); only
 * task 0's exchanges are the operations reported. */
static inline uint64_t ctx_tally_round(struct ctx_tally *t, int id, uint64_t iters,
				       const struct ctx_ws *ws, uint64_t sw0)
{
	if (id == 1)
		t->echoes += iters;
	t->lines[id] = ws->lines;
	t->switched[id] += ctx_switches() - sw0;
	return id == 0 ? iters : 0;
}

/* End of a baseline() round: its iterations are task 0's operations. */
static inline uint64_t ctx_tally_solo(struct ctx_tally *t, int id, uint64_t iters,
				      const struct ctx_ws *ws)
{
	t->solo[id] += iters;
	t->lines[id] = ws->lines;
	return id == 0 ? iters : 0;
}

/* Each side dirties its working set once per exchange, run and
 * baseline alike. */
static inline const char *ctx_tally_check(const struct ctx_tally *t, const struct bench_state *st,
					  int ntasks, uint64_t run_iters, uint64_t base_iters)
{
	if (ntasks > 1 && t->echoes != run_iters)
		return "the echo task did not return every token";
	for (int i = 0; i < ntasks; i++)
		if (t->solo[i] != base_iters)
			return "a baseline did not complete every iteration";
	for (int i = 0; i < ntasks; i++)
		if (t->lines[i] != (run_iters + base_iters) * ctx_ws_lines(st))
			return "a side did not dirty its ws_kb working set once an exchange";
	/* On one processor (same-core, no SMT sibling) the token cannot come
	 * back before its holder leaves the processor: each side is switched
	 * out at least once an exchange, waiting or preempted.  Fewer (9 in
	 * 10 leaves room for a round's edges) means the two did not share a
	 * processor after all, or an exchange that did not wait. */
	for (int i = 0; ntasks > 1 && st->ncpus == 1 && i < ntasks; i++)
		if (t->switched[i] * 10 < run_iters * 9)
			return "on one processor a side was switched out less than once an exchange: "
			       "the two did not share the processor, or did not wait for each other";
	return NULL;
}

/* ---- the futex token exchange (ctx.*.futex, and ctx.thread.cond's
 * baseline) ------------------------------------------------------------- */

/* Hand the token to `to` and wake it: one FUTEX_WAKE, always.  Release:
 * the other side must see everything we did with the token before it
 * sees the token. */
static inline void ctx_futex_pass(uint32_t *turn, uint32_t to, int shared)
{
	__atomic_store_n(turn, to, __ATOMIC_RELEASE);
	futex_wake(turn, 1, shared);
}

/* Sleep until the token is ours; acquire pairs with the release above.
 * Returns how many FUTEX_WAITs that took: none when the token came back
 * before we looked, more than one after a spurious wake-up. */
static inline uint64_t ctx_futex_await(uint32_t *turn, uint32_t mine, int shared)
{
	uint64_t waits = 0;
	uint32_t v;

	while ((v = __atomic_load_n(turn, __ATOMIC_ACQUIRE)) != mine) {
		futex_wait(turn, v, NULL, shared);
		waits++;
	}
	return waits;
}

/* One side of `iters` exchanges; returns the FUTEX_WAITs it made. */
static inline uint64_t ctx_futex_exchange(uint32_t *turn, int me, uint64_t iters, int shared,
					  struct ctx_ws *ws)
{
	uint32_t mine = (uint32_t)me, other = 1 - mine;
	uint64_t waits = 0;

	for (uint64_t i = 0; i < iters; i++) {
		if (me == 0) {
			ctx_futex_pass(turn, other, shared);
			waits += ctx_futex_await(turn, mine, shared);
			ctx_ws_touch(ws);
		} else {
			waits += ctx_futex_await(turn, mine, shared);
			ctx_ws_touch(ws);
			ctx_futex_pass(turn, other, shared);
		}
	}
	return waits;
}

/* The one descriptor of a ctx workload: what every ctx workload has (its
 * version, the ws_kb parameter), and the fields given, each by name. */
#define CTX_DESC(var, ...)							\
	const struct bench_desc var = {						\
		.version = BENCH_VERSION, .params = CTX_PARAMS, __VA_ARGS__	\
	}

/* ctx.coro.*'s shared counts, which check() holds to the harness's
 * (here so that a test can give check() each wrong state in turn). */
struct ctx_coro_shared {
	uint64_t entries;	/* coroutine body entries, run and baseline */
	uint64_t run_iters;	/* what run() was given, all rounds */
	uint64_t solo;		/* what baseline() was given, all rounds */
	uint64_t lines;		/* cache lines dirtied, both working sets */
};

#endif
