/*
 * primitives/greenlet.c - greenlets over coro_asm_switch, with stacks of
 * their own or a shared stack whose occupant's frames move to the heap.
 *
 * How a shared stack changes hands.  The stack holds one greenlet's
 * frames at a time, its owner's.  To run another greenlet g of the same
 * stack, the owner's frames (saved stack pointer up to the top) are
 * copied out to its heap buffer (evict) and g's copied back in at the
 * addresses they came from (install).  Where the switch starts matters:
 *   - from a greenlet that is not on that stack (the hub, a root, a
 *     greenlet of another stack), the copies run right there, on the
 *     switching greenlet's own stack, and then the switch is a direct one;
 *   - from the owner itself, the copies would overwrite the frames doing
 *     them, so the owner switches to a small copier context of the shared
 *     stack (on a stack of its own), which copies and then switches to g.
 * A greenlet that is new has no frames yet: installing it makes its
 * context at the top of the shared stack.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primitives/greenlet.h"

/* Smallest stack accepted: one page, room for a few frames. */
#define GREENLET_STACK_MIN 4096

/*
 * The copier's stack: its loop and memcpy need a few hundred bytes; a
 * page or four leaves room for the dynamic linker on a first memcpy.
 */
#define GREENLET_COPIER_STACK (16 * 1024)

struct greenlet_shstack {
	char *base;			/* lowest usable byte */
	size_t size;			/* usable bytes */
	struct greenlet *owner;		/* whose frames are on it; NULL: nobody's */
	struct coro_asm copier;		/* switches between two of its greenlets */
	void *copier_stack;
	struct greenlet *copier_to;	/* whom the copier installs and resumes */
	size_t users;			/* greenlets created on it, not destroyed */
	void *thread;
};

/* A thread's greenlets: its root, who runs, and the value in transit. */
struct greenlet_thread {
	struct greenlet root;
	struct greenlet *current;
	void *transfer;
};

static __thread struct greenlet_thread greenlet_tls;

static void greenlet_thread_init(struct greenlet_thread *t)
{
	memset(&t->root, 0, sizeof(t->root));
	t->root.state = GREENLET_LIVE;
	t->root.mode = GREENLET_STACK_MMAP;
	t->root.thread = t;
	t->current = &t->root;
}

static inline struct greenlet_thread *greenlet_thread(void)
{
	struct greenlet_thread *t = &greenlet_tls;

	if (__builtin_expect(!t->current, 0))
		greenlet_thread_init(t);
	return t;
}

struct greenlet *greenlet_current(void)
{
	return greenlet_thread()->current;
}

struct greenlet *greenlet_root(void)
{
	return &greenlet_thread()->root;
}

/* ---- shared stacks ---- */

/* Copy the owner's frames (if it has live ones) out of sh. */
static void greenlet_evict(struct greenlet_shstack *sh)
{
	struct greenlet *o = sh->owner;
	char *sp;
	size_t len;

	sh->owner = NULL;
	if (!o || o->state == GREENLET_DEAD)
		return;		/* a dead greenlet's frames are never needed */
	sp = o->ctx.sp;
	len = (size_t)(sh->base + sh->size - sp);
	if (len > o->saved_cap) {
		char *p = realloc(o->saved, len);

		if (!p) {
			/* No way to report it from inside a switch, and the
			 * frames cannot stay: the stack is needed. */
			fprintf(stderr, "greenlet: no memory for %zu bytes of "
				"evicted frames\n", len);
			abort();
		}
		o->saved = p;
		o->saved_cap = len;
	}
	memcpy(o->saved, sp, len);
	o->saved_len = len;
}

static void greenlet_entry(void *p);

/* Put g's frames (or, new, its first frame) on sh, which nobody owns. */
static void greenlet_install(struct greenlet_shstack *sh, struct greenlet *g)
{
	if (g->state == GREENLET_NEW) {
		/* Cannot fail: base and size were checked at shstack_new. */
		if (coro_asm_make(&g->ctx, sh->base, sh->size, greenlet_entry, g) < 0)
			abort();
		g->state = GREENLET_LIVE;
	} else {
		memcpy(g->ctx.sp, g->saved, g->saved_len);
	}
	sh->owner = g;
}

#if GREENLET_SHARED_OK
/* The copier: one turn per switch between two greenlets of its stack. */
__attribute__((noreturn))
static void greenlet_copier(void *p)
{
	struct greenlet_shstack *sh = p;

	for (;;) {
		struct greenlet *g = sh->copier_to;

		greenlet_evict(sh);
		greenlet_install(sh, g);
		coro_asm_switch(&sh->copier, &g->ctx);
	}
}
#endif

struct greenlet_shstack *greenlet_shstack_new(size_t size)
{
	struct greenlet_shstack *sh;
	int err;

	if (size < GREENLET_STACK_MIN) {
		errno = EINVAL;
		return NULL;
	}
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->size = size;
	sh->thread = greenlet_thread();
	sh->base = coro_stack_alloc(size);
	if (!sh->base)
		goto fail;
#if GREENLET_SHARED_OK
	sh->copier_stack = coro_stack_alloc(GREENLET_COPIER_STACK);
	if (!sh->copier_stack)
		goto fail;
	err = coro_asm_make(&sh->copier, sh->copier_stack,
			    GREENLET_COPIER_STACK, greenlet_copier, sh);
	if (err < 0) {
		errno = -err;
		goto fail;
	}
#endif
	return sh;
fail:
	err = errno;
	if (sh->copier_stack)
		coro_stack_free(sh->copier_stack, GREENLET_COPIER_STACK);
	if (sh->base)
		coro_stack_free(sh->base, size);
	free(sh);
	errno = err;
	return NULL;
}

