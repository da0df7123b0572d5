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


int rbd_sq_tx_event(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor,
		 int64_t action_id, const char *detail_json)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_EVENT_ADD);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_ms(st, 1, incident_id);
	sqlite3_bind_int64(st, 2, rbd_now_ms());
	rbd_store_bind_text(st, 3, kind);
	rbd_store_bind_text(st, 4, actor);
	rbd_store_bind_ms(st, 5, action_id);
	rbd_store_bind_text(st, 6, detail_json ? detail_json : "{}");
	return rbd_store_step_done(tx->c, st, "add event");
}

int rbd_sq_tx_open_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_INC_OPEN);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, group_key);
	return rbd_store_step_int(tx->c, st, out_id, "find open incident");
}

int rbd_sq_tx_latest_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_INC_LATEST);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, group_key);
	return rbd_store_step_int(tx->c, st, out_id, "find incident");
}

int rbd_sq_tx_incident_create(struct rbd_tx *tx, int64_t *out_id, const char *group_key,
			   const char *title, const char *receiver, const char *group_labels_json,
			   int64_t now_ms)
{
	int rc;

	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_INC_CREATE);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, group_key);
	rbd_store_bind_text(st, 2, title);
	rbd_store_bind_text(st, 3, receiver ? receiver : "");
	rbd_store_bind_text(st, 4, group_labels_json ? group_labels_json : "{}");
	sqlite3_bind_int64(st, 5, now_ms);
	rc = rbd_store_step_done(tx->c, st, "create incident");
	*out_id = rc ? 0 : sqlite3_last_insert_rowid(tx->c->db);
	return rc;
}

int rbd_sq_tx_incident_resolve(struct rbd_tx *tx, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_INC_RESOLVE);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	return rbd_store_step_done(tx->c, st, "resolve incident");
}

int rbd_sq_tx_incident_all_resolved(struct rbd_tx *tx, bool *out, int64_t id)
{
	int64_t firing;
	int rc;

	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_INC_UNRESOLVED);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rc = rbd_store_step_int(tx->c, st, &firing, "count firing");
	*out = (firing == 0);
	return rc;
}

int rbd_sq_tx_notification_add(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms,
			    const char *group_key, const char *status, const char *receiver,
			    int n_alerts, int64_t truncated, bool changed)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_NOTIF_ADD);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_ms(st, 1, incident_id);
	sqlite3_bind_int64(st, 2, now_ms);
	rbd_store_bind_text(st, 3, group_key);
	rbd_store_bind_text(st, 4, status);
	rbd_store_bind_text(st, 5, receiver ? receiver : "");
	sqlite3_bind_int(st, 6, n_alerts);
	sqlite3_bind_int64(st, 7, truncated);
	sqlite3_bind_int(st, 8, changed);
	return rbd_store_step_done(tx->c, st, "add notification");
}

int rbd_sq_tx_episode_find(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint,
			int64_t starts_ns)
{
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_stmt *get = rbd_store_stmt(tx->c, ST_EP_GET);

	if (!get)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(get, 1, fingerprint);
	sqlite3_bind_int64(get, 2, starts_ns);
	rc = rbd_store_step(tx->c, get);
	if (rc == SQLITE_ROW) {
		out->existed = true;
		out->id = sqlite3_column_int64(get, 0);
		out->incident_id = sqlite3_column_int64(get, 1);
		snprintf(out->status, sizeof(out->status), "%s",
			 (const char *)sqlite3_column_text(get, 2));
	}
	sqlite3_reset(get);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 :
	       rbd_store_db_error(tx->c->db, rc, "find alert");
}

