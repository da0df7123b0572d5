#!/usr/bin/env bash
# Signals against the running service (SPEC "Semantics"): SIGHUP reloads config and
# rules, and a reload that fails validation keeps the old ones live, logs why
# (FILE:LINE) and counts the failure in /metrics; SIGTERM stops accepting, lets the
# running action finish, records it `succeeded` and exits 0.
source "$(dirname "$0")/../lib.sh"
REC=$RBD_TESTS/scripts/record.sh
LOG=$T/exec.log
: > "$LOG"

# payload NAME KEY -> file: one firing alert NAME, its own fingerprint and group
payload() {
  local f="$T/p-$1-$2.json"
  jq --arg n "$1" --arg fp "$(printf %s "$1-$2" | md5sum | cut -c1-16)" '
    .alerts[0].fingerprint = $fp | .alerts[0].labels.alertname = $n
    | .alerts[0].labels.service = "app"
    | .groupLabels = {alertname: $n, service: "app"}
    | .groupKey = "{}:{alertname=\"\($n)\", service=\"app\"}"' \
    "$FIX/firing-high-error-rate.json" > "$f"
  echo "$f"
}
rule_names() { api GET /api/v1/rules "$VIEWER" | jq -c '[.rules[].name]'; }
reloads() {  # reloads RESULT: runbookd_config_reloads_total{result=RESULT}, 0 if absent
  local v
  v=$(api GET /metrics "" | sed -nE "s/^runbookd_config_reloads_total\{result=\"$1\"\} ([0-9.e+]+)$/\1/p")
  echo "${v:-0}"
}
# hup_and_wait RESULT N: SIGHUP, then wait (up to ~10 s) until reloads RESULT reaches N
hup_and_wait() {
  kill -HUP "$RBD_PID"
  for _ in $(seq 1 100); do
    [ "$(reloads "$1")" == "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
rule_actions() { sql "select count(*) from actions where rule = '$1'"; }

rules_v1() {
  cat <<'YAML'
rules:
  - name: errors-restart
    description: "5xx surge: restart (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
  - name: slow
    description: "a long action"
    matchers: [ 'alertname = "Slow"' ]
    action: slow
YAML
}
rules_v2() {
  rules_v1
  cat <<'YAML'
  - name: latency-stop-loadtest
    description: "added by the reload"
    matchers: [ 'alertname = "HighLatencyP99"' ]
    action: stop
YAML
}

rules_v1 > "$T/rules.yaml"
write_config enforce "$T/rules.yaml" <<YAML
actions:
  restart:
    run: [$REC, $LOG, "0", "0", restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [app, mysql] }
    timeout: 10s
  stop:
    run: [$REC, $LOG, "0", "0", stop, loadtest]
    timeout: 10s
  slow:
    run: [$REC, $LOG, "0", "2", slow, app]
    timeout: 30s
YAML
start_rbd || exit 1

check "v1 rules live" "$(rule_names)" '["errors-restart","slow"]'
post_fixture "$FIX/firing-high-latency.json" >/dev/null
check "v1: latency alert accepted" "$(status)" 200
check "v1: latency alert plans nothing" "$(rule_actions latency-stop-loadtest)" 0

# --- a good reload: the new rule is listed and plans for a new alert
rules_v2 > "$T/rules.yaml"
hup_and_wait success 1; check "SIGHUP reload counted as success" "$(reloads success)" 1
check "v2 rules live" "$(rule_names)" '["errors-restart","slow","latency-stop-loadtest"]'
check_match "rules_loaded gauge follows" "$(api GET /metrics '')" 'runbookd_rules_loaded 3'
check_match "log says reloaded" "$(cat "$T/runbookd.log")" 'config reloaded'
post_fixture "$(payload HighLatencyP99 after-v2)" >/dev/null
check "v2: new alert accepted" "$(status)" 200
id=$(sql "select id from actions where rule = 'latency-stop-loadtest'")
check "v2: the new rule planned one action" "$(rule_actions latency-stop-loadtest)" 1
check "v2: and it ran" "$(wait_state "$id" succeeded)" succeeded
check "v2: ran once" "$(grep -c '^stop loadtest$' "$LOG")" 1

# --- a broken rules file: refused, old rules stay, the log says where, /metrics counts it
{ rules_v2; cat <<'YAML'
  - name: broken-regex
    matchers: [ 'instance =~ "app-(1|2"' ]
    action: stop
YAML
} > "$T/rules.yaml"
bad_line=$(grep -n 'app-(1|2' "$T/rules.yaml" | cut -d: -f1)
hup_and_wait failure 1; check "broken rules: reload counted as failure" "$(reloads failure)" 1
check "broken rules: success count unchanged" "$(reloads success)" 1
check "broken rules: old rules still live" "$(rule_names)" '["errors-restart","slow","latency-stop-loadtest"]'
check_match "broken rules: log names FILE:LINE" "$(grep 'reload' "$T/runbookd.log" | grep -F "$T/rules.yaml:$bad_line:")" 'regex'
api GET /healthz "" >/dev/null; check "broken rules: still serving" "$(status)" 200
post_fixture "$(payload HighLatencyP99 after-broken)" >/dev/null
check "broken rules: alerts still accepted" "$(status)" 200
check "broken rules: the old rules still plan" "$(rule_actions latency-stop-loadtest)" 2
check "broken rules: process alive" "$(kill -0 "$RBD_PID" 2>/dev/null && echo alive)" alive

# --- a broken main config: refused the same way
rules_v2 > "$T/rules.yaml"
cp "$T/runbookd.yaml" "$T/runbookd.yaml.good"
printf 'max_actions: 3\n' >> "$T/runbookd.yaml"
cfg_line=$(wc -l < "$T/runbookd.yaml")
hup_and_wait failure 2; check "broken config: reload counted as failure" "$(reloads failure)" 2
check_match "broken config: log names FILE:LINE" "$(grep -F "$T/runbookd.yaml:$cfg_line:" "$T/runbookd.log")" 'max_actions'
check "broken config: old rules still live" "$(rule_names)" '["errors-restart","slow","latency-stop-loadtest"]'

# --- fixed: the next SIGHUP makes the new files live
cp "$T/runbookd.yaml.good" "$T/runbookd.yaml"
{ rules_v2; cat <<'YAML'
  - name: disk-note
    matchers: [ 'alertname = "DiskFull"' ]
    action: stop
YAML
} > "$T/rules.yaml"
hup_and_wait success 2; check "fixed: reload counted as success" "$(reloads success)" 2
check "fixed: new rules live" "$(rule_names)" '["errors-restart","slow","latency-stop-loadtest","disk-note"]'
post_fixture "$FIX/firing-disk-full-truncated.json" >/dev/null
check "fixed: the added rule plans (3 alerts)" "$(rule_actions disk-note)" 3
check "no token in the log" "$(grep -c -e "$INGEST" -e "$OPERATOR" -e "$VIEWER" "$T/runbookd.log")" 0

# --- SIGTERM while a 2 s action runs: it finishes, is recorded succeeded, exit 0
post_fixture "$(payload Slow term)" >/dev/null
id=$(sql "select id from actions where rule = 'slow'")
check "slow action running" "$(wait_state "$id" running)" running
t0=$(date +%s%N)
kill -TERM "$RBD_PID"
# it stops accepting while the action drains
refused=no
for _ in $(seq 1 20); do
  if ! curl -s -o /dev/null --max-time 1 "$BASE/healthz"; then refused=yes; break; fi
  sleep 0.05
done
check "SIGTERM: stops accepting connections" "$refused" yes
check "SIGTERM: still draining while the action runs" "$(kill -0 "$RBD_PID" 2>/dev/null && echo alive)" alive
wait "$RBD_PID"; rc=$?
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# shellcheck disable=SC2034  # lib.sh's cleanup list: this pid is reaped already
PIDS=()
check "SIGTERM: exit 0" "$rc" 0
check "SIGTERM: exited only after the action (>= 1 s later)" "$([ "$elapsed_ms" -ge 1000 ] && echo yes || echo "no: ${elapsed_ms} ms")" yes
check "SIGTERM: the action ran once" "$(grep -c '^slow app$' "$LOG")" 1
check "SIGTERM: recorded succeeded" "$(sql "select state || ' ' || exit_code from actions where id = $id")" "succeeded 0"
check "SIGTERM: succeeded event" "$(sql "select count(*) from events where action_id = $id and kind = 'action.succeeded'")" 1
check "SIGTERM: no interrupted event" "$(sql "select count(*) from events where action_id = $id and kind = 'action.interrupted'")" 0
check "SIGTERM: no action process left behind" "$(pgrep -f "record.sh $LOG 0 2" | wc -l)" 0
# and a restart does not touch it
start_rbd || exit 1
sleep 0.3
check "after restart: still succeeded" "$(wait_state "$id" succeeded)" succeeded
stop_rbd; check "second SIGTERM exits 0" "$?" 0
check "still ran once" "$(grep -c '^slow app$' "$LOG")" 1
finish
