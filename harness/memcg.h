/*
 * harness/memcg.h - memory as the kernel charges it: a memory cgroup
 * that a runner makes for its configuration and moves itself into, so
 * that everything it and its tasks allocate from then on (kernel stacks,
 * page tables, socket buffers, slab, user pages) is charged there.
 *
 * cgroup v1 (a `memory` hierarchy): memory.usage_in_bytes, which holds
 * the kernel's part too, and memory.kmem.usage_in_bytes, that part alone.
 * cgroup v2: memory.current, and the kernel's part from memory.stat
 * (kernel, or kernel_stack + pagetables + sock + slab where the kernel
 * has no `kernel` line).  The cgroup is a child of the one the process
 * is in, named contend-<pid>; memcg_close moves the process back and
 * removes it; memcg_sweep removes what a runner killed on its way left,
 * and memcg_open what dead runners whose parents died too left.
 *
 * Workloads reach this through bench_mem_open() and bench_mem_read()
 * (harness/bench.h), never directly.
 */
#ifndef CONTEND_MEMCG_H
#define CONTEND_MEMCG_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

struct memcg {
	char dir[PATH_MAX];	/* the child cgroup; "" when none is open */
	char home[PATH_MAX];	/* the cgroup the process came from */
	int v2;
};

/*
 * Make the child cgroup of the calling process's memory cgroup and move
 * the whole process (every thread) into it.  0, or -errno with why (one
 * line: no memory controller, a read-only hierarchy, not root) filled in,
 * and nothing left behind.
 */
int memcg_open(struct memcg *cg, char *why, size_t len);

/* The bytes charged to it now, and the kernel's part of them; -errno
 * when they cannot be read. */
int memcg_read(const struct memcg *cg, int64_t *charged, int64_t *kmem);

/* Move the process back and remove the cgroup (waiting a little for
 * exiting children to leave it); harmless when none is open. */
void memcg_close(struct memcg *cg);

/* In the runner's parent, after the runner and its process group are
 * killed and reaped: remove the cgroup runner `pid` made, if it is still
 * there. */
void memcg_sweep(pid_t pid);

#endif
