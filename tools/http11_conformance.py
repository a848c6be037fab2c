#!/usr/bin/env python3
"""HTTP/1.1 as nginx and Go speak it (issue 23), against a live server over raw sockets:

- idle is not a timeout: a connection idle after its accept or between requests is closed
  silently (no bytes) after --connection-timeout, whatever --request-read-timeout says;
  --request-read-timeout applies once a request has begun (408, one header block);
  http.client reusing a connection idle for longer than the read timeout works;
- no answer repeats a header field (Connection above all);
- Host: missing on HTTP/1.1 or repeated is 400; HTTP/1.0 without it is fine;
- absolute-form targets (`GET http://host/healthz`) are served;
- an unknown method is 501; a known one a path does not take is 405 with Allow;
- CORS: off by default; --cors-origin (repeatable, comma-separated, `*`, or
  AUTOGRAD_CORS_ORIGIN) answers preflights 204 without the API key and adds
  Access-Control-Allow-Origin and Vary: Origin (with Accept-Encoding) to every answer for an allowed origin;
- a burst: 256 README-sized requests released at once on their own connections all get
  200 with the default queue and --max-inflight 2, while bodies past --max-queue-bytes
  get 503 with Retry-After;
- malformed requests libmicrohttpd would answer itself (Content-Length forms, 414, 431,
  505) get one problem+json answer each, from HeaderGate, on by default: first on their
  connection, and later on a keep-alive connection (the shim follows the framing), whole
  or in two pieces; over TLS the same, first and later;
- what already worked stays working (with the gate and without it): keep-alive across 4xx, pipelining, HTTP/1.0,
  chunked uploads with extensions and trailers, Expect: 100-continue, 100 concurrent
  requests.

    tools/http11_conformance.py        (AUTOGRAD_SERVER: the binary; default debug build)
"""
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import checks  # noqa: E402
from checks import check  # noqa: E402

SEED = open(os.path.join(ROOT, "api", "examples", "seed-linear-mse.json"), "rb").read()
KEY = "conformance-test-key"


