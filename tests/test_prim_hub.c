/*
 * tests/test_prim_hub.c - primitives/hub.h: sleep order by deadline,
 * sleep(0) round robin (the lesson's gevent example), join and joinall
 * with a timeout that expires, a deadlock that is reported instead of
 * hanging, readiness on a socketpair, accept/connect/send/recv over
 * loopback TCP, 10,000 parked coroutines all woken, one hub per thread in
 * two threads at once, and no descriptor left once a hub is gone.
 *
 * Every scenario runs with both task stack modes (greenlet.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/prim_leak.h"
#include "primitives/hub.h"

/* A test per mode from one scenario function, each with a fresh hub. */
#define BOTH_MODES(name, timeout_s)					\
	static void name(void);						\
	Test(prim_hub, name##_mmap, .timeout = timeout_s)		\
	{								\
		hub_test_open(GREENLET_STACK_MMAP);			\
		name();							\
		hub_test_close();					\
	}								\
	Test(prim_hub, name##_shared, .timeout = timeout_s)		\
	{								\
		hub_test_open(GREENLET_STACK_SHARED);			\
		name();							\
		hub_test_close();					\
	}

static void hub_test_open(enum greenlet_stack mode)
{
	struct hub_attr a = { .mode = mode, .stack_size = 32 * 1024 };

	cr_assert_not_null(hub_new(&a), "hub_new: %s", strerror(errno));
}

static void hub_test_close(void)
{
	cr_assert_eq(hub_destroy(hub_current()), 0);
	cr_assert_null(hub_current());
}

/* What the tasks did, in order: a trace of small numbers. */
static int trace[64];
static int trace_n;

static void trace_add(int v)
{
	if (trace_n < 64)
		trace[trace_n] = v;
	trace_n++;
}

static void trace_check(const int *want, int n)
{
	cr_assert_eq(trace_n, n, "%d events, not %d", trace_n, n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(trace[i], want[i], "event %d is %d, not %d", i,
			     trace[i], want[i]);
}

static void spawn_all(struct hub_task **t, int n, void *(*fn)(void *))
{
	for (int i = 0; i < n; i++) {
		t[i] = hub_spawn(fn, (void *)(intptr_t)i);
		cr_assert_not_null(t[i], "hub_spawn: %s", strerror(errno));
	}
}

static void free_all(struct hub_task **t, int n)
{
	for (int i = 0; i < n; i++)
		cr_assert_eq(hub_task_free(t[i]), 0);
}

/* ---- sleep(t) wakes in deadline order, not spawn order ---- */

/*
 * Each task sleeps until its own point in time, counted from one base
 * that lies SLEEP_AHEAD_NS in the future when the tasks are spawned: a
 * loaded machine that delays a task's start shortens its sleep but keeps
 * its deadline, so the order cannot change unless a task starts after
 * its deadline has passed.
 */
#define SLEEP_AHEAD_NS (100LL * 1000 * 1000)
#define SLEEP_STEP_NS (30LL * 1000 * 1000)

static int64_t sleep_base_ns;

static void *sleeper(void *arg)
{
	int i = (int)(intptr_t)arg;
	static const int rank[4] = { 3, 1, 0, 2 };
	int64_t left = sleep_base_ns + rank[i] * SLEEP_STEP_NS - check_now_ns();

	cr_assert_gt(left, 0, "task %d started after its deadline", i);
	cr_assert_eq(hub_sleep((double)left / 1e9), 0);
	trace_add(i);
	return (void *)(intptr_t)(i + 100);
}

BOTH_MODES(sleep_wakes_in_deadline_order, 10)
static void sleep_wakes_in_deadline_order(void)
{
	static const int want[4] = { 2, 1, 3, 0 };
	struct hub_task *t[4];

	trace_n = 0;
	sleep_base_ns = check_now_ns() + SLEEP_AHEAD_NS;
	spawn_all(t, 4, sleeper);
	cr_assert_not(hub_task_done(t[0]));	/* tasks start when the hub runs */
	cr_assert_eq(hub_joinall(t, 4, -1), 4);
	trace_check(want, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq((intptr_t)hub_task_value(t[i]), i + 100);
	free_all(t, 4);
}

/* ---- sleep(0): the lesson's foo and bar, and a three-way round robin ---- */

static void *lesson_foo(void *arg)
{
	(void)arg;
	trace_add(1);		/* Running in foo */
	hub_sleep(0);
	trace_add(3);		/* Explicit context switch to foo again */
	return NULL;
}

static void *lesson_bar(void *arg)
{
	(void)arg;
	trace_add(2);		/* Explicit context to bar */
	hub_sleep(0);
	trace_add(4);		/* Implicit context switch back to bar */
	return NULL;
}

BOTH_MODES(lesson_gevent_sleep0_order, 10)
static void lesson_gevent_sleep0_order(void)
{
	static const int want[4] = { 1, 2, 3, 4 };
	struct hub_task *t[2];

	trace_n = 0;
	t[0] = hub_spawn(lesson_foo, NULL);
	t[1] = hub_spawn(lesson_bar, NULL);
	cr_assert_eq(hub_joinall(t, 2, -1), 2);
	trace_check(want, 4);
	free_all(t, 2);
}

static void *round_robin(void *arg)
{
	for (int r = 0; r < 5; r++) {
		trace_add((int)(intptr_t)arg);
		cr_assert_eq(hub_sleep(0), 0);
	}
	return NULL;
}

BOTH_MODES(sleep0_is_round_robin, 10)
static void sleep0_is_round_robin(void)
{
	int want[15];
	struct hub_task *t[3];
	struct hub_stats st;

	for (int i = 0; i < 15; i++)
		want[i] = i % 3;
	trace_n = 0;
	spawn_all(t, 3, round_robin);
	cr_assert_eq(hub_joinall(t, 3, -1), 3);
	trace_check(want, 15);
	hub_get_stats(&st);
	cr_assert_eq(st.spawned, 3);
	cr_assert_eq(st.finished, 3);
	/* 3 starts, 5 sleeps each, and the main greenlet woken by joins:
	 * at most once per task it waits for, each resumption counted once. */
	cr_assert_geq(st.resumed, 3 + 15);
	cr_assert_leq(st.resumed, 3 + 15 + 3, "%" PRIu64 " resumptions counted", st.resumed);
	free_all(t, 3);
}

/* The main greenlet's sleep(0) also waits for everyone ready before it. */
BOTH_MODES(main_sleep0_lets_ready_tasks_run, 10)
static void main_sleep0_lets_ready_tasks_run(void)
{
	struct hub_task *t[3];

	trace_n = 0;
	spawn_all(t, 3, round_robin);
	cr_assert_eq(hub_sleep(0), 0);
	cr_assert_eq(trace_n, 3);	/* each ran once, up to its first sleep */
	cr_assert_eq(hub_sleep(0), 0);
	cr_assert_eq(trace_n, 6);
	cr_assert_eq(hub_joinall(t, 3, -1), 3);
	cr_assert_eq(trace_n, 15);
	free_all(t, 3);
}

/* ---- a busy ready queue does not starve timers ---- */

static int busy_stop;
static unsigned long busy_spins;

static void *busy_spinner(void *arg)
{
	(void)arg;
	while (!busy_stop) {
		busy_spins++;
		hub_sleep(0);
	}
	return NULL;
}

static void *busy_timer(void *arg)
{
	(void)arg;
	hub_sleep(0.01);
	busy_stop = 1;
	return NULL;
}

BOTH_MODES(busy_queue_still_polls, 10)
static void busy_queue_still_polls(void)
{
	struct hub_task *t[3];
	struct hub_stats st;

	busy_stop = 0;
	busy_spins = 0;
	t[0] = hub_spawn(busy_timer, NULL);
	t[1] = hub_spawn(busy_spinner, NULL);
	t[2] = hub_spawn(busy_spinner, NULL);
	/* The spinners never leave the queue empty: only the polls that a
	 * busy queue gets every HUB_POLL_EVERY resumptions fire the timer. */
	cr_assert_eq(hub_joinall(t, 3, -1), 3);
	hub_get_stats(&st);
	cr_assert_geq(st.polls, 1);
	/* No poll before HUB_POLL_EVERY resumptions, nearly all spins; how
	 * many more depends on how fast the machine is, not on the hub. */
	cr_assert_geq(busy_spins, HUB_POLL_EVERY / 2);
	free_all(t, 3);
}

/* ---- join and joinall with timeouts ---- */

static void *quick(void *arg)
{
	hub_sleep(0);
	return arg;
}

static void *slow(void *arg)
{
	hub_sleep(30);		/* far beyond the test's time-out */
	return arg;
}

BOTH_MODES(joinall_timeout_expires, 10)
static void joinall_timeout_expires(void)
{
	struct hub_task *t[3];
	int64_t t0;

	t[0] = hub_spawn(quick, (void *)1);
	t[1] = hub_spawn(slow, (void *)2);
	t[2] = hub_spawn(quick, (void *)3);
	t0 = check_now_ns();
	/* Long enough for the quick ones on a loaded machine: they only
	 * sleep(0). */
	cr_assert_eq(hub_joinall(t, 3, 0.3), 2);
	/* It returned because the timeout expired, well before slow's 30 s. */
	cr_assert_lt(check_now_ns() - t0, CHECK_WAKE_NS);
	cr_assert(hub_task_done(t[0]));
	cr_assert_not(hub_task_done(t[1]));
	cr_assert(hub_task_done(t[2]));
	cr_assert_eq(hub_join(t[1], 0), -ETIMEDOUT);
	cr_assert_eq(hub_join(t[1], 0.01), -ETIMEDOUT);
	cr_assert_eq(hub_task_free(t[1]), -EBUSY);
	cr_assert_eq(hub_task_free(t[0]), 0);
	cr_assert_eq(hub_task_free(t[2]), 0);
	/* hub_test_close drops slow, still parked on its timer. */
}

/* A join that timed out leaves nothing behind: a later join still works. */
static void *sleeps_100ms(void *arg)
{
	hub_sleep(0.1);
	return arg;
}

BOTH_MODES(join_after_a_timed_out_join, 10)
static void join_after_a_timed_out_join(void)
{
	struct hub_task *t = hub_spawn(sleeps_100ms, (void *)7);

	cr_assert_eq(hub_join(t, 0.01), -ETIMEDOUT);
	cr_assert_not(hub_task_done(t));
	cr_assert_eq(hub_join(t, -1), 0);
	cr_assert_eq((intptr_t)hub_task_value(t), 7);
	cr_assert_eq(hub_task_free(t), 0);
}

/*
 * A joiner whose timer fires in the same loop iteration as its task
 * finishes is woken twice; it must run once.  Both timers are made due
 * together by blocking the whole thread past them.  Resumed a second
 * time, the joiner would come back from its next sleep early (or run
 * for ever).
 */
static struct hub_task *twice_task;
static int twice_join_err = 1;
static int64_t twice_slept_ns;

static void *twice_sleeper(void *arg)
{
	hub_sleep(0.001);
	return arg;
}

static void *twice_joiner(void *arg)
{
	int64_t t0;

	(void)arg;
	twice_join_err = hub_join(twice_task, 0.001);
	t0 = check_now_ns();
	hub_sleep(0.05);
	twice_slept_ns = check_now_ns() - t0;
	return NULL;
}

BOTH_MODES(woken_twice_runs_once, 10)
static void woken_twice_runs_once(void)
{
	const struct timespec past_both = { 0, 20 * 1000 * 1000 };
	struct hub_task *j;

	twice_task = hub_spawn(twice_sleeper, NULL);
	j = hub_spawn(twice_joiner, NULL);
	cr_assert_eq(hub_sleep(0), 0);		/* both parked on their timers */
	nanosleep(&past_both, NULL);		/* the thread, not the hub */
	cr_assert_eq(hub_join(j, -1), 0);
	/* Either answer is right (the task finished, or the time ran out
	 * first); what matters is that the joiner ran on only once. */
	cr_assert(twice_join_err == 0 || twice_join_err == -ETIMEDOUT,
		  "join said %d", twice_join_err);
	cr_assert_geq(twice_slept_ns, 40 * 1000 * 1000,
		      "a 50 ms sleep returned after %lld ns: resumed by a stale wake",
		      (long long)twice_slept_ns);
	cr_assert_eq(hub_task_free(j), 0);
	cr_assert_eq(hub_join(twice_task, -1), 0);
	cr_assert_eq(hub_task_free(twice_task), 0);
}

/*
 * A sleep counts from when it is asked for, not from the loop's last
 * look at the clock: after a stretch of work with no poll (here the
 * whole thread blocked for 50 ms), a 20 ms sleep still lasts 20 ms, and
 * so does a join's time limit.
 */
static void *busy_then_sleeps(void *arg)
{
	const struct timespec busy = { 0, 50 * 1000 * 1000 };
	int64_t t0;

	(void)arg;
	nanosleep(&busy, NULL);		/* the thread, not the hub */
	t0 = check_now_ns();
	hub_sleep(0.02);
	return (void *)(intptr_t)(check_now_ns() - t0);
}

BOTH_MODES(sleep_counts_from_the_call, 10)
static void sleep_counts_from_the_call(void)
{
	const struct timespec busy = { 0, 50 * 1000 * 1000 };
	struct hub_task *t = hub_spawn(busy_then_sleeps, NULL);
	struct hub_task *never = hub_spawn(slow, NULL);
	int64_t t0;

	cr_assert_eq(hub_join(t, -1), 0);
	cr_assert_geq((intptr_t)hub_task_value(t), 20 * 1000 * 1000,
		      "a 20 ms sleep after a busy stretch lasted %lld ns",
		      (long long)(intptr_t)hub_task_value(t));
	cr_assert_eq(hub_task_free(t), 0);
	nanosleep(&busy, NULL);
	t0 = check_now_ns();
	cr_assert_eq(hub_join(never, 0.02), -ETIMEDOUT);
	cr_assert_geq(check_now_ns() - t0, 20 * 1000 * 1000,
		      "a 20 ms join limit after a busy stretch ended early");
	/* hub_test_close drops slow, still parked on its timer. */
}

/* A task joined by others: each joiner wakes once it has finished. */
static struct hub_task *joined;

static void *joiner(void *arg)
{
	int err = hub_join(joined, -1);

	trace_add(err == 0 && hub_task_done(joined) ? (int)(intptr_t)arg : -1);
	return NULL;
}

static void *joined_fn(void *arg)
{
	(void)arg;
	hub_sleep(0.01);
	trace_add(9);
	return NULL;
}

BOTH_MODES(join_wakes_every_joiner, 10)
static void join_wakes_every_joiner(void)
{
	static const int want[4] = { 9, 0, 1, 2 };	/* joiners in the order they came */
	struct hub_task *t[3];

	trace_n = 0;
	joined = hub_spawn(joined_fn, NULL);
	spawn_all(t, 3, joiner);
	cr_assert_eq(hub_join(joined, -1), 0);
	cr_assert_eq(hub_joinall(t, 3, -1), 3);
	trace_check(want, 4);
	free_all(t, 3);
	cr_assert_eq(hub_task_free(joined), 0);
}

/* Two tasks that join each other: nothing can wake anyone. */
static struct hub_task *cycle[2];
static int cycle_err[2];

static void *cycle_fn(void *arg)
{
	int i = (int)(intptr_t)arg;

	hub_sleep(0);		/* let both exist */
	cycle_err[i] = hub_join(cycle[1 - i], -1);
	return NULL;
}

BOTH_MODES(deadlock_is_reported, 10)
static void deadlock_is_reported(void)
{
	spawn_all(cycle, 2, cycle_fn);
	cr_assert_eq(hub_join(cycle[0], -1), -EDEADLK);
	cr_assert_eq(hub_joinall(cycle, 2, -1), 0);
	cr_assert_not(hub_task_done(cycle[0]));
}

/*
 * Timers that fired and tasks that finished leave nothing behind that
 * could keep the loop alive: a join of a finished task only looks (0,
 * even with no time to wait), and a deadlock that follows is still
 * reported, not spun on.
 */
static void *sleeps_1ms(void *arg)
{
	hub_sleep(0.001);
	return arg;
}

BOTH_MODES(fired_timers_leave_nothing_armed, 10)
static void fired_timers_leave_nothing_armed(void)
{
	struct hub_task *t = hub_spawn(sleeps_1ms, (void *)3);

	cr_assert_eq(hub_join(t, -1), 0);
	cr_assert_eq(hub_join(t, 0), 0, "a finished task joined with no wait");
	cr_assert_eq(hub_join(t, 0.01), 0);
	cr_assert_eq(hub_sleep(0.001), 0);
	cr_assert_eq(hub_task_free(t), 0);
	spawn_all(cycle, 2, cycle_fn);
	cr_assert_eq(hub_join(cycle[0], -1), -EDEADLK,
		     "a fired timer still counted as a watcher");
}

static void *self_join(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)hub_join(joined, -1);
}

BOTH_MODES(join_self_and_bad_arguments, 10)
static void join_self_and_bad_arguments(void)
{
	joined = hub_spawn(self_join, NULL);
	cr_assert_eq(hub_join(joined, -1), 0);
	cr_assert_eq((intptr_t)hub_task_value(joined), -EDEADLK);
	cr_assert_eq(hub_task_free(joined), 0);
	cr_assert_eq(hub_sleep(-1), -EINVAL);
	cr_assert_eq(hub_wait_fd(0, 0), -EINVAL);
	cr_assert_eq(hub_wait_fd(-1, HUB_READ), -EINVAL);
	errno = 0;
	cr_assert_null(hub_spawn(NULL, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(hub_new(NULL));		/* one per thread */
	cr_assert_eq(errno, EBUSY);
}

Test(prim_hub, no_hub_no_service, .timeout = 10)
{
	struct hub_attr bad = { .mode = GREENLET_STACK_MMAP, .stack_size = 100 };

	cr_assert_null(hub_current());
	errno = 0;
	cr_assert_null(hub_spawn(quick, NULL));
	cr_assert_eq(errno, ESRCH);
	cr_assert_eq(hub_sleep(0), -ESRCH);
	cr_assert_eq(hub_joinall(NULL, 0, -1), -ESRCH);
	errno = 0;
	cr_assert_null(hub_new(&bad));
	cr_assert_eq(errno, EINVAL);
}

/* ---- sockets ---- */

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int pair[2];

static void *pair_reader(void *arg)
{
	char buf[16] = { 0 };
	ssize_t n = hub_recv(pair[0], buf, sizeof(buf) - 1, 0);

	(void)arg;
	trace_add(n == 5 && !strcmp(buf, "hello") ? 1 : -1);
	return NULL;
}

BOTH_MODES(recv_parks_until_readable, 10)
static void recv_parks_until_readable(void)
{
	static const int want[1] = { 1 };
	struct hub_task *t;

	trace_n = 0;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	cr_assert_eq(nonblock(pair[0]), 0);
	t = hub_spawn(pair_reader, NULL);
	/* Run it until it parks on the empty socket; it stays parked while
	 * others (here main) go on. */
	cr_assert_eq(hub_sleep(0), 0);
	cr_assert_eq(hub_sleep(0.01), 0);
	cr_assert_not(hub_task_done(t));
	cr_assert_eq(trace_n, 0);
	cr_assert_eq(write(pair[1], "hello", 5), 5);
	cr_assert_eq(hub_join(t, -1), 0);
	trace_check(want, 1);
	cr_assert_eq(hub_task_free(t), 0);
	/* Writable at once; readable once the other end wrote. */
	cr_assert_eq(hub_wait_fd(pair[1], HUB_WRITE), 0);
	cr_assert_eq(write(pair[1], "x", 1), 1);
	cr_assert_eq(hub_wait_fd(pair[0], HUB_READ), 0);
	cr_assert_eq(hub_recv(pair[0], trace, 4, 0), 1);
	close(pair[0]);
	/* The peer is gone: an error as -errno, not SIGPIPE. */
	cr_assert_eq(hub_send(pair[1], "x", 1, 0), -EPIPE);
	close(pair[1]);
}

#define TCP_CLIENTS 8
#define TCP_ROUNDS 20

static int tcp_listener;
static struct sockaddr_in tcp_addr;
static int tcp_bad;

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[64];
	ssize_t n;

	while ((n = hub_recv(fd, buf, sizeof(buf), 0)) > 0)
		if (hub_send(fd, buf, (size_t)n, 0) != n)
			tcp_bad++;
	if (n < 0)
		tcp_bad++;
	close(fd);
	return NULL;
}

static void *tcp_server(void *arg)
{
	struct hub_task *conn[TCP_CLIENTS];

	(void)arg;
	for (int i = 0; i < TCP_CLIENTS; i++) {
		int fd = hub_accept(tcp_listener, NULL, NULL);

		if (fd < 0) {
			tcp_bad++;
			return NULL;
		}
		conn[i] = hub_spawn(echo_conn, (void *)(intptr_t)fd);
	}
	if (hub_joinall(conn, TCP_CLIENTS, -1) != TCP_CLIENTS)
		tcp_bad++;
	for (int i = 0; i < TCP_CLIENTS; i++)
		hub_task_free(conn[i]);
	return NULL;
}

static void *tcp_client(void *arg)
{
	int id = (int)(intptr_t)arg;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ok = 0;

	if (fd < 0 || hub_connect(fd, (struct sockaddr *)&tcp_addr,
				  sizeof(tcp_addr)) < 0)
		goto out;
	for (int r = 0; r < TCP_ROUNDS; r++) {
		char msg[32], got[32];
		int len = snprintf(msg, sizeof(msg), "client %d round %d", id, r);
		ssize_t n = 0;

		if (hub_send(fd, msg, (size_t)len, 0) != len)
			goto out;
		while (n < len) {
			ssize_t k = hub_recv(fd, got + n, (size_t)(len - n), 0);

			if (k <= 0)
				goto out;
			n += k;
		}
		if (memcmp(msg, got, (size_t)len))
			goto out;
	}
	ok = 1;
out:
	if (fd >= 0)
		close(fd);
	return (void *)(intptr_t)ok;
}

BOTH_MODES(tcp_echo_over_loopback, 20)
static void tcp_echo_over_loopback(void)
{
	struct hub_task *server, *client[TCP_CLIENTS];
	socklen_t len = sizeof(tcp_addr);

	tcp_bad = 0;
	tcp_listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert_geq(tcp_listener, 0);
	memset(&tcp_addr, 0, sizeof(tcp_addr));
	tcp_addr.sin_family = AF_INET;
	tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(tcp_listener, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)), 0);
	cr_assert_eq(getsockname(tcp_listener, (struct sockaddr *)&tcp_addr, &len), 0);
	cr_assert_eq(listen(tcp_listener, TCP_CLIENTS), 0);
	server = hub_spawn(tcp_server, NULL);
	spawn_all(client, TCP_CLIENTS, tcp_client);
	cr_assert_eq(hub_joinall(client, TCP_CLIENTS, -1), TCP_CLIENTS);
	for (int i = 0; i < TCP_CLIENTS; i++)
		cr_assert_eq((intptr_t)hub_task_value(client[i]), 1, "client %d", i);
	cr_assert_eq(hub_join(server, -1), 0);
	cr_assert_eq(tcp_bad, 0);
	free_all(client, TCP_CLIENTS);
	cr_assert_eq(hub_task_free(server), 0);
	close(tcp_listener);
}

Test(prim_hub, connect_refused_is_an_error, .timeout = 10)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int probe = socket(AF_INET, SOCK_STREAM, 0), fd;

	/* A port that was just free and has no listener. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(probe, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(probe, (struct sockaddr *)&a, &len), 0);
	close(probe);
	hub_test_open(GREENLET_STACK_MMAP);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_eq(hub_connect(fd, (struct sockaddr *)&a, sizeof(a)), -ECONNREFUSED);
	close(fd);
	hub_test_close();
}

/* ---- 10,000 parked coroutines, every one woken ---- */

/* Sanitizers make every stack and fiber far dearer: fewer there. */
#define MANY (CHECK_SANITIZED ? 1000 : 10000)

static unsigned long many_woken;

static void *many_fn(void *arg)
{
	volatile uintptr_t mine = (uintptr_t)arg * 2654435761u;

	/* Deadlines spread over 20 ms: many timers, some firing together. */
	if (hub_sleep(0.001 * (double)((uintptr_t)arg % 20 + 1)) == 0 &&
	    mine == (uintptr_t)arg * 2654435761u)	/* its frame came back */
		many_woken++;
	return NULL;
}

BOTH_MODES(many_parked_all_woken, 60)
static void many_parked_all_woken(void)
{
	struct hub_task **t = calloc(MANY, sizeof(*t));

	cr_assert_not_null(t);
	many_woken = 0;
	for (int i = 0; i < MANY; i++) {
		t[i] = hub_spawn(many_fn, (void *)(intptr_t)i);
		cr_assert_not_null(t[i], "task %d: %s", i, strerror(errno));
	}
	cr_assert_eq(hub_sleep(0), 0);		/* every one is parked now */
	cr_assert_eq(many_woken, 0);
	cr_assert_eq(hub_joinall(t, MANY, -1), MANY);
	cr_assert_eq(many_woken, MANY);
	free_all(t, MANY);
	free(t);
}

/* ---- the stack cache never gives one stack to two live tasks ---- */

static void *stack_owner(void *arg)
{
	volatile uintptr_t frame[64];
	uintptr_t bad = 0;

	for (int i = 0; i < 64; i++)
		frame[i] = (uintptr_t)arg * 64 + (uintptr_t)i;
	for (int r = 0; r < 3; r++) {
		hub_sleep(0);
		for (int i = 0; i < 64; i++)
			bad += frame[i] != (uintptr_t)arg * 64 + (uintptr_t)i;
	}
	return (void *)bad;
}

BOTH_MODES(reused_stacks_stay_apart, 20)
static void reused_stacks_stay_apart(void)
{
	enum { LIVE = 48, WAVES = 6 };
	struct hub_task *t[LIVE];

	/* Waves of tasks alive together, each wave on the stacks the last
	 * one freed (more than the cache holds, so some are new). */
	for (int wave = 0; wave < WAVES; wave++) {
		for (int i = 0; i < LIVE; i++) {
			t[i] = hub_spawn(stack_owner, (void *)(intptr_t)(wave * LIVE + i));
			cr_assert_not_null(t[i]);
		}
		cr_assert_eq(hub_joinall(t, LIVE, -1), LIVE);
		for (int i = 0; i < LIVE; i++)
			cr_assert_null(hub_task_value(t[i]), "wave %d task %d: its "
				       "frame changed while it slept", wave, i);
		/* Free every other one first: the cache fills in any order. */
		for (int i = 0; i < LIVE; i += 2)
			cr_assert_eq(hub_task_free(t[i]), 0);
		for (int i = 1; i < LIVE; i += 2)
			cr_assert_eq(hub_task_free(t[i]), 0);
	}
}

/* ---- one hub per thread, two threads at once ---- */

static __thread int thread_count;

static void *thread_task(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char c;

	for (int r = 0; r < 100; r++) {
		thread_count++;
		hub_sleep(0);
	}
	if (fd >= 0 && hub_recv(fd, &c, 1, 0) == 1)
		thread_count += 1000;
	return NULL;
}

struct hub_thread {
	enum greenlet_stack mode;
	int fd;			/* a socket the other thread writes to */
	int result;
};

/* Both threads' hubs and the test's look, all at once. */
static pthread_barrier_t hub_threads_made;

static void *hub_thread_main(void *arg)
{
	struct hub_thread *ht = arg;
	struct hub_attr a = { .mode = ht->mode };
	struct hub_task *t[4];
	struct hub *h = hub_new(&a);

	pthread_barrier_wait(&hub_threads_made);
	if (!h) {
		ht->result = -1;
		return NULL;
	}
	for (int i = 0; i < 4; i++)
		t[i] = hub_spawn(thread_task, (void *)(intptr_t)(i ? -1 : ht->fd));
	ht->result = hub_joinall(t, 4, -1) == 4 ? thread_count : -2;
	if (hub_destroy(h) < 0 || hub_current())
		ht->result = -3;
	return NULL;
}

Test(prim_hub, one_hub_per_thread_two_threads, .timeout = 20)
{
	struct hub_thread ht[2] = { { GREENLET_STACK_MMAP, -1, 0 },
				    { GREENLET_STACK_SHARED, -1, 0 } };
	int sp[2][2];
	pthread_t th[2];

	cr_assert_eq(pthread_barrier_init(&hub_threads_made, NULL, 3), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp[i]), 0);
		ht[i].fd = sp[i][0];
		cr_assert_eq(pthread_create(&th[i], NULL, hub_thread_main, &ht[i]), 0);
	}
	pthread_barrier_wait(&hub_threads_made);
	cr_assert_null(hub_current());		/* theirs, not ours */
	for (int i = 0; i < 2; i++)
		cr_assert_eq(write(sp[i][1], "x", 1), 1);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(pthread_join(th[i], NULL), 0);
		cr_assert_eq(ht[i].result, 4 * 100 + 1000, "thread %d", i);
		close(sp[i][0]);
		close(sp[i][1]);
	}
	pthread_barrier_destroy(&hub_threads_made);
}

