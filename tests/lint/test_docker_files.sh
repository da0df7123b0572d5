#!/usr/bin/env bash
# lint: docker/ is valid for the tools that will run it, checked with what Debian ships
# (no Docker engine runs on the build machines):
#   - Prometheus: promtool check config / check rules, and promtool test rules with
#     docker/prometheus/tests.yml (each runbook symptom's alert fires on synthetic
#     series, and stays quiet on the other side of the runbook's line) and
#     docker/prometheus/runbookd-tests.yml (the alerts on runbookd itself);
#   - Alertmanager: amtool check-config, every runbook alert routes to runbookd and
#     to the human receiver, and runbookd's own alerts to the human receiver only;
#   - Grafana: the provisioned dashboard is JSON on the provisioned data source and
#     plots the runbookd_* series the issue names;
#   - compose: docker-compose config (and `docker compose config` where the plugin
#     exists) on a copy with generated secrets, plus a structural check with PyYAML:
#     the runbook's services, log rotation on every service, binlog expiry, Redis
#     maxmemory 256mb, loopback-only ports, no Docker socket in the default stack, the
#     ingest token shared by file between Alertmanager and runbookd;
#   - Dockerfile: multi-stage bookworm -> bookworm-slim, non-root, healthcheck on
#     /healthz, the build stage's -dev packages are those of scripts/install-deps.sh,
#     the runtime stage installs the runtime package of every library runbookd links
#     (derived from CMakeLists.txt with pkg-config and dpkg), and the files the build
#     stage copies are enough for CMake to configure;
#   - docker/gen-secrets.sh, the MySQL init script, the k6 script, the app stub's build
#     (docker/app), and the fake docker of tests/fixtures/fakebin.
# Needs: promtool (package prometheus), amtool (prometheus-alertmanager), python3 with
# PyYAML (python3-yaml), cmake, pkg-config, dpkg; docker-compose is used when present.
set -uo pipefail

SRC=${RBD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
D=$SRC/docker
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbd-lint-docker.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | head -40 | sed 's/^/    /'
	fi
}
# run_check NAME CMD...: passes when CMD exits 0.
run_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$out"
	fi
}
# need TOOL PACKAGE: the tool is on PATH, else one failure naming the package.
need() {
	if command -v "$1" >/dev/null 2>&1; then
		return 0
	fi
	not_ok "$1 is installed (Debian package $2; scripts/install-deps.sh installs it)"
	return 1
}

# ---------------------------------------------------------------- Prometheus
if need promtool prometheus; then
	run_check "promtool check config docker/prometheus/prometheus.yml" \
		promtool check config "$D/prometheus/prometheus.yml"
	run_check "promtool check rules docker/prometheus/alerts.yml" \
		promtool check rules "$D/prometheus/alerts.yml"
	run_check "promtool test rules docker/prometheus/tests.yml" \
		promtool test rules "$D/prometheus/tests.yml"
	run_check "promtool check rules docker/prometheus/runbookd-alerts.yml" \
		promtool check rules "$D/prometheus/runbookd-alerts.yml"
	run_check "promtool test rules docker/prometheus/runbookd-tests.yml" \
		promtool test rules "$D/prometheus/runbookd-tests.yml"
fi

# ---------------------------------------------------------------- Python + YAML
PY=""
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import yaml' >/dev/null 2>&1; then
		PY=$cand
		break
	fi
done
[ -n "$PY" ] || not_ok "python3 with PyYAML is installed (Debian package python3-yaml)"

