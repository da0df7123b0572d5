/*
 * store_pg: the PostgreSQL backend (libpq): connections, migrations under an advisory
 * lock, write transactions serialised across replicas, and the replica's membership
 * (heartbeat, lease sweep, leadership, cross-replica wake-ups by LISTEN/NOTIFY).
 *
 * Must never: build SQL from data (parameters only), acknowledge a write before its
 * COMMIT returned COMMIT, retry a transaction whose COMMIT outcome is unknown (the
 * caller answers 503 and Alertmanager's retry is idempotent by the unique keys), or
 * touch another live replica's running actions.
 */
#include "store_pg_internal.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/migrate.h"
#include "runbookd/timeline.h"
#include "runbookd/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- parameters and results ---- */

/* The code of this thread's last rbd_pg_exec failure. */
static _Thread_local int last_error = RBD_EUNAVAIL;
/* The reader connection this thread holds: a read on it that finds the connection lost
 * (the server ended it while it sat in the pool) reconnects and runs once more. Never
 * the writer (a transaction is not replayed) nor the replica connection (its session
 * holds the leader lock and LISTEN). */
static _Thread_local PGconn *reader_held;

int rbd_pg_last_error(void)
{
	return last_error;
}

void rbd_pg_p_text(struct pg_params *p, const char *v)
{
	if (p->n < PG_MAX_PARAMS)
		p->v[p->n++] = v;
}

void rbd_pg_p_i64(struct pg_params *p, int64_t v)
{
	if (p->n >= PG_MAX_PARAMS)
		return;
	snprintf(p->buf[p->n], sizeof(p->buf[p->n]), "%lld", (long long)v);
	p->v[p->n] = p->buf[p->n];
	p->n++;
}

void rbd_pg_p_ms(struct pg_params *p, int64_t v)
{
	if (v)
		rbd_pg_p_i64(p, v);
	else
		rbd_pg_p_text(p, NULL);
}

void rbd_pg_p_bool(struct pg_params *p, bool v)
{
	rbd_pg_p_text(p, v ? "1" : "0");
}

PGresult *rbd_pg_exec(PGconn *c, const char *sql, const struct pg_params *p, int *changes,
		      const char *what)
{
	PGresult *r;
	ExecStatusType st;

	if (!c) {
		last_error = RBD_EUNAVAIL;
		rbd_err_set(RBD_EUNAVAIL, "%s: no database connection", what);
		return NULL;
	}
	r = PQexecParams(c, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_FATAL_ERROR && c == reader_held && PQstatus(c) == CONNECTION_BAD) {
		PQclear(r);
		PQreset(c);
		r = PQexecParams(c, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0);
		st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	}
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (changes) {
			const char *t = PQcmdTuples(r);

			*changes = (t && *t) ? (int)strtol(t, NULL, 10) : 0;
		}
		return r;
	}
	{
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		int code = (state && strncmp(state, "23", 2) == 0) ? RBD_ECONFLICT : RBD_EUNAVAIL;
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
		msg[strcspn(msg, "\n")] = '\0';
		last_error = code;
		rbd_err_set(code, "%s: %s", what, msg);
	}
	PQclear(r);
	return NULL;
}

int rbd_pg_run(PGconn *c, const char *sql, const struct pg_params *p, int *changes,
	       const char *what)
{
	PGresult *r = rbd_pg_exec(c, sql, p, changes, what);

	if (!r)
		return rbd_pg_last_error();
	PQclear(r);
	return 0;
}

int rbd_pg_int(PGconn *c, const char *sql, const struct pg_params *p, int64_t *out,
	       const char *what)
{
	PGresult *r = rbd_pg_exec(c, sql, p, NULL, what);

	*out = 0;
	if (!r)
		return rbd_pg_last_error();
	if (PQntuples(r) > 0)
		*out = rbd_pg_col_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int rbd_pg_ids(PGconn *c, const char *sql, const struct pg_params *p, int64_t **out,
	       size_t *out_n, const char *what)
{
	PGresult *r = rbd_pg_exec(c, sql, p, NULL, what);
	int n;

	*out = NULL;
	*out_n = 0;
	if (!r)
		return rbd_pg_last_error();
	n = PQntuples(r);
	*out = rbd_calloc((size_t)n + 1, sizeof(**out));
	for (int i = 0; i < n; i++)
		(*out)[i] = rbd_pg_col_i64(r, i, 0);
	*out_n = (size_t)n;
	PQclear(r);
	return 0;
}

int64_t rbd_pg_col_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

char *rbd_pg_col_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : rbd_strdup(PQgetvalue(r, row, col));
}

