/*
 * Tests for payload: every real Alertmanager 0.25 delivery parses to the exact
 * values; every malformed, hostile or oversized body is refused with the right code
 * and a message naming the field; prefixes and random mutations never crash.
 */
#include "harness.h"

#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/payload.h"
#include "runbookd/timeutil.h"

#include <stdint.h>

#define AM "alertmanager-0.25/"

static const char *const fixture_names[] = {
	AM "firing-high-error-rate.json",
	AM "firing-high-latency.json",
	AM "firing-disk-full-truncated.json",
	AM "mixed-disk-full-truncated.json",
	AM "resolved-disk-full-truncated.json",
	AM "resolved-high-error-rate.json",
	AM "resolved-high-latency.json",
};
#define N_FIXTURES (sizeof(fixture_names) / sizeof(fixture_names[0]))

static char *load(const char *name, size_t *len)
{
	char *s = rbd_test_slurp(rbd_test_fixture(name), len);

	if (!s)
		fprintf(stderr, "  cannot read %s (set RBD_TESTS)\n", rbd_test_fixture(name));
	return s;
}

/* Length of the JSON value proper: the files end with a newline. */
static size_t json_len(const char *s, size_t len)
{
	while (len > 0 && strchr(" \t\r\n", s[len - 1]))
		len--;
	return len;
}

/* Parses a NUL-terminated body with default limits. */
static int parse(struct rbd_notification **out, const char *body)
{
	return rbd_payload_parse(out, body, strlen(body), NULL);
}

/* s with the single occurrence of from replaced by to; NULL (and a message) when
 * from does not occur exactly once, so that a stale case fails loudly. */
static char *replace_once(const char *s, const char *from, const char *to)
{
	const char *hit = strstr(s, from);
	struct rbd_buf b = RBD_BUF_INIT(0);

	if (!hit || strstr(hit + 1, from)) {
		fprintf(stderr, "  '%s' does not occur exactly once\n", from);
		return NULL;
	}
	rbd_buf_append(&b, s, (size_t)(hit - s));
	rbd_buf_puts(&b, to);
	rbd_buf_puts(&b, hit + strlen(from));
	return rbd_buf_steal(&b);
}

/* Expects rc and an error message starting with want_prefix. */
static int expect_err(const char *body, size_t len, int want_rc, const char *want_prefix)
{
	struct rbd_notification *n = (struct rbd_notification *)&n;
	int rc = rbd_payload_parse(&n, body, len, NULL);
	int ok = rc == want_rc && n == NULL &&
		 strncmp(rbd_err_msg(), want_prefix, strlen(want_prefix)) == 0;

	if (!ok)
		fprintf(stderr, "  rc %d (want %d), message \"%s\" (want \"%s...\")\n", rc, want_rc,
			rbd_err_msg(), want_prefix);
	if (rc == 0)
		rbd_notification_free(n);
	return ok;
}

static int labels_sorted_unique(const struct rbd_labelset *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		if (!ls->kv[i].key || !ls->kv[i].value || !ls->kv[i].key[0])
			return 0;
		if (i > 0 && strcmp(ls->kv[i - 1].key, ls->kv[i].key) >= 0)
			return 0;
	}
	return 1;
}

/* What a successful parse promises, whatever the input was. */
static int notification_invariants(const struct rbd_notification *n)
{
	if (!n->version || strcmp(n->version, "4") != 0 || !n->receiver || !n->group_key ||
	    !n->group_key[0] || !n->external_url || !n->status)
		return 0;
	if (strcmp(n->status, "firing") != 0 && strcmp(n->status, "resolved") != 0)
		return 0;
	if (!labels_sorted_unique(&n->group_labels) || !labels_sorted_unique(&n->common_labels) ||
	    !labels_sorted_unique(&n->common_annotations) || n->truncated_alerts < 0)
		return 0;
	for (size_t i = 0; i < n->n_alerts; i++) {
		const struct rbd_alert *a = &n->alerts[i];

		if (!a->status || !a->fingerprint || !a->generator_url || a->labels.n == 0 ||
		    !labels_sorted_unique(&a->labels) || !labels_sorted_unique(&a->annotations) ||
		    a->starts_ns < 0 || (a->ends_zero && a->ends_ns != 0))
			return 0;
	}
	return 1;
}

/* ---- real deliveries ---- */

static void test_payload__fixture_firing_high_error_rate(void)
{
	struct rbd_notification *n = NULL;
	const struct rbd_alert *a;
	size_t len;
	char *body = load(AM "firing-high-error-rate.json", &len);

	REQUIRE(body);
	CHECK_INT(rbd_payload_parse(&n, body, len, NULL), 0);
	free(body);
	REQUIRE(n);
	CHECK(notification_invariants(n));
	CHECK_STR(n->version, "4");
	CHECK_STR(n->receiver, "remediator");
	CHECK_STR(n->status, "firing");
	CHECK_STR(n->group_key, "{}:{alertname=\"HighErrorRate\", service=\"order-api\"}");
	CHECK_STR(n->external_url, "http://vm:9093");
	CHECK_INT(n->truncated_alerts, 0);
	CHECK_INT(n->group_labels.n, 2);
	CHECK_STR(n->group_labels.kv[0].key, "alertname");
	CHECK_STR(n->group_labels.kv[1].key, "service");
	CHECK_STR(rbd_labels_get(&n->group_labels, "service"), "order-api");
	CHECK_INT(n->common_labels.n, 4);
	CHECK_STR(rbd_labels_get(&n->common_labels, "instance"), "app:8080");
	CHECK_INT(n->common_annotations.n, 2);
	CHECK_STR(rbd_labels_get(&n->common_annotations, "summary"), "5xx rate above 5%");
	REQUIRE(n->n_alerts == 1);
	a = &n->alerts[0];
	CHECK_STR(a->status, "firing");
	CHECK_INT(a->labels.n, 4);
	CHECK_STR(a->labels.kv[0].key, "alertname");
	CHECK_STR(a->labels.kv[0].value, "HighErrorRate");
	CHECK_STR(a->labels.kv[1].key, "instance");
	CHECK_STR(a->labels.kv[2].key, "service");
	CHECK_STR(a->labels.kv[3].key, "severity");
	CHECK_STR(a->labels.kv[3].value, "critical");
	CHECK_INT(a->annotations.n, 2);
	CHECK_STR(rbd_labels_get(&a->annotations, "runbook_url"), "https://runbooks.example/5xx");
	/* 2026-11-25T07:55:47.033226765Z, computed with Python's calendar.timegm. */
	CHECK_INT(a->starts_ns, INT64_C(1795593347033226765));
	CHECK(a->ends_zero);
	CHECK_INT(a->ends_ns, 0);
	CHECK_STR(a->generator_url, "http://prometheus:9090/graph?g0.expr=x");
	CHECK_STR(a->fingerprint, "bc0f69a6f4a97e7e");
	rbd_notification_free(n);
}

