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


class _ZeroGradient(torch.autograd.Function):
    """y itself, with zero gradients for xs: torch's answer for a non-differentiable output
    (comparisons, argmax) made explicit, so that the fixture states the zeros."""

    @staticmethod
    def forward(ctx, y, *xs):
        ctx.shapes = [x.shape for x in xs]
        return y.clone()

    @staticmethod
    def backward(ctx, grad):
        return (None, *[torch.zeros(s, dtype=grad.dtype) for s in ctx.shapes])


def _not_differentiable(y, *xs):
    return _ZeroGradient.apply(y.to(xs[0].dtype), *xs)


COMPARISONS = {"greater": torch.gt, "greater_equal": torch.ge, "less": torch.lt, "less_equal": torch.le,
               "equal": torch.eq, "not_equal": torch.ne}


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
    "where": lambda a, c, x, y: torch.where(c != 0, x, y) + 0 * _not_differentiable(c, c).sum(),
    **{op: (lambda f: lambda a, x, y: _not_differentiable(f(x, y), x, y))(f) for op, f in COMPARISONS.items()},
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


BROADCAST = [  # (label, shape a, shape b)
    ("same_2x3", (2, 3), (2, 3)), ("scalar_a", (), (2, 3)), ("scalar_b", (2, 3), ()),
    ("row_3", (2, 3), (3,)), ("outer_4x1_1x5", (4, 1), (1, 5)), ("3d_2x1x3_1x4x1", (2, 1, 3), (1, 4, 1)),
]


def comparison_ops():
    files = []
    for op in COMPARISONS:
        f = OpFile(op)
        for label, sa, sb in BROADCAST:
            r = rng_for(f"{op}/{label}")
            # Values on a coarse grid, so that ties (equal, the *_equal relations) occur.
            a, b = np.round(normal(r, sa) * 2) / 2, np.round(normal(r, sb) * 2) / 2
            f.case(label, {"a": a, "b": b})
        f.case("ties_and_signed_zeros", {"a": np.array([1.0, -0.0, 0.0, 2.5, -3.0, 1e300]),
                                         "b": np.array([1.0, 0.0, 0.0, 2.4, -3.0, 1e300])})
        files.append(f)
    f = OpFile("where")
    for label, sc, sa, sb in [("same_2x3", (2, 3), (2, 3), (2, 3)), ("scalar_condition", (), (2, 3), (2, 3)),
                              ("row_condition", (3,), (2, 3), (2, 3)), ("scalar_a_b", (2, 3), (), ()),
                              ("three_way_4x1_1x5_5", (4, 1), (1, 5), (5,)),
                              ("3d", (2, 1, 3), (1, 4, 1), (4, 3))]:
        r = rng_for(f"where/{label}")
        c = r.choice([0.0, 1.0, -2.0, 0.5], size=sc)
        f.case(label, {"condition": c, "a": normal(r, sa), "b": normal(r, sb)}, no_grad=("condition",))
    f.case("condition_gradient_is_zero", {"condition": np.array([0.0, 1.0, -0.0, 3.0]),
                                          "a": np.array([1.0, 2.0, 3.0, 4.0]), "b": np.array([-1.0, -2.0, -3.0, -4.0])})
    files.append(f)
    return files


def main():
    for f in comparison_ops():
        f.write()
        print(f"ops/{f.op}.json: {len(f.cases)} cases")
    for f in unary_ops():
        f.write()
        print(f"ops/{f.op}.json: {len(f.cases)} cases")


if __name__ == "__main__":
    main()
