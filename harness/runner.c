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
#include "harness/memcg.h"
#include "harness/runner.h"
#include "harness/team.h"

/*
 * In an AddressSanitizer build (the tests' ASan leg) a runner asks
 * LeakSanitizer for leaks before it leaves: it ends with _exit(), which
 * the sanitizer's own check at exit never sees, so a workload's setup,
 * task_fini or teardown that forgot a buffer (thread mode: task_fini
 * runs in the runner's threads) would go unseen.  Only a runner down to
 * its one thread is scanned: a thread the workload left running is
 * reported as such already, and stopping it for the scan may hang.
 * Task processes are not scanned: their heaps hold the runner's
 * allocations, reachable only through shared mappings the scan does
 * not read, which it would call leaks.
 */
#if defined(__SANITIZE_ADDRESS__)
#define RUNNER_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNNER_LSAN 1
#endif
#endif
#ifdef RUNNER_LSAN
#include <dirent.h>
#include <sanitizer/lsan_interface.h>

static int runner_leaked(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n == 1 && __lsan_do_recoverable_leak_check();
}
#else
static int runner_leaked(void)
{
	return 0;
}
#endif

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

pid_t runner_child_left(int *defunct)
{
	siginfo_t si;
	char path[64], buf[64];
	FILE *f;
	int pid = -1;

	/* WNOWAIT: look, do not reap, so that the caller can say which. */
	memset(&si, 0, sizeof(si));
	while (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		if (errno != EINTR)
			return 0;	/* ECHILD: none at all */
	*defunct = si.si_pid != 0;
	if (*defunct)
		return si.si_pid;
	/* Only live ones: name one, where the kernel lists them (the main
	 * thread forks every runner). */
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

/* Bring the child's record into res, its arrays copied in one piece; 0
 * or -ENOMEM. */
static int runner_collect(const struct runner_config *cfg, struct measure_record *r,
			  struct runner_result *res)
{
	size_t bytes = measure_layout(res, cfg, NULL);
	void *mem = malloc(bytes ? bytes : 1);

	if (!mem)
		return -ENOMEM;
	memcpy(mem, r + 1, bytes);
	*res = r->res;
	measure_layout(res, cfg, mem);
	/* A failed runner may have completed rounds: they are not results. */
	if (res->status != RUNNER_OK)
		res->reps = res->lat_rounds = res->ctr_rounds = 0;
	for (int c = 0; c < cfg->ctrs->n; c++)
		res->ctr_ok[c] = res->ctr_err[c] == 0 && res->ctr_rounds > 0;
	return 0;
}

int runner_run(const struct runner_config *cfg, struct runner_result *res)
{
	size_t size = measure_record_size(cfg);
	struct measure_record *r = team_map(size);
	int status = 0, w, ret, defunct;
	pid_t pid, left;

	memset(res, 0, sizeof(*res));
	if (!r)
		return -ENOMEM;
	/* The child fills it in place: the mapping lies at the same
	 * address in both processes. */
	measure_layout(&r->res, cfg, r + 1);
	r->res.status = RUNNER_FAILED;
	snprintf(r->res.reason, sizeof(r->res.reason), "runner exited without a result");
	/* Until the runner names its first stage: a budget that ends
	 * before it does must still say where. */
	snprintf(r->stage, sizeof(r->stage), "starting the runner");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		/* Out of processes for now (EAGAIN): this configuration
		 * fails, the sweep goes on. */
		snprintf(r->res.reason, sizeof(r->res.reason), "cannot start its runner process: %s",
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
		/* A process the workload's processes start and then abandon
		 * (a grandchild whose parent exits without waiting) comes
		 * here, not to init, where the leftover check can see it. */
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		for (size_t i = 0; i < RUNNER_NSTOP; i++)
			signal(runner_stop_signals[i], SIG_DFL);
		measure_config(cfg, r);
		if (runner_leaked() && r->res.status == RUNNER_OK) {
			r->res.status = RUNNER_FAILED;
			snprintf(r->res.reason, sizeof(r->res.reason),
				 "leaked memory (LeakSanitizer's report is above)");
		}
		_exit(0);
	}
	setpgid(pid, pid);	/* also here, so kill(-pid) works at once */
	w = runner_wait(pid, cfg->budget_s, &status);
	if (w) {
		/* Before the kill, while its tasks still count: a budget
		 * that ran out on a busy machine says so (a spinning
		 * workload convoys when others hold the processors). */
		double load = NAN;

		if (w == 1 && getloadavg(&load, 1) != 1)
			load = NAN;
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (w == 2) {
			r->res.status = RUNNER_INTERRUPTED;
			snprintf(r->res.reason, sizeof(r->res.reason), "interrupted while %s",
				 r->stage);
		} else {
			r->res.status = RUNNER_FAILED;
			long cpus = sysconf(_SC_NPROCESSORS_ONLN);
			char busy[96] = "";

			if (cpus > 0 && load > (double)cpus)
				snprintf(busy, sizeof(busy), "; the machine was busy: load average "
					 "%.1f on %ld processors", load, cpus);
			snprintf(r->res.reason, sizeof(r->res.reason),
				 "exceeded its time budget of %.3g s while %s (raise --timeout?%s)",
				 cfg->budget_s, r->stage, busy);
		}
	} else if (WIFSIGNALED(status)) {
		r->res.status = RUNNER_FAILED;
		snprintf(r->res.reason, sizeof(r->res.reason), "crashed with %s while %s",
			 strsignal(WTERMSIG(status)), r->stage);
	}
	/* Sweep up any task process that outlived the runner, and the
	 * memory cgroup a killed runner could not remove. */
	kill(-pid, SIGKILL);
	memcg_sweep(pid);
collect:
	/* The runner was this process's one child and is reaped by now: a
	 * child still here is a runner not waited for (a zombie for the rest
	 * of the sweep, one per configuration) or one still running beside
	 * the next.  A harness bug: said loudly, and this configuration's
	 * figures are not trusted. */
	if ((left = runner_child_left(&defunct)) != 0) {
		fprintf(stderr, "\ncontend: BUG: %s: a child process (pid %d, %s) is left after the "
			"configuration\n", cfg->desc->name, (int)left, defunct ? "defunct" : "running");
		if (defunct)
			waitpid(left, NULL, WNOHANG);	/* report it once */
		if (r->res.status != RUNNER_INTERRUPTED) {
			r->res.status = RUNNER_FAILED;
			snprintf(r->res.reason, sizeof(r->res.reason), "harness bug: a child process "
				 "(pid %d, %s) was left after the configuration", (int)left,
				 defunct ? "defunct" : "running");
		}
	}
	ret = runner_collect(cfg, r, res);
	munmap(r, size);
	return ret;
}

void runner_result_free(struct runner_result *res)
{
	free(res->arrays);
	memset(res, 0, sizeof(*res));
}
