/*
 * simulate: the explanation of non-matching rules and the text table of
 * `runbookd simulate`. Works on the JSON report the command builds, so the table and
 * `-o json` always say the same thing. Never runs or stores anything.
 */
#include "runbookd/simulate.h"
#include "runbookd/buf.h"
#include "runbookd/labels.h"
#include "runbookd/matcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output of the table is capped: a payload is capped by max_body_bytes already. */
#define TABLE_MAX ((size_t)64 << 20)

void rbd_simulate_explain(cJSON *alert_obj, const struct rbd_config *cfg,
			  const struct rbd_rule *const *matched, size_t n_matched,
			  const struct rbd_alert *a, enum rbd_rule_on on)
{
	cJSON *arr = cJSON_AddArrayToObject(alert_obj, "not_matched");
	struct rbd_buf b = RBD_BUF_INIT(8192);

	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct rbd_rule *r = &cfg->rules[i];
		bool hit = false;
		cJSON *o, *why;

		for (size_t j = 0; j < n_matched && !hit; j++)
			hit = matched[j] == r;
		if (hit)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "rule", r->name);
		why = cJSON_AddArrayToObject(o, "why");
		if (r->on != on)
			cJSON_AddItemToArray(why, cJSON_CreateString(
				r->on == RBD_ON_RESOLVED ? "on: resolved, and the alert is firing" :
				"on: firing, and the alert is resolved"));
		for (size_t m = 0; m < r->n_matchers; m++) {
			const char *name = rbd_matcher_name(r->matchers[m]);
			const char *v = rbd_labels_get(&a->labels, name);

			if (rbd_matcher_matches(r->matchers[m], &a->labels))
				continue;
			rbd_buf_reset(&b);
			if (v)
				rbd_buf_printf(&b, "%s does not hold: %s is \"%.200s\"",
					       rbd_matcher_string(r->matchers[m]), name, v);
			else
				rbd_buf_printf(&b, "%s does not hold: the alert has no label %s (\"\")",
					       rbd_matcher_string(r->matchers[m]), name);
			cJSON_AddItemToArray(why, cJSON_CreateString(rbd_buf_cstr(&b)));
		}
		if (cJSON_GetArraySize(why) == 0)
			cJSON_AddItemToArray(why, cJSON_CreateString("every matcher holds"));
		cJSON_AddItemToArray(arr, o);
	}
	rbd_buf_free(&b);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Text from the payload (labels, values in reasons) on a terminal: control bytes are
 * shown as \xNN, never sent raw (no escape sequences from an alert). */
static void put_text(struct rbd_buf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			rbd_buf_printf(b, "\\x%02x", (unsigned char)*p);
		else
			rbd_buf_putc(b, *p);
	}
}

/* An argv element as a reader would type it: quoted when it holds anything odd. */
static void put_word(struct rbd_buf *b, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("-_./=:,@%+", *p);
	if (plain) {
		rbd_buf_puts(b, s);
		return;
	}
	rbd_buf_putc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			rbd_buf_puts(b, "'\\''");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			rbd_buf_printf(b, "\\x%02x", (unsigned char)*p);
		else
			rbd_buf_putc(b, *p);
	}
	rbd_buf_putc(b, '\'');
}

static void put_rendered(struct rbd_buf *b, const cJSON *r)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(r, "argv");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "matchers");
	const cJSON *it;
	bool first = true;

	if (!r || cJSON_IsNull(r)) {
		rbd_buf_puts(b, "(not rendered)");
		return;
	}
	if (cJSON_IsArray(argv)) {
		cJSON_ArrayForEach(it, argv) {
			if (!first)
				rbd_buf_putc(b, ' ');
			put_word(b, cJSON_IsString(it) ? it->valuestring : "?");
			first = false;
		}
		return;
	}
	if (str(r, "method")) {
		rbd_buf_printf(b, "%s ", str(r, "method"));
		put_text(b, str(r, "url"));
		if (str(r, "body")) {
			rbd_buf_puts(b, " body ");
			put_text(b, str(r, "body"));
		}
		return;
	}
	rbd_buf_puts(b, "silence");
	cJSON_ArrayForEach(it, m) {
		rbd_buf_printf(b, " %s=", it->string ? it->string : "?");
		put_word(b, cJSON_IsString(it) ? it->valuestring : "");
	}
}

