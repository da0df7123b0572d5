/*
 * template: `{{ .Field }}` templates for action argv elements, URLs, bodies and rule
 * params, plus the param allowlist check. A template is a list of literal runs and
 * field lookups; there are no pipes, functions, conditions or loops, so rendering can
 * never run code. A field that cannot be resolved refuses the render (it never turns
 * into ""), and each substituted value is escaped for where it lands. The allowlist
 * check is the last gate before a value reaches an argv element or a request: it must
 * never let through an empty, oversized, control-character, non-UTF-8 or
 * option-shaped value that the allowlist does not name literally. Pure: no I/O.
 */
#include "runbookd/template.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/regex.h"
#include "runbookd/utf8.h"

#include <stdlib.h>
#include <string.h>

#define RBD_PARAM_MAX_BYTES 1024
#define RBD_QUOTE_MAX_BYTES 64

struct tmpl_part {
	bool is_field;
	enum rbd_tmpl_field field;
	char *text;     /* literal text, or the NAME of .Labels.NAME (NULL otherwise) */
};

struct rbd_template {
	char *source;
	struct tmpl_part *parts;
	size_t nparts;
	size_t *refs;   /* indices into parts of the field parts, in order */
	size_t nrefs;
};

static const struct tmpl_field_def {
	const char *ident;
	enum rbd_tmpl_field field;
	bool named;             /* takes .NAME after it */
	const char *what;       /* how a missing value is named in the refusal */
} tmpl_fields[] = {
	{ "Labels",      RBD_TF_LABEL,       true,  "label" },
	{ "Annotations", RBD_TF_ANNOTATION,  true,  "annotation" },
	{ "Params",      RBD_TF_PARAM,       true,  "param" },
	{ "Fingerprint", RBD_TF_FINGERPRINT, false, ".Fingerprint" },
	{ "Status",      RBD_TF_STATUS,      false, ".Status" },
	{ "StartsAt",    RBD_TF_STARTS_AT,   false, ".StartsAt" },
	{ "Rule",        RBD_TF_RULE,        false, ".Rule" },
	{ "IncidentID",  RBD_TF_INCIDENT_ID, false, ".IncidentID" },
	{ "Now",         RBD_TF_NOW,         false, ".Now" },
};

static const struct tmpl_field_def *field_def(enum rbd_tmpl_field f)
{
	for (size_t i = 0; i < sizeof(tmpl_fields) / sizeof(tmpl_fields[0]); i++)
		if (tmpl_fields[i].field == f)
			return &tmpl_fields[i];
	return NULL;
}

/* Go template whitespace. */
static bool tmpl_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/*
 * Appends s[0..n) to b for an error or refusal message: double-quoted, at most
 * RBD_QUOTE_MAX_BYTES of input, `"` and `\` escaped, every byte outside printable
 * ASCII as \xNN, and a note of the full length when cut. Values quoted here come
 * from alerts and end up in the timeline, so nothing raw may pass.
 */
static void quote_safe(struct rbd_buf *b, const char *s, size_t n, bool with_quotes)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = n > RBD_QUOTE_MAX_BYTES ? RBD_QUOTE_MAX_BYTES : n;

	if (with_quotes)
		rbd_buf_putc(b, '"');
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		if (with_quotes && (c == '"' || c == '\\')) {
			rbd_buf_putc(b, '\\');
			rbd_buf_putc(b, (char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			rbd_buf_puts(b, "\\x");
			rbd_buf_putc(b, hex[c >> 4]);
			rbd_buf_putc(b, hex[c & 15]);
		} else {
			rbd_buf_putc(b, (char)c);
		}
	}
	if (shown < n)
		rbd_buf_printf(b, "...(%zu bytes)", n);
	if (with_quotes)
		rbd_buf_putc(b, '"');
}

static void tmpl_add_part(struct rbd_template *t, bool is_field, enum rbd_tmpl_field f,
			  const char *text, size_t len)
{
	struct tmpl_part *p;

	t->parts = rbd_realloc(t->parts, (t->nparts + 1) * sizeof(*t->parts));
	p = &t->parts[t->nparts];
	p->is_field = is_field;
	p->field = f;
	p->text = text ? rbd_strndup(text, len) : NULL;
	if (is_field) {
		t->refs = rbd_realloc(t->refs, (t->nrefs + 1) * sizeof(*t->refs));
		t->refs[t->nrefs++] = t->nparts;
	}
	t->nparts++;
}

/*
 * Parses the inside of one {{ ... }} (a[0..n), at offset off of the source) into a
 * field part. Everything but `.Field` or `.Field.NAME` is RBD_EINVAL.
 */
