/*
 * notify: outgoing notifications to the `notify:` targets. Callers only queue an
 * event (an id and a kind); the notifier thread reads the records, builds each
 * target's body (notify_format.c) and posts it with a timeout and a bounded number of
 * retries with backoff. Must never block a caller on the network or the store,
 * include a token in a message (the curl commands name a variable), log a header
 * value, or retry without bound.
 */
#include "runbookd/notify.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/httpc.h"
#include "runbookd/log.h"
#include "runbookd/model.h"
#include "runbookd/notify_format.h"
#include "runbookd/threads.h"
#include "runbookd/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 256
/* One post and at most two retries, 0.5 s then 2 s apart: a dead receiver costs a
 * message about 2.5 s plus three timeouts, on this thread only. */
#define ATTEMPTS 3
#define POST_TIMEOUT_MS 5000
static const int64_t backoff_ms[ATTEMPTS - 1] = { 500, 2000 };

struct item {
	unsigned event;               /* RBD_NEV_* bit */
	int64_t action_id;            /* 0 when none */
	int64_t incident_id;          /* 0: the action's */
	char *rule;                   /* breaker_tripped */
};

struct rbd_notifier {
	struct rbd_app *app;
	struct rbd_threads t;         /* one thread; the queue is guarded by t.mu */
	struct item queue[QUEUE_MAX];
	size_t head, n;
};

static void enqueue(struct rbd_app *app, unsigned event, int64_t action_id, int64_t incident_id,
		    const char *rule)
{
	struct rbd_notifier *n = app->notifier;
	struct rbd_runtime *rt;
	unsigned wanted = 0;
	struct item *it;

	if (!n || !event)
		return;
	rt = rbd_app_runtime(app);
	for (size_t i = 0; i < rt->cfg->n_notify; i++)
		wanted |= rt->cfg->notify[i].events;
	rbd_runtime_release(rt);
	if (!(wanted & event))
		return;
	pthread_mutex_lock(&n->t.mu);
	if (n->n == QUEUE_MAX || atomic_load(&n->t.stopping)) {
		pthread_mutex_unlock(&n->t.mu);
		rbd_metrics_add(app->metrics, "runbookd_notify_dropped_total", NULL, 1);
		rbd_log_warn("notification dropped: queue full");
		return;
	}
	it = &n->queue[(n->head + n->n++) % QUEUE_MAX];
	it->event = event;
	it->action_id = action_id;
	it->incident_id = incident_id;
	it->rule = rule ? rbd_strdup(rule) : NULL;
	pthread_cond_signal(&n->t.cv);
	pthread_mutex_unlock(&n->t.mu);
}

void rbd_notify_action(struct rbd_app *app, int64_t action_id, const char *kind)
{
	enqueue(app, rbd_notify_event_bit(kind), action_id, 0, NULL);
}

void rbd_notify_rule_tripped(struct rbd_app *app, const char *rule, int64_t action_id)
{
	enqueue(app, RBD_NEV_BREAKER_TRIPPED, action_id, 0, rule);
}

void rbd_notify_incident_resolved(struct rbd_app *app, int64_t incident_id)
{
	enqueue(app, RBD_NEV_INCIDENT_RESOLVED, 0, incident_id, NULL);
}

/* Sleeps ms unless the notifier is stopping; true when it is. A new message wakes
 * the wait early, so it waits again until the deadline. */
static bool backoff(struct rbd_notifier *n, int64_t ms)
{
	int64_t end = rbd_mono_ms() + ms, now;
	bool stop;

	pthread_mutex_lock(&n->t.mu);
	while (!atomic_load(&n->t.stopping) && (now = rbd_mono_ms()) < end)
		rbd_threads_wait(&n->t, end - now);
	stop = atomic_load(&n->t.stopping);
	pthread_mutex_unlock(&n->t.mu);
	return stop;
}

/* 5xx, 429 and no answer are worth another try; any other status is final. */
static bool retryable(int rc, long status)
{
	return rc != 0 ? rc != RBD_EINVAL : status >= 500 || status == 429;
}

static void post(struct rbd_notifier *n, const struct rbd_notify_target *t, size_t idx,
		 const char *body, const char *kind)
{
	struct rbd_metrics *m = n->app->metrics;
	struct rbd_http_request req = {
		.method = "POST", .url = t->url, .body = body, .content_type = "application/json",
		.headers = &t->headers, .timeout_ms = POST_TIMEOUT_MS, .response_cap = 4096,
	};
	char labels[64], status[24], target[24];
	long st = 0;
	int rc = 0;

	snprintf(target, sizeof(target), "%zu", idx);
	snprintf(labels, sizeof(labels), "target=\"%zu\"", idx);
	for (int i = 0; i < ATTEMPTS; i++) {
		struct rbd_http_response resp = { 0 };

		if (i > 0) {
			rbd_metrics_add(m, "runbookd_notify_retries_total", labels, 1);
			if (backoff(n, backoff_ms[i - 1]))
				break;
		}
		rbd_metrics_add(m, "runbookd_notify_attempts_total", labels, 1);
		rc = rbd_httpc_do(&resp, &req);
		st = rc ? 0 : resp.status;
		rbd_http_response_clear(&resp);
		if (!rc && st >= 200 && st <= 299) {
			rbd_metrics_add(m, "runbookd_notify_sent_total", labels, 1);
			rbd_log_info("notification sent", "target", target, "kind", kind);
			return;
		}
		if (!retryable(rc, st))
			break;
	}
	rbd_metrics_add(m, "runbookd_notify_failures_total", labels, 1);
	snprintf(status, sizeof(status), "%ld", st);
	if (rc)
		rbd_log_warn("notification failed", "target", target, "kind", kind,
			     "error", rbd_err_msg());
	else
		rbd_log_warn("notification refused by the receiver", "target", target, "kind", kind,
			     "status", status);
}

