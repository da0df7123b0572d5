/*
 * test_threads: the worker scaffold: threads start, a wake reaches a waiter, a timed
 * wait returns on its own, and stop wakes and joins every thread.
 */
#include "harness.h"
#include "runbookd/err.h"
#include "runbookd/threads.h"
#include "runbookd/timeutil.h"

struct work {
	struct rbd_threads t;
	int pending;          /* under t.mu */
	int done;             /* under t.mu */
	atomic_int exited;
};

static void *worker(void *arg)
{
	struct work *w = arg;

	pthread_mutex_lock(&w->t.mu);
	while (!atomic_load(&w->t.stopping)) {
		if (w->pending) {
			w->pending--;
			w->done++;
			continue;
		}
		rbd_threads_wait(&w->t, -1);
	}
	pthread_mutex_unlock(&w->t.mu);
	atomic_fetch_add(&w->exited, 1);
	return NULL;
}

static void test_threads__wake_and_stop(void)
{
	struct work w = { .pending = 0 };
	int64_t deadline;
	int done = 0;

	REQUIRE(rbd_threads_start(&w.t, 3, worker, &w, "test workers") == 0);
	CHECK_INT(w.t.n, 3);
	pthread_mutex_lock(&w.t.mu);
	w.pending = 5;
	pthread_mutex_unlock(&w.t.mu);
	rbd_threads_wake(&w.t, true);
	deadline = rbd_mono_ms() + 5000;
	while (done < 5 && rbd_mono_ms() < deadline) {
		pthread_mutex_lock(&w.t.mu);
		done = w.done;
		pthread_mutex_unlock(&w.t.mu);
		if (done < 5)
			rbd_threads_wake(&w.t, false);
	}
	CHECK_INT(done, 5);
	rbd_threads_stop(&w.t);
	CHECK_INT(atomic_load(&w.exited), 3);
}

static void *worker_noop_for_clamp(void *arg)
{
	return arg;
}

static void test_threads__timed_wait_and_clamp(void)
{
	struct rbd_threads t;
	int64_t t0;

	REQUIRE(rbd_threads_start(&t, 500, worker_noop_for_clamp, NULL, "x") == 0);
	CHECK_INT(t.n, RBD_THREADS_MAX);
	pthread_mutex_lock(&t.mu);
	t0 = rbd_mono_ms();
	rbd_threads_wait(&t, 30);
	CHECK(rbd_mono_ms() - t0 < 5000);
	pthread_mutex_unlock(&t.mu);
	rbd_threads_stop(&t);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_threads__wake_and_stop),
	RBD_TEST(test_threads__timed_wait_and_clamp),
};

RBD_TEST_MAIN(cases)
