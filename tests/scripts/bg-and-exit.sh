#!/bin/sh
# Test child: leaves a sleeping process behind in its process group and exits 0.
# $1: pid file; $2: "hold" keeps our output pipe open in the sleeper, "detach"
# points the sleeper's output elsewhere.
if [ "$2" = hold ]; then
	/bin/sleep 60 &
else
	/bin/sleep 60 >/dev/null 2>&1 &
fi
echo $! > "$1.tmp"
mv "$1.tmp" "$1"
printf 'left %s behind\n' "$2"
exit 0
