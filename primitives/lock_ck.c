/*
 * primitives/lock_ck.c - operation tables for Concurrency Kit's spinlocks;
 * the wrappers themselves are in primitives/lock_ck.h.
 */
#include "primitives/lock.h"

LOCK_OPS_DEFINE(ck_fas, struct lock_ck_fas, 0, NULL, 0,
		"Concurrency Kit fas: fetch-and-store spinlock");
LOCK_OPS_DEFINE(ck_cas, struct lock_ck_cas, 0, NULL, 0,
		"Concurrency Kit cas: compare-and-swap spinlock");
LOCK_OPS_DEFINE(ck_dec, struct lock_ck_dec, 0, NULL, 0,
		"Concurrency Kit dec: decrement spinlock");
LOCK_OPS_DEFINE(ck_ticket, struct lock_ck_ticket, 0, NULL, LOCK_FIFO,
		"Concurrency Kit ticket: FIFO, one packed word");
LOCK_OPS_DEFINE(ck_mcs, struct lock_ck_mcs, sizeof(struct lock_ck_mcs_node),
		NULL, LOCK_FIFO,
		"Concurrency Kit MCS queue lock");

static void lock_ck_clh_op_node_init(void *node)
{
	lock_ck_clh_node_init(node);
}

LOCK_OPS_DEFINE(ck_clh, struct lock_ck_clh, sizeof(struct lock_ck_clh_node),
		lock_ck_clh_op_node_init, LOCK_FIFO,
		"Concurrency Kit CLH queue lock");
LOCK_OPS_DEFINE(ck_anderson, struct lock_ck_anderson,
		sizeof(struct lock_ck_anderson_node), NULL, LOCK_FIFO,
		"Concurrency Kit Anderson array lock: one flag per waiter");

static void lock_ck_hclh_op_node_init(void *node)
{
	lock_ck_hclh_node_init(node);
}

LOCK_OPS_DEFINE(ck_hclh, struct lock_ck_hclh,
		sizeof(struct lock_ck_hclh_node), lock_ck_hclh_op_node_init,
		LOCK_FIFO,
		"Concurrency Kit hierarchical CLH, one cluster: CLH plus a splice");
