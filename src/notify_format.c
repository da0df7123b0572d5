/*
 * notify_format: notification bodies (json and slack). Pure: no I/O, no store, no
 * config beyond what the caller passes. Must never write a token (the curl commands
 * name $RUNBOOKD_TOKEN) or a link on a wildcard address (the caller gives the link
 * base, or none).
 */
#include "runbookd/notify_format.h"
#include "runbookd/buf.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slack refuses a section text over 3000 characters and a header over 150. */
#define SECTION_MAX 2900
#define HEADER_MAX 140

static const struct {
	unsigned bit;
	const char *kind;
	const char *verb;       /* how the text says it */
} kinds[] = {
	{ RBD_NEV_PENDING_APPROVAL,  "action.pending_approval", "waits for approval" },
	{ RBD_NEV_APPROVED,          "action.approved",         "was approved" },
	{ RBD_NEV_REJECTED,          "action.rejected",         "was rejected" },
	{ RBD_NEV_EXPIRED,           "action.expired",          "expired without a decision" },
	{ RBD_NEV_SUCCEEDED,         "action.succeeded",        "succeeded" },
	{ RBD_NEV_FAILED,            "action.failed",           "failed" },
	{ RBD_NEV_TIMED_OUT,         "action.timed_out",        "timed out" },
	{ RBD_NEV_CANCELLED,         "action.cancelled",        "was cancelled" },
	{ RBD_NEV_INTERRUPTED,       "action.interrupted",      "was interrupted" },
	{ RBD_NEV_SKIPPED,           "action.skipped",          "was skipped" },
	{ RBD_NEV_DRY_RUN,           "action.dry_run",          "was recorded (dry run)" },
	{ RBD_NEV_BREAKER_TRIPPED,   "rule.tripped",            "tripped its circuit breaker" },
	{ RBD_NEV_INCIDENT_RESOLVED, "incident.resolved",       "resolved" },
};

static size_t kind_index(unsigned bit)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].bit == bit)
			return i;
	return 0;
}

const char *rbd_notice_kind(const struct rbd_notice *n)
{
	return kinds[kind_index(n->event)].kind;
}

char *rbd_notice_command(const struct rbd_action_rec *a)
{
	struct rbd_buf b = RBD_BUF_INIT(64 * 1024);
	cJSON *r = a && a->rendered_json ? cJSON_Parse(a->rendered_json) : NULL;
	cJSON *argv = cJSON_GetObjectItemCaseSensitive(r, "argv"), *it;

	if (cJSON_IsArray(argv)) {
		cJSON_ArrayForEach(it, argv)
			if (cJSON_IsString(it) && rbd_buf_printf(&b, "%s%s", b.len ? " " : "",
								 it->valuestring))
				break;
	} else if (r) {
		cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
		cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "url");

		if (cJSON_IsString(m) && cJSON_IsString(u))
			rbd_buf_printf(&b, "%s %s", m->valuestring, u->valuestring);
		else
			rbd_buf_puts(&b, "an Alertmanager silence");
	} else {
		rbd_buf_puts(&b, "(nothing: refused when planned)");
	}
	cJSON_Delete(r);
	if (!b.data)
		rbd_buf_puts(&b, "");
	return rbd_buf_steal(&b);
}

/* base is "" when there is none: the command then names $RUNBOOKD_URL. */
static void curl_cmd(struct rbd_buf *b, const char *base, int64_t id, const char *verb)
{
	rbd_buf_printf(b, "curl -X POST -H \"Authorization: Bearer $RUNBOOKD_TOKEN\" "
		       "%s/api/v1/actions/%lld/%s", base[0] ? base : "$RUNBOOKD_URL",
		       (long long)id, verb);
}

static const char *base_of(const struct rbd_notice *n)
{
	return n->link_base ? n->link_base : "";
}

static int64_t incident_id_of(const struct rbd_notice *n)
{
	if (n->incident)
		return n->incident->id;
	return n->action ? n->action->incident_id : 0;
}

static void escape(struct rbd_buf *b, const char *s, size_t max, int mode);

