/*
 * store: everything runbookd keeps, in one SQLite file (WAL, synchronous=FULL).
 *
 * Writes go through one writer thread that batches whatever jobs are queued into a
 * single transaction (group commit): each job runs inside its own SAVEPOINT, so a
 * failing job rolls back alone, and every job's caller is told its result only after
 * the COMMIT is durable. Reads use a small pool of read-only connections and see the
 * last committed state. Bound parameters only; statements are prepared once per
 * connection and kept.
 *
 * Two backends behind this one interface (src/store_backend.h): `database:` a path is
 * SQLite (src/store.c, store_tx.c, store_read.c: the only files that include sqlite3.h),
 * `postgres://` or `postgresql://` is PostgreSQL through libpq (src/store_pg*.c: the only
 * files that include libpq-fe.h), for several replicas on one database.
 */
#ifndef RUNBOOKD_STORE_H
#define RUNBOOKD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/action_state.h"
#include "runbookd/model.h"

struct rbd_store;
struct rbd_tx;   /* a job's view of the open write transaction */

enum { RBD_STORE_MIGRATE = 1, RBD_STORE_NO_WRITER = 2 };

/*
 * Opens (creating if missing) the database at path. With RBD_STORE_MIGRATE, applies
 * pending migrations first; otherwise fails with RBD_EUNAVAIL when the schema is not
 * current. RBD_STORE_NO_WRITER opens for reading only (export, simulate).
 */
int rbd_store_open(struct rbd_store **out, const char *path, int flags);
/* The same; a PostgreSQL password is read from password_file (when not NULL) at each
 * connect, so that it never sits in the config or the URL. */
int rbd_store_open_with(struct rbd_store **out, const char *path, int flags,
			const char *password_file);
/* path fit for a log line: a URL's password replaced by ***. */
void rbd_store_display(char *out, size_t cap, const char *path);
/* Stops the writer (after draining queued jobs) and closes every connection. */
void rbd_store_close(struct rbd_store *s);
/* Applies pending migrations; *applied (may be NULL) gets how many ran. */
int rbd_store_migrate(struct rbd_store *s, int *applied);
/* How long the writer's last and longest checkpoints held it (microseconds; the bench
 * and the WAL test read them). 0; RBD_EINVAL on a store that is not SQLite. */
int rbd_store_checkpoint_stats(struct rbd_store *s, int64_t *last_us, int64_t *max_us);
/* The text of the i-th SQL statement the store prepares (every one it runs, for the
 * tests that check each query's plan); NULL past the last. Static. */
const char *rbd_store_sql(size_t i);
/* How many migrations rbd_store_open applied (with RBD_STORE_MIGRATE). */
int rbd_store_migrated(const struct rbd_store *s);
/* 0 when a write transaction can be opened and committed now, else RBD_EUNAVAIL. When
 * the last write job failed to be stored, the probe must also grow the database (a
 * small write can still fit on a full disk); it is ready again once that succeeds. */
int rbd_store_ready(struct rbd_store *s);

/* Called on the writer thread after a commit that carried a job that called
 * rbd_tx_wake() (it wakes the executor). */
void rbd_store_on_commit(struct rbd_store *s, void (*fn)(void *ctx), void *ctx);
/* Commit latency observer: called with each commit's duration in microseconds and the
 * number of jobs it carried. */
void rbd_store_on_commit_stats(struct rbd_store *s, void (*fn)(void *ctx, int64_t us, int jobs),
			       void *ctx);

/*
 * Runs fn(tx, arg) in the writer's transaction and waits until it is committed.
 * Returns fn's result when it failed (its writes are rolled back), RBD_EUNAVAIL when
 * the commit failed (disk full, I/O error), else 0. fn must only touch the database
 * through rbd_tx_* and must not block.
 */
typedef int (*rbd_tx_fn)(struct rbd_tx *tx, void *arg);
int rbd_store_write(struct rbd_store *s, rbd_tx_fn fn, void *arg);

