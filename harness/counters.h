/*
 * harness/counters.h - performance counters through libpfm4 and
 * perf_event_open(2), and kernel tracepoints through tracefs.
 *
 * Events are named as libpfm4 names them ("cycles", "instructions",
 * "context-switches", "perf::PERF_COUNT_SW_PAGE_FAULTS", or a PMU's own
 * "inst_retired:any_p"), or as tracepoints "subsystem:event"
 * ("syscalls:sys_enter_futex"); "syscalls" is the tracepoint
 * raw_syscalls:sys_enter, one count per system call of any kind.
 *
 * Each task opens its own counters on itself, kernel time included (a
 * futex wait is the point), and reads them before and after each counted
 * round.  Counters are inherited: every thread and process the task
 * starts while they are open counts with it (a Timer's thread); helpers
 * that exist before (started in setup or task_init) get counters of
 * their own from the harness (harness/team.c).  A round's value is its own delta scaled by its own share of
 * time on the PMU, dcount * denabled / drunning, so a multiplexed event
 * is scaled for that round only.  Events that are compared with each
 * other (cycles and instructions) are opened as one group, so that they
 * are counted over the same instants.  An event the machine cannot count
 * is reported as NaN (an empty CSV cell), never as zero.
 */
#ifndef CONTEND_COUNTERS_H
#define CONTEND_COUNTERS_H

/* libpfm4 ships its own copy of the perf_event ABI; it clashes with
 * <linux/perf_event.h>, so everything here uses libpfm4's. */
#include <perfmon/perf_event.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTR_MAX 16
#define CTR_NAME_MAX 96

enum ctr_kind {
	CTR_PMU,	/* encoded by libpfm4: hardware or software event */
	CTR_TRACEPOINT,	/* a tracefs event id */
};

struct ctr_set {
	int n;
	char name[CTR_MAX][CTR_NAME_MAX];	/* as the user wrote it */
	char column[CTR_MAX][CTR_NAME_MAX];	/* CSV column: "cycles_per_op" */
	enum ctr_kind kind[CTR_MAX];
	/* Index of the group leader (itself for a leader or a lone event). */
	int leader[CTR_MAX];
	/* Non-zero: known not to open here (errno), found while parsing
	 * (a tracepoint without tracefs). */
	int unavailable[CTR_MAX];
	struct perf_event_attr attr[CTR_MAX];
};

/* The default set: cycles, instructions, cache and branch misses,
 * context switches, CPU migrations, page faults and system calls. */
#define CTR_DEFAULT "cycles,instructions,cache-misses,branch-misses," \
	"context-switches,cpu-migrations,page-faults,syscalls"

/* Initialise libpfm4 and encode a comma-separated list ("" or "none" for
 * no counters).  0, or -EINVAL with a sentence in err for a name neither
 * libpfm4 nor tracefs knows, an empty item or a counter named twice. */
int ctr_parse(const char *list, struct ctr_set *set, char *err, size_t errlen);

/* A task's open counters. */
struct ctr_task {
	int fd[CTR_MAX];
	int err[CTR_MAX];	/* errno of a failed open, 0 if open */
};

/* Raw readings of every counter at one instant. */
struct ctr_sample {
	uint64_t value[CTR_MAX], enabled[CTR_MAX], running[CTR_MAX];
	int ok[CTR_MAX];	/* read succeeded */
};

/* Open every counter of set on the calling thread.  Lone events are
 * opened each on its own, so one unsupported event does not lose the
 * others; a group member fails with its leader. */
void ctr_task_open(const struct ctr_set *set, struct ctr_task *t);
/* The same on thread tid of any process we may trace (a helper). */
void ctr_task_open_on(const struct ctr_set *set, struct ctr_task *t, pid_t tid);
void ctr_task_read(const struct ctr_set *set, const struct ctr_task *t, struct ctr_sample *s);
/* Per counter, the count between two samples scaled by the time it was
 * on the PMU in between: dvalue * denabled / drunning; NaN when either
 * read failed or the event was enabled but never on the PMU in between;
 * dvalue when it was never enabled (its thread never ran). */
void ctr_delta(const struct ctr_set *set, const struct ctr_sample *a,
	       const struct ctr_sample *b, double *out);
void ctr_task_close(const struct ctr_set *set, struct ctr_task *t);

/* Why counter i could not be opened (errno from ctr_task_open), in words. */
const char *ctr_why(const struct ctr_set *set, int i, int err);

/* Which counters work here: opens each on this thread; why[i] gets "" or a
 * reason.  Returns how many work. */
int ctr_probe(const struct ctr_set *set, char why[][CTR_NAME_MAX * 2]);

#endif
