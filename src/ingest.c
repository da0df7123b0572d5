/*
 * ingest: the write job behind POST /api/v1/alerts.
 *
 * Must never: run anything (it only plans), plan the same (rule, episode, status)
 * twice, or acknowledge before the commit (of every chunk of a large notification). Retries and repeat_interval resends of the
 * same episode change nothing but last_seen.
 */
#include "runbookd/ingest.h"
#include "runbookd/actions.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/gates.h"
#include "runbookd/log.h"
#include "runbookd/model.h"
#include "runbookd/plan.h"
#include "runbookd/timeline.h"
#include "runbookd/timeutil.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
	struct rbd_app *app;
	struct rbd_runtime *rt;
	const struct rbd_notification *n;
	int64_t now;
	struct rbd_ingest_result *res;
	/* Plans made before the job, off the writer thread: one per alert, on its own
	 * status, for the incident open when the request read it. NULL: none. */
	struct rbd_plans *pre;
	int64_t pre_incident;
	/* This write job's share of the alerts: [from, to). The first job decides the
	 * incident (id, changed); the last one resolves and records the notification. */
	size_t from, to;
	int64_t id;
	bool changed;
};

static enum rbd_rule_on on_of(const struct rbd_alert *a)
{
	return strcmp(a->status, "resolved") == 0 ? RBD_ON_RESOLVED : RBD_ON_FIRING;
}

/* Writes the plans of alert a: the ones made before the job when they were made for
 * this incident and status (the same pure function of the same inputs), else now. */
static int plan_alert(struct rbd_tx *tx, struct job *j, const struct rbd_alert *a,
		      int64_t alert_id, int64_t incident_id, enum rbd_rule_on on)
{
	size_t i = (size_t)(a - j->n->alerts);

	if (j->pre && incident_id == j->pre_incident && on == on_of(a))
		return rbd_ingest_write_plans(tx, j->res, j->rt->cfg, &j->pre[i], a, alert_id,
					      incident_id, j->now);
	return rbd_ingest_plan_alert(tx, j->res, j->rt, a, alert_id, incident_id, on, j->now);
}

static void result_add_incident(struct rbd_ingest_result *r, int64_t id)
{
	for (size_t i = 0; i < r->n_ids; i++)
		if (r->incident_ids[i] == id)
			return;
	r->incident_ids = rbd_realloc(r->incident_ids, (r->n_ids + 1) * sizeof(*r->incident_ids));
	r->incident_ids[r->n_ids++] = id;
}

static char *incident_title(const struct rbd_notification *n)
{
	const char *name = rbd_labels_get(&n->group_labels, "alertname");
	const char *summary = rbd_labels_get(&n->common_annotations, "summary");
	struct rbd_buf b = RBD_BUF_INIT(512);

	if (!name)
		name = rbd_labels_get(&n->common_labels, "alertname");
	rbd_buf_puts(&b, name ? name : "alerts");
	for (size_t i = 0; i < n->group_labels.n; i++) {
		if (strcmp(n->group_labels.kv[i].key, "alertname") == 0)
			continue;
		if (rbd_buf_printf(&b, " %s=%s", n->group_labels.kv[i].key,
				   n->group_labels.kv[i].value))
			break;
	}
	if (summary)
		rbd_buf_printf(&b, ": %s", summary);
	return rbd_buf_steal(&b);
}

static cJSON *alert_detail(const struct rbd_alert *a)
{
	cJSON *d = cJSON_CreateObject();
	char t[RBD_TIME_BUFSZ];
	char *labels = rbd_labels_to_json(&a->labels);
	const char *summary = rbd_labels_get(&a->annotations, "summary");

	cJSON_AddStringToObject(d, "fingerprint", a->fingerprint);
	rbd_time_format_ms(t, a->starts_ns / 1000000);
	cJSON_AddStringToObject(d, "starts_at", t);
	if (!a->ends_zero && a->ends_ns) {
		rbd_time_format_ms(t, a->ends_ns / 1000000);
		cJSON_AddStringToObject(d, "ends_at", t);
	}
	cJSON_AddItemToObject(d, "labels", cJSON_Parse(labels));
	if (summary)
		cJSON_AddStringToObject(d, "summary", summary);
	free(labels);
	return d;
}

static cJSON *rendered_detail(const char *rendered_json)
{
	cJSON *r = rendered_json ? cJSON_Parse(rendered_json) : NULL;

	return r ? r : cJSON_CreateNull();
}

