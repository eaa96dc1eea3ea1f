/*
 * primitives/gil.h - a small Python-like bytecode interpreter and the
 * global interpreter lock it runs under, faithful to CPython's.
 *
 * Two objects:
 *
 *   struct gil     one global lock, shared by every interpreter of a
 *                  process (one per process, never shared across fork:
 *                  a child makes its own, as each CPython process has its
 *                  own GIL);
 *   struct gil_vm  one interpreter instance (CPython's thread state plus
 *                  a value stack and locals), run by one OS thread at a
 *                  time against its gil.
 *
 * The lock policy is chosen when the gil is made:
 *
 *   GIL_NEW          CPython >= 3.2 (Python/ceval_gil.c): a mutex, a
 *                    condition and a `locked` flag.  A thread that finds
 *                    the lock held waits on the condition for `interval`
 *                    microseconds (default 5000, sys.setswitchinterval);
 *                    if the wait timed out and no hand-over happened in
 *                    between (switch_number unchanged) it sets the
 *                    holder's drop request in the holder's eval breaker.
 *                    The holder polls the breaker at loop back-edges and
 *                    drops the lock there; with the request set, the
 *                    dropper then waits until another thread has taken
 *                    the lock (FORCE_SWITCHING), so it cannot win it back
 *                    at once on another core.  switch_number counts takes
 *                    by a thread other than the last holder.
 *   GIL_OLD          CPython < 3.2: a plain lock (a POSIX semaphore, as
 *                    CPython 2 used on Linux) that the holder releases and
 *                    immediately re-acquires when the ticker runs out; no
 *                    drop request, no forced hand-over, so on several
 *                    cores the releaser usually takes it back before the
 *                    woken waiter runs.  The ticker is CPython 2.7's
 *                    _Py_Ticker: one per process (per gil), not per
 *                    thread, decremented by the opcodes that go back to
 *                    the top of 2.7's eval loop (arithmetic, compare,
 *                    call, a backward jump), not by those on its fast
 *                    path (loads, stores, pop, conditional and forward
 *                    jumps); when it goes below 0 it is reset to
 *                    `check_ticks` (default 100, sys.setcheckinterval)
 *                    and the lock is released and retaken: once in
 *                    check_ticks + 1 ticks.  countdown ticks 3 times an
 *                    iteration, so at 100 it lets go once in 33.7
 *                    iterations, as python2.7 does (perf counts its
 *                    sem_post).  The list of ticking opcodes is in
 *                    primitives/gil_eval.h.
 *   GIL_NONE         no global lock: threads run bytecode in parallel.
 *                    What free-threading pays instead is charged on every
 *                    reference a bytecode takes or drops: one atomic
 *                    read-modify-write of a reference count (as the
 *                    Gilectomy did; CPython 3.13t avoids most of them with
 *                    biased and immortal reference counts, so this is the
 *                    upper bound of the mechanism).  The count lives in
 *                    the interpreter's own cache line, so what is charged
 *                    is the atomic instruction; GIL_FLAG_SHARED_OBJECTS
 *                    puts one count in the gil, shared by every
 *                    interpreter, which adds the cache-line bouncing that
 *                    objects touched by all threads (small ints,
 *                    constants) cost.
 *   GIL_IO_PRIORITY  GIL_NEW plus a fix for the convoy effect (Beazley's
 *                    priority proposal): a thread coming back from a
 *                    blocking built-in does not wait out an interval; it
 *                    sets the holder's drop request at once, and a
 *                    released lock goes to such a thread before any
 *                    thread that waits for other reasons (including the
 *                    dropper).  Everything else is GIL_NEW's.
 *
 * A built-in marked blocking (recv and send below) runs with the lock
 * released, as a C extension does between Py_BEGIN_ALLOW_THREADS and
 * Py_END_ALLOW_THREADS: the thread drops the lock (honouring a pending
 * drop request, like CPython's drop_gil), makes the system call, and
 * takes the lock again.
 *
 * Instrumentation, cheap enough to leave on in benchmarks:
 *   - per gil (gil_stats_get): hand-overs (switch_number), drop requests,
 *     drops made on request, lock takes;
 *   - per interpreter (gil_vm_stats_get): executed bytecodes, takes,
 *     drops on request, blocking calls;
 *   - timing hooks (struct gil_hooks, per interpreter): with a clock
 *     given, every take reports its wait and every release its hold in
 *     nanoseconds to the caller, e.g. into harness histograms;
 *   - an owner word (gil_owner): the id of the interpreter holding the
 *     lock, 0 when none.
 * GIL_FLAG_CHECK (tests) adds invariant checks at every back-edge: the
 * owner word names the running interpreter, exactly one interpreter is
 * inside bytecode, and every drop on request was followed by a hand-over.
 *
 * Threads: gil_* functions may be called from any thread; a gil_vm is
 * run by one thread at a time, but gil_vm_stop, gil_vm_state and
 * gil_vm_stats_get may be called from any thread while it runs.
 *
 * Errors: setup functions return 0 or a negative errno; a failing
 * pthread call inside the lock can only be a bug and aborts.
 */