/* ---- connections ---- */

/* The password file's first line (at most 1 KiB); NULL when unreadable. */
static char *password_read(const char *path)
{
	char buf[1025];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f) {
		rbd_log_warn("cannot read database_password_file", "path", path, "error", strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return rbd_strdup(buf);
}

static PGconn *pg_connect(const struct pg_store *s)
{
	/* dbname (the URL) is expanded first; the keywords after it override it, those
	 * before it are defaults. libpq otherwise takes the password from the URL,
	 * PGPASSWORD or PGPASSFILE. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL, NULL };
	const char *vals[] = { "5", "runbookd", s->url, NULL, NULL };
	char *pw = s->password_file ? password_read(s->password_file) : NULL;
	PGconn *c;

	if (pw) {
		keys[3] = "password";
		vals[3] = pw;
	}
	c = PQconnectdbParams(keys, vals, 1);
	if (pw) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}

	if (c && PQstatus(c) == CONNECTION_OK) {
		/* A replica frozen inside a transaction (SIGSTOP, a stuck host) must not hold
		 * the write lock for ever: the server ends such a session; a write that waits
		 * too long for the lock fails (503) rather than hanging. */
		PGresult *r = PQexec(c, "SET synchronous_commit = on; SET client_min_messages = warning; "
				     "SET idle_in_transaction_session_timeout = '10s'; "
				     "SET lock_timeout = '15s'; SET statement_timeout = '30s'");

		PQclear(r);
	}
	return c;
}

/* 0 when *c is connected, reconnecting when it was lost (the database came back). */
static int pg_ensure(PGconn **c, const struct pg_store *s)
{
	/* A connection the server closed while it sat idle (terminated, restarted) is
	 * noticed here without a round trip: libpq reads the EOF and marks it bad. */
	if (*c && PQstatus(*c) == CONNECTION_OK && PQtransactionStatus(*c) == PQTRANS_IDLE)
		PQconsumeInput(*c);
	if (*c && PQstatus(*c) == CONNECTION_OK)
		return 0;
	PQfinish(*c);     /* not PQreset: a new connection reads a rotated password */
	*c = pg_connect(s);
	if (*c && PQstatus(*c) == CONNECTION_OK)
		return 0;
	{
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", *c ? PQerrorMessage(*c) : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		return rbd_err_set(RBD_EUNAVAIL, "database unreachable: %s", msg);
	}
}

PGconn *rbd_pg_reader_get(struct pg_store *s)
{
	struct pg_reader *r = NULL;

	pthread_mutex_lock(&s->rmu);
	for (;;) {
		for (int i = 0; i < PG_READERS && !r; i++)
			if (!s->readers[i].busy)
				r = &s->readers[i];
		if (r)
			break;
		pthread_cond_wait(&s->rcv, &s->rmu);
	}
	r->busy = 1;
	pthread_mutex_unlock(&s->rmu);
	/* A lost connection is reconnected here; a failure leaves it NULL or bad and the
	 * read fails with RBD_EUNAVAIL. */
	pg_ensure(&r->c, s);
	reader_held = r->c;
	return r->c;
}

void rbd_pg_reader_put(struct pg_store *s, PGconn *c)
{
	reader_held = NULL;
	pthread_mutex_lock(&s->rmu);
	for (int i = 0; i < PG_READERS; i++)
		if (s->readers[i].busy && s->readers[i].c == c) {
			s->readers[i].busy = 0;
			break;
		}
	pthread_cond_signal(&s->rcv);
	pthread_mutex_unlock(&s->rmu);
}

/* ---- migrations ---- */

static int pg_version(PGconn *c, int *out)
{
	int64_t v = 0;
	int rc = rbd_pg_run(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer "
			    "PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)", NULL, NULL,
			    "schema_migrations");

	if (!rc)
		rc = rbd_pg_int(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL,
				&v, "schema version");
	*out = (int)v;
	return rc;
}

