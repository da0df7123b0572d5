/*
 * store: SQLite persistence with a group-committing writer thread.
 *
 * Must never: build SQL from data (bound parameters only), acknowledge a write before
 * its COMMIT returned, or let a failing job's writes reach the database.
 */
#include "runbookd/store.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/migrate.h"
#include "runbookd/timeutil.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READERS 4
#define BATCH_MAX 512

/* Every statement, by id: prepared once per connection, kept for its life. */
enum stmt_id {
	ST_EVENT_ADD, ST_INC_OPEN, ST_INC_LATEST, ST_INC_CREATE, ST_INC_RESOLVE, ST_INC_UNRESOLVED,
	ST_NOTIF_ADD, ST_EP_GET, ST_EP_INSERT, ST_EP_TOUCH, ST_EP_RESOLVE, ST_EP_FIRING,
	ST_ACT_INSERT, ST_ACT_TRANSITION, ST_ACT_TRANSITION_ANY, ST_ACT_CANCEL_SELECT, ST_ACT_GET,
	ST_APPROVAL_ADD, ST_APPROVAL_COUNT, ST_ACT_DECIDED_BY, ST_ACT_START, ST_ACT_FINISH,
	ST_RULE_RUNS, ST_RULE_FAILS, ST_RULE_LAST_KEY, ST_RULE_STATE, ST_RULE_TRIP, ST_RULE_RESET,
	ST_RUNNING, ST_NEXT_ACTION, ST_EXPIRED, ST_RUNNING_IDS, ST_SETTING_SET, ST_SETTING_GET,
	ST_ACT_INCIDENT, ST_INC_EXISTS,
	ST_INC_LIST, ST_INC_LIST_STATUS, ST_INC_COUNT, ST_INC_COUNT_STATUS, ST_INC_GET,
	ST_ALERTS, ST_ACTIONS, ST_STATE_COUNTS,
	ST_COUNT
};

#define INC_COLS "id, status, group_key, title, opened_at, resolved_at"
#define ACT_COLS "id, incident_id, alert_id, rule, action, kind, state, rendered, dry_run, " \
	"requires_approval, approvals_needed, decided_by, reason, exit_code, term_signal, " \
	"output, result, created_at, started_at, finished_at"
