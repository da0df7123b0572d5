/*
 * store_read: reads on the pool of read-only connections; they see the last commit.
 */
#include "store_internal.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int rbd_sq_store_setting_get(struct rbd_store *s, char **out, const char *key)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, ST_SETTING_GET);
	int rc = RBD_EUNAVAIL;

	*out = NULL;
	if (st) {
		rbd_store_bind_text(st, 1, key);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*out = rbd_store_col_text(st, 0);
		rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : rbd_store_db_error(c->db, rc, "get setting");
		sqlite3_reset(st);
	}
	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_open_incident(struct rbd_store *s, int64_t *out_id, const char *group_key)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, ST_INC_OPEN);
	int rc = RBD_EUNAVAIL;

	*out_id = 0;
	if (st) {
		rbd_store_bind_text(st, 1, group_key);
		rc = rbd_store_step_int(c, st, out_id, "find open incident");
	}
	rbd_store_reader_put(s, c);
	return rc;
}

static void read_incident(sqlite3_stmt *st, struct rbd_incident *x)
{
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(st, 0);
	x->status = rbd_store_col_text(st, 1);
	x->group_key = rbd_store_col_text(st, 2);
	x->title = rbd_store_col_text(st, 3);
	x->opened_ms = sqlite3_column_int64(st, 4);
	x->resolved_ms = sqlite3_column_int64(st, 5);
}

int rbd_sq_store_incidents(struct rbd_store *s, struct rbd_incident **out, size_t *out_n,
			int64_t *out_total, const char *status, int64_t limit, int64_t offset)
{
	struct conn *c = rbd_store_reader_get(s);
	struct rbd_incident *list = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	int rc = RBD_EUNAVAIL;

	*out = NULL;
	*out_n = 0;
	if (limit < 1 || limit > 100000 || offset < 0) {
		rbd_store_reader_put(s, c);
		return rbd_err_set(RBD_EINVAL, "limit must be 1 to 100000 and offset not negative");
	}
	st = rbd_store_stmt(c, status ? ST_INC_COUNT_STATUS : ST_INC_COUNT);
	if (!st)
		goto done;
	rbd_store_bind_text(st, 1, status);
	if ((rc = rbd_store_step_int(c, st, out_total, "count incidents")))
		goto done;
	rc = RBD_EUNAVAIL;
	if (!(st = rbd_store_stmt(c, status ? ST_INC_LIST_STATUS : ST_INC_LIST)))
		goto done;
	rbd_store_bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	list = rbd_calloc((size_t)(limit > 0 ? limit : 1), sizeof(*list));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < (size_t)limit)
		read_incident(st, &list[n++]);
	sqlite3_reset(st);
	rc = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : rbd_store_db_error(c->db, rc, "list incidents");
	*out = list;
	*out_n = n;
done:
	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_incident(struct rbd_store *s, struct rbd_incident *out, int64_t id)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, ST_INC_GET);
	int rc = RBD_EUNAVAIL;

	memset(out, 0, sizeof(*out));
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			read_incident(st, out);
			rc = 0;
		} else if (rc == SQLITE_DONE) {
			rc = rbd_err_set(RBD_ENOTFOUND, "no incident %lld", (long long)id);
		} else {
			rc = rbd_store_db_error(c->db, rc, "get incident");
		}
		sqlite3_reset(st);
	}
	rbd_store_reader_put(s, c);
	return rc;
}

static int read_alerts(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n,
		       enum stmt_id id, int64_t incident_id)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, id);
	struct rbd_alert_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc = RBD_EUNAVAIL;

	if (!st)
		goto done;
	if (incident_id)
		sqlite3_bind_int64(st, 1, incident_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rbd_alert_rec *a;

		if (n == cap)
			list = rbd_realloc(list, (cap = cap ? cap * 2 : 8) * sizeof(*list));
		a = &list[n++];
		memset(a, 0, sizeof(*a));
		a->id = sqlite3_column_int64(st, 0);
		a->incident_id = sqlite3_column_int64(st, 1);
		a->fingerprint = rbd_store_col_text(st, 2);
		a->starts_ms = sqlite3_column_int64(st, 3);
		a->ends_ms = sqlite3_column_int64(st, 4);
		a->status = rbd_store_col_text(st, 5);
		a->labels_json = rbd_store_col_text(st, 6);
		a->annotations_json = rbd_store_col_text(st, 7);
		a->first_seen_ms = sqlite3_column_int64(st, 8);
		a->last_seen_ms = sqlite3_column_int64(st, 9);
	}
	sqlite3_reset(st);
	rc = (rc == SQLITE_DONE) ? 0 : rbd_store_db_error(c->db, rc, "list alerts");
