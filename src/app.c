/*
 * app: the service context and config reloads. Must never free a config that a
 * request or action still holds: runtimes are reference-counted.
 */
#include "runbookd/app.h"
#include "runbookd/err.h"
#include "runbookd/log.h"
#include "runbookd/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rbd_runtime_new(struct rbd_runtime **out, struct rbd_config *cfg)
{
	struct rbd_runtime *rt = rbd_calloc(1, sizeof(*rt));
	int rc = rbd_ruleindex_build(&rt->ix, cfg->rules, cfg->n_rules);

	if (rc) {
		free(rt);
		return rc;
	}
	rt->cfg = cfg;
	atomic_init(&rt->refs, 1);
	*out = rt;
	return 0;
}

void rbd_runtime_release(struct rbd_runtime *rt)
{
	if (!rt || atomic_fetch_sub(&rt->refs, 1) != 1)
		return;
	rbd_ruleindex_free(rt->ix);
	rbd_config_free(rt->cfg);
	free(rt);
}

struct rbd_runtime *rbd_app_runtime(struct rbd_app *app)
{
	struct rbd_runtime *rt;

	pthread_mutex_lock(&app->mu);
	rt = app->rt;
	atomic_fetch_add(&rt->refs, 1);
	pthread_mutex_unlock(&app->mu);
	return rt;
}

int rbd_app_init(struct rbd_app *app, const char *config_path, struct rbd_config *cfg,
		 struct rbd_store *store)
{
	int rc;

	memset(app, 0, sizeof(*app));
	pthread_mutex_init(&app->mu, NULL);
	app->config_path = rbd_strdup(config_path);
	app->store = store;
	app->started_ms = rbd_now_ms();
	rc = rbd_runtime_new(&app->rt, cfg);
	if (rc)
		return rc;
	rc = rbd_metrics_new(&app->metrics);
	if (rc)
		return rc;
	rbd_metrics_set(app->metrics, "runbookd_build_info", "version=\"" RBD_VERSION "\"", 1);
	/* Counters an alert watches exist from the start: the first failure is an increase. */
	rbd_metrics_add(app->metrics, "runbookd_reconcile_attempts_total", NULL, 0);
	rbd_metrics_add(app->metrics, "runbookd_reconcile_failures_total", NULL, 0);
	rbd_metrics_set(app->metrics, "runbookd_rules_loaded", NULL, (double)cfg->n_rules);
	rbd_metrics_set(app->metrics, "runbookd_config_last_reload_successful", NULL, 1);
	rbd_metrics_set(app->metrics, "runbookd_config_last_reload_success_timestamp_seconds", NULL,
			(double)rbd_now_ms() / 1000.0);
	rbd_log_set_level((enum rbd_log_level)cfg->log_level);
	return 0;
}

void rbd_app_destroy(struct rbd_app *app)
{
	rbd_runtime_release(app->rt);
	rbd_metrics_free(app->metrics);
	free(app->config_path);
	pthread_mutex_destroy(&app->mu);
}

int rbd_app_reload(struct rbd_app *app)
{
	struct rbd_diag diag = { 0 };
	struct rbd_config *cfg = NULL;
	struct rbd_runtime *rt, *old;
	char n[32];
	int rc;

	rc = rbd_config_load(&cfg, app->config_path, &diag);
	if (!rc)
		rc = rbd_runtime_new(&rt, cfg);
	else
		cfg = NULL;
	if (rc) {
		for (size_t i = 0; i < diag.n; i++)
			rbd_log_error("reload refused; keeping the old config", "problem", diag.msgs[i]);
		if (!diag.n)
			rbd_log_error("reload refused; keeping the old config", "problem", rbd_err_msg());
		rbd_diag_clear(&diag);
		rbd_config_free(cfg);
		rbd_metrics_add(app->metrics, "runbookd_config_reloads_total", "result=\"failure\"", 1);
		rbd_metrics_set(app->metrics, "runbookd_config_last_reload_successful", NULL, 0);
		return rc;
	}
	if (strcmp(cfg->database, app->rt->cfg->database) != 0 ||
	    strcmp(cfg->listen_host, app->rt->cfg->listen_host) != 0 ||
	    cfg->listen_port != app->rt->cfg->listen_port)
		rbd_log_warn("listen and database changes take effect on restart only");
	pthread_mutex_lock(&app->mu);
	old = app->rt;
	app->rt = rt;
	pthread_mutex_unlock(&app->mu);
	rbd_runtime_release(old);
	snprintf(n, sizeof(n), "%zu", cfg->n_rules);
	rbd_log_info("config reloaded", "rules", n);
	rbd_metrics_add(app->metrics, "runbookd_config_reloads_total", "result=\"success\"", 1);
	rbd_metrics_set(app->metrics, "runbookd_rules_loaded", NULL, (double)cfg->n_rules);
	rbd_metrics_set(app->metrics, "runbookd_config_last_reload_successful", NULL, 1);
	rbd_metrics_set(app->metrics, "runbookd_config_last_reload_success_timestamp_seconds", NULL,
			(double)rbd_now_ms() / 1000.0);
	rbd_log_set_level((enum rbd_log_level)cfg->log_level);
	return 0;
}
