#!/usr/bin/env bash
# Defects found by attacking the service (issue 11), each over real HTTP:
# D1 an http action's `..` path segment is sent as stored (the receiving server sees
# the same bytes); D4 a NUL inside the Authorization value; D5 two Authorization
# headers are refused; D6 ids in paths are digits only; D7 `\u0000` in notes and
# comments is refused; an action that becomes dry_run when claimed says so.
source "$(dirname "$0")/../lib.sh"

python3 "$RBD_TESTS/scripts/http-echo.py" > "$T/echo.port" 2>"$T/echo.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/echo.port" ] && break; sleep 0.05; done
ECHO="http://127.0.0.1:$(head -1 "$T/echo.port")"

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: hook-call
    description: "call the hook of the service"
    matchers: [ 'alertname = "HttpAct"' ]
    action: hook
    params: { seg: "{{ .Labels.service }}" }
  - name: ask-first
    description: "restart after approval"
    matchers: [ 'alertname = "Approve"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
YAML
write_config enforce "$T/rules.yaml" <<YAML
actions:
  hook:
    http:
      method: GET
      url: $ECHO/hook/{{ .Params.seg }}?q={{ .Params.seg }}
    params:
      seg: { pattern: "[a-z.]+" }
    timeout: 5s
  restart:
    run: [echo, restart, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z-]+" }
YAML
start_rbd || exit 1

payload() {  # payload NAME KEY SERVICE
  local f="$T/p-$1-$2.json"
  jq --arg n "$1" --arg fp "$(fp "$2")" --arg svc "$3" '
    .alerts[0].fingerprint = $fp
    | .alerts[0].labels.alertname = $n | .alerts[0].labels.service = $svc
    | .groupLabels = {alertname: $n, service: $svc}
    | .groupKey = "{}:{alertname=\"\($n)\", service=\"\($svc)\"}"' \
    "$FIX/firing-high-error-rate.json" > "$f"
  echo "$f"
}
action_of() { sql "select a.id from actions a join alerts e on e.id = a.alert_id where a.rule = '$1' and e.fingerprint = '$(fp "$2")'"; }

# --- D1: the path sent is the path stored and approved, dot segments included
post_fixture "$(payload HttpAct d1 ..)" >/dev/null
check "D1 alert stored" "$(status)" 200
id=$(action_of hook-call d1)
check "D1 http action succeeded" "$(wait_state "$id" succeeded)" succeeded
url=$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r '.action.rendered.url // .action.request.url // empty')
check_match "D1 stored URL keeps the dot segments" "$url" '/hook/\.\.\?q=\.\.$'
seen=$(curl -s "$ECHO/hooks" | jq -r '[.[] | .path] | join(" ")')
check "D1 the server saw the stored path" "$seen" "/hook/..?q=.."

# --- D4: a NUL inside the Authorization value does not authenticate
raw() {  # raw REQUEST-BYTES (printf format) -> the status code runbookd answered
  python3 - "$(cat "$T/port")" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
data = b""
while b"\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "none")
PY
}
check "D4 control: the token alone authenticates" \
  "$(raw "GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $VIEWER\r\nConnection: close\r\n\r\n")" 200
# `Bearer TOKEN\0junk` is refused wherever the header stands, and whatever follows the
# NUL (libmicrohttpd cuts the value there; server.c looks past it).
check "D4 token NUL junk refused" \
  "$(raw "GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $VIEWER\\x00junk\r\nConnection: close\r\n\r\n")" 400
check "D4 token NUL junk as the last header refused" \
  "$(raw "GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer $VIEWER\\x00junk\r\n\r\n")" 400
check "D4 token NUL NUL junk refused" \
  "$(raw "GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $VIEWER\\x00\\x00junk\r\nConnection: close\r\n\r\n")" 400
check "D4 control: the token as the last header authenticates" \
  "$(raw "GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer $VIEWER\r\n\r\n")" 200
check "D4 control: bare LF line ends authenticate" \
  "$(raw "GET /api/v1/incidents HTTP/1.1\nHost: x\nAuthorization: Bearer $VIEWER\nConnection: close\n\n")" 200

# --- D5: two Authorization headers are refused (the valid one first)
api GET /api/v1/incidents "$VIEWER" -H "Authorization: Bearer not-a-token" >/dev/null
check_match "D5 two Authorization headers refused" "$(status)" '^(400|401)$'
api GET /api/v1/incidents "" -H "Authorization: Bearer $VIEWER" -H "Authorization: Bearer $VIEWER" >/dev/null
check_match "D5 even two equal ones" "$(status)" '^(400|401)$'

