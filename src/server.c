/*
 * server: libmicrohttpd glue. Must never read more than max_body_bytes of a body,
 * read a body before the caller is authenticated, or log headers or bodies.
 */
#include "runbookd/server.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/routes.h"
#include "runbookd/timeutil.h"
#include "runbookd/ui.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Each pool thread blocks in rbd_store_write() until its commit, so the pool size caps
 * how many deliveries can share one commit (bench/README.md): keep it well above the
 * core count. Idle threads cost only their stacks. */
#define POOL_THREADS 32

/*
 * Slow clients (THREATS.md, slowloris): MHD's connection timeout measures idleness
 * only, so a client sending one byte every few seconds keeps its slot forever. Each
 * connection is tracked from accept: a request (head and body) must arrive within
 * limits.connection_timeout whatever the trickle, and past max_connections the oldest
 * connection still receiving a request is dropped to make room for a fresh one.
 * Dropping is shutdown(2) on the socket under the tracking lock; MHD notifies
 * CLOSED (which takes the entry out under the same lock) before it closes the socket.
 */
struct track {
	struct track *prev, *next;
	MHD_socket fd;
	int64_t since;        /* when the request now arriving (or awaited) began */
	bool receiving;       /* false while a received request is handled, or dropped */
};

struct rbd_server {
	struct MHD_Daemon *d;
	struct rbd_app *app;
	struct rbd_ui *ui;
	atomic_int in_flight;
	pthread_mutex_t mu;   /* the tracking list */
	struct track conns;   /* list head */
	int n_conns;
	int evict_at;         /* max_connections */
	int64_t deadline_ms;  /* a whole request must arrive within this */
	pthread_t reaper;
	pthread_cond_t reaper_cv;
	bool has_reaper, stopping;
};

#define FORM_FIELDS 16

/* The decoded fields of a form body (the console's). */
struct form {
	char *key[FORM_FIELDS];
	struct rbd_buf val[FORM_FIELDS];
	int n;
};

static void track_drop(struct rbd_server *srv, struct track *t, const char *reason)
{
	char labels[48];

	t->receiving = false;
	shutdown(t->fd, SHUT_RDWR);
	snprintf(labels, sizeof(labels), "reason=\"%s\"", reason);
	rbd_metrics_add(srv->app->metrics, "runbookd_http_connections_dropped_total", labels, 1);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct rbd_server *srv = cls;
	struct track *t = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (!ci)
			return;
		t = rbd_calloc(1, sizeof(*t));
		t->fd = ci->connect_fd;
		t->since = rbd_mono_ms();
		t->receiving = true;
		pthread_mutex_lock(&srv->mu);
		t->next = srv->conns.next;
		t->prev = &srv->conns;
		t->next->prev = t;
		srv->conns.next = t;
		if (++srv->n_conns > srv->evict_at) {
			struct track *old = NULL;

			for (struct track *p = srv->conns.next; p != &srv->conns; p = p->next)
				if (p != t && p->receiving && (!old || p->since < old->since))
					old = p;
			if (old)
				track_drop(srv, old, "evicted");
		}
		pthread_mutex_unlock(&srv->mu);
		*socket_context = t;
		return;
	}
	if (!t)
		return;
	pthread_mutex_lock(&srv->mu);
	t->prev->next = t->next;
	t->next->prev = t->prev;
	srv->n_conns--;
	pthread_mutex_unlock(&srv->mu);
	free(t);
	*socket_context = NULL;
}

/* Marks the connection's request as received (false) or awaited from now (true). */
static void track_set(struct rbd_server *srv, struct MHD_Connection *c, bool receiving)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct track *t = ci ? ci->socket_context : NULL;

	if (!t)
		return;
	pthread_mutex_lock(&srv->mu);
	if (receiving)
		t->since = rbd_mono_ms();
	t->receiving = receiving;
	pthread_mutex_unlock(&srv->mu);
}

/* Drops connections whose request has not fully arrived within the deadline. */
static void *reaper_main(void *arg)
{
	struct rbd_server *srv = arg;

	pthread_mutex_lock(&srv->mu);
	while (!srv->stopping) {
		struct timespec ts;
		int64_t now = rbd_mono_ms();

		for (struct track *p = srv->conns.next; p != &srv->conns; p = p->next)
			if (p->receiving && now - p->since >= srv->deadline_ms)
				track_drop(srv, p, "deadline");
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->reaper_cv, &srv->mu, &ts);
	}
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

