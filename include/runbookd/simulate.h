/*
 * simulate: what `runbookd simulate` adds to its JSON report (why each rule did not
 * match, with --explain) and the human-readable table it prints by default. Pure
 * functions over the config and a parsed alert: no I/O, no database, nothing run.
 */
#ifndef RUNBOOKD_SIMULATE_H
#define RUNBOOKD_SIMULATE_H

#include <stddef.h>

#include <cJSON.h>

#include "runbookd/config.h"
#include "runbookd/payload.h"

/*
 * Adds "not_matched": [{"rule", "why": ["...", ...]}, ...] to alert_obj: every rule of
 * cfg that is not among matched[0..n_matched), with each reason it failed (the `on:`
 * status, and every matcher that does not hold, with the label's value).
 */
void rbd_simulate_explain(cJSON *alert_obj, const struct rbd_config *cfg,
			  const struct rbd_rule *const *matched, size_t n_matched,
			  const struct rbd_alert *a, enum rbd_rule_on on);

/* The report (simulate's JSON object) as an aligned text table; new string. */
char *rbd_simulate_table(const cJSON *report);

#endif
