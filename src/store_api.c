/*
 * store_api: runbookd/store.h, dispatched to the backend that opened the store
 * (store_backend.h). `database:` a postgres:// or postgresql:// URL is PostgreSQL,
 * anything else a SQLite path.
 */
#include "store_backend.h"

#include <stdio.h>
#include <string.h>

static int is_pg_url(const char *path)
{
	return strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0;
}

int rbd_store_open_with(struct rbd_store **out, const char *path, int flags,
			const char *password_file)
{
	return is_pg_url(path) ? rbd_pg_store_open(out, path, flags, password_file)
			       : rbd_sq_store_open(out, path, flags);
}

int rbd_store_open(struct rbd_store **out, const char *path, int flags)
{
	return rbd_store_open_with(out, path, flags, NULL);
}

void rbd_store_display(char *out, size_t cap, const char *path)
{
	const char *scheme = strstr(path, "://");
	const char *at, *colon;

	snprintf(out, cap, "%s", path);
	if (!is_pg_url(path) || !scheme)
		return;
	at = strchr(scheme + 3, '@');
	colon = strchr(scheme + 3, ':');
	if (at && colon && colon < at && !memchr(scheme + 3, '/', (size_t)(at - scheme - 3)))
		snprintf(out, cap, "%.*s:***%s", (int)(colon - path), path, at);
}

const struct rbd_store_ops rbd_store_sq_ops = {
	.name = "sqlite",
	.store_close = rbd_sq_store_close,
	.store_migrate = rbd_sq_store_migrate,
	.store_migrated = rbd_sq_store_migrated,
	.store_ready = rbd_sq_store_ready,
	.store_on_commit = rbd_sq_store_on_commit,
	.store_on_commit_stats = rbd_sq_store_on_commit_stats,
	.store_write = rbd_sq_store_write,
	.store_fault_arm = rbd_sq_store_fault_arm,
	.store_fault_seen = rbd_sq_store_fault_seen,
	.store_fault_hits = rbd_sq_store_fault_hits,
	.tx_event = rbd_sq_tx_event,
	.tx_open_incident = rbd_sq_tx_open_incident,
	.tx_latest_incident = rbd_sq_tx_latest_incident,
	.tx_incident_create = rbd_sq_tx_incident_create,
	.tx_incident_resolve = rbd_sq_tx_incident_resolve,
	.tx_incident_all_resolved = rbd_sq_tx_incident_all_resolved,
	.tx_notification_add = rbd_sq_tx_notification_add,
	.tx_episode_find = rbd_sq_tx_episode_find,
	.tx_episode_upsert = rbd_sq_tx_episode_upsert,
	.tx_episode_resolve = rbd_sq_tx_episode_resolve,
	.tx_wake = rbd_sq_tx_wake,
	.tx_changes = rbd_sq_tx_changes,
	.tx_firing_alerts = rbd_sq_tx_firing_alerts,
	.tx_action_insert = rbd_sq_tx_action_insert,
	.tx_action_transition = rbd_sq_tx_action_transition,
	.tx_actions_cancel_for_alert = rbd_sq_tx_actions_cancel_for_alert,
	.tx_action_get = rbd_sq_tx_action_get,
	.tx_approval_add = rbd_sq_tx_approval_add,
	.tx_action_set_decided_by = rbd_sq_tx_action_set_decided_by,
	.tx_approvers = rbd_sq_tx_approvers,
	.tx_incident_exists = rbd_sq_tx_incident_exists,
	.tx_action_start = rbd_sq_tx_action_start,
	.tx_action_set_process = rbd_sq_tx_action_set_process,
	.tx_action_process = rbd_sq_tx_action_process,
	.tx_action_mark_dry_run = rbd_sq_tx_action_mark_dry_run,
	.tx_action_finish = rbd_sq_tx_action_finish,
	.tx_rule_counts = rbd_sq_tx_rule_counts,
	.tx_after_state = rbd_sq_tx_after_state,
	.tx_rule_trip = rbd_sq_tx_rule_trip,
	.tx_rule_reset = rbd_sq_tx_rule_reset,
	.tx_next_action = rbd_sq_tx_next_action,
	.tx_expired_approvals = rbd_sq_tx_expired_approvals,
	.tx_interrupt_running = rbd_sq_tx_interrupt_running,
	.tx_setting_set = rbd_sq_tx_setting_set,
	.tx_incident_of_action = rbd_sq_tx_incident_of_action,
	.tx_setting_get = rbd_sq_tx_setting_get,
	.store_ha_start = rbd_sq_store_ha_start,
	.store_is_leader = rbd_sq_store_is_leader,
	.store_setting_get = rbd_sq_store_setting_get,
	.store_open_incident = rbd_sq_store_open_incident,
	.store_incidents = rbd_sq_store_incidents,
	.store_incident = rbd_sq_store_incident,
	.store_alerts = rbd_sq_store_alerts,
	.store_actions = rbd_sq_store_actions,
	.store_action = rbd_sq_store_action,
	.store_action_alert_resolved = rbd_sq_store_action_alert_resolved,
	.store_open_firing = rbd_sq_store_open_firing,
	.store_rule_stats = rbd_sq_store_rule_stats,
	.store_action_state_counts = rbd_sq_store_action_state_counts,
	.store_gauges = rbd_sq_store_gauges,
	.store_decisions = rbd_sq_store_decisions,
	.store_events_open = rbd_sq_store_events_open,
	.store_events_next = rbd_sq_store_events_next,
	.store_events_rewind = rbd_sq_store_events_rewind,
	.store_events_close = rbd_sq_store_events_close,
};

