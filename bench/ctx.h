/*
 * bench/ctx.h - what every ctx.* workload shares: the ws_kb parameter,
 * the two metrics, and the cache-dirtying step between switches.
 *
 * roundtrip  one full exchange A -> B -> A, the figure `perf bench sched
 *            pipe` prints per operation;
 * switch     one one-way switch, net of the same exchange done by one
 *            task without switching (the baseline), as lmbench's lat_ctx
 *            subtracts its pipe overhead: (roundtrip - baseline) / 2.
 */
#ifndef CONTEND_BENCH_CTX_H
#define CONTEND_BENCH_CTX_H

#include <errno.h>
#include <stdlib.h>

#include "harness/bench.h"

#define CTX_PARAMS (const struct bench_param[]){ \
	{ "ws_kb", "0", "KiB of memory each side dirties after every switch (lat_ctx -s)", \
	  0, 1 << 20 }, \
	{ NULL, NULL, NULL, 0, 0 } }

#define CTX_METRICS (const struct bench_metric[]){ \
	{ "roundtrip", "ns", BENCH_NS_PER_OP, 1, 0 }, \
	{ "switch", "ns", BENCH_NS_NET_PER_OP, 2, 0 }, \
	{ NULL, NULL, 0, 0, 0 } }

/* One side's working set: dirtied a cache line at a time after each
 * switch, so that a bigger ws_kb shows what a switch costs once the
 * caches no longer hold the other side's data. */
struct ctx_ws {
	unsigned char *buf;
	size_t len;
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
	/* 64: one store per cache line is enough to own it. */
	for (size_t i = 0; i < ws->len; i += 64)
		ws->buf[i]++;
}

static inline void ctx_ws_free(struct ctx_ws *ws)
{
	free(ws->buf);
	ws->buf = NULL;
}

/* Task-private state of a two-task exchange: this side's working set,
 * and for task 0, which plays both sides in the baseline, the other's. */
struct ctx_local {
	struct ctx_ws ws, ws_other;
};

static inline int ctx_local_init(struct bench_task *t)
{
	struct ctx_local *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	t->local = l;
	if ((r = ctx_ws_init(&l->ws, t->st)) < 0)
		return r;
	return t->id == 0 ? ctx_ws_init(&l->ws_other, t->st) : 0;
}

static inline void ctx_local_fini(struct bench_task *t)
{
	struct ctx_local *l = t->local;

	ctx_ws_free(&l->ws);
	ctx_ws_free(&l->ws_other);
	free(l);
}

/* The proof that a two-task exchange happened: the echo side publishes
 * how many tokens it returned, the baseline how many exchanges it did
 * alone; both must match what the harness asked for. */
struct ctx_tally {
	uint64_t echoes, solo;
};

/* End of a run() round for task `id`: the echo side publishes its count
 * (once per round, not per exchange, to keep the shared line quiet); only
 * task 0's exchanges are the operations reported. */
static inline uint64_t ctx_tally_round(struct ctx_tally *t, int id, uint64_t iters)
{
	if (id == 1)
		t->echoes += iters;
	return id == 0 ? iters : 0;
}

static inline const char *ctx_tally_check(const struct ctx_tally *t, uint64_t run_iters,
					  uint64_t base_iters)
{
	if (t->echoes != run_iters)
		return "the echo task did not return every token";
	if (t->solo != base_iters)
		return "the baseline did not complete every exchange";
	return NULL;
}

#endif
