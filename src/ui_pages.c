/*
 * ui_pages: the console's HTML pages, rendered on the server, without script. Every
 * value read from the store (labels, annotations, names, comments, commands) goes
 * through rbd_html_put's %s; a link is only made from an http(s) URL. Forms appear
 * only for operators, each with the session's CSRF token.
 */
#include "ui_internal.h"
#include "runbookd/action_state.h"
#include "runbookd/err.h"
#include "runbookd/model.h"
#include "runbookd/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 25
#define PAGE_MAX ((size_t)8 * 1024 * 1024)
#define MAX_LIST 1000               /* actions read for one list */
#define PENDING rbd_action_state_name(RBD_STATE_PENDING_APPROVAL)

/* ---- the frame of every page ---- */

static int64_t count_pending(struct ui_req *u, int64_t incident_id)
{
	struct rbd_action_rec *v = NULL;
	size_t n = 0;

	if (rbd_store_actions(u->app->store, &v, &n, incident_id, PENDING, MAX_LIST))
		n = 0;
	for (size_t i = 0; i < n; i++)
		rbd_action_rec_clear(&v[i]);
	free(v);
	return (int64_t)n;
}

void ui_form_fields(struct ui_req *u, struct rbd_buf *b, const char *from)
{
	rbd_html_put(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		     "<input type=\"hidden\" name=\"from\" value=\"%s\">", u->se.csrf, from);
}

/* A one-button form (pause, resume, reset, sign out). */
static void button_form(struct ui_req *u, struct rbd_buf *b, const char *action,
			const char *label, const char *cls, const char *from)
{
	rbd_html_put(b, "<form class=\"inline\" method=\"post\" action=\"%s%s\">", u->p, action);
	ui_form_fields(u, b, from);
	rbd_html_put(b, "<button class=\"%s\" type=\"submit\">%s</button></form>", cls, label);
}

void ui_page_begin(struct ui_req *u, struct rbd_buf *b, const char *title, bool refresh)
{
	const char *from = u->req->path;
	bool paused = atomic_load(&u->app->paused);

	rbd_buf_init(b, PAGE_MAX);
	rbd_html_put(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		     "<title>%s - runbookd</title>"
		     "<link rel=\"stylesheet\" href=\"%s/ui/style.css\">"
		     "<link rel=\"icon\" href=\"%s/ui/favicon.svg\" type=\"image/svg+xml\">",
		     title, u->p, u->p);
	if (refresh && u->cfg->ui.refresh_ms > 0)
		rbd_html_put(b, "<meta http-equiv=\"refresh\" content=\"%L\">",
			     (u->cfg->ui.refresh_ms + 999) / 1000);
	rbd_html_put(b, "</head><body><header><a class=\"brand\" href=\"%s/ui/\">runbookd</a>", u->p);
	if (u->se.id[0]) {
		int64_t pending = count_pending(u, 0);

		rbd_html_put(b, "<nav><a href=\"%s/ui/\">Incidents</a>"
			     "<a href=\"%s/ui/approvals\">Approvals", u->p, u->p);
		if (pending)
			rbd_html_put(b, " <span class=\"count\">%L</span>", pending);
		rbd_html_put(b, "</a><a href=\"%s/ui/rules\">Rules</a></nav>", u->p);
		rbd_html_put(b, "<span class=\"who\">%s <span class=\"role\">%s</span> "
			     "<a class=\"signout\" href=\"%s/ui/logout\">Sign out</a></span>",
			     u->se.name, rbd_role_name(u->se.role), u->p);
	}
	rbd_buf_puts(b, "</header>");
	if (u->se.id[0] && paused) {
		rbd_buf_puts(b, "<div class=\"banner\" id=\"paused\"><strong>Kill switch is ON.</strong> "
			     "No action starts until an operator resumes.");
		if (ui_operator(u))
			button_form(u, b, "/ui/resume", "Resume", "go", from);
		rbd_buf_puts(b, "</div>");
	}
	if (u->se.id[0] && u->cfg->mode == RBD_MODE_DRY_RUN)
		rbd_buf_puts(b, "<div class=\"mode\">dry-run mode: nothing is executed</div>");
	if (u->flash[0])
		rbd_html_put(b, "<div class=\"flash %r\" role=\"status\">%s</div>",
			     u->flash_bad ? "bad" : "good", u->flash);
	rbd_buf_puts(b, "<main>");
	if (ui_operator(u) && !paused) {
		/* The kill switch stays one tap away on every page. */
		rbd_buf_puts(b, "<div class=\"killswitch\">");
		button_form(u, b, "/ui/pause", "Pause all actions", "stop", from);
		rbd_buf_puts(b, "</div>");
	}
}

