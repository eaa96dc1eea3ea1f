/*
 * primitives/gil_eval.h - the eval loop of primitives/gil_vm.c, a
 * template that file includes twice, not a header of its own.
 *
 * Define before including:
 *   GIL_EVAL_NAME       the function's name
 *   GIL_EVAL_ATOMIC_RC  1 to charge GIL_NONE's reference counting: +1
 *                       for every value pushed, -1 for every value
 *                       consumed or overwritten, each one atomic; 0 for
 *                       none, so the lock policies pay nothing for it.
 *   GIL_EVAL_TICKS      1 for GIL_OLD: count down the gil's process-wide
 *                       ticker as CPython 2.7 does, and release and
 *                       retake the lock when it runs out; 0 for the
 *                       other policies, which pay nothing for it.
 * All are undefined again at the end.
 *
 * CPython 2.7 decrements its ticker for the opcodes that go back to the
 * top of its eval loop (DISPATCH, `continue`), not for those that jump
 * straight to the next opcode (FAST_DISPATCH, `goto fast_next_opcode`).
 * Here, as there: CONST (LOAD_CONST), LOAD (LOAD_FAST), STORE
 * (STORE_FAST), POP (POP_TOP), JUMP_IF_FALSE (POP_JUMP_IF_FALSE on a
 * bool) and a forward JUMP (JUMP_FORWARD) take the fast path; ADD, SUB
 * (BINARY_ and INPLACE_ arithmetic), CMP (COMPARE_OP: with computed
 * gotos, the default build, it does not PREDICT the jump after it),
 * CALL (CALL_FUNCTION) and a backward JUMP (JUMP_ABSOLUTE) tick.  So
 * countdown's 9-bytecode loop ticks 3 times an iteration, and with
 * check_ticks 100 the lock is released once in 101 ticks (2.7 tests
 * --ticker < 0): once in 33.7 iterations, as perf counts sem_post in
 * python2.7 here.
 *
 * The function runs c on vm from its first instruction with the lock
 * held (the arguments are in vm->locals), stores the returned value in
 * *result and returns 0, or returns -ECANCELED when stopped at a
 * back-edge.
 */
static int GIL_EVAL_NAME(struct gil_vm *vm, const struct gil_code *c, int64_t *result)
{
	static const void *const ops[GIL_OP_COUNT] = {
		[GIL_OP_CONST] = &&op_const,
		[GIL_OP_LOAD] = &&op_load,
		[GIL_OP_STORE] = &&op_store,
		[GIL_OP_ADD] = &&op_add,
		[GIL_OP_SUB] = &&op_sub,
		[GIL_OP_CMP] = &&op_cmp,
		[GIL_OP_JUMP] = &&op_jump,
		[GIL_OP_JUMP_IF_FALSE] = &&op_jump_if_false,
		[GIL_OP_CALL] = &&op_call,
		[GIL_OP_POP] = &&op_pop,
		[GIL_OP_RETURN] = &&op_return,
	};
	const struct gil_insn *const code = c->insns;
	const struct gil_insn *ip = code, *to;
	const int64_t *const consts = c->consts;
	int64_t *const locals = vm->locals;
	int64_t *sp = vm->stack;	/* the next free slot */
	uint64_t *const refcnt = vm->refcnt;
	const uint64_t base = vm->instructions;
	uint64_t n = 0;			/* bytecodes dispatched in this run */
	int64_t *const ticker = &vm->gil->ticker;
	int64_t x, y;
	int rc = 0;

	/* Increments relaxed (a new reference orders nothing), decrements
	 * release (the last one would free the object and must follow the
	 * owner's writes), as reference counting needs. */
#define GIL_INCREF() do { if (GIL_EVAL_ATOMIC_RC) \
	prim_atomic_fetch_add(refcnt, 1, __ATOMIC_RELAXED); } while (0)
#define GIL_DECREF() do { if (GIL_EVAL_ATOMIC_RC) \
	prim_atomic_fetch_sub(refcnt, 1, __ATOMIC_RELEASE); } while (0)
