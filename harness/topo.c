/*
 * harness/topo.c - hwloc topology and placement.  The only file that
 * calls hwloc.  The topology is loaded once, before any task is spawned,
 * and only read afterwards (also from forked children, which inherit it).
 */
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <string.h>

#include "harness/parse.h"
#include "harness/topo.h"

static hwloc_topology_t topo;

int topo_init(void)
{
	if (topo)
		return 0;
	if (hwloc_topology_init(&topo) < 0)
		return -errno;
	/* Only what this process may run on: a taskset or cgroup limit
	 * shrinks the machine instead of producing impossible bindings.
	 * (hwloc drops cgroup-forbidden processors by itself; the affinity
	 * mask needs this flag.) */
	hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM |
				       HWLOC_TOPOLOGY_FLAG_RESTRICT_TO_CPUBINDING);
	if (hwloc_topology_load(topo) < 0) {
		int e = errno;
		hwloc_topology_destroy(topo);
		topo = NULL;
		return -e;
	}
	return 0;
}

static unsigned topo_count(hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(topo, type);

	return n > 0 ? (unsigned)n : 0;
}

void topo_summarize(struct topo_summary *s)
{
	s->packages = topo_count(HWLOC_OBJ_PACKAGE);
	s->numa_nodes = topo_count(HWLOC_OBJ_NUMANODE);
	s->cores = topo_count(HWLOC_OBJ_CORE);
	s->pus = topo_count(HWLOC_OBJ_PU);
	/* Some virtual machines report no Core objects: treat each PU as one. */
	if (s->cores == 0)
		s->cores = s->pus;
	s->smt = s->cores ? (s->pus + s->cores - 1) / s->cores : 1;
}

void topo_describe(char *buf, size_t len)
{
	size_t off = 0;
	int depth = hwloc_topology_get_depth(topo);

	buf[0] = '\0';
	for (int d = 0; d < depth && off < len; d++) {
		hwloc_obj_t o = hwloc_get_obj_by_depth(topo, d, 0);
		char type[64];
		unsigned n = hwloc_get_nbobjs_by_depth(topo, d);

		hwloc_obj_type_snprintf(type, sizeof(type), o, 1);
		off += snprintf(buf + off, len - off, "%*s%u x %s", d * 2, "", n, type);
		if (o->attr && hwloc_obj_type_is_cache(o->type))
			off += snprintf(buf + off, len > off ? len - off : 0, " (%llu KiB)",
					(unsigned long long)o->attr->cache.size / 1024);
		if (off < len)
			off += snprintf(buf + off, len - off, "\n");
	}
}

int topo_placement_parse(const char *text, struct topo_placement *p,
			 char *err, size_t errlen)
{
	static const struct { const char *name; enum topo_policy policy; } names[] = {
		{ "none", TOPO_NONE }, { "compact", TOPO_COMPACT },
		{ "scatter", TOPO_SCATTER }, { "same-core", TOPO_SAME_CORE },
		{ "cross-core", TOPO_CROSS_CORE },
	};

	memset(p, 0, sizeof(*p));
	if (strlen(text) >= sizeof(p->name)) {
		snprintf(err, errlen, "placement '%.40s...' is too long (at most %zu characters; "
			 "ranges such as cpus:0-63 are shorter)", text, sizeof(p->name) - 1);
		return -EINVAL;
	}
	snprintf(p->name, sizeof(p->name), "%s", text);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(text, names[i].name) == 0) {
			p->policy = names[i].policy;
			return 0;
		}
	if (strncmp(text, "cpus:", 5) == 0) {
		size_t n;
		int tmp[PARSE_LIST_MAX];
		char why[200];

		if (parse_int_list(text + 5, 0, 65535, tmp, &n, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "placement %s: %s", text, why);
			return -EINVAL;
		}
		if (n > sizeof(p->cpus) / sizeof(p->cpus[0])) {
			snprintf(err, errlen, "placement %.40s...: at most %d processors in a cpus: "
				 "list", text, TOPO_MAX_CPUS);
			return -EINVAL;
		}
		memcpy(p->cpus, tmp, n * sizeof(int));
		p->ncpus = (int)n;
		p->policy = TOPO_CPUS;
		return 0;
	}
	snprintf(err, errlen, "unknown placement '%s' (expected compact, scatter, "
		 "same-core, cross-core, none or cpus:LIST)", text);
	return -EINVAL;
}

