/*
 * test_html: the console's escaping (THREATS.md "alert labels with markup in a
 * browser page"): every markup character, quotes for attributes, ill-formed UTF-8
 * and control characters, the %s/%r/%d/%L builder, and which URLs may be links.
 */
#include "harness.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/html.h"

static char *esc(const char *s)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	rbd_html_escape(&b, s);
	return rbd_buf_steal(&b);
}

#define CHECK_ESC(in, out) do { char *e_ = esc(in); CHECK_STR(e_, out); free(e_); } while (0)

static void test_html__escapes_markup(void)
{
	CHECK_ESC("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	CHECK_ESC("\"><img src=x onerror=alert(2)>", "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
	CHECK_ESC("'><svg onload=x>", "&#39;&gt;&lt;svg onload=x&gt;");
	CHECK_ESC("a & b &amp;", "a &amp; b &amp;amp;");
	CHECK_ESC("plain text, 5xx > 5%", "plain text, 5xx &gt; 5%");
	CHECK_ESC("", "");
}

static void test_html__utf8_and_controls(void)
{
	CHECK_ESC("서비스 장애 <b>", "서비스 장애 &lt;b&gt;");
	CHECK_ESC("bad \xff\xfe byte", "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
	CHECK_ESC("nul-free \x01\x1b[31m", "nul-free \xEF\xBF\xBD\xEF\xBF\xBD[31m");
	CHECK_ESC("tab\tand\nnewline", "tab\tand\nnewline");
	CHECK_ESC("c1 \xc2\x85 control", "c1 \xEF\xBF\xBD control");
	CHECK_ESC("overlong \xc0\xbc", "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
}

static void test_html__null_appends_nothing(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	CHECK_INT(rbd_html_escape(&b, NULL), 0);
	CHECK_INT(b.len, 0);
	rbd_buf_free(&b);
}

static void test_html__put(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	CHECK_INT(rbd_html_put(&b, "<a href=\"%s\">%s</a> %r %d %L 100%%", "/x?a=1&b=\"2\"",
			       "<i>", "<br>", -7, (int64_t)1234567890123LL), 0);
	CHECK_STR(rbd_buf_cstr(&b), "<a href=\"/x?a=1&amp;b=&quot;2&quot;\">&lt;i&gt;</a> <br> -7 "
		  "1234567890123 100%");
	rbd_buf_reset(&b);
	CHECK_INT(rbd_html_put(&b, "[%s][%r]", NULL, NULL), 0);
	CHECK_STR(rbd_buf_cstr(&b), "[][]");
	rbd_buf_free(&b);
}

static void test_html__cap(void)
{
	struct rbd_buf b = RBD_BUF_INIT(16);

	CHECK_INT(rbd_html_escape(&b, "<<<<<"), RBD_ETOOBIG);
	CHECK(b.len <= 16);
	rbd_buf_free(&b);
}

static void test_html__url_ok(void)
{
	CHECK(rbd_html_url_ok("https://runbooks.example/5xx"));
	CHECK(rbd_html_url_ok("http://wiki:8080/a?b=c#d"));
	CHECK(rbd_html_url_ok("HTTPS://Example.com"));
	CHECK(!rbd_html_url_ok("javascript:alert(3)"));
	CHECK(!rbd_html_url_ok("JavaScript:alert(3)"));
	CHECK(!rbd_html_url_ok(" javascript:alert(3)"));
	CHECK(!rbd_html_url_ok("data:text/html,<script>x</script>"));
	CHECK(!rbd_html_url_ok("vbscript:x"));
	CHECK(!rbd_html_url_ok("//evil.example/x"));
	CHECK(!rbd_html_url_ok("/relative"));
	CHECK(!rbd_html_url_ok("https://"));
	CHECK(!rbd_html_url_ok("https:///path"));
	CHECK(!rbd_html_url_ok("https://a b"));
	CHECK(!rbd_html_url_ok("https://a\nb"));
	CHECK(!rbd_html_url_ok("java\tscript:x"));
	CHECK(!rbd_html_url_ok(""));
	CHECK(!rbd_html_url_ok(NULL));
}

static void test_html__time_and_age(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	rbd_html_time(&b, 1795593347033LL);
	CHECK_STR(rbd_buf_cstr(&b), "2026-11-25 07:55:47 UTC");
	rbd_buf_reset(&b);
	rbd_html_time(&b, 0);
	CHECK_STR(rbd_buf_cstr(&b), "-");
	rbd_buf_reset(&b);
	rbd_html_age(&b, 1000, 43000);
	CHECK_STR(rbd_buf_cstr(&b), "42s");
	rbd_buf_reset(&b);
	rbd_html_age(&b, 0, 3 * 3600000 + 120000);
	CHECK_STR(rbd_buf_cstr(&b), "-");
	rbd_buf_reset(&b);
	rbd_html_age(&b, 1, 1 + 3 * 3600000 + 120000);
	CHECK_STR(rbd_buf_cstr(&b), "3h 2m");
	rbd_buf_reset(&b);
	rbd_html_age(&b, 1, 1 + 2 * 86400000LL + 4 * 3600000);
	CHECK_STR(rbd_buf_cstr(&b), "2d 4h");
	rbd_buf_free(&b);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_html__escapes_markup),
	RBD_TEST(test_html__utf8_and_controls),
	RBD_TEST(test_html__null_appends_nothing),
	RBD_TEST(test_html__put),
	RBD_TEST(test_html__cap),
	RBD_TEST(test_html__url_ok),
	RBD_TEST(test_html__time_and_age),
};

RBD_TEST_MAIN(cases)
