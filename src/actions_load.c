/*
 * actions_load: loads the action catalog (`actions:` in runbookd.yaml: the whitelist
 * of everything runbookd may ever run or call), checking every cross-reference at
 * load time: programs resolve on PATH, templates only reference what their place
 * allows, every param has an allowlist. It must never let a value from the network
 * reach an argv element or a request without passing through a declared,
 * allowlisted param, and never stop at the first problem.
 */
#include "runbook_load.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/exec.h"
#include "runbookd/httpc.h"
#include "runbookd/log.h"
#include "runbookd/nameset.h"
#include "runbookd/regex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC 1000LL
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)

static void param_spec_parse(struct rbd_yfile *f, struct rbd_param_spec *spec, yaml_node_t *n,
			     const char *ctx, int *pattern_line)
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
	*pattern_line = rbd_yline(v[1]);
	if (rbd_regex_compile(&spec->pattern, s) != 0)
		rbd_yerr(f, v[1], "%s: pattern: %s", ctx, rbd_err_msg());
}

static void params_parse(struct rbd_yfile *f, struct rbd_action_def *a, yaml_node_t *n,
			 const char *ctx, int *pattern_lines)
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
		if (!rbd_load_ident_ok(name)) {
			rbd_yerr(f, k, "%s: \"%s\" is not a param name (letters, digits, _)", ctx, name);
			continue;
		}
		if (rbd_action_param_spec(a, name))
			continue;       /* duplicate, reported by rbd_ymap_check */
		rbd_buf_reset(&pctx);
		rbd_buf_printf(&pctx, "%s: params: %s", ctx, name);
		a->params[a->n_params].name = rbd_strdup(name);
		param_spec_parse(f, &a->params[a->n_params], v, rbd_buf_cstr(&pctx),
				 &pattern_lines[a->n_params]);
		a->n_params++;
	}
	rbd_buf_free(&pctx);
}

/* --- programs that evaluate an argument as code ------------------------------- */

/* Shells and interpreters: a templated argument could become code for them, which is
 * the shell this product promises never to use. A name also matches with a version
 * suffix (python3, python3.11, perl5.36, lua5.4, php8.2). */
static const char *const interpreters[] = {
	"sh", "ash", "bash", "dash", "zsh", "ksh", "mksh", "csh", /* names refused, never run */
	"tcsh", "fish", "busybox",
	"python", "perl", "ruby", "node", "nodejs", "php", "lua", "luajit", "awk", "gawk",
	"mawk", "nawk", "tclsh", "pwsh", "ssh",
};
/* Programs that run the program named in their arguments (env bash -c ...). */
static const char *const wrappers[] = {
	"env", "sudo", "doas", "nice", "nohup", "timeout", "setsid", "stdbuf", "ionice",
	"chrt", "taskset", "xargs", "flock", "runuser", "su", "unshare", "nsenter", "chroot",
};

static const char *base_name(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash ? slash + 1 : s;
}

static bool name_in(const char *name, const char *const *list, size_t n, bool versioned)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(list[i]);

		if (strncmp(name, list[i], len) != 0)
			continue;
		if (!name[len])
			return true;
		if (versioned && strspn(name + len, "0123456789.") == strlen(name + len))
			return true;
	}
	return false;
}

static bool is_interpreter(const char *arg)
{
	return name_in(base_name(arg), interpreters, sizeof(interpreters) / sizeof(interpreters[0]),
		       true);
}

/* -c, -e, --eval ... and short clusters such as -ec or -lc. */
static bool is_code_flag(const char *a)
{
	static const char *const longs[] = { "--eval", "--command", "--exec", "--print" };

	if (a[0] != '-' || !a[1])
		return false;
	if (a[1] == '-') {
		for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
			if (strcmp(a, longs[i]) == 0 || (strncmp(a, longs[i], strlen(longs[i])) == 0 &&
							  a[strlen(longs[i])] == '='))
				return true;
		return false;
	}
	return strlen(a) <= 4 && strpbrk(a + 1, "ceErp") != NULL;
}

/*
 * The index of the argv element that names an interpreter evaluating an argument as
 * code, or -1: the program itself, an interpreter anywhere after a wrapper (env,
 * sudo, timeout ...), or an interpreter followed by a code flag anywhere (docker exec
 * CONTAINER sh -c ...). Only literal elements are looked at (run[0] is always literal).
 */
