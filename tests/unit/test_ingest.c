/*
 * test_ingest: real Alertmanager 0.25 captures (tests/fixtures/alertmanager-0.25),
 * parsed with rbd_payload_parse and ingested into a temporary store under the config
 * in tests/fixtures/unit/ingest.yaml: one incident per group episode, the same
 * notification 100 times (also from 4 threads) stored once and planned once, a
 * resolved notification that resolves the incident, cancels what waits and plans the
 * `on: resolved` rules once, dry-run mode recording the exact argv, refused params
 * skipped with the reason, a truncated group resolved to the end, and the timeline's
 * event kinds in order. Nothing runs: ingest only plans.
 */
#include "harness.h"
#include "appenv.h"
#include "runbookd/app.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/ingest.h"
#include "runbookd/payload.h"
#include "runbookd/store.h"
#include "runbookd/timeutil.h"

#include <cJSON.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#define ERR_GROUP "{}:{alertname=\"HighErrorRate\", service=\"order-api\"}"
#define LAT_GROUP "{}:{alertname=\"HighLatencyP99\", service=\"order-api\"}"
#define DISK_GROUP "{}:{alertname=\"DiskFull\", service=\"mysql\"}"

/* A capture, optionally with every `from` replaced by `to`, parsed. */
static struct rbd_notification *capture_edit(const char *name, const char *from, const char *to)
{
	struct rbd_notification *n = NULL;
	struct rbd_buf b = RBD_BUF_INIT(0);
	char rel[256];
	size_t len = 0;
	char *body;

	snprintf(rel, sizeof(rel), "alertmanager-0.25/%s", name);
	body = rbd_test_slurp(rbd_test_fixture(rel), &len);
	if (!body) {
		fprintf(stderr, "  cannot read %s\n", rel);
		return NULL;
	}
	if (from) {
		const char *p = body, *q;

		while ((q = strstr(p, from))) {
			rbd_buf_append(&b, p, (size_t)(q - p));
			rbd_buf_puts(&b, to);
			p = q + strlen(from);
		}
		rbd_buf_puts(&b, p);
		free(body);
		len = b.len;
		body = rbd_buf_steal(&b);
	}
	if (rbd_payload_parse(&n, body, len, NULL) != 0)
		fprintf(stderr, "  parse %s: %s\n", name, rbd_err_msg());
	free(body);
	return n;
}

static struct rbd_notification *capture(const char *name)
{
	return capture_edit(name, NULL, NULL);
}

/* Ingests a capture once; returns rbd_ingest's code, result in *res (caller clears). */
static int ingest_n(struct rbd_test_env *e, const struct rbd_notification *n, struct rbd_ingest_result *res)
{
	int rc = rbd_ingest(res, &e->app, n);

	if (rc)
		fprintf(stderr, "  ingest: %s\n", rbd_err_msg());
	return rc;
}

/* Ingests a capture file and returns the (single) incident id, 0 on failure. */
static int64_t ingest_file(struct rbd_test_env *e, const char *name)
{
	struct rbd_notification *n = capture(name);
	struct rbd_ingest_result res;
	int64_t id = 0;

	if (!n)
		return 0;
	if (ingest_n(e, n, &res) == 0 && res.n_ids == 1)
		id = res.incident_ids[0];
	rbd_ingest_result_clear(&res);
	rbd_notification_free(n);
	return id;
}

/* The actions of an incident, oldest first. */
struct actions {
	struct rbd_action_rec *v;
	size_t n;
};

static int actions_load(struct actions *a, struct rbd_test_env *e, int64_t incident)
{
	int rc = rbd_store_actions(e->store, &a->v, &a->n, incident, NULL, 1000);

	for (size_t i = 0; !rc && i < a->n / 2; i++) {
		struct rbd_action_rec t = a->v[i];

		a->v[i] = a->v[a->n - 1 - i];
		a->v[a->n - 1 - i] = t;
	}
	return rc;
}

