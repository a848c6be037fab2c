#!/usr/bin/env python3
"""Answers sent before the request body is read reach every client (issue 19).

A request whose answer is known from its headers (400 framing, 401, 404, 405, 413, 415,
503 while stopping) is answered at once; the server then reads and drops the body
(lingering close) so that a client that writes its whole body before reading, like
Python's http.client and urllib.request, reads the problem document rather than a
broken pipe. Checked here against a live server with bodies of 4 MiB (larger than the
kernel's socket buffers, which hide the reset):

- each row with http.client (Content-Length and chunked; on a new connection and as the
  second request of a keep-alive one), urllib.request and curl, TRIES times each;
- `Expect: 100-continue` over the limit or without a token: the answer at once, no 100;
- the bounds: 10 GB declared, an endless chunked body, a client trickling bytes and a
  silent one are each cut at --linger-bytes / --linger-time / --linger-timeout;
- 64 lingering clients do not slow POST /backward;
- /metrics counts early answers by status and the dropped bytes; the log says so.

    tools/early_answers.py [--tries N]       (AUTOGRAD_SERVER: the binary; default debug build)
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import checks  # noqa: E402
from checks import check  # noqa: E402

KEY = "early-answers-test-key"
LIMIT = 1 << 20
BODY = b" " * (4 << 20)
CHUNK = 64 << 10
SEED = open(os.path.join(ROOT, "api", "examples", "seed-linear-mse.json"), "rb").read()
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON = {"Content-Type": "application/json"}

# (name, method, path, headers, expected status). The 400 row sends Content-Length twice.
ROWS = [
    ("400 two Content-Length", "POST", "/backward", {**AUTH, **JSON}, 400),
    ("401 no token", "POST", "/backward", JSON, 401),
    ("404 unknown path", "POST", "/nowhere", {**AUTH, **JSON}, 404),
    ("405 wrong method", "PUT", "/backward", {**AUTH, **JSON}, 405),
    ("413 over the limit", "POST", "/backward", {**AUTH, **JSON}, 413),
    ("415 text/plain", "POST", "/backward", {**AUTH, "Content-Type": "text/plain"}, 415),
]


def chunks(body=BODY):
    for i in range(0, len(body), CHUNK):
        yield body[i:i + CHUNK]


def problem_status(raw):
    try:
        return json.loads(raw).get("status")
    except ValueError:
        return None


def http_client_try(port, row, chunked, keep_alive):
    """One try: the answer's (status, problem status), or the exception's name."""
    name, method, path, headers, _ = row
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if keep_alive:
            conn.request("GET", "/healthz")
            first = conn.getresponse()
            first.read()
            if first.status != 200:
                return f"first request {first.status}"
        if name.startswith("400"):
            conn.putrequest(method, path)
            for k, v in headers.items():
                conn.putheader(k, v)
            if chunked:  # Content-Length with Transfer-Encoding: as ambiguous as two lengths
                conn.putheader("Content-Length", str(len(BODY)))
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for piece in chunks():
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            else:
                conn.putheader("Content-Length", str(len(BODY)))
                conn.putheader("Content-Length", str(len(BODY)))
                conn.endheaders()
                conn.send(BODY)
        elif chunked:
            conn.request(method, path, body=chunks(), headers=headers, encode_chunked=True)
        else:
            conn.request(method, path, body=BODY, headers=headers)
        response = conn.getresponse()
        return response.status, problem_status(response.read())
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    finally:
        conn.close()


def urllib_try(port, row, chunked):
    name, method, path, headers, _ = row
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=chunks() if chunked else BODY, headers=headers, method=method)
    if chunked:
        request.add_header("Transfer-Encoding", "chunked")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, problem_status(response.read())
    except urllib.error.HTTPError as error:
        return error.code, problem_status(error.read())
    except (OSError, http.client.HTTPException) as error:
        return type(getattr(error, "reason", error)).__name__


def curl_try(port, row, chunked, body_file, expect=""):
    name, method, path, headers, _ = row
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method, "--data-binary", f"@{body_file}",
            "-H", f"Expect: {expect}", f"http://127.0.0.1:{port}{path}"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    if chunked:
        args += ["-H", "Transfer-Encoding: chunked"]
    out = subprocess.run(args, capture_output=True, timeout=60)
    if out.returncode != 0:
        return f"curl exit {out.returncode}: {out.stderr.decode(errors='replace').strip()}"
    body, _, code = out.stdout.rpartition(b"\n")
    return int(code), problem_status(body)


def tally(results):
    counts = {}
    for r in results:
        counts[str(r)] = counts.get(str(r), 0) + 1
    return ", ".join(f"{n} x {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def rows_check(port, tries, body_file):
    for row in ROWS:
        name, expected = row[0], row[4]
        want = (expected, expected)
        # 413 chunked has no declared length: it is refused mid-body, once past the limit.
        for chunked in (False, True):
            framing = "chunked" if chunked else "Content-Length"
            for keep_alive in (False, True):
                where = "2nd on keep-alive" if keep_alive else "new connection"
                results = [http_client_try(port, row, chunked, keep_alive) for _ in range(tries)]
                check(all(r == want for r in results), f"http.client {name}, {framing}, {where}: {tries}/{tries} read it",
                      tally(results))
            if name.startswith("400"):
                continue  # urllib and curl cannot send two Content-Length fields
            results = [urllib_try(port, row, chunked) for _ in range(tries)]
            check(all(r == want for r in results), f"urllib.request {name}, {framing}: {tries}/{tries} read it", tally(results))
            curl_tries = tries
            results = [curl_try(port, row, chunked, body_file) for _ in range(curl_tries)]
            check(all(r == want for r in results), f"curl {name}, {framing}: {curl_tries}/{curl_tries} read it", tally(results))


def raw_headers(port, head, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(head.encode())
    return s


def read_answer(s):
    """Reads one response (head and Content-Length body) from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = s.recv(65536)
        if not piece:
            break
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(m.group(1)) if m else 0
    while len(rest) < length:
        piece = s.recv(65536)
        if not piece:
            break
        rest += piece
    return head.decode(errors="replace"), rest[:length]


