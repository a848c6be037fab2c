#!/usr/bin/env python3
"""Slow-client figures for docs/operations.md (How each limit holds): opens 4 trickling
connections from 127.0.0.1 (its --max-connections-per-ip) and 150 more from
127.0.1.1-150, each sending a header byte every 0.5 s, then times 20 GET /healthz from
127.0.0.2 and how long the --request-read-timeout sweeper takes to close the tricklers.

    python3 tools/slow_clients.py [path/to/autograd-server]

Default binary: `swift build --show-bin-path`/autograd-server. Bounded: about 10 s.
Linux only (binds 127.x source addresses, which the loopback interface accepts).
"""
import re
import signal
import socket
import subprocess
import sys
import threading
import time

READ_TIMEOUT = 5


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else subprocess.check_output(
        ["swift", "build", "--show-bin-path"], text=True).strip() + "/autograd-server"
    server = subprocess.Popen(
        [binary, "--port", "0", "--max-connections-per-ip", "4", "--max-connections", "200",
         "--request-read-timeout", str(READ_TIMEOUT)], stderr=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)\s*$", server.stderr.readline().strip()).group(1))
    threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
    opened = time.monotonic()
    tricklers = []
    for source in ["127.0.0.1"] * 4 + [f"127.0.1.{i}" for i in range(1, 151)]:
        s = socket.socket()
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        tricklers.append(s)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for s in tricklers:
                try:
                    s.send(b"a")
                except OSError:
                    pass
            time.sleep(0.5)
    threading.Thread(target=trickle, daemon=True).start()
    time.sleep(0.5)

    latencies = []
    for _ in range(20):
        started = time.monotonic()
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = s.recv(1000)
        latencies.append((time.monotonic() - started) * 1000)
        s.close()
        assert b" 200 " in answer, answer
    latencies.sort()
    print(f"{len(tricklers)} trickling connections; GET /healthz from 127.0.0.2: "
          f"median {latencies[10]:.1f} ms, max {latencies[-1]:.1f} ms")

    def open_count():
        """Tricklers the server has neither answered (408) nor closed yet."""
        count = 0
        for s in tricklers:
            s.setblocking(False)
            try:
                s.recv(4096)  # b"" (closed) or the 408: not open any more
            except BlockingIOError:
                count += 1
            except OSError:
                pass
        return count
    closed_at = None
    while time.monotonic() - opened < READ_TIMEOUT + 5:
        if open_count() == 0:
            closed_at = time.monotonic() - opened
            break
        time.sleep(0.1)
    stop.set()
    print(f"--request-read-timeout {READ_TIMEOUT}: all tricklers closed "
          + (f"{closed_at:.1f} s after they connected" if closed_at else "NOT within the bound"))
    server.send_signal(signal.SIGTERM)
    status = server.wait(timeout=10)
    print(f"server exit status after SIGTERM: {status}")
    sys.exit(0 if closed_at and status == 0 else 1)


if __name__ == "__main__":
    main()