# --- D6: ids in paths are digits only
post_fixture "$(payload Approve d6 order-api)" >/dev/null
id=$(action_of ask-first d6)
check "D6 action waits for approval" "$(wait_state "$id" pending_approval)" pending_approval
for bad in "%20$id" "+$id" "0$id" "$id%20" "-$id"; do
  api POST "/api/v1/actions/$bad/approve" "$OPERATOR" >/dev/null
  check "D6 /api/v1/actions/$bad/approve is 400" "$(status)" 400
done
check "D6 nothing approved" "$(sql "select count(*) from approvals")" 0
check "D6 still pending" "$(sql "select state from actions where id = $id")" pending_approval

# --- D7: \u0000 refused in notes and comments
inc=$(sql "select incident_id from actions where id = $id")
api POST "/api/v1/incidents/$inc/notes" "$OPERATOR" -d '{"text":"rollback done\u0000 NOT verified"}' >/dev/null
check "D7 note with \\u0000 is 400" "$(status)" 400
api POST "/api/v1/incidents/$inc/notes" "$OPERATOR" -d '{"text":"a \\u0000 written out is fine"}' >/dev/null
check "D7 an escaped backslash before u0000 is text" "$(status)" 201
api POST "/api/v1/actions/$id/reject" "$OPERATOR" -d '{"comment":"no\u0000 yes"}' >/dev/null
check "D7 comment with \\u0000 is 400" "$(status)" 400
check "D7 one note stored" "$(sql "select count(*) from events where kind = 'note.added'")" 1
check "D7 nothing decided" "$(sql "select count(*) from approvals")" 0

# --- the console's forms: "%00" is refused like \u0000 (a cut token would sign in,
# a cut note would be stored)
curl -s -o /dev/null -D "$T/h" "$BASE/ui/login"
pre=$(sed -n 's/^Set-Cookie: rbd_pre=\([0-9a-f]*\);.*/\1/Ip' "$T/h" | head -1)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: rbd_pre=$pre" \
       --data "token=$OPERATOR%00junk&pre=$pre" "$BASE/ui/login")
check "D4/D7 console sign-in with TOKEN%00junk is 400" "$code" 400
code=$(curl -s -o /dev/null -D "$T/h" -w '%{http_code}' -H "Cookie: rbd_pre=$pre" \
       --data "token=$OPERATOR&pre=$pre" "$BASE/ui/login")
check "console control: the token alone signs in" "$code" 303
sid=$(sed -n 's/^Set-Cookie: rbd_session=\([0-9a-f]*\);.*/\1/Ip' "$T/h" | head -1)
csrf=$(curl -s -H "Cookie: rbd_session=$sid" "$BASE/ui/" | grep -o 'name="csrf" value="[0-9a-f]*"' |
       head -1 | cut -d'"' -f4)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: rbd_session=$sid" \
       --data "text=rollback%20done%00%20NOT%20verified&csrf=$csrf" "$BASE/ui/incidents/$inc/notes")
check "D7 console note with %00 is 400" "$code" 400
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: rbd_session=$sid" \
       --data "text=verified&csrf=$csrf" "$BASE/ui/incidents/$inc/notes")
check "console control: a plain note is stored" "$code" 303
check "D7 two notes now, none cut" "$(sql "select group_concat(json_extract(detail, '\$.text'), '|') from events where kind = 'note.added'")" 'a \u0000 written out is fine|verified'

# --- an action that becomes dry_run when claimed says "dry_run": true
sed -i 's/^mode: enforce/mode: dry-run/' "$T/runbookd.yaml"
kill -HUP "$RBD_PID"
for _ in $(seq 1 100); do grep -q 'config reloaded' "$T/runbookd.log" && break; sleep 0.05; done
api POST "/api/v1/actions/$id/approve" "$OPERATOR" -d '{"comment":"go"}' >/dev/null
check "approved after the switch to dry-run" "$(status)" 200
check "claimed as dry_run" "$(wait_state "$id" dry_run)" dry_run
check "and shown as a dry run" "$(api GET "/api/v1/actions/$id" "$VIEWER" | jq -r .action.dry_run)" true
finish
