/*
 * timeline: the kinds of event an incident's timeline holds, in one table, and the
 * one way a write job appends an event with a cJSON detail.
 */
#ifndef RUNBOOKD_TIMELINE_H
#define RUNBOOKD_TIMELINE_H

#include <stdint.h>

struct cJSON;
struct rbd_tx;

enum rbd_event_kind {
	RBD_EVENT_INCIDENT_OPENED,
	RBD_EVENT_INCIDENT_RESOLVED,
	RBD_EVENT_NOTIFICATION_RECEIVED,
	RBD_EVENT_ALERT_FIRING,
	RBD_EVENT_ALERT_RESOLVED,
	RBD_EVENT_RULE_MATCHED,
	RBD_EVENT_RULE_TRIPPED,
	RBD_EVENT_RULE_RESET,
	RBD_EVENT_ACTION_PLANNED,
	RBD_EVENT_ACTION_PENDING_APPROVAL,
	RBD_EVENT_ACTION_APPROVAL_RECORDED,
	RBD_EVENT_ACTION_APPROVED,
	RBD_EVENT_ACTION_RUNNING,
	RBD_EVENT_ACTION_SUCCEEDED,
	RBD_EVENT_ACTION_FAILED,
	RBD_EVENT_ACTION_TIMED_OUT,
	RBD_EVENT_ACTION_REJECTED,
	RBD_EVENT_ACTION_EXPIRED,
	RBD_EVENT_ACTION_CANCELLED,
	RBD_EVENT_ACTION_SKIPPED,
	RBD_EVENT_ACTION_DRY_RUN,
	RBD_EVENT_ACTION_INTERRUPTED,
	RBD_EVENT_NOTE_ADDED,
	RBD_EVENT_SYSTEM_PAUSED,
	RBD_EVENT_SYSTEM_RESUMED,
	RBD_EVENT_ACTION_LATE_RESULT,   /* a result that came after its action was interrupted */
	RBD_EVENT_KIND_COUNT
};

/* "incident.opened", "action.succeeded", ...; "unknown" when out of range. */
const char *rbd_event_kind_name(enum rbd_event_kind k);

/*
 * Appends an event inside a write job: incident 0 = service-wide; detail (may be NULL:
 * {}) is consumed, also on error.
 */
int rbd_timeline_add(struct rbd_tx *tx, int64_t incident, enum rbd_event_kind kind,
		     const char *actor, int64_t action_id, struct cJSON *detail);

#endif
