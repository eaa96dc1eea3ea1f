/*
 * primitives/arch/coro_switch.S - the coroutine switch of primitives/coro.h,
 * chosen by architecture.  This is the only assembly file the build
 * compiles; it includes the one for the target, and assembles to no code
 * where there is none (coro.h then falls back to ucontext, see
 * CORO_ASM_NATIVE).
 */
#define CORO_SWITCH_DISPATCH 1

#if defined(__x86_64__)
#include "coro_switch_x86_64.S"
#elif defined(__aarch64__)
#include "coro_switch_aarch64.S"
#endif

/*
 * Our code needs no executable stack; without this note an ELF linker
 * assumes it does and makes the whole program's stack executable.  "%"
 * rather than "@" because "@" starts a comment on 32-bit ARM.
 */
#if defined(__linux__) && defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
