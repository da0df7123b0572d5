# shellcheck shell=bash disable=SC2034  # sourced: sets variables for its callers
# Live stack helpers for tests/live/*.sh and scripts/drill.sh. Source it after setting
#   RBD_BIN  the runbookd binary      RBD_SRC  the repository
#   L        an empty directory of this stack's own
# A stack is the shipped week10 setup on loopback with ephemeral ports: the order-service
# stub (docker/app/orderstub.py) and its load generator, redis-server and its exporter,
# node_exporter's textfile collector over a size-limited disk, Prometheus with the SHIPPED
# alerts.yml, Alertmanager with the SHIPPED routing (both through
# tests/live/rewrite-config.py: addresses and timings only), and runbookd in enforce mode
# with the SHIPPED rules/ and runbookd.yaml (copied; listen, database, tokens, the
# Alertmanager and app addresses rewritten). Every process is a "service" of the docker
# shim (tests/live/docker, first on PATH): started with the same `docker compose up -d`
# argv a person would type, each in a session of its own, stopped by live_stop_all.
set -uo pipefail

: "${RBD_BIN:?}" "${RBD_SRC:?}" "${L:?}"
LIVE_DIR=$RBD_SRC/tests/live
STUB=$RBD_SRC/docker/app/orderstub.py
COMPOSE=(compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml)
S=$L/state
mkdir -p "$L/bin" "$S/services" "$S/logs" "$L/tokens"
cp "$LIVE_DIR/docker" "$L/bin/docker"
chmod 755 "$L/bin/docker"
echo "$S" >"$L/bin/docker-shim.state"
: >"$S/calls.log"
export PATH="$L/bin:$PATH:/usr/sbin:/sbin"   # mariadbd sits in /usr/sbin

# Timings of this stack (printed next to the measurements).
LIVE_INTERVAL=${LIVE_INTERVAL:-1s}
LIVE_GROUP_WAIT=${LIVE_GROUP_WAIT:-1s}
LIVE_GROUP_INTERVAL=${LIVE_GROUP_INTERVAL:-1s}
LIVE_FOR_DIVISOR=${LIVE_FOR_DIVISOR:-60}
LIVE_FOR_MIN=${LIVE_FOR_MIN:-2s}

now() { date +%s.%3N; }
# ts RFC3339 -> epoch seconds with milliseconds
ts() { [ -n "$1" ] && [ "$1" != null ] && date -d "$1" +%s.%3N; }
# delta A B -> B - A in seconds, with milliseconds
delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds or the time is up.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}
http_ok() { [ "$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 2 "$1")" = 200 ]; }

dc() { docker "${COMPOSE[@]}" "$@"; }

# define_service NAME ARGV...: what `up -d NAME` runs
define_service() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$S/services/$name.argv"
}
service_pid() { cat "$S/services/$1.pid" 2>/dev/null; }
alive() {
	local st
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ] && [ "$st" != X ]
}

# up NAME READY_URL [SECONDS]: starts a service and waits until READY_URL answers 200
up() {
	dc up -d "$1" >/dev/null || return 1
	if ! wait_for "${3:-30}" http_ok "$2"; then
		echo "live: $1 did not become ready ($2); log tail:" >&2
		tail -n 20 "$S/logs/$1.log" >&2
		return 1
	fi
}

# live_stop_all: stops every service still running (SIGTERM, then SIGKILL), runbookd
# and the load first, Prometheus and Alertmanager last.
live_stop_all() {
	local f p n order=() i
	for f in "$S"/services/*.pid; do
		[ -e "$f" ] || continue
		n=${f##*/}
		n=${n%.pid}
		case "$n" in
		prometheus | alertmanager) order+=("$n") ;;
		*) order=("$n" "${order[@]}") ;;
		esac
	done
	for n in "${order[@]}"; do
		p=$(service_pid "$n")
		alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for n in "${order[@]}"; do
		p=$(service_pid "$n")
		for ((i = 0; i < 50; i++)); do
			alive "$p" || break
			sleep 0.1
		done
		alive "$p" && kill -KILL "$p" 2>/dev/null
		rm -f "$S/services/$n.pid"
	done
	return 0
}

# live_left_running: "PID SERVICE" of every process the shim started that still runs
live_left_running() {
	local p n
	[ -f "$S/started" ] || return 0
	while read -r p n; do
		alive "$p" && printf '%s %s; ' "$p" "$n"
	done <"$S/started"
	return 0
}

