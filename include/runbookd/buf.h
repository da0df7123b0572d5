/*
 * buf: a growable byte buffer with a hard cap. Every string built from data of
 * unknown size goes through here; an append that would pass the cap fails with
 * RBD_ETOOBIG and leaves the buffer as it was. The data is always NUL-terminated.
 */
#ifndef RUNBOOKD_BUF_H
#define RUNBOOKD_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct rbd_buf {
	char *data;   /* NULL until the first append; NUL-terminated after */
	size_t len;
	size_t cap;
	size_t max;   /* hard cap on len; 0 means RBD_BUF_DEFAULT_MAX */
};

#define RBD_BUF_DEFAULT_MAX ((size_t)256 * 1024 * 1024)
#define RBD_BUF_INIT(maxbytes) { NULL, 0, 0, (maxbytes) }

void rbd_buf_init(struct rbd_buf *b, size_t max);
int rbd_buf_append(struct rbd_buf *b, const void *p, size_t n);
int rbd_buf_puts(struct rbd_buf *b, const char *s);
int rbd_buf_putc(struct rbd_buf *b, char c);
int rbd_buf_printf(struct rbd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data ("" when empty) and gives it to the caller; the buffer is reset. */
char *rbd_buf_steal(struct rbd_buf *b);
/* The data, or "" when empty; borrowed. */
const char *rbd_buf_cstr(const struct rbd_buf *b);
void rbd_buf_reset(struct rbd_buf *b);
void rbd_buf_free(struct rbd_buf *b);

/* Why rbd_buf_read_file failed. */
enum rbd_read_fail { RBD_READ_OK, RBD_READ_OPEN, RBD_READ_NOT_REGULAR, RBD_READ_IO, RBD_READ_TOO_BIG };
struct rbd_read_info {
	enum rbd_read_fail fail;
	int err;                      /* errno for RBD_READ_OPEN and RBD_READ_IO */
	unsigned mode;                /* st_mode of the file (0 when not known) */
};
/*
 * The one capped file reader: appends the whole of path to b, whose max is the cap.
 * regular: refuse anything but a regular file (a FIFO or a device could block or
 * never end). Returns 0, or RBD_EINVAL (open, not regular), RBD_EIO (read) or
 * RBD_ETOOBIG with *info saying which; on failure b is wiped and freed. Its own
 * scratch is wiped too: it reads secrets (token files). Sets no error message.
 */
int rbd_buf_read_file(struct rbd_buf *b, const char *path, bool regular,
		      struct rbd_read_info *info);

/* Duplicates s (NULL -> NULL); aborts on out-of-memory. */
char *rbd_strdup(const char *s);
char *rbd_strndup(const char *s, size_t n);
/* calloc that aborts on out-of-memory: allocation failure is not recoverable here. */
void *rbd_calloc(size_t n, size_t size);
void *rbd_realloc(void *p, size_t size);

#endif
