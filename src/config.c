/*
 * config: loads runbookd.yaml (listen, database, mode, auth tokens, limits,
 * alertmanager, notify) and, through actions_load.c and rules_load.c, the action
 * catalog and the rule files
 * it names, into one immutable struct rbd_config. A load collects every problem it
 * can find as "FILE:LINE: message" and yields either a fully validated config or
 * nothing. Token values come from the environment or token files, never from the
 * config text; they must never appear in a diagnostic, a log line or an error.
 */
#include "runbookd/config.h"
#include "runbook_load.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/httpc.h"
#include "runbookd/log.h"
#include "runbookd/nameset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A token file larger than this is not a token. */
#define TOKEN_FILE_MAX 4096

#define KiB ((long long)1024)
#define MiB (1024 * KiB)
#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

char *rbd_config_path(const struct rbd_config *cfg, const char *dir, const char *path)
{
	const char *root = cfg && cfg->load ? cfg->load->root : NULL;

	if (path[0] == '/' && root && root[0])
		return rbd_path_join(root, path + 1);
	return rbd_path_join(dir, path);
}

void rbd_config_warn(const struct rbd_config *cfg, const char *file, int line, const char *fmt, ...)
{
	struct rbd_buf at = RBD_BUF_INIT(8192);
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = rbd_calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	if (cfg && cfg->load && cfg->load->warnings) {
		rbd_diag_add(cfg->load->warnings, file, line, "warning: %s", msg);
	} else {
		rbd_buf_printf(&at, "%s:%d", file ? file : "-", line);
		rbd_log_warn(msg, "at", rbd_buf_cstr(&at));
	}
	rbd_buf_free(&at);
	free(msg);
}

static const struct {
	enum rbd_role role;
	const char *name;
} roles[] = {
	{ RBD_ROLE_INGEST, "ingest" },
	{ RBD_ROLE_OPERATOR, "operator" },
	{ RBD_ROLE_VIEWER, "viewer" },
};

const char *rbd_role_name(enum rbd_role role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "none";
}

bool rbd_config_link_base(const struct rbd_config *cfg, int port, char *out, size_t size)
{
	const char *h;
	int n;

	if (size == 0)
		return false;
	out[0] = '\0';
	if (cfg->external_url) {
		n = snprintf(out, size, "%s", cfg->external_url);
		return n > 0 && (size_t)n < size;
	}
	h = cfg->listen_host;
	if (!h || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0 || h[0] == '\0')
		return false;
	n = snprintf(out, size, strchr(h, ':') ? "http://[%s]:%d" : "http://%s:%d", h, port);
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return false;
	}
	return true;
}

static void token_clear(struct rbd_token *t)
{
	free(t->name);
	if (t->secret) {
		explicit_bzero(t->secret, strlen(t->secret));
		free(t->secret);
	}
	memset(t, 0, sizeof(*t));
}

void rbd_config_free(struct rbd_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->listen_host);
	free(cfg->database);
	free(cfg->database_password_file);
	free(cfg->ha_replica);
	free(cfg->rules_path);
	for (size_t i = 0; i < cfg->n_tokens; i++)
		token_clear(&cfg->tokens[i]);
	free(cfg->tokens);
	for (size_t i = 0; i < cfg->n_rules; i++)
		rbd_rule_clear(&cfg->rules[i]);
	free(cfg->rules);
	rbd_nameset_free(cfg->rule_names);
	rbd_nameset_free(cfg->action_names);
	for (size_t i = 0; i < cfg->n_actions; i++)
		rbd_action_def_clear(&cfg->actions[i]);
	free(cfg->actions);
	free(cfg->am_url);
	rbd_notify_targets_free(cfg->notify, cfg->n_notify);
	free(cfg->external_url);
	free(cfg);
}

/* --- listen ------------------------------------------------------------------ */

