/*
 * rules: loads the action catalog (`actions:` in runbookd.yaml: the whitelist of
 * everything runbookd may ever run or call) and the runbook rules (`rules:`: a file,
 * a directory of *.yaml / *.yml loaded in name order, or an inline list), checking
 * every cross-reference at load time: programs resolve on PATH, templates only
 * reference what their place allows, every param has an allowlist and is given by
 * each rule, rule names are unique. It must never let a value from the network reach
 * an argv element or a request without passing through a declared, allowlisted
 * param, and never stop at the first problem.
 */
#include "runbookd/buf.h"
#include "runbookd/config.h"
#include "runbookd/err.h"
#include "runbookd/exec.h"
#include "runbookd/httpc.h"
#include "runbookd/log.h"
#include "runbookd/matcher.h"
#include "runbookd/regex.h"
#include "runbookd/template.h"
#include "runbookd/yamlnode.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC 1000LL
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)

/* --- names and template references ----------------------------------------- */

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
static bool object_name_ok(const char *s)
{
	return name_chars_ok(s, 128, false);
}

/* Param and label names are identifiers. */
static bool ident_ok(const char *s)
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

#define BIT(f) (1u << (f))
/* What each place may reference. Values from the network (labels, annotations) only
 * reach a command or a request through a param, which must pass an allowlist. */
#define REFS_RUN (BIT(RBD_TF_PARAM) | BIT(RBD_TF_RULE) | BIT(RBD_TF_INCIDENT_ID))
#define REFS_HTTP (REFS_RUN | BIT(RBD_TF_FINGERPRINT) | BIT(RBD_TF_STATUS) | \
		   BIT(RBD_TF_STARTS_AT) | BIT(RBD_TF_NOW))
#define REFS_RULE_PARAM (BIT(RBD_TF_LABEL) | BIT(RBD_TF_ANNOTATION) | BIT(RBD_TF_FINGERPRINT) | \
			 BIT(RBD_TF_STATUS) | BIT(RBD_TF_STARTS_AT) | BIT(RBD_TF_RULE) | \
			 BIT(RBD_TF_INCIDENT_ID) | BIT(RBD_TF_NOW))

static const struct rbd_param_spec *spec_find(const struct rbd_action_def *a, const char *name)
{
	for (size_t i = 0; i < a->n_params; i++)
		if (a->params[i].name && strcmp(a->params[i].name, name) == 0)
			return &a->params[i];
	return NULL;
}

/*
 * Checks the references of t (compiled from node n, at place `where` of ctx) against
 * the allowed mask; .Params.x must be declared by a (used[] marks which are).
 */