# ---------------------------------------------------------------- Alertmanager
if need amtool prometheus-alertmanager; then
	run_check "amtool check-config docker/alertmanager/alertmanager.yml" \
		amtool check-config "$D/alertmanager/alertmanager.yml"
	if [ -n "$PY" ]; then
		# runbook alerts: runbookd first (continue), then the human; runbookd's own: the human
		while IFS=' ' read -r want name labels; do
			[ -n "$name" ] || continue
			# shellcheck disable=SC2086 # labels are k=v words made by the script below
			out=$(amtool config routes test --config.file="$D/alertmanager/alertmanager.yml" \
				alertname="$name" $labels 2>"$TMP/amtool.err")
			if [ "$out" = "$want" ]; then
				ok "alert $name routes to $want"
			else
				not_ok "alert $name routes to $want" "$out $(cat "$TMP/amtool.err")"
			fi
		done < <("$PY" - "$D/prometheus/alerts.yml" "$D/prometheus/runbookd-alerts.yml" <<'PYEOF'
import sys, yaml
seen = set()
for path, want in ((sys.argv[1], "runbookd,oncall"), (sys.argv[2], "oncall")):
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    for g in doc["groups"]:
        for r in g["rules"]:
            if "alert" in r and r["alert"] not in seen:
                seen.add(r["alert"])
                labels = dict(r.get("labels", {}))
                labels.setdefault("service", "x")
                print(want, r["alert"], " ".join("%s=%s" % kv for kv in sorted(labels.items())))
PYEOF
		)
	fi
fi

# ---------------------------------------------------------------- generated secrets
mkdir -p "$TMP/repo"
cp -r "$D" "$TMP/repo/docker"
cp -r "$SRC/rules" "$TMP/repo/rules"
rm -rf "$TMP/repo/docker/secrets"
if out=$(bash "$TMP/repo/docker/gen-secrets.sh" 2>&1); then
	bad=""
	for n in ingest operator viewer; do
		f=$TMP/repo/docker/secrets/$n.token
		[ -f "$f" ] || { bad+="$n.token missing; "; continue; }
		tok=$(cat "$f")
		[[ "$tok" =~ ^[0-9a-f]{64}$ ]] || bad+="$n.token is not 64 hex digits; "
		[ "$(wc -c <"$f")" -eq 64 ] || bad+="$n.token has more than the token (newline?); "
	done
	[ "$(stat -c %a "$TMP/repo/docker/secrets")" = 700 ] || bad+="secrets/ is not 0700; "
	[ "$(cat "$TMP/repo/docker/secrets/ingest.token")" != "$(cat "$TMP/repo/docker/secrets/operator.token")" ] ||
		bad+="tokens are equal; "
	before=$(cat "$TMP/repo/docker/secrets/"*.token)
	bash "$TMP/repo/docker/gen-secrets.sh" >/dev/null 2>&1
	[ "$before" = "$(cat "$TMP/repo/docker/secrets/"*.token)" ] || bad+="a second run replaced tokens; "
	if [ -z "$bad" ]; then ok "gen-secrets.sh makes three random tokens once"; else not_ok "gen-secrets.sh makes three random tokens once" "$bad"; fi
else
	not_ok "gen-secrets.sh runs" "$out"
fi

# ---------------------------------------------------------------- compose (tools)
if command -v docker-compose >/dev/null 2>&1; then
	run_check "docker-compose config: docker-compose.yml" \
		bash -c 'cd "$1" && docker-compose -f docker-compose.yml config -q' _ "$TMP/repo/docker"
	run_check "docker-compose config: with docker-compose.socket.yml" \
		bash -c 'cd "$1" && docker-compose -f docker-compose.yml -f docker-compose.socket.yml config -q' _ "$TMP/repo/docker"
	out=$(cd "$TMP/repo/docker" && docker-compose -f docker-compose.yml --profile loadtest config --services 2>&1)
	if grep -qx loadtest <<<"$out" && grep -qx runbookd <<<"$out"; then
		ok "docker-compose: profile loadtest adds the loadtest service"
	else
		not_ok "docker-compose: profile loadtest adds the loadtest service" "$out"
	fi
else
	echo "# docker-compose not installed: its config check is left to the PyYAML checks"
fi
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
	run_check "docker compose config: docker-compose.yml + socket override" \
		bash -c 'cd "$1" && docker compose -f docker-compose.yml -f docker-compose.socket.yml config -q' _ "$TMP/repo/docker"
