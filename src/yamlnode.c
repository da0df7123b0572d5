/*
 * yamlnode: libyaml's document API behind a few helpers for the loaders: load a
 * file, walk mappings against key tables, read typed scalars, report "FILE:LINE:
 * message". It must never abort a load at the first problem when it can go on, and
 * never echo a value that could be a secret (it only ever sees config text, and
 * token values are not in the config).
 */
#include "yamlnode.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/nameset.h"
#include "runbookd/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Past this many diagnostics a load stops adding more (one last line says so). */
#define DIAG_MAX 500

void rbd_diag_add(struct rbd_diag *d, const char *file, int line, const char *fmt, ...)
{
	struct rbd_buf b = RBD_BUF_INIT(64 * 1024);
	va_list ap;
	char *msg;
	int n;

	if (!d || d->n > DIAG_MAX)
		return;
	if (d->n == DIAG_MAX) {
		msg = rbd_strdup("too many errors; stopping here");
		goto add;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	msg = rbd_calloc(1, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (line > 0)
		rbd_buf_printf(&b, "%s:%d: %s", file ? file : "-", line, msg);
	else
		rbd_buf_printf(&b, "%s: %s", file ? file : "-", msg);
	free(msg);
	msg = rbd_buf_steal(&b);
add:
	d->msgs = rbd_realloc(d->msgs, (d->n + 1) * sizeof(*d->msgs));
	d->msgs[d->n++] = msg;
}

void rbd_diag_clear(struct rbd_diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
}

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return rbd_strdup("(unformattable message)");
	s = rbd_calloc(1, (size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static void yerr_v(struct rbd_yfile *f, int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void yerr_v(struct rbd_yfile *f, int line, const char *fmt, va_list ap)
{
	char *msg = vformat(fmt, ap);

	f->nerr++;
	if (f->diag)
		rbd_diag_add(f->diag, f->path, line, "%s", msg);
	free(msg);
}

void rbd_yerr_at(struct rbd_yfile *f, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yerr_v(f, line, fmt, ap);
	va_end(ap);
}

void rbd_yerr(struct rbd_yfile *f, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yerr_v(f, rbd_yline(n), fmt, ap);
	va_end(ap);
}

int rbd_yline(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

/* Reads the whole file with a size cap; the parser then works from memory. */
static int read_file(char **out, size_t *out_len, const char *path, struct rbd_yfile *f)
{
	struct rbd_buf b = RBD_BUF_INIT(RBD_YAML_MAX_BYTES);
	struct rbd_read_info info;

	if (rbd_buf_read_file(&b, path, true, &info) == 0) {
		*out_len = b.len;
		*out = rbd_buf_steal(&b);
		return 0;
	}
	if (info.fail == RBD_READ_OPEN)
		rbd_yerr_at(f, 0, "cannot open: %s", strerror(info.err));
	else if (info.fail == RBD_READ_NOT_REGULAR)
		rbd_yerr_at(f, 0, "not a regular file");
	else if (info.fail == RBD_READ_IO)
		rbd_yerr_at(f, 0, "cannot read: %s", strerror(info.err));
	else
		rbd_yerr_at(f, 0, "file is over %zu bytes", (size_t)RBD_YAML_MAX_BYTES);
	return RBD_EINVAL;
}

int rbd_yfile_load(struct rbd_yfile *f, const char *path, struct rbd_diag *diag)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	char *text = NULL;
	size_t len = 0;
	int rc = RBD_EINVAL;

	memset(f, 0, sizeof(*f));
	f->path = rbd_strdup(path);
	f->diag = diag;
	if (read_file(&text, &len, path, f) != 0)
		return RBD_EINVAL;
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		rbd_yerr_at(f, 0, "cannot initialise the YAML parser");
		return RBD_EINVAL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &f->doc)) {
		rbd_yerr_at(f, (int)parser.problem_mark.line + 1, "YAML syntax error: %s%s%s",
			    parser.problem ? parser.problem : "unknown problem",
			    parser.context ? " " : "", parser.context ? parser.context : "");
		goto done;
	}
	f->loaded = true;
	/* A second document would be silently ignored by a one-document loader. */
	if (!yaml_parser_load(&parser, &extra)) {
		rbd_yerr_at(f, (int)parser.problem_mark.line + 1, "YAML syntax error: %s%s%s",
			    parser.problem ? parser.problem : "unknown problem",
			    parser.context ? " " : "", parser.context ? parser.context : "");
		goto done;
	}
	if (yaml_document_get_root_node(&extra)) {
		rbd_yerr_at(f, (int)yaml_document_get_root_node(&extra)->start_mark.line + 1,
			    "only one YAML document per file");
		yaml_document_delete(&extra);
		goto done;
	}
	yaml_document_delete(&extra);
	rc = 0;
done:
	yaml_parser_delete(&parser);
	free(text);
	return rc;
}

void rbd_yfile_clear(struct rbd_yfile *f)
{
	if (!f)
		return;
	if (f->loaded)
		yaml_document_delete(&f->doc);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

yaml_node_t *rbd_yroot(struct rbd_yfile *f)
{
	if (!f->loaded)
		return NULL;
	return yaml_document_get_root_node(&f->doc);
}

bool rbd_yis_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *v;

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(v, nulls[i]) == 0)
			return true;
	return false;
}

const char *rbd_ytype_name(const yaml_node_t *n)
{
	if (rbd_yis_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "an empty node";
	}
}

/* Counts a node visit; false (reported once) past the per-file cap. */
static bool visit(struct rbd_yfile *f, const yaml_node_t *n)
{
	if (++f->visits <= RBD_YAML_MAX_VISITS)
		return true;
	if (!f->visits_reported) {
		f->visits_reported = true;
		rbd_yerr(f, n, "document too large: aliases expand past %zu nodes",
			 (size_t)RBD_YAML_MAX_VISITS);
	}
	return false;
}

size_t rbd_yseq_len(const yaml_node_t *seq)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *rbd_yseq_item(struct rbd_yfile *f, yaml_node_t *seq, size_t i)
{
	yaml_node_t *n;

	if (i >= rbd_yseq_len(seq) || !visit(f, seq))
		return NULL;
	n = yaml_document_get_node(&f->doc, seq->data.sequence.items.start[i]);
	return n;
}

size_t rbd_ymap_len(const yaml_node_t *map)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

bool rbd_ymap_pair(struct rbd_yfile *f, yaml_node_t *map, size_t i, yaml_node_t **key,
		   yaml_node_t **val)
{
	yaml_node_pair_t *p;

	if (i >= rbd_ymap_len(map) || !visit(f, map))
		return false;
	p = &map->data.mapping.pairs.start[i];
	*key = yaml_document_get_node(&f->doc, p->key);
	*val = yaml_document_get_node(&f->doc, p->value);
	return *key && *val;
}

static const char *prefix(const char *ctx)
{
	return ctx ? ctx : "";
}

static const char *sep(const char *ctx)
{
	return ctx ? ": " : "";
}

/* The key as a string, or NULL (reported) when it is not a usable scalar. */
static const char *key_string(struct rbd_yfile *f, yaml_node_t *k, const char *ctx)
{
	if (k->type != YAML_SCALAR_NODE) {
		rbd_yerr(f, k, "%s%skeys must be strings, not %s", prefix(ctx), sep(ctx),
			 rbd_ytype_name(k));
		return NULL;
	}
	if (k->data.scalar.length == 0 || strlen((const char *)k->data.scalar.value) !=
	    k->data.scalar.length) {
		rbd_yerr(f, k, "%s%sempty key or key with a NUL byte", prefix(ctx), sep(ctx));
		return NULL;
	}
	return (const char *)k->data.scalar.value;
}

/* Reports a duplicate of the key at pairs[i] among pairs[0..i); true when found. */
static bool key_duplicate(struct rbd_yfile *f, yaml_node_t *map, size_t i, const char *name,
			  const char *ctx)
{
	yaml_node_pair_t *pairs = map->data.mapping.pairs.start;

	for (size_t j = 0; j < i; j++) {
		yaml_node_t *k = yaml_document_get_node(&f->doc, pairs[j].key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, name) == 0) {
			rbd_yerr(f, yaml_document_get_node(&f->doc, pairs[i].key),
				 "%s%sduplicate key \"%s\" (first at line %d)", prefix(ctx), sep(ctx),
				 name, rbd_yline(k));
			return true;
		}
	}
	return false;
}

static void report_unknown(struct rbd_yfile *f, yaml_node_t *k, const char *name, const char *ctx,
			   const struct rbd_ykey *keys, size_t n)
{
	struct rbd_buf b = RBD_BUF_INIT(4096);

	for (size_t i = 0; i < n; i++)
		rbd_buf_printf(&b, "%s%s", i ? ", " : "", keys[i].name);
	rbd_yerr(f, k, "%s%sunknown key \"%s\" (expected one of: %s)", prefix(ctx), sep(ctx), name,
		 rbd_buf_cstr(&b));
	rbd_buf_free(&b);
}

bool rbd_ymap_fetch(struct rbd_yfile *f, yaml_node_t *map, const char *ctx,
		    const struct rbd_ykey *keys, size_t n, yaml_node_t **vals)
{
	for (size_t i = 0; i < n; i++)
		vals[i] = NULL;
	if (map && rbd_yis_null(map))
		goto required;
	if (!map || map->type != YAML_MAPPING_NODE) {
		rbd_yerr(f, map, "%s%sexpected a mapping, got %s", prefix(ctx), sep(ctx),
			 rbd_ytype_name(map));
		return false;
	}
	for (size_t i = 0; i < rbd_ymap_len(map); i++) {
		yaml_node_t *k, *v;
		const char *name;
		size_t j;

		if (!rbd_ymap_pair(f, map, i, &k, &v))
			break;
		name = key_string(f, k, ctx);
		if (!name)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(keys[j].name, name) == 0)
				break;
		if (j == n) {
			report_unknown(f, k, name, ctx, keys, n);
			continue;
		}
		if (key_duplicate(f, map, i, name, ctx))
			continue;
		vals[j] = v;
	}
required:
	for (size_t i = 0; i < n; i++)
		if (keys[i].required && !vals[i])
			rbd_yerr(f, map, "%s%smissing required key \"%s\"", prefix(ctx), sep(ctx),
				 keys[i].name);
	return true;
}

