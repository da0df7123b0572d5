/*
 * report: the Markdown post-incident report. It follows the runbook's communication
 * template (symptom, impact, actions, follow-ups), then the full timeline, in English
 * or with the runbook's Korean headings. The API and the CLI serve these same bytes.
 *
 * It must never let a stored value change the structure of its output: a label may
 * not close a table row, start a Markdown block, open an HTML tag or move the terminal
 * cursor; everything from outside is escaped or replaced here. It must never read the
 * clock or anything else that makes two exports of the same records differ.
 */
#include "export_internal.h"
#include "markdown.h"
#include "runbookd/action_state.h"
#include "report_why.h"
#include "runbookd/timeutil.h"
#include "runbookd/utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD_CELL_MAX 256        /* bytes of one value in a table cell or a list line */
#define MD_DETAIL_MAX 320      /* a timeline detail summary */
#define MD_NOTE_MAX 2000       /* an operator note under Follow-ups */
#define MD_CODE_MAX 4096       /* a command, request or group key */
#define MD_OUTPUT_MAX 200      /* the output excerpt of an action */
#define MD_LIST_MAX 20         /* services / instances named under Impact */
#define SUMMARY_BUILD_MAX 4096 /* a detail summary is built up to here, then cut */


/* The fixed words of the Markdown report. */
struct words {
	const char *code;
	const char *incident, *status, *window, *ongoing, *group_key;
	const char *st_open, *st_resolved;
	const char *h_symptom, *h_impact, *h_actions, *h_followups, *h_timeline;
	const char *col_alert, *col_severity, *col_summary, *col_first_seen, *col_status;
	const char *firing, *resolved_at, *no_alerts;
	const char *services, *instances, *alerts, *count_suffix, *duration;
	const char *dur_resolved, *dur_open;
	const char *none, *command, *request, *mode, *dry_run, *real;
	const char *approval, *approved_by, *rejected_by, *not_required, *awaiting, *not_given;
	const char *needed_pre, *needed_post, *result, *exit_code, *signal, *reason, *ran, *output;
	const char *notes, *review, *still_firing;
	const char *col_time, *col_kind, *col_actor, *col_detail, *no_events;
	const char *link, *runbook, *approved_verb, *rejected_verb, *expires_at, *expired_at;
	const char *kill_switch, *ks_on, *ks_off, *next_steps;
};

static const struct words langs[] = {
	{
		.code = "en",
		.incident = "Incident", .status = "Status", .window = "Window (UTC)",
		.ongoing = "ongoing", .group_key = "Group key",
		.st_open = "open", .st_resolved = "resolved",
		.h_symptom = "Symptom", .h_impact = "Impact", .h_actions = "Actions",
		.h_followups = "Follow-ups", .h_timeline = "Timeline",
		.col_alert = "Alert", .col_severity = "Severity", .col_summary = "Summary",
		.col_first_seen = "First seen (UTC)", .col_status = "Status",
		.firing = "firing", .resolved_at = "resolved", .no_alerts = "No alerts recorded.",
		.services = "Services", .instances = "Instances", .alerts = "Alerts",
		.count_suffix = "", .duration = "Duration",
		.dur_resolved = "resolved at", .dur_open = "still open; last activity at",
		.none = "None.", .command = "Command", .request = "Request", .mode = "Mode",
		.dry_run = "dry-run (not executed)", .real = "live",
		.approval = "Approval", .approved_by = "approved by", .rejected_by = "rejected by",
		.not_required = "not required", .awaiting = "awaiting approval",
		.not_given = "required, not given",
		.needed_pre = " (", .needed_post = " operators needed)",
		.result = "Result", .exit_code = "exit code", .signal = "signal",
		.reason = "reason", .ran = "ran", .output = "Output",
		.notes = "Operator notes", .review = "Actions to review",
		.still_firing = "Still firing",
		.col_time = "Time (UTC)", .col_kind = "Kind", .col_actor = "Actor",
		.col_detail = "Detail", .no_events = "No events recorded.",
		.link = "Link", .runbook = "Runbook", .approved_verb = "approved",
		.rejected_verb = "rejected", .expires_at = "expires at", .expired_at = "expired at",
		.kill_switch = "Kill switch", .ks_on = "on", .ks_off = "off",
		.next_steps = "Next steps",
	},
	{
		.code = "ko",
		.incident = "장애", .status = "상태", .window = "기간 (UTC)",
		.ongoing = "진행 중", .group_key = "그룹 키",
		.st_open = "진행 중", .st_resolved = "해결됨",
		.h_symptom = "현상", .h_impact = "영향", .h_actions = "조치",
		.h_followups = "다음", .h_timeline = "타임라인",
		.col_alert = "알림", .col_severity = "심각도", .col_summary = "요약",
		.col_first_seen = "최초 발생 (UTC)", .col_status = "상태",
		.firing = "발생 중", .resolved_at = "해결", .no_alerts = "기록된 알림 없음.",
		.services = "서비스", .instances = "인스턴스", .alerts = "알림",
		.count_suffix = "건", .duration = "지속 시간",
		.dur_resolved = "해결 시각", .dur_open = "진행 중; 마지막 활동",
		.none = "없음.", .command = "명령", .request = "요청", .mode = "모드",
		.dry_run = "드라이런 (실행 안 함)", .real = "실제 실행 모드",
		.approval = "승인", .approved_by = "승인자", .rejected_by = "거부자",
		.not_required = "불필요", .awaiting = "승인 대기",
		.not_given = "필요, 승인 없음",
		.needed_pre = " (운영자 ", .needed_post = "명 필요)",
		.result = "결과", .exit_code = "종료 코드", .signal = "시그널",
		.reason = "사유", .ran = "실행", .output = "출력",
		.notes = "운영자 메모", .review = "확인이 필요한 조치",
		.still_firing = "아직 발생 중인 알림",
		.col_time = "시각 (UTC)", .col_kind = "종류", .col_actor = "주체",
		.col_detail = "내용", .no_events = "기록된 이벤트 없음.",
		.link = "링크", .runbook = "런북", .approved_verb = "승인",
		.rejected_verb = "거부", .expires_at = "만료 예정", .expired_at = "만료",
		.kill_switch = "킬 스위치", .ks_on = "켜짐", .ks_off = "꺼짐",
		.next_steps = "다음 단계",
	},
};
#define N_LANGS (sizeof(langs) / sizeof(langs[0]))