void ui_page_message(struct ui_req *u, int status, const char *title, const char *message)
{
	struct rbd_buf b;

	u->status = status;
	ui_page_begin(u, &b, title, false);
	rbd_html_put(&b, "<h1>%s</h1><p>%s</p><p><a href=\"%s/ui/\">Back to incidents</a></p>",
		     title, message, u->p);
	ui_page_end(u, &b);
}

void ui_page_login(struct ui_req *u, const char *message, const char *pre)
{
	struct rbd_buf b;

	ui_page_begin(u, &b, "Sign in", false);
	rbd_buf_puts(&b, "<h1>Sign in</h1>");
	if (message)
		rbd_html_put(&b, "<div class=\"flash bad\" role=\"alert\">%s</div>", message);
	rbd_html_put(&b, "<form class=\"card login\" method=\"post\" action=\"%s/ui/login\">"
		     "<input type=\"hidden\" name=\"pre\" value=\"%s\">"
		     "<label for=\"token\">API token (viewer or operator)</label>"
		     "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" "
		     "required autofocus>"
		     "<button class=\"go\" type=\"submit\">Sign in</button></form>"
		     "<p class=\"hint\">The token stays on the server side: the browser only "
		     "keeps a session cookie.</p>", u->p, pre);
	ui_page_end(u, &b);
}

/* ---- pieces ---- */

/* A badge's colour: from the action state table for actions; incidents and alerts
 * have their own few words. */
static const char *state_class(const char *state)
{
	static const struct { const char *word, *cls; } other[] = {
		{ "open", "warn" }, { "resolved", "good" }, { "firing", "bad" },
	};
	const struct rbd_action_state_info *info;
	enum rbd_action_state st;

	if (rbd_action_state_parse(&st, state)) {
		info = rbd_action_state_info(st);
		if (st == RBD_STATE_PENDING_APPROVAL)
			return "warn";
		if (st == RBD_STATE_SUCCEEDED)
			return "good";
		if (info->failure || st == RBD_STATE_INTERRUPTED)
			return "bad";
		return info->terminal ? "muted" : "info";
	}
	for (size_t i = 0; state && i < sizeof(other) / sizeof(other[0]); i++)
		if (strcmp(other[i].word, state) == 0)
			return other[i].cls;
	return "muted";
}

static void badge(struct rbd_buf *b, const char *state)
{
	rbd_html_put(b, "<span class=\"badge %r\">%s</span>", state_class(state), state);
}