bool rbd_ymap_check(struct rbd_yfile *f, yaml_node_t *map, const char *ctx)
{
	struct rbd_nameset *seen;

	if (rbd_yis_null(map))
		return true;
	if (map->type != YAML_MAPPING_NODE) {
		rbd_yerr(f, map, "%s%sexpected a mapping, got %s", prefix(ctx), sep(ctx),
			 rbd_ytype_name(map));
		return false;
	}
	/* A mapping may be the action catalog with thousands of keys: duplicates are
	 * found through a hash set, not by comparing each key with all before it. */
	rbd_nameset_new(&seen);
	for (size_t i = 0; i < rbd_ymap_len(map); i++) {
		yaml_node_t *k, *v, *first;
		const char *name;
		size_t prev;

		if (!rbd_ymap_pair(f, map, i, &k, &v))
			break;
		name = key_string(f, k, ctx);
		if (!name || rbd_nameset_add(seen, name, i, &prev))
			continue;
		first = yaml_document_get_node(&f->doc, map->data.mapping.pairs.start[prev].key);
		rbd_yerr(f, k, "%s%sduplicate key \"%s\" (first at line %d)", prefix(ctx), sep(ctx),
			 name, first ? rbd_yline(first) : 0);
	}
	rbd_nameset_free(seen);
	return true;
}

