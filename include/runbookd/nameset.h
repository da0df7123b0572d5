/*
 * nameset: a hash table from a name to a position (the index of a rule or an action
 * in its config array), for the loaders' duplicate checks and the lookups by name:
 * O(1) expected per operation, so loading n rules is O(n), not O(n^2). Never owns
 * the names: they must outlive the set. Not thread-safe while being added to;
 * read-only lookups may run on many threads.
 */
#ifndef RUNBOOKD_NAMESET_H
#define RUNBOOKD_NAMESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rbd_nameset;

/* A new empty set in *out (rbd_nameset_free). Allocation failure aborts: returns 0. */
int rbd_nameset_new(struct rbd_nameset **out);
void rbd_nameset_free(struct rbd_nameset *ns);
/*
 * Adds name -> pos (name borrowed). Returns true when added; false when the name is
 * already there (then *prev, when not NULL, gets its position and nothing changes).
 */
bool rbd_nameset_add(struct rbd_nameset *ns, const char *name, size_t pos, size_t *prev);
/* True and *pos when name is in the set. ns may be NULL (then false). */
bool rbd_nameset_find(const struct rbd_nameset *ns, const char *name, size_t *pos);
/* How many names the set holds. */
size_t rbd_nameset_count(const struct rbd_nameset *ns);
/* String comparisons made so far by add and find (tests check the work is linear). */
uint64_t rbd_nameset_compares(const struct rbd_nameset *ns);

#endif
