#!/usr/bin/env bash
# Stops a cluster started by pg-start.sh and removes its directory.
#   pg-stop.sh STATE|DIR
set -uo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
arg=${1:?usage: pg-stop.sh STATE|DIR}
dir=$arg
if [ -f "$arg" ]; then
  dir=$(sed -n 's/^DIR=//p' "$arg")
  rm -f "$arg"
fi
case "$dir" in /tmp/rbd-pg.*) ;; *) echo "pg-stop: refusing $dir" >&2; exit 1 ;; esac
[ -d "$dir" ] || exit 0
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
rm -rf "$dir"
exit 0
