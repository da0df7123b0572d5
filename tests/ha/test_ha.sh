#!/usr/bin/env bash
# HA suite: three runbookd replicas on one PostgreSQL database, behind two real
# Alertmanagers in a cluster, each delivering every notification to all three replicas.
# Every action's process appends a line to one file: exactly one line per action.
# Shows: episodes/incidents/actions stored once (also one alert under two group keys at
# two replicas at once); approval on A of an action planned via B starts within ~1 s;
# approvals: 2 given at the same instant on two replicas reach quorum once;
# pause on A and no replica starts anything; max_runs_per_hour: 1 with two planned
# actions on two replicas runs once; kill -9 of the replica running a slow action ->
# interrupted within the lease, never re-run (and a peer's start-up recovery meanwhile
# leaves it alone); a replica frozen past its lease (SIGSTOP,
# SIGCONT) does not overwrite the interrupted row (action.late_result event only);
# the leader dies -> another replica takes over.
# Uses RBD_TEST_PG_URL (the ctest fixture "pg"), else starts its own cluster.
source "$(dirname "$0")/../lib.sh"
REC=$RBD_TESTS/scripts/ha-record.sh
LOG=$T/actions.log
: > "$LOG"
chmod 666 "$LOG"

PGURL=${RBD_TEST_PG_URL:-}
OWN_PG=""
if [ -z "$PGURL" ]; then
  PGURL=$(bash "$RBD_TESTS/scripts/pg-start.sh" "$T/pgstate") || exit 1
  OWN_PG=1
