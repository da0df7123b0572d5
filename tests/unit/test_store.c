/*
 * test_store: the SQLite store on a temporary file: migrations applied once and
 * recorded, an unmigrated database refused, the group-committing writer (a failing
 * job rolls back alone and its message reaches its caller, 8 threads x 200 writes all
 * committed in fewer commits than jobs), episode dedup, incidents, the uniqueness of
 * (rule, alert, on_status) actions, conditional state transitions, approvals by
 * distinct operators, the counters the gates read, the timeline iterator, and the
 * append-only events table (checked through a raw sqlite3 handle, as a forger would).
 *
 * The same cases run again against PostgreSQL when RBD_TEST_PG_URL names a cluster
 * (the ctest fixture starts one: tests/scripts/pg-start.sh), each on a fresh database;
 * the few that are about SQLite's file are marked SQLite-only.
 */
#include "harness.h"
#include "runbookd/err.h"
#include "runbookd/store.h"
#include "runbookd/timeutil.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#define T INT64_C(1790000000000)     /* a fixed "now" for the counters */
#define MIN INT64_C(60000)
#define HOUR (60 * MIN)

/* ---- temporary databases ---- */

struct tmpdb {
	char dir[64];
	char path[512];
};

/* The PostgreSQL pass: the cluster's URL (postgresql://USER@/DB?host=DIR); NULL: SQLite. */
static const char *pg_base;

/* base with its database name replaced by db. */
static void pg_url(char *out, size_t cap, const char *db)
{
	const char *q = strchr(pg_base, '?');
	const char *slash = pg_base + strlen(pg_base);

	for (const char *p = pg_base; *p && (!q || p < q); p++)
		if (*p == '/')
			slash = p;
	snprintf(out, cap, "%.*s/%s%s", (int)(slash - pg_base), pg_base, db, q ? q : "");
}

static int pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(pg_base);
	PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "  %s: %s\n", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

static int tmpdb_make(struct tmpdb *t)
{
	static int seq;

	if (pg_base) {
		char sql[160];

		snprintf(t->dir, sizeof(t->dir), "rbd_ts_%d_%d", (int)getpid(), ++seq);
		pg_url(t->path, sizeof(t->path), t->dir);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->dir);
		return pg_admin(sql);
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/rbd-test-store.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/runbookd.db", t->dir);
	return 0;
}

static void tmpdb_remove(struct tmpdb *t)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[600];

	if (pg_base) {
		snprintf(p, sizeof(p), "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->dir);
		pg_admin(p);
		return;
	}
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, sfx[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

static struct rbd_store *open_migrated(struct tmpdb *t)
{
	struct rbd_store *s = NULL;

	if (tmpdb_make(t))
		return NULL;
	if (rbd_store_open(&s, t->path, RBD_STORE_MIGRATE) != 0) {
		fprintf(stderr, "  open: %s\n", rbd_err_msg());
		tmpdb_remove(t);
		return NULL;
	}
	return s;
}

static void close_and_remove(struct rbd_store *s, struct tmpdb *t)
{
	rbd_store_close(s);
	tmpdb_remove(t);
}

/* One integer from a raw connection (the test reads the file as any tool would). */
static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (pg_base) {
		PGconn *c = PQconnectdb(path);
		PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;

		if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		else
			fprintf(stderr, "  raw query failed: %s: %s\n", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return v;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (v == -1)
		fprintf(stderr, "  raw query failed: %s: %s\n", sql, db ? sqlite3_errmsg(db) : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* ---- helpers for use inside jobs ---- */

static int64_t mk_incident(struct rbd_tx *tx, const char *group, int64_t now)
{
	int64_t id = 0;

	if (rbd_tx_incident_create(tx, &id, group, "title", "web\\.hook", "{}", now) != 0) {
		fprintf(stderr, "  incident_create: %s\n", rbd_err_msg());
		rbd_test_case_failed = 1;
	}
	return id;
}

static int64_t mk_alert(struct rbd_tx *tx, int64_t incident, const char *fp, int64_t starts_ns)
{
	struct rbd_episode ep;

	if (rbd_tx_episode_upsert(tx, &ep, incident, fp, starts_ns, 0, "firing",
				  "{\"alertname\":\"X\"}", "{}", "", T) != 0) {
		fprintf(stderr, "  episode_upsert: %s\n", rbd_err_msg());
		rbd_test_case_failed = 1;
		return 0;
	}
	return ep.id;
}

static int64_t mk_action(struct rbd_tx *tx, int64_t incident, int64_t alert, const char *rule,
			 const char *on, enum rbd_action_state state, const char *key)
{
	struct rbd_action_new a = {
		.incident_id = incident, .alert_id = alert, .rule = rule, .on_status = on,
		.action = "loadtest_stop", .kind = "run", .state = state,
		.rendered_json = "{\"kind\":\"run\",\"argv\":[\"/bin/true\"],\"timeout_ms\":1000}",
		.command_key = key, .approvals_needed = 1, .now_ms = T,
	};
	int64_t id = -1;

	if (rbd_tx_action_insert(tx, &id, &a) != 0) {
		fprintf(stderr, "  action_insert: %s\n", rbd_err_msg());
		rbd_test_case_failed = 1;
	}
	return id;
}

/* ---- migrations ---- */

static int count_migration_files(void)
{
	const char *src = getenv("RBD_SRC");
	char dir[4096];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/migrations%s", src ? src : ".", pg_base ? "/pg" : "");
	if (!(d = opendir(dir)))
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 4 && strcmp(e->d_name + l - 4, ".sql") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void test_store__migrations_applied_once(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	int files = count_migration_files(), applied = -1;

	REQUIRE(s);
	REQUIRE(files > 0);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM schema_migrations"), files);
	CHECK_INT(raw_int(t.path, "SELECT count(DISTINCT version) FROM schema_migrations"), files);
	CHECK_INT(rbd_store_migrate(s, &applied), 0);
	CHECK_INT(applied, 0);
	CHECK_INT(rbd_store_migrate(s, NULL), 0);
	rbd_store_close(s);

	/* Reopened with and without RBD_STORE_MIGRATE: nothing more is applied. */
	s = NULL;
	REQUIRE(rbd_store_open(&s, t.path, RBD_STORE_MIGRATE) == 0);
	applied = -1;
	CHECK_INT(rbd_store_migrate(s, &applied), 0);
	CHECK_INT(applied, 0);
	rbd_store_close(s);
	s = NULL;
	CHECK_INT(rbd_store_open(&s, t.path, 0), 0);
	CHECK(s != NULL);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM schema_migrations"), files);
	tmpdb_remove(&t);
}

static void test_store__unmigrated_database_refused(void)
{
	struct tmpdb t;
	struct rbd_store *s = (struct rbd_store *)1;

	REQUIRE(tmpdb_make(&t) == 0);
	CHECK_INT(rbd_store_open(&s, t.path, 0), RBD_EUNAVAIL);
	CHECK(s == NULL);
	CHECK(strstr(rbd_err_msg(), "migrate") != NULL);
	s = (struct rbd_store *)1;
	CHECK_INT(rbd_store_open(&s, t.path, RBD_STORE_NO_WRITER), RBD_EUNAVAIL);
	CHECK(s == NULL);
	/* Once migrated, the same file opens. */
	REQUIRE(rbd_store_open(&s, t.path, RBD_STORE_MIGRATE) == 0);
	rbd_store_close(s);
	s = NULL;
	CHECK_INT(rbd_store_open(&s, t.path, 0), 0);
	rbd_store_close(s);
	tmpdb_remove(&t);
}

static void test_store__missing_directory_unavailable(void)
{
	struct rbd_store *s = (struct rbd_store *)1;

	CHECK_INT(rbd_store_open(&s, "/nonexistent-rbd-dir/x/runbookd.db", RBD_STORE_MIGRATE),
		  RBD_EUNAVAIL);
	CHECK(s == NULL);
}

/* ---- the writer ---- */

struct batch_ctx {
	struct rbd_store *s;
	atomic_int commits;
	atomic_int jobs;
	atomic_int max_jobs;
};

static void on_stats(void *ctx, int64_t us, int jobs)
{
	struct batch_ctx *b = ctx;
	int m;

	atomic_fetch_add(&b->commits, 1);
	atomic_fetch_add(&b->jobs, jobs);
	m = atomic_load(&b->max_jobs);
	while (jobs > m && !atomic_compare_exchange_weak(&b->max_jobs, &m, jobs))
		;
	(void)us;
}

static atomic_int hold_started, submitters_ready;

static int job_hold_writer(struct rbd_tx *tx, void *arg)
{
	/* Deliberately slow: holds the writer until the other jobs are about to queue
	 * (at most 5 s), then a little longer, so that they all land in one batch. */
	atomic_store(&hold_started, 1);
	for (int i = 0; i < 500 && atomic_load(&submitters_ready) < 3; i++)
		usleep(10 * 1000);
	usleep(150 * 1000);
	return rbd_tx_setting_set(tx, "hold", "1");
}

struct named_job {
	struct rbd_store *s;
	const char *group;
	int fail;                    /* return an error after writing */
	int delay_ms;                /* before submitting */
	int rc;
	char msg[256];
};

static int job_write_then_maybe_fail(struct rbd_tx *tx, void *arg)
{
	struct named_job *j = arg;
	int64_t id = 0;
	int rc = rbd_tx_incident_create(tx, &id, j->group, "t", "", "{}", T);

	if (!rc)
		rc = rbd_tx_event(tx, id, "incident.opened", "runbookd", 0, NULL);
	if (!rc)
		rc = rbd_tx_setting_set(tx, j->group, "written");
	if (!rc && j->fail)
		return rbd_err_set(RBD_EINVAL, "job %s refused: boom", j->group);
	return rc;
}

static void *submit_thread(void *arg)
{
	struct named_job *j = arg;

	while (!atomic_load(&hold_started))
		usleep(1000);
	usleep((useconds_t)j->delay_ms * 1000);    /* staggered: a known order in the batch */
	atomic_fetch_add(&submitters_ready, 1);
	j->rc = rbd_store_write(j->s, job_write_then_maybe_fail, j);
	snprintf(j->msg, sizeof(j->msg), "%s", rbd_err_msg());
	return NULL;
}

static void *hold_thread(void *arg)
{
	rbd_store_write(arg, job_hold_writer, NULL);
	return NULL;
}

static void test_store__failing_job_rolls_back_alone(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct batch_ctx b = { 0 };
	struct named_job jobs[3] = {
		{ .group = "ok-first", .fail = 0, .delay_ms = 0 },
		{ .group = "fails", .fail = 1, .delay_ms = 30 },
		{ .group = "ok-after", .fail = 0, .delay_ms = 60 },
	};
	pthread_t hold, th[3];
	char *v = NULL;

	REQUIRE(s);
	atomic_store(&hold_started, 0);
	atomic_store(&submitters_ready, 0);
	rbd_store_on_commit_stats(s, on_stats, &b);
	REQUIRE(pthread_create(&hold, NULL, hold_thread, s) == 0);
	for (int i = 0; i < 3; i++) {
		jobs[i].s = s;
		REQUIRE(pthread_create(&th[i], NULL, submit_thread, &jobs[i]) == 0);
	}
	pthread_join(hold, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);

	CHECK_INT(jobs[0].rc, 0);
	CHECK_INT(jobs[1].rc, RBD_EINVAL);
	CHECK_STR(jobs[1].msg, "job fails refused: boom");     /* its own message, verbatim */
	CHECK_INT(jobs[2].rc, 0);
	/* The three queued while the writer was held: one batch, one commit. */
	CHECK_INT(atomic_load(&b.commits), 2);
	CHECK_INT(atomic_load(&b.max_jobs), 3);
	fprintf(stderr, "  %d commits for %d jobs\n", atomic_load(&b.commits), atomic_load(&b.jobs));

	/* Visible to readers as soon as rbd_store_write returned; the failed one not at all. */
	CHECK_INT(rbd_store_setting_get(s, &v, "ok-first"), 0);
	CHECK_STR(v, "written");
	free(v);
	CHECK_INT(rbd_store_setting_get(s, &v, "ok-after"), 0);
	CHECK_STR(v, "written");
	free(v);
	CHECK_INT(rbd_store_setting_get(s, &v, "fails"), 0);
	CHECK(v == NULL);
	free(v);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM incidents WHERE group_key = 'fails'"), 0);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM incidents"), 2);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM events"), 2);
	tmpdb_remove(&t);
}

static int job_duplicate_open_incident(struct rbd_tx *tx, void *arg)
{
	int64_t a = 0, b = 0;
	int rc;

	rc = rbd_tx_incident_create(tx, &a, "g-dup", "t", "", "{}", T);
	if (rc)
		return rc;
	rc = rbd_tx_event(tx, a, "incident.opened", "runbookd", 0, NULL);
	if (rc)
		return rc;
	/* A second open incident for the group breaks the partial unique index. */
	return rbd_tx_incident_create(tx, &b, "g-dup", "t", "", "{}", T);
}

static void test_store__constraint_error_reaches_caller(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);

	REQUIRE(s);
	CHECK_INT(rbd_store_write(s, job_duplicate_open_incident, NULL), RBD_ECONFLICT);
	CHECK(strstr(rbd_err_msg(), "create incident") != NULL);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM incidents"), 0);   /* the first too */
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM events"), 0);
	tmpdb_remove(&t);
}

static int job_event_write(struct rbd_tx *tx, void *arg)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "{\"n\":%d}", *(int *)arg);
	return rbd_tx_event(tx, 0, "test.concurrent", "runbookd", 0, detail);
}

struct conc {
	struct rbd_store *s;
	int base;
	int failures;
};

static void *conc_thread(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < 200; i++) {
		int n = c->base + i;

		if (rbd_store_write(c->s, job_event_write, &n) != 0)
			c->failures++;
	}
	return NULL;
}