static void refs_check(struct rbd_yfile *f, yaml_node_t *n, const struct rbd_template *t,
		       unsigned allowed, const struct rbd_action_def *a, bool *used,
		       const char *ctx, const char *where, const char *place)
{
	for (size_t i = 0; i < rbd_template_nrefs(t); i++) {
		const char *name = NULL;
		enum rbd_tmpl_field k = rbd_template_ref(t, i, &name);
		const char *fname = (size_t)k < sizeof(field_names) / sizeof(field_names[0]) ?
				    field_names[k] : "?";

		if (!(allowed & BIT(k))) {
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
		const struct rbd_param_spec *spec = name ? spec_find(a, name) : NULL;

		if (!spec) {
			rbd_yerr(f, n, "%s: %s: .Params.%s is not declared under params: (each param "
				 "needs a one_of or pattern allowlist)", ctx, where, name ? name : "");
			continue;
		}
		used[spec - a->params] = true;
	}
}

/* Compiles the template in node n; NULL (reported) on error. */
static struct rbd_template *tmpl_compile(struct rbd_yfile *f, yaml_node_t *n, const char *ctx,
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

/* --- actions ------------------------------------------------------------------ */

void rbd_action_def_clear(struct rbd_action_def *a)
{
	if (!a)
		return;
	free(a->name);
	free(a->file);
	for (size_t i = 0; i < a->argc; i++)
		rbd_template_free(a->argv[i]);
	free(a->argv);
	free(a->program);
	free(a->method);
	free(a->url_base);
	rbd_template_free(a->url_rest);
	rbd_template_free(a->body);
	for (size_t i = 0; i < a->n_silence_labels; i++)
		free(a->silence_labels[i]);
	free(a->silence_labels);
	for (size_t i = 0; i < a->n_params; i++)
		rbd_param_spec_clear(&a->params[i]);
	free(a->params);
	memset(a, 0, sizeof(*a));
}

static void param_spec_parse(struct rbd_yfile *f, struct rbd_param_spec *spec, yaml_node_t *n,
			     const char *ctx)
{
	static const struct rbd_ykey keys[] = { { "one_of", false }, { "pattern", false } };
	yaml_node_t *v[2];
	const char *s;

	if (!rbd_ymap_fetch(f, n, ctx, keys, 2, v))
		return;
	if (!v[0] == !v[1]) {
		rbd_yerr(f, n, "%s: needs exactly one of one_of or pattern (a param without an "
			 "allowlist is refused)", ctx);
		return;
	}
	if (v[0]) {
		size_t len = rbd_yseq_len(v[0]);

		if (!rbd_yseq_check(f, v[0], ctx))
			return;
		if (len == 0) {
			rbd_yerr(f, v[0], "%s: one_of: the list is empty", ctx);
			return;
		}
		spec->one_of = rbd_calloc(len, sizeof(*spec->one_of));
		for (size_t i = 0; i < len; i++) {
			yaml_node_t *item = rbd_yseq_item(f, v[0], i);

			if (!item || !rbd_ystr(f, item, ctx, "one_of", &s))
				continue;
			if (!s[0]) {
				rbd_yerr(f, item, "%s: one_of: empty values are never allowed", ctx);
				continue;
			}
			spec->one_of[spec->n_one_of++] = rbd_strdup(s);
		}
		return;
	}
	if (!rbd_ystr(f, v[1], ctx, "pattern", &s))
		return;
	if (rbd_regex_compile(&spec->pattern, s) != 0)
		rbd_yerr(f, v[1], "%s: pattern: %s", ctx, rbd_err_msg());
}

static void params_parse(struct rbd_yfile *f, struct rbd_action_def *a, yaml_node_t *n,
			 const char *ctx)
{
	struct rbd_buf pctx = RBD_BUF_INIT(4096);
	size_t len = rbd_ymap_len(n);

	if (!rbd_ymap_check(f, n, ctx))
		return;
	a->params = rbd_calloc(len, sizeof(*a->params));
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *k, *v;
		const char *name;

		if (!rbd_ymap_pair(f, n, i, &k, &v))
			break;
		if (k->type != YAML_SCALAR_NODE)
			continue;       /* reported by rbd_ymap_check */
		name = (const char *)k->data.scalar.value;
		if (!ident_ok(name)) {
			rbd_yerr(f, k, "%s: \"%s\" is not a param name (letters, digits, _)", ctx, name);
			continue;
		}
		if (spec_find(a, name))
			continue;       /* duplicate, reported by rbd_ymap_check */
		rbd_buf_reset(&pctx);
		rbd_buf_printf(&pctx, "%s: params: %s", ctx, name);
		a->params[a->n_params].name = rbd_strdup(name);
		param_spec_parse(f, &a->params[a->n_params], v, rbd_buf_cstr(&pctx));
		a->n_params++;
	}
	rbd_buf_free(&pctx);
}

static void run_parse(struct rbd_yfile *f, struct rbd_action_def *a, yaml_node_t *n,
		      const char *ctx, const char *dir, bool *used, bool dry_run)
{
	struct rbd_buf where = RBD_BUF_INIT(64);
	size_t len = rbd_yseq_len(n);

	if (!rbd_yseq_check(f, n, ctx))
		return;
	if (len == 0) {
		rbd_yerr(f, n, "%s: run: the argv list is empty", ctx);
		return;
	}
	a->argv = rbd_calloc(len, sizeof(*a->argv));
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = rbd_yseq_item(f, n, i);
		struct rbd_template *t;

		if (!item)
			break;
		rbd_buf_reset(&where);
		rbd_buf_printf(&where, "run[%zu]", i);
		t = tmpl_compile(f, item, ctx, rbd_buf_cstr(&where));
		if (!t)
			continue;
		a->argv[a->argc++] = t;
		if (i > 0) {
			refs_check(f, item, t, REFS_RUN, a, used, ctx, rbd_buf_cstr(&where),
				   "a run argv");
			continue;
		}
		if (!rbd_template_is_literal(t)) {
			rbd_yerr(f, item, "%s: run[0]: the program must be written literally, "
				 "without templates", ctx);
			continue;
		}
		const char *prog = rbd_template_source(t);
		char *joined = NULL, *path = NULL;

		/* A relative path with a slash is relative to the config file, like the
		 * other paths in it; made absolute here so that exec gets a full path. */
		if (strchr(prog, '/') && prog[0] != '/') {
			joined = rbd_path_join(dir, prog);
			path = realpath(joined, NULL);
			if (!path) {
				rbd_yerr(f, item, "%s: run[0]: program %s not found (%s)", ctx, joined,
					 strerror(errno));
				free(joined);
				continue;
			}
		}
		if (rbd_exec_resolve(&a->program, path ? path : prog, NULL) != 0) {
			/* In dry-run mode nothing is executed: let the rules be tried on a
			 * machine without the program (the plans show the bare name). Enforce
			 * mode refuses the config, and exec refuses a non-absolute argv[0]. */
			if (dry_run && !path && !strchr(prog, '/')) {
				rbd_log_warn("program not found on PATH; dry-run plans show it "
					     "unresolved and enforce mode will refuse this config",
					     "action", a->name, "program", prog);
				a->program = rbd_strdup(prog);
			} else {
				rbd_yerr(f, item, "%s: run[0]: program \"%s\" not found (%s)", ctx,
					 path ? path : prog, rbd_err_msg());
			}
		}
		free(joined);
		free(path);
	}
	rbd_buf_free(&where);
}

