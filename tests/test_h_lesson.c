/*
 * tests/test_h_lesson.c - the lesson's rules (harness/lesson.c) on
 * fixture results: tests/fixtures/lesson/holds.csv, where every claim
 * holds; fails.csv, where every claim's rows say the opposite; and
 * holds.csv with one rule's rows taken out, where that rule alone is not
 * measured and names what it needed.  The medians are made up to sit on
 * each side of each rule's threshold; nothing here is timed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/csv.h"
#include "harness/lesson.h"
#include "tests/check.h"
#include "tests/h_util.h"

/* The folder of the fixtures: found above the contend binary (build/,
 * build/tsan/ or build/asan/ all sit inside the source tree). */
static void lesson_fixture(const char *name, char *path, size_t len)
{
	char dir[PATH_MAX];

	cr_assert(realpath(cli_bin(), dir), "no contend binary at %s", cli_bin());
	for (int up = 0; up < 6; up++) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			break;
		*slash = '\0';
		snprintf(path, len, "%.3800s/tests/fixtures/lesson/%.100s", dir, name);
		if (access(path, R_OK) == 0)
			return;
	}
	cr_assert_fail("tests/fixtures/lesson/%s not found above %s", name, cli_bin());
}

/* Which rows each rule reads: a benchmark whose lines, taken out of
 * holds.csv, leave that rule alone without its rows. */
static const struct {
	const char *id, *bench;
} lesson_needs[] = {
	{ "gil_cpu", ",gil.cpu," },
	{ "gil_io", ",gil.io," },
	{ "convoy", ",gil.convoy," },
	{ "convoy_cpython", ",gil.cpython.convoy," },
	{ "gil_old_cores", ",gil.cores," },
	{ "coro_memory", ",ptc.io.coro," },
	{ "pool", ",pool.thread_per_task," },
	{ "switch", ",ctx.process." },
	{ "manager", ",shm.manager," },
	{ "lock_collapse", ",lock.mutex," },
};

static int lesson_index(const char *id)
{
	for (int i = 0; i < lesson_nrules; i++)
		if (!strcmp(lesson_rules[i].id, id))
			return i;
	cr_assert_fail("no rule %s", id);
	return -1;
}

static void lesson_judge(const char *path, int ncpus, struct lesson_verdict *v)
{
	struct csv_table t;
	size_t line = 0;

	cr_assert_eq(csv_read(path, &t, &line), 0, "%s:%zu unreadable", path, line);
	lesson_check(&t, ncpus, v);
	csv_table_free(&t);
}

/* Every claim of the issue has a rule, and each rule is tested here. */
Test(lesson, every_claim_has_a_rule_and_a_fixture, .timeout = 10)
{
	cr_assert_eq(lesson_nrules, (int)(sizeof(lesson_needs) / sizeof(lesson_needs[0])));
	for (int i = 0; i < lesson_nrules; i++) {
		cr_assert(lesson_rules[i].claim[0] && lesson_rules[i].rows[0] &&
			  lesson_rules[i].check, "rule %d", i);
		cr_assert_eq(lesson_index(lesson_needs[i].id), i);
	}
}

Test(lesson, every_rule_holds_on_rows_that_say_so, .timeout = 10)
{
	struct lesson_verdict v[64];
	char path[PATH_MAX];

	lesson_fixture("holds.csv", path, sizeof(path));
	lesson_judge(path, 2, v);
	for (int i = 0; i < lesson_nrules; i++)
		cr_assert_eq(v[i].state, LESSON_HOLDS, "%s: %s: %s", lesson_rules[i].id,
			     lesson_state_name(v[i].state), v[i].figures);
	/* The figures are the rows' own. */
	cr_assert(strstr(v[lesson_index("gil_cpu")].figures, "1.20") &&
		  strstr(v[lesson_index("gil_cpu")].figures, "0.52"), "%s",
		  v[lesson_index("gil_cpu")].figures);
	cr_assert(strstr(v[lesson_index("convoy")].figures, "10.4 ms"), "%s",
		  v[lesson_index("convoy")].figures);
	/* The pool is judged at the shortest tasks, where it wins; at 1 ms
	 * a thread per task is ahead in the fixture and must not count. */
	cr_assert(strstr(v[lesson_index("pool")].figures, "task_us=10:"), "%s",
		  v[lesson_index("pool")].figures);
	cr_assert(strstr(v[lesson_index("coro_memory")].figures, "1000 connections"), "%s",
		  v[lesson_index("coro_memory")].figures);
}