static void actions_free(struct actions *a)
{
	for (size_t i = 0; i < a->n; i++)
		rbd_action_rec_clear(&a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* How many actions of rule there are, and the last one in *out (borrowed). */
static int actions_of_rule(const struct actions *a, const char *rule,
			   const struct rbd_action_rec **out)
{
	int n = 0;

	if (out)
		*out = NULL;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].rule, rule) == 0) {
			n++;
			if (out)
				*out = &a->v[i];
		}
	return n;
}

/* The argv of a stored run rendering joined with spaces, argv[0] reduced to its base
 * name (echo resolves to /bin/echo or /usr/bin/echo); NULL when there is none. */
static char *argv_text(const char *rendered_json)
{
	cJSON *r = rendered_json ? cJSON_Parse(rendered_json) : NULL;
	cJSON *argv = cJSON_GetObjectItemCaseSensitive(r, "argv"), *it;
	struct rbd_buf b = RBD_BUF_INIT(0);
	int first = 1;

	if (!cJSON_IsArray(argv)) {
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_ArrayForEach(it, argv) {
		const char *s = cJSON_GetStringValue(it);

		if (!s)
			s = "(not a string)";
		if (first && strrchr(s, '/')) {
			if (s[0] != '/')
				rbd_buf_puts(&b, "(relative)");
			s = strrchr(s, '/') + 1;
		}
		rbd_buf_printf(&b, "%s%s", first ? "" : " ", s);
		first = 0;
	}
	cJSON_Delete(r);
	return rbd_buf_steal(&b);
}

/* The event kinds of an incident's timeline, comma-joined (caller frees). */
static char *timeline(struct rbd_test_env *e, int64_t incident, const char *actor_of)
{
	struct rbd_incident inc;
	struct rbd_event_iter *it = NULL;
	const struct rbd_event *ev;
	struct rbd_buf b = RBD_BUF_INIT(0);
	int rc;

	if (rbd_store_incident(e->store, &inc, incident) != 0)
		return NULL;
	if (rbd_store_events_open(e->store, &it, &inc) != 0) {
		rbd_incident_clear(&inc);
		return NULL;
	}
	while ((rc = rbd_store_events_next(it, &ev)) == 1) {
		rbd_buf_printf(&b, "%s%s", b.len ? "," : "", ev->kind);
		if (actor_of && strcmp(ev->kind, actor_of) == 0)
			rbd_buf_printf(&b, "(%s)", ev->actor);
	}
	rbd_store_events_close(it);
	rbd_incident_clear(&inc);
	if (rc < 0) {
		rbd_buf_free(&b);
		return NULL;
	}
	return rbd_buf_steal(&b);
}

static int count_kind(const char *kinds, const char *kind)
{
	size_t n = strlen(kind);
	int c = 0;

	for (const char *p = kinds; p && (p = strstr(p, kind)); p += n)
		if ((p == kinds || p[-1] == ',') && (p[n] == ',' || p[n] == '\0' || p[n] == '('))
			c++;
	return c;
}

/* One integer from the database file through a raw connection. */
static int64_t raw_int(struct rbd_test_env *e, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(e->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* ---- cases ---- */

static void test_ingest__incident_once_per_group(void)
{
	struct rbd_test_env e;
	struct rbd_notification *n;
	struct rbd_ingest_result res;
	struct rbd_incident inc;
	int64_t err, lat, disk, again;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE((n = capture("firing-high-error-rate.json")));
	REQUIRE(ingest_n(&e, n, &res) == 0);
	CHECK_INT(res.accepted, 1);
	CHECK_INT(res.new_episodes, 1);
	CHECK_INT(res.n_ids, 1);
	err = res.n_ids ? res.incident_ids[0] : 0;
	CHECK(err > 0);
	rbd_ingest_result_clear(&res);
	rbd_notification_free(n);

	lat = ingest_file(&e, "firing-high-latency.json");
	disk = ingest_file(&e, "firing-disk-full-truncated.json");
	again = ingest_file(&e, "firing-high-error-rate.json");
	CHECK(lat > 0 && disk > 0);
	CHECK(lat != err && disk != err && disk != lat);
	CHECK_INT(again, err);
	/* The truncated group's later notification stays in its incident. */
	CHECK_INT(ingest_file(&e, "mixed-disk-full-truncated.json"), disk);

	REQUIRE(rbd_store_incident(e.store, &inc, err) == 0);
	CHECK_STR(inc.status, "open");
	CHECK_STR(inc.group_key, ERR_GROUP);
	CHECK(inc.title && strstr(inc.title, "HighErrorRate") && strstr(inc.title, "order-api"));
	CHECK(inc.resolved_ms == 0);
	rbd_incident_clear(&inc);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents"), 3);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents WHERE status = 'open'"), 3);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM alerts"), 5);
	rbd_test_env_close(&e);
}

static void test_ingest__same_notification_100_times(void)
{
	struct rbd_test_env e;
	struct rbd_notification *n;
	struct rbd_ingest_result res;
	struct actions a = { 0 };
	const struct rbd_action_rec *x;
	int64_t id = 0;
	int planned = 0, episodes = 0, bad = 0;
	char *kinds;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE((n = capture("firing-high-latency.json")));
	for (int i = 0; i < 100; i++) {
		if (ingest_n(&e, n, &res) != 0 || res.n_ids != 1 ||
		    (id && res.incident_ids[0] != id))
			bad++;
		else
			id = res.incident_ids[0];
		planned += res.planned;
		episodes += res.new_episodes;
		rbd_ingest_result_clear(&res);
	}
	rbd_notification_free(n);
	CHECK_INT(bad, 0);
	CHECK_INT(planned, 1);
	CHECK_INT(episodes, 1);
	REQUIRE(actions_load(&a, &e, id) == 0);
	CHECK_INT(a.n, 1);
	CHECK_INT(actions_of_rule(&a, "latency-stop-loadtest", &x), 1);
	if (x) {
		char *argv = argv_text(x->rendered_json);

		CHECK_STR(x->state, "planned");               /* enforce, no gate in the way */
		CHECK(!x->dry_run);
		CHECK_STR(argv, "echo compose stop loadtest");
		free(argv);
	}
	actions_free(&a);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM alerts"), 1);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents"), 1);
	/* Every delivery is on record; only the first changed anything. */
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM notifications"), 100);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM notifications WHERE changed = 1"), 1);
	kinds = timeline(&e, id, NULL);
	REQUIRE(kinds);
	CHECK_INT(count_kind(kinds, "notification.received"), 1);
	CHECK_INT(count_kind(kinds, "alert.firing"), 1);
	CHECK_INT(count_kind(kinds, "action.planned"), 1);
	free(kinds);
	rbd_test_env_close(&e);
}

