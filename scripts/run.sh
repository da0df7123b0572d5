#!/usr/bin/env bash
# `make run`: starts runbookd on the shipped runbookd.yaml (dry-run, SQLite in var/),
# or on CONFIG (scripts/run.sh BIN CONFIG; the drill uses a copy in the same directory).
# On first run it generates random tokens into var/tokens/ and prints the curl
# commands an operator uses.
set -euo pipefail
BIN=${1:-build/runbookd}
CONFIG=${2:-runbookd.yaml}
cd "$(dirname "$0")/.."
mkdir -p var/tokens
chmod 700 var/tokens
for role in ingest operator viewer; do
  f=var/tokens/$role.token
  if [ ! -s "$f" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f")
    echo "generated $f"
  fi
done
# The grafana_annotate action's credential: Basic auth of a local Grafana's default
# admin (change it in var/tokens/grafana.auth when yours differs).
f=var/tokens/grafana.auth
if [ ! -s "$f" ]; then
  (umask 077; printf 'Basic %s' "$(printf 'admin:admin' | base64)" > "$f")
  echo "generated $f"
fi
"$BIN" check -c "$CONFIG"
port=$(sed -n 's/^listen: *[^:]*:\([0-9]*\).*/\1/p' "$CONFIG" | head -1)
base="http://127.0.0.1:${port:-9095}"
mode=$(sed -n 's/^mode: *\([a-z-]*\).*/\1/p' "$CONFIG" | head -1)
if [ "${mode:-dry-run}" = "dry-run" ]; then
  modetext="dry-run: actions are planned and recorded with their exact argv, nothing is executed"
else
  modetext="ENFORCE: whitelisted actions really run, behind their gates"
fi
cat <<EOT

runbookd is starting on $base ($modetext).

Console: open $base/ in a browser and sign in by pasting a token:
  operator (approve, reject, notes, pause):  cat var/tokens/operator.token
  viewer (read only):                        cat var/tokens/viewer.token

Or try, from another shell:

  # what Alertmanager does: post a real captured delivery
  curl -s -H "Authorization: Bearer \$(cat var/tokens/ingest.token)" \\
       -H 'Content-Type: application/json' \\
       --data @tests/fixtures/alertmanager-0.25/firing-high-error-rate.json $base/api/v1/alerts

  # incidents, one incident with its alerts and actions, its report
  curl -s -H "Authorization: Bearer \$(cat var/tokens/viewer.token)" $base/api/v1/incidents
  curl -s -H "Authorization: Bearer \$(cat var/tokens/viewer.token)" $base/api/v1/incidents/1
  curl -s -H "Authorization: Bearer \$(cat var/tokens/viewer.token)" "$base/api/v1/incidents/1/timeline?format=md"

  # actions waiting for a human, and approving one
  curl -s -H "Authorization: Bearer \$(cat var/tokens/viewer.token)" "$base/api/v1/actions?state=pending_approval"
  curl -s -X POST -H "Authorization: Bearer \$(cat var/tokens/operator.token)" $base/api/v1/actions/ID/approve

  # kill switch
  curl -s -X POST -H "Authorization: Bearer \$(cat var/tokens/operator.token)" $base/api/v1/pause

Stop with Ctrl-C.
EOT
exec "$BIN" serve -c "$CONFIG"
