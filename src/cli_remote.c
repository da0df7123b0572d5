/*
 * cli_remote: operator commands over the HTTP API (through httpc, never libcurl
 * directly). Must never print or log the token, send it anywhere but RUNBOOKD_URL,
 * or let a value from the server move the terminal cursor (control characters are
 * shown as '?').
 */
#include "runbookd/cli_remote.h"
#include "runbookd/buf.h"
#include "runbookd/cli.h"
#include "runbookd/err.h"
#include "runbookd/httpc.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_MAX 4096
#define DEFAULT_URL "http://127.0.0.1:9095"

struct ropts {
	const char *url;
	const char *comment;
	const char *section;
	const char *state;
	const char *status;
	const char *output;          /* "table" (default) or "json" */
	const char *pos[2];
	int npos;
};

struct rcmd;
typedef int (*rcmd_fn)(const struct rcmd *c, const struct ropts *o, const char *base,
		       const char *token);

struct rcmd {
	const char *name;
	int npos;                     /* positional arguments required */
	const char *flags;            /* flags it takes, space-separated */
	const char *usage;
	rcmd_fn fn;
};

static int c_decide(const struct rcmd *, const struct ropts *, const char *, const char *);
static int c_note(const struct rcmd *, const struct ropts *, const char *, const char *);
static int c_pause(const struct rcmd *, const struct ropts *, const char *, const char *);
static int c_incidents(const struct rcmd *, const struct ropts *, const char *, const char *);
static int c_actions(const struct rcmd *, const struct ropts *, const char *, const char *);

static const struct rcmd rcmds[] = {
	{ "approve",   1, "--comment",   "approve ACTION_ID [--comment C]", c_decide },
	{ "reject",    1, "--comment",   "reject ACTION_ID [--comment C]", c_decide },
	{ "note",      2, "--section",   "note INCIDENT_ID TEXT [--section impact|action|next]", c_note },
	{ "pause",     0, "--comment",   "pause [--comment C]", c_pause },
	{ "resume",    0, "--comment",   "resume [--comment C]", c_pause },
	{ "incidents", 0, "--status",    "incidents [--status open|resolved]", c_incidents },
	{ "actions",   0, "--state",     "actions [--state STATE]", c_actions },
};

/* ---- output ---- */

/* Characters, not bytes: UTF-8 continuation bytes do not take a column. */
static size_t columns(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* A server value for the terminal: controls become '?', at most width columns (the
 * last one an ellipsis when cut). */
static void cell(struct rbd_buf *b, const char *s, size_t width)
{
	size_t n = s ? strlen(s) : 0, cols = 0, i = 0;

	if (columns(s ? s : "", n) <= width) {
		for (; i < n; i++)
			rbd_buf_putc(b, ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i]);
		return;
	}
	for (; i < n; i++) {
		bool lead = ((unsigned char)s[i] & 0xC0) != 0x80;

		if (lead && ++cols > width - 1)
			break;
		rbd_buf_putc(b, ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i]);
	}
	rbd_buf_puts(b, "…");
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static long long jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

struct col {
	const char *head;
	int width;
	const char *key;              /* a string field, or NULL for the id fields below */
	bool number;
};

static void table(const cJSON *rows, const struct col *cols, size_t n)
{
	struct rbd_buf b = RBD_BUF_INIT(16 * 1024 * 1024);
	const cJSON *r;

	for (size_t i = 0; i < n; i++)
		rbd_buf_printf(&b, "%-*s%s", i + 1 < n ? cols[i].width : 0, cols[i].head,
			       i + 1 < n ? "  " : "\n");
	cJSON_ArrayForEach(r, rows) {
		for (size_t i = 0; i < n; i++) {
			struct rbd_buf c = RBD_BUF_INIT(4096);
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, cols[i].key);
			size_t len;

			if (cols[i].number && cJSON_IsNumber(v))
				rbd_buf_printf(&c, "%lld", (long long)v->valuedouble);
			else if (cJSON_IsString(v))
				cell(&c, v->valuestring, i + 1 < n ? (size_t)cols[i].width : 200);
			else
				rbd_buf_puts(&c, "-");
			len = columns(rbd_buf_cstr(&c), c.len);
			rbd_buf_puts(&b, rbd_buf_cstr(&c));
			if (i + 1 < n)
				rbd_buf_printf(&b, "%*s", (int)((size_t)cols[i].width + 2 > len ?
							     (size_t)cols[i].width + 2 - len : 1), "");
			rbd_buf_free(&c);
		}
		rbd_buf_putc(&b, '\n');
	}
	fwrite(rbd_buf_cstr(&b), 1, b.len, stdout);
	rbd_buf_free(&b);
}