static void put_cell(struct rbd_buf *b, const char *s, int width)
{
	int n = (int)strlen(s);

	rbd_buf_puts(b, s);
	for (; n < width; n++)
		rbd_buf_putc(b, ' ');
	rbd_buf_putc(b, ' ');
}

static int col_width(const cJSON *alerts, const char *key, int min)
{
	const cJSON *a, *m;
	int w = min;

	cJSON_ArrayForEach(a, alerts) {
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(a, "matches")) {
			const char *s = str(m, key);

			if (s && (int)strlen(s) > w)
				w = (int)strlen(s);
		}
	}
	return w > 40 ? 40 : w;
}

char *rbd_simulate_table(const cJSON *report)
{
	const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(report, "alerts"), *a;
	struct rbd_buf b = RBD_BUF_INIT(TABLE_MAX);
	int wr = col_width(alerts, "rule", 4), wa = col_width(alerts, "action", 6);
	int ws = col_width(alerts, "state", 5), wg = col_width(alerts, "gate", 4);
	int idx = 0, total = cJSON_GetArraySize(alerts);

	rbd_buf_printf(&b, "mode %s, group ", str(report, "mode"));
	put_text(&b, str(report, "group_key"));
	rbd_buf_printf(&b, ", %d alert%s\n", total, total == 1 ? "" : "s");
	cJSON_ArrayForEach(a, alerts) {
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(a, "labels"), *l, *m;
		const cJSON *matches = cJSON_GetObjectItemCaseSensitive(a, "matches");
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(a, "not_matched");
		bool first = true;

		rbd_buf_printf(&b, "\nalert %d/%d  %s  %s  {", ++idx, total, str(a, "status"),
			       str(a, "fingerprint"));
		cJSON_ArrayForEach(l, labels) {
			rbd_buf_puts(&b, first ? "" : ", ");
			put_text(&b, l->string);
			rbd_buf_puts(&b, "=\"");
			put_text(&b, cJSON_IsString(l) ? l->valuestring : "");
			rbd_buf_putc(&b, '"');
			first = false;
		}
		rbd_buf_puts(&b, "}\n");
		if (cJSON_GetArraySize(matches) == 0) {
			rbd_buf_puts(&b, "  no rule matches\n");
		} else {
			rbd_buf_puts(&b, "  ");
			put_cell(&b, "RULE", wr);
			put_cell(&b, "ACTION", wa);
			put_cell(&b, "STATE", ws);
			put_cell(&b, "GATE", wg);
			rbd_buf_puts(&b, "RENDERED\n");
		}
		cJSON_ArrayForEach(m, matches) {
			rbd_buf_puts(&b, "  ");
			put_cell(&b, str(m, "rule") ? str(m, "rule") : "", wr);
			put_cell(&b, str(m, "action") ? str(m, "action") : "", wa);
			put_cell(&b, str(m, "state") ? str(m, "state") : "", ws);
			put_cell(&b, str(m, "gate") ? str(m, "gate") : "", wg);
			put_rendered(&b, cJSON_GetObjectItemCaseSensitive(m, "rendered"));
			rbd_buf_putc(&b, '\n');
			if (str(m, "reason")) {
				rbd_buf_puts(&b, "      reason: ");
				put_text(&b, str(m, "reason"));
				rbd_buf_putc(&b, '\n');
			}
			if (str(m, "after"))
				rbd_buf_printf(&b, "      after: %s\n", str(m, "after"));
		}
		if (nm && cJSON_GetArraySize(nm) > 0) {
			rbd_buf_puts(&b, "  not matched:\n");
			cJSON_ArrayForEach(m, nm) {
				const cJSON *w;

				rbd_buf_printf(&b, "    %s\n", str(m, "rule"));
				cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(m, "why")) {
					rbd_buf_puts(&b, "      - ");
					put_text(&b, cJSON_IsString(w) ? w->valuestring : "");
					rbd_buf_putc(&b, '\n');
				}
			}
		}
	}
	if (!b.data)
		rbd_buf_puts(&b, "");
	return rbd_buf_steal(&b);
}
