/*
 * harness/lesson.c - the lesson's claims as rules over a run's
 * results.csv.  See lesson.h.
 *
 * Each rule picks its rows by key (benchmark, mode, placement, tasks,
 * the parameters that matter, metric), compares their medians against
 * a threshold named beside it, and writes the figures it compared.  A
 * rule whose rows are not all there says which it needed: a quick sweep
 * lacks some (gil.cores runs both placements, a lock's over-subscribed
 * task counts need more tasks than processors), and a run of one family
 * lacks the rest.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lesson.h"
#include "harness/stats.h"

/* Which rows a rule wants; NULL or 0 is "any". */
struct lesson_q {
	const char *bench, *mode, *placement;
	int threads;
	const char *params;	/* "k=v;k=v": each item must be among the row's */
	const char *metric;
};

/* The key columns of a results table, -1 where absent. */
struct lesson_cols {
	int bench, mode, placement, threads, params, metric, median;
};

static int lesson_cols(const struct csv_table *t, struct lesson_cols *c)
{
	c->bench = csv_table_col(t, "bench");
	c->mode = csv_table_col(t, "mode");
	c->placement = csv_table_col(t, "placement");
	c->threads = csv_table_col(t, "threads");
	c->params = csv_table_col(t, "params");
	c->metric = csv_table_col(t, "metric");
	c->median = csv_table_col(t, "median");
	return c->bench >= 0 && c->mode >= 0 && c->placement >= 0 && c->threads >= 0 &&
	       c->params >= 0 && c->metric >= 0 && c->median >= 0 ? 0 : -1;
}

/* Is every "k=v" item of want among the ';'-separated items of have? */
static int lesson_params_have(const char *have, const char *want)
{
	while (want && *want) {
		size_t n = strcspn(want, ";");
		const char *h = have;
		int found = 0;

		while (*h && !found) {
			size_t m = strcspn(h, ";");

			found = m == n && strncmp(h, want, n) == 0;
			h += m + (h[m] == ';');
		}
		if (!found)
			return 0;
		want += n + (want[n] == ';');
	}
	return 1;
}

/* The median of row r as a number, or NaN when it is not one. */
static double lesson_median(const struct csv_table *t, const struct lesson_cols *c, size_t r)
{
	const char *s = t->rows[r][c->median];
	char *end;
	double v;

	if (!s[0])
		return NAN;
	v = strtod(s, &end);
	return *end || !isfinite(v) ? NAN : v;
}

static int lesson_match(const struct csv_table *t, const struct lesson_cols *c, size_t r,
			const struct lesson_q *q)
{
	char *const *row = t->rows[r];

	return (!q->bench || !strcmp(row[c->bench], q->bench)) &&
	       (!q->mode || !strcmp(row[c->mode], q->mode)) &&
	       (!q->placement || !strcmp(row[c->placement], q->placement)) &&
	       (!q->threads || atoi(row[c->threads]) == q->threads) &&
	       (!q->metric || !strcmp(row[c->metric], q->metric)) &&
	       lesson_params_have(row[c->params], q->params) &&
	       !isnan(lesson_median(t, c, r));
}

/* The median of the first row q names; 1, or 0 when there is none. */
static int lesson_get(const struct csv_table *t, const struct lesson_q *q, double *v)
{
	struct lesson_cols c;

	if (lesson_cols(t, &c) < 0)
		return 0;
	for (size_t r = 0; r < t->nrows; r++)
		if (lesson_match(t, &c, r, q)) {
			*v = lesson_median(t, &c, r);
			return 1;
		}
	return 0;
}

/* The median of the first row q names and its 95 % interval; 1, or 0
 * when there is none or its interval is not numbers. */
