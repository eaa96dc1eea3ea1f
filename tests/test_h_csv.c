/*
 * tests/test_h_csv.c - harness/csv and harness/outfile: exact bytes of
 * every quoting case, writer -> reader round trips, malformed input with
 * its line number, and the outfile's temp-file-and-rename discipline
 * (checked by listing a fresh directory).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check.h"
#include "harness/csv.h"
#include "harness/outfile.h"
#include "harness/outset.h"

/* A fresh empty directory, which the test removes with rm_dir() when it
 * passes (a failing test leaves it for inspection). */
static char *tdir(void)
{
	static char d[64];

	strcpy(d, "/tmp/contend-csv-XXXXXX");
	cr_assert_not_null(mkdtemp(d));
	return d;
}

static char *tpath(const char *dir, const char *name)
{
	static char p[2][512];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* The whole file as a NUL-terminated string (and its length). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(1 << 20);
	size_t n;

	cr_assert_not_null(f);
	cr_assert_not_null(b);
	n = fread(b, 1, (1 << 20) - 1, f);
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

static void spit(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(s, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

/* Entries of dir other than . and .., names joined by '/' into out. */
static int list_dir(const char *dir, char *out, size_t outlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	out[0] = '\0';
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n++)
			strncat(out, "/", outlen - strlen(out) - 1);
		strncat(out, e->d_name, outlen - strlen(out) - 1);
	}
	closedir(d);
	return n;
}

/* Remove dir and what a test left in it (files, and empty folders). */
static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) < 0)
			cr_assert_eq(rmdir(p), 0);
	}
	closedir(d);
	cr_assert_eq(rmdir(dir), 0);
}

/*
 * A CSV file as the harness makes one (outset.c): an outfile with a CSV
 * writer on it.  One at a time: t_out is the file of the last t_open.
 */
static struct outfile *t_out;

static struct csv_writer *t_open(const char *path)
{
	struct csv_writer *w;

	if (!(t_out = outfile_open(path)))
		return NULL;
	w = csv_writer_new(t_out);
	cr_assert_not_null(w);
	return w;
}

static int t_commit(struct csv_writer *w)
{
	csv_writer_free(w);
	return outfile_commit(t_out);
}

static int t_publish(struct csv_writer *w)
{
	csv_writer_free(w);
	return outfile_publish(t_out);
}

static void t_abort(struct csv_writer *w)
{
	csv_writer_free(w);
	outfile_abort(t_out);
}

static void write_fields(struct csv_writer *w, const char *const *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		csv_field_str(w, f[i]);
	csv_row_end(w);
}

Test(h_csv, quoting_exact_bytes, .timeout = 30)
{
	char *d = tdir(), *p = tpath(d, "q.csv");
	struct csv_writer *w = t_open(p);
	const char *f[] = {
		"plain", "a,b", "say \"hi\"", "x\ry", "x\ny", " lead", "trail ",
		"\ttab", "", "in side", "\"",
	};

	cr_assert_not_null(w);
	write_fields(w, f, sizeof(f) / sizeof(f[0]));
	csv_field_str(w, NULL);		/* NULL: empty */
	csv_field_empty(w);
	csv_row_end(w);
	cr_assert_eq(t_commit(w), 0);

	char *got = slurp(p, NULL);
	const char *want =
		"plain,\"a,b\",\"say \"\"hi\"\"\",\"x\ry\",\"x\ny\",\" lead\",\"trail \","
		"\"\ttab\",,in side,\"\"\"\"\n"
		",\n";
	cr_assert_str_eq(got, want);
	free(got);
	rm_dir(d);
}

