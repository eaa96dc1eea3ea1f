/*
 * primitives/greenlet.h - greenlets: coroutines with a parent, switched
 * explicitly, passing one value each way (Python's greenlet, in C).
 *
 * Every thread has a root greenlet (its own stack), made on first use.
 * greenlet_create() makes one that runs fn(value) on the first switch to
 * it, where value is what that switch passed.  greenlet_switch(g, v)
 * suspends the current greenlet, resumes g, and makes the switch that
 * suspended g (or fn's argument, on g's first run) return v; it returns
 * whatever a later switch back to the caller passes.  When fn returns,
 * its greenlet is dead and its return value goes to its parent (or, if
 * the parent is dead too, to the nearest live ancestor), as if fn's
 * last act were greenlet_switch(parent, ret).  A switch to a dead
 * greenlet goes to that same live ancestor.  Greenlets are per thread:
 * a greenlet only ever runs in, and is switched to from, the thread that
 * created it.  The switch itself is coro_asm_switch (primitives/coro.h).
 *
 * Two ways to hold a stack, chosen per greenlet at creation:
 *
 *   GREENLET_STACK_MMAP    a stack of its own: mmap'd, stack_size bytes
 *                          rounded up to pages, an inaccessible guard
 *                          page below (an overflow dies of SIGSEGV, it
 *                          never writes into a neighbour).  Costs at
 *                          least one touched page (4 KiB) per greenlet.
 *   GREENLET_STACK_SHARED  the greenlets of one greenlet_shstack take
 *                          turns on a single mmap'd stack (also guarded),
 *                          as libaco and CPython's greenlet do.  When one
 *                          greenlet's stack must make room for another's,
 *                          the part it uses (from its saved stack pointer
 *                          to the top) is copied to a heap buffer sized
 *                          to fit, and copied back before it runs again;
 *                          a parked greenlet then costs its few hundred
 *                          bytes of frames, not a page.
 *
 * The shared mode's restriction: while a greenlet is not running, its
 * stack may not be where it was.  Never keep a pointer into one
 * greenlet's stack (a local variable, a buffer on it) for use by another
 * greenlet or by anything that runs while it is suspended: put such
 * objects on the heap.  Its own pointers to its own locals are fine: the
 * stack comes back at the same addresses.
 *
 * Sanitizers: built with AddressSanitizer or ThreadSanitizer
 * (CORO_ASAN/CORO_TSAN), a shared-mode greenlet silently gets a stack of
 * its own instead (GREENLET_STACK_MMAP, the shared stack's size):
 * copying a stack that holds ASan's poisoned redzones, or moving frames
 * TSan tracks per fiber, would trip them.  greenlet_stack_mode() says
 * which mode a greenlet really has.
 */
#ifndef CONTEND_GREENLET_H
#define CONTEND_GREENLET_H

#include <stdbool.h>
#include <stddef.h>

#include "primitives/coro.h"

enum greenlet_stack {
	GREENLET_STACK_MMAP,
	GREENLET_STACK_SHARED,
};

/* Shared mode is compiled out of the sanitizer builds (see above). */
#define GREENLET_SHARED_OK (!CORO_ASAN && !CORO_TSAN)

/* What a greenlet runs: its first switch's value in, its result out. */
typedef void *(*greenlet_fn)(void *value);

enum greenlet_state {
	GREENLET_NEW,		/* created, never switched to */
	GREENLET_LIVE,		/* running or suspended in a switch */
	GREENLET_DEAD,		/* its fn returned */
};

struct greenlet_shstack;

/*
 * A greenlet.  Public so that a runtime can embed one (greenlet_init);
 * read it only through the functions below.
 */
struct greenlet {
	struct coro_asm ctx;
	struct greenlet *parent;
	greenlet_fn fn;
	void *data;			/* the user's, see greenlet_set_data() */
	void *thread;			/* the creating thread's greenlet state */
	enum greenlet_state state;
	enum greenlet_stack mode;
	void *stack;			/* lowest usable byte of its stack */
	size_t stack_size;		/* usable bytes from there */
	struct greenlet_shstack *sh;	/* shared mode: the stack it shares */
	char *saved;			/* shared mode: its frames while evicted */
	size_t saved_len;		/* bytes of frames in saved */
	size_t saved_cap;		/* bytes allocated at saved */
	bool allocated;			/* greenlet_create's, destroy frees it */
};

