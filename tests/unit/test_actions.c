/* test_actions: rendering a rule's action for an alert (argv, HTTP request, silence),
 * the injection corpus against every templated argv slot, and the stored JSON form. */
#include "harness.h"

#include "runbookd/actions.h"
#include "runbookd/config.h"
#include "runbookd/err.h"
#include "runbookd/labels.h"

#include <cJSON.h>
#include <stdbool.h>

static struct rbd_config *load(void)
{
	struct rbd_config *cfg = NULL;
	struct rbd_diag d = { 0 };
	char path[4096];

	snprintf(path, sizeof(path), "%s", rbd_test_fixture("config/actions/runbookd.yaml"));
	if (rbd_config_load(&cfg, path, &d) != 0)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "    diag: %s\n", d.msgs[i]);
	rbd_diag_clear(&d);
	return cfg;
}

struct alert {
	struct rbd_labelset labels;
	struct rbd_labelset annotations;
	struct rbd_template_data d;
};

static void alert_init(struct alert *a)
{
	memset(a, 0, sizeof(*a));
	rbd_labels_set(&a->labels, "alertname", "Down");
	rbd_labels_set(&a->labels, "service", "app");
	rbd_labels_set(&a->labels, "flag", "writes");
	rbd_labels_set(&a->annotations, "summary", "disk full on node 3");
	rbd_labels_set(&a->annotations, "reason", "load");
	a->d.labels = &a->labels;
	a->d.annotations = &a->annotations;
	a->d.fingerprint = "f00dfeed12345678";
	a->d.status = "firing";
	a->d.starts_at = "2026-11-25T07:55:47.033Z";
	a->d.incident_id = 7;
	a->d.now = "2026-11-25T07:56:00.000Z";
}

static void alert_clear(struct alert *a)
{
	rbd_labels_clear(&a->labels);
	rbd_labels_clear(&a->annotations);
}

static bool is_empty(const struct rbd_rendered *r)
{
	return r->argv == NULL && r->argc == 0 && r->method == NULL && r->url == NULL &&
	       r->body == NULL && r->silence_matchers.n == 0 && r->timeout_ms == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_actions__run_one_of(void)
{
	struct rbd_config *cfg = load();
	struct rbd_rendered r;
	struct alert a;

	REQUIRE(cfg != NULL);
	alert_init(&a);
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "restart-oneof"), &a.d), 0);
	CHECK_INT(r.kind, RBD_ACTION_RUN);
	REQUIRE(r.argc == 4);
	CHECK(r.argv[0][0] == '/' && ends_with(r.argv[0], "/fixtures/config/bin/docker"));
	CHECK_STR(r.argv[0], rbd_config_action(cfg, "restart_oneof")->program);
	CHECK_STR(r.argv[1], "compose");
	CHECK_STR(r.argv[2], "restart");
	CHECK_STR(r.argv[3], "app");
	CHECK(r.argv[4] == NULL);
	CHECK_INT(r.timeout_ms, 120000);
	rbd_rendered_clear(&r);
	CHECK(is_empty(&r));

	/* another allowed value, and a value not in the list */
	rbd_labels_set(&a.labels, "service", "kafka");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "restart-oneof"), &a.d), 0);
	CHECK(r.argc == 4 && strcmp(r.argv[3], "kafka") == 0);
	rbd_rendered_clear(&r);
	rbd_labels_set(&a.labels, "service", "nginx");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "restart-oneof"), &a.d), RBD_EREFUSED);
	CHECK(is_empty(&r));
	CHECK(strncmp(rbd_err_msg(), "param service: ", 15) == 0);
	alert_clear(&a);
	rbd_config_free(cfg);
}

