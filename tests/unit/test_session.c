/*
 * test_session: the console's sessions (THREATS.md "forged form posts"): random ids
 * and CSRF tokens, idle and absolute expiry, sign-out, the CSRF comparison, the
 * least recently used session making room, one-shot messages, and the per-address
 * limit on sign-in attempts. Time is passed in: no sleeping.
 */
#include "harness.h"
#include "runbookd/err.h"
#include "runbookd/session.h"

static const struct rbd_session_limits lim = { 30 * 60000, 12 * 3600000LL, 3, 60000 };

static bool is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static void test_session__start_and_get(void)
{
	struct rbd_sessions *s = rbd_sessions_new(8);
	struct rbd_session a, b, got;

	REQUIRE(rbd_sessions_start(s, &a, "alice", RBD_ROLE_OPERATOR, 1000) == 0);
	REQUIRE(rbd_sessions_start(s, &b, "grafana", RBD_ROLE_VIEWER, 1000) == 0);
	CHECK(is_hex64(a.id) && is_hex64(a.csrf));
	CHECK(strcmp(a.id, b.id) != 0 && strcmp(a.csrf, b.csrf) != 0 && strcmp(a.id, a.csrf) != 0);
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 2000), 0);
	CHECK_STR(got.name, "alice");
	CHECK_INT(got.role, RBD_ROLE_OPERATOR);
	CHECK_STR(got.csrf, a.csrf);
	CHECK_INT(rbd_sessions_get(s, &got, b.id, &lim, 2000), 0);
	CHECK_STR(got.name, "grafana");
	rbd_sessions_free(s);
}

static void test_session__unknown_ids(void)
{
	struct rbd_sessions *s = rbd_sessions_new(8);
	struct rbd_session a, got;
	char other[65];

	REQUIRE(rbd_sessions_start(s, &a, "alice", RBD_ROLE_OPERATOR, 1000) == 0);
	CHECK_INT(rbd_sessions_get(s, &got, NULL, &lim, 1000), RBD_EAUTH);
	CHECK_INT(rbd_sessions_get(s, &got, "", &lim, 1000), RBD_EAUTH);
	memcpy(other, a.id, sizeof(other));
	other[63] = other[63] == '0' ? '1' : '0';
	CHECK_INT(rbd_sessions_get(s, &got, other, &lim, 1000), RBD_EAUTH);
	other[63] = '\0';   /* a prefix of the id is not the id */
	CHECK_INT(rbd_sessions_get(s, &got, other, &lim, 1000), RBD_EAUTH);
	CHECK_INT(rbd_sessions_get(s, &got, a.csrf, &lim, 1000), RBD_EAUTH);
	CHECK(got.name[0] == '\0');
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 1000), 0);
	rbd_sessions_free(s);
}

static void test_session__idle_expiry(void)
{
	struct rbd_sessions *s = rbd_sessions_new(8);
	struct rbd_session a, got;

	REQUIRE(rbd_sessions_start(s, &a, "alice", RBD_ROLE_OPERATOR, 0) == 0);
	/* Each use pushes the idle expiry on. */
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 29 * 60000), 0);
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 58 * 60000), 0);
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 88 * 60000 + 1), RBD_EAUTH);
	/* Gone for good, even if asked again "in time". */
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 58 * 60000), RBD_EAUTH);
	rbd_sessions_free(s);
}

static void test_session__absolute_expiry(void)
{
	struct rbd_sessions *s = rbd_sessions_new(8);
	struct rbd_session a, got;
	int64_t t = 0;

	REQUIRE(rbd_sessions_start(s, &a, "alice", RBD_ROLE_OPERATOR, 0) == 0);
	for (t = 20 * 60000; t <= 12 * 3600000LL; t += 20 * 60000)
		CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, t), 0);
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 12 * 3600000LL + 1), RBD_EAUTH);
	rbd_sessions_free(s);
}

static void test_session__sign_out(void)
{
	struct rbd_sessions *s = rbd_sessions_new(8);
	struct rbd_session a, b, got;

	REQUIRE(rbd_sessions_start(s, &a, "alice", RBD_ROLE_OPERATOR, 0) == 0);
	REQUIRE(rbd_sessions_start(s, &b, "alice", RBD_ROLE_OPERATOR, 0) == 0);
	rbd_sessions_end(s, a.id);
	rbd_sessions_end(s, "nonsense");
	rbd_sessions_end(s, NULL);
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 1), RBD_EAUTH);
	CHECK_INT(rbd_sessions_get(s, &got, b.id, &lim, 1), 0);
	rbd_sessions_free(s);
}

