/*
 * harness/runner.c - spawn, pin, gate, time and collect one configuration.
 *
 * Memory layout: everything the runner child, its tasks and the parent
 * share lives in one MAP_SHARED mapping made before any fork, so the
 * same code serves threads and forked processes:
 *
 *   struct rn_result      status, reason, iteration count, sample arrays
 *   struct rn_shared      the gate and one cache line per task
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/runner.h"
#include "harness/stats.h"
#include "harness/topo.h"
#include "primitives/arch/cpu.h"
#include "primitives/futex.h"

volatile sig_atomic_t runner_interrupted;

/* RN_COUNT is RN_RUN with counters open: counted rounds are separate from
 * timed ones because every open perf event adds work to each context
 * switch, which is exactly what ctx.* measures. */
enum rn_phase { RN_RUN, RN_BASELINE, RN_COUNT, RN_STOP };

/* Counted rounds after the timed ones: enough for a median. */
#define RN_COUNT_ROUNDS 3

/* One task's mailbox and report, a cache line of its own so that tasks
 * finishing at once do not bounce each other's lines. */
struct rn_slot {
	uint32_t round;		/* futex: the parent bumps it to start a round */
	int cpu;		/* OS processor id to bind to, -1 none */
	int err;		/* -errno of a setup failure in this task */
	char err_what[48];
	int cpu_seen;
	uint64_t t_start, t_end, ops;
	double ctr[CTR_MAX];
	int ctr_err[CTR_MAX];
} CPU_ALIGNED;

struct rn_shared {
	uint32_t ready CPU_ALIGNED;	/* tasks arrived at the gate */
	uint32_t go CPU_ALIGNED;	/* round number once the gate is open */
	uint32_t done CPU_ALIGNED;	/* futex: tasks finished the round */
	uint32_t phase, participants;
	uint64_t iters;
	uint32_t round;			/* parent only */
	struct rn_slot slot[];
};

struct rn_result {
	int status;
	char reason[256];
	char stage[64];		/* what the runner was doing, for the watchdog */
	uint64_t iters;
	int reps;
	int ctr_rounds;
	int ctr_ok[CTR_MAX], ctr_err[CTR_MAX];
	/* then: double run_ns[reps], base_ns[reps], ops[reps], jain[reps],
	 * ctr_ops[RN_COUNT_ROUNDS], ctr[RN_COUNT_ROUNDS * n]; int cpus_seen[ntasks] */
};

struct rn_arrays {
	double *run_ns, *base_ns, *ops, *jain, *ctr_ops, *ctr;
	int *cpus_seen;
};

static size_t rn_result_size(int reps, int nctr, int ntasks)
{
	return sizeof(struct rn_result) +
	       sizeof(double) * ((size_t)reps * 4 + RN_COUNT_ROUNDS * (1 + (size_t)nctr)) +
	       sizeof(int) * (size_t)ntasks;
}

static void rn_arrays(struct rn_result *r, int reps, int nctr, struct rn_arrays *a)
{
	double *d = (double *)(r + 1);

	a->run_ns = d;
	a->base_ns = d + reps;
	a->ops = d + 2 * reps;
	a->jain = d + 3 * reps;
	a->ctr_ops = d + 4 * reps;
	a->ctr = a->ctr_ops + RN_COUNT_ROUNDS;
	a->cpus_seen = (int *)(a->ctr + (size_t)RN_COUNT_ROUNDS * nctr);
}

static void *rn_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- what workloads call ------------------------------------------------ */

struct bench_shm {
	void *addr;
	size_t size;
	struct bench_shm *next;
};

void *bench_shared_alloc(struct bench_state *st, size_t size)
{
	struct bench_shm *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->size = size ? size : 1;
	s->addr = rn_map(s->size);
	if (!s->addr) {
		free(s);
		return NULL;
	}
	s->next = st->shm_list;
	st->shm_list = s;
	return s->addr;
}

static void rn_shared_free_all(struct bench_state *st)
{
	while (st->shm_list) {
		struct bench_shm *s = st->shm_list;
		st->shm_list = s->next;
		munmap(s->addr, s->size);
		free(s);
	}
}

