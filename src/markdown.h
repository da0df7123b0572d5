/*
 * markdown: the Markdown report's escaping (markdown.c), private to the export
 * module. Everything a stored value becomes in the report passes through one of
 * these.
 */
#ifndef RUNBOOKD_MARKDOWN_H
#define RUNBOOKD_MARKDOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export_internal.h"

enum {
	RBD_MD_HEADING = 1,     /* also escape '#', which could close an ATX heading */
	RBD_MD_LINE_START = 2,  /* the value opens a list item: it must not open a block */
};

/*
 * Code points that must not reach a reader as they are: C0 and C1 controls (cursor
 * movement, terminal escapes) and bidirectional overrides.
 */
bool rbd_md_hidden(uint32_t cp);
/*
 * Inline text, safe in a paragraph, a list item and a table cell: Markdown
 * punctuation backslash-escaped, '<' '>' and entity-looking '&' as entities, line
 * breaks as spaces; at most max source bytes, then an ellipsis. flags: RBD_MD_*.
 */
void rbd_md_text(struct out *o, const char *s, size_t max, unsigned flags);
/* s made displayable (ill-formed and hidden code points as U+FFFD; line breaks and
 * tabs as spaces unless keep_lines) into b, cut at max bytes with an ellipsis. */
void rbd_md_clean(struct rbd_buf *b, const char *s, size_t max, bool keep_lines);
/* An inline code span, verbatim, with a fence longer than any backtick run inside.
 * Not for table cells. */
void rbd_md_code(struct out *o, const char *s, size_t max);
/* A fenced code block, each line prefixed by indent (to sit inside a list item). */
void rbd_md_code_block(struct out *o, const char *indent, const char *s, size_t max);
/* Text that keeps its line breaks (a multi-line note): each line inline text that
 * opens no block, lines joined by a hard break and indent (the list item's content
 * column); leading blanks and empty lines dropped. At most max bytes. */
void rbd_md_lines(struct out *o, const char *indent, const char *s, size_t max);
/* An http(s) URL as an autolink when every character is safe in one, else a code span. */
void rbd_md_url(struct out *o, const char *url, size_t max_code);

#endif
