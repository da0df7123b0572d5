/*
 * store_pg_tx: the write-job operations on PostgreSQL, inside the transaction that
 * rbd_pg_store_write opened under the cross-replica write lock. The same contract as
 * store_tx.c; INSERT OR IGNORE becomes INSERT ... ON CONFLICT DO NOTHING (an error
 * would abort the whole PostgreSQL transaction, not just the statement).
 */
#include "store_pg_internal.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/timeutil.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TXC(tx) (pg_tx_of(tx)->c)

static int run(struct rbd_tx *tx, const char *sql, const struct pg_params *p, const char *what)
{
	return rbd_pg_run(TXC(tx), sql, p, &pg_tx_of(tx)->changes, what);
}

/* INSERT ... RETURNING id: *out_id 0 when no row came back (a conflict). */
static int insert_id(struct rbd_tx *tx, const char *sql, const struct pg_params *p,
		     int64_t *out_id, const char *what)
{
	PGresult *r = rbd_pg_exec(TXC(tx), sql, p, &pg_tx_of(tx)->changes, what);

	*out_id = 0;
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0)
		*out_id = rbd_pg_col_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int rbd_pg_tx_event(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor,
		    int64_t action_id, const char *detail_json)
{
	struct pg_params p = { 0 };

	rbd_pg_p_ms(&p, incident_id);
	rbd_pg_p_i64(&p, rbd_now_ms());
	rbd_pg_p_text(&p, kind);
	rbd_pg_p_text(&p, actor);
	rbd_pg_p_ms(&p, action_id);
	rbd_pg_p_text(&p, detail_json ? detail_json : "{}");
	return run(tx, "INSERT INTO events (incident_id, ts, kind, actor, action_id, detail) "
		   "VALUES ($1, $2, $3, $4, $5, $6)", &p, "add event");
}

int rbd_pg_tx_open_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	struct pg_params p = { 0 };

	rbd_pg_p_text(&p, group_key);
	return rbd_pg_int(TXC(tx), "SELECT id FROM incidents WHERE group_key = $1 AND status = 'open'",
			  &p, out_id, "find open incident");
}

int rbd_pg_tx_latest_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	struct pg_params p = { 0 };

	rbd_pg_p_text(&p, group_key);
	return rbd_pg_int(TXC(tx), "SELECT id FROM incidents WHERE group_key = $1 ORDER BY id DESC "
			  "LIMIT 1", &p, out_id, "find incident");
}

/* One open incident per group: a second one is RBD_ECONFLICT, as on SQLite, without
 * a unique violation that would abort the whole transaction. */
int rbd_pg_tx_incident_create(struct rbd_tx *tx, int64_t *out_id, const char *group_key,
			      const char *title, const char *receiver, const char *group_labels_json,
			      int64_t now_ms)
{
	struct pg_params p = { 0 };
	int rc;

	rbd_pg_p_text(&p, group_key);
	rbd_pg_p_text(&p, title);
	rbd_pg_p_text(&p, receiver ? receiver : "");
	rbd_pg_p_text(&p, group_labels_json ? group_labels_json : "{}");
	rbd_pg_p_i64(&p, now_ms);
	rc = insert_id(tx, "INSERT INTO incidents (group_key, status, title, receiver, group_labels, "
		       "opened_at) VALUES ($1, 'open', $2, $3, $4, $5) ON CONFLICT (group_key) "
		       "WHERE status = 'open' DO NOTHING RETURNING id", &p, out_id, "create incident");
	if (!rc && !*out_id)
		return rbd_err_set(RBD_ECONFLICT, "create incident: group %s has an open incident",
				   group_key);
	return rc;
}

int rbd_pg_tx_incident_resolve(struct rbd_tx *tx, int64_t id, int64_t now_ms)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, id);
	rbd_pg_p_i64(&p, now_ms);
	return run(tx, "UPDATE incidents SET status = 'resolved', resolved_at = $2 WHERE id = $1 "
		   "AND status = 'open'", &p, "resolve incident");
}

int rbd_pg_tx_incident_all_resolved(struct rbd_tx *tx, bool *out, int64_t id)
{
	struct pg_params p = { 0 };
	int64_t firing = 0;
	int rc;

	rbd_pg_p_i64(&p, id);
	rc = rbd_pg_int(TXC(tx), "SELECT count(*) FROM alerts WHERE incident_id = $1 AND status = "
			"'firing'", &p, &firing, "count firing");
	*out = firing == 0;
	return rc;
}