static void test_store__concurrent_writes_group_commit(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct batch_ctx b = { 0 };
	struct conc c[8];
	pthread_t th[8];
	int64_t t0, ms;
	int failures = 0, commits, jobs;

	REQUIRE(s);
	rbd_store_on_commit_stats(s, on_stats, &b);
	t0 = rbd_mono_ms();
	for (int i = 0; i < 8; i++) {
		c[i] = (struct conc){ .s = s, .base = i * 1000 };
		REQUIRE(pthread_create(&th[i], NULL, conc_thread, &c[i]) == 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		failures += c[i].failures;
	}
	ms = rbd_mono_ms() - t0;
	commits = atomic_load(&b.commits);
	jobs = atomic_load(&b.jobs);
	fprintf(stderr, "  group commit: %d jobs in %d commits (%.2f jobs/commit, largest %d), "
		"%lld ms\n", jobs, commits, commits ? (double)jobs / commits : 0.0,
		atomic_load(&b.max_jobs), (long long)ms);
	CHECK_INT(failures, 0);
	CHECK_INT(jobs, 1600);
	CHECK(commits > 0 && commits < jobs);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM events WHERE kind = 'test.concurrent'"), 1600);
	CHECK_INT(raw_int(t.path, "SELECT count(DISTINCT detail) FROM events"), 1600);
	tmpdb_remove(&t);
}

static void count_commit(void *ctx)
{
	atomic_fetch_add((atomic_int *)ctx, 1);
}

static int job_noop(struct rbd_tx *tx, void *arg)
{
	return 0;
}

static int job_wake(struct rbd_tx *tx, void *arg)
{
	rbd_tx_wake(tx);
	return arg ? rbd_err_set(RBD_EINVAL, "wake then fail") : 0;
}

/* on_commit runs only after a commit that carried a job which called rbd_tx_wake():
 * writing rows is not enough (the executor's own claims write none that matter). */
static void test_store__on_commit_only_when_woken(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	atomic_int n = 0;

	REQUIRE(s);
	rbd_store_on_commit(s, count_commit, &n);
	CHECK_INT(rbd_store_write(s, job_noop, NULL), 0);
	CHECK_INT(atomic_load(&n), 0);
	CHECK_INT(rbd_store_ready(s), 0);                     /* writes a probe row */
	CHECK_INT(atomic_load(&n), 0);
	CHECK_INT(rbd_store_write(s, job_wake, NULL), 0);
	CHECK_INT(atomic_load(&n), 1);
	CHECK_INT(rbd_store_write(s, job_wake, (void *)1), RBD_EINVAL);  /* rolled back */
	CHECK_INT(atomic_load(&n), 1);
	close_and_remove(s, &t);
}

static void test_store__read_only_store_refuses_writes(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t), *ro = NULL;
	char *v = (char *)1;

	REQUIRE(s);
	REQUIRE(rbd_store_ready(s) == 0);
	REQUIRE(rbd_store_open(&ro, t.path, RBD_STORE_NO_WRITER) == 0);
	CHECK_INT(rbd_store_write(ro, job_noop, NULL), RBD_EUNAVAIL);
	CHECK_INT(rbd_store_setting_get(ro, &v, "ready_probe"), 0);   /* reads work */
	CHECK(v != NULL);
	free(v);
	rbd_store_close(ro);
	close_and_remove(s, &t);
}

/* ---- episodes and incidents ---- */

