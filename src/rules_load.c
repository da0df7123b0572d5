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
	cfg->rules_path = rbd_config_path(cfg, dir, s);
	if (stat(cfg->rules_path, &st) != 0) {
		rbd_yerr(cf, rules, "rules: cannot open %s: %s", cfg->rules_path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		rules_dir(cfg, cf, rules, cfg->rules_path);
	else
		rules_file(cfg, cf, cfg->rules_path);
}