static int interpreter_at(const struct rbd_action_def *a, bool *code_flag)
{
	bool wrapped = a->argc > 0 && rbd_template_is_literal(a->argv[0]) &&
		       name_in(base_name(rbd_template_source(a->argv[0])), wrappers,
			       sizeof(wrappers) / sizeof(wrappers[0]), false);

	for (size_t i = 0; i < a->argc; i++) {
		const char *next;

		if (!rbd_template_is_literal(a->argv[i]) || !is_interpreter(rbd_template_source(a->argv[i])))
			continue;
		next = i + 1 < a->argc && rbd_template_is_literal(a->argv[i + 1]) ?
		       rbd_template_source(a->argv[i + 1]) : "";
		*code_flag = is_code_flag(next);
		if (i == 0 || wrapped || *code_flag)
			return (int)i;
	}
	return -1;
}

static void interpreter_check(const struct rbd_config *cfg, struct rbd_yfile *f,
			      const struct rbd_action_def *a, yaml_node_t *run, yaml_node_t *allow,
			      const char *ctx)
{
	bool code_flag = false;
	int at = interpreter_at(a, &code_flag);
	size_t templated = 0;
	yaml_node_t *item;
	const char *prog;

	if (at < 0) {
		if (allow && a->allow_interpreter)
			rbd_config_warn(cfg, f->path, rbd_yline(allow), "%s: allow_interpreter: "
					"no program here evaluates an argument as code; remove it", ctx);
		return;
	}
	for (size_t i = 1; i < a->argc; i++)
		if (!rbd_template_is_literal(a->argv[i]) && !templated)
			templated = i;
	if (!templated)
		return;         /* a fixed command: nothing from the alert reaches it */
	prog = base_name(rbd_template_source(a->argv[at]));
	item = rbd_yseq_item(f, run, (size_t)at);
	if (!a->allow_interpreter) {
		rbd_yerr(f, item ? item : run, "%s: run[%d]: \"%s\" evaluates its arguments as code%s "
			 "and run[%zu] is templated: a value from the alert could run any command "
			 "(a shell by the back door). Give the values as argv elements of a real "
			 "program, or set allow_interpreter: true if this is deliberate", ctx, at,
			 prog, code_flag ? " (with a -c/-e style flag)" : "", templated);
		return;
	}
	rbd_config_warn(cfg, f->path, rbd_yline(allow ? allow : run), "%s: allow_interpreter: "
			"run[%d] \"%s\" evaluates run[%zu] (templated) as code: any value that passes "
			"the param allowlist is executed as code, so keep it to a one_of list of "
			"plain words", ctx, at, prog, templated);
}

/* Sample values a param pattern should not accept when its value reaches an argv. */
static const char *const dash_samples[] = { "-", "-a", "-1", "-rf", "--all", "--a=b", "-x1", "-A" };
static const char *const blank_samples[] = { " ", "  ", "\t", " \t ", "\n" };

static bool accepts_any(const struct rbd_regex *re, const char *const *samples, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rbd_regex_match(re, samples[i], strlen(samples[i])) == 1)
			return true;
	return false;
}

/* `.*` (or `.+`) outside a character class and not escaped: anything goes there. */
static bool has_dot_star(const char *p)
{
	bool in_class = false;

	for (; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				break;
			p++;
			continue;
		}
		if (in_class) {
			in_class = *p != ']';
			continue;
		}
		if (*p == '[') {
			in_class = true;
			if (p[1] == ']' || (p[1] == '^' && p[2] == ']'))
				p += p[1] == '^' ? 2 : 1;
			continue;
		}
		if (*p == '.' && (p[1] == '*' || p[1] == '+'))
			return true;
	}
	return false;
}

