/*
 * payload: parses and validates an Alertmanager webhook notification (version 4)
 * into struct rbd_notification.
 *
 * The body is network data from whoever holds an ingest token. Before cJSON sees it,
 * one pass checks it is strict UTF-8, one pass lexes it (strict JSON tokens, string
 * escapes, nesting depth against the limit) and makes a NUL-terminated copy; cJSON
 * then builds the tree and every field is type-checked against the tables below.
 * An error names the field by its JSON path ("alerts[1].labels.severity: expected a
 * string"). This module must never log or echo the body or a field's value, never
 * recurse deeper than the depth limit, and never accept a string with an embedded NUL
 * (the rest of runbookd holds C strings).
 */
#include "runbookd/payload.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/timeutil.h"
#include "runbookd/utf8.h"

#include <assert.h>
#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct rbd_payload_limits default_limits = {
	.max_alerts = 1000,
	.max_labels = 256,
	.max_string_bytes = 16384,
	.max_depth = 32,
};

/*
 * A decoded "\u0000" escape is replaced in our copy of the body by the byte 0xFF.
 * The body is strict UTF-8 and cJSON decodes escapes into valid UTF-8, so 0xFF can
 * appear in a parsed string only where the body had "\u0000".
 */
#define NUL_MARK '\xff'

/* ---- pass 2: lexer, depth and the copy handed to cJSON ---- */

struct lexer {
	const unsigned char *s;
	size_t len;
	size_t i;
	char *out;                      /* copy for cJSON, len + 1 bytes */
	size_t olen;
	size_t nul_escapes;             /* "\u0000" seen inside strings */
};

static int lex_fail(const struct lexer *lx, const char *why)
{
	return rbd_err_set(RBD_EINVAL, "body: malformed JSON at byte %zu: %s", lx->i, why);
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void lex_copy(struct lexer *lx, size_t n)
{
	memcpy(lx->out + lx->olen, lx->s + lx->i, n);
	lx->olen += n;
	lx->i += n;
}

/* A string token at lx->i (the opening quote). Rejects raw control characters and
 * escapes JSON does not define (cJSON would decode "\uZZZZ" as a NUL). */
static int lex_string(struct lexer *lx)
{
	lex_copy(lx, 1);
	while (lx->i < lx->len) {
		unsigned char c = lx->s[lx->i];

		if (c == '"') {
			lex_copy(lx, 1);
			return 0;
		}
		if (c < 0x20)
			return lex_fail(lx, "control character in string");
		if (c != '\\') {
			lex_copy(lx, 1);
			continue;
		}
		if (lx->len - lx->i < 2)
			break;
		c = lx->s[lx->i + 1];
		if (c == 'u') {
			const unsigned char *h = lx->s + lx->i + 2;

			if (lx->len - lx->i < 6 || !is_hex(h[0]) || !is_hex(h[1]) ||
			    !is_hex(h[2]) || !is_hex(h[3]))
				return lex_fail(lx, "bad \\u escape");
			if (memcmp(h, "0000", 4) == 0) {
				lx->out[lx->olen++] = NUL_MARK;
				lx->i += 6;
				lx->nul_escapes++;
			} else {
				lex_copy(lx, 6);
			}
		} else if (strchr("\"\\/bfnrt", c) && c != '\0') {
			lex_copy(lx, 2);
		} else {
			return lex_fail(lx, "bad escape in string");
		}
	}
	return lex_fail(lx, "unterminated string");
}

/* A number token, strictly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int lex_number(struct lexer *lx)
{
	size_t j = lx->i;
	const unsigned char *s = lx->s;

	if (j < lx->len && s[j] == '-')
		j++;
	if (j < lx->len && s[j] == '0') {
		j++;
	} else if (j < lx->len && s[j] >= '1' && s[j] <= '9') {
		while (j < lx->len && is_digit(s[j]))
			j++;
	} else {
		return lex_fail(lx, "bad number");
	}
	if (j < lx->len && s[j] == '.') {
		j++;
		if (j >= lx->len || !is_digit(s[j]))
			return lex_fail(lx, "bad number");
		while (j < lx->len && is_digit(s[j]))
			j++;
	}
	if (j < lx->len && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		if (j < lx->len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j >= lx->len || !is_digit(s[j]))
			return lex_fail(lx, "bad number");
		while (j < lx->len && is_digit(s[j]))
			j++;
	}
	/* cJSON reads "01" or "-01" as one number: a leading zero must end the token. */
	if (j < lx->len && is_digit(s[j]))
		return lex_fail(lx, "bad number");
	lex_copy(lx, j - lx->i);
	return 0;
}

