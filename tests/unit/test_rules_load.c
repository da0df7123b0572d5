/*
 * test_rules_load: the rules loader (rules_load.c) through rbd_config_load: a rules
 * directory loads its *.yaml / *.yml files in byte order of their names (others and
 * hidden files ignored), an inline list loads the same, and every problem of every
 * file is reported as FILE:LINE in one pass: a name defined twice (pointing at the
 * first), an unknown action, a missing or undeclared param, a rule param that reads
 * .Params, a quorum without approval, a rule without matchers.
 */
#include "harness.h"
#include "runbookd/config.h"
#include "runbookd/err.h"

#include <sys/stat.h>
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

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_rules_load__directory_in_name_order),
	RBD_TEST(test_rules_load__every_problem_in_one_pass),
};

RBD_TEST_MAIN(cases)
