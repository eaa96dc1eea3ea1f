/*
 * tests/test_prim_coro.c - primitives/coro.h: both switch mechanisms must
 * count exactly, switch in exactly the order asked, keep every
 * callee-saved register and the stack, start on an aligned stack, and
 * work in several threads at once.
 *
 * Every scenario is written once against a small adapter table and run
 * for coro_asm and coro_uc.  Coroutines only record; assertions run on
 * the test's own stack, after control has come back.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/prim_leak.h"
#include "primitives/coro.h"

/* Plenty for these small functions, also with sanitizer redzones. */
#define STACK_SIZE (256 * 1024)

union ctx {
	struct coro_asm a;
	struct coro_uc u;
};

struct mech {
	int (*make)(union ctx *co, void *stack, size_t size,
		    void (*fn)(void *), void *arg);
	void (*sw)(union ctx *from, union ctx *to);
	void (*destroy)(union ctx *co);
};

static int asm_make(union ctx *co, void *stack, size_t size,
		    void (*fn)(void *), void *arg)
{
	return coro_asm_make(&co->a, stack, size, fn, arg);
}

static void asm_sw(union ctx *from, union ctx *to)
{
	coro_asm_switch(&from->a, &to->a);
}

static void asm_destroy(union ctx *co)
{
	coro_asm_destroy(&co->a);
}

static int uc_make(union ctx *co, void *stack, size_t size,
		   void (*fn)(void *), void *arg)
{
	return coro_uc_make(&co->u, stack, size, fn, arg);
}

static void uc_sw(union ctx *from, union ctx *to)
{
	coro_uc_switch(&from->u, &to->u);
}

static void uc_destroy(union ctx *co)
{
	coro_uc_destroy(&co->u);
}

static const struct mech mech_asm = { asm_make, asm_sw, asm_destroy };
static const struct mech mech_uc = { uc_make, uc_sw, uc_destroy };

/* ---- ping-pong: main <-> one coroutine, counted ---- */

#define PINGPONG_ROUNDS 100000

struct pingpong {
	const struct mech *m;
	union ctx main, co;
	unsigned long count;		/* bumped by the coroutine once a round */
	unsigned long mismatches;	/* rounds where main saw a wrong count */
};

static void pingpong_fn(void *arg)
{
	struct pingpong *p = arg;

	for (;;) {
		p->count++;
		p->m->sw(&p->co, &p->main);
	}
}

/* Returns 0, or the error of the step that failed. */
static int pingpong_run(struct pingpong *p, const struct mech *m,
			unsigned long rounds)
{
	void *stack = coro_stack_alloc(STACK_SIZE);
	int err;

	memset(p, 0, sizeof(*p));
	p->m = m;
	if (!stack)
		return -1;
	err = m->make(&p->co, stack, STACK_SIZE, pingpong_fn, p);
	if (err)
		return err;
	for (unsigned long i = 1; i <= rounds; i++) {
		m->sw(&p->main, &p->co);
		if (p->count != i)
			p->mismatches++;
	}
	m->destroy(&p->co);
	return coro_stack_free(stack, STACK_SIZE);
}

static void check_pingpong(const struct mech *m)
{
	struct pingpong p;

	cr_assert_eq(pingpong_run(&p, m, PINGPONG_ROUNDS), 0);
	cr_assert_eq(p.count, PINGPONG_ROUNDS);
	cr_assert_eq(p.mismatches, 0);
}

Test(coro_asm, pingpong_counts_exactly, .timeout = 30)
{
	check_pingpong(&mech_asm);
}

Test(coro_uc, pingpong_counts_exactly, .timeout = 30)
{
	check_pingpong(&mech_uc);
}

/* ---- the greenlet scene: main->A 12, A->B 56, B->A 34, A->B 78 ---- */

struct scene {
	const struct mech *m;
	union ctx main, a, b;
	int trace[8];
	int n;
};

static void scene_record(struct scene *s, int v)
{
	if (s->n < (int)(sizeof(s->trace) / sizeof(s->trace[0])))
		s->trace[s->n] = v;
	s->n++;
}

static void scene_a(void *arg)
{
	struct scene *s = arg;

	scene_record(s, 12);
	s->m->sw(&s->a, &s->b);
	scene_record(s, 34);
	s->m->sw(&s->a, &s->b);
	for (;;)		/* not reached: B goes back to main */
		s->m->sw(&s->a, &s->main);
}

