/*
 * test_faults: the store's test fault hook (rbd_store_fault_arm) makes the writer's
 * Nth statement fail with SQLITE_FULL, SQLITE_BUSY or SQLITE_IOERR, and every write
 * path runs with the fault at each of its statements in turn: ingest, claim, result,
 * approval, note, reload. After each run the invariants are checked:
 *  - nothing is spawned without a committed `running` (the action's program reads the
 *    database through its own connection when it starts and logs the state it saw);
 *  - nothing is spawned twice;
 *  - nothing acknowledged is lost (a call that returned 0 is in the database; one
 *    that failed stored nothing and succeeds when retried);
 *  - once the fault clears, no action stays `running` (or `planned`).
 * Plus D8 (a claim whose commit fails spawns nothing and is retried) and D9 (a result
 * whose commit fails is kept and retried; the concurrency slot stays taken till then).
 */
#include "harness.h"
#include "runbookd/app.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/executor.h"
#include "runbookd/ingest.h"
#include "runbookd/metrics.h"
#include "runbookd/ops.h"
#include "runbookd/payload.h"
#include "runbookd/store.h"
#include "runbookd/timeutil.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct env {
	char dir[64];
	char db[128];
	char log[128];
	char cfgpath[128];
	struct rbd_store *store;
	struct rbd_app app;
	sqlite3 *ro;
	int up;
};

static struct env E;
static int keyno;

static void on_commit(void *ctx)
{
	rbd_executor_wake(((struct rbd_app *)ctx)->exec);
}

static void put_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

/* Starts store, app and executor in enforce mode with max_concurrent_actions = conc;
 * the kill switch is on (nothing is claimed) until a test turns it off. */
