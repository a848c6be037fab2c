#!/usr/bin/env python3
"""Writes the higher-derivative examples of api/examples (issue 12, docs/higher-order.md).

- newton-cg-hvp.json: POST /hvp, L2-regularised logistic regression (64 points, 3 weights
  with the bias column). A client runs conjugate gradients on H p = -g with one /hvp call
  per iteration (HigherOrderExampleTests does, and compares p with the closed form).
- gradient-penalty.json: POST /backward, a WGAN-GP critic loss: mean D(fake) - mean D(real)
  + 10 * mean((||d D(x_hat) / d x_hat|| - 1)^2), the input gradient taken by the op `grad`
  and differentiated again with respect to the critic's weights.
- pinn-poisson-train.json: POST /train, a physics-informed network for -u'' = pi^2 sin(pi x)
  on (0, 1) with u(0) = u(1) = 0 (solution sin(pi x)): u is a tanh MLP of x, u_xx two nested
  `grad` ops, loss = mean((u_xx + f)^2) + 10 * mean(u(boundary)^2); weights made by the
  server (`init`), Adam.

Deterministic (numpy's generator, fixed seeds); float64. Run: python3 api/examples/make_higher_order_examples.py
"""
import json
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent


def write(name, request):
    text = json.dumps(request, indent=1)
    (HERE / name).write_text(text + "\n")
    print(f"wrote {name} ({len(text)} bytes)")


def rounded(a, digits=4):
    return np.round(np.asarray(a, dtype=float), digits).tolist()


# -- Newton-CG on logistic regression ---------------------------------------------------
rng = np.random.default_rng(12)
n = 64
features = rng.standard_normal((n, 2))
X = np.concatenate([features, np.ones((n, 1))], axis=1)  # the bias as a third column
true_w = np.array([1.5, -2.0, 0.5])
p = 1 / (1 + np.exp(-(X @ true_w)))
labels = (rng.uniform(size=n) < p).astype(float)
write("newton-cg-hvp.json", {
    "dtype": "float64",
    "tensors": {
        "X": {"data": rounded(X)},
        "y": {"data": labels.tolist()},
        "w": {"data": [0.0, 0.0, 0.0], "requires_grad": True},
        "half_lambda": {"data": 0.05},
    },
    "ops": [
        # mean(softplus(Xw) - y * Xw) is the mean binary cross-entropy of the logits Xw.
        {"id": "z", "op": "matmul", "inputs": ["X", "w"]},
        {"id": "sp", "op": "softplus", "inputs": ["z"]},
        {"id": "yz", "op": "mul", "inputs": ["y", "z"]},
        {"id": "nll", "op": "sub", "inputs": ["sp", "yz"]},
        {"id": "data_loss", "op": "mean", "inputs": ["nll"]},
        {"id": "ww", "op": "mul", "inputs": ["w", "w"]},
        {"id": "w2", "op": "sum", "inputs": ["ww"]},
        {"id": "reg", "op": "mul", "inputs": ["w2", "half_lambda"]},
        {"id": "loss", "op": "add", "inputs": ["data_loss", "reg"]},
    ],
    "loss": "loss",
    "vectors": {"w": {"data": [1.0, 0.0, 0.0]}},
})

