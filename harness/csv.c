/*
 * harness/csv.c - the CSV format (RFC 4180): fields and rows written
 * into an outfile, and the whole-file reader.  See csv.h for the
 * contracts.
 */
#define _GNU_SOURCE		/* newlocale/uselocale */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/csv.h"

struct csv_writer {
	struct outfile *out;
	size_t nfields;		/* fields in the current row */
	size_t row_bytes;	/* bytes of the current row written so far */
	locale_t c_numeric;	/* "C" decimal point for %g */
};

static void csv_writer_put(struct csv_writer *w, const char *s, size_t n)
{
	w->row_bytes += n;
	outfile_write(w->out, s, n);
}

struct csv_writer *csv_writer_new(struct outfile *out)
{
	struct csv_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->out = out;
	w->c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!w->c_numeric) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void csv_writer_free(struct csv_writer *w)
{
	if (!w)
		return;
	freelocale(w->c_numeric);
	free(w);
}

static void csv_field_begin(struct csv_writer *w)
{
	if (w->nfields++)
		csv_writer_put(w, ",", 1);
}

static int csv_needs_quotes(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return 0;
	if (strpbrk(s, ",\"\r\n"))
		return 1;
	/* Many tools trim unquoted blanks; quoting keeps them. */
	return s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t';
}

void csv_field_str(struct csv_writer *w, const char *s)
{
	csv_field_begin(w);
	if (!s || !csv_needs_quotes(s)) {
		if (s)
			csv_writer_put(w, s, strlen(s));
		return;
	}
	csv_writer_put(w, "\"", 1);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		csv_writer_put(w, s, (size_t)(q - s + 1));	/* up to and with the quote */
		csv_writer_put(w, "\"", 1);			/* doubled */
	}
	csv_writer_put(w, s, strlen(s));
	csv_writer_put(w, "\"", 1);
}

void csv_field_int(struct csv_writer *w, long long v)
{
	char b[24];	/* 20 digits of LLONG_MIN, a sign, a NUL */
	int n = snprintf(b, sizeof(b), "%lld", v);

	csv_field_begin(w);
	csv_writer_put(w, b, (size_t)n);
}

void csv_field_u64(struct csv_writer *w, uint64_t v)
{
	char b[24];	/* 20 digits of UINT64_MAX, a NUL */
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	csv_field_begin(w);
	csv_writer_put(w, b, (size_t)n);
}

void csv_field_double(struct csv_writer *w, double v)
{
	char b[32];	/* "-1.23456789e-308" is 16 */
	int n;

	csv_field_begin(w);
	if (!isfinite(v))
		return;
	/* A program that called setlocale() may use ',' as the decimal
	 * point; switch this thread to "C" just for the conversion. */
	locale_t old = uselocale(w->c_numeric);
	n = snprintf(b, sizeof(b), "%.9g", v);
	uselocale(old);
	csv_writer_put(w, b, (size_t)n);
}

void csv_field_empty(struct csv_writer *w)
{
	csv_field_begin(w);
}

void csv_row_end(struct csv_writer *w)
{
	if (w->nfields == 1 && w->row_bytes == 0)
		csv_writer_put(w, "\"\"", 2);
	csv_writer_put(w, "\n", 1);
	w->nfields = 0;
	w->row_bytes = 0;
	outfile_record_end(w->out);
}

/* ---- reading ---- */

/*
 * The whole file, with one spare byte at the end; 0 or -errno.  Only a
 * regular file is read: the open does not wait (a FIFO would block in
 * open() until a writer came, forever), anything else is -ENOTSUP, a
 * folder -EISDIR, and no more than CSV_READ_MAX bytes are taken (-EFBIG),
 * so that neither a FIFO nor /dev/zero nor a runaway file can hang the
 * program or eat its memory.
 */
static int csv_slurp(const char *path, char **out, size_t *len_out)
{
	struct stat st;
	size_t cap, len = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? -EISDIR : -ENOTSUP;
	if (err) {
		close(fd);
		return err;
	}
	if ((uintmax_t)st.st_size > CSV_READ_MAX) {
		close(fd);
		return -EFBIG;
	}
	/* The size is only a hint (the file may grow, or be in /proc); +2
	 * leaves room for the spare byte and for the read that sees EOF. */
	cap = st.st_size > 0 ? (size_t)st.st_size + 2 : 4096;
	buf = malloc(cap);
	if (!buf)
		err = -ENOMEM;
	while (!err) {
		if (len + 1 == cap) {
			char *nb = cap <= CSV_READ_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				err = cap <= CSV_READ_MAX ? -ENOMEM : -EFBIG;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > CSV_READ_MAX)
			err = -EFBIG;	/* grew past the limit while we read */
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len_out = len;
	return 0;
}

const char *csv_read_strerror(int err)
{
	switch (err) {
	case -ENOTSUP:
		return "not a regular file (a FIFO, device or socket is never read)";
	case -EISDIR:
		return "it is a folder; name a file";
	case -EFBIG:
		return "larger than the " CSV_READ_MAX_TEXT " an input may be";
	default:
		return strerror(-err);
	}
}

struct csv_cells {
	char **v;
	size_t n, cap;
};

/* Room for one more element of `size` bytes in *v (doubling *cap);
 * 0 or -ENOMEM.  The one growth rule of the reader's arrays. */
static int csv_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	nv = ncap > *cap && ncap <= SIZE_MAX / size ? realloc(*v, ncap * size) : NULL;
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int csv_cells_push(struct csv_cells *c, char *s)
{
	if (csv_grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v)) < 0)
		return -ENOMEM;
	c->v[c->n++] = s;
	return 0;
}

