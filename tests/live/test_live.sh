#!/usr/bin/env bash
# Live suite (ctest label `live`): the team's runbook against real components on
# loopback. Five scenarios run in parallel, each on a stack of its own
# (tests/live/lib-live.sh: Debian's prometheus, prometheus-alertmanager, redis-server,
# prometheus-redis-exporter, mariadb-server, prometheus-mysqld-exporter,
# prometheus-node-exporter, the order-service stub, runbookd
# in enforce mode on the SHIPPED rules and actions), each from a real fault to a
# resolved incident (tests/live/scenario.sh):
#   errors   5xx surge -> HighErrorRate -> write limit (approved) -> resolved -> writes restored
#   redis    redis-server killed -> RedisDown -> restart (approved) -> resolved
#   mysql    mariadbd killed -> MySQLDown -> DB-heavy limit + restart (approved) -> resolved
#   latency  saturation under load -> HighLatencyP95 -> load test scaled down -> resolved
#   disk     log flood on a nearly full disk -> DiskFull -> load test stopped -> resolved
# Prints the time to detect, deliver, mitigate and recover of each, with the timings used.
#   test_live.sh RUNBOOKD_BIN        (LIVE_SCENARIOS="errors redis" to run some only)
set -uo pipefail
RBD_BIN=${1:?usage: test_live.sh PATH/TO/runbookd}
RBD_SRC=${RBD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SCEN=${LIVE_SCENARIOS:-errors redis mysql latency disk}
export PATH="$PATH:/usr/sbin:/sbin"   # mariadbd sits in /usr/sbin

missing=""
for tool in prometheus promtool prometheus-alertmanager amtool redis-server redis-cli \
	prometheus-redis-exporter prometheus-node-exporter mariadbd mariadb-install-db mariadb \
	prometheus-mysqld-exporter python3 curl jq sqlite3 setsid; do
	command -v "$tool" >/dev/null || missing+=" $tool"
done
if [ -n "$missing" ]; then
	echo "FAIL not installed:$missing (scripts/install-deps.sh installs them)"
	exit 1
fi

OUT=$(mktemp -d "${TMPDIR:-/tmp}/rbd-live-out.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	if [ -z "${KEEP:-}" ] && ! ls -d "$OUT"/*/ >/dev/null 2>&1; then rm -rf "$OUT"; else echo "kept $OUT (reports: $OUT/*-report.md)"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

T0=$SECONDS
for s in $SCEN; do
	TMPDIR=$OUT LIVE_PARENT=$$ bash "$RBD_SRC/tests/live/scenario.sh" "$s" "$RBD_BIN" "$OUT" >"$OUT/$s.log" 2>&1 &
	PIDS+=("$!")
done
rc=0
i=0
for s in $SCEN; do
	wait "${PIDS[$i]}" || rc=1
	PIDS[$i]=""
	i=$((i + 1))
	cat "$OUT/$s.log"
done

# the timings the stacks used, as tests/live/rewrite-config.py reported its rewrites
echo
echo "# timings used (shipped -> live), runbookd alertmanager.poll 30s -> 2s:"
cat "$OUT"/*.rewrite.log 2>/dev/null | grep -E 'interval|group_wait|: for ' |
	grep -E 'global\.|alertmanager\.yml|HighErrorRate|HighLatency|RedisDown|MySQLDown|DiskFull ' | sort -u | sed 's/^/#   /'
printf '# %-8s %8s %8s %9s %8s %14s %10s\n' scenario detect deliver mitigate recover "fault->resolved" approval
for s in $SCEN; do
	if [ -s "$OUT/$s.times" ]; then
		read -r _ d1 d2 d3 d4 d5 w <"$OUT/$s.times"
		printf '# %-8s %7ss %7ss %8ss %7ss %13ss %9ss\n' "$s" "$d1" "$d2" "$d3" "$d4" "$d5" "$w"
	else
		printf '# %-8s (no figures: the scenario did not finish)\n' "$s"
	fi
done
# each scenario checks the pids its shim started; this catches anything else of this run
left=$(ps -eo pid=,args= | grep -F "$OUT/" | grep -v grep || true)
if [ -n "$left" ]; then
	echo "FAIL processes left running:"
	echo "$left"
	rc=1
fi
echo "live suite took $((SECONDS - T0)) s"
[ $rc -eq 0 ] && echo "all live scenarios passed"
exit $rc
