/*
 * reconcile: with alertmanager.url set, polls Alertmanager's GET /api/v2/alerts every
 * alertmanager.poll and resolves the firing alerts of open incidents that Alertmanager
 * no longer holds. Alertmanager sends no resolved notification for a silenced alert,
 * so without this an incident whose alerts were silenced would stay open for ever.
 */
#ifndef RUNBOOKD_RECONCILE_H
#define RUNBOOKD_RECONCILE_H

#include "runbookd/app.h"

struct rbd_reconciler;

int rbd_reconciler_start(struct rbd_reconciler **out, struct rbd_app *app);
void rbd_reconciler_stop(struct rbd_reconciler *r);
/* One pass now (also used by tests): how many alerts it resolved, or an error. */
int rbd_reconcile_once(struct rbd_app *app, int *out_resolved);

#endif