#define WAITING_STATES "('pending_approval', 'approved', 'planned')"

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
	[ST_EP_RESOLVE] = "UPDATE alerts SET status = 'resolved', ends_at = ?2, last_seen = ?3 WHERE id = ?1",
	[ST_EP_FIRING] = "SELECT id FROM alerts WHERE incident_id = ?1 AND status = 'firing' ORDER BY id",
	[ST_ACT_INSERT] = "INSERT OR IGNORE INTO actions (incident_id, alert_id, rule, on_status, action, "
		"kind, state, rendered, command_key, dry_run, requires_approval, approvals_needed, reason, "
		"created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
		"?14, ?15)",
	[ST_ACT_TRANSITION] = "UPDATE actions SET state = ?3, reason = coalesce(?4, reason), "
		"finished_at = CASE WHEN ?5 THEN ?6 ELSE finished_at END WHERE id = ?1 AND state = ?2",
	[ST_ACT_TRANSITION_ANY] = "UPDATE actions SET state = ?3, reason = coalesce(?4, reason), "
		"finished_at = CASE WHEN ?5 THEN ?6 ELSE finished_at END WHERE id = ?1 AND ?2 IS NULL",
	[ST_ACT_CANCEL_SELECT] = "SELECT id FROM actions WHERE alert_id = ?1 AND state IN "
		WAITING_STATES " ORDER BY id",
	[ST_ACT_GET] = "SELECT " ACT_COLS " FROM actions WHERE id = ?1",
	[ST_APPROVAL_ADD] = "INSERT OR IGNORE INTO approvals (action_id, operator, decision, comment, ts) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_APPROVAL_COUNT] = "SELECT count(*), group_concat(operator, ',') FROM (SELECT operator "
		"FROM approvals WHERE action_id = ?1 AND decision = 'approve' ORDER BY ts, operator)",
	[ST_ACT_DECIDED_BY] = "UPDATE actions SET decided_by = ?2 WHERE id = ?1",
	[ST_ACT_START] = "UPDATE actions SET state = 'running', started_at = ?3 WHERE id = ?1 AND state = ?2",
	[ST_ACT_FINISH] = "UPDATE actions SET state = ?2, exit_code = ?3, term_signal = ?4, output = ?5, "
		"result = ?6, reason = coalesce(?7, reason), finished_at = ?8 WHERE id = ?1 AND state = 'running'",
	[ST_RULE_RUNS] = "SELECT count(*) FROM actions WHERE rule = ?1 AND started_at >= ?2",
	[ST_RULE_FAILS] = "SELECT count(*) FROM actions WHERE rule = ?1 AND finished_at >= ?2 "
		"AND state IN ('failed', 'timed_out')",
	[ST_RULE_LAST_KEY] = "SELECT max(started_at) FROM actions WHERE rule = ?1 AND command_key = ?2 "
		"AND started_at IS NOT NULL",
	[ST_RULE_STATE] = "SELECT tripped_at, reset_at FROM rule_state WHERE rule = ?1",
	[ST_RULE_TRIP] = "INSERT INTO rule_state (rule, tripped_at) VALUES (?1, ?2) "
		"ON CONFLICT (rule) DO UPDATE SET tripped_at = ?2",
	[ST_RULE_RESET] = "INSERT INTO rule_state (rule, tripped_at, reset_at, reset_by) "
		"VALUES (?1, NULL, ?2, ?3) ON CONFLICT (rule) DO UPDATE SET tripped_at = NULL, "
		"reset_at = ?2, reset_by = ?3",
	[ST_RUNNING] = "SELECT count(*) FROM actions WHERE state = 'running'",
	[ST_NEXT_ACTION] = "SELECT id FROM actions WHERE state = ?1 AND id > ?2 ORDER BY id LIMIT 1",
	[ST_EXPIRED] = "SELECT id FROM actions WHERE state = 'pending_approval' AND expires_at IS NOT NULL "
		"AND expires_at <= ?1 ORDER BY id",
	[ST_RUNNING_IDS] = "SELECT id FROM actions WHERE state = 'running' ORDER BY id",
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
	[ST_ACTIONS] = "SELECT " ACT_COLS " FROM actions WHERE (?1 = 0 OR incident_id = ?1) "
		"AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3",
	[ST_STATE_COUNTS] = "SELECT state, count(*) FROM actions GROUP BY state",
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct conn *next_free;
};

struct job {
	rbd_tx_fn fn;
	void *arg;
	int rc;
	int done;
	char msg[256];        /* the writer thread's error message for this job */
	struct job *next;
};

struct rbd_tx {
	struct rbd_store *s;
	struct conn *c;
};

struct rbd_store {
	char *path;
	struct conn writer;
	struct conn readers[READERS];
	struct conn *free_readers;
	pthread_mutex_t rmu;
	pthread_cond_t rcv;

	pthread_t thread;
	int has_thread;
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_cond_t done;
	struct job *head, *tail;
	int stopping;
	void (*on_commit)(void *);
	void *on_commit_ctx;
	void (*on_stats)(void *, int64_t, int);
	void *on_stats_ctx;
};

/* ---- connections and statements ---- */

