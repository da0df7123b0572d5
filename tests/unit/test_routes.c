/*
 * test_routes: how the API reads its inputs, from memory: ids in paths, integer
 * query arguments and their ranges, JSON object bodies and their string members.
 * Every refusal is RBD_EINVAL (a 400) naming the input.
 */
#include "harness.h"
#include "runbookd/err.h"
#include "runbookd/routes.h"

#include <cJSON.h>
#include <stdint.h>

static void test_routes__parse_id(void)
{
	static const struct {
		const char *s;
		int64_t want;           /* 0: refused */
	} rows[] = {
		{ "1", 1 }, { "42", 42 }, { "999999999999999999", INT64_C(999999999999999999) },
		{ "1000000000000000000", 0 },     /* 19 digits */
		{ "0", 0 }, { "007", 0 }, { "-1", 0 }, { "+1", 0 }, { " 1", 0 }, { "1 ", 0 },
		{ "1a", 0 }, { "", 0 }, { "0x10", 0 }, { "\xd9\xa1", 0 },   /* Arabic-Indic 1 */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t v = -7;
		int rc = rbd_routes_parse_id(&v, rows[i].s, "incident id");

		if (rows[i].want) {
			CHECK_INT(rc, 0);
			CHECK_INT(v, rows[i].want);
		} else {
			CHECK_INT(rc, RBD_EINVAL);
			CHECK_INT(v, 0);
			CHECK_STR(rbd_err_msg(), "incident id must be a positive integer");
		}
	}
	CHECK_INT(rbd_routes_parse_id(&(int64_t){ 0 }, NULL, "id"), RBD_EINVAL);
}

/* The query of a request, as a tiny table. */
static const char *const *query;

static const char *arg(void *ctx, const char *name)
{
	for (const char *const *q = query; q && q[0]; q += 2)
		if (strcmp(q[0], name) == 0)
			return q[1];
	return NULL;
}

static void test_routes__int_arg(void)
{
	static const char *const q[] = {
		"limit", "50", "big", "10001", "neg", "-1", "junk", "5x", "empty", "",
		"huge", "99999999999999999999", NULL,
	};
	struct rbd_request req = { .arg = arg };
	int64_t v = 0;

	query = q;
	CHECK_INT(rbd_routes_int_arg(&v, &req, "limit", 100, 1, 10000), 0);
	CHECK_INT(v, 50);
	CHECK_INT(rbd_routes_int_arg(&v, &req, "absent", 100, 1, 10000), 0);
	CHECK_INT(v, 100);
	CHECK_INT(rbd_routes_int_arg(&v, &req, "big", 100, 1, 10000), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(), "big must be an integer from 1 to 10000");
	CHECK_INT(rbd_routes_int_arg(&v, &req, "neg", 0, 0, 10), RBD_EINVAL);
	CHECK_INT(rbd_routes_int_arg(&v, &req, "junk", 0, 0, 10), RBD_EINVAL);
	CHECK_INT(rbd_routes_int_arg(&v, &req, "empty", 0, 0, 10), RBD_EINVAL);
	CHECK_INT(rbd_routes_int_arg(&v, &req, "huge", 0, 0, INT64_MAX / 2), RBD_EINVAL);
	query = NULL;
}

static void test_routes__body_and_strings(void)
{
	struct rbd_request req = { 0 };
	const char *s = "x";
	cJSON *body = (cJSON *)&req;

	/* Empty body: no object, no error. */
	CHECK_INT(rbd_routes_body(&body, &req), 0);
	CHECK(body == NULL);
	CHECK_INT(rbd_routes_body_string(&s, NULL, "comment", 10, false), 0);
	CHECK(s == NULL);
	CHECK_INT(rbd_routes_body_string(&s, NULL, "text", 10, true), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(), "text is required");
	req.body = "[1]";
	req.body_len = 3;
	CHECK_INT(rbd_routes_body(&body, &req), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(), "the body must be a JSON object");
	req.body = "{\"text\":\"hello\",\"n\":5,\"empty\":\"\",\"z\":null}";
	req.body_len = strlen(req.body);
	CHECK_INT(rbd_routes_body(&body, &req), 0);
	REQUIRE(body);
	CHECK_INT(rbd_routes_body_string(&s, body, "text", 5, true), 0);
	CHECK_STR(s, "hello");
	CHECK_INT(rbd_routes_body_string(&s, body, "text", 4, true), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(), "text is longer than 4 bytes");
	CHECK_INT(rbd_routes_body_string(&s, body, "n", 10, false), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(), "n must be a string");
	CHECK_INT(rbd_routes_body_string(&s, body, "empty", 10, true), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(), "empty must not be empty");
	CHECK_INT(rbd_routes_body_string(&s, body, "empty", 10, false), 0);
	CHECK_STR(s, "");
	CHECK_INT(rbd_routes_body_string(&s, body, "z", 10, false), 0);
	CHECK(s == NULL);
	cJSON_Delete(body);
	/* Truncated JSON (the length, not the NUL, ends the body). */
	req.body = "{\"a\":1}";
	req.body_len = 5;
	CHECK_INT(rbd_routes_body(&body, &req), RBD_EINVAL);
}

/* D7: a NUL in a body (the escape or a raw byte) is refused, never read up to the NUL. */
static void test_routes__body_nul_refused(void)
{
	static const char raw[] = "{\"text\":\"a\0b\"}";
	struct rbd_request req = { 0 };
	cJSON *body = NULL;

	req.body = "{\"text\":\"rollback done\\u0000 NOT verified\"}";
	req.body_len = strlen(req.body);
	CHECK_INT(rbd_routes_body(&body, &req), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(), "a string contains NUL (\\u0000)");
	CHECK(body == NULL);
	req.body = raw;
	req.body_len = sizeof(raw) - 1;
	CHECK_INT(rbd_routes_body(&body, &req), RBD_EINVAL);
	/* an escaped backslash followed by u0000 is text, not a NUL */
	req.body = "{\"text\":\"a \\\\u0000 b\"}";
	req.body_len = strlen(req.body);
	CHECK_INT(rbd_routes_body(&body, &req), 0);
	REQUIRE(body);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(body, "text")->valuestring, "a \\u0000 b");
	cJSON_Delete(body);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_routes__body_nul_refused),
	RBD_TEST(test_routes__parse_id),
	RBD_TEST(test_routes__int_arg),
	RBD_TEST(test_routes__body_and_strings),
};

RBD_TEST_MAIN(cases)
