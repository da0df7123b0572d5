#!/usr/bin/env bash
# Crash at any moment (THREATS.md): kill -9 under load. Every notification that got a
# 200 is in the database after the restart, the database is intact, and retries of the
# same deliveries after the restart store nothing twice.
source "$(dirname "$0")/../lib.sh"
write_restart_config
start_rbd || exit 1

mkdir -p "$T/p"
for n in $(seq 1 400); do
  jq --arg fp "$(printf '%016x' "$n")" '.alerts[0].fingerprint = $fp' \
    "$FIX/firing-high-error-rate.json" > "$T/p/$n.json"
done
# Four concurrent senders; each records the fingerprints that were acknowledged.
sender() {
  local k=$1
  for n in $(seq "$k" 4 400); do
    c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $INGEST" \
        --data-binary @"$T/p/$n.json" "$BASE/api/v1/alerts")
    [ "$c" == 200 ] && printf '%016x\n' "$n" >> "$T/acked.$k"
  done
}
for k in 1 2 3 4; do sender "$k" & done
for _ in $(seq 1 100); do
  [ "$(cat "$T"/acked.* 2>/dev/null | wc -l)" -ge 60 ] && break
  sleep 0.05
done
kill -9 "$RBD_PID"
wait "$RBD_PID" 2>/dev/null
for j in $(jobs -p); do wait "$j"; done
acked=$(cat "$T"/acked.* | sort -u)
n_acked=$(echo "$acked" | grep -c .)
check_match "some deliveries were acknowledged before the kill" "$n_acked" '^[0-9]+$'
start_rbd || exit 1
missing=0
for f in $acked; do
  [ "$(sql "select count(*) from alerts where fingerprint='$f'")" == 1 ] || missing=$((missing + 1))
done
check "every acknowledged notification survived kill -9 ($n_acked acked)" "$missing" 0
check "integrity after kill -9" "$(sql 'pragma integrity_check')" ok
check "each stored episode has its plan" "$(sql 'select count(*) from alerts a left join actions x on x.alert_id = a.id where x.id is null')" 0
# Alertmanager retries everything that was not acknowledged (and some that were).
for n in $(seq 1 400); do post_fixture "$T/p/$n.json" >/dev/null; done
check "after retries: every episode once" "$(sql 'select count(*) from alerts')" 400
check "after retries: one plan per episode" "$(sql 'select count(*) from actions')" 400
finish
