/*
 * threads: the scaffold the background workers share (executor, notifier,
 * reconciler): a group of threads with one mutex and one condition variable, a stop
 * flag, timed waits, and a stop that wakes and joins every thread.
 */
#ifndef RUNBOOKD_THREADS_H
#define RUNBOOKD_THREADS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RBD_THREADS_MAX 64

struct rbd_threads {
	pthread_mutex_t mu;           /* the workers' state is guarded by it */
	pthread_cond_t cv;            /* signalled on new work and on stop */
	atomic_bool stopping;         /* set under mu; may be read without it */
	pthread_t ids[RBD_THREADS_MAX];
	int n;
};

/*
 * Starts n threads (1..RBD_THREADS_MAX, clamped) running fn(arg). Fails with RBD_EIO
 * ("cannot start <what>") when none could be started; some is enough.
 */
int rbd_threads_start(struct rbd_threads *t, int n, void *(*fn)(void *), void *arg,
		      const char *what);
/* Wakes one waiting thread (all: every one). Takes mu. */
void rbd_threads_wake(struct rbd_threads *t, bool all);
/* With mu held: waits for a wake or the stop, at most ms milliseconds (ms < 0: no
 * limit). */
void rbd_threads_wait(struct rbd_threads *t, int64_t ms);
/* Sets stopping, wakes every thread, joins them, releases mu and cv. */
void rbd_threads_stop(struct rbd_threads *t);

#endif
