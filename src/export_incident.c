/*
 * export_incident: reads one incident (its alerts, actions and events) from the store
 * and renders its export: the bytes GET /api/v1/incidents/{id}/timeline and
 * `runbookd export` both return. The rendering itself (export.c, report.c) stays
 * pure; this is the one place that feeds it from the store.
 */
#include "runbookd/export.h"
#include "runbookd/config.h"
#include "runbookd/store.h"

#include <stdlib.h>

static int iter_next(void *ctx, const struct rbd_event **ev)
{
	return rbd_store_events_next(ctx, ev);
}

static int iter_rewind(void *ctx)
{
	return rbd_store_events_rewind(ctx);
}

int rbd_export_incident(struct rbd_buf *out, struct rbd_store *store, long long id, int fmt,
			const char *lang, const struct rbd_config *cfg)
{
	char base[512] = "";
	struct rbd_incident inc;
	struct rbd_alert_rec *alerts = NULL;
	struct rbd_action_rec *actions = NULL;
	struct rbd_event_iter *it = NULL;
	size_t na = 0, nx = 0;
	struct rbd_export_src src;
	int rc = rbd_store_incident(store, &inc, id);

	if (rc)
		return rc;
	rc = rbd_store_alerts(store, &alerts, &na, id);
	if (!rc)
		rc = rbd_store_actions(store, &actions, &nx, id, NULL, 100000);
	/* Oldest first for the report. */
	for (size_t i = 0; !rc && i < nx / 2; i++) {
		struct rbd_action_rec t = actions[i];

		actions[i] = actions[nx - 1 - i];
		actions[nx - 1 - i] = t;
	}
	if (!rc)
		rc = rbd_store_events_open(store, &it, &inc);
	if (!rc) {
		if (cfg && (cfg->external_url || cfg->listen_port > 0))
			rbd_config_link_base(cfg, cfg->listen_port, base, sizeof(base));
		src = (struct rbd_export_src){ &inc, alerts, na, actions, nx, iter_next, iter_rewind, it,
					       base, cfg ? cfg->limits.approval_ttl_ms : 0 };
		rc = rbd_export_render(out, fmt, lang, &src);
	}
	rbd_store_events_close(it);
	for (size_t i = 0; i < na; i++)
		rbd_alert_rec_clear(&alerts[i]);
	free(alerts);
	for (size_t i = 0; i < nx; i++)
		rbd_action_rec_clear(&actions[i]);
	free(actions);
	rbd_incident_clear(&inc);
	return rc;
}