Test(h_csv, numbers_order_and_nan, .timeout = 30)
{
	char *d = tdir(), *p = tpath(d, "n.csv");
	struct csv_writer *w = t_open(p);
	struct csv_table t;

	cr_assert_not_null(w);
	const char *hdr[] = { "z", "a", "m", "nan", "inf", "u", "neg", "third", "e" };
	write_fields(w, hdr, 9);
	csv_field_int(w, -42);
	csv_field_double(w, 0.1);		/* %.9g: 0.100000000 -> "0.1" */
	csv_field_double(w, 1e300);
	csv_field_double(w, NAN);
	csv_field_double(w, -INFINITY);
	csv_field_u64(w, UINT64_MAX);
	csv_field_int(w, INT64_MIN);
	csv_field_double(w, 1.0 / 3.0);		/* 9 significant digits */
	csv_field_empty(w);
	csv_row_end(w);
	cr_assert_eq(t_commit(w), 0);

	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, "z,a,m,nan,inf,u,neg,third,e\n"
			 "-42,0.1,1e+300,,,18446744073709551615,"
			 "-9223372036854775808,0.333333333,\n");
	free(got);

	cr_assert_eq(csv_read(p, &t, NULL), 0);
	cr_assert_eq(t.ncols, 9);
	cr_assert_eq(t.nrows, 1);
	for (int c = 0; c < 9; c++)
		cr_assert_eq(csv_table_col(&t, hdr[c]), c);	/* order kept */
	cr_assert_eq(csv_table_col(&t, "missing"), -1);
	cr_assert_str_eq(t.rows[0][csv_table_col(&t, "nan")], "");
	cr_assert_str_eq(t.rows[0][csv_table_col(&t, "inf")], "");
	cr_assert_str_eq(t.rows[0][csv_table_col(&t, "a")], "0.1");
	csv_table_free(&t);
	csv_table_free(&t);	/* harmless twice */
	cr_assert_null(t.header);
	rm_dir(d);
}

Test(h_csv, round_trip_tricky_fields, .timeout = 30)
{
	char *d = tdir(), *p = tpath(d, "rt.csv");
	const char *f[][4] = {
		{ "k", "v", "w", "x" },
		{ "", "a,b", "\"", "\"\"" },
		{ "line1\nline2", "crlf\r\nx", "lone\rcr", " sp" },
		{ "sp ", "\t", "\xc3\xbcnic\xc3\xb8" "de", "x\"y\"z" },
		{ ",", "\n", ",,\"\n\r", "" },
		{ "", "", "", "" },
	};
	const size_t nr = sizeof(f) / sizeof(f[0]);
	struct csv_writer *w = t_open(p);
	struct csv_table t;
	size_t line = 0;

	cr_assert_not_null(w);
	for (size_t r = 0; r < nr; r++)
		write_fields(w, f[r], 4);
	cr_assert_eq(t_commit(w), 0);

	cr_assert_eq(csv_read(p, &t, &line), 0);
	cr_assert_eq(t.ncols, 4);
	cr_assert_eq(t.nrows, nr - 1);
	for (size_t c = 0; c < 4; c++)
		cr_assert_str_eq(t.header[c], f[0][c]);
	for (size_t r = 1; r < nr; r++)
		for (size_t c = 0; c < 4; c++)
			cr_assert_str_eq(t.rows[r - 1][c], f[r][c]);
	csv_table_free(&t);
	rm_dir(d);
}

/* A one-column row holding an empty field must not become a blank line. */
Test(h_csv, round_trip_single_empty_column, .timeout = 30)
{
	char *d = tdir(), *p = tpath(d, "one.csv");
	struct csv_writer *w = t_open(p);
	struct csv_table t;

	cr_assert_not_null(w);
	csv_field_str(w, "only");
	csv_row_end(w);
	csv_field_str(w, "");
	csv_row_end(w);
	csv_field_double(w, NAN);
	csv_row_end(w);
	csv_field_str(w, "x");
	csv_row_end(w);
	cr_assert_eq(t_commit(w), 0);

	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, "only\n\"\"\n\"\"\nx\n");
	free(got);
	cr_assert_eq(csv_read(p, &t, NULL), 0);
	cr_assert_eq(t.ncols, 1);
	cr_assert_eq(t.nrows, 3);
	cr_assert_str_eq(t.rows[0][0], "");
	cr_assert_str_eq(t.rows[1][0], "");
	cr_assert_str_eq(t.rows[2][0], "x");
	csv_table_free(&t);
	rm_dir(d);
}

