#!/bin/sh
# HA test action: ha-record.sh LOG SLEEP ARGS... appends "ARGS pid=PID" to LOG, sleeps
# SLEEP seconds, appends "ARGS done", exits 0. One "pid=" line per real execution.
log=$1 nap=$2
shift 2
printf '%s pid=%s\n' "$*" "$$" >> "$log"
[ "$nap" != 0 ] && sleep "$nap"
printf '%s done\n' "$*" >> "$log"
exit 0
