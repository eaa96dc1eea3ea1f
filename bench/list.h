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
