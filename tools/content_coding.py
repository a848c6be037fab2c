#!/usr/bin/env python3
"""gzip request bodies and gzip answers, through Python's http.client (which, unlike curl,
neither decompresses nor forgives): against a live server (the debug build, or
$AUTOGRAD_SERVER) with --max-body-bytes 65536.

- Content-Encoding: gzip (and x-gzip, identity) bodies, by Content-Length and chunked,
  are answered byte for byte as the plain body is;
- a gzip bomb (small on the wire, 16x the limit inflated) is 413, a corrupt, truncated or
  not-gzip body 400, each application/problem+json with a detail saying so;
- br, deflate, x-foo, stacked codings and two Content-Encoding fields are 415 with
  Accept-Encoding: gzip, identity;
- Accept-Encoding: gzip (q-values, gzip;q=0, *) gives a gzip answer to a large request,
  which Python's gzip module inflates to the plain answer; small answers and refusals
  come as they are; every answer carries Vary: Accept-Encoding.
Exit status 0 when all passed.
"""
import gzip
import http.client
import json
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import checks  # noqa: E402
from checks import check  # noqa: E402

LIMIT = 65536
GRAPH = json.dumps({"tensors": {"x": {"shape": [2000], "init": {"name": "ones"}}},
                    "ops": [{"id": "y", "op": "exp", "inputs": ["x"]}]}).encode()


def post(port, body, headers=(), chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        h = {"Content-Type": "application/json", **dict(headers)}
        if chunked:
            conn.request("POST", "/forward", body=iter([body[i:i + 100] for i in range(0, len(body), 100)]),
                         headers=h, encode_chunked=True)
        else:
            conn.request("POST", "/forward", body=body, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(), r.msg.get_all("Content-Encoding")
    finally:
        conn.close()


def post_fields(port, body, fields):
    """POST with header fields given as a list, so a field may repeat."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("POST", "/forward")
        for name, value in [("Content-Type", "application/json"), ("Content-Length", str(len(body)))] + fields:
            conn.putheader(name, value)
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def problem(status, headers, body, want, text):
    detail = json.loads(body).get("detail", "") if headers.get("content-type") == "application/problem+json" else ""
    return status == want and text in detail


def main():
    exe = checks.binary(ROOT)
    workdir = tempfile.mkdtemp(prefix="autograd-gzip-")
    server = checks.Server(exe, os.path.join(workdir, "server.log"), ["--max-body-bytes", str(LIMIT)])
    try:
        port = server.port
        status, headers, plain, _ = post(port, GRAPH)
        check(status == 200 and len(plain) > 1024 and "content-encoding" not in headers,
              f"the plain request: 200, {len(plain)} bytes, no Content-Encoding")
        check(headers.get("vary") == "Accept-Encoding", "Vary: Accept-Encoding on every answer", str(headers.get("vary")))
        packed = gzip.compress(GRAPH)
        for label, body, hdrs, chunked in (("gzip", packed, [("Content-Encoding", "gzip")], False),
                                           ("gzip, chunked", packed, [("Content-Encoding", "gzip")], True),
                                           ("x-gzip", packed, [("Content-Encoding", "x-gzip")], False),
                                           ("two gzip members", gzip.compress(GRAPH[:50]) + gzip.compress(GRAPH[50:]),
                                            [("Content-Encoding", "gzip")], False),
                                           ("identity", GRAPH, [("Content-Encoding", "identity")], False)):
            status, _, answer, _ = post(port, body, hdrs, chunked)
            check(status == 200 and answer == plain, f"Content-Encoding: {label} body: the same answer, byte for byte", str(status))

        bomb = gzip.compress(b" " * (16 * LIMIT), compresslevel=9)
        status, headers, body, _ = post(port, bomb, [("Content-Encoding", "gzip")])
        check(len(bomb) < LIMIT and problem(status, headers, body, 413, "once inflated"),
              f"a {len(bomb)}-byte gzip bomb of {16 * LIMIT} bytes: 413 problem+json", f"{status} {body[:200]!r}")
        status, headers, body, _ = post(port, bomb, [("Content-Encoding", "gzip")], chunked=True)
        check(problem(status, headers, body, 413, "once inflated"), "the bomb chunked: 413", f"{status} {body[:200]!r}")
        corrupt = bytearray(packed)
        corrupt[-6] ^= 0xFF
        for label, body, want in (("a bad CRC", bytes(corrupt), "incorrect data check"),
                                  ("truncated", packed[:-10], "truncated"),
                                  ("plain JSON", GRAPH, "incorrect header check"),
                                  ("trailing bytes", packed + b"\0\0\0\0", "not valid gzip"),
                                  ("empty", b"", "empty")):
            status, headers, answer, _ = post(port, body, [("Content-Encoding", "gzip")])
            check(problem(status, headers, answer, 400, want), f"gzip body with {label}: 400 problem+json ({want})",
                  f"{status} {answer[:200]!r}")
        for coding in ("br", "deflate", "x-foo", "gzip, gzip", "gzip, br"):
            status, headers, answer, _ = post(port, GRAPH, [("Content-Encoding", coding)])
            check(problem(status, headers, answer, 415, "Content-Encoding") and headers.get("accept-encoding") == "gzip, identity",
                  f"Content-Encoding: {coding}: 415 problem+json with Accept-Encoding: gzip, identity", f"{status} {answer[:200]!r}")
        status, headers, answer = post_fields(port, packed, [("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")])
        check(status == 415, "two Content-Encoding fields: 415", str(status))

        for accept, compressed in (("gzip", True), ("gzip, deflate, br", True), ("*", True), ("x-gzip", True),
                                   ("br;q=1.0, gzip;q=0.8, *;q=0.1", True), ("gzip;q=0", False), ("*;q=0", False),
                                   ("identity", False), ("br", False), ("identity;q=1, gzip;q=0.5", False),
                                   ("gzip;q=0, *", False)):
            status, headers, answer, codings = post(port, GRAPH, [("Accept-Encoding", accept)])
            if compressed:
                ok = status == 200 and codings == ["gzip"] and gzip.decompress(answer) == plain and len(answer) < len(plain) / 4
            else:
                ok = status == 200 and codings is None and answer == plain
            check(ok and headers.get("vary") == "Accept-Encoding",
                  f"Accept-Encoding: {accept}: {'gzip' if compressed else 'as it is'}, with Vary", f"{status} {codings}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz", headers={"Accept-Encoding": "gzip"})
        r = conn.getresponse()
        check(r.getheader("Content-Encoding") is None and r.read() == b'{"status":"ok"}',
              "a small answer (GET /healthz) is never compressed")
        conn.request("GET", "/ops", headers={"Accept-Encoding": "gzip"})
        r = conn.getresponse()
        ops = r.read()
        conn.request("HEAD", "/ops", headers={"Accept-Encoding": "gzip"})
        h = conn.getresponse()
        h.read()
        check(r.getheader("Content-Encoding") == "gzip" and json.loads(gzip.decompress(ops))
              and h.getheader("Content-Length") == str(len(ops)) and h.getheader("Content-Encoding") == "gzip",
              "GET /ops gzip-compressed, and HEAD says the same length")
        conn.close()
    except Exception as error:  # noqa: BLE001 - report and clean up
        check(False, "the content-coding checks ran", repr(error))
    finally:
        server.stop()
        if checks.failures:
            print(open(os.path.join(workdir, "server.log"), errors="replace").read()[-1500:])
        shutil.rmtree(workdir, ignore_errors=True)
    return checks.summary("content_coding")


if __name__ == "__main__":
    sys.exit(main())
