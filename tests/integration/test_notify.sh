#!/usr/bin/env bash
# Notifications people act on: notify targets (json and slack), links on
# external_url (never a wildcard address), the approve curl naming $RUNBOOKD_TOKEN,
# header values from a file that reach the receiver and nowhere else, events per
# target, bounded retries against a dead receiver (counted), ingest not slowed; and
# secret headers on http actions, shown <redacted> everywhere.
source "$(dirname "$0")/../lib.sh"

python3 "$RBD_TESTS/scripts/http-echo.py" > "$T/echo.port" 2>"$T/echo.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/echo.port" ] && break; sleep 0.05; done
ECHO="http://127.0.0.1:$(head -1 "$T/echo.port")"
EXT="https://runbookd.example.com/ops"
(umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/hook.secret")
(umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/grafana.secret")
HOOK_SECRET=$(cat "$T/hook.secret"); GRAFANA_SECRET=$(cat "$T/grafana.secret")

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: annotate-approved
    description: "annotate after two approvals (runbook 2.1)"
    matchers: [ 'alertname = "Approve"' ]
    action: annotate
    approval: true
    approvals: 2
  - name: flaky
    description: "a downstream that fails (runbook 2.1)"
    matchers: [ 'alertname = "Fail"' ]
    action: broken
    max_failures_per_hour: 1
YAML
write_config enforce "$T/rules.yaml" <<YAML
external_url: $EXT/
actions:
  annotate:
    http:
      method: POST
      url: $ECHO/hook/grafana/api/annotations
      body: '{"text": "runbookd {{ .Rule }} incident {{ .IncidentID }}"}'
      headers:
        Authorization: { file: $T/grafana.secret }
    timeout: 5s
  broken:
    http:
      method: POST
      url: $ECHO/status/500
    timeout: 5s
notify:
  - url: $ECHO/hook/slack
    format: slack
    headers:
      X-Hook-Key: { file: $T/hook.secret }
    events: [pending_approval, approved, failed, breaker_tripped, incident_resolved]
  - url: $ECHO/hook/json
  - url: $ECHO/hook/fail/down
    events: [pending_approval]
YAML
start_rbd || exit 1

payload() {  # payload NAME KEY [STATUS]
  local f="$T/p-$1-$2-${3:-firing}.json" st=${3:-firing}
  jq --arg n "$1" --arg fp "$(fp "$2")" --arg st "$st" '
    .status = $st | .alerts[0].status = $st | .alerts[0].fingerprint = $fp
    | .alerts[0].labels.alertname = $n
    | (if $st == "resolved" then .alerts[0].endsAt = "2026-11-25T08:10:00Z" else . end)
    | .groupLabels = {alertname: $n}
    | .groupKey = "{}:{alertname=\"\($n)\"}"' \
    "$FIX/firing-high-error-rate.json" > "$f"
  echo "$f"
}
hooks() { curl -s "$ECHO/hooks"; }
# wait_hook JQ_FILTER: polls until the filter over the recorded hooks is non-empty.
wait_hook() {
  local r=""
  for _ in $(seq 1 100); do
    r=$(hooks | jq -c "$1")
    [ -n "$r" ] && [ "$r" != null ] && [ "$r" != "[]" ] && break
    sleep 0.1
  done
  echo "$r"
}

# --- a pending approval reaches every target that asks for it
post_fixture "$(payload Approve a1)" >/dev/null
check "ingest answers" "$(status)" 200
inc=$(jq -r '.incident_ids[0]' "$T/body")
id=$(sql "select id from actions where rule = 'annotate-approved'")
check "action waits for approval" "$(wait_state "$id" pending_approval)" pending_approval
s=$(wait_hook '[.[] | select(.path=="/hook/slack") | .body | fromjson | select(.text | test("wants to run"))][0]')
check "slack message has text and blocks" "$(echo "$s" | jq -r '(.text | type) + " " + (.blocks | type)')" "string array"
check_match "slack text links the incident on external_url" "$(echo "$s" | jq -r .text | head -1)" "$EXT/ui/incidents/$inc\$"
check "slack text carries the approve curl (Mattermost shows only the text)" "$(echo "$s" | jq -r .text | sed -n 2p)" "Approve: \`curl -X POST -H \"Authorization: Bearer \$RUNBOOKD_TOKEN\" $EXT/api/v1/actions/$id/approve\`"
check "slack header names the incident" "$(echo "$s" | jq -r '.blocks[0].text.text')" "Incident #$inc: $(api GET "/api/v1/incidents/$inc" "$VIEWER" | jq -r .incident.title)"
blocks=$(echo "$s" | jq -r '[.blocks[] | .text.text] | join("\n")')
check_match "slack shows the exact command" "$blocks" "POST $ECHO/hook/grafana/api/annotations"
check_match "slack shows the gate" "$blocks" 'Gate:\* approval: 2 operators must approve'
check_match "slack links incident and approvals" "$blocks" "<$EXT/ui/incidents/$inc\\|Incident #$inc>.*<$EXT/ui/approvals\\|Pending approvals>"
check_match "slack has the approve curl naming \$RUNBOOKD_TOKEN" "$blocks" "curl -X POST -H \"Authorization: Bearer \\\$RUNBOOKD_TOKEN\" $EXT/api/v1/actions/$id/approve"
check "header value from a file reached the receiver" "$(hooks | jq -r '[.[] | select(.path=="/hook/slack")][0].headers["x-hook-key"]')" "$HOOK_SECRET"
check "the json target has no such header" "$(hooks | jq -r '[.[] | select(.path=="/hook/json")][0].headers["x-hook-key"]')" null
j=$(wait_hook '[.[] | select(.path=="/hook/json") | .body | fromjson | select(.kind=="action.pending_approval")][0]')
check "json keeps its shape" "$(echo "$j" | jq -c '[.kind, .incident_id, .action.id, (.approve|type), (.reject|type), (.text|type)]')" "[\"action.pending_approval\",$inc,$id,\"string\",\"string\",\"string\"]"
check "json approve command on external_url" "$(echo "$j" | jq -r .approve)" "curl -X POST -H \"Authorization: Bearer \$RUNBOOKD_TOKEN\" $EXT/api/v1/actions/$id/approve"
check "json links the console page" "$(echo "$j" | jq -r .links.incident)" "$EXT/ui/incidents/$inc"
check "json links the API too" "$(echo "$j" | jq -r .links.incident_api)" "$EXT/api/v1/incidents/$inc"

# --- the dead receiver: three attempts, then counted as a failure; ingest unaffected
slow=0
for k in 1 2 3 4 5 6 7 8; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $INGEST" \
      -H 'Content-Type: application/json' --data-binary @"$(payload Other "o$k")" "$BASE/api/v1/alerts")
  awk -v t="$t" 'BEGIN { exit !(t > 1.0) }' && slow=$((slow + 1))
done
check "ingest stays fast while the dead receiver is retried" "$slow" 0
m=""
for _ in $(seq 1 100); do
  m=$(curl -s "$BASE/metrics" | grep '^runbookd_notify_failures_total{target="2"}' | awk '{print $2}')
  [ "$m" == 1 ] && break; sleep 0.1
done
check "the failure is counted" "$m" 1
check "the dead receiver got exactly three attempts" "$(hooks | jq '[.[] | select(.path=="/hook/fail/down")] | length')" 3
check "attempts counted" "$(curl -s "$BASE/metrics" | grep '^runbookd_notify_attempts_total{target="2"}' | awk '{print $2}')" 3
check_match "the failure is logged" "$(cat "$T/runbookd.log")" 'level=warn msg="notification refused by the receiver" target=2 kind=action.pending_approval status=503'

# --- two approvals: approved is notified with who decided; the http action carries its secret header
api POST "/api/v1/actions/$id/approve" "$OPERATOR" -d '{"comment":"looks right"}' >/dev/null
api POST "/api/v1/actions/$id/approve" "$OPERATOR2" >/dev/null
check "quorum reached" "$(status)" 200
check "annotation written" "$(wait_state "$id" succeeded)" succeeded
g=$(wait_hook '[.[] | select(.path=="/hook/grafana/api/annotations")][0]')
check "secret header reached the downstream" "$(echo "$g" | jq -r '.headers.authorization')" "$GRAFANA_SECRET"
a=$(wait_hook '[.[] | select(.path=="/hook/slack") | .body | fromjson | select(.text | test("was approved"))][0]')
check_match "slack names who decided" "$(echo "$a" | jq -r '[.blocks[] | .text.text] | join("\n")')" 'Decided by:\* (alice,bob|bob,alice)'
check "rendering shows the header redacted" "$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -c .action.request.headers)" '{"Authorization":"<redacted>"}'
for what in "/api/v1/actions/$id" "/api/v1/incidents/$inc" "/api/v1/incidents/$inc/timeline?format=json" \
            "/api/v1/incidents/$inc/timeline?format=md" "/api/v1/incidents/$inc/timeline?format=csv" "/api/v1/actions"; do
  check "no secret in $what" "$(api GET "$what" "$VIEWER" | grep -c -e "$GRAFANA_SECRET" -e "$HOOK_SECRET")" 0
done
check "no secret in the database" "$(grep -c -a -e "$GRAFANA_SECRET" -e "$HOOK_SECRET" "$T/runbookd.db" "$T"/runbookd.db-wal 2>/dev/null | awk -F: '{s+=$2} END {print s+0}')" 0
check "no secret in the log" "$(grep -c -e "$GRAFANA_SECRET" -e "$HOOK_SECRET" "$T/runbookd.log")" 0

# --- the incident resolves after an action ran: notified with the actions taken
post_fixture "$(payload Approve a1 resolved)" >/dev/null
r=$(wait_hook "[.[] | select(.path==\"/hook/slack\") | .body | fromjson | select(.text | test(\"incident #$inc .*resolved after 1 action\"))][0]")
check_match "resolved with actions taken" "$(echo "$r" | jq -r '[.blocks[] | .text.text] | join("\n")')" "#$id .*: succeeded"
rj=$(wait_hook "[.[] | select(.path==\"/hook/json\") | .body | fromjson | select(.kind==\"incident.resolved\")][0]")
check "json target (default events) gets incident_resolved" "$(echo "$rj" | jq -c '[.incident_id, [.actions[].id]]')" "[$inc,[$id]]"

# --- a failure trips the breaker: failed and breaker_tripped notified; succeeded is not (not asked for)
post_fixture "$(payload Fail f1)" >/dev/null
fid=$(sql "select id from actions where rule = 'flaky'")
check "failing action failed" "$(wait_state "$fid" failed)" failed
t=$(wait_hook '[.[] | select(.path=="/hook/slack") | .body | fromjson | select(.text | test("tripped its circuit breaker"))][0]')
check_match "breaker tripped notified" "$(echo "$t" | jq -r .text)" 'rule flaky tripped'
check "failed notified" "$(hooks | jq '[.[] | select(.path=="/hook/json") | .body | fromjson | select(.kind=="action.failed")] | length')" 1
check "succeeded is not a default event" "$(hooks | jq '[.[] | select(.path=="/hook/json") | .body | fromjson | select(.kind=="action.succeeded")] | length')" 0
check "no token anywhere in the notifications" "$(hooks | grep -c -e "$OPERATOR" -e "$OPERATOR2" -e "$INGEST" -e "$VIEWER")" 0

# --- a wildcard listen address without external_url: no link on 0.0.0.0, the curl names
# $RUNBOOKD_URL; and an approval nobody gives expires: notified (a default event), and
# the report says when
stop_rbd
sed -i -e 's|^listen: .*|listen: 0.0.0.0:0|' -e '/^external_url:/d' "$T/runbookd.yaml"
printf 'limits:\n  approval_ttl: 2s\n' >> "$T/runbookd.yaml"
start_rbd || exit 1
post_fixture "$(payload Approve a2)" >/dev/null
id2=$(sql "select max(id) from actions where rule = 'annotate-approved'")
j2=$(wait_hook "[.[] | select(.path==\"/hook/json\") | .body | fromjson | select(.kind==\"action.pending_approval\" and .action.id==$id2)][0]")
check "curl names \$RUNBOOKD_URL" "$(echo "$j2" | jq -r .approve)" "curl -X POST -H \"Authorization: Bearer \$RUNBOOKD_TOKEN\" \$RUNBOOKD_URL/api/v1/actions/$id2/approve"
check "no links without a base" "$(echo "$j2" | jq -r .links)" null
check "never a wildcard link" "$(hooks | grep -c '0\.0\.0\.0')" 0
check "unanswered approval expires" "$(wait_state "$id2" expired)" expired
e=$(wait_hook "[.[] | select(.path==\"/hook/json\") | .body | fromjson | select(.kind==\"action.expired\" and .action.id==$id2)][0]")
check "expiry notified" "$(echo "$e" | jq -r .action.state)" expired
check_match "expiry logged" "$(cat "$T/runbookd.log")" "level=warn msg=\"approval expired\" action_id=$id2"
inc2=$(echo "$e" | jq -r .incident_id)
check_match "the report says when it expired" "$(api GET "/api/v1/incidents/$inc2/timeline?format=md" "$VIEWER" | grep -F "(#$id2)" -A4 | grep Approval)" "not given .*\(0/2\), expired at [0-9]{2}:[0-9]{2}:[0-9]{2}"
finish
