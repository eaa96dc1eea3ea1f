/*
 * harness/team.c - spawn, pin, gate and collect the tasks of one
 * configuration, one round at a time (see team.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/stats.h"
#include "harness/team.h"
#include "harness/topo.h"
#include "primitives/arch/cpu.h"
#include "primitives/futex.h"

/* One task's mailbox and report, a cache line of its own so that tasks
 * finishing at once do not bounce each other's lines. */
struct team_slot {
	uint32_t round;		/* futex: the runner bumps it to start a round */
	int cpu;		/* OS processor id to bind to, -1 none */
	int err;		/* -errno of a setup failure in this task */
	char err_what[48];
	const char *skip_why;	/* bench_skip()'s reason (a literal: valid in
				   every process of the runner) */
	int cpu_seen;
	pid_t tid;		/* the task's thread id: not a helper */
	uint64_t t_start, t_end, ops;
	double cpu_ns;
	double invol_switches;	/* getrusage around the round, NaN unknown */
	double ctr[CTR_MAX];
	int ctr_err[CTR_MAX];
	struct bench_rec rec;
} CPU_ALIGNED;

struct team_shared {
	uint32_t ready CPU_ALIGNED;	/* tasks arrived at the gate */
	uint32_t go CPU_ALIGNED;	/* round number once the gate is open */
	uint32_t done CPU_ALIGNED;	/* futex: tasks finished the round */
	uint32_t phase, counting, participants;
	uint64_t iters;
	uint32_t round;			/* runner only */
	struct team_slot slot[];
};

struct team_arg {
	struct team *tm;
	int id;
};

void *team_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t team_shared_size(int ntasks)
{
	return sizeof(struct team_shared) + sizeof(struct team_slot) * (size_t)ntasks;
}

static void team_task_fail(struct team_slot *slot, int err, const char *what)
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
static void team_gate(struct team_shared *sh, uint32_t round)
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

static int team_any_failed(const struct team_shared *sh, int ntasks)
{
	for (int i = 0; i < ntasks; i++)
		if (sh->slot[i].err)
			return 1;
	return 0;
}

/* Involuntary context switches of the calling thread so far. */
static double team_invol(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) == 0 ? (double)ru.ru_nivcsw : NAN;
}

