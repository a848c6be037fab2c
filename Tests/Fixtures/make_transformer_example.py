#!/usr/bin/env python3
"""Writes api/examples/transformer-block.json and its expected answer,
api/examples/transformer-block.response.json, from PyTorch (torch 2.15, float64).

A pre-LN transformer block as one POST /backward graph: embedding, layer_norm, causal
multi-head attention (q/k/v/out projections, heads by reshape + transpose), residual,
layer_norm, GELU MLP, residual, a linear map to the vocabulary and next-token
cross_entropy. tokens [2, 8], vocab 16, d 8, 2 heads, FFN 16. The response holds the loss
and the gradient of every parameter, as torch computes them running the same graph op by
op (generate.torch_op, the fixtures' own mapping of wire ops to torch).

Run: python3 Tests/Fixtures/make_transformer_example.py (needs torch; the output is committed).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as g  # noqa: E402
import gen_index  # noqa: E402,F401  (embedding)
import gen_norm  # noqa: E402,F401  (layer_norm, scaled_dot_product_attention)

B, T, V, D, H, FF = 2, 8, 16, 8, 2, 16


def block():
    r = g.rng_for("examples/transformer-block")
    stream = r.integers(0, V, size=(B, T + 1)).astype(np.float64)
    bd, bf = D ** -0.5, FF ** -0.5
    params = {
        "emb": g.normal(r, (V, D)),
        "ln1_w": g.uniform(r, (D,), 0.8, 1.2), "ln1_b": g.normal(r, (D,), 0.1),
        "Wq": g.uniform(r, (D, D), -bd, bd), "bq": g.uniform(r, (D,), -bd, bd),
        "Wk": g.uniform(r, (D, D), -bd, bd), "bk": g.uniform(r, (D,), -bd, bd),
        "Wv": g.uniform(r, (D, D), -bd, bd), "bv": g.uniform(r, (D,), -bd, bd),
        "Wo": g.uniform(r, (D, D), -bd, bd), "bo": g.uniform(r, (D,), -bd, bd),
        "ln2_w": g.uniform(r, (D,), 0.8, 1.2), "ln2_b": g.normal(r, (D,), 0.1),
        "W1": g.uniform(r, (D, FF), -bd, bd), "b1": g.uniform(r, (FF,), -bd, bd),
        "W2": g.uniform(r, (FF, D), -bf, bf), "b2": g.uniform(r, (D,), -bf, bf),
        "Wout": g.uniform(r, (D, V), -bd, bd), "bout": g.uniform(r, (V,), -bd, bd),
    }
    constants = {"tokens": stream[:, :-1], "targets": stream[:, 1:].reshape(-1)}
    heads = [B, T, H, D // H]
    perm = {"perm": [0, 2, 1, 3]}
    ops = [
        {"id": "h", "op": "embedding", "inputs": ["emb", "tokens"]},
        {"id": "a", "op": "layer_norm", "inputs": ["h", "ln1_w", "ln1_b"], "attrs": {"normalized_shape": [D]}},
    ]
    for n in "qkv":
        ops += [{"id": n, "op": "linear", "inputs": ["a", f"W{n}", f"b{n}"]},
                {"id": f"{n}_heads", "op": "reshape", "inputs": [n], "attrs": {"shape": heads}},
                {"id": f"{n}_t", "op": "transpose", "inputs": [f"{n}_heads"], "attrs": perm}]
    ops += [
        {"id": "attn", "op": "scaled_dot_product_attention", "inputs": ["q_t", "k_t", "v_t"], "attrs": {"is_causal": True}},
        {"id": "attn_t", "op": "transpose", "inputs": ["attn"], "attrs": perm},
        {"id": "attn_merged", "op": "reshape", "inputs": ["attn_t"], "attrs": {"shape": [B, T, D]}},
        {"id": "attn_out", "op": "linear", "inputs": ["attn_merged", "Wo", "bo"]},
        {"id": "h2", "op": "add", "inputs": ["h", "attn_out"]},
        {"id": "m", "op": "layer_norm", "inputs": ["h2", "ln2_w", "ln2_b"], "attrs": {"normalized_shape": [D]}},
        {"id": "ff1", "op": "linear", "inputs": ["m", "W1", "b1"]},
        {"id": "ff_act", "op": "gelu", "inputs": ["ff1"]},
        {"id": "ff2", "op": "linear", "inputs": ["ff_act", "W2", "b2"]},
        {"id": "h3", "op": "add", "inputs": ["h2", "ff2"]},
        {"id": "logits", "op": "linear", "inputs": ["h3", "Wout", "bout"]},
        {"id": "logits_flat", "op": "reshape", "inputs": ["logits"], "attrs": {"shape": [B * T, V]}},
        {"id": "loss", "op": "cross_entropy", "inputs": ["logits_flat", "targets"]},
    ]
    return params, constants, ops


def main():
    params, constants, ops = block()
    env = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    env.update({k: torch.tensor(v, dtype=torch.float64) for k, v in constants.items()})
    leaves = dict(env)
    for node in ops:
        env[node["id"]] = g.torch_op(node["op"], node.get("attrs", {}), [env[i] for i in node["inputs"]])
    env["loss"].backward()
    request = {
        "dtype": "float64",
        "tensors": {**{k: {"data": g.enc_tensor(v, "float64")["data"]} for k, v in constants.items()},
                    **{k: {"data": g.enc_tensor(v, "float64")["data"], "requires_grad": True} for k, v in params.items()}},
        "ops": ops,
        "loss": "loss",
        "outputs": ["loss"],
        "gradients": list(params),
    }
    response = {
        "dtype": "float64",
        "outputs": {"loss": g.enc_tensor(env["loss"].detach().numpy(), "float64")},
        "gradients": {k: g.enc_tensor(leaves[k].grad.numpy(), "float64") for k in params},
    }
    out = os.path.join(g.REPO, "api", "examples")
    for name, doc in [("transformer-block.json", request), ("transformer-block.response.json", response)]:
        with open(os.path.join(out, name), "w") as f:
            f.write(g.pretty(doc) + "\n")
    print(f"loss {env['loss'].item():.6f}; wrote api/examples/transformer-block{{,.response}}.json")


if __name__ == "__main__":
    main()
