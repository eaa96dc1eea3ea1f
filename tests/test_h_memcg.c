/*
 * tests/test_h_memcg.c - memory as the kernel counts it (harness/memcg.h,
 * bench_mem_* of harness/bench.h): a known answer (touching 16 MiB grows
 * the cgroup's charge and the RSS by at least that), the process back
 * where it was and the cgroup gone after the configuration, and the
 * cgroup of a runner killed on its way removed by its parent; on cgroup
 * v2 the kernel's part is memory.stat's `kernel` line (a known answer on
 * files the test writes, and live: more than the threads' stacks).  Where
 * no memory cgroup can be made here, the tests say so and check the RSS
 * alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/memcg.h"
#include "harness/team.h"
#include "tests/check.h"
#include "tests/h_util.h"

#define MEMCG_TOUCH (16u << 20)
#define MEMCG_BATCH (64 * 4096)	/* the kernel's MEMCG_CHARGE_BATCH, in bytes */

static const struct bench_desc memcg_desc = { .name = "test.memcg" };

/* The memory line of /proc/self/cgroup (v1's memory hierarchy, else
 * v2's), for "moved back". */
static void memcg_self_line(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[1024];
	int v1 = 0;

	buf[0] = '\0';
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ":memory:") || (!v1 && !strncmp(line, "0::", 3))) {
			snprintf(buf, len, "%s", line);
			v1 |= strstr(line, ":memory:") != NULL;
		}
	fclose(f);
}

Test(memcg, touched_memory_is_charged_and_the_cgroup_goes, .timeout = 30)
{
	struct bench_state st = { .desc = &memcg_desc };
	struct bench_mem a, b;
	char before[1024], inside[1024], after[1024], dir[PATH_MAX];
	struct stat sb;
	char *p;

	memcg_self_line(before, sizeof(before));
	cr_assert_eq(bench_mem_open(&st), 0);
	bench_mem_read(&st, NULL, 0, &a);
	p = mmap(NULL, MEMCG_TOUCH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	memset(p, 1, MEMCG_TOUCH);
	bench_mem_read(&st, NULL, 0, &b);
	cr_assert_geq(b.rss - a.rss, MEMCG_TOUCH, "RSS grew %lld", (long long)(b.rss - a.rss));
	if (!st.memcg) {
		cr_log_warn("memcg: no memory cgroup can be made here: RSS alone checked");
		cr_assert_eq(b.charged, -1);
		munmap(p, MEMCG_TOUCH);
		bench_shared_free_all(&st);
		return;
	}
	/* The kernel charges in batches it keeps per processor (64 pages
	 * each, precharged): a reading is off by up to that. */
	cr_assert_geq(b.charged - a.charged, MEMCG_TOUCH - MEMCG_BATCH * sysconf(_SC_NPROCESSORS_CONF),
		      "the charge grew %lld", (long long)(b.charged - a.charged));
	/* User pages are not the kernel's. */
	cr_assert_lt(b.kmem - a.kmem, MEMCG_TOUCH / 2, "kmem grew %lld",
		     (long long)(b.kmem - a.kmem));
	memcg_self_line(inside, sizeof(inside));
	cr_assert(strstr(inside, "contend-"), "not moved into its cgroup: %s", inside);
	snprintf(dir, sizeof(dir), "%s", st.memcg->dir);
	cr_assert_eq(stat(dir, &sb), 0);
	munmap(p, MEMCG_TOUCH);
	bench_shared_free_all(&st);
	memcg_self_line(after, sizeof(after));
	cr_assert_str_eq(after, before, "not moved back");
	cr_assert(stat(dir, &sb) < 0 && errno == ENOENT, "%s is left", dir);
}

/* A runner that dies in its cgroup: its parent's sweep removes it. */
Test(memcg, a_killed_runners_cgroup_is_swept, .timeout = 30)
{
	struct memcg cg;
	char why[512], dir[PATH_MAX + 32], home[PATH_MAX];
	int fds[2], go[2], status;
	char c;
	struct stat sb;
	pid_t pid;

	if (memcg_open(&cg, why, sizeof(why)) < 0) {
		cr_log_warn("memcg: no memory cgroup here (%s): sweep not checked", why);
		return;
	}
	snprintf(home, sizeof(home), "%s", cg.home);
	memcg_close(&cg);
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(go[1]);	/* so the parent's close is its end of file */
		c = memcg_open(&cg, why, sizeof(why)) == 0;
		if (write(fds[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);	/* dies inside, its cgroup left */
	}
	cr_assert_eq(read(fds[0], &c, 1), 1);
	cr_assert(c, "the child made no cgroup");
	/* While it lives (a dead runner's cgroup is anyone's to sweep). */
	snprintf(dir, sizeof(dir), "%s/contend-%d", home, (int)pid);
	cr_assert_eq(stat(dir, &sb), 0, "%s was never made", dir);
	close(go[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fds[0]);
	close(fds[1]);
	close(go[0]);
	memcg_sweep(pid);
	cr_assert(stat(dir, &sb) < 0 && errno == ENOENT, "%s is left after the sweep", dir);
}

/* Where v1's memory hierarchy is mounted whole (root "/"), or "". */
static void memcg_v1_mount(char *buf, size_t len)
{
	char line[4096], root[1024], mnt[1024], fstype[64], super[1024];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	buf[0] = '\0';
	cr_assert_not_null(f);
	while (!buf[0] && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (dash && sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) == 2 &&
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) == 2 &&
		    !strcmp(fstype, "cgroup") && strstr(super, "memory") && !strcmp(root, "/"))
			snprintf(buf, len, "%s", mnt);
	}
	fclose(f);
}

/*
 * What memcg_open says in a child that sits in cgroup folder `in` (a
 * path under mount point mnt) and sees the hierarchy only through a
 * mount of folder `top`, moved over mnt in a mount namespace of its own
 * (the whole mount detached): "HOME DIR", or "memcg_open: WHY".
 */
static void memcg_open_below(const char *mnt, const char *in, const char *top, char *got,
			     size_t len, pid_t *child)
{
	char stage[] = "/tmp/contend-memcg-XXXXXX", procs[PATH_MAX + 96];
	int status, fds[2];
	ssize_t n;
	pid_t pid;

	cr_assert_not_null(mkdtemp(stage));
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char msg[2 * PATH_MAX + 32], why[512];
		struct memcg cg;
		FILE *f;

		close(fds[0]);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", in);
		if (!(f = fopen(procs, "w")) || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			_exit(3);
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount(top, stage, NULL, MS_BIND, NULL) || umount2(mnt, MNT_DETACH) ||
		    mount(stage, mnt, NULL, MS_MOVE, NULL))
			_exit(4);
		if (memcg_open(&cg, why, sizeof(why)) < 0)
			snprintf(msg, sizeof(msg), "memcg_open: %s", why);
		else
			snprintf(msg, sizeof(msg), "%s %s", cg.home, cg.dir);
		memcg_close(&cg);
		_exit(write(fds[1], msg, strlen(msg)) > 0 ? 0 : 5);
	}
	close(fds[1]);
	n = read(fds[0], got, len - 1);
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	rmdir(stage);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's set-up failed (%d)",
		  WEXITSTATUS(status));
	got[n > 0 ? n : 0] = '\0';
	*child = pid;
}

