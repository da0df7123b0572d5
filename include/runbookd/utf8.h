/*
 * utf8: the one UTF-8 validator. Strict: no overlong forms, no UTF-16 surrogates,
 * nothing above U+10FFFF, no stray or truncated bytes (what PCRE2 and the webhook
 * parser require). Everything that checks, repairs or walks UTF-8 goes through here.
 */
#ifndef RUNBOOKD_UTF8_H
#define RUNBOOKD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length (1-4) of the well-formed UTF-8 sequence at s[0..n) with its code point in
 * *out; 0 when there is none (n == 0, stray or truncated byte, overlong form,
 * surrogate, above U+10FFFF).
 */
size_t rbd_utf8_decode(uint32_t *out, const char *s, size_t n);
/* Offset of the first byte of s[0..n) that is not part of well-formed UTF-8; n when
 * all of it is. */
size_t rbd_utf8_invalid_at(const char *s, size_t n);
/* True when s[0..n) is well-formed UTF-8. */
bool rbd_utf8_valid(const char *s, size_t n);
/* A copy of s[0..n) with each ill-formed byte replaced by U+FFFD; the caller frees. */
char *rbd_utf8_scrub(const char *s, size_t n);
/* A copy of s[0..n) for text that goes into JSON and reports (a process's output):
 * each ill-formed byte and each control character but \n, \t and \r becomes '?'. */
char *rbd_utf8_printable(const char *s, size_t n);

#endif
