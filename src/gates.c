/*
 * gates: pure gate decisions. Must never perform I/O or read the clock: everything it
 * decides on is passed in, so that every verdict can be tested from memory.
 */
#include "runbookd/gates.h"
#include "runbookd/err.h"
#include "runbookd/timeutil.h"

#include <stdio.h>
#include <string.h>

static const char *const gate_names[] = {
	[RBD_GATE_PASS] = "pass",
	[RBD_GATE_PARAM_REFUSED] = "param_refused",
	[RBD_GATE_DRY_RUN] = "dry_run",
	[RBD_GATE_CIRCUIT_OPEN] = "circuit_open",
	[RBD_GATE_COOLDOWN] = "cooldown",
	[RBD_GATE_RATE_LIMIT] = "rate_limited",
	[RBD_GATE_APPROVAL] = "approval",
	[RBD_GATE_PAUSED] = "paused",
	[RBD_GATE_CONCURRENCY] = "concurrency",
	[RBD_GATE_AFTER] = "after_not_met",
};

const char *rbd_gate_name(enum rbd_gate g)
{
	return (g >= 0 && g < sizeof(gate_names) / sizeof(gate_names[0])) ? gate_names[g] : "unknown";
}

enum rbd_gate rbd_gate_limits(const struct rbd_rule *rule, const struct rbd_rule_counts *counts,
			      int64_t now_ms, char *reason, size_t reason_len)
{
	char d[32];

	if (!counts)
		return RBD_GATE_PASS;
	if (counts->tripped_at) {
		snprintf(reason, reason_len, "circuit_open: rule %s tripped after %d failures in an "
			 "hour; reset with POST /api/v1/rules/%s/reset", rule->name,
			 rule->max_failures_per_hour, rule->name);
		return RBD_GATE_CIRCUIT_OPEN;
	}
	if (rule->max_failures_per_hour > 0 && counts->failures_window >= rule->max_failures_per_hour) {
		snprintf(reason, reason_len, "circuit_open: %d failures in the last hour (max %d)",
			 counts->failures_window, rule->max_failures_per_hour);
		return RBD_GATE_CIRCUIT_OPEN;
	}
	if (rule->cooldown_ms > 0 && counts->last_run_same_key &&
	    now_ms - counts->last_run_same_key < rule->cooldown_ms) {
		rbd_duration_format(d, sizeof(d), rule->cooldown_ms - (now_ms - counts->last_run_same_key));
		snprintf(reason, reason_len, "cooldown: the same command ran %lld ms ago; %s left",
			 (long long)(now_ms - counts->last_run_same_key), d);
		return RBD_GATE_COOLDOWN;
	}
	if (rule->max_runs_per_hour > 0 && counts->runs_last_hour >= rule->max_runs_per_hour) {
		snprintf(reason, reason_len, "rate_limited: %d runs in the last hour (max %d)",
			 counts->runs_last_hour, rule->max_runs_per_hour);
		return RBD_GATE_RATE_LIMIT;
	}
	return RBD_GATE_PASS;
}

enum rbd_action_state rbd_plan_state(enum rbd_gate *out_gate, const struct rbd_config *cfg,
				     const struct rbd_rule *rule, const char *refused,
				     const struct rbd_rule_counts *counts, int64_t now_ms,
				     char *reason, size_t reason_len)
{
	enum rbd_gate g;

	reason[0] = '\0';
	if (refused) {
		*out_gate = RBD_GATE_PARAM_REFUSED;
		snprintf(reason, reason_len, "param_refused: %s", refused);
		return RBD_STATE_SKIPPED;
	}
	/* A follow-up (rollback, un-silence) plans only after its mitigation ran. In
	 * dry-run the mitigation's dry_run record stands in for its success. */
	if (counts && counts->after_checked && !counts->after_met) {
		*out_gate = RBD_GATE_AFTER;
		snprintf(reason, reason_len, "after_not_met: %s", counts->after_seen);
		return RBD_STATE_SKIPPED;
	}
	if (cfg->mode == RBD_MODE_DRY_RUN || rule->dry_run) {
		*out_gate = RBD_GATE_DRY_RUN;
		snprintf(reason, reason_len, "%s", cfg->mode == RBD_MODE_DRY_RUN ?
			 "dry-run mode" : "rule is dry_run");
		return RBD_STATE_DRY_RUN;
	}
	g = rbd_gate_limits(rule, counts, now_ms, reason, reason_len);
	if (g != RBD_GATE_PASS) {
		*out_gate = g;
		return RBD_STATE_SKIPPED;
	}
	if (rule->approval) {
		*out_gate = RBD_GATE_APPROVAL;
		snprintf(reason, reason_len, "waiting for %d operator approval%s", rule->approvals,
			 rule->approvals > 1 ? "s" : "");
		return RBD_STATE_PENDING_APPROVAL;
	}
	*out_gate = RBD_GATE_PASS;
	return RBD_STATE_PLANNED;
}

enum rbd_gate rbd_gate_start(const struct rbd_config *cfg, const struct rbd_rule *rule,
			     const struct rbd_rule_counts *counts, bool paused, int64_t now_ms,
			     char *reason, size_t reason_len)
{
	reason[0] = '\0';
	if (paused) {
		snprintf(reason, reason_len, "paused: the kill switch is on");
		return RBD_GATE_PAUSED;
	}
	if (counts->running >= cfg->limits.max_concurrent_actions) {
		snprintf(reason, reason_len, "concurrency: %d actions running (max %d)",
			 counts->running, cfg->limits.max_concurrent_actions);
		return RBD_GATE_CONCURRENCY;
	}
	return rbd_gate_limits(rule, counts, now_ms, reason, reason_len);
}