/* More than the writer's 64 KiB buffer, so it flushes mid-field. */
Test(h_csv, round_trip_large, .timeout = 30)
{
	char *d = tdir(), *p = tpath(d, "big.csv");
	struct csv_writer *w = t_open(p);
	struct csv_table t;
	char s[64];

	cr_assert_not_null(w);
	csv_field_str(w, "i");
	csv_field_str(w, "text");
	csv_row_end(w);
	for (int i = 0; i < 20000; i++) {
		snprintf(s, sizeof(s), "row \"%d\", with\nnewline", i);
		csv_field_int(w, i);
		csv_field_str(w, s);
		csv_row_end(w);
	}
	cr_assert_eq(t_commit(w), 0);
	cr_assert_eq(csv_read(p, &t, NULL), 0);
	cr_assert_eq(t.nrows, 20000);
	for (int i = 0; i < 20000; i++) {
		snprintf(s, sizeof(s), "row \"%d\", with\nnewline", i);
		cr_assert_eq(atoi(t.rows[i][0]), i);
		cr_assert_str_eq(t.rows[i][1], s);
	}
	csv_table_free(&t);
	rm_dir(d);
}

Test(h_csv, reader_crlf_bom_blank_lines, .timeout = 30)
{
	char *d = tdir(), *p = tpath(d, "crlf.csv");
	struct csv_table t;
	const char in[] = "\xef\xbb\xbf" "a,b\r\n"
		"1,\"x\r\ny\"\r\n"
		"\r\n"
		"\n"
		"2,\r\n"
		",3";			/* no final line ending */

	spit(p, in, sizeof(in) - 1);
	cr_assert_eq(csv_read(p, &t, NULL), 0);
	cr_assert_eq(t.ncols, 2);
	cr_assert_eq(t.nrows, 3);
	cr_assert_str_eq(t.header[0], "a");
	cr_assert_str_eq(t.header[1], "b");
	cr_assert_str_eq(t.rows[0][0], "1");
	cr_assert_str_eq(t.rows[0][1], "x\r\ny");
	cr_assert_str_eq(t.rows[1][0], "2");
	cr_assert_str_eq(t.rows[1][1], "");
	cr_assert_str_eq(t.rows[2][0], "");
	cr_assert_str_eq(t.rows[2][1], "3");
	csv_table_free(&t);

	/* Header only: no rows. */
	spit(p, "a,b\n", 4);
	cr_assert_eq(csv_read(p, &t, NULL), 0);
	cr_assert_eq(t.ncols, 2);
	cr_assert_eq(t.nrows, 0);
	cr_assert_null(t.rows);
	csv_table_free(&t);
	rm_dir(d);
}

/* Each case: the file, and the line a caller should point at. */
Test(h_csv, malformed_with_line, .timeout = 30)
{
	static const struct {
		const char *text;
		size_t len, line;
	} bad[] = {
		/* quote opened on line 3 never closes */
		{ "a,b\n1,2\n\"unterminated,3\n4,5\n", 0, 3 },
		/* record 2 spans lines 2-3; the ragged record starts on line 4 */
		{ "a,b\n\"x\ny\",2\n3\n5,6\n", 0, 4 },
		/* too many fields on line 2 */
		{ "a,b\n1,2,3\n", 0, 2 },
		/* CRLF counts one line: ragged record on line 3 */
		{ "a,b\r\n1,2\r\n1\r\n", 0, 3 },
		/* quote inside an unquoted field */
		{ "a,b\n1,x\"y\n", 0, 2 },
		/* text after a closing quote */
		{ "a,b\n\"x\"y,2\n", 0, 2 },
		/* no header at all */
		{ "", 0, 1 },
		{ "\n\n", 0, 1 },
		/* a NUL byte on line 2 */
		{ "a,b\n1,x\0y\n", 10, 2 },
	};
	char *d = tdir(), *p = tpath(d, "bad.csv");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct csv_table t;
		size_t line = 0;

		spit(p, bad[i].text, bad[i].len ? bad[i].len : strlen(bad[i].text));
		cr_assert_eq(csv_read(p, &t, &line), -EINVAL, "case %zu", i);
		cr_assert_eq(line, bad[i].line, "case %zu: line %zu", i, line);
		cr_assert_eq(t.nrows, 0);
		cr_assert_null(t.header);
		cr_assert_eq(csv_read(p, &t, NULL), -EINVAL);	/* line_out optional */
	}
	rm_dir(d);
}