/* ---- a hub leaves no descriptor behind ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(prim_hub, no_descriptor_left_behind, .timeout = 20)
{
	int before = count_fds();

	for (int round = 0; round < 2; round++) {
		hub_test_open(round ? GREENLET_STACK_SHARED : GREENLET_STACK_MMAP);
		cr_assert_gt(count_fds(), before, "the loop holds no descriptor?");
		/* Timers and sockets, so that the loop makes what it makes. */
		recv_parks_until_readable();
		tcp_echo_over_loopback();
		hub_test_close();
		cr_assert_eq(count_fds(), before, "round %d", round);
	}
}

/* ---- the stacks a hub keeps, and gives back ---- */

static void *nothing(void *arg)
{
	return arg;
}

/* Spawn n tasks, run them to the end and free them. */
static void run_and_free(int n)
{
	struct hub_task *t[64];

	cr_assert_leq(n, 64);
	spawn_all(t, n, nothing);
	cr_assert_eq(hub_joinall(t, (size_t)n, -1), n);
	free_all(t, n);
}

/*
 * Freed tasks' stacks wait in a cache of 32 (HUB_STACK_CACHE) for the
 * next spawns; hub_trim unmaps exactly those and says how many.  A
 * count off by one, or a cache that kept more than it holds, shows here.
 */