fi
DB=rbd_ha_$$
DBURL=${PGURL/\/postgres\?//$DB?}
psql -X -q "$PGURL" -c "CREATE DATABASE $DB" || { echo "cannot create $DB"; exit 1; }
pq() { psql -X -qAt "$DBURL" -c "$1"; }

declare -A RPID RBASE
ha_cleanup() {
  local am p
  for am in am1 am2; do [ -s "$T/$am/pid" ] && kill "$(cat "$T/$am/pid")" 2>/dev/null; done
  # A clustered Alertmanager may linger leaving its cluster: make sure it is gone.
  for am in am1 am2; do
    [ -s "$T/$am/pid" ] || continue
    p=$(cat "$T/$am/pid")
    for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  for r in 1 2 3; do [ -n "${RPID[$r]:-}" ] && kill -CONT "${RPID[$r]}" 2>/dev/null; done
  # Orphaned slow actions (their replica was killed): by their recorded pid.
  for p in $(sed -n 's/.* pid=\([0-9]*\)$/\1/p' "$LOG" 2>/dev/null); do kill "$p" 2>/dev/null; done
  cleanup_ids=("${PIDS[@]:-}")
  cleanup
  psql -X -q "$PGURL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
  [ -n "$OWN_PG" ] && bash "$RBD_TESTS/scripts/pg-stop.sh" "$T/pgstate"
}
trap ha_cleanup EXIT

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: once
    description: "one run per alert"
    matchers: [ 'alertname = "HaOnce"' ]
    action: rec
    params: { what: "once-{{ .Labels.service }}" }
  - name: appr
    description: "approval on another replica"
    matchers: [ 'alertname = "HaApprove"' ]
    action: rec
    params: { what: "appr-{{ .Labels.service }}" }
    approval: true
  - name: quorum
    description: "two approvals at once on two replicas"
    matchers: [ 'alertname = "HaQuorum"' ]
    action: rec
    params: { what: "quorum-{{ .Labels.service }}" }
    approval: true
    approvals: 2
  - name: paused
    description: "the kill switch is shared"
    matchers: [ 'alertname = "HaPause"' ]
    action: rec
    params: { what: "pause-{{ .Labels.service }}" }
  - name: limited
    description: "rate limit across replicas"
    matchers: [ 'alertname = "HaLimited"' ]
    action: rec
    params: { what: "limited-{{ .Labels.service }}" }
    max_runs_per_hour: 1
  - name: slow
    description: "a replica dies while it runs"
    matchers: [ 'alertname = "HaSlow"' ]
    action: slow
    params: { what: "slow-{{ .Labels.service }}" }
  - name: frozen
    description: "a replica frozen past its lease"
    matchers: [ 'alertname = "HaFrozen"' ]
    action: frozen
    params: { what: "frozen-{{ .Labels.service }}" }
YAML
write_config enforce "$T/rules.yaml" <<YAML
limits:
  max_concurrent_actions: 4
actions:
  rec:
    run: [$REC, $LOG, "0", "{{ .Params.what }}"]
    params:
      what: { pattern: "[a-z0-9-]{1,40}" }
  slow:
    run: [$REC, $LOG, "60", "{{ .Params.what }}"]
    params:
      what: { pattern: "[a-z0-9-]{1,40}" }
    timeout: 120s
  frozen:
    run: [$REC, $LOG, "5", "{{ .Params.what }}"]
    params:
      what: { pattern: "[a-z0-9-]{1,40}" }
    timeout: 60s
YAML
for r in 1 2 3; do
  sed "s|^database: .*|database: \"$DBURL\"|" "$T/runbookd.yaml" > "$T/r$r.yaml"
  printf 'ha: { lease: 3s, replica: r%s }\n' "$r" >> "$T/r$r.yaml"
done

# All three at once: the migrations run under the advisory lock, once.
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
check "three replicas up, migrations recorded once" "$(pq 'select count(*) from schema_migrations')" \
  "$(ls "$RBD_SRC"/migrations/pg/*.sql | wc -l)"
check "three replicas heartbeat" "$(pq "select count(*) from replicas where id in ('r1','r2','r3')")" 3

# on REPLICA METHOD PATH TOKEN [curl args]: api against one replica.
on() { local r=$1; shift; BASE=${RBASE[$r]} api "$@"; }

hooks=()
for r in 1 2 3; do hooks+=("${RBASE[$r]}/api/v1/alerts"); done
AM_CLUSTER=1 AM_WATCH_PID=$$ AM_GROUP_WAIT=0s AM_MORE_WEBHOOKS="${hooks[1]} ${hooks[2]}" \
  bash "$RBD_TESTS/scripts/alertmanager-start.sh" "$T/am1" "${hooks[0]}" "$T/tokens/ingest.token" >/dev/null ||
  { echo "alertmanager 1 did not start"; exit 1; }
AM_CLUSTER=1 AM_CLUSTER_PEERS="127.0.0.1:$(cat "$T/am1/cluster_port")" AM_WATCH_PID=$$ AM_GROUP_WAIT=0s \
  AM_MORE_WEBHOOKS="${hooks[1]} ${hooks[2]}" \
  bash "$RBD_TESTS/scripts/alertmanager-start.sh" "$T/am2" "${hooks[0]}" "$T/tokens/ingest.token" >/dev/null ||
  { echo "alertmanager 2 did not start"; exit 1; }
AMS=("http://127.0.0.1:$(cat "$T/am1/port")" "http://127.0.0.1:$(cat "$T/am2/port")")
STARTS=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)

# fire NAME SERVICE...: the same alerts (same startsAt) to both Alertmanagers, as
# Prometheus sends them.
fire() {
  local name=$1; shift
  local body
  body=$(for s in "$@"; do
    jq -nc --arg n "$name" --arg s "$s" --arg t "$STARTS" '{labels: {alertname: $n, service: $s}, startsAt: $t}'
  done | jq -sc .)
  for am in "${AMS[@]}"; do
    curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      --data-binary "$body" "$am/api/v2/alerts" | grep -q 200 || echo "post to $am failed"
  done
}
# wait_sql SQL EXPECTED [SECONDS]: polls until the query prints EXPECTED; prints the last.
wait_sql() {
  local v="" deadline=$((SECONDS + ${3:-20}))
  while [ $SECONDS -lt $deadline ]; do
    v=$(pq "$1")
    [ "$v" == "$2" ] && break
    sleep 0.1
  done
  echo "$v"
}
lines() { grep -c "^$1 pid=" "$LOG"; }

# --- 1. exactly once: 5 alerts, 2 Alertmanagers x 3 replicas ---------------------------
fire HaOnce s1 s2 s3 s4 s5
check "5 actions succeeded" "$(wait_sql "select count(*) from actions where rule = 'once' and state = 'succeeded'" 5)" 5
# Every replica got the notifications (2 Alertmanagers x 3 webhooks, deduplicated).
check "notifications reached all three replicas" \
  "$(wait_sql "select count(*) >= 15 from notifications where group_key like '%HaOnce%'" t)" t
