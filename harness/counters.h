/*
 * harness/counters.h - performance counters through libpfm4 and
 * perf_event_open(2).
 *
 * Events are named as libpfm4 names them ("cycles", "instructions",
 * "context-switches", "perf::PERF_COUNT_SW_PAGE_FAULTS", or a PMU's own
 * "inst_retired:any_p").  Each task opens its own counters on itself,
 * kernel time included (a futex wait is the point), and reads them
 * before and after each timed round; values are scaled by
 * time_enabled/time_running when the kernel multiplexed them.  An event
 * the machine cannot count is reported as NaN (an empty CSV cell), never
 * as zero.
 */
#ifndef CONTEND_COUNTERS_H
#define CONTEND_COUNTERS_H

/* libpfm4 ships its own copy of the perf_event ABI; it clashes with
 * <linux/perf_event.h>, so everything here uses libpfm4's. */
#include <perfmon/perf_event.h>
#include <stddef.h>

#define CTR_MAX 16

struct ctr_set {
	int n;
	char name[CTR_MAX][96];		/* as the user wrote it */
	char column[CTR_MAX][96];	/* CSV column: "cycles_per_op" */
	struct perf_event_attr attr[CTR_MAX];
};

/* The default set: cycles, instructions, cache and branch misses,
 * context switches, CPU migrations, page faults. */
#define CTR_DEFAULT "cycles,instructions,cache-misses,branch-misses," \
	"context-switches,cpu-migrations,page-faults"

/* Initialise libpfm4 and encode a comma-separated list ("" or "none" for
 * no counters).  0, or -EINVAL with a sentence in err for a name libpfm4
 * does not know. */
int ctr_parse(const char *list, struct ctr_set *set, char *err, size_t errlen);

/* A task's open counters. */
struct ctr_task {
	int fd[CTR_MAX];
	int err[CTR_MAX];	/* errno of a failed open, 0 if open */
};

/* Open every counter of set on the calling thread (each independently,
 * so one unsupported event does not lose the others). */
void ctr_task_open(const struct ctr_set *set, struct ctr_task *t);
/* Current scaled values; NaN for a counter that is not open. */
void ctr_task_read(const struct ctr_set *set, const struct ctr_task *t, double *val);
void ctr_task_close(const struct ctr_set *set, struct ctr_task *t);

/* Why a counter could not be opened (errno from ctr_task_open), in words. */
const char *ctr_why(int err);

/* Which counters work here: opens each on this thread; why[i] gets "" or a
 * reason.  Returns how many work. */
int ctr_probe(const struct ctr_set *set, char why[][96]);

#endif