static int lesson_get_ci(const struct csv_table *t, const struct lesson_q *q, double *v,
			 double *lo, double *hi)
{
	struct lesson_cols c;
	int l = csv_table_col(t, "ci95_lo"), h = csv_table_col(t, "ci95_hi");

	if (lesson_cols(t, &c) < 0 || l < 0 || h < 0)
		return 0;
	for (size_t r = 0; r < t->nrows; r++)
		if (lesson_match(t, &c, r, q)) {
			char *e1, *e2;

			*v = lesson_median(t, &c, r);
			*lo = strtod(t->rows[r][l], &e1);
			*hi = strtod(t->rows[r][h], &e2);
			return t->rows[r][l][0] && t->rows[r][h][0] && !*e1 && !*e2;
		}
	return 0;
}

/* The largest task count among the rows q names (its threads ignored)
 * that also has a row of q2 (if given) at that count, at least `least`;
 * 0 when none. */
static int lesson_most_threads(const struct csv_table *t, const struct lesson_q *q,
			       const struct lesson_q *q2, int least)
{
	struct lesson_q a = *q, b;
	struct lesson_cols c;
	int best = 0;
	double v;

	if (lesson_cols(t, &c) < 0)
		return 0;
	a.threads = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		int n;

		if (!lesson_match(t, &c, r, &a) || (n = atoi(t->rows[r][c.threads])) <= best ||
		    n < least)
			continue;
		if (q2) {
			b = *q2;
			b.threads = n;
			if (!lesson_get(t, &b, &v))
				continue;
		}
		best = n;
	}
	return best;
}

static void lesson_say(struct lesson_verdict *v, enum lesson_state s, const char *fmt, ...)
{
	va_list ap;

	v->state = s;
	va_start(ap, fmt);
	vsnprintf(v->figures, sizeof(v->figures), fmt, ap);
	va_end(ap);
}

/* A time in ns as a person reads it. */
static const char *lesson_ns(char *buf, size_t len, double ns)
{
	if (ns >= 1e6)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else
		snprintf(buf, len, "%.3g ns", ns);
	return buf;
}

/* ---- the rules ------------------------------------------------------------- */

/* T_threads / T_seq at or above this is "no speed-up": under one lock
 * the threads take turns, so the ratio sits near 1 (Beazley: 1.0-1.8);
 * 0.9 leaves room for noise yet is far from the 1/T that parallel work
 * gives. */
#define LESSON_NO_SPEEDUP 0.9
/* ... and at or below this is a speed-up: two units on two processors
 * ideally give 0.5; 0.75 is a third faster than one after another. */
#define LESSON_SPEEDUP 0.75

static void lesson_gil_cpu(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	struct lesson_q th = { .bench = "gil.cpu", .mode = "thread", .params = "gil=new",
			       .metric = "time_vs_sequential" };
	struct lesson_q pr = th;
	double a, b;
	int n;

	pr.mode = "process";
	if (ncpus < 2) {
		lesson_say(v, LESSON_UNMEASURED, "needs a machine of 2 or more processors (env.csv "
			   "says %d)", ncpus);
		return;
	}
	n = lesson_most_threads(t, &th, &pr, 2);
	if (n > ncpus)
		n = ncpus;	/* where processes can still each have a processor */
	th.threads = pr.threads = n;
	if (!n || !lesson_get(t, &th, &a) || !lesson_get(t, &pr, &b)) {
		lesson_say(v, LESSON_UNMEASURED, "needs gil.cpu time_vs_sequential under gil=new as "
			   "threads and as processes at one task count of 2 or more");
		return;
	}
	lesson_say(v, a >= LESSON_NO_SPEEDUP && b <= LESSON_SPEEDUP ? LESSON_HOLDS : LESSON_FAILS,
		   "%d tasks: threads took %.2f x the sequential time (no speed-up is >= %.2f), "
		   "processes %.2f x (a speed-up is <= %.2f)", n, a, LESSON_NO_SPEEDUP, b,
		   LESSON_SPEEDUP);
}

