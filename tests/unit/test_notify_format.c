/*
 * test_notify_format: notification bodies. The slack body is what Slack and Mattermost
 * render (text + blocks), names the incident, the exact command, the gate, who decided,
 * links on the link base and the approve curl with $RUNBOOKD_TOKEN; no value from an
 * alert can break out of its code span or make a link; without a link base no link is
 * written and the curl names $RUNBOOKD_URL; the json body keeps its shape.
 */
#include "harness.h"
#include "runbookd/notify_format.h"

#include <cJSON.h>

static struct rbd_action_rec action(const char *rendered)
{
	struct rbd_action_rec a = { 0 };

	a.id = 42;
	a.incident_id = 7;
	a.rule = "errors-restart";
	a.action = "compose_restart";
	a.kind = "run";
	a.state = "pending_approval";
	a.rendered_json = (char *)rendered;
	a.requires_approval = true;
	a.approvals_needed = 2;
	a.created_ms = 1764057347033;
	return a;
}

static struct rbd_incident incident(const char *title)
{
	struct rbd_incident i = { 0 };

	i.id = 7;
	i.status = "open";
	i.group_key = "{}:{alertname=\"X\"}";
	i.title = (char *)title;
	i.opened_ms = 1764057347033;
	return i;
}

/* All mrkdwn texts of the blocks, joined by newlines (caller frees). */
static char *blocks_text(const cJSON *o)
{
	size_t cap = 65536, len = 0;
	char *out = calloc(1, cap);
	const cJSON *b;

	cJSON_ArrayForEach(b, cJSON_GetObjectItem(o, "blocks")) {
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "text"), "text"));

		if (t && len + strlen(t) + 2 < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s\n", t);
	}
	return out;
}

static void test_notify_format__slack_pending(void)
{
	struct rbd_action_rec a = action("{\"kind\":\"run\",\"argv\":[\"/usr/bin/docker\",\"compose\",\"restart\",\"app\"]}");
	struct rbd_incident inc = incident("HighErrorRate service=order-api");
	struct rbd_notice n = { .event = RBD_NEV_PENDING_APPROVAL, .link_base = "https://rb.example.com/x",
				.incident = &inc, .action = &a };
	char *body = rbd_notice_slack(&n), *t;
	cJSON *o = cJSON_Parse(body);

	REQUIRE(o != NULL);
	CHECK(cJSON_IsString(cJSON_GetObjectItem(o, "text")));
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(o, "blocks")));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(o, "blocks"), 0), "text"), "text")),
		  "Incident #7: HighErrorRate service=order-api");
	t = blocks_text(o);
	CHECK(strstr(t, "```/usr/bin/docker compose restart app```") != NULL);
	CHECK(strstr(t, "*Gate:* approval: 2 operators must approve") != NULL);
	CHECK(strstr(t, "*Decided by:* nobody yet") != NULL);
	CHECK(strstr(t, "<https://rb.example.com/x/ui/incidents/7|Incident #7>") != NULL);
	CHECK(strstr(t, "<https://rb.example.com/x/ui/approvals|Pending approvals>") != NULL);
	CHECK(strstr(t, "curl -X POST -H \"Authorization: Bearer $RUNBOOKD_TOKEN\" "
			"https://rb.example.com/x/api/v1/actions/42/approve") != NULL);
	CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(o, "text")),
		     "https://rb.example.com/x/ui/incidents/7") != NULL);
	free(t);
	cJSON_Delete(o);
	free(body);
}

/* Alert data (the title, a templated argv element) cannot end a code span, open a
 * link or mention a channel; a huge command is cut on a character boundary. */
