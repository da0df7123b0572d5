/*
 * runbook: the runbook's types: action definitions (the catalog of everything
 * runbookd may run or call) and rules (which alerts run which action, behind which
 * gates), with their lookups and release (runbook.c). Loaded by actions_load.c and
 * rules_load.c as part of the config; immutable once loaded.
 */
#ifndef RUNBOOKD_RUNBOOK_H
#define RUNBOOKD_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/secrets.h"
#include "runbookd/template.h"

struct rbd_config;
struct rbd_matcher;

enum rbd_action_kind { RBD_ACTION_RUN, RBD_ACTION_HTTP, RBD_ACTION_SILENCE };

struct rbd_action_def {
	char *name;
	enum rbd_action_kind kind;
	char *file;
	int line;
	/* run: argv[0] is resolved to an absolute path at load */
	struct rbd_template **argv;
	size_t argc;
	char *program;                /* resolved absolute path of argv[0] */
	/* http */
	char *method;
	char *url_base;               /* fixed "scheme://host:port" */
	struct rbd_template *url_rest; /* path and query, templated, URL-escaped */
	struct rbd_template *body;    /* JSON-escaped values; may be NULL */
	struct rbd_headers headers;   /* from env or file; never templated, never shown */
	/* silence */
	char **silence_labels;
	size_t n_silence_labels;
	int64_t silence_duration_ms;
	/* all kinds */
	struct rbd_param_spec *params;
	size_t n_params;
	int64_t timeout_ms;           /* default 60s */
	bool allow_interpreter;       /* run: the program evaluates an argument as code and
	                               * the config says it knows (a warning, not an error) */
	bool cancel_on_resolve;       /* run: killed (cancelled) when its alert resolves */
};

enum rbd_rule_on { RBD_ON_FIRING, RBD_ON_RESOLVED };
/* Where `after:` looks for a succeeded action of the named rules. */
enum rbd_after_scope { RBD_AFTER_EPISODE, RBD_AFTER_INCIDENT };

struct rbd_rule {
	char *name;
	char *description;
	char *file;
	int line;
	struct rbd_matcher **matchers;
	size_t n_matchers;
	enum rbd_rule_on on;
	const struct rbd_action_def *action;   /* borrowed from the config */
	char **param_names;                    /* the rule's params: name -> template */
	struct rbd_template **param_values;
	size_t n_params;
	bool approval;
	bool dry_run;
	int approvals;                         /* quorum, >= 1 */
	int64_t cooldown_ms;                   /* 0: none */
	int max_runs_per_hour;                 /* 0: unlimited */
	int max_failures_per_hour;             /* 0: no breaker */
	char **after;                          /* on: resolved only: plans only when an
	                                        * action of one of these rules succeeded */
	size_t n_after;
	int after_line;
	enum rbd_after_scope after_scope;      /* default episode */
};

/* Lookups by name; borrowed from cfg; NULL when absent. */
const struct rbd_action_def *rbd_config_action(const struct rbd_config *cfg, const char *name);
const struct rbd_rule *rbd_config_rule(const struct rbd_config *cfg, const char *name);
/* "run" "http" "silence" ("unknown" otherwise). Static. */
const char *rbd_action_kind_name(enum rbd_action_kind kind);
/* The param spec of a named param of action a; NULL when not declared. */
const struct rbd_param_spec *rbd_action_param_spec(const struct rbd_action_def *a,
						   const char *name);
/* Release what a definition / a rule owns (the struct itself is the caller's). */
void rbd_action_def_clear(struct rbd_action_def *a);
void rbd_rule_clear(struct rbd_rule *r);

#endif
