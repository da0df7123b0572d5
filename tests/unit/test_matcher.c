/* test_matcher: Alertmanager matcher syntax and semantics, and the regex module under it. */
#include "harness.h"

#include "runbookd/err.h"
#include "runbookd/labels.h"
#include "runbookd/matcher.h"
#include "runbookd/regex.h"

#include <pthread.h>
#include <time.h>

/* Builds a label set from "k", "v", "k", "v", ..., NULL. */
static struct rbd_labelset mk_labels(const char *const *kv)
{
	struct rbd_labelset ls = { NULL, 0 };

	for (size_t i = 0; kv && kv[i]; i += 2)
		rbd_labels_set(&ls, kv[i], kv[i + 1]);
	return ls;
}

struct match_case {
	const char *matcher;
	const char *labels[7];   /* k, v pairs, NULL-terminated */
	int want;
};

/* Each row is Alertmanager's documented behaviour (pkg/labels: NewMatcher anchors
 * regexes as ^(?:re)$; a missing label matches as the empty string). */
static const struct match_case match_cases[] = {
	/* equality */
	{ "foo=\"bar\"",          { "foo", "bar", NULL }, 1 },
	{ "foo=\"bar\"",          { "foo", "baz", NULL }, 0 },
	{ "foo=\"bar\"",          { NULL }, 0 },
	{ "foo=\"bar\"",          { "foo", "barx", NULL }, 0 },
	{ "foo!=\"bar\"",         { "foo", "bar", NULL }, 0 },
	{ "foo!=\"bar\"",         { "foo", "baz", NULL }, 1 },
	{ "foo!=\"bar\"",         { NULL }, 1 },
	/* a missing label equals "" */
	{ "foo=\"\"",             { NULL }, 1 },
	{ "foo=\"\"",             { "bar", "x", NULL }, 1 },
	{ "foo=\"\"",             { "foo", "x", NULL }, 0 },
	{ "foo!=\"\"",            { NULL }, 0 },
	{ "foo!=\"\"",            { "foo", "x", NULL }, 1 },
	{ "foo=",                 { NULL }, 1 },
	/* regexes are fully anchored */
	{ "foo=~\"foo\"",         { "foo", "foobar", NULL }, 0 },
	{ "foo=~\"foo\"",         { "foo", "xfoo", NULL }, 0 },
	{ "foo=~\"foo\"",         { "foo", "foo", NULL }, 1 },
	{ "foo=~\"foo.*\"",       { "foo", "foobar", NULL }, 1 },
	{ "foo=~\"a|ab\"",        { "foo", "ab", NULL }, 1 },
	{ "foo=~\"a|b\"",         { "foo", "ab", NULL }, 0 },
	{ "foo=~\"foo\"",         { "foo", "foo\n", NULL }, 0 },
	{ "foo=~\"foo$\"",        { "foo", "foo\n", NULL }, 0 },
	{ "foo=~\"^foo$\"",       { "foo", "foo", NULL }, 1 },
	{ "foo=~\"a.b\"",         { "foo", "a\nb", NULL }, 0 },     /* . stops at \n as in Go */
	{ "foo=~\"a.b\"",         { "foo", "a\rb", NULL }, 1 },
	{ "foo=~\"(?s)a.b\"",     { "foo", "a\nb", NULL }, 1 },
	{ "severity=~\"warning|critical\"", { "severity", "critical", NULL }, 1 },
	{ "severity=~\"warning|critical\"", { "severity", "critical2", NULL }, 0 },
	{ "severity=~\"warning|critical\"", { "severity", "info", NULL }, 0 },
	/* regexes against a missing label */
	{ "foo=~\".*\"",          { NULL }, 1 },
	{ "foo=~\".+\"",          { NULL }, 0 },
	{ "foo=~\"x\"",           { NULL }, 0 },
	{ "foo!~\"x\"",           { NULL }, 1 },
	{ "foo!~\".*\"",          { NULL }, 0 },
	{ "foo!~\"x\"",           { "foo", "x", NULL }, 0 },
	{ "foo!~\"x\"",           { "foo", "xx", NULL }, 1 },
	{ "foo!~\"x|y\"",         { "foo", "xy", NULL }, 1 },
	{ "env!~\"prod|staging\"", { "env", "prod", NULL }, 0 },
	{ "env!~\"prod|staging\"", { "env", "production", NULL }, 1 },
	/* escapes in quoted values */
	{ "foo=\"a\\\"b\"",       { "foo", "a\"b", NULL }, 1 },
	{ "foo=\"a\\\\b\"",       { "foo", "a\\b", NULL }, 1 },
	{ "foo=\"a\\nb\"",        { "foo", "a\nb", NULL }, 1 },
	{ "foo=\"a\\db\"",        { "foo", "a\\db", NULL }, 1 },    /* spurious escape kept */
	{ "foo=~\"\\\\d+\"",      { "foo", "123", NULL }, 1 },      /* "\\d+" unescapes to \d+ */
	{ "foo=~\"\\\\\\\\d\"",   { "foo", "\\d", NULL }, 1 },      /* "\\\\d": regex \\d */
	{ "foo=~\"\\d+\"",        { "foo", "123", NULL }, 1 },      /* \d reaches the regex */
	{ "foo=~\"\\d+\"",        { "foo", "12a", NULL }, 0 },
	{ "foo=~\"a\\.b\"",       { "foo", "a.b", NULL }, 1 },
	{ "foo=~\"a\\.b\"",       { "foo", "axb", NULL }, 0 },
	/* bare values */
	{ "foo=bar",              { "foo", "bar", NULL }, 1 },
	{ "foo = bar  ",          { "foo", "bar", NULL }, 1 },
	{ "foo=bar baz",          { "foo", "bar baz", NULL }, 1 },
	{ "foo==bar",             { "foo", "=bar", NULL }, 1 },
	{ "foo=~bar=baz!=bad",    { "foo", "bar=baz!=bad", NULL }, 1 },
	{ "foo=bar\\n",           { "foo", "bar\n", NULL }, 1 },
	{ "foo=bar\\",            { "foo", "bar\\", NULL }, 1 },
	/* spaces around the operator and inside quotes */
	{ "  severity  =~  \"warning|critical\"  ", { "severity", "warning", NULL }, 1 },
	{ "foo=\" a \"",          { "foo", " a ", NULL }, 1 },
	{ "foo=\" a \"",          { "foo", "a", NULL }, 0 },
	/* unicode */
	{ "svc=\"caf\xc3\xa9\"",  { "svc", "caf\xc3\xa9", NULL }, 1 },
	{ "svc=~\"caf.\"",        { "svc", "caf\xc3\xa9", NULL }, 1 },  /* one code point */
	{ "svc=~\"caf..\"",       { "svc", "caf\xc3\xa9", NULL }, 0 },
	{ "svc=~\"(?i)CAF\xc3\x89\"", { "svc", "caf\xc3\xa9", NULL }, 1 },
	{ "svc=~\"\xe6\x97\xa5\xe6\x9c\xac.*\"", { "svc", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", NULL }, 1 },
	/* an invalid UTF-8 label value never satisfies a regex, negated or not */
	{ "foo=~\".*\"",          { "foo", "\xff", NULL }, 0 },
	{ "foo!~\"x\"",           { "foo", "\xff", NULL }, 0 },
	/* other labels do not interfere */
	{ "b=\"2\"",              { "a", "1", "b", "2", "c", "3" }, 1 },
};

static void test_matcher__table(void)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		struct rbd_labelset ls = mk_labels(c->labels);
		struct rbd_matcher *m = NULL;
		int rc = rbd_matcher_parse(&m, c->matcher);

		if (rc != 0) {
			fprintf(stderr, "  case %zu `%s`: parse failed: %s\n", i, c->matcher, rbd_err_msg());
			CHECK_INT(rc, 0);
		} else if ((int)rbd_matcher_matches(m, &ls) != c->want) {
			fprintf(stderr, "  case %zu `%s`: expected %d\n", i, c->matcher, c->want);
			CHECK(0);
		}
		rbd_matcher_free(m);
		rbd_labels_clear(&ls);
	}
}

