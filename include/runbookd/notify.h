/*
 * notify: posts notifications to the `notify:` targets (json or slack format, see
 * notify_format.h) for the events each target asks for: an action waiting for
 * approval (with the curl command to approve it), an action's outcome, a rule's
 * circuit breaker tripping, an incident resolved after actions ran. Callers only
 * queue an id; posting happens on the notifier's own thread from a bounded queue,
 * with a timeout and bounded retries: a slow or dead receiver is counted
 * (runbookd_notify_failures_total) and logged, and never blocks ingest or execution.
 */
#ifndef RUNBOOKD_NOTIFY_H
#define RUNBOOKD_NOTIFY_H

#include <stdint.h>

#include "runbookd/app.h"

struct rbd_notifier;

int rbd_notifier_start(struct rbd_notifier **out, struct rbd_app *app);
/* Delivers what is queued (one attempt each, bounded by the post timeout), then stops. */
void rbd_notifier_stop(struct rbd_notifier *n);
/* Queues a message about action id for event kind ("action.pending_approval",
 * "action.failed", ...). A no-op when no target wants that event; drops (counted and
 * logged) when the queue is full. Never blocks on I/O. */
void rbd_notify_action(struct rbd_app *app, int64_t action_id, const char *kind);
/* Rule tripped its circuit breaker on action_id's failure. */
void rbd_notify_rule_tripped(struct rbd_app *app, const char *rule, int64_t action_id);
/* Incident resolved; sent only when some of its actions ran. */
void rbd_notify_incident_resolved(struct rbd_app *app, int64_t incident_id);

#endif
