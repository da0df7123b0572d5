#!/usr/bin/env bash
# The timeline export end to end: a scripted incident over HTTP (firing -> dry-run
# action -> operator note -> resolved), then every format over HTTP and from
# `runbookd export` must be the same bytes; JSON oldest first, CSV read back by
# Python's csv module (RFC 4180), the Markdown report rendered by cmark with its
# sections (English and Korean); hostile label values must not break a CSV row or a
# Markdown table row; unknown incident and bad format answers.
source "$(dirname "$0")/../lib.sh"
CSVCHECK=$RBD_TESTS/scripts/csv-check.py
MDCHECK=$RBD_TESTS/scripts/md-check.py
NOTE='rolled back to v41; watching p99 | next: check the "order" queue'

cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: errors-restart
    description: "5xx surge: restart the service (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
  - name: hostile-note
    description: "renders label values into an argv (dry-run only here)"
    matchers: [ 'alertname =~ "Hostile.*"' ]
    action: note
    params: { text: "{{ .Labels.service }}" }
YAML
write_config dry-run "$T/rules.yaml" <<'YAML'
actions:
  restart:
    run: [echo, restart, "{{ .Params.service }}"]
    params:
      service: { one_of: [order-api] }
  note:
    run: [echo, note, "{{ .Params.text }}"]
    params:
      text: { pattern: ".{1,200}" }
YAML
start_rbd || exit 1

# http_export ID QUERY FILE: GET the timeline into FILE; status in $(status)
http_export() {
  curl -s -o "$3" -w '%{http_code}' -H "Authorization: Bearer $VIEWER" \
    "$BASE/api/v1/incidents/$1/timeline$2" > "$T/status"
}
# cli_export FILE ARGS...: runbookd export into FILE; exit code in RC
cli_export() { local f=$1; shift; "$RBD_BIN" export -c "$T/runbookd.yaml" "$@" > "$f" 2>"$T/cli.err"; RC=$?; }
# same_bytes ID NAME QUERY CLI-ARGS...: HTTP and CLI give identical, non-empty bytes
same_bytes() {
  local id=$1 name=$2 q=$3; shift 3
  http_export "$id" "$q" "$T/$name.http"
  check "incident $id $name: HTTP 200" "$(status)" 200
  cli_export "$T/$name.cli" --incident "$id" "$@"
  check "incident $id $name: CLI exit 0" "$RC" 0
  if [ -s "$T/$name.http" ] && cmp -s "$T/$name.http" "$T/$name.cli"; then
    ok "incident $id $name: HTTP and CLI bytes identical"
  else
    fail "incident $id $name: HTTP and CLI differ or empty: $(cmp "$T/$name.http" "$T/$name.cli" 2>&1)"
  fi
}
# cmark_table_lines HTML HEADING: cmark (CommonMark, no table extension) renders a
# pipe table as one paragraph whose lines are the table's rows; counts those lines
# (delimiter row included) in the paragraph right after <h2>HEADING</h2>.
cmark_table_lines() {
  python3 - "$1" "$2" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<h2>" + re.escape(sys.argv[2]) + r"</h2>\s*<p>(.*?)</p>", page, re.S)
print(len(m.group(1).split("\n")) if m else -1)
PY
}

# --- the scripted incident
post_fixture "$FIX/firing-high-error-rate.json" >/dev/null
check "firing delivered" "$(status)" 200
api POST /api/v1/incidents/1/notes "$OPERATOR" --data-binary "$(jq -cn --arg t "$NOTE" '{text: $t}')" >/dev/null
check "note added" "$(status)" 201
post_fixture "$FIX/resolved-high-error-rate.json" >/dev/null
check "resolved delivered" "$(status)" 200