/* Actions that ran (or were cut short): what "resolved with actions taken" lists. */
static bool taken(const char *state)
{
	static const char *const states[] = { "succeeded", "failed", "timed_out", "interrupted" };

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i]) == 0)
			return true;
	return false;
}

static void deliver(struct rbd_notifier *n, const struct item *it)
{
	struct rbd_app *app = n->app;
	struct rbd_runtime *rt = rbd_app_runtime(app);
	struct rbd_action_rec a = { 0 }, *all = NULL;
	struct rbd_incident inc = { 0 };
	struct rbd_notice nt = { .event = it->event, .rule = it->rule };
	char base[512];
	size_t n_all = 0, kept = 0;
	int64_t inc_id = it->incident_id;

	if (it->action_id) {
		if (rbd_store_action(app->store, &a, it->action_id))
			goto done;
		nt.action = &a;
		if (!inc_id)
			inc_id = a.incident_id;
	}
	if (inc_id && rbd_store_incident(app->store, &inc, inc_id) == 0)
		nt.incident = &inc;
	if (it->event == RBD_NEV_INCIDENT_RESOLVED) {
		if (rbd_store_actions(app->store, &all, &n_all, inc_id, NULL, 1000))
			goto done;
		for (size_t i = 0; i < n_all; i++) {
			if (taken(all[i].state)) {
				struct rbd_action_rec tmp = all[kept];

				all[kept++] = all[i];
				all[i] = tmp;
			}
		}
		if (!kept)
			goto done;   /* nothing was done: nobody needs to hear it resolved */
		nt.actions = all;
		nt.n_actions = kept;
	}
	nt.link_base = rbd_config_link_base(rt->cfg, app->port, base, sizeof(base)) ? base : "";
	for (size_t i = 0; i < rt->cfg->n_notify; i++) {
		const struct rbd_notify_target *t = &rt->cfg->notify[i];
		char *body;

		if (!(t->events & it->event) || !t->url)
			continue;
		body = t->format == RBD_NOTIFY_SLACK ? rbd_notice_slack(&nt) : rbd_notice_json(&nt);
		if (body)
			post(n, t, i, body, rbd_notice_kind(&nt));
		free(body);
	}
done:
	rbd_action_rec_clear(&a);
	rbd_incident_clear(&inc);
	for (size_t i = 0; i < n_all; i++)
		rbd_action_rec_clear(&all[i]);
	free(all);
	rbd_runtime_release(rt);
}

static void *notifier_main(void *arg)
{
	struct rbd_notifier *n = arg;

	pthread_mutex_lock(&n->t.mu);
	for (;;) {
		struct item it;

		while (!n->n && !atomic_load(&n->t.stopping))
			rbd_threads_wait(&n->t, -1);
		if (!n->n)
			break;
		it = n->queue[n->head];
		n->head = (n->head + 1) % QUEUE_MAX;
		n->n--;
		pthread_mutex_unlock(&n->t.mu);
		deliver(n, &it);
		free(it.rule);
		pthread_mutex_lock(&n->t.mu);
	}
	pthread_mutex_unlock(&n->t.mu);
	return NULL;
}

int rbd_notifier_start(struct rbd_notifier **out, struct rbd_app *app)
{
	struct rbd_notifier *n = rbd_calloc(1, sizeof(*n));
	struct rbd_runtime *rt = rbd_app_runtime(app);

	/* Series exist from the start, so that the first failure is an increase. */
	for (size_t i = 0; i < rt->cfg->n_notify; i++) {
		char labels[48];

		snprintf(labels, sizeof(labels), "target=\"%zu\"", i);
		rbd_metrics_add(app->metrics, "runbookd_notify_attempts_total", labels, 0);
		rbd_metrics_add(app->metrics, "runbookd_notify_sent_total", labels, 0);
		rbd_metrics_add(app->metrics, "runbookd_notify_failures_total", labels, 0);
	}
	rbd_runtime_release(rt);
	rbd_metrics_add(app->metrics, "runbookd_notify_dropped_total", NULL, 0);
	n->app = app;
	if (rbd_threads_start(&n->t, 1, notifier_main, n, "the notifier thread")) {
		free(n);
		return RBD_EIO;
	}
	*out = n;
	return 0;
}

void rbd_notifier_stop(struct rbd_notifier *n)
{
	if (!n)
		return;
	/* The thread delivers what is queued (no retries once stopping), then ends. */
	rbd_threads_stop(&n->t);
	while (n->n) {
		free(n->queue[n->head].rule);
		n->head = (n->head + 1) % QUEUE_MAX;
		n->n--;
	}
	free(n);
}
