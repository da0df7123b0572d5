/*
 * runbook: the runbook's types (action definitions and rules, declared in
 * runbookd/runbook.h): their names, lookups and release. Loading is in
 * actions_load.c and rules_load.c.
 */
#include "runbookd/config.h"
#include "runbookd/matcher.h"
#include "runbookd/nameset.h"

#include <stdlib.h>
#include <string.h>

const char *rbd_action_kind_name(enum rbd_action_kind kind)
{
	switch (kind) {
	case RBD_ACTION_RUN:
		return "run";
	case RBD_ACTION_HTTP:
		return "http";
	case RBD_ACTION_SILENCE:
		return "silence";
	}
	return "unknown";
}

const struct rbd_action_def *rbd_config_action(const struct rbd_config *cfg, const char *name)
{
	size_t pos;

	if (!cfg || !name)
		return NULL;
	if (cfg->action_names)
		return rbd_nameset_find(cfg->action_names, name, &pos) ? &cfg->actions[pos] : NULL;
	for (size_t i = 0; i < cfg->n_actions; i++)
		if (cfg->actions[i].name && strcmp(cfg->actions[i].name, name) == 0)
			return &cfg->actions[i];
	return NULL;
}

const struct rbd_rule *rbd_config_rule(const struct rbd_config *cfg, const char *name)
{
	size_t pos;

	if (!cfg || !name)
		return NULL;
	if (cfg->rule_names)
		return rbd_nameset_find(cfg->rule_names, name, &pos) ? &cfg->rules[pos] : NULL;
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].name && strcmp(cfg->rules[i].name, name) == 0)
			return &cfg->rules[i];
	return NULL;
}

const struct rbd_param_spec *rbd_action_param_spec(const struct rbd_action_def *a,
						   const char *name)
{
	if (!a || !name)
		return NULL;
	for (size_t i = 0; i < a->n_params; i++)
		if (a->params[i].name && strcmp(a->params[i].name, name) == 0)
			return &a->params[i];
	return NULL;
}

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
	rbd_headers_clear(&a->headers);
	for (size_t i = 0; i < a->n_silence_labels; i++)
		free(a->silence_labels[i]);
	free(a->silence_labels);
	for (size_t i = 0; i < a->n_params; i++)
		rbd_param_spec_clear(&a->params[i]);
	free(a->params);
	memset(a, 0, sizeof(*a));
}

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
	for (size_t i = 0; i < r->n_after; i++)
		free(r->after[i]);
	free(r->after);
	memset(r, 0, sizeof(*r));
}