#ifndef CONTEND_GIL_H
#define CONTEND_GIL_H

#include <stdbool.h>
#include <stdint.h>

enum gil_policy {
	GIL_NEW,
	GIL_OLD,
	GIL_NONE,
	GIL_IO_PRIORITY,
};
#define GIL_POLICY_COUNT 4

#define GIL_INTERVAL_US_DEFAULT 5000	/* CPython's sys.getswitchinterval() */
#define GIL_CHECK_TICKS_DEFAULT 100	/* CPython 2's sys.getcheckinterval() */

/* gil_config.flags */
#define GIL_FLAG_CHECK		0x1u	/* invariant checks (tests; slow) */
#define GIL_FLAG_SHARED_OBJECTS	0x2u	/* GIL_NONE: one shared reference count */

struct gil_config {
	enum gil_policy policy;
	uint32_t interval_us;	/* NEW, IO_PRIORITY; 0: the default */
	uint32_t check_ticks;	/* OLD: the ticker's reset value; 0: the default */
	uint32_t flags;
};

/*
 * Timing hooks of one interpreter; all NULL (or no hooks) times nothing.
 * With now_ns set (a monotonic clock in ns, e.g. the harness's
 * bench_now_ns), on_wait(ctx, ns) gets the time from asking for the lock
 * to having it, once per take, and on_hold(ctx, ns) the time from taking
 * it to releasing it, once per release.  Both are called by the
 * interpreter's own thread with the lock held, so they must not block.
 * GIL_NONE has no lock and calls neither.
 */
struct gil_hooks {
	uint64_t (*now_ns)(void);
	void (*on_wait)(void *ctx, uint64_t ns);
	void (*on_hold)(void *ctx, uint64_t ns);
	void *ctx;
};

/* Counters since gil_create; a consistent-enough snapshot (each field
 * is read atomically, not all together). */
struct gil_stats {
	uint64_t switches;	/* switch_number: takes by another thread than
				 * the last holder (the very first take counts) */
	uint64_t drop_requests;	/* times a waiter asked the holder to drop */
	uint64_t forced_drops;	/* drops made because of a request */
	uint64_t takes;		/* lock acquisitions (0 under GIL_NONE) */
	/* GIL_FLAG_CHECK only (else 0): */
	uint64_t checks;	/* back-edge invariant checks made */
	uint64_t violations;	/* failed checks: must stay 0 */
	uint32_t running;	/* interpreters inside bytecode now */
	uint32_t max_running;	/* the most ever inside at once */
};

/* Counters of one interpreter since gil_vm_create.  `instructions` is
 * published at back-edges that poll the lock, at every release and at
 * the end of each run, so while a run goes on it may lag a little. */
struct gil_vm_stats {
	uint64_t instructions;	/* bytecodes executed */
	uint64_t takes;		/* lock acquisitions */
	uint64_t forced_drops;	/* drops made on another thread's request */
	uint64_t blocking_calls; /* blocking built-ins called */
	/* GIL_NONE: the reference count this interpreter charges (its own,
	 * or with GIL_FLAG_SHARED_OBJECTS the one every interpreter
	 * shares), net of every increment and decrement so far; 0 under a
	 * lock, which charges nothing. */
	int64_t refcount;
};

