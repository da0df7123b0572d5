/*
 * test_executor: the claim logic, one claim pass at a time against a temporary store
 * (rbd_executor_claim: nothing runs): approved before planned, oldest first; a rule
 * no longer loaded cancels, an unreadable rendering fails, a pending approval is never
 * claimed, the kill switch and the concurrency cap stop the pass, dry-run settles.
 */
#include "harness.h"
#include "appenv.h"
#include "runbookd/app.h"
#include "runbookd/err.h"
#include "runbookd/executor.h"
#include "runbookd/ops.h"
#include "runbookd/store.h"
#include "runbookd/timeutil.h"

#include <unistd.h>

#define RUN_TRUE "{\"kind\":\"run\",\"argv\":[\"/bin/true\"],\"timeout_ms\":1000}"

/* Actions of one incident, one alert each. */
struct seed {
	const char *rule;
	enum rbd_action_state state;
	const char *rendered;
	int64_t id;
};

static int seeded;    /* a new alert (fingerprint) per action */

static int seed_job(struct rbd_tx *tx, void *arg)
{
	struct seed *s = arg;
	struct rbd_episode ep;
	int64_t now = rbd_now_ms(), inc = 0;
	char fp[32];
	struct rbd_action_new a = {
		.rule = s->rule, .on_status = "firing", .action = "loadtest_stop", .kind = "run",
		.state = s->state, .rendered_json = s->rendered, .command_key = s->rendered,
		.approvals_needed = 1, .now_ms = now,
	};
	int rc = rbd_tx_open_incident(tx, &inc, "g");

	if (!rc && !inc)
		rc = rbd_tx_incident_create(tx, &inc, "g", "t", "r", "{}", now);
	snprintf(fp, sizeof(fp), "fp-%d", ++seeded);
	if (!rc)
		rc = rbd_tx_episode_upsert(tx, &ep, inc, fp, seeded, 0, "firing", "{}", "{}", "",
					   now);
	a.incident_id = inc;
	a.alert_id = ep.id;
	if (!rc)
		rc = rbd_tx_action_insert(tx, &s->id, &a);
	return rc;
}

static int64_t seed(struct rbd_test_env *e, const char *rule, enum rbd_action_state state,
		    const char *rendered)
{
	struct seed s = { rule, state, rendered, 0 };

	if (rbd_store_write(e->store, seed_job, &s) != 0 || !s.id) {
		fprintf(stderr, "  seeding %s failed: %s\n", rule, rbd_err_msg());
		rbd_test_case_failed = 1;
		return 0;
	}
	return s.id;
}

static void claim(struct rbd_test_env *e, int64_t want_id, bool want_more)
{
	int64_t id = -1;
	bool more = !want_more;

	CHECK_INT(rbd_executor_claim(&e->app, &id, &more), 0);
	CHECK_INT(id, want_id);
	CHECK_INT(more, want_more);
}

static void test_executor__claim_order_and_settling(void)
{
	struct rbd_test_env e;
	int64_t gone, bad, planned, approved, pending;
	struct rbd_action_rec a;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	gone = seed(&e, "old-rule", RBD_STATE_PLANNED, RUN_TRUE);
	bad = seed(&e, "latency-stop-loadtest", RBD_STATE_PLANNED, "not json");
	planned = seed(&e, "latency-stop-loadtest", RBD_STATE_PLANNED, RUN_TRUE);
	approved = seed(&e, "latency-stop-loadtest", RBD_STATE_APPROVED, RUN_TRUE);
	pending = seed(&e, "errors-restart-app", RBD_STATE_PENDING_APPROVAL, RUN_TRUE);
	/* Approved first, though planned ones are older. */
	claim(&e, approved, false);
	rbd_test_check_state(&e, approved, "running");
	/* Then the planned ones, oldest first, settling what cannot run on the way. */
	claim(&e, planned, true);
	rbd_test_check_state(&e, gone, "cancelled");
	REQUIRE(rbd_store_action(e.store, &a, gone) == 0);
	CHECK_STR(a.reason, "rule old-rule is no longer loaded");
	CHECK(a.finished_ms > 0);
	rbd_action_rec_clear(&a);
	rbd_test_check_state(&e, bad, "failed");
	rbd_test_check_state(&e, planned, "running");
	/* Nothing left to claim; a pending approval never is. */
	claim(&e, 0, false);
	rbd_test_check_state(&e, pending, "pending_approval");
	rbd_test_env_close(&e);
}

static void test_executor__kill_switch_and_cap(void)
{
	struct rbd_test_env e;
	int64_t ids[6];

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE(e.app.rt->cfg->limits.max_concurrent_actions == 4);
	for (int i = 0; i < 6; i++)
		ids[i] = seed(&e, "latency-stop-loadtest", RBD_STATE_PLANNED, RUN_TRUE);
	CHECK_INT(rbd_ops_pause(&e.app, "alice", true), 0);
	claim(&e, 0, false);
	rbd_test_check_state(&e, ids[0], "planned");
	CHECK_INT(rbd_ops_pause(&e.app, "alice", false), 0);
	for (int i = 0; i < 4; i++)
		claim(&e, ids[i], false);
	/* Four running: the cap holds the rest back, still planned. */
	claim(&e, 0, false);
	rbd_test_check_state(&e, ids[4], "planned");
	rbd_test_check_state(&e, ids[5], "planned");
	rbd_test_env_close(&e);
}

static void test_executor__dry_run_never_claims(void)
{
	struct rbd_test_env e;
	int64_t id;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest-dryrun.yaml") == 0);
	id = seed(&e, "latency-stop-loadtest", RBD_STATE_PLANNED, RUN_TRUE);
	claim(&e, 0, true);
	rbd_test_check_state(&e, id, "dry_run");
	claim(&e, 0, false);
	rbd_test_env_close(&e);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_executor__claim_order_and_settling),
	RBD_TEST(test_executor__kill_switch_and_cap),
	RBD_TEST(test_executor__dry_run_never_claims),
};

RBD_TEST_MAIN(cases)
