/*
 * plan: matching, template data and rendering for one alert. Must never perform I/O,
 * read the clock or touch the store: everything it depends on is passed in.
 */
#include "runbookd/plan.h"
#include "runbookd/actions.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/ruleindex.h"
#include "runbookd/template.h"
#include "runbookd/timeutil.h"

#include <stdlib.h>
#include <string.h>

static void plan_rule(struct rbd_plan *p, const struct rbd_config *cfg,
		      const struct rbd_rule *rule, const struct rbd_template_data *d)
{
	struct rbd_rendered r = { 0 };

	memset(p, 0, sizeof(*p));
	p->rule = rule;
	p->render_rc = rbd_action_render(&r, rule, d);
	if (p->render_rc) {
		p->refused = rbd_strdup(rbd_err_msg());
	} else {
		p->rendered_json = rbd_rendered_to_json(&r);
		p->command_key = rbd_rendered_key(&r);
		/* Dry-run decides without history; everything else reads the counters. */
		p->needs_counts = !(cfg->mode == RBD_MODE_DRY_RUN || rule->dry_run);
		p->needs_after = rule->n_after > 0;
	}
	rbd_rendered_clear(&r);
}

void rbd_plan_alert(struct rbd_plans *out, const struct rbd_runtime *rt,
		    const struct rbd_alert *a, enum rbd_rule_on on, int64_t incident_id,
		    int64_t now_ms)
{
	const struct rbd_config *cfg = rt->cfg;
	const struct rbd_rule **matched = rbd_calloc(cfg->n_rules + 1, sizeof(*matched));
	char starts[RBD_TIME_BUFSZ], now[RBD_TIME_BUFSZ];
	size_t n = rbd_ruleindex_match(matched, cfg->n_rules, rt->ix, &a->labels, on);

	memset(out, 0, sizeof(*out));
	out->on = (on == RBD_ON_FIRING) ? "firing" : "resolved";
	out->v = rbd_calloc(n + 1, sizeof(*out->v));
	rbd_time_format_ms(starts, a->starts_ns / 1000000);
	rbd_time_format_ms(now, now_ms);
	for (size_t i = 0; i < n; i++) {
		struct rbd_template_data d = {
			.labels = &a->labels, .annotations = &a->annotations,
			.fingerprint = a->fingerprint, .status = out->on, .starts_at = starts,
			.rule = matched[i]->name, .incident_id = incident_id, .now = now,
		};

		plan_rule(&out->v[out->n++], cfg, matched[i], &d);
	}
	free(matched);
}

void rbd_plans_clear(struct rbd_plans *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].refused);
		free(p->v[i].rendered_json);
		free(p->v[i].command_key);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

enum rbd_action_state rbd_plan_decide(enum rbd_gate *out_gate, const struct rbd_plan *p,
				      const struct rbd_config *cfg,
				      const struct rbd_rule_counts *counts, int64_t now_ms,
				      char *reason, size_t reason_len)
{
	return rbd_plan_state(out_gate, cfg, p->rule, p->refused, counts, now_ms, reason,
			      reason_len);
}
