/*
 * store_tx: the operations a write job performs inside the writer's transaction.
 * Must never be called outside a job (they use the writer connection unlocked).
 */
#include "store_internal.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/timeutil.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define TX_STMT(st, tx, id) \
	sqlite3_stmt *st = stmt((tx)->c, id); \
	if (!st) \
		return RBD_EUNAVAIL

int rbd_tx_event(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor,
		 int64_t action_id, const char *detail_json)
{
	TX_STMT(st, tx, ST_EVENT_ADD);
	bind_ms(st, 1, incident_id);
	sqlite3_bind_int64(st, 2, rbd_now_ms());
	bind_text(st, 3, kind);
	bind_text(st, 4, actor);
	bind_ms(st, 5, action_id);
	bind_text(st, 6, detail_json ? detail_json : "{}");
	return step_done(tx->c, st, "add event");
}

int rbd_tx_open_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	TX_STMT(st, tx, ST_INC_OPEN);
	bind_text(st, 1, group_key);
	return step_int(tx->c, st, out_id, "find open incident");
}

int rbd_tx_latest_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	TX_STMT(st, tx, ST_INC_LATEST);
	bind_text(st, 1, group_key);
	return step_int(tx->c, st, out_id, "find incident");
}

int rbd_tx_incident_create(struct rbd_tx *tx, int64_t *out_id, const char *group_key,
			   const char *title, const char *receiver, const char *group_labels_json,
			   int64_t now_ms)
{
	int rc;

	TX_STMT(st, tx, ST_INC_CREATE);
	bind_text(st, 1, group_key);
	bind_text(st, 2, title);
	bind_text(st, 3, receiver ? receiver : "");
	bind_text(st, 4, group_labels_json ? group_labels_json : "{}");
	sqlite3_bind_int64(st, 5, now_ms);
	rc = step_done(tx->c, st, "create incident");
	*out_id = rc ? 0 : sqlite3_last_insert_rowid(tx->c->db);
	return rc;
}

int rbd_tx_incident_resolve(struct rbd_tx *tx, int64_t id, int64_t now_ms)
{
	TX_STMT(st, tx, ST_INC_RESOLVE);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	return step_done(tx->c, st, "resolve incident");
}

int rbd_tx_incident_all_resolved(struct rbd_tx *tx, bool *out, int64_t id)
{
	int64_t firing;
	int rc;

	TX_STMT(st, tx, ST_INC_UNRESOLVED);
	sqlite3_bind_int64(st, 1, id);
	rc = step_int(tx->c, st, &firing, "count firing");
	*out = (firing == 0);
	return rc;
}

int rbd_tx_notification_add(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms,
			    const char *group_key, const char *status, const char *receiver,
			    int n_alerts, int64_t truncated, bool changed)
{
	TX_STMT(st, tx, ST_NOTIF_ADD);
	bind_ms(st, 1, incident_id);
	sqlite3_bind_int64(st, 2, now_ms);
	bind_text(st, 3, group_key);
	bind_text(st, 4, status);
	bind_text(st, 5, receiver ? receiver : "");
	sqlite3_bind_int(st, 6, n_alerts);
	sqlite3_bind_int64(st, 7, truncated);
	sqlite3_bind_int(st, 8, changed);
	return step_done(tx->c, st, "add notification");
}

int rbd_tx_episode_find(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint,
			int64_t starts_ns)
{
	int rc;

	memset(out, 0, sizeof(*out));
	TX_STMT(get, tx, ST_EP_GET);
	bind_text(get, 1, fingerprint);
	sqlite3_bind_int64(get, 2, starts_ns);
	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW) {
		out->existed = true;
		out->id = sqlite3_column_int64(get, 0);
		out->incident_id = sqlite3_column_int64(get, 1);
		snprintf(out->status, sizeof(out->status), "%s",
			 (const char *)sqlite3_column_text(get, 2));
	}
	sqlite3_reset(get);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : db_error(tx->c->db, rc, "find alert");
}

