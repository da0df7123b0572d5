/*
 * test_auth: bearer token checks (THREATS.md "unauthenticated or wrong-role calls"):
 * the constant-time comparison, every malformed, wrong, truncated or oversized
 * Authorization header refused with one constant message that never echoes the
 * token, the right token found among several, and the role table.
 */
#include "harness.h"
#include "runbookd/auth.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"

#define INGEST_SECRET "ingest-Zq8-secret"
#define ALICE_SECRET "alice-operator-77"
#define VIEW_SECRET "view-token"
#define VIEW_LONG_SECRET "view-token-longer"   /* VIEW_SECRET is a prefix of it */

static struct rbd_token tokens[] = {
	{ "alertmanager", RBD_ROLE_INGEST, INGEST_SECRET },
	{ "alice", RBD_ROLE_OPERATOR, ALICE_SECRET },
	{ "grafana", RBD_ROLE_VIEWER, VIEW_SECRET },
	{ "grafana2", RBD_ROLE_VIEWER, VIEW_LONG_SECRET },
};

static struct rbd_config config(void)
{
	struct rbd_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.tokens = tokens;
	cfg.n_tokens = sizeof(tokens) / sizeof(tokens[0]);
	return cfg;
}

/* A header built from a prefix and n copies of c then a suffix (caller frees). */
static char *header(const char *prefix, char c, size_t n, const char *suffix)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	rbd_buf_puts(&b, prefix);
	for (size_t i = 0; i < n; i++)
		rbd_buf_putc(&b, c);
	rbd_buf_puts(&b, suffix);
	return rbd_buf_steal(&b);
}

static void test_auth__equal(void)
{
	CHECK(rbd_auth_equal("abc", 3, "abc", 3));
	CHECK(!rbd_auth_equal("abd", 3, "abc", 3));          /* last byte differs */
	CHECK(!rbd_auth_equal("xbc", 3, "abc", 3));          /* first byte differs */
	CHECK(!rbd_auth_equal("ab", 2, "abc", 3));           /* prefix */
	CHECK(!rbd_auth_equal("abcd", 4, "abc", 3));         /* longer */
	CHECK(!rbd_auth_equal("abcabc", 6, "abc", 3));       /* b repeated is not b */
	CHECK(!rbd_auth_equal("", 0, "abc", 3));             /* empty presented */
	CHECK(!rbd_auth_equal("", 0, "", 0));                /* an empty secret never matches */
	CHECK(!rbd_auth_equal("abc", 3, "", 0));
	CHECK(!rbd_auth_equal("\x80", 1, "\x00", 1));        /* high bit counts */
	CHECK(rbd_auth_equal("a\0b", 3, "a\0b", 3));         /* lengths, not NULs */
	CHECK(!rbd_auth_equal("a\0b", 3, "a\0c", 3));
}

static void test_auth__right_token(void)
{
	struct rbd_config cfg = config();
	const struct rbd_token *t = NULL;

	CHECK_INT(rbd_auth_check(&t, &cfg, "Bearer " ALICE_SECRET), 0);
	REQUIRE(t != NULL);
	CHECK_STR(t->name, "alice");
	CHECK_INT(t->role, RBD_ROLE_OPERATOR);
	CHECK_INT(rbd_auth_check(&t, &cfg, "Bearer " INGEST_SECRET), 0);
	REQUIRE(t != NULL);
	CHECK_STR(t->name, "alertmanager");
}

static void test_auth__several_tokens_the_right_one(void)
{
	struct rbd_config cfg = config();
	const struct rbd_token *t = NULL;

	/* One secret is a prefix of another: each finds its own. */
	CHECK_INT(rbd_auth_check(&t, &cfg, "Bearer " VIEW_SECRET), 0);
	REQUIRE(t != NULL);
	CHECK_STR(t->name, "grafana");
	CHECK_INT(rbd_auth_check(&t, &cfg, "Bearer " VIEW_LONG_SECRET), 0);
	REQUIRE(t != NULL);
	CHECK_STR(t->name, "grafana2");
	CHECK(t == &cfg.tokens[3]);                          /* borrowed from cfg */
}

