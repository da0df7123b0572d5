#!/usr/bin/env bash
# `runbookd simulate` as an operator uses it (issue 17): the payload from stdin with
# `-`, a readable table by default, the JSON with `-o json` (same facts), and
# `--explain`: for every rule that did not match, which matcher failed on which label
# value (and an `on:` that does not fit the alert's status). Also: a rule with after:
# says that it depends on history simulate does not have.
source "$(dirname "$0")/../lib.sh"
unset RUNBOOKD_CONFIG
cli() { "$RBD_BIN" "$@" >"$T/out" 2>"$T/err"; RC=$?; }

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: errors-restart
    matchers: ['alertname = "HighErrorRate"', 'severity = "critical"']
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
  - name: errors-undo
    matchers: ['alertname = "HighErrorRate"']
    on: resolved
    after: errors-restart
    action: restart
    params: { service: "{{ .Labels.service }}" }
  - name: latency-nonprod
    matchers: ['alertname =~ "HighLatency.*"', 'env != "prod"', 'team = "payments"']
    action: restart
    params: { service: "{{ .Labels.service }}" }
YAML
write_config enforce "$T/rules.yaml" <<'YAML'
actions:
  restart:
    run: [/bin/echo, restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [order-api, "it's odd"] }
YAML
P=$FIX/firing-high-error-rate.json

# --- stdin and file give the same JSON
cli simulate -o json -c "$T/runbookd.yaml" "$P"; cp "$T/out" "$T/file.json"
check "-o json from a file: exit 0" "$RC" 0
"$RBD_BIN" simulate -o json -c "$T/runbookd.yaml" - < "$P" >"$T/out" 2>"$T/err"; RC=$?
check "-o json from stdin (-): exit 0" "$RC" 0
check "stdin and file: same report" "$(jq -S 'del(.alerts[].matches[].rendered)' "$T/out")" \
  "$(jq -S 'del(.alerts[].matches[].rendered)' "$T/file.json")"
check "JSON: the match, its state and argv" \
  "$(jq -c '[.alerts[0].matches[] | [.rule, .state, .gate, .rendered.argv]]' "$T/out")" \
  '[["errors-restart","pending_approval","approval",["/bin/echo","restart","order-api"]]]'
check "JSON without --explain has no not_matched" "$(jq -c '.alerts[0] | has("not_matched")' "$T/out")" false
printf '{"version":"4"' | "$RBD_BIN" simulate -c "$T/runbookd.yaml" - >"$T/out" 2>"$T/err"; RC=$?
check "truncated JSON on stdin: exit 1" "$RC" 1
check "truncated JSON on stdin: nothing on stdout" "$(cat "$T/out")" ""
"$RBD_BIN" simulate -c "$T/runbookd.yaml" - < /dev/null >"$T/out" 2>"$T/err"; RC=$?
check "empty stdin: exit 1" "$RC" 1
cli simulate -o yaml -c "$T/runbookd.yaml" "$P"
check "-o yaml: exit 2" "$RC" 2
check_match "-o yaml: says what is expected" "$(cat "$T/err")" 'table or json'

# --- the default is a table with the same facts
cli simulate -c "$T/runbookd.yaml" "$P"
check "table: exit 0" "$RC" 0
check "table: not JSON" "$(jq . "$T/out" >/dev/null 2>&1 && echo json || echo text)" text
check_match "table: header line" "$(head -1 "$T/out")" '^mode enforce, group .*HighErrorRate.*, 1 alert$'
check_match "table: column heads" "$(cat "$T/out")" 'RULE +ACTION +STATE +GATE +RENDERED'
check_match "table: the row" "$(grep errors-restart "$T/out")" \
  '^  errors-restart +restart +pending_approval +approval +/bin/echo restart order-api$'
check_match "table: the gate's reason" "$(cat "$T/out")" 'reason: waiting for 1 operator approval'
# a value with a quote is shown quoted, as a reader would type it
jq '.alerts[0].labels.service = "it'"'"'s odd"' "$P" > "$T/odd.json"
cli simulate -c "$T/runbookd.yaml" "$T/odd.json"
check_match "table: odd argv element quoted" "$(grep errors-restart "$T/out")" "restart 'it'\\\\''s odd'\$"

# a label with a terminal escape sequence is shown escaped, never sent raw
jq '.alerts[0].labels.team = "x\u001b[2Jy"' "$P" > "$T/esc.json"
cli simulate --explain -c "$T/runbookd.yaml" "$T/esc.json"
check "table: no raw control byte from the payload" "$(tr -d '\n' < "$T/out" | LC_ALL=C grep -c $'[\x01-\x1f]')" 0
check_match "table: the escape shown as \\x1b" "$(cat "$T/out")" 'team="x\\x1b\[2Jy"'

# --- --explain: which matcher failed on which value
cli simulate --explain -o json -c "$T/runbookd.yaml" "$P"
check "explain: exit 0" "$RC" 0
check "explain: every other rule listed" "$(jq -c '[.alerts[0].not_matched[].rule]' "$T/out")" \
  '["errors-undo","latency-nonprod"]'
check "explain: on: resolved vs firing" "$(jq -c '.alerts[0].not_matched[0].why' "$T/out")" \
  '["on: resolved, and the alert is firing"]'
check "explain: each failing matcher with the label value, holding ones left out" \
  "$(jq -c '.alerts[0].not_matched[1].why' "$T/out")" \
  '["alertname=~\"HighLatency.*\" does not hold: alertname is \"HighErrorRate\"","team=\"payments\" does not hold: the alert has no label team (\"\")"]'
jq '.alerts[0].labels.severity = "warning"' "$P" > "$T/warn.json"
cli simulate --explain -c "$T/runbookd.yaml" - < "$T/warn.json"
check "explain table: exit 0" "$RC" 0
check_match "explain table: no match said plainly" "$(cat "$T/out")" 'no rule matches'
check_match "explain table: the failing matcher and the value" "$(cat "$T/out")" \
  'errors-restart
      - severity="critical" does not hold: severity is "warning"'

# --- after: simulate says what it cannot know
jq '.status = "resolved" | .alerts[0].status = "resolved" | .alerts[0].endsAt = "2026-11-25T08:05:47Z"' "$P" > "$T/res.json"
cli simulate -o json -c "$T/runbookd.yaml" "$T/res.json"
check_match "after: noted in JSON" "$(jq -r '.alerts[0].matches[0].after' "$T/out")" \
  '^plans only if an action of errors-restart succeeded in the same alert episode'
cli simulate -c "$T/runbookd.yaml" "$T/res.json"
check_match "after: noted in the table" "$(cat "$T/out")" 'after: plans only if an action of errors-restart succeeded'
finish
