/*
 * primitives/coro.c - stacks and fresh contexts for primitives/coro.h.
 *
 * The switches themselves are inline in coro.h (and, for coro_asm, in
 * primitives/arch/coro_switch_<arch>.S); this file only prepares what a
 * first switch-in finds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "primitives/coro.h"

#if CORO_ASAN
#include <sanitizer/asan_interface.h>
#endif

/*
 * Smallest stack make accepts: room for the initial frame plus a little
 * for the entry function.  A real coroutine needs far more (its own
 * calls); this only rejects sizes that cannot even start.
 */
#define CORO_STACK_MIN 256

/* The stack's top as the ABIs want it at a call: 16-byte aligned. */
#define CORO_STACK_ALIGN 16

static size_t coro_page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (size_t)page : 4096;	/* 4096: every Linux target's minimum */
}

void *coro_stack_alloc(size_t size)
{
	size_t page = coro_page_size();
	size_t len;
	char *base;

	/* Reject sizes whose rounding up plus the guard page would wrap. */
	if (size == 0 || size > SIZE_MAX - 2 * page) {
		errno = EINVAL;
		return NULL;
	}
	len = (size + page - 1) / page * page + page;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	/* Stacks grow down on every architecture contend supports. */
	if (mprotect(base, page, PROT_NONE) < 0) {
		int err = errno;

		munmap(base, len);
		errno = err;
		return NULL;
	}
	return base + page;
}

int coro_stack_free(void *stack, size_t size)
{
	size_t page = coro_page_size();
	size_t usable;

	if (!stack || size == 0 || size > SIZE_MAX - 2 * page)
		return -EINVAL;
	usable = (size + page - 1) / page * page;
#if CORO_ASAN
	/*
	 * Frames that were suspended here leave poisoned redzones in the
	 * shadow; clear them so that whatever is mapped here next does not
	 * inherit false reports.
	 */
	__asan_unpoison_memory_region(stack, usable);
#endif
	if (munmap((char *)stack - page, usable + page) < 0)
		return -errno;
	return 0;
}

/* Sanitizer state of a fresh context running on [stack, stack + size). */
static void coro_san_init(struct coro_san *san, void *stack, size_t size)
{
	memset(san, 0, sizeof(*san));
#if CORO_TSAN
	san->tsan_fiber = __tsan_create_fiber(0);
	san->tsan_owned = 1;
#endif
	san->stack_lo = stack;
	san->stack_size = size;
#if CORO_ASAN
	/*
	 * A reused stack may still hold the redzones of frames that were
	 * suspended on it; start clean, as ASan does for makecontext.
	 */
	__asan_unpoison_memory_region(stack, size);
#endif
}

static void coro_san_destroy(struct coro_san *san)
{
#if CORO_TSAN
	if (san->tsan_owned)
		__tsan_destroy_fiber(san->tsan_fiber);
#endif
	memset(san, 0, sizeof(*san));
}

/* ---- ucontext ---- */

/*
 * makecontext passes only int arguments, so the context's address
 * travels as two 32-bit halves (a pointer may not fit in one int).
 */
__attribute__((noreturn))
static void coro_uc_entry(unsigned int hi, unsigned int lo)
{
	struct coro_uc *co = (struct coro_uc *)(uintptr_t)
		(((uint64_t)hi << 32) | lo);

	CORO_SAN_ARRIVE(&co->san);
	co->fn(co->arg);
	abort();	/* fn returned: a bug, there is nowhere to go back to */
}

int coro_uc_make(struct coro_uc *co, void *stack, size_t size,
		 void (*fn)(void *), void *arg)
{
	uint64_t p = (uintptr_t)co;

	if (!stack || !fn || size < CORO_STACK_MIN)
		return -EINVAL;
	memset(&co->uc, 0, sizeof(co->uc));
	if (getcontext(&co->uc) < 0)
		return -errno;
	co->uc.uc_stack.ss_sp = stack;
	co->uc.uc_stack.ss_size = size;
	co->uc.uc_link = NULL;
	co->fn = fn;
	co->arg = arg;
	/* glibc's makecontext aligns the top itself. */
	makecontext(&co->uc, (void (*)(void))coro_uc_entry, 2,
		    (unsigned int)(p >> 32), (unsigned int)p);
	coro_san_init(&co->san, stack, size);
	return 0;
}

