/*
 * rules_load: loads the runbook rules (`rules:`: a file, a directory of *.yaml /
 * *.yml loaded in name order, or an inline list) against the loaded action catalog:
 * every rule names a known action and gives each of its params, rule params only
 * reference the alert, rule names are unique. It never stops at the first problem.
 */
#include "runbook_load.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/nameset.h"
#include "runbookd/matcher.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC 1000LL
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)

enum {
	R_NAME, R_DESCRIPTION, R_MATCHERS, R_ON, R_ACTION, R_PARAMS, R_APPROVAL, R_DRY_RUN,
	R_APPROVALS, R_COOLDOWN, R_MAX_RUNS, R_MAX_FAILURES, R_AFTER, R_SCOPE, R_COUNT
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
	[R_AFTER] = { "after", false },
	[R_SCOPE] = { "scope", false },
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
		if (r->action && !rbd_action_param_spec(r->action, name)) {
			rbd_yerr(f, k, "%s: params: action %s does not declare param \"%s\"", ctx,
				 r->action->name, name);
			continue;
		}
		/* A param whose template fails still counts as given (NULL template; the
		 * load fails anyway), so that it is not also reported as missing. */
		t = rbd_load_template(f, v, ctx, rbd_buf_cstr(&where));
		if (t)
			rbd_load_refs_check(f, v, t, RBD_REFS_RULE_PARAM, NULL, NULL, ctx, rbd_buf_cstr(&where),
				   "a rule param");
		/* A literal value is known now: one that its allowlist refuses would refuse
		 * every plan of this rule. */
		if (t && r->action && rbd_template_is_literal(t) &&
		    rbd_param_check(rbd_action_param_spec(r->action, name), rbd_template_source(t)) != 0)
			rbd_yerr(f, v, "%s: params: %s: action %s refuses this value: %s", ctx, name,
				 r->action->name, rbd_err_msg());
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

/* Room for one more rule. The capacity is n_rules rounded up to a power of two:
 * doubling keeps n appends O(n) (growing by one copied the array each time, O(n^2)
 * bytes, which only glibc's in-place mremap hid). */
static void rules_grow(struct rbd_config *cfg)
{
	size_t n = cfg->n_rules;

	if (n == 0 || (n & (n - 1)) == 0)
		cfg->rules = rbd_realloc(cfg->rules, (n ? 2 * n : 1) * sizeof(*cfg->rules));
}

/* after: RULE or [RULE, ...]; the names are checked once every rule is loaded. */
static void after_parse(struct rbd_yfile *f, struct rbd_rule *r, yaml_node_t *n, const char *ctx)
{
	size_t len = n->type == YAML_SEQUENCE_NODE ? rbd_yseq_len(n) : 1;
	const char *s;

	r->after_line = rbd_yline(n);
	if (n->type == YAML_SEQUENCE_NODE && len == 0) {
		rbd_yerr(f, n, "%s: after: the list is empty", ctx);
		return;
	}
	r->after = rbd_calloc(len, sizeof(*r->after));
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = n->type == YAML_SEQUENCE_NODE ? rbd_yseq_item(f, n, i) : n;

		if (!item || !rbd_ystr(f, item, ctx, "after", &s))
			continue;
		if (!rbd_load_name_ok(s)) {
			rbd_yerr(f, item, "%s: after: \"%s\" is not a rule name", ctx, s);
			continue;
		}
		r->after[r->n_after++] = rbd_strdup(s);
	}
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
	if (s && rbd_load_name_ok(s))
		rbd_buf_printf(&ctx, "rule %s", s);
	else
		rbd_buf_printf(&ctx, "rules[%zu]", idx);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&ctx), rule_keys, R_COUNT, v))
		goto done;
	if (v[R_NAME] && rbd_ystr(f, v[R_NAME], rbd_buf_cstr(&ctx), "name", &s)) {
		const struct rbd_rule *other = rule_find(cfg, s);

		if (!rbd_load_name_ok(s))
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
	if (v[R_AFTER])
		after_parse(f, &r, v[R_AFTER], rbd_buf_cstr(&ctx));
	if (v[R_AFTER] && r.on != RBD_ON_RESOLVED)
		rbd_yerr(f, v[R_AFTER], "%s: after: only an on: resolved rule can wait for another "
			 "rule's action (a firing rule plans before it could have run)",
			 rbd_buf_cstr(&ctx));
	if (v[R_SCOPE] && rbd_ystr(f, v[R_SCOPE], rbd_buf_cstr(&ctx), "scope", &s)) {
		if (strcmp(s, "episode") == 0)
			r.after_scope = RBD_AFTER_EPISODE;
		else if (strcmp(s, "incident") == 0)
			r.after_scope = RBD_AFTER_INCIDENT;
		else
			rbd_yerr(f, v[R_SCOPE], "%s: scope: \"%s\" is not episode or incident",
				 rbd_buf_cstr(&ctx), s);
		if (!v[R_AFTER])
			rbd_yerr(f, v[R_SCOPE], "%s: scope: only means something with after:",
				 rbd_buf_cstr(&ctx));
	}
	if (r.on == RBD_ON_RESOLVED && !v[R_AFTER] && f->nerr == before)
		rbd_config_warn(cfg, f->path, r.line, "%s: an on: resolved rule without after: "
				"plans whether or not any mitigation ran; name the rule whose "
				"action it follows up (after: RULE)", rbd_buf_cstr(&ctx));
done:
	/* Only a rule that loaded cleanly joins the config (the load fails otherwise, but a
	 * named rule still lets later duplicates be reported against it). */
	if (f->nerr == before || r.name) {
		rules_grow(cfg);
		if (r.name) {
			if (!cfg->rule_names)
				rbd_nameset_new(&cfg->rule_names);
			rbd_nameset_add(cfg->rule_names, r.name, cfg->n_rules, NULL);
		}
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
		rbd_config_warn(cfg, cf->path, rbd_yline(at), "rules: the directory %s has no "
				"*.yaml or *.yml files", dir);
	for (size_t i = 0; i < n; i++) {
		char *path = rbd_path_join(dir, names[i]);

		rules_file(cfg, cf, path);
		free(path);
		free(names[i]);
	}
	free(names);
}

/* Once every rule is loaded: after: names rules that exist, and not itself. */
static void after_check(struct rbd_config *cfg, struct rbd_yfile *cf)
{
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct rbd_rule *r = &cfg->rules[i];

		for (size_t j = 0; j < r->n_after; j++) {
			const struct rbd_rule *o = rbd_config_rule(cfg, r->after[j]);

			if (o && o != r)
				continue;
			rbd_diag_add(cf->diag, r->file, r->after_line, "rule %s: after: %s%s%s",
				     r->name ? r->name : "?", o ? "a rule cannot follow itself" :
				     "no rule named \"", o ? "" : r->after[j], o ? "" : "\"");
			cf->nerr++;
		}
	}
}

void rbd_rules_load(struct rbd_config *cfg, struct rbd_yfile *cf, yaml_node_t *rules,
		    const char *dir)
{
	struct stat st;
	const char *s;

	if (rules->type == YAML_SEQUENCE_NODE) {
		cfg->rules_path = rbd_strdup(cf->path);
		rules_seq(cfg, cf, rules);
		after_check(cfg, cf);
		return;
	}
	if (!rbd_ystr(cf, rules, NULL, "rules", &s))
		return;
	cfg->rules_path = rbd_config_path(cfg, dir, s);
	if (stat(cfg->rules_path, &st) != 0) {
		rbd_yerr(cf, rules, "rules: cannot open %s: %s", cfg->rules_path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		rules_dir(cfg, cf, rules, cfg->rules_path);
	else
		rules_file(cfg, cf, cfg->rules_path);
	after_check(cfg, cf);
}