/* A value in the summary line: as is for json, escaped for Slack's mrkdwn. */
static void val(struct rbd_buf *b, const char *s, bool slack, bool code)
{
	if (slack)
		escape(b, s ? s : "", SECTION_MAX / 2, code ? 2 : 1);
	else
		rbd_buf_puts(b, s ? s : "");
}

/* One line a human reads; also the fallback text (and notification preview) of the
 * slack body, where every value is escaped: an alert's title cannot mention @channel. */
static void summary_line(struct rbd_buf *b, const struct rbd_notice *n, const char *cmd,
			 bool slack)
{
	size_t k = kind_index(n->event);
	int64_t inc = incident_id_of(n);

	if (n->event == RBD_NEV_INCIDENT_RESOLVED) {
		rbd_buf_printf(b, "runbookd: incident #%lld ", (long long)inc);
		val(b, n->incident ? n->incident->title : "", slack, false);
		rbd_buf_printf(b, " resolved after %zu action%s", n->n_actions,
			       n->n_actions == 1 ? "" : "s");
	} else if (n->event == RBD_NEV_BREAKER_TRIPPED) {
		rbd_buf_puts(b, "runbookd: rule ");
		val(b, n->rule ? n->rule : "?", slack, false);
		rbd_buf_printf(b, " tripped its circuit breaker (incident #%lld); its plans are "
			       "skipped until an operator resets it", (long long)inc);
	} else if (n->event == RBD_NEV_PENDING_APPROVAL) {
		rbd_buf_puts(b, "runbookd: rule ");
		val(b, n->action->rule, slack, false);
		rbd_buf_puts(b, " wants to run `");
		val(b, cmd, slack, true);
		rbd_buf_printf(b, "` for incident #%lld", (long long)inc);
	} else {
		rbd_buf_printf(b, "runbookd: action %lld (rule ", (long long)n->action->id);
		val(b, n->action->rule, slack, false);
		rbd_buf_puts(b, ", `");
		val(b, cmd, slack, true);
		rbd_buf_printf(b, "`) for incident #%lld %s", (long long)inc, kinds[k].verb);
		if (n->action->reason) {
			rbd_buf_puts(b, ": ");
			val(b, n->action->reason, slack, false);
		}
	}
}

static void add_links(cJSON *o, const struct rbd_notice *n)
{
	const char *base = base_of(n);
	char url[1024];
	cJSON *l;

	if (!base[0])
		return;
	l = cJSON_AddObjectToObject(o, "links");
	/* People open these in a browser: the console's pages (the API needs a bearer
	 * header a browser cannot send); incident_api is for programs. */
	snprintf(url, sizeof(url), "%s/ui/incidents/%lld", base, (long long)incident_id_of(n));
	cJSON_AddStringToObject(l, "incident", url);
	snprintf(url, sizeof(url), "%s/ui/incidents/%lld/export.md", base,
		 (long long)incident_id_of(n));
	cJSON_AddStringToObject(l, "report", url);
	snprintf(url, sizeof(url), "%s/ui/approvals", base);
	cJSON_AddStringToObject(l, "approvals", url);
	snprintf(url, sizeof(url), "%s/api/v1/incidents/%lld", base, (long long)incident_id_of(n));
	cJSON_AddStringToObject(l, "incident_api", url);
}

char *rbd_notice_json(const struct rbd_notice *n)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	struct rbd_buf text = RBD_BUF_INIT(256 * 1024);
	char *cmd = n->action ? rbd_notice_command(n->action) : NULL, *out;

	cJSON_AddStringToObject(o, "kind", rbd_notice_kind(n));
	cJSON_AddNumberToObject(o, "incident_id", (double)incident_id_of(n));
	if (n->incident)
		cJSON_AddItemToObject(o, "incident", rbd_incident_json(n->incident));
	if (n->action)
		cJSON_AddItemToObject(o, "action", rbd_action_rec_json(n->action));
	if (n->rule)
		cJSON_AddStringToObject(o, "rule", n->rule);
	if (n->event == RBD_NEV_INCIDENT_RESOLVED) {
		arr = cJSON_AddArrayToObject(o, "actions");
		for (size_t i = 0; i < n->n_actions; i++)
			cJSON_AddItemToArray(arr, rbd_action_rec_json(&n->actions[i]));
	}
	if (n->event == RBD_NEV_PENDING_APPROVAL && n->action) {
		struct rbd_buf c = RBD_BUF_INIT(4096);

		curl_cmd(&c, base_of(n), n->action->id, "approve");
		cJSON_AddStringToObject(o, "approve", rbd_buf_cstr(&c));
		rbd_buf_reset(&c);
		curl_cmd(&c, base_of(n), n->action->id, "reject");
		cJSON_AddStringToObject(o, "reject", rbd_buf_cstr(&c));
		rbd_buf_free(&c);
	}
	add_links(o, n);
	summary_line(&text, n, cmd, false);
	if (n->event == RBD_NEV_PENDING_APPROVAL && n->action) {
		rbd_buf_puts(&text, ". Approve: ");
		curl_cmd(&text, base_of(n), n->action->id, "approve");
	}
	cJSON_AddStringToObject(o, "text", rbd_buf_cstr(&text));
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	rbd_buf_free(&text);
	free(cmd);
	return out;
}