static const struct col action_cols[] = {
	{ "ID", 6, "id", true }, { "INCIDENT", 8, "incident_id", true },
	{ "STATE", 16, "state", false }, { "RULE", 24, "rule", false },
	{ "ACTION", 18, "action", false }, { "DECIDED_BY", 14, "decided_by", false },
	{ "CREATED", 24, "created_at", false },
};

static const struct col incident_cols[] = {
	{ "ID", 6, "id", true }, { "STATUS", 8, "status", false },
	{ "OPENED", 24, "opened_at", false }, { "RESOLVED", 24, "resolved_at", false },
	{ "TITLE", 60, "title", false },
};

/* ---- the request ---- */

/* Reads $RUNBOOKD_TOKEN or the file $RUNBOOKD_TOKEN_FILE; new string or NULL (said why). */
static char *token_get(void)
{
	const char *t = getenv("RUNBOOKD_TOKEN"), *path = getenv("RUNBOOKD_TOKEN_FILE");
	char buf[TOKEN_MAX + 2];
	ssize_t n;
	int fd;

	if (t && *t)
		return rbd_strdup(t);
	if (!path || !*path) {
		fprintf(stderr, "runbookd: set RUNBOOKD_TOKEN or RUNBOOKD_TOKEN_FILE to an operator "
			"or viewer token\n");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "runbookd: RUNBOOKD_TOKEN_FILE %s: %s\n", path, strerror(errno));
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || n > TOKEN_MAX) {
		fprintf(stderr, "runbookd: RUNBOOKD_TOKEN_FILE %s: unreadable or too big\n", path);
		return NULL;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	t = n ? rbd_strdup(buf) : NULL;
	explicit_bzero(buf, sizeof(buf));
	if (!t)
		fprintf(stderr, "runbookd: RUNBOOKD_TOKEN_FILE %s is empty\n", path);
	return (char *)t;
}

/*
 * method path (with query) and an optional JSON body; *out the parsed answer (caller
 * deletes) on 2xx. Returns an exit code, having printed the reason on a failure.
 */
static int call(cJSON **out, const char *base, const char *token, const char *method,
		const char *path, const cJSON *body)
{
	struct rbd_buf url = RBD_BUF_INIT(8192);
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	struct rbd_http_request req = {
		.method = method, .body = text, .bearer = token, .timeout_ms = 15000,
		.response_cap = 64 * 1024 * 1024,
	};
	struct rbd_http_response resp = { 0 };
	cJSON *j = NULL;
	int rc;

	*out = NULL;
	rbd_buf_printf(&url, "%s%s", base, path);
	req.url = rbd_buf_cstr(&url);
	rc = rbd_httpc_do(&resp, &req);
	free(text);
	if (rc) {
		fprintf(stderr, "runbookd: cannot reach %s: %s\n", base, rbd_err_msg());
		rbd_buf_free(&url);
		return rc == RBD_EINVAL ? RBD_EXIT_USAGE : RBD_EXIT_RUNTIME;
	}
	j = resp.body ? cJSON_Parse(resp.body) : NULL;
	if (resp.status >= 200 && resp.status <= 299 && j) {
		*out = j;
		rc = RBD_EXIT_OK;
	} else {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
		struct rbd_buf m = RBD_BUF_INIT(4096);

		cell(&m, e ? jstr(e, "message") : "an answer that is not runbookd's JSON", 1000);
		fprintf(stderr, "runbookd: %s %s: %ld %s\n", method, path, resp.status,
			rbd_buf_cstr(&m));
		rbd_buf_free(&m);
		cJSON_Delete(j);
		rc = resp.status >= 400 && resp.status <= 499 ? RBD_EXIT_INVALID : RBD_EXIT_RUNTIME;
	}
	rbd_http_response_clear(&resp);
	rbd_buf_free(&url);
	return rc;
}

static bool json_out(const struct ropts *o)
{
	return o->output && strcmp(o->output, "json") == 0;
}

