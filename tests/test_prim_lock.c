/*
 * tests/test_prim_lock.c - the lock zoo (primitives/lock.h) under stress.
 *
 * Every lock in lock_zoo gets the same two contention runs, one with
 * threads and one with forked processes in MAP_SHARED memory: N tasks add
 * 1 to a plain, non-atomic counter under the lock, and the total must be
 * exact; meanwhile an atomic "inside" witness counts the tasks between
 * acquire and release, and its maximum must be 1.  So that a run cannot
 * pass without contention, the test's own thread holds the lock until
 * every task has announced itself and called acquire: the first task in
 * must see the others waiting.  So that a lost hand-off is a failure in
 * seconds, not a hang until the time-out, the test watches the run's
 * progress and fails it when nothing moves for CHECK_STALL_NS.
 *
 * Criterion has no parameterised tests that the TSan shim could run, so
 * the pair of tests of each variant is generated from the zoo's own list,
 * primitives/lock_list.h: exactly the tests the zoo has.  Process mode
 * either runs and checks, or, for exactly the variants whose queues link
 * private nodes (the list's shared column says private), is refused with
 * -ENOTSUP; each test asserts which.
 * Further tests cover the registry, the node API of the queue locks,
 * ck_hclh's clusters, the futex lock's sleeping path and the per-variant
 * inline API.
 */
#define _GNU_SOURCE		/* CPU_SET, sched_setaffinity */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "primitives/lock.h"
#include "tests/check.h"

#define LOCK_TEST_THREADS	4	/* twice the CI machine's cores */
#define LOCK_TEST_PROCS		3	/* forked children in process mode */
#define LOCK_TEST_TIMEOUT	60	/* seconds; a run takes well under 2 s,
					   more on a busy machine: the last
					   guard behind the progress watch */

/*
 * Increments per task.  ThreadSanitizer slows the loop down ~10x, so its
 * build does fewer; the invariants checked are the same.
 */
#ifdef LOCK_TSAN
#define LOCK_TEST_ITERS		20000L
#else
#define LOCK_TEST_ITERS		100000L
#endif

/*
 * One contention run's memory, in one mapping: this header, then the lock
 * object, then one node per task.  The mapping is MAP_SHARED in process
 * mode, so the same layout serves both modes.
 */
struct lock_test_arena {
	unsigned long counter;		/* plain: only the lock protects it */
	atomic_int inside;		/* witness: tasks inside the section */
	atomic_int max_inside;		/* the most the witness ever saw */
	atomic_int pending;		/* tasks between announcing an acquire
					   and entering the section */
	atomic_int max_waiting;		/* the most others pending seen by a
					   task entering: proof of contention */
	atomic_ulong progress;		/* sections done, for the watch */
	atomic_int arrived;		/* start gate: tasks ready to go */
} CPU_ALIGNED;

/* How many tasks, how many increments each, pinned or not. */
struct lock_test_plan {
	int ntasks;
	long iters;
	int cpus[LOCK_TEST_THREADS];	/* task i's CPU, or -1: not pinned */
};

struct lock_test_run {
	const struct lock_ops *ops;
	struct lock_test_arena *arena;
	void *lock;
	char *nodes;			/* ntasks + 1 nodes, node_stride apart;
					   the last is the test thread's */
	size_t node_stride;
	size_t map_bytes;
	struct lock_test_plan plan;
};

struct lock_test_task {
	struct lock_test_run *run;
	int index;
};

static size_t lock_test_round(size_t n)
{
	return (n + CPU_CACHELINE - 1) / CPU_CACHELINE * CPU_CACHELINE;
}

static size_t lock_test_zoo_len(void)
{
	size_t n = 0;

	while (lock_zoo[n])
		n++;
	return n;
}

/*
 * Choose tasks and iterations so that every lock finishes in about a
 * second on a 2-core machine, whatever it does while it waits:
 *
 *   - sleeping locks and unfair spinlocks: `most` tasks, full count.  An
 *     unfair spinlock tolerates tasks outnumbering CPUs: the running
 *     holder simply takes the lock again.
 *   - FIFO spinlocks that yield (contend's ticket, mcs, clh): `most`
 *     tasks, a quarter of the count.  With more tasks than CPUs, most
 *     hand-overs go to a preempted waiter and cost a yield plus a context
 *     switch (~10 us) instead of ~0.1 us.
 *   - FIFO spinlocks that never yield (Concurrency Kit's): there such a
 *     hand-over waits for the scheduler's tick, milliseconds each, so the
 *     run uses no more tasks than CPUs, each pinned to its own CPU (only
 *     other programs can preempt them then).  With a single CPU that is
 *     impossible: 2 tasks and a token count.
 */
