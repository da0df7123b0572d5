/*
 * test_metrics: runbookd's own metrics: counters add, gauges set, histogram buckets
 * are cumulative with +Inf equal to the count, undeclared names are ignored, the
 * exposition text parses line by line (# HELP and # TYPE once per family, before its
 * samples, samples of a family together), and concurrent adds lose nothing.
 */
#include "harness.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/metrics.h"

#include <math.h>
#include <pthread.h>

static char *render(struct rbd_metrics *m)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	if (rbd_metrics_render(&b, m) != 0) {
		rbd_buf_free(&b);
		return NULL;
	}
	return rbd_buf_steal(&b);
}

/* The value of the sample whose series is exactly `series` (name{labels}); NAN when
 * there is none, and -INFINITY when there are several. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	double v = NAN;
	int found = 0;

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (strncmp(line, series, n) == 0 && line[n] == ' ') {
			v = strtod(line + n + 1, NULL);
			found++;
		}
		line = eol ? eol + 1 : NULL;
	}
	return found == 1 ? v : found ? -INFINITY : NAN;
}

/* The family of a sample name: histograms' _bucket/_sum/_count stripped when that
 * family is declared a histogram. */
struct family_seen {
	char name[128];
	char type[32];
	int help, type_lines, samples;
	int closed;                  /* samples of another family came after ours */
};

