/*
 * migrate: the numbered SQL files of migrations/, embedded at build time
 * (scripts/embed_migrations.cmake). The store applies them in order, each in its own
 * transaction, and records each in schema_migrations.
 */
#ifndef RUNBOOKD_MIGRATE_H
#define RUNBOOKD_MIGRATE_H

#include <stddef.h>

struct rbd_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct rbd_migration rbd_migrations[];
extern const size_t rbd_migrations_count;
/* migrations/pg/: the PostgreSQL schema, applied under an advisory lock. */
extern const struct rbd_migration rbd_pg_migrations[];
extern const size_t rbd_pg_migrations_count;

#endif
