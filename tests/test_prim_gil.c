/*
 * tests/test_prim_gil.c - the interpreter and global lock of
 * primitives/gil.h: programs compute the right results and execute
 * exactly the bytecodes they should under every policy and 1..4
 * threads; the lock's invariants (never two interpreters inside bytecode
 * under new/old/io_priority, checked by the owner word at every back-edge
 * with GIL_FLAG_CHECK); forced switching under new hands the lock to the
 * other thread; a thread blocked in I/O never holds the lock; a waiter
 * asks for a drop only after a whole interval, while io_priority asks at
 * once; none lets threads be inside bytecode together; the timing hooks
 * and the old lock's tick checks come exactly as often as they should.
 *
 * No test depends on how fast anything runs: waits that must end are
 * bounded by CHECK_WAKE_NS (tests/check.h), far beyond any real delay.
 * Worker threads never call cr_assert; they leave their results in
 * their struct for the test's thread to check after joining them.
 */
#define _GNU_SOURCE		/* CPU_SET in prim_util.h */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "primitives/gil.h"
#include "tests/check.h"
#include "tests/prim_util.h"

#define MAX_THREADS 4
#define SHORT_INTERVAL_US 200	/* many hand-overs in a short run */
#define SWITCH_INTERVAL_US 1000	/* the brief's forced-switching case */
#define HUGE_INTERVAL_US 60000000 /* 60 s: never elapses within a test */
#define ECHO_ROUNDS 5

static const enum gil_policy all_policies[] = {
	GIL_NEW, GIL_OLD, GIL_NONE, GIL_IO_PRIORITY,
};
#define NPOLICIES (sizeof(all_policies) / sizeof(all_policies[0]))

static struct gil *make_gil(enum gil_policy p, uint32_t interval_us,
			    uint32_t check_ticks, uint32_t flags)
{
	struct gil_config cfg = {
		.policy = p, .interval_us = interval_us,
		.check_ticks = check_ticks, .flags = flags,
	};
	struct gil *g = NULL;

	cr_assert_eq(gil_create(&g, &cfg), 0);
	return g;
}

static struct gil_vm *make_vm(struct gil *g, const struct gil_hooks *hooks)
{
	struct gil_vm *vm = NULL;

	cr_assert_eq(gil_vm_create(&vm, g, hooks), 0);
	return vm;
}

static bool has_lock(enum gil_policy p)
{
	return p != GIL_NONE;
}

/* One interpreter on its own thread. */
struct worker {
	struct gil_vm *vm;
	const struct gil_code *code;
	int64_t arg;
	int64_t result;
	int rc;
	uint32_t tid;		/* atomic: the thread's kernel id, once known */
	pthread_t th;
};

static void *worker_main(void *p)
{
	struct worker *w = p;

	__atomic_store_n(&w->tid, (uint32_t)my_tid(), __ATOMIC_RELAXED);
	w->rc = gil_vm_run(w->vm, w->code, &w->arg, &w->result);
	return NULL;
}

static void worker_start(struct worker *w, struct gil_vm *vm,
			 const struct gil_code *code, int64_t arg)
{
	w->vm = vm;
	w->code = code;
	w->arg = arg;
	w->result = -1;
	w->rc = 1;
	w->tid = 0;
	cr_assert_eq(pthread_create(&w->th, NULL, worker_main, w), 0);
}

static void worker_join(struct worker *w)
{
	cr_assert_eq(pthread_join(w->th, NULL), 0);
}

static uint64_t vm_instructions(const struct gil_vm *vm)
{
	struct gil_vm_stats st;

	gil_vm_stats_get(vm, &st);
	return st.instructions;
}

static uint64_t vm_takes(const struct gil_vm *vm)
{
	struct gil_vm_stats st;

	gil_vm_stats_get(vm, &st);
	return st.takes;
}

static struct gil_stats gil_stats_now(const struct gil *g)
{
	struct gil_stats st;

	gil_stats_get(g, &st);
	return st;
}

/* Sum of 0 .. n-1, as cpu(n) computes it (wrapping never happens for
 * the n used here). */
static int64_t cpu_result(int64_t n)
{
	return n * (n - 1) / 2;
}

/* ------------------------------------------------------------------ */
/* Names, configuration, verification                                  */

Test(gil, policy_names, .timeout = 10)
{
	enum gil_policy p;

	for (size_t i = 0; i < NPOLICIES; i++) {
		const char *name = gil_policy_name(all_policies[i]);

		cr_assert_not_null(name);
		cr_assert_eq(gil_policy_parse(name, &p), 0);
		cr_assert_eq(p, all_policies[i]);
	}
	cr_assert_str_eq(gil_policy_name(GIL_NEW), "new");
	cr_assert_str_eq(gil_policy_name(GIL_IO_PRIORITY), "io_priority");
	cr_assert_null(gil_policy_name((enum gil_policy)GIL_POLICY_COUNT));
	cr_assert_eq(gil_policy_parse("fifo", &p), -EINVAL);
	cr_assert_eq(gil_policy_parse("", &p), -EINVAL);
}

