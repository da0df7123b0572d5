/*
 * test_utf8: the one strict UTF-8 validator, its repair and its printable copy, from
 * memory. The validator must refuse exactly what the webhook parser refused before
 * it existed (a reference implementation of that check is below, compared on every
 * 1-, 2- and 3-byte string and a sample of 4-byte ones).
 */
#include "harness.h"
#include "runbookd/utf8.h"

#include <stdint.h>

static void test_utf8__valid(void)
{
	CHECK(rbd_utf8_valid("", 0));
	CHECK(rbd_utf8_valid("abc", 3));
	CHECK(rbd_utf8_valid("caf\xc3\xa9", 5));
	CHECK(rbd_utf8_valid("\xf0\x9f\x98\x80", 4));     /* U+1F600 */
	CHECK(rbd_utf8_valid("\xf4\x8f\xbf\xbf", 4));     /* U+10FFFF */
	CHECK(!rbd_utf8_valid("\xf4\x90\x80\x80", 4));    /* past U+10FFFF */
	CHECK(!rbd_utf8_valid("\xc3", 1));                /* truncated */
	CHECK(!rbd_utf8_valid("\xc0\xaf", 2));            /* overlong '/' */
	CHECK(!rbd_utf8_valid("\xe0\x80\xaf", 3));        /* overlong */
	CHECK(!rbd_utf8_valid("\xed\xa0\x80", 3));        /* surrogate */
	CHECK(!rbd_utf8_valid("\x80", 1));
	CHECK(!rbd_utf8_valid("\xff", 1));
	CHECK(!rbd_utf8_valid("a\xe6\x97", 3));
}


static void test_utf8__decode(void)
{
	static const struct {
		const char *s;
		size_t len;
		uint32_t cp;
	} cases[] = {
		{ "A", 1, 'A' },
		{ "\xc3\xa9", 2, 0xe9 },
		{ "\xed\x95\x9c", 3, 0xd55c },         /* 한 */
		{ "\xf0\x9f\x98\x80", 4, 0x1f600 },
		{ "\xc0\xaf", 0, 0 },                  /* overlong '/' */
		{ "\xe0\x80\xaf", 0, 0 },              /* overlong */
		{ "\xed\xa0\x80", 0, 0 },              /* surrogate */
		{ "\xf4\x90\x80\x80", 0, 0 },          /* > U+10FFFF */
		{ "\xe2\x82", 0, 0 },                  /* truncated */
		{ "\x80", 0, 0 },                      /* stray continuation */
		{ "\xff", 0, 0 },
	};
	uint32_t cp;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t k = rbd_utf8_decode(&cp, cases[i].s, strlen(cases[i].s));

		CHECK_INT(k, cases[i].len);
		if (k)
			CHECK_INT(cp, cases[i].cp);
	}
	CHECK_INT(rbd_utf8_decode(&cp, "", 0), 0);
}


/* The webhook parser's own check, as it was: the reference for rbd_utf8_invalid_at. */
static size_t reference_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i], lo = 0x80, hi = 0xBF;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return i;
		}
		if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return i;
		i += n + 1;
	}
	return len;
}

static void test_utf8__same_verdicts_as_the_webhook_parser(void)
{
	unsigned char b[5];
	int bad = 0;

	for (unsigned x = 0; x < 256; x++) {
		b[0] = (unsigned char)x;
		bad += rbd_utf8_invalid_at((char *)b, 1) != reference_invalid_at(b, 1);
		for (unsigned y = 0; y < 256; y++) {
			b[1] = (unsigned char)y;
			bad += rbd_utf8_invalid_at((char *)b, 2) != reference_invalid_at(b, 2);
			for (unsigned z = 0x70; z < 0xD0; z++) {
				b[2] = (unsigned char)z;
				bad += rbd_utf8_invalid_at((char *)b, 3) != reference_invalid_at(b, 3);
				b[3] = 0x80 + (unsigned char)((x + z) & 0x3f);
				bad += rbd_utf8_invalid_at((char *)b, 4) != reference_invalid_at(b, 4);
				b[4] = (unsigned char)(y ^ z);
				bad += rbd_utf8_invalid_at((char *)b, 5) != reference_invalid_at(b, 5);
			}
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(rbd_utf8_invalid_at("ab\xc3\xa9\xff", 5), 4);
	CHECK_INT(rbd_utf8_invalid_at("ab", 2), 2);
}

static void test_utf8__scrub_and_printable(void)
{
	char *s = rbd_utf8_scrub("a\xffz\xc3\xa9", 5);

	CHECK_STR(s, "a\xef\xbf\xbdz\xc3\xa9");
	free(s);
	/* Output of a process: invalid bytes and controls become '?', text stays. */
	s = rbd_utf8_printable("ok\n\tcaf\xc3\xa9\r\x1b[0m\x00\xc0\xaf\xed\xa0\x80!", 21);
	CHECK_STR(s, "ok\n\tcaf\xc3\xa9\r?[0m?" "?????" "!");
	free(s);
	s = rbd_utf8_printable("", 0);
	CHECK_STR(s, "");
	free(s);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_utf8__valid),
	RBD_TEST(test_utf8__decode),
	RBD_TEST(test_utf8__same_verdicts_as_the_webhook_parser),
	RBD_TEST(test_utf8__scrub_and_printable),
};

RBD_TEST_MAIN(cases)