/*
 * A hierarchy mounted from below its top, as a container sees it: the
 * mount's root is /contend-rooted-PID and the process sits in
 * /contend-rooted-PID/inner, which is <mount>/inner, not
 * <mount>/contend-rooted-PID/inner.  A process in /contend-rooted-PIDx
 * (the root's name and more) is not under that mount at all: no
 * hierarchy, rather than a folder made up from the rest of the name.
 * v1 only: v2 lets no process sit where its cgroup's children have the
 * memory controller.
 */
Test(memcg, a_hierarchy_mounted_from_below_its_top, .timeout = 30)
{
	struct memcg cg;
	char why[2 * PATH_MAX + 8], mnt[1024], base[PATH_MAX + 64], inner[PATH_MAX + 80];
	char other[PATH_MAX + 80], got[2 * PATH_MAX + 8], got2[2 * PATH_MAX + 8];
	struct stat sb;
	pid_t pid, pid2;

	if (memcg_open(&cg, why, sizeof(why)) < 0)
		cr_skip_test("no memory cgroup here (%s)", why);
	memcg_close(&cg);
	memcg_v1_mount(mnt, sizeof(mnt));
	if (cg.v2 || !mnt[0])
		cr_skip_test("not cgroup v1 with a memory hierarchy of its own");
	snprintf(base, sizeof(base), "%s/contend-rooted-%d", cg.home, (int)getpid());
	snprintf(inner, sizeof(inner), "%s/inner", base);
	snprintf(other, sizeof(other), "%sx", base);
	cr_assert_eq(mkdir(base, 0755), 0, "%s: %s", base, strerror(errno));
	cr_assert_eq(mkdir(inner, 0755), 0, "%s: %s", inner, strerror(errno));
	cr_assert_eq(mkdir(other, 0755), 0, "%s: %s", other, strerror(errno));
	memcg_open_below(mnt, inner, base, got, sizeof(got), &pid);
	memcg_open_below(mnt, other, base, got2, sizeof(got2), &pid2);
	rmdir(inner);
	rmdir(base);
	rmdir(other);
	cr_assert(stat(base, &sb) < 0 && errno == ENOENT, "%s is left", base);
	snprintf(why, sizeof(why), "%s/inner %s/inner/contend-%d", mnt, mnt, (int)pid);
	cr_assert_str_eq(got, why, "the cgroup under a mount rooted at /contend-rooted-PID");
	cr_assert_str_eq(got2, "memcg_open: no memory cgroup hierarchy is mounted",
			 "a process in /contend-rooted-PIDx");
}

