/*
 * tests/prim_leak.h - what a pool or a manager may leave behind, counted
 * from /proc: this process's threads, its children (alive or zombie),
 * its open descriptors, its mappings of shared-memory objects (files
 * of /dev/shm: none of ours should be one, anonymous MAP_SHARED memory
 * is not, and /dev/shm itself is the whole machine's, which other
 * programs change at any time) and its anonymous MAP_SHARED mappings
 * (a pool's rings, an Array: each is a mapping of its own that the
 * kernel never merges with a neighbour, so one left behind shows).  A test takes a snapshot before it makes the object and
 * asserts the same counts after it is gone.
 */
#ifndef CONTEND_TESTS_PRIM_LEAK_H
#define CONTEND_TESTS_PRIM_LEAK_H

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tests/check.h"

/* Entries of a folder, . and .. aside; -1 if it cannot be read. */
static inline int leak_entries(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Children of every thread of this process (/proc/self/task/T/children:
 * one pid a word; a zombie still counts until it is reaped). */
static inline int leak_children(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		char path[300];
		int pid;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* the thread just ended */
		while (fscanf(f, "%d", &pid) == 1)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Mappings of /dev/shm files in this process. */
static inline int leak_shm_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/dev/shm/") != NULL;
	fclose(f);
	return n;
}

/* Anonymous MAP_SHARED mappings: the kernel backs each with a shmem
 * file it names "/dev/zero (deleted)", and never merges two of them. */
static inline int leak_anon_shared_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, " /dev/zero (deleted)") != NULL;
	fclose(f);
	return n;
}

struct leak_snap {
	int threads, children, fds, shm, anon;
};

static inline void *leak_nothing(void *arg)
{
	return arg;
}

/* One look.  A thread made and joined first: ThreadSanitizer starts a
 * background thread of its own when a process makes its first, which
 * must not count as one the object under test left behind. */
static inline void leak_look(struct leak_snap *s)
{
	pthread_t th;

	cr_assert_eq(pthread_create(&th, NULL, leak_nothing, NULL), 0);
	pthread_join(th, NULL);
	s->threads = leak_entries("/proc/self/task");
	s->children = leak_children();
	s->fds = leak_entries("/proc/self/fd");
	s->shm = leak_shm_maps();
	s->anon = leak_anon_shared_maps();
}

/* The fewest of a few looks 1 ms apart: Criterion runs a thread of its
 * own in the test's process now and then, which must neither hide a leak
 * (counted in `before`) nor be taken for one. */
static inline void leak_snap(struct leak_snap *s)
{
	const struct timespec ms = { 0, 1000000 };

	leak_look(s);
	for (int i = 0; i < 4; i++) {
		struct leak_snap x;

		nanosleep(&ms, NULL);
		leak_look(&x);
		s->threads = x.threads < s->threads ? x.threads : s->threads;
		s->children = x.children < s->children ? x.children : s->children;
		s->fds = x.fds < s->fds ? x.fds : s->fds;
		s->shm = x.shm < s->shm ? x.shm : s->shm;
		s->anon = x.anon < s->anon ? x.anon : s->anon;
	}
}

/* Nothing more than at `before`, at some look within a few seconds: a
 * leaked thread, child, descriptor or mapping stays, while one that is
 * still ending (or the runner's own thread) goes. */
static inline void leak_expect_none(const struct leak_snap *before, const char *what)
{
	struct leak_snap now;
	bool clean = CHECK_WITHIN(CHECK_WAKE_NS, (leak_look(&now),
						  now.threads <= before->threads &&
						  now.children <= before->children &&
						  now.fds <= before->fds && now.shm <= before->shm &&
						  now.anon <= before->anon));

	cr_assert(clean, "%s: left %d threads (%d before), %d children (%d), %d descriptors "
		  "(%d), %d /dev/shm mappings (%d), %d anonymous shared mappings (%d)",
		  what, now.threads, before->threads, now.children, before->children,
		  now.fds, before->fds, now.shm, before->shm, now.anon, before->anon);
}

/* This process's address space in KiB (VmSize): what a private mapping
 * left behind adds to, since such mappings merge with their neighbours
 * and cannot be counted one by one. */
static inline long leak_vm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
			break;
	fclose(f);
	cr_assert_geq(kib, 0);
	return kib;
}

/*
 * Whether round(arg) can be run again and again without the address
 * space growing by `leak_kib` a round: true if one of a few rounds grows
 * it by less.  A leaking round grows it every time; a thread of the
 * runner's, or malloc taking a new arena (64 MiB of address space at
 * once), may grow it in one round, but not in every one.
 */
static inline bool leak_vm_steady(void (*round)(void *arg), void *arg, long leak_kib)
{
	round(arg);	/* first uses (a thread's root greenlet, malloc's pools) */
	for (int i = 0; i < 4; i++) {
		long before = leak_vm_kib();

		round(arg);
		if (leak_vm_kib() - before < leak_kib)
			return true;
	}
	return false;
}

/* How many mappings of /proc/self/maps overlap [lo, hi)? */
static inline int leak_maps_overlap(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && lo < b)
			n++;
	}
	fclose(f);
	return n;
}

#endif