Test(gil, config_and_lifetime, .timeout = 10)
{
	struct gil_config bad_policy = { .policy = (enum gil_policy)GIL_POLICY_COUNT };
	struct gil_config bad_flags = { .policy = GIL_NEW, .flags = 0x80 };
	struct gil *g = NULL;
	struct gil_vm *vm;

	cr_assert_eq(gil_create(&g, &bad_policy), -EINVAL);
	cr_assert_eq(gil_create(&g, &bad_flags), -EINVAL);

	g = make_gil(GIL_NEW, 0, 0, 0);
	cr_assert_eq(gil_policy_of(g), GIL_NEW);
	cr_assert_eq(gil_interval_us(g), GIL_INTERVAL_US_DEFAULT);
	gil_set_interval_us(g, 0);		/* CPython clamps to 1 us */
	cr_assert_eq(gil_interval_us(g), 1);
	gil_set_interval_us(g, 1234);
	cr_assert_eq(gil_interval_us(g), 1234);
	cr_assert_eq(gil_owner(g), 0);

	vm = make_vm(g, NULL);
	cr_assert_neq(gil_vm_id(vm), 0);
	cr_assert_eq(gil_vm_gil(vm), g);
	cr_assert_eq(gil_vm_state(vm), GIL_VM_IDLE);
	cr_assert_eq(gil_destroy(g), -EBUSY);	/* an interpreter lives */
	gil_vm_destroy(vm);
	cr_assert_eq(gil_destroy(g), 0);
}

static int64_t bi_identity(struct gil_vm *vm, const int64_t *args)
{
	(void)vm;
	return args[0];
}

static const struct gil_builtin test_builtins[] = {
	{ "identity", bi_identity, 1, false },
};

#define OP(op_, a_) { .op = GIL_OP_##op_, .a = (a_) }

Test(gil, verify_rejects_bad_code, .timeout = 10)
{
	static const int64_t k[] = { 7 };
	/* Each program is wrong in one way. */
	static const struct gil_insn underflow[] = { OP(ADD, 0), OP(RETURN, 0) };
	static const struct gil_insn off_end[] = { OP(CONST, 0), OP(POP, 0) };
	static const struct gil_insn bad_target[] = { OP(JUMP, 5) };
	static const struct gil_insn bad_const[] = { OP(CONST, 1), OP(RETURN, 0) };
	static const struct gil_insn bad_local[] = { OP(LOAD, 3), OP(RETURN, 0) };
	static const struct gil_insn bad_op[] = { { .op = GIL_OP_COUNT }, OP(RETURN, 0) };
	static const struct gil_insn bad_cmp[] = {
		OP(CONST, 0), OP(CONST, 0), OP(CMP, 9), OP(RETURN, 0),
	};
	static const struct gil_insn bad_call[] = {
		OP(CONST, 0), { .op = GIL_OP_CALL, .a = 0, .b = 2 }, OP(RETURN, 0),
	};
	/* Depth 1 or 2 at instruction 3 depending on the path. */
	static const struct gil_insn uneven[] = {
		OP(CONST, 0), OP(JUMP_IF_FALSE, 3), OP(CONST, 0), OP(CONST, 0),
		OP(RETURN, 0),
	};
	/* Pushes without end round a loop. */
	static const struct gil_insn overflow[] = { OP(CONST, 0), OP(JUMP, 0) };
	static const struct gil_insn good[] = {
		OP(LOAD, 0), { .op = GIL_OP_CALL, .a = 0, .b = 1 }, OP(CONST, 0),
		OP(ADD, 0), OP(RETURN, 0),
	};
	const struct gil_insn *bad[] = {
		underflow, off_end, bad_target, bad_const, bad_local, bad_op,
		bad_cmp, bad_call, uneven, overflow,
	};
	const uint32_t bad_len[] = { 2, 2, 1, 2, 2, 2, 4, 3, 5, 2 };
	struct gil_code c = {
		.name = "t", .consts = k, .nconsts = 1, .builtins = test_builtins,
		.nbuiltins = 1, .nargs = 1, .nlocals = 1,
	};
	struct gil *g = make_gil(GIL_NEW, 0, 0, 0);
	struct gil_vm *vm = make_vm(g, NULL);
	int64_t arg = 5, r = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.insns = bad[i];
		c.ninsns = bad_len[i];
		cr_assert_eq(gil_code_verify(&c), -EINVAL, "bad program %zu passed", i);
		cr_assert_eq(gil_vm_run(vm, &c, &arg, &r), -EINVAL);
	}
	cr_assert_eq(vm_instructions(vm), 0, "a rejected program ran");
	c.insns = good;
	c.ninsns = 5;
	cr_assert_eq(gil_code_verify(&c), 0);
	cr_assert_eq(gil_vm_run(vm, &c, &arg, &r), 0);
	cr_assert_eq(r, 12);
	c.nlocals = GIL_LOCALS_MAX + 1;
	cr_assert_eq(gil_code_verify(&c), -EINVAL);
	cr_assert_eq(gil_code_verify(&gil_code_countdown), 0);
	cr_assert_eq(gil_code_verify(&gil_code_cpu), 0);
	cr_assert_eq(gil_code_verify(&gil_code_echo), 0);
	gil_vm_destroy(vm);
	gil_destroy(g);
}

/* ------------------------------------------------------------------ */
/* Results and bytecode counts                                         */

