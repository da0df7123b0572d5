/*
 * test_export: the timeline export in JSON, CSV and Markdown. A scripted incident is
 * compared with golden files (RBD_UPDATE_GOLDEN=1 rewrites them), read back by
 * independent parsers (cJSON, Python's csv module, cmark and Python-Markdown through
 * tests/scripts/{csv,md}-check.py, run with execve, never a shell), and a hostile incident
 * and a 10k-event incident go through all three formats.
 */
#include "harness.h"

#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/export.h"
#include "runbookd/model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0 INT64_C(1795593347033)  /* 2026-11-25T07:55:47.033Z */
#define PYTHON "/usr/bin/python3"

/* ---- event sources ---- */

struct list_src {
	const struct rbd_event *events;
	size_t n, pos;
	size_t calls, rewinds;
	size_t fail_at;      /* 0: never; else next_event fails when pos reaches it - 1 */
};

static int list_next(void *ctx, const struct rbd_event **ev)
{
	struct list_src *s = ctx;

	s->calls++;
	if (s->fail_at && s->pos + 1 == s->fail_at)
		return rbd_err_set(RBD_EUNAVAIL, "store went away");
	if (s->pos >= s->n)
		return 0;
	*ev = &s->events[s->pos++];
	return 1;
}

static int list_rewind(void *ctx)
{
	struct list_src *s = ctx;

	s->pos = 0;
	s->rewinds++;
	return 0;
}

/* Generates n events on the fly: nothing but the current one is ever held. */
struct gen_src {
	size_t n, pos, calls;
	struct rbd_event ev;
	char detail[256];
	char kind[32];
};

static int gen_next(void *ctx, const struct rbd_event **ev)
{
	static const char *const kinds[] = { "notification.received", "alert.firing",
					     "rule.matched", "action.planned", "note.added" };
	struct gen_src *g = ctx;

	g->calls++;
	if (g->pos >= g->n)
		return 0;
	snprintf(g->kind, sizeof(g->kind), "%s", kinds[g->pos % 5]);
	snprintf(g->detail, sizeof(g->detail),
		 "{\"i\":%zu,\"text\":\"event %zu, with \\\"quotes\\\" | and, commas\"}", g->pos,
		 g->pos);
	g->ev.id = (int64_t)g->pos + 1;
	g->ev.incident_id = 9;
	g->ev.ts_ms = T0 + (int64_t)g->pos * 250;
	g->ev.kind = g->kind;
	g->ev.actor = (g->pos % 5 == 4) ? "alice" : "runbookd";
	g->ev.action_id = (g->pos % 5 == 3) ? (int64_t)g->pos : 0;
	g->ev.detail_json = g->detail;
	g->pos++;
	*ev = &g->ev;
	return 1;
}

static int gen_rewind(void *ctx)
{
	((struct gen_src *)ctx)->pos = 0;
	return 0;
}

/* ---- the scripted incident ---- */

static const struct rbd_incident scripted_incident = {
	.id = 7, .status = "resolved",
	.group_key = "{}:{alertname=\"HighLatencyP99\", service=\"order-api\"}",
	.title = "HighLatencyP99 order-api",
	.opened_ms = T0, .resolved_ms = T0 + 805467,           /* 08:09:12.500 */
};

static const struct rbd_alert_rec scripted_alerts[] = {
	{
		.id = 1, .incident_id = 7, .fingerprint = "41bb2b02aa652483",
		.starts_ms = T0 + 30, .ends_ms = T0 + 802967, .status = "resolved",
		.labels_json = "{\"alertname\":\"HighLatencyP99\",\"instance\":\"app:8080\","
			       "\"service\":\"order-api\",\"severity\":\"warning\"}",
		.annotations_json = "{\"summary\":\"p99 above 2s\"}",
		.first_seen_ms = T0, .last_seen_ms = T0 + 802967,
	},
	{
		.id = 2, .incident_id = 7, .fingerprint = "9c3e5a7d1f0b2468",
		.starts_ms = T0 + 42967, .ends_ms = T0 + 802967, .status = "resolved",
		.labels_json = "{\"alertname\":\"HighErrorRate\",\"instance\":\"app:8081\","
			       "\"service\":\"payment-api\",\"severity\":\"critical\"}",
		.annotations_json = "{\"summary\":\"5xx ratio above 5%\","
				    "\"description\":\"payment-api 5xx at 25%\"}",
		.first_seen_ms = T0 + 43000, .last_seen_ms = T0 + 802967,
	},
};

#define COMPOSE "\"/usr/bin/docker\",\"compose\",\"-f\",\"/srv/week10/docker-compose.yml\""

