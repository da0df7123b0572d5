#!/usr/bin/env bash
# The command line of SPEC.md against the real binary: version/help/usage exit codes,
# `check` diagnostics as FILE:LINE: message (one per problem, all of them), secrets
# from the environment, the default config lookup, `simulate` on every real
# Alertmanager 0.25 delivery (matches, exact argv, gates) with no side effects,
# `migrate` (idempotent), and the usage/invalid-input edges of `export` and `serve`.
# Fixtures: tests/fixtures/cli/ (copied into $T, so relative paths resolve there).
source "$(dirname "$0")/../lib.sh"

cp -r "$RBD_TESTS/fixtures/cli" "$T/cli"
C=$T/cli/check
unset RUNBOOKD_CONFIG

# cli ARGS...: runs the binary; stdout in $T/out, stderr in $T/err, exit code in RC.
cli() { "$RBD_BIN" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
# cli_in DIR ARGS...: the same with DIR as the working directory.
cli_in() { local d=$1; shift; (cd "$d" && exec "$RBD_BIN" "$@") >"$T/out" 2>"$T/err"; RC=$?; }
out() { cat "$T/out"; }
err() { cat "$T/err"; }
# diag FILE LINE: the first diagnostic check printed for FILE:LINE (empty if none)
diag() { grep -F -- "$1:$2: " "$T/err" | head -1; }
# locations: the FILE:LINE of every stderr line, in order, space-separated
locations() { sed -nE 's/^([^: ]+:[0-9]+): .*/\1/p' "$T/err" | tr '\n' ' ' | sed 's/ $//'; }
# non_diag: stderr lines that are not "FILE:LINE: message"
non_diag() { grep -cvE '^[^: ]+:[0-9]+: .+' "$T/err"; }

# --- version, help, usage errors
cli version
check "version exit 0" "$RC" 0
ver=$(sed -nE 's/^project\(runbookd VERSION ([0-9.]+).*/\1/p' "$RBD_SRC/CMakeLists.txt")
check "version prints the project version" "$(out)" "runbookd $ver"
cli --help
check "--help exit 0" "$RC" 0
for c in serve check simulate migrate export version; do
  check_match "--help lists $c" "$(out)" "runbookd $c"
done
cli
check "no args exit 2" "$RC" 2
check "no args: nothing on stdout" "$(out)" ""
check_match "no args: usage on stderr" "$(err)" 'usage: runbookd'
cli frobnicate
check "unknown command exit 2" "$RC" 2
check_match "unknown command named" "$(err)" 'frobnicate'
cli check --bogus -c "$T/cli/valid/runbookd.yaml"
check "bad option exit 2" "$RC" 2
cli check -c
check "-c without a value exit 2" "$RC" 2
cli check -c "$T/cli/valid/runbookd.yaml" extra
check "check with a stray argument exit 2" "$RC" 2
cli version extra
check "version with a stray argument exit 2" "$RC" 2

# --- check: a valid config
cli check -c "$T/cli/valid/runbookd.yaml"
check "check valid config exit 0" "$RC" 0
check "check valid: nothing on stderr" "$(err)" ""
check_match "check valid: counts rules from both files, not the README" "$(out)" '2 rules'
check "check creates no database" "$(ls "$T/cli/valid")" "$(printf 'rules\nrunbookd.yaml')"

# --- check: one broken thing each, reported at its FILE:LINE, exit 1
# expect_one CASE FILE LINE REGEX: exactly one diagnostic, at FILE:LINE, matching REGEX
expect_one() {
  local case=$1 file=$C/$1/$2 line=$3 re=$4
  cli check -c "$C/$case/runbookd.yaml"
  check "check $case: exit 1" "$RC" 1
  check "check $case: nothing on stdout" "$(out)" ""
  check "check $case: one diagnostic at ${2}:$line" "$(locations)" "$file:$line"
  check_match "check $case: message" "$(diag "$file" "$line")" "$re"
  check "check $case: stderr only FILE:LINE: lines" "$(non_diag)" 0
}
expect_one unknown_key      runbookd.yaml 5 'unknown key "databse"'
expect_one rule_unknown_key rules.yaml    5 'rule r1: .*unknown key "cooldwn"'
expect_one bad_regex        rules.yaml    8 'rule broken: .*app-\[0-9\+.*regex'
expect_one unknown_action   rules.yaml    7 'rule r2: .*unknown action "drop_database"'
expect_one undeclared_param rules.yaml    7 'rule r1: .*does not declare param "force"'
expect_one duplicate_rule   rules.d/20-b.yml 5 'stop-loadtest'
check_match "duplicate rule: names where it was first defined" "$(diag "$C/duplicate_rule/rules.d/20-b.yml" 5)" \
  "$C/duplicate_rule/rules.d/10-a.yaml:2"

# bad durations: two in the config, one in a rule; all three reported, in file order
cli check -c "$C/bad_duration/runbookd.yaml"
check "check bad_duration: exit 1" "$RC" 1
check "check bad_duration: every bad duration located" "$(locations)" \
  "$C/bad_duration/runbookd.yaml:4 $C/bad_duration/runbookd.yaml:8 $C/bad_duration/rules.yaml:5"
check_match "bad duration in limits" "$(diag "$C/bad_duration/runbookd.yaml" 4)" 'approval_ttl.*"30 min"'
check_match "bad duration in an action" "$(diag "$C/bad_duration/runbookd.yaml" 8)" 'timeout.*"1\.5m"'
check_match "bad duration in a rule" "$(diag "$C/bad_duration/rules.yaml" 5)" 'cooldown.*"10 minutes"'

# several errors in one rules file: all of them, not just the first
cli check -c "$C/many_errors/runbookd.yaml"
f=$C/many_errors/rules.yaml
check "check many_errors: exit 1" "$RC" 1
check "check many_errors: four diagnostics in order" "$(locations)" "$f:5 $f:7 $f:11 $f:15"
check_match "many_errors: unknown key" "$(diag "$f" 5)" 'retries'
check_match "many_errors: bad regex" "$(diag "$f" 7)" 'regex'
check_match "many_errors: unknown action" "$(diag "$f" 11)" 'nuke'
check_match "many_errors: bad duration" "$(diag "$f" 15)" '5m30'
check "check many_errors: stderr only FILE:LINE: lines" "$(non_diag)" 0

# --- a token whose environment variable is empty or unset: refused, nothing leaks
secret="rbd-cli-secret-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
f=$C/empty_token/runbookd.yaml
RBD_CLI_SET_TOKEN=$secret RBD_CLI_EMPTY_TOKEN='' cli check -c "$f"
check "empty token env: check exit 1" "$RC" 1
check_match "empty token env: located and named" "$(diag "$f" 6)" 'RBD_CLI_EMPTY_TOKEN'
check "empty token env: the other token is not printed" "$(cat "$T/out" "$T/err" | grep -c "$secret")" 0
env -u RBD_CLI_EMPTY_TOKEN RBD_CLI_SET_TOKEN="$secret" "$RBD_BIN" check -c "$f" >"$T/out" 2>"$T/err"
check "unset token env: check exit 1" "$?" 1
rm -f "$T/port"
RBD_CLI_SET_TOKEN=$secret RBD_CLI_EMPTY_TOKEN='' RUNBOOKD_PORT_FILE=$T/port \
  timeout 20 "$RBD_BIN" serve -c "$f" >"$T/out" 2>"$T/err"
check "empty token env: serve refuses to start, exit 1" "$?" 1
check "serve never bound a port" "$([ -e "$T/port" ] && echo bound || echo none)" none
check "serve output does not carry the token" "$(cat "$T/out" "$T/err" | grep -c "$secret")" 0
check_match "serve says why" "$(err)" 'RBD_CLI_EMPTY_TOKEN'
RBD_CLI_SET_TOKEN=$secret RBD_CLI_EMPTY_TOKEN=other-$secret cli check -c "$f"
check "both tokens set: check exit 0" "$RC" 0
check "check ok output carries no token" "$(cat "$T/out" "$T/err" | grep -c "$secret")" 0

# --- default config: ./runbookd.yaml first, else $RUNBOOKD_CONFIG; -c wins over both
mkdir -p "$T/cwd-with" "$T/cwd-without"
cp -r "$T/cli/valid/." "$T/cwd-with/"
broken=$C/unknown_key/runbookd.yaml
RUNBOOKD_CONFIG=$broken cli_in "$T/cwd-with" check
check "cwd runbookd.yaml is used before RUNBOOKD_CONFIG" "$RC" 0
check_match "cwd config named" "$(out)" '^runbookd\.yaml: '
RUNBOOKD_CONFIG=$broken cli_in "$T/cwd-with" check -c "$broken"
check "-c wins over the cwd config" "$RC" 1
RUNBOOKD_CONFIG=$T/cli/valid/runbookd.yaml cli_in "$T/cwd-without" check
check "no cwd config: RUNBOOKD_CONFIG is used" "$RC" 0
check_match "RUNBOOKD_CONFIG named" "$(out)" "^$T/cli/valid/runbookd\\.yaml: "
RUNBOOKD_CONFIG=$broken cli_in "$T/cwd-without" check
check "no cwd config: a broken RUNBOOKD_CONFIG fails" "$RC" 1
check "its diagnostic names RUNBOOKD_CONFIG's file" "$(locations)" "$broken:5"
cli_in "$T/cwd-without" check
check "no config anywhere: exit 1" "$RC" 1
check_match "no config anywhere: says which file" "$(err)" 'runbookd\.yaml'

# --- simulate: every real delivery, dry-run then enforce
S=$T/cli/simulate
mkdir -p "$T/bin"
TOOL=$T/bin/rbd-sim-tool
printf '#!/bin/sh\necho "$@" >> %s/tool-ran\n' "$T" > "$TOOL"
chmod +x "$TOOL"
sed 's/^mode: dry-run$/mode: enforce/' "$S/runbookd.yaml" > "$S/enforce.yaml"
# sim CONFIG ARGS...: simulate with the stand-in tool first in PATH
sim() { local c=$1; shift; PATH="$T/bin:$PATH" cli simulate -o json -c "$S/$c" "$@"; }
summary() { jq -c '[.alerts[] | [.fingerprint, .status, [.matches[] | [.rule, .state, .gate, .rendered.argv]]]]' "$T/out"; }

declare -A DRY ENF
DRY[firing-high-error-rate]='[["bc0f69a6f4a97e7e","firing",[["errors-restart","dry_run","dry_run",["TOOL","restart","order-api"]]]]]'
ENF[firing-high-error-rate]='[["bc0f69a6f4a97e7e","firing",[["errors-restart","pending_approval","approval",["TOOL","restart","order-api"]]]]]'
DRY[resolved-high-error-rate]='[["bc0f69a6f4a97e7e","resolved",[["errors-verify","dry_run","dry_run",["TOOL","verify","--service=order-api","errors-verify"]]]]]'
ENF[resolved-high-error-rate]='[["bc0f69a6f4a97e7e","resolved",[["errors-verify","planned","pass",["TOOL","verify","--service=order-api","errors-verify"]]]]]'
DRY[firing-high-latency]='[["41bb2b02aa652483","firing",[["latency-stop-loadtest","dry_run","dry_run",["TOOL","compose","stop","loadtest"]]]]]'
ENF[firing-high-latency]='[["41bb2b02aa652483","firing",[["latency-stop-loadtest","planned","pass",["TOOL","compose","stop","loadtest"]]]]]'
DRY[resolved-high-latency]='[["41bb2b02aa652483","resolved",[]]]'
ENF[resolved-high-latency]=${DRY[resolved-high-latency]}
DRY[firing-disk-full-truncated]='[["247e965912801b80","firing",[["disk-clean","dry_run","dry_run",["TOOL","clean","--device=vd1","247e965912801b80"]]]],["675b93471ec7af87","firing",[["disk-clean","dry_run","dry_run",["TOOL","clean","--device=vd2","675b93471ec7af87"]]]],["d3213096841f8322","firing",[["disk-clean","skipped","param_refused",null]]]]'
ENF[firing-disk-full-truncated]='[["247e965912801b80","firing",[["disk-clean","planned","pass",["TOOL","clean","--device=vd1","247e965912801b80"]]]],["675b93471ec7af87","firing",[["disk-clean","planned","pass",["TOOL","clean","--device=vd2","675b93471ec7af87"]]]],["d3213096841f8322","firing",[["disk-clean","skipped","param_refused",null]]]]'
DRY[mixed-disk-full-truncated]='[["247e965912801b80","resolved",[]],["675b93471ec7af87","firing",[["disk-clean","dry_run","dry_run",["TOOL","clean","--device=vd2","675b93471ec7af87"]]]],["d3213096841f8322","firing",[["disk-clean","skipped","param_refused",null]]]]'
ENF[mixed-disk-full-truncated]='[["247e965912801b80","resolved",[]],["675b93471ec7af87","firing",[["disk-clean","planned","pass",["TOOL","clean","--device=vd2","675b93471ec7af87"]]]],["d3213096841f8322","firing",[["disk-clean","skipped","param_refused",null]]]]'
DRY[resolved-disk-full-truncated]='[["675b93471ec7af87","resolved",[]],["d3213096841f8322","resolved",[]],["30dd01c93382df49","resolved",[]]]'
ENF[resolved-disk-full-truncated]=${DRY[resolved-disk-full-truncated]}

n=0
for p in "$FIX"/*.json; do
  name=$(basename "$p" .json)
  n=$((n + 1))
  if [ -z "${DRY[$name]:-}" ]; then fail "simulate: no expectation for fixture $name"; continue; fi
  for mode in dry-run enforce; do
    if [ "$mode" == dry-run ]; then cfg=runbookd.yaml; want=${DRY[$name]}; else cfg=enforce.yaml; want=${ENF[$name]}; fi
    sim "$cfg" "$p"
    check "simulate $name ($mode): exit 0" "$RC" 0
    check "simulate $name ($mode): mode" "$(jq -r .mode "$T/out")" "$mode"
    check "simulate $name ($mode): group key" "$(jq -r .group_key "$T/out")" "$(jq -r .groupKey "$p")"
    check "simulate $name ($mode): matches, argv, gates" "$(summary)" "${want//TOOL/$TOOL}"
  done
done
check "simulate covered every fixture" "$n" 7
sim runbookd.yaml "$FIX/firing-disk-full-truncated.json"
check_match "param refusal says which value" "$(jq -r '.alerts[2].matches[0].reason' "$T/out")" 'param_refused.*vd3'

# an injection attempt in a label: refused before the approval gate, also in enforce mode
jq '.alerts[0].labels.service = "order-api; rm -rf /"' "$FIX/firing-high-error-rate.json" > "$T/inject.json"
sim enforce.yaml "$T/inject.json"
check "hostile label: skipped, param_refused, no argv" \
  "$(jq -c '.alerts[0].matches[0] | [.state, .gate, .rendered]' "$T/out")" '["skipped","param_refused",null]'
# a label that misses a matcher: no match at all
jq '.alerts[0].labels.severity = "warning"' "$FIX/firing-high-error-rate.json" > "$T/warn.json"
sim enforce.yaml "$T/warn.json"
check "matcher miss: no match" "$(jq -c '.alerts[0].matches' "$T/out")" '[]'
jq '.alerts[0].labels.env = "prod"' "$FIX/firing-high-latency.json" > "$T/prod.json"
sim enforce.yaml "$T/prod.json"
check "!= and = matchers pick the other rule" "$(jq -c '[.alerts[0].matches[].rule]' "$T/out")" '["latency-prod-only"]'

# no side effects: no database, no journal, nothing ran
check "simulate created no database" "$(ls "$S" | tr '\n' ' ')" "enforce.yaml rules.yaml runbookd.yaml "
check "simulate ran nothing" "$([ -e "$T/tool-ran" ] && echo ran || echo none)" none

# bad input
printf '{"version":"4",' > "$T/trunc.json"
sim runbookd.yaml "$T/trunc.json"
check "simulate truncated JSON: exit 1" "$RC" 1
check "simulate truncated JSON: nothing on stdout" "$(out)" ""
jq '.version = "3"' "$FIX/firing-high-error-rate.json" > "$T/v3.json"
sim runbookd.yaml "$T/v3.json"; check "simulate version 3: exit 1" "$RC" 1
: > "$T/empty.json"
sim runbookd.yaml "$T/empty.json"; check "simulate empty payload: exit 1" "$RC" 1
sim runbookd.yaml "$T/no-such.json"; check "simulate missing file: exit 1" "$RC" 1
sim runbookd.yaml; check "simulate without PAYLOAD: exit 2" "$RC" 2
sim runbookd.yaml "$FIX/firing-high-latency.json" "$FIX/firing-high-latency.json"
check "simulate with two payloads: exit 2" "$RC" 2
sim ../check/unknown_key/runbookd.yaml "$FIX/firing-high-latency.json"
check "simulate with a broken config: exit 1" "$RC" 1
check "simulate still wrote nothing" "$(ls "$S" | tr '\n' ' ')" "enforce.yaml rules.yaml runbookd.yaml "
# export reads: without a database it is a runtime failure and creates none
PATH="$T/bin:$PATH" cli export -c "$S/runbookd.yaml" --incident 1
check "export without a database: exit 3" "$RC" 3
check "export created no database" "$(ls "$S" | tr '\n' ' ')" "enforce.yaml rules.yaml runbookd.yaml "

# --- migrate: creates the schema, a second run applies nothing
want_versions=$(for m in "$RBD_SRC"/migrations/*.sql; do basename "$m"; done | sed -E 's/^0*([0-9]+)_.*/\1/' | tr '\n' ' ')
PATH="$T/bin:$PATH" cli migrate -c "$S/runbookd.yaml"
check "migrate exit 0" "$RC" 0
check "migrate created the database" "$([ -s "$S/sim.db" ] && echo yes || echo no)" yes
check_match "first migrate reports what it applied" "$(out)" "[^0-9]$(ls "$RBD_SRC"/migrations/*.sql | wc -l) applied"
want_names=$(for m in "$RBD_SRC"/migrations/*.sql; do basename "$m" .sql; done | sed -E 's/^[0-9]+_//' | tr '\n' ' ')
check "migration names recorded" \
  "$(sqlite3 -batch -noheader "$S/sim.db" 'select name from schema_migrations order by version' | tr '\n' ' ')" "$want_names"
check "schema_migrations has every migration" \
  "$(sqlite3 -batch -noheader "$S/sim.db" 'select version from schema_migrations order by version' | tr '\n' ' ')" "$want_versions"
check "schema has the timeline tables" \
  "$(sqlite3 -batch -noheader "$S/sim.db" "select count(*) from sqlite_master where type='table' and name in ('incidents','alerts','actions','events','notifications')")" 5
before=$(sqlite3 -batch -noheader "$S/sim.db" 'select version, applied_at from schema_migrations')
PATH="$T/bin:$PATH" cli migrate -c "$S/runbookd.yaml"
check "second migrate exit 0" "$RC" 0
check_match "second migrate applies 0" "$(out)" '[^0-9]0 applied'
check "second migrate left schema_migrations alone" \
  "$(sqlite3 -batch -noheader "$S/sim.db" 'select version, applied_at from schema_migrations')" "$before"

# simulate against an existing database leaves it byte for byte as it was
sum=$(md5sum < "$S/sim.db")
files=$(ls "$S" | tr '\n' ' ')
sim enforce.yaml "$FIX/firing-disk-full-truncated.json"
check "simulate with a database: exit 0" "$RC" 0
check "simulate left the database unchanged" "$(md5sum < "$S/sim.db")" "$sum"
check "simulate left no journal beside it" "$(ls "$S" | tr '\n' ' ')" "$files"

cli migrate -c "$C/unknown_key/runbookd.yaml"
check "migrate with a broken config: exit 1" "$RC" 1
: > "$T/plainfile"
sed "s#^database: .*#database: $T/plainfile/x.db#" "$S/runbookd.yaml" > "$S/baddb.yaml"
PATH="$T/bin:$PATH" cli migrate -c "$S/baddb.yaml"
check "migrate with an unopenable database: exit 3" "$RC" 3
rm -f "$S/baddb.yaml"

# --- export: usage and unknown incident (content: test_export.sh)
PATH="$T/bin:$PATH" cli export -c "$S/runbookd.yaml" --incident 1
check "export unknown incident: exit 1" "$RC" 1
check "export unknown incident: nothing on stdout" "$(out)" ""
PATH="$T/bin:$PATH" cli export -c "$S/runbookd.yaml"
check "export without --incident: exit 2" "$RC" 2
for bad in "--incident abc" "--incident 0" "--incident -3" "--incident 1 --format xml" \
           "--incident 1 --lang fr" "--incident 1 --format" "--incident 1 stray"; do
  # shellcheck disable=SC2086
  PATH="$T/bin:$PATH" cli export -c "$S/runbookd.yaml" $bad
  check "export $bad: exit 2" "$RC" 2
done

# --- serve: a bind failure and a database failure are runtime failures (exit 3)
write_config dry-run "$T/cli/simulate/rules.yaml" < <(sed -n '/^actions:/,$p' "$S/runbookd.yaml")
export PATH="$T/bin:$PATH"
start_rbd || exit 1
port=$(cat "$T/port")
sed -e "s/^listen: .*/listen: 127.0.0.1:$port/" -e "s#^database: .*#database: $T/second.db#" \
  "$T/runbookd.yaml" > "$T/second.yaml"
timeout 20 "$RBD_BIN" serve -c "$T/second.yaml" >"$T/out" 2>"$T/err"
check "serve on a port in use: exit 3" "$?" 3
sed -e "s#^database: .*#database: $T/plainfile/x.db#" "$T/runbookd.yaml" > "$T/third.yaml"
timeout 20 "$RBD_BIN" serve -c "$T/third.yaml" >"$T/out" 2>"$T/err"
check "serve with an unopenable database: exit 3" "$?" 3
api GET /healthz "" >/dev/null
check "the first instance still serves" "$(status)" 200
stop_rbd; check "SIGTERM exits 0" "$?" 0
finish
