/*
 * actions: renders a rule's action for one alert into its exact, storable form: the
 * argv of a `run` action, the method/URL/body of an `http` action, or the matchers of
 * a `silence`. The rule's params are rendered from the alert first and each must pass
 * its action's allowlist; only then are they substituted, each templated argv element
 * staying exactly one element. Pure: no I/O. It must never let an unchecked value
 * from an alert into a rendering, never split or join argv elements, and never hand
 * back a partial rendering after a refusal.
 */
#include "runbookd/actions.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM_MAX_BYTES 1024
#define ARG_MAX_BYTES ((size_t)64 * 1024)
#define URL_MAX_BYTES ((size_t)8 * 1024)
#define BODY_MAX_BYTES ((size_t)1024 * 1024)
/* The stored form is produced here; anything much larger was not. */
#define JSON_MAX_BYTES ((size_t)8 * 1024 * 1024)

void rbd_rendered_clear(struct rbd_rendered *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->argv && i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->method);
	free(r->url);
	free(r->body);
	rbd_labels_clear(&r->headers);
	rbd_labels_clear(&r->silence_matchers);
	memset(r, 0, sizeof(*r));
}

/* Sets the error to "<what>[ <name>][[<idx>]]: <the current message>" (the message
 * buffer is reused by rbd_err_set, so it is copied first). Returns RBD_EREFUSED. */
static int refuse_with(const char *what, const char *name, long idx)
{
	char *why = rbd_strdup(rbd_err_msg());
	struct rbd_buf b = RBD_BUF_INIT(4096);
	int rc;

	rbd_buf_puts(&b, what);
	if (name)
		rbd_buf_printf(&b, " %s", name);
	if (idx >= 0)
		rbd_buf_printf(&b, "[%ld]", idx);
	rc = rbd_err_set(RBD_EREFUSED, "%s: %s", rbd_buf_cstr(&b), why);
	rbd_buf_free(&b);
	free(why);
	return rc;
}

static const struct rbd_param_spec *spec_of(const struct rbd_action_def *a, const char *name)
{
	for (size_t i = 0; i < a->n_params; i++)
		if (a->params[i].name && strcmp(a->params[i].name, name) == 0)
			return &a->params[i];
	return NULL;
}

/* Renders and checks every rule param into params (name -> value). */
static int params_render(struct rbd_labelset *params, const struct rbd_rule *rule,
			 const struct rbd_template_data *d)
{
	const struct rbd_action_def *a = rule->action;
	char *v = NULL;
	int rc = 0;

	for (size_t i = 0; i < rule->n_params; i++) {
		const struct rbd_param_spec *spec = spec_of(a, rule->param_names[i]);

		if (!spec || !rule->param_values[i]) {
			/* The loader refuses this; a hand-built rule could still get here. */
			rc = rbd_err_set(RBD_EREFUSED, "param %s: not declared by action %s or invalid",
					 rule->param_names[i], a->name);
			goto done;
		}
		rc = rbd_template_render(&v, rule->param_values[i], d, RBD_ESC_NONE, PARAM_MAX_BYTES);
		if (rc) {
			rc = refuse_with("param", rule->param_names[i], -1);
			goto done;
		}
		/* rbd_param_check's message already names the param. */
		rc = rbd_param_check(spec, v);
		if (rc)
			goto done;
		rbd_labels_set(params, rule->param_names[i], v);
		free(v);
		v = NULL;
	}
	for (size_t i = 0; i < a->n_params; i++)
		if (a->params[i].name && !rbd_labels_get(params, a->params[i].name)) {
			rc = rbd_err_set(RBD_EREFUSED, "param %s: not given by rule %s",
					 a->params[i].name, rule->name ? rule->name : "?");
			goto done;
		}
done:
	free(v);
	return rc;
}