static const struct rbd_action_rec scripted_actions[] = {
	{
		.id = 41, .incident_id = 7, .alert_id = 1, .rule = "latency-stop-loadtest",
		.action = "loadtest_stop", .kind = "run", .state = "dry_run",
		.rendered_json = "{\"kind\":\"run\",\"argv\":[" COMPOSE ",\"stop\",\"loadtest\"],"
				 "\"timeout_ms\":60000}",
		.dry_run = true, .approvals_needed = 1, .created_ms = T0 + 87,
	},
	{
		.id = 42, .incident_id = 7, .alert_id = 2, .rule = "errors-restart-app",
		.action = "compose_restart", .kind = "run", .state = "succeeded",
		.rendered_json = "{\"kind\":\"run\",\"argv\":[" COMPOSE ",\"restart\",\"app\"],"
				 "\"timeout_ms\":120000}",
		.requires_approval = true, .approvals_needed = 1, .decided_by = "alice",
		.has_exit_code = true, .exit_code = 0,
		.output = " Container week10-app-1  Restarting\n Container week10-app-1  Started\n",
		.created_ms = T0 + 43167, .started_ms = T0 + 78367, .finished_ms = T0 + 82867,
	},
	{
		.id = 43, .incident_id = 7, .alert_id = 2, .rule = "errors-flag-writes-off",
		.action = "flag_writes_off", .kind = "http", .state = "pending_approval",
		.rendered_json = "{\"kind\":\"http\",\"method\":\"POST\","
				 "\"url\":\"http://127.0.0.1:8080/admin/flags/order-writes\","
				 "\"body\":\"{\\\"enabled\\\": false, \\\"reason\\\": \\\"runbookd "
				 "errors-flag-writes-off incident 7\\\"}\",\"timeout_ms\":10000}",
		.requires_approval = true, .approvals_needed = 2, .created_ms = T0 + 43217,
	},
	{
		.id = 44, .incident_id = 7, .alert_id = 1, .rule = "latency-silence",
		.action = "silence_alert", .kind = "silence", .state = "skipped",
		.rendered_json = "{\"kind\":\"silence\",\"matchers\":{\"alertname\":"
				 "\"HighLatencyP99\",\"service\":\"order-api\"},"
				 "\"duration_ms\":3600000}",
		.reason = "cooldown: the same silence ran 4m 10s ago",
		.approvals_needed = 1, .created_ms = T0 + 97,
	},
	{
		.id = 45, .incident_id = 7, .alert_id = 2, .rule = "errors-restart-redis",
		.action = "compose_restart", .kind = "run", .state = "failed",
		.rendered_json = "{\"kind\":\"run\",\"argv\":[" COMPOSE ",\"restart\",\"redis\"],"
				 "\"timeout_ms\":120000}",
		.approvals_needed = 1, .has_exit_code = true, .exit_code = 1,
		.output = "Error response from daemon: No such container: week10-redis-1\n",
		.created_ms = T0 + 43267, .started_ms = T0 + 43277, .finished_ms = T0 + 43987,
	},
};

static const struct rbd_event scripted_events[] = {
	{ 1, 7, T0, "notification.received", "alertmanager", 0,
	  "{\"status\":\"firing\",\"receiver\":\"remediator\",\"alerts\":1}" },
	{ 2, 7, T0 + 7, "incident.opened", "runbookd", 0,
	  "{\"group_key\":\"{}:{alertname=\\\"HighLatencyP99\\\", service=\\\"order-api\\\"}\"}" },
	{ 3, 7, T0 + 31, "alert.firing", "alertmanager", 0,
	  "{\"fingerprint\":\"41bb2b02aa652483\",\"alertname\":\"HighLatencyP99\"}" },
	{ 4, 7, T0 + 68, "rule.matched", "runbookd", 0,
	  "{\"rule\":\"latency-stop-loadtest\",\"fingerprint\":\"41bb2b02aa652483\"}" },
	{ 5, 7, T0 + 87, "action.planned", "runbookd", 41,
	  "{\"rule\":\"latency-stop-loadtest\",\"action\":\"loadtest_stop\"}" },
	{ 6, 7, T0 + 92, "action.dry_run", "runbookd", 41,
	  "{\"argv\":[" COMPOSE ",\"stop\",\"loadtest\"]}" },
	{ 7, 7, T0 + 78267, "action.approved", "alice", 42,
	  "{\"comment\":\"go ahead, app pods are wedged\"}" },
	{ 8, 7, T0 + 82867, "action.succeeded", "runbookd", 42,
	  "{\"exit_code\":0,\"duration_ms\":4500}" },
	{ 9, 7, T0 + 322967, "note.added", "alice",  0,
	  "{\"text\":\"Loadtest from the 07:50 deploy check was still running; stopped it by hand.\"}" },
	{ 10, 7, T0 + 802967, "alert.resolved", "alertmanager", 0,
	  "{\"fingerprint\":\"41bb2b02aa652483\",\"alertname\":\"HighLatencyP99\"}" },
	{ 11, 7, T0 + 805467, "incident.resolved", "runbookd", 0, "{}" },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static struct rbd_export_src scripted_src(struct list_src *ls)
{
	struct rbd_export_src src = {
		.incident = &scripted_incident,
		.alerts = scripted_alerts, .n_alerts = N_OF(scripted_alerts),
		.actions = scripted_actions, .n_actions = N_OF(scripted_actions),
		.next_event = list_next, .rewind = list_rewind, .ctx = ls,
	};

	memset(ls, 0, sizeof(*ls));
	ls->events = scripted_events;
	ls->n = N_OF(scripted_events);
	return src;
}

/* ---- helpers ---- */

/* The export as a heap string (NULL on error, with the code in *rc). */
static char *render(int *rc, enum rbd_export_format fmt, const char *lang,
		    const struct rbd_export_src *src)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	*rc = rbd_export_render(&b, fmt, lang, src);
	if (*rc) {
		rbd_buf_free(&b);
		return NULL;
	}
	return rbd_buf_steal(&b);
}

static char *render_scripted(enum rbd_export_format fmt, const char *lang)
{
	struct list_src ls;
	struct rbd_export_src src = scripted_src(&ls);
	int rc;
	char *text = render(&rc, fmt, lang, &src);

	CHECK_INT(rc, 0);
	return text;
}

static const char *tests_dir(void)
{
	const char *d = getenv("RBD_TESTS");

	return d ? d : "tests";
}

