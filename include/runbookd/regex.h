/*
 * regex: PCRE2 behind a small API. Patterns are fully anchored as in Alertmanager
 * (^(?:re)$), UTF-8, with a match limit so that no pattern can burn the CPU.
 * A compiled regex is immutable and may be shared between threads.
 */
#ifndef RUNBOOKD_REGEX_H
#define RUNBOOKD_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct rbd_regex;

/* Compiles pattern anchored; RBD_EINVAL with PCRE2's message and offset on error. */
int rbd_regex_compile(struct rbd_regex **out, const char *pattern);
/* 1 on a full match, 0 on none, RBD_EINVAL (message set) when it cannot be decided:
 * a match/depth/heap limit was hit or the subject is not valid UTF-8. Callers treat
 * that as "no match", and a negated test must not turn it into a match. */
int rbd_regex_match(const struct rbd_regex *re, const char *subject, size_t len);
/* The pattern as written (not anchored). Borrowed. */
const char *rbd_regex_source(const struct rbd_regex *re);
void rbd_regex_free(struct rbd_regex *re);

#endif
