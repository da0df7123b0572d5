#!/usr/bin/env bash
# lint: the shipped configuration (runbookd.yaml, docker/runbookd/runbookd.yaml) and
# rules (rules/*.yaml) keep the promises of issue 7, checked on the files themselves
# (no runbookd binary needed):
#   - no action can render a data-destroying docker command: no argv element is
#     `down`, `rm`, `prune`, `volume(s)`, `-v`, `--volumes...` or a short-option cluster
#     holding `v`, and no templated element can become one, whatever the labels say
#     (only `{{ .Params.x }}` reaches an argv, each such param has a one_of list of
#     plain names, and a corpus of hostile label values is refused by it);
#   - every rule cites its runbook section ("runbook 2.N") in its description, every
#     section 2.1-2.6 has rules, and every alert of docker/prometheus/alerts.yml is
#     handled by a rule whose alertname exists there;
#   - the gates follow the runbook: restarts, stops and app switches wait for approval;
#     only the load test, log collection and silences run at once; every rule has a
#     cooldown and a runs-per-hour cap;
#   - the captured Alertmanager 0.25 deliveries (tests/fixtures/alertmanager-0.25)
#     match the rules listed in EXPECTED below, with the argv shown;
#   - the host and the in-stack configurations define the same actions.
# Needs python3 with PyYAML (Debian: python3-yaml).
set -uo pipefail

SRC=${RBD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

PY=""
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import yaml' >/dev/null 2>&1; then
		PY=$cand
		break
	fi
done
if [ -z "$PY" ]; then
	echo "not ok - python3 with PyYAML is needed (Debian package python3-yaml)"
	echo "0 passed, 1 failed"
	exit 1
fi

exec "$PY" - "$SRC" <<'PYEOF'
import glob
import os
import re
import sys

import yaml

SRC = sys.argv[1]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + name)
    if not ok and detail:
        for line in str(detail).splitlines():
            print("    " + line)


def load(path):
    # BaseLoader: every scalar stays a string, as libyaml hands it to runbookd
    # (YAML 1.1 would turn the key `on` into a boolean).
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)


HOST_CFG = os.path.join(SRC, "runbookd.yaml")
STACK_CFG = os.path.join(SRC, "docker", "runbookd", "runbookd.yaml")
ALERTS = os.path.join(SRC, "docker", "prometheus", "alerts.yml")
FIXTURES = os.path.join(SRC, "tests", "fixtures", "alertmanager-0.25")

configs = {}
for path in (HOST_CFG, STACK_CFG):
    try:
        configs[path] = load(path)
        check("parses: " + os.path.relpath(path, SRC), isinstance(configs[path], dict))
    except Exception as e:  # noqa: BLE001 - report any parse error as a failure
        check("parses: " + os.path.relpath(path, SRC), False, e)
        configs[path] = {}

host = configs[HOST_CFG]
rules = []
rule_files = sorted(glob.glob(os.path.join(SRC, "rules", "*.yaml")) +
                    glob.glob(os.path.join(SRC, "rules", "*.yml")))
check("rules/ holds rule files", len(rule_files) > 0)
for path in rule_files:
    try:
        doc = load(path)
        for r in doc.get("rules", []):
            r["_file"] = os.path.relpath(path, SRC)
            rules.append(r)
        check("parses: " + os.path.relpath(path, SRC), True)
    except Exception as e:  # noqa: BLE001
        check("parses: " + os.path.relpath(path, SRC), False, e)

# ---------------------------------------------------------------- actions: argv
FORBIDDEN_WORDS = {"down", "rm", "prune", "volume", "volumes", "-v", "--volumes", "rmi"}


def forbidden(elem):
    e = elem.strip().lower()
    if e in FORBIDDEN_WORDS:
        return True
    if e.startswith("--volumes"):
        return True
    # a cluster of short options (-fv, -sv) that holds -v
    if re.fullmatch(r"-[a-z]+", e) and "v" in e[1:]:
        return True
    return False


