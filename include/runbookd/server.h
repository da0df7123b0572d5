/*
 * server: the HTTP front door on libmicrohttpd (epoll, a thread pool, connection
 * limits, per-IP limits and timeouts). It reads the request, caps the body while
 * reading, and hands a complete request to routes. The only module that includes
 * microhttpd.h.
 */
#ifndef RUNBOOKD_SERVER_H
#define RUNBOOKD_SERVER_H

#include <stddef.h>

#include "runbookd/app.h"
#include "runbookd/buf.h"

struct rbd_server;

/* Starts listening on the config's address. *out_port gets the bound port (useful
 * with port 0). RBD_EIO (exit 3) when it cannot bind. */
int rbd_server_start(struct rbd_server **out, struct rbd_app *app, int *out_port);
/* Stops accepting, waits up to drain_ms for requests in flight, then stops. */
void rbd_server_stop(struct rbd_server *srv, int drain_ms);

#endif
