/*
 * html: building HTML pages safely. Every value that did not come from this source
 * tree (labels, annotations, names, comments, command lines) goes through the %s of
 * rbd_html_put, which escapes it; a page never contains a raw value from outside.
 * Also: which link targets may become an href. Pure.
 */
#ifndef RUNBOOKD_HTML_H
#define RUNBOOKD_HTML_H

#include <stdbool.h>
#include <stdint.h>

#include "runbookd/buf.h"

/*
 * Appends s HTML-escaped (& < > " ' as character references; usable in text and in
 * quoted attribute values). Ill-formed UTF-8 is replaced by U+FFFD, and control
 * characters other than tab and newline become U+FFFD too. NULL appends nothing.
 * RBD_ETOOBIG when the buffer's cap is reached.
 */
int rbd_html_escape(struct rbd_buf *b, const char *s);

/*
 * Appends fmt with its conversions:
 *   %s  a string, escaped (rbd_html_escape), NULL as ""
 *   %r  a string of markup from this source tree, raw (never a value from outside)
 *   %d  an int, %L an int64_t, %%  a '%'
 * Anything else after '%' is a programmer error (asserted). 0 or RBD_ETOOBIG.
 */
int rbd_html_put(struct rbd_buf *b, const char *fmt, ...);

/* true when url may be an href: an absolute http:// or https:// URL (scheme compared
 * without case) with a non-empty host, no whitespace or control characters. */
bool rbd_html_url_ok(const char *url);

/* Appends ms as "2026-11-25 07:55:47 UTC" (0: "-"). */
int rbd_html_time(struct rbd_buf *b, int64_t ms);
/* Appends how long ago ms was, relative to now_ms: "42s", "5m", "3h 2m", "2d 4h". */
int rbd_html_age(struct rbd_buf *b, int64_t ms, int64_t now_ms);

#endif