static void team_task_loop(struct team *tm, int id)
{
	const struct runner_config *cfg = tm->cfg;
	struct team_shared *sh = tm->sh;
	struct team_slot *slot = &sh->slot[id];
	struct bench_task t = { .st = tm->st, .id = id, .rec = &slot->rec };
	struct ctr_task ctrs;
	struct ctr_sample c0, c1;
	uint32_t seen = 0;
	int r, counters_open = 0;

	slot->tid = gettid();
	r = topo_bind_self(slot->cpu);
	if (r < 0)
		team_task_fail(slot, r, "binding to its processor");
	if (!slot->err && cfg->desc->task_init && (r = cfg->desc->task_init(&t)) < 0) {
		if (r == -ENOTSUP)
			slot->skip_why = __atomic_load_n(&tm->st->skip_reason, __ATOMIC_RELAXED);
		team_task_fail(slot, r, "task_init");
	}

	for (;;) {
		uint32_t round, participants;
		uint64_t t0, t1, ops = 0;
		double cpu0, invol0;
		int counting, blocked;

		/* acquire: phase and iters were written before the round bump. */
		while ((round = __atomic_load_n(&slot->round, __ATOMIC_ACQUIRE)) == seen)
			futex_wait(&slot->round, seen, NULL, 1);
		seen = round;
		if (sh->phase == TEAM_STOP)
			break;
		counting = (int)sh->counting;
		/* Counted rounds come after every timed one, so counters stay
		 * open from the first to the end: no open perf event ever
		 * slows a timed round. */
		if (counting && !counters_open) {
			ctr_task_open(cfg->ctrs, &ctrs);
			for (int i = 0; i < cfg->ctrs->n; i++)
				slot->ctr_err[i] = ctrs.err[i];
			counters_open = 1;
		}
		/* Before the gate: a system call nobody's time includes. */
		invol0 = team_invol();
		team_gate(sh, round);
		/* If any task failed its setup, nobody runs: its partners
		 * would wait for it for ever.  Its err was written before it
		 * reached the gate, and the gate orders that write before us.
		 * Looked at before the clocks start: it reads every task's
		 * slot, a cache line another processor last wrote, which no
		 * round's time or CPU time should carry. */
		blocked = team_any_failed(sh, cfg->ntasks);
		/* Read after the gate, so that a task waiting there for its
		 * partner (yielding: system calls) is not counted. */
		cpu0 = clk_thread_cpu_ns();
		if (counting)
			ctr_task_read(cfg->ctrs, &ctrs, &c0);
		t0 = clk_now();
		if (!blocked)
			ops = sh->phase == TEAM_BASELINE ? cfg->desc->baseline(&t, sh->iters)
							 : cfg->desc->run(&t, sh->iters);
		t1 = clk_now();
		if (counting) {
			ctr_task_read(cfg->ctrs, &ctrs, &c1);
			ctr_delta(cfg->ctrs, &c0, &c1, slot->ctr);
		}
		slot->cpu_ns = clk_thread_cpu_ns() - cpu0;
		slot->invol_switches = team_invol() - invol0;
		slot->t_start = t0;
		slot->t_end = t1;
		slot->ops = ops;
		slot->cpu_seen = sched_getcpu();
		/* Read before we count ourselves done: from then on the runner
		 * may already be setting up the next round. */
		participants = sh->participants;
		/* release: the runner reads this slot once done counts us. */
		if (__atomic_add_fetch(&sh->done, 1, __ATOMIC_RELEASE) == participants)
			futex_wake(&sh->done, 1, 1);
	}
	if (counters_open)
		ctr_task_close(cfg->ctrs, &ctrs);
	if (cfg->desc->task_fini && !slot->err)
		cfg->desc->task_fini(&t);
}

static void *team_thread_main(void *p)
{
	struct team_arg *a = p;

	team_task_loop(a->tm, a->id);
	return NULL;
}

enum team_status team_start(struct team *tm, const struct runner_config *cfg,
			    struct bench_state *st, char *reason, size_t len)
{
	int n = cfg->ntasks;
	pid_t runner = getpid();

	memset(tm, 0, sizeof(*tm));
	tm->cfg = cfg;
	tm->st = st;
	tm->sh = team_map(team_shared_size(n));
	tm->args = calloc((size_t)n, sizeof(*tm->args));
	tm->threads = calloc((size_t)n, sizeof(*tm->threads));
	tm->pids = calloc((size_t)n, sizeof(*tm->pids));
	if (!tm->sh || !tm->args || !tm->threads || !tm->pids) {
		snprintf(reason, len, "setting up the tasks: %s", strerror(ENOMEM));
		return TEAM_FAILED;
	}
	tm->nhist = bench_nhists(cfg->desc);
	if (tm->nhist) {
		tm->hists = team_map(sizeof(struct hist) * (size_t)n * (size_t)tm->nhist);
		if (!tm->hists) {
			snprintf(reason, len, "setting up the histograms: %s", strerror(ENOMEM));
			return TEAM_FAILED;
		}
	}
	for (int i = 0; i < n; i++) {
		tm->sh->slot[i].cpu = cfg->cpus[i];
		tm->sh->slot[i].rec.nhist = tm->nhist;
		tm->sh->slot[i].rec.hist = tm->nhist ? tm->hists + (size_t)i * tm->nhist : NULL;
	}
	for (int i = 0; i < n; i++) {
		int ret = 0;

		tm->args[i] = (struct team_arg){ .tm = tm, .id = i };
		if (cfg->mode == BENCH_MODE_THREAD) {
			ret = -pthread_create(&tm->threads[i], NULL, team_thread_main, &tm->args[i]);
		} else {
			pid_t pid = fork();

			if (pid == 0) {
				/* Die with the runner, whatever kills it. */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != runner)
					_exit(0);
				team_task_loop(tm, i);
				_exit(0);
			}
			ret = pid < 0 ? -errno : 0;
			tm->pids[i] = pid;
		}
		if (ret < 0) {
			snprintf(reason, len, "spawning task %d: %s", i, strerror(-ret));
			return TEAM_FAILED;
		}
		tm->spawned = i + 1;
	}
	return TEAM_OK;
}

