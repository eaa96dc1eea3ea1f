/*
 * harness/bench.h - the contract between a workload and the harness.
 *
 * A workload (bench/<family>_<what>.c) says *what* to do: it describes
 * its parameters, sets up shared state, and runs `iters` operations in
 * each task.  The harness decides where tasks run (placement), as what
 * (threads or processes), how often (calibration, warm-up, repetitions)
 * and how the result is measured (clock, counters, statistics, output).
 * Workloads never call hwloc, libpfm, clocks or printf; what they need
 * of the clock they get from bench_now_ns().
 *
 * Lifecycle of one configuration, all inside a runner process that the
 * harness can kill if the workload overruns its budget:
 *
 *   setup(st)                       once, before any task exists
 *   task_init(t)                    in every task, after it is pinned
 *   repeat: run(t, iters)           every task at once, behind a gate
 *           baseline(t, iters)      if the bench has one: see baseline_how
 *   task_fini(t)                    in every task
 *   check(st, run, baseline)        the work reported was really done
 *   teardown(st)
 *
 * A baseline round always follows a run() round at the same `iters`, in
 * the same tasks, so a baseline may match what that run did (the system
 * calls it made, say), kept in the task's own t->local.  Except for a
 * workload with a ratio to its baseline (T_threads / T_seq): its
 * measured repetitions alternate the order, run then baseline, baseline
 * then run (ABBA), so that a host drifting in one direction does not
 * put its drift into the ratio; its baseline must not rest on the run.
 */
#ifndef CONTEND_BENCH_H
#define CONTEND_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum bench_mode {
	BENCH_MODE_THREAD  = 1 << 0,	/* tasks are threads of one process */
	BENCH_MODE_PROCESS = 1 << 1,	/* tasks are forked processes */
};

/*
 * How a metric is derived from one repetition (see struct bench_metric).
 * "events" are the operations the tasks reported times per_iter.
 */
enum bench_metric_kind {
	BENCH_NS_PER_OP,	/* run time / events                     */
	BENCH_NS_NET_PER_OP,	/* (run - baseline time) / events         */
	BENCH_OPS_PER_SEC,	/* events / run time                      */
	BENCH_FAIRNESS,		/* Jain's index over per-task op counts   */
	/* The smallest / largest task's operations over the fair share
	 * (total / tasks): 1 is fair, 0 a task that never got in. */
	BENCH_SHARE_MIN,
	BENCH_SHARE_MAX,
	/*
	 * A distribution the tasks record with bench_record_ns() in the
	 * latency rounds (see bench_recording); histogram number `slot`,
	 * figure `stat` of it.  A HIST entry of a figure list (below) makes
	 * the four rows of one distribution, <name>_p50, _p99, _p999 and
	 * _max: each is a value per latency round (the tasks' histograms
	 * merged), so it gets every statistic a repeated metric gets.  Unit
	 * "ns".
	 */
	BENCH_LATENCY,
	/* A value the workload measures itself and publishes with
	 * bench_report(t, slot, v) in each measured round (resident memory
	 * growth, a ratio, the most tasks seen inside at once), combined
	 * over the tasks as `combine` says; unit as declared; its row is a
	 * VALUE entry of a figure list (below).  A value no
	 * task reports (it does not apply to the configuration) gets no
	 * row and no warning; so does a distribution that recorded nothing. */
	BENCH_REPORTED,
	/* Run time over baseline time, unit "ratio": with a baseline that
	 * runs each task alone in turn (BENCH_BASELINE_EACH) doing the same
	 * work, the time the tasks took together over the time they take
	 * one after another (T_threads / T_seq). */
	BENCH_RATIO_TO_BASELINE,
	/* The same over the tasks' CPU time instead of wall time: what
	 * the tasks spent on the processor together over alone, untouched
	 * by the time a drifting host keeps them off it. */
	BENCH_RATIO_TO_BASELINE_CPU,
	/* Baseline time over run time, unit "ratio": with a baseline that
	 * runs each task alone in turn (BENCH_BASELINE_EACH) doing its
	 * share of a fixed job, what spreading the job over the tasks
	 * gained (T_1 / T_W, the speedup over one unit); measured with its
	 * baseline in every repetition, ABBA, as the ratio above. */
	BENCH_SPEEDUP_OVER_BASELINE,
	/* The same speedup over the number of tasks: 1 when W tasks take
	 * 1/W of the time of one (parallel efficiency). */
	BENCH_EFFICIENCY_OVER_BASELINE,
};

