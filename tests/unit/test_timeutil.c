/* Tests for timeutil: RFC 3339 parsing against hand-computed instants, formatting
 * against gmtime_r, Prometheus durations both ways, clocks. */
#include "harness.h"

#include "runbookd/err.h"
#include "runbookd/timeutil.h"

#include <stdint.h>
#include <time.h>

/* 2026-11-25T07:55:47Z, from Python's calendar.timegm (an independent oracle). */
#define T0_SECS INT64_C(1795593347)
#define NS INT64_C(1000000000)

static int parse_ok(int64_t *ns, const char *s)
{
	bool zero = true;
	int rc = rbd_time_parse(ns, &zero, s);

	if (rc != 0)
		fprintf(stderr, "  unexpected failure for \"%s\": %s\n", s, rbd_err_msg());
	return rc == 0 && !zero;
}

static void test_timeutil__fixture_timestamps(void)
{
	int64_t ns;

	REQUIRE(parse_ok(&ns, "2026-11-25T07:55:47.090069827Z"));
	CHECK_INT(ns, T0_SECS * NS + 90069827);
	REQUIRE(parse_ok(&ns, "2026-11-25T07:55:47.033226765Z"));
	CHECK_INT(ns, INT64_C(1795593347033226765));
	REQUIRE(parse_ok(&ns, "2026-11-25T07:55:52.090069827Z"));
	CHECK_INT(ns, INT64_C(1795593352090069827));
}

static void test_timeutil__epoch_and_leap_day(void)
{
	int64_t ns;

	REQUIRE(parse_ok(&ns, "1970-01-01T00:00:00Z"));
	CHECK_INT(ns, 0);
	REQUIRE(parse_ok(&ns, "1970-01-01T00:00:00.000000001Z"));
	CHECK_INT(ns, 1);
	REQUIRE(parse_ok(&ns, "2024-02-29T12:00:00Z"));
	CHECK_INT(ns, INT64_C(1709208000) * NS);
	REQUIRE(parse_ok(&ns, "2000-02-29T00:00:00Z"));
	CHECK_INT(ns, INT64_C(951782400) * NS);
	REQUIRE(parse_ok(&ns, "1999-12-31T23:59:59Z"));
	CHECK_INT(ns, INT64_C(946684799) * NS);
}

static void test_timeutil__zero_time(void)
{
	int64_t ns = 42;
	bool zero = false;

	CHECK_INT(rbd_time_parse(&ns, &zero, "0001-01-01T00:00:00Z"), 0);
	CHECK(zero);
	CHECK_INT(ns, 0);
	/* The same instant spelled differently is still the zero time. */
	zero = false;
	CHECK_INT(rbd_time_parse(&ns, &zero, "0001-01-01T00:00:00.000Z"), 0);
	CHECK(zero);
	zero = false;
	CHECK_INT(rbd_time_parse(&ns, &zero, "0001-01-01T09:00:00+09:00"), 0);
	CHECK(zero);
	/* One nanosecond after it is simply before 1970. */
	CHECK_INT(rbd_time_parse(&ns, &zero, "0001-01-01T00:00:00.000000001Z"), RBD_EINVAL);
	CHECK_INT(rbd_time_parse(&ns, &zero, "0001-01-01T00:00:00+01:00"), RBD_EINVAL);
}

