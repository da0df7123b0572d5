#!/usr/bin/env bash
# HA gates: three runbookd replicas on one PostgreSQL database (deliveries posted to
# each replica directly). Shows: max_concurrent_actions: 1 is global (slow actions
# planned via different replicas never overlap, and each runs exactly once); the
# breaker is shared (tripped by failures on two replicas, no replica runs the rule's
# next action, a reset on a third replica lets the next one run).
# Uses RBD_TEST_PG_URL (the ctest fixture "pg"), else starts its own cluster.
source "$(dirname "$0")/../lib.sh"
REC=$RBD_TESTS/scripts/ha-record.sh
LOG=$T/actions.log
: > "$LOG"

PGURL=${RBD_TEST_PG_URL:-}
OWN_PG=""
if [ -z "$PGURL" ]; then
  PGURL=$(bash "$RBD_TESTS/scripts/pg-start.sh" "$T/pgstate") || exit 1
  OWN_PG=1
fi
DB=rbd_hag_$$
DBURL=${PGURL/\/postgres\?//$DB?}
psql -X -q "$PGURL" -c "CREATE DATABASE $DB" || { echo "cannot create $DB"; exit 1; }
pq() { psql -X -qAt "$DBURL" -c "$1"; }

declare -A RPID RBASE
gates_cleanup() {
  cleanup_ids=("${PIDS[@]:-}")
  cleanup
  psql -X -q "$PGURL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
  [ -n "$OWN_PG" ] && bash "$RBD_TESTS/scripts/pg-stop.sh" "$T/pgstate"
}
trap gates_cleanup EXIT

# A failing action that still leaves one line per real execution.
cat > "$T/fail.sh" <<SH
#!/bin/sh
printf '%s pid=%s\n' "\$1" "\$\$" >> "$LOG"
exit 1
SH
chmod 755 "$T/fail.sh"

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: capped
    description: "global concurrency cap"
    matchers: [ 'alertname = "HaCapped"' ]
    action: slowish
    params: { what: "capped-{{ .Labels.service }}" }
  - name: brk
    description: "a shared breaker"
    matchers: [ 'alertname = "HaBreaker"' ]
    action: fail
    params: { what: "brk-{{ .Labels.service }}" }
    max_failures_per_hour: 2
YAML
write_config enforce "$T/rules.yaml" <<YAML
limits:
  max_concurrent_actions: 1
actions:
  slowish:
    run: [$REC, $LOG, "0.4", "{{ .Params.what }}"]
    params:
      what: { pattern: "[a-z0-9-]{1,40}" }
    timeout: 30s
  fail:
    run: [$T/fail.sh, "{{ .Params.what }}"]
    params:
      what: { pattern: "[a-z0-9-]{1,40}" }
    timeout: 30s
YAML
for r in 1 2 3; do
  sed "s|^database: .*|database: \"$DBURL\"|" "$T/runbookd.yaml" > "$T/r$r.yaml"
  printf 'ha: { lease: 3s, replica: g%s }\n' "$r" >> "$T/r$r.yaml"
done
for r in 1 2 3; do
  RUNBOOKD_PORT_FILE="$T/port$r" "$RBD_BIN" serve -c "$T/r$r.yaml" >>"$T/r$r.log" 2>&1 &
  RPID[$r]=$!
  PIDS+=("${RPID[$r]}")
done
for r in 1 2 3; do
  for _ in $(seq 1 300); do [ -s "$T/port$r" ] && break; sleep 0.05; done
  [ -s "$T/port$r" ] || { echo "replica $r did not start"; tail -20 "$T/r$r.log"; exit 1; }
  RBASE[$r]="http://127.0.0.1:$(cat "$T/port$r")"
done
on() { local r=$1; shift; BASE=${RBASE[$r]} api "$@"; }

# alert NAME SERVICE -> a one-alert notification file
alert() {
  jq --arg fp "$(fp "$1-$2")" --arg n "$1" --arg s "$2" '.alerts[0].fingerprint = $fp
    | .alerts[0].labels = {alertname: $n, service: $s} | .groupLabels = {alertname: $n, service: $s}
    | .groupKey = ("gk-" + $n + "-" + $s)' "$FIX/firing-high-error-rate.json" > "$T/$1-$2.json"
  echo "$T/$1-$2.json"
}
POSTS=()
post_bg() {  # post_bg REPLICA FILE
  curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer $INGEST" \
    -H 'Content-Type: application/json' --data-binary @"$2" "${RBASE[$1]}/api/v1/alerts" &
  POSTS+=($!)
}
wait_posts() { for p in "${POSTS[@]}"; do wait "$p"; done; POSTS=(); }
wait_sql() {  # wait_sql SQL EXPECTED [SECONDS]: polls; prints the last value
  local v="" deadline=$((SECONDS + ${3:-20}))
  while [ $SECONDS -lt $deadline ]; do v=$(pq "$1"); [ "$v" == "$2" ] && break; sleep 0.1; done
  echo "$v"
}
lines() { grep -c "^$1 pid=" "$LOG"; }

# --- 1. max_concurrent_actions: 1 across three replicas ---------------------------------
# Six slow actions planned via all three replicas at once. ha-record.sh appends a start
# line, sleeps, appends a done line: in the shared file's order, never two open at once.
i=0
for s in c1 c2 c3 c4 c5 c6; do post_bg $((i % 3 + 1)) "$(alert HaCapped $s)"; i=$((i + 1)); done
wait_posts
check "cap: six actions planned via three replicas" \
  "$(pq "select count(distinct a.id) from actions a where rule = 'capped'")" 6
check "cap: all six eventually succeeded" \
  "$(wait_sql "select count(*) from actions where rule = 'capped' and state = 'succeeded'" 6 30)" 6
for s in c1 c2 c3 c4 c5 c6; do check "cap: capped-$s ran exactly once" "$(lines "capped-$s")" 1; done
check "cap: maximum overlap of the processes is 1" "$(awk '/^capped-/ {
    if ($2 == "done") n--; else { n++; if (n > m) m = n } } END { print m }' "$LOG")" 1
