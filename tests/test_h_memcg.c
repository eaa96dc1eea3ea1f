/*
 * tests/test_h_memcg.c - memory as the kernel counts it (harness/memcg.h,
 * bench_mem_* of harness/bench.h): a known answer (touching 16 MiB grows
 * the cgroup's charge and the RSS by at least that), the process back
 * where it was and the cgroup gone after the configuration, and the
 * cgroup of a runner killed on its way removed by its parent.  Where no
 * memory cgroup can be made here, the tests say so and check the RSS
 * alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/bench.h"
#include "harness/memcg.h"
#include "harness/team.h"
#include "tests/check.h"

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
