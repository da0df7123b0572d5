/* test_model: the SPEC JSON shapes of incidents, alerts, actions and events. */
#include "harness.h"

#include "runbookd/buf.h"
#include "runbookd/model.h"

#include <stdlib.h>
#include <string.h>

#define T0 INT64_C(1795593347033)  /* 2026-11-25T07:55:47.033Z */

/* Compact JSON text of j; j is deleted. The caller frees the text. */
static char *print_del(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	cJSON_Delete(j);
	return s;
}

static void test_model__incident_shape(void)
{
	struct rbd_incident inc = {
		.id = 7, .status = "open", .group_key = "{}:{alertname=\"X\"}",
		.title = "HighLatencyP99 order-api", .opened_ms = T0, .resolved_ms = 0,
	};
	char *s = print_del(rbd_incident_json(&inc));

	CHECK_STR(s, "{\"id\":7,\"status\":\"open\",\"group_key\":\"{}:{alertname=\\\"X\\\"}\","
		  "\"title\":\"HighLatencyP99 order-api\","
		  "\"opened_at\":\"2026-11-25T07:55:47.033Z\",\"resolved_at\":null}");
	free(s);
	inc.status = "resolved";
	inc.resolved_ms = T0 + 805467;
	s = print_del(rbd_incident_json(&inc));
	CHECK(strstr(s, "\"resolved_at\":\"2026-11-25T08:09:12.500Z\"") != NULL);
	free(s);
}

static void test_model__alert_shape(void)
{
	struct rbd_alert_rec a = {
		.fingerprint = "41bb2b02aa652483", .starts_ms = T0 + 30, .ends_ms = 0,
		.status = "firing",
		.labels_json = "{\"alertname\":\"HighLatencyP99\",\"severity\":\"warning\"}",
		.annotations_json = "{\"summary\":\"p99 above 2s\"}",
	};
	char *s = print_del(rbd_alert_rec_json(&a));

	CHECK_STR(s, "{\"fingerprint\":\"41bb2b02aa652483\","
		  "\"starts_at\":\"2026-11-25T07:55:47.063Z\",\"ends_at\":null,"
		  "\"status\":\"firing\","
		  "\"labels\":{\"alertname\":\"HighLatencyP99\",\"severity\":\"warning\"},"
		  "\"annotations\":{\"summary\":\"p99 above 2s\"}}");
	free(s);
}

static void test_model__alert_bad_labels_become_empty(void)
{
	static const char *const bad[] = { "{not json", "[1,2]", "\"str\"", "", "null", "{\"a\":" };
	struct rbd_alert_rec a = { .fingerprint = "f", .starts_ms = T0, .status = "resolved",
				   .ends_ms = T0 + 1000 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *j;

		a.labels_json = (char *)bad[i];
		a.annotations_json = NULL;
		j = rbd_alert_rec_json(&a);
		REQUIRE(j != NULL);
		CHECK(cJSON_IsObject(cJSON_GetObjectItem(j, "labels")));
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "labels")) == 0);
		CHECK(cJSON_IsObject(cJSON_GetObjectItem(j, "annotations")));
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "ends_at")),
			  "2026-11-25T07:55:48.033Z");
		cJSON_Delete(j);
	}
}

static struct rbd_action_rec run_action(void)
{
	struct rbd_action_rec x = {
		.id = 42, .incident_id = 7, .alert_id = 3, .rule = "errors-restart-app",
		.action = "compose_restart", .kind = "run", .state = "succeeded",
		.rendered_json = "{\"kind\":\"run\",\"argv\":[\"/usr/bin/docker\",\"compose\","
				 "\"restart\",\"app\"],\"timeout_ms\":120000}",
		.dry_run = false, .requires_approval = true, .approvals_needed = 1,
		.decided_by = "alice", .has_exit_code = true, .exit_code = 0,
		.created_ms = T0, .started_ms = T0 + 1000, .finished_ms = T0 + 3500,
		.expires_ms = T0 + 600000, .approvals_given = 1, .comment = "go ahead",
	};
	return x;
}

