#!/usr/bin/env bash
# The report says why: approval and rejection comments with who and the quorum,
# when a pending approval expires, the alerts' summary/description quoted with the
# runbook_url linked, notes filed under impact/action/next, kill-switch comments,
# multi-line notes rendered as typed, the incident link on external_url; en and ko,
# as cmark renders them, the same bytes from the API and `runbookd export`.
source "$(dirname "$0")/../lib.sh"

EXT="https://runbookd.example.com"
cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: restart-two-keys
    description: "restart after two approvals (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
    approvals: 2
  - name: flag-off
    description: "writes off (runbook 2.2)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: flag
    approval: true
  - name: waits
    description: "left waiting (runbook 2.3)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: flag
    approval: true
YAML
write_config enforce "$T/rules.yaml" <<YAML
external_url: $EXT
limits:
  approval_ttl: 30m
actions:
  restart:
    run: [echo, restart, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z-]+" }
  flag:
    run: [echo, flag]
YAML
start_rbd || exit 1

jq '.alerts[0].annotations.description = "payment-api 5xx at 25%"
    | .alerts[0].annotations.runbook_url = "https://wiki.example.com/runbook#2.1"' \
  "$FIX/firing-high-error-rate.json" > "$T/alert.json"
post_fixture "$T/alert.json" >/dev/null
check "alert accepted" "$(status)" 200
inc=$(jq -r '.incident_ids[0]' "$T/body")
aid() { sql "select id from actions where rule = '$1'"; }
A=$(aid restart-two-keys); F=$(aid flag-off); W=$(aid waits)
check "three pending" "$(wait_state "$W" pending_approval)" pending_approval

api POST "/api/v1/actions/$A/approve" "$OPERATOR" -d '{"comment":"app pods wedged, restart is safe"}' >/dev/null
api POST "/api/v1/actions/$A/approve" "$OPERATOR2" -d '{"comment":"agreed"}' >/dev/null
check "second key approves" "$(status)" 200
api POST "/api/v1/actions/$F/reject" "$OPERATOR" -d '{"comment":"writes are fine, not needed"}' >/dev/null
check "rejected" "$(status)" 200
api POST /api/v1/pause "$OPERATOR" -d '{"comment":"deploy in progress, hold everything"}' >/dev/null
check "paused with a comment" "$(status)" 200
api POST /api/v1/resume "$OPERATOR" -d '{"comment":"deploy done"}' >/dev/null
check "resumed with a comment" "$(status)" 200
note() { api POST "/api/v1/incidents/$inc/notes" "$OPERATOR" --data-binary "$1" >/dev/null; status; }
check "impact note" "$(note '{"text":"checkout failing for 25% of users","section":"impact"}')" 201
check "action note" "$(note '{"text":"rolled back to v41","section":"action"}')" 201
check "next note" "$(note '{"text":"add a canary for payment_api","section":"next"}')" 201
check "multi-line note" "$(note '{"text":"first line with snake_case and a*b\n- not a list\n## not a heading\n===\nlast line"}')" 201
check "unknown section refused" "$(note '{"text":"x","section":"blame"}')" 400
check_match "the refusal names the sections" "$(cat "$T/body")" 'impact, action or next'
check "note section in the timeline" "$(api GET "/api/v1/incidents/$inc/timeline" "$VIEWER" | jq -c '[.events[] | select(.kind=="note.added") | .detail.section]')" '["impact","action","next",null]'
check "pause comment in the timeline" "$(api GET "/api/v1/incidents/$inc/timeline" "$VIEWER" | jq -c '[.events[] | select(.kind | startswith("system.")) | .detail.comment]')" '["deploy in progress, hold everything","deploy done"]'

for lang in en ko; do
  api GET "/api/v1/incidents/$inc/timeline?format=md&lang=$lang" "$VIEWER" > "$T/$lang.md"
  "$RBD_BIN" export -c "$T/runbookd.yaml" --incident "$inc" --format md --lang "$lang" > "$T/$lang.cli.md"
  check "$lang: API and CLI give the same bytes" "$(cmp -s "$T/$lang.md" "$T/$lang.cli.md" && echo same)" same
  cmark "$T/$lang.md" > "$T/$lang.html"
done
H=$T/en.html
sec() { sed -n "/<h2>$1<\/h2>/,/<h2>/p" "$2"; }
check_match "incident link on external_url" "$(head -20 "$H")" "<a href=\"$EXT/ui/incidents/$inc\">"
check_match "symptom quotes summary and description" "$(sec Symptom "$H" | tr "\n" " ")" '5xx rate above 5%<br /> *payment-api 5xx at 25%'
check_match "symptom links runbook_url" "$(sec Symptom "$H")" '<a href="https://wiki.example.com/runbook#2.1">'
check_match "quorum 2/2 with who" "$(sec Actions "$H")" "approved by (alice,bob|bob,alice) \(2/2\)"
check_match "approval comments with who" "$(sec Actions "$H" | tr '\n' ' ')" 'alice approved: app pods wedged, restart is safe.*bob approved: agreed'
check_match "rejection comment with who" "$(sec Actions "$H")" 'alice rejected: writes are fine, not needed'
check_match "pending shows quorum and expiry" "$(sec Actions "$H")" 'awaiting approval \(0/2\)|awaiting approval \(0/1\), expires at [0-9:]+'
check_match "kill switch comments" "$(sec Actions "$H" | tr '\n' ' ')" 'Kill switch: on \(alice\): deploy in progress, hold everything.*Kill switch: off \(alice\): deploy done'
check_match "impact note under Impact" "$(sec Impact "$H")" 'checkout failing for 25% of users'
check_match "action note under Actions" "$(sec Actions "$H")" 'rolled back to v41'
check_match "next note under Follow-ups" "$(sec Follow-ups "$H")" 'Next steps.*|add a canary for payment_api'
check "impact note not elsewhere" "$(sec Follow-ups "$H" | grep -c 'checkout failing')" 0
ml=$(sec Follow-ups "$H" | tr '\n' '~')
check_match "multi-line note keeps its line breaks" "$ml" 'first line with snake_case and a\*b<br />~- not a list<br />~## not a heading<br />~===<br />~last line'
check "no stray backslashes in the rendered note" "$(echo "$ml" | grep -c '\\')" 0
check "the note opened no heading or list" "$(grep -c -e '<h2>not a heading' -e '<li>not a list' -e '<h1>first' "$H")" 0
K=$T/ko.html
check_match "ko: quorum" "$(sec 조치 "$K")" '승인자 (alice,bob|bob,alice) \(2/2\)'
check_match "ko: comments" "$(sec 조치 "$K")" 'alice 거부: writes are fine, not needed'
check_match "ko: kill switch" "$(sec 조치 "$K")" '킬 스위치: 켜짐 \(alice\): deploy in progress'
check_match "ko: next note" "$(sec 다음 "$K")" '다음 단계'
check_match "ko: multi-line note" "$(sec 다음 "$K" | tr '\n' '~')" 'snake_case and a\*b<br />~- not a list'
finish
