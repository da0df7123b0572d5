/*
 * payload: parses and validates an Alertmanager webhook notification (version 4).
 * Input is network data: every size is capped, every field type-checked, and an
 * error names the field ("alerts[2].startsAt: not an RFC 3339 timestamp").
 * Never logs the body.
 */
#ifndef RUNBOOKD_PAYLOAD_H
#define RUNBOOKD_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/labels.h"

struct rbd_alert {
	char *status;                   /* "firing" | "resolved" */
	struct rbd_labelset labels;
	struct rbd_labelset annotations;
	int64_t starts_ns;              /* UTC ns since epoch; with fingerprint, the episode key */
	int64_t ends_ns;                /* 0 when ends_zero */
	bool ends_zero;                 /* endsAt was Go's zero time (firing alerts) */
	char *generator_url;
	char *fingerprint;
};

struct rbd_notification {
	char *version;                  /* always "4" after a successful parse */
	char *receiver;
	char *status;                   /* "firing" | "resolved" */
	char *group_key;
	char *external_url;
	struct rbd_labelset group_labels;
	struct rbd_labelset common_labels;
	struct rbd_labelset common_annotations;
	struct rbd_alert *alerts;
	size_t n_alerts;
	int64_t truncated_alerts;
};

/* A zero member means its default. */
struct rbd_payload_limits {
	size_t max_alerts;              /* alerts per notification (default 1000) */
	size_t max_labels;              /* labels or annotations per set (default 256) */
	size_t max_string_bytes;        /* any one string value or label name (default 16384) */
	size_t max_depth;               /* JSON nesting (default 32, at most 1000) */
};

/*
 * Parses body[0..len) (need not be NUL-terminated). On success *out is a new
 * notification owned by the caller (free with rbd_notification_free); every string
 * member is non-NULL ("" when an optional field was absent or null), absent label
 * sets are empty, label sets are sorted with unique non-empty names, and an absent
 * endsAt reads as the zero time. Unknown keys are ignored. Errors (*out stays NULL):
 * RBD_EINVAL (invalid UTF-8, malformed or non-strict JSON, trailing data, nesting
 * too deep, wrong type, missing or duplicate field, version != "4", a bad timestamp
 * or a zero startsAt, a NUL (\u0000) in any string) and RBD_ETOOBIG (a count or a
 * string over its limit); the message names the field by its JSON path, e.g.
 * "alerts[1].labels.severity: expected a string", and never quotes a value.
 * lim may be NULL for the defaults. Thread-safe apart from cJSON's global error slot.
 */
int rbd_payload_parse(struct rbd_notification **out, const char *body, size_t len,
		      const struct rbd_payload_limits *lim);
void rbd_notification_free(struct rbd_notification *n);

#endif
