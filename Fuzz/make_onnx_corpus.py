#!/usr/bin/env python3
"""Writes Fuzz/onnx-corpus: the seed of `make fuzz`'s ONNX mode (AUTOGRAD_FUZZ_INPUT=onnx,
every input the bytes of a ModelProto; the target gives each declared graph input ones).

Valid models: the committed exports of Tests/Fixtures/onnx (MLP, CNN, pre-LN transformer,
both exporters) and the model of every onnx backend node test whose operators the
importer maps at opsets 13-28 (tools/onnx_conformance.py's selection, without data), under
4 KiB, and an Einsum (whose node tests are opset 28). Broken ones: truncations and a few flipped bytes of the MLP export, an unknown op, a
foreign domain, an old opset, an empty graph. Hostile hand-made models (`hostile-*`):
initializers whose data does not fit their dims or type, huge and negative dims, cycles,
clashing and empty names, attributes of the wrong type or out of range (axes, perms,
kernels, pads, opsets at +-2^62), Reshape/Expand/Range/ConstantOfShape to huge shapes,
external data, subgraphs nested past the decoder's depth limit. Wire-level damage of a small
Gemm model (`wire-*`): lengths past the end, an 11-byte varint, a group, field number 0,
the graph field twice, every 24th prefix, random byte changes. Also writes Fuzz/onnx.dict
(op types and attribute names). Deterministic; needs the onnx package; run from the
repository root.
"""
import glob
import hashlib
import random
import struct
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
    if m.functions or opset is None or not 13 <= opset <= 28:
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


x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3, 4])
w = helper.make_tensor_value_info("w", onnx.TensorProto.FLOAT, [2, 4, 5])
y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
g = helper.make_graph([helper.make_node("Einsum", ["x", "w"], ["y"], equation="bij,bjk->bik")], "g", [x, w], [y])
write("einsum-batch-matmul", helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=8).SerializeToString())
write("broken-unknown-op", small("Frobnicate"))
write("broken-domain", small("Relu", domain="com.example"))
write("broken-old-opset", small("Relu", opset=9))
write("broken-empty-graph", helper.make_model(helper.make_graph([], "g", [], []), ir_version=8).SerializeToString())
print(f"wrote {len(written)} models to {os.path.relpath(out, root)}")


# Hand-made hostile models: every field a request controls, at its edges. Each must answer
# a 4xx problem (or 200), never trap.
def model(nodes, inputs, outputs, inits=(), opset=17, ir=8, **kw):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir, **kw)


F, D, I64 = onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.INT64
vi = helper.make_tensor_value_info
x23 = vi("x", F, [2, 3])
yany = vi("y", F, None)


def node(op, ins, outs=("y",), **attrs):
    return helper.make_node(op, list(ins), list(outs), **attrs)


def tensor(name, dtype, dims, vals, raw=False):
    """A TensorProto as given, unchecked (helper.make_tensor refuses the broken ones)."""
    t = onnx.TensorProto(name=name, data_type=dtype, dims=dims)
    if raw:
        t.raw_data = vals
    elif dtype in (F, onnx.TensorProto.FLOAT16):
        t.float_data.extend(vals) if dtype == F else t.int32_data.extend(helper.float32_to_float16(v) if hasattr(helper, "float32_to_float16") else 0x3C00 for v in vals)
    elif dtype == D:
        t.double_data.extend(vals)
    elif dtype == onnx.TensorProto.STRING:
        t.string_data.extend(vals)
    else:
        t.int64_data.extend(vals) if dtype == I64 else t.int32_data.extend(vals)
    return t


