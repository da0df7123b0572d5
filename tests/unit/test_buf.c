/*
 * test_buf: the small building blocks every module leans on: the capped buffer (an
 * append past the cap fails with RBD_ETOOBIG and leaves the buffer as it was, printf
 * growth, steal and reset), sorted label sets (set, get, replace, bulk sort with
 * duplicate detection, deep copy, clear), and the error model (code names, HTTP
 * statuses, thread-local messages).
 */
#include "harness.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/labels.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- buf ---- */

static void test_buf__append_within_and_at_cap(void)
{
	struct rbd_buf b = RBD_BUF_INIT(10);

	CHECK_STR(rbd_buf_cstr(&b), "");
	CHECK(b.data == NULL);
	CHECK_INT(rbd_buf_append(&b, "12345678", 8), 0);
	CHECK_INT(rbd_buf_append(&b, "90", 2), 0);          /* exactly the cap */
	CHECK_INT(b.len, 10);
	CHECK_STR(rbd_buf_cstr(&b), "1234567890");
	CHECK_INT(rbd_buf_append(&b, "", 0), 0);            /* nothing more is fine */
	rbd_buf_free(&b);
}

static void test_buf__over_cap_leaves_buffer_unchanged(void)
{
	struct rbd_buf b = RBD_BUF_INIT(10);
	char *before;
	size_t cap;

	REQUIRE(rbd_buf_append(&b, "12345678", 8) == 0);
	before = b.data;
	cap = b.cap;
	rbd_err_clear();
	CHECK_INT(rbd_buf_append(&b, "abc", 3), RBD_ETOOBIG);
	CHECK(strstr(rbd_err_msg(), "cap") != NULL);
	CHECK_INT(rbd_buf_puts(&b, "xyz"), RBD_ETOOBIG);
	CHECK_INT(rbd_buf_printf(&b, "%d", 123), RBD_ETOOBIG);
	CHECK_INT(rbd_buf_putc(&b, 'a'), 0);
	CHECK_INT(rbd_buf_putc(&b, 'b'), 0);
	CHECK_INT(rbd_buf_putc(&b, 'c'), RBD_ETOOBIG);
	CHECK_INT(b.len, 10);
	CHECK_STR(rbd_buf_cstr(&b), "12345678ab");
	CHECK(b.data == before && b.cap == cap);   /* no reallocation for a refused append */
	rbd_buf_free(&b);
}

static void test_buf__refused_printf_does_not_write(void)
{
	struct rbd_buf b = RBD_BUF_INIT(16);

	REQUIRE(rbd_buf_puts(&b, "head") == 0);
	CHECK_INT(rbd_buf_printf(&b, "%s-%s", "0123456789", "abc"), RBD_ETOOBIG);
	CHECK_INT(b.len, 4);
	CHECK_STR(rbd_buf_cstr(&b), "head");
	CHECK_INT(rbd_buf_printf(&b, "%s", "0123456789ab"), 0);   /* 16 exactly */
	CHECK_STR(rbd_buf_cstr(&b), "head0123456789ab");
	rbd_buf_free(&b);
}

static void test_buf__default_cap_and_huge_sizes(void)
{
	struct rbd_buf b;
	char c = 'x';

	rbd_buf_init(&b, 0);
	/* The size check comes before any copy: p is never read for a refused append. */
	CHECK_INT(rbd_buf_append(&b, &c, RBD_BUF_DEFAULT_MAX + 1), RBD_ETOOBIG);
	CHECK_INT(rbd_buf_append(&b, &c, SIZE_MAX), RBD_ETOOBIG);
	CHECK(b.data == NULL && b.len == 0);
	REQUIRE(rbd_buf_putc(&b, 'a') == 0);
	CHECK_INT(rbd_buf_append(&b, &c, SIZE_MAX), RBD_ETOOBIG);   /* no wrap-around */
	CHECK_INT(rbd_buf_append(&b, &c, RBD_BUF_DEFAULT_MAX), RBD_ETOOBIG);
	CHECK_STR(rbd_buf_cstr(&b), "a");
	rbd_buf_free(&b);
}