static const char *const http_methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

static void http_parse(struct rbd_yfile *f, struct rbd_action_def *a, yaml_node_t *n,
		       const char *ctx, bool *used)
{
	static const struct rbd_ykey keys[] = {
		{ "method", true }, { "url", true }, { "body", false },
	};
	struct rbd_buf hctx = RBD_BUF_INIT(4096);
	yaml_node_t *v[3];
	const char *s, *sch, *end, *tpl;
	char *base = NULL;

	rbd_buf_printf(&hctx, "%s: http", ctx);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&hctx), keys, 3, v))
		goto done;
	if (v[0] && rbd_ystr(f, v[0], rbd_buf_cstr(&hctx), "method", &s)) {
		for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
			if (strcmp(s, http_methods[i]) == 0)
				a->method = rbd_strdup(s);
		if (!a->method)
			rbd_yerr(f, v[0], "%s: method: \"%s\" is not one of GET, POST, PUT, PATCH, DELETE",
				 rbd_buf_cstr(&hctx), s);
	}
	if (v[1] && rbd_ystr(f, v[1], rbd_buf_cstr(&hctx), "url", &s)) {
		/* scheme://host:port is pinned here; templates only after it. */
		sch = strstr(s, "://");
		end = sch ? sch + 3 + strcspn(sch + 3, "/?#") : NULL;
		tpl = strstr(s, "{{");
		if (!sch) {
			rbd_yerr(f, v[1], "%s: url: \"%s\" is not an http:// or https:// URL",
				 rbd_buf_cstr(&hctx), s);
		} else if (tpl && tpl < end) {
			rbd_yerr(f, v[1], "%s: url: the scheme, host and port must be literal; "
				 "templates may appear only in the path, query and body",
				 rbd_buf_cstr(&hctx));
		} else {
			char *prefix = rbd_strndup(s, (size_t)(end - s));

			if (rbd_httpc_url_base(&base, prefix) != 0) {
				rbd_yerr(f, v[1], "%s: url: \"%s\": %s", rbd_buf_cstr(&hctx), prefix,
					 rbd_err_msg());
			} else {
				a->url_base = base;
				base = NULL;
				if (rbd_template_compile(&a->url_rest, end) != 0)
					rbd_yerr(f, v[1], "%s: url: %s", rbd_buf_cstr(&hctx), rbd_err_msg());
				else
					refs_check(f, v[1], a->url_rest, REFS_HTTP, a, used, ctx,
						   "http: url", "an http action");
			}
			free(prefix);
		}
	}
	if (v[2]) {
		a->body = tmpl_compile(f, v[2], rbd_buf_cstr(&hctx), "body");
		if (a->body)
			refs_check(f, v[2], a->body, REFS_HTTP, a, used, ctx, "http: body",
				   "an http action");
	}