static int rn_param_index(const struct bench_state *st, const char *key)
{
	for (int i = 0; st->desc->params && st->desc->params[i].name; i++)
		if (strcmp(st->desc->params[i].name, key) == 0)
			return i;
	fprintf(stderr, "contend: %s: asks for undeclared parameter '%s'\n", st->desc->name, key);
	abort();	/* a bug in the workload, not bad input */
}

const char *bench_param_str(const struct bench_state *st, const char *key)
{
	return st->param_values[rn_param_index(st, key)];
}

long long bench_param_int(const struct bench_state *st, const char *key)
{
	return strtoll(bench_param_str(st, key), NULL, 0);
}

/* ---- tasks ------------------------------------------------------------- */

struct rn_ctx {
	const struct runner_config *cfg;
	struct bench_state *st;
	struct rn_shared *sh;
};

struct rn_task_arg {
	struct rn_ctx *ctx;
	int id;
};

static void rn_task_fail(struct rn_slot *slot, int err, const char *what)
{
	if (slot->err == 0) {
		slot->err = err;
		snprintf(slot->err_what, sizeof(slot->err_what), "%s", what);
	}
}

/* Wait at the start gate.  The last task to arrive opens it, so no third
 * party is needed.  Waiters spin (a futex wake-up would stagger the start
 * by microseconds) but yield the processor after a short while: with
 * same-core placement the task that has yet to arrive needs this CPU. */
static void rn_gate(struct rn_shared *sh, uint32_t round)
{
	/* acq_rel: the opener must see every arrival; arrivals publish nothing. */
	if (__atomic_add_fetch(&sh->ready, 1, __ATOMIC_ACQ_REL) == sh->participants) {
		__atomic_store_n(&sh->go, round, __ATOMIC_RELEASE);
		return;
	}
	for (unsigned spins = 0; __atomic_load_n(&sh->go, __ATOMIC_ACQUIRE) != round; spins++) {
		if (spins < 128)
			cpu_relax();
		else
			sched_yield();
	}
}

static int rn_any_failed(const struct rn_shared *sh, int ntasks)
{
	for (int i = 0; i < ntasks; i++)
		if (sh->slot[i].err)
			return 1;
	return 0;
}

static void rn_task_loop(struct rn_ctx *ctx, int id)
{
	const struct runner_config *cfg = ctx->cfg;
	struct rn_shared *sh = ctx->sh;
	struct rn_slot *slot = &sh->slot[id];
	struct bench_task t = { .st = ctx->st, .id = id };
	struct ctr_task ctrs;
	double c0[CTR_MAX], c1[CTR_MAX];
	uint32_t seen = 0, participants;
	int r, counting;

	r = topo_bind_self(slot->cpu);
	if (r < 0)
		rn_task_fail(slot, r, "binding to its processor");
	if (!slot->err && cfg->desc->task_init && (r = cfg->desc->task_init(&t)) < 0)
		rn_task_fail(slot, r, "task_init");

	for (;;) {
		uint32_t round;
		uint64_t t0, t1, ops = 0;

		/* acquire: phase and iters were written before the round bump. */
		while ((round = __atomic_load_n(&slot->round, __ATOMIC_ACQUIRE)) == seen)
			futex_wait(&slot->round, seen, NULL, 1);
		seen = round;
		if (sh->phase == RN_STOP)
			break;
		counting = sh->phase == RN_COUNT;
		if (counting) {
			ctr_task_open(cfg->ctrs, &ctrs);
			for (int i = 0; i < cfg->ctrs->n; i++)
				slot->ctr_err[i] = ctrs.err[i];
			ctr_task_read(cfg->ctrs, &ctrs, c0);
		}
		rn_gate(sh, round);
		t0 = clk_now();
		/* If any task failed its setup, nobody runs: its partners
		 * would wait for it for ever.  Its err was written before it
		 * reached the gate, and the gate orders that write before us. */
		if (!rn_any_failed(sh, cfg->ntasks))
			ops = sh->phase == RN_BASELINE ? cfg->desc->baseline(&t, sh->iters)
						       : cfg->desc->run(&t, sh->iters);
		t1 = clk_now();
		if (counting) {
			ctr_task_read(cfg->ctrs, &ctrs, c1);
			ctr_task_close(cfg->ctrs, &ctrs);
			for (int i = 0; i < cfg->ctrs->n; i++)
				slot->ctr[i] = c1[i] - c0[i];
		}
		slot->t_start = t0;
		slot->t_end = t1;
		slot->ops = ops;
		slot->cpu_seen = sched_getcpu();
		/* Read before we count ourselves done: from then on the parent
		 * may already be setting up the next round. */
		participants = sh->participants;
		/* release: the parent reads this slot once done counts us. */
		if (__atomic_add_fetch(&sh->done, 1, __ATOMIC_RELEASE) == participants)
			futex_wake(&sh->done, 1, 1);
	}
	if (cfg->desc->task_fini && !slot->err)
		cfg->desc->task_fini(&t);
}

