/*
 * store_pg_read: reads on PostgreSQL, on a small pool of connections (each reconnected
 * when it was lost); they see the last committed state of every replica.
 */
#include "store_pg_internal.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rbd_pg_store_setting_get(struct rbd_store *bs, char **out, const char *key)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	PGresult *r;

	*out = NULL;
	rbd_pg_p_text(&p, key);
	r = rbd_pg_exec(c, "SELECT value FROM settings WHERE key = $1", &p, NULL, "get setting");
	rbd_pg_reader_put(s, c);
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0)
		*out = rbd_pg_col_text(r, 0, 0);
	PQclear(r);
	return 0;
}

static void read_incident(const PGresult *r, int row, struct rbd_incident *x)
{
	memset(x, 0, sizeof(*x));
	x->id = rbd_pg_col_i64(r, row, 0);
	x->status = rbd_pg_col_text(r, row, 1);
	x->group_key = rbd_pg_col_text(r, row, 2);
	x->title = rbd_pg_col_text(r, row, 3);
	x->opened_ms = rbd_pg_col_i64(r, row, 4);
	x->resolved_ms = rbd_pg_col_i64(r, row, 5);
}

int rbd_pg_store_incidents(struct rbd_store *bs, struct rbd_incident **out, size_t *out_n,
			   int64_t *out_total, const char *status, int64_t limit, int64_t offset)
{
	struct pg_store *s = pg_store_of(bs);
	struct pg_params p = { 0 };
	PGconn *c;
	PGresult *r;
	int rc;

	*out = NULL;
	*out_n = 0;
	if (limit < 1 || limit > 100000 || offset < 0)
		return rbd_err_set(RBD_EINVAL, "limit must be 1 to 100000 and offset not negative");
	c = rbd_pg_reader_get(s);
	rbd_pg_p_text(&p, status);
	rc = rbd_pg_int(c, "SELECT count(*) FROM incidents WHERE $1::text IS NULL OR status = $1",
			&p, out_total, "count incidents");
	rbd_pg_p_i64(&p, limit);
	rbd_pg_p_i64(&p, offset);
	r = rc ? NULL : rbd_pg_exec(c, "SELECT " PG_INC_COLS " FROM incidents WHERE $1::text IS NULL "
				    "OR status = $1 ORDER BY id DESC LIMIT $2 OFFSET $3", &p, NULL,
				    "list incidents");
	rbd_pg_reader_put(s, c);
	if (rc)
		return rc;
	if (!r)
		return rbd_pg_last_error();
	*out = rbd_calloc((size_t)PQntuples(r) + 1, sizeof(**out));
	for (int i = 0; i < PQntuples(r); i++)
		read_incident(r, i, &(*out)[i]);
	*out_n = (size_t)PQntuples(r);
	PQclear(r);
	return 0;
}

int rbd_pg_store_incident(struct rbd_store *bs, struct rbd_incident *out, int64_t id)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	PGresult *r;
	int found;

	memset(out, 0, sizeof(*out));
	rbd_pg_p_i64(&p, id);
	r = rbd_pg_exec(c, "SELECT " PG_INC_COLS " FROM incidents WHERE id = $1", &p, NULL,
			"get incident");
	rbd_pg_reader_put(s, c);
	if (!r)
		return rbd_pg_last_error();
	found = PQntuples(r) > 0;
	if (found)
		read_incident(r, 0, out);
	PQclear(r);
	return found ? 0 : rbd_err_set(RBD_ENOTFOUND, "no incident %lld", (long long)id);
}

static int read_alerts(struct pg_store *s, struct rbd_alert_rec **out, size_t *out_n,
		       const char *sql, int64_t incident_id)
{
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	PGresult *r;
	int n;

	*out = NULL;
	*out_n = 0;
	if (incident_id)
		rbd_pg_p_i64(&p, incident_id);
	r = rbd_pg_exec(c, sql, &p, NULL, "list alerts");
	rbd_pg_reader_put(s, c);
	if (!r)
		return rbd_pg_last_error();
	n = PQntuples(r);
	*out = n ? rbd_calloc((size_t)n, sizeof(**out)) : NULL;
	for (int i = 0; i < n; i++) {
		struct rbd_alert_rec *a = &(*out)[i];

		a->id = rbd_pg_col_i64(r, i, 0);
		a->incident_id = rbd_pg_col_i64(r, i, 1);
		a->fingerprint = rbd_pg_col_text(r, i, 2);
		a->starts_ms = rbd_pg_col_i64(r, i, 3);
		a->ends_ms = rbd_pg_col_i64(r, i, 4);
		a->status = rbd_pg_col_text(r, i, 5);
		a->labels_json = rbd_pg_col_text(r, i, 6);
		a->annotations_json = rbd_pg_col_text(r, i, 7);
		a->first_seen_ms = rbd_pg_col_i64(r, i, 8);
		a->last_seen_ms = rbd_pg_col_i64(r, i, 9);
	}
	*out_n = (size_t)n;
	PQclear(r);
	return 0;
}

