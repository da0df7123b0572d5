/*
 * secrets: header values from the environment or a file, for notification targets
 * and http actions (`headers: {NAME: {env: VAR} | {file: PATH}}`). A value never comes
 * from the config text or alert data, and never reaches a diagnostic, a log line, the
 * store or an export: messages name the variable or the file, never the value.
 */
#include "runbookd/secrets.h"
#include "runbookd/buf.h"
#include "runbook_load.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER_NAME_MAX 64
#define HEADER_VALUE_MAX 4096
#define HEADERS_MAX 32

void rbd_headers_clear(struct rbd_headers *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		if (h->v[i].value) {
			explicit_bzero(h->v[i].value, strlen(h->v[i].value));
			free(h->v[i].value);
		}
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

void rbd_headers_copy(struct rbd_headers *out, const struct rbd_headers *in)
{
	out->n = in->n;
	out->v = in->n ? rbd_calloc(in->n, sizeof(*out->v)) : NULL;
	for (size_t i = 0; i < in->n; i++) {
		out->v[i].name = rbd_strdup(in->v[i].name);
		out->v[i].value = rbd_strdup(in->v[i].value);
	}
}

/* RFC 9110 token characters. */
static bool header_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HEADER_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

/* Names libcurl or HTTP itself owns: setting them from config breaks framing. */
static bool header_name_reserved(const char *s)
{
	static const char *const reserved[] = {
		"host", "content-length", "transfer-encoding", "connection", "expect", "te",
		"upgrade", "content-type",
	};

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(s, reserved[i]) == 0)
			return true;
	return false;
}

/* Visible ASCII, spaces inside, UTF-8 bytes; no tab, CR, LF or other controls. */
static bool header_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

/* Reads a value file through the one capped reader (a trailing newline is dropped).
 * *why says what went wrong. */
static char *value_file_read(const char *path, const char **why, int *err)
{
	static const char *const whys[] = {
		[RBD_READ_OK] = "", [RBD_READ_OPEN] = "cannot open",
		[RBD_READ_NOT_REGULAR] = "is not a regular file", [RBD_READ_IO] = "cannot read",
		[RBD_READ_TOO_BIG] = "is over 4096 bytes",
	};
	struct rbd_buf b = RBD_BUF_INIT(HEADER_VALUE_MAX);
	struct rbd_read_info info;

	*err = 0;
	if (rbd_buf_read_file(&b, path, true, &info) != 0) {
		*why = whys[info.fail];
		*err = info.err;
		return NULL;
	}
	if (b.len && b.data[b.len - 1] == '\n') {
		b.data[--b.len] = '\0';
		if (b.len && b.data[b.len - 1] == '\r')
			b.data[--b.len] = '\0';
	}
	if (!b.data)
		rbd_buf_puts(&b, "");
	return rbd_buf_steal(&b);
}

static char *value_parse(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *name,
			 const char *dir, const struct rbd_load_opts *lo)
{
	static const struct rbd_ykey keys[] = { { "env", false }, { "file", false } };
	yaml_node_t *v[2];
	const char *s, *why = NULL;
	char *value = NULL, *path = NULL;
	char sub[200];
	int err = 0;

	snprintf(sub, sizeof(sub), "%s: headers.%s", ctx, name);
	if (n->type != YAML_MAPPING_NODE) {
		rbd_yerr(f, n, "%s: expected {env: VAR} or {file: PATH} (a header value is never "
			 "written in the config)", sub);
		return NULL;
	}
	if (!rbd_ymap_fetch(f, n, sub, keys, 2, v))
		return NULL;
	if (!v[0] == !v[1]) {
		rbd_yerr(f, n, "%s: needs exactly one of env or file", sub);
		return NULL;
	}
	if (lo && lo->syntax_only) {
		/* check --syntax-only: the source is named correctly; its value lives on the
		 * deployment's machine. A stand-in keeps the header (this config only checks). */
		if (!rbd_ystr(f, v[0] ? v[0] : v[1], sub, v[0] ? "env" : "file", &s))
			return NULL;
		return rbd_strdup("not-read-syntax-only");
	}
	if (v[0]) {
		if (!rbd_ystr(f, v[0], sub, "env", &s))
			return NULL;
		const char *val = getenv(s);

		if (!val || !val[0]) {
			rbd_yerr(f, v[0], "%s: environment variable %s is unset or empty", sub, s);
			return NULL;
		}
		if (strlen(val) > HEADER_VALUE_MAX) {
			rbd_yerr(f, v[0], "%s: environment variable %s is over 4096 bytes", sub, s);
			return NULL;
		}
		value = rbd_strdup(val);
	} else {
		if (!rbd_ystr(f, v[1], sub, "file", &s))
			return NULL;
		/* --root: absolute paths resolve under it (as token files do) */
		path = s[0] == '/' && lo && lo->root && lo->root[0] ? rbd_path_join(lo->root, s + 1) :
		       rbd_path_join(dir, s);
		value = value_file_read(path, &why, &err);
		if (!value) {
			rbd_yerr(f, v[1], "%s: file %s %s%s%s", sub, path, why, err ? ": " : "",
				 err ? strerror(err) : "");
			goto done;
		}
		if (!value[0]) {
			rbd_yerr(f, v[1], "%s: file %s is empty", sub, path);
			goto bad;
		}
	}
	if (!header_value_ok(value)) {
		rbd_yerr(f, v[0] ? v[0] : v[1], "%s: the value contains control characters", sub);
		goto bad;
	}
	goto done;
bad:
	explicit_bzero(value, strlen(value));
	free(value);
	value = NULL;
done:
	free(path);
	return value;
}

void rbd_yheaders_parse(struct rbd_headers *out, struct rbd_yfile *f, yaml_node_t *map,
			const char *ctx, const char *dir, const struct rbd_load_opts *lo)
{
	size_t n;

	if (!rbd_ymap_check(f, map, ctx))
		return;
	n = rbd_ymap_len(map);
	if (n > HEADERS_MAX) {
		rbd_yerr(f, map, "%s: headers: at most %d headers", ctx, HEADERS_MAX);
		return;
	}
	out->v = n ? rbd_calloc(n, sizeof(*out->v)) : NULL;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k, *v;
		const char *name;
		char *value;

		if (!rbd_ymap_pair(f, map, i, &k, &v) || !rbd_ystr(f, k, ctx, "headers", &name))
			continue;
		if (!header_name_ok(name)) {
			rbd_yerr(f, k, "%s: headers: \"%s\" is not a header name", ctx, name);
			continue;
		}
		if (header_name_reserved(name)) {
			rbd_yerr(f, k, "%s: headers: %s is set by runbookd itself", ctx, name);
			continue;
		}
		for (size_t j = 0; j < out->n; j++)
			if (strcasecmp(out->v[j].name, name) == 0)
				rbd_yerr(f, k, "%s: headers: %s given twice", ctx, name);
		value = value_parse(f, v, ctx, name, dir, lo);
		if (!value)
			continue;
		out->v[out->n].name = rbd_strdup(name);
		out->v[out->n++].value = value;
	}
}