Test(lesson, every_rule_fails_on_rows_that_say_otherwise, .timeout = 10)
{
	struct lesson_verdict v[64];
	char path[PATH_MAX];

	lesson_fixture("fails.csv", path, sizeof(path));
	lesson_judge(path, 2, v);
	for (int i = 0; i < lesson_nrules; i++) {
		cr_assert_eq(v[i].state, LESSON_FAILS, "%s: %s: %s", lesson_rules[i].id,
			     lesson_state_name(v[i].state), v[i].figures);
		cr_assert(strpbrk(v[i].figures, "0123456789"), "%s gives no figures: %s",
			  lesson_rules[i].id, v[i].figures);
	}
	/* Intervals that overlap are not "slower" or "dearer". */
	cr_assert(strstr(v[lesson_index("gil_old_cores")].figures, "overlap"), "%s",
		  v[lesson_index("gil_old_cores")].figures);
	cr_assert(strstr(v[lesson_index("switch")].figures, "overlap"), "%s",
		  v[lesson_index("switch")].figures);
}

/* The rules with two sides fail on either: fails.csv breaks one side
 * (processes that do not speed up, a process switch not told apart from
 * a thread's, a spinning lock that keeps up), fails-other.csv the other
 * (threads that speed up, a coroutine switch not far below, a sleeping
 * lock that collapses too).  And the old GIL's two intervals overlap in
 * both, but in fails-other.csv the two-core median lies above the whole
 * one-core interval: still not told apart. */
Test(lesson, a_two_sided_rule_fails_on_either_side, .timeout = 10)
{
	static const char *const ids[] = { "gil_cpu", "switch", "lock_collapse", "gil_old_cores" };
	struct lesson_verdict v[64];
	char path[PATH_MAX];

	lesson_fixture("fails-other.csv", path, sizeof(path));
	lesson_judge(path, 2, v);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int k = lesson_index(ids[i]);

		cr_assert_eq(v[k].state, LESSON_FAILS, "%s: %s: %s", ids[i],
			     lesson_state_name(v[k].state), v[k].figures);
	}
}

/* Each rule without its rows is not measured, names them, and leaves
 * every other rule's verdict alone. */
Test(lesson, a_rule_without_its_rows_is_not_measured, .timeout = 20)
{
	char path[PATH_MAX], tmp[64], cut[PATH_MAX + 16], line[1024];

	lesson_fixture("holds.csv", path, sizeof(path));
	cli_tmpdir(tmp, sizeof(tmp));
	snprintf(cut, sizeof(cut), "%s/cut.csv", tmp);
	for (int i = 0; i < lesson_nrules; i++) {
		struct lesson_verdict v[64];
		FILE *in = fopen(path, "r"), *out = fopen(cut, "w");
		int k = lesson_index(lesson_needs[i].id), dropped = 0;

		cr_assert(in && out);
		while (fgets(line, sizeof(line), in))
			if (strstr(line, lesson_needs[i].bench))
				dropped++;
			else
				fputs(line, out);
		fclose(in);
		fclose(out);
		cr_assert_gt(dropped, 0, "%s: no %s rows in holds.csv", lesson_needs[i].id,
			     lesson_needs[i].bench);
		lesson_judge(cut, 2, v);
		cr_assert_eq(v[k].state, LESSON_UNMEASURED, "%s: %s: %s", lesson_needs[i].id,
			     lesson_state_name(v[k].state), v[k].figures);
		cr_assert(strstr(v[k].figures, "needs"), "%s: %s", lesson_needs[i].id,
			  v[k].figures);
		for (int j = 0; j < lesson_nrules; j++)
			cr_assert(j == k || v[j].state == LESSON_HOLDS, "without %s rows, %s: %s",
				  lesson_needs[i].bench, lesson_rules[j].id, v[j].figures);
	}
	cli_rmdir(tmp);
}

