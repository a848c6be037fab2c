"""PyTorch fixtures for the indexing, shape and loss ops of issue 10 (ops-index):
squeeze unsqueeze broadcast_to stack pad flip take gather embedding dropout, nll_loss,
cross_entropy's weight / ignore_index / [N, C, d...] cases, l1_loss smooth_l1_loss
huber_loss kl_div.

Called by generate.py's main (`gen_index.main()`); reuses its helpers and case format.
Index inputs (take, gather, embedding, class targets) are integral floats with no
gradient, as on the wire; torch receives them as int64.
"""

import numpy as np
import torch
import torch.nn.functional as F

import generate as g
from generate import OpFile, normal, rng_for, uniform

_base_torch_op = g.torch_op


def _long(t):
    return t.detach().to(torch.long)


def _squeeze(x, axis):
    if axis is None:
        return x.squeeze()
    return x.squeeze(tuple(axis) if isinstance(axis, list) else axis)


def _pad(x, pairs, value):
    if len(pairs) == 1:
        pairs = pairs * x.dim()
    flat = [w for before, after in reversed(pairs) for w in (before, after)]
    return F.pad(x, flat, mode="constant", value=value)


def _take(x, idx, axis):
    a = axis % x.dim()
    n = x.shape[a]
    i = _long(idx)
    i = torch.where(i < 0, i + n, i)
    picked = torch.index_select(x, a, i.reshape(-1))
    return picked.reshape(x.shape[:a] + i.shape + x.shape[a + 1:])


MASK64 = (1 << 64) - 1


def splitmix64_units(seed, n):
    """The first n values of SplitMix64(seed).nextUnit(): (next() >> 11) * 2^-53."""
    state, out = seed, []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        out.append((z >> 11) * 2.0 ** -53)
    return np.array(out)


def _dropout(x, p, seed):
    """The wire's dropout: torch's F.dropout arithmetic (x * mask / (1 - p), the scale cast
    to the dtype) over the documented SplitMix64 mask instead of torch's generator; p = 0
    and p = 1 are torch's own F.dropout."""
    if p in (0, 1):
        return F.dropout(x, p=float(p), training=True)
    keep = splitmix64_units(seed, x.numel()).reshape(tuple(x.shape)) >= p
    scale = torch.tensor(keep * (1.0 / (1.0 - p)), dtype=x.dtype)
    return x * scale


def _class_targets(logits, target):
    """Class indices when the target has one axis fewer than the logits."""
    return _long(target) if target.dim() == logits.dim() - 1 else target


def index_torch_op(op, attrs, xs):
    a = attrs
    if op == "squeeze":
        return _squeeze(xs[0], a.get("axis"))
    if op == "unsqueeze":
        return xs[0].unsqueeze(a["axis"])
    if op == "broadcast_to":
        return torch.broadcast_to(xs[0], a["shape"])
    if op == "stack":
        return torch.stack(xs, dim=a.get("axis", 0))
    if op == "pad":
        return _pad(xs[0], a["pad_width"], a.get("value", 0.0))
    if op == "flip":
        axis = a.get("axis")
        dims = list(range(xs[0].dim())) if axis is None else (axis if isinstance(axis, list) else [axis])
        return torch.flip(xs[0], dims)
    if op == "take":
        return _take(xs[0], xs[1], a.get("axis", 0))
    if op == "gather":
        return torch.gather(xs[0], a["axis"], _long(xs[1]))
    if op == "embedding":
        return F.embedding(_long(xs[1]), xs[0])
    if op == "dropout":
        return _dropout(xs[0], a["p"], a["seed"])
    reduction = a.get("reduction", "mean")
    if op == "cross_entropy":
        return F.cross_entropy(xs[0], _class_targets(xs[0], xs[1]), weight=xs[2] if len(xs) > 2 else None,
                               reduction=reduction, ignore_index=a.get("ignore_index", -100),
                               label_smoothing=a.get("label_smoothing", 0.0))
    if op == "nll_loss":
        return F.nll_loss(xs[0], _long(xs[1]), weight=xs[2] if len(xs) > 2 else None,
                          reduction=reduction, ignore_index=a.get("ignore_index", -100))
    if op == "l1_loss":
        return F.l1_loss(xs[0], xs[1], reduction=reduction)
    if op == "smooth_l1_loss":
        return F.smooth_l1_loss(xs[0], xs[1], reduction=reduction, beta=a.get("beta", 1.0))
    if op == "huber_loss":
        return F.huber_loss(xs[0], xs[1], reduction=reduction, delta=a.get("delta", 1.0))
    if op == "kl_div":
        return F.kl_div(xs[0], xs[1], reduction=reduction, log_target=a.get("log_target", False))
    return _base_torch_op(op, attrs, xs)