/* Compares text with tests/fixtures/export/NAME, or rewrites it under RBD_UPDATE_GOLDEN. */
static int golden(const char *name, const char *text)
{
	char path[4096];
	const char *upd = getenv("RBD_UPDATE_GOLDEN");
	char *want;
	int same;

	snprintf(path, sizeof(path), "%s/fixtures/export/%s", tests_dir(), name);
	if (upd && strcmp(upd, "1") == 0) {
		FILE *f = fopen(path, "wb");

		if (!f)
			return 0;
		fwrite(text, 1, strlen(text), f);
		fclose(f);
		fprintf(stderr, "  wrote %s\n", path);
		return 1;
	}
	want = rbd_test_slurp(path, NULL);
	if (!want) {
		fprintf(stderr, "  missing %s (run with RBD_UPDATE_GOLDEN=1)\n", path);
		return 0;
	}
	same = strcmp(want, text) == 0;
	if (!same) {
		char got[4200];
		FILE *f;

		snprintf(got, sizeof(got), "/tmp/rbd-golden-%s", name);
		f = fopen(got, "wb");
		if (f) {
			fwrite(text, 1, strlen(text), f);
			fclose(f);
		}
		fprintf(stderr, "  %s differs: diff -u %s %s\n", name, path, got);
	}
	free(want);
	return same;
}

/* Writes text to a new temporary file; returns its path (static) or NULL. */
static const char *temp_file(const char *text, const char *suffix)
{
	static char path[64];
	int fd;
	size_t n = strlen(text), off = 0;

	snprintf(path, sizeof(path), "/tmp/rbd-export-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0)
		return NULL;
	while (off < n) {
		ssize_t w = write(fd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return NULL;
		}
		off += (size_t)w;
	}
	close(fd);
	return path;
}

/*
 * Runs /usr/bin/python3 tests/scripts/SCRIPT FILE with execve (no shell, a minimal
 * environment) and parses its stdout as JSON. NULL when it fails.
 */
static cJSON *run_checker(const char *script, const char *file)
{
	char spath[4096];
	char *const argv[] = { PYTHON, spath, (char *)file, NULL };
	char *const envp[] = { "LANG=C.UTF-8", "PATH=/usr/bin:/bin", NULL };
	struct rbd_buf out = RBD_BUF_INIT(0);
	int pfd[2], status = 0;
	pid_t pid;
	cJSON *j = NULL;
	char chunk[65536];
	ssize_t r;

	snprintf(spath, sizeof(spath), "%s/scripts/%s", tests_dir(), script);
	if (access(PYTHON, X_OK) != 0) {
		fprintf(stderr, "  %s missing\n", PYTHON);
		return NULL;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		execve(PYTHON, argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		rbd_buf_append(&out, chunk, (size_t)r);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		j = cJSON_Parse(rbd_buf_cstr(&out));
	else
		fprintf(stderr, "  %s failed (status %d)\n", script, status);
	rbd_buf_free(&out);
	return j;
}

static cJSON *check_text(const char *script, const char *text, const char *suffix)
{
	const char *path = temp_file(text, suffix);
	cJSON *j;

	if (!path)
		return NULL;
	j = run_checker(script, path);
	unlink(path);
	return j;
}

static int json_int(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(v) ? v->valueint : -1;
}

/* The table of md-check's "tables" (or "py_tables") under heading, or NULL. */
static const cJSON *table_under(const cJSON *report, const char *key, const char *heading)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(report, key)) {
		const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "heading"));

		if (h && strcmp(h, heading) == 0)
			return t;
	}
	return NULL;
}

/* True when every row of the table has exactly ncells cells. */
static int cells_are(const cJSON *table, int ncells)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(table, "cell_counts");

	return cJSON_GetArraySize(c) == 1 && cJSON_GetArrayItem(c, 0)->valueint == ncells;
}

static int has_heading(const cJSON *report, int level, const char *text)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(report, "headings")) {
		if (cJSON_GetArrayItem(h, 0)->valueint == level &&
		    strcmp(cJSON_GetArrayItem(h, 1)->valuestring, text) == 0)
			return 1;
	}
	return 0;
}

/* Only the tags Markdown itself produces: any other one came from the data. */
static int tags_are_markdown(const cJSON *report)
{
	/* br: a hard break inside a multi-line note or quote; a: an autolink (runbook_url) */
	static const char *const ok[] = { "h1", "h2", "p", "ul", "li", "strong", "code", "pre", "br", "a" };
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(report, "tags")) {
		size_t i;

		for (i = 0; i < N_OF(ok); i++) {
			if (strcmp(t->valuestring, ok[i]) == 0)
				break;
		}
		if (i == N_OF(ok)) {
			fprintf(stderr, "  unexpected tag <%s>\n", t->valuestring);
			return 0;
		}
	}
	return 1;
}

/*
 * True when every '<' of the report sits in a code span or a fenced block, where
 * CommonMark shows it as text: table rows, headings and list text carry none.
 */
