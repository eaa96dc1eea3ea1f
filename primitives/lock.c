/*
 * primitives/lock.c - the lock zoo's registry and the operation table of
 * every variant, all made from primitives/lock_list.h.  The algorithms
 * live in the per-variant headers; this file only wraps them (see
 * LOCK_OPS_DEFINE in lock.h).
 */
#include <string.h>

#include "primitives/lock.h"

#define LOCK_VARIANT LOCK_OPS_DEFINE
#include "primitives/lock_list.h"
#undef LOCK_VARIANT

const struct lock_ops *const lock_zoo[] = {
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary) \
	&lock_##v##_ops,
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
	NULL
};

const struct lock_ops *lock_find(const char *name)
{
	for (const struct lock_ops *const *p = lock_zoo; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}
