/*
 * ui: the console's routes, sign-in, sessions and forms. Must never store the token
 * in a cookie or a page, change anything on a POST without the session's CSRF token,
 * let a viewer change anything, redirect outside the console, or answer without the
 * console's security headers. Every operation goes through ops.c, as /api/v1 does.
 */
#include "ui_internal.h"
#include "runbookd/auth.h"
#include "runbookd/err.h"
#include "runbookd/export.h"
#include "runbookd/ops.h"
#include "runbookd/routes.h"
#include "runbookd/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESSION_COOKIE "rbd_session"
#define PRE_COOKIE "rbd_pre"      /* double-submit token of the sign-in form */
#define MAX_SESSIONS 1024
#define MAX_COMMENT 4096          /* as the API's approve/reject */
#define MAX_NOTE 16384            /* as the API's notes */

/* Who may call a route: anyone, a signed-in viewer or operator, an operator. */
enum need { NEED_NONE, NEED_VIEWER, NEED_OPERATOR };

struct rbd_ui {
	struct rbd_sessions *sessions;
};

struct rbd_ui_route {
	const char *method;
	const char *pattern;
	enum need need;
	void (*fn)(struct ui_req *u);
};

static void h_root(struct ui_req *u);
static void h_css(struct ui_req *u);
static void h_icon(struct ui_req *u);
static void h_login_form(struct ui_req *u);
static void h_login(struct ui_req *u);
static void h_logout(struct ui_req *u);
static void h_incidents(struct ui_req *u);
static void h_incident(struct ui_req *u);
static void h_export(struct ui_req *u);
static void h_note(struct ui_req *u);
static void h_approvals(struct ui_req *u);
static void h_approve(struct ui_req *u);
static void h_reject(struct ui_req *u);
static void h_rules(struct ui_req *u);
static void h_reset(struct ui_req *u);
static void h_pause(struct ui_req *u);
static void h_resume(struct ui_req *u);

static const struct rbd_ui_route routes[] = {
	{ "GET",  "/",                               NEED_NONE,     h_root },
	{ "GET",  "/ui",                             NEED_NONE,     h_root },
	{ "GET",  "/ui/style.css",                   NEED_NONE,     h_css },
	{ "GET",  "/ui/login",                       NEED_NONE,     h_login_form },
	{ "POST", "/ui/login",                       NEED_NONE,     h_login },
	{ "GET",  "/ui/favicon.svg",                 NEED_NONE,     h_icon },
	{ "GET",  "/favicon.ico",                    NEED_NONE,     h_icon },  /* browsers ask */
	/* A GET: the cookie is SameSite=Strict, so no other site can sign anyone out,
	 * and a viewer's pages keep no form at all. */
	{ "GET",  "/ui/logout",                      NEED_VIEWER,   h_logout },
	{ "GET",  "/ui/",                            NEED_VIEWER,   h_incidents },
	{ "GET",  "/ui/incidents/{id}",              NEED_VIEWER,   h_incident },
	{ "GET",  "/ui/incidents/{id}/export.{fmt}", NEED_VIEWER,   h_export },
	{ "POST", "/ui/incidents/{id}/notes",        NEED_OPERATOR, h_note },
	{ "GET",  "/ui/approvals",                   NEED_VIEWER,   h_approvals },
	{ "POST", "/ui/actions/{id}/approve",        NEED_OPERATOR, h_approve },
	{ "POST", "/ui/actions/{id}/reject",         NEED_OPERATOR, h_reject },
	{ "GET",  "/ui/rules",                       NEED_VIEWER,   h_rules },
	{ "POST", "/ui/rules/{name}/reset",          NEED_OPERATOR, h_reset },
	{ "POST", "/ui/pause",                       NEED_OPERATOR, h_pause },
	{ "POST", "/ui/resume",                      NEED_OPERATOR, h_resume },
};


struct rbd_ui *rbd_ui_new(void)
{
	struct rbd_ui *ui = rbd_calloc(1, sizeof(*ui));

	ui->sessions = rbd_sessions_new(MAX_SESSIONS);
	return ui;
}

void rbd_ui_free(struct rbd_ui *ui)
{
	if (!ui)
		return;
	rbd_sessions_free(ui->sessions);
	free(ui);
}

bool rbd_ui_claims(const char *path)
{
	return strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0 || strncmp(path, "/ui/", 4) == 0 ||
	       strcmp(path, "/favicon.ico") == 0;
}

const char *rbd_ui_route_pattern(const struct rbd_ui_route *route)
{
	return route->pattern;
}