/*
 * after: did an action of one of rule's after: rules succeed for this episode (or
 * incident)? Fills c->after_*; a dry-run plan accepts the mitigation's dry_run record.
 */
static int after_lookup(struct rbd_tx *tx, struct rbd_rule_counts *c, const struct rbd_config *cfg,
			const struct rbd_rule *rule, int64_t alert_id, int64_t incident_id)
{
	bool whole = rule->after_scope == RBD_AFTER_INCIDENT;
	bool dry = cfg->mode == RBD_MODE_DRY_RUN || rule->dry_run;
	struct rbd_buf why = RBD_BUF_INIT(4096);
	char state[32];
	int rc = 0;

	if (!rule->n_after)
		return 0;
	c->after_checked = true;
	for (size_t i = 0; i < rule->n_after && !rc && !c->after_met; i++) {
		rc = rbd_tx_after_state(tx, state, sizeof(state), rule->after[i], alert_id,
					incident_id, whole);
		if (rc)
			break;
		c->after_met = strcmp(state, "succeeded") == 0 || (dry && strcmp(state, "dry_run") == 0);
		rbd_buf_printf(&why, "%s%s: %s%s", i ? "; " : "", rule->after[i],
			       state[0] ? "action " : "no action", state);
	}
	rbd_buf_printf(&why, " in this %s; %s follows up only after it succeeded",
		       whole ? "incident" : "alert episode", rule->name);
	snprintf(c->after_seen, sizeof(c->after_seen), "%s", rbd_buf_cstr(&why));
	rbd_buf_free(&why);
	return rc;
}

int rbd_ingest_write_plans(struct rbd_tx *tx, struct rbd_ingest_result *res,
			   const struct rbd_config *cfg, const struct rbd_plans *plans,
			   const struct rbd_alert *a, int64_t alert_id, int64_t incident_id,
			   int64_t now)
{
	char reason[512];
	int rc = 0;

	for (size_t i = 0; i < plans->n && !rc; i++) {
		const struct rbd_plan *p = &plans->v[i];
		const struct rbd_rule *rule = p->rule;
		struct rbd_rule_counts counts;
		struct rbd_action_new an = { 0 };
		enum rbd_gate gate;
		int64_t id = 0;
		cJSON *det;

		memset(&counts, 0, sizeof(counts));
		if (p->needs_counts)
			rc = rbd_tx_rule_counts(tx, &counts, rule->name, p->command_key, now);
		if (!rc && p->needs_after)
			rc = after_lookup(tx, &counts, cfg, rule, alert_id, incident_id);
		if (rc)
			break;
		an = (struct rbd_action_new){
			.incident_id = incident_id, .alert_id = alert_id, .rule = rule->name,
			.on_status = plans->on, .action = rule->action->name,
			.kind = rbd_action_kind_name(rule->action->kind),
			.rendered_json = p->rendered_json, .command_key = p->command_key,
			.requires_approval = rule->approval,
			.approvals_needed = rule->approvals, .now_ms = now,
		};
		an.state = rbd_plan_decide(&gate, p, cfg,
					   p->needs_counts || p->needs_after ? &counts : NULL, now,
					   reason, sizeof(reason));
		an.dry_run = (gate == RBD_GATE_DRY_RUN);
		an.reason = (gate == RBD_GATE_PASS || gate == RBD_GATE_APPROVAL) ? NULL : reason;
		if (gate == RBD_GATE_APPROVAL)
			an.expires_at = now + cfg->limits.approval_ttl_ms;
		rc = rbd_tx_action_insert(tx, &id, &an);
		if (rc || !id)
			continue;
		if (gate == RBD_GATE_PASS)
			rbd_tx_wake(tx);
		res->planned++;
		if (gate == RBD_GATE_APPROVAL) {
			size_t np = (size_t)res->pending_approval;

			/* doubling (capacity: np rounded up to a power of two): a 10,000-alert
			 * notification must not copy the array once per pending action */
			if (np == 0 || (np & (np - 1)) == 0)
				res->pending_ids = rbd_realloc(res->pending_ids,
							       (np ? 2 * np : 1) * sizeof(int64_t));
			res->pending_ids[res->pending_approval++] = id;
		}
		det = cJSON_CreateObject();
		cJSON_AddStringToObject(det, "rule", rule->name);
		cJSON_AddStringToObject(det, "fingerprint", a->fingerprint);
		cJSON_AddStringToObject(det, "on", plans->on);
		rc = rbd_timeline_add(tx, incident_id, RBD_EVENT_RULE_MATCHED, "runbookd", id, det);
		det = cJSON_CreateObject();
		cJSON_AddStringToObject(det, "rule", rule->name);
		cJSON_AddStringToObject(det, "action", rule->action->name);
		cJSON_AddItemToObject(det, "rendered", rendered_detail(p->rendered_json));
		cJSON_AddStringToObject(det, "state", rbd_action_state_name(an.state));
		if (!rc)
			rc = rbd_timeline_add(tx, incident_id, RBD_EVENT_ACTION_PLANNED, "runbookd",
					      id, det);
		else
			cJSON_Delete(det);
		if (!rc && an.state != RBD_STATE_PLANNED) {
			det = cJSON_CreateObject();
			cJSON_AddStringToObject(det, "gate", rbd_gate_name(gate));
			if (reason[0])
				cJSON_AddStringToObject(det, "reason", reason);
			rc = rbd_timeline_add(tx, incident_id, rbd_action_state_info(an.state)->event,
					      "runbookd", id, det);
			if (!rc && an.state == RBD_STATE_SKIPPED) {
				char ids[24];

				snprintf(ids, sizeof(ids), "%lld", (long long)id);
				rbd_log_warn("action skipped", "action_id", ids, "rule", rule->name,
					     "gate", rbd_gate_name(gate), "reason", reason);
			}
		}
	}
	return rc;
}

