/*
 * routes: the HTTP API of SPEC.md as a table of (method, path pattern, role,
 * handler). Authentication and roles are checked before the body is read.
 * Responses are JSON; errors are {"error": {"code": "...", "message": "..."}}.
 */
#ifndef RUNBOOKD_ROUTES_H
#define RUNBOOKD_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/app.h"
#include "runbookd/buf.h"
#include "runbookd/config.h"

struct rbd_route;

struct rbd_request {
	const char *method;
	const char *path;
	const char *body;             /* NUL-terminated, may be empty */
	size_t body_len;
	const struct rbd_token *token; /* authenticated caller, NULL on open routes */
	char *params[2];              /* {id} / {name} path segments, in order */
	/* Query argument lookup (NULL when absent). */
	const char *(*arg)(void *ctx, const char *name);
	void *arg_ctx;
	struct rbd_runtime *rt;       /* the config snapshot this request uses */
	/* For the console (ui.c): a cookie's value, a decoded field of an
	 * application/x-www-form-urlencoded body (NULL when absent), the peer address. */
	const char *(*cookie)(void *ctx, const char *name);
	const char *(*form)(void *ctx, const char *name);
	void *form_ctx;
	char peer[64];
};

#define RBD_RESPONSE_HEADERS 10

struct rbd_response {
	int status;
	const char *content_type;
	struct rbd_buf body;
	/* More headers (the console's Set-Cookie, Location, CSP): static names, values
	 * owned by the response and freed with it. */
	struct { const char *name; char *value; } headers[RBD_RESPONSE_HEADERS];
	int n_headers;
};

/*
 * Finds the route and checks the caller before any body is read. On success *out is
 * the route and req->token/params are set. Otherwise fills resp (404, 405, 401, 403)
 * and returns its error code.
 */
int rbd_routes_preflight(const struct rbd_route **out, struct rbd_request *req,
			 const char *authorization, struct rbd_response *resp);
/* Runs the route's handler; always fills resp. */
void rbd_routes_handle(const struct rbd_route *route, struct rbd_app *app,
		       struct rbd_request *req, struct rbd_response *resp);
/* Matches path against pattern ("/api/v1/incidents/{id}"): each {x} takes one
 * non-empty segment of at most 256 bytes into params (at most 2, caller frees). */
bool rbd_routes_match(const char *pattern, const char *path, char *params[2]);
/* The route's pattern, for metrics labels ("/api/v1/incidents/{id}"). */
const char *rbd_route_pattern(const struct rbd_route *route);
/* ---- reading inputs (routes_args.c); RBD_EINVAL with a message naming the input ---- */

struct cJSON;
/* An id in a path: 1-18 ASCII digits, no sign, blank or leading zero. */
int rbd_routes_parse_id(int64_t *out, const char *s, const char *what);
/* Query argument name as a decimal integer in [min, max]; dflt when absent. */
int rbd_routes_int_arg(int64_t *out, const struct rbd_request *req, const char *name,
		       int64_t dflt, int64_t min, int64_t max);
/* The body as a JSON object (caller deletes); NULL when the body is empty. */
int rbd_routes_body(struct cJSON **out, const struct rbd_request *req);
/* A string member of body of at most max bytes; *out NULL when absent or null (then
 * an error when required; required also refuses ""). Borrowed from body. */
int rbd_routes_body_string(const char **out, const struct cJSON *body, const char *name,
			   size_t max, bool required);

/* Fills resp with SPEC's JSON error. */
void rbd_response_error(struct rbd_response *resp, int status, const char *code,
			const char *message);
void rbd_request_clear(struct rbd_request *req);

#endif