static int job_episode_dedup(struct rbd_tx *tx, void *arg)
{
	int64_t inc = mk_incident(tx, "g-ep", T);
	struct rbd_episode a, b, c, f;
	int64_t starts = INT64_C(1790000000123456789);

	CHECK_INT(rbd_tx_episode_find(tx, &f, "fp1", starts), 0);
	CHECK(!f.existed);
	CHECK_INT(rbd_tx_episode_upsert(tx, &a, inc, "fp1", starts, 0, "firing", "{}", "{}", NULL,
					T), 0);
	CHECK(!a.existed);
	CHECK(a.id > 0);
	CHECK_INT(a.incident_id, inc);
	CHECK_STR(a.status, "firing");
	CHECK_INT(rbd_tx_episode_upsert(tx, &b, inc, "fp1", starts, 0, "firing", "{}", "{}", NULL,
					T + 1000), 0);
	CHECK(b.existed);
	CHECK_INT(b.id, a.id);
	CHECK_INT(b.incident_id, inc);
	CHECK_STR(b.status, "firing");
	CHECK_INT(rbd_tx_episode_find(tx, &f, "fp1", starts), 0);
	CHECK(f.existed);
	CHECK_INT(f.id, a.id);
	/* Same fingerprint, another startsAt (1 ns later): another episode. */
	CHECK_INT(rbd_tx_episode_upsert(tx, &c, inc, "fp1", starts + 1, 0, "firing", "{}", "{}", "",
					T), 0);
	CHECK(!c.existed);
	CHECK(c.id != a.id);
	/* Resolving: once changes a row, then is a no-op. */
	CHECK_INT(rbd_tx_episode_resolve(tx, a.id, T + 5000, T + 6000), 0);
	CHECK_INT(rbd_tx_changes(tx), 1);
	CHECK_INT(rbd_tx_episode_resolve(tx, a.id, T + 7000, T + 8000), 0);
	CHECK_INT(rbd_tx_changes(tx), 0);
	CHECK_INT(rbd_tx_episode_upsert(tx, &b, inc, "fp1", starts, 0, "firing", "{}", "{}", NULL,
					T + 9000), 0);
	CHECK(b.existed);
	CHECK_STR(b.status, "resolved");                  /* the stored status */
	return 0;
}

static void test_store__episode_dedup(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct rbd_alert_rec *al = NULL;
	size_t n = 0;

	REQUIRE(s);
	REQUIRE(rbd_store_write(s, job_episode_dedup, NULL) == 0);
	CHECK_INT(rbd_store_alerts(s, &al, &n, 1), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(al[0].fingerprint, "fp1");
		CHECK_STR(al[0].status, "resolved");
		CHECK_INT(al[0].ends_ms, T + 5000);            /* the first resolution stands */
		CHECK_INT(al[0].starts_ms, INT64_C(1790000000123));
		CHECK_INT(al[0].first_seen_ms, T);
		CHECK_INT(al[0].last_seen_ms, T + 9000);
		CHECK_STR(al[1].status, "firing");
		CHECK_INT(al[1].ends_ms, 0);
	}
	for (size_t i = 0; i < n; i++)
		rbd_alert_rec_clear(&al[i]);
	free(al);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM alerts WHERE fingerprint = 'fp1' AND "
			  "starts_ns = 1790000000123456789"), 1);
	tmpdb_remove(&t);
}

struct inc_ids {
	int64_t first, second, other;
};

static int job_incidents(struct rbd_tx *tx, void *arg)
{
	struct inc_ids *ids = arg;
	int64_t id = -1, dup = 0, a1, a2;
	bool all = true, exists = false;
	int64_t *firing = NULL;
	size_t nf = 0;

	CHECK_INT(rbd_tx_open_incident(tx, &id, "g1"), 0);
	CHECK_INT(id, 0);
	CHECK_INT(rbd_tx_latest_incident(tx, &id, "g1"), 0);
	CHECK_INT(id, 0);
	ids->first = mk_incident(tx, "g1", T);
	ids->other = mk_incident(tx, "g2", T + 1);
	CHECK(ids->first > 0 && ids->other > 0 && ids->first != ids->other);
	CHECK_INT(rbd_tx_open_incident(tx, &id, "g1"), 0);
	CHECK_INT(id, ids->first);
	CHECK_INT(rbd_tx_incident_create(tx, &dup, "g1", "t", "", "{}", T), RBD_ECONFLICT);
	CHECK_INT(rbd_tx_incident_exists(tx, &exists, ids->first), 0);
	CHECK(exists);
	CHECK_INT(rbd_tx_incident_exists(tx, &exists, 999999), 0);
	CHECK(!exists);

	a1 = mk_alert(tx, ids->first, "fa", 1);
	a2 = mk_alert(tx, ids->first, "fb", 2);
	CHECK_INT(rbd_tx_firing_alerts(tx, &firing, &nf, ids->first), 0);
	CHECK_INT(nf, 2);
	if (nf == 2)
		CHECK(firing[0] == a1 && firing[1] == a2);
	free(firing);
	CHECK_INT(rbd_tx_incident_all_resolved(tx, &all, ids->first), 0);
	CHECK(!all);
	CHECK_INT(rbd_tx_episode_resolve(tx, a1, 0, T + 10), 0);
	CHECK_INT(rbd_tx_episode_resolve(tx, a2, T + 5, T + 10), 0);
	CHECK_INT(rbd_tx_incident_all_resolved(tx, &all, ids->first), 0);
	CHECK(all);

	CHECK_INT(rbd_tx_incident_resolve(tx, ids->first, T + 20), 0);
	CHECK_INT(rbd_tx_changes(tx), 1);
	CHECK_INT(rbd_tx_incident_resolve(tx, ids->first, T + 30), 0);   /* already resolved */
	CHECK_INT(rbd_tx_changes(tx), 0);
	CHECK_INT(rbd_tx_open_incident(tx, &id, "g1"), 0);
	CHECK_INT(id, 0);
	CHECK_INT(rbd_tx_latest_incident(tx, &id, "g1"), 0);
	CHECK_INT(id, ids->first);
	/* A new episode of the group after resolution opens a new incident. */
	ids->second = mk_incident(tx, "g1", T + 40);
	CHECK(ids->second > ids->first);
	CHECK_INT(rbd_tx_open_incident(tx, &id, "g1"), 0);
	CHECK_INT(id, ids->second);
	CHECK_INT(rbd_tx_latest_incident(tx, &id, "g1"), 0);
	CHECK_INT(id, ids->second);
	CHECK_INT(rbd_tx_notification_add(tx, ids->second, T + 40, "g1", "firing", "r", 1, 0, true), 0);
	CHECK_INT(rbd_tx_notification_add(tx, 0, T + 41, "gx", "resolved", NULL, 0, 0, false), 0);
	return 0;
}

static void test_store__incidents_open_resolve(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct inc_ids ids = { 0 };
	struct rbd_incident *list = NULL, one;
	size_t n = 0;
	int64_t total = 0;

	REQUIRE(s);
	REQUIRE(rbd_store_write(s, job_incidents, &ids) == 0);
	CHECK_INT(rbd_store_incident(s, &one, ids.first), 0);
	CHECK_STR(one.status, "resolved");
	CHECK_STR(one.group_key, "g1");
	CHECK_INT(one.opened_ms, T);
	CHECK_INT(one.resolved_ms, T + 20);               /* the first resolution stands */
	rbd_incident_clear(&one);
	CHECK_INT(rbd_store_incident(s, &one, 424242), RBD_ENOTFOUND);
	rbd_incident_clear(&one);

	CHECK_INT(rbd_store_incidents(s, &list, &n, &total, NULL, 100, 0), 0);
	CHECK_INT(total, 3);
	CHECK_INT(n, 3);
	if (n == 3)                                        /* newest first */
		CHECK(list[0].id == ids.second && list[1].id == ids.other && list[2].id == ids.first);
	for (size_t i = 0; i < n; i++)
		rbd_incident_clear(&list[i]);
	free(list);
	CHECK_INT(rbd_store_incidents(s, &list, &n, &total, "open", 1, 0), 0);
	CHECK_INT(total, 2);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(list[0].id, ids.second);
	for (size_t i = 0; i < n; i++)
		rbd_incident_clear(&list[i]);
	free(list);
	CHECK_INT(rbd_store_incidents(s, &list, &n, &total, "open", 10, 1), 0);   /* offset */
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(list[0].id, ids.other);
	for (size_t i = 0; i < n; i++)
		rbd_incident_clear(&list[i]);
	free(list);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM notifications"), 2);
	tmpdb_remove(&t);
}

/* ---- actions ---- */

struct act_ids {
	int64_t incident, alert, a, b, c;
};

static int job_action_unique(struct rbd_tx *tx, void *arg)
{
	struct act_ids *x = arg;
	int64_t id;

	x->incident = mk_incident(tx, "g-act", T);
	x->alert = mk_alert(tx, x->incident, "fp-act", 10);
	x->a = mk_action(tx, x->incident, x->alert, "r1", "firing", RBD_STATE_PLANNED, "k");
	CHECK(x->a > 0);
	id = mk_action(tx, x->incident, x->alert, "r1", "firing", RBD_STATE_DRY_RUN, "k2");
	CHECK_INT(id, 0);                                  /* same (rule, alert, on_status) */
	x->b = mk_action(tx, x->incident, x->alert, "r1", "resolved", RBD_STATE_PLANNED, "k");
	CHECK(x->b > 0 && x->b != x->a);
	x->c = mk_action(tx, x->incident, x->alert, "r2", "firing", RBD_STATE_PLANNED, "k");
	CHECK(x->c > 0 && x->c != x->a && x->c != x->b);
	id = mk_action(tx, x->incident, x->alert, "r2", "firing", RBD_STATE_PLANNED, "k");
	CHECK_INT(id, 0);
	return 0;
}

