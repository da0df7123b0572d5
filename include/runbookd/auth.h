/*
 * auth: bearer tokens with roles. Tokens are compared in constant time against every
 * configured token (no early exit, no length leak of the secret), and never logged.
 */
#ifndef RUNBOOKD_AUTH_H
#define RUNBOOKD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "runbookd/config.h"

#define RBD_TOKEN_MAX 4096

/*
 * Checks an Authorization header value ("Bearer TOKEN"). On success *out is the
 * matching token (borrowed from cfg). RBD_EAUTH when missing, malformed, too long or
 * unknown; the message is constant and reveals nothing.
 */
int rbd_auth_check(const struct rbd_token **out, const struct rbd_config *cfg,
		   const char *authorization);
/* Does a token's role grant `required`? Operators may also read. */
bool rbd_auth_allows(const struct rbd_token *tok, enum rbd_role required);
/* Constant-time comparison of a (length alen) with b (length blen): time depends on alen only. */
bool rbd_auth_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
