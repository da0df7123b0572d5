/*
 * amclient: the Alertmanager API v2 client (silences, alert listing) over the
 * generic HTTP client (httpc.c, the only module that talks to libcurl).
 *
 * Must never: send a silence that would match every alert, or read an alert list
 * past its cap.
 */
#include "runbookd/amclient.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/httpc.h"
#include "runbookd/timeutil.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* GET /api/v2/alerts carries every alert Alertmanager holds, with labels and
 * annotations: allow far more than an action's response, but still a cap. */
#define AM_LIST_CAP ((size_t)16 * 1024 * 1024)
/* A silence ending past year 9999 cannot be written in RFC 3339. */
#define AM_SILENCE_MAX_MS ((int64_t)10 * 366 * 24 * 3600 * 1000)

/*
 * am_url + path (+ query): keeps any path prefix of am_url (Alertmanager behind
 * --web.route-prefix), with or without a trailing '/', and drops its query and fragment.
 */
static int am_endpoint(char **out, const char *am_url, const char *path, const char *query)
{
	return rbd_httpc_url_join(out, am_url, path, query, "alertmanager URL");
}

/* A non-2xx answer: 4xx means we sent something Alertmanager refuses, else it is down. */
static int am_status_error(long status, const char *what)
{
	return rbd_err_set(status >= 400 && status < 500 ? RBD_EINVAL : RBD_EUNAVAIL,
			   "alertmanager answered %ld to %s", status, what);
}

static char *am_silence_body(const struct rbd_labelset *matchers, int64_t from_ms,
			     int64_t until_ms, const char *created_by, const char *comment)
{
	char starts[32], ends[32];
	cJSON *root = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(root, "matchers");
	char *text = NULL;

	if (!root || !list)
		goto done;
	for (size_t i = 0; i < matchers->n; i++) {
		cJSON *m = cJSON_CreateObject();

		if (!m)
			goto done;
		cJSON_AddItemToArray(list, m);
		if (!cJSON_AddStringToObject(m, "name", matchers->kv[i].key) ||
		    !cJSON_AddStringToObject(m, "value", matchers->kv[i].value) ||
		    !cJSON_AddFalseToObject(m, "isRegex") || !cJSON_AddTrueToObject(m, "isEqual"))
			goto done;
	}
	rbd_time_format_ms(starts, from_ms);
	rbd_time_format_ms(ends, until_ms);
	if (!cJSON_AddStringToObject(root, "startsAt", starts) ||
	    !cJSON_AddStringToObject(root, "endsAt", ends) ||
	    !cJSON_AddStringToObject(root, "createdBy", created_by) ||
	    !cJSON_AddStringToObject(root, "comment", comment))
		goto done;
	text = cJSON_PrintUnformatted(root);
done:
	cJSON_Delete(root);
	return text;
}

