"""What the project's Python check scripts share: a pass/fail tally, the server binary,
free ports, and a server started on port 0 whose log says where it listens.

Scripts import it after putting this folder on sys.path:
    sys.path.insert(0, os.path.join(ROOT, "tools")); import checks
"""
import os
import re
import signal
import socket
import subprocess
import time

failures = []
passes = 0


def check(condition, message, why=""):
    """Records and prints one check; returns the condition."""
    global passes
    if condition:
        passes += 1
        print(f"  ok    {message}")
    else:
        failures.append(message)
        print(f"  FAIL  {message}" + (f": {why}" if why else ""))
    return condition


def summary(name):
    """Prints `name: N passed, M failed`; the exit status for it."""
    print(f"{name}: {passes} passed, {len(failures)} failed")
    return 1 if failures else 0


def binary(root):
    """$AUTOGRAD_SERVER, else the debug build's autograd-server."""
    path = os.environ.get("AUTOGRAD_SERVER")
    if path:
        return path
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, capture_output=True, text=True, timeout=60)
    return os.path.join(out.stdout.strip().splitlines()[-1], "autograd-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """autograd-server on 127.0.0.1, port 0, logging to `log`; `port` is read from its
    `listening on` line."""

    def __init__(self, exe, log, arguments=()):
        self.log = log
        self.process = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", "0", *arguments],
                                        stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.port is None:
            m = re.search(r"listening on https?://[^\s\"]*:(\d+)", open(log, errors="replace").read())
            if m:
                self.port = int(m.group(1))
            elif self.process.poll() is not None:
                break
            else:
                time.sleep(0.02)
        if self.port is None:
            raise RuntimeError(f"server did not start: {open(log, errors='replace').read()[-500:]}")

    def stop(self):
        """SIGTERM, then its exit status (killed after 10 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.poll()
