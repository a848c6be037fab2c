#!/usr/bin/env python3
"""What gzip answers save on W2 (docs/operations.md, "Compression"): POST /backward of the W2
request (autograd-bench --write-request /tmp/w2.json) to a server on PORT, plain and with
Accept-Encoding: gzip, 7 each alternating; the answer sizes, median request times, and
zlib levels 1, 6 and 9 on the same answer.

    python3 bench/gzip_answer.py PORT [REQUEST]
"""
import http.client, time, gzip, zlib, sys, statistics
port = int(sys.argv[1]); body = open(sys.argv[2] if len(sys.argv) > 2 else "/tmp/w2.json", "rb").read()
def post(h):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t = time.perf_counter(); c.request("POST", "/backward", body=body, headers={"Content-Type":"application/json", **h}); r = c.getresponse(); d = r.read(); dt = time.perf_counter()-t; c.close()
    return r.status, r.getheader("Content-Encoding"), d, dt
post({}); post({"Accept-Encoding":"gzip"})
plain, coded = [], []
for _ in range(7):
    s, e, d, dt = post({}); plain.append(dt); P = d
    s, e2, g, dt = post({"Accept-Encoding":"gzip"}); coded.append(dt); G = g
assert e is None and e2 == "gzip" and gzip.decompress(G) == P
print(f"answer {len(P)} bytes plain, {len(G)} gzip level 1 ({len(G)/len(P):.1%})")
print(f"request time median plain {statistics.median(plain)*1000:.1f} ms, gzip {statistics.median(coded)*1000:.1f} ms (7 each, alternating)")
for lvl in (1, 6, 9):
    ts = []
    for _ in range(5):
        t = time.perf_counter(); z = zlib.compress(P, lvl); ts.append(time.perf_counter()-t)
    print(f"zlib level {lvl}: {len(z)} bytes ({len(z)/len(P):.1%}), {statistics.median(ts)*1000:.1f} ms")