static void lesson_gil_io(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	struct lesson_q q = { .bench = "gil.io", .mode = "thread", .params = "gil=new",
			      .metric = "time_vs_sequential" };
	double a;

	(void)ncpus;
	q.threads = lesson_most_threads(t, &q, NULL, 2);
	if (!q.threads || !lesson_get(t, &q, &a)) {
		lesson_say(v, LESSON_UNMEASURED, "needs gil.io time_vs_sequential under gil=new "
			   "with 2 or more threads");
		return;
	}
	lesson_say(v, a <= LESSON_SPEEDUP ? LESSON_HOLDS : LESSON_FAILS,
		   "%d I/O-bound threads under the lock took %.2f x the sequential time (a "
		   "speed-up is <= %.2f; 1/T would be %.2f)", q.threads, a, LESSON_SPEEDUP,
		   1.0 / q.threads);
}

/* "About a switch interval": the round trip of an echo beside one
 * CPU-bound thread under the new GIL is one or two intervals (it waits
 * an interval back from recv, and may again after send: 5.2 or 10.4 ms
 * at 5 ms, in the simulation and in CPython 3.11 alike); a half to three
 * intervals is that, with room for a loaded machine. */
#define LESSON_CONVOY_LO 0.5
#define LESSON_CONVOY_HI 3.0

static void lesson_convoy_of(const struct csv_table *t, const char *bench, const char *gil,
			     struct lesson_verdict *v)
{
	struct lesson_q q = { .bench = bench, .mode = "thread", .params = gil,
			      .metric = "rtt_p50" };
	char a[32], b[32], in[32];
	double rtt = NAN, alone = NAN, interval_ns = 0;
	struct lesson_cols c;

	for (size_t r = 0; lesson_cols(t, &c) == 0 && r < t->nrows; r++) {
		const char *p = t->rows[r][c.params], *iv = strstr(p, "interval_us=");

		if (!lesson_match(t, &c, r, &q))
			continue;
		if (isnan(alone) && lesson_params_have(p, "cpu=0"))
			alone = lesson_median(t, &c, r);
		if (isnan(rtt) && iv && lesson_params_have(p, "cpu=1")) {
			rtt = lesson_median(t, &c, r);
			interval_ns = atof(iv + 12) * 1e3;
		}
	}
	if (isnan(rtt) || interval_ns <= 0) {
		lesson_say(v, LESSON_UNMEASURED, "needs %s rtt_p50 with cpu=1 (thread mode%s)",
			   bench, gil ? ", gil=new" : "");
		return;
	}
	lesson_say(v, rtt >= LESSON_CONVOY_LO * interval_ns && rtt <= LESSON_CONVOY_HI * interval_ns ?
		   LESSON_HOLDS : LESSON_FAILS,
		   "beside 1 CPU-bound thread an echo's round trip took %s (median), %.2g switch "
		   "intervals of %s (about one is %.1f to %.1f); alone %s",
		   lesson_ns(a, sizeof(a), rtt), rtt / interval_ns,
		   lesson_ns(in, sizeof(in), interval_ns), LESSON_CONVOY_LO, LESSON_CONVOY_HI,
		   isnan(alone) ? "not measured" : lesson_ns(b, sizeof(b), alone));
}

static void lesson_convoy(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	(void)ncpus;
	lesson_convoy_of(t, "gil.convoy", "gil=new", v);
}

static void lesson_convoy_cpython(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	(void)ncpus;
	lesson_convoy_of(t, "gil.cpython.convoy", NULL, v);
}