static void test_payload__fixture_mixed_truncated(void)
{
	static const char *const fps[] = { "247e965912801b80", "675b93471ec7af87",
					   "d3213096841f8322" };
	static const char *const devs[] = { "vd1", "vd2", "vd3" };
	static const int64_t starts[] = { INT64_C(1795593347090069827),
					  INT64_C(1795593347118804247),
					  INT64_C(1795593347143605948) };
	struct rbd_notification *n = NULL;
	size_t len;
	char *body = load(AM "mixed-disk-full-truncated.json", &len);

	REQUIRE(body);
	CHECK_INT(rbd_payload_parse(&n, body, len, NULL), 0);
	free(body);
	REQUIRE(n);
	CHECK(notification_invariants(n));
	CHECK_STR(n->status, "firing");
	CHECK_INT(n->truncated_alerts, 2);
	CHECK_STR(n->group_key, "{}:{alertname=\"DiskFull\", service=\"mysql\"}");
	CHECK_INT(n->common_annotations.n, 0);
	REQUIRE(n->n_alerts == 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK_STR(n->alerts[i].fingerprint, fps[i]);
		CHECK_STR(rbd_labels_get(&n->alerts[i].labels, "device"), devs[i]);
		CHECK_INT(n->alerts[i].starts_ns, starts[i]);
		CHECK_INT(n->alerts[i].annotations.n, 0);
		CHECK_STR(n->alerts[i].generator_url, "");
	}
	CHECK_STR(n->alerts[0].status, "resolved");
	CHECK(!n->alerts[0].ends_zero);
	CHECK_INT(n->alerts[0].ends_ns, INT64_C(1795593352090069827));
	CHECK_STR(n->alerts[1].status, "firing");
	CHECK(n->alerts[1].ends_zero);
	CHECK_INT(n->alerts[1].ends_ns, 0);
	CHECK(n->alerts[2].ends_zero);
	rbd_notification_free(n);
}

static void test_payload__fixture_every_file(void)
{
	static const struct {
		const char *status;
		const char *alertname;
		size_t n_alerts;
		int64_t truncated;
		const char *fp0;
		int64_t starts0;
		int64_t ends0;  /* 0: zero time */
	} want[N_FIXTURES] = {
		{ "firing", "HighErrorRate", 1, 0, "bc0f69a6f4a97e7e",
		  INT64_C(1795593347033226765), 0 },
		{ "firing", "HighLatencyP99", 1, 0, "41bb2b02aa652483",
		  INT64_C(1795593347063857121), 0 },
		{ "firing", "DiskFull", 3, 2, "247e965912801b80",
		  INT64_C(1795593347090069827), 0 },
		{ "firing", "DiskFull", 3, 2, "247e965912801b80",
		  INT64_C(1795593347090069827), INT64_C(1795593352090069827) },
		{ "resolved", "DiskFull", 3, 1, "675b93471ec7af87",
		  INT64_C(1795593347118804247), INT64_C(1795593352118804247) },
		{ "resolved", "HighErrorRate", 1, 0, "bc0f69a6f4a97e7e",
		  INT64_C(1795593347033226765), INT64_C(1795593352033226765) },
		{ "resolved", "HighLatencyP99", 1, 0, "41bb2b02aa652483",
		  INT64_C(1795593347063857121), INT64_C(1795593352063857121) },
	};

	for (size_t f = 0; f < N_FIXTURES; f++) {
		struct rbd_notification *n = NULL;
		size_t len;
		char *body = load(fixture_names[f], &len);
		char key[128];

		REQUIRE(body);
		if (rbd_payload_parse(&n, body, len, NULL) != 0)
			fprintf(stderr, "  %s: %s\n", fixture_names[f], rbd_err_msg());
		free(body);
		REQUIRE(n);
		CHECK(notification_invariants(n));
		CHECK_STR(n->version, "4");
		CHECK_STR(n->receiver, "remediator");
		CHECK_STR(n->external_url, "http://vm:9093");
		CHECK_STR(n->status, want[f].status);
		CHECK_STR(rbd_labels_get(&n->group_labels, "alertname"), want[f].alertname);
		CHECK_INT(n->group_labels.n, 2);
		snprintf(key, sizeof(key), "{}:{alertname=\"%s\", service=\"%s\"}",
			 want[f].alertname, rbd_labels_get(&n->group_labels, "service"));
		CHECK_STR(n->group_key, key);
		CHECK_INT(n->truncated_alerts, want[f].truncated);
		REQUIRE(n->n_alerts == want[f].n_alerts);
		CHECK_STR(n->alerts[0].fingerprint, want[f].fp0);
		CHECK_INT(n->alerts[0].starts_ns, want[f].starts0);
		CHECK_INT(n->alerts[0].ends_ns, want[f].ends0);
		CHECK(n->alerts[0].ends_zero == (want[f].ends0 == 0));
		for (size_t i = 0; i < n->n_alerts; i++) {
			CHECK_STR(n->alerts[i].status,
				  n->alerts[i].ends_zero ? "firing" : "resolved");
			CHECK_STR(rbd_labels_get(&n->alerts[i].labels, "alertname"),
				  want[f].alertname);
		}
		rbd_notification_free(n);
	}
}

