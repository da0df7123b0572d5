/*
 * export_internal: what export.c (JSON, CSV, dispatch) and report.c (the Markdown
 * post-incident report) share: the output sink with its sticky error, and event helpers.
 * Private to the export module.
 */
#ifndef RUNBOOKD_EXPORT_INTERNAL_H
#define RUNBOOKD_EXPORT_INTERNAL_H

#include "runbookd/export.h"
#include "runbookd/err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- output with a sticky error: the first failed append is kept and reported ---- */

struct out {
	struct rbd_buf *b;
	int err;
};

static inline void put_n(struct out *o, const char *p, size_t n)
{
	if (!o->err)
		o->err = rbd_buf_append(o->b, p, n);
}

static inline void put(struct out *o, const char *s)
{
	put_n(o, s, strlen(s));
}

/* Only for short, known-size output (numbers, times): never for stored text. */
static inline void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void putf(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!o->err)
			o->err = rbd_err_set(RBD_EINVAL, "export: formatted field too long");
		return;
	}
	put_n(o, tmp, (size_t)n);
}

/* Appends to a scratch buffer up to its cap, silently dropping the rest. */
static inline void scratch_put_n(struct rbd_buf *b, const char *p, size_t n)
{
	size_t room = b->max > b->len ? b->max - b->len : 0;

	rbd_buf_append(b, p, n < room ? n : room);
}

static inline void scratch_put(struct rbd_buf *b, const char *s)
{
	scratch_put_n(b, s, strlen(s));
}

/* ---- events ---- */

/* Next event as its SPEC JSON object in *out (caller deletes); 0 at the end. */
static inline int next_event_json(cJSON **out, const struct rbd_export_src *src)
{
	const struct rbd_event *ev = NULL;
	int rc;

	*out = NULL;
	rc = src->next_event(src->ctx, &ev);
	if (rc < 0)
		return rc;
	if (rc == 0 || !ev)
		return 0;
	*out = rbd_event_json(ev);
	return 1;
}

static inline const char *jstr(const cJSON *obj, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

/* True for "en" (also NULL or "") and "ko". */
bool rbd_report_lang_known(const char *lang);
/* Appends the Markdown report in lang; the sink's error or a callback's error. */
int rbd_report_render(struct out *o, const char *lang, const struct rbd_export_src *src);

#endif