/*
 * Helpers: the threads and processes the workload started before the
 * counted rounds (in setup or task_init: a pool's workers, a Python
 * child and its threads) and that still live.  They are found once, at
 * the first counted round, as every thread of the runner and of its
 * descendant processes that is neither the runner's own thread nor a
 * task, and each gets inherited counters of its own that the runner
 * reads around every counted round.  What a task starts once its
 * counters are open counts with it (inherit), so no helper is counted
 * twice.
 */
static int team_is_task(const struct team *tm, pid_t tid)
{
	for (int i = 0; i < tm->spawned; i++)
		if (tm->sh->slot[i].tid == tid)
			return 1;
	return 0;
}

/* The parent of process pid, from /proc/pid/stat, or -1. */
static pid_t team_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	/* "pid (comm) state ppid": comm may hold spaces and parentheses */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Add every thread of process pid that is a helper. */
static void team_add_threads(struct team *tm, pid_t pid, pid_t runner)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || tid == runner || team_is_task(tm, tid))
			continue;
		if (tm->nhelpers == TEAM_MAX_HELPERS) {
			tm->helpers_overflow = 1;	/* some would go uncounted */
			break;
		}
		tm->helper_tid[tm->nhelpers++] = tid;
	}
	closedir(d);
}

static void team_find_helpers(struct team *tm)
{
	pid_t runner = getpid(), procs[TEAM_MAX_HELPERS];
	int nprocs = 0, grew = 1;
	struct dirent *de;

	tm->nhelpers = 0;
	procs[nprocs++] = runner;
	/* Descendants: the processes whose parent is one of ours, until
	 * no pass finds another (a grandchild may come before its parent
	 * in /proc). */
	while (grew && !tm->helpers_overflow) {
		DIR *d = opendir("/proc");

		grew = 0;
		if (!d)
			break;
		while ((de = readdir(d))) {
			pid_t pid = (pid_t)atoi(de->d_name), pp;
			int known = 0;

			if (pid <= 0)
				continue;
			for (int k = 0; k < nprocs; k++)
				known |= procs[k] == pid;
			if (known || (pp = team_ppid(pid)) <= 0)
				continue;
			for (int k = 0; k < nprocs && !known; k++)
				known = procs[k] == pp;
			if (known && nprocs == TEAM_MAX_HELPERS) {
				tm->helpers_overflow = 1;
				break;
			}
			if (known) {
				procs[nprocs++] = pid;
				grew = 1;
			}
		}
		closedir(d);
	}
	for (int k = 0; k < nprocs; k++)
		team_add_threads(tm, procs[k], runner);
}

/* Open counters on every helper; a counter that some live helper could
 * not open is unmeasured, as one a task could not open. */
static void team_open_helpers(struct team *tm)
{
	const struct ctr_set *set = tm->cfg->ctrs;

	team_find_helpers(tm);
	for (int c = 0; tm->helpers_overflow && c < set->n; c++)
		tm->helper_err[c] = EMFILE;
	tm->helper_ctrs = calloc((size_t)(tm->nhelpers ? tm->nhelpers : 1),
				 sizeof(*tm->helper_ctrs));
	tm->helper_c0 = calloc((size_t)(tm->nhelpers ? tm->nhelpers : 1),
			       sizeof(*tm->helper_c0));
	if (!tm->helper_ctrs || !tm->helper_c0) {
		for (int c = 0; c < set->n; c++)
			tm->helper_err[c] = ENOMEM;
		tm->nhelpers = 0;
		return;
	}
	for (int h = 0; h < tm->nhelpers; h++) {
		ctr_task_open_on(set, &tm->helper_ctrs[h], tm->helper_tid[h]);
		for (int c = 0; c < set->n; c++) {
			int err = tm->helper_ctrs[h].err[c];

			/* ESRCH: it ended before we got to it */
			if (err && err != ESRCH && !set->unavailable[c])
				tm->helper_err[c] = err;
		}
	}
	tm->helpers_open = 1;
}