static int no_raw_lt_outside_code(const char *md)
{
	int in_fence = 0;

	for (const char *line = md; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *p = line;

		while (p < line + len && *p == ' ')
			p++;
		if (p + 3 <= line + len && strncmp(p, "```", 3) == 0) {
			in_fence = !in_fence;
		} else if (!in_fence) {
			/* drop code spans: text between backtick runs of equal length */
			size_t i = 0;

			while (i < len) {
				if (line[i] == '`') {
					size_t run = 0, j;

					while (i + run < len && line[i + run] == '`')
						run++;
					for (j = i + run; j < len; j++) {
						size_t r2 = 0;

						while (j + r2 < len && line[j + r2] == '`')
							r2++;
						if (r2 == run)
							break;
						j += r2 ? r2 - 1 : 0;
					}
					i = j < len ? j + run : i + run;
					continue;
				}
				if (line[i] == '<') {
					fprintf(stderr, "  raw '<' in: %.*s\n", (int)(len > 120 ? 120 : len),
						line);
					return 0;
				}
				i++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- cases ---- */

static void test_export__format_names(void)
{
	enum rbd_export_format f = RBD_EXPORT_JSON;

	CHECK_INT(rbd_export_format_parse(&f, "csv"), 0);
	CHECK_INT(f, RBD_EXPORT_CSV);
	CHECK_INT(rbd_export_format_parse(&f, "md"), 0);
	CHECK_INT(f, RBD_EXPORT_MD);
	CHECK_INT(rbd_export_format_parse(&f, "json"), 0);
	CHECK_INT(f, RBD_EXPORT_JSON);
	CHECK_INT(rbd_export_format_parse(&f, "JSON"), RBD_EINVAL);
	CHECK_INT(rbd_export_format_parse(&f, "xml"), RBD_EINVAL);
	CHECK_INT(rbd_export_format_parse(&f, NULL), RBD_EINVAL);
	CHECK_INT(rbd_export_lang_check(NULL), 0);
	CHECK_INT(rbd_export_lang_check("en"), 0);
	CHECK_INT(rbd_export_lang_check("ko"), 0);
	CHECK_INT(rbd_export_lang_check("fr"), RBD_EINVAL);
	CHECK_STR(rbd_export_content_type(RBD_EXPORT_JSON), "application/json");
	CHECK(strncmp(rbd_export_content_type(RBD_EXPORT_CSV), "text/csv", 8) == 0);
	CHECK(strncmp(rbd_export_content_type(RBD_EXPORT_MD), "text/markdown", 13) == 0);
}

static void test_export__golden_json(void)
{
	char *text = render_scripted(RBD_EXPORT_JSON, NULL);
	cJSON *j, *events;

	REQUIRE(text != NULL);
	CHECK(golden("incident.json", text));
	j = cJSON_Parse(text);
	REQUIRE(j != NULL);
	CHECK_INT(json_int(cJSON_GetObjectItem(j, "incident"), "id"), 7);
	events = cJSON_GetObjectItem(j, "events");
	CHECK_INT(cJSON_GetArraySize(events), N_OF(scripted_events));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 0), "kind")),
		  "notification.received");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 10), "ts")),
		  "2026-11-25T08:09:12.500Z");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 0), "action_id")));
	CHECK_INT(json_int(cJSON_GetArrayItem(events, 6), "action_id"), 42);
	cJSON_Delete(j);
	free(text);
}

static void test_export__golden_csv(void)
{
	char *text = render_scripted(RBD_EXPORT_CSV, NULL);
	cJSON *rep, *rows;

	REQUIRE(text != NULL);
	CHECK(golden("incident.csv", text));
	CHECK(strncmp(text, "ts,kind,actor,action_id,detail\r\n", 32) == 0);
	rep = check_text("csv-check.py", text, ".csv");
	REQUIRE(rep != NULL);
	rows = cJSON_GetObjectItem(rep, "rows");
	CHECK_INT(cJSON_GetArraySize(rows), N_OF(scripted_events));
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(rep, "canonical")));
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(rep, "details_parse")));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "field_counts")), 1);
	CHECK_INT(cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "field_counts"), 0)->valueint, 5);
	/* row 7: the approval, by alice, for action 42 */
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 6), 0)->valuestring,
		  "2026-11-25T07:57:05.300Z");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 6), 2)->valuestring, "alice");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 6), 3)->valuestring, "42");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 0), 3)->valuestring, "");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 10), 4)->valuestring, "{}");
	cJSON_Delete(rep);
	free(text);
}

static void check_report(const char *text, const char *const headings[5], size_t n_events,
			 size_t n_alerts)
{
	cJSON *rep = check_text("md-check.py", text, ".md");
	const cJSON *t;

	REQUIRE(rep != NULL);
	/* the title and the five sections, and no heading from the data */
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "headings")), 6);
	for (size_t i = 0; i < 5; i++) {
		CHECK(has_heading(rep, 2, headings[i]));
		if (!has_heading(rep, 2, headings[i]))
			fprintf(stderr, "  no section %s\n", headings[i]);
	}
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(rep, "script")));
	CHECK(tags_are_markdown(rep));
	t = table_under(rep, "tables", headings[4]);
	REQUIRE(t != NULL);
	CHECK_INT(json_int(t, "rows"), n_events + 1);
	CHECK(cells_are(t, 4));
	if (n_alerts) {
		t = table_under(rep, "tables", headings[0]);
		REQUIRE(t != NULL);
		CHECK_INT(json_int(t, "rows"), n_alerts + 1);
		CHECK(cells_are(t, 5));
	}
	/* a second, independent table parser agrees (when Python-Markdown is there) */
	if (!cJSON_IsNull(cJSON_GetObjectItem(rep, "py_tables"))) {
		t = table_under(rep, "py_tables", headings[4]);
		REQUIRE(t != NULL);
		CHECK_INT(json_int(t, "rows"), n_events + 1);
		if (n_alerts) {
			t = table_under(rep, "py_tables", headings[0]);
			REQUIRE(t != NULL);
			CHECK_INT(json_int(t, "rows"), n_alerts + 1);
		}
	} else {
		fprintf(stderr, "  (Python-Markdown not installed: second table parser skipped)\n");
	}
	cJSON_Delete(rep);
}

static const char *const en_headings[5] = { "Symptom", "Impact", "Actions", "Follow-ups",
					    "Timeline" };
static const char *const ko_headings[5] = { "현상", "영향", "조치", "다음", "타임라인" };

