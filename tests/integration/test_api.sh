#!/usr/bin/env bash
# The HTTP API over real HTTP against the real binary, a real SQLite file, and the
# real Alertmanager 0.25 deliveries: every endpoint, role and status code of SPEC.
source "$(dirname "$0")/../lib.sh"

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: errors-restart
    description: "5xx surge: restart the service (runbook 2.1)"
    matchers:
      - alertname = "HighErrorRate"
    action: restart
    params:
      service: "{{ .Labels.service }}"
    approval: true
YAML
write_config dry-run "$T/rules.yaml" <<'YAML'
limits:
  max_body_bytes: 65536
actions:
  restart:
    run: [echo, restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [order-api, mysql] }
    timeout: 10s
YAML
start_rbd || exit 1

# --- open endpoints
api GET /healthz "" >/dev/null; check "healthz" "$(status)" 200
api GET /readyz "" >/dev/null; check "readyz" "$(status)" 200
m=$(api GET /metrics ""); check "metrics" "$(status)" 200
check_match "metrics has build info" "$m" 'runbookd_build_info\{version="[^"]+"\} 1'

# --- authentication: nothing is stored without the ingest token
for auth in "" "Basic $INGEST" "Bearer" "Bearer wrong-token" "Bearer ${INGEST:0:10}" \
            "Bearer ${INGEST}x" "Bearer $(head -c 9000 /dev/zero | tr '\0' a)"; do
  if [ -z "$auth" ]; then h=(); else h=(-H "Authorization: $auth"); fi
  body=$(curl -s -o "$T/b" -w '%{http_code}' "${h[@]}" -H 'Content-Type: application/json' \
         --data-binary @"$FIX/firing-high-error-rate.json" "$BASE/api/v1/alerts")
  check "401 for auth '${auth:0:16}'" "$body" 401
  check "constant 401 body" "$(jq -c . "$T/b")" '{"error":{"code":"unauthorized","message":"a valid bearer token is required"}}'
done
post_fixture "$FIX/firing-high-error-rate.json" "$VIEWER" >/dev/null
check "viewer may not ingest" "$(status)" 403
post_fixture "$FIX/firing-high-error-rate.json" "$OPERATOR" >/dev/null
check "operator may not ingest" "$(status)" 403
check "nothing stored after refused calls" "$(sql 'select count(*) from notifications')" 0
api GET /api/v1/incidents "$INGEST" >/dev/null
check "ingest token may not read" "$(status)" 403

# --- ingest: stored once, acknowledged with the incident
r=$(post_fixture "$FIX/firing-high-error-rate.json")
check "ingest 200" "$(status)" 200
check "ingest answer" "$(echo "$r" | jq -c '{accepted, incident_ids}')" '{"accepted":1,"incident_ids":[1]}'
for i in 1 2 3; do post_fixture "$FIX/firing-high-error-rate.json" >/dev/null; done
check "retries acknowledged" "$(status)" 200
check "one alert episode after 4 deliveries" "$(sql 'select count(*) from alerts')" 1
check "one action after 4 deliveries" "$(sql 'select count(*) from actions')" 1
check "4 notifications recorded" "$(sql 'select count(*) from notifications')" 4