class Raw:
    """A raw connection: send bytes, read whole responses (Content-Length framed)."""

    def __init__(self, port, timeout=10, tls=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.buffer = b""
        self.closed = False

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def _fill(self):
        piece = self.sock.recv(65536)
        if not piece:
            self.closed = True
            raise EOFError("closed by the server")
        self.buffer += piece

    def response(self, head_only=False):
        """(status, [(name, value)], body) of the next response."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
        length = next((int(v) for k, v in fields if k.lower() == "content-length"), 0)
        if head_only or status in (100, 204, 304):
            length = 0
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, fields, body

    def closed_silently(self, within):
        """Seconds until the server closed with no byte sent, or None (bytes came, or still open)."""
        started = time.monotonic()
        self.sock.settimeout(within)
        try:
            piece = self.sock.recv(65536)
        except socket.timeout:
            return None
        except OSError:
            return time.monotonic() - started
        if piece:
            self.buffer += piece  # bytes came: not a silent close
            return None
        return time.monotonic() - started if not self.buffer else None

    def close(self):
        self.sock.close()


def header(fields, name):
    return next((v for k, v in fields if k.lower() == name.lower()), None)


def repeated(fields):
    names = [k.lower() for k, _ in fields]
    return sorted({n for n in names if names.count(n) > 1})


def is_problem(status, fields, body):
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return header(fields, "Content-Type") == "application/problem+json" and doc.get("status") == status


def get(path="/healthz", extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n"


def post(path, body, extra="", content_type="application/json"):
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}\r\n").encode() + body


def idle_checks(exe, workdir):
    for read_timeout, idle in ((2, 4), (4, 2), (0, 2)):
        server = checks.Server(exe, os.path.join(workdir, f"idle-{read_timeout}-{idle}.log"),
                               ["--request-read-timeout", str(read_timeout), "--connection-timeout", str(idle)])
        try:
            label = f"--request-read-timeout {read_timeout} --connection-timeout {idle}"
            fresh = Raw(server.port)
            after = Raw(server.port)
            after.send(get())
            status, fields, _ = after.response()
            took_fresh = fresh.closed_silently(idle + 3)
            took_after = after.closed_silently(1)  # the same clock, started a moment later
            check(status == 200 and took_fresh is not None and idle - 0.2 <= took_fresh <= idle + 1.5,
                  f"{label}: a connection idle after its accept closed silently after {took_fresh and round(took_fresh, 1)} s")
            check(took_after is not None, f"{label}: a connection idle after an answer closed silently too")
            if read_timeout:
                trickler = Raw(server.port)
                trickler.send("GET /healthz HTTP/1.1\r\nHost: t\r\n")
                started = time.monotonic()
                got = None
                try:
                    while time.monotonic() - started < read_timeout + 4:
                        trickler.send("X-Slow: a\r\n")
                        time.sleep(0.3)
                except OSError:
                    pass
                try:
                    got = trickler.response()
                except (EOFError, OSError):
                    pass
                took = time.monotonic() - started
                check(got is not None and got[0] == 408 and not repeated(got[1]) and is_problem(*got),
                      f"{label}: a request trickled past the read timeout gets one 408 problem "
                      f"({got and got[0]}, repeated: {got and repeated(got[1])})")
                check(read_timeout - 0.2 <= took <= read_timeout + 2.5,
                      f"{label}: the 408 came {took:.1f} s after the request began")
        finally:
            server.stop()
    # No idle limit at all (--connection-timeout 0): an idle connection outlives the read
    # timeout, unanswered, and still serves its next request.
    server = checks.Server(exe, os.path.join(workdir, "idle-1-0.log"), ["--request-read-timeout", "1", "--connection-timeout", "0"])
    try:
        idle = Raw(server.port)
        idle.send(get())
        first = idle.response()[0]
        still_open = idle.closed_silently(3) is None and not idle.buffer
        idle.sock.settimeout(5)
        idle.send(get())
        second = idle.response()[0]
        check(first == 200 and still_open and second == 200,
              "--request-read-timeout 1 --connection-timeout 0: idle 3 s, no 408, then served again")
        idle.close()
    finally:
        server.stop()
    # The case: a read timeout shorter than the idle limit; http.client reuses a
    # connection idle for longer than the read timeout.
    server = checks.Server(exe, os.path.join(workdir, "reuse.log"), ["--request-read-timeout", "1", "--connection-timeout", "20"])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        results = []
        for _ in range(3):
            try:
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                results.append(r.status)
            except (OSError, http.client.HTTPException) as error:
                results.append(type(error).__name__)
            time.sleep(1.6)
        check(results == [200, 200, 200], f"http.client reuses a connection idle 1.6 s past a 1 s read timeout: {results}")
    finally:
        server.stop()


def request_line_checks(port):
    c = Raw(port)
    c.send("GET /healthz HTTP/1.1\r\n\r\n")
    status, fields, body = c.response()
    check(status == 400 and is_problem(status, fields, body), f"HTTP/1.1 without Host: 400 problem ({status})")
    c.close()
    c = Raw(port)
    c.send("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    status, fields, body = c.response()
    check(status == 400 and is_problem(status, fields, body), f"two Host fields: 400 problem ({status})")
    c.close()
    c = Raw(port)
    c.send("GET /healthz HTTP/1.0\r\n\r\n")
    status, fields, body = c.response()
    check(status == 200 and c.closed_silently(2) is not None, f"HTTP/1.0 without Host: 200, then closed ({status})")
    c.close()
    c = Raw(port)
    c.send(get(f"http://127.0.0.1:{port}/healthz"))
    a = c.response()
    c.send(post(f"HTTP://127.0.0.1:{port}/backward", SEED))
    b = c.response()
    check(a[0] == 200 and b[0] == 200 and json.loads(b[2])["outputs"]["loss"]["shape"] == [],
          f"absolute-form targets served: GET {a[0]}, POST /backward {b[0]}")
    for method in ("BREW", "FOO", "PROPFIND"):
        c.send(f"{method} /backward HTTP/1.1\r\nHost: t\r\n\r\n")
        status, fields, body = c.response()
        check(status == 501 and is_problem(status, fields, body), f"unknown method {method}: 501 problem ({status})")
    for method, path, allow in (("DELETE", "/backward", "POST"), ("PUT", "/healthz", "GET, HEAD"), ("OPTIONS", "/ops", "GET, HEAD"),
                                ("QUERY", "/forward", "POST")):
        c.send(f"{method} {path} HTTP/1.1\r\nHost: t\r\n\r\n")
        status, fields, body = c.response()
        check(status == 405 and header(fields, "Allow") == allow and is_problem(status, fields, body),
              f"{method} {path}: 405 with Allow: {header(fields, 'Allow')}")
    c.send(get())
    check(c.response()[0] == 200, "the connection stays usable after those answers")
    c.close()


def read_all(c, within=5):
    """Everything the server sends until it closes."""
    c.sock.settimeout(within)
    data = c.buffer
    try:
        while True:
            piece = c.sock.recv(65536)
            if not piece:
                break
            data += piece
    except OSError:
        pass
    return data


def malformed_checks(port, tls=None, where=""):
    """What libmicrohttpd would answer itself, as one problem+json answer each: first on a
    connection, then after a kept-alive GET, and after a POST with a body, the malformed
    request sent whole or with its request line first."""
    head = "POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    cases = [(f"Content-Length: {form!r}", head + f"Content-Length: {form}\r\n\r\n{{}}", status)
             for form, status in (("abc", 400), ("-1", 400), ("+389", 400), ("0x185", 400), ("", 400),
                                  ("1, 1", 400), ("123456789012345678901234", 413))]
    cases += [("a 20 KB request line", "GET /" + "a" * 20000 + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
              ("a 20 KB header block", "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + "a" * 20000 + "\r\n\r\n", 431),
              ("HTTP/2.0", "GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n", 505),
              ("a request line of two words", "GET /healthz\r\nHost: t\r\n\r\n", 400)]
    preludes = [("first", None), ("after a kept-alive GET", get()), ("after a POST with a body", post("/forward", SEED))]
    for label, request, status in cases:
        for when, prelude in preludes:
            for split in (False, True):
                if split and prelude is None:
                    continue
                c = Raw(port, tls=tls)
                if prelude is not None:
                    c.send(prelude)
                    first, fields, _ = c.response()
                    if first != 200 or header(fields, "Connection") == "close":
                        check(False, f"{where}{label} {when}: the first request answered {first}, kept alive")
                        c.close()
                        continue
                if split:
                    cut = request.index("\n") + 1
                    c.send(request[:cut])
                    time.sleep(0.02)
                    try:
                        c.send(request[cut:])
                    except OSError:
                        pass  # refused at its request line: the rest may meet a closed connection
                else:
                    c.send(request)
                data = read_all(c)
                c.close()
                lines = re.findall(rb"(?m)^HTTP/1\.[01] \d{3}", data)
                head_part, _, body = data.partition(b"\r\n\r\n")
                fields = [tuple(p.strip() for p in line.split(":", 1)) for line in head_part.decode(errors="replace").split("\r\n")[1:]]
                got = int(lines[0].split()[1]) if lines else None
                pieces = ", in two pieces" if split else ""
                check(len(lines) == 1 and got == status and is_problem(status, fields, body) and not repeated(fields),
                      f"{where}{label} {when}{pieces}: exactly one answer, {status} problem+json ({len(lines)} status lines, {got})")


def tls_checks(exe, workdir):
    """The same over TLS (no gate: every request followed through gnutls_record_recv)."""
    key, cert = os.path.join(workdir, "key.pem"), os.path.join(workdir, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = checks.Server(exe, os.path.join(workdir, "tls.log"), ["--tls-cert", cert, "--tls-key", key])
    try:
        context = ssl.create_default_context(cafile=cert)
        malformed_checks(server.port, tls=context, where="TLS: ")
        c = Raw(server.port, tls=context)
        statuses = []
        for _ in range(3):
            c.send(get())
            statuses.append(c.response()[0])
        c.send(post("/forward", SEED) + get().encode())
        statuses += [c.response()[0], c.response()[0]]
        c.close()
        check(statuses == [200] * 5, f"TLS: well-formed requests on one connection, pipelined too, all 200 ({statuses})")
    finally:
        server.stop()


def cors_checks(exe, workdir):
    preflight = ("OPTIONS /backward HTTP/1.1\r\nHost: t\r\nOrigin: {origin}\r\n"
                 "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, authorization\r\n\r\n")
    server = checks.Server(exe, os.path.join(workdir, "cors-off.log"), [])
    try:
        c = Raw(server.port)
        c.send(preflight.format(origin="http://page.example"))
        status, fields, _ = c.response()
        check(status == 405 and header(fields, "Access-Control-Allow-Origin") is None,
              f"CORS off by default: a preflight gets 405 and no Access-Control header ({status})")
        c.send(get(extra="Origin: http://page.example\r\n"))
        status, fields, _ = c.response()
        check(status == 200 and not any(k.lower().startswith("access-control") for k, _ in fields),
              "CORS off by default: no Access-Control header on a GET with Origin")
    finally:
        server.stop()
    key_file = os.path.join(workdir, "key")
    open(key_file, "w").write(KEY)
    server = checks.Server(exe, os.path.join(workdir, "cors.log"), [
        "--cors-origin", "http://page.example:8000", "--cors-origin", "https://b.example,https://c.example",
        "--api-key-file", key_file, "--max-body-bytes", "1000"])
    try:
        c = Raw(server.port)
        c.send(preflight.format(origin="http://page.example:8000"))
        status, fields, body = c.response()
        check(status == 204 and header(fields, "Access-Control-Allow-Origin") == "http://page.example:8000"
              and header(fields, "Access-Control-Allow-Methods") == "POST"
              and "Authorization" in (header(fields, "Access-Control-Allow-Headers") or "")
              and "Content-Type" in (header(fields, "Access-Control-Allow-Headers") or "")
              and (header(fields, "Access-Control-Max-Age") or "").isdigit()
              and header(fields, "Vary") == "Origin, Accept-Encoding" and not repeated(fields),
              f"preflight from an allowed origin: 204 with the Access-Control headers, no API key ({status})")
        c.send(preflight.format(origin="https://c.example").replace("/backward", "/ops"))
        status, fields, _ = c.response()
        check(status == 204 and header(fields, "Access-Control-Allow-Methods") == "GET, HEAD",
              f"preflight for /ops, second origin of a comma list: 204, GET, HEAD ({status})")
        origin = "Origin: https://b.example\r\n"
        auth = f"Authorization: Bearer {KEY}\r\n"
        head_bad_length = "POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: abc\r\n"
        answers = []
        # Each on its own connection: a refused body (the 401 and the 413) closes its connection.
        for label, request in (("200", post("/backward", SEED, origin + auth)), ("401", post("/backward", SEED, origin)),
                               ("404", get("/nowhere", origin + auth)), ("200 probe", get("/healthz", origin)),
                               ("413 before the body", post("/backward", b" " * 5000, origin + auth)),
                               ("400 malformed Content-Length", (head_bad_length + origin + "\r\n").encode()),
                               ("400 without Host", f"GET /healthz HTTP/1.1\r\n{origin}\r\n".encode())):
            c = Raw(server.port)
            c.send(request)
            answers.append((label, c.response()))
            c.close()
        for label, (status, fields, _) in answers:
            check(header(fields, "Access-Control-Allow-Origin") == "https://b.example" and header(fields, "Vary") == "Origin, Accept-Encoding"
                  and not repeated(fields), f"{label} ({status}) to an allowed origin carries Access-Control-Allow-Origin and Vary")
        c = Raw(server.port)
        c.send(post("/backward", SEED, "Origin: https://evil.example\r\n" + auth))
        status, fields, _ = c.response()
        check(status == 200 and header(fields, "Access-Control-Allow-Origin") is None,
              "an origin not listed gets no Access-Control-Allow-Origin")
        c.send(preflight.format(origin="https://evil.example"))
        status, _, _ = c.response()
        check(status == 401, f"a preflight from an origin not listed is an ordinary OPTIONS (401 here: {status})")
        c.close()
    finally:
        server.stop()
    env = dict(os.environ, AUTOGRAD_CORS_ORIGIN="*")
    log = os.path.join(workdir, "cors-env.log")
    old = os.environ.copy()
    os.environ.update(env)
    try:
        server = checks.Server(exe, log, [])
    finally:
        os.environ.clear()
        os.environ.update(old)
    try:
        c = Raw(server.port)
        c.send(get(extra="Origin: http://anything.example\r\n"))
        status, fields, _ = c.response()
        check(header(fields, "Access-Control-Allow-Origin") == "*", "AUTOGRAD_CORS_ORIGIN='*': Access-Control-Allow-Origin: *")
        c.close()
    finally:
        server.stop()


def burst(port, count, body):
    """`count` requests, each on its own connection, released at once (every byte but the
    last sent ahead); their (status, Retry-After)."""
    ready = threading.Barrier(count + 1)
    statuses = [None] * count

    def one(i):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            data = post("/backward", body)
            s.sendall(data[:-1])  # all but the last byte: the bodies complete together
            ready.wait()
            s.sendall(data[-1:])
            c = Raw.__new__(Raw)
            c.sock, c.buffer, c.closed = s, b"", False
            status, fields, _ = c.response()
            statuses[i] = (status, header(fields, "Retry-After"))
            s.close()
        except (OSError, EOFError, threading.BrokenBarrierError) as error:
            statuses[i] = type(error).__name__

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    ready.wait()
    for t in threads:
        t.join(120)
    return statuses


def queue_checks(exe, workdir):
    # --connection-timeout 120: on a loaded machine the 256 client threads can take longer
    # than the default 30 s to all reach the barrier, and the first would be timed out idle.
    server = checks.Server(exe, os.path.join(workdir, "burst.log"), ["--max-inflight", "2", "--connection-timeout", "120"])
    try:
        for attempt in range(3):
            statuses = burst(server.port, 256, SEED)
            ok = sum(s == (200, None) for s in statuses)
            check(ok == 256, f"256 README-sized requests released at once, default queue, 2 slots (try {attempt + 1}): "
                  f"{ok} x 200", str({str(s) for s in statuses}))
    finally:
        server.stop()
    # Large bodies shed: 1.4 MB bodies (one slot, one computation running long enough)
    # against --max-queue-bytes 4 MiB: about three wait, the rest get 503 + Retry-After.
    n = 300
    big = json.dumps({"tensors": {"a": {"data": [[0.001] * n] * n, "requires_grad": True},
                                  "pad": {"data": [0.0] * 200000}},
                      "ops": [{"id": "m0", "op": "matmul", "inputs": ["a", "a"]}]
                      + [{"id": f"m{i}", "op": "matmul", "inputs": [f"m{i - 1}", "a"]} for i in range(1, 30)]
                      + [{"id": "loss", "op": "sum", "inputs": ["m29"]}], "loss": "loss"}).encode()
    server = checks.Server(exe, os.path.join(workdir, "shed.log"),
                           ["--max-inflight", "1", "--max-queue-bytes", str(4 << 20)])
    try:
        statuses = burst(server.port, 12, big)
        ok = sum(s == (200, None) for s in statuses)
        shed = sum(s == (503, "1") for s in statuses)
        check(ok + shed == 12 and shed >= 1 and 2 <= ok <= 8,
              f"12 bodies of {len(big) // 1000} kB past --max-queue-bytes 4 MiB: {ok} x 200, {shed} x 503 with Retry-After",
              str(statuses))
    finally:
        server.stop()


def working_checks(port):
    c = Raw(port)
    c.send(post("/backward", b"{", ""))
    first = c.response()
    c.send(post("/backward", SEED))
    second = c.response()
    check(first[0] == 400 and second[0] == 200, f"keep-alive across a 4xx: {first[0]} then {second[0]}")
    c.send(get() + get("/ops") + get())
    got = [c.response()[0] for _ in range(3)]
    check(got == [200, 200, 200], f"three pipelined requests answered in order: {got}")
    chunks = [SEED[i:i + 100] for i in range(0, len(SEED), 100)]
    body = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece) for piece in chunks) + b"0\r\nX-Trailer: yes\r\n\r\n"
    c.send(b"POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
           b"Trailer: X-Trailer\r\n\r\n" + body)
    status, fields, answer = c.response()
    check(status == 200 and json.loads(answer)["outputs"]["loss"]["shape"] == [],
          f"chunked upload with extensions and a trailer: {status}")
    c.send(f"POST /backward HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {len(SEED)}\r\n"
           "Expect: 100-continue\r\n\r\n")
    cont = c.response(head_only=True)
    c.send(SEED)
    final = c.response()
    check(cont[0] == 100 and final[0] == 200, f"Expect: 100-continue within the limit: {cont[0]}, then {final[0]}")
    c.send("HEAD /ops HTTP/1.1\r\nHost: t\r\n\r\n")
    status, fields, _ = c.response(head_only=True)
    c.send(get())
    check(status == 200 and c.response()[0] == 200, "HEAD: headers only, the connection stays in step")
    c.close()
    c = Raw(port)
    c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status, fields, _ = c.response()
    check(status == 200, f"HTTP/1.0: {status}")
    c.close()
    results = [None] * 100

    def one(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("POST", "/backward", body=SEED, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            results[i] = (r.status, r.read())
        except (OSError, http.client.HTTPException) as error:
            results[i] = (type(error).__name__, b"")
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    bodies = {r[1] for r in results}
    check(all(r[0] == 200 for r in results) and len(bodies) == 1,
          f"100 concurrent requests: {sum(r[0] == 200 for r in results)} x 200, {len(bodies)} distinct bodies")


def main():
    exe = checks.binary(ROOT)
    with tempfile.TemporaryDirectory() as workdir:
        server = checks.Server(exe, os.path.join(workdir, "server.log"), [])
        try:
            print("malformed requests (first on their connection and later; HeaderGate, on by default):")
            malformed_checks(server.port)
            print("request line, Host, methods:")
            request_line_checks(server.port)
            print("what already worked:")
            working_checks(server.port)
        finally:
            server.stop()
        server = checks.Server(exe, os.path.join(workdir, "nogate.log"), ["--header-gate", "false"])
        try:
            print("what already worked, with libmicrohttpd accepting connections itself (--header-gate false):")
            working_checks(server.port)
        finally:
            server.stop()
        print("malformed requests over TLS:")
        tls_checks(exe, workdir)
        print("idle connections and the read timeout:")
        idle_checks(exe, workdir)
        print("CORS:")
        cors_checks(exe, workdir)
        print("the queue:")
        queue_checks(exe, workdir)
    return checks.summary("HTTP/1.1 conformance")


if __name__ == "__main__":
    sys.exit(main())
