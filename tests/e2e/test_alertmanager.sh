#!/usr/bin/env bash
# End to end with a real Alertmanager (Debian's prometheus-alertmanager) and the SHIPPED
# runbook: runbookd.yaml and rules/ copied into the test dir, with only what a test must
# change rewritten (listen, database, mode enforce, token files, alertmanager.url/poll,
# the app's admin URL pointed at a local echo server). A fake `docker` first on PATH
# records every command runbookd runs. Alerts are fired with amtool, as an operator
# would; Alertmanager delivers them to /api/v1/alerts with the ingest token from a file.
#
# Checks: the load-test stop runs exactly once across repeats and re-adds; a restart
# waits for approval and runs once after it; the silence rule creates a silence in
# Alertmanager; an alert that ends resolves its incident through the resolved webhook;
# a silenced alert that ends (no webhook) resolves through the poller; the md and json
# timelines; and hostile `service` labels never render a removal.
source "$(dirname "$0")/../lib.sh"

for tool in amtool jq curl python3 sqlite3; do
  command -v "$tool" >/dev/null || { echo "FAIL $tool not found (scripts/install-deps.sh)"; exit 1; }
done

AMD=$T/am
e2e_cleanup() {
  local rc=$? p
  # runbookd and the echo server first (runbookd polls Alertmanager), then Alertmanager
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  if [ -s "$AMD/pid" ]; then
    p=$(cat "$AMD/pid")
    kill "$p" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  fi
  if [ "$FAILS" -ne 0 ] || [ "$rc" -ne 0 ]; then
    FAILS=$((FAILS > 0 ? FAILS : 1))
    echo "--- runbookd log (tail)"; tail -n 25 "$T/runbookd.log" 2>/dev/null
    echo "--- alertmanager log (tail)"; tail -n 15 "$AMD/alertmanager.log" 2>/dev/null
    echo "--- fake docker log"; cat "$T/bin/fake-docker.log" 2>/dev/null
  fi
  cleanup
}
trap e2e_cleanup EXIT
trap 'exit 143' TERM INT   # so that a ctest timeout still runs the cleanup

# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds or the time is up.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  while :; do
    "$@" && return 0
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
# still_up PHASE: stops the suite at once (instead of timing out every wait that follows)
# when runbookd or Alertmanager died or the test dir is gone.
still_up() {
  local why=""
  [ -d "$T" ] || why="test dir $T vanished"
  [ -z "$why" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz")" != 200 ] \
    && why="runbookd does not answer /healthz"
  [ -z "$why" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$AMURL/-/healthy")" != 200 ] \
    && why="alertmanager does not answer /-/healthy"
  [ -z "$why" ] && return 0
  fail "$1: $why; stopping"
  finish
}
DLOG=$T/bin/fake-docker.log
docker_count() { grep -cxF -- "$1" "$DLOG"; }   # exact lines in the fake docker log
docker_has() { [ "$(docker_count "$1")" -ge 1 ]; }
COMPOSE="compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml"

# --- the fake docker, first on PATH when runbookd loads its config
mkdir -p "$T/bin"
cp "$RBD_TESTS/fixtures/fakebin/docker" "$T/bin/docker"
chmod 755 "$T/bin/docker"
: > "$DLOG"   # the fake logs next to itself only when this file exists
export PATH="$T/bin:$PATH"