static void test_store__action_unique_per_rule_alert_status(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct act_ids x = { 0 };
	struct rbd_action_rec rec;

	REQUIRE(s);
	REQUIRE(rbd_store_write(s, job_action_unique, &x) == 0);
	CHECK_INT(rbd_store_action(s, &rec, x.a), 0);
	CHECK_STR(rec.state, "planned");                   /* the second insert changed nothing */
	CHECK_STR(rec.rule, "r1");
	CHECK_STR(rec.kind, "run");
	CHECK_INT(rec.incident_id, x.incident);
	CHECK_INT(rec.alert_id, x.alert);
	CHECK_INT(rec.created_ms, T);
	CHECK(rec.rendered_json && strstr(rec.rendered_json, "/bin/true"));
	CHECK(!rec.has_exit_code && rec.started_ms == 0 && rec.finished_ms == 0);
	rbd_action_rec_clear(&rec);
	CHECK_INT(rbd_store_action(s, &rec, 999), RBD_ENOTFOUND);
	rbd_action_rec_clear(&rec);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM actions"), 3);
	tmpdb_remove(&t);
}

static int job_transitions(struct rbd_tx *tx, void *arg)
{
	struct act_ids *x = arg;
	struct rbd_action_rec r;
	int64_t a2;

	x->incident = mk_incident(tx, "g-tr", T);
	x->alert = mk_alert(tx, x->incident, "fp-tr", 10);
	a2 = mk_alert(tx, x->incident, "fp-tr2", 10);
	x->a = mk_action(tx, x->incident, x->alert, "r", "firing", RBD_STATE_PENDING_APPROVAL, "k");

	CHECK_INT(rbd_tx_action_transition(tx, x->a, RBD_STATE_PLANNED, RBD_STATE_RUNNING, NULL, T), RBD_ECONFLICT);
	CHECK_INT(rbd_tx_action_start(tx, x->a, RBD_STATE_APPROVED, T), RBD_ECONFLICT);
	CHECK_INT(rbd_tx_action_finish(tx, x->a, RBD_STATE_SUCCEEDED, true, 0, 0, "", NULL, NULL, T),
		  RBD_ECONFLICT);
	CHECK_INT(rbd_tx_action_transition(tx, x->a, RBD_STATE_PENDING_APPROVAL, RBD_STATE_APPROVED, NULL, T + 1), 0);
	/* The single transition pending -> approved: a replayed approval conflicts. */
	CHECK_INT(rbd_tx_action_transition(tx, x->a, RBD_STATE_PENDING_APPROVAL, RBD_STATE_APPROVED, NULL, T + 2),
		  RBD_ECONFLICT);
	CHECK_INT(rbd_tx_action_get(tx, &r, x->a), 0);
	CHECK_STR(r.state, "approved");
	CHECK_INT(r.finished_ms, 0);                       /* not terminal */
	rbd_action_rec_clear(&r);
	/* pending_approval -> running is not a transition at all (refused before the row). */
	CHECK_INT(rbd_tx_action_start(tx, x->a, RBD_STATE_PENDING_APPROVAL, T + 3), RBD_EINVAL);
	CHECK_INT(rbd_tx_action_start(tx, x->a, RBD_STATE_APPROVED, T + 3), 0);
	CHECK_INT(rbd_tx_action_start(tx, x->a, RBD_STATE_APPROVED, T + 4), RBD_ECONFLICT);   /* once */
	CHECK_INT(rbd_tx_action_finish(tx, x->a, RBD_STATE_FAILED, true, 3, 0, "out", "res", "exit 3", T + 9),
		  0);
	CHECK_INT(rbd_tx_action_finish(tx, x->a, RBD_STATE_SUCCEEDED, true, 0, 0, "", NULL, NULL, T + 10),
		  RBD_ECONFLICT);
	CHECK_INT(rbd_tx_action_get(tx, &r, x->a), 0);
	CHECK_STR(r.state, "failed");
	CHECK(r.has_exit_code);
	CHECK_INT(r.exit_code, 3);
	CHECK_STR(r.output, "out");
	CHECK_STR(r.result, "res");
	CHECK_STR(r.reason, "exit 3");
	CHECK_INT(r.started_ms, T + 3);
	CHECK_INT(r.finished_ms, T + 9);
	rbd_action_rec_clear(&r);
	CHECK_INT(rbd_tx_action_transition(tx, 987654, RBD_STATE_PLANNED, RBD_STATE_CANCELLED, NULL, T),
		  RBD_ECONFLICT);

	/* A terminal state stamps finished_at and keeps the reason given. */
	x->b = mk_action(tx, x->incident, a2, "r", "firing", RBD_STATE_PLANNED, "k");
	CHECK_INT(rbd_tx_action_transition(tx, x->b, RBD_STATE_PLANNED, RBD_STATE_CANCELLED, "why", T + 20), 0);
	CHECK_INT(rbd_tx_action_get(tx, &r, x->b), 0);
	CHECK_STR(r.state, "cancelled");
	CHECK_STR(r.reason, "why");
	CHECK_INT(r.finished_ms, T + 20);
	rbd_action_rec_clear(&r);
	CHECK_INT(rbd_tx_incident_of_action(tx, x->b), x->incident);
	CHECK_INT(rbd_tx_incident_of_action(tx, 55555), 0);
	return 0;
}

static void test_store__transitions_are_conditional(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct act_ids x = { 0 };

	REQUIRE(s);
	CHECK_INT(rbd_store_write(s, job_transitions, &x), 0);
	close_and_remove(s, &t);
}

static int job_failed_transition_rolls_back(struct rbd_tx *tx, void *arg)
{
	int64_t id = *(int64_t *)arg;
	int rc = rbd_tx_event(tx, 0, "action.approved", "alice", id, NULL);

	if (!rc)
		rc = rbd_tx_action_set_decided_by(tx, id, "alice");
	if (!rc)
		rc = rbd_tx_action_transition(tx, id, RBD_STATE_PENDING_APPROVAL, RBD_STATE_APPROVED, NULL, T);
	return rc;
}

static void test_store__conflict_in_job_rolls_back_its_writes(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct act_ids x = { 0 };
	struct rbd_action_rec r;

	REQUIRE(s);
	REQUIRE(rbd_store_write(s, job_action_unique, &x) == 0);   /* x.a is planned */
	CHECK_INT(rbd_store_write(s, job_failed_transition_rolls_back, &x.a), RBD_ECONFLICT);
	CHECK(strstr(rbd_err_msg(), "is not pending_approval") != NULL);
	CHECK_INT(rbd_store_action(s, &r, x.a), 0);
	CHECK_STR(r.state, "planned");
	CHECK(r.decided_by == NULL);
	rbd_action_rec_clear(&r);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM events"), 0);
	tmpdb_remove(&t);
}

static int job_cancel_for_alert(struct rbd_tx *tx, void *arg)
{
	static const char *const states[] = {
		"pending_approval", "approved", "planned", "running", "dry_run", "skipped",
	};
	static const char *const want[] = {
		"cancelled", "cancelled", "cancelled", "running", "dry_run", "skipped",
	};
	int64_t inc = mk_incident(tx, "g-cancel", T), alert = mk_alert(tx, inc, "fp-c", 1);
	int64_t other = mk_alert(tx, inc, "fp-other", 1), ids[6], oid;
	int64_t *out = NULL;
	size_t n = 0;
	char rule[8];

	for (int i = 0; i < 6; i++) {
		enum rbd_action_state st;

		CHECK(rbd_action_state_parse(&st, states[i]));
		snprintf(rule, sizeof(rule), "r%d", i);
		ids[i] = mk_action(tx, inc, alert, rule, "firing", st, rule);
	}
	oid = mk_action(tx, inc, other, "r0", "firing", RBD_STATE_PENDING_APPROVAL, "x");
	CHECK_INT(rbd_tx_actions_cancel_for_alert(tx, &out, &n, alert, T + 100), 0);
	CHECK_INT(n, 3);
	if (n == 3)
		CHECK(out[0] == ids[0] && out[1] == ids[1] && out[2] == ids[2]);
	free(out);
	for (int i = 0; i < 6; i++) {
		struct rbd_action_rec r;

		CHECK_INT(rbd_tx_action_get(tx, &r, ids[i]), 0);
		CHECK_STR(r.state, want[i]);
		rbd_action_rec_clear(&r);
	}
	{
		struct rbd_action_rec r;

		CHECK_INT(rbd_tx_action_get(tx, &r, oid), 0);
		CHECK_STR(r.state, "pending_approval");         /* another alert: untouched */
		rbd_action_rec_clear(&r);
	}
	CHECK_INT(rbd_tx_actions_cancel_for_alert(tx, &out, &n, alert, T + 200), 0);
	CHECK_INT(n, 0);
	free(out);
	return 0;
}

static void test_store__cancel_waiting_actions_of_an_alert(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);

	REQUIRE(s);
	CHECK_INT(rbd_store_write(s, job_cancel_for_alert, NULL), 0);
	close_and_remove(s, &t);
}