const struct rbd_store_ops rbd_store_pg_ops = {
	.name = "postgresql",
	.store_close = rbd_pg_store_close,
	.store_migrate = rbd_pg_store_migrate,
	.store_migrated = rbd_pg_store_migrated,
	.store_ready = rbd_pg_store_ready,
	.store_on_commit = rbd_pg_store_on_commit,
	.store_on_commit_stats = rbd_pg_store_on_commit_stats,
	.store_write = rbd_pg_store_write,
	.store_fault_arm = rbd_pg_store_fault_arm,
	.store_fault_seen = rbd_pg_store_fault_seen,
	.store_fault_hits = rbd_pg_store_fault_hits,
	.tx_event = rbd_pg_tx_event,
	.tx_open_incident = rbd_pg_tx_open_incident,
	.tx_latest_incident = rbd_pg_tx_latest_incident,
	.tx_incident_create = rbd_pg_tx_incident_create,
	.tx_incident_resolve = rbd_pg_tx_incident_resolve,
	.tx_incident_all_resolved = rbd_pg_tx_incident_all_resolved,
	.tx_notification_add = rbd_pg_tx_notification_add,
	.tx_episode_find = rbd_pg_tx_episode_find,
	.tx_episode_upsert = rbd_pg_tx_episode_upsert,
	.tx_episode_resolve = rbd_pg_tx_episode_resolve,
	.tx_wake = rbd_pg_tx_wake,
	.tx_changes = rbd_pg_tx_changes,
	.tx_firing_alerts = rbd_pg_tx_firing_alerts,
	.tx_action_insert = rbd_pg_tx_action_insert,
	.tx_action_transition = rbd_pg_tx_action_transition,
	.tx_actions_cancel_for_alert = rbd_pg_tx_actions_cancel_for_alert,
	.tx_action_get = rbd_pg_tx_action_get,
	.tx_approval_add = rbd_pg_tx_approval_add,
	.tx_action_set_decided_by = rbd_pg_tx_action_set_decided_by,
	.tx_approvers = rbd_pg_tx_approvers,
	.tx_incident_exists = rbd_pg_tx_incident_exists,
	.tx_action_start = rbd_pg_tx_action_start,
	.tx_action_set_process = rbd_pg_tx_action_set_process,
	.tx_action_process = rbd_pg_tx_action_process,
	.tx_action_mark_dry_run = rbd_pg_tx_action_mark_dry_run,
	.tx_action_finish = rbd_pg_tx_action_finish,
	.tx_rule_counts = rbd_pg_tx_rule_counts,
	.tx_after_state = rbd_pg_tx_after_state,
	.tx_rule_trip = rbd_pg_tx_rule_trip,
	.tx_rule_reset = rbd_pg_tx_rule_reset,
	.tx_next_action = rbd_pg_tx_next_action,
	.tx_expired_approvals = rbd_pg_tx_expired_approvals,
	.tx_interrupt_running = rbd_pg_tx_interrupt_running,
	.tx_setting_set = rbd_pg_tx_setting_set,
	.tx_incident_of_action = rbd_pg_tx_incident_of_action,
	.tx_setting_get = rbd_pg_tx_setting_get,
	.store_ha_start = rbd_pg_store_ha_start,
	.store_is_leader = rbd_pg_store_is_leader,
	.store_setting_get = rbd_pg_store_setting_get,
	.store_open_incident = rbd_pg_store_open_incident,
	.store_incidents = rbd_pg_store_incidents,
	.store_incident = rbd_pg_store_incident,
	.store_alerts = rbd_pg_store_alerts,
	.store_actions = rbd_pg_store_actions,
	.store_action = rbd_pg_store_action,
	.store_action_alert_resolved = rbd_pg_store_action_alert_resolved,
	.store_open_firing = rbd_pg_store_open_firing,
	.store_rule_stats = rbd_pg_store_rule_stats,
	.store_action_state_counts = rbd_pg_store_action_state_counts,
	.store_gauges = rbd_pg_store_gauges,
	.store_decisions = rbd_pg_store_decisions,
	.store_events_open = rbd_pg_store_events_open,
	.store_events_next = rbd_pg_store_events_next,
	.store_events_rewind = rbd_pg_store_events_rewind,
	.store_events_close = rbd_pg_store_events_close,
};