/* An argv as one line a person can read: elements with blanks or quotes are quoted. */
static void put_argv(struct rbd_buf *b, cJSON *argv)
{
	cJSON *el;
	bool first = true;
	struct rbd_buf line = RBD_BUF_INIT(256 * 1024);

	cJSON_ArrayForEach(el, argv) {
		const char *s = cJSON_GetStringValue(el);

		if (!s)
			continue;
		if (!first)
			rbd_buf_putc(&line, ' ');
		first = false;
		if (*s && !s[strcspn(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!")]) {
			rbd_buf_puts(&line, s);
			continue;
		}
		rbd_buf_putc(&line, '\'');
		for (; *s; s++)
			*s == '\'' ? rbd_buf_puts(&line, "'\\''") : rbd_buf_putc(&line, *s);
		rbd_buf_putc(&line, '\'');
	}
	rbd_html_put(b, "<pre class=\"cmd\"><code>%s</code></pre>", rbd_buf_cstr(&line));
	rbd_buf_free(&line);
}

static void put_request(struct rbd_buf *b, cJSON *req)
{
	const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "method"));
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "url"));
	const char *body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "body"));
	char *text;

	if (method && url) {
		rbd_html_put(b, "<pre class=\"cmd\"><code>%s %s", method, url);
		if (body)
			rbd_html_put(b, "\n\n%s", body);
		rbd_buf_puts(b, "</code></pre>");
		return;
	}
	text = cJSON_Print(req);
	rbd_html_put(b, "<pre class=\"cmd\"><code>%s</code></pre>", text ? text : "");
	free(text);
}

/* "<dt>label</dt><dd>time</dd>" */
static void dt_time(struct rbd_buf *b, const char *label, int64_t ms)
{
	rbd_html_put(b, "<dt>%r</dt><dd>", label);
	rbd_html_time(b, ms);
	rbd_buf_puts(b, "</dd>");
}

/* One action: state, exact command, gate reason, quorum, decisions, expiry, result. */
static void put_action(struct ui_req *u, struct rbd_buf *b, const struct rbd_action_rec *a,
		       bool with_incident, const char *from)
{
	cJSON *j = rbd_action_rec_json(a);
	cJSON *argv = cJSON_GetObjectItemCaseSensitive(j, "argv");
	cJSON *req = cJSON_GetObjectItemCaseSensitive(j, "request");
	struct rbd_decision *d = NULL;
	size_t nd = 0;
	int64_t expires = 0;
	int approvals = 0;
	bool pending = strcmp(a->state, PENDING) == 0;

	if (rbd_store_decisions(u->app->store, &d, &nd, &expires, a->id))
		nd = 0;
	for (size_t i = 0; i < nd; i++)
		approvals += strcmp(d[i].decision, "approve") == 0;
	rbd_html_put(b, "<article class=\"card action\" id=\"action-%L\"><div class=\"row\">"
		     "<h3>#%L %s <span class=\"muted\">&rarr; %s (%s)</span></h3>",
		     a->id, a->id, a->rule, a->action, a->kind);
	badge(b, a->state);
	rbd_buf_puts(b, "</div>");
	if (with_incident) {
		struct rbd_incident inc;
		bool found = rbd_store_incident(u->app->store, &inc, a->incident_id) == 0;

		rbd_html_put(b, "<p class=\"meta\"><a href=\"%s/ui/incidents/%L\">incident #%L %s</a> "
			     "&middot; waiting ", u->p, a->incident_id, a->incident_id,
			     found ? inc.title : "");
		rbd_html_age(b, a->created_ms, u->now_ms);
		rbd_buf_puts(b, "</p>");
		if (found)
			rbd_incident_clear(&inc);
	}
	if (cJSON_IsArray(argv))
		put_argv(b, argv);
	else if (cJSON_IsObject(req))
		put_request(b, req);
	else
		rbd_buf_puts(b, "<p class=\"muted\">no rendering (refused at planning)</p>");
	rbd_buf_puts(b, "<dl class=\"facts\">");
	if (a->reason)
		rbd_html_put(b, "<dt>Gate</dt><dd class=\"reason\">%s</dd>", a->reason);
	else if (pending)
		rbd_html_put(b, "<dt>Gate</dt><dd class=\"reason\">approval: waiting for %d more "
			     "operator approval(s)</dd>", a->approvals_needed - approvals);
	if (a->dry_run)
		rbd_buf_puts(b, "<dt>Mode</dt><dd>dry-run</dd>");
	if (a->requires_approval)
		rbd_html_put(b, "<dt>Approvals</dt><dd class=\"quorum\">%d/%d</dd>", approvals,
			     a->approvals_needed);
	if (pending && expires)
		dt_time(b, "Expires", expires);
	dt_time(b, "Planned", a->created_ms);
	if (a->started_ms)
		dt_time(b, "Started", a->started_ms);
	if (a->finished_ms)
		dt_time(b, "Finished", a->finished_ms);
	if (a->has_exit_code)
		rbd_html_put(b, "<dt>Exit code</dt><dd>%d</dd>", a->exit_code);
	if (a->term_signal)
		rbd_html_put(b, "<dt>Signal</dt><dd>%d</dd>", a->term_signal);
	if (a->result)
		rbd_html_put(b, "<dt>Result</dt><dd>%s</dd>", a->result);
	rbd_buf_puts(b, "</dl>");
	if (nd) {
		rbd_buf_puts(b, "<ul class=\"decisions\">");
		for (size_t i = 0; i < nd; i++) {
			rbd_html_put(b, "<li><strong>%s</strong> %r", d[i].operator_name,
				     strcmp(d[i].decision, "approve") == 0 ? "approved" : "rejected");
			if (d[i].comment && *d[i].comment)
				rbd_html_put(b, ": <q class=\"comment\">%s</q>", d[i].comment);
			rbd_buf_puts(b, " <span class=\"muted\">");
			rbd_html_time(b, d[i].ts_ms);
			rbd_buf_puts(b, "</span></li>");
		}
		rbd_buf_puts(b, "</ul>");
	}
	if (a->output && *a->output)
		rbd_html_put(b, "<details><summary>Output</summary><pre>%s</pre></details>", a->output);
	if (pending && ui_operator(u)) {
		rbd_html_put(b, "<form class=\"decide\" method=\"post\" action=\"%s/ui/actions/%L/approve\">",
			     u->p, a->id);
		ui_form_fields(u, b, from);
		rbd_html_put(b, "<label for=\"comment-%L\">Comment</label>"
			     "<input id=\"comment-%L\" name=\"comment\" maxlength=\"4096\" "
			     "placeholder=\"why (optional)\">"
			     "<div class=\"buttons\"><button class=\"go\" type=\"submit\">Approve</button>"
			     "<button class=\"stop\" type=\"submit\" formaction=\"%s/ui/actions/%L/reject\">"
			     "Reject</button></div></form>", a->id, a->id, u->p, a->id);
	}
	rbd_buf_puts(b, "</article>");
	rbd_decisions_free(d, nd);
	cJSON_Delete(j);
}