/* "host:port" or "[v6]:port"; port 0..65535 (0: ephemeral). NULL or the reason. */
static const char *listen_parse(char **host, int *port, const char *s)
{
	const char *colon, *h, *p;
	size_t hlen;
	long v = 0;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return "expected [ipv6]:port";
		h = s + 1;
		hlen = (size_t)(close - h);
		if (!memchr(h, ':', hlen))
			return "brackets are for IPv6 addresses only";
		p = close + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return "expected host:port";
		h = s;
		hlen = (size_t)(colon - s);
		if (memchr(h, ':', hlen))
			return "an IPv6 address needs brackets: [::1]:9095";
		p = colon + 1;
	}
	if (hlen == 0)
		return "the host is missing (use 0.0.0.0 or [::] to listen on every address)";
	for (size_t i = 0; i < hlen; i++)
		if (h[i] == ' ' || h[i] == '/' || h[i] == '[' || h[i] == ']' || (unsigned char)h[i] < 0x21)
			return "bad host";
	if (!*p || strlen(p) > 5)
		return "bad port";
	for (const char *q = p; *q; q++) {
		if (*q < '0' || *q > '9')
			return "bad port";
		v = v * 10 + (*q - '0');
	}
	if (v > 65535)
		return "port is over 65535";
	*host = rbd_strndup(h, hlen);
	*port = (int)v;
	return NULL;
}

/* --- tokens ------------------------------------------------------------------ */

static bool token_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.' || *s == '@'))
			return false;
	return true;
}

/* Reads a token file; *out is a new string or NULL with *why set. */
static void token_file_read(char **out, const char **why, int *err, const char *path,
			    bool *world_readable)
{
	static const char *const whys[] = {
		[RBD_READ_OPEN] = "cannot open token_file",
		[RBD_READ_NOT_REGULAR] = "token_file is not a regular file",
		[RBD_READ_IO] = "cannot read token_file",
		[RBD_READ_TOO_BIG] = "token_file is too big to be a token",
	};
	struct rbd_buf b = RBD_BUF_INIT(TOKEN_FILE_MAX);
	struct rbd_read_info info;

	*out = NULL;
	*why = NULL;
	*err = 0;
	if (rbd_buf_read_file(&b, path, true, &info)) {
		*why = whys[info.fail];
		*err = info.err;
		return;
	}
	*world_readable = (info.mode & S_IROTH) != 0;
	/* Editors end files with a newline; it is not part of the token. */
	if (b.len && b.data[b.len - 1] == '\n') {
		b.data[--b.len] = '\0';
		if (b.len && b.data[b.len - 1] == '\r')
			b.data[--b.len] = '\0';
	}
	*out = rbd_buf_steal(&b);
}

/* A secret must be something a client can send in a header: printable, no spaces. */
static bool secret_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

struct loader {
	struct rbd_config *cfg;
	struct rbd_yfile *f;
	char *dir;
};

enum { TK_NAME, TK_ROLE, TK_ENV, TK_FILE, TK_COUNT };
static const struct rbd_ykey token_keys[TK_COUNT] = {
	[TK_NAME] = { "name", true },
	[TK_ROLE] = { "role", true },
	[TK_ENV] = { "token_env", false },
	[TK_FILE] = { "token_file", false },
};

