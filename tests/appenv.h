/*
 * appenv: a service context (struct rbd_app) for unit programs: a config from
 * tests/fixtures, a temporary migrated store, the tokens the fixtures name set in
 * the environment. Nothing is started: no server, no executor threads.
 */
#ifndef RBD_TEST_APPENV_H
#define RBD_TEST_APPENV_H

#include "harness.h"
#include "runbookd/app.h"
#include "runbookd/err.h"

#include <stdlib.h>
#include <unistd.h>

struct rbd_test_env {
	char dir[64];
	char db[128];
	struct rbd_store *store;
	struct rbd_app app;
	int up;
};

static inline int rbd_test_env_open(struct rbd_test_env *e, const char *config)
{
	struct rbd_diag diag = { 0 };
	struct rbd_config *cfg = NULL;
	char path[4096];

	memset(e, 0, sizeof(*e));
	setenv("RBD_UNIT_INGEST_TOKEN", "unit-ingest-token-1", 1);
	setenv("RBD_UNIT_ALICE_TOKEN", "unit-alice-token-2", 1);
	snprintf(path, sizeof(path), "%s", rbd_test_fixture(config));
	if (rbd_config_load(&cfg, path, &diag) != 0) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "  %s\n", diag.msgs[i]);
		rbd_diag_clear(&diag);
		return -1;
	}
	snprintf(e->dir, sizeof(e->dir), "/tmp/rbd-test-app.XXXXXX");
	if (!mkdtemp(e->dir)) {
		rbd_config_free(cfg);
		return -1;
	}
	snprintf(e->db, sizeof(e->db), "%s/runbookd.db", e->dir);
	if (rbd_store_open(&e->store, e->db, RBD_STORE_MIGRATE) != 0) {
		fprintf(stderr, "  store: %s\n", rbd_err_msg());
		rbd_config_free(cfg);
		rmdir(e->dir);
		return -1;
	}
	if (rbd_app_init(&e->app, path, cfg, e->store) != 0) {
		fprintf(stderr, "  app: %s\n", rbd_err_msg());
		rbd_store_close(e->store);
		return -1;
	}
	e->up = 1;
	return 0;
}

static inline void rbd_test_env_close(struct rbd_test_env *e)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[160];

	if (!e->up)
		return;
	rbd_app_destroy(&e->app);
	rbd_store_close(e->store);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", e->db, sfx[i]);
		unlink(p);
	}
	rmdir(e->dir);
	e->up = 0;
}

/* The stored state of action id (caller frees); NULL when unreadable. */
static inline char *rbd_test_action_state(struct rbd_test_env *e, int64_t id)
{
	struct rbd_action_rec a;
	char *s;

	if (rbd_store_action(e->store, &a, id) != 0)
		return NULL;
	s = a.state;
	a.state = NULL;
	rbd_action_rec_clear(&a);
	return s;
}

/* CHECKs that action id is in state want. */
static inline void rbd_test_check_state(struct rbd_test_env *e, int64_t id, const char *want)
{
	char *s = rbd_test_action_state(e, id);

	CHECK_STR(s, want);
	free(s);
}

#endif
