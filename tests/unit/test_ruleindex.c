/* test_ruleindex: indexed and fallback rules, config order, the `on` filter, and a
 * 10k-rule set checked against a plain linear scan. Rules are built in memory. */
#include "harness.h"

#include "runbookd/buf.h"
#include "runbookd/config.h"
#include "runbookd/err.h"
#include "runbookd/labels.h"
#include "runbookd/matcher.h"
#include "runbookd/ruleindex.h"

/* Fills r with name, on and the matchers texts[0..n). */
static void mk_rule(struct rbd_rule *r, const char *name, enum rbd_rule_on on,
		    const char *const *texts, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->name = rbd_strdup(name);
	r->on = on;
	r->approvals = 1;
	r->matchers = rbd_calloc(n ? n : 1, sizeof(*r->matchers));
	for (size_t i = 0; i < n; i++) {
		if (rbd_matcher_parse(&r->matchers[i], texts[i]) != 0) {
			fprintf(stderr, "bad matcher `%s`: %s\n", texts[i], rbd_err_msg());
			abort();
		}
	}
	r->n_matchers = n;
}

static void free_rules(struct rbd_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < rules[i].n_matchers; k++)
			rbd_matcher_free(rules[i].matchers[k]);
		free(rules[i].matchers);
		free(rules[i].name);
	}
	free(rules);
}

static struct rbd_labelset mk_labels(const char *const *kv)
{
	struct rbd_labelset ls = { NULL, 0 };

	for (size_t i = 0; kv && kv[i]; i += 2)
		rbd_labels_set(&ls, kv[i], kv[i + 1]);
	return ls;
}

#define N_SMALL 9

static struct rbd_rule *small_set(void)
{
	static const char *const m0[] = { "alertname=\"A\"" };
	static const char *const m1[] = { "severity=\"critical\"" };
	static const char *const m2[] = { "alertname=\"B\"" };
	static const char *const m3[] = { "env!=\"prod\"", "alertname = A" };
	static const char *const m5[] = { "alertname=\"A\"" };
	static const char *const m6[] = { "alertname=\"\"" };
	static const char *const m7[] = { "alertname=~\"A|B\"" };
	static const char *const m8[] = { "alertname=\"A\"", "alertname=\"B\"" };
	struct rbd_rule *r = rbd_calloc(N_SMALL, sizeof(*r));

	mk_rule(&r[0], "r0-A", RBD_ON_FIRING, m0, 1);
	mk_rule(&r[1], "r1-critical", RBD_ON_FIRING, m1, 1);
	mk_rule(&r[2], "r2-B", RBD_ON_FIRING, m2, 1);
	mk_rule(&r[3], "r3-A-not-prod", RBD_ON_FIRING, m3, 2);
	mk_rule(&r[4], "r4-all", RBD_ON_FIRING, NULL, 0);
	mk_rule(&r[5], "r5-A-resolved", RBD_ON_RESOLVED, m5, 1);
	mk_rule(&r[6], "r6-no-alertname", RBD_ON_FIRING, m6, 1);
	mk_rule(&r[7], "r7-A-or-B", RBD_ON_FIRING, m7, 1);
	mk_rule(&r[8], "r8-never", RBD_ON_FIRING, m8, 2);
	return r;
}

/* Matches labels and compares the names, in order, with want (NULL-terminated). */
static void check_match(const struct rbd_ruleindex *ix, const char *const *kv, enum rbd_rule_on on,
			const char *const *want, int line)
{
	const struct rbd_rule *out[N_SMALL + 1];
	struct rbd_labelset ls = mk_labels(kv);
	size_t n = rbd_ruleindex_match(out, N_SMALL, ix, &ls, on), w = 0;

	while (want[w])
		w++;
	if (n != w) {
		fprintf(stderr, "  line %d: %zu rules matched, expected %zu:", line, n, w);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", out[i]->name);
		fprintf(stderr, "\n");
		rbd_test_case_failed = 1;
	} else {
		for (size_t i = 0; i < n; i++)
			CHECK_STR(out[i]->name, want[i]);
	}
	rbd_labels_clear(&ls);
}
#define CHECK_MATCH(ix, on, want, ...) do { \
	static const char *const kv_[] = { __VA_ARGS__, NULL }; \
	static const char *const want_[] = { want, NULL }; \
	check_match(ix, kv_, on, want_, __LINE__); \
} while (0)
#define NAMES(...) __VA_ARGS__