static void token_parse(struct loader *L, struct rbd_token *t, yaml_node_t *n, size_t idx)
{
	struct rbd_yfile *f = L->f;
	yaml_node_t *v[TK_COUNT];
	struct rbd_buf ctx = RBD_BUF_INIT(4096);
	const char *s, *why;
	char *path = NULL;
	bool world = false;
	int err;

	/* Messages name the token once it has a usable name. */
	s = rbd_ymap_peek(f, n, "name");
	if (s && token_name_ok(s))
		rbd_buf_printf(&ctx, "token %s", s);
	else
		rbd_buf_printf(&ctx, "auth.tokens[%zu]", idx);
	if (!rbd_ymap_fetch(f, n, rbd_buf_cstr(&ctx), token_keys, TK_COUNT, v))
		goto done;
	if (v[TK_NAME] && rbd_ystr(f, v[TK_NAME], rbd_buf_cstr(&ctx), "name", &s)) {
		if (!token_name_ok(s))
			rbd_yerr(f, v[TK_NAME], "%s: name: \"%s\" must be 1-64 of A-Z a-z 0-9 _ - . @",
				 rbd_buf_cstr(&ctx), s);
		else
			t->name = rbd_strdup(s);
	}
	if (v[TK_ROLE] && rbd_ystr(f, v[TK_ROLE], rbd_buf_cstr(&ctx), "role", &s)) {
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
			if (strcmp(s, roles[i].name) == 0)
				t->role = roles[i].role;
		if (t->role == RBD_ROLE_NONE)
			rbd_yerr(f, v[TK_ROLE], "%s: role: unknown role \"%s\" (expected ingest, operator or viewer)",
				 rbd_buf_cstr(&ctx), s);
	}
	if (!v[TK_ENV] == !v[TK_FILE]) {
		rbd_yerr(f, n, "%s: needs exactly one of token_env or token_file", rbd_buf_cstr(&ctx));
		goto done;
	}
	if (L->cfg->load && L->cfg->load->syntax_only) {
		/* The names are checked; the secrets live on the deployment's machine. */
		if (v[TK_ENV])
			rbd_ystr(f, v[TK_ENV], rbd_buf_cstr(&ctx), "token_env", &s);
		else
			rbd_ystr(f, v[TK_FILE], rbd_buf_cstr(&ctx), "token_file", &s);
		goto done;
	}
	if (v[TK_ENV]) {
		if (!rbd_ystr(f, v[TK_ENV], rbd_buf_cstr(&ctx), "token_env", &s))
			goto done;
		const char *val = getenv(s);

		if (!val || !val[0]) {
			rbd_yerr(f, v[TK_ENV], "%s: environment variable %s is unset or empty; refusing to start",
				 rbd_buf_cstr(&ctx), s);
			goto done;
		}
		t->secret = rbd_strdup(val);
	} else {
		if (!rbd_ystr(f, v[TK_FILE], rbd_buf_cstr(&ctx), "token_file", &s))
			goto done;
		path = rbd_config_path(L->cfg, L->dir, s);
		token_file_read(&t->secret, &why, &err, path, &world);
		if (!t->secret) {
			rbd_yerr(f, v[TK_FILE], "%s: %s %s%s%s; refusing to start", rbd_buf_cstr(&ctx), why,
				 path, err ? ": " : "", err ? strerror(err) : "");
			goto done;
		}
		if (!t->secret[0]) {
			rbd_yerr(f, v[TK_FILE], "%s: token_file %s is empty; refusing to start",
				 rbd_buf_cstr(&ctx), path);
			goto done;
		}
		if (world)
			rbd_config_warn(L->cfg, f->path, rbd_yline(v[TK_FILE]),
					"token %s: token file %s is readable by every user",
					t->name ? t->name : "?", path);
	}
	if (t->secret && !secret_ok(t->secret))
		rbd_yerr(f, v[TK_ENV] ? v[TK_ENV] : v[TK_FILE],
			 "%s: the token contains spaces or control characters", rbd_buf_cstr(&ctx));
done:
	free(path);
	rbd_buf_free(&ctx);
}

static void auth_parse(struct loader *L, yaml_node_t *auth)
{
	static const struct rbd_ykey keys[] = { { "tokens", false } };
	struct rbd_config *cfg = L->cfg;
	struct rbd_yfile *f = L->f;
	yaml_node_t *tokens, *items[1];
	size_t n;

	if (!rbd_ymap_fetch(f, auth, "auth", keys, 1, items))
		return;
	tokens = items[0];
	if (!tokens || !rbd_yseq_check(f, tokens, "auth.tokens"))
		return;
	n = rbd_yseq_len(tokens);
	cfg->tokens = rbd_calloc(n, sizeof(*cfg->tokens));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = rbd_yseq_item(f, tokens, i);

		if (!item)
			break;
		token_parse(L, &cfg->tokens[cfg->n_tokens], item, i);
		cfg->n_tokens++;
		for (size_t j = 0; j + 1 < cfg->n_tokens; j++) {
			struct rbd_token *a = &cfg->tokens[j], *b = &cfg->tokens[cfg->n_tokens - 1];

			if (a->name && b->name && strcmp(a->name, b->name) == 0)
				rbd_yerr(f, item, "token %s: duplicate token name", b->name);
			else if (a->secret && b->secret && strcmp(a->secret, b->secret) == 0)
				rbd_yerr(f, item, "token %s: has the same value as token %s",
					 b->name ? b->name : "?", a->name ? a->name : "?");
		}
	}
}

