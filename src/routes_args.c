/*
 * routes_args: how the API reads its inputs: ids in paths, integer query arguments
 * with ranges, JSON object bodies and their string members. Every refusal is
 * RBD_EINVAL (400) with a message naming the input.
 */
#include "runbookd/routes.h"
#include "runbookd/err.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An id in a path: 1-18 ASCII digits, nothing else (no blanks, signs or zeros first). */
int rbd_routes_parse_id(int64_t *out, const char *s, const char *what)
{
	int64_t v = 0;
	size_t i;

	*out = 0;
	for (i = 0; s && s[i] >= '0' && s[i] <= '9' && i < 18; i++)
		v = v * 10 + (s[i] - '0');
	if (!s || i == 0 || s[i] != '\0' || s[0] == '0')
		return rbd_err_set(RBD_EINVAL, "%s must be a positive integer", what);
	*out = v;
	return 0;
}

int rbd_routes_int_arg(int64_t *out, const struct rbd_request *req, const char *name,
		       int64_t dflt, int64_t min, int64_t max)
{
	const char *s = req->arg(req->arg_ctx, name);
	char *end;
	long long v;

	*out = dflt;
	if (!s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
		return rbd_err_set(RBD_EINVAL, "%s must be an integer from %lld to %lld", name,
				   (long long)min, (long long)max);
	*out = v;
	return 0;
}

/* A NUL (raw, or the escape \u0000) would cut a C string short: notes and comments
 * would be stored truncated. Refused, as ingest refuses it. */
static bool has_nul(const char *s, size_t n)
{
	if (memchr(s, '\0', n))
		return true;
	for (size_t i = 0; i + 6 <= n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
			return true;
		i++;   /* the escaped character is not an escape itself */
	}
	return false;
}

/* Parses an optional JSON object body; NULL when the body is empty. */
int rbd_routes_body(cJSON **out, const struct rbd_request *req)
{
	cJSON *o;

	*out = NULL;
	if (req->body_len == 0)
		return 0;
	if (has_nul(req->body, req->body_len))
		return rbd_err_set(RBD_EINVAL, "a string contains NUL (\\u0000)");
	o = cJSON_ParseWithLength(req->body, req->body_len);
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return rbd_err_set(RBD_EINVAL, "the body must be a JSON object");
	}
	*out = o;
	return 0;
}

/* An optional string member of at most max bytes. */
int rbd_routes_body_string(const char **out, const cJSON *body, const char *name, size_t max,
			   bool required)
{
	const cJSON *v = body ? cJSON_GetObjectItemCaseSensitive(body, name) : NULL;

	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return rbd_err_set(RBD_EINVAL, "%s is required", name);
		return 0;
	}
	if (!cJSON_IsString(v))
		return rbd_err_set(RBD_EINVAL, "%s must be a string", name);
	if (strlen(v->valuestring) > max)
		return rbd_err_set(RBD_EINVAL, "%s is longer than %zu bytes", name, max);
	if (required && v->valuestring[0] == '\0')
		return rbd_err_set(RBD_EINVAL, "%s must not be empty", name);
	*out = v->valuestring;
	return 0;
}
