/*
 * httpc: the only module that talks to libcurl. Outgoing HTTP for http actions,
 * notifications and the Alertmanager API client (amclient.c).
 *
 * Must never: speak anything but http/https, follow a redirect, use a proxy taken
 * from the environment, accept credentials inside a URL, wait without a deadline,
 * keep more than response_cap bytes of a response, or put a request/response body
 * or a bearer token into an error message or the log.
 */
#include "runbookd/httpc.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/timeutil.h"
#include "runbookd/log.h"

#include <cJSON.h>
#include <curl/curl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTPC_DEFAULT_CAP ((size_t)65536)
#define HTTPC_DEFAULT_TIMEOUT_MS 10000
#define HTTPC_CONNECT_MAX_MS 5000

int rbd_httpc_global_init(void)
{
	const curl_version_info_data *vi;
	CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (cc != CURLE_OK)
		return rbd_err_set(RBD_EIO, "curl_global_init: %s", curl_easy_strerror(cc));
	vi = curl_version_info(CURLVERSION_NOW);
	/* With NOSIGNAL a synchronous resolver ignores the timeout: say so once. */
	if (vi && !(vi->features & CURL_VERSION_ASYNCHDNS))
		rbd_log_warn("libcurl has no asynchronous resolver; DNS lookups may outlast timeouts",
			     "curl", vi->version);
	return 0;
}

void rbd_httpc_global_cleanup(void)
{
	curl_global_cleanup();
}

