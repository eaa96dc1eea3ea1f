/*
 * tests/test_h_parse.c - the command line's small parsers and the
 * placement policies: every good form, every bad list.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/parse.h"
#include "harness/topo.h"
#include "tests/check.h"

static int list(const char *s, int *out, size_t *n)
{
	char err[200];

	return parse_int_list(s, 0, 1000, out, n, err, sizeof(err));
}

Test(parse, good_lists, .timeout = 30)
{
	int v[PARSE_LIST_MAX];
	size_t n;

	cr_assert_eq(list("1,2,4", v, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert(v[0] == 1 && v[1] == 2 && v[2] == 4);
	cr_assert_eq(list("1-8", v, &n), 0);
	cr_assert_eq(n, 8);
	cr_assert(v[0] == 1 && v[7] == 8);
	cr_assert_eq(list("0,2,4-7", v, &n), 0);
	cr_assert_eq(n, 6);
	cr_assert(v[2] == 4 && v[5] == 7);
	cr_assert_eq(list("5", v, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(list("3-3", v, &n), 0);
	cr_assert_eq(n, 1);
}

Test(parse, bad_lists, .timeout = 30)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1,,2", "4-2", "a", "1-", "-1", "2x", "1 2", "1,1",
		"1-3,2", "+1", "1.5", "1001", "0-1001", "1--2", "99999999999999999999",
	};
	int v[PARSE_LIST_MAX];
	size_t n;
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(parse_int_list(bad[i], 0, 1000, v, &n, err, sizeof(err)), -EINVAL,
			     "'%s' accepted", bad[i]);
		cr_assert_neq(err[0], '\0', "'%s' rejected without a reason", bad[i]);
	}
}

Test(parse, whole_numbers_and_seconds, .timeout = 30)
{
	long v;
	double s;
	char err[200];

	cr_assert_eq(parse_long("10", 1, 100, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 10);
	cr_assert_eq(parse_long("0", 1, 100, &v, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_long("101", 1, 100, &v, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_long("x", 1, 100, &v, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_long("", 1, 100, &v, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_seconds("0.5", &s, err, sizeof(err)), 0);
	cr_assert_float_eq(s, 0.5, 1e-12);
	cr_assert_eq(parse_seconds("0", &s, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_seconds("-1", &s, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_seconds("nan", &s, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_seconds("1s", &s, err, sizeof(err)), -EINVAL);
}

Test(placement, parse_every_policy, .timeout = 30)
{
	static const struct { const char *text; enum topo_policy p; } good[] = {
		{ "compact", TOPO_COMPACT }, { "scatter", TOPO_SCATTER },
		{ "same-core", TOPO_SAME_CORE }, { "cross-core", TOPO_CROSS_CORE },
		{ "none", TOPO_NONE }, { "cpus:0,2", TOPO_CPUS }, { "cpus:0-3", TOPO_CPUS },
	};
	static const char *const bad[] = {
		"sideways", "", "cpus:", "cpus:a", "cpus:1,,2", "cpus:3-1", "Compact", "cpus",
	};
	struct topo_placement p;
	char err[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(topo_placement_parse(good[i].text, &p, err, sizeof(err)), 0,
			     "%s: %s", good[i].text, err);
		cr_assert_eq(p.policy, good[i].p);
		cr_assert_str_eq(p.name, good[i].text);
	}
	cr_assert_eq(topo_placement_parse("cpus:0-3", &p, err, sizeof(err)), 0);
	cr_assert_eq(p.ncpus, 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(topo_placement_parse(bad[i], &p, err, sizeof(err)), -EINVAL,
			     "'%s' accepted", bad[i]);
}

Test(placement, place_on_this_machine, .timeout = 30)
{
	struct topo_summary s;
	struct topo_placement p;
	int cpus[PARSE_LIST_MAX];
	char err[300], text[64];

	cr_assert_eq(topo_init(), 0);
	topo_summarize(&s);
	cr_assert_geq(s.pus, 1);

	topo_placement_parse("same-core", &p, err, sizeof(err));
	cr_assert_eq(topo_place(&p, 3, cpus, err, sizeof(err)), 0);
	cr_assert(cpus[0] >= 0 && cpus[0] == cpus[1] && cpus[1] == cpus[2]);

	topo_placement_parse("none", &p, err, sizeof(err));
	cr_assert_eq(topo_place(&p, 2, cpus, err, sizeof(err)), 0);
	cr_assert(cpus[0] == -1 && cpus[1] == -1);

	/* Strict policies: every task on its own PU, and one too many fails. */
	static const char *const strict[] = { "compact", "scatter" };
	for (int k = 0; k < 2; k++) {
		topo_placement_parse(strict[k], &p, err, sizeof(err));
		cr_assert_eq(topo_place(&p, (int)s.pus, cpus, err, sizeof(err)), 0, "%s", err);
		for (unsigned i = 0; i < s.pus; i++)
			for (unsigned j = i + 1; j < s.pus; j++)
				cr_assert_neq(cpus[i], cpus[j], "%s put two tasks on %d", strict[k],
					      cpus[i]);
		cr_assert_eq(topo_place(&p, (int)s.pus + 1, cpus, err, sizeof(err)), -EINVAL);
		cr_assert_neq(err[0], '\0');
	}

	topo_placement_parse("cross-core", &p, err, sizeof(err));
	cr_assert_eq(topo_place(&p, (int)s.cores, cpus, err, sizeof(err)), 0);
	cr_assert_eq(topo_place(&p, (int)s.cores + 1, cpus, err, sizeof(err)), -EINVAL);

	/* An explicit list: taken in order; a processor that does not exist,
	 * or too short a list, is an error. */
	topo_placement_parse("cpus:0", &p, err, sizeof(err));
	cr_assert_eq(topo_place(&p, 1, cpus, err, sizeof(err)), 0);
	cr_assert_eq(cpus[0], 0);
	cr_assert_eq(topo_place(&p, 2, cpus, err, sizeof(err)), -EINVAL);
	snprintf(text, sizeof(text), "cpus:%u", 60000u);
	topo_placement_parse(text, &p, err, sizeof(err));
	cr_assert_eq(topo_place(&p, 1, cpus, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not available") != NULL, "%s", err);
}

/* Tasks placed by policy on machine `syn`, as "0 4": the OS indexes. */
static void place_on(const char *policy, int ntasks, const char *want)
{
	struct topo_placement p;
	int cpus[PARSE_LIST_MAX];
	char err[300], got[256] = "";
	size_t off = 0;

	cr_assert_eq(topo_placement_parse(policy, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(topo_place(&p, ntasks, cpus, err, sizeof(err)), 0, "%s %d: %s", policy,
		     ntasks, err);
	for (int i = 0; i < ntasks; i++)
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%d", i ? " " : "",
					cpus[i]);
	cr_assert_str_eq(got, want, "%s with %d tasks", policy, ntasks);
}

static void place_refused(const char *policy, int ntasks, const char *needle)
{
	struct topo_placement p;
	int cpus[PARSE_LIST_MAX];
	char err[300];

	cr_assert_eq(topo_placement_parse(policy, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(topo_place(&p, ntasks, cpus, err, sizeof(err)), -EINVAL, "%s %d", policy,
		     ntasks);
	cr_assert(strstr(err, needle), "%s %d: %s", policy, ntasks, err);
}

/*
 * Every policy's known answer on a machine hwloc makes up (HWLOC_SYNTHETIC):
 * 2 packages, each its own NUMA node, 2 cores each, 2 hardware threads
 * per core; PUs 0-7 in order, core k holding PUs 2k and 2k + 1.  compact
 * fills a core, then the next; scatter spreads over packages first, then
 * cores; cross-core takes each core's first PU; same-core the first.
 */
Test(placement, known_answers_on_a_made_up_machine, .timeout = 30)
{
	struct topo_summary s;

	cr_assert_eq(setenv("HWLOC_SYNTHETIC", "pack:2 numa:1 core:2 pu:2", 1), 0);
	cr_assert_eq(topo_init(), 0);
	topo_summarize(&s);
	cr_assert_eq(s.packages, 2);
	cr_assert_eq(s.numa_nodes, 2);
	cr_assert_eq(s.cores, 4);
	cr_assert_eq(s.pus, 8);
	cr_assert_eq(s.smt, 2);

	place_on("compact", 2, "0 1");
	place_on("compact", 3, "0 1 2");
	place_on("compact", 8, "0 1 2 3 4 5 6 7");
	place_on("scatter", 2, "0 4");
	place_on("scatter", 4, "0 2 4 6");
	place_on("cross-core", 2, "0 2");
	place_on("cross-core", 4, "0 2 4 6");
	place_on("same-core", 3, "0 0 0");
	place_on("none", 2, "-1 -1");
	place_on("cpus:7,3", 2, "7 3");
	place_refused("compact", 9, "8 processors");
	place_refused("scatter", 9, "8 processors");
	place_refused("cross-core", 5, "4 cores");
	place_refused("cpus:8", 1, "not available");
	place_refused("cpus:1", 2, "1 processors for 2 tasks");
}

Test(cli, placement_lists, .timeout = 30)
{
	static struct cli_args a;
	char err[400];
	char *argv[] = { "--placement", "cpus:0,1,same-core,cross-core", "ctx.*" };

	cr_assert_eq(cli_parse(CLI_RUN, 3, argv, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a.nplace, 3);
	cr_assert_str_eq(a.place[0].name, "cpus:0,1");
	cr_assert_str_eq(a.place[1].name, "same-core");
	cr_assert_str_eq(a.place[2].name, "cross-core");
	cr_assert_eq(a.npos, 1);
	cli_args_free(&a);
}

Test(cli, params_and_options, .timeout = 30)
{
	static struct cli_args a, b;
	char err[400];
	char *good[] = { "--param", "ws_kb=0,64", "--reps=7", "--quick", "--mode", "process" };
	char *dup[] = { "--param", "a=1", "--param", "a=2" };

	cr_assert_eq(cli_parse(CLI_RUN, 6, good, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a.nparam, 1);
	cr_assert_eq(a.param[0].nvalues, 2);
	cr_assert_str_eq(a.param[0].values[1], "64");
	cr_assert_eq(a.reps, 7);
	cr_assert_eq(a.quick, 1);
	cr_assert_eq(a.mode, BENCH_MODE_PROCESS);
	cli_args_free(&a);
	cr_assert_eq(cli_parse(CLI_RUN, 4, dup, &b, err, sizeof(err)), -EINVAL);
	cli_args_free(&b);
}

/* The one integer parser: decimal whatever the leading zeros. */
Test(parse, whole_numbers_decimal_only, .timeout = 30)
{
	long long v;
	char err[200];

	cr_assert_eq(parse_ll("010", 0, 100, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 10);			/* not octal 8 */
	cr_assert_eq(parse_ll("08", 0, 100, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 8);			/* not an invalid octal */
	cr_assert_eq(parse_ll("-5", -10, 10, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, -5);
	static const char *const bad[] = {
		"", "-", "0x10", "+1", " 1", "1 ", "1e3", "-5", "101", "99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(parse_ll(bad[i], 0, 100, &v, err, sizeof(err)), -EINVAL,
			     "'%s' accepted", bad[i]);
		cr_assert_neq(err[0], '\0');
	}
}

Test(parse, split_refuses_empty_items, .timeout = 30)
{
	char **items, err[200];
	size_t n;

	cr_assert_eq(parse_split("a,bb,c", ',', "--x", &items, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(items[1], "bb");
	parse_split_free(items, n);
	static const char *const bad[] = { "", ",", "a,", ",a", "a,,b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(parse_split(bad[i], ',', "--x", &items, &n, err, sizeof(err)),
			     -EINVAL, "'%s' accepted", bad[i]);
		cr_assert(strstr(err, "empty") && strstr(err, "--x"), "%s", err);
	}
}

/* Empty items and placements given twice (however spelt) are errors. */
Test(cli, placement_lists_checked, .timeout = 30)
{
	static const char *const bad[] = {
		"cpus:0,,1", ",", "same-core,", "same-core,same-core", "cpus:0,1,cpus:0-1",
		"none,scatter,none",
	};
	char err[400];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static struct cli_args a;
		char *argv[] = { "--placement", (char *)bad[i] };

		memset(&a, 0, sizeof(a));
		err[0] = '\0';
		cr_assert_eq(cli_parse(CLI_RUN, 2, argv, &a, err, sizeof(err)), -EINVAL,
			     "'%s' accepted", bad[i]);
		cr_assert(strstr(err, "empty") || strstr(err, "twice"), "%s: %s", bad[i], err);
		cli_args_free(&a);
	}
}

Test(cli, param_values_checked, .timeout = 30)
{
	static const char *const bad[] = { "ws_kb=0,0", "ws_kb=,1", "ws_kb=1,", "ws_kb=1,,2" };
	char err[400];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static struct cli_args a;
		char *argv[] = { "--param", (char *)bad[i] };

		memset(&a, 0, sizeof(a));
		cr_assert_eq(cli_parse(CLI_RUN, 2, argv, &a, err, sizeof(err)), -EINVAL,
			     "'%s' accepted", bad[i]);
		cli_args_free(&a);
	}
}

/*
 * parse_escape into a buffer of every size: the text and its NUL fit in
 * len bytes (the bytes past it are never written), it is the full
 * escape's beginning, cut at a whole character (a hidden byte's four,
 * a UTF-8 character's two or three, never half), and the known answers.
 */
Test(parse, escape_fits_every_buffer_and_cuts_whole_characters, .timeout = 30)
{
	static const struct {
		const char *src, *full;
	} cases[] = {
		{ "abc", "abc" },
		{ "a\x01" "b", "a\\x01b" },
		{ "\xc3\xa9x", "\xc3\xa9x" },			/* é: two bytes, shown */
		{ "\xff!", "\\xff!" },				/* not UTF-8 */
		{ "z\xe2\x80\x8by", "z\\xe2\\x80\\x8by" },	/* zero-width space */
	};
	static const struct {
		const char *src;
		size_t len;
		const char *want;
	} known[] = {
		{ "abc", 4, "abc" }, { "abc", 3, "ab" }, { "abc", 1, "" },
		{ "a\x01", 6, "a\\x01" }, { "a\x01", 5, "a" },
		{ "\xc3\xa9", 3, "\xc3\xa9" }, { "\xc3\xa9", 2, "" },
	};
	enum { CANARY = 8 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t flen = strlen(cases[i].full);

		for (size_t len = 1; len <= flen + 2; len++) {
			char buf[64];

			memset(buf, 0x5a, sizeof(buf));
			parse_escape(cases[i].src, buf, len);
			for (size_t k = len; k < len + CANARY; k++)
				cr_assert_eq(buf[k], 0x5a, "case %zu, len %zu: byte %zu written", i,
					     len, k);
			cr_assert_lt(strlen(buf), len, "case %zu, len %zu", i, len);
			cr_assert_eq(strncmp(buf, cases[i].full, strlen(buf)), 0,
				     "case %zu, len %zu: '%s'", i, len, buf);
			if (len > flen)
				cr_assert_str_eq(buf, cases[i].full, "case %zu, len %zu", i, len);
		}
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char buf[16];

		parse_escape(known[i].src, buf, known[i].len);
		cr_assert_str_eq(buf, known[i].want, "'%s' in %zu bytes", known[i].src,
				 known[i].len);
	}
}

/* A --placement list mixing cpus: lists and policies: numbers after
 * cpus: are that list's, anything else starts the next policy. */
Test(parse, placement_lists_mix_cpus_and_policies, .timeout = 10)
{
	static const struct { char *arg; int n; const char *names[3]; } c[] = {
		{ "--placement=same-core,cpus:0,1,none", 3, { "same-core", "cpus:0,1", "none" } },
		{ "--placement=cpus:0-1,scatter", 2, { "cpus:0-1", "scatter" } },
		{ "--placement=none,cpus:0", 2, { "none", "cpus:0" } },
	};
	char err[300];

	cr_assert_eq(topo_init(), 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct cli_args a;
		char *argv[] = { "selftest.spin", c[i].arg };

		memset(&a, 0, sizeof(a));
		cr_assert_eq(cli_parse(CLI_RUN, 2, argv, &a, err, sizeof(err)), 0, "%s: %s",
			     c[i].arg, err);
		cr_assert_eq(a.nplace, c[i].n, "%s", c[i].arg);
		for (int k = 0; k < c[i].n; k++)
			cr_assert_str_eq(a.place[k].name, c[i].names[k], "%s: policy %d", c[i].arg,
					 k);
		cli_args_free(&a);
	}
}

/* Each range's bounds are its own: the largest value allowed is
 * accepted, one past it refused (--timeout 3600, a list of exactly
 * PARSE_LIST_MAX values, a task count at its limit). */
Test(parse, every_upper_bound_is_inclusive, .timeout = 10)
{
	static int v[PARSE_LIST_MAX + 1];
	long l;
	long long ll;
	double s;
	size_t n;
	char err[200], range[32];

	cr_assert_eq(parse_long("100", 1, 100, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l, 100);
	cr_assert_eq(parse_long("1", 1, 100, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(parse_ll("100", 0, 100, &ll, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(parse_ll("101", 0, 100, &ll, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_int_list("998-1000", 0, 1000, v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 3);
	cr_assert_eq(v[2], 1000);
	cr_assert_eq(parse_int_list("998-1001", 0, 1000, v, &n, err, sizeof(err)), -EINVAL);
	cr_assert_eq(parse_seconds("3600", &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_float_eq(s, 3600, 1e-9);
	cr_assert_eq(parse_seconds("3600.5", &s, err, sizeof(err)), -EINVAL);
	snprintf(range, sizeof(range), "0-%d", PARSE_LIST_MAX - 1);
	cr_assert_eq(parse_int_list(range, 0, 1 << 20, v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, (size_t)PARSE_LIST_MAX);
	snprintf(range, sizeof(range), "0-%d", PARSE_LIST_MAX);
	cr_assert_eq(parse_int_list(range, 0, 1 << 20, v, &n, err, sizeof(err)), -EINVAL);
}

/* `contend env`'s machine, level by level, on a machine hwloc makes up:
 * how many of each, indented by depth, a cache's size in KiB. */
Test(placement, the_machine_described_level_by_level, .timeout = 10)
{
	char buf[1024];

	cr_assert_eq(setenv("HWLOC_SYNTHETIC", "pack:2 l2:2(size=1MiB) core:1 pu:2", 1), 0);
	cr_assert_eq(topo_init(), 0);
	topo_describe(buf, sizeof(buf));
	cr_assert_str_eq(buf, "1 x Machine\n  2 x Package\n    4 x L2Cache (1024 KiB)\n      4 x Core\n"
			      "        8 x PU\n");
}
