/*
 * bench/list.h - the registry: one line per workload, in the order
 * `contend list` shows them.  Each name is a `const struct bench_desc
 * bench_<name>` defined in a bench/ file.  The zoo's locks are not
 * written out: their lines come from primitives/lock_list.h.
 *
 * No include guard: expanded twice by harness/registry.c, once at file
 * scope (which includes primitives/lock.h, guarded, for the lock list).
 */
#include "primitives/lock.h"

BENCH(ctx_thread_futex)
BENCH(ctx_thread_cond)
BENCH(ctx_thread_pipe)
BENCH(ctx_thread_eventfd)
BENCH(ctx_process_pipe)
BENCH(ctx_process_futex)
BENCH(ctx_coro_asm)
BENCH(ctx_coro_ucontext)
/* lock.* (bench/lock.c): one per lock of the zoo, in its order, from
 * primitives/lock_list.h; then Python's Lock and RLock. */
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary) \
	BENCH(lock_##v)
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
BENCH(lock_py_lock)
BENCH(lock_py_rlock)
/* sync.* (bench/sync_*.c) */
BENCH(sync_event)
BENCH(sync_event_idle)
BENCH(sync_cond)
BENCH(sync_cond_wait_for)
BENCH(sync_sem)
BENCH(sync_sem_scene)
BENCH(sync_timer)
BENCH(sync_timer_cancel)
/* queue.* (bench/queue.c) */
BENCH(queue_fifo)
BENCH(queue_lifo)
BENCH(queue_priority)
BENCH(queue_deque)
BENCH(queue_ck_mpmc)
BENCH(queue_ck_spsc)
BENCH(queue_cooks)
/* gil.* (bench/gil_cpu.c, gil_convoy.c, gil_io.c, gil_cpython.c) */
BENCH(gil_cpu)
BENCH(gil_cores)
BENCH(gil_native)
BENCH(gil_convoy)
BENCH(gil_interval)
BENCH(gil_io)
BENCH(gil_cpython_cpu)
BENCH(gil_cpython_convoy)
/* spawn.* (bench/spawn.c) */
BENCH(spawn_thread)
BENCH(spawn_fork)
BENCH(spawn_posix_spawn)
BENCH(spawn_thread_live)
BENCH(spawn_fork_live)
BENCH(spawn_posix_spawn_live)
BENCH(spawn_greenlet)
BENCH(spawn_greenlet_live)
BENCH(spawn_hub)
BENCH(spawn_hub_live)
BENCH(spawn_hub_sleep0)
/* spawn.cpython.* and ptc.cpython.* (bench/ptc_cpython.c): the real Python */
BENCH(spawn_cpython_greenlet)
BENCH(spawn_cpython_gevent)
BENCH(spawn_cpython_switch)
BENCH(spawn_cpython_sleep0)
/* ptc.* (bench/ptc_cpu.c, ptc_io.c) */
BENCH(ptc_cpu_thread)
BENCH(ptc_cpu_process)
BENCH(ptc_cpu_coro)
BENCH(ptc_cpu_gil_thread)
BENCH(ptc_cpu_gil_process)
BENCH(ptc_io_thread)
BENCH(ptc_io_process)
BENCH(ptc_io_coro)
BENCH(ptc_scene_greenlet_order)
BENCH(ptc_scene_fetch3)
BENCH(ptc_cpython_cpu_thread)
BENCH(ptc_cpython_cpu_process)
BENCH(ptc_cpython_io_thread)
BENCH(ptc_cpython_io_process)
BENCH(ptc_cpython_io_asyncio)
BENCH(ptc_cpython_io_gevent)
/* pool.* (bench/pool.c), shm.* (bench/shm.c) */
BENCH(pool_thread)
BENCH(pool_token)
BENCH(pool_thread_per_task)
BENCH(pool_process_async)
BENCH(pool_process_apply)
BENCH(pool_scene_close)
BENCH(pool_scene_terminate)
BENCH(pool_scene_apply_async)
BENCH(shm_array_locked)
BENCH(shm_array_unlocked)
BENCH(shm_manager)
BENCH(shm_scene_array)
BENCH(shm_scene_manager)
BENCH(pool_cpython_thread)
BENCH(pool_cpython_async)
BENCH(shm_cpython_array)
BENCH(shm_cpython_manager)
BENCH(selftest_hang)
BENCH(selftest_crash)
BENCH(selftest_lie)
BENCH(selftest_setup)
BENCH(selftest_partner)
BENCH(selftest_orphan)
BENCH(selftest_idle)
BENCH(selftest_spin)
BENCH(selftest_nap)
BENCH(selftest_collapse)
BENCH(selftest_skip)
BENCH(selftest_leak)
BENCH(selftest_record)
BENCH(selftest_helper)
BENCH(selftest_helper_pool)
BENCH(selftest_order)
BENCH(selftest_queue_loss)
BENCH(selftest_queue_sparse)