static struct family_seen *family_find(struct family_seen *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/*
 * Checks the text format line by line. Returns 0 when it holds, else prints why.
 * Every line ends with \n; comments are "# HELP name text" or "# TYPE name kind";
 * samples are name[{labels}] value; each family has one HELP and one TYPE, before its
 * first sample, and its samples are contiguous.
 */
static int exposition_valid(const char *text, size_t *out_families)
{
	struct family_seen fams[64];
	size_t nf = 0;
	struct family_seen *cur = NULL;
	const char *line = text;

	memset(fams, 0, sizeof(fams));
	if (*text && text[strlen(text) - 1] != '\n') {
		fprintf(stderr, "  exposition does not end with a newline\n");
		return -1;
	}
	while (*line) {
		const char *eol = strchr(line, '\n');
		char buf[1024], name[128], kind[32];
		struct family_seen *f;

		if (!eol || (size_t)(eol - line) >= sizeof(buf)) {
			fprintf(stderr, "  bad line\n");
			return -1;
		}
		memcpy(buf, line, (size_t)(eol - line));
		buf[eol - line] = '\0';
		line = eol + 1;
		if (strncmp(buf, "# HELP ", 7) == 0 || strncmp(buf, "# TYPE ", 7) == 0) {
			int is_help = buf[2] == 'H';

			if (sscanf(buf + 7, "%127s %31s", name, kind) != 2 || strncmp(name, "runbookd_", 9)) {
				fprintf(stderr, "  bad comment: %s\n", buf);
				return -1;
			}
			f = family_find(fams, nf, name);
			if (!f) {
				if (nf == 64)
					return -1;
				f = &fams[nf++];
				snprintf(f->name, sizeof(f->name), "%s", name);
			}
			if (f->samples) {
				fprintf(stderr, "  %s: comment after its samples\n", name);
				return -1;
			}
			if (is_help) {
				f->help++;
			} else {
				f->type_lines++;
				snprintf(f->type, sizeof(f->type), "%s", kind);
				if (strcmp(kind, "counter") && strcmp(kind, "gauge") && strcmp(kind, "histogram")) {
					fprintf(stderr, "  %s: type %s\n", name, kind);
					return -1;
				}
			}
			continue;
		}
		if (buf[0] == '#' || buf[0] == '\0') {
			fprintf(stderr, "  unexpected line: \"%s\"\n", buf);
			return -1;
		}
		{
			size_t nl = strcspn(buf, "{ ");
			const char *rest = buf + nl;
			char *end;
			struct family_seen *fam = NULL;
			static const char *const sfx[] = { "_bucket", "_sum", "_count" };

			if (nl == 0 || nl >= sizeof(name)) {
				fprintf(stderr, "  bad sample: %s\n", buf);
				return -1;
			}
			memcpy(name, buf, nl);
			name[nl] = '\0';
			if (!(fam = family_find(fams, nf, name))) {
				for (size_t s = 0; s < 3 && !fam; s++) {
					size_t ls = strlen(sfx[s]);

					if (nl > ls && strcmp(name + nl - ls, sfx[s]) == 0) {
						name[nl - ls] = '\0';
						fam = family_find(fams, nf, name);
						if (fam && strcmp(fam->type, "histogram") != 0)
							fam = NULL;
						name[nl - ls] = sfx[s][0];
					}
				}
			}
			if (!fam || fam->type_lines != 1 || fam->help != 1) {
				fprintf(stderr, "  sample without one HELP and one TYPE first: %s\n", buf);
				return -1;
			}
			if (fam->closed) {
				fprintf(stderr, "  samples of %s are not together\n", fam->name);
				return -1;
			}
			if (cur && cur != fam)
				cur->closed = 1;
			cur = fam;
			fam->samples++;
			if (*rest == '{') {
				const char *close = strchr(rest, '}');

				if (!close) {
					fprintf(stderr, "  unclosed labels: %s\n", buf);
					return -1;
				}
				rest = close + 1;
			}
			if (*rest != ' ') {
				fprintf(stderr, "  no value: %s\n", buf);
				return -1;
			}
			strtod(rest + 1, &end);
			if (end == rest + 1 || *end != '\0') {
				fprintf(stderr, "  bad value: %s\n", buf);
				return -1;
			}
		}
	}
	for (size_t i = 0; i < nf; i++)
		if (fams[i].help != 1 || fams[i].type_lines != 1 || !fams[i].samples) {
			fprintf(stderr, "  %s: %d HELP, %d TYPE, %d samples\n", fams[i].name,
				fams[i].help, fams[i].type_lines, fams[i].samples);
			return -1;
		}
	if (out_families)
		*out_families = nf;
	return 0;
}

static void test_metrics__empty_registry(void)
{
	struct rbd_metrics *m = NULL;
	char *t;

	REQUIRE(rbd_metrics_new(&m) == 0 && m);
	t = render(m);
	REQUIRE(t);
	CHECK_STR(t, "");
	free(t);
	rbd_metrics_free(m);
	rbd_metrics_free(NULL);
}

static void test_metrics__counters_add(void)
{
	struct rbd_metrics *m = NULL;
	char *t;

	REQUIRE(rbd_metrics_new(&m) == 0);
	rbd_metrics_add(m, "runbookd_http_requests_total", "route=\"/healthz\",code=\"200\"", 1);
	rbd_metrics_add(m, "runbookd_http_requests_total", "route=\"/healthz\",code=\"200\"", 2);
	rbd_metrics_add(m, "runbookd_http_requests_total", "route=\"/api/v1/alerts\",code=\"401\"", 1);
	rbd_metrics_add(m, "runbookd_store_commits_total", NULL, 1);
	rbd_metrics_add(m, "runbookd_store_commits_total", NULL, 0.5);
	rbd_metrics_add(m, "runbookd_store_commits_total", "", 1);     /* "" is no labels too */
	t = render(m);
	REQUIRE(t);
	CHECK(sample(t, "runbookd_http_requests_total{route=\"/healthz\",code=\"200\"}") == 3);
	CHECK(sample(t, "runbookd_http_requests_total{route=\"/api/v1/alerts\",code=\"401\"}") == 1);
	CHECK(sample(t, "runbookd_store_commits_total") == 2.5);
	CHECK(strstr(t, "runbookd_store_commits_total{}") == NULL);
	CHECK(strstr(t, "# TYPE runbookd_http_requests_total counter\n") != NULL);
	CHECK(strstr(t, "# HELP runbookd_http_requests_total ") != NULL);
	CHECK_INT(exposition_valid(t, NULL), 0);
	free(t);
	rbd_metrics_free(m);
}

static void test_metrics__gauges_set(void)
{
	struct rbd_metrics *m = NULL;
	char *t;

	REQUIRE(rbd_metrics_new(&m) == 0);
	rbd_metrics_set(m, "runbookd_paused", NULL, 1);
	rbd_metrics_set(m, "runbookd_paused", NULL, 0);
	rbd_metrics_set(m, "runbookd_actions", "state=\"running\"", 5);
	rbd_metrics_set(m, "runbookd_actions", "state=\"running\"", 2);
	rbd_metrics_set(m, "runbookd_actions", "state=\"failed\"", 7);
	rbd_metrics_set(m, "runbookd_rules_loaded", NULL, 12345678);
	t = render(m);
	REQUIRE(t);
	CHECK(sample(t, "runbookd_paused") == 0);
	CHECK(sample(t, "runbookd_actions{state=\"running\"}") == 2);
	CHECK(sample(t, "runbookd_actions{state=\"failed\"}") == 7);
	CHECK(sample(t, "runbookd_rules_loaded") == 12345678);      /* not 1.23457e+07 */
	CHECK(strstr(t, "runbookd_rules_loaded 12345678\n") != NULL);
	CHECK(strstr(t, "# TYPE runbookd_actions gauge\n") != NULL);
	CHECK_INT(exposition_valid(t, NULL), 0);
	free(t);
	rbd_metrics_free(m);
}

static void test_metrics__histogram_cumulative(void)
{
	static const double obs[] = { 0.0005, 0.003, 0.2, 0.2, 1, 200 };
	static const struct {
		const char *le;
		double count;
	} want[] = {
		{ "0.0005", 1 },   /* le is inclusive: 0.0005 counts in its own bucket */
		{ "0.001", 1 },
		{ "0.0025", 1 },
		{ "0.005", 2 },
		{ "0.1", 2 },
		{ "0.25", 4 },
		{ "0.5", 4 },
		{ "1", 5 },
		{ "120", 5 },
		{ "+Inf", 6 },     /* 200 is only in +Inf */
	};
	struct rbd_metrics *m = NULL;
	char series[256], *t;
	double prev = 0, sum = 0;
	int n_buckets = 0;

	REQUIRE(rbd_metrics_new(&m) == 0);
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++) {
		rbd_metrics_observe(m, "runbookd_http_request_duration_seconds",
				    "route=\"/api/v1/alerts\"", obs[i]);
		sum += obs[i];
	}
	rbd_metrics_observe(m, "runbookd_store_commit_seconds", NULL, 0.01);
	t = render(m);
	REQUIRE(t);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(series, sizeof(series),
			 "runbookd_http_request_duration_seconds_bucket{route=\"/api/v1/alerts\",le=\"%s\"}",
			 want[i].le);
		if (sample(t, series) != want[i].count) {
			fprintf(stderr, "  %s = %g, expected %g\n", series, sample(t, series),
				want[i].count);
			rbd_test_case_failed = 1;
		}
	}
	/* Every bucket, in order: non-decreasing, ending at +Inf == _count. */
	for (const char *p = t; (p = strstr(p, "runbookd_http_request_duration_seconds_bucket{"));
	     p++) {
		double v = strtod(strchr(p, '}') + 2, NULL);

		CHECK(v >= prev);
		prev = v;
		n_buckets++;
	}
	CHECK(n_buckets >= 10);
	CHECK(prev == 6);
	CHECK(sample(t, "runbookd_http_request_duration_seconds_count{route=\"/api/v1/alerts\"}") == 6);
	CHECK(fabs(sample(t, "runbookd_http_request_duration_seconds_sum{route=\"/api/v1/alerts\"}") -
		   sum) < 1e-6);
	/* Without labels: le is the only label, and _sum/_count carry none. */
	CHECK(sample(t, "runbookd_store_commit_seconds_bucket{le=\"0.01\"}") == 1);
	CHECK(sample(t, "runbookd_store_commit_seconds_bucket{le=\"0.005\"}") == 0);
	CHECK(sample(t, "runbookd_store_commit_seconds_bucket{le=\"+Inf\"}") == 1);
	CHECK(sample(t, "runbookd_store_commit_seconds_count") == 1);
	CHECK(fabs(sample(t, "runbookd_store_commit_seconds_sum") - 0.01) < 1e-9);
	CHECK(strstr(t, "# TYPE runbookd_store_commit_seconds histogram\n") != NULL);
	CHECK_INT(exposition_valid(t, NULL), 0);
	free(t);
	rbd_metrics_free(m);
}