static void test_notify_format__slack_hostile(void)
{
	char rendered[20000], big[9000];
	struct rbd_action_rec a;
	struct rbd_incident inc = incident("<!channel> & <https://evil.example|click>");
	struct rbd_notice n = { .event = RBD_NEV_FAILED, .link_base = "", .incident = &inc };
	char *body, *t;
	cJSON *o;

	memset(big, 0, sizeof(big));
	for (size_t i = 0; i + 3 < 8000; i += 3)
		memcpy(big + i, "\xea\xb0\x80", 3);      /* 가 */
	snprintf(rendered, sizeof(rendered),
		 "{\"kind\":\"run\",\"argv\":[\"echo\",\"```<!here>`\",\"%s\"]}", big);
	a = action(rendered);
	a.state = "failed";
	a.reason = "exit <1>";
	n.action = &a;
	body = rbd_notice_slack(&n);
	o = cJSON_Parse(body);
	REQUIRE(o != NULL);
	t = blocks_text(o);
	CHECK(strstr(body, "<!channel>") == NULL && strstr(body, "<!here>") == NULL);
	CHECK(strstr(t, "Incident #7: &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;") != NULL);
	CHECK(strstr(t, "echo '''&lt;!here&gt;'") != NULL);
	CHECK(strstr(t, "*Gate:* exit &lt;1&gt;") != NULL);
	CHECK(strstr(t, "\xe2\x80\xa6```") != NULL);   /* cut, then the span closes */
	for (const cJSON *b = cJSON_GetObjectItem(o, "blocks")->child; b; b = b->next) {
		const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "text"), "text"));

		CHECK(s && strlen(s) < 3000);
	}
	/* no link base: no link at all, the curl of a pending one names $RUNBOOKD_URL */
	CHECK(strstr(body, "http") == NULL || strstr(body, "api/v1/incidents") == NULL);
	free(t);
	cJSON_Delete(o);
	free(body);
	a.state = "pending_approval";
	n.event = RBD_NEV_PENDING_APPROVAL;
	body = rbd_notice_json(&n);
	o = cJSON_Parse(body);
	REQUIRE(o != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "approve")),
		  "curl -X POST -H \"Authorization: Bearer $RUNBOOKD_TOKEN\" $RUNBOOKD_URL/api/v1/actions/42/approve");
	CHECK(cJSON_GetObjectItem(o, "links") == NULL);
	cJSON_Delete(o);
	free(body);
}

static void test_notify_format__json_shape(void)
{
	struct rbd_action_rec a = action("{\"kind\":\"http\",\"method\":\"POST\",\"url\":\"http://app:8080/x\",\"body\":null}");
	struct rbd_action_rec done[1];
	struct rbd_incident inc = incident("t");
	struct rbd_notice n = { .event = RBD_NEV_BREAKER_TRIPPED, .link_base = "http://h:1",
				.incident = &inc, .action = &a, .rule = "errors-restart" };
	char *body = rbd_notice_json(&n);
	cJSON *o = cJSON_Parse(body);

	REQUIRE(o != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind")), "rule.tripped");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "rule")), "errors-restart");
	CHECK_INT(cJSON_GetObjectItem(o, "incident_id")->valuedouble, 7);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "links"), "report")),
		  "http://h:1/ui/incidents/7/export.md");
	CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(o, "text")), "rule errors-restart tripped") != NULL);
	cJSON_Delete(o);
	free(body);

	done[0] = action("{\"kind\":\"run\",\"argv\":[\"/bin/true\"]}");
	done[0].state = "succeeded";
	n = (struct rbd_notice){ .event = RBD_NEV_INCIDENT_RESOLVED, .incident = &inc,
				 .actions = done, .n_actions = 1 };
	body = rbd_notice_slack(&n);
	CHECK(strstr(body, "#42 `/bin/true`: succeeded") != NULL);
	CHECK(strstr(body, "resolved after 1 action") != NULL);
	free(body);
	CHECK_STR(rbd_notice_kind(&n), "incident.resolved");
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_notify_format__slack_pending),
	RBD_TEST(test_notify_format__slack_hostile),
	RBD_TEST(test_notify_format__json_shape),
};

RBD_TEST_MAIN(cases)