static void lock_test_plan(const struct lock_ops *ops, int most,
			   struct lock_test_plan *plan)
{
	cpu_set_t set;
	int cpus, n = 0;

	plan->ntasks = most;
	plan->iters = LOCK_TEST_ITERS;
	for (int i = 0; i < LOCK_TEST_THREADS; i++)
		plan->cpus[i] = -1;
	if (!(ops->flags & LOCK_FIFO) || (ops->flags & LOCK_SLEEPS))
		return;
	if (ops->flags & LOCK_YIELDS) {
		plan->iters = LOCK_TEST_ITERS / 4;
		return;
	}
	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	cpus = CPU_COUNT(&set);
	if (cpus < 2) {
		plan->ntasks = 2;
		plan->iters = 200;
		return;
	}
	if (plan->ntasks > cpus)
		plan->ntasks = cpus;
	for (int cpu = 0; n < plan->ntasks && cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			plan->cpus[n++] = cpu;
}

/* Pin the calling thread (Linux: pid 0 is the calling thread only). */
static void lock_test_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* best effort */
}

/* Map the arena, lock and nodes; init the nodes, not the lock. */
static void lock_test_map(struct lock_test_run *run,
			  const struct lock_ops *ops, int most, int shared)
{
	size_t lock_bytes = lock_test_round(ops->size);
	char *base;

	memset(run, 0, sizeof(*run));
	run->ops = ops;
	lock_test_plan(ops, most, &run->plan);
	run->node_stride = lock_test_round(ops->node_size);
	run->map_bytes = sizeof(struct lock_test_arena) + lock_bytes +
			 run->node_stride * (size_t)(run->plan.ntasks + 1);
	base = mmap(NULL, run->map_bytes, PROT_READ | PROT_WRITE,
		    (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(base, MAP_FAILED);
	run->arena = (struct lock_test_arena *)base;
	run->lock = base + sizeof(struct lock_test_arena);
	run->nodes = base + sizeof(struct lock_test_arena) + lock_bytes;
	for (int i = 0; ops->node_init && i <= run->plan.ntasks; i++)
		ops->node_init(run->nodes + run->node_stride * (size_t)i);
}

/* The most tasks that contend for one run's lock: its tasks and the test
 * thread that holds it at the start (lock_test_hold). */
static int lock_test_max_tasks(const struct lock_test_run *run)
{
	return run->plan.ntasks + 1;
}

static void *lock_test_node(struct lock_test_run *run, int i)
{
	return run->ops->node_size ?
		run->nodes + run->node_stride * (size_t)i : NULL;
}

/*
 * Start together: wait until all n tasks have arrived.  A barrier that
 * sleeps would wake them one by one, and with short runs the first could
 * finish before the last starts, testing nothing; spinning (yielding, as
 * tasks may outnumber CPUs) makes them all runnable at once.
 */
static void lock_test_gate(struct lock_test_arena *a, int n)
{
	/*
	 * Acq_rel, then acquire: what a task did before arriving (its setup)
	 * is visible to the others once they pass the gate.
	 */
	atomic_fetch_add_explicit(&a->arrived, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&a->arrived, memory_order_acquire) < n)
		sched_yield();
}

/* Raise *max_seen to at least max. */
static void lock_test_publish_max(atomic_int *max_seen, int max)
{
	int seen = atomic_load_explicit(max_seen, memory_order_relaxed);

	/* Relaxed: read after the tasks are joined, which orders it. */
	while (max > seen &&
	       !atomic_compare_exchange_weak_explicit(max_seen, &seen, max,
			memory_order_relaxed, memory_order_relaxed))
		;
}

/* What one task saw over its run: the most tasks inside at once, and the
 * most others waiting as it entered. */
struct lock_test_seen {
	int inside, waiting;
};

/* Before an acquire: count ourselves among those who want in. */
static void lock_test_announce(struct lock_test_arena *a)
{
	/* Relaxed: a witness, like `inside`. */
	atomic_fetch_add_explicit(&a->pending, 1, memory_order_relaxed);
}

/*
 * The critical section: bump the witness, leave the pending count (what
 * remains in it are tasks that want in while we are in), bump the counter
 * and the progress, drop the witness.  Relaxed: the witnesses must see
 * other tasks even if the lock is broken, so they are atomic, but they
 * order nothing.
 */
static void lock_test_section(struct lock_test_arena *a,
			      struct lock_test_seen *seen)
{
	int in = atomic_fetch_add_explicit(&a->inside, 1,
					   memory_order_relaxed) + 1;
	int waiting = atomic_fetch_sub_explicit(&a->pending, 1,
						memory_order_relaxed) - 1;

	a->counter++;
	atomic_fetch_add_explicit(&a->progress, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&a->inside, 1, memory_order_relaxed);
	if (in > seen->inside)
		seen->inside = in;
	if (waiting > seen->waiting)
		seen->waiting = waiting;
}

static void lock_test_publish(struct lock_test_arena *a,
			      const struct lock_test_seen *seen)
{
	lock_test_publish_max(&a->max_inside, seen->inside);
	lock_test_publish_max(&a->max_waiting, seen->waiting);
}

/* The contended loop through the ops table. */
static void lock_test_work(struct lock_test_run *run, int index)
{
	const struct lock_ops *ops = run->ops;
	void *node = lock_test_node(run, index);
	struct lock_test_seen seen = { 0, 0 };

	for (long i = 0; i < run->plan.iters; i++) {
		lock_test_announce(run->arena);
		ops->acquire(run->lock, node);
		lock_test_section(run->arena, &seen);
		ops->release(run->lock, node);
	}
	lock_test_publish(run->arena, &seen);
}

static void *lock_test_thread(void *arg)
{
	struct lock_test_task *t = arg;

	lock_test_pin(t->run->plan.cpus[t->index]);
	lock_test_gate(t->run->arena, t->run->plan.ntasks);
	lock_test_work(t->run, t->index);
	return NULL;
}

/*
 * Check one arena's invariants once its tasks are done; name the lock on
 * failure.  contended: the run started behind lock_test_hold, so a task
 * must have seen another waiting.
 */
static void lock_test_check(const char *name, const char *mode,
			    struct lock_test_arena *a, unsigned long want,
			    bool contended)
{
	unsigned long got = a->counter;
	int max = atomic_load(&a->max_inside);	/* tasks joined: no race */
	int waiting = atomic_load(&a->max_waiting);

	if (got != want || max != 1 || (contended && waiting < 1))
		cr_log_info("lock %s (%s): counter %lu, expected %lu; "
			    "max inside %d, expected 1; most waiting %d",
			    name, mode, got, want, max, waiting);
	cr_assert_eq(got, want, "%s (%s): lost updates", name, mode);
	cr_assert_eq(max, 1, "%s (%s): mutual exclusion broken", name, mode);
	if (contended)
		cr_assert_geq(waiting, 1, "%s (%s): no task ever waited for "
			      "another: the run tested no contention", name, mode);
}

static unsigned long lock_test_want(const struct lock_test_plan *plan)
{
	return (unsigned long)plan->ntasks * (unsigned long)plan->iters;
}

/*
 * The start of a run: the test thread (node ntasks) takes the lock before
 * the tasks start, and gives it up only once every task has announced
 * itself, i.e. is calling acquire or about to, so that the first task in
 * finds all the others waiting.  Bounded like any wake-up: tasks that do
 * not all get there within CHECK_WAKE_NS fail the test.
 */
static void lock_test_hold(struct lock_test_run *run)
{
	run->ops->acquire(run->lock, lock_test_node(run, run->plan.ntasks));
}

static void lock_test_let_go(struct lock_test_run *run, const char *mode)
{
	struct lock_test_arena *a = run->arena;
	int n = run->plan.ntasks;

	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       atomic_load_explicit(&a->pending,
						    memory_order_relaxed) == n),
		  "%s (%s): %d of %d tasks reached acquire", run->ops->name,
		  mode, atomic_load(&a->pending), n);
	run->ops->release(run->lock, lock_test_node(run, n));
}