static void lesson_gil_old(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	struct lesson_q one = { .bench = "gil.cores", .mode = "thread", .placement = "same-core",
				.params = "gil=old", .metric = "time_vs_sequential" };
	struct lesson_q two = one;
	double a, alo, ahi, b, blo, bhi;

	(void)ncpus;
	two.placement = "cross-core";
	if (!lesson_get_ci(t, &one, &a, &alo, &ahi) || !lesson_get_ci(t, &two, &b, &blo, &bhi)) {
		lesson_say(v, LESSON_UNMEASURED, "needs gil.cores time_vs_sequential under gil=old, "
			   "same-core and cross-core, with their intervals");
		return;
	}
	/* Slower only when the two medians' 95 % intervals do not overlap:
	 * a few per cent either way is what repetitions scatter by. */
	lesson_say(v, blo > ahi ? LESSON_HOLDS : LESSON_FAILS,
		   "2 CPU-bound threads under the old GIL took %.2f x the sequential time on two "
		   "cores [%.2f, %.2f] and %.2f x on one [%.2f, %.2f]%s", b, blo, bhi, a, alo, ahi,
		   blo > ahi ? "" : b > a ? ": the intervals overlap, not told apart" : "");
}

/* "Far less memory": the costlier coroutine (a stack of its own) at
 * least this many times below a thread.  A thread costs a kernel stack
 * and task (some 16-20 KiB) plus its touched stack pages; a coroutine a
 * page or two, or a few hundred bytes on a shared stack. */
#define LESSON_MEMORY_FACTOR 3.0

static void lesson_coro_memory(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	struct lesson_q th = { .bench = "ptc.io.thread", .metric = "charged_per_unit" };
	struct lesson_q co = { .bench = "ptc.io.coro", .params = "stack=mmap",
			       .metric = "charged_per_unit" };
	struct lesson_q sh = { .bench = "ptc.io.coro", .params = "stack=shared",
			       .metric = "charged_per_unit" };
	static const int cs[] = { 10000, 1000, 100, 10 };
	char p[32], buf[64], carrier[128];
	double a, b, s, ca, cs_;

	(void)ncpus;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		th.metric = sh.metric = "charged_per_unit";
		snprintf(p, sizeof(p), "c=%d", cs[i]);
		th.params = p;
		snprintf(buf, sizeof(buf), "c=%d;stack=mmap", cs[i]);
		co.params = buf;
		if (!lesson_get(t, &th, &a) || !lesson_get(t, &co, &b))
			continue;
		snprintf(buf, sizeof(buf), "c=%d;stack=shared", cs[i]);
		sh.params = buf;
		if (!lesson_get(t, &sh, &s))
			s = NAN;
		/* What each carrier adds above its connection's socket, where
		 * the run split the charge (bench/ptc_io.c). */
		th.metric = sh.metric = "carrier_per_unit";
		if (!lesson_get(t, &th, &ca) || !lesson_get(t, &sh, &cs_))
			ca = cs_ = NAN;
		if (isnan(ca))
			carrier[0] = '\0';
		else
			snprintf(carrier, sizeof(carrier), "; above the connection's socket, a "
				 "thread %.0f and a coroutine on a shared stack %.0f", ca, cs_);
		lesson_say(v, b > 0 && a >= LESSON_MEMORY_FACTOR * b ? LESSON_HOLDS : LESSON_FAILS,
			   "%d connections: %.0f bytes charged per thread, %.0f per coroutine "
			   "with its own stack (%.1f x less; far less is %.0f x or more), %.0f on "
			   "a shared stack%s", cs[i], a, b, b > 0 ? a / b : NAN, LESSON_MEMORY_FACTOR,
			   s, carrier);
		return;
	}
	lesson_say(v, LESSON_UNMEASURED, "needs ptc.io.thread and ptc.io.coro (stack=mmap) "
		   "charged_per_unit at one connection count");
}

