#!/usr/bin/env python3
"""Load test for autograd-server over raw HTTP/1.1 keep-alive sockets (asyncio).

    tools/loadtest.py --url http://127.0.0.1:PORT --pid PID [--seconds 30] [--connections 64]
                      [--warmup 10] [--json OUT]

Each connection loops over a fixed mix of requests: valid graphs of several sizes
(/backward, /forward, /train), invalid ones (400, 415, 422, 404) and GET routes. Before
the run every request is sent once, alone, and its answer kept as the expected one;
during the run every answer must have the expected status and, the server being
deterministic, the same body bytes. The seed example's answer is also checked against
the committed expected response numerically.

It fails (exit 1) on any 5xx other than a deliberate 503 with Retry-After, any dropped
connection (reset or EOF before a complete answer), any mismatched answer, or resident
memory after the run more than 10% above its level after the warm-up. It prints
requests/s, p50/p99 latency, peak RSS and RSS drift, and writes them as JSON with --json.
"""
import argparse
import asyncio
import json
import os
import random
import sys
import time
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def graph_chain(n, size, endpoint_loss=True):
    ops = [{"id": "h0", "op": "matmul", "inputs": ["x", "W"]}]
    for i in range(1, n):
        ops.append({"id": f"h{i}", "op": "tanh" if i % 2 else "matmul", "inputs": [f"h{i-1}"] if i % 2 else [f"h{i-1}", "W"]})
    ops.append({"id": "loss", "op": "mean", "inputs": [f"h{n-1}"]})
    return {
        "tensors": {
            "x": {"shape": [size, size], "init": {"name": "uniform", "seed": 1}},
            "W": {"shape": [size, size], "init": {"name": "kaiming_uniform", "seed": 2}, "requires_grad": True},
        },
        "ops": ops,
        "loss": "loss",
    }


def requests():
    """(name, method, path, content type, body bytes, weight)."""
    example = open(os.path.join(ROOT, "api/examples/seed-linear-mse.json"), "rb").read()
    j = lambda o: json.dumps(o, separators=(",", ":")).encode()
    mlp = {
        "tensors": {
            "x": {"shape": [32, 16], "init": {"name": "normal", "seed": 3}},
            "W1": {"shape": [16, 32], "init": {"name": "kaiming_uniform", "seed": 4}, "requires_grad": True},
            "W2": {"shape": [32, 4], "init": {"name": "kaiming_uniform", "seed": 5}, "requires_grad": True},
            "t": {"data": [i % 4 for i in range(32)]},
        },
        "ops": [
            {"id": "h", "op": "matmul", "inputs": ["x", "W1"]},
            {"id": "a", "op": "gelu", "inputs": ["h"]},
            {"id": "z", "op": "matmul", "inputs": ["a", "W2"]},
            {"id": "loss", "op": "cross_entropy", "inputs": ["z", "t"]},
        ],
        "loss": "loss",
    }
    train = dict(mlp, optimizer={"name": "adam", "lr": 0.01}, steps=20)
    f64 = dict(graph_chain(4, 32), dtype="float64")
    return [
        ("seed-example", "POST", "/backward", "application/json", example, 6),
        ("mlp-backward", "POST", "/backward", "application/json", j(mlp), 4),
        ("mlp-forward", "POST", "/forward", "application/json", j(mlp), 3),
        ("chain-64", "POST", "/backward", "application/json", j(graph_chain(6, 64)), 3),
        ("chain-256", "POST", "/backward", "application/json", j(graph_chain(4, 256)), 1),
        ("chain-f64", "POST", "/backward", "application/json", j(f64), 2),
        ("mlp-train", "POST", "/train", "application/json", j(train), 1),
        ("bad-json", "POST", "/backward", "application/json", b'{"tensors": {', 3),
        ("unknown-op", "POST", "/backward", "application/json", j({"tensors": {"x": {"data": 1}}, "ops": [{"id": "y", "op": "conv", "inputs": ["x"]}]}), 3),
        ("too-large", "POST", "/forward", "application/json", j({"tensors": {"x": {"shape": [16384, 1], "init": {"name": "ones"}}}, "ops": [{"id": "y", "op": "matmul", "inputs": ["x", "x"]}, {"id": "z", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [1, 16384]}}, {"id": "w", "op": "matmul", "inputs": ["x", "z"]}]}), 2),
        ("wrong-media-type", "POST", "/backward", "text/plain", example, 1),
        ("not-found", "GET", "/nowhere", None, b"", 1),
        ("healthz", "GET", "/healthz", None, b"", 2),
        ("ops", "GET", "/ops", None, b"", 1),
    ]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Dropped(Exception):
    pass


