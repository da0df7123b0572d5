/*
 * notify: with notify.url set, posts a JSON message when an action starts waiting for
 * approval (with the exact curl commands to approve or reject it) and when an action
 * finishes. Posting happens on its own thread from a bounded queue: a slow or dead
 * receiver is logged and never blocks ingest or execution.
 */
#ifndef RUNBOOKD_NOTIFY_H
#define RUNBOOKD_NOTIFY_H

#include <stdint.h>

#include "runbookd/app.h"

struct rbd_notifier;

int rbd_notifier_start(struct rbd_notifier **out, struct rbd_app *app);
/* Delivers what is queued (bounded by each post's timeout), then stops. */
void rbd_notifier_stop(struct rbd_notifier *n);
/* Queues a message about action id (event kind such as "action.pending_approval").
 * A no-op without notify.url; drops (and logs) when the queue is full. */
void rbd_notify_action(struct rbd_app *app, int64_t action_id, const char *kind);

#endif
