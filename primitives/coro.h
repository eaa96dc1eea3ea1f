/*
 * primitives/coro.h - user-space coroutine switching, two ways.
 *
 * ctx.coro.* measures what it costs to move one thread from one stack to
 * another without the kernel.  Two mechanisms, each with its own direct
 * API so that the benchmark times the switch itself and not an indirect
 * call in front of it:
 *
 *   coro_asm_*  our own assembly (primitives/arch/coro_switch_<arch>.S):
 *               saves the callee-saved registers and the stack pointer,
 *               nothing else.  On architectures without such a file it
 *               is ucontext underneath (CORO_ASM_NATIVE says which), so
 *               the API exists everywhere.
 *   coro_uc_*   getcontext/makecontext/swapcontext.  glibc's swapcontext
 *               also saves the FPU environment and makes one
 *               rt_sigprocmask system call per switch: that cost is the
 *               point of the comparison, not something to work around.
 *
 * Both share one model.  A context is a struct that stays put in memory
 * while it is in use.  A zero-initialised struct is a valid `from`: the
 * first switch away from the current stack (a thread's own, usually)
 * saves into it, and switching to it later resumes there.  *_make()
 * prepares a fresh context whose first switch-in calls fn(arg) on the
 * given stack; fn must never return (it switches away for good
 * instead): a return is a bug and aborts the process.  *_destroy()
 * releases what a context holds (sanitizer bookkeeping only) once it will
 * never run again; the stack stays the caller's.  Contexts are
 * per-thread: the API keeps no global state, so independent sets of
 * contexts run in different threads at once, but one context must only
 * ever be resumed by the thread that runs its set.
 *
 * ThreadSanitizer and AddressSanitizer cannot follow a stack switch by
 * themselves; built with either, the switches tell them through their
 * fiber interfaces.  In a normal build those annotations are compiled
 * out and coro_asm_switch() is one direct call to the assembly.
 */
#ifndef CONTEND_CORO_H
#define CONTEND_CORO_H

#include <stddef.h>
#include <ucontext.h>

/*
 * 1 where primitives/arch/coro_switch.S holds a switch for this
 * architecture.  Building with -DCORO_ASM_NATIVE=0 forces the ucontext
 * fallback (to test it on a machine that has the assembly).
 */
#ifndef CORO_ASM_NATIVE
#if defined(__x86_64__) || defined(__aarch64__)
#define CORO_ASM_NATIVE 1
#else
#define CORO_ASM_NATIVE 0
#endif
#endif

/* gcc says __SANITIZE_*__, clang __has_feature(); gcc 12 lacks the latter. */
#if defined(__SANITIZE_THREAD__)
#define CORO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CORO_TSAN 1
#endif
#endif
#ifndef CORO_TSAN
#define CORO_TSAN 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#ifndef CORO_ASAN
#define CORO_ASAN 0
#endif

#if CORO_TSAN
#include <sanitizer/tsan_interface.h>
#endif
#if CORO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/*
 * What the sanitizers need to know about a context.  Present in every
 * build so that the structs have one layout; untouched unless a
 * sanitizer is on.
 */
struct coro_san {
	void *tsan_fiber;		/* TSan's fiber; NULL until known */
	const void *stack_lo;		/* ASan: lowest address of the stack, */
	size_t stack_size;		/* NULL/0 until first switched away from */
	void *fake_stack;		/* ASan's fake-stack handle while suspended */
	struct coro_san *from;		/* ASan: who switched here last */
	int tsan_owned;			/* tsan_fiber made by us: destroy frees it */
};

/* A ucontext coroutine. */
struct coro_uc {
	ucontext_t uc;
	void (*fn)(void *);
	void *arg;
	struct coro_san san;
};

#if CORO_ASM_NATIVE
/* An assembly-switch coroutine. */
struct coro_asm {
	void *sp;	/* saved stack pointer: must stay first, the .S uses offset 0 */
	void (*fn)(void *);
	void *arg;
	struct coro_san san;
};
#else
struct coro_asm {
	struct coro_uc uc;
};
#endif

/*
 * Map a stack of at least `size` bytes (rounded up to whole pages) with
 * one inaccessible guard page below it, so that an overflow faults
 * instead of corrupting memory.  Returns the lowest usable address (pass
 * it and the same `size` to *_make), or NULL with errno set: EINVAL for
 * a zero or absurd size, or what mmap/mprotect said.
 */
void *coro_stack_alloc(size_t size);

/*
 * Unmap a stack from coro_stack_alloc(stack, the same size).  No context
 * may still run on it.  Returns 0 or -errno from munmap.
 */
int coro_stack_free(void *stack, size_t size);

/*
 * Prepare `co` so that the first coro_*_switch() to it calls fn(arg) on
 * [stack, stack + size), 16-byte aligned as the ABI wants at a call.
 * The stack needs no particular alignment (the top is aligned down).
 * fn must never return: if it does the process aborts.  `co` must not
 * move until destroyed.  Calling make again on a live context without
 * destroy in between leaks its sanitizer state.
 * Returns 0, or -EINVAL (NULL stack or fn, size under 256 bytes), or
 * -errno from getcontext for the ucontext variant.
 */