hostile = {
    # initializers: lengths, dims and types the data does not fit
    "raw-short": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [2, 3], b"\0" * 20, raw=True)]),
    "raw-long": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [2, 3], b"\0" * 28, raw=True)]),
    "typed-short": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [2, 3], [1.0] * 5)]),
    "dims-negative": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [-1, 3], [])]),
    "dims-huge": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [2**62, 2**62], [])]),
    "dims-overflow": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [2**31] * 4, [])]),
    "dims-zero": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [0, 3], [])]),
    "float16": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", onnx.TensorProto.FLOAT16, [3], [1.0, 2.0, 3.0])]),
    "string-init": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", onnx.TensorProto.STRING, [1], [b"a"])]),
    "mixed-float-double": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", D, [3], [1.0, 2.0, 3.0])]),
    "nan-inf-init": model([node("Mul", ["x", "w"])], [x23], [yany], [tensor("w", F, [3], [float("nan"), float("inf"), -float("inf")])]),
    "empty-init-name": model([node("Add", ["x", ""])], [x23], [yany], [tensor("", F, [3], [1.0, 2.0, 3.0])]),
    "dup-init": model([node("Add", ["x", "w"])], [x23], [yany], [tensor("w", F, [3], [1.0] * 3), tensor("w", F, [3], [2.0] * 3)]),
    "int-init-huge": model([node("Reshape", ["x", "s"])], [x23], [yany], [tensor("s", I64, [2], [2**62, -2**62])]),
    # graphs that are not DAGs, names that clash
    "cycle": model([node("Relu", ["b"], ["a"]), node("Relu", ["a"], ["b"]), node("Relu", ["b"])], [x23], [yany]),
    "self-loop": model([node("Relu", ["y"])], [x23], [yany]),
    "undefined-input": model([node("Relu", ["nope"])], [x23], [yany]),
    "dup-output": model([node("Relu", ["x"]), node("Tanh", ["x"])], [x23], [yany]),
    "output-is-input": model([node("Relu", ["x"], ["x"])], [x23], [vi("x", F, [2, 3])]),
    "output-is-init": model([node("Relu", ["x"], ["w"])], [x23], [yany], [tensor("w", F, [3], [1.0] * 3)]),
    "no-outputs": model([node("Relu", ["x"], [])], [x23], []),
    "empty-output-name": model([node("Relu", ["x"], [""])], [x23], [vi("", F, None)]),
    "long-name": model([node("Relu", ["x"], ["y" * 5000])], [x23], [vi("y" * 5000, F, None)]),
    "input-no-type": model([node("Relu", ["x"])], [onnx.ValueInfoProto(name="x")], [yany]),
    "input-bool": model([node("Relu", ["x"])], [vi("x", onnx.TensorProto.BOOL, [2])], [yany]),
    "input-rank-9": model([node("Relu", ["x"])], [vi("x", F, [1] * 9)], [yany]),
    "input-symbolic": model([node("Relu", ["x"])], [vi("x", F, ["n", None, "m"])], [yany]),
    "input-int-shape": model([node("Reshape", ["x", "s"])], [x23, vi("s", I64, [2])], [yany]),
    "input-int-indices": model([node("Gather", ["x", "i"], axis=1)], [x23, vi("i", I64, [4])], [yany]),
    # attributes of the wrong type or out of range
    "softmax-axis-100": model([node("Softmax", ["x"], axis=100)], [x23], [yany]),
    "softmax-axis-min": model([node("Softmax", ["x"], axis=-2**63)], [x23], [yany]),
    "softmax-axis-float": model([node("Softmax", ["x"], axis=1.5)], [x23], [yany]),
    "gemm-trans-5": model([node("Gemm", ["x", "x"], transA=5, transB=-1)], [x23], [yany]),
    "gemm-alpha-nan": model([node("Gemm", ["x", "x"], transB=1, alpha=float("nan"))], [x23], [yany]),
    "transpose-perm-dup": model([node("Transpose", ["x"], perm=[0, 0])], [x23], [yany]),
    "transpose-perm-huge": model([node("Transpose", ["x"], perm=[2**40, -2**40])], [x23], [yany]),
    "flatten-axis-9": model([node("Flatten", ["x"], axis=9)], [x23], [yany]),
    "concat-axis-min": model([node("Concat", ["x", "x"], axis=-2**63)], [x23], [yany]),
    "cast-to-99": model([node("Cast", ["x"], to=99)], [x23], [yany]),
    "cast-to-string": model([node("Cast", ["x"], to=onnx.TensorProto.STRING)], [x23], [yany]),
    "leaky-alpha-tensor": model([node("LeakyRelu", ["x"], alpha=tensor("a", F, [1], [0.1]))], [x23], [yany]),
    "unknown-attr": model([node("Relu", ["x"], frobnicate=1)], [x23], [yany]),
    "reduce-axes-dup": model([node("ReduceSum", ["x", "a"])], [x23], [yany], [tensor("a", I64, [2], [1, -1])]),
    "reduce-axes-out": model([node("ReduceMean", ["x", "a"])], [x23], [yany], [tensor("a", I64, [1], [2**40])]),
    "squeeze-non-one": model([node("Squeeze", ["x", "a"])], [x23], [yany], [tensor("a", I64, [1], [0])]),
    "unsqueeze-huge": model([node("Unsqueeze", ["x", "a"])], [x23], [yany], [tensor("a", I64, [1], [2**62])]),
    "reshape-two-minus-one": model([node("Reshape", ["x", "s"])], [x23], [yany], [tensor("s", I64, [2], [-1, -1])]),
    "reshape-zero-allowzero": model([node("Reshape", ["x", "s"], allowzero=1)], [x23], [yany], [tensor("s", I64, [3], [0, 3, 2])]),
    "reshape-to-huge": model([node("Reshape", ["x", "s"])], [x23], [yany], [tensor("s", I64, [3], [2**40, 2**40, 0])]),
    "gather-index-oob": model([node("Gather", ["x", "i"], axis=1)], [x23], [yany], [tensor("i", I64, [2], [99, -99])]),
    "gather-index-scalar": model([node("Gather", ["x", "i"], axis=0)], [x23], [yany], [tensor("i", I64, [], [1])]),
    "clip-min-over-max": model([node("Clip", ["x", "lo", "hi"])], [x23], [yany], [tensor("lo", F, [], [2.0]), tensor("hi", F, [], [-2.0])]),
    "pow-int-exponent": model([node("Pow", ["x", "e"])], [x23], [yany], [tensor("e", I64, [], [2**62])]),
    "split-sizes-wrong": model([node("Split", ["x", "s"], ["a", "b"], axis=1)], [x23], [vi("a", F, None)], [tensor("s", I64, [2], [2, 2**62])]),
    "slice-step-zero": model([node("Slice", ["x", "st", "en", "ax", "sp"])], [x23], [yany],
                             [tensor(n, I64, [1], [v]) for n, v in (("st", 0), ("en", 3), ("ax", 1), ("sp", 0))]),
    "slice-extremes": model([node("Slice", ["x", "st", "en", "ax", "sp"])], [x23], [yany],
                            [tensor(n, I64, [1], [v]) for n, v in (("st", -2**63), ("en", 2**63 - 1), ("ax", -1), ("sp", -2**63))]),
    "range-delta-zero": model([node("Range", ["a", "b", "c"])], [], [yany],
                              [tensor("a", F, [], [0.0]), tensor("b", F, [], [1e30]), tensor("c", F, [], [0.0])]),
    "range-huge": model([node("Range", ["a", "b", "c"])], [], [yany],
                        [tensor("a", I64, [], [0]), tensor("b", I64, [], [2**62]), tensor("c", I64, [], [1])]),
    "constant-of-shape-huge": model([node("ConstantOfShape", ["s"])], [], [yany], [tensor("s", I64, [3], [2**20, 2**20, 2**20])]),
    "expand-huge": model([node("Expand", ["x", "s"])], [x23], [yany], [tensor("s", I64, [3], [2**40, 2, 3])]),
    "constant-no-value": model([node("Constant", [])], [], [yany]),
    "constant-two-values": model([node("Constant", [], value_float=1.0, value_int=2)], [], [yany]),
    "constant-sparse": model([helper.make_node("Constant", [], ["y"], sparse_value=helper.make_sparse_tensor(
        tensor("v", F, [1], [1.0]), tensor("i", I64, [1], [0]), [4]))], [], [yany]),
    "constant-strings": model([node("Constant", [], value_strings=["a", "b"])], [], [yany]),
    "conv-kernel-huge": model([node("Conv", ["x4", "w"], kernel_shape=[2**40, 2**40], strides=[0, -1], pads=[2**62] * 4, dilations=[0, 0])],
                              [vi("x4", F, [1, 1, 4, 4])], [yany], [tensor("w", F, [1, 1, 1, 1], [1.0])]),
    "conv-group-zero": model([node("Conv", ["x4", "w"], group=0)], [vi("x4", F, [1, 2, 4, 4])], [yany], [tensor("w", F, [2, 1, 1, 1], [1.0, 1.0])]),
    "maxpool-kernel-zero": model([node("MaxPool", ["x4"], kernel_shape=[0, 0])], [vi("x4", F, [1, 1, 4, 4])], [yany]),
    "avgpool-pads-huge": model([node("AveragePool", ["x4"], kernel_shape=[2, 2], pads=[2**40, 0, 0, 2**40])], [vi("x4", F, [1, 1, 4, 4])], [yany]),
    "batchnorm-eps-negative": model([node("BatchNormalization", ["x4", "s", "b", "m", "v"], epsilon=-1.0)], [vi("x4", F, [1, 2, 2, 2])], [yany],
                                    [tensor(n, F, [2], [1.0, -1.0]) for n in "sbmv"]),
    "layernorm-axis-out": model([node("LayerNormalization", ["x", "s"], axis=7)], [x23], [yany], [tensor("s", F, [3], [1.0] * 3)]),
    "einsum-garbage": model([node("Einsum", ["x", "x"], equation="ij,,->>kk...")], [x23], [yany]),
    "where-shapes": model([node("Where", ["c", "x", "w"])], [x23], [yany], [tensor("c", onnx.TensorProto.BOOL, [5], [1, 0, 1, 0, 1]), tensor("w", F, [4], [1.0] * 4)]),
    # model-level fields
    "opset-missing": helper.make_model(helper.make_graph([node("Relu", ["x"])], "g", [x23], [yany]), opset_imports=[], ir_version=8),
    "opset-huge": model([node("Relu", ["x"])], [x23], [yany], opset=2**62),
    "opset-negative": model([node("Relu", ["x"])], [x23], [yany], opset=-1),
    "external-data": model([node("Add", ["x", "w"])], [x23], [yany], [onnx.TensorProto(
        name="w", data_type=F, dims=[3], data_location=onnx.TensorProto.EXTERNAL,
        external_data=[onnx.StringStringEntryProto(key="location", value="/etc/passwd")])]),
    "function-node": model([node("MyFn", ["x"], domain="local")], [x23], [yany]),
}
# a deep subgraph nest (If inside If), past the decoder's depth limit
leaf = helper.make_graph([node("Relu", ["x"])], "g", [], [yany])
deep = leaf
for _ in range(25):
    deep = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=deep, else_branch=leaf)], "g", [], [yany])
