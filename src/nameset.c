/*
 * nameset: name -> position, open addressing with linear probing (FNV-1a hashes kept
 * next to the keys, so a probe compares strings only on a full hash match). The
 * table doubles at a load factor of 1/2. Must never own or change the names.
 */
#include "runbookd/nameset.h"
#include "runbookd/buf.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	const char *name;      /* NULL: empty */
	uint64_t hash;
	size_t pos;
};

struct rbd_nameset {
	struct slot *table;
	size_t mask;           /* table size - 1, a power of two */
	size_t n;
	atomic_uint_least64_t compares;  /* finds may run on many threads */
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

int rbd_nameset_new(struct rbd_nameset **out)
{
	struct rbd_nameset *ns = rbd_calloc(1, sizeof(*ns));

	ns->table = rbd_calloc(16, sizeof(*ns->table));
	ns->mask = 15;
	atomic_init(&ns->compares, 0);
	*out = ns;
	return 0;
}

void rbd_nameset_free(struct rbd_nameset *ns)
{
	if (!ns)
		return;
	free(ns->table);
	free(ns);
}

/* The slot holding name, or the empty slot where it would go. */
static struct slot *probe(const struct rbd_nameset *ns, const char *name, uint64_t h)
{
	struct rbd_nameset *m = (struct rbd_nameset *)ns;
	size_t i = (size_t)h & ns->mask;

	for (;;) {
		struct slot *sl = &ns->table[i];

		if (!sl->name)
			return sl;
		if (sl->hash == h) {
			atomic_fetch_add_explicit(&m->compares, 1, memory_order_relaxed);
			if (strcmp(sl->name, name) == 0)
				return sl;
		}
		i = (i + 1) & ns->mask;
	}
}

static void grow(struct rbd_nameset *ns)
{
	struct slot *old = ns->table;
	size_t n = ns->mask + 1;

	ns->table = rbd_calloc(2 * n, sizeof(*ns->table));
	ns->mask = 2 * n - 1;
	for (size_t i = 0; i < n; i++) {
		size_t j = (size_t)old[i].hash & ns->mask;

		if (!old[i].name)
			continue;
		while (ns->table[j].name)
			j = (j + 1) & ns->mask;
		ns->table[j] = old[i];
	}
	free(old);
}

bool rbd_nameset_add(struct rbd_nameset *ns, const char *name, size_t pos, size_t *prev)
{
	uint64_t h = name_hash(name);
	struct slot *sl = probe(ns, name, h);

	if (sl->name) {
		if (prev)
			*prev = sl->pos;
		return false;
	}
	sl->name = name;
	sl->hash = h;
	sl->pos = pos;
	if (++ns->n * 2 > ns->mask + 1)
		grow(ns);
	return true;
}

bool rbd_nameset_find(const struct rbd_nameset *ns, const char *name, size_t *pos)
{
	const struct slot *sl;

	if (!ns || !name)
		return false;
	sl = probe(ns, name, name_hash(name));
	if (!sl->name)
		return false;
	if (pos)
		*pos = sl->pos;
	return true;
}

size_t rbd_nameset_count(const struct rbd_nameset *ns)
{
	return ns ? ns->n : 0;
}

uint64_t rbd_nameset_compares(const struct rbd_nameset *ns)
{
	return ns ? atomic_load(&ns->compares) : 0;
}
