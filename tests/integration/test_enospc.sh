#!/usr/bin/env bash
# A real full disk (ENOSPC): the database on a 1 MiB tmpfs, filled by deliveries until
# ingest answers 503. /readyz must then say 503 too (a small probe write still fits
# where a delivery does not), healthz stays 200; once space returns (a filler file is
# removed) /readyz is 200 again and the refused delivery is stored. Needs the right to
# mount a tmpfs (root or CAP_SYS_ADMIN): skipped (exit 77) without it.
source "$(dirname "$0")/../lib.sh"
mkdir -p "$T/fs"
if ! mount -t tmpfs -o size=1m tmpfs "$T/fs" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here"
  rm -rf "$T"; trap - EXIT; exit 77
fi
unmount_then_cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  PIDS=()
  umount "$T/fs"
  cleanup
}
trap unmount_then_cleanup EXIT
write_restart_config
sed -i "s|^database: .*|database: $T/fs/runbookd.db|" "$T/runbookd.yaml"
start_rbd || exit 1
sql() { sqlite3 -batch -noheader "$T/fs/runbookd.db" "$1"; }
# Room to give back later.
head -c 65536 /dev/zero > "$T/fs/filler"

big=$(head -c 300 /dev/zero | tr '\0' x)
n=0; acked=0
while [ "$n" -lt 400 ]; do
  n=$((n + 1))
  jq --arg fp "$(printf '%016x' "$n")" --arg s "$big" \
    '.alerts[0].fingerprint = $fp | .alerts[0].annotations.big = $s' \
    "$FIX/firing-high-error-rate.json" > "$T/p.json"
  post_fixture "$T/p.json" >/dev/null
  [ "$(status)" == 200 ] || break
  acked=$n
done
check "ingest answers 503 on the full disk" "$(status)" 503
check_match "some deliveries were stored first" "$acked" '^[1-9]'
for _ in 1 2 3; do
  api GET /readyz "" >/dev/null; check "readyz 503 while deliveries fail" "$(status)" 503
  post_fixture "$T/p.json" >/dev/null; check "the delivery still fails" "$(status)" 503
done
api GET /healthz "" >/dev/null; check "healthz 200" "$(status)" 200

rm -f "$T/fs/filler" "$T/fs/runbookd.db-journal" 2>/dev/null
# Deleting the filler is not enough if the database took it back; also allow growth.
mount -o remount,size=4m "$T/fs"
api GET /readyz "" >/dev/null; check "readyz 200 once space returns" "$(status)" 200
post_fixture "$T/p.json" >/dev/null; check "the refused delivery is stored" "$(status)" 200
check "every acknowledged delivery is there" "$(sql "select count(*) from alerts")" "$((acked + 1))"
check "integrity" "$(sql 'pragma integrity_check')" ok
finish