static int pg_migration_apply(PGconn *c, const struct rbd_migration *m)
{
	struct pg_params p = { 0 };
	PGresult *r;
	int rc = rbd_pg_run(c, "BEGIN", NULL, NULL, "begin migration");

	if (rc)
		return rc;
	r = PQexec(c, m->sql);     /* the embedded file: several statements */
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
		msg[strcspn(msg, "\n")] = '\0';
		PQclear(r);
		rbd_pg_run(c, "ROLLBACK", NULL, NULL, "rollback");
		return rbd_err_set(RBD_EUNAVAIL, "migration pg/%04d_%s: %s", m->version, m->name, msg);
	}
	PQclear(r);
	rbd_pg_p_i64(&p, m->version);
	rbd_pg_p_text(&p, m->name);
	rbd_pg_p_i64(&p, rbd_now_ms());
	rc = rbd_pg_run(c, "INSERT INTO schema_migrations (version, name, applied_at) "
			"VALUES ($1, $2, $3)", &p, NULL, "record migration");
	if (!rc)
		rc = rbd_pg_run(c, "COMMIT", NULL, NULL, "commit migration");
	if (rc)
		rbd_pg_run(c, "ROLLBACK", NULL, NULL, "rollback");
	return rc;
}

/* Replicas starting together: the first takes the lock and migrates, the others wait
 * for it and then find nothing left to do. */
int rbd_pg_store_migrate(struct rbd_store *bs, int *applied)
{
	struct pg_store *s = pg_store_of(bs);
	struct pg_params p = { 0 };
	int version = 0, n = 0, rc;

	pthread_mutex_lock(&s->wmu);
	rc = pg_ensure(&s->writer, s);
	rbd_pg_p_i64(&p, PG_LOCK_MIGRATE);
	if (!rc)
		rc = rbd_pg_run(s->writer, "SELECT pg_advisory_lock($1)", &p, NULL, "migration lock");
	if (rc) {
		pthread_mutex_unlock(&s->wmu);
		return rc;
	}
	rc = pg_version(s->writer, &version);
	for (size_t i = 0; !rc && i < rbd_pg_migrations_count; i++) {
		if (rbd_pg_migrations[i].version <= version)
			continue;
		rc = pg_migration_apply(s->writer, &rbd_pg_migrations[i]);
		if (!rc)
			n++;
	}
	if (rc) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", rbd_err_msg());
		rbd_pg_run(s->writer, "SELECT pg_advisory_unlock($1)", &p, NULL, "migration unlock");
		rbd_err_set(rc, "%s", msg);
	} else {
		rbd_pg_run(s->writer, "SELECT pg_advisory_unlock($1)", &p, NULL, "migration unlock");
	}
	pthread_mutex_unlock(&s->wmu);
	if (applied)
		*applied = n;
	return rc;
}

int rbd_pg_store_migrated(const struct rbd_store *bs)
{
	return ((const struct pg_store *)(const void *)bs)->migrated;
}

static int pg_schema_current(struct pg_store *s)
{
	int latest = rbd_pg_migrations_count ? rbd_pg_migrations[rbd_pg_migrations_count - 1].version : 0;
	PGconn *c = rbd_pg_reader_get(s);
	int64_t v = 0;
	int exists_rc = rbd_pg_int(c, "SELECT count(*) FROM pg_tables WHERE tablename = "
				   "'schema_migrations' AND schemaname = current_schema()", NULL, &v,
				   "schema version");

	if (!exists_rc && v)
		exists_rc = rbd_pg_int(c, "SELECT coalesce(max(version), 0) FROM schema_migrations",
				       NULL, &v, "schema version");
	rbd_pg_reader_put(s, c);
	if (exists_rc)
		return exists_rc;
	if (v != latest)
		return rbd_err_set(RBD_EUNAVAIL, "database schema is at version %lld, expected %d: "
				   "run `runbookd migrate`", (long long)v, latest);
	return 0;
}

/* ---- writes ---- */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Group commit, as on SQLite: one writer thread runs whatever jobs are queued in one
 * transaction (a SAVEPOINT each when there are several, so that a failing job rolls
 * back alone), under PG_LOCK_WRITE, which serialises it with every other replica's
 * writes. Each caller learns its result after the COMMIT. A connection lost before the
 * first job ran (while idle or waiting for the write lock) is reconnected and the
 * transaction started again, once. Nothing is retried once a job ran: a job's outputs
 * (ids, counters) are not replay-safe, so a connection lost mid-batch or mid-COMMIT
 * answers RBD_EUNAVAIL (503; the retry is idempotent by the unique keys) and the next
 * batch reconnects.
 */
