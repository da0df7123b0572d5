#!/usr/bin/env bash
# bench/ha.sh PATH/TO/runbookd: several replicas on PostgreSQL (bench/README-ha.md).
#
# Same run, same machine: ingest of new episodes ("unique") and of retries ("same") with
# wrk and the real Alertmanager fixture, on SQLite (one replica) and PostgreSQL (one and
# three replicas: three wrk processes, one per replica, the connections split between
# them); then alert-to-spawn with three replicas (a delivery to replica 1, the time until
# some replica committed `running` and spawned the action, from the database).
#
# Must never: leave a process behind, listen anywhere but 127.0.0.1 / a unix socket in a
# temp dir, or run unbounded (fixed wrk durations, bounded polls).
#
# Environment: BENCH_DURATION=4 (s per wrk run), BENCH_CONNS=48, BENCH_SPAWNS=20,
#   KEEP=1 keeps the temp dir.
set -uo pipefail

RBD_BIN=${1:?usage: bench/ha.sh PATH/TO/runbookd}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
FIXTURE=$SRC/tests/fixtures/alertmanager-0.25/firing-high-error-rate.json
DURATION=${BENCH_DURATION:-4}
CONNS=${BENCH_CONNS:-48}
SPAWNS=${BENCH_SPAWNS:-20}
for t in wrk psql jq curl; do command -v $t >/dev/null || { echo "bench: $t not found (make bench)"; exit 1; }; done

W=$(mktemp -d /tmp/rbd-bench-ha.XXXXXX)
PIDS=()
PGURL=""
finish() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  [ -s "$W/pgstate" ] && bash "$SRC/tests/scripts/pg-stop.sh" "$W/pgstate"
  [ -z "${KEEP:-}" ] && rm -rf "$W"
}
trap finish EXIT
PGURL=$(bash "$SRC/tests/scripts/pg-start.sh" "$W/pgstate") || exit 1
mkdir -p "$W/tokens"
for r in ingest operator; do (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/tokens/$r.token"); done
cp "$HERE/rules.yaml" "$W/rules.yaml"
cat >> "$W/rules.yaml" <<'YAML'
  - name: spawn
    description: "alert-to-spawn"
    matchers: [ 'alertname = "Spawn"' ]
    action: touch
    params: { service: "{{ .Labels.service }}" }
YAML

config() {  # config DATABASE MODE REPLICA
  cat <<YAML
listen: 127.0.0.1:0
database: "$1"
mode: $2
rules: $W/rules.yaml
ha: { lease: 10s, replica: $3 }
auth:
  tokens:
    - { name: alertmanager, role: ingest, token_file: $W/tokens/ingest.token }
    - { name: bench, role: operator, token_file: $W/tokens/operator.token }
limits:
  max_body_bytes: 1048576
  max_connections_per_ip: 256
  max_concurrent_actions: 8
actions:
  restart:
    run: [/bin/true, restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [order-api, payment-api] }
    timeout: 10s
  logs:
    run: [/bin/true, logs, --tail=200, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z][a-z0-9-]*" }
    timeout: 10s
  loadtest_stop:
    run: [/bin/true, stop, loadtest]
    timeout: 10s
  touch:
    run: [/bin/true, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z0-9-]+" }
    timeout: 10s
YAML
}

RB=()    # base URLs of the running replicas
start() {  # start NAME DATABASE MODE N
  local name=$1 db=$2 mode=$3 n=$4 i
  RB=()
  for i in $(seq 1 "$n"); do
    config "$db" "$mode" "$name-$i" > "$W/$name-$i.yaml"
    RUNBOOKD_PORT_FILE="$W/$name-$i.port" "$RBD_BIN" serve -c "$W/$name-$i.yaml" >>"$W/$name-$i.log" 2>&1 &
    PIDS+=($!)
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 400); do [ -s "$W/$name-$i.port" ] && break; sleep 0.05; done
    [ -s "$W/$name-$i.port" ] || { echo "bench: $name-$i did not start"; tail "$W/$name-$i.log"; exit 1; }
    RB+=("http://127.0.0.1:$(cat "$W/$name-$i.port")")
  done
}
stop_all() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  PIDS=()
}
NONCE=$((RANDOM))
ingest() {  # ingest MODE -> "req/s p99_ms" summed over the replicas
  local mode=$1 n=${#RB[@]} i per total=0 p99=0 out
  per=$(( CONNS / n )); [ "$per" -lt 1 ] && per=1
  for i in $(seq 0 $((n - 1))); do
    NONCE=$(( (NONCE + 1) % 65536 ))
    wrk -t 1 -c "$per" -d "${DURATION}s" --latency -s "$HERE/wrk-post.lua" "${RB[$i]}/api/v1/alerts" -- \
      "$FIXTURE" "$W/tokens/ingest.token" "$mode" "$NONCE" > "$W/wrk-$i.out" 2>&1 &
  done
  wait_wrk
  for i in $(seq 0 $((n - 1))); do
    out=$(grep '^WRK ' "$W/wrk-$i.out")
    req=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out")
    dur=$(sed -n 's/.*duration_us=\([0-9]*\).*/\1/p' <<<"$out")
    p=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$out")
    err=$(sed -n 's/.*err_status=\([0-9]*\).*/\1/p' <<<"$out")
    [ "${err:-0}" -gt 0 ] && echo "  (replica $i: $err non-2xx answers)" >&2
    total=$(awk -v t="$total" -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", t + r / (d / 1e6) }')
    [ "$p" -gt "$p99" ] && p99=$p
  done
  printf '%s %.1f' "$total" "$(awk -v p="$p99" 'BEGIN { print p / 1000 }')"
}
wait_wrk() { local j; for j in $(jobs -p); do
  case " ${PIDS[*]} " in *" $j "*) ;; *) wait "$j";; esac; done; }