/* Rules that need the processor count say so when env.csv gave none;
 * a file without contend's columns (or with medians that are not
 * numbers) measures nothing. */
Test(lesson, no_processor_count_or_no_columns_is_not_measured, .timeout = 10)
{
	struct lesson_verdict v[64];
	char path[PATH_MAX], tmp[64], bad[PATH_MAX + 16];

	lesson_fixture("holds.csv", path, sizeof(path));
	lesson_judge(path, 0, v);
	cr_assert_eq(v[lesson_index("gil_cpu")].state, LESSON_UNMEASURED);
	cr_assert_eq(v[lesson_index("lock_collapse")].state, LESSON_UNMEASURED);
	cr_assert_eq(v[lesson_index("gil_io")].state, LESSON_HOLDS);

	cli_tmpdir(tmp, sizeof(tmp));
	snprintf(bad, sizeof(bad), "%s/r.csv", tmp);
	cli_write_str(bad, "run_id,bench,metric\nr1,gil.cpu,time_vs_sequential\n");
	lesson_judge(bad, 2, v);
	for (int i = 0; i < lesson_nrules; i++)
		cr_assert_eq(v[i].state, LESSON_UNMEASURED, "%s", lesson_rules[i].id);
	cli_write_str(bad, "run_id,bench,mode,placement,threads,params,metric,unit,median\n"
			   "r1,gil.io,thread,none,4,gil=new,time_vs_sequential,ratio,\n");
	lesson_judge(bad, 2, v);
	cr_assert_eq(v[lesson_index("gil_io")].state, LESSON_UNMEASURED);
	cli_rmdir(tmp);
}

/*
 * `contend plot` sums the verdicts up on stderr, each count the claims
 * in that state: every claim failing (fails.csv), every one holding
 * (holds.csv), and holds.csv without one rule's rows: that one not
 * measured, the rest holding.
 */