# OpFile and run_op dispatch through generate.torch_op: extend it with these ops.
g.torch_op = index_torch_op


def shape_ops():
    files = []
    sq = OpFile("squeeze")
    for label, shape, attrs in [("2x1x3x1_all", (2, 1, 3, 1), {}), ("2x1x3x1_axis1", (2, 1, 3, 1), {"axis": 1}),
                                ("2x1x3x1_axis-1", (2, 1, 3, 1), {"axis": -1}),
                                ("2x1x3x1_axes1_3", (2, 1, 3, 1), {"axis": [1, 3]}),
                                ("2x1x3_non1_axis0_noop", (2, 1, 3), {"axis": 0}),
                                ("2x1x3_axes0_1_mixed", (2, 1, 3), {"axis": [0, 1]}),
                                ("1x1_all_to_scalar", (1, 1), {}), ("scalar", (), {}),
                                ("2x3_nothing_to_squeeze", (2, 3), {})]:
        sq.case(label, {"x": normal(rng_for(f"squeeze/{label}"), shape)}, attrs)
    files.append(sq)
    us = OpFile("unsqueeze")
    for label, shape, axis in [("2x3_axis0", (2, 3), 0), ("2x3_axis2_end", (2, 3), 2), ("2x3_axis-1", (2, 3), -1),
                               ("2x3_axis-3", (2, 3), -3), ("2x3_axis1", (2, 3), 1), ("scalar_axis0", (), 0)]:
        us.case(label, {"x": normal(rng_for(f"unsqueeze/{label}"), shape)}, {"axis": axis})
    files.append(us)
    bt = OpFile("broadcast_to")
    for label, shape, to in [("3_to_2x3", (3,), [2, 3]), ("2x1_to_2x4", (2, 1), [2, 4]),
                             ("1x3x1_to_2x3x2", (1, 3, 1), [2, 3, 2]), ("scalar_to_2x2", (), [2, 2]),
                             ("2x1_to_-1x3", (2, 1), [-1, 3]), ("2x3_same", (2, 3), [2, 3]),
                             ("3_to_2x1x3", (3,), [2, 1, 3])]:
        bt.case(label, {"x": normal(rng_for(f"broadcast_to/{label}"), shape)}, {"shape": to})
    files.append(bt)
    st = OpFile("stack")
    for label, shapes, attrs in [("two_2x3_axis0", [(2, 3)] * 2, {}), ("three_2x3_axis1", [(2, 3)] * 3, {"axis": 1}),
                                 ("two_2x3_axis-1", [(2, 3)] * 2, {"axis": -1}),
                                 ("two_2x3_axis2_end", [(2, 3)] * 2, {"axis": 2}),
                                 ("two_2x3_axis-3", [(2, 3)] * 2, {"axis": -3}),
                                 ("single_4", [(4,)], {}), ("scalars", [()] * 3, {})]:
        r = rng_for(f"stack/{label}")
        st.case(label, {n: normal(r, s) for n, s in zip("abc", shapes)}, attrs)
    files.append(st)
    pd = OpFile("pad")
    for label, shape, attrs in [("2x3_per_axis", (2, 3), {"pad_width": [[1, 2], [0, 1]]}),
                                ("2x3_one_pair_all_axes_value", (2, 3), {"pad_width": [[1, 1]], "value": 1.5}),
                                ("4x5_negative_crops", (4, 5), {"pad_width": [[-1, 0], [1, -2]], "value": -1.0}),
                                ("3_crop_to_empty", (3,), {"pad_width": [[-3, 0]]}),
                                ("2x3x2_mixed", (2, 3, 2), {"pad_width": [[0, 0], [2, 0], [0, 3]], "value": 0.5}),
                                ("2x3_zeros", (2, 3), {"pad_width": [[0, 0], [0, 0]]})]:
        pd.case(label, {"x": normal(rng_for(f"pad/{label}"), shape)}, attrs)
    files.append(pd)
    fl = OpFile("flip")
    for label, shape, attrs in [("2x3x4_all", (2, 3, 4), {}), ("2x3x4_axis1", (2, 3, 4), {"axis": 1}),
                                ("2x3x4_axes0_2", (2, 3, 4), {"axis": [0, 2]}),
                                ("2x3x4_axis-1", (2, 3, 4), {"axis": -1}), ("5_axis0", (5,), {"axis": 0}),
                                ("scalar", (), {})]:
        fl.case(label, {"x": normal(rng_for(f"flip/{label}"), shape)}, attrs)
    files.append(fl)
    tk = OpFile("take")
    for label, shape, idx, attrs in [("5x3_axis0_repeats", (5, 3), [4, 0, 4, -1], {}),
                                     ("2x5_axis1_2x2_negative", (2, 5), [[1, -5], [3, 1]], {"axis": 1}),
                                     ("2x3x4_axis-1_scalar_index", (2, 3, 4), 2, {"axis": -1}),
                                     ("2x3x4_axis1_2x2", (2, 3, 4), [[0, 2], [2, 2]], {"axis": 1}),
                                     ("4_empty_indices", (4,), np.zeros((0,)), {})]:
        r = rng_for(f"take/{label}")
        tk.case(label, {"x": normal(r, shape), "indices": np.array(idx, dtype=np.float64)}, attrs,
                no_grad=("indices",))
    files.append(tk)
    ga = OpFile("gather")
    for label, shape, idx, axis in [("3x4_axis1", (3, 4), [[0, 3], [2, 2], [1, 0]], 1),
                                    ("3x4_axis0_repeats", (3, 4), [[0, 1, 2, 0], [2, 2, 1, 1]], 0),
                                    ("2x3x4_axis-1_smaller", (2, 3, 4), [[[0, 1, 3], [3, 3, 3]], [[2, 0, 1], [1, 1, 1]]], -1),
                                    ("3x4_axis1_wider_index", (3, 4), [[0, 3, 3, 1, 2]] * 2, 1),
                                    ("scalar", (), 0, 0)]:
        r = rng_for(f"gather/{label}")
        ga.case(label, {"x": normal(r, shape), "indices": np.array(idx, dtype=np.float64)}, {"axis": axis},
                no_grad=("indices",))
    files.append(ga)
    em = OpFile("embedding")
    for label, shape, idx in [("5x3_4_repeats", (5, 3), [1, 4, 1, 0]), ("4x2_2x3", (4, 2), [[3, 3, 0], [2, 1, 3]]),
                              ("3x4_scalar_index", (3, 4), 2), ("6x3_batch_2x4_tokens", (6, 3), [[0, 5, 5, 2], [1, 2, 3, 4]])]:
        r = rng_for(f"embedding/{label}")
        em.case(label, {"weight": normal(r, shape), "indices": np.array(idx, dtype=np.float64)},
                no_grad=("indices",))
    files.append(em)
    return files


