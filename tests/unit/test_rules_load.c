/*
 * test_rules_load: the rules loader (rules_load.c) through rbd_config_load: a rules
 * directory loads its *.yaml / *.yml files in byte order of their names (others and
 * hidden files ignored), an inline list loads the same, and every problem of every
 * file is reported as FILE:LINE in one pass: a name defined twice (pointing at the
 * first), an unknown action, a missing or undeclared param, a rule param that reads
 * .Params, a quorum without approval, a rule without matchers.
 *
 * Loading many rules and actions is not quadratic: 20,000 generated rules (and a
 * catalog of 5,000 actions) load with a linear number of name comparisons, a duplicate
 * among them is still found and named, lookups by name find every rule, and the load's
 * CPU time grows about linearly from 2.5k to 20k rules (a generous ratio bound:
 * quadratic work would make it ~64x; never an absolute time).
 */
#include "harness.h"
#include "runbookd/config.h"
#include "runbookd/err.h"
#include "runbookd/nameset.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static const char *const CONFIG_HEAD =
	"listen: 127.0.0.1:0\n"
	"database: ':memory:'\n"
	"mode: enforce\n"
	"actions:\n"
	"  stop:\n"
	"    run: [/bin/true, stop]\n"
	"  restart:\n"
	"    run: [/bin/true, restart, \"{{ .Params.service }}\"]\n"
	"    params:\n"
	"      service: { one_of: [app, db] }\n";

static const char *const RULE_A =
	"rules:\n"
	"  - name: a-first\n"
	"    matchers: ['alertname = \"A\"']\n"
	"    action: stop\n";
static const char *const RULE_B =
	"rules:\n"
	"  - name: b-second\n"
	"    matchers: ['alertname = \"B\"']\n"
	"    action: restart\n"
	"    params: { service: \"{{ .Labels.service }}\" }\n"
	"    approval: true\n"
	"    approvals: 2\n";

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rbd-test-rules.XXXXXX");
	if (!mkdtemp(dir))
		dir[0] = '\0';
}

static void teardown(const char *const *names)
{
	char p[256];

	for (; *names; names++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *names);
		remove(p);
	}
	rmdir(dir);
}

static void test_rules_load__directory_in_name_order(void)
{
	static const char *const files[] = { "rules/b.yaml", "rules/a.yml", "rules/.c.yaml",
					     "rules/notes.txt", "rules", "runbookd.yaml", NULL };
	struct rbd_diag d = { 0 };
	struct rbd_config *cfg = NULL;
	char path[256], rules[256];

	setup();
	REQUIRE(dir[0]);
	snprintf(rules, sizeof(rules), "%s/rules", dir);
	REQUIRE(mkdir(rules, 0700) == 0);
	write_file("rules/b.yaml", RULE_B);
	write_file("rules/a.yml", RULE_A);
	write_file("rules/.c.yaml", "this is not yaml: [");
	write_file("rules/notes.txt", "nor this: [");
	snprintf(path, sizeof(path), "%s", write_file("runbookd.yaml", ""));
	{
		FILE *f = fopen(path, "w");

		REQUIRE(f);
		fprintf(f, "%srules: rules\n", CONFIG_HEAD);
		fclose(f);
	}
	CHECK_INT(rbd_config_load(&cfg, path, &d), 0);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "  %s\n", d.msgs[i]);
	REQUIRE(cfg);
	CHECK_INT(cfg->n_rules, 2);
	if (cfg->n_rules == 2) {
		CHECK_STR(cfg->rules[0].name, "a-first");
		CHECK_STR(cfg->rules[1].name, "b-second");
		CHECK(strstr(cfg->rules[1].file, "/rules/b.yaml") != NULL);
		CHECK_INT(cfg->rules[1].line, 2);
		CHECK_INT(cfg->rules[1].approvals, 2);
		CHECK(cfg->rules[1].action == rbd_config_action(cfg, "restart"));
		CHECK_INT(cfg->rules[1].n_params, 1);
	}
	CHECK_STR(cfg->rules_path, rules);
	CHECK(rbd_config_rule(cfg, "b-second") == &cfg->rules[1]);
	CHECK(rbd_config_rule(cfg, "nope") == NULL);
	rbd_config_free(cfg);
	rbd_diag_clear(&d);
	teardown(files);
}