echo "| database | replicas | new episodes req/s (p99 ms) | retries req/s (p99 ms) |"
echo "| --- | --- | --- | --- |"
row() {  # row LABEL NAME DB N
  start "$2" "$3" dry-run "$4"
  local u s
  u=$(ingest unique); s=$(ingest same)
  printf '| %s | %s | %s (%s) | %s (%s) |\n' "$1" "$4" ${u% *} ${u#* } ${s% *} ${s#* }
  stop_all
}
row SQLite sq "$W/sq.db" 1
newdb() { psql -X -q "$PGURL" -c "CREATE DATABASE $1" >/dev/null; echo "${PGURL/\/postgres\?//$1?}"; }
row PostgreSQL pg1 "$(newdb b1)" 1
row PostgreSQL pg3 "$(newdb b3)" 3

# alert-to-spawn, three replicas (enforce mode; the action is /bin/true)
DB=$(newdb spawn)
start sp "$DB" enforce 3
ms=()
for i in $(seq 1 "$SPAWNS"); do
  f="$W/spawn-$i.json"
  jq --arg fp "$(printf 'a%015x' "$i")" --arg s "svc$i" '.alerts[0].fingerprint = $fp
    | .alerts[0].labels = {alertname: "Spawn", service: $s} | .groupKey = ("spawn-" + $s)' "$FIXTURE" > "$f"
  t0=$(date +%s%3N)
  curl -s -o /dev/null -H "Authorization: Bearer $(cat "$W/tokens/ingest.token")" \
    -H 'Content-Type: application/json' --data-binary @"$f" "${RB[$(( i % 3 ))]}/api/v1/alerts"
  st=""
  for _ in $(seq 1 200); do
    st=$(psql -X -qAt "$DB" -c "select started_at from actions where rule = 'spawn' and alert_id = (select id from alerts where fingerprint = '$(printf 'a%015x' "$i")')")
    [ -n "$st" ] && break
    sleep 0.01
  done
  [ -n "$st" ] && ms+=($(( st - t0 )))
done
sorted=$(printf '%s\n' "${ms[@]}" | sort -n)
n=${#ms[@]}
owners=$(psql -X -qAt "$DB" -c "select string_agg(owner || ':' || c, ' ') from (select owner, count(*) c from actions where rule = 'spawn' group by owner order by owner) x")
echo
echo "alert-to-spawn, 3 replicas, $n/$SPAWNS samples (ms from the POST to the committed claim):" \
  "p50 $(sed -n "$(( (n + 1) / 2 ))p" <<<"$sorted"), p90 $(sed -n "$(( (n * 9 + 9) / 10 ))p" <<<"$sorted"), max $(tail -1 <<<"$sorted"); claims by replica: $owners"
stop_all
