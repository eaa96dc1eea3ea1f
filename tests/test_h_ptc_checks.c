/*
 * tests/test_h_ptc_checks.c - every guard of the spawn.* and ptc.*
 * workloads' check() refuses the state it guards against, alone (the
 * pattern of tests/test_h_checks.c): set the workload up, write a shared
 * state that is right but for one count, ask check().
 */
#include <stdio.h>
#include <string.h>

#include "bench/ptc.h"
#include "bench/spawn.h"
#include "harness/bench.h"
#include "harness/clock.h"
#include "harness/team.h"
#include "primitives/gil.h"
#include "tests/check.h"
#include "tests/h_checks.h"

/* ---- spawn.*: every unit ran and finished, once an iteration (or n) ---- */

Test(checks, spawn_refuses_each_wrong_count, .timeout = 60)
{
	static const char *const names[] = { "spawn.thread", "spawn.fork", "spawn.thread.live" };
	static const struct {
		const char *what;
		long d_iters, d_ran, d_finished, errors;
	} c[] = {
		{ "right", 0, 0, 0, 0 },
		{ "run() given fewer", -1, 0, 0, 0 },
		{ "a unit that never ran", 0, -1, 0, 0 },
		{ "a unit that ran twice", 0, 1, 0, 0 },
		{ "a unit not finished", 0, 0, -1, 0 },
		{ "a failed creation", 0, 0, 0, 1 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct spawn_shared *s;
			uint64_t units;

			checks_setup(names[n], 1, (const char *const[]){ "n", "10", NULL }, &st);
			s = st.priv;
			units = CHECKS_RUN * (uint64_t)(s->n ? s->n : 1);
			s->run_iters = CHECKS_RUN + (uint64_t)c[k].d_iters;
			s->ran = units + (uint64_t)c[k].d_ran;
			s->finished = units + (uint64_t)c[k].d_finished;
			s->errors = (uint64_t)c[k].errors;
			checks_expect(&st, CHECKS_BASE, k == 0, c[k].what);
			checks_teardown(&st);
		}
}

Test(checks, spawn_coro_refuses_each_wrong_count, .timeout = 60)
{
	static const char *const names[] = { "spawn.greenlet", "spawn.hub", "spawn.hub.live" };
	static const struct {
		const char *what;
		long d_iters, d_ran, d_finished, errors, d_hub_spawned, d_hub_finished;
	} c[] = {
		{ "right", 0, 0, 0, 0, 0, 0 },
		{ "run() given fewer", -1, 0, 0, 0, 0, 0 },
		{ "a coroutine that never ran", 0, -1, 0, 0, -1, -1 },
		{ "a coroutine that ran twice", 0, 1, 0, 0, 1, 1 },
		{ "a coroutine not finished", 0, 0, -1, 0, 0, 0 },
		{ "a failed park or join", 0, 0, 0, 1, 0, 0 },
		{ "the hub spawned one more", 0, 0, 0, 0, 1, 0 },
		{ "the hub finished one fewer", 0, 0, 0, 0, 0, -1 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct spawn_coro_shared *s;
			uint64_t units;
			int hub = strstr(names[n], "hub") != NULL;

			/* The greenlet has no hub counters to disagree. */
			if (!hub && k >= 6)
				continue;
			checks_setup(names[n], 1, (const char *const[]){ "n", "10", NULL }, &st);
			s = st.priv;
			units = CHECKS_RUN * (uint64_t)(s->n ? s->n : 1);
			s->run_iters = CHECKS_RUN + (uint64_t)c[k].d_iters;
			s->ran = units + (uint64_t)c[k].d_ran;
			s->finished = units + (uint64_t)c[k].d_finished;
			s->errors = (uint64_t)c[k].errors;
			s->hub_spawned = units + (uint64_t)c[k].d_hub_spawned;
			s->hub_finished = units + (uint64_t)c[k].d_hub_finished;
			checks_expect(&st, CHECKS_BASE, k == 0, c[k].what);
			checks_teardown(&st);
		}
}

/* ---- ptc.cpu.*: every unit its share of every job, run and baseline ---- */

Test(checks, ptc_cpu_refuses_each_wrong_count, .timeout = 60)
{
	static const char *const names[] = { "ptc.cpu.thread", "ptc.cpu.gil_thread",
					     "ptc.cpu.coro" };
	static const struct {
		const char *what;
		int unit;
		long d_run, d_base, d_loops, errors;
		unsigned most;
	} c[] = {
		{ "right", 0, 0, 0, 0, 0, 1 },
		{ "a unit given one job fewer", 1, -1, 0, 0, 0, 1 },
		{ "a unit's baseline one job short", 0, 0, -1, 0, 0, 1 },
		{ "a unit's share one loop short", 2, 0, 0, -1, 0, 1 },
		{ "an interpreter run that failed", 0, 0, 0, 0, 1, 1 },
		{ "two units in the baseline at once", 0, 0, 0, 0, 0, 2 },
		{ "a baseline that never counted in", 0, 0, 0, 0, 0, 0 },
	};

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct bench_state st;
			struct ptc_cpu_shared *s;
			const int w = 3;

			checks_setup(names[n], w, NULL, &st);
			s = st.priv;
			for (int u = 0; u < w; u++) {
				uint64_t share = s->job / w + ((uint64_t)u < s->job % w);

				s->unit[u].run_iters = CHECKS_RUN;
				s->unit[u].base_iters = CHECKS_BASE;
				s->unit[u].loops = (CHECKS_RUN + CHECKS_BASE) * share;
			}
			s->unit[c[k].unit].run_iters += (uint64_t)c[k].d_run;
			s->unit[c[k].unit].base_iters += (uint64_t)c[k].d_base;
			s->unit[c[k].unit].loops += (uint64_t)c[k].d_loops;
			s->errors = (uint64_t)c[k].errors;
			s->alone.most = c[k].most;
			checks_expect(&st, CHECKS_BASE, k == 0, c[k].what);
			checks_teardown(&st);
		}
}

/* gil_thread's lock is the lesson's: CPython >= 3.2's policy at its
 * 5 ms switch interval, the one lock the units share. */
Test(checks, ptc_cpu_gil_is_the_lessons_lock, .timeout = 30)
{
	struct bench_state st;
	struct ptc_cpu_shared *s;

	checks_setup("ptc.cpu.gil_thread", 2, NULL, &st);
	s = st.priv;
	cr_assert_not_null(s->gil);
	cr_assert_eq(gil_policy_of(s->gil), GIL_NEW, "policy %s",
		     gil_policy_name(gil_policy_of(s->gil)));
	cr_assert_eq(gil_interval_us(s->gil), 5000);
	checks_teardown(&st);
}

/* ---- ptc.io.*: every request of every quota answered ---------------------- */

Test(checks, ptc_io_refuses_each_wrong_count, .timeout = 60)
{
	static const struct {
		const char *what;
		long d_iters, d_issued, d_answered, errors, too_soon;
	} c[] = {
		{ "right", 0, 0, 0, 0, 0 },
		{ "run() given fewer", -1, 0, 0, 0, 0 },
		{ "a request unanswered", 0, 0, -1, 0, 0 },
		{ "an answer with other bytes", 0, 0, 0, 1, 0 },
		/* quotas that fall short of the iterations, answered in full */
		{ "quotas under the iterations", 0, -30, -30, 0, 0 },
		/* quotas a whole C over, per round: not rounding up */
		{ "quotas over by C a round", 0, 40, 40, 0, 0 },
		{ "an answer sooner than the latency", 0, 0, 0, 0, 1 },
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct bench_state st;
		struct ptc_io_shared *s;

		/* The coroutine carrier: its units come in task_init, so
		 * set up alone it starts only the server. */
		checks_setup("ptc.io.coro", 1, (const char *const[]){ "c", "10", NULL }, &st);
		s = st.priv;
		s->rounds = 4;		/* 4 rounds over C = 10: up to 39 more */
		s->run_iters = CHECKS_RUN + (uint64_t)c[k].d_iters;
		s->issued = CHECKS_RUN + 8 + (uint64_t)c[k].d_issued;
		s->answered = CHECKS_RUN + 8 + (uint64_t)c[k].d_answered;
		s->errors = (uint64_t)c[k].errors;
		s->too_soon = (uint64_t)c[k].too_soon;
		checks_expect(&st, CHECKS_BASE, k == 0, c[k].what);
		checks_teardown(&st);
	}
}

/* ---- the scenes -------------------------------------------------------- */

Test(checks, scenes_refuse_each_wrong_outcome, .timeout = 60)
{
	static const struct {
		const char *what;
		long d_right, wrong;
	} o[] = {
		{ "right", 0, 0 },
		{ "an iteration in another order", -1, 1 },
		{ "an iteration missing", -1, 0 },
	};
	static const struct {
		const char *what, *way;
		long d_iters, d_fetched, errors;
		long slow;		/* iterations of 3 latencies or more */
		double min_lat;		/* the fastest, in latencies */
	} f[] = {
		{ "right", "joinall", 0, 0, 0, 0, 1.0 },
		/* a host that stalled a few rounds: still overlapped */
		{ "right", "joinall", 0, 0, 0, CHECKS_RUN / 2 - 1, 1.0 },
		{ "right", "sequential", 0, 0, 0, CHECKS_RUN, 3.0 },
		{ "a fetch missing", "joinall", 0, -1, 0, 0, 1.0 },
		{ "a failed fetch", "sequential", 0, 0, 1, CHECKS_RUN, 3.0 },
		{ "run() given fewer", "joinall", -1, -3, 0, 0, 1.0 },
		{ "joinall without overlap", "joinall", 0, 0, 0, CHECKS_RUN, 1.0 },
		{ "joinall, half without overlap", "joinall", 0, 0, 0, CHECKS_RUN / 2, 1.0 },
		{ "sequential that overlapped", "sequential", 0, 0, 0, CHECKS_RUN, 2.9 },
	};

	for (size_t k = 0; k < sizeof(o) / sizeof(o[0]); k++) {
		struct bench_state st;
		struct ptc_order_shared *s;

		checks_setup("ptc.scene.greenlet_order", 1, NULL, &st);
		s = st.priv;
		s->right = CHECKS_RUN + (uint64_t)o[k].d_right;
		s->wrong = (uint64_t)o[k].wrong;
		checks_expect(&st, CHECKS_BASE, k == 0, o[k].what);
		checks_teardown(&st);
	}
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		struct bench_state st;
		struct ptc_fetch_shared *s;

		checks_setup("ptc.scene.fetch3", 1, (const char *const[]){ "way", f[k].way, NULL }, &st);
		s = st.priv;
		s->iters = CHECKS_RUN + (uint64_t)f[k].d_iters;
		s->fetched = 3 * CHECKS_RUN + (uint64_t)f[k].d_fetched;
		s->errors = (uint64_t)f[k].errors;
		s->slow = (uint64_t)f[k].slow;
		s->min_ns = (uint64_t)(f[k].min_lat * (double)s->latency_ns);
		checks_expect(&st, CHECKS_BASE, strcmp(f[k].what, "right") == 0, f[k].what);
		checks_teardown(&st);
	}
}

