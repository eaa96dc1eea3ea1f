/*
 * harness/measure.c - calibration, warm-up, measured and counted rounds
 * of one configuration, inside the runner child (see measure.h).
 */
#define _GNU_SOURCE		/* sched_getaffinity, CPU_COUNT */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/measure.h"
#include "harness/registry.h"
#include "harness/team.h"
#include "harness/work.h"

size_t measure_layout(struct runner_result *res, const struct runner_config *cfg, void *mem)
{
	/* The names RUNNER_ARRAYS counts in. */
	size_t reps = (size_t)cfg->reps, nval = (size_t)bench_nvalues(cfg->desc);
	size_t nhist = (size_t)bench_nhists(cfg->desc), nctr = (size_t)cfg->ctrs->n;
	size_t ntasks = (size_t)cfg->ntasks, base = cfg->desc->baseline != NULL;
	size_t off = 0;

	res->nvalues = (int)nval;
	res->nhists = (int)nhist;
	res->arrays = mem;
	/* Each array at the next multiple of its type's alignment. */
#define MEASURE_PLACE(type, name, count) {					\
		size_t n = (count);						\
		off = (off + _Alignof(type) - 1) / _Alignof(type) * _Alignof(type); \
		res->name = mem && n ? (type *)((char *)mem + off) : NULL;	\
		off += sizeof(type) * n;					\
	}
	RUNNER_ARRAYS(MEASURE_PLACE)
#undef MEASURE_PLACE
	return off;
}

size_t measure_record_size(const struct runner_config *cfg)
{
	struct runner_result res;

	return sizeof(struct measure_record) + measure_layout(&res, cfg, NULL);
}

/* Beyond this a round of a real workload would last hours. */
#define MEASURE_MAX_ITERS (UINT64_C(1) << 40)

struct measure {
	const struct runner_config *cfg;
	struct measure_record *r;
	struct team tm;
	uint64_t run_total, base_total;	/* iterations per task, all rounds */
};

static void measure_stage(struct measure_record *r, const char *fmt, int a, int b)
{
	snprintf(r->stage, sizeof(r->stage), fmt, a, b);
}

/* A round failed or was skipped: say so, with what we were doing. */
static int measure_stop(struct measure *m, enum team_status st, const char *why)
{
	struct measure_record *r = m->r;

	if (st == TEAM_SKIPPED) {
		r->res.status = RUNNER_SKIPPED;
		snprintf(r->res.reason, sizeof(r->res.reason), "%s", why);
	} else {
		r->res.status = RUNNER_FAILED;
		snprintf(r->res.reason, sizeof(r->res.reason), "%.180s while %.60s", why, r->stage);
	}
	return -1;
}

/* How long a run() round may last before it is ended as collapsed. */
static double measure_limit_ns(const struct runner_config *cfg)
{
	return fmax(MEASURE_COLLAPSE_FACTOR * cfg->min_time_s, MEASURE_COLLAPSE_MIN_S) * 1e9;
}

static int measure_ncpus(const struct runner_config *cfg);

/* A round ended at its limit: the configuration is skipped, saying
 * where, the limit, the rate the round fell to, and, when the tasks
 * outnumber their processors, the likely why. */
static int measure_collapsed(struct measure *m, const struct team_result *o)
{
	const struct runner_config *cfg = m->cfg;
	struct runner_result *res = &m->r->res;
	int ncpus = measure_ncpus(cfg);
	char over[120] = "";

	if (cfg->ntasks > ncpus)
		snprintf(over, sizeof(over), "; %d tasks on %d processors: hand-offs wait for tasks "
			 "off theirs", cfg->ntasks, ncpus);
	res->status = RUNNER_SKIPPED;
	snprintf(res->reason, sizeof(res->reason), "collapsed while %.40s: a round aimed at %.3g s "
		 "was still running at its limit of %.3g s and was ended early, at %.3g ops/s%s",
		 m->r->stage, cfg->min_time_s, measure_limit_ns(cfg) / 1e9,
		 o->ns > 0 ? o->ops / o->ns * 1e9 : 0.0, over);
	return -1;
}

