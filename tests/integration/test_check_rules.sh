#!/usr/bin/env bash
# `runbookd check` refuses configs that can never work or that re-open the shell
# (issue 17), each at its FILE:LINE, and warns about risky ones:
#   errors:   a literal rule param its allowlist refuses; a run program that evaluates
#             an argument as code (sh -c, bash, env python3 -c, docker exec ... sh -c,
#             perl -e, node -e, busybox sh ...) with a templated element, unless the
#             action says allow_interpreter: true; after: naming no rule, or on a
#             firing rule; scope: without after:;
#   warnings: allow_interpreter (names the risk); a param pattern that reaches an
#             argv and accepts a leading '-', whitespace only, or an unanchored .*;
#             an on: resolved rule with no after:.
# Warnings keep exit 0; serve logs the same warnings.
source "$(dirname "$0")/../lib.sh"
unset RUNBOOKD_CONFIG
cli() { "$RBD_BIN" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
# line_of FILE TEXT: the line number of the first line containing TEXT
line_of() { grep -nF -- "$2" "$1" | head -1 | cut -d: -f1; }
# at FILE TEXT REGEX: a diagnostic at FILE:(line of TEXT) matches REGEX
at() {
  local l; l=$(line_of "$1" "$2")
  grep -F -- "$1:$l: " "$T/err" | head -1
}

# conf ACTIONS_YAML RULES_YAML: a config in $T/c.yaml with rules in $T/r.yaml
conf() {
  { echo "mode: enforce"; echo "database: $T/x.db"; echo "rules: $T/r.yaml"; echo "actions:"; printf '%s\n' "$1"; } > "$T/c.yaml"
  { echo "rules:"; printf '%s\n' "$2"; } > "$T/r.yaml"
}
RULE_X='  - name: r1
    matchers: [ '"'"'alertname = "A"'"'"' ]
    action: a
    params: { x: "{{ .Labels.service }}" }'

# --- literal param values are checked at load
conf '  a:
    run: [echo, "{{ .Params.service }}"]
    params:
      service: { one_of: [app, mysql, redis, kafka] }' '  - name: r1
    matchers: [ '"'"'alertname = "A"'"'"' ]
    action: a
    params: { service: nginx }'
cli check -c "$T/c.yaml"
check "literal param refused by one_of: exit 1" "$RC" 1
check_match "literal param: FILE:LINE and why" "$(at "$T/r.yaml" "service: nginx")" \
  'rule r1: params: service: action a refuses this value: .*"nginx" is not one of'
sed -i 's/one_of: \[app, mysql, redis, kafka\]/pattern: "[a-z]{1,3}"/' "$T/c.yaml"
cli check -c "$T/c.yaml"
check "literal param refused by pattern: exit 1" "$RC" 1
check_match "literal param refused by pattern: FILE:LINE" "$(at "$T/r.yaml" "service: nginx")" 'refuses this value'
sed -i 's/service: nginx/service: app/' "$T/r.yaml"
cli check -c "$T/c.yaml"
check "literal param that passes: exit 0" "$RC" 0

# --- interpreters with a templated element: refused, at the program's line
refused() {  # refused NAME RUN_LINE PROGRAM
  conf "  a:
    run: $2
    params:
      x: { one_of: [app] }" "$RULE_X"
  # --syntax-only: the verdict must not depend on which interpreters this machine has
  cli check --syntax-only -c "$T/c.yaml"
  check "$1: exit 1" "$RC" 1
  check_match "$1: FILE:LINE names the interpreter" "$(at "$T/c.yaml" "run:")" \
    "action a: run\\[[0-9]\\]: \"$3\" evaluates its arguments as code.*allow_interpreter: true"
}
refused "sh -c"                '[sh, -c, "echo {{ .Params.x }}"]'                    sh
check_match "a code flag is named" "$(cat "$T/err")" 'with a -c/-e style flag'
refused "/bin/bash -c"         '[/bin/bash, -c, "echo {{ .Params.x }}"]'             bash
refused "dash script arg"      '[dash, /opt/s.sh, "{{ .Params.x }}"]'                dash
refused "busybox sh"           '[busybox, sh, -c, "{{ .Params.x }}"]'                busybox
refused "env python3 -c"       '[env, python3, -c, "{{ .Params.x }}"]'               python3
refused "env VAR=1 perl -e"    '[env, A=1, perl, -e, "{{ .Params.x }}"]'            perl
refused "python3.11"           '[python3.11, -c, "print(1)", "{{ .Params.x }}"]'     python3.11
refused "ruby -e"              '[ruby, -e, "{{ .Params.x }}"]'                       ruby
refused "node -e"              '[node, -e, "{{ .Params.x }}"]'                       node
refused "php -r"               '[php, -r, "{{ .Params.x }}"]'                        php
refused "lua -e"               '[lua5.4, -e, "{{ .Params.x }}"]'                     lua5.4
refused "zsh"                  '[zsh, -c, "{{ .Params.x }}"]'                        zsh
refused "ksh"                  '[ksh, -c, "{{ .Params.x }}"]'                        ksh
refused "docker exec sh -c"    '[docker, exec, app, sh, -c, "{{ .Params.x }}"]'      sh
refused "sudo bash"            '[sudo, bash, /opt/s.sh, "{{ .Params.x }}"]'          bash

# the issue's example: run: [sh, -c, "echo {{ .Params.x }}"] with pattern ".*"
conf '  a:
    run: [sh, -c, "echo {{ .Params.x }}"]
    params:
      x: { pattern: ".*" }' "$RULE_X"
cli check -c "$T/c.yaml"
check "sh -c with pattern .*: exit 1" "$RC" 1
cli simulate -c "$T/c.yaml" "$FIX/firing-high-error-rate.json"
check "simulate refuses the same config" "$RC" 1

# not refused: a fixed interpreter command, and a program that merely takes arguments
conf '  a:
    run: [sh, -c, "exit 0"]
  b:
    run: [docker, compose, restart, "{{ .Params.x }}"]
    params:
      x: { one_of: [app] }' '  - name: r1
    matchers: [ '"'"'alertname = "A"'"'"' ]
    action: b
    params: { x: app }
  - name: r2
    matchers: [ '"'"'alertname = "A"'"'"' ]
    action: a'
cli check -c "$T/c.yaml"
check "untemplated sh -c and a plain templated program: exit 0" "$RC" 0
check "no warnings for them" "$(cat "$T/err")" ""

# allow_interpreter: accepted, with a warning that names the risk
conf '  a:
    run: [bash, -c, "echo {{ .Params.x }}"]
    allow_interpreter: true
    params:
      x: { one_of: [app] }' "$RULE_X"
cli check -c "$T/c.yaml"
check "allow_interpreter: exit 0" "$RC" 0
check_match "allow_interpreter: warning at its line names the risk" \
  "$(at "$T/c.yaml" "allow_interpreter")" 'warning: action a: allow_interpreter: run\[0\] "bash" evaluates run\[2\] \(templated\) as code'
cli check -c "$T/c.yaml" --syntax-only
check_match "the warning also under --syntax-only" "$(cat "$T/err")" 'evaluates run\[2\]'

# --- pattern warnings for values that reach an argv
conf '  a:
    run: [echo, "{{ .Params.x }}", "{{ .Params.y }}", "{{ .Params.z }}", "{{ .Params.ok }}"]
    params:
      x: { pattern: "[a-z-]+" }
      y: { pattern: "[a-z ]+" }
      z: { pattern: "app-.*" }
      ok: { pattern: "[a-z][a-z0-9-]{0,30}" }' '  - name: r1
    matchers: [ '"'"'alertname = "A"'"'"' ]
    action: a
    params: { x: "{{ .Labels.a }}", y: "{{ .Labels.b }}", z: "{{ .Labels.c }}", ok: "{{ .Labels.d }}" }'
cli check -c "$T/c.yaml"
check "pattern warnings: exit 0" "$RC" 0
check_match "leading '-' warned at the pattern's line" "$(at "$T/c.yaml" 'x: { pattern')" \
  "warning: action a: params: x: pattern \"\\[a-z-\\]\\+\" accepts a value starting with '-'"
check_match "whitespace-only warned" "$(at "$T/c.yaml" 'y: { pattern')" 'params: y: .*whitespace-only'
check_match "unanchored .* warned" "$(at "$T/c.yaml" 'z: { pattern')" 'params: z: .*unanchored \.\*'
check "a tight pattern is not warned" "$(grep -c 'params: ok:' "$T/err")" 0
check "exactly three warnings" "$(grep -c 'warning:' "$T/err")" 3

# --- on: resolved without after:, after: errors
conf '  a:
    run: [echo, done]' '  - name: mitigate
    matchers: [ '"'"'alertname = "A"'"'"' ]
    action: a
  - name: rollback
    matchers: [ '"'"'alertname = "A"'"'"' ]
    on: resolved
    action: a'
cli check -c "$T/c.yaml"
check "on: resolved without after: exit 0" "$RC" 0
check_match "on: resolved without after: warning at the rule" "$(at "$T/r.yaml" "name: rollback")" \
  'warning: rule rollback: an on: resolved rule without after:'
printf '    after: nosuch\n' >> "$T/r.yaml"
cli check -c "$T/c.yaml"
check "after: unknown rule: exit 1" "$RC" 1
check_match "after: unknown rule at its line" "$(at "$T/r.yaml" "after: nosuch")" 'rule rollback: after: no rule named "nosuch"'
sed -i 's/after: nosuch/after: [mitigate, rollback]/' "$T/r.yaml"
cli check -c "$T/c.yaml"
check_match "after: itself" "$(at "$T/r.yaml" "after: [")" 'a rule cannot follow itself'
sed -i 's/after: \[mitigate, rollback\]/after: mitigate\n    scope: incident/' "$T/r.yaml"
cli check -c "$T/c.yaml"
check "after: + scope: incident: exit 0, no warning" "$RC:$(cat "$T/err")" "0:"
sed -i 's/scope: incident/scope: group/' "$T/r.yaml"
cli check -c "$T/c.yaml"
check_match "scope: bad value" "$(at "$T/r.yaml" "scope: group")" 'scope: "group" is not episode or incident'
printf '  - name: fire\n    matchers: [ '"'"'alertname = "A"'"'"' ]\n    action: a\n    after: mitigate\n' >> "$T/r.yaml"
sed -i 's/scope: group/scope: episode/' "$T/r.yaml"
cli check -c "$T/c.yaml"
check "after: on a firing rule: exit 1" "$RC" 1
check_match "after: on a firing rule: at its line" "$(grep -F "$T/r.yaml:$(grep -n 'after: mitigate' "$T/r.yaml" | tail -1 | cut -d: -f1): " "$T/err")" \
  'rule fire: after: only an on: resolved rule'

# --- the shipped rules follow their mitigation
check_match "shipped restore rule names its mitigation" \
  "$(grep -A8 'name: errors-restore-writes' "$RBD_SRC/rules/week10.yaml")" 'after: errors-limit-writes'
finish