struct racer {
	struct rbd_test_env *e;
	const struct rbd_notification *n;
	int planned, episodes, failures;
	int64_t ids[2];
};

static void *race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 25; i++) {
		struct rbd_ingest_result res;

		if (rbd_ingest(&res, &r->e->app, r->n) != 0 || res.n_ids != 1) {
			r->failures++;
		} else {
			r->planned += res.planned;
			r->episodes += res.new_episodes;
			r->ids[i ? 1 : 0] = res.incident_ids[0];
		}
		rbd_ingest_result_clear(&res);
	}
	return NULL;
}

static void test_ingest__same_notification_from_4_threads(void)
{
	struct rbd_test_env e;
	struct rbd_notification *n;
	struct racer r[4];
	pthread_t th[4];
	int planned = 0, episodes = 0, failures = 0;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE((n = capture("firing-high-error-rate.json")));
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ .e = &e, .n = n };
		REQUIRE(pthread_create(&th[i], NULL, race, &r[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		planned += r[i].planned;
		episodes += r[i].episodes;
		failures += r[i].failures;
	}
	CHECK_INT(failures, 0);
	CHECK_INT(episodes, 1);
	CHECK_INT(planned, 2);             /* errors-restart-app and errors-restart-service */
	for (int i = 1; i < 4; i++)
		CHECK(r[i].ids[0] == r[0].ids[0] && r[i].ids[1] == r[0].ids[0]);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents"), 1);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM alerts"), 1);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM actions"), 2);
	rbd_notification_free(n);
	rbd_test_env_close(&e);
}