/* ---- spawn_report_mem (bench/spawn.h): the growth over n units, each
 * figure from its own field ---- */

struct spawn_mem_seen {
	int reported[SPAWN_NVALUES];
	double value[SPAWN_NVALUES];
};

static void spawn_mem_report(const struct bench_mem *a, const struct bench_mem *b, long n,
			     int pss, struct spawn_mem_seen *seen)
{
	static const struct bench_desc d = { .name = "spawn.test" };
	struct bench_state st = { .desc = &d, .ntasks = 1 };
	struct bench_rec rec = { 0 };
	struct bench_task t = { .st = &st, .id = 0, .rec = &rec };

	spawn_report_mem(&t, a, b, n, pss);
	for (int i = 0; i < SPAWN_NVALUES; i++) {
		seen->reported[i] = rec.reported[i];
		seen->value[i] = rec.value[i];
	}
}

/*
 * Four fields grow by four different amounts over n = 8 units, so each
 * figure has one right answer: a figure read from another field, not
 * divided by n (or by n - 1), or the PSS and RSS swapped, gives another
 * number.  Where the cgroup could not be read (-1) its two figures are
 * not reported (never a growth from -1); where the resident size asked
 * for is missing, no resident figure (PSS does not fall back to RSS).
 */
Test(checks, spawn_report_mem_reports_each_growth_per_unit, .timeout = 10)
{
	const struct bench_mem a = { .charged = 1000000, .kmem = 300000, .rss = 5000000,
				     .pss = 7000000 };
	const struct bench_mem b = { .charged = 1000000 + 8 * 16384, .kmem = 300000 + 8 * 4096,
				     .rss = 5000000 + 8 * 12288, .pss = 7000000 + 8 * 8192 };
	struct bench_mem a_nocg = a, b_nocg = b, a_nopss = a;
	struct spawn_mem_seen s;

	spawn_mem_report(&a, &b, 8, 0, &s);
	cr_assert(s.reported[SPAWN_CHARGED_PER_UNIT] && s.reported[SPAWN_KMEM_PER_UNIT] &&
		  s.reported[SPAWN_RESIDENT_PER_UNIT]);
	cr_assert_eq(s.value[SPAWN_CHARGED_PER_UNIT], 16384.0, "charged %g",
		     s.value[SPAWN_CHARGED_PER_UNIT]);
	cr_assert_eq(s.value[SPAWN_KMEM_PER_UNIT], 4096.0, "kmem %g", s.value[SPAWN_KMEM_PER_UNIT]);
	cr_assert_eq(s.value[SPAWN_RESIDENT_PER_UNIT], 12288.0, "resident (rss) %g",
		     s.value[SPAWN_RESIDENT_PER_UNIT]);

	spawn_mem_report(&a, &b, 8, 1, &s);
	cr_assert_eq(s.value[SPAWN_CHARGED_PER_UNIT], 16384.0);
	cr_assert_eq(s.value[SPAWN_RESIDENT_PER_UNIT], 8192.0, "resident (pss) %g",
		     s.value[SPAWN_RESIDENT_PER_UNIT]);

	/* A growth that is not a whole number of bytes per unit stays exact. */
	spawn_mem_report(&a, &b, 3, 0, &s);
	cr_assert_float_eq(s.value[SPAWN_CHARGED_PER_UNIT], 8.0 * 16384 / 3, 1e-9);

	a_nocg.charged = a_nocg.kmem = -1;
	b_nocg.charged = b_nocg.kmem = -1;
	spawn_mem_report(&a_nocg, &b_nocg, 8, 0, &s);
	cr_assert(!s.reported[SPAWN_CHARGED_PER_UNIT] && !s.reported[SPAWN_KMEM_PER_UNIT],
		  "a figure of a cgroup that could not be read");
	cr_assert(s.reported[SPAWN_RESIDENT_PER_UNIT]);
	cr_assert_eq(s.value[SPAWN_RESIDENT_PER_UNIT], 12288.0);

	a_nopss.pss = -1;
	spawn_mem_report(&a_nopss, &b, 8, 1, &s);
	cr_assert(!s.reported[SPAWN_RESIDENT_PER_UNIT],
		  "pss asked for but not read, and a resident figure reported (%g)",
		  s.value[SPAWN_RESIDENT_PER_UNIT]);
	cr_assert(s.reported[SPAWN_CHARGED_PER_UNIT]);
}