/* ---- responses ---- */

static void add_header(struct rbd_response *resp, const char *name, const char *value)
{
	if (resp->n_headers == RBD_RESPONSE_HEADERS)
		return;
	resp->headers[resp->n_headers].name = name;
	resp->headers[resp->n_headers++].value = rbd_strdup(value);
}

void rbd_response_header_add(struct rbd_response *resp, const char *name, const char *value)
{
	add_header(resp, name, value);
}

void rbd_allow_append(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow);

	if (strstr(allow, method))
		return;
	snprintf(allow + len, size - len, "%s%s%s", len ? ", " : "", method,
		 strcmp(method, "GET") == 0 ? ", HEAD" : "");
}

void rbd_response_headers_clear(struct rbd_response *resp)
{
	for (int i = 0; i < resp->n_headers; i++)
		free(resp->headers[i].value);
	resp->n_headers = 0;
}

/* The console's headers on every answer (once). */
static void secure_headers(struct rbd_response *resp)
{
	for (int i = 0; i < resp->n_headers; i++)
		if (strcmp(resp->headers[i].name, "Content-Security-Policy") == 0)
			return;
	add_header(resp, "Content-Security-Policy",
		   "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
		   "frame-ancestors 'none'");
	add_header(resp, "Referrer-Policy", "no-referrer");
	add_header(resp, "X-Frame-Options", "DENY");
}

static void redirect(struct ui_req *u, const char *path)
{
	char loc[512];

	snprintf(loc, sizeof(loc), "%s%s", u->p, path);
	u->resp->status = 303;
	u->resp->content_type = "text/plain; charset=utf-8";
	rbd_buf_reset(&u->resp->body);
	add_header(u->resp, "Location", loc);
}

/* "NAME=VALUE; Path=PREFIX/ui; HttpOnly; SameSite=Strict[; Secure][; EXTRA]" */
static void set_cookie(struct ui_req *u, const char *name, const char *value, const char *extra)
{
	char c[512];
	bool secure = u->cfg->external_url && strncasecmp(u->cfg->external_url, "https://", 8) == 0;

	snprintf(c, sizeof(c), "%s=%s; Path=%s/ui; HttpOnly; SameSite=Strict%s%s%s", name, value,
		 u->p, secure ? "; Secure" : "", extra ? "; " : "", extra ? extra : "");
	add_header(u->resp, "Set-Cookie", c);
}

/* The path part of external_url (a reverse proxy's prefix), "" without one. */
static void link_prefix(struct ui_req *u)
{
	const char *url = u->cfg->external_url;
	const char *slash = url && strstr(url, "://") ? strchr(strstr(url, "://") + 3, '/') : NULL;

	snprintf(u->prefix, sizeof(u->prefix), "%s", slash ? slash : "");
	u->p = u->prefix;
}

/* ---- routing and sessions ---- */

static struct rbd_session_limits session_limits(const struct rbd_config *cfg)
{
	return (struct rbd_session_limits){ cfg->ui.session_idle_ms, cfg->ui.session_max_ms,
					    10, 60 * 1000 };
}

/* The request's live session; also ends it when its token left the config or
 * changed role (a reload). */
static int find_session(struct rbd_ui *ui, struct rbd_session *out, struct rbd_request *req)
{
	const struct rbd_config *cfg = req->rt->cfg;
	struct rbd_session_limits lim = session_limits(cfg);
	const char *id = req->cookie(req->arg_ctx, SESSION_COOKIE);
	int rc = rbd_sessions_get(ui->sessions, out, id, &lim, rbd_now_ms());

	if (rc)
		return rc;
	for (size_t i = 0; i < cfg->n_tokens; i++)
		if (strcmp(cfg->tokens[i].name, out->name) == 0 && cfg->tokens[i].role == out->role)
			return 0;
	rbd_sessions_end(ui->sessions, id);
	memset(out, 0, sizeof(*out));
	return rbd_err_set(RBD_EAUTH, "the session's token is gone");
}

static void plain(struct rbd_response *resp, int status, const char *msg)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	rbd_buf_reset(&resp->body);
	rbd_buf_puts(&resp->body, msg);
	rbd_buf_putc(&resp->body, '\n');
	secure_headers(resp);
}

int rbd_ui_preflight(const struct rbd_ui_route **out, struct rbd_ui *ui, struct rbd_request *req,
		     struct rbd_response *resp)
{
	const struct rbd_ui_route *found = NULL;
	struct rbd_session se;
	bool path_known = false;
	char allow[64] = "";

