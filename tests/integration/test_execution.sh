#!/usr/bin/env bash
# Execution and gates end to end (THREATS.md rows): approval, reject, quorum, expiry,
# cancel on resolve, on: resolved, breaker trip and reset, pause/resume, cooldown,
# rate limit, the injection corpus, dry-run mode, and kill -9 while an action runs.
source "$(dirname "$0")/../lib.sh"
REC=$RBD_TESTS/scripts/record.sh
LOG=$T/exec.log
: > "$LOG"

# payload NAME FINGERPRINT STATUS SERVICE [STARTS] -> file path; one alert, group per NAME+SERVICE
payload() {
  local f="$T/p-$1-$2-$3.json" starts=${5:-2026-11-25T07:55:47.033226765Z}
  jq --arg n "$1" --arg fp "$(fp "$2")" --arg st "$3" --arg svc "$4" --arg s "$starts" '
    .status = $st | .alerts[0].status = $st | .alerts[0].fingerprint = $fp
    | .alerts[0].labels.alertname = $n | .alerts[0].labels.service = $svc
    | .alerts[0].startsAt = $s
    | .alerts[0].endsAt = (if $st == "resolved" then "2026-11-25T08:05:47Z" else "0001-01-01T00:00:00Z" end)
    | .groupLabels = {alertname: $n, service: $svc}
    | .groupKey = "{}:{alertname=\"\($n)\", service=\"\($svc)\"}"' \
    "$FIX/firing-high-error-rate.json" > "$f"
  echo "$f"
}
action_of() {  # action_of RULE FINGERPRINT -> id
  sql "select a.id from actions a join alerts e on e.id = a.alert_id where a.rule = '$1' and e.fingerprint = '$(fp "$2")' order by a.id desc limit 1"
}
runs() { grep -c "^$1" "$LOG"; }

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: approve-restart
    description: "restart after approval (runbook 2.1)"
    matchers: [ 'alertname = "Approve"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
  - name: quorum-restart
    description: "two operators (runbook 2.1)"
    matchers: [ 'alertname = "Quorum"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
    approvals: 2
  - name: verify-on-resolve
    description: "verification after resolve (runbook 2.1)"
    matchers: [ 'alertname = "Approve"' ]
    on: resolved
    action: verify
    params: { service: "{{ .Labels.service }}" }
  - name: flaky
    description: "breaker (runbook 2.2)"
    matchers: [ 'alertname = "Flaky"' ]
    action: fail
    params: { service: "{{ .Labels.service }}" }
    max_failures_per_hour: 2
  - name: cool
    description: "cooldown (runbook 2.2)"
    matchers: [ 'alertname = "Cool"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    cooldown: 10m
  - name: limited
    description: "rate limit (runbook 2.2)"
    matchers: [ 'alertname = "Limited"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    max_runs_per_hour: 2
  - name: slow
    description: "long action (runbook 2.2)"
    matchers: [ 'alertname = "Slow"' ]
    action: slow
    params: { service: "{{ .Labels.service }}" }
  - name: flood
    description: "an action that writes 1 GiB (runbook 2.6)"
    matchers: [ 'alertname = "Flood"' ]
    action: flood
  - name: inject
    description: "labels from the network (runbook 2.1)"
    matchers: [ 'alertname = "Inject"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
  - name: inject-pattern
    description: "labels from the network, pattern allowlist (runbook 2.1)"
    matchers: [ 'alertname = "Inject"' ]
    action: restart_any
    params: { service: "{{ .Labels.service }}" }
YAML
write_config enforce "$T/rules.yaml" <<YAML
limits:
  approval_ttl: 3s
  max_concurrent_actions: 2
  action_output_bytes: 65536
actions:
  restart:
    run: [$REC, $LOG, "0", "0", restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [app, mysql, redis, kafka, api1, api2, api3, api4, api5, api6] }
    timeout: 10s
  restart_any:
    run: [$REC, $LOG, "0", "0", restart_any, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z][a-z0-9-]{0,30}" }
    timeout: 10s
  verify:
    run: [$REC, $LOG, "0", "0", verify, "{{ .Params.service }}"]
    params:
      service: { one_of: [app, mysql] }
  fail:
    run: [$REC, $LOG, "1", "0", fail, "{{ .Params.service }}"]
    params:
      service: { pattern: "api[0-9]" }
  flood:
    run: [head, -c, "1073741824", /dev/zero]
    timeout: 60s
  slow:
    run: [$REC, $LOG, "0", "30", slow, "{{ .Params.service }}"]
    params:
      service: { one_of: [app] }
    timeout: 60s
YAML
start_rbd || exit 1

# --- approval: waits, the approver is recorded, the stored rendering runs once
post_fixture "$(payload Approve a1 firing app)" >/dev/null
id=$(action_of approve-restart a1)
check "restart waits for approval" "$(wait_state "$id" pending_approval)" pending_approval
sleep 0.3; check "nothing ran before approval" "$(runs restart)" 0
api POST "/api/v1/actions/$id/approve" "$VIEWER" >/dev/null; check "viewer cannot approve" "$(status)" 403
r=$(api POST "/api/v1/actions/$id/approve" "$OPERATOR" -d '{"comment":"go"}')
check "approve 200" "$(status)" 200
check "approver recorded" "$(echo "$r" | jq -r .action.decided_by)" alice
check "approved action succeeded" "$(wait_state "$id" succeeded)" succeeded
api POST "/api/v1/actions/$id/approve" "$OPERATOR2" >/dev/null; check "approve after run 409" "$(status)" 409
check "ran once with the stored argv" "$(grep -c '^restart app$' "$LOG")" 1
r=$(api GET "/api/v1/actions/$id" "$VIEWER")
check "exit code and output kept" "$(echo "$r" | jq -c '[.action.exit_code, .action.output]')" '[0,"ran restart app\n"]'

# --- on: resolved plans its own action; resolve after the run cancels nothing
post_fixture "$(payload Approve a1 resolved app)" >/dev/null
vid=$(action_of verify-on-resolve a1)
check "on: resolved rule ran" "$(wait_state "$vid" succeeded)" succeeded
check "verify ran once" "$(grep -c '^verify app$' "$LOG")" 1

# --- reject
post_fixture "$(payload Approve a2 firing mysql)" >/dev/null
id=$(action_of approve-restart a2); wait_state "$id" pending_approval >/dev/null
r=$(api POST "/api/v1/actions/$id/reject" "$OPERATOR2")
check "reject" "$(echo "$r" | jq -c '[.action.state, .action.decided_by]')" '["rejected","bob"]'
api POST "/api/v1/actions/$id/approve" "$OPERATOR" >/dev/null; check "approve after reject 409" "$(status)" 409
sleep 0.3; check "rejected never ran" "$(grep -c '^restart mysql$' "$LOG")" 0

# --- cancel on resolve
post_fixture "$(payload Approve a3 firing redis)" >/dev/null
id=$(action_of approve-restart a3); wait_state "$id" pending_approval >/dev/null
post_fixture "$(payload Approve a3 resolved redis)" >/dev/null
check "resolved alert cancels the wait" "$(wait_state "$id" cancelled)" cancelled
api POST "/api/v1/actions/$id/approve" "$OPERATOR" >/dev/null; check "approve cancelled 409" "$(status)" 409

# --- expiry
post_fixture "$(payload Approve a4 firing kafka)" >/dev/null
id=$(action_of approve-restart a4)
check "unanswered approval expires" "$(wait_state "$id" expired)" expired
api POST "/api/v1/actions/$id/approve" "$OPERATOR" >/dev/null; check "approve expired 409" "$(status)" 409
check "expired never ran" "$(grep -c '^restart kafka$' "$LOG")" 0

# --- quorum of distinct operators
post_fixture "$(payload Quorum q1 firing api1)" >/dev/null
id=$(action_of quorum-restart q1); wait_state "$id" pending_approval >/dev/null
r=$(api POST "/api/v1/actions/$id/approve" "$OPERATOR"); check "first of two approvals" "$(echo "$r" | jq -r .action.state)" pending_approval
api POST "/api/v1/actions/$id/approve" "$OPERATOR" >/dev/null; check "same operator twice 409" "$(status)" 409
r=$(api POST "/api/v1/actions/$id/approve" "$OPERATOR2"); check "second operator approves" "$(echo "$r" | jq -r .action.decided_by)" "alice,bob"
check "quorum action ran" "$(wait_state "$id" succeeded)" succeeded

# --- breaker: two failures trip it, the third is skipped, reset closes it
for n in 1 2; do
  post_fixture "$(payload Flaky f$n firing api$n)" >/dev/null
  check "flaky run $n failed" "$(wait_state "$(action_of flaky f$n)" failed)" failed
done
post_fixture "$(payload Flaky f3 firing api3)" >/dev/null
id=$(action_of flaky f3)
check "breaker open: skipped" "$(wait_state "$id" skipped)" skipped
check_match "reason circuit_open" "$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r .action.reason)" '^circuit_open'
check "rule shows tripped" "$(api GET /api/v1/rules "$VIEWER" | jq -r '.rules[] | select(.name=="flaky") | .tripped')" true
api POST /api/v1/rules/flaky/reset "$OPERATOR" >/dev/null
post_fixture "$(payload Flaky f4 firing api4)" >/dev/null
check "after reset it runs again" "$(wait_state "$(action_of flaky f4)" failed)" failed

# --- cooldown: same rendered command within 10m is skipped
post_fixture "$(payload Cool c1 firing app)" >/dev/null
check "first cooldown run" "$(wait_state "$(action_of cool c1)" succeeded)" succeeded
post_fixture "$(payload Cool c2 firing app)" >/dev/null
id=$(action_of cool c2)
check "second within cooldown skipped" "$(wait_state "$id" skipped)" skipped
check_match "reason cooldown" "$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r .action.reason)" '^cooldown'
post_fixture "$(payload Cool c3 firing mysql)" >/dev/null
check "another command is not in cooldown" "$(wait_state "$(action_of cool c3)" succeeded)" succeeded

# --- rate limit: max 2 runs per hour
for n in 1 2 3; do post_fixture "$(payload Limited l$n firing api$n)" >/dev/null; sleep 0.3; done
check "third run rate limited" "$(wait_state "$(action_of limited l3)" skipped)" skipped
check_match "reason rate_limited" "$(api GET "/api/v1/actions/$(action_of limited l3)" "$VIEWER" | jq -r .action.reason)" '^rate_limited'

# --- kill switch: plans wait while paused and run after resume
api POST /api/v1/pause "$OPERATOR" >/dev/null
post_fixture "$(payload Cool p1 firing redis)" >/dev/null
id=$(action_of cool p1)
sleep 1.5
check "paused: still planned" "$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r .action.state)" planned
check "paused: nothing ran" "$(grep -c '^restart redis$' "$LOG")" 0
api POST /api/v1/resume "$OPERATOR" >/dev/null
check "resumed: it runs" "$(wait_state "$id" succeeded)" succeeded

# --- injection corpus: every value refused, zero executions, each refusal in the timeline
before=$(wc -l < "$LOG")
i=0
while IFS= read -r v; do
  i=$((i + 1))
  f=$(payload Inject "i$i" firing x)
  jq --arg v "$v" '.alerts[0].labels.service = $v' "$f" > "$f.2"
  post_fixture "$f.2" >/dev/null
  [ "$(status)" == 200 ] || fail "corpus value $i not accepted: $(status)"
done < <(printf '%s\n' 'app;id' 'app|id' 'app&id' '$(id)' '`id`' 'app id' '*' '../etc' "app'x" 'app"x' '-rf' '--config=/x' '@/etc/passwd' '-' 'a$HOME' "$(head -c 4096 /dev/zero | tr '\0' a)")
printf '%s' '{"x":"app\nid"}' | jq -r .x > /dev/null
f=$(payload Inject inl firing x); jq '.alerts[0].labels.service = "app\nrm -rf /"' "$f" > "$f.2"; post_fixture "$f.2" >/dev/null
sleep 1
check "corpus: zero executions" "$(( $(wc -l < "$LOG") - before ))" 0
check "corpus: every plan skipped" "$(sql "select count(*) from actions where rule like 'inject%' and state = 'skipped' and reason like 'param_refused%'")" "$(( (i + 1) * 2 ))"
check "corpus: refusals in the timeline" "$(sql "select count(*) from events e join actions a on a.id = e.action_id where a.rule like 'inject%' and e.kind = 'action.skipped' and e.detail like '%param_refused%'")" "$(( (i + 1) * 2 ))"

# --- output flood: 1 GiB from a child; the stored output is the cap, memory stays flat
post_fixture "$(payload Flood o1 firing app)" >/dev/null
id=$(action_of flood o1)
check "flood action finished" "$(wait_state "$id" succeeded)" succeeded
r=$(api GET "/api/v1/actions/$id" "$VIEWER")
check "stored output is exactly the cap" "$(echo "$r" | jq '.action.output | length')" 65536
check_match "the cap is noted" "$(echo "$r" | jq -r .action.result)" 'output capped at 65536 of 1073741824 bytes'
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$RBD_PID/status")
check "service peak memory stayed under 256 MiB (${hwm} kB)" "$(( hwm < 262144 ))" 1

# --- kill -9 while an action runs: interrupted after restart, ran exactly once
post_fixture "$(payload Slow s1 firing app)" >/dev/null
id=$(action_of slow s1)
check "slow action running" "$(wait_state "$id" running)" running
kill -9 "$RBD_PID"; wait "$RBD_PID" 2>/dev/null
start_rbd || exit 1
check "running action becomes interrupted" "$(wait_state "$id" interrupted)" interrupted
post_fixture "$(payload Slow s1 firing app)" >/dev/null
sleep 1
check "interrupted action is never re-run" "$(grep -c '^slow app$' "$LOG")" 1
check "interrupted event recorded" "$(sql "select count(*) from events where kind='action.interrupted' and action_id=$id")" 1
pkill -f "record.sh $LOG 0 30" 2>/dev/null

# --- the whole rule set in dry-run mode: zero processes
stop_rbd
sed -i 's/^mode: enforce/mode: dry-run/' "$T/runbookd.yaml"
start_rbd || exit 1
before=$(wc -l < "$LOG")
for n in Approve Quorum Flaky Cool Limited Slow Inject; do post_fixture "$(payload $n dry-$n firing app)" >/dev/null; done
sleep 1
check "dry-run: zero executions" "$(( $(wc -l < "$LOG") - before ))" 0
check "dry-run: recorded with argv" "$(sql "select count(*) from actions a join alerts e on e.id=a.alert_id where e.fingerprint in ($(for n in Approve Quorum Flaky Cool Limited Slow Inject; do printf "'%s'," "$(fp dry-$n)"; done)'') and a.state='dry_run' and a.rendered like '%argv%'")" 7
finish
