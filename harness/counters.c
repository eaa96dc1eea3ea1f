/*
 * harness/counters.c - libpfm4 encodes event names into perf_event_attr,
 * tracefs gives tracepoint ids; perf_event_open counts them.  The only
 * file that touches libpfm4 or tracefs.
 */
#include <errno.h>
#include <math.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/counters.h"
#include "harness/parse.h"

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
	{ "syscalls", "syscalls" },
};

/* Events whose ratio people read (instructions per cycle): counted as
 * one group so both cover exactly the same instants. */
static const char *const ctr_grouped[] = { "cycles", "cpu-cycles", "instructions", "ref-cycles" };

/* The tracepoint behind "syscalls": every system call's entry. */
#define CTR_SYSCALLS_TP "raw_syscalls:sys_enter"

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

static int ctr_is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Where tracefs is: its usual mount point, or under debugfs.  When it is
 * mounted nowhere and we may, mount it where the kernel expects it, as
 * perf does.  NULL when there is none.
 */
static const char *ctr_tracefs(void)
{
	static const char *const where[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	static int looked;
	static const char *found;

	if (looked)
		return found;
	looked = 1;
	for (int pass = 0; pass < 2 && !found; pass++) {
		for (size_t i = 0; i < sizeof(where) / sizeof(where[0]) && !found; i++) {
			char ev[64];
			snprintf(ev, sizeof(ev), "%s/events", where[i]);
			if (ctr_is_dir(ev))
				found = where[i];
		}
		if (!found && pass == 0 && ctr_is_dir(where[0]))
			(void)mount("nodev", where[0], "tracefs", 0, NULL);
	}
	return found;
}

/*
 * The id of tracepoint "subsystem:event" into *id.  0; -ENOENT when the
 * name has no such shape or tracefs has no such event; -ENODEV when
 * there is no tracefs; -EACCES when it cannot be read.
 */
static int ctr_tracepoint_id(const char *name, unsigned long long *id)
{
	const char *colon = strchr(name, ':'), *tfs;
	char path[512];
	FILE *f;
	int ok;

	if (!colon || colon == name || !colon[1] || strchr(colon + 1, ':') ||
	    strpbrk(name, "/. "))
		return -ENOENT;
	if (!(tfs = ctr_tracefs()))
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/events/%.*s/%s/id", tfs, (int)(colon - name), name,
		 colon + 1);
	f = fopen(path, "r");
	if (!f)
		return errno == EACCES ? -EACCES : -ENOENT;
	ok = fscanf(f, "%llu", id) == 1;
	fclose(f);
	return ok ? 0 : -ENOENT;
}

/* Encode one name into set slot n: a tracepoint, or whatever libpfm4
 * knows.  0, or -EINVAL with err set. */
static int ctr_encode(struct ctr_set *set, int n, const char *name, char *err, size_t errlen)
{
	struct perf_event_attr *a = &set->attr[n];
	const char *tp = strcmp(name, "syscalls") == 0 ? CTR_SYSCALLS_TP : name;
	unsigned long long id = 0;
	pfm_perf_encode_arg_t arg;
	int r;

	memset(a, 0, sizeof(*a));
	r = ctr_tracepoint_id(tp, &id);
	if (r == 0 || tp != name)
		goto tracepoint;
	memset(&arg, 0, sizeof(arg));
	arg.attr = a;
	arg.size = sizeof(arg);
	/* PLM0|PLM3: count in the kernel and in user space alike. */
	int pr = pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
	if (pr != PFM_SUCCESS) {
		/* A tracepoint name on a machine whose tracefs we cannot
		 * read is known, just not countable here. */
		if (r == -ENODEV || r == -EACCES)
			goto tracepoint;
		snprintf(err, errlen, "unknown counter '%s' (%s); try cycles, instructions, "
			 "context-switches, syscalls, a tracepoint such as "
			 "syscalls:sys_enter_futex, or a name from libpfm4's showevtinfo",
			 name, pfm_strerror(pr));
		return -EINVAL;
	}
	set->kind[n] = CTR_PMU;
	return 0;
tracepoint:
	/* "syscalls" is known whether or not this machine can count it:
	 * without tracefs it is an empty column and a notice. */
	memset(a, 0, sizeof(*a));
	set->kind[n] = CTR_TRACEPOINT;
	a->type = PERF_TYPE_TRACEPOINT;
	a->config = r == 0 ? id : 0;
	set->unavailable[n] = r == 0 ? 0 : -r;
	return 0;
}