/* The same instant with 0, 3, 6 and 9 fraction digits, in UTC and at +09:00. */
static void test_payload__timestamp_forms_same_instant(void)
{
	static const struct {
		const char *ts;
		int64_t ns;
	} cases[] = {
		{ "2026-11-25T07:55:47Z",                INT64_C(1795593347000000000) },
		{ "2026-11-25T16:55:47+09:00",           INT64_C(1795593347000000000) },
		{ "2026-11-25T07:55:47.033Z",            INT64_C(1795593347033000000) },
		{ "2026-11-25T16:55:47.033+09:00",       INT64_C(1795593347033000000) },
		{ "2026-11-25T07:55:47.033226Z",         INT64_C(1795593347033226000) },
		{ "2026-11-25T16:55:47.033226+09:00",    INT64_C(1795593347033226000) },
		{ "2026-11-25T07:55:47.033226765Z",      INT64_C(1795593347033226765) },
		{ "2026-11-25T16:55:47.033226765+09:00", INT64_C(1795593347033226765) },
	};
	char *base = load(AM "firing-high-error-rate.json", NULL);

	REQUIRE(base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rbd_notification *n = NULL;
		char repl[128];
		char *body;

		snprintf(repl, sizeof(repl), "\"startsAt\":\"%s\"", cases[i].ts);
		body = replace_once(base, "\"startsAt\":\"2026-11-25T07:55:47.033226765Z\"", repl);
		REQUIRE(body);
		CHECK_INT(parse(&n, body), 0);
		if (n) {
			CHECK_INT(n->alerts[0].starts_ns, cases[i].ns);
			rbd_notification_free(n);
		}
		free(body);
	}
	free(base);
}

/* ---- wrong types, missing and bad fields ---- */

static void test_payload__wrong_types_and_values(void)
{
	static const struct {
		const char *from, *to;
		const char *msg;
	} cases[] = {
		{ "\"version\":\"4\"", "\"version\":4", "version: expected a string" },
		{ "\"version\":\"4\"", "\"version\":\"3\"", "version: unsupported" },
		{ "\"version\":\"4\"", "\"version\":\"4.0\"", "version: unsupported" },
		{ "\"version\":\"4\"", "\"version\":null", "version: expected a string" },
		{ "\"version\":\"4\",", "", "version: required field missing" },
		{ "\"receiver\":\"remediator\"", "\"receiver\":1", "receiver: expected a string" },
		{ "\"receiver\":\"remediator\",", "", "receiver: required field missing" },
		{ "\"status\":\"firing\",\"alerts\"", "\"status\":\"pending\",\"alerts\"",
		  "status: expected \"firing\" or \"resolved\"" },
		{ "\"status\":\"firing\",\"alerts\"", "\"status\":true,\"alerts\"",
		  "status: expected a string" },
		{ "\"status\":\"firing\",\"alerts\"", "\"status\":\"FIRING\",\"alerts\"",
		  "status: expected" },
		{ "\"groupKey\":\"{}:{alertname=\\\"HighErrorRate\\\", service=\\\"order-api\\\"}\"",
		  "\"groupKey\":[]", "groupKey: expected a string" },
		{ "\"groupKey\":\"{}:{alertname=\\\"HighErrorRate\\\", service=\\\"order-api\\\"}\"",
		  "\"groupKey\":\"\"", "groupKey: must not be empty" },
		{ "\"groupKey\":\"{}:{alertname=\\\"HighErrorRate\\\", service=\\\"order-api\\\"}\"",
		  "\"groupKey\":null", "groupKey: expected a string" },
		{ "\"groupLabels\":{", "\"groupLabels\":[],\"x\":{", "groupLabels: expected an object" },
		{ "\"commonLabels\":{\"alertname\":\"HighErrorRate\"",
		  "\"commonLabels\":{\"alertname\":5", "commonLabels.alertname: expected a string" },
		{ "\"commonAnnotations\":{", "\"commonAnnotations\":\"x\",\"y\":{",
		  "commonAnnotations: expected an object" },
		{ "\"externalURL\":\"http://vm:9093\"", "\"externalURL\":5",
		  "externalURL: expected a string" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":-1",
		  "truncatedAlerts: expected a non-negative integer" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":1.5",
		  "truncatedAlerts: expected a non-negative integer" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":1e300",
		  "truncatedAlerts: expected a non-negative integer" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":\"0\"",
		  "truncatedAlerts: expected a number" },
		{ "\"alerts\":[", "\"alerts\":{},\"x\":[", "alerts: expected an array" },
		{ "\"alerts\":[", "\"alerts\":[1,", "alerts[0]: expected an object" },
		{ "\"alerts\":[", "\"x\":[", "alerts: required field missing" },
		{ "\"status\":\"firing\",\"labels\"", "\"status\":\"active\",\"labels\"",
		  "alerts[0].status: expected \"firing\" or \"resolved\"" },
		{ "\"status\":\"firing\",\"labels\"", "\"labels\"",
		  "alerts[0].status: required field missing" },
		{ "\"labels\":{", "\"labels\":[],\"x\":{", "alerts[0].labels: expected an object" },
		{ "\"labels\":{", "\"labels\":{},\"x\":{", "alerts[0].labels: must not be empty" },
		{ "\"labels\":{", "\"x\":{", "alerts[0].labels: required field missing" },
		{ "\"labels\":{\"alertname\":\"HighErrorRate\",\"instance\":\"app:8080\"",
		  "\"labels\":{\"alertname\":\"HighErrorRate\",\"instance\":8080",
		  "alerts[0].labels.instance: expected a string" },
		{ "\"labels\":{\"alertname\":\"HighErrorRate\",\"instance\":\"app:8080\"",
		  "\"labels\":{\"alertname\":\"HighErrorRate\",\"\":\"app:8080\"",
		  "alerts[0].labels[\"\"]: empty label name" },
		{ "\"labels\":{\"alertname\":\"HighErrorRate\",\"instance\":\"app:8080\"",
		  "\"labels\":{\"alertname\":\"HighErrorRate\",\"alertname\":\"x\"",
		  "alerts[0].labels.alertname: duplicate label name" },
		{ "\"labels\":{\"alertname\":\"HighErrorRate\",\"instance\":\"app:8080\"",
		  "\"labels\":{\"alertname\":\"HighErrorRate\",\"in stance\":null",
		  "alerts[0].labels[\"in stance\"]: expected a string" },
		{ "\"annotations\":{", "\"annotations\":[],\"x\":{",
		  "alerts[0].annotations: expected an object" },
		{ "\"startsAt\":\"2026-11-25T07:55:47.033226765Z\"", "\"startsAt\":1795593347",
		  "alerts[0].startsAt: expected a string" },
		{ "\"startsAt\":\"2026-11-25T07:55:47.033226765Z\"", "\"startsAt\":\"yesterday\"",
		  "alerts[0].startsAt: not an RFC 3339 timestamp" },
		{ "\"startsAt\":\"2026-11-25T07:55:47.033226765Z\"",
		  "\"startsAt\":\"2026-02-30T07:55:47Z\"", "alerts[0].startsAt: timestamp day" },
		{ "\"startsAt\":\"2026-11-25T07:55:47.033226765Z\"",
		  "\"startsAt\":\"0001-01-01T00:00:00Z\"", "alerts[0].startsAt: must not be the zero" },
		{ "\"startsAt\":\"2026-11-25T07:55:47.033226765Z\",", "",
		  "alerts[0].startsAt: required field missing" },
		{ "\"endsAt\":\"0001-01-01T00:00:00Z\"", "\"endsAt\":\"0001-01-01 00:00:00Z\"",
		  "alerts[0].endsAt: not an RFC 3339 timestamp" },
		{ "\"endsAt\":\"0001-01-01T00:00:00Z\"", "\"endsAt\":false",
		  "alerts[0].endsAt: expected a string" },
		{ "\"generatorURL\":\"http://prometheus:9090/graph?g0.expr=x\"",
		  "\"generatorURL\":{}", "alerts[0].generatorURL: expected a string" },
		{ "\"fingerprint\":\"bc0f69a6f4a97e7e\"", "\"fingerprint\":123",
		  "alerts[0].fingerprint: expected a string" },
		{ "\"fingerprint\":\"bc0f69a6f4a97e7e\"", "\"fingerprint\":\"\"",
		  "alerts[0].fingerprint: expected 1 to 64 hex digits" },
		{ "\"fingerprint\":\"bc0f69a6f4a97e7e\"", "\"fingerprint\":\"bc0f69a6f4a97e7g\"",
		  "alerts[0].fingerprint: expected 1 to 64 hex digits" },
		{ "\"fingerprint\":\"bc0f69a6f4a97e7e\"", "\"fingerprint\":\"../../etc/passwd\"",
		  "alerts[0].fingerprint: expected 1 to 64 hex digits" },
		{ "\"fingerprint\":\"bc0f69a6f4a97e7e\"",
		  "\"fingerprint\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"",
		  "alerts[0].fingerprint: expected 1 to 64 hex digits" },
		{ ",\"fingerprint\":\"bc0f69a6f4a97e7e\"", "",
		  "alerts[0].fingerprint: required field missing" },
		{ "\"status\":\"firing\",\"alerts\"", "\"status\":\"firing\",\"status\":\"resolved\",\"alerts\"",
		  "status: duplicate key" },
	};
	char *base = load(AM "firing-high-error-rate.json", NULL);

	REQUIRE(base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = replace_once(base, cases[i].from, cases[i].to);

		CHECK(body);
		if (!body)
			continue;
		if (!expect_err(body, strlen(body), RBD_EINVAL, cases[i].msg)) {
			fprintf(stderr, "  case %zu\n", i);
			rbd_test_case_failed = 1;
		}
		free(body);
	}
	free(base);
}

