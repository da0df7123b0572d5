/*
 * app: the running service's context, passed to every component instead of globals:
 * the live config snapshot (swapped whole on SIGHUP, reference-counted so that a
 * request or an action in flight keeps the snapshot it started with), the store, the
 * metrics, and the kill switch.
 */
#ifndef RUNBOOKD_APP_H
#define RUNBOOKD_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>

#include "runbookd/config.h"
#include "runbookd/metrics.h"
#include "runbookd/ruleindex.h"
#include "runbookd/store.h"

/* An immutable config with its rule index. */
struct rbd_runtime {
	struct rbd_config *cfg;
	struct rbd_ruleindex *ix;
	atomic_int refs;
};

struct rbd_executor;
struct rbd_notifier;

struct rbd_app {
	char *config_path;
	pthread_mutex_t mu;            /* guards rt swaps */
	struct rbd_runtime *rt;
	struct rbd_store *store;
	struct rbd_metrics *metrics;
	struct rbd_executor *exec;
	struct rbd_notifier *notifier; /* NULL until started */
	char base_url[128];            /* http://host:port this instance serves on */
	int port;                      /* the bound port (links without external_url) */
	atomic_bool paused;
	atomic_bool stopping;
	int64_t started_ms;
};

/* Builds a runtime around cfg (taken over); one reference for the caller. */
int rbd_runtime_new(struct rbd_runtime **out, struct rbd_config *cfg);
/* The live runtime with a reference the caller must release. */
struct rbd_runtime *rbd_app_runtime(struct rbd_app *app);
void rbd_runtime_release(struct rbd_runtime *rt);

/* Sets up app around a loaded config (taken over) and an open store. */
int rbd_app_init(struct rbd_app *app, const char *config_path, struct rbd_config *cfg,
		 struct rbd_store *store);
void rbd_app_destroy(struct rbd_app *app);
/* Reloads config and rules from app->config_path; on failure logs every diagnostic
 * and keeps the old ones live. */
int rbd_app_reload(struct rbd_app *app);

#endif
