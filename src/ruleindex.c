/*
 * ruleindex: which rules match an alert. Rules with an `alertname = "X"` matcher sit
 * in a hash table keyed by X; the others sit in a fallback list that every lookup
 * scans. A lookup merges the alert's bucket with the fallback list by rule position,
 * so results keep config order, and then checks every matcher of each candidate:
 * the index only narrows the candidates, it never decides a match. Immutable once
 * built, so lookups may run on many threads. Pure: no I/O; never owns the rules.
 */
#include "runbookd/ruleindex.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/matcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rix_bucket {
	const char *key;      /* borrowed from the rule's matcher; NULL: empty slot */
	uint64_t hash;
	size_t start, count;  /* into ix->members */
};

struct rbd_ruleindex {
	const struct rbd_rule *rules;
	size_t n;
	struct rix_bucket *table;
	size_t mask;          /* table size - 1 (a power of two) */
	size_t *members;      /* rule positions grouped by bucket, ascending in each */
	size_t *fallback;     /* rule positions without an alertname equality, ascending */
	size_t n_fallback;
};

static uint64_t rix_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* The value of the rule's first `alertname = "X"` matcher, or NULL. */
static const char *rix_key(const struct rbd_rule *r)
{
	for (size_t i = 0; i < r->n_matchers; i++) {
		const struct rbd_matcher *m = r->matchers[i];

		if (rbd_matcher_op(m) == RBD_MATCH_EQ && strcmp(rbd_matcher_name(m), "alertname") == 0)
			return rbd_matcher_value(m);
	}
	return NULL;
}

static struct rix_bucket *rix_find(const struct rbd_ruleindex *ix, const char *key, uint64_t h)
{
	size_t i = (size_t)h & ix->mask;

	for (;;) {
		struct rix_bucket *b = &ix->table[i];

		if (!b->key || (b->hash == h && strcmp(b->key, key) == 0))
			return b;
		i = (i + 1) & ix->mask;
	}
}

/*
 * Builds the index over rules[0..n) (borrowed: rules and their matchers must outlive
 * it). Returns 0 and a new index in *out (rbd_ruleindex_free). Allocation failure
 * aborts, so there is no error return in practice.
 */
int rbd_ruleindex_build(struct rbd_ruleindex **out, const struct rbd_rule *rules, size_t n)
{
	struct rbd_ruleindex *ix = rbd_calloc(1, sizeof(*ix));
	const char **keys = rbd_calloc(n ? n : 1, sizeof(*keys));
	size_t size = 8, n_keyed = 0, pos = 0;

	ix->rules = rules;
	ix->n = n;
	for (size_t i = 0; i < n; i++) {
		keys[i] = rix_key(&rules[i]);
		if (keys[i])
			n_keyed++;
	}
	/* load factor at most 1/2 keeps probe chains short */
	while (size < 2 * n_keyed)
		size *= 2;
	ix->table = rbd_calloc(size, sizeof(*ix->table));
	ix->mask = size - 1;
	ix->members = rbd_calloc(n_keyed ? n_keyed : 1, sizeof(*ix->members));
	ix->fallback = rbd_calloc(n - n_keyed ? n - n_keyed : 1, sizeof(*ix->fallback));

	/* pass 1: count per key */
	for (size_t i = 0; i < n; i++) {
		struct rix_bucket *b;
		uint64_t h;

		if (!keys[i]) {
			ix->fallback[ix->n_fallback++] = i;
			continue;
		}
		h = rix_hash(keys[i]);
		b = rix_find(ix, keys[i], h);
		if (!b->key) {
			b->key = keys[i];
			b->hash = h;
		}
		b->count++;
	}
	/* lay the buckets out one after another, then fill them in rule order */
	for (size_t i = 0; i < size; i++) {
		if (!ix->table[i].key)
			continue;
		ix->table[i].start = pos;
		pos += ix->table[i].count;
		ix->table[i].count = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct rix_bucket *b;

		if (!keys[i])
			continue;
		b = rix_find(ix, keys[i], rix_hash(keys[i]));
		ix->members[b->start + b->count++] = i;
	}
	free(keys);
	*out = ix;
	return 0;
}

void rbd_ruleindex_free(struct rbd_ruleindex *ix)
{
	if (!ix)
		return;
	free(ix->table);
	free(ix->members);
	free(ix->fallback);
	free(ix);
}

/* 1 when every matcher of rule holds for labels (a rule without matchers matches all). */
int rbd_rule_matches(const struct rbd_rule *rule, const struct rbd_labelset *labels)
{
	for (size_t i = 0; i < rule->n_matchers; i++)
		if (!rbd_matcher_matches(rule->matchers[i], labels))
			return 0;
	return 1;
}

/*
 * Writes to out[0..cap) the rules, in config order, that fire on `on` and whose
 * matchers all hold for labels; returns how many were written (matches past cap are
 * dropped). A missing alertname label looks up the key "" (a missing label is "").
 */
size_t rbd_ruleindex_match(const struct rbd_rule **out, size_t cap, const struct rbd_ruleindex *ix,
			   const struct rbd_labelset *labels, enum rbd_rule_on on)
{
	const char *name = rbd_labels_get(labels, "alertname");
	const size_t *bm = NULL;
	size_t nb = 0, ib = 0, ifb = 0, k = 0;

	if (!name)
		name = "";
	if (ix->n - ix->n_fallback > 0) {
		const struct rix_bucket *b = rix_find(ix, name, rix_hash(name));

		if (b->key) {
			bm = ix->members + b->start;
			nb = b->count;
		}
	}
	while (k < cap && (ib < nb || ifb < ix->n_fallback)) {
		size_t pick;
		const struct rbd_rule *r;

		if (ifb == ix->n_fallback || (ib < nb && bm[ib] < ix->fallback[ifb]))
			pick = bm[ib++];
		else
			pick = ix->fallback[ifb++];
		r = &ix->rules[pick];
		if (r->on == on && rbd_rule_matches(r, labels))
			out[k++] = r;
	}
	return k;
}