static int ctr_in_group(const char *name)
{
	for (size_t i = 0; i < sizeof(ctr_grouped) / sizeof(ctr_grouped[0]); i++)
		if (strcmp(name, ctr_grouped[i]) == 0)
			return 1;
	return 0;
}

int ctr_parse(const char *list, struct ctr_set *set, char *err, size_t errlen)
{
	static int pfm_ready;
	char **names;
	size_t count;
	int r, leader = -1;

	memset(set, 0, sizeof(*set));
	if (!pfm_ready) {
		r = pfm_initialize();
		if (r != PFM_SUCCESS) {
			snprintf(err, errlen, "libpfm4 failed to initialise: %s", pfm_strerror(r));
			return -EINVAL;
		}
		pfm_ready = 1;
	}
	if (strcmp(list, "none") == 0 || list[0] == '\0')
		return 0;
	if ((r = parse_split(list, ',', "--counters", &names, &count, err, errlen)) < 0)
		return r == -ENOMEM ? -ENOMEM : -EINVAL;
	r = 0;
	for (size_t k = 0; k < count && !r; k++) {
		const char *name = names[k];
		struct perf_event_attr *a = &set->attr[set->n];

		if (set->n == CTR_MAX) {
			snprintf(err, errlen, "at most %d counters at once", CTR_MAX);
			r = -EINVAL;
			break;
		}
		if (strlen(name) >= CTR_NAME_MAX) {
			snprintf(err, errlen, "counter name '%.40s...' is too long", name);
			r = -EINVAL;
			break;
		}
		if ((r = ctr_encode(set, set->n, name, err, errlen)) < 0)
			break;
		for (int i = 0; i < set->n && !r; i++)
			if (strcmp(set->name[i], name) == 0 ||
			    (set->attr[i].type == a->type && set->attr[i].config == a->config &&
			     set->attr[i].config1 == a->config1 && !set->unavailable[i])) {
				snprintf(err, errlen, "counter '%s' is listed twice%s%s%s", name,
					 strcmp(set->name[i], name) ? " (as '" : "",
					 strcmp(set->name[i], name) ? set->name[i] : "",
					 strcmp(set->name[i], name) ? "')" : "");
				r = -EINVAL;
			}
		if (r)
			break;
		a->size = sizeof(*a);
		a->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
		a->disabled = 0;
		/* Every thread and process the counted thread starts from
		 * now on is counted with it (a Timer's thread, a pool's
		 * workers): their work is the operation's work. */
		a->inherit = 1;
		set->leader[set->n] = set->n;
		if (set->kind[set->n] == CTR_PMU && ctr_in_group(name)) {
			if (leader < 0)
				leader = set->n;
			set->leader[set->n] = leader;
		}
		snprintf(set->name[set->n], sizeof(set->name[0]), "%s", name);
		ctr_column(name, set->column[set->n], sizeof(set->column[0]));
		set->n++;
	}
	parse_split_free(names, count);
	if (r)
		return -EINVAL;
	/* A group of one is a lone event; a real group is read through its
	 * leader, all values at once. */
	int members = 0;
	for (int i = 0; i < set->n; i++)
		members += set->leader[i] == leader && leader >= 0;
	for (int i = 0; i < set->n; i++)
		if (members > 1 && set->leader[i] == leader)
			set->attr[i].read_format |= PERF_FORMAT_GROUP;
	return 0;
}

static int ctr_grouped_read(const struct ctr_set *set, int i)
{
	return (set->attr[i].read_format & PERF_FORMAT_GROUP) != 0;
}

/* Thread tid (0: this one), cpu -1: wherever it runs.  No fallback to
 * user space only when perf_event_paranoid forbids kernel counting: a
 * context switch happens in the kernel, so a user-only count would read
 * 0 and look measured.  The caller reports EACCES instead. */
static int ctr_open_one(struct perf_event_attr *a, pid_t tid, int group_fd)
{
	int fd = (int)syscall(SYS_perf_event_open, a, tid, -1, group_fd, 0);

	return fd < 0 ? -errno : fd;
}