static void test_buf__printf_growth(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);
	char big[5001];

	for (int i = 0; i < 1000; i++)
		REQUIRE(rbd_buf_printf(&b, "%d,", i) == 0);
	CHECK(b.len > 64);
	CHECK(b.cap > b.len);
	CHECK_INT(strlen(b.data), b.len);
	CHECK(strncmp(b.data, "0,1,2,3,", 8) == 0);
	CHECK(strcmp(b.data + b.len - 4, "999,") == 0);
	memset(big, 'q', 5000);
	big[5000] = '\0';
	rbd_buf_reset(&b);
	REQUIRE(rbd_buf_printf(&b, "<%s>", big) == 0);
	CHECK_INT(b.len, 5002);
	CHECK(b.data[0] == '<' && b.data[5001] == '>' && b.data[5002] == '\0');
	rbd_buf_free(&b);
}

static void test_buf__binary_and_nul_termination(void)
{
	struct rbd_buf b = RBD_BUF_INIT(0);

	REQUIRE(rbd_buf_append(&b, "a\0b", 3) == 0);
	CHECK_INT(b.len, 3);
	CHECK(memcmp(b.data, "a\0b", 4) == 0);   /* terminated after the data */
	rbd_buf_free(&b);
}

static void test_buf__steal_and_reset(void)
{
	struct rbd_buf b = RBD_BUF_INIT(100);
	char *s;

	s = rbd_buf_steal(&b);                   /* empty: a new "" */
	REQUIRE(s != NULL);
	CHECK_STR(s, "");
	free(s);
	REQUIRE(rbd_buf_puts(&b, "hello") == 0);
	s = rbd_buf_steal(&b);
	CHECK_STR(s, "hello");
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	CHECK_INT(b.max, 100);                   /* the cap survives */
	REQUIRE(rbd_buf_puts(&b, "again") == 0);
	CHECK_STR(rbd_buf_cstr(&b), "again");
	CHECK(s != b.data);
	free(s);

	rbd_buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(rbd_buf_cstr(&b), "");
	CHECK(b.cap > 0);                        /* storage kept for reuse */
	REQUIRE(rbd_buf_puts(&b, "x") == 0);
	CHECK_STR(rbd_buf_cstr(&b), "x");
	rbd_buf_free(&b);
	CHECK(b.data == NULL && b.len == 0);
	rbd_buf_free(&b);                        /* twice is harmless */
	rbd_buf_reset(&b);                       /* so is resetting an empty one */
}

static void test_buf__strdup_helpers(void)
{
	char *s = rbd_strndup("abcdef", 3);

	CHECK_STR(s, "abc");
	free(s);
	CHECK(rbd_strdup(NULL) == NULL);
	CHECK(rbd_strndup(NULL, 4) == NULL);
	s = rbd_strdup("");
	CHECK_STR(s, "");
	free(s);
	s = rbd_calloc(0, 0);                    /* never NULL */
	CHECK(s != NULL);
	free(s);
}

/* ---- labels ---- */

static int labels_sorted(const struct rbd_labelset *ls)
{
	for (size_t i = 1; i < ls->n; i++)
		if (strcmp(ls->kv[i - 1].key, ls->kv[i].key) >= 0)
			return 0;
	return 1;
}

static void test_buf__labels_set_get_sorted(void)
{
	struct rbd_labelset ls = { 0 };
	static const char *const keys[] = { "severity", "alertname", "zone", "a", "service", "b" };

	CHECK(rbd_labels_get(&ls, "x") == NULL);
	CHECK(rbd_labels_get(NULL, "x") == NULL);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		REQUIRE(rbd_labels_set(&ls, keys[i], keys[i]) == 0);
	CHECK_INT(ls.n, 6);
	CHECK(labels_sorted(&ls));
	CHECK_STR(ls.kv[0].key, "a");
	CHECK_STR(ls.kv[5].key, "zone");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK_STR(rbd_labels_get(&ls, keys[i]), keys[i]);
	CHECK(rbd_labels_get(&ls, "") == NULL);
	CHECK(rbd_labels_get(&ls, "alertnam") == NULL);
	CHECK(rbd_labels_get(&ls, "zzz") == NULL);
	rbd_labels_clear(&ls);
	CHECK(ls.n == 0 && ls.kv == NULL);
	rbd_labels_clear(&ls);
}

static void test_buf__labels_replace_and_copies(void)
{
	struct rbd_labelset ls = { 0 };
	char key[8] = "env", val[8] = "prod";

	REQUIRE(rbd_labels_set(&ls, key, val) == 0);
	key[0] = 'X';                            /* set copies both strings */
	val[0] = 'X';
	CHECK_STR(rbd_labels_get(&ls, "env"), "prod");
	REQUIRE(rbd_labels_set(&ls, "env", "staging") == 0);
	CHECK_INT(ls.n, 1);
	CHECK_STR(rbd_labels_get(&ls, "env"), "staging");
	REQUIRE(rbd_labels_set(&ls, "empty", "") == 0);
	CHECK_STR(rbd_labels_get(&ls, "empty"), "");
	CHECK_INT(ls.n, 2);
	rbd_labels_clear(&ls);
}