# -- WGAN-GP critic loss ------------------------------------------------------------------
rng = np.random.default_rng(5)
m, hidden = 16, 8
real = rng.standard_normal((m, 2)) * 0.5 + np.array([2.0, 1.0])
fake = rng.standard_normal((m, 2))
write("gradient-penalty.json", {
    "dtype": "float64",
    "tensors": {
        "real": {"data": rounded(real)},
        "fake": {"data": rounded(fake)},
        "eps": {"data": rounded(rng.uniform(size=(m, 1)))},
        "W1": {"data": rounded(rng.standard_normal((2, hidden)) * 0.7), "requires_grad": True},
        "b1": {"data": rounded(rng.standard_normal(hidden) * 0.1), "requires_grad": True},
        "W2": {"data": rounded(rng.standard_normal((hidden, 1)) * 0.4), "requires_grad": True},
        "b2": {"data": [0.1], "requires_grad": True},
        "one": {"data": 1.0},
        "lambda": {"data": 10.0},
    },
    "ops": [
        # x_hat = fake + eps * (real - fake): points between the two distributions.
        {"id": "diff", "op": "sub", "inputs": ["real", "fake"]},
        {"id": "step", "op": "mul", "inputs": ["eps", "diff"]},
        {"id": "x_hat", "op": "add", "inputs": ["fake", "step"]},
        # The critic D, applied to real, fake and x_hat with the same weights.
        {"id": "h_real", "op": "linear", "inputs": ["real", "W1", "b1"]},
        {"id": "a_real", "op": "tanh", "inputs": ["h_real"]},
        {"id": "d_real", "op": "linear", "inputs": ["a_real", "W2", "b2"]},
        {"id": "h_fake", "op": "linear", "inputs": ["fake", "W1", "b1"]},
        {"id": "a_fake", "op": "tanh", "inputs": ["h_fake"]},
        {"id": "d_fake", "op": "linear", "inputs": ["a_fake", "W2", "b2"]},
        {"id": "h_hat", "op": "linear", "inputs": ["x_hat", "W1", "b1"]},
        {"id": "a_hat", "op": "tanh", "inputs": ["h_hat"]},
        {"id": "d_hat", "op": "linear", "inputs": ["a_hat", "W2", "b2"]},
        # Each sample's input gradient (the samples are independent, so the gradient of the
        # sum is the per-sample gradient) and its norm.
        {"id": "d_hat_sum", "op": "sum", "inputs": ["d_hat"]},
        {"id": "g", "op": "grad", "inputs": ["d_hat_sum", "x_hat"]},
        {"id": "g_norm", "op": "norm", "inputs": ["g"], "attrs": {"axis": 1}},
        {"id": "gap", "op": "sub", "inputs": ["g_norm", "one"]},
        {"id": "gap2", "op": "mul", "inputs": ["gap", "gap"]},
        {"id": "penalty", "op": "mean", "inputs": ["gap2"]},
        {"id": "mean_fake", "op": "mean", "inputs": ["d_fake"]},
        {"id": "mean_real", "op": "mean", "inputs": ["d_real"]},
        {"id": "wasserstein", "op": "sub", "inputs": ["mean_fake", "mean_real"]},
        {"id": "weighted", "op": "mul", "inputs": ["penalty", "lambda"]},
        {"id": "loss", "op": "add", "inputs": ["wasserstein", "weighted"]},
    ],
    "loss": "loss",
    "outputs": ["loss", "penalty"],
})

# -- 1-D Poisson PINN -----------------------------------------------------------------------
points, width = 32, 16
x = (np.arange(points) + 0.5) / points  # midpoints of 32 cells of (0, 1)
write("pinn-poisson-train.json", {
    "dtype": "float64",
    "tensors": {
        "x": {"data": rounded(x.reshape(points, 1), 6)},
        "f": {"data": rounded((math.pi ** 2 * np.sin(math.pi * x)).reshape(points, 1), 12)},
        "x_boundary": {"data": [[0.0], [1.0]]},
        "boundary_weight": {"data": 10.0},
        "W1": {"shape": [1, width], "init": {"name": "normal", "seed": 1, "std": 2.0}, "requires_grad": True},
        "b1": {"shape": [width], "init": {"name": "normal", "seed": 2, "std": 1.0}, "requires_grad": True},
        "W2": {"shape": [width, 1], "init": {"name": "normal", "seed": 3, "std": 0.25}, "requires_grad": True},
        "b2": {"shape": [1], "init": {"name": "zeros"}, "requires_grad": True},
    },
    "ops": [
        # u(x) = tanh(x W1 + b1) W2 + b2 at the collocation points...
        {"id": "h", "op": "linear", "inputs": ["x", "W1", "b1"]},
        {"id": "a", "op": "tanh", "inputs": ["h"]},
        {"id": "u", "op": "linear", "inputs": ["a", "W2", "b2"]},
        # ... its derivatives by nested grad ops (each u[i] depends on x[i] alone) ...
        {"id": "u_sum", "op": "sum", "inputs": ["u"]},
        {"id": "u_x", "op": "grad", "inputs": ["u_sum", "x"]},
        {"id": "u_x_sum", "op": "sum", "inputs": ["u_x"]},
        {"id": "u_xx", "op": "grad", "inputs": ["u_x_sum", "x"]},
        # ... the residual of -u'' = f ...
        {"id": "r", "op": "add", "inputs": ["u_xx", "f"]},
        {"id": "r2", "op": "mul", "inputs": ["r", "r"]},
        {"id": "residual", "op": "mean", "inputs": ["r2"]},
        # ... and u at the boundary, which should be 0.
        {"id": "hb", "op": "linear", "inputs": ["x_boundary", "W1", "b1"]},
        {"id": "ab", "op": "tanh", "inputs": ["hb"]},
        {"id": "ub", "op": "linear", "inputs": ["ab", "W2", "b2"]},
        {"id": "ub2", "op": "mul", "inputs": ["ub", "ub"]},
        {"id": "boundary", "op": "mean", "inputs": ["ub2"]},
        {"id": "weighted_boundary", "op": "mul", "inputs": ["boundary", "boundary_weight"]},
        {"id": "loss", "op": "add", "inputs": ["residual", "weighted_boundary"]},
    ],
    "loss": "loss",
    "optimizer": {"name": "adam", "lr": 0.01},
    "steps": 1500,
})