static void test_rules_load__every_problem_in_one_pass(void)
{
	static const char *const files[] = { "runbookd.yaml", NULL };
	static const char *const want[] = {
		":13: rule \"dup\" is already defined at ",       /* second dup, points at 1st */
		":16: rule bad-action: action: unknown action \"nope\"",
		":20: rule no-param: params: action restart needs param \"service\"",
		":25: rule extra-param: params: action stop does not declare param \"x\"",
		":29: rule reads-params: params: service: .Params.service cannot be used in a rule param",
		":34: rule quorum: approvals: a quorum of 3 needs approval: true",
		":35: rule empty: matchers: at least one matcher is required",
	};
	struct rbd_diag d = { 0 };
	struct rbd_config *cfg = (struct rbd_config *)&d;
	char path[256];
	FILE *f;

	setup();
	REQUIRE(dir[0]);
	snprintf(path, sizeof(path), "%s/runbookd.yaml", dir);
	f = fopen(path, "w");
	REQUIRE(f);
	fprintf(f, "%s", CONFIG_HEAD);                                     /* lines 1-10 */
	fprintf(f, "rules:\n"                                              /* 11 */
		"  - { name: dup, matchers: ['a=\"b\"'], action: stop }\n"  /* 12 */
		"  - { name: dup, matchers: ['a=\"c\"'], action: stop }\n"  /* 13 */
		"  - name: bad-action\n"                                   /* 14 */
		"    matchers: ['a=\"b\"']\n"                              /* 15 */
		"    action: nope\n"                                        /* 16 */
		"  - name: no-param\n"                                     /* 17 */
		"    matchers: ['a=\"b\"']\n"                              /* 18 */
		"    action: restart\n"                                     /* 19 */
		"    params: {}\n"                                          /* 20 */
		"  - name: extra-param\n"                                  /* 21 */
		"    matchers: ['a=\"b\"']\n"                              /* 22 */
		"    action: stop\n"                                        /* 23 */
		"    params:\n"                                             /* 24 */
		"      x: y\n"                                              /* 25 */
		"  - name: reads-params\n"                                 /* 26 */
		"    matchers: ['a=\"b\"']\n"                              /* 27 */
		"    action: restart\n"                                     /* 28 */
		"    params: { service: \"{{ .Params.service }}\" }\n"      /* 29 */
		"  - name: quorum\n"                                       /* 30 */
		"    matchers: ['a=\"b\"']\n"                              /* 31 */
		"    action: stop\n"                                        /* 32 */
		"    approval: false\n"                                     /* 33 */
		"    approvals: 3\n"                                        /* 34 */
		"  - { name: empty, matchers: [], action: stop }\n");      /* 35 */
	fclose(f);
	CHECK_INT(rbd_config_load(&cfg, path, &d), RBD_EINVAL);
	CHECK(cfg == NULL);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (size_t k = 0; k < d.n && !found; k++)
			found = strstr(d.msgs[k], want[i]) && strncmp(d.msgs[k], path, strlen(path)) == 0;
		if (!found) {
			fprintf(stderr, "  missing: %s\n", want[i]);
			rbd_test_case_failed = 1;
		}
	}
	if (rbd_test_case_failed)
		for (size_t k = 0; k < d.n; k++)
			fprintf(stderr, "  got: %s\n", d.msgs[k]);
	CHECK_INT(d.n, sizeof(want) / sizeof(want[0]));
	rbd_diag_clear(&d);
	teardown(files);
}

/* ---- many rules ---- */

struct gen {
	char dir[64];
	char cfg[128];
	char rules[128];
};

/* Writes a config with n_actions actions and a rules file with n_rules rules (rule i
 * uses action i % n_actions); with dup, the last rule repeats rule 7's name. */
static int gen_write(struct gen *g, size_t n_rules, size_t n_actions, bool dup)
{
	FILE *fp;

	snprintf(g->dir, sizeof(g->dir), "/tmp/rbd-test-rules.XXXXXX");
	if (!mkdtemp(g->dir))
		return -1;
	snprintf(g->cfg, sizeof(g->cfg), "%s/runbookd.yaml", g->dir);
	snprintf(g->rules, sizeof(g->rules), "%s/rules.yaml", g->dir);
	fp = fopen(g->cfg, "w");
	if (!fp)
		return -1;
	fprintf(fp, "listen: 127.0.0.1:0\ndatabase: \":memory:\"\nmode: dry-run\nrules: rules.yaml\n"
		"actions:\n");
	for (size_t i = 0; i < n_actions; i++)
		fprintf(fp, "  act-%zu:\n    http: { method: POST, url: \"http://127.0.0.1:9/a/%zu\" }\n",
			i, i);
	fclose(fp);
	fp = fopen(g->rules, "w");
	if (!fp)
		return -1;
	fprintf(fp, "rules:\n");
	for (size_t i = 0; i < n_rules; i++)
		fprintf(fp, "  - name: rule-%zu\n    matchers: ['alertname = \"A%zu\"', 'env != \"prod\"']\n"
			"    action: act-%zu\n    cooldown: 10m\n",
			dup && i == n_rules - 1 ? (size_t)7 : i, i, i % n_actions);
	fclose(fp);
	return 0;
}