static void lesson_pool(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	struct lesson_q po = { .bench = "pool.thread", .params = "task=work",
			       .metric = "tasks_per_sec" };
	struct lesson_q pt = { .bench = "pool.thread_per_task", .params = "task=work",
			       .metric = "tasks_per_sec" };
	struct lesson_cols c;
	char want[64], text[LESSON_TEXT];
	size_t off = 0;
	long shortest = -1;
	int worse = 0, n = 0;

	(void)ncpus;
	if (lesson_cols(t, &c) == 0)
		for (size_t r = 0; r < t->nrows; r++) {
			const char *p = strstr(t->rows[r][c.params], "task_us=");
			struct lesson_q any = pt;

			any.params = "task=work";
			if (p && lesson_match(t, &c, r, &any) &&
			    (shortest < 0 || atol(p + 8) < shortest))
				shortest = atol(p + 8);
		}
	snprintf(want, sizeof(want), "task=work;task_us=%ld", shortest);
	po.params = pt.params = want;
	text[0] = '\0';
	for (int w = 1; shortest >= 0 && w <= 1024; w++) {
		double a, b;

		po.threads = pt.threads = w;
		if (!lesson_get(t, &po, &a) || !lesson_get(t, &pt, &b))
			continue;
		n++;
		worse += a <= b;
		if (off < sizeof(text))
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%d worker%s: "
						"pool %.0f, thread per task %.0f", n > 1 ? "; " : "",
						w, w == 1 ? "" : "s", a, b);
	}
	if (!n) {
		lesson_say(v, LESSON_UNMEASURED, "needs pool.thread and pool.thread_per_task "
			   "tasks_per_sec with task=work at one task length and worker count");
		return;
	}
	lesson_say(v, worse ? LESSON_FAILS : LESSON_HOLDS, "tasks/s at task_us=%ld: %s", shortest,
		   text);
}

/* "A coroutine switch far less": at least this many times cheaper than
 * the cheapest thread switch (a kernel switch is hundreds of ns, an
 * assembly coroutine switch a few). */
#define LESSON_SWITCH_FACTOR 10.0

static void lesson_switch(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	static const char *const how[] = { "pipe", "futex" };
	struct lesson_q q = { .placement = "same-core", .metric = "switch" };
	char text[LESSON_TEXT], bench[32], a_[32], b_[32];
	double thread_min = INFINITY, coro;
	size_t off = 0;
	int pairs = 0, dearer = 1;

	(void)ncpus;
	text[0] = '\0';
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		double th, thlo, thhi, pr, prlo, prhi;

		snprintf(bench, sizeof(bench), "ctx.thread.%s", how[i]);
		q.bench = bench;
		if (!lesson_get_ci(t, &q, &th, &thlo, &thhi))
			continue;
		thread_min = fmin(thread_min, th);
		snprintf(bench, sizeof(bench), "ctx.process.%s", how[i]);
		if (!lesson_get_ci(t, &q, &pr, &prlo, &prhi))
			continue;
		pairs++;
		/* Dearer only when the intervals do not overlap. */
		dearer &= prlo > thhi;
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s: process %s, thread %s%s; ",
					how[i], lesson_ns(a_, sizeof(a_), pr),
					lesson_ns(b_, sizeof(b_), th), prlo > thhi ? "" :
					" (intervals overlap)");
	}
	q.bench = "ctx.coro.asm";
	if (!pairs || !lesson_get(t, &q, &coro)) {
		lesson_say(v, LESSON_UNMEASURED, "needs the same-core switch rows of ctx.thread and "
			   "ctx.process (pipe or futex) and of ctx.coro.asm");
		return;
	}
	lesson_say(v, dearer && coro * LESSON_SWITCH_FACTOR <= thread_min ? LESSON_HOLDS :
		   LESSON_FAILS, "one switch on one core, %scoroutine %s (far less is %.0f x "
		   "below the cheapest thread switch, %s)", text, lesson_ns(a_, sizeof(a_), coro),
		   LESSON_SWITCH_FACTOR, lesson_ns(b_, sizeof(b_), thread_min));
}