int rbd_pg_tx_notification_add(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms,
			       const char *group_key, const char *status, const char *receiver,
			       int n_alerts, int64_t truncated, bool changed)
{
	struct pg_params p = { 0 };

	rbd_pg_p_ms(&p, incident_id);
	rbd_pg_p_i64(&p, now_ms);
	rbd_pg_p_text(&p, group_key);
	rbd_pg_p_text(&p, status);
	rbd_pg_p_text(&p, receiver ? receiver : "");
	rbd_pg_p_i64(&p, n_alerts);
	rbd_pg_p_i64(&p, truncated);
	rbd_pg_p_bool(&p, changed);
	return run(tx, "INSERT INTO notifications (incident_id, received_at, group_key, status, "
		   "receiver, n_alerts, truncated_alerts, changed) VALUES ($1, $2, $3, $4, $5, $6, "
		   "$7, $8)", &p, "add notification");
}

int rbd_pg_tx_episode_find(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint,
			   int64_t starts_ns)
{
	struct pg_params p = { 0 };
	PGresult *r;

	memset(out, 0, sizeof(*out));
	rbd_pg_p_text(&p, fingerprint);
	rbd_pg_p_i64(&p, starts_ns);
	r = rbd_pg_exec(TXC(tx), "SELECT id, incident_id, status FROM alerts WHERE fingerprint = $1 "
			"AND starts_ns = $2", &p, NULL, "find alert");
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0) {
		out->existed = true;
		out->id = rbd_pg_col_i64(r, 0, 0);
		out->incident_id = rbd_pg_col_i64(r, 0, 1);
		snprintf(out->status, sizeof(out->status), "%s", PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	return 0;
}

static int episode_touch(struct rbd_tx *tx, int64_t id, int64_t now_ms)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, id);
	rbd_pg_p_i64(&p, now_ms);
	return run(tx, "UPDATE alerts SET last_seen = $2 WHERE id = $1", &p, "touch alert");
}

/* (fingerprint, starts_ns) is unique: whichever replica inserts first stores the
 * episode, the other finds it. */
int rbd_pg_tx_episode_upsert(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id,
			     const char *fingerprint, int64_t starts_ns, int64_t ends_ms,
			     const char *status, const char *labels_json, const char *annotations_json,
			     const char *generator_url, int64_t now_ms)
{
	struct pg_params p = { 0 };
	int rc = rbd_pg_tx_episode_find(tx, out, fingerprint, starts_ns);

	if (rc)
		return rc;
	if (out->existed)
		return episode_touch(tx, out->id, now_ms);
	rbd_pg_p_i64(&p, incident_id);
	rbd_pg_p_text(&p, fingerprint);
	rbd_pg_p_i64(&p, starts_ns);
	rbd_pg_p_i64(&p, starts_ns / 1000000);
	rbd_pg_p_ms(&p, ends_ms);
	rbd_pg_p_text(&p, status);
	rbd_pg_p_text(&p, labels_json);
	rbd_pg_p_text(&p, annotations_json);
	rbd_pg_p_text(&p, generator_url ? generator_url : "");
	rbd_pg_p_i64(&p, now_ms);
	rc = insert_id(tx, "INSERT INTO alerts (incident_id, fingerprint, starts_ns, starts_at, "
		       "ends_at, status, labels, annotations, generator_url, first_seen, last_seen) "
		       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT "
		       "(fingerprint, starts_ns) DO NOTHING RETURNING id", &p, &out->id, "insert alert");
	if (rc)
		return rc;
	if (!out->id) {
		rc = rbd_pg_tx_episode_find(tx, out, fingerprint, starts_ns);
		return rc ? rc : episode_touch(tx, out->id, now_ms);
	}
	out->incident_id = incident_id;
	snprintf(out->status, sizeof(out->status), "%s", status);
	return 0;
}

int rbd_pg_tx_episode_resolve(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, alert_id);
	rbd_pg_p_i64(&p, ends_ms ? ends_ms : now_ms);
	rbd_pg_p_i64(&p, now_ms);
	return run(tx, "UPDATE alerts SET status = 'resolved', ends_at = $2, last_seen = $3 "
		   "WHERE id = $1 AND status = 'firing'", &p, "resolve alert");
}