/* ---- incidents ---- */

/* The distinct values of one label over the alerts, comma-joined, into out. */
static void label_values(struct rbd_buf *out, struct rbd_alert_rec *al, size_t na,
			 const char *name)
{
	for (size_t i = 0; i < na && out->len < 200; i++) {
		cJSON *labels = rbd_json_parse_object(al[i].labels_json);
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, name));
		const char *at = v ? strstr(rbd_buf_cstr(out), v) : NULL;
		size_t vl = v ? strlen(v) : 0;

		/* Skip a value already listed (as a whole item). */
		while (at && !((at == rbd_buf_cstr(out) || at[-1] == ' ') &&
			       (at[vl] == ',' || at[vl] == '\0')))
			at = strstr(at + 1, v);
		if (v && *v && !at)
			rbd_buf_printf(out, "%s%s", out->len ? ", " : "", v);
		cJSON_Delete(labels);
	}
}

static void incident_row(struct ui_req *u, struct rbd_buf *b, const struct rbd_incident *inc)
{
	struct rbd_alert_rec *al = NULL;
	size_t na = 0;
	struct rbd_buf sev = RBD_BUF_INIT(4096), svc = RBD_BUF_INIT(4096);
	int64_t pending = count_pending(u, inc->id);

	if (rbd_store_alerts(u->app->store, &al, &na, inc->id) == 0) {
		label_values(&sev, al, na, "severity");
		label_values(&svc, al, na, "service");
	}
	rbd_html_put(b, "<li class=\"card incident\"><a class=\"title\" href=\"%s/ui/incidents/%L\">"
		     "#%L %s</a><div class=\"row meta\">", u->p, inc->id, inc->id, inc->title);
	badge(b, inc->status);
	if (sev.len)
		rbd_html_put(b, "<span class=\"sev\">%s</span>", rbd_buf_cstr(&sev));
	if (svc.len)
		rbd_html_put(b, "<span class=\"svc\">%s</span>", rbd_buf_cstr(&svc));
	rbd_buf_puts(b, "<span class=\"age\" title=\"opened\">");
	rbd_html_age(b, inc->opened_ms, u->now_ms);
	rbd_buf_puts(b, " ago</span>");
	if (pending)
		rbd_html_put(b, "<a class=\"badge warn\" href=\"%s/ui/incidents/%L#actions\">%L pending "
			     "approval</a>", u->p, inc->id, pending);
	rbd_buf_puts(b, "</div></li>");
	for (size_t i = 0; i < na; i++)
		rbd_alert_rec_clear(&al[i]);
	free(al);
	rbd_buf_free(&sev);
	rbd_buf_free(&svc);
}