static int lex_literal(struct lexer *lx)
{
	static const char *const words[] = { "true", "false", "null" };

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		size_t n = strlen(words[k]);

		if (lx->len - lx->i >= n && memcmp(lx->s + lx->i, words[k], n) == 0) {
			lex_copy(lx, n);
			return 0;
		}
	}
	return lex_fail(lx, "unexpected token");
}

/*
 * Checks every token of the body (grammar is left to cJSON) and the nesting depth,
 * and fills lx->out. Linear, no recursion, so a 10,000-deep body costs nothing.
 */
static int lex_body(struct lexer *lx, size_t max_depth)
{
	size_t depth = 0;
	int rc;

	while (lx->i < lx->len) {
		unsigned char c = lx->s[lx->i];

		switch (c) {
		case ' ': case '\t': case '\n': case '\r':
		case ',': case ':':
			lex_copy(lx, 1);
			break;
		case '{': case '[':
			if (++depth > max_depth)
				return rbd_err_set(RBD_EINVAL,
						   "body: JSON nested deeper than %zu levels", max_depth);
			lex_copy(lx, 1);
			break;
		case '}': case ']':
			if (depth == 0)
				return lex_fail(lx, "unbalanced bracket");
			depth--;
			lex_copy(lx, 1);
			break;
		case '"':
			if ((rc = lex_string(lx)) != 0)
				return rc;
			break;
		case '-': case '0': case '1': case '2': case '3': case '4':
		case '5': case '6': case '7': case '8': case '9':
			if ((rc = lex_number(lx)) != 0)
				return rc;
			break;
		case 't': case 'f': case 'n':
			if ((rc = lex_literal(lx)) != 0)
				return rc;
			break;
		default:
			return lex_fail(lx, "unexpected byte");
		}
	}
	if (depth != 0)
		return lex_fail(lx, "unexpected end of body");
	lx->out[lx->olen] = '\0';
	return 0;
}

/* ---- pass 3: the tree ---- */

struct pctx {
	const struct rbd_payload_limits *lim;
	struct rbd_buf path;            /* JSON path of the value being read */
};

