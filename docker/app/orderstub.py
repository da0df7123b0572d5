#!/usr/bin/env python3
"""orderstub: a stand-in for the team's order/payment service (week10 stack).

Python 3 standard library only. Three modes:

  orderstub.py serve   [--listen HOST:PORT] [--access-log FILE]
      The order API the load test calls (POST /orders, GET /orders?limit=N), Prometheus
      metrics on GET /metrics with the names and labels docker/prometheus/alerts.yml
      reads (Micrometer's http_server_requests_seconds histogram with `status`), the
      admin endpoints runbookd.yaml's http actions call, and a fault switch:
        POST /admin/flags/order-writes       {"enabled": bool, "reason": "..."}
        POST /admin/rate-limits/cache-heavy  {"enabled": bool, "reason": "..."}
        POST /admin/rate-limits/db-heavy     {"enabled": bool, "reason": "..."}
        GET  /admin/state                    flags, limits, fault, admin call history
        POST /admin/fault  {"error_ratio": 0.2, "latency": 1.5, "latency_min_clients": 6}
      error_ratio: that share of order creations (POST /orders) answers 500 (spread
      evenly, not at random); latency: seconds added to every order request, only while
      more than latency_min_clients client connections are open (0: always) - an app
      that saturates under load. With writes off, POST /orders answers 429 at once.
      cache-heavy on: GET /orders answers 429 past 50 requests a second; db-heavy on:
      GET /orders with limit > 10 answers 429. Admin POSTs take JSON only (415 without
      Content-Type: application/json, as a Spring controller with @RequestBody answers).

  orderstub.py loadgen --base-url URL [--vus N] [--control FILE] [--sleep S]
      Plays docker/loadtest/order.js: N virtual users, each looping POST /orders,
      GET /orders?limit=20, sleep 0.1 s, on its own keep-alive connection. The number
      of VUs follows the integer in FILE (read every 0.2 s): what `k6 scale --vus N`
      does to the k6 test's externally-controlled executor. SIGTERM stops it.

  orderstub.py diskfs --dir DIR --size BYTES --base BYTES --textfile FILE
      A size-limited filesystem as node_exporter's textfile collector shows it:
      node_filesystem_{size,avail,free}_bytes for a disk of SIZE bytes, BASE of them
      used by other data, the rest taken by the files under DIR (the app's access log,
      say). Rewritten every 0.25 s.

No authentication: bind it to loopback (the compose stack publishes it on 127.0.0.1).
"""
import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)
MAX_BODY = 64 * 1024
MAX_HISTORY = 200


class State:
    def __init__(self, access_log):
        self.lock = threading.Lock()
        self.series = {}  # (method, uri, status) -> [bucket counts..., count, sum]
        self.writes_enabled = True
        self.limits = {"cache-heavy": False, "db-heavy": False}
        self.fault = {"error_ratio": 0.0, "latency": 0.0, "latency_min_clients": 0}
        self.err_acc = 0.0
        self.clients = 0
        self.orders = 0
        self.history = []
        self.cache_window = [0, 0]  # second, count
        self.access_log = open(access_log, "a", encoding="utf-8") if access_log else None

    def observe(self, method, uri, status, seconds):
        with self.lock:
            s = self.series.get((method, uri, status))
            if s is None:
                s = self.series[(method, uri, status)] = [0] * len(BUCKETS) + [0, 0.0]
            for i, le in enumerate(BUCKETS):
                if seconds <= le:
                    s[i] += 1
            s[-2] += 1
            s[-1] += seconds

    def record_admin(self, what, body):
        with self.lock:
            self.history.append({"ts": time.time(), "what": what, "body": body})
            del self.history[:-MAX_HISTORY]

    def metrics(self):
        out = ["# HELP http_server_requests_seconds Duration of HTTP server request handling",
               "# TYPE http_server_requests_seconds histogram"]
        with self.lock:
            items = sorted(self.series.items())
            gauges = [
                ("orderstub_order_writes_enabled", "", 1 if self.writes_enabled else 0),
                ("orderstub_rate_limit_enabled", '{limit="cache-heavy"}', int(self.limits["cache-heavy"])),
                ("orderstub_rate_limit_enabled", '{limit="db-heavy"}', int(self.limits["db-heavy"])),
                ("orderstub_fault_error_ratio", "", self.fault["error_ratio"]),
                ("orderstub_fault_latency_seconds", "", self.fault["latency"]),
                ("orderstub_client_connections", "", self.clients),
            ]
        for (method, uri, status), s in items:
            outcome = "SUCCESS" if status < 400 else ("CLIENT_ERROR" if status < 500 else "SERVER_ERROR")
            lab = 'exception="%s",method="%s",outcome="%s",status="%d",uri="%s"' % (
                "None" if status < 500 else "OrderFailure", method, outcome, status, uri)
            for i, le in enumerate(BUCKETS):
                out.append('http_server_requests_seconds_bucket{%s,le="%s"} %d' % (lab, repr(le), s[i]))
            out.append('http_server_requests_seconds_bucket{%s,le="+Inf"} %d' % (lab, s[-2]))
            out.append("http_server_requests_seconds_count{%s} %d" % (lab, s[-2]))
            out.append("http_server_requests_seconds_sum{%s} %.6f" % (lab, s[-1]))
        seen = set()
        for name, lab, val in gauges:
            if name not in seen:
                out.append("# TYPE %s gauge" % name)
                seen.add(name)
            out.append("%s%s %s" % (name, lab, val))
        return ("\n".join(out) + "\n").encode()