	*out = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && !found; i++) {
		char *params[2] = { NULL, NULL };

		if (!rbd_routes_match(routes[i].pattern, req->path, params))
			continue;
		path_known = true;
		rbd_allow_append(allow, sizeof(allow), routes[i].method);
		if (strcmp(routes[i].method, req->method) == 0) {
			found = &routes[i];
			req->params[0] = params[0];
			req->params[1] = params[1];
		} else {
			free(params[0]);
			free(params[1]);
		}
	}
	if (!found) {
		plain(resp, path_known ? 405 : 404, path_known ? "method not allowed" : "not found");
		if (path_known)
			add_header(resp, "Allow", allow);
		return path_known ? RBD_EINVAL : RBD_ENOTFOUND;
	}
	*out = found;
	if (found->fn == h_login) {
		struct rbd_session_limits lim = session_limits(req->rt->cfg);

		if (!rbd_sessions_login_allowed(ui->sessions, req->peer, &lim, rbd_now_ms())) {
			plain(resp, 429, "too many sign-in attempts from this address; wait a minute");
			return RBD_EFORBIDDEN;
		}
		return 0;
	}
	if (found->need == NEED_NONE)
		return 0;
	/* Decided before any body is read: no session, or a viewer's POST to a form. */
	if (find_session(ui, &se, req)) {
		if (strcmp(req->method, "GET") != 0) {
			plain(resp, 403, "sign in first");
			return RBD_EFORBIDDEN;
		}
		return 0;   /* the handler sends the browser to the sign-in page */
	}
	if (found->need == NEED_OPERATOR && se.role != RBD_ROLE_OPERATOR) {
		plain(resp, 403, "this needs the operator role");
		return RBD_EFORBIDDEN;
	}
	return 0;
}

void rbd_ui_handle(const struct rbd_ui_route *route, struct rbd_ui *ui, struct rbd_app *app,
		   struct rbd_request *req, struct rbd_response *resp)
{
	struct ui_req u;

	memset(&u, 0, sizeof(u));
	u.app = app;
	u.ui = ui;
	u.req = req;
	u.resp = resp;
	u.cfg = req->rt->cfg;
	u.status = 200;
	u.now_ms = rbd_now_ms();
	link_prefix(&u);
	rbd_err_clear();
	if (route->need != NEED_NONE) {
		if (find_session(ui, &u.se, req)) {
			if (strcmp(req->method, "GET") == 0)
				redirect(&u, "/ui/login");
			else
				plain(resp, 403, "sign in first");
			goto done;
		}
		if (route->need == NEED_OPERATOR && u.se.role != RBD_ROLE_OPERATOR) {
			plain(resp, 403, "this needs the operator role");
			goto done;
		}
		/* Every form carries the session's CSRF token; without it nothing changes. */
		if (strcmp(req->method, "POST") == 0 &&
		    !rbd_session_csrf_ok(&u.se, req->form(req->form_ctx, "csrf"))) {
			plain(resp, 403, "the form's CSRF token is missing or wrong; reload the page");
			goto done;
		}
		if (strcmp(req->method, "GET") == 0)
			rbd_sessions_flash_take(ui->sessions, u.se.id, u.flash, sizeof(u.flash),
						&u.flash_bad);
	}
	route->fn(&u);
	if (resp->status == 0)
		plain(resp, 500, "internal error");
done:
	secure_headers(resp);
}

/* ---- helpers for handlers ---- */

/* An id in a path: the API's rule (1-18 digits, no leading zero). */
static bool parse_id(int64_t *out, const char *s)
{
	return rbd_routes_parse_id(out, s, "id") == 0;
}

/* Where a form came from: a console path we made ("/ui/..."), else "/ui/". Only
 * [A-Za-z0-9/_.?=&-], so the redirect cannot leave the console. */
static const char *form_from(struct ui_req *u)
{
	const char *from = u->req->form(u->req->form_ctx, "from");

	if (!from || strncmp(from, "/ui/", 4) != 0 || strlen(from) > 200 || strstr(from, "..") ||
	    strstr(from, "//") || from[strspn(from, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						     "0123456789/_.?=&-")] != '\0')
		return "/ui/";
	return from;
}

/* After a form: the message for the next page, then back where the form was. */
static void form_done(struct ui_req *u, int rc, const char *ok_msg)
{
	char msg[256];

	if (rc)
		snprintf(msg, sizeof(msg), "Not done: %s", *rbd_err_msg() ? rbd_err_msg() : "failed");
	else
		snprintf(msg, sizeof(msg), "%s", ok_msg);
	rbd_sessions_flash_set(u->ui->sessions, u->se.id, msg, rc != 0);
	redirect(u, form_from(u));
}

