/*
 * tests/test_prim_greenlet.c - primitives/greenlet.h: the lesson's switch
 * order, values in both directions, a finished greenlet's value going to
 * its (nearest live) parent, dead and current, frames that survive being
 * moved off and back onto a shared stack, the guard page (in a child), and
 * greenlets in two threads at once.
 *
 * Every semantic scenario runs once per stack mode (own mmap'd stack, and
 * one shared stack); under a sanitizer the shared mode is the mmap one
 * (greenlet.h says why), so those legs run it twice.
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
#include "primitives/greenlet.h"

/* Plenty for these small functions, also with sanitizer redzones. */
#define STACK_SIZE (64 * 1024)

/* One stack mode under test: how its greenlets are made. */
struct gmode {
	enum greenlet_stack mode;
	struct greenlet_shstack *sh;
};

static void gmode_open(struct gmode *m, enum greenlet_stack mode)
{
	m->mode = mode;
	m->sh = NULL;
	if (mode == GREENLET_STACK_SHARED) {
		m->sh = greenlet_shstack_new(STACK_SIZE);
		cr_assert_not_null(m->sh);
	}
}

static void gmode_close(struct gmode *m)
{
	cr_assert_eq(greenlet_shstack_free(m->sh), 0, "a greenlet still uses the stack");
}

static struct greenlet *gmode_new(struct gmode *m, greenlet_fn fn,
				  struct greenlet *parent)
{
	struct greenlet *g = greenlet_create(fn, parent, m->mode, STACK_SIZE, m->sh);

	cr_assert_not_null(g, "greenlet_create: %s", strerror(errno));
	if (m->mode == GREENLET_STACK_SHARED && GREENLET_SHARED_OK)
		cr_assert_eq(greenlet_stack_mode(g), GREENLET_STACK_SHARED);
	else
		cr_assert_eq(greenlet_stack_mode(g), GREENLET_STACK_MMAP);
	return g;
}

