/*
 * metrics: a small registry of named series under one mutex. Must never take label
 * values from requests (cardinality and injection): callers pass fixed label text.
 */
#include "runbookd/metrics.h"
#include "runbookd/err.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum kind { COUNTER, GAUGE, HISTOGRAM };

static const struct family {
	const char *name;
	enum kind kind;
	const char *help;
} families[] = {
	{ "runbookd_build_info", GAUGE, "Build information." },
	{ "runbookd_http_requests_total", COUNTER, "HTTP requests by route and status code." },
	{ "runbookd_http_request_duration_seconds", HISTOGRAM, "HTTP request handling time." },
	{ "runbookd_http_connections_dropped_total", COUNTER,
	  "Connections dropped while a request was still arriving: past the request deadline, "
	  "or evicted (oldest first) to make room for a new connection." },
	{ "runbookd_notifications_total", COUNTER, "Alertmanager notifications by outcome and status." },
	{ "runbookd_alert_episodes_stored_total", COUNTER, "New alert episodes stored." },
	{ "runbookd_store_commit_seconds", HISTOGRAM, "Duration of each database commit." },
	{ "runbookd_store_commit_jobs_total", COUNTER, "Write jobs carried by commits." },
	{ "runbookd_store_commits_total", COUNTER, "Database commits." },
	{ "runbookd_actions", GAUGE, "Actions by state." },
	{ "runbookd_actions_finished_total", COUNTER, "Actions that finished, by final state." },
	{ "runbookd_action_duration_seconds", HISTOGRAM, "Run time of executed actions." },
	{ "runbookd_action_commit_retries_total", COUNTER,
	  "Failed commits of an action's claim or result, retried later, by step." },
	{ "runbookd_pending_approvals", GAUGE, "Actions waiting for operator approval." },
	{ "runbookd_rules_tripped", GAUGE, "Rules whose circuit breaker is open." },
	{ "runbookd_rules_loaded", GAUGE, "Rules loaded." },
	{ "runbookd_paused", GAUGE, "1 while the kill switch is on." },
	{ "runbookd_config_reloads_total", COUNTER, "Config reloads by result." },
	{ "runbookd_config_last_reload_successful", GAUGE, "1 when the last config load succeeded." },
	{ "runbookd_config_last_reload_success_timestamp_seconds", GAUGE,
	  "When the config was last loaded successfully." },
	{ "runbookd_incidents_open", GAUGE, "Incidents open now." },
	{ "runbookd_pending_approval_oldest_age_seconds", GAUGE,
	  "Age of the oldest action waiting for approval (0: none waits)." },
	{ "runbookd_reconcile_attempts_total", COUNTER, "Reconciliation polls of Alertmanager." },
	{ "runbookd_reconcile_failures_total", COUNTER, "Reconciliation polls that failed." },
	{ "runbookd_reconcile_last_success_timestamp_seconds", GAUGE,
	  "When a reconciliation poll last succeeded." },
	{ "runbookd_notify_attempts_total", COUNTER, "Posts to notify targets, retries included." },
	{ "runbookd_notify_retries_total", COUNTER, "Posts to notify targets that were retries." },
	{ "runbookd_notify_sent_total", COUNTER, "Notifications a target accepted (2xx)." },
	{ "runbookd_notify_failures_total", COUNTER, "Notifications given up after the last attempt." },
	{ "runbookd_notify_dropped_total", COUNTER, "Notifications dropped: the queue was full." },
};

static const double buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
	const struct family *fam;
	char *labels;
	double value;               /* counter / gauge, or histogram sum */
	uint64_t count;             /* histogram */
	uint64_t bucket[NBUCKETS];  /* histogram, non-cumulative */
};

struct rbd_metrics {
	pthread_mutex_t mu;
	struct series *s;
	size_t n, cap;
};