/* How BENCH_REPORTED values of one round combine over the tasks that
 * reported one (tasks that did not are left out). */
enum bench_combine {
	BENCH_COMBINE_SUM,
	BENCH_COMBINE_MEAN,
	BENCH_COMBINE_MAX,
	/* The smallest (largest) value over their mean: how far the least
	 * (most) served task is from a fair share, as share_min/share_max
	 * are for operations; 1 when every task reported the same. */
	BENCH_COMBINE_SHARE_MIN,
	BENCH_COMBINE_SHARE_MAX,
};

/* Histograms (BENCH_LATENCY) and reported values a workload may use. */
#define BENCH_MAX_HISTS 4
#define BENCH_MAX_VALUES 8

struct bench_metric {
	const char *name;	/* CSV `metric` column, e.g. "roundtrip"  */
	const char *unit;	/* "ns", "ops/s" or "ratio"              */
	enum bench_metric_kind kind;
	/* events = ops * per_iter: e.g. 2 one-way switches per roundtrip. */
	unsigned per_iter;
	int higher_is_better;
	int slot;		/* BENCH_LATENCY: histogram; BENCH_REPORTED: value */
	int stat;		/* BENCH_LATENCY: BENCH_LAT_P50 ... BENCH_LAT_MAX */
	enum bench_combine combine;	/* BENCH_REPORTED only */
};

/* Which figure of a latency round's merged histogram a row gives. */
enum { BENCH_LAT_P50, BENCH_LAT_P99, BENCH_LAT_P999, BENCH_LAT_MAX, BENCH_LAT_NSTATS };

/*
 * Figures: the values a workload reports (BENCH_REPORTED) and the
 * distributions it records (BENCH_LATENCY) are fed by name, never by a
 * slot number that must match a row further down.  A workload lists
 * them once, each with the metric row(s) it feeds, in a macro of two
 * parameters:
 *
 *	#define SYNC_SEM_FIGURES(VALUE, HIST)				\
 *		VALUE(SYNC_SEM_MAX_INSIDE, .name = "max_inside",	\
 *		      .unit = "tasks", .combine = BENCH_COMBINE_MAX)	\
 *		HIST(SYNC_SEM_WAIT, "wait")
 *	BENCH_FIGURES(SYNC_SEM, SYNC_SEM_FIGURES);
 *
 * VALUE(name, fields...) is a BENCH_REPORTED row, its fields named;
 * HIST(name, "row") the four rows row_p50 ... row_max.  BENCH_FIGURES
 * makes each name an enum constant, values and histograms numbered
 * apart from 0, and fails to compile when they are more than
 * BENCH_MAX_VALUES or BENCH_MAX_HISTS.  run() feeds them with
 * bench_report(t, SYNC_SEM_MAX_INSIDE, v) and
 * bench_record_ns(t, SYNC_SEM_WAIT, ns); the metrics table takes the
 * rows, in the list's order, with BENCH_FIGURE_ROWS(SYNC_SEM_FIGURES)
 * (no comma after it).  So the number a call feeds and the number its
 * row reads are one enum constant: they cannot drift apart, and a call
 * that names no declared figure does not compile.
 *
 * BENCH_FIGURES_AFTER(SET, LIST, PREV) numbers SET's figures after
 * those of an earlier set PREV that the same tables hold too (the gil.*
 * lock's wait and hold, recorded by shared code under fixed numbers).
 * SET_NVALUES and SET_NHISTS are the slots in use after SET.
 */
