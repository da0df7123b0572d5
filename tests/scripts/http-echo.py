#!/usr/bin/env python3
"""A tiny HTTP server for tests (standard library only).

Listens on 127.0.0.1, on the port given as the first argument or an ephemeral
one, and prints the port on stdout as the first line. Exits when its parent dies,
so a crashed test leaves nothing behind.

Paths (any method):
  /echo             200 JSON {"method", "path", "body", "content_type",
                    "authorization", "user_agent", "headers"}
  /redirect         302 to /echo
  /slow?s=N         sleeps N seconds (default 5), then 200 "slow"
  /big              200 with 1 MiB of 'x'
  /status/NNN       that status, body "status NNN"
  /garbage          answers "not http" without a status line, then closes
  /count            200 {"connections": N}: TCP connections accepted so far,
                    this one included (shows whether a client connected at all)
  /hook...          recorded (method, path, headers, body) and 200 {}
                    (/hook/fail...: recorded, then 503: a receiver that is down)
  /hooks            200 JSON list of the recorded /hook requests
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

LOCK = threading.Lock()
CONNECTIONS = 0
HOOKS = []


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def verify_request(self, request, client_address):
        global CONNECTIONS
        with LOCK:
            CONNECTIONS += 1
        return True


class Handler(BaseHTTPRequestHandler):
    server_version = "http-echo"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json", extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def handle_any(self):
        body = self.read_body()
        url = urlsplit(self.path)
        path = url.path
        if path == "/echo":
            self.reply(200, json.dumps({
                "method": self.command,
                "path": self.path,
                "body": body.decode("utf-8", "replace"),
                "content_type": self.headers.get("Content-Type"),
                "authorization": self.headers.get("Authorization"),
                "user_agent": self.headers.get("User-Agent"),
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }))
        elif path == "/redirect":
            self.reply(302, "moved", "text/plain", {"Location": "/echo"})
        elif path == "/slow":
            secs = float(parse_qs(url.query).get("s", ["5"])[0])
            time.sleep(secs)
            self.reply(200, "slow", "text/plain")
        elif path == "/big":
            self.reply(200, b"x" * (1024 * 1024), "application/octet-stream")
        elif path.startswith("/status/"):
            code = int(path[len("/status/"):])
            self.reply(code, "status %d" % code, "text/plain")
        elif path == "/garbage":
            self.wfile.write(b"not http\n")
            self.close_connection = True
        elif path == "/count":
            with LOCK:
                n = CONNECTIONS
            self.reply(200, json.dumps({"connections": n}))
        elif path == "/hooks":
            with LOCK:
                data = json.dumps(HOOKS)
            self.reply(200, data)
        elif path.startswith("/hook"):
            with LOCK:
                HOOKS.append({
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                })
            if path.startswith("/hook/fail"):
                self.reply(503, "down", "text/plain")
            else:
                self.reply(200, "{}")
        else:
            self.reply(404, "not found", "text/plain")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def watch_parent(ppid):
    while True:
        if os.getppid() != ppid:
            os._exit(0)
        time.sleep(0.5)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    srv = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