static int db_error(sqlite3 *db, int rc, const char *what)
{
	int code = (rc == SQLITE_CONSTRAINT) ? RBD_ECONFLICT : RBD_EUNAVAIL;

	return rbd_err_set(code, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
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

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
	if (ms)
		sqlite3_bind_int64(st, i, ms);
	else
		sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no rows (or whose rows are ignored). */
static int step_done(struct conn *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	if (rc != SQLITE_DONE) {
		int err = db_error(c->db, rc, what);

		sqlite3_reset(st);
		return err;
	}
	sqlite3_reset(st);
	return 0;
}

/* Steps a statement that yields one integer (0 when no row or NULL). */
static int step_int(struct conn *c, sqlite3_stmt *st, int64_t *out, const char *what)
{
	int rc = sqlite3_step(st);

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
	rc = db_error(c->db, rc, what);
	sqlite3_reset(st);
	return rc;
}

/* Collects the first column of every row as int64. */
static int step_ids(struct conn *c, sqlite3_stmt *st, int64_t **out, size_t *out_n)
{
	size_t n = 0, cap = 8;
	int64_t *ids = rbd_calloc(cap, sizeof(*ids));
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap)
			ids = rbd_realloc(ids, (cap *= 2) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return db_error(c->db, rc, "select ids");
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
	return exec_sql(c->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
			"PRAGMA foreign_keys = ON");
}

static void conn_close(struct conn *c)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	memset(c->st, 0, sizeof(c->st));
	sqlite3_close(c->db);
	c->db = NULL;
}

static struct conn *reader_get(struct rbd_store *s)
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

static void reader_put(struct rbd_store *s, struct conn *c)
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
		return db_error(db, SQLITE_ERROR, "schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int migration_apply(sqlite3 *db, const struct rbd_migration *m)
{
	sqlite3_stmt *st = NULL;
	int rc = exec_sql(db, "BEGIN IMMEDIATE");

	if (rc)
		return rc;
	rc = exec_sql(db, m->sql);
	if (rc) {
		rc = rbd_err_set(RBD_EUNAVAIL, "migration %04d_%s: %s", m->version, m->name,
				 rbd_err_msg());
		goto fail;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO schema_migrations (version, name, applied_at) "
			       "VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(db, SQLITE_ERROR, "record migration");
		goto fail;
	}
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rbd_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(db, SQLITE_ERROR, "record migration");
		goto fail;
	}
	sqlite3_finalize(st);
	return exec_sql(db, "COMMIT");
fail:
	sqlite3_finalize(st);
	exec_sql(db, "ROLLBACK");
	return rc;
}

int rbd_store_migrate(struct rbd_store *s, int *applied)
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
	struct conn *c = reader_get(s);
	sqlite3_stmt *st = NULL;

	rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
				-1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	reader_put(s, c);
	if (version != latest)
		return rbd_err_set(RBD_EUNAVAIL, "database schema is at version %d, expected %d: "
				   "run `runbookd migrate`", version, latest);
	return 0;
}

/* ---- the writer ---- */

static int run_batch(struct rbd_store *s, struct job *batch)
{
	sqlite3 *db = s->writer.db;
	struct rbd_tx tx = { s, &s->writer };
	int rc = exec_sql(db, "BEGIN IMMEDIATE");
	int jobs = 0;
	int64_t t0 = rbd_mono_ms();

	if (rc) {
		for (struct job *j = batch; j; j = j->next) {
			j->rc = RBD_EUNAVAIL;
			snprintf(j->msg, sizeof(j->msg), "%s", rbd_err_msg());
		}
		return rc;
	}
	for (struct job *j = batch; j; j = j->next) {
		jobs++;
		if (exec_sql(db, "SAVEPOINT job")) {
			j->rc = RBD_EUNAVAIL;
			snprintf(j->msg, sizeof(j->msg), "%s", rbd_err_msg());
			continue;
		}
		j->rc = j->fn(&tx, j->arg);
		if (j->rc)
			snprintf(j->msg, sizeof(j->msg), "%s", rbd_err_msg());
		if (sqlite3_get_autocommit(db)) {
			/* SQLite rolled the whole transaction back (disk full, I/O error):
			 * every job of the batch lost its writes. */
			rbd_log_error("transaction lost", "error", rbd_err_msg());
			for (struct job *k = batch; k; k = k->next) {
				k->rc = RBD_EUNAVAIL;
				snprintf(k->msg, sizeof(k->msg), "database write failed: %s",
					 sqlite3_errmsg(db));
			}
			return RBD_EUNAVAIL;
		}
		if (j->rc)
			exec_sql(db, "ROLLBACK TO job");
		exec_sql(db, "RELEASE job");
	}
	rc = exec_sql(db, "COMMIT");
	if (rc) {
		rbd_log_error("commit failed", "error", rbd_err_msg());
		if (!sqlite3_get_autocommit(db))
			exec_sql(db, "ROLLBACK");
		for (struct job *j = batch; j; j = j->next) {
			if (!j->rc)
				snprintf(j->msg, sizeof(j->msg), "commit failed: %s", sqlite3_errmsg(db));
			j->rc = j->rc ? j->rc : RBD_EUNAVAIL;
		}
		return rc;
	}
	if (s->on_stats)
		s->on_stats(s->on_stats_ctx, (rbd_mono_ms() - t0) * 1000, jobs);
	return 0;
}