static void test_ruleindex__indexed_and_fallback(void)
{
	struct rbd_rule *rules = small_set();
	struct rbd_ruleindex *ix = NULL;

	REQUIRE(rbd_ruleindex_build(&ix, rules, N_SMALL) == 0);
	/* indexed (r0, r3) and fallback (r1, r4, r7) interleave in config order */
	CHECK_MATCH(ix, RBD_ON_FIRING, NAMES("r0-A", "r1-critical", "r3-A-not-prod", "r4-all", "r7-A-or-B"),
		    "alertname", "A", "severity", "critical");
	CHECK_MATCH(ix, RBD_ON_FIRING, NAMES("r0-A", "r4-all", "r7-A-or-B"),
		    "alertname", "A", "severity", "warning", "env", "prod");
	CHECK_MATCH(ix, RBD_ON_FIRING, NAMES("r1-critical", "r2-B", "r4-all", "r7-A-or-B"),
		    "alertname", "B", "severity", "critical");
	/* an alertname no rule names: only the fallback list */
	CHECK_MATCH(ix, RBD_ON_FIRING, NAMES("r1-critical", "r4-all"),
		    "alertname", "C", "severity", "critical");
	CHECK_MATCH(ix, RBD_ON_FIRING, NAMES("r4-all"), "alertname", "AA");
	/* no alertname label: the rule with alertname="" matches (missing equals "") */
	CHECK_MATCH(ix, RBD_ON_FIRING, NAMES("r4-all", "r6-no-alertname"), "job", "x");
	CHECK_MATCH(ix, RBD_ON_FIRING, NAMES("r4-all", "r6-no-alertname"), "alertname", "");
	rbd_ruleindex_free(ix);
	free_rules(rules, N_SMALL);
}

static void test_ruleindex__on_filter(void)
{
	struct rbd_rule *rules = small_set();
	struct rbd_ruleindex *ix = NULL;

	REQUIRE(rbd_ruleindex_build(&ix, rules, N_SMALL) == 0);
	CHECK_MATCH(ix, RBD_ON_RESOLVED, NAMES("r5-A-resolved"), "alertname", "A");
	CHECK_MATCH(ix, RBD_ON_RESOLVED, NAMES(NULL), "alertname", "B");
	rules[4].on = RBD_ON_RESOLVED;   /* the index reads `on` at match time */
	CHECK_MATCH(ix, RBD_ON_RESOLVED, NAMES("r4-all", "r5-A-resolved"), "alertname", "A");
	rbd_ruleindex_free(ix);
	free_rules(rules, N_SMALL);
}

static void test_ruleindex__cap(void)
{
	struct rbd_rule *rules = small_set();
	struct rbd_ruleindex *ix = NULL;
	const struct rbd_rule *out[3] = { NULL, NULL, NULL };
	static const char *const kv[] = { "alertname", "A", "severity", "critical", NULL };
	struct rbd_labelset ls = mk_labels(kv);

	REQUIRE(rbd_ruleindex_build(&ix, rules, N_SMALL) == 0);
	CHECK_INT(rbd_ruleindex_match(out, 2, ix, &ls, RBD_ON_FIRING), 2);
	CHECK(out[0] == &rules[0]);
	CHECK(out[1] == &rules[1]);
	CHECK(out[2] == NULL);
	CHECK_INT(rbd_ruleindex_match(out, 0, ix, &ls, RBD_ON_FIRING), 0);
	rbd_labels_clear(&ls);
	rbd_ruleindex_free(ix);
	free_rules(rules, N_SMALL);
}

