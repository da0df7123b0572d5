#!/usr/bin/env bash
# One live scenario on a stack of its own (tests/live/lib-live.sh), from a real fault
# to a resolved incident:
#   scenario.sh NAME RUNBOOKD_BIN OUTDIR
# NAME: errors | redis | mysql | latency | disk. Prints ok/FAIL lines; writes OUTDIR/NAME.times
# (detect deliver mitigate recover total, seconds) and keeps the stack's directory in
# OUTDIR/NAME when something failed. Exit 0 when every check passed.
set -uo pipefail
NAME=${1:?usage: scenario.sh NAME RUNBOOKD_BIN OUTDIR}
RBD_BIN=${2:?}
OUT=${3:?}
RBD_SRC=${RBD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
L=$(mktemp -d "${TMPDIR:-/tmp}/rbd-live-$NAME.XXXXXX")
PASSES=0
FAILS=0
ok() { PASSES=$((PASSES + 1)); echo "ok   $NAME: $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL $NAME: $*"; }
check() { if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: got '$2', expected '$3'"; fi; }
check_match() { if [[ "$2" =~ $3 ]]; then ok "$1"; else fail "$1: '$2' !~ /$3/"; fi; }
# need DESCRIPTION SECONDS CMD...: waits for CMD; on time-out the scenario stops here
need() {
	local what=$1 secs=$2
	shift 2
	if wait_for "$secs" "$@"; then return 0; fi
	fail "$what (not within ${secs}s)"
	exit 1
}

source "$RBD_SRC/tests/live/lib-live.sh"
LIVE_WATCHDOG=""
on_exit() {
	local rc=$?
	[ -n "$LIVE_WATCHDOG" ] && kill "$LIVE_WATCHDOG" 2>/dev/null && wait "$LIVE_WATCHDOG" 2>/dev/null
	live_stop_all
	local left
	left=$(live_left_running)
	if [ -n "$left" ]; then
		fail "processes left running after the stop: $left"
	fi
	if [ "$FAILS" -ne 0 ] || [ "$rc" -ne 0 ]; then
		echo "--- $NAME: runbookd log (tail)"; tail -n 15 "$S/logs/runbookd.log" 2>/dev/null
		echo "--- $NAME: docker shim calls"; cat "$S/calls.log" 2>/dev/null
		# kept for the suite to show (not when the suite itself is gone), without the
		# MariaDB data files
		if [ -z "${LIVE_PARENT:-}" ] || kill -0 "$LIVE_PARENT" 2>/dev/null; then
			rm -rf "${OUT:?}/$NAME"
			cp -a "$L" "$OUT/$NAME" 2>/dev/null && rm -rf "$OUT/$NAME/mysql/data" && echo "kept $OUT/$NAME"
		fi
		[ "$rc" -ne 0 ] || rc=1
	fi
	rm -rf "$L"
	echo "$NAME: $PASSES passed, $FAILS failed"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 143' TERM INT
live_watchdog $$ ${LIVE_PARENT:-}

# the timings the rewrite applied, for the suite's summary
keep_timings() { [ -s "$L/rewrite.log" ] && cp "$L/rewrite.log" "$OUT/$NAME.rewrite.log"; }
trap 'keep_timings; on_exit' EXIT

# ---- shared steps
# detect ALERT [SEVERITY]: waits for the alert to fire in Prometheus; sets T_FIRING
detect() {
	need "$1 fires in Prometheus" "${DETECT_TIMEOUT:-60}" alert_firing "$@"
	T_FIRING=$(now)
	ok "$1 ${2:-} fires in Prometheus from real metrics"
}
# deliver ALERT: waits for runbookd's incident; sets INC and T_OPENED (runbookd's clock)
deliver() {
	need "runbookd opens an incident for $1" 30 has_incident "$1"
	INC=$(incident_of "$1")
	T_OPENED=$(ts "$(incident_json "$INC" | jq -r .incident.opened_at)")
	ok "incident #$INC opened for $1"
}
# settle ACTION_ID STATE: waits for the state; fails with the state it is in
settle() {
	if ! wait_for 30 state_is "$1" "$2"; then
		fail "action #$1 is $(action_state "$1"), expected $2: $(action_json "$1" | jq -c '.action | {rule, reason, exit_code}')"
		exit 1
	fi
}
# approve ACTION_ID COMMENT: as the operator, through the API
approve() {
	local r
	r=$(api POST "/api/v1/actions/$1/approve" "$OPERATOR" -H 'Content-Type: application/json' \
		-d "$(jq -cn --arg c "$2" '{comment: $c}')")
	check "action #$1 approved by operator" "$(echo "$r" | jq -r .action.decided_by)" operator
}
# mitigated ACTION_ID [APPROVAL]: the action succeeded; sets T_MITIGATED and the
# approval wait (pending since planning -> the approve event), which is excluded
mitigated() {
	settle "$1" succeeded
	local a
	a=$(action_json "$1")
	T_MITIGATED=$(ts "$(echo "$a" | jq -r .action.finished_at)")
	APPROVAL_WAIT=0
	if [ "${2:-}" = approval ]; then
		APPROVAL_WAIT=$(delta "$(ts "$(echo "$a" | jq -r .action.created_at)")" "$(event_ts "$INC" action.approved "$1")")
	fi
	ok "action #$1 ($(echo "$a" | jq -r .action.rule)) succeeded"
}
# resolved ALERT [SEVERITY]: the alert resolves in Prometheus, then the incident in runbookd
resolved() {
	need "$1 resolves in Prometheus" "${RESOLVE_TIMEOUT:-60}" alert_inactive "$@"
	ok "$1 resolves in Prometheus"
	need "incident #$INC resolves" 30 incident_status_is "$INC" resolved
	T_RESOLVED=$(ts "$(incident_json "$INC" | jq -r .incident.resolved_at)")
	ok "incident #$INC resolved"
}
times_out() {
	local detect deliver mitigate recover total
	detect=$(delta "$T_FAULT" "$T_FIRING")
	deliver=$(delta "$T_FIRING" "$T_OPENED")
	mitigate=$(awk -v a="$T_OPENED" -v b="$T_MITIGATED" -v w="$APPROVAL_WAIT" 'BEGIN { printf "%.3f", b - a - w }')
	recover=$(delta "$T_MITIGATED" "$T_RESOLVED")
	total=$(delta "$T_FAULT" "$T_RESOLVED")
	echo "$NAME $detect $deliver $mitigate $recover $total $APPROVAL_WAIT" >"$OUT/$NAME.times"
	echo "# $NAME: detect ${detect}s, deliver ${deliver}s, mitigate ${mitigate}s (approval wait ${APPROVAL_WAIT}s excluded), recover ${recover}s, fault -> resolved ${total}s"
}
# report_check INCIDENT RULE...: the Markdown report's sections against what happened:
# the sections, the status, the symptom row, the service, and for each rule's action its
# exact command or request, its approval and its result as the API reports them
report_check() {
	local inc=$1 md h r id a block want inc_json
	shift
	md=$(api GET "/api/v1/incidents/$inc/timeline?format=md" "$VIEWER")
	printf '%s\n' "$md" >"$L/report-$inc.md"
	cp "$L/report-$inc.md" "$OUT/$NAME-report.md"
	"$RBD_BIN" export -c "$L/runbookd.yaml" --incident "$inc" --format md >"$L/export-$inc.md" 2>"$L/export.err"
	check "report #$inc: \`runbookd export\` writes the same bytes as the API" \
		"$(cmp -s <(printf '%s\n' "$md") "$L/export-$inc.md" && echo same || echo differs)" same
	for h in "# Incident #$inc: " "## Symptom" "## Impact" "## Actions" "## Follow-ups" "## Timeline"; do
		check_match "report #$inc has '$h'" "$(grep -c -- "^$h" "$L/report-$inc.md")" '^[1-9]'
	done
	check_match "report #$inc: status resolved" "$md" '\*\*Status:\*\* resolved'
	inc_json=$(incident_json "$inc")
	want=$(echo "$inc_json" | jq -r '.alerts[0] | "| \(.labels.alertname) | \(.labels.severity) | "')
	check_match "report #$inc: symptom row of the alert, resolved" \
		"$(grep -F -- "$want" "$L/report-$inc.md")" '\| resolved [0-9:]+ \|$'
	check "report #$inc: impact names the service" "$(grep -c -F -- "- **Services:** $(echo "$inc_json" | jq -r '.alerts[0].labels.service')" "$L/report-$inc.md")" 1
	for r in "$@"; do
		id=$(action_id "$inc" "$r")
		a=$(action_json "$id" | jq -c .action)
		block=$(awk -v h="(#$id)" 'index($0, h) && /→/ { on = 1; print; next }
			on && (/^- \*\*/ || /^## /) { exit } on { print }' "$L/report-$inc.md")
		check_match "report #$inc: $r (#$id) listed under Actions" "$block" "$r → [a-z_]+ \(#$id\)"
		if [ "$(echo "$a" | jq -r '.argv != null')" = true ]; then
			want="**Command:** \`$(echo "$a" | jq -r '.argv | join(" ")')\`"
		else
			want="**Request:** \`$(echo "$a" | jq -r '"\(.request.method) \(.request.url)"')\`"
		fi
		check "report #$inc: $r shows what ran" "$(grep -c -F -- "$want" <<<"$block")" 1
		if [ "$(echo "$a" | jq -r .requires_approval)" = true ]; then want="approved by $(echo "$a" | jq -r .decided_by)"; else want="not required"; fi
		check "report #$inc: $r approval: $want" "$(grep -c -F -- "**Approval:** $want" <<<"$block")" 1
		check_match "report #$inc: $r result" "$(grep -F -- "**Result:**" <<<"$block")" \
			"\*\*succeeded\*\*, (exit code 0|HTTP 200)"
	done
}

# ---- the scenarios
scenario_errors() {
	# runbook 2.1: order creation starts failing (fault switch: 20% of POST /orders answer
	# 500, ~10% of all requests) -> HighErrorRate -> writes limited after approval ->
	# the ratio falls (POST answers 429) -> resolved -> fix deployed -> writes restored
	LIVE_VUS=5 live_start || { fail "stack did not start"; exit 1; }
	dc up -d loadtest >/dev/null
	need "Prometheus sees the app's traffic" 30 traffic_seen
	T_FAULT=$(now)
	curl -s -X POST -H 'Content-Type: application/json' -d '{"error_ratio": 0.2}' "$APP/admin/fault" >/dev/null
	detect HighErrorRate critical
	deliver HighErrorRate
	need "errors-limit-writes planned" 10 has_action "$INC" errors-limit-writes
	local lim logs
	lim=$(action_id "$INC" errors-limit-writes)
	logs=$(action_id "$INC" errors-collect-app-logs)
	settle "$lim" pending_approval
	check "writes still on before approval" "$(curl -s "$APP/admin/state" | jq .writes_enabled)" true
	approve "$lim" "live: 5xx surge on order creation, limit writes"
	mitigated "$lim" approval
	check "the app's write flag is off" "$(curl -s "$APP/admin/state" | jq -c '[.writes_enabled, .history[-1].body.reason]')" \
		"[false,\"runbookd errors-limit-writes incident $INC\"]"
	check "POST /orders answers 429 (limited, not 5xx)" \
		"$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"itemId":1,"quantity":1}' "$APP/orders")" 429
	settle "$logs" succeeded
	check_match "the app's log lines are in the timeline" "$(action_json "$logs" | jq -r '.action.output // empty' | head -n 3)" 'app-1  \| orderstub: serving on 127\.0\.0\.1'
	resolved HighErrorRate
	times_out
	# the rollback: planned on resolve, an operator approves once the fix is out
	need "errors-restore-writes planned on resolve" 10 has_action "$INC" errors-restore-writes
	local rest
	rest=$(action_id "$INC" errors-restore-writes)
	settle "$rest" pending_approval
	curl -s -X POST -H 'Content-Type: application/json' -d '{}' "$APP/admin/fault" >/dev/null # the fix is deployed
	approve "$rest" "live: fix deployed, ratio normal"
	settle "$rest" succeeded
	check "writes restored" "$(curl -s "$APP/admin/state" | jq -c '[.writes_enabled, .history[-1].body.reason]')" \
		"[true,\"runbookd errors-restore-writes incident $INC\"]"
	check "POST /orders answers 201 again" \
		"$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"itemId":1,"quantity":1}' "$APP/orders")" 201
	check "the write flag was switched twice, off then on" \
		"$(curl -s "$APP/admin/state" | jq -c '[.history[] | select(.what == "order-writes") | .body.enabled]')" '[false,true]'
	report_check "$INC" errors-collect-app-logs errors-limit-writes errors-restore-writes
}
traffic_seen() { [ -n "$(prom_query 'service:http_requests:rate5m{service="order-api"} > 1')" ]; }

scenario_redis() {
	# runbook 2.4: redis-server dies -> RedisDown -> restart (approved) -> redis answers
	live_start redis || { fail "stack did not start"; exit 1; }
	need "Prometheus sees redis up" 30 redis_up_is 1
	local old
	old=$(service_pid redis)
	T_FAULT=$(now)
	kill -KILL "$old"
	detect RedisDown critical
	deliver RedisDown
	need "redis-down-restart planned" 10 has_action "$INC" redis-down-restart
	local rst lim
	rst=$(action_id "$INC" redis-down-restart)
	lim=$(action_id "$INC" redis-rate-limit-cache-paths)
	settle "$rst" pending_approval
	settle "$lim" pending_approval
	check "nothing restarted before approval" "$(grep -c ' restart ' "$S/calls.log")" 0
	approve "$lim" "live: protect the cache-heavy paths"
	approve "$rst" "live: redis is down, restart it"
	mitigated "$rst" approval
	check "the restart ran the stack's argv" "$(grep -c "^compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml restart redis\$" "$S/calls.log")" 1
	need "redis answers again" 10 redis_ping
	ok "redis answers PONG (new pid $(service_pid redis), was $old)"
	settle "$lim" succeeded
	check "cache-heavy rate limit on in the app" "$(curl -s "$APP/admin/state" | jq .limits[\"cache-heavy\"])" true
	resolved RedisDown
	times_out
	report_check "$INC" redis-collect-logs redis-rate-limit-cache-paths redis-down-restart
}
redis_up_is() { [ "$(prom_query 'redis_up{job="redis"}')" = "$1" ]; }

scenario_mysql() {
	# runbook 2.3: mariadbd dies -> MySQLDown -> DB-heavy endpoints limited and mysql
	# restarted (both approved) -> mysql answers -> resolved
	live_start mysql || { fail "stack did not start"; exit 1; }
	need "Prometheus sees mysql up" 30 mysql_up_is 1
	local old
	old=$(service_pid mysql)
	T_FAULT=$(now)
	kill -KILL "$old"
	detect MySQLDown critical
	deliver MySQLDown
	need "mysql-down-restart planned" 10 has_action "$INC" mysql-down-restart
	local rst lim
	rst=$(action_id "$INC" mysql-down-restart)
	lim=$(action_id "$INC" mysql-limit-db-heavy-endpoints)
	settle "$rst" pending_approval
	settle "$lim" pending_approval
	check "nothing restarted before approval" "$(grep -c ' restart ' "$S/calls.log")" 0
	approve "$lim" "live: protect the DB-heavy endpoints"
	approve "$rst" "live: mysql is down, restart it"
	mitigated "$rst" approval
	check "the restart ran the stack's argv" "$(grep -c "^compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml restart mysql\$" "$S/calls.log")" 1
	need "mysql answers again" 30 mysql_ping
	ok "mysql answers (new pid $(service_pid mysql), was $old)"
	settle "$lim" succeeded
	check "db-heavy limit on in the app" "$(curl -s "$APP/admin/state" | jq '.limits["db-heavy"]')" true
	check "GET /orders?limit=20 answers 429 (DB-heavy, limited)" "$(curl -s -o /dev/null -w '%{http_code}' "$APP/orders?limit=20")" 429
	resolved MySQLDown
	times_out
	report_check "$INC" mysql-collect-logs mysql-limit-db-heavy-endpoints mysql-down-restart
}
mysql_up_is() { [ "$(prom_query 'mysql_up{job="mysql"}')" = "$1" ]; }

scenario_latency() {
	# runbook 2.2: the app saturates under the load test (1.2 s added while more than 7
	# clients are connected; 10 VUs) -> HighLatencyP95 -> the load test is scaled down
	# to 5 VUs at once -> latency falls -> resolved; then phase 2 (p99, below)
	LIVE_VUS=10 live_start || { fail "stack did not start"; exit 1; }
	dc up -d loadtest >/dev/null
	need "Prometheus sees the app's traffic" 30 traffic_seen
	T_FAULT=$(now)
	curl -s -X POST -H 'Content-Type: application/json' -d '{"latency": 1.2, "latency_min_clients": 7}' "$APP/admin/fault" >/dev/null
	detect HighLatencyP95 warning
	deliver HighLatencyP95
	need "latency-slow-loadtest planned" 10 has_action "$INC" latency-slow-loadtest
	local slow logs
	slow=$(action_id "$INC" latency-slow-loadtest)
	logs=$(action_id "$INC" latency-collect-app-logs)
	mitigated "$slow"
	check "the scale ran the stack's argv" "$(grep -c "^compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml exec -T loadtest k6 scale --vus 5\$" "$S/calls.log")" 1
	need "the load generator runs 5 VUs" 10 grep -q "scaled to 5 VUs" "$S/logs/loadtest.log"
	ok "the load generator scaled to 5 VUs"
	settle "$logs" succeeded
	# the slow requests must fall under 5 % of the 5-minute window: ~25 s of fast traffic
	RESOLVE_TIMEOUT=120 resolved HighLatencyP95
	times_out
	check "HighLatencyP99 never pending nor firing (p99 of 1.2 s requests stays under 2 s)" \
		"$(prom_query 'count(max_over_time(ALERTS{alertname="HighLatencyP99"}[10m]))')" ""
	check "no stop of the load test" "$(grep -c ' stop loadtest$' "$S/calls.log")" 0
	report_check "$INC" latency-slow-loadtest latency-collect-app-logs
	# Phase 2, runbook 2.2's p99 line: the app gets slower (2.2 s per request, whatever
	# the load) under 20 VUs -> HighLatencyP99 (warning) -> the load test is stopped at
	# once. Not followed to resolution: with no traffic left, the 5-minute window keeps
	# the slow requests and the alert resolves ~5 minutes later (bench/README-live.md).
	local t2 p99 stop
	dc exec -T loadtest k6 scale --vus 20 >/dev/null
	t2=$(now)
	curl -s -X POST -H 'Content-Type: application/json' -d '{"latency": 2.2}' "$APP/admin/fault" >/dev/null
	need "HighLatencyP99 warning fires in Prometheus" 90 alert_firing HighLatencyP99 warning
	ok "HighLatencyP99 warning fires in Prometheus from real metrics ($(delta "$t2" "$(now)") s after the slow-down)"
	need "runbookd opens an incident for HighLatencyP99" 30 has_incident HighLatencyP99
	p99=$(incident_of HighLatencyP99)
	need "latency-stop-loadtest planned" 10 has_action "$p99" latency-stop-loadtest
	stop=$(action_id "$p99" latency-stop-loadtest)
	settle "$stop" succeeded
	check "the stop ran the stack's argv once" "$(grep -c "^compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml stop loadtest\$" "$S/calls.log")" 1
	check "the load generator is gone" "$(alive "$(service_pid loadtest)" && echo running || echo stopped)" stopped
	check "the p99 incident's log collection skipped (cooldown: same command as the p95 one)" \
		"$(incident_json "$p99" | jq -r '[.actions[] | select(.rule == "latency-collect-app-logs") | .state] | join(",")')" skipped
	echo "# latency: p99 phase: slow-down -> HighLatencyP99 incident opened after $(delta "$t2" "$(event_ts "$p99" incident.opened)")s, load test stopped after $(delta "$t2" "$(ts "$(action_json "$stop" | jq -r .action.finished_at)")")s"
}

scenario_disk() {
	# runbook 2.6: the load test floods the app's access log on a nearly full 4 MiB disk
	# -> DiskFull -> the load test is stopped at once -> the operator rotates the log
	# -> resolved
	LIVE_VUS=5 live_start disk || { fail "stack did not start"; exit 1; }
	need "Prometheus sees the disk" 30 disk_seen
	T_FAULT=$(now)
	dc up -d loadtest >/dev/null
	detect DiskFull critical
	deliver DiskFull
	need "disk-stop-loadtest planned" 10 has_action "$INC" disk-stop-loadtest
	local stop
	stop=$(action_id "$INC" disk-stop-loadtest)
	mitigated "$stop"
	check "the stop ran the stack's argv" "$(grep -c "^compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml stop loadtest\$" "$S/calls.log")" 1
	check "the load generator is gone" "$(alive "$(service_pid loadtest)" && echo running || echo stopped)" stopped
	: >"$L/disk/access.log" # the operator rotates the log (runbook 2.6 clean-up)
	resolved DiskFull
	times_out
	report_check "$INC" disk-stop-loadtest
}
disk_seen() { [ -n "$(prom_query 'node_filesystem_avail_bytes{job="node"}')" ]; }

case "$NAME" in
errors) "scenario_$NAME"; EXPECT=HighErrorRate ;;
redis) "scenario_$NAME"; EXPECT=RedisDown ;;
mysql) "scenario_$NAME"; EXPECT=MySQLDown ;;
latency) "scenario_$NAME"; EXPECT="HighLatencyP95 HighLatencyP99" ;;
disk) "scenario_$NAME"; EXPECT=DiskFull ;; # DiskFillingUp too, if it outlived its 15 s pending
*) echo "unknown scenario $NAME"; exit 2 ;;
esac
echo "# $NAME: alerts ever pending or firing in Prometheus: $(curl -s "$PROM/api/v1/query" \
	--data-urlencode 'query=count by (alertname, severity) (max_over_time(ALERTS[10m]))' |
	jq -r '[.data.result[].metric | "\(.alertname)/\(.severity)"] | sort | join(" ")')"
