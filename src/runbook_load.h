/*
 * runbook_load: the loaders of the runbook, internal to config loading. config.c
 * calls rbd_actions_load, then rbd_rules_load; both report through the files'
 * diagnostics and never stop early. The rbd_load_* helpers are what the two share
 * (runbook_load.c).
 */
#ifndef RUNBOOKD_RUNBOOK_LOAD_H
#define RUNBOOKD_RUNBOOK_LOAD_H

#include <stdbool.h>

#include "runbookd/config.h"
#include "yamlnode.h"

/*
 * Fills cfg->actions from the `actions:` mapping (a relative program path in a run
 * argv resolves against dir).
 */
void rbd_actions_load(struct rbd_config *cfg, struct rbd_yfile *cf, yaml_node_t *actions,
		      const char *dir);
/*
 * Loads the rules named by the `rules:` value (node in cf): a path string (file or
 * directory of *.yaml / *.yml, resolved against dir) or an inline list; rules go to
 * cfg->rules in order and cfg->rules_path is set. Adds the errors of every rule file
 * to cf->nerr. Call after rbd_actions_load (rules name actions).
 */
void rbd_rules_load(struct rbd_config *cfg, struct rbd_yfile *cf, yaml_node_t *rules,
		    const char *dir);

/*
 * `headers: {NAME: {env: VAR} | {file: PATH}}` (secrets.c) into out: each value read
 * from the environment or the file (resolved against dir), never from the config
 * text. Reports bad names, reserved names (Host, Content-Length, ...), unset
 * variables, unreadable or empty files and control characters, never a value.
 */
void rbd_yheaders_parse(struct rbd_headers *out, struct rbd_yfile *f, yaml_node_t *map,
			const char *ctx, const char *dir, const struct rbd_load_opts *lo);
/* `notify:` (notify_config.c): one target mapping or a list of them into cfg->notify. */
void rbd_notify_parse(struct rbd_config *cfg, struct rbd_yfile *f, yaml_node_t *node,
		      const char *dir);

/* Action and rule names appear in URLs and in the database: 1-128 of A-Z a-z 0-9 _ - . */
bool rbd_load_name_ok(const char *s);
/* Param and label names are identifiers: 1-128 of A-Z a-z 0-9 _, not starting with a digit. */
bool rbd_load_ident_ok(const char *s);

#define RBD_REF_BIT(f) (1u << (f))
/* What each place may reference. Values from the network (labels, annotations) only
 * reach a command or a request through a param, which must pass an allowlist. */
#define RBD_REFS_RUN (RBD_REF_BIT(RBD_TF_PARAM) | RBD_REF_BIT(RBD_TF_RULE) | \
		      RBD_REF_BIT(RBD_TF_INCIDENT_ID))
#define RBD_REFS_HTTP (RBD_REFS_RUN | RBD_REF_BIT(RBD_TF_FINGERPRINT) | \
		       RBD_REF_BIT(RBD_TF_STATUS) | RBD_REF_BIT(RBD_TF_STARTS_AT) | \
		       RBD_REF_BIT(RBD_TF_NOW))
#define RBD_REFS_RULE_PARAM (RBD_REF_BIT(RBD_TF_LABEL) | RBD_REF_BIT(RBD_TF_ANNOTATION) | \
			     RBD_REF_BIT(RBD_TF_FINGERPRINT) | RBD_REF_BIT(RBD_TF_STATUS) | \
			     RBD_REF_BIT(RBD_TF_STARTS_AT) | RBD_REF_BIT(RBD_TF_RULE) | \
			     RBD_REF_BIT(RBD_TF_INCIDENT_ID) | RBD_REF_BIT(RBD_TF_NOW))

/*
 * Checks the references of t (compiled from node n, at place `where` of ctx) against
 * the allowed mask (RBD_REFS_*); .Params.x must be declared by a (used[] marks which
 * are). a NULL: params are not allowed.
 */
void rbd_load_refs_check(struct rbd_yfile *f, yaml_node_t *n, const struct rbd_template *t,
			 unsigned allowed, const struct rbd_action_def *a, bool *used,
			 const char *ctx, const char *where, const char *place);
/* Compiles the template in node n; NULL (reported) on error. */
struct rbd_template *rbd_load_template(struct rbd_yfile *f, yaml_node_t *n, const char *ctx,
				       const char *where);

#endif
