#!/usr/bin/env python3
"""ONNX conformance (issue 11): the onnx package's own backend node tests against the server.

    python3 tools/onnx_conformance.py [--server .build/debug/autograd-server] [--list]

Collects every node test case of the installed onnx package (onnx.backend.test.case.node,
the cases behind onnx/backend/test/data/node/test_*/), and runs each whose operators the
server imports (GET /ops's "onnx" list would be the source; until then the
SUPPORTED set below, kept equal to Sources/AutogradONNX/ONNXOps*.swift by a check in this
script against the server) and whose values are float32/float64 (integer inputs are sent as
floats; bool inputs and outputs are skipped). Each data set goes to POST /forward with the
model as "onnx": {"b64": ...}; every output must equal the expected one at the test's own
rtol/atol. Cases whose attributes the engine cannot compute (REFUSED) must answer a 422
naming the reason. Then the committed fixtures (Tests/Fixtures/onnx) are trained over
POST /train and the "onnx" model each answer carries is run in onnxruntime.
Prints every test run and every test skipped with its reason; exits 1 on any failure.
"""
import argparse
import base64
import collections
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings

import numpy as np

# Node tests where the test's answer differs from PyTorch's, and the server answers as
# PyTorch does (a 422 where PyTorch raises): each must get exactly that 422.
KNOWN_422 = {
    "test_reduce_max_empty_set": "ReduceMax over an empty axis is -inf in ONNX; torch.amax raises",
}

# Node tests of imported operators whose attributes or shapes the engine cannot compute:
# each must be refused with a 422 whose detail contains the given text (pattern, text, reason).
REFUSED = [
    (r"^test_(averagepool|maxpool|convtranspose|conv)_3d", "only 1 or 2 spatial axes",
     "3 spatial axes (the engine convolves and pools over 1 or 2)"),
    (r"^test_maxpool_with_argmax_", "Indices", "MaxPool's Indices output (the engine's max_pool2d gives none)"),
]

# The default-domain opsets the importer follows (ONNXOps.opsets; checked against GET /ops).
OPSETS = (13, 28)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def supported_ops():
    """Op types in the importer's table, read from its Swift sources."""
    names = set()
    for f in os.listdir(os.path.join(ROOT, "Sources/AutogradONNX")):
        if f.startswith("ONNXOps") and f.endswith(".swift"):
            text = open(os.path.join(ROOT, "Sources/AutogradONNX", f)).read()
            names |= set(re.findall(r't\["([A-Za-z]+)"\]', text))
            names |= set(re.findall(r'\("([A-Z][A-Za-z]+)", "[a-z_]+"\)', text))
    return names


def start_server(binary):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc, port
        except Exception:
            time.sleep(0.02)
    proc.kill()
    sys.exit("server did not start")


