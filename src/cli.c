/*
 * cli: subcommands as a table, and the serve loop (signals handled by one thread
 * with sigwait, never in async handlers). Must never print a token.
 */
#include "runbookd/cli.h"
#include "runbookd/cli_remote.h"
#include "runbookd/actions.h"
#include "runbookd/app.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/executor.h"
#include "runbookd/export.h"
#include "runbookd/gates.h"
#include "runbookd/httpc.h"
#include "runbookd/ingest.h"
#include "runbookd/log.h"
#include "runbookd/notify.h"
#include "runbookd/payload.h"
#include "runbookd/plan.h"
#include "runbookd/reconcile.h"
#include "runbookd/routes.h"
#include "runbookd/server.h"
#include "runbookd/simulate.h"
#include "runbookd/store.h"
#include "runbookd/timeutil.h"

#include <cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct opts {
	const char *config;
	const char *incident;
	const char *format;
	const char *lang;
	const char *log_level;
	const char *output;
	const char *root;
	const char *positional;
	bool syntax_only;
	bool explain;
};

struct command {
	const char *name;
	const char *usage;
	int (*fn)(const struct opts *o);
	const char *help;             /* `runbookd CMD --help`: details after the usage */
};

static int cmd_serve(const struct opts *o);
static int cmd_check(const struct opts *o);
static int cmd_simulate(const struct opts *o);
static int cmd_migrate(const struct opts *o);
static int cmd_export(const struct opts *o);
static int cmd_version(const struct opts *o);
static int cmd_remote(const struct opts *o);   /* cli_remote.c parses its own arguments */

static const struct command commands[] = {
	{ "serve",    "serve    [-c FILE]                 run the service (applies migrations first)", cmd_serve,
	  "Applies migrations, then serves the HTTP API on `listen`. SIGHUP reloads config and\n"
	  "rules (a bad reload keeps the old ones), SIGTERM stops after running actions end.\n"
	  "RUNBOOKD_PORT_FILE names a file that gets the bound port.\n" },
	{ "check",    "check    [-c FILE] [--syntax-only] [--root DIR]\n"
	              "                                    validate config + rules; errors as FILE:LINE: message", cmd_check,
	  "Exit 0 when serve would accept the config (warnings, as FILE:LINE: warning: ...,\n"
	  "keep exit 0), 1 on any error.\n"
	  "  --syntax-only  skip what only the deployment's machine has: token sources\n"
	  "                 (token_env, token_file) and the PATH lookup of run programs;\n"
	  "                 everything else is validated (for CI on a fresh clone)\n"
	  "  --root DIR     absolute paths in the config (rules, token files, database)\n"
	  "                 resolve under DIR (check a container's config from a checkout)\n" },
	{ "simulate", "simulate [-c FILE] [--explain] [-o table|json] PAYLOAD.json|-\n"
	              "                                    which rules match, the exact argv, which gate stops it", cmd_simulate,
	  "Reads an Alertmanager webhook payload (version 4) from PAYLOAD.json, or stdin with -.\n"
	  "Nothing is run or stored; cooldowns, rate limits, breakers and after: depend on the\n"
	  "database's history and are not known here.\n"
	  "  -o table|json  a readable table (default) or the JSON report\n"
	  "  --explain      for each rule that did not match: which matcher failed on which\n"
	  "                 label value, or why its on: does not fit\n" },
	{ "migrate",  "migrate  [-c FILE]                 apply migrations to the database", cmd_migrate,
	  "Applies the migrations the binary carries that the database lacks; each in its own\n"
	  "transaction, recorded. Safe to run again.\n" },
	{ "export",   "export   [-c FILE] --incident ID [--format json|md|csv] [--lang en|ko]", cmd_export,
	  "Writes an incident's timeline to stdout, the same bytes as\n"
	  "GET /api/v1/incidents/ID/timeline?format=...: json (default), csv, or md (the\n"
	  "post-incident report; --lang ko for the runbook's Korean headings).\n" },
	{ "version",  "version                            print the version", cmd_version, NULL },
	{ "approve",  "approve ID [--comment C]           approve a pending action (over the API)", cmd_remote, NULL },
	{ "reject",   "reject ID [--comment C]            reject a pending action (over the API)", cmd_remote, NULL },
	{ "note",     "note INCIDENT TEXT [--section impact|action|next]   add an operator note", cmd_remote, NULL },
	{ "pause",    "pause [--comment C]                kill switch on: nothing starts", cmd_remote, NULL },
	{ "resume",   "resume [--comment C]               kill switch off", cmd_remote, NULL },
	{ "incidents", "incidents [--status open|resolved] list incidents", cmd_remote, NULL },
	{ "actions",  "actions [--state STATE]            list actions", cmd_remote, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: runbookd COMMAND [options]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  runbookd %s\n", commands[i].usage);
	fprintf(f, "\nThe config is -c FILE, else ./runbookd.yaml, else $RUNBOOKD_CONFIG.\n"
		"approve ... actions talk to $RUNBOOKD_URL (default http://127.0.0.1:9095) with\n"
		"$RUNBOOKD_TOKEN or $RUNBOOKD_TOKEN_FILE; -o json prints the API's JSON.\n"
		"Exit codes: 0 ok, 1 invalid input or config, 2 usage, 3 runtime failure.\n");
}

static const char *config_path(const struct opts *o)
{
	const char *env = getenv("RUNBOOKD_CONFIG");

	if (o->config)
		return o->config;
	if (access("runbookd.yaml", F_OK) == 0 || !env || !*env)
		return "runbookd.yaml";
	return env;
}

/* Loads the config with lo (NULL: as serve would), printing every diagnostic and, when
 * lo collects them, every warning; exit code or 0. */
static int load_config_opts(struct rbd_config **cfg, const struct opts *o, struct rbd_load_opts *lo)
{
	struct rbd_diag diag = { 0 };
	int rc = rbd_config_load_opts(cfg, config_path(o), &diag, lo);

	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i]);
	if (rc && !diag.n)
		fprintf(stderr, "%s: %s\n", config_path(o), rbd_err_msg());
	for (size_t i = 0; lo && lo->warnings && i < lo->warnings->n; i++)
		fprintf(stderr, "%s\n", lo->warnings->msgs[i]);
	rbd_diag_clear(&diag);
	if (lo)
		rbd_diag_clear(lo->warnings);
	return rc ? RBD_EXIT_INVALID : 0;
}

