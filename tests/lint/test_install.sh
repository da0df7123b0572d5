#!/usr/bin/env bash
# lint: runbookd installs like a Debian service (issue 17). A Release build configured
# for /usr is installed into a temp DESTDIR; then:
#   - bin/runbookd, etc/runbookd/{runbookd.yaml,rules/}, man8/runbookd.8,
#     man5/runbookd.yaml.5, lib/systemd/system/runbookd.service, lib/sysusers.d;
#   - the installed config points at the service's state dir and /etc/runbookd/tokens
#     and passes `runbookd check --syntax-only --root DESTDIR`;
#   - the unit: dedicated user, StateDirectory, ExecReload with SIGHUP, sandboxing;
#     `systemd-analyze verify` passes with no output (offline: PID 1 need not be
#     systemd; it runs with --root on a copy of DESTDIR plus the host's unit files, where
#     systemd-sysusers has created the runbookd user), and `systemd-analyze security`
#     rates its exposure at most 2.0;
#   - both man pages render with `man -l` (man-db) and no groff warnings, and document
#     every command, option and config key this issue added.
source "$(dirname "$0")/../lib.sh"
export LC_ALL=C.UTF-8

B=$T/build D=$T/dest
cmake -S "$RBD_SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DRBD_ASAN=OFF \
  -DCMAKE_INSTALL_PREFIX=/usr >"$T/configure.log" 2>&1
check "configure for /usr" "$?" 0
cmake --build "$B" -j 2 --target runbookd >"$T/build.log" 2>&1
check "build the runbookd target" "$?" 0
DESTDIR=$D cmake --install "$B" >"$T/install.log" 2>&1
check "cmake --install into DESTDIR" "$?" 0
check "installed files" "$(cd "$D" && find . -type f | sort | tr '\n' ' ')" \
  "./etc/runbookd/rules/week10.yaml ./etc/runbookd/runbookd.yaml ./usr/bin/runbookd ./usr/lib/systemd/system/runbookd.service ./usr/lib/sysusers.d/runbookd.conf ./usr/share/man/man5/runbookd.yaml.5 ./usr/share/man/man8/runbookd.8 "
check_match "the installed binary runs" "$("$D/usr/bin/runbookd" version)" '^runbookd [0-9]'
check_match "make install passes DESTDIR to cmake --install" \
  "$(cd "$RBD_SRC" && make -n install BUILD="$T/mk" DESTDIR=/x 2>&1)" 'DESTDIR="/x" cmake --install'

# --- the installed config
C=$D/etc/runbookd/runbookd.yaml
check "config: database in the state directory" "$(grep -c '^database: /var/lib/runbookd/runbookd.db$' "$C")" 1
check "config: token files under /etc/runbookd/tokens" "$(grep -c 'token_file: /etc/runbookd/tokens/' "$C")" 3
check "config: no path left relative to a checkout" "$(grep -c 'var/tokens\|^database: var' "$C")" 0
"$D/usr/bin/runbookd" check --syntax-only --root "$D" -c "$C" >"$T/check.out" 2>&1
check "installed config passes check --syntax-only --root DESTDIR" "$?" 0
check "... with no warnings" "$(grep -c warning "$T/check.out")" 0
check_match "... and loads the installed rules" "$(cat "$T/check.out")" 'ok: [1-9][0-9]* rules'

# --- the unit
U=$D/usr/lib/systemd/system/runbookd.service
for kv in "User=runbookd" "Group=runbookd" "StateDirectory=runbookd" \
          "ExecStart=/usr/bin/runbookd serve -c /etc/runbookd/runbookd.yaml" \
          'ExecReload=/bin/kill -HUP $MAINPID' "NoNewPrivileges=yes" "ProtectSystem=strict" \
          "ProtectHome=yes" "PrivateTmp=yes" "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
          "KillMode=mixed"; do
  check "unit has $kv" "$(grep -cxF -- "$kv" "$U")" 1
done
check "unit grants no other writable path (StateDirectory is writable under strict)" \
  "$(grep -c '^ReadWritePaths=' "$U")" 0
check "sysusers creates the dedicated user" "$(grep -c '^u runbookd ' "$D/usr/lib/sysusers.d/runbookd.conf")" 1

R=$T/vroot
mkdir -p "$R/usr/lib/systemd/system" "$R/bin"
find /lib/systemd/system/ -maxdepth 1 -type f -exec cp {} "$R/usr/lib/systemd/system/" \;
cp -a "$D/." "$R/"
cp "$(type -P kill)" "$R/bin/kill"
systemd-sysusers --root="$R" >"$T/sysusers.log" 2>&1
check "systemd-sysusers --root creates the user" "$(grep -c '^runbookd:' "$R/etc/passwd")" 1
systemd-analyze verify --man=no --generators=no --root="$R" "$R/usr/lib/systemd/system/runbookd.service" \
  >"$T/verify.log" 2>&1
check "systemd-analyze verify: exit 0" "$?" 0
check "systemd-analyze verify: no complaint" "$(cat "$T/verify.log")" ""
systemd-analyze security --offline=yes --threshold=20 --root="$R" \
  "$R/usr/lib/systemd/system/runbookd.service" >"$T/security.log" 2>&1
check "systemd-analyze security: exposure at most 2.0" "$?" 0
# a broken unit is caught (the check above can fail)
sed 's/^ProtectSystem=strict/ProtectSystm=strict/' "$U" > "$R/usr/lib/systemd/system/broken.service"
systemd-analyze verify --man=no --generators=no --root="$R" "$R/usr/lib/systemd/system/broken.service" \
  >"$T/broken.log" 2>&1
check_match "a misspelt key makes verify complain" "$(cat "$T/broken.log")" "Unknown key 'ProtectSystm'"

# --- man pages
for m in man8/runbookd.8 man5/runbookd.yaml.5; do
  f=$D/usr/share/man/$m
  MANWIDTH=80 man --warnings -l "$f" >"$T/man.out" 2>"$T/man.err"
  check "man -l $m: exit 0" "$?" 0
  check "man -l $m: no warnings" "$(cat "$T/man.err")" ""
  check_match "man -l $m: NAME and SEE ALSO" "$(cat "$T/man.out")" 'NAME.*SEE ALSO'
done
M8=$(MANWIDTH=200 man -l "$D/usr/share/man/man8/runbookd.8" 2>/dev/null)
for w in serve check simulate migrate export version --syntax-only --root --explain SIGHUP /var/lib/runbookd; do
  check_match "runbookd(8) documents $w" "$M8" "$w"
done
M5=$(MANWIDTH=200 man -l "$D/usr/share/man/man5/runbookd.yaml.5" 2>/dev/null)
for w in after scope allow_interpreter cancel_on_resolve one_of pattern matchers approvals cooldown; do
  check_match "runbookd.yaml(5) documents $w" "$M5" "$w"
done
finish