static int tmpl_parse_action(struct rbd_template *t, const char *a, size_t n, size_t off)
{
	struct rbd_buf shown = RBD_BUF_INIT(0);
	const struct tmpl_field_def *def = NULL;
	const char *p, *end, *id, *name = NULL;
	size_t id_len, name_len = 0;
	int rc = 0;

	quote_safe(&shown, a - 2, n + 4, false);
	p = a;
	end = a + n;
	while (p < end && tmpl_space(*p))
		p++;
	while (end > p && tmpl_space(end[-1]))
		end--;
	if (p == end) {
		rc = rbd_err_set(RBD_EINVAL, "empty action `%s` at offset %zu", rbd_buf_cstr(&shown), off);
		goto done;
	}
	if (*p != '.' || p + 1 == end || !ident_start(p[1])) {
		rc = rbd_err_set(RBD_EINVAL,
				 "only a field lookup such as {{ .Labels.x }} is allowed, not `%s` at offset %zu",
				 rbd_buf_cstr(&shown), off);
		goto done;
	}
	id = ++p;
	while (p < end && ident_char(*p))
		p++;
	id_len = (size_t)(p - id);
	for (size_t i = 0; i < sizeof(tmpl_fields) / sizeof(tmpl_fields[0]); i++) {
		if (strlen(tmpl_fields[i].ident) == id_len &&
		    memcmp(tmpl_fields[i].ident, id, id_len) == 0)
			def = &tmpl_fields[i];
	}
	if (!def) {
		struct rbd_buf fld = RBD_BUF_INIT(0);

		quote_safe(&fld, id, id_len, false);
		rc = rbd_err_set(RBD_EINVAL, "unknown field .%s in `%s` at offset %zu (known: .Labels.NAME "
				 ".Annotations.NAME .Params.NAME .Fingerprint .Status .StartsAt .Rule "
				 ".IncidentID .Now)", rbd_buf_cstr(&fld), rbd_buf_cstr(&shown), off);
		rbd_buf_free(&fld);
		goto done;
	}
	if (def->named) {
		if (p == end || *p != '.' || p + 1 == end || !ident_start(p[1])) {
			rc = rbd_err_set(RBD_EINVAL, ".%s needs a name (.%s.NAME) in `%s` at offset %zu",
					 def->ident, def->ident, rbd_buf_cstr(&shown), off);
			goto done;
		}
		name = ++p;
		while (p < end && ident_char(*p))
			p++;
		name_len = (size_t)(p - name);
	}
	if (p != end) {
		rc = rbd_err_set(RBD_EINVAL, "only a field lookup is allowed: `%s` at offset %zu has more "
				 "after .%s%s%.*s (pipes, functions and sub-fields are not supported)",
				 rbd_buf_cstr(&shown), off, def->ident, name ? "." : "",
				 (int)name_len, name ? name : "");
		goto done;
	}
	tmpl_add_part(t, true, def->field, name, name_len);
done:
	rbd_buf_free(&shown);
	return rc;
}

/*
 * Compiles text. Returns 0 and a new template in *out (rbd_template_free), or
 * RBD_EINVAL naming the problem: unknown field, `{{` without `}}`, an empty action,
 * a named field without its name, or anything but a field lookup. A `}}` outside an
 * action is literal text (JSON bodies end in `}}`).
 */
int rbd_template_compile(struct rbd_template **out, const char *text)
{
	struct rbd_template *t;
	const char *s, *open, *close;
	int rc = 0;

	*out = NULL;
	if (!text)
		return rbd_err_set(RBD_EINVAL, "template: no text");
	t = rbd_calloc(1, sizeof(*t));
	t->source = rbd_strdup(text);
	s = text;
	while (*s) {
		open = strstr(s, "{{");
		if (!open) {
			tmpl_add_part(t, false, RBD_TF_LABEL, s, strlen(s));
			break;
		}
		if (open > s)
			tmpl_add_part(t, false, RBD_TF_LABEL, s, (size_t)(open - s));
		close = strstr(open + 2, "}}");
		if (!close) {
			rc = rbd_err_set(RBD_EINVAL, "unbalanced `{{` at offset %zu: no closing `}}`",
					 (size_t)(open - text));
			goto done;
		}
		rc = tmpl_parse_action(t, open + 2, (size_t)(close - open - 2), (size_t)(open - text));
		if (rc)
			goto done;
		s = close + 2;
	}
	*out = t;
	t = NULL;
done:
	rbd_template_free(t);
	return rc;
}

void rbd_template_free(struct rbd_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t->refs);
	free(t->source);
	free(t);
}

const char *rbd_template_source(const struct rbd_template *t)
{
	return t->source;
}

