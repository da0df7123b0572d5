#!/usr/bin/env bash
# lint: builds anyone can run (issue 17).
#   - A Release build (what packagers build: -O3 -DNDEBUG) of the library and the
#     binary compiles with the project's warnings and -Werror, in a temp build dir, so
#     a warning that only optimisation reveals (maybe-uninitialized ...) fails the suite.
#     Only the runbookd target is built (the library and main.c: every source once).
#   - `make run` builds only what it runs (the runbookd target), and serves the config
#     it is given (the drill's copy), never editing the tracked runbookd.yaml.
#   - docs/DRILL.md never edits the tracked runbookd.yaml; its copy is git-ignored.
source "$(dirname "$0")/../lib.sh"

B=$T/release
cmake -S "$RBD_SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DRBD_ASAN=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$T/configure.log" 2>&1
check "Release configure" "$?" 0
cmake --build "$B" -j 2 --target runbookd >"$T/build.log" 2>&1
rc=$?
check "Release build of the library and binary (-Werror)" "$rc" 0
[ "$rc" -eq 0 ] || tail -30 "$T/build.log"
n_src=$(ls "$RBD_SRC"/src/*.c | wc -l)
n_cmd=$(jq '[.[] | select(.file | test("/src/[^/]+\\.c$"))] | length' "$B/compile_commands.json")
check "every source file is compiled in the Release build" "$n_cmd" "$n_src"
check "each with -Werror, -Wall, -Wextra, -O3 and -DNDEBUG" \
  "$(jq '[.[] | select(.file | test("/src/[^/]+\\.c$")) | .command | select(test(" -Werror ") and test(" -Wall ") and test(" -Wextra ") and test(" -O3 ") and test(" -DNDEBUG "))] | length' "$B/compile_commands.json")" "$n_src"
check_match "the Release binary runs" "$("$B/runbookd" version)" '^runbookd [0-9]'
check "no test program was built" "$(find "$B/tests" -maxdepth 1 -type f -name 'test_*' -perm -u+x | wc -l)" 0

# make run: only the runbookd target, then run.sh with the config given
out=$(cd "$RBD_SRC" && make -n run BUILD="$T/mk" CONFIG=runbookd.drill.yaml 2>&1)
check_match "make run builds the runbookd target only" "$out" 'cmake --build [^ ]+ -j [0-9]+ --target runbookd'
check "make run builds nothing else" "$(grep -c 'cmake --build' <<<"$out")" 1
check_match "make run serves the config it is given" "$out" 'scripts/run.sh [^ ]+/runbookd runbookd.drill.yaml'
check_match "run.sh serves that config" "$(grep -F 'serve -c' "$RBD_SRC/scripts/run.sh")" 'serve -c "\$CONFIG"'

# the drill leaves the tracked config alone
check "DRILL.md never edits runbookd.yaml in place" \
  "$(grep -cE "(sed -i|>) *[^|]*runbookd\.yaml( |$)" "$RBD_SRC/docs/DRILL.md")" 0
check_match "DRILL.md runs make run on its copy" "$(cat "$RBD_SRC/docs/DRILL.md")" 'make run CONFIG=runbookd.drill.yaml'
check_match "the copy is git-ignored" "$(grep -x '/runbookd.drill.yaml' "$RBD_SRC/.gitignore")" 'drill'
finish
