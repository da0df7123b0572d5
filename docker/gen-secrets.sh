#!/usr/bin/env bash
# Makes the stack's bearer tokens (docker/secrets/{ingest,operator,viewer}.token) if
# they are missing: 32 random bytes as hex, no newline. docker-compose.yml hands them to
# runbookd and (the ingest token) to Alertmanager as compose secrets. Safe to run again:
# an existing token is never replaced (delete the file to rotate it, then restart
# runbookd and alertmanager).
set -euo pipefail
cd "$(dirname "$0")"

umask 077
mkdir -p secrets
chmod 700 secrets
for name in ingest operator viewer db; do
	f="secrets/$name.token"
	[ "$name" = db ] && f=secrets/db.password   # docker-compose.ha.yml: PostgreSQL's
	if [ ! -s "$f" ]; then
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f.tmp"
		mv "$f.tmp" "$f"
		echo "made docker/$f"
	fi
	# Compose bind-mounts the file as it is: the containers' users (alertmanager runs
	# as nobody, runbookd as uid 10001) must be able to read it. The directory stays
	# 0700, so other users of the host cannot reach it.
	chmod 644 "$f"
done
# runbookd's grafana_annotate action authenticates as Grafana's admin (Basic auth):
# the password is GRAFANA_ADMIN_PASSWORD from .env (default admin), as compose gives it
# to Grafana.
f=secrets/grafana.auth
if [ ! -s "$f" ]; then
	pw=$(sed -n 's/^GRAFANA_ADMIN_PASSWORD=//p' .env 2>/dev/null | tail -1)
	printf 'Basic %s' "$(printf 'admin:%s' "${pw:-admin}" | base64 -w0)" >"$f.tmp"
	mv "$f.tmp" "$f"
	echo "made docker/$f"
fi
chmod 644 "$f"
# The human on-call channel's incoming webhook (Slack or Mattermost): Alertmanager's
# slack receiver reads it from this file. A placeholder until you paste yours.
f=secrets/oncall-webhook.url
if [ ! -s "$f" ]; then
	printf 'https://chat.example.invalid/hooks/REPLACE-ME' >"$f"
	echo "made docker/$f (a placeholder: put your channel's incoming webhook URL in it)"
fi
chmod 644 "$f"
echo "operator token (for approvals): docker/secrets/operator.token"