check "each episode stored once" "$(pq "select count(*) from alerts where labels like '%HaOnce%'")" 5
check "each incident opened once" "$(pq "select count(*) from incidents where group_key like '%HaOnce%'")" 5
check "one action per episode" "$(pq "select count(*) from actions where rule = 'once'")" 5
for s in s1 s2 s3 s4 s5; do check "once-$s ran exactly once" "$(lines "once-$s")" 1; done
check "claims spread over replicas (owners recorded)" \
  "$(pq "select count(*) from actions where rule = 'once' and owner in ('r1','r2','r3')")" 5

# --- 2. one alert under two group keys at two replicas at the same instant ---------------
dup() {  # dup GROUPKEY -> payload file
  jq --arg g "$1" --arg fp "$(fp dup-alert)" '
    .alerts[0].fingerprint = $fp | .alerts[0].labels = {alertname: "HaOnce", service: "dup"}
    | .groupLabels = {alertname: "HaOnce"} | .groupKey = $g' "$FIX/firing-high-error-rate.json" > "$T/dup-$1.json"
  echo "$T/dup-$1.json"
}
fa=$(dup gk-a); fb=$(dup gk-b)
# post_bg REPLICA FILE: a delivery in the background; wait_posts waits for them all.
POSTS=()
post_bg() {
  curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer $INGEST" \
    -H 'Content-Type: application/json' --data-binary @"$2" "${RBASE[$1]}/api/v1/alerts" &
  POSTS+=($!)
}
wait_posts() { for p in "${POSTS[@]}"; do wait "$p"; done; POSTS=(); }
for i in 1 2 3; do post_bg 1 "$fa"; post_bg 2 "$fb"; done
wait_posts
check "two group keys: the episode stored once" "$(pq "select count(*) from alerts where fingerprint = '$(fp dup-alert)'")" 1
check "two group keys: one incident per key" \
  "$(pq "select count(*) = count(distinct group_key) from incidents where group_key in ('gk-a','gk-b')")" t
check "two group keys: one action" \
  "$(wait_sql "select count(*) from actions a join alerts e on e.id = a.alert_id where e.fingerprint = '$(fp dup-alert)' and a.state = 'succeeded'" 1)" 1
check "two group keys: ran once" "$(lines once-dup)" 1

# --- 3. approve on A an action planned via B -----------------------------------------
ap=$T/approve.json
jq --arg fp "$(fp approve-alert)" '.alerts[0].fingerprint = $fp | .alerts[0].labels = {alertname: "HaApprove", service: "x"} | .groupKey = "gk-approve"' \
  "$FIX/firing-high-error-rate.json" > "$ap"
BASE=${RBASE[2]} post_fixture "$ap" >/dev/null
check "planned via B: 200" "$(status)" 200
aid=$(wait_sql "select id from actions where rule = 'appr' and state = 'pending_approval'" "$(pq "select id from actions where rule = 'appr'")")
check "waits for approval" "$(pq "select state from actions where id = $aid")" pending_approval
t0=$(date +%s%3N)
on 1 POST "/api/v1/actions/$aid/approve" "$OPERATOR" -H 'Content-Type: application/json' -d '{}' >/dev/null
check "approved on A" "$(status)" 200
check "approved action ran" "$(wait_sql "select state from actions where id = $aid" succeeded)" succeeded
st=$(pq "select started_at from actions where id = $aid")
check "started within 1 s of the approval" "$(( st - t0 < 1000 ))" 1
check "appr ran once" "$(lines appr-x)" 1

# --- 3b. approvals: 2, two operators approving at the same instant on two replicas -------
jq --arg fp "$(fp quorum-alert)" '.alerts[0].fingerprint = $fp | .alerts[0].labels = {alertname: "HaQuorum", service: "q"} | .groupKey = "gk-quorum"' \
  "$FIX/firing-high-error-rate.json" > "$T/quorum.json"
