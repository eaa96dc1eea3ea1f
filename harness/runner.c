/*
 * harness/runner.c - fork the runner child of one configuration, watch it
 * (time budget, signals), and bring its record back.  What the child
 * does is harness/measure.c; its tasks are harness/team.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/measure.h"
#include "harness/runner.h"
#include "harness/team.h"

volatile sig_atomic_t runner_interrupted;

/* The signals that stop a run and keep what it has. */
static const int runner_stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define RUNNER_NSTOP (sizeof(runner_stop_signals) / sizeof(runner_stop_signals[0]))

static void runner_on_signal(int sig)
{
	runner_interrupted = sig;
}

void runner_install_signals(void)
{
	struct sigaction sa = { .sa_handler = runner_on_signal };

	/* No SA_RESTART: the wait below must return on a signal. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < RUNNER_NSTOP; i++)
		sigaction(runner_stop_signals[i], &sa, NULL);
}

/* Wait for pid for at most budget_s; 0 if it exited (status in *status),
 * 1 on timeout, 2 on a stop signal.  Blocks in ppoll() on a pidfd so
 * that the parent never wakes while the benchmark runs; where pidfds are
 * missing it looks every 50 ms. */
static int runner_wait(pid_t pid, double budget_s, int *status)
{
	uint64_t deadline = clk_mono_ns() + (uint64_t)(budget_s * 1e9);
#ifdef SYS_pidfd_open
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	int pfd = -1;
#endif
	sigset_t block, old;
	int ret;

	/* Stop signals are let in only inside the wait, so one that lands
	 * between the check below and the wait cannot be missed. */
	sigemptyset(&block);
	for (size_t i = 0; i < RUNNER_NSTOP; i++)
		sigaddset(&block, runner_stop_signals[i]);
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

/* A copy of n doubles, or NULL (with *fail set) when out of memory. */
static double *runner_copy(const double *src, size_t n, int *fail)
{
	double *d = malloc(n ? n * sizeof(*d) : 1);

	if (!d)
		*fail = 1;
	else if (n)
		memcpy(d, src, n * sizeof(*d));
	return d;
}

/* Bring the child's record into res; 0 or -ENOMEM. */
static int runner_collect(const struct runner_config *cfg, struct measure_record *r,
			  struct runner_result *res)
{
	int nctr = cfg->ctrs->n, fail = 0, has_base = cfg->desc->baseline != NULL;
	size_t reps = (size_t)cfg->reps, cr = RUNNER_COUNT_ROUNDS * (size_t)nctr;
	struct measure_arrays a;

	res->status = r->status;
	snprintf(res->reason, sizeof(res->reason), "%s", r->reason);
	res->iters = r->iters;
	res->reps = r->status == RUNNER_OK ? r->reps : 0;
	res->ctr_rounds = r->status == RUNNER_OK ? r->ctr_rounds : 0;
	for (int c = 0; c < nctr; c++) {
		res->ctr_err[c] = r->ctr_err[c];
		res->ctr_ok[c] = r->ctr_err[c] == 0 && res->ctr_rounds > 0;
	}
	measure_arrays(r, cfg, &a);
	res->nvalues = bench_nvalues(cfg->desc);
	res->nhists = bench_nhists(cfg->desc);
	res->lat_rounds = r->status == RUNNER_OK ? r->lat_rounds : 0;
	res->share_min = runner_copy(a.share_min, reps, &fail);
	res->share_max = runner_copy(a.share_max, reps, &fail);
	res->base_first = runner_copy(a.base_first, reps, &fail);
	res->load1 = runner_copy(a.load1, reps, &fail);
	res->steal_ns = runner_copy(a.steal_ns, reps, &fail);
	res->invol_switches = runner_copy(a.invol_switches, reps, &fail);
	res->value = runner_copy(a.value, reps * (size_t)res->nvalues, &fail);
	res->lat = runner_copy(a.lat, reps * (size_t)res->nhists * BENCH_LAT_NSTATS, &fail);
	res->hist = malloc(sizeof(struct hist) * (size_t)(res->nhists ? res->nhists : 1));
	if (!res->hist)
		fail = 1;
	else if (res->nhists)
		memcpy(res->hist, a.hist, sizeof(struct hist) * (size_t)res->nhists);
	res->run_ns = runner_copy(a.run_ns, reps, &fail);
	res->cpu_ns = runner_copy(a.cpu_ns, reps, &fail);
	res->ops = runner_copy(a.ops, reps, &fail);
	res->jain = runner_copy(a.jain, reps, &fail);
	res->ctr_ops = runner_copy(a.ctr_ops, RUNNER_COUNT_ROUNDS, &fail);
	res->ctr_run = runner_copy(a.ctr_run, cr, &fail);
	if (has_base) {
		res->base_ns = runner_copy(a.base_ns, reps, &fail);
		res->base_cpu_ns = runner_copy(a.base_cpu_ns, reps, &fail);
		res->ctr_base = runner_copy(a.ctr_base, cr, &fail);
	}
	res->cpus_seen = malloc(sizeof(int) * (size_t)cfg->ntasks);
	if (fail || !res->cpus_seen) {
		runner_result_free(res);
		return -ENOMEM;
	}
	memcpy(res->cpus_seen, a.cpus_seen, sizeof(int) * (size_t)cfg->ntasks);
	return 0;
}

int runner_run(const struct runner_config *cfg, struct runner_result *res)
{
	size_t size = measure_record_size(cfg);
	struct measure_record *r = team_map(size);
	int status = 0, w, ret;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (!r)
		return -ENOMEM;
	r->status = RUNNER_FAILED;
	snprintf(r->reason, sizeof(r->reason), "runner exited without a result");
	/* Until the runner names its first stage: a budget that ends
	 * before it does must still say where. */
	snprintf(r->stage, sizeof(r->stage), "starting the runner");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		/* Out of processes for now (EAGAIN): this configuration
		 * fails, the sweep goes on. */
		snprintf(r->reason, sizeof(r->reason), "cannot start its runner process: %s",
			 strerror(errno));
		goto collect;
	}
	if (pid == 0) {
		/* Own process group: the watchdog kills tasks and all.  And
		 * die with the parent, should it be killed outright. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		for (size_t i = 0; i < RUNNER_NSTOP; i++)
			signal(runner_stop_signals[i], SIG_DFL);
		measure_config(cfg, r);
		_exit(0);
	}
	setpgid(pid, pid);	/* also here, so kill(-pid) works at once */
	w = runner_wait(pid, cfg->budget_s, &status);
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
				 "exceeded its time budget of %.3g s while %s (raise --timeout?)",
				 cfg->budget_s, r->stage);
		}
	} else if (WIFSIGNALED(status)) {
		r->status = RUNNER_FAILED;
		snprintf(r->reason, sizeof(r->reason), "crashed with %s while %s",
			 strsignal(WTERMSIG(status)), r->stage);
	}
	/* Sweep up any task process that outlived the runner. */
	kill(-pid, SIGKILL);
collect:
	ret = runner_collect(cfg, r, res);
	munmap(r, size);
	return ret;
}

void runner_result_free(struct runner_result *res)
{
	free(res->run_ns);
	free(res->cpu_ns);
	free(res->ops);
	free(res->jain);
	free(res->base_ns);
	free(res->base_cpu_ns);
	free(res->ctr_ops);
	free(res->ctr_run);
	free(res->ctr_base);
	free(res->cpus_seen);
	free(res->share_min);
	free(res->share_max);
	free(res->base_first);
	free(res->load1);
	free(res->steal_ns);
	free(res->invol_switches);
	free(res->value);
	free(res->lat);
	free(res->hist);
	memset(res, 0, sizeof(*res));
}
