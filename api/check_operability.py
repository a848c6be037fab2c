#!/usr/bin/env python3
"""The operability routes of a real server (issue 6), with real parsers:

- GET /metrics parses as Prometheus text (prometheus_client's parser) and counts what was
  sent: requests by route and status, latency histogram, bytes in and out, computations
  in flight and queued, ops and elements per graph;
- GET /openapi.yaml serves api/openapi.yaml byte for byte; GET /version and GET /v2 name
  the server and the spec's info.version;
- GET /readyz, /v2/health/ready, /v2/health/live;
- the request id: the body's `id` echoed in the body and X-Request-Id, an X-Request-Id
  header honoured, one generated otherwise; X-Served-By is --instance-id;
- POST /graph: DOT that Graphviz's `dot` reads, SVG (?format=svg, or Accept) that parses as
  XML, 400 for an unknown format;
- --log-format json: every log line is a JSON object; request lines carry the request id.
Exit status 0 when all passed. Needs prometheus_client and Graphviz (`make test-deps py-deps`).
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import checks  # noqa: E402
from checks import check, binary  # noqa: E402
SPEC = os.path.join(ROOT, "api", "openapi.yaml")
SEED = os.path.join(ROOT, "api", "examples", "seed-linear-mse.json")


class Client:
    def __init__(self, port):
        self.port = port

    def __call__(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            h = {"Content-Type": "application/json"} if body is not None else {}
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(fams, family, name, **labels):
    f = fams.get(family)
    if f is None:
        return None
    for s in f.samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def metrics(get, seed):
    print("metrics:")
    status, headers, body = get("GET", "/metrics")
    check(status == 200 and headers.get("content-type", "").startswith("text/plain; version=0.0.4"),
          "GET /metrics -> 200 text/plain; version=0.0.4", f"{status} {headers.get('content-type')}")
    try:
        fams = families(body.decode())
    except Exception as error:  # noqa: BLE001
        check(False, "GET /metrics parses as Prometheus text", repr(error))
        return
    check(True, f"GET /metrics parses as Prometheus text ({len(fams)} families)")
    expected = {"autograd_http_requests": "counter", "autograd_http_request_duration_seconds": "histogram",
                "autograd_http_request_bytes": "counter", "autograd_http_response_bytes": "counter",
                "autograd_computations_inflight": "gauge", "autograd_computations_queued": "gauge",
                "autograd_graph_ops": "histogram", "autograd_graph_elements": "histogram",
                "autograd_ready": "gauge", "autograd_build_info": "gauge"}
    for name, kind in expected.items():
        check(name in fams and fams[name].type == kind, f"{name} is a {kind}",
              f"{fams[name].type if name in fams else 'missing'}")
    # Three /backward and one /graph were sent before (see main), plus one 404.
    check(sample(fams, "autograd_http_requests", "autograd_http_requests_total", route="/backward", status="200") == 3,
          "requests_total{route=/backward,status=200} == 3")
    check(sample(fams, "autograd_http_requests", "autograd_http_requests_total", route="other", status="404") == 1,
          "an unknown path counts as route=other, status=404")
    check(sample(fams, "autograd_http_request_duration_seconds", "autograd_http_request_duration_seconds_count", route="/backward") == 3,
          "latency histogram counts the three /backward requests")
    inf = sample(fams, "autograd_http_request_duration_seconds", "autograd_http_request_duration_seconds_bucket", route="/backward", le="+Inf")
    check(inf == 3, "with a +Inf bucket")
    check(sample(fams, "autograd_http_request_bytes", "autograd_http_request_bytes_total", route="/backward") == 3 * len(seed),
          "request bytes in == 3 x the seed body")
    out = sample(fams, "autograd_http_response_bytes", "autograd_http_response_bytes_total", route="/backward")
    check(out is not None and out > 0, f"response bytes out counted ({out})")
    check(sample(fams, "autograd_graph_ops", "autograd_graph_ops_sum", endpoint="backward") == 6
          and sample(fams, "autograd_graph_ops", "autograd_graph_ops_count", endpoint="graph") >= 1,
          "ops per graph: 2 per seed request")
    check(sample(fams, "autograd_graph_elements", "autograd_graph_elements_sum", endpoint="backward") == 3 * 19,
          "elements per request: 19 per seed request (14 given, 5 computed)")
    check(sample(fams, "autograd_computations_inflight", "autograd_computations_inflight") == 0
          and sample(fams, "autograd_computations_queued", "autograd_computations_queued") == 0,
          "no computation in flight or queued when idle")
    check(sample(fams, "autograd_ready", "autograd_ready") == 1, "autograd_ready 1")


def meta(get):
    print("spec, version, health:")
    with open(SPEC, "rb") as f:
        spec = f.read()
    status, headers, body = get("GET", "/openapi.yaml")
    check(status == 200 and body == spec, "GET /openapi.yaml serves api/openapi.yaml byte for byte",
          f"{status}, {len(body)} vs {len(spec)} bytes")
    check(headers.get("content-type") == "application/yaml", "as application/yaml")
    version = re.search(r"^info:\n(?:  .*\n)*?  version: (\S+)", spec.decode(), re.M).group(1)
    for path in ["/version", "/v2"]:
        status, _, body = get("GET", path)
        doc = json.loads(body) if status == 200 else {}
        check(doc.get("name") == "SwiftAutograd" and doc.get("version") == version,
              f"GET {path} -> name SwiftAutograd, version {version} (the spec's)", str(doc))
    for path, want in [("/readyz", {"status": "ready"}), ("/v2/health/ready", {"status": "ready"}),
                       ("/v2/health/live", {"status": "ok"}), ("/healthz", {"status": "ok"})]:
        status, _, body = get("GET", path)
        check(status == 200 and json.loads(body) == want, f"GET {path} -> 200 {want}")


def ids(get, seed):
    print("request ids:")
    request = json.loads(seed)
    status, headers, body = get("POST", "/backward", json.dumps(dict(request, id="job-17")).encode())
    check(status == 200 and headers.get("x-request-id") == "job-17" and json.loads(body).get("id") == "job-17",
          "the body's id is echoed in the body and as X-Request-Id")
    check(headers.get("x-served-by") == "operability-check", "X-Served-By is --instance-id")
    _, headers, _ = get("GET", "/healthz", headers={"X-Request-Id": "from-client"})
    check(headers.get("x-request-id") == "from-client", "an X-Request-Id header is honoured")
    _, headers, _ = get("GET", "/healthz")
    check(re.fullmatch(r"[0-9a-f]{32}", headers.get("x-request-id", "")) is not None, "one is generated otherwise")
    status, _, body = get("POST", "/backward", json.dumps(dict(request, id="not valid!")).encode())
    check(status == 422 and b'"/id"' in body, "an invalid id -> 422 at /id")


def graph(get, seed):
    print("graph pictures:")
    status, headers, body = get("POST", "/graph", seed)
    check(status == 200 and headers.get("content-type") == "text/vnd.graphviz", "POST /graph -> 200 text/vnd.graphviz")
    dot = shutil.which("dot")
    if not check(dot is not None, "Graphviz's dot is installed (make test-deps)"):
        return
    rendered = subprocess.run([dot, "-Tsvg"], input=body, capture_output=True, timeout=20)
    check(rendered.returncode == 0, "dot reads the DOT", rendered.stderr.decode()[:300])
    text = body.decode()
    for needle in ['"W\\nfloat32 [2, 2]\\nrequires_grad\\n‖grad‖ = 5.834"', '"y\\nlinear\\n[2, 2]"', '"loss\\nmse_loss\\n[]\\n= 1.16"']:
        check(needle in text, f"the DOT has {needle}")
    for path, headers in [("/graph?format=svg", {}), ("/graph", {"Accept": "image/svg+xml"})]:
        status, h, svg = get("POST", path, seed, headers)
        ok = status == 200 and h.get("content-type") == "image/svg+xml"
        try:
            root = ET.fromstring(svg)
            ok = ok and root.tag.endswith("svg")
        except ET.ParseError as error:
            ok = False
        check(ok, f"POST {path} {headers or ''} -> image/svg+xml that parses as SVG", f"{status} {svg[:120]!r}")
    status, h, _ = get("POST", "/graph?format=gif", seed)
    check(status == 400 and h.get("content-type") == "application/problem+json", "?format=gif -> 400 problem")


def main():
    exe = binary(ROOT)
    log = tempfile.NamedTemporaryFile(prefix="autograd-operability-", suffix=".log", delete=False)
    process = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", "0", "--instance-id", "operability-check",
                                "--log-format", "json"], stdout=log, stderr=subprocess.STDOUT)
    try:
        port = None
        deadline = time.monotonic() + 10
        while port is None and time.monotonic() < deadline and process.poll() is None:
            m = re.search(r"listening on https?://[^\s\"]*:(\d+)", open(log.name, errors="replace").read())
            port = int(m.group(1)) if m else None
            time.sleep(0.02)
        if not check(port is not None, "the server starts with --log-format json --instance-id", open(log.name, errors="replace").read()[-400:]):
            return 1
        get = Client(port)
        with open(SEED, "rb") as f:
            seed = f.read()
        for _ in range(3):
            get("POST", "/backward", seed)
        get("POST", "/graph", seed)
        get("GET", "/nowhere")
        time.sleep(0.2)  # requests are counted as they complete, just after the answer
        metrics(get, seed)
        meta(get)
        ids(get, seed)
        graph(get, seed)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            code = None
        check(code == 0, "SIGTERM -> exit 0", str(code))
    print("json log:")
    lines = [l for l in open(log.name, errors="replace").read().splitlines() if l.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pass
    check(lines and len(parsed) == len(lines), f"all {len(lines)} log lines are JSON objects",
          next((l for l in lines if not l.startswith("{")), ""))
    requests = [p for p in parsed if p.get("message") == "request"]
    check(any(p.get("request_id") == "job-17" and p.get("status") == 200 and p.get("path") == "/backward" for p in requests),
          "a request line carries method, path, status (a number) and the request id")
    os.unlink(log.name)
    return checks.summary("check_operability")


if __name__ == "__main__":
    sys.exit(main())
