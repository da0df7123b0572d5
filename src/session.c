/*
 * session: sign-in sessions and sign-in rate limits for the console. Must never
 * store or log a token, compare an id or CSRF token in variable time, or hand out
 * an id that did not come from getrandom(2).
 */
#include "runbookd/session.h"
#include "runbookd/auth.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define ADDR_SLOTS 256
#define ADDR_MAX 64

struct addr_slot {
	char addr[ADDR_MAX];
	int64_t window_start;
	int attempts;
};

struct rbd_sessions {
	pthread_mutex_t mu;
	struct rbd_session *v;      /* id[0] == '\0': free slot */
	size_t max;
	struct addr_slot addrs[ADDR_SLOTS];
};

struct rbd_sessions *rbd_sessions_new(size_t max_sessions)
{
	struct rbd_sessions *s = rbd_calloc(1, sizeof(*s));

	pthread_mutex_init(&s->mu, NULL);
	s->max = max_sessions ? max_sessions : 1;
	s->v = rbd_calloc(s->max, sizeof(*s->v));
	return s;
}

void rbd_sessions_free(struct rbd_sessions *s)
{
	if (!s)
		return;
	/* Leave no id behind in freed memory. */
	memset(s->v, 0, s->max * sizeof(*s->v));
	free(s->v);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int rbd_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t got = 0;

	if (n > sizeof(raw))
		return rbd_err_set(RBD_EINVAL, "at most %zu random bytes", sizeof(raw));
	while (got < n) {
		ssize_t r = getrandom(raw + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return rbd_err_set(RBD_EIO, "getrandom: %s", strerror(errno));
		got += (size_t)r;
	}
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * n] = '\0';
	memset(raw, 0, sizeof(raw));
	return 0;
}

/* The slot holding id, or NULL. Every live slot is compared, in constant time each. */
static struct rbd_session *find(struct rbd_sessions *s, const char *id)
{
	struct rbd_session *hit = NULL;
	size_t len = strlen(id);

	for (size_t i = 0; i < s->max; i++)
		if (s->v[i].id[0] && rbd_auth_equal(id, len, s->v[i].id, RBD_SESSION_ID_LEN))
			hit = &s->v[i];
	return hit;
}

int rbd_sessions_start(struct rbd_sessions *s, struct rbd_session *out, const char *name,
		       enum rbd_role role, int64_t now_ms)
{
	struct rbd_session se;
	struct rbd_session *slot = NULL;
	int rc;

	memset(&se, 0, sizeof(se));
	if (strlen(name) >= sizeof(se.name))
		return rbd_err_set(RBD_EINVAL, "token name too long for a session");
	rc = rbd_random_hex(se.id, RBD_SESSION_ID_LEN / 2);
	if (!rc)
		rc = rbd_random_hex(se.csrf, RBD_SESSION_ID_LEN / 2);
	if (rc)
		return rc;
	memcpy(se.name, name, strlen(name) + 1);
	se.role = role;
	se.created_ms = se.seen_ms = now_ms;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->max; i++) {
		if (!s->v[i].id[0]) {
			slot = &s->v[i];
			break;
		}
		if (!slot || s->v[i].seen_ms < slot->seen_ms)
			slot = &s->v[i];
	}
	*slot = se;
	pthread_mutex_unlock(&s->mu);
	*out = se;
	return 0;
}

int rbd_sessions_get(struct rbd_sessions *s, struct rbd_session *out, const char *id,
		     const struct rbd_session_limits *lim, int64_t now_ms)
{
	struct rbd_session *se;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!id || strlen(id) != RBD_SESSION_ID_LEN)
		return rbd_err_set(RBD_EAUTH, "no session");
	pthread_mutex_lock(&s->mu);
	se = find(s, id);
	if (!se) {
		rc = rbd_err_set(RBD_EAUTH, "no session");
	} else if (now_ms - se->seen_ms > lim->idle_ms || now_ms - se->created_ms > lim->max_ms) {
		memset(se, 0, sizeof(*se));
		rc = rbd_err_set(RBD_EAUTH, "the session expired");
	} else {
		se->seen_ms = now_ms;
		*out = *se;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void rbd_sessions_end(struct rbd_sessions *s, const char *id)
{
	struct rbd_session *se;

	if (!id || strlen(id) != RBD_SESSION_ID_LEN)
		return;
	pthread_mutex_lock(&s->mu);
	se = find(s, id);
	if (se)
		memset(se, 0, sizeof(*se));
	pthread_mutex_unlock(&s->mu);
}

bool rbd_session_csrf_ok(const struct rbd_session *se, const char *token)
{
	if (!token || !se->csrf[0])
		return false;
	return rbd_auth_equal(token, strlen(token), se->csrf, strlen(se->csrf));
}

bool rbd_sessions_login_allowed(struct rbd_sessions *s, const char *addr,
				const struct rbd_session_limits *lim, int64_t now_ms)
{
	struct addr_slot *slot = NULL, *oldest = &s->addrs[0];
	bool ok;

	if (!addr)
		addr = "";
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < ADDR_SLOTS && !slot; i++) {
		if (s->addrs[i].addr[0] && strcmp(s->addrs[i].addr, addr) == 0)
			slot = &s->addrs[i];
		else if (s->addrs[i].window_start < oldest->window_start)
			oldest = &s->addrs[i];
	}
	if (!slot) {
		/* A free slot has window_start 0, so it is the oldest. */
		slot = oldest;
		memset(slot, 0, sizeof(*slot));
		snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
		slot->window_start = now_ms;
	}
	if (now_ms - slot->window_start >= lim->login_window_ms) {
		slot->window_start = now_ms;
		slot->attempts = 0;
	}
	ok = slot->attempts < lim->login_attempts;
	if (ok)
		slot->attempts++;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

void rbd_sessions_flash_set(struct rbd_sessions *s, const char *id, const char *msg, bool bad)
{
	struct rbd_session *se;

	if (!id || strlen(id) != RBD_SESSION_ID_LEN)
		return;
	pthread_mutex_lock(&s->mu);
	se = find(s, id);
	if (se) {
		snprintf(se->flash, sizeof(se->flash), "%s", msg);
		se->flash_bad = bad;
	}
	pthread_mutex_unlock(&s->mu);
}

void rbd_sessions_flash_take(struct rbd_sessions *s, const char *id, char *out, size_t size,
			     bool *out_bad)
{
	struct rbd_session *se;

	out[0] = '\0';
	*out_bad = false;
	if (!id || strlen(id) != RBD_SESSION_ID_LEN)
		return;
	pthread_mutex_lock(&s->mu);
	se = find(s, id);
	if (se && se->flash[0]) {
		snprintf(out, size, "%s", se->flash);
		*out_bad = se->flash_bad;
		se->flash[0] = '\0';
	}
	pthread_mutex_unlock(&s->mu);
}