fi

# ---------------------------------------------------------------- shell and JS files
run_check "gen-secrets.sh parses (bash -n)" bash -n "$D/gen-secrets.sh"
run_check "mysql/init/10-exporter-user.sh parses (sh -n)" sh -n "$D/mysql/init/10-exporter-user.sh"
if command -v node >/dev/null 2>&1; then
	run_check "loadtest/order.js parses (node --check)" \
		bash -c 'node --input-type=module --check <"$1"' _ "$D/loadtest/order.js"
fi

# ---------------------------------------------------------------- fake docker
FAKE=$SRC/tests/fixtures/fakebin/docker
if [ -x "$FAKE" ]; then
	out=$(FAKE_DOCKER_LOG="$TMP/fake.log" "$FAKE" compose -f "/a b" restart $'app\nx' ';rm -rf /' 2>&1)
	rc=$?
	want="compose -f /a\\ b restart \$'app\\nx' \\;rm\\ -rf\\ /"
	if [ $rc -eq 0 ] && [ "$(cat "$TMP/fake.log")" = "$want" ] && [ -z "$out" ]; then
		ok "fake docker logs its argv on one %q-quoted line and exits 0"
	else
		not_ok "fake docker logs its argv on one %q-quoted line and exits 0" "rc=$rc out=$out log=$(cat "$TMP/fake.log")"
	fi
	FAKE_DOCKER_LOG="$TMP/fake.log" FAKE_DOCKER_EXIT=3 "$FAKE" stop loadtest >/dev/null 2>&1
	rc=$?
	if [ $rc -eq 3 ] && [ "$(tail -n1 "$TMP/fake.log")" = "stop loadtest" ]; then
		ok "fake docker exits with FAKE_DOCKER_EXIT"
	else
		not_ok "fake docker exits with FAKE_DOCKER_EXIT" "rc=$rc"
	fi
	# runbookd gives children a clean environment: the knobs also work as files
	mkdir -p "$TMP/fb"
	cp "$FAKE" "$TMP/fb/docker"
	: >"$TMP/fb/fake-docker.log"
	echo 5 >"$TMP/fb/fake-docker.exit"
	printf 'line 1\nline 2\n' >"$TMP/fb/fake-docker.stdout"
	out=$(env -i PATH="$TMP/fb:/usr/bin:/bin" docker logs --tail=200 app)
	rc=$?
	if [ $rc -eq 5 ] && [ "$out" = $'line 1\nline 2' ] &&
		[ "$(cat "$TMP/fb/fake-docker.log")" = "logs --tail=200 app" ]; then
		ok "fake docker reads its knobs from files next to it (clean environment)"
	else
		not_ok "fake docker reads its knobs from files next to it (clean environment)" "rc=$rc out=$out"
	fi
	if grep -Eq '(^|[^-_./a-z])(exec|command)[[:space:]]+docker|/usr/(local/)?bin/docker' "$FAKE"; then
		not_ok "fake docker never calls a real docker"
	else
		ok "fake docker never calls a real docker"
	fi
else
	not_ok "tests/fixtures/fakebin/docker exists and is executable"
fi

# ---------------------------------------------------------------- structure (PyYAML)
if [ -n "$PY" ]; then
	"$PY" - "$SRC" "$TMP" <<'PYEOF'
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

SRC, TMP = sys.argv[1], sys.argv[2]
D = os.path.join(SRC, "docker")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - " + name)
        for line in str(detail).splitlines()[:40]:
            print("    " + line)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


# ---- compose
compose_path = os.path.join(D, "docker-compose.yml")
compose = load(compose_path)
services = compose.get("services", {})
REQUIRED = ["app", "mysql", "redis", "kafka", "loadtest", "prometheus", "alertmanager",
            "grafana", "runbookd"]
