#!/usr/bin/env python3
"""docker/nginx.conf in front of two autograd-server processes, all on loopback.

Runs Debian's nginx (`make test-deps` installs it) with docker/nginx.conf, changing only
the lines marked `@test` (listen address, upstream servers, log files) and adding the
process paths nginx needs outside a container, then shows that:
- requests are spread over both servers (each answer's X-Served-By names its server),
- the answers are byte-identical whichever server computed them,
- X-Request-Id passes through (the client's, else nginx's $request_id),
- a body over nginx's default 1 MiB but within client_max_body_size gets through,
- with one server stopped (SIGTERM: it drains and exits), every request is still answered.
Exit status 0 when all passed; bounded well under 30 s.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import checks  # noqa: E402
from checks import check, binary, free_port, Server  # noqa: E402
CONF = os.path.join(ROOT, "docker", "nginx.conf")
SEED = os.path.join(ROOT, "api", "examples", "seed-linear-mse.json")


def nginx_config(text, listen, upstreams, workdir):
    """docker/nginx.conf with its @test lines replaced; fails loudly if one is missing."""
    replaced = 0

    def line(m):
        nonlocal replaced
        replaced += 1
        indent, directive = m.group(1), m.group(2)
        if directive.startswith("listen"):
            return f"{indent}listen 127.0.0.1:{listen};"
        if directive.startswith("server "):
            return "\n".join(f"{indent}server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;" for p in upstreams)
        if directive.startswith("access_log"):
            return f"{indent}access_log {workdir}/access.log;"
        if directive.startswith("error_log"):
            return f"{indent}error_log {workdir}/error.log warn;"
        raise ValueError(f"unexpected @test line: {directive}")

    out = re.sub(r"^(\s*)(\S[^\n]*?;)\s*# @test\s*$", line, text, flags=re.M)
    if replaced != 4:
        raise ValueError(f"expected 4 lines marked @test in docker/nginx.conf, found {replaced}")
    temp = "\n".join(f"    {d}_temp_path {workdir}/{d};" for d in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    out = out.replace("http {\n", "http {\n" + temp + "\n", 1)
    return f"pid {workdir}/nginx.pid;\n" + out


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def main():
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        print("test_nginx: FAIL nginx is not installed (make test-deps installs it: apt-get install nginx)")
        return 1
    exe = binary(ROOT)
    workdir = tempfile.mkdtemp(prefix="autograd-nginx-")
    os.chmod(workdir, 0o755)
    for d in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]:
        os.makedirs(os.path.join(workdir, d))
        os.chmod(os.path.join(workdir, d), 0o777)  # nginx's workers may run as nobody
    servers, proxy = [], None
    try:
        servers = [Server(exe, os.path.join(workdir, f"server{i}.log")) for i in range(2)]
        listen = free_port()
        with open(CONF, encoding="utf-8") as f:
            config = nginx_config(f.read(), listen, [s.port for s in servers], workdir)
        path = os.path.join(workdir, "nginx.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config)
        tested = subprocess.run([nginx, "-t", "-p", workdir, "-c", path], capture_output=True, text=True)
        check(tested.returncode == 0, "nginx -t accepts docker/nginx.conf (with the loopback lines)", tested.stderr[-400:])
        proxy = subprocess.Popen([nginx, "-p", workdir, "-c", path, "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "nginx.stderr"), "wb"))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        print(f"nginx on 127.0.0.1:{listen} -> servers on {servers[0].port} and {servers[1].port}")

        with open(SEED, "rb") as f:
            seed = f.read()
        served, bodies, statuses = [], set(), set()
        for _ in range(20):
            status, headers, body = request(listen, "POST", "/backward", seed)
            statuses.add(status)
            served.append(headers.get("x-served-by", ""))
            bodies.add(body)
        check(statuses == {200}, "20 POST /backward through nginx -> 200", str(statuses))
        counts = {s: served.count(s) for s in set(served)}
        ports = sorted(int(s.rsplit(":", 1)[-1]) for s in counts if ":" in s)
        check(len(counts) == 2 and ports == sorted(s.port for s in servers) and min(counts.values()) >= 5,
              f"spread over both servers by X-Served-By: {counts}")
        check(len(bodies) == 1, "every answer is byte-identical, whichever server computed it")
        direct = {request(s.port, "POST", "/backward", seed)[2] for s in servers}
        check(direct == bodies, "and identical to each server's answer without nginx")

        status, headers, _ = request(listen, "GET", "/healthz", headers={"X-Request-Id": "through-nginx-1"})
        check(headers.get("x-request-id") == "through-nginx-1", "a client's X-Request-Id comes back", str(headers.get("x-request-id")))
        status, headers, _ = request(listen, "GET", "/healthz")
        check(re.fullmatch(r"[0-9a-f]{32}", headers.get("x-request-id", "")) is not None,
              "without one, nginx's $request_id is the request's id", str(headers.get("x-request-id")))

        big = {"dtype": "float32", "tensors": {"a": {"data": [0.5] * 400_000, "requires_grad": True}},
               "ops": [{"id": "s", "op": "sum", "inputs": ["a"]}], "loss": "s", "outputs": ["s"], "gradients": []}
        payload = json.dumps(big).encode()
        status, _, body = request(listen, "POST", "/backward", payload)
        check(payload.__len__() > (1 << 20) and status == 200 and b'"data":200000' in body,
              f"a {len(payload) >> 10} KiB body (over nginx's default 1 MiB) is computed", f"{status} {body[:200]!r}")

        code = servers[1].stop()
        check(code == 0, "SIGTERM stops one server cleanly", f"exit {code}")
        after = [request(listen, "POST", "/backward", seed) for _ in range(6)]
        remaining = {h.get("x-served-by", "") for _, h, _ in after}
        check(all(s == 200 for s, _, _ in after) and len(remaining) == 1
              and remaining.pop().endswith(f":{servers[0].port}"),
              "with one server gone every request is still answered, by the other")
    except Exception as error:  # noqa: BLE001 - report and clean up
        check(False, "the nginx test ran", repr(error))
    finally:
        if proxy is not None:
            proxy.send_signal(signal.SIGQUIT)
            try:
                proxy.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proxy.kill()
        for s in servers:
            s.stop()
        if checks.failures:
            for name in ["error.log", "nginx.stderr", "server0.log", "server1.log"]:
                p = os.path.join(workdir, name)
                if os.path.exists(p):
                    print(f"--- {name}\n" + open(p, errors="replace").read()[-1500:])
        shutil.rmtree(workdir, ignore_errors=True)
    return checks.summary("test_nginx")


if __name__ == "__main__":
    sys.exit(main())