void ctr_task_open(const struct ctr_set *set, struct ctr_task *t)
{
	ctr_task_open_on(set, t, 0);
}

void ctr_task_open_on(const struct ctr_set *set, struct ctr_task *t, pid_t tid)
{
	for (int i = 0; i < set->n; i++) {
		struct perf_event_attr a = set->attr[i];
		int lead = set->leader[i], fd;

		if (set->unavailable[i])
			fd = -set->unavailable[i];
		else if (lead != i && t->fd[lead] < 0)
			fd = -t->err[lead];	/* no group without its leader */
		else
			fd = ctr_open_one(&a, tid, lead != i ? t->fd[lead] : -1);
		t->fd[i] = fd < 0 ? -1 : fd;
		t->err[i] = fd < 0 ? -fd : 0;
	}
}

void ctr_task_read(const struct ctr_set *set, const struct ctr_task *t, struct ctr_sample *s)
{
	for (int i = 0; i < set->n; i++)
		s->ok[i] = 0;
	for (int i = 0; i < set->n; i++) {
		uint64_t v[3 + CTR_MAX];

		if (t->fd[i] < 0 || set->leader[i] != i)
			continue;	/* members come with their leader */
		if (!ctr_grouped_read(set, i)) {
			if (read(t->fd[i], v, 3 * sizeof(v[0])) != (ssize_t)(3 * sizeof(v[0])))
				continue;
			s->value[i] = v[0];
			s->enabled[i] = v[1];
			s->running[i] = v[2];
			s->ok[i] = 1;
			continue;
		}
		/* { nr, time_enabled, time_running, value[nr] }, values in
		 * the order the members were opened: set order. */
		ssize_t got = read(t->fd[i], v, sizeof(v));
		if (got < (ssize_t)(3 * sizeof(v[0])) || got < (ssize_t)((3 + v[0]) * sizeof(v[0])))
			continue;
		for (int k = i, m = 0; k < set->n && (uint64_t)m < v[0]; k++) {
			if (set->leader[k] != i || t->fd[k] < 0)
				continue;
			s->value[k] = v[3 + m++];
			s->enabled[k] = v[1];
			s->running[k] = v[2];
			s->ok[k] = 1;
		}
	}
}

void ctr_delta(const struct ctr_set *set, const struct ctr_sample *a,
	       const struct ctr_sample *b, double *out)
{
	for (int i = 0; i < set->n; i++) {
		double dv = (double)(b->value[i] - a->value[i]);
		double de = (double)(b->enabled[i] - a->enabled[i]);
		double dr = (double)(b->running[i] - a->running[i]);

		/* Not on the PMU at all while enabled: unknown, not zero.
		 * Never enabled at all: a per-thread event's times only
		 * advance while its thread runs, so that thread never ran
		 * (a helper asleep through the round) and did nothing. */
		if (!a->ok[i] || !b->ok[i])
			out[i] = NAN;
		else if (de == 0)
			out[i] = dv;
		else
			out[i] = dr > 0 ? dv * (de / dr) : NAN;
	}
}

void ctr_task_close(const struct ctr_set *set, struct ctr_task *t)
{
	/* Members first: closing a leader first would orphan them. */
	for (int i = set->n - 1; i >= 0; i--)
		if (t->fd[i] >= 0) {
			close(t->fd[i]);
			t->fd[i] = -1;
		}
}

const char *ctr_why(const struct ctr_set *set, int i, int err)
{
	if (set->kind[i] == CTR_TRACEPOINT) {
		switch (err) {
		case ENODEV:
			return "no tracefs here (mount -t tracefs nodev /sys/kernel/tracing as root)";
		case EACCES:
		case EPERM:
			return "not permitted: tracepoints need root (tracefs is root's)";
		case ENOENT:
			return "this kernel has no such tracepoint";
		default:
			return strerror(err);
		}
	}
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

int ctr_probe(const struct ctr_set *set, char why[][CTR_NAME_MAX * 2])
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
		snprintf(why[i], sizeof(why[0]), "%s", ctr_why(set, i, t.err[i]));
	}
	ctr_task_close(set, &t);
	return ok;
}
