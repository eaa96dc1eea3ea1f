/*
 * tests/prim_util.h - small helpers the primitives' tests share: shared
 * memory and children for tests that fork, a look at whether a thread is
 * asleep in the kernel (so that a wake-up test knows its waiter is really
 * waiting before it wakes it), and the flags by which a waiter says its
 * call returned.
 */
#ifndef CONTEND_TESTS_PRIM_UTIL_H
#define CONTEND_TESTS_PRIM_UTIL_H

/* The includer defines _GNU_SOURCE first (cpu_set_t). */
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check.h"

/* MAP_SHARED anonymous memory that forked children see too. */
static inline void *shm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(p, MAP_FAILED);
	return p;
}

static inline int64_t now_ns(void)
{
	return check_now_ns();
}

/* Fork n children running fn(arg, i), each _exiting with its result and
 * dying with the test (a failed or timed-out test takes them along). */
static inline void fork_procs(pid_t *pids, int n, int (*fn)(void *arg, int i), void *arg)
{
	pid_t parent = getpid();

	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* The parent died before the line above. */
			if (getppid() != parent)
				_exit(3);
			_exit(fn(arg, i));
		}
	}
}

/* Wait for fork_procs()'s n children; assert that each exited 0. */
static inline void reap_procs(const pid_t *pids, int n)
{
	int status;

	for (int i = 0; i < n; i++) {
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", i);
	}
}

/* Raise a waiter's flag, after its results are written. */
static inline void flag_raise(uint32_t *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

/* Acquire: pairs with flag_raise, so the results are visible. */
static inline bool flag_up(const uint32_t *flag)
{
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

/* How many of n waiters' flags are up. */
static inline int flags_up(const uint32_t *flags, int n)
{
	int up = 0;

	for (int i = 0; i < n; i++)
		up += flag_up(&flags[i]);
	return up;
}

/* The calling thread's kernel id, for thread_asleep(). */
static inline pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* The state letter of the task whose stat file is `path` ('S' asleep,
 * 'T' stopped, ...), or 0 when it cannot be read. */
static inline char task_state(const char *path)
{
	char buf[512], *p;
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The state follows the command name, which may hold blanks. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Whether thread `tid` of this process is asleep ('S' in its stat line). */
static inline bool thread_asleep(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	return task_state(path) == 'S';
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
