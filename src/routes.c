/*
 * routes: the HTTP API table and its handlers. Must never reveal a token, echo a
 * request body, or answer 2xx to an ingest before the commit. Every error is SPEC's
 * JSON error with a snake_case code.
 */
#include "runbookd/routes.h"
#include "runbookd/action_state.h"
#include "runbookd/auth.h"
#include "runbookd/err.h"
#include "runbookd/export.h"
#include "runbookd/ingest.h"
#include "runbookd/log.h"
#include "runbookd/matcher.h"
#include "runbookd/model.h"
#include "runbookd/notify.h"
#include "runbookd/procstat.h"
#include "runbookd/ui.h"
#include "runbookd/ops.h"
#include "runbookd/payload.h"
#include "runbookd/timeutil.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*handler_fn)(struct rbd_app *app, struct rbd_request *req,
			   struct rbd_response *resp);

struct rbd_route {
	const char *method;
	const char *pattern;
	enum rbd_role role;
	handler_fn fn;
};

static void h_alerts(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_incidents(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_incident(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_timeline(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_note(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_actions(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_action(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_approve(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_reject(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_pause(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_resume(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_pause_get(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_rules(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_rule_reset(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_healthz(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_readyz(struct rbd_app *, struct rbd_request *, struct rbd_response *);
static void h_metrics(struct rbd_app *, struct rbd_request *, struct rbd_response *);

static const struct rbd_route routes[] = {
	{ "POST", "/api/v1/alerts",                  RBD_ROLE_INGEST,   h_alerts },
	{ "GET",  "/api/v1/incidents",               RBD_ROLE_VIEWER,   h_incidents },
	{ "GET",  "/api/v1/incidents/{id}",          RBD_ROLE_VIEWER,   h_incident },
	{ "GET",  "/api/v1/incidents/{id}/timeline", RBD_ROLE_VIEWER,   h_timeline },
	{ "POST", "/api/v1/incidents/{id}/notes",    RBD_ROLE_OPERATOR, h_note },
	{ "GET",  "/api/v1/actions",                 RBD_ROLE_VIEWER,   h_actions },
	{ "GET",  "/api/v1/actions/{id}",            RBD_ROLE_VIEWER,   h_action },
	{ "POST", "/api/v1/actions/{id}/approve",    RBD_ROLE_OPERATOR, h_approve },
	{ "POST", "/api/v1/actions/{id}/reject",     RBD_ROLE_OPERATOR, h_reject },
	{ "GET",  "/api/v1/pause",                   RBD_ROLE_VIEWER,   h_pause_get },
	{ "POST", "/api/v1/pause",                   RBD_ROLE_OPERATOR, h_pause },
	{ "POST", "/api/v1/resume",                  RBD_ROLE_OPERATOR, h_resume },
	{ "GET",  "/api/v1/rules",                   RBD_ROLE_VIEWER,   h_rules },
	{ "POST", "/api/v1/rules/{name}/reset",      RBD_ROLE_OPERATOR, h_rule_reset },
	{ "GET",  "/healthz",                        RBD_ROLE_NONE,     h_healthz },
	{ "GET",  "/readyz",                         RBD_ROLE_NONE,     h_readyz },
	{ "GET",  "/metrics",                        RBD_ROLE_NONE,     h_metrics },
};

#define MAX_SEGMENT 256

/* ---- responses ---- */

static void reply_json(struct rbd_response *resp, int status, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);

	cJSON_Delete(obj);
	resp->status = status;
	resp->content_type = "application/json";
	rbd_buf_reset(&resp->body);
	if (!s || rbd_buf_puts(&resp->body, s) || rbd_buf_putc(&resp->body, '\n')) {
		resp->status = 500;
		rbd_buf_reset(&resp->body);
		rbd_buf_puts(&resp->body, "{\"error\":{\"code\":\"internal\",\"message\":\"response too large\"}}\n");
	}
	free(s);
}

void rbd_response_error(struct rbd_response *resp, int status, const char *code,
			const char *message)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(o, "error");

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	reply_json(resp, status, o);
}

/* Answers for an RBD_E* code with the thread's message. */
static void reply_rc(struct rbd_response *resp, int rc)
{
	int status = rbd_err_http_status(rc);
	const char *msg = rbd_err_msg();

	if (status >= 500)
		rbd_log_warn("request failed", "error", msg);
	rbd_response_error(resp, status, rbd_err_code_name(rc), *msg ? msg : "request failed");
}

/* ---- routing ---- */

bool rbd_routes_match(const char *pattern, const char *path, char *params[2])
{
	int np = 0;

	while (*pattern && *path) {
		if (*pattern == '{') {
			size_t seg = strcspn(path, "/");

			if (seg == 0 || seg > MAX_SEGMENT || np == 2)
				goto fail;
			params[np++] = rbd_strndup(path, seg);
			path += seg;
			pattern = strchr(pattern, '}') + 1;
			continue;
		}
		if (*pattern++ != *path++)
			goto fail;
	}
	if (*pattern == '\0' && *path == '\0')
		return true;
fail:
	for (int i = 0; i < np; i++) {
		free(params[i]);
		params[i] = NULL;
	}
	return false;
}

int rbd_routes_preflight(const struct rbd_route **out, struct rbd_request *req,
			 const char *authorization, struct rbd_response *resp)
{
	const struct rbd_route *found = NULL;
	bool path_known = false;
	char allow[64] = "";
	int rc;

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
		if (path_known) {
			rbd_response_error(resp, 405, "method_not_allowed", "method not allowed on this path");
			rbd_response_header_add(resp, "Allow", allow);
			return RBD_EINVAL;
		}
		rbd_response_error(resp, 404, "not_found", "no such endpoint");
		return RBD_ENOTFOUND;
	}
	*out = found;
	if (found->role == RBD_ROLE_NONE)
		return 0;
	/* The same answer for every authentication failure: it must not tell which part failed. */
	rc = rbd_auth_check(&req->token, req->rt->cfg, authorization);
	if (rc) {
		rbd_response_error(resp, 401, "unauthorized", "a valid bearer token is required");
		return rc;
	}
	if (!rbd_auth_allows(req->token, found->role)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "this endpoint needs the %s role", rbd_role_name(found->role));
		rbd_response_error(resp, 403, "forbidden", msg);
		return RBD_EFORBIDDEN;
	}
	return 0;
}

void rbd_routes_handle(const struct rbd_route *route, struct rbd_app *app,
		       struct rbd_request *req, struct rbd_response *resp)
{
	route->fn(app, req, resp);
}

const char *rbd_route_pattern(const struct rbd_route *route)
{
	return route->pattern;
}

void rbd_request_clear(struct rbd_request *req)
{
	free(req->params[0]);
	free(req->params[1]);
	req->params[0] = req->params[1] = NULL;
}

static void free_incidents(struct rbd_incident *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rbd_incident_clear(&v[i]);
	free(v);
}

static void free_alerts(struct rbd_alert_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rbd_alert_rec_clear(&v[i]);
	free(v);
}

static void free_actions(struct rbd_action_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rbd_action_rec_clear(&v[i]);
	free(v);
}

/* ---- handlers ---- */

/* One info line per stored notification: what an operator follows in the log. */
static void log_notification(const struct rbd_notification *n, const struct rbd_ingest_result *r)
{
	struct rbd_buf ids = RBD_BUF_INIT(256);
	char alerts[24], eps[24], planned[24], pending[24];

	for (size_t i = 0; i < r->n_ids && i < 20; i++)
		rbd_buf_printf(&ids, "%s%lld", i ? "," : "", (long long)r->incident_ids[i]);
	snprintf(alerts, sizeof(alerts), "%d", r->accepted);
	snprintf(eps, sizeof(eps), "%d", r->new_episodes);
	snprintf(planned, sizeof(planned), "%d", r->planned);
	snprintf(pending, sizeof(pending), "%d", r->pending_approval);
	rbd_log_info("notification stored", "status", n->status, "incidents", rbd_buf_cstr(&ids),
		     "alerts", alerts, "new_episodes", eps, "actions_planned", planned,
		     "pending_approval", pending);
	rbd_buf_free(&ids);
}

static void h_alerts(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	const struct rbd_limits *lim = &req->rt->cfg->limits;
	/* From the config; string size and nesting: the parser's defaults. */
	struct rbd_payload_limits pl = { .max_alerts = lim->max_alerts, .max_labels = lim->max_labels };
	struct rbd_notification *n = NULL;
	struct rbd_ingest_result res;
	char labels[64];
	cJSON *o, *ids;
	int rc;

	rc = rbd_payload_parse(&n, req->body, req->body_len, &pl);
	if (rc) {
		rbd_metrics_add(app->metrics, "runbookd_notifications_total",
				"outcome=\"rejected\",status=\"\"", 1);
		reply_rc(resp, rc);
		return;
	}
	rc = rbd_ingest(&res, app, n);
	snprintf(labels, sizeof(labels), "outcome=\"%s\",status=\"%s\"", rc ? "failed" : "stored",
		 strcmp(n->status, "firing") == 0 ? "firing" : "resolved");
	rbd_metrics_add(app->metrics, "runbookd_notifications_total", labels, 1);
	if (rc) {
		rbd_log_error("notification not stored; Alertmanager will retry", "error", rbd_err_msg());
		rbd_response_error(resp, 503, "unavailable",
				   "the notification could not be stored; retry later");
		rbd_notification_free(n);
		return;
	}
	rbd_metrics_add(app->metrics, "runbookd_alert_episodes_stored_total", NULL, res.new_episodes);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "accepted", res.accepted);
	ids = cJSON_AddArrayToObject(o, "incident_ids");
	for (size_t i = 0; i < res.n_ids; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)res.incident_ids[i]));
	cJSON_AddNumberToObject(o, "new_episodes", res.new_episodes);
	cJSON_AddNumberToObject(o, "actions_planned", res.planned);
	reply_json(resp, 200, o);
	log_notification(n, &res);
	for (int i = 0; i < res.pending_approval; i++)
		rbd_notify_action(app, res.pending_ids[i],
				  rbd_event_kind_name(RBD_EVENT_ACTION_PENDING_APPROVAL));
	for (size_t i = 0; i < res.n_resolved; i++)
		rbd_notify_incident_resolved(app, res.resolved_ids[i]);
	rbd_ingest_result_clear(&res);
	rbd_notification_free(n);
}

static void h_incidents(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	const char *status = req->arg(req->arg_ctx, "status");
	struct rbd_incident *list = NULL;
	int64_t limit, offset, total = 0;
	size_t n = 0;
	cJSON *o, *arr;
	int rc;

	if (status && strcmp(status, "open") != 0 && strcmp(status, "resolved") != 0) {
		rbd_response_error(resp, 400, "invalid_input", "status must be open or resolved");
		return;
	}
	rc = rbd_routes_int_arg(&limit, req, "limit", 100, 1, 10000);
	if (!rc)
		rc = rbd_routes_int_arg(&offset, req, "offset", 0, 0, INT64_MAX / 2);
	if (!rc)
		rc = rbd_store_incidents(app->store, &list, &n, &total, status, limit, offset);
	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "incidents");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, rbd_incident_json(&list[i]));
	cJSON_AddNumberToObject(o, "total", (double)total);
	free_incidents(list, n);
	reply_json(resp, 200, o);
}

static void h_incident(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	struct rbd_incident inc;
	struct rbd_alert_rec *alerts = NULL;
	struct rbd_action_rec *actions = NULL;
	size_t na = 0, nx = 0;
	int64_t id;
	cJSON *o, *arr;
	int rc = rbd_routes_parse_id(&id, req->params[0], "incident id");

	if (!rc)
		rc = rbd_store_incident(app->store, &inc, id);
	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	rc = rbd_store_alerts(app->store, &alerts, &na, id);
	if (!rc)
		rc = rbd_store_actions(app->store, &actions, &nx, id, NULL, 100000);
	if (rc) {
		reply_rc(resp, rc);
		goto done;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "incident", rbd_incident_json(&inc));
	arr = cJSON_AddArrayToObject(o, "alerts");
	for (size_t i = 0; i < na; i++)
		cJSON_AddItemToArray(arr, rbd_alert_rec_json(&alerts[i]));
	arr = cJSON_AddArrayToObject(o, "actions");
	/* Oldest first within an incident, as they happened. */
	for (size_t i = nx; i > 0; i--)
		cJSON_AddItemToArray(arr, rbd_action_rec_json(&actions[i - 1]));
	reply_json(resp, 200, o);
done:
	free_alerts(alerts, na);
	free_actions(actions, nx);
	rbd_incident_clear(&inc);
}

static void h_timeline(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	const char *format = req->arg(req->arg_ctx, "format");
	const char *lang = req->arg(req->arg_ctx, "lang");
	enum rbd_export_format fmt = RBD_EXPORT_JSON;
	struct rbd_runtime *rt;
	int64_t id;
	int rc = rbd_routes_parse_id(&id, req->params[0], "incident id");

	if (!rc && format)
		rc = rbd_export_format_parse(&fmt, format);
	if (!rc)
		rc = rbd_export_lang_check(lang);
	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	rbd_buf_reset(&resp->body);
	resp->body.max = (size_t)512 * 1024 * 1024;
	rt = rbd_app_runtime(app);
	rc = rbd_export_incident(&resp->body, app->store, id, fmt, lang, rt->cfg);
	rbd_runtime_release(rt);
	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	resp->status = 200;
	resp->content_type = rbd_export_content_type(fmt);
}

static void h_note(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	cJSON *body = NULL, *o;
	const char *text, *section;
	int64_t id;
	int rc = rbd_routes_parse_id(&id, req->params[0], "incident id");

	if (!rc)
		rc = rbd_routes_body(&body, req);
	if (!rc)
		rc = rbd_routes_body_string(&text, body, "text", 16384, true);
	if (!rc)
		rc = rbd_routes_body_string(&section, body, "section", 16, false);
	if (!rc)
		rc = rbd_ops_note_in(app, id, req->token->name, text, section);
	if (rc) {
		reply_rc(resp, rc);
	} else {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "incident_id", (double)id);
		cJSON_AddStringToObject(o, "added_by", req->token->name);
		reply_json(resp, 201, o);
	}
	cJSON_Delete(body);
}

/* 400 naming the valid states (the state table's names), so that a typo tells its fix. */
static void reply_unknown_state(struct rbd_response *resp, const char *state)
{
	struct rbd_buf b = RBD_BUF_INIT(4096);

	rbd_buf_printf(&b, "unknown action state \"%.64s\"; valid states: ", state);
	for (int i = 0; i < RBD_STATE_COUNT; i++)
		rbd_buf_printf(&b, "%s%s", i ? ", " : "",
			       rbd_action_state_name((enum rbd_action_state)i));
	rbd_response_error(resp, 400, "invalid_input", rbd_buf_cstr(&b));
	rbd_buf_free(&b);
}

static void h_actions(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	const char *state = req->arg(req->arg_ctx, "state");
	struct rbd_action_rec *list = NULL;
	int64_t limit, incident;
	size_t n = 0;
	enum rbd_action_state known;
	cJSON *o, *arr;
	int rc = 0;

	if (state && !rbd_action_state_parse(&known, state)) {
		reply_unknown_state(resp, state);
		return;
	}
	rc = rbd_routes_int_arg(&limit, req, "limit", 1000, 1, 10000);
	/* ?incident=ID (SPEC); ?incident_id=ID is the older spelling. */
	if (!rc)
		rc = rbd_routes_int_arg(&incident, req, req->arg(req->arg_ctx, "incident") ?
					"incident" : "incident_id", 0, 1, INT64_MAX / 2);
	if (!rc)
		rc = rbd_store_actions(app->store, &list, &n, incident, state, limit);
	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "actions");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, rbd_action_rec_json(&list[i]));
	free_actions(list, n);
	reply_json(resp, 200, o);
}

/*
 * One action's answer also lists each decision with its comment: one more query, so
 * only for single-action answers, never for lists. (Where its approval stands,
 * expires_at, approvals {given, needed} and comment, is in every action's JSON.)
 */
static void add_decisions(struct rbd_app *app, cJSON *o, const struct rbd_action_rec *a)
{
	struct rbd_decision *d = NULL;
	size_t n = 0;
	int64_t expires = 0;
	cJSON *arr;

	if (!o || rbd_store_decisions(app->store, &d, &n, &expires, a->id) != 0)
		return;
	arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "by", d[i].operator_name ? d[i].operator_name : "");
		cJSON_AddStringToObject(x, "decision", d[i].decision ? d[i].decision : "");
		rbd_json_add_text(x, "comment", d[i].comment);
		rbd_json_add_time(x, "at", d[i].ts_ms);
		cJSON_AddItemToArray(arr, x);
	}
	cJSON_AddItemToObject(o, "decisions", arr);
	rbd_decisions_free(d, n);
}

static void reply_action(struct rbd_app *app, struct rbd_response *resp, int64_t id, int status)
{
	struct rbd_action_rec a;
	cJSON *o;
	int rc = rbd_store_action(app->store, &a, id);

	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "action", rbd_action_rec_json(&a));
	add_decisions(app, cJSON_GetObjectItemCaseSensitive(o, "action"), &a);
	rbd_action_rec_clear(&a);
	reply_json(resp, status, o);
}