/*
 * Wait for the run's `want` sections while they keep coming: a lock that
 * loses a hand-off or deadlocks stops them all, and fails here in seconds.
 */
static void lock_test_watch(struct lock_test_run *run, const char *mode,
			    unsigned long want)
{
	unsigned long got = CHECK_PROGRESS(
		atomic_load_explicit(&run->arena->progress,
				     memory_order_relaxed),
		want, CHECK_STALL_NS);

	cr_assert_geq(got, want, "%s (%s): no progress for %lld s at %lu of "
		      "%lu sections: a lost hand-off or a deadlock",
		      run->ops->name, mode, CHECK_STALL_NS / 1000000000,
		      got, want);
}

/*
 * Start `run`'s tasks as threads behind the held lock, each running fn;
 * let them go, watch them and join them.  `want` is how many sections
 * they make in all.
 */
static void lock_test_spawn(struct lock_test_run *run, void *(*fn)(void *),
			    const char *mode, unsigned long want)
{
	struct lock_test_task task[LOCK_TEST_THREADS];
	pthread_t tid[LOCK_TEST_THREADS];
	int n = run->plan.ntasks;

	cr_assert_leq(n, LOCK_TEST_THREADS);
	lock_test_hold(run);
	for (int i = 0; i < n; i++) {
		task[i] = (struct lock_test_task){ run, i };
		cr_assert_eq(pthread_create(&tid[i], NULL, fn, &task[i]), 0);
	}
	lock_test_let_go(run, mode);
	lock_test_watch(run, mode, want);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
}