static int load_config(struct rbd_config **cfg, const struct opts *o)
{
	return load_config_opts(cfg, o, NULL);
}

static int cmd_remote(const struct opts *o)
{
	(void)o;
	return RBD_EXIT_USAGE;   /* never called: rbd_cli_main hands these to cli_remote.c */
}

static int cmd_version(const struct opts *o)
{
	printf("runbookd %s\n", RBD_VERSION);
	return 0;
}

static int cmd_check(const struct opts *o)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag warnings = { 0 };
	struct rbd_load_opts lo = { .syntax_only = o->syntax_only, .root = o->root,
				    .warnings = &warnings };
	int rc = load_config_opts(&cfg, o, &lo);

	if (rc)
		return rc;
	if (cfg->n_notify && !cfg->external_url)
		fprintf(stderr, "%s: warning: notify is configured without external_url: "
			"links in notifications use the listen address%s\n", config_path(o),
			rbd_config_link_base(cfg, cfg->listen_port, (char[512]){0}, 512) ? "" :
			" (a wildcard), so they carry no link people can open");
	printf("%s: ok: %zu rules, %zu actions, mode %s%s\n", config_path(o), cfg->n_rules,
	       cfg->n_actions, cfg->mode == RBD_MODE_DRY_RUN ? "dry-run" : "enforce",
	       o->syntax_only ? " (syntax only: token sources and programs not checked)" : "");
	rbd_config_free(cfg);
	return 0;
}

static int cmd_migrate(const struct opts *o)
{
	struct rbd_config *cfg = NULL;
	struct rbd_store *s = NULL;
	int applied = 0, rc = load_config(&cfg, o);
	char dbname[512];

	if (rc)
		return rc;
	rc = rbd_store_open_with(&s, cfg->database, RBD_STORE_NO_WRITER | RBD_STORE_MIGRATE,
				 cfg->database_password_file);
	if (!rc)
		applied = rbd_store_migrated(s);
	rbd_store_display(dbname, sizeof(dbname), cfg->database);
	if (rc) {
		fprintf(stderr, "migrate: %s\n", rbd_err_msg());
		rbd_config_free(cfg);
		rbd_store_close(s);
		return RBD_EXIT_RUNTIME;
	}
	printf("%s: schema current (%d applied now)\n", dbname, applied);
	rbd_store_close(s);
	rbd_config_free(cfg);
	return 0;
}

