/*
 * matcher: one Alertmanager label matcher (`name op value`), parsed with the rules of
 * Alertmanager's pkg/labels parser and evaluated with its semantics: a missing label
 * is "", regexes are fully anchored. Pure: no I/O, no global state. A matcher whose
 * regex cannot be decided (limit hit) never holds, for `=~` and `!~` alike, so that
 * a hostile label value cannot make a negated matcher fire a rule.
 */
#include "runbookd/matcher.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/regex.h"
#include "runbookd/utf8.h"

#include <stdlib.h>
#include <string.h>

struct rbd_matcher {
	char *name;
	enum rbd_match_op op;
	char *value;              /* unescaped */
	struct rbd_regex *re;     /* for =~ and !~ */
	char *canonical;
};

static const struct {
	const char *text;
	enum rbd_match_op op;
} match_ops[] = {
	/* two-character operators first: `a=~b` is =~, `a==b` is = with value "=b" */
	{ "=~", RBD_MATCH_RE },
	{ "!=", RBD_MATCH_NE },
	{ "!~", RBD_MATCH_NRE },
	{ "=",  RBD_MATCH_EQ },
};

static const char *op_text(enum rbd_match_op op)
{
	for (size_t i = 0; i < sizeof(match_ops) / sizeof(match_ops[0]); i++)
		if (match_ops[i].op == op)
			return match_ops[i].text;
	return "?";
}

/* Go's \s, which Alertmanager's matcher regex uses around the operator and value. */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* A one-line, bounded copy of the matcher text for error messages. */
static void excerpt(char *dst, size_t cap, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0, n = strlen(text);
	const size_t max_in = 80;

	for (i = 0; i < n && i < max_in && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			dst[o++] = (char)c;
		}
	}
	if (i < n) {
		/* do not leave half a UTF-8 sequence before the ellipsis */
		while (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0xc0)
			o--;
		if (o + 4 > cap)
			o = cap - 4;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/*
 * Unescapes raw[0..len) as Alertmanager does: an optional pair of surrounding double
 * quotes; \" \\ and \n are escapes; any other backslash is kept literally (so regex
 * escapes such as \d survive); an unescaped double quote inside is an error.
 */
static int unescape_value(struct rbd_buf *out, const char *raw, size_t len)
{
	int expect_quote = 0, escaped = 0;
	size_t i;

	if (len > 0 && raw[0] == '"') {
		expect_quote = 1;
		raw++;
		len--;
	}
	for (i = 0; i < len; i++) {
		char c = raw[i];

		if (escaped) {
			escaped = 0;
			if (c == 'n') {
				rbd_buf_putc(out, '\n');
			} else if (c == '"' || c == '\\') {
				rbd_buf_putc(out, c);
			} else {
				rbd_buf_putc(out, '\\');
				rbd_buf_putc(out, c);
			}
			continue;
		}
		if (c == '\\') {
			if (i + 1 < len) {
				escaped = 1;
				continue;
			}
			rbd_buf_putc(out, '\\');
		} else if (c == '"') {
			if (!expect_quote || i + 1 < len)
				return rbd_err_set(RBD_EINVAL, "value contains an unescaped double quote");
			expect_quote = 0;
		} else {
			rbd_buf_putc(out, c);
		}
	}
	if (expect_quote)
		return rbd_err_set(RBD_EINVAL, "value has no closing double quote");
	return 0;
}

/* Go's %q for the value, as Alertmanager's Matcher.String() prints it. */
static void quote_go(struct rbd_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	rbd_buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':  rbd_buf_puts(b, "\\\""); break;
		case '\\': rbd_buf_puts(b, "\\\\"); break;
		case '\a': rbd_buf_puts(b, "\\a"); break;
		case '\b': rbd_buf_puts(b, "\\b"); break;
		case '\f': rbd_buf_puts(b, "\\f"); break;
		case '\n': rbd_buf_puts(b, "\\n"); break;
		case '\r': rbd_buf_puts(b, "\\r"); break;
		case '\t': rbd_buf_puts(b, "\\t"); break;
		case '\v': rbd_buf_puts(b, "\\v"); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				rbd_buf_puts(b, "\\x");
				rbd_buf_putc(b, hex[c >> 4]);
				rbd_buf_putc(b, hex[c & 15]);
			} else {
				rbd_buf_putc(b, (char)c);
			}
		}
	}
	rbd_buf_putc(b, '"');
}

/*
 * Parses text (`name op value`, spaces allowed around op, value quoted or bare).
 * Returns 0 and a new matcher in *out (rbd_matcher_free), or RBD_EINVAL with a
 * message of the form "matcher `TEXT`: what is wrong".
 */
