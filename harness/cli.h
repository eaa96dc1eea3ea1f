/*
 * harness/cli.h - the command line: one option table from which parsing
 * and every --help come.
 */
#ifndef CONTEND_CLI_H
#define CONTEND_CLI_H

#include <stdio.h>

#include "harness/bench.h"
#include "harness/counters.h"
#include "harness/parse.h"
#include "harness/topo.h"

enum cli_cmd {
	CLI_LIST = 1 << 0,
	CLI_ENV = 1 << 1,
	CLI_RUN = 1 << 2,
	CLI_SWEEP = 1 << 3,
	CLI_PLOT = 1 << 4,
	CLI_COMPARE = 1 << 5,
};

#define CLI_MAX_BENCH 256
#define CLI_MAX_PLACE 16
#define CLI_MAX_PARAM 16
#define CLI_MAX_VALUES 32
#define CLI_MAX_POS 64

struct cli_param {
	char key[64];
	char *values[CLI_MAX_VALUES];
	int nvalues;
};

/* Everything the options said; zero/NULL where they said nothing. */
struct cli_args {
	enum cli_cmd cmd;
	const char *pos[CLI_MAX_POS];
	int npos;
	const char *threads;
	unsigned mode;			/* BENCH_MODE_*, 0 = each bench's own */
	struct topo_placement place[CLI_MAX_PLACE];
	int nplace;
	int reps;
	double min_time, timeout;
	double threshold;		/* compare: percent, 0 = default */
	double alpha;			/* compare: significance level, 0 = default */
	struct cli_param param[CLI_MAX_PARAM];
	int nparam;
	const char *counters;
	const char *out, *format, *samples, *histograms, *preset, *resume;
	int quick, lng, help, verbose;
	int full;		/* --full: every task count, placed compact and scatter */
	int seed_given;
	unsigned long long seed;
};

/*
 * Parse argv (after the command word) for cmd into a.  0, or -EINVAL
 * with one sentence in err.  Strings point into argv (or into storage
 * owned by a, for --param values).
 */
int cli_parse(enum cli_cmd cmd, int argc, char **argv, struct cli_args *a,
	      char *err, size_t errlen);
void cli_args_free(struct cli_args *a);

/* Print the help of one command: its usage line and summary (from the
 * command table in main.c), then its options (from the option table). */
void cli_help(enum cli_cmd cmd, const char *usage, const char *what, FILE *f);

#endif
