/* test_config: loading runbookd.yaml, the action catalog and rule files, with
 * FILE:LINE diagnostics for every error case. */
#include "harness.h"

#include "runbookd/config.h"
#include "runbookd/err.h"
#include "runbookd/matcher.h"
#include "runbookd/template.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#define INGEST_SECRET "ingest-secret-7d1f"
#define VIEW_SECRET "view-secret-93ab"

static void env_setup(void)
{
	setenv("RBD_TEST_INGEST_TOKEN", INGEST_SECRET, 1);
	setenv("RBD_TEST_INGEST_TOKEN2", "another-secret-55", 1);
	setenv("RBD_TEST_VIEW_TOKEN", VIEW_SECRET, 1);
	setenv("RBD_TEST_EMPTY_TOKEN", "", 1);
}

/* A fixture path as a new string (rbd_test_fixture reuses one buffer). */
static char *fx(const char *rel)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "config/%s", rel);

	if (n < 0 || (size_t)n >= sizeof(buf))
		abort();
	return strdup(rbd_test_fixture(buf));
}

static void diag_dump(const struct rbd_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "    diag: %s\n", d->msgs[i]);
}

/* True when d holds exactly "<fixture rel>:<line>: <msg>". */
static bool diag_has(const struct rbd_diag *d, const char *rel, int line, const char *msg)
{
	char *path = fx(rel), want[8192];
	bool found = false;

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	for (size_t i = 0; i < d->n; i++)
		found = found || strcmp(d->msgs[i], want) == 0;
	if (!found) {
		fprintf(stderr, "    wanted: %s\n", want);
		diag_dump(d);
	}
	free(path);
	return found;
}

/* True when d holds a line starting with "<fixture rel>:<line>: <prefix>". */
static bool diag_has_prefix(const struct rbd_diag *d, const char *rel, int line, const char *prefix)
{
	char *path = fx(rel), want[8192];
	bool found = false;

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, prefix);
	for (size_t i = 0; i < d->n; i++)
		found = found || strncmp(d->msgs[i], want, strlen(want)) == 0;
	if (!found) {
		fprintf(stderr, "    wanted prefix: %s\n", want);
		diag_dump(d);
	}
	free(path);
	return found;
}

/* Loads fixture rel/runbookd.yaml expecting failure; d gets the diagnostics. */
static void load_fail(struct rbd_diag *d, const char *dir)
{
	char rel[512];
	char *path;
	struct rbd_config *cfg = (struct rbd_config *)1;

	env_setup();
	snprintf(rel, sizeof(rel), "%s/runbookd.yaml", dir);
	path = fx(rel);
	CHECK_INT(rbd_config_load(&cfg, path, d), RBD_EINVAL);
	CHECK(cfg == NULL);
	CHECK(d->n >= 1);
	free(path);
}

/* --- temporary config files ------------------------------------------------- */

static char tmpdir[256];

static const char *tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rbd-test-config-XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
	return tmpdir;
}

static char *tmp_write(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	return strdup(path);
}