BASE=${RBASE[3]} post_fixture "$T/quorum.json" >/dev/null
qid=$(wait_sql "select id from actions where rule = 'quorum' and state = 'pending_approval'" "$(pq "select id from actions where rule = 'quorum'")")
curl -s -o "$T/q1" -w '%{http_code}' -X POST -H "Authorization: Bearer $OPERATOR" -H 'Content-Type: application/json' \
  -d '{}' "${RBASE[1]}/api/v1/actions/$qid/approve" > "$T/q1.status" &
q1=$!
curl -s -o "$T/q2" -w '%{http_code}' -X POST -H "Authorization: Bearer $OPERATOR2" -H 'Content-Type: application/json' \
  -d '{}' "${RBASE[2]}/api/v1/actions/$qid/approve" > "$T/q2.status" &
q2=$!
wait "$q1"; wait "$q2"
check "quorum: both approvals answered 200" "$(cat "$T/q1.status") $(cat "$T/q2.status")" "200 200"
check "quorum: ran" "$(wait_sql "select state from actions where id = $qid" succeeded)" succeeded
check "quorum: reached once (one approved event)" \
  "$(pq "select count(*) from events where action_id = $qid and kind = 'action.approved'")" 1
check "quorum: two approvals recorded" "$(pq "select count(*) from approvals where action_id = $qid")" 2
check "quorum: ran once" "$(lines quorum-q)" 1

# --- 4. pause on A: B and C start nothing ---------------------------------------------
on 1 POST /api/v1/pause "$OPERATOR" >/dev/null
check "pause on A" "$(status)" 200
jq --arg fp "$(fp pause-alert)" '.alerts[0].fingerprint = $fp | .alerts[0].labels = {alertname: "HaPause", service: "p"} | .groupKey = "gk-pause"' \
  "$FIX/firing-high-error-rate.json" > "$T/pause.json"
BASE=${RBASE[2]} post_fixture "$T/pause.json" >/dev/null
BASE=${RBASE[3]} post_fixture "$T/pause.json" >/dev/null
pid_=$(pq "select id from actions where rule = 'paused'")
check "paused: planned" "$(pq "select state from actions where id = $pid_")" planned
# Every replica's worker looks again within 1 s (wake-ups and its timed wait): watch 3 s.
still=planned
deadline=$((SECONDS + 3))
while [ $SECONDS -lt $deadline ]; do
  still=$(pq "select state from actions where id = $pid_"); [ "$still" != planned ] && break; sleep 0.2
done
check "paused on A: B and C started nothing" "$still $(lines pause-p)" "planned 0"
on 3 POST /api/v1/resume "$OPERATOR" >/dev/null
check "resume on C" "$(status)" 200
check "runs after resume" "$(wait_sql "select state from actions where id = $pid_" succeeded)" succeeded
check "pause-p ran once" "$(lines pause-p)" 1

# --- 5. max_runs_per_hour: 1, two planned actions on two replicas ------------------------
for s in l1 l2; do
  jq --arg fp "$(fp "lim-$s")" --arg s "$s" '.alerts[0].fingerprint = $fp | .alerts[0].labels = {alertname: "HaLimited", service: $s} | .groupKey = ("gk-" + $s)' \
    "$FIX/firing-high-error-rate.json" > "$T/lim-$s.json"
done
post_bg 2 "$T/lim-l1.json"; post_bg 3 "$T/lim-l2.json"
wait_posts
check "rate limit: both settled" \
  "$(wait_sql "select count(*) from actions where rule = 'limited' and state in ('succeeded','skipped')" 2)" 2
check "rate limit: one ran, one skipped" \
  "$(pq "select string_agg(state, ',' order by state) from actions where rule = 'limited'")" "skipped,succeeded"
check "rate limit: one line" "$(( $(lines limited-l1) + $(lines limited-l2) ))" 1

# --- 6. a replica frozen past its lease ------------------------------------------------
jq --arg fp "$(fp frozen-alert)" '.alerts[0].fingerprint = $fp | .alerts[0].labels = {alertname: "HaFrozen", service: "f"} | .groupKey = "gk-frozen"' \
  "$FIX/firing-high-error-rate.json" > "$T/frozen.json"