static void test_auth__refusals(void)
{
	static const char *const bad[] = {
		"",
		"Basic x",
		"Basic " ALICE_SECRET,
		"Bearer",
		"Bearer ",
		"Bearer     ",
		"Bearer\t" ALICE_SECRET,
		"Bearer" ALICE_SECRET,
		"bearer x",
		"Bearer x",
		"Bearer wrong",
		"Bearer alice-operator-7",                   /* truncated */
		"Bearer lice-operator-77",
		"Bearer " ALICE_SECRET "7",                  /* one byte longer */
		"Bearer " ALICE_SECRET " " ALICE_SECRET,     /* two tokens */
		"Bearer " ALICE_SECRET " extra",
		"Bearer " ALICE_SECRET ",Bearer x",
		"Token " ALICE_SECRET,
		"Bearer view-toke",
	};
	struct rbd_config cfg = config();
	const struct rbd_token *t;
	char constant[512];

	t = (const struct rbd_token *)1;
	CHECK_INT(rbd_auth_check(&t, &cfg, NULL), RBD_EAUTH);   /* missing header */
	CHECK(t == NULL);
	snprintf(constant, sizeof(constant), "%s", rbd_err_msg());
	CHECK(constant[0] != '\0');
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = (const struct rbd_token *)1;
		rbd_err_clear();
		if (rbd_auth_check(&t, &cfg, bad[i]) != RBD_EAUTH) {
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
			rbd_test_case_failed = 1;
		}
		CHECK(t == NULL);
		/* One constant message: it reveals nothing, never the token. */
		CHECK_STR(rbd_err_msg(), constant);
	}
	CHECK(strstr(constant, "alice") == NULL && strstr(constant, "secret") == NULL);
}

static void test_auth__huge_tokens(void)
{
	struct rbd_config cfg = config();
	const struct rbd_token *t = (const struct rbd_token *)1;
	char *h = header("Bearer ", 'A', 5000, "");

	CHECK_INT(rbd_auth_check(&t, &cfg, h), RBD_EAUTH);
	CHECK(t == NULL);
	free(h);
	/* The right token followed by kilobytes of junk is not the right token. */
	h = header("Bearer " ALICE_SECRET, 'A', 5000, "");
	CHECK_INT(rbd_auth_check(&t, &cfg, h), RBD_EAUTH);
	free(h);
	h = header("Bearer " ALICE_SECRET, ' ', 100, "x");
	CHECK_INT(rbd_auth_check(&t, &cfg, h), RBD_EAUTH);
	free(h);
	h = header("Bearer ", ' ', 5000, "");
	CHECK_INT(rbd_auth_check(&t, &cfg, h), RBD_EAUTH);
	free(h);
}

/* A header longer than RBD_TOKEN_MAX is "too long" (auth.h): refused, whatever the
 * bytes past the limit are. Here the right token is followed by 5000 spaces and junk;
 * the junk must not be ignored just because it sits past the limit. */
static void test_auth__junk_past_the_limit(void)
{
	struct rbd_config cfg = config();
	const struct rbd_token *t = NULL;
	char *h = header("Bearer " ALICE_SECRET, ' ', 5000, "junk");

	CHECK_INT(rbd_auth_check(&t, &cfg, h), RBD_EAUTH);
	CHECK(t == NULL);
	free(h);
}

static void test_auth__token_at_the_limit(void)
{
	char *secret = header("", 's', RBD_TOKEN_MAX, "");
	char *secret_over = header("", 'o', RBD_TOKEN_MAX + 1, "");
	struct rbd_token tk[] = {
		{ "max", RBD_ROLE_VIEWER, secret },
		{ "over", RBD_ROLE_VIEWER, secret_over },
	};
	struct rbd_config cfg;
	const struct rbd_token *t = NULL;
	char *h;

	memset(&cfg, 0, sizeof(cfg));
	cfg.tokens = tk;
	cfg.n_tokens = 2;
	h = header("Bearer ", 's', RBD_TOKEN_MAX, "");
	CHECK_INT(rbd_auth_check(&t, &cfg, h), 0);
	CHECK(t == &tk[0]);
	free(h);
	h = header("Bearer ", 'o', RBD_TOKEN_MAX + 1, "");
	CHECK_INT(rbd_auth_check(&t, &cfg, h), RBD_EAUTH);
	free(h);
	free(secret);
	free(secret_over);
}

