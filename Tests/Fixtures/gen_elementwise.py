#!/usr/bin/env python3
"""PyTorch fixtures for issue 10's elementwise math, comparisons, where, reductions and
cosine_similarity (ops-elem's ops): Tests/Fixtures/ops/<op>.json for these ops only.

Reuses generate.py's helpers (OpFile, the seeded draws, the tolerance rule) and extends its
torch_op with these ops. generate.py's main calls main() here; it also runs alone:
    python3 Tests/Fixtures/gen_elementwise.py
"""

import numpy as np
import torch
import torch.nn.functional as F

import generate as g
from generate import OpFile, UNARY_SHAPES, EXTREME_LOGITS, normal, uniform, rng_for


def _clamp(attrs, x):
    return torch.clamp(x, min=attrs.get("min"), max=attrs.get("max"))


OPS = {  # wire op -> f(attrs, *inputs)
    "sin": lambda a, x: torch.sin(x),
    "cos": lambda a, x: torch.cos(x),
    "erf": lambda a, x: torch.erf(x),
    "log1p": lambda a, x: torch.log1p(x),
    "expm1": lambda a, x: torch.expm1(x),
    "rsqrt": lambda a, x: torch.rsqrt(x),
    "square": lambda a, x: torch.square(x),
    "sign": lambda a, x: torch.sign(x),
    "silu": lambda a, x: F.silu(x),
    "elu": lambda a, x: F.elu(x, alpha=a.get("alpha", 1.0)),
    "clamp": _clamp,
}

_base_torch_op = g.torch_op


def torch_op(op, attrs, xs):
    if op in OPS:
        return OPS[op](attrs, *xs)
    return _base_torch_op(op, attrs, xs)


g.torch_op = torch_op


def unary_ops():
    domains = {  # op -> draw(r, shape)
        "sin": lambda r, s: normal(r, s, 3.0),
        "cos": lambda r, s: normal(r, s, 3.0),
        "erf": lambda r, s: normal(r, s, 1.5),
        "log1p": lambda r, s: uniform(r, s, -0.9, 4.0),
        "expm1": lambda r, s: uniform(r, s, -3.0, 3.0),
        "rsqrt": lambda r, s: uniform(r, s, 0.1, 5.0),
        "square": lambda r, s: normal(r, s, 2.0),
        "sign": lambda r, s: normal(r, s),
        "silu": lambda r, s: normal(r, s, 2.0),
        "elu": lambda r, s: normal(r, s, 2.0),
    }
    files = {}
    for op, draw in domains.items():
        f = files[op] = OpFile(op)
        for label, shape in UNARY_SHAPES:
            f.case(label, {"x": draw(rng_for(f"{op}/{label}"), shape)}, why="float32 transcendental rounding")
    zeros = np.array([[-1.5, 0.0, 2.0], [-0.0, -0.25, 0.75]])
    files["sin"].case("wide_range", {"x": np.array([-1000.0, -10.0, -3.1416, 0.0, 1.5708, 10.0, 1000.0])})
    files["cos"].case("wide_range", {"x": np.array([-1000.0, -10.0, -3.1416, 0.0, 1.5708, 10.0, 1000.0])})
    files["erf"].case("tails", {"x": np.array([-10.0, -4.0, -1e-8, 0.0, 1e-8, 4.0, 10.0])})
    files["log1p"].case("tiny_and_minus_one", {"x": np.array([-1.0, -1e-10, 0.0, 1e-10, 1e-5, 1e10])})
    files["expm1"].case("tiny_and_large", {"x": np.array([-80.0, -1e-10, 0.0, 1e-10, 1e-5, 20.0, 80.0])})
    files["rsqrt"].case("zero_and_tiny", {"x": np.array([0.0, 1e-10, 1e-4, 4.0, 1e10])})
    files["square"].case("large", {"x": np.array([-1e10, -3.0, 0.0, 1e-20, 1e10])})
    files["sign"].case("at_zero", {"x": zeros})
    files["silu"].case("extreme_logits", {"x": EXTREME_LOGITS})
    files["elu"].case("at_zero", {"x": zeros})
    files["elu"].case("extreme", {"x": np.array([-1000.0, -50.0, -1e-8, 0.0, 1e-8, 50.0, 1000.0])})
    r = rng_for("elu/alpha")
    files["elu"].case("alpha_0.5", {"x": normal(r, (2, 3), 2.0)}, {"alpha": 0.5})
    files["elu"].case("alpha_0.5_at_zero", {"x": zeros}, {"alpha": 0.5})
    files["elu"].case("alpha_2_int", {"x": normal(r, (4,), 2.0)}, {"alpha": 2})
    f = files["clamp"] = OpFile("clamp")
    for label, attrs in [("min_max", {"min": -0.5, "max": 0.75}), ("min_only", {"min": -0.3}),
                         ("max_only", {"max": 0.2}), ("min_null_max", {"min": None, "max": 1.0}),
                         ("int_bounds", {"min": -1, "max": 1}),
                         ("min_above_max", {"min": 1.0, "max": -1.0})]:
        for shape_label, shape in UNARY_SHAPES:
            f.case(f"{label}_{shape_label}", {"x": normal(rng_for(f"clamp/{label}/{shape_label}"), shape)}, attrs)
    # On a bound the gradient is 0 (torch 2.15, number bounds), inside it passes.
    f.case("on_the_bounds", {"x": np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0])}, {"min": -0.5, "max": 0.5})
    f.case("on_the_min", {"x": np.array([-1.0, -0.5, 0.0])}, {"min": -0.5})
    return list(files.values())


def main():
    for f in unary_ops():
        f.write()
        print(f"ops/{f.op}.json: {len(f.cases)} cases")


if __name__ == "__main__":
    main()