/*
 * Test only (nothing in the service calls it): from now on, the writer's nth SQL
 * statement (1 = the next; BEGIN, SAVEPOINT and COMMIT count) and the count - 1 after it
 * (count -1: every one until re-armed) fail with SQLITE_FULL, SQLITE_BUSY or
 * SQLITE_IOERR instead of running; FULL and IOERR also roll the open transaction back,
 * as SQLite may. nth 0 disarms. seen: statements since arming; hits: faults injected.
 */
enum { RBD_FAULT_FULL, RBD_FAULT_BUSY, RBD_FAULT_IOERR };
void rbd_store_fault_arm(struct rbd_store *s, int nth, int count, int kind);
int rbd_store_fault_seen(struct rbd_store *s);
int rbd_store_fault_hits(struct rbd_store *s);

/* ---- inside a write job ---- */

/* Appends a timeline event; incident_id 0 = service-wide; detail_json NULL = {}. */
int rbd_tx_event(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor,
		 int64_t action_id, const char *detail_json);
/* The open incident of a group, 0 when none. */
int rbd_tx_open_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
/* The most recent incident of a group (any status), 0 when none. */
int rbd_tx_latest_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
int rbd_tx_incident_create(struct rbd_tx *tx, int64_t *out_id, const char *group_key,
			   const char *title, const char *receiver, const char *group_labels_json,
			   int64_t now_ms);
int rbd_tx_incident_resolve(struct rbd_tx *tx, int64_t id, int64_t now_ms);
int rbd_tx_incident_all_resolved(struct rbd_tx *tx, bool *out, int64_t id);
int rbd_tx_notification_add(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms,
			    const char *group_key, const char *status, const char *receiver,
			    int n_alerts, int64_t truncated, bool changed);

struct rbd_episode {
	int64_t id;
	int64_t incident_id;
	bool existed;                 /* false: inserted now */
	char status[16];              /* stored status before this call */
};
/* Looks an episode up without writing: existed false when it is new. */
int rbd_tx_episode_find(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint,
			int64_t starts_ns);
/* Inserts the episode (fingerprint, starts_ns) if new, else touches last_seen. */
int rbd_tx_episode_upsert(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id,
			  const char *fingerprint, int64_t starts_ns, int64_t ends_ms,
			  const char *status, const char *labels_json, const char *annotations_json,
			  const char *generator_url, int64_t now_ms);
/* Resolves a firing episode; a no-op for one already resolved (see rbd_tx_changes). */
int rbd_tx_episode_resolve(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms);
/* Marks this job as having made work for the executor: once committed, the
 * rbd_store_on_commit callback runs. */
void rbd_tx_wake(struct rbd_tx *tx);
/* Rows changed by the last statement of this job. */
int rbd_tx_changes(struct rbd_tx *tx);
/* Ids of the alerts of an incident still firing (caller frees *out). */
int rbd_tx_firing_alerts(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id);

struct rbd_action_new {
	int64_t incident_id;
	int64_t alert_id;
	const char *rule;
	const char *on_status;
	const char *action;
	const char *kind;
	enum rbd_action_state state;  /* an initial state */
	const char *rendered_json;    /* may be NULL (refused) */
	const char *command_key;      /* may be NULL */
	bool dry_run;
	bool requires_approval;
	int approvals_needed;
	const char *reason;           /* may be NULL */
	int64_t expires_at;           /* 0: none */
	int64_t now_ms;
};
/* Inserts unless (rule, alert, on_status) exists: *out_id is then 0. */
int rbd_tx_action_insert(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a);
/* Moves an action from state `from` to `to`, setting reason when not NULL.
 * RBD_EINVAL when the action state table does not allow from -> to; RBD_ECONFLICT when
 * the action is not in `from`. */
int rbd_tx_action_transition(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
			     enum rbd_action_state to, const char *reason, int64_t now_ms);
/* Cancels every waiting action (pending_approval, approved, planned) of an alert; writes
 * the ids cancelled to *out (caller frees). */
int rbd_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n,
				    int64_t alert_id, int64_t now_ms);
