/*
 * bench_ceiling: the SQLite ceiling for new episodes on this machine, the figure the
 * ingest benchmark is held against (issue: >= 70% of it). One raw row of ~2.3 KB per
 * episode (the size of what ingest stores for one: the alert, its action and events),
 * no index but the rowid, WAL with synchronous=FULL as the service runs it, committed
 * in groups of 8 and of 64 rows (the group-commit sizes seen at 16 and 64
 * connections). Alternating rounds; prints min / median / max episodes per second.
 * Uses sqlite3 directly: it measures the storage, not runbookd.
 *
 * usage: bench_ceiling [seconds_per_round [rounds [dir]]]    (default 3 5 /tmp)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROW_BYTES 2300

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "%s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

/* Episodes per second committing `per` rows per transaction for `secs` seconds. */
static double round_rate(sqlite3 *db, sqlite3_stmt *ins, int per, double secs, long *seq)
{
	char payload[ROW_BYTES + 1];
	double t0 = now_s(), t;
	long n = 0;

	memset(payload, 'x', ROW_BYTES);
	payload[ROW_BYTES] = 0;
	do {
		exec(db, "BEGIN IMMEDIATE");
		for (int i = 0; i < per; i++) {
			char fp[32];

			snprintf(fp, sizeof(fp), "%016lx", (*seq)++);
			sqlite3_reset(ins);
			sqlite3_bind_text(ins, 1, fp, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 2, payload, ROW_BYTES, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die(db, "insert");
		}
		exec(db, "COMMIT");
		n += per;
		t = now_s();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 3;
	int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	static const int pers[] = { 8, 64 };
	double rate[2][64];
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	long seq = 0;

	if (secs <= 0 || secs > 600 || rounds < 1 || rounds > 64)
		return 2;
	snprintf(path, sizeof(path), "%s/rbd-bench-ceiling-%ld.db", dir, (long)getpid());
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(db, "open");
	exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
		 "CREATE TABLE episodes (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, "
		 "body TEXT NOT NULL)");
	if (sqlite3_prepare_v2(db, "INSERT INTO episodes (fingerprint, body) VALUES (?1, ?2)", -1,
			       &ins, NULL) != SQLITE_OK)
		die(db, "prepare");
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 2; k++)
			rate[k][r] = round_rate(db, ins, pers[k], secs, &seq);
	printf("SQLite %s, %s, one %d-byte row per episode, %d rounds of %.0f s, alternating\n",
	       sqlite3_libversion(), dir, ROW_BYTES, rounds, secs);
	printf("| rows per commit | episodes/s min | median | max |\n| ---: | ---: | ---: | ---: |\n");
	for (int k = 0; k < 2; k++) {
		qsort(rate[k], (size_t)rounds, sizeof(double), cmp_double);
		printf("| %d | %.0f | %.0f | %.0f |\n", pers[k], rate[k][0], rate[k][rounds / 2],
		       rate[k][rounds - 1]);
	}
	sqlite3_finalize(ins);
	sqlite3_close(db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rbd-bench-ceiling-%ld.db-wal", dir, (long)getpid());
	unlink(path);
	snprintf(path, sizeof(path), "%s/rbd-bench-ceiling-%ld.db-shm", dir, (long)getpid());
	unlink(path);
	return 0;
}
