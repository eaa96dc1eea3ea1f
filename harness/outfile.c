/*
 * harness/outfile.c - publishing an output whole: its bytes buffered in
 * our own memory, written to a temporary file beside the destination,
 * renamed into place (a device, FIFO or stdout written through).  See
 * outfile.h for the contract.
 */
#define _GNU_SOURCE		/* mkostemp, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/outfile.h"

/*
 * 64 KiB: a few hundred result rows, so a sweep costs a handful of
 * write() calls, and small enough to sit in a heap block without concern.
 */
#define OUTFILE_BUF_SIZE (64 * 1024)
/* What mkostemp() replaces: six X's, required verbatim. */
#define OUTFILE_TMP_SUFFIX ".tmp.XXXXXX"
/* 0666 & ~022: the mode of a new file under the usual umask, used if
 * /proc cannot tell us the real umask. */
#define OUTFILE_FALLBACK_MODE 0644

/* Where a file's bytes go. */
enum outfile_dest {
	OUTFILE_DEST_FILE,	/* a temporary file renamed onto a regular file */
	OUTFILE_DEST_STDOUT,	/* fd 1, which we neither own nor close */
	OUTFILE_DEST_STREAM,	/* a character device or FIFO we opened: written
				   through, since it cannot be replaced */
};

struct outfile {
	int fd;
	int err;		/* first error, as a positive errno */
	enum outfile_dest dest;
	int finished;		/* outfile_finish() done: only publish or abort left */
	size_t len;		/* bytes waiting in buf */
	size_t dirlen;		/* length of path's directory part, with its '/' */
	char *path, *tmp;
	char buf[OUTFILE_BUF_SIZE];
};

/* Write buf out; returns 0 or a positive errno (also remembered). */
static int outfile_flush(struct outfile *f)
{
	size_t off = 0;

	if (f->err)
		return f->err;
	/* Rows on stdout go after what the program printed with stdio. */
	if (f->dest == OUTFILE_DEST_STDOUT && f->len)
		fflush(stdout);
	while (off < f->len) {
		ssize_t r = write(f->fd, f->buf + off, f->len - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			f->err = r < 0 ? errno : EIO;
			break;
		}
		off += (size_t)r;
	}
	f->len = 0;
	return f->err;
}

int outfile_write(struct outfile *f, const char *s, size_t n)
{
	while (n && !f->err) {
		size_t room = OUTFILE_BUF_SIZE - f->len, c = n < room ? n : room;

		memcpy(f->buf + f->len, s, c);
		f->len += c;
		s += c;
		n -= c;
		if (f->len == OUTFILE_BUF_SIZE)
			outfile_flush(f);
	}
	return -f->err;
}

static void outfile_free(struct outfile *f)
{
	free(f->path);
	free(f->tmp);
	free(f);
}

/* Is fd 1 open for writing?  0, or a positive errno. */
static int outfile_stdout_writable(void)
{
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	if (fl < 0)
		return errno;
	return (fl & O_ACCMODE) == O_RDONLY ? EBADF : 0;
}

/* Does st describe the file fd 1 writes to (--out /dev/stdout, say)? */
static int outfile_is_stdout(const struct stat *st)
{
	struct stat o;

	return fstat(STDOUT_FILENO, &o) == 0 && o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

/*
 * Decide where path's bytes go, as described in outfile.h.  0 with
 * f->dest (and for a stream f->fd) set, and *target set to the regular
 * file that a temporary file will replace (path itself, or what a
 * symbolic link names); or a positive errno.
 */
static int outfile_resolve(struct outfile *f, const char *path, char **target)
{
	struct stat st, lst;

	*target = NULL;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return errno;
		/* A dangling link: writing would replace the link itself. */
		if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			return ENOENT;
		return (*target = strdup(path)) ? 0 : ENOMEM;
	}
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (outfile_is_stdout(&st)) {
		f->dest = OUTFILE_DEST_STDOUT;
		f->fd = STDOUT_FILENO;
		return outfile_stdout_writable();
	}
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		/* Blocks until a FIFO has a reader, as any writer would. */
		f->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (f->fd < 0)
			return errno;
		f->dest = OUTFILE_DEST_STREAM;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return ENOTSUP;	/* a socket or block device: never replaced */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
		return (*target = realpath(path, NULL)) ? 0 : errno;
	return (*target = strdup(path)) ? 0 : ENOMEM;
}

struct outfile *outfile_open(const char *path)
{
	struct outfile *f;
	char *target = NULL;
	int e;

	if (!path || !*path) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = -1;

