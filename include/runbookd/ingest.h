/*
 * ingest: turns one validated Alertmanager notification into stored facts inside
 * one write job: the incident of its group, each alert episode once, timeline events,
 * and for each (rule, episode, status) at most one planned action, rendered now.
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
};

/* 0 once committed; RBD_EUNAVAIL when it could not be stored (answer 503). */
int rbd_ingest(struct rbd_ingest_result *out, struct rbd_app *app,
	       const struct rbd_notification *n);
void rbd_ingest_result_clear(struct rbd_ingest_result *r);

/*
 * Resolves alerts that Alertmanager no longer holds (silenced alerts get no resolved
 * webhook): each still-firing one becomes resolved, its waiting actions are cancelled,
 * `on: resolved` rules plan, and an incident with nothing left firing resolves.
 * *out_resolved (may be NULL) gets how many alerts changed.
 */
struct rbd_alert_rec;
int rbd_ingest_reconcile(struct rbd_app *app, const struct rbd_alert_rec *gone, size_t n,
			 int *out_resolved);

/* Labels as a compact JSON object (caller frees). */
char *rbd_labels_to_json(const struct rbd_labelset *ls);

#endif
