/*
 * reconcile: the Alertmanager poller. Must never resolve anything when Alertmanager
 * cannot be asked (an error is not an empty answer), nor an alert seen so recently
 * that Alertmanager may not have it yet.
 */
#include "runbookd/reconcile.h"
#include "runbookd/store.h"
#include "runbookd/err.h"
#include "runbookd/amclient.h"
#include "runbookd/httpc.h"
#include "runbookd/ingest.h"
#include "runbookd/log.h"
#include "runbookd/notify.h"
#include "runbookd/threads.h"
#include "runbookd/timeline.h"
#include "runbookd/timeutil.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rbd_reconciler {
	struct rbd_app *app;
	struct rbd_reconcile_state state;
	struct rbd_threads t;         /* one thread */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool seen_missing(const struct rbd_reconcile_state *st, const char *fp)
{
	return st->n && bsearch(&fp, st->missing, st->n, sizeof(*st->missing), cmp_str);
}

void rbd_reconcile_state_clear(struct rbd_reconcile_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->missing[i]);
	free(st->missing);
	st->missing = NULL;
	st->n = 0;
}

/* The write job: resolves alerts Alertmanager no longer holds (silenced alerts get no
 * resolved webhook): each still-firing one becomes resolved, its waiting actions are
 * cancelled, `on: resolved` rules plan, and an incident with nothing left firing
 * resolves. */
struct resolve {
	struct rbd_runtime *rt;
	struct rbd_ingest_result res;
	int64_t now;
	const struct rbd_alert_rec *gone;
	size_t n;
	int resolved;
};

static int resolve_one(struct rbd_tx *tx, struct resolve *r, const struct rbd_alert_rec *g)
{
	struct rbd_alert a = { 0 };
	cJSON *d;
	bool all = false;
	int rc = rbd_tx_episode_resolve(tx, g->id, r->now, r->now);

	if (rc || rbd_tx_changes(tx) == 0)
		return rc;
	r->resolved++;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "fingerprint", g->fingerprint);
	cJSON_AddStringToObject(d, "reason", "no longer in Alertmanager and no resolved "
				"notification came (as for a silenced alert)");
	rc = rbd_timeline_add(tx, g->incident_id, RBD_EVENT_ALERT_RESOLVED, "runbookd", 0, d);
	if (!rc)
		rc = rbd_ingest_cancel_waiting(tx, g->id, g->incident_id, r->now);
	if (!rc) {
		a.status = "resolved";
		a.fingerprint = g->fingerprint;
		a.starts_ns = g->starts_ms * 1000000;
		a.generator_url = "";
		rbd_labels_from_json(&a.labels, g->labels_json);
		rbd_labels_from_json(&a.annotations, g->annotations_json);
		rc = rbd_ingest_plan_alert(tx, &r->res, r->rt, &a, g->id, g->incident_id,
					   RBD_ON_RESOLVED, r->now);
		rbd_labels_clear(&a.labels);
		rbd_labels_clear(&a.annotations);
	}
	if (!rc)
		rc = rbd_tx_incident_all_resolved(tx, &all, g->incident_id);
	if (!rc && all) {
		rc = rbd_tx_incident_resolve(tx, g->incident_id, r->now);
		if (!rc && rbd_tx_changes(tx) > 0) {
			rc = rbd_timeline_add(tx, g->incident_id, RBD_EVENT_INCIDENT_RESOLVED,
					      "runbookd", 0, NULL);
			if (!rc)
				rbd_ingest_result_add_resolved(&r->res, g->incident_id);
		}
	}
	return rc;
}

static int resolve_job(struct rbd_tx *tx, void *arg)
{
	struct resolve *r = arg;
	int rc = 0;

	r->resolved = 0;
	for (size_t i = 0; !rc && i < r->n; i++)
		rc = resolve_one(tx, r, &r->gone[i]);
	return rc;
}

static int resolve_gone(struct rbd_app *app, struct rbd_runtime *rt,
			const struct rbd_alert_rec *gone, size_t n, int *out_resolved)
{
	struct resolve r = { .rt = rt, .now = rbd_now_ms(), .gone = gone, .n = n };
	int rc = rbd_store_write(app->store, resolve_job, &r);

	if (out_resolved)
		*out_resolved = rc ? 0 : r.resolved;
	for (size_t i = 0; !rc && i < r.res.n_resolved; i++)
		rbd_notify_incident_resolved(app, r.res.resolved_ids[i]);
	rbd_ingest_result_clear(&r.res);
	return rc;
}