Test(h_csv, read_missing_file, .timeout = 30)
{
	struct csv_table t;
	char *d = tdir();

	cr_assert_eq(csv_read(tpath(d, "nope.csv"), &t, NULL), -ENOENT);
	cr_assert_eq(csv_read(d, &t, NULL), -EISDIR);
	rm_dir(d);
}

/*
 * Only regular files are read, and none past CSV_READ_MAX: a FIFO with no
 * writer blocked in open() for ever, /dev/zero was read until memory ran
 * out.  The time-out is what catches a hang.
 */
Test(h_csv, read_only_regular_files, .timeout = 20)
{
	struct csv_table t;
	char *d = tdir(), fifo[512], big[512], ok[512], link[512];
	int fd;

	snprintf(fifo, sizeof(fifo), "%s/fifo.csv", d);
	snprintf(big, sizeof(big), "%s/big.csv", d);
	snprintf(ok, sizeof(ok), "%s/ok.csv", d);
	snprintf(link, sizeof(link), "%s/link.csv", d);

	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(csv_read(fifo, &t, NULL), -ENOTSUP);
	cr_assert_eq(csv_read("/dev/zero", &t, NULL), -ENOTSUP);
	cr_assert_eq(csv_read("/dev/null", &t, NULL), -ENOTSUP);
	cr_assert_str_eq(csv_read_strerror(-ENOTSUP),
			 "not a regular file (a FIFO, device or socket is never read)");
	/* A sparse file one byte past the limit: refused before a read. */
	fd = open(big, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)CSV_READ_MAX + 1), 0);
	close(fd);
	cr_assert_eq(csv_read(big, &t, NULL), -EFBIG);
	cr_assert(strstr(csv_read_strerror(-EFBIG), "512 MiB"));
	/* A regular file, and a link to one, are read as before. */
	spit(ok, "a,b\n1,2\n", 8);
	cr_assert_eq(symlink(ok, link), 0);
	cr_assert_eq(csv_read(link, &t, NULL), 0);
	cr_assert_eq(t.nrows, 1);
	csv_table_free(&t);
	rm_dir(d);
}

Test(h_csv, commit_leaves_only_final_file, .timeout = 30)
{
	char *d = tdir(), names[512];
	char *p = tpath(d, "out.csv");
	struct csv_writer *w;
	struct stat st;

	umask(022);
	w = t_open(p);
	cr_assert_not_null(w);
	csv_field_str(w, "h");
	csv_row_end(w);
	/* While open: only the hidden temp, named after the destination. */
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);
	cr_assert_eq(strncmp(names, ".out.csv.tmp.", 13), 0);
	cr_assert_eq(strlen(names), strlen(".out.csv.tmp.XXXXXX"));
	cr_assert_not_null(outfile_temp_path(t_out));
	cr_assert_str_eq(strrchr(outfile_temp_path(t_out), '/') + 1, names);
	cr_assert_neq(access(p, F_OK), 0);

	cr_assert_eq(t_commit(w), 0);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);
	cr_assert_str_eq(names, "out.csv");
	/* Mode of a new file, not mkstemp's 0600. */
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);

	/* Replacing an existing file: new content, still one entry. */
	umask(077);
	w = t_open(p);
	cr_assert_not_null(w);
	csv_field_str(w, "second");
	csv_row_end(w);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 2);
	cr_assert_eq(t_commit(w), 0);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);
	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, "second\n");
	free(got);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	rm_dir(d);
}