static void *writer_main(void *arg)
{
	struct rbd_store *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct job *batch, *j;
		int n = 0, rc;

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
		if (!rc && s->on_commit)
			s->on_commit(s->on_commit_ctx);

		pthread_mutex_lock(&s->mu);
		for (j = batch; j; j = j->next)
			j->done = 1;
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int rbd_store_write(struct rbd_store *s, rbd_tx_fn fn, void *arg)
{
	struct job j = { .fn = fn, .arg = arg };

	if (!s->has_thread)
		return rbd_err_set(RBD_EUNAVAIL, "store opened read-only");
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return rbd_err_set(RBD_EUNAVAIL, "store is shutting down");
	}
	if (s->tail)
		s->tail->next = &j;
	else
		s->head = &j;
	s->tail = &j;
	pthread_cond_signal(&s->work);
	while (!j.done)
		pthread_cond_wait(&s->done, &s->mu);
	pthread_mutex_unlock(&s->mu);
	if (j.rc)
		rbd_err_set(j.rc, "%s", j.msg[0] ? j.msg : "database write failed");
	return j.rc;
}

static int ready_probe(struct rbd_tx *tx, void *arg)
{
	char now[24];

	snprintf(now, sizeof(now), "%lld", (long long)rbd_now_ms());
	return rbd_tx_setting_set(tx, "ready_probe", now);
}

int rbd_store_ready(struct rbd_store *s)
{
	return rbd_store_write(s, ready_probe, NULL);
}

void rbd_store_on_commit(struct rbd_store *s, void (*fn)(void *ctx), void *ctx)
{
	s->on_commit = fn;
	s->on_commit_ctx = ctx;
}

void rbd_store_on_commit_stats(struct rbd_store *s, void (*fn)(void *ctx, int64_t us, int jobs),
			       void *ctx)
{
	s->on_stats = fn;
	s->on_stats_ctx = ctx;
}

/* ---- open / close ---- */

int rbd_store_open(struct rbd_store **out, const char *path, int flags)
{
	struct rbd_store *s = rbd_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->path = rbd_strdup(path);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->done, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	pthread_cond_init(&s->rcv, NULL);
	if (!(flags & RBD_STORE_NO_WRITER) || (flags & RBD_STORE_MIGRATE)) {
		rc = conn_open(&s->writer, path, 0);
		if (rc)
			goto fail;
	}
	if (flags & RBD_STORE_MIGRATE) {
		rc = rbd_store_migrate(s, NULL);
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

void rbd_store_close(struct rbd_store *s)
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
	for (int i = 0; i < READERS; i++)
		conn_close(&s->readers[i]);
	conn_close(&s->writer);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->rmu);
	pthread_cond_destroy(&s->rcv);
	free(s->path);
	free(s);
}

/* ---- write-job operations ---- */

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
		sqlite3_reset(get);
		TX_STMT(touch, tx, ST_EP_TOUCH);
		sqlite3_bind_int64(touch, 1, out->id);
		sqlite3_bind_int64(touch, 2, now_ms);
		return step_done(tx->c, touch, "touch alert");
	}
	sqlite3_reset(get);
	if (rc != SQLITE_DONE)
		return db_error(tx->c->db, rc, "find alert");
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
	bind_text(st, 7, a->state);
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

