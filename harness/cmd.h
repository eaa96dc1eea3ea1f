/*
 * harness/cmd.h - for the `contend` commands (main.c has their table):
 * what they share, and the commands that live in files of their own.
 *
 * Exit status: 0 success; 1 some configuration failed (the rest are
 * written), or an output could not be written in the end; 2 bad input
 * (one line on stderr, nothing written, nothing run); 128 + the signal
 * when SIGINT, SIGTERM or SIGHUP stopped a run (what completed is
 * written).
 */
#ifndef CONTEND_CMD_H
#define CONTEND_CMD_H

#include <stddef.h>

#include "harness/cli.h"
#include "harness/report.h"

#define CMD_EXIT_BAD_INPUT 2

/* Print "contend: MESSAGE" on stderr, with bytes a terminal would hide
 * or act on escaped; returns CMD_EXIT_BAD_INPUT. */
int cmd_bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "YYYYMMDD-HHMMSS-host": a run's id, sortable by time. */
void cmd_run_id(char *buf, size_t len);
/* --seed, or one from the clock and the process id. */
unsigned long long cmd_seed(const struct cli_args *a);
/* engine_exec's return and the report's outcomes as an exit status,
 * saying on stderr what was skipped, failed or stopped. */
int cmd_finish_status(int engine_ret, const struct report *r);

/* contend sweep (sweep.c). */
int cmd_sweep(const struct cli_args *a);

#endif