done:
	free(base);
	rbd_buf_free(&hctx);
}

static void silence_parse(struct rbd_yfile *f, struct rbd_action_def *a, yaml_node_t *n,
			  const char *ctx)
{
	static const struct rbd_ykey keys[] = { { "labels", true }, { "duration", true } };
	struct rbd_buf sctx = RBD_BUF_INIT(4096);
	yaml_node_t *v[2];
	const char *s;
	size_t len;

	rbd_buf_printf(&sctx, "%s: silence", ctx);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&sctx), keys, 2, v))
		goto done;
	if (v[1])
		rbd_yduration(f, v[1], rbd_buf_cstr(&sctx), "duration", SEC, 365 * DAY,
			      &a->silence_duration_ms);
	if (!v[0] || !rbd_yseq_check(f, v[0], rbd_buf_cstr(&sctx)))
		goto done;
	len = rbd_yseq_len(v[0]);
	if (len == 0) {
		rbd_yerr(f, v[0], "%s: labels: the list is empty (a silence on no labels would "
			 "silence everything)", rbd_buf_cstr(&sctx));
		goto done;
	}
	a->silence_labels = rbd_calloc(len, sizeof(*a->silence_labels));
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = rbd_yseq_item(f, v[0], i);
		bool dup = false;

		if (!item || !rbd_ystr(f, item, rbd_buf_cstr(&sctx), "labels", &s))
			continue;
		if (!ident_ok(s)) {
			rbd_yerr(f, item, "%s: labels: \"%s\" is not a label name", rbd_buf_cstr(&sctx), s);
			continue;
		}
		for (size_t j = 0; j < a->n_silence_labels; j++)
			dup = dup || strcmp(a->silence_labels[j], s) == 0;
		if (dup) {
			rbd_yerr(f, item, "%s: labels: \"%s\" is listed twice", rbd_buf_cstr(&sctx), s);
			continue;
		}
		a->silence_labels[a->n_silence_labels++] = rbd_strdup(s);
	}
done:
	rbd_buf_free(&sctx);
}

enum { A_RUN, A_HTTP, A_SILENCE, A_PARAMS, A_TIMEOUT, A_COUNT };
static const struct rbd_ykey action_keys[A_COUNT] = {
	[A_RUN] = { "run", false },
	[A_HTTP] = { "http", false },
	[A_SILENCE] = { "silence", false },
	[A_PARAMS] = { "params", false },
	[A_TIMEOUT] = { "timeout", false },
};

