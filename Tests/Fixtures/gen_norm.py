"""PyTorch fixtures for the normalisation and attention ops (issue 10): layer_norm,
rms_norm, group_norm, batch_norm, scaled_dot_product_attention.

Called from generate.py's main (which writes ops/<op>.json for each file returned); reuses
its case builder, encoders and seeded generators.
"""

import numpy as np
import torch
import torch.nn.functional as F

import generate as g


def _shape(v):
    return list(v) if isinstance(v, list) else [v]


def _layer_norm(a, xs):
    return F.layer_norm(xs[0], _shape(a["normalized_shape"]), *xs[1:], eps=a.get("eps", 1e-5))


def _rms_norm(a, xs):
    return F.rms_norm(xs[0], _shape(a["normalized_shape"]), *xs[1:], eps=a.get("eps"))


def _group_norm(a, xs):
    return F.group_norm(xs[0], a["num_groups"], *xs[1:], eps=a.get("eps", 1e-5))


def _batch_norm(a, xs):
    eps = a.get("eps", 1e-5)
    if len(xs) == 5:  # ONNX's order: x, weight, bias, running_mean, running_var
        return F.batch_norm(xs[0], xs[3], xs[4], xs[1], xs[2], training=False, eps=eps)
    return F.batch_norm(xs[0], None, None, xs[1], xs[2], training=True, eps=eps)


def _sdpa(a, xs):
    mask = xs[3] if len(xs) == 4 else None
    return F.scaled_dot_product_attention(xs[0], xs[1], xs[2], attn_mask=mask,
                                          is_causal=a.get("is_causal", False), scale=a.get("scale"))


g.EXTRA_OPS.update({"layer_norm": _layer_norm, "rms_norm": _rms_norm, "group_norm": _group_norm,
                    "batch_norm": _batch_norm, "scaled_dot_product_attention": _sdpa})

WHY = "float32 accumulation order in the row statistics"


def layer_norm():
    f = g.OpFile("layer_norm")
    for label, sx, ns, affine, attrs in [
            ("2x5_weight_bias", (2, 5), [5], "wb", {}),
            ("2x5_no_weight_no_bias", (2, 5), [5], "", {}),
            ("2x5_weight_only", (2, 5), [5], "w", {}),
            ("normalized_shape_int", (3, 4), 4, "wb", {}),
            ("2x3x4_normalized_3x4", (2, 3, 4), [3, 4], "wb", {}),
            ("2x3x4_normalized_all", (2, 3, 4), [2, 3, 4], "", {}),
            ("4x2x3_normalized_last_eps_0.1", (4, 2, 3), [3], "wb", {"eps": 0.1}),
            ("1d_6", (6,), [6], "wb", {}),
            ("4x256_wide_rows", (4, 256), [256], "wb", {})]:
        r = g.rng_for(f"layer_norm/{label}")
        nshape = tuple(_shape(ns))
        inputs = {"x": g.normal(r, sx, 2.0) + 0.5}
        if "w" in affine:
            inputs["weight"] = g.normal(r, nshape)
        if "b" in affine:
            inputs["bias"] = g.normal(r, nshape)
        f.case(label, inputs, {"normalized_shape": ns, **attrs}, why=WHY)
    return f


def rms_norm():
    f = g.OpFile("rms_norm")
    for label, sx, ns, weight, attrs in [
            ("2x5_weight_default_eps", (2, 5), [5], True, {}),
            ("2x5_no_weight", (2, 5), [5], False, {}),
            ("2x5_eps_0.01", (2, 5), [5], True, {"eps": 0.01}),
            ("normalized_shape_int", (3, 4), 4, True, {}),
            ("2x3x4_normalized_3x4", (2, 3, 4), [3, 4], True, {}),
            ("1d_6_no_weight", (6,), [6], False, {}),
            ("4x256_wide_rows", (4, 256), [256], True, {})]:
        r = g.rng_for(f"rms_norm/{label}")
        inputs = {"x": g.normal(r, sx, 2.0)}
        if weight:
            inputs["weight"] = g.normal(r, tuple(_shape(ns)))
        f.case(label, inputs, {"normalized_shape": ns, **attrs}, why=WHY)
    return f