static int job_approvals(struct rbd_tx *tx, void *arg)
{
	int64_t inc = mk_incident(tx, "g-appr", T), alert = mk_alert(tx, inc, "fp-a", 1);
	int64_t id = mk_action(tx, inc, alert, "r", "firing", RBD_STATE_PENDING_APPROVAL, "k");
	struct rbd_action_rec r;
	int n = -1;

	CHECK_INT(rbd_tx_approval_add(tx, &n, id, "bob", "approve", "go", T + 1), 0);
	CHECK_INT(n, 1);
	CHECK_INT(rbd_tx_approval_add(tx, &n, id, "bob", "approve", "again", T + 2), RBD_ECONFLICT);
	CHECK(strstr(rbd_err_msg(), "bob") != NULL);
	CHECK_INT(rbd_tx_approval_add(tx, &n, id, "bob", "reject", NULL, T + 3), RBD_ECONFLICT);
	CHECK_INT(rbd_tx_approval_add(tx, &n, id, "alice", "approve", NULL, T + 4), 0);
	CHECK_INT(n, 2);
	CHECK_INT(rbd_tx_approval_add(tx, &n, id, "carol", "reject", "no", T + 5), 0);
	CHECK_INT(n, 2);                                   /* rejections are not approvals */
	CHECK_INT(rbd_tx_approvers(tx, id), 0);
	CHECK_INT(rbd_tx_action_get(tx, &r, id), 0);
	CHECK_STR(r.decided_by, "bob,alice");              /* in the order they approved */
	rbd_action_rec_clear(&r);
	CHECK_INT(rbd_tx_action_set_decided_by(tx, id, "dave"), 0);
	CHECK_INT(rbd_tx_action_get(tx, &r, id), 0);
	CHECK_STR(r.decided_by, "dave");
	rbd_action_rec_clear(&r);
	return 0;
}

static void test_store__approvals_distinct_operators(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);

	REQUIRE(s);
	CHECK_INT(rbd_store_write(s, job_approvals, NULL), 0);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM approvals"), 3);
	tmpdb_remove(&t);
}

/* ---- the counters the gates read ---- */

static int job_rule_counts_setup(struct rbd_tx *tx, void *arg)
{
	static const struct {
		const char *rule, *key;
		int64_t started_ago;         /* 0: never started */
		enum rbd_action_state final; /* RUNNING: still running */
		int64_t finished_ago;
	} rows[] = {
		{ "R", "K1", 2 * HOUR, RBD_STATE_SUCCEEDED, 2 * HOUR - 1000 },   /* outside the hour */
		{ "R", "K1", 30 * MIN, RBD_STATE_FAILED, 29 * MIN },
		{ "R", "K2", 20 * MIN, RBD_STATE_TIMED_OUT, 19 * MIN },
		{ "R", "K1", 10 * MIN, RBD_STATE_RUNNING, 0 },
		{ "OTHER", "K1", 5 * MIN, RBD_STATE_RUNNING, 0 },
		{ "R", "K1", 0, RBD_STATE_RUNNING, 0 },
		{ "R", "K3", 90 * MIN, RBD_STATE_FAILED, 50 * MIN },            /* started outside, failed inside */
	};
	int64_t inc = mk_incident(tx, "g-rc", T - 3 * HOUR);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char fp[16];
		int64_t alert, id;

		snprintf(fp, sizeof(fp), "fp-rc-%zu", i);
		alert = mk_alert(tx, inc, fp, 1);
		id = mk_action(tx, inc, alert, rows[i].rule, "firing", RBD_STATE_PLANNED, rows[i].key);
		if (!rows[i].started_ago)
			continue;
		CHECK_INT(rbd_tx_action_start(tx, id, RBD_STATE_PLANNED, T - rows[i].started_ago), 0);
		if (rows[i].final != RBD_STATE_RUNNING)
			CHECK_INT(rbd_tx_action_finish(tx, id, rows[i].final, true, 1, 0, NULL, NULL,
						       NULL, T - rows[i].finished_ago), 0);
	}
	return 0;
}

static int job_rule_counts_check(struct rbd_tx *tx, void *arg)
{
	struct rbd_rule_counts c;

	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", "K1", T), 0);
	CHECK_INT(c.runs_last_hour, 3);                    /* started within the hour */
	CHECK_INT(c.failures_window, 3);                   /* failed/timed_out within the hour */
	CHECK_INT(c.last_run_same_key, T - 10 * MIN);
	CHECK_INT(c.tripped_at, 0);
	CHECK_INT(c.running, 2);                           /* all rules */
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", "K2", T), 0);
	CHECK_INT(c.last_run_same_key, T - 20 * MIN);
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", "K9", T), 0);
	CHECK_INT(c.last_run_same_key, 0);
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", NULL, T), 0);
	CHECK_INT(c.last_run_same_key, 0);
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "OTHER", "K1", T), 0);
	CHECK_INT(c.runs_last_hour, 1);
	CHECK_INT(c.failures_window, 0);
	CHECK_INT(c.last_run_same_key, T - 5 * MIN);
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "NOBODY", "K1", T), 0);
	CHECK_INT(c.runs_last_hour, 0);
	CHECK_INT(c.last_run_same_key, 0);
	/* An hour later the window has moved on. */
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", "K1", T + HOUR), 0);
	CHECK_INT(c.runs_last_hour, 0);
	CHECK_INT(c.failures_window, 0);

	/* Trip, then reset: failures before the reset no longer count. */
	CHECK_INT(rbd_tx_rule_trip(tx, "R", T - MIN), 0);
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", "K1", T), 0);
	CHECK_INT(c.tripped_at, T - MIN);
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "OTHER", "K1", T), 0);
	CHECK_INT(c.tripped_at, 0);                        /* per rule */
	CHECK_INT(rbd_tx_rule_reset(tx, "R", "alice", T - 25 * MIN), 0);
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", "K1", T), 0);
	CHECK_INT(c.tripped_at, 0);
	CHECK_INT(c.failures_window, 1);                   /* only the one at T-19m */
	CHECK_INT(c.runs_last_hour, 3);                    /* a reset does not touch runs */
	CHECK_INT(rbd_tx_rule_trip(tx, "R", T), 0);        /* trips again after a reset */
	CHECK_INT(rbd_tx_rule_counts(tx, &c, "R", NULL, T), 0);
	CHECK_INT(c.tripped_at, T);
	CHECK_INT(rbd_tx_rule_reset(tx, "R", "bob", T), 0);
	CHECK_INT(rbd_tx_rule_reset(tx, "NEVER-TRIPPED", "bob", T), 0);
	return 0;
}

static void test_store__rule_counts(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct rbd_rule_stats st;

	REQUIRE(s);
	REQUIRE(rbd_store_write(s, job_rule_counts_setup, NULL) == 0);
	CHECK_INT(rbd_store_write(s, job_rule_counts_check, NULL), 0);
	CHECK_INT(rbd_store_rule_stats(s, &st, "R", T), 0);
	CHECK_INT(st.runs_last_hour, 3);
	CHECK_INT(st.failures_last_hour, 0);               /* reset at T */
	CHECK_INT(st.tripped_at, 0);
	close_and_remove(s, &t);
}

struct next_ctx {
	int64_t ids[4];
};

