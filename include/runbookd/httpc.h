/*
 * httpc: outgoing HTTP through libcurl: http actions, Alertmanager silences and
 * alert listing, notifications. http/https only, no redirects, no proxies from the
 * environment, connect and total timeouts, capped response body. Thread-safe
 * (one easy handle per call). Never logs bodies or headers.
 */
#ifndef RUNBOOKD_HTTPC_H
#define RUNBOOKD_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/labels.h"

/* Once per process before threads start. */
int rbd_httpc_global_init(void);
void rbd_httpc_global_cleanup(void);

struct rbd_http_request {
	const char *method;           /* GET POST PUT DELETE PATCH */
	const char *url;              /* http:// or https:// only */
	const char *body;             /* may be NULL */
	const char *content_type;     /* default application/json when body set */
	const char *bearer;           /* Authorization: Bearer ..., may be NULL */
	int64_t timeout_ms;           /* total; connect is min(timeout, 5s) */
	size_t response_cap;          /* bytes of body kept (default 65536) */
};

struct rbd_http_response {
	long status;                  /* 0 when no response */
	char *body;                   /* NUL-terminated, owned */
	size_t body_len;
	bool truncated;
	int64_t duration_ms;
};

/*
 * Performs the request. 0 when a response arrived (any status: check ->status),
 * RBD_EINVAL for a URL that is not http/https, RBD_ETIMEOUT on timeout,
 * RBD_EUNAVAIL on connection failure; message says why.
 */
int rbd_httpc_do(struct rbd_http_response *out, const struct rbd_http_request *req);
void rbd_http_response_clear(struct rbd_http_response *r);

/* Splits "http://host:port/..." into a new "scheme://host:port" prefix; RBD_EINVAL for
 * anything but http/https with a host. Used at config load to pin http actions. */
int rbd_httpc_url_base(char **out, const char *url);

/*
 * Alertmanager API v2: creates a silence with equality matchers for each label in
 * matchers, from now for duration_ms. *out_id is the new silence id (caller frees).
 */
int rbd_am_silence_create(char **out_id, const char *am_url, const struct rbd_labelset *matchers,
			  int64_t duration_ms, const char *created_by, const char *comment,
			  int64_t timeout_ms);

/*
 * Alertmanager API v2: GET /api/v2/alerts (active, silenced and inhibited). Writes
 * the fingerprints of every alert Alertmanager still holds (caller frees each and the
 * array).
 */
int rbd_am_alert_fingerprints(char ***out, size_t *out_n, const char *am_url, int64_t timeout_ms);

#endif
