/*
 * primitives/gil_vm.c - the interpreter: verification, the eval loop,
 * the recv/send built-ins and the programs of primitives/gil.h.
 *
 * The eval loop is a stack machine with computed-goto dispatch, as
 * CPython's is.  Its contact with the lock is at back-edges, where it
 * polls the interpreter's eval breaker (one relaxed load), and, for
 * GIL_OLD only, after every opcode that ticks CPython 2.7's ticker (see
 * primitives/gil_eval.h); both are false almost always, and the slow
 * paths are out of line.  The loop is built three times from one
 * template: plain (new, io_priority), with the ticker (old), and with
 * GIL_NONE's atomic reference counts, so that no policy pays for
 * another's mechanism.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "primitives/gil_impl.h"

/* ------------------------------------------------------------------ */
/* Verification                                                        */

/* Stack effect of insn at pc and whether it may fall through; -1 for a
 * malformed instruction. */
static int gil_insn_check(const struct gil_code *c, uint32_t pc,
			  int *pops, int *pushes)
{
	const struct gil_insn *in = &c->insns[pc];
	int32_t a = in->a;

	*pops = 0;
	*pushes = 0;
	switch (in->op) {
	case GIL_OP_CONST:
		if (a < 0 || (uint32_t)a >= c->nconsts)
			return -1;
		*pushes = 1;
		return 0;
	case GIL_OP_LOAD:
	case GIL_OP_STORE:
		if (a < 0 || a >= c->nlocals)
			return -1;
		*(in->op == GIL_OP_LOAD ? pushes : pops) = 1;
		return 0;
	case GIL_OP_CMP:
		if (a < GIL_CMP_LT || a > GIL_CMP_GE)
			return -1;
		/* fall through */
	case GIL_OP_ADD:
	case GIL_OP_SUB:
		*pops = 2;
		*pushes = 1;
		return 0;
	case GIL_OP_JUMP:
	case GIL_OP_JUMP_IF_FALSE:
		if (a < 0 || (uint32_t)a >= c->ninsns)
			return -1;
		*pops = in->op == GIL_OP_JUMP_IF_FALSE;
		return 0;
	case GIL_OP_CALL:
		if (a < 0 || (uint32_t)a >= c->nbuiltins ||
		    in->b != c->builtins[a].nargs || !c->builtins[a].fn)
			return -1;
		*pops = in->b;
		*pushes = 1;
		return 0;
	case GIL_OP_POP:
	case GIL_OP_RETURN:
		*pops = 1;
		return 0;
	default:
		return -1;
	}
}

int gil_code_verify(const struct gil_code *c)
{
	uint32_t work[256], nwork = 0;
	int16_t depth[256];
	int rc = -EINVAL;

	/* Programs are small; the fixed arrays bound them. */
	if (!c || !c->insns || c->ninsns == 0 || c->ninsns > 256 ||
	    c->nlocals > GIL_LOCALS_MAX || c->nargs > c->nlocals ||
	    (c->nconsts && !c->consts) || (c->nbuiltins && !c->builtins))
		return -EINVAL;
	for (uint32_t i = 0; i < c->ninsns; i++)
		depth[i] = -1;
	depth[0] = 0;
	work[nwork++] = 0;
	while (nwork) {
		uint32_t pc = work[--nwork], next[2];
		int pops, pushes, d = depth[pc], nnext = 0;
		const struct gil_insn *in = &c->insns[pc];

		if (gil_insn_check(c, pc, &pops, &pushes) < 0 || d < pops ||
		    d - pops + pushes > GIL_STACK_MAX)
			goto out;
		d = d - pops + pushes;
		if (in->op == GIL_OP_JUMP || in->op == GIL_OP_JUMP_IF_FALSE)
			next[nnext++] = (uint32_t)in->a;
		if (in->op != GIL_OP_JUMP && in->op != GIL_OP_RETURN) {
			if (pc + 1 >= c->ninsns)
				goto out;	/* falls off the end */
			next[nnext++] = pc + 1;
		}
		for (int k = 0; k < nnext; k++) {
			if (depth[next[k]] < 0) {
				depth[next[k]] = (int16_t)d;
				/* Each instruction is queued once: fits. */
				work[nwork++] = next[k];
			} else if (depth[next[k]] != d) {
				goto out;
			}
		}
	}
	rc = 0;
out:
	return rc;
}