int rbd_matcher_parse(struct rbd_matcher **out, const char *text)
{
	struct rbd_matcher *m = NULL;
	struct rbd_buf val = RBD_BUF_INIT(0), canon = RBD_BUF_INIT(0);
	const char *p, *name, *raw, *end;
	char shown[400], *why = NULL;
	size_t name_len, i;
	int rc = 0;

	*out = NULL;
	if (!text)
		return rbd_err_set(RBD_EINVAL, "matcher: empty");
	excerpt(shown, sizeof(shown), text);
	p = text;
	while (is_space(*p))
		p++;
	if (!*p) {
		rc = rbd_err_set(RBD_EINVAL, "matcher `%s`: empty", shown);
		goto done;
	}
	if (!is_name_start(*p)) {
		rc = rbd_err_set(RBD_EINVAL,
				 "matcher `%s`: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)", shown);
		goto done;
	}
	name = p;
	while (is_name_char(*p))
		p++;
	name_len = (size_t)(p - name);
	while (is_space(*p))
		p++;

	m = rbd_calloc(1, sizeof(*m));
	for (i = 0; i < sizeof(match_ops) / sizeof(match_ops[0]); i++) {
		size_t n = strlen(match_ops[i].text);

		if (strncmp(p, match_ops[i].text, n) == 0) {
			m->op = match_ops[i].op;
			p += n;
			break;
		}
	}
	if (i == sizeof(match_ops) / sizeof(match_ops[0])) {
		rc = rbd_err_set(RBD_EINVAL,
				 "matcher `%s`: expected = != =~ or !~ after the label name `%.*s`",
				 shown, (int)(name_len > 64 ? 64 : name_len), name);
		goto done;
	}
	m->name = rbd_strndup(name, name_len);

	while (is_space(*p))
		p++;
	raw = p;
	end = p + strlen(p);
	while (end > raw && is_space(end[-1]))
		end--;
	if (!rbd_utf8_valid(raw, (size_t)(end - raw))) {
		rc = rbd_err_set(RBD_EINVAL, "matcher `%s`: value is not valid UTF-8", shown);
		goto done;
	}
	rc = unescape_value(&val, raw, (size_t)(end - raw));
	if (rc) {
		why = rbd_strdup(rbd_err_msg());
		rc = rbd_err_set(rc, "matcher `%s`: %s", shown, why);
		goto done;
	}
	m->value = rbd_buf_steal(&val);

	if (m->op == RBD_MATCH_RE || m->op == RBD_MATCH_NRE) {
		rc = rbd_regex_compile(&m->re, m->value);
		if (rc) {
			why = rbd_strdup(rbd_err_msg());
			rc = rbd_err_set(rc, "matcher `%s`: %s", shown, why);
			goto done;
		}
	}

	rbd_buf_puts(&canon, m->name);
	rbd_buf_puts(&canon, op_text(m->op));
	quote_go(&canon, m->value);
	m->canonical = rbd_buf_steal(&canon);

	*out = m;
	m = NULL;
done:
	free(why);
	rbd_buf_free(&val);
	rbd_buf_free(&canon);
	rbd_matcher_free(m);
	return rc;
}

/*
 * True when the matcher holds for labels (NULL: no labels). A missing label is "".
 * A regex that cannot be decided (limit hit, invalid UTF-8 value) holds for neither
 * =~ nor !~.
 */
bool rbd_matcher_matches(const struct rbd_matcher *m, const struct rbd_labelset *labels)
{
	const char *v = rbd_labels_get(labels, m->name);

	if (!v)
		v = "";
	switch (m->op) {
	case RBD_MATCH_EQ:
		return strcmp(v, m->value) == 0;
	case RBD_MATCH_NE:
		return strcmp(v, m->value) != 0;
	case RBD_MATCH_RE:
		return rbd_regex_match(m->re, v, strlen(v)) == 1;
	case RBD_MATCH_NRE:
		return rbd_regex_match(m->re, v, strlen(v)) == 0;
	}
	return false;
}

const char *rbd_matcher_name(const struct rbd_matcher *m)
{
	return m->name;
}

enum rbd_match_op rbd_matcher_op(const struct rbd_matcher *m)
{
	return m->op;
}

const char *rbd_matcher_value(const struct rbd_matcher *m)
{
	return m->value;
}

const char *rbd_matcher_string(const struct rbd_matcher *m)
{
	return m->canonical;
}

void rbd_matcher_free(struct rbd_matcher *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->value);
	rbd_regex_free(m->re);
	free(m->canonical);
	free(m);
}