int rbd_reconcile_once(struct rbd_app *app, struct rbd_reconcile_state *st, int *out_resolved)
{
	struct rbd_reconcile_state next = { 0 };
	struct rbd_runtime *rt = rbd_app_runtime(app);
	const struct rbd_config *cfg = rt->cfg;
	struct rbd_alert_rec *firing = NULL, *gone = NULL;
	size_t n_firing = 0, n_fps = 0, n_gone = 0;
	char **fps = NULL;
	int64_t now = rbd_now_ms();
	int rc;

	*out_resolved = 0;
	if (!cfg->am_url) {
		rbd_runtime_release(rt);
		return 0;
	}
	rbd_metrics_add(app->metrics, "runbookd_reconcile_attempts_total", NULL, 1);
	/* Read our side first: an alert that arrives after this read is not judged. */
	rc = rbd_store_open_firing(app->store, &firing, &n_firing);
	if (!rc && n_firing)
		rc = rbd_am_alert_fingerprints(&fps, &n_fps, cfg->am_url, 10000);
	if (rc || !n_firing)
		goto done;
	if (n_fps)
		qsort(fps, n_fps, sizeof(*fps), cmp_str);
	gone = rbd_calloc(n_firing, sizeof(*gone));
	for (size_t i = 0; i < n_firing; i++) {
		const char *key = firing[i].fingerprint;

		/* Grace: Alertmanager may not show an alert delivered a moment ago. */
		if (now - firing[i].last_seen_ms < 2000)
			continue;
		if (n_fps && bsearch(&key, fps, n_fps, sizeof(*fps), cmp_str))
			continue;
		/* Missing twice in a row: Alertmanager's own resolved notification (at most
		 * one group_interval away) gets a poll interval to arrive first. */
		if (seen_missing(st, key)) {
			gone[n_gone++] = firing[i];
			continue;
		}
		next.missing = rbd_realloc(next.missing, (next.n + 1) * sizeof(*next.missing));
		next.missing[next.n++] = rbd_strdup(key);
	}
	if (next.n)
		qsort(next.missing, next.n, sizeof(*next.missing), cmp_str);
	if (n_gone)
		rc = resolve_gone(app, rt, gone, n_gone, out_resolved);
done:
	if (!rc) {
		rbd_reconcile_state_clear(st);
		*st = next;
		rbd_metrics_set(app->metrics, "runbookd_reconcile_last_success_timestamp_seconds", NULL,
				(double)rbd_now_ms() / 1000.0);
	} else {
		rbd_reconcile_state_clear(&next);
		rbd_metrics_add(app->metrics, "runbookd_reconcile_failures_total", NULL, 1);
	}
	free(gone);   /* borrowed members: freed with firing below */
	for (size_t i = 0; i < n_firing; i++)
		rbd_alert_rec_clear(&firing[i]);
	free(firing);
	rbd_am_fingerprints_free(fps, n_fps);
	rbd_runtime_release(rt);
	return rc;
}

static void *reconciler_main(void *arg)
{
	struct rbd_reconciler *r = arg;

	pthread_mutex_lock(&r->t.mu);
	while (!atomic_load(&r->t.stopping)) {
		struct rbd_runtime *rt = rbd_app_runtime(r->app);
		int64_t poll = rt->cfg->am_poll_ms > 0 ? rt->cfg->am_poll_ms : 30000;
		int resolved = 0;

		rbd_runtime_release(rt);
		rbd_threads_wait(&r->t, poll);
		if (atomic_load(&r->t.stopping))
			break;
		pthread_mutex_unlock(&r->t.mu);
		/* Several replicas on one database: only the leader polls Alertmanager; a
		 * replica that becomes leader when the old one dies polls at its next turn. */
		if (!rbd_store_is_leader(r->app->store)) {
			pthread_mutex_lock(&r->t.mu);
			continue;
		}
		if (rbd_reconcile_once(r->app, &r->state, &resolved))
			rbd_log_warn("reconciliation with Alertmanager failed; will retry",
				     "error", rbd_err_msg());
		else if (resolved) {
			char n[16];

			snprintf(n, sizeof(n), "%d", resolved);
			rbd_log_info("resolved alerts Alertmanager no longer holds", "count", n);
		}
		pthread_mutex_lock(&r->t.mu);
	}
	pthread_mutex_unlock(&r->t.mu);
	return NULL;
}

int rbd_reconciler_start(struct rbd_reconciler **out, struct rbd_app *app)
{
	struct rbd_reconciler *r = rbd_calloc(1, sizeof(*r));

	r->app = app;
	if (rbd_threads_start(&r->t, 1, reconciler_main, r, "the reconciler thread")) {
		free(r);
		return RBD_EIO;
	}
	*out = r;
	return 0;
}

void rbd_reconciler_stop(struct rbd_reconciler *r)
{
	if (!r)
		return;
	rbd_threads_stop(&r->t);
	rbd_reconcile_state_clear(&r->state);
	free(r);
}