static void *rn_thread_main(void *p)
{
	struct rn_task_arg *a = p;

	rn_task_loop(a->ctx, a->id);
	return NULL;
}

/* ---- the runner child -------------------------------------------------- */

struct rn_round_out {
	double ns;
	double ops;
	double jain;
	double ctr[CTR_MAX];
	int err_task;
	int dead_task;		/* a task process that died, or -1 */
	int dead_status;
};

/* Forked tasks of the running configuration, so that a round can notice
 * one that died instead of waiting for it until the watchdog fires. */
static pid_t *rn_task_pids;
static int rn_task_npids;

/* 0, or the id of a task process that has died (its status in *status). */
static int rn_dead_task(int *status)
{
	for (int i = 0; i < rn_task_npids; i++)
		if (rn_task_pids[i] > 0 && waitpid(rn_task_pids[i], status, WNOHANG) == rn_task_pids[i]) {
			rn_task_pids[i] = -1;
			return i + 1;
		}
	return 0;
}

static void rn_round(struct rn_shared *sh, int ntasks, enum rn_phase phase, uint64_t iters,
		     int nctr, struct rn_round_out *out)
{
	uint32_t n = phase == RN_BASELINE ? 1 : (uint32_t)ntasks, d;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	double ops[ntasks > 0 ? ntasks : 1];

	sh->phase = phase;
	sh->iters = iters;
	sh->participants = n;
	sh->ready = 0;
	sh->done = 0;
	sh->round++;
	for (uint32_t i = 0; i < n; i++) {
		/* release: phase, iters and the counters above go first. */
		__atomic_store_n(&sh->slot[i].round, sh->round, __ATOMIC_RELEASE);
		futex_wake(&sh->slot[i].round, 1, 1);
	}
	if (phase == RN_STOP)
		return;
	out->dead_task = -1;
	while ((d = __atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) < n) {
		/* 100 ms: wake now and then to look for a dead task process;
		 * threads cannot die alone (a crash takes the runner). */
		struct timespec tick = { 0, 100000000 };
		int dead, status;

		if (futex_wait(&sh->done, d, rn_task_npids ? &tick : NULL, 1) == -ETIMEDOUT &&
		    (dead = rn_dead_task(&status))) {
			out->dead_task = dead - 1;
			out->dead_status = status;
			return;
		}
	}

	out->err_task = -1;
	out->ops = 0;
	for (int c = 0; c < nctr; c++)
		out->ctr[c] = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct rn_slot *s = &sh->slot[i];
		if (s->err && out->err_task < 0)
			out->err_task = (int)i;
		if (s->t_start < t0)
			t0 = s->t_start;
		if (s->t_end > t1)
			t1 = s->t_end;
		ops[i] = (double)s->ops;
		out->ops += ops[i];
		for (int c = 0; c < nctr; c++)
			out->ctr[c] += s->ctr[c];	/* NaN stays NaN */
	}
	out->ns = clk_ns(t1 - t0);
	out->jain = stats_jain_index(ops, n);
}

static void rn_stage(struct rn_result *r, const char *fmt, int a, int b)
{
	snprintf(r->stage, sizeof(r->stage), fmt, a, b);
}

