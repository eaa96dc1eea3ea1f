/*
 * harness/bench.c - what workloads call (harness/bench.h): shared memory,
 * parameters, the clock, and saying "skipped".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness/bench.h"
#include "harness/clock.h"
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

void bench_shared_free_all(struct bench_state *st)
{
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
