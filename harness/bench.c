/*
 * harness/bench.c - what workloads call (harness/bench.h): shared memory,
 * parameters, the clock, and saying "skipped".
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/clock.h"
#include "harness/memcg.h"
#include "harness/parse.h"
#include "harness/team.h"

struct bench_shm {
	void *addr;
	size_t size;
	struct bench_shm *next;
};

void *bench_shared_alloc(struct bench_state *st, size_t size)
{
	struct bench_shm *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->size = size ? size : 1;
	s->addr = team_map(s->size);
	if (!s->addr) {
		free(s);
		return NULL;
	}
	s->next = st->shm_list;
	st->shm_list = s;
	return s->addr;
}

/* Everything the harness holds for a configuration: its shared memory,
 * and its memory cgroup (bench_mem_open), after teardown. */
void bench_shared_free_all(struct bench_state *st)
{
	if (st->memcg) {
		memcg_close(st->memcg);
		free(st->memcg);
		st->memcg = NULL;
	}
	while (st->shm_list) {
		struct bench_shm *s = st->shm_list;
		st->shm_list = s->next;
		munmap(s->addr, s->size);
		free(s);
	}
}

static int bench_param_index(const struct bench_state *st, const char *key)
{
	for (int i = 0; st->desc->params && st->desc->params[i].name; i++)
		if (strcmp(st->desc->params[i].name, key) == 0)
			return i;
	fprintf(stderr, "contend: %s: asks for undeclared parameter '%s'\n", st->desc->name, key);
	abort();	/* a bug in the workload, not bad input */
}

const char *bench_param_str(const struct bench_state *st, const char *key)
{
	return st->param_values[bench_param_index(st, key)];
}

long long bench_param_int(const struct bench_state *st, const char *key)
{
	const struct bench_param *p = &st->desc->params[bench_param_index(st, key)];
	long long v;
	char err[200];

	/* The parser that checked the value before the run: what was
	 * checked is what is used. */
	if (p->min >= p->max ||
	    parse_ll(bench_param_str(st, key), p->min, p->max, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "contend: %s: parameter '%s' is not a checked integer\n",
			st->desc->name, key);
		abort();	/* a bug in the workload's descriptor */
	}
	return v;
}

uint64_t bench_now_ns(void)
{
	return (uint64_t)clk_ns(clk_now());
}

double bench_per_sec(double count, uint64_t ns)
{
	return ns ? count * 1e9 / (double)ns : NAN;
}

uint64_t bench_clock_pair_ns(void)
{
	return clk_get_info()->pair_ns;
}

int bench_skip(struct bench_state *st, const char *why)
{
	/* Tasks of one configuration may all say it at once. */
	__atomic_store_n(&st->skip_reason, why, __ATOMIC_RELAXED);
	return -ENOTSUP;
}

int bench_nhists(const struct bench_desc *d)
{
	int n = 0;

	for (const struct bench_metric *m = d->metrics; m->name; m++)
		if (m->kind == BENCH_LATENCY && m->slot + 1 > n)
			n = m->slot + 1;
	return n;
}

int bench_nvalues(const struct bench_desc *d)
{
	int n = 0;

	for (const struct bench_metric *m = d->metrics; m->name; m++)
		if (m->kind == BENCH_REPORTED && m->slot + 1 > n)
			n = m->slot + 1;
	return n;
}

int bench_recording(const struct bench_task *t)
{
	return t->rec && t->rec->recording;
}

void bench_record_ns(struct bench_task *t, int slot, uint64_t ns)
{
	if (!bench_recording(t))
		return;
	if (slot < 0 || slot >= t->rec->nhist) {
		fprintf(stderr, "contend: %s: records into histogram %d, which no metric declares\n",
			t->st->desc->name, slot);
		abort();	/* a bug in the workload */
	}
	hist_record(&t->rec->hist[slot], ns);
}