static void action_parse(struct rbd_yfile *f, struct rbd_action_def *a, yaml_node_t *k,
			 yaml_node_t *n, const char *dir, bool dry_run)
{
	struct rbd_buf ctx = RBD_BUF_INIT(4096);
	yaml_node_t *v[A_COUNT];
	bool *used = NULL;
	int kinds;

	a->file = rbd_strdup(f->path);
	a->line = rbd_yline(k);
	a->timeout_ms = 60 * SEC;
	rbd_buf_printf(&ctx, "action %s", a->name);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&ctx), action_keys, A_COUNT, v))
		goto done;
	if (v[A_PARAMS])
		params_parse(f, a, v[A_PARAMS], rbd_buf_cstr(&ctx));
	used = rbd_calloc(a->n_params + 1, sizeof(*used));
	if (v[A_TIMEOUT])
		rbd_yduration(f, v[A_TIMEOUT], rbd_buf_cstr(&ctx), "timeout", 1, DAY, &a->timeout_ms);
	kinds = !!v[A_RUN] + !!v[A_HTTP] + !!v[A_SILENCE];
	if (kinds != 1) {
		rbd_yerr(f, n, "%s: needs exactly one of run, http or silence%s", rbd_buf_cstr(&ctx),
			 kinds ? " (an action does one thing)" : "");
		goto done;
	}
	if (v[A_RUN]) {
		a->kind = RBD_ACTION_RUN;
		run_parse(f, a, v[A_RUN], rbd_buf_cstr(&ctx), dir, used, dry_run);
	} else if (v[A_HTTP]) {
		a->kind = RBD_ACTION_HTTP;
		http_parse(f, a, v[A_HTTP], rbd_buf_cstr(&ctx), used);
	} else {
		a->kind = RBD_ACTION_SILENCE;
		silence_parse(f, a, v[A_SILENCE], rbd_buf_cstr(&ctx));
	}
	for (size_t i = 0; i < a->n_params; i++)
		if (!used[i])
			rbd_log_warn("action declares a param it never uses", "file", f->path,
				     "action", a->name, "param", a->params[i].name);
done:
	free(used);
	rbd_buf_free(&ctx);
}

void rbd_rules_parse_actions(struct rbd_config *cfg, struct rbd_yfile *cf, yaml_node_t *actions,
			     const char *dir)
{
	size_t len = rbd_ymap_len(actions);

	if (!rbd_ymap_check(cf, actions, "actions"))
		return;
	cfg->actions = rbd_calloc(len, sizeof(*cfg->actions));
	for (size_t i = 0; i < len; i++) {
		struct rbd_action_def *a = &cfg->actions[cfg->n_actions];
		yaml_node_t *k, *v;
		const char *name;

		if (!rbd_ymap_pair(cf, actions, i, &k, &v))
			break;
		if (k->type != YAML_SCALAR_NODE)
			continue;
		name = (const char *)k->data.scalar.value;
		if (!object_name_ok(name)) {
			rbd_yerr(cf, k, "actions: \"%s\" is not an action name (A-Z a-z 0-9 _ - .)",
				 name);
			continue;
		}
		if (rbd_config_action(cfg, name))
			continue;       /* duplicate key, reported by rbd_ymap_check */
		a->name = rbd_strdup(name);
		cfg->n_actions++;
		action_parse(cf, a, k, v, dir, cfg->mode == RBD_MODE_DRY_RUN);
	}
}

/* --- rules --------------------------------------------------------------------- */

void rbd_rule_clear(struct rbd_rule *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->description);
	free(r->file);
	for (size_t i = 0; i < r->n_matchers; i++)
		rbd_matcher_free(r->matchers[i]);
	free(r->matchers);
	for (size_t i = 0; i < r->n_params; i++) {
		free(r->param_names[i]);
		rbd_template_free(r->param_values[i]);
	}
	free(r->param_names);
	free(r->param_values);
	memset(r, 0, sizeof(*r));
}