/* ------------------------------------------------------------------ */
/* The eval loop                                                       */

/*
 * The back-edge slow path: publish the count, then handle what the
 * breaker asks.  Returns -ECANCELED to stop the run.
 */
static __attribute__((noinline)) int gil_vm_break(struct gil_vm *vm, uint64_t base,
						  uint64_t n)
{
	uint32_t b = prim_atomic_load_n(&vm->breaker, __ATOMIC_RELAXED);

	prim_atomic_store_n(&vm->instructions, base + n, __ATOMIC_RELAXED);
	if (b & GIL__BREAK_CHECK)
		gil__check(vm);
	if (b & GIL__BREAK_STOP)
		return -ECANCELED;
	if (b & GIL__BREAK_DROP)
		gil__yield(vm);
	return 0;
}

/*
 * GIL_OLD: the process-wide ticker (the gil's) ran out, `count`
 * bytecodes into the run.  As CPython 2.7: reset it to the check
 * interval, then "give another thread a chance" (release and retake),
 * nothing more.  The next holder counts on from the reset value,
 * whoever it is.
 */
static __attribute__((noinline)) void gil_vm_tick(struct gil_vm *vm, int64_t *ticker,
						  uint64_t count)
{
	prim_atomic_store_n(&vm->instructions, count, __ATOMIC_RELAXED);
	*ticker = vm->gil->check_ticks;
	gil__drop(vm);
	gil__take(vm, false);
}

static int64_t gil_vm_call(struct gil_vm *vm, const struct gil_builtin *bi,
			   const int64_t *args, uint64_t count)
{
	int64_t r;

	if (!bi->blocking)
		return bi->fn(vm, args);
	prim_atomic_store_n(&vm->instructions, count, __ATOMIC_RELAXED);
	gil__bump(&vm->blocking_calls);
	/* Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS */
	gil__drop(vm);
	gil__set_state(vm, GIL_VM_BLOCKED);
	r = bi->fn(vm, args);
	gil__take(vm, true);
	return r;
}

/* The eval loop three times (a function with computed gotos is never
 * inlined, so the copies come from a template). */
#define GIL_EVAL_NAME gil_vm_eval_locked
#define GIL_EVAL_ATOMIC_RC 0
#define GIL_EVAL_TICKS 0
#include "primitives/gil_eval.h"
#define GIL_EVAL_NAME gil_vm_eval_old
#define GIL_EVAL_ATOMIC_RC 0
#define GIL_EVAL_TICKS 1
#include "primitives/gil_eval.h"
#define GIL_EVAL_NAME gil_vm_eval_free
#define GIL_EVAL_ATOMIC_RC 1
#define GIL_EVAL_TICKS 0
#include "primitives/gil_eval.h"

/* ------------------------------------------------------------------ */
/* Interpreters                                                        */

int gil_vm_create(struct gil_vm **out, struct gil *g, const struct gil_hooks *hooks)
{
	struct gil_vm *vm = aligned_alloc(CPU_CACHELINE, (sizeof(*vm) + CPU_CACHELINE - 1) /
					  CPU_CACHELINE * CPU_CACHELINE);

	if (!vm)
		return -ENOMEM;
	memset(vm, 0, sizeof(*vm));
	vm->gil = g;
	/* Relaxed: ids need only be unique. */
	vm->id = prim_atomic_add_fetch(&g->next_id, 1, __ATOMIC_RELAXED);
	prim_atomic_fetch_add(&g->vms, 1, __ATOMIC_RELAXED);
	vm->refcnt = (g->flags & GIL_FLAG_SHARED_OBJECTS) ? &g->shared_refcnt : &vm->own_refcnt;
	if (g->flags & GIL_FLAG_CHECK)
		vm->breaker = GIL__BREAK_CHECK;
	if (hooks) {
		vm->hooks = *hooks;
		vm->timed = hooks->now_ns != NULL;
	}
	*out = vm;
	return 0;
}