static int render_run(struct rbd_rendered *out, const struct rbd_action_def *a,
		      const struct rbd_template_data *td)
{
	int rc;

	if (a->argc == 0 || !a->program)
		return rbd_err_set(RBD_EREFUSED, "action %s has no resolved program", a->name);
	out->argv = rbd_calloc(a->argc + 1, sizeof(*out->argv));
	/* exec wants the absolute path resolved at load as argv[0]. */
	out->argv[0] = rbd_strdup(a->program);
	out->argc = 1;
	for (size_t i = 1; i < a->argc; i++) {
		char *s = NULL;

		rc = rbd_template_render(&s, a->argv[i], td, RBD_ESC_NONE, ARG_MAX_BYTES);
		if (rc)
			return refuse_with("run", NULL, (long)i);
		if (!s[0] && !rbd_template_is_literal(a->argv[i])) {
			free(s);
			return rbd_err_set(RBD_EREFUSED, "run[%zu]: `%.64s` renders empty", i,
					   rbd_template_source(a->argv[i]));
		}
		out->argv[out->argc++] = s;
	}
	return 0;
}

static int render_http(struct rbd_rendered *out, const struct rbd_action_def *a,
		       const struct rbd_template_data *td)
{
	struct rbd_buf url = RBD_BUF_INIT(URL_MAX_BYTES + 512);
	char *rest = NULL;
	int rc;

	out->method = rbd_strdup(a->method);
	/* Names only: a header value is a secret and never part of a rendering. */
	for (size_t i = 0; i < a->headers.n; i++)
		rbd_labels_set(&out->headers, a->headers.v[i].name, RBD_REDACTED);
	if (a->url_rest) {
		rc = rbd_template_render(&rest, a->url_rest, td, RBD_ESC_URL, URL_MAX_BYTES);
		if (rc) {
			rc = refuse_with("http url", NULL, -1);
			goto done;
		}
	}
	rbd_buf_puts(&url, a->url_base ? a->url_base : "");
	rc = rbd_buf_puts(&url, rest ? rest : "");
	if (rc) {
		rc = rbd_err_set(RBD_EREFUSED, "http url is too long");
		goto done;
	}
	out->url = rbd_buf_steal(&url);
	if (a->body) {
		rc = rbd_template_render(&out->body, a->body, td, RBD_ESC_JSON, BODY_MAX_BYTES);
		if (rc)
			rc = refuse_with("http body", NULL, -1);
	}
done:
	free(rest);
	rbd_buf_free(&url);
	return rc;
}

static int render_silence(struct rbd_rendered *out, const struct rbd_action_def *a,
			  const struct rbd_template_data *td)
{
	for (size_t i = 0; i < a->n_silence_labels; i++) {
		const char *name = a->silence_labels[i];
		const char *v = td->labels ? rbd_labels_get(td->labels, name) : NULL;

		/* A silence without one of its labels would match more than this alert. */
		if (!v || !v[0])
			return rbd_err_set(RBD_EREFUSED, "silence: label %s is missing", name);
		rbd_labels_set(&out->silence_matchers, name, v);
	}
	out->silence_duration_ms = a->silence_duration_ms;
	return 0;
}

int rbd_action_render(struct rbd_rendered *out, const struct rbd_rule *rule,
		      const struct rbd_template_data *d)
{
	static const struct rbd_template_data none = { 0 };
	struct rbd_labelset params = { NULL, 0 };
	struct rbd_template_data td;
	const struct rbd_action_def *a;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!rule || !rule->action)
		return rbd_err_set(RBD_EINVAL, "rule has no action");
	a = rule->action;
	td = d ? *d : none;
	td.params = NULL;
	if (!td.rule)
		td.rule = rule->name;
	rc = params_render(&params, rule, &td);
	if (rc)
		goto done;
	td.params = &params;
	out->kind = a->kind;
	out->timeout_ms = a->timeout_ms;
	switch (a->kind) {
	case RBD_ACTION_RUN:
		rc = render_run(out, a, &td);
		break;
	case RBD_ACTION_HTTP:
		rc = render_http(out, a, &td);
		break;
	case RBD_ACTION_SILENCE:
		rc = render_silence(out, a, &td);
		break;
	default:
		rc = rbd_err_set(RBD_EINVAL, "unknown action kind");
	}
