#!/usr/bin/env python3
"""`/train` with an ONNX model answers the trained model (issue 11), checked against a live server.

    python3 tools/with_server.py .build/debug/autograd-server -- python3 tools/onnx_train_check.py --url {url}

(`make test-onnx` runs it so.) For each model: the committed MLP exports (both exporters,
Tests/Fixtures/onnx/mlp_*.onnx), a float32 model built here whose initializers mix
raw_data and float_data with a rank-0 and an int64 constant, and a float64 MLP:

  - POST /train a few steps; the answer's "onnx": {"b64"} must pass onnx.checker
    (full_check) and load in onnxruntime;
  - every initializer the answer's "parameters" names holds exactly those values, in the
    element type and field (raw_data or typed) it came in; every other initializer is
    byte-identical to the request's, and so is the model with its initializers' values
    removed (nodes, inputs, outputs, opsets, names, doc strings);
  - onnxruntime's output of the trained model equals POST /forward of the request's model
    with the trained parameters given as tensors (rtol 1e-5, atol 1e-6 in float32;
    1e-12 in float64), and differs from the untrained model's output;
  - with lr 0 the answered model is the request's, byte for byte.

Needs onnx and onnxruntime (tools/requirements-test.txt), never torch. Exits 1 on any failure.
"""
import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def tensor_json(a):
    return {"shape": list(a.shape), "data": a.reshape(-1).tolist()}


def skeleton(model):
    """The model's bytes with every initializer's values removed (names, types, dims kept)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for t in m.graph.initializer:
        t.ClearField("raw_data")
        for f in ("float_data", "double_data", "int32_data", "int64_data", "uint64_data"):
            t.ClearField(f)
    return m.SerializeToString()


def value_field(t):
    return "raw_data" if t.raw_data else next((f for f in ("float_data", "double_data", "int32_data", "int64_data", "uint64_data") if len(getattr(t, f))), "none")


def run_case(url, name, model_bytes, inputs, dtype, ops, loss, optimizer, steps=4):
    """One model: train, then every check above. `inputs` are numpy arrays by name."""
    model = onnx.load_from_string(model_bytes)
    b64 = base64.b64encode(model_bytes).decode()
    tensors = {k: tensor_json(v) for k, v in inputs.items()}
    body = {"dtype": dtype, "onnx": {"b64": b64}, "tensors": tensors, "ops": ops, "loss": loss,
            "optimizer": optimizer, "steps": steps}
    status, doc = post(url, "/train", body)
    check(status == 200, f"{name}: /train answers 200 ({status} {json.dumps(doc)[:300] if status != 200 else ''})")
    if status != 200:
        return
    check(set(doc) == {"dtype", "losses", "parameters", "onnx"} and set(doc["onnx"]) == {"b64"},
          f"{name}: the answer has dtype, losses, parameters and onnx {{b64}} ({sorted(doc)})")
    trained_bytes = base64.b64decode(doc["onnx"]["b64"])
    trained = onnx.load_from_string(trained_bytes)
    try:
        onnx.checker.check_model(trained, full_check=True)
        check(True, f"{name}: onnx.checker accepts the trained model (full_check)")
    except Exception as e:  # noqa: BLE001 - the checker's own error is the detail
        check(False, f"{name}: onnx.checker rejects the trained model: {e}")

    params = doc["parameters"]
    np_dtype = np.float32 if dtype == "float32" else np.float64
    old = {t.name: t for t in model.graph.initializer}
    new = {t.name: t for t in trained.graph.initializer}
    check(list(old) == list(new), f"{name}: the same initializers in the same order")
    for pname in params:
        check(pname in old, f"{name}: parameter {pname} is an initializer")
    for iname, t in new.items():
        o = old[iname]
        same_meta = (t.data_type, list(t.dims), value_field(t)) == (o.data_type, list(o.dims), value_field(o))
        check(same_meta, f"{name}: {iname} keeps type {o.data_type}, dims {list(o.dims)} and field {value_field(o)}")
        if iname in params:
            got = numpy_helper.to_array(t)
            want = np.array(params[iname]["data"], dtype=np_dtype).reshape(params[iname]["shape"])
            check(got.dtype == np_dtype and np.array_equal(got, want), f"{name}: {iname} holds the answer's trained values exactly")
            check(not np.array_equal(got, numpy_helper.to_array(o)), f"{name}: {iname} changed in training")
        else:
            check(t.SerializeToString() == o.SerializeToString(), f"{name}: {iname} (not trained) is byte-identical")
    check(skeleton(trained) == skeleton(model), f"{name}: everything but the initializers' values is the request's model")

    # onnxruntime on the trained model against the server's forward with the parameters given.
    session = ort.InferenceSession(trained_bytes, providers=["CPUExecutionProvider"])
    before = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    feed = {i.name: inputs[i.name] for i in session.get_inputs()}
    outputs = [o.name for o in session.get_outputs()]
    got = session.run(outputs, feed)
    untrained = before.run(outputs, feed)
    given = dict(tensors)
    given.update(params)
    status, fwd = post(url, "/forward", {"dtype": dtype, "onnx": {"b64": b64}, "tensors": given, "ops": [], "outputs": outputs})
    check(status == 200, f"{name}: /forward with the trained parameters answers 200 ({status} {json.dumps(fwd)[:300] if status != 200 else ''})")
    if status != 200:
        return
    rtol, atol = (1e-5, 1e-6) if dtype == "float32" else (1e-12, 1e-12)
    for out, a, b in zip(outputs, got, untrained):
        server = np.array(fwd["outputs"][out]["data"], dtype=np.float64).reshape(fwd["outputs"][out]["shape"])
        err = float(np.max(np.abs(a - server))) if a.size else 0.0
        check(a.shape == server.shape and np.allclose(a, server, rtol=rtol, atol=atol),
              f"{name}: onnxruntime's {out} of the trained model equals /forward with the parameters (max difference {err:.2e})")
        check(not np.allclose(a, b, rtol=rtol, atol=atol), f"{name}: the trained {out} differs from the untrained one")

    # lr 0: the model comes back as it was sent, byte for byte.
    body["optimizer"] = {"name": "sgd", "lr": 0}
    body["steps"] = 1
    status, doc = post(url, "/train", body)
    check(status == 200 and base64.b64decode(doc.get("onnx", {}).get("b64", "")) == model_bytes,
          f"{name}: with lr 0 the answered model is the request's byte for byte")


def fixture_cases(url):
    for f in sorted(os.listdir(FIXTURES)):
        if not (f.startswith("mlp") and f.endswith(".json")):
            continue
        fx = json.load(open(os.path.join(FIXTURES, f)))
        model_bytes = open(os.path.join(FIXTURES, fx["model"]), "rb").read()
        inputs = {k: np.array(v["data"], dtype=np.float32).reshape(v["shape"]) for k, v in fx["inputs"].items()}
        target = np.array(fx["target"]["data"], dtype=np.float32).reshape(fx["target"]["shape"])
        ops = [{"id": "loss", "op": fx["loss_op"]["op"], "inputs": [fx["output"], "target"], "attrs": fx["loss_op"]["attrs"]}]
        run_case(url, f[:-5], model_bytes, dict(inputs, target=target), "float32", ops, "loss",
                 {"name": "sgd", "lr": 0.1, "momentum": 0.9})


def mixed_model():
    """x [4, 3] -> MatMul w (float_data) -> Add b (raw_data) -> Mul half (rank 0) -> Relu
    -> Reshape to shape (int64) [2, 10] -> y."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 5], [((i % 7) / 7 - 0.4) for i in range(15)])
    b = numpy_helper.from_array(np.full(5, 0.25, dtype=np.float32), "b")
    half = helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [2, 10])
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"), helper.make_node("Add", ["h", "b"], ["hb"]),
         helper.make_node("Mul", ["hb", "half"], ["hh"]), helper.make_node("Relu", ["hh"], ["r"]),
         helper.make_node("Reshape", ["r", "shape"], ["y"])],
        "mixed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 10])], [w, b, half, shape], doc_string="kept")
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnx_train_check")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m.SerializeToString()