static int job_next_and_expired(struct rbd_tx *tx, void *arg)
{
	struct next_ctx *x = arg;
	int64_t inc = mk_incident(tx, "g-next", T), id = -1, *out = NULL;
	size_t n = 0;
	struct rbd_action_new a = {
		.incident_id = inc, .rule = "r", .on_status = "firing", .action = "x", .kind = "run",
		.state = RBD_STATE_PENDING_APPROVAL, .requires_approval = true, .approvals_needed = 1,
		.now_ms = T,
	};

	for (int i = 0; i < 4; i++) {
		char fp[8];

		snprintf(fp, sizeof(fp), "n%d", i);
		a.alert_id = mk_alert(tx, inc, fp, 1);
		a.state = (i % 2) ? RBD_STATE_PLANNED : RBD_STATE_PENDING_APPROVAL;
		a.expires_at = (i == 0) ? T + MIN : (i == 2) ? T + 2 * MIN : 0;
		CHECK_INT(rbd_tx_action_insert(tx, &x->ids[i], &a), 0);
	}
	CHECK_INT(rbd_tx_next_action(tx, &id, RBD_STATE_PLANNED, 0), 0);
	CHECK_INT(id, x->ids[1]);
	CHECK_INT(rbd_tx_next_action(tx, &id, RBD_STATE_PLANNED, x->ids[1]), 0);
	CHECK_INT(id, x->ids[3]);
	CHECK_INT(rbd_tx_next_action(tx, &id, RBD_STATE_PLANNED, x->ids[3]), 0);
	CHECK_INT(id, 0);
	CHECK_INT(rbd_tx_expired_approvals(tx, &out, &n, T + MIN - 1), 0);
	CHECK_INT(n, 0);
	free(out);
	CHECK_INT(rbd_tx_expired_approvals(tx, &out, &n, T + MIN), 0);   /* at expiry: expired */
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(out[0], x->ids[0]);
	free(out);
	CHECK_INT(rbd_tx_expired_approvals(tx, &out, &n, T + HOUR), 0);
	CHECK_INT(n, 2);
	free(out);
	/* Start-up recovery: running actions become interrupted, never re-run. */
	CHECK_INT(rbd_tx_action_start(tx, x->ids[1], RBD_STATE_PLANNED, T), 0);
	CHECK_INT(rbd_tx_interrupt_running(tx, &out, &n, T + 5), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(out[0], x->ids[1]);
	free(out);
	{
		struct rbd_action_rec r;

		CHECK_INT(rbd_tx_action_get(tx, &r, x->ids[1]), 0);
		CHECK_STR(r.state, "interrupted");
		CHECK_INT(r.finished_ms, T + 5);
		rbd_action_rec_clear(&r);
	}
	return 0;
}

static void count_state(void *ctx, const char *state, int64_t n)
{
	int64_t *c = ctx;

	if (strcmp(state, "pending_approval") == 0)
		c[0] += n;
	else if (strcmp(state, "planned") == 0)
		c[1] += n;
	else if (strcmp(state, "interrupted") == 0)
		c[2] += n;
	else
		c[3] += n;
}

static void test_store__queue_expiry_and_recovery(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct next_ctx x = { { 0 } };
	struct rbd_action_rec *list = NULL;
	int64_t counts[4] = { 0 };
	size_t n = 0;

	REQUIRE(s);
	CHECK_INT(rbd_store_write(s, job_next_and_expired, &x), 0);
	CHECK_INT(rbd_store_action_state_counts(s, count_state, counts), 0);
	CHECK_INT(counts[0], 2);
	CHECK_INT(counts[1], 1);
	CHECK_INT(counts[2], 1);
	CHECK_INT(counts[3], 0);
	CHECK_INT(rbd_store_actions(s, &list, &n, 0, "pending_approval", 100), 0);
	CHECK_INT(n, 2);
	if (n == 2)                                         /* newest first */
		CHECK(list[0].id == x.ids[2] && list[1].id == x.ids[0]);
	for (size_t i = 0; i < n; i++)
		rbd_action_rec_clear(&list[i]);
	free(list);
	CHECK_INT(rbd_store_actions(s, &list, &n, 0, NULL, 3), 0);
	CHECK_INT(n, 3);                                    /* at most limit */
	for (size_t i = 0; i < n; i++)
		rbd_action_rec_clear(&list[i]);
	free(list);
	close_and_remove(s, &t);
}

/* ---- the timeline ---- */

struct ev_ids {
	int64_t inc, other, past;
	int64_t opened;
};

static int job_events(struct rbd_tx *tx, void *arg)
{
	struct ev_ids *x = arg;
	int rc = 0;

	x->inc = mk_incident(tx, "g-ev", x->opened);
	x->other = mk_incident(tx, "g-ev-other", x->opened);
	x->past = mk_incident(tx, "g-ev-past", x->opened - 60000);
	rc |= rbd_tx_incident_resolve(tx, x->past, x->opened - 30000);
	rc |= rbd_tx_event(tx, x->inc, "incident.opened", "runbookd", 0, "{\"title\":\"t\"}");
	rc |= rbd_tx_event(tx, x->other, "incident.opened", "runbookd", 0, NULL);
	rc |= rbd_tx_event(tx, 0, "system.paused", "alice", 0, NULL);
	rc |= rbd_tx_event(tx, x->inc, "alert.firing", "alertmanager", 0, NULL);
	rc |= rbd_tx_event(tx, x->inc, "action.planned", "runbookd", 42, "{\"state\":\"planned\"}");
	rc |= rbd_tx_event(tx, x->other, "note.added", "bob", 0, NULL);
	rc |= rbd_tx_event(tx, x->inc, "note.added", "alice", 0, "{\"text\":\"hi\"}");
	return rc;
}

static int job_event_unknown_incident(struct rbd_tx *tx, void *arg)
{
	return rbd_tx_event(tx, 777777, "note.added", "alice", 0, NULL);
}

static int iterate_kinds(struct rbd_event_iter *it, char *out, size_t n)
{
	const struct rbd_event *ev;
	int64_t last_id = 0, last_ts = 0;
	int rc, count = 0;

	out[0] = '\0';
	while ((rc = rbd_store_events_next(it, &ev)) == 1) {
		size_t l = strlen(out);

		if (ev->id <= last_id || ev->ts_ms < last_ts)
			return -100;                        /* not oldest first */
		last_id = ev->id;
		last_ts = ev->ts_ms;
		snprintf(out + l, n - l, "%s%s", l ? "," : "", ev->kind);
		count++;
	}
	return rc < 0 ? rc : count;
}

static void test_store__events_iterator(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct ev_ids x = { 0 };
	struct rbd_incident inc;
	struct rbd_event_iter *it = NULL;
	const struct rbd_event *ev;
	char kinds[512], again[512];

	REQUIRE(s);
	x.opened = rbd_now_ms() - 1000;
	REQUIRE(rbd_store_write(s, job_events, &x) == 0);
	REQUIRE(rbd_store_incident(s, &inc, x.inc) == 0);
	REQUIRE(rbd_store_events_open(s, &it, &inc) == 0);
	/* Its own events and the service-wide one inside its window, oldest first. */
	CHECK_INT(iterate_kinds(it, kinds, sizeof(kinds)), 5);
	CHECK_STR(kinds, "incident.opened,system.paused,alert.firing,action.planned,note.added");
	CHECK_INT(rbd_store_events_rewind(it), 0);
	CHECK_INT(iterate_kinds(it, again, sizeof(again)), 5);
	CHECK_STR(again, kinds);
	CHECK_INT(rbd_store_events_rewind(it), 0);
	REQUIRE(rbd_store_events_next(it, &ev) == 1);
	CHECK_INT(ev->incident_id, x.inc);
	CHECK_STR(ev->actor, "runbookd");
	CHECK_STR(ev->detail_json, "{\"title\":\"t\"}");
	CHECK_INT(ev->action_id, 0);
	REQUIRE(rbd_store_events_next(it, &ev) == 1);
	CHECK_STR(ev->kind, "system.paused");
	CHECK_INT(ev->incident_id, 0);
	CHECK_STR(ev->detail_json, "{}");                  /* NULL detail stored as {} */
	CHECK(ev->ts_ms >= x.opened && ev->ts_ms <= rbd_now_ms());
	REQUIRE(rbd_store_events_next(it, &ev) == 1);
	REQUIRE(rbd_store_events_next(it, &ev) == 1);
	CHECK_STR(ev->kind, "action.planned");
	CHECK_INT(ev->action_id, 42);
	rbd_store_events_close(it);
	rbd_incident_clear(&inc);

	/* An incident resolved before the service-wide event does not show it. */
	REQUIRE(rbd_store_incident(s, &inc, x.past) == 0);
	REQUIRE(rbd_store_events_open(s, &it, &inc) == 0);
	CHECK_INT(iterate_kinds(it, kinds, sizeof(kinds)), 0);
	rbd_store_events_close(it);
	rbd_incident_clear(&inc);
	rbd_store_events_close(NULL);

	/* An event for an incident that does not exist is refused. */
	CHECK(rbd_store_write(s, job_event_unknown_incident, NULL) != 0);
	close_and_remove(s, &t);
}

static void test_store__events_append_only(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct ev_ids x = { 0 };
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	REQUIRE(s);
	x.opened = rbd_now_ms() - 1000;
	REQUIRE(rbd_store_write(s, job_events, &x) == 0);
	REQUIRE(sqlite3_open_v2(t.path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, "UPDATE events SET kind = 'forged', actor = 'mallory'", NULL, NULL, &msg);
	CHECK(rc != SQLITE_OK);
	CHECK(msg && strstr(msg, "append-only"));
	sqlite3_free(msg);
	msg = NULL;
	rc = sqlite3_exec(db, "DELETE FROM events WHERE kind = 'note.added'", NULL, NULL, &msg);
	CHECK(rc != SQLITE_OK);
	CHECK(msg && strstr(msg, "append-only"));
	sqlite3_free(msg);
	msg = NULL;
	/* Inserting stays possible (append), through the raw handle too. */
	rc = sqlite3_exec(db, "INSERT INTO events (incident_id, ts, kind, actor) "
			  "VALUES (NULL, 1, 'x.y', 'test')", NULL, NULL, &msg);
	CHECK_INT(rc, SQLITE_OK);
	sqlite3_free(msg);
	sqlite3_close(db);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM events WHERE kind = 'forged' OR "
			  "actor = 'mallory'"), 0);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM events"), 8);
	tmpdb_remove(&t);
}

/* The store checks its own arguments: a bad limit from any caller is an error, not an
 * overflow of the result array. */
static void test_store__incidents_limit_checked(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct rbd_incident *list = NULL;
	size_t n = 7;
	int64_t total = 0;

	REQUIRE(s);
	CHECK_INT(rbd_store_incidents(s, &list, &n, &total, NULL, -1, 0), RBD_EINVAL);
	CHECK(list == NULL && n == 0);
	CHECK_INT(rbd_store_incidents(s, &list, &n, &total, NULL, 0, 0), RBD_EINVAL);
	CHECK_INT(rbd_store_incidents(s, &list, &n, &total, NULL, 10, -5), RBD_EINVAL);
	CHECK_INT(rbd_store_incidents(s, &list, &n, &total, NULL, 10, 0), 0);
	CHECK_INT(n, 0);
	free(list);
	close_and_remove(s, &t);
}