int rbd_metrics_new(struct rbd_metrics **out)
{
	struct rbd_metrics *m = rbd_calloc(1, sizeof(*m));

	pthread_mutex_init(&m->mu, NULL);
	*out = m;
	return 0;
}

void rbd_metrics_free(struct rbd_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->s[i].labels);
	free(m->s);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const struct family *family(const char *name)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i].name, name) == 0)
			return &families[i];
	return NULL;
}

/* Finds or adds a series; called with the lock held. NULL for an undeclared name. */
static struct series *series(struct rbd_metrics *m, const char *name, const char *labels)
{
	const struct family *f = family(name);
	struct series *s;

	if (!f)
		return NULL;
	labels = labels ? labels : "";
	for (size_t i = 0; i < m->n; i++)
		if (m->s[i].fam == f && strcmp(m->s[i].labels, labels) == 0)
			return &m->s[i];
	if (m->n == m->cap)
		m->s = rbd_realloc(m->s, (m->cap = m->cap ? m->cap * 2 : 32) * sizeof(*m->s));
	s = &m->s[m->n++];
	memset(s, 0, sizeof(*s));
	s->fam = f;
	s->labels = rbd_strdup(labels);
	return s;
}

void rbd_metrics_add(struct rbd_metrics *m, const char *name, const char *labels, double v)
{
	struct series *s;

	pthread_mutex_lock(&m->mu);
	if ((s = series(m, name, labels)))
		s->value += v;
	pthread_mutex_unlock(&m->mu);
}

void rbd_metrics_set(struct rbd_metrics *m, const char *name, const char *labels, double v)
{
	struct series *s;

	pthread_mutex_lock(&m->mu);
	if ((s = series(m, name, labels)))
		s->value = v;
	pthread_mutex_unlock(&m->mu);
}

void rbd_metrics_observe(struct rbd_metrics *m, const char *name, const char *labels, double v)
{
	struct series *s;

	pthread_mutex_lock(&m->mu);
	if ((s = series(m, name, labels))) {
		size_t i = 0;

		while (i < NBUCKETS && v > buckets[i])
			i++;
		if (i < NBUCKETS)
			s->bucket[i]++;
		s->count++;
		s->value += v;
	}
	pthread_mutex_unlock(&m->mu);
}

static void render_histogram(struct rbd_buf *out, const struct series *s)
{
	const char *sep = s->labels[0] ? "," : "";
	uint64_t cum = 0;

	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += s->bucket[b];
		rbd_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->fam->name, s->labels, sep,
			       buckets[b], (unsigned long long)cum);
	}
	rbd_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->fam->name, s->labels, sep,
		       (unsigned long long)s->count);
	rbd_buf_printf(out, "%s_sum%s%s%s %.6f\n", s->fam->name, s->labels[0] ? "{" : "", s->labels,
		       s->labels[0] ? "}" : "", s->value);
	rbd_buf_printf(out, "%s_count%s%s%s %llu\n", s->fam->name, s->labels[0] ? "{" : "",
		       s->labels, s->labels[0] ? "}" : "", (unsigned long long)s->count);
}

int rbd_metrics_render(struct rbd_buf *out, struct rbd_metrics *m)
{
	static const char *const type_names[] = { "counter", "gauge", "histogram" };

	pthread_mutex_lock(&m->mu);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		int header = 0;

		for (size_t i = 0; i < m->n; i++) {
			const struct series *s = &m->s[i];

			if (s->fam != &families[f])
				continue;
			if (!header) {
				rbd_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", s->fam->name,
					       s->fam->help, s->fam->name, type_names[s->fam->kind]);
				header = 1;
			}
			if (s->fam->kind == HISTOGRAM)
				render_histogram(out, s);
			else
				rbd_buf_printf(out, "%s%s%s%s %.17g\n", s->fam->name,
					       s->labels[0] ? "{" : "", s->labels,
					       s->labels[0] ? "}" : "", s->value);
		}
	}
	pthread_mutex_unlock(&m->mu);
	return 0;
}
