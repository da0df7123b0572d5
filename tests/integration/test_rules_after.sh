#!/usr/bin/env bash
# Rollbacks only after the mitigation ran (issue 17): an `on: resolved` rule with
# `after: RULE` plans only when an action of RULE succeeded for the same alert episode
# (or, with scope: incident, the same incident); otherwise its plan is skipped with the
# reason (gate after_not_met) in the timeline. Enforce mode, real processes.
source "$(dirname "$0")/../lib.sh"
REC=$RBD_TESTS/scripts/record.sh
LOG=$T/exec.log
: > "$LOG"

# payload NAME KEY STATUS SERVICE -> file; one alert, its own group per NAME+SERVICE
payload() {
  local f="$T/p-$1-$2-$3-$4.json"
  jq --arg n "$1" --arg fp "$(fp "$2")" --arg st "$3" --arg svc "$4" '
    .status = $st | .alerts[0].status = $st | .alerts[0].fingerprint = $fp
    | .alerts[0].labels.alertname = $n | .alerts[0].labels.service = $svc
    | .alerts[0].endsAt = (if $st == "resolved" then "2026-11-25T08:05:47Z" else "0001-01-01T00:00:00Z" end)
    | .groupLabels = {alertname: $n, service: $svc}
    | .groupKey = "{}:{alertname=\"\($n)\", service=\"\($svc)\"}"' \
    "$FIX/firing-high-error-rate.json" > "$f"
  echo "$f"
}
action_of() {  # action_of RULE KEY -> id
  sql "select a.id from actions a join alerts e on e.id = a.alert_id where a.rule = '$1' and e.fingerprint = '$(fp "$2")' order by a.id desc limit 1"
}
runs() { grep -c "^$1" "$LOG"; }

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: limit-writes
    description: "mitigation, approved first (runbook 2.1)"
    matchers: [ 'alertname = "Errors"' ]
    action: flag
    params: { to: "off" }
    approval: true
  - name: restore-writes
    description: "rollback of limit-writes (runbook 2.1)"
    matchers: [ 'alertname = "Errors"' ]
    on: resolved
    after: limit-writes
    action: flag
    params: { to: "on" }
  - name: restore-any
    description: "rollback scoped to the incident (runbook 2.1)"
    matchers: [ 'alertname = "Errors"', 'service = "mysql"' ]
    on: resolved
    after: [limit-writes]
    scope: incident
    action: flag
    params: { to: "again" }
YAML
write_config enforce "$T/rules.yaml" <<YAML
actions:
  flag:
    run: [$REC, $LOG, "0", "0", flag, "{{ .Params.to }}"]
    params:
      to: { one_of: ["off", "on", "again"] }
    timeout: 10s
YAML
"$RBD_BIN" check -c "$T/runbookd.yaml" >"$T/check.out" 2>&1
check "config with after: and scope: passes check" "$?" 0
check "no warning for on: resolved rules that name what they follow" "$(grep -c warning "$T/check.out")" 0
start_rbd || exit 1

# --- the mitigation never ran (cancelled: the alert resolved while it waited)
post_fixture "$(payload Errors c1 firing app)" >/dev/null
mid=$(action_of limit-writes c1)
check "mitigation waits for approval" "$(wait_state "$mid" pending_approval)" pending_approval
post_fixture "$(payload Errors c1 resolved app)" >/dev/null
check "resolved: mitigation cancelled" "$(wait_state "$mid" cancelled)" cancelled
rid=$(action_of restore-writes c1)
check "rollback recorded once" "$([ -n "$rid" ] && echo yes)" yes
check "rollback skipped" "$(wait_state "$rid" skipped)" skipped
r=$(api GET "/api/v1/actions/$rid" "$VIEWER")
check_match "rollback reason names the mitigation and its state" "$(echo "$r" | jq -r .action.reason)" \
  '^after_not_met: limit-writes: action cancelled in this alert episode'
inc=$(echo "$r" | jq -r .action.incident_id)
ev=$(api GET "/api/v1/incidents/$inc/timeline" "$VIEWER" | jq -c --argjson id "$rid" \
  '[.events[] | select(.action_id == $id and .kind == "action.skipped") | .detail.gate]')
check "timeline: action.skipped with gate after_not_met" "$ev" '["after_not_met"]'
sleep 0.3
check "nothing ran: neither mitigation nor rollback" "$(wc -l < "$LOG")" 0

# --- the mitigation succeeded: the rollback is planned and runs
post_fixture "$(payload Errors s1 firing app)" >/dev/null
mid=$(action_of limit-writes s1)
check "second mitigation waits" "$(wait_state "$mid" pending_approval)" pending_approval
api POST "/api/v1/actions/$mid/approve" "$OPERATOR" >/dev/null
check "mitigation succeeded" "$(wait_state "$mid" succeeded)" succeeded
post_fixture "$(payload Errors s1 resolved app)" >/dev/null
rid=$(action_of restore-writes s1)
check "rollback planned and ran" "$(wait_state "$rid" succeeded)" succeeded
check "rollback has no skip reason" "$(api GET "/api/v1/actions/$rid" "$VIEWER" | jq -r .action.reason)" null
check "ran: mitigation then rollback, once each" "$(tr '\n' ' ' < "$LOG")" "flag off flag on "

# --- episode scope: a success in another episode of the same incident does not count;
#     scope: incident accepts it
post_fixture "$(payload Errors m1 firing mysql)" >/dev/null
m1=$(action_of limit-writes m1)
check "m1 mitigation waits" "$(wait_state "$m1" pending_approval)" pending_approval
api POST "/api/v1/actions/$m1/approve" "$OPERATOR" >/dev/null
check "m1 mitigation succeeded" "$(wait_state "$m1" succeeded)" succeeded
# A second alert (own episode) in the same group; resolved before its own mitigation ran.
f=$(payload Errors m2 firing mysql)
jq '.alerts += [.alerts[0] | .fingerprint = "'"$(fp m1)"'"] | .alerts[0].labels.instance = "m2"' "$f" > "$T/two.json"
post_fixture "$T/two.json" >/dev/null
m2=$(action_of limit-writes m2)
check "m2 mitigation waits" "$(wait_state "$m2" pending_approval)" pending_approval
jq '.alerts[0].status = "resolved" | .alerts[0].endsAt = "2026-11-25T08:05:47Z"' "$T/two.json" > "$T/two-r.json"
post_fixture "$T/two-r.json" >/dev/null
check "m2 mitigation cancelled" "$(wait_state "$m2" cancelled)" cancelled
check "episode scope: m2's rollback skipped although m1's mitigation succeeded" \
  "$(wait_state "$(action_of restore-writes m2)" skipped)" skipped
check "incident scope: m2's rollback accepts m1's success" \
  "$(wait_state "$(action_of restore-any m2)" succeeded)" succeeded
stop_rbd
finish