TMPL = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")

HOSTILE = ["down", "-v", "--volumes", "--volumes=true", "rm", "prune", "volume",
           "mysql -v", "app; docker compose down -v", "$(docker volume rm week10_mysql-data)",
           "`rm -rf /`", "app\nrm", "app\x00", "-fsv", "@/etc/passwd", "app*", "../app",
           "APP", " app", "app ", "x" * 4096, ""]


def param_accepts(spec, value):
    """Mirror of the documented allowlist check (SPEC, include/runbookd/template.h)."""
    if value == "" or len(value) > 1024:
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in value):
        return False
    one_of = spec.get("one_of")
    if one_of is not None:
        return value in one_of
    pattern = spec.get("pattern")
    if pattern is not None:
        if value[:1] in ("-", "@"):
            return False
        return re.fullmatch(pattern, value) is not None
    return False


for cfg_path, cfg in configs.items():
    rel = os.path.relpath(cfg_path, SRC)
    actions = cfg.get("actions", {}) or {}
    check(rel + ": has actions", len(actions) > 0)
    for name, a in actions.items():
        params = a.get("params", {}) or {}
        kinds = [k for k in ("run", "http", "silence") if k in a]
        check("%s: action %s has exactly one kind" % (rel, name), len(kinds) == 1, kinds)
        for pname, spec in params.items():
            vals = spec.get("one_of")
            if vals is not None:
                bad = [v for v in vals if forbidden(v) or not SAFE_NAME.fullmatch(v)]
                check("%s: %s param %s allowlist holds plain names only" % (rel, name, pname),
                      not bad, bad)
            else:
                pat = spec.get("pattern", "")
                bad = [w for w in sorted(FORBIDDEN_WORDS) if re.fullmatch(pat, w)]
                check("%s: %s param %s pattern cannot produce a forbidden word" % (rel, name, pname),
                      not bad, bad)
            bad = [h for h in HOSTILE if param_accepts(spec, h)]
            check("%s: %s param %s refuses hostile label values" % (rel, name, pname), not bad,
                  [repr(b[:40]) for b in bad])
        if "run" not in a:
            continue
        argv = a["run"]
        check("%s: %s argv[0] is the bare name docker" % (rel, name), argv[:1] == ["docker"], argv)
        bad = [e for e in argv if forbidden(e)]
        check("%s: %s argv has no down/rm/prune/volume/-v/--volumes" % (rel, name), not bad, bad)
        refs = []
        for e in argv:
            for m in TMPL.finditer(e):
                refs.append((e, m.group(1)))
        ok = True
        detail = []
        for elem, ref in refs:
            mp = re.fullmatch(r"\.Params\.([A-Za-z_][A-Za-z0-9_]*)", ref)
            if not mp or TMPL.sub("", elem) != "":
                ok = False
                detail.append("templated element %r: only a whole {{ .Params.x }} may reach argv" % elem)
                continue
            if mp.group(1) not in params:
                ok = False
                detail.append("%r names an undeclared param" % elem)
        check("%s: %s argv templates only whole declared params" % (rel, name), ok, "\n".join(detail))
        # the subcommand of a docker compose action is literal, never templated
        sub = None
        i = 2 if argv[:2] == ["docker", "compose"] else 1
        while i < len(argv):
            if argv[i] in ("-f", "--file", "-p", "--project-name", "--profile"):
                i += 2
                continue
            sub = argv[i]
            break
        check("%s: %s subcommand %r is literal and allowed" % (rel, name, sub),
              sub in ("stop", "restart", "logs", "exec", "start", "ps"), sub)
        # every value each param can take, put in its place: still nothing forbidden
        rendered_bad = []
        for elem, ref in refs:
            pname = ref.split(".")[-1]
            for v in (params.get(pname, {}) or {}).get("one_of", []) or []:
                if forbidden(v):
                    rendered_bad.append(v)
        check("%s: %s renders nothing forbidden for any allowed value" % (rel, name),
              not rendered_bad, rendered_bad)

    for name, a in actions.items():
        if "http" not in a:
            continue
        h = a["http"]
        url = h.get("url", "")
        m = re.match(r"(https?)://([^/{}]+)(/.*)?$", url)
        check("%s: %s url has a fixed http(s) scheme, host and port" % (rel, name),
              m is not None and "{{" not in (m.group(2) if m else "{{"), url)
        refs = [r for r in TMPL.findall(url + h.get("body", ""))]
        bad = [r for r in refs if r not in (".Rule", ".IncidentID", ".Fingerprint", ".Status")
               and not r.startswith(".Params.")]
        check("%s: %s request templates no label or annotation" % (rel, name), not bad, bad)

