#!/usr/bin/env bash
# lint: `runbookd check --syntax-only` validates both shipped configurations from a
# clean tree, as CI would see it: runbookd.yaml (host) and docker/runbookd/runbookd.yaml
# (in-stack, absolute paths checked under --root), with no var/tokens and no secrets.
# A full `check` on the same tree still refuses the missing token files (it is what
# serve would accept), and --syntax-only still catches a broken rule.
source "$(dirname "$0")/../lib.sh"
unset RUNBOOKD_CONFIG

# The tracked files only: what a fresh clone has.
C=$T/clone
mkdir -p "$C/docker/runbookd"
cp "$RBD_SRC/runbookd.yaml" "$C/"
cp -r "$RBD_SRC/rules" "$C/rules"
cp "$RBD_SRC/docker/runbookd/runbookd.yaml" "$C/docker/runbookd/"
# The compose stack mounts ../rules at /etc/runbookd/rules (docker/docker-compose.yml).
mkdir -p "$T/root/etc/runbookd"
ln -s "$C/rules" "$T/root/etc/runbookd/rules"
check "clean tree has no tokens" "$(ls "$C")" "$(printf 'docker\nrules\nrunbookd.yaml')"
check_match "compose mounts the rules where the docker config reads them" \
  "$(grep -F '../rules:/etc/runbookd/rules' "$RBD_SRC/docker/docker-compose.yml")" 'rules'

run() { (cd "$C" && "$RBD_BIN" "$@") >"$T/out" 2>"$T/err"; RC=$?; }

run check -c runbookd.yaml
check "full check refuses the clean tree (exit 1)" "$RC" 1
check_match "full check names the missing token file with FILE:LINE" "$(cat "$T/err")" \
  'runbookd.yaml:[0-9]+: token alertmanager: cannot open token_file'

run check --syntax-only -c runbookd.yaml
check "syntax-only check of runbookd.yaml exit 0" "$RC" 0
check_match "syntax-only check of runbookd.yaml reports the rules" "$(cat "$T/out")" \
  'ok: [1-9][0-9]* rules, [1-9][0-9]* actions'
check "syntax-only: no errors or warnings on runbookd.yaml" "$(cat "$T/err")" ""

run check --syntax-only -c docker/runbookd/runbookd.yaml
check "docker config without --root: its absolute rules path is missing (exit 1)" "$RC" 1
check_match "docker config without --root names FILE:LINE" "$(cat "$T/err")" \
  'docker/runbookd/runbookd.yaml:[0-9]+: rules: cannot open /etc/runbookd/rules'

run check --syntax-only --root "$T/root" -c docker/runbookd/runbookd.yaml
check "syntax-only --root check of the docker config exit 0" "$RC" 0
check "syntax-only --root: no errors or warnings on the docker config" "$(cat "$T/err")" ""
n_host=$(sed -nE 's/.*ok: ([0-9]+) rules.*/\1/p' "$T/out")
run check --syntax-only -c runbookd.yaml
check "both configs load the same rules" "$n_host" "$(sed -nE 's/.*ok: ([0-9]+) rules.*/\1/p' "$T/out")"

# --syntax-only skips secrets and programs, nothing else.
cat >> "$C/rules/week10.yaml" <<'YAML'
  - name: broken
    matchers: [ 'alertname =~ "(unclosed"' ]
    action: loadtest_stop
YAML
run check --syntax-only -c runbookd.yaml
check "syntax-only still refuses a bad regex (exit 1)" "$RC" 1
check_match "syntax-only reports it at FILE:LINE" "$(cat "$T/err")" 'rules/week10.yaml:[0-9]+: rule broken'
finish