void rbd_store_close(struct rbd_store *s)
{
	if (s)
		RBD_STORE_OPS(s)->store_close(s);
}

int rbd_store_migrate(struct rbd_store *s, int *applied)
{
	return RBD_STORE_OPS(s)->store_migrate(s, applied);
}

int rbd_store_migrated(const struct rbd_store *s)
{
	return RBD_STORE_OPS(s)->store_migrated(s);
}

int rbd_store_ready(struct rbd_store *s)
{
	return RBD_STORE_OPS(s)->store_ready(s);
}

void rbd_store_on_commit(struct rbd_store *s, void (*fn)(void *ctx), void *ctx)
{
	RBD_STORE_OPS(s)->store_on_commit(s, fn, ctx);
}

void rbd_store_on_commit_stats(struct rbd_store *s, void (*fn)(void *ctx, int64_t us, int jobs), void *ctx)
{
	RBD_STORE_OPS(s)->store_on_commit_stats(s, fn, ctx);
}

int rbd_store_write(struct rbd_store *s, rbd_tx_fn fn, void *arg)
{
	return RBD_STORE_OPS(s)->store_write(s, fn, arg);
}

void rbd_store_fault_arm(struct rbd_store *s, int nth, int count, int kind)
{
	RBD_STORE_OPS(s)->store_fault_arm(s, nth, count, kind);
}

int rbd_store_fault_seen(struct rbd_store *s)
{
	return RBD_STORE_OPS(s)->store_fault_seen(s);
}

int rbd_store_fault_hits(struct rbd_store *s)
{
	return RBD_STORE_OPS(s)->store_fault_hits(s);
}

int rbd_tx_event(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor, int64_t action_id, const char *detail_json)
{
	return RBD_STORE_OPS(tx)->tx_event(tx, incident_id, kind, actor, action_id, detail_json);
}

int rbd_tx_open_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	return RBD_STORE_OPS(tx)->tx_open_incident(tx, out_id, group_key);
}

int rbd_tx_latest_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key)
{
	return RBD_STORE_OPS(tx)->tx_latest_incident(tx, out_id, group_key);
}

int rbd_tx_incident_create(struct rbd_tx *tx, int64_t *out_id, const char *group_key, const char *title, const char *receiver, const char *group_labels_json, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_incident_create(tx, out_id, group_key, title, receiver, group_labels_json, now_ms);
}

int rbd_tx_incident_resolve(struct rbd_tx *tx, int64_t id, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_incident_resolve(tx, id, now_ms);
}

int rbd_tx_incident_all_resolved(struct rbd_tx *tx, bool *out, int64_t id)
{
	return RBD_STORE_OPS(tx)->tx_incident_all_resolved(tx, out, id);
}

int rbd_tx_notification_add(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms, const char *group_key, const char *status, const char *receiver, int n_alerts, int64_t truncated, bool changed)
{
	return RBD_STORE_OPS(tx)->tx_notification_add(tx, incident_id, now_ms, group_key, status, receiver, n_alerts, truncated, changed);
}

int rbd_tx_episode_find(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint, int64_t starts_ns)
{
	return RBD_STORE_OPS(tx)->tx_episode_find(tx, out, fingerprint, starts_ns);
}