static void test_ruleindex__rule_matches(void)
{
	struct rbd_rule *rules = small_set();
	static const char *const kv[] = { "alertname", "A", "env", "prod", NULL };
	struct rbd_labelset ls = mk_labels(kv);

	CHECK_INT(rbd_rule_matches(&rules[0], &ls), 1);
	CHECK_INT(rbd_rule_matches(&rules[1], &ls), 0);
	CHECK_INT(rbd_rule_matches(&rules[3], &ls), 0);   /* second matcher fails */
	CHECK_INT(rbd_rule_matches(&rules[4], &ls), 1);   /* no matchers: matches */
	CHECK_INT(rbd_rule_matches(&rules[4], NULL), 1);
	CHECK_INT(rbd_rule_matches(&rules[8], &ls), 0);
	CHECK_INT(rbd_rule_matches(&rules[6], NULL), 1);
	rbd_labels_clear(&ls);
	free_rules(rules, N_SMALL);
}

static void test_ruleindex__empty(void)
{
	struct rbd_ruleindex *ix = NULL;
	const struct rbd_rule *out[1];
	static const char *const kv[] = { "alertname", "A", NULL };
	struct rbd_labelset ls = mk_labels(kv);

	REQUIRE(rbd_ruleindex_build(&ix, NULL, 0) == 0);
	CHECK_INT(rbd_ruleindex_match(out, 1, ix, &ls, RBD_ON_FIRING), 0);
	CHECK_INT(rbd_ruleindex_match(out, 1, ix, NULL, RBD_ON_FIRING), 0);
	rbd_ruleindex_free(ix);
	rbd_ruleindex_free(NULL);
	rbd_labels_clear(&ls);
}

#define N_BIG 10000

/*
 * 10,000 rules of several shapes: unique alertnames with a severity regex, shared
 * alertnames (many rules per bucket), regex alertnames and rules without alertname
 * (fallback), and resolved rules. Every lookup must equal a linear scan.
 */