static void test_ingest__resolved_cancels_and_plans_on_resolved(void)
{
	struct rbd_test_env e;
	struct rbd_notification *fire, *res_n;
	struct rbd_ingest_result res;
	struct rbd_incident inc;
	struct actions a = { 0 };
	const struct rbd_action_rec *x;
	int64_t id, pending = 0;
	char want[128];

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	REQUIRE((fire = capture("firing-high-error-rate.json")));
	REQUIRE((res_n = capture("resolved-high-error-rate.json")));
	REQUIRE(ingest_n(&e, fire, &res) == 0);
	REQUIRE(res.n_ids == 1);
	id = res.incident_ids[0];
	CHECK_INT(res.planned, 2);
	CHECK_INT(res.pending_approval, 1);
	if (res.pending_approval == 1)
		pending = res.pending_ids[0];
	rbd_ingest_result_clear(&res);

	REQUIRE(ingest_n(&e, res_n, &res) == 0);
	CHECK_INT(res.n_ids, 1);
	CHECK(res.n_ids == 1 && res.incident_ids[0] == id);
	CHECK_INT(res.planned, 1);                         /* errors-verify */
	CHECK_INT(res.pending_approval, 0);
	CHECK_INT(res.new_episodes, 0);
	rbd_ingest_result_clear(&res);

	REQUIRE(rbd_store_incident(e.store, &inc, id) == 0);
	CHECK_STR(inc.status, "resolved");
	CHECK(inc.resolved_ms > 0);
	rbd_incident_clear(&inc);

	REQUIRE(actions_load(&a, &e, id) == 0);
	CHECK_INT(a.n, 3);
	CHECK_INT(actions_of_rule(&a, "errors-restart-app", &x), 1);
	if (x) {
		CHECK_INT(x->id, pending);
		CHECK_STR(x->state, "cancelled");
		CHECK(x->reason && strstr(x->reason, "resolved"));
		CHECK(x->finished_ms > 0);
		CHECK(x->requires_approval);
	}
	CHECK_INT(actions_of_rule(&a, "errors-restart-service", &x), 1);
	if (x)
		CHECK_STR(x->state, "skipped");                /* terminal: not cancelled */
	CHECK_INT(actions_of_rule(&a, "errors-verify", &x), 1);
	if (x) {
		char *argv = argv_text(x->rendered_json);

		CHECK_STR(x->state, "planned");
		snprintf(want, sizeof(want), "true verify errors-verify %lld", (long long)id);
		CHECK_STR(argv, want);
		free(argv);
	}
	actions_free(&a);

	/* The resolved notification again (a retry), and the firing one late: nothing new. */
	REQUIRE(ingest_n(&e, res_n, &res) == 0);
	CHECK_INT(res.planned, 0);
	CHECK(res.n_ids == 1 && res.incident_ids[0] == id);
	rbd_ingest_result_clear(&res);
	REQUIRE(ingest_n(&e, fire, &res) == 0);
	CHECK_INT(res.planned, 0);
	CHECK_INT(res.new_episodes, 0);
	rbd_ingest_result_clear(&res);
	REQUIRE(actions_load(&a, &e, id) == 0);
	CHECK_INT(a.n, 3);
	CHECK_INT(actions_of_rule(&a, "errors-verify", NULL), 1);
	actions_free(&a);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents"), 1);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents WHERE status = 'resolved'"), 1);
	rbd_notification_free(fire);
	rbd_notification_free(res_n);
	rbd_test_env_close(&e);
}