/* ---- the action state table is enforced ---- */

static int job_illegal_transitions(struct rbd_tx *tx, void *arg)
{
	struct act_ids *x = arg;
	struct rbd_action_rec r;

	x->incident = mk_incident(tx, "g-illegal", T);
	x->alert = mk_alert(tx, x->incident, "fp-illegal", 10);
	x->a = mk_action(tx, x->incident, x->alert, "r", "firing", RBD_STATE_PLANNED, "k");
	CHECK_INT(rbd_tx_action_start(tx, x->a, RBD_STATE_PLANNED, T), 0);
	CHECK_INT(rbd_tx_action_finish(tx, x->a, RBD_STATE_SUCCEEDED, true, 0, 0, "", NULL, NULL,
				       T + 1), 0);
	/* Out of a terminal state: refused whatever the row holds. */
	CHECK_INT(rbd_tx_action_transition(tx, x->a, RBD_STATE_SUCCEEDED, RBD_STATE_PLANNED, NULL,
					   T + 2), RBD_EINVAL);
	CHECK(strstr(rbd_err_msg(), "succeeded -> planned") != NULL);
	CHECK_INT(rbd_tx_action_transition(tx, x->a, RBD_STATE_SUCCEEDED, RBD_STATE_FAILED, NULL,
					   T + 2), RBD_EINVAL);
	/* Skipping a step: pending_approval never runs without an approval. */
	CHECK_INT(rbd_tx_action_transition(tx, x->a, RBD_STATE_PENDING_APPROVAL, RBD_STATE_RUNNING,
					   NULL, T + 2), RBD_EINVAL);
	/* finish only from running, to a state a run ends in. */
	CHECK_INT(rbd_tx_action_finish(tx, x->a, RBD_STATE_APPROVED, true, 0, 0, "", NULL, NULL,
				       T + 2), RBD_EINVAL);
	CHECK_INT(rbd_tx_action_transition(tx, x->a, RBD_STATE_PLANNED, RBD_STATE_COUNT, NULL,
					   T + 2), RBD_EINVAL);
	CHECK_INT(rbd_tx_action_get(tx, &r, x->a), 0);
	CHECK_STR(r.state, "succeeded");
	CHECK_INT(r.finished_ms, T + 1);
	rbd_action_rec_clear(&r);
	return 0;
}

static void test_store__illegal_transitions_refused(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct act_ids x = { 0 };

	REQUIRE(s);
	CHECK_INT(rbd_store_write(s, job_illegal_transitions, &x), 0);
	close_and_remove(s, &t);
}

static int raw_exec(const char *path, const char *sql, char **err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, err);
	sqlite3_close(db);
	return rc;
}

/* A database at schema version 1 with data: 0002 rebuilds actions keeping all of it. */
static void test_store__state_check_migration_keeps_data(void)
{
	struct tmpdb t;
	struct rbd_store *s = NULL;
	char path[512], *v1, *err = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/migrations/0001_init.sql", getenv("RBD_SRC") ?
		 getenv("RBD_SRC") : "..");
	v1 = rbd_test_slurp(path, &len);
	REQUIRE(v1);
	REQUIRE(tmpdb_make(&t) == 0);
	CHECK_INT(raw_exec(t.path, "PRAGMA foreign_keys = ON; CREATE TABLE schema_migrations "
			   "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER "
			   "NOT NULL); INSERT INTO schema_migrations VALUES (1, 'init', 0);", NULL),
		  SQLITE_OK);
	CHECK_INT(raw_exec(t.path, v1, NULL), SQLITE_OK);
	free(v1);
	CHECK_INT(raw_exec(t.path, "PRAGMA foreign_keys = ON; "
		"INSERT INTO incidents (id, group_key, status, title, opened_at) "
		"VALUES (7, 'g', 'open', 't', 1);"
		"INSERT INTO alerts (id, incident_id, fingerprint, starts_ns, starts_at, status, "
		"labels, annotations, first_seen, last_seen) VALUES (9, 7, 'f', 1, 1, 'firing', '{}', "
		"'{}', 1, 1);"
		"INSERT INTO actions (id, incident_id, alert_id, rule, on_status, action, kind, state, "
		"rendered, command_key, dry_run, requires_approval, approvals_needed, decided_by, "
		"created_at, started_at, finished_at) VALUES "
		"(41, 7, 9, 'r1', 'firing', 'a', 'run', 'succeeded', '{}', 'k', 0, 1, 2, 'ann,bob', 5, 6, 8),"
		"(42, 7, 9, 'r2', 'firing', 'a', 'run', 'pending_approval', '{}', 'k', 0, 1, 2, NULL, "
		"5, NULL, NULL);"
		"INSERT INTO approvals VALUES (41, 'ann', 'approve', NULL, 6), (42, 'bob', 'approve', "
		"NULL, 7);"
		"INSERT INTO events (incident_id, ts, kind, actor, action_id) VALUES "
		"(7, 8, 'action.succeeded', 'runbookd', 41);", &err), SQLITE_OK);
	if (err)
		fprintf(stderr, "  %s\n", err);
	sqlite3_free(err);
	err = NULL;

	CHECK_INT(rbd_store_open(&s, t.path, RBD_STORE_MIGRATE), 0);
	REQUIRE(s);
	CHECK(rbd_store_migrated(s) >= 1);
	rbd_store_close(s);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM actions"), 2);
	CHECK_INT(raw_int(t.path, "SELECT finished_at FROM actions WHERE id = 41 AND state = "
			  "'succeeded' AND decided_by = 'ann,bob' AND approvals_needed = 2"), 8);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM approvals a JOIN actions x "
			  "ON x.id = a.action_id"), 2);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
			  "tbl_name = 'actions' AND name IN ('actions_state', 'actions_incident', "
			  "'actions_rule_started', 'actions_rule_finished')"), 4);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM sqlite_master WHERE name LIKE "
			  "'actions_new%'"), 0);
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM pragma_foreign_key_list('approvals') "
			  "WHERE \"table\" = 'actions'"), 1);
	/* The CHECK holds every name of the state table and refuses anything else. */
	for (unsigned i = 0; i < RBD_STATE_COUNT; i++) {
		char sql[160];

		snprintf(sql, sizeof(sql), "UPDATE actions SET state = '%s' WHERE id = 42",
			 rbd_action_state_name(i));
		CHECK_INT(raw_exec(t.path, sql, NULL), SQLITE_OK);
	}
	CHECK_INT(raw_exec(t.path, "UPDATE actions SET state = 'done' WHERE id = 42", NULL),
		  SQLITE_CONSTRAINT);
	/* The timeline is still append-only. */
	CHECK_INT(raw_exec(t.path, "UPDATE events SET kind = 'forged'", NULL), SQLITE_CONSTRAINT);
	tmpdb_remove(&t);
}

/* ---- the WAL stays bounded under sustained writes ---- */

/* 2 x SQLite's default wal_autocheckpoint (1000 frames of a 4 KiB page + 24-byte
 * header, after the 32-byte WAL header). */
#define WAL_BOUND (2 * (32 + 1000 * (4096 + 24)))

struct wal_ctx {
	struct rbd_store *s;
	const char *wal;
	atomic_int stop;
	atomic_llong max_size;
	int failures;
	int reads;
};

static int job_big_event(struct rbd_tx *tx, void *arg)
{
	return rbd_tx_event(tx, 0, "service.paused", "bench", 0, (const char *)arg);
}

static void *wal_writer(void *arg)
{
	struct wal_ctx *w = arg;
	char *detail = malloc(8192 + 16);
	int fails = 0;

	if (!detail)
		return NULL;
	/* {"x":"aaa...a"}: about 8 KiB per job, 2 pages */
	memcpy(detail, "{\"x\":\"", 6);
	memset(detail + 6, 'a', 8192);
	memcpy(detail + 6 + 8192, "\"}", 3);
	for (int i = 0; i < 300; i++)
		fails += rbd_store_write(w->s, job_big_event, detail) != 0;
	free(detail);
	return (void *)(intptr_t)fails;
}

static void *wal_watcher(void *arg)
{
	struct wal_ctx *w = arg;

	while (!atomic_load(&w->stop)) {
		struct stat st;

		if (stat(w->wal, &st) == 0 && st.st_size > atomic_load(&w->max_size))
			atomic_store(&w->max_size, (long long)st.st_size);
		usleep(500);
	}
	return NULL;
}

static void *wal_reader(void *arg)
{
	struct wal_ctx *w = arg;

	while (!atomic_load(&w->stop)) {
		struct rbd_incident *v = NULL;
		size_t n = 0;
		int64_t total = 0;

		if (rbd_store_incidents(w->s, &v, &n, &total, NULL, 10, 0) == 0)
			w->reads++;
		for (size_t i = 0; i < n; i++)
			rbd_incident_clear(&v[i]);
		free(v);
		usleep(200);
	}
	return NULL;
}

