/*
 * ui: the browser console under /ui/: server-rendered HTML pages (no script), a
 * sign-in form that starts a server-side session, and forms that call the same
 * operations as /api/v1 (ops.c). The server hands it every request whose path it
 * claims; like routes, it decides on the route, the session and the role before the
 * body is read.
 */
#ifndef RUNBOOKD_UI_H
#define RUNBOOKD_UI_H

#include <stdbool.h>

#include "runbookd/app.h"
#include "runbookd/routes.h"

struct rbd_ui;
struct rbd_ui_route;

/* The console's state (its sessions); rbd_ui_free accepts NULL. */
struct rbd_ui *rbd_ui_new(void);
void rbd_ui_free(struct rbd_ui *ui);

/* Is path the console's ("/", "/ui", everything under "/ui/", "/favicon.ico")? */
bool rbd_ui_claims(const char *path);
/*
 * Finds the page or form handler and checks the session and role before any body is
 * read. On success *out is the route. Otherwise fills resp (a redirect to sign in,
 * 403, 404, 405, 429) and returns an RBD_E* code.
 */
int rbd_ui_preflight(const struct rbd_ui_route **out, struct rbd_ui *ui, struct rbd_request *req,
		     struct rbd_response *resp);
/* Runs the handler; always fills resp (with the console's security headers). */
void rbd_ui_handle(const struct rbd_ui_route *route, struct rbd_ui *ui, struct rbd_app *app,
		   struct rbd_request *req, struct rbd_response *resp);
/* The route's pattern, for metrics labels. */
const char *rbd_ui_route_pattern(const struct rbd_ui_route *route);
/* Frees the response's extra header values. */
void rbd_response_headers_clear(struct rbd_response *resp);
/* Adds one extra header (the value is copied); ignored once the table is full. */
void rbd_response_header_add(struct rbd_response *resp, const char *name, const char *value);
/* Appends method to an Allow list ("GET, HEAD, POST"): GET brings HEAD with it. */
void rbd_allow_append(char *allow, size_t size, const char *method);

#endif