/* The example from the contract: the second alert's severity is a number. */
static void test_payload__error_names_path_in_second_alert(void)
{
	char *base = load(AM "firing-disk-full-truncated.json", NULL);
	char *body;

	REQUIRE(base);
	body = replace_once(base, "\"vd2\",\"service\":\"mysql\",\"severity\":\"critical\"",
			    "\"vd2\",\"service\":\"mysql\",\"severity\":2");
	free(base);
	REQUIRE(body);
	CHECK(expect_err(body, strlen(body), RBD_EINVAL,
			 "alerts[1].labels.severity: expected a string"));
	CHECK_STR(rbd_err_msg(), "alerts[1].labels.severity: expected a string");
	free(body);
}

/* A value never appears in an error message (it may be a secret). */
static void test_payload__message_does_not_echo_values(void)
{
	static const char *const bodies[] = {
		"{\"version\":\"CANARY-s3cr3t\"}",
		"{\"version\":\"4\",\"groupKey\":\"g\",\"status\":\"CANARY-s3cr3t\"}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		CHECK(expect_err(bodies[i], strlen(bodies[i]), RBD_EINVAL, ""));
		CHECK(strstr(rbd_err_msg(), "CANARY") == NULL);
	}
}

static void test_payload__null_optional_fields_and_unknown_keys(void)
{
	struct rbd_notification *n = NULL;
	const char *body =
		"{\"version\":\"4\",\"groupKey\":\"k\",\"status\":\"resolved\",\"receiver\":\"web\\\\.hook\","
		"\"externalURL\":null,\"groupLabels\":null,\"commonAnnotations\":null,"
		"\"notification_reason\":\"x\",\"routeLabels\":{\"a\":[1,2,{\"b\":null}]},"
		"\"alerts\":[{\"status\":\"resolved\",\"labels\":{\"z\":\"1\",\"a\":\"2\",\"m\":\"3\"},"
		"\"startsAt\":\"2026-11-25T07:55:47Z\",\"fingerprint\":\"ABCDEF\",\"future\":1.5e3,"
		"\"annotations\":null,\"generatorURL\":null}]}";

	CHECK_INT(parse(&n, body), 0);
	REQUIRE(n);
	CHECK(notification_invariants(n));
	/* Alertmanager sends the receiver regex-escaped; stored as sent. */
	CHECK_STR(n->receiver, "web\\.hook");
	CHECK_STR(n->external_url, "");
	CHECK_INT(n->group_labels.n, 0);
	CHECK_INT(n->common_labels.n, 0);
	CHECK_INT(n->common_annotations.n, 0);
	CHECK_INT(n->truncated_alerts, 0);
	REQUIRE(n->n_alerts == 1);
	CHECK_STR(n->alerts[0].labels.kv[0].key, "a");
	CHECK_STR(n->alerts[0].labels.kv[1].key, "m");
	CHECK_STR(n->alerts[0].labels.kv[2].key, "z");
	CHECK_STR(n->alerts[0].generator_url, "");
	CHECK_STR(n->alerts[0].fingerprint, "ABCDEF");
	CHECK_INT(n->alerts[0].annotations.n, 0);
	CHECK(n->alerts[0].ends_zero);      /* endsAt absent */
	rbd_notification_free(n);
}