static int batch_begin(struct pg_store *s)
{
	struct pg_params p = { 0 };

	rbd_pg_p_i64(&p, PG_LOCK_WRITE);
	for (int attempt = 0;; attempt++) {
		int rc = pg_ensure(&s->writer, s);

		if (rc)
			return rc;          /* unreachable: a second attempt would only wait again */
		rc = rbd_pg_run(s->writer, "BEGIN", NULL, NULL, "begin");
		if (!rc)
			rc = rbd_pg_run(s->writer, "SELECT pg_advisory_xact_lock($1)", &p, NULL,
					"write lock");
		if (!rc || attempt || !s->writer || PQstatus(s->writer) == CONNECTION_OK)
			return rc;
		/* Lost before any job ran (idle in the pool, or while it waited for the write
		 * lock): the server rolled back a transaction that had written nothing, so
		 * starting again on a new connection cannot store anything twice. Once. */
		rbd_log_warn("database connection lost before the batch's first write; "
			     "reconnecting and starting the transaction again", "error", rbd_err_msg());
	}
}

static void batch_fail(struct pg_job *batch, const char *why)
{
	for (struct pg_job *j = batch; j; j = j->next)
		if (!j->rc) {
			j->rc = RBD_EUNAVAIL;
			snprintf(j->msg, sizeof(j->msg), "%s", why);
		}
}

static void batch_abort(struct pg_store *s)
{
	if (s->writer && PQstatus(s->writer) == CONNECTION_OK &&
	    PQtransactionStatus(s->writer) != PQTRANS_IDLE)
		PQclear(PQexec(s->writer, "ROLLBACK"));
}

/* 0 when the batch committed (some jobs may have failed alone), else RBD_EUNAVAIL. */
static int run_batch(struct pg_store *s, struct pg_job *batch)
{
	struct pg_tx tx = { &rbd_store_pg_ops, s, NULL, 0, 0 };
	int multi = batch->next != NULL, ok = 0, wake = 0, jobs = 0, committed;
	int64_t t0 = mono_us();
	char why[256];
	PGresult *r;

	pthread_mutex_lock(&s->wmu);
	if (batch_begin(s)) {
		snprintf(why, sizeof(why), "%s", rbd_err_msg());
		batch_abort(s);
		pthread_mutex_unlock(&s->wmu);
		batch_fail(batch, why);
		return RBD_EUNAVAIL;
	}
	tx.c = s->writer;
	for (struct pg_job *j = batch; j; j = j->next) {
		jobs++;
		if (multi && rbd_pg_run(s->writer, "SAVEPOINT job", NULL, NULL, "savepoint"))
			goto broken;
		tx.wake = 0;
		j->rc = j->fn((struct rbd_tx *)(void *)&tx, j->arg);
		if (j->rc) {
			snprintf(j->msg, sizeof(j->msg), "%s", rbd_err_msg());
			if (multi && rbd_pg_run(s->writer, "ROLLBACK TO SAVEPOINT job", NULL, NULL,
						"rollback to savepoint"))
				goto broken;
			continue;
		}
		if (multi && rbd_pg_run(s->writer, "RELEASE SAVEPOINT job", NULL, NULL, "release"))
			goto broken;
		j->wake = tx.wake;
		wake |= tx.wake;
		ok++;
	}
	if (!ok) {
		batch_abort(s);
		pthread_mutex_unlock(&s->wmu);
		return 0;
	}
	if (wake && rbd_pg_run(s->writer, "SELECT pg_notify('" PG_WAKE_CHANNEL "', '')", NULL, NULL,
			       "notify"))
		goto broken;
	r = rbd_pg_exec(s->writer, "COMMIT", NULL, NULL, "commit");
	/* COMMIT of a transaction that failed answers ROLLBACK: not committed. */
	committed = r && strcmp(PQcmdStatus(r), "COMMIT") == 0;
	snprintf(why, sizeof(why), "commit failed: %s", r ? "the transaction was rolled back"
		 : rbd_err_msg());
	PQclear(r);
	pthread_mutex_unlock(&s->wmu);
	if (!committed) {
		rbd_log_error("commit failed", "error", why);
		batch_fail(batch, why);
		return RBD_EUNAVAIL;
	}
	if (s->on_stats)
		s->on_stats(s->on_stats_ctx, mono_us() - t0, jobs);
	return 0;
broken:
	snprintf(why, sizeof(why), "database write failed: %s", rbd_err_msg());
	batch_abort(s);
	pthread_mutex_unlock(&s->wmu);
	rbd_log_error("transaction lost", "error", why);
	for (struct pg_job *j = batch; j; j = j->next)
		j->rc = 0;          /* every job of the batch lost its writes */
	batch_fail(batch, why);
	return RBD_EUNAVAIL;
}