static int env_open(int conc)
{
	struct rbd_diag diag = { 0 };
	struct rbd_config *cfg = NULL;
	char p[256], text[2048];

	memset(&E, 0, sizeof(E));
	keyno = 0;
	setenv("RBD_UNIT_ALICE_TOKEN", "unit-alice-token-2", 1);
	setenv("RBD_UNIT_BOB_TOKEN", "unit-bob-token-3", 1);
	snprintf(E.dir, sizeof(E.dir), "/tmp/rbd-test-faults.XXXXXX");
	if (!mkdtemp(E.dir))
		return -1;
	snprintf(E.db, sizeof(E.db), "%s/runbookd.db", E.dir);
	snprintf(E.log, sizeof(E.log), "%s/spawned.log", E.dir);
	/* The action: logs its key and the state its own row had when it started. */
	snprintf(p, sizeof(p), "%s/rec.sh", E.dir);
	snprintf(text, sizeof(text), "#!/bin/sh\n"
		 "st=$(sqlite3 -batch -noheader '%s' \"select state from actions where "
		 "instr(rendered, '\\\"$1\\\"') > 0\" 2>&1)\n"
		 "printf '%%s %%s\\n' \"$1\" \"$st\" >> '%s'\n"
		 "[ \"$2\" = slow ] && sleep 0.3\n"
		 "exit 0\n", E.db, E.log);
	put_file(p, text, 0755);
	snprintf(E.cfgpath, sizeof(E.cfgpath), "%s/rules.yaml", E.dir);
	put_file(E.cfgpath, "rules:\n"
		 "  - name: run-it\n"
		 "    matchers: ['alertname = \"HighErrorRate\"']\n"
		 "    action: rec\n"
		 "    params: { key: \"{{ .Labels.service }}\", speed: \"{{ .Labels.speed }}\" }\n"
		 "  - name: ask-first\n"
		 "    matchers: ['alertname = \"NeedsApproval\"']\n"
		 "    action: rec\n"
		 "    params: { key: \"{{ .Labels.service }}\", speed: fast }\n"
		 "    approval: true\n", 0644);
	snprintf(E.cfgpath, sizeof(E.cfgpath), "%s/runbookd.yaml", E.dir);
	snprintf(text, sizeof(text), "listen: 127.0.0.1:0\n"
		 "database: \":memory:\"\n"
		 "mode: enforce\n"
		 "rules: rules.yaml\n"
		 "auth:\n"
		 "  tokens:\n"
		 "    - { name: alice, role: operator, token_env: RBD_UNIT_ALICE_TOKEN }\n"
		 "    - { name: bob, role: ingest, token_env: RBD_UNIT_BOB_TOKEN }\n"
		 "limits:\n"
		 "  max_concurrent_actions: %d\n"
		 "actions:\n"
		 "  rec:\n"
		 "    run: [%s/rec.sh, \"{{ .Params.key }}\", \"{{ .Params.speed }}\"]\n"
		 "    params:\n"
		 "      key: { pattern: \"k[0-9]+\" }\n"
		 "      speed: { one_of: [slow, fast] }\n", conc, E.dir);
	put_file(E.cfgpath, text, 0644);
	if (rbd_config_load(&cfg, E.cfgpath, &diag) != 0) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "  %s\n", diag.msgs[i]);
		rbd_diag_clear(&diag);
		return -1;
	}
	if (rbd_store_open(&E.store, E.db, RBD_STORE_MIGRATE) != 0 ||
	    rbd_app_init(&E.app, E.cfgpath, cfg, E.store) != 0) {
		fprintf(stderr, "  open: %s\n", rbd_err_msg());
		return -1;
	}
	atomic_store(&E.app.paused, true);
	if (rbd_executor_start(&E.app.exec, &E.app) != 0)
		return -1;
	rbd_store_on_commit(E.store, on_commit, &E.app);
	if (sqlite3_open_v2(E.db, &E.ro, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(E.ro, 5000);
	E.up = 1;
	return 0;
}

static void env_close(void)
{
	char cmd[200];

	if (!E.up)
		return;
	rbd_store_fault_arm(E.store, 0, 0, 0);
	rbd_store_on_commit(E.store, NULL, NULL);
	rbd_executor_stop(E.app.exec);
	E.app.exec = NULL;
	sqlite3_close(E.ro);
	rbd_app_destroy(&E.app);
	rbd_store_close(E.store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", E.dir);
	if (!rbd_test_case_failed && system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", E.dir);
	else if (rbd_test_case_failed)
		fprintf(stderr, "  kept %s\n", E.dir);
	E.up = 0;
}

static int64_t q_int(const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(E.ro, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The state of the action whose rendering carries key, "" when none. */
static const char *state_of(const char *key)
{
	static char out[32];
	char sql[256];
	sqlite3_stmt *st = NULL;

	snprintf(sql, sizeof(sql), "select state from actions where instr(rendered, '\"%s\"') > 0",
		 key);
	out[0] = '\0';
	if (sqlite3_prepare_v2(E.ro, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* How many times key was spawned; *bad counts spawns that did not see `running`. */
static int spawned(const char *key, int *bad)
{
	size_t len = 0;
	char *log = rbd_test_slurp(E.log, &len), *line, *save = NULL;
	size_t klen = strlen(key);
	int n = 0;

	if (bad)
		*bad = 0;
	if (!log)
		return 0;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		n++;
		if (bad && strcmp(line + klen + 1, "running") != 0)
			(*bad)++;
	}
	free(log);
	return n;
}

static double metric(const char *series)
{
	struct rbd_buf b = RBD_BUF_INIT(0);
	const char *p;
	double v = 0;

	rbd_metrics_render(&b, E.app.metrics);
	p = strstr(rbd_buf_cstr(&b), series);
	if (p)
		v = strtod(p + strlen(series), NULL);
	rbd_buf_free(&b);
	return v;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Polls (10 ms steps) until key's action is in state, up to ms; true when it is. */
static bool wait_state(const char *key, const char *state, int ms)
{
	int64_t end = rbd_mono_ms() + ms;

	do {
		if (strcmp(state_of(key), state) == 0)
			return true;
		sleep_ms(10);
	} while (rbd_mono_ms() < end);
	return false;
}

/* A firing notification of its own group and episode for key (k<N>). */
static struct rbd_notification *notification(const char *alertname, const char *key,
					      const char *speed)
{
	char body[2048];
	struct rbd_notification *n = NULL;
	unsigned fp = (unsigned)strtoul(key + 1, NULL, 10);

	snprintf(body, sizeof(body),
		 "{\"receiver\":\"r\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
		 "\"labels\":{\"alertname\":\"%s\",\"service\":\"%s\",\"speed\":\"%s\"},"
		 "\"annotations\":{},\"startsAt\":\"2026-11-25T07:55:47Z\","
		 "\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://p/g\","
		 "\"fingerprint\":\"%016x\"}],\"groupLabels\":{\"service\":\"%s\"},"
		 "\"commonLabels\":{},\"commonAnnotations\":{},\"externalURL\":\"http://am\","
		 "\"version\":\"4\",\"groupKey\":\"{}:{service=\\\"%s\\\"}\",\"truncatedAlerts\":0}",
		 alertname, key, speed, fp, key, key);
	if (rbd_payload_parse(&n, body, strlen(body), NULL) != 0)
		fprintf(stderr, "  parse: %s\n", rbd_err_msg());
	return n;
}

static void next_key(char *key, size_t n)
{
	snprintf(key, n, "k%d", ++keyno);
}

/* Ingests key until it is stored (retrying like Alertmanager); the first call's code. */
static int ingest_key(const char *alertname, const char *key, const char *speed, int64_t *incident)
{
	struct rbd_notification *n = notification(alertname, key, speed);
	struct rbd_ingest_result res = { 0 };
	int rc;

	if (!n)
		return -1;
	rc = rbd_ingest(&res, &E.app, n);
	if (rc) {
		rbd_ingest_result_clear(&res);
		memset(&res, 0, sizeof(res));
		rbd_store_fault_arm(E.store, 0, 0, 0);
		if (rbd_ingest(&res, &E.app, n) != 0)
			fprintf(stderr, "  retry of %s failed: %s\n", key, rbd_err_msg());
	}
	if (incident)
		*incident = res.n_ids ? res.incident_ids[0] : 0;
	rbd_ingest_result_clear(&res);
	rbd_notification_free(n);
	return rc;
}

static void run_executor(bool on)
{
	atomic_store(&E.app.paused, !on);
	rbd_executor_wake(E.app.exec);
}

/* Every action settled, none spawned twice or without a committed `running`. */
static void check_settled(const char *where)
{
	int64_t open_ = 0, end = rbd_mono_ms() + 10000;
	char sql[64];

	do {
		open_ = q_int("select count(*) from actions where state in ('running', 'planned', 'approved')");
		if (open_ == 0)
			break;
		sleep_ms(10);
	} while (rbd_mono_ms() < end);
	if (open_ != 0)
		fprintf(stderr, "  %s: %lld actions still running/planned\n", where, (long long)open_);
	CHECK_INT(open_, 0);
	for (int k = 1; k <= keyno; k++) {
		char key[16];
		int bad, n;

		snprintf(key, sizeof(key), "k%d", k);
		n = spawned(key, &bad);
		if (n > 1 || bad)
			fprintf(stderr, "  %s: %s spawned %d times, %d without `running`\n", where, key, n,
				bad);
		CHECK(n <= 1);
		CHECK_INT(bad, 0);
		if (strcmp(state_of(key), "succeeded") == 0 && n != 1)
			fprintf(stderr, "  %s: %s succeeded but spawned %d times\n", where, key, n);
	}
	snprintf(sql, sizeof(sql), "select count(*) from actions where state = 'running'");
	CHECK_INT(q_int(sql), 0);
}

/* D8: a claim whose commit fails starts nothing; it is retried after a backoff. */
static void test_faults__claim_commit_failure_spawns_nothing(void)
{
	char key[16];

	REQUIRE(env_open(2) == 0);
	next_key(key, sizeof(key));
	CHECK_INT(ingest_key("HighErrorRate", key, "fast", NULL), 0);
	CHECK_STR(state_of(key), "planned");
	rbd_store_fault_arm(E.store, 1, -1, RBD_FAULT_FULL);   /* every write fails */
	run_executor(true);
	for (int64_t end = rbd_mono_ms() + 5000; rbd_mono_ms() < end &&
	     metric("runbookd_action_commit_retries_total{step=\"claim\"} ") < 3;)
		sleep_ms(20);
	CHECK(metric("runbookd_action_commit_retries_total{step=\"claim\"} ") >= 3);
	CHECK_INT(spawned(key, NULL), 0);
	CHECK_STR(state_of(key), "planned");
	/* Backoff: a handful of attempts in that time, not a tight loop. */
	CHECK(rbd_store_fault_hits(E.store) < 40);
	rbd_store_fault_arm(E.store, 0, 0, 0);
	CHECK(wait_state(key, "succeeded", 10000));
	CHECK_INT(spawned(key, NULL), 1);
	check_settled("claim");
	env_close();
}

/* D9: a result whose commit fails is kept and retried; the slot is held until then. */
static void test_faults__result_commit_failure_is_retried(void)
{
	char a[16], b[16];
	int64_t end;

	REQUIRE(env_open(1) == 0);
	next_key(a, sizeof(a));
	next_key(b, sizeof(b));
	CHECK_INT(ingest_key("HighErrorRate", a, "slow", NULL), 0);
	CHECK_INT(ingest_key("HighErrorRate", b, "fast", NULL), 0);
	run_executor(true);
	for (end = rbd_mono_ms() + 10000; rbd_mono_ms() < end && !spawned(a, NULL);)
		sleep_ms(5);
	REQUIRE(spawned(a, NULL) == 1);
	rbd_store_fault_arm(E.store, 1, -1, RBD_FAULT_IOERR);  /* a's result cannot be stored */
	for (end = rbd_mono_ms() + 10000; rbd_mono_ms() < end &&
	     metric("runbookd_action_commit_retries_total{step=\"result\"} ") < 3;)
		sleep_ms(20);
	CHECK(metric("runbookd_action_commit_retries_total{step=\"result\"} ") >= 3);
	CHECK_STR(state_of(a), "running");
	CHECK_INT(spawned(b, NULL), 0);    /* the one slot is still a's */
	rbd_store_fault_arm(E.store, 0, 0, 0);
	CHECK(wait_state(a, "succeeded", 10000));
	CHECK(wait_state(b, "succeeded", 10000));
	CHECK_INT(spawned(a, NULL), 1);
	CHECK_INT(spawned(b, NULL), 1);
	check_settled("result");
	env_close();
}

static const char *const kinds[] = { "FULL", "BUSY", "IOERR" };

/* Statements the writer runs for one clean ingest (no fault fires). */
static int measure(int (*op)(const char *key, bool *acked), const char *setup_alert)
{
	char key[16];
	bool acked;

	next_key(key, sizeof(key));
	if (setup_alert)
		ingest_key(setup_alert, key, "fast", NULL);
	rbd_store_fault_arm(E.store, 1000000, 1, RBD_FAULT_FULL);
	op(key, &acked);
	return rbd_store_fault_seen(E.store);
}

static int op_ingest(const char *key, bool *acked)
{
	struct rbd_notification *n = notification("HighErrorRate", key, "fast");
	struct rbd_ingest_result res = { 0 };
	int rc = rbd_ingest(&res, &E.app, n);

	*acked = rc == 0;
	rbd_ingest_result_clear(&res);
	rbd_notification_free(n);
	return rc;
}

static int64_t action_of(const char *key)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "select id from actions where instr(rendered, '\"%s\"') > 0", key);
	return q_int(sql);
}

static int op_approve(const char *key, bool *acked)
{
	int rc = rbd_ops_decide(&E.app, action_of(key), "alice", true, "ok");

	*acked = rc == 0;
	return rc;
}

static int op_note(const char *key, bool *acked)
{
	char sql[200], text[64];
	int rc;

	snprintf(sql, sizeof(sql), "select incident_id from actions where instr(rendered, '\"%s\"') > 0",
		 key);
	snprintf(text, sizeof(text), "note for %s", key);
	rc = rbd_ops_note(&E.app, q_int(sql), "alice", text);
	*acked = rc == 0;
	return rc;
}

static int64_t notes_of(const char *key)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "select count(*) from events where kind = 'note.added' and "
		 "instr(detail, 'note for %s\"') > 0", key);
	return q_int(sql);
}

/* Runs op with the fault at each of its statements in turn, for each kind. */
static void sweep(const char *name, int (*op)(const char *key, bool *acked), const char *alert,
		  int *runs, int *faults)
{
	int n = measure(op, alert) + 2;

	check_settled(name);
	for (int kind = 0; kind < 3; kind++) {
		for (int at = 1; at <= n; at++) {
			char key[16], where[64];
			bool acked = false;
			int rc;

			next_key(key, sizeof(key));
			snprintf(where, sizeof(where), "%s %s at %d", name, kinds[kind], at);
			if (alert)
				ingest_key(alert, key, "fast", NULL);
			rbd_store_fault_arm(E.store, at, 1, kind);
			rc = op(key, &acked);
			*faults += rbd_store_fault_hits(E.store);
			(*runs)++;
			rbd_store_fault_arm(E.store, 0, 0, 0);
			if (!acked) {         /* the caller retries what was refused */
				CHECK(rc != 0);
				rc = op(key, &acked);
				if (rc)
					fprintf(stderr, "  %s: retry failed: %s\n", where, rbd_err_msg());
				CHECK_INT(rc, 0);
			}
			if (op == op_ingest)
				CHECK(wait_state(key, "succeeded", 10000));
			if (op == op_approve)
				CHECK(wait_state(key, "succeeded", 10000));
			if (op == op_note)
				CHECK_INT(notes_of(key), 1);
			check_settled(where);
			if (rbd_test_case_failed) {
				fprintf(stderr, "  first failure at %s\n", where);
				return;
			}
		}
	}
}

/* Every write path with each statement failing in turn; the invariants after each. */
static void test_faults__every_write_path_every_statement(void)
{
	int runs = 0, faults = 0, n, reload_seen;
	char key[16];

	REQUIRE(env_open(1) == 0);
	run_executor(true);
	/* Ingest: the executor claims and runs what it plans right away. */
	sweep("ingest", op_ingest, NULL, &runs, &faults);
	/* Approval and note on an action waiting for an operator. */
	sweep("approval", op_approve, "NeedsApproval", &runs, &faults);
	sweep("note", op_note, "NeedsApproval", &runs, &faults);
	/* Claim and result: the executor's own writes, faulted at each in turn. */
	next_key(key, sizeof(key));
	run_executor(false);
	ingest_key("HighErrorRate", key, "fast", NULL);
	rbd_store_fault_arm(E.store, 1000000, 1, RBD_FAULT_FULL);
	run_executor(true);
	CHECK(wait_state(key, "succeeded", 10000));
	n = rbd_store_fault_seen(E.store) + 2;
	for (int kind = 0; kind < 3 && !rbd_test_case_failed; kind++) {
		for (int at = 1; at <= n && !rbd_test_case_failed; at++) {
			char where[64];

			snprintf(where, sizeof(where), "claim/result %s at %d", kinds[kind], at);
			next_key(key, sizeof(key));
			run_executor(false);
			ingest_key("HighErrorRate", key, "fast", NULL);
			rbd_store_fault_arm(E.store, at, 1, kind);
			run_executor(true);
			CHECK(wait_state(key, "succeeded", 10000));
			faults += rbd_store_fault_hits(E.store);
			runs++;
			rbd_store_fault_arm(E.store, 0, 0, 0);
			check_settled(where);
			if (rbd_test_case_failed)
				fprintf(stderr, "  first failure at %s\n", where);
		}
	}
	/* Reload writes nothing to the database: a fault armed at every statement leaves
	 * it working. */
	check_settled("before reload");
	rbd_store_on_commit(E.store, NULL, NULL);
	rbd_executor_stop(E.app.exec);     /* its expiry sweep writes, paused or not */
	E.app.exec = NULL;
	rbd_store_fault_arm(E.store, 1, -1, RBD_FAULT_IOERR);
	CHECK_INT(rbd_app_reload(&E.app), 0);
	reload_seen = rbd_store_fault_seen(E.store);
	CHECK_INT(reload_seen, 0);
	rbd_store_fault_arm(E.store, 0, 0, 0);
	CHECK_INT(q_int("select count(*) from actions where state not in ('succeeded', "
			"'pending_approval')"), 0);
	CHECK_INT(q_int("select count(*) from alerts"), keyno);
	fprintf(stderr, "  %d faulted runs, %d faults injected\n", runs, faults);
	CHECK(faults >= runs / 2);
	env_close();
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_faults__claim_commit_failure_spawns_nothing),
	RBD_TEST(test_faults__result_commit_failure_is_retried),
	RBD_TEST(test_faults__every_write_path_every_statement),
};

RBD_TEST_MAIN(cases)