/* Line `key` of dir/memory.stat, or -1. */
static long long memcg_stat_line(const char *dir, const char *key)
{
	char path[PATH_MAX + 16], line[256];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	cr_assert_not_null(f = fopen(path, "r"), "%s", path);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

/*
 * cgroup v2's kernel memory, a known answer on files the test writes (as
 * a 6.x kernel writes them, so that it runs under v1 too): the `kernel`
 * line of memory.stat, all of the kernel's part (stacks, page tables,
 * slab, sockets ...), never `kernel_stack` or another line that starts
 * alike; where there is no `kernel` line (before 5.18), the sum of its
 * parts.
 */
Test(memcg, v2_kernel_memory_is_memory_stat_kernel, .timeout = 30)
{
	static const struct { const char *stat; long long kmem; } c[] = {
		{ "anon 1048576\nfile 2097152\nkernel 1234944\nkernel_stack 327680\n"
		  "pagetables 258048\nsec_pagetables 0\npercpu 1440\nsock 8192\nvmalloc 0\n"
		  "shmem 0\nslab_reclaimable 204800\nslab_unreclaimable 401408\nslab 606208\n",
		  1234944 },
		{ "anon 1048576\nfile 2097152\nkernel_stack 327680\npagetables 258048\n"
		  "percpu 1440\nsock 8192\nshmem 0\nslab_reclaimable 204800\n"
		  "slab_unreclaimable 401408\nslab 606208\n", 327680 + 258048 + 8192 + 606208 },
	};
	struct memcg cg = { .v2 = 1 };
	char path[PATH_MAX + 32];

	cli_tmpdir(cg.dir, sizeof(cg.dir));
	snprintf(path, sizeof(path), "%s/memory.current", cg.dir);
	cli_write_str(path, "4194304\n");
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		int64_t charged = -1, kmem = -1;

		snprintf(path, sizeof(path), "%s/memory.stat", cg.dir);
		cli_write_str(path, c[k].stat);
		cr_assert_eq(memcg_read(&cg, &charged, &kmem), 0);
		cr_assert_eq(charged, 4194304);
		cr_assert_eq(kmem, c[k].kmem, "case %zu: kmem %lld, not %lld", k,
			     (long long)kmem, c[k].kmem);
	}
	cli_rmdir(cg.dir);
}

#define MEMCG_THREADS 32

static void *memcg_thread_wait(void *arg)
{
	char c;

	/* Asleep until the pipe's write end closes: its stack and its
	 * task are charged meanwhile. */
	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/*
 * Live, where a v2 memory cgroup can be made (v1 has no kernel_stack
 * line: there the known answer above stands alone): 32 threads started
 * in it are charged their kernel stacks and more (each its task struct
 * from the slab, and a page-table page at least for the stack it runs
 * on), so the kernel's part bench_mem_read reports exceeds memory.stat's
 * kernel_stack line by at least a page a thread (a floor: about 10 KiB a
 * thread beyond its stack is usual).
 */
Test(memcg, threads_cost_the_kernel_more_than_their_stacks, .timeout = 60)
{
	struct bench_state st = { .desc = &memcg_desc };
	pthread_t th[MEMCG_THREADS];
	struct bench_mem m;
	long long stack;
	int fds[2];

	cr_assert_eq(bench_mem_open(&st), 0);
	if (!st.memcg || !st.memcg->v2) {
		const char *why = st.memcg ? "a cgroup v1 memory hierarchy"
					   : "no memory cgroup can be made here";

		bench_shared_free_all(&st);
		cr_skip_test("memcg: %s: no kernel_stack line to compare with", why);
	}
	cr_assert_eq(pipe(fds), 0);
	for (int i = 0; i < MEMCG_THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, memcg_thread_wait, &fds[0]), 0);
	/* memory.stat's figures lag the charges until the kernel flushes
	 * them (every 2 s at the latest): wait until they show the
	 * threads' stacks (8 KiB each at least, on any 64-bit kernel). */
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, memcg_stat_line(st.memcg->dir, "kernel_stack") >=
				MEMCG_THREADS * 8192LL), "memory.stat's kernel_stack %lld: the "
		  "threads' stacks never showed", memcg_stat_line(st.memcg->dir, "kernel_stack"));
	bench_mem_read(&st, NULL, 0, &m);
	stack = memcg_stat_line(st.memcg->dir, "kernel_stack");
	cr_assert_geq(m.kmem - stack, (long long)MEMCG_THREADS * 4096,
		      "kmem %lld, kernel stacks %lld: the stacks and little else",
		      (long long)m.kmem, stack);
	close(fds[1]);
	for (int i = 0; i < MEMCG_THREADS; i++)
		cr_assert_eq(pthread_join(th[i], NULL), 0);
	close(fds[0]);
	bench_shared_free_all(&st);
}