Test(prim_hub, trim_unmaps_exactly_the_cached_stacks, .timeout = 10)
{
	hub_test_open(GREENLET_STACK_MMAP);
	cr_assert_eq(hub_trim(), 0, "nothing freed yet");
	run_and_free(3);
	cr_assert_eq(hub_trim(), 3);
	cr_assert_eq(hub_trim(), 0, "trimmed twice");
	run_and_free(40);
	cr_assert_eq(hub_trim(), 32, "the cache holds 32, the other 8 went at once");
	/* A spawn takes from the cache first. */
	run_and_free(5);
	cr_assert_eq(hub_trim(), 5);
	hub_test_close();

	hub_test_open(GREENLET_STACK_SHARED);
	run_and_free(5);
	cr_assert_eq(hub_trim(), 0, "shared mode keeps no stacks");
	hub_test_close();
	cr_assert_eq(hub_trim(), 0, "no hub, no stacks");
}

#define HUB_ROUND 4
#define HUB_ROUND_STACK (256 * 1024)

/*
 * Hubs whose tasks leave more stacks than the cache holds: 40 tasks, 20
 * freed by hand, 20 by hub_destroy.  Every stack must be gone after.
 */
static void hub_round(void *arg)
{
	enum greenlet_stack mode = (enum greenlet_stack)(intptr_t)arg;
	struct hub_attr a = { .mode = mode, .stack_size = HUB_ROUND_STACK };

	for (int i = 0; i < HUB_ROUND; i++) {
		struct hub_task *t[40];

		cr_assert_not_null(hub_new(&a), "hub_new: %s", strerror(errno));
		spawn_all(t, 40, nothing);
		cr_assert_eq(hub_joinall(t, 40, -1), 40);
		free_all(t, 20);
		hub_test_close();
	}
}

/*
 * hub_destroy and task release give every stack back: the cached ones,
 * the ones past the cache, the hub's own and, in shared mode, the
 * shared stack.  The smallest leak a round could have is the 8 stacks
 * past the cache of each hub, or each hub's one shared stack.
 */
Test(prim_hub, destroy_gives_back_every_stack, .timeout = 30)
{
	cr_assert(leak_vm_steady(hub_round, (void *)(intptr_t)GREENLET_STACK_MMAP,
				 HUB_ROUND * 8 * (HUB_ROUND_STACK / 1024) / 2),
		  "mmap mode: the address space grows with every round of hubs");
	cr_assert(leak_vm_steady(hub_round, (void *)(intptr_t)GREENLET_STACK_SHARED,
				 HUB_ROUND * (HUB_ROUND_STACK / 1024) / 2),
		  "shared mode: the address space grows with every round of hubs");
}