const char *rbd_ymap_peek(struct rbd_yfile *f, yaml_node_t *map, const char *key)
{
	for (size_t i = 0; i < rbd_ymap_len(map); i++) {
		yaml_node_t *k, *v;

		if (!rbd_ymap_pair(f, map, i, &k, &v))
			break;
		if (k->type != YAML_SCALAR_NODE || strcmp((const char *)k->data.scalar.value, key) != 0)
			continue;
		if (v->type != YAML_SCALAR_NODE || rbd_yis_null(v) ||
		    strlen((const char *)v->data.scalar.value) != v->data.scalar.length)
			return NULL;
		return (const char *)v->data.scalar.value;
	}
	return NULL;
}

bool rbd_yseq_check(struct rbd_yfile *f, yaml_node_t *seq, const char *ctx)
{
	if (rbd_yis_null(seq) || seq->type == YAML_SEQUENCE_NODE)
		return true;
	rbd_yerr(f, seq, "%s%sexpected a list, got %s", prefix(ctx), sep(ctx), rbd_ytype_name(seq));
	return false;
}

/* "ctx: key: " as a format prefix pair. */
#define CK_FMT "%s%s%s%s"
#define CK_ARGS(ctx, key) prefix(ctx), sep(ctx), (key) ? (key) : "", (key) ? ": " : ""

