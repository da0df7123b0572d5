/*
 * ingest: turns one validated Alertmanager notification into stored facts inside
 * one write job (or one per RBD_INGEST_CHUNK alerts): the incident of its group, each
 * alert episode once, timeline events, and for each (rule, episode, status) at most
 * one planned action, rendered now.
 * Answers only after the commit.
 */
#ifndef RUNBOOKD_INGEST_H
#define RUNBOOKD_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "runbookd/app.h"
#include "runbookd/payload.h"

struct rbd_ingest_result {
	int64_t *incident_ids;         /* distinct, in order of first touch; owned */
	size_t n_ids;
	int accepted;                  /* alerts in the notification */
	int new_episodes;
	int planned;                   /* action records created */
	int pending_approval;          /* of which wait for operators */
	int64_t *pending_ids;          /* their action ids; owned */
	int64_t *resolved_ids;         /* incidents this notification resolved; owned */
	size_t n_resolved;
};

/* Alerts per write job: a larger notification is written in several transactions
 * (fairness for small deliveries; bounded transactions and WAL growth). */
#define RBD_INGEST_CHUNK 128

/* 0 once committed (every chunk); RBD_EUNAVAIL when it could not be stored, or not
 * all of it (answer 503: the resend dedups what was committed). */
int rbd_ingest(struct rbd_ingest_result *out, struct rbd_app *app,
	       const struct rbd_notification *n);
void rbd_ingest_result_clear(struct rbd_ingest_result *r);
/* Records that the job resolved incident_id (notified after the COMMIT). */
void rbd_ingest_result_add_resolved(struct rbd_ingest_result *r, int64_t incident_id);

/* ---- inside a write job (ingest's and reconcile's) ---- */

/*
 * Plans alert a (episode alert_id) on `on` through rbd_plan_alert and writes each plan:
 * reads the counters it needs, applies the gates, inserts the action (at most once per
 * (rule, episode, on)) and its events; counts into res.
 */
int rbd_ingest_plan_alert(struct rbd_tx *tx, struct rbd_ingest_result *res,
			  const struct rbd_runtime *rt, const struct rbd_alert *a, int64_t alert_id,
			  int64_t incident_id, enum rbd_rule_on on, int64_t now);
/* The writing half of rbd_ingest_plan_alert, for plans already made (rbd_plan_alert
 * with the same alert, status, incident id and now). */
struct rbd_plans;
int rbd_ingest_write_plans(struct rbd_tx *tx, struct rbd_ingest_result *res,
			   const struct rbd_config *cfg, const struct rbd_plans *plans,
			   const struct rbd_alert *a, int64_t alert_id, int64_t incident_id,
			   int64_t now);
/* Cancels what still waits on an alert that resolved, with its events. */
int rbd_ingest_cancel_waiting(struct rbd_tx *tx, int64_t alert_id, int64_t incident_id,
			      int64_t now);

#endif
