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
    "cumsum": lambda a, x: torch.cumsum(x, dim=a["axis"]),
    "logsumexp": lambda a, x: g._reduce(torch.logsumexp, x, a),
    "var": lambda a, x: torch.var(x, dim=a.get("axis"), correction=a.get("correction", 1), keepdim=a.get("keepdims", False)),
    "std": lambda a, x: torch.std(x, dim=a.get("axis"), correction=a.get("correction", 1), keepdim=a.get("keepdims", False)),
    "norm": lambda a, x: torch.linalg.vector_norm(x, float(a.get("ord", 2)), dim=a.get("axis"),
                                                  keepdim=a.get("keepdims", False)),
    "argmax": lambda a, x: _not_differentiable(torch.argmax(x, dim=a["axis"], keepdim=a.get("keepdims", False)), x),
    "argmin": lambda a, x: _not_differentiable(torch.argmin(x, dim=a["axis"], keepdim=a.get("keepdims", False)), x),
    "cosine_similarity": lambda a, x, y: F.cosine_similarity(x, y, dim=a.get("axis", 1), eps=a.get("eps", 1e-8)),
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


REDUCTIONS = [  # (label, shape, attrs): axis null = all, negative axes, lists, keepdims, size 1, 0-d
    ("2x3x4_all", (2, 3, 4), {}),
    ("2x3x4_all_keepdims", (2, 3, 4), {"keepdims": True}),
    ("2x3x4_axis1", (2, 3, 4), {"axis": 1}),
    ("2x3x4_axis-1_keepdims", (2, 3, 4), {"axis": -1, "keepdims": True}),
    ("2x3x4_axes0_2", (2, 3, 4), {"axis": [0, 2]}),
    ("3x1x4_size1_axis1", (3, 1, 4), {"axis": 1}),
    ("5_axis0", (5,), {"axis": 0}),
    ("scalar_all", (), {}),
]


def reduction_ops():
    files = {op: OpFile(op) for op in ("logsumexp", "var", "std", "norm")}
    for op, f in files.items():
        for label, shape, attrs in REDUCTIONS:
            if op in ("var", "std") and label == "scalar_all":
                continue  # torch.var of one element is NaN with a warning; covered by correction_0 below
            f.case(label, {"x": normal(rng_for(f"{op}/{label}"), shape, 2.0)}, attrs, why="float32 accumulation order")
    lse = files["logsumexp"]
    lse.case("extreme_1000", {"x": np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0],
                                             [1000.0, 999.0, 998.0]])}, {"axis": 1})
    lse.case("extreme_all", {"x": np.array([1000.0, 1000.0, -1000.0])})
    for op in ("var", "std"):
        f = files[op]
        r = rng_for(f"{op}/corrections")
        for c in (0, 2, 0.5):
            f.case(f"correction_{c}_2x5_axis1", {"x": normal(r, (2, 5))}, {"axis": 1, "correction": c})
        f.case("correction_0_scalar", {"x": np.array(1.5).reshape(())}, {"correction": 0})
        f.case("constant_rows", {"x": np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])}, {"axis": 1})
    nf = files["norm"]
    for ordv, name in ((1, "1"), ("inf", "inf"), (2.0, "2.0")):
        for label, shape, attrs in REDUCTIONS[:6]:
            nf.case(f"ord_{name}_{label}", {"x": normal(rng_for(f"norm/{name}/{label}"), shape)}, {"ord": ordv, **attrs})
    nf.case("ord_2_zero_row", {"x": np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])}, {"axis": 1})
    nf.case("ord_1_zeros", {"x": np.array([[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]])}, {"ord": 1, "axis": 1})
    nf.case("ord_inf_ties", {"x": np.array([[3.0, -3.0, 1.0], [0.0, 0.0, 0.0], [-2.0, 1.0, 2.0]])},
            {"ord": "inf", "axis": -1})
    out = list(files.values())
    f = OpFile("cumsum")
    for label, shape, axis in [("5_axis0", (5,), 0), ("2x3_axis1", (2, 3), 1), ("2x3_axis0", (2, 3), 0),
                               ("2x3x4_axis-2", (2, 3, 4), -2), ("2x3x4_axis-1", (2, 3, 4), -1),
                               ("3x1_axis1", (3, 1), 1), ("scalar_axis0", (), 0), ("scalar_axis-1", (), -1)]:
        f.case(label, {"x": normal(rng_for(f"cumsum/{label}"), shape)}, {"axis": axis}, why="float32 accumulation order")
    out.append(f)
    for op in ("argmax", "argmin"):
        f = OpFile(op)
        for label, shape, attrs in [("5_axis0", (5,), {"axis": 0}), ("2x3_axis1", (2, 3), {"axis": 1}),
                                    ("2x3x4_axis0_keepdims", (2, 3, 4), {"axis": 0, "keepdims": True}),
                                    ("2x3x4_axis-1", (2, 3, 4), {"axis": -1}), ("scalar_axis0", (), {"axis": 0})]:
            f.case(label, {"x": normal(rng_for(f"{op}/{label}"), shape)}, attrs)
        f.case("ties_first", {"x": np.array([[1.0, 3.0, 3.0, -2.0], [-2.0, 0.5, -2.0, 3.0]])}, {"axis": 1})
        f.case("ties_first_axis0", {"x": np.array([[1.0, 3.0], [1.0, -3.0], [-7.0, 3.0]])}, {"axis": 0})
        out.append(f)
    f = OpFile("cosine_similarity")
    for label, sa, sb, attrs in [("4x5_default", (4, 5), (4, 5), {}), ("4x5_axis0", (4, 5), (4, 5), {"axis": 0}),
                                 ("2x3x4_axis-1", (2, 3, 4), (2, 3, 4), {"axis": -1}),
                                 ("broadcast_2x3_3", (2, 3), (3,), {"axis": -1}),
                                 ("broadcast_4x1x3_2x3", (4, 1, 3), (2, 3), {"axis": 2}),
                                 ("1d_axis0", (6,), (6,), {"axis": 0}),
                                 ("eps_0.5", (3, 4), (3, 4), {"eps": 0.5})]:
        r = rng_for(f"cosine_similarity/{label}")
        f.case(label, {"a": normal(r, sa), "b": normal(r, sb)}, attrs)
    f.case("tiny_and_zero_norms", {"a": np.array([[1e-9, 2e-9, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),
                                   "b": np.array([[3.0, 1.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])})
    out.append(f)
    return out


def main():
    for f in reduction_ops():
        f.write()
        print(f"ops/{f.op}.json: {len(f.cases)} cases")
    for f in comparison_ops():
        f.write()
        print(f"ops/{f.op}.json: {len(f.cases)} cases")
    for f in unary_ops():
        f.write()
        print(f"ops/{f.op}.json: {len(f.cases)} cases")


if __name__ == "__main__":
    main()
