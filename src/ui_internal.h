/*
 * ui_internal: what ui.c (routing, sessions, forms) and ui_pages.c (the pages)
 * share. Private to the console.
 */
#ifndef RUNBOOKD_UI_INTERNAL_H
#define RUNBOOKD_UI_INTERNAL_H

#include "runbookd/html.h"
#include "runbookd/routes.h"
#include "runbookd/session.h"
#include "runbookd/ui.h"

/* One request to the console. */
struct ui_req {
	struct rbd_app *app;
	struct rbd_ui *ui;
	struct rbd_request *req;
	struct rbd_response *resp;
	const struct rbd_config *cfg;
	struct rbd_session se;        /* se.id[0] == '\0': not signed in */
	const char *p;                /* path prefix of external_url ("" when none) */
	char prefix[256];
	char flash[512];              /* the one-shot message of the last form, if any */
	bool flash_bad;               /* the message tells of a refusal (409, 404) */
	int status;                   /* the page's status (200, or 409 with a message) */
	int64_t now_ms;
};

static inline bool ui_operator(const struct ui_req *u)
{
	return u->se.id[0] && u->se.role == RBD_ROLE_OPERATOR;
}

/* Starts a page: doctype, head (refresh when refresh is true and configured), the
 * header with navigation, the kill-switch banner and the flash message. */
void ui_page_begin(struct ui_req *u, struct rbd_buf *b, const char *title, bool refresh);
/* Ends the page and makes it the response (status u->status). */
void ui_page_end(struct ui_req *u, struct rbd_buf *b);
/* A hidden CSRF field and the `from` field (where to come back to). */
void ui_form_fields(struct ui_req *u, struct rbd_buf *b, const char *from);

/* The pages (GET). */
void ui_page_incidents(struct ui_req *u);
void ui_page_incident(struct ui_req *u, int64_t id);
void ui_page_approvals(struct ui_req *u);
void ui_page_rules(struct ui_req *u);
void ui_page_login(struct ui_req *u, const char *message, const char *pre);
void ui_page_message(struct ui_req *u, int status, const char *title, const char *message);
/* The stylesheet. */
extern const char rbd_ui_css[];

#endif
