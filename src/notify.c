/*
 * notify: outgoing notifications. Must never block a caller on the network, include a
 * token in a message (the curl commands name a variable, not the secret), or retry
 * without bound.
 */
#include "runbookd/notify.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/httpc.h"
#include "runbookd/log.h"
#include "runbookd/model.h"
#include "runbookd/threads.h"
#include "runbookd/timeline.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 256

struct rbd_notifier {
	struct rbd_app *app;
	struct rbd_threads t;         /* one thread; the queue is guarded by t.mu */
	char *queue[QUEUE_MAX];
	size_t head, n;
};

static char *command_text(const struct rbd_action_rec *a)
{
	struct rbd_buf b = RBD_BUF_INIT(4096);
	cJSON *r = a->rendered_json ? cJSON_Parse(a->rendered_json) : NULL;
	cJSON *argv = cJSON_GetObjectItemCaseSensitive(r, "argv"), *it;

	if (cJSON_IsArray(argv)) {
		cJSON_ArrayForEach(it, argv)
			if (cJSON_IsString(it) && rbd_buf_printf(&b, "%s%s", b.len ? " " : "",
								 it->valuestring))
				break;
	} else if (r) {
		cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
		cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "url");

		if (cJSON_IsString(m) && cJSON_IsString(u))
			rbd_buf_printf(&b, "%s %s", m->valuestring, u->valuestring);
		else
			rbd_buf_puts(&b, "an Alertmanager silence");
	}
	cJSON_Delete(r);
	return rbd_buf_steal(&b);
}

static char *build_message(struct rbd_app *app, const struct rbd_action_rec *a, const char *kind)
{
	cJSON *o = cJSON_CreateObject();
	char *cmd = command_text(a), *out;
	struct rbd_buf text = RBD_BUF_INIT(8192);

	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddNumberToObject(o, "incident_id", (double)a->incident_id);
	cJSON_AddItemToObject(o, "action", rbd_action_rec_json(a));
	if (strcmp(kind, rbd_event_kind_name(RBD_EVENT_ACTION_PENDING_APPROVAL)) == 0) {
		struct rbd_buf ap = RBD_BUF_INIT(1024), rj = RBD_BUF_INIT(1024);

		rbd_buf_printf(&ap, "curl -X POST -H \"Authorization: Bearer $RUNBOOKD_OPERATOR_TOKEN\" "
			       "%s/api/v1/actions/%lld/approve", app->base_url, (long long)a->id);
		rbd_buf_printf(&rj, "curl -X POST -H \"Authorization: Bearer $RUNBOOKD_OPERATOR_TOKEN\" "
			       "%s/api/v1/actions/%lld/reject", app->base_url, (long long)a->id);
		rbd_buf_printf(&text, "runbookd: rule %s wants to run `%s` for incident #%lld. "
			       "Approve: %s", a->rule, cmd, (long long)a->incident_id,
			       rbd_buf_cstr(&ap));
		cJSON_AddStringToObject(o, "approve", rbd_buf_cstr(&ap));
		cJSON_AddStringToObject(o, "reject", rbd_buf_cstr(&rj));
		rbd_buf_free(&ap);
		rbd_buf_free(&rj);
	} else {
		rbd_buf_printf(&text, "runbookd: action %lld (rule %s, `%s`) for incident #%lld: %s%s%s",
			       (long long)a->id, a->rule, cmd, (long long)a->incident_id, a->state,
			       a->reason ? ": " : "", a->reason ? a->reason : "");
	}
	cJSON_AddStringToObject(o, "text", rbd_buf_cstr(&text));
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	rbd_buf_free(&text);
	free(cmd);
	return out;
}

void rbd_notify_action(struct rbd_app *app, int64_t action_id, const char *kind)
{
	struct rbd_notifier *n = app->notifier;
	struct rbd_runtime *rt;
	struct rbd_action_rec a;
	char *msg;
	bool configured;

	if (!n)
		return;
	rt = rbd_app_runtime(app);
	configured = rt->cfg->notify_url != NULL;
	rbd_runtime_release(rt);
	if (!configured || rbd_store_action(app->store, &a, action_id))
		return;
	msg = build_message(app, &a, kind);
	rbd_action_rec_clear(&a);
	if (!msg)
		return;
	pthread_mutex_lock(&n->t.mu);
	if (n->n == QUEUE_MAX || atomic_load(&n->t.stopping)) {
		pthread_mutex_unlock(&n->t.mu);
		rbd_log_warn("notification dropped: queue full");
		free(msg);
		return;
	}
	n->queue[(n->head + n->n++) % QUEUE_MAX] = msg;
	pthread_cond_signal(&n->t.cv);
	pthread_mutex_unlock(&n->t.mu);
}

static void deliver(struct rbd_notifier *n, const char *msg)
{
	struct rbd_runtime *rt = rbd_app_runtime(n->app);
	struct rbd_http_request req = {
		.method = "POST", .url = rt->cfg->notify_url, .body = msg,
		.content_type = "application/json", .timeout_ms = 5000, .response_cap = 4096,
	};
	struct rbd_http_response resp = { 0 };
	char status[16];
	int rc;

	if (!req.url) {
		rbd_runtime_release(rt);
		return;
	}
	rc = rbd_httpc_do(&resp, &req);
	if (rc)
		rbd_log_warn("notification failed", "error", rbd_err_msg());
	else if (resp.status < 200 || resp.status > 299) {
		snprintf(status, sizeof(status), "%ld", resp.status);
		rbd_log_warn("notification refused by the receiver", "status", status);
	}
	rbd_http_response_clear(&resp);
	rbd_runtime_release(rt);
}

static void *notifier_main(void *arg)
{
	struct rbd_notifier *n = arg;

	pthread_mutex_lock(&n->t.mu);
	for (;;) {
		char *msg;

		while (!n->n && !atomic_load(&n->t.stopping))
			rbd_threads_wait(&n->t, -1);
		if (!n->n)
			break;
		msg = n->queue[n->head];
		n->head = (n->head + 1) % QUEUE_MAX;
		n->n--;
		pthread_mutex_unlock(&n->t.mu);
		deliver(n, msg);
		free(msg);
		pthread_mutex_lock(&n->t.mu);
	}
	pthread_mutex_unlock(&n->t.mu);
	return NULL;
}

int rbd_notifier_start(struct rbd_notifier **out, struct rbd_app *app)
{
	struct rbd_notifier *n = rbd_calloc(1, sizeof(*n));

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
	rbd_threads_stop(&n->t);
	free(n);
}