static void test_matcher__null_labels_are_all_missing(void)
{
	struct rbd_matcher *m = NULL;

	REQUIRE(rbd_matcher_parse(&m, "foo=\"\"") == 0);
	CHECK(rbd_matcher_matches(m, NULL));
	rbd_matcher_free(m);
	REQUIRE(rbd_matcher_parse(&m, "foo!~\"x\"") == 0);
	CHECK(rbd_matcher_matches(m, NULL));
	rbd_matcher_free(m);
}

struct parse_case {
	const char *text;
	const char *name;
	enum rbd_match_op op;
	const char *value;
	const char *canonical;
};

static const struct parse_case parse_cases[] = {
	{ "alertname = \"HighLatencyP99\"", "alertname", RBD_MATCH_EQ, "HighLatencyP99",
	  "alertname=\"HighLatencyP99\"" },
	{ "severity =~ warning|critical", "severity", RBD_MATCH_RE, "warning|critical",
	  "severity=~\"warning|critical\"" },
	{ "env != \"prod\"", "env", RBD_MATCH_NE, "prod", "env!=\"prod\"" },
	{ "env!~\"prod|staging\"", "env", RBD_MATCH_NRE, "prod|staging", "env!~\"prod|staging\"" },
	{ "foo=", "foo", RBD_MATCH_EQ, "", "foo=\"\"" },
	{ "foo=\"\"", "foo", RBD_MATCH_EQ, "", "foo=\"\"" },
	{ "foo=\"a\\\"b\\\\c\\nd\"", "foo", RBD_MATCH_EQ, "a\"b\\c\nd", "foo=\"a\\\"b\\\\c\\nd\"" },
	{ "foo=~\"\\d+\"", "foo", RBD_MATCH_RE, "\\d+", "foo=~\"\\\\d+\"" },
	{ "_x9=\"caf\xc3\xa9\"", "_x9", RBD_MATCH_EQ, "caf\xc3\xa9", "_x9=\"caf\xc3\xa9\"" },
	{ "foo=\"a\tb\"", "foo", RBD_MATCH_EQ, "a\tb", "foo=\"a\\tb\"" },
	{ "foo=\"a\x01\"", "foo", RBD_MATCH_EQ, "a\x01", "foo=\"a\\x01\"" },
};