static const struct words *lang_find(const char *lang)
{
	if (!lang || !*lang)
		return &langs[0];
	for (size_t i = 0; i < N_LANGS; i++) {
		if (strcmp(lang, langs[i].code) == 0)
			return &langs[i];
	}
	return NULL;
}

/* ---- Markdown: times ---- */

struct tparts {
	char date[RBD_TIME_BUFSZ];   /* 2026-11-25 */
	char hms[RBD_TIME_BUFSZ];    /* 07:55:47 */
	char msec[RBD_TIME_BUFSZ];   /* 033 */
};

static void time_split(struct tparts *t, int64_t ms)
{
	char iso[RBD_TIME_BUFSZ];
	const char *tpos, *dot;

	rbd_time_format_ms(iso, ms);
	tpos = strchr(iso, 'T');
	dot = tpos ? strchr(tpos, '.') : NULL;
	if (!tpos || !dot) {
		snprintf(t->date, sizeof(t->date), "%s", iso);
		t->hms[0] = t->msec[0] = '\0';
		return;
	}
	snprintf(t->date, sizeof(t->date), "%.*s", (int)(tpos - iso), iso);
	snprintf(t->hms, sizeof(t->hms), "%.*s", (int)(dot - tpos - 1), tpos + 1);
	snprintf(t->msec, sizeof(t->msec), "%.3s", dot + 1);
}

enum tstyle { T_FULL, T_SHORT, T_MS };

/*
 * T_FULL "2026-11-25 07:55:47"; T_SHORT "07:55:47" on the day of base_ms, else the
 * full form; T_MS "2026-11-25 07:55:47.033". A null (0) time is "-".
 */
static void put_time(struct out *o, int64_t ms, enum tstyle style, int64_t base_ms)
{
	struct tparts t, b;

	if (ms == 0) {
		put(o, "-");
		return;
	}
	time_split(&t, ms);
	if (style == T_SHORT) {
		time_split(&b, base_ms);
		if (strcmp(t.date, b.date) == 0) {
			put(o, t.hms);
			return;
		}
	}
	putf(o, "%s %s", t.date, t.hms);
	if (style == T_MS)
		putf(o, ".%s", t.msec);
}

static void put_duration(struct out *o, int64_t ms)
{
	char d[32];

	rbd_duration_format(d, sizeof(d), ms);
	put(o, d);
}

/* ---- Markdown: sections ---- */

struct strset {
	char **v;
	size_t n;
};

