/*
 * template: the `{{ .Field }}` templates of actions and rule params.
 * Field lookups only, no logic: .Labels.x .Annotations.x .Params.x .Fingerprint
 * .Status .StartsAt .Rule .IncidentID .Now. An unknown field is a compile error.
 * Rendering never runs code; a value that cannot be resolved refuses the render.
 * Also: the allowlist (one_of / pattern) that every templated value must pass
 * before it may reach an argv element or a request.
 */
#ifndef RUNBOOKD_TEMPLATE_H
#define RUNBOOKD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/labels.h"

struct rbd_regex;

enum rbd_tmpl_field {
	RBD_TF_LABEL, RBD_TF_ANNOTATION, RBD_TF_PARAM, RBD_TF_FINGERPRINT, RBD_TF_STATUS,
	RBD_TF_STARTS_AT, RBD_TF_RULE, RBD_TF_INCIDENT_ID, RBD_TF_NOW
};

/* How a rendered value is escaped into its surroundings. */
enum rbd_tmpl_escape {
	RBD_ESC_NONE,      /* argv elements: the value is the element, nothing to escape */
	RBD_ESC_URL,       /* URL path or query: percent-encode everything but unreserved */
	RBD_ESC_JSON       /* inside a JSON string: \" \\ \n \uXXXX */
};

struct rbd_template;

/* The data a template renders against; all borrowed; NULL members resolve as missing. */
struct rbd_template_data {
	const struct rbd_labelset *labels;
	const struct rbd_labelset *annotations;
	const struct rbd_labelset *params;     /* the rule's params, already rendered */
	const char *fingerprint;
	const char *status;
	const char *starts_at;                 /* RFC 3339 ms UTC */
	const char *rule;
	int64_t incident_id;
	const char *now;                       /* RFC 3339 ms UTC */
};

/* Compiles text. RBD_EINVAL (message names the bad field, e.g. "unknown field .Foo")
 * on an unknown field, unbalanced braces or anything but a field lookup. */
int rbd_template_compile(struct rbd_template **out, const char *text);
void rbd_template_free(struct rbd_template *t);
/* The source text. Borrowed. */
const char *rbd_template_source(const struct rbd_template *t);
/* True when the template has no {{ }} at all. */
bool rbd_template_is_literal(const struct rbd_template *t);
/* The fields the template references: count, then kind and name (the x of .Labels.x,
 * NULL for fields without a name) of reference i. */
size_t rbd_template_nrefs(const struct rbd_template *t);
enum rbd_tmpl_field rbd_template_ref(const struct rbd_template *t, size_t i, const char **name);

/*
 * Renders t into a new string (*out, caller frees), escaping each substituted
 * value per esc (literal text is copied as written), result at most max_len bytes
 * (0: no cap of its own). RBD_EREFUSED when a field is missing ("label instance is
 * missing"; an empty label or annotation counts as missing; .IncidentID is always
 * present), a JSON-escaped value is not valid UTF-8, or the result is over max_len.
 * URL: everything but A-Za-z0-9-._~ becomes %XX (upper-case hex).
 * JSON: \" \\ \n \r \t, other bytes < 0x20 and 0x7f as \u00xx.
 */
int rbd_template_render(char **out, const struct rbd_template *t,
			const struct rbd_template_data *d, enum rbd_tmpl_escape esc, size_t max_len);

/* An action's param allowlist. One of one_of / pattern is set (the loader insists). */
struct rbd_param_spec {
	char *name;
	char **one_of;
	size_t n_one_of;
	struct rbd_regex *pattern;   /* fully anchored */
};

/*
 * Checks a rendered param value. RBD_EREFUSED with the reason when the value is empty,
 * longer than 1024 bytes, contains a control character or NUL, is not valid UTF-8,
 * fails one_of/pattern (both must pass when both are set; neither set is refused),
 * or starts with '-' or '@' or any non-ASCII character (a lookalike such as "－rf",
 * U+FF0D) without being named literally in one_of. The message
 * quotes the value cut to 64 bytes with non-printable bytes as \xNN.
 */
int rbd_param_check(const struct rbd_param_spec *spec, const char *value);
void rbd_param_spec_clear(struct rbd_param_spec *spec);

#endif
