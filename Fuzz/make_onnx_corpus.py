#!/usr/bin/env python3
"""Writes Fuzz/onnx-corpus: the seed of `make fuzz`'s ONNX mode (AUTOGRAD_FUZZ_INPUT=onnx,
every input the bytes of a ModelProto; the target gives each declared graph input ones).

Valid models: the committed exports of Tests/Fixtures/onnx (MLP, CNN, pre-LN transformer,
both exporters) and the model of every onnx backend node test whose operators the
importer maps at opsets 13-22 (tools/onnx_conformance.py's selection, without data), under
4 KiB. Broken ones: truncations and a few flipped bytes of the MLP export, an unknown op, a
foreign domain, an old opset, an empty graph. Deterministic; needs the onnx package; run
from the repository root.
"""
import glob
import hashlib
import os
import sys
import warnings

import onnx
from onnx import helper

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "tools"))
from onnx_conformance import supported_ops  # noqa: E402

out = os.path.join(root, "Fuzz", "onnx-corpus")
os.makedirs(out, exist_ok=True)
for old in glob.glob(os.path.join(out, "*.onnx")):
    os.remove(old)

written = set()


def write(name, data):
    digest = hashlib.sha256(data).hexdigest()
    if digest in written:
        return
    written.add(digest)
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(data)


for path in sorted(glob.glob(os.path.join(root, "Tests", "Fixtures", "onnx", "*.onnx"))):
    write("fixture-" + os.path.basename(path)[:-5], open(path, "rb").read())

ops = supported_ops()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from onnx.backend.test.case import node
    cases = sorted(node.collect_testcases(None), key=lambda c: c.name)
for case in cases:
    m = case.model
    opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), None)
    if m.functions or opset is None or not 13 <= opset <= 22:
        continue
    if any(n.domain not in ("", "ai.onnx") or n.op_type not in ops for n in m.graph.node):
        continue
    data = m.SerializeToString()
    if len(data) <= 4096:
        write("node-" + case.name[5:], data)

mlp = open(os.path.join(root, "Tests", "Fixtures", "onnx", "mlp_torchscript.onnx"), "rb").read()
for k, n in enumerate((0, 1, 7, 64, len(mlp) // 2, len(mlp) - 1)):
    write(f"broken-truncated-{k}", mlp[:n])
for k, i in enumerate((3, 40, len(mlp) // 3, len(mlp) - 5)):
    flipped = bytearray(mlp)
    flipped[i] ^= 0xFF
    write(f"broken-flipped-{k}", bytes(flipped))


def small(op, domain="", opset=17):
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node(op, ["x"], ["y"], domain=domain)], "g", [x], [y])
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(g, opset_imports=imports, ir_version=8).SerializeToString()


write("broken-unknown-op", small("Frobnicate"))
write("broken-domain", small("Relu", domain="com.example"))
write("broken-old-opset", small("Relu", opset=9))
write("broken-empty-graph", helper.make_model(helper.make_graph([], "g", [], []), ir_version=8).SerializeToString())
print(f"wrote {len(written)} models to {os.path.relpath(out, root)}")