/* Appends rows [off, off+lim) of one status to the list; returns that status' total. */
static int64_t list_status(struct ui_req *u, struct rbd_buf *b, const char *status, int64_t off,
			   int64_t lim, size_t *shown)
{
	struct rbd_incident *v = NULL;
	size_t n = 0;
	int64_t total = 0;

	if (lim <= 0)
		lim = 1;     /* still counts the total */
	if (rbd_store_incidents(u->app->store, &v, &n, &total, status, lim, off))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (*shown < PAGE_SIZE) {
			incident_row(u, b, &v[i]);
			(*shown)++;
		}
		rbd_incident_clear(&v[i]);
	}
	free(v);
	return total;
}

static int64_t page_arg(struct ui_req *u)
{
	const char *s = u->req->arg(u->req->arg_ctx, "page");
	int64_t v = 0;

	for (size_t i = 0; s && s[i] >= '0' && s[i] <= '9' && i < 9; i++)
		v = v * 10 + (s[i] - '0');
	return v > 0 ? v : 1;
}

void ui_page_incidents(struct ui_req *u)
{
	static const char *const filters[] = { "all", "open", "resolved" };
	const char *f = u->req->arg(u->req->arg_ctx, "status");
	int64_t page = page_arg(u), off = (page - 1) * PAGE_SIZE, total = 0;
	size_t shown = 0;
	struct rbd_buf b;

	if (!f || (strcmp(f, "open") != 0 && strcmp(f, "resolved") != 0))
		f = "all";
	ui_page_begin(u, &b, "Incidents", true);
	rbd_buf_puts(&b, "<div class=\"row\"><h1>Incidents</h1><nav class=\"filter\">");
	for (size_t i = 0; i < 3; i++)
		rbd_html_put(&b, "<a href=\"%s/ui/?status=%r\"%r>%r</a>", u->p, filters[i],
			     strcmp(f, filters[i]) == 0 ? " class=\"on\" aria-current=\"page\"" : "",
			     filters[i]);
	rbd_buf_puts(&b, "</nav></div><ul class=\"list\">");
	if (strcmp(f, "all") == 0) {
		/* Open ones first, then resolved: one page may straddle the two. */
		int64_t open = list_status(u, &b, "open", off, PAGE_SIZE, &shown);
		int64_t roff = off > open ? off - open : 0;

		total = open + list_status(u, &b, "resolved", roff, PAGE_SIZE - (int64_t)shown, &shown);
	} else {
		total = list_status(u, &b, f, off, PAGE_SIZE, &shown);
	}
	rbd_buf_puts(&b, "</ul>");
	if (!shown)
		rbd_buf_puts(&b, "<p class=\"empty\">No incidents here.</p>");
	rbd_html_put(&b, "<nav class=\"pages\"><span>%L incident(s)</span>", total);
	if (page > 1)
		rbd_html_put(&b, "<a href=\"%s/ui/?status=%r&amp;page=%L\">&larr; Newer</a>", u->p, f,
			     page - 1);
	if (off + PAGE_SIZE < total)
		rbd_html_put(&b, "<a href=\"%s/ui/?status=%r&amp;page=%L\">Older &rarr;</a>", u->p, f,
			     page + 1);
	rbd_buf_puts(&b, "</nav>");
	ui_page_end(u, &b);
}