def post(port, body, path="/forward"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def skip_reason(case, ops):
    model = case.model
    if model.functions:
        return "model-local functions"
    used = {(n.domain or "ai.onnx", n.op_type) for n in model.graph.node}
    foreign = sorted(d for d, _ in used if d != "ai.onnx")
    if foreign:
        return f"domain {foreign[0]}"
    missing = sorted(op for _, op in used if op not in ops)
    if missing:
        return "op not imported: " + ", ".join(missing)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None or not OPSETS[0] <= opset <= OPSETS[1]:
        return f"opset {opset}"
    if not case.data_sets:
        return "no data set"
    inputs, outputs = scalars_as_arrays(case.data_sets[0])
    if not all(isinstance(a, np.ndarray) for a in list(inputs) + list(outputs)):
        return "sequence or optional values"
    floats = {a.dtype for a in list(inputs) + list(outputs) if a.dtype.kind == "f"}
    if not floats and not as_float(case):
        return "no float32/float64 value"
    if floats - {np.dtype("float32"), np.dtype("float64")}:
        return "dtype " + ", ".join(sorted(str(f) for f in floats - {np.dtype("float32"), np.dtype("float64")}))
    if len(floats) > 1:
        return "mixes float32 and float64"
    kinds = {a.dtype.kind for a in list(inputs) + list(outputs)}
    if kinds - {"f", "i", "u"}:
        return "non-numeric values (bool, string)"
    return None


# Integer-only node tests of operators that move values without arithmetic, run with the
# data tensor (input 0 and the output) as FLOAT: the engine computes in float, and these
# integers are exact in float32.
AS_FLOAT = {"Pad"}


def as_float(case):
    """The model of an integer-only case run in float32 (AS_FLOAT), or None."""
    model = case.model
    if {n.op_type for n in model.graph.node} - AS_FLOAT or len(model.graph.output) != 1:
        return None
    inputs, outputs = scalars_as_arrays(case.data_sets[0])
    if inputs[0].dtype.kind not in "iu" or outputs[0].dtype != inputs[0].dtype or np.abs(inputs[0]).max(initial=0) >= 2 ** 24:
        return None
    import onnx
    m = onnx.ModelProto()
    m.CopyFrom(model)
    m.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    m.graph.output[0].type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    return m


def scalars_as_arrays(data_set):
    """A data set with its NumPy scalars (a Clip bound, a rank-0 output) as rank-0 arrays."""
    inputs, outputs = data_set

    def array(a):
        if isinstance(a, np.generic):
            return np.asarray(a)
        if type(a).__name__ == "TensorProto":  # Cast's cases hold TensorProtos (float8 and the like)
            from onnx import numpy_helper
            try:
                return numpy_helper.to_array(a)
            except Exception:  # noqa: BLE001 - a type NumPy cannot hold stays a TensorProto
                return a
        return a
    return [array(a) for a in inputs], [array(a) for a in outputs]


def run(case, port):
    inputs, outputs = scalars_as_arrays(case.data_sets[0])
    floats = [a for a in list(inputs) + list(outputs) if a.dtype.kind == "f"]
    dtype = "float64" if floats and floats[0].dtype == np.float64 else "float32"
    model = case.model if floats else as_float(case)
    names = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    # Base64 tensors in the request's dtype both ways, so that inf and NaN travel too.
    np_dtype = np.float64 if dtype == "float64" else np.float32
    tensors = {n: {"shape": list(a.shape), "b64": base64.b64encode(np.ascontiguousarray(a, dtype="<f8" if dtype == "float64" else "<f4")).decode()}
               for n, a in zip(names, inputs)}
    out_names = [o.name for o in model.graph.output]
    body = {"dtype": dtype, "encoding": "b64", "onnx": {"b64": base64.b64encode(model.SerializeToString()).decode()},
            "tensors": tensors, "ops": [], "outputs": out_names}
    status, doc = post(port, body)
    if status != 200:
        errs = doc.get("errors") or [{"detail": doc.get("detail", "")}]
        return f"HTTP {status}: " + "; ".join(f"{e.get('pointer', '')} {e['detail']}" for e in errs)[:300]
    for name, expected in zip(out_names, outputs):
        got = doc["outputs"][name]
        if list(got["shape"]) != list(expected.shape):
            return f"{name}: shape {got['shape']} != {list(expected.shape)}"
        a = np.frombuffer(base64.b64decode(got["b64"]), dtype=np_dtype).astype(np.float64).reshape(expected.shape)
        e = np.asarray(expected, dtype=np.float64)
        if not np.allclose(a, e, rtol=case.rtol, atol=case.atol, equal_nan=True):
            i = np.unravel_index(np.argmax(np.abs(a - e)), e.shape) if e.size else ()
            return f"{name}: {a[i]} != {e[i]} (rtol {case.rtol}, atol {case.atol})"
    return None


TRAINED = ("mlp_dynamo", "cnn_torchscript", "cnn_dynamo", "preln_torchscript", "preln_dynamo")


def check_trained_models(port):
    """/train answers the trained model as "onnx": {"b64"}: onnxruntime loads and runs it,
    its output equals the server's forward pass of the same bytes, and it differs from the
    untrained model's. Returns the failures."""
    import onnxruntime as ort
    failures = []
    for name in TRAINED:
        path = os.path.join(ROOT, "Tests/Fixtures/onnx", name)
        doc = json.load(open(path + ".json"))
        b64 = base64.b64encode(open(path + ".onnx", "rb").read()).decode()
        x = doc["inputs"]["x"]
        body = {"onnx": {"b64": b64}, "tensors": {"x": x, "target": doc["target"]},
                "ops": [{"id": "loss", "op": doc["loss_op"]["op"], "inputs": [doc["output"], "target"]}],
                "loss": "loss", "optimizer": {"name": "adam", "lr": 0.01}, "steps": 3}
        status, answer = post(port, body, "/train")
        if status != 200 or "b64" not in answer.get("onnx", {}):
            failures.append((name, f"/train: HTTP {status}, no onnx.b64: {str(answer)[:200]}"))
            continue
        trained = base64.b64decode(answer["onnx"]["b64"])
        xs = np.asarray(x["data"], dtype=np.float32).reshape(x["shape"])
        got = ort.InferenceSession(trained, providers=["CPUExecutionProvider"]).run(None, {"x": xs})[0]
        status, fwd = post(port, {"onnx": {"b64": answer["onnx"]["b64"]}, "tensors": {"x": x}, "ops": [],
                                  "outputs": [doc["output"]]})
        if status != 200:
            failures.append((name, f"/forward of the trained model: HTTP {status}"))
            continue
        ours = np.asarray(fwd["outputs"][doc["output"]]["data"], dtype=np.float64).reshape(got.shape)
        before = np.asarray(doc["ort_output"]["data"]).reshape(got.shape)
        if not np.allclose(got, ours, rtol=1e-5, atol=1e-5):
            failures.append((name, f"onnxruntime on the trained model {got.ravel()[:3]} != the server's {ours.ravel()[:3]}"))
        elif np.allclose(got, before, rtol=1e-6, atol=1e-7):
            failures.append((name, "the trained model computes what the untrained one did"))
        else:
            print(f"PASS trained {name}: onnxruntime runs the model /train answered, as the server does")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.path.join(ROOT, ".build/debug/autograd-server"))
    ap.add_argument("--quiet", action="store_true", help="print the summary and failures only")
    args = ap.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case import node
        cases = sorted(node.collect_testcases(None), key=lambda c: c.name)
    ops = supported_ops()
    proc, port = start_server(args.server)
    passed, failed, skipped = [], [], collections.defaultdict(list)
    try:
        catalog = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/ops", timeout=10).read()).get("onnx", {})
        if tuple(catalog.get("opsets", ())) != OPSETS or set(catalog.get("ops", ())) != ops:
            failed.append(("GET /ops", f"onnx opsets {catalog.get('opsets')} and ops differ from this script's {OPSETS} and "
                           f"the sources' {len(ops)} op types"))
        for case in cases:
            reason = skip_reason(case, ops)
            if reason:
                skipped[reason].append(case.name)
                continue
            why = run(case, port)
            refused = next(((text, reason) for pattern, text, reason in REFUSED if re.search(pattern, case.name)), None)
            if refused:
                ok = why is not None and why.startswith("HTTP 422") and refused[0] in why
                skipped[f"refused with a 422, as the engine cannot: {refused[1]}" if ok
                        else "refusal NOT answered with its 422"].append(case.name)
                if not ok:
                    failed.append((case.name, why or "expected a 422"))
                continue
            if case.name in KNOWN_422:
                ok = why is not None and why.startswith("HTTP 422")
                skipped[f"known difference, answered 422 as PyTorch raises ({KNOWN_422[case.name]})" if ok
                        else "known difference NOT answered 422"].append(case.name)
                if not ok:
                    failed.append((case.name, why or "expected a 422"))
                continue
            (failed if why else passed).append((case.name, why))
        trained_failures = check_trained_models(port)
    finally:
        proc.terminate()
        proc.wait()
    if not args.quiet:
        for name, _ in passed:
            print(f"PASS {name}")
    for name, why in failed:
        print(f"FAIL {name}: {why}")
    print(f"\nskipped {sum(map(len, skipped.values()))}, by reason:")
    for reason, names in sorted(skipped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = names if not args.quiet or len(names) <= 3 else names[:3] + ["..."]
        print(f"  {len(names):4d}  {reason}: {' '.join(shown)}")
    for name, why in trained_failures:
        print(f"FAIL trained {name}: {why}")
    print(f"\nonnx node tests: {len(passed)} passed, {len(failed)} failed, {sum(map(len, skipped.values()))} skipped of {len(cases)}")
    print(f"trained models in onnxruntime: {len(TRAINED) - len(trained_failures)} of {len(TRAINED)} as the server")
    return 1 if failed or trained_failures else 0


if __name__ == "__main__":
    sys.exit(main())
