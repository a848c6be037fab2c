#!/usr/bin/env python3
"""CORS in a real browser (issue 23; `make test-web` runs it).

    tools/check_cors_browser.py        (AUTOGRAD_SERVER: the binary; default debug build)

Headless Chromium (Debian's, driven by Playwright as tools/check_web_page.py does) loads a
page from a second origin (a plain HTTP server on another port of 127.0.0.1) whose script
calls the service with `fetch`: POST /backward with JSON and an `Authorization` header,
which makes the browser send a preflight first. The server runs with an API key and
`--cors-origin` naming the page's origin:

- from the allowed origin, the browser's own preflight and request succeed, the answer's
  loss and gradients are the README example's, and the script can read `X-Request-Id`
  only because the server exposes it;
- from a second page origin not listed, the browser refuses the answer (fetch rejects)
  although the server computed nothing different: CORS is the browser's rule;
- with CORS off (no --cors-origin), the allowed page's fetch is refused too.

Exit status 0 when every check passed.
"""
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import check  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KEY = "cors-browser-key"
PAGE = b"<!doctype html><title>another origin</title><p>a page on another origin</p>"
CALL = """async ([url, key, body]) => {
  try {
    const r = await fetch(url + "/backward", {method: "POST", body,
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + key}});
    return {ok: true, status: r.status, id: r.headers.get("X-Request-Id"), body: await r.json()};
  } catch (e) {
    return {ok: false, error: String(e)};
  }
}"""


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def page_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def call_from(browser, origin, service, body):
    page = browser.new_page()
    try:
        page.goto(origin + "/")
        return page.evaluate(CALL, [service, KEY, body])
    finally:
        page.close()


def main():
    exe = checks.binary(ROOT)
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        sys.exit(f"check_cors_browser: no Chromium at {chromium} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    request = (ROOT / "api" / "examples" / "seed-linear-mse.json").read_text()
    expected = json.loads((ROOT / "api" / "examples" / "seed-linear-mse.response.json").read_text())
    allowed, allowed_origin = page_server()
    other, other_origin = page_server()
    with tempfile.TemporaryDirectory() as workdir, sync_playwright() as playwright:
        key_file = os.path.join(workdir, "key")
        Path(key_file).write_text(KEY)
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            server = checks.Server(exe, os.path.join(workdir, "cors.log"),
                                   ["--api-key-file", key_file, "--cors-origin", allowed_origin])
            service = f"http://127.0.0.1:{server.port}"
            try:
                print(f"--cors-origin {allowed_origin}, an API key, the page's fetch with Authorization:")
                answer = call_from(browser, allowed_origin, service, request)
                check(answer.get("ok") and answer.get("status") == 200,
                      "from the allowed origin: the preflight passes and the request is answered 200", str(answer)[:300])
                body = answer.get("body") or {}
                check(body.get("outputs") == expected["outputs"] and body.get("gradients") == expected["gradients"],
                      "the page reads the README example's loss and gradients", str(body)[:300])
                check(bool(answer.get("id")), "the page can read X-Request-Id (exposed to the origin)", str(answer.get("id")))
                answer = call_from(browser, other_origin, service, request)
                check(not answer.get("ok") and "Failed to fetch" in answer.get("error", ""),
                      "from an origin not listed: the browser refuses the answer", str(answer)[:300])
            finally:
                server.stop()
            server = checks.Server(exe, os.path.join(workdir, "nocors.log"), ["--api-key-file", key_file])
            try:
                print("CORS off (no --cors-origin):")
                answer = call_from(browser, allowed_origin, f"http://127.0.0.1:{server.port}", request)
                check(not answer.get("ok"), "the same page's fetch is refused by the browser", str(answer)[:300])
            finally:
                server.stop()
        finally:
            browser.close()
            allowed.shutdown()
            other.shutdown()
    return checks.summary("CORS in Chromium")


if __name__ == "__main__":
    sys.exit(main())
