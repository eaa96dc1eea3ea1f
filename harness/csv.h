/*
 * harness/csv.h - the one CSV writer and reader of contend (RFC 4180).
 *
 * The writer formats fields and rows into an outfile (outfile.h), which
 * the caller opened and publishes: a CSV file appears whole or not at
 * all.  Numbers are written with a "C" decimal point whatever the
 * program's locale.  A writer is used by one thread at a time;
 * different writers share nothing.
 *
 * The reader loads a whole file for `contend plot`, `contend compare` and
 * `sweep --resume`: a regular file of at most CSV_READ_MAX bytes.
 */
#ifndef CONTEND_CSV_H
#define CONTEND_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "harness/outfile.h"

struct csv_writer;

/* A CSV writer into out, which stays the caller's to publish or abort
 * (the writer never closes it); NULL with errno ENOMEM. */
struct csv_writer *csv_writer_new(struct outfile *out);
/* Free w (NULL is harmless); before or after out is published. */
void csv_writer_free(struct csv_writer *w);

/*
 * One field each, appended to the current row.  Write errors (disk
 * full, ...) are remembered by the outfile and reported when it is
 * committed; after one, the field and row calls write nothing.
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
