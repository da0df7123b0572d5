#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster in a temp dir: unix socket in that dir only
# (listen_addresses='', no TCP port), trust auth for the local socket. Tests run as root,
# the server as `postgres` (runuser). Prints the connection URL on stdout; with a STATE
# file argument, also writes "DIR" and "URL" lines there for pg-stop.sh. With RBD_PG_DIR
# (/tmp/rbd-pg.NAME), uses that directory, so that the URL is known in advance (the
# ctest fixture); a cluster left there by an interrupted run is stopped and replaced.
#   pg-start.sh [STATE]
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
state=${1:-}
[ -x "$PGBIN/initdb" ] || { echo "pg-start: no $PGBIN/initdb (install postgresql)" >&2; exit 1; }

if [ -n "${RBD_PG_DIR:-}" ]; then
  case "$RBD_PG_DIR" in /tmp/rbd-pg.*) ;; *) echo "pg-start: RBD_PG_DIR must be /tmp/rbd-pg.*" >&2; exit 1 ;; esac
  [ -d "$RBD_PG_DIR" ] && "$(dirname "$0")/pg-stop.sh" "$RBD_PG_DIR"
  dir=$RBD_PG_DIR
  mkdir -m 755 "$dir"
else
  dir=$(mktemp -d /tmp/rbd-pg.XXXXXX)
fi
chmod 755 "$dir"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_pg=(runuser -u postgres --)
fi
fail() {
  echo "pg-start: $*" >&2
  [ -f "$dir/log" ] && tail -20 "$dir/log" >&2
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 1
}
"${as_pg[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || fail "initdb failed: $(tail -5 "$dir/initdb.log")"
# fsync stays on: the tests check that a 200 means committed. Small buffers: the
# machine is shared.
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200 -c shared_buffers=16MB" \
  start >/dev/null || fail "pg_ctl start failed"
url="postgresql://postgres@/postgres?host=$dir"
if [ -n "$state" ]; then
  printf 'DIR=%s\nURL=%s\n' "$dir" "$url" >"$state"
fi
echo "$url"
