#!/usr/bin/env bash
# A run action's program missing from PATH: dry-run mode loads (nothing executes; the
# plan shows the bare name, so rules can be tried on a laptop without docker), enforce
# mode refuses the config with FILE:LINE.
source "$(dirname "$0")/../lib.sh"
cat > "$T/rules.yaml" <<'YAML'
rules:
  - name: restart
    description: "restart (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
YAML
write_config dry-run "$T/rules.yaml" <<'YAML'
actions:
  restart:
    run: [no-such-program-rbd, compose, restart, app]
YAML
PATH=/usr/bin:/bin "$RBD_BIN" check -c "$T/runbookd.yaml" >/dev/null 2>"$T/err"
check "dry-run: config loads without the program" "$?" 0
check_match "dry-run: says so" "$(cat "$T/err")" 'program not found on PATH'
out=$("$RBD_BIN" simulate -o json -c "$T/runbookd.yaml" "$FIX/firing-high-error-rate.json" 2>/dev/null)
check "dry-run: plan shows the bare name" "$(echo "$out" | jq -c '.alerts[0].matches[0] | [.state, .rendered.argv[0]]')" '["dry_run","no-such-program-rbd"]'
sed -i 's/^mode: dry-run/mode: enforce/' "$T/runbookd.yaml"
"$RBD_BIN" check -c "$T/runbookd.yaml" >/dev/null 2>"$T/err"
check "enforce: refused" "$?" 1
line=$(grep -n 'no-such-program-rbd' "$T/runbookd.yaml" | cut -d: -f1)
check_match "enforce: FILE:LINE" "$(cat "$T/err")" "runbookd.yaml:$line: action restart: run\[0\]: program \"no-such-program-rbd\" not found"
finish
