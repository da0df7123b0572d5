/*
 * threads: start, wake, wait and stop for the background workers.
 */
#include "runbookd/threads.h"
#include "runbookd/err.h"
#include "runbookd/timeutil.h"

int rbd_threads_start(struct rbd_threads *t, int n, void *(*fn)(void *), void *arg,
		      const char *what)
{
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	atomic_store(&t->stopping, false);
	t->n = 0;
	if (n < 1)
		n = 1;
	if (n > RBD_THREADS_MAX)
		n = RBD_THREADS_MAX;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t->ids[i], NULL, fn, arg) != 0)
			break;
		t->n++;
	}
	if (t->n == 0) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		return rbd_err_set(RBD_EIO, "cannot start %s", what);
	}
	return 0;
}

void rbd_threads_wake(struct rbd_threads *t, bool all)
{
	pthread_mutex_lock(&t->mu);
	if (all)
		pthread_cond_broadcast(&t->cv);
	else
		pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

void rbd_threads_wait(struct rbd_threads *t, int64_t ms)
{
	struct timespec ts;

	if (ms < 0) {
		pthread_cond_wait(&t->cv, &t->mu);
		return;
	}
	rbd_deadline_ms(&ts, ms);
	pthread_cond_timedwait(&t->cv, &t->mu, &ts);
}

void rbd_threads_stop(struct rbd_threads *t)
{
	pthread_mutex_lock(&t->mu);
	atomic_store(&t->stopping, true);
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	for (int i = 0; i < t->n; i++)
		pthread_join(t->ids[i], NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
}
