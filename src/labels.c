/* labels: small sorted key/value sets; lookups by binary search. */
#include "runbookd/labels.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"

#include <stdlib.h>
#include <string.h>

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rbd_kv *)a)->key, ((const struct rbd_kv *)b)->key);
}

const char *rbd_labels_get(const struct rbd_labelset *ls, const char *key)
{
	size_t lo = 0, hi = ls ? ls->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, ls->kv[mid].key);

		if (c == 0)
			return ls->kv[mid].value;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int rbd_labels_set(struct rbd_labelset *ls, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		int c = strcmp(key, ls->kv[i].key);

		if (c == 0) {
			free(ls->kv[i].value);
			ls->kv[i].value = rbd_strdup(value);
			return 0;
		}
		if (c < 0)
			break;
	}
	ls->kv = rbd_realloc(ls->kv, (ls->n + 1) * sizeof(*ls->kv));
	memmove(&ls->kv[i + 1], &ls->kv[i], (ls->n - i) * sizeof(*ls->kv));
	ls->kv[i].key = rbd_strdup(key);
	ls->kv[i].value = rbd_strdup(value);
	ls->n++;
	return 0;
}

int rbd_labels_sort(struct rbd_labelset *ls)
{
	if (ls->n < 2)
		return 0;
	qsort(ls->kv, ls->n, sizeof(*ls->kv), kv_cmp);
	for (size_t i = 1; i < ls->n; i++)
		if (strcmp(ls->kv[i - 1].key, ls->kv[i].key) == 0)
			return rbd_err_set(RBD_EINVAL, "duplicate label name");
	return 0;
}

void rbd_labels_clear(struct rbd_labelset *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->kv[i].key);
		free(ls->kv[i].value);
	}
	free(ls->kv);
	ls->kv = NULL;
	ls->n = 0;
}

int rbd_labels_copy(struct rbd_labelset *out, const struct rbd_labelset *in)
{
	out->n = in->n;
	out->kv = rbd_calloc(in->n ? in->n : 1, sizeof(*out->kv));
	for (size_t i = 0; i < in->n; i++) {
		out->kv[i].key = rbd_strdup(in->kv[i].key);
		out->kv[i].value = rbd_strdup(in->kv[i].value);
	}
	return 0;
}