int rbd_tx_episode_upsert(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id, const char *fingerprint, int64_t starts_ns, int64_t ends_ms, const char *status, const char *labels_json, const char *annotations_json, const char *generator_url, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_episode_upsert(tx, out, incident_id, fingerprint, starts_ns, ends_ms, status, labels_json, annotations_json, generator_url, now_ms);
}

int rbd_tx_episode_resolve(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_episode_resolve(tx, alert_id, ends_ms, now_ms);
}

void rbd_tx_wake(struct rbd_tx *tx)
{
	RBD_STORE_OPS(tx)->tx_wake(tx);
}

int rbd_tx_changes(struct rbd_tx *tx)
{
	return RBD_STORE_OPS(tx)->tx_changes(tx);
}

int rbd_tx_firing_alerts(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id)
{
	return RBD_STORE_OPS(tx)->tx_firing_alerts(tx, out, out_n, incident_id);
}

int rbd_tx_action_insert(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a)
{
	return RBD_STORE_OPS(tx)->tx_action_insert(tx, out_id, a);
}

int rbd_tx_action_transition(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, enum rbd_action_state to, const char *reason, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_action_transition(tx, id, from, to, reason, now_ms);
}

int rbd_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t alert_id, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_actions_cancel_for_alert(tx, out, out_n, alert_id, now_ms);
}

int rbd_tx_action_get(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id)
{
	return RBD_STORE_OPS(tx)->tx_action_get(tx, out, id);
}

int rbd_tx_approval_add(struct rbd_tx *tx, int *out_approvals, int64_t action_id, const char *operator_name, const char *decision, const char *comment, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_approval_add(tx, out_approvals, action_id, operator_name, decision, comment, now_ms);
}

int rbd_tx_action_set_decided_by(struct rbd_tx *tx, int64_t id, const char *who)
{
	return RBD_STORE_OPS(tx)->tx_action_set_decided_by(tx, id, who);
}

int rbd_tx_approvers(struct rbd_tx *tx, int64_t id)
{
	return RBD_STORE_OPS(tx)->tx_approvers(tx, id);
}

int rbd_tx_incident_exists(struct rbd_tx *tx, bool *out, int64_t id)
{
	return RBD_STORE_OPS(tx)->tx_incident_exists(tx, out, id);
}

int rbd_tx_action_start(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_action_start(tx, id, from, now_ms);
}

int rbd_tx_action_set_process(struct rbd_tx *tx, int64_t id, int64_t pgid, int64_t start)
{
	return RBD_STORE_OPS(tx)->tx_action_set_process(tx, id, pgid, start);
}

int rbd_tx_action_process(struct rbd_tx *tx, int64_t id, int64_t *pgid, int64_t *start)
{
	return RBD_STORE_OPS(tx)->tx_action_process(tx, id, pgid, start);
}

int rbd_tx_action_mark_dry_run(struct rbd_tx *tx, int64_t id)
{
	return RBD_STORE_OPS(tx)->tx_action_mark_dry_run(tx, id);
}

int rbd_tx_action_finish(struct rbd_tx *tx, int64_t id, enum rbd_action_state state, bool has_exit, int exit_code, int term_signal, const char *output, const char *result, const char *reason, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_action_finish(tx, id, state, has_exit, exit_code, term_signal, output, result, reason, now_ms);
}

int rbd_tx_rule_counts(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule, const char *command_key, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_rule_counts(tx, out, rule, command_key, now_ms);
}

int rbd_tx_rule_trip(struct rbd_tx *tx, const char *rule, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_rule_trip(tx, rule, now_ms);
}

int rbd_tx_rule_reset(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_rule_reset(tx, rule, who, now_ms);
}

int rbd_tx_next_action(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state, int64_t after_id)
{
	return RBD_STORE_OPS(tx)->tx_next_action(tx, out_id, state, after_id);
}

int rbd_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_expired_approvals(tx, out, out_n, now_ms);
}

int rbd_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms)
{
	return RBD_STORE_OPS(tx)->tx_interrupt_running(tx, out, out_n, now_ms);
}

int rbd_tx_setting_set(struct rbd_tx *tx, const char *key, const char *value)
{
	return RBD_STORE_OPS(tx)->tx_setting_set(tx, key, value);
}

int64_t rbd_tx_incident_of_action(struct rbd_tx *tx, int64_t action_id)
{
	return RBD_STORE_OPS(tx)->tx_incident_of_action(tx, action_id);
}