static void gen_remove(struct gen *g)
{
	unlink(g->cfg);
	unlink(g->rules);
	rmdir(g->dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_rules_load__20k_rules_linear_compares(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	struct gen g;
	size_t n = 20000;
	char name[64];

	REQUIRE(gen_write(&g, n, 5000, false) == 0);
	REQUIRE(rbd_config_load(&cfg, g.cfg, &d) == 0);
	REQUIRE(cfg->n_rules == n);
	CHECK_INT(cfg->n_actions, 5000);
	/* One comparison per hash match: the duplicate checks of all 20k names cost
	 * about 20k comparisons, where comparing with every earlier rule costs 2e8. */
	CHECK(rbd_nameset_compares(cfg->rule_names) <= 2 * n);
	CHECK(rbd_nameset_compares(cfg->action_names) <= 2 * (n + 5000));
	for (size_t i = 0; i < n; i += 997) {
		const struct rbd_rule *r;

		snprintf(name, sizeof(name), "rule-%zu", i);
		r = rbd_config_rule(cfg, name);
		REQUIRE(r != NULL);
		CHECK_STR(r->name, name);
		CHECK(r->action == rbd_config_action(cfg, r->action->name));
	}
	CHECK(rbd_config_rule(cfg, "rule-20000") == NULL);
	CHECK(rbd_config_action(cfg, "act-5000") == NULL);
	rbd_config_free(cfg);
	rbd_diag_clear(&d);
	gen_remove(&g);
}

static void test_rules_load__duplicate_among_many(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	struct gen g;
	char want[512];

	REQUIRE(gen_write(&g, 20000, 10, true) == 0);
	CHECK(rbd_config_load(&cfg, g.cfg, &d) != 0);
	CHECK(cfg == NULL);
	/* rules: at line 1, each rule 4 lines: rule i starts at line 2 + 4i */
	snprintf(want, sizeof(want), "%s:%d: rule \"rule-7\" is already defined at %s:%d", g.rules,
		 2 + 4 * 19999, g.rules, 2 + 4 * 7);
	REQUIRE(d.n == 1);
	CHECK_STR(d.msgs[0], want);
	rbd_diag_clear(&d);
	gen_remove(&g);
}

/* The action catalog is a mapping: a duplicate key among thousands is still named. */
static void test_rules_load__duplicate_action_among_many(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	struct gen g;
	FILE *fp;
	char want[512];

	REQUIRE(gen_write(&g, 1, 3000, false) == 0);
	fp = fopen(g.cfg, "a");
	REQUIRE(fp != NULL);
	fprintf(fp, "  act-12:\n    http: { method: POST, url: \"http://127.0.0.1:9/b\" }\n");
	fclose(fp);
	CHECK(rbd_config_load(&cfg, g.cfg, &d) != 0);
	/* header 5 lines, each action 2 lines: act-i at line 6 + 2i */
	snprintf(want, sizeof(want), "%s:%d: actions: duplicate key \"act-12\" (first at line %d)",
		 g.cfg, 6 + 2 * 3000, 6 + 2 * 12);
	REQUIRE(d.n >= 1);
	CHECK_STR(d.msgs[0], want);
	rbd_config_free(cfg);
	rbd_diag_clear(&d);
	gen_remove(&g);
}

/* The least CPU time of 3 loads of a generated config with n rules, in seconds. */
static double load_time(size_t n)
{
	double best = 1e9;
	struct gen g;

	if (gen_write(&g, n, 100, false) != 0)
		return -1;
	for (int k = 0; k < 3; k++) {
		struct rbd_config *cfg = NULL;
		double t0 = now_s(), dt;

		if (rbd_config_load(&cfg, g.cfg, NULL) != 0)
			best = -1;
		dt = now_s() - t0;
		best = dt < best ? dt : best;
		rbd_config_free(cfg);
	}
	gen_remove(&g);
	return best;
}

static void test_rules_load__time_grows_linearly(void)
{
	double t2 = load_time(2500), t20 = load_time(20000);

	REQUIRE(t2 > 0 && t20 > 0);
	fprintf(stderr, "  2.5k rules %.3f s, 20k rules %.3f s (CPU), ratio %.1f\n", t2, t20,
		t20 / t2);
	/* 8x the rules: linear ~8, quadratic ~64 (measured 30-40 with the old loader's
	 * constant costs). CPU time, so other processes on the machine do not count. */
	CHECK(t20 / t2 < 20.0);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_rules_load__directory_in_name_order),
	RBD_TEST(test_rules_load__every_problem_in_one_pass),
	RBD_TEST(test_rules_load__20k_rules_linear_compares),
	RBD_TEST(test_rules_load__duplicate_among_many),
	RBD_TEST(test_rules_load__duplicate_action_among_many),
	RBD_TEST(test_rules_load__time_grows_linearly),
};

RBD_TEST_MAIN(cases)