check_match "runbookd's only incidents are the scenario's alerts" \
	"$(sqlite3 -batch -noheader "$L/runbookd.db" "select group_concat(n, ' ') from (select distinct json_extract(labels, '\$.alertname') n from alerts order by n)")" \
	"^$([ "$NAME" = disk ] && echo '(DiskFillingUp )?')$EXPECT\$"
check "every shipped rule evaluates without error in Prometheus" \
	"$(curl -s "$PROM/api/v1/rules" | jq -c '[.data.groups[].rules[] | select(.health == "err") | {name, lastError}]')" '[]'
check "Prometheus delivers to Alertmanager without errors" \
	"$(prom_query 'sum(prometheus_notifications_errors_total) + sum(prometheus_notifications_dropped_total)')" 0
check "Alertmanager delivers to runbookd without failures" \
	"$(curl -s "$AMURL/metrics" | awk '/^alertmanager_notifications_failed_total\{integration="webhook"/ { n += $2 } END { print n + 0 }')" 0
check "nothing left to shim calls but the stack's own commands" \
	"$(grep -cvE "^compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml (up -d [a-z-]+|stop loadtest|restart (redis|mysql)|logs --no-color --timestamps --tail=200 [a-z]+|exec -T loadtest k6 scale --vus (5|20))\$" "$S/calls.log")" 0
[ "$FAILS" -eq 0 ]