static void test_export__golden_md(void)
{
	char *text = render_scripted(RBD_EXPORT_MD, "en");

	REQUIRE(text != NULL);
	CHECK(golden("incident.md", text));
	CHECK(strncmp(text, "# Incident #7: HighLatencyP99 order-api\n", 40) == 0);
	CHECK(strstr(text, "2026-11-25 07:55:47 \xe2\x80\x93 2026-11-25 08:09:12") != NULL);
	/* the exact commands, the request, who approved, results, the excerpt */
	CHECK(strstr(text, "`/usr/bin/docker compose -f /srv/week10/docker-compose.yml "
			   "restart app`") != NULL);
	CHECK(strstr(text, "`POST http://127.0.0.1:8080/admin/flags/order-writes`") != NULL);
	CHECK(strstr(text, "`silence {alertname=\"HighLatencyP99\", service=\"order-api\"} "
			   "for 1h 0m`") != NULL);
	CHECK(strstr(text, "approved by alice") != NULL);
	CHECK(strstr(text, "**succeeded**, exit code 0") != NULL);
	CHECK(strstr(text, "**failed**, exit code 1") != NULL);
	CHECK(strstr(text, "awaiting approval (0/2)") != NULL);
	CHECK(strstr(text, "Container week10-app-1  Started") != NULL);
	CHECK(strstr(text, "- **Services:** order-api, payment-api\n") != NULL);
	CHECK(strstr(text, "- **Instances:** app:8080, app:8081\n") != NULL);
	CHECK(strstr(text, "- **Duration:** 13m 25s") != NULL);
	/* follow-ups: the note, and the actions worth a look with their reasons */
	CHECK(strstr(text, "08:01:10 alice: Loadtest from the 07:50 deploy check") != NULL);
	CHECK(strstr(text, "    - latency-silence \xe2\x86\x92 silence_alert (#44): **skipped**, "
			   "reason: cooldown") != NULL);
	CHECK(strstr(text, "    - errors-restart-redis \xe2\x86\x92 compose_restart (#45): "
			   "**failed**") != NULL);
	CHECK(strstr(text, "    - errors-flag-writes-off \xe2\x86\x92 flag_writes_off (#43): "
			   "**pending_approval**") != NULL);
	CHECK(strstr(text, "(#42): **succeeded**") == NULL);
	check_report(text, en_headings, N_OF(scripted_events), N_OF(scripted_alerts));
	free(text);
}

static void test_export__golden_md_ko(void)
{
	char *text = render_scripted(RBD_EXPORT_MD, "ko");

	REQUIRE(text != NULL);
	CHECK(golden("incident.ko.md", text));
	CHECK(strncmp(text, "# 장애 #7: ", strlen("# 장애 #7: ")) == 0);
	CHECK(strstr(text, "\n## 현상\n") && strstr(text, "\n## 영향\n") &&
	      strstr(text, "\n## 조치\n") && strstr(text, "\n## 다음\n") &&
	      strstr(text, "\n## 타임라인\n"));
	CHECK(strstr(text, "Symptom") == NULL && strstr(text, "Follow-ups") == NULL);
	check_report(text, ko_headings, N_OF(scripted_events), N_OF(scripted_alerts));
	free(text);
}

static void test_export__deterministic_and_streamed(void)
{
	enum rbd_export_format fmts[] = { RBD_EXPORT_JSON, RBD_EXPORT_CSV, RBD_EXPORT_MD };

	for (size_t i = 0; i < N_OF(fmts); i++) {
		struct list_src ls;
		struct rbd_export_src src = scripted_src(&ls);
		int rc;
		char *a = render(&rc, fmts[i], "en", &src);
		char *b;

		CHECK_INT(rc, 0);
		/* one call per event plus the end: a pass never reads ahead or back */
		CHECK_INT(ls.calls, (N_OF(scripted_events) + 1) * (fmts[i] == RBD_EXPORT_MD ? 2 : 1));
		CHECK_INT(ls.rewinds, fmts[i] == RBD_EXPORT_MD ? 1 : 0);
		src = scripted_src(&ls);
		b = render(&rc, fmts[i], "en", &src);
		REQUIRE(a && b);
		CHECK_STR(a, b);
		free(a);
		free(b);
	}
}

static void test_export__open_incident(void)
{
	struct rbd_incident inc = scripted_incident;
	struct rbd_alert_rec alerts[2];
	struct list_src ls;
	struct rbd_export_src src = scripted_src(&ls);
	int rc;
	char *text;

	memcpy(alerts, scripted_alerts, sizeof(alerts));
	alerts[1].status = "firing";
	alerts[1].ends_ms = 0;
	inc.status = "open";
	inc.resolved_ms = 0;
	src.incident = &inc;
	src.alerts = alerts;
	ls.n = 9;   /* up to the note */
	text = render(&rc, RBD_EXPORT_MD, NULL, &src);
	REQUIRE(text != NULL);
	CHECK(strstr(text, "- **Status:** open\n") != NULL);
	CHECK(strstr(text, "2026-11-25 07:55:47 \xe2\x80\x93 ongoing") != NULL);
	/* no clock: the duration runs to the last recorded activity */
	CHECK(strstr(text, "13m 22s+ (still open; last activity at 08:09:10)") != NULL);
	CHECK(strstr(text, "| HighErrorRate | critical | 5xx ratio above 5% | 07:56:30 | firing |")
	      != NULL);
	CHECK(strstr(text, "- **Still firing:**\n    - HighErrorRate (9c3e5a7d1f0b2468)\n") != NULL);
	free(text);

	src = scripted_src(&ls);
	src.incident = &inc;
	text = render(&rc, RBD_EXPORT_MD, "ko", &src);
	REQUIRE(text != NULL);
	CHECK(strstr(text, "07:55:47 \xe2\x80\x93 진행 중") != NULL);
	free(text);
}