void rbd_pg_tx_wake(struct rbd_tx *tx)
{
	pg_tx_of(tx)->wake = 1;
}

int rbd_pg_tx_changes(struct rbd_tx *tx)
{
	return pg_tx_of(tx)->changes;
}

int rbd_pg_tx_firing_alerts(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, incident_id);
	return rbd_pg_ids(TXC(tx), "SELECT id FROM alerts WHERE incident_id = $1 AND status = "
			  "'firing' ORDER BY id", &p, out, out_n, "firing alerts");
}

int rbd_pg_tx_action_insert(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a)
{
	struct pg_params p = { 0 };

	*out_id = 0;
	if (!rbd_action_state_info(a->state))
		return rbd_err_set(RBD_EINVAL, "unknown action state %d", (int)a->state);
	rbd_pg_p_i64(&p, a->incident_id);
	rbd_pg_p_i64(&p, a->alert_id);
	rbd_pg_p_text(&p, a->rule);
	rbd_pg_p_text(&p, a->on_status);
	rbd_pg_p_text(&p, a->action);
	rbd_pg_p_text(&p, a->kind);
	rbd_pg_p_text(&p, rbd_action_state_name(a->state));
	rbd_pg_p_text(&p, a->rendered_json);
	rbd_pg_p_text(&p, a->command_key);
	rbd_pg_p_bool(&p, a->dry_run);
	rbd_pg_p_bool(&p, a->requires_approval);
	rbd_pg_p_i64(&p, a->approvals_needed > 0 ? a->approvals_needed : 1);
	rbd_pg_p_text(&p, a->reason);
	rbd_pg_p_i64(&p, a->now_ms);
	rbd_pg_p_ms(&p, a->expires_at);
	return insert_id(tx, "INSERT INTO actions (incident_id, alert_id, rule, on_status, action, "
			 "kind, state, rendered, command_key, dry_run, requires_approval, "
			 "approvals_needed, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
			 "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (rule, alert_id, "
			 "on_status) DO NOTHING RETURNING id", &p, out_id, "insert action");
}

static int check_transition(int64_t id, enum rbd_action_state from, enum rbd_action_state to)
{
	if (!rbd_action_state_can(from, to))
		return rbd_err_set(RBD_EINVAL, "action %lld: %s -> %s is not a legal transition",
				   (long long)id, rbd_action_state_name(from),
				   rbd_action_state_name(to));
	return 0;
}

int rbd_pg_tx_action_transition(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
				enum rbd_action_state to, const char *reason, int64_t now_ms)
{
	struct pg_params p = { 0 };
	int rc = check_transition(id, from, to);

	if (rc)
		return rc;
	rbd_pg_p_i64(&p, id);
	rbd_pg_p_text(&p, rbd_action_state_name(from));
	rbd_pg_p_text(&p, rbd_action_state_name(to));
	rbd_pg_p_text(&p, reason);
	rbd_pg_p_text(&p, rbd_action_state_info(to)->terminal ? "true" : "false");
	rbd_pg_p_i64(&p, now_ms);
	rc = run(tx, "UPDATE actions SET state = $3, reason = coalesce($4, reason), finished_at = "
		 "CASE WHEN $5::boolean THEN $6::bigint ELSE finished_at END WHERE id = $1 AND "
		 "state = $2", &p, "action transition");
	if (!rc && pg_tx_of(tx)->changes != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id,
				   rbd_action_state_name(from));
	return rc;
}

void rbd_pg_states_array(char *out, size_t cap, size_t flag)
{
	size_t o = 0;

	o += (size_t)snprintf(out, cap, "{");
	for (unsigned s = 0; s < RBD_STATE_COUNT && o < cap; s++) {
		const struct rbd_action_state_info *info = rbd_action_state_info(s);

		if (*(const bool *)((const char *)info + flag))
			o += (size_t)snprintf(out + o, cap - o, "%s%s", o > 1 ? "," : "", info->name);
	}
	if (o < cap)
		snprintf(out + o, cap - o, "}");
}

