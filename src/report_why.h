/*
 * report_why: what the Markdown report needs from the events to say why things
 * happened: each decision on an action (who, approve or reject, comment), expiries,
 * operator notes with their section, kill-switch changes with their comment. One pass
 * over the events, capped. Private to the export module.
 */
#ifndef RUNBOOKD_REPORT_WHY_H
#define RUNBOOKD_REPORT_WHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/export.h"

enum why_section { WHY_PLAIN, WHY_IMPACT, WHY_ACTION, WHY_NEXT };

struct why_decision {
	int64_t action_id, ts;
	bool approve;
	char *who, *comment;          /* comment may be NULL */
};

struct why_note {
	int64_t ts;
	enum why_section section;
	char *who, *text;
};

struct why_pause {
	int64_t ts;
	bool paused;
	char *who, *comment;          /* comment may be NULL */
};

struct why_expiry {
	int64_t action_id, ts;
};

struct why {
	struct why_decision *d;
	size_t n_d;
	struct why_note *notes;
	size_t n_notes;
	struct why_pause *pauses;
	size_t n_pauses;
	struct why_expiry *exp;
	size_t n_exp;
};

/* Reads src's events from where the iterator stands to the end (the caller rewinds
 * after). At most 2,000 entries of each kind are kept. 0, or the callback's error. */
int rbd_why_collect(struct why *out, const struct rbd_export_src *src);
void rbd_why_free(struct why *w);
/* "impact" "action" "next" -> section; false for anything else. */
bool rbd_why_section_parse(enum why_section *out, const char *name);

#endif