static void test_model__action_run_shape(void)
{
	struct rbd_action_rec x = run_action();
	char *s = print_del(rbd_action_rec_json(&x));

	CHECK_STR(s, "{\"id\":42,\"incident_id\":7,\"rule\":\"errors-restart-app\","
		  "\"action\":\"compose_restart\",\"state\":\"succeeded\","
		  "\"argv\":[\"/usr/bin/docker\",\"compose\",\"restart\",\"app\"],"
		  "\"dry_run\":false,\"requires_approval\":true,\"decided_by\":\"alice\","
		  "\"reason\":null,\"exit_code\":0,"
		  "\"created_at\":\"2026-11-25T07:55:47.033Z\","
		  "\"started_at\":\"2026-11-25T07:55:48.033Z\","
		  "\"finished_at\":\"2026-11-25T07:55:50.533Z\","
		  "\"expires_at\":\"2026-11-25T08:05:47.033Z\","
		  "\"approvals\":{\"given\":1,\"needed\":1},\"comment\":\"go ahead\","
		  "\"kind\":\"run\",\"request\":null}");
	free(s);
}

static void test_model__action_optional_fields(void)
{
	struct rbd_action_rec x = run_action();
	cJSON *j;

	/* no exit code, a signal, output and result: present only when set */
	x.has_exit_code = false;
	x.exit_code = 99;
	x.term_signal = 9;
	x.state = "timed_out";
	x.output = "line1\nline2\n";
	x.result = "killed";
	x.started_ms = 0;
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "exit_code")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "started_at")));
	CHECK_INT(cJSON_GetObjectItem(j, "signal")->valueint, 9);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "output")), "line1\nline2\n");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "result")), "killed");
	cJSON_Delete(j);

	x = run_action();
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_GetObjectItem(j, "signal") == NULL);
	CHECK(cJSON_GetObjectItem(j, "output") == NULL);
	CHECK(cJSON_GetObjectItem(j, "result") == NULL);
	cJSON_Delete(j);

	/* refused at planning: no rendering at all */
	x.rendered_json = NULL;
	x.state = "skipped";
	x.reason = "param service: value \"x;rm\" not in one_of";
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "argv")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "request")));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "reason")), x.reason);
	cJSON_Delete(j);

	/* a corrupt rendering, or an argv with a non-string, gives null rather than junk */
	x.rendered_json = "{\"kind\":\"run\",\"argv\":[\"a\",1]}";
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "argv")));
	cJSON_Delete(j);
	x.rendered_json = "{\"kind\":\"run\",\"argv\":";
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "argv")));
	cJSON_Delete(j);
}

static void test_model__action_http_and_silence(void)
{
	struct rbd_action_rec x = run_action();
	cJSON *j, *req;

	x.kind = "http";
	x.action = "flag_writes_off";
	x.rendered_json = "{\"kind\":\"http\",\"method\":\"POST\","
			  "\"url\":\"http://127.0.0.1:8080/admin/flags/order-writes\","
			  "\"body\":\"{\\\"enabled\\\": false}\",\"timeout_ms\":10000}";
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "argv")));
	req = cJSON_GetObjectItem(j, "request");
	REQUIRE(cJSON_IsObject(req));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(req, "method")), "POST");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(req, "url")),
		  "http://127.0.0.1:8080/admin/flags/order-writes");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(req, "body")), "{\"enabled\": false}");
	CHECK(cJSON_GetObjectItem(req, "kind") == NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind")), "http");
	cJSON_Delete(j);

	x.kind = "silence";
	x.rendered_json = "{\"kind\":\"silence\",\"matchers\":{\"alertname\":\"HighLatencyP99\","
			  "\"service\":\"order-api\"},\"duration_ms\":3600000}";
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "argv")));
	req = cJSON_GetObjectItem(j, "request");
	REQUIRE(cJSON_IsObject(req));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "matchers"),
							   "service")), "order-api");
	CHECK_INT(cJSON_GetObjectItem(req, "duration_ms")->valuedouble, 3600000);
	cJSON_Delete(j);

	/* the record's kind may be missing: the rendering says */
	x = run_action();
	x.kind = NULL;
	j = rbd_action_rec_json(&x);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "argv")) == 4);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind")), "run");
	cJSON_Delete(j);
}

static void test_model__event_shape(void)
{
	struct rbd_event ev = {
		.id = 1, .incident_id = 7, .ts_ms = T0 + 68, .kind = "action.succeeded",
		.actor = "runbookd", .action_id = 42, .detail_json = "{\"exit_code\":0}",
	};
	char *s = print_del(rbd_event_json(&ev));

	CHECK_STR(s, "{\"ts\":\"2026-11-25T07:55:47.101Z\",\"kind\":\"action.succeeded\","
		  "\"actor\":\"runbookd\",\"action_id\":42,\"detail\":{\"exit_code\":0}}");
	free(s);
	ev.action_id = 0;
	ev.detail_json = "garbage";
	s = print_del(rbd_event_json(&ev));
	CHECK(strstr(s, "\"action_id\":null,\"detail\":{}}") != NULL);
	free(s);
	ev.detail_json = NULL;
	s = print_del(rbd_event_json(&ev));
	CHECK(strstr(s, "\"detail\":{}}") != NULL);
	free(s);
}

