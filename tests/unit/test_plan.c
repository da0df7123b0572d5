/*
 * test_plan: planning as a pure function, from memory: the rules of
 * tests/fixtures/unit/ingest-rules.yaml against real Alertmanager 0.25 captures. The
 * same inputs give the same plans (ingest and simulate cannot disagree), the
 * incident id and the time reach the templates, a refused rendering is a plan with
 * its reason, and dry-run plans need no counters.
 */
#include "harness.h"
#include "runbookd/app.h"
#include "runbookd/err.h"
#include "runbookd/payload.h"
#include "runbookd/plan.h"

#define NOW INT64_C(1790000000000)

static struct rbd_runtime *runtime(const char *config)
{
	struct rbd_diag diag = { 0 };
	struct rbd_config *cfg = NULL;
	struct rbd_runtime *rt = NULL;

	setenv("RBD_UNIT_INGEST_TOKEN", "unit-ingest-token-1", 1);
	setenv("RBD_UNIT_ALICE_TOKEN", "unit-alice-token-2", 1);
	if (rbd_config_load(&cfg, rbd_test_fixture(config), &diag) != 0) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "  %s\n", diag.msgs[i]);
		rbd_diag_clear(&diag);
		return NULL;
	}
	if (rbd_runtime_new(&rt, cfg) != 0)
		return NULL;
	return rt;
}

static struct rbd_notification *capture(const char *name)
{
	struct rbd_notification *n = NULL;
	char rel[256], *body;
	size_t len = 0;

	snprintf(rel, sizeof(rel), "alertmanager-0.25/%s", name);
	body = rbd_test_slurp(rbd_test_fixture(rel), &len);
	if (!body || rbd_payload_parse(&n, body, len, NULL) != 0)
		n = NULL;
	free(body);
	return n;
}

static const struct rbd_plan *find(const struct rbd_plans *p, const char *rule)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].rule->name, rule) == 0)
			return &p->v[i];
	return NULL;
}

static void test_plan__firing_rules_rendered_in_config_order(void)
{
	struct rbd_runtime *rt = runtime("unit/ingest.yaml");
	struct rbd_notification *n = capture("firing-high-error-rate.json");
	struct rbd_plans p;
	const struct rbd_plan *ok, *bad;

	REQUIRE(rt && n && n->n_alerts == 1);
	rbd_plan_alert(&p, rt, &n->alerts[0], RBD_ON_FIRING, 42, NOW);
	CHECK_STR(p.on, "firing");
	CHECK_INT(p.n, 2);                      /* errors-verify is on: resolved */
	if (p.n == 2) {
		CHECK_STR(p.v[0].rule->name, "errors-restart-app");
		CHECK_STR(p.v[1].rule->name, "errors-restart-service");
	}
	ok = find(&p, "errors-restart-app");
	bad = find(&p, "errors-restart-service");
	REQUIRE(ok && bad);
	CHECK_INT(ok->render_rc, 0);
	CHECK(ok->refused == NULL);
	CHECK(ok->rendered_json &&
	      strstr(ok->rendered_json, "echo\",\"compose\",\"restart\",\"app\"]"));
	CHECK(ok->command_key != NULL);
	CHECK(ok->needs_counts);
	/* order-api is not in one_of: a plan without a rendering, with the reason. */
	CHECK_INT(bad->render_rc, RBD_EREFUSED);
	CHECK(bad->refused && strstr(bad->refused, "service"));
	CHECK(bad->rendered_json == NULL && bad->command_key == NULL);
	CHECK(!bad->needs_counts);
	rbd_plans_clear(&p);
	CHECK_INT(p.n, 0);
	rbd_notification_free(n);
	rbd_runtime_release(rt);
}

/* Same inputs, same plans; the incident id and now reach the templates. */
static void test_plan__pure_and_templated(void)
{
	struct rbd_runtime *rt = runtime("unit/ingest.yaml");
	struct rbd_notification *n = capture("resolved-high-error-rate.json");
	struct rbd_plans a, b, c;
	const struct rbd_plan *va, *vb, *vc;

	REQUIRE(rt && n && n->n_alerts >= 1);
	rbd_plan_alert(&a, rt, &n->alerts[0], RBD_ON_RESOLVED, 42, NOW);
	rbd_plan_alert(&b, rt, &n->alerts[0], RBD_ON_RESOLVED, 42, NOW);
	rbd_plan_alert(&c, rt, &n->alerts[0], RBD_ON_RESOLVED, 43, NOW);
	CHECK_STR(a.on, "resolved");
	va = find(&a, "errors-verify");
	vb = find(&b, "errors-verify");
	vc = find(&c, "errors-verify");
	REQUIRE(va && vb && vc);
	CHECK_INT(a.n, b.n);
	CHECK_STR(va->rendered_json, vb->rendered_json);
	CHECK_STR(va->command_key, vb->command_key);
	CHECK(strstr(va->rendered_json, "\"errors-verify\",\"42\"") != NULL);
	CHECK(strstr(vc->rendered_json, "\"errors-verify\",\"43\"") != NULL);
	CHECK(strcmp(va->command_key, vc->command_key) != 0);
	rbd_plans_clear(&a);
	rbd_plans_clear(&b);
	rbd_plans_clear(&c);
	rbd_notification_free(n);
	rbd_runtime_release(rt);
}

/* The gates on a plan: what ingest inserts and simulate prints. */
static void test_plan__decide(void)
{
	struct rbd_runtime *rt = runtime("unit/ingest.yaml");
	struct rbd_runtime *dry = runtime("unit/ingest-dryrun.yaml");
	struct rbd_notification *n = capture("firing-high-error-rate.json");
	struct rbd_rule_counts counts = { 0 };
	struct rbd_plans p, d;
	enum rbd_gate g;
	char reason[256];

	REQUIRE(rt && dry && n);
	rbd_plan_alert(&p, rt, &n->alerts[0], RBD_ON_FIRING, 1, NOW);
	rbd_plan_alert(&d, dry, &n->alerts[0], RBD_ON_FIRING, 1, NOW);
	REQUIRE(p.n == 2 && d.n == 2);
	CHECK_INT(rbd_plan_decide(&g, &p.v[0], rt->cfg, &counts, NOW, reason, sizeof(reason)),
		  RBD_STATE_PENDING_APPROVAL);
	CHECK_INT(g, RBD_GATE_APPROVAL);
	CHECK_INT(rbd_plan_decide(&g, &p.v[1], rt->cfg, NULL, NOW, reason, sizeof(reason)),
		  RBD_STATE_SKIPPED);
	CHECK_INT(g, RBD_GATE_PARAM_REFUSED);
	CHECK(strncmp(reason, "param_refused: ", 15) == 0 && strstr(reason, p.v[1].refused));
	/* Dry-run: decided without history. */
	CHECK(!d.v[0].needs_counts);
	CHECK_INT(rbd_plan_decide(&g, &d.v[0], dry->cfg, NULL, NOW, reason, sizeof(reason)),
		  RBD_STATE_DRY_RUN);
	CHECK_INT(g, RBD_GATE_DRY_RUN);
	rbd_plans_clear(&p);
	rbd_plans_clear(&d);
	rbd_notification_free(n);
	rbd_runtime_release(rt);
	rbd_runtime_release(dry);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_plan__firing_rules_rendered_in_config_order),
	RBD_TEST(test_plan__pure_and_templated),
	RBD_TEST(test_plan__decide),
};

RBD_TEST_MAIN(cases)
