#!/usr/bin/env python3
"""Slow-client helper for tests: idle-conns.py PORT N HOLD_SECONDS

Opens N TCP connections to 127.0.0.1:PORT, each sending half a request (a request
line and one header, never the end of the headers), holds them HOLD_SECONDS, then
prints one JSON line: {"opened": N, "closed_by_server": K} where K counts the
connections the server closed (or refused) while they were held.
"""
import json
import socket
import sys
import time

port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\n")
    except OSError:
        pass
    socks.append(s)
print("ready", flush=True)
deadline = time.time() + hold
closed = set()
while time.time() < deadline:
    for i, s in enumerate(socks):
        if i in closed:
            continue
        s.setblocking(False)
        try:
            if s.recv(4096) == b"":
                closed.add(i)
        except BlockingIOError:
            pass
        except OSError:
            closed.add(i)
    time.sleep(0.1)
print(json.dumps({"opened": n, "closed_by_server": len(closed)}), flush=True)