int rbd_sq_tx_episode_upsert(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id,
			  const char *fingerprint, int64_t starts_ns, int64_t ends_ms,
			  const char *status, const char *labels_json, const char *annotations_json,
			  const char *generator_url, int64_t now_ms)
{
	sqlite3_stmt *ins;
	int rc = rbd_tx_episode_find(tx, out, fingerprint, starts_ns);

	if (rc)
		return rc;
	if (out->existed) {
		sqlite3_stmt *touch = rbd_store_stmt(tx->c, ST_EP_TOUCH);

		if (!touch)
			return RBD_EUNAVAIL;
		sqlite3_bind_int64(touch, 1, out->id);
		sqlite3_bind_int64(touch, 2, now_ms);
		return rbd_store_step_done(tx->c, touch, "touch alert");
	}
	ins = rbd_store_stmt(tx->c, ST_EP_INSERT);
	if (!ins)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(ins, 1, incident_id);
	rbd_store_bind_text(ins, 2, fingerprint);
	sqlite3_bind_int64(ins, 3, starts_ns);
	sqlite3_bind_int64(ins, 4, starts_ns / 1000000);
	rbd_store_bind_ms(ins, 5, ends_ms);
	rbd_store_bind_text(ins, 6, status);
	rbd_store_bind_text(ins, 7, labels_json);
	rbd_store_bind_text(ins, 8, annotations_json);
	rbd_store_bind_text(ins, 9, generator_url ? generator_url : "");
	sqlite3_bind_int64(ins, 10, now_ms);
	rc = rbd_store_step_done(tx->c, ins, "insert alert");
	if (rc)
		return rc;
	out->id = sqlite3_last_insert_rowid(tx->c->db);
	out->incident_id = incident_id;
	snprintf(out->status, sizeof(out->status), "%s", status);
	return 0;
}

int rbd_sq_tx_episode_resolve(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_EP_RESOLVE);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int64(st, 2, ends_ms ? ends_ms : now_ms);
	sqlite3_bind_int64(st, 3, now_ms);
	return rbd_store_step_done(tx->c, st, "resolve alert");
}

void rbd_sq_tx_wake(struct rbd_tx *tx)
{
	tx->job->wake = 1;
}

int rbd_sq_tx_changes(struct rbd_tx *tx)
{
	return sqlite3_changes(tx->c->db);
}

int rbd_sq_tx_firing_alerts(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_EP_FIRING);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, incident_id);
	return rbd_store_step_ids(tx->c, st, out, out_n);
}

int rbd_sq_tx_action_insert(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a)
{
	int rc;

	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_INSERT);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, a->incident_id);
	sqlite3_bind_int64(st, 2, a->alert_id);
	rbd_store_bind_text(st, 3, a->rule);
	rbd_store_bind_text(st, 4, a->on_status);
	rbd_store_bind_text(st, 5, a->action);
	rbd_store_bind_text(st, 6, a->kind);
	if (!rbd_action_state_info(a->state))
		return rbd_err_set(RBD_EINVAL, "unknown action state %d", (int)a->state);
	rbd_store_bind_text(st, 7, rbd_action_state_name(a->state));
	rbd_store_bind_text(st, 8, a->rendered_json);
	rbd_store_bind_text(st, 9, a->command_key);
	sqlite3_bind_int(st, 10, a->dry_run);
	sqlite3_bind_int(st, 11, a->requires_approval);
	sqlite3_bind_int(st, 12, a->approvals_needed > 0 ? a->approvals_needed : 1);
	rbd_store_bind_text(st, 13, a->reason);
	sqlite3_bind_int64(st, 14, a->now_ms);
	rbd_store_bind_ms(st, 15, a->expires_at);
	rc = rbd_store_step_done(tx->c, st, "insert action");
	*out_id = (!rc && sqlite3_changes(tx->c->db) == 1) ? sqlite3_last_insert_rowid(tx->c->db) : 0;
	return rc;
}

void rbd_store_bind_states(sqlite3_stmt *st, int first, int slots, size_t flag)
{
	int i = 0;

	for (unsigned s = 0; s < RBD_STATE_COUNT; s++) {
		const struct rbd_action_state_info *info = rbd_action_state_info(s);

		if (*(const bool *)((const char *)info + flag) && i < slots)
			rbd_store_bind_text(st, first + i++, info->name);
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

int rbd_sq_tx_action_transition(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
			     enum rbd_action_state to, const char *reason, int64_t now_ms)
{
	int rc = check_transition(id, from, to);

	if (rc)
		return rc;
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_TRANSITION);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rbd_store_bind_text(st, 2, rbd_action_state_name(from));
	rbd_store_bind_text(st, 3, rbd_action_state_name(to));
	rbd_store_bind_text(st, 4, reason);
	sqlite3_bind_int(st, 5, rbd_action_state_info(to)->terminal);
	sqlite3_bind_int64(st, 6, now_ms);
	rc = rbd_store_step_done(tx->c, st, "action transition");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id,
				   rbd_action_state_name(from));
	return rc;
}