def group_norm():
    f = g.OpFile("group_norm")
    for label, sx, groups, affine, attrs in [
            ("2x4x3_groups2", (2, 4, 3), 2, True, {}),
            ("2x4x3_groups1", (2, 4, 3), 1, True, {}),
            ("2x4x3_groups_C", (2, 4, 3), 4, True, {}),
            ("2x6x2x2_groups3_eps_0.01", (2, 6, 2, 2), 3, True, {"eps": 0.01}),
            ("3x4_no_spatial_groups2", (3, 4), 2, True, {}),
            ("2x4x3_no_weight_no_bias", (2, 4, 3), 2, False, {})]:
        r = g.rng_for(f"group_norm/{label}")
        inputs = {"x": g.normal(r, sx, 2.0) + 0.5}
        if affine:
            inputs["weight"] = g.normal(r, (sx[1],))
            inputs["bias"] = g.normal(r, (sx[1],))
        f.case(label, inputs, {"num_groups": groups, **attrs}, why=WHY)
    return f


def batch_norm():
    f = g.OpFile("batch_norm")
    for label, sx, running, attrs in [
            ("training_4x3", (4, 3), False, {}),
            ("training_2x3x4", (2, 3, 4), False, {}),
            ("training_2x3x2x2_eps_0.01", (2, 3, 2, 2), False, {"eps": 0.01}),
            ("training_1x2x3_one_sample", (1, 2, 3), False, {}),
            ("inference_4x3", (4, 3), True, {}),
            ("inference_2x3x2x2", (2, 3, 2, 2), True, {"eps": 0.001})]:
        r = g.rng_for(f"batch_norm/{label}")
        c = sx[1]
        inputs = {"x": g.normal(r, sx, 2.0) + 0.5, "weight": g.normal(r, (c,)), "bias": g.normal(r, (c,))}
        no_grad = ()
        if running:
            inputs["running_mean"] = g.normal(r, (c,), 0.5)
            inputs["running_var"] = g.uniform(r, (c,), 0.5, 2.0)
            no_grad = ("running_mean", "running_var")  # torch's buffers: no gradient there
        f.case(label, inputs, attrs, no_grad=no_grad, why=WHY)
    return f


def attention():
    op = "scaled_dot_product_attention"
    f = g.OpFile(op)
    inf = -np.inf
    for label, sq, sk, sv, smask, attrs in [
            ("3d_L3_S5_E4_Ev3", (2, 3, 4), (2, 5, 4), (2, 5, 3), None, {}),
            ("4d_L3_S5_E4_Ev2", (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 2), None, {}),
            ("custom_scale_0.3", (2, 3, 4), (2, 5, 4), (2, 5, 3), None, {"scale": 0.3}),
            ("causal_3d_L4_S4", (2, 4, 3), (2, 4, 3), (2, 4, 3), None, {"is_causal": True}),
            ("causal_4d_L3_S5", (1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 2), None, {"is_causal": True}),
            ("causal_4d_L5_S3", (1, 2, 5, 4), (1, 2, 3, 4), (1, 2, 3, 2), None, {"is_causal": True}),
            ("causal_custom_scale", (2, 4, 3), (2, 4, 3), (2, 4, 2), None, {"is_causal": True, "scale": 1.5}),
            ("float_mask_LxS", (2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5), {}),
            ("float_mask_broadcast_2x1x3x5", (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3), (2, 1, 3, 5), {}),
            ("float_mask_scale_0.5", (1, 3, 2), (1, 4, 2), (1, 4, 3), (1, 3, 4), {"scale": 0.5})]:
        r = g.rng_for(f"{op}/{label}")
        inputs = {"q": g.normal(r, sq), "k": g.normal(r, sk), "v": g.normal(r, sv)}
        if smask is not None:
            inputs["mask"] = g.normal(r, smask)
        f.case(label, inputs, attrs, why="float32 softmax rounding")
    # A boolean mask sent as additive 0 / -Infinity, one row fully masked: torch 2.15
    # gives that row zeros and zero gradients (its safe softmax).
    keep = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])
    r = g.rng_for(f"{op}/boolean_as_additive")
    q, k, v = g.normal(r, (2, 3, 4)), g.normal(r, (2, 4, 4)), g.normal(r, (2, 4, 3))
    additive = np.where(keep, 0.0, inf)
    as_bool = F.scaled_dot_product_attention(*(torch.tensor(t) for t in (q, k, v)), attn_mask=torch.tensor(keep))
    as_float = F.scaled_dot_product_attention(*(torch.tensor(t) for t in (q, k, v)), attn_mask=torch.tensor(additive))
    assert torch.equal(as_bool, as_float), "a boolean mask and its additive form differ"
    f.case("boolean_as_additive_fully_masked_row", {"q": q, "k": k, "v": v, "mask": additive}, no_grad=("mask",),
           why="float32 softmax rounding")
    r = g.rng_for(f"{op}/neg_inf_mask")
    mask = g.normal(r, (3, 5))
    mask[0, 1] = mask[2, 0] = mask[2, 4] = inf
    f.case("float_mask_with_neg_infinity", {"q": g.normal(r, (2, 3, 4)), "k": g.normal(r, (2, 5, 4)),
                                            "v": g.normal(r, (2, 5, 2)), "mask": mask},
           why="float32 softmax rounding")
    return f


