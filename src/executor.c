/*
 * executor: claims runnable actions through the store and runs them.
 *
 * Must never: spawn or request anything without a committed `running` state, run an
 * action in dry-run mode or while paused, run anything but the stored rendering, or
 * block ingest (it runs on its own threads; the store serialises the claims).
 */
#include "runbookd/executor.h"
#include "runbookd/actions.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/exec.h"
#include "runbookd/gates.h"
#include "runbookd/amclient.h"
#include "runbookd/httpc.h"
#include "runbookd/log.h"
#include "runbookd/notify.h"
#include "runbookd/ops.h"
#include "runbookd/threads.h"
#include "runbookd/timeline.h"
#include "runbookd/timeutil.h"
#include "runbookd/utf8.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A claim or result commit that failed is retried after 100 ms, doubling up to 5 s. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
/* While stopping, a result that cannot be stored is retried this long, then given up
 * (the row stays `running` and becomes `interrupted` at the next start: never re-run). */
#define STOP_RETRY_MS 5000

struct rbd_executor {
	struct rbd_app *app;
	struct rbd_threads t;  /* the workers; gen is guarded by t.mu */
	uint64_t gen;
	atomic_llong last_sweep;
};

/* What a claim hands to the worker: the stored rendering, run outside the transaction. */
struct claim {
	struct rbd_runtime *rt;
	int64_t id;
	int64_t incident_id;
	char *rule;
	struct rbd_rendered r;
	bool paused;          /* the kill switch as the claim read it from the database */
	bool paused_known;    /* the setting exists (else: never paused) */
	bool claimed;
	bool more;            /* something was skipped or cancelled: look again soon */
};

struct outcome {
	enum rbd_action_state state;    /* succeeded | failed | timed_out | cancelled */
	bool has_exit;
	int exit_code;
	int term_signal;
	char *output;
	char *result;
	char reason[256];
	int64_t duration_ms;
};

/* Moves an action to a terminal state without running it, with its event. */
static int settle(struct rbd_tx *tx, const struct rbd_action_rec *a, enum rbd_action_state from,
		  enum rbd_action_state to, const char *gate, const char *reason, int64_t now)
{
	cJSON *d = cJSON_CreateObject();
	int rc = rbd_tx_action_transition(tx, a->id, from, to, reason, now);

	if (to != RBD_STATE_DRY_RUN) {
		char id[24];

		snprintf(id, sizeof(id), "%lld", (long long)a->id);
		rbd_log_warn(to == RBD_STATE_SKIPPED ? "action skipped" : "action not run",
			     "action_id", id, "rule", a->rule, "gate", gate, "reason", reason);
	}
	cJSON_AddStringToObject(d, "gate", gate);
	cJSON_AddStringToObject(d, "reason", reason);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	return rbd_timeline_add(tx, a->incident_id, rbd_action_state_info(to)->event, "runbookd",
				a->id, d);
}

/* Looks at one candidate; 1 when it was claimed, 0 to look further, 2 to stop looking. */
static int consider(struct rbd_tx *tx, struct claim *c, const struct rbd_action_rec *a,
		    enum rbd_action_state from, int64_t now)
{
	const struct rbd_config *cfg = c->rt->cfg;
	const struct rbd_rule *rule = rbd_config_rule(cfg, a->rule);
	struct rbd_rule_counts counts;
	char reason[512], *key = NULL;
	enum rbd_gate g;
	int rc;

