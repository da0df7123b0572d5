#!/bin/sh
# Test child: starts a grandchild that ignores SIGTERM (its pid goes to $1),
# waits until it is ready, then sleeps in the foreground.
"$(dirname "$0")/term-ignorer.sh" "$1" &
while [ ! -s "$1" ]; do
	/bin/sleep 0.01
done
/bin/sleep 60