/* One run() round of every task. */
static int measure_run(struct measure *m, uint64_t iters, int counting, struct team_result *o)
{
	struct team_round rq = {
		.phase = TEAM_RUN, .counting = counting, .first = 0, .n = m->cfg->ntasks,
		.iters = iters, .limit_ns = measure_limit_ns(m->cfg),
	};
	char why[200];
	enum team_status st = team_round(&m->tm, &rq, o, why, sizeof(why));

	m->run_total += iters;
	if (st == TEAM_CUT)
		return measure_collapsed(m, o);
	return st == TEAM_OK ? 0 : measure_stop(m, st, why);
}

/* One latency round of every task: run() with recording on, the tasks'
 * histograms merged into merge[]. */
static int measure_latency(struct measure *m, uint64_t iters, struct hist *merge,
			   struct team_result *o)
{
	struct team_round rq = {
		.phase = TEAM_RUN, .first = 0, .n = m->cfg->ntasks, .iters = iters,
		.recording = 1, .merge = merge, .limit_ns = measure_limit_ns(m->cfg),
	};
	char why[200];
	enum team_status st = team_round(&m->tm, &rq, o, why, sizeof(why));

	m->run_total += iters;
	if (st == TEAM_CUT)
		return measure_collapsed(m, o);
	return st == TEAM_OK ? 0 : measure_stop(m, st, why);
}

/*
 * The baseline that follows a run() round at the same count: all tasks
 * at once, or each alone in turn with the times, CPU times and counts of
 * the turns added up (each side's own work, on its own processor).
 */
static int measure_baseline(struct measure *m, uint64_t iters, int counting,
			    struct team_result *o)
{
	int together = m->cfg->desc->baseline_how == BENCH_BASELINE_TOGETHER;
	int turns = together ? 1 : m->cfg->ntasks, nctr = m->cfg->ctrs->n;
	char why[200];

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < turns; i++) {
		struct team_round rq = {
			.phase = TEAM_BASELINE, .counting = counting, .first = together ? 0 : i,
			.n = together ? m->cfg->ntasks : 1, .iters = iters,
		};
		struct team_result t;
		enum team_status st = team_round(&m->tm, &rq, &t, why, sizeof(why));

		if (st != TEAM_OK)
			return measure_stop(m, st, why);
		o->ns += t.ns;
		o->cpu_ns += t.cpu_ns;
		o->ops += t.ops;
		for (int c = 0; counting && c < nctr; c++)
			o->ctr[c] += t.ctr[c];
	}
	m->base_total += iters;
	return 0;
}

/* The count that would make a round of `ns` for `iters` last `target`,
 * kept within [least, MEASURE_MAX_ITERS] (least: the bench's min_iters). */