Test(gil, programs_single_thread_every_policy, .timeout = 30)
{
	static const int64_t ns[] = { 0, 1, 7, 100000 };

	for (size_t i = 0; i < NPOLICIES; i++) {
		struct gil *g = make_gil(all_policies[i], 0, 0, GIL_FLAG_CHECK);
		struct gil_vm *vm = make_vm(g, NULL);
		uint64_t expect = 0;
		int64_t r, neg = -5;

		for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			r = -1;
			cr_assert_eq(gil_vm_run(vm, &gil_code_countdown, &ns[j], &r), 0);
			cr_assert_eq(r, 0);
			expect += GIL_COUNTDOWN_INSNS(ns[j]);
			cr_assert_eq(vm_instructions(vm), expect);
			cr_assert_eq(gil_vm_run(vm, &gil_code_cpu, &ns[j], &r), 0);
			cr_assert_eq(r, cpu_result(ns[j]));
			expect += GIL_CPU_INSNS(ns[j]);
			cr_assert_eq(vm_instructions(vm), expect, "%s: cpu(%lld)",
				     gil_policy_name(all_policies[i]), (long long)ns[j]);
		}
		/* while n > 0 never enters: n comes back as it was. */
		cr_assert_eq(gil_vm_run(vm, &gil_code_countdown, &neg, &r), 0);
		cr_assert_eq(r, -5);
		cr_assert_eq(gil_vm_state(vm), GIL_VM_IDLE);
		cr_assert_eq(gil_owner(g), 0);
		cr_assert_eq(gil_stats_now(g).violations, 0);
		cr_assert_gt(gil_stats_now(g).checks, 0);
		gil_vm_destroy(vm);
		cr_assert_eq(gil_destroy(g), 0);
	}
}

/*
 * T threads of countdown and cpu, results and counts exact per thread,
 * under every policy and 1..4 threads, with short intervals and tick
 * checks so that the lock changes hands often; the back-edge checks
 * prove mutual exclusion where there is a lock.
 */
Test(gil, programs_threads_every_policy, .timeout = 120)
{
	const int64_t base_n = 20000;

	for (size_t i = 0; i < NPOLICIES; i++) {
		enum gil_policy p = all_policies[i];

		for (int t = 1; t <= MAX_THREADS; t++) {
			struct gil *g = make_gil(p, SHORT_INTERVAL_US, 7, GIL_FLAG_CHECK);
			struct worker w[MAX_THREADS];
			struct gil_stats st;

			for (int k = 0; k < t; k++)
				worker_start(&w[k], make_vm(g, NULL),
					     k % 2 ? &gil_code_cpu : &gil_code_countdown,
					     base_n * (k + 1));
			for (int k = 0; k < t; k++)
				worker_join(&w[k]);
			st = gil_stats_now(g);
			for (int k = 0; k < t; k++) {
				int64_t n = base_n * (k + 1);
				bool cpu = k % 2;

				cr_assert_eq(w[k].rc, 0);
				cr_assert_eq(w[k].result, cpu ? cpu_result(n) : 0,
					     "%s, %d threads: thread %d", gil_policy_name(p), t, k);
				cr_assert_eq(vm_instructions(w[k].vm),
					     cpu ? GIL_CPU_INSNS(n) : GIL_COUNTDOWN_INSNS(n));
				if (!has_lock(p))
					cr_assert_eq(vm_takes(w[k].vm), 0);
				gil_vm_destroy(w[k].vm);
			}
			cr_assert_eq(st.violations, 0, "%s, %d threads: %llu failed checks",
				     gil_policy_name(p), t, (unsigned long long)st.violations);
			cr_assert_gt(st.checks, 0);
			cr_assert_eq(st.running, 0);
			if (has_lock(p)) {
				cr_assert_eq(st.max_running, 1);
				cr_assert_geq(st.takes, (uint64_t)t);
				/* Every thread's first take is a hand-over. */
				cr_assert_geq(st.switches, (uint64_t)t);
			} else {
				cr_assert_eq(st.takes, 0);
			}
			cr_assert_eq(gil_owner(g), 0);
			cr_assert_eq(gil_destroy(g), 0);
		}
	}
}

/*
 * The old lock's tick check: a single thread releases and re-takes at
 * the first back-edge at or after every check_ticks bytecodes, so its
 * number of takes follows from countdown's 9-bytecode loop exactly.
 */
/*
 * CPython 2.7's ticker: `ticks` ticking opcodes on a fresh gil (the
 * ticker starts at 0) run it out at the first, then once every
 * check_ticks + 1: the releases (and retakes) that makes.
 */
static uint64_t old_expiries(uint64_t ticks, uint64_t check_ticks)
{
	return ticks ? 1 + (ticks - 1) / (check_ticks + 1) : 0;
}

