/*
 * store_pg_internal: what the PostgreSQL backend's files (store_pg.c, store_pg_tx.c,
 * store_pg_read.c) share. Private; with them the only place libpq-fe.h is included.
 *
 * Several replicas write to one database. Writes are group-committed by one writer
 * thread per replica (as on SQLite). Every write transaction first takes one
 * transaction-level advisory lock (PG_LOCK_WRITE): writes are serialised across
 * replicas the way SQLite's single writer serialises them in one process, so gate
 * counting (rate limit, cooldown, breaker, global concurrency), quorum counting and
 * claims see every committed row and nothing can slip between a count and its write.
 * Unique keys with INSERT ... ON CONFLICT keep episodes, incidents, actions and
 * approvals single even without the lock.
 */
#ifndef RUNBOOKD_STORE_PG_INTERNAL_H
#define RUNBOOKD_STORE_PG_INTERNAL_H

#include "store_backend.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#define PG_READERS 4
#define PG_MAX_PARAMS 16

/* Advisory lock keys (one namespace: "rbd" in ASCII, then a number). */
#define PG_LOCK_WRITE   0x726264000001LL
#define PG_LOCK_LEADER  0x726264000002LL
#define PG_LOCK_MIGRATE 0x726264000003LL

#define PG_WAKE_CHANNEL "runbookd_wake"

#define PG_BATCH_MAX 64

/* A queued write job (rbd_pg_store_write waits on its cv until the batch committed). */
struct pg_job {
	rbd_tx_fn fn;
	void *arg;
	int rc;
	int done;
	int wake;
	pthread_cond_t cv;
	char msg[256];
	struct pg_job *next;
};

struct pg_reader {
	PGconn *c;
	int busy;
};

struct pg_store {
	const struct rbd_store_ops *ops;   /* first: store_backend.h */
	char *url;
	char *password_file;               /* NULL: libpq's own sources */
	int readonly;
	int migrated;

	PGconn *writer;
	pthread_mutex_t wmu;               /* the writer connection */
	/* The group-commit queue and its thread. */
	pthread_t wthread;
	int has_writer;
	pthread_mutex_t qmu;
	pthread_cond_t work;
	struct pg_job *head, *tail;
	int stopping;

	struct pg_reader readers[PG_READERS];
	pthread_mutex_t rmu;
	pthread_cond_t rcv;

	void (*on_commit)(void *);
	void *on_commit_ctx;
	void (*on_stats)(void *, int64_t, int);
	void *on_stats_ctx;

	/* rbd_store_ha_start: heartbeat, lease sweep, leadership and LISTEN on one thread
	 * with a connection of its own. */
	char *replica;
	int64_t lease_ms;
	PGconn *ha;
	pthread_t ha_thread;
	int has_ha;
	int ha_pipe[2];
	atomic_bool leader;
	atomic_bool ha_stopping;
};

struct pg_tx {
	const struct rbd_store_ops *ops;   /* first: store_backend.h */
	struct pg_store *s;
	PGconn *c;
	int wake;
	int changes;
};

/* Text parameters for PQexecParams: NULL is SQL NULL. */
struct pg_params {
	const char *v[PG_MAX_PARAMS];
	char buf[PG_MAX_PARAMS][24];
	int n;
};

static inline struct pg_store *pg_store_of(struct rbd_store *s)
{
	return (struct pg_store *)(void *)s;
}

static inline struct pg_tx *pg_tx_of(struct rbd_tx *tx)
{
	return (struct pg_tx *)(void *)tx;
}

void rbd_pg_p_text(struct pg_params *p, const char *v);
void rbd_pg_p_i64(struct pg_params *p, int64_t v);
void rbd_pg_p_ms(struct pg_params *p, int64_t v);      /* 0: NULL */
void rbd_pg_p_bool(struct pg_params *p, bool v);
/* Runs sql; NULL with the error set (RBD_ECONFLICT on a unique violation, else
 * RBD_EUNAVAIL). *changes (may be NULL) gets the rows the command touched. */
PGresult *rbd_pg_exec(PGconn *c, const char *sql, const struct pg_params *p, int *changes,
		      const char *what);
/* The error code of this thread's last failed rbd_pg_exec. */
int rbd_pg_last_error(void);
/* Runs sql and discards the result: 0 or an error code. */
int rbd_pg_run(PGconn *c, const char *sql, const struct pg_params *p, int *changes,
	       const char *what);
/* The first column of the first row as int64 (0 when no row or NULL). */
int rbd_pg_int(PGconn *c, const char *sql, const struct pg_params *p, int64_t *out,
	       const char *what);
/* The first column of every row as int64 (caller frees *out). */
int rbd_pg_ids(PGconn *c, const char *sql, const struct pg_params *p, int64_t **out,
	       size_t *out_n, const char *what);
int64_t rbd_pg_col_i64(const PGresult *r, int row, int col);
char *rbd_pg_col_text(const PGresult *r, int row, int col);
/* A text[] literal of the state names whose bool at offset flag of the state info is true. */
void rbd_pg_states_array(char *out, size_t cap, size_t flag);
void rbd_pg_read_action(const PGresult *r, int row, struct rbd_action_rec *a);
int rbd_pg_get_action(PGconn *c, struct rbd_action_rec *out, int64_t id);
int rbd_pg_rule_counts(PGconn *c, struct rbd_rule_counts *out, const char *rule,
		       const char *key, int64_t now_ms);
/* A connection for reading (reconnected when it was lost); put it back after. */
PGconn *rbd_pg_reader_get(struct pg_store *s);
void rbd_pg_reader_put(struct pg_store *s, PGconn *c);

#define PG_ACT_COLS "id, incident_id, alert_id, rule, action, kind, state, rendered, dry_run, " \
	"requires_approval, approvals_needed, decided_by, reason, exit_code, term_signal, " \
	"output, result, created_at, started_at, finished_at"
#define PG_INC_COLS "id, status, group_key, title, opened_at, resolved_at"
#define PG_ALERT_COLS "a.id, a.incident_id, a.fingerprint, a.starts_at, a.ends_at, a.status, " \
	"a.labels, a.annotations, a.first_seen, a.last_seen"
/* The database's clock in milliseconds: replicas' clocks may differ, leases must not. */
#define PG_NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"

#endif
