/*
 * executor: worker threads that start planned and approved actions, one at a time
 * each, at most limits.max_concurrent_actions at once. The move to `running` is
 * committed before anything is spawned or requested, so an action never runs twice,
 * also across crashes. This is the one place where anything is executed, and it
 * checks dry-run and the kill switch right before it does.
 */
#ifndef RUNBOOKD_EXECUTOR_H
#define RUNBOOKD_EXECUTOR_H

#include <stdbool.h>
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

/*
 * One claim pass as a worker makes it, in one write job, without running anything:
 * approved actions before planned ones, oldest first; one whose rule is gone is
 * cancelled, one in dry-run becomes dry_run, an unreadable rendering fails, a
 * breaker, cooldown or rate limit skips it, and the first that may start is marked
 * running (its event written). Stops at the kill switch or the concurrency cap.
 * *out_id: the action claimed, 0 when none; *out_more: something was settled, look
 * again. The claimed action is left running: for tests and tools, not for workers.
 */
int rbd_executor_claim(struct rbd_app *app, int64_t *out_id, bool *out_more);

#endif