Test(gil, old_ticks_as_cpython27, .timeout = 30)
{
	/* countdown ticks 3 times an iteration (COMPARE_OP, INPLACE_SUBTRACT,
	 * JUMP_ABSOLUTE) and once more at its last test; cpu(n) 4 times
	 * (COMPARE_OP, two BINARY_ADDs, JUMP_ABSOLUTE) and once more.  Loads,
	 * stores and the conditional jump are 2.7's fast path: no tick. */
	static const uint32_t ticks[] = { 1, 2, 3, 7, 9, 27, 100, 1000 };
	const int64_t n = 5000;

	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
		for (int prog = 0; prog < 2; prog++) {
			const struct gil_code *code = prog ? &gil_code_cpu : &gil_code_countdown;
			uint64_t per = prog ? 4 : 3;
			struct gil *g = make_gil(GIL_OLD, 0, ticks[i], 0);
			struct gil_vm *vm = make_vm(g, NULL);
			uint64_t expect = 1 + old_expiries(per * (uint64_t)n + 1, ticks[i]);
			int64_t r;

			cr_assert_eq(gil_vm_run(vm, code, &n, &r), 0);
			cr_assert_eq(r, prog ? cpu_result(n) : 0);
			cr_assert_eq(vm_takes(vm), expect, "%s, check_ticks %u: %llu takes",
				     code->name, ticks[i], (unsigned long long)vm_takes(vm));
			cr_assert_eq(gil_stats_now(g).takes, expect);
			/* Alone, it only ever takes it from itself. */
			cr_assert_eq(gil_stats_now(g).switches, 1);
			gil_vm_destroy(vm);
			gil_destroy(g);
		}
	}
	/* The known answer at the default: 10100 iterations, 30301 ticks,
	 * 301 releases, one in 33.6 iterations (python2.7 here: one
	 * sem_post in 33.6; a tick per back-edge made it one in 12). */
	{
		struct gil *g = make_gil(GIL_OLD, 0, 0, 0);
		struct gil_vm *vm = make_vm(g, NULL);
		const int64_t iters = 10100;
		int64_t r;

		cr_assert_eq(gil_vm_run(vm, &gil_code_countdown, &iters, &r), 0);
		cr_assert_eq(vm_takes(vm), 1 + 301);
		gil_vm_destroy(vm);
		gil_destroy(g);
	}
}

/* The ticker is the process's, not a thread's: a second interpreter on
 * the same lock counts on from where the first left it (2.7: "used to
 * be per thread, now just a pair o' globals").  Two countdown(10) runs,
 * 31 ticks each: the first runs the fresh ticker out at once (reset to
 * 100, then 30 ticks: 70 left); the second's 31 ticks do not reach 0.
 * A ticker per thread or per run would release in both. */
Test(gil, old_ticker_is_process_wide, .timeout = 30)
{
	struct gil *g = make_gil(GIL_OLD, 0, 100, 0);
	struct gil_vm *a = make_vm(g, NULL), *b = make_vm(g, NULL);
	const int64_t n = 10;
	int64_t r;

	cr_assert_eq(gil_vm_run(a, &gil_code_countdown, &n, &r), 0);
	cr_assert_eq(gil_vm_run(b, &gil_code_countdown, &n, &r), 0);
	cr_assert_eq(vm_takes(a), 2, "first interpreter: %llu takes",
		     (unsigned long long)vm_takes(a));
	cr_assert_eq(vm_takes(b), 1, "second interpreter: %llu takes (its own ticker?)",
		     (unsigned long long)vm_takes(b));
	/* 39 left: a third interpreter's countdown(13), 40 ticks, runs it
	 * out at its very last (2.7 releases below 0, not at 0). */
	{
		struct gil_vm *c = make_vm(g, NULL);
		const int64_t m = 13;

		cr_assert_eq(gil_vm_run(c, &gil_code_countdown, &m, &r), 0);
		cr_assert_eq(vm_takes(c), 2, "third interpreter: %llu takes",
			     (unsigned long long)vm_takes(c));
		gil_vm_destroy(c);
	}
	gil_vm_destroy(a);
	gil_vm_destroy(b);
	gil_destroy(g);
}

/* ------------------------------------------------------------------ */
/* Forced switching                                                    */

/*
 * Two CPU-bound threads under new (and io_priority, its base) with a
 * 1 ms interval: the lock must keep changing hands, both threads must
 * keep getting it, every drop made on request must be followed by a
 * take by the other thread (the back-edge checks count a violation
 * otherwise), and neither may be inside bytecode with the other.
 */
static void forced_switching(enum gil_policy p)
{
	const uint64_t want_switches = 20, want_takes = 5;
	struct gil *g = make_gil(p, SWITCH_INTERVAL_US, 0, GIL_FLAG_CHECK);
	struct worker w[2];
	struct gil_stats st;
	bool ok;

	for (int k = 0; k < 2; k++)
		worker_start(&w[k], make_vm(g, NULL), &gil_code_cpu, INT64_MAX);
	ok = CHECK_WITHIN(CHECK_WAKE_NS,
			  gil_stats_now(g).switches >= want_switches &&
			  vm_takes(w[0].vm) >= want_takes && vm_takes(w[1].vm) >= want_takes);
	gil_vm_stop(w[0].vm);
	gil_vm_stop(w[1].vm);
	worker_join(&w[0]);
	worker_join(&w[1]);
	st = gil_stats_now(g);
	cr_assert(ok, "%s: %llu switches, takes %llu and %llu: no forced hand-over",
		  gil_policy_name(p), (unsigned long long)st.switches,
		  (unsigned long long)vm_takes(w[0].vm), (unsigned long long)vm_takes(w[1].vm));
	for (int k = 0; k < 2; k++) {
		struct gil_vm_stats vs;

		cr_assert_eq(w[k].rc, -ECANCELED);
		gil_vm_stats_get(w[k].vm, &vs);
		cr_assert_gt(vs.instructions, 0);
		cr_assert_gt(vs.forced_drops, 0, "thread %d never dropped on request", k);
	}
	cr_assert_gt(st.drop_requests, 0);
	cr_assert_gt(st.forced_drops, 0);
	cr_assert_eq(st.violations, 0, "%s: %llu failed checks", gil_policy_name(p),
		     (unsigned long long)st.violations);
	cr_assert_eq(st.max_running, 1);
	for (int k = 0; k < 2; k++)
		gil_vm_destroy(w[k].vm);
	cr_assert_eq(gil_destroy(g), 0);
}