/* Beyond this a round of a real workload would last hours. */
#define RN_MAX_ITERS (UINT64_C(1) << 40)

/* The count that would make a round of `ns` for `iters` last `target`,
 * kept within [1, RN_MAX_ITERS]. */
static uint64_t rn_scale(uint64_t iters, double ns, double target)
{
	double want = ceil((double)iters * target / (ns > 1 ? ns : 1));

	if (!(want >= 1))
		return 1;
	return want > (double)RN_MAX_ITERS ? RN_MAX_ITERS : (uint64_t)want;
}

/*
 * Some exchanges are bimodal: two tasks on two cores may hand a futex
 * word back and forth without ever sleeping (~0.3 us a round trip) and
 * then fall into sleeping on every hand-off (~40 us on a virtual
 * machine).  An iteration count calibrated in the fast mode would make a
 * round in the slow mode last a hundred times the target, so after a
 * round four times too long the count shrinks for the next one.  Every
 * value is per operation of its own round, so rounds of different
 * lengths stay comparable; samples.csv records each round's operations.
 */
static uint64_t rn_rescale(uint64_t iters, double ns, double target)
{
	return ns <= 4 * target ? iters : rn_scale(iters, ns, target);
}

/* Calibrate, warm up and measure.  Returns 0, or 1 with r->reason set. */
static int rn_measure(const struct runner_config *cfg, struct rn_shared *sh,
		      struct rn_result *r, struct rn_arrays *a, uint64_t totals[2])
{
	const struct bench_desc *d = cfg->desc;
	int nctr = cfg->ctrs->n, n = cfg->ntasks;
	double target = cfg->min_time_s * 1e9;
	uint64_t iters = 1, run_total = 0, base_total = 0;
	struct rn_round_out o, b;

	rn_stage(r, "calibrating", 0, 0);
	/* Grow the count until a round lasts a quarter of the target: fast
	 * while rounds are tiny, gently near the target, so that neither
	 * timer granularity nor a cold first round (spawn, page faults, an
	 * idle processor waking) decides the estimate. */
	for (int round = 0;; round++) {
		rn_round(sh, n, RN_RUN, iters, nctr, &o);
		run_total += iters;
		if (o.err_task >= 0 || o.dead_task >= 0)
			goto task_failed;
		if (round > 0 && o.ns >= target / 4)
			break;
		if (iters >= RN_MAX_ITERS) {
			snprintf(r->reason, sizeof(r->reason), "%llu iterations took only %.0f ns: "
				 "run() does not seem to do its iterations",
				 (unsigned long long)iters, o.ns);
			r->status = RUNNER_FAILED;
			return 1;
		}
		if (round > 0 || o.ns < target / 4)
			iters *= o.ns < target / 100 ? 10 : 2;
	}
	/* Scale to the target, warm up at that count, and correct once more
	 * from the warm round (the extrapolation may have crossed a cache
	 * or scheduler regime). */
	for (int warm = 0; warm < 2; warm++) {
		iters = rn_scale(iters, o.ns, target);
		rn_stage(r, "warming up", 0, 0);
		rn_round(sh, n, RN_RUN, iters, nctr, &o);
		run_total += iters;
		if (o.err_task >= 0 || o.dead_task >= 0)
			goto task_failed;
		if (o.ns > target / 2 && o.ns < target * 2)
			break;
	}
	r->iters = iters;
	if (d->baseline) {
		rn_round(sh, n, RN_BASELINE, iters, nctr, &b);
		base_total += iters;
		if (b.err_task >= 0 || b.dead_task >= 0) {
			o = b;
			goto task_failed;
		}
	}

