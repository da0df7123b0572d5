#!/usr/bin/env bash
# What runbookd sends out: http actions (fixed scheme/host/port, no redirects,
# timeouts), Alertmanager silences against a real Alertmanager, reconciliation of
# alerts Alertmanager no longer holds, and notify.url messages. Ingest stays
# independent of a hung downstream.
source "$(dirname "$0")/../lib.sh"

python3 "$RBD_TESTS/scripts/http-echo.py" > "$T/echo.port" 2>"$T/echo.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/echo.port" ] && break; sleep 0.05; done
ECHO="http://127.0.0.1:$(head -1 "$T/echo.port")"
AM_WATCH_PID=$$ bash "$RBD_TESTS/scripts/alertmanager-start.sh" "$T/am" >/dev/null || { echo "alertmanager did not start"; exit 1; }
PIDS+=("$(cat "$T/am/pid")")
AM="http://127.0.0.1:$(cat "$T/am/port")"

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: writes-off
    description: "limit writes (runbook 2.1)"
    matchers: [ 'alertname = "HttpAct"' ]
    action: flag_writes_off
    params: { service: "{{ .Labels.service }}" }
  - name: hung-downstream
    description: "a downstream that never answers (runbook 2.1)"
    matchers: [ 'alertname = "Hung"' ]
    action: slow_call
  - name: redirected
    description: "a downstream that redirects (runbook 2.1)"
    matchers: [ 'alertname = "Redirect"' ]
    action: redirect_call
  - name: silence-it
    description: "silence the alert (runbook 2.5)"
    matchers: [ 'alertname = "Silence"' ]
    action: silence_alert
  - name: needs-approval
    description: "restart after approval (runbook 2.1)"
    matchers: [ 'alertname = "Approve"' ]
    action: flag_writes_off
    params: { service: "{{ .Labels.service }}" }
    approval: true
YAML
write_config enforce "$T/rules.yaml" <<YAML
actions:
  flag_writes_off:
    http:
      method: POST
      url: $ECHO/hook/flags/{{ .Params.service }}?incident={{ .IncidentID }}
      body: '{"enabled": false, "reason": "runbookd {{ .Rule }} incident {{ .IncidentID }}"}'
    params:
      service: { one_of: [order-api, payment-api] }
    timeout: 5s
  slow_call:
    http:
      method: GET
      url: $ECHO/slow?s=20
    timeout: 1s
  redirect_call:
    http:
      method: GET
      url: $ECHO/redirect
    timeout: 5s
  silence_alert:
    silence:
      labels: [alertname, service]
      duration: 1h
alertmanager:
  url: $AM
  poll: 1s
notify:                       # the single-mapping form, with the events it wants
  url: $ECHO/hook/notify
  events: [pending_approval, succeeded]
YAML
start_rbd || exit 1

payload() {  # payload NAME KEY SERVICE [STATUS]
  local f="$T/p-$1-$2.json" st=${4:-firing}
  jq --arg n "$1" --arg fp "${FP:-$(fp "$2")}" --arg svc "$3" --arg st "$st" '
    .status = $st | .alerts[0].status = $st | .alerts[0].fingerprint = $fp
    | .alerts[0].labels.alertname = $n | .alerts[0].labels.service = $svc
    | .groupLabels = {alertname: $n, service: $svc}
    | .groupKey = "{}:{alertname=\"\($n)\", service=\"\($svc)\"}"' \
    "$FIX/firing-high-error-rate.json" > "$f"
  echo "$f"
}
action_of() { sql "select a.id from actions a join alerts e on e.id = a.alert_id where a.rule = '$1' and e.fingerprint = '${FP:-$(fp "$2")}' order by a.id desc limit 1"; }
hooks() { curl -s "$ECHO/hooks"; }

# --- http action: the rendered request, exactly once
post_fixture "$(payload HttpAct h1 order-api)" >/dev/null
id=$(action_of writes-off h1)
check "http action succeeded" "$(wait_state "$id" succeeded)" succeeded
r=$(api GET "/api/v1/actions/$id" "$VIEWER")
check "result is the HTTP status" "$(echo "$r" | jq -r .action.result)" "HTTP 200"
inc=$(echo "$r" | jq -r .action.incident_id)
h=$(hooks | jq -c "[.[] | select(.path | startswith(\"/hook/flags\"))]")
check "one request reached the downstream" "$(echo "$h" | jq length)" 1
check "request path and query rendered" "$(echo "$h" | jq -r '.[0].path')" "/hook/flags/order-api?incident=$inc"
check "request body rendered" "$(echo "$h" | jq -r '.[0].body' | jq -c .)" "{\"enabled\":false,\"reason\":\"runbookd writes-off incident $inc\"}"

