#!/usr/bin/env bash
# The operator's CLI against a running server, amtool-style: incidents, actions
# [--state], approve/reject [--comment], note [--section], pause/resume [--comment];
# tables by default, -o json; RUNBOOKD_URL with RUNBOOKD_TOKEN or RUNBOOKD_TOKEN_FILE;
# a 409 is a clear message with exit 1, a wrong token exit 1, no server exit 3.
source "$(dirname "$0")/../lib.sh"

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: restart-two-keys
    description: "restart after two approvals (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    approval: true
    approvals: 2
  - name: flag-off
    description: "writes off (runbook 2.2)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    approval: true
YAML
write_config enforce "$T/rules.yaml" <<'YAML'
actions:
  restart:
    run: [echo, restart, app]
YAML
start_rbd || exit 1
post_fixture "$FIX/firing-high-error-rate.json" >/dev/null
inc=$(jq -r '.incident_ids[0]' "$T/body")
A=$(sql "select id from actions where rule = 'restart-two-keys'")
F=$(sql "select id from actions where rule = 'flag-off'")
wait_state "$F" pending_approval >/dev/null

export RUNBOOKD_URL=$BASE
rb() { "$RBD_BIN" "$@" > "$T/out" 2> "$T/err"; echo $?; }
check "incidents as a table" "$(RUNBOOKD_TOKEN=$VIEWER rb incidents)" 0
check "table header" "$(head -1 "$T/out" | tr -s ' ')" "ID STATUS OPENED RESOLVED TITLE"
check_match "the incident row" "$(sed -n 2p "$T/out")" "^$inc +open +20[0-9-]+T"
check "pending actions" "$(RUNBOOKD_TOKEN=$VIEWER rb actions --state pending_approval)" 0
check "two pending rows" "$(tail -n +2 "$T/out" | grep -c pending_approval)" 2
check_match "action header" "$(head -1 "$T/out")" '^ID +INCIDENT +STATE +RULE +ACTION +DECIDED_BY +CREATED'
check "json output" "$(RUNBOOKD_TOKEN=$VIEWER rb actions --state pending_approval -o json)" 0
check "json is the API's" "$(jq -c '[.actions[].id] | sort' "$T/out")" "[$A,$F]"

RUNBOOKD_TOKEN_FILE=$T/tokens/operator.token
export RUNBOOKD_TOKEN_FILE
check "approve from a token file" "$(rb approve "$A" --comment "app pods wedged")" 0
check_match "prints the action" "$(sed -n 2p "$T/out")" "^$A +$inc +pending_approval +restart-two-keys"
check_match "with the quorum and the expiry" "$(sed -n 3p "$T/out")" '^approvals 1/2, expires 20[0-9-]+T[0-9:.]+Z$'
check "the API gives the quorum, the comment and each decision" "$(api GET "/api/v1/actions/$A" "$VIEWER" | jq -c '[.action.approvals, .action.comment, [.action.decisions[] | [.by, .decision, .comment]]]')" '[{"given":1,"needed":2},"app pods wedged",[["alice","approve","app pods wedged"]]]'
check "approving twice is refused (409, exit 1)" "$(rb approve "$A")" 1
check_match "with a clear message" "$(cat "$T/err")" "^runbookd: POST /api/v1/actions/$A/approve: 409 alice already decided on action $A$"
check "second operator completes the quorum" "$(RUNBOOKD_TOKEN_FILE=$T/tokens/operator2.token rb approve "$A" --comment agreed)" 0
# The answer reads the action back after the commit: a worker may already have claimed it.
check_match "approved by both" "$(sed -n 2p "$T/out")" "(approved|running|succeeded) +restart-two-keys +restart +(alice,bob|bob,alice)"
check "reject" "$(rb reject "$F" --comment "not needed")" 0
check_match "rejected row" "$(sed -n 2p "$T/out")" "rejected +flag-off +restart +alice"
check "deciding a decided action: 409, exit 1" "$(rb reject "$F")" 1
check_match "names the state" "$(cat "$T/err")" "409 action $F is rejected, not pending_approval"
check "note with a section" "$(rb note "$inc" "checkout down for 25%" --section impact)" 0
check "note output" "$(cat "$T/out")" "note added to incident $inc by alice under impact"
check "bad section refused" "$(rb note "$inc" x --section blame)" 1
check "pause" "$(rb pause --comment "deploy in progress")" 0
check_match "pause output" "$(cat "$T/out")" '^paused'
check "server paused" "$(api GET /metrics "" | awk '$1 == "runbookd_paused" { print $2 }')" 1
check "resume" "$(rb resume --comment "deploy done")" 0
check "server resumed" "$(api GET /metrics "" | awk '$1 == "runbookd_paused" { print $2 }')" 0
tl=$(api GET "/api/v1/incidents/$inc/timeline" "$VIEWER")
check "comments recorded" "$(echo "$tl" | jq -c '[.events[] | select(.kind | test("^action\\.(approval_recorded|approved|rejected)$|^system\\.")) | .detail.comment]')" '["app pods wedged","agreed","not needed","deploy in progress","deploy done"]'
check "note section recorded" "$(echo "$tl" | jq -r '.events[] | select(.kind=="note.added") | .detail.section')" impact

# failures: usage, auth, unreachable
check "viewer cannot approve: 403, exit 1" "$(RUNBOOKD_TOKEN=$VIEWER rb approve "$A")" 1
check "wrong token: 401, exit 1" "$(RUNBOOKD_TOKEN=nope rb incidents)" 1
check "no token: usage" "$(env -u RUNBOOKD_TOKEN_FILE "$RBD_BIN" incidents > /dev/null 2>&1; echo $?)" 2
check "no server: exit 3" "$(RUNBOOKD_URL=http://127.0.0.1:1 rb incidents)" 3
check_match "names where it tried" "$(cat "$T/err")" 'cannot reach http://127.0.0.1:1'
check "missing id: usage" "$(rb approve)" 2
check "not a number: usage" "$(rb approve abc)" 2
check "unknown flag: usage" "$(rb approve "$A" --force)" 2
check "the token never printed" "$(cat "$T"/out "$T"/err | grep -c -e "$OPERATOR" -e "$VIEWER")" 0
finish