check("compose has the runbook's services " + ", ".join(REQUIRED),
      all(s in services for s in REQUIRED), sorted(set(REQUIRED) - set(services)))

bad = []
for name, svc in services.items():
    lg = svc.get("logging") or {}
    opts = lg.get("options") or {}
    if lg.get("driver") != "json-file" or not opts.get("max-size") or not opts.get("max-file"):
        bad.append(name)
check("every service rotates its logs (json-file, max-size, max-file)", not bad and services, bad)
raw = open(compose_path, encoding="utf-8").read()
check("log rotation comes from one YAML anchor",
      re.search(r"^x-logging: &(\S+)", raw, re.M) is not None
      and raw.count("logging: *") == len(services), "logging: * count %d, services %d"
      % (raw.count("logging: *"), len(services)))


def cmd_list(svc):
    c = svc.get("command", [])
    return c.split() if isinstance(c, str) else [str(x) for x in c]


mysql_cmd = cmd_list(services.get("mysql", {}))
exp = [c for c in mysql_cmd if c.startswith("--binlog-expire-logs-seconds=")]
check("mysql expires its binlogs (--binlog-expire-logs-seconds)",
      len(exp) == 1 and int(exp[0].split("=")[1]) > 0, mysql_cmd)
rc = cmd_list(services.get("redis", {}))
check("redis runs with --maxmemory 256mb",
      any(rc[i] == "--maxmemory" and rc[i + 1] == "256mb" for i in range(len(rc) - 1)), rc)
kenv = services.get("kafka", {}).get("environment", {})
check("kafka retention is bounded",
      bool(kenv.get("KAFKA_LOG_RETENTION_HOURS")) and bool(kenv.get("KAFKA_LOG_RETENTION_BYTES")), kenv)
pc = cmd_list(services.get("prometheus", {}))
check("prometheus retention is bounded",
      any(c.startswith("--storage.tsdb.retention.time=") for c in pc)
      and any(c.startswith("--storage.tsdb.retention.size=") for c in pc), pc)

bad = []
for name, svc in services.items():
    for p in svc.get("ports", []) or []:
        if not str(p).startswith("127.0.0.1:"):
            bad.append("%s: %s" % (name, p))
check("every published port binds 127.0.0.1", not bad, bad)

bad = []
for name, svc in services.items():
    for v in svc.get("volumes", []) or []:
        src = str(v).split(":")[0]
        if src.startswith("."):
            if not os.path.exists(os.path.normpath(os.path.join(D, src))):
                bad.append("%s: %s" % (name, v))
for name, sec in (compose.get("secrets") or {}).items():
    if not str(sec.get("file", "")).startswith("./secrets/"):
        bad.append("secret %s is not under ./secrets/" % name)
check("every relative bind mount exists (secrets come from ./secrets/)", not bad, bad)

rb = services.get("runbookd", {})
build = rb.get("build", {}) or {}
check("runbookd is built from docker/Dockerfile with the repository as context",
      os.path.normpath(os.path.join(D, build.get("context", ""))) == os.path.normpath(SRC)
      and build.get("dockerfile") == "docker/Dockerfile", build)
app = services.get("app", {})
abuild = app.get("build", {}) or {}
actx = os.path.normpath(os.path.join(D, abuild.get("context", "") if isinstance(abuild, dict) else str(abuild)))
check("app is built from docker/app (the stub), APP_IMAGE still names another image",
      actx == os.path.join(D, "app") and os.path.isfile(os.path.join(actx, abuild.get("dockerfile", "Dockerfile")))
      and re.fullmatch(r"\$\{APP_IMAGE:-[a-z0-9][a-z0-9._-]*:local\}", str(app.get("image", ""))) is not None,
      (abuild, app.get("image")))
