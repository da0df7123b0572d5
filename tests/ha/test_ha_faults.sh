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
