#!/usr/bin/env bash
# After kill -9, an action's process group keeps running unsupervised while its row
# becomes `interrupted`. runbookd records each run action's process group and its
# leader's start time when it spawns it; at start-up it kills a recorded group whose
# leader still exists with that start time, and says so in the timeline. A group whose
# recorded start time does not match (a reused pid) is left alone.
source "$(dirname "$0")/../lib.sh"
cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: long-a
    description: "a long action"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: long_a
  - name: long-b
    description: "another long action"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: long_b
YAML
write_config enforce "$T/rules.yaml" <<YAML
actions:
  long_a:
    run: [$RBD_TESTS/scripts/record.sh, $T/ran.log, "0", "60", "orphan-a"]
    timeout: 2m
  long_b:
    run: [$RBD_TESTS/scripts/record.sh, $T/ran.log, "0", "60", "orphan-b"]
    timeout: 2m
YAML
start_rbd || exit 1
post_fixture "$FIX/firing-high-error-rate.json" >/dev/null
check "alert stored" "$(status)" 200
a=$(sql "select id from actions where rule = 'long-a'")
b=$(sql "select id from actions where rule = 'long-b'")
check "a running" "$(wait_state "$a" running)" running
check "b running" "$(wait_state "$b" running)" running
for _ in $(seq 1 100); do
  [ "$(sql "select count(*) from actions where pgid > 0 and proc_start > 0")" == 2 ] && break
  sleep 0.1
done
pa=$(sql "select pgid from actions where id = $a"); pb=$(sql "select pgid from actions where id = $b")
trap 'kill -9 -- "-$pa" "-$pb" 2>/dev/null; cleanup' EXIT
check_match "a's process group recorded" "$pa" '^[0-9]+$'
check_match "b's process group recorded" "$pb" '^[0-9]+$'

kill -9 "$RBD_PID"; wait "$RBD_PID" 2>/dev/null
kill -0 -- "-$pa" 2>/dev/null; check "a's group outlives runbookd" "$?" 0
kill -0 -- "-$pb" 2>/dev/null; check "b's group outlives runbookd" "$?" 0
# b's leader "started at another time": as if its pid had been reused.
sql "update actions set proc_start = proc_start + 1 where id = $b"

start_rbd || exit 1
check "a interrupted" "$(wait_state "$a" interrupted)" interrupted
check "b interrupted" "$(wait_state "$b" interrupted)" interrupted
gone=1
for _ in $(seq 1 50); do kill -0 -- "-$pa" 2>/dev/null || { gone=0; break; }; sleep 0.1; done
check "a's group was killed at start-up" "$gone" 0
kill -0 -- "-$pb" 2>/dev/null; check "b's group (start time differs) was left alone" "$?" 0
kill -9 -- "-$pb" 2>/dev/null
ev() { sql "select detail from events where kind = 'action.interrupted' and action_id = $1"; }
check "timeline says a's group was killed" "$(ev "$a" | jq -c '[.process_group, .process_group_killed]')" "[$pa,true]"
check "timeline says b's group was not" "$(ev "$b" | jq -c '[.process_group, .process_group_killed]')" "[$pb,false]"
check "ran once each" "$(grep -c orphan "$T/ran.log")" 2
finish
