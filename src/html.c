/*
 * html: escaping and small builders for the console's pages. Must never append a
 * value from outside unescaped, nor turn an unchecked URL into a link.
 */
#include "runbookd/html.h"
#include "runbookd/err.h"
#include "runbookd/model.h"
#include "runbookd/utf8.h"
#include "runbookd/timeutil.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

int rbd_html_escape(struct rbd_buf *b, const char *s)
{
	size_t n, i = 0, run = 0;
	int rc = 0;

	if (!s)
		return 0;
	n = strlen(s);
	while (i < n && !rc) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len = rbd_utf8_decode(&cp, s + i, n - i);
		const char *e = entity(c);
		bool bad = len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') ||
			   (cp >= 0x7f && cp < 0xa0);

		if (!e && !bad) {
			i += len;
			run += len;
			continue;
		}
		/* Flush the plain run before the byte that needs a replacement. */
		rc = rbd_buf_append(b, s + i - run, run);
		run = 0;
		if (!rc)
			rc = rbd_buf_puts(b, e ? e : "\xEF\xBF\xBD");
		i += len ? len : 1;
	}
	if (!rc && run)
		rc = rbd_buf_append(b, s + i - run, run);
	return rc;
}

int rbd_html_put(struct rbd_buf *b, const char *fmt, ...)
{
	va_list ap;
	const char *p = fmt;
	int rc = 0;

	va_start(ap, fmt);
	while (*p && !rc) {
		const char *pct = strchr(p, '%');
		char num[32];

		if (!pct) {
			rc = rbd_buf_puts(b, p);
			break;
		}
		rc = rbd_buf_append(b, p, (size_t)(pct - p));
		if (rc)
			break;
		switch (pct[1]) {
		case 's':
			rc = rbd_html_escape(b, va_arg(ap, const char *));
			break;
		case 'r': {
			const char *raw = va_arg(ap, const char *);

			rc = raw ? rbd_buf_puts(b, raw) : 0;
			break;
		}
		case 'd':
			snprintf(num, sizeof(num), "%d", va_arg(ap, int));
			rc = rbd_buf_puts(b, num);
			break;
		case 'L':
			snprintf(num, sizeof(num), "%lld", (long long)va_arg(ap, int64_t));
			rc = rbd_buf_puts(b, num);
			break;
		case '%':
			rc = rbd_buf_putc(b, '%');
			break;
		default:
			assert(!"unknown rbd_html_put conversion");
			rc = rbd_err_set(RBD_EINVAL, "bad html format");
		}
		p = pct + 2;
	}
	va_end(ap);
	return rc;
}

bool rbd_html_url_ok(const char *url)
{
	size_t skip;

	if (!url)
		return false;
	if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	if (url[skip] == '\0' || strchr("/?#", url[skip]))
		return false;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

int rbd_html_time(struct rbd_buf *b, int64_t ms)
{
	char t[RBD_TIME_BUFSZ];

	if (ms <= 0)
		return rbd_buf_puts(b, "-");
	rbd_time_format_ms(t, ms);
	/* "2026-11-25T07:55:47.033Z" -> "2026-11-25 07:55:47 UTC" */
	if (strlen(t) >= 19) {
		t[10] = ' ';
		t[19] = '\0';
		return rbd_buf_printf(b, "%s UTC", t);
	}
	return rbd_buf_puts(b, t);
}

int rbd_html_age(struct rbd_buf *b, int64_t ms, int64_t now_ms)
{
	int64_t s = (now_ms - ms) / 1000;

	if (ms <= 0)
		return rbd_buf_puts(b, "-");
	if (s < 0)
		s = 0;
	if (s < 60)
		return rbd_buf_printf(b, "%llds", (long long)s);
	if (s < 3600)
		return rbd_buf_printf(b, "%lldm", (long long)(s / 60));
	if (s < 86400)
		return rbd_buf_printf(b, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	return rbd_buf_printf(b, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}
