#!/usr/bin/env python3
"""The page of `GET /` in a real browser (issue 15; `make test-web`).

    python3 tools/with_server.py BINARY -- python3 tools/check_web_page.py --url {url}
    AUTOGRAD_API_KEY=K python3 tools/with_server.py BINARY -- python3 tools/check_web_page.py --url {url} --api-key K

Headless Chromium from Debian (`apt-get install chromium`), driven by Playwright from PyPI
with that executable (no `playwright install`). Without --api-key: the page's files and
headers over plain HTTP, then in the browser the README example and the CNN example
(the drawn SVG: every node, the colours by gradient norm, the hover text; every number in
the tables against the server's own JSON answer), a 422 whose pointers are marked in the
editor's text, text that is not JSON, and an .onnx file sent as `"onnx": {"b64"}`.
With --api-key: the page loads without the key, asks for it on 401, refuses a wrong one,
keeps it in sessionStorage only (`make test-web` runs this one over TLS: --cacert). Both: no CSP violation, no console error but the 401/422
answers the checks provoke, no request off the page's origin. Screenshots go to .build/.
Exit status 0 when every check passed.
"""
import argparse
import base64
import json
import math
import os
import re
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "api" / "examples"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
RAMP_LOW, RAMP_HIGH = "#ffffcc", "#bd0026"
NO_GRADIENT = "#eeeeee"
# Chromium logs every 4xx a fetch gets as a console error; these the checks cause on purpose.
EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of (401|422) ")

failures = []
TLS = None  # an ssl.SSLContext trusting --cacert, for an https:// server


def check(condition, message, why=""):
    print(f"  {'ok  ' if condition else 'FAIL'}  {message}" + ("" if condition or not why else f": {why}"))
    if not condition:
        failures.append(message)
    return condition


# ---------------------------------------------------------------------------- HTTP