static uint64_t measure_scale(uint64_t iters, double ns, double target, uint64_t least)
{
	double want = ceil((double)iters * target / (ns > 1 ? ns : 1));

	if (!(want >= (double)least))
		return least;
	return want > (double)MEASURE_MAX_ITERS ? MEASURE_MAX_ITERS : (uint64_t)want;
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
static uint64_t measure_rescale(uint64_t iters, double ns, double target, uint64_t least)
{
	return ns <= 4 * target ? iters : measure_scale(iters, ns, target, least);
}

/* A ratio to the baseline (T/S) is what a drifting host skews when
 * one side always runs first: such workloads alternate the order. */
static int measure_abba(const struct bench_desc *d)
{
	for (const struct bench_metric *m = d->metrics; d->baseline && m->name; m++)
		if (m->kind == BENCH_RATIO_TO_BASELINE || m->kind == BENCH_RATIO_TO_BASELINE_CPU ||
		    m->kind == BENCH_SPEEDUP_OVER_BASELINE ||
		    m->kind == BENCH_EFFICIENCY_OVER_BASELINE)
			return 1;
	return 0;
}

/* The time every processor of the machine had stolen by its host so
 * far (/proc/stat, cpu line, 8th value), in ns; NaN where unknown. */
static double measure_steal_ns(void)
{
	unsigned long long v[8];
	FILE *f = fopen("/proc/stat", "r");
	long hz = sysconf(_SC_CLK_TCK);
	int n = 0;

	if (!f)
		return NAN;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	return n == 8 && hz > 0 ? (double)v[7] * 1e9 / (double)hz : NAN;
}

/* Calibrate, warm up, measure and count.  0, or -1 with r's status and
 * reason set. */
static int measure_rounds(struct measure *m)
{
	const struct runner_config *cfg = m->cfg;
	const struct bench_desc *d = cfg->desc;
	struct measure_record *r = m->r;
	struct runner_result *a = &r->res;
	int nctr = cfg->ctrs->n, nhist = bench_nhists(d), nval = bench_nvalues(d);
	double target = cfg->min_time_s * 1e9;
	uint64_t least = d->min_iters ? d->min_iters : 1, iters = least;
	struct team_result o, b;

	measure_stage(r, "calibrating", 0, 0);
	/* Grow the count until a round lasts a quarter of the target: fast
	 * while rounds are tiny, gently near the target, so that neither
	 * timer granularity nor a cold first round (spawn, page faults, an
	 * idle processor waking) decides the estimate. */
	for (int round = 0;; round++) {
		if (measure_run(m, iters, 0, &o) < 0)
			return -1;
		if (round > 0 && o.ns >= target / 4)
			break;
		if (iters >= MEASURE_MAX_ITERS) {
			snprintf(r->res.reason, sizeof(r->res.reason), "%llu iterations took only %.0f ns: "
				 "run() does not seem to do its iterations",
				 (unsigned long long)iters, o.ns);
			r->res.status = RUNNER_FAILED;
			return -1;
		}
		if (round > 0 || o.ns < target / 4)
			iters *= o.ns < target / 100 ? 10 : 2;
	}
	/* Scale to the target, warm up at that count, and correct once more
	 * from the warm round (the extrapolation may have crossed a cache
	 * or scheduler regime). */
	measure_stage(r, "warming up", 0, 0);
	for (int warm = 0; warm < 2; warm++) {
		iters = measure_scale(iters, o.ns, target, least);
		if (measure_run(m, iters, 0, &o) < 0)
			return -1;
		if (o.ns > target / 2 && o.ns < target * 2)
			break;
	}
	if (d->baseline && measure_baseline(m, iters, 0, &b) < 0)
		return -1;
	r->res.iters = iters;

	for (int rep = 0; rep < cfg->reps; rep++) {
		/* ABBA: every other repetition runs its baseline first. */
		int base_first = measure_abba(d) && rep % 2;
		double load[1], steal0 = measure_steal_ns();

		measure_stage(r, "repetition %d of %d", rep + 1, cfg->reps);
		a->load1[rep] = getloadavg(load, 1) == 1 ? load[0] : NAN;
		if (base_first && measure_baseline(m, iters, 0, &b) < 0)
			return -1;
		if (measure_run(m, iters, 0, &o) < 0)
			return -1;
		if (d->baseline && !base_first && measure_baseline(m, iters, 0, &b) < 0)
			return -1;
		a->base_first[rep] = base_first;
		a->steal_ns[rep] = measure_steal_ns() - steal0;
		a->invol_switches[rep] = o.invol_switches;
		a->run_ns[rep] = o.ns;
		a->cpu_ns[rep] = o.cpu_ns;
		a->ops[rep] = o.ops;
		a->jain[rep] = o.jain;
		a->share_min[rep] = o.share_min;
		a->share_max[rep] = o.share_max;
		if (d->baseline) {
			a->base_ns[rep] = b.ns;
			a->base_cpu_ns[rep] = b.cpu_ns;
		}
		for (int v = 0; v < nval; v++)
			a->value[(size_t)rep * nval + v] = o.value[v];
		r->res.reps = rep + 1;
		r->res.iters = iters;
		iters = measure_rescale(iters, o.ns, target, least);
	}
	/* Latency rounds, as many as the measured ones, after them: the
	 * timed rounds never carry the workload's clock reads. */
	for (int h = 0; h < nhist; h++)
		hist_clear(&a->hist[h]);
	for (int rep = 0; nhist && rep < cfg->reps; rep++) {
		struct hist round[nhist];

		measure_stage(r, "latency round %d of %d", rep + 1, cfg->reps);
		for (int h = 0; h < nhist; h++)
			hist_clear(&round[h]);
		if (measure_latency(m, iters, round, &o) < 0)
			return -1;
		for (int h = 0; h < nhist; h++) {
			double *out = &a->lat[((size_t)rep * nhist + h) * BENCH_LAT_NSTATS];

			out[BENCH_LAT_P50] = hist_quantile(&round[h], 0.50);
			out[BENCH_LAT_P99] = hist_quantile(&round[h], 0.99);
			out[BENCH_LAT_P999] = hist_quantile(&round[h], 0.999);
			out[BENCH_LAT_MAX] = hist_quantile(&round[h], 1.0);
			hist_add(&a->hist[h], &round[h]);
		}
		r->res.lat_rounds = rep + 1;
		iters = measure_rescale(iters, o.ns, target, least);
	}
	for (int k = 0; nctr && k < RUNNER_COUNT_ROUNDS; k++) {
		measure_stage(r, "counting, round %d of %d", k + 1, RUNNER_COUNT_ROUNDS);
		if (measure_run(m, iters, 1, &o) < 0)
			return -1;
		if (d->baseline && measure_baseline(m, iters, 1, &b) < 0)
			return -1;
		a->ctr_ops[k] = o.ops;
		for (int c = 0; c < nctr; c++) {
			a->ctr_run[(size_t)k * nctr + c] = o.ctr[c];
			if (d->baseline)
				a->ctr_base[(size_t)k * nctr + c] = b.ctr[c];
		}
		r->res.ctr_rounds = k + 1;
		iters = measure_rescale(iters, o.ns, target, least);
	}
	team_report(&m->tm, a->cpus_seen, r->res.ctr_err);
	return 0;
}

/* bench_state.ncpus: the distinct processors of the placement, or what
 * the runner may use when any task is left unpinned. */
static int measure_ncpus(const struct runner_config *cfg)
{
	cpu_set_t set;
	int n = 0;

	CPU_ZERO(&set);
	for (int i = 0; i < cfg->ntasks; i++) {
		if (cfg->cpus[i] < 0 || cfg->cpus[i] >= CPU_SETSIZE) {
			if (sched_getaffinity(0, sizeof(set), &set) < 0)
				return cfg->ntasks;	/* unknown: assume no over-subscription */
			return CPU_COUNT(&set);
		}
		if (!CPU_ISSET(cfg->cpus[i], &set)) {
			CPU_SET(cfg->cpus[i], &set);
			n++;
		}
	}
	return n;
}

/* The runner's threads, by id: those there before the workload started
 * any, to tell its threads from the runner's own (a sanitizer's, say). */
#define MEASURE_MAX_TIDS 64
struct measure_tids {
	int n;
	pid_t tid[MEASURE_MAX_TIDS];
};

/* 0, or -1 when /proc cannot say or there are too many to keep. */
static int measure_tids_read(struct measure_tids *t)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	if (!d)
		return -1;
	t->n = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			if (t->n == MEASURE_MAX_TIDS) {
				closedir(d);
				return -1;
			}
			t->tid[t->n++] = (pid_t)atoi(e->d_name);
		}
	closedir(d);
	return 0;
}

