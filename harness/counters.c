/*
 * harness/counters.c - libpfm4 encodes event names into perf_event_attr;
 * perf_event_open counts them.  The only file that touches libpfm4.
 */
#include <errno.h>
#include <math.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/counters.h"

/* Short CSV names for the events people ask for most. */
static const struct { const char *event, *column; } ctr_short[] = {
	{ "cycles", "cycles" },
	{ "instructions", "instructions" },
	{ "cache-misses", "cache_misses" },
	{ "branch-misses", "branch_misses" },
	{ "context-switches", "ctx_switches" },
	{ "cs", "ctx_switches" },
	{ "cpu-migrations", "cpu_migrations" },
	{ "page-faults", "page_faults" },
	{ "task-clock", "task_clock_ns" },
};

static void ctr_column(const char *event, char *col, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < sizeof(ctr_short) / sizeof(ctr_short[0]); i++)
		if (strcmp(event, ctr_short[i].event) == 0) {
			snprintf(col, len, "%s_per_op", ctr_short[i].column);
			return;
		}
	/* Anything else: lower case, runs of punctuation become one '_'. */
	for (const char *p = event; *p && o + 8 < len; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		if (c == '_' && (o == 0 || col[o - 1] == '_'))
			continue;
		col[o++] = c;
	}
	snprintf(col + o, len - o, "_per_op");
}

int ctr_parse(const char *list, struct ctr_set *set, char *err, size_t errlen)
{
	static int pfm_ready;
	char buf[1024], *save = NULL;

	memset(set, 0, sizeof(*set));
	if (!pfm_ready) {
		int r = pfm_initialize();
		if (r != PFM_SUCCESS) {
			snprintf(err, errlen, "libpfm4 failed to initialise: %s", pfm_strerror(r));
			return -EINVAL;
		}
		pfm_ready = 1;
	}
	if (strcmp(list, "none") == 0 || list[0] == '\0')
		return 0;
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "counter list is too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		struct perf_event_attr *a = &set->attr[set->n];
		pfm_perf_encode_arg_t arg;
		int r;

		if (set->n == CTR_MAX) {
			snprintf(err, errlen, "at most %d counters at once", CTR_MAX);
			return -EINVAL;
		}
		memset(&arg, 0, sizeof(arg));
		memset(a, 0, sizeof(*a));
		arg.attr = a;
		arg.size = sizeof(arg);
		/* PLM0|PLM3: count in the kernel and in user space alike. */
		r = pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
		if (r != PFM_SUCCESS) {
			snprintf(err, errlen, "unknown counter '%s' (%s); try cycles, instructions, "
				 "context-switches, or a name from libpfm4's showevtinfo",
				 name, pfm_strerror(r));
			return -EINVAL;
		}
		for (int i = 0; i < set->n; i++)
			if (strcmp(set->name[i], name) == 0) {
				snprintf(err, errlen, "counter '%s' is listed twice", name);
				return -EINVAL;
			}
		a->size = sizeof(*a);
		a->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
		a->disabled = 0;
		a->inherit = 0;
		snprintf(set->name[set->n], sizeof(set->name[0]), "%s", name);
		ctr_column(name, set->column[set->n], sizeof(set->column[0]));
		set->n++;
	}
	return 0;
}

/* pid 0, cpu -1: this thread, wherever it runs.  No fallback to user
 * space only when perf_event_paranoid forbids kernel counting: a context
 * switch happens in the kernel, so a user-only count would read 0 and
 * look measured.  The caller reports EACCES instead. */
static int ctr_open_one(struct perf_event_attr *a)
{
	int fd = (int)syscall(SYS_perf_event_open, a, 0, -1, -1, 0);

	return fd < 0 ? -errno : fd;
}

void ctr_task_open(const struct ctr_set *set, struct ctr_task *t)
{
	for (int i = 0; i < set->n; i++) {
		struct perf_event_attr a = set->attr[i];
		int fd = ctr_open_one(&a);

		t->fd[i] = fd < 0 ? -1 : fd;
		t->err[i] = fd < 0 ? -fd : 0;
	}
}

void ctr_task_read(const struct ctr_set *set, const struct ctr_task *t, double *val)
{
	for (int i = 0; i < set->n; i++) {
		uint64_t v[3];

		val[i] = NAN;
		if (t->fd[i] < 0 || read(t->fd[i], v, sizeof(v)) != (ssize_t)sizeof(v))
			continue;
		if (v[2] == 0)		/* never scheduled on the PMU: unknown */
			continue;
		val[i] = (double)v[0] * ((double)v[1] / (double)v[2]);
	}
}

void ctr_task_close(const struct ctr_set *set, struct ctr_task *t)
{
	for (int i = 0; i < set->n; i++)
		if (t->fd[i] >= 0) {
			close(t->fd[i]);
			t->fd[i] = -1;
		}
}

const char *ctr_why(int err)
{
	switch (err) {
	case ENOENT:
	case EOPNOTSUPP:
		return "not supported by this machine (no hardware PMU?)";
	case EACCES:
	case EPERM:
		return "not permitted: perf_event_paranoid forbids counting kernel time "
		       "(run as root or lower it)";
	default:
		return strerror(err);
	}
}

int ctr_probe(const struct ctr_set *set, char why[][96])
{
	struct ctr_task t;
	int ok = 0;

	ctr_task_open(set, &t);
	for (int i = 0; i < set->n; i++) {
		why[i][0] = '\0';
		if (t.fd[i] >= 0) {
			ok++;
			continue;
		}
		snprintf(why[i], 96, "%s", ctr_why(t.err[i]));
	}
	ctr_task_close(set, &t);
	return ok;
}
