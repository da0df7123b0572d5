#!/usr/bin/env bash
# Disk full / I/O error (THREATS.md): when the database cannot grow, ingest answers 503
# (Alertmanager retries 5xx) and /readyz 503; what was acknowledged before stays;
# once space returns, the same deliveries are stored. The "full disk" is a file-size
# limit (RLIMIT_FSIZE) put on the running process with prlimit: writes past the
# database's current size fail with EFBIG, as on a full filesystem.
source "$(dirname "$0")/../lib.sh"
write_restart_config
start_rbd || exit 1

payload() {  # payload N -> a firing alert with its own episode
  jq --arg fp "$(printf '%016x' "$1")" '.alerts[0].fingerprint = $fp' \
    "$FIX/firing-high-error-rate.json" > "$T/p$1.json"
  echo "$T/p$1.json"
}
acked=()
for n in 1 2 3; do
  post_fixture "$(payload $n)" >/dev/null
  [ "$(status)" == 200 ] && acked+=("$(printf '%016x' $n)")
done
check "stored before the disk fills" "${#acked[@]}" 3

# Fill the disk: no file may grow past its current size.
size=$(stat -c %s "$T/runbookd.db-wal")
dbsize=$(stat -c %s "$T/runbookd.db")
[ "$dbsize" -gt "$size" ] && size=$dbsize
prlimit --pid "$RBD_PID" --fsize="$size:unlimited" || { fail "prlimit"; finish; }
codes=""
for n in $(seq 4 40); do
  post_fixture "$(payload $n)" >/dev/null
  c=$(status); codes="$codes $c"
  [ "$c" == 200 ] && acked+=("$(printf '%016x' $n)")
done
check_match "ingest answers 503 when it cannot commit" "$codes" ' 503'
check "503 carries a JSON error" "$(jq -r .error.code "$T/body")" unavailable
api GET /readyz "" >/dev/null; check "readyz 503 while full" "$(status)" 503
api GET /healthz "" >/dev/null; check "healthz still 200" "$(status)" 200
kill -0 "$RBD_PID" 2>/dev/null; check "still running" "$?" 0

# Space returns: the retried deliveries are stored.
prlimit --pid "$RBD_PID" --fsize=unlimited:unlimited
api GET /readyz "" >/dev/null; check "readyz 200 after recovery" "$(status)" 200
for n in $(seq 4 40); do
  post_fixture "$(payload $n)" >/dev/null
  [ "$(status)" == 200 ] || fail "retry $n: $(status)"
done
check "every delivery stored once after the retries" "$(sql 'select count(*) from alerts')" 40
missing=0
for f in "${acked[@]}"; do
  [ "$(sql "select count(*) from alerts where fingerprint='$f'")" == 1 ] || missing=$((missing + 1))
done
check "nothing acknowledged was lost" "$missing" 0
check "no half-written plans" "$(sql 'select count(*) from actions')" 40
check "integrity" "$(sql 'pragma integrity_check')" ok
finish