/* A form text field of at most max bytes; NULL when absent or empty. */
static int form_text(const char **out, struct ui_req *u, const char *name, size_t max)
{
	const char *v = u->req->form(u->req->form_ctx, name);

	*out = NULL;
	if (v && strlen(v) > max)
		return rbd_err_set(RBD_EINVAL, "%s is longer than %zu bytes", name, max);
	if (v && v[strspn(v, " \t\r\n")] != '\0')
		*out = v;
	return 0;
}

/* ---- handlers ---- */

static void h_root(struct ui_req *u)
{
	redirect(u, "/ui/");
}

static void h_css(struct ui_req *u)
{
	u->resp->status = 200;
	u->resp->content_type = "text/css; charset=utf-8";
	rbd_buf_reset(&u->resp->body);
	rbd_buf_puts(&u->resp->body, rbd_ui_css);
}

static void h_icon(struct ui_req *u)
{
	u->resp->status = 200;
	u->resp->content_type = "image/svg+xml";
	rbd_buf_reset(&u->resp->body);
	rbd_buf_puts(&u->resp->body, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
		     "<circle cx=\"8\" cy=\"8\" r=\"7\" fill=\"#c62828\"/></svg>\n");
}

static void h_login_form(struct ui_req *u)
{
	char pre[RBD_SESSION_ID_LEN + 1];

	if (rbd_random_hex(pre, RBD_SESSION_ID_LEN / 2)) {
		ui_page_message(u, 503, "Unavailable", "no randomness for a sign-in form");
		return;
	}
	set_cookie(u, PRE_COOKIE, pre, "Max-Age=900");
	ui_page_login(u, NULL, pre);
}

static void h_login(struct ui_req *u)
{
	const char *token = u->req->form(u->req->form_ctx, "token");
	const char *pre = u->req->form(u->req->form_ctx, "pre");
	const char *pre_cookie = u->req->cookie(u->req->arg_ctx, PRE_COOKIE);
	const struct rbd_token *tok = NULL;
	struct rbd_buf hdr = RBD_BUF_INIT(RBD_TOKEN_MAX + 16);
	struct rbd_session se;
	int rc;

	/* The form must come from our own sign-in page (a cross-site form cannot read or
	 * send our cookie): no signing in a victim as someone else. */
	if (!pre || !pre_cookie || strlen(pre_cookie) != RBD_SESSION_ID_LEN ||
	    !rbd_auth_equal(pre, strlen(pre), pre_cookie, RBD_SESSION_ID_LEN)) {
		h_login_form(u);
		u->resp->status = 403;
		return;
	}
	rc = !token || strlen(token) > RBD_TOKEN_MAX ? RBD_EAUTH : 0;
	if (!rc)
		rc = rbd_buf_printf(&hdr, "Bearer %s", token);
	if (!rc)
		rc = rbd_auth_check(&tok, u->cfg, rbd_buf_cstr(&hdr));
	/* Scrub the copy of the token before the buffer goes back to the allocator. */
	if (hdr.data)
		memset(hdr.data, 0, hdr.len);
	rbd_buf_free(&hdr);
	if (!rc && !rbd_auth_allows(tok, RBD_ROLE_VIEWER))
		rc = RBD_EFORBIDDEN;
	if (!rc)
		rc = rbd_sessions_start(u->ui->sessions, &se, tok->name, tok->role, u->now_ms);
	if (rc) {
		char pre2[RBD_SESSION_ID_LEN + 1];

		memcpy(pre2, pre_cookie, sizeof(pre2));
		ui_page_login(u, rc == RBD_EFORBIDDEN ? "That token cannot sign in to the console "
							"(it is not a viewer or operator token)."
						      : "That token is not valid.", pre2);
		u->resp->status = 403;
		return;
	}
	/* A new id at every sign-in; the old session (if any) ends. */
	rbd_sessions_end(u->ui->sessions, u->req->cookie(u->req->arg_ctx, SESSION_COOKIE));
	set_cookie(u, SESSION_COOKIE, se.id, NULL);
	set_cookie(u, PRE_COOKIE, "", "Max-Age=0");
	redirect(u, "/ui/");
}

static void h_logout(struct ui_req *u)
{
	rbd_sessions_end(u->ui->sessions, u->se.id);
	set_cookie(u, SESSION_COOKIE, "", "Max-Age=0");
	redirect(u, "/ui/login");
}

static void h_incidents(struct ui_req *u)
{
	ui_page_incidents(u);
}

