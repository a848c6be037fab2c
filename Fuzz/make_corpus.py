#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus and dictionary from the committed fixtures.

Fuzz/corpus/: one file per request of Tests/Fixtures/ops/*.json (every op, both dtypes,
every attribute the fixtures exercise) plus the api/examples requests and a few
higher-derivative seeds (/jvp, /hvp, the op grad), compact JSON.
Fuzz/graph.dict: libFuzzer tokens for field, op, attribute and initialiser names.
Run from the repository root; the output is deterministic (sorted, no timestamps).
"""
import glob
import hashlib
import json
import os

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "Fuzz", "corpus")
os.makedirs(corpus, exist_ok=True)
for old in glob.glob(os.path.join(corpus, "*.json")):
    os.remove(old)

tokens = set()

def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            tokens.add(k)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)

written = 0
for path in sorted(glob.glob(os.path.join(root, "Tests", "Fixtures", "ops", "*.json"))):
    op = os.path.splitext(os.path.basename(path))[0]
    with open(path) as f:
        doc = json.load(f)
    tokens.add(op)
    for i, case in enumerate(doc.get("cases", [])):
        request = case.get("request")
        if request is None:
            continue
        walk(request)
        for o in request.get("ops", []):
            tokens.add(o.get("op", ""))
        text = json.dumps(request, separators=(",", ":"), sort_keys=False)
        with open(os.path.join(corpus, f"{op}-{i:03d}.json"), "w") as f:
            f.write(text)
        written += 1

for path in sorted(glob.glob(os.path.join(root, "api", "examples", "*.json"))):
    if path.endswith(".response.json"):
        continue
    with open(path) as f:
        request = json.load(f)
    walk(request)
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(corpus, f"example-{name}.json"), "w") as f:
        f.write(json.dumps(request, separators=(",", ":")))
    written += 1

# Derivatives beyond the first (issue 12): /jvp's tangents, /hvp's vectors, the op grad
# (nested, of an op, through /train). Every seed goes to every endpoint like any other.
higher_order = {
    "jvp-mul": {"dtype": "float64", "tensors": {"x": {"data": [1, 2]}, "w": {"data": [3, 4]}},
                "ops": [{"id": "y", "op": "mul", "inputs": ["x", "w"]}, {"id": "t", "op": "tanh", "inputs": ["y"]}],
                "tangents": {"x": {"data": [1, 0]}, "w": {"shape": [2], "data": [0, 1]}}},
    "hvp-quadratic": {"tensors": {"x": {"data": [1, 2], "requires_grad": True}},
                      "ops": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}, {"id": "s", "op": "sum", "inputs": ["y"]}],
                      "loss": "s", "gradients": ["x"], "vectors": {"x": {"data": [1, 1]}}},
    "grad-nested": {"tensors": {"x": {"data": [[0.5], [1.5]]}, "W": {"data": [[2, -1]], "requires_grad": True}},
                    "ops": [{"id": "h", "op": "matmul", "inputs": ["x", "W"]}, {"id": "a", "op": "sin", "inputs": ["h"]},
                            {"id": "s", "op": "sum", "inputs": ["a"]}, {"id": "g", "op": "grad", "inputs": ["s", "x"]},
                            {"id": "gs", "op": "sum", "inputs": ["g"]}, {"id": "gg", "op": "grad", "inputs": ["gs", "x"]},
                            {"id": "loss", "op": "mean", "inputs": ["gg"]}],
                    "loss": "loss", "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 2},
    "grad-of-op": {"tensors": {"c": {"data": [1, 3]}},
                   "ops": [{"id": "h", "op": "exp", "inputs": ["c"]}, {"id": "s", "op": "sum", "inputs": ["h"]},
                           {"id": "g", "op": "grad", "inputs": ["s", "h"]}, {"id": "z", "op": "grad", "inputs": ["s", "c"]}]},
}
for name, request in higher_order.items():
    walk(request)
    for o in request.get("ops", []):
        tokens.add(o.get("op", ""))
    with open(os.path.join(corpus, f"higher-{name}.json"), "w") as f:
        f.write(json.dumps(request, separators=(",", ":")))
    written += 1

tokens |= {"float32", "float64", "NaN", "Infinity", "-Infinity", "zeros", "ones", "uniform", "normal",
           "kaiming_uniform", "sgd", "adam", "adamw", "mean", "sum", "none", "tanh", "optimizer", "steps",
           "betas", "momentum", "nesterov", "weight_decay", "fan_in", "requires_grad", "init", "seed",
           "layout", "oihw", "io"}
tokens |= {"valid", "same"}  # convolution's padding words
tokens.discard("")
with open(os.path.join(root, "Fuzz", "graph.dict"), "w") as f:
    f.write("# libFuzzer dictionary for the graph format (Fuzz/make_corpus.py)\n")
    for t in sorted(tokens):
        f.write(json.dumps(json.dumps(t)) [1:-1].join(['"', '"']) + "\n")
    for t in ['{', '}', '[', ']', ':', ',', 'true', 'false', 'null', '1e400', '-0', '4611686018427387904']:
        f.write('"' + t.replace('\\', '\\\\').replace('"', '\\"') + '"\n')
print(f"{written} corpus files, {len(tokens)} dictionary tokens")