	for (int rep = 0; rep < cfg->reps; rep++) {
		rn_stage(r, "repetition %d of %d", rep + 1, cfg->reps);
		rn_round(sh, n, RN_RUN, iters, nctr, &o);
		run_total += iters;
		if (o.err_task >= 0 || o.dead_task >= 0)
			goto task_failed;
		if (d->baseline) {
			rn_round(sh, n, RN_BASELINE, iters, nctr, &b);
			base_total += iters;
			if (b.err_task >= 0 || b.dead_task >= 0) {
				o = b;
				goto task_failed;
			}
		}
		a->run_ns[rep] = o.ns;
		a->base_ns[rep] = d->baseline ? b.ns : NAN;
		a->ops[rep] = o.ops;
		a->jain[rep] = o.jain;
		r->reps = rep + 1;
		iters = rn_rescale(iters, o.ns, target);
		r->iters = iters;
	}
	for (int k = 0; nctr && k < RN_COUNT_ROUNDS; k++) {
		rn_stage(r, "counting, round %d of %d", k + 1, RN_COUNT_ROUNDS);
		rn_round(sh, n, RN_COUNT, iters, nctr, &o);
		run_total += iters;
		if (o.err_task >= 0 || o.dead_task >= 0)
			goto task_failed;
		a->ctr_ops[k] = o.ops;
		for (int c = 0; c < nctr; c++)
			a->ctr[(size_t)k * nctr + c] = o.ctr[c];
		r->ctr_rounds = k + 1;
		iters = rn_rescale(iters, o.ns, target);
	}
	for (int i = 0; i < n; i++)
		a->cpus_seen[i] = sh->slot[i].cpu_seen;
	for (int c = 0; c < nctr; c++) {
		r->ctr_ok[c] = 1;
		for (int i = 0; i < n; i++)
			if (sh->slot[i].ctr_err[c]) {
				r->ctr_ok[c] = 0;
				r->ctr_err[c] = sh->slot[i].ctr_err[c];
			}
	}
	totals[0] = run_total;
	totals[1] = base_total;
	return 0;

task_failed:
	if (o.dead_task >= 0) {
		snprintf(r->reason, sizeof(r->reason), "task %d died (%s) while %s", o.dead_task,
			 WIFSIGNALED(o.dead_status) ? strsignal(WTERMSIG(o.dead_status))
						    : "exited early", r->stage);
		r->status = RUNNER_FAILED;
		return 1;
	}
	snprintf(r->reason, sizeof(r->reason), "task %d: %s failed: %s", o.err_task,
		 sh->slot[o.err_task].err_what, strerror(-sh->slot[o.err_task].err));
	r->status = RUNNER_FAILED;
	return 1;
}

/* Everything the runner child does; its exit status is irrelevant, the
 * outcome is in r. */