hostile["if-nested-26"] = model([helper.make_node("If", ["c"], ["y"], then_branch=deep, else_branch=leaf)],
                                [vi("c", onnx.TensorProto.BOOL, [])], [yany])
for k, m in hostile.items():
    data = m.SerializeToString()
    if len(data) <= 65536:
        write("hostile-" + k, data)

# Raw wire-level damage on valid models: a length past the end, a varint of 11 bytes, a
# group wire type, field number 0, every byte of a small model cut off in turn.
small_bytes = model([node("Gemm", ["x", "w", "b"], transB=1), node("Relu", ["y"], ["z"])], [x23], [vi("z", F, None)],
                    [tensor("w", F, [4, 3], struct.pack("<12f", *[0.5] * 12), raw=True), tensor("b", F, [4], [0.1] * 4)]).SerializeToString()
write("wire-ok-gemm", small_bytes)
write("wire-length-past-end", b"\x3a\xff\xff\xff\xff\x0f" + small_bytes)
write("wire-varint-11", b"\x08" + b"\xff" * 10 + b"\x01" + small_bytes)
write("wire-group", b"\x0b\x0c" + small_bytes)
write("wire-field-zero", b"\x00\x00" + small_bytes)
write("wire-graph-twice", small_bytes + small_bytes[small_bytes.index(b"\x3a"):])
for cut in range(1, len(small_bytes), max(1, len(small_bytes) // 24)):
    write(f"wire-cut-{cut}", small_bytes[:cut])
rng = random.Random(11)
for k in range(24):
    b = bytearray(small_bytes)
    for _ in range(1 + k % 4):
        b[rng.randrange(len(b))] = rng.randrange(256)
    write(f"wire-mutated-{k}", bytes(b))

# The dictionary: op types, attribute and field names the importer reads.
tokens = set(ops) | {"ai.onnx", "", "b64"}
for m in hostile.values():
    for n in m.graph.node:
        tokens |= {a.name for a in n.attribute}
with open(os.path.join(root, "Fuzz", "onnx.dict"), "w") as f:
    f.write("# libFuzzer dictionary for ONNX ModelProto bytes (Fuzz/make_onnx_corpus.py)\n")
    for t in sorted(tokens):
        if t:
            f.write('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"\n')
print(f"now {len(written)} models in {os.path.relpath(out, root)}; wrote Fuzz/onnx.dict")
