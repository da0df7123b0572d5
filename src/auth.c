/*
 * auth: bearer token checks. Must never log, echo or return a token, and never
 * branch on secret bytes.
 */
#include "runbookd/auth.h"
#include "runbookd/err.h"

#include <string.h>
#include <strings.h>

bool rbd_auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char diff = (alen != blen);

	if (blen == 0)
		return false;
	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % blen];
	return diff == 0;
}

int rbd_auth_check(const struct rbd_token **out, const struct rbd_config *cfg,
		   const char *authorization)
{
	const struct rbd_token *found = NULL;
	const char *tok;
	size_t len;

	*out = NULL;
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return rbd_err_set(RBD_EAUTH, "a bearer token is required");
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	/* The whole value counts: trailing junk past the limit must not be ignored. */
	len = strlen(tok);
	while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		len--;
	if (len == 0 || len > RBD_TOKEN_MAX)
		return rbd_err_set(RBD_EAUTH, "a bearer token is required");
	/* Compare against every token, keep going after a match. */
	for (size_t i = 0; i < cfg->n_tokens; i++) {
		const struct rbd_token *t = &cfg->tokens[i];

		if (rbd_auth_equal(tok, len, t->secret, strlen(t->secret)) && !found)
			found = t;
	}
	if (!found)
		return rbd_err_set(RBD_EAUTH, "a bearer token is required");
	*out = found;
	return 0;
}

bool rbd_auth_allows(const struct rbd_token *tok, enum rbd_role required)
{
	if (required == RBD_ROLE_NONE)
		return true;
	if (!tok)
		return false;
	if (tok->role == required)
		return true;
	return required == RBD_ROLE_VIEWER && tok->role == RBD_ROLE_OPERATOR;
}
