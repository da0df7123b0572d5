#!/bin/sh
# Test action: long-action.sh DIR MODE. Prints "started MODE", starts a sleeping child
# in its process group, writes "PID CHILD_PID" to DIR/pids.MODE (the file means
# "ready"), then waits for the child. MODE ignore: SIGTERM is ignored (by the child
# too), so only SIGKILL ends them.
dir=$1 mode=$2
[ "$mode" = ignore ] && trap '' TERM
echo "started $mode"
sleep 60 &
child=$!
echo "$$ $child" > "$dir/pids.$mode.tmp"
mv "$dir/pids.$mode.tmp" "$dir/pids.$mode"
wait "$child"
echo "finished $mode"