# --- reads
r=$(api GET /api/v1/incidents "$VIEWER")
check "incidents 200" "$(status)" 200
check "incident list" "$(echo "$r" | jq -c '[.total, .incidents[0].id, .incidents[0].status]')" '[1,1,"open"]'
check_match "incident opened_at is RFC 3339 ms" "$(echo "$r" | jq -r '.incidents[0].opened_at')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
r=$(api GET "/api/v1/incidents?status=resolved" "$VIEWER")
check "status filter" "$(echo "$r" | jq -c '[.total, (.incidents|length)]')" '[0,0]'
api GET "/api/v1/incidents?status=bogus" "$VIEWER" >/dev/null; check "bad status 400" "$(status)" 400
api GET "/api/v1/incidents?limit=0" "$VIEWER" >/dev/null; check "limit 0 400" "$(status)" 400
api GET "/api/v1/incidents?limit=10001" "$VIEWER" >/dev/null; check "limit over max 400" "$(status)" 400
api GET "/api/v1/incidents?limit=1&offset=1" "$VIEWER" >/dev/null; check "offset ok" "$(status)" 200
r=$(api GET /api/v1/incidents/1 "$OPERATOR")
check "operator may read" "$(status)" 200
check "incident detail alert" "$(echo "$r" | jq -c '.alerts[0] | [.fingerprint, .status, .ends_at, .labels.service]')" '["bc0f69a6f4a97e7e","firing",null,"order-api"]'
check "alert starts_at from the payload" "$(echo "$r" | jq -r '.alerts[0].starts_at')" "2026-11-25T07:55:47.033Z"
check "dry-run action with its argv" "$(echo "$r" | jq -c '.actions[0] | [.state, .dry_run, .argv[1:], .rule]')" '["dry_run",true,["restart","order-api"],"errors-restart"]'
api GET /api/v1/incidents/99 "$VIEWER" >/dev/null; check "unknown incident 404" "$(status)" 404
api GET /api/v1/incidents/abc "$VIEWER" >/dev/null; check "bad incident id 400" "$(status)" 400
r=$(api GET "/api/v1/incidents/1/timeline?format=json" "$VIEWER")
check "timeline 200" "$(status)" 200
check "timeline kinds" "$(echo "$r" | jq -c '[.events[].kind]')" '["incident.opened","notification.received","alert.firing","rule.matched","action.planned","action.dry_run"]'
check "timeline actors" "$(echo "$r" | jq -c '[.events[] | .actor] | unique')" '["alertmanager","runbookd"]'
r=$(api GET /api/v1/actions "$VIEWER"); check "actions list" "$(echo "$r" | jq '.actions | length')" 1
r=$(api GET "/api/v1/actions?state=pending_approval" "$VIEWER"); check "actions state filter" "$(echo "$r" | jq '.actions | length')" 0
api GET "/api/v1/actions?state=nonsense" "$VIEWER" >/dev/null; check "unknown state 400" "$(status)" 400
r=$(api GET /api/v1/rules "$VIEWER")
check "rules list" "$(echo "$r" | jq -c '[.rules[0].name, .rules[0].tripped, .mode]')" '["errors-restart",false,"dry-run"]'

# --- notes
api POST /api/v1/incidents/1/notes "$OPERATOR" -d '{"text":"rolled back to v41"}' >/dev/null
check "note 201" "$(status)" 201
api POST /api/v1/incidents/1/notes "$VIEWER" -d '{"text":"x"}' >/dev/null; check "viewer note 403" "$(status)" 403
api POST /api/v1/incidents/9/notes "$OPERATOR" -d '{"text":"x"}' >/dev/null; check "note unknown incident 404" "$(status)" 404
api POST /api/v1/incidents/1/notes "$OPERATOR" -d '{"text":5}' >/dev/null; check "note wrong type 400" "$(status)" 400
api POST /api/v1/incidents/1/notes "$OPERATOR" -d 'nope' >/dev/null; check "note bad json 400" "$(status)" 400
r=$(api GET /api/v1/incidents/1/timeline "$VIEWER")
check "note in timeline" "$(echo "$r" | jq -c '[.events[] | select(.kind=="note.added") | [.actor, .detail.text]][0]')" '["alice","rolled back to v41"]'

# --- approvals on an action that is not pending
api POST /api/v1/actions/1/approve "$OPERATOR" >/dev/null; check "approve dry_run action 409" "$(status)" 409
api POST /api/v1/actions/1/approve "$VIEWER" >/dev/null; check "approve as viewer 403" "$(status)" 403
api POST /api/v1/actions/77/approve "$OPERATOR" >/dev/null; check "approve unknown 404" "$(status)" 404

# --- kill switch
r=$(api POST /api/v1/pause "$OPERATOR"); check "pause" "$(status) $(echo "$r" | jq -c '{paused, by}')" '200 {"paused":true,"by":"alice"}'
api POST /api/v1/pause "$VIEWER" >/dev/null; check "pause as viewer 403" "$(status)" 403
check_match "paused metric" "$(api GET /metrics '')" 'runbookd_paused 1'
api POST /api/v1/resume "$OPERATOR" >/dev/null; check "resume" "$(status)" 200
api POST /api/v1/rules/errors-restart/reset "$OPERATOR" >/dev/null; check "rule reset" "$(status)" 200
api POST /api/v1/rules/nope/reset "$OPERATOR" >/dev/null; check "reset unknown rule 404" "$(status)" 404

