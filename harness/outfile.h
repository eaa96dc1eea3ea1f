/*
 * harness/outfile.h - every file contend writes (CSV, JSON, plan.txt,
 * chart data and images) is published whole or not at all.
 *
 * Bytes go to a hidden temporary file beside the destination and
 * outfile_commit() renames it into place (a device, FIFO or stdout is
 * written through instead: nothing that is not a regular file is ever
 * renamed over).  They are buffered in our own memory, not in stdio, so
 * a process forked while a file is open cannot flush the same bytes
 * twice when it exits.  An outfile is used by one thread at a time;
 * different outfiles share nothing.  The format is the caller's
 * (csv.h writes CSV into one).
 */
#ifndef CONTEND_OUTFILE_H
#define CONTEND_OUTFILE_H

#include <stddef.h>

struct outfile;

/*
 * Open for writing.  Where the bytes go depends on what path names:
 *
 *   "-", or the file fd 1 writes to (/dev/stdout, /proc/self/fd/1)
 *        fd 1 directly, no temporary file; whatever the program printed
 *        with stdio before is flushed first so the order holds.  Fails
 *        with EBADF when fd 1 is closed or read-only.
 *   a character device or a FIFO (/dev/null, a named pipe)
 *        opened and written through: such a file is never replaced.  A
 *        FIFO's open waits for a reader, as any writer's does.
 *   a regular file, or a name that does not exist yet
 *        bytes go to "<dir>/.<base>.tmp.XXXXXX" in the destination's
 *        directory (mkostemp, close-on-exec); outfile_commit() fsyncs
 *        it, gives it the mode a new file would get (0666 & ~umask) and
 *        rename()s it onto path.  A symbolic link to a regular file keeps
 *        being a link: the file it names is the one replaced.
 *
 * The checks happen here, before anything is written, so that a caller
 * can refuse a bad destination before doing any work.  NULL with errno
 * set: EINVAL (NULL or empty path), EISDIR (a directory, or a name
 * ending in '/'), ENOENT (no such directory, or a dangling link),
 * ENAMETOOLONG (no room for the temporary name), EACCES, EROFS, EBADF
 * (stdout closed), ENOTSUP (a socket or block device), ENOMEM, ...
 */
struct outfile *outfile_open(const char *path);

/*
 * Open the regular file path (made if missing) for appending records as
 * they end, each with one write(), so that a process killed outright
 * leaves whole records only: a journal kept current while a command
 * runs, not a result to publish (outfile_commit() just closes it).  NULL
 * with errno set (EISDIR, ENOTSUP for anything but a regular file, ...).
 */
struct outfile *outfile_open_append(const char *path);

/*
 * Append n bytes exactly as given.  Write errors (disk full, ...) are
 * remembered and reported by outfile_commit(); after one, writes do
 * nothing.  Returns 0, or the first write error so far as -errno
 * (outfile_commit() has the final word).
 */
int outfile_write(struct outfile *f, const char *data, size_t n);

/* A record of the caller's format is complete: on stdout, a device or a
 * FIFO it is written out now; a temporary file keeps buffering. */
void outfile_record_end(struct outfile *f);

/*
 * Commit in two steps, so that a caller writing several files can make
 * them all appear or none: outfile_finish() flushes, fsyncs and closes
 * the temporary file (for stdout or a device: flushes and closes),
 * leaving the destination untouched; outfile_publish() renames it into
 * place (then fsyncs the directory, best effort) and frees f.
 * outfile_commit() is both.  Each returns 0 or -errno (the first write
 * error, or the failing step's); after an error the temporary file is
 * gone and the destination untouched, and f still needs
 * outfile_publish() or outfile_abort() to be freed (outfile_commit()
 * frees it in every case).
 */
int outfile_finish(struct outfile *f);
int outfile_publish(struct outfile *f);
int outfile_commit(struct outfile *f);

/* Remove the temporary file (the destination is untouched) and free f;
 * also after outfile_finish(). */
void outfile_abort(struct outfile *f);

/*
 * The temporary file's path, or NULL when writing through (stdout, a
 * device): for a signal handler that wants to unlink() it
 * (async-signal-safe) before the process dies.  Valid until
 * outfile_commit()/outfile_abort().
 */
const char *outfile_temp_path(const struct outfile *f);

#endif