int rbd_pg_store_alerts(struct rbd_store *bs, struct rbd_alert_rec **out, size_t *out_n,
			int64_t incident_id)
{
	return read_alerts(pg_store_of(bs), out, out_n, "SELECT " PG_ALERT_COLS " FROM alerts a "
			   "WHERE a.incident_id = $1 ORDER BY a.id", incident_id);
}

int rbd_pg_store_open_firing(struct rbd_store *bs, struct rbd_alert_rec **out, size_t *out_n)
{
	return read_alerts(pg_store_of(bs), out, out_n, "SELECT " PG_ALERT_COLS " FROM alerts a "
			   "JOIN incidents i ON i.id = a.incident_id WHERE i.status = 'open' AND "
			   "a.status = 'firing' ORDER BY a.id", 0);
}

int rbd_pg_store_actions(struct rbd_store *bs, struct rbd_action_rec **out, size_t *out_n,
			 int64_t incident_id, const char *state, int64_t limit)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	PGresult *r;
	int n;

	*out = NULL;
	*out_n = 0;
	rbd_pg_p_i64(&p, incident_id);
	rbd_pg_p_text(&p, state);
	rbd_pg_p_i64(&p, limit);
	r = rbd_pg_exec(c, "SELECT " PG_ACT_COLS " FROM actions WHERE ($1::bigint = 0 OR "
			"incident_id = $1) AND ($2::text IS NULL OR state = $2) ORDER BY id DESC "
			"LIMIT $3", &p, NULL, "list actions");
	rbd_pg_reader_put(s, c);
	if (!r)
		return rbd_pg_last_error();
	n = PQntuples(r);
	*out = n ? rbd_calloc((size_t)n, sizeof(**out)) : NULL;
	for (int i = 0; i < n; i++)
		rbd_pg_read_action(r, i, &(*out)[i]);
	*out_n = (size_t)n;
	PQclear(r);
	return 0;
}

int rbd_pg_store_action(struct rbd_store *bs, struct rbd_action_rec *out, int64_t id)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	int rc = rbd_pg_get_action(c, out, id);

	rbd_pg_reader_put(s, c);
	return rc;
}

int rbd_pg_store_action_alert_resolved(struct rbd_store *bs, bool *out, int64_t action_id)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	int64_t v = 0;
	int rc;

	rbd_pg_p_i64(&p, action_id);
	rc = rbd_pg_int(c, "SELECT CASE WHEN e.status = 'resolved' THEN 1 ELSE 0 END FROM actions x "
			"JOIN alerts e ON e.id = x.alert_id WHERE x.id = $1", &p, &v, "alert of action");
	rbd_pg_reader_put(s, c);
	*out = !rc && v == 1;
	return rc;
}

int rbd_pg_store_rule_stats(struct rbd_store *bs, struct rbd_rule_stats *out, const char *rule,
			    int64_t now_ms)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct rbd_rule_counts k;
	int rc = rbd_pg_rule_counts(c, &k, rule, NULL, now_ms);

	rbd_pg_reader_put(s, c);
	memset(out, 0, sizeof(*out));
	if (!rc) {
		out->runs_last_hour = k.runs_last_hour;
		out->failures_last_hour = k.failures_window;
		out->tripped_at = k.tripped_at;
	}
	return rc;
}

int rbd_pg_store_action_state_counts(struct rbd_store *bs,
				     void (*fn)(void *ctx, const char *state, int64_t n), void *ctx)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	PGresult *r = rbd_pg_exec(c, "SELECT state, count(*) FROM actions GROUP BY state", NULL, NULL,
				  "count actions");

	rbd_pg_reader_put(s, c);
	if (!r)
		return rbd_pg_last_error();
	for (int i = 0; i < PQntuples(r); i++)
		fn(ctx, PQgetvalue(r, i, 0), rbd_pg_col_i64(r, i, 1));
	PQclear(r);
	return 0;
}

/* The timeline is read in one query and iterated from the result. */
struct pg_event_iter {
	const struct rbd_store_ops *ops;   /* first: store_backend.h */
	PGresult *r;
	int row;
	struct rbd_event ev;
};

