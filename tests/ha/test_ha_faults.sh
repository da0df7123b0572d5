#!/usr/bin/env bash
# PostgreSQL faults: with its own throwaway cluster (stopped and started here), a
# replica answers 503 on ingest and /readyz while the database is down, does not
# crash, and recovers without a restart; connections lost while idle (server-side
# termination) are reconnected and the write goes through; a delivery retried after
# a failure is stored once (unique keys).
source "$(dirname "$0")/../lib.sh"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGURL=$(bash "$RBD_TESTS/scripts/pg-start.sh" "$T/pgstate") || exit 1
PGDIR=$(sed -n 's/^DIR=//p' "$T/pgstate")
cp "$T/pgstate" "$T/pgstate.keep"
faults_cleanup() {
  cleanup_pg_dir=$PGDIR
  [ -n "${RBD_PID:-}" ] && kill "$RBD_PID" 2>/dev/null
  bash "$RBD_TESTS/scripts/pg-stop.sh" "$cleanup_pg_dir" >/dev/null 2>&1
  cleanup
}
trap faults_cleanup EXIT
pq() { psql -X -qAt "$PGURL" -c "$1"; }
as_pg=(); [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)

# Password authentication from here on: the password comes from database_password_file,
# never from the config or the URL, and never reaches the log.
PW=rbd-pw-$RANDOM$RANDOM
pq "ALTER USER postgres PASSWORD '$PW'" >/dev/null
echo "local all all scram-sha-256" > "$PGDIR/data/pg_hba.conf"
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" reload >/dev/null
(umask 077; printf '%s\n' "$PW" > "$T/db.password")
check "the cluster now refuses a connection without the password" \
  "$(PGPASSWORD= psql -X -qAt -w "$PGURL" -c 'select 1' >/dev/null 2>&1 && echo open || echo refused)" refused
export PGPASSWORD=$PW    # for this script's psql only: runbookd's environment is cleaned below

write_restart_config
sed -i "s|^database: .*|database: \"$PGURL\"\ndatabase_password_file: $T/db.password|" "$T/runbookd.yaml"
PGPASSWORD= start_rbd || exit 1
check "ready on PostgreSQL" "$(api GET /readyz '' >/dev/null; status)" 200

# payload N -> a one-alert notification with its own fingerprint
payload() {
  jq --arg fp "$(fp "f$1")" --arg s "svc$1" '.alerts[0].fingerprint = $fp
    | .alerts[0].labels.service = $s | .groupLabels.service = $s
    | .groupKey = ("{}:{alertname=\"HighErrorRate\", service=\"" + $s + "\"}")' \
    "$FIX/firing-high-error-rate.json" > "$T/p$1.json"
  echo "$T/p$1.json"
}
post_fixture "$(payload 1)" >/dev/null
check "ingest 200" "$(status)" 200

# --- connections killed by the server while idle: reconnected, the write goes through
pq "select count(pg_terminate_backend(pid)) > 0 from pg_stat_activity where application_name = 'runbookd'" >/dev/null
post_fixture "$(payload 2)" >/dev/null
check "after the server dropped every connection: ingest 200" "$(status)" 200
check "and reads work" "$(api GET /api/v1/incidents "$VIEWER" | jq '.incidents | length')" 2

# --- a connection lost in the middle of a write ----------------------------------------
# hold SQL: a psql session (fed through a fifo) that keeps SQL's locks until release.
mkfifo "$T/hold.fifo"
hold() {
  psql -X -qAt "$PGURL" < "$T/hold.fifo" > "$T/hold.out" 2>&1 &
  HOLD_PID=$!
  exec 7> "$T/hold.fifo"
  printf 'SET application_name = holder;\nBEGIN;\n%s;\n' "$1" >&7
}
release() { printf 'ROLLBACK;\n' >&7; exec 7>&-; wait "$HOLD_PID"; }
# wait_pg SQL EXPECTED: polls (10 s at most); prints the last value.
wait_pg() {
  local v="" deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do v=$(pq "$1"); [ "$v" == "$2" ] && break; sleep 0.05; done
  echo "$v"
}
# post_bg N: delivers payload N in the background, its status to $T/st.N.
POSTS=()
post_bg() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $INGEST" \
    -H 'Content-Type: application/json' --data-binary @"$(payload "$1")" "$BASE/api/v1/alerts" > "$T/st.$1" &
  POSTS+=($!)
}
wait_posts() { for p in "${POSTS[@]}"; do wait "$p"; done; POSTS=(); }
stored_once() {  # stored_once N...: "1 1 1" per payload (episode, incident, action)
  local n out=""
  for n in "$@"; do
    out+="$(pq "select count(*) from alerts where fingerprint = '$(fp "f$n")'")"
    out+="$(pq "select count(*) from incidents where group_key like '%\"svc$n\"%'")"
    out+="$(pq "select count(*) from actions a join alerts e on e.id = a.alert_id where e.fingerprint = '$(fp "f$n")'") "
  done
  echo "${out% }"
}
WAITING="select count(*) from pg_stat_activity where application_name = 'runbookd' and wait_event_type = 'Lock'"