enum esc { ESC_PLAIN, ESC_TEXT, ESC_CODE };   /* 0, 1, 2 for the declaration above */

/* Slack mrkdwn: &, < and > are control characters; a backtick would end a code span.
 * plain_text takes the characters as they are. At most max bytes, then "…". */
static void escape(struct rbd_buf *b, const char *s, size_t max, int mode)
{
	size_t start = b->len;
	bool in_code = mode == ESC_CODE;

	for (; *s && b->len - start < max; s++) {
		if (mode == ESC_PLAIN) {
			rbd_buf_putc(b, *s);
			continue;
		}
		switch (*s) {
		case '&': rbd_buf_puts(b, "&amp;"); break;
		case '<': rbd_buf_puts(b, "&lt;"); break;
		case '>': rbd_buf_puts(b, "&gt;"); break;
		case '`': rbd_buf_putc(b, in_code ? '\'' : '`'); break;
		default: rbd_buf_putc(b, *s);
		}
	}
	if (*s) {
		/* Cut on a character boundary. */
		while (b->len > start && ((unsigned char)b->data[b->len - 1] & 0xC0) == 0x80)
			b->len--;
		if (b->len > start && (unsigned char)b->data[b->len - 1] >= 0xC0)
			b->len--;
		b->data[b->len] = '\0';
		rbd_buf_puts(b, "…");
	}
}

static void mrkdwn(struct rbd_buf *b, const char *s, size_t max, bool in_code)
{
	escape(b, s, max, in_code ? ESC_CODE : ESC_TEXT);
}

static cJSON *section(const char *mrk)
{
	cJSON *s = cJSON_CreateObject(), *t;

	cJSON_AddStringToObject(s, "type", "section");
	t = cJSON_AddObjectToObject(s, "text");
	cJSON_AddStringToObject(t, "type", "mrkdwn");
	cJSON_AddStringToObject(t, "text", mrk);
	return s;
}

static void gate_text(struct rbd_buf *b, const struct rbd_notice *n)
{
	const struct rbd_action_rec *a = n->action;

	if (n->event == RBD_NEV_PENDING_APPROVAL)
		rbd_buf_printf(b, "approval: %d operator%s must approve", a->approvals_needed,
			       a->approvals_needed == 1 ? "" : "s");
	else if (a->reason)
		mrkdwn(b, a->reason, 500, false);
	else if (a->dry_run)
		rbd_buf_puts(b, "dry-run");
	else
		rbd_buf_puts(b, a->requires_approval ? "approval" : "none");
}