static void *writer_main(void *arg)
{
	struct pg_store *s = arg;

	pthread_mutex_lock(&s->qmu);
	for (;;) {
		struct pg_job *batch, *j, *next;
		int n = 0, rc, wake = 0;

		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->work, &s->qmu);
		if (!s->head)
			break;
		batch = s->head;
		for (j = batch; j->next && ++n < PG_BATCH_MAX; j = j->next)
			;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&s->qmu);

		rc = run_batch(s, batch);
		for (j = batch; j; j = j->next)
			wake |= !j->rc && j->wake;
		if (!rc && wake && s->on_commit)
			s->on_commit(s->on_commit_ctx);

		pthread_mutex_lock(&s->qmu);
		for (j = batch; j; j = next) {
			next = j->next;
			j->done = 1;
			pthread_cond_signal(&j->cv);
		}
	}
	pthread_mutex_unlock(&s->qmu);
	return NULL;
}

int rbd_pg_store_write(struct rbd_store *bs, rbd_tx_fn fn, void *arg)
{
	struct pg_store *s = pg_store_of(bs);
	struct pg_job j = { .fn = fn, .arg = arg };

	if (!s->has_writer)
		return rbd_err_set(RBD_EUNAVAIL, "store opened read-only");
	pthread_mutex_lock(&s->qmu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->qmu);
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
		pthread_cond_wait(&j.cv, &s->qmu);
	pthread_mutex_unlock(&s->qmu);
	pthread_cond_destroy(&j.cv);
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

int rbd_pg_store_ready(struct rbd_store *s)
{
	return rbd_pg_store_write(s, ready_probe, NULL);
}

void rbd_pg_store_on_commit(struct rbd_store *bs, void (*fn)(void *ctx), void *ctx)
{
	struct pg_store *s = pg_store_of(bs);

	s->on_commit = fn;
	s->on_commit_ctx = ctx;
}

void rbd_pg_store_on_commit_stats(struct rbd_store *bs, void (*fn)(void *ctx, int64_t us, int jobs),
				  void *ctx)
{
	struct pg_store *s = pg_store_of(bs);

	s->on_stats = fn;
	s->on_stats_ctx = ctx;
}

/* ---- replicas: heartbeat, lease, leader, wake-ups ---- */

static int heartbeat(struct pg_store *s)
{
	struct pg_params p = { 0 };

	rbd_pg_p_text(&p, s->replica);
	return rbd_pg_run(s->ha, "INSERT INTO replicas (id, started_at, last_seen) VALUES ($1, "
			  PG_NOW_MS ", " PG_NOW_MS ") ON CONFLICT (id) DO UPDATE SET last_seen = "
			  "EXCLUDED.last_seen", &p, NULL, "heartbeat");
}

/* Running actions whose owner stopped heartbeating for longer than the lease (or that
 * have no owner) become interrupted, never re-run. */
static int sweep_job(struct rbd_tx *btx, void *arg)
{
	struct pg_tx *tx = pg_tx_of(btx);
	struct pg_store *s = tx->s;
	struct pg_params p = { 0 };
	PGresult *r;
	int rc = 0, n;

	rbd_pg_p_text(&p, s->replica);
	rbd_pg_p_i64(&p, s->lease_ms);
	r = rbd_pg_exec(tx->c, "SELECT a.id, a.incident_id, coalesce(a.owner, '') FROM actions a "
			"WHERE a.state = 'running' AND a.owner IS DISTINCT FROM $1 AND NOT EXISTS "
			"(SELECT 1 FROM replicas r WHERE r.id = a.owner AND r.last_seen >= "
			PG_NOW_MS " - $2::bigint) ORDER BY a.id", &p, NULL, "dead replicas' actions");
	if (!r)
		return rbd_pg_last_error();
	n = PQntuples(r);
	for (int i = 0; !rc && i < n; i++) {
		struct pg_params q = { 0 };
		int changed = 0;
		char reason[300];
		const char *owner = PQgetvalue(r, i, 2);
		int64_t now = rbd_now_ms();

		snprintf(reason, sizeof(reason), "replica %s stopped heartbeating for longer than "
			 "the lease while it was running; not re-run", owner[0] ? owner : "(unknown)");
		rbd_pg_p_i64(&q, rbd_pg_col_i64(r, i, 0));
		rbd_pg_p_text(&q, reason);
		rbd_pg_p_i64(&q, now);
		rc = rbd_pg_run(tx->c, "UPDATE actions SET state = 'interrupted', reason = $2, "
				"finished_at = $3 WHERE id = $1 AND state = 'running'", &q, &changed,
				"interrupt");
		if (rc || changed != 1)
			continue;
		memset(&q, 0, sizeof(q));
		rbd_pg_p_ms(&q, rbd_pg_col_i64(r, i, 1));
		rbd_pg_p_i64(&q, now);
		rbd_pg_p_text(&q, rbd_event_kind_name(RBD_EVENT_ACTION_INTERRUPTED));
		rbd_pg_p_i64(&q, rbd_pg_col_i64(r, i, 0));
		rbd_pg_p_text(&q, reason);
		rbd_pg_p_text(&q, owner);
		rc = rbd_pg_run(tx->c, "INSERT INTO events (incident_id, ts, kind, actor, action_id, "
				"detail) VALUES ($1, $2, $3, 'runbookd', $4, json_build_object('reason', "
				"$5::text, 'replica', $6::text)::text)", &q, NULL, "interrupt event");
		tx->wake = 1;    /* slots are free again */
		rbd_log_warn("a dead replica's running action is marked interrupted, not re-run",
			     "replica", owner);
	}
	PQclear(r);
	return rc;
}

static void ha_connect(struct pg_store *s)
{
	if (s->ha && PQstatus(s->ha) == CONNECTION_OK)
		return;
	atomic_store(&s->leader, false);   /* a new session holds no lock */
	if (pg_ensure(&s->ha, s))
		return;
	if (rbd_pg_run(s->ha, "LISTEN " PG_WAKE_CHANNEL, NULL, NULL, "listen"))
		rbd_log_warn("cannot listen for wake-ups", "error", rbd_err_msg());
}

static void ha_tick(struct pg_store *s)
{
	ha_connect(s);
	if (!s->ha || PQstatus(s->ha) != CONNECTION_OK)
		return;
	if (heartbeat(s))
		rbd_log_warn("heartbeat failed", "error", rbd_err_msg());
	if (!atomic_load(&s->leader)) {
		struct pg_params p = { 0 };
		int64_t got = 0;

		rbd_pg_p_i64(&p, PG_LOCK_LEADER);
		if (!rbd_pg_int(s->ha, "SELECT pg_try_advisory_lock($1)::int", &p, &got, "leader") && got) {
			atomic_store(&s->leader, true);
			rbd_log_info("this replica is the leader (polls Alertmanager)", "replica", s->replica);
		}
	}
	if (rbd_pg_store_write((struct rbd_store *)(void *)s, sweep_job, NULL))
		rbd_log_warn("lease sweep failed", "error", rbd_err_msg());
}

/* Drains NOTIFYs; 1 when a wake-up arrived. */
static int ha_notified(struct pg_store *s)
{
	PGnotify *n;
	int woke = 0;

	if (!s->ha || !PQconsumeInput(s->ha))
		return 0;
	while ((n = PQnotifies(s->ha))) {
		woke = 1;
		PQfreemem(n);
	}
	return woke;
}

static void *ha_main(void *arg)
{
	struct pg_store *s = arg;
	int64_t every = s->lease_ms / 3 > 50 ? s->lease_ms / 3 : 50;
	int64_t next = 0;

	if (every > 1000)
		every = 1000;      /* leadership and the sweep stay prompt with a long lease */
	while (!atomic_load(&s->ha_stopping)) {
		struct pollfd fds[2] = { { s->ha_pipe[0], POLLIN, 0 }, { -1, POLLIN, 0 } };
		int64_t now = rbd_mono_ms();
		int wait;

		if (now >= next) {
			ha_tick(s);
			next = now + every;
		}
		if (s->ha && PQstatus(s->ha) == CONNECTION_OK)
			fds[1].fd = PQsocket(s->ha);
		wait = (int)(next - rbd_mono_ms());
		if (poll(fds, 2, wait > 0 ? wait : 0) < 0 && errno != EINTR)
			break;
		if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP))) {
			if (ha_notified(s) && s->on_commit)
				s->on_commit(s->on_commit_ctx);
			if (PQstatus(s->ha) != CONNECTION_OK)
				atomic_store(&s->leader, false);
		}
	}
	return NULL;
}