def make_handler(st):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "orderstub/1"

        def setup(self):
            super().setup()
            with st.lock:
                st.clients += 1

        def finish(self):
            with st.lock:
                st.clients -= 1
            super().finish()

        def log_message(self, fmt, *args):  # access log below, not stderr
            pass

        def send(self, status, obj, ctype="application/json"):
            body = obj if isinstance(obj, bytes) else (json.dumps(obj) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(body)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n < 0 or n > MAX_BODY:
                raise ValueError("body too large")
            raw = self.rfile.read(n) if n else b""
            return json.loads(raw) if raw else {}

        def do_GET(self):
            u = urlsplit(self.path)
            if u.path == "/metrics":
                return self.send(200, st.metrics(), "text/plain; version=0.0.4")
            if u.path == "/healthz":
                return self.send(200, {"status": "ok"})
            if u.path == "/admin/state":
                with st.lock:
                    return self.send(200, {"writes_enabled": st.writes_enabled, "limits": dict(st.limits),
                                           "fault": dict(st.fault), "clients": st.clients,
                                           "orders": st.orders, "history": list(st.history)})
            if u.path == "/orders":
                return self.order("GET", u)
            return self.send(404, {"error": "not found"})

        def do_POST(self):
            u = urlsplit(self.path)
            if u.path == "/orders":
                return self.order("POST", u)
            if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
                return self.send(415, {"error": "Content-Type must be application/json"})
            try:
                b = self.body()
            except ValueError as e:
                return self.send(400, {"error": str(e)})
            if not isinstance(b, dict):
                return self.send(400, {"error": "a JSON object is expected"})
            if u.path == "/admin/fault":
                f = {}
                for k, lo, hi in (("error_ratio", 0.0, 1.0), ("latency", 0.0, 30.0),
                                  ("latency_min_clients", 0, 10000)):
                    v = b.get(k, 0)
                    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                        return self.send(400, {"error": "%s must be a number in [%s, %s]" % (k, lo, hi)})
                    f[k] = v
                with st.lock:
                    st.fault = f
                st.record_admin("fault", f)
                return self.send(200, {"fault": f})
            target = None
            if u.path == "/admin/flags/order-writes":
                target = "order-writes"
            elif u.path.startswith("/admin/rate-limits/") and u.path[19:] in st.limits:
                target = u.path[19:]
            if target is None:
                return self.send(404, {"error": "not found"})
            if not isinstance(b.get("enabled"), bool):
                return self.send(400, {"error": "enabled must be true or false"})
            with st.lock:
                if target == "order-writes":
                    st.writes_enabled = b["enabled"]
                else:
                    st.limits[target] = b["enabled"]
            st.record_admin(target, b)
            return self.send(200, {"name": target, "enabled": b["enabled"]})

        def order(self, method, u):
            t0 = time.monotonic()
            uri = "/orders"
            try:
                b = self.body() if method == "POST" else None
            except ValueError:
                b = None
            with st.lock:
                f = dict(st.fault)
                slow = f["latency"] > 0 and st.clients > f["latency_min_clients"]
                status = 200
                if method == "POST":
                    if not st.writes_enabled:
                        status = 429
                    elif not isinstance(b, dict):
                        status = 400
                    else:
                        st.err_acc += f["error_ratio"]
                        if st.err_acc >= 1.0:
                            st.err_acc -= 1.0
                            status = 500
                        else:
                            status = 201
                            st.orders += 1
                else:
                    try:
                        limit = int(parse_qs(u.query).get("limit", ["20"])[0])
                    except ValueError:
                        limit = -1
                    sec = int(time.time())
                    if st.cache_window[0] != sec:
                        st.cache_window = [sec, 0]
                    st.cache_window[1] += 1
                    if limit < 0:
                        status = 400
                    elif st.limits["db-heavy"] and limit > 10:
                        status = 429
                    elif st.limits["cache-heavy"] and st.cache_window[1] > 50:
                        status = 429
            if slow and status != 429:
                time.sleep(f["latency"])
            if status == 201:
                self.send(201, {"id": st.orders, "status": "accepted"})
            elif status == 200:
                self.send(200, {"orders": [], "limit": limit})
            elif status == 500:
                self.send(500, {"error": "order creation failed (fault switch)"})
            elif status == 429:
                self.send(429, {"error": "limited by an admin switch"})
            else:
                self.send(status, {"error": "bad request"})
            dt = time.monotonic() - t0
            st.observe(method, uri, status, dt)
            if st.access_log:
                line = json.dumps({"ts": round(time.time(), 3), "method": method, "uri": self.path[:200],
                                   "status": status, "seconds": round(dt, 6),
                                   "client": self.client_address[0], "agent": self.headers.get("User-Agent", "")[:100],
                                   "body": b if isinstance(b, dict) else None})
                with st.lock:
                    st.access_log.write(line + "\n")
                    st.access_log.flush()

    return Handler


def host_port(s):
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


def serve(a):
    st = State(a.access_log)
    srv = ThreadingHTTPServer(host_port(a.listen), make_handler(st))
    srv.daemon_threads = True
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, a.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    print("orderstub: serving on %s:%d" % srv.server_address[:2], flush=True)
    srv.serve_forever(poll_interval=0.2)
    print("orderstub: stopped", flush=True)


def loadgen(a):
    u = urlsplit(a.base_url)
    stop_all = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_all.set())
    signal.signal(signal.SIGINT, lambda *_: stop_all.set())
    stats = {"ok": 0, "err": 0, "fail": 0}
    lock = threading.Lock()

    def vu(stop):
        conn = None
        while not stop.is_set() and not stop_all.is_set():
            for method, path, body in (
                    ("POST", "/orders", json.dumps({"itemId": random.randint(1, 1000), "quantity": 1})),
                    ("GET", "/orders?limit=20", None)):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
                    conn.request(method, path, body=body, headers={"Content-Type": "application/json",
                                                                    "User-Agent": "orderstub-loadgen"})
                    r = conn.getresponse()
                    r.read()
                    with lock:
                        stats["ok" if r.status < 400 else "err"] += 1
                except (OSError, http.client.HTTPException):
                    with lock:
                        stats["fail"] += 1
                    if conn is not None:
                        conn.close()
                    conn = None
                    stop_all.wait(0.2)
            stop.wait(a.sleep)
        if conn is not None:
            conn.close()

    vus = []  # (thread, stop event)
    want = a.vus
    last = 0.0
    print("orderstub-loadgen: %d VUs against %s" % (want, a.base_url), flush=True)
    while not stop_all.is_set():
        if a.control:
            try:
                with open(a.control) as f:
                    n = int(f.read().strip() or want)
                if 0 <= n <= 1000 and n != want:
                    print("orderstub-loadgen: scaled to %d VUs" % n, flush=True)
                    want = n
            except (OSError, ValueError):
                pass
        while len(vus) < want:
            ev = threading.Event()
            t = threading.Thread(target=vu, args=(ev,), daemon=True)
            t.start()
            vus.append((t, ev))
        while len(vus) > want:
            t, ev = vus.pop()
            ev.set()
            t.join()
        if time.monotonic() - last >= 5:
            last = time.monotonic()
            with lock:
                print("orderstub-loadgen: vus=%d %s" % (len(vus), json.dumps(stats)), flush=True)
        stop_all.wait(0.2)
    for t, ev in vus:
        ev.set()
    for t, ev in vus:
        t.join()
    print("orderstub-loadgen: stopped %s" % json.dumps(stats), flush=True)