static void test_metrics__undeclared_names_ignored(void)
{
	struct rbd_metrics *m = NULL;
	char *t;

	REQUIRE(rbd_metrics_new(&m) == 0);
	rbd_metrics_add(m, "runbookd_not_declared_total", NULL, 1);
	rbd_metrics_set(m, "evil\n# TYPE x counter", NULL, 1);
	rbd_metrics_observe(m, "runbookd_nope_seconds", NULL, 1);
	t = render(m);
	REQUIRE(t);
	CHECK_STR(t, "");
	free(t);
	rbd_metrics_add(m, "runbookd_notifications_total", "outcome=\"accepted\"", 1);
	rbd_metrics_add(m, "runbookd_notifications_total_x", "outcome=\"accepted\"", 1);
	t = render(m);
	REQUIRE(t);
	CHECK(strstr(t, "not_declared") == NULL && strstr(t, "evil") == NULL);
	CHECK(strstr(t, "total_x") == NULL);
	CHECK(sample(t, "runbookd_notifications_total{outcome=\"accepted\"}") == 1);
	free(t);
	rbd_metrics_free(m);
}

static void test_metrics__exposition_families_once(void)
{
	struct rbd_metrics *m = NULL;
	size_t families = 0;
	char *t;
	const char *p;
	int n;

	REQUIRE(rbd_metrics_new(&m) == 0);
	/* Series of one family created far apart: still rendered together, one header. */
	rbd_metrics_add(m, "runbookd_http_requests_total", "route=\"a\",code=\"200\"", 1);
	rbd_metrics_set(m, "runbookd_paused", NULL, 0);
	rbd_metrics_observe(m, "runbookd_action_duration_seconds", "rule=\"r1\"", 3);
	rbd_metrics_add(m, "runbookd_http_requests_total", "route=\"b\",code=\"500\"", 1);
	rbd_metrics_observe(m, "runbookd_action_duration_seconds", "rule=\"r2\"", 0.3);
	rbd_metrics_set(m, "runbookd_build_info", "version=\"dev\"", 1);
	rbd_metrics_add(m, "runbookd_config_reloads_total", "result=\"success\"", 1);
	rbd_metrics_add(m, "runbookd_http_requests_total", "route=\"c\",code=\"404\"", 1);
	t = render(m);
	REQUIRE(t);
	CHECK_INT(exposition_valid(t, &families), 0);
	CHECK_INT(families, 5);
	for (n = 0, p = t; (p = strstr(p, "# TYPE runbookd_http_requests_total ")); p++)
		n++;
	CHECK_INT(n, 1);
	for (n = 0, p = t; (p = strstr(p, "# HELP runbookd_action_duration_seconds ")); p++)
		n++;
	CHECK_INT(n, 1);
	free(t);
	rbd_metrics_free(m);
}