# live_watchdog PID...: once one of the PIDs is gone (the test, or the suite that started
# it, was killed), stop every service.
live_watchdog() {
	(
		trap - EXIT INT TERM
		local p up=1
		while [ -n "$up" ]; do
			for p in "$@"; do kill -0 "$p" 2>/dev/null || up=""; done
			[ -n "$up" ] && sleep 0.5
		done
		live_stop_all
	) </dev/null >/dev/null 2>&1 &
	LIVE_WATCHDOG=$!
}

# live_tokens: ingest/operator/viewer tokens (0600 in a 0700 dir), as `make run` makes them
live_tokens() {
	chmod 700 "$L/tokens"
	local r
	for r in ingest operator viewer; do
		(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$L/tokens/$r.token")
	done
	INGEST=$(cat "$L/tokens/ingest.token")
	OPERATOR=$(cat "$L/tokens/operator.token")
	VIEWER=$(cat "$L/tokens/viewer.token")
	# grafana_annotate's Authorization header, as `make run` makes it
	(umask 077; printf 'Basic %s' "$(printf 'admin:admin' | base64)" >"$L/tokens/grafana.auth")
}

# live_runbookd_config AM_PORT APP_PORT RBD_PORT: the shipped runbookd.yaml and rules/,
# copied, with only the addresses, database, tokens and mode rewritten (each rewrite must
# apply exactly as often as counted).
live_runbookd_config() {
	mkdir -p "$L/rules"
	cp -R "$RBD_SRC/rules/." "$L/rules/"
	python3 - "$RBD_SRC/runbookd.yaml" "$L/runbookd.yaml" "$L" "$1" "$2" "$3" <<'PY'
import re, sys
src, dst, l, am, app, port = sys.argv[1:]
text = open(src).read()
subs = [  # (regex, replacement, how many times it must apply)
    (r"(?m)^listen: .*$", "listen: 127.0.0.1:%s" % port, 1),
    (r"(?m)^database: .*$", "database: %s/runbookd.db" % l, 1),
    (r"(?m)^mode: dry-run$", "mode: enforce", 1),
    (r"(?m)^rules: rules/$", "rules: %s/rules/" % l, 1),
    (r"token_file: var/tokens/(\w+)\.token", r"token_file: %s/tokens/\1.token" % l, 3),
    (r"file: var/tokens/grafana\.auth", r"file: %s/tokens/grafana.auth" % l, 1),
    (r"(?m)^(alertmanager:\n  url: ).*\n  poll: .*$", r"\g<1>http://127.0.0.1:%s\n  poll: 2s" % am, 1),
    (r"url: http://127\.0\.0\.1:8080/", "url: http://127.0.0.1:%s/" % app, 4),
]
for rx, rep, want in subs:
    text, n = re.subn(rx, rep, text)
    if n != want:
        sys.exit("rewrite %r applied %d times, expected %d" % (rx, n, want))
open(dst, "w").write(text)
PY
}

# live_start COMPONENTS...: starts a stack with these components (app, loadtest, redis,
# disk) plus runbookd, Alertmanager and Prometheus. Sets the *_PORT variables, BASE
# (runbookd), PROM, AMURL, APP. LIVE_VUS: the load generator's VUs (default 5).
live_start() {
	local want=" $* " targets=()
	live_tokens
	RBD_PORT=$(free_port)
	AM_PORT=$(free_port)
	PROM_PORT=$(free_port)
	APP_PORT=$(free_port)
	BASE=http://127.0.0.1:$RBD_PORT
	PROM=http://127.0.0.1:$PROM_PORT
	AMURL=http://127.0.0.1:$AM_PORT
	APP=http://127.0.0.1:$APP_PORT
	mkdir -p "$L/disk"

	# the app (always: runbookd's http actions call it) and its load
	define_service app python3 "$STUB" serve --listen "127.0.0.1:$APP_PORT" --access-log "$L/disk/access.log"
	up app "$APP/healthz" || return 1
	targets+=(--target "app=127.0.0.1:$APP_PORT")
	define_service loadtest python3 "$STUB" loadgen --base-url "$APP" --vus "${LIVE_VUS:-5}" --control "$S/loadtest.vus"

	if [[ $want == *" redis "* ]]; then
		REDIS_PORT=$(free_port)
		REDIS_EXP_PORT=$(free_port)
		mkdir -p "$L/redis"
		cat >"$L/redis/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
daemonize no
dir $L/redis
save ""
appendonly no
maxmemory 256mb
maxmemory-policy allkeys-lru
EOF
		define_service redis redis-server "$L/redis/redis.conf"
		dc up -d redis >/dev/null
		wait_for 20 redis_ping || { echo "live: redis did not start" >&2; return 1; }
		define_service redis-exporter prometheus-redis-exporter -redis.addr "redis://127.0.0.1:$REDIS_PORT" \
			-web.listen-address "127.0.0.1:$REDIS_EXP_PORT"
		up redis-exporter "http://127.0.0.1:$REDIS_EXP_PORT/metrics" || return 1
		targets+=(--target "redis=127.0.0.1:$REDIS_EXP_PORT")
	fi
	if [[ $want == *" mysql "* ]]; then
		MYSQL_PORT=$(free_port)
		MYSQL_EXP_PORT=$(free_port)
		local my=$L/mysql
		local myopts=(--no-defaults --datadir="$my/data" --user="$(id -un)" --innodb-log-file-size=4M
			--innodb-buffer-pool-size=16M --innodb-data-file-path=ibdata1:4M:autoextend)
		mkdir -p "$my"
		mariadb-install-db "${myopts[@]}" --skip-test-db --auth-root-authentication-method=socket \
			>"$my/install.log" 2>&1 || { tail -n 20 "$my/install.log" >&2; return 1; }
		# as in the compose file: slow query log on, binlog expiry
		define_service mysql mariadbd "${myopts[@]}" --socket="$my/sock" --port="$MYSQL_PORT" \
			--bind-address=127.0.0.1 --skip-name-resolve --pid-file="$my/mariadbd.pid" \
			--slow-query-log=ON --long-query-time=1 --binlog-expire-logs-seconds=86400
		dc up -d mysql >/dev/null
		wait_for 30 mysql_ping || { echo "live: mariadbd did not start" >&2; tail -n 20 "$S/logs/mysql.log" >&2; return 1; }
		# the exporter's account: the SQL of the shipped docker/mysql/init/10-exporter-user.sh
		local mypw
		mypw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
		sed -n '/<<SQL$/,/^SQL$/p' "$RBD_SRC/docker/mysql/init/10-exporter-user.sh" | sed '1d;$d' |
			sed "s/\${MYSQL_EXPORTER_PASSWORD}/$mypw/" | mariadb -S "$my/sock" -u "$(id -un)" >"$my/init.log" 2>&1 ||
			{ cat "$my/init.log" >&2; return 1; }
		(umask 077; printf '[client]\nuser=exporter\npassword=%s\nhost=127.0.0.1\nport=%s\n' "$mypw" "$MYSQL_PORT" >"$my/exporter.cnf")
		define_service mysqld-exporter prometheus-mysqld-exporter --config.my-cnf="$my/exporter.cnf" \
			--web.listen-address="127.0.0.1:$MYSQL_EXP_PORT"
		up mysqld-exporter "http://127.0.0.1:$MYSQL_EXP_PORT/metrics" || return 1
		targets+=(--target "mysql=127.0.0.1:$MYSQL_EXP_PORT")
	fi
	if [[ $want == *" disk "* ]]; then
		NODE_PORT=$(free_port)
		mkdir -p "$L/textfile"
		# a 4 MiB disk, 88% taken by other data (LIVE_DISK_BASE bytes); the app's access log
		# and anything else under $L/disk take the rest
		define_service diskfs python3 "$STUB" diskfs --dir "$L/disk" --size 4194304 --base "${LIVE_DISK_BASE:-3690987}" \
			--textfile "$L/textfile/disk.prom"
		dc up -d diskfs >/dev/null
		wait_for 10 test -s "$L/textfile/disk.prom" || { echo "live: diskfs did not start" >&2; return 1; }
		define_service node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT" \
			--collector.disable-defaults --collector.textfile --collector.textfile.directory="$L/textfile"
		up node-exporter "http://127.0.0.1:$NODE_PORT/metrics" || return 1
		targets+=(--target "node=127.0.0.1:$NODE_PORT")
	fi

	# runbookd on the shipped rules, enforce mode
	live_runbookd_config "$AM_PORT" "$APP_PORT" "$RBD_PORT" || return 1
	"$RBD_BIN" check -c "$L/runbookd.yaml" >"$L/check.log" 2>&1 || { cat "$L/check.log" >&2; return 1; }
	define_service runbookd "$RBD_BIN" serve -c "$L/runbookd.yaml"
	up runbookd "$BASE/readyz" || return 1
	targets+=(--target "runbookd=127.0.0.1:$RBD_PORT")

	# Alertmanager and Prometheus on the shipped files, rewritten for speed
	targets+=(--target "prometheus=127.0.0.1:$PROM_PORT" --target "alertmanager=127.0.0.1:$AM_PORT")
	python3 "$LIVE_DIR/rewrite-config.py" --src "$RBD_SRC" --out "$L/conf" \
		--alertmanager "127.0.0.1:$AM_PORT" --runbookd "$BASE" --token-file "$L/tokens/ingest.token" \
		--interval "$LIVE_INTERVAL" --group-wait "$LIVE_GROUP_WAIT" --group-interval "$LIVE_GROUP_INTERVAL" \
		--for-divisor "$LIVE_FOR_DIVISOR" --for-min "$LIVE_FOR_MIN" "${targets[@]}" >"$L/rewrite.log" ||
		{ cat "$L/rewrite.log" >&2; return 1; }
	if command -v amtool >/dev/null; then
		amtool check-config "$L/conf/alertmanager.yml" >"$L/amtool.log" 2>&1 || { cat "$L/amtool.log" >&2; return 1; }
	fi
	if command -v promtool >/dev/null; then
		promtool check config "$L/conf/prometheus.yml" >"$L/promtool.log" 2>&1 || { cat "$L/promtool.log" >&2; return 1; }
	fi
	mkdir -p "$L/am" "$L/prom"
	define_service alertmanager prometheus-alertmanager --config.file="$L/conf/alertmanager.yml" \
		--storage.path="$L/am" --cluster.listen-address= --web.listen-address="127.0.0.1:$AM_PORT"
	up alertmanager "$AMURL/-/ready" || return 1
	define_service prometheus prometheus --config.file="$L/conf/prometheus.yml" --storage.tsdb.path="$L/prom" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1h
	up prometheus "$PROM/-/ready" 60 || return 1
}

mysql_ping() { mariadb -S "$L/mysql/sock" -u "$(id -un)" -e 'select 1' >/dev/null 2>&1; }
redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# --- Prometheus
# prom_query EXPR -> the first sample's value, or empty
prom_query() {
	curl --noproxy '*' -s --max-time 3 "$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
# alert_state NAME [SEVERITY] -> firing | pending | (empty: inactive)
alert_state() {
	curl --noproxy '*' -s --max-time 3 "$PROM/api/v1/alerts" |
		jq -r --arg a "$1" --arg s "${2:-}" '[.data.alerts[] | select(.labels.alertname == $a and ($s == "" or .labels.severity == $s)) | .state]
		| if index(["firing"]) then "firing" elif length > 0 then .[0] else "" end' 2>/dev/null
}
alert_firing() { [ "$(alert_state "$@")" = firing ]; }
alert_inactive() { [ -z "$(alert_state "$@")" ]; }

# --- runbookd
api() {
	local method=$1 path=$2 token=$3
	shift 3
	curl --noproxy '*' -s --max-time 5 -X "$method" -H "Authorization: Bearer $token" "$@" "$BASE$path"
}
# incident_of ALERTNAME -> id of the newest incident whose alerts carry that alertname
incident_of() {
	sqlite3 -batch -noheader "$L/runbookd.db" \
		"select a.incident_id from alerts a where json_extract(a.labels,'\$.alertname') = '$1' order by a.id desc limit 1" 2>/dev/null
}
has_incident() { [ -n "$(incident_of "$1")" ]; }
incident_json() { api GET "/api/v1/incidents/$1" "$VIEWER"; }
action_id() { incident_json "$1" | jq -r --arg r "$2" '[.actions[] | select(.rule == $r) | .id] | first // empty'; }
has_action() { [ -n "$(action_id "$1" "$2")" ]; }
action_json() { api GET "/api/v1/actions/$1" "$VIEWER"; }
action_state() { action_json "$1" | jq -r .action.state; }
state_is() { [ "$(action_state "$1")" = "$2" ]; }
incident_status_is() { [ "$(incident_json "$1" | jq -r .incident.status)" = "$2" ]; }
# event_ts INCIDENT KIND [ACTION_ID] -> epoch of the first such event
event_ts() {
	ts "$(api GET "/api/v1/incidents/$1/timeline?format=json" "$VIEWER" |
		jq -r --arg k "$2" --argjson a "${3:-null}" \
			'[.events[] | select(.kind == $k and ($a == null or .action_id == $a)) | .ts] | first // empty')"
}