static void test_buf__labels_sort_detects_duplicates(void)
{
	struct rbd_labelset ls = { 0 };
	static const char *const ok[] = { "c", "a", "b" };
	static const char *const dup[] = { "b", "a", "b" };

	/* A bulk append (as the payload parser does) then one sort. */
	ls.kv = rbd_calloc(3, sizeof(*ls.kv));
	for (size_t i = 0; i < 3; i++) {
		ls.kv[i].key = rbd_strdup(ok[i]);
		ls.kv[i].value = rbd_strdup(ok[i]);
	}
	ls.n = 3;
	CHECK_INT(rbd_labels_sort(&ls), 0);
	CHECK(labels_sorted(&ls));
	CHECK_STR(rbd_labels_get(&ls, "c"), "c");
	rbd_labels_clear(&ls);

	ls.kv = rbd_calloc(3, sizeof(*ls.kv));
	for (size_t i = 0; i < 3; i++) {
		ls.kv[i].key = rbd_strdup(dup[i]);
		ls.kv[i].value = rbd_strdup(dup[i]);
	}
	ls.n = 3;
	rbd_err_clear();
	CHECK_INT(rbd_labels_sort(&ls), RBD_EINVAL);
	CHECK(strstr(rbd_err_msg(), "duplicate") != NULL);
	rbd_labels_clear(&ls);

	CHECK_INT(rbd_labels_sort(&ls), 0);      /* empty */
}

static void test_buf__labels_copy_is_deep(void)
{
	struct rbd_labelset a = { 0 }, b = { 0 }, e = { 0 }, ec = { 0 };

	REQUIRE(rbd_labels_set(&a, "alertname", "DiskFull") == 0);
	REQUIRE(rbd_labels_set(&a, "device", "vd1") == 0);
	REQUIRE(rbd_labels_copy(&b, &a) == 0);
	CHECK_INT(b.n, 2);
	CHECK(b.kv != a.kv && b.kv[0].key != a.kv[0].key && b.kv[0].value != a.kv[0].value);
	REQUIRE(rbd_labels_set(&a, "device", "vd2") == 0);
	CHECK_STR(rbd_labels_get(&b, "device"), "vd1");
	rbd_labels_clear(&a);
	CHECK_STR(rbd_labels_get(&b, "alertname"), "DiskFull");
	rbd_labels_clear(&b);

	REQUIRE(rbd_labels_copy(&ec, &e) == 0);
	CHECK_INT(ec.n, 0);
	CHECK(rbd_labels_get(&ec, "x") == NULL);
	rbd_labels_clear(&ec);
}

/* ---- err ---- */

