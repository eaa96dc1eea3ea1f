/*
 * harness/csv.h - the one CSV writer and reader of contend (RFC 4180).
 *
 * The writer never leaves a half-written file: rows go to a hidden
 * temporary file beside the destination and csv_commit() renames it into
 * place (a device, FIFO or stdout is written through instead: nothing
 * that is not a regular file is ever renamed over).  It buffers in its own memory, not in stdio, so a process forked
 * while a writer is open cannot flush the same rows twice when it exits.
 * Numbers are written with a "C" decimal point whatever the program's
 * locale.  A writer is used by one thread at a time; different writers
 * share nothing.
 *
 * The reader loads a whole file for `contend plot`, `contend compare` and
 * `sweep --resume`: a regular file of at most CSV_READ_MAX bytes.
 */
#ifndef CONTEND_CSV_H
#define CONTEND_CSV_H

#include <stddef.h>
#include <stdint.h>

struct csv_writer;

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
 *        rows go to "<dir>/.<base>.tmp.XXXXXX" in the destination's
 *        directory (mkostemp, close-on-exec); csv_commit() fsyncs it,
 *        gives it the mode a new file would get (0666 & ~umask) and
 *        rename()s it onto path.  A symbolic link to a regular file keeps
 *        being a link: the file it names is the one replaced.
 *
 * The checks happen here, before any row is made, so that a caller can
 * refuse a bad destination before doing any work.  NULL with errno set:
 * EINVAL (NULL or empty path), EISDIR (a directory, or a name ending in
 * '/'), ENOENT (no such directory, or a dangling link), ENAMETOOLONG (no
 * room for the temporary name), EACCES, EROFS, EBADF (stdout closed),
 * ENOTSUP (a socket or block device), ENOMEM, ...
 */
struct csv_writer *csv_open(const char *path);

/*
 * One field each, appended to the current row.  Write errors (disk
 * full, ...) are remembered and reported by csv_commit(); after one, the
 * field and row calls do nothing.
 */
/* RFC 4180 quoting: quoted when the field has , " CR or LF, or a leading
 * or trailing space or tab; inner quotes doubled.  NULL is an empty field. */
void csv_field_str(struct csv_writer *w, const char *s);
void csv_field_int(struct csv_writer *w, long long v);
void csv_field_u64(struct csv_writer *w, uint64_t v);
/* "%.9g"; NaN or infinite: an empty field (unmeasured). */
void csv_field_double(struct csv_writer *w, double v);
void csv_field_empty(struct csv_writer *w);
/* "\n".  A row that is one empty field is written as "" so that it is
 * not a blank line (which readers, this one included, skip).  On stdout
 * each finished row is written out at once. */
void csv_row_end(struct csv_writer *w);

/*
 * Append n bytes exactly as given: no quoting, no separator, not a field.
 * For a whole pre-formatted document (a JSON report) that wants the same
 * temp-file-and-rename; the caller owns its format.  Returns 0, or the
 * first write error so far as -errno (csv_commit() has the final word).
 */
int csv_write_raw(struct csv_writer *w, const char *data, size_t n);

/*
 * Commit in two steps, so that a caller writing several files can make
 * them all appear or none: csv_finish() flushes, fsyncs and closes the
 * temporary file (for stdout or a device: flushes and closes), leaving
 * the destination untouched; csv_publish() renames it into place (then
 * fsyncs the directory, best effort) and frees w.  csv_commit() is both.
 * Each returns 0 or -errno (the first write error, or the failing
 * step's); after an error the temporary file is gone and the destination
 * untouched, and w still needs csv_publish() or csv_abort() to be freed
 * (csv_commit() frees it in every case).
 */
int csv_finish(struct csv_writer *w);
int csv_publish(struct csv_writer *w);
int csv_commit(struct csv_writer *w);

/* Remove the temporary file (the destination is untouched) and free w;
 * also after csv_finish(). */
void csv_abort(struct csv_writer *w);

/*
 * The temporary file's path, or NULL when writing through (stdout, a
 * device): for a signal handler that wants to unlink() it (async-signal-safe) before the
 * process dies.  Valid until csv_commit()/csv_abort().
 */
const char *csv_temp_path(const struct csv_writer *w);

/*
 * A whole file in memory.  header[c] and rows[r][c] (r < nrows,
 * c < ncols) are NUL-terminated fields with quoting undone.
 */
struct csv_table {
	size_t nrows, ncols;
	char **header;
	char ***rows;		/* rows[r][c]; NULL when nrows == 0 */
	size_t *line;		/* line[r]: 1-based line where row r starts,
				   for "FILE:LINE:" messages */
	char *text;		/* internal: the file, which the fields point into */
};

/*
 * Read path into *t.  RFC 4180: fields separated by ',', optionally
 * quoted with '"' (a quoted field may hold commas, doubled quotes, CR and
 * LF); records end in LF, CRLF or a lone CR; the last may lack one.  The
 * first record is the header.  Blank lines are skipped; a UTF-8 BOM at
 * the start is ignored.
 *
 * Only a regular file is read, and opened without waiting: a FIFO, device
 * or socket is -ENOTSUP (a FIFO would block in open(), /dev/zero never
 * ends), a folder -EISDIR, a file over CSV_READ_MAX bytes -EFBIG.
 *
 * Returns 0, -errno for I/O (-ENOENT, ...), -ENOMEM, or -EINVAL for
 * malformed input: no header, an unterminated quote, a quote inside an
 * unquoted field or text after a closing quote, a NUL byte, a record whose
 * field count differs from the header's.  On -EINVAL *line_out (if
 * non-NULL) gets the 1-based line of the problem so that the caller can
 * print "FILE:LINE: ...": the line where the offending quoted field or
 * record starts, or where the stray character is.  On any error *t is
 * left empty (zeroed) and need not be freed.
 */
int csv_read(const char *path, struct csv_table *t, size_t *line_out);

/* 512 MiB: far more than any run folder's file, and the reader needs
 * about three times a file's size in memory; an input past it is refused
 * rather than read until memory runs out. */
#define CSV_READ_MAX ((size_t)512 << 20)
#define CSV_READ_MAX_TEXT "512 MiB"

/* csv_read's errors other than -EINVAL, as a person would put them
 * ("not a regular file ...", "larger than ..."), else strerror. */
const char *csv_read_strerror(int err);

/* Index of the first column called name, or -1. */
int csv_table_col(const struct csv_table *t, const char *name);

/* Free what csv_read() allocated and zero *t (freeing twice is harmless). */
void csv_table_free(struct csv_table *t);

#endif
