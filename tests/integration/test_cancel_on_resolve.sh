#!/usr/bin/env bash
# cancel_on_resolve (issue 17): an action that says `cancel_on_resolve: true` and is
# running when its alert resolves gets SIGTERM on its process group, SIGKILL after
# limits.kill_grace when that is ignored, and ends `cancelled` with the output it
# captured. Without it (the default) a running action is left to finish.
source "$(dirname "$0")/../lib.sh"
LONG=$RBD_TESTS/scripts/long-action.sh
REC=$RBD_TESTS/scripts/record.sh
LOG=$T/exec.log
: > "$LOG"

payload() {  # payload NAME KEY STATUS -> file; one alert, its own group
  local f="$T/p-$1-$2-$3.json"
  jq --arg n "$1" --arg fp "$(fp "$2")" --arg st "$3" '
    .status = $st | .alerts[0].status = $st | .alerts[0].fingerprint = $fp
    | .alerts[0].labels.alertname = $n
    | .alerts[0].endsAt = (if $st == "resolved" then "2026-11-25T08:05:47Z" else "0001-01-01T00:00:00Z" end)
    | .groupLabels = {alertname: $n} | .groupKey = "{}:{alertname=\"\($n)\"}"' \
    "$FIX/firing-high-error-rate.json" > "$f"
  echo "$f"
}
action_of() { sql "select a.id from actions a join alerts e on e.id = a.alert_id where a.rule = '$1' and e.fingerprint = '$(fp "$2")'"; }
# wait_file PATH: polls up to ~10 s
wait_file() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
# dead PID...: every pid is gone (polls up to ~5 s: the kernel reaps the grandchild)
dead() {
  local p
  for _ in $(seq 1 50); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && { echo dead; return; }
    sleep 0.1
  done
  echo alive
}

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: long-cancel
    description: "killed when the alert resolves (runbook 2.2)"
    matchers: [ 'alertname = "LongCancel"' ]
    action: long_plain
  - name: long-stubborn
    description: "ignores SIGTERM (runbook 2.2)"
    matchers: [ 'alertname = "LongStubborn"' ]
    action: long_ignore
  - name: long-default
    description: "left to finish (runbook 2.2)"
    matchers: [ 'alertname = "LongDefault"' ]
    action: short
YAML
write_config enforce "$T/rules.yaml" <<YAML
limits:
  kill_grace: 1s
actions:
  long_plain:
    run: [$LONG, $T, plain]
    cancel_on_resolve: true
    timeout: 60s
  long_ignore:
    run: [$LONG, $T, ignore]
    cancel_on_resolve: true
    timeout: 60s
  short:
    run: [$REC, $LOG, "0", "2", short]
    timeout: 60s
YAML
"$RBD_BIN" check -c "$T/runbookd.yaml" >/dev/null 2>&1
check "cancel_on_resolve passes check" "$?" 0
start_rbd || exit 1

# --- cancel_on_resolve: SIGTERM to the group, cancelled, output kept
post_fixture "$(payload LongCancel c1 firing)" >/dev/null
id=$(action_of long-cancel c1)
check "long action running" "$(wait_state "$id" running)" running
wait_file "$T/pids.plain"; check "it started its child" "$?" 0
read -r pid child < "$T/pids.plain"
post_fixture "$(payload LongCancel c1 resolved)" >/dev/null
check "resolve: the running action ends cancelled" "$(wait_state "$id" cancelled)" cancelled
r=$(api GET "/api/v1/actions/$id" "$VIEWER")
check "its output is kept" "$(echo "$r" | jq -r .action.output)" "started plain"
check_match "the reason says why" "$(echo "$r" | jq -r .action.reason)" 'alert resolved while it ran \(cancel_on_resolve\)'
check "ended by SIGTERM" "$(echo "$r" | jq -r .action.signal)" 15
check "the whole process group is gone" "$(dead "$pid" "$child")" dead
check "well before its 60 s timeout" "$(echo "$r" | jq '((.action.finished_at | sub("\\.[0-9]+Z$"; "Z") | fromdate) - (.action.started_at | sub("\\.[0-9]+Z$"; "Z") | fromdate)) < 20')" true
inc=$(echo "$r" | jq .action.incident_id)
check "timeline: action.cancelled with the output excerpt" \
  "$(api GET "/api/v1/incidents/$inc/timeline" "$VIEWER" | jq -r --argjson id "$id" '.events[] | select(.action_id == $id and .kind == "action.cancelled") | .detail.output_excerpt')" "started plain"

# --- SIGTERM ignored: SIGKILL after kill_grace
post_fixture "$(payload LongStubborn k1 firing)" >/dev/null
id=$(action_of long-stubborn k1)
check "stubborn action running" "$(wait_state "$id" running)" running
wait_file "$T/pids.ignore"; check "it started its child" "$?" 0
read -r pid child < "$T/pids.ignore"
post_fixture "$(payload LongStubborn k1 resolved)" >/dev/null
check "stubborn: cancelled" "$(wait_state "$id" cancelled)" cancelled
r=$(api GET "/api/v1/actions/$id" "$VIEWER")
check "stubborn: ended by SIGKILL" "$(echo "$r" | jq -r .action.signal)" 9
check "stubborn: output kept" "$(echo "$r" | jq -r .action.output)" "started ignore"
check "stubborn: the whole process group is gone" "$(dead "$pid" "$child")" dead

# --- the default: a running action is left to finish
post_fixture "$(payload LongDefault d1 firing)" >/dev/null
id=$(action_of long-default d1)
check "default action running" "$(wait_state "$id" running)" running
post_fixture "$(payload LongDefault d1 resolved)" >/dev/null
check "default: resolve does not stop it; it succeeds" "$(wait_state "$id" succeeded)" succeeded
check "default: its output" "$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r .action.output)" "ran short"
stop_rbd
finish
