#!/bin/bash
# Test child: a writer whose reader goes away. With SIGPIPE at its default
# disposition `yes` dies of it (status 141); if it inherited "ignore" it would
# see EPIPE and exit 1 instead. Prints the writer's status.
/usr/bin/yes | /usr/bin/head -n 1 > /dev/null
echo "${PIPESTATUS[0]}"