/* --- limits ------------------------------------------------------------------ */

enum limit_kind { LIM_SIZE, LIM_INT, LIM_MS, LIM_SECONDS };

static const struct {
	const char *name;
	enum limit_kind kind;
	size_t off;
	long long min, max;           /* for durations, in ms */
} limit_keys[] = {
	{ "max_body_bytes", LIM_SIZE, offsetof(struct rbd_limits, max_body_bytes), KiB, 1024 * MiB },
	{ "max_concurrent_actions", LIM_INT, offsetof(struct rbd_limits, max_concurrent_actions), 1, 1024 },
	{ "approval_ttl", LIM_MS, offsetof(struct rbd_limits, approval_ttl_ms), SEC, 30 * DAY },
	{ "action_output_bytes", LIM_SIZE, offsetof(struct rbd_limits, action_output_bytes), 1, 1024 * MiB },
	{ "max_alerts", LIM_SIZE, offsetof(struct rbd_limits, max_alerts), 1, 1000000 },
	{ "max_labels", LIM_SIZE, offsetof(struct rbd_limits, max_labels), 1, 100000 },
	{ "max_connections", LIM_INT, offsetof(struct rbd_limits, max_connections), 1, 65536 },
	{ "max_connections_per_ip", LIM_INT, offsetof(struct rbd_limits, max_connections_per_ip), 1, 65536 },
	{ "connection_timeout", LIM_SECONDS, offsetof(struct rbd_limits, connection_timeout_s), SEC, HOUR },
	{ "kill_grace", LIM_MS, offsetof(struct rbd_limits, kill_grace_ms), 1, 10 * MIN },
};
#define N_LIMITS (sizeof(limit_keys) / sizeof(limit_keys[0]))

static void limits_default(struct rbd_limits *l)
{
	l->max_body_bytes = 1024 * 1024;
	l->max_concurrent_actions = 4;
	l->approval_ttl_ms = 30 * MIN;
	l->action_output_bytes = 64 * 1024;
	l->max_alerts = 1000;
	l->max_labels = 256;
	l->max_connections = 256;
	l->max_connections_per_ip = 64;
	l->connection_timeout_s = 10;
	l->kill_grace_ms = 5 * SEC;
}

static void limits_parse(struct loader *L, yaml_node_t *node)
{
	struct rbd_ykey keys[N_LIMITS];
	yaml_node_t *v[N_LIMITS];
	char *base = (char *)&L->cfg->limits;

	for (size_t i = 0; i < N_LIMITS; i++) {
		keys[i].name = limit_keys[i].name;
		keys[i].required = false;
	}
	if (!rbd_ymap_fetch(L->f, node, "limits", keys, N_LIMITS, v))
		return;
	for (size_t i = 0; i < N_LIMITS; i++) {
		long long n;
		int64_t ms;

		if (!v[i])
			continue;
		switch (limit_keys[i].kind) {
		case LIM_SIZE:
			if (rbd_yint(L->f, v[i], "limits", keys[i].name, limit_keys[i].min,
				     limit_keys[i].max, &n))
				*(size_t *)(base + limit_keys[i].off) = (size_t)n;
			break;
		case LIM_INT:
			if (rbd_yint(L->f, v[i], "limits", keys[i].name, limit_keys[i].min,
				     limit_keys[i].max, &n))
				*(int *)(base + limit_keys[i].off) = (int)n;
			break;
		case LIM_MS:
			if (rbd_yduration(L->f, v[i], "limits", keys[i].name, limit_keys[i].min,
					  limit_keys[i].max, &ms))
				*(int64_t *)(base + limit_keys[i].off) = ms;
			break;
		case LIM_SECONDS:
			if (rbd_yduration(L->f, v[i], "limits", keys[i].name, limit_keys[i].min,
					  limit_keys[i].max, &ms))
				*(int *)(base + limit_keys[i].off) = (int)((ms + 999) / 1000);
			break;
		}
	}
}