def diskfs(a):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    lab = 'device="%s",fstype="%s",mountpoint="%s"' % (a.device, a.fstype, a.mountpoint)
    while not stop.is_set():
        used = a.base
        for root, _dirs, files in os.walk(a.dir):
            for n in files:
                try:
                    used += os.lstat(os.path.join(root, n)).st_size
                except OSError:
                    pass
        avail = max(0, a.size - used)
        text = "".join("# TYPE %s gauge\n%s{%s} %d\n" % (m, m, lab, v) for m, v in (
            ("node_filesystem_size_bytes", a.size), ("node_filesystem_avail_bytes", avail),
            ("node_filesystem_free_bytes", avail)))
        tmp = a.textfile + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, a.textfile)
        stop.wait(0.25)


def main():
    p = argparse.ArgumentParser(description="week10 order service stand-in")
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", default="127.0.0.1:8080")
    s.add_argument("--port-file")
    s.add_argument("--access-log")
    g = sub.add_parser("loadgen")
    g.add_argument("--base-url", default="http://127.0.0.1:8080")
    g.add_argument("--vus", type=int, default=20)
    g.add_argument("--control")
    g.add_argument("--sleep", type=float, default=0.1)
    d = sub.add_parser("diskfs")
    d.add_argument("--dir", required=True)
    d.add_argument("--size", type=int, required=True)
    d.add_argument("--base", type=int, default=0)
    d.add_argument("--textfile", required=True)
    d.add_argument("--device", default="/dev/vdb1")
    d.add_argument("--fstype", default="ext4")
    d.add_argument("--mountpoint", default="/var/lib/docker")
    a = p.parse_args()
    {"serve": serve, "loadgen": loadgen, "diskfs": diskfs}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