/* The threads of this process now that are not in `before`, however
 * many; -1 when /proc cannot say. */
static int measure_tids_new(const struct measure_tids *before)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int extra = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		int old = 0;

		if (e->d_name[0] == '.')
			continue;
		for (int j = 0; j < before->n && !old; j++)
			old = tid == before->tid[j];
		extra += !old;
	}
	closedir(d);
	return extra;
}

/*
 * What a workload holds through the kernel, beside processes and
 * threads: open descriptors (a socket, a pipe, an epoll or event fd, a
 * memfd or a POSIX shared-memory object while open) and shared mappings
 * (MAP_SHARED memory, anonymous or named: a segment the workload mapped
 * and never unmapped, SysV ones included).  Counted before setup and
 * after the harness has freed its own, they must be equal.
 */
struct measure_held {
	int fds, shared_maps;
};

/* 0, or -1 when /proc cannot say. */
static int measure_held_read(struct measure_held *h)
{
	DIR *d = opendir("/proc/self/fd");
	FILE *f;
	struct dirent *e;
	char line[512];

	if (!d)
		return -1;
	h->fds = 0;
	while ((e = readdir(d)))
		h->fds += e->d_name[0] != '.';
	closedir(d);
	h->fds--;	/* the directory's own */
	if (!(f = fopen("/proc/self/maps", "re")))
		return -1;
	h->shared_maps = 0;
	/* "start-end perms ...": perms is rwxs or rwxp. */
	while (fgets(line, sizeof(line), f)) {
		const char *sp = strchr(line, ' ');

		h->shared_maps += sp && sp[4] == 's';
		/* A long path runs past the buffer: skip the rest of it. */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	}
	fclose(f);
	return 0;
}