	if (!rule) {
		c->more = true;
		snprintf(reason, sizeof(reason), "rule %s is no longer loaded", a->rule);
		return settle(tx, a, from, RBD_STATE_CANCELLED, "rule_removed", reason, now);
	}
	if (cfg->mode == RBD_MODE_DRY_RUN || rule->dry_run) {
		c->more = true;
		rc = rbd_tx_action_mark_dry_run(tx, a->id);
		return rc ? rc : settle(tx, a, from, RBD_STATE_DRY_RUN, "dry_run",
					cfg->mode == RBD_MODE_DRY_RUN ? "dry-run mode" : "rule is dry_run", now);
	}
	if (!a->rendered_json || rbd_rendered_from_json(&c->r, a->rendered_json)) {
		c->more = true;
		return settle(tx, a, from, RBD_STATE_FAILED, "internal", "the stored rendering is unreadable", now);
	}
	key = rbd_rendered_key(&c->r);
	rc = rbd_tx_rule_counts(tx, &counts, rule->name, key, now);
	free(key);
	if (rc)
		return rc;
	g = rbd_gate_start(cfg, rule, &counts, c->paused, now, reason, sizeof(reason));
	if (g == RBD_GATE_PAUSED || g == RBD_GATE_CONCURRENCY) {
		rbd_rendered_clear(&c->r);
		return 2;
	}
	if (g != RBD_GATE_PASS) {
		rbd_rendered_clear(&c->r);
		c->more = true;
		return settle(tx, a, from, RBD_STATE_SKIPPED, rbd_gate_name(g), reason, now);
	}
	rc = rbd_tx_action_start(tx, a->id, from, now);
	if (!rc) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "rule", rule->name);
		rc = rbd_timeline_add(tx, a->incident_id, RBD_EVENT_ACTION_RUNNING, "runbookd",
				      a->id, d);
	}
	if (rc) {
		rbd_rendered_clear(&c->r);
		return rc;
	}
	c->id = a->id;
	c->incident_id = a->incident_id;
	c->rule = rbd_strdup(a->rule);
	c->claimed = true;
	return 1;
}

static int claim_job(struct rbd_tx *tx, void *arg)
{
	static const enum rbd_action_state states[] = { RBD_STATE_APPROVED, RBD_STATE_PLANNED };
	struct claim *c = arg;
	int64_t now = rbd_now_ms();
	char *paused = NULL;
	int rc;

	/* The kill switch as the database holds it now: pause on any replica stops every
	 * replica's claims, not only the one that took the request. */
	rc = rbd_tx_setting_get(tx, &paused, "paused");
	if (rc)
		return rc;
	c->paused_known = paused != NULL;
	if (paused && strcmp(paused, "1") == 0)
		c->paused = true;
	free(paused);
	if (c->paused)
		return 0;
	for (size_t s = 0; s < 2; s++) {
		int64_t after = 0, id = 0;

		for (;;) {
			struct rbd_action_rec a;
			int v;

			rc = rbd_tx_next_action(tx, &id, states[s], after);
			if (rc || !id)
				break;
			after = id;
			rc = rbd_tx_action_get(tx, &a, id);
			if (rc)
				return rc;
			v = consider(tx, c, &a, states[s], now);
			rbd_action_rec_clear(&a);
			if (v < 0)
				return v;
			if (v == 1 || v == 2)
				return 0;
		}
		if (rc)
			return rc;
	}
	return rc;
}

/* cancel_on_resolve: what exec asks while the process runs. */
struct resolve_watch {
	struct rbd_store *store;
	int64_t action_id;
};

static bool alert_resolved(void *arg)
{
	struct resolve_watch *w = arg;
	bool resolved = false;

	/* A read that fails says "not resolved": the default is to let it finish. */
	rbd_store_action_alert_resolved(w->store, &resolved, w->action_id);
	return resolved;
}

struct spawned {
	struct rbd_executor *ex;
	int64_t id;
	int64_t pgid;
	int64_t start;
};

static int spawned_job(struct rbd_tx *tx, void *arg)
{
	const struct spawned *sp = arg;

	return rbd_tx_action_set_process(tx, sp->id, sp->pgid, sp->start);
}

/* Right after the fork: the child's group (its own session: pgid = pid) and start time
 * are recorded, so that a restart after kill -9 can end a group left running. */
static void on_spawn(void *ctx, pid_t pid)
{
	struct spawned *sp = ctx;
	char id[24];

	sp->pgid = pid;
	sp->start = rbd_exec_start_time(pid);
	if (rbd_store_write(sp->ex->app->store, spawned_job, sp) == 0)
		return;
	snprintf(id, sizeof(id), "%lld", (long long)sp->id);
	rbd_log_warn("could not record the action's process group", "action_id", id,
		     "error", rbd_err_msg());
}