static void print_json(const cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* Digits only: an id goes into a path. */
static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 19 && strspn(s, "0123456789") == n;
}

/* ---- the commands ---- */

static int c_decide(const struct rcmd *c, const struct ropts *o, const char *base,
		    const char *token)
{
	cJSON *body = cJSON_CreateObject(), *res = NULL, *rows;
	char path[96];
	int rc;

	if (!id_ok(o->pos[0])) {
		fprintf(stderr, "runbookd: %s: ACTION_ID must be a number\n", c->name);
		cJSON_Delete(body);
		return RBD_EXIT_USAGE;
	}
	if (o->comment)
		cJSON_AddStringToObject(body, "comment", o->comment);
	snprintf(path, sizeof(path), "/api/v1/actions/%s/%s", o->pos[0], c->name);
	rc = call(&res, base, token, "POST", path, body);
	cJSON_Delete(body);
	if (rc)
		return rc;
	if (json_out(o)) {
		print_json(res);
	} else {
		cJSON *act = cJSON_GetObjectItemCaseSensitive(res, "action");
		const cJSON *ap = cJSON_GetObjectItemCaseSensitive(act, "approvals");

		rows = cJSON_CreateArray();
		cJSON_AddItemReferenceToArray(rows, act);
		table(rows, action_cols, sizeof(action_cols) / sizeof(action_cols[0]));
		cJSON_Delete(rows);
		if (ap && jnum(ap, "needed") > 0) {
			struct rbd_buf e = RBD_BUF_INIT(256);

			cell(&e, jstr(act, "expires_at"), 40);
			printf("approvals %lld/%lld%s%s\n", jnum(ap, "given"), jnum(ap, "needed"),
			       e.len ? ", expires " : "", rbd_buf_cstr(&e));
			rbd_buf_free(&e);
		}
	}
	cJSON_Delete(res);
	return 0;
}

static int c_note(const struct rcmd *c, const struct ropts *o, const char *base,
		  const char *token)
{
	cJSON *body = cJSON_CreateObject(), *res = NULL;
	char path[96];
	int rc;

	(void)c;
	if (!id_ok(o->pos[0])) {
		fprintf(stderr, "runbookd: note: INCIDENT_ID must be a number\n");
		cJSON_Delete(body);
		return RBD_EXIT_USAGE;
	}
	cJSON_AddStringToObject(body, "text", o->pos[1]);
	if (o->section)
		cJSON_AddStringToObject(body, "section", o->section);
	snprintf(path, sizeof(path), "/api/v1/incidents/%s/notes", o->pos[0]);
	rc = call(&res, base, token, "POST", path, body);
	cJSON_Delete(body);
	if (rc)
		return rc;
	if (json_out(o))
		print_json(res);
	else
		printf("note added to incident %lld by %s%s%s\n", jnum(res, "incident_id"),
		       jstr(res, "added_by"), o->section ? " under " : "", o->section ? o->section : "");
	cJSON_Delete(res);
	return 0;
}

static int c_pause(const struct rcmd *c, const struct ropts *o, const char *base,
		   const char *token)
{
	cJSON *body = cJSON_CreateObject(), *res = NULL;
	char path[32];
	int rc;

	if (o->comment)
		cJSON_AddStringToObject(body, "comment", o->comment);
	snprintf(path, sizeof(path), "/api/v1/%s", c->name);
	rc = call(&res, base, token, "POST", path, body);
	cJSON_Delete(body);
	if (rc)
		return rc;
	if (json_out(o))
		print_json(res);
	else
		printf("%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "paused")) ?
		       "paused: nothing will start until `runbookd resume`" : "resumed");
	cJSON_Delete(res);
	return 0;
}

/* A query value: what the API takes is [a-z_], so anything else is a usage error. */
static bool word_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 32 && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

static int list(const struct ropts *o, const char *base, const char *token, const char *path,
		const char *key, const struct col *cols, size_t n)
{
	cJSON *res = NULL;
	int rc = call(&res, base, token, "GET", path, NULL);

	if (rc)
		return rc;
	if (json_out(o))
		print_json(res);
	else
		table(cJSON_GetObjectItemCaseSensitive(res, key), cols, n);
	cJSON_Delete(res);
	return 0;
}

