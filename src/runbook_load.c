/*
 * runbook_load: what the action catalog loader and the rules loader share: object
 * and identifier names, template compilation, and the check of what each place's
 * templates may reference. Values from the network (labels, annotations) only reach
 * a command or a request through a param, which must pass an allowlist.
 */
#include "runbook_load.h"
#include "runbookd/err.h"

#include <string.h>

static bool name_chars_ok(const char *s, size_t max, bool ident)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	if (ident && s[0] >= '0' && s[0] <= '9')
		return false;
	for (; *s; s++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			  (*s >= '0' && *s <= '9') || *s == '_';

		if (!ok && !(!ident && (*s == '-' || *s == '.')))
			return false;
	}
	return true;
}

/* Action and rule names appear in URLs and in the database: A-Z a-z 0-9 _ - . */
bool rbd_load_name_ok(const char *s)
{
	return name_chars_ok(s, 128, false);
}

/* Param and label names are identifiers. */
bool rbd_load_ident_ok(const char *s)
{
	return name_chars_ok(s, 128, true);
}

static const char *const field_names[] = {
	[RBD_TF_LABEL] = ".Labels",
	[RBD_TF_ANNOTATION] = ".Annotations",
	[RBD_TF_PARAM] = ".Params",
	[RBD_TF_FINGERPRINT] = ".Fingerprint",
	[RBD_TF_STATUS] = ".Status",
	[RBD_TF_STARTS_AT] = ".StartsAt",
	[RBD_TF_RULE] = ".Rule",
	[RBD_TF_INCIDENT_ID] = ".IncidentID",
	[RBD_TF_NOW] = ".Now",
};


/*
 * Checks the references of t (compiled from node n, at place `where` of ctx) against
 * the allowed mask; .Params.x must be declared by a (used[] marks which are).
 */
void rbd_load_refs_check(struct rbd_yfile *f, yaml_node_t *n, const struct rbd_template *t,
			  unsigned allowed, const struct rbd_action_def *a, bool *used,
			  const char *ctx, const char *where, const char *place)
{
	for (size_t i = 0; i < rbd_template_nrefs(t); i++) {
		const char *name = NULL;
		enum rbd_tmpl_field k = rbd_template_ref(t, i, &name);
		const char *fname = (size_t)k < sizeof(field_names) / sizeof(field_names[0]) ?
				    field_names[k] : "?";

		if (!(allowed & RBD_REF_BIT(k))) {
			if (k == RBD_TF_PARAM)
				rbd_yerr(f, n, "%s: %s: %s%s%s cannot be used in %s (params are rendered "
					 "from the alert, not from other params)", ctx, where, fname,
					 name ? "." : "", name ? name : "", place);
			else
				rbd_yerr(f, n, "%s: %s: %s%s%s cannot be used in %s: values from the "
					 "alert must come through a declared param with a one_of or "
					 "pattern allowlist (use {{ .Params.x }})", ctx, where, fname,
					 name ? "." : "", name ? name : "", place);
			continue;
		}
		if (k != RBD_TF_PARAM || !a)
			continue;
		const struct rbd_param_spec *spec = name ? rbd_action_param_spec(a, name) : NULL;

		if (!spec) {
			rbd_yerr(f, n, "%s: %s: .Params.%s is not declared under params: (each param "
				 "needs a one_of or pattern allowlist)", ctx, where, name ? name : "");
			continue;
		}
		used[spec - a->params] = true;
	}
}

/* Compiles the template in node n; NULL (reported) on error. */
struct rbd_template *rbd_load_template(struct rbd_yfile *f, yaml_node_t *n, const char *ctx,
				       const char *where)
{
	struct rbd_template *t = NULL;
	const char *s;

	if (!rbd_ystr(f, n, ctx, where, &s))
		return NULL;
	if (rbd_template_compile(&t, s) != 0) {
		rbd_yerr(f, n, "%s: %s: %s", ctx, where, rbd_err_msg());
		return NULL;
	}
	return t;
}