/* The line each data record starts on. */
struct csv_lines {
	size_t *v;
	size_t n, cap;
};

static int csv_lines_push(struct csv_lines *l, size_t line)
{
	if (csv_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)) < 0)
		return -ENOMEM;
	l->v[l->n++] = line;
	return 0;
}

/*
 * Split buf[0..len) into fields in place: quoting is undone by copying
 * each field's text leftwards over its own raw bytes (the result is never
 * longer than the source) and the byte after it becomes its NUL, so
 * buf[len] must exist.  Pushes every field of every record onto cells and
 * sets *ncols from the header.  0, -ENOMEM, or -EINVAL with *line set.
 */
static int csv_parse(char *buf, size_t len, struct csv_cells *cells,
		     struct csv_lines *lines, size_t *ncols, size_t *line)
{
	size_t pos = 0, ln = 1, nrecords = 0;

	/* UTF-8 byte order mark, as spreadsheet programs write it. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		if (buf[pos] == '\n' || buf[pos] == '\r') {	/* blank line */
			if (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n')
				pos++;
			pos++;
			ln++;
			continue;
		}
		size_t rec_line = ln, nf = 0;

		for (;;) {
			char *start = buf + pos, *w = start;

			if (pos < len && buf[pos] == '"') {
				size_t quote_line = ln;

				for (pos++;; pos++) {
					if (pos >= len) {
						*line = quote_line;
						return -EINVAL;
					}
					char c = buf[pos];
					if (c == '"') {
						if (pos + 1 < len && buf[pos + 1] == '"') {
							*w++ = '"';
							pos++;
							continue;
						}
						pos++;
						break;
					}
					if (c == '\0') {
						*line = ln;
						return -EINVAL;
					}
					if (c == '\n' || (c == '\r' && !(pos + 1 < len && buf[pos + 1] == '\n')))
						ln++;
					*w++ = c;
				}
				if (pos < len && buf[pos] != ',' && buf[pos] != '\n' && buf[pos] != '\r') {
					*line = ln;
					return -EINVAL;
				}
			} else {
				while (pos < len && buf[pos] != ',' && buf[pos] != '\n' && buf[pos] != '\r') {
					if (buf[pos] == '"' || buf[pos] == '\0') {
						*line = ln;
						return -EINVAL;
					}
					*w++ = buf[pos++];
				}
			}
			/* Read the delimiter before the NUL may overwrite it. */
			char delim = pos < len ? buf[pos] : '\0';
			*w = '\0';
			if (csv_cells_push(cells, start))
				return -ENOMEM;
			nf++;
			if (pos >= len)
				break;
			pos++;
			if (delim == ',')
				continue;
			if (delim == '\r' && pos < len && buf[pos] == '\n')
				pos++;
			ln++;
			break;
		}
		if (nrecords == 0) {
			*ncols = nf;
		} else if (nf != *ncols) {
			*line = rec_line;
			return -EINVAL;
		} else if (csv_lines_push(lines, rec_line)) {
			return -ENOMEM;
		}
		nrecords++;
	}
	if (nrecords == 0) {
		*line = 1;
		return -EINVAL;
	}
	return 0;
}

int csv_read(const char *path, struct csv_table *t, size_t *line_out)
{
	struct csv_cells cells = { 0 };
	struct csv_lines lines = { 0 };
	size_t len = 0, ncols = 0, line = 0;
	char *buf = NULL;
	int err;

	if (!t)
		return -EINVAL;
	*t = (struct csv_table){ 0 };
	if (!path)
		return -EINVAL;
	err = csv_slurp(path, &buf, &len);
	if (err)
		return err;
	/* Room for every field at once: one per separator, plus one. */
	size_t seps = 1;
	for (const char *p = buf, *end = buf + len; p < end; p++)
		seps += *p == ',' || *p == '\n';
	cells.v = malloc(seps * sizeof(*cells.v));
	cells.cap = cells.v ? seps : 0;
	err = csv_parse(buf, len, &cells, &lines, &ncols, &line);
	if (err) {
		if (err == -EINVAL && line_out)
			*line_out = line;
		goto out;
	}

	/*
	 * The table keeps what parsing made, copying nothing: the text
	 * (fields point into it), the cell pointers (the header is the
	 * first record, each row points at its own), and one array of row
	 * pointers.  A big samples.csv is then read in one pass over it.
	 */
	size_t nrows = cells.n / ncols - 1;
	if (nrows) {
		t->rows = malloc(nrows * sizeof(*t->rows));
		if (!t->rows) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t r = 0; r < nrows; r++)
			t->rows[r] = cells.v + (r + 1) * ncols;
		t->line = lines.v;	/* one per data record */
		lines.v = NULL;
	}
	t->header = cells.v;
	t->text = buf;
	cells.v = NULL;
	buf = NULL;
	t->nrows = nrows;
	t->ncols = ncols;
out:
	free(cells.v);
	free(lines.v);
	free(buf);
	return err;
}

int csv_table_col(const struct csv_table *t, const char *name)
{
	if (!t || !name)
		return -1;
	for (size_t c = 0; c < t->ncols && c <= INT_MAX; c++)
		if (strcmp(t->header[c], name) == 0)
			return (int)c;
	return -1;
}

void csv_table_free(struct csv_table *t)
{
	if (!t)
		return;
	free(t->header);	/* every cell pointer, the header's first */
	free(t->rows);
	free(t->line);
	free(t->text);
	*t = (struct csv_table){ 0 };
}