enum {
	R_NAME, R_DESCRIPTION, R_MATCHERS, R_ON, R_ACTION, R_PARAMS, R_APPROVAL, R_DRY_RUN,
	R_APPROVALS, R_COOLDOWN, R_MAX_RUNS, R_MAX_FAILURES, R_COUNT
};
static const struct rbd_ykey rule_keys[R_COUNT] = {
	[R_NAME] = { "name", true },
	[R_DESCRIPTION] = { "description", false },
	[R_MATCHERS] = { "matchers", true },
	[R_ON] = { "on", false },
	[R_ACTION] = { "action", true },
	[R_PARAMS] = { "params", false },
	[R_APPROVAL] = { "approval", false },
	[R_DRY_RUN] = { "dry_run", false },
	[R_APPROVALS] = { "approvals", false },
	[R_COOLDOWN] = { "cooldown", false },
	[R_MAX_RUNS] = { "max_runs_per_hour", false },
	[R_MAX_FAILURES] = { "max_failures_per_hour", false },
};

static void matchers_parse(struct rbd_yfile *f, struct rbd_rule *r, yaml_node_t *n, const char *ctx)
{
	size_t len = rbd_yseq_len(n);
	const char *s;

	if (!rbd_yseq_check(f, n, ctx))
		return;
	if (len == 0) {
		rbd_yerr(f, n, "%s: matchers: at least one matcher is required (a rule without "
			 "matchers would match every alert)", ctx);
		return;
	}
	r->matchers = rbd_calloc(len, sizeof(*r->matchers));
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = rbd_yseq_item(f, n, i);

		if (!item || !rbd_ystr(f, item, ctx, "matchers", &s))
			continue;
		if (rbd_matcher_parse(&r->matchers[r->n_matchers], s) != 0) {
			rbd_yerr(f, item, "%s: matchers[%zu]: %s", ctx, i, rbd_err_msg());
			continue;
		}
		r->n_matchers++;
	}
}

static void rule_params_parse(struct rbd_yfile *f, struct rbd_rule *r, yaml_node_t *n,
			      const char *ctx)
{
	struct rbd_buf where = RBD_BUF_INIT(4096);
	size_t len = rbd_ymap_len(n);

	if (!rbd_ymap_check(f, n, ctx))
		return;
	r->param_names = rbd_calloc(len, sizeof(*r->param_names));
	r->param_values = rbd_calloc(len, sizeof(*r->param_values));
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *k, *v;
		struct rbd_template *t;
		const char *name;
		bool dup = false;

		if (!rbd_ymap_pair(f, n, i, &k, &v))
			break;
		if (k->type != YAML_SCALAR_NODE)
			continue;
		name = (const char *)k->data.scalar.value;
		for (size_t j = 0; j < r->n_params; j++)
			dup = dup || strcmp(r->param_names[j], name) == 0;
		if (dup)
			continue;       /* reported by rbd_ymap_check */
		rbd_buf_reset(&where);
		rbd_buf_printf(&where, "params: %s", name);
		if (r->action && !spec_find(r->action, name)) {
			rbd_yerr(f, k, "%s: params: action %s does not declare param \"%s\"", ctx,
				 r->action->name, name);
			continue;
		}
		/* A param whose template fails still counts as given (NULL template; the
		 * load fails anyway), so that it is not also reported as missing. */
		t = tmpl_compile(f, v, ctx, rbd_buf_cstr(&where));
		if (t)
			refs_check(f, v, t, REFS_RULE_PARAM, NULL, NULL, ctx, rbd_buf_cstr(&where),
				   "a rule param");
		r->param_names[r->n_params] = rbd_strdup(name);
		r->param_values[r->n_params] = t;
		r->n_params++;
	}
	rbd_buf_free(&where);
}

static const struct rbd_rule *rule_find(const struct rbd_config *cfg, const char *name)
{
	return rbd_config_rule(cfg, name);
}

