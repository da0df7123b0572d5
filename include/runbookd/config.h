/*
 * config: the service configuration (runbookd.yaml) and the runbook rules it points
 * at, loaded with libyaml into immutable structs. A load either yields a complete,
 * validated config or a list of "FILE:LINE: message" diagnostics; it never yields a
 * half-checked config. Token values are read from the environment or files named in
 * the config, never from the config itself, and never logged.
 */
#ifndef RUNBOOKD_CONFIG_H
#define RUNBOOKD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/diag.h"
#include "runbookd/runbook.h"
#include "runbookd/secrets.h"

struct rbd_nameset;
struct rbd_load_opts;

enum rbd_mode { RBD_MODE_DRY_RUN, RBD_MODE_ENFORCE };

/* Roles are a bit set so that "operator may also read" is one mask. */
enum rbd_role {
	RBD_ROLE_NONE = 0,
	RBD_ROLE_VIEWER = 1,
	RBD_ROLE_OPERATOR = 2,
	RBD_ROLE_INGEST = 4
};

struct rbd_token {
	char *name;
	enum rbd_role role;          /* as configured (one role) */
	char *secret;                /* resolved from token_env / token_file; never empty */
};

struct rbd_limits {
	size_t max_body_bytes;        /* default 1 MiB */
	int max_concurrent_actions;   /* default 4 */
	int64_t approval_ttl_ms;      /* default 30m */
	size_t action_output_bytes;   /* default 64 KiB */
	size_t max_alerts;            /* alerts per notification, default 1000 */
	size_t max_labels;            /* labels per alert, default 256 */
	int max_connections;          /* default 256 */
	int max_connections_per_ip;   /* default 64 */
	int connection_timeout_s;     /* default 10 */
	int64_t kill_grace_ms;        /* SIGTERM -> SIGKILL, default 5s */
};

enum rbd_notify_format { RBD_NOTIFY_JSON, RBD_NOTIFY_SLACK };

/* What a notification target is sent: one bit per event (names in notify_config.c). */
enum rbd_notify_event {
	RBD_NEV_PENDING_APPROVAL = 1u << 0,
	RBD_NEV_APPROVED = 1u << 1,
	RBD_NEV_REJECTED = 1u << 2,
	RBD_NEV_EXPIRED = 1u << 3,
	RBD_NEV_SUCCEEDED = 1u << 4,
	RBD_NEV_FAILED = 1u << 5,
	RBD_NEV_TIMED_OUT = 1u << 6,
	RBD_NEV_CANCELLED = 1u << 7,
	RBD_NEV_INTERRUPTED = 1u << 8,
	RBD_NEV_SKIPPED = 1u << 9,
	RBD_NEV_DRY_RUN = 1u << 10,
	RBD_NEV_BREAKER_TRIPPED = 1u << 11,
	RBD_NEV_INCIDENT_RESOLVED = 1u << 12,
};
/* pending_approval, failed, timed_out, breaker_tripped, expired, incident_resolved */
#define RBD_NEV_DEFAULT (RBD_NEV_PENDING_APPROVAL | RBD_NEV_FAILED | RBD_NEV_TIMED_OUT | \
			 RBD_NEV_BREAKER_TRIPPED | RBD_NEV_EXPIRED | RBD_NEV_INCIDENT_RESOLVED)

struct rbd_notify_target {
	char *url;
	enum rbd_notify_format format;  /* default json */
	struct rbd_headers headers;     /* from env or file; never logged */
	unsigned events;                /* RBD_NEV_* bits; default RBD_NEV_DEFAULT */
};

/* The event bit of a name ("pending_approval", "breaker_tripped", ...; an action
 * state name or "action.STATE" too); 0 when unknown. */
unsigned rbd_notify_event_bit(const char *name);
/* Frees n targets and their (wiped) header values. */
void rbd_notify_targets_free(struct rbd_notify_target *t, size_t n);