void gil_vm_destroy(struct gil_vm *vm)
{
	struct gil *g = vm->gil;

	free(vm);
	/* Release: everything this interpreter did to the gil happens
	 * before a gil_destroy that sees the count drop. */
	prim_atomic_fetch_sub(&g->vms, 1, __ATOMIC_RELEASE);
}

uint32_t gil_vm_id(const struct gil_vm *vm)
{
	return vm->id;
}

struct gil *gil_vm_gil(const struct gil_vm *vm)
{
	return vm->gil;
}

void gil_vm_stop(struct gil_vm *vm)
{
	/* Relaxed: the run sees it at a back-edge sooner or later, and the
	 * caller learns the outcome from gil_vm_run's return. */
	prim_atomic_fetch_or(&vm->breaker, GIL__BREAK_STOP, __ATOMIC_RELAXED);
}

enum gil_vm_state gil_vm_state(const struct gil_vm *vm)
{
	return (enum gil_vm_state)prim_atomic_load_n(&vm->state, __ATOMIC_RELAXED);
}

void gil_vm_stats_get(const struct gil_vm *vm, struct gil_vm_stats *out)
{
	out->instructions = prim_atomic_load_n(&vm->instructions, __ATOMIC_RELAXED);
	out->takes = prim_atomic_load_n(&vm->takes, __ATOMIC_RELAXED);
	out->forced_drops = prim_atomic_load_n(&vm->forced_drops, __ATOMIC_RELAXED);
	out->blocking_calls = prim_atomic_load_n(&vm->blocking_calls, __ATOMIC_RELAXED);
	out->refcount = (int64_t)prim_atomic_load_n(vm->refcnt, __ATOMIC_RELAXED);
}