static void test_payload__empty_alerts_accepted(void)
{
	struct rbd_notification *n = NULL;
	const char *body = "{\"version\":\"4\",\"groupKey\":\"k\",\"status\":\"firing\","
			   "\"receiver\":\"r\",\"alerts\":[]}";

	CHECK_INT(parse(&n, body), 0);
	REQUIRE(n);
	CHECK_INT(n->n_alerts, 0);
	rbd_notification_free(n);
}

/* ---- malformed bodies ---- */

static void test_payload__empty_and_not_an_object(void)
{
	CHECK(expect_err("", 0, RBD_EINVAL, "body: empty"));
	CHECK(expect_err(NULL, 0, RBD_EINVAL, "body: empty"));
	CHECK(expect_err("   \n", 4, RBD_EINVAL, "body: malformed JSON"));
	CHECK(expect_err("{}", 2, RBD_EINVAL, "version: required field missing"));
	CHECK(expect_err("[]", 2, RBD_EINVAL, "body: expected a JSON object"));
	CHECK(expect_err("null", 4, RBD_EINVAL, "body: expected a JSON object"));
	CHECK(expect_err("\"4\"", 3, RBD_EINVAL, "body: expected a JSON object"));
	CHECK(expect_err("4", 1, RBD_EINVAL, "body: expected a JSON object"));
	/* An embedded raw NUL byte, and the body length honoured over it. */
	CHECK(expect_err("{\0}", 3, RBD_EINVAL, "body: malformed JSON"));
}

static void test_payload__truncated_fixtures(void)
{
	for (size_t f = 0; f < N_FIXTURES; f++) {
		size_t len;
		char *body = load(fixture_names[f], &len);

		REQUIRE(body);
		CHECK(expect_err(body, len / 2, RBD_EINVAL, "body: malformed JSON"));
		CHECK(expect_err(body, json_len(body, len) - 1, RBD_EINVAL, "body: malformed JSON"));
		free(body);
	}
}

static void test_payload__trailing_data(void)
{
	struct rbd_notification *n = NULL;
	size_t len;
	char *base = load(AM "firing-high-latency.json", &len);
	struct rbd_buf b = RBD_BUF_INIT(0);
	static const char *const tails[] = { "x", "{}", "0", ",", "\"\"", "\v", "/* */", "]" };

	REQUIRE(base);
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		rbd_buf_reset(&b);
		rbd_buf_printf(&b, "%s \n%s", base, tails[i]);
		CHECK(expect_err(b.data, b.len, RBD_EINVAL, "body: "));
	}
	/* Trailing JSON whitespace is fine, leading too. */
	rbd_buf_reset(&b);
	rbd_buf_printf(&b, " \r\n\t%s \r\n\t", base);
	CHECK_INT(rbd_payload_parse(&n, b.data, b.len, NULL), 0);
	rbd_notification_free(n);
	rbd_buf_free(&b);
	free(base);
}

static void test_payload__non_strict_json_refused(void)
{
	static const struct {
		const char *from, *to;
	} cases[] = {
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":+1" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":01" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":.5" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":1." },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":1e" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":NaN" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":Infinity" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":-" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":0x10" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":tru" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":nul" },
		{ "\"truncatedAlerts\":0", "'truncatedAlerts':0" },
		{ "\"truncatedAlerts\":0", "truncatedAlerts:0" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":0,/*c*/\"a\":1" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\":0,}" },
		{ "\"truncatedAlerts\":0", "\"truncatedAlerts\"\f:0" },
		{ "\"annotations\":{\"summary\":\"p99 above 2s\"}", "\"annotations\":{\"summary\":\"p99\tabove 2s\"}" },
		{ "\"annotations\":{\"summary\":\"p99 above 2s\"}", "\"annotations\":{\"summary\":\"p99\nabove 2s\"}" },
		{ "\"annotations\":{\"summary\":\"p99 above 2s\"}", "\"annotations\":{\"summary\":\"p99 \\x41bove\"}" },
		{ "\"annotations\":{\"summary\":\"p99 above 2s\"}", "\"annotations\":{\"summary\":\"p99 \\u00zz\"}" },
		{ "\"annotations\":{\"summary\":\"p99 above 2s\"}", "\"annotations\":{\"summary\":\"p99 \\u12\"}" },
		{ "\"annotations\":{\"summary\":\"p99 above 2s\"}", "\"annotations\":{\"summary\":\"p99 \\'\"}" },
		{ "{\"receiver\"", "\xEF\xBB\xBF{\"receiver\"" },
	};
	char *base = load(AM "firing-high-latency.json", NULL);

	REQUIRE(base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = replace_once(base, cases[i].from, cases[i].to);

		CHECK(body);
		if (!body)
			continue;
		if (!expect_err(body, strlen(body), RBD_EINVAL, "body: ")) {
			fprintf(stderr, "  case %zu\n", i);
			rbd_test_case_failed = 1;
		}
		free(body);
	}
	free(base);
}

static void test_payload__nesting_10000_deep(void)
{
	const size_t depth = 10000;
	struct rbd_buf b = RBD_BUF_INIT(0);
	struct rbd_payload_limits lim = { .max_depth = 1000000 };
	struct rbd_notification *n = NULL;
	int64_t t0;

	rbd_buf_puts(&b, "{\"version\":\"4\",\"x\":");
	for (size_t i = 0; i < depth; i++)
		rbd_buf_putc(&b, i % 2 ? '{' : '[');
	t0 = rbd_mono_ms();
	CHECK(expect_err(b.data, b.len, RBD_EINVAL, "body: JSON nested deeper than 32"));
	/* Even with a huge configured limit: clamped, refused before any recursion. */
	CHECK_INT(rbd_payload_parse(&n, b.data, b.len, &lim), RBD_EINVAL);
	CHECK(strstr(rbd_err_msg(), "nested deeper than 1000") != NULL);
	/* Brackets only, closed again: same answer. */
	rbd_buf_reset(&b);
	for (size_t i = 0; i < depth; i++)
		rbd_buf_putc(&b, '[');
	for (size_t i = 0; i < depth; i++)
		rbd_buf_putc(&b, ']');
	CHECK(expect_err(b.data, b.len, RBD_EINVAL, "body: JSON nested deeper than 32"));
	CHECK(rbd_mono_ms() - t0 < 1000);
	rbd_buf_free(&b);
}