/* Reads one action. */
int rbd_tx_action_get(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id);
/* Records an operator's decision; RBD_ECONFLICT when this operator already decided.
 * *out_approvals: distinct approvals so far. */
int rbd_tx_approval_add(struct rbd_tx *tx, int *out_approvals, int64_t action_id,
			const char *operator_name, const char *decision, const char *comment,
			int64_t now_ms);
/* Sets decided_by (the approvers, comma-joined). */
int rbd_tx_action_set_decided_by(struct rbd_tx *tx, int64_t id, const char *who);
/* Sets decided_by to the operators who approved, in the order they did. */
int rbd_tx_approvers(struct rbd_tx *tx, int64_t id);
int rbd_tx_incident_exists(struct rbd_tx *tx, bool *out, int64_t id);
/* Marks running (started_at = now). RBD_ECONFLICT unless in state from. */
int rbd_tx_action_start(struct rbd_tx *tx, int64_t id, enum rbd_action_state from,
			int64_t now_ms);
/* Records a running action's process group and its leader's start time (ticks since
 * boot); reads them back (0, 0 when none was recorded). */
int rbd_tx_action_set_process(struct rbd_tx *tx, int64_t id, int64_t pgid, int64_t start);
int rbd_tx_action_process(struct rbd_tx *tx, int64_t id, int64_t *pgid, int64_t *start);
/* Marks an action that became `dry_run` when claimed as a dry run ("dry_run": true). */
int rbd_tx_action_mark_dry_run(struct rbd_tx *tx, int64_t id);
/* Records the end of a run: state is where a running action may go. */
int rbd_tx_action_finish(struct rbd_tx *tx, int64_t id, enum rbd_action_state state, bool has_exit,
			 int exit_code, int term_signal, const char *output, const char *result,
			 const char *reason, int64_t now_ms);

/* Counters the gates need for a rule, as of now_ms. */
struct rbd_rule_counts {
	int runs_last_hour;           /* actions of the rule started in the last hour */
	int failures_window;          /* failed/timed_out since max(now-1h, reset_at) */
	int64_t last_run_same_key;    /* started_at of the last run with this key; 0: none */
	int64_t tripped_at;           /* 0: breaker closed */
	int running;                  /* actions in state running (all rules) */
	/* after: (filled by the planner, not by rbd_tx_rule_counts) */
	bool after_checked;           /* the rule has after: and the store was asked */
	bool after_met;               /* an action of an after: rule succeeded in scope
	                               * (or, for a dry-run plan, was recorded dry_run) */
	char after_seen[256];         /* what was found, for the skip reason */
};
int rbd_tx_rule_counts(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule,
		       const char *command_key, int64_t now_ms);
int rbd_tx_rule_trip(struct rbd_tx *tx, const char *rule, int64_t now_ms);
/* The best state among rule's actions for one episode (alert_id) or, with
 * whole_incident, one incident: "succeeded" if any, else "dry_run" if any, else the
 * latest one's state; "" when the rule planned nothing there. */
int rbd_tx_after_state(struct rbd_tx *tx, char *out, size_t out_size, const char *rule,
		       int64_t alert_id, int64_t incident_id, bool whole_incident);
int rbd_tx_rule_reset(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms);

/* Next action in the given state (ordered by id) after after_id, 0 when none. */
int rbd_tx_next_action(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state,
		       int64_t after_id);
/* Pending approvals whose expires_at passed (caller frees). */
int rbd_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);
/* Marks every running action interrupted (start-up recovery); *out_n how many. */
int rbd_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);

int rbd_tx_setting_set(struct rbd_tx *tx, const char *key, const char *value);
int64_t rbd_tx_incident_of_action(struct rbd_tx *tx, int64_t action_id);

/* The value of a setting as this transaction sees it (*out NULL when unset). */
int rbd_tx_setting_get(struct rbd_tx *tx, char **out, const char *key);

/* ---- several replicas on one database (PostgreSQL; trivial on SQLite) ---- */

