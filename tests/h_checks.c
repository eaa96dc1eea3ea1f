/*
 * tests/h_checks.c - the check() probes' helpers (tests/h_checks.h).
 */
#include "tests/h_checks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/clock.h"
#include "harness/team.h"
#include "tests/check.h"

/* The parameter values of the benchmark set up last. */
static char checks_vals[8][32];
static const char *checks_val[8];

void checks_setup(const char *name, int ntasks, const char *const *over, struct bench_state *st)
{
	const struct bench_desc *d = NULL;
	int r;

	for (int i = 0; bench_registry[i]; i++)
		if (strcmp(bench_registry[i]->name, name) == 0)
			d = bench_registry[i];
	cr_assert_not_null(d, "%s is not registered", name);
	memset(st, 0, sizeof(*st));
	for (int n = 0; d->params && d->params[n].name; n++) {
		cr_assert_lt(n, 8, "%s: more parameters than the probe has room for", name);
		snprintf(checks_vals[n], sizeof(checks_vals[n]), "%.*s",
			 (int)strcspn(d->params[n].def, ","), d->params[n].def);
		for (int k = 0; over && over[k]; k += 2)
			if (!strcmp(over[k], d->params[n].name))
				snprintf(checks_vals[n], sizeof(checks_vals[n]), "%s", over[k + 1]);
		checks_val[n] = checks_vals[n];
	}
	st->desc = d;
	st->mode = BENCH_MODE_THREAD;
	st->ntasks = ntasks;
	st->ncpus = 1;
	st->param_values = checks_val;
	clk_init();
	if ((r = d->setup(st)) == -ENOTSUP) {
		checks_teardown(st);
		cr_skip_test("%s: cannot run here: %s", name,
			     st->skip_reason ? st->skip_reason : "(no reason)");
	}
	cr_assert_eq(r, 0, "%s: setup failed", name);
	cr_assert_not_null(st->priv, "%s: setup left no shared state", name);
}

void checks_param_set(struct bench_state *st, const char *key, const char *value)
{
	for (int n = 0; st->desc->params && st->desc->params[n].name; n++)
		if (!strcmp(st->desc->params[n].name, key)) {
			cr_assert_eq(st->param_values, checks_val, "%s: not set up by checks_setup",
				     st->desc->name);
			snprintf(checks_vals[n], sizeof(checks_vals[n]), "%s", value);
			return;
		}
	cr_assert_fail("%s has no parameter %s", st->desc->name, key);
}

void checks_teardown(struct bench_state *st)
{
	if (st->desc->teardown)
		st->desc->teardown(st);
	bench_shared_free_all(st);
}

void checks_expect(struct bench_state *st, uint64_t base_iters, int right, const char *what)
{
	const char *why = st->desc->check(st, CHECKS_RUN, base_iters);

	if (right)
		cr_assert_null(why, "%s: %s refused: %s", st->desc->name, what, why);
	else
		cr_assert_not_null(why, "%s: %s passed check()", st->desc->name, what);
}