static bool is_terminal(const char *state)
{
	static const char *const terminal[] = {
		"succeeded", "failed", "timed_out", "rejected", "expired", "cancelled", "skipped",
		"dry_run", "interrupted",
	};

	for (size_t i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++)
		if (strcmp(state, terminal[i]) == 0)
			return true;
	return false;
}

int rbd_tx_action_transition(struct rbd_tx *tx, int64_t id, const char *from, const char *to,
			     const char *reason, int64_t now_ms)
{
	int rc;

	TX_STMT(st, tx, from ? ST_ACT_TRANSITION : ST_ACT_TRANSITION_ANY);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, from);
	bind_text(st, 3, to);
	bind_text(st, 4, reason);
	sqlite3_bind_int(st, 5, is_terminal(to));
	sqlite3_bind_int64(st, 6, now_ms);
	rc = step_done(tx->c, st, "action transition");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id,
				   from ? from : "there");
	return rc;
}

int rbd_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n,
				    int64_t alert_id, int64_t now_ms)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	TX_STMT(st, tx, ST_ACT_CANCEL_SELECT);
	sqlite3_bind_int64(st, 1, alert_id);
	rc = step_ids(tx->c, st, &ids, &n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = rbd_tx_action_transition(tx, ids[i], NULL, "cancelled", "the alert resolved",
					      now_ms);
	if (rc) {
		free(ids);
		return rc;
	}
	*out = ids;
	*out_n = n;
	return 0;
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? rbd_strdup((const char *)t) : NULL;
}

static void read_action(sqlite3_stmt *st, struct rbd_action_rec *a)
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

static int get_action(struct conn *c, struct rbd_action_rec *out, int64_t id)
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

int rbd_tx_action_start(struct rbd_tx *tx, int64_t id, const char *from, int64_t now_ms)
{
	int rc;

	TX_STMT(st, tx, ST_ACT_START);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, from);
	sqlite3_bind_int64(st, 3, now_ms);
	rc = step_done(tx->c, st, "start action");
	if (!rc && sqlite3_changes(tx->c->db) != 1)
		return rbd_err_set(RBD_ECONFLICT, "action %lld is not %s", (long long)id, from);
	return rc;
}

int rbd_tx_action_finish(struct rbd_tx *tx, int64_t id, const char *state, bool has_exit,
			 int exit_code, int term_signal, const char *output, const char *result,
			 const char *reason, int64_t now_ms)
{
	int rc;

	TX_STMT(st, tx, ST_ACT_FINISH);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, state);
	if (has_exit)
		sqlite3_bind_int(st, 3, exit_code);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, term_signal);
	bind_text(st, 5, output);
	bind_text(st, 6, result);
	bind_text(st, 7, reason);
	sqlite3_bind_int64(st, 8, now_ms);
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

static int rule_counts(struct conn *c, struct rbd_rule_counts *out, const char *rule,
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

int rbd_tx_next_action(struct rbd_tx *tx, int64_t *out_id, const char *state, int64_t after_id)
{
	TX_STMT(st, tx, ST_NEXT_ACTION);
	bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, after_id);
	return step_int(tx->c, st, out_id, "next action");
}

int rbd_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	TX_STMT(st, tx, ST_EXPIRED);
	sqlite3_bind_int64(st, 1, now_ms);
	return step_ids(tx->c, st, out, out_n);
}

