#!/usr/bin/env python3
"""Checks api/openapi.yaml against itself and against the real server.

1. The spec is valid OpenAPI 3.1 (openapi-spec-validator), its examples match their
   schemas, and the POST /backward example is api/examples/seed-linear-mse{,.response}.json.
2. Starts the server (env AUTOGRAD_SERVER, else `swift build --show-bin-path`/autograd-server)
   on 127.0.0.1 with port 0 and reads the bound port from its "listening on" log line.
3. Sends real requests; every response body must match the spec's schema for its route
   and status (jsonschema, Draft 2020-12) and carry the documented Content-Type.
4. Routes the spec lists but the server answers 404 are reported "skipped: not implemented"
   (only /forward, /train and /ops may be; /backward and /healthz are required).
5. Stops the server with SIGTERM; it must exit 0.

Exit status 0 when everything passed, 1 otherwise. Needs: pyyaml, jsonschema,
openapi-spec-validator (`make py-deps`). Bounded: the whole run takes < 30 s.
"""

import copy
import http.client
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

try:
    import jsonschema
    import yaml
    from openapi_spec_validator import validate as validate_openapi
except ImportError as error:  # pragma: no cover
    sys.exit(f"check_openapi: missing Python package ({error}); run: python3 -m pip install openapi-spec-validator jsonschema pyyaml")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC_PATH = os.path.join(ROOT, "api", "openapi.yaml")
EXAMPLE_REQUEST = os.path.join(ROOT, "api", "examples", "seed-linear-mse.json")
EXAMPLE_RESPONSE = os.path.join(ROOT, "api", "examples", "seed-linear-mse.response.json")
FIXTURE_OPS = os.path.join(ROOT, "Tests", "Fixtures", "ops")

STARTED = time.monotonic()
TOTAL_BUDGET = 22.0       # seconds until SIGTERM at the latest (+ STOP_TIMEOUT < 30 s)
HTTP_TIMEOUT = 5.0        # seconds per request
STARTUP_TIMEOUT = 10.0    # seconds for the "listening on" line
STOP_TIMEOUT = 6.0        # seconds for exit after SIGTERM
TOLERANCE = 1e-6
JSON = "application/json"
PROBLEM = "application/problem+json"

failures = []
passes = 0
skips = []


def ok(message):
    global passes
    passes += 1
    print(f"  ok    {message}")


def fail(message):
    failures.append(message)
    print(f"  FAIL  {message}")


def skip(message):
    skips.append(message)
    print(f"  skip  {message}")


def check(condition, message, why=""):
    if condition:
        ok(message)
    else:
        fail(message + (f": {why}" if why else ""))
    return condition


# ---------------------------------------------------------------------------- spec

def load_spec():
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


class Schemas:
    """Validates instances against the spec's schemas, `$ref`s resolved in the spec."""

    def __init__(self, spec):
        self.spec = spec
        self.components = spec.get("components", {})
        self.validators = {}

    def resolve(self, node):
        """Follows an OpenAPI `$ref` (responses, examples, headers) within the spec."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"external $ref not supported: {ref}")
            node = self.spec
            for token in ref[2:].split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
            seen += 1
            if seen > 20:
                raise ValueError(f"$ref loop at {ref}")
        return node

    def errors(self, schema, instance):
        """Schema violations of `instance` (a list of strings; empty when valid)."""
        key = json.dumps(schema, sort_keys=True)
        validator = self.validators.get(key)
        if validator is None:
            root = dict(schema)
            root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            root["components"] = self.components  # makes '#/components/...' resolvable
            validator = self.validators[key] = jsonschema.Draft202012Validator(root)
        found = []
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/" + "/".join(str(p) for p in e.absolute_path)
            found.append(f"at {where}: {e.message[:300]}")
        return found

    def named(self, name):
        return {"$ref": f"#/components/schemas/{name}"}

    def response(self, path, method, status):
        """The spec's response object for this route and status: the route's own
        (status, then `default`), or for routes the spec does not list the
        components' NotFound (404) / MethodNotAllowed (405)."""
        operation = self.spec["paths"].get(path, {}).get(method.lower())
        if operation is not None:
            responses = operation["responses"]
            found = responses.get(str(status), responses.get("default"))
            return self.resolve(found) if found is not None else None
        fallback = {404: "NotFound", 405: "MethodNotAllowed"}.get(status)
        return self.components["responses"].get(fallback) if fallback else None

    def op_names(self):
        return list(self.components["schemas"]["OpName"]["enum"])


