/*
 * harness/cmd.c - what the commands that run benchmarks share: the
 * one-line bad-input exit, a run id, the seed, and a run's exit status.
 * See cmd.h.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/cmd.h"
#include "harness/parse.h"
#include "harness/runner.h"

int cmd_bad_input(const char *fmt, ...)
{
	/* The message echoes what was given (a name, a plan line, a file's
	 * header): bytes a terminal would hide or act on, a byte-order mark
	 * among them, are shown escaped. */
	char msg[2048], shown[4 * sizeof(msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "contend: %s\n", parse_escape(msg, shown, sizeof(shown)));
	return CMD_EXIT_BAD_INPUT;
}

void cmd_run_id(char *buf, size_t len)
{
	char host[64];
	time_t now = time(NULL);
	struct tm tm;

	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	localtime_r(&now, &tm);
	snprintf(buf, len, "%04d%02d%02d-%02d%02d%02d-%.24s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host);
}

unsigned long long cmd_seed(const struct cli_args *a)
{
	return a->seed_given ? a->seed
			     : ((unsigned long long)time(NULL) << 20) ^ (unsigned long long)getpid();
}

/* engine_exec's outcome as an exit status: what completed is written in
 * every case. */
int cmd_finish_status(int engine_ret, const struct report *r)
{
	size_t failed = report_count(r, RUNNER_FAILED), skipped = report_count(r, RUNNER_SKIPPED);

	if (skipped)
		fprintf(stderr, "contend: %zu configurations skipped (not possible here; reasons "
			"above)\n", skipped);
	if (engine_ret < 0)
		return 1;
	if (engine_ret == 1) {
		fprintf(stderr, "contend: stopped by %s; %zu completed configurations written\n",
			strsignal(runner_interrupted), report_count(r, RUNNER_OK));
		return 128 + runner_interrupted;
	}
	if (failed) {
		fprintf(stderr, "contend: %zu configurations failed (reasons above)\n", failed);
		return 1;
	}
	return 0;
}