static void test_buf__err_names_and_statuses(void)
{
	static const struct {
		int code;
		const char *name;
		int status;
	} table[] = {
		{ RBD_OK,         "ok",            200 },
		{ RBD_EINVAL,     "invalid_input", 400 },
		{ RBD_ETOOBIG,    "too_large",     413 },
		{ RBD_ENOTFOUND,  "not_found",     404 },
		{ RBD_ECONFLICT,  "conflict",      409 },
		{ RBD_EUNAVAIL,   "unavailable",   503 },
		{ RBD_EIO,        "internal",      500 },
		{ RBD_EAUTH,      "unauthorized",  401 },
		{ RBD_EFORBIDDEN, "forbidden",     403 },
		{ -1000,          "internal",      500 },   /* unknown: a 500, never a 2xx */
		{ 7,              "internal",      500 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		CHECK_STR(rbd_err_code_name(table[i].code), table[i].name);
		CHECK_INT(rbd_err_http_status(table[i].code), table[i].status);
	}
	/* Every defined failure code has its own stable snake_case name and an error status. */
	for (int c = RBD_EFORBIDDEN; c <= RBD_EINVAL; c++) {
		const char *n = rbd_err_code_name(c);

		CHECK(rbd_err_http_status(c) >= 400);
		CHECK(n[0] != '\0' && strspn(n, "abcdefghijklmnopqrstuvwxyz_") == strlen(n));
	}
	CHECK(rbd_err_http_status(RBD_ENOMEM) >= 500);
	CHECK(rbd_err_http_status(RBD_ETIMEOUT) >= 500);
	CHECK(rbd_err_http_status(RBD_EREFUSED) >= 400);
}

static void *err_thread(void *arg)
{
	(void)arg;
	rbd_err_set(RBD_EIO, "from the other thread");
	return (void *)(intptr_t)(strcmp(rbd_err_msg(), "from the other thread") == 0);
}

static void test_buf__err_messages_thread_local(void)
{
	char long_arg[2000];
	pthread_t t;
	void *ok = NULL;

	CHECK_INT(rbd_err_set(RBD_ENOTFOUND, "no incident %d", 7), RBD_ENOTFOUND);
	CHECK_STR(rbd_err_msg(), "no incident 7");
	REQUIRE(pthread_create(&t, NULL, err_thread, NULL) == 0);
	pthread_join(t, &ok);
	CHECK(ok == (void *)1);
	CHECK_STR(rbd_err_msg(), "no incident 7");
	rbd_err_clear();
	CHECK_STR(rbd_err_msg(), "");
	memset(long_arg, 'm', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	rbd_err_set(RBD_EINVAL, "%s", long_arg);   /* truncated, still terminated */
	CHECK(strlen(rbd_err_msg()) > 100 && strlen(rbd_err_msg()) < sizeof(long_arg) - 1);
}

/* ---- the capped file reader ---- */

static void test_buf__read_file_capped(void)
{
	char dir[] = "/tmp/rbd-test-buf.XXXXXX", path[64], fifo[64];
	struct rbd_buf b = RBD_BUF_INIT(8);
	struct rbd_read_info info;
	int fd;

	REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(fifo, sizeof(fifo), "%s/p", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	REQUIRE(fd >= 0);
	CHECK_INT(write(fd, "12345678", 8), 8);
	close(fd);
	CHECK_INT(rbd_buf_read_file(&b, path, true, &info), 0);
	CHECK_INT(info.fail, RBD_READ_OK);
	CHECK(S_ISREG(info.mode) && !(info.mode & S_IROTH));
	CHECK_STR(rbd_buf_cstr(&b), "12345678");
	rbd_buf_free(&b);
	/* One byte over the cap: refused, the buffer freed. */
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK_INT(write(fd, "9", 1), 1);
	close(fd);
	rbd_buf_init(&b, 8);
	CHECK_INT(rbd_buf_read_file(&b, path, true, &info), RBD_ETOOBIG);
	CHECK_INT(info.fail, RBD_READ_TOO_BIG);
	CHECK(b.data == NULL && b.len == 0);
	rbd_buf_init(&b, 8);
	CHECK_INT(rbd_buf_read_file(&b, dir, true, &info), RBD_EINVAL);
	CHECK_INT(info.fail, RBD_READ_NOT_REGULAR);
	REQUIRE(mkfifo(fifo, 0600) == 0);
	/* No writer ever opens it: refused without blocking. */
	CHECK_INT(rbd_buf_read_file(&b, fifo, true, &info), RBD_EINVAL);
	CHECK_INT(info.fail, RBD_READ_NOT_REGULAR);
	unlink(fifo);
	CHECK_INT(rbd_buf_read_file(&b, fifo, true, &info), RBD_EINVAL);
	CHECK_INT(info.fail, RBD_READ_OPEN);
	CHECK(info.err != 0);
	unlink(path);
	rmdir(dir);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_buf__append_within_and_at_cap),
	RBD_TEST(test_buf__over_cap_leaves_buffer_unchanged),
	RBD_TEST(test_buf__refused_printf_does_not_write),
	RBD_TEST(test_buf__default_cap_and_huge_sizes),
	RBD_TEST(test_buf__printf_growth),
	RBD_TEST(test_buf__binary_and_nul_termination),
	RBD_TEST(test_buf__steal_and_reset),
	RBD_TEST(test_buf__strdup_helpers),
	RBD_TEST(test_buf__labels_set_get_sorted),
	RBD_TEST(test_buf__labels_replace_and_copies),
	RBD_TEST(test_buf__labels_sort_detects_duplicates),
	RBD_TEST(test_buf__labels_copy_is_deep),
	RBD_TEST(test_buf__err_names_and_statuses),
	RBD_TEST(test_buf__err_messages_thread_local),
	RBD_TEST(test_buf__read_file_capped),
};

RBD_TEST_MAIN(cases)
