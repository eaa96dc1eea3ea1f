/*
 * bench/lock_spin.c - the lock.* driver once more for contend's own
 * spinners (tas, ttas, ticket, mcs, clh), built as pure spinners: with
 * LOCK_SPIN_YIELD_AFTER 0 their waits never call sched_yield().  These
 * are the runs of policy=spin; bench/lock.c has the descriptors and the
 * default build (policy=yield).
 *
 * The define must come before any include: every lock header includes
 * primitives/lock_common.h, which reads it once behind its guard.
 */
#define LOCK_SPIN_YIELD_AFTER 0u

#include "bench/lock.h"

#if LOCK_SPIN_YIELD_AFTER
#error "bench/lock_spin.c must see LOCK_SPIN_YIELD_AFTER 0: a header set it first"
#endif

/* Only the axis locks get a second build; the others expand to nothing. */
#define LOCK_BENCH_SPIN_RUN_axis(v, lock_type) \
	LOCK_BENCH_RUN(lock_bench_##v##_spin_run, lock_##v, lock_type)
#define LOCK_BENCH_SPIN_RUN_sleep(v, lock_type)
#define LOCK_BENCH_SPIN_RUN_adaptive(v, lock_type)
#define LOCK_BENCH_SPIN_RUN_spin(v, lock_type)

#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary) \
	LOCK_BENCH_SPIN_RUN_##wait(v, lock_type)
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
