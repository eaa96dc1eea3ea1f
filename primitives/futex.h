/*
 * primitives/futex.h - thin wrappers over the futex(2) system call.
 *
 * Every blocking primitive in contend sleeps through these.  `shared`
 * chooses between FUTEX_PRIVATE_FLAG (threads of one process: faster,
 * the kernel keys on the virtual address) and the plain operation (the
 * word lives in MAP_SHARED memory and is waited on from several
 * processes).
 */
#ifndef CONTEND_FUTEX_H
#define CONTEND_FUTEX_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "primitives/preempt.h"

/*
 * A futex call is an atomic step of the protocol around it (the kernel
 * compares the word and sleeps, or wakes, atomically), so in the test
 * build it is a preemption point like every atomic of primitives/atomic.h:
 * a window between an atomic and the sleep or the wake-up gets one.
 */
#ifdef PRIM_PREEMPT
#define FUTEX_POINT()	prim_preempt_atomic()
#else
#define FUTEX_POINT()	((void)0)
#endif

/*
 * Sleep while *word == expected.  `rel` is a relative CLOCK_MONOTONIC
 * timeout or NULL for none.  Returns 0 when woken (possibly spuriously),
 * -EAGAIN when *word != expected on entry, -ETIMEDOUT, or -EINTR.
 */
static inline int futex_wait(uint32_t *word, uint32_t expected,
			     const struct timespec *rel, int shared)
{
	int op = FUTEX_WAIT | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	FUTEX_POINT();
	if (syscall(SYS_futex, word, op, expected, rel, NULL, 0) == 0)
		return 0;
	return -errno;
}

/*
 * As futex_wait, but `abs` is an absolute CLOCK_MONOTONIC deadline, so a
 * loop that retries after spurious wake-ups does not stretch its timeout.
 */
static inline int futex_wait_until(uint32_t *word, uint32_t expected,
				   const struct timespec *abs, int shared)
{
	int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	FUTEX_POINT();
	if (syscall(SYS_futex, word, op, expected, abs, NULL,
		    FUTEX_BITSET_MATCH_ANY) == 0)
		return 0;
	return -errno;
}

/* Wake at most n sleepers on word (INT_MAX for all); returns how many. */
static inline int futex_wake(uint32_t *word, int n, int shared)
{
	int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
	long r;

	FUTEX_POINT();
	r = syscall(SYS_futex, word, op, n, NULL, NULL, 0);

	return r < 0 ? -errno : (int)r;
}

#endif