static void tmp_cleanup(const char *const *names)
{
	char path[512];

	for (size_t i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* Loads text as a config file; returns the code, d the diagnostics. */
static int load_text(struct rbd_config **cfg, struct rbd_diag *d, const char *text)
{
	const char *names[] = { "runbookd.yaml", NULL };
	char *path;
	int rc;

	env_setup();
	tmp_setup();
	path = tmp_write("runbookd.yaml", text);
	rc = rbd_config_load(cfg, path, d);
	free(path);
	tmp_cleanup(names);
	return rc;
}

/* Loads text expecting exactly one error whose message (after "FILE:LINE: ") is msg. */
static bool text_error(const char *text, int line, const char *msg)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char want[4096];
	bool ok;

	CHECK_INT(load_text(&cfg, &d, text), RBD_EINVAL);
	snprintf(want, sizeof(want), "%s/runbookd.yaml:%d: ", tmpdir, line);
	/* "<tmp>" in msg stands for the temporary config file's path */
	for (const char *m = msg; *m; m++) {
		size_t n = strlen(want);

		if (strncmp(m, "<tmpdir>", 8) == 0) {
			snprintf(want + n, sizeof(want) - n, "%s", tmpdir);
			m += 7;
		} else if (strncmp(m, "<tmp>", 5) == 0) {
			snprintf(want + n, sizeof(want) - n, "%s/runbookd.yaml", tmpdir);
			m += 4;
		} else if (n + 1 < sizeof(want)) {
			want[n] = *m;
			want[n + 1] = '\0';
		}
	}
	ok = cfg == NULL && d.n == 1 && strcmp(d.msgs[0], want) == 0;
	if (!ok) {
		fprintf(stderr, "    wanted exactly: %s\n", want);
		diag_dump(&d);
	}
	rbd_config_free(cfg);
	rbd_diag_clear(&d);
	return ok;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* --- the valid config ------------------------------------------------------- */

static void test_config__valid_full(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char *path = fx("valid/runbookd.yaml"), *dir = fx("valid");
	char want[4096];
	const struct rbd_action_def *a;
	const struct rbd_rule *r;

	env_setup();
	if (rbd_config_load(&cfg, path, &d) != 0)
		diag_dump(&d);
	REQUIRE(cfg != NULL);
	CHECK_INT(d.n, 0);
	CHECK_STR(cfg->path, path);
	CHECK_STR(cfg->listen_host, "127.0.0.1");
	CHECK_INT(cfg->listen_port, 9095);
	snprintf(want, sizeof(want), "%s/var/runbookd.db", dir);
	CHECK_STR(cfg->database, want);
	snprintf(want, sizeof(want), "%s/rules/", dir);
	CHECK_STR(cfg->rules_path, want);
	CHECK_INT(cfg->mode, RBD_MODE_ENFORCE);

	REQUIRE(cfg->n_tokens == 3);
	CHECK_STR(cfg->tokens[0].name, "alertmanager");
	CHECK_INT(cfg->tokens[0].role, RBD_ROLE_INGEST);
	CHECK_STR(cfg->tokens[0].secret, INGEST_SECRET);
	CHECK_STR(cfg->tokens[1].name, "alice");
	CHECK_INT(cfg->tokens[1].role, RBD_ROLE_OPERATOR);
	CHECK_STR(cfg->tokens[1].secret, "alice-secret-0123");   /* newline trimmed */
	CHECK_STR(cfg->tokens[2].name, "grafana");
	CHECK_INT(cfg->tokens[2].role, RBD_ROLE_VIEWER);
	CHECK_STR(cfg->tokens[2].secret, VIEW_SECRET);

	CHECK_INT(cfg->limits.max_body_bytes, 1048576);
	CHECK_INT(cfg->limits.max_concurrent_actions, 4);
	CHECK_INT(cfg->limits.approval_ttl_ms, 30 * 60 * 1000);
	CHECK_INT(cfg->limits.action_output_bytes, 65536);
	CHECK_INT(cfg->limits.max_alerts, 500);
	CHECK_INT(cfg->limits.kill_grace_ms, 2000);
	CHECK_INT(cfg->limits.connection_timeout_s, 60);
	CHECK_INT(cfg->limits.max_labels, 256);          /* defaults */
	CHECK_INT(cfg->limits.max_connections, 256);
	CHECK_INT(cfg->limits.max_connections_per_ip, 64);

	REQUIRE(cfg->n_actions == 4);
	a = rbd_config_action(cfg, "compose_restart");
	REQUIRE(a != NULL);
	CHECK_INT(a->kind, RBD_ACTION_RUN);
	CHECK_INT(a->argc, 6);
	REQUIRE(a->program != NULL);
	CHECK(a->program[0] == '/');
	CHECK(ends_with(a->program, "/fixtures/config/bin/docker"));
	CHECK_STR(rbd_template_source(a->argv[5]), "{{ .Params.service }}");
	CHECK(!rbd_template_is_literal(a->argv[5]));
	CHECK_INT(a->timeout_ms, 120000);
	REQUIRE(a->n_params == 1);
	CHECK_STR(a->params[0].name, "service");
	REQUIRE(a->params[0].n_one_of == 4);
	CHECK_STR(a->params[0].one_of[3], "kafka");
	CHECK_STR(a->file, path);
	CHECK_INT(a->line, 20);

	a = rbd_config_action(cfg, "loadtest_stop");
	REQUIRE(a != NULL);
	REQUIRE(a->program != NULL);
	CHECK(a->program[0] == '/' && ends_with(a->program, "/true"));   /* resolved on PATH */
	CHECK_INT(a->n_params, 0);
	CHECK_INT(a->timeout_ms, 60000);

	a = rbd_config_action(cfg, "silence_alert");
	REQUIRE(a != NULL);
	CHECK_INT(a->kind, RBD_ACTION_SILENCE);
	REQUIRE(a->n_silence_labels == 2);
	CHECK_STR(a->silence_labels[0], "alertname");
	CHECK_STR(a->silence_labels[1], "service");
	CHECK_INT(a->silence_duration_ms, 3600000);
	CHECK_INT(a->timeout_ms, 60000);                  /* default */

	a = rbd_config_action(cfg, "flag_writes_off");
	REQUIRE(a != NULL);
	CHECK_INT(a->kind, RBD_ACTION_HTTP);
	CHECK_STR(a->method, "POST");
	CHECK_STR(a->url_base, "http://127.0.0.1:8080");
	REQUIRE(a->url_rest != NULL && a->body != NULL);
	CHECK_STR(rbd_template_source(a->url_rest), "/admin/flags/order-writes");
	CHECK(strstr(rbd_template_source(a->body), "{{ .IncidentID }}") != NULL);
	CHECK_INT(a->timeout_ms, 10000);
	CHECK(rbd_config_action(cfg, "nope") == NULL);

	CHECK_STR(cfg->am_url, "http://127.0.0.1:9093");
	CHECK_INT(cfg->am_poll_ms, 30000);
	CHECK(cfg->n_notify == 1);
	CHECK_STR(cfg->notify[0].url, "http://127.0.0.1:9096/hooks/oncall");
	CHECK(cfg->notify[0].format == RBD_NOTIFY_JSON && cfg->notify[0].events == RBD_NEV_DEFAULT);

	/* rules/10-latency.yaml then rules/20-errors.yml; .hidden.yaml and README.md skipped */
	REQUIRE(cfg->n_rules == 4);
	CHECK_STR(cfg->rules[0].name, "latency-stop-loadtest");
	CHECK_STR(cfg->rules[1].name, "latency-silence");
	CHECK_STR(cfg->rules[2].name, "errors-restart-app");
	CHECK_STR(cfg->rules[3].name, "errors-flag-off");

	r = &cfg->rules[0];
	CHECK_STR(r->description, "p95/p99 up, few errors: limit load first (runbook 2.2)");
	snprintf(want, sizeof(want), "%s/rules/10-latency.yaml", dir);
	CHECK_STR(r->file, want);
	CHECK_INT(r->line, 2);
	REQUIRE(r->n_matchers == 3);
	CHECK_STR(rbd_matcher_name(r->matchers[1]), "severity");
	CHECK_INT(rbd_matcher_op(r->matchers[1]), RBD_MATCH_RE);
	CHECK_STR(rbd_matcher_value(r->matchers[1]), "warning|critical");
	CHECK_INT(rbd_matcher_op(r->matchers[2]), RBD_MATCH_NE);
	CHECK_INT(r->on, RBD_ON_FIRING);
	CHECK(r->action == rbd_config_action(cfg, "loadtest_stop"));
	CHECK_INT(r->n_params, 0);
	CHECK(!r->approval);
	CHECK(!r->dry_run);
	CHECK_INT(r->approvals, 1);
	CHECK_INT(r->cooldown_ms, 600000);
	CHECK_INT(r->max_runs_per_hour, 3);
	CHECK_INT(r->max_failures_per_hour, 2);

	r = rbd_config_rule(cfg, "latency-silence");
	REQUIRE(r != NULL);
	CHECK_INT(r->cooldown_ms, 0);
	CHECK_INT(r->max_runs_per_hour, 0);
	CHECK(r->description == NULL);

	r = rbd_config_rule(cfg, "errors-restart-app");
	REQUIRE(r != NULL);
	CHECK(r->approval && r->dry_run);
	CHECK_INT(r->approvals, 2);
	REQUIRE(r->n_params == 1);
	CHECK_STR(r->param_names[0], "service");
	CHECK_STR(rbd_template_source(r->param_values[0]), "{{ .Labels.service }}");

	r = rbd_config_rule(cfg, "errors-flag-off");
	REQUIRE(r != NULL);
	CHECK_INT(r->on, RBD_ON_RESOLVED);
	CHECK_INT(r->n_matchers, 2);
	CHECK(rbd_config_rule(cfg, "nope") == NULL);

	rbd_config_free(cfg);
	rbd_diag_clear(&d);
	free(path);
	free(dir);
}

static void test_config__names(void)
{
	CHECK_STR(rbd_role_name(RBD_ROLE_INGEST), "ingest");
	CHECK_STR(rbd_role_name(RBD_ROLE_OPERATOR), "operator");
	CHECK_STR(rbd_role_name(RBD_ROLE_VIEWER), "viewer");
	CHECK_STR(rbd_role_name(RBD_ROLE_NONE), "none");
	CHECK_STR(rbd_action_kind_name(RBD_ACTION_RUN), "run");
	CHECK_STR(rbd_action_kind_name(RBD_ACTION_HTTP), "http");
	CHECK_STR(rbd_action_kind_name(RBD_ACTION_SILENCE), "silence");
}

static void test_config__defaults(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char want[512];

	CHECK_INT(load_text(&cfg, &d, "# nothing but defaults\nauth:\n  tokens: []\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK_STR(cfg->listen_host, "127.0.0.1");
	CHECK_INT(cfg->listen_port, 9095);
	snprintf(want, sizeof(want), "%s/var/runbookd.db", tmpdir);
	CHECK_STR(cfg->database, want);
	CHECK_INT(cfg->mode, RBD_MODE_DRY_RUN);
	CHECK(cfg->rules_path == NULL);
	CHECK_INT(cfg->n_rules, 0);
	CHECK_INT(cfg->n_actions, 0);
	CHECK_INT(cfg->n_tokens, 0);
	CHECK_INT(cfg->limits.max_body_bytes, 1024 * 1024);
	CHECK_INT(cfg->limits.max_concurrent_actions, 4);
	CHECK_INT(cfg->limits.approval_ttl_ms, 30 * 60 * 1000);
	CHECK_INT(cfg->limits.action_output_bytes, 64 * 1024);
	CHECK_INT(cfg->limits.max_alerts, 1000);
	CHECK_INT(cfg->limits.max_labels, 256);
	CHECK_INT(cfg->limits.max_connections, 256);
	CHECK_INT(cfg->limits.max_connections_per_ip, 64);
	CHECK_INT(cfg->limits.connection_timeout_s, 10);
	CHECK_INT(cfg->limits.kill_grace_ms, 5000);
	CHECK(cfg->am_url == NULL);
	CHECK(cfg->n_notify == 0);
	rbd_config_free(cfg);
	rbd_diag_clear(&d);

	/* absolute paths stay as written; :memory: is not a path */
	CHECK_INT(load_text(&cfg, &d, "database: /var/lib/runbookd/x.db\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK_STR(cfg->database, "/var/lib/runbookd/x.db");
	rbd_config_free(cfg);
	CHECK_INT(load_text(&cfg, &d, "database: \":memory:\"\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK_STR(cfg->database, ":memory:");
	rbd_config_free(cfg);
	rbd_diag_clear(&d);
}

static void test_config__listen(void)
{
	static const struct {
		const char *text;
		const char *host;
		int port;
	} good[] = {
		{ "listen: 127.0.0.1:9095\n", "127.0.0.1", 9095 },
		{ "listen: 127.0.0.1:0\n", "127.0.0.1", 0 },
		{ "listen: \"[::1]:0\"\n", "::1", 0 },
		{ "listen: \"[::]:65535\"\n", "::", 65535 },
		{ "listen: localhost:80\n", "localhost", 80 },
		{ "listen: 0.0.0.0:9095\n", "0.0.0.0", 9095 },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct rbd_config *cfg = NULL;
		struct rbd_diag d = { 0 };

		CHECK_INT(load_text(&cfg, &d, good[i].text), 0);
		if (!cfg) {
			diag_dump(&d);
			continue;
		}
		CHECK_STR(cfg->listen_host, good[i].host);
		CHECK_INT(cfg->listen_port, good[i].port);
		rbd_config_free(cfg);
		rbd_diag_clear(&d);
	}
	CHECK(text_error("listen: 9095\n", 1, "listen: \"9095\": expected host:port"));
	CHECK(text_error("listen: \":9095\"\n", 1, "listen: \":9095\": the host is missing "
			 "(use 0.0.0.0 or [::] to listen on every address)"));
	CHECK(text_error("listen: \"::1:9095\"\n", 1, "listen: \"::1:9095\": an IPv6 address "
			 "needs brackets: [::1]:9095"));
	CHECK(text_error("listen: host:65536\n", 1, "listen: \"host:65536\": port is over 65535"));
	CHECK(text_error("listen: host:http\n", 1, "listen: \"host:http\": bad port"));
	CHECK(text_error("listen: \"host:\"\n", 1, "listen: \"host:\": bad port"));
	CHECK(text_error("listen: \"[::1]9095\"\n", 1, "listen: \"[::1]9095\": expected [ipv6]:port"));
	CHECK(text_error("listen: [a, b]\n", 1, "listen: expected a string, got a list"));
}

/* external_url wins; without it only a listen address people can reach makes links. */
static void test_config__link_base(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char base[256];

	CHECK_INT(load_text(&cfg, &d, "external_url: https://runbookd.example.com/ops/\n"
			    "listen: 0.0.0.0:9095\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK_STR(cfg->external_url, "https://runbookd.example.com/ops");
	CHECK(rbd_config_link_base(cfg, 9095, base, sizeof(base)));
	CHECK_STR(base, "https://runbookd.example.com/ops");
	CHECK(!rbd_config_link_base(cfg, 9095, base, 8));
	rbd_config_free(cfg);

	CHECK_INT(load_text(&cfg, &d, "listen: 0.0.0.0:9095\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK(cfg->external_url == NULL);
	CHECK(!rbd_config_link_base(cfg, 9095, base, sizeof(base)));
	CHECK_STR(base, "");
	rbd_config_free(cfg);

	CHECK_INT(load_text(&cfg, &d, "listen: \"[::1]:0\"\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK(rbd_config_link_base(cfg, 4711, base, sizeof(base)));
	CHECK_STR(base, "http://[::1]:4711");
	rbd_config_free(cfg);
	rbd_diag_clear(&d);

	CHECK(text_error("external_url: ftp://x\n", 1, "external_url: url: \"ftp://x\" is not "
			 "an http:// or https:// URL with a host"));
	CHECK(text_error("external_url: \"http://x/?a=1\"\n", 1, "external_url: \"http://x/?a=1\" "
			 "must not have a query or fragment"));
}

/* ui: the console's refresh and session expiry, with defaults; 0s turns refresh off. */
static void test_config__ui(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };

	CHECK_INT(load_text(&cfg, &d, "listen: 127.0.0.1:0\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK_INT(cfg->ui.refresh_ms, 30000);
	CHECK_INT(cfg->ui.session_idle_ms, 30 * 60000);
	CHECK_INT(cfg->ui.session_max_ms, 12 * 3600000LL);
	rbd_config_free(cfg);
	CHECK_INT(load_text(&cfg, &d, "ui: { refresh: 0s, session_idle: 5m, session_max: 2h }\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK_INT(cfg->ui.refresh_ms, 0);
	CHECK_INT(cfg->ui.session_idle_ms, 5 * 60000);
	CHECK_INT(cfg->ui.session_max_ms, 2 * 3600000LL);
	rbd_config_free(cfg);
	rbd_diag_clear(&d);
	CHECK(text_error("ui: { refresh: 2h }\n", 1, "ui: refresh: duration 2h is out of range "
			 "[0ms, 1h 0m]"));
	CHECK(text_error("ui: { session_idle: 10s }\n", 1, "ui: session_idle: duration 10s is out of "
			 "range [1m 0s, 1d 0h]"));
	CHECK(text_error("ui: { colour: red }\n", 1, "ui: unknown key \"colour\" (expected one of: "
			 "refresh, session_idle, session_max)"));
}

/* --- one fixture per error case ---------------------------------------------- */

static void test_config__unknown_key(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/unknown_key");
	CHECK(diag_has(&d, "errors/unknown_key/runbookd.yaml", 2,
		       "unknown key \"databse\" (expected one of: listen, database, mode, rules, "
		       "auth, limits, actions, alertmanager, notify, external_url, ui, log_level, ha, "
		       "database_password_file)"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__bad_duration(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/bad_duration");
	CHECK(diag_has(&d, "errors/bad_duration/runbookd.yaml", 4,
		       "limits: approval_ttl: bad duration \"30x\" (Prometheus syntax: 90s, 5m, 1h30m)"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__bad_regex(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/bad_regex");
	CHECK(diag_has_prefix(&d, "errors/bad_regex/rules.yaml", 5,
			      "rule r1: matchers[1]: matcher `severity =~ \"(warning\"`: bad regex: "));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__unknown_action(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/unknown_action");
	CHECK(diag_has(&d, "errors/unknown_action/rules.yaml", 7,
		       "rule r2: action: unknown action \"reboot_everything\" (not in actions:)"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__undeclared_param(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/undeclared_param");
	CHECK(diag_has(&d, "errors/undeclared_param/rules.yaml", 7,
		       "rule r1: params: action restart does not declare param \"host\""));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__missing_param(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/missing_param");
	CHECK(diag_has(&d, "errors/missing_param/rules.yaml", 5,
		       "rule r1: params: action restart needs param \"service\""));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__duplicate_rule_in_two_files(void)
{
	struct rbd_diag d = { 0 };
	char *first = fx("errors/duplicate_rule/rules.d/a.yaml"), msg[4096];

	load_fail(&d, "errors/duplicate_rule");
	snprintf(msg, sizeof(msg), "rule \"stop-it\" is already defined at %s:2", first);
	CHECK(diag_has(&d, "errors/duplicate_rule/rules.d/b.yml", 5, msg));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
	free(first);
}

static void test_config__duplicate_key(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/duplicate_key");
	CHECK(diag_has(&d, "errors/duplicate_key/runbookd.yaml", 3,
		       "duplicate key \"listen\" (first at line 1)"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__empty_token_env(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/empty_token_env");
	CHECK(diag_has(&d, "errors/empty_token_env/runbookd.yaml", 5,
		       "token am: environment variable RBD_TEST_EMPTY_TOKEN is unset or empty; "
		       "refusing to start"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);

	unsetenv("RBD_TEST_UNSET_TOKEN_VAR");
	CHECK(text_error("auth:\n  tokens:\n    - { name: am, role: ingest, token_env: "
			 "RBD_TEST_UNSET_TOKEN_VAR }\n", 3,
			 "token am: environment variable RBD_TEST_UNSET_TOKEN_VAR is unset or empty; "
			 "refusing to start"));
}

static void test_config__token_file_missing(void)
{
	struct rbd_diag d = { 0 };
	char *dir = fx("errors/token_file_missing"), msg[4096];

	load_fail(&d, "errors/token_file_missing");
	snprintf(msg, sizeof(msg), "token bob: cannot open token_file %s/tokens/no-such.token: "
		 "No such file or directory; refusing to start", dir);
	CHECK(diag_has(&d, "errors/token_file_missing/runbookd.yaml", 8, msg));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
	free(dir);
}

static void test_config__run_template_labels(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/run_labels");
	CHECK(diag_has(&d, "errors/run_labels/runbookd.yaml", 6,
		       "action restart: run[2]: .Labels.service cannot be used in a run argv: values "
		       "from the alert must come through a declared param with a one_of or pattern "
		       "allowlist (use {{ .Params.x }})"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__http_host_template(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/http_host_template");
	CHECK(diag_has(&d, "errors/http_host_template/runbookd.yaml", 5,
		       "action call: http: url: the scheme, host and port must be literal; templates "
		       "may appear only in the path, query and body"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__bad_role(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/bad_role");
	CHECK(diag_has(&d, "errors/bad_role/runbookd.yaml", 4,
		       "token root: role: unknown role \"admin\" (expected ingest, operator or viewer)"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__bad_mode(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/bad_mode");
	CHECK(diag_has(&d, "errors/bad_mode/runbookd.yaml", 2,
		       "mode: unknown mode \"yolo\" (expected dry-run or enforce)"));
	CHECK_INT(d.n, 1);
	rbd_diag_clear(&d);
}

static void test_config__two_errors_in_one_file(void)
{
	struct rbd_diag d = { 0 };

	load_fail(&d, "errors/two_errors");
	CHECK(diag_has(&d, "errors/two_errors/runbookd.yaml", 4,
		       "limits: max_concurrent_actions: 0 is out of range [1, 1024]"));
	CHECK(diag_has(&d, "errors/two_errors/runbookd.yaml", 9,
		       "action stop: timeout: bad duration \"soon\" (Prometheus syntax: 90s, 5m, 1h30m)"));
	CHECK_INT(d.n, 2);
	/* the error message of the load is the first diagnostic */
	CHECK(strstr(rbd_err_msg(), "max_concurrent_actions") != NULL);
	rbd_diag_clear(&d);
}

/* --- more error cases, from text ---------------------------------------------- */

static void test_config__token_errors(void)
{
	CHECK(text_error("auth:\n  tokens:\n    - name: a\n      role: ingest\n", 3,
			 "token a: needs exactly one of token_env or token_file"));
	CHECK(text_error("auth:\n  tokens:\n    - name: a\n      role: ingest\n"
			 "      token_env: RBD_TEST_INGEST_TOKEN\n      token_file: x\n", 3,
			 "token a: needs exactly one of token_env or token_file"));
	CHECK(text_error("auth:\n  tokens:\n"
			 "    - { name: a, role: ingest, token_env: RBD_TEST_INGEST_TOKEN }\n"
			 "    - { name: a, role: viewer, token_env: RBD_TEST_VIEW_TOKEN }\n", 4,
			 "token a: duplicate token name"));
	CHECK(text_error("auth:\n  tokens:\n    - { role: ingest, token_env: RBD_TEST_INGEST_TOKEN }\n",
			 3, "auth.tokens[0]: missing required key \"name\""));
	CHECK(text_error("auth:\n  tokens:\n    - { name: \"a b\", role: ingest, token_env: RBD_TEST_INGEST_TOKEN }\n", 3,
			 "auth.tokens[0]: name: \"a b\" must be 1-64 of A-Z a-z 0-9 _ - . @"));
	CHECK(text_error("auth:\n  tokens:\n    - { name: a, role: ingest, token_env: RBD_TEST_INGEST_TOKEN,"
			 " secret: x }\n", 3, "token a: unknown key \"secret\" (expected one of: name, role, "
			 "token_env, token_file)"));
}

/* A token value never appears in a diagnostic, even when the token is the problem. */
static void test_config__token_value_never_in_diagnostics(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };

	setenv("RBD_TEST_SPACE_TOKEN", "canary-Zq8 with-space", 1);
	CHECK_INT(load_text(&cfg, &d, "auth:\n  tokens:\n"
			    "    - { name: a, role: ingest, token_env: RBD_TEST_INGEST_TOKEN }\n"
			    "    - { name: b, role: viewer, token_env: RBD_TEST_INGEST_TOKEN }\n"
			    "    - { name: c, role: viewer, token_env: RBD_TEST_SPACE_TOKEN }\n"),
		  RBD_EINVAL);
	CHECK(cfg == NULL);
	CHECK_INT(d.n, 2);
	for (size_t i = 0; i < d.n; i++) {
		CHECK(strstr(d.msgs[i], INGEST_SECRET) == NULL);
		CHECK(strstr(d.msgs[i], "canary-Zq8") == NULL);
	}
	CHECK(strstr(rbd_err_msg(), "canary-Zq8") == NULL);
	if (d.n == 2) {
		CHECK(strstr(d.msgs[0], ":4: token b: has the same value as token a") != NULL);
		CHECK(strstr(d.msgs[1], ":5: token c: the token contains spaces or control characters") != NULL);
	}
	rbd_diag_clear(&d);
}

static void test_config__token_file(void)
{
	const char *names[] = { "runbookd.yaml", "t1", "t2", "t3", NULL };
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char *path, *t;

	env_setup();
	tmp_setup();
	free(tmp_write("t1", "one\r\n"));
	free(tmp_write("t2", "two\n\n"));
	t = tmp_write("t3", "\n");
	chmod(t, 0600);
	free(t);
	path = tmp_write("runbookd.yaml", "auth:\n  tokens:\n"
			 "    - { name: a, role: ingest, token_file: t1 }\n"
			 "    - { name: b, role: viewer, token_file: t2 }\n");
	CHECK_INT(rbd_config_load(&cfg, path, &d), RBD_EINVAL);
	/* one trailing newline is trimmed: "two\n" keeps a newline and is refused */
	CHECK_INT(d.n, 1);
	CHECK(d.n == 1 && strstr(d.msgs[0], ":4: token b: the token contains spaces or control characters"));
	rbd_diag_clear(&d);
	free(path);
	path = tmp_write("runbookd.yaml", "auth:\n  tokens:\n"
			 "    - { name: a, role: ingest, token_file: t1 }\n"
			 "    - { name: b, role: viewer, token_file: t3 }\n");
	CHECK_INT(rbd_config_load(&cfg, path, &d), RBD_EINVAL);
	CHECK(d.n == 1 && strstr(d.msgs[0], ":4: token b: token_file ") &&
	      strstr(d.msgs[0], "/t3 is empty; refusing to start"));
	rbd_diag_clear(&d);
	free(path);
	path = tmp_write("runbookd.yaml", "auth:\n  tokens:\n"
			 "    - { name: a, role: ingest, token_file: t1 }\n");
	CHECK_INT(rbd_config_load(&cfg, path, &d), 0);
	REQUIRE(cfg != NULL);
	CHECK_STR(cfg->tokens[0].secret, "one");
	rbd_config_free(cfg);
	free(path);
	tmp_cleanup(names);
}

static const char actions_head[] =
	"alertmanager: { url: \"http://127.0.0.1:9093\" }\n"     /* 1 */
	"actions:\n"                                            /* 2 */
	"  restart:\n"                                          /* 3 */
	"    run: [\"true\", restart, \"{{ .Params.service }}\"]\n" /* 4 */
	"    params:\n"                                         /* 5 */
	"      service: { one_of: [app, db] }\n";               /* 6 */

static bool action_error(const char *extra, int line, const char *msg)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", actions_head, extra);
	return text_error(text, line, msg);
}

static void test_config__action_errors(void)
{
	CHECK(action_error("  x:\n    params:\n      p: {}\n    run: [\"true\", \"{{ .Params.p }}\"]\n", 9,
			   "action x: params: p: needs exactly one of one_of or pattern (a param "
			   "without an allowlist is refused)"));
	CHECK(action_error("  x:\n    params:\n      p: { one_of: [a], pattern: \"a\" }\n"
			   "    run: [\"true\", \"{{ .Params.p }}\"]\n", 9,
			   "action x: params: p: needs exactly one of one_of or pattern (a param "
			   "without an allowlist is refused)"));
	CHECK(action_error("  x:\n    params:\n      p: { pattern: \"(a\" }\n"
			   "    run: [\"true\", \"{{ .Params.p }}\"]\n", 9,
			   "action x: params: p: pattern: bad regex: missing closing parenthesis at offset 2"));
	CHECK(action_error("  x:\n    run: [\"true\", \"{{ .Params.nope }}\"]\n", 8,
			   "action x: run[1]: .Params.nope is not declared under params: (each param "
			   "needs a one_of or pattern allowlist)"));
	CHECK(action_error("  x:\n    run: [\"{{ .Rule }}\", a]\n", 8,
			   "action x: run[0]: the program must be written literally, without templates"));
	CHECK(action_error("  x:\n    run: [\"true\", \"{{ .Annotations.summary }}\"]\n", 8,
			   "action x: run[1]: .Annotations.summary cannot be used in a run argv: values "
			   "from the alert must come through a declared param with a one_of or pattern "
			   "allowlist (use {{ .Params.x }})"));
	CHECK(action_error("  x:\n    run: [\"true\", \"{{ .Fingerprint }}\"]\n", 8,
			   "action x: run[1]: .Fingerprint cannot be used in a run argv: values "
			   "from the alert must come through a declared param with a one_of or pattern "
			   "allowlist (use {{ .Params.x }})"));
	CHECK(action_error("  x:\n    run: []\n", 8, "action x: run: the argv list is empty"));
	CHECK(action_error("  x:\n    run: [\"true\"]\n    http: { method: GET, url: \"http://h/\" }\n",
			   8, "action x: needs exactly one of run, http or silence (an action does one thing)"));
	CHECK(action_error("  x:\n    timeout: 5s\n", 8, "action x: needs exactly one of run, http or silence"));
	CHECK(action_error("  x:\n    run: [\"true\"]\n    timeout: 0s\n", 9,
			   "action x: timeout: duration 0s is out of range [1ms, 1d 0h]"));
	/* A missing program refuses the config in enforce mode (dry-run only warns). */
	{
		char text[4096];

		snprintf(text, sizeof(text), "mode: enforce\n%s%s", actions_head,
			 "  x:\n    run: [rbd-no-such-program-xyz]\n");
		CHECK(text_error(text, 9, "action x: run[0]: program \"rbd-no-such-program-xyz\" "
				 "not found (rbd-no-such-program-xyz: no executable regular file of "
				 "that name in PATH)"));
	}
	CHECK(action_error("  x:\n    run: [\"true\"]\n    retries: 3\n", 9,
			   "action x: unknown key \"retries\" (expected one of: run, http, silence, "
			   "params, timeout, allow_interpreter, cancel_on_resolve)"));
	CHECK(action_error("  x:\n    http: { method: TRACE, url: \"http://h/\" }\n", 8,
			   "action x: http: method: \"TRACE\" is not one of GET, POST, PUT, PATCH, DELETE"));
	CHECK(action_error("  x:\n    http: { method: GET, url: \"file:///etc/passwd\" }\n", 8,
			   "action x: http: url: \"file://\": URL scheme must be http:// or https://"));
	CHECK(action_error("  x:\n    http:\n      method: POST\n      url: \"http://h:8080/a\"\n"
			   "      body: '{\"a\": \"{{ .Labels.x }}\"}'\n", 11,
			   "action x: http: body: .Labels.x cannot be used in an http action: values "
			   "from the alert must come through a declared param with a one_of or pattern "
			   "allowlist (use {{ .Params.x }})"));
	CHECK(action_error("  x:\n    http: { method: GET }\n", 8,
			   "action x: http: missing required key \"url\""));
	CHECK(action_error("  x:\n    silence: { labels: [], duration: 1h }\n", 8,
			   "action x: silence: labels: the list is empty (a silence on no labels would "
			   "silence everything)"));
	CHECK(action_error("  x:\n    silence: { labels: [a, a], duration: 1h }\n", 8,
			   "action x: silence: labels: \"a\" is listed twice"));
	CHECK(action_error("  x:\n    silence: { labels: [a], duration: forever }\n", 8,
			   "action x: silence: duration: bad duration \"forever\" (Prometheus syntax: "
			   "90s, 5m, 1h30m)"));
	CHECK(action_error("  \"bad name\":\n    run: [\"true\"]\n", 7,
			   "actions: \"bad name\" is not an action name (A-Z a-z 0-9 _ - .)"));
	CHECK(text_error("actions:\n  s:\n    silence: { labels: [a], duration: 1h }\n", 2,
			 "action s: a silence action needs alertmanager.url"));
	CHECK(text_error("alertmanager: { url: \"ftp://x\" }\n", 1,
			 "alertmanager: url: \"ftp://x\" is not an http:// or https:// URL with a host"));
	CHECK(text_error("notify: {}\n", 1, "notify: missing required key \"url\""));
}

/* notify: a list of targets; header values from env; every mistake named with its line. */
static void test_config__notify_targets(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };

	setenv("RBD_TEST_HOOK_KEY", "s3cret-value", 1);
	CHECK_INT(load_text(&cfg, &d,
			    "notify:\n"
			    "  - url: http://127.0.0.1:9096/slack\n"
			    "    format: slack\n"
			    "    headers: { X-Key: { env: RBD_TEST_HOOK_KEY } }\n"
			    "    events: [pending_approval, breaker_tripped]\n"
			    "  - url: http://127.0.0.1:9096/json\n"), 0);
	if (cfg) {
		CHECK(cfg->n_notify == 2);
		CHECK(cfg->notify[0].format == RBD_NOTIFY_SLACK);
		CHECK(cfg->notify[0].events == (RBD_NEV_PENDING_APPROVAL | RBD_NEV_BREAKER_TRIPPED));
		CHECK(cfg->notify[0].headers.n == 1);
		CHECK_STR(cfg->notify[0].headers.v[0].name, "X-Key");
		CHECK_STR(cfg->notify[0].headers.v[0].value, "s3cret-value");
		CHECK(cfg->notify[1].format == RBD_NOTIFY_JSON);
		CHECK(cfg->notify[1].events == RBD_NEV_DEFAULT);
	}
	rbd_config_free(cfg);
	rbd_diag_clear(&d);
	CHECK(text_error("notify:\n  - url: http://h/x\n    format: teams\n", 3,
			 "notify[0]: format: unknown format \"teams\" (expected json or slack)"));
	CHECK(text_error("notify:\n  - url: http://h/x\n    events: [everything]\n", 3,
			 "notify[0]: events: unknown event \"everything\" (expected one of "
			 "pending_approval, approved, rejected, expired, succeeded, failed, timed_out, "
			 "cancelled, interrupted, skipped, dry_run, breaker_tripped, incident_resolved)"));
	CHECK(text_error("notify:\n  - url: http://h/x\n    headers: { X-Key: abc }\n", 3,
			 "notify[0]: headers.X-Key: expected {env: VAR} or {file: PATH} (a header "
			 "value is never written in the config)"));
	CHECK(text_error("notify:\n  - url: http://h/x\n    headers: { Host: { env: HOME } }\n", 3,
			 "notify[0]: headers: Host is set by runbookd itself"));
	CHECK(text_error("notify:\n  - url: http://h/x\n    headers: { X-K: { env: RBD_NOPE_UNSET } }\n",
			 3, "notify[0]: headers.X-K: environment variable RBD_NOPE_UNSET is unset or empty"));
	CHECK(text_error("notify:\n  - url: http://h/x\n    headers: { X-K: { file: nope.key } }\n", 3,
			 "notify[0]: headers.X-K: file <tmpdir>/nope.key cannot open: No such file or directory"));
	setenv("RBD_TEST_HOOK_BAD", "a\r\nX-Evil: 1", 1);
	CHECK(text_error("actions:\n  a:\n    http:\n      method: POST\n      url: http://h/x\n"
			 "      headers: { Authorization: { env: RBD_TEST_HOOK_BAD } }\n", 6,
			 "action a: http: headers.Authorization: the value contains control characters"));
}

static const char rules_head[] =
	"actions:\n"                                            /* 1 */
	"  restart:\n"                                          /* 2 */
	"    run: [\"true\", restart, \"{{ .Params.service }}\"]\n" /* 3 */
	"    params:\n"                                         /* 4 */
	"      service: { one_of: [app, db] }\n"                /* 5 */
	"rules:\n";                                             /* 6 */

static bool rule_error(const char *extra, int line, const char *msg)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", rules_head, extra);
	return text_error(text, line, msg);
}

static void test_config__rule_errors(void)
{
	const char *p = "    params: { service: \"{{ .Labels.service }}\" }\n";
	char buf[2048];

	/* inline rules (a list under rules:) load like a rule file */
	snprintf(buf, sizeof(buf), "  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n%s"
		 "    approvals: 2\n", p);
	CHECK(rule_error(buf, 11, "rule r: approvals: a quorum of 2 needs approval: true"));
	snprintf(buf, sizeof(buf), "  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n%s"
		 "    cooldwn: 5m\n", p);
	CHECK(rule_error(buf, 11, "rule r: unknown key \"cooldwn\" (expected one of: name, description, "
			 "matchers, on, action, params, approval, dry_run, approvals, cooldown, "
			 "max_runs_per_hour, max_failures_per_hour, after, scope)"));
	snprintf(buf, sizeof(buf), "  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n%s"
		 "    on: pending\n", p);
	CHECK(rule_error(buf, 11, "rule r: on: \"pending\" is not firing or resolved"));
	snprintf(buf, sizeof(buf), "  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n%s"
		 "    approval: \"yes\"\n", p);
	CHECK(rule_error(buf, 11, "rule r: approval: expected true or false, got a quoted string"));
	snprintf(buf, sizeof(buf), "  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n%s"
		 "    max_runs_per_hour: -1\n", p);
	CHECK(rule_error(buf, 11, "rule r: max_runs_per_hour: -1 is out of range [0, 1000000]"));
	snprintf(buf, sizeof(buf), "  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n%s"
		 "    max_failures_per_hour: 2.5\n", p);
	CHECK(rule_error(buf, 11, "rule r: max_failures_per_hour: expected an integer, got \"2.5\""));
	CHECK(rule_error("  - name: r\n    matchers: []\n    action: restart\n"
			 "    params: { service: \"{{ .Labels.service }}\" }\n", 8,
			 "rule r: matchers: at least one matcher is required (a rule without matchers "
			 "would match every alert)"));
	CHECK(rule_error("  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n"
			 "    params: { service: \"{{ .Params.service }}\" }\n", 10,
			 "rule r: params: service: .Params.service cannot be used in a rule param "
			 "(params are rendered from the alert, not from other params)"));
	CHECK(rule_error("  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n"
			 "    params: { service: \"{{ .Labels.service \" }\n", 10,
			 "rule r: params: service: unbalanced `{{` at offset 0: no closing `}}`"));
	CHECK(rule_error("  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n", 7,
			 "rule r: params: action restart needs param \"service\""));
	CHECK(rule_error("  - matchers: ['a=\"b\"']\n    action: restart\n"
			 "    params: { service: app }\n", 7, "rules[0]: missing required key \"name\""));
	CHECK(rule_error("  - name: \"a/b\"\n    matchers: ['a=\"b\"']\n    action: restart\n"
			 "    params: { service: app }\n", 7,
			 "rules[0]: name: \"a/b\" must be 1-128 of A-Z a-z 0-9 _ - ."));
	CHECK(rule_error("  - name: r\n    matchers: ['a=\"b\"']\n    action: restart\n"
			 "    params: { service: app }\n  - name: r\n    matchers: ['a=\"b\"']\n"
			 "    action: restart\n    params: { service: app }\n", 11,
			 "rule \"r\" is already defined at <tmp>:7"));
}

static void test_config__yaml_problems(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char *missing = fx("errors/no-such-dir/runbookd.yaml");

	CHECK(text_error("listen: 127.0.0.1:9095\nmode: [dry-run\n", 3,
			 "YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence"));
	CHECK(text_error("mode: dry-run\n---\nmode: enforce\n", 3, "only one YAML document per file"));
	CHECK(text_error("", 1, "the config file is empty"));
	CHECK(text_error("- a\n- b\n", 1, "the config must be a mapping of keys, got a list"));
	CHECK(text_error("mode: \"dry-run\\0x\"\n", 1, "mode: contains a NUL byte"));
	CHECK(text_error("limits: 5\n", 1, "limits: expected a mapping, got a scalar"));
	CHECK(text_error("limits:\n  max_alerts: '5'\n", 2,
			 "limits: max_alerts: expected an integer, got a quoted string"));
	CHECK(text_error("limits:\n  max_alerts: 99999999999999999999\n", 2,
			 "limits: max_alerts: 99999999999999999999 is out of range [1, 1000000]"));
	CHECK(text_error("? [a]\n: b\n", 1, "keys must be strings, not a list"));

	CHECK_INT(rbd_config_load(&cfg, missing, &d), RBD_EINVAL);
	CHECK(cfg == NULL);
	CHECK(d.n == 1 && strstr(d.msgs[0], "no-such-dir/runbookd.yaml: cannot open: No such file "
				 "or directory"));
	rbd_diag_clear(&d);
	/* diag may be NULL: the message still says what went wrong */
	CHECK_INT(rbd_config_load(&cfg, missing, NULL), RBD_EINVAL);
	CHECK(strstr(rbd_err_msg(), "cannot open") != NULL);
	free(missing);
}

/* Anchors work; aliases that expand without end are capped, not followed. */
static void test_config__aliases(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };

	CHECK_INT(load_text(&cfg, &d,
			    "actions:\n  stop: { run: [\"true\", stop] }\n"
			    "rules:\n"
			    "  - name: a\n    matchers: &m ['alertname=\"X\"', 'env!=\"prod\"']\n    action: stop\n"
			    "  - name: b\n    matchers: *m\n    action: stop\n"), 0);
	REQUIRE(cfg != NULL);
	CHECK_INT(cfg->n_rules, 2);
	CHECK_INT(cfg->rules[1].n_matchers, 2);
	rbd_config_free(cfg);
	rbd_diag_clear(&d);

	/* 1500 rules sharing one anchored list of 1000 matchers: 1.5M visits, past the cap */
	{
		size_t cap = 1000 * 16 + 1500 * 64 + 256, off = 0;
		char *text = malloc(cap);

		REQUIRE(text != NULL);
		off += (size_t)snprintf(text + off, cap - off, "actions:\n  stop: { run: [\"true\", stop] }\n"
					"rules:\n  - name: r0\n    action: stop\n    matchers: &m [");
		for (int i = 0; i < 1000; i++)
			off += (size_t)snprintf(text + off, cap - off, "%s'a=\"b\"'", i ? ", " : "");
		off += (size_t)snprintf(text + off, cap - off, "]\n");
		for (int i = 1; i < 1500; i++)
			off += (size_t)snprintf(text + off, cap - off,
						"  - { name: r%d, action: stop, matchers: *m }\n", i);
		CHECK_INT(load_text(&cfg, &d, text), RBD_EINVAL);
		CHECK(cfg == NULL);
		CHECK(d.n == 1 && strstr(d.msgs[0], "document too large: aliases expand past 1000000 nodes"));
		if (d.n != 1)
			diag_dump(&d);
		free(text);
	}
	rbd_diag_clear(&d);
}

static void test_config__rules_single_file(void)
{
	const char *names[] = { "runbookd.yaml", "r.yaml", NULL };
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char *path, *rules;

	env_setup();
	tmp_setup();
	rules = tmp_write("r.yaml", "rules:\n  - name: only\n    matchers: ['a=\"b\"']\n    action: stop\n");
	path = tmp_write("runbookd.yaml", "actions:\n  stop: { run: [\"true\"] }\nrules: r.yaml\n");
	CHECK_INT(rbd_config_load(&cfg, path, &d), 0);
	REQUIRE(cfg != NULL);
	CHECK_STR(cfg->rules_path, rules);
	CHECK_INT(cfg->n_rules, 1);
	CHECK_STR(cfg->rules[0].file, rules);
	rbd_config_free(cfg);
	free(path);
	free(rules);

	/* a missing rules path names where it was configured */
	path = tmp_write("runbookd.yaml", "actions:\n  stop: { run: [\"true\"] }\nrules: nope/\n");
	CHECK_INT(rbd_config_load(&cfg, path, &d), RBD_EINVAL);
	CHECK(d.n == 1 && strstr(d.msgs[0], "runbookd.yaml:3: rules: cannot open ") &&
	      strstr(d.msgs[0], "/nope/: No such file or directory"));
	rbd_diag_clear(&d);
	/* an empty rules file is an error, with its own name */
	free(tmp_write("r.yaml", ""));
	free(path);
	path = tmp_write("runbookd.yaml", "actions:\n  stop: { run: [\"true\"] }\nrules: r.yaml\n");
	CHECK_INT(rbd_config_load(&cfg, path, &d), RBD_EINVAL);
	CHECK(d.n == 1 && strstr(d.msgs[0], "/r.yaml:1: the rules file is empty (expected a "
				 "top-level rules: list)"));
	rbd_diag_clear(&d);
	free(path);
	tmp_cleanup(names);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_config__valid_full),
	RBD_TEST(test_config__names),
	RBD_TEST(test_config__defaults),
	RBD_TEST(test_config__listen),
	RBD_TEST(test_config__link_base),
	RBD_TEST(test_config__ui),
	RBD_TEST(test_config__unknown_key),
	RBD_TEST(test_config__bad_duration),
	RBD_TEST(test_config__bad_regex),
	RBD_TEST(test_config__unknown_action),
	RBD_TEST(test_config__undeclared_param),
	RBD_TEST(test_config__missing_param),
	RBD_TEST(test_config__duplicate_rule_in_two_files),
	RBD_TEST(test_config__duplicate_key),
	RBD_TEST(test_config__empty_token_env),
	RBD_TEST(test_config__token_file_missing),
	RBD_TEST(test_config__run_template_labels),
	RBD_TEST(test_config__http_host_template),
	RBD_TEST(test_config__bad_role),
	RBD_TEST(test_config__bad_mode),
	RBD_TEST(test_config__two_errors_in_one_file),
	RBD_TEST(test_config__token_errors),
	RBD_TEST(test_config__token_value_never_in_diagnostics),
	RBD_TEST(test_config__token_file),
	RBD_TEST(test_config__action_errors),
	RBD_TEST(test_config__notify_targets),
	RBD_TEST(test_config__rule_errors),
	RBD_TEST(test_config__yaml_problems),
	RBD_TEST(test_config__aliases),
	RBD_TEST(test_config__rules_single_file),
};

RBD_TEST_MAIN(cases)