int rbd_pg_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n,
				       int64_t alert_id, int64_t now_ms)
{
	struct pg_params p = { 0 };
	char states[256];
	PGresult *r;
	int64_t *ids;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	*out_n = 0;
	rbd_pg_states_array(states, sizeof(states), offsetof(struct rbd_action_state_info, waiting));
	rbd_pg_p_i64(&p, alert_id);
	rbd_pg_p_text(&p, states);
	r = rbd_pg_exec(TXC(tx), "SELECT id, state FROM actions WHERE alert_id = $1 AND state = "
			"ANY ($2::text[]) ORDER BY id", &p, NULL, "waiting actions");
	if (!r)
		return rbd_pg_last_error();
	ids = rbd_calloc((size_t)PQntuples(r) + 1, sizeof(*ids));
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		enum rbd_action_state st;

		if (!rbd_action_state_parse(&st, PQgetvalue(r, i, 1)))
			continue;
		ids[n] = rbd_pg_col_i64(r, i, 0);
		rc = rbd_pg_tx_action_transition(tx, ids[n], st, RBD_STATE_CANCELLED,
						 "the alert resolved", now_ms);
		n++;
	}
	PQclear(r);
	if (rc) {
		free(ids);
		return rc;
	}
	*out = ids;
	*out_n = n;
	return 0;
}

void rbd_pg_read_action(const PGresult *r, int row, struct rbd_action_rec *a)
{
	memset(a, 0, sizeof(*a));
	a->id = rbd_pg_col_i64(r, row, 0);
	a->incident_id = rbd_pg_col_i64(r, row, 1);
	a->alert_id = rbd_pg_col_i64(r, row, 2);
	a->rule = rbd_pg_col_text(r, row, 3);
	a->action = rbd_pg_col_text(r, row, 4);
	a->kind = rbd_pg_col_text(r, row, 5);
	a->state = rbd_pg_col_text(r, row, 6);
	a->rendered_json = rbd_pg_col_text(r, row, 7);
	a->dry_run = rbd_pg_col_i64(r, row, 8) != 0;
	a->requires_approval = rbd_pg_col_i64(r, row, 9) != 0;
	a->approvals_needed = (int)rbd_pg_col_i64(r, row, 10);
	a->decided_by = rbd_pg_col_text(r, row, 11);
	a->reason = rbd_pg_col_text(r, row, 12);
	a->has_exit_code = !PQgetisnull(r, row, 13);
	a->exit_code = (int)rbd_pg_col_i64(r, row, 13);
	a->term_signal = (int)rbd_pg_col_i64(r, row, 14);
	a->output = rbd_pg_col_text(r, row, 15);
	a->result = rbd_pg_col_text(r, row, 16);
	a->created_ms = rbd_pg_col_i64(r, row, 17);
	a->started_ms = rbd_pg_col_i64(r, row, 18);
	a->finished_ms = rbd_pg_col_i64(r, row, 19);
}

int rbd_pg_get_action(PGconn *c, struct rbd_action_rec *out, int64_t id)
{
	struct pg_params p = { 0 };
	PGresult *r;
	int found;

	rbd_pg_p_i64(&p, id);
	r = rbd_pg_exec(c, "SELECT " PG_ACT_COLS " FROM actions WHERE id = $1", &p, NULL, "get action");
	if (!r)
		return rbd_pg_last_error();
	found = PQntuples(r) > 0;
	if (found)
		rbd_pg_read_action(r, 0, out);
	PQclear(r);
	return found ? 0 : rbd_err_set(RBD_ENOTFOUND, "no action %lld", (long long)id);
}

int rbd_pg_tx_action_get(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id)
{
	return rbd_pg_get_action(TXC(tx), out, id);
}

static const char approvals_sql[] = "SELECT count(*), string_agg(operator, ',' ORDER BY ts, "
	"operator) FROM approvals WHERE action_id = $1 AND decision = 'approve'";

/* The action row is locked before counting: two approvals of one action on two
 * replicas at the same instant count one after the other, and quorum is reached once. */
int rbd_pg_tx_approval_add(struct rbd_tx *tx, int *out_approvals, int64_t action_id,
			   const char *operator_name, const char *decision, const char *comment,
			   int64_t now_ms)
{
	struct pg_params p = { 0 }, q = { 0 };
	int64_t n = 0;
	int rc;

	rbd_pg_p_i64(&q, action_id);
	rc = rbd_pg_run(TXC(tx), "SELECT id FROM actions WHERE id = $1 FOR UPDATE", &q, NULL,
			"lock action");
	if (rc)
		return rc;
	rbd_pg_p_i64(&p, action_id);
	rbd_pg_p_text(&p, operator_name);
	rbd_pg_p_text(&p, decision);
	rbd_pg_p_text(&p, comment);
	rbd_pg_p_i64(&p, now_ms);
	rc = run(tx, "INSERT INTO approvals (action_id, operator, decision, comment, ts) VALUES "
		 "($1, $2, $3, $4, $5) ON CONFLICT (action_id, operator) DO NOTHING", &p, "add approval");
	if (rc)
		return rc;
	if (pg_tx_of(tx)->changes != 1)
		return rbd_err_set(RBD_ECONFLICT, "%s already decided on action %lld", operator_name,
				   (long long)action_id);
	rc = rbd_pg_int(TXC(tx), approvals_sql, &q, &n, "count approvals");
	*out_approvals = (int)n;
	return rc;
}