static void test_export__impact_lists(void)
{
	struct rbd_alert_rec alerts[60];
	char labels[60][128];
	struct list_src ls;
	struct rbd_export_src src = scripted_src(&ls);
	int rc;
	char *text;

	/* 60 alerts over 25 instances of 2 services: distinct, sorted, 20 named */
	for (size_t i = 0; i < 60; i++) {
		snprintf(labels[i], sizeof(labels[i]),
			 "{\"alertname\":\"DiskFull\",\"service\":\"%s\",\"instance\":\"node-%02zu\"}",
			 i % 2 ? "orders" : "payments", i % 25);
		alerts[i] = scripted_alerts[0];
		alerts[i].labels_json = labels[i];
	}
	src.alerts = alerts;
	src.n_alerts = 60;
	text = render(&rc, RBD_EXPORT_MD, NULL, &src);
	REQUIRE(text != NULL);
	CHECK(strstr(text, "- **Services:** orders, payments\n") != NULL);
	CHECK(strstr(text, "- **Instances:** node-00, node-01, node-02, ") != NULL);
	CHECK(strstr(text, ", node-19, +5\n") != NULL);
	CHECK(strstr(text, "- **Alerts:** 60 (firing 0, resolved 60)\n") != NULL);
	free(text);

	/* no alerts at all */
	src = scripted_src(&ls);
	src.n_alerts = 0;
	text = render(&rc, RBD_EXPORT_MD, NULL, &src);
	REQUIRE(text != NULL);
	CHECK(strstr(text, "No alerts recorded.") != NULL);
	CHECK(strstr(text, "- **Services:** -\n") != NULL);
	free(text);
}

/* Hostile strings, each in a label, an annotation, the title, a note, an argv element. */
static const char *const hostile[] = {
	"a|b",
	"line1\nline2\r\n| x | y | z | w |",
	"<script>alert(1)</script>",
	"`rm -rf /` and ``` fence",
	"**bold** _it_ [click](javascript:alert(1)) ![i](http://x/i.png)",
	"<img src=x onerror=alert(1)>",
	"&lt;script&gt; &#60;b&#62;",
	"back\\slash \\| \\",
	"\x1b[31mred\x1b[0m \xe2\x80\xae" "evil",
	"# heading\n- item\n> quote\n```\ncode",
	"\xed\x95\x9c\xea\xb8\x80 label",
	"1. first",
	"- dash",
	"+ plus",
	"12) twelve",
	NULL,  /* 4 KB, filled in */
};
#define N_HOSTILE (N_OF(hostile))

static char big_value[4097];

static const char *hostile_at(size_t i)
{
	if (hostile[i])
		return hostile[i];
	memset(big_value, 'A', 4096);
	big_value[4096] = '\0';
	return big_value;
}

struct hostile_case {
	struct rbd_incident inc;
	struct rbd_alert_rec alerts[N_HOSTILE];
	struct rbd_action_rec actions[N_HOSTILE];
	struct rbd_event events[N_HOSTILE * 2];
	cJSON *details[N_HOSTILE * 2];
};

static char *json_text(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	cJSON_Delete(j);
	return s;
}

static void hostile_build(struct hostile_case *h)
{
	memset(h, 0, sizeof(*h));
	h->inc.id = 13;
	h->inc.status = "open";
	h->inc.group_key = rbd_strdup(hostile_at(1));
	h->inc.title = rbd_strdup(hostile_at(2));
	h->inc.opened_ms = T0;
	for (size_t i = 0; i < N_HOSTILE; i++) {
		const char *v = hostile_at(i);
		cJSON *labels = cJSON_CreateObject(), *ann = cJSON_CreateObject();
		cJSON *rendered = cJSON_CreateObject(), *argv = cJSON_CreateArray();

		cJSON_AddStringToObject(labels, "alertname", v);
		cJSON_AddStringToObject(labels, "severity", v);
		cJSON_AddStringToObject(labels, "service", v);
		cJSON_AddStringToObject(labels, "instance", v);
		cJSON_AddStringToObject(ann, "summary", v);
		h->alerts[i] = (struct rbd_alert_rec){
			.id = (int64_t)i + 1, .incident_id = 13, .fingerprint = rbd_strdup(v),
			.starts_ms = T0 + (int64_t)i, .status = i % 2 ? "firing" : "resolved",
			.labels_json = json_text(labels), .annotations_json = json_text(ann),
		};
		cJSON_AddStringToObject(rendered, "kind", "run");
		cJSON_AddItemToArray(argv, cJSON_CreateString("/usr/bin/echo"));
		cJSON_AddItemToArray(argv, cJSON_CreateString(v));
		cJSON_AddItemToObject(rendered, "argv", argv);
		h->actions[i] = (struct rbd_action_rec){
			.id = 100 + (int64_t)i, .incident_id = 13, .rule = rbd_strdup(v),
			.action = rbd_strdup(v), .kind = "run", .state = "failed",
			.rendered_json = json_text(rendered), .decided_by = rbd_strdup(v),
			.reason = rbd_strdup(v), .output = rbd_strdup(v), .result = rbd_strdup(v),
			.has_exit_code = true, .exit_code = 2, .created_ms = T0 + 10,
		};
		for (size_t k = 0; k < 2; k++) {
			size_t e = i * 2 + k;
			cJSON *d = cJSON_CreateObject();

			if (k == 0) {
				cJSON_AddItemToObject(d, "labels",
						      cJSON_Parse(h->alerts[i].labels_json));
			} else {
				cJSON_AddStringToObject(d, "text", v);
			}
			h->details[e] = d;
			h->events[e] = (struct rbd_event){
				.id = (int64_t)e + 1, .incident_id = 13, .ts_ms = T0 + (int64_t)e,
				.kind = k ? "note.added" : "alert.firing", .actor = rbd_strdup(v),
				.action_id = k ? 0 : 100 + (int64_t)i,
				.detail_json = cJSON_PrintUnformatted(d),
			};
		}
	}
}

static void hostile_free(struct hostile_case *h)
{
	free(h->inc.group_key);
	free(h->inc.title);
	for (size_t i = 0; i < N_HOSTILE; i++) {
		free(h->alerts[i].fingerprint);
		free(h->alerts[i].labels_json);
		free(h->alerts[i].annotations_json);
		h->actions[i].kind = NULL;
		h->actions[i].state = NULL;
		rbd_action_rec_clear(&h->actions[i]);
	}
	for (size_t e = 0; e < N_HOSTILE * 2; e++) {
		free(h->events[e].actor);
		free(h->events[e].detail_json);
		cJSON_Delete(h->details[e]);
	}
}