static void test_matcher__parse_and_string(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct rbd_matcher *m = NULL;

		if (rbd_matcher_parse(&m, c->text) != 0) {
			fprintf(stderr, "  case %zu `%s`: %s\n", i, c->text, rbd_err_msg());
			CHECK(0);
			continue;
		}
		CHECK_STR(rbd_matcher_name(m), c->name);
		CHECK_INT(rbd_matcher_op(m), c->op);
		CHECK_STR(rbd_matcher_value(m), c->value);
		CHECK_STR(rbd_matcher_string(m), c->canonical);
		rbd_matcher_free(m);
	}
}

/* The canonical form parses back to the same matcher (for values without control
 * characters other than newline, which Go's %q also cannot round-trip). */
static void test_matcher__string_round_trips(void)
{
	static const char *const texts[] = {
		"a=\"x\\\"y\"", "a=~\"(x|y)\\\\.z\"", "b!=\"\\\\\"", "c!~\"\\n\"", "d=\"\"",
		"e = some bare value", "f=~\"caf\xc3\xa9|\xe6\x97\xa5\"",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct rbd_matcher *m = NULL, *m2 = NULL;

		REQUIRE(rbd_matcher_parse(&m, texts[i]) == 0);
		REQUIRE(rbd_matcher_parse(&m2, rbd_matcher_string(m)) == 0);
		CHECK_STR(rbd_matcher_name(m2), rbd_matcher_name(m));
		CHECK_INT(rbd_matcher_op(m2), rbd_matcher_op(m));
		CHECK_STR(rbd_matcher_value(m2), rbd_matcher_value(m));
		CHECK_STR(rbd_matcher_string(m2), rbd_matcher_string(m));
		rbd_matcher_free(m);
		rbd_matcher_free(m2);
	}
}

struct error_case {
	const char *text;
	const char *msg_part;
};