done:
	if (rc)
		rbd_rendered_clear(out);
	rbd_labels_clear(&params);
	return rc;
}

/* --- stored form --------------------------------------------------------------- */

char *rbd_rendered_to_json(const struct rbd_rendered *r)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char *s = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "kind", rbd_action_kind_name(r->kind));
	switch (r->kind) {
	case RBD_ACTION_RUN:
		arr = cJSON_AddArrayToObject(o, "argv");
		for (size_t i = 0; arr && i < r->argc; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(r->argv[i]));
		break;
	case RBD_ACTION_HTTP:
		cJSON_AddStringToObject(o, "method", r->method ? r->method : "");
		cJSON_AddStringToObject(o, "url", r->url ? r->url : "");
		if (r->body)
			cJSON_AddStringToObject(o, "body", r->body);
		else
			cJSON_AddNullToObject(o, "body");
		if (r->headers.n) {
			cJSON *h = cJSON_AddObjectToObject(o, "headers");

			for (size_t i = 0; h && i < r->headers.n; i++)
				cJSON_AddStringToObject(h, r->headers.kv[i].key, RBD_REDACTED);
		}
		break;
	case RBD_ACTION_SILENCE:
		arr = cJSON_AddObjectToObject(o, "matchers");
		for (size_t i = 0; arr && i < r->silence_matchers.n; i++)
			cJSON_AddStringToObject(arr, r->silence_matchers.kv[i].key,
						r->silence_matchers.kv[i].value);
		cJSON_AddNumberToObject(o, "duration_ms", (double)r->silence_duration_ms);
		break;
	}
	cJSON_AddNumberToObject(o, "timeout_ms", (double)r->timeout_ms);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A non-negative integral number that an int64 of milliseconds holds exactly. */
static int json_ms(int64_t *out, const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	double x;

	if (!cJSON_IsNumber(v))
		return rbd_err_set(RBD_EINVAL, "rendering: %s is not a number", name);
	x = v->valuedouble;
	if (!(x >= 0 && x <= 9007199254740992.0) || floor(x) != x)
		return rbd_err_set(RBD_EINVAL, "rendering: %s is not a whole number of ms", name);
	*out = (int64_t)x;
	return 0;
}

static const char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int from_json_run(struct rbd_rendered *out, const cJSON *o)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(o, "argv"), *it;
	size_t n;

	if (!cJSON_IsArray(argv) || (n = (size_t)cJSON_GetArraySize(argv)) == 0)
		return rbd_err_set(RBD_EINVAL, "rendering: argv is not a non-empty list");
	out->argv = rbd_calloc(n + 1, sizeof(*out->argv));
	cJSON_ArrayForEach(it, argv) {
		if (!cJSON_IsString(it))
			return rbd_err_set(RBD_EINVAL, "rendering: argv holds a non-string");
		out->argv[out->argc++] = rbd_strdup(it->valuestring);
	}
	return 0;
}

static int from_json_http(struct rbd_rendered *out, const cJSON *o)
{
	const char *method = json_str(o, "method"), *url = json_str(o, "url");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(o, "body");
	const cJSON *headers = cJSON_GetObjectItemCaseSensitive(o, "headers"), *h;

	if (headers && !cJSON_IsObject(headers))
		return rbd_err_set(RBD_EINVAL, "rendering: headers is not an object");
	if (!method || !url)
		return rbd_err_set(RBD_EINVAL, "rendering: http needs method and url strings");
	if (body && !cJSON_IsNull(body) && !cJSON_IsString(body))
		return rbd_err_set(RBD_EINVAL, "rendering: body is neither a string nor null");
	out->method = rbd_strdup(method);
	out->url = rbd_strdup(url);
	if (cJSON_IsString(body))
		out->body = rbd_strdup(body->valuestring);
	cJSON_ArrayForEach(h, headers)
		if (h->string)
			rbd_labels_set(&out->headers, h->string, RBD_REDACTED);
	return 0;
}