adf = open(os.path.join(actx, "Dockerfile"), encoding="utf-8").read() if os.path.isdir(actx) else ""
copied_app = re.findall(r"^COPY\s+(\S+)\s", adf, re.M)
check("docker/app/Dockerfile copies files that exist, runs as a non-root user, exposes 8080",
      copied_app and all(os.path.exists(os.path.join(actx, c)) for c in copied_app)
      and re.search(r"^USER\s+(?!root|0\b)\S+", adf, re.M) is not None and re.search(r"^EXPOSE\s+8080\b", adf, re.M),
      copied_app)
r = subprocess.run([sys.executable, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())",
                    os.path.join(D, "app", "orderstub.py")], capture_output=True, text=True)
check("docker/app/orderstub.py parses", r.returncode == 0, r.stderr)
check("the default stack mounts no Docker socket",
      "docker.sock" not in raw, "docker.sock appears in docker-compose.yml")
check("runbookd runs read-only without capabilities",
      rb.get("read_only") is True and "ALL" in (rb.get("cap_drop") or []), rb)
over = load(os.path.join(D, "docker-compose.socket.yml"))
ov = (over.get("services", {}).get("runbookd", {}) or {}).get("volumes", [])
check("docker-compose.socket.yml mounts the socket and this directory at /srv/week10",
      "/var/run/docker.sock:/var/run/docker.sock" in ov and "./:/srv/week10:ro" in ov, ov)

# the ingest token: one compose secret, read by Alertmanager and runbookd
am = load(os.path.join(D, "alertmanager", "alertmanager.yml"))
stack = load(os.path.join(D, "runbookd", "runbookd.yaml"))
hooks = [w for r in am["receivers"] for w in (r.get("webhook_configs") or [])]
cred = [((w.get("http_config") or {}).get("authorization") or {}) for w in hooks]
ingest = [t for t in stack["auth"]["tokens"] if t["role"] == "ingest"]
check("alertmanager sends a Bearer token from a file", hooks and all(
    c.get("type") == "Bearer" and c.get("credentials_file") and "credentials" not in c for c in cred), cred)
secret_paths = ["/run/secrets/" + s for s in services.get("alertmanager", {}).get("secrets", [])]
check("alertmanager's credentials_file is the ingest secret it mounts, and runbookd's ingest token_file",
      len(ingest) == 1 and all(c.get("credentials_file") in secret_paths and
                                c.get("credentials_file") == ingest[0].get("token_file") for c in cred)
      and ingest[0]["token_file"].split("/")[-1] in (rb.get("secrets") or []),
      "credentials_file %s, alertmanager secrets %s, runbookd ingest %s, runbookd secrets %s"
      % ([c.get("credentials_file") for c in cred], secret_paths, ingest, rb.get("secrets")))
port = stack["listen"].rsplit(":", 1)[1]
check("alertmanager posts to runbookd's webhook path and port, with resolved notifications",
      all(w.get("url") == "http://runbookd:%s/api/v1/alerts" % port and w.get("send_resolved") is True
          for w in hooks), hooks)
check("runbookd's in-stack config is the file compose mounts, its rules the repo's",
      "./runbookd/runbookd.yaml:/etc/runbookd/runbookd.yaml:ro" in (rb.get("volumes") or [])
      and "../rules:/etc/runbookd/rules:ro" in (rb.get("volumes") or [])
      and stack.get("rules", "").rstrip("/") == "/etc/runbookd/rules", rb.get("volumes"))

# the human is paged: alertmanager's oncall receiver reads its webhook from a mounted
# secret; runbookd notifies the same channel in slack format with links on external_url
oncall = [r for r in am["receivers"] if r["name"] == "oncall"]
sl = [c for r in oncall for c in (r.get("slack_configs") or [])]
check("alertmanager has the oncall receiver, its webhook URL from a mounted secret file",
      sl and all(c.get("api_url_file") == "/run/secrets/oncall_webhook_url" and "api_url" not in c
                 for c in sl) and "oncall_webhook_url" in services.get("alertmanager", {}).get("secrets", []), sl)
