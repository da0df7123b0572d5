/*
 * plan: what the rules matching one alert would do, as a pure function of (runtime
 * snapshot, alert, status planned on, incident id, now): which rules match, each
 * one's template data and rendering, its command key, and whether the gates need the
 * store's counters. No I/O and no clock: ingest and `runbookd simulate` both plan
 * through here, so the two cannot disagree. Ingest plans on the request's thread
 * when the group's incident is already open (its id is a template input), else in
 * its write job.
 */
#ifndef RUNBOOKD_PLAN_H
#define RUNBOOKD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/action_state.h"
#include "runbookd/app.h"
#include "runbookd/gates.h"
#include "runbookd/payload.h"

/* One matched rule, rendered. */
struct rbd_plan {
	const struct rbd_rule *rule;   /* borrowed from the runtime's config */
	int render_rc;                 /* rbd_action_render's result; 0: rendered */
	char *refused;                 /* its message when render_rc != 0, else NULL */
	char *rendered_json;           /* the exact argv / request; NULL when refused */
	char *command_key;             /* the cooldown key; NULL when refused */
	bool needs_counts;             /* the gates read the rule's counters (by command_key) */
	bool needs_after;              /* the rule has after: the store says whether its
	                                * mitigation succeeded (also in dry-run) */
};

struct rbd_plans {
	const char *on;                /* "firing" | "resolved" */
	struct rbd_plan *v;
	size_t n;
};

/*
 * Plans alert a on `on` against rt: one entry per matching rule, in config order.
 * incident_id and now_ms feed the templates (.IncidentID, .Now). Never fails: a
 * refused rendering is a plan too (rbd_plans_clear in every case).
 */
void rbd_plan_alert(struct rbd_plans *out, const struct rbd_runtime *rt,
		    const struct rbd_alert *a, enum rbd_rule_on on, int64_t incident_id,
		    int64_t now_ms);
void rbd_plans_clear(struct rbd_plans *p);

/*
 * The gates on one plan: the state its action starts in, *out_gate the gate that
 * decided, and a reason. counts NULL: nothing known (simulate: no history).
 */
enum rbd_action_state rbd_plan_decide(enum rbd_gate *out_gate, const struct rbd_plan *p,
				      const struct rbd_config *cfg,
				      const struct rbd_rule_counts *counts, int64_t now_ms,
				      char *reason, size_t reason_len);

#endif