def check_spec(spec, schemas):
    print("spec:")
    try:
        validate_openapi(spec)
        ok("api/openapi.yaml is valid OpenAPI " + str(spec.get("openapi")))
    except Exception as error:  # openapi-spec-validator raises various types
        fail(f"api/openapi.yaml is not valid OpenAPI: {str(error)[:500]}")

    names = schemas.op_names()
    check(len(names) == len(set(names)), "OpName enum has no duplicates")

    # Every example in the spec matches its schema.
    count, bad = 0, []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            bodies = []
            body = schemas.resolve(operation.get("requestBody", {}))
            for media in body.get("content", {}).values():
                bodies.append((f"{method.upper()} {path} request", media))
            for status, response in operation["responses"].items():
                for media in schemas.resolve(response).get("content", {}).values():
                    bodies.append((f"{method.upper()} {path} {status}", media))
            for where, media in bodies:
                for name, example in media.get("examples", {}).items():
                    count += 1
                    value = schemas.resolve(example).get("value")
                    errs = schemas.errors(media["schema"], value)
                    if errs:
                        bad.append(f"{where} example {name}: {errs[0]}")
    for name, schema in spec["components"]["schemas"].items():
        for i, example in enumerate(schema.get("examples", [])):
            count += 1
            errs = schemas.errors(schemas.named(name), example)
            if errs:
                bad.append(f"components/schemas/{name} example {i}: {errs[0]}")
    check(not bad, f"all {count} examples in the spec match their schemas", "; ".join(bad))

    # The seed example is the example of POST /backward, request and response.
    with open(EXAMPLE_REQUEST, encoding="utf-8") as f:
        request = json.load(f)
    with open(EXAMPLE_RESPONSE, encoding="utf-8") as f:
        response = json.load(f)
    operation = spec["paths"]["/backward"]["post"]
    req_examples = [schemas.resolve(e).get("value") for e in
                    operation["requestBody"]["content"][JSON].get("examples", {}).values()]
    res_examples = [schemas.resolve(e).get("value") for e in
                    schemas.resolve(operation["responses"]["200"])["content"][JSON].get("examples", {}).values()]
    check(request in req_examples, "POST /backward request example is api/examples/seed-linear-mse.json")
    check(response in res_examples, "POST /backward 200 example is api/examples/seed-linear-mse.response.json")
    errs = schemas.errors(schemas.named("BackwardRequest"), request)
    check(not errs, "seed-linear-mse.json matches BackwardRequest", "; ".join(errs[:3]))
    errs = schemas.errors(schemas.named("BackwardResponse"), response)
    check(not errs, "seed-linear-mse.response.json matches BackwardResponse", "; ".join(errs[:3]))
    check_fixtures(schemas)
    check_example_files(schemas)
    return request, response


def check_example_files(schemas):
    """Every api/examples/*.json request matches its schema (TrainRequest when it has an
    `optimizer`, JVPRequest with `tangents`, HVPRequest with `vectors`, else
    BackwardRequest); every *.response.json its request's response."""
    directory = os.path.dirname(EXAMPLE_REQUEST)
    # api/examples/onnx/ holds the ONNX examples (issue 11), checked alike.
    files = sorted(os.listdir(directory)) + sorted(os.path.join("onnx", f) for f in os.listdir(os.path.join(directory, "onnx")))
    for file in files:
        if not file.endswith(".json"):
            continue
        with open(os.path.join(directory, file), encoding="utf-8") as f:
            value = json.load(f)
        if file.endswith(".response.json"):
            with open(os.path.join(directory, file[:-len(".response.json")] + ".json"), encoding="utf-8") as f:
                schema = request_schema(json.load(f)).replace("Request", "Response")
        else:
            schema = request_schema(value)
        errs = schemas.errors(schemas.named(schema), thin(value)) + \
            [f"at {p}: not a Number" for p in bad_leaves(value)[:1]]
        check(not errs, f"api/examples/{file} matches {schema}", "; ".join(errs[:3]))