# --- every format: HTTP bytes == CLI bytes
same_bytes 1 json '?format=json' --format json
same_bytes 1 default '' 
check "no format means JSON" "$(cmp -s "$T/default.http" "$T/json.http" && echo same)" same
same_bytes 1 csv '?format=csv' --format csv
same_bytes 1 md '?format=md' --format md
same_bytes 1 md-ko '?format=md&lang=ko' --format md --lang ko
same_bytes 1 json-ko '?format=json&lang=ko' --format json --lang ko
same_bytes 1 csv-ko '?format=csv&lang=ko' --format csv --lang ko
same_bytes 1 md-en '?format=md&lang=en' --format md --lang en
check "lang=en is the default report" "$(cmp -s "$T/md-en.http" "$T/md.http" && echo same)" same

# --- JSON: parses, oldest first, the kinds of this incident in order
J=$T/json.http
check "json parses" "$(jq -e . "$J" >/dev/null && echo ok)" ok
check "json incident" "$(jq -c '.incident | [.id, .status, (.resolved_at != null)]' "$J")" '[1,"resolved",true]'
check "json events in order" "$(jq -c '[.events[].kind]' "$J")" \
  '["incident.opened","notification.received","alert.firing","rule.matched","action.planned","action.dry_run","note.added","notification.received","alert.resolved","incident.resolved"]'
check "json oldest first" "$(jq '[.events[].ts] == ([.events[].ts] | sort)' "$J")" true
check_match "json ts RFC 3339 ms" "$(jq -r '.events[0].ts' "$J")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
check "json note by the operator" "$(jq -c '[.events[] | select(.kind == "note.added") | [.actor, .detail.text]]' "$J")" \
  "$(jq -cn --arg t "$NOTE" '[["alice", $t]]')"
check "json dry-run action with its id" "$(jq -c '[.events[] | select(.kind == "action.dry_run") | .action_id]' "$J")" '[1]'
check "json actors" "$(jq -c '[.events[].actor] | unique' "$J")" '["alertmanager","alice","runbookd"]'

# --- CSV: exact header, RFC 4180 as Python reads it, one row per event
python3 "$CSVCHECK" "$T/csv.http" > "$T/csv.check"
check "csv readable by Python's csv module" "$?" 0
check "csv header" "$(head -1 "$T/csv.http" | tr -d '\r')" 'ts,kind,actor,action_id,detail'
check "csv every record has 5 fields" "$(jq -c .field_counts "$T/csv.check")" '[5]'
check "csv one row per event" "$(jq '.rows | length' "$T/csv.check")" "$(jq '.events | length' "$J")"
check "csv kinds match JSON" "$(jq -c '[.rows[][1]]' "$T/csv.check")" "$(jq -c '[.events[].kind]' "$J")"
check "csv details are JSON objects" "$(jq .details_parse "$T/csv.check")" true
check "csv details equal JSON details" "$(jq -cS '[.rows[][4] | fromjson]' "$T/csv.check")" "$(jq -cS '[.events[].detail]' "$J")"
check "csv action_id column" "$(jq -c '[.rows[][3]]' "$T/csv.check")" "$(jq -c '[.events[].action_id | if . == null then "" else tostring end]' "$J")"
check "csv quoting canonical (minimal quotes, CRLF)" "$(jq .canonical "$T/csv.check")" true

# --- Markdown: renders, sections in order, the note, the action
for v in md md-ko; do
  cmark "$T/$v.http" > "$T/$v.html"
  check "$v renders with cmark" "$?" 0
  python3 "$MDCHECK" "$T/$v.http" > "$T/$v.check"
  check "$v md-check runs" "$?" 0