static const struct error_case error_cases[] = {
	{ "", "empty" },
	{ "   ", "empty" },
	{ "foo", "expected = != =~ or !~" },
	{ "foo \"bar\"", "expected = != =~ or !~" },
	{ "foo<\"bar\"", "expected = != =~ or !~" },
	{ "foo=!\"bar\"", "unescaped double quote" },
	{ "invalid-name = \"valid label\"", "expected = != =~ or !~ after the label name `invalid`" },
	{ "1abc=\"x\"", "expected a label name" },
	{ "=\"x\"", "expected a label name" },
	{ "f\xc3\xa9=\"x\"", "expected = != =~ or !~" },
	{ "job=\"value", "no closing double quote" },
	{ "job=\"", "no closing double quote" },
	{ "job=value\"", "unescaped double quote" },
	{ "job=\"a\"b\"", "unescaped double quote" },
	{ "contains_unescaped_quote = foo\"bar", "unescaped double quote" },
	{ "trickier==\\\\=\\=\\\"\"", "unescaped double quote" },
	{ "foo=\"\xff\"", "not valid UTF-8" },
	{ "foo=\"\xc0\xaf\"", "not valid UTF-8" },
	{ "foo=~\"invalid[regexp\"", "bad regex: missing terminating ] for character class" },
	{ "foo=~\"a)|(b\"", "bad regex" },
	{ "foo!~\"*\"", "bad regex: quantifier does not follow a repeatable item at offset 0" },
};

static void test_matcher__parse_errors(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct rbd_matcher *m = (struct rbd_matcher *)&m;   /* must be reset to NULL */
		int rc = rbd_matcher_parse(&m, c->text);

		CHECK_INT(rc, RBD_EINVAL);
		CHECK(m == NULL);
		if (!strstr(rbd_err_msg(), c->msg_part) || strncmp(rbd_err_msg(), "matcher `", 9) != 0) {
			fprintf(stderr, "  case %zu `%s`: message \"%s\" lacks \"%s\"\n", i, c->text,
				rbd_err_msg(), c->msg_part);
			CHECK(0);
		}
		if (rc == 0)
			rbd_matcher_free(m);
	}
}

static void test_matcher__regex_error_message_exact(void)
{
	struct rbd_matcher *m = NULL;

	CHECK_INT(rbd_matcher_parse(&m, "sev=~\"(\""), RBD_EINVAL);
	CHECK_STR(rbd_err_msg(),
		  "matcher `sev=~\"(\"`: bad regex: missing closing parenthesis at offset 1");
	CHECK_INT(rbd_matcher_parse(&m, "sev=~\"x\n(\""), RBD_EINVAL);
	/* control characters of the text are escaped in the message */
	CHECK(strstr(rbd_err_msg(), "x\\x0a(") != NULL);
	CHECK(strchr(rbd_err_msg(), '\n') == NULL);
}

static void test_matcher__error_message_is_bounded(void)
{
	char text[5000];
	struct rbd_matcher *m = NULL;

	memset(text, 'a', sizeof(text));
	memcpy(text, "foo=\"", 5);
	text[sizeof(text) - 1] = '\0';   /* no closing quote */
	CHECK_INT(rbd_matcher_parse(&m, text), RBD_EINVAL);
	CHECK(strlen(rbd_err_msg()) < 200);
	CHECK(strstr(rbd_err_msg(), "...`") != NULL);
	CHECK(strstr(rbd_err_msg(), "no closing double quote") != NULL);
}