# --- tokens (0600, in a 0700 dir), as `make run` makes them
mkdir -p "$T/tokens"; chmod 700 "$T/tokens"
for r in ingest operator viewer; do
  (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/tokens/$r.token")
done
INGEST=$(cat "$T/tokens/ingest.token"); OPERATOR=$(cat "$T/tokens/operator.token")
VIEWER=$(cat "$T/tokens/viewer.token")
(umask 077; printf 'Basic %s' "$(printf 'admin:admin' | base64)" > "$T/tokens/grafana.auth")

# --- the app's admin API stand-in: records every /hook... request
python3 "$RBD_TESTS/scripts/http-echo.py" > "$T/echo.port" 2>"$T/echo.log" &
PIDS+=("$!")
wait_for 10 test -s "$T/echo.port" || { echo "FAIL echo server did not start"; exit 1; }
EP=$(head -1 "$T/echo.port")

# --- Alertmanager: short group/repeat intervals; its webhook is pointed at runbookd
# once runbookd has its ephemeral port (then Alertmanager reloads its config).
AM_PORT=$(AM_WATCH_PID=$$ AM_GROUP_WAIT=1s AM_GROUP_INTERVAL=2s AM_REPEAT_INTERVAL=4s \
  bash "$RBD_TESTS/scripts/alertmanager-start.sh" "$AMD" \
  "http://127.0.0.1:9/api/v1/alerts" "$T/tokens/ingest.token") \
  || { echo "FAIL alertmanager did not start"; exit 1; }
AMURL=http://127.0.0.1:$AM_PORT
amt() { amtool --alertmanager.url="$AMURL" --timeout=5s "$@"; }
# fire SUMMARY LABELS...: add (or re-add) an alert; endsAt is left to Alertmanager
fire() {
  local summary=$1; shift
  amt alert add "$@" --annotation=summary="$summary" >>"$T/amtool.log" 2>&1 || fail "amtool alert add $*"
}
# end_alert SUMMARY LABELS...: the same alert with endsAt now (same fingerprint, same
# episode: Alertmanager merges it into the firing one), i.e. the alert has ended
end_alert() {
  local summary=$1; shift
  amt alert add "$@" --annotation=summary="$summary" --end="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    >>"$T/amtool.log" 2>&1 || fail "amtool alert add --end $*"
}

# --- the shipped config and rules, copied; each rewrite must apply exactly as counted
mkdir -p "$T/rules"
cp -R "$RBD_SRC/rules/." "$T/rules/"
python3 - "$RBD_SRC/runbookd.yaml" "$T/runbookd.yaml" "$T" "$AMURL" "$EP" <<'PY' || { echo "FAIL rewriting the shipped config"; exit 1; }
import re, sys
src, dst, t, am, ep = sys.argv[1:]
text = open(src).read()
subs = [  # (regex, replacement, how many times it must apply)
    (r"(?m)^listen: .*$", "listen: 127.0.0.1:0", 1),
    (r"(?m)^database: .*$", "database: %s/runbookd.db" % t, 1),
    (r"(?m)^mode: dry-run$", "mode: enforce", 1),
    (r"token_file: var/tokens/(\w+)\.token", r"token_file: %s/tokens/\1.token" % t, 3),
    (r"file: var/tokens/grafana\.auth", r"file: %s/tokens/grafana.auth" % t, 1),
    (r"(?m)^(alertmanager:\n  url: ).*\n  poll: .*$", r"\g<1>%s\n  poll: 2s" % am, 1),
    (r"url: http://127\.0\.0\.1:8080/", "url: http://127.0.0.1:%s/hook/" % ep, 4),
]
for rx, rep, want in subs:
    text, n = re.subn(rx, rep, text)
    if n != want:
        sys.exit("rewrite %r applied %d times, expected %d" % (rx, n, want))
open(dst, "w").write(text)
PY
check "check accepts the shipped config copy" "$("$RBD_BIN" check -c "$T/runbookd.yaml" >"$T/check.log" 2>&1; echo $?)" 0

# Safety before anything runs: the config resolves `docker` to the fake.
sim=$("$RBD_BIN" simulate -c "$T/runbookd.yaml" "$FIX/firing-high-latency.json" 2>&1)
if [[ "$sim" != *"$T/bin/docker"* ]]; then
  echo "FAIL docker does not resolve to the fake ($T/bin/docker):"; echo "$sim" | head -20; exit 1
fi
ok "docker resolves to the fake docker"

start_rbd || exit 1
RBD_PORT=$(cat "$T/port")
sed -i "s#url: 'http://127.0.0.1:9/api/v1/alerts'#url: 'http://127.0.0.1:$RBD_PORT/api/v1/alerts'#" "$AMD/alertmanager.yml"
check "alertmanager reloads its config" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AMURL/-/reload")" 200
check_match "alertmanager now posts to runbookd" \
  "$(curl -s "$AMURL/api/v2/status" | jq -r .config.original)" "127\.0\.0\.1:$RBD_PORT/api/v1/alerts"

# incident_of ALERTNAME SERVICE -> the id of the newest incident of that alert
incident_of() {
  sql "select a.incident_id from alerts a where json_extract(a.labels,'$.alertname') = '$1'
       and json_extract(a.labels,'$.service') = '$(printf %s "$2" | sed "s/'/''/g")'
       order by a.id desc limit 1"
}
has_incident() { [ -n "$(incident_of "$1" "$2")" ]; }
# actions_of INCIDENT -> JSON array of that incident's actions (API)
actions_of() { api GET "/api/v1/incidents/$1" "$VIEWER" | jq -c .actions; }
# action_id INCIDENT RULE
action_id() { actions_of "$1" | jq -r --arg r "$2" '[.[] | select(.rule == $r) | .id] | first // empty'; }
state_is() { [ "$(api GET "/api/v1/actions/$1" "$VIEWER" | jq -r .action.state)" == "$2" ]; }
incident_status_is() { [ "$(api GET "/api/v1/incidents/$1" "$VIEWER" | jq -r .incident.status)" == "$2" ]; }

T0=$SECONDS
LAT=(alertname=HighLatencyP99 service=order-api severity=warning env=week10)
MYSQL=(alertname=MySQLDown service=mysql severity=critical env=week10)
KAFKA=(alertname=KafkaConsumerLag service=kafka severity=warning env=week10)
fire "p99 above 2s" "${LAT[@]}"
fire "mysql unreachable for 1m" "${MYSQL[@]}"
fire "consumer lag above 1000" "${KAFKA[@]}"

# ---- 1. latency: the load test is stopped at once, exactly once
STOP_LT="$COMPOSE stop loadtest"
wait_for 15 docker_has "$STOP_LT" || fail "stop loadtest never ran"
check "stop loadtest ran once" "$(docker_count "$STOP_LT")" 1
LAT_INC=$(incident_of HighLatencyP99 order-api)
lid=$(action_id "$LAT_INC" latency-stop-loadtest)
wait_for 10 state_is "$lid" succeeded
r=$(api GET "/api/v1/actions/$lid" "$VIEWER")
check "latency-stop-loadtest succeeded" "$(echo "$r" | jq -r .action.state)" succeeded
check "with the exact argv" "$(echo "$r" | jq -c .action.argv)" \
  "$(jq -cn --arg d "$T/bin/docker" '[$d,"compose","--project-name","week10","--profile","loadtest","-f","/srv/week10/docker-compose.yml","stop","loadtest"]')"
check "not dry-run, no approval, exit 0" "$(echo "$r" | jq -c '[.action.dry_run, .action.requires_approval, .action.exit_code]')" '[false,false,0]'
wait_for 10 docker_has "$COMPOSE logs --no-color --timestamps --tail=200 app" || fail "app logs not collected"

still_up "after latency"
# ---- 2. restart waits for approval
MY_INC=$(wait_for 10 has_incident MySQLDown mysql; incident_of MySQLDown mysql)
rid=$(action_id "$MY_INC" mysql-down-restart)
hid=$(action_id "$MY_INC" mysql-limit-db-heavy-endpoints)
wait_for 10 state_is "$rid" pending_approval
pend=$(api GET "/api/v1/actions?state=pending_approval" "$VIEWER")
check "restart listed as pending_approval" \
  "$(echo "$pend" | jq -c --argjson id "${rid:-0}" '[.actions[] | select(.id == $id) | .rule, .argv[-2:]]')" \
  '["mysql-down-restart",["restart","mysql"]]'
check "db-heavy limit listed as pending_approval" \
  "$(echo "$pend" | jq -r --argjson id "${hid:-0}" '[.actions[] | select(.id == $id)] | length')" 1
RESTART_MY="$COMPOSE restart mysql"
wait_for 10 docker_has "$COMPOSE logs --no-color --timestamps --tail=200 mysql" || fail "mysql logs not collected"
check "nothing restarted before approval" "$(docker_count "$RESTART_MY")" 0
check "no admin call before approval" "$(curl -s "http://127.0.0.1:$EP/hooks" | jq length)" 0
api POST "/api/v1/actions/$rid/approve" "" >/dev/null; check "approve without a token: 401" "$(status)" 401
api POST "/api/v1/actions/$rid/approve" "$VIEWER" >/dev/null; check "viewer cannot approve: 403" "$(status)" 403
r=$(curl -s -X POST -H "Authorization: Bearer $OPERATOR" -d '{"comment":"e2e: mysql is down, restart"}' \
  "$BASE/api/v1/actions/$rid/approve")
check "approved by operator" "$(echo "$r" | jq -r .action.decided_by)" operator
wait_for 10 state_is "$rid" succeeded || fail "approved restart did not succeed"
check "restart mysql ran once" "$(docker_count "$RESTART_MY")" 1
r=$(curl -s -X POST -H "Authorization: Bearer $OPERATOR" "$BASE/api/v1/actions/$hid/approve")
wait_for 10 state_is "$hid" succeeded || fail "approved http action did not succeed"
hooks=$(curl -s "http://127.0.0.1:$EP/hooks")
check "db-heavy limit posted once to the admin API" \
  "$(echo "$hooks" | jq -c '[.[] | [.method, .path]]')" '[["POST","/hook/admin/rate-limits/db-heavy"]]'
check "with the rendered body" "$(echo "$hooks" | jq -r '.[0].body')" \
  "{\"enabled\": true, \"reason\": \"runbookd mysql-limit-db-heavy-endpoints incident $MY_INC\"}"

still_up "after approval"
# ---- 3. the silence rule creates a silence in Alertmanager
KF_INC=$(wait_for 10 has_incident KafkaConsumerLag kafka; incident_of KafkaConsumerLag kafka)
sid=$(action_id "$KF_INC" kafka-lag-silence-warning)
wait_for 10 state_is "$sid" succeeded || fail "silence action did not succeed"
sil=$(amt silence query -o json)
check "one silence, created by runbookd, on the alert's labels" \
  "$(echo "$sil" | jq -c '[.[] | {by: .createdBy, m: ([.matchers[] | "\(.name)\(if .isEqual == false then "!" else "" end)\(if .isRegex then "=~" else "=" end)\(.value)"] | sort)}]')" \
  '[{"by":"runbookd","m":["alertname=KafkaConsumerLag","service=kafka","severity=warning"]}]'
check_match "silence comment names the rule and incident" "$(echo "$sil" | jq -r '.[0].comment')" \
  "kafka-lag-silence-warning, incident $KF_INC"
check "alertmanager shows the kafka alert silenced" \
  "$(amt alert query -s alertname=KafkaConsumerLag -o json | jq -r '.[0].status.state')" suppressed

still_up "after silence"
# ---- 4. repeats: keep the latency alert firing through several repeat_interval
# resends and re-adds; the stop still ran once
LAT_GK=$(sql "select group_key from incidents where id = $LAT_INC")
n0=$(sql "select count(*) from notifications where group_key = '$LAT_GK'")
# At least 11 s of re-adds, and on until two resends arrived (bounded at 30 s: the
# resend timing depends on Alertmanager's group_interval ticks and the machine's load).
start=$SECONDS
while :; do
  fire "p99 above 2s" "${LAT[@]}"; sleep 2
  n1=$(sql "select count(*) from notifications where group_key = '$LAT_GK'")
  [ $((SECONDS - start)) -ge 30 ] && break
  [ $((SECONDS - start)) -ge 11 ] && [ $((n1 - n0)) -ge 2 ] && break
done
check_match "alertmanager resent the group (repeat_interval 4s): $n0 -> $n1" "$((n1 - n0))" '^([2-9]|[1-9][0-9]+)$'
check "still one episode for the re-added alert" "$(sql "select count(*) from alerts where incident_id = $LAT_INC")" 1
check "stop loadtest still ran once" "$(docker_count "$STOP_LT")" 1
check "one latency-stop-loadtest action in all" \
  "$(api GET /api/v1/actions "$VIEWER" | jq '[.actions[] | select(.rule == "latency-stop-loadtest")] | length')" 1

still_up "after repeats"
# ---- 5. the alert ends: the resolved webhook resolves the incident
end_alert "p99 above 2s" "${LAT[@]}"
wait_for 15 incident_status_is "$LAT_INC" resolved || fail "latency incident not resolved"
check "incident resolved" "$(api GET "/api/v1/incidents/$LAT_INC" "$VIEWER" | jq -r '[.incident.status, (.incident.resolved_at != null), .alerts[0].status] | join(" ")')" "resolved true resolved"
# Alertmanager's resolved notification; runbookd's poll may have resolved the alert a
# moment earlier (it is gone from Alertmanager as soon as it ends): either way the
# webhook must come, and the incident must stay resolved.
resolved_webhooks() { sql "select count(*) from notifications where group_key = '$1' and status = 'resolved'"; }
webhook_came() { [ "$(resolved_webhooks "$LAT_GK")" -ge 1 ]; }
if wait_for 10 webhook_came; then ok "the resolved webhook arrived (send_resolved)"
else fail "no resolved webhook for the latency group"; fi
check "still resolved after the webhook" "$(api GET "/api/v1/incidents/$LAT_INC" "$VIEWER" | jq -r .incident.status)" resolved
check "one incident for the latency group" "$(sql "select count(*) from incidents where group_key = '$LAT_GK'")" 1

still_up "after resolve"
# ---- 6. the silenced alert ends: no webhook comes, the poller resolves it
KF_GK=$(sql "select group_key from incidents where id = $KF_INC")
end_alert "consumer lag above 1000" "${KAFKA[@]}"
wait_for 15 incident_status_is "$KF_INC" resolved || fail "silenced kafka incident not resolved (alertmanager.poll reconciliation)"
ev=$(api GET "/api/v1/incidents/$KF_INC/timeline?format=json" "$VIEWER")
check_match "resolved by runbookd's poll, not a webhook" \
  "$(echo "$ev" | jq -r '[.events[] | select(.kind == "alert.resolved") | "\(.actor): \(.detail.reason)"] | join("; ")')" \
  '^runbookd: no longer in Alertmanager'

still_up "after poll"
# ---- 7. the report of the latency incident
md=$(api GET "/api/v1/incidents/$LAT_INC/timeline?format=md" "$VIEWER")
check "md 200" "$(status)" 200
echo "$md" > "$T/report.md"
for h in "# Incident #$LAT_INC: " "## Symptom" "## Impact" "## Actions" "## Follow-ups" "## Timeline"; do
  check_match "md has '$h'" "$(grep -c -- "^$h" "$T/report.md")" '^[1-9]'
done
check_match "md: the stop with its command and result" "$md" \
  "latency-stop-loadtest → loadtest_stop \(#$lid\)"$'\n'"    - \*\*Command:\*\* \`$T/bin/docker $STOP_LT\`"
check_match "md: succeeded, exit 0" "$md" "\*\*Result:\*\* \*\*succeeded\*\*, exit code 0"
check_match "md: the logs command" "$md" "\`$T/bin/docker $COMPOSE logs --no-color --timestamps --tail=200 app\`"
check_match "md: status resolved" "$md" '\*\*Status:\*\* resolved'
tl=$(api GET "/api/v1/incidents/$LAT_INC/timeline?format=json" "$VIEWER")
check "json: timestamps never go back" "$(echo "$tl" | jq '[.events[].ts] | . == sort')" true
order=$(echo "$tl" | jq -r --argjson a "${lid:-0}" '[.events[] | .kind as $k
  | select(($k | test("^(notification.received|incident.opened|alert.firing|alert.resolved|incident.resolved)$"))
           or (.action_id == $a))
  | $k] | reduce .[] as $k ([]; if index([$k]) then . else . + [$k] end) | join(" ")')
check_match "json: the stop's events in order" "$order" \
  '^(incident\.opened notification\.received|notification\.received incident\.opened) alert\.firing rule\.matched action\.planned action\.running action\.succeeded alert\.resolved incident\.resolved$'

still_up "after report"
# ---- 8. hostile `service` labels: nothing in the shipped rules renders a removal.
# Each alert carries a value that tries to reach `down -v`, volumes, rm or prune. Rules
# whose argv takes the label match `service` exactly, so these never match them; the
# rules that do match render nothing from the label. Expected: rule -> state, per alert.
declare -a HOSTILE=(
  'MySQLDown|mysql -v|critical|week10|mysql-limit-db-heavy-endpoints:pending_approval'
  'KafkaBrokerDown|--volumes|critical|week10|'
  'ContainerDiskGrowth|app; docker compose down -v|warning|week10|disk-stop-loadtest:succeeded'
  'RedisDown|redis$(docker system prune -af)|critical|week10|redis-rate-limit-cache-paths:pending_approval'
  'DiskFull|mysql" -v --volumes|critical|prod|'
)
for h in "${HOSTILE[@]}"; do
  IFS='|' read -r name svc sev env _ <<<"$h"
  fire "hostile label" alertname="$name" service="\"${svc//\"/\\\"}\"" severity="$sev" env="$env"
done
for h in "${HOSTILE[@]}"; do
  IFS='|' read -r name svc sev env want <<<"$h"
  wait_for 15 has_incident "$name" "$svc" || { fail "no incident for $name service=$svc (label not delivered as is)"; continue; }
  inc=$(incident_of "$name" "$svc")
  settled() {  # every action of the incident has reached the state it will keep here
    [ "$(actions_of "$inc" | jq '[.[] | select(.state | test("^(planned|approved|running)$"))] | length')" == 0 ]
  }
  wait_for 10 settled || fail "$name: actions did not settle"
  acts=$(actions_of "$inc")
  check "$name service='$svc': rules and states" \
    "$(echo "$acts" | jq -r '[.[] | "\(.rule):\(.state)"] | sort | join(",")')" "$want"
  # refused (param_refused in the timeline) or rendered without the label's value
  check "$name service='$svc': refused or never rendered" \
    "$(echo "$acts" | jq --arg v "$svc" '[.[] | select(
         ((.state == "skipped") and ((.reason // "") | startswith("param_refused"))) | not)
       | select([(.argv // [])[], (.request // {} | tostring)] | any(contains($v)))] | length')" 0
  tl=$(api GET "/api/v1/incidents/$inc/timeline?format=json" "$VIEWER")
  n_skip=$(echo "$acts" | jq '[.[] | select(.state == "skipped")] | length')
  check "$name: each skipped plan is an action.skipped param_refused event" \
    "$(echo "$tl" | jq '[.events[] | select(.kind == "action.skipped" and (.detail | tostring | contains("param_refused")))] | length')" "$n_skip"
done
check "disk rule stopped the load test with its fixed argv" "$(docker_count "$STOP_LT")" 2

# The whole fake docker log: only the shipped commands, never a removal.
check "fake docker never saw down, -v, --volumes, rm, prune" \
  "$(grep -cE 'down|volume|prune|(^| )rm( |$)|(^| |\\ )-v( |$)' "$DLOG")" 0
svc_re='(app|mysql|redis|kafka|loadtest|prometheus|alertmanager|grafana)'
check "every docker call is a shipped command" \
  "$(grep -cvE "^$COMPOSE (stop loadtest|restart (app|mysql|redis|kafka)|stop (app|loadtest|grafana)|logs --no-color --timestamps --tail=200 $svc_re|exec -T loadtest k6 scale --vus 5)\$" "$DLOG")" 0
check "docker calls in all" "$(wc -l < "$DLOG")" 6
# Checked last, seconds after the alert ended: Alertmanager never sent it.
check "no resolved webhook for the silenced group" "$(resolved_webhooks "$KF_GK")" 0
echo "e2e took $((SECONDS - T0)) s after the first alert"
finish
