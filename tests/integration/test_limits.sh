#!/usr/bin/env bash
# Slow clients (THREATS.md): idle connections holding half a request do not stop real
# deliveries; the per-IP limit and the connection timeout close them; a client that
# hangs up mid-response does not kill the service (SIGPIPE is ignored).
source "$(dirname "$0")/../lib.sh"
cat > "$T/rules.yaml" <<'YAML'
rules: []
YAML
write_config dry-run "$T/rules.yaml" <<'YAML'
limits:
  max_connections: 200
  max_connections_per_ip: 40
  connection_timeout: 3s
actions: {}
YAML
start_rbd || exit 1
port=${BASE##*:}

# 30 slow clients on one IP, under the per-IP limit: a delivery still goes through.
python3 "$RBD_TESTS/scripts/idle-conns.py" "$port" 30 5 > "$T/idle1" &
idle=$!
for _ in $(seq 1 50); do grep -q ready "$T/idle1" 2>/dev/null && break; sleep 0.1; done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $INGEST" \
       --data-binary @"$FIX/firing-high-error-rate.json" "$BASE/api/v1/alerts")
check "delivery succeeds beside 30 idle connections" "$code" 200
wait "$idle"
check "connection timeout closed the idle ones" "$(tail -1 "$T/idle1" | jq .closed_by_server)" 30

# 60 more on the same IP: past the per-IP limit of 40 the rest are refused at once.
python3 "$RBD_TESTS/scripts/idle-conns.py" "$port" 60 1 > "$T/idle2"
check "per-IP limit refuses the excess" "$(tail -1 "$T/idle2" | jq '.closed_by_server >= 20')" true
sleep 3.5
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $INGEST" \
       --data-binary @"$FIX/firing-high-latency.json" "$BASE/api/v1/alerts")
check "deliveries succeed after the flood" "$code" 200

# A reader that hangs up mid-response.
for _ in $(seq 1 20); do
  curl -s --max-time 0.001 -H "Authorization: Bearer $VIEWER" "$BASE/api/v1/incidents/1/timeline?format=md" >/dev/null 2>&1
done
python3 - "$port" "$VIEWER" <<'PY'
import socket, sys
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").encode())
    s.close()
PY
sleep 0.5
kill -0 "$RBD_PID" 2>/dev/null; check "alive after clients hung up" "$?" 0
api GET /healthz "" >/dev/null; check "still serving" "$(status)" 200
finish
