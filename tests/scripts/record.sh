#!/bin/sh
# Test action: record.sh LOG EXIT SLEEP [ARGS...]
# Appends one line "ARGS..." to LOG (absolute path), prints "ran ARGS", sleeps SLEEP
# seconds, exits EXIT. Used by the execution suites to count real executions.
log=$1 code=$2 nap=$3
shift 3
printf '%s\n' "$*" >> "$log"
printf 'ran %s\n' "$*"
[ "$nap" != 0 ] && sleep "$nap"
exit "$code"