static void test_model__invalid_utf8_is_scrubbed(void)
{
	struct rbd_action_rec x = run_action();
	struct rbd_event ev = { .ts_ms = T0, .kind = "note.added", .actor = "al\xffice",
				.detail_json = "{\"text\":\"caf\xc3\xa9 \xc3(\\u00e9)\"}" };
	cJSON *j, *back;
	char *s;

	x.output = "ok \xe2\x82 then \xed\xa0\x80 end";
	s = print_del(rbd_action_rec_json(&x));
	back = cJSON_Parse(s);
	REQUIRE(back != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(back, "output")),
		  "ok \xef\xbf\xbd\xef\xbf\xbd then \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
	cJSON_Delete(back);
	free(s);

	j = rbd_event_json(&ev);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "actor")), "al\xef\xbf\xbdice");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "detail"), "text")),
		  "caf\xc3\xa9 \xef\xbf\xbd(\xc3\xa9)");
	cJSON_Delete(j);
}

static void test_model__clear_releases_and_zeroes(void)
{
	struct rbd_incident inc = { .id = 1, .status = rbd_strdup("open"),
				    .group_key = rbd_strdup("g"), .title = rbd_strdup("t") };
	struct rbd_alert_rec a = { .fingerprint = rbd_strdup("f"), .status = rbd_strdup("firing"),
				   .labels_json = rbd_strdup("{}"),
				   .annotations_json = rbd_strdup("{}") };
	struct rbd_action_rec x = { .rule = rbd_strdup("r"), .action = rbd_strdup("a"),
				    .kind = rbd_strdup("run"), .state = rbd_strdup("planned"),
				    .rendered_json = rbd_strdup("{}"), .decided_by = rbd_strdup("b"),
				    .reason = rbd_strdup("c"), .output = rbd_strdup("o"),
				    .result = rbd_strdup("r") };
	struct rbd_event ev = { .kind = rbd_strdup("k"), .actor = rbd_strdup("a"),
				.detail_json = rbd_strdup("{}") };
	struct rbd_incident zero_inc = { 0 };
	struct rbd_action_rec zero_act = { 0 };

	/* the sanitizer build reports a leak if any member is missed */
	rbd_incident_clear(&inc);
	rbd_alert_rec_clear(&a);
	rbd_action_rec_clear(&x);
	rbd_event_clear(&ev);
	CHECK(inc.title == NULL && inc.id == 0);
	CHECK(a.labels_json == NULL);
	CHECK(x.output == NULL && x.rule == NULL);
	CHECK(ev.detail_json == NULL);
	/* zeroed and NULL are fine, and clearing twice is too */
	rbd_incident_clear(&zero_inc);
	rbd_action_rec_clear(&zero_act);
	rbd_action_rec_clear(&x);
	rbd_event_clear(NULL);
}

static void test_model__big_ids_and_times(void)
{
	struct rbd_incident inc = { .id = INT64_C(3000000000), .status = "open", .group_key = "g",
				    .title = "t", .opened_ms = INT64_C(253402300799999) };
	cJSON *j = rbd_incident_json(&inc);

	CHECK(cJSON_GetObjectItem(j, "id")->valuedouble == 3000000000.0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "opened_at")),
		  "9999-12-31T23:59:59.999Z");
	cJSON_Delete(j);
	/* NULL strings become null, never a crash */
	inc.title = NULL;
	j = rbd_incident_json(&inc);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "title")));
	cJSON_Delete(j);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_model__incident_shape),
	RBD_TEST(test_model__alert_shape),
	RBD_TEST(test_model__alert_bad_labels_become_empty),
	RBD_TEST(test_model__action_run_shape),
	RBD_TEST(test_model__action_optional_fields),
	RBD_TEST(test_model__action_http_and_silence),
	RBD_TEST(test_model__event_shape),
	RBD_TEST(test_model__invalid_utf8_is_scrubbed),
	RBD_TEST(test_model__clear_releases_and_zeroes),
	RBD_TEST(test_model__big_ids_and_times),
};

RBD_TEST_MAIN(cases)