/*
 * Starts this replica's membership: heartbeats into `replicas` every lease/3, and marks
 * the running actions of replicas silent for longer than lease_ms `interrupted` (never
 * re-run). replica names this process (its running actions record it as their owner).
 * SQLite: records the name only (one process owns the file).
 */
int rbd_store_ha_start(struct rbd_store *s, const char *replica, int64_t lease_ms);
/* True when this replica is the one that polls Alertmanager (a session advisory lock on
 * PostgreSQL; always true on SQLite). Cheap: reads the state a background thread keeps. */
bool rbd_store_is_leader(struct rbd_store *s);
/* The backend's name: "sqlite" or "postgresql". */
const char *rbd_store_backend(const struct rbd_store *s);

/* ---- reads (any thread) ---- */

int rbd_store_setting_get(struct rbd_store *s, char **out, const char *key);
/* The open incident of a group as last committed, 0 when none. */
int rbd_store_open_incident(struct rbd_store *s, int64_t *out_id, const char *group_key);

/* status NULL: all. Newest first. *out is an array of *out_n records (free each + array). */
int rbd_store_incidents(struct rbd_store *s, struct rbd_incident **out, size_t *out_n,
			int64_t *out_total, const char *status, int64_t limit, int64_t offset);
int rbd_store_incident(struct rbd_store *s, struct rbd_incident *out, int64_t id);
int rbd_store_alerts(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n,
		     int64_t incident_id);
/* incident_id 0: any; state NULL: any. Newest first, at most limit. */
int rbd_store_actions(struct rbd_store *s, struct rbd_action_rec **out, size_t *out_n,
		      int64_t incident_id, const char *state, int64_t limit);
int rbd_store_action(struct rbd_store *s, struct rbd_action_rec *out, int64_t id);
/* Has the alert (episode) of action_id resolved? *out false on any error. */
int rbd_store_action_alert_resolved(struct rbd_store *s, bool *out, int64_t action_id);
/* Alerts still firing in open incidents (for reconciliation with Alertmanager). */
int rbd_store_open_firing(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n);
struct rbd_rule_stats {
	int runs_last_hour;
	int failures_last_hour;
	int64_t tripped_at;
	int64_t last_run;
};
int rbd_store_rule_stats(struct rbd_store *s, struct rbd_rule_stats *out, const char *rule,
			 int64_t now_ms);
/* Counts of actions by state (for metrics): callback per (state, count). */
int rbd_store_action_state_counts(struct rbd_store *s,
				  void (*fn)(void *ctx, const char *state, int64_t n), void *ctx);
/* What /metrics shows besides the counters, in one statement: open incidents, the
 * creation time of the oldest pending approval (0: none), rules with a tripped breaker. */
struct rbd_store_gauges {
	int64_t open_incidents;
	int64_t oldest_pending_ms;
	int64_t tripped_rules;
};
int rbd_store_gauges(struct rbd_store *s, struct rbd_store_gauges *out);

/* One operator's decision on an action. */
struct rbd_decision {
	char *operator_name;
	char *decision;               /* "approve" | "reject" */
	char *comment;                /* NULL when none */
	int64_t ts_ms;
};
/*
 * The decisions on action id, oldest first (caller frees with rbd_decisions_free),
 * and when its approval expires (*out_expires_ms, 0: no expiry).
 */
int rbd_store_decisions(struct rbd_store *s, struct rbd_decision **out, size_t *out_n,
			int64_t *out_expires_ms, int64_t action_id);
void rbd_decisions_free(struct rbd_decision *v, size_t n);

/*
 * Iterates the timeline of an incident, oldest first (its own events plus
 * service-wide events inside its window). Borrowed events until the next call.
 */
struct rbd_event_iter;
int rbd_store_events_open(struct rbd_store *s, struct rbd_event_iter **out,
			  const struct rbd_incident *inc);
int rbd_store_events_next(struct rbd_event_iter *it, const struct rbd_event **ev);
int rbd_store_events_rewind(struct rbd_event_iter *it);
void rbd_store_events_close(struct rbd_event_iter *it);

#endif