int rbd_sq_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n,
				    int64_t alert_id, int64_t now_ms)
{
	struct waiting { int64_t id; enum rbd_action_state state; } *w = NULL;
	int64_t *ids;
	size_t n = 0;
	int rc, step;

	*out = NULL;
	*out_n = 0;
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_CANCEL_SELECT);

	if (!st)
		return RBD_EUNAVAIL;
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
	rc = step == SQLITE_DONE ? 0 : rbd_store_db_error(tx->c->db, step, "waiting actions");
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

char *rbd_store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? rbd_strdup((const char *)t) : NULL;
}

void rbd_store_read_action(sqlite3_stmt *st, struct rbd_action_rec *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->incident_id = sqlite3_column_int64(st, 1);
	a->alert_id = sqlite3_column_int64(st, 2);
	a->rule = rbd_store_col_text(st, 3);
	a->action = rbd_store_col_text(st, 4);
	a->kind = rbd_store_col_text(st, 5);
	a->state = rbd_store_col_text(st, 6);
	a->rendered_json = rbd_store_col_text(st, 7);
	a->dry_run = sqlite3_column_int(st, 8);
	a->requires_approval = sqlite3_column_int(st, 9);
	a->approvals_needed = sqlite3_column_int(st, 10);
	a->decided_by = rbd_store_col_text(st, 11);
	a->reason = rbd_store_col_text(st, 12);
	a->has_exit_code = sqlite3_column_type(st, 13) != SQLITE_NULL;
	a->exit_code = sqlite3_column_int(st, 13);
	a->term_signal = sqlite3_column_int(st, 14);
	a->output = rbd_store_col_text(st, 15);
	a->result = rbd_store_col_text(st, 16);
	a->created_ms = sqlite3_column_int64(st, 17);
	a->started_ms = sqlite3_column_int64(st, 18);
	a->finished_ms = sqlite3_column_int64(st, 19);
	a->expires_ms = sqlite3_column_int64(st, 20);
	a->approvals_given = sqlite3_column_int(st, 21);
	a->comment = rbd_store_col_text(st, 22);
}

int rbd_store_get_action(struct conn *c, struct rbd_action_rec *out, int64_t id)
{
	sqlite3_stmt *st = rbd_store_stmt(c, ST_ACT_GET);
	int rc;

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rc = rbd_store_step(c, st);
	if (rc == SQLITE_ROW) {
		rbd_store_read_action(st, out);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return rbd_err_set(RBD_ENOTFOUND, "no action %lld", (long long)id);
	return rbd_store_db_error(c->db, rc, "get action");
}

int rbd_sq_tx_action_get(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id)
{
	return rbd_store_get_action(tx->c, out, id);
}

int rbd_sq_tx_approval_add(struct rbd_tx *tx, int *out_approvals, int64_t action_id,
			const char *operator_name, const char *decision, const char *comment,
			int64_t now_ms)
{
	int rc;

	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_APPROVAL_ADD);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, action_id);
	rbd_store_bind_text(st, 2, operator_name);
	rbd_store_bind_text(st, 3, decision);
	rbd_store_bind_text(st, 4, comment);
	sqlite3_bind_int64(st, 5, now_ms);
	rc = rbd_store_step_done(tx->c, st, "add approval");
	if (rc)
		return rc;
	if (sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "%s already decided on action %lld", operator_name,
				   (long long)action_id);
	sqlite3_stmt *cnt = rbd_store_stmt(tx->c, ST_APPROVAL_COUNT);

	if (!cnt)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(cnt, 1, action_id);
	rc = rbd_store_step(tx->c, cnt);
	if (rc == SQLITE_ROW)
		*out_approvals = sqlite3_column_int(cnt, 0);
	sqlite3_reset(cnt);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : rbd_store_db_error(tx->c->db, rc, "count approvals");
}

int rbd_sq_tx_action_set_decided_by(struct rbd_tx *tx, int64_t id, const char *who)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_DECIDED_BY);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rbd_store_bind_text(st, 2, who);
	return rbd_store_step_done(tx->c, st, "set decided_by");
}

