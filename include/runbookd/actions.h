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
	struct rbd_labelset headers;  /* http: header names, each value "<redacted>": the
	                               * secret values come from the config when it runs */
	struct rbd_labelset silence_matchers;  /* silence: label -> the alert's value */
	int64_t silence_duration_ms;
	int64_t timeout_ms;
};

/*
 * Renders rule->action for the alert described by d (d->params is ignored: the
 * rule's params are rendered here first, then each is checked against the action's
 * allowlist; d->rule NULL means the rule's name; d may be NULL). run: argv[0] is the
 * program resolved at load, each template one element, a templated element that
 * renders empty refused. http: url_base + url path/query (URL-escaped values), body
 * with JSON-escaped values. silence: the alert's value of each listed label (a
 * missing or empty one refuses). RBD_EREFUSED with the reason ("param service: value
 * \"x;rm\" not in one_of", "silence: label service is missing") when anything is
 * refused, RBD_EINVAL for a rule without an action; out is then left empty.
 * On success out holds new strings (rbd_rendered_clear).
 */
int rbd_action_render(struct rbd_rendered *out, const struct rbd_rule *rule,
		      const struct rbd_template_data *d);
void rbd_rendered_clear(struct rbd_rendered *r);

/*
 * Stored form: a compact JSON object (caller frees; NULL only if cJSON fails):
 *   {"kind":"run","argv":[...],"timeout_ms":N}
 *   {"kind":"http","method":"POST","url":"...","body":"..."|null,"timeout_ms":N}
 *   {"kind":"silence","matchers":{"label":"value",...},"duration_ms":N,"timeout_ms":N}
 * rbd_rendered_from_json reads it back into *out (rbd_rendered_clear); RBD_EINVAL,
 * with *out empty, for anything else (wrong types, unknown kind, empty argv,
 * negative or fractional ms). An absent "body" reads as null.
 */
char *rbd_rendered_to_json(const struct rbd_rendered *r);
int rbd_rendered_from_json(struct rbd_rendered *out, const char *json);
/*
 * The rendered command as one canonical string, the cooldown key (caller frees):
 * the kind, then each field after a \x1f separator (run: the argv elements; http:
 * method, url, then "b" and the body when there is one; silence: label, value pairs
 * and the duration), with \x1f and '\' inside a field escaped so that different
 * renderings never share a key.
 */
char *rbd_rendered_key(const struct rbd_rendered *r);

#endif
