/*
 * primitives/shm.h - sharing data between processes, the lesson's two
 * ways: multiprocessing's Array (typed memory under a process-shared
 * lock) and Manager().dict() (a server process that holds the data and
 * answers requests over a socket).
 *
 * shm_array: Array(typecode, n).  The elements and their lock live in one
 * MAP_SHARED anonymous mapping made by shm_array_create(): every process
 * forked after it sees the same bytes, and nothing is left in /dev/shm or
 * the file system (the mapping goes with the last process that has it).
 * The lock is a primitives/sync.h Lock made `shared`, which is what makes
 * it work across processes (a futex without FUTEX_PRIVATE_FLAG).  As in
 * Python, shm_array_get() and shm_array_set() each take the lock for one
 * access, so `a[i] += 1` written as get then set can still lose updates
 * between two processes; the lesson's fix is to hold get_lock() around
 * the pair and use the raw accessors inside.  The raw accessors alone are
 * Array(lock=False): each load and store is a relaxed atomic (no torn
 * values, no undefined behaviour), but a read-modify-write of two of them
 * is not atomic, which is what loses updates.  Typecodes: 'i' (int32_t)
 * and 'q' (int64_t); values pass as int64_t.  An index out of range is a
 * caller's bug and aborts (Python's IndexError).
 *
 * shm_manager: Manager().  start() forks a server process that serves one
 * dictionary of int64_t keys and values (the lesson's dic[i] = 100 + i)
 * over a Unix-domain socket in the abstract namespace (no file to clean
 * up), one connection per client, each request one SOCK_SEQPACKET
 * message and its answer another.  The server's event loop is libev's
 * (ev_io watchers on the listening socket, each connection and a control
 * socket); the data sit in a glibc tsearch() tree.  stop() closes the
 * control socket, on which the server closes everything and exits, and
 * reaps it; a server whose owner thread dies is killed with it
 * (PR_SET_PDEATHSIG).  A client is a connection: each process (or thread)
 * makes its own with shm_dict_connect() after it exists, never uses one
 * made before a fork.
 *
 * Return codes are 0 or -errno: -EINVAL (a bad argument), -ENOMEM,
 * -ENOENT (get of a missing key: KeyError), -EPIPE or -ECONNRESET (the
 * manager is gone), or what socket, fork or connect returned.
 */
#ifndef CONTEND_SHM_H
#define CONTEND_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "primitives/sync.h"

/* ------------------------------------------------------------------ */
/* Array                                                                */

/* Fields are private. */
struct shm_array {
	struct sync_lock lock;	/* get_lock(): shared between processes */
	uint32_t typecode;	/* 'i' or 'q' */
	size_t n;
	size_t bytes;		/* the whole mapping */
	_Alignas(64) unsigned char data[];
};

/* A zero-filled Array of n (>= 1) elements.  0, -EINVAL (typecode, n)
 * or -ENOMEM. */
int shm_array_create(struct shm_array **ap, char typecode, size_t n);
/* Unmap (in this process; the others keep theirs). */
void shm_array_destroy(struct shm_array *a);

size_t shm_array_len(const struct shm_array *a);
/* The lock every locked access takes; hold it around raw accesses. */
struct sync_lock *shm_array_get_lock(struct shm_array *a);

/* arr[i] and arr[i] = v, each under the lock. */
int64_t shm_array_get(struct shm_array *a, size_t i);
void shm_array_set(struct shm_array *a, size_t i, int64_t v);
/* The same without the lock. */
int64_t shm_array_raw_get(const struct shm_array *a, size_t i);
void shm_array_raw_set(struct shm_array *a, size_t i, int64_t v);

/* ------------------------------------------------------------------ */
/* Manager().dict()                                                     */

struct shm_manager {
	pid_t pid;		/* the server */
	int ctl;		/* our end of the control socket */
	struct sockaddr_un addr;
	socklen_t addrlen;
};

struct shm_dict {
	int fd;			/* this client's connection */
};

struct shm_dict_pair {
	int64_t key, value;
};

/* Fork the server; returns once it listens.  0 or -errno. */
int shm_manager_start(struct shm_manager **mp);
/* Stop the server (closing every connection) and reap it; frees m.
 * 0, or -ECHILD if it had already died. */
int shm_manager_stop(struct shm_manager *m);

/* A connection of the calling process.  0 or -errno. */
int shm_dict_connect(const struct shm_manager *m, struct shm_dict **dp);
void shm_dict_close(struct shm_dict *d);

/* d[key] into *value: 0 or -ENOENT. */
int shm_dict_get(struct shm_dict *d, int64_t key, int64_t *value);
/* d[key] = value. */
int shm_dict_set(struct shm_dict *d, int64_t key, int64_t value);
/* d.update(pairs): all of them, in order. */
int shm_dict_update(struct shm_dict *d, const struct shm_dict_pair *pairs, size_t n);
/* d.keys(), ascending: writes at most cap keys and returns how many the
 * dictionary holds (>= 0), or -errno. */
long shm_dict_keys(struct shm_dict *d, int64_t *keys, size_t cap);

#endif