/* watch: non-NULL when the action has cancel_on_resolve. */
static void run_process(struct outcome *o, const struct rbd_rendered *r, const struct rbd_config *cfg,
			struct rbd_executor *ex, int64_t action_id, struct resolve_watch *watch)
{
	struct spawned sp = { ex, action_id, 0, 0 };
	struct rbd_exec_opts opts = {
		.argv = (const char *const *)r->argv,
		.timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : 60000,
		.grace_ms = cfg->limits.kill_grace_ms,
		.output_cap = cfg->limits.action_output_bytes,
		.on_spawn = on_spawn,
		.ctx = &sp,
		.should_cancel = watch ? alert_resolved : NULL,
		.cancel_ctx = watch,
	};
	struct rbd_exec_result res = { 0 };

	if (rbd_exec_run(&res, &opts)) {
		o->state = RBD_STATE_FAILED;
		snprintf(o->reason, sizeof(o->reason), "could not start: %s", rbd_err_msg());
		return;
	}
	o->duration_ms = res.duration_ms;
	o->has_exit = res.exited;
	o->exit_code = res.exit_code;
	o->term_signal = res.term_signal;
	o->output = rbd_utf8_printable(res.output ? res.output : "", res.output_len);
	if (res.cancelled) {
		o->state = RBD_STATE_CANCELLED;
		snprintf(o->reason, sizeof(o->reason), "the alert resolved while it ran "
			 "(cancel_on_resolve): the process group was terminated");
	} else if (res.timed_out) {
		o->state = RBD_STATE_TIMED_OUT;
		snprintf(o->reason, sizeof(o->reason), "still running after %lld ms: the process group "
			 "was terminated", (long long)opts.timeout_ms);
	} else if (res.exited && res.exit_code == 0) {
		o->state = RBD_STATE_SUCCEEDED;
	} else {
		o->state = RBD_STATE_FAILED;
		if (res.exited)
			snprintf(o->reason, sizeof(o->reason), "exit code %d", res.exit_code);
		else
			snprintf(o->reason, sizeof(o->reason), "killed by signal %d", res.term_signal);
	}
	if (res.output_total > res.output_len) {
		char note[96];

		snprintf(note, sizeof(note), "output capped at %zu of %llu bytes", res.output_len,
			 (unsigned long long)res.output_total);
		o->result = rbd_strdup(note);
	}
	rbd_exec_result_clear(&res);
}

/* A receiver that echoes a request back must not get a secret into the stored output. */
static char *scrub_secrets(char *text, const struct rbd_headers *hd)
{
	for (size_t i = 0; text && i < hd->n; i++) {
		const char *v = hd->v[i].value;
		size_t vl = strlen(v);
		struct rbd_buf b;
		char *p, *from;

		if (vl < 4 || !strstr(text, v))
			continue;
		rbd_buf_init(&b, strlen(text) * 2 + 64);
		for (from = text; (p = strstr(from, v)); from = p + vl) {
			rbd_buf_append(&b, from, (size_t)(p - from));
			rbd_buf_puts(&b, RBD_REDACTED);
		}
		rbd_buf_puts(&b, from);
		free(text);
		text = rbd_buf_steal(&b);
	}
	return text;
}

/*
 * The secret headers the rendering names, with their values from the live config's
 * action of rule (borrowed). A header the config no longer has is left out: the
 * receiver then refuses, and the action fails visibly.
 */
static void http_headers(struct rbd_headers *out, const struct rbd_rendered *r,
			 const struct rbd_config *cfg, const char *rule)
{
	const struct rbd_rule *ru = rbd_config_rule(cfg, rule);
	const struct rbd_headers *have = ru && ru->action ? &ru->action->headers : NULL;

	out->n = 0;
	out->v = r->headers.n ? rbd_calloc(r->headers.n, sizeof(*out->v)) : NULL;
	for (size_t i = 0; have && i < r->headers.n; i++)
		for (size_t j = 0; j < have->n; j++)
			if (strcmp(have->v[j].name, r->headers.kv[i].key) == 0)
				out->v[out->n++] = have->v[j];
}

