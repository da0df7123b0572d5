/*
 * secrets: HTTP header values that are secrets (an API key, a bearer token) for
 * notification targets and http actions. A value comes from the environment or a
 * file named in the config, never from the config text and never from alert data;
 * it is never templated, logged, stored, or shown (callers print REDACTED).
 */
#ifndef RUNBOOKD_SECRETS_H
#define RUNBOOKD_SECRETS_H

#include <stddef.h>

/* What every place that would show a header value shows instead. */
#define RBD_REDACTED "<redacted>"

struct rbd_header {
	char *name;                   /* an HTTP token (RFC 9110), at most 64 bytes */
	char *value;                  /* the secret: printable, no CR/LF, at most 4 KiB */
};

struct rbd_headers {
	struct rbd_header *v;
	size_t n;
};

/* Wipes and frees the values; h is then empty. Accepts NULL. */
void rbd_headers_clear(struct rbd_headers *h);
/* Deep copy (out is overwritten). */
void rbd_headers_copy(struct rbd_headers *out, const struct rbd_headers *in);

#endif
