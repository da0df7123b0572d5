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
};

/* "json" "csv" "md" -> format; RBD_EINVAL otherwise. */
int rbd_export_format_parse(enum rbd_export_format *out, const char *name);
/* "en" (default, NULL) or "ko"; RBD_EINVAL otherwise. */
int rbd_export_lang_check(const char *lang);
const char *rbd_export_content_type(enum rbd_export_format fmt);

/* Appends the export to out. Errors from the callbacks or the buffer cap pass up. */
int rbd_export_render(struct rbd_buf *out, enum rbd_export_format fmt, const char *lang,
		      const struct rbd_export_src *src);

#endif