static void run_http(struct outcome *o, const struct rbd_rendered *r, const struct rbd_config *cfg,
		     const char *rule)
{
	struct rbd_headers hd;
	struct rbd_http_request req = {
		.method = r->method, .url = r->url, .body = r->body, .headers = &hd,
		.timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : 10000,
		.response_cap = cfg->limits.action_output_bytes,
	};
	struct rbd_http_response resp = { 0 };
	int64_t t0 = rbd_mono_ms();
	char res[64];
	int rc;

	http_headers(&hd, r, cfg, rule);
	rc = rbd_httpc_do(&resp, &req);

	o->duration_ms = rbd_mono_ms() - t0;
	if (rc) {
		o->state = rc == RBD_ETIMEOUT ? RBD_STATE_TIMED_OUT : RBD_STATE_FAILED;
		snprintf(o->reason, sizeof(o->reason), "%s", rbd_err_msg());
		rbd_http_response_clear(&resp);
		free(hd.v);
		return;
	}
	snprintf(res, sizeof(res), "HTTP %ld", resp.status);
	o->result = rbd_strdup(res);
	o->output = scrub_secrets(rbd_utf8_printable(resp.body ? resp.body : "", resp.body_len), &hd);
	o->state = (resp.status >= 200 && resp.status < 300) ? RBD_STATE_SUCCEEDED : RBD_STATE_FAILED;
	if (o->state == RBD_STATE_FAILED)
		snprintf(o->reason, sizeof(o->reason), "HTTP status %ld", resp.status);
	rbd_http_response_clear(&resp);
	free(hd.v);      /* the values are borrowed from cfg */
}

static void run_silence(struct outcome *o, const struct rbd_rendered *r,
			const struct rbd_config *cfg, const struct claim *c)
{
	char comment[256], *id = NULL;
	struct rbd_buf b = RBD_BUF_INIT(256);
	int64_t t0 = rbd_mono_ms();
	int rc;

	if (!cfg->am_url) {
		o->state = RBD_STATE_FAILED;
		snprintf(o->reason, sizeof(o->reason), "alertmanager.url is not configured");
		return;
	}
	snprintf(comment, sizeof(comment), "runbookd rule %s, incident %lld, action %lld", c->rule,
		 (long long)c->incident_id, (long long)c->id);
	rc = rbd_am_silence_create(&id, cfg->am_url, &r->silence_matchers, r->silence_duration_ms,
				   "runbookd", comment, r->timeout_ms > 0 ? r->timeout_ms : 10000);
	o->duration_ms = rbd_mono_ms() - t0;
	if (rc) {
		o->state = rc == RBD_ETIMEOUT ? RBD_STATE_TIMED_OUT : RBD_STATE_FAILED;
		snprintf(o->reason, sizeof(o->reason), "%s", rbd_err_msg());
		return;
	}
	o->state = RBD_STATE_SUCCEEDED;
	rbd_buf_printf(&b, "silence %s", id);
	o->result = rbd_buf_steal(&b);
	free(id);
}

struct finish {
	const struct claim *c;
	struct outcome *o;
	bool tripped;
	bool late;            /* the action was no longer running here: event only */
};

