#!/usr/bin/env python3
"""H1, H2 and peak memory (issue 4): the service measured over HTTP on 127.0.0.1.

    python3 bench/http_bench.py --server PATH/autograd-server --bench PATH/autograd-bench [--json]
        [--duration 10] [--h2-reps 10] [--no-pytorch]

- H1: requests/s for POST /backward with the README example under `wrk -t2 -c32 -dNs`
  (bench/post.lua), beside a bare libmicrohttpd server (bench/mhd_hello.c, built here with
  gcc -O2 -lmicrohttpd) measured in the same run, and PyTorch behind http.server
  (bench/pytorch_http.py) when torch is importable.
- H2: the W2 training step as one POST /backward, client-measured ms per request, with
  JSON numbers, and with base64 tensors when the server accepts "b64" (else "pending").
  The client is kept out of the figure: one keep-alive connection (TCP_NODELAY), the
  request (head and body) encoded once before timing and sent with one sendall, the
  answer read with recv_into into a preallocated buffer up to its Content-Length; the
  clock runs from the send to the last byte.
  Beside the b64 figure, the transport floor: the same request bytes sent by the same
  client to a bare socket server (a separate Python process, recv_into and one sendall)
  that answers with as many bytes as the service's answer, so what H2 costs beyond
  GraphService.respond can be set against what moving the bytes over loopback costs.
- H9: POST /train of W2's MLP (base64 tensors) with W9's optimizers, ms per step from the
  slope between a 1-step and a 21-step request, timed alternately on one connection each.
- RSS: the server's VmHWM (/proc/PID/status) after one W2 request to a fresh server,
  against 3 x the bytes of the request's tensors + 64 MB.

Prints JSON lines ("impl" names the server) or, without --json, the same as a table.
Standard library only; bounded (about 3 x duration + H2) in time.
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, ".build", "bench")

# W2's request tensors: x [128, 784], labels [128], W1 [784, 512], b1, W2 [512, 512], b2, W3 [512, 10], b3.
W2_ELEMENTS = 128 * 784 + 128 + 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", required=True, help="the autograd-server binary")
    p.add_argument("--bench", required=True, help="the autograd-bench binary (writes the W2 request)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--duration", type=int, default=10, help="seconds of wrk per server (default 10)")
    p.add_argument("--h2-reps", type=int, default=10, help="timed W2 requests per encoding (default 10)")
    p.add_argument("--no-pytorch", action="store_true", help="skip the PyTorch http.server")
    p.add_argument("--only", default="H1,H2,H9", help="sections to run, comma-separated (RSS comes with H2)")
    return p.parse_args()


ARGS = parse_args()
ONLY = {w.strip().upper() for w in ARGS.only.split(",") if w.strip()}


def emit(line):
    if ARGS.json:
        print(json.dumps(line), flush=True)
    else:
        extra = {k: v for k, v in line.items() if k not in ("workload", "impl", "dtype", "metric", "median", "min", "max", "n", "unit")}
        med = line.get("median")
        print(f"{line['workload']:<6}{line['impl']:<14}{line.get('dtype', ''):<9}{line['metric']:<22}"
              f"{(f'{med:.4g}' if isinstance(med, (int, float)) else str(med)):>10}  {line.get('unit', '')}"
              f"{'  ' + json.dumps(extra) if extra else ''}", flush=True)


def note(msg):
    print(f"http_bench: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, path="/healthz", timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not answer in {timeout}s")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_server(argv, port, path="/healthz"):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        wait_ready(port, proc, path)
    except Exception:
        stop(proc)
        raise
    return proc


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB -> MiB
    return float("nan")


def post(port, body, path="/backward"):
    """One POST on a fresh connection; returns (status, seconds, response bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    dt = time.perf_counter() - t0
    c.close()
    return r.status, dt, data


# The transport floor's server: reads one request of REQUEST bytes, answers with an HTTP
# head and RESPONSE bytes, for as long as the connection stays open.
FLOOR_SERVER = r"""
import socket, sys
request, response = int(sys.argv[1]), int(sys.argv[2])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print(listener.getsockname()[1], flush=True)
c, _ = listener.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % response + b"x" * response
view = memoryview(bytearray(request))
while True:
    n = 0
    while n < request:
        k = c.recv_into(view[n:])
        if k == 0:
            sys.exit(0)
        n += k
    c.sendall(answer)
"""


def transport_floor(body, response_bytes, reps):
    """Median ms of `reps` round trips of this request body and an answer of
    `response_bytes` to the bare socket server above (H2's client, H2's bytes)."""
    head = len(KeepAliveClient.head(0, len(body)))
    proc = subprocess.Popen([sys.executable, "-c", FLOOR_SERVER, str(head + len(body)), str(response_bytes)],
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        client = KeepAliveClient(port, body)
        try:
            client.post()
            times = [client.post()[1] * 1e3 for _ in range(reps)]
        finally:
            client.close()
        return times
    finally:
        proc.kill()
        proc.wait()


class KeepAliveClient:
    """POSTs one pre-encoded request again and again on one connection (H2's client)."""

    @staticmethod
    def head(port, length, path="/backward"):
        return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {length}\r\n\r\n").encode()

    def __init__(self, port, body, path="/backward"):
        self.request = self.head(port, len(body), path) + body
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray(64 << 20)
        self.view = memoryview(self.buffer)

    def post(self):
        """Returns (status, seconds, response body)."""
        t0 = time.perf_counter()
        self.sock.sendall(self.request)
        n, end = 0, None
        while end is None or n < end:
            k = self.sock.recv_into(self.view[n:])
            if k == 0:
                raise RuntimeError("the server closed the connection")
            n += k
            if end is None:
                head_end = self.buffer.find(b"\r\n\r\n", 0, n)
                if head_end >= 0:
                    length = 0
                    for line in bytes(self.buffer[:head_end]).split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    end = head_end + 4 + length
                    if end > len(self.buffer):
                        raise RuntimeError(f"answer of {end} bytes is larger than the client's buffer")
        dt = time.perf_counter() - t0
        status = int(self.buffer[9:12])
        return status, dt, bytes(self.buffer[end - length:end])

    def close(self):
        self.sock.close()


def wrk(port):
    env = dict(os.environ, WRK_BODY=os.path.join(ROOT, "api", "examples", "seed-linear-mse.json"))
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{ARGS.duration}s", "-s", os.path.join(HERE, "post.lua"),
         f"http://127.0.0.1:{port}/backward"],
        env=env, capture_output=True, text=True, timeout=ARGS.duration + 60)
    for line in out.stdout.splitlines():
        if line.startswith('{"wrk"'):
            return json.loads(line)
    raise RuntimeError(f"wrk printed no result: {out.stdout}\n{out.stderr}")