int rbd_am_silence_create(char **out_id, const char *am_url, const struct rbd_labelset *matchers,
			  int64_t duration_ms, const char *created_by, const char *comment,
			  int64_t timeout_ms)
{
	struct rbd_http_request req = { 0 };
	struct rbd_http_response res = { 0 };
	char *url = NULL, *body = NULL;
	cJSON *doc = NULL;
	const cJSON *id;
	bool selective = false;
	int64_t now;
	int rc;

	*out_id = NULL;
	if (!matchers || matchers->n == 0)
		return rbd_err_set(RBD_EINVAL, "a silence needs at least one matcher");
	for (size_t i = 0; i < matchers->n; i++) {
		if (!matchers->kv[i].key || !*matchers->kv[i].key || !matchers->kv[i].value)
			return rbd_err_set(RBD_EINVAL, "silence matcher without a label name");
		if (*matchers->kv[i].value)
			selective = true;
	}
	/* Alertmanager refuses a silence whose matchers all match the empty string. */
	if (!selective)
		return rbd_err_set(RBD_EINVAL, "every silence matcher has an empty value");
	if (duration_ms <= 0 || duration_ms > AM_SILENCE_MAX_MS)
		return rbd_err_set(RBD_EINVAL, "silence duration must be between 1ms and 10 years");
	rc = am_endpoint(&url, am_url, "/api/v2/silences", NULL);
	if (rc)
		goto done;
	now = rbd_now_ms();
	body = am_silence_body(matchers, now, now + duration_ms,
			       created_by && *created_by ? created_by : "runbookd",
			       comment && *comment ? comment : "runbookd");
	if (!body) {
		rc = rbd_err_set(RBD_ENOMEM, "building the silence: out of memory");
		goto done;
	}
	req.method = "POST";
	req.url = url;
	req.body = body;
	req.content_type = "application/json";
	req.timeout_ms = timeout_ms;
	rc = rbd_httpc_do(&res, &req);
	if (rc)
		goto done;
	if (res.status < 200 || res.status > 299) {
		rc = am_status_error(res.status, "POST /api/v2/silences");
		goto done;
	}
	doc = res.truncated ? NULL : cJSON_ParseWithLength(res.body, res.body_len);
	id = cJSON_GetObjectItemCaseSensitive(doc, "silenceID");
	if (!cJSON_IsString(id) || !id->valuestring[0]) {
		rc = rbd_err_set(RBD_EUNAVAIL, "alertmanager answer to POST /api/v2/silences has no silenceID");
		goto done;
	}
	*out_id = rbd_strdup(id->valuestring);
done:
	cJSON_Delete(doc);
	rbd_http_response_clear(&res);
	free(body);
	free(url);
	return rc;
}

void rbd_am_fingerprints_free(char **fps, size_t n)
{
	if (!fps)
		return;
	for (size_t i = 0; i < n; i++)
		free(fps[i]);
	free(fps);
}

int rbd_am_alert_fingerprints(char ***out, size_t *out_n, const char *am_url, int64_t timeout_ms)
{
	struct rbd_http_request req = { 0 };
	struct rbd_http_response res = { 0 };
	char *url = NULL;
	char **fps = NULL;
	size_t n = 0;
	cJSON *doc = NULL;
	const cJSON *alert;
	int rc;

	*out = NULL;
	*out_n = 0;
	rc = am_endpoint(&url, am_url, "/api/v2/alerts",
			 "active=true&silenced=true&inhibited=true&unprocessed=true");
	if (rc)
		goto done;
	req.method = "GET";
	req.url = url;
	req.timeout_ms = timeout_ms;
	req.response_cap = AM_LIST_CAP;
	rc = rbd_httpc_do(&res, &req);
	if (rc)
		goto done;
	if (res.status < 200 || res.status > 299) {
		rc = am_status_error(res.status, "GET /api/v2/alerts");
		goto done;
	}
	if (res.truncated) {
		rc = rbd_err_set(RBD_ETOOBIG, "alertmanager alert list is over %zu bytes", AM_LIST_CAP);
		goto done;
	}
	doc = cJSON_ParseWithLength(res.body, res.body_len);
	if (!cJSON_IsArray(doc)) {
		rc = rbd_err_set(RBD_EUNAVAIL, "alertmanager answer to GET /api/v2/alerts is not a JSON array");
		goto done;
	}
	fps = rbd_calloc((size_t)cJSON_GetArraySize(doc) + 1, sizeof(*fps));
	cJSON_ArrayForEach(alert, doc) {
		const cJSON *fp = cJSON_GetObjectItemCaseSensitive(alert, "fingerprint");

		if (!cJSON_IsString(fp) || !fp->valuestring[0]) {
			rc = rbd_err_set(RBD_EUNAVAIL, "alertmanager listed an alert without a fingerprint");
			goto done;
		}
		fps[n++] = rbd_strdup(fp->valuestring);
	}
	*out = fps;
	*out_n = n;
	fps = NULL;
done:
	rbd_am_fingerprints_free(fps, n);
	cJSON_Delete(doc);
	rbd_http_response_clear(&res);
	free(url);
	return rc;
}