/* A test per mode from one scenario function. */
#define BOTH_MODES(name, timeout_s)					\
	static void name(enum greenlet_stack mode);			\
	Test(prim_greenlet, name##_mmap, .timeout = timeout_s)		\
	{								\
		name(GREENLET_STACK_MMAP);				\
	}								\
	Test(prim_greenlet, name##_shared, .timeout = timeout_s)	\
	{								\
		name(GREENLET_STACK_SHARED);				\
	}

/* ---- the lesson: 12 56 34 78 ---- */

/* Per thread, so that two threads can play the scene at once. */
static __thread struct greenlet *scene_gr1, *scene_gr2;
static __thread char scene_out[64];

static void scene_say(const char *s)
{
	size_t n = strlen(scene_out);

	snprintf(scene_out + n, sizeof(scene_out) - n, "%s%s", n ? " " : "", s);
}

static void *scene_test1(void *v)
{
	(void)v;
	scene_say("12");
	greenlet_switch(scene_gr2, NULL);
	scene_say("34");
	greenlet_switch(scene_gr2, NULL);
	return (void *)1;	/* not reached: gr2 finishes and goes to main */
}

static void *scene_test2(void *v)
{
	(void)v;
	scene_say("56");
	greenlet_switch(scene_gr1, NULL);
	scene_say("78");
	return (void *)2;
}

/* Plays the scene; 0 when everything came out as the lesson says. */
static int scene_play(struct gmode *m)
{
	void *ret;
	int bad = 0;

	scene_out[0] = '\0';
	scene_gr1 = gmode_new(m, scene_test1, NULL);
	scene_gr2 = gmode_new(m, scene_test2, NULL);
	ret = greenlet_switch(scene_gr1, NULL);
	bad |= strcmp(scene_out, "12 56 34 78") != 0;
	bad |= (ret != (void *)2) << 1;		/* test2's return, via its parent */
	bad |= (!greenlet_dead(scene_gr2)) << 2;
	bad |= greenlet_dead(scene_gr1) << 3;	/* still inside its last switch */
	bad |= (greenlet_current() != greenlet_root()) << 4;
	greenlet_destroy(scene_gr1);		/* dropped while suspended */
	greenlet_destroy(scene_gr2);
	return bad;
}

BOTH_MODES(lesson_switch_order, 10)
static void lesson_switch_order(enum greenlet_stack mode)
{
	struct gmode m;
	int bad;

	gmode_open(&m, mode);
	bad = scene_play(&m);
	cr_assert_eq(bad, 0, "output \"%s\", flags %#x", scene_out, bad);
	gmode_close(&m);
}

/* ---- values both ways, dead, current ---- */

static struct greenlet *values_g;
static void *values_seen[3];
static struct greenlet *values_current;

static void *values_fn(void *v)
{
	values_seen[0] = v;
	values_current = greenlet_current();
	values_seen[1] = greenlet_switch(greenlet_parent(values_g), "b");
	values_seen[2] = greenlet_switch(greenlet_parent(values_g), "d");
	return "f";
}

BOTH_MODES(values_both_ways, 10)
static void values_both_ways(enum greenlet_stack mode)
{
	struct gmode m;

	gmode_open(&m, mode);
	values_g = gmode_new(&m, values_fn, NULL);
	cr_assert_eq(greenlet_parent(values_g), greenlet_root());
	cr_assert_not(greenlet_dead(values_g));
	cr_assert_str_eq(greenlet_switch(values_g, "a"), "b");
	cr_assert_str_eq(values_seen[0], "a");
	cr_assert_eq(values_current, values_g);
	cr_assert_eq(greenlet_current(), greenlet_root());
	cr_assert_str_eq(greenlet_switch(values_g, "c"), "d");
	cr_assert_str_eq(values_seen[1], "c");
	cr_assert_not(greenlet_dead(values_g));
	cr_assert_str_eq(greenlet_switch(values_g, "e"), "f");
	cr_assert_str_eq(values_seen[2], "e");
	cr_assert(greenlet_dead(values_g));
	/* A switch to a dead greenlet goes to its parent: here, ourselves. */
	cr_assert_str_eq(greenlet_switch(values_g, "g"), "g");
	greenlet_destroy(values_g);
	gmode_close(&m);
}

/* ---- a finished greenlet's value goes to its nearest live parent ---- */

static void *parent_seen_by_a;

static void *parent_a(void *v)
{
	parent_seen_by_a = v;		/* a new parent starts with the value */
	return (void *)((intptr_t)v + 1);
}

static void *parent_b(void *v)
{
	return (void *)((intptr_t)v * 2);
}

BOTH_MODES(value_goes_to_parent, 10)
static void value_goes_to_parent(enum greenlet_stack mode)
{
	struct greenlet *a, *b, *c, *d;
	struct gmode m;

	gmode_open(&m, mode);
	a = gmode_new(&m, parent_a, NULL);
	b = gmode_new(&m, parent_b, a);
	cr_assert_eq(greenlet_parent(b), a);
	/* b returns 42 to a, which starts with it and returns 43 to us. */
	cr_assert_eq((intptr_t)greenlet_switch(b, (void *)21), 43);
	cr_assert_eq((intptr_t)parent_seen_by_a, 42);
	cr_assert(greenlet_dead(a));
	cr_assert(greenlet_dead(b));
	/* c's parent a is dead: c's value skips it and comes to us. */
	c = gmode_new(&m, parent_b, a);
	cr_assert_eq((intptr_t)greenlet_switch(c, (void *)5), 10);
	cr_assert(greenlet_dead(c));
	/* d's parent c and grandparent a are dead: up two steps, to us. */
	d = gmode_new(&m, parent_b, c);
	cr_assert_eq((intptr_t)greenlet_switch(d, (void *)6), 12);
	cr_assert(greenlet_dead(d));
	/* A switch to d goes to its nearest live ancestor, us, at once. */
	cr_assert_eq((intptr_t)greenlet_switch(d, (void *)7), 7);
	greenlet_destroy(d);
	greenlet_destroy(c);
	greenlet_destroy(b);
	greenlet_destroy(a);
	gmode_close(&m);
}

/* ---- frames survive switching: a ring of greenlets switching directly ---- */

#define RING_N 6
#define RING_ROUNDS 200
#define RING_FRAME 200

struct ring {
	struct greenlet *g[RING_N];
	unsigned long hops;
};

static struct ring ring;

/*
 * Recurse depth frames, each with a buffer of its own pattern, switch to
 * the next greenlet at the bottom, and on the way back count the bytes
 * that changed meanwhile.  Depths vary, so a shared stack's saved copy
 * must grow and shrink with them.
 */
static unsigned long ring_hop(int id, int depth)
{
	volatile unsigned char buf[RING_FRAME];
	unsigned long bad = 0;

	for (int i = 0; i < RING_FRAME; i++)
		buf[i] = (unsigned char)(id * 31 + depth * 7 + i);
	if (depth > 1) {
		bad += ring_hop(id, depth - 1);
	} else {
		ring.hops++;
		greenlet_switch(ring.g[(id + 1) % RING_N], NULL);
	}
	for (int i = 0; i < RING_FRAME; i++)
		bad += buf[i] != (unsigned char)(id * 31 + depth * 7 + i);
	return bad;
}

static void *ring_fn(void *v)
{
	int id = (int)(intptr_t)v;
	unsigned long bad = 0;

	greenlet_switch(greenlet_root(), NULL);	/* started: back to main */
	for (int r = 0; r < RING_ROUNDS; r++)
		bad += ring_hop(id, 1 + (r * 7 + id) % 5);
	return (void *)(uintptr_t)bad;
}

BOTH_MODES(frames_survive_a_ring, 30)
static void frames_survive_a_ring(enum greenlet_stack mode)
{
	struct gmode m;
	long page = sysconf(_SC_PAGESIZE);

	gmode_open(&m, mode);
	memset(&ring, 0, sizeof(ring));
	for (int i = 0; i < RING_N; i++) {
		ring.g[i] = gmode_new(&m, ring_fn, NULL);
		cr_assert_null(greenlet_switch(ring.g[i], (void *)(intptr_t)i));
	}
	/*
	 * g0 runs its rounds around the ring and finishes first, back here;
	 * every other one then sits in its last hop: resume each to let it
	 * check its frames and finish.
	 */
	for (int i = 0; i < RING_N; i++) {
		void *bad = greenlet_switch(ring.g[i], NULL);

		cr_assert_null(bad, "greenlet %d: %lu bytes of its frames changed",
			       i, (unsigned long)(uintptr_t)bad);
		cr_assert(greenlet_dead(ring.g[i]), "greenlet %d", i);
	}
	cr_assert_eq(ring.hops, (unsigned long)RING_N * RING_ROUNDS);
	for (int i = 0; i < RING_N; i++) {
		/* A shared stack keeps only the used part, not the stack. */
		if (greenlet_stack_mode(ring.g[i]) == GREENLET_STACK_SHARED) {
			cr_assert_gt(greenlet_saved_bytes(ring.g[i]), 5 * RING_FRAME);
			cr_assert_lt(greenlet_saved_bytes(ring.g[i]), (size_t)page);
		}
		greenlet_destroy(ring.g[i]);
	}
	gmode_close(&m);
}

/* ---- the same, every hop through main (the copies run on main's stack) ---- */

static void *hub_like_fn(void *v)
{
	volatile unsigned char buf[300];
	uintptr_t id = (uintptr_t)v, bad = 0;

	for (int r = 0; r < 50; r++) {
		for (int i = 0; i < 300; i++)
			buf[i] = (unsigned char)(id + r + i);
		greenlet_switch(greenlet_root(), NULL);
		for (int i = 0; i < 300; i++)
			bad += buf[i] != (unsigned char)(id + r + i);
	}
	return (void *)bad;
}

BOTH_MODES(frames_survive_via_main, 30)
static void frames_survive_via_main(enum greenlet_stack mode)
{
	struct greenlet *g[4];
	struct gmode m;
	void *ret[4] = { 0 };

	gmode_open(&m, mode);
	for (int i = 0; i < 4; i++)
		g[i] = gmode_new(&m, hub_like_fn, NULL);
	for (int r = 0; r <= 50; r++)
		for (int i = 0; i < 4; i++)
			ret[i] = greenlet_switch(g[i], (void *)(uintptr_t)(i * 17));
	for (int i = 0; i < 4; i++) {
		cr_assert(greenlet_dead(g[i]));
		cr_assert_null(ret[i], "greenlet %d: %lu bytes changed", i,
			       (unsigned long)(uintptr_t)ret[i]);
		greenlet_destroy(g[i]);
	}
	gmode_close(&m);
}

/* ---- the guard page: an overflow dies there, in a child ---- */

static volatile int overflow_limit = 1 << 30;	/* never reached */
static char *guard_lo, *guard_hi;		/* the guard page */

static int overflow(int depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	frame[511] = (char)depth;
	if (depth >= overflow_limit)
		return frame[0];
	return overflow(depth + 1) + frame[511];	/* not a tail call */
}

static void *overflow_fn(void *v)
{
	(void)v;
	return (void *)(intptr_t)overflow(0);
}

/* A fault on the guard page dies of SIGSEGV as it would have; any other
 * fault is a different death, so the parent can tell them apart. */
static void guard_segv(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;

	(void)uc;
	if (a >= guard_lo && a < guard_hi) {
		signal(sig, SIG_DFL);
		return;		/* the access faults again, fatally */
	}
	_exit(7);
}

BOTH_MODES(overflow_dies_on_the_guard_page, 30)
static void overflow_dies_on_the_guard_page(enum greenlet_stack mode)
{
	pid_t pid, parent = getpid();
	int status;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		static char altstack[64 * 1024];
		struct rlimit no_core = { 0, 0 };
		stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
		struct sigaction sa;
		struct greenlet *neighbour, *g;
		struct gmode m;
		long page = sysconf(_SC_PAGESIZE);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(5);
		setrlimit(RLIMIT_CORE, &no_core);	/* an expected crash */
		gmode_open(&m, mode);
		g = gmode_new(&m, overflow_fn, NULL);
		/* Made after g, so mapped right below its guard page, where
		 * an overflow without a guard would land. */
		neighbour = greenlet_create(overflow_fn, NULL, GREENLET_STACK_MMAP,
					    STACK_SIZE, NULL);
		if (!neighbour)
			_exit(3);
		guard_hi = g->stack;
		guard_lo = guard_hi - page;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = guard_segv;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGSEGV, &sa, NULL) < 0)
			_exit(3);
		greenlet_switch(g, NULL);
		_exit(4);	/* it returned: no overflow at all? */
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	cr_assert(WIFSIGNALED(status), "child exited %d (7: a fault off the "
		  "guard page)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	cr_assert_eq(WTERMSIG(status), SIGSEGV);
}

/* ---- two threads, each with its own root and greenlets ---- */

struct thread_run {
	enum greenlet_stack mode;
	int bad;
};

static void *thread_scene(void *arg)
{
	struct thread_run *t = arg;
	struct gmode m = { t->mode, NULL };

	if (t->mode == GREENLET_STACK_SHARED)
		m.sh = greenlet_shstack_new(STACK_SIZE);
	for (int i = 0; i < 200 && !t->bad; i++)
		t->bad = scene_play(&m) | (greenlet_current() != greenlet_root()) << 5;
	if (greenlet_shstack_free(m.sh) < 0)
		t->bad |= 1 << 6;
	return NULL;
}

Test(prim_greenlet, two_threads_at_once, .timeout = 30)
{
	struct thread_run run[2] = { { GREENLET_STACK_MMAP, 0 },
				     { GREENLET_STACK_SHARED, 0 } };
	pthread_t th[2];

	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, thread_scene, &run[i]), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(pthread_join(th[i], NULL), 0);
		cr_assert_eq(run[i].bad, 0, "thread %d: flags %#x", i, run[i].bad);
	}
}