def families():
    return [lambda: [layer_norm(), rms_norm(), group_norm(), batch_norm(), attention()], lambda: modules() or []]


def modules():
    """modules/normalization.json: BatchNorm's running statistics over two training steps and
    its evaluation-mode output; MultiheadAttention (batch_first) with torch's parameters,
    its output and parameter gradients for loss = sum(out * seed). float64."""
    import json
    import os
    torch.manual_seed(0)
    doc = {"torch_version": g.TORCH_VERSION}
    bn = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    r = g.rng_for("modules/batch_norm")
    batches = [g.normal(r, (4, 3, 2), 2.0) + 1.0, g.normal(r, (4, 3, 2), 1.5) - 0.5]
    steps = []
    for b in batches:
        bn.train()
        y = bn(torch.tensor(b))
        steps.append({"x": b.tolist(), "y": y.detach().numpy().tolist(),
                      "running_mean": bn.running_mean.numpy().tolist(),
                      "running_var": bn.running_var.numpy().tolist()})
    bn.eval()
    xe = g.normal(r, (2, 3, 2))
    doc["batch_norm"] = {"steps": steps, "eval_x": xe.tolist(),
                         "eval_y": bn(torch.tensor(xe)).detach().numpy().tolist()}
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_bias.copy_(torch.tensor(g.normal(r, (24,), 0.1)))
        mha.out_proj.bias.copy_(torch.tensor(g.normal(r, (8,), 0.1)))
    x = g.normal(r, (2, 5, 8))
    seed = g.normal(r, (2, 5, 8))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    out, _ = mha(torch.tensor(x), torch.tensor(x), torch.tensor(x), attn_mask=causal, need_weights=False,
                 is_causal=True)
    (out * torch.tensor(seed)).sum().backward()
    doc["multihead_attention"] = {
        "num_heads": 2, "x": x.tolist(), "seed": seed.tolist(), "causal": True,
        "in_proj_weight": mha.in_proj_weight.detach().numpy().tolist(),
        "in_proj_bias": mha.in_proj_bias.detach().numpy().tolist(),
        "out_proj_weight": mha.out_proj.weight.detach().numpy().tolist(),
        "out_proj_bias": mha.out_proj.bias.detach().numpy().tolist(),
        "out": out.detach().numpy().tolist(),
        "grad_in_proj_weight": mha.in_proj_weight.grad.numpy().tolist(),
        "grad_out_proj_weight": mha.out_proj.weight.grad.numpy().tolist(),
        "grad_out_proj_bias": mha.out_proj.bias.grad.numpy().tolist(),
    }
    os.makedirs(os.path.join(g.HERE, "modules"), exist_ok=True)
    with open(os.path.join(g.HERE, "modules", "normalization.json"), "w") as f:
        json.dump(doc, f)
        f.write("\n")


if __name__ == "__main__":  # only these ops' files: python3 Tests/Fixtures/gen_norm.py
    for family in families():
        for f in family():
            f.write()
            print(f"ops/{f.op}.json: {len(f.cases)} cases")
