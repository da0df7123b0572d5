/*
 * timeutil: clocks, RFC 3339 timestamps and Prometheus durations.
 * Pure functions; no allocation.
 */
#ifndef RUNBOOKD_TIMEUTIL_H
#define RUNBOOKD_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Wall clock, milliseconds since the Unix epoch (UTC). */
int64_t rbd_now_ms(void);
/* Monotonic clock in milliseconds, for deadlines and latencies. */
int64_t rbd_mono_ms(void);
/* The same in microseconds (commit latencies). */
int64_t rbd_mono_us(void);
/* The wall-clock instant ms from now as a timespec: the deadline
 * pthread_cond_timedwait takes (its default clock is CLOCK_REALTIME). */
void rbd_deadline_ms(struct timespec *ts, int64_t ms);

/*
 * Parses an RFC 3339 timestamp as Alertmanager sends it: "YYYY-MM-DDTHH:MM:SS",
 * 0 to 9 fractional digits, then "Z" or "+hh:mm"/"-hh:mm" (converted to UTC; 't' and
 * 'z' are accepted as RFC 3339 allows). Writes nanoseconds since the epoch (UTC) to
 * *out_ns. Go's zero time "0001-01-01T00:00:00Z" (a firing alert's endsAt; any
 * spelling of that instant) sets *out_zero = true and *out_ns = 0. Returns RBD_EINVAL
 * on anything else (message says why): bad syntax, out-of-range fields (Feb 29 only
 * in leap years, no leap second), an instant before 1970 or past int64 nanoseconds
 * (2262-04-11T23:47:16.854775807Z). Never reads past the NUL. No allocation.
 */
int rbd_time_parse(int64_t *out_ns, bool *out_zero, const char *s);

/* Formats ms since epoch as "2026-11-25T07:55:47.033Z" (always 24 chars + NUL), UTC,
 * TZ-free; values outside years 0000-9999 saturate to the first or last millisecond. */
#define RBD_TIME_BUFSZ 32
void rbd_time_format_ms(char out[RBD_TIME_BUFSZ], int64_t ms);

/*
 * Parses a Prometheus duration: one or more of <int><unit> with units y w d h m s ms,
 * in that order, each at most once ("90s", "5m", "1h30m", "0s"; y = 365d), or "0"
 * alone. Writes milliseconds to *out_ms (0 on error). Returns RBD_EINVAL for anything
 * else, including empty, negative, spaces and int64 overflow.
 */
int rbd_duration_parse(int64_t *out_ms, const char *s);

/*
 * Human-readable duration: "450ms", "42s", "3m 5s", "2h 0m", "1d 3h" (at most the two
 * largest units, the rest truncated; negative values get a "-"). Writes at most n
 * bytes including the NUL; 32 bytes always suffice.
 */
void rbd_duration_format(char *out, size_t n, int64_t ms);

#endif