Test(gil, new_forces_switching, .timeout = 30)
{
	forced_switching(GIL_NEW);
}

Test(gil, io_priority_forces_switching, .timeout = 30)
{
	forced_switching(GIL_IO_PRIORITY);
}

/*
 * Three CPU-bound threads, so that a third one is still waiting while
 * the lock changes hands between the other two: a waiter whose timed
 * wait straddled a hand-over must not ask the new holder to drop (its
 * interval has not passed); GIL_FLAG_CHECK counts every request made
 * less than an interval after the last hand-over as a violation.
 */
static void drop_requests_wait(enum gil_policy p)
{
	const uint64_t want_switches = 200;
	struct gil *g = make_gil(p, SHORT_INTERVAL_US, 0, GIL_FLAG_CHECK);
	struct worker w[3];
	struct gil_stats st;
	bool ok;

	for (int k = 0; k < 3; k++)
		worker_start(&w[k], make_vm(g, NULL), &gil_code_cpu, INT64_MAX);
	ok = CHECK_WITHIN(CHECK_WAKE_NS, gil_stats_now(g).switches >= want_switches);
	for (int k = 0; k < 3; k++)
		gil_vm_stop(w[k].vm);
	for (int k = 0; k < 3; k++) {
		worker_join(&w[k]);
		cr_assert_eq(w[k].rc, -ECANCELED);
		gil_vm_destroy(w[k].vm);
	}
	st = gil_stats_now(g);
	cr_assert(ok, "%s: %llu hand-overs", gil_policy_name(p), (unsigned long long)st.switches);
	cr_assert_gt(st.drop_requests, 0);
	cr_assert_eq(st.violations, 0, "%s: %llu failed checks (a drop asked for too soon?)",
		     gil_policy_name(p), (unsigned long long)st.violations);
	cr_assert_eq(gil_destroy(g), 0);
}

Test(gil, new_drop_requests_wait_an_interval, .timeout = 60)
{
	drop_requests_wait(GIL_NEW);
}

Test(gil, io_priority_drop_requests_wait_an_interval, .timeout = 60)
{
	drop_requests_wait(GIL_IO_PRIORITY);
}

/* ------------------------------------------------------------------ */
/* Stop                                                                */

Test(gil, stop, .timeout = 30)
{
	for (size_t i = 0; i < NPOLICIES; i++) {
		struct gil *g = make_gil(all_policies[i], 0, 0, 0);
		struct gil_vm *vm = make_vm(g, NULL);
		struct worker w;
		int64_t n = 10, r = -1;

		/* Before a run: that run stops at entry, and only that one. */
		gil_vm_stop(vm);
		cr_assert_eq(gil_vm_run(vm, &gil_code_countdown, &n, &r), -ECANCELED);
		cr_assert_eq(vm_instructions(vm), 0);
		cr_assert_eq(gil_vm_run(vm, &gil_code_countdown, &n, &r), 0);
		cr_assert_eq(r, 0);

		/* During one: at a back-edge, lock released. */
		worker_start(&w, vm, &gil_code_cpu, INT64_MAX);
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, gil_vm_state(vm) == GIL_VM_RUNNING));
		gil_vm_stop(vm);
		worker_join(&w);
		cr_assert_eq(w.rc, -ECANCELED);
		cr_assert_eq(gil_vm_state(vm), GIL_VM_IDLE);
		cr_assert_eq(gil_owner(g), 0);
		gil_vm_destroy(vm);
		cr_assert_eq(gil_destroy(g), 0);
	}
}

/* ------------------------------------------------------------------ */
/* Blocking I/O releases the lock                                      */

/* Whether fd becomes readable within CHECK_WAKE_NS. */
static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, (int)(CHECK_WAKE_NS / 1000000)) == 1;
}

/*
 * The echo worker is asleep, with the lock released, in its blocking call
 * number `call` (1 for the first recv; each round adds a recv and a send,
 * so round r's recv is call 2r + 1).  The count matters: the state and the
 * thread's sleep are read one after the other, and on the way back from a
 * send the worker is still BLOCKED for a moment and then sleeps waiting
 * for the lock, which alone would read as "asleep in recv".
 */
static bool echo_blocked(const struct worker *e, uint64_t call)
{
	uint32_t tid = __atomic_load_n(&e->tid, __ATOMIC_RELAXED);
	struct gil_vm_stats st;

	gil_vm_stats_get(e->vm, &st);
	return tid && st.blocking_calls == call && gil_vm_state(e->vm) == GIL_VM_BLOCKED &&
	       thread_asleep((pid_t)tid);
}

/*
 * An echo responder on a socketpair beside a CPU-bound thread: while the
 * echo thread sleeps in recv the owner word never names it, and the CPU
 * thread keeps executing bytecode (so the lock is not stuck with the
 * blocked thread); each request gets its answer; end of file ends the
 * echo with the number of messages answered.
 */
