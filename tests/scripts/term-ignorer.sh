#!/bin/sh
# Test child: ignores SIGTERM, then writes its pid to $1 (so the pid file means
# "ready") and becomes a long sleep that keeps ignoring SIGTERM.
trap '' TERM
echo $$ > "$1.tmp"
mv "$1.tmp" "$1"
exec /bin/sleep 60