/* --- alertmanager, notify ---------------------------------------------------- */

/* A URL runbookd calls: http/https with a host. New string, or NULL (reported). */
static char *url_parse(struct loader *L, yaml_node_t *n, const char *ctx)
{
	const char *s;
	char *base = NULL;

	if (!rbd_ystr(L->f, n, ctx, "url", &s))
		return NULL;
	if (rbd_httpc_url_base(&base, s) != 0) {
		rbd_yerr(L->f, n, "%s: url: \"%s\" is not an http:// or https:// URL with a host",
			 ctx, s);
		return NULL;
	}
	free(base);
	return rbd_strdup(s);
}

static void alertmanager_parse(struct loader *L, yaml_node_t *node)
{
	static const struct rbd_ykey keys[] = { { "url", true }, { "poll", false } };
	yaml_node_t *v[2];
	char *url;
	size_t len;

	if (!rbd_ymap_fetch(L->f, node, "alertmanager", keys, 2, v))
		return;
	if (v[1])
		rbd_yduration(L->f, v[1], "alertmanager", "poll", SEC, DAY, &L->cfg->am_poll_ms);
	if (!v[0] || !(url = url_parse(L, v[0], "alertmanager")))
		return;
	/* Paths such as /api/v2/silences are appended to it. */
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	L->cfg->am_url = url;
}

/* external_url: where people reach runbookd; links are built on it, so it keeps its
 * path (a reverse proxy prefix) but loses a trailing '/'. */
static void external_url_parse(struct loader *L, yaml_node_t *n)
{
	char *url = url_parse(L, n, "external_url");
	size_t len;

	if (!url)
		return;
	if (strpbrk(url, "?#")) {
		rbd_yerr(L->f, n, "external_url: \"%s\" must not have a query or fragment", url);
		free(url);
		return;
	}
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	free(L->cfg->external_url);
	L->cfg->external_url = url;
}

/* ui: {refresh, session_idle, session_max} for the browser console. */
static void ui_parse(struct loader *L, yaml_node_t *node)
{
	static const struct rbd_ykey keys[] = {
		{ "refresh", false }, { "session_idle", false }, { "session_max", false },
	};
	yaml_node_t *v[3];

	if (!rbd_ymap_fetch(L->f, node, "ui", keys, 3, v))
		return;
	if (v[0])
		rbd_yduration(L->f, v[0], "ui", "refresh", 0, HOUR, &L->cfg->ui.refresh_ms);
	if (v[1])
		rbd_yduration(L->f, v[1], "ui", "session_idle", MIN, DAY, &L->cfg->ui.session_idle_ms);
	if (v[2])
		rbd_yduration(L->f, v[2], "ui", "session_max", MIN, 7 * DAY, &L->cfg->ui.session_max_ms);
}

/* --- the file ------------------------------------------------------------------ */