int rbd_ingest_plan_alert(struct rbd_tx *tx, struct rbd_ingest_result *res,
			  const struct rbd_runtime *rt, const struct rbd_alert *a, int64_t alert_id,
			  int64_t incident_id, enum rbd_rule_on on, int64_t now)
{
	struct rbd_plans plans;
	int rc;

	rbd_plan_alert(&plans, rt, a, on, incident_id, now);
	rc = rbd_ingest_write_plans(tx, res, rt->cfg, &plans, a, alert_id, incident_id, now);
	rbd_plans_clear(&plans);
	return rc;
}

int rbd_ingest_cancel_waiting(struct rbd_tx *tx, int64_t alert_id, int64_t incident_id,
			      int64_t now)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = rbd_tx_actions_cancel_for_alert(tx, &ids, &n, alert_id, now);

	for (size_t i = 0; !rc && i < n; i++) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "reason", "the alert resolved before it ran");
		rc = rbd_timeline_add(tx, incident_id, RBD_EVENT_ACTION_CANCELLED, "runbookd", ids[i], d);
	}
	free(ids);
	return rc;
}

/* Does this notification change anything stored? (Retries and resends do not.) */
static int notification_changes(struct rbd_tx *tx, struct job *j, int64_t open_id, bool *out)
{
	const struct rbd_notification *n = j->n;

	bool firing_group = !open_id && strcmp(n->status, "firing") == 0;

	*out = open_id && strcmp(n->status, "resolved") == 0;
	for (size_t i = 0; i < n->n_alerts && !*out; i++) {
		struct rbd_episode ep;
		int rc = rbd_tx_episode_find(tx, &ep, n->alerts[i].fingerprint, n->alerts[i].starts_ns);
		bool stored_firing = ep.existed && strcmp(ep.status, "firing") == 0;

		if (rc)
			return rc;
		/* New episode; an episode resolving; or a group with no open incident
		 * carrying an alert that still fires (the same alert routed to us under a
		 * second groupKey). A late retry after the group resolved changes nothing. */
		if (!ep.existed ||
		    (stored_firing && strcmp(n->alerts[i].status, "resolved") == 0) ||
		    (stored_firing && firing_group))
			*out = true;
	}
	return 0;
}

static int open_or_find_incident(struct rbd_tx *tx, struct job *j, int64_t *id)
{
	const struct rbd_notification *n = j->n;
	char *title, *gl;
	cJSON *d;
	int rc = rbd_tx_open_incident(tx, id, n->group_key);

	if (rc || *id)
		return rc;
	if (strcmp(n->status, "resolved") == 0) {
		/* Resolution of an incident we already closed (or a restart in between). */
		rc = rbd_tx_latest_incident(tx, id, n->group_key);
		if (rc || *id)
			return rc;
	}
	title = incident_title(n);
	gl = rbd_labels_to_json(&n->group_labels);
	rc = rbd_tx_incident_create(tx, id, n->group_key, title, n->receiver, gl, j->now);
	if (!rc) {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "title", title);
		cJSON_AddStringToObject(d, "group_key", n->group_key);
		cJSON_AddItemToObject(d, "group_labels", cJSON_Parse(gl));
		rc = rbd_timeline_add(tx, *id, RBD_EVENT_INCIDENT_OPENED, "runbookd", 0, d);
	}
	free(title);
	free(gl);
	return rc;
}

