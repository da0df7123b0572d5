/*
 * model: the stored records (incident, alert, action, event) and their JSON shapes
 * from SPEC.md. Pure: no I/O. It must never emit invalid JSON, whatever the store
 * holds: text that is not UTF-8 is scrubbed, stored JSON that does not parse becomes
 * {} (or null for a rendering), and a NULL string becomes null.
 */
#include "runbookd/model.h"
#include "runbookd/buf.h"
#include "runbookd/config.h"
#include "runbookd/labels.h"
#include "runbookd/matcher.h"
#include "runbookd/store.h"
#include "runbookd/timeutil.h"
#include "runbookd/utf8.h"

#include <stdlib.h>
#include <string.h>

void rbd_incident_clear(struct rbd_incident *x)
{
	if (!x)
		return;
	free(x->status);
	free(x->group_key);
	free(x->title);
	memset(x, 0, sizeof(*x));
}

void rbd_alert_rec_clear(struct rbd_alert_rec *x)
{
	if (!x)
		return;
	free(x->fingerprint);
	free(x->status);
	free(x->labels_json);
	free(x->annotations_json);
	memset(x, 0, sizeof(*x));
}

void rbd_action_rec_clear(struct rbd_action_rec *x)
{
	if (!x)
		return;
	free(x->rule);
	free(x->action);
	free(x->kind);
	free(x->state);
	free(x->rendered_json);
	free(x->decided_by);
	free(x->reason);
	free(x->output);
	free(x->result);
	free(x->comment);
	memset(x, 0, sizeof(*x));
}

void rbd_event_clear(struct rbd_event *x)
{
	if (!x)
		return;
	free(x->kind);
	free(x->actor);
	free(x->detail_json);
	memset(x, 0, sizeof(*x));
}

void rbd_json_add_time(cJSON *obj, const char *name, int64_t ms)
{
	char ts[RBD_TIME_BUFSZ];

	if (ms == 0) {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	rbd_time_format_ms(ts, ms);
	cJSON_AddStringToObject(obj, name, ts);
}

void rbd_json_add_text(cJSON *obj, const char *name, const char *s)
{
	size_t n;
	char *fixed;

	if (!s) {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	n = strlen(s);
	if (rbd_utf8_valid(s, n)) {
		cJSON_AddStringToObject(obj, name, s);
		return;
	}
	fixed = rbd_utf8_scrub(s, n);
	cJSON_AddStringToObject(obj, name, fixed);
	free(fixed);
}

/* Parses text as JSON of any type; NULL when it does not parse. */
static cJSON *parse_any(const char *text)
{
	size_t n;
	char *fixed;
	cJSON *j;

	if (!text)
		return NULL;
	n = strlen(text);
	/* Bytes outside ASCII can only sit inside strings, so scrubbing the text fixes
	 * the strings without touching the structure. */
	if (rbd_utf8_valid(text, n))
		return cJSON_ParseWithLength(text, n);
	fixed = rbd_utf8_scrub(text, n);
	j = cJSON_Parse(fixed);
	free(fixed);
	return j;
}

cJSON *rbd_json_parse_object(const char *text)
{
	cJSON *j = parse_any(text);

	if (cJSON_IsObject(j))
		return j;
	cJSON_Delete(j);
	return cJSON_CreateObject();
}

static void add_id(cJSON *obj, const char *name, int64_t id)
{
	if (id == 0)
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddNumberToObject(obj, name, (double)id);
}

cJSON *rbd_incident_json(const struct rbd_incident *x)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)x->id);
	rbd_json_add_text(o, "status", x->status);
	rbd_json_add_text(o, "group_key", x->group_key);
	rbd_json_add_text(o, "title", x->title);
	rbd_json_add_time(o, "opened_at", x->opened_ms);
	rbd_json_add_time(o, "resolved_at", x->resolved_ms);
	return o;
}

cJSON *rbd_alert_rec_json(const struct rbd_alert_rec *x)
{
	cJSON *o = cJSON_CreateObject();

	rbd_json_add_text(o, "fingerprint", x->fingerprint);
	rbd_json_add_time(o, "starts_at", x->starts_ms);
	rbd_json_add_time(o, "ends_at", x->ends_ms);
	rbd_json_add_text(o, "status", x->status);
	cJSON_AddItemToObject(o, "labels", rbd_json_parse_object(x->labels_json));
	cJSON_AddItemToObject(o, "annotations", rbd_json_parse_object(x->annotations_json));
	return o;
}

/* The run rendering's argv as a new array of strings, or NULL when it is not one. */
static cJSON *argv_copy(const cJSON *rendered)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(rendered, "argv");
	const cJSON *el;

	if (!cJSON_IsArray(argv))
		return NULL;
	cJSON_ArrayForEach(el, argv) {
		if (!cJSON_IsString(el))
			return NULL;
	}
	return cJSON_Duplicate(argv, 1);
}

