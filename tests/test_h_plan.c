/*
 * tests/test_h_plan.c - what the planner generates and how a row's noise
 * is judged: no configuration of a sweep's own choosing is skipped by
 * construction (one task for a queue, a FIFO spinner over-subscribed),
 * one the user asks for is said skipped with its reason, and the noise
 * rule weighs a median's interval against the figure's own scale.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/engine.h"
#include "harness/report_warn.h"
#include "harness/topo.h"
#include "primitives/lock.h"
#include "tests/check.h"

/* Plan `run ARGS...`; the plan, which the caller frees. */
static struct engine_plan *plan_of(int argc, char **argv)
{
	static struct cli_args a;
	struct engine_defaults d = { 0 };
	struct engine_plan *p = NULL;
	char err[600];

	cr_assert_eq(topo_init(), 0);
	memset(&a, 0, sizeof(a));
	cr_assert_eq(cli_parse(CLI_RUN, argc, argv, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(engine_plan(&a, &d, &p, err, sizeof(err)), 0, "%s", err);
	cli_args_free(&a);
	return p;
}

/* How many of p's configurations are skipped before they run; the first
 * one's key in what. */
static int plan_skipped(const struct engine_plan *p, char *what, size_t len)
{
	int n = 0;

	for (int i = 0; i < engine_plan_size(p); i++)
		if (engine_job_skip(p, i) && n++ == 0) {
			engine_job_key(p, i, what, len);
			snprintf(what + strlen(what), len - strlen(what), ": %s",
				 engine_job_skip(p, i));
		}
	return n;
}

/* The quick and full sweeps' plans and the lock family over every policy
 * and twice the processors: nothing skipped by construction.  On one
 * processor a queue has no task count of its own choosing that fits, and
 * says so instead of vanishing. */
Test(plan, defaults_are_never_unfit, .timeout = 60)
{
	char *quick[] = { "*", "--quick" };
	char *locks[] = { "lock.ticket", "lock.mcs", "lock.clh", "--param", "policy=yield,spin" };
	char *all[] = { "*" };
	char *full[] = { "*", "--full" };
	char *const *cases[] = { quick, locks, all, full };
	int argc[] = { 2, 5, 1, 2 };
	struct topo_summary s;
	char what[700];

	cr_assert_eq(topo_init(), 0);
	topo_summarize(&s);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct engine_plan *p = plan_of(argc[c], (char **)cases[c]);
		int n = plan_skipped(p, what, sizeof(what));

		if (s.pus >= 2)
			cr_assert_eq(n, 0, "case %zu: %d of %d configurations skipped, e.g. %s", c, n,
				     engine_plan_size(p), what);
		engine_plan_free(p);
	}
}

/* A shape the user asked for stays in the plan, skipped with the
 * workload's reason, so that the user learns why. */
Test(plan, asked_for_unfit_is_skipped_with_reason, .timeout = 60)
{
	char *queue[] = { "queue.fifo", "--threads", "1,2", "--mode", "thread", "--quick" };
	char *cond[] = { "sync.cond", "--threads", "1", "--mode", "thread", "--quick" };
	struct engine_plan *p;
	char what[700];

	p = plan_of(6, queue);
	cr_assert_eq(plan_skipped(p, what, sizeof(what)), 2, "%s", what);	/* two loads */
	cr_assert(strstr(what, "queue.fifo thread none 1 ") && strstr(what, "a producer and a "
		  "consumer"), "%s", what);
	cr_assert_eq(engine_plan_size(p), 4);
	engine_plan_free(p);
	p = plan_of(6, cond);
	cr_assert_eq(plan_skipped(p, what, sizeof(what)), engine_plan_size(p));
	cr_assert(strstr(what, "needs a waiter"), "%s", what);
	engine_plan_free(p);
}

/* The full sweep's queues: rings only bounded, unbounded queues (which
 * grow with malloc) only as threads; the rest of the capacities in both
 * modes. */
Test(plan, full_queues_only_where_they_apply, .timeout = 60)
{
	char *argv[] = { "queue.*", "--full" };
	struct engine_plan *p = plan_of(2, argv);
	int unbounded_threads = 0, bounded_procs = 0;
	char key[700];

	for (int i = 0; i < engine_plan_size(p); i++) {
		int unbounded;

		engine_job_key(p, i, key, sizeof(key));
		unbounded = strstr(key, " capacity=0;") != NULL;
		cr_assert(!(unbounded && strncmp(key, "queue.ck_", 9) == 0), "a ring unbounded: %s",
			  key);
		cr_assert(!(unbounded && strstr(key, " process ")), "unbounded in processes: %s",
			  key);
		unbounded_threads += unbounded;
		bounded_procs += !unbounded && strstr(key, " process ") != NULL;
	}
	cr_assert_gt(unbounded_threads, 0);
	cr_assert_gt(bounded_procs, 0);
	engine_plan_free(p);
}

/* lock_list.h's shared column, read independently of the workloads. */
#define PLAN_SHARED_shared 1
#define PLAN_SHARED_private 0
static const struct { const char *name; int shared; } plan_locks[] = {
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, summary) \
	{ "lock." #v, PLAN_SHARED_##shared },
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
};

/* The full sweep runs every lock in both modes except the ones that
 * cannot live in shared memory, which it never plans as processes. */
Test(plan, full_runs_unshareable_locks_as_threads_only, .timeout = 60)
{
	char *argv[] = { "lock.*", "--full" };
	struct engine_plan *p = plan_of(2, argv);
	int threads[64] = { 0 }, procs[64] = { 0 };
	size_t n = sizeof(plan_locks) / sizeof(plan_locks[0]);
	char key[700];

	cr_assert_leq(n, 64);
	for (int i = 0; i < engine_plan_size(p); i++) {
		engine_job_key(p, i, key, sizeof(key));
		for (size_t k = 0; k < n; k++) {
			size_t len = strlen(plan_locks[k].name);

			if (strncmp(key, plan_locks[k].name, len) || key[len] != ' ')
				continue;
			threads[k] += strncmp(key + len, " thread ", 8) == 0;
			procs[k] += strncmp(key + len, " process ", 9) == 0;
		}
	}
	for (size_t k = 0; k < n; k++) {
		cr_assert_gt(threads[k], 0, "%s never planned as threads", plan_locks[k].name);
		if (plan_locks[k].shared)
			cr_assert_gt(procs[k], 0, "%s never planned as processes",
				     plan_locks[k].name);
		else
			cr_assert_eq(procs[k], 0, "%s cannot be process-shared, yet planned as "
				     "processes %d times", plan_locks[k].name, procs[k]);
	}
	engine_plan_free(p);
}

/* The noise rule, by known answers. */
/*
 * --full: a workload of any task count runs 1 .. twice the processors,
 * compact and scatter where the tasks fit the processors, unpinned
 * beyond; a fixed-count one keeps its own placements; a placement that
 * would put the tasks where an earlier one does is measured once; and
 * --full with --quick is refused.
 */
Test(plan, full_places_every_task_count, .timeout = 60)
{
	char *argv[] = { "lock.mutex", "ctx.thread.futex", "--full", "--mode", "thread" };
	char *both[] = { "lock.mutex", "--full", "--quick" };
	static struct cli_args a;
	struct engine_defaults d = { 0 };
	struct topo_summary s;
	struct engine_plan *p = plan_of(5, argv);
	int seen[3][64] = { { 0 } }, cross = 0, same = 0;
	char key[700], err[600];

	topo_summarize(&s);
	for (int i = 0; i < engine_plan_size(p); i++) {
		char bench[64], mode[16], place[32], params[256] = "";
		int tasks;

		engine_job_key(p, i, key, sizeof(key));
		cr_assert_geq(sscanf(key, "%63s %15s %31s %d %255s", bench, mode, place, &tasks,
				     params), 4, "%s", key);
		if (strcmp(bench, "ctx.thread.futex") == 0) {
			cross += strcmp(place, "cross-core") == 0;
			same += strcmp(place, "same-core") == 0;
			continue;
		}
		cr_assert_lt(tasks, 64);
		if (strcmp(place, "none") == 0) {
			cr_assert_gt(tasks, (int)s.pus, "%s: unpinned within the processors", key);
			seen[2][tasks]++;
		} else {
			cr_assert_leq(tasks, (int)s.pus, "%s: pinned beyond the processors", key);
			seen[strcmp(place, "scatter") == 0][tasks]++;
		}
	}
	cr_assert_eq(same, 1, "ctx keeps its own placements");
	cr_assert_eq(cross, s.pus >= 2, "ctx keeps its own placements");
	/* every task count from 1 to 2 x processors, each cs_ns once per
	 * placement that places it differently */
	for (int t = 1; t <= 2 * (int)s.pus && t < 64; t++) {
		int placed = seen[0][t] + seen[1][t] + seen[2][t];

		/* the default counts: powers of two, the processors, twice them */
		if (((t & (t - 1)) || t > (int)s.pus) && t != (int)s.pus && t != 2 * (int)s.pus)
			continue;
		cr_assert_gt(placed, 0, "%d tasks never placed", t);
		cr_assert_eq(placed % 3, 0, "%d tasks: %d configurations, not per cs_ns", t, placed);
		if (t > (int)s.pus)
			continue;
		/* scatter runs only where it places otherwise than compact */
		struct cli_args pa;
		char *spec[] = { "--placement=compact,scatter" };
		int c[64], sc[64];

		memset(&pa, 0, sizeof(pa));
		cr_assert_eq(cli_parse(CLI_RUN, 1, spec, &pa, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(topo_place(&pa.place[0], t, c, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(topo_place(&pa.place[1], t, sc, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(seen[0][t], 3, "%d tasks: compact %d times", t, seen[0][t]);
		cr_assert_eq(seen[1][t], memcmp(c, sc, sizeof(int) * (size_t)t) ? 3 : 0,
			     "%d tasks: scatter %d times", t, seen[1][t]);
		cli_args_free(&pa);
	}
	engine_plan_free(p);

	memset(&a, 0, sizeof(a));
	cr_assert_eq(cli_parse(CLI_RUN, 3, both, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(engine_plan(&a, &d, &p, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "--quick and --full"), "%s", err);
	cli_args_free(&a);
}

Test(plan, noise_is_the_interval_against_the_figure_scale, .timeout = 30)
{
	const struct bench_metric cost = { .name = "op", .unit = "ns", .kind = BENCH_NS_PER_OP };
	const struct bench_metric share = { .name = "share_min", .unit = "ratio",
					    .kind = BENCH_SHARE_MIN };
	const struct bench_metric rshare = { .name = "cpu_share_min", .unit = "ratio",
					     .kind = BENCH_REPORTED,
					     .combine = BENCH_COMBINE_SHARE_MIN };
	const struct bench_metric p50 = { .name = "wait_p50", .unit = "ns", .kind = BENCH_LATENCY,
					  .stat = BENCH_LAT_P50 };
	const struct bench_metric p99 = { .name = "wait_p99", .unit = "ns", .kind = BENCH_LATENCY,
					  .stat = BENCH_LAT_P99 };
	double w = -1;

	/* 100 ns, interval 96..104: +-4 % of the median, quiet */
	struct stats_summary s = { .n = 5, .median = 100, .ci95_lo = 96, .ci95_hi = 104 };
	cr_assert_eq(report_noisy(&cost, &s, &w), 0);
	/* 94..106: +-6 %, noisy, and the width is said */
	s.ci95_lo = 94;
	s.ci95_hi = 106;
	cr_assert_eq(report_noisy(&cost, &s, &w), 1);
	cr_assert_float_eq(w, 0.06, 1e-12);
	cr_assert_eq(report_noisy(&p50, &s, &w), 1);
	/* a tail is never noise: the p50 row carries its distribution's */
	cr_assert_eq(report_noisy(&p99, &s, &w), 0);
	/* a share of 0.02 ranging 0.01..0.05: 100 % of itself, but +-2 % of a
	 * fair share, which is its scale */
	struct stats_summary sh = { .n = 5, .median = 0.02, .ci95_lo = 0.01, .ci95_hi = 0.05 };
	cr_assert_eq(report_noisy(&share, &sh, &w), 0);
	cr_assert_float_eq(w, 0.02, 1e-12);
	cr_assert_eq(report_noisy(&rshare, &sh, &w), 0);
	cr_assert_eq(report_noisy(&cost, &sh, &w), 1);
	/* 0.2..0.9: +-35 % of a fair share, noisy */
	sh.ci95_lo = 0.2;
	sh.ci95_hi = 0.9;
	cr_assert_eq(report_noisy(&share, &sh, &w), 1);
	/* a rate is its cost's inverse, one measurement: warned on once, on
	 * the cost row; a rate of other events, or with no cost, on its own */
	const struct bench_metric lock[] = {
		{ .name = "throughput", .unit = "ops/s", .kind = BENCH_OPS_PER_SEC, .per_iter = 1 },
		{ .name = "acquire_release", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 1 },
		{ .name = "switch", .unit = "ns", .kind = BENCH_NS_PER_OP, .per_iter = 2 },
		{ .name = NULL },
	};
	const struct bench_metric rate2 = { .name = "x", .unit = "ops/s",
					    .kind = BENCH_OPS_PER_SEC, .per_iter = 2 };
	const struct bench_metric rate3 = { .name = "y", .unit = "ops/s",
					    .kind = BENCH_OPS_PER_SEC, .per_iter = 3 };
	cr_assert_eq(report_inverse_of(lock, &lock[0]), &lock[1]);
	cr_assert_null(report_inverse_of(lock, &lock[1]));
	cr_assert_eq(report_inverse_of(lock, &rate2), &lock[2]);
	cr_assert_null(report_inverse_of(lock, &rate3));
	/* a zero median is the not-resolved warning's, not this one's */
	struct stats_summary z = { .n = 5, .median = 0, .ci95_lo = -1, .ci95_hi = 1 };
	cr_assert_eq(report_noisy(&cost, &z, &w), 0);
}

/* The task counts of p's configurations in key order, as "1,2,3". */
static void plan_tasks(const struct engine_plan *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < engine_plan_size(p) && off + 16 < len; i++) {
		char key[700], bench[64], mode[16], place[32];
		int tasks;

		engine_job_key(p, i, key, sizeof(key));
		cr_assert_eq(sscanf(key, "%63s %15s %31s %d", bench, mode, place, &tasks), 4, "%s",
			     key);
		off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", tasks);
	}
}

/*
 * What fn writes into got, computed in a child on a machine hwloc makes
 * up (HWLOC_SYNTHETIC=machine): hwloc loads the machine once a process.
 */
static void plan_in_child(const char *machine, void (*fn)(const void *arg, char *out, size_t len),
			  const void *arg, char *got, size_t len)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		setenv("HWLOC_SYNTHETIC", machine, 1);
		fn(arg, got, len);
		_exit(write(fds[1], got, strlen(got)) == (ssize_t)strlen(got) ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], got, len - 1);
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the planner failed", machine);
	got[n > 0 ? n : 0] = '\0';
}

/* The default task counts, then those of --threads max, as "1,2,3 3". */
static void plan_default_and_max(const void *arg, char *out, size_t len)
{
	char *def[] = { "selftest.spin", "--mode", "thread", "--placement", "none" };
	char *max[] = { "selftest.spin", "--mode", "thread", "--placement", "none", "--threads",
			"max" };
	struct engine_plan *p;
	char one[128];

	(void)arg;
	p = plan_of(5, def);
	plan_tasks(p, out, len);
	engine_plan_free(p);
	p = plan_of(7, max);
	plan_tasks(p, one, sizeof(one));
	engine_plan_free(p);
	snprintf(out + strlen(out), len - strlen(out), " %s", one);
}

/*
 * The task counts a run picks by itself, known answers on machines hwloc
 * makes up: the powers of two up to the processors, then the processors
 * themselves where they are not a power of two (3 PUs: 1,2,3; 8: 1,2,4,8);
 * --threads max is every processor alone.  This 2-PU machine cannot tell
 * the processor count from its last power of two.
 */
Test(plan, default_task_counts_on_made_up_machines, .timeout = 60)
{
	static const struct { const char *machine, *def, *max; } c[] = {
		{ "pack:1 core:3 pu:1", "1,2,3", "3" },
		{ "pack:2 numa:1 core:2 pu:2", "1,2,4,8", "8" },
		{ "pack:1 core:6 pu:1", "1,2,4,6", "6" },
	};
	char got[256], want[128];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		plan_in_child(c[i].machine, plan_default_and_max, NULL, got, sizeof(got));
		snprintf(want, sizeof(want), "%s %s", c[i].def, c[i].max);
		cr_assert_str_eq(got, want, "%s: default task counts, then --threads max",
				 c[i].machine);
	}
}

/* The distinct task counts of p's configurations, ascending, as "1,2,6";
 * and the distinct modes seen, as "thread process". */
static void plan_shape(const struct engine_plan *p, char *tasks, size_t tlen, char *modes,
		       size_t mlen)
{
	int seen[1024] = { 0 }, th = 0, pr = 0;
	size_t off = 0;

	for (int i = 0; i < engine_plan_size(p); i++) {
		char key[700], bench[64], mode[16], place[32];
		int n;

		engine_job_key(p, i, key, sizeof(key));
		cr_assert_eq(sscanf(key, "%63s %15s %31s %d", bench, mode, place, &n), 4, "%s", key);
		cr_assert(n > 0 && n < 1024, "%s", key);
		seen[n] = 1;
		th |= !strcmp(mode, "thread");
		pr |= !strcmp(mode, "process");
	}
	tasks[0] = '\0';
	for (int n = 1; n < 1024 && off + 8 < tlen; n++)
		if (seen[n])
			off += (size_t)snprintf(tasks + off, tlen - off, "%s%d", off ? "," : "", n);
	snprintf(modes, mlen, "%s%s%s", th ? "thread" : "", th && pr ? " " : "",
		 pr ? "process" : "");
}

/* A planner case: run ARGV..., and the task counts and modes it gives. */
struct plan_case {
	int argc;
	char *argv[8];
	const char *tasks, *modes;
};

/* plan_shape of a plan_case's plan, as "1,2,6 thread process". */
static void plan_shape_of(const void *arg, char *out, size_t len)
{
	const struct plan_case *c = arg;
	struct engine_plan *p = plan_of(c->argc, (char **)c->argv);
	char tasks[128], modes[32];

	plan_shape(p, tasks, sizeof(tasks), modes, sizeof(modes));
	engine_plan_free(p);
	snprintf(out, len, "%s %s", tasks, modes);
}

/*
 * On a made-up machine of 3 processors (a child each, as hwloc loads
 * once a process): the workloads that ask for it also run over-subscribed
 * at twice the processors (lock.*: 1,2,3 and 6, what the lesson's
 * lock-collapse claim reads), ptc.cpu.* also at its 100 tasks, none when
 * --threads is given; --quick keeps lock.* to threads unless --mode says
 * otherwise.
 */
Test(plan, over_subscription_and_quick_modes_on_a_made_up_machine, .timeout = 60)
{
	static const struct plan_case c[] = {
		{ 3, { "lock.mutex", "--mode", "thread" }, "1,2,3,6", "thread" },
		{ 5, { "lock.mutex", "--mode", "thread", "--threads", "2" }, "2", "thread" },
		{ 1, { "ptc.cpu.thread" }, "1,2,3,6,100", "thread" },
		{ 3, { "selftest.spin", "--mode", "thread" }, "1,2,3", "thread" },
		{ 5, { "lock.mutex", "--quick", "--threads", "1", "--placement=none" },
		  "1", "thread" },
		{ 4, { "lock.mutex", "--threads", "1", "--placement=none" }, "1", "thread process" },
		{ 6, { "lock.mutex", "--quick", "--mode", "process", "--threads", "1" }, "1",
		  "process" },
	};
	char got[256], want[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		plan_in_child("pack:1 core:3 pu:1", plan_shape_of, &c[i], got, sizeof(got));
		snprintf(want, sizeof(want), "%s %s", c[i].tasks, c[i].modes);
		cr_assert_str_eq(got, want, "case %zu (%s): task counts and modes", i, c[i].argv[0]);
	}
}

/*
 * The time a plan expects, a known answer: per configuration 4 rounds
 * before the measured ones, then --reps of them, as many again for a
 * workload with latency figures, 3 more when counters are counted, each
 * --min-time long, doubled where a baseline round follows each, plus
 * 0.3 s; nothing for a configuration dropped.
 */
Test(plan, expected_time_known_answers, .timeout = 30)
{
	static const struct { int argc; char *argv[10]; double plain, counted; } c[] = {
		{ 9, { "selftest.spin", "--threads", "1", "--mode", "thread", "--reps", "3",
		       "--min-time", "0.1" }, 1.0, 1.3 },
		{ 9, { "selftest.record", "--threads", "1", "--mode", "thread", "--reps", "3",
		       "--min-time", "0.1" }, 1.3, 1.6 },
		{ 9, { "ctx.coro.asm", "--param", "ws_kb=0", "--reps", "3", "--min-time", "0.1",
		       "--placement", "same-core" }, 1.7, 2.3 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct engine_plan *p = plan_of(c[i].argc, (char **)c[i].argv);

		cr_assert_eq(engine_plan_size(p), 1, "%s", c[i].argv[0]);
		cr_assert_float_eq(engine_plan_expect_s(p, 0), c[i].plain, 1e-9, "%s: %g s",
				   c[i].argv[0], engine_plan_expect_s(p, 0));
		cr_assert_float_eq(engine_plan_expect_s(p, 1), c[i].counted, 1e-9, "%s counted: %g s",
				   c[i].argv[0], engine_plan_expect_s(p, 1));
		engine_plan_drop(p, 0);
		cr_assert_float_eq(engine_plan_expect_s(p, 0), 0, 1e-12);
		cr_assert_eq(engine_plan_todo(p), 0);
		engine_plan_free(p);
	}
}
