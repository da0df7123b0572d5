/*
 * matcher: Alertmanager label matchers: `name = "value"`, `!=`, `=~`, `!~`.
 * Values may be quoted ("a\"b", "\\", "\n") or bare; regexes are fully anchored;
 * a missing label matches as "". Pure: no I/O.
 */
#ifndef RUNBOOKD_MATCHER_H
#define RUNBOOKD_MATCHER_H

#include <stdbool.h>

#include "runbookd/labels.h"

enum rbd_match_op { RBD_MATCH_EQ, RBD_MATCH_NE, RBD_MATCH_RE, RBD_MATCH_NRE };

struct rbd_matcher;

/* Parses one matcher (label names [a-zA-Z_][a-zA-Z0-9_]*). RBD_EINVAL with a message
 * "matcher `TEXT`: what is wrong" on bad syntax, invalid UTF-8 or a bad regex. */
int rbd_matcher_parse(struct rbd_matcher **out, const char *text);
/* A missing label (or labels NULL) matches as "". A regex that cannot be decided
 * (limit hit, invalid UTF-8 value) holds for neither =~ nor !~ (fail closed). */
bool rbd_matcher_matches(const struct rbd_matcher *m, const struct rbd_labelset *labels);
const char *rbd_matcher_name(const struct rbd_matcher *m);
enum rbd_match_op rbd_matcher_op(const struct rbd_matcher *m);
/* The unquoted value (the regex source for =~ and !~). Borrowed. */
const char *rbd_matcher_value(const struct rbd_matcher *m);
/* Canonical text form: name="value" with the op, e.g. `severity=~"warning|critical"`,
 * the value quoted like Go's %q (as Alertmanager's Matcher.String()). Borrowed. */
const char *rbd_matcher_string(const struct rbd_matcher *m);
void rbd_matcher_free(struct rbd_matcher *m);

#endif
