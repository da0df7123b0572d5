/*
 * report_why: collects the reasons recorded in the events (decisions, expiries,
 * notes, kill-switch comments) for the Markdown report. Pure: reads the event
 * callback only; never escapes anything (report.c does that when it writes).
 */
#include "report_why.h"
#include "runbookd/buf.h"
#include "runbookd/model.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#define WHY_MAX 2000

static const char *str_of(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static char *dup_or_null(const char *s)
{
	return s && *s ? rbd_strdup(s) : NULL;
}

bool rbd_why_section_parse(enum why_section *out, const char *name)
{
	static const struct {
		const char *name;
		enum why_section s;
	} sections[] = {
		{ "impact", WHY_IMPACT }, { "action", WHY_ACTION }, { "next", WHY_NEXT },
	};

	for (size_t i = 0; name && i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (strcmp(name, sections[i].name) == 0) {
			*out = sections[i].s;
			return true;
		}
	}
	return false;
}

#define GROW(arr, n) ((arr) = rbd_realloc((arr), ((n) + 1) * sizeof(*(arr))))

static void add_event(struct why *w, const struct rbd_event *ev)
{
	cJSON *d = rbd_json_parse_object(ev->detail_json);
	const char *k = ev->kind;
	bool approve = strcmp(k, "action.approved") == 0 || strcmp(k, "action.approval_recorded") == 0;

	if ((approve || strcmp(k, "action.rejected") == 0) && w->n_d < WHY_MAX && ev->action_id) {
		GROW(w->d, w->n_d);
		w->d[w->n_d++] = (struct why_decision){
			.action_id = ev->action_id, .ts = ev->ts_ms, .approve = approve,
			.who = rbd_strdup(str_of(d, "by") ? str_of(d, "by") : ev->actor),
			.comment = dup_or_null(str_of(d, "comment")),
		};
	} else if (strcmp(k, "action.expired") == 0 && w->n_exp < WHY_MAX && ev->action_id) {
		GROW(w->exp, w->n_exp);
		w->exp[w->n_exp++] = (struct why_expiry){ ev->action_id, ev->ts_ms };
	} else if (strcmp(k, "note.added") == 0 && w->n_notes < WHY_MAX) {
		enum why_section s = WHY_PLAIN;

		rbd_why_section_parse(&s, str_of(d, "section"));
		GROW(w->notes, w->n_notes);
		w->notes[w->n_notes++] = (struct why_note){
			.ts = ev->ts_ms, .section = s, .who = rbd_strdup(ev->actor ? ev->actor : ""),
			.text = rbd_strdup(str_of(d, "text") ? str_of(d, "text") : ""),
		};
	} else if ((strcmp(k, "system.paused") == 0 || strcmp(k, "system.resumed") == 0) &&
		   w->n_pauses < WHY_MAX) {
		GROW(w->pauses, w->n_pauses);
		w->pauses[w->n_pauses++] = (struct why_pause){
			.ts = ev->ts_ms, .paused = strcmp(k, "system.paused") == 0,
			.who = rbd_strdup(ev->actor ? ev->actor : ""),
			.comment = dup_or_null(str_of(d, "comment")),
		};
	}
	cJSON_Delete(d);
}

int rbd_why_collect(struct why *out, const struct rbd_export_src *src)
{
	const struct rbd_event *ev = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	while ((rc = src->next_event(src->ctx, &ev)) > 0)
		if (ev && ev->kind)
			add_event(out, ev);
	return rc < 0 ? rc : 0;
}

void rbd_why_free(struct why *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_d; i++) {
		free(w->d[i].who);
		free(w->d[i].comment);
	}
	for (size_t i = 0; i < w->n_notes; i++) {
		free(w->notes[i].who);
		free(w->notes[i].text);
	}
	for (size_t i = 0; i < w->n_pauses; i++) {
		free(w->pauses[i].who);
		free(w->pauses[i].comment);
	}
	free(w->d);
	free(w->notes);
	free(w->pauses);
	free(w->exp);
	memset(w, 0, sizeof(*w));
}
