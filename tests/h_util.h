/*
 * tests/h_util.h - running the contend binary from a test, as a user
 * would, and reading what it wrote.  The helpers (tests/h_util.c)
 * fail the calling test on any surprise.
 */
#ifndef CONTEND_TESTS_H_UTIL_H
#define CONTEND_TESTS_H_UTIL_H

#include <stddef.h>

#include "harness/csv.h"

struct cli_run {
	int status;		/* exit status, or 128 + signal */
	char out[1 << 16], err[1 << 16];
};

/* How to start contend (all optional). */
struct cli_how {
	int sig, after_ms;	/* send sig this long after the start, if still running */
	const char *cwd;	/* run there */
	int close_stdout;	/* start with fd 1 closed */
	int stdout_full;	/* fd 1 is /dev/full */
	const char *cgroup;	/* join this cgroup (v1 pids) first */
	int one_cpu;		/* pinned to one processor, as taskset -c would */
};

const char *cli_bin(void);
/* Run contend with argv (NULL-terminated, argv[0] ignored).  It dies with
 * the test (PR_SET_PDEATHSIG), so a test that times out leaves nothing.
 * Fails the test when contend reports a bug of its own ("contend: BUG"). */
void cli_exec_how(struct cli_run *r, const struct cli_how *how, char *const argv[]);
#define CLI(r, ...) cli_exec_how((r), NULL, (char *const[]){ (char *)cli_bin(), __VA_ARGS__, NULL })
#define CLI_HOW(r, how, ...) \
	cli_exec_how((r), (how), (char *const[]){ (char *)cli_bin(), __VA_ARGS__, NULL })
/* cli_exec_how(), made again (up to twice) when it exited 0 but skipped
 * a configuration as collapsed: a round that a loaded machine stretched
 * past its limit (a hand-off waited for a task kept off its processor)
 * leaves no rows, which the caller would read as a workload that did
 * nothing.  A workload that collapses every time still leaves them out. */
void cli_exec_settled(struct cli_run *r, const struct cli_how *how, char *const argv[]);
#define CLI_SETTLED(r, ...) \
	cli_exec_settled((r), NULL, (char *const[]){ (char *)cli_bin(), __VA_ARGS__, NULL })

/* Exit 2, exactly one line on stderr naming the problem, nothing on stdout. */
void cli_expect_bad(const struct cli_run *r, const char *needle);
int cli_lines(const char *s);

/* A fresh folder under /tmp; remove with cli_rmdir. */
char *cli_tmpdir(char *buf, size_t len);
void cli_rmdir(const char *dir);
/* No temporary file (".tmp") anywhere in dir. */
void cli_expect_no_temp(const char *dir);
/* How many entries dir has (. and .. aside). */
int cli_count_files(const char *dir);
void cli_write_file(const char *path, const char *text, size_t len);
void cli_write_str(const char *path, const char *text);

/* Read a CSV the run wrote; fails the test if it cannot, or if a row's
 * statistics are out of their order (min <= ci95_lo <= median <= ci95_hi
 * <= max, median <= p90 <= p99 <= max). */
void cli_read_csv(const char *path, struct csv_table *t);
/* Column index by name; fails the test when there is none. */
int cli_col(const struct csv_table *t, const char *name);

/*
 * Every declared parameter reaches its workload (issue 17): a family's
 * test lists one probe per (benchmarks, parameter), and each probe runs
 * the benchmarks it is given with values that must make the workload do
 * something different (a count, its check(), a bound), and asserts that.
 */
#define CLI_PROBE_MAX_BENCH 64
struct cli_param_probe {
	const char *bench;	/* a glob over benchmark names (fnmatch) */
	const char *param;
	/* Called with the registered benchmarks that match `bench` and
	 * declare `param` (argv-ready names, NULL-terminated). */
	void (*probe)(char *const bench[], int n);
};

/*
 * Walk the registry: every parameter of every benchmark matching
 * `family` (a glob) must have a probe in probes[0 .. n) (the first that
 * matches is its probe, so a narrower glob goes first), and every probe
 * must match some benchmark's parameter; the test fails naming the first
 * that breaks either (so a new parameter cannot go unprobed).  Then run
 * each probe on its benchmarks.  Returns the (benchmark, parameter) pairs
 * covered.
 */
int cli_param_probes_run(const char *family, const struct cli_param_probe *probes, size_t n);
/* The families whose tests call cli_param_probes_run, and where: a
 * benchmark of a family not listed here fails
 * cli::every_family_probes_its_parameters, so that a new family cannot
 * forget its probes.  cli_param_probes_run refuses a family not listed. */
#define CLI_PROBED_FAMILIES							\
	"ctx.*",	/* tests/test_h_ctx.c */				\
	"gil.*",	/* tests/test_h_gil.c */				\
	"lock.*",	/* tests/test_h_lock.c */				\
	"pool.*",	/* tests/test_h_pool.c */				\
	"shm.*",	/* tests/test_h_pool.c */				\
	"spawn.*",	/* tests/test_h_ptc.c */				\
	"ptc.*",	/* tests/test_h_ptc.c */				\
	"queue.*",	/* tests/test_h_queue.c */				\
	"sync.*"	/* tests/test_h_sync.c */
/* Every registered benchmark (not hidden) whose name starts with
 * `prefix` has a row in t: a run of the whole family left none out. */
void cli_expect_every_bench(const struct csv_table *t, const char *prefix);
/* `contend run BENCH... OPTS... --out DIR/r.csv` as `how` says (NULL:
 * plainly); asserts exit 0 and reads the results into *t.  The run in *r. */
void cli_run_benches(struct cli_run *r, struct csv_table *t, const struct cli_how *how,
		     char *const bench[], const char *const opts[]);

/* Relative agreement of two numbers printed with 9 significant digits. */
int cli_close(double a, double b);
/* Field `col` of row r of t, by its column's name; as a number. */
const char *cli_field(const struct csv_table *t, size_t r, const char *col);
double cli_num(const struct csv_table *t, size_t r, const char *col);
/* "bench|mode|placement|threads|params|metric|" of row r. */
void cli_row_key(const struct csv_table *t, size_t r, char *buf, size_t len);
/* Column col of row r of res is want (empty where want is not finite),
 * within slack and 9 printed digits. */
void cli_check_stat(const struct csv_table *res, size_t r, const char *key, const char *col,
		    double want, double slack);
/* Row r of results table res: the exact statistics of its samples in smp. */
void cli_check_stats_row(const struct csv_table *res, size_t r, const struct csv_table *smp);

/* The whole of file path, NUL-terminated; the caller frees it. */
char *cli_read_file(const char *path);

#endif
