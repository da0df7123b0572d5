/*
 * export: an incident's timeline as JSON or CSV (RFC 4180), and the dispatch to the
 * Markdown report (report.c). The API and the CLI serve these same bytes.
 *
 * It must never let a stored value change the structure of its output (a label may
 * not end a CSV field), never read the clock or anything else that makes two exports
 * of the same records differ, and never hold more than the output plus one event.
 */
#include "export_internal.h"
#include "runbookd/timeutil.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- formats and languages ---- */

static const struct {
	const char *name;
	enum rbd_export_format fmt;
	const char *content_type;
} formats[] = {
	{ "json", RBD_EXPORT_JSON, "application/json" },
	{ "csv",  RBD_EXPORT_CSV,  "text/csv; charset=utf-8; header=present" },
	{ "md",   RBD_EXPORT_MD,   "text/markdown; charset=utf-8" },
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))


int rbd_export_format_parse(enum rbd_export_format *out, const char *name)
{
	for (size_t i = 0; name && i < N_FORMATS; i++) {
		if (strcmp(name, formats[i].name) == 0) {
			*out = formats[i].fmt;
			return 0;
		}
	}
	return rbd_err_set(RBD_EINVAL, "format must be json, md or csv");
}

int rbd_export_lang_check(const char *lang)
{
	if (!rbd_report_lang_known(lang))
		return rbd_err_set(RBD_EINVAL, "lang must be en or ko");
	return 0;
}

const char *rbd_export_content_type(enum rbd_export_format fmt)
{
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (formats[i].fmt == fmt)
			return formats[i].content_type;
	}
	return "application/octet-stream";
}

/* ---- JSON ---- */

/* Appends item as compact JSON. */
static void put_json(struct out *o, const cJSON *item)
{
	char *text = cJSON_PrintUnformatted(item);

	if (!text) {
		if (!o->err)
			o->err = rbd_err_set(RBD_ENOMEM, "export: cannot print JSON");
		return;
	}
	put(o, text);
	free(text);
}

static int render_json(struct out *o, const struct rbd_export_src *src)
{
	cJSON *inc = rbd_incident_json(src->incident), *ev = NULL;
	int rc = 0, n = 0;

	put(o, "{\"incident\":");
	put_json(o, inc);
	put(o, ",\"events\":[");
	cJSON_Delete(inc);
	/* One event per line: the document stays valid JSON and greps well. */
	while (!o->err && (rc = next_event_json(&ev, src)) > 0) {
		put(o, n++ ? ",\n" : "\n");
		put_json(o, ev);
		cJSON_Delete(ev);
		ev = NULL;
	}
	if (o->err)
		return o->err;
	if (rc < 0)
		return rc;
	put(o, "\n]}\n");
	return o->err;
}

/* ---- CSV (RFC 4180) ---- */

static void csv_field(struct out *o, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		put(o, s);
		return;
	}
	put(o, "\"");
	for (const char *p = s; *p; p++) {
		const char *q = strchr(p, '"');

		if (!q) {
			put(o, p);
			break;
		}
		put_n(o, p, (size_t)(q - p));
		put(o, "\"\"");
		p = q;
	}
	put(o, "\"");
}

static int render_csv(struct out *o, const struct rbd_export_src *src)
{
	cJSON *ev = NULL;
	int rc = 0;

	put(o, "ts,kind,actor,action_id,detail\r\n");
	while (!o->err && (rc = next_event_json(&ev, src)) > 0) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "action_id");
		char *detail = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(ev, "detail"));

		if (!detail) {
			o->err = rbd_err_set(RBD_ENOMEM, "export: cannot print JSON");
			cJSON_Delete(ev);
			break;
		}
		/* No field starts with a spreadsheet formula character taken from a
		 * payload: ts, kind and action_id are ours, actor is runbookd, alertmanager
		 * or a configured token name, and detail always starts with '{'. */
		csv_field(o, jstr(ev, "ts"));
		put(o, ",");
		csv_field(o, jstr(ev, "kind"));
		put(o, ",");
		csv_field(o, jstr(ev, "actor"));
		put(o, ",");
		if (cJSON_IsNumber(id))
			putf(o, "%.0f", id->valuedouble);
		put(o, ",");
		csv_field(o, detail);
		put(o, "\r\n");
		free(detail);
		cJSON_Delete(ev);
		ev = NULL;
	}
	if (o->err)
		return o->err;
	return rc < 0 ? rc : 0;
}

int rbd_export_render(struct rbd_buf *out, enum rbd_export_format fmt, const char *lang,
		      const struct rbd_export_src *src)
{
	struct out o = { out, 0 };
	size_t start = out->len;
	int rc;

	if (!rbd_report_lang_known(lang))
		return rbd_err_set(RBD_EINVAL, "lang must be en or ko");
	if (!src || !src->incident || !src->next_event)
		return rbd_err_set(RBD_EINVAL, "export: no incident or event source");
	switch (fmt) {
	case RBD_EXPORT_JSON:
		rc = render_json(&o, src);
		break;
	case RBD_EXPORT_CSV:
		rc = render_csv(&o, src);
		break;
	case RBD_EXPORT_MD:
		rc = rbd_report_render(&o, lang, src);
		break;
	default:
		rc = rbd_err_set(RBD_EINVAL, "export: unknown format");
		break;
	}
	/* a failed export leaves nothing half-written behind */
	if (rc && out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}