nt = stack.get("notify") or []
check("runbookd notifies in slack format, with external_url for its links",
      isinstance(nt, list) and any(t.get("format") == "slack" for t in nt)
      and str(stack.get("external_url", "")).startswith("http"), (nt, stack.get("external_url")))
ga = (stack.get("actions") or {}).get("grafana_annotate", {}).get("http", {})
check("grafana_annotate takes its credential from a secret runbookd mounts",
      (ga.get("headers") or {}).get("Authorization", {}).get("file") == "/run/secrets/runbookd_grafana_auth"
      and "runbookd_grafana_auth" in (rb.get("secrets") or []), ga)

# grafana: the provisioned dashboard, on the provisioned data source
dpath = os.path.join(D, "grafana", "provisioning", "dashboards", "runbookd.json")
dash = json.load(open(dpath, encoding="utf-8"))
dsp = load(os.path.join(D, "grafana", "provisioning", "datasources", "prometheus.yml"))
uids = {d.get("uid") for d in dsp.get("datasources", [])}
exprs = [t.get("expr", "") for p in dash.get("panels", []) for t in p.get("targets", [])]
check("the runbookd dashboard uses the provisioned data source",
      all((p.get("datasource") or {}).get("uid") in uids for p in dash.get("panels", [])), uids)
need_m = ["runbookd_incidents_open", "runbookd_actions_finished_total", "runbookd_pending_approvals",
          "runbookd_http_request_duration_seconds_bucket"]
check("the dashboard plots incidents, actions by state and rule, pending approvals, ingest latency",
      all(any(m in e for e in exprs) for m in need_m), exprs)
prov = load(os.path.join(D, "grafana", "provisioning", "dashboards", "runbookd.yml"))
check("grafana's dashboard provider reads the mounted directory",
      any(p.get("options", {}).get("path") == "/etc/grafana/provisioning/dashboards" for p in prov.get("providers", []))
      and "./grafana/provisioning:/etc/grafana/provisioning:ro" in services.get("grafana", {}).get("volumes", []))
with open(os.path.join(TMP, "dashboard-rules.yml"), "w", encoding="utf-8") as f:
    yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
        {"record": "dashboard:expr_%d" % i, "expr": e} for i, e in enumerate(exprs)]}]}, f)

# prometheus: rule file mounted where the config looks, targets are compose services
prom = load(os.path.join(D, "prometheus", "prometheus.yml"))
pv = services.get("prometheus", {}).get("volumes", [])
mounted = {v.split(":")[1] for v in pv if str(v).startswith("./")}
check("prometheus mounts every rule file next to its config",
      all("/etc/prometheus/" + rf in mounted for rf in prom.get("rule_files", [])), (prom.get("rule_files"), mounted))
bad = []
for job in prom.get("scrape_configs", []):
    for sc in job.get("static_configs", []):
        for t in sc.get("targets", []):
            host = t.rsplit(":", 1)[0]
            if host != "localhost" and host not in services:
                bad.append("%s: %s" % (job["job_name"], t))
for a in prom.get("alerting", {}).get("alertmanagers", []):
    for sc in a.get("static_configs", []):
        for t in sc.get("targets", []):
            if t.rsplit(":", 1)[0] not in services:
                bad.append("alertmanager target " + t)
check("every Prometheus target is a compose service", not bad, bad)
env = open(os.path.join(D, ".env"), encoding="utf-8").read()
check("docker/.env names the compose project week10",
      re.search(r"^COMPOSE_PROJECT_NAME=week10$", env, re.M) is not None)
bad = []
for cfg_path in (os.path.join(SRC, "runbookd.yaml"), os.path.join(D, "runbookd", "runbookd.yaml")):
    for name, a in (load(cfg_path).get("actions") or {}).items():
        if "run" in a and a["run"][:8] != ["docker", "compose", "--project-name", "week10", "--profile",
                                           "loadtest", "-f", "/srv/week10/docker-compose.yml"]:
            bad.append("%s: %s" % (os.path.relpath(cfg_path, SRC), name))
