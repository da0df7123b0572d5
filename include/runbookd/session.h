/*
 * session: the console's server-side sign-in sessions, their CSRF tokens, and the
 * per-address limit on sign-in attempts. A session holds the token's name and role,
 * never the token. Ids and CSRF tokens are 32 bytes from getrandom(2), hex-encoded,
 * and compared in constant time. Thread-safe (one mutex); time is passed in, so the
 * expiry rules are testable without sleeping.
 */
#ifndef RUNBOOKD_SESSION_H
#define RUNBOOKD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbookd/config.h"

#define RBD_SESSION_ID_LEN 64          /* hex characters */
#define RBD_SESSION_NAME_MAX 128

struct rbd_sessions;

/* A copy of a live session. */
struct rbd_session {
	char id[RBD_SESSION_ID_LEN + 1];
	char csrf[RBD_SESSION_ID_LEN + 1];
	char name[RBD_SESSION_NAME_MAX];   /* the token's name */
	enum rbd_role role;
	int64_t created_ms;
	int64_t seen_ms;
	char flash[256];                   /* a one-shot message for the next page */
	bool flash_bad;
};

struct rbd_session_limits {
	int64_t idle_ms;                   /* a session unused this long ends */
	int64_t max_ms;                    /* a session ends this long after sign-in */
	int login_attempts;                /* sign-in attempts per address per window */
	int64_t login_window_ms;
};

/* A table of at most max_sessions sessions (the least recently used one makes room). */
struct rbd_sessions *rbd_sessions_new(size_t max_sessions);
void rbd_sessions_free(struct rbd_sessions *s);

/*
 * Starts a session for a token's name and role; *out gets its copy (id for the cookie,
 * CSRF token for the forms). RBD_EINVAL for a name too long; RBD_EIO when the kernel
 * gives no randomness.
 */
int rbd_sessions_start(struct rbd_sessions *s, struct rbd_session *out, const char *name,
		       enum rbd_role role, int64_t now_ms);
/*
 * Finds the session with this id (a cookie value) and marks it used at now_ms.
 * RBD_EAUTH when there is none, or it passed its idle or absolute expiry (it is then
 * removed).
 */
int rbd_sessions_get(struct rbd_sessions *s, struct rbd_session *out, const char *id,
		     const struct rbd_session_limits *lim, int64_t now_ms);
/* Ends the session with this id; no-op when there is none. */
void rbd_sessions_end(struct rbd_sessions *s, const char *id);
/* Leaves a one-shot message in the session (truncated to fit). */
void rbd_sessions_flash_set(struct rbd_sessions *s, const char *id, const char *msg, bool bad);
/* Moves the session's message into out (size bytes; "" when none). */
void rbd_sessions_flash_take(struct rbd_sessions *s, const char *id, char *out, size_t size,
			     bool *out_bad);
/* Does token equal the session's CSRF token? Constant time; false for NULL. */
bool rbd_session_csrf_ok(const struct rbd_session *se, const char *token);
/*
 * Counts one sign-in attempt from addr at now_ms; false when addr already made
 * lim->login_attempts in the current window (the attempt must then be refused).
 */
bool rbd_sessions_login_allowed(struct rbd_sessions *s, const char *addr,
				const struct rbd_session_limits *lim, int64_t now_ms);
/* Fills out with n random bytes as 2n hex characters and a NUL. 0 or RBD_EIO. */
int rbd_random_hex(char *out, size_t n);

#endif
