#!/bin/sh
# Test child: ends itself with SIGKILL.
kill -KILL $$