int rbd_tx_episode_upsert(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id,
			  const char *fingerprint, int64_t starts_ns, int64_t ends_ms,
			  const char *status, const char *labels_json, const char *annotations_json,
			  const char *generator_url, int64_t now_ms)
{
	sqlite3_stmt *ins;
	int rc = rbd_tx_episode_find(tx, out, fingerprint, starts_ns);

	if (rc)
		return rc;
	if (out->existed) {
		TX_STMT(touch, tx, ST_EP_TOUCH);
		sqlite3_bind_int64(touch, 1, out->id);
		sqlite3_bind_int64(touch, 2, now_ms);
		return step_done(tx->c, touch, "touch alert");
	}
	ins = stmt(tx->c, ST_EP_INSERT);
	if (!ins)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(ins, 1, incident_id);
	bind_text(ins, 2, fingerprint);
	sqlite3_bind_int64(ins, 3, starts_ns);
	sqlite3_bind_int64(ins, 4, starts_ns / 1000000);
	bind_ms(ins, 5, ends_ms);
	bind_text(ins, 6, status);
	bind_text(ins, 7, labels_json);
	bind_text(ins, 8, annotations_json);
	bind_text(ins, 9, generator_url ? generator_url : "");
	sqlite3_bind_int64(ins, 10, now_ms);
	rc = step_done(tx->c, ins, "insert alert");
	if (rc)
		return rc;
	out->id = sqlite3_last_insert_rowid(tx->c->db);
	out->incident_id = incident_id;
	snprintf(out->status, sizeof(out->status), "%s", status);
	return 0;
}

int rbd_tx_episode_resolve(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms)
{
	TX_STMT(st, tx, ST_EP_RESOLVE);
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int64(st, 2, ends_ms ? ends_ms : now_ms);
	sqlite3_bind_int64(st, 3, now_ms);
	return step_done(tx->c, st, "resolve alert");
}

void rbd_tx_wake(struct rbd_tx *tx)
{
	tx->job->wake = 1;
}

int rbd_tx_changes(struct rbd_tx *tx)
{
	return sqlite3_changes(tx->c->db);
}

int rbd_tx_firing_alerts(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id)
{
	TX_STMT(st, tx, ST_EP_FIRING);
	sqlite3_bind_int64(st, 1, incident_id);
	return step_ids(tx->c, st, out, out_n);
}

int rbd_tx_action_insert(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a)
{
	int rc;

	TX_STMT(st, tx, ST_ACT_INSERT);
	sqlite3_bind_int64(st, 1, a->incident_id);
	sqlite3_bind_int64(st, 2, a->alert_id);
	bind_text(st, 3, a->rule);
	bind_text(st, 4, a->on_status);
	bind_text(st, 5, a->action);
	bind_text(st, 6, a->kind);
	if (!rbd_action_state_info(a->state))
		return rbd_err_set(RBD_EINVAL, "unknown action state %d", (int)a->state);
	bind_text(st, 7, rbd_action_state_name(a->state));
	bind_text(st, 8, a->rendered_json);
	bind_text(st, 9, a->command_key);
	sqlite3_bind_int(st, 10, a->dry_run);
	sqlite3_bind_int(st, 11, a->requires_approval);
	sqlite3_bind_int(st, 12, a->approvals_needed > 0 ? a->approvals_needed : 1);
	bind_text(st, 13, a->reason);
	sqlite3_bind_int64(st, 14, a->now_ms);
	bind_ms(st, 15, a->expires_at);
	rc = step_done(tx->c, st, "insert action");
	*out_id = (!rc && sqlite3_changes(tx->c->db) == 1) ? sqlite3_last_insert_rowid(tx->c->db) : 0;
	return rc;
}

void rbd_store_bind_states(sqlite3_stmt *st, int first, int slots, size_t flag)
{
	int i = 0;

	for (unsigned s = 0; s < RBD_STATE_COUNT; s++) {
		const struct rbd_action_state_info *info = rbd_action_state_info(s);

		if (*(const bool *)((const char *)info + flag) && i < slots)
			bind_text(st, first + i++, info->name);
	}
	for (; i < slots; i++)
		sqlite3_bind_null(st, first + i);
}

