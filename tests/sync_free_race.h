/*
 * tests/sync_free_race.h - a waiter frees a primitives/sync.h object the
 * moment its wait returns, while the call that released it may still be
 * running (glibc's sem_post bug, sourceware 12674; POSIX allows destroying
 * a sem_t once sem_wait returned).  The releasing call must touch nothing
 * of the object once it has published what the waiter waits for, or ASan
 * reports a heap-use-after-free and TSan a race with free().
 *
 * Odd rounds block in the wait; even rounds poll, so the waiter often
 * returns within nanoseconds of the release's CAS; a varying delay before
 * the release moves the race around.  The Semaphore
 * (tests/test_prim_sync_lock.c) and the Event (tests/test_prim_sync_wait.c)
 * run it, each through a struct free_race_ops.
 */
#ifndef CONTEND_TESTS_SYNC_FREE_RACE_H
#define CONTEND_TESTS_SYNC_FREE_RACE_H

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "primitives/arch/cpu.h"
#include "tests/check.h"

#define FREE_RACE_ROUNDS 20000	/* enough to hit a nanosecond window now and then */
#define FREE_RACE_DELAY_SPINS 256	/* spread of the delay before the release, in pauses */

/* One kind of object, seen by the race.  Each call returns 0 on success. */
struct free_race_ops {
	size_t size;		/* of the object, which the race mallocs */
	const char *release_name;	/* "release()", for messages */
	/* Make obj ready, so that one release lets one wait return 0; called
	 * by the test's main thread (it may cr_assert). */
	void (*init)(void *obj, int shared);
	int (*wait)(void *obj);		/* blocks until released */
	int (*poll)(void *obj);		/* does not block */
	int poll_again;			/* what poll returns until released */
	int (*release)(void *obj);
	int (*destroy)(void *obj);
};

struct free_race {
	const struct free_race_ops *ops;
	void *slot;		/* the next object, or NULL */
	uint32_t done;		/* rounds the waiter has finished */
	uint32_t failed;	/* waits or destroys that did not return 0 */
};

static inline void *free_race_waiter(void *p)
{
	struct free_race *fr = p;
	const struct free_race_ops *ops = fr->ops;

	for (uint32_t i = 0; i < FREE_RACE_ROUNDS; i++) {
		void *obj;
		int rc;

		/* Acquire: the object's initialisation comes with it. */
		while (!(obj = __atomic_exchange_n(&fr->slot, NULL, __ATOMIC_ACQUIRE)))
			sched_yield();
		if (i % 2) {
			rc = ops->wait(obj);
		} else {
			for (uint32_t spin = 1; (rc = ops->poll(obj)) == ops->poll_again; spin++)
				if (spin % 256 == 0)
					sched_yield();	/* releaser preempted */
		}
		if (rc || ops->destroy(obj))
			fr->failed++;
		free(obj);
		/* Release: the main thread reads `failed` after the last. */
		__atomic_store_n(&fr->done, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Run the race for FREE_RACE_ROUNDS rounds, in both futex kinds
 * (process-private and shared); fails the test on a lost release or a
 * failed wait or destroy. */
static inline void free_race_run(const struct free_race_ops *ops)
{
	struct free_race fr = { .ops = ops, .slot = NULL, .done = 0, .failed = 0 };
	pthread_t th;

	cr_assert_eq(pthread_create(&th, NULL, free_race_waiter, &fr), 0);
	for (uint32_t i = 0; i < FREE_RACE_ROUNDS; i++) {
		void *obj = malloc(ops->size);

		cr_assert_not_null(obj);
		ops->init(obj, (i / 2) % 2);
		/* Release: hands over the initialised object. */
		__atomic_store_n(&fr.slot, obj, __ATOMIC_RELEASE);
		for (uint32_t d = i * 7919 % FREE_RACE_DELAY_SPINS; d > 0; d--)
			cpu_relax();
		/* obj may be freed inside this call. */
		cr_assert_eq(ops->release(obj), 0);
		/* Acquire: pairs with the waiter's store of `done`. */
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
				       __atomic_load_n(&fr.done, __ATOMIC_ACQUIRE) == i + 1),
			  "round %u: %s did not release the waiter", i, ops->release_name);
	}
	pthread_join(th, NULL);
	cr_assert_eq(fr.failed, 0);
}

#endif
