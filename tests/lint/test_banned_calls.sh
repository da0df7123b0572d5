#!/usr/bin/env bash
# STYLE.md and THREATS.md: no shell anywhere, no unbounded string writes, no atoi.
# Fails when src/ or include/ call any of them.
cd "${RBD_SRC:?}" || exit 1
fails=0
hits=$(grep -nE '\b(system|popen|sprintf|vsprintf|strcpy|strcat|gets|atoi|atol)[[:space:]]*\(' \
       -r src include | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|//)')
if [ -n "$hits" ]; then echo "FAIL banned calls:"; echo "$hits"; fails=$((fails+1)); else echo "ok   no banned calls"; fi
# A shell by name anywhere, or an exec outside the one module that executes. The one
# exception: the line of actions_load.c's table of interpreters that a config may not template
# (marked "names refused, never run"), which names shells in order to refuse them.
hits=$( (grep -nE '"(/usr)?(/bin/)?(ba|da|z)?sh"' -r src include |
           grep -vE '^src/actions_load\.c:[0-9]+:.*/\* names refused, never run \*/$';
         grep -nE '\bexec(l|lp|le|v|vp|vpe)[[:space:]]*\(' -r src | grep -v '^src/exec.c:') |
       grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|//)')
if [ -n "$hits" ]; then echo "FAIL shell invocations:"; echo "$hits"; fails=$((fails+1)); else echo "ok   no shell invocations"; fi
# Only the SQLite store may include sqlite3.h, only the PostgreSQL store libpq-fe.h, only
# the server microhttpd.h, only httpc curl.h (headers too: src/store_internal.h is the
# SQLite store's, src/store_pg_internal.h the PostgreSQL store's).
for pair in "sqlite3.h:src/store\(_tx\|_read\|_internal\)\?\.[ch]" \
            "libpq-fe.h:src/store_pg\(_tx\|_read\|_internal\)\?\.[ch]" \
            "microhttpd.h:src/server" "curl/curl.h:src/httpc"; do
  h=${pair%%:*}; owner=${pair#*:}
  bad=$(grep -ln "#include <$h>" src/*.c src/*.h include/runbookd/*.h | grep -v "^$owner" )
  if [ -n "$bad" ]; then echo "FAIL $h included outside $owner: $bad"; fails=$((fails+1)); else echo "ok   $h only in $owner"; fi
done
echo "$((6 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
