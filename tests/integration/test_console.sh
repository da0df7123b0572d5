#!/usr/bin/env bash
# The browser console over plain HTTP (the browser suite drives it in Chromium): links
# and cookies behind a reverse proxy's https external_url, sign-in, the body cap,
# CSRF, and that no page or cookie ever carries the token.
source "$(dirname "$0")/../lib.sh"

write_restart_config
cat >> "$T/runbookd.yaml" <<'YAML'
external_url: https://console.example/ops/
limits:
  max_body_bytes: 65536
ui: { refresh: 0s }
YAML
start_rbd || exit 1
post_fixture "$FIX/firing-high-error-rate.json" >/dev/null

# hdr FILE NAME: a response header's value
hdr() { sed -n "s/^$2: \(.*\)\r$/\1/Ip" "$1" | head -1; }

curl -s -o /dev/null -D "$T/h" "$BASE/"
check "GET / redirects to the console under the proxy prefix" "$(hdr "$T/h" Location)" "/ops/ui/"
curl -s -o "$T/login.html" -D "$T/h" "$BASE/ui/login"
pre_cookie=$(hdr "$T/h" Set-Cookie)
check_match "pre-sign-in cookie: prefix path, HttpOnly, Strict, Secure (https external_url)" \
  "$pre_cookie" '^rbd_pre=[0-9a-f]{64}; Path=/ops/ui; HttpOnly; SameSite=Strict; Secure; Max-Age=900$'
pre=$(echo "$pre_cookie" | sed 's/^rbd_pre=\([0-9a-f]*\);.*/\1/')
check_match "the form posts under the prefix" "$(cat "$T/login.html")" 'action="/ops/ui/login"'

# sign in: the token goes in the form once, and comes back nowhere
code=$(curl -s -o /dev/null -D "$T/h" -w '%{http_code}' -H "Cookie: rbd_pre=$pre" \
       --data-urlencode "token=$OPERATOR" --data "pre=$pre" "$BASE/ui/login")
check "sign-in answers 303" "$code" 303
session_cookie=$(grep -i '^Set-Cookie: rbd_session=' "$T/h" | tr -d '\r' | sed 's/^[^:]*: //')
check_match "session cookie: random id, HttpOnly, Strict, Secure, no expiry date" "$session_cookie" \
  '^rbd_session=[0-9a-f]{64}; Path=/ops/ui; HttpOnly; SameSite=Strict; Secure$'
sid=$(echo "$session_cookie" | sed 's/^rbd_session=\([0-9a-f]*\);.*/\1/')
check "after sign-in: the incidents page" "$(hdr "$T/h" Location)" "/ops/ui/"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: rbd_pre=wrong" \
       --data-urlencode "token=$OPERATOR" --data "pre=$pre" "$BASE/ui/login")
check "sign-in form from elsewhere (pre cookie mismatch) 403" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: rbd_pre=$pre" \
       --data-urlencode "token=$INGEST" --data "pre=$pre" "$BASE/ui/login")
check "an ingest token cannot sign in" "$code" 403

C=(-H "Cookie: rbd_session=$sid")
curl -s "${C[@]}" -D "$T/h" -o "$T/list.html" "$BASE/ui/"
check "incidents page 200" "$(head -1 "$T/h" | tr -d '\r')" "HTTP/1.1 200 OK"
check "CSP" "$(hdr "$T/h" Content-Security-Policy)" \
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
check "no referrer" "$(hdr "$T/h" Referrer-Policy)" "no-referrer"
check "nosniff" "$(hdr "$T/h" X-Content-Type-Options)" "nosniff"
check_match "links carry the prefix" "$(cat "$T/list.html")" 'href="/ops/ui/incidents/1"'
check "refresh: 0s turns the reload off" "$(grep -c 'http-equiv="refresh"' "$T/list.html")" 0
csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/list.html" | head -1 | cut -d'"' -f4)
check_match "forms carry a CSRF token" "$csrf" '^[0-9a-f]{64}$'
check "the CSRF token is not the session id" "$([ "$csrf" != "$sid" ] && echo 1)" 1