/* Duplicates are dropped when the set is printed (sorted), not here: O(n log n). */
static void strset_add(struct strset *s, const char *x)
{
	if (!x || !*x)
		return;
	s->v = rbd_realloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = rbd_strdup(x);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* "- **label:** a, b, c" with the distinct values, sorted, at most MD_LIST_MAX. */
static void md_list_line(struct out *o, const char *label, struct strset *s)
{
	size_t shown = 0, distinct = 0;

	putf(o, "- **%s:** ", label);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), str_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (i && strcmp(s->v[i], s->v[i - 1]) == 0)
			continue;
		distinct++;
		if (shown == MD_LIST_MAX)
			continue;
		if (shown++)
			put(o, ", ");
		rbd_md_text(o, s->v[i], MD_CELL_MAX, 0);
	}
	if (distinct == 0)
		put(o, "-");
	if (distinct > shown)
		putf(o, ", +%zu", distinct - shown);
	put(o, "\n");
}

static bool is_state(const struct rbd_action_rec *a, enum rbd_action_state state)
{
	enum rbd_action_state s;

	return rbd_action_state_parse(&s, a->state) && s == state;
}

static void md_header(struct out *o, const struct words *w, const struct rbd_incident *inc,
		      const char *link_base)
{
	bool resolved = inc->status && strcmp(inc->status, "resolved") == 0;

	putf(o, "# %s #%" PRId64 ": ", w->incident, inc->id);
	rbd_md_text(o, inc->title, MD_CELL_MAX, RBD_MD_HEADING);
	put(o, "\n\n- **");
	put(o, w->status);
	put(o, ":** ");
	if (resolved)
		put(o, w->st_resolved);
	else if (inc->status && strcmp(inc->status, "open") == 0)
		put(o, w->st_open);
	else
		rbd_md_text(o, inc->status, MD_CELL_MAX, 0);
	put(o, "\n- **");
	put(o, w->window);
	put(o, ":** ");
	put_time(o, inc->opened_ms, T_FULL, 0);
	put(o, " \xe2\x80\x93 ");   /* en dash */
	if (inc->resolved_ms)
		put_time(o, inc->resolved_ms, T_FULL, 0);
	else
		put(o, w->ongoing);
	put(o, "\n- **");
	put(o, w->group_key);
	put(o, ":** ");
	rbd_md_code(o, inc->group_key, MD_CODE_MAX);
	put(o, "\n");
	if (link_base && *link_base) {
		struct rbd_buf u = RBD_BUF_INIT(MD_CODE_MAX);

		scratch_put(&u, link_base);
		scratch_put(&u, "/ui/incidents/");
		putf(o, "- **%s:** ", w->link);
		if (!rbd_buf_printf(&u, "%" PRId64, inc->id))
			rbd_md_url(o, rbd_buf_cstr(&u), MD_CODE_MAX);
		put(o, "\n");
		rbd_buf_free(&u);
	}
}

/* What the alerts say: summary and description quoted once per alert name and text,
 * with the runbook_url linked. */
static void md_quotes(struct out *o, const struct words *w, const struct rbd_export_src *src)
{
	struct strset seen = { 0 };
	bool any = false;

	for (size_t i = 0; i < src->n_alerts && !o->err; i++) {
		cJSON *labels = rbd_json_parse_object(src->alerts[i].labels_json);
		cJSON *ann = rbd_json_parse_object(src->alerts[i].annotations_json);
		const char *name = jstr(labels, "alertname"), *sum = jstr(ann, "summary");
		const char *desc = jstr(ann, "description"), *rb = jstr(ann, "runbook_url");
		struct rbd_buf key = RBD_BUF_INIT(3 * MD_NOTE_MAX);
		bool fresh = true;

		scratch_put(&key, name ? name : "");
		scratch_put(&key, "\x1f");
		scratch_put(&key, sum ? sum : "");
		scratch_put(&key, "\x1f");
		scratch_put(&key, desc ? desc : "");
		scratch_put(&key, "\x1f");
		scratch_put(&key, rb ? rb : "");
		for (size_t j = 0; j < seen.n; j++)
			if (strcmp(seen.v[j], rbd_buf_cstr(&key)) == 0)
				fresh = false;
		if (fresh)
			strset_add(&seen, rbd_buf_cstr(&key));
		if (fresh && ((sum && *sum) || (desc && *desc) || (rb && *rb))) {
			put(o, any ? "" : "\n");
			any = true;
			put(o, "- **");
			rbd_md_text(o, name ? name : "?", MD_CELL_MAX, 0);
			put(o, ":** ");
			if (sum && *sum)
				rbd_md_lines(o, "  ", sum, MD_NOTE_MAX);
			if (desc && *desc && (!sum || strcmp(desc, sum) != 0)) {
				put(o, sum && *sum ? "  \n  " : "");
				rbd_md_lines(o, "  ", desc, MD_NOTE_MAX);
			}
			if (rb && *rb) {
				putf(o, "%s%s: ", (sum && *sum) || (desc && *desc) ? "  \n  " : "",
				     w->runbook);
				rbd_md_url(o, rb, MD_CODE_MAX);
			}
			put(o, "\n");
		}
		rbd_buf_free(&key);
		cJSON_Delete(labels);
		cJSON_Delete(ann);
	}
	strset_free(&seen);
}