static void test_timeutil__fraction_digits_and_offsets_same_instant(void)
{
	static const struct {
		const char *s;
		int64_t frac_ns;
	} cases[] = {
		{ "2026-11-25T07:55:47Z",                0 },
		{ "2026-11-25T16:55:47+09:00",           0 },
		{ "2026-11-25T07:55:47.123Z",            123000000 },
		{ "2026-11-25T16:55:47.123+09:00",       123000000 },
		{ "2026-11-25T07:55:47.123456Z",         123456000 },
		{ "2026-11-25T16:55:47.123456+09:00",    123456000 },
		{ "2026-11-25T07:55:47.123456789Z",      123456789 },
		{ "2026-11-25T16:55:47.123456789+09:00", 123456789 },
		{ "2026-11-25T02:25:47.123456789-05:30", 123456789 },
		{ "2026-11-25T07:55:47.1Z",              100000000 },
		{ "2026-11-25t07:55:47.1z",              100000000 },
		{ "2026-11-25T07:55:47.5+00:00",         500000000 },
		{ "2026-11-25T07:55:47.5-00:00",         500000000 },
		{ "2026-11-26T00:55:47+17:00",           0 },
		{ "2026-11-24T23:55:47-08:00",           0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ns = -1;

		CHECK(parse_ok(&ns, cases[i].s));
		if (ns != T0_SECS * NS + cases[i].frac_ns)
			fprintf(stderr, "  %s -> %lld\n", cases[i].s, (long long)ns);
		CHECK_INT(ns, T0_SECS * NS + cases[i].frac_ns);
	}
}

static void test_timeutil__invalid_timestamps(void)
{
	static const char *const bad[] = {
		"", "Z", "2026", "2026-11-25", "2026-11-25T07:55Z", "2026-11-25T07:55:47",
		"2026-11-25 07:55:47Z", "2026-11-25T07:55:47.Z", "2026-11-25T07:55:47.1234567890Z",
		"2026-11-25T07:55:47ZZ", "2026-11-25T07:55:47Z ", " 2026-11-25T07:55:47Z",
		"2026-11-25T07:55:47+0900", "2026-11-25T07:55:47+09", "2026-11-25T07:55:47+9:00",
		"2026-11-25T07:55:47+24:00", "2026-11-25T07:55:47+09:60",
		"2026-00-25T07:55:47Z", "2026-13-25T07:55:47Z", "2026-11-00T07:55:47Z",
		"2026-11-31T07:55:47Z", "2025-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T07:60:00Z",
		"2026-11-25T07:55:60Z", "0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
		"1970-01-01T00:00:00+00:01", "1900-01-01T00:00:00Z", "2262-04-11T23:47:16.854775808Z",
		"2262-04-12T00:00:00Z", "9999-12-31T23:59:59Z", "+2026-11-25T07:55:47Z",
		"2026-1-25T07:55:47Z", "2026-11-25T07:55:4Z", "2026-11-25T07:55:47.-1Z",
		"2026-11-25T07:55:47,5Z", "２０２６-11-25T07:55:47Z",
		"2026-11-25T07:55:47\n", "1795593347",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ns = 7;
		bool zero = true;
		int rc = rbd_time_parse(&ns, &zero, bad[i]);

		if (rc != RBD_EINVAL)
			fprintf(stderr, "  accepted \"%s\" -> %lld\n", bad[i], (long long)ns);
		CHECK_INT(rc, RBD_EINVAL);
		CHECK(rbd_err_msg()[0] != '\0');
		CHECK_INT(ns, 0);
		CHECK(!zero);
	}
}

static void test_timeutil__range_edges(void)
{
	int64_t ns;

	REQUIRE(parse_ok(&ns, "2262-04-11T23:47:16.854775807Z"));
	CHECK_INT(ns, INT64_MAX);
	REQUIRE(parse_ok(&ns, "2262-04-12T08:47:16.854775807+09:00"));
	CHECK_INT(ns, INT64_MAX);
	REQUIRE(parse_ok(&ns, "1970-01-01T09:00:00+09:00"));
	CHECK_INT(ns, 0);
}

/* Never reads past the NUL: each prefix of a valid timestamp in an exact-size heap
 * buffer (ASan would catch an over-read). */
static void test_timeutil__prefixes_in_exact_buffers(void)
{
	const char *full = "2026-11-25T16:55:47.123456789+09:00";
	size_t n = strlen(full);

	for (size_t k = 0; k < n; k++) {
		char *p = malloc(k + 1);
		int64_t ns;
		bool zero;

		REQUIRE(p);
		memcpy(p, full, k);
		p[k] = '\0';
		CHECK_INT(rbd_time_parse(&ns, &zero, p), RBD_EINVAL);
		free(p);
	}
}

static void test_timeutil__format_ms(void)
{
	char out[RBD_TIME_BUFSZ];

	rbd_time_format_ms(out, 0);
	CHECK_STR(out, "1970-01-01T00:00:00.000Z");
	rbd_time_format_ms(out, T0_SECS * 1000 + 33);
	CHECK_STR(out, "2026-11-25T07:55:47.033Z");
	rbd_time_format_ms(out, -1);
	CHECK_STR(out, "1969-12-31T23:59:59.999Z");
	rbd_time_format_ms(out, INT64_C(951782400) * 1000 + 86399999);
	CHECK_STR(out, "2000-02-29T23:59:59.999Z");
	CHECK_INT(strlen(out), 24);
	rbd_time_format_ms(out, INT64_C(253402300799999));
	CHECK_STR(out, "9999-12-31T23:59:59.999Z");
	rbd_time_format_ms(out, INT64_C(-62167219200000));
	CHECK_STR(out, "0000-01-01T00:00:00.000Z");
	/* Extremes saturate to the same fixed-width form. */
	rbd_time_format_ms(out, INT64_MAX);
	CHECK_STR(out, "9999-12-31T23:59:59.999Z");
	rbd_time_format_ms(out, INT64_MIN);
	CHECK_STR(out, "0000-01-01T00:00:00.000Z");
}

/* Format agrees with the C library's gmtime_r and round-trips through the parser. */
static void test_timeutil__format_matches_gmtime_and_roundtrips(void)
{
	uint64_t x = 0x9E3779B97F4A7C15u;

	for (int i = 0; i < 20000; i++) {
		char out[RBD_TIME_BUFSZ], want[64];
		int64_t ms, ns;
		time_t secs;
		struct tm tm;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Spread over 1970..2261. */
		ms = (int64_t)(x % (uint64_t)INT64_C(9223372036000));
		rbd_time_format_ms(out, ms);
		secs = (time_t)(ms / 1000);
		REQUIRE(gmtime_r(&secs, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), ".%03dZ",
			 (int)(ms % 1000));
		if (strcmp(out, want) != 0) {
			CHECK_STR(out, want);
			return;
		}
		REQUIRE(parse_ok(&ns, out));
		CHECK_INT(ns, ms * 1000000);
	}
}

static void test_timeutil__duration_parse(void)
{
	static const struct {
		const char *s;
		int64_t ms;
	} ok[] = {
		{ "0", 0 }, { "0s", 0 }, { "0ms", 0 }, { "90s", 90000 }, { "5m", 300000 },
		{ "1h30m", 5400000 }, { "1h", 3600000 }, { "2d", 172800000 },
		{ "1w", 604800000 }, { "1y", INT64_C(31536000000) }, { "450ms", 450 },
		{ "1m30ms", 60030 }, { "1y2w3d4h5m6s7ms", INT64_C(31536000000) + 1209600000 +
			259200000 + 14400000 + 300000 + 6000 + 7 },
		{ "120m", 7200000 }, { "007s", 7000 }, { "1s500ms", 1500 },
		{ "9223372036854775807ms", INT64_MAX },
		{ "106751991167d", INT64_C(106751991167) * 86400000 },
	};
	static const char *const bad[] = {
		"", " ", "s", "5", "5 m", " 5m", "5m ", "-5m", "+5m", "5M", "5mm", "1.5h",
		"30m1h", "1h1h", "5ms3s", "1d1w", "5x", "1h-30m", "00", "0x10s", "5sm",
		"9223372036854775808ms", "9223372036854775807s", "106751991168d",
		"106751991167d1d", "99999999999999999999s", "1h\n",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ms = -1;
		int rc = rbd_duration_parse(&ms, ok[i].s);

		if (rc != 0)
			fprintf(stderr, "  \"%s\": %s\n", ok[i].s, rbd_err_msg());
		CHECK_INT(rc, 0);
		CHECK_INT(ms, ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = -1;
		int rc = rbd_duration_parse(&ms, bad[i]);

		if (rc != RBD_EINVAL)
			fprintf(stderr, "  accepted \"%s\" -> %lld\n", bad[i], (long long)ms);
		CHECK_INT(rc, RBD_EINVAL);
		CHECK_INT(ms, 0);
	}
}

static void test_timeutil__duration_format(void)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
		{ 0, "0ms" }, { 450, "450ms" }, { 999, "999ms" }, { 1000, "1s" },
		{ 42000, "42s" }, { 42999, "42s" }, { 60000, "1m 0s" }, { 185000, "3m 5s" },
		{ 3599999, "59m 59s" }, { 7200000, "2h 0m" }, { 5400000, "1h 30m" },
		{ 86399999, "23h 59m" }, { 86400000, "1d 0h" }, { 97200000, "1d 3h" },
		{ INT64_C(31536000000), "365d 0h" }, { -450, "-450ms" }, { -185000, "-3m 5s" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rbd_duration_format(out, sizeof(out), cases[i].ms);
		CHECK_STR(out, cases[i].want);
	}
	rbd_duration_format(out, sizeof(out), INT64_MIN);
	CHECK_STR(out, "-106751991167d 7h");
	rbd_duration_format(out, sizeof(out), INT64_MAX);
	CHECK_STR(out, "106751991167d 7h");
	/* A short buffer truncates, NUL-terminated. */
	rbd_duration_format(out, 4, 185000);
	CHECK_STR(out, "3m ");
	/* Round trip of the parser's own units. */
	{
		int64_t ms;

		REQUIRE(rbd_duration_parse(&ms, "1h30m") == 0);
		rbd_duration_format(out, sizeof(out), ms);
		CHECK_STR(out, "1h 30m");
	}
}

static void test_timeutil__clocks(void)
{
	int64_t now = rbd_now_ms(), m1 = rbd_mono_ms(), m2;
	struct timespec req = { 0, 20 * 1000000 };

	CHECK(now > INT64_C(1700000000000));        /* after 2023-11 */
	CHECK(now < INT64_C(4102444800000));        /* before 2100 */
	nanosleep(&req, NULL);
	m2 = rbd_mono_ms();
	CHECK(m2 - m1 >= 19);
	CHECK(m2 - m1 < 5000);
	CHECK(rbd_now_ms() >= now);
	CHECK(rbd_mono_us() / 1000 >= m2);
}

/* A condition-variable deadline: wall clock + ms, nanoseconds normalised. */
static void test_timeutil__deadline(void)
{
	struct timespec ts;
	int64_t before = rbd_now_ms(), at;

	rbd_deadline_ms(&ts, 1999);
	at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK(at >= before + 1999 && at < before + 1999 + 1000);
	rbd_deadline_ms(&ts, 0);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_timeutil__fixture_timestamps),
	RBD_TEST(test_timeutil__epoch_and_leap_day),
	RBD_TEST(test_timeutil__zero_time),
	RBD_TEST(test_timeutil__fraction_digits_and_offsets_same_instant),
	RBD_TEST(test_timeutil__invalid_timestamps),
	RBD_TEST(test_timeutil__range_edges),
	RBD_TEST(test_timeutil__prefixes_in_exact_buffers),
	RBD_TEST(test_timeutil__format_ms),
	RBD_TEST(test_timeutil__format_matches_gmtime_and_roundtrips),
	RBD_TEST(test_timeutil__duration_parse),
	RBD_TEST(test_timeutil__duration_format),
	RBD_TEST(test_timeutil__clocks),
	RBD_TEST(test_timeutil__deadline),
};

RBD_TEST_MAIN(cases)