Test(lesson, plot_counts_each_verdict, .timeout = 60)
{
	static struct cli_run r;
	char fails[PATH_MAX], holds[PATH_MAX], dir[64], run[128], path[192], want[160];
	char line[1024];
	FILE *in, *out;

	lesson_fixture("fails.csv", fails, sizeof(fails));
	lesson_fixture("holds.csv", holds, sizeof(holds));
	cli_tmpdir(dir, sizeof(dir));
	for (int c = 0; c < 3; c++) {
		snprintf(run, sizeof(run), "%s/run%d", dir, c);
		cr_assert_eq(mkdir(run, 0755), 0);
		snprintf(path, sizeof(path), "%s/env.csv", run);
		cli_write_str(path, "key,value\npus,2\n");
		snprintf(path, sizeof(path), "%s/results.csv", run);
		cr_assert_not_null(in = fopen(c == 0 ? fails : holds, "r"));
		cr_assert_not_null(out = fopen(path, "w"));
		while (fgets(line, sizeof(line), in))
			if (c < 2 || !strstr(line, lesson_needs[0].bench))
				fputs(line, out);
		fclose(in);
		fclose(out);
		CLI(&r, "plot", run);
		cr_assert_eq(r.status, 0, "%s", r.err);
		if (c == 0)
			snprintf(want, sizeof(want), "contend: lesson: 0 of %d claims hold here, %d do "
				 "not, 0 not measured in this run\n", lesson_nrules, lesson_nrules);
		else
			snprintf(want, sizeof(want), "contend: lesson: %d of %d claims hold here, 0 do "
				 "not, %d not measured in this run\n", lesson_nrules - (c == 2),
				 lesson_nrules, c == 2);
		cr_assert(strstr(r.err, want), "want: %s%s", want, r.err);

		/* Each claim on the page and on stderr in its own state, with
		 * the figures its rule gives. */
		struct lesson_verdict v[64];
		static const char *const cls[] = { [LESSON_HOLDS] = "holds",
						   [LESSON_FAILS] = "fails",
						   [LESSON_UNMEASURED] = "unmeasured" };
		char *page, line2[2048];
		size_t len;

		snprintf(path, sizeof(path), "%s/results.csv", run);
		lesson_judge(path, 2, v);
		snprintf(path, sizeof(path), "%s/index.html", run);
		cr_assert_not_null(in = fopen(path, "r"));
		page = calloc(1, 1 << 20);
		cr_assert_not_null(page);
		len = fread(page, 1, (1 << 20) - 1, in);
		page[len] = '\0';
		fclose(in);
		for (int i = 0; i < lesson_nrules; i++) {
			enum lesson_state st = c == 0 ? LESSON_FAILS :
					       c == 2 && i == lesson_index(lesson_needs[0].id)
						       ? LESSON_UNMEASURED : LESSON_HOLDS;

			cr_assert_eq(v[i].state, st, "%s", lesson_rules[i].id);
			snprintf(line2, sizeof(line2), "<tr id=\"claim-%s\" class=\"%s\"><td>",
				 lesson_rules[i].id, cls[st]);
			const char *at = strstr(page, line2);

			cr_assert_not_null(at, "run %d: no %s", c, line2);
			snprintf(line2, sizeof(line2), "</td><td>%s</td><td>", lesson_state_name(st));
			const char *end = strstr(at, "</tr>");

			cr_assert(end && strstr(at, line2) && strstr(at, line2) < end,
				  "run %d: %s is not '%s'", c, lesson_rules[i].id,
				  lesson_state_name(st));
			snprintf(line2, sizeof(line2), "contend: lesson: %-10s %s: %s\n", cls[st],
				 lesson_rules[i].id, v[i].figures);
			cr_assert(strstr(r.err, line2), "run %d: want %s%s", c, line2, r.err);
		}
		free(page);
	}
	cli_rmdir(dir);
}

/*
 * Each rule's figures on holds.csv, whole: the numbers it compared, each
 * in its place (two cores against one, processes against threads, a
 * spinning list against a sleeping one), worked out by hand from the
 * fixture's rows.
 */
Test(lesson, each_rule_says_its_figures, .timeout = 10)
{
	static const struct { const char *id, *figures; } want[] = {
		{ "gil_cpu", "2 tasks: threads took 1.20 x the sequential time (no speed-up is "
			     ">= 0.90), processes 0.52 x (a speed-up is <= 0.75)" },
		{ "gil_io", "4 I/O-bound threads under the lock took 0.26 x the sequential time (a "
			    "speed-up is <= 0.75; 1/T would be 0.25)" },
		{ "convoy", "beside 1 CPU-bound thread an echo's round trip took 10.4 ms (median), "
			    "2.1 switch intervals of 5 ms (about one is 0.5 to 3.0); alone 3 us" },
		{ "convoy_cpython", "beside 1 CPU-bound thread an echo's round trip took 5.2 ms "
				    "(median), 1 switch intervals of 5 ms (about one is 0.5 to "
				    "3.0); alone 4.5 us" },
		{ "gil_old_cores", "2 CPU-bound threads under the old GIL took 1.80 x the "
				   "sequential time on two cores [1.70, 1.90] and 1.00 x on one "
				   "[0.98, 1.02]" },
		{ "coro_memory", "1000 connections: 40000 bytes charged per thread, 9000 per "
				 "coroutine with its own stack (4.4 x less; far less is 3 x or "
				 "more), 5000 on a shared stack" },
		{ "pool", "tasks/s at task_us=10: 2 workers: pool 80000, thread per task 40000" },
		{ "switch", "one switch on one core, pipe: process 900 ns, thread 600 ns; coroutine "
			    "5 ns (far less is 10 x below the cheapest thread switch, 600 ns)" },
		{ "manager", "per operation, 2 processes: Manager 5 us, Array 25 ns" },
		{ "lock_collapse", "throughput at 4 tasks over that at 2 (collapse is below 0.5): "
				   "spinning locks' median 0.10 (spin 0.10); sleeping locks' median "
				   "0.95 (mutex 0.95)" },
	};
	struct lesson_verdict v[64];
	char path[PATH_MAX];

	lesson_fixture("holds.csv", path, sizeof(path));
	lesson_judge(path, 2, v);
	cr_assert_eq(lesson_nrules, (int)(sizeof(want) / sizeof(want[0])));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_str_eq(v[lesson_index(want[i].id)].figures, want[i].figures, "%s",
				 want[i].id);
}