bool rbd_template_is_literal(const struct rbd_template *t)
{
	return t->nrefs == 0;
}

size_t rbd_template_nrefs(const struct rbd_template *t)
{
	return t->nrefs;
}

/* Kind of reference i (< nrefs); *name gets the NAME of .Labels.NAME etc. or NULL. */
enum rbd_tmpl_field rbd_template_ref(const struct rbd_template *t, size_t i, const char **name)
{
	const struct tmpl_part *p = &t->parts[t->refs[i]];

	if (name)
		*name = p->text;
	return p->field;
}

/* Decimal text of v in num[0..cap) (cap >= 21); returns num. */
static const char *fmt_i64(char *num, size_t cap, int64_t v)
{
	char tmp[24];
	size_t n = 0, o = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u && n < sizeof(tmp));
	if (v < 0 && o + 1 < cap)
		num[o++] = '-';
	while (n && o + 1 < cap)
		num[o++] = tmp[--n];
	num[o] = '\0';
	return num;
}

/*
 * The value of field part p, or NULL when it is missing. An empty label or
 * annotation counts as missing: Prometheus treats an empty label as absent.
 */
static const char *tmpl_resolve(const struct tmpl_part *p, const struct rbd_template_data *d,
				char *num, size_t num_cap)
{
	const char *v = NULL;

	switch (p->field) {
	case RBD_TF_LABEL:
		v = d->labels ? rbd_labels_get(d->labels, p->text) : NULL;
		return v && *v ? v : NULL;
	case RBD_TF_ANNOTATION:
		v = d->annotations ? rbd_labels_get(d->annotations, p->text) : NULL;
		return v && *v ? v : NULL;
	case RBD_TF_PARAM:
		return d->params ? rbd_labels_get(d->params, p->text) : NULL;
	case RBD_TF_FINGERPRINT:
		return d->fingerprint;
	case RBD_TF_STATUS:
		return d->status;
	case RBD_TF_STARTS_AT:
		return d->starts_at;
	case RBD_TF_RULE:
		return d->rule;
	case RBD_TF_INCIDENT_ID:
		return fmt_i64(num, num_cap, d->incident_id);
	case RBD_TF_NOW:
		return d->now;
	}
	return NULL;
}

static int tmpl_put_url(struct rbd_buf *b, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (const unsigned char *s = (const unsigned char *)v; *s && !rc; s++) {
		unsigned char c = *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			rc = rbd_buf_putc(b, (char)c);
		} else {
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = rbd_buf_append(b, enc, 3);
		}
	}
	return rc;
}

static int tmpl_put_json(struct rbd_buf *b, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	int rc = 0;

	for (const unsigned char *s = (const unsigned char *)v; *s && !rc; s++) {
		unsigned char c = *s;

		switch (c) {
		case '"':  rc = rbd_buf_append(b, "\\\"", 2); break;
		case '\\': rc = rbd_buf_append(b, "\\\\", 2); break;
		case '\n': rc = rbd_buf_append(b, "\\n", 2); break;
		case '\r': rc = rbd_buf_append(b, "\\r", 2); break;
		case '\t': rc = rbd_buf_append(b, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char enc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

				rc = rbd_buf_append(b, enc, 6);
			} else {
				rc = rbd_buf_putc(b, (char)c);
			}
		}
	}
	return rc;
}

/*
 * Renders t against d into a new string (*out, caller frees). Literal text is copied
 * as written; each substituted value is escaped per esc. Returns 0, or RBD_EREFUSED
 * when a field is missing ("label instance is missing"), a JSON-escaped value is not
 * valid UTF-8, or the result would pass max_len bytes (0: no cap of its own).
 */
int rbd_template_render(char **out, const struct rbd_template *t,
			const struct rbd_template_data *d, enum rbd_tmpl_escape esc, size_t max_len)
{
	static const struct rbd_template_data none = { 0 };
	struct rbd_buf b = RBD_BUF_INIT(max_len);
	char num[32];
	int rc = 0;

	*out = NULL;
	if (!d)
		d = &none;
	for (size_t i = 0; i < t->nparts; i++) {
		const struct tmpl_part *p = &t->parts[i];
		const struct tmpl_field_def *def;
		const char *v;

		if (!p->is_field) {
			rc = rbd_buf_puts(&b, p->text);
			if (rc)
				goto too_long;
			continue;
		}
		v = tmpl_resolve(p, d, num, sizeof(num));
		def = field_def(p->field);
		if (!v) {
			if (def->named)
				rc = rbd_err_set(RBD_EREFUSED, "%s %s is missing", def->what, p->text);
			else
				rc = rbd_err_set(RBD_EREFUSED, "field %s is missing", def->what);
			goto done;
		}
		if (esc == RBD_ESC_JSON && !rbd_utf8_valid(v, strlen(v))) {
			rc = rbd_err_set(RBD_EREFUSED, "%s%s%s is not valid UTF-8", def->what,
					 def->named ? " " : "", def->named ? p->text : "");
			goto done;
		}
		switch (esc) {
		case RBD_ESC_URL:
			rc = tmpl_put_url(&b, v);
			break;
		case RBD_ESC_JSON:
			rc = tmpl_put_json(&b, v);
			break;
		case RBD_ESC_NONE:
		default:
			rc = rbd_buf_puts(&b, v);
			break;
		}
		if (rc)
			goto too_long;
	}
	*out = rbd_buf_steal(&b);
	goto done;
too_long:
	rc = rbd_err_set(RBD_EREFUSED, "rendered template `%.64s` is longer than %zu bytes",
			 t->source, max_len);
done:
	rbd_buf_free(&b);
	return rc;
}