static struct rbd_export_src hostile_src(struct hostile_case *h, struct list_src *ls)
{
	struct rbd_export_src src = {
		.incident = &h->inc, .alerts = h->alerts, .n_alerts = N_HOSTILE,
		.actions = h->actions, .n_actions = N_HOSTILE,
		.next_event = list_next, .rewind = list_rewind, .ctx = ls,
	};

	memset(ls, 0, sizeof(*ls));
	ls->events = h->events;
	ls->n = N_HOSTILE * 2;
	return src;
}

static void test_export__hostile_json_roundtrip(void)
{
	static struct hostile_case h;
	struct list_src ls;
	struct rbd_export_src src;
	cJSON *j, *events;
	char *text;
	int rc;

	hostile_build(&h);
	src = hostile_src(&h, &ls);
	text = render(&rc, RBD_EXPORT_JSON, NULL, &src);
	REQUIRE(text != NULL);
	j = cJSON_Parse(text);
	REQUIRE(j != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "incident"),
							   "title")), hostile_at(2));
	events = cJSON_GetObjectItem(j, "events");
	CHECK_INT(cJSON_GetArraySize(events), N_HOSTILE * 2);
	for (size_t e = 0; e < N_HOSTILE * 2; e++) {
		cJSON *ev = cJSON_GetArrayItem(events, (int)e);

		CHECK(cJSON_Compare(cJSON_GetObjectItem(ev, "detail"), h.details[e], 1));
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "actor")), h.events[e].actor);
	}
	cJSON_Delete(j);
	free(text);
	hostile_free(&h);
}

static void test_export__hostile_csv_roundtrip(void)
{
	static struct hostile_case h;
	struct list_src ls;
	struct rbd_export_src src;
	cJSON *rep, *rows;
	char *text;
	int rc;

	hostile_build(&h);
	src = hostile_src(&h, &ls);
	text = render(&rc, RBD_EXPORT_CSV, NULL, &src);
	REQUIRE(text != NULL);
	rep = check_text("csv-check.py", text, ".csv");
	REQUIRE(rep != NULL);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(rep, "canonical")));
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(rep, "details_parse")));
	rows = cJSON_GetObjectItem(rep, "rows");
	CHECK_INT(cJSON_GetArraySize(rows), N_HOSTILE * 2);
	for (size_t e = 0; e < N_HOSTILE * 2 && e < (size_t)cJSON_GetArraySize(rows); e++) {
		cJSON *row = cJSON_GetArrayItem(rows, (int)e);
		cJSON *detail;

		REQUIRE(cJSON_GetArraySize(row) == 5);
		CHECK_STR(cJSON_GetArrayItem(row, 2)->valuestring, h.events[e].actor);
		detail = cJSON_Parse(cJSON_GetArrayItem(row, 4)->valuestring);
		CHECK(cJSON_Compare(detail, h.details[e], 1));
		cJSON_Delete(detail);
	}
	cJSON_Delete(rep);
	free(text);
	hostile_free(&h);
}

static void test_export__hostile_markdown(void)
{
	static struct hostile_case h;
	const char *const langs[] = { "en", "ko" };

	hostile_build(&h);
	for (size_t l = 0; l < 2; l++) {
		struct list_src ls;
		struct rbd_export_src src = hostile_src(&h, &ls);
		int rc;
		char *text = render(&rc, RBD_EXPORT_MD, langs[l], &src);
		char run[4097];

		REQUIRE(text != NULL);
		/* structure holds: every row stays one row of 4 (or 5) cells */
		check_report(text, l ? ko_headings : en_headings, N_HOSTILE * 2, N_HOSTILE);
		/* nothing raw reaches the reader: '<' only inside code spans and blocks
		 * (check_report has checked that the rendered HTML holds no <script>) */
		CHECK(no_raw_lt_outside_code(text));
		CHECK(strchr(text, '\x1b') == NULL);
		CHECK(strchr(text, '\r') == NULL);
		CHECK(strstr(text, "\xe2\x80\xae") == NULL);
		/* the 4 KB value is cut with an ellipsis, wherever it appears */
		memset(run, 'A', 4096);
		run[4096] = '\0';
		CHECK(strstr(text, run) == NULL);
		CHECK(strstr(text, "AAAA\xe2\x80\xa6") != NULL);
		/* the title cannot become a second heading or HTML */
		CHECK(strstr(text, " #13: &lt;script&gt;alert(1)&lt;/script&gt;\n") != NULL);
		free(text);
	}
	hostile_free(&h);
}

static void test_export__display_quoting(void)
{
	struct rbd_action_rec a = scripted_actions[1];
	struct list_src ls = { .events = NULL, .n = 0 };
	struct rbd_export_src src = {
		.incident = &scripted_incident, .actions = &a, .n_actions = 1,
		.next_event = list_next, .rewind = list_rewind, .ctx = &ls,
	};
	int rc;
	char *text;

	a.rendered_json = "{\"kind\":\"run\",\"argv\":[\"/bin/echo\",\"it's here\",\"a\\nb\","
			  "\"x`y\",\"\",\"$HOME\",\"ok-1.2/3\"]}";
	a.output = "```\n<script>x</script>\n``` done\r\nnext\x1b[0m";
	text = render(&rc, RBD_EXPORT_MD, NULL, &src);
	REQUIRE(text != NULL);
	/* a span fenced by more backticks than it holds, shell quoting for display */
	CHECK(strstr(text, "``/bin/echo 'it'\\''s here' $'a\\nb' 'x`y' '' '$HOME' ok-1.2/3``")
	      != NULL);
	/* the output block's fence is longer than any run inside; CR and ESC are gone */
	CHECK(strstr(text, "      ````\n      ```\n      <script>x</script>\n      ``` done\n"
			   "      next\xef\xbf\xbd[0m\n      ````\n") != NULL);
	CHECK(strstr(text, "No events recorded.") != NULL);
	free(text);
}