/* holds.csv with `extra` rows after it, judged on ncpus processors. */
static void lesson_judge_with(const char *extra, int ncpus, struct lesson_verdict *v)
{
	char holds[PATH_MAX], dir[64], path[128], line[1024];
	FILE *in, *out;

	lesson_fixture("holds.csv", holds, sizeof(holds));
	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/r.csv", dir);
	cr_assert_not_null(in = fopen(holds, "r"));
	cr_assert_not_null(out = fopen(path, "w"));
	while (fgets(line, sizeof(line), in))
		fputs(line, out);
	fputs(extra, out);
	fclose(in);
	fclose(out);
	lesson_judge(path, ncpus, v);
	cli_rmdir(dir);
}

/*
 * gil_cpu is judged at the most tasks up to the processors: with rows at
 * 4 tasks, on 2 processors still at 2 (where it holds), on 4 at 4 (where
 * these rows say threads did speed up: it fails).  coro_memory adds what
 * each carrier costs above its connection's socket where the run split
 * the charge, and says nothing of it where it did not.
 */
Test(lesson, judged_where_the_rows_and_processors_say, .timeout = 10)
{
	static const char gil4[] =
		"r1,gil.cpu,thread,none,4,gil=new;n=100000,time_vs_sequential,ratio,0.3,0.28,0.32\n"
		"r1,gil.cpu,process,none,4,gil=new;n=100000,time_vs_sequential,ratio,1.0,0.98,1.02\n";
	static const char carrier[] =
		"r1,ptc.io.thread,thread,none,1,c=1000;latency_us=1000,carrier_per_unit,bytes,"
		"30000,29000,31000\n"
		"r1,ptc.io.coro,thread,none,1,c=1000;latency_us=1000;stack=shared,carrier_per_unit,"
		"bytes,1200,1100,1300\n";
	struct lesson_verdict v[64];
	int g = lesson_index("gil_cpu"), c = lesson_index("coro_memory");
	const char *tail = "5000 on a shared stack; above the connection's socket, a thread 30000 "
			   "and a coroutine on a shared stack 1200";

	lesson_judge_with(gil4, 2, v);
	cr_assert_eq(v[g].state, LESSON_HOLDS, "%s", v[g].figures);
	cr_assert_eq(strncmp(v[g].figures, "2 tasks: threads took 1.20", 26), 0, "%s",
		     v[g].figures);
	lesson_judge_with(gil4, 4, v);
	cr_assert_eq(v[g].state, LESSON_FAILS, "%s", v[g].figures);
	cr_assert_eq(strncmp(v[g].figures, "4 tasks: threads took 0.30", 26), 0, "%s",
		     v[g].figures);

	lesson_judge_with(carrier, 2, v);
	cr_assert_eq(v[c].state, LESSON_HOLDS, "%s", v[c].figures);
	cr_assert(strlen(v[c].figures) > strlen(tail) &&
		  !strcmp(v[c].figures + strlen(v[c].figures) - strlen(tail), tail), "%s",
		  v[c].figures);
	lesson_judge_with(strchr(carrier, '\n') + 1, 2, v);	/* the coroutine's alone */
	cr_assert_null(strstr(v[c].figures, "socket"), "half the split said: %s", v[c].figures);
}