static void io_releases(enum gil_policy p)
{
	struct gil *g = make_gil(p, SWITCH_INTERVAL_US, 0, GIL_FLAG_CHECK);
	struct worker echo, cpu;
	struct gil_vm_stats es;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	worker_start(&cpu, make_vm(g, NULL), &gil_code_cpu, INT64_MAX);
	worker_start(&echo, make_vm(g, NULL), &gil_code_echo, sv[1]);
	for (int round = 0; round < ECHO_ROUNDS; round++) {
		char msg[32], reply[32];
		uint64_t before;
		int len = snprintf(msg, sizeof(msg), "ping %d", round);

		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, echo_blocked(&echo, 2 * (uint64_t)round + 1)),
			  "%s: the echo thread never blocked in recv", gil_policy_name(p));
		cr_assert_neq(gil_owner(g), gil_vm_id(echo.vm),
			      "%s: the owner word names a thread blocked in recv",
			      gil_policy_name(p));
		before = vm_instructions(cpu.vm);
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, vm_instructions(cpu.vm) > before),
			  "%s: no bytecode ran while the echo thread slept", gil_policy_name(p));
		/* Still asleep: nothing has been sent to it. */
		cr_assert_eq(gil_vm_state(echo.vm), GIL_VM_BLOCKED);
		cr_assert_neq(gil_owner(g), gil_vm_id(echo.vm));

		cr_assert_eq(write(sv[0], msg, (size_t)len), len);
		cr_assert(readable(sv[0]), "%s: no answer to round %d", gil_policy_name(p), round);
		cr_assert_eq(read(sv[0], reply, sizeof(reply)), len);
		cr_assert_eq(memcmp(reply, msg, (size_t)len), 0);
	}
	cr_assert_eq(shutdown(sv[0], SHUT_WR), 0);
	worker_join(&echo);
	gil_vm_stop(cpu.vm);
	worker_join(&cpu);
	cr_assert_eq(echo.rc, 0);
	cr_assert_eq(echo.result, ECHO_ROUNDS);
	cr_assert_eq(cpu.rc, -ECANCELED);
	gil_vm_stats_get(echo.vm, &es);
	/* A recv and a send per round, and the recv that met end of file. */
	cr_assert_eq(es.blocking_calls, 2 * ECHO_ROUNDS + 1);
	/* One take at the start and one after each blocking call, plus one
	 * per forced drop: a slow round (preemption points, a busy machine)
	 * may outlast the interval.  A forced drop may also coincide with a
	 * blocking call's, hence a range. */
	if (has_lock(p)) {
		cr_assert_geq(es.takes, 1 + es.blocking_calls);
		cr_assert_leq(es.takes, 1 + es.blocking_calls + es.forced_drops,
			      "%s: %" PRIu64 " takes, %" PRIu64 " blocking calls, "
			      "%" PRIu64 " forced drops", gil_policy_name(p),
			      es.takes, es.blocking_calls, es.forced_drops);
	}
	cr_assert_eq(gil_stats_now(g).violations, 0);
	gil_vm_destroy(echo.vm);
	gil_vm_destroy(cpu.vm);
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(gil_destroy(g), 0);
}

Test(gil, io_releases_lock_new, .timeout = 60)
{
	io_releases(GIL_NEW);
}

Test(gil, io_releases_lock_old, .timeout = 60)
{
	io_releases(GIL_OLD);
}

Test(gil, io_releases_lock_io_priority, .timeout = 60)
{
	io_releases(GIL_IO_PRIORITY);
}

Test(gil, io_releases_lock_none, .timeout = 60)
{
	io_releases(GIL_NONE);
}

/*
 * The convoy mechanism and its fix, with an interval far longer than
 * any test: under new, a thread coming back from recv waits without
 * asking for a drop (a whole interval has not passed) and gets the lock
 * only when the CPU-bound holder lets go; under io_priority it asks at
 * once and is answered at once, every time.
 */
Test(gil, returner_waits_an_interval_under_new, .timeout = 60)
{
	struct gil *g = make_gil(GIL_NEW, HUGE_INTERVAL_US, 0, GIL_FLAG_CHECK);
	struct worker echo, cpu;
	uint32_t echo_tid;
	char reply[8];
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* The echo thread first, so that it is blocked before the CPU
	 * thread takes the lock for good. */
	worker_start(&echo, make_vm(g, NULL), &gil_code_echo, sv[1]);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, echo_blocked(&echo, 1)));
	worker_start(&cpu, make_vm(g, NULL), &gil_code_cpu, INT64_MAX);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, gil_owner(g) == gil_vm_id(cpu.vm)));

	cr_assert_eq(write(sv[0], "x", 1), 1);
	echo_tid = __atomic_load_n(&echo.tid, __ATOMIC_RELAXED);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, gil_vm_state(echo.vm) == GIL_VM_WAITING &&
			       thread_asleep((pid_t)echo_tid)),
		  "the echo thread did not wait for the lock after recv");
	/* Asleep in its timed wait: no request, the holder keeps the lock. */
	cr_assert_eq(gil_stats_now(g).drop_requests, 0);
	cr_assert_eq(gil_owner(g), gil_vm_id(cpu.vm));

	/* The holder's run ends: the waiter is woken and answers. */
	gil_vm_stop(cpu.vm);
	worker_join(&cpu);
	cr_assert(readable(sv[0]));
	cr_assert_eq(read(sv[0], reply, sizeof(reply)), 1);
	cr_assert_eq(shutdown(sv[0], SHUT_WR), 0);
	worker_join(&echo);
	cr_assert_eq(echo.result, 1);
	cr_assert_eq(gil_stats_now(g).drop_requests, 0);
	cr_assert_eq(gil_stats_now(g).violations, 0);
	gil_vm_destroy(echo.vm);
	gil_vm_destroy(cpu.vm);
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(gil_destroy(g), 0);
}

