/*
 * store_backend: the seam between the store's one interface (runbookd/store.h) and its
 * two backends. Each backend's store, transaction and event iterator begin with a
 * pointer to its operations table; store_api.c dispatches every rbd_store_* / rbd_tx_*
 * call through it. Private to the store; includes no third-party header.
 */
#ifndef RUNBOOKD_STORE_BACKEND_H
#define RUNBOOKD_STORE_BACKEND_H

#include "runbookd/store.h"

struct rbd_store_ops {
	const char *name;
	void (*store_close)(struct rbd_store *s);
	int (*store_migrate)(struct rbd_store *s, int *applied);
	int (*store_migrated)(const struct rbd_store *s);
	int (*store_ready)(struct rbd_store *s);
	void (*store_on_commit)(struct rbd_store *s, void (*fn)(void *ctx), void *ctx);
	void (*store_on_commit_stats)(struct rbd_store *s, void (*fn)(void *ctx, int64_t us, int jobs), void *ctx);
	int (*store_write)(struct rbd_store *s, rbd_tx_fn fn, void *arg);
	void (*store_fault_arm)(struct rbd_store *s, int nth, int count, int kind);
	int (*store_fault_seen)(struct rbd_store *s);
	int (*store_fault_hits)(struct rbd_store *s);
	int (*tx_event)(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor, int64_t action_id, const char *detail_json);
	int (*tx_open_incident)(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
	int (*tx_latest_incident)(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
	int (*tx_incident_create)(struct rbd_tx *tx, int64_t *out_id, const char *group_key, const char *title, const char *receiver, const char *group_labels_json, int64_t now_ms);
	int (*tx_incident_resolve)(struct rbd_tx *tx, int64_t id, int64_t now_ms);
	int (*tx_incident_all_resolved)(struct rbd_tx *tx, bool *out, int64_t id);
	int (*tx_notification_add)(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms, const char *group_key, const char *status, const char *receiver, int n_alerts, int64_t truncated, bool changed);
	int (*tx_episode_find)(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint, int64_t starts_ns);
	int (*tx_episode_upsert)(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id, const char *fingerprint, int64_t starts_ns, int64_t ends_ms, const char *status, const char *labels_json, const char *annotations_json, const char *generator_url, int64_t now_ms);
	int (*tx_episode_resolve)(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms);
	void (*tx_wake)(struct rbd_tx *tx);
	int (*tx_changes)(struct rbd_tx *tx);
	int (*tx_firing_alerts)(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id);
	int (*tx_action_insert)(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a);
	int (*tx_action_transition)(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, enum rbd_action_state to, const char *reason, int64_t now_ms);
	int (*tx_actions_cancel_for_alert)(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t alert_id, int64_t now_ms);
	int (*tx_action_get)(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id);
	int (*tx_approval_add)(struct rbd_tx *tx, int *out_approvals, int64_t action_id, const char *operator_name, const char *decision, const char *comment, int64_t now_ms);
	int (*tx_action_set_decided_by)(struct rbd_tx *tx, int64_t id, const char *who);
	int (*tx_approvers)(struct rbd_tx *tx, int64_t id);
	int (*tx_incident_exists)(struct rbd_tx *tx, bool *out, int64_t id);
	int (*tx_action_start)(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, int64_t now_ms);
	int (*tx_action_set_process)(struct rbd_tx *tx, int64_t id, int64_t pgid, int64_t start);
	int (*tx_action_process)(struct rbd_tx *tx, int64_t id, int64_t *pgid, int64_t *start);
	int (*tx_action_mark_dry_run)(struct rbd_tx *tx, int64_t id);
	int (*tx_action_finish)(struct rbd_tx *tx, int64_t id, enum rbd_action_state state, bool has_exit, int exit_code, int term_signal, const char *output, const char *result, const char *reason, int64_t now_ms);
	int (*tx_rule_counts)(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule, const char *command_key, int64_t now_ms);
	int (*tx_after_state)(struct rbd_tx *tx, char *out, size_t out_size, const char *rule, int64_t alert_id, int64_t incident_id, bool whole_incident);
	int (*tx_rule_trip)(struct rbd_tx *tx, const char *rule, int64_t now_ms);
	int (*tx_rule_reset)(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms);
	int (*tx_next_action)(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state, int64_t after_id);
	int (*tx_expired_approvals)(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);
	int (*tx_interrupt_running)(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);
	int (*tx_setting_set)(struct rbd_tx *tx, const char *key, const char *value);
	int64_t (*tx_incident_of_action)(struct rbd_tx *tx, int64_t action_id);
	int (*tx_setting_get)(struct rbd_tx *tx, char **out, const char *key);
	int (*store_ha_start)(struct rbd_store *s, const char *replica, int64_t lease_ms);
	bool (*store_is_leader)(struct rbd_store *s);
	int (*store_setting_get)(struct rbd_store *s, char **out, const char *key);
	int (*store_open_incident)(struct rbd_store *s, int64_t *out_id, const char *group_key);
	int (*store_incidents)(struct rbd_store *s, struct rbd_incident **out, size_t *out_n, int64_t *out_total, const char *status, int64_t limit, int64_t offset);
	int (*store_incident)(struct rbd_store *s, struct rbd_incident *out, int64_t id);
	int (*store_alerts)(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n, int64_t incident_id);
	int (*store_actions)(struct rbd_store *s, struct rbd_action_rec **out, size_t *out_n, int64_t incident_id, const char *state, int64_t limit);
	int (*store_action)(struct rbd_store *s, struct rbd_action_rec *out, int64_t id);
	int (*store_action_alert_resolved)(struct rbd_store *s, bool *out, int64_t action_id);
	int (*store_open_firing)(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n);
	int (*store_rule_stats)(struct rbd_store *s, struct rbd_rule_stats *out, const char *rule, int64_t now_ms);
	int (*store_action_state_counts)(struct rbd_store *s, void (*fn)(void *ctx, const char *state, int64_t n), void *ctx);
	int (*store_gauges)(struct rbd_store *s, struct rbd_store_gauges *out);
	int (*store_decisions)(struct rbd_store *s, struct rbd_decision **out, size_t *out_n, int64_t *out_expires_ms, int64_t action_id);
	int (*store_events_open)(struct rbd_store *s, struct rbd_event_iter **out, const struct rbd_incident *inc);
	int (*store_events_next)(struct rbd_event_iter *it, const struct rbd_event **ev);
	int (*store_events_rewind)(struct rbd_event_iter *it);
	void (*store_events_close)(struct rbd_event_iter *it);
};

/* The operations of an object whose first member is its table (store, tx, iterator). */
#define RBD_STORE_OPS(obj) (*(const struct rbd_store_ops *const *)(const void *)(obj))

/* SQLite: src/store.c, store_tx.c, store_read.c */
extern const struct rbd_store_ops rbd_store_sq_ops;
int rbd_sq_store_open(struct rbd_store **out, const char *path, int flags);
void rbd_sq_store_close(struct rbd_store *s);
int rbd_sq_store_migrate(struct rbd_store *s, int *applied);
int rbd_sq_store_migrated(const struct rbd_store *s);
int rbd_sq_store_ready(struct rbd_store *s);
void rbd_sq_store_on_commit(struct rbd_store *s, void (*fn)(void *ctx), void *ctx);
void rbd_sq_store_on_commit_stats(struct rbd_store *s, void (*fn)(void *ctx, int64_t us, int jobs), void *ctx);
int rbd_sq_store_write(struct rbd_store *s, rbd_tx_fn fn, void *arg);
void rbd_sq_store_fault_arm(struct rbd_store *s, int nth, int count, int kind);
int rbd_sq_store_fault_seen(struct rbd_store *s);
int rbd_sq_store_fault_hits(struct rbd_store *s);
int rbd_sq_tx_event(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor, int64_t action_id, const char *detail_json);
int rbd_sq_tx_open_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
int rbd_sq_tx_latest_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
int rbd_sq_tx_incident_create(struct rbd_tx *tx, int64_t *out_id, const char *group_key, const char *title, const char *receiver, const char *group_labels_json, int64_t now_ms);
int rbd_sq_tx_incident_resolve(struct rbd_tx *tx, int64_t id, int64_t now_ms);
int rbd_sq_tx_incident_all_resolved(struct rbd_tx *tx, bool *out, int64_t id);
int rbd_sq_tx_notification_add(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms, const char *group_key, const char *status, const char *receiver, int n_alerts, int64_t truncated, bool changed);
int rbd_sq_tx_episode_find(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint, int64_t starts_ns);
int rbd_sq_tx_episode_upsert(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id, const char *fingerprint, int64_t starts_ns, int64_t ends_ms, const char *status, const char *labels_json, const char *annotations_json, const char *generator_url, int64_t now_ms);
int rbd_sq_tx_episode_resolve(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms);
void rbd_sq_tx_wake(struct rbd_tx *tx);
int rbd_sq_tx_changes(struct rbd_tx *tx);
int rbd_sq_tx_firing_alerts(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id);
int rbd_sq_tx_action_insert(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a);
int rbd_sq_tx_action_transition(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, enum rbd_action_state to, const char *reason, int64_t now_ms);
int rbd_sq_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t alert_id, int64_t now_ms);
int rbd_sq_tx_action_get(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id);
int rbd_sq_tx_approval_add(struct rbd_tx *tx, int *out_approvals, int64_t action_id, const char *operator_name, const char *decision, const char *comment, int64_t now_ms);
int rbd_sq_tx_action_set_decided_by(struct rbd_tx *tx, int64_t id, const char *who);
int rbd_sq_tx_approvers(struct rbd_tx *tx, int64_t id);
int rbd_sq_tx_incident_exists(struct rbd_tx *tx, bool *out, int64_t id);
int rbd_sq_tx_action_start(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, int64_t now_ms);
int rbd_sq_tx_action_set_process(struct rbd_tx *tx, int64_t id, int64_t pgid, int64_t start);
int rbd_sq_tx_action_process(struct rbd_tx *tx, int64_t id, int64_t *pgid, int64_t *start);
int rbd_sq_tx_action_mark_dry_run(struct rbd_tx *tx, int64_t id);
int rbd_sq_tx_action_finish(struct rbd_tx *tx, int64_t id, enum rbd_action_state state, bool has_exit, int exit_code, int term_signal, const char *output, const char *result, const char *reason, int64_t now_ms);
int rbd_sq_tx_rule_counts(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule, const char *command_key, int64_t now_ms);
int rbd_sq_tx_after_state(struct rbd_tx *tx, char *out, size_t out_size, const char *rule, int64_t alert_id, int64_t incident_id, bool whole_incident);
int rbd_sq_tx_rule_trip(struct rbd_tx *tx, const char *rule, int64_t now_ms);
int rbd_sq_tx_rule_reset(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms);
int rbd_sq_tx_next_action(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state, int64_t after_id);
int rbd_sq_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);
int rbd_sq_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);
int rbd_sq_tx_setting_set(struct rbd_tx *tx, const char *key, const char *value);
int64_t rbd_sq_tx_incident_of_action(struct rbd_tx *tx, int64_t action_id);
int rbd_sq_tx_setting_get(struct rbd_tx *tx, char **out, const char *key);
int rbd_sq_store_ha_start(struct rbd_store *s, const char *replica, int64_t lease_ms);
bool rbd_sq_store_is_leader(struct rbd_store *s);
int rbd_sq_store_setting_get(struct rbd_store *s, char **out, const char *key);
int rbd_sq_store_open_incident(struct rbd_store *s, int64_t *out_id, const char *group_key);
int rbd_sq_store_incidents(struct rbd_store *s, struct rbd_incident **out, size_t *out_n, int64_t *out_total, const char *status, int64_t limit, int64_t offset);
int rbd_sq_store_incident(struct rbd_store *s, struct rbd_incident *out, int64_t id);
int rbd_sq_store_alerts(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n, int64_t incident_id);
int rbd_sq_store_actions(struct rbd_store *s, struct rbd_action_rec **out, size_t *out_n, int64_t incident_id, const char *state, int64_t limit);
int rbd_sq_store_action(struct rbd_store *s, struct rbd_action_rec *out, int64_t id);
int rbd_sq_store_action_alert_resolved(struct rbd_store *s, bool *out, int64_t action_id);
int rbd_sq_store_open_firing(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n);
int rbd_sq_store_rule_stats(struct rbd_store *s, struct rbd_rule_stats *out, const char *rule, int64_t now_ms);
int rbd_sq_store_action_state_counts(struct rbd_store *s, void (*fn)(void *ctx, const char *state, int64_t n), void *ctx);
int rbd_sq_store_gauges(struct rbd_store *s, struct rbd_store_gauges *out);
int rbd_sq_store_decisions(struct rbd_store *s, struct rbd_decision **out, size_t *out_n, int64_t *out_expires_ms, int64_t action_id);
int rbd_sq_store_events_open(struct rbd_store *s, struct rbd_event_iter **out, const struct rbd_incident *inc);
int rbd_sq_store_events_next(struct rbd_event_iter *it, const struct rbd_event **ev);
int rbd_sq_store_events_rewind(struct rbd_event_iter *it);
void rbd_sq_store_events_close(struct rbd_event_iter *it);

