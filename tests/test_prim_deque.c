/*
 * tests/test_prim_deque.c - collections.deque rules: both ends, pop on
 * empty, maxlen dropping from the other end, growth, fixed storage; and
 * exactly-once delivery under threads and across forked processes,
 * watched for progress so that a deadlock fails within CHECK_STALL_NS.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "primitives/deque.h"
#include "primitives/preempt.h"
#include "tests/check.h"

/* A deque_init() deque in malloc'd memory. */
static struct deque *dt_init(size_t capacity, size_t maxlen)
{
	struct deque *d = malloc(deque_bytes(capacity));

	cr_assert_not_null(d);
	cr_assert_eq(deque_init(d, capacity, maxlen, 0), 0);
	return d;
}

/* Pop everything from the left and compare with want[0..n). */
static void dt_expect(struct deque *d, const uint64_t *want, size_t n)
{
	uint64_t v;

	cr_assert_eq(deque_len(d), n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(deque_popleft(d, &v), 0);
		cr_assert_eq(v, want[i]);
	}
	cr_assert_eq(deque_popleft(d, &v), DEQUE_EMPTY);
}

Test(deque, init_rejects_bad_arguments, .timeout = 10)
{
	struct deque *d = malloc(deque_bytes(4));

	cr_assert_not_null(d);
	cr_assert_eq(deque_init(d, 0, 0, 0), -EINVAL);
	cr_assert_eq(deque_init(d, 4, 5, 1), -EINVAL);
	cr_assert_eq(deque_init(d, 4, 4, 1), 0);
	cr_assert_eq(deque_maxlen(d), 4);
	free(d);
}