int rbd_tx_setting_get(struct rbd_tx *tx, char **out, const char *key)
{
	return RBD_STORE_OPS(tx)->tx_setting_get(tx, out, key);
}

int rbd_store_ha_start(struct rbd_store *s, const char *replica, int64_t lease_ms)
{
	return RBD_STORE_OPS(s)->store_ha_start(s, replica, lease_ms);
}

bool rbd_store_is_leader(struct rbd_store *s)
{
	return RBD_STORE_OPS(s)->store_is_leader(s);
}

int rbd_store_setting_get(struct rbd_store *s, char **out, const char *key)
{
	return RBD_STORE_OPS(s)->store_setting_get(s, out, key);
}

int rbd_store_open_incident(struct rbd_store *s, int64_t *out_id, const char *group_key)
{
	return RBD_STORE_OPS(s)->store_open_incident(s, out_id, group_key);
}

int rbd_store_incidents(struct rbd_store *s, struct rbd_incident **out, size_t *out_n, int64_t *out_total, const char *status, int64_t limit, int64_t offset)
{
	return RBD_STORE_OPS(s)->store_incidents(s, out, out_n, out_total, status, limit, offset);
}

int rbd_store_incident(struct rbd_store *s, struct rbd_incident *out, int64_t id)
{
	return RBD_STORE_OPS(s)->store_incident(s, out, id);
}

int rbd_store_alerts(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n, int64_t incident_id)
{
	return RBD_STORE_OPS(s)->store_alerts(s, out, out_n, incident_id);
}

int rbd_store_actions(struct rbd_store *s, struct rbd_action_rec **out, size_t *out_n, int64_t incident_id, const char *state, int64_t limit)
{
	return RBD_STORE_OPS(s)->store_actions(s, out, out_n, incident_id, state, limit);
}

int rbd_tx_after_state(struct rbd_tx *tx, char *out, size_t out_size, const char *rule,
		       int64_t alert_id, int64_t incident_id, bool whole_incident)
{
	return RBD_STORE_OPS(tx)->tx_after_state(tx, out, out_size, rule, alert_id, incident_id,
						 whole_incident);
}

int rbd_store_action_alert_resolved(struct rbd_store *s, bool *out, int64_t action_id)
{
	return RBD_STORE_OPS(s)->store_action_alert_resolved(s, out, action_id);
}

int rbd_store_action(struct rbd_store *s, struct rbd_action_rec *out, int64_t id)
{
	return RBD_STORE_OPS(s)->store_action(s, out, id);
}

int rbd_store_open_firing(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n)
{
	return RBD_STORE_OPS(s)->store_open_firing(s, out, out_n);
}

int rbd_store_rule_stats(struct rbd_store *s, struct rbd_rule_stats *out, const char *rule, int64_t now_ms)
{
	return RBD_STORE_OPS(s)->store_rule_stats(s, out, rule, now_ms);
}

int rbd_store_action_state_counts(struct rbd_store *s, void (*fn)(void *ctx, const char *state, int64_t n), void *ctx)
{
	return RBD_STORE_OPS(s)->store_action_state_counts(s, fn, ctx);
}

int rbd_store_gauges(struct rbd_store *s, struct rbd_store_gauges *out)
{
	return RBD_STORE_OPS(s)->store_gauges(s, out);
}

int rbd_store_decisions(struct rbd_store *s, struct rbd_decision **out, size_t *out_n, int64_t *out_expires_ms, int64_t action_id)
{
	return RBD_STORE_OPS(s)->store_decisions(s, out, out_n, out_expires_ms, action_id);
}

int rbd_store_events_open(struct rbd_store *s, struct rbd_event_iter **out, const struct rbd_incident *inc)
{
	return RBD_STORE_OPS(s)->store_events_open(s, out, inc);
}

int rbd_store_events_next(struct rbd_event_iter *it, const struct rbd_event **ev)
{
	return RBD_STORE_OPS(it)->store_events_next(it, ev);
}

int rbd_store_events_rewind(struct rbd_event_iter *it)
{
	return RBD_STORE_OPS(it)->store_events_rewind(it);
}

void rbd_store_events_close(struct rbd_event_iter *it)
{
	if (it)
		RBD_STORE_OPS(it)->store_events_close(it);
}

const char *rbd_store_backend(const struct rbd_store *s)
{
	return RBD_STORE_OPS(s)->name;
}