/* A value with spaces allowed by a pattern stays one argv element, never split. */
static void test_actions__run_pattern_spaces_one_element(void)
{
	struct rbd_config *cfg = load();
	struct rbd_rendered r;
	struct alert a;

	REQUIRE(cfg != NULL);
	alert_init(&a);
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "note"), &a.d), 0);
	REQUIRE(r.argc == 6);
	CHECK_STR(r.argv[1], "note");
	CHECK_STR(r.argv[2], "--message=disk full on node 3");
	CHECK_STR(r.argv[3], "disk full on node 3");
	CHECK_STR(r.argv[4], "note");             /* .Rule defaults to the rule's name */
	CHECK_STR(r.argv[5], "7");                /* .IncidentID */
	rbd_rendered_clear(&r);

	a.d.rule = "given-rule";
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "note"), &a.d), 0);
	CHECK(r.argc == 6 && strcmp(r.argv[4], "given-rule") == 0);
	rbd_rendered_clear(&r);

	/* a templated element that renders empty is refused; literals never are */
	a.d.rule = "";
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "note"), &a.d), RBD_EREFUSED);
	CHECK(is_empty(&r));
	CHECK_STR(rbd_err_msg(), "run[4]: `{{ .Rule }}` renders empty");
	alert_clear(&a);
	rbd_config_free(cfg);
}

/* THREATS: shell metacharacters and option-shaped values in a label that feeds a
 * param: refused with one_of and with pattern, nothing rendered. */
static void test_actions__injection_corpus_refused(void)
{
	static const char *const corpus[] = {
		";", "app;id", "app; rm -rf /", "app|id", "app | id", "app&id", "app && id",
		"$(id)", "app$(id)", "`id`", "app`id`", "app\nid", "app\rid", "app\tid", "*",
		"app*", "?", "[a-z]", "{a,b}", "~", "'app'", "\"app\"", "app'", "app\"", "\\",
		"-rf", "--config=/x", "-", "--", "@/etc/passwd", "@app", "../../etc/passwd",
		"app\x1b[31m", "app>/tmp/x", "<app", "app\x7f", "",
	};
	static const char *const rules[] = { "restart-oneof", "restart-pattern", "note" };
	struct rbd_config *cfg = load();
	char big[4097];
	size_t refused = 0, total = 0;

	REQUIRE(cfg != NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (size_t i = 0; i <= sizeof(corpus) / sizeof(corpus[0]); i++) {
		const char *v = i < sizeof(corpus) / sizeof(corpus[0]) ? corpus[i] : big;

		for (size_t j = 0; j < sizeof(rules) / sizeof(rules[0]); j++) {
			const struct rbd_rule *rule = rbd_config_rule(cfg, rules[j]);
			struct rbd_rendered r;
			struct alert a;
			int rc;

			REQUIRE(rule != NULL);
			alert_init(&a);
			rbd_labels_set(&a.labels, "service", v);
			rbd_labels_set(&a.annotations, "summary", v);
			memset(&r, 0x5a, sizeof(r));   /* out must be emptied, not left alone */
			rc = rbd_action_render(&r, rule, &a.d);
			total++;
			if (rc == RBD_EREFUSED && is_empty(&r) &&
			    strncmp(rbd_err_msg(), "param ", 6) == 0)
				refused++;
			else
				fprintf(stderr, "    not refused: rule %s value \"%.40s\" rc %d msg %s\n",
					rules[j], v, rc, rbd_err_msg());
			/* the refusal goes into the timeline: never the raw value */
			CHECK(strchr(rbd_err_msg(), '\n') == NULL);
			CHECK(strlen(rbd_err_msg()) < 512);
			if (rc == 0)
				rbd_rendered_clear(&r);
			alert_clear(&a);
		}
	}
	CHECK_INT(refused, total);
	rbd_config_free(cfg);
}

static void test_actions__missing_label_refuses(void)
{
	struct rbd_config *cfg = load();
	struct rbd_rendered r;
	struct alert a;

	REQUIRE(cfg != NULL);
	alert_init(&a);
	rbd_labels_clear(&a.labels);
	rbd_labels_set(&a.labels, "alertname", "Down");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "restart-pattern"), &a.d), RBD_EREFUSED);
	CHECK(is_empty(&r));
	CHECK_STR(rbd_err_msg(), "param service: label service is missing");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "silence"), &a.d), RBD_EREFUSED);
	CHECK(is_empty(&r));
	CHECK_STR(rbd_err_msg(), "silence: label service is missing");
	/* no data at all */
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "restart-oneof"), NULL), RBD_EREFUSED);
	CHECK(is_empty(&r));
	alert_clear(&a);
	rbd_config_free(cfg);
}

