#!/usr/bin/env bash
# Slowloris from five loopback addresses (127.0.0.2-6, 60 connections each: under the
# per-address cap, over the total), one header byte every second, reconnecting when
# dropped: legitimate deliveries keep succeeding throughout, because a request must
# arrive whole within connection_timeout (not just keep trickling) and a new
# connection past max_connections evicts the oldest unfinished request.
source "$(dirname "$0")/../lib.sh"
write_restart_config
cat >> "$T/runbookd.yaml" <<'YAML'
limits:
  max_connections: 100
  max_connections_per_ip: 64
  connection_timeout: 3s
YAML
start_rbd || exit 1
port=${BASE##*:}

python3 "$RBD_TESTS/scripts/slowloris.py" "$port" 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6 \
  60 9 1 > "$T/attack" &
attack=$!
PIDS+=("$attack")
for _ in $(seq 1 100); do grep -q ready "$T/attack" 2>/dev/null && break; sleep 0.1; done
check "attack under way" "$(grep -c ready "$T/attack")" 1

# Deliveries during the attack, each with its own episode, each given 5 s.
ok=0; bad=0; n=0; codes=""
end=$((SECONDS + 7))
while [ "$SECONDS" -lt "$end" ] && [ "$n" -lt 30 ]; do
  n=$((n + 1))
  jq --arg fp "$(fp "sl$n")" '.alerts[0].fingerprint = $fp' "$FIX/firing-high-error-rate.json" > "$T/p.json"
  c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $INGEST" \
      -H 'Content-Type: application/json' --data-binary @"$T/p.json" "$BASE/api/v1/alerts")
  if [ "$c" == 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); codes="$codes $c"; fi
  sleep 0.2
done
check "every delivery during the attack succeeded ($n sent;$codes)" "$bad" 0
check_match "deliveries were made" "$ok" '^[0-9]{2,}$'
wait "$attack"
res=$(tail -1 "$T/attack")
check "the attackers were dropped and came back" "$(echo "$res" | jq '.closed_by_server >= 300')" true
check "stored once each" "$(sql 'select count(*) from alerts')" "$ok"
m=$(api GET /metrics "")
check_match "drops are counted" "$m" 'runbookd_http_connections_dropped_total\{reason="(evicted|deadline)"\} [1-9]'
kill -0 "$RBD_PID"; check "still running" "$?" 0
finish