# The two configurations run the same rules: same actions, same argv, same allowlists,
# same request paths and bodies (only the host of the app differs).
hs = configs[HOST_CFG].get("actions", {}) or {}
ss = configs[STACK_CFG].get("actions", {}) or {}
check("host and stack configs define the same actions", sorted(hs) == sorted(ss),
      "host only: %s\nstack only: %s" % (sorted(set(hs) - set(ss)), sorted(set(ss) - set(hs))))
for name in sorted(set(hs) & set(ss)):
    a, b = hs[name], ss[name]
    same = a.get("run") == b.get("run") and a.get("params") == b.get("params") \
        and a.get("silence") == b.get("silence") and a.get("timeout") == b.get("timeout")
    if "http" in a or "http" in b:
        ha, hb = a.get("http", {}), b.get("http", {})
        path = lambda u: re.sub(r"^[a-z]+://[^/]+", "", u or "")  # noqa: E731
        same = same and ha.get("method") == hb.get("method") and ha.get("body") == hb.get("body") \
            and path(ha.get("url")) == path(hb.get("url"))
    check("action %s is the same in both configs" % name, same)

for path, cfg in configs.items():
    rel = os.path.relpath(path, SRC)
    check(rel + ": mode is dry-run", cfg.get("mode") == "dry-run", cfg.get("mode"))
    toks = (cfg.get("auth", {}) or {}).get("tokens", []) or []
    roles = sorted(t.get("role", "") for t in toks)
    check(rel + ": ingest, operator and viewer tokens, each from a file",
          roles == ["ingest", "operator", "viewer"] and all("token_file" in t for t in toks)
          and not any("token" in t for t in toks), toks)
check("runbookd.yaml listens on 127.0.0.1:9095", host.get("listen") == "127.0.0.1:9095")
check("runbookd.yaml database var/runbookd.db, rules rules/",
      host.get("database") == "var/runbookd.db" and host.get("rules") == "rules/")

# ---------------------------------------------------------------- rules
APPROVAL_REQUIRED = {"compose_restart", "compose_stop_service", "flag_writes_off",
                     "flag_writes_on", "rate_limit_cache_paths", "limit_db_heavy_endpoints"}
# grafana_annotate only writes a dashboard annotation: nothing to approve.
AT_ONCE_OK = {"loadtest_stop", "loadtest_slow", "compose_logs_tail", "silence_alert",
              "grafana_annotate"}

actions = host.get("actions", {}) or {}
check("every action is classified as gated or at-once",
      set(actions) <= APPROVAL_REQUIRED | AT_ONCE_OK, sorted(set(actions) - APPROVAL_REQUIRED - AT_ONCE_OK))

alerts_doc = load(ALERTS)
alert_names = set()
for g in alerts_doc.get("groups", []):
    for r in g.get("rules", []):
        if "alert" in r:
            alert_names.add(r["alert"])

MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


def parse_matchers(rule):
    out = []
    for m in rule.get("matchers", []) or []:
        mm = MATCHER.match(m)
        if not mm:
            return None
        out.append((mm.group(1), mm.group(2), mm.group(3)))
    return out