static void team_read_helpers(struct team *tm, struct ctr_sample *s)
{
	for (int h = 0; h < tm->nhelpers; h++)
		ctr_task_read(tm->cfg->ctrs, &tm->helper_ctrs[h], &s[h]);
}

/* Add what the helpers counted since team_read_helpers(c0) to sum. */
static void team_add_helpers(struct team *tm, const struct ctr_sample *c0, double *sum)
{
	const struct ctr_set *set = tm->cfg->ctrs;

	for (int h = 0; h < tm->nhelpers; h++) {
		struct ctr_sample c1;
		double d[CTR_MAX];

		ctr_task_read(set, &tm->helper_ctrs[h], &c1);
		ctr_delta(set, &c0[h], &c1, d);
		for (int c = 0; c < set->n; c++)
			if (tm->helper_ctrs[h].fd[c] >= 0)
				sum[c] += d[c];	/* NaN stays NaN */
	}
}

static void team_close_helpers(struct team *tm)
{
	for (int h = 0; h < tm->nhelpers; h++)
		ctr_task_close(tm->cfg->ctrs, &tm->helper_ctrs[h]);
	free(tm->helper_ctrs);
	free(tm->helper_c0);
	tm->helper_ctrs = NULL;
	tm->helper_c0 = NULL;
	tm->nhelpers = 0;
}

/* The id of a task process that has died (its status in *status), or -1. */
static int team_dead_task(struct team *tm, int *status)
{
	if (tm->cfg->mode != BENCH_MODE_PROCESS)
		return -1;	/* threads cannot die alone: a crash takes the runner */
	for (int i = 0; i < tm->spawned; i++)
		if (tm->pids[i] > 0 && waitpid(tm->pids[i], status, WNOHANG) == tm->pids[i]) {
			tm->pids[i] = -1;
			return i;
		}
	return -1;
}

static void team_wake(struct team *tm, enum team_phase phase, int counting, uint64_t iters,
		      int first, int n, int recording)
{
	struct team_shared *sh = tm->sh;

	/* The tasks wait on their round word: what is written here before
	 * its release store below is what they see. */
	for (int i = first; i < first + n && phase != TEAM_STOP; i++) {
		struct bench_rec *rec = &sh->slot[i].rec;

		rec->recording = recording;
		memset(rec->reported, 0, sizeof(rec->reported));
		for (int h = 0; recording && h < rec->nhist; h++)
			hist_clear(&rec->hist[h]);
	}
	sh->phase = phase;
	sh->counting = (uint32_t)counting;
	sh->iters = iters;
	sh->participants = (uint32_t)n;
	sh->ready = 0;
	sh->done = 0;
	sh->round++;
	for (int i = first; i < first + n; i++) {
		/* release: phase, iters and the counters above go first. */
		__atomic_store_n(&sh->slot[i].round, sh->round, __ATOMIC_RELEASE);
		futex_wake(&sh->slot[i].round, 1, 1);
	}
}

/* The smallest and largest of n operation counts over their mean. */
static void team_shares(const double *ops, int n, double *lo, double *hi)
{
	double sum = 0, mn = INFINITY, mx = -INFINITY;

	for (int i = 0; i < n; i++) {
		sum += ops[i];
		mn = ops[i] < mn ? ops[i] : mn;
		mx = ops[i] > mx ? ops[i] : mx;
	}
	*lo = *hi = NAN;
	if (n > 0 && sum > 0) {
		*lo = mn / (sum / n);
		*hi = mx / (sum / n);
	}
}