/*
 * The resident size is what is resident, not what is mapped: mapping 16
 * MiB leaves it (nearly) where it was, touching them adds them.  And the
 * proportional set size asked for with processes is this process's plus
 * each of theirs: two children that each write 8 MiB of their own add at
 * least 16 MiB to what this process alone has.
 */
Test(memcg, resident_and_proportional_sizes_known_answers, .timeout = 30)
{
	struct bench_state st = { .desc = &memcg_desc };
	struct bench_mem a, b, c, alone, both;
	pid_t pids[2];
	int go[2], ready[2];
	char *p, x;

	bench_mem_read(&st, NULL, 0, &a);
	p = mmap(NULL, MEMCG_TOUCH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	bench_mem_read(&st, NULL, 0, &b);
	memset(p, 1, MEMCG_TOUCH);
	bench_mem_read(&st, NULL, 0, &c);
	cr_assert_lt(b.rss - a.rss, 1 << 20, "mapped, not touched: RSS grew by %lld",
		     (long long)(b.rss - a.rss));
	cr_assert_geq(c.rss - a.rss, (int64_t)MEMCG_TOUCH, "touched: RSS grew by %lld",
		      (long long)(c.rss - a.rss));
	cr_assert_eq(a.pss, -1, "PSS read without being asked for");
	munmap(p, MEMCG_TOUCH);

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(ready), 0);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			char *q = malloc(8 << 20);

			close(go[1]);
			if (!q)
				_exit(1);
			memset(q, 2, 8 << 20);
			if (write(ready[1], "r", 1) != 1 || read(go[0], &x, 1) < 0)
				_exit(1);
			_exit(0);
		}
	}
	close(go[0]);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(read(ready[0], &x, 1), 1);
	bench_mem_read(&st, pids, 0, &alone);
	bench_mem_read(&st, pids, 2, &both);
	close(go[1]);
	for (int i = 0; i < 2; i++)
		waitpid(pids[i], NULL, 0);
	close(ready[0]);
	close(ready[1]);
	cr_assert_gt(alone.pss, 0, "no PSS here (no smaps_rollup?)");
	cr_assert_geq(both.pss - alone.pss, (int64_t)16 << 20, "two children of 8 MiB each "
		      "added %lld bytes", (long long)(both.pss - alone.pss));
}

/* The number in dir/file, or -1. */
static long long memcg_file_num(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * v1's figures are its own files: charged is memory.usage_in_bytes,
 * the kernel's part memory.kmem.usage_in_bytes (16 MiB touched make
 * them far apart).  And opening a cgroup sweeps away a sibling that a
 * dead runner left (contend-PID of a process that is gone).
 */
Test(memcg, v1_reads_its_own_files_and_open_sweeps_the_dead, .timeout = 30)
{
	struct memcg cg;
	char why[512], dead[PATH_MAX + 32];
	int64_t charged, kmem;
	struct stat sb;
	pid_t pid;
	char *p;

	if (memcg_open(&cg, why, sizeof(why)) < 0)
		cr_skip_test("no memory cgroup here (%s)", why);
	if (cg.v2) {
		memcg_close(&cg);
		cr_skip_test("cgroup v2: memory.current, checked elsewhere");
	}
	p = mmap(NULL, MEMCG_TOUCH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	memset(p, 1, MEMCG_TOUCH);
	cr_assert_eq(memcg_read(&cg, &charged, &kmem), 0);
	long long usage = memcg_file_num(cg.dir, "memory.usage_in_bytes");
	long long kusage = memcg_file_num(cg.dir, "memory.kmem.usage_in_bytes");

	cr_assert_geq(charged, (int64_t)MEMCG_TOUCH);
	cr_assert_lt(llabs(charged - usage), 1 << 20, "charged %lld, usage_in_bytes %lld",
		     (long long)charged, usage);
	cr_assert_lt(llabs(kmem - kusage), 1 << 20, "kmem %lld, kmem.usage_in_bytes %lld",
		     (long long)kmem, kusage);
	munmap(p, MEMCG_TOUCH);
	memcg_close(&cg);

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	snprintf(dead, sizeof(dead), "%s/contend-%d", cg.home, (int)pid);
	cr_assert_eq(mkdir(dead, 0755), 0, "%s: %s", dead, strerror(errno));
	cr_assert_eq(memcg_open(&cg, why, sizeof(why)), 0, "%s", why);
	memcg_close(&cg);
	cr_assert(stat(dead, &sb) < 0 && errno == ENOENT, "%s, a dead runner's, was not swept",
		  dead);
}