int rbd_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	int rc;

	TX_STMT(st, tx, ST_RUNNING_IDS);
	rc = step_ids(tx->c, st, out, out_n);
	for (size_t i = 0; !rc && i < *out_n; i++)
		rc = rbd_tx_action_transition(tx, (*out)[i], "running", "interrupted",
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

/* ---- reads ---- */

int rbd_store_setting_get(struct rbd_store *s, char **out, const char *key)
{
	struct conn *c = reader_get(s);
	sqlite3_stmt *st = stmt(c, ST_SETTING_GET);
	int rc = RBD_EUNAVAIL;

	*out = NULL;
	if (st) {
		bind_text(st, 1, key);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*out = col_text(st, 0);
		rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : db_error(c->db, rc, "get setting");
		sqlite3_reset(st);
	}
	reader_put(s, c);
	return rc;
}

static void read_incident(sqlite3_stmt *st, struct rbd_incident *x)
{
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(st, 0);
	x->status = col_text(st, 1);
	x->group_key = col_text(st, 2);
	x->title = col_text(st, 3);
	x->opened_ms = sqlite3_column_int64(st, 4);
	x->resolved_ms = sqlite3_column_int64(st, 5);
}

int rbd_store_incidents(struct rbd_store *s, struct rbd_incident **out, size_t *out_n,
			int64_t *out_total, const char *status, int64_t limit, int64_t offset)
{
	struct conn *c = reader_get(s);
	struct rbd_incident *list = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	int rc = RBD_EUNAVAIL;

	*out = NULL;
	*out_n = 0;
	st = stmt(c, status ? ST_INC_COUNT_STATUS : ST_INC_COUNT);
	if (!st)
		goto done;
	bind_text(st, 1, status);
	if ((rc = step_int(c, st, out_total, "count incidents")))
		goto done;
	rc = RBD_EUNAVAIL;
	if (!(st = stmt(c, status ? ST_INC_LIST_STATUS : ST_INC_LIST)))
		goto done;
	bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	list = rbd_calloc((size_t)(limit > 0 ? limit : 1), sizeof(*list));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < (size_t)limit)
		read_incident(st, &list[n++]);
	sqlite3_reset(st);
	rc = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : db_error(c->db, rc, "list incidents");
	*out = list;
	*out_n = n;
done:
	reader_put(s, c);
	return rc;
}

int rbd_store_incident(struct rbd_store *s, struct rbd_incident *out, int64_t id)
{
	struct conn *c = reader_get(s);
	sqlite3_stmt *st = stmt(c, ST_INC_GET);
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
			rc = db_error(c->db, rc, "get incident");
		}
		sqlite3_reset(st);
	}
	reader_put(s, c);
	return rc;
}

int rbd_store_alerts(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n,
		     int64_t incident_id)
{
	struct conn *c = reader_get(s);
	sqlite3_stmt *st = stmt(c, ST_ALERTS);
	struct rbd_alert_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc = RBD_EUNAVAIL;

	if (!st)
		goto done;
	sqlite3_bind_int64(st, 1, incident_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rbd_alert_rec *a;

		if (n == cap)
			list = rbd_realloc(list, (cap = cap ? cap * 2 : 8) * sizeof(*list));
		a = &list[n++];
		memset(a, 0, sizeof(*a));
		a->id = sqlite3_column_int64(st, 0);
		a->incident_id = sqlite3_column_int64(st, 1);
		a->fingerprint = col_text(st, 2);
		a->starts_ms = sqlite3_column_int64(st, 3);
		a->ends_ms = sqlite3_column_int64(st, 4);
		a->status = col_text(st, 5);
		a->labels_json = col_text(st, 6);
		a->annotations_json = col_text(st, 7);
		a->first_seen_ms = sqlite3_column_int64(st, 8);
		a->last_seen_ms = sqlite3_column_int64(st, 9);
	}
	sqlite3_reset(st);
	rc = (rc == SQLITE_DONE) ? 0 : db_error(c->db, rc, "list alerts");
done:
	*out = list;
	*out_n = n;
	reader_put(s, c);
	return rc;
}

int rbd_store_actions(struct rbd_store *s, struct rbd_action_rec **out, size_t *out_n,
		      int64_t incident_id, const char *state, int64_t limit)
{
	struct conn *c = reader_get(s);
	sqlite3_stmt *st = stmt(c, ST_ACTIONS);
	struct rbd_action_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc = RBD_EUNAVAIL;

	if (!st)
		goto done;
	sqlite3_bind_int64(st, 1, incident_id);
	bind_text(st, 2, state);
	sqlite3_bind_int64(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap)
			list = rbd_realloc(list, (cap = cap ? cap * 2 : 8) * sizeof(*list));
		read_action(st, &list[n++]);
	}
	sqlite3_reset(st);
	rc = (rc == SQLITE_DONE) ? 0 : db_error(c->db, rc, "list actions");