def http(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30, context=TLS) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_json(base, path, document, key=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    status, _, body = http(base + path, "POST", json.dumps(document).encode(), headers)
    return status, json.loads(body)


def request_examples():
    return sorted(p.name[:-5] for p in EXAMPLES.glob("*.json") if not p.name.endswith(".response.json"))


def check_files(base, key):
    print("the page's files:")
    types = {"/": "text/html", "/web/app.js": "text/javascript", "/web/app.css": "text/css",
             "/web/icon.svg": "image/svg+xml", "/web/examples": "application/json"}
    for path, media in types.items():
        status, headers, body = http(base + path)
        check(status == 200 and (headers.get("Content-Type") or "").split(";")[0] == media,
              f"GET {path} -> 200 {media} without a key", f"{status} {headers.get('Content-Type')}")
        check(headers.get("Content-Security-Policy") == CSP, f"GET {path} carries the CSP", headers.get("Content-Security-Policy"))
        check(headers.get("X-Content-Type-Options") == "nosniff", f"GET {path}: nosniff")
        etag = headers.get("ETag")
        status, again, _ = http(base + path, headers={"If-None-Match": etag or '"none"'})
        check(etag is not None and status == 304 and again.get("ETag") == etag, f"GET {path} with its ETag -> 304", f"{status}")
    status, _, body = http(base + "/web/examples")
    listed = json.loads(body)["examples"]
    check(sorted(e["name"] for e in listed) == request_examples(),
          "GET /web/examples lists every request of api/examples", str([e["name"] for e in listed]))
    for example in listed:
        status, _, body = http(base + "/" + example["href"])
        check(status == 200 and body == (EXAMPLES / f"{example['name']}.json").read_bytes(),
              f"GET /{example['href']} is api/examples/{example['name']}.json byte for byte")
    if key:
        status, _, _ = http(base + "/backward", "POST", b"{}", {"Content-Type": "application/json"})
        check(status == 401, "POST /backward without the key is still 401", str(status))
    page = http(base + "/")[2].decode()
    check("<script>" not in page and " style=" not in page and "<style" not in page and "http" not in page.replace("http-equiv", ""),
          "index.html has no inline script or style and no absolute URL")


# ---------------------------------------------------------------------------- numbers

def flat(data):
    if isinstance(data, list):
        return [v for d in data for v in flat(d)]
    return [{"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(data, data)]


def stats(xs):
    largest = max((abs(x) for x in xs), default=0.0)
    norm = largest * math.sqrt(sum((x / largest) ** 2 for x in xs)) if largest > 0 else 0.0
    return {"min": min(xs), "max": max(xs), "mean": sum(xs) / len(xs), "norm": norm}


def close(shown, want):
    try:
        got = float(shown)
    except ValueError:
        return False
    return math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-30)


def check_table(page, table_id, tensors, what):
    """Every row of the table against the server's tensors: shape, first values exactly,
    min/max/mean/norm to the six digits shown."""
    rows = page.eval_on_selector_all(
        f"#{table_id} tr[data-name]",
        "rows => rows.map(r => [r.dataset.name, Object.fromEntries([...r.cells].map(c => [c.dataset.field, c.textContent]))])")
    check([name for name, _ in rows] == list(tensors), f"{what}: one row per tensor, in the answer's order",
          f"{[n for n, _ in rows]} vs {list(tensors)}")
    bad = []
    for name, cells in rows:
        tensor = tensors.get(name)
        if tensor is None:
            continue
        xs = flat(tensor["data"])
        if cells["shape"] != "[" + ", ".join(str(d) for d in tensor["shape"]) + "]":
            bad.append(f"{name} shape {cells['shape']}")
        first = cells["first"].rsplit(" (", 1)
        shown_values = [v for v in first[0].split(", ") if v != "…"]
        if first[1] != f"{len(xs)})" or [float(v) for v in shown_values] != xs[:6]:
            bad.append(f"{name} first values {cells['first']!r} vs {xs[:6]}")
        for field, want in stats(xs).items():
            if not close(cells[field], want):
                bad.append(f"{name} {field} {cells[field]} vs {want}")
    check(not bad, f"{what}: shape, first values, min, max, mean and norm equal the server's answer", "; ".join(bad[:5]))


# ---------------------------------------------------------------------------- browser

class Browser:
    """One Chromium page with its console, page errors, CSP violations and requests recorded."""

    def __init__(self, playwright, executable, base):
        self.base = base
        self.browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        # The certificate of the TLS run is self-signed (urllib checks it against --cacert).
        self.secure = base.startswith("https://")
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=1,
                                                ignore_https_errors=self.secure)
        self.context.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', "
            "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        self.console, self.errors, self.foreign, self.posts = [], [], [], []
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self.on_request)
        page.set_default_timeout(30_000)
        return page

    def on_request(self, request):
        if not (request.url.startswith(self.base + "/") or request.url.startswith("data:")):
            self.foreign.append(request.url)
        if request.method == "POST":
            self.posts.append((request.url[len(self.base):], request.post_data))

    def check_clean(self, page):
        violations = page.evaluate("window.__csp")
        check(violations == [], "no Content-Security-Policy violation", str(violations))
        unexpected = [m for m in self.console if not EXPECTED_CONSOLE.match(m)]
        check(unexpected == [], "no console error (beyond the 401/422 answers provoked)", str(unexpected[:3]))
        check(self.errors == [], "no uncaught script error", str(self.errors[:3]))
        check(self.foreign == [], "every request stays on the page's origin", str(self.foreign[:3]))

    def close(self):
        self.browser.close()


def run_example(page, name, wait_for):
    page.click(f"button[data-example='{name}']")
    page.wait_for_selector(wait_for, state="visible")
    page.wait_for_function("!document.getElementById('run').disabled")


def svg_nodes(page):
    return page.eval_on_selector_all("#graph-svg g.node", """gs => gs.map(g => ({
        name: g.dataset.name, kind: g.dataset.kind, op: g.dataset.op || null, shape: g.dataset.shape,
        norm: g.dataset.gradNorm === undefined ? null : Number(g.dataset.gradNorm),
        fill: g.querySelector('path, polygon, ellipse').getAttribute('fill'),
        label: [...g.querySelectorAll('text')].map(t => t.textContent)}))""")


