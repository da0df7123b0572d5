/*
 * bench_match: rule matching cost with 10,000 rules, through the alertname index
 * versus a linear scan of rbd_rule_matches over every rule. Standalone program, not
 * a test; see bench/README-match.md for the command line and measured figures.
 *
 * usage: bench_match [alerts_indexed [alerts_linear [rules]]]
 */
#include "runbookd/buf.h"
#include "runbookd/config.h"
#include "runbookd/err.h"
#include "runbookd/labels.h"
#include "runbookd/matcher.h"
#include "runbookd/ruleindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_SHAPES 4096   /* distinct alerts, cycled through */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_long(int argc, char **argv, int i, long def)
{
	char *end = NULL;
	long v;

	if (argc <= i)
		return def;
	v = strtol(argv[i], &end, 10);
	if (!end || *end || v <= 0) {
		fprintf(stderr, "bad number: %s\n", argv[i]);
		exit(2);
	}
	return v;
}

static void add_matcher(struct rbd_rule *r, const char *text)
{
	struct rbd_matcher *m = NULL;

	if (rbd_matcher_parse(&m, text) != 0) {
		fprintf(stderr, "%s\n", rbd_err_msg());
		exit(1);
	}
	r->matchers = rbd_realloc(r->matchers, (r->n_matchers + 1) * sizeof(*r->matchers));
	r->matchers[r->n_matchers++] = m;
}

int main(int argc, char **argv)
{
	long n_ix = arg_long(argc, argv, 1, 1000000);
	long n_lin = arg_long(argc, argv, 2, 100000);
	size_t n_rules = (size_t)arg_long(argc, argv, 3, 10000);
	static const char *const sevs[] = { "critical", "warning", "info" };
	struct rbd_rule *rules = rbd_calloc(n_rules, sizeof(*rules));
	struct rbd_labelset *alerts = rbd_calloc(N_SHAPES, sizeof(*alerts));
	const struct rbd_rule **out = rbd_calloc(n_rules, sizeof(*out));
	struct rbd_ruleindex *ix = NULL;
	struct rbd_buf b = RBD_BUF_INIT(0);
	unsigned long hits_ix = 0, hits_lin = 0, hits_ix_same = 0;
	unsigned seed = 1;
	double t0, t_ix, t_lin, t_build;

	for (size_t i = 0; i < n_rules; i++) {
		rbd_buf_reset(&b);
		rbd_buf_printf(&b, "alertname=\"X_%zu\"", i);
		add_matcher(&rules[i], rbd_buf_cstr(&b));
		add_matcher(&rules[i], "severity=~\"warning|critical\"");
		rules[i].on = RBD_ON_FIRING;
	}
	for (size_t i = 0; i < N_SHAPES; i++) {
		seed = seed * 1103515245u + 12345u;
		rbd_buf_reset(&b);
		rbd_buf_printf(&b, "X_%u", (seed >> 8) % (unsigned)(n_rules + n_rules / 10));
		rbd_labels_set(&alerts[i], "alertname", rbd_buf_cstr(&b));
		rbd_labels_set(&alerts[i], "severity", sevs[(seed >> 4) % 3]);
		rbd_labels_set(&alerts[i], "instance", "app-1:8080");
		rbd_labels_set(&alerts[i], "job", "order-service");
		rbd_labels_set(&alerts[i], "env", "staging");
	}

	t0 = now_s();
	rbd_ruleindex_build(&ix, rules, n_rules);
	t_build = now_s() - t0;

	t0 = now_s();
	for (long k = 0; k < n_ix; k++)
		hits_ix += rbd_ruleindex_match(out, n_rules, ix, &alerts[k % N_SHAPES], RBD_ON_FIRING);
	t_ix = now_s() - t0;

	t0 = now_s();
	for (long k = 0; k < n_lin; k++) {
		const struct rbd_labelset *ls = &alerts[k % N_SHAPES];

		for (size_t i = 0; i < n_rules; i++)
			if (rules[i].on == RBD_ON_FIRING && rbd_rule_matches(&rules[i], ls))
				hits_lin++;
	}
	t_lin = now_s() - t0;

	/* both paths must agree on the alerts the linear scan saw */
	for (long k = 0; k < n_lin; k++)
		hits_ix_same += rbd_ruleindex_match(out, n_rules, ix, &alerts[k % N_SHAPES], RBD_ON_FIRING);

	printf("rules: %zu (alertname=X_i, severity=~\"warning|critical\"); index build %.1f ms\n",
	       n_rules, t_build * 1e3);
	printf("indexed: %ld alerts, %.0f ns/alert, %lu matches\n", n_ix, t_ix * 1e9 / (double)n_ix,
	       hits_ix);
	printf("linear:  %ld alerts, %.0f ns/alert, %lu matches (indexed on the same alerts: %lu)\n",
	       n_lin, t_lin * 1e9 / (double)n_lin, hits_lin, hits_ix_same);
	printf("speedup: %.0fx\n", (t_lin / (double)n_lin) / (t_ix / (double)n_ix));

	rbd_ruleindex_free(ix);
	for (size_t i = 0; i < n_rules; i++) {
		for (size_t k = 0; k < rules[i].n_matchers; k++)
			rbd_matcher_free(rules[i].matchers[k]);
		free(rules[i].matchers);
	}
	for (size_t i = 0; i < N_SHAPES; i++)
		rbd_labels_clear(&alerts[i]);
	free(rules);
	free(alerts);
	free(out);
	rbd_buf_free(&b);
	return hits_lin == hits_ix_same ? 0 : 1;
}