/* ---- one incident ---- */

static void put_alert(struct rbd_buf *b, const struct rbd_alert_rec *al)
{
	cJSON *labels = rbd_json_parse_object(al->labels_json);
	cJSON *ann = rbd_json_parse_object(al->annotations_json);
	const char *summary = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, "summary"));
	const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, "description"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "alertname"));
	cJSON *kv;

	rbd_html_put(b, "<article class=\"card alert\"><div class=\"row\"><h3>%s</h3>",
		     name ? name : al->fingerprint);
	badge(b, al->status);
	rbd_buf_puts(b, "</div>");
	if (summary)
		rbd_html_put(b, "<p class=\"summary\">%s</p>", summary);
	if (desc)
		rbd_html_put(b, "<p class=\"description\">%s</p>", desc);
	rbd_buf_puts(b, "<p class=\"meta\">since ");
	rbd_html_time(b, al->starts_ms);
	if (al->ends_ms) {
		rbd_buf_puts(b, ", ended ");
		rbd_html_time(b, al->ends_ms);
	}
	rbd_html_put(b, " &middot; fingerprint <code>%s</code></p><ul class=\"labels\">",
		     al->fingerprint);
	cJSON_ArrayForEach(kv, labels)
		rbd_html_put(b, "<li><span class=\"k\">%s</span>=<span class=\"v\">%s</span></li>",
			     kv->string, cJSON_IsString(kv) ? kv->valuestring : "");
	rbd_buf_puts(b, "</ul><dl class=\"annotations\">");
	cJSON_ArrayForEach(kv, ann) {
		const char *v = cJSON_IsString(kv) ? kv->valuestring : "";

		if (strcmp(kv->string, "summary") == 0 || strcmp(kv->string, "description") == 0)
			continue;
		rbd_html_put(b, "<dt>%s</dt><dd>", kv->string);
		/* Only an http(s) URL becomes a link; anything else (javascript:) stays text. */
		if (strcmp(kv->string, "runbook_url") == 0 && rbd_html_url_ok(v))
			rbd_html_put(b, "<a class=\"runbook\" href=\"%s\" rel=\"noopener noreferrer\">%s</a>",
				     v, v);
		else
			rbd_html_put(b, "<span class=\"text\">%s</span>", v);
		rbd_buf_puts(b, "</dd>");
	}
	rbd_buf_puts(b, "</dl></article>");
	cJSON_Delete(labels);
	cJSON_Delete(ann);
}

/* A timeline event's detail as "key: value" pairs, strings verbatim, others as JSON. */
static void put_event(struct rbd_buf *b, const struct rbd_event *ev)
{
	cJSON *d = rbd_json_parse_object(ev->detail_json), *kv;

	rbd_buf_puts(b, "<li><span class=\"ts\">");
	rbd_html_time(b, ev->ts_ms);
	rbd_html_put(b, "</span> <span class=\"kind\">%s</span> <span class=\"actor\">%s</span>",
		     ev->kind, ev->actor);
	if (ev->action_id)
		rbd_html_put(b, " <a href=\"#action-%L\">#%L</a>", ev->action_id, ev->action_id);
	if (cJSON_GetArraySize(d) > 0) {
		rbd_buf_puts(b, "<ul class=\"detail\">");
		cJSON_ArrayForEach(kv, d) {
			char *json = cJSON_IsString(kv) ? NULL : cJSON_PrintUnformatted(kv);

			rbd_html_put(b, "<li><span class=\"k\">%s</span>: %s</li>", kv->string,
				     json ? json : kv->valuestring);
			free(json);
		}
		rbd_buf_puts(b, "</ul>");
	}
	rbd_buf_puts(b, "</li>");
	cJSON_Delete(d);
}