def expect_continue_check(port, body_file):
    for label, extra, expected in (("over the limit", AUTH, 413), ("without a token", {}, 401)):
        head = f"POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        head += f"Expect: 100-continue\r\nX-Request-Id: expect-{expected}\r\n\r\n"
        s = raw_headers(port, head, timeout=2)
        started = time.monotonic()
        try:
            status_head, body = read_answer(s)
        except OSError as error:
            status_head, body = f"{type(error).__name__}", b""
        took = time.monotonic() - started
        s.close()
        first = status_head.split("\r\n", 1)[0]
        check(first.startswith(f"HTTP/1.1 {expected} ") and problem_status(body) == expected,
              f"Expect: 100-continue {label}: {expected} at once with no 100 Continue", first)
        check(took < 1, f"Expect: 100-continue {label}: answered in {took * 1000:.0f} ms without the body")
        row = (label, "POST", "/backward", {**JSON, **extra}, expected)
        out = subprocess.run(
            ["curl", "-sS", "-v", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", f"@{body_file}",
             "-H", "Expect: 100-continue", *sum((["-H", f"{k}: {v}"] for k, v in row[3].items()), []),
             f"http://127.0.0.1:{port}/backward"], capture_output=True, timeout=60)
        verbose = out.stderr.decode(errors="replace")
        check(out.stdout == str(expected).encode() and "< HTTP/1.1 100" not in verbose,
              f"curl -H 'Expect: 100-continue' {label}: {expected}, no 100 Continue", out.stdout.decode())


def stream_until_cut(s, piece, limit_seconds):
    """Sends `piece` repeatedly until the server cuts the connection; bytes sent, seconds."""
    sent, started = 0, time.monotonic()
    s.settimeout(limit_seconds)
    try:
        while time.monotonic() - started < limit_seconds:
            s.sendall(piece)
            sent += len(piece)
    except OSError:
        return sent, time.monotonic() - started
    return None, time.monotonic() - started