struct conn_ctx {
	const struct rbd_route *route;
	const struct rbd_ui_route *ui_route;  /* the console's requests */
	struct form form;
	struct rbd_request req;
	struct rbd_response resp;
	struct rbd_buf body;
	int too_big;
	int answered;
	int64_t t0;
	size_t max_body;
};

static const char *get_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static const char *get_cookie(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_COOKIE_KIND, name);
}

static const char *get_field(void *ctx, const char *name)
{
	struct form *f = ctx;

	for (int i = 0; i < f->n; i++)
		if (strcmp(f->key[i], name) == 0)
			return rbd_buf_cstr(&f->val[i]);
	return NULL;
}

/* MHD's post processor hands a value in pieces (off > 0 continues the last key). */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *filename, const char *content_type,
				const char *transfer_encoding, const char *data, uint64_t off,
				size_t size)
{
	struct form *f = cls;

	if (off == 0 || f->n == 0 || strcmp(f->key[f->n - 1], key) != 0) {
		if (f->n == FORM_FIELDS)
			return MHD_NO;
		f->key[f->n] = rbd_strdup(key);
		rbd_buf_init(&f->val[f->n], 64 * 1024);
		f->n++;
	}
	return rbd_buf_append(&f->val[f->n - 1], data, size) ? MHD_NO : MHD_YES;
}

/* Decodes an application/x-www-form-urlencoded body (none for other types). */
static void parse_form(struct MHD_Connection *c, struct conn_ctx *cc)
{
	struct MHD_PostProcessor *pp;

	cc->req.form_ctx = &cc->form;
	if (!cc->body.len)
		return;
	pp = MHD_create_post_processor(c, 1024, on_field, &cc->form);
	if (!pp)
		return;
	MHD_post_process(pp, rbd_buf_cstr(&cc->body), cc->body.len);
	MHD_destroy_post_processor(pp);
}

static bool form_has_nul(const struct form *f)
{
	for (int i = 0; i < f->n; i++)
		if (memchr(f->val[i].data ? f->val[i].data : "", '\0', f->val[i].len))
			return true;
	return false;
}

static void form_clear(struct form *f)
{
	for (int i = 0; i < f->n; i++) {
		free(f->key[i]);
		rbd_buf_free(&f->val[i]);
	}
	f->n = 0;
}

static void peer_address(struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct conn_ctx *cc)
{
	struct rbd_response *r = &cc->resp;
	size_t len = r->body.len;
	char *data = rbd_buf_steal(&r->body);
	struct MHD_Response *mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!mr) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(mr, "Content-Type",
				r->content_type ? r->content_type : "application/json");
	MHD_add_response_header(mr, "Cache-Control", "no-store");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	if (r->status == 401)
		MHD_add_response_header(mr, "WWW-Authenticate", "Bearer realm=\"runbookd\"");
	for (int i = 0; i < r->n_headers; i++)
		MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
	ret = MHD_queue_response(c, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	cc->answered = 1;
	return ret;
}

struct auth_scan {
	int n;                /* Authorization headers */
	const char *value;
	const char *next_key; /* the name of the header after it, in the order received */
	bool want_next;
	bool nul;             /* a value with a NUL inside ("Bearer TOKEN\0junk") */
};

static enum MHD_Result scan_auth(void *cls, enum MHD_ValueKind kind, const char *key,
				 size_t key_size, const char *value, size_t value_size)
{
	struct auth_scan *a = cls;

	(void)kind;
	if (a->want_next) {
		a->next_key = key;
		a->want_next = false;
	}
	if (key_size != 13 || strncasecmp(key, "Authorization", 13) != 0)
		return MHD_YES;
	a->n++;
	a->value = value;
	a->want_next = true;
	if (!value || strlen(value) != value_size)
		a->nul = true;
	return MHD_YES;
}

/*
 * libmicrohttpd 0.9.75 (Debian 12) ends a header value at a NUL and reports the
 * shortened length, so "Bearer TOKEN\0junk" reads as "Bearer TOKEN". It parses the
 * head in place: each line's CR LF (or bare LF) is overwritten with zeros and the
 * next line starts right after. So after an honest value come one or two zeros and
 * then the next header's name, or the zeros of the empty line that ends the head;
 * anything else is bytes that were hidden behind a NUL. Both reads stay inside that
 * line's terminator or the head's empty line.
 */