def cpu_seconds(pid):
    """User + system CPU seconds of a process and its threads (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def h9(server):
    """H9: /train per step for W9's optimizers, from the slope between 1 and 21 steps."""
    port = free_port()
    proc = start_server([server, "--port", str(port)], port)
    try:
        for opt in ("sgd", "adam", "adamw"):
            clients = []
            for steps in (1, 21):
                path = os.path.join(OUT, f"w9-{opt}-{steps}.json")
                subprocess.run([ARGS.bench, "--write-request", path, "--b64", "--train", opt, "--steps", str(steps)],
                               check=True, stderr=subprocess.DEVNULL)
                clients.append(KeepAliveClient(port, open(path, "rb").read(), path="/train"))
            try:
                for c in clients:  # each connection's first request: untimed
                    status, _, data = c.post()
                    assert status == 200, (opt, status, data[:300])
                slopes = []
                for _ in range(ARGS.h2_reps):
                    _, one, _ = clients[0].post()
                    _, many, _ = clients[1].post()
                    slopes.append((many - one) / 20 * 1e3)
            finally:
                for c in clients:
                    c.close()
            emit({"workload": "H9", "impl": "swift", "dtype": "float32", "optimizer": opt, "metric": "train_per_step",
                  "median": statistics.median(slopes), "min": min(slopes), "max": max(slopes), "n": len(slopes),
                  "unit": "ms"})
    finally:
        stop(proc)