BASE=${RBASE[1]} post_fixture "$T/frozen.json" >/dev/null
fid=$(wait_sql "select id from actions where rule = 'frozen' and state = 'running'" "$(pq "select id from actions where rule = 'frozen'")")
owner=$(pq "select owner from actions where id = $fid")
fr=${owner#r}
check "frozen: running on a replica" "$(pq "select state from actions where id = $fid")" running
kill -STOP "${RPID[$fr]}"
check "frozen: interrupted by a peer within the lease" \
  "$(wait_sql "select state from actions where id = $fid" interrupted 8)" interrupted
kill -CONT "${RPID[$fr]}"
check "frozen: its late result is an event only" \
  "$(wait_sql "select count(*) from events where action_id = $fid and kind = 'action.late_result'" 1 15)" 1
check "frozen: the row stays interrupted" "$(pq "select state from actions where id = $fid")" interrupted
check "frozen: ran once" "$(lines frozen-f)" 1

# --- 7. kill -9 the replica running a slow action ----------------------------------------
jq --arg fp "$(fp slow-alert)" '.alerts[0].fingerprint = $fp | .alerts[0].labels = {alertname: "HaSlow", service: "s"} | .groupKey = "gk-slow"' \
  "$FIX/firing-high-error-rate.json" > "$T/slow.json"
BASE=${RBASE[2]} post_fixture "$T/slow.json" >/dev/null
sid=$(wait_sql "select id from actions where rule = 'slow' and state = 'running'" "$(pq "select id from actions where rule = 'slow'")")
owner=$(pq "select owner from actions where id = $sid")
kr=${owner#r}
check "slow: running" "$(pq "select state from actions where id = $sid")" running
# Another replica restarts meanwhile: its start-up recovery touches only its own rows.
o=1; [ "$o" == "$kr" ] && o=2
kill -TERM "${RPID[$o]}"; wait "${RPID[$o]}" 2>/dev/null
rm -f "$T/port$o"
RUNBOOKD_PORT_FILE="$T/port$o" "$RBD_BIN" serve -c "$T/r$o.yaml" >>"$T/r$o.log" 2>&1 &
RPID[$o]=$!; PIDS+=("${RPID[$o]}")
for _ in $(seq 1 300); do [ -s "$T/port$o" ] && break; sleep 0.05; done
RBASE[$o]="http://127.0.0.1:$(cat "$T/port$o")"
check "a peer restarted (start-up recovery ran)" "$(curl -s -o /dev/null -w '%{http_code}' "${RBASE[$o]}/readyz")" 200
check "its recovery left the live replica's running action alone" \
  "$(pq "select state from actions where id = $sid")" running
t0=$SECONDS
kill -9 "${RPID[$kr]}"
wait "${RPID[$kr]}" 2>/dev/null
check "killed replica's action interrupted within the lease" \
  "$(wait_sql "select state from actions where id = $sid" interrupted 8)" interrupted
check "interrupted within lease + sweep (<= 6 s)" "$(( SECONDS - t0 <= 6 ))" 1
check "interrupt recorded on the timeline" \
  "$(pq "select count(*) from events where action_id = $sid and kind = 'action.interrupted'")" 1
check "slow: never re-run" "$(lines slow-s)" 1

# --- 8. the leader dies: another takes over ---------------------------------------------
alive=(); for r in 1 2 3; do [ "$r" != "$kr" ] && alive+=("$r"); done
leader=""
deadline=$((SECONDS + 5))
while [ -z "$leader" ] && [ $SECONDS -lt $deadline ]; do
  for r in "${alive[@]}"; do grep -q 'this replica is the leader' "$T/r$r.log" && leader=$r; done
  [ -z "$leader" ] && sleep 0.1
done
check "a live replica leads" "${leader:+yes}" yes
other=${alive[0]}; [ "$other" == "$leader" ] && other=${alive[1]}
kill -9 "${RPID[$leader]}"; wait "${RPID[$leader]}" 2>/dev/null
took=""
deadline=$((SECONDS + 5))
while [ $SECONDS -lt $deadline ]; do
  grep -q 'this replica is the leader' "$T/r$other.log" && { took=1; break; }; sleep 0.1
done
check "leader killed: the other replica leads within a poll interval" "$took" 1
finish