cJSON *rbd_action_rec_json(const struct rbd_action_rec *x)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *rendered = parse_any(x->rendered_json);
	cJSON *argv = NULL, *request = NULL, *approvals;
	const char *kind = x->kind;

	if (!cJSON_IsObject(rendered)) {
		cJSON_Delete(rendered);
		rendered = NULL;
	}
	if (!kind && rendered)
		kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rendered, "kind"));
	if (rendered && kind && strcmp(kind, "run") == 0) {
		argv = argv_copy(rendered);
	} else if (rendered && kind) {
		/* http: method, url, body; silence: matchers, duration_ms (and timeout_ms) */
		cJSON_DeleteItemFromObjectCaseSensitive(rendered, "kind");
		request = rendered;
		rendered = NULL;
	}

	cJSON_AddNumberToObject(o, "id", (double)x->id);
	cJSON_AddNumberToObject(o, "incident_id", (double)x->incident_id);
	rbd_json_add_text(o, "rule", x->rule);
	rbd_json_add_text(o, "action", x->action);
	rbd_json_add_text(o, "state", x->state);
	cJSON_AddItemToObject(o, "argv", argv ? argv : cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "dry_run", x->dry_run);
	cJSON_AddBoolToObject(o, "requires_approval", x->requires_approval);
	rbd_json_add_text(o, "decided_by", x->decided_by);
	rbd_json_add_text(o, "reason", x->reason);
	if (x->has_exit_code)
		cJSON_AddNumberToObject(o, "exit_code", x->exit_code);
	else
		cJSON_AddNullToObject(o, "exit_code");
	rbd_json_add_time(o, "created_at", x->created_ms);
	rbd_json_add_time(o, "started_at", x->started_ms);
	rbd_json_add_time(o, "finished_at", x->finished_ms);
	/* beyond SPEC's shape */
	rbd_json_add_time(o, "expires_at", x->expires_ms);
	approvals = cJSON_AddObjectToObject(o, "approvals");
	cJSON_AddNumberToObject(approvals, "given", x->approvals_given);
	cJSON_AddNumberToObject(approvals, "needed", x->requires_approval ? x->approvals_needed : 0);
	rbd_json_add_text(o, "comment", x->comment);
	rbd_json_add_text(o, "kind", kind);
	cJSON_AddItemToObject(o, "request", request ? request : cJSON_CreateNull());
	if (x->term_signal)
		cJSON_AddNumberToObject(o, "signal", x->term_signal);
	if (x->output)
		rbd_json_add_text(o, "output", x->output);
	if (x->result)
		rbd_json_add_text(o, "result", x->result);
	cJSON_Delete(rendered);
	return o;
}

cJSON *rbd_event_json(const struct rbd_event *x)
{
	cJSON *o = cJSON_CreateObject();

	rbd_json_add_time(o, "ts", x->ts_ms);
	rbd_json_add_text(o, "kind", x->kind);
	rbd_json_add_text(o, "actor", x->actor);
	add_id(o, "action_id", x->action_id);
	cJSON_AddItemToObject(o, "detail", rbd_json_parse_object(x->detail_json));
	return o;
}

cJSON *rbd_rule_json(const struct rbd_rule *r, const struct rbd_rule_stats *st)
{
	cJSON *o = cJSON_CreateObject(), *m;

	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "description", r->description ? r->description : "");
	m = cJSON_AddArrayToObject(o, "matchers");
	for (size_t i = 0; i < r->n_matchers; i++)
		cJSON_AddItemToArray(m, cJSON_CreateString(rbd_matcher_string(r->matchers[i])));
	cJSON_AddStringToObject(o, "on", r->on == RBD_ON_FIRING ? "firing" : "resolved");
	cJSON_AddStringToObject(o, "action", r->action->name);
	cJSON_AddBoolToObject(o, "approval", r->approval);
	cJSON_AddNumberToObject(o, "approvals", r->approvals);
	cJSON_AddBoolToObject(o, "dry_run", r->dry_run);
	cJSON_AddNumberToObject(o, "cooldown_seconds", (double)r->cooldown_ms / 1000.0);
	cJSON_AddNumberToObject(o, "max_runs_per_hour", r->max_runs_per_hour);
	cJSON_AddNumberToObject(o, "max_failures_per_hour", r->max_failures_per_hour);
	cJSON_AddStringToObject(o, "file", r->file ? r->file : "");
	cJSON_AddNumberToObject(o, "line", r->line);
	if (st) {
		cJSON_AddBoolToObject(o, "tripped", st->tripped_at != 0);
		rbd_json_add_time(o, "tripped_at", st->tripped_at);
		cJSON_AddNumberToObject(o, "runs_last_hour", st->runs_last_hour);
		cJSON_AddNumberToObject(o, "failures_last_hour", st->failures_last_hour);
	}
	return o;
}

char *rbd_labels_to_json(const struct rbd_labelset *ls)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	for (size_t i = 0; i < ls->n; i++)
		cJSON_AddStringToObject(o, ls->kv[i].key, ls->kv[i].value);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		abort();
	return s;
}

void rbd_labels_from_json(struct rbd_labelset *out, const char *json)
{
	cJSON *o = json ? cJSON_Parse(json) : NULL, *it;

	memset(out, 0, sizeof(*out));
	cJSON_ArrayForEach(it, o)
		if (cJSON_IsString(it) && it->string)
			rbd_labels_set(out, it->string, it->valuestring);
	cJSON_Delete(o);
}