static void lock_test_threads(const struct lock_ops *ops)
{
	struct lock_test_run run;

	lock_test_map(&run, ops, LOCK_TEST_THREADS, 0);
	cr_assert_eq(ops->init(run.lock, 0, lock_test_max_tasks(&run)), 0,
		     "%s: init", ops->name);
	lock_test_spawn(&run, lock_test_thread, "threads",
			lock_test_want(&run.plan));
	lock_test_check(ops->name, "threads", run.arena,
			lock_test_want(&run.plan), true);
	ops->destroy(run.lock);
	munmap(run.arena, run.map_bytes);
}

static void lock_test_child(struct lock_test_run *run, int i, pid_t parent)
{
	/*
	 * If the test times out, its process is killed: take the children
	 * along instead of leaving them spinning.  alarm() backs that up.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(3);
	alarm(LOCK_TEST_TIMEOUT);
	lock_test_pin(run->plan.cpus[i]);
	lock_test_gate(run->arena, run->plan.ntasks);
	lock_test_work(run, i);
	_exit(0);
}

/* Returns 0 after a checked run, or init's -ENOTSUP with nothing run. */
static int lock_test_processes(const struct lock_ops *ops)
{
	pid_t pid[LOCK_TEST_PROCS], parent = getpid();
	struct lock_test_run run;
	int err, status;

	lock_test_map(&run, ops, LOCK_TEST_PROCS, 1);
	err = ops->init(run.lock, 1, lock_test_max_tasks(&run));
	if (err == -ENOTSUP) {
		munmap(run.arena, run.map_bytes);
		return err;
	}
	cr_assert_eq(err, 0, "%s: init(shared)", ops->name);
	lock_test_hold(&run);
	fflush(NULL);
	for (int i = 0; i < run.plan.ntasks; i++) {
		pid[i] = fork();
		cr_assert_geq(pid[i], 0);
		if (pid[i] == 0)
			lock_test_child(&run, i, parent);
	}
	lock_test_let_go(&run, "processes");
	lock_test_watch(&run, "processes", lock_test_want(&run.plan));
	for (int i = 0; i < run.plan.ntasks; i++) {
		cr_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "%s: child %d failed", ops->name, i);
	}
	lock_test_check(ops->name, "processes", run.arena,
			lock_test_want(&run.plan), true);
	ops->destroy(run.lock);
	munmap(run.arena, run.map_bytes);
	return 0;
}

/*
 * The list's shared column as what init(shared) must return: private
 * variants (their queues link the acquirers' own nodes, which may live
 * in private memory) refuse with -ENOTSUP; every other one must run in
 * process mode.
 */
#define LOCK_TEST_SHARED_INIT_shared	0
#define LOCK_TEST_SHARED_INIT_private	(-ENOTSUP)

/* Process mode: it ran and passed its checks, or it is unshareable by
 * the list and init refused; nothing else. */
static void lock_test_processes_or_refused(const struct lock_ops *ops, int want)
{
	int err = lock_test_processes(ops);

	if (want == -ENOTSUP)
		cr_assert_eq(err, -ENOTSUP, "%s: init(shared) = %d, but its "
			     "queue links private nodes", ops->name, err);
	else
		cr_assert_eq(err, 0, "%s: init(shared) = %d, expected a "
			     "process-mode run", ops->name, err);
}

