/*
 * markdown: escaping for the Markdown report. A stored value (a label, a note, a
 * command, a process's output) must never change the structure of the report: it
 * may not close a table row, start a Markdown block, open an HTML tag or move the
 * terminal cursor. Everything from outside goes through here.
 */
#include "markdown.h"
#include "runbookd/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char ELLIPSIS[] = "\xe2\x80\xa6";    /* U+2026 */
static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Code points that must not reach a reader as they are: C0 and C1 controls (cursor
 * movement, terminal escapes) and bidirectional overrides (text that reads
 * differently from what it is). Line breaks and tabs are handled by the callers.
 */
bool rbd_md_hidden(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/*
 * Decodes one code point of s[i..n) for display: *len bytes are consumed; *disp and
 * *dlen are what to show (the source bytes, a space for a line break or tab when
 * keep_lines is false, U+FFFD for ill-formed or hidden ones).
 */
static void disp_next(const char *s, size_t n, size_t i, bool keep_lines, size_t *len,
		      const char **disp, size_t *dlen)
{
	uint32_t cp;
	size_t k = rbd_utf8_decode(&cp, s + i, n - i);

	if (!k) {
		*len = 1;
		*disp = REPLACEMENT;
		*dlen = 3;
		return;
	}
	*len = k;
	*disp = s + i;
	*dlen = k;
	if (cp == '\n' || cp == '\t' || cp == '\r') {
		if (!keep_lines)
			*disp = " ";
		return;
	}
	if (rbd_md_hidden(cp)) {
		*disp = REPLACEMENT;
		*dlen = 3;
	}
}

/*
 * Inline text, safe in a paragraph, a list item and a table cell, that cmark and GFM
 * render as exactly these characters: Markdown punctuation is backslash-escaped,
 * '<' '>' and entity-looking '&' become entities, line breaks become spaces. At most
 * max source bytes are shown, then an ellipsis.
 */
void rbd_md_text(struct out *o, const char *s, size_t max, unsigned flags)
{
	size_t n = s ? strlen(s) : 0, used = 0, digits = 0;

	/* "# x", "- x", "+ x", "1. x" at the start of a list item would open a heading
	 * or a nested list: escape the marker ('*' and '>' are escaped anyway). */
	if (flags & RBD_MD_LINE_START) {
		while (digits < n && digits < 9 && s[digits] >= '0' && s[digits] <= '9')
			digits++;
		if (digits && digits < n && (s[digits] == '.' || s[digits] == ')')) {
			put_n(o, s, digits);
			put(o, "\\");
			s += digits;
			n -= digits;
			max = max > digits ? max - digits : 0;
		} else if (n && (s[0] == '#' || s[0] == '-' || s[0] == '+')) {
			put(o, "\\");
		}
	}

	for (size_t i = 0; i < n && !o->err;) {
		const char *d;
		size_t len, dlen;
		char c;

		disp_next(s, n, i, false, &len, &d, &dlen);
		if (used + dlen > max) {
			put(o, ELLIPSIS);
			return;
		}
		used += dlen;
		c = dlen == 1 ? d[0] : 0;
		switch (c) {
		case '\\': case '`': case '*': case '[': case ']': case '|': case '~':
			put(o, "\\");
			put_n(o, &c, 1);
			break;
		case '_':
			/* an underscore inside a word never delimits emphasis: keep it plain */
			if (i > 0 && i + 1 < n && is_alnum(s[i - 1]) && is_alnum(s[i + 1]))
				put(o, "_");
			else
				put(o, "\\_");
			break;
		case '#':
			put(o, (flags & RBD_MD_HEADING) ? "\\#" : "#");
			break;
		case '<':
			put(o, "&lt;");
			break;
		case '>':
			put(o, "&gt;");
			break;
		case '&':
			put(o, i + 1 < n && (is_alpha(s[i + 1]) || s[i + 1] == '#') ? "&amp;" : "&");
			break;
		default:
			put_n(o, d, dlen);
			break;
		}
		i += len;
	}
}

/* s[0..n) made displayable (see disp_next) into b, cut at max bytes with an ellipsis. */
void rbd_md_clean(struct rbd_buf *b, const char *s, size_t max, bool keep_lines)
{
	size_t n = s ? strlen(s) : 0, used = 0;

	for (size_t i = 0; i < n;) {
		const char *d;
		size_t len, dlen;

		disp_next(s, n, i, keep_lines, &len, &d, &dlen);
		if (used + dlen > max) {
			rbd_buf_puts(b, ELLIPSIS);
			return;
		}
		if (keep_lines && d[0] == '\r') {
			/* CRLF -> LF, a lone CR -> LF */
			if (!(i + 1 < n && s[i + 1] == '\n'))
				rbd_buf_putc(b, '\n');
		} else {
			rbd_buf_append(b, d, dlen);
		}
		used += dlen;
		i += len;
	}
}

static size_t longest_run(const char *s, char c)
{
	size_t best = 0, run = 0;

	for (; *s; s++) {
		run = *s == c ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static void put_repeat(struct out *o, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_n(o, &c, 1);
}

/*
 * An inline code span: shown verbatim (no escapes are interpreted inside), delimited
 * by one backtick more than the longest run inside, padded when the content starts
 * or ends with a backtick or a space. Not for table cells, where '|' would split it.
 */
void rbd_md_code(struct out *o, const char *s, size_t max)
{
	struct rbd_buf b = RBD_BUF_INIT(max + 16);
	const char *c;
	size_t fence, n;
	bool pad;

	rbd_md_clean(&b, s, max, false);
	c = rbd_buf_cstr(&b);
	n = strlen(c);
	fence = longest_run(c, '`') + 1;
	pad = n == 0 || c[0] == '`' || c[0] == ' ' || c[n - 1] == '`' || c[n - 1] == ' ';
	put_repeat(o, '`', fence);
	if (pad)
		put(o, " ");
	put(o, c);
	if (pad)
		put(o, " ");
	put_repeat(o, '`', fence);
	rbd_buf_free(&b);
}

/* A fenced code block, each line prefixed by indent (to sit inside a list item). */
void rbd_md_code_block(struct out *o, const char *indent, const char *s, size_t max)
{
	struct rbd_buf b = RBD_BUF_INIT(max + 16);
	char *c, *line;
	size_t fence;

	rbd_md_clean(&b, s, max, true);
	c = b.data ? b.data : "";
	while (b.len && c[b.len - 1] == '\n')
		c[--b.len] = '\0';
	fence = longest_run(c, '`') + 1;
	if (fence < 3)
		fence = 3;
	put(o, indent);
	put_repeat(o, '`', fence);
	put(o, "\n");
	for (line = c; line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		put(o, indent);
		put_n(o, line, len);
		put(o, "\n");
		line = nl ? nl + 1 : NULL;
	}
	put(o, indent);
	put_repeat(o, '`', fence);
	put(o, "\n");
	rbd_buf_free(&b);
}

/*
 * Text that keeps its line breaks, as typed: each line is inline text (rbd_md_text, a
 * line-start marker escaped so that no line opens a block), lines joined by a hard
 * break and indent (the list item's content column). Leading blanks are dropped (they
 * would make an indented code block) and so are empty lines. At most max bytes.
 */
void rbd_md_lines(struct out *o, const char *indent, const char *s, size_t max)
{
	struct rbd_buf b = RBD_BUF_INIT(max + 16);
	const char *c;
	bool first = true;

	rbd_md_clean(&b, s, max, true);
	c = b.data ? b.data : "";
	while (*c) {
		const char *nl = strchr(c, '\n');
		size_t len = nl ? (size_t)(nl - c) : strlen(c);
		char *line;

		while (len && (*c == ' ' || *c == '\t')) {
			c++;
			len--;
		}
		while (len && (c[len - 1] == ' ' || c[len - 1] == '\t'))
			len--;
		if (len) {
			if (!first) {
				put(o, "  \n");
				put(o, indent);
			}
			first = false;
			line = rbd_strndup(c, len);
			/* "===" under a line would make it a heading (setext) */
			if (line[0] == '=')
				put(o, "\\");
			rbd_md_text(o, line, len + 8, RBD_MD_LINE_START);
			free(line);
		}
		c = nl ? nl + 1 : c + len;
	}
	rbd_buf_free(&b);
}

/* An http(s) URL as an autolink when it has only characters that cannot end one or
 * break the line; otherwise as a code span (shown, not linked). At most max_code bytes. */
void rbd_md_url(struct out *o, const char *url, size_t max_code)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789-._~:/?#[]@!$&'()*+,;=%";
	size_t n = url ? strlen(url) : 0;

	if (n && n <= max_code && strspn(url, ok) == n &&
	    (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)) {
		put(o, "<");
		put(o, url);
		put(o, ">");
	} else {
		rbd_md_code(o, url ? url : "", max_code);
	}
}
