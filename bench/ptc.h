/*
 * bench/ptc.h - what the ptc.* workloads share: the loopback server that
 * answers each request after an injected latency.
 *
 * The server is a process of its own (forked by the workload's setup,
 * so the harness's watchdog kills it with the runner's process group),
 * one libev loop on epoll: an ev_io per connection and an ev_timer per
 * request in flight, so that a request waiting out its latency never
 * holds up another connection.  A request is PTC_MSG bytes; the answer
 * is the same bytes, sent latency_us after the request was whole.
 */
#ifndef CONTEND_BENCH_PTC_H
#define CONTEND_BENCH_PTC_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench/gil.h"
#include "harness/bench.h"

#define PTC_MSG 8	/* bytes a request and its answer */

struct ptc_server {
	pid_t pid;		/* 0: not running */
	int port;		/* on 127.0.0.1, host order */
	int ctl;		/* write end of its control pipe; closing it stops it */
};

/*
 * Start the server on 127.0.0.1, port 0 (the kernel's choice, passed
 * back in srv->port), answering after latency_us, with a listen backlog
 * of `backlog`.  0, or -errno with nothing left running.
 */
int ptc_server_start(struct ptc_server *srv, uint32_t latency_us, int backlog);

/*
 * Stop it: it stops accepting, waits (up to 2 s) for its clients to
 * close every connection, closes whatever is left and exits; this reaps
 * it.  0 when it exited having seen every connection closed by its
 * client and every request answered; -1 otherwise (it was killed, or
 * connections were left open).  Harmless on a server not running.
 */
int ptc_server_stop(struct ptc_server *srv);

/* Connect to the server: a blocking TCP socket with TCP_NODELAY, or -errno. */
int ptc_connect(int port);

/* One request and its answer on a blocking socket: 0 when the answer
 * is the request's bytes, else -1. */
int ptc_roundtrip(int fd, uint64_t seq);

/* The workloads' shared states, here so that a test can give check()
 * each wrong state in turn (tests/test_h_checks.c). */
enum ptc_cpu_carrier { PTC_CPU_C, PTC_CPU_GIL, PTC_CPU_CORO };

struct ptc_cpu_shared {
	int gil_mode;		/* the bytecode carriers */
	int coro;		/* ptc.cpu.coro: task 0's coroutines are the units */
	struct gil *gil;	/* gil_thread: the one lock; else NULL */
	uint64_t job;		/* loops of one job: bench_work's, or countdown's */
	uint64_t errors;	/* interpreter runs that failed or miscounted */
	struct gil_bench_alone alone;
	/* per task, each in its own cache line: loops done, run() and
	 * baseline() iterations, all rounds */
	struct ptc_cpu_unit {
		uint64_t loops, run_iters, base_iters;
	} __attribute__((aligned(64))) unit[];
};

enum ptc_io_carrier { PTC_IO_THREAD, PTC_IO_PROCESS, PTC_IO_CORO };

struct ptc_io_shared {
	enum ptc_io_carrier carrier;
	long c;			/* units */
	uint32_t latency_us;
	struct ptc_server srv;
	/* The round: the driver sets quota, record and pending, then bumps
	 * gen (release) and wakes the units (futex words, shared). */
	uint32_t gen;
	uint32_t stop;
	uint32_t record;
	uint32_t pending;	/* units not done with this round */
	uint32_t up;		/* units connected and waiting */
	uint32_t failed_up;	/* units that could not connect */
	uint64_t quota;
	uint64_t answered;	/* requests answered right, all rounds */
	uint64_t issued;	/* requests the quotas asked for, all rounds */
	uint64_t errors;
	uint64_t too_soon;	/* timed requests answered before latency_us */
	uint64_t run_iters, rounds;
	struct bench_mem m0;	/* before the units */
	/* thread, coro: just before and just after the runner itself
	 * connected the C sockets, before any unit existed (conn_read) */
	struct bench_mem mc0, mc1;
	int conn_read;
	/* runner-private */
	pthread_t *threads;
	pid_t *pids;
	long started;
	int *fds;		/* thread, coro: the connections, made by the runner */
	struct hub *hub;	/* coro: task 0's */
	/* per unit: this round's samples in ns (latency rounds) */
	uint64_t lat[];
};

struct ptc_order_shared {
	uint64_t right, wrong;	/* iterations whose order was / was not 12 56 34 78 */
};

struct ptc_fetch_shared {
	struct ptc_server srv;
	uint64_t latency_ns;
	int joinall;
	uint64_t fetched, errors, iters;
	uint64_t min_ns;	/* the fastest iteration */
	/* Iterations that took three latencies or more (joinall: a host
	 * that stalled a round, or fetches that did not overlap). */
	uint64_t slow;
};

#endif
