/*
 * test_gates: the pure gate decisions, as tables over in-memory rules, configs and
 * counters: a refused rendering is skipped (param_refused), dry-run mode and a
 * dry_run rule record dry_run, a tripped breaker or failures at the maximum open the
 * circuit, the cooldown and rate limit at their exact boundaries, approval waits, the
 * kill switch and the concurrency cap make a start wait, and 0 limits are unlimited.
 */
#include "harness.h"
#include "runbookd/err.h"
#include "runbookd/gates.h"

#define NOW INT64_C(1790000000000)   /* 2026-09-21, any fixed instant */
#define MIN INT64_C(60000)
#define HOUR (60 * MIN)

/* A rule with every limit off; cases switch on what they test. */
static struct rbd_rule rule_plain(void)
{
	struct rbd_rule r;

	memset(&r, 0, sizeof(r));
	r.name = "latency-stop-loadtest";
	r.approvals = 1;
	return r;
}

static struct rbd_config config(enum rbd_mode mode, int max_concurrent)
{
	struct rbd_config c;

	memset(&c, 0, sizeof(c));
	c.mode = mode;
	c.limits.max_concurrent_actions = max_concurrent;
	c.limits.approval_ttl_ms = 30 * MIN;
	return c;
}

static struct rbd_rule_counts counts_none(void)
{
	struct rbd_rule_counts k;

	memset(&k, 0, sizeof(k));
	return k;
}

