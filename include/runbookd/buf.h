/*
 * buf: a growable byte buffer with a hard cap. Every string built from data of
 * unknown size goes through here; an append that would pass the cap fails with
 * RBD_ETOOBIG and leaves the buffer as it was. The data is always NUL-terminated.
 */
#ifndef RUNBOOKD_BUF_H
#define RUNBOOKD_BUF_H

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

/* Duplicates s (NULL -> NULL); aborts on out-of-memory. */
char *rbd_strdup(const char *s);
char *rbd_strndup(const char *s, size_t n);
/* calloc that aborts on out-of-memory: allocation failure is not recoverable here. */
void *rbd_calloc(size_t n, size_t size);
void *rbd_realloc(void *p, size_t size);

#endif
