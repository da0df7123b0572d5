#!/usr/bin/env bash
# bench/run.sh PATH/TO/runbookd: the ingest benchmark (bench/README.md).
#
# Drives runbookd (dry-run, SQLite on disk, bench/rules.yaml) and adnanh/webhook (an
# equivalent bearer-token hook that execs /bin/true) with wrk, POSTing the real
# Alertmanager 0.25 fixture, in the same run, interleaved, and prints requests/s,
# p50/p99 latency and the runbookd/webhook ratio per cell, plus runbookd's
# group-commit factor from its /metrics.
#
# Must never: leave a process behind (every pid it starts is killed on exit), listen
# anywhere but 127.0.0.1, or run unbounded (every wrk run has a fixed duration).
#
# Environment (all optional):
#   BENCH_DURATION=4         seconds per wrk run; each side runs BENCH_ROUNDS times per cell
#   BENCH_ROUNDS=2           interleaved rounds per cell (runbookd, webhook, runbookd, ...);
#                            the second table gives min/median/max of the per-round ratio
#   BENCH_CONNS="1 16 64"    connection counts
#   BENCH_SCENARIOS="same unique"
#   BENCH_THREADS=2          wrk threads (never more than the connections)
#   BENCH_WEBHOOK_SYNC=0     1: also measure webhook with include-command-output-in-response
#                            (answers after /bin/true exited), in the "same" cells
#   BENCH_RBD_PAUSED=0       1: turn runbookd's kill switch on first (dry-run planning is
#                            unchanged; the executor workers stop claiming)
#   BENCH_DIR=$TMPDIR|/tmp   where the temp dir (and the database) goes; tmpfs is refused
#                            unless BENCH_ALLOW_TMPFS=1 (fsync is free there)
#   BENCH_OUT=FILE           also write the results table (markdown) to FILE
#   KEEP=1                   keep the temp dir (logs, database, wrk output)
set -uo pipefail

RBD_BIN=${1:?usage: bench/run.sh PATH/TO/runbookd}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
FIXTURE=$SRC/tests/fixtures/alertmanager-0.25/firing-high-error-rate.json
DURATION=${BENCH_DURATION:-4}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNS:-"1 16 64"}
SCENARIOS=${BENCH_SCENARIOS:-"same unique"}
THREADS=${BENCH_THREADS:-2}
WH_SYNC=${BENCH_WEBHOOK_SYNC:-0}
RBD_PAUSED=${BENCH_RBD_PAUSED:-0}

die() { echo "bench: $*" >&2; exit 1; }