static int finish_job(struct rbd_tx *tx, void *arg)
{
	struct finish *f = arg;
	const struct claim *c = f->c;
	struct outcome *o = f->o;
	const struct rbd_rule *rule = rbd_config_rule(c->rt->cfg, c->rule);
	int64_t now = rbd_now_ms();
	char excerpt[512];
	cJSON *d = cJSON_CreateObject();
	int rc = rbd_tx_action_finish(tx, c->id, o->state, o->has_exit, o->exit_code,
				      o->term_signal, o->output, o->result,
				      o->reason[0] ? o->reason : NULL, now);

	if (o->has_exit)
		cJSON_AddNumberToObject(d, "exit_code", o->exit_code);
	if (o->term_signal)
		cJSON_AddNumberToObject(d, "signal", o->term_signal);
	cJSON_AddNumberToObject(d, "duration_ms", (double)o->duration_ms);
	if (o->reason[0])
		cJSON_AddStringToObject(d, "reason", o->reason);
	if (o->result)
		cJSON_AddStringToObject(d, "result", o->result);
	if (o->output && o->output[0]) {
		snprintf(excerpt, sizeof(excerpt), "%s", o->output);
		cJSON_AddStringToObject(d, "output_excerpt", excerpt);
	}
	if (rc == RBD_ECONFLICT) {
		/* No longer ours (a peer marked it interrupted while this replica was frozen
		 * past its lease): the row keeps its state, the result is only told. */
		cJSON_AddStringToObject(d, "state", rbd_action_state_name(o->state));
		f->late = true;
		return rbd_timeline_add(tx, c->incident_id, RBD_EVENT_ACTION_LATE_RESULT, "runbookd",
					c->id, d);
	}
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	rc = rbd_timeline_add(tx, c->incident_id, rbd_action_state_info(o->state)->event, "runbookd",
			      c->id, d);
	rbd_tx_wake(tx);      /* a slot is free: actions waiting on the cap may start */
	if (!rc && rule && rule->max_failures_per_hour > 0 && o->state != RBD_STATE_SUCCEEDED) {
		struct rbd_rule_counts counts;

		rc = rbd_tx_rule_counts(tx, &counts, rule->name, NULL, now);
		if (!rc && !counts.tripped_at && counts.failures_window >= rule->max_failures_per_hour) {
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "rule", rule->name);
			cJSON_AddNumberToObject(d, "failures_last_hour", counts.failures_window);
			rc = rbd_tx_rule_trip(tx, rule->name, now);
			if (!rc)
				rc = rbd_timeline_add(tx, c->incident_id, RBD_EVENT_RULE_TRIPPED,
						      "runbookd", c->id, d);
			else
				cJSON_Delete(d);
			f->tripped = true;
		}
	}
	return rc;
}

static int backoff_next(int ms)
{
	return ms <= 0 ? BACKOFF_FIRST_MS : ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : ms * 2;
}

/* Sleeps ms unless the executor stops; wake-ups for new work do not cut it short. */
static void backoff_wait(struct rbd_executor *ex, int ms)
{
	int64_t end = rbd_mono_ms() + ms, left;

	pthread_mutex_lock(&ex->t.mu);
	while (!atomic_load(&ex->t.stopping) && (left = end - rbd_mono_ms()) > 0)
		rbd_threads_wait(&ex->t, left);
	pthread_mutex_unlock(&ex->t.mu);
}

/*
 * Stores an action's result, retrying with backoff until the commit lands: the
 * outcome stays in memory and the worker (the concurrency slot) stays busy until
 * then. Only while stopping does it give up, after STOP_RETRY_MS.
 */
static int store_result(struct rbd_executor *ex, struct finish *f, const char *id)
{
	int64_t stop_deadline = 0;
	int delay = 0;

	for (int attempt = 1;; attempt++) {
		char n[16];
		int rc;

		f->tripped = false;
		rc = rbd_store_write(ex->app->store, finish_job, f);
		if (!rc)
			return 0;
		snprintf(n, sizeof(n), "%d", attempt);
		rbd_log_error("could not record an action's result; keeping it and retrying",
			      "action_id", id, "state", rbd_action_state_name(f->o->state), "attempt", n,
			      "error", rbd_err_msg());
		rbd_metrics_add(ex->app->metrics, "runbookd_action_commit_retries_total",
				"step=\"result\"", 1);
		if (atomic_load(&ex->t.stopping)) {
			if (!stop_deadline)
				stop_deadline = rbd_mono_ms() + STOP_RETRY_MS;
			else if (rbd_mono_ms() >= stop_deadline)
				return rc;
		}
		delay = backoff_next(delay);
		backoff_wait(ex, atomic_load(&ex->t.stopping) ? BACKOFF_FIRST_MS : delay);
	}
}