static void rn_child(const struct runner_config *cfg, struct rn_result *r)
{
	const struct bench_desc *d = cfg->desc;
	struct bench_state st = {
		.desc = d, .mode = cfg->mode, .ntasks = cfg->ntasks,
		.param_values = cfg->param_values,
	};
	struct rn_arrays a;
	struct rn_shared *sh;
	struct rn_ctx ctx = { .cfg = cfg, .st = &st };
	struct rn_task_arg args[cfg->ntasks];
	pthread_t threads[cfg->ntasks];
	pid_t pids[cfg->ntasks];
	uint64_t totals[2] = { 0, 0 };
	int spawned = 0, ret;
	const char *why;

	rn_arrays(r, cfg->reps, cfg->ctrs->n, &a);
	rn_stage(r, "setup", 0, 0);
	if (d->setup && (ret = d->setup(&st)) < 0) {
		snprintf(r->reason, sizeof(r->reason), "setup failed: %s", strerror(-ret));
		r->status = RUNNER_FAILED;
		return;
	}
	sh = rn_map(sizeof(*sh) + sizeof(struct rn_slot) * (size_t)cfg->ntasks);
	if (!sh) {
		snprintf(r->reason, sizeof(r->reason), "mapping the start gate: %s", strerror(errno));
		r->status = RUNNER_FAILED;
		goto teardown;
	}
	ctx.sh = sh;
	for (int i = 0; i < cfg->ntasks; i++)
		sh->slot[i].cpu = cfg->cpus[i];

	rn_stage(r, "spawning tasks", 0, 0);
	if (cfg->mode == BENCH_MODE_PROCESS) {
		rn_task_pids = pids;
		rn_task_npids = 0;
	}
	for (int i = 0; i < cfg->ntasks; i++, spawned++) {
		args[i] = (struct rn_task_arg){ .ctx = &ctx, .id = i };
		if (cfg->mode == BENCH_MODE_THREAD) {
			ret = -pthread_create(&threads[i], NULL, rn_thread_main, &args[i]);
		} else {
			pids[i] = fork();
			ret = pids[i] < 0 ? -errno : 0;
			if (pids[i] == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				rn_task_npids = 0;
				rn_task_loop(&ctx, i);
				_exit(0);
			}
			if (pids[i] > 0)
				rn_task_npids = i + 1;
		}
		if (ret < 0) {
			snprintf(r->reason, sizeof(r->reason), "spawning task %d: %s", i, strerror(-ret));
			r->status = RUNNER_FAILED;
			break;
		}
	}
	if (spawned == cfg->ntasks && rn_measure(cfg, sh, r, &a, totals) == 0)
		r->status = RUNNER_OK;

	rn_stage(r, "stopping tasks", 0, 0);
	/* After a failure a surviving task process may be stuck in the
	 * workload (waiting for a partner that died) and never see STOP. */
	if (r->status != RUNNER_OK && cfg->mode == BENCH_MODE_PROCESS)
		for (int i = 0; i < spawned; i++)
			if (pids[i] > 0)
				kill(pids[i], SIGKILL);
	sh->participants = (uint32_t)spawned;
	rn_round(sh, spawned, RN_STOP, 0, 0, NULL);
	for (int i = 0; i < spawned; i++) {
		if (cfg->mode == BENCH_MODE_THREAD)
			pthread_join(threads[i], NULL);
		else if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	}
	rn_stage(r, "checking", 0, 0);
	if (r->status == RUNNER_OK && d->check && (why = d->check(&st, totals[0], totals[1]))) {
		snprintf(r->reason, sizeof(r->reason), "check failed: %s", why);
		r->status = RUNNER_FAILED;
	}
	munmap(sh, sizeof(*sh) + sizeof(struct rn_slot) * (size_t)cfg->ntasks);
teardown:
	rn_stage(r, "teardown", 0, 0);
	if (d->teardown)
		d->teardown(&st);
	rn_shared_free_all(&st);
}

/* ---- the parent: watchdog ---------------------------------------------- */

static void rn_on_signal(int sig)
{
	(void)sig;
	runner_interrupted = 1;
}