void coro_uc_destroy(struct coro_uc *co)
{
	coro_san_destroy(&co->san);
}

/* ---- assembly switch ---- */

#if CORO_ASM_NATIVE
/* In the .S: calls fn(arg) from two callee-saved registers, see below. */
void coro__asm_start(void);

/*
 * The registers coro__asm_switch pops, lowest address first, then the
 * address it returns to; must mirror the .S exactly.  A fresh context's
 * saved sp points at one of these built at the stack's top, so that its
 * first switch-in "returns" into coro__asm_start with the stack pointer
 * at the aligned top.  Two callee-saved registers carry the entry
 * function and its argument there.
 */
#if defined(__x86_64__)
struct coro_asm_frame {
	uintptr_t r15, r14, r13, r12, rbx, rbp;
	uintptr_t ret;
};
#define CORO_FRAME_SET(f, entry, arg) \
	((f)->rbx = (entry), (f)->r12 = (arg), (f)->ret = (uintptr_t)coro__asm_start)
#elif defined(__aarch64__)
struct coro_asm_frame {
	uintptr_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
	uintptr_t x29, x30;
	double d8, d9, d10, d11, d12, d13, d14, d15;
};
/* x29 = 0 ends the frame-pointer chain for debuggers and profilers. */
#define CORO_FRAME_SET(f, entry, arg) \
	((f)->x19 = (entry), (f)->x20 = (arg), (f)->x30 = (uintptr_t)coro__asm_start)
#else
#error "CORO_ASM_NATIVE set for an architecture without a frame layout"
#endif

/*
 * The frame ends at the aligned top, so once it is popped the stack
 * pointer is 16-byte aligned: on x86-64 coro__asm_start's `call` then
 * leaves rsp + 8 aligned at the entry's first instruction, as SysV
 * wants; x86-64 does not care that the 56-byte frame itself starts
 * misaligned.  AArch64 faults on any use of a misaligned sp, so there
 * the frame must also start aligned: 160 bytes, as the .S says.
 */
#if defined(__aarch64__)
_Static_assert(sizeof(struct coro_asm_frame) == 160, "the .S moves sp by 160");
#else
_Static_assert(sizeof(struct coro_asm_frame) == 56, "the .S pops 7 words");
#endif
_Static_assert(offsetof(struct coro_asm, sp) == 0, "the .S reads sp at offset 0");

__attribute__((noreturn))
static void coro_asm_entry(void *p)
{
	struct coro_asm *co = p;

	CORO_SAN_ARRIVE(&co->san);
	co->fn(co->arg);
	abort();	/* fn returned: a bug, there is nowhere to go back to */
}

int coro_asm_make(struct coro_asm *co, void *stack, size_t size,
		  void (*fn)(void *), void *arg)
{
	uintptr_t top;
	struct coro_asm_frame *frame;

	if (!stack || !fn || size < CORO_STACK_MIN)
		return -EINVAL;
	coro_san_init(&co->san, stack, size);	/* first: ASan unpoisons the stack */
	top = ((uintptr_t)stack + size) & ~(uintptr_t)(CORO_STACK_ALIGN - 1);
	/*
	 * Keep 16 bytes above the frame unused: nothing is meant to read
	 * there, but an unwinder peeking a word past the outermost frame
	 * then stays inside the mapping.
	 */
	top -= CORO_STACK_ALIGN;
	frame = (struct coro_asm_frame *)(top - sizeof(*frame));
	memset(frame, 0, sizeof(*frame));
	CORO_FRAME_SET(frame, (uintptr_t)coro_asm_entry, (uintptr_t)co);
	co->sp = frame;
	co->fn = fn;
	co->arg = arg;
	return 0;
}

void coro_asm_destroy(struct coro_asm *co)
{
	coro_san_destroy(&co->san);
}

#else /* !CORO_ASM_NATIVE: the "asm" API is ucontext underneath */

int coro_asm_make(struct coro_asm *co, void *stack, size_t size,
		  void (*fn)(void *), void *arg)
{
	return coro_uc_make(&co->uc, stack, size, fn, arg);
}

void coro_asm_destroy(struct coro_asm *co)
{
	coro_uc_destroy(&co->uc);
}
#endif
