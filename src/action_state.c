/*
 * action_state: the one table of action states and their legal transitions.
 */
#include "runbookd/action_state.h"

#include <string.h>

#define BIT(s) (1u << (s))
/* Where an action that has not run yet may go. */
#define UNRUN_EXITS (BIT(RBD_STATE_RUNNING) | BIT(RBD_STATE_SKIPPED) | BIT(RBD_STATE_DRY_RUN) | \
		     BIT(RBD_STATE_CANCELLED) | BIT(RBD_STATE_FAILED))

static const struct {
	struct rbd_action_state_info info;
	unsigned next;             /* BIT(to) for every legal transition */
} states[RBD_STATE_COUNT] = {
	[RBD_STATE_PLANNED] = { { "planned", RBD_EVENT_ACTION_PLANNED,
		.initial = true, .waiting = true }, UNRUN_EXITS },
	[RBD_STATE_PENDING_APPROVAL] = { { "pending_approval", RBD_EVENT_ACTION_PENDING_APPROVAL,
		.initial = true, .waiting = true, .review = true },
		BIT(RBD_STATE_APPROVED) | BIT(RBD_STATE_REJECTED) | BIT(RBD_STATE_EXPIRED) |
		BIT(RBD_STATE_CANCELLED) },
	[RBD_STATE_APPROVED] = { { "approved", RBD_EVENT_ACTION_APPROVED,
		.waiting = true }, UNRUN_EXITS },
	/* cancelled: killed by cancel_on_resolve when its alert resolved while it ran */
	[RBD_STATE_RUNNING] = { { "running", RBD_EVENT_ACTION_RUNNING },
		BIT(RBD_STATE_SUCCEEDED) | BIT(RBD_STATE_FAILED) | BIT(RBD_STATE_TIMED_OUT) |
		BIT(RBD_STATE_INTERRUPTED) | BIT(RBD_STATE_CANCELLED) },
	[RBD_STATE_SUCCEEDED] = { { "succeeded", RBD_EVENT_ACTION_SUCCEEDED,
		.terminal = true }, 0 },
	[RBD_STATE_FAILED] = { { "failed", RBD_EVENT_ACTION_FAILED,
		.terminal = true, .failure = true, .review = true }, 0 },
	[RBD_STATE_TIMED_OUT] = { { "timed_out", RBD_EVENT_ACTION_TIMED_OUT,
		.terminal = true, .failure = true, .review = true }, 0 },
	[RBD_STATE_REJECTED] = { { "rejected", RBD_EVENT_ACTION_REJECTED,
		.terminal = true, .review = true }, 0 },
	[RBD_STATE_EXPIRED] = { { "expired", RBD_EVENT_ACTION_EXPIRED,
		.terminal = true, .review = true }, 0 },
	[RBD_STATE_CANCELLED] = { { "cancelled", RBD_EVENT_ACTION_CANCELLED,
		.terminal = true }, 0 },
	[RBD_STATE_SKIPPED] = { { "skipped", RBD_EVENT_ACTION_SKIPPED,
		.initial = true, .terminal = true, .review = true }, 0 },
	[RBD_STATE_DRY_RUN] = { { "dry_run", RBD_EVENT_ACTION_DRY_RUN,
		.initial = true, .terminal = true }, 0 },
	[RBD_STATE_INTERRUPTED] = { { "interrupted", RBD_EVENT_ACTION_INTERRUPTED,
		.terminal = true, .review = true }, 0 },
};

const struct rbd_action_state_info *rbd_action_state_info(enum rbd_action_state s)
{
	return ((unsigned)s < RBD_STATE_COUNT) ? &states[s].info : NULL;
}

const char *rbd_action_state_name(enum rbd_action_state s)
{
	return ((unsigned)s < RBD_STATE_COUNT) ? states[s].info.name : "unknown";
}

bool rbd_action_state_parse(enum rbd_action_state *out, const char *name)
{
	for (unsigned i = 0; name && i < RBD_STATE_COUNT; i++) {
		if (strcmp(name, states[i].info.name) == 0) {
			*out = (enum rbd_action_state)i;
			return true;
		}
	}
	return false;
}

bool rbd_action_state_can(enum rbd_action_state from, enum rbd_action_state to)
{
	return (unsigned)from < RBD_STATE_COUNT && (unsigned)to < RBD_STATE_COUNT &&
	       (states[from].next & BIT(to)) != 0;
}