void rbd_http_response_clear(struct rbd_http_response *r)
{
	if (!r)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Whether the libcurl we run with was built with this protocol (https needs TLS). */
static bool curl_speaks(const char *scheme)
{
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	for (const char *const *p = vi ? vi->protocols : NULL; p && *p; p++)
		if (strcmp(*p, scheme) == 0)
			return true;
	return false;
}

/*
 * Parses url with curl's URL API and checks it is an absolute http(s) URL with a
 * host, no userinfo, no IPv6 zone id and no port 0. The literal "scheme://" prefix
 * is required because curl is lenient ("http:/h", "http:///h" both name host h).
 * Messages never repeat the URL: its query may hold something private.
 */
static int url_parse(CURLU **out, const char *url)
{
	CURLU *u = NULL;
	CURLUcode uc;
	char *scheme = NULL, *host = NULL, *zone = NULL, *port = NULL;
	const char *rest;
	int rc = 0;

	*out = NULL;
	if (!url || !*url)
		return rbd_err_set(RBD_EINVAL, "empty URL");
	if (strncasecmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		rest = url + 8;
	else
		return rbd_err_set(RBD_EINVAL, "URL scheme must be http:// or https://");
	if (*rest == '\0' || *rest == '/' || *rest == '\\')
		return rbd_err_set(RBD_EINVAL, "URL has no host");

	u = curl_url();
	if (!u)
		return rbd_err_set(RBD_ENOMEM, "curl_url: out of memory");
	/* PATH_AS_IS: `.` and `..` segments are sent as stored and approved, never
	 * resolved away (a templated `..` must not leave the configured path). */
	uc = curl_url_set(u, CURLUPART_URL, url, CURLU_DISALLOW_USER | CURLU_PATH_AS_IS);
	if (uc != CURLUE_OK) {
		rc = rbd_err_set(RBD_EINVAL, "bad URL: %s", curl_url_strerror(uc));
		goto done;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		rc = rbd_err_set(RBD_EINVAL, "URL scheme must be http:// or https://");
		goto done;
	}
	if (!curl_speaks(scheme)) {
		rc = rbd_err_set(RBD_EINVAL, "this libcurl does not support %s", scheme);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		rc = rbd_err_set(RBD_EINVAL, "URL has no host");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
		rc = rbd_err_set(RBD_EINVAL, "IPv6 zone ids are not allowed in URLs");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && strcmp(port, "0") == 0) {
		rc = rbd_err_set(RBD_EINVAL, "URL port 0 is not allowed");
		goto done;
	}
	*out = u;
	u = NULL;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(zone);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* "scheme://host:port" of a parsed URL, host lowercased, port always explicit. */
static int url_base_of(struct rbd_buf *b, CURLU *u)
{
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		rc = rbd_err_set(RBD_EINVAL, "URL lacks scheme, host or port");
		goto done;
	}
	for (char *p = host; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	rc = rbd_buf_printf(b, "%s://%s:%s", scheme, host, port);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return rc;
}

int rbd_httpc_url_base(char **out, const char *url)
{
	struct rbd_buf b = RBD_BUF_INIT(4096);
	CURLU *u = NULL;
	int rc;

	*out = NULL;
	rc = url_parse(&u, url);
	if (rc)
		goto done;
	rc = url_base_of(&b, u);
	if (rc)
		goto done;
	*out = rbd_buf_steal(&b);
done:
	rbd_buf_free(&b);
	curl_url_cleanup(u);
	return rc;
}

/* A header value must not be able to start another header. */
static bool header_value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static const char *const http_methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH" };

static bool method_ok(const char *m)
{
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strcmp(m, http_methods[i]) == 0)
			return true;
	return false;
}

/* What a caller can do about a failed transfer decides its code. */
static const struct {
	CURLcode cc;
	int code;
} curl_err_map[] = {
	{ CURLE_OPERATION_TIMEDOUT,       RBD_ETIMEOUT },
	{ CURLE_URL_MALFORMAT,            RBD_EINVAL },
	/* url_parse() already refused every scheme but http(s) that this libcurl
	 * speaks, so this comes from the server's answer ("Received HTTP/0.9"). */
	{ CURLE_UNSUPPORTED_PROTOCOL,     RBD_EUNAVAIL },
	{ CURLE_COULDNT_RESOLVE_HOST,     RBD_EUNAVAIL },
	{ CURLE_COULDNT_RESOLVE_PROXY,    RBD_EUNAVAIL },
	{ CURLE_COULDNT_CONNECT,          RBD_EUNAVAIL },
	{ CURLE_SEND_ERROR,               RBD_EUNAVAIL },
	{ CURLE_RECV_ERROR,               RBD_EUNAVAIL },
	{ CURLE_GOT_NOTHING,              RBD_EUNAVAIL },
	{ CURLE_PARTIAL_FILE,             RBD_EUNAVAIL },
	{ CURLE_WEIRD_SERVER_REPLY,       RBD_EUNAVAIL },
	{ CURLE_HTTP2,                    RBD_EUNAVAIL },
	{ CURLE_HTTP2_STREAM,             RBD_EUNAVAIL },
	{ CURLE_SSL_CONNECT_ERROR,        RBD_EUNAVAIL },
	{ CURLE_PEER_FAILED_VERIFICATION, RBD_EUNAVAIL },
	{ CURLE_OUT_OF_MEMORY,            RBD_ENOMEM },
};

static int map_curl_error(CURLcode cc)
{
	for (size_t i = 0; i < sizeof(curl_err_map) / sizeof(curl_err_map[0]); i++)
		if (curl_err_map[i].cc == cc)
			return curl_err_map[i].code;
	return RBD_EIO;
}

struct sink {
	struct rbd_buf buf;
	size_t cap;
	bool truncated;
};

/* Keeps the first cap bytes, then reads on and discards so the transfer completes. */
static size_t sink_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sink *s = userp;
	size_t n = size * nmemb;
	size_t room = s->cap - s->buf.len;
	size_t take = n < room ? n : room;

	if (take && rbd_buf_append(&s->buf, data, take) != 0)
		take = 0;
	if (take < n)
		s->truncated = true;
	return n;
}

/* Wipes a header list that may hold a bearer token before freeing it. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		if (p->data)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static int add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);

	if (!n)
		return rbd_err_set(RBD_ENOMEM, "curl_slist_append: out of memory");
	*list = n;
	return 0;
}

static int set_headers(struct curl_slist **out, const struct rbd_http_request *req)
{
	struct rbd_buf line = RBD_BUF_INIT(64 * 1024);
	int rc;

	/* No "Expect: 100-continue" round trip before larger bodies. */
	rc = add_header(out, "Expect:");
	if (rc)
		goto done;
	if (req->body) {
		const char *ct = req->content_type ? req->content_type : "application/json";

		if (!*ct || !header_value_ok(ct)) {
			rc = rbd_err_set(RBD_EINVAL, "bad content type");
			goto done;
		}
		rc = rbd_buf_printf(&line, "Content-Type: %s", ct);
		if (rc)
			goto done;
		rc = add_header(out, rbd_buf_cstr(&line));
		if (rc)
			goto done;
		rbd_buf_reset(&line);
	} else {
		/* An empty PUT/PATCH/POST would get curl's form content type otherwise. */
		rc = add_header(out, "Content-Type:");
		if (rc)
			goto done;
	}
	if (req->bearer) {
		if (!*req->bearer || !header_value_ok(req->bearer)) {
			rc = rbd_err_set(RBD_EINVAL, "bearer token is empty or has control characters");
			goto done;
		}
		rc = rbd_buf_printf(&line, "Authorization: Bearer %s", req->bearer);
		if (rc)
			goto done;
		rc = add_header(out, rbd_buf_cstr(&line));
		if (rc)
			goto done;
	}
	for (size_t i = 0; req->headers && i < req->headers->n; i++) {
		const struct rbd_header *hd = &req->headers->v[i];

		if (!*hd->value || !header_value_ok(hd->value) || strpbrk(hd->name, ":\r\n ")) {
			rc = rbd_err_set(RBD_EINVAL, "header %s: bad name or value", hd->name);
			goto done;
		}
		rbd_buf_reset(&line);
		rc = rbd_buf_printf(&line, "%s: %s", hd->name, hd->value);
		if (!rc)
			rc = add_header(out, rbd_buf_cstr(&line));
		if (rc)
			goto done;
	}
done:
	if (line.data)
		explicit_bzero(line.data, line.cap);
	rbd_buf_free(&line);
	return rc;
}