static int ingest_alert(struct rbd_tx *tx, struct job *j, const struct rbd_alert *a,
			int64_t incident_id)
{
	bool resolved = strcmp(a->status, "resolved") == 0;
	int64_t ends_ms = a->ends_zero ? 0 : a->ends_ns / 1000000;
	char *labels = rbd_labels_to_json(&a->labels);
	char *ann = rbd_labels_to_json(&a->annotations);
	struct rbd_episode ep;
	int rc;

	rc = rbd_tx_episode_upsert(tx, &ep, incident_id, a->fingerprint, a->starts_ns,
				   resolved ? ends_ms : 0, a->status, labels, ann, a->generator_url,
				   j->now);
	free(labels);
	free(ann);
	if (rc)
		return rc;
	if (!ep.existed) {
		result_add_incident(j->res, ep.incident_id);
		j->res->new_episodes++;
		rc = rbd_timeline_add(tx, ep.incident_id,
				      resolved ? RBD_EVENT_ALERT_RESOLVED : RBD_EVENT_ALERT_FIRING,
				      "alertmanager", 0, alert_detail(a));
		if (!rc)
			rc = plan_alert(tx, j, a, ep.id, ep.incident_id,
					resolved ? RBD_ON_RESOLVED : RBD_ON_FIRING);
		return rc;
	}
	if (resolved && strcmp(ep.status, "firing") == 0) {
		result_add_incident(j->res, ep.incident_id);
		rc = rbd_tx_episode_resolve(tx, ep.id, ends_ms, j->now);
		if (!rc)
			rc = rbd_timeline_add(tx, ep.incident_id, RBD_EVENT_ALERT_RESOLVED,
					      "alertmanager", 0, alert_detail(a));
		if (!rc)
			rc = rbd_ingest_cancel_waiting(tx, ep.id, ep.incident_id, j->now);
		if (!rc)
			rc = plan_alert(tx, j, a, ep.id, ep.incident_id, RBD_ON_RESOLVED);
	}
	return rc;
}

/* The group resolved: alerts we never heard resolve (truncated groups) resolve too. */
static int resolve_incident(struct rbd_tx *tx, struct job *j, int64_t id)
{
	int64_t *firing = NULL;
	size_t n = 0;
	int rc = rbd_tx_firing_alerts(tx, &firing, &n, id);

	for (size_t i = 0; !rc && i < n; i++) {
		rc = rbd_tx_episode_resolve(tx, firing[i], 0, j->now);
		if (!rc)
			rc = rbd_ingest_cancel_waiting(tx, firing[i], id, j->now);
	}
	free(firing);
	if (!rc)
		rc = rbd_tx_incident_resolve(tx, id, j->now);
	if (!rc)
		rc = rbd_timeline_add(tx, id, RBD_EVENT_INCIDENT_RESOLVED, "alertmanager", 0, NULL);
	if (!rc)
		rbd_ingest_result_add_resolved(j->res, id);
	return rc;
}

/* A later chunk of a firing notification: the incident may have been resolved by
 * another delivery since the first chunk committed; its alerts then go where a new
 * notification's would (the group's open incident, or a new one). */
static int chunk_incident(struct rbd_tx *tx, struct job *j)
{
	int64_t open_id = 0;
	int rc;

	if (!j->changed || strcmp(j->n->status, "firing") != 0)
		return 0;
	rc = rbd_tx_open_incident(tx, &open_id, j->n->group_key);
	if (rc || open_id == j->id)
		return rc;
	rc = open_or_find_incident(tx, j, &j->id);
	if (!rc && j->id)
		result_add_incident(j->res, j->id);
	return rc;
}