static void test_payload__depth_limit_boundary(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);
	struct rbd_notification *n = NULL;
	const char *head = "{\"version\":\"4\",\"groupKey\":\"k\",\"status\":\"firing\","
			   "\"receiver\":\"r\",\"alerts\":[],\"x\":";

	/* The top object is level 1: 31 more levels is exactly the default 32 (what the
	 * service accepts). */
	rbd_buf_puts(&b, head);
	for (int i = 0; i < 31; i++)
		rbd_buf_putc(&b, '[');
	for (int i = 0; i < 31; i++)
		rbd_buf_putc(&b, ']');
	rbd_buf_putc(&b, '}');
	CHECK_INT(rbd_payload_parse(&n, b.data, b.len, NULL), 0);
	rbd_notification_free(n);
	rbd_buf_reset(&b);
	rbd_buf_puts(&b, head);
	for (int i = 0; i < 32; i++)
		rbd_buf_putc(&b, '[');
	for (int i = 0; i < 32; i++)
		rbd_buf_putc(&b, ']');
	rbd_buf_putc(&b, '}');
	CHECK(expect_err(b.data, b.len, RBD_EINVAL, "body: JSON nested deeper than 32"));
	/* Brackets inside strings do not count. */
	rbd_buf_reset(&b);
	rbd_buf_puts(&b, head);
	rbd_buf_putc(&b, '"');
	for (int i = 0; i < 100; i++)
		rbd_buf_puts(&b, "[{");
	rbd_buf_puts(&b, "\\\"[\"}");
	n = NULL;
	CHECK_INT(rbd_payload_parse(&n, b.data, b.len, NULL), 0);
	rbd_notification_free(n);
	rbd_buf_free(&b);
}

/* ---- UTF-8 and escapes ---- */

static void test_payload__invalid_utf8(void)
{
	static const char *const bad[] = {
		"\xC0\xAF",             /* overlong '/' */
		"\xC1\xBF",             /* overlong */
		"\xE0\x80\xAF",         /* overlong, 3 bytes */
		"\xF0\x80\x80\xAF",     /* overlong, 4 bytes */
		"\x80",                 /* lone continuation */
		"a\xBF" "b",            /* lone continuation mid-string */
		"\xED\xA0\x80",         /* UTF-8-encoded surrogate U+D800 */
		"\xED\xBF\xBF",         /* U+DFFF */
		"\xF4\x90\x80\x80",     /* U+110000 */
		"\xF5\x80\x80\x80",
		"\xFF",
		"\xFE",
		"\xE2\x82",             /* cut sequence */
		"\xE2\x28\xA1",         /* bad continuation */
		"\xF0\x9F\x94",         /* cut 4-byte sequence */
	};
	char *base = load(AM "firing-high-latency.json", NULL);

	REQUIRE(base);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char repl[64];
		char *body;

		snprintf(repl, sizeof(repl), "\"annotations\":{\"summary\":\"p99 %s\"}", bad[i]);
		body = replace_once(base, "\"annotations\":{\"summary\":\"p99 above 2s\"}", repl);
		REQUIRE(body);
		if (!expect_err(body, strlen(body), RBD_EINVAL, "body is not valid UTF-8")) {
			fprintf(stderr, "  case %zu\n", i);
			rbd_test_case_failed = 1;
		}
		free(body);
	}
	/* A cut sequence at the very end of the body. */
	CHECK(expect_err("{\"a\":\"\xE2\x82", 8, RBD_EINVAL, "body is not valid UTF-8"));
	free(base);
}

static void test_payload__valid_utf8_and_escapes_decoded(void)
{
	struct rbd_notification *n = NULL;
	char *base = load(AM "firing-high-latency.json", NULL);
	char *body;
	const char *v;

	REQUIRE(base);
	body = replace_once(base, "\"annotations\":{\"summary\":\"p99 above 2s\"}",
			    "\"annotations\":{\"summary\":\"\\uc7a5\\uc560 \xEC\x9E\xA5 \\ud83d\\udd25 \xF0\x9F\x94\xA5 "
			    "\\\"q\\\" \\\\u0000 \\/ \\t\\n\\u00e9\\u0041\","
			    "\"\\uc7a5\\uc560\":\"\\u0031\"}");
	REQUIRE(body);
	CHECK_INT(parse(&n, body), 0);
	free(body);
	free(base);
	REQUIRE(n);
	v = rbd_labels_get(&n->alerts[0].annotations, "summary");
	CHECK_STR(v, "\xEC\x9E\xA5\xEC\x95\xA0 \xEC\x9E\xA5 \xF0\x9F\x94\xA5 \xF0\x9F\x94\xA5 "
		     "\"q\" \\u0000 / \t\n\xC3\xA9" "A");
	CHECK_STR(rbd_labels_get(&n->alerts[0].annotations, "\xEC\x9E\xA5\xEC\x95\xA0"), "1");
	rbd_notification_free(n);
}

static void test_payload__lone_surrogate_escapes(void)
{
	static const char *const bad[] = { "\\ud800", "\\udc00", "\\ud800x", "\\ud800\\u0041",
					   "\\udbff\\udbff", "\\ud800\\u0000" };
	char *base = load(AM "firing-high-latency.json", NULL);

	REQUIRE(base);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char repl[64];
		char *body;

		snprintf(repl, sizeof(repl), "\"annotations\":{\"summary\":\"p99 %s\"}", bad[i]);
		body = replace_once(base, "\"annotations\":{\"summary\":\"p99 above 2s\"}", repl);
		REQUIRE(body);
		CHECK(expect_err(body, strlen(body), RBD_EINVAL, ""));
		free(body);
	}
	free(base);
}