/* Each reported value of the round, combined as its metric says. */
static void team_values(const struct team *tm, const struct team_round *rq, double *out)
{
	for (int v = 0; v < BENCH_MAX_VALUES; v++) {
		enum bench_combine how = BENCH_COMBINE_SUM;
		double sum = 0, mn = INFINITY, mx = -INFINITY;
		int n = 0;

		for (const struct bench_metric *m = tm->cfg->desc->metrics; m->name; m++)
			if (m->kind == BENCH_REPORTED && m->slot == v)
				how = m->combine;
		for (int i = rq->first; i < rq->first + rq->n; i++) {
			const struct bench_rec *rec = &tm->sh->slot[i].rec;
			double x = rec->value[v];

			if (!rec->reported[v])
				continue;
			n++;
			sum += x;
			mn = x < mn ? x : mn;
			mx = x > mx ? x : mx;
		}
		out[v] = NAN;
		if (n == 0)
			continue;
		switch (how) {
		case BENCH_COMBINE_SUM: out[v] = sum; break;
		case BENCH_COMBINE_MEAN: out[v] = sum / n; break;
		case BENCH_COMBINE_MAX: out[v] = mx; break;
		case BENCH_COMBINE_SHARE_MIN:
			if (sum > 0)
				out[v] = mn / (sum / n);
			break;
		case BENCH_COMBINE_SHARE_MAX:
			if (sum > 0)
				out[v] = mx / (sum / n);
			break;
		}
	}
}

enum team_status team_round(struct team *tm, const struct team_round *rq,
			    struct team_result *out, char *reason, size_t len)
{
	struct team_shared *sh = tm->sh;
	int nctr = tm->cfg->ctrs->n, status, dead, limited, cut = 0;
	uint64_t t0 = UINT64_MAX, t1 = 0, deadline = 0;
	double ops[rq->n > 0 ? rq->n : 1];
	uint32_t d;