check "cap: never two running in the database either (intervals)" \
  "$(pq "select count(*) from actions a join actions b on a.id < b.id and a.rule = 'capped' and b.rule = 'capped'
         and a.started_at < b.finished_at and b.started_at < a.finished_at")" 0

# --- 2. the breaker and its reset are shared ---------------------------------------------
# Two failures, planned via r1 and r2, trip the rule.
on 1 POST /api/v1/alerts "$INGEST" -H 'Content-Type: application/json' --data-binary @"$(alert HaBreaker b1)" >/dev/null
check "breaker: first failure via r1" \
  "$(wait_sql "select state from actions where rule = 'brk'" failed)" failed
on 2 POST /api/v1/alerts "$INGEST" -H 'Content-Type: application/json' --data-binary @"$(alert HaBreaker b2)" >/dev/null
check "breaker: second failure via r2" \
  "$(wait_sql "select count(*) from actions where rule = 'brk' and state = 'failed'" 2)" 2
check "breaker: tripped in the shared state" \
  "$(wait_sql "select count(*) from rule_state where rule = 'brk' and tripped_at is not null" 1)" 1
for r in 1 2 3; do
  check "breaker: replica $r reports brk tripped" \
    "$(on $r GET /api/v1/rules "$VIEWER" | jq -r '.rules[] | select(.name == "brk") | .tripped')" true
done
# The next alert, delivered to every replica: planned once, skipped by the breaker.
f3=$(alert HaBreaker b3)
for r in 1 2 3; do post_bg $r "$f3"; done
wait_posts
check "breaker: the next action is skipped, whichever replica got it" \
  "$(wait_sql "select a.state || ':' || (a.reason like 'circuit_open%') from actions a join alerts e on e.id = a.alert_id where e.fingerprint = '$(fp HaBreaker-b3)'" 'skipped:true')" 'skipped:true'
check "breaker: brk-b3 never ran" "$(lines brk-b3)" 0
# Reset on r3 (the rule never failed there), then the next action, via r1, runs.
on 3 POST /api/v1/rules/brk/reset "$OPERATOR" >/dev/null
check "breaker: reset on r3" "$(status)" 200
for r in 1 2; do
  check "breaker: replica $r sees the reset" \
    "$(on $r GET /api/v1/rules "$VIEWER" | jq -r '.rules[] | select(.name == "brk") | .tripped')" false
done
on 1 POST /api/v1/alerts "$INGEST" -H 'Content-Type: application/json' --data-binary @"$(alert HaBreaker b4)" >/dev/null
check "breaker: after the reset the next action runs (via r1)" \
  "$(wait_sql "select a.state from actions a join alerts e on e.id = a.alert_id where e.fingerprint = '$(fp HaBreaker-b4)'" failed)" failed
check "breaker: brk-b4 ran once" "$(lines brk-b4)" 1
finish