static void test_actions__http(void)
{
	struct rbd_config *cfg = load();
	struct rbd_rendered r;
	struct alert a;
	cJSON *body;

	REQUIRE(cfg != NULL);
	alert_init(&a);
	rbd_labels_set(&a.labels, "flag", "writes off/a&b=c?");
	rbd_labels_set(&a.annotations, "reason", "disk \"full\" \\ at 95% {x}");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "flag"), &a.d), 0);
	CHECK_INT(r.kind, RBD_ACTION_HTTP);
	CHECK_STR(r.method, "POST");
	/* URL escaping: the value cannot add path segments, queries or hosts */
	CHECK_STR(r.url, "http://127.0.0.1:8080/admin/flags/writes%20off%2Fa%26b%3Dc%3F"
		  "?incident=7&fp=f00dfeed12345678");
	CHECK_INT(r.timeout_ms, 10000);
	REQUIRE(r.body != NULL);
	/* JSON escaping: the body stays one valid object with the value intact */
	body = cJSON_Parse(r.body);
	REQUIRE(body != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "reason")),
		  "disk \"full\" \\ at 95% {x}");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "rule")), "flag");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "at")), "2026-11-25T07:55:47.033Z");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(body, "enabled")));
	CHECK_INT(cJSON_GetArraySize(body), 4);
	cJSON_Delete(body);
	CHECK(r.argv == NULL && r.argc == 0);
	rbd_rendered_clear(&r);

	/* a value trying to close the JSON string and add a key stays inside it */
	rbd_labels_set(&a.annotations, "reason", "x\", \"enabled\": true, \"y\": \"");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "flag"), &a.d), 0);
	body = cJSON_Parse(r.body);
	REQUIRE(body != NULL);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(body, "enabled")));
	CHECK_INT(cJSON_GetArraySize(body), 4);
	cJSON_Delete(body);
	rbd_rendered_clear(&r);

	/* no body, no templates */
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "ping"), &a.d), 0);
	CHECK_STR(r.method, "GET");
	CHECK_STR(r.url, "http://127.0.0.1:8080");
	CHECK(r.body == NULL);
	CHECK_INT(r.timeout_ms, 60000);
	rbd_rendered_clear(&r);

	/* the http param allowlist still applies */
	rbd_labels_set(&a.labels, "flag", "Evil.example");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "flag"), &a.d), RBD_EREFUSED);
	CHECK(is_empty(&r));
	alert_clear(&a);
	rbd_config_free(cfg);
}

static void test_actions__silence(void)
{
	struct rbd_config *cfg = load();
	struct rbd_rendered r;
	struct alert a;

	REQUIRE(cfg != NULL);
	alert_init(&a);
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "silence"), &a.d), 0);
	CHECK_INT(r.kind, RBD_ACTION_SILENCE);
	CHECK_INT(r.silence_matchers.n, 2);
	CHECK_STR(rbd_labels_get(&r.silence_matchers, "alertname"), "Down");
	CHECK_STR(rbd_labels_get(&r.silence_matchers, "service"), "app");
	CHECK(rbd_labels_get(&r.silence_matchers, "flag") == NULL);
	CHECK_INT(r.silence_duration_ms, 3600000);
	CHECK_INT(r.timeout_ms, 5000);
	rbd_rendered_clear(&r);
	alert_clear(&a);
	rbd_config_free(cfg);
}

/* to_json -> from_json -> to_json gives the same text and the same rendering. */
static void round_trip(const struct rbd_rendered *r, const char *want_json)
{
	struct rbd_rendered back;
	char *j1 = rbd_rendered_to_json(r), *j2;

	REQUIRE(j1 != NULL);
	if (want_json)
		CHECK_STR(j1, want_json);
	CHECK_INT(rbd_rendered_from_json(&back, j1), 0);
	CHECK_INT(back.kind, r->kind);
	CHECK_INT(back.argc, r->argc);
	for (size_t i = 0; i < r->argc && i < back.argc; i++)
		CHECK_STR(back.argv[i], r->argv[i]);
	CHECK(back.argc == 0 || back.argv[back.argc] == NULL);
	CHECK((back.body == NULL) == (r->body == NULL));
	CHECK_INT(back.timeout_ms, r->timeout_ms);
	CHECK_INT(back.silence_duration_ms, r->silence_duration_ms);
	CHECK_INT(back.silence_matchers.n, r->silence_matchers.n);
	j2 = rbd_rendered_to_json(&back);
	CHECK_STR(j2, j1);
	{
		char *k1 = rbd_rendered_key(r), *k2 = rbd_rendered_key(&back);

		CHECK_STR(k2, k1);
		free(k1);
		free(k2);
	}
	rbd_rendered_clear(&back);
	free(j1);
	free(j2);
}