static int ingest_job(struct rbd_tx *tx, void *arg)
{
	struct job *j = arg;
	const struct rbd_notification *n = j->n;
	int64_t open_id = 0, id = 0;
	bool changed = false, last = j->to == n->n_alerts;
	cJSON *d;
	int rc = 0;

	if (j->from == 0) {
		rc = rbd_tx_open_incident(tx, &open_id, n->group_key);
		if (!rc)
			rc = notification_changes(tx, j, open_id, &changed);
		if (!rc && changed)
			rc = open_or_find_incident(tx, j, &id);
		else if (!rc)
			id = open_id;
		if (!rc && !id)
			rc = rbd_tx_latest_incident(tx, &id, n->group_key);
		if (rc)
			return rc;
		if (id)
			result_add_incident(j->res, id);
		if (changed && id) {
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "status", n->status);
			cJSON_AddStringToObject(d, "receiver", n->receiver);
			cJSON_AddNumberToObject(d, "alerts", (double)n->n_alerts);
			cJSON_AddNumberToObject(d, "truncated_alerts", (double)n->truncated_alerts);
			rc = rbd_timeline_add(tx, id, RBD_EVENT_NOTIFICATION_RECEIVED, "alertmanager",
					      0, d);
		}
		j->id = id;
		j->changed = changed;
	} else {
		rc = chunk_incident(tx, j);
		id = j->id;
		changed = j->changed;
	}
	for (size_t i = j->from; !rc && i < j->to && id; i++)
		rc = ingest_alert(tx, j, &n->alerts[i], id);
	if (!last)
		return rc;
	if (!rc && id && changed && strcmp(n->status, "resolved") == 0) {
		int64_t still_open = 0;

		rc = rbd_tx_open_incident(tx, &still_open, n->group_key);
		if (!rc && still_open == id)
			rc = resolve_incident(tx, j, id);
	}
	if (!rc)
		rc = rbd_tx_notification_add(tx, id, j->now, n->group_key, n->status, n->receiver,
					     (int)n->n_alerts, n->truncated_alerts, changed);
	return rc;
}

/*
 * A notification of more than RBD_INGEST_CHUNK alerts is written as several write
 * jobs of at most that many alerts, one after the other: each commits on its own, so a
 * small delivery queued meanwhile rides the next commit instead of waiting for all
 * 10,000 alerts (fair), and no transaction grows without bound (the WAL neither). The
 * answer still comes after the last one committed. A failure part-way answers 503:
 * Alertmanager resends the whole notification, and what was committed dedups
 * (episodes by (fingerprint, startsAt), actions by (rule, episode, status)).
 */
int rbd_ingest(struct rbd_ingest_result *out, struct rbd_app *app,
	       const struct rbd_notification *n)
{
	struct job j = { .app = app, .n = n, .res = out };
	int rc = 0;

	memset(out, 0, sizeof(*out));
	j.rt = rbd_app_runtime(app);
	j.now = rbd_now_ms();
	out->accepted = (int)n->n_alerts;
	/* Rendering is the costly part of planning: when the group has an open incident
	 * (its id feeds the templates), plan here, on the request's thread, and leave the
	 * writer only the counters, gates and inserts. A failed read plans in the job. */
	if (n->n_alerts && rbd_store_open_incident(app->store, &j.pre_incident, n->group_key) == 0 &&
	    j.pre_incident) {
		j.pre = rbd_calloc(n->n_alerts, sizeof(*j.pre));
		for (size_t i = 0; i < n->n_alerts; i++)
			rbd_plan_alert(&j.pre[i], j.rt, &n->alerts[i], on_of(&n->alerts[i]),
				       j.pre_incident, j.now);
	}
	do {
		j.to = n->n_alerts - j.from > RBD_INGEST_CHUNK ? j.from + RBD_INGEST_CHUNK
							       : n->n_alerts;
		rc = rbd_store_write(app->store, ingest_job, &j);
		j.from = j.to;
	} while (!rc && j.from < n->n_alerts);
	for (size_t i = 0; j.pre && i < n->n_alerts; i++)
		rbd_plans_clear(&j.pre[i]);
	free(j.pre);
	if (rc) {
		int keep = rc;

		rbd_ingest_result_clear(out);
		rc = keep;
	}
	rbd_runtime_release(j.rt);
	return rc;
}

void rbd_ingest_result_add_resolved(struct rbd_ingest_result *r, int64_t incident_id)
{
	r->resolved_ids = rbd_realloc(r->resolved_ids, (r->n_resolved + 1) * sizeof(int64_t));
	r->resolved_ids[r->n_resolved++] = incident_id;
}

void rbd_ingest_result_clear(struct rbd_ingest_result *r)
{
	free(r->incident_ids);
	free(r->pending_ids);
	free(r->resolved_ids);
	memset(r, 0, sizeof(*r));
}