static void test_payload__nul_escape_refused(void)
{
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "\"severity\":\"warning\"},\"annotations\"", "\"severity\":\"warn\\u0000ing\"},\"annotations\"",
		  "alerts[0].labels.severity: string contains NUL" },
		{ "\"severity\":\"warning\"},\"annotations\"", "\"severity\":\"\\u0000\"},\"annotations\"",
		  "alerts[0].labels.severity: string contains NUL" },
		{ "\"severity\":\"warning\"},\"annotations\"", "\"sev\\u0000erity\":\"warning\"},\"annotations\"",
		  "alerts[0].labels[\"sev\\u0000erity\"]: key contains NUL" },
		{ "\"receiver\":\"remediator\"", "\"receiver\":\"remediator\\u0000x\"",
		  "receiver: string contains NUL" },
		{ "\"version\":\"4\"", "\"version\":\"4\",\"x\":[\"ok\",\"\\u0000\"]",
		  "x[1]: string contains NUL" },
	};
	char *base = load(AM "firing-high-latency.json", NULL);

	REQUIRE(base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = replace_once(base, cases[i].from, cases[i].to);

		REQUIRE(body);
		if (!expect_err(body, strlen(body), RBD_EINVAL, cases[i].msg)) {
			fprintf(stderr, "  case %zu\n", i);
			rbd_test_case_failed = 1;
		}
		free(body);
	}
	free(base);
}

/* ---- limits ---- */

static void test_payload__ten_thousand_labels(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	rbd_buf_puts(&b, "{\"version\":\"4\",\"groupKey\":\"k\",\"status\":\"firing\",\"receiver\":\"r\","
			 "\"alerts\":[{\"status\":\"firing\",\"labels\":{");
	for (int i = 0; i < 10000; i++)
		rbd_buf_printf(&b, "%s\"l%d\":\"v\"", i ? "," : "", i);
	rbd_buf_puts(&b, "},\"startsAt\":\"2026-11-25T07:55:47Z\",\"fingerprint\":\"ab\"}]}");
	CHECK(expect_err(b.data, b.len, RBD_ETOOBIG, "alerts[0].labels: 10000 entries"));
	rbd_buf_free(&b);
}

static void test_payload__two_thousand_alerts(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	rbd_buf_puts(&b, "{\"version\":\"4\",\"groupKey\":\"k\",\"status\":\"firing\",\"receiver\":\"r\","
			 "\"alerts\":[");
	for (int i = 0; i < 2000; i++)
		rbd_buf_printf(&b, "%s{\"status\":\"firing\",\"labels\":{\"i\":\"%d\"},"
			       "\"startsAt\":\"2026-11-25T07:55:47Z\",\"fingerprint\":\"%x\"}",
			       i ? "," : "", i, i + 1);
	rbd_buf_puts(&b, "]}");
	CHECK(expect_err(b.data, b.len, RBD_ETOOBIG, "alerts: 2000 alerts over the limit of 1000"));
	rbd_buf_free(&b);
}

static void test_payload__custom_limits_boundaries(void)
{
	/* The longest string in the fixture is its groupKey. */
	const char *gk = "{}:{alertname=\"DiskFull\", service=\"mysql\"}";
	struct rbd_payload_limits lim = { .max_alerts = 3, .max_labels = 4,
					  .max_string_bytes = strlen(gk) };
	struct rbd_notification *n = NULL;
	size_t len;
	char *body = load(AM "firing-disk-full-truncated.json", &len);

	REQUIRE(body);
	/* Exactly at every limit: 3 alerts, 4 labels per alert, the groupKey's length. */
	CHECK_INT(rbd_payload_parse(&n, body, len, &lim), 0);
	rbd_notification_free(n);
	lim.max_alerts = 2;
	CHECK_INT(rbd_payload_parse(&n, body, len, &lim), RBD_ETOOBIG);
	CHECK_STR(rbd_err_msg(), "alerts: 3 alerts over the limit of 2");
	lim.max_alerts = 3;
	lim.max_labels = 3;
	CHECK_INT(rbd_payload_parse(&n, body, len, &lim), RBD_ETOOBIG);
	CHECK_STR(rbd_err_msg(), "alerts[0].labels: 4 entries over the limit of 3");
	lim.max_labels = 0;      /* default */
	lim.max_string_bytes = strlen(gk) - 1;
	CHECK_INT(rbd_payload_parse(&n, body, len, &lim), RBD_ETOOBIG);
	CHECK(strncmp(rbd_err_msg(), "groupKey: string of ", 20) == 0);
	CHECK(n == NULL);
	free(body);
}

static void test_payload__one_mib_string(void)
{
	const size_t big = 1024 * 1024;
	static const char *const where[] = { "\"summary\":\"", "\"severity\":\"", "\"receiver\":\"" };
	static const char *const msg[] = { "alerts[0].annotations.summary: string of 1048576 bytes",
					   "alerts[0].labels.severity: string of 1048576 bytes",
					   "receiver: string of 1048576 bytes" };
	char *base = load(AM "firing-high-latency.json", NULL);
	char *filler = malloc(big + 32);

	REQUIRE(base);
	REQUIRE(filler);
	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		const char *hit = strstr(base, where[w]);
		const char *close;
		struct rbd_buf b = RBD_BUF_INIT(0);

		REQUIRE(hit);
		close = strchr(hit + strlen(where[w]), '"');
		memset(filler, 'x', big);
		rbd_buf_append(&b, base, (size_t)(hit - base) + strlen(where[w]));
		rbd_buf_append(&b, filler, big);
		rbd_buf_puts(&b, close);
		CHECK(expect_err(b.data, b.len, RBD_ETOOBIG, msg[w]));
		rbd_buf_free(&b);
	}
	free(filler);
	free(base);
}

/* ---- robustness ---- */

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Parses a copy in an exact-size heap buffer (no NUL after it), so that ASan sees any
 * read past the end; checks the result is coherent either way. */
static int parse_exact(const char *data, size_t len, int *out_rc)
{
	struct rbd_notification *n = NULL;
	char *copy = malloc(len ? len : 1);
	int rc, ok;

	memcpy(copy, data, len);
	rc = rbd_payload_parse(&n, copy, len, NULL);
	free(copy);
	ok = (rc == 0 && n && notification_invariants(n)) ||
	     ((rc == RBD_EINVAL || rc == RBD_ETOOBIG) && !n && rbd_err_msg()[0]);
	rbd_notification_free(n);
	*out_rc = rc;
	return ok;
}