void ui_page_incident(struct ui_req *u, int64_t id)
{
	struct rbd_incident inc;
	struct rbd_alert_rec *al = NULL;
	struct rbd_action_rec *ac = NULL;
	struct rbd_event_iter *it = NULL;
	const struct rbd_event *ev;
	size_t na = 0, nx = 0;
	char from[64];
	struct rbd_buf b;
	int rc = rbd_store_incident(u->app->store, &inc, id);

	if (rc) {
		ui_page_message(u, rc == RBD_ENOTFOUND ? 404 : 503, "Not found",
				rc == RBD_ENOTFOUND ? "There is no such incident." : rbd_err_msg());
		return;
	}
	snprintf(from, sizeof(from), "/ui/incidents/%lld", (long long)id);
	rbd_store_alerts(u->app->store, &al, &na, id);
	rbd_store_actions(u->app->store, &ac, &nx, id, NULL, 100000);
	ui_page_begin(u, &b, inc.title, false);
	rbd_html_put(&b, "<div class=\"row\"><h1>#%L %s</h1>", inc.id, inc.title);
	badge(&b, inc.status);
	rbd_buf_puts(&b, "</div><p class=\"meta\">opened ");
	rbd_html_time(&b, inc.opened_ms);
	if (inc.resolved_ms) {
		rbd_buf_puts(&b, ", resolved ");
		rbd_html_time(&b, inc.resolved_ms);
	}
	rbd_html_put(&b, " &middot; group <code>%s</code></p>", inc.group_key);
	rbd_html_put(&b, "<p class=\"exports\">Export: "
		     "<a href=\"%s/ui/incidents/%L/export.md\">Report (Markdown)</a>"
		     "<a href=\"%s/ui/incidents/%L/export.md?lang=ko\">Report (Korean)</a>"
		     "<a href=\"%s/ui/incidents/%L/export.json\">JSON</a>"
		     "<a href=\"%s/ui/incidents/%L/export.csv\">CSV</a></p>",
		     u->p, id, u->p, id, u->p, id, u->p, id);
	rbd_html_put(&b, "<h2 id=\"actions\">Actions (%L)</h2>", (int64_t)nx);
	/* Oldest first, as they happened. */
	for (size_t i = nx; i > 0; i--)
		put_action(u, &b, &ac[i - 1], false, from);
	if (!nx)
		rbd_buf_puts(&b, "<p class=\"empty\">No rule matched these alerts.</p>");
	rbd_html_put(&b, "<h2 id=\"alerts\">Alerts (%L)</h2>", (int64_t)na);
	for (size_t i = 0; i < na; i++)
		put_alert(&b, &al[i]);
	rbd_buf_puts(&b, "<h2 id=\"timeline\">Timeline</h2><ol class=\"timeline\">");
	if (rbd_store_events_open(u->app->store, &it, &inc) == 0)
		while (rbd_store_events_next(it, &ev) > 0)
			put_event(&b, ev);
	rbd_store_events_close(it);
	rbd_buf_puts(&b, "</ol>");
	if (ui_operator(u)) {
		rbd_html_put(&b, "<form class=\"card note\" method=\"post\" action=\"%s%s/notes\">",
			     u->p, from);
		ui_form_fields(u, &b, from);
		rbd_buf_puts(&b, "<label for=\"note\">Add a note to the timeline</label>"
			     "<textarea id=\"note\" name=\"text\" rows=\"3\" maxlength=\"16384\" required>"
			     "</textarea><button class=\"go\" type=\"submit\">Add note</button></form>");
	}
	ui_page_end(u, &b);
	for (size_t i = 0; i < na; i++)
		rbd_alert_rec_clear(&al[i]);
	for (size_t i = 0; i < nx; i++)
		rbd_action_rec_clear(&ac[i]);
	free(al);
	free(ac);
	rbd_incident_clear(&inc);
}

