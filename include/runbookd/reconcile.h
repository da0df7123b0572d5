/*
 * reconcile: with alertmanager.url set, polls Alertmanager's GET /api/v2/alerts every
 * alertmanager.poll and resolves the firing alerts of open incidents that Alertmanager
 * no longer holds. Alertmanager sends no resolved notification for a silenced alert,
 * so without this an incident whose alerts were silenced would stay open for ever.
 */
#ifndef RUNBOOKD_RECONCILE_H
#define RUNBOOKD_RECONCILE_H

#include "runbookd/app.h"

#include <stddef.h>

struct rbd_reconciler;

/* Fingerprints found missing by the previous pass (an alert is resolved only when it
 * is missing from two passes in a row). */
struct rbd_reconcile_state {
	char **missing;     /* sorted */
	size_t n;
};

int rbd_reconciler_start(struct rbd_reconciler **out, struct rbd_app *app);
void rbd_reconciler_stop(struct rbd_reconciler *r);
/* One pass: how many alerts it resolved, or an error (state unchanged then). */
int rbd_reconcile_once(struct rbd_app *app, struct rbd_reconcile_state *st, int *out_resolved);
void rbd_reconcile_state_clear(struct rbd_reconcile_state *st);

#endif
