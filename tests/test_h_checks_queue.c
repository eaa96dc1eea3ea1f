/*
 * tests/test_h_checks_queue.c - every guard of queue.*'s check()
 * (bench/queue.c) refuses the state it guards against, alone
 * (tests/test_h_checks.c says why).
 *
 * The right state: every producer made the round's items, each received
 * once, spread over every consumer (item i by consumer i % consumers, so
 * a check that read one consumer's cells, or one producer's, refuses
 * it); the operations are the items; every latency round paced exactly
 * when `load` asks; the longest latency, on the last consumer, a
 * microsecond's slack short of the most a producer (the last) woke late.
 * Each wrong state moves one count of it, the last producer's or
 * consumer's, or asks check() about another parameter than setup was
 * given.  The queue itself is the one setup made, empty: check() fills
 * it to see its capacity.
 */
#include <stdint.h>
#include <string.h>

#include "bench/queue.h"
#include "harness/bench.h"
#include "tests/check.h"
#include "tests/h_checks.h"

#define CHECKS_QUEUE_LAT_ROUNDS	3	/* latency rounds each producer saw */
#define CHECKS_QUEUE_LATE_NS	5000	/* the last producer's worst wake-up */

/* d copies more (or fewer) of producer p's item idx, received by the
 * consumer that right state gives it. */
static void checks_queue_item(struct qb_shared *s, int p, uint64_t idx, int d)
{
	struct qb_cell *cell = &s->cells[(idx % (uint64_t)s->consumers) * (uint64_t)s->producers +
					 (uint64_t)p];

	cell->count += (uint64_t)(int64_t)d;
	cell->sum += (uint64_t)(int64_t)d * idx;
	cell->sumsq += (uint64_t)(int64_t)d * idx * idx;
}

/* Producer p made n items, every one received once. */
static void checks_queue_made(struct qb_shared *s, int p, uint64_t n)
{
	for (int c = 0; c < s->consumers; c++)
		s->cells[(size_t)c * (size_t)s->producers + (size_t)p] = (struct qb_cell){ 0 };
	s->prod[p].made = n;
	for (uint64_t i = 0; i < n; i++)
		checks_queue_item(s, p, i, 1);
}

static void checks_queue_right(struct qb_shared *s, int paced)
{
	for (int p = 0; p < s->producers; p++) {
		checks_queue_made(s, p, CHECKS_RUN);
		s->prod[p].lat_rounds = CHECKS_QUEUE_LAT_ROUNDS;
		s->prod[p].paced_rounds = paced ? CHECKS_QUEUE_LAT_ROUNDS : 0;
		s->prod[p].ahead = 0;
		s->prod[p].most_late = p == s->producers - 1 ? CHECKS_QUEUE_LATE_NS : 0;
	}
	for (int c = 0; c < s->consumers; c++)
		s->cons[c].most_latency = c == s->consumers - 1 ? CHECKS_QUEUE_LATE_NS - 1000 : 100;
	s->too_fast = 0;
	s->ops = CHECKS_RUN * (uint64_t)s->producers;
}

enum checks_queue_wrong {
	CQ_RIGHT,
	CQ_MADE,	/* the last producer made d more, all received */
	CQ_ITEM,	/* its item 7 (the last consumer's, with 2), d more times */
	CQ_ITEM0,	/* its item 0, d more times: the sums do not see it */
	CQ_SWAP,	/* item 7 lost, item 8 twice: the count kept */
	CQ_SWAP_SQ,	/* items 1, 4 lost, 2, 3 twice: count and sum kept */
	CQ_AHEAD,	/* a paced round ended before its schedule */
	CQ_TOO_FAST,	/* a paced round over load % of the flat-out rate */
	CQ_PACED,	/* the last producer's paced rounds, d more */
	CQ_LATENCY,	/* the longest latency, d ns more */
	CQ_OPS,		/* the operations run() returned, d more */
	CQ_OPS_TWICE,	/* producers counted their puts as operations too */
	CQ_ASK_LOAD,	/* the row asks load `ask` (setup was given `load`) */
	CQ_ASK_CAPACITY,	/* the row asks capacity `ask` */
};