static void h_incident(struct ui_req *u)
{
	int64_t id;

	if (!parse_id(&id, u->req->params[0]))
		ui_page_message(u, 404, "Not found", "There is no such incident.");
	else
		ui_page_incident(u, id);
}

static void h_export(struct ui_req *u)
{
	static const struct {
		const char *ext;
		enum rbd_export_format fmt;
		const char *type;            /* inline in the browser, except the CSV file */
	} formats[] = {
		{ "json", RBD_EXPORT_JSON, "application/json" },
		{ "csv", RBD_EXPORT_CSV, NULL },
		{ "md", RBD_EXPORT_MD, "text/plain; charset=utf-8" },
	};
	const char *lang = u->req->arg(u->req->arg_ctx, "lang");
	int64_t id;
	int rc;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(u->req->params[1], formats[i].ext) != 0)
			continue;
		if (!parse_id(&id, u->req->params[0]) || rbd_export_lang_check(lang)) {
			ui_page_message(u, 400, "Bad request", "No such incident id or language.");
			return;
		}
		rbd_buf_reset(&u->resp->body);
		u->resp->body.max = (size_t)512 * 1024 * 1024;
		rc = rbd_export_incident(&u->resp->body, u->app->store, id, formats[i].fmt, lang,
					 u->req->rt->cfg);
		if (rc) {
			ui_page_message(u, rbd_err_http_status(rc), "Export failed", rbd_err_msg());
			return;
		}
		u->resp->status = 200;
		u->resp->content_type = formats[i].type ? formats[i].type
							: rbd_export_content_type(formats[i].fmt);
		if (formats[i].fmt == RBD_EXPORT_CSV) {
			char cd[96];

			snprintf(cd, sizeof(cd), "attachment; filename=\"incident-%lld.csv\"",
				 (long long)id);
			add_header(u->resp, "Content-Disposition", cd);
		}
		secure_headers(u->resp);
		return;
	}
	ui_page_message(u, 404, "Not found", "Exports are export.json, export.csv and export.md.");
}

static void h_note(struct ui_req *u)
{
	const char *text;
	int64_t id;
	int rc = parse_id(&id, u->req->params[0]) ? 0 :
		 rbd_err_set(RBD_EINVAL, "incident id must be a positive integer");

	if (!rc)
		rc = form_text(&text, u, "text", MAX_NOTE);
	if (!rc && !text)
		rc = rbd_err_set(RBD_EINVAL, "the note is empty");
	if (!rc)
		rc = rbd_ops_note(u->app, id, u->se.name, text);
	form_done(u, rc, "Note added.");
}

static void decide(struct ui_req *u, bool approve)
{
	const char *comment;
	char msg[128];
	int64_t id;
	int rc = parse_id(&id, u->req->params[0]) ? 0 :
		 rbd_err_set(RBD_EINVAL, "action id must be a positive integer");

	if (!rc)
		rc = form_text(&comment, u, "comment", MAX_COMMENT);
	if (!rc)
		rc = rbd_ops_decide(u->app, id, u->se.name, approve, comment);
	snprintf(msg, sizeof(msg), "%s action #%lld.", approve ? "Approved" : "Rejected",
		 (long long)id);
	form_done(u, rc, msg);
}

static void h_approve(struct ui_req *u)
{
	decide(u, true);
}

static void h_reject(struct ui_req *u)
{
	decide(u, false);
}

static void h_approvals(struct ui_req *u)
{
	ui_page_approvals(u);
}

static void h_rules(struct ui_req *u)
{
	ui_page_rules(u);
}

static void h_reset(struct ui_req *u)
{
	int rc = rbd_ops_reset_rule(u->app, u->req->params[0], u->se.name);

	form_done(u, rc, "Breaker reset.");
}

static void h_pause(struct ui_req *u)
{
	form_done(u, rbd_ops_pause(u->app, u->se.name, true),
		  "Kill switch ON: no action will start until resumed.");
}

static void h_resume(struct ui_req *u)
{
	form_done(u, rbd_ops_pause(u->app, u->se.name, false), "Resumed: actions may run again.");
}

/* Used by ui_pages.c at the end of every page. */
void ui_page_end(struct ui_req *u, struct rbd_buf *b)
{
	rbd_buf_puts(b, "</main></body></html>\n");
	rbd_buf_free(&u->resp->body);
	u->resp->body = *b;
	memset(b, 0, sizeof(*b));
	u->resp->status = u->status;
	u->resp->content_type = "text/html; charset=utf-8";
	secure_headers(u->resp);
}
