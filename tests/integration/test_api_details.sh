#!/usr/bin/env bash
# API and CLI details an operator trips on (issue 17): GET /api/v1/actions?incident=ID;
# an unknown state lists the valid ones; GET /api/v1/pause says the state, since when
# and by whom; the action JSON has expires_at, approvals {given, needed} and the
# decision comment; `runbookd CMD --help` / `runbookd help CMD`; export names the bad
# argument.
source "$(dirname "$0")/../lib.sh"
unset RUNBOOKD_CONFIG

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: quorum-restart
    description: "two operators (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
    approvals: 2
YAML
write_config enforce "$T/rules.yaml" <<'YAML'
limits:
  approval_ttl: 10m
actions:
  restart:
    run: [/bin/true, restart, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z][a-z0-9-]{0,30}" }
YAML
start_rbd || exit 1

# two incidents (two groups), one action each
post_fixture "$FIX/firing-high-error-rate.json" >/dev/null
jq '.groupKey = "{}:{alertname=\"HighErrorRate\", service=\"other\"}" | .alerts[0].fingerprint = "00000000000000aa" | .alerts[0].labels.service = "other"' \
  "$FIX/firing-high-error-rate.json" > "$T/other.json"
post_fixture "$T/other.json" >/dev/null
i1=$(sql "select id from incidents order by id limit 1"); i2=$(sql "select id from incidents order by id desc limit 1")
a1=$(sql "select id from actions where incident_id = $i1"); a2=$(sql "select id from actions where incident_id = $i2")
check "two incidents, one action each" "$([ "$i1" != "$i2" ] && [ -n "$a1" ] && [ -n "$a2" ] && echo yes)" yes

# --- ?incident=ID
r=$(api GET "/api/v1/actions?incident=$i2" "$VIEWER")
check "?incident=: 200" "$(status)" 200
check "?incident=: only that incident's actions" "$(echo "$r" | jq -c '[.actions[] | [.id, .incident_id]]')" "[[$a2,$i2]]"
r=$(api GET "/api/v1/actions?incident=$i1&state=pending_approval" "$VIEWER")
check "?incident= with ?state=" "$(echo "$r" | jq -c '[.actions[].id]')" "[$a1]"
check "no filter: both" "$(api GET /api/v1/actions "$VIEWER" | jq '.actions | length')" 2
api GET "/api/v1/actions?incident=abc" "$VIEWER" >/dev/null
check "?incident=abc: 400" "$(status)" 400
check_match "?incident=abc: names the parameter" "$(cat "$T/body")" 'incident must be an integer'

# --- unknown state lists the valid ones
r=$(api GET "/api/v1/actions?state=pending" "$VIEWER")
check "unknown state: 400" "$(status)" 400
check_match "unknown state: names it and lists the valid states" "$(echo "$r" | jq -r .error.message)" \
  '^unknown action state "pending"; valid states: planned, pending_approval, approved, running, succeeded, failed, timed_out, rejected, expired, cancelled, skipped, dry_run, interrupted$'

# --- action JSON: expires_at, approvals, comment
r=$(api GET "/api/v1/actions/$a1" "$VIEWER")
check "pending: approvals 0 of 2, no comment" "$(echo "$r" | jq -c '.action | [.approvals, .comment]')" '[{"given":0,"needed":2},null]'
created=$(echo "$r" | jq -r .action.created_at); expires=$(echo "$r" | jq -r .action.expires_at)
secs() { date -u -d "$1" +%s; }
check "expires_at = created_at + approval_ttl (10m)" "$(( $(secs "$expires") - $(secs "$created") ))" 600
r=$(api POST "/api/v1/actions/$a1/approve" "$OPERATOR" -d '{"comment":"looks right"}')
check "first approval: 1 of 2, the comment" "$(echo "$r" | jq -c '.action | [.state, .approvals, .comment]')" \
  '["pending_approval",{"given":1,"needed":2},"looks right"]'