int rbd_sq_tx_approvers(struct rbd_tx *tx, int64_t id)
{
	char *who = NULL;
	int rc;

	sqlite3_stmt *cnt = rbd_store_stmt(tx->c, ST_APPROVAL_COUNT);

	if (!cnt)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(cnt, 1, id);
	rc = rbd_store_step(tx->c, cnt);
	if (rc == SQLITE_ROW)
		who = rbd_store_col_text(cnt, 1);
	sqlite3_reset(cnt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rbd_store_db_error(tx->c->db, rc, "list approvers");
	rc = rbd_tx_action_set_decided_by(tx, id, who);
	free(who);
	return rc;
}

int rbd_sq_tx_incident_exists(struct rbd_tx *tx, bool *out, int64_t id)
{
	int64_t n = 0;
	int rc;

	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_INC_EXISTS);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rc = rbd_store_step_int(tx->c, st, &n, "incident exists");
	*out = n > 0;
	return rc;
}

int rbd_sq_tx_action_set_process(struct rbd_tx *tx, int64_t id, int64_t pgid, int64_t start)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_SET_PROCESS);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, pgid);
	sqlite3_bind_int64(st, 3, start);
	return rbd_store_step_done(tx->c, st, "record process group");
}

int rbd_sq_tx_action_process(struct rbd_tx *tx, int64_t id, int64_t *pgid, int64_t *start)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_GET_PROCESS);
	int rc;

	*pgid = *start = 0;
	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rc = rbd_store_step(tx->c, st);
	if (rc == SQLITE_ROW) {
		*pgid = sqlite3_column_int64(st, 0);
		*start = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 :
		rbd_store_db_error(tx->c->db, rc, "process group");
}

int rbd_sq_tx_action_mark_dry_run(struct rbd_tx *tx, int64_t id)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_DRY_RUN);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	return rbd_store_step_done(tx->c, st, "mark dry-run");
}

int rbd_sq_tx_action_start(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
			int64_t now_ms)
{
	int rc = check_transition(id, from, RBD_STATE_RUNNING);

	if (rc)
		return rc;
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_START);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rbd_store_bind_text(st, 2, rbd_action_state_name(from));
	sqlite3_bind_int64(st, 3, now_ms);
	rbd_store_bind_text(st, 4, rbd_action_state_name(RBD_STATE_RUNNING));
	rc = rbd_store_step_done(tx->c, st, "start action");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id,
				   rbd_action_state_name(from));
	return rc;
}

int rbd_sq_tx_action_finish(struct rbd_tx *tx, int64_t id, enum rbd_action_state state, bool has_exit,
			 int exit_code, int term_signal, const char *output, const char *result,
			 const char *reason, int64_t now_ms)
{
	int rc = check_transition(id, RBD_STATE_RUNNING, state);

	if (rc)
		return rc;
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_FINISH);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, id);
	rbd_store_bind_text(st, 2, rbd_action_state_name(state));
	if (has_exit)
		sqlite3_bind_int(st, 3, exit_code);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, term_signal);
	rbd_store_bind_text(st, 5, output);
	rbd_store_bind_text(st, 6, result);
	rbd_store_bind_text(st, 7, reason);
	sqlite3_bind_int64(st, 8, now_ms);
	rbd_store_bind_text(st, 9, rbd_action_state_name(RBD_STATE_RUNNING));
	rc = rbd_store_step_done(tx->c, st, "finish action");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not running", (long long)id);
	return rc;
}

static int rule_state(struct conn *c, const char *rule, int64_t *tripped, int64_t *reset)
{
	sqlite3_stmt *st = rbd_store_stmt(c, ST_RULE_STATE);
	int rc;

	*tripped = *reset = 0;
	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rule);
	rc = rbd_store_step(c, st);
	if (rc == SQLITE_ROW) {
		*tripped = sqlite3_column_int64(st, 0);
		*reset = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : rbd_store_db_error(c->db, rc, "rule state");
}

int rbd_store_rule_counts(struct conn *c, struct rbd_rule_counts *out, const char *rule,
		       const char *key, int64_t now_ms)
{
	int64_t since = now_ms - 3600 * 1000, reset, v;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rule_state(c, rule, &out->tripped_at, &reset);
	if (rc)
		return rc;
	if (!(st = rbd_store_stmt(c, ST_RULE_RUNS)))
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, since);
	if ((rc = rbd_store_step_int(c, st, &v, "count runs")))
		return rc;
	out->runs_last_hour = (int)v;
	if (!(st = rbd_store_stmt(c, ST_RULE_FAILS)))
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, reset > since ? reset : since);
	rbd_store_bind_states(st, 3, 4, offsetof(struct rbd_action_state_info, failure));
	if ((rc = rbd_store_step_int(c, st, &v, "count failures")))
		return rc;
	out->failures_window = (int)v;
	if (key) {
		if (!(st = rbd_store_stmt(c, ST_RULE_LAST_KEY)))
			return RBD_EUNAVAIL;
		rbd_store_bind_text(st, 1, rule);
		rbd_store_bind_text(st, 2, key);
		if ((rc = rbd_store_step_int(c, st, &out->last_run_same_key, "last run")))
			return rc;
	}
	if (!(st = rbd_store_stmt(c, ST_RUNNING)))
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rbd_action_state_name(RBD_STATE_RUNNING));
	if ((rc = rbd_store_step_int(c, st, &v, "count running")))
		return rc;
	out->running = (int)v;
	return 0;
}

