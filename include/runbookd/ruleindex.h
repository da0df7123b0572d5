/*
 * ruleindex: finds the rules whose matchers all hold for an alert's labels. Rules
 * with an `alertname = "X"` matcher are indexed by X, so the common case does not
 * grow linearly with the number of rules. Immutable once built; shareable between
 * threads. Pure: no I/O.
 */
#ifndef RUNBOOKD_RULEINDEX_H
#define RUNBOOKD_RULEINDEX_H

#include <stddef.h>

#include "runbookd/config.h"
#include "runbookd/labels.h"

struct rbd_ruleindex;

/* Builds an index over rules[0..n) (borrowed: they must outlive the index). */
int rbd_ruleindex_build(struct rbd_ruleindex **out, const struct rbd_rule *rules, size_t n);
void rbd_ruleindex_free(struct rbd_ruleindex *ix);

/*
 * Writes to out[] the rules (in config order) that match labels and fire on `on`;
 * returns how many (at most cap; the rest are dropped, so size cap to the rule count).
 */
size_t rbd_ruleindex_match(const struct rbd_rule **out, size_t cap, const struct rbd_ruleindex *ix,
			   const struct rbd_labelset *labels, enum rbd_rule_on on);

/* True when every matcher of rule holds for labels. */
int rbd_rule_matches(const struct rbd_rule *rule, const struct rbd_labelset *labels);

#endif
