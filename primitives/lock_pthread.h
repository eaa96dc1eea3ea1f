/*
 * primitives/lock_pthread.h - the C library's locks as members of the
 * lock zoo: mutex (normal and adaptive), spinlock, rwlock taken for
 * writing, and a POSIX semaphore of value 1.
 *
 * These are the baselines the hand-written locks are measured against.
 * Each variant has init/acquire/release/destroy with the zoo's arity
 * (acquire and release take an unused node argument) so that a benchmark
 * compiled per variant calls every lock the same way.  init returns 0 or
 * -errno; `shared` asks for the process-shared flavour (the object then
 * lives in MAP_SHARED memory); max_tasks is ignored.
 *
 * The C library already validated the objects at init, so a failing lock
 * or unlock call can only be a bug (a destroyed or corrupt object): it
 * aborts rather than returning an error nobody could handle in a loop.
 */
#ifndef CONTEND_LOCK_PTHREAD_H
#define CONTEND_LOCK_PTHREAD_H

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

#include "primitives/arch/cpu.h"

/*
 * Every object is padded to whole cache lines so that a lock placed next to
 * other data never shares a line with it.
 */
struct lock_mutex {
	pthread_mutex_t m;
} CPU_ALIGNED;

struct lock_spin {
	pthread_spinlock_t s;
} CPU_ALIGNED;

struct lock_rwlock {
	pthread_rwlock_t rw;
} CPU_ALIGNED;

struct lock_sem {
	sem_t sem;
} CPU_ALIGNED;

/* A mutex of the given glibc type; shared selects PTHREAD_PROCESS_SHARED. */
static inline int lock_mutex_init_type(struct lock_mutex *lock, int type,
				       int shared)
{
	pthread_mutexattr_t attr;
	int err;

	err = pthread_mutexattr_init(&attr);
	if (err)
		return -err;
	err = pthread_mutexattr_settype(&attr, type);
	if (!err)
		err = pthread_mutexattr_setpshared(&attr, shared ?
				PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
	if (!err)
		err = pthread_mutex_init(&lock->m, &attr);
	pthread_mutexattr_destroy(&attr);
	return -err;
}

/* "mutex": PTHREAD_MUTEX_NORMAL, which sleeps on a futex at once. */
static inline int lock_mutex_init(struct lock_mutex *lock, int shared,
				  int max_tasks)
{
	(void)max_tasks;
	return lock_mutex_init_type(lock, PTHREAD_MUTEX_NORMAL, shared);
}

static inline void lock_mutex_acquire(struct lock_mutex *lock, void *node)
{
	(void)node;
	if (pthread_mutex_lock(&lock->m))
		abort();
}

static inline void lock_mutex_release(struct lock_mutex *lock, void *node)
{
	(void)node;
	if (pthread_mutex_unlock(&lock->m))
		abort();
}

static inline void lock_mutex_destroy(struct lock_mutex *lock)
{
	pthread_mutex_destroy(&lock->m);
}

/*
 * "mutex_adaptive": glibc's PTHREAD_MUTEX_ADAPTIVE_NP spins a bounded,
 * self-tuning number of times before it sleeps.  Same object and the same
 * lock/unlock calls as "mutex"; only the type given at init differs.
 */
static inline int lock_mutex_adaptive_init(struct lock_mutex *lock,
					   int shared, int max_tasks)
{
	(void)max_tasks;
	return lock_mutex_init_type(lock, PTHREAD_MUTEX_ADAPTIVE_NP, shared);
}

static inline void lock_mutex_adaptive_acquire(struct lock_mutex *lock,
					       void *node)
{
	lock_mutex_acquire(lock, node);
}

static inline void lock_mutex_adaptive_release(struct lock_mutex *lock,
					       void *node)
{
	lock_mutex_release(lock, node);
}

static inline void lock_mutex_adaptive_destroy(struct lock_mutex *lock)
{
	lock_mutex_destroy(lock);
}

/*
 * "spin": pthread_spinlock_t; glibc spins on a plain read with PAUSE after
 * a failed atomic attempt, with no back-off and no yield.
 */
static inline int lock_spin_init(struct lock_spin *lock, int shared,
				 int max_tasks)
{
	(void)max_tasks;
	return -pthread_spin_init(&lock->s, shared ? PTHREAD_PROCESS_SHARED :
				  PTHREAD_PROCESS_PRIVATE);
}

static inline void lock_spin_acquire(struct lock_spin *lock, void *node)
{
	(void)node;
	if (pthread_spin_lock(&lock->s))
		abort();
}

static inline void lock_spin_release(struct lock_spin *lock, void *node)
{
	(void)node;
	if (pthread_spin_unlock(&lock->s))
		abort();
}

static inline void lock_spin_destroy(struct lock_spin *lock)
{
	pthread_spin_destroy(&lock->s);
}

/*
 * "rwlock": pthread_rwlock_t used only through wrlock/unlock, i.e. as a
 * mutex; it shows what the reader bookkeeping costs a pure writer.
 */
static inline int lock_rwlock_init(struct lock_rwlock *lock, int shared,
				   int max_tasks)
{
	pthread_rwlockattr_t attr;
	int err;

	(void)max_tasks;
	err = pthread_rwlockattr_init(&attr);
	if (err)
		return -err;
	err = pthread_rwlockattr_setpshared(&attr, shared ?
			PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
	if (!err)
		err = pthread_rwlock_init(&lock->rw, &attr);
	pthread_rwlockattr_destroy(&attr);
	return -err;
}

static inline void lock_rwlock_acquire(struct lock_rwlock *lock, void *node)
{
	(void)node;
	if (pthread_rwlock_wrlock(&lock->rw))
		abort();
}

static inline void lock_rwlock_release(struct lock_rwlock *lock, void *node)
{
	(void)node;
	if (pthread_rwlock_unlock(&lock->rw))
		abort();
}

static inline void lock_rwlock_destroy(struct lock_rwlock *lock)
{
	pthread_rwlock_destroy(&lock->rw);
}

/* "sem": a POSIX semaphore of initial value 1; wait = lock, post = unlock. */
static inline int lock_sem_init(struct lock_sem *lock, int shared,
				int max_tasks)
{
	(void)max_tasks;
	return sem_init(&lock->sem, !!shared, 1) ? -errno : 0;
}

static inline void lock_sem_acquire(struct lock_sem *lock, void *node)
{
	(void)node;
	/* A signal handler may interrupt the wait; the lock is not taken then. */
	while (sem_wait(&lock->sem))
		if (errno != EINTR)
			abort();
}

static inline void lock_sem_release(struct lock_sem *lock, void *node)
{
	(void)node;
	if (sem_post(&lock->sem))
		abort();
}

static inline void lock_sem_destroy(struct lock_sem *lock)
{
	sem_destroy(&lock->sem);
}

#endif
