/*
 * tests/test_prim_gil_ops.c - the interpreter's instruction set against
 * a table of known answers: every opcode of enum gil_op, with operands
 * less than, equal to and greater than each other, negative, and at the
 * edges where int64_t arithmetic wraps (primitives/gil.h: "Values are
 * int64_t; arithmetic wraps (two's complement)"; comparisons are
 * Python's, on the signed values), under every policy.
 *
 * Each row runs one opcode in a small program (a template per opcode,
 * below) and states by hand what the program returns; the template
 * states by hand how many bytecodes it executes, how many of them tick
 * CPython 2.7's ticker (primitives/gil_eval.h lists which do), how many
 * blocking calls it makes and how many references it leaves (GIL_NONE's
 * count: the stack depth at RETURN).  So a wrong result, a wrong
 * dispatch, a wrong tick or a wrong reference count of any one opcode
 * fails its row by name.
 *
 * The table is checked for coverage against the enums, not against a
 * list kept here: every opcode below GIL_OP_COUNT needs rows covering
 * every operand class it is required to meet, and every comparison that
 * gil_code_verify accepts needs a column of expected answers.  A new
 * opcode or comparison without rows fails the test.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "primitives/gil.h"
#include "tests/check.h"

#define MIN	INT64_MIN
#define MAX	INT64_MAX
#define HI	((int64_t)1 << 32)	/* lost by a 32-bit truncation */

/* Operand classes, from the operands x and y of a row. */
enum {
	GO_LESS = 1 << 0,	/* x < y */
	GO_EQUAL = 1 << 1,	/* x == y */
	GO_GREATER = 1 << 2,	/* x > y */
	GO_NEGATIVE = 1 << 3,	/* x or y below 0 */
	GO_EDGE = 1 << 4,	/* x or y INT64_MIN, INT64_MAX or beyond 32 bits:
				 * where arithmetic wraps or a truncation shows */
};
#define GO_ALL	(GO_LESS | GO_EQUAL | GO_GREATER | GO_NEGATIVE | GO_EDGE)
#define GO_VALUES (GO_NEGATIVE | GO_EDGE)

/*
 * One row: opcode `op` in the template of its `form` (the comparison for
 * CMP, the built-in for CALL, forward or backward for the jumps; 0 for
 * the rest) on operands x and y; `want` is what the program returns.
 */
struct go_row {
	uint8_t op;
	int32_t form;
	int64_t x, y;
	int64_t want;
};

#define FWD 0
#define BACK 1

/* CALL's built-ins (the template's `form`). */
enum { BI_FIRST, BI_SECOND, BI_FIRST_BLOCKING, BI_ANSWER, BI_COUNT };