# (a) Lost while waiting for the write lock (before any job wrote): runbookd reconnects
# and runs the batch again by itself; every delivery answers 200, each stored once.
hold "SELECT pg_advisory_xact_lock(125766910083073)"   # PG_LOCK_WRITE
check "lock holder in place" "$(wait_pg "select count(*) from pg_stat_activity where application_name = 'holder' and state = 'idle in transaction'" 1)" 1
for n in 10 11 12; do post_bg $n; done
check "the writer waits for the write lock" "$(wait_pg "$WAITING and wait_event = 'advisory'" 1)" 1
pq "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'runbookd' and wait_event = 'advisory'" >/dev/null
release
wait_posts
check "lost before the first write: all three deliveries 200 (replayed by the store)" \
  "$(cat "$T/st.10" "$T/st.11" "$T/st.12" | tr -d '\n')" 200200200
check "and each stored once" "$(stored_once 10 11 12)" "111 111 111"
check "the store said it started again" \
  "$(grep 'starting the transaction again' "$T/runbookd.log" | grep -c 'write lock: FATAL')" 1

# (b) Lost mid-transaction, after the job wrote (its INSERT into alerts blocked by a
# table lock): not replayed (503); what was answered 200 is stored; Alertmanager's
# retries store each episode once.
hold "LOCK TABLE alerts IN SHARE ROW EXCLUSIVE MODE"
check "table lock in place" "$(wait_pg "select count(*) from pg_stat_activity where application_name = 'holder' and state = 'idle in transaction'" 1)" 1
for n in 13 14; do post_bg $n; done
check "the writer is inside a job, blocked on alerts" "$(wait_pg "$WAITING and wait_event = 'relation'" 1)" 1
pq "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'runbookd' and wait_event = 'relation'" >/dev/null
release
wait_posts
s13=$(cat "$T/st.13"); s14=$(cat "$T/st.14")
check_match "lost mid-write: answered 503 (never 200 for an unknown outcome)" "$s13 $s14" '503'
check_match "every answer is 200 or 503" "$s13 $s14" '^(200|503) (200|503)$'
for n in 13 14; do
  [ "$(cat "$T/st.$n")" == 200 ] && check "acknowledged delivery $n is stored" "$(stored_once $n)" 111
done
for n in 13 14; do post_fixture "$T/p$n.json" >/dev/null; check "Alertmanager's retry of $n: 200" "$(status)" 200; done
post_fixture "$T/p13.json" >/dev/null
check "a second retry: 200" "$(status)" 200
check "each stored once after the retries" "$(stored_once 13 14)" "111 111"
check "still the same process" "$(kill -0 "$RBD_PID" && echo alive)" alive

# --- the database goes away
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
post_fixture "$(payload 3)" >/dev/null
check "database down: ingest 503" "$(status)" 503
api GET /readyz '' >/dev/null
check "database down: /readyz 503" "$(status)" 503
check "database down: still running" "$(kill -0 "$RBD_PID" && echo alive)" alive
post_fixture "$T/p3.json" >/dev/null
check "database down: the retry 503 too" "$(status)" 503

# --- it comes back: no restart needed
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$PGDIR'" start >/dev/null
code=""
deadline=$((SECONDS + 15))
while [ $SECONDS -lt $deadline ]; do
  api GET /readyz '' >/dev/null; code=$(status); [ "$code" == 200 ] && break; sleep 0.2
done
check "database back: /readyz 200 without a restart" "$code" 200
post_fixture "$T/p3.json" >/dev/null
check "database back: Alertmanager's retry 200" "$(status)" 200
post_fixture "$T/p3.json" >/dev/null
check "and again (a second retry) 200" "$(status)" 200
check "the retried episode stored once" "$(pq "select count(*) from alerts where fingerprint = '$(fp f3)'")" 1
check "one incident for it" "$(pq "select count(*) from incidents where group_key like '%svc3%'")" 1
check "one action for it" "$(pq "select count(*) from actions a join alerts e on e.id = a.alert_id where e.fingerprint = '$(fp f3)'")" 1
check "same pid: no restart" "$(kill -0 "$RBD_PID" && echo alive)" alive
check "the password is not in the log" "$(grep -c "$PW" "$T/runbookd.log")" 0
stop_rbd; check "clean stop" "$?" 0
RBD_PID=""
finish