	if (strcmp(path, "-") == 0) {
		f->dest = OUTFILE_DEST_STDOUT;
		f->fd = STDOUT_FILENO;
		if ((errno = outfile_stdout_writable()))
			goto err;
		return f;
	}
	const char *slash = strrchr(path, '/');
	if (slash && slash[1] == '\0') {
		errno = EISDIR;		/* "dir/": names no file */
		goto err;
	}
	if ((errno = outfile_resolve(f, path, &target)))
		goto err;
	if (f->dest != OUTFILE_DEST_FILE)
		return f;

	slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	f->dirlen = (size_t)(base - target);
	f->path = target;
	target = NULL;
	/* "<dir/>" "." "<base>" ".tmp.XXXXXX" NUL */
	f->tmp = malloc(f->dirlen + 1 + strlen(base) + sizeof(OUTFILE_TMP_SUFFIX));
	if (!f->tmp)
		goto err;
	memcpy(f->tmp, f->path, f->dirlen);
	sprintf(f->tmp + f->dirlen, ".%s%s", base, OUTFILE_TMP_SUFFIX);
	/* Close-on-exec: workers spawned while we write must not hold it.
	 * ENAMETOOLONG here: the name leaves no room for the temporary one. */
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0)
		goto err;
	return f;
err:
	e = errno;
	free(target);
	if (f->dest == OUTFILE_DEST_STREAM && f->fd >= 0)
		close(f->fd);
	outfile_free(f);
	errno = e;
	return NULL;
}

struct outfile *outfile_open_append(const char *path)
{
	struct outfile *f = calloc(1, sizeof(*f));
	struct stat st;
	int e;

	if (!f)
		return NULL;
	f->dest = OUTFILE_DEST_STREAM;	/* written through, record by record */
	f->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_CLOEXEC, 0666);
	if (f->fd < 0)
		goto err;
	if (fstat(f->fd, &st) < 0)
		goto err;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENOTSUP;
		goto err;
	}
	return f;
err:
	e = errno;
	if (f->fd >= 0)
		close(f->fd);
	outfile_free(f);
	errno = e;
	return NULL;
}

const char *outfile_temp_path(const struct outfile *f)
{
	return f && f->dest == OUTFILE_DEST_FILE ? f->tmp : NULL;
}

/* 0666 & ~umask, read without umask()'s race (it sets the mask). */
static mode_t outfile_new_file_mode(void)
{
	char b[4096];
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return OUTFILE_FALLBACK_MODE;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return OUTFILE_FALLBACK_MODE;
	b[n] = '\0';
	const char *u = strstr(b, "\nUmask:");
	if (!u)
		return OUTFILE_FALLBACK_MODE;
	return 0666 & ~(mode_t)strtoul(u + 7, NULL, 8);
}

/* Make the rename itself durable.  Best effort: the data is already
 * safe in the file, and some file systems refuse fsync on a directory. */
static void outfile_dir_sync(const struct outfile *f)
{
	char *dir = f->dirlen ? strndup(f->path, f->dirlen) : strdup(".");
	int fd;

	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

int outfile_finish(struct outfile *f)
{
	int err;

	if (!f)
		return -EINVAL;
	if (f->finished)
		return -f->err;
	f->finished = 1;
	err = outfile_flush(f);
	if (f->dest == OUTFILE_DEST_STDOUT)
		return -err;
	if (f->dest == OUTFILE_DEST_FILE) {
		if (!err && fchmod(f->fd, outfile_new_file_mode()) < 0)
			err = errno;
		if (!err && fsync(f->fd) < 0)
			err = errno;
	}
	/* Linux closes the fd even when close() fails; never retry it. */
	if (close(f->fd) < 0 && !err)
		err = errno;
	f->fd = -1;
	if (err && f->dest == OUTFILE_DEST_FILE) {
		unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
	}
	f->err = err;
	return -err;
}

int outfile_publish(struct outfile *f)
{
	int err;

	if (!f)
		return -EINVAL;
	err = -outfile_finish(f);
	if (!err && f->dest == OUTFILE_DEST_FILE) {
		if (rename(f->tmp, f->path) < 0) {
			err = errno;
			unlink(f->tmp);
		} else {
			outfile_dir_sync(f);
		}
	}
	outfile_free(f);
	return -err;
}

int outfile_commit(struct outfile *f)
{
	return outfile_publish(f);
}

void outfile_record_end(struct outfile *f)
{
	/* On a terminal, pipe or device, each record shows up as soon as
	 * it is done. */
	if (f->dest != OUTFILE_DEST_FILE)
		outfile_flush(f);
}

void outfile_abort(struct outfile *f)
{
	if (!f)
		return;
	/* On stdout the unfinished row (all that can still be buffered,
	 * since rows are flushed as they end) is dropped. */
	if (f->dest != OUTFILE_DEST_STDOUT && f->fd >= 0)
		close(f->fd);
	if (f->dest == OUTFILE_DEST_FILE && f->tmp)
		unlink(f->tmp);
	outfile_free(f);
}
