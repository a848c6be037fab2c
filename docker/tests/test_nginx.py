#!/usr/bin/env python3
"""docker/nginx.conf in front of two autograd-server processes, all on loopback.

Runs Debian's nginx (`make test-deps` installs it) with docker/nginx.conf, changing only
the lines marked `@test` (listen address, upstream servers, log files) and adding the
process paths nginx needs outside a container, then shows that:
- requests are spread over both servers (each answer's X-Served-By names its server),
- the answers are byte-identical whichever server computed them,
- X-Request-Id passes through (the client's, else nginx's $request_id),
- a body over nginx's default 1 MiB but within client_max_body_size gets through,
- with one server stopped (SIGTERM: it drains and exits), every request is still answered;
- the retry policy (issue 14), with the servers' --request-timeout 2 s and nginx's
  proxy_next_upstream_timeout scaled down with it to 1 s: a request refused at once with
  503 + Retry-After by a busy replica is answered by the other (X-Upstream names both),
  while one the server stopped at its request timeout (503 without Retry-After) is
  passed on as it is, tried on one replica only.
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
import threading
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


def start_nginx(nginx, workdir, config):
    """nginx on `config` (text) in `workdir`; the process, once it accepts connections."""
    path = os.path.join(workdir, "nginx.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(config)
    tested = subprocess.run([nginx, "-t", "-p", workdir, "-c", path], capture_output=True, text=True)
    check(tested.returncode == 0, "nginx -t accepts docker/nginx.conf (with the loopback lines)", tested.stderr[-400:])
    proxy = subprocess.Popen([nginx, "-p", workdir, "-c", path, "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "nginx.stderr"), "wb"))
    listen = int(re.search(r"listen 127\.0\.0\.1:(\d+);", config).group(1))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proxy


def stop_nginx(proxy):
    if proxy is not None:
        proxy.send_signal(signal.SIGQUIT)
        try:
            proxy.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proxy.kill()


def clean_up(workdir, logs):
    """Removes `workdir`, first printing the tail of each of its `logs` if a check failed."""
    if checks.failures:
        for name in logs:
            path = os.path.join(workdir, name)
            if os.path.exists(path):
                print(f"--- {name}\n" + open(path, errors="replace").read()[-1500:])
    shutil.rmtree(workdir, ignore_errors=True)


def workdir_for_nginx(prefix):
    workdir = tempfile.mkdtemp(prefix=prefix)
    os.chmod(workdir, 0o755)
    for d in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]:
        os.makedirs(os.path.join(workdir, d))
        os.chmod(os.path.join(workdir, d), 0o777)  # nginx's workers may run as nobody
    return workdir


# Runs long in any build: far past a 2 s request timeout (which stops it between steps).
SLOW = json.dumps({
    "tensors": {"x": {"shape": [64, 64], "init": {"name": "normal", "seed": 1}},
                "W": {"shape": [64, 64], "init": {"name": "normal", "seed": 2}, "requires_grad": True}},
    "ops": [{"id": "h", "op": "matmul", "inputs": ["x", "W"]}, {"id": "t", "op": "tanh", "inputs": ["h"]},
            {"id": "loss", "op": "mean", "inputs": ["t"]}],
    "loss": "loss", "optimizer": {"name": "adam", "lr": 0.001}, "steps": 10000}).encode()


def retry_policy(nginx, exe, seed):
    """503 + Retry-After from a busy replica goes to the other; a timed-out request does not."""
    print("retry policy:")
    workdir = workdir_for_nginx("autograd-nginx-retry-")
    servers, proxy = [], None
    try:
        calm = Server(exe, os.path.join(workdir, "calm.log"), ["--request-timeout", "2"])
        busy = Server(exe, os.path.join(workdir, "busy.log"),
                      ["--request-timeout", "2", "--max-inflight", "1", "--max-queue", "0"])
        servers = [calm, busy]
        listen = free_port()
        with open(CONF, encoding="utf-8") as f:
            text = f.read()
        check("proxy_next_upstream_timeout 25s;" in text, "docker/nginx.conf ends retries after 25 s")
        config = nginx_config(text.replace("proxy_next_upstream_timeout 25s;", "proxy_next_upstream_timeout 1s;"),
                              listen, [calm.port, busy.port], workdir)
        proxy = start_nginx(nginx, workdir, config)
        # The busy replica's one slot taken by a request sent to it directly (not through nginx).
        holder = threading.Thread(target=lambda: request(busy.port, "POST", "/train", SLOW))
        holder.start()
        time.sleep(0.3)
        answers = [request(listen, "POST", "/backward", seed) for _ in range(8)]
        holder.join()
        upstreams = [h.get("x-upstream", "") for _, h, _ in answers]
        both = [u for u in upstreams if u == f"127.0.0.1:{busy.port}, 127.0.0.1:{calm.port}"]
        check(all(st == 200 for st, _, _ in answers) and both,
              f"8 requests while one replica is busy: all 200, {len(both)} refused there (503 + Retry-After) "
              "and answered by the other", str(upstreams))
        started = time.monotonic()
        status, headers, body = request(listen, "POST", "/train", SLOW)
        took = time.monotonic() - started
        check(status == 503 and "retry-after" not in headers and "," not in headers.get("x-upstream", "")
              and took < 3.5, f"a request stopped at the request timeout: 503 without Retry-After after {took:.1f} s, "
              f"tried on one replica only (X-Upstream {headers.get('x-upstream')})", f"{status} {body[:160]!r}")
    except Exception as error:  # noqa: BLE001 - report and clean up
        check(False, "the retry-policy test ran", repr(error))
    finally:
        stop_nginx(proxy)
        for s in servers:
            s.stop()
        clean_up(workdir, ["error.log", "nginx.stderr", "calm.log", "busy.log"])


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
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
    workdir = workdir_for_nginx("autograd-nginx-")
    servers, proxy = [], None
    try:
        servers = [Server(exe, os.path.join(workdir, f"server{i}.log")) for i in range(2)]
        listen = free_port()
        with open(CONF, encoding="utf-8") as f:
            config = nginx_config(f.read(), listen, [s.port for s in servers], workdir)
        proxy = start_nginx(nginx, workdir, config)
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
        stop_nginx(proxy)
        for s in servers:
            s.stop()
        clean_up(workdir, ["error.log", "nginx.stderr", "server0.log", "server1.log"])
    with open(SEED, "rb") as f:
        retry_policy(nginx, exe, f.read())
    return checks.summary("test_nginx")


if __name__ == "__main__":
    sys.exit(main())