int rbd_pg_tx_action_set_decided_by(struct rbd_tx *tx, int64_t id, const char *who)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, id);
	rbd_pg_p_text(&p, who);
	return run(tx, "UPDATE actions SET decided_by = $2 WHERE id = $1", &p, "set decided_by");
}

int rbd_pg_tx_approvers(struct rbd_tx *tx, int64_t id)
{
	struct pg_params p = { 0 };
	PGresult *r;
	char *who = NULL;
	int rc;

	rbd_pg_p_i64(&p, id);
	r = rbd_pg_exec(TXC(tx), approvals_sql, &p, NULL, "approvers");
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0)
		who = rbd_pg_col_text(r, 0, 1);
	PQclear(r);
	rc = rbd_pg_tx_action_set_decided_by(tx, id, who);
	free(who);
	return rc;
}

int rbd_pg_tx_incident_exists(struct rbd_tx *tx, bool *out, int64_t id)
{
	struct pg_params p = { 0 };
	int64_t n = 0;
	int rc;

	rbd_pg_p_i64(&p, id);
	rc = rbd_pg_int(TXC(tx), "SELECT count(*) FROM incidents WHERE id = $1", &p, &n,
			"incident exists");
	*out = n > 0;
	return rc;
}

/* The claim: running, owned by this replica, committed before anything is spawned. */
int rbd_pg_tx_action_start(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
			   int64_t now_ms)
{
	struct pg_params p = { 0 };
	int rc = check_transition(id, from, RBD_STATE_RUNNING);

	if (rc)
		return rc;
	rbd_pg_p_i64(&p, id);
	rbd_pg_p_text(&p, rbd_action_state_name(from));
	rbd_pg_p_i64(&p, now_ms);
	rbd_pg_p_text(&p, pg_tx_of(tx)->s->replica);
	rc = run(tx, "UPDATE actions SET state = 'running', started_at = $3, owner = $4 "
		 "WHERE id = $1 AND state = $2", &p, "start action");
	if (!rc && pg_tx_of(tx)->changes != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id,
				   rbd_action_state_name(from));
	return rc;
}

/* Only the owner finishes a run, and only while it is still running: a replica frozen
 * past its lease finds its action interrupted and gets RBD_ECONFLICT. */
