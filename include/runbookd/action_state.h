/*
 * action_state: the states an action moves through, in one table: each state's name
 * (as stored and served), its properties, its timeline event and the transitions
 * allowed out of it. Every module asks this table instead of comparing strings.
 *
 *   planned ----------+--> running --> succeeded | failed | timed_out | interrupted | cancelled
 *   pending_approval -+--> approved --^
 *        |                (planned and approved may also end skipped, dry_run,
 *        +--> rejected | expired | cancelled      cancelled or failed unrun)
 *   skipped, dry_run: a plan may also start (and end) there.
 */
#ifndef RUNBOOKD_ACTION_STATE_H
#define RUNBOOKD_ACTION_STATE_H

#include <stdbool.h>

#include "runbookd/timeline.h"

enum rbd_action_state {
	RBD_STATE_PLANNED,
	RBD_STATE_PENDING_APPROVAL,
	RBD_STATE_APPROVED,
	RBD_STATE_RUNNING,
	RBD_STATE_SUCCEEDED,
	RBD_STATE_FAILED,
	RBD_STATE_TIMED_OUT,
	RBD_STATE_REJECTED,
	RBD_STATE_EXPIRED,
	RBD_STATE_CANCELLED,
	RBD_STATE_SKIPPED,
	RBD_STATE_DRY_RUN,
	RBD_STATE_INTERRUPTED,
	RBD_STATE_COUNT
};

struct rbd_action_state_info {
	const char *name;          /* as stored in actions.state and served by the API */
	enum rbd_event_kind event; /* the timeline event of entering this state */
	bool initial;              /* a new plan may start in it */
	bool terminal;             /* finished_at is set; it never moves again */
	bool waiting;              /* not yet run: cancelled when its alert resolves */
	bool failure;              /* counts toward the rule's circuit breaker */
	bool review;               /* the post-incident report asks an operator to look */
};

/* The row of a state; NULL when s is out of range. */
const struct rbd_action_state_info *rbd_action_state_info(enum rbd_action_state s);
/* "planned", "pending_approval", ...; "unknown" when out of range. */
const char *rbd_action_state_name(enum rbd_action_state s);
/* The state named name: true and *out set, or false for anything else (NULL too). */
bool rbd_action_state_parse(enum rbd_action_state *out, const char *name);
/* May an action move from `from` to `to`? */
bool rbd_action_state_can(enum rbd_action_state from, enum rbd_action_state to);

#endif