static int from_json_silence(struct rbd_rendered *out, const cJSON *o)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "matchers"), *it;

	if (!cJSON_IsObject(m))
		return rbd_err_set(RBD_EINVAL, "rendering: matchers is not an object");
	cJSON_ArrayForEach(it, m) {
		if (!cJSON_IsString(it) || !it->string)
			return rbd_err_set(RBD_EINVAL, "rendering: matcher values must be strings");
		rbd_labels_set(&out->silence_matchers, it->string, it->valuestring);
	}
	return json_ms(&out->silence_duration_ms, o, "duration_ms");
}

int rbd_rendered_from_json(struct rbd_rendered *out, const char *json)
{
	cJSON *o = NULL;
	const char *kind;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json || strlen(json) > JSON_MAX_BYTES)
		return rbd_err_set(RBD_EINVAL, "rendering: missing or too large");
	o = cJSON_Parse(json);
	if (!cJSON_IsObject(o)) {
		rc = rbd_err_set(RBD_EINVAL, "rendering: not a JSON object");
		goto done;
	}
	kind = json_str(o, "kind");
	if (!kind) {
		rc = rbd_err_set(RBD_EINVAL, "rendering: kind is missing");
		goto done;
	}
	if (strcmp(kind, "run") == 0) {
		out->kind = RBD_ACTION_RUN;
		rc = from_json_run(out, o);
	} else if (strcmp(kind, "http") == 0) {
		out->kind = RBD_ACTION_HTTP;
		rc = from_json_http(out, o);
	} else if (strcmp(kind, "silence") == 0) {
		out->kind = RBD_ACTION_SILENCE;
		rc = from_json_silence(out, o);
	} else {
		rc = rbd_err_set(RBD_EINVAL, "rendering: unknown kind \"%.32s\"", kind);
	}
	if (rc == 0)
		rc = json_ms(&out->timeout_ms, o, "timeout_ms");
done:
	if (rc)
		rbd_rendered_clear(out);
	cJSON_Delete(o);
	return rc;
}

/*
 * Appends one field of the key. Fields are separated by \x1f; a \x1f or '\' inside a
 * value is escaped so that distinct renderings never share a key.
 */
static void key_field(struct rbd_buf *b, const char *s)
{
	rbd_buf_putc(b, '\x1f');
	for (; s && *s; s++) {
		if (*s == '\x1f')
			rbd_buf_puts(b, "\\x1f");
		else if (*s == '\\')
			rbd_buf_puts(b, "\\\\");
		else
			rbd_buf_putc(b, *s);
	}
}

char *rbd_rendered_key(const struct rbd_rendered *r)
{
	struct rbd_buf b = RBD_BUF_INIT(JSON_MAX_BYTES * 2);
	char num[32];

	rbd_buf_puts(&b, rbd_action_kind_name(r->kind));
	switch (r->kind) {
	case RBD_ACTION_RUN:
		for (size_t i = 0; i < r->argc; i++)
			key_field(&b, r->argv[i]);
		break;
	case RBD_ACTION_HTTP:
		key_field(&b, r->method);
		key_field(&b, r->url);
		/* No body and an empty body are different requests. */
		rbd_buf_putc(&b, '\x1f');
		if (r->body) {
			rbd_buf_putc(&b, 'b');
			key_field(&b, r->body);
		}
		break;
	case RBD_ACTION_SILENCE:
		for (size_t i = 0; i < r->silence_matchers.n; i++) {
			key_field(&b, r->silence_matchers.kv[i].key);
			key_field(&b, r->silence_matchers.kv[i].value);
		}
		snprintf(num, sizeof(num), "%lld", (long long)r->silence_duration_ms);
		key_field(&b, num);
		break;
	}
	return rbd_buf_steal(&b);
}
