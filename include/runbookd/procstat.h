/*
 * procstat: the standard process_* metrics (as Prometheus client libraries export
 * them) read from /proc/self on Linux: resident and virtual memory, CPU seconds, open
 * and max file descriptors, start time. Cheap: a few small reads per scrape.
 */
#ifndef RUNBOOKD_PROCSTAT_H
#define RUNBOOKD_PROCSTAT_H

#include "runbookd/buf.h"

/* Appends the process_* families (HELP, TYPE, one sample each) to out. A value
 * /proc cannot give is left out. Returns 0 or RBD_ETOOBIG from the buffer. */
int rbd_procstat_render(struct rbd_buf *out);

#endif