static void test_export__callback_error_passes_up(void)
{
	enum rbd_export_format fmts[] = { RBD_EXPORT_JSON, RBD_EXPORT_CSV, RBD_EXPORT_MD };

	for (size_t i = 0; i < N_OF(fmts); i++) {
		struct list_src ls;
		struct rbd_export_src src = scripted_src(&ls);
		struct rbd_buf b = RBD_BUF_INIT(0);

		ls.fail_at = 4;
		rbd_buf_puts(&b, "prefix");
		CHECK_INT(rbd_export_render(&b, fmts[i], NULL, &src), RBD_EUNAVAIL);
		CHECK_STR(rbd_err_msg(), "store went away");
		/* nothing half-written is left behind */
		CHECK_STR(rbd_buf_cstr(&b), "prefix");
		rbd_buf_free(&b);
	}
}

static void test_export__buffer_cap_passes_up(void)
{
	enum rbd_export_format fmts[] = { RBD_EXPORT_JSON, RBD_EXPORT_CSV, RBD_EXPORT_MD };

	for (size_t i = 0; i < N_OF(fmts); i++) {
		struct list_src ls;
		struct rbd_export_src src = scripted_src(&ls);
		struct rbd_buf b = RBD_BUF_INIT(300);

		CHECK_INT(rbd_export_render(&b, fmts[i], NULL, &src), RBD_ETOOBIG);
		CHECK_INT(b.len, 0);
		rbd_buf_free(&b);
	}
}

static void test_export__bad_arguments(void)
{
	struct list_src ls;
	struct rbd_export_src src = scripted_src(&ls);
	struct rbd_buf b = RBD_BUF_INIT(0);

	CHECK_INT(rbd_export_render(&b, RBD_EXPORT_MD, "fr", &src), RBD_EINVAL);
	src.rewind = NULL;
	CHECK_INT(rbd_export_render(&b, RBD_EXPORT_MD, NULL, &src), RBD_EINVAL);
	CHECK_INT(rbd_export_render(&b, RBD_EXPORT_JSON, NULL, &src), 0);
	src.incident = NULL;
	CHECK_INT(rbd_export_render(&b, RBD_EXPORT_CSV, NULL, &src), RBD_EINVAL);
	CHECK_INT(rbd_export_render(&b, (enum rbd_export_format)99, NULL, &src), RBD_EINVAL);
	rbd_buf_free(&b);
}

static void test_export__10k_events(void)
{
	const size_t n = 10000;
	struct rbd_incident inc = scripted_incident;
	struct gen_src g = { .n = n };
	struct rbd_export_src src = {
		.incident = &inc, .alerts = scripted_alerts, .n_alerts = N_OF(scripted_alerts),
		.actions = scripted_actions, .n_actions = N_OF(scripted_actions),
		.next_event = gen_next, .rewind = gen_rewind, .ctx = &g,
	};
	int64_t t;
	char *text;
	cJSON *j, *rep;
	int rc;

	inc.id = 9;
	t = mono_ms();
	text = render(&rc, RBD_EXPORT_JSON, NULL, &src);
	t = mono_ms() - t;
	REQUIRE(text != NULL);
	fprintf(stderr, "  json: %zu events, %zu bytes, %lld ms\n", n, strlen(text), (long long)t);
	CHECK(t < 5000);
	j = cJSON_Parse(text);
	REQUIRE(j != NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "events")), n);
	cJSON_Delete(j);
	free(text);

	g.pos = 0;
	t = mono_ms();
	text = render(&rc, RBD_EXPORT_CSV, NULL, &src);
	t = mono_ms() - t;
	REQUIRE(text != NULL);
	fprintf(stderr, "  csv:  %zu events, %zu bytes, %lld ms\n", n, strlen(text), (long long)t);
	CHECK(t < 5000);
	rep = check_text("csv-check.py", text, ".csv");
	REQUIRE(rep != NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "rows")), n);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(rep, "canonical")));
	cJSON_Delete(rep);
	free(text);

	g.pos = 0;
	g.calls = 0;
	t = mono_ms();
	text = render(&rc, RBD_EXPORT_MD, NULL, &src);
	t = mono_ms() - t;
	REQUIRE(text != NULL);
	fprintf(stderr, "  md:   %zu events, %zu bytes, %lld ms\n", n, strlen(text), (long long)t);
	CHECK(t < 5000);
	CHECK_INT(g.calls, 2 * (n + 1));
	rep = check_text("md-check.py", text, ".md");
	REQUIRE(rep != NULL);
	CHECK_INT(json_int(table_under(rep, "tables", "Timeline"), "rows"), n + 1);
	CHECK(cells_are(table_under(rep, "tables", "Timeline"), 4));
	cJSON_Delete(rep);
	free(text);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_export__format_names),
	RBD_TEST(test_export__golden_json),
	RBD_TEST(test_export__golden_csv),
	RBD_TEST(test_export__golden_md),
	RBD_TEST(test_export__golden_md_ko),
	RBD_TEST(test_export__deterministic_and_streamed),
	RBD_TEST(test_export__open_incident),
	RBD_TEST(test_export__impact_lists),
	RBD_TEST(test_export__hostile_json_roundtrip),
	RBD_TEST(test_export__hostile_csv_roundtrip),
	RBD_TEST(test_export__hostile_markdown),
	RBD_TEST(test_export__display_quoting),
	RBD_TEST(test_export__callback_error_passes_up),
	RBD_TEST(test_export__buffer_cap_passes_up),
	RBD_TEST(test_export__bad_arguments),
	RBD_TEST(test_export__10k_events),
};

RBD_TEST_MAIN(cases)