static void execute(struct rbd_executor *ex, struct claim *c)
{
	const struct rbd_config *cfg = c->rt->cfg;
	struct outcome o = { .state = RBD_STATE_FAILED };
	struct finish f = { c, &o, false, false };
	char id[24], labels[192];
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	rbd_log_info("action starting", "action_id", id, "rule", c->rule,
		     "kind", rbd_action_kind_name(c->r.kind));
	/* The single choke point: nothing below runs in dry-run mode. */
	if (cfg->mode == RBD_MODE_DRY_RUN) {
		snprintf(o.reason, sizeof(o.reason), "refused: dry-run mode");
	} else if (c->r.kind == RBD_ACTION_RUN) {
		const struct rbd_rule *rule = rbd_config_rule(cfg, c->rule);
		struct resolve_watch w = { ex->app->store, c->id };

		run_process(&o, &c->r, cfg, ex, c->id,
			    rule && rule->action->cancel_on_resolve ? &w : NULL);
	} else if (c->r.kind == RBD_ACTION_HTTP) {
		run_http(&o, &c->r, cfg, c->rule);
	} else {
		run_silence(&o, &c->r, cfg, c);
	}
	rc = store_result(ex, &f, id);
	if (rc)
		rbd_log_error("gave up recording an action's result at shutdown; it stays "
			      "running and is marked interrupted at the next start", "action_id", id,
			      "state", rbd_action_state_name(o.state), "error", rbd_err_msg());
	if (f.late)
		rbd_log_warn("an action's result came after it was marked interrupted; recorded as "
			     "an event only", "action_id", id, "state", rbd_action_state_name(o.state));
	rbd_log(o.state == RBD_STATE_SUCCEEDED ? RBD_LOG_INFO : RBD_LOG_WARN, "action finished",
		"action_id", id, "rule", c->rule, "state", rbd_action_state_name(o.state),
		"reason", o.reason, (char *)NULL);
	if (!rc && !f.late) {
		rbd_notify_action(ex->app, c->id,
				  rbd_event_kind_name(rbd_action_state_info(o.state)->event));
		if (f.tripped) {
			rbd_log_warn("circuit breaker tripped", "rule", c->rule, "action_id", id);
			rbd_notify_rule_tripped(ex->app, c->rule, c->id);
		}
	}
	/* Rule names are checked at load (A-Z a-z 0-9 _ - .): safe as a label value. */
	snprintf(labels, sizeof(labels), "state=\"%s\",rule=\"%s\"",
		 rbd_action_state_name(o.state), c->rule);
	rbd_metrics_add(ex->app->metrics, "runbookd_actions_finished_total", labels, 1);
	rbd_metrics_observe(ex->app->metrics, "runbookd_action_duration_seconds", NULL,
			    (double)o.duration_ms / 1000.0);
	free(o.output);
	free(o.result);
}

static void sweep_expired(struct rbd_executor *ex)
{
	int64_t now = rbd_mono_ms();
	long long last = atomic_load(&ex->last_sweep);

	if (now - last < 1000 || !atomic_compare_exchange_strong(&ex->last_sweep, &last, now))
		return;
	if (rbd_ops_expire(ex->app))
		rbd_log_warn("approval expiry sweep failed", "error", rbd_err_msg());
}

/* One claim job with the live runtime and kill switch (nothing while paused). The kill
 * switch is the database's: claim_job reads it, so that a pause or resume on another
 * replica holds here too, and this replica's view (/metrics, the console) follows. */
static int claim_pass(struct rbd_app *app, struct claim *c)
{
	char *v = NULL;
	int rc;

	c->rt = rbd_app_runtime(app);
	/* A pause or resume stored by another replica (a read: nothing is written while
	 * paused); claim_job checks again inside the claim's transaction. */
	if (rbd_store_setting_get(app->store, &v, "paused") == 0 && v)
		atomic_store(&app->paused, strcmp(v, "1") == 0);
	free(v);
	c->paused = atomic_load(&app->paused);
	c->paused_known = false;
	rc = c->paused ? 0 : rbd_store_write(app->store, claim_job, c);
	if (rc) {
		/* The move to `running` is not committed: nothing may be spawned (the
		 * row is still planned/approved and is claimed again later). */
		c->claimed = false;
		c->more = false;
	}
	if (!rc && c->paused_known)
		atomic_store(&app->paused, c->paused);
	return rc;
}

static void claim_clear(struct claim *c)
{
	rbd_rendered_clear(&c->r);
	free(c->rule);
	rbd_runtime_release(c->rt);
}