static int cmd_export(const struct opts *o)
{
	struct rbd_config *cfg = NULL;
	struct rbd_store *s = NULL;
	struct rbd_buf out = RBD_BUF_INIT((size_t)1 << 30);
	enum rbd_export_format fmt = RBD_EXPORT_JSON;
	char *end;
	long long id;
	int rc;

	if (!o->incident) {
		fprintf(stderr, "export: --incident ID is required\n");
		return RBD_EXIT_USAGE;
	}
	errno = 0;
	id = strtoll(o->incident, &end, 10);
	if (!*o->incident || *end || errno || id <= 0) {
		fprintf(stderr, "export: bad --incident \"%s\": expected a positive incident id\n",
			o->incident);
		return RBD_EXIT_USAGE;
	}
	if (o->format && rbd_export_format_parse(&fmt, o->format)) {
		fprintf(stderr, "export: bad --format \"%s\": expected json, md or csv\n", o->format);
		return RBD_EXIT_USAGE;
	}
	if (rbd_export_lang_check(o->lang)) {
		fprintf(stderr, "export: bad --lang \"%s\": expected en or ko\n", o->lang ? o->lang : "");
		return RBD_EXIT_USAGE;
	}
	if ((rc = load_config(&cfg, o)))
		return rc;
	rc = rbd_store_open_with(&s, cfg->database, RBD_STORE_NO_WRITER, cfg->database_password_file);
	if (rc) {
		fprintf(stderr, "export: %s\n", rbd_err_msg());
		rbd_config_free(cfg);
		return RBD_EXIT_RUNTIME;
	}
	rc = rbd_export_incident(&out, s, id, fmt, o->lang, cfg);
	if (!rc)
		fwrite(out.data ? out.data : "", 1, out.len, stdout);
	else
		fprintf(stderr, "export: %s\n", rbd_err_msg());
	rbd_buf_free(&out);
	rbd_store_close(s);
	rbd_config_free(cfg);
	if (rc == RBD_ENOTFOUND || rc == RBD_EINVAL)
		return RBD_EXIT_INVALID;
	return rc ? RBD_EXIT_RUNTIME : 0;
}

/* Reads path ("-": stdin) whole, up to cap bytes. */
static char *read_file_capped(const char *path, size_t cap, size_t *len)
{
	/* stdin through the one capped reader: /dev/stdin is whatever fd 0 is (a pipe too). */
	bool in = strcmp(path, "-") == 0;
	const char *name = in ? "stdin" : path;
	struct rbd_buf b = RBD_BUF_INIT(cap);
	struct rbd_read_info info;
	int rc = rbd_buf_read_file(&b, in ? "/dev/stdin" : path, false, &info);

	if (rc == RBD_ETOOBIG) {
		rbd_err_set(RBD_ETOOBIG, "%s: larger than max_body_bytes (%zu)", name, cap);
		return NULL;
	}
	if (rc) {
		rbd_err_set(RBD_EINVAL, "%s: %s", name, info.err ? strerror(info.err) : "read error");
		return NULL;
	}
	*len = b.len;
	return b.data ? rbd_buf_steal(&b) : rbd_strdup("");
}

static cJSON *simulate_rule(const struct rbd_config *cfg, const struct rbd_plan *p,
			    const char *on, int64_t now)
{
	char reason[512];
	enum rbd_gate gate;
	enum rbd_action_state state = rbd_plan_decide(&gate, p, cfg, NULL, now, reason,
						      sizeof(reason));
	const struct rbd_rule *rule = p->rule;
	cJSON *m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "rule", rule->name);
	cJSON_AddStringToObject(m, "action", rule->action->name);
	cJSON_AddStringToObject(m, "on", on);
	if (p->rendered_json)
		cJSON_AddItemToObject(m, "rendered", cJSON_Parse(p->rendered_json));
	else
		cJSON_AddNullToObject(m, "rendered");
	cJSON_AddStringToObject(m, "state", rbd_action_state_name(state));
	cJSON_AddStringToObject(m, "gate", rbd_gate_name(gate));
	if (reason[0])
		cJSON_AddStringToObject(m, "reason", reason);
	if (rule->n_after) {
		struct rbd_buf b = RBD_BUF_INIT(8192);

		rbd_buf_puts(&b, "plans only if an action of ");
		for (size_t i = 0; i < rule->n_after; i++)
			rbd_buf_printf(&b, "%s%s", i ? " or " : "", rule->after[i]);
		rbd_buf_printf(&b, " succeeded in the same %s; simulate has no history and shows "
			       "the plan as if it had", rule->after_scope == RBD_AFTER_INCIDENT ?
			       "incident" : "alert episode");
		cJSON_AddStringToObject(m, "after", rbd_buf_cstr(&b));
		rbd_buf_free(&b);
	}
	if (rule->cooldown_ms || rule->max_runs_per_hour || rule->max_failures_per_hour)
		cJSON_AddStringToObject(m, "note", "cooldown, rate limit and breaker depend on the "
					"database's history and are checked again at run time");
	return m;
}