static bool param_listed(const struct rbd_param_spec *spec, const char *value)
{
	for (size_t i = 0; spec->one_of && i < spec->n_one_of; i++)
		if (spec->one_of[i] && strcmp(spec->one_of[i], value) == 0)
			return true;
	return false;
}

/*
 * Checks a rendered param value against spec. Returns 0 when it may be used, else
 * RBD_EREFUSED with "param NAME: value \"...\" <reason>" (value quoted safely: cut to
 * 64 bytes, non-printables escaped). Refused: empty; over 1024 bytes; a control
 * character (< 0x20 or 0x7f); invalid UTF-8; starting with '-' or '@' (or any non-ASCII
 * character: lookalikes such as U+FF0D) unless one_of
 * lists it literally; not in one_of (when set); not matching pattern (when set);
 * a spec with neither. When both one_of and pattern are set, both must pass.
 */
int rbd_param_check(const struct rbd_param_spec *spec, const char *value)
{
	struct rbd_buf q = RBD_BUF_INIT(0);
	const char *name = spec->name ? spec->name : "?";
	size_t len = value ? strlen(value) : 0;
	bool listed;
	int rc = 0;

	if (!value || len == 0) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: empty value", name);
		goto done;
	}
	quote_safe(&q, value, len, true);
	if (len > RBD_PARAM_MAX_BYTES) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: value %s is %zu bytes, over the %d-byte limit",
				 name, rbd_buf_cstr(&q), len, RBD_PARAM_MAX_BYTES);
		goto done;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f) {
			rc = rbd_err_set(RBD_EREFUSED,
					 "param %.64s: value %s contains control character 0x%02x",
					 name, rbd_buf_cstr(&q), c);
			goto done;
		}
	}
	if (!rbd_utf8_valid(value, len)) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: value %s is not valid UTF-8",
				 name, rbd_buf_cstr(&q));
		goto done;
	}
	listed = param_listed(spec, value);
	if ((value[0] == '-' || value[0] == '@') && !listed) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: value %s starts with '%c' (option-shaped) and "
				 "one_of does not list it", name, rbd_buf_cstr(&q), value[0]);
		goto done;
	}
	/* Lookalikes of '-' (U+2010-2015, U+2212, U+FE58, U+FE63, U+FF0D "－rf") and of
	 * '@' (U+FF20) pass the check above; some programs or terminals fold them.
	 * Safest rule: a value must start with an ASCII character unless listed. */
	if ((unsigned char)value[0] >= 0x80 && !listed) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: value %s starts with a non-ASCII character "
				 "(it could stand for '-' or '@') and one_of does not list it", name,
				 rbd_buf_cstr(&q));
		goto done;
	}
	if (!spec->one_of && !spec->pattern) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: no allowlist (one_of or pattern)", name);
		goto done;
	}
	if (spec->one_of && !listed) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: value %s is not one of the allowed values",
				 name, rbd_buf_cstr(&q));
		goto done;
	}
	if (spec->pattern && rbd_regex_match(spec->pattern, value, len) != 1) {
		rc = rbd_err_set(RBD_EREFUSED, "param %.64s: value %s does not match pattern `%.64s`",
				 name, rbd_buf_cstr(&q), rbd_regex_source(spec->pattern));
		goto done;
	}
done:
	rbd_buf_free(&q);
	return rc;
}

void rbd_param_spec_clear(struct rbd_param_spec *spec)
{
	if (!spec)
		return;
	free(spec->name);
	for (size_t i = 0; spec->one_of && i < spec->n_one_of; i++)
		free(spec->one_of[i]);
	free(spec->one_of);
	rbd_regex_free(spec->pattern);
	memset(spec, 0, sizeof(*spec));
}
