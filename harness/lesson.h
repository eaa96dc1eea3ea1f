/*
 * harness/lesson.h - the lesson contend reproduces, checked against one
 * run: each claim is a rule over the run's results.csv that says whether
 * the claim holds on the machine that ran it, does not hold (with the
 * figures it compared), or was not measured in this run (naming the rows
 * it needed).  No verdict is written by hand: `contend plot` prints the
 * rules' verdicts and puts them at the top of DIR/index.html.
 *
 * A rule reads medians only (the row's `median` column), each picked by
 * benchmark, mode, placement, task count, parameters and metric.  Its
 * threshold is a constant beside it that says why it is where it is.
 */
#ifndef CONTEND_LESSON_H
#define CONTEND_LESSON_H

#include <stddef.h>

#include "harness/csv.h"

enum lesson_state {
	LESSON_HOLDS,		/* the rows say the claim is true here */
	LESSON_FAILS,		/* the rows say it is not */
	LESSON_UNMEASURED,	/* the run lacks the rows it needs */
};

#define LESSON_TEXT 768

struct lesson_verdict {
	enum lesson_state state;
	/* The figures compared (held or not), or the rows that were
	 * missing: one sentence, plain text. */
	char figures[LESSON_TEXT];
};

struct lesson_rule {
	const char *id;		/* short name: "gil_cpu" */
	const char *claim;	/* the claim, stated once */
	const char *rows;	/* which rows test it, in words */
	void (*check)(const struct csv_table *t, int ncpus, struct lesson_verdict *v);
};

/* Every rule, in the lesson's order. */
extern const struct lesson_rule lesson_rules[];
extern const int lesson_nrules;

/*
 * Judge every rule on t (a results.csv as csv_read() loads it; a file
 * without contend's key columns makes every rule unmeasured); ncpus is
 * the run's processor count from env.csv (0 when unknown: a rule that
 * needs it is unmeasured).  v has lesson_nrules entries.  Returns how
 * many rules hold.
 */
int lesson_check(const struct csv_table *t, int ncpus, struct lesson_verdict *v);

/* "holds here", "does not hold here", "not measured in this run". */
const char *lesson_state_name(enum lesson_state s);

#endif