def request_schema(request):
    """The request schema of an example by the member only its route takes."""
    for member, schema in (("optimizer", "TrainRequest"), ("tangents", "JVPRequest"), ("vectors", "HVPRequest")):
        if member in request:
            return schema
    return "BackwardRequest"


def thin(document):
    """`document` with every tensor's `data` cut to 2 items per nesting level, so that
    schema validation stays fast; `bad_leaves` checks the values that were cut."""
    if isinstance(document, dict):
        return {k: (thin_data(v) if k == "data" else thin(v)) for k, v in document.items()}
    if isinstance(document, list):
        return [thin(v) for v in document]
    return document


def thin_data(data):
    return [thin_data(v) for v in data[:2]] if isinstance(data, list) else data


def bad_leaves(document):
    """Pointers to tensor values that are neither numbers nor "NaN"/"Infinity"/"-Infinity"."""
    found = []

    def leaves(data, pointer):
        if isinstance(data, list):
            for i, v in enumerate(data):
                leaves(v, f"{pointer}/{i}")
        elif isinstance(data, bool) or not (isinstance(data, (int, float)) or data in ("NaN", "Infinity", "-Infinity")):
            found.append(pointer)

    def walk(node, pointer):
        if isinstance(node, dict):
            for k, v in node.items():
                p = f"{pointer}/{k.replace('~', '~0').replace('/', '~1')}"
                leaves(v, p) if k == "data" else walk(v, p)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{pointer}/{i}")
    walk(document, "")
    return found


def check_fixtures(schemas):
    """The PyTorch fixtures are documents of this API: Tests/Fixtures/ops/*.json hold
    /backward requests and responses, Tests/Fixtures/train/*.json /train ones."""
    groups = [("ops", "BackwardRequest", "BackwardResponse"), ("train", "TrainRequest", "TrainResponse")]
    for folder, request_schema, response_schema in groups:
        directory = os.path.join(ROOT, "Tests", "Fixtures", folder)
        if not os.path.isdir(directory):
            skip(f"Tests/Fixtures/{folder}: skipped: not found")
            continue
        count, bad = 0, []
        for file in sorted(os.listdir(directory)):
            if not file.endswith(".json"):
                continue
            with open(os.path.join(directory, file), encoding="utf-8") as f:
                cases = json.load(f).get("cases", [])
            for case in cases:
                count += 1
                for schema, value in ((request_schema, case.get("request")), (response_schema, case.get("response"))):
                    errs = schemas.errors(schemas.named(schema), thin(value))
                    errs += [f"at {p}: not a Number" for p in bad_leaves(value)[:1]]
                    if errs:
                        bad.append(f"{case.get('name', file)} vs {schema}: {errs[0]}")
        check(not bad, f"all {count} cases of Tests/Fixtures/{folder} match {request_schema}/{response_schema}",
              f"{len(bad)} bad, first: {bad[0] if bad else ''}")


# ---------------------------------------------------------------------------- server