Test(h_csv, abort_leaves_nothing, .timeout = 30)
{
	char *d = tdir(), names[512];
	char *p = tpath(d, "out.csv");
	struct csv_writer *w = t_open(p);

	cr_assert_not_null(w);
	csv_field_str(w, "x");
	csv_row_end(w);
	t_abort(w);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 0);

	/* And an existing destination is left as it was. */
	spit(p, "old\n", 4);
	w = t_open(p);
	cr_assert_not_null(w);
	csv_field_str(w, "new");
	csv_row_end(w);
	t_abort(w);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);
	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, "old\n");
	free(got);
	rm_dir(d);
}

/* rename() onto a directory fails: the error comes back, no temp stays. */
Test(h_csv, commit_failure_removes_temp, .timeout = 30)
{
	char *d = tdir(), names[512];
	char *p = tpath(d, "out.csv");
	struct csv_writer *w = t_open(p);

	cr_assert_not_null(w);
	csv_field_str(w, "x");
	csv_row_end(w);
	cr_assert_eq(mkdir(p, 0755), 0);	/* appears under our feet */
	cr_assert_eq(t_commit(w), -EISDIR);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);
	cr_assert_str_eq(names, "out.csv");
	rm_dir(d);
}

/*
 * A set of outputs whose publishing fails, at any one of them (the
 * first, --out's, included), reports the failure: the command must not
 * exit 0 over a file it never wrote.  The others are published.
 */
Test(h_csv, outset_reports_a_failed_publish_whichever_output_it_is, .timeout = 30)
{
	for (int bad = 0; bad < 3; bad++) {
		static const char *const names[] = { "results.csv", "samples.csv", "env.csv" };
		char *d = tdir(), err[300], listed[512];
		struct outset o = { .n = 0 };
		char p[3][512];

		for (int i = 0; i < 3; i++) {
			snprintf(p[i], sizeof(p[i]), "%s/%s", d, names[i]);
			cr_assert_eq(outset_open(&o, p[i], names[i], err, sizeof(err)), i, "%s", err);
			csv_field_str(o.w[i], "x");
			csv_row_end(o.w[i]);
		}
		cr_assert_eq(mkdir(p[bad], 0755), 0);	/* appears under our feet */
		fflush(stderr);
		cr_assert_eq(outset_commit_all(&o), 1, "a failed publish of output %d said ok", bad);
		cr_assert_eq(o.n, 0);
		/* Nothing half-written: the three names, no temporary file. */
		cr_assert_eq(list_dir(d, listed, sizeof(listed)), 3, "%s", listed);
		for (int i = 0; i < 3; i++) {
			struct stat st;

			cr_assert_eq(stat(p[i], &st), 0);
			cr_assert_eq(!!S_ISDIR(st.st_mode), i == bad, "%s", names[i]);
		}
		rm_dir(d);
	}
}

Test(h_csv, open_errors, .timeout = 30)
{
	char *d = tdir();

	errno = 0;
	cr_assert_null(t_open(tpath(d, "no/such/dir/out.csv")));
	cr_assert_eq(errno, ENOENT);
	errno = 0;
	cr_assert_null(t_open(d));
	cr_assert_eq(errno, EISDIR);
	errno = 0;
	cr_assert_null(t_open(tpath(d, "sub/")));
	cr_assert_eq(errno, EISDIR);
	errno = 0;
	cr_assert_null(t_open(""));
	cr_assert_eq(errno, EINVAL);
	rm_dir(d);
}

/* A write error (file size limit: EFBIG, like a full disk) is remembered,
 * returned by commit, and leaves neither a temp file nor a destination. */
Test(h_csv, write_error_reported_by_commit, .timeout = 30)
{
	char *d = tdir(), names[512];
	char *p = tpath(d, "out.csv");
	struct rlimit lim = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };
	struct csv_writer *w;

	signal(SIGXFSZ, SIG_IGN);	/* get EFBIG instead of being killed */
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	w = t_open(p);
	cr_assert_not_null(w);
	for (int i = 0; i < 20000; i++) {
		csv_field_str(w, "0123456789");
		csv_row_end(w);
	}
	cr_assert_eq(t_commit(w), -EFBIG);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 0);
	rm_dir(d);
}