static int check_transition(int64_t id, enum rbd_action_state from, enum rbd_action_state to)
{
	if (!rbd_action_state_can(from, to))
		return rbd_err_set(RBD_EINVAL, "action %lld: %s -> %s is not a legal transition",
				   (long long)id, rbd_action_state_name(from),
				   rbd_action_state_name(to));
	return 0;
}

int rbd_tx_action_transition(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
			     enum rbd_action_state to, const char *reason, int64_t now_ms)
{
	int rc = check_transition(id, from, to);

	if (rc)
		return rc;
	TX_STMT(st, tx, ST_ACT_TRANSITION);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, rbd_action_state_name(from));
	bind_text(st, 3, rbd_action_state_name(to));
	bind_text(st, 4, reason);
	sqlite3_bind_int(st, 5, rbd_action_state_info(to)->terminal);
	sqlite3_bind_int64(st, 6, now_ms);
	rc = step_done(tx->c, st, "action transition");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id,
				   rbd_action_state_name(from));
	return rc;
}

int rbd_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n,
				    int64_t alert_id, int64_t now_ms)
{
	struct waiting { int64_t id; enum rbd_action_state state; } *w = NULL;
	int64_t *ids;
	size_t n = 0;
	int rc, step;

	*out = NULL;
	*out_n = 0;
	TX_STMT(st, tx, ST_ACT_CANCEL_SELECT);
	sqlite3_bind_int64(st, 1, alert_id);
	rbd_store_bind_states(st, 2, 4, offsetof(struct rbd_action_state_info, waiting));
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		w = rbd_realloc(w, (n + 1) * sizeof(*w));
		w[n].id = sqlite3_column_int64(st, 0);
		if (!rbd_action_state_parse(&w[n].state, (const char *)sqlite3_column_text(st, 1)))
			continue;
		n++;
	}
	sqlite3_reset(st);
	rc = step == SQLITE_DONE ? 0 : db_error(tx->c->db, step, "waiting actions");
	for (size_t i = 0; !rc && i < n; i++)
		rc = rbd_tx_action_transition(tx, w[i].id, w[i].state, RBD_STATE_CANCELLED,
					      "the alert resolved", now_ms);
	if (rc) {
		free(w);
		return rc;
	}
	ids = rbd_calloc(n + 1, sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = w[i].id;
	free(w);
	*out = ids;
	*out_n = n;
	return 0;
}

char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? rbd_strdup((const char *)t) : NULL;
}

void read_action(sqlite3_stmt *st, struct rbd_action_rec *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->incident_id = sqlite3_column_int64(st, 1);
	a->alert_id = sqlite3_column_int64(st, 2);
	a->rule = col_text(st, 3);
	a->action = col_text(st, 4);
	a->kind = col_text(st, 5);
	a->state = col_text(st, 6);
	a->rendered_json = col_text(st, 7);
	a->dry_run = sqlite3_column_int(st, 8);
	a->requires_approval = sqlite3_column_int(st, 9);
	a->approvals_needed = sqlite3_column_int(st, 10);
	a->decided_by = col_text(st, 11);
	a->reason = col_text(st, 12);
	a->has_exit_code = sqlite3_column_type(st, 13) != SQLITE_NULL;
	a->exit_code = sqlite3_column_int(st, 13);
	a->term_signal = sqlite3_column_int(st, 14);
	a->output = col_text(st, 15);
	a->result = col_text(st, 16);
	a->created_ms = sqlite3_column_int64(st, 17);
	a->started_ms = sqlite3_column_int64(st, 18);
	a->finished_ms = sqlite3_column_int64(st, 19);
}

int get_action(struct conn *c, struct rbd_action_rec *out, int64_t id)
{
	sqlite3_stmt *st = stmt(c, ST_ACT_GET);
	int rc;

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_action(st, out);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return rbd_err_set(RBD_ENOTFOUND, "no action %lld", (long long)id);
	return db_error(c->db, rc, "get action");
}