static bool auth_hidden_bytes(const struct auth_scan *a)
{
#if MHD_VERSION <= 0x00097500
	const char *p;

	if (!a->value)
		return false;
	p = a->value + strlen(a->value) + 1;
	if (a->next_key)
		return p != a->next_key && !(p[0] == '\0' && p + 1 == a->next_key);
	return p[0] != '\0' || p[1] != '\0';
#else
	/* Later versions parse the head differently; their value size shows the NUL. */
	(void)a;
	return false;
#endif
}

/* First call for a request: route, authenticate, check the declared length. */
static enum MHD_Result begin(struct rbd_server *srv, struct MHD_Connection *c,
			     struct conn_ctx *cc, const char *url, const char *method)
{
	struct auth_scan as = { 0 };
	const char *auth;
	const char *clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	struct rbd_runtime *rt = rbd_app_runtime(srv->app);

	cc->t0 = rbd_mono_ms();
	/* HEAD is GET without the body (libmicrohttpd sends no body for HEAD). */
	cc->req.method = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0 ? MHD_HTTP_METHOD_GET : method;
	cc->req.path = url;
	cc->req.arg = get_arg;
	cc->req.arg_ctx = c;
	cc->req.rt = rt;
	cc->req.cookie = get_cookie;
	cc->req.form = get_field;
	cc->req.form_ctx = &cc->form;
	peer_address(c, cc->req.peer, sizeof(cc->req.peer));
	cc->max_body = rt->cfg->limits.max_body_bytes;
	rbd_buf_init(&cc->body, cc->max_body);
	/* One Authorization header, all of it: a second one or a NUL inside is refused
	 * rather than reading the first one up to the NUL. */
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_auth, &as);
	if (as.n > 1) {
		rbd_response_error(&cc->resp, 400, "bad_request", "more than one Authorization header");
		return send_response(c, cc);
	}
	if (as.nul || auth_hidden_bytes(&as)) {
		rbd_response_error(&cc->resp, 400, "bad_request",
				   "the Authorization header has a NUL byte inside");
		return send_response(c, cc);
	}
	auth = as.value;
	if (rbd_ui_claims(url)) {
		if (rbd_ui_preflight(&cc->ui_route, srv->ui, &cc->req, &cc->resp))
			return send_response(c, cc);
	} else if (rbd_routes_preflight(&cc->route, &cc->req, auth, &cc->resp)) {
		return send_response(c, cc);
	}
	if (clen) {
		char *end;
		unsigned long long n = strtoull(clen, &end, 10);

		if (*end == '\0' && n > cc->max_body) {
			char msg[96];

			snprintf(msg, sizeof(msg), "the body is over the %zu-byte limit", cc->max_body);
			rbd_response_error(&cc->resp, 413, "too_large", msg);
			return send_response(c, cc);
		}
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct rbd_server *srv = cls;
	struct conn_ctx *cc = *con_cls;

	if (!cc) {
		cc = rbd_calloc(1, sizeof(*cc));
		*con_cls = cc;
		atomic_fetch_add(&srv->in_flight, 1);
		return begin(srv, c, cc, url, method);
	}
	if (cc->answered) {
		if (!*upload_data_size)
			track_set(srv, c, false);
		*upload_data_size = 0;   /* discard what still arrives */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!cc->too_big && rbd_buf_append(&cc->body, upload_data, *upload_data_size))
			cc->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (cc->too_big) {
		char msg[96];

		track_set(srv, c, false);
		snprintf(msg, sizeof(msg), "the body is over the %zu-byte limit", cc->max_body);
		rbd_response_error(&cc->resp, 413, "too_large", msg);
		return send_response(c, cc);
	}
	track_set(srv, c, false);   /* the whole request is in */
	cc->req.body = rbd_buf_cstr(&cc->body);
	cc->req.body_len = cc->body.len;
	if (cc->ui_route) {
		parse_form(c, cc);
		if (form_has_nul(&cc->form)) {
			/* "%00" would cut a note, a comment or a token short (as \u0000 would
			 * in the API's JSON): refused. */
			rbd_response_error(&cc->resp, 400, "bad_request", "a form field contains NUL (%00)");
			return send_response(c, cc);
		}
		rbd_ui_handle(cc->ui_route, srv->ui, srv->app, &cc->req, &cc->resp);
		return send_response(c, cc);
	}
	rbd_routes_handle(cc->route, srv->app, &cc->req, &cc->resp);
	return send_response(c, cc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct rbd_server *srv = cls;
	struct conn_ctx *cc = *con_cls;
	char labels[160];

	if (!cc)
		return;
	track_set(srv, c, true);   /* keep-alive: the next request starts its clock now */
	if (cc->resp.status) {
		snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%d\"",
			 cc->ui_route ? rbd_ui_route_pattern(cc->ui_route) :
			 cc->route ? rbd_route_pattern(cc->route) : "other", cc->resp.status);
		rbd_metrics_add(srv->app->metrics, "runbookd_http_requests_total", labels, 1);
		rbd_metrics_observe(srv->app->metrics, "runbookd_http_request_duration_seconds", NULL,
				    (double)(rbd_mono_ms() - cc->t0) / 1000.0);
	}
	rbd_request_clear(&cc->req);
	rbd_runtime_release(cc->req.rt);
	rbd_buf_free(&cc->resp.body);
	rbd_response_headers_clear(&cc->resp);
	form_clear(&cc->form);
	rbd_buf_free(&cc->body);
	free(cc);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	rbd_log_warn("http server", "detail", msg);
}