static int cmd_simulate(const struct opts *o)
{
	struct rbd_config *cfg = NULL;
	struct rbd_notification *n = NULL;
	struct rbd_runtime *rt = NULL;
	int64_t now = rbd_now_ms();
	size_t len = 0;
	char *body, *out;
	cJSON *root, *alerts;
	int rc;

	bool json = o->output && strcmp(o->output, "json") == 0;

	if (!o->positional) {
		fprintf(stderr, "simulate: PAYLOAD.json (or - for stdin) is required\n");
		return RBD_EXIT_USAGE;
	}
	if (o->output && !json && strcmp(o->output, "table") != 0) {
		fprintf(stderr, "simulate: bad -o %s (expected table or json)\n", o->output);
		return RBD_EXIT_USAGE;
	}
	if ((rc = load_config(&cfg, o)))
		return rc;
	body = read_file_capped(o->positional, cfg->limits.max_body_bytes, &len);
	if (!body || rbd_payload_parse(&n, body, len, NULL)) {
		fprintf(stderr, "simulate: %s\n", rbd_err_msg());
		free(body);
		rbd_config_free(cfg);
		return RBD_EXIT_INVALID;
	}
	free(body);
	if (rbd_runtime_new(&rt, cfg)) {
		fprintf(stderr, "simulate: %s\n", rbd_err_msg());
		rbd_notification_free(n);
		rbd_config_free(cfg);
		return RBD_EXIT_RUNTIME;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "mode", cfg->mode == RBD_MODE_DRY_RUN ? "dry-run" : "enforce");
	cJSON_AddStringToObject(root, "group_key", n->group_key);
	alerts = cJSON_AddArrayToObject(root, "alerts");
	for (size_t i = 0; i < n->n_alerts; i++) {
		const struct rbd_alert *a = &n->alerts[i];
		enum rbd_rule_on on = strcmp(a->status, "resolved") == 0 ? RBD_ON_RESOLVED : RBD_ON_FIRING;
		struct rbd_plans plans;
		cJSON *ao = cJSON_CreateObject(), *ms;
		char *labels = rbd_labels_to_json(&a->labels);

		cJSON_AddStringToObject(ao, "fingerprint", a->fingerprint);
		cJSON_AddStringToObject(ao, "status", a->status);
		cJSON_AddItemToObject(ao, "labels", cJSON_Parse(labels));
		free(labels);
		ms = cJSON_AddArrayToObject(ao, "matches");
		/* Planned as ingest plans it, with no incident yet and no history. */
		rbd_plan_alert(&plans, rt, a, on, 0, now);
		for (size_t j = 0; j < plans.n; j++)
			cJSON_AddItemToArray(ms, simulate_rule(cfg, &plans.v[j], plans.on, now));
		if (o->explain) {
			const struct rbd_rule **matched = rbd_calloc(plans.n + 1, sizeof(*matched));

			for (size_t j = 0; j < plans.n; j++)
				matched[j] = plans.v[j].rule;
			rbd_simulate_explain(ao, cfg, matched, plans.n, a, on);
			free(matched);
		}
		rbd_plans_clear(&plans);
		cJSON_AddItemToArray(alerts, ao);
	}
	if (json) {
		out = cJSON_Print(root);
		printf("%s\n", out);
	} else {
		out = rbd_simulate_table(root);
		fputs(out, stdout);
	}
	free(out);
	cJSON_Delete(root);
	rbd_notification_free(n);
	rbd_runtime_release(rt);
	return 0;
}

/* ---- serve ---- */

