/*
 * log: logfmt lines on stderr: `ts=... level=info msg="..." key=value ...`.
 * Never pass a token, header or body here.
 */
#ifndef RUNBOOKD_LOG_H
#define RUNBOOKD_LOG_H

enum rbd_log_level { RBD_LOG_DEBUG, RBD_LOG_INFO, RBD_LOG_WARN, RBD_LOG_ERROR };

/* Lines below level are dropped. Thread-safe. A no-op once the level is pinned. */
void rbd_log_set_level(enum rbd_log_level level);
/* Sets the level and keeps it (--log-level wins over the config's log_level). */
void rbd_log_pin_level(enum rbd_log_level level);
/* "debug" "info" "warn" "error" -> level; -1 (RBD_EINVAL) for anything else. */
int rbd_log_level_parse(enum rbd_log_level *out, const char *name);
/* kv is a NULL-terminated list of key, value string pairs. Values are quoted as needed. */
void rbd_log(enum rbd_log_level level, const char *msg, ...) __attribute__((sentinel));

#define rbd_log_info(...) rbd_log(RBD_LOG_INFO, __VA_ARGS__, (char *)NULL)
#define rbd_log_warn(...) rbd_log(RBD_LOG_WARN, __VA_ARGS__, (char *)NULL)
#define rbd_log_error(...) rbd_log(RBD_LOG_ERROR, __VA_ARGS__, (char *)NULL)
#define rbd_log_debug(...) rbd_log(RBD_LOG_DEBUG, __VA_ARGS__, (char *)NULL)

#endif