static int path_is_plain(const char *k)
{
	if (!*k)
		return 0;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* Appends .key, or ["key"] (escaped, shortened) when it is not a plain name. */
static size_t path_push_key(struct pctx *c, const char *k)
{
	size_t mark = c->path.len;
	size_t n = 0;

	if (path_is_plain(k) && strlen(k) <= 64) {
		rbd_buf_printf(&c->path, "%s%s", mark ? "." : "", k);
		return mark;
	}
	rbd_buf_puts(&c->path, "[\"");
	for (const unsigned char *p = (const unsigned char *)k; *p; p++, n++) {
		if (n >= 48) {
			/* Do not cut a UTF-8 sequence: the message goes into JSON. */
			if ((*p & 0xC0) != 0x80) {
				rbd_buf_puts(&c->path, "...");
				break;
			}
		}
		if (*p == (unsigned char)NUL_MARK)
			rbd_buf_puts(&c->path, "\\u0000");
		else if (*p == '"' || *p == '\\')
			rbd_buf_printf(&c->path, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7F)
			rbd_buf_printf(&c->path, "\\u%04x", *p);
		else
			rbd_buf_putc(&c->path, (char)*p);
	}
	rbd_buf_puts(&c->path, "\"]");
	return mark;
}

static size_t path_push_index(struct pctx *c, size_t i)
{
	size_t mark = c->path.len;

	rbd_buf_printf(&c->path, "[%zu]", i);
	return mark;
}

static void path_pop(struct pctx *c, size_t mark)
{
	c->path.len = mark;
	if (c->path.data)
		c->path.data[mark] = '\0';
}

/* Sets the error "PATH: message" and returns code. */
__attribute__((format(printf, 3, 4)))
static int perr(struct pctx *c, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rbd_err_set(code, "%s: %s", c->path.len ? rbd_buf_cstr(&c->path) : "body", msg);
}

/* Finds the first string or key holding a NUL_MARK, to name it in the error. */
static int find_nul(struct pctx *c, const cJSON *item)
{
	size_t i = 0;
	int rc;

	if (cJSON_IsString(item) && strchr(item->valuestring, NUL_MARK))
		return perr(c, RBD_EINVAL, "string contains NUL (\\u0000)");
	if (!cJSON_IsArray(item) && !cJSON_IsObject(item))
		return 0;
	for (const cJSON *ch = item->child; ch; ch = ch->next, i++) {
		size_t mark;

		if (cJSON_IsObject(item)) {
			mark = path_push_key(c, ch->string);
			if (strchr(ch->string, NUL_MARK)) {
				rc = perr(c, RBD_EINVAL, "key contains NUL (\\u0000)");
				path_pop(c, mark);
				return rc;
			}
		} else {
			mark = path_push_index(c, i);
		}
		rc = find_nul(c, ch);
		path_pop(c, mark);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_len(struct pctx *c, const char *s)
{
	size_t n = strlen(s);

	if (n > c->lim->max_string_bytes)
		return perr(c, RBD_ETOOBIG, "string of %zu bytes over the limit of %zu", n,
			    c->lim->max_string_bytes);
	return 0;
}

/* ---- field readers: (ctx, JSON value, destination) ---- */

typedef int (*field_fn)(struct pctx *c, const cJSON *v, void *dst);

static int get_string(struct pctx *c, const cJSON *v, void *dst)
{
	int rc;

	if (!cJSON_IsString(v))
		return perr(c, RBD_EINVAL, "expected a string");
	if ((rc = check_len(c, v->valuestring)) != 0)
		return rc;
	*(char **)dst = rbd_strdup(v->valuestring);
	return 0;
}

static int get_nonempty_string(struct pctx *c, const cJSON *v, void *dst)
{
	if (cJSON_IsString(v) && v->valuestring[0] == '\0')
		return perr(c, RBD_EINVAL, "must not be empty");
	return get_string(c, v, dst);
}

static int get_version(struct pctx *c, const cJSON *v, void *dst)
{
	if (!cJSON_IsString(v))
		return perr(c, RBD_EINVAL, "expected a string");
	if (strcmp(v->valuestring, "4") != 0)
		return perr(c, RBD_EINVAL, "unsupported webhook payload version (want \"4\")");
	*(char **)dst = rbd_strdup("4");
	return 0;
}

static int get_status(struct pctx *c, const cJSON *v, void *dst)
{
	if (!cJSON_IsString(v))
		return perr(c, RBD_EINVAL, "expected a string");
	if (strcmp(v->valuestring, "firing") != 0 && strcmp(v->valuestring, "resolved") != 0)
		return perr(c, RBD_EINVAL, "expected \"firing\" or \"resolved\"");
	*(char **)dst = rbd_strdup(v->valuestring);
	return 0;
}

static int get_fingerprint(struct pctx *c, const cJSON *v, void *dst)
{
	size_t n;

	if (!cJSON_IsString(v))
		return perr(c, RBD_EINVAL, "expected a string");
	n = strlen(v->valuestring);
	if (n < 1 || n > 64)
		return perr(c, RBD_EINVAL, "expected 1 to 64 hex digits");
	for (size_t i = 0; i < n; i++)
		if (!is_hex((unsigned char)v->valuestring[i]))
			return perr(c, RBD_EINVAL, "expected 1 to 64 hex digits");
	*(char **)dst = rbd_strdup(v->valuestring);
	return 0;
}

/* A non-negative integer that a double holds exactly (up to 2^53). */
static int get_count(struct pctx *c, const cJSON *v, void *dst)
{
	double d;

	if (!cJSON_IsNumber(v))
		return perr(c, RBD_EINVAL, "expected a number");
	d = v->valuedouble;
	if (!(d >= 0 && d <= 9007199254740992.0) || (double)(int64_t)d != d)
		return perr(c, RBD_EINVAL, "expected a non-negative integer");
	*(int64_t *)dst = (int64_t)d;
	return 0;
}

static int get_time(struct pctx *c, const cJSON *v, int64_t *out_ns, bool *out_zero)
{
	char why[128];

	if (!cJSON_IsString(v))
		return perr(c, RBD_EINVAL, "expected a string");
	if (rbd_time_parse(out_ns, out_zero, v->valuestring) != 0) {
		/* Copy first: perr() overwrites the message it would read from. */
		snprintf(why, sizeof(why), "%s", rbd_err_msg());
		return perr(c, RBD_EINVAL, "%s", why);
	}
	return 0;
}

static int get_starts(struct pctx *c, const cJSON *v, void *dst)
{
	struct rbd_alert *a = dst;
	bool zero;
	int rc;

	if ((rc = get_time(c, v, &a->starts_ns, &zero)) != 0)
		return rc;
	/* (fingerprint, startsAt) is the episode key: a zero start would merge episodes. */
	if (zero)
		return perr(c, RBD_EINVAL, "must not be the zero time");
	return 0;
}

static int get_ends(struct pctx *c, const cJSON *v, void *dst)
{
	struct rbd_alert *a = dst;

	return get_time(c, v, &a->ends_ns, &a->ends_zero);
}

static int get_labels(struct pctx *c, const cJSON *v, void *dst)
{
	struct rbd_labelset *ls = dst;
	int n, rc = 0;

	if (!cJSON_IsObject(v))
		return perr(c, RBD_EINVAL, "expected an object");
	n = cJSON_GetArraySize(v);
	if ((size_t)n > c->lim->max_labels)
		return perr(c, RBD_ETOOBIG, "%d entries over the limit of %zu", n,
			    c->lim->max_labels);
	ls->kv = rbd_calloc((size_t)n, sizeof(*ls->kv));
	for (const cJSON *ch = v->child; ch; ch = ch->next) {
		size_t mark = path_push_key(c, ch->string);

		if (ch->string[0] == '\0')
			rc = perr(c, RBD_EINVAL, "empty label name");
		else if (!cJSON_IsString(ch))
			rc = perr(c, RBD_EINVAL, "expected a string");
		else if ((rc = check_len(c, ch->string)) == 0)
			rc = check_len(c, ch->valuestring);
		if (rc == 0) {
			ls->kv[ls->n].key = rbd_strdup(ch->string);
			ls->kv[ls->n].value = rbd_strdup(ch->valuestring);
			ls->n++;
		}
		path_pop(c, mark);
		if (rc)
			return rc;
	}
	if (rbd_labels_sort(ls) != 0) {
		for (size_t i = 1; i < ls->n; i++) {
			if (strcmp(ls->kv[i - 1].key, ls->kv[i].key) == 0) {
				size_t mark = path_push_key(c, ls->kv[i].key);

				rc = perr(c, RBD_EINVAL, "duplicate label name");
				path_pop(c, mark);
				return rc;
			}
		}
		return perr(c, RBD_EINVAL, "duplicate label name");
	}
	return 0;
}

static int get_nonempty_labels(struct pctx *c, const cJSON *v, void *dst)
{
	int rc = get_labels(c, v, dst);

	if (rc == 0 && ((struct rbd_labelset *)dst)->n == 0)
		return perr(c, RBD_EINVAL, "must not be empty");
	return rc;
}

struct field {
	const char *name;
	bool required;
	field_fn get;
	size_t off;                     /* where get() writes, from the struct's start */
};

#define AF(member) offsetof(struct rbd_alert, member)
static const struct field alert_fields[] = {
	{ "status",       true,  get_status,          AF(status) },
	{ "labels",       true,  get_nonempty_labels, AF(labels) },
	{ "annotations",  false, get_labels,          AF(annotations) },
	{ "startsAt",     true,  get_starts,          0 },
	{ "endsAt",       false, get_ends,            0 },
	{ "generatorURL", false, get_string,          AF(generator_url) },
	{ "fingerprint",  true,  get_fingerprint,     AF(fingerprint) },
};
#undef AF

static int get_alerts(struct pctx *c, const cJSON *v, void *dst);

#define NF(member) offsetof(struct rbd_notification, member)
static const struct field notification_fields[] = {
	{ "version",           true,  get_version,         NF(version) },
	{ "groupKey",          true,  get_nonempty_string, NF(group_key) },
	{ "status",            true,  get_status,          NF(status) },
	{ "receiver",          true,  get_string,          NF(receiver) },
	{ "externalURL",       false, get_string,          NF(external_url) },
	{ "groupLabels",       false, get_labels,          NF(group_labels) },
	{ "commonLabels",      false, get_labels,          NF(common_labels) },
	{ "commonAnnotations", false, get_labels,          NF(common_annotations) },
	{ "truncatedAlerts",   false, get_count,           NF(truncated_alerts) },
	{ "alerts",            true,  get_alerts,          0 },
};
#undef NF

#define MAX_FIELDS 16

/*
 * Reads object v into the struct at base with a field table: unknown keys are
 * ignored (newer Alertmanagers add some), a known key twice is an error (which one
 * would count?), null in an optional field reads as absent. Fields are read in table
 * order, so a version mismatch is reported before anything else.
 */
static int read_object(struct pctx *c, const cJSON *v, void *base,
		       const struct field *fields, size_t nfields)
{
	const cJSON *found[MAX_FIELDS] = { NULL };
	int rc;

	assert(nfields <= MAX_FIELDS);
	if (!cJSON_IsObject(v))
		return perr(c, RBD_EINVAL, "expected an object");
	for (const cJSON *ch = v->child; ch; ch = ch->next) {
		for (size_t f = 0; f < nfields; f++) {
			if (strcmp(ch->string, fields[f].name) != 0)
				continue;
			if (found[f]) {
				size_t mark = path_push_key(c, ch->string);

				rc = perr(c, RBD_EINVAL, "duplicate key");
				path_pop(c, mark);
				return rc;
			}
			found[f] = ch;
		}
	}
	for (size_t f = 0; f < nfields; f++) {
		size_t mark = path_push_key(c, fields[f].name);

		if (found[f] && cJSON_IsNull(found[f]) && !fields[f].required)
			found[f] = NULL;
		if (!found[f])
			rc = fields[f].required ? perr(c, RBD_EINVAL, "required field missing") : 0;
		else
			rc = fields[f].get(c, found[f], (char *)base + fields[f].off);
		path_pop(c, mark);
		if (rc)
			return rc;
	}
	return 0;
}

static int get_alerts(struct pctx *c, const cJSON *v, void *dst)
{
	struct rbd_notification *n = dst;
	size_t i = 0;
	int count, rc;

	if (!cJSON_IsArray(v))
		return perr(c, RBD_EINVAL, "expected an array");
	count = cJSON_GetArraySize(v);
	if ((size_t)count > c->lim->max_alerts)
		return perr(c, RBD_ETOOBIG, "%d alerts over the limit of %zu", count,
			    c->lim->max_alerts);
	n->alerts = rbd_calloc((size_t)count, sizeof(*n->alerts));
	n->n_alerts = (size_t)count;
	for (const cJSON *ch = v->child; ch; ch = ch->next, i++) {
		struct rbd_alert *a = &n->alerts[i];
		size_t mark = path_push_index(c, i);

		a->ends_zero = true;    /* endsAt absent: still firing as far as we know */
		rc = read_object(c, ch, a, alert_fields,
				 sizeof(alert_fields) / sizeof(alert_fields[0]));
		path_pop(c, mark);
		if (rc)
			return rc;
		if (!a->generator_url)
			a->generator_url = rbd_strdup("");
	}
	return 0;
}

static void limits_resolve(struct rbd_payload_limits *out, const struct rbd_payload_limits *lim)
{
	*out = default_limits;
	if (!lim)
		return;
	if (lim->max_alerts)
		out->max_alerts = lim->max_alerts;
	if (lim->max_labels)
		out->max_labels = lim->max_labels;
	if (lim->max_string_bytes)
		out->max_string_bytes = lim->max_string_bytes;
	if (lim->max_depth)
		out->max_depth = lim->max_depth;
	/* cJSON recurses; never let it (or find_nul) go past its own limit. */
	if (out->max_depth > CJSON_NESTING_LIMIT)
		out->max_depth = CJSON_NESTING_LIMIT;
}

int rbd_payload_parse(struct rbd_notification **out, const char *body, size_t len,
		      const struct rbd_payload_limits *lim)
{
	struct rbd_payload_limits limits;
	struct pctx c;
	struct lexer lx = { 0 };
	struct rbd_notification *n = NULL;
	cJSON *root = NULL;
	const char *end = NULL;
	size_t bad;
	int rc;

	*out = NULL;
	limits_resolve(&limits, lim);
	c.lim = &limits;
	rbd_buf_init(&c.path, 4096);
	if (!body || len == 0)
		return rbd_err_set(RBD_EINVAL, "body: empty");

	bad = rbd_utf8_invalid_at(body, len);        /* pass 1: strict UTF-8 */
	if (bad != len)
		return rbd_err_set(RBD_EINVAL, "body is not valid UTF-8 (at byte %zu)", bad);

	lx.s = (const unsigned char *)body;
	lx.len = len;
	lx.out = rbd_calloc(1, len + 1);
	if ((rc = lex_body(&lx, limits.max_depth)) != 0)
		goto done;

	root = cJSON_ParseWithLengthOpts(lx.out, lx.olen, &end, 0);
	if (!root) {
		/* Offsets in the copy equal the body's unless it had "\u0000" escapes. */
		rc = rbd_err_set(RBD_EINVAL, "body: malformed JSON near byte %zu",
				 end && end >= lx.out ? (size_t)(end - lx.out) : (size_t)0);
		goto done;
	}
	/* The lexer let only JSON whitespace through between tokens. */
	for (; end && end < lx.out + lx.olen; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			rc = rbd_err_set(RBD_EINVAL, "body: trailing data after the JSON value");
			goto done;
		}
	}
	if (!cJSON_IsObject(root)) {
		rc = rbd_err_set(RBD_EINVAL, "body: expected a JSON object");
		goto done;
	}
	if (lx.nul_escapes && (rc = find_nul(&c, root)) != 0)
		goto done;

	n = rbd_calloc(1, sizeof(*n));
	rc = read_object(&c, root, n, notification_fields,
			 sizeof(notification_fields) / sizeof(notification_fields[0]));
	if (rc)
		goto done;
	if (!n->external_url)
		n->external_url = rbd_strdup("");
	*out = n;
	n = NULL;
done:
	rbd_notification_free(n);
	cJSON_Delete(root);
	free(lx.out);
	rbd_buf_free(&c.path);
	return rc;
}

static void alert_clear(struct rbd_alert *a)
{
	free(a->status);
	rbd_labels_clear(&a->labels);
	rbd_labels_clear(&a->annotations);
	free(a->generator_url);
	free(a->fingerprint);
}

void rbd_notification_free(struct rbd_notification *n)
{
	if (!n)
		return;
	free(n->version);
	free(n->receiver);
	free(n->status);
	free(n->group_key);
	free(n->external_url);
	rbd_labels_clear(&n->group_labels);
	rbd_labels_clear(&n->common_labels);
	rbd_labels_clear(&n->common_annotations);
	for (size_t i = 0; i < n->n_alerts; i++)
		alert_clear(&n->alerts[i]);
	free(n->alerts);
	free(n);
}