# --- a redirect is not followed: the action fails with the 302
post_fixture "$(payload Redirect r1 order-api)" >/dev/null
id=$(action_of redirected r1)
check "redirect not followed" "$(wait_state "$id" failed)" failed
check "302 recorded" "$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r .action.result)" "HTTP 302"

# --- a hung downstream times out, and ingest answers meanwhile
post_fixture "$(payload Hung g1 order-api)" >/dev/null
id=$(action_of hung-downstream g1)
check "hung call is running" "$(wait_state "$id" running)" running
post_fixture "$(payload HttpAct h2 payment-api)" >/dev/null
check "ingest answers while a call hangs" "$(status)" 200
check "hung call timed out" "$(wait_state "$id" timed_out)" timed_out

# --- silence in the real Alertmanager
post_fixture "$(payload Silence s1 order-api)" >/dev/null
id=$(action_of silence-it s1)
check "silence action succeeded" "$(wait_state "$id" succeeded)" succeeded
sid=$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r .action.result | sed 's/^silence //')
s=$(curl -s "$AM/api/v2/silence/$sid")
check "silence exists with the alert's labels" "$(echo "$s" | jq -c '[.status.state, ([.matchers[] | "\(.name)=\(.value)"] | sort), .createdBy]')" '["active",["alertname=Silence","service=order-api"],"runbookd"]'
check_match "amtool sees it" "$(amtool silence query --alertmanager.url="$AM" -o simple 2>&1)" "$sid"

# --- reconciliation: an alert Alertmanager holds stays firing; one it does not resolves
curl -s -XPOST -H 'Content-Type: application/json' "$AM/api/v2/alerts" \
  -d '[{"labels":{"alertname":"Held","service":"order-api"}}]' >/dev/null
held=""
for _ in $(seq 1 50); do
  held=$(curl -s "$AM/api/v2/alerts" | jq -r '.[] | select(.labels.alertname=="Held") | .fingerprint')
  [ -n "$held" ] && break; sleep 0.1
done
FP=$held post_fixture "$(FP=$held payload Held k1 order-api)" >/dev/null
post_fixture "$(payload Vanished v1 order-api)" >/dev/null
vinc=$(jq -r '.incident_ids[0]' "$T/body")
st=""
for _ in $(seq 1 80); do
  st=$(api GET "/api/v1/incidents/$vinc" "$VIEWER" | jq -r .incident.status)
  [ "$st" == resolved ] && break; sleep 0.1
done
check "alert gone from Alertmanager resolves its incident" "$st" resolved
check_match "reason in the timeline" "$(api GET "/api/v1/incidents/$vinc/timeline" "$VIEWER" | jq -r '.events[] | select(.kind=="alert.resolved") | .detail.reason')" 'no longer in Alertmanager'
check "alert Alertmanager holds stays firing" "$(sql "select status from alerts where fingerprint = '$held'")" firing

# --- notifications: pending approval with the curl command, finished actions
post_fixture "$(payload Approve a1 payment-api)" >/dev/null
id=$(action_of needs-approval a1)
wait_state "$id" pending_approval >/dev/null
n=""
for _ in $(seq 1 50); do
  n=$(hooks | jq -c "[.[] | select(.path==\"/hook/notify\") | .body | fromjson | select(.kind==\"action.pending_approval\")][0]")
  [ "$n" != null ] && break; sleep 0.1
done
check "pending approval notified" "$(echo "$n" | jq -r .action.id)" "$id"
check_match "with the approve command" "$(echo "$n" | jq -r .approve)" "^curl -X POST .*$BASE/api/v1/actions/$id/approve$"
check "no token in the notification" "$(hooks | grep -c "$OPERATOR")" 0
check_match "finished actions notified" "$(hooks | jq -r '.[] | select(.path=="/hook/notify") | .body | fromjson | .kind' | sort -u | tr '\n' ' ')" 'action.succeeded'
finish