static void rule_parse(struct rbd_config *cfg, struct rbd_yfile *f, yaml_node_t *n, size_t idx)
{
	struct rbd_buf ctx = RBD_BUF_INIT(4096);
	struct rbd_rule r;
	yaml_node_t *v[R_COUNT];
	const char *s;
	long long iv;
	size_t before = f->nerr;

	memset(&r, 0, sizeof(r));
	r.file = rbd_strdup(f->path);
	r.line = rbd_yline(n);
	r.approvals = 1;
	/* Messages name the rule once it has a usable name. */
	s = rbd_ymap_peek(f, n, "name");
	if (s && object_name_ok(s))
		rbd_buf_printf(&ctx, "rule %s", s);
	else
		rbd_buf_printf(&ctx, "rules[%zu]", idx);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&ctx), rule_keys, R_COUNT, v))
		goto done;
	if (v[R_NAME] && rbd_ystr(f, v[R_NAME], rbd_buf_cstr(&ctx), "name", &s)) {
		const struct rbd_rule *other = rule_find(cfg, s);

		if (!object_name_ok(s))
			rbd_yerr(f, v[R_NAME], "%s: name: \"%s\" must be 1-128 of A-Z a-z 0-9 _ - .",
				 rbd_buf_cstr(&ctx), s);
		else if (other)
			rbd_yerr(f, v[R_NAME], "rule \"%s\" is already defined at %s:%d", s,
				 other->file, other->line);
		else
			r.name = rbd_strdup(s);
	}
	if (v[R_DESCRIPTION] && rbd_ystr(f, v[R_DESCRIPTION], rbd_buf_cstr(&ctx), "description", &s))
		r.description = rbd_strdup(s);
	if (v[R_MATCHERS])
		matchers_parse(f, &r, v[R_MATCHERS], rbd_buf_cstr(&ctx));
	if (v[R_ON] && rbd_ystr(f, v[R_ON], rbd_buf_cstr(&ctx), "on", &s)) {
		if (strcmp(s, "firing") == 0)
			r.on = RBD_ON_FIRING;
		else if (strcmp(s, "resolved") == 0)
			r.on = RBD_ON_RESOLVED;
		else
			rbd_yerr(f, v[R_ON], "%s: on: \"%s\" is not firing or resolved",
				 rbd_buf_cstr(&ctx), s);
	}
	if (v[R_ACTION] && rbd_ystr(f, v[R_ACTION], rbd_buf_cstr(&ctx), "action", &s)) {
		r.action = rbd_config_action(cfg, s);
		if (!r.action)
			rbd_yerr(f, v[R_ACTION], "%s: action: unknown action \"%s\" (not in actions:)",
				 rbd_buf_cstr(&ctx), s);
	}
	if (v[R_PARAMS])
		rule_params_parse(f, &r, v[R_PARAMS], rbd_buf_cstr(&ctx));
	for (size_t i = 0; r.action && i < r.action->n_params; i++) {
		const char *pname = r.action->params[i].name;
		bool given = false;

		for (size_t j = 0; pname && j < r.n_params; j++)
			given = given || strcmp(r.param_names[j], pname) == 0;
		if (pname && !given)
			rbd_yerr(f, v[R_PARAMS] ? v[R_PARAMS] : n,
				 "%s: params: action %s needs param \"%s\"", rbd_buf_cstr(&ctx),
				 r.action->name, pname);
	}
	if (v[R_APPROVAL])
		rbd_ybool(f, v[R_APPROVAL], rbd_buf_cstr(&ctx), "approval", &r.approval);
	if (v[R_DRY_RUN])
		rbd_ybool(f, v[R_DRY_RUN], rbd_buf_cstr(&ctx), "dry_run", &r.dry_run);
	if (v[R_APPROVALS] && rbd_yint(f, v[R_APPROVALS], rbd_buf_cstr(&ctx), "approvals", 1, 100, &iv)) {
		r.approvals = (int)iv;
		if (iv > 1 && !r.approval)
			rbd_yerr(f, v[R_APPROVALS], "%s: approvals: a quorum of %lld needs approval: true",
				 rbd_buf_cstr(&ctx), iv);
	}
	if (v[R_COOLDOWN])
		rbd_yduration(f, v[R_COOLDOWN], rbd_buf_cstr(&ctx), "cooldown", 0, 30 * DAY,
			      &r.cooldown_ms);
	if (v[R_MAX_RUNS] && rbd_yint(f, v[R_MAX_RUNS], rbd_buf_cstr(&ctx), "max_runs_per_hour",
				      0, 1000000, &iv))
		r.max_runs_per_hour = (int)iv;
	if (v[R_MAX_FAILURES] && rbd_yint(f, v[R_MAX_FAILURES], rbd_buf_cstr(&ctx),
					  "max_failures_per_hour", 0, 1000000, &iv))
		r.max_failures_per_hour = (int)iv;