static void test_actions__json_round_trip(void)
{
	struct rbd_config *cfg = load();
	struct rbd_rendered r;
	struct alert a;
	char want[8192];

	REQUIRE(cfg != NULL);
	alert_init(&a);
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "restart-oneof"), &a.d), 0);
	snprintf(want, sizeof(want), "{\"kind\":\"run\",\"argv\":[\"%s\",\"compose\",\"restart\","
		 "\"app\"],\"timeout_ms\":120000}", r.argc ? r.argv[0] : "");
	round_trip(&r, want);
	rbd_rendered_clear(&r);

	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "ping"), &a.d), 0);
	round_trip(&r, "{\"kind\":\"http\",\"method\":\"GET\",\"url\":\"http://127.0.0.1:8080\","
		   "\"body\":null,\"timeout_ms\":60000}");
	rbd_rendered_clear(&r);

	rbd_labels_set(&a.annotations, "reason", "quote \" and \\ and é");
	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "flag"), &a.d), 0);
	round_trip(&r, NULL);
	rbd_rendered_clear(&r);

	CHECK_INT(rbd_action_render(&r, rbd_config_rule(cfg, "silence"), &a.d), 0);
	round_trip(&r, "{\"kind\":\"silence\",\"matchers\":{\"alertname\":\"Down\",\"service\":\"app\"},"
		   "\"duration_ms\":3600000,\"timeout_ms\":5000}");
	rbd_rendered_clear(&r);
	alert_clear(&a);
	rbd_config_free(cfg);
}

static void test_actions__from_json_rejects(void)
{
	static const char *const bad[] = {
		"", "null", "[]", "{", "{\"kind\":\"run\"}",
		"{\"kind\":\"run\",\"argv\":[],\"timeout_ms\":1}",
		"{\"kind\":\"run\",\"argv\":[\"/bin/true\",3],\"timeout_ms\":1}",
		"{\"kind\":\"run\",\"argv\":\"/bin/true\",\"timeout_ms\":1}",
		"{\"kind\":\"run\",\"argv\":[\"/bin/true\"]}",
		"{\"kind\":\"run\",\"argv\":[\"/bin/true\"],\"timeout_ms\":-1}",
		"{\"kind\":\"run\",\"argv\":[\"/bin/true\"],\"timeout_ms\":1.5}",
		"{\"kind\":\"run\",\"argv\":[\"/bin/true\"],\"timeout_ms\":\"1\"}",
		"{\"kind\":\"shell\",\"argv\":[\"/bin/true\"],\"timeout_ms\":1}",
		"{\"kind\":\"http\",\"url\":\"http://x\",\"body\":null,\"timeout_ms\":1}",
		"{\"kind\":\"http\",\"method\":\"GET\",\"url\":\"http://x\",\"body\":{},\"timeout_ms\":1}",
		"{\"kind\":\"silence\",\"matchers\":[],\"duration_ms\":1,\"timeout_ms\":1}",
		"{\"kind\":\"silence\",\"matchers\":{\"a\":1},\"duration_ms\":1,\"timeout_ms\":1}",
		"{\"kind\":\"silence\",\"matchers\":{\"a\":\"b\"},\"timeout_ms\":1}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rbd_rendered r;

		memset(&r, 0x5a, sizeof(r));
		if (rbd_rendered_from_json(&r, bad[i]) != RBD_EINVAL) {
			fprintf(stderr, "    accepted: %s\n", bad[i]);
			CHECK(0);
			rbd_rendered_clear(&r);
			continue;
		}
		CHECK(is_empty(&r));
	}
	{
		struct rbd_rendered r;

		CHECK_INT(rbd_rendered_from_json(&r, NULL), RBD_EINVAL);
		/* an absent body reads as null */
		CHECK_INT(rbd_rendered_from_json(&r, "{\"kind\":\"http\",\"method\":\"GET\","
						 "\"url\":\"http://x\",\"timeout_ms\":1}"), 0);
		CHECK(r.body == NULL);
		rbd_rendered_clear(&r);
	}
}

