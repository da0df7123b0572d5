#!/usr/bin/env bash
# bench/openloop.sh PATH/TO/runbookd [PATH/TO/bench_openloop]: open-loop fixed-rate
# ingest (bench/README.md, "Open-loop latency and the WAL"). Starts runbookd (dry-run,
# bench/rules.yaml, SQLite on disk), drives new episodes at BENCH_RATE/s for
# BENCH_SECONDS over BENCH_CONNS connections with bench_openloop (latency from each
# request's due time), samples the WAL file's size every 10 ms, and prints the latency
# percentiles, the WAL peak against 2 x the 1000-page autocheckpoint size, the slow
# checkpoints runbookd logged, RSS, and the load average.
#
# Must never: leave a process behind, listen beyond 127.0.0.1, run unbounded.
# Environment: BENCH_RATE=1000 BENCH_SECONDS=30 BENCH_CONNS=64 BENCH_DIR=/tmp KEEP=1
set -uo pipefail
RBD_BIN=${1:?usage: bench/openloop.sh PATH/TO/runbookd [PATH/TO/bench_openloop]}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GEN=${2:-$(dirname "$RBD_BIN")/bench/bench_openloop}
RATE=${BENCH_RATE:-1000}
SECS=${BENCH_SECONDS:-30}
CONNS=${BENCH_CONNS:-64}
for v in RATE SECS CONNS; do
	[[ ${!v} =~ ^[1-9][0-9]{0,5}$ ]] || { echo "BENCH_$v must be a positive integer" >&2; exit 1; }
done
[ -x "$GEN" ] || { echo "bench: $GEN not built (cmake --build build)" >&2; exit 1; }
W=$(mktemp -d "${BENCH_DIR:-/tmp}/rbd-openloop.XXXXXX")
PID= SAMPLER=
cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT INT TERM

(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/ingest.token")
cp "$HERE/rules.yaml" "$W/rules.yaml"
cat > "$W/runbookd.yaml" <<YAML
listen: 127.0.0.1:0
database: $W/runbookd.db
mode: dry-run
rules: $W/rules.yaml
auth:
  tokens:
    - { name: alertmanager, role: ingest, token_file: $W/ingest.token }
limits:
  max_connections_per_ip: 256
actions:
  restart:
    run: [/bin/true, restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [order-api, payment-api] }
  logs:
    run: [/bin/true, logs, --tail=200, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z][a-z0-9-]*" }
  loadtest_stop:
    run: [/bin/true, stop, loadtest]
YAML
RUNBOOKD_PORT_FILE="$W/port" "$RBD_BIN" serve -c "$W/runbookd.yaml" >"$W/log" 2>&1 &
PID=$!
for _ in $(seq 1 500); do [ -s "$W/port" ] && break; sleep 0.02; done
[ -s "$W/port" ] || { echo "bench: runbookd did not start" >&2; cat "$W/log" >&2; exit 1; }
rss_idle=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")

# the WAL's size every 10 ms, the peak at the end
( peak=0; while :; do
	s=$(stat -c %s "$W/runbookd.db-wal" 2>/dev/null || echo 0)
	[ "$s" -gt "$peak" ] && { peak=$s; echo "$peak" > "$W/wal.peak"; }
	sleep 0.01
  done ) &
SAMPLER=$!

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$GEN" "$(cat "$W/port")" "$RATE" "$SECS" "$CONNS" "$W/ingest.token" "$HERE/openloop-body.json"
rc=$?
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=
bound=$(( 2 * (32 + 1000 * (4096 + 24)) ))
echo "WAL peak: $(cat "$W/wal.peak" 2>/dev/null || echo 0) bytes (bound 2 x 1000 pages: $bound)"
echo "slow checkpoints (> 50 ms, writer held): $(grep -c 'slow checkpoint' "$W/log")"
grep 'slow checkpoint' "$W/log" | sed -n 's/.* us=\([0-9]*\).*/\1/p' | sort -n | tail -1 |
	awk '{ printf "longest: %.1f ms\n", $1 / 1000 }'
echo "RSS idle ${rss_idle} kB, after the run $(awk '/VmRSS/ { print $2 }' "/proc/$PID/status") kB"
exit $rc
