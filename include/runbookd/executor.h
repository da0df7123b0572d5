/*
 * executor: worker threads that start planned and approved actions, one at a time
 * each, at most limits.max_concurrent_actions at once. The move to `running` is
 * committed before anything is spawned or requested, so an action never runs twice,
 * also across crashes. This is the one place where anything is executed, and it
 * checks dry-run and the kill switch right before it does.
 */
#ifndef RUNBOOKD_EXECUTOR_H
#define RUNBOOKD_EXECUTOR_H

#include <stdint.h>

#include "runbookd/app.h"

struct rbd_executor;

/* Marks actions left `running` by a previous process `interrupted` (never re-run). */
int rbd_executor_recover(struct rbd_app *app);
int rbd_executor_start(struct rbd_executor **out, struct rbd_app *app);
/* Wakes idle workers (after a commit that may have made work). Safe from any thread. */
void rbd_executor_wake(struct rbd_executor *ex);
/* Stops claiming; running actions finish (each bounded by its own timeout); joins. */
void rbd_executor_stop(struct rbd_executor *ex);

#endif