/* What an interpreter is doing; for tests and observers. */
enum gil_vm_state {
	GIL_VM_IDLE,		/* not in gil_vm_run */
	GIL_VM_WAITING,		/* asking for the lock */
	GIL_VM_RUNNING,		/* holds the lock (GIL_NONE: runs bytecode) */
	GIL_VM_BLOCKED,		/* in a blocking built-in, lock released */
};

struct gil;
struct gil_vm;

/* "new", "old", "none", "io_priority"; NULL for a bad value. */
const char *gil_policy_name(enum gil_policy p);
/* The policy named `name`.  Returns 0, or -EINVAL for an unknown name. */
int gil_policy_parse(const char *name, enum gil_policy *out);

/* Make a gil.  Returns 0, -EINVAL (bad policy or flags), -ENOMEM, or
 * the negative errno of a failed mutex, condition or semaphore init. */
int gil_create(struct gil **out, const struct gil_config *cfg);
/* Free a gil.  Returns 0, or -EBUSY (nothing freed) while interpreters
 * made on it still exist. */
int gil_destroy(struct gil *g);
enum gil_policy gil_policy_of(const struct gil *g);
/* sys.setswitchinterval: takes effect at the next wait; 0 means 1 us
 * (as CPython clamps it). */
void gil_set_interval_us(struct gil *g, uint32_t us);
uint32_t gil_interval_us(const struct gil *g);
/* The id of the interpreter holding the lock, 0 when none (always 0
 * under GIL_NONE). */
uint32_t gil_owner(const struct gil *g);
void gil_stats_get(const struct gil *g, struct gil_stats *out);

/* ------------------------------------------------------------------ */
/* Bytecode                                                            */

#define GIL_STACK_MAX	16	/* value stack slots of an interpreter */
#define GIL_LOCALS_MAX	8	/* locals (arguments first) */
#define GIL_IO_BUF_BYTES 4096	/* recv/send buffer of an interpreter */

/* Values are int64_t; arithmetic wraps (two's complement). */
enum gil_op {
	GIL_OP_CONST,		/* push consts[a] */
	GIL_OP_LOAD,		/* push locals[a] */
	GIL_OP_STORE,		/* locals[a] = pop */
	GIL_OP_ADD,		/* y = pop, x = pop, push x + y */
	GIL_OP_SUB,		/* y = pop, x = pop, push x - y */
	GIL_OP_CMP,		/* y = pop, x = pop, push (x <a> y) ? 1 : 0 */
	GIL_OP_JUMP,		/* go to instruction a */
	GIL_OP_JUMP_IF_FALSE,	/* pop; if 0 go to instruction a */
	GIL_OP_CALL,		/* pop b arguments, push builtins[a](args) */
	GIL_OP_POP,		/* drop the top value */
	GIL_OP_RETURN,		/* end the run with the popped value */
};
#define GIL_OP_COUNT 11

/* GIL_OP_CMP's `a` */
enum gil_cmp { GIL_CMP_LT, GIL_CMP_LE, GIL_CMP_EQ, GIL_CMP_NE, GIL_CMP_GT, GIL_CMP_GE };

/* A jump whose target is at or before the jump itself is a back-edge:
 * that is where the eval breaker is polled. */
struct gil_insn {
	uint8_t op;		/* enum gil_op */
	uint8_t b;		/* GIL_OP_CALL: number of arguments */
	int32_t a;		/* index, target, comparison or built-in */
};

/*
 * A built-in: fn gets the interpreter and its `nargs` arguments (first
 * pushed first) and returns the value pushed.  `blocking` built-ins run
 * with the lock released (they may block in the kernel but must not
 * touch the gil or other interpreters); others run with it held.
 */
struct gil_builtin {
	const char *name;
	int64_t (*fn)(struct gil_vm *vm, const int64_t *args);
	uint8_t nargs;
	bool blocking;
};