static void on_commit(void *ctx)
{
	rbd_executor_wake(((struct rbd_app *)ctx)->exec);
}

static void on_commit_stats(void *ctx, int64_t us, int jobs)
{
	struct rbd_app *app = ctx;

	rbd_metrics_observe(app->metrics, "runbookd_store_commit_seconds", NULL, (double)us / 1e6);
	rbd_metrics_add(app->metrics, "runbookd_store_commits_total", NULL, 1);
	rbd_metrics_add(app->metrics, "runbookd_store_commit_jobs_total", NULL, jobs);
}

/* For tests and supervisors: RUNBOOKD_PORT_FILE names a file that gets the bound port. */
/* This process among replicas on one database: ha.replica, else HOST/PORT (HOST/pidPID
 * with an ephemeral port). A fixed name lets a restarted replica recover its own rows. */
static void replica_name(char *out, size_t cap, const struct rbd_config *cfg)
{
	char host[128] = "localhost";

	if (cfg->ha_replica) {
		snprintf(out, cap, "%s", cfg->ha_replica);
		return;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (cfg->listen_port)
		snprintf(out, cap, "%s/%d", host, cfg->listen_port);
	else
		snprintf(out, cap, "%s/pid%ld", host, (long)getpid());
}

static void write_port_file(int port)
{
	const char *path = getenv("RUNBOOKD_PORT_FILE");
	char tmp[4096];
	FILE *f;

	if (!path || !*path || (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%d\n", port);
	fclose(f);
	rename(tmp, path);
}

static int serve_loop(struct rbd_app *app, sigset_t *set)
{
	for (;;) {
		int sig = 0;

		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			rbd_log_info("SIGHUP: reloading config and rules");
			rbd_app_reload(app);
			rbd_executor_wake(app->exec);
			continue;
		}
		rbd_log_info("stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return 0;
	}
}

static int cmd_serve(const struct opts *o)
{
	struct rbd_config *cfg = NULL;
	struct rbd_store *store = NULL;
	struct rbd_server *srv = NULL;
	struct rbd_reconciler *rec = NULL;
	struct rbd_app app;
	char *paused = NULL, portstr[16], dbname[512], replica[256];
	sigset_t set;
	int port = 0, rc;

	/* A client hanging up must not kill us, and neither must a file-size limit: the
	 * write fails instead, the commit fails, and ingest answers 503. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts, so that only sigwait below sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((rc = load_config(&cfg, o)))
		return rc;
	rbd_store_display(dbname, sizeof(dbname), cfg->database);
	rc = rbd_store_open_with(&store, cfg->database, RBD_STORE_MIGRATE,
				 cfg->database_password_file);
	if (rc) {
		rbd_log_error("cannot open the database", "path", dbname, "error", rbd_err_msg());
		rbd_config_free(cfg);
		return RBD_EXIT_RUNTIME;
	}
	replica_name(replica, sizeof(replica), cfg);
	/* Before recovery: start-up recovery touches this replica's own running actions. */
	if (rbd_store_ha_start(store, replica, cfg->ha_lease_ms) ||
	    rbd_app_init(&app, config_path(o), cfg, store)) {
		rbd_log_error("cannot start", "error", rbd_err_msg());
		rbd_store_close(store);
		return RBD_EXIT_RUNTIME;
	}
	if (rbd_store_setting_get(store, &paused, "paused") == 0 && paused && strcmp(paused, "1") == 0)
		atomic_store(&app.paused, true);
	free(paused);
	rbd_httpc_global_init();
	rbd_store_on_commit_stats(store, on_commit_stats, &app);
	rc = rbd_notifier_start(&app.notifier, &app);
	if (!rc)
		rc = rbd_executor_recover(&app);
	if (!rc)
		rc = rbd_executor_start(&app.exec, &app);
	if (!rc) {
		rbd_store_on_commit(store, on_commit, &app);
		rc = rbd_reconciler_start(&rec, &app);
	}
	if (!rc)
		rc = rbd_server_start(&srv, &app, &port);
	if (!rc) {
		app.port = port;
		rbd_config_link_base(cfg, port, app.base_url, sizeof(app.base_url));
	}
	if (rc) {
		rbd_log_error("cannot start", "error", rbd_err_msg());
		rbd_reconciler_stop(rec);
		rbd_executor_stop(app.exec);
		rbd_notifier_stop(app.notifier);
		rbd_store_close(store);
		rbd_app_destroy(&app);
		return RBD_EXIT_RUNTIME;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	write_port_file(port);
	rbd_log_info("listening", "addr", cfg->listen_host, "port", portstr,
		     "mode", cfg->mode == RBD_MODE_DRY_RUN ? "dry-run" : "enforce",
		     "database", dbname, "backend", rbd_store_backend(store), "replica", replica,
		     "paused", atomic_load(&app.paused) ? "true" : "false");
	serve_loop(&app, &set);
	atomic_store(&app.stopping, true);
	rbd_server_stop(srv, 10000);
	rbd_reconciler_stop(rec);
	rbd_store_on_commit(store, NULL, NULL);
	rbd_executor_stop(app.exec);
	rbd_notifier_stop(app.notifier);
	rbd_store_close(store);
	rbd_app_destroy(&app);
	rbd_httpc_global_cleanup();
	rbd_log_info("stopped");
	return 0;
}

/* ---- dispatch ---- */

static int parse_opts(struct opts *o, int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (strcmp(a, "--syntax-only") == 0) {
			o->syntax_only = true;
			continue;
		}
		if (strcmp(a, "--explain") == 0) {
			o->explain = true;
			continue;
		}
		if (strcmp(a, "-") == 0 && !o->positional) {
			o->positional = a;
			continue;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
			slot = &o->config;
		else if (strcmp(a, "--incident") == 0)
			slot = &o->incident;
		else if (strcmp(a, "--format") == 0)
			slot = &o->format;
		else if (strcmp(a, "--lang") == 0)
			slot = &o->lang;
		else if (strcmp(a, "--log-level") == 0)
			slot = &o->log_level;
		else if (strcmp(a, "--root") == 0)
			slot = &o->root;
		else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
			slot = &o->output;
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "runbookd: %s needs a value\n", a);
				return -1;
			}
			*slot = argv[++i];
			continue;
		}
		if (a[0] == '-' || o->positional) {
			fprintf(stderr, "runbookd: unexpected argument %s\n", a);
			return -1;
		}
		o->positional = a;
	}
	return 0;
}

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* `runbookd CMD --help` and `runbookd help CMD`: that command's usage and details. */
static void command_help(FILE *f, const struct command *c)
{
	fprintf(f, "usage: runbookd %s\n", c->usage);
	if (c->help)
		fprintf(f, "\n%s", c->help);
	if (c->fn == cmd_remote)
		fprintf(f, "\nTalks to $RUNBOOKD_URL (default http://127.0.0.1:9095) with $RUNBOOKD_TOKEN\n"
			"or $RUNBOOKD_TOKEN_FILE; -o json prints the API's JSON.\n");
	else if (c->fn != cmd_version)
		fprintf(f, "\nThe config is -c FILE, else ./runbookd.yaml, else $RUNBOOKD_CONFIG.\n");
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int rbd_cli_main(int argc, char **argv)
{
	struct opts o = { 0 };
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return RBD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 && argc >= 3) {
		if (argc > 3 || !(c = command_find(argv[2]))) {
			fprintf(stderr, "runbookd: help: unknown command %s\n\n", argv[2]);
			usage(stderr);
			return RBD_EXIT_USAGE;
		}
		command_help(stdout, c);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if ((c = command_find(argv[1])) && wants_help(argc, argv)) {
		command_help(stdout, c);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(&o);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (commands[i].fn == cmd_remote)
			return rbd_cli_remote_main(argc - 1, argv + 1);
		if (parse_opts(&o, argc, argv)) {
			fprintf(stderr, "usage: runbookd %s\n", commands[i].usage);
			return RBD_EXIT_USAGE;
		}
		if (o.log_level) {
			enum rbd_log_level lv;

			if (rbd_log_level_parse(&lv, o.log_level)) {
				fprintf(stderr, "runbookd: --log-level must be debug, info, warn or error\n");
				return RBD_EXIT_USAGE;
			}
			rbd_log_pin_level(lv);
		}
		if (o.positional && commands[i].fn != cmd_simulate) {
			fprintf(stderr, "usage: runbookd %s\n", commands[i].usage);
			return RBD_EXIT_USAGE;
		}
		return commands[i].fn(&o);
	}
	fprintf(stderr, "runbookd: unknown command %s\n\n", argv[1]);
	usage(stderr);
	return RBD_EXIT_USAGE;
}