int rbd_sq_tx_rule_counts(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule,
		       const char *command_key, int64_t now_ms)
{
	return rbd_store_rule_counts(tx->c, out, rule, command_key, now_ms);
}

int rbd_sq_tx_after_state(struct rbd_tx *tx, char *out, size_t out_size, const char *rule,
		       int64_t alert_id, int64_t incident_id, bool whole_incident)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_AFTER_STATE);
	int rc;

	out[0] = '\0';
	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, alert_id);
	sqlite3_bind_int64(st, 3, incident_id);
	sqlite3_bind_int(st, 4, whole_incident);
	rbd_store_bind_text(st, 5, rbd_action_state_name(RBD_STATE_SUCCEEDED));
	rbd_store_bind_text(st, 6, rbd_action_state_name(RBD_STATE_DRY_RUN));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		snprintf(out, out_size, "%s", t ? (const char *)t : "");
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? 0 : rbd_store_db_error(tx->c->db, rc, "after state");
	sqlite3_reset(st);
	return rc;
}

int rbd_sq_tx_rule_trip(struct rbd_tx *tx, const char *rule, int64_t now_ms)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_RULE_TRIP);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, now_ms);
	return rbd_store_step_done(tx->c, st, "trip rule");
}

int rbd_sq_tx_rule_reset(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_RULE_RESET);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rule);
	sqlite3_bind_int64(st, 2, now_ms);
	rbd_store_bind_text(st, 3, who);
	return rbd_store_step_done(tx->c, st, "reset rule");
}

int rbd_sq_tx_next_action(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state,
		       int64_t after_id)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_NEXT_ACTION);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rbd_action_state_name(state));
	sqlite3_bind_int64(st, 2, after_id);
	return rbd_store_step_int(tx->c, st, out_id, "next action");
}

int rbd_sq_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_EXPIRED);

	if (!st)
		return RBD_EUNAVAIL;
	sqlite3_bind_int64(st, 1, now_ms);
	rbd_store_bind_text(st, 2, rbd_action_state_name(RBD_STATE_PENDING_APPROVAL));
	return rbd_store_step_ids(tx->c, st, out, out_n);
}

int rbd_sq_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	int rc;

	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_RUNNING_IDS);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, rbd_action_state_name(RBD_STATE_RUNNING));
	rc = rbd_store_step_ids(tx->c, st, out, out_n);
	for (size_t i = 0; !rc && i < *out_n; i++)
		rc = rbd_tx_action_transition(tx, (*out)[i], RBD_STATE_RUNNING, RBD_STATE_INTERRUPTED,
					      "runbookd stopped while it was running; not re-run",
					      now_ms);
	return rc;
}

int rbd_sq_tx_setting_set(struct rbd_tx *tx, const char *key, const char *value)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_SETTING_SET);

	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, key);
	rbd_store_bind_text(st, 2, value);
	return rbd_store_step_done(tx->c, st, "set setting");
}

int64_t rbd_sq_tx_incident_of_action(struct rbd_tx *tx, int64_t action_id)
{
	int64_t id = 0;
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_ACT_INCIDENT);

	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, action_id);
	rbd_store_step_int(tx->c, st, &id, "incident of action");
	return id;
}


int rbd_sq_tx_setting_get(struct rbd_tx *tx, char **out, const char *key)
{
	sqlite3_stmt *st = rbd_store_stmt(tx->c, ST_SETTING_GET);
	int rc;

	*out = NULL;
	if (!st)
		return RBD_EUNAVAIL;
	rbd_store_bind_text(st, 1, key);
	rc = rbd_store_step(tx->c, st);
	if (rc == SQLITE_ROW)
		*out = rbd_store_col_text(st, 0);
	sqlite3_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0
		: rbd_store_db_error(tx->c->db, rc, "get setting");
}