/* Raw text (a JSON report) gets the same temp-and-rename, byte for byte. */
Test(h_csv, raw_document, .timeout = 30)
{
	char *d = tdir(), names[512];
	char *p = tpath(d, "r.json");
	const char doc[] = "{\n  \"a\": \"x,\\\"y\"\n}";
	struct outfile *f = outfile_open(p);

	cr_assert_not_null(f);
	cr_assert_eq(outfile_write(f, doc, sizeof(doc) - 1), 0);
	cr_assert_eq(outfile_commit(f), 0);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);
	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, doc);
	free(got);
	rm_dir(d);
}

/* "-": straight to fd 1, after what stdio printed, no temp file. */
Test(h_csv, stdout_writer, .timeout = 30)
{
	char *d = tdir(), names[512];
	char *p = tpath(d, "stdout.txt");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int saved = dup(STDOUT_FILENO);

	cr_assert_geq(fd, 0);
	cr_assert_geq(saved, 0);
	fflush(stdout);
	cr_assert_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);

	printf("before\n");
	struct csv_writer *w = t_open("-");
	cr_assert_not_null(w);
	cr_assert_null(outfile_temp_path(t_out));
	csv_field_str(w, "a b");
	csv_field_double(w, 2.5);
	csv_row_end(w);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);	/* no temp */
	cr_assert_eq(t_commit(w), 0);

	fflush(stdout);
	cr_assert_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, "before\na b,2.5\n");
	free(got);
	rm_dir(d);
}

/* A FIFO is written through, never replaced by a regular file. */
Test(h_csv, fifo_written_through, .timeout = 30)
{
	char *d = tdir(), buf[64] = "";
	char *p = tpath(d, "pipe");
	struct stat st;
	int fds[2];
	pid_t pid;

	cr_assert_eq(mkfifo(p, 0600), 0);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {		/* the reader, relaying what it gets */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(p, O_RDONLY);
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		(void)!write(fds[1], buf, n > 0 ? (size_t)n : 0);
		_exit(0);
	}
	close(fds[1]);
	struct csv_writer *w = t_open(p);
	cr_assert_not_null(w);
	cr_assert_null(outfile_temp_path(t_out));
	csv_field_str(w, "through");
	csv_row_end(w);
	cr_assert_eq(t_commit(w), 0);
	cr_assert_gt(read(fds[0], buf, sizeof(buf) - 1), 0);
	cr_assert_str_eq(buf, "through\n");
	waitpid(pid, NULL, 0);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced");
	rm_dir(d);
}