static void test_actions__key(void)
{
	struct rbd_rendered a = { 0 }, b = { 0 };
	char *argv_a[] = { "/bin/x", "a\x1f" "b", NULL }, *argv_b[] = { "/bin/x", "a", "b", NULL };
	char *ka, *kb;

	a.kind = b.kind = RBD_ACTION_RUN;
	a.argv = argv_a;
	a.argc = 2;
	b.argv = argv_b;
	b.argc = 3;
	ka = rbd_rendered_key(&a);
	kb = rbd_rendered_key(&b);
	CHECK_STR(kb, "run\x1f/bin/x\x1f" "a\x1f" "b");
	CHECK(strcmp(ka, kb) != 0);        /* a separator inside an element cannot collide */
	free(ka);
	free(kb);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.kind = b.kind = RBD_ACTION_HTTP;
	a.method = b.method = "POST";
	a.url = b.url = "http://h:80/x";
	a.body = NULL;
	b.body = "";
	ka = rbd_rendered_key(&a);
	kb = rbd_rendered_key(&b);
	CHECK(strstr(ka, "POST") && strstr(ka, "http://h:80/x"));
	CHECK(strcmp(ka, kb) != 0);        /* no body is not an empty body */
	free(ka);
	free(kb);
	b.body = "{\"x\":1}";
	kb = rbd_rendered_key(&b);
	CHECK(strstr(kb, "{\"x\":1}") != NULL);
	free(kb);
}

static void test_actions__same_alert_same_key(void)
{
	struct rbd_config *cfg = load();
	struct rbd_rendered r1, r2;
	struct alert a;
	char *k1, *k2;

	REQUIRE(cfg != NULL);
	alert_init(&a);
	CHECK_INT(rbd_action_render(&r1, rbd_config_rule(cfg, "restart-oneof"), &a.d), 0);
	a.d.incident_id = 8;     /* not used by this action: the command is the same */
	CHECK_INT(rbd_action_render(&r2, rbd_config_rule(cfg, "restart-oneof"), &a.d), 0);
	k1 = rbd_rendered_key(&r1);
	k2 = rbd_rendered_key(&r2);
	CHECK_STR(k1, k2);
	free(k2);
	rbd_rendered_clear(&r2);
	rbd_labels_set(&a.labels, "service", "mysql");
	CHECK_INT(rbd_action_render(&r2, rbd_config_rule(cfg, "restart-oneof"), &a.d), 0);
	k2 = rbd_rendered_key(&r2);
	CHECK(strcmp(k1, k2) != 0);
	free(k1);
	free(k2);
	rbd_rendered_clear(&r1);
	rbd_rendered_clear(&r2);
	alert_clear(&a);
	rbd_config_free(cfg);
}

static void test_actions__no_action(void)
{
	struct rbd_rule rule;
	struct rbd_rendered r;

	memset(&rule, 0, sizeof(rule));
	CHECK_INT(rbd_action_render(&r, &rule, NULL), RBD_EINVAL);
	CHECK(is_empty(&r));
	CHECK_INT(rbd_action_render(&r, NULL, NULL), RBD_EINVAL);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_actions__run_one_of),
	RBD_TEST(test_actions__run_pattern_spaces_one_element),
	RBD_TEST(test_actions__injection_corpus_refused),
	RBD_TEST(test_actions__missing_label_refuses),
	RBD_TEST(test_actions__http),
	RBD_TEST(test_actions__silence),
	RBD_TEST(test_actions__json_round_trip),
	RBD_TEST(test_actions__from_json_rejects),
	RBD_TEST(test_actions__key),
	RBD_TEST(test_actions__same_alert_same_key),
	RBD_TEST(test_actions__no_action),
};

RBD_TEST_MAIN(cases)