static void test_ingest__new_episode_after_resolution_opens_new_incident(void)
{
	struct rbd_test_env e;
	struct rbd_notification *n;
	struct rbd_ingest_result res;
	int64_t first, second = 0;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	first = ingest_file(&e, "firing-high-error-rate.json");
	REQUIRE(first > 0);
	REQUIRE(ingest_file(&e, "resolved-high-error-rate.json") == first);
	/* The same alert fires again later: a new episode (new startsAt). */
	REQUIRE((n = capture_edit("firing-high-error-rate.json", "2026-11-25T07:55:47.033226765Z",
				  "2026-11-25T09:00:00.5Z")));
	REQUIRE(ingest_n(&e, n, &res) == 0);
	CHECK_INT(res.new_episodes, 1);
	CHECK_INT(res.n_ids, 1);
	if (res.n_ids)
		second = res.incident_ids[0];
	CHECK(second > first);
	CHECK_INT(res.planned, 2);                         /* a new episode plans again */
	rbd_ingest_result_clear(&res);
	rbd_notification_free(n);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents WHERE status = 'open'"), 1);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM alerts"), 2);
	rbd_test_env_close(&e);
}

static void test_ingest__dry_run_mode_records_argv(void)
{
	struct rbd_test_env e;
	struct actions a = { 0 };
	const struct rbd_action_rec *x;
	int64_t lat, err;
	char *kinds;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest-dryrun.yaml") == 0);
	lat = ingest_file(&e, "firing-high-latency.json");
	err = ingest_file(&e, "firing-high-error-rate.json");
	REQUIRE(lat > 0 && err > 0);

	REQUIRE(actions_load(&a, &e, lat) == 0);
	CHECK_INT(a.n, 1);
	CHECK_INT(actions_of_rule(&a, "latency-stop-loadtest", &x), 1);
	if (x) {
		char *argv = argv_text(x->rendered_json);

		CHECK_STR(x->state, "dry_run");
		CHECK(x->dry_run);
		CHECK_STR(argv, "echo compose stop loadtest");   /* the exact argv, absolute */
		CHECK(x->reason && strstr(x->reason, "dry-run"));
		CHECK(x->started_ms == 0 && !x->has_exit_code);  /* never ran */
		free(argv);
	}
	actions_free(&a);
	kinds = timeline(&e, lat, NULL);
	REQUIRE(kinds);
	CHECK(strstr(kinds, "rule.matched,action.planned,action.dry_run") != NULL);
	free(kinds);

	/* In dry-run mode an approval rule records dry_run too (nothing waits). */
	REQUIRE(actions_load(&a, &e, err) == 0);
	CHECK_INT(actions_of_rule(&a, "errors-restart-app", &x), 1);
	if (x) {
		char *argv = argv_text(x->rendered_json);

		CHECK_STR(x->state, "dry_run");
		CHECK(x->dry_run);
		CHECK_STR(argv, "echo compose restart app");
		free(argv);
	}
	CHECK_INT(actions_of_rule(&a, "errors-restart-service", &x), 1);
	if (x)
		CHECK_STR(x->state, "skipped");                /* refusal beats dry-run */
	actions_free(&a);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM actions WHERE state IN ('planned', "
			  "'pending_approval', 'approved', 'running')"), 0);
	rbd_test_env_close(&e);
}

