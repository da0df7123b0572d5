/*
 * bench_load: config load time with many rules (the duplicate-name check and lookups
 * by name were quadratic: 5k rules 0.30 s, 20k 2.0 s). Generates a config with N
 * rules (and N/4 actions) in a temp dir and loads it ROUNDS times, printing the
 * min/median/max wall and CPU time per size. Standalone program, not a test.
 *
 * usage: bench_load [rounds [N...]]      (default: 5 rounds; 5000 10000 20000 40000)
 */
#include "runbookd/config.h"
#include "runbookd/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int gen(const char *dir, long n)
{
	char path[256];
	long n_act = n / 4 > 0 ? n / 4 : 1;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/runbookd.yaml", dir);
	if (!(fp = fopen(path, "w")))
		return -1;
	fprintf(fp, "listen: 127.0.0.1:0\ndatabase: \":memory:\"\nmode: dry-run\nrules: rules.yaml\n"
		"actions:\n");
	for (long i = 0; i < n_act; i++)
		fprintf(fp, "  act-%ld:\n    http: { method: POST, url: \"http://127.0.0.1:9/a/%ld\" }\n",
			i, i);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/rules.yaml", dir);
	if (!(fp = fopen(path, "w")))
		return -1;
	fprintf(fp, "rules:\n");
	for (long i = 0; i < n; i++)
		fprintf(fp, "  - name: rule-%ld\n    matchers: ['alertname = \"A%ld\"', 'env != \"prod\"']\n"
			"    action: act-%ld\n    cooldown: 10m\n", i, i, i % n_act);
	fclose(fp);
	return 0;
}

static long arg_long(const char *s)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (!end || *end || v <= 0 || v > 10000000) {
		fprintf(stderr, "bad number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const long defaults[] = { 5000, 10000, 20000, 40000 };
	long rounds = argc > 1 ? arg_long(argv[1]) : 5;
	size_t n_sizes = argc > 2 ? (size_t)(argc - 2) : sizeof(defaults) / sizeof(defaults[0]);
	char dir[] = "/tmp/rbd-bench-load.XXXXXX", path[256];
	double *wall = calloc((size_t)rounds, sizeof(double));
	double *cpu = calloc((size_t)rounds, sizeof(double));

	if (!wall || !cpu || !mkdtemp(dir))
		return 1;
	printf("| rules | wall min / median / max (s) | CPU min / median / max (s) |\n");
	printf("| ---: | --- | --- |\n");
	for (size_t k = 0; k < n_sizes; k++) {
		long n = argc > 2 ? arg_long(argv[2 + k]) : defaults[k];

		if (gen(dir, n) != 0)
			return 1;
		snprintf(path, sizeof(path), "%s/runbookd.yaml", dir);
		for (long r = 0; r < rounds; r++) {
			struct rbd_config *cfg = NULL;
			double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);

			if (rbd_config_load(&cfg, path, NULL) != 0) {
				fprintf(stderr, "load: %s\n", rbd_err_msg());
				return 1;
			}
			wall[r] = clock_s(CLOCK_MONOTONIC) - w0;
			cpu[r] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
			rbd_config_free(cfg);
		}
		qsort(wall, (size_t)rounds, sizeof(double), cmp_double);
		qsort(cpu, (size_t)rounds, sizeof(double), cmp_double);
		printf("| %ld | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f |\n", n, wall[0],
		       wall[rounds / 2], wall[rounds - 1], cpu[0], cpu[rounds / 2], cpu[rounds - 1]);
	}
	snprintf(path, sizeof(path), "%s/runbookd.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rules.yaml", dir);
	unlink(path);
	rmdir(dir);
	free(wall);
	free(cpu);
	return 0;
}
