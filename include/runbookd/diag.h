/*
 * diag: the diagnostics a load collects, every problem found, "FILE:LINE: message".
 * Implemented with the YAML helpers (yamlnode.c) that report them.
 */
#ifndef RUNBOOKD_DIAG_H
#define RUNBOOKD_DIAG_H

#include <stddef.h>

/* Diagnostics collected by a load: every problem found, "FILE:LINE: message". */
struct rbd_diag {
	char **msgs;
	size_t n;
};
/* Adds "FILE:LINE: message" ("FILE: message" when line <= 0); d may be NULL. Past
 * 500 entries one "too many errors" line is added and the rest dropped. */
void rbd_diag_add(struct rbd_diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Frees the messages; d is then empty and reusable. */
void rbd_diag_clear(struct rbd_diag *d);

#endif
