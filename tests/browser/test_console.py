#!/usr/bin/python3
"""The browser console in a real browser: Debian's headless Chromium driven by
python3-selenium through chromium-driver, against the real binary on an ephemeral
loopback port with a temp database.

Usage: test_console.py PATH/TO/runbookd
Screenshots go to $RBD_SCREENSHOTS (default ./screenshots): the incident page at
390 px and 1280 px, and one per failed check.
"""
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

BIN = os.path.abspath(sys.argv[1])
TESTS = os.environ.get("RBD_TESTS", os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(TESTS, "fixtures", "alertmanager-0.25")
SHOTS = os.path.abspath(os.environ.get("RBD_SCREENSHOTS", "screenshots"))
T = tempfile.mkdtemp(prefix="rbd-browser.")
PASSES, FAILS = 0, 0
DRIVER = None
PROC = None
BASE = ""
TOKENS = {}


def ok(what):
    global PASSES
    PASSES += 1
    print("ok   " + what, flush=True)


def fail(what):
    global FAILS
    FAILS += 1
    print("FAIL " + what, flush=True)
    shot("failure-%d" % FAILS)


def check(what, cond, detail=""):
    if cond:
        ok(what)
    else:
        fail(what + (": " + detail if detail else ""))
    return cond


def shot(name, width=None):
    if not DRIVER:
        return
    os.makedirs(SHOTS, exist_ok=True)
    if width:
        DRIVER.set_window_size(width, 900)
        # The whole page, not just the first screen (the driver's script, not the page's).
        height = DRIVER.execute_script("return document.documentElement.scrollHeight")
        DRIVER.set_window_size(width, min(int(height or 900) + 120, 5000))
    path = os.path.join(SHOTS, name + ".png")
    DRIVER.save_screenshot(path)
    print("     screenshot " + path, flush=True)


def deadline_poll(fn, seconds=15.0, step=0.2):
    end = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


# ---- runbookd ----

def write_config():
    os.makedirs(os.path.join(T, "tokens"))
    for role in ("ingest", "operator", "viewer"):
        p = os.path.join(T, "tokens", role + ".token")
        TOKENS[role] = os.urandom(24).hex()
        with open(os.open(p, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(TOKENS[role])
    with open(os.path.join(T, "rules.yaml"), "w") as f:
        f.write("""rules:
  - name: errors-restart
    description: "5xx surge: restart the service (runbook 2.1)"
    matchers: [ 'alertname = "HighErrorRate"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
  - name: latency-probe
    description: "a probe that fails: its breaker trips after one failure"
    matchers: [ 'alertname = "HighLatencyP99"' ]
    action: probe
    max_failures_per_hour: 1
  - name: latency-scale
    description: "two operators must agree"
    matchers: [ 'alertname = "HighLatencyP99"' ]
    action: restart
    params: { service: "{{ .Labels.service }}" }
    approval: true
    approvals: 2
""")
    with open(os.path.join(T, "runbookd.yaml"), "w") as f:
        f.write("""listen: 127.0.0.1:0
database: %(t)s/runbookd.db
mode: enforce
rules: %(t)s/rules.yaml
ui: { refresh: 20s }
auth:
  tokens:
    - { name: alertmanager, role: ingest, token_file: %(t)s/tokens/ingest.token }
    - { name: alice, role: operator, token_file: %(t)s/tokens/operator.token }
    - { name: grafana, role: viewer, token_file: %(t)s/tokens/viewer.token }
actions:
  restart:
    run: [echo, restart, "{{ .Params.service }}"]
    params:
      service: { pattern: "[a-z-]+" }
    timeout: 10s
  probe:
    run: [false]
    timeout: 10s
""" % {"t": T})


def start_rbd():
    global PROC, BASE
    port_file = os.path.join(T, "port")
    env = dict(os.environ, RUNBOOKD_PORT_FILE=port_file)
    log = open(os.path.join(T, "runbookd.log"), "ab")
    PROC = subprocess.Popen([BIN, "serve", "-c", os.path.join(T, "runbookd.yaml")],
                            stdout=log, stderr=log, env=env)
    port = deadline_poll(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 10)
    if not port:
        raise RuntimeError("runbookd did not start")
    BASE = "http://127.0.0.1:%s" % port


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(method, path, token=None, body=None, ctype=None, cookie=None):
    """(status, headers, body text) without following redirects."""
    req = urllib.request.Request(BASE + path, method=method, data=body)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if ctype:
        req.add_header("Content-Type", ctype)
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with OPENER.open(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def api(path, token=None):
    status, _, body = http("GET", path, token or TOKENS["viewer"])
    return json.loads(body) if status == 200 else None


def post_alerts(payload):
    return http("POST", "/api/v1/alerts", TOKENS["ingest"], json.dumps(payload).encode(),
                "application/json")[0]


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return json.load(f)


def form_post(path, fields, cookie):
    return http("POST", path, body=urllib.parse.urlencode(fields).encode(),
                ctype="application/x-www-form-urlencoded", cookie=cookie)


# ---- the browser ----

def start_browser():
    global DRIVER
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-extensions",
              "--user-data-dir=" + os.path.join(T, "chromium"), "--window-size=1280,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    svc = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                  log_output=os.path.join(T, "chromedriver.log")) \
        if "log_output" in Service.__init__.__code__.co_varnames else \
        Service(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                log_path=os.path.join(T, "chromedriver.log"))
    DRIVER = webdriver.Chrome(service=svc, options=opts)
    DRIVER.set_page_load_timeout(20)


def go(path):
    DRIVER.get(BASE + path)


def submit(el):
    """Clicks a button or link that loads a new page, and waits for that page."""
    old = DRIVER.find_element(By.TAG_NAME, "html")
    el.click()

    def gone():
        # Chromedriver reports the old page's element as stale, or as a node of no
        # document: either means the new page is there.
        try:
            old.tag_name
            return False
        except WebDriverException:
            return True
    if not deadline_poll(gone, 15, 0.05):
        raise RuntimeError("no new page after the click")


def text():
    return DRIVER.find_element(By.TAG_NAME, "body").text


def css(sel):
    return DRIVER.find_elements(By.CSS_SELECTOR, sel)


def sign_in(role):
    go("/ui/login")               # cookies are deleted for the page's own site
    DRIVER.delete_all_cookies()
    go("/ui/")
    check("%s: /ui/ without a session goes to the sign-in page" % role,
          DRIVER.current_url.endswith("/ui/login"), DRIVER.current_url)
    DRIVER.find_element(By.ID, "token").send_keys(TOKENS[role])
    submit(DRIVER.find_element(By.CSS_SELECTOR, "form.login button"))
    check("%s: signed in, on the incidents page" % role,
          DRIVER.current_url.endswith("/ui/") and "Incidents" in DRIVER.title, DRIVER.current_url)


def session_cookie():
    c = DRIVER.get_cookie("rbd_session")
    return "rbd_session=" + c["value"] if c else ""


def no_script_ran(where):
    try:
        DRIVER.switch_to.alert.dismiss()
        fail(where + ": a dialog opened")
    except NoAlertPresentException:
        ok(where + ": no dialog opened")
    logs = [e for e in DRIVER.get_log("browser") if e.get("level") in ("SEVERE", "WARNING")]
    check(where + ": the browser log has no errors", not logs, json.dumps(logs)[:600])


# ---- the checks ----

def t_headers_and_root():
    status, h, _ = http("GET", "/")
    check("GET / redirects to the console", status == 303 and h["Location"] == "/ui/",
          "%s %s" % (status, h.get("Location")))
    status, h, body = http("GET", "/ui/login")
    check("sign-in page 200", status == 200)
    check("CSP header", h.get("Content-Security-Policy") ==
          "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
          "frame-ancestors 'none'", str(h.get("Content-Security-Policy")))
    check("nosniff and no-referrer", h.get("X-Content-Type-Options") == "nosniff" and
          h.get("Referrer-Policy") == "no-referrer")
    cookie = h.get("Set-Cookie", "")
    check("pre-sign-in cookie is HttpOnly, SameSite=Strict, Path=/ui",
          "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/ui" in cookie, cookie)
    check("no script element, no inline style", "<script" not in body and "style=" not in body)
    status, h, body = http("GET", "/ui/style.css")
    check("stylesheet served by the binary", status == 200 and "text/css" in h["Content-Type"] and
          len(body) < 16384)
    status, _, _ = http("GET", "/ui/incidents/1/export.md")
    check("export without a session redirects to sign-in", status == 303)
    status, _, _ = http("GET", "/ui/incidents/1/export.md", TOKENS["operator"])
    check("a bearer token is no console session", status == 303)


def t_bad_sign_in():
    DRIVER.delete_all_cookies()
    go("/ui/login")
    DRIVER.find_element(By.ID, "token").send_keys("not-a-token")
    submit(DRIVER.find_element(By.CSS_SELECTOR, "form.login button"))
    check("a wrong token is refused on the page", "not valid" in text(), text()[:200])
    check("no session cookie after a wrong token", DRIVER.get_cookie("rbd_session") is None)


def t_operator_approves():
    check("fixture posted", post_alerts(fixture("firing-high-error-rate.json")) == 200)
    action = api("/api/v1/actions?state=pending_approval")["actions"][0]
    command = " ".join(action["argv"])
    sign_in("operator")
    DRIVER.get_log("browser")   # the wrong token's 403 before is expected
    cookie = DRIVER.get_cookie("rbd_session")
    check("session cookie: HttpOnly, SameSite=Strict, Path=/ui, not the token",
          cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict" and
          cookie["path"] == "/ui" and TOKENS["operator"] not in cookie["value"], str(cookie))
    check("incident list shows the pending count", "1 pending approval" in text(), text()[:400])
    check("list pages refresh themselves (ui.refresh: 20s)",
          len(css('meta[http-equiv="refresh"][content="20"]')) == 1)
    submit(DRIVER.find_element(By.CSS_SELECTOR, "a.title"))
    check("incident page", "/ui/incidents/%d" % action["incident_id"] in DRIVER.current_url)
    check("no refresh on a page with a form", not css('meta[http-equiv="refresh"]'))
    card = DRIVER.find_element(By.ID, "action-%d" % action["id"])
    check("the pending action shows its exact command",
          card.find_element(By.CSS_SELECTOR, "pre.cmd").text == command,
          card.find_element(By.CSS_SELECTOR, "pre.cmd").text + " != " + command)
    check("quorum shown as 0/1", card.find_element(By.CSS_SELECTOR, ".quorum").text == "0/1")
    check("gate reason shown", "approval" in card.find_element(By.CSS_SELECTOR, ".reason").text)
    check("expiry shown", "Expires" in card.text)
    check("runbook_url https is a link",
          css('a.runbook[href="https://runbooks.example/5xx"]') != [])
    check("summary shown", "5xx rate above 5%" in text())
    check("no script element on the page", not css("script"))
    shot("incident-390", 390)
    shot("incident-1280", 1280)
    DRIVER.set_window_size(1280, 900)
    comment = "db pool drained; restart approved by on-call"
    card = DRIVER.find_element(By.ID, "action-%d" % action["id"])
    card.find_element(By.NAME, "comment").send_keys(comment)
    submit(card.find_element(By.CSS_SELECTOR, "button.go"))
    check("approve: the page says so", "Approved action #%d." % action["id"] in text(), text()[:300])

    def succeeded():
        go("/ui/incidents/%d" % action["incident_id"])
        c = DRIVER.find_element(By.ID, "action-%d" % action["id"])
        return "succeeded" in c.find_element(By.CSS_SELECTOR, ".badge").text
    check("the action succeeded", deadline_poll(succeeded, 15, 0.3))
    card = DRIVER.find_element(By.ID, "action-%d" % action["id"])
    check("who decided, with the comment", "alice approved: " in card.text and comment in card.text,
          card.text)
    check("the comment is in the timeline",
          comment in DRIVER.find_element(By.CSS_SELECTOR, "ol.timeline").text)
    check("exit code shown", "Exit code" in card.text)
    DRIVER.find_element(By.NAME, "text").send_keys("customers notified")
    submit(DRIVER.find_element(By.CSS_SELECTOR, "form.note button"))
    check("note added through the form", "Note added." in text() and
          "customers notified" in DRIVER.find_element(By.CSS_SELECTOR, "ol.timeline").text)
    submit(DRIVER.find_element(By.LINK_TEXT, "Report (Markdown)"))
    report = text()
    check("the comment is in the Markdown report", comment in report, report[:300])
    check("the note is in the Markdown report", "customers notified" in report)
    _, _, api_md = http("GET", "/api/v1/incidents/%d/timeline?format=md" % action["incident_id"],
                        TOKENS["viewer"])
    _, _, ui_md = http("GET", "/ui/incidents/%d/export.md" % action["incident_id"],
                       cookie=session_cookie())
    check("the console's report is the API's bytes", ui_md == api_md and len(ui_md) > 100)
    status, h, _ = http("GET", "/ui/incidents/%d/export.csv" % action["incident_id"],
                        cookie=session_cookie())
    check("CSV export downloads", status == 200 and "attachment" in h.get("Content-Disposition", ""))
    # A second approval of a decided action: a message on the page, not an error page.
    go("/ui/approvals")
    status, h, _ = form_post("/ui/actions/%d/approve" % action["id"],
                             {"csrf": csrf_of_page(), "from": "/ui/approvals"}, session_cookie())
    go("/ui/approvals")
    check("a 409 shows as a message", status == 303 and
          css(".flash.bad") and "not pending_approval" in css(".flash.bad")[0].text, text()[:300])
    no_script_ran("operator pages")


def csrf_of_page():
    go("/ui/rules")
    return DRIVER.find_element(By.NAME, "csrf").get_attribute("value")


def t_csrf():
    incident = api("/api/v1/incidents")["incidents"][0]["id"]
    notes = lambda: len([e for e in api("/api/v1/incidents/%d/timeline" % incident)["events"]
                         if e["kind"] == "note.added"])
    before = notes()
    cookie = session_cookie()
    for what, fields in (("without", {"text": "forged"}),
                         ("with a wrong", {"text": "forged", "csrf": "0" * 64}),
                         ("with an empty", {"text": "forged", "csrf": ""})):
        status, _, _ = form_post("/ui/incidents/%d/notes" % incident, fields, cookie)
        check("note POST %s CSRF token is 403" % what, status == 403, str(status))
        status, _, _ = form_post("/ui/pause", dict(fields), cookie)
        check("pause POST %s CSRF token is 403" % what, status == 403, str(status))
    check("nothing changed: no note added", notes() == before)
    check("nothing changed: not paused", api("/api/v1/rules")["paused"] is False)
    status, _, _ = form_post("/ui/incidents/%d/notes" % incident,
                             {"text": "real", "csrf": csrf_of_page()}, cookie)
    check("the same POST with the session's token works", status == 303 and notes() == before + 1)


def t_pause_banner():
    go("/ui/rules")
    submit(DRIVER.find_element(By.CSS_SELECTOR, ".killswitch button"))
    check("paused through the console", api("/api/v1/rules")["paused"] is True)
    incident = api("/api/v1/incidents")["incidents"][0]["id"]
    for page in ("/ui/", "/ui/incidents/%d" % incident, "/ui/approvals", "/ui/rules",
                 "/ui/incidents/999"):
        go(page)
        check("pause banner on " + page, css("#paused") and
              "Kill switch is ON" in css("#paused")[0].text)
        if page in ("/ui/", "/ui/rules"):
            shot("paused-%s-390" % (page.strip("/").replace("/", "-") or "incidents"), 390)
            DRIVER.set_window_size(1280, 900)
    events = api("/api/v1/incidents/%d/timeline" % incident)
    submit(DRIVER.find_element(By.CSS_SELECTOR, "#paused button"))
    check("resumed through the banner", api("/api/v1/rules")["paused"] is False and not css("#paused"))
    del events


def t_breaker():
    check("failing fixture posted", post_alerts(fixture("firing-high-latency.json")) == 200)

    def tripped():
        go("/ui/rules")
        return [r for r in css("table.rules tr") if "latency-probe" in r.text and
                "breaker tripped" in r.text]
    rows = deadline_poll(tripped, 15, 0.3)
    check("tripped breaker shown with a reset button", rows and
          rows[0].find_elements(By.CSS_SELECTOR, "button"))
    check("failures of the last hour shown", rows and "1 / 1" in rows[0].text)
    shot("rules-tripped-390", 390)
    DRIVER.set_window_size(1280, 900)
    if rows:
        submit(rows[0].find_element(By.CSS_SELECTOR, "button"))
    check("breaker reset through the console", "Breaker reset." in text() and
          not [r for r in api("/api/v1/rules")["rules"] if r["tripped"]])


def t_viewer():
    pending = fixture("firing-high-error-rate.json")
    pending["alerts"][0]["startsAt"] = "2026-11-25T09:00:00.000Z"
    pending["alerts"][0]["fingerprint"] = "0123456789abcdef"
    check("new episode posted", post_alerts(pending) == 200)
    action = api("/api/v1/actions?state=pending_approval")["actions"][0]
    sign_in("viewer")
    for page in ("/ui/", "/ui/incidents/%d" % action["incident_id"], "/ui/approvals", "/ui/rules"):
        go(page)
        check("viewer sees no forms on " + page,
              not css("form") and not css("input") and not css("textarea") and not css("button"))
    go("/ui/approvals")
    check("viewer sees the pending action", css("#action-%d" % action["id"]) != [])
    shot("approvals-viewer-390", 390)
    DRIVER.set_window_size(1280, 900)
    check("viewer's approvals page refreshes itself", len(css('meta[http-equiv="refresh"]')) == 1)
    cookie = session_cookie()
    for path in ("/ui/actions/%d/approve" % action["id"], "/ui/pause",
                 "/ui/incidents/%d/notes" % action["incident_id"], "/ui/rules/errors-restart/reset"):
        status, _, _ = form_post(path, {"csrf": "x", "text": "x", "comment": "x"}, cookie)
        check("forged viewer POST %s is 403" % path, status == 403, str(status))
    check("nothing changed: still pending",
          api("/api/v1/actions/%d" % action["id"])["action"]["state"] == "pending_approval")
    check("nothing changed: not paused", api("/api/v1/rules")["paused"] is False)
    go("/ui/logout")
    check("signed out", DRIVER.current_url.endswith("/ui/login"))
    status, _, _ = http("GET", "/ui/", cookie=cookie)
    check("the old session no longer works", status == 303)


def t_xss():
    p = fixture("firing-high-error-rate.json")
    a = p["alerts"][0]
    a["labels"] = {"alertname": "<script>alert(1)</script>", "service": "\"><img src=x onerror=alert(2)>",
                   "severity": "<b>critical</b>", "note": "'><svg onload=alert(4)>"}
    a["annotations"] = {"runbook_url": "javascript:alert(3)",
                        "summary": "<script>alert(5)</script>",
                        "description": "\"><img src=x onerror=alert(6)>"}
    a["fingerprint"] = "fedcba9876543210"
    p["groupKey"] = "{}:{alertname=\"xss\"}"
    p["groupLabels"] = {"alertname": "<script>alert(7)</script>"}
    p["commonLabels"] = dict(a["labels"])
    p["commonAnnotations"] = dict(a["annotations"])
    check("hostile alert posted", post_alerts(p) == 200)
    incident = [i for i in api("/api/v1/incidents")["incidents"]
                if "fedcba9876543210" in json.dumps(api("/api/v1/incidents/%d" % i["id"]))][0]["id"]
    sign_in("operator")
    DRIVER.get_log("browser")   # start from an empty log
    go("/ui/")
    go("/ui/incidents/%d" % incident)
    body = text()
    for s in ("<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>", "javascript:alert(3)",
              "<script>alert(5)</script>", "'><svg onload=alert(4)>"):
        check("rendered as text: " + s, s in body)
    check("no injected element", not css("img") and not css("svg") and not css("script") and
          not css("b"))
    check("javascript: runbook_url is no link",
          not [e for e in css("a") if (e.get_attribute("href") or "").lower().startswith("javascript")])
    link = css("dd .text")
    if link:
        link[0].click()
    check("clicking the javascript: text goes nowhere",
          DRIVER.current_url.endswith("/ui/incidents/%d" % incident))
    no_script_ran("hostile alert page")
    shot("incident-hostile-390", 390)
    DRIVER.set_window_size(1280, 900)


def t_queue():
    pending = [a["id"] for a in api("/api/v1/actions?state=pending_approval")["actions"]]
    go("/ui/approvals")
    shown = [int(e.get_attribute("id").split("-")[1]) for e in css("article.action")]
    check("approvals queue: everything pending, oldest first", shown == sorted(pending) and
          len(shown) == 2, "%s vs %s" % (shown, pending))
    quorum = [a for a in api("/api/v1/actions?state=pending_approval")["actions"]
              if a["rule"] == "latency-scale"][0]["id"]
    card = DRIVER.find_element(By.ID, "action-%d" % quorum)
    check("quorum 0/2 before", card.find_element(By.CSS_SELECTOR, ".quorum").text == "0/2")
    card.find_element(By.NAME, "comment").send_keys("first of two")
    submit(card.find_element(By.CSS_SELECTOR, "button.go"))
    card = DRIVER.find_element(By.ID, "action-%d" % quorum)
    check("quorum 1/2 after one approval, still pending",
          card.find_element(By.CSS_SELECTOR, ".quorum").text == "1/2" and
          "pending_approval" in card.text and "first of two" in card.text, card.text)
    other = [a for a in pending if a != quorum][0]
    card = DRIVER.find_element(By.ID, "action-%d" % other)
    card.find_element(By.NAME, "comment").send_keys("not during the sale")
    submit(card.find_element(By.CSS_SELECTOR, "button.stop"))
    check("rejected with a comment", "Rejected action #%d." % other in text() and
          api("/api/v1/actions/%d" % other)["action"]["state"] == "rejected")
    go("/ui/incidents/%d" % api("/api/v1/actions/%d" % other)["action"]["incident_id"])
    card = DRIVER.find_element(By.ID, "action-%d" % other)
    check("the incident page shows who rejected and why",
          "alice rejected: " in card.text and "not during the sale" in card.text, card.text)


def t_paging():
    for i in range(26):
        p = fixture("firing-high-error-rate.json")
        p["groupKey"] = "{}:{paging=\"%d\"}" % i
        p["alerts"][0]["labels"] = {"alertname": "PageFill", "n": str(i)}
        p["alerts"][0]["fingerprint"] = "%016x" % (0xabc000 + i)
        if post_alerts(p) != 200:
            fail("paging fixture %d" % i)
    check("an incident resolved", post_alerts(fixture("resolved-high-latency.json")) == 200)
    resolved = api("/api/v1/incidents?status=resolved")["incidents"]
    go("/ui/")
    first = [e.text for e in css("li.incident .badge")]
    check("page 1: 25 incidents, all open (open first)", len(first) == 25 and
          set(b for b in first if b in ("open", "resolved")) == {"open"}, str(first))
    submit(DRIVER.find_element(By.LINK_TEXT, "Older \u2192"))
    second = css("li.incident")
    check("page 2: the rest, the resolved one last", second and
          "#%d " % resolved[0]["id"] in second[-1].text and "resolved" in second[-1].text,
          second[-1].text if second else "")
    go("/ui/?status=resolved")
    check("resolved filter", len(css("li.incident")) == 1)
    go("/ui/?status=open")
    check("open filter pages too", len(css("li.incident")) == 25 and
          css("nav.pages a") != [])


def t_javascript_off():
    DRIVER.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        DRIVER.get("data:text/html,<title>off</title><script>document.title='on'</script>")
        check("JavaScript is really off in this browser", DRIVER.title == "off", DRIVER.title)
        sign_in("operator")
        incident = api("/api/v1/incidents?status=open&limit=1")["incidents"][0]["id"]
        go("/ui/incidents/%d" % incident)
        DRIVER.find_element(By.NAME, "text").send_keys("written with JavaScript off")
        submit(DRIVER.find_element(By.CSS_SELECTOR, "form.note button"))
        check("JavaScript off: sign-in and a form still work", "Note added." in text() and
              "written with JavaScript off" in DRIVER.find_element(By.CSS_SELECTOR, "ol.timeline").text)
    finally:
        DRIVER.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def t_login_rate_limit():
    codes = []
    for _ in range(12):
        status, _, _ = form_post("/ui/login", {"token": "guess", "pre": "x"}, "rbd_pre=y")
        codes.append(status)
    check("sign-in attempts are rate limited per address", codes[-1] == 429, str(codes))


def main():
    started = time.monotonic()
    code = 1
    try:
        os.makedirs(SHOTS, exist_ok=True)
        for old in os.listdir(SHOTS):   # no failure of an earlier run left to mislead
            if old.endswith(".png"):
                os.unlink(os.path.join(SHOTS, old))
        write_config()
        start_rbd()
        start_browser()
        for t in (t_headers_and_root, t_bad_sign_in, t_operator_approves, t_csrf, t_pause_banner, t_breaker,
                  t_viewer, t_xss, t_queue, t_paging, t_javascript_off,
                  t_login_rate_limit):
            try:
                t()
            except Exception:
                fail("%s raised:\n%s" % (t.__name__, traceback.format_exc()))
        code = 0 if FAILS == 0 else 1
    except Exception:
        traceback.print_exc()
        shot("setup-failure")
    finally:
        if DRIVER:
            DRIVER.quit()
        if PROC:
            PROC.send_signal(signal.SIGTERM)
            try:
                rc = PROC.wait(20)
            except subprocess.TimeoutExpired:
                PROC.kill()
                rc = -1
            if rc != 0:
                print("FAIL runbookd exited %s" % rc)
                code = 1
        print("%d passed, %d failed in %.1f s" % (PASSES, FAILS, time.monotonic() - started))
        if code == 0 and not os.environ.get("KEEP"):
            shutil.rmtree(T, ignore_errors=True)
        else:
            print("kept " + T)
            try:
                print(open(os.path.join(T, "runbookd.log")).read()[-3000:])
            except OSError:
                pass
    return code


if __name__ == "__main__":
    sys.exit(main())