/* NULL, or what the workload still holds, in buf. */
static const char *measure_held_left(const struct measure_held *before, char *buf, size_t len)
{
	struct measure_held now;

	if (measure_held_read(&now) < 0)
		return NULL;
	if (now.fds > before->fds) {
		snprintf(buf, len, "the workload left %d file descriptor%s open after teardown",
			 now.fds - before->fds, now.fds - before->fds == 1 ? "" : "s");
		return buf;
	}
	if (now.shared_maps > before->shared_maps) {
		snprintf(buf, len, "the workload left %d shared mapping%s mapped after teardown",
			 now.shared_maps - before->shared_maps,
			 now.shared_maps - before->shared_maps == 1 ? "" : "s");
		return buf;
	}
	return NULL;
}

/*
 * Every process and thread a workload starts is gone once it is torn
 * down (issue 17): what is left means its stop path is broken (teardown
 * does not stop what setup started), which the runner's exit would
 * otherwise hide, and in a longer-lived host would pile up, one per
 * configuration.  NULL, or what is left, in buf.  A joined thread may
 * stay listed for a moment while the kernel lets it go: a thread counts
 * as left only when still there after 100 ms.
 */
static const char *measure_leftovers(const struct measure_tids *before, const char *when,
				     char *buf, size_t len)
{
	int defunct, extra = 0;
	pid_t pid = runner_child_left(&defunct);

	if (pid) {
		snprintf(buf, len, "the workload left a child process (pid %d, %s) after %s",
			 (int)pid, defunct ? "never waited for" : "still running", when);
		return buf;
	}
	for (int tries = 0; MEASURE_CHECKS_THREADS && tries < 100; tries++) {
		struct timespec ms = { 0, 1000000 };

		/* Counted as read, not kept: a workload that left a
		 * thousand threads is the one that must not go unseen. */
		if ((extra = measure_tids_new(before)) < 0)
			return NULL;
		if (!extra)
			return NULL;
		nanosleep(&ms, NULL);
	}
	if (!extra)
		return NULL;
	snprintf(buf, len, "the workload left %d thread%s running after %s", extra,
		 extra == 1 ? "" : "s", when);
	return buf;
}