void bench_report(struct bench_task *t, int slot, double value)
{
	if (!t->rec || slot < 0 || slot >= BENCH_MAX_VALUES) {
		fprintf(stderr, "contend: %s: reports value %d, out of range\n",
			t->st->desc->name, slot);
		abort();	/* a bug in the workload */
	}
	t->rec->value[slot] = value;
	t->rec->reported[slot] = 1;
}

int bench_mem_open(struct bench_state *st)
{
	char why[PATH_MAX + 200];

	if (st->memcg)
		return 0;
	if (!(st->memcg = malloc(sizeof(*st->memcg))))
		return -ENOMEM;
	if (memcg_open(st->memcg, why, sizeof(why)) < 0) {
		free(st->memcg);
		st->memcg = NULL;
		fprintf(stderr, "\ncontend: notice: %s: no memory cgroup (%s): memory per unit is "
			"resident memory alone\n", st->desc->name, why);
	}
	return 0;
}

/* Field `index` (from 0) of /proc/PID/statm, in bytes; -1 if unreadable. */
static int64_t bench_statm(const char *pid, int index)
{
	char path[64];
	long long v[7];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%s/statm", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fscanf(f, "%lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &v[6]);
	fclose(f);
	return n > index ? v[index] * sysconf(_SC_PAGESIZE) : -1;
}

/* The Pss of /proc/PID/smaps_rollup in bytes; -1 if unreadable. */
static int64_t bench_pss(const char *pid)
{
	char path[64], line[256];
	long long kb;
	int64_t v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/smaps_rollup", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %lld kB", &kb) == 1)
			v = kb * 1024;
	fclose(f);
	return v;
}

void bench_mem_read(const struct bench_state *st, const pid_t *pids, int npids,
		    struct bench_mem *m)
{
	m->charged = m->kmem = m->pss = -1;
	if (st->memcg && memcg_read(st->memcg, &m->charged, &m->kmem) < 0)
		m->charged = m->kmem = -1;
	m->rss = bench_statm("self", 1);
	if (!pids)
		return;
	m->pss = bench_pss("self");
	for (int i = 0; i < npids && m->pss >= 0; i++) {
		char pid[24];
		int64_t v;

		snprintf(pid, sizeof(pid), "%d", (int)pids[i]);
		v = bench_pss(pid);
		m->pss = v < 0 ? -1 : m->pss + v;
	}
}

/* The first number in file `path`, or -1. */
static long long bench_file_num(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The tasks (threads) the machine runs now: /proc/loadavg's "r/total". */
static long long bench_tasks_now(void)
{
	long long running, total = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%*s %*s %*s %lld/%lld", &running, &total) != 2)
			total = -1;
		fclose(f);
	}
	return total;
}

static void bench_room_min(long *room, const char **limit, long long v, const char *what)
{
	if (v >= 0 && v < *room) {
		*room = (long)v;
		*limit = what;
	}
}

long bench_room_processes(const char **limit)
{
	long long now = bench_tasks_now(), pid_max = bench_file_num("/proc/sys/kernel/pid_max");
	long long tmax = bench_file_num("/proc/sys/kernel/threads-max");
	long room = LONG_MAX;
	struct rlimit rl;

	*limit = "no limit found";
	if (now < 0)
		now = 0;
	if (pid_max > 0)
		bench_room_min(&room, limit, pid_max - now, "kernel.pid_max");
	if (tmax > 0)
		bench_room_min(&room, limit, tmax - now, "kernel.threads-max");
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		bench_room_min(&room, limit, (long long)rl.rlim_cur - now, "RLIMIT_NPROC");
	return room < 0 ? 0 : room;
}

long bench_room_threads(const char **limit)
{
	long room = bench_room_processes(limit);
	long long maps = 0, max_maps = bench_file_num("/proc/sys/vm/max_map_count");
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			maps += strchr(line, '\n') != NULL;
		fclose(f);
	}
	if (max_maps > 0)
		bench_room_min(&room, limit, (max_maps - maps) / 2, "vm.max_map_count");
	return room < 0 ? 0 : room;
}