static void md_symptom(struct out *o, const struct words *w, const struct rbd_export_src *src)
{
	const struct rbd_incident *inc = src->incident;

	putf(o, "\n## %s\n\n", w->h_symptom);
	if (src->n_alerts == 0) {
		putf(o, "%s\n", w->no_alerts);
		return;
	}
	putf(o, "| %s | %s | %s | %s | %s |\n| --- | --- | --- | --- | --- |\n", w->col_alert,
	     w->col_severity, w->col_summary, w->col_first_seen, w->col_status);
	for (size_t i = 0; i < src->n_alerts; i++) {
		const struct rbd_alert_rec *a = &src->alerts[i];
		cJSON *labels = rbd_json_parse_object(a->labels_json);
		cJSON *ann = rbd_json_parse_object(a->annotations_json);
		const char *summary = jstr(ann, "summary");

		if (!summary)
			summary = jstr(ann, "description");
		put(o, "| ");
		rbd_md_text(o, jstr(labels, "alertname"), MD_CELL_MAX, 0);
		put(o, " | ");
		rbd_md_text(o, jstr(labels, "severity"), MD_CELL_MAX, 0);
		put(o, " | ");
		rbd_md_text(o, summary, MD_CELL_MAX, 0);
		put(o, " | ");
		put_time(o, a->starts_ms, T_SHORT, inc->opened_ms);
		put(o, " | ");
		if (a->status && strcmp(a->status, "resolved") == 0) {
			put(o, w->resolved_at);
			if (a->ends_ms) {
				put(o, " ");
				put_time(o, a->ends_ms, T_SHORT, inc->opened_ms);
			}
		} else if (a->status && strcmp(a->status, "firing") == 0) {
			put(o, w->firing);
		} else {
			rbd_md_text(o, a->status, MD_CELL_MAX, 0);
		}
		put(o, " |\n");
		cJSON_Delete(labels);
		cJSON_Delete(ann);
	}
	md_quotes(o, w, src);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The operator notes filed under section, as "- **label:**" and one item each. */
static void md_notes(struct out *o, const char *label, const struct why *why,
		     enum why_section section, int64_t base)
{
	bool header = false;

	for (size_t i = 0; i < why->n_notes && !o->err; i++) {
		const struct why_note *n = &why->notes[i];

		if (n->section != section)
			continue;
		if (!header)
			putf(o, "- **%s:**\n", label);
		header = true;
		put(o, "    - ");
		put_time(o, n->ts, T_SHORT, base);
		put(o, " ");
		rbd_md_text(o, n->who, MD_CELL_MAX, 0);
		put(o, ": ");
		rbd_md_lines(o, "      ", n->text, MD_NOTE_MAX);
		put(o, "\n");
	}
}

static void md_impact(struct out *o, const struct words *w, const struct rbd_export_src *src,
		      const struct why *why)
{
	const struct rbd_incident *inc = src->incident;
	struct strset services = { 0 }, instances = { 0 };
	size_t firing = 0, resolved = 0;
	int64_t last = inc->opened_ms;

	for (size_t i = 0; i < src->n_alerts; i++) {
		const struct rbd_alert_rec *a = &src->alerts[i];
		cJSON *labels = rbd_json_parse_object(a->labels_json);

		strset_add(&services, jstr(labels, "service"));
		strset_add(&instances, jstr(labels, "instance"));
		if (a->status && strcmp(a->status, "firing") == 0)
			firing++;
		else if (a->status && strcmp(a->status, "resolved") == 0)
			resolved++;
		last = max64(last, max64(a->starts_ms, max64(a->ends_ms, a->last_seen_ms)));
		cJSON_Delete(labels);
	}
	for (size_t i = 0; i < src->n_actions; i++) {
		const struct rbd_action_rec *a = &src->actions[i];

		last = max64(last, max64(a->created_ms, max64(a->started_ms, a->finished_ms)));
	}

	putf(o, "\n## %s\n\n", w->h_impact);
	md_list_line(o, w->services, &services);
	md_list_line(o, w->instances, &instances);
	putf(o, "- **%s:** ", w->alerts);
	putf(o, "%zu%s (%s %zu, %s %zu)", src->n_alerts, w->count_suffix, w->firing, firing,
	     w->resolved_at, resolved);
	putf(o, "\n- **%s:** ", w->duration);
	/* Never the clock: an open incident is measured to its last recorded activity. */
	if (inc->resolved_ms) {
		put_duration(o, inc->resolved_ms - inc->opened_ms);
		putf(o, " (%s ", w->dur_resolved);
		put_time(o, inc->resolved_ms, T_SHORT, inc->opened_ms);
	} else {
		put_duration(o, last - inc->opened_ms);
		putf(o, "+ (%s ", w->dur_open);
		put_time(o, last, T_SHORT, inc->opened_ms);
	}
	put(o, ")\n");
	md_notes(o, w->notes, why, WHY_IMPACT, inc->opened_ms);
	strset_free(&services);
	strset_free(&instances);
}

/* Shell-style quoting of one argv element, for display only: nothing runs it. */
static void sh_quote(struct rbd_buf *b, const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_@%+=:,./-";
	size_t n = strlen(s);
	bool plain = n > 0 && strspn(s, safe) == n, ansi = false;
	uint32_t cp;

	if (plain) {
		scratch_put(b, s);
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t k = rbd_utf8_decode(&cp, s + i, n - i);

		if (!k || rbd_md_hidden(cp)) {
			ansi = true;
			break;
		}
		i += k;
	}
	if (!ansi) {
		scratch_put(b, "'");
		for (const char *p = s; *p; p++) {
			if (*p == '\'')
				scratch_put(b, "'\\''");
			else
				scratch_put_n(b, p, 1);
		}
		scratch_put(b, "'");
		return;
	}
	/* $'...' spells out line breaks, controls and stray bytes */
	scratch_put(b, "$'");
	for (size_t i = 0; i < n;) {
		size_t k = rbd_utf8_decode(&cp, s + i, n - i);
		char esc[16];

		if (k && !rbd_md_hidden(cp) && cp != '\\' && cp != '\'') {
			scratch_put_n(b, s + i, k);
			i += k;
			continue;
		}
		if (k && (cp == '\\' || cp == '\''))
			snprintf(esc, sizeof(esc), "\\%c", (char)cp);
		else if (k && cp == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (k && cp == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (k && cp == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (k && cp >= 0x80 && cp <= 0xffff)
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		else if (k && cp > 0xffff)
			snprintf(esc, sizeof(esc), "\\U%08x", (unsigned)cp);
		else
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[i]);
		scratch_put(b, esc);
		i += k ? k : 1;
	}
	scratch_put(b, "'");
}

/* The rendering of an action as one display line: a command or METHOD URL. */
static void action_display(struct rbd_buf *b, bool *is_cmd, const struct rbd_action_rec *a)
{
	cJSON *r = rbd_json_parse_object(a->rendered_json);
	const char *kind = a->kind ? a->kind : jstr(r, "kind");
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(r, "argv");
	const cJSON *el;

	*is_cmd = kind && strcmp(kind, "run") == 0;
	if (*is_cmd && cJSON_IsArray(argv)) {
		cJSON_ArrayForEach(el, argv) {
			if (b->len)
				scratch_put(b, " ");
			sh_quote(b, cJSON_IsString(el) ? el->valuestring : "");
		}
	} else if (kind && strcmp(kind, "http") == 0 && jstr(r, "url")) {
		scratch_put(b, jstr(r, "method") ? jstr(r, "method") : "?");
		scratch_put(b, " ");
		scratch_put(b, jstr(r, "url"));
	} else if (kind && strcmp(kind, "silence") == 0) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "matchers");
		const cJSON *dur = cJSON_GetObjectItemCaseSensitive(r, "duration_ms");
		char d[32];
		char *mtext;

		scratch_put(b, "silence {");
		cJSON_ArrayForEach(el, m) {
			if (el != m->child)
				scratch_put(b, ", ");
			scratch_put(b, el->string ? el->string : "");
			scratch_put(b, "=");
			mtext = cJSON_PrintUnformatted(el);
			scratch_put(b, mtext ? mtext : "");
			free(mtext);
		}
		scratch_put(b, "}");
		if (cJSON_IsNumber(dur)) {
			rbd_duration_format(d, sizeof(d), (int64_t)dur->valuedouble);
			scratch_put(b, " for ");
			scratch_put(b, d);
		}
	}
	cJSON_Delete(r);
}

static void md_approval(struct out *o, const struct words *w, const struct rbd_action_rec *a,
			const struct why *why, int64_t ttl_ms, int64_t base)
{
	int given = 0;

	for (size_t i = 0; i < why->n_d; i++)
		if (why->d[i].action_id == a->id && why->d[i].approve)
			given++;
	if (a->decided_by && *a->decided_by) {
		put(o, is_state(a, RBD_STATE_REJECTED) ? w->rejected_by : w->approved_by);
		put(o, " ");
		rbd_md_text(o, a->decided_by, MD_CELL_MAX, 0);
	} else if (!a->requires_approval) {
		put(o, w->not_required);
	} else {
		put(o, is_state(a, RBD_STATE_PENDING_APPROVAL) ? w->awaiting : w->not_given);
		if (a->approvals_needed > 1 && !is_state(a, RBD_STATE_PENDING_APPROVAL))
			putf(o, "%s%d%s", w->needed_pre, a->approvals_needed, w->needed_post);
	}
	if (a->requires_approval && a->approvals_needed > 0)
		putf(o, " (%d/%d)", given, a->approvals_needed);
	if (is_state(a, RBD_STATE_PENDING_APPROVAL) && ttl_ms > 0) {
		putf(o, ", %s ", w->expires_at);
		put_time(o, a->created_ms + ttl_ms, T_SHORT, base);
	}
	for (size_t i = 0; i < why->n_exp; i++) {
		if (why->exp[i].action_id == a->id) {
			putf(o, ", %s ", w->expired_at);
			put_time(o, why->exp[i].ts, T_SHORT, base);
		}
	}
	for (size_t i = 0; i < why->n_d && !o->err; i++) {
		const struct why_decision *d = &why->d[i];

		if (d->action_id != a->id)
			continue;
		put(o, "\n        - ");
		put_time(o, d->ts, T_SHORT, base);
		put(o, " ");
		rbd_md_text(o, d->who, MD_CELL_MAX, 0);
		put(o, " ");
		put(o, d->approve ? w->approved_verb : w->rejected_verb);
		if (d->comment) {
			put(o, ": ");
			rbd_md_lines(o, "          ", d->comment, MD_NOTE_MAX);
		}
	}
}

static void md_result(struct out *o, const struct words *w, const struct rbd_action_rec *a,
		      int64_t base)
{
	put(o, "**");
	rbd_md_text(o, a->state ? a->state : "?", MD_CELL_MAX, 0);
	put(o, "**");
	if (a->has_exit_code)
		putf(o, ", %s %d", w->exit_code, a->exit_code);
	if (a->term_signal)
		putf(o, ", %s %d", w->signal, a->term_signal);
	if (a->result && *a->result) {
		put(o, ", ");
		rbd_md_text(o, a->result, MD_CELL_MAX, 0);
	}
	if (a->reason && *a->reason) {
		putf(o, ", %s: ", w->reason);
		rbd_md_text(o, a->reason, MD_CELL_MAX, 0);
	}
	if (a->started_ms) {
		putf(o, "; %s ", w->ran);
		put_time(o, a->started_ms, T_SHORT, base);
		if (a->finished_ms) {
			put(o, " (");
			put_duration(o, a->finished_ms - a->started_ms);
			put(o, ")");
		}
	}
}

static int action_cmp(const void *pa, const void *pb)
{
	const struct rbd_action_rec *a = *(const struct rbd_action_rec *const *)pa;
	const struct rbd_action_rec *b = *(const struct rbd_action_rec *const *)pb;

	if (a->created_ms != b->created_ms)
		return a->created_ms < b->created_ms ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Actions in the order they were planned, as the runbook's "actions with times". */
static void md_actions(struct out *o, const struct words *w, const struct rbd_export_src *src,
		       const struct why *why)
{
	int64_t base = src->incident->opened_ms;
	const struct rbd_action_rec **order = rbd_calloc(src->n_actions, sizeof(*order));

	for (size_t i = 0; i < src->n_actions; i++)
		order[i] = &src->actions[i];
	qsort(order, src->n_actions, sizeof(*order), action_cmp);
	putf(o, "\n## %s\n\n", w->h_actions);
	if (src->n_actions == 0)
		putf(o, "%s\n", w->none);
	for (size_t i = 0; i < src->n_actions && !o->err; i++) {
		const struct rbd_action_rec *a = order[i];
		struct rbd_buf cmd = RBD_BUF_INIT(MD_CODE_MAX * 2);
		bool is_cmd;

		put(o, "- **");
		put_time(o, a->created_ms, T_SHORT, base);
		put(o, "** ");
		rbd_md_text(o, a->rule, MD_CELL_MAX, 0);
		put(o, " \xe2\x86\x92 ");   /* arrow */
		rbd_md_text(o, a->action, MD_CELL_MAX, 0);
		putf(o, " (#%" PRId64 ")\n", a->id);

		action_display(&cmd, &is_cmd, a);
		if (cmd.len) {
			putf(o, "    - **%s:** ", is_cmd ? w->command : w->request);
			rbd_md_code(o, rbd_buf_cstr(&cmd), MD_CODE_MAX);
			put(o, "\n");
		}
		rbd_buf_free(&cmd);
		putf(o, "    - **%s:** %s\n", w->mode,
		     a->dry_run || is_state(a, RBD_STATE_DRY_RUN) ? w->dry_run : w->real);
		putf(o, "    - **%s:** ", w->approval);
		md_approval(o, w, a, why, src->approval_ttl_ms, base);
		putf(o, "\n    - **%s:** ", w->result);
		md_result(o, w, a, base);
		put(o, "\n");
		if (a->output && *a->output) {
			putf(o, "    - **%s:**\n", w->output);
			rbd_md_code_block(o, "      ", a->output, MD_OUTPUT_MAX);
		}
	}
	free(order);
	/* The kill switch during the incident, with the reason given. */
	for (size_t i = 0; i < why->n_pauses && !o->err; i++) {
		const struct why_pause *p = &why->pauses[i];

		put(o, "- **");
		put_time(o, p->ts, T_SHORT, base);
		putf(o, "** %s: ", w->kill_switch);
		put(o, p->paused ? w->ks_on : w->ks_off);
		put(o, " (");
		rbd_md_text(o, p->who, MD_CELL_MAX, 0);
		put(o, ")");
		if (p->comment) {
			put(o, ": ");
			rbd_md_lines(o, "  ", p->comment, MD_NOTE_MAX);
		}
		put(o, "\n");
	}
	md_notes(o, w->notes, why, WHY_ACTION, base);
}

/* Actions an operator should look at after the incident. */
static bool needs_review(const struct rbd_action_rec *a)
{
	enum rbd_action_state s;

	return rbd_action_state_parse(&s, a->state) && rbd_action_state_info(s)->review;
}

/* Follow-ups: operator notes (one pass over the events), actions to review, alerts
 * still firing. */
static int md_followups(struct out *o, const struct words *w, const struct rbd_export_src *src,
			const struct why *why)
{
	int64_t base = src->incident->opened_ms;
	bool any = false, header = false;

	putf(o, "\n## %s\n\n", w->h_followups);
	for (size_t i = 0; i < why->n_notes; i++)
		if (why->notes[i].section == WHY_NEXT || why->notes[i].section == WHY_PLAIN)
			any = true;
	md_notes(o, w->next_steps, why, WHY_NEXT, base);
	md_notes(o, w->notes, why, WHY_PLAIN, base);

	header = false;
	for (size_t i = 0; i < src->n_actions; i++) {
		const struct rbd_action_rec *a = &src->actions[i];

		if (!needs_review(a))
			continue;
		if (!header)
			putf(o, "- **%s:**\n", w->review);
		header = any = true;
		put(o, "    - ");
		rbd_md_text(o, a->rule, MD_CELL_MAX, RBD_MD_LINE_START);
		put(o, " \xe2\x86\x92 ");
		rbd_md_text(o, a->action, MD_CELL_MAX, 0);
		putf(o, " (#%" PRId64 "): **", a->id);
		rbd_md_text(o, a->state, MD_CELL_MAX, 0);
		put(o, "**");
		if (a->reason && *a->reason) {
			putf(o, ", %s: ", w->reason);
			rbd_md_text(o, a->reason, MD_CELL_MAX, 0);
		}
		put(o, "\n");
	}

	header = false;
	for (size_t i = 0; i < src->n_alerts; i++) {
		const struct rbd_alert_rec *a = &src->alerts[i];
		cJSON *labels;

		if (!a->status || strcmp(a->status, "firing") != 0)
			continue;
		if (!header)
			putf(o, "- **%s:**\n", w->still_firing);
		header = any = true;
		labels = rbd_json_parse_object(a->labels_json);
		put(o, "    - ");
		rbd_md_text(o, jstr(labels, "alertname"), MD_CELL_MAX, RBD_MD_LINE_START);
		put(o, " (");
		rbd_md_text(o, a->fingerprint, MD_CELL_MAX, 0);
		put(o, ")\n");
		cJSON_Delete(labels);
	}
	if (!any)
		putf(o, "%s\n", w->none);
	return o->err;
}

/*
 * A detail object as one line: "key=value, key=value", strings bare, anything else
 * as compact JSON. Built into b (capped); the caller escapes and cuts it.
 */
static void detail_summary(struct rbd_buf *b, const cJSON *detail)
{
	const cJSON *el;

	cJSON_ArrayForEach(el, detail) {
		if (el != detail->child)
			scratch_put(b, ", ");
		scratch_put(b, el->string ? el->string : "");
		scratch_put(b, "=");
		if (cJSON_IsString(el)) {
			scratch_put(b, el->valuestring);
		} else {
			char *text = cJSON_PrintUnformatted(el);

			scratch_put(b, text ? text : "");
			free(text);
		}
		if (b->len >= b->max)
			break;
	}
}

static int md_timeline(struct out *o, const struct words *w, const struct rbd_export_src *src)
{
	struct rbd_buf sum = RBD_BUF_INIT(SUMMARY_BUILD_MAX);
	const struct rbd_event *ev = NULL;
	size_t rows = 0;
	int rc = 0;

	putf(o, "\n## %s\n\n", w->h_timeline);
	putf(o, "| %s | %s | %s | %s |\n| --- | --- | --- | --- |\n", w->col_time, w->col_kind,
	     w->col_actor, w->col_detail);
	while (!o->err && (rc = src->next_event(src->ctx, &ev)) > 0) {
		cJSON *detail;

		if (!ev)
			continue;
		detail = rbd_json_parse_object(ev->detail_json);
		rbd_buf_reset(&sum);
		if (ev->action_id) {
			char id[32];

			snprintf(id, sizeof(id), "#%" PRId64 ": ", ev->action_id);
			scratch_put(&sum, id);
		}
		detail_summary(&sum, detail);
		put(o, "| ");
		put_time(o, ev->ts_ms, T_MS, 0);
		put(o, " | ");
		rbd_md_text(o, ev->kind, MD_CELL_MAX, 0);
		put(o, " | ");
		rbd_md_text(o, ev->actor, MD_CELL_MAX, 0);
		put(o, " | ");
		rbd_md_text(o, rbd_buf_cstr(&sum), MD_DETAIL_MAX, 0);
		put(o, " |\n");
		cJSON_Delete(detail);
		rows++;
	}
	rbd_buf_free(&sum);
	if (o->err)
		return o->err;
	if (rc < 0)
		return rc;
	if (rows == 0)
		putf(o, "\n%s\n", w->no_events);
	return o->err;
}

static int render_md(struct out *o, const struct words *w, const struct rbd_export_src *src)
{
	int rc;

	struct why why;

	if (!src->rewind)
		return rbd_err_set(RBD_EINVAL, "export: the Markdown report needs a rewind callback");
	/* One pass for the reasons (decisions, notes, kill switch), one for the timeline. */
	rc = rbd_why_collect(&why, src);
	if (!rc)
		rc = src->rewind(src->ctx);
	if (rc < 0) {
		rbd_why_free(&why);
		return rc;
	}
	md_header(o, w, src->incident, src->link_base);
	md_symptom(o, w, src);
	md_impact(o, w, src, &why);
	md_actions(o, w, src, &why);
	if (!o->err)
		md_followups(o, w, src, &why);
	rbd_why_free(&why);
	if (o->err)
		return o->err;
	return md_timeline(o, w, src);
}

bool rbd_report_lang_known(const char *lang)
{
	return lang_find(lang) != NULL;
}

int rbd_report_render(struct out *o, const char *lang, const struct rbd_export_src *src)
{
	const struct words *w = lang_find(lang);

	if (!w)
		return rbd_err_set(RBD_EINVAL, "lang must be en or ko");
	return render_md(o, w, src);
}