void measure_config(const struct runner_config *cfg, struct measure_record *r)
{
	const struct bench_desc *d = cfg->desc;
	struct bench_state st = {
		.desc = d, .mode = cfg->mode, .ntasks = cfg->ntasks,
		.ncpus = measure_ncpus(cfg), .param_values = cfg->param_values,
	};
	struct measure m = { .cfg = cfg, .r = r };
	struct measure_tids tids;
	int have_tids = measure_tids_read(&tids) == 0;
	struct measure_held held;
	int have_held = 0;
	const char *why;
	char reason[200];
	int ret;

	/* A figure the descriptor cannot mean (a ratio summed over the
	 * tasks, say) would be written as if measured: fail instead. */
	if (registry_desc_problem(d, reason, sizeof(reason))) {
		r->res.status = RUNNER_FAILED;
		snprintf(r->res.reason, sizeof(r->res.reason), "bad descriptor: %s", reason);
		goto out;
	}
	/* The work loop's speed moves by 2 to 4 times over seconds on a
	 * shared machine (an SMT sibling, a host's frequency limit): a rate
	 * measured at the run's start left whole configurations' work
	 * several times its parameter.  This runner process measures it
	 * again (about 10 ms), here, before any task exists: tasks that
	 * asked later would each measure it, at once, in each other's way. */
	work_set_rate(0);
	work_calibrate();
	have_held = measure_held_read(&held) == 0;
	measure_stage(r, "setup", 0, 0);
	if (d->setup && (ret = d->setup(&st)) < 0) {
		if (ret == -ENOTSUP) {
			r->res.status = RUNNER_SKIPPED;
			snprintf(r->res.reason, sizeof(r->res.reason), "%s", st.skip_reason ? st.skip_reason
				 : "not supported here (setup said so)");
		} else {
			r->res.status = RUNNER_FAILED;
			snprintf(r->res.reason, sizeof(r->res.reason), "setup failed: %s", strerror(-ret));
		}
		/* Nothing to tear down: a setup that gives up undoes its own
		 * work, and what it left is its error path's bug. */
		if (have_tids && measure_leftovers(&tids, "setup gave up", reason, sizeof(reason))) {
			char was[sizeof(r->res.reason)];

			snprintf(was, sizeof(was), "%s", r->res.reason);
			snprintf(r->res.reason, sizeof(r->res.reason), "%.100s, and %.148s",
				 was, reason);
			r->res.status = RUNNER_FAILED;
		}
		goto out;
	}
	measure_stage(r, "spawning tasks", 0, 0);
	if (team_start(&m.tm, cfg, &st, reason, sizeof(reason)) != TEAM_OK) {
		r->res.status = RUNNER_FAILED;
		snprintf(r->res.reason, sizeof(r->res.reason), "%s", reason);
	} else if (measure_rounds(&m) == 0) {
		r->res.status = RUNNER_OK;
	}
	measure_stage(r, "stopping tasks", 0, 0);
	team_stop(&m.tm, r->res.status != RUNNER_OK);
	measure_stage(r, "checking", 0, 0);
	if (r->res.status == RUNNER_OK && d->check && (why = d->check(&st, m.run_total, m.base_total))) {
		snprintf(r->res.reason, sizeof(r->res.reason), "check failed: %s", why);
		r->res.status = RUNNER_FAILED;
	}
	measure_stage(r, "teardown", 0, 0);
	if (d->teardown)
		d->teardown(&st);
	if (r->res.status == RUNNER_OK && have_tids &&
	    measure_leftovers(&tids, "teardown", reason, sizeof(reason))) {
		snprintf(r->res.reason, sizeof(r->res.reason), "%s", reason);
		r->res.status = RUNNER_FAILED;
	}
out:
	bench_shared_free_all(&st);
	/* After a skip too: a setup that gives up undoes its own work. */
	if ((r->res.status == RUNNER_OK || r->res.status == RUNNER_SKIPPED) && have_held &&
	    measure_held_left(&held, reason, sizeof(reason))) {
		char was[sizeof(r->res.reason)];

		snprintf(was, sizeof(was), "%s", r->res.reason);
		if (r->res.status == RUNNER_OK)
			snprintf(r->res.reason, sizeof(r->res.reason), "%s", reason);
		else
			snprintf(r->res.reason, sizeof(r->res.reason), "%.100s, and %.148s", was,
				 reason);
		r->res.status = RUNNER_FAILED;
	}
}
