/* test_nameset: names to positions: add, a repeated add refused with the first
 * position, find, growth past many doublings, NULL handling. */
#include "harness.h"

#include "runbookd/nameset.h"

#include <stdio.h>

static void test_nameset__add_find_duplicate(void)
{
	struct rbd_nameset *ns = NULL;
	size_t pos = 99, prev = 99;

	REQUIRE(rbd_nameset_new(&ns) == 0);
	CHECK(rbd_nameset_add(ns, "a", 0, NULL));
	CHECK(rbd_nameset_add(ns, "b", 1, NULL));
	CHECK(!rbd_nameset_add(ns, "a", 2, &prev));
	CHECK_INT(prev, 0);
	CHECK(rbd_nameset_find(ns, "b", &pos));
	CHECK_INT(pos, 1);
	CHECK(rbd_nameset_find(ns, "a", &pos));
	CHECK_INT(pos, 0);
	CHECK(!rbd_nameset_find(ns, "c", &pos));
	CHECK(!rbd_nameset_find(ns, "", &pos));
	CHECK(!rbd_nameset_find(NULL, "a", &pos));
	CHECK_INT(rbd_nameset_count(ns), 2);
	rbd_nameset_free(ns);
	rbd_nameset_free(NULL);
}

static void test_nameset__grows(void)
{
	static char names[50000][16];
	struct rbd_nameset *ns = NULL;
	size_t pos;

	REQUIRE(rbd_nameset_new(&ns) == 0);
	for (size_t i = 0; i < 50000; i++) {
		snprintf(names[i], sizeof(names[i]), "n%zu", i);
		CHECK(rbd_nameset_add(ns, names[i], i, NULL));
	}
	CHECK_INT(rbd_nameset_count(ns), 50000);
	for (size_t i = 0; i < 50000; i += 7) {
		pos = 0;
		CHECK(rbd_nameset_find(ns, names[i], &pos));
		CHECK_INT(pos, i);
	}
	/* a comparison only on a full 64-bit hash match: about one per find */
	CHECK(rbd_nameset_compares(ns) <= 50000 / 7 + 2);
	rbd_nameset_free(ns);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_nameset__add_find_duplicate),
	RBD_TEST(test_nameset__grows),
};

RBD_TEST_MAIN(cases)
