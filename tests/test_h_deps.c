/*
 * tests/test_h_deps.c - the Debian packages are one list,
 * scripts/packages.txt: scripts/install-deps installs from it and the
 * Makefile takes its libraries from it, so those two cannot drift; what
 * can is the README's Dependencies table, written by hand, and a library
 * added to the Makefile's link line by hand.  These tests notice both.
 *
 * The Makefile hands this file its source folder and the link line of
 * the build it is part of (CONTEND_LDLIBS, CONTEND_TESTLIB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

#define DEPS_MAX 64
#define DEPS_LINE 512

struct deps_pkg {
	char name[64];
	char install[8];	/* run | test */
	char link[32];		/* -lfoo | - */
	char into[8];		/* all | tests | - */
};

struct deps_list {
	struct deps_pkg pkg[DEPS_MAX];
	int n;
};

/* Read scripts/packages.txt, failing the test on a malformed line. */
static void deps_read(struct deps_list *l)
{
	const char *path = CONTEND_SOURCE_DIR "/scripts/packages.txt";
	char line[DEPS_LINE], why[DEPS_LINE];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	cr_assert_not_null(f, "cannot read %s", path);
	l->n = 0;
	while (fgets(line, sizeof(line), f)) {
		struct deps_pkg *p = &l->pkg[l->n];

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		cr_assert_lt(l->n, DEPS_MAX, "%s: more than %d packages", path, DEPS_MAX);
		cr_assert_eq(sscanf(line, "%63s %7s %31s %7s %511[^\n]", p->name, p->install,
				    p->link, p->into, why), 5,
			     "%s:%d: want package, install, link, into and what it is for",
			     path, lineno);
		cr_assert(!strcmp(p->install, "run") || !strcmp(p->install, "test"),
			  "%s:%d: install is run or test, not %s", path, lineno, p->install);
		cr_assert(!strcmp(p->link, "-") || !strncmp(p->link, "-l", 2),
			  "%s:%d: link is -lLIB or -, not %s", path, lineno, p->link);
		cr_assert(!strcmp(p->into, "all") || !strcmp(p->into, "tests") ||
			  !strcmp(p->into, "-"),
			  "%s:%d: into is all, tests or -, not %s", path, lineno, p->into);
		cr_assert_eq(!strcmp(p->link, "-"), !strcmp(p->into, "-"),
			     "%s:%d: a library says where it links, and only a library",
			     path, lineno);
		for (int i = 0; i < l->n; i++)
			cr_assert(strcmp(l->pkg[i].name, p->name), "%s:%d: %s twice", path,
				  lineno, p->name);
		l->n++;
	}
	fclose(f);
	cr_assert_gt(l->n, 0, "%s lists no package", path);
}

/* The link flags of the packages linked `into`, blank-separated, in the
 * list's order. */
static void deps_links(const struct deps_list *l, const char *into, char *out, size_t len)
{
	out[0] = '\0';
	for (int i = 0; i < l->n; i++) {
		if (strcmp(l->pkg[i].into, into))
			continue;
		if (out[0])
			strncat(out, " ", len - strlen(out) - 1);
		strncat(out, l->pkg[i].link, len - strlen(out) - 1);
	}
}

/* The -l flags of a link line, blank-separated, in its order. */
static void deps_flags(const char *line, char *out, size_t len)
{
	char buf[DEPS_LINE], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", line);
	out[0] = '\0';
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (strncmp(w, "-l", 2))
			continue;
		if (out[0])
			strncat(out, " ", len - strlen(out) - 1);
		strncat(out, w, len - strlen(out) - 1);
	}
}

Test(deps, list_is_well_formed, .timeout = 30)
{
	struct deps_list l;

	deps_read(&l);
}

/*
 * The README's table has one row per package, in the list's order:
 * | `name` | `make run` or `make test` | what for |.
 */
Test(deps, readme_table_matches_the_list, .timeout = 30)
{
	const char *path = CONTEND_SOURCE_DIR "/README.md";
	char line[4 * DEPS_LINE];
	struct deps_list l;
	int in_section = 0, row = 0;
	FILE *f;

	deps_read(&l);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		char name[64], install[8];
		const struct deps_pkg *p;

		if (!strncmp(line, "## ", 3)) {
			in_section = !strcmp(line, "## Dependencies\n");
			continue;
		}
		if (!in_section || strncmp(line, "| `", 3))
			continue;
		cr_assert_eq(sscanf(line, "| `%63[^`]` | `make %7[a-z]` |", name, install), 2,
			     "%s: a Dependencies row is | `package` | `make run|test` | for |: %s",
			     path, line);
		cr_assert_lt(row, l.n, "%s: the Dependencies table names %s, which "
			     "scripts/packages.txt does not list", path, name);
		p = &l.pkg[row++];
		cr_assert_str_eq(name, p->name, "%s: the Dependencies table's row %d is %s, "
				 "scripts/packages.txt's is %s (same packages, same order)",
				 path, row, name, p->name);
		cr_assert_str_eq(install, p->install, "%s: %s is installed by `make %s` in "
				 "scripts/packages.txt, not `make %s`", path, name, p->install,
				 install);
	}
	fclose(f);
	cr_assert_eq(row, l.n, "%s: the Dependencies table names %d packages, "
		     "scripts/packages.txt lists %d (the first missing: %s)", path, row, l.n,
		     row < l.n ? l.pkg[row].name : "");
}

/*
 * The Makefile takes LDLIBS and TESTLIB from the list; a library typed
 * into the Makefile by hand would link without a package to bring it.
 * TESTLIB is empty in the TSan build (tests/check.h's shim, no Criterion).
 */
Test(deps, makefile_links_what_the_list_names, .timeout = 30)
{
	char want[DEPS_LINE], got[DEPS_LINE];
	struct deps_list l;

	deps_read(&l);
	deps_links(&l, "all", want, sizeof(want));
	deps_flags(CONTEND_LDLIBS, got, sizeof(got));
	cr_assert_str_eq(got, want, "the Makefile links \"%s\" into every binary, "
			 "scripts/packages.txt names \"%s\"", got, want);
	deps_links(&l, "tests", want, sizeof(want));
	deps_flags(CONTEND_TESTLIB, got, sizeof(got));
	cr_assert(!strcmp(got, want) || !strcmp(got, ""),
		  "the Makefile links \"%s\" into the tests, scripts/packages.txt names \"%s\"",
		  got, want);
}