int rbd_tx_action_get(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id)
{
	return get_action(tx->c, out, id);
}

int rbd_tx_approval_add(struct rbd_tx *tx, int *out_approvals, int64_t action_id,
			const char *operator_name, const char *decision, const char *comment,
			int64_t now_ms)
{
	int rc;

	TX_STMT(st, tx, ST_APPROVAL_ADD);
	sqlite3_bind_int64(st, 1, action_id);
	bind_text(st, 2, operator_name);
	bind_text(st, 3, decision);
	bind_text(st, 4, comment);
	sqlite3_bind_int64(st, 5, now_ms);
	rc = step_done(tx->c, st, "add approval");
	if (rc)
		return rc;
	if (sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "%s already decided on action %lld", operator_name,
				   (long long)action_id);
	TX_STMT(cnt, tx, ST_APPROVAL_COUNT);
	sqlite3_bind_int64(cnt, 1, action_id);
	if (sqlite3_step(cnt) == SQLITE_ROW)
		*out_approvals = sqlite3_column_int(cnt, 0);
	sqlite3_reset(cnt);
	return 0;
}

int rbd_tx_action_set_decided_by(struct rbd_tx *tx, int64_t id, const char *who)
{
	TX_STMT(st, tx, ST_ACT_DECIDED_BY);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, who);
	return step_done(tx->c, st, "set decided_by");
}

int rbd_tx_approvers(struct rbd_tx *tx, int64_t id)
{
	char *who = NULL;
	int rc;

	TX_STMT(cnt, tx, ST_APPROVAL_COUNT);
	sqlite3_bind_int64(cnt, 1, id);
	if (sqlite3_step(cnt) == SQLITE_ROW)
		who = col_text(cnt, 1);
	sqlite3_reset(cnt);
	rc = rbd_tx_action_set_decided_by(tx, id, who);
	free(who);
	return rc;
}

int rbd_tx_incident_exists(struct rbd_tx *tx, bool *out, int64_t id)
{
	int64_t n = 0;
	int rc;

	TX_STMT(st, tx, ST_INC_EXISTS);
	sqlite3_bind_int64(st, 1, id);
	rc = step_int(tx->c, st, &n, "incident exists");
	*out = n > 0;
	return rc;
}

int rbd_tx_action_start(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
			int64_t now_ms)
{
	int rc = check_transition(id, from, RBD_STATE_RUNNING);

	if (rc)
		return rc;
	TX_STMT(st, tx, ST_ACT_START);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, rbd_action_state_name(from));
	sqlite3_bind_int64(st, 3, now_ms);
	bind_text(st, 4, rbd_action_state_name(RBD_STATE_RUNNING));
	rc = step_done(tx->c, st, "start action");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id,
				   rbd_action_state_name(from));
	return rc;
}

int rbd_tx_action_finish(struct rbd_tx *tx, int64_t id, enum rbd_action_state state, bool has_exit,
			 int exit_code, int term_signal, const char *output, const char *result,
			 const char *reason, int64_t now_ms)
{
	int rc = check_transition(id, RBD_STATE_RUNNING, state);

	if (rc)
		return rc;
	TX_STMT(st, tx, ST_ACT_FINISH);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, rbd_action_state_name(state));
	if (has_exit)
		sqlite3_bind_int(st, 3, exit_code);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, term_signal);
	bind_text(st, 5, output);
	bind_text(st, 6, result);
	bind_text(st, 7, reason);
	sqlite3_bind_int64(st, 8, now_ms);
	bind_text(st, 9, rbd_action_state_name(RBD_STATE_RUNNING));
	rc = step_done(tx->c, st, "finish action");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not running", (long long)id);
	return rc;
}

static int rule_state(struct conn *c, const char *rule, int64_t *tripped, int64_t *reset)
{
	sqlite3_stmt *st = stmt(c, ST_RULE_STATE);
	int rc;

	*tripped = *reset = 0;
	if (!st)
		return RBD_EUNAVAIL;
	bind_text(st, 1, rule);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*tripped = sqlite3_column_int64(st, 0);
		*reset = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : db_error(c->db, rc, "rule state");
}