enum {
	K_LISTEN, K_DATABASE, K_MODE, K_RULES, K_AUTH, K_LIMITS, K_ACTIONS, K_ALERTMANAGER,
	K_NOTIFY, K_EXTERNAL_URL, K_UI, K_LOG_LEVEL, K_HA, K_DATABASE_PASSWORD_FILE, K_COUNT
};
static const struct rbd_ykey top_keys[K_COUNT] = {
	[K_LISTEN] = { "listen", false },
	[K_DATABASE] = { "database", false },
	[K_MODE] = { "mode", false },
	[K_RULES] = { "rules", false },
	[K_AUTH] = { "auth", false },
	[K_LIMITS] = { "limits", false },
	[K_ACTIONS] = { "actions", false },
	[K_ALERTMANAGER] = { "alertmanager", false },
	[K_NOTIFY] = { "notify", false },
	[K_EXTERNAL_URL] = { "external_url", false },
	[K_UI] = { "ui", false },
	[K_LOG_LEVEL] = { "log_level", false },
	[K_HA] = { "ha", false },
	[K_DATABASE_PASSWORD_FILE] = { "database_password_file", false },
};

/* ha: several replicas on one PostgreSQL database. lease: how long a replica may stay
 * silent before its running actions are marked interrupted; replica: this process's
 * name (default HOST/PORT, HOST/pidPID with an ephemeral port). */
static void ha_parse(struct loader *L, yaml_node_t *node)
{
	static const struct rbd_ykey keys[] = { { "lease", false }, { "replica", false } };
	yaml_node_t *v[2];
	const char *s;

	if (!rbd_ymap_fetch(L->f, node, "ha", keys, 2, v))
		return;
	if (v[0])
		rbd_yduration(L->f, v[0], "ha", "lease", SEC, DAY, &L->cfg->ha_lease_ms);
	if (v[1] && rbd_ystr(L->f, v[1], "ha", "replica", &s)) {
		if (!*s || strlen(s) > 200)
			rbd_yerr(L->f, v[1], "ha: replica must be 1 to 200 characters");
		else {
			free(L->cfg->ha_replica);
			L->cfg->ha_replica = rbd_strdup(s);
		}
	}
}

static bool is_pg_url(const char *s)
{
	return strncmp(s, "postgres://", 11) == 0 || strncmp(s, "postgresql://", 13) == 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return rbd_strdup(".");
	if (slash == path)
		return rbd_strdup("/");
	return rbd_strndup(path, (size_t)(slash - path));
}

static void top_parse(struct loader *L, yaml_node_t *root)
{
	struct rbd_config *cfg = L->cfg;
	struct rbd_yfile *f = L->f;
	yaml_node_t *v[K_COUNT];
	const char *s, *why;

	if (!root) {
		rbd_yerr_at(f, 1, "the config file is empty");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		rbd_yerr(f, root, "the config must be a mapping of keys, got %s", rbd_ytype_name(root));
		return;
	}
	rbd_ymap_fetch(f, root, NULL, top_keys, K_COUNT, v);
	if (v[K_LISTEN] && rbd_ystr(f, v[K_LISTEN], NULL, "listen", &s)) {
		char *host = NULL;

		why = listen_parse(&host, &cfg->listen_port, s);
		if (why) {
			rbd_yerr(f, v[K_LISTEN], "listen: \"%s\": %s", s, why);
		} else {
			free(cfg->listen_host);
			cfg->listen_host = host;
		}
	}
	if (v[K_DATABASE] && rbd_ystr(f, v[K_DATABASE], NULL, "database", &s)) {
		free(cfg->database);
		/* SQLite's in-memory database is a name, not a path; a PostgreSQL URL is
		 * given to libpq as is. */
		cfg->database = (strcmp(s, ":memory:") == 0 || is_pg_url(s)) ? rbd_strdup(s)
			      : rbd_config_path(cfg, L->dir, s);
	}
	if (v[K_DATABASE_PASSWORD_FILE] &&
	    rbd_ystr(f, v[K_DATABASE_PASSWORD_FILE], NULL, "database_password_file", &s)) {
		free(cfg->database_password_file);
		cfg->database_password_file = rbd_path_join(L->dir, s);
	}
	if (v[K_HA])
		ha_parse(L, v[K_HA]);
	if (v[K_MODE] && rbd_ystr(f, v[K_MODE], NULL, "mode", &s)) {
		if (strcmp(s, "dry-run") == 0)
			cfg->mode = RBD_MODE_DRY_RUN;
		else if (strcmp(s, "enforce") == 0)
			cfg->mode = RBD_MODE_ENFORCE;
		else
			rbd_yerr(f, v[K_MODE], "mode: unknown mode \"%s\" (expected dry-run or enforce)", s);
	}
	if (v[K_LOG_LEVEL] && rbd_ystr(f, v[K_LOG_LEVEL], NULL, "log_level", &s)) {
		enum rbd_log_level lv;

		if (rbd_log_level_parse(&lv, s) == 0)
			cfg->log_level = (int)lv;
		else
			rbd_yerr(f, v[K_LOG_LEVEL], "log_level: unknown level \"%s\" (expected debug, "
				 "info, warn or error)", s);
	}
	if (v[K_AUTH])
		auth_parse(L, v[K_AUTH]);
	if (v[K_LIMITS])
		limits_parse(L, v[K_LIMITS]);
	if (v[K_ALERTMANAGER])
		alertmanager_parse(L, v[K_ALERTMANAGER]);
	if (v[K_NOTIFY])
		rbd_notify_parse(cfg, f, v[K_NOTIFY], L->dir);
	if (v[K_EXTERNAL_URL])
		external_url_parse(L, v[K_EXTERNAL_URL]);
	if (v[K_UI])
		ui_parse(L, v[K_UI]);
	if (v[K_ACTIONS])
		rbd_actions_load(cfg, f, v[K_ACTIONS], L->dir);
	if (v[K_RULES])
		rbd_rules_load(cfg, f, v[K_RULES], L->dir);
	for (size_t i = 0; i < cfg->n_actions; i++)
		if (cfg->actions[i].kind == RBD_ACTION_SILENCE && !cfg->am_url && cfg->actions[i].name)
			rbd_yerr_at(f, cfg->actions[i].line,
				    "action %s: a silence action needs alertmanager.url",
				    cfg->actions[i].name);
}

