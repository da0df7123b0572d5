#!/usr/bin/env bash
# Installs the Debian packages runbookd builds and tests with, only those missing.
# Uses sudo when not root. Safe to run again.
set -euo pipefail

PKGS=(
  gcc make cmake pkg-config
  libmicrohttpd-dev libcjson-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev libpcre2-dev
  libpq-dev postgresql
  curl jq sqlite3 python3 python3-yaml procps iproute2
  prometheus-alertmanager prometheus cmark
  chromium chromium-driver python3-selenium
  # the live suite (tests/live) and `make drill`: real exporters and services
  redis-server redis-tools prometheus-redis-exporter prometheus-node-exporter util-linux
  mariadb-server mariadb-client prometheus-mysqld-exporter
  # the install suite (tests/lint/test_install.sh): systemd-analyze, man -l
  systemd man-db groff-base
)
# Tests only (not the image's build stage): clang and libFuzzer for tests/fuzz.
PKGS+=(clang libclang-rt-14-dev)
if [ "${1:-}" = "--bench" ]; then
  PKGS+=(wrk webhook)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian's alertmanager/prometheus/redis/mariadb/exporter packages would start system services;
# the tests start their own instances on ephemeral ports, so keep the packaged ones down.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
