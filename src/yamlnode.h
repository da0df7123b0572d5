/*
 * yamlnode: the thin layer over libyaml's document API that the loaders (config.c
 * for runbookd.yaml, actions_load.c and rules_load.c for the catalog and the rules) share: load
 * one file, walk a mapping against a table of keys (unknown, duplicate and missing
 * keys are errors), read typed scalars, and report every problem as
 * "FILE:LINE: message" into a struct rbd_diag (rbd_diag_add lives here too).
 * Loader-internal (src/): only the loaders include it (config.c, actions_load.c,
 * rules_load.c, runbook_load.c, through runbook_load.h); the one place yaml.h is
 * visible. It must never
 * stop at the first error when it can go on, and never put a secret into a message.
 */
#ifndef RUNBOOKD_YAMLNODE_H
#define RUNBOOKD_YAMLNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "runbookd/diag.h"

/* Hard caps on what a loader reads: bytes per file, and node visits per file (anchors
 * and aliases share nodes, so a small file could otherwise expand enormously). */
#define RBD_YAML_MAX_BYTES ((size_t)8 * 1024 * 1024)
#define RBD_YAML_MAX_VISITS ((size_t)1000000)

struct rbd_yfile {
	char *path;                   /* as reported in diagnostics */
	yaml_document_t doc;
	bool loaded;
	struct rbd_diag *diag;        /* borrowed */
	size_t nerr;                  /* errors reported through this file */
	size_t visits;
	bool visits_reported;
};

/*
 * Reads and parses path (one YAML document). Returns 0, or RBD_EINVAL after adding a
 * diagnostic (unreadable, too big, syntax error with its line, several documents).
 * f must be cleared with rbd_yfile_clear either way.
 */
int rbd_yfile_load(struct rbd_yfile *f, const char *path, struct rbd_diag *diag);
void rbd_yfile_clear(struct rbd_yfile *f);
/* The root node, NULL for an empty document. */
yaml_node_t *rbd_yroot(struct rbd_yfile *f);

/* 1-based line of a node (0 for NULL). */
int rbd_yline(const yaml_node_t *n);
/* Adds "FILE:LINE: message" at n's line (or at line when n is NULL). */
void rbd_yerr(struct rbd_yfile *f, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rbd_yerr_at(struct rbd_yfile *f, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

bool rbd_yis_null(const yaml_node_t *n);
const char *rbd_ytype_name(const yaml_node_t *n);

/* Item i of a sequence, key and value of pair i of a mapping. NULL once the visit
 * cap of the file is passed (reported once). */
size_t rbd_yseq_len(const yaml_node_t *seq);
yaml_node_t *rbd_yseq_item(struct rbd_yfile *f, yaml_node_t *seq, size_t i);
size_t rbd_ymap_len(const yaml_node_t *map);
bool rbd_ymap_pair(struct rbd_yfile *f, yaml_node_t *map, size_t i, yaml_node_t **key,
		   yaml_node_t **val);

/* The key table of a mapping: names, and whether each must be present. */
struct rbd_ykey {
	const char *name;
	bool required;
};

/*
 * Walks map against keys[0..n): vals[i] becomes the value node of keys[i] or NULL.
 * Reports (with ctx as message prefix, may be NULL) a map that is not a mapping,
 * non-scalar keys, unknown keys (listing the valid ones), duplicate keys and missing
 * required keys. A null node (`key:` with nothing) counts as an empty mapping.
 * Returns false when map is not a mapping.
 */
bool rbd_ymap_fetch(struct rbd_yfile *f, yaml_node_t *map, const char *ctx,
		    const struct rbd_ykey *keys, size_t n, yaml_node_t **vals);

/*
 * For free-form mappings (name -> definition): checks that map is a mapping (or null)
 * whose keys are unique non-empty strings. Reports problems; returns false when map
 * is not a mapping. Duplicate or bad keys are reported but iteration stays possible.
 */
bool rbd_ymap_check(struct rbd_yfile *f, yaml_node_t *map, const char *ctx);
/* The string value of key in map when it is a plain non-null scalar, else NULL;
 * reports nothing (for naming a mapping in messages before walking it). */
const char *rbd_ymap_peek(struct rbd_yfile *f, yaml_node_t *map, const char *key);
/* Checks that seq is a sequence (or null); reports "ctx: expected a list". */
bool rbd_yseq_check(struct rbd_yfile *f, yaml_node_t *seq, const char *ctx);

/*
 * Typed scalar readers. On a wrong type or bad value they report
 * "ctx: key: message" and return false, leaving *out alone. ctx may be NULL.
 * rbd_ystr gives a borrowed string valid while the file is loaded; it refuses
 * non-scalars, null and NUL bytes. rbd_yint and rbd_ybool accept plain scalars
 * only; rbd_yduration takes Prometheus syntax and checks [min_ms, max_ms].
 */
bool rbd_ystr(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
	      const char **out);
bool rbd_yint(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
	      long long min, long long max, long long *out);
bool rbd_ybool(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
	       bool *out);
bool rbd_yduration(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
		   int64_t min_ms, int64_t max_ms, int64_t *out);

/* Joins dir and a relative path ("" or "." dir keeps path; absolute paths as is). */
char *rbd_path_join(const char *dir, const char *path);

#endif