done
check "md sections" "$(jq -c '[.headings[] | select(.[0] == 2) | .[1]]' "$T/md.check")" '["Symptom","Impact","Actions","Follow-ups","Timeline"]'
check_match "md title" "$(jq -r '.headings[0] | select(.[0] == 1) | .[1]' "$T/md.check")" '^Incident #1'
check "md-ko sections" "$(jq -c '[.headings[] | select(.[0] == 2) | .[1]][0:4]' "$T/md-ko.check")" '["현상","영향","조치","다음"]'
check "md-ko has the timeline section too" "$(jq '[.headings[] | select(.[0] == 2)] | length' "$T/md-ko.check")" 5
check_match "md-ko title" "$(jq -r '.headings[0][1]' "$T/md-ko.check")" '^장애 #1'
check_match "md note under Follow-ups, as cmark renders it" "$(sed -n '/<h2>Follow-ups<\/h2>/,/<h2>Timeline<\/h2>/p' "$T/md.html")" 'rolled back to v41; watching p99 \| next: check the (&quot;|")order(&quot;|") queue'
check_match "md-ko note text" "$(cat "$T/md-ko.html")" 'rolled back to v41; watching p99'
actions=$(sed -n '/^## Actions/,/^## Follow-ups/p' "$T/md.http")
check_match "md action with its exact command" "$actions" "errors-restart.*restart.*\`$(type -P echo) restart order-api\`"
check_match "md action marked dry-run" "$actions" 'dry_run'
check "md timeline: one row per event" "$(jq -c '[.tables[] | select(.heading == "Timeline") | .rows]' "$T/md.check")" \
  "[$(( $(jq '.events | length' "$J") + 1 ))]"
check "md tables: no ragged rows" "$(jq -c '[.tables[].cell_counts | length] | unique' "$T/md.check")" '[1]'

# --- unknown incident, bad format, bad lang
http_export 99 '?format=md' "$T/x"; check "unknown incident: HTTP 404" "$(status)" 404
check "unknown incident: JSON error" "$(jq -r .error.code "$T/x")" not_found
cli_export "$T/x" --incident 99 --format md
check "unknown incident: CLI exit 1" "$RC" 1
check "unknown incident: CLI prints nothing on stdout" "$(wc -c < "$T/x")" 0
http_export 1 '?format=xml' "$T/x"; check "bad format: HTTP 400" "$(status)" 400
check "bad format: JSON error" "$(jq -r .error.code "$T/x")" invalid_input
cli_export "$T/x" --incident 1 --format xml; check "bad format: CLI exit 2" "$RC" 2
http_export 1 '?format=md&lang=fr' "$T/x"; check "bad lang: HTTP 400" "$(status)" 400
cli_export "$T/x" --incident 1 --format md --lang fr; check "bad lang: CLI exit 2" "$RC" 2
api GET "/api/v1/incidents/1/timeline?format=md" "" >/dev/null; check "timeline needs a token" "$(status)" 401
api GET "/api/v1/incidents/1/timeline?format=md" "$INGEST" >/dev/null; check "ingest token may not read it" "$(status)" 403

# --- hostile label and annotation values: CSV rows and Markdown rows stay whole
big=$(head -c 4096 /dev/zero | tr '\0' a)
jq --arg big "$big" '
  .alerts[0].fingerprint = "0123456789abcdef"
  | .alerts[0].labels.alertname = "Hostile|Pipe"
  | .alerts[0].labels.severity = "crit\nical"
  | .alerts[0].labels.service = "<script>alert(1)</script>|x`<img src=x onerror=alert(3)>`"
  | .alerts[0].labels.instance = $big
  | .alerts[0].labels.team = "a\r\n# Pwned\n| x | y |"
  | .alerts[0].annotations.summary = "line1\nline2 | cell\r\n| --- |\n## Injected\n<script>alert(2)</script>"
  | .groupLabels = {alertname: "Hostile|Pipe"}
  | .groupKey = "{}:{alertname=\"Hostile|Pipe\"}"' \
  "$FIX/firing-high-error-rate.json" > "$T/hostile.json"