/*
 * 8 writers x 300 jobs of ~8 KiB (~20 MB through the WAL, several times the bound)
 * beside a reader: the WAL file never passes 2 x the 1000-page autocheckpoint size,
 * because the writer's own checkpoint between batches lets the WAL restart.
 */
static void test_store__wal_bounded(void)
{
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	struct wal_ctx w;
	pthread_t wr[8], watch, rd;
	char wal[700];
	int64_t last_us = 0, max_us = 0;
	int fails = 0;

	REQUIRE(s);
	snprintf(wal, sizeof(wal), "%s-wal", t.path);
	memset(&w, 0, sizeof(w));
	w.s = s;
	w.wal = wal;
	REQUIRE(pthread_create(&watch, NULL, wal_watcher, &w) == 0);
	REQUIRE(pthread_create(&rd, NULL, wal_reader, &w) == 0);
	for (int i = 0; i < 8; i++)
		REQUIRE(pthread_create(&wr[i], NULL, wal_writer, &w) == 0);
	for (int i = 0; i < 8; i++) {
		void *r = NULL;

		pthread_join(wr[i], &r);
		fails += (int)(intptr_t)r;
	}
	atomic_store(&w.stop, 1);
	pthread_join(watch, NULL);
	pthread_join(rd, NULL);
	rbd_store_checkpoint_stats(s, &last_us, &max_us);
	fprintf(stderr, "  WAL peak %lld bytes (bound %d), writer checkpoint max %lld us, %d reads\n",
		(long long)atomic_load(&w.max_size), WAL_BOUND, (long long)max_us, w.reads);
	CHECK_INT(fails, 0);
	CHECK(atomic_load(&w.max_size) > 0);
	CHECK(atomic_load(&w.max_size) <= WAL_BOUND);
	CHECK(max_us > 0);          /* the writer's checkpoint ran */
	CHECK_INT(raw_int(t.path, "SELECT count(*) FROM events"), 2400);
	close_and_remove(s, &t);
}

/* A database named in a log line never shows a URL's password. */
static void test_store__display_redacts_password(void)
{
	char out[256];

	rbd_store_display(out, sizeof(out), "postgresql://rb:s3cret@db.example:5432/runbookd");
	CHECK_STR(out, "postgresql://rb:***@db.example:5432/runbookd");
	rbd_store_display(out, sizeof(out), "postgres://rb@db/runbookd?sslmode=require");
	CHECK_STR(out, "postgres://rb@db/runbookd?sslmode=require");
	rbd_store_display(out, sizeof(out), "postgresql:///runbookd?host=/tmp/x");
	CHECK_STR(out, "postgresql:///runbookd?host=/tmp/x");
	rbd_store_display(out, sizeof(out), "/var/lib/runbookd/a:b@c.db");
	CHECK_STR(out, "/var/lib/runbookd/a:b@c.db");
	CHECK(strstr(out, "***") == NULL);
}

/* The plan of sql on db, its detail lines joined by '\n' (caller frees); NULL on error. */
static char *query_plan(sqlite3 *db, const char *sql)
{
	char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql), *out = NULL;
	sqlite3_stmt *st = NULL;
	size_t len = 0;

	if (!q || sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "  plan of %s: %s\n", sql, sqlite3_errmsg(db));
		sqlite3_free(q);
		return NULL;
	}
	out = calloc(1, 1);
	while (out && sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);
		size_t n = d ? strlen(d) : 0;
		char *grown = realloc(out, len + n + 2);

		if (!grown)
			break;
		out = grown;
		memcpy(out + len, d ? d : "", n);
		len += n;
		out[len++] = '\n';
		out[len] = 0;
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
	return out;
}

/*
 * Every statement the store runs, planned on the migrated schema: the cooldown lookup
 * uses the (rule, command_key, started_at) index; no statement scans actions or events
 * whole except the two that are bounded or rare (the newest-first list stops at its
 * LIMIT; the state counts run once at start-up); and every index on actions and
 * events is used by some statement (an index no query uses only slows the inserts).
 */
static void test_store__query_plans(void)
{
	static const char *const allowed_scans[] = {
		"FROM actions WHERE (?1 = 0 OR incident_id = ?1)",   /* ORDER BY id DESC LIMIT */
		"SELECT state, count(*) FROM actions GROUP BY state", /* start-up only */
	};
	struct tmpdb t;
	struct rbd_store *s = open_migrated(&t);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *plans = calloc(1, 1);
	size_t plans_len = 0;
	int n_index = 0, cooldown_ok = 0;

	REQUIRE(s != NULL && plans != NULL);
	rbd_store_close(s);
	REQUIRE(sqlite3_open_v2(t.path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	for (size_t i = 0; rbd_store_sql(i); i++) {
		const char *sql = rbd_store_sql(i);
		char *plan = query_plan(db, sql), *grown;
		bool allowed = false;

		CHECK(plan != NULL);
		if (!plan)
			continue;
		for (size_t k = 0; k < sizeof(allowed_scans) / sizeof(allowed_scans[0]); k++)
			allowed = allowed || strstr(sql, allowed_scans[k]) != NULL;
		if (!allowed && (strstr(plan, "SCAN actions") || strstr(plan, "SCAN events"))) {
			fprintf(stderr, "  full scan: %s\n    %s", sql, plan);
			rbd_test_case_failed = 1;
		}
		if (strstr(sql, "SELECT max(started_at) FROM actions WHERE rule = ?1 AND command_key = ?2")) {
			cooldown_ok = strstr(plan, "USING COVERING INDEX actions_rule_key_started "
					     "(rule=? AND command_key=?") != NULL;
			if (!cooldown_ok)
				fprintf(stderr, "  cooldown plan: %s", plan);
		}
		grown = realloc(plans, plans_len + strlen(plan) + 1);
		REQUIRE(grown != NULL);
		plans = grown;
		memcpy(plans + plans_len, plan, strlen(plan) + 1);
		plans_len += strlen(plan);
		free(plan);
	}
	CHECK(cooldown_ok);
	/* every explicit index on actions and events appears in some plan */
	REQUIRE(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND "
				   "tbl_name IN ('actions', 'events') AND sql IS NOT NULL", -1, &st,
				   NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char want[160];
		const char *name = (const char *)sqlite3_column_text(st, 0);

		n_index++;
		snprintf(want, sizeof(want), "INDEX %s ", name);
		if (!strstr(plans, want)) {
			fprintf(stderr, "  index %s is used by no statement\n", name);
			rbd_test_case_failed = 1;
		}
	}
	CHECK(n_index >= 6);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(plans);
	tmpdb_remove(&t);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_store__display_redacts_password),
	RBD_TEST(test_store__migrations_applied_once),
	RBD_TEST(test_store__unmigrated_database_refused),
	RBD_TEST(test_store__missing_directory_unavailable),
	RBD_TEST(test_store__failing_job_rolls_back_alone),
	RBD_TEST(test_store__constraint_error_reaches_caller),
	RBD_TEST(test_store__concurrent_writes_group_commit),
	RBD_TEST(test_store__on_commit_only_when_woken),
	RBD_TEST(test_store__incidents_limit_checked),
	RBD_TEST(test_store__read_only_store_refuses_writes),
	RBD_TEST(test_store__episode_dedup),
	RBD_TEST(test_store__incidents_open_resolve),
	RBD_TEST(test_store__action_unique_per_rule_alert_status),
	RBD_TEST(test_store__transitions_are_conditional),
	RBD_TEST(test_store__illegal_transitions_refused),
	RBD_TEST(test_store__state_check_migration_keeps_data),
	RBD_TEST(test_store__conflict_in_job_rolls_back_its_writes),
	RBD_TEST(test_store__cancel_waiting_actions_of_an_alert),
	RBD_TEST(test_store__approvals_distinct_operators),
	RBD_TEST(test_store__rule_counts),
	RBD_TEST(test_store__queue_expiry_and_recovery),
	RBD_TEST(test_store__events_iterator),
	RBD_TEST(test_store__events_append_only),
	RBD_TEST(test_store__query_plans),
	RBD_TEST(test_store__wal_bounded),
};

/* About SQLite's file itself: not run on PostgreSQL. */
static const char *const sqlite_only[] = {
	"test_store__missing_directory_unavailable",
	"test_store__state_check_migration_keeps_data",
	"test_store__events_append_only",
	"test_store__query_plans",
	"test_store__wal_bounded",
};

int main(int argc, char **argv)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), m = 0;
	struct rbd_test_case pg_cases[sizeof(cases) / sizeof(cases[0])];
	int rc = rbd_test_run(cases, n, argc, argv);

	pg_base = getenv("RBD_TEST_PG_URL");
	if (!pg_base || !*pg_base) {
		printf("PostgreSQL pass skipped: RBD_TEST_PG_URL is not set\n");
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		int skip = 0;

		for (size_t k = 0; k < sizeof(sqlite_only) / sizeof(sqlite_only[0]); k++)
			skip |= strcmp(cases[i].name, sqlite_only[k]) == 0;
		if (!skip)
			pg_cases[m++] = cases[i];
	}
	printf("PostgreSQL pass (%s):\n", pg_base);
	return rbd_test_run(pg_cases, m, argc, argv) | rc;
}