static void test_gates__names(void)
{
	static const struct {
		enum rbd_gate g;
		const char *name;
	} table[] = {
		{ RBD_GATE_PASS, "pass" },
		{ RBD_GATE_PARAM_REFUSED, "param_refused" },
		{ RBD_GATE_DRY_RUN, "dry_run" },
		{ RBD_GATE_CIRCUIT_OPEN, "circuit_open" },
		{ RBD_GATE_COOLDOWN, "cooldown" },
		{ RBD_GATE_RATE_LIMIT, "rate_limited" },
		{ RBD_GATE_APPROVAL, "approval" },
		{ RBD_GATE_PAUSED, "paused" },
		{ RBD_GATE_CONCURRENCY, "concurrency" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		CHECK_STR(rbd_gate_name(table[i].g), table[i].name);
	CHECK_STR(rbd_gate_name((enum rbd_gate)99), "unknown");
}

/* ---- rbd_gate_limits: one row per boundary ---- */

struct limits_row {
	const char *what;
	int64_t cooldown_ms;
	int max_runs;
	int max_failures;
	int runs;
	int failures;
	int64_t last_run_ago;        /* 0: never ran with this key */
	int64_t tripped_ago;         /* 0: breaker closed */
	enum rbd_gate want;
	const char *reason_prefix;   /* NULL: reason not checked */
};

static const struct limits_row limits_table[] = {
	{ "nothing set", 0, 0, 0, 0, 0, 0, 0, RBD_GATE_PASS, NULL },
	{ "0 limits are unlimited", 0, 0, 0, 100000, 100000, 1, 0, RBD_GATE_PASS, NULL },
	{ "tripped breaker", 0, 0, 2, 0, 0, 0, 5 * MIN, RBD_GATE_CIRCUIT_OPEN, "circuit_open" },
	{ "tripped, no max set", 0, 0, 0, 0, 0, 0, 1, RBD_GATE_CIRCUIT_OPEN, "circuit_open" },
	{ "failures == max", 0, 0, 2, 0, 2, 0, 0, RBD_GATE_CIRCUIT_OPEN, "circuit_open" },
	{ "failures > max", 0, 0, 2, 0, 3, 0, 0, RBD_GATE_CIRCUIT_OPEN, "circuit_open" },
	{ "failures == max - 1", 0, 0, 2, 0, 1, 0, 0, RBD_GATE_PASS, NULL },
	{ "failures, no breaker", 0, 0, 0, 0, 50, 0, 0, RBD_GATE_PASS, NULL },
	{ "within cooldown", 10 * MIN, 0, 0, 0, 0, 5 * MIN, 0, RBD_GATE_COOLDOWN, "cooldown" },
	{ "1 ms before the end", 10 * MIN, 0, 0, 0, 0, 10 * MIN - 1, 0, RBD_GATE_COOLDOWN,
	  "cooldown" },
	{ "exactly at cooldown", 10 * MIN, 0, 0, 0, 0, 10 * MIN, 0, RBD_GATE_PASS, NULL },
	{ "after cooldown", 10 * MIN, 0, 0, 0, 0, 10 * MIN + 1, 0, RBD_GATE_PASS, NULL },
	{ "no run with this key", 10 * MIN, 0, 0, 5, 0, 0, 0, RBD_GATE_PASS, NULL },
	{ "runs == max", 0, 3, 0, 3, 0, 0, 0, RBD_GATE_RATE_LIMIT, "rate_limited" },
	{ "runs > max", 0, 3, 0, 4, 0, 0, 0, RBD_GATE_RATE_LIMIT, "rate_limited" },
	{ "runs == max - 1", 0, 3, 0, 2, 0, 0, 0, RBD_GATE_PASS, NULL },
	{ "max 1, none yet", 0, 1, 0, 0, 0, 0, 0, RBD_GATE_PASS, NULL },
	{ "max 1, one ran", 0, 1, 0, 1, 0, 0, 0, RBD_GATE_RATE_LIMIT, "rate_limited" },
	/* Several at once: the breaker first, then cooldown, then the rate limit. */
	{ "breaker before cooldown", 10 * MIN, 3, 2, 3, 2, 1 * MIN, 0, RBD_GATE_CIRCUIT_OPEN,
	  "circuit_open" },
	{ "cooldown before rate", 10 * MIN, 3, 2, 3, 1, 1 * MIN, 0, RBD_GATE_COOLDOWN, "cooldown" },
};

static struct rbd_rule_counts row_counts(const struct limits_row *row)
{
	struct rbd_rule_counts k = counts_none();

	k.runs_last_hour = row->runs;
	k.failures_window = row->failures;
	k.last_run_same_key = row->last_run_ago ? NOW - row->last_run_ago : 0;
	k.tripped_at = row->tripped_ago ? NOW - row->tripped_ago : 0;
	return k;
}

static struct rbd_rule row_rule(const struct limits_row *row)
{
	struct rbd_rule r = rule_plain();

	r.cooldown_ms = row->cooldown_ms;
	r.max_runs_per_hour = row->max_runs;
	r.max_failures_per_hour = row->max_failures;
	return r;
}

static void test_gates__limits_table(void)
{
	for (size_t i = 0; i < sizeof(limits_table) / sizeof(limits_table[0]); i++) {
		const struct limits_row *row = &limits_table[i];
		struct rbd_rule r = row_rule(row);
		struct rbd_rule_counts k = row_counts(row);
		char reason[256] = "";
		enum rbd_gate g = rbd_gate_limits(&r, &k, NOW, reason, sizeof(reason));

		if (g != row->want) {
			fprintf(stderr, "  %s: got %s, expected %s\n", row->what, rbd_gate_name(g),
				rbd_gate_name(row->want));
			rbd_test_case_failed = 1;
		}
		if (row->reason_prefix && strncmp(reason, row->reason_prefix,
						  strlen(row->reason_prefix)) != 0) {
			fprintf(stderr, "  %s: reason \"%s\"\n", row->what, reason);
			rbd_test_case_failed = 1;
		}
	}
}

static void test_gates__limits_without_counts_pass(void)
{
	struct rbd_rule r = rule_plain();
	char reason[64] = "";

	r.max_runs_per_hour = 1;
	r.max_failures_per_hour = 1;
	r.cooldown_ms = HOUR;
	CHECK_INT(rbd_gate_limits(&r, NULL, NOW, reason, sizeof(reason)), RBD_GATE_PASS);
}

static void test_gates__reasons_are_bounded(void)
{
	struct rbd_rule r = rule_plain();
	struct rbd_rule_counts k = counts_none();
	char reason[12];

	memset(reason, 'X', sizeof(reason));
	k.tripped_at = NOW - 1;
	CHECK_INT(rbd_gate_limits(&r, &k, NOW, reason, sizeof(reason)), RBD_GATE_CIRCUIT_OPEN);
	CHECK(memchr(reason, '\0', sizeof(reason)) != NULL);
	CHECK(strncmp(reason, "circuit_ope", 11) == 0);
}

static void test_gates__breaker_reason_names_the_reset(void)
{
	struct rbd_rule r = rule_plain();
	struct rbd_rule_counts k = counts_none();
	char reason[256];

	r.max_failures_per_hour = 2;
	k.tripped_at = NOW - MIN;
	REQUIRE(rbd_gate_limits(&r, &k, NOW, reason, sizeof(reason)) == RBD_GATE_CIRCUIT_OPEN);
	CHECK(strstr(reason, "/api/v1/rules/latency-stop-loadtest/reset") != NULL);
}

/* ---- rbd_plan_state ---- */

struct plan_row {
	const char *what;
	enum rbd_mode mode;
	bool rule_dry_run;
	bool approval;
	int render_rc;
	int failures;                /* with max_failures_per_hour 2 */
	int runs;                    /* with max_runs_per_hour 3 */
	int64_t last_run_ago;        /* with cooldown 10m */
	const char *want_state;
	enum rbd_gate want_gate;
	const char *reason_has;      /* NULL: empty reason expected */
};

static const struct plan_row plan_table[] = {
	{ "enforce, nothing in the way", RBD_MODE_ENFORCE, false, false, 0, 0, 0, 0,
	  "planned", RBD_GATE_PASS, NULL },
	{ "refused rendering", RBD_MODE_ENFORCE, false, false, RBD_EREFUSED, 0, 0, 0,
	  "skipped", RBD_GATE_PARAM_REFUSED, "param_refused: param service" },
	{ "refused beats dry-run mode", RBD_MODE_DRY_RUN, true, true, RBD_EREFUSED, 0, 0, 0,
	  "skipped", RBD_GATE_PARAM_REFUSED, "param_refused" },
	{ "dry-run mode", RBD_MODE_DRY_RUN, false, false, 0, 0, 0, 0,
	  "dry_run", RBD_GATE_DRY_RUN, "dry-run mode" },
	{ "rule dry_run in enforce", RBD_MODE_ENFORCE, true, false, 0, 0, 0, 0,
	  "dry_run", RBD_GATE_DRY_RUN, "dry_run" },
	{ "dry-run mode with approval", RBD_MODE_DRY_RUN, false, true, 0, 0, 0, 0,
	  "dry_run", RBD_GATE_DRY_RUN, "dry-run" },
	{ "approval", RBD_MODE_ENFORCE, false, true, 0, 0, 0, 0,
	  "pending_approval", RBD_GATE_APPROVAL, "approval" },
	{ "breaker before approval", RBD_MODE_ENFORCE, false, true, 0, 2, 0, 0,
	  "skipped", RBD_GATE_CIRCUIT_OPEN, "circuit_open" },
	{ "rate limit", RBD_MODE_ENFORCE, false, false, 0, 0, 3, 0,
	  "skipped", RBD_GATE_RATE_LIMIT, "rate_limited" },
	{ "rate limit - 1", RBD_MODE_ENFORCE, false, false, 0, 0, 2, 0,
	  "planned", RBD_GATE_PASS, NULL },
	{ "cooldown", RBD_MODE_ENFORCE, false, false, 0, 0, 0, 9 * MIN,
	  "skipped", RBD_GATE_COOLDOWN, "cooldown" },
	{ "cooldown over", RBD_MODE_ENFORCE, false, false, 0, 0, 0, 10 * MIN,
	  "planned", RBD_GATE_PASS, NULL },
	{ "approval after cooldown", RBD_MODE_ENFORCE, false, true, 0, 0, 0, 10 * MIN,
	  "pending_approval", RBD_GATE_APPROVAL, "1 operator approval" },
};

static void test_gates__plan_state_table(void)
{
	for (size_t i = 0; i < sizeof(plan_table) / sizeof(plan_table[0]); i++) {
		const struct plan_row *row = &plan_table[i];
		struct rbd_config cfg = config(row->mode, 4);
		struct rbd_rule r = rule_plain();
		struct rbd_rule_counts k = counts_none();
		enum rbd_gate g = (enum rbd_gate)-1;
		char reason[256];
		enum rbd_action_state st;
		const char *state;

		r.dry_run = row->rule_dry_run;
		r.approval = row->approval;
		r.max_failures_per_hour = 2;
		r.max_runs_per_hour = 3;
		r.cooldown_ms = 10 * MIN;
		k.failures_window = row->failures;
		k.runs_last_hour = row->runs;
		k.last_run_same_key = row->last_run_ago ? NOW - row->last_run_ago : 0;
		if (row->render_rc)
			rbd_err_set(row->render_rc, "param service: value \"x;rm\" not in one_of");
		memset(reason, 'X', sizeof(reason));
		st = rbd_plan_state(&g, &cfg, &r, row->render_rc ? rbd_err_msg() : NULL, &k, NOW,
				    reason, sizeof(reason));
		state = rbd_action_state_name(st);
		CHECK(rbd_action_state_info(st) && rbd_action_state_info(st)->initial);
		if (!state || strcmp(state, row->want_state) != 0 || g != row->want_gate) {
			fprintf(stderr, "  %s: got %s/%s, expected %s/%s\n", row->what,
				state ? state : "(null)", rbd_gate_name(g), row->want_state,
				rbd_gate_name(row->want_gate));
			rbd_test_case_failed = 1;
		}
		if (!memchr(reason, '\0', sizeof(reason))) {
			fprintf(stderr, "  %s: reason not terminated\n", row->what);
			rbd_test_case_failed = 1;
		} else if (row->reason_has ? !strstr(reason, row->reason_has) : reason[0] != '\0') {
			fprintf(stderr, "  %s: reason \"%s\"\n", row->what, reason);
			rbd_test_case_failed = 1;
		}
	}
}

static void test_gates__plan_quorum_reason(void)
{
	struct rbd_config cfg = config(RBD_MODE_ENFORCE, 4);
	struct rbd_rule r = rule_plain();
	enum rbd_gate g;
	char reason[128];

	r.approval = true;
	r.approvals = 2;
	CHECK_INT(rbd_plan_state(&g, &cfg, &r, NULL, NULL, NOW, reason, sizeof(reason)),
		  RBD_STATE_PENDING_APPROVAL);
	CHECK_INT(g, RBD_GATE_APPROVAL);
	CHECK(strstr(reason, "2 operator approvals") != NULL);
}

/* after: an unmet condition skips the plan (before dry-run and approval), naming
 * what was found; a met one changes nothing; refusal by a param still comes first. */
static const char *plan_after(enum rbd_gate *g, const struct rbd_config *cfg,
			      const struct rbd_rule *r, const char *refused,
			      const struct rbd_rule_counts *k, char *reason, size_t len)
{
	return rbd_action_state_name(rbd_plan_state(g, cfg, r, refused, k, NOW, reason, len));
}

static void test_gates__plan_after(void)
{
	struct rbd_config cfg = config(RBD_MODE_ENFORCE, 4);
	struct rbd_rule r = rule_plain();
	struct rbd_rule_counts k;
	enum rbd_gate g;
	char reason[512];
	const size_t n = sizeof(reason);

	memset(&k, 0, sizeof(k));
	k.after_checked = true;
	snprintf(k.after_seen, sizeof(k.after_seen), "limit-writes: action cancelled");
	r.approval = true;
	CHECK_STR(plan_after(&g, &cfg, &r, NULL, &k, reason, n), "skipped");
	CHECK_INT(g, RBD_GATE_AFTER);
	CHECK_STR(rbd_gate_name(g), "after_not_met");
	CHECK_STR(reason, "after_not_met: limit-writes: action cancelled");
	cfg.mode = RBD_MODE_DRY_RUN;
	CHECK_STR(plan_after(&g, &cfg, &r, NULL, &k, reason, n), "skipped");
	CHECK_INT(g, RBD_GATE_AFTER);
	CHECK_STR(plan_after(&g, &cfg, &r, "param service: value \"x\" refused", &k, reason, n),
		  "skipped");
	CHECK_INT(g, RBD_GATE_PARAM_REFUSED);
	k.after_met = true;
	CHECK_STR(plan_after(&g, &cfg, &r, NULL, &k, reason, n), "dry_run");
	cfg.mode = RBD_MODE_ENFORCE;
	CHECK_STR(plan_after(&g, &cfg, &r, NULL, &k, reason, n), "pending_approval");
	k.after_checked = false;
	k.after_met = false;
	CHECK_STR(plan_after(&g, &cfg, &r, NULL, &k, reason, n), "pending_approval");
}

/* ---- rbd_gate_start ---- */

struct start_row {
	const char *what;
	bool paused;
	int max_concurrent;
	int running;
	int runs;                    /* with max_runs_per_hour 3 */
	int64_t tripped_ago;
	int64_t last_run_ago;        /* with cooldown 10m */
	enum rbd_gate want;
};

static const struct start_row start_table[] = {
	{ "free to start", false, 4, 0, 0, 0, 0, RBD_GATE_PASS },
	{ "paused", true, 4, 0, 0, 0, 0, RBD_GATE_PAUSED },
	{ "paused wins over everything", true, 1, 5, 3, 1, 1, RBD_GATE_PAUSED },
	{ "running == max", false, 4, 4, 0, 0, 0, RBD_GATE_CONCURRENCY },
	{ "running > max", false, 4, 9, 0, 0, 0, RBD_GATE_CONCURRENCY },
	{ "running == max - 1", false, 4, 3, 0, 0, 0, RBD_GATE_PASS },
	{ "max 1, one running", false, 1, 1, 0, 0, 0, RBD_GATE_CONCURRENCY },
	{ "concurrency before limits", false, 1, 1, 3, 1, 0, RBD_GATE_CONCURRENCY },
	{ "tripped since planning", false, 4, 0, 0, 1, 0, RBD_GATE_CIRCUIT_OPEN },
	{ "rate limit since planning", false, 4, 0, 3, 0, 0, RBD_GATE_RATE_LIMIT },
	{ "cooldown since planning", false, 4, 0, 0, 0, MIN, RBD_GATE_COOLDOWN },
	{ "cooldown boundary", false, 4, 0, 0, 0, 10 * MIN, RBD_GATE_PASS },
};

static void test_gates__start_table(void)
{
	for (size_t i = 0; i < sizeof(start_table) / sizeof(start_table[0]); i++) {
		const struct start_row *row = &start_table[i];
		struct rbd_config cfg = config(RBD_MODE_ENFORCE, row->max_concurrent);
		struct rbd_rule r = rule_plain();
		struct rbd_rule_counts k = counts_none();
		char reason[256];
		enum rbd_gate g;

		r.max_runs_per_hour = 3;
		r.max_failures_per_hour = 2;
		r.cooldown_ms = 10 * MIN;
		k.running = row->running;
		k.runs_last_hour = row->runs;
		k.tripped_at = row->tripped_ago ? NOW - row->tripped_ago : 0;
		k.last_run_same_key = row->last_run_ago ? NOW - row->last_run_ago : 0;
		g = rbd_gate_start(&cfg, &r, &k, row->paused, NOW, reason, sizeof(reason));
		if (g != row->want) {
			fprintf(stderr, "  %s: got %s, expected %s\n", row->what, rbd_gate_name(g),
				rbd_gate_name(row->want));
			rbd_test_case_failed = 1;
		}
		if (g != RBD_GATE_PASS && strncmp(reason, rbd_gate_name(g), strlen(rbd_gate_name(g)))) {
			fprintf(stderr, "  %s: reason \"%s\"\n", row->what, reason);
			rbd_test_case_failed = 1;
		}
		if (g == RBD_GATE_PASS && reason[0]) {
			fprintf(stderr, "  %s: reason \"%s\" on pass\n", row->what, reason);
			rbd_test_case_failed = 1;
		}
	}
}

static void test_gates__start_unlimited_rule(void)
{
	struct rbd_config cfg = config(RBD_MODE_ENFORCE, 4);
	struct rbd_rule r = rule_plain();
	struct rbd_rule_counts k = counts_none();
	char reason[64];

	k.runs_last_hour = 1000;
	k.failures_window = 1000;
	k.last_run_same_key = NOW;
	k.running = 3;
	CHECK_INT(rbd_gate_start(&cfg, &r, &k, false, NOW, reason, sizeof(reason)), RBD_GATE_PASS);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_gates__names),
	RBD_TEST(test_gates__limits_table),
	RBD_TEST(test_gates__limits_without_counts_pass),
	RBD_TEST(test_gates__reasons_are_bounded),
	RBD_TEST(test_gates__breaker_reason_names_the_reset),
	RBD_TEST(test_gates__plan_state_table),
	RBD_TEST(test_gates__plan_quorum_reason),
	RBD_TEST(test_gates__plan_after),
	RBD_TEST(test_gates__start_table),
	RBD_TEST(test_gates__start_unlimited_rule),
};

RBD_TEST_MAIN(cases)
