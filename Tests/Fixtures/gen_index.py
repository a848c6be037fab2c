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


def main():
    for family in (shape_ops, dropout_ops):
        for f in family():
            f.write()
            print(f"ops/{f.op}.json: {len(f.cases)} cases")


if __name__ == "__main__":  # only these ops: the other fixture files stay as committed
    main()
