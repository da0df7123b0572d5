/*
 * amclient: the Alertmanager API v2 client runbookd needs: create a silence (the
 * silence action) and list the fingerprints of the alerts Alertmanager holds
 * (reconciliation). Built on httpc.
 */
#ifndef RUNBOOKD_AMCLIENT_H
#define RUNBOOKD_AMCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "runbookd/labels.h"

/*
 * Alertmanager API v2: POST {am_url}/api/v2/silences with one equality matcher
 * (isRegex false, isEqual true) per label in matchers, from now for duration_ms.
 * am_url may carry a path prefix, with or without a trailing '/'. created_by and
 * comment default to "runbookd" when NULL or empty. *out_id is the new silence id
 * (caller frees). Errors: RBD_EINVAL for no matchers, matchers whose values are all
 * empty (Alertmanager refuses those), a duration outside 1 ms..10 years, a bad
 * am_url, or a 4xx answer; RBD_EUNAVAIL for a 5xx or unusable answer; and those of
 * rbd_httpc_do.
 */
int rbd_am_silence_create(char **out_id, const char *am_url, const struct rbd_labelset *matchers,
			  int64_t duration_ms, const char *created_by, const char *comment,
			  int64_t timeout_ms);

/*
 * Alertmanager API v2: GET {am_url}/api/v2/alerts?active=true&silenced=true&
 * inhibited=true&unprocessed=true. Writes the fingerprints of every alert Alertmanager
 * still holds (caller frees: rbd_am_fingerprints_free(*out, *out_n)). Errors:
 * RBD_ETOOBIG when the list passes 16 MiB, RBD_EUNAVAIL for a 5xx answer or one that is
 * not an array of alerts with fingerprints, RBD_EINVAL for a 4xx or a bad am_url, and
 * those of rbd_httpc_do.
 */
int rbd_am_alert_fingerprints(char ***out, size_t *out_n, const char *am_url, int64_t timeout_ms);
/* Frees what rbd_am_alert_fingerprints wrote; accepts NULL. */
void rbd_am_fingerprints_free(char **fps, size_t n);

#endif
