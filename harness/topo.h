/*
 * harness/topo.h - the machine's topology (through hwloc) and the
 * placement policies that decide on which processor each task runs.
 *
 * Policies, all computed from hwloc's tree, never from core numbering:
 *   compact     tasks fill PUs in tree order: SMT siblings first, then
 *               neighbouring cores (shares the most cache)
 *   scatter     tasks spread as far apart as the tree allows
 *               (packages, then NUMA nodes, caches, cores; hwloc_distrib)
 *   same-core   every task on one PU: they time-share it
 *   cross-core  each task on a different physical core, cores taken
 *               next to each other (one PU of each)
 *   none        no binding; the scheduler decides
 *   cpus:LIST   tasks on the listed OS processor ids, in order
 * Every policy but none and same-core is strict: asking it to place more
 * tasks than it has slots is an error, never a silent fallback.
 */
#ifndef CONTEND_TOPO_H
#define CONTEND_TOPO_H

#include <stddef.h>

enum topo_policy {
	TOPO_NONE,
	TOPO_COMPACT,
	TOPO_SCATTER,
	TOPO_SAME_CORE,
	TOPO_CROSS_CORE,
	TOPO_CPUS,
};

/* Long enough for any list a person writes; ranges ("cpus:0-127")
 * keep big machines' lists short. */
#define TOPO_NAME_MAX 256
/* Processors a cpus: list may name. */
#define TOPO_MAX_CPUS 1024

struct topo_placement {
	enum topo_policy policy;
	char name[TOPO_NAME_MAX];	/* as written in the CSV: "cross-core", "cpus:0,2" */
	int ncpus;			/* TOPO_CPUS only */
	int cpus[TOPO_MAX_CPUS];
};

struct topo_summary {
	unsigned packages, numa_nodes, cores, pus;
	unsigned smt;			/* PUs per core (1: no SMT) */
};

/* Load the topology of the processors this process may use.  0 or -errno. */
int topo_init(void);
void topo_summarize(struct topo_summary *s);

/* A text description of the tree, one object a line, for `contend env`. */
void topo_describe(char *buf, size_t len);

/* Parse one policy; 0 or -EINVAL with a sentence in err. */
/* Do a and b place tasks the same way ("cpus:0,1" and "cpus:0-1")? */
int topo_placement_same(const struct topo_placement *a, const struct topo_placement *b);

int topo_placement_parse(const char *text, struct topo_placement *p,
			 char *err, size_t errlen);

/*
 * Choose the OS processor id of each of `ntasks` tasks into cpus[]
 * (-1 = unbound, for `none`).  0, or -EINVAL with a sentence in err when
 * the policy cannot be honoured on this machine.
 */
int topo_place(const struct topo_placement *p, int ntasks, int *cpus,
	       char *err, size_t errlen);

/* Bind the calling thread (or single-threaded process) to one OS
 * processor; cpu < 0 leaves it unbound.  0 or -errno. */
int topo_bind_self(int cpu);

#endif