Test(gil, io_priority_answers_at_once, .timeout = 60)
{
	struct gil *g = make_gil(GIL_IO_PRIORITY, HUGE_INTERVAL_US, 0, GIL_FLAG_CHECK);
	struct worker echo, cpu;
	struct gil_stats st;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	worker_start(&echo, make_vm(g, NULL), &gil_code_echo, sv[1]);
	cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, echo_blocked(&echo, 1)));
	worker_start(&cpu, make_vm(g, NULL), &gil_code_cpu, INT64_MAX);
	for (int round = 0; round < ECHO_ROUNDS; round++) {
		char reply[8];

		/* The CPU thread holds the lock: the returner must take it
		 * from a running holder, not find it free. */
		cr_assert(CHECK_WITHIN(CHECK_WAKE_NS, echo_blocked(&echo, 2 * (uint64_t)round + 1) &&
				       gil_owner(g) == gil_vm_id(cpu.vm)));
		cr_assert_eq(write(sv[0], "y", 1), 1);
		/* Under new this answer would take two 60 s intervals. */
		cr_assert(readable(sv[0]), "round %d: the returner was not let in", round);
		cr_assert_eq(read(sv[0], reply, sizeof(reply)), 1);
	}
	st = gil_stats_now(g);
	cr_assert_eq(shutdown(sv[0], SHUT_WR), 0);
	worker_join(&echo);
	gil_vm_stop(cpu.vm);
	worker_join(&cpu);
	cr_assert_eq(echo.result, ECHO_ROUNDS);
	/* At least the returns from recv and send of each round that found
	 * the CPU thread holding the lock asked at once. */
	cr_assert_geq(st.drop_requests, ECHO_ROUNDS);
	cr_assert_eq(gil_stats_now(g).violations, 0);
	gil_vm_destroy(echo.vm);
	gil_vm_destroy(cpu.vm);
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(gil_destroy(g), 0);
}

/* ------------------------------------------------------------------ */
/* No lock: parallel                                                   */

/*
 * A built-in that does not release the lock: wait, up to args[0] ns,
 * until two interpreters have been inside bytecode at once
 * (GIL_FLAG_CHECK's high-water mark, so that the first to see it may
 * leave without leaving the other waiting); 1 if they were, else 0.
 */
static int64_t bi_meet(struct gil_vm *vm, const int64_t *args)
{
	const struct gil *g = gil_vm_gil(vm);

	return CHECK_WITHIN(args[0], gil_stats_now(g).max_running >= 2);
}

static const struct gil_builtin meet_builtins[] = {
	{ "meet", bi_meet, 1, false },
};

/* return meet(timeout_ns) */
static const struct gil_insn meet_insns[] = {
	OP(LOAD, 0), { .op = GIL_OP_CALL, .a = 0, .b = 1 }, OP(RETURN, 0),
};

static const struct gil_code meet_code = {
	.name = "meet", .insns = meet_insns, .ninsns = 3,
	.builtins = meet_builtins, .nbuiltins = 1, .nargs = 1, .nlocals = 1,
};

static void meet(enum gil_policy p, int64_t timeout_ns, int64_t expect)
{
	struct gil *g = make_gil(p, 0, 0, GIL_FLAG_CHECK);
	struct worker w[2];

	for (int k = 0; k < 2; k++)
		worker_start(&w[k], make_vm(g, NULL), &meet_code, timeout_ns);
	for (int k = 0; k < 2; k++) {
		worker_join(&w[k]);
		cr_assert_eq(w[k].rc, 0);
		cr_assert_eq(w[k].result, expect, "%s: thread %d", gil_policy_name(p), k);
		gil_vm_destroy(w[k].vm);
	}
	cr_assert_eq(gil_stats_now(g).max_running, (uint32_t)(expect ? 2 : 1));
	cr_assert_eq(gil_stats_now(g).violations, 0);
	cr_assert_eq(gil_destroy(g), 0);
}

Test(gil, none_runs_threads_in_parallel, .timeout = 30)
{
	meet(GIL_NONE, CHECK_WAKE_NS, 1);
	/* The shared reference count changes costs, not semantics. */
	{
		struct gil *g = make_gil(GIL_NONE, 0, 0, GIL_FLAG_SHARED_OBJECTS);
		struct worker w[2];

		for (int k = 0; k < 2; k++)
			worker_start(&w[k], make_vm(g, NULL), &gil_code_countdown, 100000);
		for (int k = 0; k < 2; k++) {
			worker_join(&w[k]);
			cr_assert_eq(w[k].result, 0);
			cr_assert_eq(vm_instructions(w[k].vm), GIL_COUNTDOWN_INSNS(100000));
			gil_vm_destroy(w[k].vm);
		}
		cr_assert_eq(gil_destroy(g), 0);
	}
}

