/*
 * actions: turns a rule's action into its exact rendering (argv, HTTP request or
 * silence) for one alert. Pure: no I/O. A rendering is stored with the action record
 * when it is planned; approval approves that rendering and the same rendering runs.
 */
#ifndef RUNBOOKD_ACTIONS_H
#define RUNBOOKD_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "runbookd/config.h"
#include "runbookd/labels.h"
#include "runbookd/template.h"

struct rbd_rendered {
	enum rbd_action_kind kind;
	char **argv;                  /* run: argc elements, NULL-terminated */
	size_t argc;
	char *method;                 /* http */
	char *url;
	char *body;                   /* may be NULL */
	struct rbd_labelset silence_matchers;  /* silence: label -> the alert's value */
	int64_t silence_duration_ms;
	int64_t timeout_ms;
};

/*
 * Renders rule->action for the alert described by d (d->params is ignored: the
 * rule's params are rendered here first, then each is checked against the action's
 * allowlist). RBD_EREFUSED with the reason ("param service: value \"x;rm\" not in
 * one_of") when anything is refused; out is then left empty.
 */
int rbd_action_render(struct rbd_rendered *out, const struct rbd_rule *rule,
		      const struct rbd_template_data *d);
void rbd_rendered_clear(struct rbd_rendered *r);

/* Stored form: a compact JSON object (caller frees). */
char *rbd_rendered_to_json(const struct rbd_rendered *r);
int rbd_rendered_from_json(struct rbd_rendered *out, const char *json);
/* The rendered command as one canonical string, the cooldown key (caller frees). */
char *rbd_rendered_key(const struct rbd_rendered *r);

#endif
