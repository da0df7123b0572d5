/*
 * export: an incident's timeline as JSON, CSV or a Markdown post-incident report
 * (English or the runbook's Korean headings). The same bytes for the API and the
 * CLI. Events are streamed from a callback so that a long incident is not held in
 * memory twice. Pure: no I/O besides the callbacks.
 */
#ifndef RUNBOOKD_EXPORT_H
#define RUNBOOKD_EXPORT_H

#include <stddef.h>

#include "runbookd/buf.h"
#include "runbookd/model.h"

enum rbd_export_format { RBD_EXPORT_JSON, RBD_EXPORT_CSV, RBD_EXPORT_MD };

struct rbd_export_src {
	const struct rbd_incident *incident;
	const struct rbd_alert_rec *alerts;
	size_t n_alerts;
	const struct rbd_action_rec *actions;
	size_t n_actions;
	/* Events oldest first: 1 and *ev filled (borrowed until the next call), 0 at the
	 * end, negative on error. rewind starts again from the first event. */
	int (*next_event)(void *ctx, const struct rbd_event **ev);
	int (*rewind)(void *ctx);
	void *ctx;
	/* Markdown only: the link base (rbd_config_link_base; NULL or "": no links) and
	 * approval_ttl (0: unknown) for when a pending approval expires. */
	const char *link_base;
	int64_t approval_ttl_ms;
};

/* "json" "csv" "md" -> format; RBD_EINVAL otherwise. */
int rbd_export_format_parse(enum rbd_export_format *out, const char *name);
/* "en" (default, NULL) or "ko"; RBD_EINVAL otherwise. */
int rbd_export_lang_check(const char *lang);
const char *rbd_export_content_type(enum rbd_export_format fmt);

/*
 * Appends the export of src to out:
 *   JSON  {"incident": INCIDENT, "events": [EVENT, ...]}, one event per line;
 *   CSV   header ts,kind,actor,action_id,detail, CRLF, RFC 4180 quoting;
 *   MD    the post-incident report (lang "en"/NULL or "ko"); needs src->rewind, as
 *         it reads the events twice (notes for Follow-ups, then the timeline).
 * lang is ignored for JSON and CSV but must be valid. The same input gives the same
 * bytes. Returns 0; RBD_EINVAL for a bad format or lang, no incident or callback, or
 * Markdown without rewind; RBD_ETOOBIG when out's cap is reached; or the callback's
 * own error. On error out is left as it was before the call.
 */
int rbd_export_render(struct rbd_buf *out, enum rbd_export_format fmt, const char *lang,
		      const struct rbd_export_src *src);

struct rbd_store;
struct rbd_config;
/*
 * Reads incident id from store and renders its export (fmt an enum rbd_export_format)
 * into out: the bytes GET .../timeline and `runbookd export` both return. cfg (may be
 * NULL) gives the report its link base (external_url, else the configured listen
 * address when it is not a wildcard and its port is not 0: the configured port, not
 * the bound one, so that both give the same bytes) and the approval TTL.
 * RBD_ENOTFOUND for an unknown incident. (export_incident.c: the store side.)
 */
int rbd_export_incident(struct rbd_buf *out, struct rbd_store *store, long long id, int fmt,
			const char *lang, const struct rbd_config *cfg);

#endif