# ---- prerequisites
for tool in wrk webhook; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found. Run \`make bench\` (it installs wrk and webhook with scripts/install-deps.sh --bench)."
done
for tool in curl python3 awk; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found. Run \`make bench\` (scripts/install-deps.sh installs it)."
done
[ -x "$RBD_BIN" ] || die "$RBD_BIN is not an executable runbookd. Run \`make bench\` (it builds it)."
[ -r "$FIXTURE" ] || die "missing fixture $FIXTURE"
for v in DURATION ROUNDS THREADS; do
	[[ ${!v} =~ ^[1-9][0-9]{0,3}$ ]] || die "BENCH_$v must be a positive integer (got '${!v}')"
done
for c in $CONNS; do
	[[ $c =~ ^[1-9][0-9]{0,3}$ ]] && [ "$c" -le 1000 ] || die "BENCH_CONNS: '$c' is not 1..1000"
done
for s in $SCENARIOS; do
	[ "$s" = same ] || [ "$s" = unique ] || die "BENCH_SCENARIOS: '$s' is not same or unique"
done
RBD_BIN=$(cd "$(dirname "$RBD_BIN")" && pwd)/$(basename "$RBD_BIN")

# ---- workspace and cleanup
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/rbd-bench.XXXXXX") || die "cannot create a temp dir"
PIDS=()
WRK_PID=""
WH_PID_async="" WH_URL_async="" WH_PID_sync="" WH_URL_sync=""  # set by start_webhook
cleanup() {
	local p
	[ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null
	# SIGCONT first: a server stopped by only() would not act on SIGTERM.
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -CONT "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]:-}" $WRK_PID; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "bench: kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FSTYPE=$(stat -f -c %T "$W" 2>/dev/null || echo unknown)
if [ "$FSTYPE" = tmpfs ] && [ -z "${BENCH_ALLOW_TMPFS:-}" ]; then
	die "$W is on tmpfs, where fsync costs nothing: set BENCH_DIR to a disk directory (or BENCH_ALLOW_TMPFS=1 and report it)"
fi

mkdir -p "$W/tokens" "$W/wrk"
for r in ingest operator; do
	(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/tokens/$r.token")
done
cp "$HERE/rules.yaml" "$W/rules.yaml"
cat > "$W/runbookd.yaml" <<YAML
listen: 127.0.0.1:0
database: $W/runbookd.db
mode: dry-run
rules: $W/rules.yaml
auth:
  tokens:
    - { name: alertmanager, role: ingest, token_file: $W/tokens/ingest.token }
    - { name: bench, role: operator, token_file: $W/tokens/operator.token }
limits:
  max_body_bytes: 1048576
  max_connections_per_ip: 256
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
YAML

# ---- processes
start_rbd() {
	RUNBOOKD_PORT_FILE="$W/rbd.port" "$RBD_BIN" serve -c "$W/runbookd.yaml" >>"$W/runbookd.log" 2>&1 &
	RBD_PID=$!
	PIDS+=("$RBD_PID")
	for _ in $(seq 1 200); do
		[ -s "$W/rbd.port" ] && break
		kill -0 "$RBD_PID" 2>/dev/null || { tail -20 "$W/runbookd.log" >&2; die "runbookd exited at start"; }
		sleep 0.05
	done
	[ -s "$W/rbd.port" ] || die "runbookd did not write its port"
	RBD_BASE="http://127.0.0.1:$(cat "$W/rbd.port")"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_webhook NAME SYNC_EXEC(true|false): sets WH_URL_<NAME> and WH_PID_<NAME>
start_webhook() {
	local name=$1 sync=$2 port pid code
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		BENCH_TOKEN=$(cat "$W/tokens/ingest.token") BENCH_WEBHOOK_SYNC_EXEC=$sync \
			webhook -hooks "$HERE/webhook-hooks.json" -template -ip 127.0.0.1 -port "$port" \
			>>"$W/webhook-$name.log" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			code=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/hooks/alerts")
			[ "$code" = 401 ] && break
			sleep 0.05
		done
		if [ "${code:-}" = 401 ]; then
			printf -v "WH_URL_$name" '%s' "http://127.0.0.1:$port/hooks/alerts"
			printf -v "WH_PID_$name" '%s' "$pid"
			return 0
		fi
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	done
	tail -20 "$W/webhook-$name.log" >&2
	die "webhook ($name) did not start"
}

# post URL TOKEN_FILE: prints "STATUS BODY"
post() {
	local body
	body=$(curl -s --max-time 10 -o - -w ' %{http_code}' -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$2")" --data-binary @"$FIXTURE" "$1")
	echo "${body##* } ${body% *}"
}

# ---- per-process figures
metric() {  # metric NAME [LABELS]: value from the last scrape ($W/metrics)
	awk -v k="$1${2:-}" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$W/metrics"
}
scrape() { curl -s --max-time 10 "$RBD_BASE/metrics" > "$W/metrics" || die "cannot scrape runbookd /metrics"; }
cpu_ticks() {  # utime+stime+cutime+cstime of a pid, in clock ticks
	awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
busy_ticks() {  # the whole machine's non-idle CPU time, in clock ticks
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
forks() { awk '/^processes / { print $2 }' /proc/stat; }  # processes created since boot
times_children() {  # CPU time of the reaped children, from `times` output in file $1, in ticks
	awk -v hz="$CLK_TCK" 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
		printf "%d", t * hz }' "$1"
}

# rbd_counters: "commits jobs stored episodes commit_seconds_sum"
rbd_counters() {
	scrape
	echo "$(metric runbookd_store_commits_total) $(metric runbookd_store_commit_jobs_total)" \
	     "$(metric runbookd_notifications_total '{outcome="stored",status="firing"}')" \
	     "$(metric runbookd_alert_episodes_stored_total) $(metric runbookd_store_commit_seconds_sum)"
}

# only PID: the server under test runs, the others are SIGSTOPped, so that neither one's
# background work (webhook's queued /bin/true runs, runbookd's executor) lands in the
# other's measurement.
only() {
	local p
	for p in "${SERVERS[@]}"; do
		if [ "$p" = "$1" ]; then kill -CONT "$p"; else kill -STOP "$p"; fi
	done
}

# settle PID: waits (at most 20 s) until the server has no child left and used no CPU for
# 0.2 s twice: webhook answers before its command runs, so its work can outlast wrk's
# run. Prints the seconds it stayed busy after wrk (0.2 s resolution).
settle() {
	local pid=$1 t0 t1 i quiet=0
	for i in $(seq 1 100); do
		t0=$(cpu_ticks "$pid"); sleep 0.2; t1=$(cpu_ticks "$pid")
		if [ -z "$(ps --ppid "$pid" -o pid= 2>/dev/null)" ] && [ $((t1 - t0)) -le 1 ]; then
			quiet=$((quiet + 1))
			[ "$quiet" -ge 2 ] && break
		else
			quiet=0
		fi
	done
	awk -v i="$i" 'BEGIN { printf "%.1f", (i > 2 ? i - 2 : 0) * 0.2 }'
}

NONCE=0
# run_wrk TARGET URL CONNS MODE: one wrk run; appends a row to $W/rows:
# "MODE CONNS TARGET requests=.. duration_us=.. p50_us=.. ... cpu=TICKS [commits=.. jobs=..
#  stored=.. episodes=.. commit_s=..]" (runbookd's counters as deltas over the run)
run_wrk() {
	local target=$1 url=$2 conns=$3 mode=$4 pid threads out line c0 c1 cm s0 s1 f0 wt extra=""
	local b=(0 0 0 0 0) a=(0 0 0 0 0)
	threads=$(( THREADS < conns ? THREADS : conns ))
	NONCE=$((NONCE + 1))
	out="$W/wrk/$NONCE-$target-$mode-$conns.txt"
	case $target in
	rbd) pid=$RBD_PID ;;
	wh) pid=$WH_PID_async ;;
	whs) pid=$WH_PID_sync ;;
	esac
	only "$pid"
	[ "$target" = rbd ] && read -r -a b <<< "$(rbd_counters)"
	c0=$(cpu_ticks "$pid"); s0=$(busy_ticks); f0=$(forks); times > "$W/times0"
	wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 10s -s "$HERE/wrk-post.lua" "$url" \
		-- "$FIXTURE" "$W/tokens/ingest.token" "$mode" "$NONCE" > "$out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID"
	WRK_PID=""
	times > "$W/times1"; s1=$(busy_ticks); cm=$(cpu_ticks "$pid")
	wt=$(( $(times_children "$W/times1") - $(times_children "$W/times0") ))
	# other: CPU that neither the server under test nor wrk used (other users of the machine)
	extra=" wrk_cpu=$wt other_pct=$(awk -v o=$((s1 - s0 - (cm - c0) - wt)) -v d="$DURATION" -v n="$NCPU" \
		-v hz="$CLK_TCK" 'BEGIN { x = 100 * o / (d * n * hz); printf "%.0f", x < 0 ? 0 : x }')"
	# forks: processes created on the machine during the run and the drain, i.e. (the
	# other servers being stopped) webhook's /bin/true runs, plus a few of this script's.
	[ "$target" != rbd ] && extra+=" drain_s=$(settle "$pid") forks=$(( $(forks) - f0 ))"
	c1=$(cpu_ticks "$pid")
	line=$(grep '^WRK ' "$out") || { cat "$out" >&2; die "wrk produced no result ($out)"; }
	if [ "$target" = rbd ]; then
		read -r -a a <<< "$(rbd_counters)"
		extra+=" commits=$((a[0] - b[0])) jobs=$((a[1] - b[1])) stored=$((a[2] - b[2]))"
		extra+=" episodes=$((a[3] - b[3])) commit_s=$(awk -v x="${a[4]}" -v y="${b[4]}" 'BEGIN { print x - y }')"
	fi
	line="${line#WRK } cpu=$((c1 - c0))$extra"
	echo "$mode $conns $target $line" >> "$W/rows"
	awk -v t="$target" -v m="$mode" -v c="$conns" -v hz="$CLK_TCK" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		e = v["err_status"] + v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"]
		printf "  %-4s %-6s c=%-3s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  cpu %6.0f us/req", t, m, c,
			v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000,
			v["cpu"] / hz * 1e6 / v["requests"]
		if (v["drain_s"] > 0.5) printf "  (busy %.1f s after wrk)", v["drain_s"]
		if (t != "rbd") printf "  ran the command for ~%d%%", (v["forks"] < v["requests"] ? 100 * v["forks"] / v["requests"] : 100)
		printf "  wrk %3.0f%%", 100 * v["wrk_cpu"] / hz / (v["duration_us"] / 1e6)
		if (v["other_pct"] > 5) printf "  NOISE: %d%% of the CPUs used by other processes", v["other_pct"]
		if (e) printf "  ERRORS status=%d connect=%d read=%d write=%d timeout=%d", v["err_status"],
			v["err_connect"], v["err_read"], v["err_write"], v["err_timeout"]
		printf "\n"
	}' <<< "x $line"
}

# ---- start and check both sides
start_rbd
start_webhook async false
SERVERS=("$RBD_PID" "$WH_PID_async")
if [ "$WH_SYNC" = 1 ]; then
	start_webhook sync true
	SERVERS+=("$WH_PID_sync")
fi
if [ "$RBD_PAUSED" = 1 ]; then
	code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $(cat "$W/tokens/operator.token")" "$RBD_BASE/api/v1/pause")
	[ "$code" = 200 ] || die "cannot pause runbookd (HTTP $code)"
fi

r=$(post "$RBD_BASE/api/v1/alerts" "$W/tokens/ingest.token")
[[ $r == "200 "*'"actions_planned":2'* ]] || die "runbookd did not plan the fixture's 2 actions: $r"
r=$(post "$RBD_BASE/api/v1/alerts" "$W/tokens/operator.token")
[[ $r == 403* ]] || die "runbookd accepted a non-ingest token: $r"
WHS=(async)
[ "$WH_SYNC" = 1 ] && WHS+=(sync)
for wh in "${WHS[@]}"; do
	v="WH_URL_$wh"
	r=$(post "${!v}" "$W/tokens/ingest.token")
	[[ $r == 200* ]] || die "webhook ($wh) did not trigger the hook: $r"
	r=$(post "${!v}" "$W/tokens/operator.token")
	[[ $r == 401* ]] || die "webhook ($wh) triggered with a wrong token: $r"
done

echo "bench: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), database on $FSTYPE in $W"
echo "bench: runbookd $("$RBD_BIN" version 2>/dev/null | head -1), $(webhook -version 2>&1 | head -1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "bench: ${DURATION}s per run, $ROUNDS interleaved rounds per cell, wrk threads min($THREADS, connections)"

# Idle: what runbookd commits and burns with no traffic at all.
i0=$(rbd_counters); t0=$(cpu_ticks "$RBD_PID"); sleep 2; i1=$(rbd_counters); t1=$(cpu_ticks "$RBD_PID")
read -r ic0 ij0 _ <<< "$i0"; read -r ic1 ij1 _ <<< "$i1"
IDLE_COMMITS=$(( (ic1 - ic0) / 2 )); IDLE_JOBS=$(( (ij1 - ij0) / 2 ))
IDLE_CPU=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", 100 * t / hz / 2 }')
echo "bench: runbookd idle: $IDLE_COMMITS commits/s, $IDLE_JOBS write jobs/s, ${IDLE_CPU}% CPU"

# Warm-up (not recorded): caches, SQLite pages, Go's heap.
NONCE=$((NONCE + 1))
for t in "$RBD_PID $RBD_BASE/api/v1/alerts" "$WH_PID_async $WH_URL_async"; do
	only "${t%% *}"
	wrk -t1 -c4 -d1s -s "$HERE/wrk-post.lua" "${t#* }" -- "$FIXTURE" "$W/tokens/ingest.token" same 0 \
		>/dev/null 2>&1 &
	WRK_PID=$!; wait "$WRK_PID"; WRK_PID=""
	[ "${t%% *}" != "$RBD_PID" ] && settle "${t%% *}" >/dev/null
done

: > "$W/rows"
for mode in $SCENARIOS; do
	for c in $CONNS; do
		echo "cell: $mode, $c connection(s)"
		for _ in $(seq 1 "$ROUNDS"); do
			run_wrk rbd "$RBD_BASE/api/v1/alerts" "$c" "$mode"
			run_wrk wh "$WH_URL_async" "$c" "$mode"
			[ "$WH_SYNC" = 1 ] && [ "$mode" = same ] && run_wrk whs "$WH_URL_sync" "$c" "$mode"
		done
	done
done

for p in "${SERVERS[@]}"; do kill -CONT "$p"; done

# ---- results: one line per cell and target, then the table
# rps = all requests / all seconds of the rounds; p50 = mean of the rounds' p50;
# p99 = the worst round's p99; cpu = server CPU time (incl. reaped children) per request.
awk -v hz="$CLK_TCK" '
{
	key = $1 " " $2 " " $3
	if (!(key in n)) order[++cells] = key
	n[key]++
	for (i = 4; i <= NF; i++) {
		split($i, p, "=")
		v[key, p[1]] += p[2]
		if (p[1] == "p99_us" && p[2] > p99max[key]) p99max[key] = p[2]
		if (p[1] == "other_pct" && p[2] > other[key]) other[key] = p[2]
		if (p[1] ~ /^err_/) err[key] += p[2]
	}
}
END {
	for (k = 1; k <= cells; k++) {
		key = order[k]
		ran = v[key, "forks"] < v[key, "requests"] ? 100 * v[key, "forks"] / v[key, "requests"] : 100
		printf "%s ran=%.0f rps=%.1f done_rps=%.1f p50=%.3f p99=%.3f cpu_us=%.1f errors=%d requests=%d other=%d", key, ran,
			v[key, "requests"] / (v[key, "duration_us"] / 1e6),
			v[key, "requests"] / (v[key, "duration_us"] / 1e6 + v[key, "drain_s"]), v[key, "p50_us"] / n[key] / 1000,
			p99max[key] / 1000, v[key, "cpu"] / hz * 1e6 / v[key, "requests"], err[key],
			v[key, "requests"], other[key]
		if (key ~ / rbd$/)
			printf " commits=%d jobs=%d stored=%d episodes=%d commit_ms=%.0f", v[key, "commits"],
				v[key, "jobs"], v[key, "stored"], v[key, "episodes"], v[key, "commit_s"] * 1000
		printf "\n"
	}
}' "$W/rows" > "$W/cells"

table() {
	echo "| scenario | conns | runbookd req/s | p50 ms | p99 ms | webhook req/s | p50 ms | p99 ms | **runbookd / webhook** | webhook ran the command | webhook commands run/s | runbookd / that | CPU µs per request, runbookd / webhook | requests per commit | jobs per commit | other load % |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk '
	{ key = $1 " " $2; t = $3; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
	  for (i = 4; i <= NF; i++) { split($i, p, "="); v[key, t, p[1]] = p[2] } }
	END {
		for (k = 1; k <= n; k++) {
			key = order[k]; split(key, kk, " ")
			r = v[key, "rbd", "rps"]; w = v[key, "wh", "rps"]
			d = v[key, "wh", "done_rps"] * v[key, "wh", "ran"] / 100
			o = v[key, "rbd", "other"]; if (v[key, "wh", "other"] > o) o = v[key, "wh", "other"]
			printf "| %s | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | **%.2f** | ~%d%% | %.0f | %.2f | %.0f / %.0f | %.2f | %.2f | %d |\n",
				kk[1], kk[2], r, v[key, "rbd", "p50"], v[key, "rbd", "p99"],
				w, v[key, "wh", "p50"], v[key, "wh", "p99"], (w > 0 ? r / w : 0),
				v[key, "wh", "ran"], d, (d > 0 ? r / d : 0), v[key, "rbd", "cpu_us"], v[key, "wh", "cpu_us"],
				(v[key, "rbd", "commits"] ? v[key, "rbd", "requests"] / v[key, "rbd", "commits"] : 0),
				(v[key, "rbd", "commits"] ? v[key, "rbd", "jobs"] / v[key, "rbd", "commits"] : 0), o
		}
		if (!sync) exit
		printf "\nwebhook with include-command-output-in-response: true (answers after /bin/true exited):\n\n"
		printf "| conns | webhook (sync exec) req/s | p50 ms | p99 ms | ran the command | runbookd same / it | runbookd unique / it | CPU µs per request |\n"
		printf "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
		for (k = 1; k <= n; k++) {
			key = order[k]; split(key, kk, " ")
			if (kk[1] != "same" || !v[key, "whs", "rps"]) continue
			s = v[key, "whs", "rps"]; u = v["unique " kk[2], "rbd", "rps"]
			printf "| %s | %.0f | %.2f | %.2f | ~%d%% | %.2f | %s | %.0f |\n", kk[2], s, v[key, "whs", "p50"],
				v[key, "whs", "p99"], v[key, "whs", "ran"], v[key, "rbd", "rps"] / s, (u ? sprintf("%.2f", u / s) : "-"),
				v[key, "whs", "cpu_us"]
		}
	}' sync="$([ "$WH_SYNC" = 1 ] && echo 1)" "$W/cells"
}

# Per round: runbookd's rate over webhook's in the same round (they alternate), and
# the min / median / max of those ratios across the rounds of a cell.
rounds() {
	echo "| scenario | conns | rounds | runbookd / webhook min | median | max |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	awk '
	function rps(line,   i, p, r, d) {
		for (i = 4; i <= NF; i++) { split($i, p, "="); if (p[1] == "requests") r = p[2]; if (p[1] == "duration_us") d = p[2] }
		return d > 0 ? r / (d / 1e6) : 0
	}
	$3 == "rbd" || $3 == "wh" {
		key = $1 " " $2
		if (!(key in nr)) order[++cells] = key
		if ($3 == "rbd") rb[key, ++nr[key]] = rps($0)
		else wh[key, ++nw[key]] = rps($0)
	}
	END {
		for (k = 1; k <= cells; k++) {
			key = order[k]; m = 0
			for (i = 1; i <= nr[key] && i <= nw[key]; i++)
				if (wh[key, i] > 0) x[++m] = rb[key, i] / wh[key, i]
			for (i = 2; i <= m; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
			med = m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
			split(key, kk, " ")
			printf "| %s | %s | %d | %.2f | **%.2f** | %.2f |\n", kk[1], kk[2], m, x[1], med, x[m]
		}
	}' "$W/rows"
}

echo
{ table; echo; rounds; } | tee "$W/results.md"
[ -n "${BENCH_OUT:-}" ] && cp "$W/results.md" "$BENCH_OUT"

# Checks: every request answered 2xx, and in "unique" every runbookd request stored a new
# episode (no silent dedup, no failed writes).
FAIL=0
while read -r key1 key2 target rest; do
	errs=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<< "$rest")
	[ "${errs:-0}" -eq 0 ] || { echo "bench: $target $key1 c=$key2: $errs wrk errors (non-2xx or socket)"; FAIL=1; }
	if [ "$target" = rbd ]; then
		req=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<< "$rest")
		st=$(sed -n 's/.* stored=\([0-9]*\).*/\1/p' <<< "$rest")
		ep=$(sed -n 's/.* episodes=\([0-9]*\).*/\1/p' <<< "$rest")
		[ "$st" -ge "$req" ] || { echo "bench: runbookd $key1 c=$key2: $req answered, $st stored"; FAIL=1; }
		if [ "$key1" = unique ] && [ "$ep" -lt "$req" ]; then
			echo "bench: runbookd unique c=$key2: $req requests but $ep new episodes"; FAIL=1
		fi
	fi
done < "$W/cells"
if command -v sqlite3 >/dev/null 2>&1; then
	echo "bench: database: $(sqlite3 "$W/runbookd.db" "select (select count(*) from notifications) || ' notifications, ' || (select count(*) from alerts) || ' alert episodes, ' || (select count(*) from actions) || ' actions, ' || (select count(*) from events) || ' events'"), $(du -sh "$W" | cut -f1) on disk"
fi
echo "bench: runbookd idle before the runs: $IDLE_COMMITS commits/s ($IDLE_JOBS write jobs/s), ${IDLE_CPU}% CPU"
exit $FAIL
