/*
 * ops: what operators do to the running service, each one write job with its
 * timeline event: approve or reject an action (quorum of distinct operators, TTL),
 * add a note, pause and resume (the kill switch), reset a tripped rule.
 */
#ifndef RUNBOOKD_OPS_H
#define RUNBOOKD_OPS_H

#include <stdint.h>

#include "runbookd/app.h"

/*
 * Records operator `who`'s approval (approve = true) or rejection of action id.
 * RBD_ENOTFOUND for an unknown action; RBD_ECONFLICT when it is not pending
 * (decided, expired, cancelled) or when who already decided it. The message says which.
 */
int rbd_ops_decide(struct rbd_app *app, int64_t id, const char *who, bool approve,
		   const char *comment);
/* Adds an operator note; RBD_ENOTFOUND for an unknown incident. */
int rbd_ops_note(struct rbd_app *app, int64_t incident_id, const char *who, const char *text);
/* Likewise, filed under section "impact", "action" or "next" of the report (NULL: a
 * plain note); RBD_EINVAL for another section. */
int rbd_ops_note_in(struct rbd_app *app, int64_t incident_id, const char *who, const char *text,
		    const char *section);
/* Turns the kill switch on or off (persisted); a timeline event either way. */
int rbd_ops_pause(struct rbd_app *app, const char *who, bool paused);
/* Likewise with the operator's reason recorded in the event (comment may be NULL). */
int rbd_ops_pause_comment(struct rbd_app *app, const char *who, bool paused, const char *comment);
/* Closes a rule's breaker. RBD_ENOTFOUND for an unknown rule. */
int rbd_ops_reset_rule(struct rbd_app *app, const char *rule, const char *who);
/* Expires pending approvals whose TTL passed (called by the executor's sweep). */
int rbd_ops_expire(struct rbd_app *app);

#endif