static void scene_b(void *arg)
{
	struct scene *s = arg;

	scene_record(s, 56);
	s->m->sw(&s->b, &s->a);
	scene_record(s, 78);
	for (;;)
		s->m->sw(&s->b, &s->main);
}

static void check_scene(const struct mech *m)
{
	static const int want[] = { 12, 56, 34, 78 };
	struct scene s;
	void *sa = coro_stack_alloc(STACK_SIZE);
	void *sb = coro_stack_alloc(STACK_SIZE);

	cr_assert_not_null(sa);
	cr_assert_not_null(sb);
	memset(&s, 0, sizeof(s));
	s.m = m;
	cr_assert_eq(m->make(&s.a, sa, STACK_SIZE, scene_a, &s), 0);
	cr_assert_eq(m->make(&s.b, sb, STACK_SIZE, scene_b, &s), 0);
	m->sw(&s.main, &s.a);
	cr_assert_eq(s.n, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(s.trace[i], want[i], "trace[%d] = %d", i, s.trace[i]);
	m->destroy(&s.a);
	m->destroy(&s.b);
	cr_assert_eq(coro_stack_free(sa, STACK_SIZE), 0);
	cr_assert_eq(coro_stack_free(sb, STACK_SIZE), 0);
}

Test(coro_asm, greenlet_switch_order, .timeout = 30)
{
	check_scene(&mech_asm);
}

Test(coro_uc, greenlet_switch_order, .timeout = 30)
{
	check_scene(&mech_uc);
}

/* ---- three coroutines in a fixed ring A->B->C->A, then back to main ---- */

#define RING_SIZE 3
#define RING_ROUNDS 50

struct ring;

struct ring_member {
	struct ring *ring;
	int id;
	union ctx ctx;
};

struct ring {
	const struct mech *m;
	union ctx main;
	struct ring_member member[RING_SIZE];
	int trace[RING_SIZE * RING_ROUNDS];
	int n;
};

static void ring_fn(void *arg)
{
	struct ring_member *me = arg;
	struct ring *r = me->ring;

	for (int round = 0;; round++) {
		if (r->n < RING_SIZE * RING_ROUNDS)
			r->trace[r->n] = me->id * 1000 + round;
		r->n++;
		if (me->id == RING_SIZE - 1 && round >= RING_ROUNDS - 1)
			r->m->sw(&me->ctx, &r->main);
		else
			r->m->sw(&me->ctx, &r->member[(me->id + 1) % RING_SIZE].ctx);
	}
}

static void check_ring(const struct mech *m)
{
	struct ring r;
	void *stack[RING_SIZE];

	memset(&r, 0, sizeof(r));
	r.m = m;
	for (int i = 0; i < RING_SIZE; i++) {
		stack[i] = coro_stack_alloc(STACK_SIZE);
		cr_assert_not_null(stack[i]);
		r.member[i].ring = &r;
		r.member[i].id = i;
		cr_assert_eq(m->make(&r.member[i].ctx, stack[i], STACK_SIZE,
				     ring_fn, &r.member[i]), 0);
	}
	m->sw(&r.main, &r.member[0].ctx);
	cr_assert_eq(r.n, RING_SIZE * RING_ROUNDS);
	for (int i = 0; i < RING_SIZE * RING_ROUNDS; i++)
		cr_assert_eq(r.trace[i], (i % RING_SIZE) * 1000 + i / RING_SIZE,
			     "trace[%d] = %d", i, r.trace[i]);
	for (int i = 0; i < RING_SIZE; i++) {
		m->destroy(&r.member[i].ctx);
		cr_assert_eq(coro_stack_free(stack[i], STACK_SIZE), 0);
	}
}

Test(coro_asm, ring_of_three_order, .timeout = 30)
{
	check_ring(&mech_asm);
}

Test(coro_uc, ring_of_three_order, .timeout = 30)
{
	check_ring(&mech_uc);
}

/* ---- callee-saved registers and FP locals survive switches ---- */

#define REGS_STEPS 10000

/*
 * Two sides, main and a coroutine, each run regs_work with their own
 * seed and switch to the other after every step: more integer and
 * floating-point values stay live across each switch than there are
 * callee-saved registers, so the compiler keeps them in every one of
 * those registers and on the stack, and each side's values differ.  A
 * register the switch forgot would hand one side the other's value.
 * The reference is the same function with a switch that does nothing.
 */
struct regs_side {
	void (*sw)(union ctx *from, union ctx *to);
	union ctx *self, *other;
	uint64_t seed;
	uint64_t out[8];
	double fout[8];
};

__attribute__((noinline))
static void regs_work(struct regs_side *s)
{
	uint64_t a = s->seed, b = s->seed ^ 0x9e3779b97f4a7c15u;
	uint64_t c = s->seed * 3 + 1, d = ~s->seed, e = s->seed << 7 | 1;
	uint64_t f = s->seed * 0x2545f4914f6cdd1du, g = s->seed + 12345;
	uint64_t h = s->seed ^ 0xdeadbeefu;
	double x = (double)(s->seed & 0xffff) + 0.5, y = 1.25, z = -3.5;
	double w = 0.125 * (double)(s->seed & 0xff), u = 2.0, v = 0.75;
	double p = (double)(s->seed % 97), q = -1.0;

	for (uint64_t i = 0; i < REGS_STEPS; i++) {
		/* Knuth's MMIX LCG constants: any mixing would do. */
		a = a * 6364136223846793005u + 1442695040888963407u;
		b ^= a >> 17;
		c += b * 31;
		d = (d << 13 | d >> 51) ^ c;
		e += d ^ a;
		f ^= e + i;
		g = g * 5 + f;
		h += g >> 3;
		x = x * 0.999 + 1.0;
		y = y * 0.5 + x;
		z = z + y * 0.001;
		w = w * 0.25 + z;
		u = u * 0.75 + w * 0.01;
		v = v * 0.5 - u;
		p = p * 0.125 + v;
		q = q * 0.5 + p * 0.5;
		s->sw(s->self, s->other);
	}
	s->out[0] = a; s->out[1] = b; s->out[2] = c; s->out[3] = d;
	s->out[4] = e; s->out[5] = f; s->out[6] = g; s->out[7] = h;
	s->fout[0] = x; s->fout[1] = y; s->fout[2] = z; s->fout[3] = w;
	s->fout[4] = u; s->fout[5] = v; s->fout[6] = p; s->fout[7] = q;
}

static void regs_sw_none(union ctx *from, union ctx *to)
{
	(void)from;
	(void)to;
}

struct regs_pair {
	struct regs_side main_side, co_side;
	union ctx main, co;
	int done;
};

static void regs_fn(void *arg)
{
	struct regs_pair *rp = arg;

	regs_work(&rp->co_side);
	rp->done = 1;
	for (;;)
		rp->co_side.sw(&rp->co, &rp->main);
}

static void check_regs(const struct mech *m)
{
	struct regs_side ref_main = { .sw = regs_sw_none, .seed = 0x1234567887654321u };
	struct regs_side ref_co = { .sw = regs_sw_none, .seed = 0xfedcba9801234567u };
	struct regs_pair rp;
	void *stack = coro_stack_alloc(STACK_SIZE);

	cr_assert_not_null(stack);
	regs_work(&ref_main);
	regs_work(&ref_co);

	memset(&rp, 0, sizeof(rp));
	rp.main_side = (struct regs_side){ .sw = m->sw, .self = &rp.main,
		.other = &rp.co, .seed = ref_main.seed };
	rp.co_side = (struct regs_side){ .sw = m->sw, .self = &rp.co,
		.other = &rp.main, .seed = ref_co.seed };
	cr_assert_eq(m->make(&rp.co, stack, STACK_SIZE, regs_fn, &rp), 0);
	regs_work(&rp.main_side);
	/* The coroutine is one step behind: let it finish its loop. */
	cr_assert_not(rp.done);
	m->sw(&rp.main, &rp.co);
	cr_assert(rp.done);

	for (int i = 0; i < 8; i++) {
		cr_assert_eq(rp.main_side.out[i], ref_main.out[i], "main int %d", i);
		cr_assert_eq(rp.co_side.out[i], ref_co.out[i], "coroutine int %d", i);
		/* Same operations on the same inputs: bit-for-bit equal. */
		cr_assert(memcmp(&rp.main_side.fout[i], &ref_main.fout[i],
				 sizeof(double)) == 0, "main double %d", i);
		cr_assert(memcmp(&rp.co_side.fout[i], &ref_co.fout[i],
				 sizeof(double)) == 0, "coroutine double %d", i);
	}
	/* The two seeds really give different values on each side. */
	cr_assert_neq(ref_main.out[0], ref_co.out[0]);
	m->destroy(&rp.co);
	cr_assert_eq(coro_stack_free(stack, STACK_SIZE), 0);
}

Test(coro_asm, registers_survive_switches, .timeout = 30)
{
	check_regs(&mech_asm);
}

Test(coro_uc, registers_survive_switches, .timeout = 30)
{
	check_regs(&mech_uc);
}

/* ---- the stack is 16-byte aligned at the entry, whatever the top ---- */

struct align_probe {
	const struct mech *m;
	union ctx main, co;
	uintptr_t frame, local;
	int ran;
};

static void align_fn(void *arg)
{
	struct align_probe *ap = arg;
	_Alignas(16) char buf[16];
	char *p = buf;

	/* Hide p's provenance, or the compiler folds the check to "aligned". */
	__asm__("" : "+r"(p));
	buf[0] = 1;
	ap->local = (uintptr_t)p;
	ap->frame = (uintptr_t)__builtin_frame_address(0);
	ap->ran = 1;
	for (;;)
		ap->m->sw(&ap->co, &ap->main);
}

static void check_align(const struct mech *m)
{
	/* Stack start and end moved off alignment by these many bytes. */
	static const size_t lo_skew[] = { 0, 1, 3, 8, 13 };
	static const size_t hi_skew[] = { 0, 5, 8, 15 };
	char *stack = coro_stack_alloc(STACK_SIZE);

	cr_assert_not_null(stack);
	for (size_t i = 0; i < sizeof(lo_skew) / sizeof(lo_skew[0]); i++) {
		for (size_t j = 0; j < sizeof(hi_skew) / sizeof(hi_skew[0]); j++) {
			struct align_probe ap;
			size_t size = STACK_SIZE - lo_skew[i] - hi_skew[j];

			memset(&ap, 0, sizeof(ap));
			ap.m = m;
			cr_assert_eq(m->make(&ap.co, stack + lo_skew[i], size,
					     align_fn, &ap), 0);
			m->sw(&ap.main, &ap.co);
			cr_assert(ap.ran);
			cr_assert_eq(ap.local % 16, 0, "skew %zu/%zu: local at %#lx",
				     lo_skew[i], hi_skew[j], (unsigned long)ap.local);
			cr_assert_eq(ap.frame % 16, 0, "skew %zu/%zu: frame at %#lx",
				     lo_skew[i], hi_skew[j], (unsigned long)ap.frame);
			/* And it really ran on the stack it was given. */
			cr_assert_gt(ap.frame, (uintptr_t)stack + lo_skew[i]);
			cr_assert_lt(ap.frame, (uintptr_t)stack + lo_skew[i] + size);
			m->destroy(&ap.co);
		}
	}
	cr_assert_eq(coro_stack_free(stack, STACK_SIZE), 0);
}

Test(coro_asm, stack_aligned_at_entry, .timeout = 30)
{
	check_align(&mech_asm);
}

Test(coro_uc, stack_aligned_at_entry, .timeout = 30)
{
	check_align(&mech_uc);
}

/* ---- two threads, each with its own pair, at the same time ---- */

#define THREAD_ROUNDS 50000

struct thread_job {
	const struct mech *m;
	pthread_barrier_t *start;
	struct pingpong pp;
	int err;
};

static void *thread_fn(void *arg)
{
	struct thread_job *job = arg;

	/* Start together so that the two pairs really switch at once. */
	pthread_barrier_wait(job->start);
	job->err = pingpong_run(&job->pp, job->m, THREAD_ROUNDS);
	return NULL;
}

static void check_threads(const struct mech *m)
{
	struct thread_job job[2];
	pthread_t tid[2];
	pthread_barrier_t start;

	cr_assert_eq(pthread_barrier_init(&start, NULL, 2), 0);
	for (int i = 0; i < 2; i++) {
		memset(&job[i], 0, sizeof(job[i]));
		job[i].m = m;
		job[i].start = &start;
		cr_assert_eq(pthread_create(&tid[i], NULL, thread_fn, &job[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(pthread_join(tid[i], NULL), 0);
		cr_assert_eq(job[i].err, 0);
		cr_assert_eq(job[i].pp.count, THREAD_ROUNDS);
		cr_assert_eq(job[i].pp.mismatches, 0);
	}
	pthread_barrier_destroy(&start);
}

Test(coro_asm, two_threads_at_once, .timeout = 30)
{
	check_threads(&mech_asm);
}

Test(coro_uc, two_threads_at_once, .timeout = 30)
{
	check_threads(&mech_uc);
}

/* ---- a coroutine function that returns aborts the process ---- */

static void returning_fn(void *arg)
{
	(void)arg;
}

static void check_return_aborts(const struct mech *m)
{
	pid_t pid, parent = getpid();
	int status;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		union ctx main, co;
		void *stack;

		/* A failed or timed-out test takes us along. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(5);
		stack = coro_stack_alloc(STACK_SIZE);
		setrlimit(RLIMIT_CORE, &no_core);	/* an expected abort: no core file */
		memset(&main, 0, sizeof(main));
		if (!stack || m->make(&co, stack, STACK_SIZE, returning_fn, NULL))
			_exit(3);
		m->sw(&main, &co);
		_exit(4);	/* back in main: the return was not caught */
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	cr_assert(WIFSIGNALED(status), "child status %#x", status);
	cr_assert_eq(WTERMSIG(status), SIGABRT);
}

Test(coro_asm, returning_function_aborts, .timeout = 30)
{
	check_return_aborts(&mech_asm);
}

Test(coro_uc, returning_function_aborts, .timeout = 30)
{
	check_return_aborts(&mech_uc);
}

/* ---- stacks and bad arguments ---- */

/* Is [lo, hi) one mapping with permissions `perms` in /proc/self/maps? */
static int maps_has(uintptr_t lo, uintptr_t hi, const char *perms)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &a, &b, p) == 3 &&
		    a <= lo && hi <= b && strcmp(p, perms) == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

Test(coro_stack, guard_page_below, .timeout = 30)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = 3 * page + 100;	/* not a page multiple: rounded up */
	char *stack = coro_stack_alloc(size);

	cr_assert_not_null(stack);
	cr_assert_eq((uintptr_t)stack % page, 0);
	memset(stack, 0xa5, 4 * page);	/* all of the rounded-up size is usable */
	cr_assert_eq(maps_has((uintptr_t)stack - page, (uintptr_t)stack, "---p"), 1);
	cr_assert_eq(maps_has((uintptr_t)stack, (uintptr_t)stack + 4 * page, "rw-p"), 1);
	cr_assert_eq(coro_stack_free(stack, size), 0);
	/* and freed, the guard page goes with the stack: nothing is left
	 * mapped of either */
	cr_assert_eq(leak_maps_overlap((uintptr_t)stack - page, (uintptr_t)stack + 4 * page), 0,
		     "a freed stack left a mapping behind (its guard page?)");
}

Test(coro_stack, bad_sizes, .timeout = 30)
{
	errno = 0;
	cr_assert_null(coro_stack_alloc(0));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(coro_stack_alloc(SIZE_MAX));
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(coro_stack_free(NULL, 4096), -EINVAL);
}

Test(coro_stack, make_rejects_bad_arguments, .timeout = 30)
{
	struct coro_asm a;
	struct coro_uc u;
	char *stack = coro_stack_alloc(STACK_SIZE);

	cr_assert_not_null(stack);
	cr_assert_eq(coro_asm_make(&a, NULL, STACK_SIZE, returning_fn, NULL), -EINVAL);
	cr_assert_eq(coro_asm_make(&a, stack, 64, returning_fn, NULL), -EINVAL);
	cr_assert_eq(coro_asm_make(&a, stack, STACK_SIZE, NULL, NULL), -EINVAL);
	cr_assert_eq(coro_uc_make(&u, NULL, STACK_SIZE, returning_fn, NULL), -EINVAL);
	cr_assert_eq(coro_uc_make(&u, stack, 64, returning_fn, NULL), -EINVAL);
	cr_assert_eq(coro_uc_make(&u, stack, STACK_SIZE, NULL, NULL), -EINVAL);
	cr_assert_eq(coro_stack_free(stack, STACK_SIZE), 0);
}