def dropout_ops():
    f = OpFile("dropout")
    for label, shape, p, seed in [("2x3_p0_identity", (2, 3), 0, 7), ("2x3_p1_zeros", (2, 3), 1, 7),
                                  ("4x5_p0.5_seed1", (4, 5), 0.5, 1), ("4x5_p0.5_seed2", (4, 5), 0.5, 2),
                                  ("3x4x5_p0.2_seed12345", (3, 4, 5), 0.2, 12345),
                                  ("200_p0.9_seed2^53-1", (200,), 0.9, 2 ** 53 - 1), ("scalar_p0.3", (), 0.3, 0)]:
        f.case(label, {"x": normal(rng_for(f"dropout/{label}"), shape)}, {"p": p, "seed": seed})
    return [f]


def _classes(r, shape, c, ignored=(), ignore=-100):
    t = r.integers(0, c, size=shape).astype(np.float64)
    for i in ignored:
        t.flat[i] = ignore
    return t


def _log_probs(r, shape):
    x = r.normal(0.0, 1.5, size=shape)
    return g.rnd(x - np.log(np.exp(x).sum(axis=1 if len(shape) > 1 else 0, keepdims=True)))


def class_losses():
    """cross_entropy's new forms appended after generate.py's committed cases (which stay
    byte-identical), and nll_loss."""
    ce = next(f for f in g.loss_ops() if f.op == "cross_entropy")
    reductions = [("mean", {}), ("sum", {"reduction": "sum"}), ("none", {"reduction": "none"})]
    for red_label, attrs in reductions:
        for smooth in (0.0, 0.1):
            sl = f"_smoothing{smooth}" if smooth else ""
            a = {**attrs, **({"label_smoothing": smooth} if smooth else {})}
            r = rng_for(f"cross_entropy/weight/{red_label}{sl}")
            ce.case(f"weight_4x5_{red_label}{sl}",
                    {"input": normal(r, (4, 5), 2.0), "target": _classes(r, 4, 5), "weight": uniform(r, 5, 0.2, 2.0)},
                    a, no_grad=("target", "weight"))
            r = rng_for(f"cross_entropy/ignore/{red_label}{sl}")
            ce.case(f"ignore_index_default_5x3_{red_label}{sl}",
                    {"input": normal(r, (5, 3)), "target": _classes(r, 5, 3, ignored=(1, 3))},
                    a, no_grad=("target",))
            r = rng_for(f"cross_entropy/nd/{red_label}{sl}")
            ce.case(f"2x4x3_indices_2x3_{red_label}{sl}",
                    {"input": normal(r, (2, 4, 3)), "target": _classes(r, (2, 3), 4)}, a, no_grad=("target",))
            r = rng_for(f"cross_entropy/nd_weight_ignore/{red_label}{sl}")
            ce.case(f"2x3x2x2_weight_ignore_index_2_{red_label}{sl}",
                    {"input": normal(r, (2, 3, 2, 2)), "target": np.array([[[0, 2], [1, 2]], [[2, 1], [0, 1]]], dtype=np.float64),
                     "weight": uniform(r, 3, 0.2, 2.0)}, {**a, "ignore_index": 2}, no_grad=("target", "weight"))
            r = rng_for(f"cross_entropy/nd_probs/{red_label}{sl}")
            p = np.exp(r.normal(size=(2, 3, 4)))
            ce.case(f"2x3x4_probabilities_weight_{red_label}{sl}",
                    {"input": normal(r, (2, 3, 4)), "target": g.rnd(p / p.sum(axis=1, keepdims=True)),
                     "weight": uniform(r, 3, 0.2, 2.0)}, a, no_grad=("weight",))
    r = rng_for("cross_entropy/single_weight")
    ce.case("single_sample_5_weight", {"input": normal(r, 5), "target": np.array(3.0), "weight": uniform(r, 5, 0.2, 2.0)},
            {"label_smoothing": 0.2}, no_grad=("target", "weight"))
    r = rng_for("cross_entropy/all_ignored")
    ce.case("all_ignored_mean_is_nan", {"input": normal(r, (2, 3)), "target": np.array([-100.0, -100.0])},
            no_grad=("target",))
    ce.case("extreme_logits_weight_ignore",
            {"input": np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [1000.0, 999.0, 998.0]]),
             "target": np.array([1.0, -100.0, 0.0]), "weight": np.array([0.5, 1.0, 2.0])},
            no_grad=("target", "weight"))

    nll = OpFile("nll_loss")
    for red_label, attrs in reductions + [("default_mean", {})]:
        r = rng_for(f"nll_loss/plain/{red_label}")
        nll.case(f"4x5_{red_label}", {"input": _log_probs(r, (4, 5)), "target": _classes(r, 4, 5)}, attrs,
                 no_grad=("target",))
        r = rng_for(f"nll_loss/weight_ignore/{red_label}")
        nll.case(f"5x3_weight_ignore_{red_label}",
                 {"input": _log_probs(r, (5, 3)), "target": _classes(r, 5, 3, ignored=(2,)),
                  "weight": uniform(r, 3, 0.2, 2.0)}, attrs, no_grad=("target", "weight"))
        r = rng_for(f"nll_loss/nd/{red_label}")
        nll.case(f"2x3x2x2_weight_ignore_index_0_{red_label}",
                 {"input": _log_probs(r, (2, 3, 2, 2)), "target": _classes(r, (2, 2, 2), 3),
                  "weight": uniform(r, 3, 0.2, 2.0)}, {**attrs, "ignore_index": 0}, no_grad=("target", "weight"))
    r = rng_for("nll_loss/single")
    nll.case("single_sample_4", {"input": _log_probs(r, (4,)), "target": np.array(1.0)}, no_grad=("target",))
    nll.case("all_ignored_mean_is_nan", {"input": _log_probs(r, (2, 3)), "target": np.array([-100.0, -100.0])},
             no_grad=("target",))
    return [ce, nll]