def alternatives(op, value):
    """Values an =/=~ matcher on a plain alternation accepts, or None if not plain."""
    if op == "=":
        return [value]
    if op == "=~" and re.fullmatch(r"[A-Za-z0-9_.-]+(\|[A-Za-z0-9_.-]+)*", value):
        return value.split("|")
    return None


names = [r.get("name") for r in rules]
check("rule names are unique", len(names) == len(set(names)),
      sorted({n for n in names if names.count(n) > 1}))
sections = set()
matched_alerts = set()
for r in rules:
    n = "%s: rule %s" % (r["_file"], r.get("name"))
    desc = r.get("description", "")
    cites = re.findall(r"runbook (2\.[1-6])\b", desc)
    check(n + " description cites its runbook section", len(cites) > 0, desc)
    sections.update(cites)
    act = r.get("action")
    check(n + " action exists in both configs", act in actions and act in ss, act)
    ms = parse_matchers(r)
    check(n + " matchers parse", ms is not None and len(ms) > 0, r.get("matchers"))
    ms = ms or []
    for (lbl, op, val) in ms:
        if op in ("=~", "!~"):
            try:
                re.compile(val)
                ok = True
            except re.error:
                ok = False
            check(n + " regex %r compiles" % val, ok)
    an = [alternatives(op, v) for (l, op, v) in ms if l == "alertname"]
    an_ok = len(an) == 1 and an[0] is not None
    check(n + " names its alerts with one alertname = / =~ a|b matcher", an_ok, r.get("matchers"))
    if an_ok:
        unknown = [a for a in an[0] if a not in alert_names]
        check(n + " alertnames exist in docker/prometheus/alerts.yml", not unknown, unknown)
        matched_alerts.update(an[0])
    appr = r.get("approval")
    check(n + " states approval explicitly", appr in ("true", "false"), appr)
    if act in APPROVAL_REQUIRED:
        check(n + " (%s) waits for approval" % act, appr == "true", appr)
    else:
        check(n + " (%s) may run at once" % act, act in AT_ONCE_OK, act)
    check(n + " has a cooldown and a runs-per-hour cap",
          bool(r.get("cooldown")) and bool(r.get("max_runs_per_hour")))
    if act in APPROVAL_REQUIRED or act in ("loadtest_stop", "loadtest_slow"):
        check(n + " has a circuit breaker", bool(r.get("max_failures_per_hour")))
    if act in ("loadtest_stop", "loadtest_slow"):
        check(n + " acts at once only outside prod", ("env", "!=", "prod") in ms, ms)
    check(n + " on: firing|resolved", r.get("on", "firing") in ("firing", "resolved"))
    # params: declared, complete, and label-templated ones pinned by a matcher to
    # values the allowlist holds
    aparams = (actions.get(act, {}) or {}).get("params", {}) or {}
    rparams = r.get("params", {}) or {}
    check(n + " params are declared by the action", set(rparams) <= set(aparams),
          sorted(set(rparams) - set(aparams)))
    check(n + " gives every param the action needs", set(aparams) <= set(rparams),
          sorted(set(aparams) - set(rparams)))
    for pname, ptmpl in rparams.items():
        spec = aparams.get(pname, {})
        refs = TMPL.findall(ptmpl)
        if not refs:
            check(n + " literal param %s=%s passes the allowlist" % (pname, ptmpl),
                  param_accepts(spec, ptmpl))
            continue
        for ref in refs:
            ml = re.fullmatch(r"\.Labels\.([A-Za-z_][A-Za-z0-9_]*)", ref)
            if not ml:
                check(n + " param %s templates a label" % pname, False, ref)
                continue
            pins = [alternatives(op, v) for (l, op, v) in ms if l == ml.group(1)]
            pins = [p for p in pins if p is not None]
            ok = len(pins) > 0 and all(param_accepts(spec, v) for v in pins[0])
            check(n + " label %s is pinned by a matcher to allowlisted values" % ml.group(1),
                  ok, "matchers %s, allowlist %s" % (ms, spec))