/* ---- approvals, rules ---- */

void ui_page_approvals(struct ui_req *u)
{
	struct rbd_action_rec *v = NULL;
	size_t n = 0;
	struct rbd_buf b;

	rbd_store_actions(u->app->store, &v, &n, 0, PENDING, MAX_LIST);
	/* A viewer's page has nothing to type into, so it may reload itself. */
	ui_page_begin(u, &b, "Approvals", !ui_operator(u));
	rbd_html_put(&b, "<h1>Waiting for approval (%L)</h1>", (int64_t)n);
	/* Oldest first: the store lists newest first. */
	for (size_t i = n; i > 0; i--)
		put_action(u, &b, &v[i - 1], true, "/ui/approvals");
	if (!n)
		rbd_buf_puts(&b, "<p class=\"empty\">Nothing is waiting for a decision.</p>");
	ui_page_end(u, &b);
	for (size_t i = 0; i < n; i++)
		rbd_action_rec_clear(&v[i]);
	free(v);
}

void ui_page_rules(struct ui_req *u)
{
	const struct rbd_config *cfg = u->cfg;
	struct rbd_buf b;

	ui_page_begin(u, &b, "Rules", true);
	rbd_html_put(&b, "<h1>Rules (%L)</h1><div class=\"scroll\"><table class=\"rules\"><thead><tr>"
		     "<th>Rule</th><th>State</th><th>Runs (1h)</th><th>Failures (1h)</th>"
		     "<th>Gates</th></tr></thead><tbody>", (int64_t)cfg->n_rules);
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct rbd_rule *r = &cfg->rules[i];
		struct rbd_rule_stats st;
		bool have = rbd_store_rule_stats(u->app->store, &st, r->name, u->now_ms) == 0;

		rbd_html_put(&b, "<tr><td><strong>%s</strong><div class=\"muted\">%s</div></td>"
			     "<td data-label=\"State\">",
			     r->name, r->description ? r->description : "");
		if (have && st.tripped_at) {
			rbd_buf_puts(&b, "<span class=\"badge bad\">breaker tripped</span> ");
			rbd_html_time(&b, st.tripped_at);
			if (ui_operator(u)) {
				struct rbd_buf act = RBD_BUF_INIT(1024);

				rbd_buf_puts(&act, "/ui/rules/");
				/* A rule name is [A-Za-z0-9_.-] (rules.c): safe in a path as is. */
				rbd_buf_puts(&act, r->name);
				rbd_buf_puts(&act, "/reset");
				rbd_buf_puts(&b, "<div class=\"reset\">");
				button_form(u, &b, rbd_buf_cstr(&act), "Reset breaker", "go", "/ui/rules");
				rbd_buf_puts(&b, "</div>");
				rbd_buf_free(&act);
			}
		} else {
			rbd_buf_puts(&b, "<span class=\"badge good\">ok</span>");
		}
		rbd_html_put(&b, "</td><td data-label=\"Runs (1h)\">%d", have ? st.runs_last_hour : 0);
		if (r->max_runs_per_hour)
			rbd_html_put(&b, " / %d", r->max_runs_per_hour);
		rbd_html_put(&b, "</td><td data-label=\"Failures (1h)\">%d",
			     have ? st.failures_last_hour : 0);
		if (r->max_failures_per_hour)
			rbd_html_put(&b, " / %d", r->max_failures_per_hour);
		rbd_html_put(&b, "</td><td data-label=\"Gates\">%s &rarr; %s", r->on == RBD_ON_FIRING ? "firing" : "resolved",
			     r->action->name);
		if (r->approval)
			rbd_html_put(&b, ", approval %d", r->approvals);
		if (r->dry_run)
			rbd_buf_puts(&b, ", dry-run");
		rbd_buf_puts(&b, "</td></tr>");
	}
	rbd_buf_puts(&b, "</tbody></table></div>");
	ui_page_end(u, &b);
}