struct worker {
	struct rbd_metrics *m;
	int id;
};

static void *adder(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 10000; i++) {
		rbd_metrics_add(w->m, "runbookd_store_commit_jobs_total", NULL, 1);
		if (i % 10 == 0)
			rbd_metrics_observe(w->m, "runbookd_store_commit_seconds", NULL, 0.001);
		if (i % 100 == 0) {
			char labels[32];

			/* New series appear while others add: the table grows under the lock. */
			snprintf(labels, sizeof(labels), "t=\"%d\",i=\"%d\"", w->id, i);
			rbd_metrics_add(w->m, "runbookd_http_requests_total", labels, 1);
		}
	}
	return NULL;
}

static void test_metrics__thread_safety(void)
{
	struct rbd_metrics *m = NULL;
	struct worker w[4];
	pthread_t th[4];
	char *t;

	REQUIRE(rbd_metrics_new(&m) == 0);
	for (int i = 0; i < 4; i++) {
		w[i].m = m;
		w[i].id = i;
		REQUIRE(pthread_create(&th[i], NULL, adder, &w[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t = render(m);
	REQUIRE(t);
	CHECK(sample(t, "runbookd_store_commit_jobs_total") == 40000);
	CHECK(sample(t, "runbookd_store_commit_seconds_count") == 4000);
	CHECK(sample(t, "runbookd_store_commit_seconds_bucket{le=\"0.001\"}") == 4000);
	CHECK(sample(t, "runbookd_http_requests_total{t=\"3\",i=\"9900\"}") == 1);
	CHECK_INT(exposition_valid(t, NULL), 0);
	free(t);
	rbd_metrics_free(m);
}

/* The line checker itself must be able to fail, or the cases above prove nothing. */
static void test_metrics__checker_rejects_bad_text(void)
{
	static const char *const bad[] = {
		"runbookd_paused 1\n",                                   /* no HELP/TYPE */
		"# HELP runbookd_paused x\n# TYPE runbookd_paused gauge\n# TYPE runbookd_paused gauge\n"
		"runbookd_paused 1\n",
		"# HELP runbookd_paused x\n# TYPE runbookd_paused gauge\nrunbookd_paused one\n",
		"# HELP runbookd_paused x\n# TYPE runbookd_paused gauge\nrunbookd_paused 1",
		"# HELP runbookd_a x\n# TYPE runbookd_a gauge\nrunbookd_a 1\n"
		"# HELP runbookd_b x\n# TYPE runbookd_b gauge\nrunbookd_b 1\nrunbookd_a 2\n",
		"# HELP runbookd_a x\n# TYPE runbookd_a gauge\nrunbookd_a_bucket{le=\"1\"} 1\n",
	};

	fprintf(stderr, "  (the checker's complaints below are expected)\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(exposition_valid(bad[i], NULL) != 0);
	CHECK_INT(exposition_valid("# HELP runbookd_a x y z\n# TYPE runbookd_a counter\n"
				   "runbookd_a{k=\"v\"} 1\nrunbookd_a 2.5\n", NULL), 0);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_metrics__checker_rejects_bad_text),
	RBD_TEST(test_metrics__empty_registry),
	RBD_TEST(test_metrics__counters_add),
	RBD_TEST(test_metrics__gauges_set),
	RBD_TEST(test_metrics__histogram_cumulative),
	RBD_TEST(test_metrics__undeclared_names_ignored),
	RBD_TEST(test_metrics__exposition_families_once),
	RBD_TEST(test_metrics__thread_safety),
};

RBD_TEST_MAIN(cases)