check("every run action names the project week10, the loadtest profile and /srv/week10/docker-compose.yml",
      not bad, bad)
lt = open(os.path.join(D, "loadtest", "order.js"), encoding="utf-8").read()
check("the load test uses k6's externally-controlled executor (needed by loadtest_slow)",
      "externally-controlled" in lt and "./loadtest:/scripts:ro" in services.get("loadtest", {}).get("volumes", []))

# ---- Dockerfile
df_path = os.path.join(D, "Dockerfile")
lines = []
cur = ""
for line in open(df_path, encoding="utf-8"):
    s = line.rstrip("\n")
    if not cur and (s.lstrip().startswith("#") or not s.strip()):
        continue
    if s.lstrip().startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append((cur + s).strip())
    cur = ""
stages = []
for ln in lines:
    if ln.upper().startswith("FROM "):
        parts = ln.split()
        stages.append({"from": parts[1], "name": parts[3] if len(parts) > 3 else "", "lines": []})
    elif stages:
        stages[-1]["lines"].append(ln)
by_name = {s["name"]: s for s in stages}
build, final = by_name.get("build"), stages[-1] if stages else None
check("Dockerfile: build stage on debian:bookworm, final stage on debian:bookworm-slim",
      build is not None and build["from"] == "debian:bookworm" and final is not None
      and final["from"] == "debian:bookworm-slim", [(s["from"], s["name"]) for s in stages])


def apt_packages(stage):
    pk = []
    for ln in stage["lines"] if stage else []:
        for m in re.finditer(r"apt-get install ([^&;]*)", ln):
            pk += [w for w in m.group(1).split() if not w.startswith("-")]
    return pk


bpk, rpk = apt_packages(build), apt_packages(final)
deps = open(os.path.join(SRC, "scripts", "install-deps.sh"), encoding="utf-8").read()
m = re.search(r"PKGS=\((.*?)\)", deps, re.S)
dev = sorted({w for w in (m.group(1).split() if m else []) if w.endswith("-dev")})
check("Dockerfile build stage installs the -dev packages of scripts/install-deps.sh and cmake",
      dev and set(dev) <= set(bpk) and "cmake" in bpk, sorted(set(dev) - set(bpk)))
check("Dockerfile runtime stage installs no -dev package, compiler or cmake",
      rpk and not [p for p in rpk if p.endswith("-dev") or p in ("gcc", "cmake", "make")], rpk)

# runtime package of each library CMakeLists.txt links: pkg-config -> .so -> dpkg -S
cm = open(os.path.join(SRC, "CMakeLists.txt"), encoding="utf-8").read()
m = re.search(r"pkg_check_modules\(\s*DEPS\s+REQUIRED\s+IMPORTED_TARGET\s+([^)]*)\)", cm)
mods = m.group(1).split() if m else []
need, why = set(), []
for mod in mods:
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", mod], capture_output=True,
                                text=True, check=True).stdout.strip()
        libs = subprocess.run(["pkg-config", "--libs-only-l", mod], capture_output=True,
                              text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError) as e:
        why.append("pkg-config %s: %s" % (mod, e))
        continue
    for lib in libs:
        so = os.path.realpath(os.path.join(libdir, "lib%s.so" % lib[2:]))
        r = subprocess.run(["dpkg", "-S", so], capture_output=True, text=True)
        if r.returncode != 0:
            why.append("dpkg -S %s: %s" % (so, r.stderr.strip()))
            continue
        need.add(r.stdout.split(":")[0])
check("Dockerfile runtime stage installs the runtime package of every linked library (%s)"
      % " ".join(sorted(need)), mods and not why and need <= set(rpk),
      "\n".join(why) + "\nmissing: %s" % sorted(need - set(rpk)))
check("Dockerfile runtime stage has curl (healthcheck) and tini (PID 1)",
      "curl" in rpk and "tini" in rpk, rpk)
