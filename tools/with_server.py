#!/usr/bin/env python3
"""Runs a command against a freshly started autograd-server, then stops the server.

    tools/with_server.py BINARY [--server-arg ARG ...] -- COMMAND ...

The server starts on 127.0.0.1 with --port 0; `{port}`, `{url}` and `{pid}` in COMMAND
are replaced by its port, base URL (https:// when --tls-cert is among the server args)
and process id. The exit status is the command's,
or 1 when the server dies during the run (a crash is a failure whatever the command says).
"""
import os
import re
import subprocess
import sys
import tempfile
import time


def start(binary, extra):
    log = tempfile.NamedTemporaryFile(prefix="autograd-server-", suffix=".log", delete=False)
    proc = subprocess.Popen([binary, "--port", "0", *extra], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(log.name, errors="replace") as f:
            m = re.search(r"listening on (https?)://[^\s]*:(\d+)", f.read())
        if m:
            return proc, m.group(1), int(m.group(2)), log.name
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"server did not start; log:\n{open(log.name).read()}")


def main():
    args = sys.argv[1:]
    if "--" not in args or not args:
        sys.exit(__doc__)
    split = args.index("--")
    binary, rest, command = args[0], args[1:split], args[split + 1:]
    extra = []
    while rest:
        if rest[0] == "--server-arg" and len(rest) > 1:
            extra.append(rest[1])
            rest = rest[2:]
        else:
            sys.exit(f"unknown option {rest[0]}")
    proc, scheme, port, log = start(binary, extra)
    url = f"{scheme}://127.0.0.1:{port}"
    command = [c.replace("{port}", str(port)).replace("{url}", url).replace("{pid}", str(proc.pid)) for c in command]
    try:
        status = subprocess.call(command)
    finally:
        alive = proc.poll() is None
        if alive:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    if not alive:
        print(f"autograd-server exited during the run (status {proc.returncode}); log tail:", file=sys.stderr)
        print(open(log).read()[-3000:], file=sys.stderr)
        sys.exit(1)
    os.unlink(log)
    sys.exit(status)


if __name__ == "__main__":
    main()