done:
	*out = list;
	*out_n = n;
	reader_put(s, c);
	return rc;
}

int rbd_store_action(struct rbd_store *s, struct rbd_action_rec *out, int64_t id)
{
	struct conn *c = reader_get(s);
	int rc = get_action(c, out, id);

	reader_put(s, c);
	return rc;
}

int rbd_store_rule_stats(struct rbd_store *s, struct rbd_rule_stats *out, const char *rule,
			 int64_t now_ms)
{
	struct conn *c = reader_get(s);
	struct rbd_rule_counts rc_;
	int rc = rule_counts(c, &rc_, rule, NULL, now_ms);

	memset(out, 0, sizeof(*out));
	if (!rc) {
		out->runs_last_hour = rc_.runs_last_hour;
		out->failures_last_hour = rc_.failures_window;
		out->tripped_at = rc_.tripped_at;
	}
	reader_put(s, c);
	return rc;
}

int rbd_store_action_state_counts(struct rbd_store *s,
				  void (*fn)(void *ctx, const char *state, int64_t n), void *ctx)
{
	struct conn *c = reader_get(s);
	sqlite3_stmt *st = stmt(c, ST_STATE_COUNTS);
	int rc = RBD_EUNAVAIL;

	if (st) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
		sqlite3_reset(st);
		rc = (rc == SQLITE_DONE) ? 0 : db_error(c->db, rc, "count actions");
	}
	reader_put(s, c);
	return rc;
}

struct rbd_event_iter {
	struct rbd_store *s;
	struct conn *c;
	sqlite3_stmt *st;
	struct rbd_event ev;
};

int rbd_store_events_open(struct rbd_store *s, struct rbd_event_iter **out,
			  const struct rbd_incident *inc)
{
	struct rbd_event_iter *it = rbd_calloc(1, sizeof(*it));
	int64_t end = inc->resolved_ms ? inc->resolved_ms : INT64_MAX;

	it->s = s;
	it->c = reader_get(s);
	/* Not cached: an export holds it across many steps. */
	if (sqlite3_prepare_v2(it->c->db,
			       "SELECT id, incident_id, ts, kind, actor, action_id, detail FROM events "
			       "WHERE incident_id = ?1 OR (incident_id IS NULL AND ts >= ?2 AND ts <= ?3) "
			       "ORDER BY id", -1, &it->st, NULL) != SQLITE_OK) {
		int rc = db_error(it->c->db, SQLITE_ERROR, "events");

		rbd_store_events_close(it);
		return rc;
	}
	sqlite3_bind_int64(it->st, 1, inc->id);
	sqlite3_bind_int64(it->st, 2, inc->opened_ms);
	sqlite3_bind_int64(it->st, 3, end);
	*out = it;
	return 0;
}

int rbd_store_events_next(struct rbd_event_iter *it, const struct rbd_event **ev)
{
	int rc;

	rbd_event_clear(&it->ev);
	rc = sqlite3_step(it->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return db_error(it->c->db, rc, "read events");
	it->ev.id = sqlite3_column_int64(it->st, 0);
	it->ev.incident_id = sqlite3_column_int64(it->st, 1);
	it->ev.ts_ms = sqlite3_column_int64(it->st, 2);
	it->ev.kind = col_text(it->st, 3);
	it->ev.actor = col_text(it->st, 4);
	it->ev.action_id = sqlite3_column_int64(it->st, 5);
	it->ev.detail_json = col_text(it->st, 6);
	*ev = &it->ev;
	return 1;
}

int rbd_store_events_rewind(struct rbd_event_iter *it)
{
	sqlite3_reset(it->st);
	return 0;
}

void rbd_store_events_close(struct rbd_event_iter *it)
{
	if (!it)
		return;
	rbd_event_clear(&it->ev);
	sqlite3_finalize(it->st);
	reader_put(it->s, it->c);
	free(it);
}
