/*
 * err: the error model. Functions return 0 on success or a negative RBD_E* code;
 * the code says what the caller should do (400, 413, 404, 409, 503, ...), and a
 * one-line thread-local message says why, for the log and the JSON error.
 * Never put a secret (token, body) into a message.
 */
#ifndef RUNBOOKD_ERR_H
#define RUNBOOKD_ERR_H

enum {
	RBD_OK = 0,
	RBD_EINVAL = -1,     /* invalid input: 400 / exit 1 */
	RBD_ETOOBIG = -2,    /* over a cap: 413 */
	RBD_ENOTFOUND = -3,  /* 404 */
	RBD_ECONFLICT = -4,  /* wrong state: 409 */
	RBD_EUNAVAIL = -5,   /* cannot store / dependency down: 503 */
	RBD_ENOMEM = -6,
	RBD_EIO = -7,        /* OS or library failure */
	RBD_EREFUSED = -8,   /* a value failed an allowlist: the action is refused */
	RBD_ETIMEOUT = -9,
	RBD_EAUTH = -10,     /* 401 */
	RBD_EFORBIDDEN = -11 /* 403 */
};

/* Sets the thread's message (printf format) and returns code, so that
 * `return rbd_err_set(RBD_EINVAL, "bad %s", x);` reads naturally. */
int rbd_err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The thread's last message; never NULL. Borrowed, valid until the next set. */
const char *rbd_err_msg(void);
/* Clears the thread's message. */
void rbd_err_clear(void);
/* A stable snake_case name for a code ("invalid_input", "not_found", ...). */
const char *rbd_err_code_name(int code);
/* The HTTP status for a code (400, 413, 404, 409, 503, 500, ...). */
int rbd_err_http_status(int code);

#endif
