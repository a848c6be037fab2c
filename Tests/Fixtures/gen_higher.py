#!/usr/bin/env python3
"""PyTorch fixtures for derivatives beyond the first (issue 12): higher/higher.json.

    python3 Tests/Fixtures/gen_higher.py      # needs torch + numpy; rewrites higher/higher.json only

Six small models, each in float64 and float32 (the float32 case holds the float64 case's
data cast to float32, computed by torch in float32):

  mlp_relu_ce      linear-relu-linear-relu-linear + cross_entropy (autograd-bench's W2 MLP, small)
  mlp_tanh_mse     linear-tanh-linear-tanh-linear + mse_loss
  cnn_ce           conv2d(pad 1)-relu-max_pool2d(2)-reshape-linear + cross_entropy
  attention_mse    x + linear(sdpa(heads(linear(layer_norm(x)))) causal) + mse_loss against a target
  gradient_penalty D(x) = linear(tanh(linear(x))); g = autograd.grad(D(x).sum(), x, create_graph=True);
                   penalty = mean over the batch of sum(g**2, dim=1), differentiated wrt the weights
  pinn_poisson     u(x) a tanh MLP of x [N, 1]; u_x = grad(u.sum(), x), u_xx = grad(u_x.sum(), x),
                   both create_graph=True; loss = mean((u_xx - rhs)**2), differentiated wrt the
                   weights (third order)

For the first four: `torch.autograd.functional.jvp(net, inputs, tangents)` of the network's
output (before the loss) with a tangent for every float input, and
`torch.autograd.functional.hvp(loss, params, vectors)` over the tensors named in "hvp_wrt"
(the parameters, and the input x for mlp_tanh_mse), the other inputs held fixed. Linear
weights are [in, out] as the engine keeps them (y = x @ W + b); class targets are indices
stored as floats. For the last two: torch.autograd.grad(..., create_graph=True) as above.

Data: every value is drawn in float64 from a generator seeded by the CRC32 of the case
name and rounded to 4 decimals (generate.py's helpers). Tolerances as generate.py derives
them, with issue 12's defaults: float64 rtol 1e-10 atol 1e-12, float32 rtol 1e-4 atol 1e-6;
a float32 case gets its own rtol/atol + tolerance_note only when torch's float32 answer is
further than half the default from a float64 evaluation of the same float32 inputs.

File layout (one case per line):
  {"torch_version", "cases": [{"name": "mlp_relu_ce/float64", "model": "mlp_relu_ce", "dtype",
     "inputs": {name: {"shape", "data" (flat)}},
     "jvp":  {"wrt": [names], "tangents": {name: tensor}, "output": tensor, "tangent": tensor},
     "hvp":  {"wrt": [names], "vectors": {name: tensor}, "loss": tensor, "hvp": {name: tensor}},
     "grad": {"wrt": [names], "values": {name: tensor}, "grads": {name: tensor}},
     "rtol", "atol", ["tolerance_note"]}]}
A "grad" case's "values" are the intermediate results (gradient_penalty: "g", "penalty";
pinn_poisson: "u_x", "u_xx", "loss") and "grads" the final loss's gradient wrt each of "wrt".
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as g  # noqa: E402  (sets torch.set_num_threads(1))

OUT = os.path.join(g.HERE, "higher", "higher.json")
DEFAULT = {"float64": (1e-10, 1e-12), "float32": (1e-4, 1e-6)}
LADDER = [(1e-4, 1e-6), (1e-4, 1e-5), (1e-3, 1e-5), (1e-3, 1e-4), (1e-2, 1e-4), (1e-2, 1e-3)]


def lin(x, W, b):
    return x @ W + b


# --------------------------------------------------------------------------- models
# Each model: (inputs: name -> float64 array, class_targets: names held as indices,
#              net(ts) -> output, loss(ts, out) -> scalar, hvp_wrt: names)

def mlp_relu_ce():
    r = g.rng_for("higher/mlp_relu_ce")
    sizes, n = [6, 5, 5, 3], 4
    inputs = {"x": g.uniform(r, (n, sizes[0]), -1, 1), "labels": r.integers(0, sizes[-1], n).astype(np.float64)}
    for l in range(3):
        bound = 1 / sizes[l] ** 0.5
        inputs[f"W{l + 1}"] = g.uniform(r, (sizes[l], sizes[l + 1]), -2 * bound, 2 * bound)
        inputs[f"b{l + 1}"] = g.uniform(r, (sizes[l + 1],), -bound, bound)

    def net(t):
        h = torch.relu(lin(t["x"], t["W1"], t["b1"]))
        h = torch.relu(lin(h, t["W2"], t["b2"]))
        return lin(h, t["W3"], t["b3"])

    def loss(t, out):
        return F.cross_entropy(out, t["labels"].long())

    return inputs, {"labels"}, net, loss, ["W1", "b1", "W2", "b2", "W3", "b3"]


def mlp_tanh_mse():
    r = g.rng_for("higher/mlp_tanh_mse")
    sizes, n = [3, 4, 4, 2], 5
    inputs = {"x": g.normal(r, (n, sizes[0])), "target": g.normal(r, (n, sizes[-1]))}
    for l in range(3):
        inputs[f"W{l + 1}"] = g.normal(r, (sizes[l], sizes[l + 1]), 0.8)
        inputs[f"b{l + 1}"] = g.normal(r, (sizes[l + 1],), 0.3)

    def net(t):
        h = torch.tanh(lin(t["x"], t["W1"], t["b1"]))
        h = torch.tanh(lin(h, t["W2"], t["b2"]))
        return lin(h, t["W3"], t["b3"])

    def loss(t, out):
        return F.mse_loss(out, t["target"])

    return inputs, set(), net, loss, ["x", "W1", "b1", "W2", "b2", "W3", "b3"]


def cnn_ce():
    r = g.rng_for("higher/cnn_ce")
    n = 2
    inputs = {"x": g.normal(r, (n, 2, 6, 6)), "labels": r.integers(0, 4, n).astype(np.float64),
              "w1": g.normal(r, (3, 2, 3, 3), 0.4), "b1": g.normal(r, (3,), 0.2),
              "W2": g.normal(r, (27, 4), 0.3), "b2": g.normal(r, (4,), 0.2)}

    def net(t):
        h = F.max_pool2d(torch.relu(F.conv2d(t["x"], t["w1"], t["b1"], padding=1)), 2)
        return lin(h.reshape(n, 27), t["W2"], t["b2"])

    def loss(t, out):
        return F.cross_entropy(out, t["labels"].long())

    return inputs, {"labels"}, net, loss, ["w1", "b1", "W2", "b2"]


ATT = {"batch": 2, "seq": 3, "d": 4, "heads": 2}


def attention_mse():
    r = g.rng_for("higher/attention_mse")
    B, T, D = ATT["batch"], ATT["seq"], ATT["d"]
    inputs = {"x": g.normal(r, (B, T, D)), "target": g.normal(r, (B, T, D)),
              "ln_w": g.uniform(r, (D,), 0.5, 1.5), "ln_b": g.normal(r, (D,), 0.2)}
    for p in ("q", "k", "v", "o"):
        inputs[f"W{p}"] = g.normal(r, (D, D), 0.6)
        inputs[f"b{p}"] = g.normal(r, (D,), 0.2)

    def heads(y):
        return y.reshape(B, T, ATT["heads"], D // ATT["heads"]).transpose(1, 2)

    def net(t):
        a = F.layer_norm(t["x"], (D,), t["ln_w"], t["ln_b"])
        # The math backend: the fused CPU kernel has no double backward.
        with sdpa_kernel(SDPBackend.MATH):
            o = F.scaled_dot_product_attention(heads(lin(a, t["Wq"], t["bq"])), heads(lin(a, t["Wk"], t["bk"])),
                                               heads(lin(a, t["Wv"], t["bv"])), is_causal=True)
        return t["x"] + lin(o.transpose(1, 2).reshape(B, T, D), t["Wo"], t["bo"])

    def loss(t, out):
        return F.mse_loss(out, t["target"])

    return inputs, set(), net, loss, ["ln_w", "ln_b", "Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo"]


MODELS = {"mlp_relu_ce": mlp_relu_ce, "mlp_tanh_mse": mlp_tanh_mse, "cnn_ce": cnn_ce, "attention_mse": attention_mse}


def gradient_penalty_inputs():
    r = g.rng_for("higher/gradient_penalty")
    n, d, h = 4, 3, 5
    return {"x": g.normal(r, (n, d)), "W1": g.normal(r, (d, h), 0.7), "b1": g.normal(r, (h,), 0.3),
            "W2": g.normal(r, (h, 1), 0.7), "b2": g.normal(r, (1,), 0.3)}


def gradient_penalty(t):
    x = t["x"].detach().requires_grad_()
    d = lin(torch.tanh(lin(x, t["W1"], t["b1"])), t["W2"], t["b2"])
    (gx,) = torch.autograd.grad(d.sum(), x, create_graph=True)
    penalty = (gx * gx).sum(dim=1).mean()
    return {"g": gx, "penalty": penalty}, penalty


def pinn_inputs():
    r = g.rng_for("higher/pinn_poisson")
    n, h = 6, 5
    return {"x": g.uniform(r, (n, 1), -1, 1), "rhs": g.normal(r, (n, 1)),
            "W1": g.normal(r, (1, h), 1.0), "b1": g.normal(r, (h,), 0.5),
            "W2": g.normal(r, (h, h), 0.6), "b2": g.normal(r, (h,), 0.3),
            "W3": g.normal(r, (h, 1), 0.6), "b3": g.normal(r, (1,), 0.3)}


def pinn(t):
    x = t["x"].detach().requires_grad_()
    u = lin(torch.tanh(lin(torch.tanh(lin(x, t["W1"], t["b1"])), t["W2"], t["b2"])), t["W3"], t["b3"])
    (u_x,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    (u_xx,) = torch.autograd.grad(u_x.sum(), x, create_graph=True)
    loss = ((u_xx - t["rhs"]) ** 2).mean()
    return {"u_x": u_x, "u_xx": u_xx, "loss": loss}, loss


GRAD_CASES = {"gradient_penalty": (gradient_penalty_inputs, gradient_penalty, ["W1", "b1", "W2", "b2"]),
              "pinn_poisson": (pinn_inputs, pinn, ["W1", "b1", "W2", "b2", "W3", "b3"])}


# --------------------------------------------------------------------------- evaluation

def tensors(arrays, tdtype, wrt=()):
    return {k: torch.tensor(np.asarray(v, dtype=np.float64), dtype=tdtype).requires_grad_(k in wrt)
            for k, v in arrays.items()}


def np64(t):
    return t.detach().double().numpy()


def eval_model(name, arrays, directions, tdtype):
    """jvp and hvp of model `name` at `arrays` (cast to tdtype) along `directions`."""
    _, targets, net, loss, hvp_wrt = MODELS[name]()
    t = tensors(arrays, tdtype)
    jvp_wrt = [k for k in arrays if k not in targets]

    def net_of(*xs):
        return net({**t, **dict(zip(jvp_wrt, xs))})

    out, tangent = torch.autograd.functional.jvp(
        net_of, tuple(t[k] for k in jvp_wrt), tuple(torch.tensor(directions["jvp"][k], dtype=tdtype) for k in jvp_wrt))

    def loss_of(*xs):
        tt = {**t, **dict(zip(hvp_wrt, xs))}
        return loss(tt, net(tt))

    value, hv = torch.autograd.functional.hvp(
        loss_of, tuple(t[k] for k in hvp_wrt), tuple(torch.tensor(directions["hvp"][k], dtype=tdtype) for k in hvp_wrt))
    return {"output": np64(out), "tangent": np64(tangent), "loss": np64(value),
            **{f"hvp/{k}": np64(h) for k, h in zip(hvp_wrt, hv)}}


def eval_grad_case(name, arrays, tdtype):
    _, fn, wrt = GRAD_CASES[name]
    t = tensors(arrays, tdtype, wrt)
    values, final = fn(t)
    grads = torch.autograd.grad(final, [t[k] for k in wrt], allow_unused=True, materialize_grads=True)
    return {**{f"value/{k}": np64(v) for k, v in values.items()}, **{f"grad/{k}": np64(gr) for k, gr in zip(wrt, grads)}}


def tolerance(results32, reference):
    """The default float32 tolerance, or the first rung of LADDER that keeps torch's own
    float32 answer within half of it from the float64 evaluation of the same inputs."""
    for rtol, atol in LADDER:
        if all(np.allclose(results32[k], reference[k], rtol=rtol / 2, atol=atol / 2) for k in reference):
            return rtol, atol
    raise AssertionError("float32 far from the float64 reference")


def note(results32, reference):
    worst_abs = max(float(np.abs(results32[k] - reference[k]).max()) for k in reference)
    return (f"float32 accumulation: torch's float32 results are up to {worst_abs:.1e} abs away from a "
            f"float64 evaluation of the same float32 inputs, so an equally correct float32 engine can "
            f"differ from them by about twice that")


def enc(arr, dtype):
    return g.enc_tensor(np.asarray(arr), dtype, nested=False)


def build_case(name, dtype, arrays, results, reference, layout):
    rtol, atol = DEFAULT[dtype]
    case = {"name": f"{name}/{dtype}", "model": name, "dtype": dtype,
            "inputs": {k: enc(v, dtype) for k, v in arrays.items()}}
    case.update(layout(lambda k: enc(results[k], dtype)))
    if reference is not None:
        rtol, atol = tolerance(results, reference)
        if (rtol, atol) != DEFAULT[dtype]:
            case["tolerance_note"] = note(results, reference)
    case["rtol"], case["atol"] = rtol, atol
    return case


def cast(arrays, dtype):
    return {k: np.asarray(v, dtype=g.NP_DTYPE[dtype]).astype(np.float64) for k, v in arrays.items()}


def main():
    cases = []
    for name, make in MODELS.items():
        arrays, targets, _, _, hvp_wrt = make()
        r = g.rng_for(f"higher/{name}/directions")
        jvp_wrt = [k for k in arrays if k not in targets]
        directions = {"jvp": {k: g.normal(r, np.shape(arrays[k])) for k in jvp_wrt},
                      "hvp": {k: g.normal(r, np.shape(arrays[k])) for k in hvp_wrt}}
        for dtype in ("float64", "float32"):
            data = cast(arrays, dtype)
            dirs = {kind: cast(d, dtype) for kind, d in directions.items()}
            results = eval_model(name, data, dirs, g.TORCH_DTYPE[dtype])
            reference = eval_model(name, data, dirs, torch.float64) if dtype == "float32" else None

            def layout(e, dirs=dirs, dtype=dtype):
                return {"jvp": {"wrt": jvp_wrt, "tangents": {k: enc(v, dtype) for k, v in dirs["jvp"].items()},
                                "output": e("output"), "tangent": e("tangent")},
                        "hvp": {"wrt": hvp_wrt, "vectors": {k: enc(v, dtype) for k, v in dirs["hvp"].items()},
                                "loss": e("loss"), "hvp": {k: e(f"hvp/{k}") for k in hvp_wrt}}}
            cases.append(build_case(name, dtype, data, results, reference, layout))
    for name, (make, fn, wrt) in GRAD_CASES.items():
        arrays = make()
        for dtype in ("float64", "float32"):
            data = cast(arrays, dtype)
            results = eval_grad_case(name, data, g.TORCH_DTYPE[dtype])
            reference = eval_grad_case(name, data, torch.float64) if dtype == "float32" else None
            values = [k.split("/", 1)[1] for k in results if k.startswith("value/")]

            def layout(e, wrt=wrt, values=values):
                return {"grad": {"wrt": wrt, "values": {k: e(f"value/{k}") for k in values},
                                 "grads": {k: e(f"grad/{k}") for k in wrt}}}
            cases.append(build_case(name, dtype, data, results, reference, layout))
    g.write_cases(OUT, {"torch_version": g.TORCH_VERSION}, cases)
    for c in cases:
        print(f"{c['name']}: rtol {c['rtol']} atol {c['atol']}" + (" (derived)" if "tolerance_note" in c else ""))
    print(f"wrote {os.path.relpath(OUT, g.REPO)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