done:
	*out = list;
	*out_n = n;
	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_alerts(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n,
		     int64_t incident_id)
{
	return read_alerts(s, out, out_n, ST_ALERTS, incident_id);
}

int rbd_sq_store_open_firing(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n)
{
	return read_alerts(s, out, out_n, ST_OPEN_FIRING, 0);
}

int rbd_sq_store_actions(struct rbd_store *s, struct rbd_action_rec **out, size_t *out_n,
		      int64_t incident_id, const char *state, int64_t limit)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, incident_id ? ST_ACTIONS_INCIDENT : ST_ACTIONS);
	struct rbd_action_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc = RBD_EUNAVAIL;

	if (!st)
		goto done;
	sqlite3_bind_int64(st, 1, incident_id);
	rbd_store_bind_text(st, 2, state);
	sqlite3_bind_int64(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap)
			list = rbd_realloc(list, (cap = cap ? cap * 2 : 8) * sizeof(*list));
		rbd_store_read_action(st, &list[n++]);
	}
	sqlite3_reset(st);
	rc = (rc == SQLITE_DONE) ? 0 : rbd_store_db_error(c->db, rc, "list actions");
done:
	*out = list;
	*out_n = n;
	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_action(struct rbd_store *s, struct rbd_action_rec *out, int64_t id)
{
	struct conn *c = rbd_store_reader_get(s);
	int rc = rbd_store_get_action(c, out, id);

	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_action_alert_resolved(struct rbd_store *s, bool *out, int64_t action_id)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, ST_ACT_ALERT_RESOLVED);
	int64_t v = 0;
	int rc = RBD_EUNAVAIL;

	if (st) {
		sqlite3_bind_int64(st, 1, action_id);
		rc = rbd_store_step_int(c, st, &v, "alert of action");
	}
	*out = !rc && v == 1;
	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_rule_stats(struct rbd_store *s, struct rbd_rule_stats *out, const char *rule,
			 int64_t now_ms)
{
	struct conn *c = rbd_store_reader_get(s);
	struct rbd_rule_counts rc_;
	int rc = rbd_store_rule_counts(c, &rc_, rule, NULL, now_ms);

	memset(out, 0, sizeof(*out));
	if (!rc) {
		out->runs_last_hour = rc_.runs_last_hour;
		out->failures_last_hour = rc_.failures_window;
		out->tripped_at = rc_.tripped_at;
	}
	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_action_state_counts(struct rbd_store *s,
				  void (*fn)(void *ctx, const char *state, int64_t n), void *ctx)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, ST_STATE_COUNTS);
	int rc = RBD_EUNAVAIL;

	if (st) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
		sqlite3_reset(st);
		rc = (rc == SQLITE_DONE) ? 0 : rbd_store_db_error(c->db, rc, "count actions");
	}
	rbd_store_reader_put(s, c);
	return rc;
}

int rbd_sq_store_gauges(struct rbd_store *s, struct rbd_store_gauges *out)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, ST_GAUGES);
	int rc = RBD_EUNAVAIL;

	memset(out, 0, sizeof(*out));
	if (st) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			out->open_incidents = sqlite3_column_int64(st, 0);
			out->oldest_pending_ms = sqlite3_column_int64(st, 1);
			out->tripped_rules = sqlite3_column_int64(st, 2);
			rc = 0;
		} else {
			rc = rbd_store_db_error(c->db, rc, "gauges");
		}
		sqlite3_reset(st);
	}
	rbd_store_reader_put(s, c);
	return rc;
}