static void pattern_warn(const struct rbd_config *cfg, struct rbd_yfile *f,
			 const struct rbd_param_spec *spec, int line, const char *ctx)
{
	const char *src = rbd_regex_source(spec->pattern);

	if (accepts_any(spec->pattern, dash_samples, sizeof(dash_samples) / sizeof(dash_samples[0])))
		rbd_config_warn(cfg, f->path, line, "%s: params: %s: pattern \"%s\" accepts a value "
				"starting with '-', which the program would read as an option "
				"(the value is refused at run time unless one_of names it)", ctx,
				spec->name, src);
	if (accepts_any(spec->pattern, blank_samples, sizeof(blank_samples) / sizeof(blank_samples[0])))
		rbd_config_warn(cfg, f->path, line, "%s: params: %s: pattern \"%s\" accepts a "
				"whitespace-only value", ctx, spec->name, src);
	if (has_dot_star(src))
		rbd_config_warn(cfg, f->path, line, "%s: params: %s: pattern \"%s\" has an "
				"unanchored .* that accepts any text into an argv element; list the "
				"values (one_of) or spell out the characters allowed", ctx, spec->name, src);
}

static void run_parse(const struct rbd_config *cfg, struct rbd_yfile *f, struct rbd_action_def *a,
		      yaml_node_t *n, const char *ctx, const char *dir, bool *used)
{
	bool dry_run = cfg->mode == RBD_MODE_DRY_RUN;
	bool syntax_only = cfg->load && cfg->load->syntax_only;

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
		t = rbd_load_template(f, item, ctx, rbd_buf_cstr(&where));
		if (!t)
			continue;
		a->argv[a->argc++] = t;
		if (i > 0) {
			rbd_load_refs_check(f, item, t, RBD_REFS_RUN, a, used, ctx, rbd_buf_cstr(&where),
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

		if (syntax_only) {
			/* Where the program lives is the deployment machine's business. */
			a->program = rbd_strdup(prog);
			continue;
		}

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
				rbd_config_warn(cfg, f->path, rbd_yline(item),
						"%s: run[0]: program not found on PATH (\"%s\"); dry-run "
						"plans show it unresolved and enforce mode will refuse "
						"this config", ctx, prog);
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

static void http_parse(const struct rbd_config *cfg, struct rbd_yfile *f, struct rbd_action_def *a, yaml_node_t *n,
		       const char *ctx, bool *used, const char *dir)
{
	static const struct rbd_ykey keys[] = {
		{ "method", true }, { "url", true }, { "body", false }, { "headers", false },
	};
	struct rbd_buf hctx = RBD_BUF_INIT(4096);
	yaml_node_t *v[4];
	const char *s, *sch, *end, *tpl;
	char *base = NULL;

	rbd_buf_printf(&hctx, "%s: http", ctx);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&hctx), keys, 4, v))
		goto done;
	/* Values from env or file only: never templated, so alert data cannot reach them. */
	if (v[3])
		rbd_yheaders_parse(&a->headers, f, v[3], rbd_buf_cstr(&hctx), dir, cfg->load);
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
					rbd_load_refs_check(f, v[1], a->url_rest, RBD_REFS_HTTP, a, used, ctx,
						   "http: url", "an http action");
			}
			free(prefix);
		}
	}
	if (v[2]) {
		a->body = rbd_load_template(f, v[2], rbd_buf_cstr(&hctx), "body");
		if (a->body)
			rbd_load_refs_check(f, v[2], a->body, RBD_REFS_HTTP, a, used, ctx, "http: body",
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
		if (!rbd_load_ident_ok(s)) {
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

enum { A_RUN, A_HTTP, A_SILENCE, A_PARAMS, A_TIMEOUT, A_ALLOW_INTERP, A_CANCEL_ON_RESOLVE,
       A_COUNT };
static const struct rbd_ykey action_keys[A_COUNT] = {
	[A_RUN] = { "run", false },
	[A_ALLOW_INTERP] = { "allow_interpreter", false },
	[A_CANCEL_ON_RESOLVE] = { "cancel_on_resolve", false },
	[A_HTTP] = { "http", false },
	[A_SILENCE] = { "silence", false },
	[A_PARAMS] = { "params", false },
	[A_TIMEOUT] = { "timeout", false },
};

static void action_parse(const struct rbd_config *cfg, struct rbd_yfile *f,
			 struct rbd_action_def *a, yaml_node_t *k, yaml_node_t *n, const char *dir)
{
	struct rbd_buf ctx = RBD_BUF_INIT(4096);
	yaml_node_t *v[A_COUNT];
	bool *used = NULL;
	int *pattern_lines = NULL;
	int kinds;

	a->file = rbd_strdup(f->path);
	a->line = rbd_yline(k);
	a->timeout_ms = 60 * SEC;
	rbd_buf_printf(&ctx, "action %s", a->name);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&ctx), action_keys, A_COUNT, v))
		goto done;
	pattern_lines = rbd_calloc(v[A_PARAMS] ? rbd_ymap_len(v[A_PARAMS]) + 1 : 1,
				   sizeof(*pattern_lines));
	if (v[A_PARAMS])
		params_parse(f, a, v[A_PARAMS], rbd_buf_cstr(&ctx), pattern_lines);
	used = rbd_calloc(a->n_params + 1, sizeof(*used));
	if (v[A_ALLOW_INTERP])
		rbd_ybool(f, v[A_ALLOW_INTERP], rbd_buf_cstr(&ctx), "allow_interpreter",
			  &a->allow_interpreter);
	if (v[A_CANCEL_ON_RESOLVE])
		rbd_ybool(f, v[A_CANCEL_ON_RESOLVE], rbd_buf_cstr(&ctx), "cancel_on_resolve",
			  &a->cancel_on_resolve);
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
		run_parse(cfg, f, a, v[A_RUN], rbd_buf_cstr(&ctx), dir, used);
		interpreter_check(cfg, f, a, v[A_RUN], v[A_ALLOW_INTERP], rbd_buf_cstr(&ctx));
		/* Params that reach an argv element. */
		for (size_t i = 0; i < a->n_params; i++)
			if (used[i] && a->params[i].pattern)
				pattern_warn(cfg, f, &a->params[i], pattern_lines[i], rbd_buf_cstr(&ctx));
	} else if (v[A_HTTP]) {
		a->kind = RBD_ACTION_HTTP;
		http_parse(cfg, f, a, v[A_HTTP], rbd_buf_cstr(&ctx), used, dir);
	} else {
		a->kind = RBD_ACTION_SILENCE;
		silence_parse(f, a, v[A_SILENCE], rbd_buf_cstr(&ctx));
	}
	if (a->kind != RBD_ACTION_RUN && (a->allow_interpreter || a->cancel_on_resolve))
		rbd_yerr(f, v[a->allow_interpreter ? A_ALLOW_INTERP : A_CANCEL_ON_RESOLVE],
			 "%s: %s applies to run actions only", rbd_buf_cstr(&ctx),
			 a->allow_interpreter ? "allow_interpreter" : "cancel_on_resolve");
	for (size_t i = 0; i < a->n_params; i++)
		if (!used[i])
			rbd_config_warn(cfg, f->path, a->line, "%s: declares param \"%s\" and never "
					"uses it", rbd_buf_cstr(&ctx), a->params[i].name);