int rbd_pg_tx_action_finish(struct rbd_tx *tx, int64_t id, enum rbd_action_state state,
			    bool has_exit, int exit_code, int term_signal, const char *output,
			    const char *result, const char *reason, int64_t now_ms)
{
	struct pg_params p = { 0 };
	int rc = check_transition(id, RBD_STATE_RUNNING, state);

	if (rc)
		return rc;
	rbd_pg_p_i64(&p, id);
	rbd_pg_p_text(&p, rbd_action_state_name(state));
	if (has_exit)
		rbd_pg_p_i64(&p, exit_code);
	else
		rbd_pg_p_text(&p, NULL);
	rbd_pg_p_i64(&p, term_signal);
	rbd_pg_p_text(&p, output);
	rbd_pg_p_text(&p, result);
	rbd_pg_p_text(&p, reason);
	rbd_pg_p_i64(&p, now_ms);
	rbd_pg_p_text(&p, pg_tx_of(tx)->s->replica);
	rc = run(tx, "UPDATE actions SET state = $2, exit_code = $3, term_signal = $4, output = $5, "
		 "result = $6, reason = coalesce($7, reason), finished_at = $8 WHERE id = $1 AND "
		 "state = 'running' AND owner IS NOT DISTINCT FROM $9", &p, "finish action");
	if (!rc && pg_tx_of(tx)->changes != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not running here", (long long)id);
	return rc;
}

int rbd_pg_rule_counts(PGconn *c, struct rbd_rule_counts *out, const char *rule,
		       const char *key, int64_t now_ms)
{
	int64_t since = now_ms - 3600 * 1000, reset = 0, v = 0;
	struct pg_params p = { 0 };
	char failures[256];
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	rbd_pg_p_text(&p, rule);
	r = rbd_pg_exec(c, "SELECT tripped_at, reset_at FROM rule_state WHERE rule = $1", &p, NULL,
			"rule state");
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0) {
		out->tripped_at = rbd_pg_col_i64(r, 0, 0);
		reset = rbd_pg_col_i64(r, 0, 1);
	}
	PQclear(r);
	rbd_pg_p_i64(&p, since);
	if ((rc = rbd_pg_int(c, "SELECT count(*) FROM actions WHERE rule = $1 AND started_at >= $2",
			     &p, &v, "count runs")))
		return rc;
	out->runs_last_hour = (int)v;
	memset(&p, 0, sizeof(p));
	rbd_pg_states_array(failures, sizeof(failures), offsetof(struct rbd_action_state_info, failure));
	rbd_pg_p_text(&p, rule);
	rbd_pg_p_i64(&p, reset > since ? reset : since);
	rbd_pg_p_text(&p, failures);
	if ((rc = rbd_pg_int(c, "SELECT count(*) FROM actions WHERE rule = $1 AND finished_at >= $2 "
			     "AND state = ANY ($3::text[])", &p, &v, "count failures")))
		return rc;
	out->failures_window = (int)v;
	if (key) {
		memset(&p, 0, sizeof(p));
		rbd_pg_p_text(&p, rule);
		rbd_pg_p_text(&p, key);
		if ((rc = rbd_pg_int(c, "SELECT max(started_at) FROM actions WHERE rule = $1 AND "
				     "command_key = $2 AND started_at IS NOT NULL", &p,
				     &out->last_run_same_key, "last run")))
			return rc;
	}
	/* Every replica's running actions: max_concurrent_actions is global. */
	if ((rc = rbd_pg_int(c, "SELECT count(*) FROM actions WHERE state = 'running'", NULL, &v,
			     "count running")))
		return rc;
	out->running = (int)v;
	return 0;
}

int rbd_pg_tx_rule_counts(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule,
			  const char *command_key, int64_t now_ms)
{
	return rbd_pg_rule_counts(TXC(tx), out, rule, command_key, now_ms);
}

int rbd_pg_tx_after_state(struct rbd_tx *tx, char *out, size_t out_size, const char *rule,
			  int64_t alert_id, int64_t incident_id, bool whole_incident)
{
	struct pg_params p = { 0 };
	PGresult *r;

	out[0] = '\0';
	rbd_pg_p_text(&p, rule);
	rbd_pg_p_i64(&p, alert_id);
	rbd_pg_p_i64(&p, incident_id);
	rbd_pg_p_bool(&p, whole_incident);
	rbd_pg_p_text(&p, rbd_action_state_name(RBD_STATE_SUCCEEDED));
	rbd_pg_p_text(&p, rbd_action_state_name(RBD_STATE_DRY_RUN));
	/* The best outcome of a rule's actions in an episode ($4 false) or incident. */
	r = rbd_pg_exec(TXC(tx), "SELECT state FROM actions WHERE rule = $1 AND CASE WHEN "
			"$4::int = 1 THEN incident_id = $3 ELSE alert_id = $2 END ORDER BY CASE "
			"state WHEN $5 THEN 0 WHEN $6 THEN 1 ELSE 2 END, id DESC LIMIT 1", &p, NULL,
			"after state");
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		snprintf(out, out_size, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int rbd_pg_tx_rule_trip(struct rbd_tx *tx, const char *rule, int64_t now_ms)
{
	struct pg_params p = { 0 };

	rbd_pg_p_text(&p, rule);
	rbd_pg_p_i64(&p, now_ms);
	return run(tx, "INSERT INTO rule_state (rule, tripped_at) VALUES ($1, $2) ON CONFLICT (rule) "
		   "DO UPDATE SET tripped_at = EXCLUDED.tripped_at", &p, "trip rule");
}

int rbd_pg_tx_rule_reset(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms)
{
	struct pg_params p = { 0 };

	rbd_pg_p_text(&p, rule);
	rbd_pg_p_i64(&p, now_ms);
	rbd_pg_p_text(&p, who);
	return run(tx, "INSERT INTO rule_state (rule, tripped_at, reset_at, reset_by) VALUES ($1, "
		   "NULL, $2, $3) ON CONFLICT (rule) DO UPDATE SET tripped_at = NULL, reset_at = "
		   "EXCLUDED.reset_at, reset_by = EXCLUDED.reset_by", &p, "reset rule");
}

int rbd_pg_tx_next_action(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state,
			  int64_t after_id)
{
	struct pg_params p = { 0 };

	rbd_pg_p_text(&p, rbd_action_state_name(state));
	rbd_pg_p_i64(&p, after_id);
	return rbd_pg_int(TXC(tx), "SELECT id FROM actions WHERE state = $1 AND id > $2 ORDER BY id "
			  "LIMIT 1", &p, out_id, "next action");
}

int rbd_pg_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, now_ms);
	rbd_pg_p_text(&p, rbd_action_state_name(RBD_STATE_PENDING_APPROVAL));
	return rbd_pg_ids(TXC(tx), "SELECT id FROM actions WHERE state = $2 AND expires_at IS NOT "
			  "NULL AND expires_at <= $1 ORDER BY id", &p, out, out_n, "expired");
}

