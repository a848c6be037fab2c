#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus and dictionary from the committed fixtures.

Fuzz/corpus/: one file per request of Tests/Fixtures/ops/*.json (every op, both dtypes,
every attribute the fixtures exercise) plus the api/examples requests, compact JSON.
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

tokens |= {"float32", "float64", "NaN", "Infinity", "-Infinity", "zeros", "ones", "uniform", "normal",
           "kaiming_uniform", "sgd", "adam", "adamw", "mean", "sum", "none", "tanh", "optimizer", "steps",
           "betas", "momentum", "nesterov", "weight_decay", "fan_in", "requires_grad", "init", "seed"}
tokens |= {"valid", "same"}  # convolution's padding words
tokens.discard("")
with open(os.path.join(root, "Fuzz", "graph.dict"), "w") as f:
    f.write("# libFuzzer dictionary for the graph format (Fuzz/make_corpus.py)\n")
    for t in sorted(tokens):
        f.write(json.dumps(json.dumps(t)) [1:-1].join(['"', '"']) + "\n")
    for t in ['{', '}', '[', ']', ':', ',', 'true', 'false', 'null', '1e400', '-0', '4611686018427387904']:
        f.write('"' + t.replace('\\', '\\\\').replace('"', '\\"') + '"\n')
print(f"{written} corpus files, {len(tokens)} dictionary tokens")