/* ---- a stack the caller owns stays the caller's ---- */

Test(prim_greenlet, init_on_a_given_stack, .timeout = 10)
{
	char *stack = coro_stack_alloc(STACK_SIZE);
	struct greenlet g;

	cr_assert_not_null(stack);
	for (int round = 0; round < 3; round++) {
		values_g = &g;
		cr_assert_eq(greenlet_init_on(&g, values_fn, NULL, stack, STACK_SIZE), 0);
		cr_assert_eq(g.stack, stack);
		cr_assert_str_eq(greenlet_switch(&g, "a"), "b");
		cr_assert_str_eq(greenlet_switch(&g, "c"), "d");
		cr_assert_str_eq(greenlet_switch(&g, "e"), "f");
		cr_assert(greenlet_dead(&g));
		greenlet_destroy(&g);
		memset(stack, 0x5a, STACK_SIZE);	/* still mapped, still ours */
	}
	cr_assert_eq(greenlet_init_on(&g, values_fn, NULL, NULL, STACK_SIZE), -EINVAL);
	cr_assert_eq(coro_stack_free(stack, STACK_SIZE), 0);
}

/* ---- bad arguments ---- */

Test(prim_greenlet, bad_arguments, .timeout = 10)
{
	struct greenlet_shstack *sh = greenlet_shstack_new(STACK_SIZE);
	struct greenlet *g;

	cr_assert_not_null(sh);
	errno = 0;
	cr_assert_null(greenlet_create(NULL, NULL, GREENLET_STACK_MMAP, STACK_SIZE, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(greenlet_create(values_fn, NULL, GREENLET_STACK_MMAP, 100, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(greenlet_create(values_fn, NULL, GREENLET_STACK_SHARED, 0, NULL));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(greenlet_shstack_new(100));
	cr_assert_eq(errno, EINVAL);
	g = greenlet_create(values_fn, NULL, GREENLET_STACK_SHARED, 0, sh);
	cr_assert_not_null(g);
	cr_assert_eq(greenlet_shstack_free(sh), -EBUSY);
	greenlet_destroy(g);
	cr_assert_eq(greenlet_shstack_free(sh), 0);
}

/* ---- what a destroyed greenlet or a freed shared stack gives back ---- */

/*
 * A greenlet_create'd stack of its own is the greenlet's to unmap, guard
 * page and all, whether it ran to the end or never started: a runtime
 * that makes a greenlet per request would otherwise lose a stack each.
 */
Test(prim_greenlet, destroy_unmaps_its_own_stack, .timeout = 10)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	for (int ran = 0; ran < 2; ran++) {
		struct greenlet *g = greenlet_create(values_fn, NULL, GREENLET_STACK_MMAP,
						     STACK_SIZE, NULL);
		uintptr_t lo, hi;

		cr_assert_not_null(g);
		lo = (uintptr_t)g->stack - page;
		hi = (uintptr_t)g->stack + g->stack_size;
		cr_assert_geq(leak_maps_overlap(lo, hi), 1);
		if (ran) {
			values_g = g;
			cr_assert_str_eq(greenlet_switch(g, "a"), "b");
			cr_assert_str_eq(greenlet_switch(g, "c"), "d");
			cr_assert_str_eq(greenlet_switch(g, "e"), "f");
			cr_assert(greenlet_dead(g));
		}
		greenlet_destroy(g);
		cr_assert_eq(leak_maps_overlap(lo, hi), 0,
			     "a destroyed greenlet (%s) left its stack mapped",
			     ran ? "dead" : "never started");
	}
}

#define SH_ROUND 64

/* Shared stacks made, used by a greenlet each, and freed. */
static void shstack_round(void *arg)
{
	(void)arg;
	for (int i = 0; i < SH_ROUND; i++) {
		struct greenlet_shstack *sh = greenlet_shstack_new(STACK_SIZE);
		struct greenlet *g;

		cr_assert_not_null(sh);
		g = greenlet_create(values_fn, NULL, GREENLET_STACK_SHARED, 0, sh);
		cr_assert_not_null(g);
		values_g = g;
		cr_assert_str_eq(greenlet_switch(g, "a"), "b");
		cr_assert_str_eq(greenlet_switch(g, "c"), "d");
		cr_assert_str_eq(greenlet_switch(g, "e"), "f");
		greenlet_destroy(g);
		cr_assert_eq(greenlet_shstack_free(sh), 0);
	}
}

/*
 * greenlet_shstack_free unmaps both of its stacks: the shared one and
 * the copier's small one (16 KiB and a guard page, the smaller leak, so
 * the bound is set by it: a round that kept either grows the address
 * space by at least SH_ROUND * 20 KiB).
 */
Test(prim_greenlet, shstack_free_unmaps_both_stacks, .timeout = 20)
{
	cr_assert(leak_vm_steady(shstack_round, NULL, SH_ROUND * 16),
		  "greenlet_shstack_free left a stack mapped (address space grows every round)");
}

/* ---- the little accessors of greenlet.h ---- */

static void *data_fn(void *v)
{
	struct greenlet *me = greenlet_current();

	/* What was set before the first switch is there on the greenlet. */
	cr_assert_eq(greenlet_data(me), v);
	greenlet_set_data(me, "mine");
	return greenlet_data(me);
}

BOTH_MODES(data_and_parent_are_the_ones_given, 10)
static void data_and_parent_are_the_ones_given(enum greenlet_stack mode)
{
	struct gmode m;
	struct greenlet *a, *b;
	static int token;

	gmode_open(&m, mode);
	a = gmode_new(&m, data_fn, NULL);
	b = gmode_new(&m, data_fn, a);
	cr_assert_null(greenlet_data(a), "data is NULL at creation");
	cr_assert_null(greenlet_data(b));
	cr_assert_eq(greenlet_parent(a), greenlet_root(), "NULL parent: the current one");
	cr_assert_eq(greenlet_parent(b), a);
	greenlet_set_data(a, &token);
	greenlet_set_data(b, "b's");
	cr_assert_eq(greenlet_data(a), &token);
	cr_assert_str_eq(greenlet_data(b), "b's", "each greenlet keeps its own");
	cr_assert_eq(greenlet_saved_bytes(a), 0, "nothing saved before it ran");
	/* fn's value goes to the root, a's parent; a's data is its own. */
	cr_assert_str_eq(greenlet_switch(a, &token), "mine");
	cr_assert(greenlet_dead(a));
	cr_assert_str_eq(greenlet_data(a), "mine");
	cr_assert_str_eq(greenlet_data(b), "b's");
	greenlet_destroy(a);
	greenlet_destroy(b);
	gmode_close(&m);
}