# the body cap and form limits of the API apply
head -c 70000 /dev/zero | tr '\0' 'a' > "$T/big"
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" --data-binary @"$T/big" "$BASE/ui/incidents/1/notes")
check "a form body over max_body_bytes is 413" "$code" 413
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big" "$BASE/ui/login")
check "a sign-in body over max_body_bytes is 413" "$code" 413
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" --data "text=hi&csrf=$csrf" "$BASE/ui/incidents/1/notes")
check "note with the CSRF token" "$code" 303
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" --data "text=hi&csrf=${csrf:0:63}" "$BASE/ui/incidents/1/notes")
check "note with a truncated CSRF token 403" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" --data "text=hi&from=//evil.example&csrf=$csrf" \
       -D "$T/h" "$BASE/ui/incidents/1/notes")
check "a redirect never leaves the console" "$(hdr "$T/h" Location)" "/ops/ui/"
check "notes recorded by the token's name" "$(sql "select group_concat(actor) from events where kind='note.added'")" "alice,alice"
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" "$BASE/ui/incidents/01")
check "an id with a leading zero is no incident" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" "$BASE/ui/incidents/1/export.exe")
check "unknown export format 404" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" -X DELETE "$BASE/ui/")
check "wrong method 405" "$code" 405

# the token never leaves: not in a page, a cookie, the log or the database
for p in /ui/ /ui/incidents/1 /ui/approvals /ui/rules; do curl -s -D - "${C[@]}" "$BASE$p"; done > "$T/all"
check "operator token in no page or header" "$(grep -c "$OPERATOR" "$T/all")" 0
check "operator token not in the log" "$(grep -c "$OPERATOR" "$T/runbookd.log")" 0

# a reload that drops the operator's token ends its sessions
sed -i '/name: alice/d' "$T/runbookd.yaml"
kill -HUP "$RBD_PID"
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" "$BASE/ui/rules")
  [ "$code" = 303 ] && break
  sleep 0.1
done
check "a session whose token left the config ends" "$code" 303
code=$(curl -s -o /dev/null -w '%{http_code}' "${C[@]}" --data "csrf=$csrf" "$BASE/ui/pause")
check "and cannot post" "$code" 403
check "not paused" "$(api GET /api/v1/rules "$VIEWER" | jq .paused)" false

# HEAD is GET without a body (uptime checks, curl -I); a 405 names the methods (Allow)
curl -s -I -o /dev/null -D "$T/h" -w '%{http_code}' "$BASE/healthz" > "$T/code"
check "HEAD /healthz 200" "$(cat "$T/code")" 200
check "HEAD keeps the headers" "$(hdr "$T/h" Cache-Control)" "no-store"
check "HEAD of an API read with a token 200" \
  "$(curl -s -I -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VIEWER" "$BASE/api/v1/incidents")" 200
check "HEAD of an API read without a token 401" \
  "$(curl -s -I -o /dev/null -w '%{http_code}' "$BASE/api/v1/incidents")" 401
check "HEAD of the sign-in page 200" "$(curl -s -I -o /dev/null -w '%{http_code}' "$BASE/ui/login")" 200
code=$(curl -s -X OPTIONS -o /dev/null -D "$T/h" -w '%{http_code}' "$BASE/api/v1/alerts")
check "OPTIONS on the API 405" "$code" 405
check "its Allow header" "$(hdr "$T/h" Allow)" "POST"
code=$(curl -s -X DELETE -o /dev/null -D "$T/h" -w '%{http_code}' "$BASE/ui/login")
check "DELETE on a console page 405" "$code" 405
check "its Allow header" "$(hdr "$T/h" Allow)" "GET, HEAD, POST"
stop_rbd; check "SIGTERM exits 0" "$?" 0
finish
