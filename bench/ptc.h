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

#include <stdint.h>
#include <sys/types.h>

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

#endif