static void lesson_manager(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	struct lesson_q ma = { .bench = "shm.manager", .mode = "process", .metric = "ns_per_op" };
	struct lesson_q ar = { .bench = "shm.array.locked", .mode = "process",
			       .metric = "ns_per_op" };
	char text[LESSON_TEXT], a_[32], b_[32];
	size_t off = 0;
	int n = 0, faster = 0;

	(void)ncpus;
	text[0] = '\0';
	for (int w = 1; w <= 1024; w++) {
		double a, b;

		ma.threads = ar.threads = w;
		if (!lesson_get(t, &ma, &a) || !lesson_get(t, &ar, &b))
			continue;
		n++;
		faster += a <= b;
		if (off < sizeof(text))
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%d process%s: "
						"Manager %s, Array %s", n > 1 ? "; " : "", w,
						w == 1 ? "" : "es", lesson_ns(a_, sizeof(a_), a),
						lesson_ns(b_, sizeof(b_), b));
	}
	if (!n) {
		lesson_say(v, LESSON_UNMEASURED, "needs shm.manager and shm.array.locked ns_per_op "
			   "as processes at one task count");
		return;
	}
	lesson_say(v, faster ? LESSON_FAILS : LESSON_HOLDS, "per operation, %s", text);
}

/* A lock "collapses" when over-subscribed (2 x the processors) it keeps
 * less than half the throughput it had at one task per processor: the
 * next holder is off the processor while the others burn their slices
 * spinning.  A sleeping lock hands the processor over instead. */
#define LESSON_COLLAPSE 0.5

static void lesson_lock(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	static const char *const policy[] = { "policy=spin", "policy=sleep" };
	double ratio[2][256];
	int n[2] = { 0, 0 };
	char text[2][LESSON_TEXT / 2];
	size_t off[2] = { 0, 0 };
	struct lesson_cols c;

	if (ncpus < 1 || lesson_cols(t, &c) < 0) {
		lesson_say(v, LESSON_UNMEASURED, "needs the run's processor count (env.csv) and "
			   "lock.* throughput rows");
		return;
	}
	text[0][0] = text[1][0] = '\0';
	/* Each lock's row over-subscribed, against its own row at ncpus
	 * tasks with the same parameters. */
	for (size_t r = 0; r < t->nrows; r++) {
		const char *const *row = (const char *const *)t->rows[r];
		struct lesson_q q = { .mode = "thread", .metric = "throughput" };
		double over, at;
		int k;

		if (strncmp(row[c.bench], "lock.", 5) || atoi(row[c.threads]) != 2 * ncpus)
			continue;
		for (k = 0; k < 2 && !lesson_params_have(row[c.params], policy[k]); k++)
			;
		q.bench = row[c.bench];
		q.params = row[c.params];
		q.threads = 2 * ncpus;
		if (k == 2 || n[k] == 256 || !lesson_match(t, &c, r, &q))
			continue;
		over = lesson_median(t, &c, r);
		q.threads = ncpus;
		if (!lesson_get(t, &q, &at) || at <= 0)
			continue;
		ratio[k][n[k]++] = over / at;
		if (off[k] < sizeof(text[k]))
			off[k] += (size_t)snprintf(text[k] + off[k], sizeof(text[k]) - off[k],
						   "%s%s %.2f", off[k] ? ", " : "", row[c.bench] + 5,
						   over / at);
	}
	if (!n[0] || !n[1]) {
		lesson_say(v, LESSON_UNMEASURED, "needs lock.* throughput (thread mode) at %d and "
			   "%d tasks, of locks that spin (policy=spin) and that sleep "
			   "(policy=sleep)", ncpus, 2 * ncpus);
		return;
	}
	{
		double spin = stats_median(ratio[0], (size_t)n[0]), sleep = stats_median(ratio[1], (size_t)n[1]);

		lesson_say(v, spin < LESSON_COLLAPSE && sleep >= LESSON_COLLAPSE ? LESSON_HOLDS :
			   LESSON_FAILS, "throughput at %d tasks over that at %d (collapse is below "
			   "%.1f): spinning locks' median %.2f (%s); sleeping locks' median %.2f (%s)",
			   2 * ncpus, ncpus, LESSON_COLLAPSE, spin, text[0], sleep, text[1]);
	}
}