/* RFC 7235: the scheme is case-insensitive; RFC 6750: "Bearer" 1*SP token, and
 * servers drop trailing whitespace of a header value. These forms carry the right
 * token and are accepted. */
static void test_auth__lenient_but_standard_forms(void)
{
	static const char *const good[] = {
		"bearer " ALICE_SECRET,
		"BEARER " ALICE_SECRET,
		"Bearer   " ALICE_SECRET,
		"Bearer " ALICE_SECRET " ",
		"Bearer " ALICE_SECRET "\t",
	};
	struct rbd_config cfg = config();

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct rbd_token *t = NULL;

		CHECK_INT(rbd_auth_check(&t, &cfg, good[i]), 0);
		CHECK(t == &cfg.tokens[1]);
	}
}

static void test_auth__no_tokens_configured(void)
{
	struct rbd_config cfg;
	const struct rbd_token *t = NULL;

	memset(&cfg, 0, sizeof(cfg));
	CHECK_INT(rbd_auth_check(&t, &cfg, "Bearer anything"), RBD_EAUTH);
	CHECK(t == NULL);
}

static void test_auth__role_table(void)
{
	static const struct {
		enum rbd_role role;          /* the token's */
		enum rbd_role required;
		bool allowed;
	} table[] = {
		{ RBD_ROLE_OPERATOR, RBD_ROLE_OPERATOR, true },
		{ RBD_ROLE_OPERATOR, RBD_ROLE_VIEWER,   true },   /* operators may read */
		{ RBD_ROLE_OPERATOR, RBD_ROLE_INGEST,   false },
		{ RBD_ROLE_VIEWER,   RBD_ROLE_VIEWER,   true },
		{ RBD_ROLE_VIEWER,   RBD_ROLE_OPERATOR, false },   /* viewers do not operate */
		{ RBD_ROLE_VIEWER,   RBD_ROLE_INGEST,   false },
		{ RBD_ROLE_INGEST,   RBD_ROLE_INGEST,   true },
		{ RBD_ROLE_INGEST,   RBD_ROLE_VIEWER,   false },   /* ingest neither reads */
		{ RBD_ROLE_INGEST,   RBD_ROLE_OPERATOR, false },   /* nor operates */
		{ RBD_ROLE_INGEST,   RBD_ROLE_NONE,     true },    /* open routes */
		{ RBD_ROLE_VIEWER,   RBD_ROLE_NONE,     true },
		{ RBD_ROLE_OPERATOR, RBD_ROLE_NONE,     true },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct rbd_token tok = { "t", table[i].role, "s" };

		if (rbd_auth_allows(&tok, table[i].required) != table[i].allowed) {
			fprintf(stderr, "  role %d, required %d: expected %s\n", table[i].role,
				table[i].required, table[i].allowed ? "allowed" : "refused");
			rbd_test_case_failed = 1;
		}
	}
	CHECK(rbd_auth_allows(NULL, RBD_ROLE_NONE));          /* no token on an open route */
	CHECK(!rbd_auth_allows(NULL, RBD_ROLE_VIEWER));
	CHECK(!rbd_auth_allows(NULL, RBD_ROLE_OPERATOR));
	CHECK(!rbd_auth_allows(NULL, RBD_ROLE_INGEST));
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_auth__equal),
	RBD_TEST(test_auth__right_token),
	RBD_TEST(test_auth__several_tokens_the_right_one),
	RBD_TEST(test_auth__refusals),
	RBD_TEST(test_auth__huge_tokens),
	RBD_TEST(test_auth__junk_past_the_limit),
	RBD_TEST(test_auth__token_at_the_limit),
	RBD_TEST(test_auth__lenient_but_standard_forms),
	RBD_TEST(test_auth__no_tokens_configured),
	RBD_TEST(test_auth__role_table),
};

RBD_TEST_MAIN(cases)