bool rbd_ystr(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
	      const char **out)
{
	if (!n || n->type != YAML_SCALAR_NODE || rbd_yis_null(n)) {
		rbd_yerr(f, n, CK_FMT "expected a string, got %s", CK_ARGS(ctx, key),
			 rbd_ytype_name(n));
		return false;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		rbd_yerr(f, n, CK_FMT "contains a NUL byte", CK_ARGS(ctx, key));
		return false;
	}
	*out = (const char *)n->data.scalar.value;
	return true;
}

/* A plain scalar's text, or NULL (reported as "expected <what>"). */
static const char *plain(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
			 const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    rbd_yis_null(n)) {
		rbd_yerr(f, n, CK_FMT "expected %s, got %s%s", CK_ARGS(ctx, key), what,
			 n && n->type == YAML_SCALAR_NODE && !rbd_yis_null(n) ? "a quoted " : "",
			 n && n->type == YAML_SCALAR_NODE && !rbd_yis_null(n) ? "string" :
			 rbd_ytype_name(n));
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

bool rbd_yint(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
	      long long min, long long max, long long *out)
{
	const char *s = plain(f, n, ctx, key, "an integer");
	const char *p;
	long long v = 0;
	bool neg = false;

	if (!s)
		return false;
	p = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		if (v > (999999999999LL))
			goto range;
		v = v * 10 + (*p - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		goto range;
	*out = v;
	return true;
bad:
	rbd_yerr(f, n, CK_FMT "expected an integer, got \"%s\"", CK_ARGS(ctx, key), s);
	return false;
range:
	rbd_yerr(f, n, CK_FMT "%s is out of range [%lld, %lld]", CK_ARGS(ctx, key), s, min, max);
	return false;
}

bool rbd_ybool(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
	       bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	const char *s = plain(f, n, ctx, key, "true or false");

	if (!s)
		return false;
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	rbd_yerr(f, n, CK_FMT "expected true or false, got \"%s\"", CK_ARGS(ctx, key), s);
	return false;
}

bool rbd_yduration(struct rbd_yfile *f, yaml_node_t *n, const char *ctx, const char *key,
		   int64_t min_ms, int64_t max_ms, int64_t *out)
{
	const char *s;
	char lo[64], hi[64];
	int64_t v;

	if (!rbd_ystr(f, n, ctx, key, &s))
		return false;
	if (rbd_duration_parse(&v, s) != 0) {
		rbd_yerr(f, n, CK_FMT "bad duration \"%s\" (Prometheus syntax: 90s, 5m, 1h30m)",
			 CK_ARGS(ctx, key), s);
		return false;
	}
	if (v < min_ms || v > max_ms) {
		rbd_duration_format(lo, sizeof(lo), min_ms);
		rbd_duration_format(hi, sizeof(hi), max_ms);
		rbd_yerr(f, n, CK_FMT "duration %s is out of range [%s, %s]", CK_ARGS(ctx, key), s,
			 lo, hi);
		return false;
	}
	*out = v;
	return true;
}

char *rbd_path_join(const char *dir, const char *path)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	if (path[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
		return rbd_strdup(path);
	rbd_buf_puts(&b, dir);
	if (b.len && b.data[b.len - 1] != '/')
		rbd_buf_putc(&b, '/');
	rbd_buf_puts(&b, path);
	return rbd_buf_steal(&b);
}
