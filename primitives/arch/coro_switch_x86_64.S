/*
 * primitives/arch/coro_switch_x86_64.S - coroutine switch for x86-64
 * System V.  Include primitives/arch/coro_switch.S, not this file.
 *
 * void coro__asm_switch(struct coro_asm *from, struct coro_asm *to)
 *
 * A switch is a function call, so the caller has already saved whatever
 * the ABI lets a call clobber; only the callee-saved state has to cross:
 * rbx, rbp, r12-r15 go on the current stack, rsp into from->sp (offset
 * 0), then the same is popped from to's stack, and so is the return
 * address, which resumes whoever called the switch there.  A fresh
 * context (coro.c's coro_asm_make) has a frame of the same shape whose
 * return address is coro__asm_start.
 *
 * Not saved: the MXCSR control bits and the x87 control word, although
 * the ABI calls them callee-saved and boost.context saves them by
 * default.  They are the thread's rounding and exception modes; no
 * coroutine in contend changes them, so they are the same on both sides
 * of every switch, and stmxcsr/ldmxcsr plus fnstcw/fldcw would add
 * several cycles (fldcw is serialising on many cores) to a switch that
 * costs a few nanoseconds.  A coroutine that changes them must restore
 * them before it switches away.  (ucontext does save them.)
 *
 * CET cannot follow a stack switch: a shadow stack would refuse the
 * return to another stack, and indirect-branch tracking the jmp to a
 * return address (no endbr64 there).  The object deliberately carries
 * no .note.gnu.property, so the linker marks a program that contains it
 * as capable of neither, and neither is enforced for it.
 */
#ifndef CORO_SWITCH_DISPATCH
#error "assemble primitives/arch/coro_switch.S, which includes this file"
#endif

#if defined(__CET__) && (__CET__ & 1)
#define CORO_ENDBR endbr64
#else
#define CORO_ENDBR
#endif

	.text

	.p2align 4
	.globl	coro__asm_switch
	.type	coro__asm_switch, @function
coro__asm_switch:
	.cfi_startproc
	CORO_ENDBR
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0

	movq	%rsp, (%rdi)		/* from->sp */
	movq	(%rsi), %rsp		/* to->sp: same frame shape, same CFI */

	popq	%r15
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r15
	popq	%r14
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r14
	popq	%r13
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r13
	popq	%r12
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r12
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	/*
	 * pop + jmp rather than ret.  The return-stack predictor assumes
	 * `ret` goes back to the caller of this very call, which after a
	 * switch it never does: ret mispredicted on every switch, about
	 * doubling the cost of a ping-pong (5 -> 10+ ns measured on an AMD
	 * EPYC VM).  The indirect-branch predictor learns the pattern of
	 * targets instead.
	 */
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %rcx
	jmp	*%rcx
	.cfi_endproc
	.size	coro__asm_switch, .-coro__asm_switch

/*
 * First code of a fresh context, reached by coro__asm_switch's final
 * jmp with rsp 16-byte aligned: rbx holds the entry function, r12 its
 * argument.  The call pushes 8 bytes, so the entry sees rsp + 8 aligned
 * as SysV requires.  The entry never returns (coro.c's aborts if the
 * user's function does), so ud2 only marks the impossible.  rip is
 * undefined here: unwinders stop at this outermost frame.
 */
	.p2align 4
	.globl	coro__asm_start
	.hidden	coro__asm_start
	.type	coro__asm_start, @function
coro__asm_start:
	.cfi_startproc
	.cfi_undefined %rip
	movq	%r12, %rdi
	call	*%rbx
	ud2
	.cfi_endproc
	.size	coro__asm_start, .-coro__asm_start