r=$(api POST "/api/v1/actions/$a1/approve" "$OPERATOR2" -d '{"comment":"second pair of eyes"}')
check "second approval: 2 of 2, the latest comment" "$(echo "$r" | jq -c '.action | [.approvals, .comment]')" \
  '[{"given":2,"needed":2},"second pair of eyes"]'
r=$(api POST "/api/v1/actions/$a2/reject" "$OPERATOR" -d '{"comment":"not this one"}')
check "reject: the comment, no approvals" "$(echo "$r" | jq -c '.action | [.state, .approvals.given, .comment]')" \
  '["rejected",0,"not this one"]'
check "the list has the same fields" "$(api GET "/api/v1/actions?incident=$i2" "$VIEWER" | jq -c '.actions[0] | [.comment, .approvals.needed, (.expires_at != null)]')" \
  '["not this one",2,true]'

# --- GET /api/v1/pause
r=$(api GET /api/v1/pause "$VIEWER")
check "GET pause before any: 200" "$(status)" 200
check "GET pause before any: not paused, no since/by" "$r" '{"paused":false,"since":null,"by":null}'
api GET /api/v1/pause "" >/dev/null; check "GET pause without token: 401" "$(status)" 401
before=$(date -u +%s)
r=$(api POST /api/v1/pause "$OPERATOR")
check "POST pause answers with the state" "$(echo "$r" | jq -c '[.paused, .by]')" '[true,"alice"]'
r=$(api GET /api/v1/pause "$VIEWER")
check "GET pause: paused by alice" "$(echo "$r" | jq -c '[.paused, .by]')" '[true,"alice"]'
since=$(secs "$(echo "$r" | jq -r .since)")
check "GET pause: since is now" "$([ "$since" -ge "$((before - 1))" ] && [ "$since" -le "$(( $(date -u +%s) + 1 ))" ] && echo yes)" yes
api POST /api/v1/resume "$OPERATOR2" >/dev/null
check "GET pause after resume: resumed by bob" "$(api GET /api/v1/pause "$VIEWER" | jq -c '[.paused, .by]')" '[false,"bob"]'
stop_rbd
start_rbd || exit 1
check "GET pause survives a restart" "$(api GET /api/v1/pause "$VIEWER" | jq -c '[.paused, .by]')" '[false,"bob"]'
stop_rbd

# --- CLI: per-command help, export names the bad argument
cli() { "$RBD_BIN" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
for c in serve check simulate migrate export version; do
  cli "$c" --help
  check "$c --help: exit 0" "$RC" 0
  check_match "$c --help: its usage" "$(head -1 "$T/out")" "^usage: runbookd $c "
  cli help "$c"
  check "help $c: same text" "$(cat "$T/out")" "$("$RBD_BIN" "$c" --help)"
done
cli check --help; check_match "check --help explains --syntax-only" "$(cat "$T/out")" '--syntax-only +skip'
cli simulate -h; check_match "simulate -h explains --explain" "$(cat "$T/out")" '--explain'
cli help frobnicate
check "help of an unknown command: exit 2" "$RC" 2
check_match "help of an unknown command: says so" "$(cat "$T/err")" 'unknown command frobnicate'
cli export -c "$T/runbookd.yaml" --incident abc
check "export --incident abc: exit 2" "$RC" 2
check "export --incident abc: names it" "$(cat "$T/err")" 'export: bad --incident "abc": expected a positive incident id'
cli export -c "$T/runbookd.yaml" --incident 1 --format xml
check "export --format xml: names it" "$RC:$(cat "$T/err")" '2:export: bad --format "xml": expected json, md or csv'
cli export -c "$T/runbookd.yaml" --incident 1 --lang fr
check "export --lang fr: names it" "$RC:$(cat "$T/err")" '2:export: bad --lang "fr": expected en or ko'
finish