#define R(op_, form_, x_, y_, want_) \
	{ .op = GIL_OP_##op_, .form = (form_), .x = (x_), .y = (y_), .want = (want_) }

static const struct go_row go_rows[] = {
	/* CONST 1 with consts {y, x}: x. */
	R(CONST, 0, 5, 7, 5), R(CONST, 0, -5, 7, -5), R(CONST, 0, MIN, MAX, MIN),
	R(CONST, 0, MAX, MIN, MAX), R(CONST, 0, HI, 0, HI), R(CONST, 0, -HI - 1, 1, -HI - 1),
	/* LOAD 1 with locals {x, y}: y. */
	R(LOAD, 0, 7, 5, 5), R(LOAD, 0, 7, -5, -5), R(LOAD, 0, MAX, MIN, MIN),
	R(LOAD, 0, MIN, MAX, MAX), R(LOAD, 0, 0, HI, HI), R(LOAD, 0, 1, -HI - 1, -HI - 1),
	/* LOAD 0, STORE 1, LOAD 1: x, over y. */
	R(STORE, 0, 5, 7, 5), R(STORE, 0, -5, 7, -5), R(STORE, 0, MIN, MAX, MIN),
	R(STORE, 0, MAX, MIN, MAX), R(STORE, 0, HI, 0, HI), R(STORE, 0, -HI - 1, 1, -HI - 1),
	/* x + y, wrapping. */
	R(ADD, 0, 2, 3, 5), R(ADD, 0, 3, 3, 6), R(ADD, 0, 7, -2, 5),
	R(ADD, 0, -4, -6, -10), R(ADD, 0, -1, 1, 0),
	R(ADD, 0, MAX, 1, MIN), R(ADD, 0, MIN, -1, MAX), R(ADD, 0, MIN, MIN, 0),
	R(ADD, 0, MAX, MAX, -2), R(ADD, 0, HI, HI, (int64_t)1 << 33),
	R(ADD, 0, 0xffffffffLL, 1, HI),
	/* x - y, wrapping; the order of the operands shows. */
	R(SUB, 0, 3, 5, -2), R(SUB, 0, 5, 5, 0), R(SUB, 0, 5, 3, 2),
	R(SUB, 0, -3, -5, 2), R(SUB, 0, -5, -3, -2),
	R(SUB, 0, MIN, 1, MAX), R(SUB, 0, MAX, -1, MIN), R(SUB, 0, 0, MIN, MIN),
	R(SUB, 0, MIN, MAX, 1), R(SUB, 0, MAX, MIN, -1), R(SUB, 0, HI, 1, 0xffffffffLL),
	/* CMP: from go_cmp_pairs, below. */
	/* JUMP forward skips what would return y; backward goes back to
	 * what returns x. */
	R(JUMP, FWD, 5, 7, 5), R(JUMP, FWD, -5, 7, -5), R(JUMP, FWD, MIN, MAX, MIN),
	R(JUMP, BACK, 5, 7, 5), R(JUMP, BACK, -5, 7, -5), R(JUMP, BACK, MAX, MIN, MAX),
	/* JUMP_IF_FALSE on condition x: 20 if x is 0 (jumps), else 10.
	 * Any non-zero value is true: negative ones, and ones whose low 32
	 * bits are 0. */
	R(JUMP_IF_FALSE, FWD, 0, 0, 20), R(JUMP_IF_FALSE, FWD, 1, 0, 10),
	R(JUMP_IF_FALSE, FWD, -1, 0, 10), R(JUMP_IF_FALSE, FWD, MIN, 0, 10),
	R(JUMP_IF_FALSE, FWD, MAX, 0, 10), R(JUMP_IF_FALSE, FWD, HI, 0, 10),
	R(JUMP_IF_FALSE, BACK, 0, 0, 20), R(JUMP_IF_FALSE, BACK, 1, 0, 10),
	R(JUMP_IF_FALSE, BACK, -1, 0, 10), R(JUMP_IF_FALSE, BACK, MIN, 0, 10),
	R(JUMP_IF_FALSE, BACK, HI, 0, 10),
	/* CALL: first(x, y) is x, second(x, y) is y (arguments first pushed
	 * first), also blocking; answer() is 42. */
	R(CALL, BI_FIRST, 5, 7, 5), R(CALL, BI_FIRST, -5, 7, -5), R(CALL, BI_FIRST, MIN, MAX, MIN),
	R(CALL, BI_SECOND, 5, 7, 7), R(CALL, BI_SECOND, 7, -5, -5), R(CALL, BI_SECOND, 0, HI, HI),
	R(CALL, BI_SECOND, MIN, MAX, MAX),
	R(CALL, BI_FIRST_BLOCKING, 5, 7, 5), R(CALL, BI_FIRST_BLOCKING, -HI, 7, -HI),
	R(CALL, BI_FIRST_BLOCKING, MAX, 0, MAX),
	R(CALL, BI_ANSWER, 0, 0, 42),
	/* LOAD 0, LOAD 1, POP: x. */
	R(POP, 0, 5, 7, 5), R(POP, 0, -5, 7, -5), R(POP, 0, MIN, MAX, MIN),
	R(POP, 0, MAX, MIN, MAX), R(POP, 0, HI, 0, HI),
	/* LOAD 0, LOAD 1, RETURN: y, the top. */
	R(RETURN, 0, 7, 5, 5), R(RETURN, 0, 7, -5, -5), R(RETURN, 0, MAX, MIN, MIN),
	R(RETURN, 0, MIN, MAX, MAX), R(RETURN, 0, 0, HI, HI),
};
#define GO_NROWS (sizeof(go_rows) / sizeof(go_rows[0]))

/*
 * CMP: x <a> y for every comparison, as Python compares ints (signed,
 * all 64 bits), in enum gil_cmp's order: LT LE EQ NE GT GE.  The edge
 * pairs are where x - y wraps (so a comparison made by subtracting is
 * wrong), where an unsigned comparison differs, and where the low 32
 * bits alone are equal.
 */
#define GO_NCMP (GIL_CMP_GE + 1)
static const struct {
	int64_t x, y;
	uint8_t want[GO_NCMP];
} go_cmp_pairs[] = {
	{ 1, 2, { 1, 1, 0, 1, 0, 0 } },
	{ 2, 2, { 0, 1, 1, 0, 0, 1 } },
	{ 3, 2, { 0, 0, 0, 1, 1, 1 } },
	{ -2, -1, { 1, 1, 0, 1, 0, 0 } },
	{ -1, -1, { 0, 1, 1, 0, 0, 1 } },
	{ -1, -2, { 0, 0, 0, 1, 1, 1 } },
	{ -1, 1, { 1, 1, 0, 1, 0, 0 } },	/* unsigned: greater */
	{ 1, -1, { 0, 0, 0, 1, 1, 1 } },
	{ 0, 0, { 0, 1, 1, 0, 0, 1 } },
	{ MIN, MAX, { 1, 1, 0, 1, 0, 0 } },	/* x - y wraps to 1 */
	{ MAX, MIN, { 0, 0, 0, 1, 1, 1 } },	/* x - y wraps to -1 */
	{ MIN, 1, { 1, 1, 0, 1, 0, 0 } },	/* x - y wraps to MAX */
	{ MAX, -1, { 0, 0, 0, 1, 1, 1 } },	/* x - y wraps to MIN */
	{ MIN, MIN, { 0, 1, 1, 0, 0, 1 } },
	{ MAX, MAX, { 0, 1, 1, 0, 0, 1 } },
	{ HI, 0, { 0, 0, 0, 1, 1, 1 } },	/* low 32 bits equal */
	{ 0, HI, { 1, 1, 0, 1, 0, 0 } },
	{ HI + 1, 1, { 0, 0, 0, 1, 1, 1 } },
	{ -HI, 0, { 1, 1, 0, 1, 0, 0 } },
};
#define GO_NPAIRS (sizeof(go_cmp_pairs) / sizeof(go_cmp_pairs[0]))

static const char *const go_cmp_names[GO_NCMP] = { "<", "<=", "==", "!=", ">", ">=" };

/* The classes each opcode's rows must cover: the arithmetic and the
 * comparisons every relation of their operands; the rest carry values,
 * which must come through whole, negative and at the edges. */
static unsigned go_required(uint8_t op)
{
	switch (op) {
	case GIL_OP_ADD:
	case GIL_OP_SUB:
	case GIL_OP_CMP:
		return GO_ALL;
	default:
		return GO_VALUES;
	}
}

static bool go_edge(int64_t v)
{
	return v == MIN || v == MAX || v >= HI || v <= -HI;
}

static unsigned go_classes(int64_t x, int64_t y)
{
	return (x < y ? GO_LESS : x == y ? GO_EQUAL : GO_GREATER) |
	       (x < 0 || y < 0 ? GO_NEGATIVE : 0) |
	       (go_edge(x) || go_edge(y) ? GO_EDGE : 0);
}

/* ------------------------------------------------------------------ */
/* Templates                                                           */

static int64_t bi_first(struct gil_vm *vm, const int64_t *args)
{
	(void)vm;
	return args[0];
}

static int64_t bi_second(struct gil_vm *vm, const int64_t *args)
{
	(void)vm;
	return args[1];
}

static int64_t bi_answer(struct gil_vm *vm, const int64_t *args)
{
	(void)vm;
	(void)args;
	return 42;
}

static const struct gil_builtin go_builtins[BI_COUNT] = {
	[BI_FIRST] = { "first", bi_first, 2, false },
	[BI_SECOND] = { "second", bi_second, 2, false },
	[BI_FIRST_BLOCKING] = { "first_blocking", bi_first, 2, true },
	[BI_ANSWER] = { "answer", bi_answer, 0, false },
};

/* A row's program and what running it must do besides its result. */
struct go_prog {
	struct gil_insn insns[8];
	int64_t consts[2];
	int64_t args[2];
	struct gil_code code;
	uint64_t executed;	/* bytecodes a run executes */
	uint64_t ticks;		/* of them, those that tick 2.7's ticker */
	uint64_t blocking;	/* blocking calls made */
	int64_t refs;		/* references left (GIL_NONE): depth at RETURN */
};

#define I(op_, a_) ((struct gil_insn){ .op = GIL_OP_##op_, .a = (a_) })

/*
 * Build the program of row r into p; false if the row's opcode or form
 * has no template.  The counts are by hand, from the listing.
 */
static bool go_build(const struct go_row *r, struct go_prog *p)
{
	struct gil_insn *in = p->insns;
	uint32_t n = 0;

	memset(p, 0, sizeof(*p));
	p->args[0] = r->x;
	p->args[1] = r->y;
	p->refs = 1;
	switch (r->op) {
	case GIL_OP_CONST:
		p->consts[0] = r->y;
		p->consts[1] = r->x;
		in[n++] = I(CONST, 1);
		in[n++] = I(RETURN, 0);
		p->executed = 2;
		break;
	case GIL_OP_LOAD:
		in[n++] = I(LOAD, 1);
		in[n++] = I(RETURN, 0);
		p->executed = 2;
		break;
	case GIL_OP_STORE:
		in[n++] = I(LOAD, 0);
		in[n++] = I(STORE, 1);
		in[n++] = I(LOAD, 1);
		in[n++] = I(RETURN, 0);
		p->executed = 4;
		break;
	case GIL_OP_ADD:
	case GIL_OP_SUB:
	case GIL_OP_CMP:
		/* ADD, SUB and CMP tick (BINARY_*, COMPARE_OP). */
		in[n++] = I(LOAD, 0);
		in[n++] = I(LOAD, 1);
		in[n++] = (struct gil_insn){ .op = r->op, .a = r->form };
		in[n++] = I(RETURN, 0);
		p->executed = 4;
		p->ticks = 1;
		break;
	case GIL_OP_JUMP:
		if (r->form == FWD) {
			/* 0 JUMP 3; 1 LOAD 1; 2 RETURN; 3 LOAD 0; 4 RETURN:
			 * a forward jump (JUMP_FORWARD) does not tick. */
			in[n++] = I(JUMP, 3);
			in[n++] = I(LOAD, 1);
			in[n++] = I(RETURN, 0);
			in[n++] = I(LOAD, 0);
			in[n++] = I(RETURN, 0);
			p->executed = 3;
		} else {
			/* 0 JUMP 3; 1 LOAD 0; 2 RETURN; 3 JUMP 1: the backward
			 * one (JUMP_ABSOLUTE) ticks. */
			in[n++] = I(JUMP, 3);
			in[n++] = I(LOAD, 0);
			in[n++] = I(RETURN, 0);
			in[n++] = I(JUMP, 1);
			p->executed = 4;
			p->ticks = 1;
		}
		break;
	case GIL_OP_JUMP_IF_FALSE:
		p->consts[0] = 10;
		p->consts[1] = 20;
		if (r->form == FWD) {
			/* 0 LOAD 0; 1 JIF 4; 2 CONST 0; 3 RETURN;
			 * 4 CONST 1; 5 RETURN */
			in[n++] = I(LOAD, 0);
			in[n++] = I(JUMP_IF_FALSE, 4);
			in[n++] = I(CONST, 0);
			in[n++] = I(RETURN, 0);
			in[n++] = I(CONST, 1);
			in[n++] = I(RETURN, 0);
			p->executed = 4;
		} else {
			/* 0 JUMP 3; 1 CONST 1; 2 RETURN; 3 LOAD 0; 4 JIF 1;
			 * 5 CONST 0; 6 RETURN: either way 5 bytecodes; a
			 * conditional jump never ticks, even backward. */
			in[n++] = I(JUMP, 3);
			in[n++] = I(CONST, 1);
			in[n++] = I(RETURN, 0);
			in[n++] = I(LOAD, 0);
			in[n++] = I(JUMP_IF_FALSE, 1);
			in[n++] = I(CONST, 0);
			in[n++] = I(RETURN, 0);
			p->executed = 5;
		}
		break;
	case GIL_OP_CALL:
		if (r->form < 0 || r->form >= BI_COUNT)
			return false;
		if (go_builtins[r->form].nargs == 2) {
			in[n++] = I(LOAD, 0);
			in[n++] = I(LOAD, 1);
		}
		in[n++] = (struct gil_insn){ .op = GIL_OP_CALL, .a = r->form,
					     .b = go_builtins[r->form].nargs };
		in[n++] = I(RETURN, 0);
		p->executed = n;
		p->ticks = 1;		/* CALL_FUNCTION */
		p->blocking = go_builtins[r->form].blocking;
		break;
	case GIL_OP_POP:
		in[n++] = I(LOAD, 0);
		in[n++] = I(LOAD, 1);
		in[n++] = I(POP, 0);
		in[n++] = I(RETURN, 0);
		p->executed = 4;
		break;
	case GIL_OP_RETURN:
		/* Returns the top; x stays below it, a reference left. */
		in[n++] = I(LOAD, 0);
		in[n++] = I(LOAD, 1);
		in[n++] = I(RETURN, 0);
		p->executed = 3;
		p->refs = 2;
		break;
	default:
		return false;
	}
	p->code = (struct gil_code){
		.name = "op", .insns = p->insns, .ninsns = n,
		.consts = p->consts, .nconsts = 2,
		.builtins = go_builtins, .nbuiltins = BI_COUNT,
		.nargs = 2, .nlocals = 2,
	};
	return true;
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

/* A policy and a configuration of it. */
struct go_config {
	enum gil_policy policy;
	uint32_t check_ticks, flags;
};

/*
 * Configuration k of every policy (k < GO_NVARIANTS, policies from the
 * enum, so a new one is run too): 0 plainly, 1 with what makes its slow
 * paths run: the back-edge checks, a ticker of 1 (old), the shared
 * reference count (none).
 */
#define GO_NVARIANTS 2
#define GO_NCONFIGS (GIL_POLICY_COUNT * GO_NVARIANTS)

static struct go_config go_config(size_t k)
{
	struct go_config c = { .policy = (enum gil_policy)(k / GO_NVARIANTS) };

	if (k % GO_NVARIANTS) {
		c.flags = GIL_FLAG_CHECK;
		if (c.policy == GIL_OLD)
			c.check_ticks = 1;
		if (c.policy == GIL_NONE)
			c.flags |= GIL_FLAG_SHARED_OBJECTS;
	}
	return c;
}

/*
 * Run one program on a fresh gil under cfg and check everything known
 * about the run.  `what` names the row in a failure.
 */
static void go_run(const struct go_config *cfg, struct go_prog *p, int64_t want,
		   const char *what)
{
	struct gil_config gc = {
		.policy = cfg->policy, .check_ticks = cfg->check_ticks, .flags = cfg->flags,
	};
	const char *pol = gil_policy_name(cfg->policy);
	struct gil *g = NULL;
	struct gil_vm *vm = NULL;
	struct gil_vm_stats st;
	struct gil_stats gs;
	uint64_t takes;
	int64_t r = ~want;

	cr_assert_eq(gil_code_verify(&p->code), 0, "%s: the template does not verify", what);
	cr_assert_eq(gil_create(&g, &gc), 0);
	cr_assert_eq(gil_vm_create(&vm, g, NULL), 0);
	cr_assert_eq(gil_vm_run(vm, &p->code, p->args, &r), 0, "%s under %s", what, pol);
	cr_assert_eq(r, want, "%s under %s (flags %#x): %" PRId64 ", want %" PRId64,
		     what, pol, cfg->flags, r, want);
	gil_vm_stats_get(vm, &st);
	gil_stats_get(g, &gs);
	cr_assert_eq(st.instructions, p->executed, "%s under %s: %" PRIu64 " bytecodes, want %"
		     PRIu64, what, pol, st.instructions, p->executed);
	cr_assert_eq(st.blocking_calls, p->blocking, "%s under %s", what, pol);
	/*
	 * Takes: one at entry, one back from each blocking call, and under
	 * old one at each release of the ticker's: a fresh gil's ticker is
	 * 0, so its first tick runs it out, and no template ticks twice.
	 * The lockless policy takes nothing.
	 */
	takes = cfg->policy == GIL_NONE ? 0 :
		1 + p->blocking + (cfg->policy == GIL_OLD ? p->ticks : 0);
	cr_assert_eq(st.takes, takes, "%s under %s: %" PRIu64 " takes, want %" PRIu64,
		     what, pol, st.takes, takes);
	cr_assert_eq(gs.takes, takes);
	cr_assert_eq(st.refcount, cfg->policy == GIL_NONE ? p->refs : 0,
		     "%s under %s: reference count %" PRId64, what, pol, st.refcount);
	cr_assert_eq(gs.violations, 0, "%s under %s", what, pol);
	cr_assert_eq(gil_owner(g), 0);
	gil_vm_destroy(vm);
	cr_assert_eq(gil_destroy(g), 0);
}

static const char *go_op_name(uint8_t op)
{
	static const char *const names[GIL_OP_COUNT] = {
		[GIL_OP_CONST] = "CONST", [GIL_OP_LOAD] = "LOAD", [GIL_OP_STORE] = "STORE",
		[GIL_OP_ADD] = "ADD", [GIL_OP_SUB] = "SUB", [GIL_OP_CMP] = "CMP",
		[GIL_OP_JUMP] = "JUMP", [GIL_OP_JUMP_IF_FALSE] = "JUMP_IF_FALSE",
		[GIL_OP_CALL] = "CALL", [GIL_OP_POP] = "POP", [GIL_OP_RETURN] = "RETURN",
	};

	return op < GIL_OP_COUNT && names[op] ? names[op] : "(unnamed)";
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

/*
 * Every opcode below GIL_OP_COUNT has a template and rows covering the
 * classes it must meet; every comparison gil_code_verify accepts has a
 * column of answers.  So an opcode or a comparison added without rows
 * fails here, not silently nowhere.
 */
Test(gil_ops, table_covers_every_opcode_and_comparison, .timeout = 10)
{
	for (unsigned op = 0; op < GIL_OP_COUNT; op++) {
		unsigned seen = 0;
		size_t rows = 0;

		for (size_t i = 0; i < GO_NROWS; i++) {
			struct go_prog p;

			if (go_rows[i].op != op)
				continue;
			cr_assert(go_build(&go_rows[i], &p), "row %zu (%s): no template", i,
				  go_op_name((uint8_t)op));
			seen |= go_classes(go_rows[i].x, go_rows[i].y);
			rows++;
		}
		if (op == GIL_OP_CMP) {
			rows += GO_NPAIRS;
			for (size_t i = 0; i < GO_NPAIRS; i++)
				seen |= go_classes(go_cmp_pairs[i].x, go_cmp_pairs[i].y);
		}
		cr_assert_gt(rows, 0, "opcode %u (%s) has no row", op, go_op_name((uint8_t)op));
		cr_assert_eq(seen & go_required((uint8_t)op), go_required((uint8_t)op),
			     "opcode %s: operand classes %#x of %#x covered", go_op_name((uint8_t)op),
			     seen, go_required((uint8_t)op));
	}
	/* Each form of the jumps and every built-in has rows. */
	for (int form = 0; form < BI_COUNT; form++) {
		bool found = false;

		for (size_t i = 0; i < GO_NROWS; i++)
			found |= go_rows[i].op == GIL_OP_CALL && go_rows[i].form == form;
		cr_assert(found, "CALL of built-in %s has no row", go_builtins[form].name);
	}
	for (int form = FWD; form <= BACK; form++) {
		bool jump = false, jif = false;

		for (size_t i = 0; i < GO_NROWS; i++) {
			jump |= go_rows[i].op == GIL_OP_JUMP && go_rows[i].form == form;
			jif |= go_rows[i].op == GIL_OP_JUMP_IF_FALSE && go_rows[i].form == form;
		}
		cr_assert(jump && jif, "%s jumps lack rows", form == FWD ? "forward" : "backward");
	}
	/* The comparisons the interpreter accepts are those with answers. */
	for (int32_t a = -2; a < 64; a++) {
		struct gil_insn in[] = { I(LOAD, 0), I(LOAD, 1), { .op = GIL_OP_CMP, .a = a },
					 I(RETURN, 0) };
		struct gil_code c = { .name = "cmp", .insns = in, .ninsns = 4,
				      .nargs = 2, .nlocals = 2 };
		bool known = a >= 0 && a < GO_NCMP;

		cr_assert_eq(gil_code_verify(&c) == 0, known,
			     "comparison %d: accepted %d, answers in the table %d", a,
			     gil_code_verify(&c) == 0, known);
	}
}

/* Every row except CMP's, under every policy. */
Test(gil_ops, every_opcode_known_answers_every_policy, .timeout = 60)
{
	for (size_t c = 0; c < GO_NCONFIGS; c++) {
		struct go_config cfg = go_config(c);

		for (size_t i = 0; i < GO_NROWS; i++) {
			const struct go_row *r = &go_rows[i];
			struct go_prog p;
			char what[96];

			snprintf(what, sizeof(what), "row %zu: %s/%d x=%" PRId64 " y=%" PRId64, i,
				 go_op_name(r->op), r->form, r->x, r->y);
			cr_assert(go_build(r, &p), "%s: no template", what);
			go_run(&cfg, &p, r->want, what);
		}
	}
}

/* Every comparison on every pair, under every policy. */
Test(gil_ops, every_comparison_known_answers_every_policy, .timeout = 60)
{
	for (size_t c = 0; c < GO_NCONFIGS; c++) {
		struct go_config cfg = go_config(c);

		for (size_t i = 0; i < GO_NPAIRS; i++) {
			for (int32_t a = 0; a < GO_NCMP; a++) {
				struct go_row r = {
					.op = GIL_OP_CMP, .form = a,
					.x = go_cmp_pairs[i].x, .y = go_cmp_pairs[i].y,
					.want = go_cmp_pairs[i].want[a],
				};
				struct go_prog p;
				char what[96];

				snprintf(what, sizeof(what), "CMP %" PRId64 " %s %" PRId64,
					 r.x, go_cmp_names[a], r.y);
				cr_assert(go_build(&r, &p));
				go_run(&cfg, &p, r.want, what);
			}
		}
	}
}
