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
 * Both are undefined again at the end.
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
	uint64_t tick_at = vm->gil->policy == GIL_OLD ? vm->gil->check_ticks : UINT64_MAX;
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
	/* Go to `to`; at a back-edge, poll the breaker and the ticks. */
#define GIL_JUMP_TO(to) do {						\
	if ((to) <= ip && __builtin_expect(				\
		(prim_atomic_load_n(&vm->breaker, __ATOMIC_RELAXED) != 0) |	\
		(n >= tick_at), 0)) {					\
		rc = gil_vm_break(vm, base, n, &tick_at);		\
		if (rc)							\
			goto out;					\
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
	GIL_DISPATCH();
op_sub:
	y = *--sp;
	x = sp[-1];
	sp[-1] = (int64_t)((uint64_t)x - (uint64_t)y);
	GIL_DECREF();
	GIL_DECREF();
	GIL_INCREF();
	ip++;
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
	GIL_DISPATCH();
op_jump:
	to = code + ip->a;
	GIL_JUMP_TO(to);
	GIL_DISPATCH();
op_jump_if_false:
	x = *--sp;
	GIL_DECREF();
	if (x == 0) {
		to = code + ip->a;
		GIL_JUMP_TO(to);
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
#undef GIL_JUMP_TO
}

#undef GIL_EVAL_NAME
#undef GIL_EVAL_ATOMIC_RC
