/*
 * ops: operator operations. Must never approve anything but the exact stored
 * rendering, count one operator twice toward a quorum, or move an action out of a
 * state it is not in (every transition is conditional on the current state).
 */
#include "runbookd/ops.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/notify.h"
#include "runbookd/timeline.h"
#include "runbookd/timeutil.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct expired {
	int64_t *ids;          /* the actions this job expired (to notify after COMMIT) */
	size_t n;
};

static int expire_due(struct rbd_tx *tx, int64_t now, struct expired *out)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = rbd_tx_expired_approvals(tx, &ids, &n, now);

	for (size_t i = 0; !rc && i < n; i++) {
		cJSON *d = cJSON_CreateObject();

		rc = rbd_tx_action_transition(tx, ids[i], RBD_STATE_PENDING_APPROVAL, RBD_STATE_EXPIRED,
					      "no decision within approval_ttl", now);
		cJSON_AddStringToObject(d, "reason", "no decision within approval_ttl");
		if (!rc)
			rc = rbd_timeline_add(tx, rbd_tx_incident_of_action(tx, ids[i]),
					      RBD_EVENT_ACTION_EXPIRED, "runbookd", ids[i], d);
		else
			cJSON_Delete(d);
	}
	if (out && !rc) {
		/* A job can run again after a rollback: only the last run's list counts. */
		free(out->ids);
		out->ids = ids;
		out->n = n;
	} else {
		free(ids);
	}
	return rc;
}

static int expire_job(struct rbd_tx *tx, void *arg)
{
	return expire_due(tx, rbd_now_ms(), arg);
}

int rbd_ops_expire(struct rbd_app *app)
{
	struct expired ex = { NULL, 0 };
	int rc = rbd_store_write(app->store, expire_job, &ex);

	for (size_t i = 0; !rc && i < ex.n; i++) {
		char id[24];

		snprintf(id, sizeof(id), "%lld", (long long)ex.ids[i]);
		rbd_log_warn("approval expired", "action_id", id);
		rbd_notify_action(app, ex.ids[i], rbd_event_kind_name(RBD_EVENT_ACTION_EXPIRED));
	}
	free(ex.ids);
	return rc;
}

struct decide {
	int64_t id;
	const char *who;
	bool approve;
	const char *comment;
	int conflict;          /* set when the answer is 409 after committing the expiry */
	char msg[160];
	enum rbd_event_kind kind;  /* the event recorded, notified after COMMIT */
};

static int decide_job(struct rbd_tx *tx, void *arg)
{
	struct decide *d = arg;
	struct rbd_action_rec a;
	int64_t now = rbd_now_ms();
	enum rbd_event_kind kind = RBD_EVENT_KIND_COUNT;   /* none */
	int approvals = 0, rc;
	cJSON *det;

	rc = expire_due(tx, now, NULL);
	if (!rc)
		rc = rbd_tx_action_get(tx, &a, d->id);
	if (rc)
		return rc;
	if (strcmp(a.state, rbd_action_state_name(RBD_STATE_PENDING_APPROVAL)) != 0) {
		d->conflict = 1;
		snprintf(d->msg, sizeof(d->msg), "action %lld is %s, not pending_approval",
			 (long long)d->id, a.state);
		rbd_action_rec_clear(&a);
		return 0;
	}
	rc = rbd_tx_approval_add(tx, &approvals, d->id, d->who, d->approve ? "approve" : "reject",
				 d->comment, now);
	if (rc == RBD_ECONFLICT) {
		d->conflict = 1;
		snprintf(d->msg, sizeof(d->msg), "%s already decided on action %lld", d->who,
			 (long long)d->id);
		rbd_action_rec_clear(&a);
		return 0;
	}
	det = cJSON_CreateObject();
	cJSON_AddStringToObject(det, "by", d->who);
	if (d->comment)
		cJSON_AddStringToObject(det, "comment", d->comment);
	if (!rc && !d->approve) {
		rc = rbd_tx_action_transition(tx, d->id, RBD_STATE_PENDING_APPROVAL,
					      RBD_STATE_REJECTED, NULL, now);
		if (!rc)
			rc = rbd_tx_action_set_decided_by(tx, d->id, d->who);
		kind = RBD_EVENT_ACTION_REJECTED;
	} else if (!rc && approvals < a.approvals_needed) {
		cJSON_AddNumberToObject(det, "approvals", approvals);
		cJSON_AddNumberToObject(det, "needed", a.approvals_needed);
		kind = RBD_EVENT_ACTION_APPROVAL_RECORDED;
	} else if (!rc) {
		rc = rbd_tx_action_transition(tx, d->id, RBD_STATE_PENDING_APPROVAL,
					      RBD_STATE_APPROVED, NULL, now);
		if (!rc)
			rc = rbd_tx_approvers(tx, d->id);
		rbd_tx_wake(tx);
		cJSON_AddNumberToObject(det, "approvals", approvals);
		kind = RBD_EVENT_ACTION_APPROVED;
	}
	/* rbd_timeline_add consumes det; on an error path it is freed here instead. */
	d->kind = kind;
	if (!rc && kind != RBD_EVENT_KIND_COUNT)
		rc = rbd_timeline_add(tx, a.incident_id, kind, d->who, d->id, det);
	else
		cJSON_Delete(det);
	rbd_action_rec_clear(&a);
	return rc;
}