static void h_action(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	int64_t id;
	int rc = rbd_routes_parse_id(&id, req->params[0], "action id");

	if (rc)
		reply_rc(resp, rc);
	else
		reply_action(app, resp, id, 200);
}

static void decide(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp,
		   bool approve)
{
	cJSON *body = NULL;
	const char *comment = NULL;
	int64_t id;
	int rc = rbd_routes_parse_id(&id, req->params[0], "action id");

	if (!rc)
		rc = rbd_routes_body(&body, req);
	if (!rc)
		rc = rbd_routes_body_string(&comment, body, "comment", 4096, false);
	if (!rc)
		rc = rbd_ops_decide(app, id, req->token->name, approve, comment);
	cJSON_Delete(body);
	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	reply_action(app, resp, id, 200);
}

static void h_approve(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	decide(app, req, resp, true);
}

static void h_reject(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	decide(app, req, resp, false);
}

static void pause_resume(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp,
			 bool paused)
{
	cJSON *body = NULL;
	const char *comment = NULL;
	int rc = rbd_routes_body(&body, req);

	if (!rc)
		rc = rbd_routes_body_string(&comment, body, "comment", 4096, false);
	if (!rc)
		rc = rbd_ops_pause_comment(app, req->token->name, paused, comment);
	cJSON_Delete(body);
	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	h_pause_get(app, req, resp);
}