int topo_placement_same(const struct topo_placement *a, const struct topo_placement *b)
{
	if (a->policy != b->policy)
		return 0;
	return a->policy != TOPO_CPUS ||
	       (a->ncpus == b->ncpus && !memcmp(a->cpus, b->cpus, sizeof(int) * (size_t)a->ncpus));
}

/* OS index of the first PU under obj. */
static int topo_first_pu(hwloc_obj_t obj)
{
	return hwloc_bitmap_first(obj->cpuset);
}

static int topo_too_many(const struct topo_placement *p, int ntasks, unsigned slots,
			 const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "placement %s cannot place %d tasks: this machine has %u %s "
		 "(use fewer tasks, or same-core or none)", p->name, ntasks, slots, what);
	return -EINVAL;
}

int topo_place(const struct topo_placement *p, int ntasks, int *cpus,
	       char *err, size_t errlen)
{
	struct topo_summary s;
	int ret = 0;

	topo_summarize(&s);
	switch (p->policy) {
	case TOPO_NONE:
		for (int i = 0; i < ntasks; i++)
			cpus[i] = -1;
		return 0;
	case TOPO_SAME_CORE:
		for (int i = 0; i < ntasks; i++)
			cpus[i] = topo_first_pu(hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, 0));
		return 0;
	case TOPO_COMPACT:
		if ((unsigned)ntasks > s.pus)
			return topo_too_many(p, ntasks, s.pus, "processors", err, errlen);
		for (int i = 0; i < ntasks; i++)
			cpus[i] = (int)hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i)->os_index;
		return 0;
	case TOPO_CROSS_CORE: {
		int ncore = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
		hwloc_obj_type_t unit = ncore > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;

		if ((unsigned)ntasks > s.cores)
			return topo_too_many(p, ntasks, s.cores, "cores", err, errlen);
		for (int i = 0; i < ntasks; i++)
			cpus[i] = topo_first_pu(hwloc_get_obj_by_type(topo, unit, i));
		return 0;
	}
	case TOPO_SCATTER: {
		hwloc_obj_t root = hwloc_get_root_obj(topo);
		hwloc_bitmap_t sets[ntasks];

		if ((unsigned)ntasks > s.pus)
			return topo_too_many(p, ntasks, s.pus, "processors", err, errlen);
		/* hwloc_distrib allocates the sets itself. */
		if (hwloc_distrib(topo, &root, 1, sets, (unsigned)ntasks, INT_MAX, 0) < 0) {
			ret = -errno;
			snprintf(err, errlen, "placement scatter: hwloc_distrib: %s", strerror(-ret));
			return ret;
		}
		for (int i = 0; i < ntasks; i++) {
			hwloc_bitmap_singlify(sets[i]);
			cpus[i] = hwloc_bitmap_first(sets[i]);
			hwloc_bitmap_free(sets[i]);
		}
		return 0;
	}
	case TOPO_CPUS:
		if (ntasks > p->ncpus) {
			snprintf(err, errlen, "placement %s lists %d processors for %d tasks "
				 "(list one per task)", p->name, p->ncpus, ntasks);
			return -EINVAL;
		}
		for (int i = 0; i < p->ncpus; i++)
			if (!hwloc_get_pu_obj_by_os_index(topo, (unsigned)p->cpus[i])) {
				snprintf(err, errlen, "placement %s: processor %d is not available "
					 "here (see 'contend env')", p->name, p->cpus[i]);
				return -EINVAL;
			}
		for (int i = 0; i < ntasks; i++)
			cpus[i] = p->cpus[i];
		return 0;
	}
	return -EINVAL;
}

int topo_bind_self(int cpu)
{
	hwloc_bitmap_t set;
	int ret = 0;

	if (cpu < 0)
		return 0;
	set = hwloc_bitmap_alloc();
	if (!set)
		return -ENOMEM;
	hwloc_bitmap_only(set, (unsigned)cpu);
	if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) < 0)
		ret = -errno;
	hwloc_bitmap_free(set);
	return ret;
}