def bounds_check(exe, workdir):
    linger_bytes, linger_time, linger_timeout = 8 << 20, 4, 2
    log = os.path.join(workdir, "bounds.log")
    server = checks.Server(exe, log, ["--max-body-bytes", str(LIMIT), "--linger-bytes", str(linger_bytes),
                                      "--linger-time", str(linger_time), "--linger-timeout", str(linger_timeout)])
    try:
        port = server.port
        slack = 16 << 20  # the two sockets' buffers on loopback
        # 10 GB declared: answered from the headers, then cut after --linger-bytes.
        s = raw_headers(port, "POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                              "Content-Length: 10000000000\r\n\r\n")
        first, _ = read_answer(s)
        sent, took = stream_until_cut(s, b" " * CHUNK, 30)
        s.close()
        check(first.startswith("HTTP/1.1 413") and sent is not None and linger_bytes <= sent <= linger_bytes + slack,
              f"10 GB declared: 413, then cut after {sent} bytes (bound {linger_bytes})", first.split("\r\n")[0])
        # Endless chunked: refused mid-body once past the limit, cut after --linger-bytes.
        s = raw_headers(port, "POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (CHUNK, b" " * CHUNK)
        s.sendall(chunk * (LIMIT // CHUNK + 1))
        first, _ = read_answer(s)
        sent, took = stream_until_cut(s, chunk, 30)
        s.close()
        check(first.startswith("HTTP/1.1 413") and sent is not None and sent <= linger_bytes + slack,
              f"endless chunked: 413, then cut after {sent} more bytes (bound {linger_bytes})", first.split("\r\n")[0])
        # A byte every 0.5 s (never silent for --linger-timeout): cut at --linger-time.
        s = raw_headers(port, "POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                              "Content-Length: 1000000\r\n\r\n")
        first, _ = read_answer(s)
        started = time.monotonic()
        cut = None
        try:
            while time.monotonic() - started < 20:
                s.send(b" ")
                time.sleep(0.5)
        except OSError:
            cut = time.monotonic() - started
        s.close()
        check(first.startswith("HTTP/1.1 415") and cut is not None and linger_time <= cut <= linger_time + 2.5,
              f"trickling a byte every 0.5 s: cut after {cut and round(cut, 1)} s (bound {linger_time} s)")
        # Silent after its headers: closed after --linger-timeout.
        s = raw_headers(port, "POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                              "Content-Length: 1000000\r\nX-Request-Id: silent-client\r\n\r\n")
        first, _ = read_answer(s)
        seen = wait_for(log, r"request .*id=silent-client.*", 10)
        m = re.search(r"ms=([\d.]+)", seen or "")
        s.close()
        check(m is not None and linger_timeout * 1000 <= float(m.group(1)) <= (linger_timeout + 1.5) * 1000,
              f"silent after its headers: closed after {m and m.group(1)} ms (bound {linger_timeout} s)", seen or "no log line")
    finally:
        server.stop()


def wait_for(log, pattern, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m = re.search(pattern, open(log, errors="replace").read())
        if m:
            return m.group(0)
        time.sleep(0.05)
    return None


def backward_ms(port, n):
    times = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        started = time.monotonic()
        conn.request("POST", "/backward", body=SEED, headers=JSON)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            return None
        times.append((time.monotonic() - started) * 1000)
    conn.close()
    return statistics.median(times)


def lingering_clients_check(exe, workdir):
    """64 clients lingering (declared 10 GB, sending 64 KiB every 50 ms) while /backward runs."""
    server = checks.Server(exe, os.path.join(workdir, "crowd.log"), ["--max-body-bytes", str(LIMIT), "--max-inflight", "2"])
    stop = threading.Event()
    answered = []

    def lingerer():
        try:
            s = raw_headers(server.port, "POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                         "Content-Length: 10000000000\r\n\r\n")
            answered.append(read_answer(s)[0].startswith("HTTP/1.1 413"))
            while not stop.is_set():
                s.sendall(b" " * CHUNK)
                time.sleep(0.05)
            s.close()
        except OSError:
            pass

    try:
        before = backward_ms(server.port, 30)
        threads = [threading.Thread(target=lingerer, daemon=True) for _ in range(64)]
        for t in threads:
            t.start()
        time.sleep(1)
        during = backward_ms(server.port, 30)
        lingering = sum(t.is_alive() for t in threads)
        stop.set()
        for t in threads:
            t.join(5)
        check(len(answered) == 64 and all(answered), f"64 lingering clients: each read its 413 ({sum(answered)}/64)")
        check(lingering == 64, f"64 lingering clients still sending while /backward was timed ({lingering})")
        check(before is not None and during is not None and during <= 3 * before + 20,
              f"POST /backward median {during and round(during, 2)} ms among them, {before and round(before, 2)} ms alone")
    finally:
        stop.set()
        server.stop()


def draining_check(exe, workdir):
    """SIGTERM while a computation runs: a keep-alive connection's next request, with a
    4 MiB body, reads 503 (refused from its headers) rather than a reset."""
    import signal
    log = os.path.join(workdir, "drain.log")
    server = checks.Server(exe, log, ["--max-inflight", "1", "--drain-timeout", "20"])
    try:
        # One computation that runs long enough: 100 products of 512 x 512 matrices.
        n, k = 512, 100
        ops = [{"id": "m0", "op": "matmul", "inputs": ["a", "a"]}]
        ops += [{"id": f"m{i}", "op": "matmul", "inputs": [f"m{i - 1}", "a"]} for i in range(1, k)]
        ops += [{"id": "loss", "op": "sum", "inputs": [f"m{k - 1}"]}]
        slow = json.dumps({"tensors": {"a": {"data": [[0.001] * n] * n, "requires_grad": True}},
                           "ops": ops, "loss": "loss"}).encode()
        keep = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        keep.request("GET", "/healthz")
        keep.getresponse().read()
        busy = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        busy.request("POST", "/backward", body=slow, headers=JSON)
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        wait_for(log, "stopping: draining", 5)
        try:
            keep.request("POST", "/backward", body=BODY, headers=JSON)
            r = keep.getresponse()
            got = (r.status, problem_status(r.read()))
        except (OSError, http.client.HTTPException) as error:
            got = type(error).__name__
        running = busy.getresponse()
        running.read()
        check(got == (503, 503), "503 while draining, 4 MiB body on a keep-alive connection: read", str(got))
        check(running.status in (200, 422), f"the running computation still answered ({running.status})")
    finally:
        server.stop()


def tls_check(exe, workdir, key_file):
    """Under TLS the answer cannot be written around libmicrohttpd's encryption: the body is
    dropped first and the answer follows it, on a connection that then stays open."""
    import ssl
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "tls-key.pem")
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                           "-days", "1", "-subj", "/CN=127.0.0.1"], capture_output=True)
    if not check(made.returncode == 0, "TLS: a self-signed certificate from openssl", made.stderr.decode()[-200:]):
        return
    server = checks.Server(exe, os.path.join(workdir, "tls.log"), [
        "--tls-cert", cert, "--tls-key", key, "--api-key-file", key_file, "--max-body-bytes", str(LIMIT)])
    try:
        context = ssl._create_unverified_context()
        for name, headers, chunked, expected in (("401 no token", JSON, False, 401),
                                                 ("413 over the limit", {**AUTH, **JSON}, False, 413),
                                                 ("413 over the limit, chunked", {**AUTH, **JSON}, True, 413)):
            results = []
            for _ in range(10):
                conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=30, context=context)
                try:
                    if chunked:
                        conn.request("POST", "/backward", body=chunks(), headers=headers, encode_chunked=True)
                    else:
                        conn.request("POST", "/backward", body=BODY, headers=headers)
                    r = conn.getresponse()
                    first = (r.status, problem_status(r.read()))
                    conn.request("GET", "/healthz")  # the same connection, still open
                    again = conn.getresponse()
                    again.read()
                    results.append((first, again.status))
                except (OSError, http.client.HTTPException) as error:
                    results.append(type(error).__name__)
                finally:
                    conn.close()
            check(all(r == ((expected, expected), 200) for r in results),
                  f"TLS {name}: 10/10 read it, then the connection served /healthz", tally(results))
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed")
    exe = checks.binary(ROOT)
    with tempfile.TemporaryDirectory() as workdir:
        body_file = os.path.join(workdir, "body")
        open(body_file, "wb").write(BODY)
        key_file = os.path.join(workdir, "key")
        open(key_file, "w").write(KEY)
        log = os.path.join(workdir, "server.log")
        server = checks.Server(exe, log, ["--max-body-bytes", str(LIMIT), "--api-key-file", key_file])
        try:
            print(f"rows, {args.tries} tries each:")
            rows_check(server.port, args.tries, body_file)
            print("Expect: 100-continue:")
            expect_continue_check(server.port, body_file)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", "/metrics", headers=AUTH)
            metrics = conn.getresponse().read().decode()
            early = {m.group(1): float(m.group(2)) for m in
                     re.finditer(r'autograd_http_early_answers_total\{status="(\d+)"\} (\S+)', metrics)}
            dropped = re.search(r"(?m)^autograd_http_discarded_body_bytes_total (\S+)$", metrics)
            check(all(early.get(str(row[4]), 0) >= args.tries for row in ROWS),
                  "/metrics counts early answers by status", str(early))
            check(dropped is not None and float(dropped.group(1)) >= args.tries * len(BODY) / 2,
                  f"/metrics counts the dropped body bytes ({dropped and dropped.group(1)})")
            line = wait_for(log, r"request method=POST path=/backward status=401 .*body=dropped dropped_bytes=\d+", 5)
            check(line is not None, "the log line says the body was dropped", line or "")
            line = wait_for(log, r"request .*id=expect-413 .*", 5)
            check(line is not None and "dropped_bytes=0" in line, "Expect: 100-continue: no body byte read", line or "")
        finally:
            server.stop()
        print("bounds:")
        bounds_check(exe, workdir)
        print("64 lingering clients:")
        lingering_clients_check(exe, workdir)
        print("draining:")
        draining_check(exe, workdir)
        print("TLS:")
        tls_check(exe, workdir, key_file)
    return checks.summary("early answers")


if __name__ == "__main__":
    sys.exit(main())
