/*
 * primitives/lock.c - the lock zoo's registry, and the operation tables of
 * the C library's locks and of contend's own (Concurrency Kit's peers are
 * in lock_ck.c).  All the algorithms live in the per-variant headers; this
 * file only wraps them (see LOCK_OPS_DEFINE in lock.h).
 */
#include <string.h>

#include "primitives/lock.h"

/* Our spinners yield only when built with a non-zero threshold. */
#define LOCK_SPINNER_FLAGS	(LOCK_SPIN_YIELD_AFTER ? LOCK_YIELDS : 0u)

LOCK_OPS_DEFINE(mutex, struct lock_mutex, 0, NULL, LOCK_SLEEPS,
		"pthread mutex (NORMAL): sleeps on a futex when taken");
LOCK_OPS_DEFINE(mutex_adaptive, struct lock_mutex, 0, NULL, LOCK_SLEEPS,
		"pthread mutex (ADAPTIVE_NP): spins a bounded while, then sleeps");
LOCK_OPS_DEFINE(spin, struct lock_spin, 0, NULL, 0,
		"pthread spinlock: spins on reads, never sleeps or yields");
LOCK_OPS_DEFINE(tas, struct lock_tas, 0, NULL, LOCK_SPINNER_FLAGS,
		"test-and-set: atomic exchange until it returns free");
LOCK_OPS_DEFINE(ttas, struct lock_ttas, 0, NULL, LOCK_SPINNER_FLAGS,
		"test-and-test-and-set: spin on reads, random exponential back-off");
LOCK_OPS_DEFINE(ticket, struct lock_ticket, 0, NULL,
		LOCK_FIFO | LOCK_SPINNER_FLAGS,
		"ticket lock: FIFO, every waiter spins on one shared line");
LOCK_OPS_DEFINE(mcs, struct lock_mcs, sizeof(struct lock_mcs_node), NULL,
		LOCK_FIFO | LOCK_SPINNER_FLAGS,
		"MCS queue lock: FIFO, each waiter spins on its own node");

static void lock_clh_op_node_init(void *node)
{
	lock_clh_node_init(node);
}

LOCK_OPS_DEFINE(clh, struct lock_clh, sizeof(struct lock_clh_node),
		lock_clh_op_node_init, LOCK_FIFO | LOCK_SPINNER_FLAGS,
		"CLH queue lock: FIFO, each waiter spins on its predecessor's node");
LOCK_OPS_DEFINE(futex, struct lock_futex, 0, NULL, LOCK_SLEEPS,
		"futex mutex, three states (Drepper): no spinning, sleeps at once");
LOCK_OPS_DEFINE(rwlock, struct lock_rwlock, 0, NULL, LOCK_SLEEPS,
		"pthread rwlock taken for writing only");
LOCK_OPS_DEFINE(sem, struct lock_sem, 0, NULL, LOCK_SLEEPS,
		"POSIX semaphore of value 1: sem_wait to lock, sem_post to unlock");

const struct lock_ops *const lock_zoo[] = {
	&lock_mutex_ops,
	&lock_mutex_adaptive_ops,
	&lock_spin_ops,
	&lock_tas_ops,
	&lock_ttas_ops,
	&lock_ticket_ops,
	&lock_mcs_ops,
	&lock_clh_ops,
	&lock_futex_ops,
	&lock_rwlock_ops,
	&lock_sem_ops,
	&lock_ck_fas_ops,
	&lock_ck_cas_ops,
	&lock_ck_dec_ops,
	&lock_ck_ticket_ops,
	&lock_ck_mcs_ops,
	&lock_ck_clh_ops,
	&lock_ck_anderson_ops,
	&lock_ck_hclh_ops,
	NULL
};

const struct lock_ops *lock_find(const char *name)
{
	for (const struct lock_ops *const *p = lock_zoo; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}