Test(deque, both_ends, .timeout = 10)
{
	struct deque *d = dt_init(8, 0);
	uint64_t v;

	/* appendleft 1, 2; append 3, 4  ->  [2, 1, 3, 4] */
	cr_assert_eq(deque_appendleft(d, 1), 0);
	cr_assert_eq(deque_appendleft(d, 2), 0);
	cr_assert_eq(deque_append(d, 3), 0);
	cr_assert_eq(deque_append(d, 4), 0);
	cr_assert_eq(deque_len(d), 4);
	cr_assert_eq(deque_pop(d, &v), 0);
	cr_assert_eq(v, 4);
	cr_assert_eq(deque_popleft(d, &v), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(deque_pop(d, &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(deque_pop(d, &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(deque_len(d), 0);
	free(d);
}

Test(deque, pop_empty_is_index_error, .timeout = 10)
{
	struct deque *d = dt_init(2, 0);
	struct deque *g = NULL;
	uint64_t v = 77;

	cr_assert_eq(deque_pop(d, &v), DEQUE_EMPTY);
	cr_assert_eq(deque_popleft(d, &v), DEQUE_EMPTY);
	cr_assert_eq(v, 77);	/* untouched */
	cr_assert_eq(deque_append(d, 5), 0);
	cr_assert_eq(deque_popleft(d, &v), 0);
	cr_assert_eq(deque_pop(d, &v), DEQUE_EMPTY);
	cr_assert_eq(deque_popleft(d, &v), DEQUE_EMPTY);
	cr_assert_eq(deque_create(&g, 0), 0);
	cr_assert_eq(deque_pop(g, &v), DEQUE_EMPTY);
	cr_assert_eq(deque_popleft(g, &v), DEQUE_EMPTY);
	deque_destroy(g);
	free(d);
}

/*
 * Python: d = deque(maxlen=3); d.extend([1, 2, 3, 4]) -> [2, 3, 4];
 * d.appendleft(0) -> [0, 2, 3]; d.append(9) -> [2, 3, 9].
 */
Test(deque, maxlen_drops_from_other_end, .timeout = 10)
{
	struct deque *d = dt_init(3, 3);
	struct deque *c = NULL;
	static const uint64_t want[] = { 2, 3, 9 };

	cr_assert_eq(deque_append(d, 1), 0);
	cr_assert_eq(deque_append(d, 2), 0);
	cr_assert_eq(deque_append(d, 3), 0);
	cr_assert_eq(deque_append(d, 4), 1);	/* 1 dropped on the left */
	cr_assert_eq(deque_len(d), 3);
	cr_assert_eq(deque_appendleft(d, 0), 1);	/* 4 dropped on the right */
	cr_assert_eq(deque_append(d, 9), 1);	/* 0 dropped on the left */
	dt_expect(d, want, 3);
	free(d);

	/* The same with deque_create() and a long run round the ring. */
	cr_assert_eq(deque_create(&c, 3), 0);
	cr_assert_eq(deque_maxlen(c), 3);
	for (uint64_t v = 0; v < 1000; v++)
		cr_assert_eq(deque_append(c, v), v >= 3 ? 1 : 0);
	{
		static const uint64_t tail[] = { 997, 998, 999 };

		dt_expect(c, tail, 3);
	}
	for (uint64_t v = 0; v < 1000; v++)
		cr_assert_eq(deque_appendleft(c, v), v >= 3 ? 1 : 0);
	{
		static const uint64_t head[] = { 999, 998, 997 };

		dt_expect(c, head, 3);
	}
	deque_destroy(c);
}

/* maxlen below the storage size: the bound is maxlen, not capacity. */
Test(deque, maxlen_smaller_than_capacity, .timeout = 10)
{
	struct deque *d = dt_init(10, 4);
	static const uint64_t want[] = { 16, 17, 18, 19 };

	for (uint64_t v = 0; v < 20; v++) {
		cr_assert_eq(deque_append(d, v), v >= 4 ? 1 : 0);
		cr_assert_leq(deque_len(d), 4);
	}
	dt_expect(d, want, 4);
	free(d);
}

/* Fixed storage without a maxlen: full is an error, nothing dropped. */
Test(deque, fixed_storage_full_is_enospc, .timeout = 10)
{
	struct deque *d = dt_init(3, 0);
	static const uint64_t want[] = { 0, 1, 2 };

	cr_assert_eq(deque_append(d, 1), 0);
	cr_assert_eq(deque_append(d, 2), 0);
	cr_assert_eq(deque_appendleft(d, 0), 0);
	cr_assert_eq(deque_append(d, 3), -ENOSPC);
	cr_assert_eq(deque_appendleft(d, 3), -ENOSPC);
	dt_expect(d, want, 3);
	free(d);
}

/* deque_create() without maxlen grows at either end, keeping order. */
Test(deque, unbounded_grows, .timeout = 10)
{
	enum { N = 5000 };
	struct deque *d = NULL;
	uint64_t v;

	cr_assert_eq(deque_create(&d, 0), 0);
	cr_assert_eq(deque_maxlen(d), 0);
	/* Left: N-1 .. 0 (appendleft wraps the ring at once); right: N .. 2N-1. */
	for (uint64_t i = 0; i < N; i++) {
		cr_assert_eq(deque_appendleft(d, N - 1 - i), 0);
		cr_assert_eq(deque_append(d, N + i), 0);
	}
	cr_assert_eq(deque_len(d), 2 * N);
	for (uint64_t i = 0; i < N; i++) {
		cr_assert_eq(deque_popleft(d, &v), 0);
		cr_assert_eq(v, i);
		cr_assert_eq(deque_pop(d, &v), 0);
		cr_assert_eq(v, 2 * N - 1 - i);
	}
	cr_assert_eq(deque_pop(d, &v), DEQUE_EMPTY);
	deque_destroy(d);
}

/* ---- contention: threads, then processes ---- */

#define DT_TAG(w, s)	(((uint64_t)(w) << 32) | (uint32_t)(s))

enum { DT_WRITERS = 4, DT_READERS = 2, DT_ITEMS = 5000 };
/* The long run's items per writer, a million over the writers (a
 * fiftieth under the sanitizers). */
#define DT_LONG_ITEMS	CHECK_STRESS_ITEMS(1000000u / DT_WRITERS)

/* Shared by the workers; in MAP_SHARED memory for the process test. */
struct dt_run {
	uint64_t popped;	/* items taken so far, by all readers */
	uint64_t bad;		/* unexpected return codes or tags */
	uint32_t items;		/* per writer */
	uint32_t seen[];	/* per tag: times popped */
};

/* A run for `items` per writer, zeroed, in memory from alloc(bytes). */
static size_t dt_run_bytes(uint32_t items)
{
	return sizeof(struct dt_run) + (size_t)DT_WRITERS * items * sizeof(uint32_t);
}

struct dt_worker {
	struct dt_run *run;
	struct deque *d;
	int id;
};

/* Even writers append, odd ones appendleft; at a full fixed storage
 * (-ENOSPC: nothing stored) they wait for room, as deques do not. */
static void *dt_writer_main(void *arg)
{
	struct dt_worker *w = arg;

	for (uint32_t s = 0; s < w->run->items; s++) {
		uint64_t tag = DT_TAG(w->id, s);
		int rc;

		while ((rc = w->id % 2 ? deque_appendleft(w->d, tag)
				       : deque_append(w->d, tag)) == -ENOSPC)
			sched_yield();
		if (rc != 0)
			__atomic_fetch_add(&w->run->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Even readers pop, odd ones popleft, until every item is taken. */
static void *dt_reader_main(void *arg)
{
	struct dt_worker *w = arg;
	struct dt_run *r = w->run;

	/* Relaxed: a count only; the deque's mutex orders the items. */
	uint64_t total = (uint64_t)DT_WRITERS * r->items;

	while (__atomic_load_n(&r->popped, __ATOMIC_RELAXED) < total) {
		uint64_t v;
		int rc = w->id % 2 ? deque_popleft(w->d, &v) : deque_pop(w->d, &v);

		if (rc == DEQUE_EMPTY) {
			sched_yield();	/* deques do not block: poll */
			continue;
		}
		if (rc != 0 || v >> 32 >= DT_WRITERS || (uint32_t)v >= r->items) {
			__atomic_fetch_add(&r->bad, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_fetch_add(&r->seen[(v >> 32) * r->items + (uint32_t)v], 1,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->popped, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Wait while items keep being popped, until all are; fail if they stop. */
static void dt_watch(struct dt_run *r)
{
	uint64_t total = (uint64_t)DT_WRITERS * r->items;
	uint64_t got = CHECK_PROGRESS(__atomic_load_n(&r->popped,
						      __ATOMIC_RELAXED),
				      total, CHECK_STALL_NS);

	cr_assert_geq(got, total, "pops stopped for %lld s at "
		      "%llu of %llu: a deadlock", CHECK_STALL_NS / 1000000000,
		      (unsigned long long)got, (unsigned long long)total);
}

static void dt_check(const struct dt_run *r)
{
	uint64_t total = (uint64_t)DT_WRITERS * r->items, missing = 0, extra = 0;

	for (uint64_t i = 0; i < total; i++) {
		missing += r->seen[i] == 0;
		extra += r->seen[i] > 1;
	}
	cr_assert_eq(r->bad, 0);
	cr_assert_eq(missing, 0);
	cr_assert_eq(extra, 0);
	cr_assert_eq(r->popped, total);
}

/* 4 writers at both ends, 2 readers at both ends, at once: exactly once. */
static void dt_threads(struct deque *d, uint32_t items)
{
	struct dt_run *r = calloc(1, dt_run_bytes(items));
	/* On the heap: a failed check ends the test while the workers may
	 * still run, and they must not be left reading a dead frame. */
	struct dt_worker *ww = calloc(DT_WRITERS, sizeof(*ww));
	struct dt_worker *rw = calloc(DT_READERS, sizeof(*rw));
	pthread_t wt[DT_WRITERS], rt[DT_READERS];

	cr_assert(r && ww && rw);
	r->items = items;
	for (int i = 0; i < DT_READERS; i++) {
		rw[i] = (struct dt_worker){ r, d, i };
		cr_assert_eq(pthread_create(&rt[i], NULL, dt_reader_main, &rw[i]), 0);
	}
	for (int i = 0; i < DT_WRITERS; i++) {
		ww[i] = (struct dt_worker){ r, d, i };
		cr_assert_eq(pthread_create(&wt[i], NULL, dt_writer_main, &ww[i]), 0);
	}
	dt_watch(r);
	for (int i = 0; i < DT_WRITERS; i++)
		pthread_join(wt[i], NULL);
	for (int i = 0; i < DT_READERS; i++)
		pthread_join(rt[i], NULL);
	dt_check(r);
	cr_assert_eq(deque_len(d), 0);
	free(ww);
	free(rw);
	free(r);
}

Test(deque, threads_exactly_once, .timeout = 60)
{
	struct deque *d = NULL;

	cr_assert_eq(deque_create(&d, 0), 0);
	dt_threads(d, DT_ITEMS);
	deque_destroy(d);
}

/*
 * The long run: DT_LONG_ITEMS per writer, a million in all, through a
 * fixed deque of 64 slots (so that writers meet a full deque and readers
 * an empty one all the time), exactly once.  Every append and pop passes
 * the lock's atomics, each a preemption point in the prim tests
 * (primitives/preempt.h); at their full rate a million took 20-25 s of a
 * loaded 2-core machine, so they are thinned to one in 16, as for the
 * queues' long runs (test_prim_queue_stress.c).
 */
Test(deque, long_run_fixed_storage_exactly_once, .timeout = 120)
{
	struct deque *d = malloc(deque_bytes(64));

	prim_preempt_thin(4);

	cr_assert_not_null(d);
	cr_assert_eq(deque_init(d, 64, 0, 0), 0);
	dt_threads(d, DT_LONG_ITEMS);
	free(d);
}

/*
 * The same with every worker a forked process and the deque in
 * MAP_SHARED memory, sized for every item (a shared deque cannot grow).
 */
Test(deque, processes_exactly_once, .timeout = 60)
{
	size_t run_bytes = (dt_run_bytes(DT_ITEMS) + 63) & ~(size_t)63;
	size_t bytes = run_bytes + deque_bytes(DT_WRITERS * DT_ITEMS);
	char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct dt_run *r = (struct dt_run *)mem;
	struct deque *d = (struct deque *)(mem + run_bytes);
	pid_t pids[DT_WRITERS + DT_READERS], parent = getpid();

	cr_assert_neq(mem, MAP_FAILED);
	r->items = DT_ITEMS;
	cr_assert_eq(deque_init(d, DT_WRITERS * DT_ITEMS, 0, 1), 0);
	for (int i = 0; i < DT_WRITERS + DT_READERS; i++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			struct dt_worker w = { r, d, i < DT_READERS ? i : i - DT_READERS };

			/* Die with the test rather than stay blocked if it fails. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			if (i < DT_READERS)
				dt_reader_main(&w);
			else
				dt_writer_main(&w);
			_exit(0);
		}
		pids[i] = pid;
	}
	dt_watch(r);
	for (int i = 0; i < DT_WRITERS + DT_READERS; i++) {
		int status;

		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	dt_check(r);
	cr_assert_eq(deque_len(d), 0);
	munmap(mem, bytes);
}
