/*
 * gates: the pure decisions between a matched rule and a running process: which
 * state a new plan starts in, and whether a planned action may start now. No I/O:
 * the caller reads the counters from the store and applies the verdict.
 */
#ifndef RUNBOOKD_GATES_H
#define RUNBOOKD_GATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/config.h"
#include "runbookd/store.h"

enum rbd_gate {
	RBD_GATE_PASS,
	RBD_GATE_PARAM_REFUSED,   /* rendering refused by an allowlist: skipped */
	RBD_GATE_DRY_RUN,         /* recorded with its rendering, never run */
	RBD_GATE_CIRCUIT_OPEN,    /* breaker tripped: skipped */
	RBD_GATE_COOLDOWN,        /* same rendering ran within cooldown: skipped */
	RBD_GATE_RATE_LIMIT,      /* max_runs_per_hour reached: skipped */
	RBD_GATE_APPROVAL,        /* waits for operators */
	RBD_GATE_PAUSED,          /* kill switch: waits */
	RBD_GATE_CONCURRENCY,     /* max_concurrent_actions running: waits */
	RBD_GATE_AFTER            /* after: no action of the named rules succeeded: skipped */
};

/* "pass", "param_refused", "dry_run", "circuit_open", "cooldown", "rate_limited", ... */
const char *rbd_gate_name(enum rbd_gate g);

/*
 * The limits that stop a run of rule now (breaker, cooldown, rate limit), given the
 * store's counters. counts may be NULL (nothing known: pass). Writes a human reason.
 */
enum rbd_gate rbd_gate_limits(const struct rbd_rule *rule, const struct rbd_rule_counts *counts,
			      int64_t now_ms, char *reason, size_t reason_len);

/*
 * The state a new plan starts in: skipped (refused or a limit), dry_run, pending_approval
 * or planned; *out_gate says which gate decided. refused is the rendering's refusal
 * (rbd_action_render's message), NULL when it rendered.
 */
enum rbd_action_state rbd_plan_state(enum rbd_gate *out_gate, const struct rbd_config *cfg,
				     const struct rbd_rule *rule, const char *refused,
				     const struct rbd_rule_counts *counts, int64_t now_ms,
				     char *reason, size_t reason_len);

/* May an action start now? PASS, PAUSED or CONCURRENCY (wait), or a limit (skip). */
enum rbd_gate rbd_gate_start(const struct rbd_config *cfg, const struct rbd_rule *rule,
			     const struct rbd_rule_counts *counts, bool paused, int64_t now_ms,
			     char *reason, size_t reason_len);

#endif
