/*
 * test_ops: operator operations against a temporary store, from memory: a quorum
 * counts each operator once and approves on the last approval needed, a rejection
 * ends the action, nothing but a pending approval can be decided, an approval past
 * its TTL expires (also when someone tries to decide it), notes need an incident,
 * the kill switch and a breaker reset leave their events.
 */
#include "harness.h"
#include "appenv.h"
#include "runbookd/app.h"
#include "runbookd/err.h"
#include "runbookd/ops.h"
#include "runbookd/store.h"
#include "runbookd/timeutil.h"

#include <unistd.h>

/* An incident with one alert and one action waiting for `needed` approvals. */
struct seed {
	const char *fp;
	int needed;
	int64_t expires_at;      /* 0: never */
	int64_t incident, action;
};

static int seed_job(struct rbd_tx *tx, void *arg)
{
	struct seed *s = arg;
	struct rbd_episode ep;
	int64_t now = rbd_now_ms();
	struct rbd_action_new a = {
		.rule = "errors-restart-app", .on_status = "firing", .action = "compose_restart",
		.kind = "run", .state = RBD_STATE_PENDING_APPROVAL,
		.rendered_json = "{\"kind\":\"run\",\"argv\":[\"/bin/true\"],\"timeout_ms\":1000}",
		.command_key = "k", .requires_approval = true, .approvals_needed = s->needed,
		.expires_at = s->expires_at, .now_ms = now,
	};
	int rc = rbd_tx_incident_create(tx, &s->incident, s->fp, "t", "r", "{}", now);

	if (!rc)
		rc = rbd_tx_episode_upsert(tx, &ep, s->incident, s->fp, 1, 0, "firing", "{}", "{}",
					   "", now);
	a.incident_id = s->incident;
	a.alert_id = ep.id;
	if (!rc)
		rc = rbd_tx_action_insert(tx, &s->action, &a);
	return rc;
}

static void test_ops__quorum_counts_each_operator_once(void)
{
	struct rbd_test_env e;
	struct seed s = { .fp = "fp-quorum", .needed = 2 };
	struct rbd_action_rec a;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE(rbd_store_write(e.store, seed_job, &s) == 0 && s.action);
	CHECK_INT(rbd_ops_decide(&e.app, s.action, "alice", true, "looks right"), 0);
	rbd_test_check_state(&e, s.action, "pending_approval");
	/* alice again: the same operator never counts twice. */
	CHECK_INT(rbd_ops_decide(&e.app, s.action, "alice", true, NULL), RBD_ECONFLICT);
	CHECK_STR(rbd_err_msg(), "alice already decided on action 1");
	rbd_test_check_state(&e, s.action, "pending_approval");
	CHECK_INT(rbd_ops_decide(&e.app, s.action, "bob", true, NULL), 0);
	rbd_test_check_state(&e, s.action, "approved");
	REQUIRE(rbd_store_action(e.store, &a, s.action) == 0);
	CHECK_STR(a.decided_by, "alice,bob");
	rbd_action_rec_clear(&a);
	/* Decided: nothing more to decide. */
	CHECK_INT(rbd_ops_decide(&e.app, s.action, "carol", false, NULL), RBD_ECONFLICT);
	CHECK_STR(rbd_err_msg(), "action 1 is approved, not pending_approval");
	CHECK_INT(rbd_ops_decide(&e.app, 999, "carol", true, NULL), RBD_ENOTFOUND);
	rbd_test_env_close(&e);
}

static void test_ops__reject_ends_it(void)
{
	struct rbd_test_env e;
	struct seed s = { .fp = "fp-reject", .needed = 2 };
	struct rbd_action_rec a;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE(rbd_store_write(e.store, seed_job, &s) == 0 && s.action);
	CHECK_INT(rbd_ops_decide(&e.app, s.action, "alice", true, NULL), 0);
	CHECK_INT(rbd_ops_decide(&e.app, s.action, "bob", false, "not during the sale"), 0);
	rbd_test_check_state(&e, s.action, "rejected");
	REQUIRE(rbd_store_action(e.store, &a, s.action) == 0);
	CHECK_STR(a.decided_by, "bob");
	CHECK(a.finished_ms > 0);
	rbd_action_rec_clear(&a);
	CHECK_INT(rbd_ops_decide(&e.app, s.action, "carol", true, NULL), RBD_ECONFLICT);
	rbd_test_env_close(&e);
}

static void test_ops__ttl_expires(void)
{
	struct rbd_test_env e;
	struct seed due = { .fp = "fp-due", .needed = 1, .expires_at = rbd_now_ms() - 1 };
	struct seed later = { .fp = "fp-later", .needed = 1,
			      .expires_at = rbd_now_ms() + 3600 * 1000 };

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE(rbd_store_write(e.store, seed_job, &due) == 0 && due.action);
	REQUIRE(rbd_store_write(e.store, seed_job, &later) == 0 && later.action);
	/* Deciding a due approval expires it first: too late. */
	CHECK_INT(rbd_ops_decide(&e.app, due.action, "alice", true, NULL), RBD_ECONFLICT);
	CHECK(strstr(rbd_err_msg(), "is expired, not pending_approval") != NULL);
	rbd_test_check_state(&e, due.action, "expired");
	CHECK_INT(rbd_ops_expire(&e.app), 0);
	rbd_test_check_state(&e, later.action, "pending_approval");
	CHECK_INT(rbd_ops_decide(&e.app, later.action, "alice", true, NULL), 0);
	rbd_test_check_state(&e, later.action, "approved");
	rbd_test_env_close(&e);
}

static void test_ops__notes_pause_reset(void)
{
	struct rbd_test_env e;
	struct seed s = { .fp = "fp-notes", .needed = 1 };

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE(rbd_store_write(e.store, seed_job, &s) == 0);
	CHECK_INT(rbd_ops_note(&e.app, s.incident, "alice", "restarted by hand"), 0);
	CHECK_INT(rbd_ops_note(&e.app, s.incident + 100, "alice", "x"), RBD_ENOTFOUND);
	CHECK(!atomic_load(&e.app.paused));
	CHECK_INT(rbd_ops_pause(&e.app, "alice", true), 0);
	CHECK(atomic_load(&e.app.paused));
	CHECK_INT(rbd_ops_pause(&e.app, "alice", false), 0);
	CHECK(!atomic_load(&e.app.paused));
	CHECK_INT(rbd_ops_reset_rule(&e.app, "errors-restart-app", "alice"), 0);
	CHECK_INT(rbd_ops_reset_rule(&e.app, "no-such-rule", "alice"), RBD_ENOTFOUND);
	rbd_test_env_close(&e);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_ops__quorum_counts_each_operator_once),
	RBD_TEST(test_ops__reject_ends_it),
	RBD_TEST(test_ops__ttl_expires),
	RBD_TEST(test_ops__notes_pause_reset),
};

RBD_TEST_MAIN(cases)