Test(checks, queue_refuses_each_wrong_count, .timeout = 60)
{
	static const struct {
		const char *name;
		int ntasks;
	} q[] = {
		{ "queue.fifo", 4 }, { "queue.lifo", 4 }, { "queue.priority", 4 },
		{ "queue.deque", 4 }, { "queue.ck_mpmc", 4 }, { "queue.ck_spsc", 2 },
		{ "queue.cooks", 13 },
	};
	static const struct {
		const char *what;
		enum checks_queue_wrong how;
		int d;
		const char *capacity, *load, *ask;
		int right, grows;	/* grows: only for the kinds with an unbounded form */
	} c[] = {
		{ "right", CQ_RIGHT, 0, "16", "0", NULL, 1, 0 },
		{ "right, paced", CQ_RIGHT, 0, "16", "50", NULL, 1, 0 },
		{ "right, unbounded", CQ_RIGHT, 0, "0", "0", NULL, 1, 1 },
		{ "a producer made one fewer", CQ_MADE, -1, "16", "0", NULL, 0, 0 },
		{ "a producer made one more", CQ_MADE, 1, "16", "0", NULL, 0, 0 },
		{ "an item lost", CQ_ITEM, -1, "16", "0", NULL, 0, 0 },
		{ "an item received twice", CQ_ITEM, 1, "16", "0", NULL, 0, 0 },
		{ "item 0 lost", CQ_ITEM0, -1, "16", "0", NULL, 0, 0 },
		{ "item 0 received twice", CQ_ITEM0, 1, "16", "0", NULL, 0, 0 },
		{ "an item lost, another twice", CQ_SWAP, 0, "16", "0", NULL, 0, 0 },
		{ "two lost, two others twice, the same sum", CQ_SWAP_SQ, 0, "16", "0", NULL, 0, 0 },
		{ "a paced round ahead of its schedule", CQ_AHEAD, 0, "16", "50", NULL, 0, 0 },
		{ "a paced round faster than its load", CQ_TOO_FAST, 0, "16", "50", NULL, 0, 0 },
		{ "a latency round not paced", CQ_PACED, -1, "16", "50", NULL, 0, 0 },
		{ "a paced round more than latency rounds", CQ_PACED, 1, "16", "50", NULL, 0, 0 },
		{ "a round paced with no load", CQ_PACED, 1, "16", "0", NULL, 0, 0 },
		{ "no round paced where load=50 was asked", CQ_ASK_LOAD, 0, "16", "0", "50", 0, 0 },
		{ "every round paced where load=0 was asked", CQ_ASK_LOAD, 0, "16", "50", "0", 0, 0 },
		{ "a latency shorter than its lateness", CQ_LATENCY, -1, "16", "0", NULL, 0, 0 },
		{ "an operation short", CQ_OPS, -1, "16", "0", NULL, 0, 0 },
		{ "an operation over", CQ_OPS, 1, "16", "0", NULL, 0, 0 },
		{ "puts counted as operations too", CQ_OPS_TWICE, 0, "16", "0", NULL, 0, 0 },
		{ "a queue of 16 where 15 was asked", CQ_ASK_CAPACITY, 0, "16", "0", "15", 0, 0 },
		{ "a queue of 16 where 17 was asked", CQ_ASK_CAPACITY, 0, "16", "0", "17", 0, 0 },
		{ "a queue of 16 where unbounded was asked", CQ_ASK_CAPACITY, 0, "16", "0", "0", 0,
		  0 },
		{ "an unbounded queue where 16 was asked", CQ_ASK_CAPACITY, 0, "0", "0", "16", 0, 1 },
	};

	for (size_t n = 0; n < sizeof(q) / sizeof(q[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			int ring = !strncmp(q[n].name, "queue.ck_", 9);
			struct bench_state st;
			struct qb_shared *s;
			int lp, lc;

			if (c[k].grows && ring)
				continue;	/* a ring has no unbounded form */
			checks_setup(q[n].name, q[n].ntasks,
				     (const char *const[]){ "capacity", c[k].capacity, "load",
							    c[k].load, NULL }, &st);
			s = st.priv;
			lp = s->producers - 1;
			lc = s->consumers - 1;
			checks_queue_right(s, c[k].load[0] != '0');
			switch (c[k].how) {
			case CQ_RIGHT:
				break;
			case CQ_MADE:
				checks_queue_made(s, lp, CHECKS_RUN + (uint64_t)(int64_t)c[k].d);
				break;
			case CQ_ITEM:
				checks_queue_item(s, lp, 7, c[k].d);
				break;
			case CQ_ITEM0:
				checks_queue_item(s, lp, 0, c[k].d);
				break;
			case CQ_SWAP:
				checks_queue_item(s, lp, 7, -1);
				checks_queue_item(s, lp, 8, 1);
				break;
			case CQ_SWAP_SQ:
				checks_queue_item(s, lp, 1, -1);
				checks_queue_item(s, lp, 4, -1);
				checks_queue_item(s, lp, 2, 1);
				checks_queue_item(s, lp, 3, 1);
				break;
			case CQ_AHEAD:
				s->prod[lp].ahead = 1;
				break;
			case CQ_TOO_FAST:
				s->too_fast = 1;
				break;
			case CQ_PACED:
				s->prod[lp].paced_rounds += (uint64_t)(int64_t)c[k].d;
				break;
			case CQ_LATENCY:
				s->cons[lc].most_latency += (uint64_t)(int64_t)c[k].d;
				break;
			case CQ_OPS:
				s->ops += (uint64_t)(int64_t)c[k].d;
				break;
			case CQ_OPS_TWICE:
				s->ops *= 2;
				break;
			case CQ_ASK_LOAD:
				checks_param_set(&st, "load", c[k].ask);
				break;
			case CQ_ASK_CAPACITY:
				checks_param_set(&st, "capacity", c[k].ask);
				break;
			}
			checks_expect(&st, 0, c[k].right, c[k].what);
			checks_teardown(&st);
		}
}