void runner_install_signals(void)
{
	struct sigaction sa = { .sa_handler = rn_on_signal };

	/* No SA_RESTART: the wait below must return on Ctrl-C. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Wait for pid for at most budget_s; 0 if it exited (status in *status),
 * 1 on timeout, 2 on interrupt.  Blocks in ppoll() on a pidfd so that
 * the parent never wakes while the benchmark runs; where pidfds are
 * missing it looks every 50 ms. */
static int rn_wait(pid_t pid, double budget_s, int *status)
{
	uint64_t deadline = clk_mono_ns() + (uint64_t)(budget_s * 1e9);
#ifdef SYS_pidfd_open
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	int pfd = -1;
#endif
	sigset_t block, old;
	int ret;

	/* Ctrl-C is let in only inside the wait, so one that lands between
	 * the check below and the wait cannot be missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		uint64_t now = clk_mono_ns();

		if (waitpid(pid, status, WNOHANG) == pid) {
			ret = 0;
			break;
		}
		if (runner_interrupted) {
			ret = 2;
			break;
		}
		if (now >= deadline) {
			ret = 1;
			break;
		}
		if (pfd >= 0) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };
			uint64_t left = deadline - now;
			struct timespec ts = { (time_t)(left / 1000000000u),
					       (long)(left % 1000000000u) };
			ppoll(&p, 1, &ts, &old);
		} else {
			struct timespec ts = { 0, 50000000 };
			sigprocmask(SIG_SETMASK, &old, NULL);
			nanosleep(&ts, NULL);
			sigprocmask(SIG_BLOCK, &block, NULL);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pfd >= 0)
		close(pfd);
	return ret;
}

int runner_run(const struct runner_config *cfg, struct runner_result *res)
{
	int nctr = cfg->ctrs->n, status = 0, w;
	size_t size = rn_result_size(cfg->reps, nctr, cfg->ntasks);
	struct rn_result *r = rn_map(size);
	struct rn_arrays a;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (!r)
		return -errno;
	r->status = RUNNER_FAILED;
	snprintf(r->reason, sizeof(r->reason), "runner exited without a result");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		munmap(r, size);
		return -e;
	}
	if (pid == 0) {
		/* Own process group: the watchdog kills tasks and all.  And
		 * die with the parent, should it be killed outright. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		rn_child(cfg, r);
		_exit(0);
	}
	setpgid(pid, pid);	/* also here, so kill(-pid) works at once */
	w = rn_wait(pid, cfg->budget_s, &status);
	if (w) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (w == 2) {
			r->status = RUNNER_INTERRUPTED;
			snprintf(r->reason, sizeof(r->reason), "interrupted while %s", r->stage);
		} else {
			r->status = RUNNER_FAILED;
			snprintf(r->reason, sizeof(r->reason),
				 "exceeded its time budget of %.0f s while %s (raise --timeout?)",
				 cfg->budget_s, r->stage);
		}
	} else if (WIFSIGNALED(status)) {
		r->status = RUNNER_FAILED;
		snprintf(r->reason, sizeof(r->reason), "crashed with %s while %s",
			 strsignal(WTERMSIG(status)), r->stage);
	}
	/* Sweep up any task process that outlived the runner. */
	kill(-pid, SIGKILL);

	res->status = r->status;
	snprintf(res->reason, sizeof(res->reason), "%s", r->reason);
	res->iters = r->iters;
	res->reps = r->status == RUNNER_OK ? r->reps : 0;
	memcpy(res->ctr_ok, r->ctr_ok, sizeof(res->ctr_ok));
	memcpy(res->ctr_err, r->ctr_err, sizeof(res->ctr_err));
	rn_arrays(r, cfg->reps, nctr, &a);
	res->run_ns = malloc(sizeof(double) * (size_t)cfg->reps);
	res->base_ns = cfg->desc->baseline ? malloc(sizeof(double) * (size_t)cfg->reps) : NULL;
	res->ops = malloc(sizeof(double) * (size_t)cfg->reps);
	res->jain = malloc(sizeof(double) * (size_t)cfg->reps);
	res->ctr_rounds = r->status == RUNNER_OK ? r->ctr_rounds : 0;
	res->ctr_ops = malloc(sizeof(double) * RN_COUNT_ROUNDS);
	res->ctr = malloc(sizeof(double) * RN_COUNT_ROUNDS * (size_t)(nctr ? nctr : 1));
	res->cpus_seen = malloc(sizeof(int) * (size_t)cfg->ntasks);
	if (!res->run_ns || (cfg->desc->baseline && !res->base_ns) || !res->ops || !res->jain ||
	    !res->ctr || !res->ctr_ops || !res->cpus_seen) {
		runner_result_free(res);
		munmap(r, size);
		return -ENOMEM;
	}
	memcpy(res->run_ns, a.run_ns, sizeof(double) * (size_t)cfg->reps);
	if (res->base_ns)
		memcpy(res->base_ns, a.base_ns, sizeof(double) * (size_t)cfg->reps);
	memcpy(res->ops, a.ops, sizeof(double) * (size_t)cfg->reps);
	memcpy(res->jain, a.jain, sizeof(double) * (size_t)cfg->reps);
	memcpy(res->ctr_ops, a.ctr_ops, sizeof(double) * RN_COUNT_ROUNDS);
	memcpy(res->ctr, a.ctr, sizeof(double) * RN_COUNT_ROUNDS * (size_t)nctr);
	memcpy(res->cpus_seen, a.cpus_seen, sizeof(int) * (size_t)cfg->ntasks);
	munmap(r, size);
	return 0;
}

void runner_result_free(struct runner_result *res)
{
	free(res->run_ns);
	free(res->base_ns);
	free(res->ops);
	free(res->jain);
	free(res->ctr);
	free(res->ctr_ops);
	free(res->cpus_seen);
	memset(res, 0, sizeof(*res));
}
