#!/usr/bin/env bash
# Starts a real Alertmanager for tests, in the background, on a free 127.0.0.1 port.
#
#   alertmanager-start.sh DIR [WEBHOOK_URL [BEARER_TOKEN_FILE]]
#
# DIR (created if missing) receives alertmanager.yml, data/, alertmanager.log, and,
# once GET /-/ready answers 200, `port` and `pid`. Without WEBHOOK_URL the only
# receiver is a null one; with it, every alert goes to that webhook (send_resolved,
# all alerts in one notification), with `Authorization: Bearer <file content>` when
# BEARER_TOKEN_FILE is given. No clustering (--cluster.listen-address=) unless AM_CLUSTER.
#
# Route timings, overridable through the environment:
#   AM_GROUP_WAIT (1s), AM_GROUP_INTERVAL (2s), AM_REPEAT_INTERVAL (10s), AM_GROUP_BY
#   ("alertname, service"), AM_RESOLVE_TIMEOUT (5m)
# Other environment:
#   ALERTMANAGER_BIN  binary (default: prometheus-alertmanager, else alertmanager)
#   AM_READY_TIMEOUT  seconds to wait for /-/ready (default 20)
#   AM_WATCH_PID      if set, a watchdog kills Alertmanager once that process is gone
#                     (give the test's own pid so a crashed test leaves nothing behind)
#   AM_MORE_WEBHOOKS  more webhook URLs (space-separated), each a receiver of every
#                     alert like WEBHOOK_URL (several runbookd replicas)
#   AM_CLUSTER        if set, cluster on a free 127.0.0.1 port (written to DIR/cluster_port),
#                     gossiping fast (test timings); AM_CLUSTER_PEERS: HOST:PORT list
#
# Exit 0 with the port on stdout; non-zero with the log tail on stderr. Stop it with
#   kill "$(cat DIR/pid)"   (Alertmanager exits on SIGTERM within a second)
set -euo pipefail

usage() { echo "usage: $0 DIR [WEBHOOK_URL [BEARER_TOKEN_FILE]]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
dir=$1
webhook=${2:-}
token_file=${3:-}

bin=${ALERTMANAGER_BIN:-}
if [ -z "$bin" ]; then
	bin=$(command -v prometheus-alertmanager || command -v alertmanager || true)
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "alertmanager-start: prometheus-alertmanager not found (scripts/install-deps.sh installs it)" >&2
	exit 1
fi
for tool in python3 curl; do
	command -v "$tool" >/dev/null || { echo "alertmanager-start: $tool not found" >&2; exit 1; }
done

# YAML single-quoted scalars: refuse what could break out of one.
check_scalar() {
	case "$2" in
	*\'* | *$'\n'* | *$'\r'*) echo "alertmanager-start: $1 must not contain quotes or newlines" >&2; exit 2 ;;
	esac
}
for w in $webhook ${AM_MORE_WEBHOOKS:-}; do
	check_scalar WEBHOOK_URL "$w"
	case "$w" in
	http://* | https://*) ;;
	*) echo "alertmanager-start: WEBHOOK_URL must be http(s)" >&2; exit 2 ;;
	esac
done
if [ -n "$token_file" ]; then
	[ -n "$webhook" ] || usage
	[ -r "$token_file" ] || { echo "alertmanager-start: cannot read $token_file" >&2; exit 1; }
	token_file=$(cd "$(dirname "$token_file")" && pwd)/$(basename "$token_file")
	check_scalar BEARER_TOKEN_FILE "$token_file"
fi

mkdir -p "$dir/data"
dir=$(cd "$dir" && pwd)
rm -f "$dir/port" "$dir/pid"
cfg=$dir/alertmanager.yml
log=$dir/alertmanager.log

{
	echo "global:"
	echo "  resolve_timeout: ${AM_RESOLVE_TIMEOUT:-5m}"
	echo "route:"
	echo "  receiver: main"
	echo "  group_by: [${AM_GROUP_BY:-alertname, service}]"
	echo "  group_wait: ${AM_GROUP_WAIT:-1s}"
	echo "  group_interval: ${AM_GROUP_INTERVAL:-2s}"
	echo "  repeat_interval: ${AM_REPEAT_INTERVAL:-10s}"
	echo "receivers:"
	echo "  - name: main"
	if [ -n "$webhook" ]; then
		echo "    webhook_configs:"
		for w in $webhook ${AM_MORE_WEBHOOKS:-}; do
			echo "      - url: '$w'"
			echo "        send_resolved: true"
			echo "        max_alerts: 0"
			if [ -n "$token_file" ]; then
				echo "        http_config:"
				echo "          authorization:"
				echo "            type: Bearer"
				echo "            credentials_file: '$token_file'"
			fi
		done
	fi
} >"$cfg"

if command -v amtool >/dev/null && ! amtool check-config "$cfg" >"$dir/check-config.log" 2>&1; then
	echo "alertmanager-start: generated config is invalid:" >&2
	cat "$dir/check-config.log" >&2
	exit 1
fi

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# True when pid $2 owns the listening socket on port $1 (best effort without ss).
owns_port() {
	command -v ss >/dev/null || return 0
	ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
}

ready_timeout=${AM_READY_TIMEOUT:-20}
pid=""
port=""
# Another process may take the port between our probe and Alertmanager's bind: retry.
for attempt in 1 2 3; do
	port=$(free_port)
	cluster=(--cluster.listen-address=)
	if [ -n "${AM_CLUSTER:-}" ]; then
		cport=$(free_port)
		cluster=(--cluster.listen-address="127.0.0.1:$cport" --cluster.advertise-address="127.0.0.1:$cport"
			--cluster.gossip-interval=50ms --cluster.pushpull-interval=1s
			--cluster.peer-timeout=200ms --cluster.settle-timeout=2s)
		for p in ${AM_CLUSTER_PEERS:-}; do cluster+=(--cluster.peer="$p"); done
		echo "$cport" >"$dir/cluster_port"
	fi
	: >"$log"
	"$bin" --config.file="$cfg" --storage.path="$dir/data" \
		"${cluster[@]}" --web.listen-address="127.0.0.1:$port" \
		</dev/null >>"$log" 2>&1 &
	pid=$!
	deadline=$((SECONDS + ready_timeout))
	up=""
	why="did not become ready within ${ready_timeout}s"
	while [ $SECONDS -lt $deadline ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			why="exited before it was ready"
			break
		fi
		code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 1 \
			"http://127.0.0.1:$port/-/ready" || true)
		if [ "$code" = 200 ] && kill -0 "$pid" 2>/dev/null && owns_port "$port" "$pid"; then
			up=1
			break
		fi
		sleep 0.1
	done
	[ -n "$up" ] && break
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
	grep -q "address already in use" "$log" || break
done

if [ -z "$pid" ]; then
	echo "alertmanager-start: $bin $why; log tail:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi

echo "$port" >"$dir/port"
echo "$pid" >"$dir/pid"

if [ -n "${AM_WATCH_PID:-}" ]; then
	watch=$AM_WATCH_PID
	(
		trap - EXIT
		while kill -0 "$watch" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do
			sleep 1
		done
		kill "$pid" 2>/dev/null || true
	) </dev/null >/dev/null 2>&1 &
	disown $! 2>/dev/null || true
fi
disown "$pid" 2>/dev/null || true
echo "$port"