/* A 4 KB label value is fine for both kinds of matchers. */
static void test_matcher__long_values(void)
{
	char *big = malloc(4097);
	struct rbd_matcher *m = NULL;
	struct rbd_labelset ls = { NULL, 0 };

	memset(big, 'x', 4096);
	big[4096] = '\0';
	rbd_labels_set(&ls, "foo", big);
	REQUIRE(rbd_matcher_parse(&m, "foo=~\"x*\"") == 0);
	CHECK(rbd_matcher_matches(m, &ls));
	rbd_matcher_free(m);
	REQUIRE(rbd_matcher_parse(&m, "foo=~\"(x|y)*\"") == 0);
	CHECK(rbd_matcher_matches(m, &ls));
	rbd_matcher_free(m);
	REQUIRE(rbd_matcher_parse(&m, "foo!~\"x*y\"") == 0);
	CHECK(rbd_matcher_matches(m, &ls));
	rbd_matcher_free(m);
	rbd_labels_clear(&ls);
	free(big);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Catastrophic backtracking gives up at the match limit: no match, quickly, and a
 * negated matcher does not turn the undecided result into a match. */
static void test_matcher__match_limit(void)
{
	struct rbd_regex *re = NULL;
	struct rbd_matcher *m = NULL, *nm = NULL;
	struct rbd_labelset ls = { NULL, 0 };
	char subject[64];
	double t0;
	int rc;

	memset(subject, 'a', 40);
	subject[40] = 'b';
	subject[41] = '\0';
	rbd_labels_set(&ls, "foo", subject);

	REQUIRE(rbd_regex_compile(&re, "(a+)+") == 0);
	t0 = now_s();
	rc = rbd_regex_match(re, subject, strlen(subject));
	CHECK(rc < 0);
	CHECK(strstr(rbd_err_msg(), "limit") != NULL);
	CHECK(now_s() - t0 < 1.0);
	rbd_regex_free(re);

	REQUIRE(rbd_matcher_parse(&m, "foo=~\"(a|aa)+\"") == 0);
	REQUIRE(rbd_matcher_parse(&nm, "foo!~\"(a|aa)+\"") == 0);
	t0 = now_s();
	CHECK(!rbd_matcher_matches(m, &ls));
	CHECK(!rbd_matcher_matches(nm, &ls));
	CHECK(now_s() - t0 < 1.0);
	rbd_matcher_free(m);
	rbd_matcher_free(nm);
	rbd_labels_clear(&ls);
}

static void test_matcher__regex_api(void)
{
	struct rbd_regex *re = NULL;

	REQUIRE(rbd_regex_compile(&re, "warning|critical") == 0);
	CHECK_STR(rbd_regex_source(re), "warning|critical");
	CHECK_INT(rbd_regex_match(re, "critical", 8), 1);
	CHECK_INT(rbd_regex_match(re, "criticalx", 9), 0);
	CHECK_INT(rbd_regex_match(re, "critical", 4), 0);   /* len is honoured */
	CHECK_INT(rbd_regex_match(re, NULL, 0), 0);
	CHECK(rbd_regex_match(re, "\xff", 1) < 0);          /* invalid UTF-8 subject */
	rbd_regex_free(re);
	rbd_regex_free(NULL);

	re = (struct rbd_regex *)&re;
	CHECK_INT(rbd_regex_compile(&re, "(a"), RBD_EINVAL);
	CHECK(re == NULL);
	CHECK_STR(rbd_err_msg(), "bad regex: missing closing parenthesis at offset 2");
	CHECK_INT(rbd_regex_compile(&re, "\\C"), RBD_EINVAL);   /* \C is banned in UTF mode */
	CHECK_INT(rbd_regex_compile(&re, "\xff"), RBD_EINVAL);  /* invalid UTF-8 pattern */
}

struct thread_arg {
	const struct rbd_matcher *m;
	int bad;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	struct rbd_labelset yes = { NULL, 0 }, no = { NULL, 0 };

	rbd_labels_set(&yes, "severity", "critical");
	rbd_labels_set(&no, "severity", "criticalx");
	for (int i = 0; i < 20000; i++) {
		if (!rbd_matcher_matches(a->m, &yes) || rbd_matcher_matches(a->m, &no))
			a->bad++;
	}
	rbd_labels_clear(&yes);
	rbd_labels_clear(&no);
	return NULL;
}

/* One compiled matcher shared by several threads gives the same answers. */
static void test_matcher__shared_between_threads(void)
{
	struct rbd_matcher *m = NULL;
	struct thread_arg args[4];
	pthread_t th[4];

	REQUIRE(rbd_matcher_parse(&m, "severity=~\"warning|critical\"") == 0);
	for (int i = 0; i < 4; i++) {
		args[i].m = m;
		args[i].bad = 0;
		REQUIRE(pthread_create(&th[i], NULL, thread_main, &args[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(args[i].bad, 0);
	}
	rbd_matcher_free(m);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_matcher__table),
	RBD_TEST(test_matcher__null_labels_are_all_missing),
	RBD_TEST(test_matcher__parse_and_string),
	RBD_TEST(test_matcher__string_round_trips),
	RBD_TEST(test_matcher__parse_errors),
	RBD_TEST(test_matcher__regex_error_message_exact),
	RBD_TEST(test_matcher__error_message_is_bounded),
	RBD_TEST(test_matcher__long_values),
	RBD_TEST(test_matcher__match_limit),
	RBD_TEST(test_matcher__regex_api),
	RBD_TEST(test_matcher__shared_between_threads),
};

RBD_TEST_MAIN(cases)