/* The kill switch: its state, since when and set by whom (null before the first
 * pause of this database). */
static void h_pause_get(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	char *since = NULL, *by = NULL, *end = NULL;
	cJSON *o;
	long long ms;
	int rc = rbd_store_setting_get(app->store, &since, "paused_since");

	if (!rc)
		rc = rbd_store_setting_get(app->store, &by, "paused_by");
	if (rc) {
		free(since);
		reply_rc(resp, rc);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "paused", atomic_load(&app->paused));
	ms = since ? strtoll(since, &end, 10) : 0;
	rbd_json_add_time(o, "since", since && end && !*end && ms > 0 ? (int64_t)ms : 0);
	rbd_json_add_text(o, "by", by);
	free(since);
	free(by);
	reply_json(resp, 200, o);
}

static void h_pause(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	pause_resume(app, req, resp, true);
}

static void h_resume(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	pause_resume(app, req, resp, false);
}

static cJSON *rule_json(struct rbd_app *app, const struct rbd_rule *r, int64_t now)
{
	struct rbd_rule_stats st;

	return rbd_rule_json(r, rbd_store_rule_stats(app->store, &st, r->name, now) == 0 ? &st :
			     NULL);
}

static void h_rules(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	const struct rbd_config *cfg = req->rt->cfg;
	int64_t now = rbd_now_ms();
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "rules");

	for (size_t i = 0; i < cfg->n_rules; i++)
		cJSON_AddItemToArray(arr, rule_json(app, &cfg->rules[i], now));
	cJSON_AddStringToObject(o, "mode", cfg->mode == RBD_MODE_DRY_RUN ? "dry-run" : "enforce");
	cJSON_AddBoolToObject(o, "paused", atomic_load(&app->paused));
	reply_json(resp, 200, o);
}

