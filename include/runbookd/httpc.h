/*
 * httpc: outgoing HTTP through libcurl: http actions, notifications, and under the
 * Alertmanager API client (amclient.h). http/https only, no redirects, no proxies from the
 * environment, connect and total timeouts, capped response body. Thread-safe
 * (one easy handle per call). Never logs bodies or headers.
 */
#ifndef RUNBOOKD_HTTPC_H
#define RUNBOOKD_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/labels.h"
#include "runbookd/secrets.h"

/* Once per process before threads start. */
int rbd_httpc_global_init(void);
void rbd_httpc_global_cleanup(void);

struct rbd_http_request {
	const char *method;           /* GET POST PUT DELETE PATCH */
	const char *url;              /* http:// or https:// only */
	const char *body;             /* may be NULL */
	const char *content_type;     /* default application/json when body set */
	const char *bearer;           /* Authorization: Bearer ..., may be NULL */
	const struct rbd_headers *headers; /* extra headers (secret values), may be NULL */
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
 * base's path (trailing '/' dropped) + path, with query (NULL: none) and no fragment:
 * an API endpoint under a base URL that may carry a path prefix. what names the base
 * in messages ("alertmanager URL"). RBD_EINVAL for a base rbd_httpc_url_base refuses.
 */
int rbd_httpc_url_join(char **out, const char *base, const char *path, const char *query,
		       const char *what);

#endif