/* Start-up recovery: this replica's own running actions only, never a live peer's. */
int rbd_pg_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	struct pg_params p = { 0 };
	int rc;

	rbd_pg_p_text(&p, pg_tx_of(tx)->s->replica);
	rc = rbd_pg_ids(TXC(tx), "SELECT id FROM actions WHERE state = 'running' AND owner IS NOT "
			"DISTINCT FROM $1 ORDER BY id", &p, out, out_n, "running");
	for (size_t i = 0; !rc && i < *out_n; i++)
		rc = rbd_pg_tx_action_transition(tx, (*out)[i], RBD_STATE_RUNNING,
						 RBD_STATE_INTERRUPTED,
						 "runbookd stopped while it was running; not re-run",
						 now_ms);
	return rc;
}

int rbd_pg_tx_setting_set(struct rbd_tx *tx, const char *key, const char *value)
{
	struct pg_params p = { 0 };

	rbd_pg_p_text(&p, key);
	rbd_pg_p_text(&p, value);
	return run(tx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO "
		   "UPDATE SET value = EXCLUDED.value", &p, "set setting");
}

int rbd_pg_tx_setting_get(struct rbd_tx *tx, char **out, const char *key)
{
	struct pg_params p = { 0 };
	PGresult *r;

	*out = NULL;
	rbd_pg_p_text(&p, key);
	r = rbd_pg_exec(TXC(tx), "SELECT value FROM settings WHERE key = $1", &p, NULL, "get setting");
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0)
		*out = rbd_pg_col_text(r, 0, 0);
	PQclear(r);
	return 0;
}

int64_t rbd_pg_tx_incident_of_action(struct rbd_tx *tx, int64_t action_id)
{
	struct pg_params p = { 0 };
	int64_t id = 0;

	rbd_pg_p_i64(&p, action_id);
	rbd_pg_int(TXC(tx), "SELECT incident_id FROM actions WHERE id = $1", &p, &id,
		   "incident of action");
	return id;
}

int rbd_pg_tx_action_set_process(struct rbd_tx *tx, int64_t id, int64_t pgid, int64_t start)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, id);
	rbd_pg_p_i64(&p, pgid);
	rbd_pg_p_i64(&p, start);
	return run(tx, "UPDATE actions SET pgid = $2, proc_start = $3 WHERE id = $1 AND state = "
		   "'running'", &p, "record process group");
}

int rbd_pg_tx_action_process(struct rbd_tx *tx, int64_t id, int64_t *pgid, int64_t *start)
{
	struct pg_params p = { 0 };
	PGresult *r;

	*pgid = *start = 0;
	rbd_pg_p_i64(&p, id);
	r = rbd_pg_exec(TXC(tx), "SELECT pgid, proc_start FROM actions WHERE id = $1", &p, NULL,
			"process group");
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0) {
		*pgid = rbd_pg_col_i64(r, 0, 0);
		*start = rbd_pg_col_i64(r, 0, 1);
	}
	PQclear(r);
	return 0;
}

int rbd_pg_tx_action_mark_dry_run(struct rbd_tx *tx, int64_t id)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, id);
	return run(tx, "UPDATE actions SET dry_run = 1 WHERE id = $1", &p, "mark dry-run");
}
