/*
 * model: the records runbookd stores and serves (incident, alert, action, event),
 * as read back from the store, and their JSON shapes from SPEC.md (INCIDENT, ALERT,
 * ACTION, EVENT). Timestamps are ms since epoch, 0 meaning null. Pure.
 */
#ifndef RUNBOOKD_MODEL_H
#define RUNBOOKD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

struct rbd_incident {
	int64_t id;
	char *status;               /* "open" | "resolved" */
	char *group_key;
	char *title;
	int64_t opened_ms;
	int64_t resolved_ms;        /* 0: null */
};

struct rbd_alert_rec {
	int64_t id;
	int64_t incident_id;
	char *fingerprint;
	int64_t starts_ms;
	int64_t ends_ms;            /* 0: null (still firing) */
	char *status;               /* "firing" | "resolved" */
	char *labels_json;          /* JSON object text */
	char *annotations_json;     /* JSON object text */
	int64_t first_seen_ms;
	int64_t last_seen_ms;
};

struct rbd_action_rec {
	int64_t id;
	int64_t incident_id;
	int64_t alert_id;
	char *rule;
	char *action;
	char *kind;                 /* "run" | "http" | "silence" */
	char *state;
	char *rendered_json;        /* rbd_rendered_to_json() text; NULL when refused */
	bool dry_run;
	bool requires_approval;
	int approvals_needed;
	char *decided_by;           /* comma-separated operators when a quorum; NULL */
	char *reason;               /* NULL */
	bool has_exit_code;
	int exit_code;
	int term_signal;
	char *output;               /* captured output excerpt; NULL */
	char *result;               /* http status / silence id etc.; NULL */
	int64_t created_ms;
	int64_t started_ms;         /* 0: null */
	int64_t finished_ms;        /* 0: null */
	int64_t expires_ms;         /* approval deadline; 0: null */
	int approvals_given;        /* distinct operators who approved */
	char *comment;              /* the latest decision comment; NULL */
};

struct rbd_event {
	int64_t id;
	int64_t incident_id;
	int64_t ts_ms;
	char *kind;
	char *actor;
	int64_t action_id;          /* 0: null */
	char *detail_json;          /* JSON object text */
};

/* Release the members (not the struct); accept zeroed structs. */
void rbd_incident_clear(struct rbd_incident *x);
void rbd_alert_rec_clear(struct rbd_alert_rec *x);
void rbd_action_rec_clear(struct rbd_action_rec *x);
void rbd_event_clear(struct rbd_event *x);

/*
 * SPEC's JSON shapes: new cJSON objects owned by the caller. Text is scrubbed to
 * valid UTF-8, a NULL string becomes null, a 0 time becomes null.
 * ALERT: labels and annotations parsed from their JSON text ({} when invalid).
 * ACTION: SPEC's fields in SPEC's order (argv: the run rendering's argv, null for
 * other kinds or a missing or corrupt rendering), then "kind", "request" (http:
 * method, url, body, timeout_ms; silence: matchers, duration_ms; null for run),
 * "signal" when non-zero, "output" and "result" when set.
 * EVENT: detail parsed from detail_json ({} when invalid), action_id null when 0.
 */
cJSON *rbd_incident_json(const struct rbd_incident *x);
cJSON *rbd_alert_rec_json(const struct rbd_alert_rec *x);
cJSON *rbd_action_rec_json(const struct rbd_action_rec *x);
cJSON *rbd_event_json(const struct rbd_event *x);

/* Adds "name": "2026-11-25T07:55:47.033Z", or null when ms == 0. */
void rbd_json_add_time(cJSON *obj, const char *name, int64_t ms);
/* Adds "name": s with ill-formed UTF-8 replaced by U+FFFD, or null when s is NULL. */
void rbd_json_add_text(cJSON *obj, const char *name, const char *s);
/*
 * Parses stored JSON text that should hold an object (labels, annotations, detail,
 * a rendering). Ill-formed UTF-8 is replaced by U+FFFD first. Returns a new object
 * owned by the caller; an empty object when text is NULL, unparsable or not an object.
 */
cJSON *rbd_json_parse_object(const char *text);

struct rbd_rule;
struct rbd_rule_stats;
struct rbd_labelset;
/* RULE: a loaded rule as GET /api/v1/rules lists it; with st (may be NULL) its
 * breaker and counters. */
cJSON *rbd_rule_json(const struct rbd_rule *r, const struct rbd_rule_stats *st);
/* Labels as a compact JSON object (caller frees). */
char *rbd_labels_to_json(const struct rbd_labelset *ls);
/* A stored labels/annotations object back into a label set (invalid JSON: empty). */
void rbd_labels_from_json(struct rbd_labelset *out, const char *json);

#endif