/*
 * The thread's current greenlet (its root if it never switched).  Never
 * NULL; aborts if the root's bookkeeping cannot be set up, which needs
 * no memory (the root is static thread-local storage).
 */
struct greenlet *greenlet_current(void);

/* The thread's root greenlet. */
struct greenlet *greenlet_root(void);

/*
 * Make a greenlet that runs fn on the first switch to it.  parent: who
 * gets fn's return value (NULL: the current greenlet); it must belong to
 * this thread.  mode GREENLET_STACK_MMAP: a stack of its own of
 * stack_size bytes (sh unused).  GREENLET_STACK_SHARED: it runs on sh
 * (stack_size unused).  greenlet_create() allocates the struct;
 * greenlet_init() fills one the caller owns, which must not move until
 * greenlet_destroy().  Returns the greenlet / 0, or NULL with errno / -errno:
 * EINVAL (no fn, a stack under 4 KiB, shared without sh, a parent or sh
 * of another thread), ENOMEM, or what mmap said.
 */
struct greenlet *greenlet_create(greenlet_fn fn, struct greenlet *parent,
				 enum greenlet_stack mode, size_t stack_size,
				 struct greenlet_shstack *sh);
int greenlet_init(struct greenlet *g, greenlet_fn fn, struct greenlet *parent,
		  enum greenlet_stack mode, size_t stack_size,
		  struct greenlet_shstack *sh);

/*
 * Release a greenlet that is not running: its stack (mmap mode) or its
 * saved frames (shared mode), its sanitizer state, and the struct if
 * greenlet_create made it.  A greenlet that is suspended rather than
 * dead is dropped without its frames ever running again: whatever they
 * hold is leaked, so runtimes destroy only dead or never-started ones
 * unless they are shutting down.  Destroying the current greenlet, a
 * root, or one that is some live greenlet's parent is a bug (aborts for
 * the first two; the third is not checked).
 */
void greenlet_destroy(struct greenlet *g);

/*
 * Suspend the current greenlet and run g (or, if g is dead, its nearest
 * live ancestor), handing it `value`.  Returns the value passed by the
 * switch (or the return of a finished child) that resumes the caller.
 * Switching to the current greenlet returns value at once.  A greenlet
 * of another thread aborts.
 */
void *greenlet_switch(struct greenlet *g, void *value);

/* Whether g's fn has returned. */
static inline bool greenlet_dead(const struct greenlet *g)
{
	return g->state == GREENLET_DEAD;
}

static inline struct greenlet *greenlet_parent(const struct greenlet *g)
{
	return g->parent;
}

/* The mode g really got (see Sanitizers above). */
static inline enum greenlet_stack greenlet_stack_mode(const struct greenlet *g)
{
	return g->mode;
}

/* One pointer of the user's per greenlet (NULL at creation). */
static inline void greenlet_set_data(struct greenlet *g, void *data)
{
	g->data = data;
}

static inline void *greenlet_data(const struct greenlet *g)
{
	return g->data;
}

/*
 * A stack for GREENLET_STACK_SHARED greenlets: `size` usable bytes
 * (rounded up to pages) over a guard page, mmap'd, plus a small mmap'd
 * stack of its own for the copies that a switch between two greenlets
 * of the same shared stack needs.  Belongs to the calling thread.
 * Returns it, or NULL with errno (EINVAL for a size under 4 KiB, ENOMEM,
 * what mmap said).  Free it once none of its greenlets is left
 * (greenlet_destroy them all first); returns 0, or -EBUSY while one is.
 */
struct greenlet_shstack *greenlet_shstack_new(size_t size);
int greenlet_shstack_free(struct greenlet_shstack *sh);

/* Bytes of heap a shared-mode greenlet holds for its evicted frames. */
static inline size_t greenlet_saved_bytes(const struct greenlet *g)
{
	return g->saved_cap;
}

#endif
