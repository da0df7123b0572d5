/*
 * store: SQLite persistence with a group-committing writer thread.
 *
 * Must never: build SQL from data (bound parameters only), acknowledge a write before
 * its COMMIT returned, or let a failing job's writes reach the database.
 */
#include "store_internal.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/migrate.h"
#include "runbookd/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INC_COLS "id, status, group_key, title, opened_at, resolved_at"
#define ACT_COLS "id, incident_id, alert_id, rule, action, kind, state, rendered, dry_run, " \
	"requires_approval, approvals_needed, decided_by, reason, exit_code, term_signal, " \
	"output, result, created_at, started_at, finished_at, expires_at, " \
	"(SELECT count(*) FROM approvals p WHERE p.action_id = actions.id AND p.decision = 'approve'), " \
	"(SELECT p.comment FROM approvals p WHERE p.action_id = actions.id AND p.comment IS NOT NULL " \
	"ORDER BY p.ts DESC, p.operator DESC LIMIT 1)"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_EVENT_ADD] = "INSERT INTO events (incident_id, ts, kind, actor, action_id, detail) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_INC_OPEN] = "SELECT id FROM incidents WHERE group_key = ?1 AND status = 'open'",
	[ST_INC_LATEST] = "SELECT id FROM incidents WHERE group_key = ?1 ORDER BY id DESC LIMIT 1",
	[ST_INC_CREATE] = "INSERT INTO incidents (group_key, status, title, receiver, group_labels, "
		"opened_at) VALUES (?1, 'open', ?2, ?3, ?4, ?5)",
	[ST_INC_RESOLVE] = "UPDATE incidents SET status = 'resolved', resolved_at = ?2 "
		"WHERE id = ?1 AND status = 'open'",
	[ST_INC_UNRESOLVED] = "SELECT count(*) FROM alerts WHERE incident_id = ?1 AND status = 'firing'",
	[ST_NOTIF_ADD] = "INSERT INTO notifications (incident_id, received_at, group_key, status, "
		"receiver, n_alerts, truncated_alerts, changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_EP_GET] = "SELECT id, incident_id, status FROM alerts WHERE fingerprint = ?1 AND starts_ns = ?2",
	[ST_EP_INSERT] = "INSERT INTO alerts (incident_id, fingerprint, starts_ns, starts_at, ends_at, "
		"status, labels, annotations, generator_url, first_seen, last_seen) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
	[ST_EP_TOUCH] = "UPDATE alerts SET last_seen = ?2 WHERE id = ?1",
	[ST_EP_RESOLVE] = "UPDATE alerts SET status = 'resolved', ends_at = ?2, last_seen = ?3 "
		"WHERE id = ?1 AND status = 'firing'",
	[ST_EP_FIRING] = "SELECT id FROM alerts WHERE incident_id = ?1 AND status = 'firing' ORDER BY id",
	[ST_ACT_INSERT] = "INSERT OR IGNORE INTO actions (incident_id, alert_id, rule, on_status, action, "
		"kind, state, rendered, command_key, dry_run, requires_approval, approvals_needed, reason, "
		"created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
		"?14, ?15)",
	[ST_ACT_TRANSITION] = "UPDATE actions SET state = ?3, reason = coalesce(?4, reason), "
		"finished_at = CASE WHEN ?5 THEN ?6 ELSE finished_at END WHERE id = ?1 AND state = ?2",
	/* ?2..?5: the waiting states (rbd_store_bind_states), NULL where fewer */
	[ST_ACT_CANCEL_SELECT] = "SELECT id, state FROM actions WHERE alert_id = ?1 AND state IN "
		"(?2, ?3, ?4, ?5) ORDER BY id",
	[ST_ACT_GET] = "SELECT " ACT_COLS " FROM actions WHERE id = ?1",
	[ST_APPROVAL_ADD] = "INSERT OR IGNORE INTO approvals (action_id, operator, decision, comment, ts) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_APPROVAL_COUNT] = "SELECT count(*), group_concat(operator, ',') FROM (SELECT operator "
		"FROM approvals WHERE action_id = ?1 AND decision = 'approve' ORDER BY ts, operator)",
	[ST_ACT_DECIDED_BY] = "UPDATE actions SET decided_by = ?2 WHERE id = ?1",
	[ST_ACT_START] = "UPDATE actions SET state = ?4, started_at = ?3 WHERE id = ?1 AND state = ?2",
	[ST_ACT_FINISH] = "UPDATE actions SET state = ?2, exit_code = ?3, term_signal = ?4, output = ?5, "
		"result = ?6, reason = coalesce(?7, reason), finished_at = ?8 WHERE id = ?1 AND state = ?9",
	[ST_ACT_DRY_RUN] = "UPDATE actions SET dry_run = 1 WHERE id = ?1",
	[ST_ACT_SET_PROCESS] = "UPDATE actions SET pgid = ?2, proc_start = ?3 WHERE id = ?1 "
		"AND state = 'running'",
	[ST_ACT_GET_PROCESS] = "SELECT pgid, proc_start FROM actions WHERE id = ?1",
	[ST_RULE_RUNS] = "SELECT count(*) FROM actions WHERE rule = ?1 AND started_at >= ?2",
	[ST_RULE_FAILS] = "SELECT count(*) FROM actions WHERE rule = ?1 AND finished_at >= ?2 "
		"AND state IN (?3, ?4, ?5, ?6)",     /* the failure states */
	[ST_RULE_LAST_KEY] = "SELECT max(started_at) FROM actions WHERE rule = ?1 AND command_key = ?2 "
		"AND started_at IS NOT NULL",
	[ST_RULE_STATE] = "SELECT tripped_at, reset_at FROM rule_state WHERE rule = ?1",
	[ST_RULE_TRIP] = "INSERT INTO rule_state (rule, tripped_at) VALUES (?1, ?2) "
		"ON CONFLICT (rule) DO UPDATE SET tripped_at = ?2",
	[ST_RULE_RESET] = "INSERT INTO rule_state (rule, tripped_at, reset_at, reset_by) "
		"VALUES (?1, NULL, ?2, ?3) ON CONFLICT (rule) DO UPDATE SET tripped_at = NULL, "
		"reset_at = ?2, reset_by = ?3",
	[ST_RUNNING] = "SELECT count(*) FROM actions WHERE state = ?1",
	[ST_ACT_ALERT_RESOLVED] = "SELECT e.status = 'resolved' FROM actions x JOIN alerts e "
		"ON e.id = x.alert_id WHERE x.id = ?1",
	/* The best outcome of a rule's actions in an episode (?4 = 0) or incident (?4 = 1). */
	[ST_AFTER_STATE] = "SELECT state FROM actions WHERE rule = ?1 AND "
		"CASE WHEN ?4 THEN incident_id = ?3 ELSE alert_id = ?2 END "
		"ORDER BY CASE state WHEN ?5 THEN 0 WHEN ?6 THEN 1 ELSE 2 END, id DESC "
		"LIMIT 1",
	[ST_NEXT_ACTION] = "SELECT id FROM actions WHERE state = ?1 AND id > ?2 ORDER BY id LIMIT 1",
	[ST_EXPIRED] = "SELECT id FROM actions WHERE state = ?2 AND expires_at IS NOT NULL "
		"AND expires_at <= ?1 ORDER BY id",
	[ST_RUNNING_IDS] = "SELECT id FROM actions WHERE state = ?1 ORDER BY id",
	[ST_SETTING_SET] = "INSERT INTO settings (key, value) VALUES (?1, ?2) "
		"ON CONFLICT (key) DO UPDATE SET value = ?2",
	[ST_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[ST_INC_EXISTS] = "SELECT count(*) FROM incidents WHERE id = ?1",
	[ST_ACT_INCIDENT] = "SELECT incident_id FROM actions WHERE id = ?1",
	[ST_INC_LIST] = "SELECT " INC_COLS " FROM incidents ORDER BY id DESC LIMIT ?2 OFFSET ?3",
	[ST_INC_LIST_STATUS] = "SELECT " INC_COLS " FROM incidents WHERE status = ?1 "
		"ORDER BY id DESC LIMIT ?2 OFFSET ?3",
	[ST_INC_COUNT] = "SELECT count(*) FROM incidents",
	[ST_INC_COUNT_STATUS] = "SELECT count(*) FROM incidents WHERE status = ?1",
	[ST_INC_GET] = "SELECT " INC_COLS " FROM incidents WHERE id = ?1",
	[ST_ALERTS] = "SELECT id, incident_id, fingerprint, starts_at, ends_at, status, labels, "
		"annotations, first_seen, last_seen FROM alerts WHERE incident_id = ?1 ORDER BY id",
	/* all actions, newest first; an incident's through its index (an OR with
	 * "?1 = 0" would scan the whole table for an old incident) */
	[ST_ACTIONS] = "SELECT " ACT_COLS " FROM actions WHERE (?1 = 0 OR incident_id = ?1) "
		"AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3",
	[ST_ACTIONS_INCIDENT] = "SELECT " ACT_COLS " FROM actions WHERE incident_id = ?1 "
		"AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3",
	[ST_OPEN_FIRING] = "SELECT a.id, a.incident_id, a.fingerprint, a.starts_at, a.ends_at, a.status, "
		"a.labels, a.annotations, a.first_seen, a.last_seen FROM alerts a JOIN incidents i "
		"ON i.id = a.incident_id WHERE i.status = 'open' AND a.status = 'firing' ORDER BY a.id",
	[ST_STATE_COUNTS] = "SELECT state, count(*) FROM actions GROUP BY state",
	[ST_DECISIONS] = "SELECT operator, decision, comment, ts FROM approvals WHERE action_id = ?1 "
		"ORDER BY ts, operator",
	[ST_ACT_EXPIRES] = "SELECT expires_at FROM actions WHERE id = ?1",
	/* Index lookups only (incidents_status, actions_state): cheap on every scrape. */
	[ST_GAUGES] = "SELECT (SELECT count(*) FROM incidents WHERE status = 'open'), "
		"(SELECT min(created_at) FROM actions WHERE state = 'pending_approval'), "
		"(SELECT count(*) FROM rule_state WHERE tripped_at IS NOT NULL)",
};

const char *rbd_store_sql(size_t i)
{
	if (i < ST_COUNT)
		return stmt_sql[i];
	return i == ST_COUNT ? RBD_STORE_EVENTS_SQL : NULL;
}

/* ---- connections and statements ---- */

int rbd_store_db_error(sqlite3 *db, int rc, const char *what)
{
	int code = (rc == SQLITE_CONSTRAINT) ? RBD_ECONFLICT : RBD_EUNAVAIL;

	return rbd_err_set(code, "%s: %s", what, db && sqlite3_errcode(db) == rc ?
			   sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* ---- test-only fault injection ---- */

/*
 * The code the writer's next statement must fail with, or SQLITE_OK. A disk-full or
 * I/O error also rolls the open transaction back, as SQLite may do on its own.
 */
static int fault_take(struct conn *c)
{
	struct fault *f = c->fault;
	int n, at, left, code;

	if (!f || !(at = atomic_load(&f->at)))
		return SQLITE_OK;
	n = atomic_fetch_add(&f->seen, 1) + 1;
	left = atomic_load(&f->left);
	if (n < at || (left >= 0 && n >= at + left))
		return SQLITE_OK;
	code = atomic_load(&f->code);
	atomic_fetch_add(&f->hits, 1);
	if (code != SQLITE_BUSY && !sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return code;
}

void rbd_sq_store_fault_arm(struct rbd_store *s, int nth, int count, int kind)
{
	static const int codes[] = { [RBD_FAULT_FULL] = SQLITE_FULL, [RBD_FAULT_BUSY] = SQLITE_BUSY,
				     [RBD_FAULT_IOERR] = SQLITE_IOERR };

	atomic_store(&s->fault.at, 0);
	atomic_store(&s->fault.seen, 0);
	atomic_store(&s->fault.hits, 0);
	atomic_store(&s->fault.left, count);
	atomic_store(&s->fault.code, kind >= 0 && kind <= RBD_FAULT_IOERR ? codes[kind] : SQLITE_IOERR);
	atomic_store(&s->fault.at, nth > 0 ? nth : 0);
}

int rbd_sq_store_fault_seen(struct rbd_store *s)
{
	return atomic_load(&s->fault.seen);
}

int rbd_sq_store_fault_hits(struct rbd_store *s)
{
	return atomic_load(&s->fault.hits);
}

int rbd_store_step(struct conn *c, sqlite3_stmt *st)
{
	int rc = fault_take(c);

	return rc != SQLITE_OK ? rc : sqlite3_step(st);
}

sqlite3_stmt *rbd_store_stmt(struct conn *c, enum stmt_id id)
{
	sqlite3_stmt *st = c->st[id];

	if (!st) {
		if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &c->st[id], NULL) != SQLITE_OK) {
			rbd_err_set(RBD_EUNAVAIL, "prepare: %s", sqlite3_errmsg(c->db));
			return NULL;
		}
		return c->st[id];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

void rbd_store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void rbd_store_bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
	if (ms)
		sqlite3_bind_int64(st, i, ms);
	else
		sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no rows (or whose rows are ignored). */
int rbd_store_step_done(struct conn *c, sqlite3_stmt *st, const char *what)
{
	int rc = rbd_store_step(c, st);

	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	if (rc != SQLITE_DONE) {
		int err = rbd_store_db_error(c->db, rc, what);

		sqlite3_reset(st);
		return err;
	}
	sqlite3_reset(st);
	return 0;
}

/* Steps a statement that yields one integer (0 when no row or NULL). */
int rbd_store_step_int(struct conn *c, sqlite3_stmt *st, int64_t *out, const char *what)
{
	int rc = rbd_store_step(c, st);

	*out = 0;
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	rc = rbd_store_db_error(c->db, rc, what);
	sqlite3_reset(st);
	return rc;
}

/* Collects the first column of every row as int64. */
int rbd_store_step_ids(struct conn *c, sqlite3_stmt *st, int64_t **out, size_t *out_n)
{
	size_t n = 0, cap = 8;
	int64_t *ids = rbd_calloc(cap, sizeof(*ids));
	int rc;

	while ((rc = rbd_store_step(c, st)) == SQLITE_ROW) {
		if (n == cap)
			ids = rbd_realloc(ids, (cap *= 2) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return rbd_store_db_error(c->db, rc, "select ids");
	}
	*out = ids;
	*out_n = n;
	return 0;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		rc = rbd_err_set(RBD_EUNAVAIL, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int conn_open(struct conn *c, const char *path, int readonly)
{
	int flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY
				 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	int rc = sqlite3_open_v2(path, &c->db, flags, NULL);

	if (rc != SQLITE_OK) {
		rc = rbd_err_set(RBD_EUNAVAIL, "open %s: %s", path,
				 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_close(c->db);
		c->db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(c->db, 5000);
	sqlite3_extended_result_codes(c->db, 0);
	if (readonly)
		return exec_sql(c->db, "PRAGMA foreign_keys = ON");
	/* temp_store: the per-job SAVEPOINT's statement journal stays in memory. */
	return exec_sql(c->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
			"PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
			"PRAGMA journal_size_limit = 8388608");   /* 2 x 1000 pages of 4 KiB */
}

static void conn_close(struct conn *c)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	memset(c->st, 0, sizeof(c->st));
	sqlite3_close(c->db);
	c->db = NULL;
}

struct conn *rbd_store_reader_get(struct rbd_store *s)
{
	struct conn *c;

	pthread_mutex_lock(&s->rmu);
	while (!s->free_readers)
		pthread_cond_wait(&s->rcv, &s->rmu);
	c = s->free_readers;
	s->free_readers = c->next_free;
	pthread_mutex_unlock(&s->rmu);
	return c;
}

void rbd_store_reader_put(struct rbd_store *s, struct conn *c)
{
	pthread_mutex_lock(&s->rmu);
	c->next_free = s->free_readers;
	s->free_readers = c;
	pthread_cond_signal(&s->rcv);
	pthread_mutex_unlock(&s->rmu);
}

/* ---- migrations ---- */

static int schema_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	rc = exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
		      "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
			       &st, NULL) != SQLITE_OK)
		return rbd_store_db_error(db, SQLITE_ERROR, "schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* 0 when no row breaks a foreign key (a migration that rebuilt a table). */
static int foreign_keys_hold(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return rbd_store_db_error(db, SQLITE_ERROR, "foreign key check");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return rbd_err_set(RBD_EUNAVAIL, "a row breaks a foreign key");
	return rc == SQLITE_DONE ? 0 : rbd_store_db_error(db, rc, "foreign key check");
}

/* Runs with foreign keys off (a migration may rebuild a referenced table: SQLite's
 * documented procedure) and checks them before the commit. */
static int migration_apply(sqlite3 *db, const struct rbd_migration *m)
{
	sqlite3_stmt *st = NULL;
	int rc = exec_sql(db, "PRAGMA foreign_keys = OFF");

	if (!rc)
		rc = exec_sql(db, "BEGIN IMMEDIATE");
	if (rc) {
		exec_sql(db, "PRAGMA foreign_keys = ON");
		return rc;
	}
	rc = exec_sql(db, m->sql);
	if (!rc)
		rc = foreign_keys_hold(db);
	if (rc) {
		rc = rbd_err_set(RBD_EUNAVAIL, "migration %04d_%s: %s", m->version, m->name,
				 rbd_err_msg());
		goto fail;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO schema_migrations (version, name, applied_at) "
			       "VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK) {
		rc = rbd_store_db_error(db, SQLITE_ERROR, "record migration");
		goto fail;
	}
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rbd_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = rbd_store_db_error(db, SQLITE_ERROR, "record migration");
		goto fail;
	}
	sqlite3_finalize(st);
	rc = exec_sql(db, "COMMIT");
	if (rc)
		exec_sql(db, "ROLLBACK");
	exec_sql(db, "PRAGMA foreign_keys = ON");
	return rc;
fail:
	sqlite3_finalize(st);
	exec_sql(db, "ROLLBACK");
	exec_sql(db, "PRAGMA foreign_keys = ON");
	return rc;
}

int rbd_sq_store_migrate(struct rbd_store *s, int *applied)
{
	int version, rc, n = 0;

	rc = schema_version(s->writer.db, &version);
	for (size_t i = 0; !rc && i < rbd_migrations_count; i++) {
		if (rbd_migrations[i].version <= version)
			continue;
		rc = migration_apply(s->writer.db, &rbd_migrations[i]);
		if (!rc)
			n++;
	}
	if (applied)
		*applied = n;
	return rc;
}

static int schema_current(struct rbd_store *s)
{
	int version = 0, rc;
	int latest = rbd_migrations_count ? rbd_migrations[rbd_migrations_count - 1].version : 0;
	struct conn *c = rbd_store_reader_get(s);
	sqlite3_stmt *st = NULL;

	rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
				-1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	rbd_store_reader_put(s, c);
	if (version != latest)
		return rbd_err_set(RBD_EUNAVAIL, "database schema is at version %d, expected %d: "
				   "run `runbookd migrate`", version, latest);
	return 0;
}

/* ---- the writer ---- */

/* Commits take well under a millisecond: they are timed in microseconds. */

/* exec_sql on the writer, through the test fault hook. */
static int writer_sql(struct conn *c, const char *sql)
{
	int rc = fault_take(c);

	if (rc != SQLITE_OK)
		return rbd_err_set(RBD_EUNAVAIL, "%s: %s", sql, sqlite3_errstr(rc));
	return exec_sql(c->db, sql);
}

static int run_batch(struct rbd_store *s, struct job *batch)
{
	sqlite3 *db = s->writer.db;
	struct rbd_tx tx = { &rbd_store_sq_ops, s, &s->writer, NULL };
	int rc = writer_sql(&s->writer, "BEGIN IMMEDIATE");
	int jobs = 0;
	int64_t t0 = rbd_mono_us();

	if (rc) {
		for (struct job *j = batch; j; j = j->next) {
			j->rc = RBD_EUNAVAIL;
			snprintf(j->msg, sizeof(j->msg), "%s", rbd_err_msg());
		}
		return rc;
	}
	for (struct job *j = batch; j; j = j->next) {
		int saved = !writer_sql(&s->writer, "SAVEPOINT job");

		jobs++;
		if (!saved) {
			j->rc = RBD_EUNAVAIL;
		} else {
			tx.job = j;
			j->rc = j->fn(&tx, j->arg);
		}
		if (j->rc)
			snprintf(j->msg, sizeof(j->msg), "%s", rbd_err_msg());
		if (sqlite3_get_autocommit(db)) {
			/* SQLite rolled the whole transaction back (disk full, I/O error):
			 * every job of the batch lost its writes. */
			char why[200];

			snprintf(why, sizeof(why), "%.199s", j->rc ? j->msg : sqlite3_errmsg(db));
			rbd_log_error("transaction lost", "error", why);
			for (struct job *k = batch; k; k = k->next) {
				k->rc = RBD_EUNAVAIL;
				snprintf(k->msg, sizeof(k->msg), "database write failed: %s", why);
			}
			return RBD_EUNAVAIL;
		}
		if (!saved)
			continue;
		if (j->rc)
			exec_sql(db, "ROLLBACK TO job");
		exec_sql(db, "RELEASE job");
	}
	rc = writer_sql(&s->writer, "COMMIT");
	if (rc) {
		char why[200];

		snprintf(why, sizeof(why), "%.199s", rbd_err_msg());
		rbd_log_error("commit failed", "error", why);
		if (!sqlite3_get_autocommit(db))
			exec_sql(db, "ROLLBACK");
		for (struct job *j = batch; j; j = j->next) {
			if (!j->rc)
				snprintf(j->msg, sizeof(j->msg), "commit failed: %s", why);
			j->rc = j->rc ? j->rc : RBD_EUNAVAIL;
		}
		return rc;
	}
	if (s->on_stats)
		s->on_stats(s->on_stats_ctx, rbd_mono_us() - t0, jobs);
	return 0;
}

/* Readiness: a write job that failed to be stored (its own database error, or the
 * batch's transaction or commit failed) makes the store "degraded" until a probe that
 * grows the database succeeds (rbd_store_ready). Later small writes do not clear it:
 * they can fit on a full disk where a delivery does not. */
static void note_outcome(struct rbd_store *s, const struct job *batch)
{
	for (const struct job *j = batch; j; j = j->next)
		if (!j->probe && j->rc == RBD_EUNAVAIL) {
			atomic_store(&s->write_failed, 1);
			return;
		}
}

static void writer_checkpoint(struct rbd_store *s);

static void *writer_main(void *arg)
{
	struct rbd_store *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct job *batch, *j, *next;
		int n = 0, rc, wake;

		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->work, &s->mu);
		if (!s->head)
			break;
		batch = s->head;
		for (j = batch; j->next && ++n < BATCH_MAX; j = j->next)
			;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&s->mu);

		rc = run_batch(s, batch);
		note_outcome(s, batch);
		wake = 0;
		for (j = batch; j; j = j->next)
			wake |= !j->rc && j->wake;
		/* Only jobs that made claimable work wake the executor: its own claim
		 * commits must not wake it again (that would spin). */
		if (!rc && wake && s->on_commit)
			s->on_commit(s->on_commit_ctx);

		/* Under the lock: a waiter (whose stack holds its job) cannot return
		 * before we are done with the list. */
		pthread_mutex_lock(&s->mu);
		for (j = batch; j; j = next) {
			next = j->next;
			j->done = 1;
			pthread_cond_signal(&j->cv);
		}
		pthread_mutex_unlock(&s->mu);
		writer_checkpoint(s);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int store_write(struct rbd_store *s, rbd_tx_fn fn, void *arg, int probe)
{
	struct job j = { .fn = fn, .arg = arg, .probe = probe };

	if (!s->has_thread)
		return rbd_err_set(RBD_EUNAVAIL, "store opened read-only");
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return rbd_err_set(RBD_EUNAVAIL, "store is shutting down");
	}
	pthread_cond_init(&j.cv, NULL);
	if (s->tail)
		s->tail->next = &j;
	else
		s->head = &j;
	s->tail = &j;
	pthread_cond_signal(&s->work);
	while (!j.done)
		pthread_cond_wait(&j.cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	pthread_cond_destroy(&j.cv);
	if (j.rc)
		rbd_err_set(j.rc, "%s", j.msg[0] ? j.msg : "database write failed");
	return j.rc;
}

int rbd_sq_store_write(struct rbd_store *s, rbd_tx_fn fn, void *arg)
{
	return store_write(s, fn, arg, 0);
}

static int ready_probe(struct rbd_tx *tx, void *arg)
{
	char now[24];

	(void)arg;
	snprintf(now, sizeof(now), "%lld", (long long)rbd_now_ms());
	return rbd_tx_setting_set(tx, "ready_probe", now);
}

/* After a failed write, a small probe proves little (it can fit where an ingest does
 * not, e.g. in WAL space already allocated): the probe then stores READY_FILL bytes,
 * which needs new space on a full disk, and frees them again in a second commit. */
#define READY_FILL (256 * 1024)

static int ready_fill(struct rbd_tx *tx, void *arg)
{
	return rbd_tx_setting_set(tx, "ready_probe_fill", arg);
}

int rbd_sq_store_migrated(const struct rbd_store *s)
{
	return s->migrated;
}

int rbd_sq_store_ready(struct rbd_store *s)
{
	char *fill;
	int rc;

	if (!atomic_load(&s->write_failed))
		return store_write(s, ready_probe, NULL, 1);
	fill = rbd_calloc(READY_FILL + 1, 1);
	memset(fill, 'r', READY_FILL);
	rc = store_write(s, ready_fill, fill, 1);
	free(fill);
	if (!rc)
		rc = store_write(s, ready_fill, "", 1);
	if (rc)
		return rbd_err_set(RBD_EUNAVAIL, "the last write failed and the database cannot grow: %s",
				   rbd_err_msg());
	atomic_store(&s->write_failed, 0);
	return 0;
}

void rbd_sq_store_on_commit(struct rbd_store *s, void (*fn)(void *ctx), void *ctx)
{
	s->on_commit = fn;
	s->on_commit_ctx = ctx;
}

void rbd_sq_store_on_commit_stats(struct rbd_store *s, void (*fn)(void *ctx, int64_t us, int jobs),
			       void *ctx)
{
	s->on_stats = fn;
	s->on_stats_ctx = ctx;
}

/* ---- checkpoints ---- */

/*
 * The WAL stays near SQLite's default wal_autocheckpoint of 1000 pages and never passes
 * twice that. A WAL file is rewound (written again from its start) only when a write
 * transaction begins after a checkpoint copied every frame and no reader still reads
 * from the WAL; under sustained writes a checkpoint running beside the writer never
 * catches up (the WAL grew to 0.5-1.5 GB in 30 s storms), and a RESTART checkpoint
 * there stalls the writer for as long as a reader holds the WAL (0.4-0.8 s). So:
 *  - from WAL_BG_PAGES, a thread of its own copies PASSIVE, beside the commits (the
 *    bulk of the copying and its fsync stay off the commit path);
 *  - from WAL_CKPT_PAGES, the writer thread itself, between two batches (after the
 *    waiting clients were answered), waits for that thread and checkpoints PASSIVE:
 *    no write can run then, so it copies every frame the readers allow, which is the
 *    few written since the background pass, and the next batch starts a fresh WAL.
 * journal_size_limit then truncates a WAL file that a long reader made grow.
 */
#define WAL_CKPT_PAGES   1000           /* SQLite's default wal_autocheckpoint */
#define WAL_BG_PAGES     (WAL_CKPT_PAGES / 2)
#define WAL_STALL_WARN_US 50000

/* The writer's WAL hook: note the size, wake the checkpointer past the threshold. */
static int on_wal(void *ctx, sqlite3 *db, const char *name, int pages)
{
	struct rbd_store *s = ctx;

	pthread_mutex_lock(&s->ckpt_mu);
	s->wal_pages = pages;
	s->wal_frames = pages;
	if (pages >= WAL_BG_PAGES && !s->ckpt_busy)
		pthread_cond_signal(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	return SQLITE_OK;
}

/* PASSIVE checkpoints on a connection of their own, beside the writer. */
static void *ckpt_main(void *arg)
{
	struct rbd_store *s = arg;

	pthread_mutex_lock(&s->ckpt_mu);
	while (!s->ckpt_stopping) {
		struct timespec ts;
		int rc;

		if (s->wal_pages < WAL_BG_PAGES || s->ckpt_busy) {
			rbd_deadline_ms(&ts, 1000);
			pthread_cond_timedwait(&s->ckpt_cv, &s->ckpt_mu, &ts);
			continue;
		}
		s->wal_pages = 0;
		s->ckpt_busy = 1;
		pthread_mutex_unlock(&s->ckpt_mu);
		rc = sqlite3_wal_checkpoint_v2(s->ckpt.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			rbd_log_warn("checkpoint failed", "error", sqlite3_errmsg(s->ckpt.db));
		pthread_mutex_lock(&s->ckpt_mu);
		s->ckpt_busy = 0;
		pthread_cond_broadcast(&s->ckpt_cv);
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	return NULL;
}

/* On the writer thread, between batches: the checkpoint that lets the WAL restart. */
static void writer_checkpoint(struct rbd_store *s)
{
	char us[24];
	int64_t t0;
	int rc, frames = 0, done = 0;

	pthread_mutex_lock(&s->ckpt_mu);
	if (!s->has_ckpt || s->wal_frames < WAL_CKPT_PAGES) {
		pthread_mutex_unlock(&s->ckpt_mu);
		return;
	}
	t0 = rbd_mono_us();
	while (s->ckpt_busy)
		pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
	s->ckpt_busy = 1;
	pthread_mutex_unlock(&s->ckpt_mu);
	rc = sqlite3_wal_checkpoint_v2(s->writer.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &done);
	pthread_mutex_lock(&s->ckpt_mu);
	s->ckpt_busy = 0;
	s->ckpt_last_us = rbd_mono_us() - t0;
	if (s->ckpt_last_us > s->ckpt_max_us)
		s->ckpt_max_us = s->ckpt_last_us;
	/* all copied: the next batch rewinds the WAL; otherwise a reader holds it and
	 * the next batch tries again */
	if (rc == SQLITE_OK && frames == done)
		s->wal_frames = 0;
	pthread_cond_broadcast(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		rbd_log_warn("checkpoint failed", "error", sqlite3_errmsg(s->writer.db));
	if (s->ckpt_last_us > WAL_STALL_WARN_US) {
		snprintf(us, sizeof(us), "%lld", (long long)s->ckpt_last_us);
		rbd_log_warn("slow checkpoint held the writer", "us", us);
	}
}

int rbd_store_checkpoint_stats(struct rbd_store *s, int64_t *last_us, int64_t *max_us)
{
	*last_us = *max_us = 0;
	if (RBD_STORE_OPS(s) != &rbd_store_sq_ops)
		return rbd_err_set(RBD_EINVAL, "checkpoint statistics exist for SQLite only");
	pthread_mutex_lock(&s->ckpt_mu);
	*last_us = s->ckpt_last_us;
	*max_us = s->ckpt_max_us;
	pthread_mutex_unlock(&s->ckpt_mu);
	return 0;
}

static int ckpt_start(struct rbd_store *s)
{
	int rc = conn_open(&s->ckpt, s->path, 0);

	if (rc)
		return rc;
	rc = exec_sql(s->writer.db, "PRAGMA wal_autocheckpoint = 0");
	if (rc)
		return rc;
	sqlite3_wal_hook(s->writer.db, on_wal, s);
	if (pthread_create(&s->ckpt_thread, NULL, ckpt_main, s) != 0)
		return rbd_err_set(RBD_EIO, "cannot start the checkpoint thread");
	s->has_ckpt = 1;
	return 0;
}

static void ckpt_stop(struct rbd_store *s)
{
	if (!s->has_ckpt)
		return;
	pthread_mutex_lock(&s->ckpt_mu);
	s->ckpt_stopping = 1;
	pthread_cond_signal(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	pthread_join(s->ckpt_thread, NULL);
	s->has_ckpt = 0;
}

/* ---- open / close ---- */

int rbd_sq_store_open(struct rbd_store **out, const char *path, int flags)
{
	struct rbd_store *s = rbd_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->ops = &rbd_store_sq_ops;
	s->path = rbd_strdup(path);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	pthread_cond_init(&s->rcv, NULL);
	pthread_mutex_init(&s->ckpt_mu, NULL);
	pthread_cond_init(&s->ckpt_cv, NULL);
	if (!(flags & RBD_STORE_NO_WRITER) || (flags & RBD_STORE_MIGRATE)) {
		rc = conn_open(&s->writer, path, 0);
		if (rc)
			goto fail;
		s->writer.fault = &s->fault;
	}
	if (flags & RBD_STORE_MIGRATE) {
		rc = rbd_store_migrate(s, &s->migrated);
		if (rc)
			goto fail;
	}
	for (int i = 0; i < READERS; i++) {
		rc = conn_open(&s->readers[i], path, 1);
		if (rc)
			goto fail;
		s->readers[i].next_free = s->free_readers;
		s->free_readers = &s->readers[i];
	}
	rc = schema_current(s);
	if (rc)
		goto fail;
	if (!(flags & RBD_STORE_NO_WRITER)) {
		rc = ckpt_start(s);
		if (rc)
			goto fail;
		if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
			rc = rbd_err_set(RBD_EIO, "cannot start the writer thread");
			goto fail;
		}
		s->has_thread = 1;
	}
	*out = s;
	return 0;
fail:
	rbd_store_close(s);
	return rc;
}

void rbd_sq_store_close(struct rbd_store *s)
{
	if (!s)
		return;
	if (s->has_thread) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	ckpt_stop(s);
	for (int i = 0; i < READERS; i++)
		conn_close(&s->readers[i]);
	conn_close(&s->ckpt);
	/* The writer closes last: as the last connection it checkpoints and removes the WAL. */
	if (s->writer.db)
		sqlite3_wal_hook(s->writer.db, NULL, NULL);
	conn_close(&s->writer);
	pthread_mutex_destroy(&s->ckpt_mu);
	pthread_cond_destroy(&s->ckpt_cv);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->rmu);
	pthread_cond_destroy(&s->rcv);
	free(s->path);
	free(s->replica);
	free(s);
}

/* One process owns a SQLite file: it is the only replica and always the leader. */
int rbd_sq_store_ha_start(struct rbd_store *s, const char *replica, int64_t lease_ms)
{
	free(s->replica);
	s->replica = rbd_strdup(replica);
	return 0;
}

bool rbd_sq_store_is_leader(struct rbd_store *s)
{
	return true;
}

