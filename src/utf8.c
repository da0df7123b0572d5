/*
 * utf8: strict UTF-8 decoding, validation and repair, in one place.
 */
#include "runbookd/utf8.h"
#include "runbookd/buf.h"

#include <string.h>

size_t rbd_utf8_decode(uint32_t *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp, min;
	size_t len;

	if (n == 0)
		return 0;
	if (u[0] < 0x80) {
		*out = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2;
		cp = u[0] & 0x1f;
		min = 0x80;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		len = 3;
		cp = u[0] & 0x0f;
		min = 0x800;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4;
		cp = u[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;       /* continuation byte, C0/C1 overlong lead, or F5..FF */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*out = cp;
	return len;
}

size_t rbd_utf8_invalid_at(const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		size_t k;

		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		k = rbd_utf8_decode(&cp, s + i, n - i);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

bool rbd_utf8_valid(const char *s, size_t n)
{
	return rbd_utf8_invalid_at(s, n) == n;
}

char *rbd_utf8_scrub(const char *s, size_t n)
{
	/* each bad byte grows to 3 bytes at most */
	char *d = rbd_calloc(1, n * 3 + 1);
	size_t j = 0;
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		size_t k = rbd_utf8_decode(&cp, s + i, n - i);

		if (k) {
			memcpy(d + j, s + i, k);
			j += k;
			i += k;
		} else {
			memcpy(d + j, "\xef\xbf\xbd", 3);
			j += 3;
			i++;
		}
	}
	d[j] = '\0';
	return d;
}

char *rbd_utf8_printable(const char *s, size_t n)
{
	char *d = rbd_calloc(n + 1, 1);
	size_t j = 0;
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		size_t k = rbd_utf8_decode(&cp, s + i, n - i);

		if (!k || (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r')) {
			d[j++] = '?';
			i++;
			continue;
		}
		memcpy(d + j, s + i, k);
		j += k;
		i += k;
	}
	d[j] = '\0';
	return d;
}