int rbd_pg_store_ha_start(struct rbd_store *bs, const char *replica, int64_t lease_ms)
{
	struct pg_store *s = pg_store_of(bs);
	int rc;

	if (s->has_ha || s->readonly)
		return 0;
	free(s->replica);
	s->replica = rbd_strdup(replica);
	s->lease_ms = lease_ms > 0 ? lease_ms : 30000;
	ha_connect(s);
	if (!s->ha || PQstatus(s->ha) != CONNECTION_OK)
		return rbd_err_set(RBD_EUNAVAIL, "database unreachable");
	/* Alive before anything is claimed: peers must not take our fresh claims for a
	 * dead replica's. */
	rc = heartbeat(s);
	if (rc)
		return rc;
	if (pipe2(s->ha_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return rbd_err_set(RBD_EIO, "pipe: %s", strerror(errno));
	if (pthread_create(&s->ha_thread, NULL, ha_main, s) != 0) {
		close(s->ha_pipe[0]);
		close(s->ha_pipe[1]);
		return rbd_err_set(RBD_EIO, "cannot start the replica thread");
	}
	s->has_ha = 1;
	return 0;
}

bool rbd_pg_store_is_leader(struct rbd_store *bs)
{
	return atomic_load(&pg_store_of(bs)->leader);
}

/* ---- open / close ---- */

int rbd_pg_store_open(struct rbd_store **out, const char *url, int flags,
		      const char *password_file)
{
	struct pg_store *s = rbd_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->ops = &rbd_store_pg_ops;
	s->url = rbd_strdup(url);
	s->password_file = password_file ? rbd_strdup(password_file) : NULL;
	s->readonly = (flags & RBD_STORE_NO_WRITER) != 0;
	s->ha_pipe[0] = s->ha_pipe[1] = -1;
	pthread_mutex_init(&s->wmu, NULL);
	pthread_mutex_init(&s->qmu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	pthread_cond_init(&s->rcv, NULL);
	if (flags & RBD_STORE_MIGRATE) {
		rc = rbd_pg_store_migrate((struct rbd_store *)(void *)s, &s->migrated);
		if (rc)
			goto fail;
	}
	rc = pg_schema_current(s);
	if (rc)
		goto fail;
	if (!s->readonly) {
		if (pthread_create(&s->wthread, NULL, writer_main, s) != 0) {
			rc = rbd_err_set(RBD_EIO, "cannot start the writer thread");
			goto fail;
		}
		s->has_writer = 1;
	}
	*out = (struct rbd_store *)(void *)s;
	return 0;
fail:
	rbd_pg_store_close((struct rbd_store *)(void *)s);
	return rc;
}

void rbd_pg_store_close(struct rbd_store *bs)
{
	struct pg_store *s = pg_store_of(bs);

	if (s->has_ha) {
		atomic_store(&s->ha_stopping, true);
		if (write(s->ha_pipe[1], "x", 1) < 0)
			rbd_log_warn("cannot wake the replica thread", "error", strerror(errno));
		pthread_join(s->ha_thread, NULL);
		close(s->ha_pipe[0]);
		close(s->ha_pipe[1]);
	}
	if (s->has_writer) {
		pthread_mutex_lock(&s->qmu);
		s->stopping = 1;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->qmu);
		pthread_join(s->wthread, NULL);
	}
	PQfinish(s->ha);
	for (int i = 0; i < PG_READERS; i++)
		PQfinish(s->readers[i].c);
	PQfinish(s->writer);
	pthread_mutex_destroy(&s->wmu);
	pthread_mutex_destroy(&s->qmu);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->rmu);
	pthread_cond_destroy(&s->rcv);
	free(s->replica);
	free(s->url);
	free(s->password_file);
	free(s);
}

/* The fault hook is SQLite's (tests/integration/test_faults.sh); PostgreSQL's faults are
 * real ones (tests/ha/test_ha_faults.sh): these arm nothing. */
void rbd_pg_store_fault_arm(struct rbd_store *s, int nth, int count, int kind)
{
}

int rbd_pg_store_fault_seen(struct rbd_store *s)
{
	return 0;
}

int rbd_pg_store_fault_hits(struct rbd_store *s)
{
	return 0;
}