def double_mlp():
    """A float64 MLP: Gemm (transB) -> Tanh -> Gemm, weights in raw_data."""
    rng = np.random.default_rng(7)
    inits = [numpy_helper.from_array(rng.standard_normal(s) * 0.5, n) for n, s in
             [("l1.weight", (6, 3)), ("l1.bias", (6,)), ("l2.weight", (2, 6)), ("l2.bias", (2,))]]
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "l1.weight", "l1.bias"], ["a"], transB=1), helper.make_node("Tanh", ["a"], ["t"]),
         helper.make_node("Gemm", ["t", "l2.weight", "l2.bias"], ["out"], transB=1)],
        "double_mlp", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", 3])],
        [helper.make_tensor_value_info("out", TensorProto.DOUBLE, ["batch", 2])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)])
    m.ir_version = 9
    onnx.checker.check_model(m, full_check=True)
    return m.SerializeToString()


def example_case(url):
    """api/examples/onnx/mlp-train.json, the README's flow: train it, load the answer in
    onnxruntime, and it classifies the training points as the server's /forward does."""
    body = json.load(open(os.path.join(ROOT, "api", "examples", "onnx", "mlp-train.json")))
    status, doc = post(url, "/train", body)
    check(status == 200 and "b64" in doc.get("onnx", {}), f"onnx/mlp-train example: /train answers 200 with a model ({status})")
    if status != 200:
        return
    trained = base64.b64decode(doc["onnx"]["b64"])
    x = np.array(body["tensors"]["x"]["data"], dtype=np.float32)
    labels = np.array(body["tensors"]["target"]["data"])
    logits = ort.InferenceSession(trained, providers=["CPUExecutionProvider"]).run(["logits"], {"x": x})[0]
    check(bool((logits.argmax(axis=1) == labels).all()), "onnx/mlp-train example: onnxruntime's trained model classifies every point")
    status, fwd = post(url, "/forward", {"onnx": doc["onnx"], "tensors": {"x": body["tensors"]["x"]}, "ops": [], "outputs": ["logits"]})
    server = np.array(fwd.get("outputs", {}).get("logits", {}).get("data", []), dtype=np.float64).reshape(-1)
    check(status == 200 and server.size == logits.size and np.allclose(logits.reshape(-1), server, rtol=1e-5, atol=1e-5),
          "onnx/mlp-train example: onnxruntime's logits equal the server's /forward of the answered model")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    url = ap.parse_args().url.rstrip("/")
    fixture_cases(url)
    example_case(url)
    x = (np.arange(12, dtype=np.float32) / 6 - 0.9).reshape(4, 3)
    squares = [{"id": "sq", "op": "mul", "inputs": ["y", "y"]}, {"id": "loss", "op": "sum", "inputs": ["sq"]}]
    run_case(url, "mixed", mixed_model(), {"x": x}, "float32", squares, "loss", {"name": "sgd", "lr": 0.2})
    xd = np.random.default_rng(3).standard_normal((5, 3))
    target = np.random.default_rng(4).standard_normal((5, 2))
    mse = [{"id": "loss", "op": "mse_loss", "inputs": ["out", "target"]}]
    run_case(url, "double_mlp", double_mlp(), {"x": xd, "target": target}, "float64", mse, "loss",
             {"name": "adam", "lr": 0.05})
    print(f"{len(failures)} failed" if failures else "all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