/* Both contention runs of every variant, from the zoo's own list. */
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary)						\
	Test(lock_zoo, threads_##v, .timeout = LOCK_TEST_TIMEOUT)	\
	{								\
		lock_test_threads(&lock_##v##_ops);			\
	}								\
	Test(lock_zoo, processes_##v, .timeout = LOCK_TEST_TIMEOUT)	\
	{								\
		lock_test_processes_or_refused(&lock_##v##_ops,		\
			LOCK_TEST_SHARED_INIT_##shared);		\
	}
#include "primitives/lock_list.h"
#undef LOCK_VARIANT

/* The zoo is the list, entry for entry: so the tests above cover it all. */
Test(lock_zoo, is_the_list, .timeout = 10)
{
	static const struct lock_ops *const listed[] = {
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary) \
		&lock_##v##_ops,
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
	};
	size_t n = sizeof(listed) / sizeof(listed[0]);

	cr_assert_eq(lock_test_zoo_len(), n, "zoo %zu entries, list %zu",
		     lock_test_zoo_len(), n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(lock_zoo[i], listed[i], "entry %zu: %s, listed %s",
			     i, lock_zoo[i]->name, listed[i]->name);
}

Test(lock_zoo, descriptors_well_formed, .timeout = 10)
{
	for (const struct lock_ops *const *p = lock_zoo; *p; p++) {
		const struct lock_ops *o = *p;

		cr_assert(o->name && o->name[0]);
		cr_assert(o->summary && o->summary[0], "%s", o->name);
		cr_assert_null(strchr(o->summary, '\n'), "%s", o->name);
		cr_assert_gt(o->size, 0, "%s", o->name);
		cr_assert_eq(o->size % CPU_CACHELINE, 0, "%s", o->name);
		cr_assert_eq(o->node_size % CPU_CACHELINE, 0, "%s", o->name);
		cr_assert(!o->node_init || o->node_size, "%s", o->name);
		cr_assert(o->init && o->acquire && o->release && o->destroy,
			  "%s", o->name);
		cr_assert_eq(o->flags & ~(LOCK_FIFO | LOCK_SLEEPS | LOCK_YIELDS),
			     0, "%s", o->name);
	}
}

/* The names of the zoo's locks whose flags hold `flag`, in zoo order. */
static void lock_test_with_flag(unsigned flag, char *buf, size_t len)
{
	buf[0] = '\0';
	for (const struct lock_ops *const *p = lock_zoo; *p; p++)
		if ((*p)->flags & flag)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 (*p)->name);
}

/*
 * What each lock says of its waits, by name, written out here rather
 * than read from lock_list.h: the queue and ticket locks serve waiters
 * in turn (the plans hold those back when tasks outnumber processors);
 * the C library's and the futex, rwlock and semaphore locks may sleep;
 * contend's own spinners, and no one else, yield.
 */
Test(lock_zoo, flags_are_what_each_lock_does, .timeout = 10)
{
	char got[512];

	lock_test_with_flag(LOCK_FIFO, got, sizeof(got));
	cr_assert_str_eq(got, "ticket mcs clh ck_ticket ck_mcs ck_clh ck_anderson ck_hclh");
	lock_test_with_flag(LOCK_SLEEPS, got, sizeof(got));
	cr_assert_str_eq(got, "mutex mutex_adaptive futex rwlock sem");
	lock_test_with_flag(LOCK_YIELDS, got, sizeof(got));
	cr_assert_str_eq(got, LOCK_SPIN_YIELD_AFTER ? "tas ttas ticket mcs clh" : "");
}

Test(lock_zoo, names_unique, .timeout = 10)
{
	for (size_t i = 0; lock_zoo[i]; i++)
		for (size_t j = i + 1; lock_zoo[j]; j++)
			cr_assert(strcmp(lock_zoo[i]->name, lock_zoo[j]->name),
				  "%s twice", lock_zoo[i]->name);
}

Test(lock_find, finds_every_name, .timeout = 10)
{
	static const char *const required[] = {
		"mutex", "mutex_adaptive", "spin", "tas", "ttas", "ticket",
		"mcs", "clh", "futex", "rwlock", "sem", "ck_fas", "ck_cas",
		"ck_ticket", "ck_mcs",
	};

	for (const struct lock_ops *const *p = lock_zoo; *p; p++)
		cr_assert_eq(lock_find((*p)->name), *p, "%s", (*p)->name);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		cr_assert_not_null(lock_find(required[i]), "%s", required[i]);
}

Test(lock_find, unknown_is_null, .timeout = 10)
{
	cr_assert_null(lock_find("no_such_lock"));
	cr_assert_null(lock_find(""));
	cr_assert_null(lock_find("MUTEX"));
	cr_assert_null(lock_find("mutex "));
	cr_assert_null(lock_find("ck_"));
}

/*
 * Exactly the locks whose queues link the acquirers' own nodes refuse to
 * be process-shared, with -ENOTSUP; every other one accepts: the refused
 * ones, in zoo order, are exactly the list's private ones.
 */
Test(lock_shared, enotsup_exactly_the_node_linked_queues, .timeout = 10)
{
	static const char *const unshareable[] = {
#define LOCK_TEST_PRIVATE_shared(v)
#define LOCK_TEST_PRIVATE_private(v)	#v,
#define LOCK_VARIANT(v, lock_type, node_bytes, node_init, fifo, wait, shared, \
		     summary) \
		LOCK_TEST_PRIVATE_##shared(v)
#include "primitives/lock_list.h"
#undef LOCK_VARIANT
	};
	char refused[256] = "", want[256] = "";

	for (const struct lock_ops *const *p = lock_zoo; *p; p++) {
		const struct lock_ops *o = *p;
		size_t bytes = lock_test_round(o->size);
		void *lock;
		int err;

		lock = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		cr_assert_neq(lock, MAP_FAILED);
		err = o->init(lock, 1, LOCK_TEST_PROCS);
		cr_assert(err == 0 || err == -ENOTSUP, "%s: init(shared) = %d",
			  o->name, err);
		if (err == -ENOTSUP)
			snprintf(refused + strlen(refused),
				 sizeof(refused) - strlen(refused), "%s%s",
				 refused[0] ? " " : "", o->name);
		else
			o->destroy(lock);
		munmap(lock, bytes);
	}
	for (size_t i = 0; i < sizeof(unshareable) / sizeof(*unshareable); i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", want[0] ? " " : "", unshareable[i]);
	cr_assert_str_eq(refused, want, "refused process-shared use: %s; "
			 "lock_list.h's private ones: %s", refused, want);
}

Test(lock_ck_anderson, max_tasks_bounds, .timeout = 10)
{
	static struct lock_ck_anderson lock;
	static struct lock_ck_anderson_node node;

	cr_assert_eq(lock_ck_anderson_init(&lock, 0, 0), -EINVAL);
	cr_assert_eq(lock_ck_anderson_init(&lock, 0, LOCK_CK_ANDERSON_SLOTS + 1),
		     -ERANGE);
	cr_assert_eq(lock_ck_anderson_init(&lock, 0, LOCK_CK_ANDERSON_SLOTS), 0);
	cr_assert_eq(lock_ck_anderson_init(&lock, 0, 1), 0);
	/* One slot: the lock must still come free after every release. */
	for (int i = 0; i < 3; i++) {
		lock_ck_anderson_acquire(&lock, &node);
		lock_ck_anderson_release(&lock, &node);
	}
	/* Not a power of two: rounded up to 4 slots, hands round in order. */
	cr_assert_eq(lock_ck_anderson_init(&lock, 0, 3), 0);
	for (int i = 0; i < 9; i++) {
		lock_ck_anderson_acquire(&lock, &node);
		cr_assert_eq(node.slot, &lock.slots[i % 4]);
		lock_ck_anderson_release(&lock, &node);
	}
	lock_ck_anderson_destroy(&lock);
}

/*
 * CLH's node API: the caller keeps passing the same node while the qnode
 * it owns changes hands.  A release adopts the predecessor's qnode (at
 * first the lock's spare), and the lock's tail keeps the node's own.
 */
Test(lock_clh, release_adopts_predecessor_qnode, .timeout = 10)
{
	static struct lock_clh lock;
	static struct lock_clh_node node;

	cr_assert_eq(lock_clh_init(&lock, 0, 1), 0);
	lock_clh_node_init(&node);
	cr_assert_eq(node.mine, &node.first);
	lock_clh_acquire(&lock, &node);
	lock_clh_release(&lock, &node);
	cr_assert_eq(node.mine, &lock.spare);
	cr_assert_eq(atomic_load(&lock.tail), &node.first);
	lock_clh_acquire(&lock, &node);
	lock_clh_release(&lock, &node);
	cr_assert_eq(node.mine, &node.first);
	cr_assert_eq(atomic_load(&lock.tail), &lock.spare);
	lock_clh_destroy(&lock);
}

Test(lock_ck_clh, release_adopts_predecessor_qnode, .timeout = 10)
{
	static struct lock_ck_clh lock;
	static struct lock_ck_clh_node node;

	cr_assert_eq(lock_ck_clh_init(&lock, 0, 1), 0);
	lock_ck_clh_node_init(&node);
	lock_ck_clh_acquire(&lock, &node);
	lock_ck_clh_release(&lock, &node);
	cr_assert_eq(node.mine, &lock.spare.q);
	lock_ck_clh_acquire(&lock, &node);
	lock_ck_clh_release(&lock, &node);
	cr_assert_eq(node.mine, &node.first.q);
	lock_ck_clh_destroy(&lock);
}

/*
 * A node belongs to a task, not to a lock: each task keeps one node and
 * takes two locks of the same variant in turn.  Both counters must be
 * exact.  For CLH-style locks this makes qnodes wander between the locks.
 */
struct lock_test_pair {
	struct lock_test_run run[2];	/* same plan, same nodes (run[0]'s) */
};

static void *lock_test_pair_thread(void *arg)
{
	struct lock_test_task *t = arg;
	struct lock_test_pair *pair = (struct lock_test_pair *)t->run;
	const struct lock_ops *ops = pair->run[0].ops;
	void *node = lock_test_node(&pair->run[0], t->index);
	struct lock_test_seen seen[2] = { { 0, 0 }, { 0, 0 } };

	lock_test_pin(pair->run[0].plan.cpus[t->index]);
	lock_test_gate(pair->run[0].arena, pair->run[0].plan.ntasks);
	for (long i = 0; i < 2 * pair->run[0].plan.iters; i++) {
		struct lock_test_run *r = &pair->run[i & 1];

		lock_test_announce(r->arena);
		ops->acquire(r->lock, node);
		lock_test_section(r->arena, &seen[i & 1]);
		ops->release(r->lock, node);
	}
	lock_test_publish(pair->run[0].arena, &seen[0]);
	lock_test_publish(pair->run[1].arena, &seen[1]);
	return NULL;
}

Test(lock_nodes, one_node_serves_many_locks, .timeout = LOCK_TEST_TIMEOUT)
{
	for (const struct lock_ops *const *p = lock_zoo; *p; p++) {
		const struct lock_ops *o = *p;
		struct lock_test_pair pair;

		if (!o->node_size)
			continue;
		for (int k = 0; k < 2; k++) {
			lock_test_map(&pair.run[k], o, LOCK_TEST_THREADS, 0);
			pair.run[k].plan.iters /= 4;	/* 8 runs in one test */
			cr_assert_eq(o->init(pair.run[k].lock, 0,
				lock_test_max_tasks(&pair.run[k])), 0);
		}
		/*
		 * lock_test_spawn hands each thread &pair.run[0] as its run,
		 * which is &pair: a struct's first member shares its address.
		 * It holds and watches run[0]'s lock, where every task starts;
		 * run[1]'s lock is not held at the start, so contention on
		 * it is not guaranteed.
		 */
		lock_test_spawn(&pair.run[0], lock_test_pair_thread,
				"two locks, one node",
				lock_test_want(&pair.run[0].plan));
		for (int k = 0; k < 2; k++) {
			lock_test_check(o->name, "two locks, one node",
					pair.run[k].arena,
					lock_test_want(&pair.run[k].plan), k == 0);
			o->destroy(pair.run[k].lock);
		}
		for (int k = 0; k < 2; k++)
			munmap(pair.run[k].arena, pair.run[k].map_bytes);
	}
}

/*
 * ck_hclh with its tasks in different clusters (the zoo's entry always
 * uses cluster 0), so that acquisitions splice local queues into the
 * global one from both sides and qnodes wander between clusters.
 */
static void *lock_test_hclh_thread(void *arg)
{
	struct lock_test_task *t = arg;
	struct lock_test_run *run = t->run;
	struct lock_ck_hclh *lock = run->lock;
	struct lock_ck_hclh_node *node = lock_test_node(run, t->index);
	int cluster = t->index % 2;
	struct lock_test_seen seen = { 0, 0 };

	lock_test_pin(run->plan.cpus[t->index]);
	lock_test_gate(run->arena, run->plan.ntasks);
	for (long i = 0; i < run->plan.iters; i++) {
		lock_test_announce(run->arena);
		lock_ck_hclh_acquire_in(lock, node, cluster);
		lock_test_section(run->arena, &seen);
		lock_ck_hclh_release(lock, node);
	}
	lock_test_publish(run->arena, &seen);
	return NULL;
}

Test(lock_ck_hclh, two_clusters, .timeout = LOCK_TEST_TIMEOUT)
{
	struct lock_test_run run;

	lock_test_map(&run, &lock_ck_hclh_ops, LOCK_TEST_THREADS, 0);
	cr_assert_eq(lock_ck_hclh_init(run.lock, 0, lock_test_max_tasks(&run)), 0);
	lock_test_spawn(&run, lock_test_hclh_thread, "two clusters",
			lock_test_want(&run.plan));
	lock_test_check("ck_hclh", "two clusters", run.arena,
			lock_test_want(&run.plan), true);
	lock_ck_hclh_destroy(run.lock);
	munmap(run.arena, run.map_bytes);
}

/*
 * The futex lock's slow path: while the main thread holds the lock, the
 * others must mark it contended (2) and sleep; release must wake them
 * all in turn, and the word must end free (0).
 */
static struct lock_futex lock_test_futex;
/* Changed under the lock; atomic so that the test can watch it. */
static atomic_ulong lock_test_futex_count;

static void *lock_test_futex_thread(void *arg)
{
	(void)arg;
	lock_futex_acquire(&lock_test_futex, NULL);
	atomic_fetch_add_explicit(&lock_test_futex_count, 1,
				  memory_order_relaxed);
	lock_futex_release(&lock_test_futex, NULL);
	return NULL;
}

Test(lock_futex, sleepers_are_woken, .timeout = 30)
{
	const struct timespec ms = { 0, 1000000 };
	pthread_t tid[3];
	int waited_ms = 0;

	cr_assert_eq(lock_futex_init(&lock_test_futex, 0, 4), 0);
	lock_futex_acquire(&lock_test_futex, NULL);
	cr_assert_eq(__atomic_load_n(&lock_test_futex.word, __ATOMIC_RELAXED), 1);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pthread_create(&tid[i], NULL,
					    lock_test_futex_thread, NULL), 0);
	/* A waiter sets 2 before it sleeps; give them 10 s to get there. */
	while (__atomic_load_n(&lock_test_futex.word, __ATOMIC_RELAXED) != 2 &&
	       waited_ms++ < 10000)
		nanosleep(&ms, NULL);
	cr_assert_eq(__atomic_load_n(&lock_test_futex.word, __ATOMIC_RELAXED), 2);
	/* Give the others time to go to sleep too, then let them all in. */
	nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	cr_assert_eq(atomic_load(&lock_test_futex_count), 0);
	lock_futex_release(&lock_test_futex, NULL);
	/* Each release must wake the next sleeper: all three get in soon. */
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS,
			       atomic_load(&lock_test_futex_count) == 3),
		  "%lu of 3 sleepers got the lock: a wake-up was lost",
		  atomic_load(&lock_test_futex_count));
	for (int i = 0; i < 3; i++)
		pthread_join(tid[i], NULL);
	cr_assert_eq(__atomic_load_n(&lock_test_futex.word, __ATOMIC_RELAXED), 0);
	lock_futex_destroy(&lock_test_futex);
}