# --- bad bodies: clear 4xx with a JSON error, nothing stored
before=$(sql 'select count(*) from notifications')
printf '{"version":"4",' > "$T/trunc.json"
post_fixture "$T/trunc.json" >/dev/null; check "truncated 400" "$(status)" 400
check "error shape" "$(jq -r '.error.code' "$T/body")" invalid_input
jq '.version = "3"' "$FIX/firing-high-error-rate.json" > "$T/v3.json"
post_fixture "$T/v3.json" >/dev/null; check "version 3 400" "$(status)" 400
check_match "error names the field" "$(jq -r '.error.message' "$T/body")" 'version'
jq '.alerts[0].labels.severity = 5' "$FIX/firing-high-error-rate.json" > "$T/type.json"
post_fixture "$T/type.json" >/dev/null; check "wrong type 400" "$(status)" 400
check_match "error names the label" "$(jq -r '.error.message' "$T/body")" 'severity'
: > "$T/empty.json"
post_fixture "$T/empty.json" >/dev/null; check "empty body 400" "$(status)" 400
head -c 70000 /dev/zero | tr '\0' ' ' > "$T/big.json"
post_fixture "$T/big.json" >/dev/null; check "over max_body_bytes 413" "$(status)" 413
printf '{"version":"4","groupKey":"\xff\xfe"}' > "$T/utf8.json"
post_fixture "$T/utf8.json" >/dev/null; check "invalid UTF-8 400" "$(status)" 400
python3 -c 'print("["*20000)' > "$T/deep.json"
post_fixture "$T/deep.json" >/dev/null; check "deep nesting 400" "$(status)" 400
check "no notification stored from bad bodies" "$(sql 'select count(*) from notifications')" "$before"
api GET /healthz "" >/dev/null; check "still serving after bad bodies" "$(status)" 200

# --- routing
api GET /nope "" >/dev/null; check "unknown path 404" "$(status)" 404
check "404 is JSON" "$(jq -r .error.code "$T/body")" not_found
api DELETE /api/v1/incidents "$VIEWER" >/dev/null; check "wrong method 405" "$(status)" 405

# --- resolution, truncated groups
r=$(post_fixture "$FIX/resolved-high-error-rate.json"); check "resolved 200" "$(status)" 200
r=$(api GET /api/v1/incidents/1 "$VIEWER")
check "incident resolved" "$(echo "$r" | jq -c '[.incident.status, (.incident.resolved_at != null), .alerts[0].status]')" '["resolved",true,"resolved"]'
post_fixture "$FIX/firing-disk-full-truncated.json" >/dev/null
post_fixture "$FIX/mixed-disk-full-truncated.json" >/dev/null
r=$(api GET /api/v1/incidents/2 "$VIEWER")
check "truncated group: 3 episodes sent, one resolved" "$(echo "$r" | jq -c '[(.alerts|length), ([.alerts[]|select(.status=="resolved")]|length), .incident.status]')" '[3,1,"open"]'
post_fixture "$FIX/resolved-disk-full-truncated.json" >/dev/null
r=$(api GET /api/v1/incidents/2 "$VIEWER")
check "truncated group resolves whole, vd4 seen first resolved" "$(echo "$r" | jq -c '[.incident.status, ([.alerts[]|select(.status=="firing")]|length), (.alerts|length)]')" '["resolved",0,4]'
post_fixture "$FIX/firing-high-latency.json" >/dev/null
r=$(api GET "/api/v1/incidents?status=open" "$VIEWER")
check "newest first" "$(echo "$r" | jq -c '[.incidents[].id]')" '[3]'

# --- secrets never leave: not in the log, not in the database
check "ingest token not in log" "$(grep -c "$INGEST" "$T/runbookd.log")" 0
check "operator token not in database" "$(sqlite3 "$T/runbookd.db" .dump | grep -c "$OPERATOR")" 0

# --- idle means idle: the executor's claims must not wake each other into a spin
commits() { api GET /metrics "" | sed -n 's/^runbookd_store_commits_total //p'; }
c0=$(commits); sleep 2; c1=$(commits)
check "idle: a handful of commits in 2 s, not a spin" "$(( ${c1%.*} - ${c0%.*} < 40 ))" 1

# --- restart: migrations once, duplicates still deduplicated
stop_rbd; check "SIGTERM exits 0" "$?" 0
start_rbd || exit 1
post_fixture "$FIX/firing-high-latency.json" >/dev/null
check "same episode after restart" "$(sql "select count(*) from alerts where fingerprint = (select fingerprint from alerts order by id desc limit 1)")" 1
check "migrations recorded once" "$(sql 'select count(*) from schema_migrations')" "$(ls "$RBD_SRC"/migrations/*.sql | wc -l)"
finish