done:
	free(used);
	free(pattern_lines);
	rbd_buf_free(&ctx);
}

void rbd_actions_load(struct rbd_config *cfg, struct rbd_yfile *cf, yaml_node_t *actions,
		      const char *dir)
{
	size_t len = rbd_ymap_len(actions);

	if (!rbd_ymap_check(cf, actions, "actions"))
		return;
	cfg->actions = rbd_calloc(len, sizeof(*cfg->actions));
	if (!cfg->action_names)
		rbd_nameset_new(&cfg->action_names);
	for (size_t i = 0; i < len; i++) {
		struct rbd_action_def *a = &cfg->actions[cfg->n_actions];
		yaml_node_t *k, *v;
		const char *name;

		if (!rbd_ymap_pair(cf, actions, i, &k, &v))
			break;
		if (k->type != YAML_SCALAR_NODE)
			continue;
		name = (const char *)k->data.scalar.value;
		if (!rbd_load_name_ok(name)) {
			rbd_yerr(cf, k, "actions: \"%s\" is not an action name (A-Z a-z 0-9 _ - .)",
				 name);
			continue;
		}
		if (rbd_config_action(cfg, name))
			continue;       /* duplicate key, reported by rbd_ymap_check */
		a->name = rbd_strdup(name);
		rbd_nameset_add(cfg->action_names, a->name, cfg->n_actions, NULL);
		cfg->n_actions++;
		action_parse(cfg, cf, a, k, v, dir);
	}
}