struct rbd_event_iter {
	const struct rbd_store_ops *ops;   /* first: store_backend.h */
	struct rbd_store *s;
	struct conn *c;
	sqlite3_stmt *st;
	struct rbd_event ev;
};

int rbd_sq_store_events_open(struct rbd_store *s, struct rbd_event_iter **out,
			  const struct rbd_incident *inc)
{
	struct rbd_event_iter *it = rbd_calloc(1, sizeof(*it));
	int64_t end = inc->resolved_ms ? inc->resolved_ms : INT64_MAX;

	it->ops = &rbd_store_sq_ops;
	it->s = s;
	it->c = rbd_store_reader_get(s);
	/* Not cached: an export holds it across many steps. */
	if (sqlite3_prepare_v2(it->c->db,
			       RBD_STORE_EVENTS_SQL, -1, &it->st, NULL) != SQLITE_OK) {
		int rc = rbd_store_db_error(it->c->db, SQLITE_ERROR, "events");

		rbd_store_events_close(it);
		return rc;
	}
	sqlite3_bind_int64(it->st, 1, inc->id);
	sqlite3_bind_int64(it->st, 2, inc->opened_ms);
	sqlite3_bind_int64(it->st, 3, end);
	*out = it;
	return 0;
}

int rbd_sq_store_events_next(struct rbd_event_iter *it, const struct rbd_event **ev)
{
	int rc;

	rbd_event_clear(&it->ev);
	rc = sqlite3_step(it->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return rbd_store_db_error(it->c->db, rc, "read events");
	it->ev.id = sqlite3_column_int64(it->st, 0);
	it->ev.incident_id = sqlite3_column_int64(it->st, 1);
	it->ev.ts_ms = sqlite3_column_int64(it->st, 2);
	it->ev.kind = rbd_store_col_text(it->st, 3);
	it->ev.actor = rbd_store_col_text(it->st, 4);
	it->ev.action_id = sqlite3_column_int64(it->st, 5);
	it->ev.detail_json = rbd_store_col_text(it->st, 6);
	*ev = &it->ev;
	return 1;
}

int rbd_sq_store_events_rewind(struct rbd_event_iter *it)
{
	sqlite3_reset(it->st);
	return 0;
}

void rbd_sq_store_events_close(struct rbd_event_iter *it)
{
	if (!it)
		return;
	rbd_event_clear(&it->ev);
	sqlite3_finalize(it->st);
	rbd_store_reader_put(it->s, it->c);
	free(it);
}

int rbd_sq_store_decisions(struct rbd_store *s, struct rbd_decision **out, size_t *out_n,
			int64_t *out_expires_ms, int64_t action_id)
{
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = rbd_store_stmt(c, ST_DECISIONS);
	struct rbd_decision *list = NULL;
	size_t n = 0, cap = 0;
	int rc = RBD_EUNAVAIL;

	*out_expires_ms = 0;
	if (!st)
		goto done;
	sqlite3_bind_int64(st, 1, action_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap)
			list = rbd_realloc(list, (cap = cap ? cap * 2 : 4) * sizeof(*list));
		list[n].operator_name = rbd_store_col_text(st, 0);
		list[n].decision = rbd_store_col_text(st, 1);
		list[n].comment = rbd_store_col_text(st, 2);
		list[n++].ts_ms = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	rc = (rc == SQLITE_DONE) ? 0 : rbd_store_db_error(c->db, rc, "list decisions");
	st = rc ? NULL : rbd_store_stmt(c, ST_ACT_EXPIRES);
	if (st) {
		sqlite3_bind_int64(st, 1, action_id);
		rc = rbd_store_step_int(c, st, out_expires_ms, "action expiry");
	}
done:
	*out = list;
	*out_n = n;
	rbd_store_reader_put(s, c);
	return rc;
}

void rbd_decisions_free(struct rbd_decision *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].operator_name);
		free(v[i].decision);
		free(v[i].comment);
	}
	free(v);
}