int rule_counts(struct conn *c, struct rbd_rule_counts *out, const char *rule,
		       const char *key, int64_t now_ms)
{
	int64_t since = now_ms - 3600 * 1000, reset, v;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rule_state(c, rule, &out->tripped_at, &reset);
	if (rc)
		return rc;
	if (!(st = stmt(c, ST_RULE_RUNS)))
		return RBD_EUNAVAIL;
	bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, since);
	if ((rc = step_int(c, st, &v, "count runs")))
		return rc;
	out->runs_last_hour = (int)v;
	if (!(st = stmt(c, ST_RULE_FAILS)))
		return RBD_EUNAVAIL;
	bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, reset > since ? reset : since);
	rbd_store_bind_states(st, 3, 4, offsetof(struct rbd_action_state_info, failure));
	if ((rc = step_int(c, st, &v, "count failures")))
		return rc;
	out->failures_window = (int)v;
	if (key) {
		if (!(st = stmt(c, ST_RULE_LAST_KEY)))
			return RBD_EUNAVAIL;
		bind_text(st, 1, rule);
		bind_text(st, 2, key);
		if ((rc = step_int(c, st, &out->last_run_same_key, "last run")))
			return rc;
	}
	if (!(st = stmt(c, ST_RUNNING)))
		return RBD_EUNAVAIL;
	bind_text(st, 1, rbd_action_state_name(RBD_STATE_RUNNING));
	if ((rc = step_int(c, st, &v, "count running")))
		return rc;
	out->running = (int)v;
	return 0;
}

int rbd_tx_rule_counts(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule,
		       const char *command_key, int64_t now_ms)
{
	return rule_counts(tx->c, out, rule, command_key, now_ms);
}

int rbd_tx_rule_trip(struct rbd_tx *tx, const char *rule, int64_t now_ms)
{
	TX_STMT(st, tx, ST_RULE_TRIP);
	bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, now_ms);
	return step_done(tx->c, st, "trip rule");
}

int rbd_tx_rule_reset(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms)
{
	TX_STMT(st, tx, ST_RULE_RESET);
	bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, now_ms);
	bind_text(st, 3, who);
	return step_done(tx->c, st, "reset rule");
}

int rbd_tx_next_action(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state,
		       int64_t after_id)
{
	TX_STMT(st, tx, ST_NEXT_ACTION);
	bind_text(st, 1, rbd_action_state_name(state));
	sqlite3_bind_int64(st, 2, after_id);
	return step_int(tx->c, st, out_id, "next action");
}

int rbd_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	TX_STMT(st, tx, ST_EXPIRED);
	sqlite3_bind_int64(st, 1, now_ms);
	bind_text(st, 2, rbd_action_state_name(RBD_STATE_PENDING_APPROVAL));
	return step_ids(tx->c, st, out, out_n);
}

int rbd_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	int rc;

	TX_STMT(st, tx, ST_RUNNING_IDS);
	bind_text(st, 1, rbd_action_state_name(RBD_STATE_RUNNING));
	rc = step_ids(tx->c, st, out, out_n);
	for (size_t i = 0; !rc && i < *out_n; i++)
		rc = rbd_tx_action_transition(tx, (*out)[i], RBD_STATE_RUNNING, RBD_STATE_INTERRUPTED,
					      "runbookd stopped while it was running; not re-run",
					      now_ms);
	return rc;
}

int rbd_tx_setting_set(struct rbd_tx *tx, const char *key, const char *value)
{
	TX_STMT(st, tx, ST_SETTING_SET);
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return step_done(tx->c, st, "set setting");
}

int64_t rbd_tx_incident_of_action(struct rbd_tx *tx, int64_t action_id)
{
	int64_t id = 0;
	sqlite3_stmt *st = stmt(tx->c, ST_ACT_INCIDENT);

	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, action_id);
	step_int(tx->c, st, &id, "incident of action");
	return id;
}