static int c_incidents(const struct rcmd *c, const struct ropts *o, const char *base,
		       const char *token)
{
	char path[96] = "/api/v1/incidents";

	(void)c;
	if (o->status && !word_ok(o->status)) {
		fprintf(stderr, "runbookd: incidents: --status must be open or resolved\n");
		return RBD_EXIT_USAGE;
	}
	if (o->status)
		snprintf(path, sizeof(path), "/api/v1/incidents?status=%s", o->status);
	return list(o, base, token, path, "incidents", incident_cols,
		    sizeof(incident_cols) / sizeof(incident_cols[0]));
}

static int c_actions(const struct rcmd *c, const struct ropts *o, const char *base,
		     const char *token)
{
	char path[96] = "/api/v1/actions";

	(void)c;
	if (o->state && !word_ok(o->state)) {
		fprintf(stderr, "runbookd: actions: --state must be an action state\n");
		return RBD_EXIT_USAGE;
	}
	if (o->state)
		snprintf(path, sizeof(path), "/api/v1/actions?state=%s", o->state);
	return list(o, base, token, path, "actions", action_cols,
		    sizeof(action_cols) / sizeof(action_cols[0]));
}

/* ---- dispatch ---- */

static bool takes(const struct rcmd *c, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = strstr(c->flags, flag);

	return p && (p[n] == '\0' || p[n] == ' ');
}

static int parse(struct ropts *o, const struct rcmd *c, int argc, char **argv)
{
	static const struct {
		const char *flag;
		size_t off;
		bool always;          /* every command takes it */
	} flags[] = {
		{ "--url", offsetof(struct ropts, url), true },
		{ "-o", offsetof(struct ropts, output), true },
		{ "--output", offsetof(struct ropts, output), true },
		{ "--comment", offsetof(struct ropts, comment), false },
		{ "--section", offsetof(struct ropts, section), false },
		{ "--state", offsetof(struct ropts, state), false },
		{ "--status", offsetof(struct ropts, status), false },
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t f;

		for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
			if (strcmp(a, flags[f].flag) == 0 && (flags[f].always || takes(c, a)))
				break;
		if (f < sizeof(flags) / sizeof(flags[0])) {
			if (i + 1 >= argc) {
				fprintf(stderr, "runbookd: %s needs a value\n", a);
				return -1;
			}
			*(const char **)((char *)o + flags[f].off) = argv[++i];
			continue;
		}
		if ((a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9')) || o->npos >= c->npos) {
			fprintf(stderr, "runbookd: %s: unexpected argument %s\n", c->name, a);
			return -1;
		}
		o->pos[o->npos++] = a;
	}
	if (o->npos != c->npos) {
		fprintf(stderr, "runbookd: %s: missing argument\n", c->name);
		return -1;
	}
	if (o->output && strcmp(o->output, "json") != 0 && strcmp(o->output, "table") != 0) {
		fprintf(stderr, "runbookd: -o must be table or json\n");
		return -1;
	}
	return 0;
}

int rbd_cli_remote_main(int argc, char **argv)
{
	const struct rcmd *c = NULL;
	struct ropts o = { 0 };
	struct rbd_buf base = RBD_BUF_INIT(4096);
	const char *env = getenv("RUNBOOKD_URL");
	char *token;
	int rc;

	for (size_t i = 0; i < sizeof(rcmds) / sizeof(rcmds[0]); i++)
		if (strcmp(argv[0], rcmds[i].name) == 0)
			c = &rcmds[i];
	if (!c)
		return RBD_EXIT_USAGE;
	if (parse(&o, c, argc, argv)) {
		fprintf(stderr, "usage: runbookd %s [--url URL] [-o table|json]\n", c->usage);
		return RBD_EXIT_USAGE;
	}
	rbd_buf_puts(&base, o.url ? o.url : env && *env ? env : DEFAULT_URL);
	while (base.len && base.data[base.len - 1] == '/')
		base.data[--base.len] = '\0';
	token = token_get();
	if (!token) {
		rbd_buf_free(&base);
		return RBD_EXIT_USAGE;
	}
	rbd_httpc_global_init();
	rc = c->fn(c, &o, rbd_buf_cstr(&base), token);
	rbd_httpc_global_cleanup();
	explicit_bzero(token, strlen(token));
	free(token);
	rbd_buf_free(&base);
	return rc;
}