int rbd_pg_store_events_open(struct rbd_store *bs, struct rbd_event_iter **out,
			     const struct rbd_incident *inc)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	struct pg_event_iter *it;
	PGresult *r;

	*out = NULL;
	rbd_pg_p_i64(&p, inc->id);
	rbd_pg_p_i64(&p, inc->opened_ms);
	rbd_pg_p_i64(&p, inc->resolved_ms ? inc->resolved_ms : INT64_MAX);
	r = rbd_pg_exec(c, "SELECT id, incident_id, ts, kind, actor, action_id, detail FROM events "
			"WHERE incident_id = $1 OR (incident_id IS NULL AND ts >= $2 AND ts <= $3) "
			"ORDER BY id", &p, NULL, "events");
	rbd_pg_reader_put(s, c);
	if (!r)
		return rbd_pg_last_error();
	it = rbd_calloc(1, sizeof(*it));
	it->ops = &rbd_store_pg_ops;
	it->r = r;
	*out = (struct rbd_event_iter *)(void *)it;
	return 0;
}

int rbd_pg_store_events_next(struct rbd_event_iter *bit, const struct rbd_event **ev)
{
	struct pg_event_iter *it = (struct pg_event_iter *)(void *)bit;
	int i = it->row;

	rbd_event_clear(&it->ev);
	if (i >= PQntuples(it->r))
		return 0;
	it->ev.id = rbd_pg_col_i64(it->r, i, 0);
	it->ev.incident_id = rbd_pg_col_i64(it->r, i, 1);
	it->ev.ts_ms = rbd_pg_col_i64(it->r, i, 2);
	it->ev.kind = rbd_pg_col_text(it->r, i, 3);
	it->ev.actor = rbd_pg_col_text(it->r, i, 4);
	it->ev.action_id = rbd_pg_col_i64(it->r, i, 5);
	it->ev.detail_json = rbd_pg_col_text(it->r, i, 6);
	it->row++;
	*ev = &it->ev;
	return 1;
}

int rbd_pg_store_events_rewind(struct rbd_event_iter *bit)
{
	((struct pg_event_iter *)(void *)bit)->row = 0;
	return 0;
}

void rbd_pg_store_events_close(struct rbd_event_iter *bit)
{
	struct pg_event_iter *it = (struct pg_event_iter *)(void *)bit;

	rbd_event_clear(&it->ev);
	PQclear(it->r);
	free(it);
}

int rbd_pg_store_decisions(struct rbd_store *bs, struct rbd_decision **out, size_t *out_n,
			   int64_t *out_expires_ms, int64_t action_id)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	PGresult *r;
	int rc, n;

	*out = NULL;
	*out_n = 0;
	*out_expires_ms = 0;
	rbd_pg_p_i64(&p, action_id);
	r = rbd_pg_exec(c, "SELECT operator, decision, comment, ts FROM approvals WHERE action_id = $1 "
			"ORDER BY ts, operator", &p, NULL, "list decisions");
	rc = r ? rbd_pg_int(c, "SELECT expires_at FROM actions WHERE id = $1", &p, out_expires_ms,
			    "action expiry") : rbd_pg_last_error();
	rbd_pg_reader_put(s, c);
	if (!r)
		return rc;
	n = PQntuples(r);
	*out = n ? rbd_calloc((size_t)n, sizeof(**out)) : NULL;
	for (int i = 0; i < n; i++) {
		(*out)[i].operator_name = rbd_pg_col_text(r, i, 0);
		(*out)[i].decision = rbd_pg_col_text(r, i, 1);
		(*out)[i].comment = rbd_pg_col_text(r, i, 2);
		(*out)[i].ts_ms = rbd_pg_col_i64(r, i, 3);
	}
	*out_n = (size_t)n;
	PQclear(r);
	return rc;
}

int rbd_pg_store_open_incident(struct rbd_store *bs, int64_t *out_id, const char *group_key)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	struct pg_params p = { 0 };
	int rc;

	rbd_pg_p_text(&p, group_key);
	rc = rbd_pg_int(c, "SELECT id FROM incidents WHERE group_key = $1 AND status = 'open'", &p,
			out_id, "find open incident");
	rbd_pg_reader_put(s, c);
	return rc;
}

int rbd_pg_store_gauges(struct rbd_store *bs, struct rbd_store_gauges *out)
{
	struct pg_store *s = pg_store_of(bs);
	PGconn *c = rbd_pg_reader_get(s);
	PGresult *r = rbd_pg_exec(c, "SELECT (SELECT count(*) FROM incidents WHERE status = 'open'), "
				  "(SELECT min(created_at) FROM actions WHERE state = 'pending_approval'), "
				  "(SELECT count(*) FROM rule_state WHERE tripped_at IS NOT NULL)", NULL,
				  NULL, "gauges");

	rbd_pg_reader_put(s, c);
	memset(out, 0, sizeof(*out));
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0) {
		out->open_incidents = rbd_pg_col_i64(r, 0, 0);
		out->oldest_pending_ms = rbd_pg_col_i64(r, 0, 1);
		out->tripped_rules = rbd_pg_col_i64(r, 0, 2);
	}
	PQclear(r);
	return 0;
}