	/* The tasks' counters open at their first counted round; the
	 * helpers' just before it, and are read around every one. */
	if (rq->counting && !tm->helpers_open)
		team_open_helpers(tm);
	if (rq->counting)
		team_read_helpers(tm, tm->helper_c0);
	if (rq->phase == TEAM_RUN)
		tm->run_rounds++;
	limited = rq->phase == TEAM_RUN && rq->limit_ns > 0 && tm->cfg->desc->end_round;
	team_wake(tm, rq->phase, rq->counting, rq->iters, rq->first, rq->n, rq->recording);
	if (limited)
		deadline = clk_mono_ns() + (uint64_t)rq->limit_ns;
	while ((d = __atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) < (uint32_t)rq->n) {
		/* 100 ms: wake now and then to look for a dead task process;
		 * and at the round's limit, if it has one (no tick in thread
		 * mode otherwise: a healthy round is waited for in one sleep). */
		struct timespec tick = { 0, 100000000 }, *wait = NULL;
		uint64_t now = limited ? clk_mono_ns() : 0;

		if (limited && now >= deadline) {
			if (cut) {
				snprintf(reason, len, "its tasks did not leave a round %.3g s after "
					 "it was ended at its limit of %.3g s", rq->limit_ns / 1e9,
					 rq->limit_ns / 1e9);
				return TEAM_FAILED;
			}
			/* A collapse: ask the tasks out, and give them as
			 * long again to come. */
			tm->cfg->desc->end_round(tm->st, tm->run_rounds);
			cut = 1;
			deadline = now + (uint64_t)rq->limit_ns;
			continue;
		}
		if (tm->cfg->mode == BENCH_MODE_PROCESS)
			wait = &tick;
		if (limited && (!wait || deadline - now < 100000000)) {
			tick.tv_sec = (time_t)((deadline - now) / 1000000000);
			tick.tv_nsec = (long)((deadline - now) % 1000000000);
			wait = &tick;
		}
		if (futex_wait(&sh->done, d, wait, 1) == -ETIMEDOUT &&
		    (dead = team_dead_task(tm, &status)) >= 0) {
			snprintf(reason, len, "task %d died (%s)", dead,
				 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited early");
			return TEAM_FAILED;
		}
	}
	for (int i = 0; i < tm->cfg->ntasks; i++) {
		const struct team_slot *s = &sh->slot[i];

		if (!s->err)
			continue;
		if (s->err == -ENOTSUP) {
			snprintf(reason, len, "%s", s->skip_why ? s->skip_why
				 : "not supported here (task_init said so)");
			return TEAM_SKIPPED;
		}
		snprintf(reason, len, "task %d: %s failed: %s", i, s->err_what, strerror(-s->err));
		return TEAM_FAILED;
	}

	memset(out, 0, sizeof(*out));
	for (int i = rq->first; i < rq->first + rq->n; i++) {
		const struct team_slot *s = &sh->slot[i];

		if (s->t_start < t0)
			t0 = s->t_start;
		if (s->t_end > t1)
			t1 = s->t_end;
		ops[i - rq->first] = (double)s->ops;
		out->ops += (double)s->ops;
		out->cpu_ns += s->cpu_ns;
		out->invol_switches += s->invol_switches;
		for (int c = 0; rq->counting && c < nctr; c++)
			out->ctr[c] += s->ctr[c];	/* NaN stays NaN */
	}
	if (rq->counting)
		team_add_helpers(tm, tm->helper_c0, out->ctr);
	out->ns = clk_ns(t1 - t0);
	out->jain = stats_jain_index(ops, (size_t)rq->n);
	team_shares(ops, rq->n, &out->share_min, &out->share_max);
	team_values(tm, rq, out->value);
	for (int i = rq->first; rq->recording && rq->merge && i < rq->first + rq->n; i++)
		for (int h = 0; h < tm->nhist; h++)
			hist_add(&rq->merge[h], &sh->slot[i].rec.hist[h]);
	return cut ? TEAM_CUT : TEAM_OK;
}

void team_report(const struct team *tm, int *cpus_seen, int *ctr_err)
{
	for (int i = 0; i < tm->cfg->ntasks; i++)
		cpus_seen[i] = tm->sh->slot[i].cpu_seen;
	for (int c = 0; c < tm->cfg->ctrs->n; c++) {
		ctr_err[c] = tm->helper_err[c];
		for (int i = 0; i < tm->cfg->ntasks; i++)
			if (tm->sh->slot[i].ctr_err[c])
				ctr_err[c] = tm->sh->slot[i].ctr_err[c];
	}
}

void team_stop(struct team *tm, int failed)
{
	if (tm->sh && tm->spawned) {
		/* After a failure a surviving task process may be stuck in
		 * the workload (waiting for a partner that died) and never
		 * see STOP. */
		if (failed && tm->cfg->mode == BENCH_MODE_PROCESS)
			for (int i = 0; i < tm->spawned; i++)
				if (tm->pids[i] > 0)
					kill(tm->pids[i], SIGKILL);
		team_wake(tm, TEAM_STOP, 0, 0, 0, tm->spawned, 0);
		for (int i = 0; i < tm->spawned; i++) {
			if (tm->cfg->mode == BENCH_MODE_THREAD)
				pthread_join(tm->threads[i], NULL);
			else if (tm->pids[i] > 0)
				while (waitpid(tm->pids[i], NULL, 0) < 0 && errno == EINTR)
					;
		}
	}
	team_close_helpers(tm);
	if (tm->sh)
		munmap(tm->sh, team_shared_size(tm->cfg->ntasks));
	if (tm->hists)
		munmap(tm->hists, sizeof(struct hist) * (size_t)tm->cfg->ntasks * (size_t)tm->nhist);
	free(tm->args);
	free(tm->threads);
	free(tm->pids);
	memset(tm, 0, sizeof(*tm));
}