int gil_vm_run(struct gil_vm *vm, const struct gil_code *code,
	       const int64_t *args, int64_t *result)
{
	int64_t ignored;
	int rc;

	if (gil_code_verify(code) < 0)
		return -EINVAL;
	if (prim_atomic_load_n(&vm->breaker, __ATOMIC_RELAXED) & GIL__BREAK_STOP) {
		rc = -ECANCELED;
		goto out;
	}
	memset(vm->locals, 0, sizeof(vm->locals));
	if (code->nargs)
		memcpy(vm->locals, args, code->nargs * sizeof(*args));
	gil__take(vm, false);
	if (vm->gil->policy == GIL_NONE)
		rc = gil_vm_eval_free(vm, code, result ? result : &ignored);
	else if (vm->gil->policy == GIL_OLD)
		rc = gil_vm_eval_old(vm, code, result ? result : &ignored);
	else
		rc = gil_vm_eval_locked(vm, code, result ? result : &ignored);
	gil__drop(vm);
	gil__set_state(vm, GIL_VM_IDLE);
out:
	if (rc == -ECANCELED)
		prim_atomic_fetch_and(&vm->breaker, ~GIL__BREAK_STOP, __ATOMIC_RELAXED);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Built-ins                                                           */

static int64_t gil_bi_recv(struct gil_vm *vm, const int64_t *args)
{
	ssize_t r;

	do
		r = read((int)args[0], vm->io_buf, sizeof(vm->io_buf));
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int64_t gil_bi_send(struct gil_vm *vm, const int64_t *args)
{
	int64_t len = args[1] < 0 ? 0 :
		args[1] > GIL_IO_BUF_BYTES ? GIL_IO_BUF_BYTES : args[1];
	size_t done = 0;
	ssize_t r;

	while (done < (size_t)len) {
		r = write((int)args[0], vm->io_buf + done, (size_t)len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		done += (size_t)r;
	}
	return len;
}

const struct gil_builtin gil_builtin_recv = { "recv", gil_bi_recv, 1, true };
const struct gil_builtin gil_builtin_send = { "send", gil_bi_send, 2, true };

/* ------------------------------------------------------------------ */
/* Programs                                                            */

#define I(op_, a_) { .op = GIL_OP_##op_, .a = (a_) }
#define CALL(bi_, n_) { .op = GIL_OP_CALL, .a = (bi_), .b = (n_) }

static const int64_t gil_consts_01[] = { 0, 1 };

/* CPython 3.8 compiles the loop to the same nine instructions:
 * LOAD_FAST, LOAD_CONST, COMPARE_OP, POP_JUMP_IF_FALSE, LOAD_FAST,
 * LOAD_CONST, INPLACE_SUBTRACT, STORE_FAST, JUMP_ABSOLUTE. */
static const struct gil_insn gil_countdown_insns[] = {
	/* 0 */ I(LOAD, 0), I(CONST, 0), I(CMP, GIL_CMP_GT), I(JUMP_IF_FALSE, 9),
	/* 4 */ I(LOAD, 0), I(CONST, 1), I(SUB, 0), I(STORE, 0), I(JUMP, 0),
	/* 9 */ I(LOAD, 0), I(RETURN, 0),
};

const struct gil_code gil_code_countdown = {
	.name = "countdown",
	.insns = gil_countdown_insns,
	.ninsns = sizeof(gil_countdown_insns) / sizeof(gil_countdown_insns[0]),
	.consts = gil_consts_01, .nconsts = 2,
	.nargs = 1, .nlocals = 1,
};

/* Locals: n, i, acc. */
static const struct gil_insn gil_cpu_insns[] = {
	/* 0 */ I(LOAD, 1), I(LOAD, 0), I(CMP, GIL_CMP_LT), I(JUMP_IF_FALSE, 13),
	/* 4 */ I(LOAD, 2), I(LOAD, 1), I(ADD, 0), I(STORE, 2),
	/* 8 */ I(LOAD, 1), I(CONST, 1), I(ADD, 0), I(STORE, 1), I(JUMP, 0),
	/* 13 */ I(LOAD, 2), I(RETURN, 0),
};

const struct gil_code gil_code_cpu = {
	.name = "cpu",
	.insns = gil_cpu_insns,
	.ninsns = sizeof(gil_cpu_insns) / sizeof(gil_cpu_insns[0]),
	.consts = gil_consts_01, .nconsts = 2,
	.nargs = 1, .nlocals = 3,
};

/* Locals: fd, k, m.  Built-ins: 0 recv, 1 send. */
static const struct gil_builtin gil_echo_builtins[] = {
	{ "recv", gil_bi_recv, 1, true },
	{ "send", gil_bi_send, 2, true },
};

static const struct gil_insn gil_echo_insns[] = {
	/* 0 */ I(LOAD, 0), CALL(0, 1), I(STORE, 2),
	/* 3 */ I(LOAD, 2), I(CONST, 0), I(CMP, GIL_CMP_GT), I(JUMP_IF_FALSE, 16),
	/* 7 */ I(LOAD, 0), I(LOAD, 2), CALL(1, 2), I(POP, 0),
	/* 11 */ I(LOAD, 1), I(CONST, 1), I(ADD, 0), I(STORE, 1), I(JUMP, 0),
	/* 16 */ I(LOAD, 1), I(RETURN, 0),
};

const struct gil_code gil_code_echo = {
	.name = "echo",
	.insns = gil_echo_insns,
	.ninsns = sizeof(gil_echo_insns) / sizeof(gil_echo_insns[0]),
	.consts = gil_consts_01, .nconsts = 2,
	.builtins = gil_echo_builtins, .nbuiltins = 2,
	.nargs = 1, .nlocals = 3,
};
