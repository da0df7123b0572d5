#!/usr/bin/env bash
# `make drill`: the live suite's stack (tests/live/lib-live.sh), started for a person to
# play with: the order-service stub and its load generator, redis-server, mariadbd and
# their exporters, node_exporter over a 4 MiB disk, Prometheus with the SHIPPED alerts.yml,
# Alertmanager with the SHIPPED routing, runbookd in enforce mode on the SHIPPED rules
# and actions. `docker compose ...` goes to the docker shim (tests/live/docker), which
# maps it onto these processes. Prints the URLs and the commands that cause each fault;
# Ctrl-C stops everything and removes the directory.
#   scripts/drill.sh PATH/TO/runbookd
# Timings as in the live suite unless set: LIVE_INTERVAL (1s), LIVE_FOR_DIVISOR (60),
# LIVE_FOR_MIN (2s), LIVE_GROUP_WAIT (1s), LIVE_GROUP_INTERVAL (1s); LIVE_VUS (5).
set -uo pipefail
RBD_BIN=$(cd "$(dirname "${1:?usage: drill.sh PATH/TO/runbookd}")" && pwd)/$(basename "$1")
RBD_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
L=$(mktemp -d "${TMPDIR:-/tmp}/rbd-drill.XXXXXX")
# half the 4 MiB disk is free: `fallocate -l 2M` under its directory fills it
LIVE_DISK_BASE=${LIVE_DISK_BASE:-2097152}
source "$RBD_SRC/tests/live/lib-live.sh"

stopping=""
stop() {
	[ -n "$stopping" ] && return
	stopping=1
	echo
	echo "stopping..."
	[ -n "${LIVE_WATCHDOG:-}" ] && kill "$LIVE_WATCHDOG" 2>/dev/null && wait "$LIVE_WATCHDOG" 2>/dev/null
	live_stop_all
	left=$(live_left_running)
	[ -n "$left" ] && echo "still running: $left"
	rm -rf "$L"
	echo "stopped; nothing left running"
}
trap stop EXIT
trap 'exit 130' INT TERM HUP
live_watchdog $$

echo "starting the drill stack in $L ..."
live_start redis mysql disk || { echo "the stack did not start"; exit 1; }
dc up -d loadtest >/dev/null

cat <<EOF

The week10 drill is up (shipped alert rules, routing, runbook rules and actions; runbookd
in ENFORCE mode; \`docker compose\` goes to the shim in $L/bin).

  Prometheus    $PROM/alerts
  Alertmanager  $AMURL
  runbookd      $BASE/api/v1/incidents   (tokens in $L/tokens)
  console       $BASE/ui/   (sign in with the operator or viewer token)
  app (stub)    $APP/admin/state   metrics: $APP/metrics
  load test     running, ${LIVE_VUS:-5} VUs

  export VIEWER=\$(cat $L/tokens/viewer.token) OPERATOR=\$(cat $L/tokens/operator.token)

Faults (each follows a section of the runbook):
  2.1 5xx surge      curl -X POST -H 'Content-Type: application/json' -d '{"error_ratio": 0.3}' $APP/admin/fault
  2.2 latency        curl -X POST -H 'Content-Type: application/json' -d '{"latency": 1.2, "latency_min_clients": 7}' $APP/admin/fault
                     (then \`docker compose ... exec -T loadtest k6 scale --vus 10\` to saturate:
                      PATH=$L/bin:\$PATH docker compose --project-name week10 --profile loadtest \\
                        -f /srv/week10/docker-compose.yml exec -T loadtest k6 scale --vus 10)
  the fix            curl -X POST -H 'Content-Type: application/json' -d '{}' $APP/admin/fault
  2.3 mysql down     kill \$(cat $S/services/mysql.pid)   (mariadbd; limit + restart need your approval)
  2.4 redis down     kill \$(cat $S/services/redis.pid)   (redis-server; the restart needs your approval)
  2.6 disk full      fallocate -l 2M $L/disk/filler   (rm it to recover)

Watch and decide:
  curl -s -H "Authorization: Bearer \$VIEWER" $BASE/api/v1/actions?state=pending_approval | jq
  curl -s -X POST -H "Authorization: Bearer \$OPERATOR" -d '{"comment": "drill"}' $BASE/api/v1/actions/ID/approve
  curl -s -H "Authorization: Bearer \$VIEWER" "$BASE/api/v1/incidents/ID/timeline?format=md"
  cat $S/calls.log      # every docker command runbookd ran (and the set-up's)

Ctrl-C stops everything.
EOF

while :; do
	if ! alive "$(service_pid runbookd)"; then
		echo "runbookd exited; log tail:"
		tail -n 20 "$S/logs/runbookd.log"
		exit 1
	fi
	sleep 1
done