def distance_losses():
    reductions = [("default_mean", {}), ("sum", {"reduction": "sum"}), ("none", {"reduction": "none"})]
    files = []
    for op, params in [("l1_loss", [{}]), ("smooth_l1_loss", [{}, {"beta": 0.5}, {"beta": 0.0}, {"beta": 2}]),
                       ("huber_loss", [{}, {"delta": 0.3}, {"delta": 2.5}])]:
        f = OpFile(op)
        for extra in params:
            pl = "".join(f"_{k}{v}" for k, v in extra.items())
            for red_label, attrs in reductions:
                for shape_label, shape in [("5", (5,)), ("2x3", (2, 3))]:
                    r = rng_for(f"{op}/{shape_label}/{red_label}{pl}")
                    f.case(f"{shape_label}_{red_label}{pl}", {"input": normal(r, shape, 1.5), "target": normal(r, shape)},
                           {**attrs, **extra})
            # kinks: equal operands, and differences exactly at ±beta / ±delta
            b = float(extra.get("beta", extra.get("delta", 1.0)))
            t = np.array([0.25, -0.5, 1.0, 0.0, 2.0])
            f.case(f"kinks{pl}", {"input": t + np.array([0.0, b, -b, 0.0, 3.0 * b + 0.5]), "target": t},
                   {"reduction": "none", **extra})
        f.case("scalar", {"input": np.array(0.3), "target": np.array(-1.2)})
        files.append(f)
    kl = OpFile("kl_div")
    for red_label, attrs in reductions + [("batchmean", {"reduction": "batchmean"})]:
        for log_target in (False, True):
            a = {**attrs, **({"log_target": True} if log_target else {})}
            lt = "_log_target" if log_target else ""
            r = rng_for(f"kl_div/{red_label}{lt}")
            target = _log_probs(r, (3, 4)) if log_target else np.exp(_log_probs(r, (3, 4)))
            kl.case(f"3x4_{red_label}{lt}", {"input": _log_probs(r, (3, 4)), "target": g.rnd(target)}, a)
    kl.case("target_zeros_forward_only", {"input": np.array([-0.5, -1.0, -2.0]), "target": np.array([0.0, 0.3, 0.7])},
            {"reduction": "sum"}, no_grad=("target",))
    kl.case("target_zeros_nan_target_gradient", {"input": np.array([-0.5, -1.0, -2.0]), "target": np.array([0.0, 0.3, 0.7])},
            {"reduction": "none"})
    kl.case("scalar_batchmean", {"input": np.array(-0.7), "target": np.array(0.4)}, {"reduction": "batchmean"})
    files.append(kl)
    return files


def main():
    for family in (shape_ops, dropout_ops, class_losses, distance_losses):
        for f in family():
            f.write()
            print(f"ops/{f.op}.json: {len(f.cases)} cases")


if __name__ == "__main__":  # only these ops: the other fixture files stay as committed
    main()