static void test_payload__every_prefix_fails_cleanly(void)
{
	for (size_t f = 0; f < N_FIXTURES; f++) {
		size_t len;
		char *body = load(fixture_names[f], &len);
		int rc;

		REQUIRE(body);
		for (size_t k = 0; k < json_len(body, len); k++) {
			CHECK(parse_exact(body, k, &rc));
			if (rc != RBD_EINVAL) {
				fprintf(stderr, "  %s prefix %zu: rc %d\n", fixture_names[f], k, rc);
				CHECK_INT(rc, RBD_EINVAL);
				break;
			}
		}
		for (size_t k = json_len(body, len); k <= len; k++) {
			CHECK(parse_exact(body, k, &rc));
			CHECK_INT(rc, 0);
		}
		free(body);
	}
}

static void test_payload__random_mutations(void)
{
	static const unsigned char interesting[] = { '"', '\\', '{', '}', '[', ']', ',', ':',
						     '0', '-', 'u', 0x00, 0x7F, 0x80, 0xC0, 0xED,
						     0xF4, 0xFF, ' ', '\n' };
	int counts[3] = { 0, 0, 0 };

	for (size_t f = 0; f < N_FIXTURES; f++) {
		size_t len;
		char *body = load(fixture_names[f], &len);

		REQUIRE(body);
		for (int iter = 0; iter < 600; iter++) {
			char *m = malloc(2 * len);
			size_t mlen = len;
			int rc, muts = 1 + (int)(rng() % 3);

			memcpy(m, body, len);
			for (int j = 0; j < muts; j++) {
				size_t pos = (size_t)(rng() % mlen);

				if (iter % 4 == 3 && mlen + 64 <= 2 * len) {
					/* Splice: copy up to 64 bytes of the body to pos. */
					size_t from = (size_t)(rng() % len), n = 1 + (size_t)(rng() % 64);

					if (n > len - from)
						n = len - from;
					memmove(m + pos + n, m + pos, mlen - pos);
					memcpy(m + pos, body + from, n);
					mlen += n;
				} else if (rng() % 2) {
					m[pos] = (char)interesting[rng() % sizeof(interesting)];
				} else {
					m[pos] = (char)(rng() & 0xFF);
				}
			}
			if (!parse_exact(m, mlen, &rc)) {
				fprintf(stderr, "  %s mutation %d: rc %d \"%s\"\n", fixture_names[f],
					iter, rc, rbd_err_msg());
				rbd_test_case_failed = 1;
			}
			counts[rc == 0 ? 0 : rc == RBD_EINVAL ? 1 : 2]++;
			free(m);
		}
		free(body);
	}
	fprintf(stderr, "  mutations: %d accepted, %d invalid, %d too big\n", counts[0],
		counts[1], counts[2]);
	CHECK(counts[1] > 0);
	CHECK(counts[0] > 0);   /* e.g. a changed letter inside a label value */
}

/* Throughput figure for the report; the bound is loose on purpose. */
static void test_payload__thousand_alert_body_is_fast(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);
	struct rbd_notification *n = NULL;
	int64_t t0;

	rbd_buf_puts(&b, "{\"version\":\"4\",\"groupKey\":\"k\",\"status\":\"firing\",\"receiver\":\"r\","
			 "\"alerts\":[");
	for (int i = 0; i < 1000; i++)
		rbd_buf_printf(&b, "%s{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\","
			       "\"instance\":\"host-%d:9100\",\"job\":\"node\",\"severity\":\"critical\"},"
			       "\"annotations\":{\"summary\":\"disk %d is full\"},"
			       "\"startsAt\":\"2026-11-25T07:55:47.%09dZ\",\"endsAt\":\"0001-01-01T00:00:00Z\","
			       "\"generatorURL\":\"http://prometheus:9090/graph\",\"fingerprint\":\"%016x\"}",
			       i ? "," : "", i, i, i, i + 1);
	rbd_buf_puts(&b, "]}");
	t0 = rbd_mono_ms();
	for (int r = 0; r < 10; r++) {
		CHECK_INT(rbd_payload_parse(&n, b.data, b.len, NULL), 0);
		if (n) {
			CHECK_INT(n->n_alerts, 1000);
			CHECK_INT(n->alerts[999].starts_ns, INT64_C(1795593347000000999));
		}
		rbd_notification_free(n);
		n = NULL;
	}
	fprintf(stderr, "  1000-alert body (%zu bytes): %.1f ms per parse\n", b.len,
		(double)(rbd_mono_ms() - t0) / 10.0);
	CHECK(rbd_mono_ms() - t0 < 10000);
	rbd_buf_free(&b);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_payload__fixture_firing_high_error_rate),
	RBD_TEST(test_payload__fixture_mixed_truncated),
	RBD_TEST(test_payload__fixture_every_file),
	RBD_TEST(test_payload__timestamp_forms_same_instant),
	RBD_TEST(test_payload__wrong_types_and_values),
	RBD_TEST(test_payload__error_names_path_in_second_alert),
	RBD_TEST(test_payload__message_does_not_echo_values),
	RBD_TEST(test_payload__null_optional_fields_and_unknown_keys),
	RBD_TEST(test_payload__empty_alerts_accepted),
	RBD_TEST(test_payload__empty_and_not_an_object),
	RBD_TEST(test_payload__truncated_fixtures),
	RBD_TEST(test_payload__trailing_data),
	RBD_TEST(test_payload__non_strict_json_refused),
	RBD_TEST(test_payload__nesting_10000_deep),
	RBD_TEST(test_payload__depth_limit_boundary),
	RBD_TEST(test_payload__invalid_utf8),
	RBD_TEST(test_payload__valid_utf8_and_escapes_decoded),
	RBD_TEST(test_payload__lone_surrogate_escapes),
	RBD_TEST(test_payload__nul_escape_refused),
	RBD_TEST(test_payload__ten_thousand_labels),
	RBD_TEST(test_payload__two_thousand_alerts),
	RBD_TEST(test_payload__custom_limits_boundaries),
	RBD_TEST(test_payload__one_mib_string),
	RBD_TEST(test_payload__every_prefix_fails_cleanly),
	RBD_TEST(test_payload__random_mutations),
	RBD_TEST(test_payload__thousand_alert_body_is_fast),
};

RBD_TEST_MAIN(cases)