r=$(post_fixture "$T/hostile.json")
check "hostile alert accepted" "$(status)" 200
hid=$(echo "$r" | jq -r '.incident_ids[0]')
api POST "/api/v1/incidents/$hid/notes" "$OPERATOR" --data-binary '{"text":"a | b\n## not a heading\n<script>x</script>"}' >/dev/null
check "hostile note added" "$(status)" 201
same_bytes "$hid" h-json '?format=json' --format json
same_bytes "$hid" h-csv '?format=csv' --format csv
same_bytes "$hid" h-md '?format=md' --format md
same_bytes "$hid" h-md-ko '?format=md&lang=ko' --format md --lang ko
HJ=$T/h-json.http
nev=$(jq '.events | length' "$HJ")
check "hostile: JSON round-trips the 4 KB value" "$(jq -r '[.events[] | select(.kind == "alert.firing")][0].detail.labels.instance | length' "$HJ")" 4096

python3 "$CSVCHECK" "$T/h-csv.http" > "$T/h-csv.check"
check "hostile csv: readable" "$?" 0
check "hostile csv: every record has 5 fields" "$(jq -c .field_counts "$T/h-csv.check")" '[5]'
check "hostile csv: one row per event" "$(jq '.rows | length' "$T/h-csv.check")" "$nev"
check "hostile csv: details equal JSON" "$(jq -cS '[.rows[][4] | fromjson]' "$T/h-csv.check")" "$(jq -cS '[.events[].detail]' "$HJ")"
check "hostile csv: canonical quoting" "$(jq .canonical "$T/h-csv.check")" true

for v in h-md h-md-ko; do
  cmark --unsafe "$T/$v.http" > "$T/$v.html"
  check "$v renders with cmark" "$?" 0
  python3 "$MDCHECK" "$T/$v.http" > "$T/$v.check"
done
C=$T/h-md.check
check "hostile md: no injected heading" "$(jq -c '[.headings[] | select(.[0] == 2) | .[1]]' "$C")" '["Symptom","Impact","Actions","Follow-ups","Timeline"]'
check "hostile md: only the title is h1" "$(jq '[.headings[] | select(.[0] == 1)] | length' "$C")" 1
check "hostile md-ko: no injected heading" "$(jq -c '[.headings[] | select(.[0] == 2) | .[1]][0:4]' "$T/h-md-ko.check")" '["현상","영향","조치","다음"]'
check "hostile md: no <script> gets through cmark --unsafe" "$(jq .script "$C")" false
check "hostile md: no <img> (backtick breakout) gets through" "$(jq -c '[.tags[] | select(. == "img" or . == "script")]' "$C")" '[]'
check "hostile md: symptom table has header + 1 alert row" "$(jq -c '[.tables[] | select(.heading == "Symptom") | .rows]' "$C")" '[2]'
check "hostile md: symptom rows all 5 cells" "$(jq -c '[.tables[] | select(.heading == "Symptom") | .cell_counts]' "$C")" '[[5]]'
check "hostile md: timeline table has header + one row per event" "$(jq -c '[.tables[] | select(.heading == "Timeline") | .rows]' "$C")" "[$((nev + 1))]"
check "hostile md: timeline rows all 4 cells" "$(jq -c '[.tables[] | select(.heading == "Timeline") | .cell_counts]' "$C")" '[[4]]'
check "hostile md-ko: timeline rows" "$(jq -c '[.tables[] | select(.heading == "타임라인") | .rows, .cell_counts]' "$T/h-md-ko.check")" "[$((nev + 1)),[4]]"
# cmark's own view: the table paragraph has exactly header + delimiter + rows lines
check "hostile md: cmark symptom table lines" "$(cmark_table_lines "$T/h-md.html" Symptom)" 3
check "hostile md: cmark timeline table lines" "$(cmark_table_lines "$T/h-md.html" Timeline)" "$((nev + 2))"
check "clean md: cmark timeline table lines" "$(cmark_table_lines "$T/md.html" Timeline)" "$(( $(jq '.events | length' "$J") + 2 ))"

stop_rbd; check "SIGTERM exits 0" "$?" 0
# the CLI reads the same bytes with the service stopped
cli_export "$T/after.md" --incident 1 --format md
check "CLI export with the service stopped" "$(cmp -s "$T/after.md" "$T/md.http" && echo same)" same
finish