const struct lesson_rule lesson_rules[] = {
	{ .id = "gil_cpu", .check = lesson_gil_cpu,
	  .claim = "CPU-bound threads do not speed up under a global interpreter lock, while "
		   "processes (a lock each) do.",
	  .rows = "gil.cpu time_vs_sequential, gil=new, threads and processes, at the most "
		  "tasks both ran up to the processor count" },
	{ .id = "gil_io", .check = lesson_gil_io,
	  .claim = "I/O-bound threads do speed up under the lock: it is released around the "
		   "waits.",
	  .rows = "gil.io time_vs_sequential, gil=new, at the most threads run" },
	{ .id = "convoy", .check = lesson_convoy,
	  .claim = "One CPU-bound thread makes an I/O thread wait about a switch interval for "
		   "the lock (the convoy effect).",
	  .rows = "gil.convoy rtt_p50, gil=new, thread mode, cpu=1 (and cpu=0 beside it)" },
	{ .id = "convoy_cpython", .check = lesson_convoy_cpython,
	  .claim = "The real CPython agrees: its I/O thread also waits about a switch interval "
		   "beside one CPU-bound thread.",
	  .rows = "gil.cpython.convoy rtt_p50, cpu=1 (and cpu=0)" },
	{ .id = "gil_old_cores", .check = lesson_gil_old,
	  .claim = "The old GIL (before Python 3.2) is slower on two cores than on one.",
	  .rows = "gil.cores time_vs_sequential, gil=old, cross-core against same-core" },
	{ .id = "coro_memory", .check = lesson_coro_memory,
	  .claim = "Coroutines serve many connections with far less memory than threads.",
	  .rows = "ptc.io.thread and ptc.io.coro charged_per_unit at the most connections both "
		  "held (carrier_per_unit beside it, where the run has it)" },
	{ .id = "pool", .check = lesson_pool,
	  .claim = "For short tasks a pool beats a thread per task.",
	  .rows = "pool.thread and pool.thread_per_task tasks_per_sec, task=work, the shortest "
		  "task_us, each worker count" },
	{ .id = "switch", .check = lesson_switch,
	  .claim = "A process switch costs more than a thread switch, and a coroutine switch far "
		   "less.",
	  .rows = "ctx.process.* and ctx.thread.* switch (pipe, futex), same-core, and "
		  "ctx.coro.asm switch" },
	{ .id = "manager", .check = lesson_manager,
	  .claim = "A Manager (a server process) is slower than a shared Array.",
	  .rows = "shm.manager and shm.array.locked ns_per_op as processes, each task count" },
	{ .id = "lock_collapse", .check = lesson_lock,
	  .claim = "A lock shared by more threads than cores collapses, unless it sleeps.",
	  .rows = "lock.* throughput, thread mode, at 2 x and 1 x the processors, policy=spin "
		  "against policy=sleep" },
};

const int lesson_nrules = (int)(sizeof(lesson_rules) / sizeof(lesson_rules[0]));

int lesson_check(const struct csv_table *t, int ncpus, struct lesson_verdict *v)
{
	int held = 0;

	for (int i = 0; i < lesson_nrules; i++) {
		lesson_say(&v[i], LESSON_UNMEASURED, "the rule said nothing");
		lesson_rules[i].check(t, ncpus, &v[i]);
		held += v[i].state == LESSON_HOLDS;
	}
	return held;
}

const char *lesson_state_name(enum lesson_state s)
{
	switch (s) {
	case LESSON_HOLDS:
		return "holds here";
	case LESSON_FAILS:
		return "does not hold here";
	case LESSON_UNMEASURED:
		break;
	}
	return "not measured in this run";
}