/* A character device is written through: /dev/null stays a device. */
Test(h_csv, device_written_through, .timeout = 30)
{
	struct stat st;
	struct csv_writer *w = t_open("/dev/null");

	cr_assert_not_null(w);
	cr_assert_null(outfile_temp_path(t_out));
	csv_field_str(w, "gone");
	csv_row_end(w);
	cr_assert_eq(t_commit(w), 0);
	cr_assert_eq(lstat("/dev/null", &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
}

/* A link to a regular file stays a link; the file it names is replaced.
 * A dangling link is refused rather than replaced. */
Test(h_csv, symlink_keeps_being_a_link, .timeout = 30)
{
	char *d = tdir(), names[512];
	char target[256], link[256];
	struct stat st;
	struct csv_writer *w;

	snprintf(target, sizeof(target), "%s", tpath(d, "real.csv"));
	snprintf(link, sizeof(link), "%s", tpath(d, "link.csv"));
	spit(target, "old\n", 4);
	cr_assert_eq(symlink("real.csv", link), 0);
	w = t_open(link);
	cr_assert_not_null(w);
	csv_field_str(w, "new");
	csv_row_end(w);
	cr_assert_eq(t_commit(w), 0);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link was replaced by a file");
	char *got = slurp(target, NULL);
	cr_assert_str_eq(got, "new\n");
	free(got);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 2, "%s", names);

	cr_assert_eq(symlink("nowhere.csv", tpath(d, "dangling.csv")), 0);
	errno = 0;
	cr_assert_null(t_open(tpath(d, "dangling.csv")));
	cr_assert_eq(errno, ENOENT);
	rm_dir(d);
}

/* /dev/stdout (here: fd 1 redirected to a file) is stdout itself. */
Test(h_csv, dev_stdout_is_stdout, .timeout = 30)
{
	char *d = tdir();
	char *p = tpath(d, "out.txt");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644), saved = dup(STDOUT_FILENO);
	struct stat st;

	cr_assert_geq(fd, 0);
	fflush(stdout);
	cr_assert_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	struct csv_writer *w = t_open("/dev/stdout");
	cr_assert_not_null(w);
	cr_assert_null(outfile_temp_path(t_out), "/dev/stdout must not get a temporary file");
	csv_field_str(w, "x");
	csv_row_end(w);
	cr_assert_eq(t_commit(w), 0);
	cr_assert_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, "x\n");
	free(got);
	cr_assert_eq(lstat("/dev/stdout", &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "/dev/stdout was replaced");
	rm_dir(d);
}

Test(h_csv, closed_stdout_and_long_names, .timeout = 30)
{
	char *d = tdir(), name[300];
	int saved = dup(STDOUT_FILENO);

	fflush(stdout);
	close(STDOUT_FILENO);
	errno = 0;
	struct csv_writer *w = t_open("-");
	int e = errno;
	cr_assert_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	cr_assert_null(w);
	cr_assert_eq(e, EBADF);
	/* 250 characters fit a name, not ".NAME.tmp.XXXXXX" beside it. */
	memset(name, 'n', 250);
	name[250] = '\0';
	errno = 0;
	cr_assert_null(t_open(tpath(d, name)));
	cr_assert_eq(errno, ENAMETOOLONG);
	rm_dir(d);
}

/* outfile_finish keeps the destination untouched until outfile_publish. */
Test(h_csv, finish_then_publish, .timeout = 30)
{
	char *d = tdir(), names[512];
	char *p = tpath(d, "two.csv");
	struct csv_writer *w;

	spit(p, "old\n", 4);
	w = t_open(p);
	cr_assert_not_null(w);
	csv_field_str(w, "new");
	csv_row_end(w);
	cr_assert_eq(outfile_finish(t_out), 0);
	char *got = slurp(p, NULL);
	cr_assert_str_eq(got, "old\n");
	free(got);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 2);	/* and its temp */
	cr_assert_eq(t_publish(w), 0);
	got = slurp(p, NULL);
	cr_assert_str_eq(got, "new\n");
	free(got);
	/* Finished but dropped: nothing changes, nothing stays. */
	w = t_open(p);
	cr_assert_not_null(w);
	csv_field_str(w, "dropped");
	csv_row_end(w);
	cr_assert_eq(outfile_finish(t_out), 0);
	t_abort(w);
	cr_assert_eq(list_dir(d, names, sizeof(names)), 1);
	got = slurp(p, NULL);
	cr_assert_str_eq(got, "new\n");
	free(got);
	rm_dir(d);
}

/* Each row knows the line it starts on, quoted newlines included. */
Test(h_csv, row_lines, .timeout = 30)
{
	char *d = tdir();
	char *p = tpath(d, "lines.csv");
	struct csv_table t;

	spit(p, "a,b\n1,2\n\n\"x\ny\",3\n4,5\n", 21);
	cr_assert_eq(csv_read(p, &t, NULL), 0);
	cr_assert_eq(t.nrows, 3);
	cr_assert_eq(t.line[0], 2);
	cr_assert_eq(t.line[1], 4);
	cr_assert_eq(t.line[2], 6);
	csv_table_free(&t);
	rm_dir(d);
}