#define GIL_DISPATCH() do { n++; goto *ops[ip->op]; } while (0)
	/* GIL_OLD, after a ticking opcode: the ticker is the gil's, and
	 * only the lock's holder touches it (the semaphore orders the
	 * holders), so a plain decrement, as 2.7's volatile int. */
#define GIL_TICK() do {							\
	if (GIL_EVAL_TICKS && __builtin_expect(--*ticker < 0, 0))	\
		gil_vm_tick(vm, ticker, base + n);			\
} while (0)
	/* Go to `to`; at a back-edge, poll the breaker, and tick if the
	 * jump is one that ticks. */
#define GIL_JUMP_TO(to, ticks) do {					\
	if ((to) <= ip) {						\
		if (__builtin_expect(					\
			prim_atomic_load_n(&vm->breaker, __ATOMIC_RELAXED) != 0, 0)) { \
			rc = gil_vm_break(vm, base, n);			\
			if (rc)						\
				goto out;				\
		}							\
		if (ticks)						\
			GIL_TICK();					\
	}								\
	ip = (to);							\
} while (0)

	GIL_DISPATCH();
op_const:
	*sp++ = consts[ip->a];
	GIL_INCREF();
	ip++;
	GIL_DISPATCH();
op_load:
	*sp++ = locals[ip->a];
	GIL_INCREF();
	ip++;
	GIL_DISPATCH();
op_store:
	/* The popped reference moves into the local; the old one drops. */
	locals[ip->a] = *--sp;
	GIL_DECREF();
	ip++;
	GIL_DISPATCH();
op_add:
	y = *--sp;
	x = sp[-1];
	sp[-1] = (int64_t)((uint64_t)x + (uint64_t)y);
	GIL_DECREF();
	GIL_DECREF();
	GIL_INCREF();
	ip++;
	GIL_TICK();
	GIL_DISPATCH();
op_sub:
	y = *--sp;
	x = sp[-1];
	sp[-1] = (int64_t)((uint64_t)x - (uint64_t)y);
	GIL_DECREF();
	GIL_DECREF();
	GIL_INCREF();
	ip++;
	GIL_TICK();
	GIL_DISPATCH();
op_cmp:
	y = *--sp;
	x = sp[-1];
	switch (ip->a) {
	case GIL_CMP_LT: x = x < y; break;
	case GIL_CMP_LE: x = x <= y; break;
	case GIL_CMP_EQ: x = x == y; break;
	case GIL_CMP_NE: x = x != y; break;
	case GIL_CMP_GT: x = x > y; break;
	default: x = x >= y; break;
	}
	sp[-1] = x;
	GIL_DECREF();
	GIL_DECREF();
	GIL_INCREF();
	ip++;
	GIL_TICK();	/* COMPARE_OP */
	GIL_DISPATCH();
op_jump:
	/* Backward: JUMP_ABSOLUTE, which ticks; forward: JUMP_FORWARD. */
	to = code + ip->a;
	GIL_JUMP_TO(to, 1);
	GIL_DISPATCH();
op_jump_if_false:
	x = *--sp;
	GIL_DECREF();
	if (x == 0) {
		to = code + ip->a;
		GIL_JUMP_TO(to, 0);
	} else {
		ip++;
	}
	GIL_DISPATCH();
op_call:
	sp -= ip->b;
	for (int k = 0; k < ip->b; k++)
		GIL_DECREF();
	*sp = gil_vm_call(vm, &c->builtins[ip->a], sp, base + n);
	sp++;
	GIL_INCREF();
	ip++;
	GIL_TICK();
	GIL_DISPATCH();
op_pop:
	--sp;
	GIL_DECREF();
	ip++;
	GIL_DISPATCH();
op_return:
	/* The reference goes to the caller: no count changes. */
	*result = *--sp;
out:
	prim_atomic_store_n(&vm->instructions, base + n, __ATOMIC_RELAXED);
	return rc;
#undef GIL_INCREF
#undef GIL_DECREF
#undef GIL_DISPATCH
#undef GIL_TICK
#undef GIL_JUMP_TO
}

#undef GIL_EVAL_NAME
#undef GIL_EVAL_ATOMIC_RC
#undef GIL_EVAL_TICKS
