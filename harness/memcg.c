/*
 * harness/memcg.c - a memory cgroup of the runner's own (harness/memcg.h).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/memcg.h"

/* Whether the comma list `opts` holds `word`. */
static int memcg_has_word(const char *opts, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == ' ' ||
						 p[n] == '\n'))
			return 1;
	return 0;
}

/*
 * The folder of the calling process's memory cgroup: v1's `memory`
 * hierarchy where there is one, else the v2 tree.  0, or -ENOENT.
 */
static int memcg_home(char *out, size_t len, int *v2)
{
	char line[PATH_MAX + 256], path[PATH_MAX] = "", root[PATH_MAX], mnt[PATH_MAX];
	int found = 0, ret = -ENOENT;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return -ENOENT;
	/* "id:controllers:path"; v2's line is "0::path". */
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if (memcg_has_word(c1 + 1, "memory")) {
			snprintf(path, sizeof(path), "%s", c2 + 1);
			found = 1;
			*v2 = 0;
			break;
		}
		if (c1 == line + 1 && line[0] == '0' && c1[1] == '\0') {
			snprintf(path, sizeof(path), "%s", c2 + 1);
			found = 2;
			*v2 = 1;
		}
	}
	fclose(f);
	if (!found || !(f = fopen("/proc/self/mountinfo", "r")))
		return -ENOENT;
	/* "id parent major:minor root mountpoint opts... - fstype source superopts" */
	while (ret < 0 && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - "), fstype[64], super[1024];

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (*v2 ? strcmp(fstype, "cgroup2") != 0
			: strcmp(fstype, "cgroup") != 0 || !memcg_has_word(super, "memory"))
			continue;
		/* The mount shows the hierarchy from `root` down. */
		if (strcmp(root, "/") == 0)
			ret = snprintf(out, len, "%s%s", mnt, strcmp(path, "/") ? path : "");
		else if (strncmp(path, root, strlen(root)) == 0 &&
			 (path[strlen(root)] == '/' || path[strlen(root)] == '\0'))
			ret = snprintf(out, len, "%s%s", mnt, path + strlen(root));
		ret = ret >= 0 && (size_t)ret < len ? 0 : -ENOENT;
	}
	fclose(f);
	return ret;
}

static int memcg_write(const char *dir, const char *file, long long v)
{
	char path[PATH_MAX + 64], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%lld\n", v);
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* The number in dir/file, or (key given) on its line "key N". */
static int memcg_read_num(const char *dir, const char *file, const char *key, int64_t *v)
{
	char path[PATH_MAX + 64], line[256];
	size_t n = key ? strlen(key) : 0;
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!(f = fopen(path, "r")))
		return -errno;
	while (ret < 0 && fgets(line, sizeof(line), f)) {
		long long x;

		if (key && (strncmp(line, key, n) != 0 || line[n] != ' '))
			continue;
		if (sscanf(line + n, "%lld", &x) == 1) {
			*v = x;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* rmdir, waiting up to a second for exiting tasks to leave it. */
static int memcg_rmdir(const char *dir)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 1000; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&ms, NULL);
	}
	return -EBUSY;
}

/*
 * Remove the cgroups of runners that died inside them and whose parent
 * could not sweep (it was killed too: a test killed at its time-out):
 * a contend-<pid> beside ours whose pid is gone.  One that is not empty
 * stays (rmdir refuses); a pid reused since is taken as alive.
 */
static void memcg_sweep_dead(const char *home)
{
	char dir[PATH_MAX + 300];
	struct dirent *e;
	DIR *d = opendir(home);
	int pid;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "contend-%d", &pid) == 1 && pid > 0 &&
		    kill(pid, 0) < 0 && errno == ESRCH) {
			snprintf(dir, sizeof(dir), "%s/%s", home, e->d_name);
			rmdir(dir);
		}
	closedir(d);
}

int memcg_open(struct memcg *cg, char *why, size_t len)
{
	char probe[PATH_MAX + 32];
	int ret = -ENOENT;

	memset(cg, 0, sizeof(*cg));
	if (memcg_home(cg->home, sizeof(cg->home), &cg->v2) < 0) {
		snprintf(why, len, "no memory cgroup hierarchy is mounted");
		return -ENOENT;
	}
	if ((size_t)snprintf(cg->dir, sizeof(cg->dir), "%s/contend-%d", cg->home,
			     (int)getpid()) >= sizeof(cg->dir)) {
		snprintf(why, len, "the cgroup path is too long");
		goto fail_nodir;
	}
	/* A runner of an earlier run with this pid, killed before it
	 * could remove its own: empty, so it goes; so do the dead's. */
	memcg_rmdir(cg->dir);
	memcg_sweep_dead(cg->home);
	if (mkdir(cg->dir, 0755) < 0) {
		ret = -errno;
		snprintf(why, len, "cannot make %s: %s", cg->dir, strerror(-ret));
		goto fail_nodir;
	}
	snprintf(probe, sizeof(probe), "%s/%s", cg->dir,
		 cg->v2 ? "memory.current" : "memory.usage_in_bytes");
	if (access(probe, R_OK) < 0) {
		ret = -ENOTSUP;
		snprintf(why, len, "%s has no memory controller (v2: not enabled in the parent's "
			 "cgroup.subtree_control)", cg->dir);
		goto fail;
	}
	if ((ret = memcg_write(cg->dir, "cgroup.procs", getpid())) < 0) {
		snprintf(why, len, "cannot move the runner into %s: %s", cg->dir, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	memcg_rmdir(cg->dir);
fail_nodir:
	cg->dir[0] = '\0';
	return ret < 0 ? ret : -ENOENT;
}

int memcg_read(const struct memcg *cg, int64_t *charged, int64_t *kmem)
{
	int64_t v;
	int ret;

	if (!cg->dir[0])
		return -ENOENT;
	if (!cg->v2) {
		if ((ret = memcg_read_num(cg->dir, "memory.usage_in_bytes", NULL, charged)) < 0)
			return ret;
		return memcg_read_num(cg->dir, "memory.kmem.usage_in_bytes", NULL, kmem);
	}
	if ((ret = memcg_read_num(cg->dir, "memory.current", NULL, charged)) < 0)
		return ret;
	if (memcg_read_num(cg->dir, "memory.stat", "kernel", kmem) == 0)
		return 0;
	/* Kernels before 5.18 have no `kernel` line: its parts. */
	*kmem = 0;
	for (const char *const *k = (const char *const[]){ "kernel_stack", "pagetables", "sock",
							  "slab", NULL }; *k; k++) {
		if ((ret = memcg_read_num(cg->dir, "memory.stat", *k, &v)) < 0)
			return ret;
		*kmem += v;
	}
	return 0;
}

void memcg_close(struct memcg *cg)
{
	if (!cg->dir[0])
		return;
	memcg_write(cg->home, "cgroup.procs", getpid());
	memcg_rmdir(cg->dir);
	cg->dir[0] = '\0';
}

void memcg_sweep(pid_t pid)
{
	char home[PATH_MAX], dir[PATH_MAX + 32];
	struct stat sb;
	int v2;

	if (memcg_home(home, sizeof(home), &v2) < 0)
		return;
	snprintf(dir, sizeof(dir), "%s/contend-%d", home, (int)pid);
	if (stat(dir, &sb) == 0)
		memcg_rmdir(dir);
}