static void *worker_main(void *arg)
{
	struct rbd_executor *ex = arg;
	int claim_backoff = 0;

	while (!atomic_load(&ex->t.stopping)) {
		struct claim c = { 0 };
		uint64_t gen;
		int rc;

		pthread_mutex_lock(&ex->t.mu);
		gen = ex->gen;
		pthread_mutex_unlock(&ex->t.mu);
		sweep_expired(ex);
		rc = claim_pass(ex->app, &c);
		if (rc) {
			claim_backoff = backoff_next(claim_backoff);
			rbd_log_warn("claiming an action failed; nothing started, retrying later",
				     "error", rbd_err_msg());
			rbd_metrics_add(ex->app->metrics, "runbookd_action_commit_retries_total",
					"step=\"claim\"", 1);
		} else {
			claim_backoff = 0;
		}
		if (c.claimed)
			execute(ex, &c);
		claim_clear(&c);
		if (rc) {
			backoff_wait(ex, claim_backoff);
			continue;
		}
		if (c.claimed || c.more)
			continue;
		pthread_mutex_lock(&ex->t.mu);
		if (gen == ex->gen && !atomic_load(&ex->t.stopping))
			rbd_threads_wait(&ex->t, 1000);
		pthread_mutex_unlock(&ex->t.mu);
	}
	return NULL;
}

int rbd_executor_claim(struct rbd_app *app, int64_t *out_id, bool *out_more)
{
	struct claim c = { 0 };
	int rc = claim_pass(app, &c);

	*out_id = c.claimed ? c.id : 0;
	*out_more = c.more;
	claim_clear(&c);
	return rc;
}

void rbd_executor_wake(struct rbd_executor *ex)
{
	if (!ex)
		return;
	pthread_mutex_lock(&ex->t.mu);
	ex->gen++;
	pthread_cond_broadcast(&ex->t.cv);
	pthread_mutex_unlock(&ex->t.mu);
}

struct recover {
	int n;
};

static int recover_job(struct rbd_tx *tx, void *arg)
{
	struct recover *r = arg;
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = rbd_tx_interrupt_running(tx, &ids, &n, rbd_now_ms());

	for (size_t i = 0; !rc && i < n; i++) {
		cJSON *d = cJSON_CreateObject();
		int64_t pgid = 0, start = 0;
		int killed;

		cJSON_AddStringToObject(d, "reason", "runbookd stopped while it was running; not re-run");
		rc = rbd_tx_action_process(tx, ids[i], &pgid, &start);
		if (!rc && pgid > 0) {
			/* Its process group may still run, unsupervised: end it if the
			 * recorded leader is still there (same pid and start time). */
			killed = rbd_exec_kill_orphan(pgid, start);
			cJSON_AddNumberToObject(d, "process_group", (double)pgid);
			cJSON_AddBoolToObject(d, "process_group_killed", killed == 1);
			if (killed == 1) {
				char id[24], g[24];

				snprintf(id, sizeof(id), "%lld", (long long)ids[i]);
				snprintf(g, sizeof(g), "%lld", (long long)pgid);
				rbd_log_warn("killed the process group an interrupted action left running",
					     "action_id", id, "pgid", g);
			}
		}
		if (rc) {
			cJSON_Delete(d);
			break;
		}
		rc = rbd_timeline_add(tx, rbd_tx_incident_of_action(tx, ids[i]),
				      RBD_EVENT_ACTION_INTERRUPTED, "runbookd", ids[i], d);
	}
	r->n = (int)n;
	free(ids);
	return rc;
}

int rbd_executor_recover(struct rbd_app *app)
{
	struct recover r = { 0 };
	int rc = rbd_store_write(app->store, recover_job, &r);

	if (!rc && r.n) {
		char n[16];

		snprintf(n, sizeof(n), "%d", r.n);
		rbd_log_warn("actions interrupted by the last stop are marked interrupted, not re-run",
			     "count", n);
	}
	return rc;
}

int rbd_executor_start(struct rbd_executor **out, struct rbd_app *app)
{
	struct rbd_executor *ex = rbd_calloc(1, sizeof(*ex));
	struct rbd_runtime *rt = rbd_app_runtime(app);
	int n = rt->cfg->limits.max_concurrent_actions;

	rbd_runtime_release(rt);
	ex->app = app;
	if (rbd_threads_start(&ex->t, n, worker_main, ex, "executor threads")) {
		free(ex);
		return RBD_EIO;
	}
	*out = ex;
	return 0;
}

void rbd_executor_stop(struct rbd_executor *ex)
{
	if (!ex)
		return;
	rbd_threads_stop(&ex->t);
	free(ex);
}
