/*
 * tests/prim_util.h - small helpers the primitives' tests share: shared
 * memory for tests that fork, and a look at whether a thread is asleep
 * in the kernel (so that a wake-up test knows its waiter is really
 * waiting before it wakes it).
 */
#ifndef CONTEND_TESTS_PRIM_UTIL_H
#define CONTEND_TESTS_PRIM_UTIL_H

/* The includer defines _GNU_SOURCE first (cpu_set_t). */
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/check.h"

/* MAP_SHARED anonymous memory that forked children see too. */
static inline void *shm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(p, MAP_FAILED);
	return p;
}

/* The calling thread's kernel id, for thread_asleep(). */
static inline pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Whether thread `tid` of this process is asleep ('S' in its stat line). */
static inline bool thread_asleep(pid_t tid)
{
	char path[64], buf[512], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The state follows the command name, which may hold blanks. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Pin the calling thread to one CPU (best effort). */
static inline void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

#endif