def main():
    os.makedirs(OUT, exist_ok=True)
    server = os.path.abspath(ARGS.server)
    if ARGS.json:
        print(json.dumps({"meta": True, "impl": "http", "loadavg": loadavg()}), flush=True)
    else:
        print(f"http_bench: load average {loadavg()}")

    # --- bodies
    bodies = {}
    for enc, flag in (("json", []), ("b64", ["--b64"])):
        path = os.path.join(OUT, f"w2-{enc}.json")
        subprocess.run([ARGS.bench, "--write-request", path] + flag, check=True, stderr=subprocess.DEVNULL)
        bodies[enc] = open(path, "rb").read()
    tensor_bytes = W2_ELEMENTS * 4

    # --- RSS and H2, one fresh server per encoding
    for enc in ("json", "b64") if "H2" in ONLY else ():
        port = free_port()
        proc = start_server([server, "--port", str(port)], port)
        try:
            idle = vm_hwm_mb(proc.pid)
            status, first, data = post(port, bodies[enc])
            if status != 200:
                if enc == "b64":
                    note(f"the server does not accept b64 tensors yet ({status}: {data[:200]!r})")
                    emit({"workload": "H2", "impl": "swift", "dtype": "float32", "encoding": "b64",
                          "metric": "time_per_request", "median": "pending", "unit": "ms",
                          "why": f"b64 tensors not accepted by the server yet (HTTP {status})"})
                    continue
                raise RuntimeError(f"W2 request ({enc}) answered {status}: {data[:300]!r}")
            hwm = vm_hwm_mb(proc.pid)
            emit({"workload": "RSS", "impl": "swift", "dtype": "float32", "encoding": enc, "metric": "vmhwm_after_w2",
                  "median": round(hwm, 1), "min": round(hwm, 1), "max": round(hwm, 1), "n": 1, "unit": "MB",
                  "budget": round(3 * tensor_bytes / 2**20 + 64, 1), "tensor_bytes": tensor_bytes, "idle_mb": round(idle, 1),
                  "request_bytes": len(bodies[enc]), "response_bytes": len(data)})
            times = []
            client = KeepAliveClient(port, bodies[enc])
            try:
                status, _, _ = client.post()  # the connection's first request: untimed
                assert status == 200, status
                for _ in range(ARGS.h2_reps):
                    status, dt, _ = client.post()
                    assert status == 200, status
                    times.append(dt * 1e3)
            finally:
                client.close()
            emit({"workload": "H2", "impl": "swift", "dtype": "float32", "encoding": enc, "metric": "time_per_request",
                  "median": statistics.median(times), "min": min(times), "max": max(times), "n": len(times),
                  "unit": "ms", "request_bytes": len(bodies[enc]), "response_bytes": len(data)})
        finally:
            stop(proc)
        if enc == "b64":
            floor = transport_floor(bodies[enc], len(data), ARGS.h2_reps)
            emit({"workload": "H2", "impl": "socket", "dtype": "float32", "encoding": enc, "metric": "transport_floor",
                  "median": statistics.median(floor), "min": min(floor), "max": max(floor), "n": len(floor),
                  "unit": "ms", "request_bytes": len(bodies[enc]), "response_bytes": len(data)})

    # --- H9: /train per step, the slope between 1 and 21 steps
    if "H9" in ONLY:
        h9(server)

    # --- H1
    if "H1" not in ONLY:
        return
    if shutil.which("wrk") is None:
        note("wrk is not installed (apt-get install wrk); H1 skipped")
        return
    hello = os.path.join(OUT, "mhd_hello")
    subprocess.run(["gcc", "-O2", "-o", hello, os.path.join(HERE, "mhd_hello.c"), "-lmicrohttpd"], check=True)
    servers = [("mhd_hello", lambda p: [hello, str(p)], "/"), ("swift", lambda p: [server, "--port", str(p)], "/healthz")]
    if not ARGS.no_pytorch:
        try:
            import torch  # noqa: F401
            servers.append(("pytorch-http", lambda p: [sys.executable, os.path.join(HERE, "pytorch_http.py"), str(p)], "/"))
        except ImportError:
            note("torch is not importable; the PyTorch http.server reference is skipped (the issue measured ~170/s)")
    for impl, argv, path in servers:
        port = free_port()
        proc = start_server(argv(port), port, path)
        try:
            status, _, data = post(port, open(os.path.join(ROOT, "api", "examples", "seed-linear-mse.json"), "rb").read())
            assert status == 200, (impl, status, data[:200])
            cpu0 = cpu_seconds(proc.pid)
            r = wrk(port)
            cpu = cpu_seconds(proc.pid) - cpu0
            emit({"workload": "H1", "impl": impl, "dtype": "float32", "metric": "requests_per_s",
                  "median": r["requests_per_s"], "min": r["requests_per_s"], "max": r["requests_per_s"], "n": 1,
                  "unit": "req/s", "requests": r["requests"], "errors": r["errors"],
                  "latency_p50_us": r["latency_p50_us"], "latency_p99_us": r["latency_p99_us"],
                  "server_cpu_us_per_request": round(cpu * 1e6 / max(r["requests"], 1), 1),
                  "wrk": f"-t2 -c32 -d{ARGS.duration}s", "loadavg": loadavg()})
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
