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
 * Performs the request. 0 when a response arrived (any status: check ->status; a 3xx
 * is reported, never followed); then out->body is always non-NULL (owned by the
 * caller: rbd_http_response_clear), at most response_cap bytes, truncated set when
 * more arrived (the rest was read and discarded). On error *out is zeroed except
 * duration_ms. method NULL means GET, or POST when body is set. timeout_ms <= 0
 * means 10 s; response_cap 0 means 65536.
 * Errors: RBD_EINVAL for a URL that is not an absolute http(s) URL with a host (also
 * userinfo, IPv6 zone id, port 0), an unknown method, or a content type / bearer with
 * control characters: nothing is requested then. RBD_ETIMEOUT on timeout,
 * RBD_EUNAVAIL on resolve/connect/transfer failure, RBD_EIO otherwise. The message is
 * "METHOD scheme://host:port: <curl's error text>"; never the body or the token.
 */
int rbd_httpc_do(struct rbd_http_response *out, const struct rbd_http_request *req);
void rbd_http_response_clear(struct rbd_http_response *r);

/*
 * Splits "http://host:port/..." into a new "scheme://host:port" prefix (caller frees),
 * normalised so two spellings of one endpoint compare equal with strcmp: scheme and
 * host lowercased, the port always explicit ("http://Example.com/x" ->
 * "http://example.com:80", "https://h" -> "https://h:443"), IPv6 hosts in brackets.
 * RBD_EINVAL for anything but http/https with a host, and for userinfo ("u:p@"),
 * IPv6 zone ids and port 0. Used at config load to pin http actions.
 */
int rbd_httpc_url_base(char **out, const char *url);

/*
 * Alertmanager API v2: POST {am_url}/api/v2/silences with one equality matcher
 * (isRegex false, isEqual true) per label in matchers, from now for duration_ms.
 * am_url may carry a path prefix, with or without a trailing '/'. created_by and
 * comment default to "runbookd" when NULL or empty. *out_id is the new silence id
 * (caller frees). Errors: RBD_EINVAL for no matchers, matchers whose values are all
 * empty (Alertmanager refuses those), a duration outside 1 ms..10 years, a bad
 * am_url, or a 4xx answer; RBD_EUNAVAIL for a 5xx or unusable answer; and those of
 * rbd_httpc_do.
 */
int rbd_am_silence_create(char **out_id, const char *am_url, const struct rbd_labelset *matchers,
			  int64_t duration_ms, const char *created_by, const char *comment,
			  int64_t timeout_ms);

/*
 * Alertmanager API v2: GET {am_url}/api/v2/alerts?active=true&silenced=true&
 * inhibited=true&unprocessed=true. Writes the fingerprints of every alert Alertmanager
 * still holds (caller frees: rbd_am_fingerprints_free(*out, *out_n)). Errors:
 * RBD_ETOOBIG when the list passes 16 MiB, RBD_EUNAVAIL for a 5xx answer or one that is
 * not an array of alerts with fingerprints, RBD_EINVAL for a 4xx or a bad am_url, and
 * those of rbd_httpc_do.
 */
int rbd_am_alert_fingerprints(char ***out, size_t *out_n, const char *am_url, int64_t timeout_ms);
/* Frees what rbd_am_alert_fingerprints wrote; accepts NULL. */
void rbd_am_fingerprints_free(char **fps, size_t n);

#endif