class Server:
    """The server process, its log lines collected by reader threads."""

    LISTENING = re.compile(r"listening on (http://(?:\[[0-9A-Fa-f:.%]+\]|[0-9.]+):(\d+))")
    ANY_URL = re.compile(r"http://127\.0\.0\.1:(\d+)")

    def __init__(self, binary):
        self.binary = binary
        self.lines = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.process = None
        self.threads = []

    def start(self):
        args = [self.binary, "--port", "0", "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for stream in (self.process.stdout, self.process.stderr):
            thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _read(self, stream):
        for raw in iter(stream.readline, b""):
            with self.changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for_port(self, timeout):
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    m = self.LISTENING.search(line)
                    if m:
                        return int(m.group(2)), line
                for line in self.lines[:20]:
                    m = self.ANY_URL.search(line)
                    if m:
                        return int(m.group(1)), line
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return None, None
                self.changed.wait(min(left, 0.2))

    def log_tail(self, n=15):
        with self.lock:
            return "\n".join("        | " + line for line in self.lines[-n:])

    def stop(self, timeout):
        """SIGTERM, then the exit status (None if it had to be killed)."""
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            return None


def find_binary():
    path = os.environ.get("AUTOGRAD_SERVER")
    if path:
        return path
    try:
        out = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as error:
        sys.exit(f"check_openapi: cannot run `swift build --show-bin-path` ({error}); set AUTOGRAD_SERVER")
    if out.returncode != 0:
        sys.exit(f"check_openapi: `swift build --show-bin-path` failed: {out.stderr.strip()[:300]}")
    return os.path.join(out.stdout.strip().splitlines()[-1], "autograd-server")


# ---------------------------------------------------------------------------- HTTP

class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def media_type(self):
        value = self.headers.get("Content-Type") or ""
        return value.split(";")[0].strip().lower()

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Client:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.port = port

    def request(self, method, path, body=None, content_type=JSON):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None and content_type is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
                return Answer(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            with e:
                return Answer(e.code, e.headers, e.read())

    def declared_length(self, path, length):
        """POST with a declared Content-Length and no body bytes sent: for the 413 check,
        which the server answers from the headers alone."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            conn.putrequest("POST", path)
            conn.putheader("Content-Type", JSON)
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            r = conn.getresponse()
            return Answer(r.status, r.headers, r.read())
        finally:
            conn.close()


# ---------------------------------------------------------------------------- helpers

def number(value):
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value]
    return float(value)


def nests_as(data, shape):
    """Whether `data` nests exactly as `shape` says (a bare number for [])."""
    if not shape:
        return not isinstance(data, list)
    return (isinstance(data, list) and len(data) == shape[0]
            and all(nests_as(item, shape[1:]) for item in data))


def flat(data):
    if isinstance(data, list):
        return [v for item in data for v in flat(item)]
    return [number(data)]


def close(a, b, tol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def tensor_diff(got, want, tol):
    """Why tensor `got` is not `want` ({shape, data}), or None."""
    if got.get("shape") != want["shape"]:
        return f"shape {got.get('shape')} != {want['shape']}"
    g, w = flat(got["data"]), flat(want["data"])
    for i, (a, b) in enumerate(zip(g, w)):
        if not close(a, b, tol):
            return f"value {i}: {a!r} != {b!r}"
    return None if len(g) == len(w) else f"{len(g)} values != {len(w)}"


def tensor_map_diff(got, want, tol, what):
    if set(got) != set(want):
        return f"{what} names {sorted(got)} != {sorted(want)}"
    for name in want:
        why = tensor_diff(got[name], want[name], tol)
        if why:
            return f"{what}[{name}]: {why}"
    return None


def shapes_consistent(tensor_map):
    return [name for name, t in tensor_map.items() if not nests_as(t.get("data"), t.get("shape", []))]


# ---------------------------------------------------------------------------- checks

class Checker:
    def __init__(self, schemas, client):
        self.schemas = schemas
        self.client = client

    def conforms(self, what, answer, path, method, status, media=JSON):
        """The answer has `status`, the documented media type and a body that matches the
        spec's schema for (path, method, status). Returns the parsed body or None."""
        if answer.status != status:
            fail(f"{what}: status {answer.status}, expected {status}; body {answer.body[:300]!r}")
            return None
        response = self.schemas.response(path, method, status)
        if response is None:
            fail(f"{what}: the spec documents no {status} response for {method} {path}")
            return None
        content = response.get("content", {})
        if media not in content:
            fail(f"{what}: the spec documents no {media} body for {method} {path} {status}")
            return None
        if answer.media_type != media:
            fail(f"{what}: Content-Type {answer.headers.get('Content-Type')!r}, expected {media}")
            return None
        try:
            body = answer.json()
        except ValueError as error:
            fail(f"{what}: body is not JSON ({error}): {answer.body[:200]!r}")
            return None
        errs = self.schemas.errors(content[media]["schema"], body)
        if errs:
            fail(f"{what}: body does not match the {status} schema: " + "; ".join(errs[:3]))
            return None
        for name, header in response.get("headers", {}).items():
            header = self.schemas.resolve(header)
            if name in ("Allow",) and answer.headers.get(name) is None:
                fail(f"{what}: missing documented header {name}")
                return None
        return body

    def problem(self, what, answer, path, method, status, pointer=None):
        body = self.conforms(what, answer, path, method, status, media=PROBLEM)
        if body is None:
            return None
        if body.get("status") != status:
            fail(f"{what}: problem status member {body.get('status')} != HTTP status {status}")
            return None
        if pointer is not None:
            pointers = [e["pointer"] for e in body.get("errors", [])]
            if pointer not in pointers:
                fail(f"{what}: no error at pointer {pointer!r}; got {pointers}")
                return None
        ok(what + (f" (pointer {pointer})" if pointer else ""))
        return body

    # -- individual routes

    def health(self):
        a = self.client.request("GET", "/healthz")
        body = self.conforms("GET /healthz", a, "/healthz", "get", 200)
        if body is not None:
            ok("GET /healthz -> 200 {\"status\": \"ok\"}")
        a = self.client.request("HEAD", "/healthz")
        check(a.status == 200 and not a.body, "HEAD /healthz -> 200 without a body", f"status {a.status}")

    def backward(self, request, expected):
        a = self.client.request("POST", "/backward", request)
        body = self.conforms("POST /backward seed example", a, "/backward", "post", 200)
        if body is None:
            return None
        bad = shapes_consistent(body["outputs"]) + shapes_consistent(body["gradients"])
        why = (f"data does not nest as shape for {bad}" if bad else None) \
            or (None if body["dtype"] == expected["dtype"] else f"dtype {body['dtype']}") \
            or tensor_map_diff(body["outputs"], expected["outputs"], TOLERANCE, "outputs") \
            or tensor_map_diff(body["gradients"], expected["gradients"], TOLERANCE, "gradients")
        check(why is None, "POST /backward seed example -> 200 BackwardResponse equal to "
              "seed-linear-mse.response.json within 1e-6", why or "")
        return body

    def bad_requests(self, request):
        c = self.client
        self.problem("invalid JSON -> 400", c.request("POST", "/backward", b'{"tensors": {'),
                     "/backward", "post", 400)
        missing = {"ops": []}
        self.problem("missing tensors -> 400", c.request("POST", "/backward", missing),
                     "/backward", "post", 400, pointer="/tensors")
        wrong_type = copy.deepcopy(request)
        wrong_type["ops"][1]["inputs"][0] = 7
        self.problem("input of wrong JSON type -> 400", c.request("POST", "/backward", wrong_type),
                     "/backward", "post", 400, pointer="/ops/1/inputs/0")
        unknown_op = copy.deepcopy(request)
        unknown_op["ops"][0]["op"] = "conv9d"
        self.problem("unknown op -> 422", c.request("POST", "/backward", unknown_op),
                     "/backward", "post", 422, pointer="/ops/0/op")
        undefined = copy.deepcopy(request)
        undefined["ops"][1]["inputs"][1] = "nowhere"
        self.problem("undefined input -> 422", c.request("POST", "/backward", undefined),
                     "/backward", "post", 422, pointer="/ops/1/inputs/1")
        ragged = copy.deepcopy(request)
        ragged["tensors"]["a/b~c"] = ragged["tensors"].pop("y_true")
        ragged["tensors"]["a/b~c"]["data"] = [[1, 1], [1]]
        ragged["ops"][1]["inputs"][1] = "a/b~c"
        self.problem("ragged data in an escaped name -> 422", c.request("POST", "/backward", ragged),
                     "/backward", "post", 422, pointer="/tensors/a~1b~0c/data")
        unknown_field = dict(request, learning_rate=0.1)
        self.problem("unknown top-level field -> 422", c.request("POST", "/backward", unknown_field),
                     "/backward", "post", 422, pointer="/learning_rate")
        dtype = dict(request, dtype="float16")
        self.problem("unknown dtype -> 422", c.request("POST", "/backward", dtype),
                     "/backward", "post", 422, pointer="/dtype")
        self.problem("unknown path -> 404", c.request("POST", "/no-such-route", request),
                     "/no-such-route", "post", 404)
        a = c.request("GET", "/backward")
        if self.problem("GET /backward -> 405", a, "/backward", "get", 405):
            allow = a.headers.get("Allow") or ""
            check("POST" in [m.strip() for m in allow.split(",")], "405 has Allow: POST", f"Allow {allow!r}")
        self.problem("Content-Type text/plain -> 415",
                     c.request("POST", "/backward", request, content_type="text/plain"),
                     "/backward", "post", 415)
        self.problem("declared Content-Length over 64 MiB -> 413",
                     c.declared_length("/backward", (64 << 20) + 1), "/backward", "post", 413)

    def post_routes(self, request):
        """Every POST route of the spec: implemented (not 404) or reported as skipped."""
        implemented = {}
        for path, item in sorted(self.schemas.spec["paths"].items()):
            if "post" not in item:
                continue
            a = self.client.request("POST", path, request)
            implemented[path] = a.status != 404
            if a.status == 404:
                if path == "/backward":
                    fail("POST /backward -> 404: the server does not serve the spec's main route")
                else:
                    skip(f"POST {path}: skipped: not implemented (404)")
            else:
                ok(f"POST {path} is served ({a.status})")
        return implemented

    def forward(self, request, expected):
        a = self.client.request("POST", "/forward", request)
        body = self.conforms("POST /forward seed example", a, "/forward", "post", 200)
        if body is None:
            return
        bad = shapes_consistent(body["outputs"])
        why = (f"data does not nest as shape for {bad}" if bad else None) \
            or tensor_map_diff(body["outputs"], expected["outputs"], TOLERANCE, "outputs")
        check(why is None, "POST /forward seed example -> 200 ForwardResponse, outputs as /backward's",
              why or "")
        no_loss = {"tensors": request["tensors"], "ops": request["ops"][:1]}
        a = self.client.request("POST", "/forward", no_loss)
        body = self.conforms("POST /forward without loss", a, "/forward", "post", 200)
        if body is not None:
            check(set(body["outputs"]) == {"y"} and body["outputs"]["y"]["shape"] == [2, 2],
                  "POST /forward without loss returns the unconsumed op y [2, 2]", str(body)[:200])

    def train(self, request):
        train = dict(request, optimizer={"name": "sgd", "lr": 0.1}, steps=2)
        errs = self.schemas.errors(self.schemas.named("TrainRequest"), train)
        check(not errs, "the /train request matches TrainRequest", "; ".join(errs[:3]))
        a = self.client.request("POST", "/train", train)
        body = self.conforms("POST /train sgd lr 0.1, 2 steps", a, "/train", "post", 200)
        if body is not None:
            # float32 reference: y = x @ W + b, loss = mean((y - 1)^2), two SGD steps.
            want = {"W": {"shape": [2, 2], "data": [[0.026000008, 0.068], [0.21000002, 0.22600001]]},
                    "b": {"shape": [2], "data": [0.484, 0.558]}}
            losses = [number(v) for v in body["losses"]]
            why = None
            if len(losses) != 2 or not all(close(g, w, 1e-5) for g, w in zip(losses, [1.1600002, 0.40840018])):
                why = f"losses {body['losses']} != [1.1600002, 0.40840018]"
            why = why or (f"data does not nest as shape for {shapes_consistent(body['parameters'])}"
                          if shapes_consistent(body["parameters"]) else None) \
                or tensor_map_diff(body["parameters"], want, 1e-5, "parameters")
            check(why is None, "POST /train -> 200 TrainResponse with the expected losses and parameters",
                  why or "")
        unknown = dict(request, optimizer={"name": "lbfgs", "lr": 1}, steps=1)
        self.problem("unknown optimizer -> 422", self.client.request("POST", "/train", unknown),
                     "/train", "post", 422, pointer="/optimizer/name")

    def init_supported(self):
        """Whether tensors may be `{"shape", "init"}` (parameter initialisation). Skipped,
        not failed, while the server rejects the member as unknown."""
        probe = {"dtype": "float64",
                 "tensors": {"w": {"shape": [2, 3], "init": {"name": "uniform", "seed": 3, "low": -1, "high": 1},
                                   "requires_grad": True},
                             "z": {"shape": [2], "init": {"name": "ones"}}},
                 "ops": [{"id": "s", "op": "sum", "inputs": ["w"]}], "loss": "s", "outputs": ["s", "z"]}
        a = self.client.request("POST", "/backward", probe)
        if a.status == 400 and b"/tensors/w/init" in a.body:
            skip("tensor init: skipped: not implemented (400 at /tensors/w/init)")
            return False
        body = self.conforms("POST /backward with init tensors", a, "/backward", "post", 200)
        if body is None:
            return False
        z = body["outputs"].get("z", {})
        g = body["gradients"].get("w", {})
        check(z.get("data") == [1.0, 1.0] and g.get("shape") == [2, 3] and flat(g.get("data", [])) == [1.0] * 6,
              "init tensors: ones are ones, a uniform parameter gets its gradient", str(body)[:200])
        a2 = self.client.request("POST", "/backward", dict(probe, outputs=["w"]))
        b2 = self.conforms("POST /backward init outputs", a2, "/backward", "post", 200)
        if b2 is not None:
            values = flat(b2["outputs"]["w"]["data"])
            check(all(-1 <= v <= 1 for v in values) and len(set(values)) > 1,
                  "init uniform(-1, 1) draws distinct values in range", str(values))
        return True

    def spec_examples(self, implemented, with_init):
        """Every request example of an implemented POST route is answered 200 and the
        answer matches the route's 200 schema."""
        for path, item in sorted(self.schemas.spec["paths"].items()):
            operation = item.get("post")
            if operation is None or not implemented.get(path):
                continue
            media = self.schemas.resolve(operation["requestBody"])["content"][JSON]
            for name, example in media.get("examples", {}).items():
                value = self.schemas.resolve(example)["value"]
                uses_init = any("init" in t for t in value.get("tensors", {}).values())
                if uses_init and not with_init:
                    skip(f"POST {path} example {name}: skipped: uses init")
                    continue
                a = self.client.request("POST", path, value)
                if self.conforms(f"POST {path} example {name}", a, path, "post", 200) is not None:
                    ok(f"POST {path} example {name} -> 200 matching the schema")

    def get_routes(self):
        """Every GET route of the spec answers 200 with a media type its 200 response
        documents, and a JSON body that matches the schema."""
        for path, item in sorted(self.schemas.spec["paths"].items()):
            operation = item.get("get")
            if operation is None or "{" in path:
                continue
            a = self.client.request("GET", path)
            content = self.schemas.resolve(operation["responses"].get("200", {})).get("content", {})
            if a.status != 200 or a.media_type not in content:
                fail(f"GET {path}: status {a.status}, Content-Type {a.headers.get('Content-Type')!r}; "
                     f"the spec documents 200 with {sorted(content)}")
                continue
            if a.media_type == JSON and self.conforms(f"GET {path}", a, path, "get", 200) is None:
                continue
            ok(f"GET {path} -> 200 {a.media_type}")

    def ops(self):
        a = self.client.request("GET", "/ops")
        if a.status == 404:
            skip("GET /ops: skipped: not implemented (404)")
            return
        body = self.conforms("GET /ops", a, "/ops", "get", 200)
        if body is None:
            return
        ok("GET /ops -> 200 OpList")
        served = [op["name"] for op in body["ops"]]
        spec_names = self.schemas.op_names()
        check(len(served) == len(set(served)), "GET /ops lists each op once")
        check(set(served) == set(spec_names), "OpName enum == the ops GET /ops lists",
              f"only in spec: {sorted(set(spec_names) - set(served))}, "
              f"only on server: {sorted(set(served) - set(spec_names))}")
        fixtures = sorted(f[:-5] for f in os.listdir(FIXTURE_OPS) if f.endswith(".json")) \
            if os.path.isdir(FIXTURE_OPS) else []
        missing = [f for f in fixtures if f not in served]
        check(not missing, f"all {len(fixtures)} Tests/Fixtures/ops/*.json name served ops",
              f"not served: {missing}")
        arity = [op["name"] for op in body["ops"]
                 if op["arity"]["max"] is not None and op["arity"]["max"] < op["arity"]["min"]]
        check(not arity, "every op's arity has min <= max", f"bad: {arity}")


# ---------------------------------------------------------------------------- main

def on_alarm(signum, frame):
    raise TimeoutError(f"check_openapi exceeded its time budget of {TOTAL_BUDGET:.0f} s")


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(TOTAL_BUDGET))
    spec = load_spec()
    schemas = Schemas(spec)
    request, expected = check_spec(spec, schemas)

    binary = find_binary()
    if not os.access(binary, os.X_OK):
        fail(f"server binary {binary} not found or not executable (run `swift build` or set AUTOGRAD_SERVER)")
        return summary()
    server = Server(binary)
    print(f"server: {binary} --port 0 --host 127.0.0.1")
    server.start()
    try:
        port, line = server.wait_for_port(STARTUP_TIMEOUT)
        if port is None:
            status = server.process.poll()
            fail("no 'listening on http://HOST:PORT' line within "
                 f"{STARTUP_TIMEOUT:.0f} s" + (f" (exited {status})" if status is not None else "")
                 + "\n" + server.log_tail())
            return summary()
        ok(f"server listening on port {port} ({line.strip()[-60:]})")
        checker = Checker(schemas, Client(port))
        print("routes:")
        checker.health()
        checker.backward(request, expected)
        implemented = checker.post_routes(request)
        print("errors:")
        checker.bad_requests(request)
        print("optional routes:")
        if implemented.get("/forward"):
            checker.forward(request, expected)
        if implemented.get("/train"):
            checker.train(request)
        checker.ops()
        checker.get_routes()
        with_init = checker.init_supported()
        checker.spec_examples(implemented, with_init)
    except TimeoutError as error:  # the budget alarm, or a socket timeout
        fail(f"timed out: {error}\n{server.log_tail()}")
    except (OSError, http.client.HTTPException) as error:
        fail(f"HTTP failure talking to the server: {error!r}\n{server.log_tail()}")
    finally:
        signal.alarm(0)
        print("shutdown:")
        code = server.stop(STOP_TIMEOUT)
        if code is None:
            fail(f"server did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM (killed)")
        else:
            check(code == 0, "SIGTERM -> server exits 0", f"exit status {code}\n{server.log_tail()}")
    return summary()


def summary():
    elapsed = time.monotonic() - STARTED
    print(f"check_openapi: {passes} passed, {len(failures)} failed, {len(skips)} skipped in {elapsed:.1f} s")
    if failures:
        print("failures:")
        for f in failures:
            print(f"  - {f.splitlines()[0]}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except TimeoutError as error:
        print(f"check_openapi: FAIL timed out before the server started: {error}")
        sys.exit(1)
