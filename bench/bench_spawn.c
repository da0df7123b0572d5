/*
 * bench_spawn: how long starting an action's process takes from a service-like
 * process (40 threads, a touched heap), which is the bulk of alert-to-spawn latency
 * when the machine is idle. Three ways, same process, alternating rounds:
 *   exec   rbd_exec_run of /bin/true: start to the on_spawn callback (posix_spawn
 *          returns after the child's execve), and to the result;
 *   fork   raw fork() + execve + waitpid (what src/exec.c did before);
 *   spawn  raw posix_spawn + waitpid.
 * Prints min / p50 / p99 / max in microseconds. Standalone program, not a test.
 *
 * usage: bench_spawn [runs [threads [heap_mb]]]     (default 300 40 256)
 */
#include "runbookd/exec.h"

#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stop;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("| %-22s | %8.0f | %8.0f | %8.0f | %8.0f |\n", what, v[0], v[n / 2],
	       v[(n * 99) / 100], v[n - 1]);
}

static void on_spawn(void *ctx, pid_t pid)
{
	(void)pid;
	*(double *)ctx = now_us();
}

static long arg_long(int argc, char **argv, int i, long def)
{
	char *end = NULL;
	long v;

	if (argc <= i)
		return def;
	v = strtol(argv[i], &end, 10);
	if (!end || *end || v <= 0 || v > 100000) {
		fprintf(stderr, "bad number: %s\n", argv[i]);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long runs = arg_long(argc, argv, 1, 300), nthreads = arg_long(argc, argv, 2, 40);
	long heap_mb = arg_long(argc, argv, 3, 256);
	const char *const child[] = { "/bin/true", NULL };
	double *t_spawn = calloc((size_t)runs, sizeof(double));
	double *t_exec = calloc((size_t)runs, sizeof(double));
	double *t_fork = calloc((size_t)runs, sizeof(double));
	double *t_raw = calloc((size_t)runs, sizeof(double));
	pthread_t *th = calloc((size_t)nthreads, sizeof(pthread_t));
	char *heap = malloc((size_t)heap_mb << 20);

	if (!t_spawn || !t_exec || !t_fork || !t_raw || !th || !heap)
		return 1;
	memset(heap, 1, (size_t)heap_mb << 20);     /* page tables fork would copy */
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, idle_thread, NULL);
	for (long r = 0; r < runs; r++) {
		struct rbd_exec_opts o;
		struct rbd_exec_result res;
		double t0, spawned = 0;
		pid_t pid;
		int st;

		memset(&o, 0, sizeof(o));
		o.argv = child;
		o.timeout_ms = 10000;
		o.output_cap = 1024;
		o.on_spawn = on_spawn;
		o.ctx = &spawned;
		t0 = now_us();
		if (rbd_exec_run(&res, &o) != 0 || !res.exited || res.exit_code != 0)
			return 1;
		t_exec[r] = now_us() - t0;
		t_spawn[r] = spawned - t0;
		rbd_exec_result_clear(&res);

		t0 = now_us();
		pid = fork();
		if (pid == 0) {
			execve(child[0], (char *const *)child, environ);
			_exit(127);
		}
		t_fork[r] = now_us() - t0;
		waitpid(pid, &st, 0);

		t0 = now_us();
		if (posix_spawn(&pid, child[0], NULL, NULL, (char *const *)child, environ) != 0)
			return 1;
		t_raw[r] = now_us() - t0;
		waitpid(pid, &st, 0);
	}
	printf("%ld runs, %ld idle threads, %ld MB heap touched\n\n", runs, nthreads, heap_mb);
	printf("| us                     |      min |      p50 |      p99 |      max |\n");
	printf("| --- | ---: | ---: | ---: | ---: |\n");
	report("rbd_exec_run to spawned", t_spawn, runs);
	report("rbd_exec_run whole", t_exec, runs);
	report("raw fork() returns", t_fork, runs);
	report("raw posix_spawn", t_raw, runs);
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (long i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	free(heap);
	free(th);
	free(t_spawn);
	free(t_exec);
	free(t_fork);
	free(t_raw);
	return 0;
}