done:
	/* Only a rule that loaded cleanly joins the config (the load fails otherwise, but a
	 * named rule still lets later duplicates be reported against it). */
	if (f->nerr == before || r.name) {
		cfg->rules = rbd_realloc(cfg->rules, (cfg->n_rules + 1) * sizeof(*cfg->rules));
		cfg->rules[cfg->n_rules++] = r;
	} else {
		rbd_rule_clear(&r);
	}
	rbd_buf_free(&ctx);
}

static void rules_seq(struct rbd_config *cfg, struct rbd_yfile *f, yaml_node_t *seq)
{
	if (!rbd_yseq_check(f, seq, "rules"))
		return;
	for (size_t i = 0; i < rbd_yseq_len(seq); i++) {
		yaml_node_t *item = rbd_yseq_item(f, seq, i);

		if (!item)
			break;
		rule_parse(cfg, f, item, i);
	}
}

static void rules_file(struct rbd_config *cfg, struct rbd_yfile *cf, const char *path)
{
	static const struct rbd_ykey keys[] = { { "rules", true } };
	struct rbd_yfile f;
	yaml_node_t *root, *v[1];

	if (rbd_yfile_load(&f, path, cf->diag) == 0) {
		root = rbd_yroot(&f);
		if (!root)
			rbd_yerr_at(&f, 1, "the rules file is empty (expected a top-level rules: list)");
		else if (rbd_ymap_fetch(&f, root, NULL, keys, 1, v) && v[0])
			rules_seq(cfg, &f, v[0]);
	}
	cf->nerr += f.nerr;
	rbd_yfile_clear(&f);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *s)
{
	size_t n = strlen(s);

	if (s[0] == '.')
		return false;
	return (n > 5 && strcmp(s + n - 5, ".yaml") == 0) || (n > 4 && strcmp(s + n - 4, ".yml") == 0);
}

/* Loads dir's *.yaml / *.yml files in byte order of their names (not locale order). */
static void rules_dir(struct rbd_config *cfg, struct rbd_yfile *cf, yaml_node_t *at,
		      const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		rbd_yerr(cf, at, "rules: cannot open directory %s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!yaml_name(e->d_name))
			continue;
		names = rbd_realloc(names, (n + 1) * sizeof(*names));
		names[n++] = rbd_strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	if (n == 0)
		rbd_log_warn("the rules directory has no *.yaml or *.yml files", "dir", dir);
	for (size_t i = 0; i < n; i++) {
		char *path = rbd_path_join(dir, names[i]);

		rules_file(cfg, cf, path);
		free(path);
		free(names[i]);
	}
	free(names);
}

void rbd_rules_load(struct rbd_config *cfg, struct rbd_yfile *cf, yaml_node_t *rules,
		    const char *dir)
{
	struct stat st;
	const char *s;

	if (rules->type == YAML_SEQUENCE_NODE) {
		cfg->rules_path = rbd_strdup(cf->path);
		rules_seq(cfg, cf, rules);
		return;
	}
	if (!rbd_ystr(cf, rules, NULL, "rules", &s))
		return;
	cfg->rules_path = rbd_path_join(dir, s);
	if (stat(cfg->rules_path, &st) != 0) {
		rbd_yerr(cf, rules, "rules: cannot open %s: %s", cfg->rules_path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		rules_dir(cfg, cf, rules, cfg->rules_path);
	else
		rules_file(cfg, cf, cfg->rules_path);
}
