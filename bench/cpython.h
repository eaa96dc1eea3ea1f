/*
 * bench/cpython.h - the machine's real python3 as a child process, for
 * the reference rows (gil.cpython.*, pool.cpython.*, shm.cpython.*,
 * spawn.cpython.*, ptc.cpython.*).
 *
 * One interpreter is found once ($CONTEND_PYTHON if set, and then only
 * it; else /usr/bin/python3; else python3 on the PATH), started with a
 * script on `-c`, and fed one command a line on its standard input; it
 * answers each with one line, "ok <command's first word> ...".  The
 * child dies with the thread that started it (PR_SET_PDEATHSIG): a
 * contend killed with SIGKILL leaves no interpreter running.
 */
#ifndef CONTEND_BENCH_CPYTHON_H
#define CONTEND_BENCH_CPYTHON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "harness/bench.h"

/* A running interpreter; all-zero with in = -1 when none. */
struct cpython {
	pid_t pid;
	int in;			/* its stdin: a socket, so that a dead child is
				   EPIPE (MSG_NOSIGNAL), not SIGPIPE */
	FILE *out;		/* its stdout */
};

/*
 * The python3 that runs `import <imports>` (a comma-separated list) and
 * exits 0, or NULL with the skip reason in why (the interpreter tried,
 * and its last line of complaint, on one line).  The string returned is
 * the environment's or a constant: it outlives the call.
 */
const char *cpython_find(const char *imports, char *why, size_t len);

/*
 * Start argv (argv[0] the interpreter cpython_find() gave) with its
 * stdin and stdout connected to py, and fd3, when not -1, as its
 * descriptor 3.  0, or -errno (an interpreter that cannot be executed:
 * exec's errno).  The caller's descriptors are not inherited unless
 * opened without O_CLOEXEC.
 */
int cpython_start(struct cpython *py, char *const argv[], int fd3);

/*
 * Send the line `cmd` and read the answer into answer (len bytes, the
 * newline kept): 0 when it is "ok <cmd's first word>" followed by a
 * space or the end of the line, else -EIO (the child died, closed its
 * output or said something else).
 */
int cpython_ask(struct cpython *py, const char *cmd, char *answer, size_t len);

/*
 * "<cmd> <n>", answered "ok <cmd> <count>" and nothing more: the count
 * in *count; 0 or -EIO.
 */
int cpython_ask_count(struct cpython *py, const char *cmd, uint64_t n, long long *count);

/* End of file on its stdin (the scripts then exit), and wait for it.
 * Safe on a struct cpython that never started; leaves it so. */
void cpython_stop(struct cpython *py);

/*
 * For a workload whose task drives the interpreter: cpython_start() into
 * a struct cpython of the task's own, at t->local.  0, or -errno with
 * t->local left NULL.
 */
int cpython_task_start(struct bench_task *t, char *const argv[], int fd3);

/* A task_fini: cpython_stop() the task's interpreter, if it has one, and
 * free it (a failed task_init calls it itself: the harness calls no fini
 * after one). */
void cpython_task_fini(struct bench_task *t);

#endif