/* A program: a function of `nargs` int64_t arguments (locals 0 ..
 * nargs-1; the other locals start at 0). */
struct gil_code {
	const char *name;
	const struct gil_insn *insns;
	const int64_t *consts;
	const struct gil_builtin *builtins;
	uint32_t ninsns, nconsts, nbuiltins;
	uint8_t nargs, nlocals;
};

/*
 * Check a program: known opcodes, indices in range, jump targets inside,
 * CALL's b equal to the built-in's nargs, no path falling off the end,
 * the stack depth the same on every path into an instruction, never
 * below 0 nor above GIL_STACK_MAX.  Returns 0 or -EINVAL.
 */
int gil_code_verify(const struct gil_code *code);

/* recv(fd): read up to GIL_IO_BUF_BYTES into the interpreter's buffer;
 * returns the byte count, 0 at end of file, or -errno.
 * send(fd, n): write the buffer's first n bytes (clamped to 0 ..
 * GIL_IO_BUF_BYTES), all of them; returns n or -errno.
 * Both are blocking (lock released), retry on EINTR, and work on any
 * stream descriptor (socket, pipe). */
extern const struct gil_builtin gil_builtin_recv;
extern const struct gil_builtin gil_builtin_send;

/*
 * The programs.  Each comment gives the Python it stands for and how
 * many bytecodes a run executes, so that a benchmark can check that the
 * work it reports was done.
 *
 * countdown(n):  while n > 0: n -= 1      -> returns n (0 for n >= 0)
 *                9 per iteration (the loop of CPython 3.x's bytecode)
 * cpu(n):        i = acc = 0
 *                while i < n: acc += i; i += 1     -> returns acc
 *                13 per iteration; pass INT64_MAX to run until stopped
 * echo(fd):      k = 0; m = recv(fd)
 *                while m > 0: send(fd, m); k += 1; m = recv(fd)
 *                -> returns k, the messages echoed, at end of file or on
 *                an error
 */
extern const struct gil_code gil_code_countdown;
extern const struct gil_code gil_code_cpu;
extern const struct gil_code gil_code_echo;
#define GIL_COUNTDOWN_INSNS(n)	(9 * (uint64_t)(n) + 6)		/* n >= 0 */
#define GIL_CPU_INSNS(n)	(13 * (uint64_t)(n) + 6)	/* n >= 0 */

/* ------------------------------------------------------------------ */
/* Interpreters                                                        */

/*
 * Make an interpreter on gil g with optional timing hooks (copied; NULL
 * for none).  Its id (gil_vm_id, the owner word's value) is unique
 * among g's interpreters and never 0.  Returns 0 or -ENOMEM.
 */
int gil_vm_create(struct gil_vm **out, struct gil *g, const struct gil_hooks *hooks);
/* Free an idle interpreter (not inside gil_vm_run). */
void gil_vm_destroy(struct gil_vm *vm);
uint32_t gil_vm_id(const struct gil_vm *vm);
struct gil *gil_vm_gil(const struct gil_vm *vm);

/*
 * Run code(args[0 .. code->nargs-1]) on the calling thread: take the
 * lock (as a Python thread does when it starts), execute, release it at
 * the end.  Stores the returned value in *result (may be NULL).  Returns
 * 0; -ECANCELED if stopped (gil_vm_stop) at entry or at a back-edge;
 * -EINVAL if the code fails gil_code_verify (nothing run).
 */
int gil_vm_run(struct gil_vm *vm, const struct gil_code *code,
	       const int64_t *args, int64_t *result);
/*
 * Ask vm, from any thread, to stop: its current run, or its next one if
 * none is going on, returns -ECANCELED at entry or its next back-edge
 * (a blocking built-in finishes its system call first: to stop an echo,
 * shut its socket down).  The request stays until a run reports it.
 */
void gil_vm_stop(struct gil_vm *vm);
enum gil_vm_state gil_vm_state(const struct gil_vm *vm);
void gil_vm_stats_get(const struct gil_vm *vm, struct gil_vm_stats *out);

#endif