/*
 * What free-threading pays: under GIL_NONE every reference a bytecode
 * takes or drops changes a count, under a lock none does.  CONST takes
 * one and RETURN hands it to the caller, so each run of this program
 * leaves +1 (on the interpreter's own count, or on the shared one).
 */
Test(gil, none_charges_reference_counts, .timeout = 10)
{
	static const int64_t k[] = { 7 };
	static const struct gil_insn one_ref[] = { OP(CONST, 0), OP(RETURN, 0) };
	static const struct gil_code c = {
		.name = "one_ref", .insns = one_ref, .ninsns = 2, .consts = k, .nconsts = 1,
	};
	static const uint32_t flags[] = { 0, GIL_FLAG_SHARED_OBJECTS };

	for (size_t i = 0; i < NPOLICIES; i++) {
		for (int f = 0; f < 2; f++) {
			enum gil_policy p = all_policies[i];
			struct gil *g;
			struct gil_vm *vm[2];
			struct gil_vm_stats st;
			int64_t r = 0;

			if (f && p != GIL_NONE)
				continue;
			g = make_gil(p, 0, 0, flags[f]);
			vm[0] = make_vm(g, NULL);
			vm[1] = make_vm(g, NULL);
			for (int run = 0; run < 3; run++) {
				cr_assert_eq(gil_vm_run(vm[0], &c, NULL, &r), 0);
				cr_assert_eq(r, 7);
			}
			cr_assert_eq(gil_vm_run(vm[1], &c, NULL, &r), 0);
			gil_vm_stats_get(vm[0], &st);
			cr_assert_eq(st.refcount, p != GIL_NONE ? 0 : f ? 4 : 3, "%s%s: count %lld",
				     gil_policy_name(p), f ? " (shared)" : "", (long long)st.refcount);
			gil_vm_destroy(vm[0]);
			gil_vm_destroy(vm[1]);
			cr_assert_eq(gil_destroy(g), 0);
		}
	}
}

/* The contrast: with a lock, a built-in that keeps it keeps the other
 * thread out for as long as it runs (20 ms here, each in turn). */
Test(gil, lock_keeps_threads_apart, .timeout = 30)
{
	const int64_t short_ns = 20000000;

	meet(GIL_NEW, short_ns, 0);
	meet(GIL_OLD, short_ns, 0);
	meet(GIL_IO_PRIORITY, short_ns, 0);
}

/* ------------------------------------------------------------------ */
/* Timing hooks                                                        */

/* A clock that moves by exactly 1 ns a reading. */
static uint64_t fake_clock;

static uint64_t fake_now_ns(void)
{
	return ++fake_clock;
}

struct hook_tally {
	uint64_t waits, holds, wait_ns, hold_ns;
};

static void tally_wait(void *ctx, uint64_t ns)
{
	struct hook_tally *t = ctx;

	t->waits++;
	t->wait_ns += ns;
}

static void tally_hold(void *ctx, uint64_t ns)
{
	struct hook_tally *t = ctx;

	t->holds++;
	t->hold_ns += ns;
}

/*
 * One thread, a clock ticking once a reading: every take reports one
 * wait and every release one hold, each of one tick (reading before
 * and after the take, at the take and at the release); an echo run adds
 * one pair per blocking call; none reports nothing.
 */
Test(gil, hooks_report_every_wait_and_hold, .timeout = 30)
{
	for (size_t i = 0; i < NPOLICIES; i++) {
		enum gil_policy p = all_policies[i];
		struct hook_tally t = { 0 };
		struct gil_hooks h = {
			.now_ns = fake_now_ns, .on_wait = tally_wait,
			.on_hold = tally_hold, .ctx = &t,
		};
		struct gil *g = make_gil(p, 0, 0, 0);
		struct gil_vm *vm = make_vm(g, &h);
		int64_t n = 1000, r, fd;
		uint64_t takes;
		int sv[2];

		cr_assert_eq(gil_vm_run(vm, &gil_code_countdown, &n, &r), 0);
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		cr_assert_eq(write(sv[0], "abc", 3), 3);
		cr_assert_eq(shutdown(sv[0], SHUT_WR), 0);
		fd = sv[1];
		cr_assert_eq(gil_vm_run(vm, &gil_code_echo, &fd, &r), 0);
		cr_assert_eq(r, 1);
		takes = vm_takes(vm);
		if (!has_lock(p)) {
			cr_assert_eq(t.waits + t.holds, 0);
		} else {
			/* new, io_priority: one take a run and three blocking
			 * calls (recv, send, recv at end of file); old also
			 * re-takes at its tick checks. */
			if (p != GIL_OLD)
				cr_assert_eq(takes, 2 + 3);
			else
				cr_assert_gt(takes, 2 + 3);
			cr_assert_eq(t.waits, takes, "%s", gil_policy_name(p));
			cr_assert_eq(t.holds, takes);
			cr_assert_eq(t.wait_ns, takes);
			cr_assert_eq(t.hold_ns, takes);
		}
		close(sv[0]);
		close(sv[1]);
		gil_vm_destroy(vm);
		cr_assert_eq(gil_destroy(g), 0);
	}
}