def check_drawing(page, request, answer, what):
    nodes = svg_nodes(page)
    tensors, ops = list(request["tensors"]), [op["id"] for op in request["ops"]]
    check(sorted(n["name"] for n in nodes) == sorted(tensors + ops),
          f"{what}: the SVG has a node for each of the {len(tensors)} tensors and {len(ops)} ops",
          str([n["name"] for n in nodes]))
    gradients = answer["gradients"]
    norms = {name: stats(flat(t["data"]))["norm"] for name, t in gradients.items()}
    bad = []
    for n in nodes:
        if n["kind"] == "tensor" and n["name"] in norms:
            want = norms[n["name"]]
            if n["norm"] is None or not math.isclose(n["norm"], want, rel_tol=1e-9):
                bad.append(f"{n['name']} norm {n['norm']} vs {want}")
            # The server's own label says ‖grad‖ to four digits.
            label = next((line for line in n["label"] if line.startswith("‖grad‖ = ")), None)
            if label is None or not math.isclose(float(label.split("= ")[1]), want, rel_tol=6e-4):
                bad.append(f"{n['name']} label {label} vs {want}")
        elif n["kind"] == "tensor" and n["fill"] != NO_GRADIENT:
            bad.append(f"{n['name']} has no gradient but fill {n['fill']}")
    check(not bad, f"{what}: each tensor's norm equals its gradient's, and the server's label", "; ".join(bad[:4]))
    coloured = {n["name"]: n["fill"] for n in nodes if n["kind"] == "tensor" and n["name"] in norms}
    largest, smallest = max(norms, key=norms.get), min(norms, key=norms.get)
    check(coloured.get(largest) == RAMP_HIGH and coloured.get(smallest) == RAMP_LOW,
          f"{what}: the largest norm ({largest}) is drawn {RAMP_HIGH}, the smallest ({smallest}) {RAMP_LOW}", str(coloured))
    ordered = sorted(coloured, key=norms.get)
    darkness = [sum(int(coloured[k][i:i + 2], 16) for i in (1, 3, 5)) for k in ordered]
    check(darkness == sorted(darkness, reverse=True), f"{what}: a larger norm is never drawn lighter", str(list(zip(ordered, darkness))))
    return nodes


