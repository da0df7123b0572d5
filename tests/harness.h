/*
 * A tiny test harness. A test program lists its cases in a table and calls
 * RBD_TEST_MAIN(cases). Each case is `static void test_<module>__<case>(void)`.
 * CHECK records a failure and continues; REQUIRE stops the case.
 */
#ifndef RBD_TEST_HARNESS_H
#define RBD_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rbd_test_case {
	const char *name;
	void (*fn)(void);
};

static int rbd_test_failures;
static int rbd_test_case_failed;

#define RBD_TEST(fn) { #fn, fn }

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		rbd_test_case_failed = 1; \
	} } while (0)

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); \
		rbd_test_case_failed = 1; \
		return; \
	} } while (0)

#define CHECK_INT(a, b) do { \
	long long rbd_a_ = (long long)(a), rbd_b_ = (long long)(b); \
	if (rbd_a_ != rbd_b_) { \
		fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
			#a, rbd_a_, #b, rbd_b_); \
		rbd_test_case_failed = 1; \
	} } while (0)

#define CHECK_STR(a, b) do { \
	const char *rbd_a_ = (a), *rbd_b_ = (b); \
	if (!rbd_a_ || !rbd_b_ || strcmp(rbd_a_, rbd_b_) != 0) { \
		fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
			#a, rbd_a_ ? rbd_a_ : "(null)", rbd_b_ ? rbd_b_ : "(null)"); \
		rbd_test_case_failed = 1; \
	} } while (0)

static inline int rbd_test_run(const struct rbd_test_case *cases, size_t n, int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(cases[i].name, argv[1]))
			continue;
		rbd_test_case_failed = 0;
		cases[i].fn();
		if (rbd_test_case_failed) {
			fprintf(stderr, "FAIL %s\n", cases[i].name);
			failed++;
		} else {
			fprintf(stderr, "ok   %s\n", cases[i].name);
			passed++;
		}
	}
	rbd_test_failures = failed;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define RBD_TEST_MAIN(cases) \
	int main(int argc, char **argv) \
	{ return rbd_test_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv); }

/* Reads a whole file into a NUL-terminated heap buffer; NULL on failure. */
static inline char *rbd_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			data = realloc(data, cap);
		}
		size_t r = fread(data + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

/* Path of a file under tests/fixtures (RBD_TESTS is set by ctest). */
static inline const char *rbd_test_fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("RBD_TESTS");

	if ((size_t)snprintf(path, sizeof(path), "%s/fixtures/%s", dir ? dir : "tests", name) >=
	    sizeof(path))
		path[0] = '\0';
	return path;
}

#endif
