/* buf: capped growable buffers and allocation helpers that abort on OOM. */
#include "runbookd/buf.h"
#include "runbookd/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *rbd_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

void *rbd_realloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		abort();
	return q;
}

char *rbd_strndup(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = rbd_calloc(1, n + 1);
	memcpy(d, s, n);
	return d;
}

char *rbd_strdup(const char *s)
{
	return s ? rbd_strndup(s, strlen(s)) : NULL;
}

void rbd_buf_init(struct rbd_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static size_t buf_max(const struct rbd_buf *b)
{
	return b->max ? b->max : RBD_BUF_DEFAULT_MAX;
}

static int buf_reserve(struct rbd_buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > buf_max(b) - b->len)
		return rbd_err_set(RBD_ETOOBIG, "buffer cap of %zu bytes reached", buf_max(b));
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = rbd_realloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int rbd_buf_append(struct rbd_buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int rbd_buf_puts(struct rbd_buf *b, const char *s)
{
	return rbd_buf_append(b, s, strlen(s));
}

int rbd_buf_putc(struct rbd_buf *b, char c)
{
	return rbd_buf_append(b, &c, 1);
}

int rbd_buf_printf(struct rbd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return rbd_err_set(RBD_EINVAL, "bad format");
	rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *rbd_buf_steal(struct rbd_buf *b)
{
	char *d = b->data ? b->data : rbd_strdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

const char *rbd_buf_cstr(const struct rbd_buf *b)
{
	return b->data ? b->data : "";
}

void rbd_buf_reset(struct rbd_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void rbd_buf_free(struct rbd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int rbd_buf_read_file(struct rbd_buf *b, const char *path, bool regular,
		      struct rbd_read_info *info)
{
	struct stat st;
	char chunk[8192];
	ssize_t r;
	int fd, rc = 0;

	memset(info, 0, sizeof(*info));
	/* O_NONBLOCK: opening a FIFO to see that it is not a regular file must not wait
	 * for a writer (reads of a regular file ignore the flag). */
	fd = open(path, O_RDONLY | O_CLOEXEC | (regular ? O_NONBLOCK : 0));
	if (fd < 0) {
		info->fail = RBD_READ_OPEN;
		info->err = errno;
		return RBD_EINVAL;
	}
	if (fstat(fd, &st) == 0)
		info->mode = (unsigned)st.st_mode;
	if (regular && !S_ISREG(info->mode)) {
		info->fail = RBD_READ_NOT_REGULAR;
		rc = RBD_EINVAL;
	}
	while (!rc) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			info->fail = RBD_READ_IO;
			info->err = errno;
			rc = RBD_EIO;
		} else if (r == 0) {
			break;
		} else if (rbd_buf_append(b, chunk, (size_t)r) != 0) {
			info->fail = RBD_READ_TOO_BIG;
			rc = RBD_ETOOBIG;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (rc) {
		if (b->data)
			explicit_bzero(b->data, b->len);
		rbd_buf_free(b);
	}
	close(fd);
	return rc;
}
