/*
 * bench/list.h - the registry: one line per workload, in the order
 * `contend list` shows them.  Each name is a `const struct bench_desc
 * bench_<name>` defined in a bench/ file.
 */
BENCH(ctx_thread_futex)
BENCH(ctx_thread_cond)
BENCH(ctx_thread_pipe)
BENCH(ctx_thread_eventfd)
BENCH(ctx_process_pipe)
BENCH(ctx_process_futex)
BENCH(ctx_coro_asm)
BENCH(ctx_coro_ucontext)
/* lock.* (bench/lock.c) */
/* sync.* (bench/sync_*.c) */
BENCH(sync_event)
BENCH(sync_event_idle)
BENCH(sync_cond)
BENCH(sync_cond_wait_for)
BENCH(sync_sem)
BENCH(sync_sem_scene)
BENCH(sync_timer)
BENCH(sync_timer_cancel)
/* queue.* (bench/queue_*.c) */
BENCH(selftest_hang)
BENCH(selftest_crash)
BENCH(selftest_lie)
BENCH(selftest_setup)
BENCH(selftest_partner)
BENCH(selftest_orphan)
BENCH(selftest_idle)
BENCH(selftest_spin)
BENCH(selftest_nap)
BENCH(selftest_skip)
BENCH(selftest_record)