/*
 * The per-variant inline API, as a benchmark compiled per variant uses it:
 * typed calls, no ops table.  One worker per variant, made by a macro the
 * way such a benchmark would be.
 */
#define LOCK_TEST_INLINE_WORKER(v)					\
	static void *lock_test_inline_##v(void *arg)			\
	{								\
		struct lock_test_task *t = arg;				\
		struct lock_test_run *run = t->run;			\
		void *node = lock_test_node(run, t->index);		\
		struct lock_test_seen seen = { 0, 0 };			\
									\
		lock_test_gate(run->arena, run->plan.ntasks);		\
		for (long i = 0; i < run->plan.iters; i++) {		\
			lock_test_announce(run->arena);			\
			lock_##v##_acquire(run->lock, node);		\
			lock_test_section(run->arena, &seen);		\
			lock_##v##_release(run->lock, node);		\
		}							\
		lock_test_publish(run->arena, &seen);			\
		return NULL;						\
	}

LOCK_TEST_INLINE_WORKER(ttas)
LOCK_TEST_INLINE_WORKER(mcs)
LOCK_TEST_INLINE_WORKER(clh)
LOCK_TEST_INLINE_WORKER(futex)

static void lock_test_inline(const struct lock_ops *ops,
			     void *(*worker)(void *))
{
	struct lock_test_run run;

	lock_test_map(&run, ops, LOCK_TEST_THREADS, 0);
	run.plan.iters /= 4;		/* 4 runs in one test */
	cr_assert_eq(ops->init(run.lock, 0, lock_test_max_tasks(&run)), 0);
	lock_test_spawn(&run, worker, "inline", lock_test_want(&run.plan));
	lock_test_check(ops->name, "inline", run.arena,
			lock_test_want(&run.plan), true);
	ops->destroy(run.lock);
	munmap(run.arena, run.map_bytes);
}

Test(lock_inline, per_variant_functions, .timeout = LOCK_TEST_TIMEOUT)
{
	lock_test_inline(&lock_ttas_ops, lock_test_inline_ttas);
	lock_test_inline(&lock_mcs_ops, lock_test_inline_mcs);
	lock_test_inline(&lock_clh_ops, lock_test_inline_clh);
	lock_test_inline(&lock_futex_ops, lock_test_inline_futex);
}