int rbd_httpc_do(struct rbd_http_response *out, const struct rbd_http_request *req)
{
	struct sink sink;
	struct rbd_buf base = RBD_BUF_INIT(4096);
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	char ua[64];
	CURL *h = NULL;
	CURLU *u = NULL;
	CURLcode cc;
	const char *method;
	int64_t timeout, start;
	int so = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&sink, 0, sizeof(sink));
	errbuf[0] = '\0';
	method = req->method ? req->method : (req->body ? "POST" : "GET");
	if (!method_ok(method))
		return rbd_err_set(RBD_EINVAL, "HTTP method must be GET, POST, PUT, DELETE or PATCH");
	rc = url_parse(&u, req->url);
	if (rc)
		return rc;
	rc = url_base_of(&base, u);
	if (rc)
		goto done;
	rc = set_headers(&headers, req);
	if (rc)
		goto done;
	timeout = req->timeout_ms > 0 ? req->timeout_ms : HTTPC_DEFAULT_TIMEOUT_MS;
	if (timeout > INT32_MAX)
		timeout = INT32_MAX; /* curl takes a long; about 24 days is plenty */
	sink.cap = req->response_cap ? req->response_cap : HTTPC_DEFAULT_CAP;
	rbd_buf_init(&sink.buf, sink.cap);
	snprintf(ua, sizeof(ua), "runbookd/%s", RBD_VERSION);

	h = curl_easy_init();
	if (!h) {
		rc = rbd_err_set(RBD_EIO, "curl_easy_init failed");
		goto done;
	}
	/* The parsed handle, so what was checked above is exactly what is requested.
	 * Each setopt returns a CURLcode: any failure leaves a bit set in so. */
	so |= curl_easy_setopt(h, CURLOPT_CURLU, u);
	so |= curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	so |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	so |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	so |= curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	so |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	so |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	so |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	so |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	so |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			       (long)(timeout < HTTPC_CONNECT_MAX_MS ? timeout : HTTPC_CONNECT_MAX_MS));
	so |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
	so |= curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
	so |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	so |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	so |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	so |= curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	if (req->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		/* Always a Content-Length, also "0" for an empty POST/PUT/PATCH. */
		so |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)(req->body ? strlen(req->body) : 0));
		so |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (strcmp(method, "POST") != 0)
			so |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") == 0) {
		so |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		so |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	if (so) {
		rc = rbd_err_set(RBD_EIO, "libcurl refused an option (built without http?)");
		goto done;
	}

	start = rbd_mono_ms();
	cc = curl_easy_perform(h);
	out->duration_ms = rbd_mono_ms() - start;
	if (cc != CURLE_OK) {
		rc = rbd_err_set(map_curl_error(cc), "%s %s: %s", method, rbd_buf_cstr(&base),
				 errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	out->body_len = sink.buf.len;
	out->truncated = sink.truncated;
	out->body = rbd_buf_steal(&sink.buf);
done:
	curl_easy_cleanup(h);
	curl_url_cleanup(u);
	headers_free(headers);
	rbd_buf_free(&sink.buf);
	rbd_buf_free(&base);
	return rc;
}

int rbd_httpc_url_join(char **out, const char *base, const char *path, const char *query,
		       const char *what)
{
	struct rbd_buf p = RBD_BUF_INIT(8192);
	CURLU *u = NULL;
	CURLUcode uc;
	char *prefix = NULL, *full = NULL;
	size_t n;
	int rc;

	*out = NULL;
	rc = url_parse(&u, base);
	if (rc)
		goto done;
	if (curl_url_get(u, CURLUPART_PATH, &prefix, 0) != CURLUE_OK) {
		rc = rbd_err_set(RBD_EINVAL, "%s has no path", what);
		goto done;
	}
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	rc = rbd_buf_append(&p, prefix, n);
	if (!rc)
		rc = rbd_buf_puts(&p, path);
	if (rc)
		goto done;
	if ((uc = curl_url_set(u, CURLUPART_PATH, rbd_buf_cstr(&p), 0)) != CURLUE_OK ||
	    (uc = curl_url_set(u, CURLUPART_QUERY, query, 0)) != CURLUE_OK ||
	    (uc = curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0)) != CURLUE_OK ||
	    (uc = curl_url_get(u, CURLUPART_URL, &full, 0)) != CURLUE_OK) {
		rc = rbd_err_set(RBD_EINVAL, "%s: %s", what, curl_url_strerror(uc));
		goto done;
	}
	*out = rbd_strdup(full);
done:
	curl_free(prefix);
	curl_free(full);
	curl_url_cleanup(u);
	rbd_buf_free(&p);
	return rc;
}