static void test_session__csrf(void)
{
	struct rbd_sessions *s = rbd_sessions_new(8);
	struct rbd_session a, b;
	char wrong[65];

	REQUIRE(rbd_sessions_start(s, &a, "alice", RBD_ROLE_OPERATOR, 0) == 0);
	REQUIRE(rbd_sessions_start(s, &b, "bob", RBD_ROLE_OPERATOR, 0) == 0);
	CHECK(rbd_session_csrf_ok(&a, a.csrf));
	CHECK(!rbd_session_csrf_ok(&a, NULL));
	CHECK(!rbd_session_csrf_ok(&a, ""));
	CHECK(!rbd_session_csrf_ok(&a, b.csrf));      /* bound to its own session */
	CHECK(!rbd_session_csrf_ok(&a, a.id));
	memcpy(wrong, a.csrf, sizeof(wrong));
	wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
	CHECK(!rbd_session_csrf_ok(&a, wrong));
	wrong[32] = '\0';
	memcpy(wrong, a.csrf, 32);
	CHECK(!rbd_session_csrf_ok(&a, wrong));        /* a prefix is not the token */
	rbd_sessions_free(s);
}

static void test_session__full_table_drops_least_recent(void)
{
	struct rbd_sessions *s = rbd_sessions_new(2);
	struct rbd_session a, b, c, got;

	REQUIRE(rbd_sessions_start(s, &a, "a", RBD_ROLE_VIEWER, 0) == 0);
	REQUIRE(rbd_sessions_start(s, &b, "b", RBD_ROLE_VIEWER, 10) == 0);
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 20), 0);   /* a used after b */
	REQUIRE(rbd_sessions_start(s, &c, "c", RBD_ROLE_VIEWER, 30) == 0);
	CHECK_INT(rbd_sessions_get(s, &got, a.id, &lim, 40), 0);
	CHECK_INT(rbd_sessions_get(s, &got, b.id, &lim, 40), RBD_EAUTH);
	CHECK_INT(rbd_sessions_get(s, &got, c.id, &lim, 40), 0);
	rbd_sessions_free(s);
}

static void test_session__name_too_long(void)
{
	struct rbd_sessions *s = rbd_sessions_new(2);
	struct rbd_session a;
	char name[300];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK_INT(rbd_sessions_start(s, &a, name, RBD_ROLE_VIEWER, 0), RBD_EINVAL);
	rbd_sessions_free(s);
}

static void test_session__flash_once(void)
{
	struct rbd_sessions *s = rbd_sessions_new(2);
	struct rbd_session a;
	char msg[64];
	bool bad = false;

	REQUIRE(rbd_sessions_start(s, &a, "alice", RBD_ROLE_OPERATOR, 0) == 0);
	rbd_sessions_flash_set(s, a.id, "Not done: already decided", true);
	rbd_sessions_flash_take(s, a.id, msg, sizeof(msg), &bad);
	CHECK_STR(msg, "Not done: already decided");
	CHECK(bad);
	rbd_sessions_flash_take(s, a.id, msg, sizeof(msg), &bad);
	CHECK_STR(msg, "");
	CHECK(!bad);
	rbd_sessions_flash_take(s, "nope", msg, sizeof(msg), &bad);
	CHECK_STR(msg, "");
	rbd_sessions_free(s);
}

static void test_session__login_rate_limit(void)
{
	struct rbd_sessions *s = rbd_sessions_new(2);

	for (int i = 0; i < 3; i++)
		CHECK(rbd_sessions_login_allowed(s, "192.0.2.1", &lim, 1000 + i));
	CHECK(!rbd_sessions_login_allowed(s, "192.0.2.1", &lim, 2000));
	CHECK(!rbd_sessions_login_allowed(s, "192.0.2.1", &lim, 60999));
	/* Another address has its own count. */
	CHECK(rbd_sessions_login_allowed(s, "2001:db8::1", &lim, 2000));
	/* A new window. */
	CHECK(rbd_sessions_login_allowed(s, "192.0.2.1", &lim, 61000));
	rbd_sessions_free(s);
}

static void test_session__random_hex(void)
{
	char a[65], b[65];

	REQUIRE(rbd_random_hex(a, 32) == 0);
	REQUIRE(rbd_random_hex(b, 32) == 0);
	CHECK(is_hex64(a) && is_hex64(b) && strcmp(a, b) != 0);
	CHECK_INT(rbd_random_hex(a, 65), RBD_EINVAL);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_session__start_and_get),
	RBD_TEST(test_session__unknown_ids),
	RBD_TEST(test_session__idle_expiry),
	RBD_TEST(test_session__absolute_expiry),
	RBD_TEST(test_session__sign_out),
	RBD_TEST(test_session__csrf),
	RBD_TEST(test_session__full_table_drops_least_recent),
	RBD_TEST(test_session__name_too_long),
	RBD_TEST(test_session__flash_once),
	RBD_TEST(test_session__login_rate_limit),
	RBD_TEST(test_session__random_hex),
};

RBD_TEST_MAIN(cases)
