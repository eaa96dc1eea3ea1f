/*
 * primitives/atomic.h - the atomic operations of primitives/: in the test
 * build, every one of them is a preemption point.
 *
 * The hand-placed PRIM_TEST_PREEMPT() points widen only the windows that
 * someone thought of.  A protocol's bug may sit between any two of its
 * atomic steps: an MCS acquirer that stores its waiting flag just after
 * linking itself in (a window of a nanosecond), a timer that reads its
 * state and then writes it.  So the primitives make every atomic access
 * through these wrappers, and in the test build (-DPRIM_PREEMPT) each one
 * first passes a preemption point: another task can run between any two
 * atomics of a protocol, seeded and replayable like every point
 * (primitives/preempt.h says how the seed is chosen and replayed).
 *
 * The wrappers take exactly the arguments of the GCC builtin whose name
 * they carry (prim_atomic_load_n is __atomic_load_n), so converting code is
 * a rename, and in the normal build each one is that builtin and nothing
 * else: build/contend and the benchmarks run the primitives' code exactly
 * as before, instruction for instruction.  They work on plain integers and
 * pointers and on C11 _Atomic objects alike (GCC's own <stdatomic.h>
 * applies these builtins to _Atomic objects); memory_order_* and
 * __ATOMIC_* orders are the same numbers.
 *
 * The point comes after the operands are evaluated and before the
 * operation; it touches nothing but thread-local state.  A window between
 * an atomic and a futex call is covered too: the futex calls of
 * primitives/futex.h are points of their own.
 *
 * Concurrency Kit's operations (lock_ck.h, ring_ck.h) are ck's inline
 * code and cannot be wrapped; tests/test_prim_preempt.c fails when any
 * other file of primitives/ uses an atomic builtin or a C11 atomic
 * function directly.
 */
#ifndef CONTEND_ATOMIC_H
#define CONTEND_ATOMIC_H

#include "primitives/preempt.h"

/*
 * PRIM_ATOMIC_n(op, a, b...): evaluate the operands a, b... (as the
 * builtin would, each once), pass the point, then op on them; the value is
 * op's.  The operands go first so that a nested wrapper, as in
 * store(c, load(c) + 1), has its own point and the window between the
 * load and the store still has one.
 */
#ifdef PRIM_PREEMPT
#define PRIM_ATOMIC_1(op, p, mo) __extension__ ({			\
	__auto_type prim_atomic__p = (p);				\
	prim_preempt_atomic();						\
	op(prim_atomic__p, (mo)); })
#define PRIM_ATOMIC_2(op, p, v, mo) __extension__ ({			\
	__auto_type prim_atomic__p = (p);				\
	__auto_type prim_atomic__v = (v);				\
	prim_preempt_atomic();						\
	op(prim_atomic__p, prim_atomic__v, (mo)); })
#define PRIM_ATOMIC_CAS(p, e, d, weak, mo_ok, mo_fail) __extension__ ({	\
	__auto_type prim_atomic__p = (p);				\
	__auto_type prim_atomic__e = (e);				\
	__auto_type prim_atomic__d = (d);				\
	prim_preempt_atomic();						\
	__atomic_compare_exchange_n(prim_atomic__p, prim_atomic__e,	\
				    prim_atomic__d, (weak), (mo_ok),	\
				    (mo_fail)); })
#else
#define PRIM_ATOMIC_1(op, p, mo)	op((p), (mo))
#define PRIM_ATOMIC_2(op, p, v, mo)	op((p), (v), (mo))
#define PRIM_ATOMIC_CAS(p, e, d, weak, mo_ok, mo_fail) \
	__atomic_compare_exchange_n((p), (e), (d), (weak), (mo_ok), (mo_fail))
#endif

#define prim_atomic_load_n(p, mo)	PRIM_ATOMIC_1(__atomic_load_n, p, mo)
#define prim_atomic_store_n(p, v, mo)	PRIM_ATOMIC_2(__atomic_store_n, p, v, mo)
#define prim_atomic_exchange_n(p, v, mo) \
	PRIM_ATOMIC_2(__atomic_exchange_n, p, v, mo)
#define prim_atomic_compare_exchange_n(p, expected, desired, weak, mo_ok, mo_fail) \
	PRIM_ATOMIC_CAS(p, expected, desired, weak, mo_ok, mo_fail)
#define prim_atomic_fetch_add(p, v, mo)	PRIM_ATOMIC_2(__atomic_fetch_add, p, v, mo)
#define prim_atomic_fetch_sub(p, v, mo)	PRIM_ATOMIC_2(__atomic_fetch_sub, p, v, mo)
#define prim_atomic_fetch_and(p, v, mo)	PRIM_ATOMIC_2(__atomic_fetch_and, p, v, mo)
#define prim_atomic_fetch_or(p, v, mo)	PRIM_ATOMIC_2(__atomic_fetch_or, p, v, mo)
#define prim_atomic_add_fetch(p, v, mo)	PRIM_ATOMIC_2(__atomic_add_fetch, p, v, mo)
#define prim_atomic_sub_fetch(p, v, mo)	PRIM_ATOMIC_2(__atomic_sub_fetch, p, v, mo)

#endif