int coro_asm_make(struct coro_asm *co, void *stack, size_t size,
		  void (*fn)(void *), void *arg);
int coro_uc_make(struct coro_uc *co, void *stack, size_t size,
		 void (*fn)(void *), void *arg);

/* Forget a context that will never run again (never the current one). */
void coro_asm_destroy(struct coro_asm *co);
void coro_uc_destroy(struct coro_uc *co);

/* Internal: the assembly switch and the sanitizer notes around a switch. */
void coro__asm_switch(struct coro_asm *from, struct coro_asm *to);

#if CORO_TSAN || CORO_ASAN
/*
 * Must be inlined into the frame that makes the switch: TSan keeps a
 * shadow call stack per fiber, so a helper frame entered on one fiber
 * and left on another would unbalance both.  TSan wants its switch
 * "immediately before" the real one, so it comes last.
 */
static inline __attribute__((always_inline))
void coro__san_leave(struct coro_san *from, struct coro_san *to)
{
#if CORO_ASAN
	to->from = from;
	__sanitizer_start_switch_fiber(&from->fake_stack, to->stack_lo,
				       to->stack_size);
#endif
#if CORO_TSAN
	/* We run as `from`, so the current fiber is its own. */
	from->tsan_fiber = __tsan_get_current_fiber();
	/* flags 0: the switch orders everything before it (happens-before). */
	__tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
}

/* First thing after a switch lands in `self` (or self's entry starts). */
static inline __attribute__((always_inline))
void coro__san_arrive(struct coro_san *self)
{
#if CORO_ASAN
	/* Learn the bounds of the stack we came from: a thread's own
	 * stack is known to nobody but ASan. */
	__sanitizer_finish_switch_fiber(self->fake_stack, &self->from->stack_lo,
					&self->from->stack_size);
#else
	(void)self;
#endif
}
#define CORO_SAN_LEAVE(from, to) coro__san_leave(from, to)
#define CORO_SAN_ARRIVE(self) coro__san_arrive(self)
#else
#define CORO_SAN_LEAVE(from, to) ((void)0)
#define CORO_SAN_ARRIVE(self) ((void)0)
#endif

/*
 * Save the current state into `from` and resume `to`; returns when some
 * later switch resumes `from`.  `from` must be the context running now
 * (or a zero-initialised struct for the current stack) and `to` one
 * that is suspended or freshly made.  Cannot fail.
 */
static inline __attribute__((always_inline))
void coro_uc_switch(struct coro_uc *from, struct coro_uc *to)
{
	CORO_SAN_LEAVE(&from->san, &to->san);
	/* Only fails for a bad signal mask, which make never sets. */
	(void)swapcontext(&from->uc, &to->uc);
	CORO_SAN_ARRIVE(&from->san);
}

static inline __attribute__((always_inline))
void coro_asm_switch(struct coro_asm *from, struct coro_asm *to)
{
#if CORO_ASM_NATIVE
	CORO_SAN_LEAVE(&from->san, &to->san);
	coro__asm_switch(from, to);
	CORO_SAN_ARRIVE(&from->san);
#else
	coro_uc_switch(&from->uc, &to->uc);
#endif
}

/*
 * coro_asm_switch, entered by a jmp with a pushed return address instead
 * of a call (x86-64 without sanitizers; elsewhere it is coro_asm_switch).
 * The switch leaves by a jmp (see the .S), so a call's entry in the
 * return-stack predictor is never consumed and every later `ret` of the
 * resumed side is predicted one entry off.  A runtime whose contexts all
 * suspend at one switch in one function (a greenlet library) gets,
 * without that stray entry, returns that match what the resumed side's
 * own calls pushed.  Measured on the 2-core VM, best of 56 runs: a
 * hub's sleep(0) between two coroutines 31 -> 8.5 ns (medians 49 -> 15,
 * loaded machine).  Where the two sides suspend at different places (a
 * ping-pong between two loops) it gains nothing: 13 -> 14 ns.  Same
 * contract as coro_asm_switch.  The 128 bytes step over the red zone,
 * which a leaf caller may use (a suspended context's stack holds them
 * too); unwinders see no frame for the few instructions in between.
 */
#if CORO_ASM_NATIVE && defined(__x86_64__) && !CORO_TSAN && !CORO_ASAN
static inline __attribute__((always_inline))
void coro_asm_switch_jmp(struct coro_asm *from, struct coro_asm *to)
{
	/* Everything the ABI lets a call clobber, as for a real call. */
	__asm__ volatile("sub	$128, %%rsp\n\t"
			 "lea	1f(%%rip), %%rax\n\t"
			 "push	%%rax\n\t"
			 "jmp	coro__asm_switch\n"
			 "1:\n\t"
			 "add	$128, %%rsp"
			 : "+D"(from), "+S"(to)
			 :
			 : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11",
			   "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			   "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
			   "xmm12", "xmm13", "xmm14", "xmm15",
			   "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)",
			   "st(6)", "st(7)", "mm0", "mm1", "mm2", "mm3", "mm4",
			   "mm5", "mm6", "mm7", "cc", "memory");
}
#else
static inline __attribute__((always_inline))
void coro_asm_switch_jmp(struct coro_asm *from, struct coro_asm *to)
{
	coro_asm_switch(from, to);
}
#endif

#endif