int greenlet_shstack_free(struct greenlet_shstack *sh)
{
	if (!sh)
		return 0;
	if (sh->users)
		return -EBUSY;
#if GREENLET_SHARED_OK
	coro_asm_destroy(&sh->copier);
	coro_stack_free(sh->copier_stack, GREENLET_COPIER_STACK);
#endif
	coro_stack_free(sh->base, sh->size);
	free(sh);
	return 0;
}

/* ---- create, destroy ---- */

int greenlet_init(struct greenlet *g, greenlet_fn fn, struct greenlet *parent,
		  enum greenlet_stack mode, size_t stack_size,
		  struct greenlet_shstack *sh)
{
	struct greenlet_thread *t = greenlet_thread();
	int err;

	if (!parent)
		parent = t->current;
	if (!fn || parent->thread != t)
		return -EINVAL;
	if (mode == GREENLET_STACK_SHARED) {
		if (!sh || sh->thread != t)
			return -EINVAL;
		if (!GREENLET_SHARED_OK) {
			mode = GREENLET_STACK_MMAP;
			stack_size = sh->size;
		}
	} else if (mode != GREENLET_STACK_MMAP || stack_size < GREENLET_STACK_MIN) {
		return -EINVAL;
	} else {
		sh = NULL;	/* unused in this mode */
	}
	memset(g, 0, sizeof(*g));
	g->parent = parent;
	g->fn = fn;
	g->thread = t;
	g->state = GREENLET_NEW;
	g->mode = mode;
	if (mode == GREENLET_STACK_SHARED) {
		/* Its context is made when it is first installed. */
		g->stack = sh->base;
		g->stack_size = sh->size;
	} else {
		g->stack = coro_stack_alloc(stack_size);
		if (!g->stack)
			return -errno;
		g->stack_size = stack_size;
		err = coro_asm_make(&g->ctx, g->stack, stack_size, greenlet_entry, g);
		if (err < 0) {
			coro_stack_free(g->stack, stack_size);
			return err;
		}
	}
	/* Counted also where a sanitizer build gave it a stack of its own,
	 * so that shstack_free behaves the same in every build. */
	g->sh = sh;
	if (sh)
		sh->users++;
	return 0;
}

struct greenlet *greenlet_create(greenlet_fn fn, struct greenlet *parent,
				 enum greenlet_stack mode, size_t stack_size,
				 struct greenlet_shstack *sh)
{
	struct greenlet *g = malloc(sizeof(*g));
	int err;

	if (!g)
		return NULL;
	err = greenlet_init(g, fn, parent, mode, stack_size, sh);
	if (err < 0) {
		free(g);
		errno = -err;
		return NULL;
	}
	g->allocated = true;
	return g;
}

void greenlet_destroy(struct greenlet *g)
{
	struct greenlet_thread *t = greenlet_thread();

	if (!g)
		return;
	if (g == t->current || !g->fn) {
		fprintf(stderr, "greenlet: destroying the running or a root greenlet\n");
		abort();
	}
	if (g->sh)
		g->sh->users--;
	if (g->mode == GREENLET_STACK_SHARED) {
		if (g->sh->owner == g)
			g->sh->owner = NULL;
		free(g->saved);
		if (g->state != GREENLET_NEW)
			coro_asm_destroy(&g->ctx);
	} else {
		coro_asm_destroy(&g->ctx);
		coro_stack_free(g->stack, g->stack_size);
	}
	if (g->allocated)
		free(g);
}

/* ---- switching ---- */

/*
 * Leave cur (the running greenlet) for g (live or new, not dead, not
 * cur); returns when something switches back to cur.  Inlined so that
 * coro_asm_switch's sanitizer notes sit in the frame that switches.
 */
static inline __attribute__((always_inline))
void greenlet_go(struct greenlet_thread *t, struct greenlet *cur,
		 struct greenlet *g)
{
	if (g->mode == GREENLET_STACK_SHARED && g->sh->owner != g) {
		struct greenlet_shstack *sh = g->sh;

		if (cur->mode == GREENLET_STACK_SHARED && cur->sh == sh) {
			/* We stand on the frames that must move: copy from
			 * the copier's stack. */
			sh->copier_to = g;
			t->current = g;
			coro_asm_switch(&cur->ctx, &sh->copier);
			return;
		}
		greenlet_evict(sh);
		greenlet_install(sh, g);
	}
	g->state = GREENLET_LIVE;
	t->current = g;
	coro_asm_switch(&cur->ctx, &g->ctx);
}

static struct greenlet *greenlet_live(struct greenlet *g)
{
	/* The root never dies, so every chain ends. */
	while (g->state == GREENLET_DEAD)
		g = g->parent;
	return g;
}

void *greenlet_switch(struct greenlet *g, void *value)
{
	struct greenlet_thread *t = greenlet_thread();
	struct greenlet *cur = t->current;

	if (__builtin_expect(g->thread != t, 0)) {
		fprintf(stderr, "greenlet: switch to another thread's greenlet\n");
		abort();
	}
	g = greenlet_live(g);
	if (g == cur)
		return value;
	t->transfer = value;
	greenlet_go(t, cur, g);
	return t->transfer;
}

/* Every greenlet starts here (coro_asm's entry, which must not return). */
static void greenlet_entry(void *p)
{
	struct greenlet *g = p;
	struct greenlet_thread *t = g->thread;
	void *ret = g->fn(t->transfer);

	g->state = GREENLET_DEAD;
	t->transfer = ret;
	greenlet_go(t, g, greenlet_live(g->parent));
	abort();	/* nothing ever switches to a dead greenlet */
}
