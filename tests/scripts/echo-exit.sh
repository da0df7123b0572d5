#!/bin/sh
# Test child: prints $1 (no newline) and exits with status $2.
printf '%s' "$1"
exit "$2"
