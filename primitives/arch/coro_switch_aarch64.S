/*
 * primitives/arch/coro_switch_aarch64.S - coroutine switch for AArch64
 * (AAPCS64).  Include primitives/arch/coro_switch.S, not this file.
 *
 * void coro__asm_switch(struct coro_asm *from, struct coro_asm *to)
 *
 * A switch is a function call, so only the callee-saved state has to
 * cross: x19-x28, the frame pointer x29, the link register x30 (where
 * the switch returns to) and the low halves d8-d15 of v8-v15.  They go
 * into a 160-byte block on the current stack, sp into from->sp (offset
 * 0), then the same is loaded from to's stack and `ret` resumes whoever
 * called the switch there.  A fresh context (coro.c's coro_asm_make) has
 * a block of the same shape whose x30 is coro__asm_start.
 *
 * Not saved: FPCR (rounding and trap modes), for the reason given in
 * coro_switch_x86_64.S for MXCSR: no coroutine in contend changes it,
 * and reading and writing it would add to a switch of a few
 * nanoseconds.  A coroutine that changes it must restore it before it
 * switches away.
 */
#ifndef CORO_SWITCH_DISPATCH
#error "assemble primitives/arch/coro_switch.S, which includes this file"
#endif

/* Landing pad for indirect calls when built for Branch Target Identification. */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define CORO_BTI_C hint #34	/* bti c: a no-op on cores without BTI */
#else
#define CORO_BTI_C
#endif

	.text

	.p2align 4
	.globl	coro__asm_switch
	.type	coro__asm_switch, %function
coro__asm_switch:
	.cfi_startproc
	CORO_BTI_C
	sub	sp, sp, #160			/* 10 pairs of 8 bytes: sp stays 16-aligned */
	.cfi_def_cfa_offset 160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	.cfi_offset x19, -160
	.cfi_offset x20, -152
	.cfi_offset x21, -144
	.cfi_offset x22, -136
	.cfi_offset x23, -128
	.cfi_offset x24, -120
	.cfi_offset x25, -112
	.cfi_offset x26, -104
	.cfi_offset x27, -96
	.cfi_offset x28, -88
	.cfi_offset x29, -80
	.cfi_offset x30, -72
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]

	mov	x9, sp
	str	x9, [x0]			/* from->sp */
	ldr	x9, [x1]			/* to->sp: same block shape, same CFI */
	mov	sp, x9

	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	.cfi_def_cfa_offset 0
	.cfi_restore x19
	.cfi_restore x20
	.cfi_restore x21
	.cfi_restore x22
	.cfi_restore x23
	.cfi_restore x24
	.cfi_restore x25
	.cfi_restore x26
	.cfi_restore x27
	.cfi_restore x28
	.cfi_restore x29
	.cfi_restore x30
	/*
	 * ret, although the return-stack predictor will miss (it expects
	 * our caller; see the pop + jmp in coro_switch_x86_64.S): a `br`
	 * would have to land on a BTI pad, and return addresses are none.
	 */
	ret
	.cfi_endproc
	.size	coro__asm_switch, .-coro__asm_switch

/*
 * First code of a fresh context, reached by coro__asm_switch's `ret`
 * with sp at the 16-byte aligned top: x19 holds the entry function, x20
 * its argument, x29 is 0 (end of the frame chain).  The entry never
 * returns (coro.c's aborts if the user's function does), so brk only
 * marks the impossible.  x30 is undefined here: unwinders stop at this
 * outermost frame.
 */
	.p2align 4
	.globl	coro__asm_start
	.hidden	coro__asm_start
	.type	coro__asm_start, %function
coro__asm_start:
	.cfi_startproc
	.cfi_undefined x30
	mov	x0, x20
	blr	x19
	brk	#0
	.cfi_endproc
	.size	coro__asm_start, .-coro__asm_start

/*
 * Built for BTI, say so: a linker drops BTI for the whole program when
 * one object lacks this note.  (Not PAC: the switch stores an unsigned
 * x30, which is exactly what PAC-ret would forbid.)
 * GNU_PROPERTY_AARCH64_FEATURE_1_AND = 0xc0000000, BTI bit = 1.
 */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
	.pushsection .note.gnu.property, "a"
	.p2align 3
	.word	4			/* name size: "GNU\0" */
	.word	16			/* descriptor size: one property, padded to 8 */
	.word	5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.word	0xc0000000		/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.word	4			/* its data size */
	.word	1			/* GNU_PROPERTY_AARCH64_FEATURE_1_BTI */
	.word	0			/* pad to 8 */
	.popsection
#endif
