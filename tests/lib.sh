# Shared helpers for the shell-driven suites (integration, e2e). Source it.
# Every test gets its own temp dir, its own database and an ephemeral port; every
# process it starts is stopped on exit.
set -uo pipefail

RBD_BIN=${1:?usage: test.sh PATH/TO/runbookd}
RBD_SRC=${RBD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RBD_TESTS=${RBD_TESTS:-$RBD_SRC/tests}
FIX=$RBD_TESTS/fixtures/alertmanager-0.25
T=$(mktemp -d /tmp/rbd-test.XXXXXX)
PIDS=()
FAILS=0
PASSES=0

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null
  done
  if [ "$FAILS" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT

ok()   { PASSES=$((PASSES + 1)); echo "ok   $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
# check DESCRIPTION ACTUAL EXPECTED
check() { if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: got '$2', expected '$3'"; fi; }
# check_match DESCRIPTION ACTUAL REGEX
check_match() { if [[ "$2" =~ $3 ]]; then ok "$1"; else fail "$1: '$2' !~ /$3/"; fi; }
finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
  exit $?
}

# Writes tokens and a config into $T; extra YAML (actions:, limits:) from stdin.
# Usage: write_config MODE RULES_FILE < extra.yaml
write_config() {
  local mode=$1 rules=$2
  mkdir -p "$T/tokens"
  for r in ingest operator operator2 viewer; do
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/tokens/$r.token")
  done
  INGEST=$(cat "$T/tokens/ingest.token"); OPERATOR=$(cat "$T/tokens/operator.token")
  OPERATOR2=$(cat "$T/tokens/operator2.token"); VIEWER=$(cat "$T/tokens/viewer.token")
  {
    echo "listen: 127.0.0.1:0"
    echo "database: $T/runbookd.db"
    echo "mode: $mode"
    echo "rules: $rules"
    echo "auth:"
    echo "  tokens:"
    echo "    - { name: alertmanager, role: ingest, token_file: $T/tokens/ingest.token }"
    echo "    - { name: alice, role: operator, token_file: $T/tokens/operator.token }"
    echo "    - { name: bob, role: operator, token_file: $T/tokens/operator2.token }"
    echo "    - { name: grafana, role: viewer, token_file: $T/tokens/viewer.token }"
    cat
  } > "$T/runbookd.yaml"
}

# The smallest useful setup: one dry-run rule that restarts the HighErrorRate
# alert's service (any lower-case name passes its pattern).
write_restart_config() {
  cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: errors-restart
    description: "restart (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
YAML
  write_config dry-run "$T/rules.yaml" <<'YAML'
actions:
  restart:
    run: [echo, restart, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z-]+" }
YAML
}

# Starts runbookd on $T/runbookd.yaml; sets RBD_PID and BASE.
start_rbd() {
  rm -f "$T/port"
  RUNBOOKD_PORT_FILE="$T/port" "$RBD_BIN" serve -c "$T/runbookd.yaml" >>"$T/runbookd.log" 2>&1 &
  RBD_PID=$!
  PIDS+=("$RBD_PID")
  for _ in $(seq 1 200); do
    [ -s "$T/port" ] && break
    if ! kill -0 "$RBD_PID" 2>/dev/null; then
      echo "runbookd exited at start:"; tail -20 "$T/runbookd.log"; return 1
    fi
    sleep 0.05
  done
  [ -s "$T/port" ] || { echo "runbookd did not start"; tail -20 "$T/runbookd.log"; return 1; }
  BASE="http://127.0.0.1:$(cat "$T/port")"
}

# Stops runbookd with SIGTERM and returns its exit status.
stop_rbd() {
  kill -TERM "$RBD_PID" 2>/dev/null
  wait "$RBD_PID"
  local rc=$?
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" != "$RBD_PID" ] && keep+=("$p"); done
  PIDS=("${keep[@]}")
  return $rc
}

# api METHOD PATH TOKEN [curl args...]: prints "STATUS BODY" on one line pair:
# STATUS goes to $T/status, the body to stdout.
api() {
  local method=$1 path=$2 token=$3; shift 3
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  curl -s -o "$T/body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" "$BASE$path" > "$T/status"
  cat "$T/body"
}
status() { cat "$T/status"; }

post_fixture() {  # post_fixture FILE [TOKEN]
  api POST /api/v1/alerts "${2:-$INGEST}" -H 'Content-Type: application/json' --data-binary @"$1"
}

sql() { sqlite3 -batch -noheader "$T/runbookd.db" "$1"; }

# A stable 16-hex-digit Alertmanager fingerprint for a short test key.
fp() { printf %s "$1" | md5sum | cut -c1-16; }

# wait_state ACTION_ID STATE: polls up to ~10 s; prints the last state seen.
wait_state() {
  local s=""
  for _ in $(seq 1 100); do
    s=$(api GET "/api/v1/actions/$1" "$VIEWER" | jq -r .action.state)
    [ "$s" == "$2" ] && break
    sleep 0.1
  done
  echo "$s"
}
