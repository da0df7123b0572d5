#!/usr/bin/env bash
# Fair ingest: a 10,000-alert notification is written in chunks of its own
# transactions, so a 1-alert delivery sent while it is being stored completes before
# it (it used to wait for the whole of it); the big one is answered only once every
# alert of it is committed; a resend of it changes nothing.
source "$(dirname "$0")/../lib.sh"
write_restart_config
cat >> "$T/runbookd.yaml" <<'YAML'
limits:
  max_alerts: 10000
  max_body_bytes: 16777216
YAML
start_rbd || exit 1

# The big notification: group "big", 10,000 firing alerts of HighErrorRate (each plans
# one dry-run action). The small one: another group, one alert.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
def alert(i, group):
    return {"status": "firing",
            "labels": {"alertname": "HighErrorRate", "service": "svc-%s" % group, "instance": "i%d" % i},
            "annotations": {"summary": "x"}, "startsAt": "2026-11-25T07:55:47.033Z",
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/g",
            "fingerprint": "%016x" % (i + (1 << 40 if group == "small" else 0))}
def note(group, n):
    return {"receiver": "remediator", "status": "firing", "alerts": [alert(i, group) for i in range(n)],
            "groupLabels": {"service": "svc-%s" % group}, "commonLabels": {"alertname": "HighErrorRate"},
            "commonAnnotations": {}, "externalURL": "http://am:9093", "version": "4",
            "groupKey": "{}:{service=\"svc-%s\"}" % group, "truncatedAlerts": 0}
json.dump(note("big", 10000), open(t + "/big.json", "w"))
json.dump(note("small", 1), open(t + "/small.json", "w"))
PY

curl -s -o "$T/big.out" -w '%{http_code}' --max-time 280 -H "Authorization: Bearer $INGEST" \
     -H 'Content-Type: application/json' --data-binary @"$T/big.json" "$BASE/api/v1/alerts" \
     > "$T/big.code" &
big=$!
PIDS+=("$big")
# Wait until the first chunk of the big one is committed (and it is not answered yet).
seen=0
for _ in $(seq 1 600); do
  seen=$(sql "SELECT count(*) FROM alerts" 2>/dev/null || echo 0)
  [ "${seen:-0}" -gt 0 ] && break
  sleep 0.05
done
check_match "the big notification is being stored" "${seen:-0}" '^[1-9][0-9]*$'
kill -0 "$big" 2>/dev/null; check "and is not answered yet" "$?" 0

code=$(curl -s -o "$T/small.out" -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $INGEST" \
       -H 'Content-Type: application/json' --data-binary @"$T/small.json" "$BASE/api/v1/alerts")
# Right when the small one is answered: the big one is still being stored.
big_alive=0; kill -0 "$big" 2>/dev/null && big_alive=1
stored_then=$(sql "SELECT count(*) FROM alerts WHERE labels LIKE '%svc-big%'")
check "small delivery answered 200" "$code" 200
check "small delivery committed when answered" \
  "$(sql "SELECT count(*) FROM alerts WHERE labels LIKE '%svc-small%'")" 1
check "small delivery completed before the big one" "$big_alive" 1
check_match "the big one was part-way when the small one completed ($stored_then)" \
  "$stored_then" '^[0-9]+$'
[ "${stored_then:-10000}" -lt 10000 ]; check "fewer than 10000 big alerts stored then" "$?" 0

wait "$big"
check "big delivery answered 200" "$(cat "$T/big.code")" 200
check "answered once all of it committed" "$(jq .new_episodes "$T/big.out")" 10000
check "every alert stored" "$(sql "SELECT count(*) FROM alerts WHERE labels LIKE '%svc-big%'")" 10000
check "one incident for the big group" \
  "$(sql "SELECT count(*) FROM incidents WHERE group_key LIKE '%svc-big%'")" 1
check "one action per alert" \
  "$(sql "SELECT count(*) FROM actions a JOIN alerts e ON e.id = a.alert_id WHERE e.labels LIKE '%svc-big%'")" 10000
check "one notification row for it" \
  "$(sql "SELECT count(*) FROM notifications WHERE group_key LIKE '%svc-big%'")" 1

# A resend changes nothing (every chunk dedups).
code=$(curl -s -o "$T/big2.out" -w '%{http_code}' --max-time 280 -H "Authorization: Bearer $INGEST" \
       -H 'Content-Type: application/json' --data-binary @"$T/big.json" "$BASE/api/v1/alerts")
check "resend answered 200" "$code" 200
check "resend: no new episode" "$(jq .new_episodes "$T/big2.out")" 0
check "resend: still 10000 actions" "$(sql "SELECT count(*) FROM actions")" 10001
finish