fl = final["lines"] if final else []
user = [ln.split()[1] for ln in fl if ln.upper().startswith("USER ")]
check("Dockerfile runs as a non-root user",
      user and user[-1].split(":")[0] not in ("root", "0"), user)
hc = [ln for ln in fl if ln.upper().startswith("HEALTHCHECK ")]
check("Dockerfile HEALTHCHECK curls /healthz", len(hc) == 1 and "curl" in hc[0] and "/healthz" in hc[0], hc)
check("Dockerfile EXPOSE 9095", any(ln.split()[:2] == ["EXPOSE", "9095"] for ln in fl))
check("Dockerfile ENTRYPOINT runs runbookd under tini",
      any(ln.startswith("ENTRYPOINT") and "tini" in ln and "runbookd" in ln for ln in fl))

# the files the build stage copies exist, pass Dockerfile.dockerignore, and let CMake
# configure on their own (what `docker build` will see)
allow = [l[1:].strip().rstrip("/") for l in open(os.path.join(D, "Dockerfile.dockerignore"), encoding="utf-8")
         if l.startswith("!")]
copies = []
for st in stages:
    for ln in st["lines"]:
        if ln.upper().startswith("COPY ") and "--from=" not in ln:
            args = [a for a in ln.split()[1:] if not a.startswith("--")]
            copies += [(a, st["name"]) for a in args[:-1]]
bad = []
for src, st in copies:
    p = src.rstrip("/")
    if not os.path.exists(os.path.join(SRC, p)):
        bad.append("%s: %s does not exist" % (st, src))
    if not any(p == a or p.startswith(a + "/") for a in allow):
        bad.append("%s: %s is excluded by Dockerfile.dockerignore" % (st, src))
check("Dockerfile COPY sources exist and are in the build context", copies and not bad, bad)
# what CMakeLists.txt reads from the source tree (globs included: an empty migrations/
# still configures, but builds a binary without its schema)
wanted = set(re.findall(r"\$\{CMAKE_SOURCE_DIR\}/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*)", cm))
wanted |= {"tests/CMakeLists.txt"} if "add_subdirectory(tests)" in cm else set()
copied = [src.rstrip("/") for src, st in copies if st == "build"]
missing = sorted(w for w in wanted if not any(w == c or w.startswith(c + "/") for c in copied))
check("Dockerfile build stage copies everything CMakeLists.txt reads", not missing, missing)
ctx = os.path.join(TMP, "ctx")
os.makedirs(ctx)
for src, st in copies:
    if st != "build":
        continue
    p = src.rstrip("/")
    dst = os.path.join(ctx, p)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.isdir(os.path.join(SRC, p)):
        shutil.copytree(os.path.join(SRC, p), dst, dirs_exist_ok=True)
    elif os.path.exists(os.path.join(SRC, p)):
        shutil.copy(os.path.join(SRC, p), dst)
r = subprocess.run(["cmake", "-S", ctx, "-B", os.path.join(ctx, "build"),
                    "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DRBD_ASAN=OFF"],
                   capture_output=True, text=True)
check("CMake configures from the build stage's files alone", r.returncode == 0,
      (r.stdout + r.stderr)[-2000:])

print("# python: %d passed, %d failed" % (passed, failed))
open(os.path.join(TMP, "py.count"), "w").write("%d %d\n" % (passed, failed))
PYEOF
	if [ -s "$TMP/py.count" ]; then
		read -r p f <"$TMP/py.count"
		passed=$((passed + p))
		failed=$((failed + f))
	else
		not_ok "structural checks ran to the end"
	fi
fi

# the dashboard's PromQL parses (each expression checked as a recording rule)
if [ -s "$TMP/dashboard-rules.yml" ] && command -v promtool >/dev/null 2>&1; then
	run_check "promtool parses every expression of the runbookd dashboard" \
		promtool check rules "$TMP/dashboard-rules.yml"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
