/*
 * timeutil: clocks, RFC 3339 timestamps (as Go's time.RFC3339Nano writes them) and
 * Prometheus durations.
 *
 * Calendar arithmetic is done here with a days-from-civil computation, so nothing
 * depends on TZ, the C library's timegm/mktime or the process locale. This module
 * must never allocate, never read past a string's NUL, and never let an out-of-range
 * value wrap around silently: anything it cannot represent is RBD_EINVAL.
 */
#include "runbookd/timeutil.h"
#include "runbookd/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC   INT64_C(1000000000)
#define SEC_PER_DAY  INT64_C(86400)
#define MS_PER_DAY   INT64_C(86400000)
/* Seconds from 1970-01-01 to 0001-01-01 (Go's zero time.Time), both UTC. */
#define GO_ZERO_SECS INT64_C(-62135596800)

int64_t rbd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rbd_mono_ms(void)
{
	return rbd_mono_us() / 1000;
}

int64_t rbd_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void rbd_deadline_ms(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse: the date of a day number (days since 1970-01-01). */
static void civil_from_days(int64_t *out_y, int *out_m, int *out_d, int64_t z)
{
	int64_t era;
	int doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*out_d = doy - (153 * mp + 2) / 5 + 1;
	*out_m = mp < 10 ? mp + 3 : mp - 9;
	*out_y = (int64_t)yoe + era * 400 + (*out_m <= 2);
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/*
 * Reads exactly n decimal digits at *p into *out and advances *p. Stops at the
 * first non-digit (a NUL is a non-digit), so it never reads past the string.
 */
static int take_digits(int *out, const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int take_char(const char **p, char c1, char c2)
{
	if (**p != c1 && **p != c2)
		return -1;
	(*p)++;
	return 0;
}

#define RFC3339_BAD "not an RFC 3339 timestamp"

int rbd_time_parse(int64_t *out_ns, bool *out_zero, const char *s)
{
	const char *p = s;
	int year, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, secs;
	int ndig = 0;

	*out_ns = 0;
	*out_zero = false;
	if (!s)
		return rbd_err_set(RBD_EINVAL, RFC3339_BAD);
	if (take_digits(&year, &p, 4) || take_char(&p, '-', '-') ||
	    take_digits(&mon, &p, 2) || take_char(&p, '-', '-') ||
	    take_digits(&day, &p, 2) || take_char(&p, 'T', 't') ||
	    take_digits(&hour, &p, 2) || take_char(&p, ':', ':') ||
	    take_digits(&min, &p, 2) || take_char(&p, ':', ':') ||
	    take_digits(&sec, &p, 2))
		return rbd_err_set(RBD_EINVAL, RFC3339_BAD);
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (++ndig > 9)
				return rbd_err_set(RBD_EINVAL, RFC3339_BAD
						   " (more than 9 fractional digits)");
			frac = frac * 10 + (*p - '0');
			p++;
		}
		if (ndig == 0)
			return rbd_err_set(RBD_EINVAL, RFC3339_BAD);
		for (int i = ndig; i < 9; i++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (take_digits(&oh, &p, 2) || take_char(&p, ':', ':') ||
		    take_digits(&om, &p, 2))
			return rbd_err_set(RBD_EINVAL, RFC3339_BAD);
		if (oh > 23 || om > 59)
			return rbd_err_set(RBD_EINVAL, RFC3339_BAD " (offset out of range)");
	} else {
		return rbd_err_set(RBD_EINVAL, RFC3339_BAD " (no Z or offset)");
	}
	if (*p != '\0')
		return rbd_err_set(RBD_EINVAL, RFC3339_BAD " (trailing characters)");

	if (year < 1)
		return rbd_err_set(RBD_EINVAL, "timestamp year out of range");
	if (mon < 1 || mon > 12)
		return rbd_err_set(RBD_EINVAL, "timestamp month out of range");
	if (day < 1 || day > days_in_month(year, mon))
		return rbd_err_set(RBD_EINVAL, "timestamp day out of range for the month");
	if (hour > 23 || min > 59 || sec > 59)
		return rbd_err_set(RBD_EINVAL, "timestamp time of day out of range");

	secs = days_from_civil(year, mon, day) * SEC_PER_DAY + hour * 3600 + min * 60 + sec;
	secs -= sign * (oh * 3600 + om * 60);
	if (secs == GO_ZERO_SECS && frac == 0) {
		*out_zero = true;
		return 0;
	}
	if (secs < 0)
		return rbd_err_set(RBD_EINVAL, "timestamp before 1970");
	/* INT64_MAX ns is 2262-04-11T23:47:16.854775807Z. */
	if (secs > INT64_MAX / NS_PER_SEC ||
	    (secs == INT64_MAX / NS_PER_SEC && frac > INT64_MAX % NS_PER_SEC))
		return rbd_err_set(RBD_EINVAL, "timestamp after 2262 (out of range)");
	*out_ns = secs * NS_PER_SEC + frac;
	return 0;
}

/* ms of 0000-01-01T00:00:00.000Z and of 9999-12-31T23:59:59.999Z. */
#define FORMAT_MIN_MS INT64_C(-62167219200000)
#define FORMAT_MAX_MS INT64_C(253402300799999)

/* Writes v as exactly n decimal digits (v < 10^n) and returns the next position. */
static char *put_digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void rbd_time_format_ms(char out[RBD_TIME_BUFSZ], int64_t ms)
{
	int64_t days, rem, y;
	int m, d;
	char *p = out;

	/* Saturate so that the result is always the 24-character form. */
	if (ms < FORMAT_MIN_MS)
		ms = FORMAT_MIN_MS;
	if (ms > FORMAT_MAX_MS)
		ms = FORMAT_MAX_MS;
	days = ms / MS_PER_DAY;
	rem = ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(&y, &m, &d, days);
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, rem / 3600000, 2);
	*p++ = ':';
	p = put_digits(p, rem / 60000 % 60, 2);
	*p++ = ':';
	p = put_digits(p, rem / 1000 % 60, 2);
	*p++ = '.';
	p = put_digits(p, rem % 1000, 3);
	*p++ = 'Z';
	*p = '\0';
}

/* Duration units in the order Prometheus requires them. */
static const struct {
	const char *name;
	int64_t ms;
} dur_units[] = {
	{ "y",  INT64_C(365) * 24 * 3600 * 1000 },
	{ "w",  INT64_C(7) * 24 * 3600 * 1000 },
	{ "d",  INT64_C(24) * 3600 * 1000 },
	{ "h",  INT64_C(3600) * 1000 },
	{ "m",  INT64_C(60) * 1000 },
	{ "s",  INT64_C(1000) },
	{ "ms", INT64_C(1) },
};
#define N_DUR_UNITS (sizeof(dur_units) / sizeof(dur_units[0]))

/* The unit at p (longest name first, so "ms" wins over "m"); -1 if none. */
static int dur_unit_at(const char *p, size_t *out_len)
{
	int best = -1;
	size_t best_len = 0;

	for (size_t i = 0; i < N_DUR_UNITS; i++) {
		size_t n = strlen(dur_units[i].name);

		if (n > best_len && strncmp(p, dur_units[i].name, n) == 0) {
			best = (int)i;
			best_len = n;
		}
	}
	*out_len = best_len;
	return best;
}

int rbd_duration_parse(int64_t *out_ms, const char *s)
{
	const char *p = s;
	int64_t total = 0;
	int last = -1;

	*out_ms = 0;
	if (!s || !*s)
		return rbd_err_set(RBD_EINVAL, "empty duration");
	if (strcmp(s, "0") == 0)
		return 0;
	while (*p) {
		int64_t v = 0;
		size_t ulen;
		int u;

		if (*p < '0' || *p > '9')
			return rbd_err_set(RBD_EINVAL, "invalid duration \"%.32s\": expected a number",
					   s);
		while (*p >= '0' && *p <= '9') {
			if (v > (INT64_MAX - (*p - '0')) / 10)
				return rbd_err_set(RBD_EINVAL, "duration \"%.32s\" out of range", s);
			v = v * 10 + (*p - '0');
			p++;
		}
		u = dur_unit_at(p, &ulen);
		if (u < 0)
			return rbd_err_set(RBD_EINVAL,
					   "invalid duration \"%.32s\": unit must be y, w, d, h, m, s or ms",
					   s);
		if (u <= last)
			return rbd_err_set(RBD_EINVAL,
					   "invalid duration \"%.32s\": units must be in order y w d h m s ms, each once",
					   s);
		if (v > INT64_MAX / dur_units[u].ms || total > INT64_MAX - v * dur_units[u].ms)
			return rbd_err_set(RBD_EINVAL, "duration \"%.32s\" out of range", s);
		total += v * dur_units[u].ms;
		last = u;
		p += ulen;
	}
	*out_ms = total;
	return 0;
}

void rbd_duration_format(char *out, size_t n, int64_t ms)
{
	/* The magnitude as unsigned so that INT64_MIN does not overflow. */
	uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	const char *sign = ms < 0 ? "-" : "";

	if (!out || n == 0)
		return;
	if (a < 1000)
		snprintf(out, n, "%s%" PRIu64 "ms", sign, a);
	else if (a < 60 * 1000)
		snprintf(out, n, "%s%" PRIu64 "s", sign, a / 1000);
	else if (a < 3600 * 1000)
		snprintf(out, n, "%s%" PRIu64 "m %" PRIu64 "s", sign, a / 60000, a / 1000 % 60);
	else if (a < 86400 * 1000)
		snprintf(out, n, "%s%" PRIu64 "h %" PRIu64 "m", sign, a / 3600000, a / 60000 % 60);
	else
		snprintf(out, n, "%s%" PRIu64 "d %" PRIu64 "h", sign, a / 86400000,
			 a / 3600000 % 24);
}