static void test_ruleindex__ten_thousand_rules(void)
{
	struct rbd_rule *rules = rbd_calloc(N_BIG, sizeof(*rules));
	const struct rbd_rule **got = rbd_calloc(N_BIG, sizeof(*got));
	const struct rbd_rule **want = rbd_calloc(N_BIG, sizeof(*want));
	struct rbd_ruleindex *ix = NULL;
	struct rbd_buf a = RBD_BUF_INIT(0), b = RBD_BUF_INIT(0), name = RBD_BUF_INIT(0);
	static const char *const sevs[] = { "critical", "warning", "info", "" };
	size_t total = 0, lookups = 0;
	unsigned seed = 12345;

	for (size_t i = 0; i < N_BIG; i++) {
		const char *m[2];
		size_t nm = 2;

		rbd_buf_reset(&a);
		rbd_buf_reset(&b);
		rbd_buf_reset(&name);
		rbd_buf_printf(&name, "rule-%zu", i);
		switch (i % 10) {
		case 0: case 1: case 2: case 3: case 4:
			rbd_buf_printf(&a, "alertname=\"X_%zu\"", i);
			rbd_buf_puts(&b, "severity=~\"warning|critical\"");
			break;
		case 5: case 6:
			rbd_buf_printf(&a, "alertname=\"S_%zu\"", i % 50);   /* shared bucket */
			rbd_buf_printf(&b, "team!=\"t%zu\"", i % 7);
			break;
		case 7:
			rbd_buf_printf(&a, "alertname=~\"X_%zu.*\"", i % 100);
			rbd_buf_puts(&b, "severity=\"critical\"");
			break;
		case 8:
			rbd_buf_printf(&a, "team=\"t%zu\"", i % 7);
			nm = 1;
			break;
		default:
			rbd_buf_printf(&a, "alertname=\"X_%zu\"", i - 9);
			rbd_buf_puts(&b, "severity!~\"info|\"");
			break;
		}
		m[0] = rbd_buf_cstr(&a);
		m[1] = rbd_buf_cstr(&b);
		mk_rule(&rules[i], rbd_buf_cstr(&name), i % 13 == 0 ? RBD_ON_RESOLVED : RBD_ON_FIRING,
			m, nm);
	}
	REQUIRE(rbd_ruleindex_build(&ix, rules, N_BIG) == 0);

	for (int k = 0; k < 3000; k++) {
		struct rbd_labelset ls = { NULL, 0 };
		enum rbd_rule_on on = (k % 5 == 0) ? RBD_ON_RESOLVED : RBD_ON_FIRING;
		size_t ng, nw = 0;

		seed = seed * 1103515245u + 12345u;
		rbd_buf_reset(&a);
		switch ((seed >> 16) % 4) {
		case 0:
			rbd_buf_printf(&a, "X_%u", (seed >> 8) % (N_BIG + 10));
			break;
		case 1:
			rbd_buf_printf(&a, "S_%u", (seed >> 8) % 60);
			break;
		case 2:
			rbd_buf_printf(&a, "Y_%u", (seed >> 8) % 10);
			break;
		default:
			break;   /* no alertname at all */
		}
		if (a.len)
			rbd_labels_set(&ls, "alertname", rbd_buf_cstr(&a));
		if (sevs[(seed >> 4) % 4][0])
			rbd_labels_set(&ls, "severity", sevs[(seed >> 4) % 4]);
		rbd_buf_reset(&b);
		rbd_buf_printf(&b, "t%u", (seed >> 12) % 8);
		rbd_labels_set(&ls, "team", rbd_buf_cstr(&b));

		ng = rbd_ruleindex_match(got, N_BIG, ix, &ls, on);
		for (size_t i = 0; i < N_BIG; i++)
			if (rules[i].on == on && rbd_rule_matches(&rules[i], &ls))
				want[nw++] = &rules[i];
		if (ng != nw || memcmp(got, want, nw * sizeof(*got)) != 0) {
			fprintf(stderr, "  lookup %d (alertname %s): %zu rules, linear scan %zu\n", k,
				rbd_buf_cstr(&a), ng, nw);
			CHECK(0);
			rbd_labels_clear(&ls);
			break;
		}
		total += ng;
		lookups++;
		rbd_labels_clear(&ls);
	}
	/* the corpus really exercises matches, not just empty results */
	CHECK(total > lookups);

	/* spot checks with known answers */
	{
		static const char *const kv[] = { "alertname", "X_40", "severity", "critical",
						  "team", "t9", NULL };
		struct rbd_labelset ls = mk_labels(kv);
		size_t n = rbd_ruleindex_match(got, N_BIG, ix, &ls, RBD_ON_FIRING);

		/* rule-40 (X_40 + severity) and rule-49 (X_40 + severity!~info); no regex
		 * rule (X_7.*, X_17.*, ...) and no team rule (t0..t6) applies */
		REQUIRE(n == 2);
		CHECK_STR(got[0]->name, "rule-40");
		CHECK_STR(got[1]->name, "rule-49");
		rbd_labels_clear(&ls);
	}
	rbd_ruleindex_free(ix);
	free_rules(rules, N_BIG);
	free(got);
	free(want);
	rbd_buf_free(&a);
	rbd_buf_free(&b);
	rbd_buf_free(&name);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_ruleindex__indexed_and_fallback),
	RBD_TEST(test_ruleindex__on_filter),
	RBD_TEST(test_ruleindex__cap),
	RBD_TEST(test_ruleindex__rule_matches),
	RBD_TEST(test_ruleindex__empty),
	RBD_TEST(test_ruleindex__ten_thousand_rules),
};

RBD_TEST_MAIN(cases)