def check_unkeyed(browser, base, shots):
    page = browser.page
    page.goto(base + "/")
    page.wait_for_selector("button[data-example='cnn-train']")
    check(page.input_value("#editor").strip().startswith("{"), "the page opens with an example in the editor")

    print("the README example:")
    seed = json.loads((EXAMPLES / "seed-linear-mse.json").read_text())
    run_example(page, "seed-linear-mse", "#gradients-section")
    page.wait_for_selector("#graph-svg svg")
    status, answer = post_json(base, "/backward", seed)
    check(answer == json.loads((EXAMPLES / "seed-linear-mse.response.json").read_text()),
          "the server answers the README example as api/examples/seed-linear-mse.response.json")
    check(float(page.text_content("#loss")) == answer["outputs"]["loss"]["data"], "the loss shown is the server's",
          page.text_content("#loss"))
    check_table(page, "outputs", answer["outputs"], "outputs")
    check_table(page, "gradients", answer["gradients"], "gradients")
    nodes = check_drawing(page, seed, answer, "README example")
    ops = {n["name"]: (n["op"], n["shape"]) for n in nodes if n["kind"] == "op"}
    check(ops == {"y": ("linear", "[2, 2]"), "loss": ("mse_loss", "[]")}, "each op node knows its op and shape", str(ops))
    page.hover("#graph-svg g.node[data-name='y']")
    tip = page.text_content("#tooltip")
    check(page.is_visible("#tooltip") and "y: linear" in tip and "shape [2, 2]" in tip,
          "hovering the node y shows its op and shape", repr(tip))
    page.hover("#graph-svg g.node[data-name='W']")
    tip = page.text_content("#tooltip")
    norm = re.search(r"‖grad‖ = (\S+)", tip)
    check("W: tensor float32" in tip and "shape [2, 2]" in tip and norm is not None
          and close(norm.group(1), stats(flat(answer["gradients"]["W"]["data"]))["norm"]),
          "hovering W shows its dtype, shape and gradient norm", repr(tip))
    page.screenshot(path=str(shots / "web-page-seed.png"), full_page=True)

    print("the CNN example:")
    cnn = json.loads((EXAMPLES / "cnn-train.json").read_text())
    run_example(page, "cnn-train", "#train-section")
    page.wait_for_selector("#graph-svg svg")
    graph_part = {k: v for k, v in cnn.items() if k not in ("optimizer", "steps")}
    _, answer = post_json(base, "/backward", graph_part)
    check(float(page.text_content("#loss")) == answer["outputs"]["loss"]["data"], "the loss shown is the server's",
          page.text_content("#loss"))
    check_table(page, "gradients", answer["gradients"], "gradients")
    check_drawing(page, cnn, answer, "CNN example")
    _, trained = post_json(base, "/train", cnn)
    check_table(page, "parameters", trained["parameters"], "parameters after /train")
    summary = page.eval_on_selector("#train-summary", "e => [e.dataset.first, e.dataset.last]")
    check([float(v) for v in summary] == [trained["losses"][0], trained["losses"][-1]],
          "the first and last training losses shown are the server's", str(summary))
    check(page.eval_on_selector("#loss-curve polyline", "p => p.points.numberOfItems") == cnn["steps"],
          "the loss curve has a point per step")
    page.screenshot(path=str(shots / "web-page.png"), full_page=True)

    print("a 422 and its pointers:")
    text = ('{\n  "tensors": {\n    "x": {"data": [[1, 2], [3]]}\n  },\n'
            '  "ops": [{"id": "y", "op": "matmul", "inputs": ["x", "W"]}],\n  "loss": "y"\n}\n')
    page.fill("#editor", text)
    page.click("#run")
    page.wait_for_selector("#problem", state="visible")
    _, problem = post_json(base, "/backward", json.loads(text))
    shown = page.eval_on_selector_all("#problem-list li", "lis => lis.map(li => li.textContent)")
    check(len(shown) == len(problem["errors"]) and all(e["pointer"] in s and e["detail"] in s for e, s in zip(problem["errors"], shown)),
          "every error of the server's 422 is listed with its pointer and detail", str(shown))
    marks = page.eval_on_selector_all("#backdrop mark", "ms => ms.map(m => m.textContent)")
    check(marks == ['"data": [[1, 2], [3]]', '"W"'], "the pointers' text is marked in the editor", str(marks))
    check(page.text_content("#problem-title") == "422 Unprocessable Content", "the problem's status and title are shown")
    page.click("#problem-list li:nth-child(2) button.pointer")
    selected = page.evaluate("(() => { const e = document.getElementById('editor'); return e.value.slice(e.selectionStart, e.selectionEnd); })()")
    check(selected == '"W"', "clicking a pointer selects its text", repr(selected))
    page.type("#editor", " ")
    check(page.eval_on_selector_all("#backdrop mark", "ms => ms.length") == 0, "editing clears the marks")

    page.fill("#editor", '{"tensors": {"x": {"data": [1, 2,]}}}')
    page.click("#run")
    page.wait_for_selector("#problem", state="visible")
    marks = page.eval_on_selector_all("#backdrop mark", "ms => ms.map(m => m.textContent)")
    check(page.text_content("#problem-title") == "Not JSON" and marks == ["]"],
          "text that is not JSON is refused in the page, the place marked", f"{page.text_content('#problem-title')} {marks}")

    print("an .onnx file (issue 11's request member):")
    onnx = bytes([0x08, 0x07, 0x3A, 0x00])  # ModelProto{ir_version: 7, graph: {}}
    page.fill("#editor", '{"tensors": {"input": {"data": [[1, 2]]}}, "ops": [], "loss": "input"}')
    before = len(browser.posts)
    page.set_input_files("#file", files=[{"name": "tiny.onnx", "mimeType": "application/octet-stream", "buffer": onnx}])
    page.wait_for_selector("#model", state="visible")
    with page.expect_response(lambda r: r.url.endswith("/backward")) as caught:
        page.click("#run")
    response = caught.value
    sent = json.loads(next(body for path, body in browser.posts[before:] if path == "/backward"))
    check(sent.get("onnx") == {"b64": base64.b64encode(onnx).decode()} and "input" in sent["tensors"],
          'the model goes to the server as "onnx": {"b64": ...} beside the tensors', str(sent)[:200])
    if response.status == 200:
        page.wait_for_selector("#outputs-section", state="visible")
        check(True, "the server imported the model (issue 11 has landed)")
    else:
        page.wait_for_selector("#problem", state="visible")
        answered = response.json()
        shown = page.text_content("#problem")
        pointers = [e["pointer"] for e in answered.get("errors", [])]
        check(answered["detail"] in shown and all(p in shown for p in pointers),
              f"the server's refusal ({response.status}, {pointers}) is shown", shown[:200])
        if any(p == "/onnx" or p.startswith("/onnx/") for p in pointers):
            check(page.eval_on_selector("#model", "m => m.classList.contains('flagged')"),
                  "a pointer into /onnx flags the attached model")
    browser.check_clean(page)