static void test_ingest__refused_params_skipped_with_reason(void)
{
	struct rbd_test_env e;
	struct actions a = { 0 };
	const struct rbd_action_rec *x;
	struct rbd_incident inc;
	struct rbd_event_iter *it = NULL;
	const struct rbd_event *ev;
	int64_t id;
	int seen = 0;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	id = ingest_file(&e, "firing-high-error-rate.json");
	REQUIRE(id > 0);
	REQUIRE(actions_load(&a, &e, id) == 0);
	CHECK_INT(actions_of_rule(&a, "errors-restart-service", &x), 1);
	if (x) {
		CHECK_STR(x->state, "skipped");
		CHECK(!x->dry_run);
		CHECK(x->rendered_json == NULL);               /* nothing to approve or run */
		CHECK(x->reason && strncmp(x->reason, "param_refused", 13) == 0);
		CHECK(x->reason && strstr(x->reason, "service"));
	}
	actions_free(&a);
	REQUIRE(rbd_store_incident(e.store, &inc, id) == 0);
	REQUIRE(rbd_store_events_open(e.store, &it, &inc) == 0);
	while (rbd_store_events_next(it, &ev) == 1) {
		cJSON *d;

		if (strcmp(ev->kind, "action.skipped") != 0)
			continue;
		seen++;
		d = cJSON_Parse(ev->detail_json);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "gate")), "param_refused");
		CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(d, "reason")) &&
		      strstr(cJSON_GetStringValue(cJSON_GetObjectItem(d, "reason")), "service"));
		CHECK(ev->action_id > 0);
		cJSON_Delete(d);
	}
	CHECK_INT(seen, 1);
	rbd_store_events_close(it);
	rbd_incident_clear(&inc);
	rbd_test_env_close(&e);
}

static void test_ingest__timeline_kinds_in_order(void)
{
	struct rbd_test_env e;
	int64_t id;
	char *kinds;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	id = ingest_file(&e, "firing-high-error-rate.json");
	REQUIRE(id > 0);
	REQUIRE(ingest_file(&e, "resolved-high-error-rate.json") == id);
	kinds = timeline(&e, id, "alert.firing");
	REQUIRE(kinds);
	CHECK_STR(kinds,
		  "incident.opened,notification.received,alert.firing(alertmanager),"
		  "rule.matched,action.planned,action.pending_approval,"
		  "rule.matched,action.planned,action.skipped,"
		  "notification.received,alert.resolved,action.cancelled,"
		  "rule.matched,action.planned,incident.resolved");
	free(kinds);
	rbd_test_env_close(&e);
}

static void test_ingest__truncated_group_to_the_end(void)
{
	struct rbd_test_env e;
	struct actions a = { 0 };
	struct rbd_incident inc;
	int64_t id;
	char *kinds;
	int cancelled = 0, planned = 0;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	id = ingest_file(&e, "firing-disk-full-truncated.json");
	REQUIRE(id > 0);
	REQUIRE(actions_load(&a, &e, id) == 0);
	CHECK_INT(actions_of_rule(&a, "disk-cleanup", NULL), 3);
	for (size_t i = 0; i < a.n; i++) {
		char *argv = argv_text(a.v[i].rendered_json);

		CHECK(argv && strncmp(argv, "echo cleanup vd", 15) == 0);
		free(argv);
	}
	actions_free(&a);

	/* vd1 resolves while the group still fires: its queued action is cancelled. */
	REQUIRE(ingest_file(&e, "mixed-disk-full-truncated.json") == id);
	REQUIRE(rbd_store_incident(e.store, &inc, id) == 0);
	CHECK_STR(inc.status, "open");
	rbd_incident_clear(&inc);
	REQUIRE(actions_load(&a, &e, id) == 0);
	CHECK_INT(actions_of_rule(&a, "disk-verify", NULL), 1);
	for (size_t i = 0; i < a.n; i++)
		cancelled += strcmp(a.v[i].state, "cancelled") == 0;
	CHECK_INT(cancelled, 1);
	actions_free(&a);

	/* The group resolves (vd4 first heard of here, resolved): everything settles. */
	REQUIRE(ingest_file(&e, "resolved-disk-full-truncated.json") == id);
	REQUIRE(rbd_store_incident(e.store, &inc, id) == 0);
	CHECK_STR(inc.status, "resolved");
	rbd_incident_clear(&inc);
	REQUIRE(actions_load(&a, &e, id) == 0);
	CHECK_INT(actions_of_rule(&a, "disk-cleanup", NULL), 3);
	CHECK_INT(actions_of_rule(&a, "disk-verify", NULL), 4);   /* vd1..vd4, once each */
	cancelled = 0;
	for (size_t i = 0; i < a.n; i++) {
		cancelled += strcmp(a.v[i].state, "cancelled") == 0;
		planned += strcmp(a.v[i].state, "planned") == 0;
	}
	CHECK_INT(cancelled, 3);
	CHECK_INT(planned, 4);
	actions_free(&a);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM alerts"), 4);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM alerts WHERE status = 'firing'"), 0);
	kinds = timeline(&e, id, NULL);
	REQUIRE(kinds);
	CHECK_INT(count_kind(kinds, "incident.opened"), 1);
	CHECK_INT(count_kind(kinds, "incident.resolved"), 1);
	CHECK_INT(count_kind(kinds, "alert.firing"), 3);
	CHECK_INT(count_kind(kinds, "alert.resolved"), 4);
	CHECK_INT(count_kind(kinds, "notification.received"), 3);
	free(kinds);
	rbd_test_env_close(&e);
}

