/*
 * timeline: event kinds and the cJSON -> rbd_tx_event helper every write job uses.
 */
#include "runbookd/timeline.h"
#include "runbookd/store.h"

#include <cJSON.h>
#include <stdlib.h>

static const char *const kind_names[RBD_EVENT_KIND_COUNT] = {
	[RBD_EVENT_INCIDENT_OPENED] = "incident.opened",
	[RBD_EVENT_INCIDENT_RESOLVED] = "incident.resolved",
	[RBD_EVENT_NOTIFICATION_RECEIVED] = "notification.received",
	[RBD_EVENT_ALERT_FIRING] = "alert.firing",
	[RBD_EVENT_ALERT_RESOLVED] = "alert.resolved",
	[RBD_EVENT_RULE_MATCHED] = "rule.matched",
	[RBD_EVENT_RULE_TRIPPED] = "rule.tripped",
	[RBD_EVENT_RULE_RESET] = "rule.reset",
	[RBD_EVENT_ACTION_PLANNED] = "action.planned",
	[RBD_EVENT_ACTION_PENDING_APPROVAL] = "action.pending_approval",
	[RBD_EVENT_ACTION_APPROVAL_RECORDED] = "action.approval_recorded",
	[RBD_EVENT_ACTION_APPROVED] = "action.approved",
	[RBD_EVENT_ACTION_RUNNING] = "action.running",
	[RBD_EVENT_ACTION_SUCCEEDED] = "action.succeeded",
	[RBD_EVENT_ACTION_FAILED] = "action.failed",
	[RBD_EVENT_ACTION_TIMED_OUT] = "action.timed_out",
	[RBD_EVENT_ACTION_REJECTED] = "action.rejected",
	[RBD_EVENT_ACTION_EXPIRED] = "action.expired",
	[RBD_EVENT_ACTION_CANCELLED] = "action.cancelled",
	[RBD_EVENT_ACTION_SKIPPED] = "action.skipped",
	[RBD_EVENT_ACTION_DRY_RUN] = "action.dry_run",
	[RBD_EVENT_ACTION_INTERRUPTED] = "action.interrupted",
	[RBD_EVENT_NOTE_ADDED] = "note.added",
	[RBD_EVENT_SYSTEM_PAUSED] = "system.paused",
	[RBD_EVENT_SYSTEM_RESUMED] = "system.resumed",
	[RBD_EVENT_ACTION_LATE_RESULT] = "action.late_result",
};

const char *rbd_event_kind_name(enum rbd_event_kind k)
{
	return ((unsigned)k < RBD_EVENT_KIND_COUNT && kind_names[k]) ? kind_names[k] : "unknown";
}

int rbd_timeline_add(struct rbd_tx *tx, int64_t incident, enum rbd_event_kind kind,
		     const char *actor, int64_t action_id, struct cJSON *detail)
{
	char *s = detail ? cJSON_PrintUnformatted(detail) : NULL;
	int rc = rbd_tx_event(tx, incident, rbd_event_kind_name(kind), actor, action_id, s);

	free(s);
	cJSON_Delete(detail);
	return rc;
}
