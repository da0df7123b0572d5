/*
 * regex: the only user of PCRE2. Every pattern is compiled fully anchored (the
 * match must span the whole subject, as Alertmanager's ^(?:re)$) in UTF mode, and
 * every match runs under match, depth and heap limits so that a hostile pattern or
 * subject cannot burn the CPU. A compiled regex is immutable after compile and is
 * shared between threads; match data is per call. Never matches unanchored, never
 * matches without limits, never skips the UTF-8 check of a subject.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "runbookd/regex.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Backtracking budget per match: generous for label-sized subjects, small enough
 * that catastrophic patterns like (a+)+$ give up in well under a millisecond. */
#define RBD_REGEX_MATCH_LIMIT 100000u
#define RBD_REGEX_DEPTH_LIMIT 10000u
#define RBD_REGEX_HEAP_LIMIT_KIB 8192u

struct rbd_regex {
	char *source;
	pcre2_code *code;
	pcre2_match_context *mctx;
};

/*
 * Compiles pattern with PCRE2_ANCHORED | PCRE2_ENDANCHORED rather than by wrapping it
 * in ^(?:...)$: same meaning, but error offsets refer to the pattern as written and a
 * pattern such as `a)|(b` cannot close the wrapper and escape the anchors.
 * DOLLAR_ENDONLY gives `$` Go's meaning (end of text, not before a final newline).
 * Returns 0 and a new regex in *out (rbd_regex_free), or RBD_EINVAL with PCRE2's
 * message and the offset in the pattern.
 */
int rbd_regex_compile(struct rbd_regex **out, const char *pattern)
{
	struct rbd_regex *re = NULL;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off = 0;
	int errcode = 0;
	uint32_t opts = PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY |
			PCRE2_NEVER_BACKSLASH_C;
	pcre2_compile_context *cctx;
	pcre2_code *code;

	*out = NULL;
	if (!pattern)
		return rbd_err_set(RBD_EINVAL, "bad regex: no pattern");
	cctx = pcre2_compile_context_create(NULL);
	if (!cctx)
		abort();
	/* Go's newline is \n only: `.` must match \r whatever PCRE2's build default is */
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &errcode, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (!code) {
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			msg[0] = '\0';
		return rbd_err_set(RBD_EINVAL, "bad regex: %s at offset %zu", (const char *)msg,
				   (size_t)off);
	}
	/* JIT is an optimisation only: without it (no JIT support, no executable
	 * memory) the interpreter gives the same answers. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);

	re = rbd_calloc(1, sizeof(*re));
	re->code = code;
	re->source = rbd_strdup(pattern);
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->mctx)
		abort();
	pcre2_set_match_limit(re->mctx, RBD_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, RBD_REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, RBD_REGEX_HEAP_LIMIT_KIB);
	*out = re;
	return 0;
}

/*
 * Returns 1 when re matches the whole of subject[0..len), 0 when it does not, and
 * RBD_EINVAL (message set) when the match could not be decided: a limit was hit or
 * the subject is not valid UTF-8. Callers treat that as "no match", and a negated
 * matcher must not turn it into a match.
 */
int rbd_regex_match(const struct rbd_regex *re, const char *subject, size_t len)
{
	pcre2_match_data *md;
	PCRE2_UCHAR msg[128];
	int rc;

	if (!subject) {
		subject = "";
		len = 0;
	}
	md = pcre2_match_data_create(1, NULL);
	if (!md)
		abort();
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, re->mctx);
	/* The JIT stack is small and fixed; the interpreter keeps its frames on the
	 * heap under the heap limit, so it can finish what JIT could not. */
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, PCRE2_NO_JIT, md, re->mctx);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		msg[0] = '\0';
	return rbd_err_set(RBD_EINVAL, "regex `%.64s`: %s", re->source, (const char *)msg);
}

const char *rbd_regex_source(const struct rbd_regex *re)
{
	return re->source;
}

void rbd_regex_free(struct rbd_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re->source);
	free(re);
}