static void h_rule_reset(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	int rc = rbd_ops_reset_rule(app, req->params[0], req->token->name);
	cJSON *o;

	if (rc) {
		reply_rc(resp, rc);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "rule", req->params[0]);
	cJSON_AddBoolToObject(o, "tripped", false);
	reply_json(resp, 200, o);
}

static void h_healthz(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "status", "ok");
	reply_json(resp, 200, o);
}

static void h_readyz(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	int rc = rbd_store_ready(app->store);
	cJSON *o;

	if (rc) {
		rbd_response_error(resp, 503, "unavailable", "the database is not writable");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ready");
	reply_json(resp, 200, o);
}

static void count_state(void *ctx, const char *state, int64_t n)
{
	struct rbd_app *app = ctx;
	char labels[64];

	snprintf(labels, sizeof(labels), "state=\"%s\"", state);
	rbd_metrics_set(app->metrics, "runbookd_actions", labels, (double)n);
	if (strcmp(state, rbd_action_state_name(RBD_STATE_PENDING_APPROVAL)) == 0)
		rbd_metrics_set(app->metrics, "runbookd_pending_approvals", NULL, (double)n);
}

static void h_metrics(struct rbd_app *app, struct rbd_request *req, struct rbd_response *resp)
{
	struct rbd_store_gauges g;
	int64_t now = rbd_now_ms();

	/* Two statements whatever the number of rules or incidents: scrapes stay cheap. */
	rbd_metrics_set(app->metrics, "runbookd_pending_approvals", NULL, 0);
	rbd_store_action_state_counts(app->store, count_state, app);
	if (rbd_store_gauges(app->store, &g) == 0) {
		rbd_metrics_set(app->metrics, "runbookd_rules_tripped", NULL, (double)g.tripped_rules);
		rbd_metrics_set(app->metrics, "runbookd_incidents_open", NULL, (double)g.open_incidents);
		rbd_metrics_set(app->metrics, "runbookd_pending_approval_oldest_age_seconds", NULL,
				g.oldest_pending_ms ? (double)(now - g.oldest_pending_ms) / 1000.0 : 0);
	}
	rbd_metrics_set(app->metrics, "runbookd_paused", NULL, atomic_load(&app->paused) ? 1 : 0);
	rbd_buf_reset(&resp->body);
	rbd_metrics_render(&resp->body, app->metrics);
	rbd_procstat_render(&resp->body);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