static int resolve_listen(struct sockaddr_storage *ss, socklen_t *len, const char *host, int port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *res = NULL;
	char portstr[16];
	int rc;

	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0 || !res)
		return rbd_err_set(RBD_EIO, "cannot resolve listen address %s: %s", host,
				   gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void reaper_stop(struct rbd_server *srv)
{
	if (!srv->has_reaper)
		return;
	pthread_mutex_lock(&srv->mu);
	srv->stopping = true;
	pthread_cond_signal(&srv->reaper_cv);
	pthread_mutex_unlock(&srv->mu);
	pthread_join(srv->reaper, NULL);
	srv->has_reaper = false;
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->reaper_cv);
}

int rbd_server_start(struct rbd_server **out, struct rbd_app *app, int *out_port)
{
	struct rbd_runtime *rt = rbd_app_runtime(app);
	const struct rbd_config *cfg = rt->cfg;
	struct rbd_server *srv = rbd_calloc(1, sizeof(*srv));
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	int rc = resolve_listen(&ss, &sslen, cfg->listen_host, cfg->listen_port);

	if (rc)
		goto fail;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->app = app;
	srv->ui = rbd_ui_new();
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->reaper_cv, NULL);
	srv->conns.next = srv->conns.prev = &srv->conns;
	srv->evict_at = cfg->limits.max_connections;
	srv->deadline_ms = (int64_t)cfg->limits.connection_timeout_s * 1000;
	if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0) {
		rc = rbd_err_set(RBD_EIO, "cannot start the connection reaper");
		goto fail;
	}
	srv->has_reaper = true;
	/* MHD's own limit sits above ours: past max_connections a new connection evicts
	 * the oldest unfinished request instead of being refused. */
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->limits.max_connections +
							cfg->limits.max_connections / 4 + POOL_THREADS),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->limits.max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->limits.connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_END);
	if (!srv->d) {
		rc = rbd_err_set(RBD_EIO, "cannot listen on %s:%d", cfg->listen_host, cfg->listen_port);
		goto fail;
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	*out_port = info ? info->port : cfg->listen_port;
	rbd_runtime_release(rt);
	*out = srv;
	return 0;
fail:
	rbd_runtime_release(rt);
	rbd_ui_free(srv->ui);
	reaper_stop(srv);
	free(srv);
	return rc;
}

void rbd_server_stop(struct rbd_server *srv, int drain_ms)
{
	int64_t deadline = rbd_mono_ms() + drain_ms;
	MHD_socket s;

	if (!srv)
		return;
	s = MHD_quiesce_daemon(srv->d);
	while (atomic_load(&srv->in_flight) > 0 && rbd_mono_ms() < deadline)
		usleep(10 * 1000);
	MHD_stop_daemon(srv->d);
	if (s != MHD_INVALID_SOCKET)
		close(s);
	rbd_ui_free(srv->ui);
	reaper_stop(srv);
	free(srv);
}
