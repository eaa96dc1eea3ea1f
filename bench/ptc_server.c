/*
 * bench/ptc_server.c - the ptc.* loopback server (bench/ptc.h): libev on
 * epoll in a process of its own, an answer latency_us after each
 * request, never a sleep.
 *
 * libev's epoll backend waits in whole milliseconds, rounded up, so an
 * answer comes at least latency_us after its request and up to about a
 * millisecond later: the latency rows show what the clients really
 * waited, the ideal (C / latency) what the injected latency alone allows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/ptc.h"

struct ptc_conn {
	ev_io io;		/* readable: the request, or the client's close */
	ev_timer later;		/* the answer, latency_us after the request */
	char buf[PTC_MSG];
	size_t got;
	struct ptc_srv *srv;
};

struct ptc_srv {
	struct ev_loop *loop;
	ev_io accept_io, ctl_io;
	ev_timer grace;		/* stopping: how long clients get to close */
	double latency_s;
	long open;		/* connections open */
	long in_flight;		/* requests not answered yet */
	int failed;		/* a send or receive failed */
	int stopping;
};

static void ptc_conn_close(struct ptc_conn *c)
{
	struct ptc_srv *s = c->srv;

	ev_io_stop(s->loop, &c->io);
	if (ev_is_active(&c->later)) {
		ev_timer_stop(s->loop, &c->later);
		s->in_flight--;
	}
	close(c->io.fd);
	free(c);
	if (--s->open == 0 && s->stopping)
		ev_break(s->loop, EVBREAK_ALL);
}

static void ptc_conn_answer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ptc_conn *c = (struct ptc_conn *)((char *)w - offsetof(struct ptc_conn, later));

	(void)revents;
	c->srv->in_flight--;
	/* Loopback, one answer in flight per connection: the socket's
	 * buffer has room, so a short write is a failure. */
	if (send(c->io.fd, c->buf, PTC_MSG, MSG_NOSIGNAL) != PTC_MSG) {
		c->srv->failed = 1;
		ptc_conn_close(c);
		return;
	}
	c->got = 0;
	ev_io_start(loop, &c->io);
}

static void ptc_conn_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ptc_conn *c = (struct ptc_conn *)w;
	ssize_t n = recv(w->fd, c->buf + c->got, PTC_MSG - c->got, 0);

	(void)revents;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The client closed (0) or the connection broke: a close
		 * in the middle of a request is a failure. */
		if (n < 0 || c->got)
			c->srv->failed = 1;
		ptc_conn_close(c);
		return;
	}
	c->got += (size_t)n;
	if (c->got < PTC_MSG)
		return;
	/* Whole: no more reading until answered; the latency counts from
	 * now, not from the loop's cached time. */
	ev_io_stop(loop, w);
	ev_now_update(loop);
	ev_timer_set(&c->later, c->srv->latency_s, 0.);
	ev_timer_start(loop, &c->later);
	c->srv->in_flight++;
}

static void ptc_srv_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ptc_srv *s = ev_userdata(loop);
	int one = 1, fd;

	(void)revents;
	while ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct ptc_conn *c = calloc(1, sizeof(*c));

		if (!c) {
			close(fd);
			s->failed = 1;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->srv = s;
		ev_io_init(&c->io, ptc_conn_read, fd, EV_READ);
		ev_init(&c->later, ptc_conn_answer);
		ev_io_start(loop, &c->io);
		s->open++;
	}
}

static void ptc_srv_grace_over(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* The control pipe's end of file: stop accepting, give the clients a
 * while to close what they hold. */
static void ptc_srv_ctl(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ptc_srv *s = ev_userdata(loop);
	char b[64];

	(void)revents;
	if (read(w->fd, b, sizeof(b)) != 0)
		return;
	ev_io_stop(loop, w);
	ev_io_stop(loop, &s->accept_io);
	s->stopping = 1;
	if (s->open == 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ev_timer_init(&s->grace, ptc_srv_grace_over, 2., 0.);
	ev_timer_start(loop, &s->grace);
}

/* The server process: never returns. */
static void ptc_srv_main(int lfd, int ctl, uint32_t latency_us)
{
	struct ptc_srv s = { .latency_s = latency_us * 1e-6 };
	int clean;

	if (!(s.loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV)))
		_exit(2);
	ev_set_userdata(s.loop, &s);
	ev_io_init(&s.accept_io, ptc_srv_accept, lfd, EV_READ);
	ev_io_init(&s.ctl_io, ptc_srv_ctl, ctl, EV_READ);
	ev_io_start(s.loop, &s.accept_io);
	ev_io_start(s.loop, &s.ctl_io);
	ev_run(s.loop, 0);
	clean = s.open == 0 && s.in_flight == 0 && !s.failed;
	/* What the clients left open is closed here all the same. */
	_exit(clean ? 0 : 1);
}

int ptc_server_start(struct ptc_server *srv, uint32_t latency_us, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int ctl[2] = { -1, -1 }, port[2] = { -1, -1 }, lfd = -1, ret, got;
	pid_t pid;

	memset(srv, 0, sizeof(*srv));
	srv->ctl = -1;
	if (pipe2(ctl, O_CLOEXEC) < 0 || pipe2(port, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ctl[1]);
		close(port[0]);
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(lfd, backlog) < 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
			_exit(2);
		got = ntohs(a.sin_port);
		if (write(port[1], &got, sizeof(got)) != sizeof(got))
			_exit(2);
		close(port[1]);
		ptc_srv_main(lfd, ctl[0], latency_us);
	}
	srv->pid = pid;
	srv->ctl = ctl[1];
	ctl[1] = -1;
	close(port[1]);
	port[1] = -1;
	/* The port, once it listens; end of file: it failed. */
	while ((ret = (int)read(port[0], &got, sizeof(got))) < 0 && errno == EINTR)
		;
	if (ret != sizeof(got)) {
		ptc_server_stop(srv);
		ret = -EPROTO;
		goto out;
	}
	srv->port = got;
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (ctl[i] >= 0)
			close(ctl[i]);
		if (port[i] >= 0)
			close(port[i]);
	}
	return ret;
}

int ptc_server_stop(struct ptc_server *srv)
{
	int status = -1;

	if (srv->pid <= 0)
		return 0;
	close(srv->ctl);
	srv->ctl = -1;
	while (waitpid(srv->pid, &status, 0) < 0 && errno == EINTR)
		;
	srv->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int ptc_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (errno == EINTR)
			continue;
		ret = -errno;
		close(fd);
		return ret;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int ptc_roundtrip(int fd, uint64_t seq)
{
	char in[PTC_MSG];
	size_t got = 0;
	ssize_t n;

	if (send(fd, &seq, PTC_MSG, MSG_NOSIGNAL) != PTC_MSG)
		return -1;
	while (got < PTC_MSG) {
		n = recv(fd, in + got, PTC_MSG - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return memcmp(in, &seq, PTC_MSG) == 0 ? 0 : -1;
}
