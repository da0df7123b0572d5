#!/usr/bin/env bash
# Runs one libFuzzer target on a corpus seeded from the repository's fixtures.
# Usage: run.sh FUZZ_BINARY NAME SECONDS WORKDIR
#   WORKDIR/corpus-NAME keeps what the fuzzer finds (seeded on first use);
#   WORKDIR/crash-NAME-* are crash reproducers (the run fails when one is written).
# The smoke run in `make test` uses a few seconds; `make fuzz` runs longer.
set -uo pipefail
bin=$1 name=$2 secs=$3 work=$4
src=$(cd "$(dirname "$0")/../.." && pwd)
fix=$src/tests/fixtures
corpus=$work/corpus-$name
mkdir -p "$corpus"

seed() {  # seed FILE: copies one file into the corpus under its content hash
  [ -f "$1" ] && cp "$1" "$corpus/seed-$(md5sum < "$1" | cut -c1-16)"
}
seed_text() {  # seed_text TEXT
  local f
  f=$(mktemp "$work/seed.XXXXXX"); printf '%s' "$1" > "$f"; seed "$f"; rm -f "$f"
}
if [ -z "$(ls -A "$corpus")" ]; then
  case $name in
    payload)
      for f in "$fix"/alertmanager-0.25/*.json; do seed "$f"; done ;;
    matcher)
      # Every matcher the shipped rules and the test rules use, with the fixture labels.
      grep -rhoE "^\s*- +[a-z_]+ *(=|!=|=~|!~) *\"[^\"]*\"|'[^']*(=|!=|=~|!~)[^']*'" \
        "$src/rules" "$fix/unit" "$fix/cli" 2>/dev/null | sed -E "s/^\s*- +//; s/^'//; s/'$//" |
        sort -u | head -200 | while IFS= read -r m; do
          seed_text "$m"$'\n'"alertname=HighErrorRate"$'\n'"service=order-api"$'\n'"severity=critical"
        done ;;
    template)
      grep -rhoE '[^"'"'"' ]*\{\{[^}]*\}\}[^"'"'"' ,]*' "$src/runbookd.yaml" "$fix" 2>/dev/null |
        sort -u | head -200 | while IFS= read -r t; do
          seed_text "$t"$'\n'"order-api"
          seed_text "$t"$'\n'"-rf"
        done ;;
    config)
      for d in "$fix"/cli/check/* "$fix"/cli/valid "$src"; do
        [ -f "$d/runbookd.yaml" ] || continue
        f=$(mktemp "$work/seed.XXXXXX")
        { sed -E 's/^rules: .*/rules: rules.yaml/' "$d/runbookd.yaml"
          printf '\n---RULES---\n'
          cat "$d"/rules.yaml "$d"/rules/*.yaml "$d"/rules.d/*.yaml 2>/dev/null; } > "$f"
        seed "$f"; rm -f "$f"
      done
      for f in "$fix"/unit/*.yaml; do seed "$f"; done ;;
    time)
      grep -rhoE '"(startsAt|endsAt)":"[^"]*"' "$fix/alertmanager-0.25" | cut -d'"' -f4 |
        sort -u | while IFS= read -r t; do seed_text "$t"; done
      for d in 30s 10m 1h 1h30m 500ms 0s 24h 7d 2m30s; do seed_text "$d"; done ;;
  esac
fi
echo "fuzz_$name: $(ls "$corpus" | wc -l) corpus files, ${secs}s"
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/crash-$name-" "$corpus"