#define BENCH_FIGURES(set, list)	BENCH_FIGURES_AFTER(set, list, BENCH__NO)
#define BENCH_FIGURES_AFTER(set, list, prev)					\
	enum {									\
		set##__VALUE_BEFORE = prev##_NVALUES - 1,			\
		list(BENCH__FIGURE_ENUM, BENCH__FIGURE_NONE)			\
		set##_NVALUES							\
	};									\
	enum {									\
		set##__HIST_BEFORE = prev##_NHISTS - 1,				\
		list(BENCH__FIGURE_NONE, BENCH__FIGURE_ENUM)			\
		set##_NHISTS							\
	};									\
	_Static_assert(set##_NVALUES <= BENCH_MAX_VALUES,			\
		       #set ": more reported values than BENCH_MAX_VALUES");	\
	_Static_assert(set##_NHISTS <= BENCH_MAX_HISTS,				\
		       #set ": more histograms than BENCH_MAX_HISTS")
#define BENCH_FIGURE_ROWS(list)	list(BENCH__VALUE_ROW, BENCH__HIST_ROWS)

/* Internal to the figure lists above. */
enum { BENCH__NO_NVALUES = 0, BENCH__NO_NHISTS = 0 };
#define BENCH__FIGURE_ENUM(name_, ...)	name_,
#define BENCH__FIGURE_NONE(name_, ...)
#define BENCH__VALUE_ROW(slot_, ...)					\
	{ .kind = BENCH_REPORTED, .slot = slot_, __VA_ARGS__ },
#define BENCH__LAT_ROW(name_, suffix_, slot_, stat_)			\
	{ .name = name_ suffix_, .unit = "ns", .kind = BENCH_LATENCY,	\
	  .per_iter = 1, .slot = slot_, .stat = stat_ }
#define BENCH__HIST_ROWS(slot_, name_)					\
	BENCH__LAT_ROW(name_, "_p50", slot_, BENCH_LAT_P50),		\
	BENCH__LAT_ROW(name_, "_p99", slot_, BENCH_LAT_P99),		\
	BENCH__LAT_ROW(name_, "_p999", slot_, BENCH_LAT_P999),		\
	BENCH__LAT_ROW(name_, "_max", slot_, BENCH_LAT_MAX),

/* Who runs baseline() (bench_desc.baseline_how). */
enum bench_baseline_how {
	/* Each task alone, one after another, on its own processor; the
	 * baseline's time is the sum of theirs.  For exchanges whose sides
	 * run in turn: each side's own work, where it really runs. */
	BENCH_BASELINE_EACH,
	/* Every task at once, behind the gate, as run() is: a baseline that
	 * is itself an exchange (another mechanism's, say). */
	BENCH_BASELINE_TOGETHER,
};

struct bench_param {
	const char *name;
	const char *def;	/* default value(s), as text: "0,100,1000" sweeps */
	const char *help;
	/* min < max: a whole decimal number in [min, max], checked before
	 * anything runs and recorded in canonical form ("010" is 10);
	 * otherwise free text. */
	long long min, max;
	/* The values used under --quick when the user gives none (a comma
	 * list, like def may be); NULL: def. */
	const char *quick;
	/* Free text only: NULL, or the values allowed, '|'-separated
	 * ("yield|spin"); anything else is refused before the run. */
	const char *choices;
};

/* The Makefile defines CONTEND_SRC_HASH per bench/ file. */
#ifdef CONTEND_SRC_HASH
#define BENCH_VERSION CONTEND_SRC_HASH
#else
#define BENCH_VERSION "unknown"
#endif

/* Everything a workload sees of one configuration. */
struct bench_state {
	const struct bench_desc *desc;
	enum bench_mode mode;
	int ntasks;
	/* Processors the tasks may run on, together: the distinct ones the
	 * placement pinned them to, or those the runner may use when they
	 * are left unpinned.  Fewer than ntasks: some task is always off
	 * the processor (over-subscription). */
	int ncpus;
	void *priv;		/* the workload's own shared state */
	/* internal to the harness */
	const char *const *param_values;	/* parallel to desc->params */
	struct bench_shm *shm_list;
	const char *skip_reason;		/* set by bench_skip() */
	struct memcg *memcg;			/* bench_mem_open(); NULL: none */
};

/* One task's view. */
struct bench_task {
	struct bench_state *st;
	int id;			/* 0 .. ntasks-1 */
	void *local;		/* task-private state from task_init */
	struct bench_rec *rec;	/* internal to the harness */
};

struct bench_desc {
	const char *name;	/* family.variant[.detail] */
	const char *summary;	/* one line, for `contend list` */
	/* BENCH_VERSION: a hash of the workload's source file, so that
	 * compare can tell a changed benchmark from a changed machine. */
	const char *version;
	unsigned modes;		/* BENCH_MODE_* this workload supports */
	int tasks;		/* fixed task count, or 0: from --threads */
	/* The fewest iterations a round may hold (0: 1), whatever its
	 * length: a workload whose rounds must each hold enough samples
	 * for their quantiles (a round trip of two switch intervals) says
	 * how many.  Rounds still last at least --min-time. */
	uint64_t min_iters;
	/* With tasks 0 and no --threads: also run 2 x the processors, where
	 * spinning and sleeping waits part ways (over-subscription). */
	int oversubscribe;
	/* With tasks 0 and no --threads: also run this many tasks (0: no
	 * more), when it is more than the list above goes to. */
	int tasks_also;
	/* NULL, or a test that says why a configuration can measure nothing
	 * by construction (one task where a waiter and a waker are needed, a
	 * FIFO spinner with more tasks than processors), judged from st's
	 * desc, mode, ntasks, ncpus and parameters alone, before anything is
	 * set up.  The planner leaves such configurations out of the task
	 * counts it chose itself; one the user asked for (--threads) is
	 * reported skipped with the reason.  setup() may call it too. */
	const char *(*unfit)(const struct bench_state *st);
	/* BENCH_MODE_* run under --quick when no --mode is given; 0: modes. */
	unsigned quick_modes;
	const char *placements;	/* default policies, e.g. "same-core,cross-core" */
	int hidden;		/* harness self-tests: not listed, never matched by a glob */
	const struct bench_param *params;	/* NULL-name terminated, may be NULL */
	const struct bench_metric *metrics;	/* NULL-name terminated */
	enum bench_baseline_how baseline_how;
	/* What a BENCH_NS_NET_PER_OP metric is net of, in a few words, for
	 * `contend list --long` and the JSON label. */
	const char *baseline_note;

	/* -errno on failure; -ENOTSUP (see bench_skip) when this
	 * configuration cannot run here: it is then *skipped*, not failed. */
	int  (*setup)(struct bench_state *st);
	int  (*task_init)(struct bench_task *t);	/* -errno, as setup */
	/* The timed loop: do `iters` iterations; return how many operations
	 * this task completed.  The harness sums them over tasks, so a task
	 * that only serves another (the echo side of a ping-pong) returns 0. */
	uint64_t (*run)(struct bench_task *t, uint64_t iters);
	/* The same work without the mechanism under test (see
	 * baseline_how); NULL if the bench has no net metric. */
	uint64_t (*baseline)(struct bench_task *t, uint64_t iters);
	void (*task_fini)(struct bench_task *t);
	/* NULL if the shared state proves that run() did `run_iters`
	 * iterations in every task and baseline() `baseline_iters` in every
	 * task that runs it (each summed over rounds), else a reason saying
	 * what is missing. */
	const char *(*check)(struct bench_state *st, uint64_t run_iters,
			      uint64_t baseline_iters);
	void (*teardown)(struct bench_state *st);
	/*
	 * NULL, or: make every task leave the run() round now, with the
	 * iterations it did (a word the loop already polls; never a new load
	 * in the timed loop).  `round` is the round's number as each task
	 * counts its run() calls: 1 for the first, this one included (every
	 * task takes part in every run() round).  Called from a thread that
	 * is no task's, when the round is still running at its limit
	 * (measure.h: MEASURE_COLLAPSE_*): a collapse, such as FIFO hand-offs
	 * to tasks off their processors.  The configuration is then reported
	 * skipped with the limit named, check() is not asked, and the tasks
	 * must be out of run() within another limit (else it fails).  A
	 * workload without it runs each round to its end, or its budget.
	 */
	void (*end_round)(struct bench_state *st, uint32_t round);
};

/*
 * Shared memory for workload state: visible to every task in both modes
 * (MAP_SHARED, so forked tasks see the same bytes), zero-filled,
 * cache-line aligned, freed by the harness after teardown.  NULL on
 * failure.  Call from setup() only.
 */
void *bench_shared_alloc(struct bench_state *st, size_t size);

/* A parameter's value as text / as an integer (aborts on a key the bench
 * does not declare, or an integer parameter the harness did not check:
 * bugs in the workload). */
const char *bench_param_str(const struct bench_state *st, const char *key);
long long bench_param_int(const struct bench_state *st, const char *key);

/*
 * The harness's clock in nanoseconds: the same calibrated source that
 * times every round (not a private clock_gettime), for workloads that
 * time something inside a round.  Comparable across tasks and processes
 * of one run.
 */
uint64_t bench_now_ns(void);

/*
 * count events over ns nanoseconds of bench_now_ns(), as a rate per
 * second: every per-second figure a workload times with bench_now_ns()
 * goes through this one conversion (tests/test_h_measure.c checks it
 * against known answers).
 * NaN over an empty span: no rate, never a zero or an infinity.
 */
double bench_per_sec(double count, uint64_t ns);

/*
 * What two back-to-back bench_now_ns() readings differ by, in ns (their
 * median, measured once at start and written to env.csv as
 * clock_pair_ns): the part of any t1 - t0 that is the clock itself, for
 * a workload to subtract from a short interval it times.
 */
uint64_t bench_clock_pair_ns(void);

/*
 * Say why this configuration cannot run here (a lock that cannot live in
 * shared memory, say) and return -ENOTSUP, for setup() or task_init() to
 * return: the configuration is reported as skipped with this reason.
 * `why` must outlive the call (a string literal).
 */
int bench_skip(struct bench_state *st, const char *why);

/*
 * Latency distributions.  The harness runs the measured rounds with
 * recording off, so that no clock read of the workload slows what they
 * time, and then as many latency rounds with it on; run() asks
 * bench_recording() once per call and, when it says yes, times what it
 * likes (every k-th operation: a parameter of the workload, so that the
 * row says which k was used) with bench_now_ns() and records it.
 * bench_record_ns() adds to the task's own log-linear histogram (about
 * 0.8 % relative error, values up to 2^48 ns, the exact maximum kept):
 * no allocation, no lock, no system call.  Calling it while not
 * recording is a no-op.
 */
int bench_recording(const struct bench_task *t);
/* `slot`: a HIST name of the workload's figure list (BENCH_FIGURES). */
void bench_record_ns(struct bench_task *t, int slot, uint64_t ns);

/* Publish this task's value for the BENCH_REPORTED metric `slot` (a
 * VALUE name of the workload's figure list, BENCH_FIGURES) in the
 * current round (the last call of the round counts). */
void bench_report(struct bench_task *t, int slot, double value);

/*
 * Calibrated work: bench_work(loops) spins a loop the compiler cannot
 * remove, and bench_work_loops(ns) says how many iterations take `ns`
 * nanoseconds on this machine (measured once per run, before the first
 * configuration: the median of several tries that held their processor;
 * recorded in env.csv as work_loops_per_ns; harness/work.h).  For
 * critical and non-critical sections: work, not a sleep.  Call
 * bench_work_loops() from setup(), before tasks exist.  A workload whose
 * figures rest on the work's length checks it (bench/lock.c).
 */
uint64_t bench_work_loops(double ns);
static inline void bench_work(uint64_t loops)
{
	for (uint64_t i = 0; i < loops; i++)
		__asm__ __volatile__("" : : "r"(i) : "memory");
}

/*
 * Memory per live unit, as the kernel counts it.  bench_mem_open(),
 * called from setup() before the workload creates anything, makes a
 * memory cgroup for this configuration (a child of the runner's own:
 * harness/memcg.h) and moves the runner into it, so that the tasks and
 * whatever they start are charged there: user pages, and the kernel's
 * part (kernel stacks, page tables, socket buffers, slab) that RSS does
 * not show.  The harness moves the runner back and removes the cgroup
 * after teardown (and, should the runner be killed, its parent does).
 * Where no cgroup can be made (no memory hierarchy, not root), it says
 * why once on stderr and returns 0 all the same: bench_mem_read then
 * gives -1 for the cgroup's figures and the resident sizes alone.
 *
 * bench_mem_read() takes the figures now; a workload reports the growth
 * between two reads over the units it holds alive (bench_report).
 */
struct bench_mem {
	int64_t charged;	/* bytes charged to the cgroup; -1: no cgroup */
	int64_t kmem;		/* the kernel's part of charged; -1: no cgroup */
	int64_t rss;		/* resident bytes of this process (RSS) */
	/* With pids: the proportional set size (PSS) of this process and
	 * of the processes named, so that pages forked processes still
	 * share copy-on-write count once; -1 when not asked for. */
	int64_t pss;
};
int bench_mem_open(struct bench_state *st);
/* pids may be NULL (pss is then -1) or hold npids >= 0 process ids. */
void bench_mem_read(const struct bench_state *st, const pid_t *pids, int npids,
		    struct bench_mem *m);

/*
 * Room for more units: how many more threads (processes) this runner may
 * start now, the tightest of the kernel's limits (kernel.pid_max,
 * kernel.threads-max, less the tasks the machine runs now), the user's
 * RLIMIT_NPROC (less the same, a bound from above), and for threads the
 * memory maps their stacks take (two a thread, vm.max_map_count less
 * this process's maps).  *limit names the one that binds, a string
 * literal, for a bench_skip() reason.  For setup(): a configuration
 * that needs more is skipped, never shrunk.
 */
long bench_room_threads(const char **limit);
long bench_room_processes(const char **limit);

/* The registry: every workload has one line in bench/list.h. */
extern const struct bench_desc *const bench_registry[];

#endif