/*
 * SPEC: an incident is "opened by the first firing notification of a group with no
 * open incident". Alertmanager sends the same alert under a second groupKey when two
 * routes lead to runbookd (`continue: true`) or after group_by changes; the episode is
 * stored once, but the second group's first firing notification still opens that
 * group's incident, and the answer names it.
 */
static void test_ingest__same_alert_in_a_second_group(void)
{
	struct rbd_test_env e;
	struct rbd_notification *n;
	struct rbd_ingest_result res;
	int64_t first;

	REQUIRE(rbd_test_env_open(&e, "unit/ingest.yaml") == 0);
	first = ingest_file(&e, "firing-high-error-rate.json");
	REQUIRE(first > 0);
	REQUIRE((n = capture_edit("firing-high-error-rate.json", "\"groupKey\":\"{}:{",
				  "\"groupKey\":\"{}/{team=\\\"payments\\\"}:{")));
	REQUIRE(strcmp(n->group_key, ERR_GROUP) != 0);
	REQUIRE(ingest_n(&e, n, &res) == 0);
	CHECK_INT(res.new_episodes, 0);                    /* the episode is stored once */
	CHECK_INT(res.planned, 0);                         /* and planned once */
	CHECK_INT(res.n_ids, 1);
	CHECK(res.n_ids == 1 && res.incident_ids[0] != first);
	rbd_ingest_result_clear(&res);
	rbd_notification_free(n);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM incidents"), 2);
	CHECK_INT(raw_int(&e, "SELECT count(*) FROM alerts"), 1);
	rbd_test_env_close(&e);
}

static void test_ingest__labels_to_json(void)
{
	struct rbd_labelset ls = { 0 };
	char *s;

	s = rbd_labels_to_json(&ls);
	CHECK_STR(s, "{}");
	free(s);
	rbd_labels_set(&ls, "b", "quote\"nl\n");
	rbd_labels_set(&ls, "a", "x");
	s = rbd_labels_to_json(&ls);
	CHECK_STR(s, "{\"a\":\"x\",\"b\":\"quote\\\"nl\\n\"}");
	free(s);
	rbd_labels_clear(&ls);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_ingest__incident_once_per_group),
	RBD_TEST(test_ingest__same_notification_100_times),
	RBD_TEST(test_ingest__same_notification_from_4_threads),
	RBD_TEST(test_ingest__resolved_cancels_and_plans_on_resolved),
	RBD_TEST(test_ingest__new_episode_after_resolution_opens_new_incident),
	RBD_TEST(test_ingest__dry_run_mode_records_argv),
	RBD_TEST(test_ingest__refused_params_skipped_with_reason),
	RBD_TEST(test_ingest__timeline_kinds_in_order),
	RBD_TEST(test_ingest__truncated_group_to_the_end),
	RBD_TEST(test_ingest__same_alert_in_a_second_group),
	RBD_TEST(test_ingest__labels_to_json),
};

RBD_TEST_MAIN(cases)