struct rbd_config {
	char *path;                   /* the config file as given */
	char *listen_host;            /* "127.0.0.1", "localhost", "::1" (no brackets) */
	int listen_port;              /* 0: ephemeral */
	char *database;               /* resolved against the config file's directory
	                               * (":memory:" is kept as is) */
	char *database_password_file; /* PostgreSQL's password, read at each connect; NULL:
	                               * libpq's own (URL, PGPASSWORD, PGPASSFILE) */
	int64_t ha_lease_ms;          /* ha.lease: a silent replica's actions are interrupted */
	char *ha_replica;             /* ha.replica; NULL: derived (rbd_config_replica) */
	enum rbd_mode mode;
	char *rules_path;             /* resolved likewise; the config file itself when
	                               * `rules:` is an inline list; NULL without rules: */
	struct rbd_token *tokens;
	size_t n_tokens;
	struct rbd_limits limits;
	struct rbd_action_def *actions;
	size_t n_actions;
	struct rbd_rule *rules;
	size_t n_rules;
	struct rbd_nameset *action_names;  /* name -> position in actions / rules, filled */
	struct rbd_nameset *rule_names;    /* by the loaders (NULL: lookups scan) */
	char *am_url;                 /* NULL when no alertmanager section; no trailing '/' */
	int64_t am_poll_ms;
	struct rbd_notify_target *notify; /* `notify:` targets (a single `url:` mapping is one) */
	size_t n_notify;
	int log_level;                /* enum rbd_log_level; default info */
	char *external_url;           /* where people reach runbookd, no trailing '/';
	                               * NULL when not configured */
	struct {
		int64_t refresh_ms;           /* list pages reload this often; 0: never (30s) */
		int64_t session_idle_ms;      /* default 30m */
		int64_t session_max_ms;       /* default 12h */
	} ui;                         /* the browser console: `ui:` */
	const struct rbd_load_opts *load; /* borrowed, only while rbd_config_load runs */
};

/* How a load treats what only the deployment's machine has (check --syntax-only). */
struct rbd_load_opts {
	bool syntax_only;             /* token sources are not read and run programs are
	                               * not looked up; everything else is validated */
	const char *root;             /* absolute paths in the config (rules, token files,
	                               * database) resolve under this directory; NULL: / */
	struct rbd_diag *warnings;    /* warnings go here ("FILE:LINE: warning: ...")
	                               * instead of the log; may be NULL */
};

/*
 * Loads path (the main config) and the rules it names. On success *out is a new
 * config (rbd_config_free). On failure returns RBD_EINVAL (the error message is the
 * first diagnostic), *out is NULL, and diag holds every problem found (as many as can
 * be found in one pass, each "FILE:LINE: message", or "FILE: message" when there is
 * no line, e.g. a file that cannot be opened). diag may be NULL.
 * Relative paths in the config (database, rules, token_file, a run program written
 * as a relative path with a '/') resolve against the config file's directory.
 * Warnings (a world-readable token file, a declared param no template uses, an empty
 * rules directory) go to the log, not to diag. Reads the environment and files;
 * call it from one thread at a time (a reload builds a new config).
 */
int rbd_config_load(struct rbd_config **out, const char *path, struct rbd_diag *diag);
/* The same with options (opts may be NULL: as rbd_config_load). */
int rbd_config_load_opts(struct rbd_config **out, const char *path, struct rbd_diag *diag,
			 const struct rbd_load_opts *opts);
/* During a load: a path written in the config, resolved against dir (the config file's
 * directory) and, when absolute, under opts->root. New string. */
char *rbd_config_path(const struct rbd_config *cfg, const char *dir, const char *path);
/* During a load: a warning about FILE:LINE, to opts->warnings or else to the log. */
void rbd_config_warn(const struct rbd_config *cfg, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void rbd_config_free(struct rbd_config *cfg);

/*
 * The base URL of every link runbookd writes (notifications, report, console):
 * external_url when configured, else "http://HOST:PORT" of the listen address when
 * that is not a wildcard (0.0.0.0, ::), with port the bound port. Writes at most size bytes (NUL included) and
 * returns false when there is no base people could use (a wildcard listen address
 * and no external_url): callers then write no absolute link.
 */
bool rbd_config_link_base(const struct rbd_config *cfg, int port, char *out, size_t size);

/* "ingest" "operator" "viewer" ("none" otherwise). Static. */
const char *rbd_role_name(enum rbd_role role);

#endif