char *rbd_notice_slack(const struct rbd_notice *n)
{
	cJSON *o = cJSON_CreateObject(), *blocks, *h, *ht;
	struct rbd_buf t = RBD_BUF_INIT(256 * 1024), m = RBD_BUF_INIT(64 * 1024);
	char *cmd = n->action ? rbd_notice_command(n->action) : NULL, *out;
	const char *base = base_of(n);
	const char *title = n->incident && n->incident->title ? n->incident->title : "";
	int64_t inc = incident_id_of(n);

	summary_line(&t, n, cmd ? cmd : "", true);
	if (base[0])
		rbd_buf_printf(&t, " %s/ui/incidents/%lld", base, (long long)inc);
	/* Mattermost shows only the text: it carries the command to approve as well. */
	if (n->event == RBD_NEV_PENDING_APPROVAL && n->action) {
		rbd_buf_puts(&t, "\nApprove: `");
		curl_cmd(&t, base, n->action->id, "approve");
		rbd_buf_puts(&t, "`");
	}
	cJSON_AddStringToObject(o, "text", rbd_buf_cstr(&t));
	blocks = cJSON_AddArrayToObject(o, "blocks");

	h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "type", "header");
	ht = cJSON_AddObjectToObject(h, "text");
	cJSON_AddStringToObject(ht, "type", "plain_text");
	rbd_buf_reset(&t);
	rbd_buf_printf(&t, "Incident #%lld: ", (long long)inc);
	escape(&t, title, HEADER_MAX, ESC_TEXT);
	cJSON_AddStringToObject(ht, "text", rbd_buf_cstr(&t));
	cJSON_AddItemToArray(blocks, h);

	rbd_buf_reset(&m);
	if (n->event == RBD_NEV_BREAKER_TRIPPED) {
		rbd_buf_puts(&m, "*Circuit breaker tripped:* rule `");
		mrkdwn(&m, n->rule ? n->rule : "?", 200, true);
		rbd_buf_puts(&m, "` keeps failing; its plans are skipped until an operator resets it.");
		cJSON_AddItemToArray(blocks, section(rbd_buf_cstr(&m)));
	} else if (n->event == RBD_NEV_INCIDENT_RESOLVED) {
		rbd_buf_printf(&m, "*Resolved.* Actions taken:");
		for (size_t i = 0; i < n->n_actions; i++) {
			char *c = rbd_notice_command(&n->actions[i]);

			rbd_buf_printf(&m, "\n• #%lld `", (long long)n->actions[i].id);
			mrkdwn(&m, c, 300, true);
			rbd_buf_printf(&m, "`: %s", n->actions[i].state);
			free(c);
		}
		cJSON_AddItemToArray(blocks, section(rbd_buf_cstr(&m)));
	}
	if (n->action) {
		const struct rbd_action_rec *a = n->action;

		rbd_buf_reset(&m);
		rbd_buf_printf(&m, "*Action #%lld %s* (rule `", (long long)a->id,
			       kinds[kind_index(n->event)].verb);
		mrkdwn(&m, a->rule, 200, true);
		rbd_buf_puts(&m, "`)\n```");
		mrkdwn(&m, cmd, SECTION_MAX / 2, true);
		rbd_buf_puts(&m, "```");
		cJSON_AddItemToArray(blocks, section(rbd_buf_cstr(&m)));

		rbd_buf_reset(&m);
		rbd_buf_puts(&m, "*Gate:* ");
		gate_text(&m, n);
		rbd_buf_puts(&m, "\n*Decided by:* ");
		mrkdwn(&m, a->decided_by ? a->decided_by : "nobody yet", 500, false);
		if (a->result) {
			rbd_buf_puts(&m, "\n*Result:* ");
			mrkdwn(&m, a->result, 300, false);
		}
		cJSON_AddItemToArray(blocks, section(rbd_buf_cstr(&m)));
	}
	if (base[0]) {
		rbd_buf_reset(&m);
		rbd_buf_printf(&m, "<%s/ui/incidents/%lld|Incident #%lld> · "
			       "<%s/ui/incidents/%lld/export.md|Report> · "
			       "<%s/ui/approvals|Pending approvals>",
			       base, (long long)inc, (long long)inc, base, (long long)inc, base);
		cJSON_AddItemToArray(blocks, section(rbd_buf_cstr(&m)));
	}
	if (n->event == RBD_NEV_PENDING_APPROVAL && n->action) {
		rbd_buf_reset(&m);
		rbd_buf_puts(&m, "Approve (reject: same with `/reject`):\n```");
		curl_cmd(&m, base, n->action->id, "approve");
		rbd_buf_puts(&m, "```");
		cJSON_AddItemToArray(blocks, section(rbd_buf_cstr(&m)));
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	rbd_buf_free(&t);
	rbd_buf_free(&m);
	free(cmd);
	return out;
}
