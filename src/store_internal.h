/*
 * store_internal: what store.c, store_tx.c and store_read.c (the SQLite backend) share: connections,
 * the statement cache and small step helpers. Private to the store; the only header
 * besides sqlite3.h users that may include sqlite3.h.
 */
#ifndef RUNBOOKD_STORE_INTERNAL_H
#define RUNBOOKD_STORE_INTERNAL_H

#include "store_backend.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#define READERS 4
#define BATCH_MAX 512

/* Every statement, by id: prepared once per connection, kept for its life. */
/* The timeline iterator's query (prepared per iterator, not cached). */
#define RBD_STORE_EVENTS_SQL "SELECT id, incident_id, ts, kind, actor, action_id, detail " \
	"FROM events WHERE incident_id = ?1 OR (incident_id IS NULL AND ts >= ?2 AND ts <= ?3) " \
	"ORDER BY id"

enum stmt_id {
	ST_EVENT_ADD, ST_INC_OPEN, ST_INC_LATEST, ST_INC_CREATE, ST_INC_RESOLVE, ST_INC_UNRESOLVED,
	ST_NOTIF_ADD, ST_EP_GET, ST_EP_INSERT, ST_EP_TOUCH, ST_EP_RESOLVE, ST_EP_FIRING,
	ST_ACT_INSERT, ST_ACT_TRANSITION, ST_ACT_CANCEL_SELECT, ST_ACT_GET,
	ST_APPROVAL_ADD, ST_APPROVAL_COUNT, ST_ACT_DECIDED_BY, ST_ACT_START, ST_ACT_FINISH,
	ST_ACT_DRY_RUN, ST_ACT_SET_PROCESS, ST_ACT_GET_PROCESS,
	ST_RULE_RUNS, ST_RULE_FAILS, ST_RULE_LAST_KEY, ST_RULE_STATE, ST_RULE_TRIP, ST_RULE_RESET,
	ST_RUNNING, ST_NEXT_ACTION, ST_EXPIRED, ST_RUNNING_IDS, ST_SETTING_SET, ST_SETTING_GET,
	ST_ACT_INCIDENT, ST_INC_EXISTS, ST_AFTER_STATE, ST_ACT_ALERT_RESOLVED,
	ST_INC_LIST, ST_INC_LIST_STATUS, ST_INC_COUNT, ST_INC_COUNT_STATUS, ST_INC_GET,
	ST_ALERTS, ST_ACTIONS, ST_STATE_COUNTS, ST_OPEN_FIRING,
	ST_DECISIONS, ST_ACT_EXPIRES, ST_GAUGES,
	ST_ACTIONS_INCIDENT,
	ST_COUNT
};

/* Test-only fault injection (rbd_store_fault_arm): armed on the writer only. */
struct fault {
	atomic_int seen;      /* statements stepped since arming */
	atomic_int at;        /* the first statement that fails (1-based), 0 = disarmed */
	atomic_int left;      /* how many fail from there; -1 = until disarmed */
	atomic_int code;      /* SQLITE_FULL, SQLITE_BUSY or SQLITE_IOERR */
	atomic_int hits;      /* faults injected since arming */
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct conn *next_free;
	struct fault *fault;  /* NULL but on the writer */
};

struct job {
	rbd_tx_fn fn;
	void *arg;
	int rc;
	int done;
	int wake;             /* rbd_tx_wake(): made work for the executor */
	int probe;            /* a readiness probe: its outcome is not "the last write" */
	pthread_cond_t cv;    /* signalled when done: one waiter per job, no herd */
	char msg[256];        /* the writer thread's error message for this job */
	struct job *next;
};

struct rbd_tx {
	const struct rbd_store_ops *ops;   /* first: store_backend.h */
	struct rbd_store *s;
	struct conn *c;
	struct job *job;      /* the job running now */
};

struct rbd_store {
	const struct rbd_store_ops *ops;   /* first: store_backend.h */
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
	struct job *head, *tail;
	int stopping;
	void (*on_commit)(void *);
	void *on_commit_ctx;
	int migrated;              /* migrations applied by rbd_store_open */
	/* Checkpoints run on their own connection and thread, off the commit path. */
	struct conn ckpt;
	pthread_t ckpt_thread;
	int has_ckpt;
	pthread_mutex_t ckpt_mu;
	pthread_cond_t ckpt_cv;
	int wal_pages;             /* WAL size after the last commit, 0 once the background
	                            * thread took it on (ckpt_mu) */
	int wal_frames;            /* WAL size after the last commit, 0 once all copied */
	int ckpt_busy;             /* a checkpoint runs (background or writer) */
	int64_t ckpt_last_us, ckpt_max_us;   /* the writer's checkpoint stalls */
	int ckpt_stopping;
	void (*on_stats)(void *, int64_t, int);
	void *on_stats_ctx;
	struct fault fault;
	atomic_int write_failed;   /* a write job failed to be stored since the last growth probe */
	char *replica;             /* rbd_store_ha_start */
};


/* The statement id, prepared on first use and kept; reset and unbound. NULL on error. */
sqlite3_stmt *rbd_store_stmt(struct conn *c, enum stmt_id id);
int rbd_store_db_error(sqlite3 *db, int rc, const char *what);
void rbd_store_bind_text(sqlite3_stmt *st, int i, const char *v);
void rbd_store_bind_ms(sqlite3_stmt *st, int i, int64_t ms);
/* Binds the names of the states whose bool field at offset flag (offsetof(struct
 * rbd_action_state_info, ...)) is true to slots parameters from first; NULL for the rest. */
void rbd_store_bind_states(sqlite3_stmt *st, int first, int slots, size_t flag);
/* sqlite3_step, unless an armed test fault fails this statement instead. */
int rbd_store_step(struct conn *c, sqlite3_stmt *st);
int rbd_store_step_done(struct conn *c, sqlite3_stmt *st, const char *what);
int rbd_store_step_int(struct conn *c, sqlite3_stmt *st, int64_t *out, const char *what);
int rbd_store_step_ids(struct conn *c, sqlite3_stmt *st, int64_t **out, size_t *out_n);
char *rbd_store_col_text(sqlite3_stmt *st, int i);
void rbd_store_read_action(sqlite3_stmt *st, struct rbd_action_rec *a);
int rbd_store_get_action(struct conn *c, struct rbd_action_rec *out, int64_t id);
int rbd_store_rule_counts(struct conn *c, struct rbd_rule_counts *out, const char *rule,
			  const char *key, int64_t now_ms);
struct conn *rbd_store_reader_get(struct rbd_store *s);
void rbd_store_reader_put(struct rbd_store *s, struct conn *c);

#endif
