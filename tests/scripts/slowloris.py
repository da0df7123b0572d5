#!/usr/bin/env python3
"""Slowloris from several loopback addresses, for tests (standard library only).

slowloris.py PORT ADDRS PER_ADDR SECONDS INTERVAL
Opens PER_ADDR connections from each source address in ADDRS (comma-separated,
loopback only, e.g. 127.0.0.2,127.0.0.3) to 127.0.0.1:PORT. Each sends a request line
and then one more header byte every INTERVAL seconds, never finishing its request;
a connection the server closes is opened again at once. Prints "ready" once all are
open, and after SECONDS one JSON line: {"opened": N, "closed_by_server": K}.
"""
import json
import socket
import sys
import time

port, addrs = int(sys.argv[1]), sys.argv[2].split(",")
per, seconds, interval = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
for a in addrs:
    if not a.startswith("127."):
        sys.exit("loopback addresses only")

opened = closed = 0


def connect(addr):
    global opened
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(1)
    try:
        s.bind((addr, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        opened += 1
        return s
    except OSError:
        s.close()
        return None


conns = [[a, connect(a)] for a in addrs for _ in range(per)]
print("ready", flush=True)
end = time.time() + seconds
while time.time() < end:
    tick = time.time()
    for c in conns:
        if c[1] is not None:
            try:
                c[1].sendall(b"a")
                continue
            except OSError:
                closed += 1
                c[1].close()
        c[1] = connect(c[0])
    time.sleep(max(0.0, interval - (time.time() - tick)))
for c in conns:
    if c[1] is not None:
        c[1].close()
print(json.dumps({"opened": opened, "closed_by_server": closed}), flush=True)
