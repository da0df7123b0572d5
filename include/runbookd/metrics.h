/*
 * metrics: runbookd's own counters and histograms, rendered as Prometheus text
 * exposition (all names runbookd_*). Thread-safe. Series are created on first use;
 * their label text is fixed by the caller (never from the network).
 */
#ifndef RUNBOOKD_METRICS_H
#define RUNBOOKD_METRICS_H

#include <stdint.h>

#include "runbookd/buf.h"

struct rbd_metrics;

int rbd_metrics_new(struct rbd_metrics **out);
void rbd_metrics_free(struct rbd_metrics *m);

/* Adds v to counter name{labels}. labels is the inside of {}, e.g. `route="/healthz",code="200"`,
 * or NULL. name must be declared in metrics.c's table. */
void rbd_metrics_add(struct rbd_metrics *m, const char *name, const char *labels, double v);
/* Sets gauge name{labels} to v. */
void rbd_metrics_set(struct rbd_metrics *m, const char *name, const char *labels, double v);
/* Observes v (seconds) in histogram name{labels}. */
void rbd_metrics_observe(struct rbd_metrics *m, const char *name, const char *labels, double v);
/* Appends the exposition text. */
int rbd_metrics_render(struct rbd_buf *out, struct rbd_metrics *m);

#endif