/* PostgreSQL: src/store_pg.c, store_pg_tx.c, store_pg_read.c */
extern const struct rbd_store_ops rbd_store_pg_ops;
int rbd_pg_store_open(struct rbd_store **out, const char *path, int flags,
		      const char *password_file);
void rbd_pg_store_close(struct rbd_store *s);
int rbd_pg_store_migrate(struct rbd_store *s, int *applied);
int rbd_pg_store_migrated(const struct rbd_store *s);
int rbd_pg_store_ready(struct rbd_store *s);
void rbd_pg_store_on_commit(struct rbd_store *s, void (*fn)(void *ctx), void *ctx);
void rbd_pg_store_on_commit_stats(struct rbd_store *s, void (*fn)(void *ctx, int64_t us, int jobs), void *ctx);
int rbd_pg_store_write(struct rbd_store *s, rbd_tx_fn fn, void *arg);
void rbd_pg_store_fault_arm(struct rbd_store *s, int nth, int count, int kind);
int rbd_pg_store_fault_seen(struct rbd_store *s);
int rbd_pg_store_fault_hits(struct rbd_store *s);
int rbd_pg_tx_event(struct rbd_tx *tx, int64_t incident_id, const char *kind, const char *actor, int64_t action_id, const char *detail_json);
int rbd_pg_tx_open_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
int rbd_pg_tx_latest_incident(struct rbd_tx *tx, int64_t *out_id, const char *group_key);
int rbd_pg_tx_incident_create(struct rbd_tx *tx, int64_t *out_id, const char *group_key, const char *title, const char *receiver, const char *group_labels_json, int64_t now_ms);
int rbd_pg_tx_incident_resolve(struct rbd_tx *tx, int64_t id, int64_t now_ms);
int rbd_pg_tx_incident_all_resolved(struct rbd_tx *tx, bool *out, int64_t id);
int rbd_pg_tx_notification_add(struct rbd_tx *tx, int64_t incident_id, int64_t now_ms, const char *group_key, const char *status, const char *receiver, int n_alerts, int64_t truncated, bool changed);
int rbd_pg_tx_episode_find(struct rbd_tx *tx, struct rbd_episode *out, const char *fingerprint, int64_t starts_ns);
int rbd_pg_tx_episode_upsert(struct rbd_tx *tx, struct rbd_episode *out, int64_t incident_id, const char *fingerprint, int64_t starts_ns, int64_t ends_ms, const char *status, const char *labels_json, const char *annotations_json, const char *generator_url, int64_t now_ms);
int rbd_pg_tx_episode_resolve(struct rbd_tx *tx, int64_t alert_id, int64_t ends_ms, int64_t now_ms);
void rbd_pg_tx_wake(struct rbd_tx *tx);
int rbd_pg_tx_changes(struct rbd_tx *tx);
int rbd_pg_tx_firing_alerts(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t incident_id);
int rbd_pg_tx_action_insert(struct rbd_tx *tx, int64_t *out_id, const struct rbd_action_new *a);
int rbd_pg_tx_action_transition(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, enum rbd_action_state to, const char *reason, int64_t now_ms);
int rbd_pg_tx_actions_cancel_for_alert(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t alert_id, int64_t now_ms);
int rbd_pg_tx_action_get(struct rbd_tx *tx, struct rbd_action_rec *out, int64_t id);
int rbd_pg_tx_approval_add(struct rbd_tx *tx, int *out_approvals, int64_t action_id, const char *operator_name, const char *decision, const char *comment, int64_t now_ms);
int rbd_pg_tx_action_set_decided_by(struct rbd_tx *tx, int64_t id, const char *who);
int rbd_pg_tx_approvers(struct rbd_tx *tx, int64_t id);
int rbd_pg_tx_incident_exists(struct rbd_tx *tx, bool *out, int64_t id);
int rbd_pg_tx_action_start(struct rbd_tx *tx, int64_t id, enum rbd_action_state from, int64_t now_ms);
int rbd_pg_tx_action_set_process(struct rbd_tx *tx, int64_t id, int64_t pgid, int64_t start);
int rbd_pg_tx_action_process(struct rbd_tx *tx, int64_t id, int64_t *pgid, int64_t *start);
int rbd_pg_tx_action_mark_dry_run(struct rbd_tx *tx, int64_t id);
int rbd_pg_tx_action_finish(struct rbd_tx *tx, int64_t id, enum rbd_action_state state, bool has_exit, int exit_code, int term_signal, const char *output, const char *result, const char *reason, int64_t now_ms);
int rbd_pg_tx_rule_counts(struct rbd_tx *tx, struct rbd_rule_counts *out, const char *rule, const char *command_key, int64_t now_ms);
int rbd_pg_tx_after_state(struct rbd_tx *tx, char *out, size_t out_size, const char *rule, int64_t alert_id, int64_t incident_id, bool whole_incident);
int rbd_pg_tx_rule_trip(struct rbd_tx *tx, const char *rule, int64_t now_ms);
int rbd_pg_tx_rule_reset(struct rbd_tx *tx, const char *rule, const char *who, int64_t now_ms);
int rbd_pg_tx_next_action(struct rbd_tx *tx, int64_t *out_id, enum rbd_action_state state, int64_t after_id);
int rbd_pg_tx_expired_approvals(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);
int rbd_pg_tx_interrupt_running(struct rbd_tx *tx, int64_t **out, size_t *out_n, int64_t now_ms);
int rbd_pg_tx_setting_set(struct rbd_tx *tx, const char *key, const char *value);
int64_t rbd_pg_tx_incident_of_action(struct rbd_tx *tx, int64_t action_id);
int rbd_pg_tx_setting_get(struct rbd_tx *tx, char **out, const char *key);
int rbd_pg_store_ha_start(struct rbd_store *s, const char *replica, int64_t lease_ms);
bool rbd_pg_store_is_leader(struct rbd_store *s);
int rbd_pg_store_setting_get(struct rbd_store *s, char **out, const char *key);
int rbd_pg_store_open_incident(struct rbd_store *s, int64_t *out_id, const char *group_key);
int rbd_pg_store_incidents(struct rbd_store *s, struct rbd_incident **out, size_t *out_n, int64_t *out_total, const char *status, int64_t limit, int64_t offset);
int rbd_pg_store_incident(struct rbd_store *s, struct rbd_incident *out, int64_t id);
int rbd_pg_store_alerts(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n, int64_t incident_id);
int rbd_pg_store_actions(struct rbd_store *s, struct rbd_action_rec **out, size_t *out_n, int64_t incident_id, const char *state, int64_t limit);
int rbd_pg_store_action(struct rbd_store *s, struct rbd_action_rec *out, int64_t id);
int rbd_pg_store_action_alert_resolved(struct rbd_store *s, bool *out, int64_t action_id);
int rbd_pg_store_open_firing(struct rbd_store *s, struct rbd_alert_rec **out, size_t *out_n);
int rbd_pg_store_rule_stats(struct rbd_store *s, struct rbd_rule_stats *out, const char *rule, int64_t now_ms);
int rbd_pg_store_action_state_counts(struct rbd_store *s, void (*fn)(void *ctx, const char *state, int64_t n), void *ctx);
int rbd_pg_store_gauges(struct rbd_store *s, struct rbd_store_gauges *out);
int rbd_pg_store_decisions(struct rbd_store *s, struct rbd_decision **out, size_t *out_n, int64_t *out_expires_ms, int64_t action_id);
int rbd_pg_store_events_open(struct rbd_store *s, struct rbd_event_iter **out, const struct rbd_incident *inc);
int rbd_pg_store_events_next(struct rbd_event_iter *it, const struct rbd_event **ev);
int rbd_pg_store_events_rewind(struct rbd_event_iter *it);
void rbd_pg_store_events_close(struct rbd_event_iter *it);

#endif