int rbd_config_load(struct rbd_config **out, const char *path, struct rbd_diag *diag)
{
	return rbd_config_load_opts(out, path, diag, NULL);
}

int rbd_config_load_opts(struct rbd_config **out, const char *path, struct rbd_diag *diag,
			 const struct rbd_load_opts *opts)
{
	struct rbd_diag local = { NULL, 0 };
	struct rbd_diag *d = diag ? diag : &local;
	struct rbd_yfile f;
	struct loader L;
	struct rbd_config *cfg;
	size_t before = d->n, nerr;
	int rc = 0;

	*out = NULL;
	cfg = rbd_calloc(1, sizeof(*cfg));
	cfg->path = rbd_strdup(path);
	cfg->load = opts;
	L.cfg = cfg;
	L.f = &f;
	L.dir = dir_of(path);
	cfg->listen_host = rbd_strdup("127.0.0.1");
	cfg->listen_port = 9095;
	cfg->database = rbd_path_join(L.dir, "var/runbookd.db");
	cfg->mode = RBD_MODE_DRY_RUN;
	limits_default(&cfg->limits);
	cfg->am_poll_ms = 30 * SEC;
	cfg->ui.refresh_ms = 30 * SEC;
	cfg->ui.session_idle_ms = 30 * MIN;
	cfg->ui.session_max_ms = 12 * 60 * MIN;
	cfg->log_level = RBD_LOG_INFO;
	cfg->ha_lease_ms = 30 * SEC;

	if (rbd_yfile_load(&f, path, d) == 0)
		top_parse(&L, rbd_yroot(&f));
	/* rbd_rules_load adds the errors of the rule files to the config file's count. */
	nerr = f.nerr;
	rbd_yfile_clear(&f);

	if (nerr > 0) {
		rc = rbd_err_set(RBD_EINVAL, "%s%s", d->n > before ? d->msgs[before] : "invalid config",
				 nerr > 1 ? " (and more errors)" : "");
		rbd_config_free(cfg);
	} else {
		cfg->load = NULL;
		*out = cfg;
	}
	free(L.dir);
	rbd_diag_clear(&local);
	return rc;
}
