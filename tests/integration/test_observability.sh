#!/usr/bin/env bash
# What an operator watches: /metrics passes `promtool check metrics` and has the
# series the stack's alerts use (rule label on outcomes, open incidents, pending
# approvals and the oldest one's age, reconcile attempts/failures, config reload
# state, build info, process_*); the log has one info line per notification and a
# warn line for what needs a look; log_level and --log-level; a bind failure names
# the address and port.
source "$(dirname "$0")/../lib.sh"

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: breaks
    description: "a command that fails (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: fail
  - name: refused
    description: "a param the allowlist refuses (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
  - name: asks
    description: "waits for an operator (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "app" }
    approval: true
YAML
write_config enforce "$T/rules.yaml" <<'YAML'
log_level: info
alertmanager:
  url: http://127.0.0.1:1
  poll: 1s
actions:
  fail:
    run: ["false"]
  restart:
    run: [echo, restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [app, mysql] }
YAML
start_rbd || exit 1
post_fixture "$FIX/firing-high-error-rate.json" >/dev/null
check "alert stored" "$(status)" 200
inc=$(jq -r '.incident_ids[0]' "$T/body")
fid=$(sql "select id from actions where rule = 'breaks'")
check "failing action failed" "$(wait_state "$fid" failed)" failed

metric() { curl -s "$BASE/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
curl -s "$BASE/metrics" > "$T/metrics.txt"
promtool check metrics < "$T/metrics.txt" > "$T/promtool.out" 2>&1
check "promtool check metrics is clean" "$?:$(cat "$T/promtool.out")" "0:"
check "outcome counters carry the rule" "$(metric 'runbookd_actions_finished_total{state="failed",rule="breaks"}')" 1
check "open incidents gauge" "$(metric runbookd_incidents_open)" 1
check "pending approvals gauge" "$(metric runbookd_pending_approvals)" 1
age=$(metric runbookd_pending_approval_oldest_age_seconds)
check_match "oldest pending approval has an age" "$age" '^[0-9.e+-]+$'
awk -v a="$age" 'BEGIN { exit !(a > 0 && a < 600) }'; check "the age is plausible" "$?" 0
check "config loaded" "$(metric runbookd_config_last_reload_successful)" 1
check_match "build info" "$(grep '^runbookd_build_info' "$T/metrics.txt")" '^runbookd_build_info\{version="[0-9.]+"\} 1$'
for m in process_resident_memory_bytes process_virtual_memory_bytes process_open_fds process_max_fds process_cpu_seconds_total; do
  v=$(metric $m)
  awk -v v="$v" 'BEGIN { exit !(v + 0 > 0) }'; check "$m is positive" "$?" 0
done
st=$(metric process_start_time_seconds)
awk -v s="$st" -v now="$(date +%s)" 'BEGIN { exit !(s > now - 600 && s <= now + 1) }'; check "process_start_time_seconds is the start" "$?" 0
fails=""
for _ in $(seq 1 100); do
  fails=$(metric runbookd_reconcile_failures_total)
  [ -n "$fails" ] && [ "$fails" != 0 ] && break; sleep 0.1
done
check_match "reconcile failures counted" "$fails" '^[1-9][0-9]*$'
check_match "reconcile attempts counted" "$(metric runbookd_reconcile_attempts_total)" '^[1-9][0-9]*$'
check "no reconcile success yet" "$(metric runbookd_reconcile_last_success_timestamp_seconds)" ""

# --- the log
L=$T/runbookd.log
check_match "one info line per notification" "$(grep -c 'level=info msg="notification stored"' "$L")" '^1$'
check_match "with incident, new episodes and actions planned" "$(grep 'msg="notification stored"' "$L")" "incidents=$inc alerts=1 new_episodes=1 actions_planned=3 pending_approval=1"
check_match "warn: skipped by a param refusal" "$(grep 'msg="action skipped"' "$L")" 'level=warn .*rule=refused gate=param_refused'
check_match "warn: failed" "$(grep 'msg="action finished"' "$L")" 'level=warn .*rule=breaks state=failed'
check_match "warn: reconcile failure" "$(cat "$L")" 'level=warn msg="reconciliation with Alertmanager failed; will retry"'

# --- a reload that fails shows in the metrics; a good one restores it
cp "$T/runbookd.yaml" "$T/good.yaml"
sed -i "s/^log_level: info/log_level: loud/" "$T/runbookd.yaml"
kill -HUP "$RBD_PID"
v=""
for _ in $(seq 1 100); do v=$(metric runbookd_config_last_reload_successful); [ "$v" == 0 ] && break; sleep 0.05; done
check "failed reload: last_reload_successful 0" "$v" 0
check_match "the bad log_level is named with its line" "$(cat "$L")" 'runbookd.yaml:[0-9]+: log_level: unknown level \\"loud\\"'
cp "$T/good.yaml" "$T/runbookd.yaml"
kill -HUP "$RBD_PID"
for _ in $(seq 1 100); do v=$(metric runbookd_config_last_reload_successful); [ "$v" == 1 ] && break; sleep 0.05; done
check "good reload: last_reload_successful 1" "$v" 1
ts=$(metric runbookd_config_last_reload_success_timestamp_seconds)
awk -v s="$ts" -v now="$(date +%s)" 'BEGIN { exit !(s > now - 60 && s <= now + 1) }'; check "reload timestamp is now" "$?" 0

# --- bind failure names the address and port
port=$(cat "$T/port")
sed "s|^listen: .*|listen: 127.0.0.1:$port|" "$T/runbookd.yaml" > "$T/second.yaml"
"$RBD_BIN" serve -c "$T/second.yaml" > "$T/second.log" 2>&1
check "second instance on a taken port exits 3" "$?" 3
check_match "bind failure names address and port" "$(cat "$T/second.log")" "cannot listen on 127.0.0.1:$port"
stop_rbd

# --- log levels: the config's, and --log-level over it
sed -i 's/^log_level: info/log_level: warn/' "$T/runbookd.yaml"
: > "$L"
start_rbd || exit 1
jq '.alerts[0].fingerprint = "00000000000000aa" | .groupKey = "{}:{alertname=\"Other\"}"' "$FIX/firing-high-error-rate.json" > "$T/p2.json"
post_fixture "$T/p2.json" >/dev/null
id2=$(sql "select max(id) from actions where rule = 'breaks'")
wait_state "$id2" failed >/dev/null
check "log_level warn: no info lines" "$(grep -c 'level=info' "$L")" 0
check_match "log_level warn: warn lines stay" "$(grep -c 'level=warn msg="action finished"' "$L")" '^[1-9]'
stop_rbd
: > "$L"
RUNBOOKD_PORT_FILE="$T/port" "$RBD_BIN" serve -c "$T/runbookd.yaml" --log-level debug >>"$L" 2>&1 &
RBD_PID=$!; PIDS+=("$RBD_PID")
for _ in $(seq 1 100); do grep -q 'msg=listening' "$L" && break; sleep 0.05; done
check_match "--log-level wins over the config" "$(cat "$L")" 'level=info msg=listening'
"$RBD_BIN" check -c "$T/runbookd.yaml" --log-level loud > "$T/bad.out" 2>&1
check "a bad --log-level is a usage error" "$?" 2
finish