int rbd_ops_decide(struct rbd_app *app, int64_t id, const char *who, bool approve,
		   const char *comment)
{
	struct decide d = { .id = id, .who = who, .approve = approve, .comment = comment,
			    .kind = RBD_EVENT_KIND_COUNT };
	int rc = rbd_store_write(app->store, decide_job, &d);

	if (rc)
		return rc;
	if (d.conflict)
		return rbd_err_set(RBD_ECONFLICT, "%s", d.msg);
	if (d.kind != RBD_EVENT_KIND_COUNT)
		rbd_notify_action(app, id, rbd_event_kind_name(d.kind));
	return 0;
}

struct note {
	int64_t incident_id;
	const char *who;
	const char *text;
	const char *section;   /* NULL: a plain note */
};

static int note_job(struct rbd_tx *tx, void *arg)
{
	struct note *n = arg;
	bool exists = false;
	cJSON *d;
	int rc = rbd_tx_incident_exists(tx, &exists, n->incident_id);

	if (rc)
		return rc;
	if (!exists)
		return rbd_err_set(RBD_ENOTFOUND, "no incident %lld", (long long)n->incident_id);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "text", n->text);
	if (n->section)
		cJSON_AddStringToObject(d, "section", n->section);
	return rbd_timeline_add(tx, n->incident_id, RBD_EVENT_NOTE_ADDED, n->who, 0, d);
}

int rbd_ops_note_in(struct rbd_app *app, int64_t incident_id, const char *who, const char *text,
		    const char *section)
{
	static const char *const sections[] = { "impact", "action", "next" };
	struct note n = { incident_id, who, text, NULL };

	for (size_t i = 0; section && i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(section, sections[i]) == 0)
			n.section = sections[i];
	if (section && !n.section)
		return rbd_err_set(RBD_EINVAL, "section must be impact, action or next");
	return rbd_store_write(app->store, note_job, &n);
}

int rbd_ops_note(struct rbd_app *app, int64_t incident_id, const char *who, const char *text)
{
	return rbd_ops_note_in(app, incident_id, who, text, NULL);
}

struct pause {
	const char *who;
	bool paused;
	const char *comment;
	int64_t now;
};

static int pause_job(struct rbd_tx *tx, void *arg)
{
	struct pause *p = arg;
	cJSON *d = cJSON_CreateObject();
	char since[32];
	int rc = rbd_tx_setting_set(tx, "paused", p->paused ? "1" : "0");

	/* GET /api/v1/pause: since when the switch is in this state, and who set it. */
	snprintf(since, sizeof(since), "%lld", (long long)p->now);
	if (!rc)
		rc = rbd_tx_setting_set(tx, "paused_since", since);
	if (!rc)
		rc = rbd_tx_setting_set(tx, "paused_by", p->who);
	cJSON_AddBoolToObject(d, "paused", p->paused);
	if (p->comment)
		cJSON_AddStringToObject(d, "comment", p->comment);
	if (!p->paused)
		rbd_tx_wake(tx);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return rbd_timeline_add(tx, 0, p->paused ? RBD_EVENT_SYSTEM_PAUSED : RBD_EVENT_SYSTEM_RESUMED,
				p->who, 0, d);
}

int rbd_ops_pause(struct rbd_app *app, const char *who, bool paused)
{
	return rbd_ops_pause_comment(app, who, paused, NULL);
}

int rbd_ops_pause_comment(struct rbd_app *app, const char *who, bool paused, const char *comment)
{
	struct pause p = { who, paused, comment, rbd_now_ms() };
	int rc = rbd_store_write(app->store, pause_job, &p);

	if (!rc) {
		atomic_store(&app->paused, paused);
		rbd_metrics_set(app->metrics, "runbookd_paused", NULL, paused ? 1 : 0);
		rbd_log_warn(paused ? "kill switch on: nothing will start" : "kill switch off",
			     "by", who, "comment", comment ? comment : "");
	}
	return rc;
}

struct reset {
	const char *rule;
	const char *who;
};

static int reset_job(struct rbd_tx *tx, void *arg)
{
	struct reset *r = arg;
	cJSON *d = cJSON_CreateObject();
	int rc = rbd_tx_rule_reset(tx, r->rule, r->who, rbd_now_ms());

	cJSON_AddStringToObject(d, "rule", r->rule);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return rbd_timeline_add(tx, 0, RBD_EVENT_RULE_RESET, r->who, 0, d);
}

int rbd_ops_reset_rule(struct rbd_app *app, const char *rule, const char *who)
{
	struct rbd_runtime *rt = rbd_app_runtime(app);
	struct reset r = { rule, who };
	int rc;

	if (!rbd_config_rule(rt->cfg, rule))
		rc = rbd_err_set(RBD_ENOTFOUND, "no rule named %s", rule);
	else
		rc = rbd_store_write(app->store, reset_job, &r);
	rbd_runtime_release(rt);
	return rc;
}