async def read_response(reader):
    try:
        status_line = await reader.readline()
        if not status_line:
            raise Dropped("EOF before the status line")
        parts = status_line.decode("latin-1").split(" ", 2)
        status = int(parts[1])
        headers = {}
        while True:
            line = await reader.readline()
            if not line:
                raise Dropped("EOF in the headers")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size = int((await reader.readline()).split(b";")[0].strip(), 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += await reader.readexactly(size)
                await reader.readline()
        else:
            body = await reader.read()
        return status, headers, body
    except (ConnectionResetError, asyncio.IncompleteReadError, BrokenPipeError) as e:
        raise Dropped(repr(e))


def encode(host, port, req):
    name, method, path, ctype, body, _ = req
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    if method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + (body if method == "POST" else b"")


async def one_shot(host, port, wire):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(wire)
    await writer.drain()
    r = await read_response(reader)
    writer.close()
    return r


class Stats:
    def __init__(self):
        self.latencies = []
        self.count = 0
        self.by_status = {}
        self.dropped = 0
        self.mismatches = []
        self.server_errors = []
        self.deliberate_503 = 0
        self.recording = False


async def worker(host, port, mix, expected, stats, stop_at, seed):
    rng = random.Random(seed)
    reader = writer = None
    while time.monotonic() < stop_at:
        req = rng.choice(mix)
        wire = encode(host, port, req)
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            t0 = time.perf_counter()
            writer.write(wire)
            await writer.drain()
            status, headers, body = await read_response(reader)
            dt = time.perf_counter() - t0
        except (Dropped, ConnectionError, OSError) as e:
            stats.dropped += 1
            stats.mismatches.append(f"{req[0]}: dropped: {e}")
            writer = None
            continue
        if stats.recording:
            stats.latencies.append(dt)
            stats.count += 1
        stats.by_status[status] = stats.by_status.get(status, 0) + 1
        if status == 503 and "retry-after" in headers:
            stats.deliberate_503 += 1
        elif status >= 500:
            stats.server_errors.append(f"{req[0]}: {status} {body[:200]!r}")
        elif (status, body) != expected[req[0]]:
            stats.mismatches.append(f"{req[0]}: got {status} {body[:120]!r}, expected {expected[req[0]][0]} {expected[req[0]][1][:120]!r}")
        if headers.get("connection", "").lower() == "close":
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def run(args):
    u = urlparse(args.url)
    host, port = u.hostname, u.port
    reqs = requests()
    mix = [r for r in reqs for _ in range(r[5])]
    expected = {}
    for r in reqs:
        status, _, body = await one_shot(host, port, encode(host, port, r))
        expected[r[0]] = (status, body)
        if status >= 500:
            sys.exit(f"baseline {r[0]} answered {status}")
    # The seed example against the committed answer, numerically.
    got = json.loads(expected["seed-example"][1])
    want = json.load(open(os.path.join(ROOT, "api/examples/seed-linear-mse.response.json")))
    assert got == want, f"seed example differs: {got} vs {want}"
    assert expected["bad-json"][0] == 400 and expected["unknown-op"][0] == 422 and expected["too-large"][0] == 422
    assert expected["wrong-media-type"][0] == 415 and expected["not-found"][0] == 404

    stats = Stats()
    samples = []
    stop_sampling = asyncio.Event()

    async def sample():
        while not stop_sampling.is_set():
            samples.append((time.monotonic(), rss_kib(args.pid)))
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    start = time.monotonic()
    warm_end = start + args.warmup
    stop_at = warm_end + args.seconds
    workers = [asyncio.create_task(worker(host, port, mix, expected, stats, stop_at, i)) for i in range(args.connections)]
    await asyncio.sleep(max(0, warm_end - time.monotonic()))
    rss_warm = rss_kib(args.pid)
    stats.recording = True
    t_run = time.monotonic()
    await asyncio.gather(*workers)
    elapsed = time.monotonic() - t_run
    await asyncio.sleep(1.0)
    rss_after = rss_kib(args.pid)
    stop_sampling.set()
    await sampler
    peak = max(r for _, r in samples) if samples else rss_after

    lat = sorted(stats.latencies)
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    drift = (rss_after - rss_warm) / rss_warm if rss_warm else 0.0
    result = {
        "seconds": round(elapsed, 1),
        "connections": args.connections,
        "requests": stats.count,
        "requests_per_second": round(stats.count / elapsed, 1),
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "statuses": {str(k): v for k, v in sorted(stats.by_status.items())},
        "deliberate_503": stats.deliberate_503,
        "server_errors": len(stats.server_errors),
        "dropped_connections": stats.dropped,
        "mismatched_answers": len(stats.mismatches) - stats.dropped,
        "rss_after_warmup_mib": round(rss_warm / 1024, 1),
        "rss_after_run_mib": round(rss_after / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "rss_drift_percent": round(drift * 100, 1),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    failures = stats.server_errors[:5] + stats.mismatches[:5]
    if args.max_rss_drift is not None and drift > args.max_rss_drift / 100:
        failures.append(f"RSS grew {drift:.1%} after warm-up ({rss_warm} KiB -> {rss_after} KiB)")
    if stats.count == 0:
        failures.append("no request completed")
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--json")
    # The leak check: only meaningful over a run long enough for the allocator to settle
    # (`make load`: 10 s warm-up, 30 s run); the 5-second smoke run reports drift only.
    p.add_argument("--max-rss-drift", type=float, default=None, metavar="PERCENT")
    args = p.parse_args()
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
