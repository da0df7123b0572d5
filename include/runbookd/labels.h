/*
 * labels: a label set (Alertmanager labels or annotations): key/value strings,
 * sorted by key, keys unique. Owned by whoever holds the struct.
 */
#ifndef RUNBOOKD_LABELS_H
#define RUNBOOKD_LABELS_H

#include <stddef.h>

struct rbd_kv {
	char *key;
	char *value;
};

struct rbd_labelset {
	struct rbd_kv *kv;
	size_t n;
};

/* The value of key, or NULL when absent. Borrowed. */
const char *rbd_labels_get(const struct rbd_labelset *ls, const char *key);
/* Adds (or replaces) key=value; copies both. Keeps the set sorted. */
int rbd_labels_set(struct rbd_labelset *ls, const char *key, const char *value);
/* Sorts the set by key after bulk appends; returns RBD_EINVAL on a duplicate key. */
int rbd_labels_sort(struct rbd_labelset *ls);
/* Frees the contents (not the struct itself); accepts an empty set. */
void rbd_labels_clear(struct rbd_labelset *ls);
int rbd_labels_copy(struct rbd_labelset *out, const struct rbd_labelset *in);

#endif