def check_keyed(browser, base, key):
    print(f"with an API key, over {'TLS' if browser.secure else 'plain HTTP'}:")
    page = browser.page
    page.goto(base + "/")
    page.wait_for_selector("button[data-example='seed-linear-mse']")
    check(True, "the page and its examples load without the key")
    page.click("button[data-example='seed-linear-mse']")
    page.wait_for_selector("#key-dialog[open]")
    page.fill("#key-input", key + "-wrong")
    page.click("#key-ok")
    page.wait_for_function("document.getElementById('key-message').textContent.includes('refused')")
    check(page.is_visible("#key-dialog"), "a wrong key is refused and asked for again")
    page.fill("#key-input", key)
    page.press("#key-input", "Enter")
    page.wait_for_selector("#gradients-section", state="visible")
    _, answer = post_json(base, "/backward", json.loads((EXAMPLES / "seed-linear-mse.json").read_text()), key)
    check_table(page, "gradients", answer["gradients"], "gradients with the key")
    storage = page.evaluate("[sessionStorage.getItem('autograd-api-key'), localStorage.length, document.cookie]")
    check(storage == [key, 0, ""], "the key is in sessionStorage only", str(storage))
    page.reload()
    page.wait_for_selector("button[data-example='seed-linear-mse']")
    page.click("button[data-example='seed-linear-mse']")
    page.wait_for_selector("#gradients-section", state="visible")
    check(not page.is_visible("#key-dialog"), "the tab keeps the key across a reload")
    other = browser.browser.new_context(ignore_https_errors=browser.secure)
    fresh = other.new_page()
    fresh.goto(base + "/")
    check(fresh.evaluate("sessionStorage.getItem('autograd-api-key')") is None, "another session does not have it")
    other.close()
    browser.check_clean(page)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--shots", default=str(ROOT / ".build"))
    parser.add_argument("--cacert", help="the certificate of an https:// server")
    args = parser.parse_args()
    global TLS
    if args.cacert:
        TLS = ssl.create_default_context(cafile=args.cacert)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("check_web_page: needs Playwright from PyPI (python3 -m pip install playwright; no `playwright install`)")
    if not os.path.exists(args.chromium):
        sys.exit(f"check_web_page: no Chromium at {args.chromium} (apt-get install chromium)")
    base = args.url.rstrip("/")
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    check_files(base, args.api_key)
    with sync_playwright() as playwright:
        browser = Browser(playwright, args.chromium, base)
        try:
            if args.api_key:
                check_keyed(browser, base, args.api_key)
            else:
                check_unkeyed(browser, base, shots)
        finally:
            browser.close()
    print(f"{'FAILED' if failures else 'passed'} in {time.monotonic() - started:.1f} s"
          + (f"; screenshots in {shots}/web-page.png, web-page-seed.png" if not args.api_key else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
