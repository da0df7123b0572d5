/*
 * notify_config: the `notify:` section of runbookd.yaml. Either one mapping
 * (`notify: {url: ...}`, the original form) or a list of targets
 * `{url, format: json|slack, headers: {NAME: {env|file}}, events: [...]}`.
 * Header values are secrets (secrets.c); nothing here logs or reports them.
 */
#include "runbookd/buf.h"
#include "runbookd/config.h"
#include "runbookd/httpc.h"
#include "runbook_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGETS_MAX 16

static const struct {
	const char *name;
	unsigned bit;
} events[] = {
	{ "pending_approval",  RBD_NEV_PENDING_APPROVAL },
	{ "approved",          RBD_NEV_APPROVED },
	{ "rejected",          RBD_NEV_REJECTED },
	{ "expired",           RBD_NEV_EXPIRED },
	{ "succeeded",         RBD_NEV_SUCCEEDED },
	{ "failed",            RBD_NEV_FAILED },
	{ "timed_out",         RBD_NEV_TIMED_OUT },
	{ "cancelled",         RBD_NEV_CANCELLED },
	{ "interrupted",       RBD_NEV_INTERRUPTED },
	{ "skipped",           RBD_NEV_SKIPPED },
	{ "dry_run",           RBD_NEV_DRY_RUN },
	{ "breaker_tripped",   RBD_NEV_BREAKER_TRIPPED },
	{ "incident_resolved", RBD_NEV_INCIDENT_RESOLVED },
};

unsigned rbd_notify_event_bit(const char *name)
{
	if (!name)
		return 0;
	if (strncmp(name, "action.", 7) == 0)
		name += 7;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(name, events[i].name) == 0)
			return events[i].bit;
	return 0;
}

static void events_parse(struct rbd_notify_target *t, struct rbd_yfile *f, yaml_node_t *seq,
			 const char *ctx)
{
	size_t n;

	if (!rbd_yseq_check(f, seq, ctx))
		return;
	n = rbd_yseq_len(seq);
	t->events = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = rbd_yseq_item(f, seq, i);
		const char *s;
		unsigned bit;

		if (!it || !rbd_ystr(f, it, ctx, "events", &s))
			continue;
		bit = strncmp(s, "action.", 7) == 0 ? 0 : rbd_notify_event_bit(s);
		if (!bit) {
			struct rbd_buf b = RBD_BUF_INIT(4096);

			for (size_t j = 0; j < sizeof(events) / sizeof(events[0]); j++)
				rbd_buf_printf(&b, "%s%s", j ? ", " : "", events[j].name);
			rbd_yerr(f, it, "%s: events: unknown event \"%s\" (expected one of %s)", ctx, s,
				 rbd_buf_cstr(&b));
			rbd_buf_free(&b);
			continue;
		}
		t->events |= bit;
	}
	if (n == 0)
		rbd_yerr(f, seq, "%s: events: an empty list sends nothing; leave it out for the "
			 "default", ctx);
}

enum { NK_URL, NK_FORMAT, NK_HEADERS, NK_EVENTS, NK_COUNT };
static const struct rbd_ykey target_keys[NK_COUNT] = {
	[NK_URL] = { "url", true },
	[NK_FORMAT] = { "format", false },
	[NK_HEADERS] = { "headers", false },
	[NK_EVENTS] = { "events", false },
};

static void target_parse(struct rbd_notify_target *t, struct rbd_yfile *f, yaml_node_t *n,
			 const char *ctx, const char *dir,
			 const struct rbd_load_opts *lo)
{
	yaml_node_t *v[NK_COUNT];
	const char *s;
	char *base = NULL;

	t->events = RBD_NEV_DEFAULT;
	t->format = RBD_NOTIFY_JSON;
	if (!rbd_ymap_fetch(f, n, ctx, target_keys, NK_COUNT, v))
		return;
	if (v[NK_URL] && rbd_ystr(f, v[NK_URL], ctx, "url", &s)) {
		if (rbd_httpc_url_base(&base, s) != 0)
			rbd_yerr(f, v[NK_URL], "%s: url: \"%s\" is not an http:// or https:// URL "
				 "with a host", ctx, s);
		else
			t->url = rbd_strdup(s);
		free(base);
	}
	if (v[NK_FORMAT] && rbd_ystr(f, v[NK_FORMAT], ctx, "format", &s)) {
		if (strcmp(s, "json") == 0)
			t->format = RBD_NOTIFY_JSON;
		else if (strcmp(s, "slack") == 0)
			t->format = RBD_NOTIFY_SLACK;
		else
			rbd_yerr(f, v[NK_FORMAT], "%s: format: unknown format \"%s\" (expected json "
				 "or slack)", ctx, s);
	}
	if (v[NK_HEADERS])
		rbd_yheaders_parse(&t->headers, f, v[NK_HEADERS], ctx, dir, lo);
	if (v[NK_EVENTS])
		events_parse(t, f, v[NK_EVENTS], ctx);
}

void rbd_notify_parse(struct rbd_config *cfg, struct rbd_yfile *f, yaml_node_t *node,
		      const char *dir)
{
	char ctx[48];
	size_t n;

	if (node->type == YAML_MAPPING_NODE) {
		cfg->notify = rbd_calloc(1, sizeof(*cfg->notify));
		cfg->n_notify = 1;
		target_parse(&cfg->notify[0], f, node, "notify", dir, cfg->load);
		return;
	}
	if (!rbd_yseq_check(f, node, "notify"))
		return;
	n = rbd_yseq_len(node);
	if (n > TARGETS_MAX) {
		rbd_yerr(f, node, "notify: at most %d targets", TARGETS_MAX);
		return;
	}
	cfg->notify = n ? rbd_calloc(n, sizeof(*cfg->notify)) : NULL;
	cfg->n_notify = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = rbd_yseq_item(f, node, i);

		snprintf(ctx, sizeof(ctx), "notify[%zu]", i);
		cfg->notify[i].events = RBD_NEV_DEFAULT;
		if (it)
			target_parse(&cfg->notify[i], f, it, ctx, dir, cfg->load);
	}
}

void rbd_notify_targets_free(struct rbd_notify_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].url);
		rbd_headers_clear(&t[i].headers);
	}
	free(t);
}