check("every runbook section 2.1-2.6 has rules",
      sections >= {"2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}, sorted(sections))
check("every alert of alerts.yml is handled by a rule", alert_names <= matched_alerts,
      sorted(alert_names - matched_alerts))

# ---------------------------------------------------------------- fixtures
import json  # noqa: E402


def matches(ms, labels):
    for (l, op, v) in ms:
        have = labels.get(l, "")
        if op == "=" and have != v:
            return False
        if op == "!=" and have == v:
            return False
        if op == "=~" and not re.fullmatch(v, have):
            return False
        if op == "!~" and re.fullmatch(v, have):
            return False
    return True


def render(rule, labels):
    act = actions[rule["action"]]
    aparams = act.get("params", {}) or {}
    vals = {}
    for pname, ptmpl in (rule.get("params", {}) or {}).items():
        v = TMPL.sub(lambda m: labels.get(m.group(1).split(".")[-1], ""), ptmpl)
        if not param_accepts(aparams.get(pname, {}), v):
            return "refused: param %s=%r" % (pname, v)
        vals[pname] = v
    if "run" in act:
        return " ".join(TMPL.sub(lambda m: vals.get(m.group(1).split(".")[-1], ""), e) for e in act["run"])
    if "http" in act:
        return "%s %s" % (act["http"]["method"], act["http"]["url"])
    return "silence %s" % ",".join("%s=%s" % (l, labels.get(l, "")) for l in act["silence"]["labels"])


# What the lead's `runbookd simulate` test on the shipped config should also see.
EXPECTED = {
    "firing-high-error-rate.json": {
        "errors-collect-app-logs": "docker compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml logs --no-color --timestamps --tail=200 app",
        "errors-limit-writes": "POST http://127.0.0.1:8080/admin/flags/order-writes",
    },
    "firing-high-latency.json": {
        "latency-stop-loadtest": "docker compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml stop loadtest",
        "latency-collect-app-logs": "docker compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml logs --no-color --timestamps --tail=200 app",
    },
    "firing-disk-full-truncated.json": {
        "disk-stop-loadtest": "docker compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml stop loadtest",
        "disk-collect-service-logs": "docker compose --project-name week10 --profile loadtest -f /srv/week10/docker-compose.yml logs --no-color --timestamps --tail=200 mysql",
    },
    "resolved-high-error-rate.json": {
        "errors-restore-writes": "POST http://127.0.0.1:8080/admin/flags/order-writes",
    },
    "resolved-high-latency.json": {},
    "resolved-disk-full-truncated.json": {},
}
for fname, want in sorted(EXPECTED.items()):
    with open(os.path.join(FIXTURES, fname), encoding="utf-8") as f:
        payload = json.load(f)
    got = {}
    for alert in payload["alerts"]:
        for r in rules:
            if r.get("on", "firing") != alert["status"]:
                continue
            ms = parse_matchers(r) or []
            if matches(ms, alert["labels"]):
                got.setdefault(r["name"], render(r, alert["labels"]))
    ok = got == want
    detail = "\n".join("%s -> %s" % kv for kv in sorted(got.items()))
    check("fixture %s plans exactly %s" % (fname, sorted(want)), ok,
          "got:\n" + detail + "\nwant:\n" + "\n".join("%s -> %s" % kv for kv in sorted(want.items())))

# Whatever the labels say: every label-templated rule, fed each hostile value as
# every label, refuses or renders an argv with nothing forbidden.
leaks = []
for r in rules:
    act = actions.get(r.get("action"), {})
    if "run" not in act:
        continue
    for h in HOSTILE:
        out = render(r, {"service": h, "alertname": h, "severity": h, "env": h})
        if not out.startswith("refused") and any(forbidden(e) for e in out.split(" ")):
            leaks.append((r["name"], h, out))
check("hostile label values never render a forbidden argv", not leaks, leaks)

passed = sum(1 for x in results if x)
failed = len(results) - passed
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
